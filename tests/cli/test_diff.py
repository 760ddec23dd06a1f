"""leakbridge diff on two jcmd dumps of one JVM (LiveDumps): 100 zstd streams kept before the
first, 150 more and 20 direct buffers before the second. The stream site grew by exactly the
bytes and blocks the reports say, the buffers' site is new; swapped arguments and reports of
another process are refused unless --force."""
import clitest
from clitest import check, growth, line_with


def stream_site(report):
    return [s for s in clitest.lbtest.sites_with_symbol(report, "ZSTD_createDStream")
            if ("LiveDumps", "keepStreams") in clitest.lbtest.java_frames(s)][0]


def test(env):
    s = clitest.lbtest.Session(env, "live")
    try:
        s.do("zstd-keep 100")
        s.dump()
        s.do("zstd-keep 150")
        s.do("dbb-keep 20 4099")
        s.dump()
        s.quit()
    finally:
        s.kill()
    first_path, second_path = s.report_paths()[:2]
    first, second = env.load(first_path), env.load(second_path)
    a, b = stream_site(first), stream_site(second)

    out = clitest.run(["diff", first_path, second_path]).stdout
    row = line_with(out, "ZSTD_createDStream (libzstd.so.1")
    check(row.split()[:2] == [growth(b["live_bytes"] - a["live_bytes"]).split()[0],
                              growth(b["live_bytes"] - a["live_bytes"]).split()[1]],
          "growth in %r" % row)
    check(" +150 " in row and "grown" in row and "malloc" in row, "row %r" % row)
    check(clitest.human(a["live_bytes"]) in row and clitest.human(b["live_bytes"]) in row,
          "old and new figures in %r" % row)
    dbb = line_with(out, "LiveDumps.keepBuffers")
    check(" new " in dbb and " +20 " in dbb and "direct_buffer" in dbb, "row %r" % dbb)
    check(out.index(row) < out.index(dbb), "not sorted by growth:\n" + out)
    check("sites %d -> %d" % (len(first["sites"]), len(second["sites"])) in out, "header")

    err = clitest.run(["diff", second_path, first_path], expect=2).stderr
    check("swap OLD and NEW" in err, "reversed: %r" % err)
    other, _ = clitest.zstd_report(env, "other", 10)
    err = clitest.run(["diff", first_path, other], expect=2).stderr
    check("different processes" in err and "--force" in err, "other process: %r" % err)
    out = clitest.run(["diff", "--force", first_path, other]).stdout
    line_with(out, "ZstdLeak.openAndRead", "new")
    line_with(out, "LiveDumps.keepStreams", "vanished")


if __name__ == "__main__":
    clitest.main(test)
