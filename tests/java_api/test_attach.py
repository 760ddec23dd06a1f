"""The Java API with the agent attached at run time (jcmd JVMTI.agent_load): io.leakbridge.
LeakBridge, initialized inactive before the attach, turns active once the agent registers its
natives, and then measures and dumps like a class loaded under -agentpath."""
import os
import subprocess
import time

import jtest
from jtest import check


def test(env):
    go = os.path.join(env.work, "go")
    dump = os.path.join(env.work, "attached.json")
    cmd = env.java_cmd(None, ["-XX:+EnableDynamicAgentLoading"]) + [
        "-cp", os.pathsep.join([env.classes, env.api_jar]), "AttachLater", go, dump]
    print("$ " + " ".join(cmd), flush=True)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        check(proc.stdout.readline().strip() == "before=false", "active before the attach")
        check(proc.stdout.readline().strip() == "waiting", "the program did not wait")
        jcmd = os.path.join(env.java_home, "bin", "jcmd")
        env.execute([jcmd, str(proc.pid), "JVMTI.agent_load", env.agent,
                     "output:%s/report-%%n.json,sample:0" % env.work], expect_exit=0)
        open(go, "w").close()
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    print(out + err)
    check(proc.returncode == 0, "AttachLater exited %d" % proc.returncode)
    lines = out.splitlines()
    check("after=true" in lines, "the API stayed inactive after the attach")
    check("live.bytes=131072" in lines, "liveSince after the attach: %s" % lines)
    check("dump=%s" % dump in lines, "no API dump: %s" % lines)
    check(env.load(dump)["reason"] == "api", "the dump's reason is not api")


if __name__ == "__main__":
    jtest.main(test)
