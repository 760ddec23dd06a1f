"""leak-suspect means "kept growing over the leak window", whatever the number of dumps.

A direct-buffer site leaking about 4 MiB a second for 20 s, under interval=2s,gc=on and the
default sampling, with extra jcmd dumps at random moments in between: every report from a
window and a bit after the start on says leak-suspect, the exit report included, and the
extra dumps never clear it. A cache that grows, then stays flat, is leak-suspect while it grows
and live again once it has been flat for a window."""
import random
import threading
import time

import lbtest
from lbtest import check

LEAK_SECONDS = 20


def keep_site(report):
    found = [s for s in report["sites"] if ("LiveDumps", "keepBuffers") in lbtest.java_frames(s)]
    check(len(found) <= 1, "%d keepBuffers sites" % len(found))
    return found[0] if found else None


def leak(s, seconds, per_tick, tick=0.1):
    """Keeps one direct buffer of per_tick bytes every tick, for seconds."""
    end = time.time() + seconds
    while time.time() < end:
        s.do("dbb-keep 1 %d" % per_tick)
        time.sleep(tick)


def steady_leak_with_random_dumps(env):
    s = lbtest.Session(env, "steady", options="interval=2s,gc=on")
    rnd = random.Random(20261203)
    try:
        t = threading.Thread(target=leak, args=(s, LEAK_SECONDS, (4 << 20) // 10))
        t.start()
        jcmds = 0
        while t.is_alive():
            time.sleep(rnd.uniform(0.7, 3.0))
            if t.is_alive():
                s.jcmd("JVMTI.data_dump")
                jcmds += 1
        t.join()
        s.quit()
    finally:
        s.kill()
    reports = [s.env.load(p) for p in s.report_paths()]
    reasons = [r["reason"] for r in reports]
    print("reports:", reasons, "jcmd dumps:", jcmds)
    check(reasons.count("jcmd") >= 3 and reasons.count("interval") >= 5,
          "expected several jcmd and interval reports: %s" % reasons)
    window = reports[-1]["leak_window"]["window_ms"]
    check(window == 10000, "default leak window %d ms" % window)
    for r in reports:
        site, lw = keep_site(r), r["leak_window"]
        status = site["status"] if site else None
        print("#%d %-8s observed %5d ms decidable %-5s %s" % (
            r["sequence"], r["reason"], lw["observed_ms"], lw["decidable"], status))
        # A window, then a quarter window (the spacing of checkpoints) and an interval.
        if lw["observed_ms"] >= window + window // 4 + 2000:
            check(lw["decidable"], "report %d: not decidable after %d ms" % (
                r["sequence"], lw["observed_ms"]))
            check(status == "leak-suspect", "report %d (%s, %d ms): the steady leak is %s" % (
                r["sequence"], r["reason"], lw["observed_ms"], status))
    last = reports[-1]
    check(last["reason"] == "exit", "last report is %s" % last["reason"])
    site = keep_site(last)
    check(site["status"] == "leak-suspect" and site["status_rule"] == "growing",
          "exit report: %s by %s" % (site["status"], site.get("status_rule")))
    check(last["sampling"]["estimated"], "expected the default sampling")


def cache_then_flat(env):
    s = lbtest.Session(env, "plateau", options="sample=0,gc=on,interval=1s,leak_window=3s")
    try:
        grown = time.time()
        leak(s, 6, 256 << 10)
        flat_from = time.time() - grown
        time.sleep(8)
        s.quit()
    finally:
        s.kill()
    reports = [s.env.load(p) for p in s.report_paths()]
    statuses = []
    for r in reports:
        site = keep_site(r)
        statuses.append((r["leak_window"]["observed_ms"], site["status"] if site else None))
    print("observed ms, status:", statuses)
    check(any(st == "leak-suspect" for t, st in statuses if t < flat_from * 1000),
          "never leak-suspect while it grew: %s" % statuses)
    last = keep_site(reports[-1])
    check(last["status"] == "live" and last["status_rule"] == "default",
          "flat for 8 s with a 3 s window, the exit report says %s by %s" % (
              last["status"], last.get("status_rule")))


def test(env):
    steady_leak_with_random_dumps(env)
    cache_then_flat(env)


if __name__ == "__main__":
    lbtest.main(test)
