"""leakbridge diff on two jcmd dumps of one JVM (LiveDumps): 100 zstd streams kept before the
first, 150 more and 20 direct buffers before the second. The stream site grew by exactly the
bytes and blocks the reports say, the buffers' site is new; swapped arguments and reports of
another process are refused unless --force. --json gives the same changes with both reports'
figures.

Before the sites, the memory sections: RSS and the unexplained rest before and after, a row per
region (and the unexplained rest) with its change, largest change first, and malloc's in use,
free and tracked bytes, as the reports say. On crafted pairs: the row order, the allocator
holding freed memory (and not when in-use bytes rose, or free bytes rose too little), findings
that appeared and went, and a report without a memory section."""
import json
import re

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
    memory_changes(first_path, second_path, first, second)
    crafted(env, second)


ROW = re.compile(r"^\s*(\S+ \S+)\s+(\S+ \S+)\s+(\S+ \S+)\s+(\S+)$")


def rows_of(out):
    """[(name, change, old, new)] of diff's table of regions."""
    rows = []
    for line in clitest.table(out, "REGION"):
        m = ROW.match(line)
        if not m:  # malloc's line, the findings
            break
        rows.append((m.group(4),) + m.groups()[:3])
    return rows


def expected_rows(old, new):
    """(name, old bytes, new bytes) of every region and the unexplained rest, largest change
    first (NEW's order, then OLD's, among equal changes)."""
    o = {g["name"]: g["rss_bytes"] for g in old["memory"]["regions"]}
    n = {g["name"]: g["rss_bytes"] for g in new["memory"]["regions"]}
    names = list(n) + [x for x in o if x not in n]
    rows = [(x, o.get(x, 0), n.get(x, 0)) for x in names]
    rows.append(("unexplained", old["memory"]["unexplained_bytes"],
                 new["memory"]["unexplained_bytes"]))
    return sorted(rows, key=lambda r: -abs(r[2] - r[1]))


def memory_changes(first_path, second_path, first, second):
    out = clitest.run(["diff", first_path, second_path]).stdout
    o, n = first["memory"], second["memory"]
    line_with(out, "RSS %s -> %s (%s), unexplained %s -> %s (%s)" % (
        clitest.human(o["rss_bytes"]), clitest.human(n["rss_bytes"]),
        growth(n["rss_bytes"] - o["rss_bytes"]), clitest.human(o["unexplained_bytes"]),
        clitest.human(n["unexplained_bytes"]),
        growth(n["unexplained_bytes"] - o["unexplained_bytes"])))
    check(out.index("REGION") < out.index("\nlive ") < out.index("ZSTD_createDStream"),
          "the regions come before the sites:\n" + out)
    want = expected_rows(first, second)
    got = rows_of(out)
    check([(r[0], r[2], r[3]) for r in got] ==
          [(x, clitest.human(a), clitest.human(b)) for x, a, b in want] and
          all(r[1] == growth(b - a) for r, (_, a, b) in zip(got, want)),
          "rows %s, expected %s" % (got, want))
    mo, mn = clitest.region(first, "malloc"), clitest.region(second, "malloc")
    line = "malloc: " + ", ".join("%s %s -> %s (%s)" % (
        label, clitest.human(mo[key]), clitest.human(mn[key]), growth(mn[key] - mo[key]))
        for label, key in (("in use", "in_use_bytes"), ("free", "free_bytes"),
                           ("leakbridge names", "tracked_bytes")))
    check(line in out.splitlines(), "no %r in:\n%s" % (line, out))
    check("holds freed memory" not in out, "the streams are in use, not freed memory")

    j = json.loads(clitest.run(["diff", first_path, second_path, "--json"]).stdout)["memory"]
    check([(r["name"], r["old_bytes"], r["new_bytes"], r["growth_bytes"]) for r in j["regions"]]
          == [(x, a, b, b - a) for x, a, b in want], "--json regions %s" % j["regions"])
    check(j["old_rss_bytes"] == o["rss_bytes"] and j["new_rss_bytes"] == n["rss_bytes"] and
          j["rss_growth_bytes"] == n["rss_bytes"] - o["rss_bytes"], "--json rss")
    for key in ("rss_bytes", "in_use_bytes", "free_bytes", "tracked_bytes"):
        check(j["malloc"][key] == {"old": mo[key], "new": mn[key], "growth": mn[key] - mo[key]},
              "--json malloc.%s %s" % (key, j["malloc"][key]))
    check(j["malloc"]["holds_freed_memory"] is False, "--json holds_freed_memory")


def crafted(env, report):
    """Two reports of one run whose malloc RSS rose with its free bytes, not its bytes in use."""
    mib = clitest.MIB
    malloc = clitest.region(report, "malloc")
    rss, free, in_use = 100 * mib, 10 * mib, 80 * mib
    many = {"code": "many-threads", "message": "2021 threads hold 52.7 MiB in their stacks",
            "figures": {"count": 2021}}
    held = {"code": "malloc-free-held", "message": "RSS grows but nothing leaks: 300.0 MiB of "
            "freed memory is held in 16 glibc arenas", "figures": {}}
    heap = clitest.region(report, "java_heap")["rss_bytes"]

    def pair(name, rss_growth, free_growth, in_use_growth):
        old = clitest.with_memory(report, regions={"malloc": {
            "rss_bytes": rss, "free_bytes": free, "in_use_bytes": in_use}},
            unexplained=0, findings=[many])
        new = clitest.with_memory(report, regions={
            "malloc": {"rss_bytes": rss + rss_growth, "free_bytes": free + free_growth,
                       "in_use_bytes": in_use + in_use_growth},
            "java_heap": {"rss_bytes": heap + 10 * mib}}, unexplained=50 * mib, findings=[held],
            sequence=report["sequence"] + 1, uptime_ms=report["uptime_ms"] + 1000)
        return (clitest.write_report(env, name + "-old.json", old),
                clitest.write_report(env, name + "-new.json", new))

    old, new = pair("freed", 300 * mib, 290 * mib, 1 * mib)
    out = clitest.run(["diff", old, new]).stdout
    names = [r[0] for r in rows_of(out)]
    rest = [g["name"] for g in report["memory"]["regions"] if g["name"] not in (
        "malloc", "java_heap")]
    check(names == ["malloc", "unexplained", "java_heap"] + rest, "order %s" % names)
    check("\nthe allocator holds freed memory: not a leak (malloc's RSS +300.0 MiB, its free "
          "bytes +290.0 MiB, in use +1.0 MiB)\n" in out, "no freed-memory line:\n" + out)
    check("\nfinding new   malloc-free-held: %s\n" % held["message"] in out and
          "\nfinding gone  many-threads: %s\n" % many["message"] in out, "findings:\n" + out)
    j = json.loads(clitest.run(["diff", old, new, "--json"]).stdout)["memory"]
    check(j["malloc"]["holds_freed_memory"] is True and
          j["findings_appeared"] == [{"code": held["code"], "message": held["message"]}] and
          j["findings_gone"] == [{"code": many["code"], "message": many["message"]}] and
          [r["name"] for r in j["regions"]] == names, "--json %s" % j)

    for name, free_growth, in_use_growth in (("leak", 0, 300 * mib), ("in-use", 290 * mib,
                                                                      31 * mib),
                                             ("little", 140 * mib, 0)):
        old, new = pair(name, 300 * mib, free_growth, in_use_growth)
        out = clitest.run(["diff", old, new]).stdout
        check("holds freed memory" not in out, "%s: flagged as freed memory:\n%s" % (name, out))
        j = json.loads(clitest.run(["diff", old, new, "--json"]).stdout)["memory"]
        check(j["malloc"]["holds_freed_memory"] is False, "%s: --json" % name)

    older = clitest.write_report(env, "older.json", {
        k: v for k, v in report.items() if k != "memory"})
    out = clitest.run(["diff", older, new]).stdout
    check("\nno memory section in OLD (agent before 0.2)\n\nlive " in out and "REGION" not in out,
          "a report without memory:\n" + out)
    check(json.loads(clitest.run(["diff", older, new, "--json"]).stdout)["memory"] is None,
          "--json memory of a report without one")


if __name__ == "__main__":
    clitest.main(test)
