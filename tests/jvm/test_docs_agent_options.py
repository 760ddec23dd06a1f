"""Every -agentpath option string that docs/flink.md, docs/dumps.md, docs/options.md and the
README show in a code block is one the agent accepts: each is run as written (only the agent's
path and the report directory replaced) with `java -version`, which must start and exit 0
without a leakbridge error."""
import os
import re
import subprocess

import lbtest
from lbtest import check

DOCS = ["docs/flink.md", "docs/dumps.md", "docs/options.md", "README.md"]


def code_blocks(markdown):
    """The text of each fenced code block."""
    blocks, current = [], None
    for line in markdown.splitlines():
        if line.startswith("```"):
            if current is None:
                current = []
            else:
                blocks.append("\n".join(current))
                current = None
        elif current is not None:
            current.append(line)
    return blocks


def agent_options(text):
    return re.findall(r"-agentpath:(\S+?\.so)=([^\s\"']+)", text)


def test(env):
    source = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    found = []
    for doc in DOCS:
        text = open(os.path.join(source, doc)).read()
        for block in code_blocks(text):
            found += [(doc, opts) for _, opts in agent_options(block)]
    check(len(found) >= 4, "only %d -agentpath option strings found in %s" % (len(found), DOCS))
    log = os.path.join(env.work, "log")
    os.makedirs(log, exist_ok=True)
    for doc, opts in found:
        if "$" in opts:
            continue  # a shell variable: run by the guide's own test
        # The report's directory is the test's own; its file name pattern stays as written.
        opts = re.sub(r"(output[=:])([^,]*/)?([^,/]*)", lambda m: m.group(1) + log + "/" +
                      m.group(3), opts)
        cmd = [env.java, "-agentpath:%s=%s" % (env.agent, opts), "-version"]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        print("%s: %s -> %d" % (doc, opts, r.returncode))
        errors = [l for l in r.stderr.splitlines() if l.startswith("leakbridge:") and
                  ("option" in l or "cannot" in l)]
        check(r.returncode == 0 and not errors, "%s: %s: exit %d, %s" % (
            doc, opts, r.returncode, errors or r.stderr[-500:]))


if __name__ == "__main__":
    lbtest.main(test)
