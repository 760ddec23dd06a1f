"""Issue 20: the owners walk is bounded. OwnersKeep big keeps 10 direct buffers in a static list
and 2 million small objects in linked lists: with owners_time=1ms the walk stops at once, with
owners_memory=4m after about 50,000 objects; the report says which budget ran out and which sites
got no path (their owners.unknown), the memory the walk counted stays within its budget, and the
JVM runs on and exits normally."""
import lbtest
from lbtest import check


def test(env):
    for tag, options, reason in (("time", "owners_time=1ms", "time"),
                                 ("memory", "owners_memory=4m", "memory")):
        p, report = lbtest.run_report(env, tag, "OwnersKeep", ["big", 2],
                                      options="sample=0,gc=on,owners=on," + options,
                                      classpath_extra=(lbtest.ZSTD_JAR,), jvm_args=("-Xmx1g",))
        check("kept big 2" in p.stdout, "the program did not finish")
        section = report["owners"]
        check(section["exhausted"] == reason, "%s: exhausted %s" % (tag, section))
        check(section["shortest"] is False, "%s: an exhausted walk says shortest" % tag)
        check(("ran out of %s" % reason) in p.stderr, "%s: no line on stderr" % tag)
        if reason == "memory":
            check(section["memory_bytes"] <= 4 << 20, "memory %s" % section)
        sites = [s for s in report["sites"] if s["kind"] == "direct_buffer"
                 and s["live_bytes"] == 100000]
        check(len(sites) == 1, "no site of the 10 buffers")
        owners = sites[0]["owners"]
        without = section["sites_without_path"]
        if owners["paths"]:
            check(sites[0]["id"] not in without, "%s: a site with a path is listed" % tag)
        else:
            check(sites[0]["id"] in without and owners["unknown"]["reason"] == reason
                  and owners["unknown"]["blocks"] == 10, "%s: %s" % (tag, owners))
        if reason == "time":
            check(not owners["paths"], "a 1 ms walk found a path through 2 million objects")


if __name__ == "__main__":
    lbtest.main(test)
