"""SIGTERM (YARN's and Kubernetes' way to stop a container) during a steady leak: the JVM runs
its shutdown and the agent writes a complete exit report, valid against the schema, that
names the leaking site with every buffer kept before the signal; no temporary file is left."""
import os
import signal
import threading
import time

import lbtest
from lbtest import check


def test(env):
    s = lbtest.Session(env, "sigterm", options="sample=0")
    kept = [0]
    stop = threading.Event()

    def leak():
        while not stop.is_set():
            try:
                s.do("dbb-keep 4 65536")
            except Exception:
                return  # the JVM is gone
            kept[0] += 4
            time.sleep(0.05)

    t = threading.Thread(target=leak, daemon=True)
    t.start()
    time.sleep(3)
    before = kept[0]
    started = time.time()
    os.kill(s.pid, signal.SIGTERM)
    code = s.proc.wait(timeout=60)
    took = time.time() - started
    stop.set()
    print("exit code %d after %.2f s; %d buffers kept before the signal" % (code, took, before))
    check(code == 143, "exit code %d, expected 143 (SIGTERM)" % code)
    paths = s.report_paths()
    check(len(paths) == 1, "reports %s" % paths)
    leftovers = [f for f in os.listdir(s.dir) if ".tmp" in f]
    check(not leftovers, "temporary files left: %s" % leftovers)
    report = env.load(paths[0])  # validated against the schema
    check(report["reason"] == "exit", "reason %s" % report["reason"])
    sites = [x for x in report["sites"] if ("LiveDumps", "keepBuffers") in lbtest.java_frames(x)]
    check(len(sites) == 1, "%d keepBuffers sites" % len(sites))
    check(sites[0]["live_count"] >= before and sites[0]["live_bytes"] >= before * 65536,
          "%d buffers live, %d kept before SIGTERM" % (sites[0]["live_count"], before))


if __name__ == "__main__":
    lbtest.main(test)
