"""rss_bytes is the RSS the kernel counts: MemoryGrow reads VmRSS from /proc/self/status, and a
jcmd dump right after says rss_bytes within 5% of it; the same after 200 MiB more of heap. A
first dump comes before: the first on the dumper thread loads the JDK's management classes
(a few MiB, for good), which in a 40 MiB JVM is more than 5% on its own."""
import lbtest
import memtest
from lbtest import check


def vm_rss(g):
    lines = [l for l in g.do("rss") if l.startswith("rss=")]
    check(len(lines) == 1, "no rss= line")
    return int(lines[0][4:])


def test(env):
    g = memtest.Grow(env, "rss")
    try:
        memtest.check_section(g.dump(), "first")
        for step in ("start", "heap 200"):
            if step != "start":
                g.do(step)
            vm = vm_rss(g)
            report = g.dump()
            m = memtest.check_section(report, step)
            off = abs(m["rss_bytes"] - vm) / vm
            print("%s: VmRSS %d, rss_bytes %d (%.2f%% off)" % (step, vm, m["rss_bytes"], 100 * off))
            check(off <= 0.05, "%s: rss_bytes %d is %.1f%% off VmRSS %d" % (
                step, m["rss_bytes"], 100 * off, vm))
            check(m["mappings"] > 100, "mappings %d" % m["mappings"])
        g.quit()
    finally:
        g.kill()


if __name__ == "__main__":
    lbtest.main(test)
