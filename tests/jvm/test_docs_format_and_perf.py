"""docs cannot drift from the code: every JSON example in docs/report-format.md validates
against docs/report.schema.json (a whole report as the schema, a `"key": {...}` fragment
against that top-level property), and the measurement commands of docs/performance.md that
finish in seconds run exactly as written (the SIGTERM timing with a million live blocks and the
memory section's small benchmark, the hooks' instruction-count guard, the charts' commands on
the JSON committed with them), from a directory where
`build/` and `tests/` are this build's. The benchmark's commands (scripts/bench.sh,
run_bench.py) take many minutes: each runs with --dry-run added, which checks its arguments."""
import fcntl
import json
import os
import re
import subprocess

import jsonschema

import lbtest
from lbtest import check

SOURCE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def code_blocks(markdown):
    """(language, text) of each fenced code block."""
    blocks, current, lang = [], None, ""
    for line in markdown.splitlines():
        stripped = line.strip()
        if stripped.startswith("```"):
            if current is None:
                current, lang = [], stripped[3:]
            else:
                blocks.append((lang, "\n".join(current)))
                current = None
        elif current is not None:
            current.append(line)
    return blocks


def format_examples(env):
    text = open(os.path.join(SOURCE, "docs", "report-format.md")).read()
    examples = [b for lang, b in code_blocks(text) if lang == "json"]
    check(len(examples) >= 3, "only %d JSON examples in report-format.md" % len(examples))
    whole = 0
    for example in examples:
        doc = json.loads("{" + example + "}" if not example.lstrip().startswith("{") else example)
        if "format" in doc:
            env.validator.validate(doc)
            whole += 1
            continue
        for key, value in doc.items():
            schema = env.schema["properties"].get(key)
            check(schema is not None, "report-format.md shows %r, which the schema lacks" % key)
            jsonschema.Draft202012Validator(dict(schema, **{"$defs": env.schema.get(
                "$defs", {})})).validate(value)
    check(whole == 1, "%d whole example reports" % whole)


def perf_commands(env):
    text = open(os.path.join(SOURCE, "docs", "performance.md")).read()
    build = os.path.dirname(env.agent)
    work = os.path.join(env.work, "perf")
    os.makedirs(work)
    os.symlink(build, os.path.join(work, "build"))
    os.symlink(os.path.join(SOURCE, "tests"), os.path.join(work, "tests"))
    shell_env = dict(os.environ, PATH=os.path.join(env.java_home, "bin") + ":" + os.environ["PATH"])
    sigterm = [b for lang, b in code_blocks(text) if lang == "sh" and "KeepBlocks" in b]
    check(len(sigterm) == 1, "%d SIGTERM timing blocks in performance.md" % len(sigterm))
    # The block works in /tmp/kb as written: runs of this test on both JDKs at once (ctest -j)
    # would share it, so they take turns.
    with open("/tmp/kb.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        p = subprocess.run(["bash", "-c", sigterm[0]], cwd=work, env=shell_env,
                           capture_output=True, text=True, timeout=300)
    print(p.stdout + p.stderr)
    check(p.returncode in (0, 143), "the SIGTERM block exited %d" % p.returncode)
    check(re.search(r"report written to /tmp/kb/r.json \(exit\) in \d+ ms: \S+ \S+ live in "
                    r"1000000 blocks", p.stderr), "no exit report of 1000000 blocks")
    check(re.search(r"^real\s", p.stderr, re.M), "no timing printed")
    # The bounded-memory commands: every one names dump_bench's options as it takes them; the
    # smallest (10,000 sites, about half a minute) runs as written, once (it names JDK 17).
    dump_benches = [b.replace("\\\n", " ") for lang, block in code_blocks(text) if lang == "sh"
                    for b in re.split(r"\n(?=/usr/bin/python3)", block) if "--memory" in b]
    check(len(dump_benches) >= 5, "%d dump_bench --memory commands" % len(dump_benches))
    for cmd in dump_benches:
        check(re.search(r"--sites \d+ --blocks \d+", cmd), "no --sites/--blocks in %s" % cmd)
    small = [c for c in dump_benches if "--sites 10000 --blocks 1" in c and "--options" not in c]
    check(len(small) == 1, "no 10,000-site dump_bench command")
    if "17" in env.jdk:
        p = subprocess.run(["bash", "-c", small[0]], cwd=work, capture_output=True, text=True,
                           timeout=600)
        print(p.stdout[-1500:] + p.stderr[-500:])
        check(p.returncode == 0 and "RSS once the blocks are made" in p.stdout and
              re.search(r"dump 2: RSS \d+ MB before", p.stdout),
              "the dump_bench command exited %d without its memory figures" % p.returncode)
    # The hooks' instruction-count guard, as performance.md shows it (a few seconds; once).
    guards = re.findall(r"`(/usr/bin/python3 tests/perf/test_hook_cost.py [^`]*)`", text)
    check(len(guards) == 1, "%d hook_cost commands in performance.md" % len(guards))
    if "17" in env.jdk:
        p = subprocess.run(["bash", "-c", guards[0]], cwd=work, capture_output=True, text=True,
                           timeout=300)
        print(guards[0], "->", p.stdout.strip()[-600:])
        check(p.returncode == 0 and "2 passed, 0 failed" in p.stdout,
              "%s exited %d: %s" % (guards[0], p.returncode, p.stdout[-500:] + p.stderr[-300:]))
    # The charts' commands as written, on the JSON committed beside the charts (once).
    charts = re.findall(r"`(/usr/bin/python3 tests/bench/charts.py [^`]*)`", text)
    check(len(charts) == 2, "%d charts.py commands in performance.md" % len(charts))
    if "17" in env.jdk:
        img = os.path.join(work, "docs", "img")
        os.makedirs(img)
        for cmd in charts:
            words = cmd.split()
            source, png = words[words.index("--json") + 1], words[-1]
            subprocess.run(["cp", os.path.join(SOURCE, source), img], check=True)
            p = subprocess.run(["bash", "-c", cmd], cwd=work, capture_output=True, text=True,
                               timeout=120)
            print(cmd, "->", p.returncode, p.stderr[-300:])
            with open(os.path.join(work, png), "rb") as f:
                drawn = f.read()
            check(p.returncode == 0 and drawn[:8] == b"\x89PNG\r\n\x1a\n" and len(drawn) > 10000,
                  "%s exited %d and drew %d bytes" % (cmd, p.returncode, len(drawn)))
    bench_commands(env, text, work)
    benches = re.findall(r"`(build/tests/bench/native/memory_bench [0-9 ]+)`", text)
    check(benches, "no memory_bench command in performance.md")
    for cmd in benches:
        if int(cmd.split()[1]) > 500:
            continue  # 2,000 threads: a minute on a loaded machine; the 200-thread one runs
        p = subprocess.run(["bash", "-c", cmd], cwd=work, capture_output=True, text=True,
                           timeout=300)
        print(cmd, "->", p.stdout.strip()[-300:])
        check(p.returncode == 0 and p.stdout.strip(), "%s exited %d: %s" % (
            cmd, p.returncode, p.stderr[-300:]))


# What scripts/bench.sh runs after scripts/setup.sh (which installs packages: not run here).
BENCH_SH_EXEC = ("exec /usr/bin/python3 tests/bench/run_bench.py \\\n"
                 "  --agent build/libleakbridge.so --java-home /usr/lib/jvm/java-17-openjdk-amd64 "
                 "\\\n  --native-lib-dir build/tests/bench/native \"$@\"")


def bench_commands(env, text, work):
    """Every benchmark command of performance.md (scripts/bench.sh, run_bench.py), which take
    minutes, runs with --dry-run added: run_bench.py checks its arguments (workloads,
    configurations, files) and stops. A build named only in the text (OLD.so, a commit's .so)
    stands for another build of the agent: this build takes its place."""
    bench_sh = open(os.path.join(SOURCE, "scripts", "bench.sh")).read()
    check(BENCH_SH_EXEC in bench_sh, "scripts/bench.sh no longer runs run_bench.py as this test "
          "assumes")
    commands = re.findall(r"`((?:/usr/bin/)?(?:python3 )?(?:scripts/bench\.sh|"
                          r"tests/bench/run_bench\.py)[^`]*)`", text)
    for lang, block in code_blocks(text):
        if lang == "sh":
            joined = block.replace("\\\n", " ")
            commands += [line.split("#")[0].strip() for line in joined.splitlines()
                         if re.match(r"(python3 tests/bench/run_bench\.py|scripts/bench\.sh)",
                                     line.strip())]
    check(len(commands) >= 10, "only %d benchmark commands in performance.md" % len(commands))
    for cmd in commands:
        words = cmd.split()
        if words[0] == "scripts/bench.sh":
            words = ["/usr/bin/python3", "tests/bench/run_bench.py", "--agent",
                     "build/libleakbridge.so", "--java-home",
                     "/usr/lib/jvm/java-17-openjdk-amd64", "--native-lib-dir",
                     "build/tests/bench/native"] + words[1:]
        for i in range(len(words) - 1):
            if words[i] == "--alt-agent" and not os.path.exists(os.path.join(work, words[i + 1])):
                words[i + 1] = "build/libleakbridge.so"
        p = subprocess.run(words + ["--dry-run"], cwd=work, capture_output=True, text=True,
                           timeout=60)
        print(cmd, "->", p.stdout.strip() or p.stderr.strip()[-300:])
        check(p.returncode == 0 and p.stdout.startswith("dry run:"),
              "%s --dry-run exited %d: %s" % (cmd, p.returncode, p.stderr[-300:]))


def test(env):
    format_examples(env)
    perf_commands(env)


if __name__ == "__main__":
    lbtest.main(test)
