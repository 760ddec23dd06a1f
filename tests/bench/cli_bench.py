#!/usr/bin/python3
"""leakbridge command benchmark: top, check, diff, merge and flame on big reports.

Writes two reports of SITES sites each with tests/bench/big_report.py (the same stacks, other
sizes: the second is a later dump of the same program) from a real report (--template, or one
the agent writes of tests/jvm/java/DirectBuffersKept.java), then runs each command on them and
prints its wall time, CPU time, peak resident memory (the child's rusage, from wait4), the
report's size and the peak's ratio to it. diff and merge read both reports, so their ratio is
to one report's size, as the others'. --old-cli runs another build of the command on the same
files, for a before and after.

    /usr/bin/python3 tests/bench/cli_bench.py --cli build/leakbridge \\
        --agent build/libleakbridge.so --java-home /usr/lib/jvm/java-17-openjdk-amd64 \\
        --classes build/tests/jvm/classes [--sites 200000] [--work DIR] [--old-cli OLD]

Standard library only (Debian's python3). tests/cli/test_big_report.py runs it at a small size.
"""

import argparse
import glob
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def template_report(args, work):
    """A real report: --template, or one the agent writes of DirectBuffersKept."""
    if args.template:
        return args.template
    out = os.path.join(work, "template")
    os.makedirs(out, exist_ok=True)
    for old in glob.glob(os.path.join(out, "report-*.json")):
        os.unlink(old)
    java = os.path.join(args.java_home, "bin", "java")
    subprocess.run([java, "-agentpath:%s=output=%s/report-%%n.json,sample=0" % (args.agent, out),
                    "-cp", args.classes, "DirectBuffersKept", "5", "1001"],
                   check=True, capture_output=True)
    return glob.glob(os.path.join(out, "report-*.json"))[0]


def big_reports(args, work, template):
    """The two big reports, written unless --work holds them already."""
    paths = []
    for seed in (1, 2):
        path = os.path.join(work, "big-%d-%d.json" % (args.sites, seed))
        if not os.path.exists(path):
            subprocess.run([sys.executable, os.path.join(HERE, "big_report.py"), template,
                            path + ".tmp", str(args.sites), "--seed", str(seed)], check=True)
            os.rename(path + ".tmp", path)
        paths.append(path)
    return paths


def measure(cmd):
    """Runs cmd (stdout to /dev/null): (exit status, wall s, cpu s, peak RSS bytes, stderr)."""
    with tempfile.TemporaryFile() as err, open(os.devnull, "w") as null:
        start = time.monotonic()
        p = subprocess.Popen(cmd, stdout=null, stderr=err)
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.monotonic() - start
        p.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        return (p.returncode, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024,
                err.read().decode(errors="replace"))


def commands(cli, a, b, work):
    """(name, argv, expected exit status) of each command measured."""
    merged = os.path.join(work, "merged.json")
    return [("top", [cli, "top", a], 0),
            ("check", [cli, "check", a], 1),  # over the default limit of 0 B
            ("diff", [cli, "diff", a, b], 0),
            ("merge", [cli, "merge", "--all-dumps", a, b, "-o", merged], 0),
            ("flame", [cli, "flame", a, "--collapsed"], 0)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cli", required=True, help="the leakbridge command to measure")
    ap.add_argument("--old-cli", help="another build of it, measured on the same files")
    ap.add_argument("--template", help="a real report to take the header from")
    ap.add_argument("--agent", help="libleakbridge.so, to write the template")
    ap.add_argument("--java-home", help="a JDK, to write the template")
    ap.add_argument("--classes", help="build/tests/jvm/classes, to write the template")
    ap.add_argument("--sites", type=int, default=200000)
    ap.add_argument("--work", help="where the reports go (kept; reused when present)")
    args = ap.parse_args()
    if not args.template and not (args.agent and args.java_home and args.classes):
        ap.error("give --template, or --agent, --java-home and --classes to write one")
    work = args.work or tempfile.mkdtemp(prefix="cli-bench-")
    os.makedirs(work, exist_ok=True)
    a, b = big_reports(args, work, template_report(args, work))
    size = os.path.getsize(a)
    print("reports: %s (%.1f MiB), %s (%.1f MiB), %d sites each" % (
        a, size / 2**20, b, os.path.getsize(b) / 2**20, args.sites))
    print("%-6s %-5s %8s %8s %10s %10s" % ("CMD", "BUILD", "WALL s", "CPU s", "PEAK MiB",
                                          "PEAK/FILE"))
    failed = False
    builds = [("new", args.cli)] + ([("old", args.old_cli)] if args.old_cli else [])
    for label, cli in builds:
        for name, cmd, want in commands(cli, a, b, work):
            status, wall, cpu, peak, err = measure(cmd)
            if status != want:
                failed = True
                sys.stdout.write("%s (%s) exited %d, expected %d: %s\n" % (
                    name, label, status, want, err.strip()))
                continue
            print("%-6s %-5s %8.2f %8.2f %10.1f %10.2f" % (name, label, wall, cpu, peak / 2**20,
                                                           peak / size), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
