"""docs/flink.md's Dockerfile layer for the official Flink images, as far as it can be checked
without a container runtime: the layer is carried out in a directory standing for the image's
root (ADD unpacks this build's archive where it says, each RUN runs with its absolute paths
under that root, /opt/flink/lib and /opt/flink/log being the image's), every path it names must
come from the archive, and a JVM in a clean environment (env -i) started with exactly the
layer's env.java.opts.taskmanager, but for that root, must load the agent from the layer's path
and write its report where the layer says."""
import filecmp
import os
import re
import shlex

import reltest
from reltest import check


def layer(env):
    guide = open(os.path.join(env.source, "docs", "flink.md")).read()
    blocks = re.findall(r"^```dockerfile\n(.*?)^```", guide, re.S | re.M)
    check(len(blocks) == 1, "docs/flink.md has %d dockerfile blocks, expected 1" % len(blocks))
    return [line for line in blocks[0].splitlines() if line and not line.startswith("#")]


def under(root, command):
    """command with every absolute path put under root."""
    return " ".join(root + w if w.startswith("/") else w for w in shlex.split(command))


def test(env):
    root = os.path.join(env.work, "image")
    for d in ("opt/flink/lib", "opt/flink/log"):
        os.makedirs(os.path.join(root, d))
    opts = None
    for line in layer(env):
        word, _, rest = line.partition(" ")
        if word == "FROM":
            check(rest.startswith("flink:"), "the layer is not for the official image: %s" % rest)
        elif word == "ADD":
            src, dest = rest.split()
            check(src == os.path.basename(env.archive), "the layer adds %s, the release is %s" % (
                src, os.path.basename(env.archive)))
            os.makedirs(root + dest, exist_ok=True)
            env.run(["tar", "-xzf", env.archive, "-C", root + dest])
        elif word == "RUN":
            env.run(under(root, rest), cwd=root)
        elif word == "ENV":
            m = re.fullmatch(r'FLINK_PROPERTIES="env\.java\.opts\.taskmanager: (.*)"', rest)
            check(m, "the layer's ENV is not FLINK_PROPERTIES with env.java.opts.taskmanager")
            opts = m.group(1)
        else:
            check(False, "this test does not know the layer's %s" % word)
    check(opts, "the layer sets no env.java.opts.taskmanager")
    m = re.fullmatch(r"-agentpath:(/[^=]+)=(\S+)", opts)
    check(m, "env.java.opts.taskmanager is not one -agentpath: %s" % opts)
    agent, options = m.groups()
    unpacked = os.path.join(root, "opt", env.archive_name)
    check(filecmp.cmp(root + agent, os.path.join(unpacked, "lib", "libleakbridge.so"), False),
          "%s is not the archive's agent" % agent)
    jar = os.path.join(root, "opt", "flink", "lib", "leakbridge.jar")
    check(filecmp.cmp(jar, os.path.join(unpacked, "lib", "leakbridge.jar"), False),
          "/opt/flink/lib/leakbridge.jar is not the archive's")
    out = re.search(r"output=([^,]+)", options).group(1)
    check(out.startswith("/opt/flink/log/"), "reports go to %s, not the image's log directory" % out)
    report = root + re.sub(r"%[hpn]", "*", out)
    options = options.replace("output=/", "output=" + root + "/")
    env.demo(root + agent, os.path.join(root, "opt", "leakbridge", "bin", "leakbridge"), "tm",
             options=options, report=report, pages=3000)  # sampled: enough to see both sites


if __name__ == "__main__":
    reltest.main(test)
