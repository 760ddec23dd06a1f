"""Broken and hostile reports: truncated, not JSON, empty, another format or version,
duplicate keys, a lone surrogate (\\udc00) in a string, huge numbers, deep nesting, missing
fields, wrong types, sums past 64 bits, absurdly deep stacks, a memory section of the wrong
shape or whose regions do not add up to its RSS. Every command exits 2 with one line naming
the file and what was wrong, and never crashes. Also: --help on every command, usage errors
exit 2."""
import copy
import json
import os
import re

import clitest
from clitest import check

COMMANDS = ["top", "diff", "check", "flame", "merge", "attach", "dump"]


def commands_on(env, bad, good):
    """Each report command with the bad file in some place."""
    return [["top", bad], ["check", bad], ["diff", good, bad], ["diff", bad, good],
            ["flame", bad, "--collapsed"], ["flame", "--diff", good, bad, "--collapsed"],
            ["merge", good, bad, "-o", os.path.join(env.work, "merged.json")]]


def test(env):
    good, report = clitest.run_report(env, "dbb", "DirectBuffersKept", [5, 1001])
    text = open(good).read()
    site = report["sites"][0]

    def edited(change):
        r = copy.deepcopy(report)
        change(r)
        return json.dumps(r)

    cases = [
        ("truncated", text[:len(text) // 2], "truncated"),
        ("notjson", "this is not JSON\n", "not valid JSON"),
        ("empty", "", "the file is empty"),
        ("array", "[1, 2, 3]", "the document is an array"),
        ("format", edited(lambda r: r.update(format="jeprof")), "not a leakbridge report"),
        ("noformat", edited(lambda r: r.pop("format")), "no \"format\" field"),
        ("version", edited(lambda r: r.update(version=2)), "report format version 2; this leakbridge reads version 1"),
        ("duplicate", re.sub(r'"pid":', '"pid": 1, "pid":', text, count=1), "duplicate"),
        ("surrogate", re.sub(r'"method":\s*"', r'"method": "\\udc00', text, count=1),
         "not valid JSON: invalid Unicode in a string at line 1, column "),
        ("huge", re.sub(r'"uptime_ms":\s*\d+', '"uptime_ms": 99999999999999999999999', text),
         "too big"),
        ("real", edited(lambda r: r["sites"][0].update(live_bytes=1.5)),
         "sites[0].live_bytes: expected an integer, found a number with a fraction"),
        ("negative", edited(lambda r: r["sites"][0].update(live_count=-4)),
         "sites[0].live_count: -4 is below"),
        ("deep", '{"format": "leakbridge-report", "x": ' + "[" * 100000 + "]" * 100000 + "}",
         "JSON"),
        ("nosites", edited(lambda r: r.pop("sites")), "sites: missing"),
        ("sitesobject", edited(lambda r: r.update(sites={})),
         "sites: expected an array, found an object"),
        ("noframes", edited(lambda r: r["sites"][0].pop("frames")), "sites[0].frames: missing"),
        ("frametype", edited(lambda r: r["sites"][0]["frames"][1].update({"class": 7})),
         "sites[0].frames[1].class: expected a string, found an integer"),
        ("offset", edited(lambda r: r["sites"][0]["frames"].insert(0, {
            "type": "native", "module": None, "symbol": None, "offset": "banana"})),
         "sites[0].frames[0].offset: expected a hex string"),
        ("jvm", edited(lambda r: r.update(jvm="17")), "jvm: expected an object, found a string"),
        ("overflow", edited(lambda r: r["sites"].extend(
            [dict(site, live_bytes=2 ** 62, id=100 + i) for i in range(3)])),
         "does not fit in 64 bits"),
        ("tall", edited(lambda r: r["sites"][0].update(frames=site["frames"] * 2000)),
         "frames, more than the 4096"),
    ] + memory_cases(report, edited)
    for name, content, message in cases:
        bad = os.path.join(env.work, name + ".json")
        with open(bad, "w") as f:
            f.write(content)
        for args in commands_on(env, bad, good):
            p = clitest.run(args, expect=2)
            lines = p.stderr.strip().splitlines()
            check(len(lines) == 1, "%s: %d lines on stderr" % (name, len(lines)))
            check(lines[0].startswith("leakbridge: %s: " % bad), "%s: %r" % (name, lines[0]))
            check(message in lines[0], "%s: %r lacks %r" % (name, lines[0], message))
            check(p.stdout == "" or args[0] != "top", "%s: top printed before failing" % name)
    p = clitest.run(["top", os.path.join(env.work, "missing.json")], expect=2)
    check("missing.json: unable to open" in p.stderr, "missing file: %r" % p.stderr)
    p = clitest.run(["top", env.work], expect=2)
    check(p.stderr.strip() == "leakbridge: %s: is a directory, not a report" % env.work,
          "a directory: %r" % p.stderr)

    # Growth and GC figures near 2^63: top saturates its sums, merge refuses to overflow.
    big = clitest.write_report(env, "big.json", json.loads(edited(lambda r: [s.update(
        growth={"bytes": 2 ** 63 - 1, "count": 1, "streak": 1},
        gc_released={"bytes": 2 ** 63 - 1, "count": 1}) for s in r["sites"]])))
    check("+8.0 EiB" in clitest.run(["top", big, "--by", "kind"]).stdout, "top of huge growth")
    err = clitest.run(["merge", "--all-dumps", big, big], expect=2).stderr
    check("big.json: site %d: its gc_released" % site["id"] in err, "merge overflow: %r" % err)

    # A later version's additions are read: unknown fields, kinds, statuses, frame types.
    later = edited(lambda r: (r.update(future={"x": 1}), r["sites"].append(dict(
        site, id=99, kind="gpu", status="quarantined", live_bytes=1, live_count=1,
        frames=[{"type": "wasm", "function": "f"}] + site["frames"]))))
    path = clitest.write_report(env, "later.json", json.loads(later))
    out = clitest.run(["top", path]).stdout
    check("gpu" in out and "quarantined" in out and "[wasm frame]" in out, "later:\n" + out)
    clitest.run(["check", path], expect=1)

    for cmd in COMMANDS:
        out = clitest.run([cmd, "--help"]).stdout
        check(out.startswith("usage: leakbridge %s" % cmd) and "Exit status" in out,
              "%s --help" % cmd)
        p = clitest.run([cmd, "--no-such-option"], expect=2)
        check("Try 'leakbridge %s --help'" % cmd in p.stderr, "%s: %r" % (cmd, p.stderr))
    # Counts in messages agree with their nouns.
    for args, message in ((["top", good, good], "expected one REPORT, got 2 arguments"),
                          (["diff", good], "expected OLD and NEW, got 1 argument\n"),
                          (["flame", good, good, "--collapsed"], "got 2 arguments"),
                          (["dump"], "expected one PID, got 0 arguments")):
        err = clitest.run(args, expect=2).stderr
        check(message in err, "%s: %r" % (args[0], err))
    check("top" in clitest.run(["--help"]).stdout, "leakbridge --help")
    clitest.run([], expect=2)
    clitest.run(["frobnicate"], expect=2)


def memory_cases(report, edited):
    """(name, content, message) of broken memory sections."""
    m = report["memory"]

    def regions(change):
        def apply(r):
            change(r["memory"]["regions"])
        return edited(apply)

    def region(name, **fields):
        return regions(lambda gs: [g.update(fields) for g in gs if g["name"] == name])

    rss = m["rss_bytes"]
    return [
        ("memory", edited(lambda r: r.update(memory=[])), "memory: expected an object, found an array"),
        ("noregions", edited(lambda r: r["memory"].pop("regions")), "memory.regions: missing"),
        ("regionsobject", edited(lambda r: r["memory"].update(regions={})),
         "memory.regions: expected an array, found an object"),
        ("regionint", regions(lambda gs: gs.insert(0, 7)),
         "memory.regions[0]: expected an object, found an integer"),
        ("noname", regions(lambda gs: gs[1].pop("name")), "memory.regions[1].name: missing"),
        ("regionnegative", region("malloc", rss_bytes=-1),
         "memory.regions[4].rss_bytes: -1 is below the least allowed value 0"),
        ("exact", region("java_heap", exact="yes"),
         "memory.regions[0].exact: expected true or false, found a string"),
        ("usedstring", region("java_heap", used_bytes="1g"),
         "memory.regions[0].used_bytes: expected an integer, found a string"),
        ("partrss", regions(lambda gs: gs[6]["parts"][0].pop("rss_bytes")),
         "memory.regions[6].parts[0].rss_bytes: missing"),
        ("twice", regions(lambda gs: gs.append(dict(gs[0], rss_bytes=0))),
         "memory.regions[7].name: \"java_heap\" is regions[0]'s too"),
        ("sum", edited(lambda r: r["memory"].update(rss_bytes=rss + 4096)),
         "memory: the regions' rss_bytes and unexplained_bytes add up to %d, not to rss_bytes %d"
         % (rss, rss + 4096)),
        ("regionsum", region("other", rss_bytes=2 ** 63 - 1),
         "memory: the sum of the regions' rss_bytes does not fit in 64 bits"),
        ("many", regions(lambda gs: gs.extend(dict(gs[0], name="r%d" % i, rss_bytes=0)
                                               for i in range(1100))),
         "memory.regions: 1107 items, more than the 1024 this leakbridge reads"),
        ("findingmessage", edited(lambda r: r["memory"].update(findings=[{"code": "x"}])),
         "memory.findings[0].message: missing"),
        ("findingfigures", edited(lambda r: r["memory"].update(findings=[
            {"code": "x", "message": "y", "figures": 3}])),
         "memory.findings[0].figures: expected an object, found an integer"),
        ("limit", edited(lambda r: r.update(memory_limit={"limit_bytes": "4g"})),
         "memory_limit.limit_bytes: expected an integer, found a string"),
    ]


if __name__ == "__main__":
    clitest.main(test)
