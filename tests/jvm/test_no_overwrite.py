"""No report replaces another: with an output pattern without %n, the first report gets the
pattern's name and the next ones their number before the extension (r.json, r-2.json,
r-3.json), so an incident's jcmd report is not replaced by the exit report. At start the agent
removes the temporary report files that killed processes left in the output directory, and
leaves those of live processes alone.

A stream is appended to, never replaced: with output=/dev/stderr while the JVM's stderr goes to
a regular file (renaming a report over the path used to replace the machine's /dev/stderr link,
as root), the two jcmd reports and the exit report follow one another in that file, whole and
unnumbered, and /dev/stderr is still the same link."""
import json
import os
import subprocess
import time

import lbtest
from lbtest import check


def test(env):
    out = os.path.join(env.work, "reports")
    os.makedirs(out)
    gone = subprocess.Popen(["true"])
    gone.wait()  # its pid runs no more
    alive = subprocess.Popen(["sleep", "120"])
    stale = os.path.join(out, ".r.json.tmp%d" % gone.pid)
    busy = os.path.join(out, ".r.json.tmp%d" % alive.pid)
    other = os.path.join(out, ".notes.txt")
    for path in (stale, busy, other):
        with open(path, "w") as f:
            f.write('{"format": "leakbridge-rep')
    s = lbtest.Session(env, "no_overwrite", options="sample=0",
                       output=os.path.join(out, "r.json"))
    try:
        check(not os.path.exists(stale), "the dead process's temporary file is still there")
        check(os.path.exists(busy), "a live process's temporary file was removed")
        check(os.path.exists(other), "a file that is no temporary report was removed")
        s.do("dbb-keep 3 4096")
        s.jcmd("JVMTI.data_dump")
        s.do("dbb-keep 2 4096")
        s.jcmd("JVMTI.data_dump")
        time.sleep(0.5)
        s.quit()
    finally:
        s.kill()
        alive.kill()
    names = sorted(n for n in os.listdir(out) if n.endswith(".json"))
    print("reports:", names)
    check(names == ["r-2.json", "r-3.json", "r.json"], "report files %s" % names)
    for name, seq, reason in (("r.json", 1, "jcmd"), ("r-2.json", 2, "jcmd"),
                              ("r-3.json", 3, "exit")):
        r = env.load(os.path.join(out, name))
        check(r["sequence"] == seq and r["reason"] == reason, "%s: report %d (%s)" % (
            name, r["sequence"], r["reason"]))


    stream_reports(env)


def stream_reports(env):
    link = os.lstat("/dev/stderr")
    s = lbtest.Session(env, "stream", options="sample=0", output="/dev/stderr")
    try:
        s.do("dbb-keep 3 4096")
        s.jcmd("JVMTI.data_dump")
        s.jcmd("JVMTI.data_dump")
        time.sleep(0.5)
        s.quit()
    finally:
        s.kill()
    after = os.lstat("/dev/stderr")
    check((after.st_ino, after.st_mode) == (link.st_ino, link.st_mode), "/dev/stderr was replaced")
    check(not os.path.exists("/dev/stderr-2"), "a numbered report was made beside /dev/stderr")
    text = open(s.stderr_path).read()
    decoder, reports, at = json.JSONDecoder(), [], 0
    while True:
        at = text.find('{"format":"leakbridge-report"', at)
        if at < 0:
            break
        report, at = decoder.raw_decode(text, at)
        reports.append(report)
    print("reports in stderr:", [(r["sequence"], r["reason"]) for r in reports])
    check([(r["sequence"], r["reason"]) for r in reports] == [(1, "jcmd"), (2, "jcmd"),
                                                               (3, "exit")],
          "reports appended to /dev/stderr: %s" % [(r["sequence"], r["reason"]) for r in reports])
    check(text.count("report written to /dev/stderr ") == 3, "each report's line names /dev/stderr")


if __name__ == "__main__":
    lbtest.main(test)
