"""The heap's growth is the heap's: MemoryGrow keeps 300 MiB of byte[] under -Xmx1g between two
jcmd dumps; java_heap's RSS grows by at least 250 MiB and its used bytes (the MemoryMXBean's, on
the dumper thread) by as much, no other region grows by more than 40 MiB, and at most 10% of RSS
is unexplained in every report, the exit report included (figures from perf data there). With
-Xms1g the heap is committed to its maximum from the start: the finding heap-at-max says so."""
import lbtest
import memtest
from lbtest import check
from memtest import MIB


def test(env):
    before, after, _, exit_report = memtest.around(env, "heap", "heap 300")
    heap = memtest.region(after, "java_heap")
    check(heap["figures_from"] == "jmx", "jcmd dump figures from %r" % heap["figures_from"])
    check(heap["collector"] == "G1", "collector %r" % heap["collector"])
    check(heap["max_bytes"] == 1 << 30, "max_bytes %r with -Xmx1g" % heap["max_bytes"])
    grown = memtest.grew(before, after, "java_heap")
    print("java_heap grew %.1f MiB" % (grown / MIB))
    check(grown >= 250 * MIB, "java_heap grew %.1f MiB, expected at least 250" % (grown / MIB))
    used = memtest.grew(before, after, "java_heap", "used_bytes")
    check(used >= 250 * MIB, "java_heap used_bytes grew %.1f MiB" % (used / MIB))
    for name in memtest.REGIONS:
        if name != "java_heap" and name != "other":
            d = memtest.grew(before, after, name)
            check(d <= 40 * MIB, "%s grew %.1f MiB with the heap" % (name, d / MIB))
    m = memtest.check_section(exit_report, "exit")
    check(memtest.region(exit_report, "java_heap")["figures_from"] == "perf_data",
          "the exit report runs no Java code: its figures come from perf data")
    check(memtest.region(exit_report, "java_heap")["rss_bytes"] >= 250 * MIB,
          "exit report: java_heap %d" % memtest.region(exit_report, "java_heap")["rss_bytes"])
    check(m["rss_bytes"] > 300 * MIB, "exit report rss %d" % m["rss_bytes"])
    check("heap-at-max" not in memtest.codes(after), "heap-at-max below -Xmx")
    (at_max,), _, _ = memtest.steps(env, "at-max", [], jvm_args=["-Xms1g"])
    found = [f for f in at_max["memory"]["findings"] if f["code"] == "heap-at-max"]
    check(len(found) == 1 and found[0]["figures"]["max_bytes"] == 1 << 30,
          "findings with -Xms1g: %s" % at_max["memory"]["findings"])
    print(found[0]["message"])


if __name__ == "__main__":
    lbtest.main(test)
