"""The examples of docs/cli.md run as written: every `$ leakbridge ...` line of its transcripts
(and the `$ printf` that makes a suppressions file) is run by bash, in order, in a directory
holding reports named as the page names them (zstd.json, keep.json, live-1.json, live-2.json,
other-run.json, and lb/ with the reports of two JVMs, three dumps and an exit report each),
with this build's leakbridge first on PATH. Each must exit as the page says: the status a
following `$ echo $?` shows, 2 where the page shows an error line (`leakbridge: ...`), 0
otherwise. Where the page shows JSON, the output is JSON, its top-level fields are those the
page shows, and every field the page names is in it. `attach` and `dump` take the pid of a
running JVM, which a page cannot know: test_attach_dump.py runs them."""
import json
import os
import re
import shutil
import subprocess

import clitest
from clitest import check

SOURCE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NEEDS_A_PID = re.compile(r"^leakbridge (attach|dump) ")


def code_blocks(markdown):
    """[(info string, [lines])] of the page's fenced blocks."""
    blocks, info, lines = [], None, []
    for line in markdown.splitlines():
        if line.startswith("```") and info is None:
            info, lines = line[3:].strip(), []
        elif line.startswith("```"):
            blocks.append((info, lines))
            info = None
        elif info is not None:
            lines.append(line)
    return blocks


def transcripts(markdown):
    """[(command, [output lines])] of the page's transcripts: plain blocks that start with a
    `$ ` line."""
    steps = []
    for info, lines in code_blocks(markdown):
        if info or not lines or not lines[0].startswith("$ "):
            continue
        for line in lines:
            if line.startswith("$ "):
                steps.append((line[2:], []))
            else:
                steps[-1][1].append(line)
    return steps


def expectations(steps):
    """[(command, expected status, documented output)] without the echo $? steps."""
    out = []
    for command, output in steps:
        if command == "echo $?":
            check(out and output, "'$ echo $?' with nothing before it or no status")
            out[-1] = (out[-1][0], int(output[0]), out[-1][2])
            continue
        error = bool(output) and output[0].startswith("leakbridge: ")
        out.append((command, 2 if error else 0, output))
    return out


def keys(value):
    """Every object key in a JSON value."""
    if isinstance(value, dict):
        return set(value) | set().union(*(keys(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(keys(v) for v in value)) if value else set()
    return set()


def check_json(command, documented, stdout):
    shown = "\n".join(documented)
    try:
        actual = json.loads(stdout)
    except ValueError as e:
        raise clitest.lbtest.Failure("%s: not JSON (%s): %r" % (command, e, stdout[:300]))
    top = set(re.findall(r'^ "(\w+)":', shown, re.M))
    check(top == set(actual), "%s: the page shows the fields %s, the command writes %s" % (
        command, sorted(top), sorted(actual)))
    named = set(re.findall(r'"(\w+)":', shown))
    missing = named - keys(actual)
    check(not missing, "%s: the page names fields the output lacks: %s" % (command, missing))


def prepare(env, here):
    """The reports the page's examples read, under the names it gives them."""
    def take(path, name):
        shutil.copy(path, os.path.join(here, name))

    take(clitest.zstd_report(env, "zstd", 200)[0], "zstd.json")
    take(clitest.zstd_report(env, "other", 20)[0], "other-run.json")
    take(clitest.run_report(env, "keep", "NativeKeep", ["keep", 10, "map", 3])[0], "keep.json")
    live = clitest.live_dumps(env, "live", [["zstd-keep 100"], ["zstd-keep 150",
                                                               "dbb-keep 20 4099"]])
    take(live[0], "live-1.json")
    take(live[1], "live-2.json")
    os.makedirs(os.path.join(here, "lb"))
    for tm in ("a", "b"):
        for path in clitest.live_dumps(env, "tm-" + tm, [["zstd-keep 20"]] * 3):
            report = env.load(path)
            take(path, os.path.join("lb", "flink-taskmanager-1-%s-%d-%d.json" % (
                tm, report["pid"], report["sequence"])))


def test(env):
    page = open(os.path.join(SOURCE, "docs", "cli.md")).read()
    steps = expectations(transcripts(page))
    runnable = [s for s in steps if not NEEDS_A_PID.match(s[0])]
    check(len(runnable) >= 12, "only %d commands found in docs/cli.md" % len(runnable))
    here = os.path.join(env.work, "examples")
    os.makedirs(here)
    prepare(env, here)
    bin_dir = os.path.join(env.work, "bin")
    os.makedirs(bin_dir)
    os.symlink(clitest.CLI, os.path.join(bin_dir, "leakbridge"))
    path = bin_dir + os.pathsep + os.environ["PATH"]
    for command, status, documented in runnable:
        print("$ " + command, flush=True)
        p = subprocess.run(["bash", "-c", command], cwd=here, capture_output=True, text=True,
                           env=dict(os.environ, PATH=path), timeout=120)
        print(p.stdout[:2000] + p.stderr)
        check(p.returncode == status, "%s exited %d; docs/cli.md says %d" % (
            command, p.returncode, status))
        if documented and documented[0] == "{":
            check_json(command, documented, p.stdout)


if __name__ == "__main__":
    clitest.main(test)
