"""Helpers for the memory section's tests (test_memory_*.py): MemoryGrow (tests/jvm/java) run
under the agent, driven through stdin, dumped with jcmd between steps; and the checks every
memory section must pass."""
import glob
import os
import subprocess
import sys
import time

import lbtest
from lbtest import check

MIB = 1 << 20
REGIONS = ("java_heap", "metaspace", "code_cache", "thread_stacks", "malloc", "mapped_files",
           "other")
# The share of RSS the section may leave unexplained in these programs.
UNEXPLAINED_MAX = 0.10


class Grow:
    """MemoryGrow under the agent, with its reports in a directory of its own."""

    def __init__(self, env, tag, options="", jvm_args=(), env_vars=None):
        self.env = env
        self.dir = os.path.join(env.work, tag)
        os.makedirs(self.dir, exist_ok=True)
        output = os.path.join(self.dir, "report-%n.json")
        cmd = [env.java, "-agentpath:%s=output=%s%s" % (env.agent, output,
                                                        "," + options if options else ""),
               "-Xmx1g", "-Djava.library.path=%s" % env.native_lib_dir] + list(jvm_args)
        cmd += ["-cp", env.classes, "MemoryGrow"]
        print("$ " + " ".join(cmd), flush=True)
        self.stderr_path = os.path.join(self.dir, "stderr.txt")
        self.stderr = open(self.stderr_path, "w")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.stderr, text=True, bufsize=1,
                                     env=dict(os.environ, **(env_vars or {})))
        first = self.proc.stdout.readline()
        check(first.startswith("pid="), "MemoryGrow did not start: %r" % first)
        self.pid = int(first[4:])

    def do(self, command):
        """Sends a command; returns the lines printed before its answer."""
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        lines = []
        while True:
            line = self.proc.stdout.readline()
            check(line, "%s: MemoryGrow ended" % command)
            if line.strip() == "ok " + command.split()[0]:
                return lines
            lines.append(line.strip())

    def paths(self):
        return lbtest.by_number(glob.glob(os.path.join(self.dir, "report-*.json")))

    def dump(self):
        """jcmd JVMTI.data_dump (written on the dumper thread); returns the new report."""
        before = len(self.paths())
        jcmd = os.path.join(self.env.java_home, "bin", "jcmd")
        p = subprocess.run([jcmd, str(self.pid), "JVMTI.data_dump"], capture_output=True,
                           text=True, timeout=120)
        check(p.returncode == 0, "jcmd failed: %s" % p.stdout + p.stderr)
        deadline = time.time() + 60
        while len(self.paths()) <= before and time.time() < deadline:
            time.sleep(0.05)
        check(len(self.paths()) > before, "no report after jcmd")
        return self.env.load(self.paths()[-1])

    def quit(self):
        """Ends the program; returns its exit report."""
        self.do("quit")
        check(self.proc.wait(timeout=120) == 0, "MemoryGrow exited %d" % self.proc.returncode)
        self.stderr.close()
        sys.stdout.write(open(self.stderr_path).read())
        return self.env.load(self.paths()[-1])

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def steps(env, tag, commands, **kwargs):
    """Runs MemoryGrow (Grow's keyword arguments), dumps with jcmd first and after each command,
    checks every section and quits; returns (the reports, the commands' outputs, the exit
    report)."""
    g = Grow(env, tag, **kwargs)
    try:
        reports, outputs = [g.dump()], []
        check_section(reports[0], "first")
        for command in commands:
            outputs.append(g.do(command))
            reports.append(g.dump())
            check_section(reports[-1], "after %s" % command)
        return reports, outputs, g.quit()
    finally:
        g.kill()


def around(env, tag, command, **kwargs):
    """steps with one command: (before, after, its output, the exit report)."""
    (before, after), (out,), exit_report = steps(env, tag, [command], **kwargs)
    return before, after, out, exit_report


def region(report, name):
    found = [r for r in report["memory"]["regions"] if r["name"] == name]
    check(len(found) == 1, "expected one region %s, found %d" % (name, len(found)))
    return found[0]


def show(report, label):
    m = report["memory"]
    print("%s: rss %.1f MiB, unexplained %.1f MiB, gathered in %d us" % (
        label, m["rss_bytes"] / MIB, m["unexplained_bytes"] / MIB, m["gather_us"]))
    for r in m["regions"]:
        print("  %-14s %8.1f MiB  %s" % (r["name"], r["rss_bytes"] / MIB, r["method"]))
        for p in r.get("parts", []):
            print("      %-14s %8.1f MiB" % (p["name"], p["rss_bytes"] / MIB))
    for f in m["findings"]:
        print("  finding %s: %s" % (f["code"], f["message"]))


def check_section(report, label="report", unexplained_max=UNEXPLAINED_MAX):
    """The section is whole: every region once, regions + unexplained = rss_bytes, and the
    unexplained rest below its share."""
    check("memory" in report, "%s has no memory section" % label)
    show(report, label)
    m = report["memory"]
    names = [r["name"] for r in m["regions"]]
    check(sorted(names) == sorted(REGIONS), "%s: regions %s" % (label, names))
    total = sum(r["rss_bytes"] for r in m["regions"]) + m["unexplained_bytes"]
    check(total == m["rss_bytes"], "%s: regions + unexplained = %d, rss_bytes %d" % (
        label, total, m["rss_bytes"]))
    other = region(report, "other")
    check(sum(p["rss_bytes"] for p in other["parts"]) == other["rss_bytes"],
          "%s: other's parts do not add up" % label)
    share = m["unexplained_bytes"] / m["rss_bytes"]
    check(share <= unexplained_max, "%s: %.1f%% of RSS unexplained (at most %.0f%%)" % (
        label, 100 * share, 100 * unexplained_max))
    return m


def grew(before, after, name, key="rss_bytes"):
    return region(after, name)[key] - region(before, name)[key]


def codes(report):
    return [f["code"] for f in report["memory"]["findings"]]
