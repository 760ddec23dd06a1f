#!/usr/bin/python3
"""PNG charts of the overhead benchmark's own output (tests/bench/run_bench.py --json), drawn by
gnuplot (Debian package gnuplot-nox; not needed by the build or the tests):

- `--ratios OUT.png`: every configuration and tool against no tool, the workloads side by
  side (the JSON's `side_by_side`: throughput ratios, paired medians; 1 is no cost), and under
  each tool its `--leak-check` verdict when the run made one;
- `--scaling OUT.png`: throughput of all threads together per thread count and
  configuration, and each configuration's ratio to none at that count, by wall clock and by
  CPU time (the JSON's `scaling`, from WORKLOAD-Nt workloads).

Each chart names the machine, the JDK, the date and the benchmark command from the JSON's
header, and this script's own command line, which re-creates it from the same JSON:

    /usr/bin/python3 tests/bench/charts.py --json RUN.json --ratios docs/img/ratios.png
    /usr/bin/python3 tests/bench/charts.py --json RUN.json --scaling docs/img/scaling.png

Standard library only (Debian's python3).
"""

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile


def header_field(data, name):
    for line in data["header"]:
        if line.startswith(name + ":"):
            return line.split(":", 1)[1].strip()
    return "?"


def caption(data, argv):
    """The lines under a chart: where and when the figures were measured, and how to redo both."""
    started = data["header"][0].split(", ", 1)[-1]
    return [
        "%s; %s; %s" % (started, header_field(data, "cpu"), header_field(data, "jdk")),
        "bench: %s" % header_field(data, "command").replace("/usr/bin/python3 ", ""),
        "chart: %s" % shlex.join(["tests/bench/charts.py"] + argv),
    ]


def gp_string(s):
    return '"%s"' % s.replace("\\", "\\\\").replace('"', '\\"')


def gnuplot(script):
    p = subprocess.run(["gnuplot"], input=script, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit("charts: gnuplot failed:\n%s\n%s" % (p.stderr, script))


def wrap(line, width=150):
    """A long caption line cut into lines of at most width characters, at spaces."""
    out, cur = [], ""
    for word in line.split(" "):
        if cur and len(cur) + 1 + len(word) > width:
            out.append(cur)
            cur = "    " + word
        else:
            cur = cur + " " + word if cur else word
    return out + [cur]


def preamble(out, title, lines, height):
    cap = [l for line in lines for l in wrap(line)]
    script = ["set terminal pngcairo noenhanced size 1200,%d font 'DejaVu Sans,10'" % (
                  height + 16 * len(cap)),
              "set output %s" % gp_string(out),
              "set title %s font ',13'" % gp_string(title),
              "set bmargin %d" % (6 + len(cap))]
    for i, line in enumerate(cap):
        script.append("set label %d %s at screen 0.01, screen %f font ',8'" % (
            100 + i, gp_string(line), (len(cap) - i) * 16.0 / (height + 16 * len(cap))))
    return script


def ratios_chart(data, out, argv, work):
    table = data.get("side_by_side") or {}
    configs = [c for c in table if any(v for v in table[c].values())]
    workloads = []
    for c in configs:
        workloads += [w for w in table[c] if w not in workloads]
    if not configs:
        sys.exit("charts: no side_by_side figures in the JSON")
    verdicts = {r["config"]: r["verdict"] for r in data.get("leak_check") or []}
    dat = os.path.join(work, "ratios.dat")
    with open(dat, "w") as f:
        for c in configs:
            f.write("%s %s\n" % (c, " ".join(
                "%.4f" % table[c][w] if table[c].get(w) else "NaN" for w in workloads)))
    script = preamble(out, "Throughput against no tool (1 = no cost; higher is better)%s" % (
        "; under each tool, whether it found zstd-leak's leak" if verdicts else ""),
        caption(data, argv), 580)
    script += [
        "set style data histograms", "set style histogram clustered gap 1",
        "set style fill solid 0.85 border -1", "set boxwidth 0.9",
        "set yrange [0:*]", "set ylabel 'throughput / throughput without a tool'",
        "set grid ytics", "set key outside top center horizontal",
        "set xrange [-0.6:%f]" % (len(configs) - 0.4),
        "set xtics nomirror (%s)" % ", ".join(
            "%s %d" % (gp_string(c)[:-1] + (
                "\\nleak: %s" % verdicts[c].replace(" without", "\\nwithout")
                if c in verdicts else "") + '"', i)
            for i, c in enumerate(configs)),
        "set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2 lw 1.5",
        "plot " + ", ".join(
            "%s using %d title %s" % (gp_string(dat) if i == 0 else "''", i + 2,
                                                gp_string(w))
            for i, w in enumerate(workloads)) + ", \\\n  " + ", ".join(
            "%s using ($0 + %f):%d:(sprintf('%%.2f', $%d)) with labels font ',7' offset 0,0.6 "
            "notitle" % ("''", (i - (len(workloads) - 1) / 2.0) * 0.9 / (len(workloads) + 1),
                         i + 2, i + 2)
            for i in range(len(workloads))),
    ]
    gnuplot("\n".join(script) + "\n")


def scaling_chart(data, out, argv, work):
    rows = data.get("scaling") or []
    if not rows:
        sys.exit("charts: no scaling figures in the JSON (run WORKLOAD-Nt workloads)")
    configs = []
    for r in rows:
        if r["config"] not in configs:
            configs.append(r["config"])
    workload = rows[0]["workload"]
    files = {}
    for c in configs:
        path = os.path.join(work, "scaling-%d.dat" % len(files))
        with open(path, "w") as f:
            for r in rows:
                if r["config"] == c and r["workload"] == workload:
                    f.write("%d %.4f %s %s\n" % (
                        r["threads"], r["mops"], "%.4f" % r["ratio"] if r["ratio"] else "NaN",
                        "%.4f" % r["cpu_ratio"] if r.get("cpu_ratio") else "NaN"))
        files[c] = path
    threads = sorted({r["threads"] for r in rows})
    color = {c: "lc %d" % (i + 1) for i, c in enumerate(configs)}
    script = preamble(out, "", caption(data, argv), 520)
    script += [
        "set multiplot layout 1,2 title %s font ',13'" % gp_string(
            "%s: throughput of all threads together, and against no agent" % workload),
        "set xtics (%s)" % ", ".join("'%d' %d" % (t, t) for t in threads),
        "set xrange [%f:%f]" % (threads[0] - 0.3, threads[-1] + 0.3),
        "set xlabel 'threads (the machine has %s cores)'" % (
            header_field(data, "cpu").split("(")[-1].split()[0]),
        "set grid", "set key top left", "set logscale y",
        "set ylabel 'million malloc/free pairs a second (log)'",
        "plot " + ", ".join("%s using 1:2 with linespoints lw 2 pt 7 %s title %s" % (
            gp_string(files[c]), color[c], gp_string(c)) for c in configs),
        "set yrange [0.01:1.5]",
        "set ylabel 'throughput / throughput without the agent (log)'",
        "set key bottom left",
        "plot " + ", ".join(
            "%s using 1:3 with linespoints lw 2 pt 7 %s title %s, "
            "%s using 1:4 with linespoints lw 1 dt 2 pt 6 %s title %s" % (
                gp_string(files[c]), color[c], gp_string(c + " (wall clock)"),
                gp_string(files[c]), color[c], gp_string(c + " (by CPU time)"))
            for c in configs if c != "none"),
        "unset multiplot",
    ]
    gnuplot("\n".join(script) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", required=True, help="run_bench.py --json output")
    ap.add_argument("--ratios", help="write the side-by-side ratios chart here (PNG)")
    ap.add_argument("--scaling", help="write the scaling chart here (PNG)")
    args = ap.parse_args()
    if not args.ratios and not args.scaling:
        ap.error("nothing to draw: give --ratios or --scaling")
    if not shutil.which("gnuplot"):
        ap.error("no gnuplot on the PATH (Debian package gnuplot-nox)")
    with open(args.json) as f:
        data = json.load(f)
    work = tempfile.mkdtemp(prefix="lbcharts-")
    try:
        if args.ratios:
            ratios_chart(data, args.ratios, sys.argv[1:], work)
        if args.scaling:
            scaling_chart(data, args.scaling, sys.argv[1:], work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
