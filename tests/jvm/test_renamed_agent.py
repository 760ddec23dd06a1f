"""The agent works under any file name: it must recognise its own module by address, not by
name, or it patches its own frees and deadlocks on its own table lock (seen with a copy named
lbx.so). Balanced churn with sample=0 rebuilds the live table often, which is where it hung."""
import os
import shutil

import lbtest
from lbtest import check


def test(env):
    renamed = os.path.join(env.work, "agent-under-another-name.so")
    shutil.copy(env.agent, renamed)
    env.agent = renamed
    env.run("BalancedChurn", [2, 50000, 3000], options="sample=0", timeout=120)
    report = env.report()
    mine = [m for m in report["modules"] if m["path"] == renamed]
    check(len(mine) == 1, "the renamed agent is not among the modules")
    check(mine[0]["tracking"] == "none", "the agent patched itself: %s" % mine[0])
    live = lbtest.sites_with_method(report, "BalancedChurn", "unsafePairs")
    check(not live, "churn left live sites")


if __name__ == "__main__":
    lbtest.main(test)
