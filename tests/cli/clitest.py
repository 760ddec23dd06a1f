"""Helpers for the tests of the leakbridge command (cli/): they make real reports with the
agent through tests/jvm/lbtest.py, run the command on them and check what it printed. The
command's path comes in $LEAKBRIDGE_CLI (tests/cli/CMakeLists.txt sets it)."""
import copy
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "jvm"))
import lbtest  # noqa: E402
from lbtest import check  # noqa: E402,F401

CLI = os.environ.get("LEAKBRIDGE_CLI", "")


def run(args, expect=0, cwd=None, timeout=120, env=None):
    """Runs leakbridge ARGS (in env, a whole environment, if given); checks its exit status;
    returns the CompletedProcess."""
    check(os.path.isfile(CLI), "no leakbridge command at %r (set LEAKBRIDGE_CLI)" % CLI)
    cmd = [CLI] + [str(a) for a in args]
    print("$ " + " ".join(cmd), flush=True)
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, timeout=timeout, env=env)
    sys.stdout.write(p.stdout)
    sys.stdout.write(p.stderr)
    check(p.returncode >= 0, "leakbridge %s was killed by signal %d" % (" ".join(cmd[1:2]),
                                                                        -p.returncode))
    if expect is not None:
        check(p.returncode == expect, "leakbridge %s exited %d, expected %d" % (
            " ".join(map(str, args)), p.returncode, expect))
    return p


def human(n):
    """Bytes as the command prints them: 1008 B, 36.4 KiB, 18.3 MiB."""
    sign, n = ("-" if n < 0 else ""), abs(n)
    if n < 1024:
        return "%s%d B" % (sign, n)
    v, units = n / 1024.0, ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
    u = 0
    while v >= 1023.95 and u + 1 < len(units):
        v /= 1024.0
        u += 1
    return "%s%.1f %s" % (sign, v, units[u])


def growth(n):
    return ("+" if n > 0 else "") + human(n)


def write_report(env, name, report):
    path = os.path.join(env.work, name)
    with open(path, "w") as f:
        json.dump(report, f)
    return path


def line_with(text, *needles):
    """The first line of text that holds every needle; fails if none does."""
    for line in text.splitlines():
        if all(n in line for n in needles):
            return line
    raise lbtest.Failure("no line with %s in:\n%s" % (" and ".join(map(repr, needles)), text))


def zstd_report(env, tag, streams, options="sample=0"):
    """A report of ZstdLeak keeping `streams` streams: (path, report)."""
    _, report = lbtest.run_zstd(env, tag, ["leak", streams], options=options)
    return report_path(env, tag), report


def report_path(env, tag):
    out = os.path.join(env.work, tag)
    paths = [os.path.join(out, f) for f in os.listdir(out) if f.startswith("report-")]
    check(len(paths) == 1, "expected one report in %s" % out)
    return paths[0]


def run_report(env, tag, main, args, options="sample=0", **kwargs):
    """lbtest.run_report, returning (path, report)."""
    _, report = lbtest.run_report(env, tag, main, args, options=options, **kwargs)
    return report_path(env, tag), report


def live_dumps(env, tag, steps):
    """Runs LiveDumps (lbtest.Session); for each step, its commands, then a jcmd dump; then it
    quits, which writes the exit report. Returns the paths of every report, oldest first."""
    s = lbtest.Session(env, tag)
    try:
        for commands in steps:
            for c in commands:
                s.do(c)
            s.dump()
        s.quit()
    finally:
        s.kill()
    paths = s.report_paths()
    check(len(paths) == len(steps) + 1, "%s: expected %d reports, found %d" % (
        tag, len(steps) + 1, len(paths)))
    return paths


def site_with_symbol(report, symbol):
    sites = lbtest.sites_with_symbol(report, symbol)
    check(len(sites) == 1, "expected one site of %s, found %d" % (symbol, len(sites)))
    return sites[0]


MIB = 1 << 20
GIB = 1 << 30


def region(report, name):
    """The region of that name in a report's (or top --json's) memory section."""
    found = [g for g in report["memory"]["regions"] if g["name"] == name]
    check(len(found) == 1, "expected one region %s, found %d" % (name, len(found)))
    return found[0]


def with_memory(report, regions=None, unexplained=None, findings=None, limit=None, **top):
    """A copy of report whose memory section has these region fields ({name: {field: value}}),
    unexplained bytes and findings, rss_bytes made their sum again; memory_limit set to limit
    (None keeps it); other top-level fields set from top."""
    r = copy.deepcopy(report)
    m = r["memory"]
    for name, fields in (regions or {}).items():
        region(r, name).update(fields)
    if unexplained is not None:
        m["unexplained_bytes"] = unexplained
    if findings is not None:
        m["findings"] = findings
    m["rss_bytes"] = sum(g["rss_bytes"] for g in m["regions"]) + m["unexplained_bytes"]
    if limit is not None:
        r["memory_limit"] = limit
    r.update(top)
    return r


def table(out, header):
    """The lines of the table whose header line ends with header ("REGION" in diff's, "FIGURES"
    in top's), up to the first blank line."""
    lines = out.splitlines()
    start = [i for i, l in enumerate(lines) if l.split()[-1:] == [header]]
    check(start, "no table headed %s in:\n%s" % (header, out))
    rows = []
    for line in lines[start[0] + 1:]:
        if not line.strip():
            break
        rows.append(line)
    return rows


main = lbtest.main
