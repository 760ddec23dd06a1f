"""docs/java-api.md's @NoNativeLeaks example cannot rot: the section's `java` blocks are written
to files named after their first class, and its `sh` blocks are run as written (set -euo
pipefail), with LB_BUILD, JAVA_HOME and JUNIT set to this build, this JDK and Debian's console
launcher, in a fresh directory:

- as written, the launcher finds the 3 tests and exits 1: exactly readsTheFirstPage fails, with
  the message the doc shows (its first line and its org.example frames, line numbers included);
- with the reader closed in that test (the clean variant) all 3 pass and it exits 0;
- with the test class named ParquetReaderIT, which --scan-class-path does not pick up by
  default, the doc's command fails (exit 2, no tests found) instead of passing with 0 tests;
- without sample=0 in the command (the agent's default sampling) readsAllPages fails with the
  sampling message the doc shows; with -Dleakbridge.junit.when-sampled=warn it passes and the
  JVM prints the doc's warning line."""
import os
import re

import jtest
from jtest import check

SECTION = "## `@NoNativeLeaks`"


def section(markdown):
    start = markdown.index(SECTION)
    end = markdown.find("\n## ", start + len(SECTION))
    return markdown[start:end if end >= 0 else len(markdown)]


def blocks(text, lang):
    """The fenced blocks of this info string ("" for plain ones), in order."""
    found, current, info = [], None, None
    for line in text.splitlines(keepends=True):
        if current is None and line.startswith("```"):
            current, info = [], line[3:].strip()
        elif current is not None and line.rstrip() == "```":
            if info == lang:
                found.append("".join(current))
            current = None
        elif current is not None:
            current.append(line)
    return found


def class_name(source):
    m = re.search(r"^(?:public\s+|final\s+|abstract\s+)*class\s+(\w+)", source, re.M)
    check(m, "a java block declares no class:\n%s" % source[:300])
    return m.group(1)


def summary(out):
    """{found, successful, failed, ...: count} of the launcher's test summary."""
    return {k: int(n) for n, k in re.findall(r"\[\s*(\d+) tests (\w+)\s*\]", out)}


def failed_tests(out):
    return sorted(set(re.findall(r"JUnit Jupiter:\w+:(\w+)\(\)", out)))


def one_line(text):
    return " ".join(text.split())


def strip_ansi(text):
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def test(env):
    doc = section(open(os.path.join(env.source_dir, "docs", "java-api.md")).read())
    sources = {class_name(b) + ".java": b for b in blocks(doc, "java")}
    check(len(sources) == 2, "expected the code under test and its test class: %s" % sorted(sources))
    scripts = blocks(doc, "sh")
    check(len(scripts) == 1, "expected one sh block, found %d" % len(scripts))
    script = scripts[0]
    check("--scan-class-path" in script, "the doc's command does not scan the class path")
    plain = blocks(doc, "")
    leak = [b for b in plain if b.startswith("native memory leaked by org.example.")]
    sampled = [b for b in plain if b.startswith("@NoNativeLeaks found no leak in org.example.")]
    warning = [b for b in plain if b.startswith("leakbridge: warning: the leakbridge agent samples")]
    check(len(leak) == 1 and len(sampled) == 1 and len(warning) == 1,
          "the doc must show the example's leak message, sampling message and warning once each")
    leak_header = leak[0].splitlines()[0]
    leak_frames = [line.strip() for line in leak[0].splitlines() if "org.example." in line
                   and line.strip().startswith("#")]
    check(len(leak_frames) >= 2, "the doc's message shows no org.example frames: %s" % leak[0])

    def run(tag, files, sh, extra_env=None):
        work = os.path.join(env.work, tag)
        os.makedirs(work)
        for name, text in files.items():
            with open(os.path.join(work, name), "w") as f:
                f.write(text)
        e = {"LB_BUILD": os.path.dirname(env.agent), "JAVA_HOME": env.java_home,
             "JUNIT": env.junit_console}
        e.update(extra_env or {})
        p = env.execute(["bash", "-c", "set -euo pipefail\n" + sh], cwd=work, timeout=200, env=e)
        return p, strip_ansi(p.stdout), strip_ansi(p.stderr)

    # As written: the leak is found, with the doc's message.
    p, out, err = run("as-written", sources, script)
    check(p.returncode == 1, "the doc's commands exited %d, expected 1 (a test failed)" % p.returncode)
    s = summary(out)
    check(s.get("found") == 3 and s.get("failed") == 1 and s.get("successful") == 2,
          "expected 3 tests found, 1 failed, 2 successful: %s" % s)
    check(failed_tests(out) == ["readsTheFirstPage"], "failed: %s" % failed_tests(out))
    check(leak_header in out, "the launcher's output lacks the doc's message line %r" % leak_header)
    lines = [line.strip() for line in out.splitlines()]
    for frame in leak_frames:
        check(frame in lines, "the launcher's output lacks the doc's frame %r" % frame)
    # What holds the leak (issue 20), as the doc shows it but for the array indices.
    held = [line.strip() for line in leak[0].splitlines() if line.strip().startswith("held by")]
    check(len(held) == 1, "the doc's message does not say what holds the leak")
    unindexed = lambda line: re.sub(r"\[\d+\]", "[]", line)
    check(unindexed(held[0]) in [unindexed(line) for line in lines],
          "the launcher's output lacks the doc's line %r" % held[0])

    # The clean variant: the reader closed, everything passes.
    test_file = "ParquetReaderTest.java"
    check(test_file in sources, "no %s in the doc" % test_file)
    leaky = "reader.read(0); // and never closes the reader"
    check(sources[test_file].count(leaky) == 1, "%r not found once in the doc's test" % leaky)
    clean = dict(sources)
    clean[test_file] = sources[test_file].replace(leaky, "reader.read(0);\n        reader.close();")
    p, out, err = run("clean", clean, script)
    s = summary(out)
    check(p.returncode == 0 and s.get("found") == 3 and s.get("successful") == 3,
          "the clean variant: exit %d, %s; expected exit 0 and 3 tests successful" % (p.returncode, s))

    # Named like an integration test, the class is not scanned: the command must not pass.
    renamed = {name.replace("ParquetReaderTest", "ParquetReaderIT"):
               text.replace("class ParquetReaderTest", "class ParquetReaderIT")
               for name, text in sources.items()}
    check("ParquetReaderTest.java" in script, "the doc's javac line does not name ParquetReaderTest.java")
    p, out, err = run("it", renamed, script.replace("ParquetReaderTest.java", "ParquetReaderIT.java"))
    check(summary(out).get("found") == 0, "ParquetReaderIT was scanned: %s" % summary(out))
    check(p.returncode == 2, "with no test found the doc's command exited %d, expected 2 (--fail-if-no-tests)" % p.returncode)

    # The agent's default sampling: the doc's sampling message, then its warning under warn.
    check(script.count("=sample=0") == 1, "the doc's command does not give sample=0 once")
    default_sampling = script.replace("=sample=0", "")
    p, out, err = run("sampled", sources, default_sampling)
    check(p.returncode == 1, "under sampling the doc's commands exited %d, expected 1" % p.returncode)
    check(one_line(sampled[0]) in one_line(out),
          "the launcher's output lacks the doc's sampling message:\n%s" % sampled[0])
    p, out, err = run("sampled-warn", sources, default_sampling,
                      {"JAVA_TOOL_OPTIONS": "-Dleakbridge.junit.when-sampled=warn"})
    check("readsAllPages" not in failed_tests(out), "readsAllPages failed under warn")
    warned = [line for line in err.splitlines() if line.startswith("leakbridge: warning:")]
    check(warned == [one_line(warning[0])], "expected the doc's warning once on stderr: %s" % warned)


if __name__ == "__main__":
    jtest.main(test)
