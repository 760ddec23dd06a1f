"""leakbridge diff on two jcmd dumps of one JVM (LiveDumps): 100 zstd streams kept before the
first, 150 more and 20 direct buffers before the second. The stream site grew by exactly the
bytes and blocks the reports say, the buffers' site is new; swapped arguments and reports of
another process are refused unless --force. --json gives the same changes with both reports'
figures."""
import json

import clitest
from clitest import check, growth, line_with


def stream_site(report):
    return [s for s in clitest.lbtest.sites_with_symbol(report, "ZSTD_createDStream")
            if ("LiveDumps", "keepStreams") in clitest.lbtest.java_frames(s)][0]


def test(env):
    first_path, second_path = clitest.live_dumps(env, "live", [
        ["zstd-keep 100"], ["zstd-keep 150", "dbb-keep 20 4099"]])[:2]
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

    j = json.loads(clitest.run(["diff", first_path, second_path, "--json"]).stdout)
    for side, path, r in (("old", first_path, first), ("new", second_path, second)):
        check(j[side]["path"] == path and j[side]["sequence"] == r["sequence"] and
              j[side]["pid"] == r["pid"] and j[side]["reason"] == "jcmd" and
              j[side]["live_bytes"] == sum(x["live_bytes"] for x in r["sites"]) and
              j[side]["sites"] == len(r["sites"]), "%s: %s" % (side, j[side]))
    check(j["live_bytes_change"] == j["new"]["live_bytes"] - j["old"]["live_bytes"] and
          j["live_count_change"] == j["new"]["live_count"] - j["old"]["live_count"], "change")
    grown = j["changes"][0]
    check(grown["change"] == "grown" and grown["growth_count"] == 150 and
          grown["growth_bytes"] == b["live_bytes"] - a["live_bytes"] and
          grown["old_bytes"] == a["live_bytes"] and grown["new_bytes"] == b["live_bytes"] and
          grown["old_count"] == a["live_count"] and grown["new_count"] == b["live_count"] and
          grown["site"]["id"] == b["id"] and grown["site"]["frames"] == b["frames"] and
          grown["site"]["kind"] == "malloc", "first change %s" % grown)
    new = [c for c in j["changes"] if c["change"] == "new"]
    check(len(new) == 1 and new[0]["growth_count"] == 20 and new[0]["old_bytes"] == 0 and
          new[0]["site"]["stable_name"] == "LiveDumps.keepBuffers", "new %s" % new)
    shown = len(j["changes"]) + j["unchanged_not_shown"]
    one = json.loads(clitest.run(["diff", first_path, second_path, "--json", "-n", "1"]).stdout)
    check(len(one["changes"]) == 1 and one["more_rows"] == len(j["changes"]) - 1 and
          one["changes"][0] == grown, "-n 1: %s" % one["more_rows"])
    out = clitest.run(["diff", first_path, second_path, "-n", len(j["changes"]) - 1]).stdout
    check("\n... 1 more row (-n 0 shows all)\n" in out, "one row left out:\n" + out)
    every = json.loads(clitest.run(["diff", first_path, second_path, "--json", "-a"]).stdout)
    check(len(every["changes"]) == shown and every["unchanged_not_shown"] == 0, "-a")

    err = clitest.run(["diff", second_path, first_path], expect=2).stderr
    check("swap OLD and NEW" in err, "reversed: %r" % err)
    other, _ = clitest.zstd_report(env, "other", 10)
    err = clitest.run(["diff", first_path, other], expect=2).stderr
    check("different processes" in err and "--force" in err, "other process: %r" % err)
    out = clitest.run(["diff", "--force", first_path, other]).stdout
    line_with(out, "ZstdLeak.openAndRead", "new")
    line_with(out, "LiveDumps.keepStreams", "vanished")

    # Every container's JVM is pid 1: the run id the agent writes tells a restarted JVM's
    # reports (same pid, same host, same JDK) from the first one's.
    first, second = env.load(first_path), env.load(second_path)
    check(first["run_id"] == second["run_id"], "two dumps of one run with run ids %s, %s" % (
        first["run_id"], second["run_id"]))
    restarted = dict(second, run_id="%016x" % (int(second["run_id"], 16) ^ 1))
    restarted_path = clitest.write_report(env, "restarted.json", restarted)
    err = clitest.run(["diff", first_path, restarted_path], expect=2).stderr
    check("different runs of pid %d" % first["pid"] in err and "--force" in err,
          "another run of the same pid: %r" % err)


if __name__ == "__main__":
    clitest.main(test)
