"""Harness of the Java API tests: the JVM tests' lbtest (tests/jvm) plus the paths of the jars,
the JUnit console launcher, the demos and the leakbridge command. Each test file is a main that
returns 0 (pass), 1 (fail) or 77 (skip)."""

import os
import subprocess
import sys
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "jvm"))
import lbtest  # noqa: E402
from lbtest import Failure, check  # noqa: E402,F401

SKIP = lbtest.SKIP


class Env(lbtest.Env):
    def __init__(self, args):
        super().__init__(args)
        self.api_jar = args.api_jar
        self.junit_jar = args.junit_jar
        self.junit_console = args.junit_console
        self.zstd_jar = args.zstd_jar
        self.demo_classes = args.demo_classes
        self.source_dir = args.source_dir
        self.cli = args.cli

    def java_cmd(self, agent_options=None, jvm_args=()):
        """The java command line, with the agent when agent_options is not None."""
        cmd = [self.java]
        if agent_options is not None:
            cmd.append("-agentpath:%s=%s" % (self.agent, agent_options))
        return cmd + ["-Xmx512m", "-Djava.library.path=/usr/lib/x86_64-linux-gnu"] + list(jvm_args)

    def execute(self, cmd, timeout=240, expect_exit=None, env=None, cwd=None):
        print("$ " + " ".join(cmd), flush=True)
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=cwd,
                           env=dict(os.environ, **(env or {})))
        sys.stdout.write(p.stdout)
        sys.stdout.write(p.stderr)
        sys.stdout.flush()
        if expect_exit is not None:
            check(p.returncode == expect_exit, "%s exited %d, expected %d" % (
                os.path.basename(cmd[0]), p.returncode, expect_exit))
        return p

    def junit(self, tag, selectors, agent_options=None, jvm_args=(), config=()):
        """Runs the JUnit platform console launcher (Debian's junit5) on the test classes with
        our two jars and zstd-jni; returns (CompletedProcess, {test method: (status, message)})
        read from the launcher's XML report."""
        reports = os.path.join(self.work, tag)
        os.makedirs(reports, exist_ok=True)
        cp = os.pathsep.join([self.classes, self.api_jar, self.junit_jar, self.zstd_jar])
        cmd = self.java_cmd(agent_options, jvm_args) + [
            "-jar", self.junit_console, "--disable-banner", "--details=tree",
            "--class-path", cp, "--reports-dir", reports]
        for c in config:
            cmd += ["--config", c]
        cmd += list(selectors)
        p = self.execute(cmd)
        return p, junit_results(os.path.join(reports, "TEST-junit-jupiter.xml"))


def junit_results(path):
    """{method name: (status, message)} from a legacy XML report; status passed, failed,
    error or skipped."""
    check(os.path.isfile(path), "the launcher wrote no %s" % path)
    results = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        name = case.get("name").split("(")[0]
        status, message = "passed", ""
        for tag in ("failure", "error", "skipped"):
            el = case.find(tag)
            if el is not None:
                status = {"failure": "failed", "error": "error", "skipped": "skipped"}[tag]
                message = (el.get("message") or "") + "\n" + (el.text or "")
        results[name] = (status, message)
    return results


def main(test):
    lbtest.main(test, ("--api-jar", "--junit-jar", "--junit-console", "--zstd-jar",
                       "--demo-classes", "--source-dir", "--cli"), Env)


def require_cli(env, *commands):
    """Skips (77) while the leakbridge command or one of its commands is not built yet."""
    if not os.access(env.cli, os.X_OK):
        lbtest.skip("no leakbridge command at %s" % env.cli)
    for c in commands:
        p = subprocess.run([env.cli, c, "--help"], capture_output=True, text=True)
        if p.returncode != 0 or not p.stdout.strip():
            lbtest.skip("leakbridge %s is not implemented in this build" % c)
