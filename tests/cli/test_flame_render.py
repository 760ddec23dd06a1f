"""The flame graph's HTML renders in headless Chromium without script errors: the frames of
a real report appear in the DOM (Java and native in their colours), the search (#search=)
marks matching frames and says their share, zoom (#zoom=) dims the ancestors, and the
--diff graph renders too. Skips if chromium is not installed (scripts/setup.sh installs it)."""
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


if __name__ == "__main__":
    clitest.main(test)
