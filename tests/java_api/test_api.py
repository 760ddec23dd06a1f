"""The Java API under the agent (sample=0): liveSince counts only what was allocated after the
mark (two buffers before it are never reported), a dropped direct buffer is live before the
forced GC and gone after it, the kept ones have exact bytes, count and frames, the malloc filter
finds nothing, and dump(Path) writes a valid report with reason "api" to that path; its memory
section runs no Java code on the caller's thread (figures from perf data, no jmx_us) and its
direct buffers are among what malloc's tracked_bytes counts."""
import os

import jtest
from jtest import check


def values(p, key):
    return [line.split("=", 1)[1] for line in p.stdout.splitlines() if line.startswith(key + "=")]


def test(env):
    out = os.path.join(env.work, "api-dump.json")
    cmd = env.java_cmd("sample=0,output=%s/report-%%n.json" % env.work) + [
        "-cp", os.pathsep.join([env.classes, env.api_jar]), "ApiProgram", out]
    p = env.execute(cmd, expect_exit=0)
    for line in ("active=true", "sample=0", "mark.active=true", "malloc.sites=0", "kept=5"):
        check(line in p.stdout.splitlines(), "ApiProgram did not print %r" % line)
    # Before the GC: the three kept 64 KiB buffers, and the dropped 100,000-byte one (rounded
    # up to 8 by DirectByteBuffer) unless a GC already ran its Cleaner.
    nogc = values(p, "nogc.site")
    check("direct_buffer 196608 3 true false" in nogc, "no site of the 3 kept buffers: %s" % nogc)
    check(all(s in ("direct_buffer 196608 3 true false", "direct_buffer 100000 1 false true")
              for s in nogc), "unexpected sites before GC: %s" % nogc)
    # After the forced GC and reference processing: only the kept ones.
    check(values(p, "gc.site") == ["direct_buffer 196608 3 true false"],
          "after GC: %s" % values(p, "gc.site"))
    check(values(p, "gc.bytes") == ["196608"], "gc.bytes %s" % values(p, "gc.bytes"))
    text = p.stdout.split("describe.begin\n", 1)[1].split("\ndescribe.end", 1)[0]
    check(text.startswith("196608 bytes in 3 blocks (direct_buffer) allocated from:"), text)
    check("J ApiProgram.keepBuffers(ApiProgram.java:" in text, text)

    written = values(p, "dump")
    check(written == [out], "dump returned %s, expected %s" % (written, out))
    report = env.load(out)
    check(report["reason"] == "api", "reason %r" % report["reason"])
    kept = jtest.lbtest.sites_with_method(report, "ApiProgram", "keepBuffers")
    check(sum(s["live_count"] for s in kept) == 5,
          "the API dump should show the 5 kept buffers: %s" % [jtest.lbtest.describe(s) for s in kept])
    memory = report["memory"]
    heap = [r for r in memory["regions"] if r["name"] == "java_heap"][0]
    check(heap["figures_from"] == "perf_data" and "jmx_us" not in memory,
          "the API dump ran Java code on the caller's thread: %s" % heap["figures_from"])
    mal = [r for r in memory["regions"] if r["name"] == "malloc"][0]
    kept_bytes = sum(s["live_bytes"] for s in kept)
    check(mal["tracked_bytes"] >= kept_bytes, "tracked_bytes %d, the kept buffers %d" % (
        mal["tracked_bytes"], kept_bytes))
    check("leakbridge: report written to %s (api)" % out in p.stderr,
          "no stderr line for the API dump")


if __name__ == "__main__":
    jtest.main(test)
