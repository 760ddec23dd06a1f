"""The command's benchmark at a small size, so that it cannot rot: docs/performance.md's
cli_bench.py command as written, with --sites 3000 (and a --work of this test) added, from a
directory where build/ and tests/ are this build's. Then what the commands say on such generated reports: both
reports match the schema; top's first row is the biggest site with its bytes and the totals
line counts every site; check --json counts every byte; diff --json's change is the
difference of the totals; flame --collapsed's lines add up to the live bytes; the merge of
both is a valid report with every byte of both, each site in its two inputs, whose frames are
the inputs' frames (a later version's frame type and frame member kept as they were), and
top reads it."""
import json
import os
import re
import shlex
import subprocess
import sys

import clitest
from clitest import check, human

SOURCE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SITES = 3000


def documented_command():
    """The cli_bench.py command of docs/performance.md, backslash-continued lines joined."""
    text = open(os.path.join(SOURCE, "docs", "performance.md")).read()
    commands = re.findall(r"^(python3 tests/bench/cli_bench\.py (?:.*\\\n)*.*)$", text, re.M)
    check(len(commands) == 1, "%d cli_bench.py commands in performance.md" % len(commands))
    return shlex.split(commands[0].replace("\\\n", " "))


def test(env):
    work = os.path.join(env.work, "bench")
    cwd = os.path.join(env.work, "src")
    os.makedirs(cwd)
    os.symlink(os.path.dirname(clitest.CLI), os.path.join(cwd, "build"))
    os.symlink(os.path.join(SOURCE, "tests"), os.path.join(cwd, "tests"))
    cmd = documented_command() + ["--sites", str(SITES), "--work", work]
    print("$ " + " ".join(cmd), flush=True)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=cwd)
    sys.stdout.write(p.stdout + p.stderr)
    check(p.returncode == 0, "cli_bench.py exited %d" % p.returncode)
    for name in ("top", "check", "diff", "merge", "flame"):
        clitest.line_with(p.stdout, name + " ", "new")
    a_path, b_path = (os.path.join(work, "big-%d-%d.json" % (SITES, seed)) for seed in (1, 2))
    a, b = env.load(a_path), env.load(b_path)
    check(len(a["sites"]) == SITES == len(b["sites"]), "generated site counts")
    total_a = sum(s["live_bytes"] for s in a["sites"])
    total_b = sum(s["live_bytes"] for s in b["sites"])

    out = clitest.run(["top", a_path, "-n", "1"]).stdout
    biggest = max(a["sites"], key=lambda s: s["live_bytes"])
    check("%s live in %d blocks at %d sites" % (human(total_a), a["totals"]["live_count"], SITES)
          in out, "top's totals line")
    row = clitest.line_with(out, "%d " % biggest["live_count"], biggest["kind"])
    check(human(biggest["live_bytes"]) in row, "top's first row: %r" % row)

    j = json.loads(clitest.run(["check", a_path, "--json"], expect=1).stdout)
    check(j["live_bytes"] == total_a and j["sites"] == SITES, "check --json: %s" % {
        k: j[k] for k in ("live_bytes", "sites")})
    j = json.loads(clitest.run(["diff", a_path, b_path, "--json", "--force"]).stdout)
    check(j["live_bytes_change"] == total_b - total_a, "diff --json: %d" % j["live_bytes_change"])
    folded = clitest.run(["flame", a_path, "--collapsed"]).stdout.splitlines()
    check(sum(int(line.rsplit(" ", 1)[1]) for line in folded) == total_a, "flame's sum")

    # The benchmark's merge: a valid report with every byte of both, each site in both inputs.
    m = env.load(os.path.join(work, "merged.json"))
    check(sum(s["live_bytes"] for s in m["sites"]) == total_a + total_b, "merged live bytes")
    check(m["totals"]["live_bytes"] == a["totals"]["live_bytes"] + b["totals"]["live_bytes"],
          "merged totals")
    frames_of = {json.dumps(s["frames"], sort_keys=True) for s in a["sites"]}
    check(all(s["inputs"] == 2 and json.dumps(s["frames"], sort_keys=True) in frames_of
              for s in m["sites"]) and len(m["sites"]) <= SITES,
          "merged sites: each of both inputs, with an input's frames")

    # A later version's frames (outside this version's schema) in one site of both: merged
    # as they were.
    extra = {"type": "wasm", "function": "grow", "module": "app.wasm"}
    site_id = a["sites"][7]["id"]
    for path, report in ((a_path, a), (b_path, b)):
        site = [s for s in report["sites"] if s["id"] == site_id][0]
        site["frames"] = [extra] + site["frames"]
        site["frames"][1]["inlined"] = True
        with open(path, "w") as f:
            json.dump(report, f, separators=(",", ":"))
    merged_path = os.path.join(env.work, "merged.json")
    clitest.run(["merge", "--all-dumps", a_path, b_path, "-o", merged_path])
    with open(merged_path) as f:
        m = json.load(f)
    later = [s for s in m["sites"] if s["frames"][0] == extra]
    check(len(later) == 1 and later[0]["frames"][1] == a["sites"][7]["frames"][1] and
          later[0]["frames"][1]["inlined"] is True, "the later version's frames: %s" % later[:1])
    clitest.run(["top", merged_path, "-n", "1"])


if __name__ == "__main__":
    clitest.main(test)
