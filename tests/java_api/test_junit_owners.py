"""Issue 20: a JUnit test keeping 10 direct buffers in a static cache fails with a message that
names what holds them, the static field LeakyPool.CACHE and the path from it to the buffers,
without owners=on among the agent's options (the extension asks for the heap walk itself)."""
import jtest
from jtest import check


def test(env):
    p, results = env.junit("owners", ["--select-class", "owners.LeakyPoolTest"],
                           agent_options="sample=0,output=%s/report-%%n.json" % env.work)
    check(p.returncode == 1, "the launcher exited %d, expected 1 (tests failed)" % p.returncode)
    status, message = results["keepsBuffersInStaticCache"]
    check(status == "failed", "keepsBuffersInStaticCache %s, expected failed" % status)
    check("163840 bytes in 10 blocks at 1 site" in message, "message: %s" % message[:400])
    held = [line.strip() for line in message.splitlines() if line.strip().startswith("held by")]
    want = ("held by 10 of 10 blocks: static owners.LeakyPool.CACHE \u2192 "
            "java.util.ArrayList.elementData \u2192 java.lang.Object[][")
    check(len(held) == 1 and held[0].startswith(want)
          and held[0].endswith("\u2192 java.nio.DirectByteBuffer (address)"),
          "no line naming the static cache as the holder: %s" % held)
    check(env.report().get("owners") is None,
          "the exit report has an owners section without owners=on")


if __name__ == "__main__":
    jtest.main(test)
