"""Issue 20: the owners walk is bounded, and performance.md's measurement runs as written. OwnersKeep big keeps 10 direct buffers in a static list
and 2 million small objects in linked lists: with owners_time=1ms the walk stops at once, with
owners_memory=4m after about 50,000 objects; the report says which budget ran out and which sites
got no path (their owners.unknown), the memory the walk counted stays within its budget, and the
JVM runs on and exits normally."""
import os
import re
import subprocess

import lbtest
from lbtest import check

SOURCE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test(env):
    perf_command(env)
    for tag, options, reason in (("time", "owners_time=1ms", "time"),
                                 ("memory", "owners_memory=4m", "memory")):
        p, report = lbtest.run_report(env, tag, "OwnersKeep", ["big", 2],
                                      options="sample=0,gc=on,owners=on," + options,
                                      classpath_extra=(lbtest.ZSTD_JAR,), jvm_args=("-Xmx1g",))
        check("kept big 2" in p.stdout, "the program did not finish")
        section = report["owners"]
        check(section["exhausted"] == reason, "%s: exhausted %s" % (tag, section))
        check(section["shortest"] is False, "%s: an exhausted walk says shortest" % tag)
        check(("ran out of %s" % reason) in p.stderr, "%s: no line on stderr" % tag)
        if reason == "memory":
            check(section["memory_bytes"] <= 4 << 20, "memory %s" % section)
        sites = [s for s in report["sites"] if s["kind"] == "direct_buffer"
                 and s["live_bytes"] == 100000]
        check(len(sites) == 1, "no site of the 10 buffers")
        owners = sites[0]["owners"]
        without = section["sites_without_path"]
        if owners["paths"]:
            check(sites[0]["id"] not in without, "%s: a site with a path is listed" % tag)
        else:
            check(sites[0]["id"] in without and owners["unknown"]["reason"] == reason
                  and owners["unknown"]["blocks"] == 10, "%s: %s" % (tag, owners))
        if reason == "time":
            check(not owners["paths"], "a 1 ms walk found a path through 2 million objects")


def perf_command(env):
    """performance.md's small heap walk, run as written from a directory where build/ and tests/
    are this build's: every path found, the shortest, within a few seconds."""
    text = open(os.path.join(SOURCE, "docs", "performance.md")).read()
    lines = [l for l in re.findall(r"```sh\n(.*?)```", text, re.S)
             for l in l.splitlines() if "OwnersKeep heap" in l]
    check(len(lines) == 1, "%d OwnersKeep heap commands in performance.md" % len(lines))
    work = os.path.join(env.work, "perf")
    os.makedirs(work)
    os.symlink(os.path.dirname(env.agent), os.path.join(work, "build"))
    os.symlink(os.path.join(SOURCE, "tests"), os.path.join(work, "tests"))
    path = os.path.join(env.java_home, "bin") + ":" + os.environ["PATH"]
    p = subprocess.run(["bash", "-c", lines[0]], cwd=work, capture_output=True, text=True,
                       timeout=300, env=dict(os.environ, PATH=path))
    print(p.stdout + p.stderr)
    check(p.returncode == 0 and "kept heap 1" in p.stdout, "the command exited %d" % p.returncode)
    report = env.load(os.path.join(work, "owners-perf.json"))
    section = report["owners"]
    check(section["exhausted"] is None and section["objects"] > 2000000,
          "walk %s" % section)
    sites = [s for s in report["sites"] if s["kind"] == "direct_buffer"
             and s["live_bytes"] == 100000]
    check(len(sites) == 1 and sites[0]["owners"]["paths"][0]["blocks"] == 10
          and sites[0]["owners"]["paths"][0]["root"]["field"] == "CACHE",
          "the 10 buffers' path: %s" % [s.get("owners") for s in sites])


if __name__ == "__main__":
    lbtest.main(test)
