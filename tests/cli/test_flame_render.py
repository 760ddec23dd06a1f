"""The flame graph's HTML renders in headless Chromium without script errors: the frames of
a real report appear in the DOM (Java and native in their colours), the search (#search=)
marks matching frames and says their share, zoom (#zoom=) dims the ancestors, and the
--diff graph renders too. Skips if chromium is not installed (scripts/setup.sh installs it).

Above the graph, the RSS by region: a bar of segments in the report's order, each as wide as
its share of the RSS, its name and size as its label and on hover, malloc split into what the
sites hold (tracked, at most the region) and the rest, the unexplained rest last; the real
report's and a crafted one's with both malloc parts and an unexplained rest; one line for a
report without a memory section; --diff's says what each region was."""
import html as htmllib
import os
import re
import shutil
import subprocess

import clitest
from clitest import check

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def render(env, html, fragment=""):
    """The DOM after the page's scripts ran, and the console errors."""
    cmd = [CHROMIUM, "--headless", "--disable-gpu", "--no-sandbox", "--enable-logging=stderr",
           "--v=0", "--user-data-dir=" + os.path.join(env.work, "chromium"),
           "--window-size=1400,900", "--dump-dom", "file://" + html + fragment]
    print("$ " + " ".join(cmd), flush=True)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    errors = [l for l in p.stderr.splitlines()
              if "Uncaught" in l or ("CONSOLE" in l and "rror" in l)]
    check(p.returncode == 0, "chromium exited %d: %s" % (p.returncode, p.stderr[-2000:]))
    check(not errors, "script errors: %s" % errors)
    return p.stdout


def frames(dom):
    """(class attribute, style, text) of each frame element."""
    return re.findall(r'<div class="(frame[^"]*)" style="([^"]*)">([^<]*)</div>', dom)


def test(env):
    if not CHROMIUM:
        clitest.lbtest.skip("chromium is not installed (apt-get install chromium)")
    path, report = clitest.zstd_report(env, "zstd", 80)
    html = os.path.join(env.work, "flame.html")
    clitest.run(["flame", path, "-o", html])
    dom = render(env, html)
    found = frames(dom)
    names = {text for _, _, text in found}
    for name in ("all", "ZstdLeak.main", "ZstdLeak.openStreams", "ZSTD_createDStream",
                 "com.github.luben.zstd.ZstdInputStreamNoFinalizer.&lt;init&gt;"):
        check(name in names, "frame %s not rendered; rendered: %s" % (name, sorted(names)))
    colour = {text: re.search(r"background: ([^;]+)", style).group(1)
              for _, style, text in found}
    java, native = colour["ZstdLeak.main"], colour["ZSTD_createDStream"]
    g = [int(x) for x in re.findall(r"\d+", java)]
    n = [int(x) for x in re.findall(r"\d+", native)]
    check(g[1] > g[0] and n[0] > n[1], "Java %s should be green, native %s orange" % (java, native))
    check(report["sites"] and "live in" in dom, "no summary line")

    dom = render(env, html, "#search=zstd_createdstream")
    matches = [text for cls, _, text in frames(dom) if "match" in cls]
    check(matches == ["ZSTD_createDStream"], "search marked %s" % matches)
    site = clitest.site_with_symbol(report, "ZSTD_createDStream")
    total = sum(s["live_bytes"] for s in report["sites"])
    share = "%.1f%%" % (100.0 * site["live_bytes"] / total)
    check(re.search(r'id="matched">matched [^<]*\(%s of all\)' % re.escape(share), dom),
          "search share %s not shown" % share)

    dom = render(env, html, "#zoom=ZstdLeak.openStreams")
    dims = [text for cls, _, text in frames(dom) if "dim" in cls]
    check(sorted(dims) == ["ZstdLeak.main", "all"], "zoom dimmed %s" % dims)

    bigger, _ = clitest.zstd_report(env, "bigger", 160)
    diff = os.path.join(env.work, "diff.html")
    clitest.run(["flame", "--diff", path, bigger, "-o", diff])
    dom = render(env, diff)
    grown = [style for _, style, text in frames(dom) if text == "ZSTD_createDStream"]
    check(grown and "rgb(255," in grown[0], "grown frame not red: %s" % grown)
    check(all("; was " in title for _, _, title, _ in segments(dom)), "--diff: no 'was'")

    region_bar(env, html, report)
    crafted = clitest.with_memory(report, regions={"malloc": {
        "rss_bytes": 30 * clitest.MIB, "tracked_bytes": 10 * clitest.MIB}},
        unexplained=5 * clitest.MIB)
    region_bar(env, os.path.join(env.work, "crafted.html"), crafted,
               ["malloc-tracked", "malloc-rest", "unexplained"])
    # Live bytes never touched take no RSS: the sites' part is at most the region.
    untouched = clitest.with_memory(report, regions={"malloc": {
        "rss_bytes": 30 * clitest.MIB, "tracked_bytes": 50 * clitest.MIB}})
    region_bar(env, os.path.join(env.work, "untouched.html"), untouched, ["malloc-tracked"])
    # Sizes and shares print as the command prints them: an exact tie (11.25 KiB, 56.25%)
    # rounds to the even digit, and 1023.97 KiB is 1.0 MiB.
    others = [g["name"] for g in report["memory"]["regions"] if g["name"] != "malloc"]
    zero = {name: {"rss_bytes": 0} for name in others}
    zero["malloc"] = {"rss_bytes": 0, "tracked_bytes": 0}
    ties = clitest.with_memory(report, regions=dict(zero, **{others[0]: {"rss_bytes": 11520}}),
                               unexplained=8960)
    region_bar(env, os.path.join(env.work, "ties.html"), ties, [others[0], "unexplained"])
    step = clitest.with_memory(report, regions=dict(zero, **{others[0]: {"rss_bytes": 1048550}}),
                               unexplained=1280)
    region_bar(env, os.path.join(env.work, "step.html"), step, [others[0], "unexplained"])
    older = {k: v for k, v in report.items() if k != "memory"}
    path = os.path.join(env.work, "older.html")
    clitest.run(["flame", clitest.write_report(env, "older.json", older), "-o", path])
    dom = render(env, path)
    check(not segments(dom) and
          '<div id="memory-caption">no memory section (agent before 0.2)</div>' in dom,
          "a report without memory")


def segments(dom):
    """(key, width in percent, title, label) of each segment of the bar of regions."""
    out = []
    for tag, label in re.findall(r'(<div class="region[^"]*"[^>]*>)([^<]*)</div>', dom):
        key = re.search(r'data-region="([^"]*)"', tag).group(1)
        width = float(re.search(r"width: ([\d.]+)%", tag).group(1))
        title = htmllib.unescape(re.search(r'title="([^"]*)"', tag).group(1))
        out.append((key, width, title, htmllib.unescape(label)))
    return out


def region_bar(env, html, report, must=()):
    """The bar of regions of report's flame graph against its memory section."""
    if not os.path.exists(html):
        path = clitest.write_report(env, os.path.basename(html) + ".json", report)
        clitest.run(["flame", path, "-o", html])
    m = report["memory"]
    want = []
    for g in m["regions"]:
        if g["name"] == "malloc":
            tracked = min(g["tracked_bytes"], g["rss_bytes"])
            want += [("malloc-tracked", tracked, g["exact"]),
                     ("malloc-rest", g["rss_bytes"] - tracked, g["exact"])]
        else:
            want.append((g["name"], g["rss_bytes"], g["exact"]))
    want.append(("unexplained", m["unexplained_bytes"], True))
    want = [w for w in want if w[1] > 0]
    got = segments(render(env, html))
    check([k for k, _, _, _ in got] == [k for k, _, _ in want],
          "segments %s, regions %s" % ([k for k, _, _, _ in got], [k for k, _, _ in want]))
    for (key, width, title, label), (_, size, exact) in zip(got, want):
        share = 100.0 * size / m["rss_bytes"]
        check(abs(width - share) < 1e-3, "%s is %.4f%% wide, %.4f%% of RSS" % (key, width, share))
        shown = ("" if exact else "~") + clitest.human(size)
        check(shown in title and "%.1f%% of RSS" % share in title and label.endswith(
            " " + clitest.human(size)), "%s: title %r, label %r" % (key, title, label))
    check(abs(sum(w for _, w, _, _ in got) - 100.0) < 0.01, "widths add up to %s" % sum(
        w for _, w, _, _ in got))
    for key in must:
        check(key in [k for k, _, _, _ in got], "no %s segment" % key)


if __name__ == "__main__":
    clitest.main(test)
