"""leakbridge flame on a real zstd report: folded stacks, outermost caller first, one line per
stack with the site's live bytes; --diff folded stacks with old and new bytes; the HTML file
is written whole and self-contained (no network, data inline)."""
import os

import clitest
from clitest import check, line_with


def folded(site):
    names = []
    for f in reversed(site["frames"]):
        names.append("%s.%s" % (f["class"], f["method"]) if f["type"] == "java" else f["symbol"])
    return ";".join(names)


def test(env):
    path, report = clitest.zstd_report(env, "zstd", 120)
    out = clitest.run(["flame", path, "--collapsed"]).stdout
    lines = out.splitlines()
    check(len(lines) == len({folded(s) for s in report["sites"]}), "%d lines" % len(lines))
    for site in report["sites"]:
        stack = folded(site)
        line = line_with(out, stack + " ")
        check(line == "%s %d" % (stack, site["live_bytes"]), "line %r" % line)
    check(lines[0].startswith("ZstdLeak.main;ZstdLeak.openStreams;"), "outermost first")
    check(any(l.split(" ")[0].endswith(";ZSTD_createDStream") for l in lines), "leaf last")

    bigger, big = clitest.zstd_report(env, "bigger", 200)
    out = clitest.run(["flame", "--diff", path, bigger, "--collapsed"]).stdout
    site, new = (clitest.site_with_symbol(r, "ZSTD_createDStream") for r in (report, big))
    line = line_with(out, folded(site) + " ")
    check(line.endswith(" %d %d" % (site["live_bytes"], new["live_bytes"])), "diff line %r" % line)

    html = os.path.join(env.work, "flame.html")
    clitest.run(["flame", path, "-o", html])
    text = open(html).read()
    check(text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>"), "not whole")
    check("ZSTD_createDStream" in text and "ZstdLeak.openStreams" in text, "data not inline")
    for external in ("src=\"http", "href=\"http", "<link", "src=\"//", "import("):
        check(external not in text, "the HTML loads something: %s" % external)
    check("<\\/script" not in text and text.count("</script>") == 2, "script tags")
    clitest.run(["flame", path], expect=2)
    err = clitest.run(["flame", path, "-o", os.path.join(env.work, "no", "such", "dir.html")],
                      expect=2).stderr
    check("cannot write the flame graph" in err, "message %r" % err)


if __name__ == "__main__":
    clitest.main(test)
