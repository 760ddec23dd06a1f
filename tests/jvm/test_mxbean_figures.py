"""The MXBean io.leakbridge:type=LeakBridge, read in its own JVM through the platform
MBeanServer under -agentpath alone (no jar on the class path), at sample=0, while the program
holds 5 direct buffers of 100,000 B, 3 Unsafe blocks of 50,000 B, 2 Deflaters and a mapped file
of 65,536 B: every figure agrees exactly with the report its dump() operation writes between two
reads (the same counters at the same moment), for all kinds and for each; TopSites lists the
report's first sites in its order with their live bytes, kind and growth, and names the frames
that hold the memory; LastReportPath follows the dumps; SampleBytes is 0; LimitBytes and
UsageBytes are the cgroup's (its working set, as the report's memory_limit)."""
import lbtest
import mxbeantest
from lbtest import check
from mxbeantest import kind_attribute, top_line


def test(env):
    limit, usage_file = mxbeantest.container_memory()
    p = env.run("MXBeanRead", ["figures", mxbeantest.mapped_file(env)] + (
        [usage_file] if usage_file else []), options="sample=0")
    check("not registered" not in p.stdout, "the MXBean was not registered")
    attributes = dict(l[len("attribute="):].split(" ", 1) for l in p.stdout.splitlines()
                      if l.startswith("attribute="))
    a, b = mxbeantest.values(p.stdout, "A"), mxbeantest.values(p.stdout, "B")
    dump_path = lbtest.stdout_value(p, "dump")
    report = env.load(dump_path)
    reports = env.reports()
    check(report["reason"] == "mxbean", "dump() wrote a report with reason %r" % report["reason"])
    totals = report["totals"]

    # The same counters at the same moment: before, in the report, after.
    for name, value in (("LiveBytes", totals["live_bytes"]), ("LiveBlocks", totals["live_count"])):
        check(int(a[name]) == value == int(b[name]),
              "%s: %s before dump(), %d in its report, %s after" % (name, a[name], value, b[name]))
    for kind, amounts in totals["by_kind"].items():
        for blocks, key in ((False, "live_bytes"), (True, "live_count")):
            attr = kind_attribute(kind, blocks)
            check(attributes.get(attr) == "long", "no long attribute %s for kind %s: %s" % (
                attr, kind, attributes))
            check(int(a[attr]) == amounts[key] == int(b[attr]),
                  "%s: %s before, %d in the report, %s after" % (attr, a[attr], amounts[key], b[attr]))
    for name, kind in (("LiveBytesDirectBuffer", "direct_buffer"), ("LiveBytesUnsafe", "unsafe"),
                       ("LiveBytesMalloc", "malloc"), ("LiveBytesMappedFile", "mapped_file")):
        check(int(a[name]) > 0, "%s is 0 while the program holds %s memory" % (name, kind))

    # TopSites: the report's first sites, in its order, with their growth since the report before.
    check(attributes.get("TopSites") == "[Ljava.lang.String;", "TopSites is %s" % attributes.get("TopSites"))
    check(len(a["TopSites"]) == min(10, len(report["sites"])),
          "%d TopSites lines, the report lists %d sites" % (len(a["TopSites"]), len(report["sites"])))
    for line, site in zip(a["TopSites"], report["sites"]):
        live, growth, since, kind, _ = top_line(line)
        check((live, kind) == (site["live_bytes"], site["kind"]),
              "TopSites %r, the report's site: %s" % (line, lbtest.describe(site)))
        check(growth == site["growth"]["bytes"] and since == report["previous_sequence"],
              "TopSites %r: the report has growth %d since report %d" % (
                  line, site["growth"]["bytes"], report["previous_sequence"]))
    for line in b["TopSites"]:
        check(top_line(line)[1:3] == (0, report["sequence"]),
              "after dump() nothing grew since report %d: %r" % (report["sequence"], line))
    # The frames that hold the memory.
    check(mxbeantest.find_top(a["TopSites"], "direct_buffer", "MXBeanRead.holdBuffers (MXBeanRead.java:")[0]
          == 500000, "the direct buffers' line does not say 500000 B")
    check(mxbeantest.find_top(a["TopSites"], "unsafe", "MXBeanRead.holdUnsafe (MXBeanRead.java:")[0]
          == 150000, "the Unsafe line does not say 150000 B")
    check(mxbeantest.find_top(a["TopSites"], "mapped_file", "MXBeanRead.holdMapped")[0] == 65536,
          "the mapped file's line does not say 65536 B")
    deflaters = [l for l in a["TopSites"] if top_line(l)[3] == "malloc"
                 and "MXBeanRead.holdDeflaters" in l and "> deflateInit2_ (lib" in l]
    check(deflaters, "no malloc line names MXBeanRead.holdDeflaters > deflateInit2_: %s" % a["TopSites"])

    check(a["SampleBytes"] == b["SampleBytes"] == "0", "SampleBytes %s at sample=0" % a["SampleBytes"])
    check(len(reports) == 3, "expected the warm-up, the dump() and the exit report, found %d" % len(reports))
    check(a["LastReportPath"] == env.work + "/report-1.json", "LastReportPath before dump(): %r" % a["LastReportPath"])
    check(b["LastReportPath"] == dump_path == env.work + "/report-2.json",
          "LastReportPath after dump(): %r, dump() returned %r" % (b["LastReportPath"], dump_path))

    print("cgroup: limit %d, usage in %s; the MXBean: %s, %s" % (
        limit, usage_file, a["LimitBytes"], a["UsageBytes"]))
    check(int(a["LimitBytes"]) == limit, "LimitBytes %s, the cgroup says %d" % (a["LimitBytes"], limit))
    if not usage_file:
        check(int(a["UsageBytes"]) == -1, "UsageBytes %s without a cgroup usage file" % a["UsageBytes"])
    else:
        # UsageBytes is the working set, as the report's memory_limit has it (the usage file
        # minus inactive file pages), read after dump(): other processes of the cgroup may
        # allocate in between (in CI, another test's JVM starting: 46 MiB once), and the usage
        # file, read before that dump() and after the attribute, moved by as much.
        before, attribute, after = (int(v) for v in lbtest.stdout_value(p, "usage").split())
        ws = report["memory_limit"]["working_set_bytes"]
        slack = (16 << 20) + abs(after - before)
        check(abs(attribute - ws) <= slack and ws <= max(before, after) + slack,
              "UsageBytes %d, the report's working set %d (%s said %d before and %d after)" % (
                  attribute, ws, usage_file, before, after))


if __name__ == "__main__":
    lbtest.main(test)
