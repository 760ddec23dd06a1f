"""The CI recipe of docs/cli.md, run exactly as written: the one `sh` block there that runs
`leakbridge check` is taken from the page and run by bash (set -eu) in a project directory,
with LEAKBRIDGE_HOME naming an installation (bin/leakbridge, lib/libleakbridge.so: this build)
and the JDK's java first on PATH. The project's two test JVMs (com.example.ParserTest and
CodecTest, tests/cli/ci_recipe/) are compiled into build/classes first: once with the CodecTest
that keeps every direct buffer it makes (the gate fails: exit 1, both reports judged, and the
JUnit XML has one failure naming CodecTest.encode with its stack), once with the fixed one
(exit 0, no failure). ParserTest drops its buffers: memory that only waits for a GC, which the
exit report's forced GC (gc=on) releases, so it never counts."""
import os
import re
import subprocess
import xml.etree.ElementTree as ET

import clitest
from clitest import check, line_with

SOURCE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROGRAMS = os.path.join(SOURCE, "tests", "cli", "ci_recipe")


def recipe():
    """The sh block of docs/cli.md that runs leakbridge check."""
    text = open(os.path.join(SOURCE, "docs", "cli.md")).read()
    blocks = [b for b in re.findall(r"^```sh\n(.*?)^```", text, re.S | re.M)
              if "leakbridge\" check" in b or "leakbridge check" in b]
    check(len(blocks) == 1, "expected one sh block running leakbridge check in docs/cli.md, "
          "found %d" % len(blocks))
    return blocks[0]


def installation(env):
    """PREFIX/bin/leakbridge and PREFIX/lib/libleakbridge.so, as cmake --install lays them out."""
    prefix = os.path.join(env.work, "prefix")
    os.makedirs(os.path.join(prefix, "bin"))
    os.makedirs(os.path.join(prefix, "lib"))
    os.symlink(clitest.CLI, os.path.join(prefix, "bin", "leakbridge"))
    os.symlink(env.agent, os.path.join(prefix, "lib", "libleakbridge.so"))
    return prefix


def run_recipe(env, prefix, version):
    """Compiles the project with CodecTest's `version` and runs the recipe in it; returns
    (CompletedProcess, project directory)."""
    project = os.path.join(env.work, version)
    classes = os.path.join(project, "build", "classes")
    javac = [os.path.join(env.java_home, "bin", "javac"), "-d", classes,
             os.path.join(PROGRAMS, "ParserTest.java"),
             os.path.join(PROGRAMS, version, "CodecTest.java")]
    p = subprocess.run(javac, capture_output=True, text=True)
    check(p.returncode == 0, "javac failed: %s" % p.stderr)
    env_vars = dict(os.environ, LEAKBRIDGE_HOME=prefix,
                    PATH=os.path.join(env.java_home, "bin") + os.pathsep + os.environ["PATH"])
    print("$ cd %s && bash -eu <<'EOF'\n%sEOF" % (project, recipe()), flush=True)
    p = subprocess.run(["bash", "-euc", recipe()], cwd=project, env=env_vars, capture_output=True,
                       text=True, timeout=300)
    print(p.stdout + p.stderr)
    return p, project


def junit(project):
    path = os.path.join(project, "build", "test-results", "leakbridge.xml")
    check(os.path.isfile(path), "the recipe wrote no %s" % path)
    return ET.parse(path).getroot().find("testsuite")


def test(env):
    prefix = installation(env)

    p, project = run_recipe(env, prefix, "leaking")
    check(p.returncode == 1, "the gate passed a leak: exit %d" % p.returncode)
    check("CodecTest: 100 frames encoded" in p.stdout and "ParserTest: 200" in p.stdout,
          "the test JVMs did not both run")
    summary = line_with(p.stdout, "SUMMARY: leakbridge:")
    check("%d bytes" % (100 * 4096) in summary and "at 1 site in 2 reports" in summary and
          "1 report over the limit of 0 B" in summary, summary)
    line_with(p.stdout, "direct_buffer leak of %d bytes" % (100 * 4096), "in 100 blocks")
    check("com.example.CodecTest.encode (CodecTest.java:" in p.stdout, "no stack of the leak")
    suite = junit(project)
    failures = [c for c in suite.findall("testcase") if c.find("failure") is not None]
    check(len(failures) == 1 and suite.get("failures") == "1", "failures: %s" % suite.attrib)
    case = failures[0]
    check(case.get("classname") == "leakbridge.direct_buffer" and
          case.get("name") == "CodecTest.encode", "failed case %s" % case.attrib)
    body = case.find("failure").text
    check("com.example.CodecTest.encode (CodecTest.java:" in body and "in 100 blocks" in body,
          "failure body:\n%s" % body)
    check(not any("ParserTest" in (c.get("name") or "") for c in suite.findall("testcase")),
          "ParserTest's buffers, released by the forced GC, became a test case")

    p, project = run_recipe(env, prefix, "fixed")
    check(p.returncode == 0, "the gate failed a clean build: exit %d" % p.returncode)
    summary = line_with(p.stdout, "SUMMARY: leakbridge:")
    check("0 bytes (0 B) live" in summary and "in 2 reports; 0 reports over" in summary, summary)
    suite = junit(project)
    check(suite.get("failures") == "0" and suite.findall("testcase"), "JUnit: %s" % suite.attrib)


if __name__ == "__main__":
    clitest.main(test)
