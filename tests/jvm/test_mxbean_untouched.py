"""The agent never makes the platform MBeanServer itself: making it initializes
java.util.logging's LogManager and some 900 classes, which an application may configure first.
A program that holds memory under the agent and touches no JMX for 2 s still has none
(ManagementFactory's platformMBeanServer is null); once the program makes it, the MXBean is
registered within a few seconds, without anything else."""
import lbtest
import mxbeantest
from lbtest import check


def test(env):
    p = env.run("MXBeanRead", ["untouched", mxbeantest.mapped_file(env)], options="sample=0",
                jvm_args=["--add-opens", "java.management/java.lang.management=ALL-UNNAMED"])
    check("server=null" in p.stdout.splitlines(),
          "the platform MBeanServer existed before the program made it: %r" % p.stdout)
    check("registered=true" in p.stdout.splitlines(),
          "the MXBean was not registered after the program made the server: %r" % p.stdout)
    check("the MXBean io.leakbridge" not in p.stderr, "the agent said something about the MXBean: %r" % p.stderr)


if __name__ == "__main__":
    lbtest.main(test)
