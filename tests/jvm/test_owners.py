"""Issue 20: with owners=on and gc=on, each report says what holds each site's blocks: the
shortest reference path from a GC root to the objects holding their addresses. OwnersKeep keeps
direct buffers in a static list, in a local variable of a parked thread's frame, with JNI global
references, captured by lambdas, and only through SoftReferences (gc-deferred); and zstd-jni
streams in a map inside an object a static holds. `leakbridge top -v` and `check` print the
paths. Without owners=on no walk is made."""
import json
import os
import re
import subprocess

import lbtest
from lbtest import check

ARROW = " \u2192 "


def site_of(report, size, count, kind="direct_buffer"):
    """The one site of `count` blocks of `size` bytes each (OwnersKeep's fingerprints)."""
    found = [s for s in report["sites"] if s["kind"] == kind and s["live_count"] == count
             and s["live_bytes"] == size * count]
    check(len(found) == 1, "expected one %s site of %d x %d bytes, found %s" % (
        kind, count, size, [lbtest.describe(s) for s in report["sites"]]))
    return found[0]


def run(env, mode, count, options="", jvm_args=()):
    p, report = lbtest.run_report(env, mode, "OwnersKeep", [mode, count],
                                  options="sample=0,gc=on,owners=on" + options,
                                  classpath_extra=(lbtest.ZSTD_JAR,), jvm_args=jvm_args)
    section = report.get("owners")
    check(section is not None, "%s: no owners section with owners=on and gc=on" % mode)
    check(section["exhausted"] is None and not section.get("error"),
          "%s: the walk stopped: %s" % (mode, section))
    check(section["objects"] > 1000 and section["passes"] >= 1, "%s: walk %s" % (mode, section))
    return report


def only_path(site, blocks):
    owners = site.get("owners")
    check(owners is not None, "site without owners: %s" % lbtest.describe(site))
    check(owners["examined"] == blocks and len(owners["paths"]) == 1
          and owners["paths"][0]["blocks"] == blocks,
          "expected all %d blocks on one path: %s" % (blocks, owners))
    return owners["paths"][0]


def cli(env, *args):
    exe = os.path.join(os.path.dirname(env.agent), "leakbridge")
    p = subprocess.run([exe] + list(args), capture_output=True, text=True)
    print(p.stdout + p.stderr)
    return p


def test(env):
    # A static list: the path starts at the static field, as a heap analyser's does.
    report = run(env, "static", 10)
    path = only_path(site_of(report, 10000, 10), 10)
    check(path["root"] == {"kind": "static_field", "class": "OwnersKeep$LeakyPool",
                           "field": "CACHE"}, "root %s" % path["root"])
    steps = path["steps"]
    check([s["class"] for s in steps] == ["java.util.ArrayList", "java.lang.Object[]",
                                          "java.nio.DirectByteBuffer"], "steps %s" % steps)
    check(steps[0]["field"] == "elementData" and 0 <= steps[1]["index"] < 10
          and steps[2]["holds"] == "address", "steps %s" % steps)
    check(path["text"].startswith("static OwnersKeep$LeakyPool.CACHE" + ARROW
                                  + "java.util.ArrayList.elementData" + ARROW
                                  + "java.lang.Object[][")
          and path["text"].endswith(ARROW + "java.nio.DirectByteBuffer (address)"),
          "text %s" % path["text"])
    path_file = os.path.join(env.work, "static", "report-1.json")
    top = cli(env, "top", "-v", path_file)
    check(("held by 10 of 10 blocks: " + path["text"]) in top.stdout,
          "top -v does not print the path under the site")
    check("held by" not in cli(env, "top", path_file).stdout, "top without -v prints paths")
    rows = json.loads(cli(env, "top", "--json", path_file).stdout)["rows"]
    check(rows[0]["site"]["held_by"] == ["held by 10 of 10 blocks: " + path["text"]],
          "top --json: %s" % rows[0]["site"].get("held_by"))
    # The flame graph shows it on hover: the frame the site's stack ends at carries the lines.
    html = os.path.join(env.work, "flame.html")
    check(cli(env, "flame", path_file, "-o", html).returncode == 0, "flame failed")
    data = json.loads(re.search(r'<script id="data" type="application/json">(.*?)</script>',
                                open(html).read(), re.S).group(1))
    node = data["root"]
    while node.get("k"):
        node = node["k"][0]
    check(node.get("h") == "held by 10 of 10 blocks: " + path["text"] + "\n",
          "the flame graph's leaf %s does not carry the path" % node.get("n"))
    chk = cli(env, "check", path_file)
    check(chk.returncode == 1 and ("    held by 10 of 10 blocks: " + path["text"]) in chk.stdout,
          "check does not name what holds the leak")

    # A local variable of a parked thread's frame.
    path = only_path(site_of(run(env, "parked", 10), 10008, 10), 10)
    root = path["root"]
    check(root["kind"] == "stack_local" and root["thread"] == "parker"
          and root["method"] == "OwnersKeep.parkHolding" and "slot" in root,
          "root %s" % root)
    check(path["text"].startswith('local %d of OwnersKeep.parkHolding in thread "parker"'
                                  % root["slot"]), "text %s" % path["text"])

    # JNI global references: the buffer is the first step.
    path = only_path(site_of(run(env, "global", 10), 10016, 10), 10)
    check(path["root"] == {"kind": "jni_global"} and len(path["steps"]) == 1
          and path["text"] == "JNI global" + ARROW + "java.nio.DirectByteBuffer (address)",
          "path %s" % path)

    # A lambda's captured variable: the hidden class's field arg$1.
    path = only_path(site_of(run(env, "lambda", 10), 10024, 10), 10)
    lam = path["steps"][-2]
    check(path["root"]["field"] == "TASKS" and lam["class"].startswith("OwnersKeep$$Lambda")
          and lam["field"] == "arg$1", "path %s" % path)

    # Only SoftReferences hold them, which a forced GC leaves: no root reaches the buffers,
    # whose memory waits for a GC (gc-deferred).
    report = run(env, "soft", 10, jvm_args=("-XX:SoftRefLRUPolicyMSPerMB=1000000",))
    owners = site_of(report, 10032, 10)["owners"]
    check(owners["paths"] == [] and owners["unreachable"]["blocks"] == 10
          and owners["unreachable"]["gc_deferred"] is True
          and owners["unreachable"]["holders"] == ["java.nio.DirectByteBuffer"],
          "soft: %s" % owners)
    top = cli(env, "top", "-v", os.path.join(env.work, "soft", "report-1.json"))
    check("gc-deferred: 10 of 10 blocks: no GC root reaches their holder "
          "(java.nio.DirectByteBuffer)" in top.stdout, "top -v does not say gc-deferred")

    # zstd-jni streams in a map inside an object a static holds: the stream holds the
    # ZSTD_DStream's address in its field `stream`.
    report = run(env, "zstd", 8)
    sites = [s for s in lbtest.sites_with_symbol(report, "ZSTD_createDStream")
             if ("OwnersKeep", "main") in lbtest.java_frames(s)]
    check(len(sites) == 1, "expected one ZSTD_createDStream site, found %d" % len(sites))
    path = only_path(sites[0], 8)
    check(path["root"] == {"kind": "static_field", "class": "OwnersKeep$Registry",
                           "field": "INSTANCE"}, "root %s" % path["root"])
    check([(s["class"], s.get("field")) for s in path["steps"]] == [
        ("OwnersKeep$Registry", "streams"), ("java.util.HashMap", "table"),
        ("java.util.HashMap$Node[]", None), ("java.util.HashMap$Node", "value"),
        ("com.github.luben.zstd.ZstdInputStreamNoFinalizer", None)],
        "steps %s" % path["steps"])
    check(path["steps"][-1]["holds"] == "stream", "holder %s" % path["steps"][-1])
    # zstd's window buffers: no Java field holds them, the ZSTD_DStream does (a native step).
    inner = [s for s in lbtest.sites_with_symbol(report, "ZSTD_decompressStream")
             if ("OwnersKeep", "main") in lbtest.java_frames(s)]
    check(len(inner) == 1, "expected one ZSTD_decompressStream site, found %d" % len(inner))
    inner_path = only_path(inner[0], 8)
    last = inner_path["steps"][-1]
    check(inner_path["steps"][:-1] == path["steps"] and last["native"] is True
          and last["site"] == sites[0]["id"] and last["function"] == "ZSTD_createDStream",
          "window buffers' path %s" % inner_path)
    check(inner_path["text"].startswith(path["text"] + ARROW + "native block of "
                                        "ZSTD_createDStream (+0x"), inner_path["text"])

    # Inflaters (the JDK's zlib): the z_stream's address is in the Inflater's ZStreamRef, and
    # zlib's state hangs from the z_stream. A Cleaner holds the ZStreamRef too: the path shown
    # is the application's.
    report = run(env, "inflater", 6)
    z_stream = [s for s in lbtest.sites_with_symbol(report, "Java_java_util_zip_Inflater_init")
                if s["frames"][0].get("symbol") == "Java_java_util_zip_Inflater_init"]
    state = lbtest.sites_with_symbol(report, "inflateInit2_")
    check(len(z_stream) == 1 and len(state) == 1, "Inflater sites: %s" % [
        lbtest.describe(s) for s in report["sites"]])
    held = ARROW.join(["static OwnersKeep.INFLATERS", "java.util.ArrayList.elementData",
                       "java.lang.Object[][]", "java.util.zip.Inflater.zsRef",
                       "java.util.zip.Inflater$InflaterZStreamRef (address)"])
    unindexed = lambda text: re.sub(r"\[\d+\]", "[]", text)
    check(unindexed(only_path(z_stream[0], 6)["text"]) == held,
          "z_stream: %s" % z_stream[0]["owners"])
    check(unindexed(only_path(state[0], 6)["text"]).startswith(
        held + ARROW + "native block of Java_java_util_zip_Inflater_init (+0x"),
        "zlib state: %s" % state[0]["owners"])

    # Off by default, and no walk without a forced GC.
    for tag, options in (("default", "sample=0,gc=on"), ("nogc", "sample=0,owners=on")):
        _, report = lbtest.run_report(env, tag, "OwnersKeep", ["static", 3], options=options,
                                      classpath_extra=(lbtest.ZSTD_JAR,))
        check("owners" not in report and all("owners" not in s for s in report["sites"]),
              "%s: owners without a walk asked for" % tag)
        check(report["options"]["owners"] == ("owners=on" in options), "options %s" % tag)


if __name__ == "__main__":
    lbtest.main(test)
