"""gc=on with each collector a user may run: the JVM exits promptly and the exit report is
written. Under ZGC and Shenandoah the exit report forces no GC: at VM death their collector
threads are stopped and a forced GC never returned (ZGC on JDK 17 and Temurin 25, Shenandoah on
JDK 17 hung at exit). G1, Parallel and Serial still force it there."""
import os

import lbtest
from lbtest import check

COUNT, CAPACITY = 37, 1001


def test(env):
    for gc in ("ZGC", "ShenandoahGC", "G1GC", "ParallelGC", "SerialGC"):
        out = os.path.join(env.work, "report-%s.json" % gc)
        env.run("DirectBuffersKept", [COUNT, CAPACITY], options="output=%s,sample=0,gc=on" % out,
                jvm_args=["-XX:+Use" + gc], timeout=60)
        report = env.load(out)
        check(report["reason"] == "exit", "%s: reason %r" % (gc, report["reason"]))
        forced = report["gc"]["forced"]
        check(forced is (gc not in ("ZGC", "ShenandoahGC")), "%s: gc.forced is %r in the exit report" % (gc, forced))
        sites = lbtest.sites_with_method(report, "DirectBuffersKept", "keepBuffers")
        live = sum(s["live_count"] for s in sites)
        check(live == COUNT, "%s: %d kept buffers in the report, expected %d" % (gc, live, COUNT))
        print("%s: exit report with %d buffers, forced GC: %s" % (gc, live, forced))


if __name__ == "__main__":
    lbtest.main(test)
