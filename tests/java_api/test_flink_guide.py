"""docs/flink.md cannot rot: every block of it marked `sh` is run here, in order, as one bash
script (set -euo pipefail) against the demo TaskManager, with LB_BUILD, JAVA_HOME and LOG_DIR
set to this build, this JDK and a fresh directory. The output must show what the guide says:
the agent's libraries (glibc's only) and glibc need (2.17), one report per task plus the jcmd
and SIGQUIT dumps, diffs naming HeapBytesDecompressor.decompress with 200 more blocks per task,
and a merged view of both TaskManagers' 700 leaked streams."""
import os
import re

import jtest
from jtest import check


def sh_blocks(markdown):
    return re.findall(r"^```sh\n(.*?)^```", markdown, re.S | re.M)


def test(env):
    jtest.require_cli(env, "diff", "merge", "top")
    guide = open(os.path.join(env.source_dir, "docs", "flink.md")).read()
    blocks = sh_blocks(guide)
    check(len(blocks) >= 5, "docs/flink.md has only %d sh blocks" % len(blocks))
    script = "set -euo pipefail\n" + "\n".join(blocks)
    log_dir = os.path.join(env.work, "log")
    os.makedirs(log_dir)
    p = env.execute(["bash", "-c", script], cwd=env.work, timeout=200, env={
        "LB_BUILD": os.path.dirname(env.agent), "JAVA_HOME": env.java_home, "LOG_DIR": log_dir})
    check(p.returncode == 0, "the guide's commands failed (exit %d)" % p.returncode)
    out = p.stdout

    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out)
    check(needed and all(re.fullmatch(r"lib(c|m|dl|pthread)\.so\.\d|ld-linux-x86-64\.so\.2", n)
                         for n in needed),
          "readelf shows libraries beyond glibc's, which the guide says the agent does not need: %s"
          % needed)
    glibc = re.findall(r"^GLIBC_([0-9.]+)$", out, re.M)
    check(glibc and tuple(map(int, glibc[-1].split("."))) <= (2, 17),
          "the agent needs glibc %s; docs/flink.md says 2.17" % glibc)

    pids = sorted({m for m in re.findall(r"leakbridge-(\d+)-\d+\.json", " ".join(os.listdir(log_dir)))})
    check(len(pids) == 2, "expected the reports of two TaskManagers, got pids %s" % pids)
    reasons = {}
    for name in os.listdir(log_dir):
        if name.startswith("leakbridge-") and name.endswith(".json"):
            reasons[name] = env.load(os.path.join(log_dir, name))["reason"]
    first = [n for n in reasons if reasons[n] == "jcmd"]
    check(len(first) == 2, "expected the jcmd and the SIGQUIT dump (reason jcmd): %s" % reasons)
    check(sum(1 for r in reasons.values() if r == "api") == 4, "expected 3 + 1 API dumps: %s" % reasons)

    diffs = re.split(r"^OLD ", out, flags=re.M)[1:]
    check(len(diffs) == 2, "expected two diffs in the output")
    for d in diffs:
        check(re.search(r"\+18\.\d MiB\s+\+200\s", d), "no +200 blocks growth row: %s" % d[:600])
    check("HeapBytesDecompressor.decompress" in diffs[0],
          "diff -v does not name HeapBytesDecompressor.decompress")
    top = out.split("job.json", 1)[-1]
    check(re.search(r"\s700\s", top), "the merged top does not show 700 blocks: %s" % top[:800])


if __name__ == "__main__":
    jtest.main(test)
