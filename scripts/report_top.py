#!/usr/bin/env python3
"""Prints the biggest live sites of a leakbridge report: a stopgap reader for the demo until
the `leakbridge top` command exists. Usage: report_top.py REPORT [N]"""
import json
import sys


def human(n):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return ("%d %s" % (n, unit)) if unit == "B" else ("%.1f %s" % (n, unit))
        n /= 1024.0


def frame(f):
    if f["type"] == "java":
        where = ":%d" % f["line"] if "line" in f else ""
        return "%s.%s(%s%s)" % (f["class"], f["method"], f.get("file", "?"), where)
    module = (f.get("module") or "?").rsplit("/", 1)[-1]
    return "%s (%s+%s)" % (f.get("symbol") or "??", module, f["offset"])


def main():
    report = json.load(open(sys.argv[1]))
    limit = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    t = report["totals"]
    print("%s live in %d blocks at %d sites%s" % (
        human(t["live_bytes"]), t["live_count"], t["sites"],
        " (estimated from samples)" if report["sampling"]["estimated"] else ""))
    for s in report["sites"][:limit]:
        print("\n%10s %5.1f%%  %d blocks  %s" % (
            human(s["live_bytes"]), 100.0 * s["live_bytes"] / max(1, t["live_bytes"]),
            s["live_count"], s["kind"]))
        for f in s["frames"][:12]:
            print("             %s %s" % ("J" if f["type"] == "java" else "N", frame(f)))


if __name__ == "__main__":
    main()
