"""The MXBean when the agent is loaded into a running JVM (jcmd JVMTI.agent_load) whose
platform MBeanServer exists already: the dumper thread registers it at once, and it counts
what was allocated after the attach (5 direct buffers of 100,000 B). Under -Xcheck:jni, with no
JNI warning (the task looks through every loaded class, a local reference each)."""
import os
import subprocess

import lbtest
import mxbeantest
from lbtest import check


def test(env):
    go = os.path.join(env.work, "go")
    jvm_args = ["-Xcheck:jni"] + (
        ["-XX:+EnableDynamicAgentLoading"] if lbtest.jdk_major(env) >= 21 else [])
    cmd = [env.java, "-Xmx512m"] + jvm_args + [
        "-cp", env.classes, "MXBeanRead", "attach", mxbeantest.mapped_file(env), go]
    print("$ " + " ".join(cmd), flush=True)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        check(proc.stdout.readline().strip() == "waiting", "the program did not wait")
        jcmd = [os.path.join(env.java_home, "bin", "jcmd"), str(proc.pid), "JVMTI.agent_load",
                env.agent, "output:%s/report-%%n.json,sample:0" % env.work]
        print("$ " + " ".join(jcmd), flush=True)
        p = subprocess.run(jcmd, capture_output=True, text=True, timeout=120)
        print(p.stdout + p.stderr)
        check("return code: 0" in p.stdout, "agent_load did not return 0")
        open(go, "w").close()
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    print(out + err)
    check(proc.returncode == 0, "MXBeanRead attach exited %d" % proc.returncode)
    check("LiveBytesDirectBuffer=500000" in out.splitlines(),
          "after the attach the MXBean does not count the 500000 B of buffers: %r" % out)
    warnings = lbtest.jni_warnings(out + err)
    check(not warnings, "JNI warnings under -Xcheck:jni: %s" % warnings)
    check("the MXBean io.leakbridge" not in err, "the agent said something about the MXBean: %r" % err)


if __name__ == "__main__":
    lbtest.main(test)
