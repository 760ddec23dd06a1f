"""Shared helpers for the JVM tests: run a Java program under the agent, read and validate
the report it wrote. Each test file is a main that returns 0 (pass), 1 (fail) or 77 (skip)."""

import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile

import jsonschema

SKIP = 77


class Failure(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Failure(msg)


class Env:
    def __init__(self, args):
        self.agent = args.agent
        self.java_home = args.java_home
        self.classes = args.classes
        self.schema = json.load(open(args.schema))
        self.validator = jsonschema.Draft202012Validator(self.schema)
        self.jdk = os.path.basename(args.java_home.rstrip("/"))
        self.native_lib_dir = args.native_lib_dir
        self.work = tempfile.mkdtemp(prefix="lbtest-")

    @property
    def java(self):
        return os.path.join(self.java_home, "bin", "java")

    def run(self, main, args=(), options="", jvm_args=(), timeout=300, env=None, expect_exit=0):
        """Runs `main` with the agent; returns the CompletedProcess. options is the agent's
        option string; output defaults to a file per dump in this test's work directory."""
        if "output=" not in options:
            out = "output=" + os.path.join(self.work, "report-%n.json")
            options = out + ("," + options if options else "")
        cmd = [self.java, "-agentpath:%s=%s" % (self.agent, options), "-Xmx512m",
               "-cp", self.classes]
        if self.native_lib_dir:
            cmd.append("-Djava.library.path=%s:/usr/lib/x86_64-linux-gnu" % self.native_lib_dir)
        cmd += list(jvm_args) + [main] + [str(a) for a in args]
        print("$ " + " ".join(cmd), flush=True)
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                           env=dict(os.environ, **(env or {})))
        sys.stdout.write(p.stdout)
        sys.stdout.write(p.stderr)
        if expect_exit is not None:
            check(p.returncode == expect_exit,
                  "%s exited %d, expected %d" % (main, p.returncode, expect_exit))
        return p

    def reports(self):
        """Every report in the work directory, oldest first, each validated against the schema."""
        paths = sorted(glob.glob(os.path.join(self.work, "report-*.json")),
                       key=lambda p: int(p.rsplit("-", 1)[1].split(".")[0]))
        leftovers = [f for f in os.listdir(self.work) if ".tmp" in f]
        check(not leftovers, "temporary report files left behind: %s" % leftovers)
        return [self.load(p) for p in paths]

    def report(self):
        reports = self.reports()
        check(len(reports) == 1, "expected one report, found %d" % len(reports))
        return reports[0]

    def load(self, path):
        with open(path) as f:
            report = json.load(f)
        errors = sorted(self.validator.iter_errors(report), key=lambda e: list(e.path))
        check(not errors, "%s does not match the schema: %s" % (
            path, "; ".join("%s: %s" % ("/".join(map(str, e.path)), e.message)
                            for e in errors[:5])))
        return report


def java_frames(site):
    return [(f["class"], f["method"]) for f in site["frames"] if f["type"] == "java"]


def sites_with_method(report, cls, method):
    """Sites whose Java frames include cls.method."""
    return [s for s in report["sites"] if (cls, method) in java_frames(s)]


def describe(site):
    return "%s %d B in %d blocks: %s" % (
        site["kind"], site["live_bytes"], site["live_count"],
        " <- ".join("%s.%s" % f for f in java_frames(site)[:6]))


def main(test):
    ap = argparse.ArgumentParser()
    ap.add_argument("--agent", required=True)
    ap.add_argument("--java-home", required=True)
    ap.add_argument("--classes", required=True)
    ap.add_argument("--schema", required=True)
    ap.add_argument("--native-lib-dir", default="")
    args = ap.parse_args()
    if not os.path.exists(os.path.join(args.java_home, "bin", "java")):
        print("SKIPPED: no JDK at %s" % args.java_home)
        sys.exit(SKIP)
    env = Env(args)
    try:
        test(env)
    except Failure as e:
        print("FAILED: %s (work directory %s)" % (e, env.work))
        sys.exit(1)
    print("PASSED on %s" % env.jdk)
    sys.exit(0)
