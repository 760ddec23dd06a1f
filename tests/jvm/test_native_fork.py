"""Native code that forks while its other threads allocate: every child allocates and frees
through the JNI library (so through the agent's hooks) and must exit; none may hang on a lock
that a thread of the parent held at the fork (before the fix, 7 of 200 children hung). The
parent goes on tracking: the 37 blocks it keeps afterwards are in its report."""
import lbtest
from lbtest import check

THREADS, FORKS, ALLOCS, KEEP, SIZE = 4, 100, 50000, 37, 3001


def test(env):
    p, report = lbtest.run_report(env, "fork", "NativeFork", [THREADS, FORKS, ALLOCS, KEEP],
                                  options="sample=0", timeout=240)
    check("hung=0" in p.stdout, "children hung: %s" % p.stdout.strip())
    sites = lbtest.sites_with_symbol(report, "hold_after_forks")
    check(len(sites) == 1 and sites[0]["live_count"] == KEEP
          and sites[0]["live_bytes"] == KEEP * SIZE,
          "the parent's blocks after the forks: %s" % [lbtest.describe_native(s) for s in sites])


if __name__ == "__main__":
    lbtest.main(test)
