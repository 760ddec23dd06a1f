"""leakbridge check, the CI gate, on real reports of NativeKeep (10 malloc'd blocks of 1237
bytes kept by hold_blocks, 3 mappings of 3 pages kept by map_regions): exit 1 with a
LeakSanitizer-like block per site (bytes, blocks, the mixed stack with file:line), the summary
and the suppressions used; exit 0 once suppressed or under --max-bytes; --kind, --status,
--junit; exit 2 for a bad suppressions file.

Then what CI needs: --status leak-suspect on a report that cannot hold that verdict (no
leak_window, or one that is not decidable) fails with exit 2 and one line, and is judged when a
site already is leak-suspect or the window is decidable; several reports (one per JVM) are each
judged against --max-bytes, with a line each and the total; of several reports of one JVM only
the latest (the exit report) is judged, one line on stderr naming the others, while reports of
other JVMs with the same pid (another start, libjvm.so address, host, or dump order) are all
judged; JUnit test cases are named by what stays the same from run to run (two runs of one
program give the same names; a lambda's per-JVM class name is cut), one case per site across
the reports, and sites with the same name get a hash that differs between them and not from
run to run; --json gives the verdict with the figures of the report."""
import copy
import datetime
import json
import os
import re
import xml.etree.ElementTree as ET

import clitest
from clitest import check, line_with

KEEP, BLOCK, MAPS = 10, 1237, 3
HELD_NAME, MAPPED_NAME = "NativeKeep.keep > hold_blocks", "NativeKeep.map > map_regions"


def suppressions(env, name, text):
    path = os.path.join(env.work, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def edited(env, report, name, change):
    """A copy of report, changed by change(copy), written to name; returns its path."""
    r = copy.deepcopy(report)
    change(r)
    return clitest.write_report(env, name, r)


def junit_cases(env, args, name, expect):
    """Runs check ARGS --junit; returns [(classname, name, outcome, text)] in the file's order."""
    path = os.path.join(env.work, name)
    clitest.run(["check"] + args + ["--junit", path], expect=expect)
    cases = []
    for c in ET.parse(path).getroot().iter("testcase"):
        outcome, text = "passed", ""
        for tag in ("failure", "skipped"):
            if c.find(tag) is not None:
                outcome, text = tag, (c.find(tag).text or c.find(tag).get("message") or "")
        cases.append((c.get("classname"), c.get("name"), outcome, text))
    return cases


def basics(env, path, report):
    held = clitest.site_with_symbol(report, "hold_blocks")
    mapped = clitest.site_with_symbol(report, "map_regions")
    check(held["live_bytes"] == KEEP * BLOCK, "hold_blocks site holds %d B" % held["live_bytes"])
    total = held["live_bytes"] + mapped["live_bytes"]

    out = clitest.run(["check", path], expect=1).stdout
    head = line_with(out, "malloc leak of %d bytes" % held["live_bytes"])
    check("in %d blocks, status %s" % (KEEP, held["status"]) in head, head)
    block = out[out.index(head):]
    check("#0 hold_blocks+0x" in block and "/libleakkeep.so+0x" in block, "native frame")
    check("#1 Java_NativeKeep_keep+0x" in block, "JNI frame")
    check("#3 NativeKeep.leakNative (NativeKeep.java:" in block, "Java frame with its line")
    line_with(out, "mmap leak of %d bytes" % mapped["live_bytes"], "in %d blocks" % MAPS)
    summary = line_with(out, "SUMMARY: leakbridge:")
    check("%d bytes" % total in summary and "at 2 sites over the limit of 0 B" in summary,
          summary)

    sup = suppressions(env, "maps.supp", "# mappings are fine\nleak:map_regions\n\n")
    out = clitest.run(["check", path, "--suppressions", sup], expect=1).stdout
    check("mmap leak" not in out, "suppressed site printed")
    summary = line_with(out, "SUMMARY:")
    check("%d bytes" % held["live_bytes"] in summary and "; 1 site with" in summary and
          " at 1 site over" in summary, summary)
    used = line_with(out, "map_regions")
    check(used.split() == ["1", str(mapped["live_bytes"]), "map_regions"],
          "suppressions used: %r" % used)

    # Glob and anchors, against class.method, symbol and module path.
    sup = suppressions(env, "all.supp", "leak:^NativeKeep.leak*\nleak:libleakkeep.so$\n")
    out = clitest.run(["check", path, "--suppressions", sup], expect=0).stdout
    check("within the limit" in line_with(out, "SUMMARY:"), "not clean")
    check(line_with(out, "^NativeKeep.leak*").split()[0] == "1", "pattern 1 used once")
    check(line_with(out, "libleakkeep.so$").split()[0] == "1", "pattern 2 used once")
    sup = suppressions(env, "nomatch.supp", "leak:^leakNative\nleak:NativeKeep.mapNat$\n")
    out = clitest.run(["check", path, "--suppressions", sup], expect=1).stdout
    check("Suppressions used" not in out, "an anchored pattern matched wrongly")

    clitest.run(["check", path, "--max-bytes", total], expect=0)
    clitest.run(["check", path, "--max-bytes", total - 1], expect=1)
    out = clitest.run(["check", path, "--kind", "mmap"], expect=1).stdout
    check("malloc leak" not in out and "mmap leak" in out, "--kind mmap")

    cases = junit_cases(env, [path, "--suppressions", suppressions(
        env, "maps.supp", "leak:map_regions\n")], "junit.xml", 1)
    check(len(cases) == len(report["sites"]), "%d test cases" % len(cases))
    failed = [c for c in cases if c[2] == "failure"]
    skipped = [c for c in cases if c[2] == "skipped"]
    check(len(failed) == 1 and len(skipped) == 1, "cases %s" % cases)
    check(failed[0][:2] == ("leakbridge.malloc", HELD_NAME), "failed case %s" % (failed[0],))
    check("#0 hold_blocks+0x" in failed[0][3] and "NativeKeep.leakNative (NativeKeep.java:" in
          failed[0][3], "failure text %r" % failed[0][3])
    check(skipped[0][:2] == ("leakbridge.mmap", MAPPED_NAME) and "map_regions" in skipped[0][3],
          "skipped case %s" % (skipped[0],))

    bad = suppressions(env, "bad.supp", "leak:ok\nrace:foo\n")
    err = clitest.run(["check", path, "--suppressions", bad], expect=2).stderr
    check("bad.supp: line 2: expected leak:PATTERN" in err, "message %r" % err)
    # Anchor-only patterns would match every frame and pass every leak: refused, by line.
    for n, text in enumerate(["leak:$", "leak:^", "leak:^$"]):
        bad = suppressions(env, "anchor%d.supp" % n, "# comment\n%s\n" % text)
        err = clitest.run(["check", path, "--suppressions", bad], expect=2).stderr
        check("anchor%d.supp: line 2: '%s' has no pattern between its anchors" % (n, text) in err,
              "message for %s: %r" % (text, err))
    nul = os.path.join(env.work, "nul.supp")
    with open(nul, "wb") as f:
        f.write(b"leak:ok\nleak:hold\0zzz\n")
    err = clitest.run(["check", path, "--suppressions", nul], expect=2).stderr
    check("nul.supp: line 2: a NUL byte in the line" in err, "message %r" % err)
    err = clitest.run(["check", path, "--max-bytes", "lots"], expect=2).stderr
    check("--max-bytes 'lots'" in err, "message %r" % err)
    return total


def leak_suspect(env, path, report):
    """--status leak-suspect: refused where the report cannot hold the verdict."""
    held = clitest.site_with_symbol(report, "hold_blocks")
    short = {"window_ms": 10000, "observed_ms": 700, "reports": 1, "decidable": False}
    cases = [
        ("nowindow.json", lambda r: r.pop("leak_window", None),
         "cannot hold a leak-suspect verdict: it has no leak_window (an older agent's report) "
         "and no leak-suspect site"),
        ("short.json", lambda r: r.update(leak_window=short),
         "cannot hold a leak-suspect verdict: its run's 1 report span 0.7 s, not enough for the "
         "leak window of 10.0 s (leak_window.decidable is false)"),
    ]
    for name, change, message in cases:
        bad = edited(env, report, name, change)
        p = clitest.run(["check", bad, "--status", "leak-suspect"], expect=2)
        lines = p.stderr.strip().splitlines()
        check(len(lines) == 1 and lines[0] == "leakbridge: %s %s; --status any (the default) "
              "gates on all live bytes" % (bad, message), "%s: %r" % (name, p.stderr))
        check(p.stdout == "", "%s: judged anyway: %r" % (name, p.stdout))
        # live counts too: the gate works without the verdict.
        clitest.run(["check", bad, "--status", "live,leak-suspect"], expect=1)
    # Reports of two JVMs, one of them undecidable: refused, naming it.
    long_run = dict(short, observed_ms=600000, reports=3, decidable=True)
    decidable = edited(env, report, "decidable.json", lambda r: r.update(
        leak_window=long_run, pid=r["pid"] + 1))
    err = clitest.run(["check", decidable, bad, "--status", "leak-suspect"], expect=2).stderr
    check("%s cannot hold" % bad in err and decidable not in err, "message %r" % err)
    # A decidable window: judged (no site is leak-suspect, so nothing counts).
    out = clitest.run(["check", decidable, "--status", "leak-suspect"], expect=0).stdout
    check("0 bytes (0 B) live in 0 blocks at 0 sites within" in out, out)
    # A site that is leak-suspect already: the report holds the verdict, window or not.
    suspect = edited(env, report, "suspect.json", lambda r: [
        s.update(status="leak-suspect", status_rule="growing") for s in r["sites"]
        if s["id"] == held["id"]])
    out = clitest.run(["check", suspect, "--status", "leak-suspect"], expect=1).stdout
    line_with(out, "malloc leak of %d bytes" % held["live_bytes"], "status leak-suspect")
    check("mmap leak" not in out, "a live site counted for --status leak-suspect")
    # The reader checks the field: each command refuses a wrong one.
    bad_window = edited(env, report, "badwindow.json", lambda r: r.update(
        leak_window=dict(short, decidable="no")))
    err = clitest.run(["top", bad_window], expect=2).stderr
    check("leak_window.decidable: expected true or false, found a string" in err, err)


def several_jvms(env, path, total):
    """Reports of two runs of NativeKeep, and of a run that keeps nothing: each is judged."""
    path2, report2 = clitest.run_report(env, "keep2", "NativeKeep", ["keep", KEEP, "map", MAPS])
    clean, _ = clitest.run_report(env, "clean", "NativeKeep", ["handoff", 5])
    out = clitest.run(["check", path, clean], expect=1).stdout
    line_with(out, "%s: pid " % path, ": %d bytes" % total, "at 2 sites, over the limit")
    line_with(out, "%s: pid " % clean, ": 0 bytes (0 B) live in 0 blocks at 0 sites, within")
    summary = line_with(out, "SUMMARY:")
    check("%d bytes" % total in summary and "in 2 reports; 1 report over the limit" in summary,
          summary)
    # --max-bytes is for each report (each JVM), not for their sum.
    out = clitest.run(["check", path, path2, "--max-bytes", total], expect=0).stdout
    check("in 2 reports; 0 reports over" in line_with(out, "SUMMARY:"), out)
    out = clitest.run(["check", path, path2, "--max-bytes", total - 1], expect=1).stdout
    check("%d bytes" % (2 * total) in line_with(out, "SUMMARY:") and
          "2 reports over" in line_with(out, "SUMMARY:"), out)
    return path2, report2


def junit_names(env, path, report, path2):
    """Stable names: two runs give the same; cases across reports; a hash for a name shared."""
    first = junit_cases(env, [path], "run1.xml", 1)
    second = junit_cases(env, [path2], "run2.xml", 1)
    check([c[:2] for c in first] == [c[:2] for c in second] ==
          [("leakbridge.malloc", HELD_NAME), ("leakbridge.mmap", MAPPED_NAME)],
          "the names differ between runs: %s, %s" % ([c[:2] for c in first],
                                                     [c[:2] for c in second]))
    # Both runs at once: one case per site, failing with both reports' blocks.
    both = junit_cases(env, [path, path2], "both.xml", 1)
    check([c[:2] for c in both] == [c[:2] for c in first], "cases over two reports: %s" % both)
    check(all(path in c[3] and path2 in c[3] for c in both), "a report missing in %s" % both)

    held = clitest.site_with_symbol(report, "hold_blocks")

    def twins(r):
        # Same kind and key frames, another caller further out: another site, the same name.
        other = copy.deepcopy(held)
        other["id"] = 98
        other["frames"][-1]["method"] = "otherMain"
        # The same site at another line: the same site, one case.
        moved = copy.deepcopy(held)
        moved["id"] = 99
        moved["frames"][3]["line"] += 100
        r["sites"] += [other, moved]
    twin = edited(env, report, "twins.json", twins)
    cases = junit_cases(env, [twin], "twins.xml", 1)
    named = [c[1] for c in cases if c[0] == "leakbridge.malloc"]
    check(len(named) == 2 and len(set(named)) == 2 and
          all(re.fullmatch(re.escape(HELD_NAME) + r" \[[0-9a-f]{8}\]", n) for n in named),
          "twins named %s" % named)
    again = junit_cases(env, [twin], "twins-again.xml", 1)
    check([c[1] for c in again] == [c[1] for c in cases], "hashes differ between runs")
    moved = [c[3] for c in cases if c[0] == "leakbridge.malloc" and "otherMain" not in c[3]][0]
    check(moved.count("malloc leak of") == 2, "the moved site is not in its twin's case")

    # A lambda's class is named by the JVM: its per-JVM part is not in the name.
    def hidden(suffix):
        def change(r):
            s = [s for s in r["sites"] if s["id"] == held["id"]][0]
            s["frames"][2]["class"] = "NativeKeep$$Lambda$%s" % suffix
        return change
    a = edited(env, report, "lambda-a.json", hidden("14.0x00007f2928000a08"))
    b = edited(env, report, "lambda-b.json", hidden("15.0x0000000800c01234"))
    na = [c[1] for c in junit_cases(env, [a], "lambda-a.xml", 1)]
    nb = [c[1] for c in junit_cases(env, [b], "lambda-b.xml", 1)]
    check(na == nb and "NativeKeep$$Lambda.keep > hold_blocks" in na, "lambda names %s %s" % (
        na, nb))


def later(time, seconds):
    """A report's time, seconds later."""
    t = datetime.datetime.strptime(time, "%Y-%m-%dT%H:%M:%SZ") + datetime.timedelta(0, seconds)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def one_jvm(env):
    """Several dumps of one JVM: only the exit report is judged; other JVMs with its pid are."""
    paths = clitest.live_dumps(env, "dumps", [["zstd-keep 10"], ["zstd-keep 10"]])
    reports = [env.load(p) for p in paths]
    check(reports[2]["reason"] == "exit", "the last report is %s" % reports[2]["reason"])
    exit_bytes = sum(x["live_bytes"] for x in reports[2]["sites"])
    for order in (paths, paths[::-1]):
        p = clitest.run(["check"] + order, expect=1)
        lines = p.stderr.strip().splitlines()
        want = ("leakbridge check: judging the latest report of each JVM; left out 2 earlier "
                "reports: ")
        check(len(lines) == 1 and lines[0].startswith(want), "stderr %r" % p.stderr)
        for path, r in zip(paths[:2], reports[:2]):
            check("%s (pid %d, dump %d)" % (path, r["pid"], r["sequence"]) in lines[0],
                  "%s not named in %r" % (path, lines[0]))
        check(paths[2] not in p.stderr, "the exit report left out")
        check("%d bytes" % exit_bytes in line_with(p.stdout, "SUMMARY:") and
              "in 2 reports" not in p.stdout, p.stdout)
    verdict = json.loads(clitest.run(["check", "--json"] + paths, expect=1).stdout)
    check([r["report"]["path"] for r in verdict["reports"]] == [paths[2]] and
          [r["path"] for r in verdict["left_out"]] == paths[:2], "json %s" % verdict)
    # Without the exit report, the latest dump.
    verdict = json.loads(clitest.run(["check", "--json"] + paths[:2], expect=1).stdout)
    check([r["report"]["path"] for r in verdict["reports"]] == [paths[1]], "latest dump")

    # Not the same JVM: another pid; the same pid with another start, libjvm.so address, host,
    # or dumps out of order.
    first = reports[0]

    def jvm_base(r, base):
        for m in r["modules"]:
            if m["path"].endswith("/libjvm.so"):
                m["base"] = base
    others = {
        "pid": lambda r: r.update(pid=r["pid"] + 1),
        "start": lambda r: r.update(time=later(r["time"], 3600)),
        "libjvm": lambda r: jvm_base(r, "0x7f0000000000"),
        "host": lambda r: r.update(host="pod-b"),
        "order": lambda r: r.update(sequence=7),
    }
    for name, change in others.items():
        other = edited(env, first, "other-%s.json" % name, change)
        p = clitest.run(["check", paths[1], other], expect=1)
        check("left out" not in p.stderr and "in 2 reports" in line_with(p.stdout, "SUMMARY:"),
              "%s: taken for the same JVM: %s" % (name, p.stderr))
    # The same host on both, and the same JVM: one left out.
    a = edited(env, first, "host-a1.json", lambda r: r.update(host="pod-a"))
    b = edited(env, reports[1], "host-a2.json", lambda r: r.update(host="pod-a"))
    err = clitest.run(["check", a, b], expect=1).stderr
    check("left out 1 earlier report: %s" % a in err, err)


def json_verdict(env, path, report, total):
    held = clitest.site_with_symbol(report, "hold_blocks")
    mapped = clitest.site_with_symbol(report, "map_regions")
    sup = suppressions(env, "maps.supp", "leak:map_regions\n")
    v = json.loads(clitest.run(["check", path, "--json", "--max-bytes", "1k", "--suppressions",
                                sup], expect=1).stdout)
    check(v["verdict"] == "leaks" and v["max_bytes"] == 1024 and v["reports_over"] == 1, v)
    check(v["live_bytes"] == held["live_bytes"] and v["live_count"] == KEEP and v["sites"] == 1,
          "totals %s" % v)
    r = v["reports"][0]
    check(r["report"]["path"] == path and r["report"]["pid"] == report["pid"] and
          r["report"]["reason"] == report["reason"] and r["report"]["live_bytes"] == total and
          r["report"]["sites"] == len(report["sites"]), "report %s" % r["report"])
    check(r["over"] and r["live_bytes"] == held["live_bytes"] and
          r["suppressed_bytes"] == mapped["live_bytes"] and r["suppressed_sites"] == 1, r)
    counted = r["counted"]
    check(len(counted) == 1 and counted[0]["id"] == held["id"] and
          counted[0]["kind"] == "malloc" and counted[0]["live_bytes"] == held["live_bytes"] and
          counted[0]["live_count"] == held["live_count"] and
          counted[0]["status"] == held["status"] and counted[0]["frames"] == held["frames"] and
          counted[0]["stable_name"] == HELD_NAME and
          counted[0]["name"].startswith("NativeKeep.keep (NativeKeep.java) > hold_blocks"),
          "counted %s" % counted)
    check(len(r["suppressed"]) == 1 and r["suppressed"][0]["id"] == mapped["id"] and
          r["suppressed"][0]["suppression"] == "map_regions", "suppressed %s" % r["suppressed"])
    check(v["suppressions_used"] == [{"pattern": "map_regions", "sites": 1,
                                      "bytes": mapped["live_bytes"]}], v["suppressions_used"])
    check(v["left_out"] == [], "left out %s" % v["left_out"])
    v = json.loads(clitest.run(["check", path, "--json", "--max-bytes", total]).stdout)
    check(v["verdict"] == "clean" and v["reports_over"] == 0 and not v["reports"][0]["over"] and
          len(v["reports"][0]["counted"]) == 2, v)


def test(env):
    path, report = clitest.run_report(env, "keep", "NativeKeep", ["keep", KEEP, "map", MAPS])
    total = basics(env, path, report)
    leak_suspect(env, path, report)
    path2, _ = several_jvms(env, path, total)
    junit_names(env, path, report, path2)
    json_verdict(env, path, report, total)
    one_jvm(env)


if __name__ == "__main__":
    clitest.main(test)
