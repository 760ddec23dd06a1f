"""The jar's suppression rule (io.leakbridge.Suppressions) on cases that `leakbridge check`
answers the same way (cli/suppressions.c): substring, '*', '^' and trailing '$' anchors, a '$'
inside a nested class name, module paths, file syntax errors. No agent needed."""
import os

import jtest
from jtest import check


def test(env):
    p = env.execute(env.java_cmd(None) + ["-cp", os.pathsep.join([env.classes, env.api_jar]),
                                          "SuppressionsCheck"])
    check(p.returncode == 0 and "all cases right" in p.stdout, "some cases wrong")


if __name__ == "__main__":
    jtest.main(test)
