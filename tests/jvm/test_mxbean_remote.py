"""The MXBean over a JMX remote connection on loopback: a JVM with the agent and the JDK's JMX
agent (-Dcom.sun.management.jmxremote.port=PORT, no authentication, no SSL, bound to 127.0.0.1)
holds 5 direct buffers of 100,000 B; a second JVM without the agent connects with
JMXConnectorFactory, reads LiveBytes, LiveBytesDirectBuffer and TopSites, and invokes dump(): the
report it gets the path of has reason mxbean and the LiveBytes read before and after it. Then the
same JVM without those flags, its platform MBeanServer made by the program: the MXBean is
there, and the agent opened no port (no listening TCP socket of the JVM's in /proc/net/tcp*,
jcmd ManagementAgent.status says the JMX agent is disabled)."""
import os
import socket
import subprocess
import sys

import lbtest
import mxbeantest
from lbtest import check


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(env, tag, jvm_args):
    """MXBeanRead serve under the agent; returns the process once it says ready, and its pid."""
    out = os.path.join(env.work, tag)
    os.makedirs(out, exist_ok=True)
    cmd = [env.java, "-agentpath:%s=output=%s/report-%%n.json,sample=0" % (env.agent, out),
           "-Xmx512m"] + jvm_args + ["-cp", env.classes, "MXBeanRead", "serve",
                                     os.path.join(out, "mapped.bin")]
    print("$ " + " ".join(cmd), flush=True)
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    check(line.startswith("ready pid="), "MXBeanRead serve did not get ready: %r" % line)
    return proc, int(line.strip().split("=")[1])


def finish(proc):
    out, _ = proc.communicate("quit\n", timeout=60)
    sys.stdout.write(out)
    check(proc.returncode == 0, "MXBeanRead serve exited %d" % proc.returncode)


def jcmd_status(env, pid):
    p = subprocess.run([os.path.join(env.java_home, "bin", "jcmd"), str(pid),
                        "ManagementAgent.status"], capture_output=True, text=True, timeout=60)
    sys.stdout.write(p.stdout + p.stderr)
    return p.stdout


def test(env):
    port = free_port()
    proc, pid = serve(env, "remote", [
        "-Dcom.sun.management.jmxremote.port=%d" % port,
        "-Dcom.sun.management.jmxremote.rmi.port=%d" % port,
        "-Dcom.sun.management.jmxremote.authenticate=false",
        "-Dcom.sun.management.jmxremote.ssl=false",
        "-Dcom.sun.management.jmxremote.host=127.0.0.1",
        "-Djava.rmi.server.hostname=127.0.0.1"])
    try:
        check(port in mxbeantest.listening_ports(pid), "the JMX agent is not listening on %d" % port)
        p = subprocess.run([env.java, "-cp", env.classes, "JmxClient", str(port)],
                           capture_output=True, text=True, timeout=120)
        sys.stdout.write(p.stdout + p.stderr)
        check(p.returncode == 0, "JmxClient exited %d" % p.returncode)
        finish(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
    before = mxbeantest.values(p.stdout, "before")
    after = mxbeantest.values(p.stdout, "after")
    top = [
        l.split("=", 1)[1] for l in p.stdout.splitlines() if l.startswith("TopSites.")]
    report = env.load(lbtest.stdout_value(p, "dump"))
    check(report["reason"] == "mxbean", "dump() over JMX wrote reason %r" % report["reason"])
    check(int(before["LiveBytes"]) == report["totals"]["live_bytes"] == int(after["LiveBytes"]),
          "LiveBytes over JMX %s before dump(), %d in its report, %s after" % (
              before["LiveBytes"], report["totals"]["live_bytes"], after["LiveBytes"]))
    check(int(before["LiveBytesDirectBuffer"]) == report["totals"]["by_kind"]["direct_buffer"]["live_bytes"],
          "LiveBytesDirectBuffer over JMX %s, the report says %d" % (
              before["LiveBytesDirectBuffer"], report["totals"]["by_kind"]["direct_buffer"]["live_bytes"]))
    check(mxbeantest.find_top(top, "direct_buffer", "MXBeanRead.holdBuffers")[0] == 500000,
          "TopSites over JMX does not give the held buffers 500000 B")

    proc, pid = serve(env, "local", [])
    try:
        ports = mxbeantest.listening_ports(pid)
        status = jcmd_status(env, pid)
        finish(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
    check(not ports, "the JVM listens on TCP ports %s without any jmxremote flag" % sorted(ports))
    check("Agent: disabled" in status, "ManagementAgent.status without jmxremote flags: %r" % status)


if __name__ == "__main__":
    lbtest.main(test)
