"""The exit report never waits for another dump (issue 16): a dump stuck for ever in its forced
GC (as under ZGC when the JVM stopped its collector threads), or one writing a report that takes
longer than the exit (a huge one), is overtaken by the exit report, which appears promptly and
complete; the dump in progress writes nothing and leaves no temporary file. The test-only
LEAKBRIDGE_TEST_SLOW_DUMP (docs/options.md) makes every dump but the exit report hang in place
of its forced GC ("gc") or write until the JVM exits ("write")."""
import glob
import os
import time

import lbtest
from lbtest import check

# From SIGTERM to the end: the exit report's own time, the JVM's own shutdown (0.3-0.4 s
# measured, test_exit_under_dumps.py) and a loaded machine's scheduling. Waiting for the dump in
# progress took 10 s and wrote no exit report.
ALLOWED_S = 2.5


def sigterm_during(env, slow, options, ready, output=None):
    """Runs LiveDumps with LEAKBRIDGE_TEST_SLOW_DUMP=slow, waits until ready(session) says the
    slow dump is under way, sends SIGTERM; returns (session, its stderr, the exit report)."""
    os.environ["LEAKBRIDGE_TEST_SLOW_DUMP"] = slow
    try:
        s = lbtest.Session(env, "slow-" + slow, options=options, output=output)
    finally:
        del os.environ["LEAKBRIDGE_TEST_SLOW_DUMP"]
    try:
        s.do("dbb-keep 16 4096")
        deadline = time.time() + 30
        while not ready(s) and time.time() < deadline:
            time.sleep(0.05)
        check(ready(s), "%s: the slow dump never started" % slow)
        if slow == "gc":
            s.jcmd("JVMTI.data_dump")  # handed to the dumper thread, which is stuck
        time.sleep(0.3)
    except BaseException:
        s.kill()
        raise
    code, delay, err = s.terminate(timeout=60)
    print(err)
    check(code == 143, "%s: exit code %d" % (slow, code))
    _, own_s = lbtest.exit_report_written(err, slow)
    print("%s: exit %.3f s after SIGTERM, the exit report %.3f s of it" % (slow, delay, own_s))
    check(delay <= own_s + ALLOWED_S, "%s: the exit took %.2f s after SIGTERM, the exit report "
          "%.2f s of it" % (slow, delay, own_s))
    leftovers = [f for f in os.listdir(s.dir) if ".tmp" in f]
    check(not leftovers, "%s: temporary files left: %s" % (slow, leftovers))
    paths = s.report_paths()
    check(len(paths) == 1, "%s: reports %s" % (slow, paths))
    report = env.load(paths[0])
    check(report["reason"] == "exit", "%s: reason %s" % (slow, report["reason"]))
    kept = sum(x["live_count"] for x in lbtest.sites_with_method(report, "LiveDumps",
                                                                  "keepBuffers"))
    check(kept >= 16, "%s: %d kept buffers in the exit report" % (slow, kept))
    return s, err, report


def test(env):
    # Stuck where it forces a GC, holding the lock that serializes dumps: no interval report
    # is ever numbered, the exit report is the first; a jcmd dump asked for meanwhile waits
    # behind the stuck one and is never written (a line on stderr says so), and does not hold up the
    # exit either.
    def a_second_on(s):
        s.started = getattr(s, "started", time.time())
        return time.time() - s.started > 1.0

    s, err, report = sigterm_during(env, "gc", "sample=0,gc=on,interval=100ms", a_second_on)
    check(report["sequence"] == 1 and "previous_sequence" not in report,
          "gc: the exit report is number %d" % report["sequence"])
    check("1 dump asked for (jcmd or attach) and still waiting when the JVM exited was not "
          "written" in err, "gc: the jcmd dump given up is not said")

    # Writing for ever, to an output without %n: the first report would be report.json. Its
    # temporary file exists when SIGTERM comes; the exit report removes it, says so and takes
    # the next number, report-2.json.
    def writing(s):
        return bool(glob.glob(os.path.join(s.dir, ".report.json.tmp*")))

    output = os.path.join(env.work, "slow-write", "report.json")
    s, err, report = sigterm_during(env, "write", "sample=0,interval=100ms", writing, output)
    check(report["sequence"] == 2, "write: the exit report is number %d" % report["sequence"])
    check(lbtest.check_numbers([2], err, "write") == [1], "write: report 1 not said abandoned")
    check(sorted(os.listdir(s.dir)) == ["report-2.json", "stderr.txt"],
          "write: %s" % sorted(os.listdir(s.dir)))


if __name__ == "__main__":
    lbtest.main(test)
