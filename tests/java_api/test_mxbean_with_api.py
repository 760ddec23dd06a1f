"""The API jar on the class path and the agent's MXBean in one JVM clash in nothing: the jar is
active, liveSince counts the 4 direct buffers of 65,536 B kept after its mark, the MXBean (its
classes in the boot loader, package io.leakbridge.agent) counts the same 262,144 B, and both
write their reports (reasons api and mxbean)."""
import os

import jtest
from jtest import check


def test(env):
    api_dump = os.path.join(env.work, "api.json")
    cmd = env.java_cmd("sample=0,output=%s/report-%%n.json" % env.work) + [
        "-cp", os.pathsep.join([env.classes, env.api_jar]), "MXBeanWithApi", api_dump]
    p = env.execute(cmd, expect_exit=0)
    lines = p.stdout.splitlines()
    for line in ("active=true", "liveSince=262144", "mxbean=262144", "api.dump=" + api_dump,
                 "mxbean.loader=boot", "kept=4"):
        check(line in lines, "MXBeanWithApi did not print %r" % line)
    check(env.load(api_dump)["reason"] == "api", "the API's dump is not reason api")
    mxbean_dump = [l.split("=", 1)[1] for l in lines if l.startswith("mxbean.dump=")]
    check(mxbean_dump and env.load(mxbean_dump[0])["reason"] == "mxbean",
          "the MXBean's dump: %s" % mxbean_dump)


if __name__ == "__main__":
    jtest.main(test)
