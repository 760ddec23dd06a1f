"""leakbridge top on real reports: the zstd leak's site first with its bytes, share, blocks,
status and the user and native frames; --by java|native|module|kind group the same bytes;
JDK frames are folded unless -v; a sampled report says its figures are estimates; --json gives
the same rows with the report's figures, the site's frames and a name without lines."""
import json

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


if __name__ == "__main__":
    clitest.main(test)
