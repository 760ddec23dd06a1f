"""leakbridge top on real reports: the zstd leak's site first with its bytes, share, blocks,
status and the user and native frames; --by java|native|module|kind group the same bytes;
JDK frames are folded unless -v; a sampled report says its figures are estimates; --json gives
the same rows with the report's figures, the site's frames and a name without lines.

The memory section first: RSS and the unexplained rest, a row per region in the report's order
whose sizes and shares add up to the RSS ('~' where not exact), each region's key figures, the
perf-data note; --json has the section with shares. On crafted reports: the memory limit line,
findings verbatim (an unknown code as it is), an unknown region, singular counts, jmx figures
(no note), a null figure left out, and a report without a memory section (one line); a site
under the marker frame "[stack too small to walk]"."""
import json
import re

import clitest
from clitest import check, human, line_with

STREAMS = 300


def test(env):
    path, report = clitest.zstd_report(env, "zstd", STREAMS)
    site = clitest.site_with_symbol(report, "ZSTD_createDStream")
    total = sum(s["live_bytes"] for s in report["sites"])
    out = clitest.run(["top", path]).stdout
    check("%s live in %d blocks" % (human(total), report["totals"]["live_count"]) in out,
          "no totals line")
    check("exact figures" in out, "a sample=0 report must say its figures are exact")
    row = line_with(out, "ZSTD_createDStream (libzstd.so.1")
    share = "%.1f%%" % (100.0 * site["live_bytes"] / total)
    for want in (human(site["live_bytes"]), share, " %d " % site["live_count"], "malloc",
                 site["status"], "ZstdLeak.openAndRead (ZstdLeak.java:32) > ZstdInputStreamNoFinalizer.createDStream (ZstdInputStreamNoFinalizer.java) > "):
        check(want in row, "row %r lacks %r" % (row, want))
    check(out.index(row) < out.index("ZSTD_decompressStream"), "sites not largest first")
    check("J ZstdLeak.openStreams (ZstdLeak.java:" in out, "no user frame with its line")
    check("N ZSTD_createDStream+0x" in out and "(libzstd.so.1" in out, "no native frame")

    by = clitest.run(["top", path, "--by", "native"]).stdout
    check(human(site["live_bytes"]) in line_with(by, "ZSTD_createDStream (libzstd.so.1"),
          "--by native row")
    by = clitest.run(["top", path, "--by", "module"]).stdout
    zstd_bytes = sum(s["live_bytes"] for s in report["sites"]
                     if "libzstd.so.1" in (clitest.lbtest.native_frames(s)[0]["module"] or ""))
    check(human(zstd_bytes) in line_with(by, "/usr/lib/x86_64-linux-gnu/libzstd.so.1"),
          "--by module row")
    by = clitest.run(["top", path, "--by", "kind"]).stdout
    check(human(total) in line_with(by, " malloc"), "--by kind row")
    by = clitest.run(["top", path, "--by", "java"]).stdout
    line_with(by, "com.github.luben.zstd.ZstdInputStreamNoFinalizer.createDStream")
    one = clitest.run(["top", path, "-n", "1"]).stdout
    check("ZSTD_decompressStream" not in one and "1 more site" in one, "-n 1: %s" % one)

    # Direct buffers: the JDK frames between Unsafe and the program fold into one line.
    dpath, dreport = clitest.run_report(env, "dbb", "DirectBuffersKept", [37, 1001])
    out = clitest.run(["top", dpath]).stdout
    row = line_with(out, "DirectBuffersKept.keepBuffers (DirectBuffersKept.java:")
    check("direct_buffer" in row and human(37 * 1008) in row and "100.0%" in row, "row %r" % row)
    check("JDK frames" in out and "java.nio.DirectByteBuffer.<init>" not in out,
          "JDK frames not folded:\n" + out)
    out = clitest.run(["top", dpath, "-v"]).stdout
    check("J java.nio.DirectByteBuffer.<init> (DirectByteBuffer.java:" in out, "-v folds")

    # A sampled report.
    spath, sreport = clitest.run_report(env, "sampled", "DirectBuffersKept", [2000, 4096],
                                        options="sample=64k")
    check(sreport["sampling"]["estimated"], "sample=64k gave exact figures")
    out = clitest.run(["top", spath]).stdout
    check("figures are estimates" in out and "64.0 KiB" in out, "no estimate note:\n" + out)

    json_rows(path, report, site, total)
    memory_table(path, report)
    crafted_memory(env, report)
    marker_frame(env, report, site)

    clitest.run(["top", path, "--by", "thread"], expect=2)
    clitest.run(["top"], expect=2)


def json_rows(path, report, site, total):
    """top --json: the rows of the table, with the report's figures."""
    table_row = line_with(clitest.run(["top", path, "-n", "1"]).stdout, "ZSTD_createDStream (")
    out = clitest.run(["top", path, "-n", "1", "--json"]).stdout
    j = json.loads(out)
    r = j["report"]
    for key in ("pid", "sequence", "reason", "time", "uptime_ms"):
        check(r[key] == report[key], "report.%s %r, the report says %r" % (key, r[key],
                                                                          report[key]))
    check(r["path"] == path and r["estimated"] is False and r["live_bytes"] == total and
          r["live_count"] == report["totals"]["live_count"] and
          r["sites"] == len(report["sites"]) and "merged_inputs" not in r, "report %s" % r)
    check(j["by"] == "site" and len(j["rows"]) == 1, "rows %s" % j["rows"])
    row = j["rows"][0]
    check(row["live_bytes"] == site["live_bytes"] and row["live_count"] == site["live_count"] and
          row["sites"] == 1 and abs(row["share"] - site["live_bytes"] / total) < 1e-3,
          "row %s" % {k: v for k, v in row.items() if k != "site"})
    s = row["site"]
    for key in ("id", "kind", "status", "status_rule", "live_bytes", "live_count", "frames"):
        check(s[key] == site[key], "site.%s %r, the report says %r" % (key, s[key], site[key]))
    check(row["name"] == s["name"] and s["name"] in table_row, "name %r not the table's %r" % (
        s["name"], table_row))
    check(s["stable_name"] == "ZstdLeak.openAndRead > ZstdInputStreamNoFinalizer.createDStream > "
          "ZSTD_createDStream", "stable_name %r" % s["stable_name"])
    check(j["more_rows"] == len(report["sites"]) - 1 and
          j["more_live_bytes"] == total - site["live_bytes"], "more %s" % j)
    j = json.loads(clitest.run(["top", path, "-n", "0", "--json"]).stdout)
    check([x["site"]["id"] for x in j["rows"]] == [x["id"] for x in report["sites"]] and
          j["more_rows"] == 0, "-n 0: %s" % [x["site"]["id"] for x in j["rows"]])
    j = json.loads(clitest.run(["top", path, "--by", "kind", "--json"]).stdout)
    check(j["by"] == "kind" and [(x["name"], x["live_bytes"], x["sites"]) for x in j["rows"]] ==
          [("malloc", total, len(report["sites"]))] and "site" not in j["rows"][0],
          "--by kind: %s" % j["rows"])


ROW = re.compile(r"^\s*(~?)(\S+ \S+)\s+(\S+%)\s+(\S+)(?:\s+(.*))?$")


def regions_shown(out):
    """{name: (mark, size, share, figures)} of top's table of regions, in order (a list)."""
    rows = []
    for line in clitest.table(out, "FIGURES"):
        m = ROW.match(line)
        if not m:
            break
        rows.append((m.group(4), m.groups()[:3] + (m.group(5) or "",)))
    return rows


def memory_table(path, report):
    """top's table of regions against the report's memory section."""
    m = report["memory"]
    rss, unexplained = m["rss_bytes"], m["unexplained_bytes"]
    check(sum(g["rss_bytes"] for g in m["regions"]) + unexplained == rss, "the report")
    out = clitest.run(["top", path]).stdout
    check(out.splitlines()[1] == "RSS %s, unexplained %s (%.1f%%)" % (
        human(rss), human(unexplained), 100.0 * unexplained / rss), "RSS line:\n" + out)
    check(out.index("FIGURES") < out.index(" live in "), "the sites come before the memory")
    rows = regions_shown(out)
    names = [g["name"] for g in m["regions"]] + ["unexplained"]
    check([n for n, _ in rows] == names, "rows %s, regions %s" % ([n for n, _ in rows], names))
    shares = 0.0
    for (name, (mark, size, share, _)), bytes_, exact in zip(
            rows, [g["rss_bytes"] for g in m["regions"]] + [unexplained],
            [g["exact"] for g in m["regions"]] + [True]):
        check(size == human(bytes_) and mark == ("" if exact else "~") and
              share == "%.1f%%" % (100.0 * bytes_ / rss), "row %s: %s %s %s" % (
                  name, mark, size, share))
        shares += float(share[:-1])
    check(abs(shares - 100.0) <= 0.05 * len(rows), "shares add up to %.1f%%" % shares)
    check(("~ an estimate" in out) == any(not g["exact"] for g in m["regions"]), "the ~ legend")
    figures = dict((n, r[3]) for n, r in rows)
    heap, malloc = clitest.region(report, "java_heap"), clitest.region(report, "malloc")
    check(figures["java_heap"] == "used %s, committed %s, max %s, %s GC" % (
        human(heap["used_bytes"]), human(heap["committed_bytes"]), human(heap["max_bytes"]),
        heap["collector"]), "java_heap: %r" % figures["java_heap"])
    stacks = clitest.region(report, "thread_stacks")
    check(figures["thread_stacks"] == "%d threads" % stacks["count"], "thread_stacks")
    check(figures["malloc"] == "glibc: %s in use, %s free, %d arenas; leakbridge names %s of %s "
          "in use" % (human(malloc["in_use_bytes"]), human(malloc["free_bytes"]),
                      malloc["arenas"], human(malloc["tracked_bytes"]),
                      human(malloc["in_use_bytes"])), "malloc: %r" % figures["malloc"])
    parts = ", ".join("%s %s" % (p["name"], human(p["rss_bytes"]))
                      for p in clitest.region(report, "other")["parts"] if p["rss_bytes"])
    check(figures["other"] == parts, "other: %r, parts %r" % (figures["other"], parts))
    perf = [g["name"] for g in m["regions"] if g.get("figures_from") == "perf_data"]
    check(perf and "\n%s: figures as of the last GC (perf data)\n" % ", ".join(perf) in out,
          "an exit report's figures are perf data's: %s" % perf)

    j = json.loads(clitest.run(["top", path, "--json"]).stdout)
    jm = j["memory"]
    check(jm["rss_bytes"] == rss and jm["unexplained_bytes"] == unexplained and
          jm["findings"] == m["findings"] and j["memory_limit"] == report.get("memory_limit"),
          "--json memory %s" % {k: v for k, v in jm.items() if k != "regions"})
    check(sum(g["rss_bytes"] for g in jm["regions"]) + jm["unexplained_bytes"] == rss and
          abs(sum(g["share"] for g in jm["regions"]) + jm["unexplained_share"] - 1) < 1e-3,
          "--json regions do not add up to the RSS")
    for g, want in zip(jm["regions"], m["regions"]):
        check(abs(g.pop("share") - want["rss_bytes"] / rss) < 1e-3 and g == want,
              "--json region %s" % g["name"])


def marker_frame(env, report, site):
    """A site recorded where too little of the thread's stack was left to walk: its caller, then
    the marker frame, which shows as its name alone."""
    marker = {"type": "native", "module": None, "symbol": "[stack too small to walk]",
              "offset": "0x0"}
    r = json.loads(json.dumps(report))
    s = [x for x in r["sites"] if x["id"] == site["id"]][0]
    s["frames"] = [clitest.lbtest.native_frames(s)[0], marker]
    out = clitest.run(["top", clitest.write_report(env, "marker.json", r)]).stdout
    check("\n      N [stack too small to walk]\n" in out and "unknown module" not in out,
          "the marker frame:\n" + out)


def crafted_memory(env, report):
    """A container's report: the limit, findings, an unknown region, singular counts."""
    gib, mib = clitest.GIB, clitest.MIB
    heap = dict(clitest.region(report, "java_heap"), rss_bytes=2 * gib, figures_from="jmx",
                used_bytes=None, committed_bytes=2 * gib)
    findings = [{"code": "malloc-free-held", "message": "RSS grows but nothing leaks: 1.1 GiB "
                 "of freed memory is held in 16 glibc arenas; try MALLOC_ARENA_MAX=2 or jemalloc",
                 "figures": {"free_bytes": 1181116006}},
                {"code": "gpu-pinned", "message": "12 MiB pinned by the GPU driver",
                 "figures": {}, "severity": 3}]
    r = clitest.with_memory(report, regions={
        "java_heap": heap, "metaspace": {"figures_from": "jmx"},
        "thread_stacks": {"count": 1, "rss_bytes": 8 * mib},
        "malloc": {"rss_bytes": gib, "arenas": 1}}, unexplained=40 * mib, findings=findings,
        limit={"cgroup_version": 2, "limit_bytes": 4 * gib, "usage_bytes": 3865470566,
               "working_set_bytes": 3758096384, "rss_bytes": 3650722201})
    r["memory"]["regions"].append({"name": "gpu", "rss_bytes": 5 * mib, "exact": True,
                                   "method": "a later agent's", "driver": "x"})
    r["memory"]["rss_bytes"] += 5 * mib
    path = clitest.write_report(env, "container.json", r)
    out = clitest.run(["top", path]).stdout
    rows = dict(regions_shown(out))
    check("\nRSS 3.4 GiB of a 4.0 GiB limit, working set 3.5 GiB, cgroup usage 3.6 GiB\n" in out,
          "no limit line:\n" + out)
    for f in findings:
        check("\nfinding %s: %s\n" % (f["code"], f["message"]) in out, "finding %s" % f["code"])
    check(rows["gpu"][:3] == ("", "5.0 MiB", "%.1f%%" % (500.0 * mib / r["memory"]["rss_bytes"]))
          and rows["thread_stacks"][3] == "1 thread" and
          rows["malloc"][3].startswith("glibc: ") and ", 1 arena; " in rows["malloc"][3] and
          rows["java_heap"][3].startswith("committed 2.0 GiB, max ") and
          rows["unexplained"][1] == "40.0 MiB", "rows %s" % rows)
    check("as of the last GC" not in out, "jmx figures are not as of the last GC:\n" + out)
    j = json.loads(clitest.run(["top", path, "--json"]).stdout)
    check(j["memory_limit"] == r["memory_limit"] and j["memory"]["findings"] == findings and
          clitest.region(j, "gpu")["driver"] == "x", "--json of the crafted report")
    no_limit = clitest.write_report(env, "nolimit.json", dict(r, memory_limit={
        "cgroup_version": 1, "usage_bytes": 1, "rss_bytes": 1}))
    check(" limit" not in clitest.run(["top", no_limit]).stdout, "a limit where there is none")

    older = {k: v for k, v in report.items() if k not in ("memory", "memory_limit")}
    path = clitest.write_report(env, "older.json", older)
    out = clitest.run(["top", path]).stdout
    lines = out.splitlines()
    check(lines[1] == "no memory section (agent before 0.2)" and lines[2] == "" and
          "REGION" not in out and " live in " in lines[3], "a report without memory:\n" + out)
    j = json.loads(clitest.run(["top", path, "--json"]).stdout)
    check(j["memory"] is None and j["memory_limit"] is None and j["rows"], "--json: %s" % {
        k: j[k] for k in ("memory", "memory_limit")})


if __name__ == "__main__":
    clitest.main(test)
