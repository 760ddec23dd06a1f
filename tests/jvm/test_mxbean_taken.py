"""A failure to register the MXBean is one line on stderr and nothing else: when the name
io.leakbridge:type=LeakBridge is taken already (an MBeanServerBuilder registers its own bean
there while the platform MBeanServer is made), the agent says so once, the program's bean stays,
its output is intact and it exits 0; the agent's reports go on as before."""
import lbtest
from lbtest import check


def test(env):
    p = env.run("MXBeanTaken", options="sample=0",
                jvm_args=["-Djavax.management.builder.initial=MXBeanTaken$Builder"])
    check(p.stdout.splitlines() == ["holder=MXBeanTaken$Dummy", "done"],
          "the program's output: %r" % p.stdout)
    lines = [l for l in p.stderr.splitlines() if "MXBean" in l]
    check(lines == ["leakbridge: the MXBean io.leakbridge:type=LeakBridge is not registered: "
                    "javax.management.InstanceAlreadyExistsException: io.leakbridge:type=LeakBridge"],
          "expected one line saying the MXBean is not registered: %s" % lines)
    check(env.report()["reason"] == "exit", "no exit report")


if __name__ == "__main__":
    lbtest.main(test)
