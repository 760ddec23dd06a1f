"""Harness of the release tests (docs/release.md): the build directory, the source tree, the JDK
and the version; a fresh work directory; and the demo run against an installed agent and
command in a clean environment (env -i: no variable, nothing of the build tree on any path)."""
import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import traceback
import zipfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "jvm"))
from lbtest import Failure, check  # noqa: E402,F401


class Env:
    def __init__(self, args):
        self.build = os.path.realpath(args.build_dir)
        self.source = os.path.realpath(args.source_dir)
        self.java_home = args.java_home
        self.version = args.version
        self.junit_console = args.junit_console
        self.zstd_jar = args.zstd_jar
        self.archive_name = "leakbridge-%s-linux-x64" % self.version
        self.archive = os.path.join(self.build, self.archive_name + ".tar.gz")
        self.deb = os.path.join(self.build, "leakbridge_%s_amd64.deb" % self.version)
        self.work = tempfile.mkdtemp(prefix="lb-release-")

    def run(self, cmd, cwd=None, env=None, timeout=300, expect_exit=0, clean=False):
        """Runs cmd (a list, or a string for bash); prints it and its output. clean: env -i with
        only PATH=/usr/bin:/bin (and env's variables)."""
        if isinstance(cmd, str):
            cmd = ["bash", "-euo", "pipefail", "-c", cmd]
        if clean:
            full = dict({"PATH": "/usr/bin:/bin"}, **(env or {}))
            cmd = ["env", "-i"] + ["%s=%s" % kv for kv in full.items()] + cmd
            environ = {}
        else:
            environ = dict(os.environ, **(env or {}))
        print("$ " + " ".join(cmd), flush=True)
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=cwd,
                           env=environ)
        sys.stdout.write(p.stdout)
        sys.stdout.write(p.stderr)
        sys.stdout.flush()
        if expect_exit is not None:
            check(p.returncode == expect_exit, "%s exited %d, expected %d" % (
                cmd[0] if cmd[0] != "env" else "the command", p.returncode, expect_exit))
        return p

    def manifest_version(self, jar):
        with zipfile.ZipFile(jar) as z:
            text = z.read("META-INF/MANIFEST.MF").decode()
        m = re.search(r"^Implementation-Version: (\S+)", text, re.M)
        return m.group(1) if m else None

    def demo(self, agent, cli, tag, options="output={report},sample=0", report=None, pages=300):
        """ParquetLikeReader (java/demo, compiled here from its source) under the agent at
        `agent` with `options` ({report}: WORK/report.json; `report`: where the options put it,
        a glob; `pages`: ParquetLikeReader's argument), then `cli top` on its report, both in a clean environment; checks that the
        agent found the zstd leak and the direct buffers, and that the report, the command and
        the agent's line say this version. Returns the report."""
        check(self.build not in agent and self.build not in cli,
              "the demo must not run anything from the build tree")
        work = os.path.join(self.work, tag)
        classes = os.path.join(work, "classes")
        os.makedirs(classes)
        javac = os.path.join(self.java_home, "bin", "javac")
        self.run([javac, "--release", "11", "-cp", self.zstd_jar, "-d", classes,
                  os.path.join(self.source, "java", "demo", "ParquetLikeReader.java")])
        report = report or os.path.join(work, "report.json")
        p = self.run([os.path.join(self.java_home, "bin", "java"),
                      "-agentpath:%s=%s" % (agent, options.format(report=report)),
                      "-Djava.library.path=/usr/lib/x86_64-linux-gnu",
                      "-cp", "%s:%s" % (classes, self.zstd_jar), "ParquetLikeReader", str(pages)],
                     cwd=work, clean=True)
        written = glob.glob(report)
        check(len(written) == 1, "expected one report at %s, found %s" % (report, written))
        report = written[0]
        check("leakbridge: report written to %s" % report in p.stderr,
              "the agent did not say it wrote its report")
        with open(report) as f:
            doc = json.load(f)
        check(doc["agent"]["version"] == self.version,
              "the report's agent.version is %r, not %s" % (doc["agent"]["version"], self.version))
        top = self.run([cli, "top", report, "-n", "3"], cwd=work, clean=True).stdout
        check(re.search(r"malloc +live +ParquetLikeReader\.decompressPage .*ZSTD_createDStream", top),
              "leakbridge top does not show the zstd leak")
        check(re.search(r"direct_buffer +live +ParquetLikeReader\.cachePage", top),
              "leakbridge top does not show the direct buffers")
        out = self.run([cli, "--version"], clean=True).stdout.strip()
        check(out == "leakbridge %s" % self.version, "leakbridge --version says %r" % out)
        # attach looks for the agent first (beside it, ../lib, ../lib/leakbridge), then the pid.
        p = self.run([cli, "attach", "2147483647"], clean=True, expect_exit=2)
        check("no libleakbridge.so" not in p.stderr, "leakbridge attach does not find the agent")
        return doc


def main(test):
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", required=True)
    ap.add_argument("--source-dir", required=True)
    ap.add_argument("--java-home", required=True)
    ap.add_argument("--version", required=True)
    ap.add_argument("--junit-console")
    ap.add_argument("--zstd-jar", default="/usr/share/java/zstd-jni.jar")
    env = Env(ap.parse_args())
    rc = 0
    try:
        rc = test(env) or 0
    except Failure as e:
        print("FAIL: %s" % e)
        rc = 1
    except Exception:
        traceback.print_exc()
        rc = 1
    if rc == 0:
        shutil.rmtree(env.work, ignore_errors=True)
    else:
        print("work directory kept: %s" % env.work)
    sys.exit(rc)
