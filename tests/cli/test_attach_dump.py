"""leakbridge attach and dump on running JVMs (LiveDumps). Attach loads the agent into a JVM
started without it, with options that jcmd would cut at '=' unquoted; dump --wait prints the
path of the new report (reason jcmd) holding what the JVM allocated since, at the output
pattern attach remembered; for a JVM started with -agentpath, dump finds the output pattern on
its command line. A pid that is not a JVM,
no process, and bad options give exit 2 and say so.
Needs the agent's jcmd dump and Agent_OnAttach (issue 4).

Without a jcmd (a JVM run from a JRE-like home, bin/java without bin/jcmd, and leakbridge run
with neither JAVA_HOME nor a jcmd on PATH): dump sends SIGQUIT, says so in one line, and the
new report appears (the JVM printed a thread dump and runs on); attach says in one line that
it needs a JDK's jcmd; a JVM started with -Xrs, which SIGQUIT would end, is refused and runs
on."""
import os
import shutil
import subprocess

import clitest
from clitest import check


def stream_site(report, count):
    sites = [s for s in clitest.lbtest.sites_with_symbol(report, "ZSTD_createDStream")
             if ("LiveDumps", "keepStreams") in clitest.lbtest.java_frames(s)]
    check(len(sites) == 1 and sites[0]["live_count"] == count,
          "expected one keepStreams site of %d streams: %s" % (
              count, [clitest.lbtest.describe_native(s) for s in sites]))


def jre(env):
    """A Java home with a JRE's tools only: a copy of bin/java (the JVM's /proc/PID/exe names
    it, so no jcmd is beside it) and the JDK's lib, conf and release."""
    home = os.path.join(env.work, "jre")
    os.makedirs(os.path.join(home, "bin"))
    shutil.copy2(env.java, os.path.join(home, "bin", "java"))
    for d in ("lib", "conf", "release"):
        os.symlink(os.path.join(env.java_home, d), os.path.join(home, d))
    return os.path.join(home, "bin", "java")


def without_jcmd(env):
    java = jre(env)
    no_jcmd = {k: v for k, v in os.environ.items() if k != "JAVA_HOME"}
    no_jcmd["PATH"] = os.path.join(env.work, "no-such-dir")
    s = clitest.lbtest.Session(env, "jre", java=java)
    try:
        s.do("zstd-keep 12")
        p = clitest.run(["dump", s.pid, "--wait"], env=no_jcmd)
        path = p.stdout.strip()
        check(path == os.path.join(s.dir, "report-1.json"), "dump printed %r" % p.stdout)
        report = env.load(path)
        check(report["reason"] == "jcmd", "reason %r" % report["reason"])
        stream_site(report, 12)
        check(p.stderr == "leakbridge: no jcmd found ($JAVA_HOME/bin, beside JVM %d's java, "
              "PATH): sent SIGQUIT instead (the JVM prints a thread dump on its stdout too)\n"
              % s.pid, "stderr %r" % p.stderr)
        s.do("zstd-keep 1")  # still answers
        check(any("Full thread dump" in line for line in s.other_output),
              "no thread dump on the JVM's stdout")
        p = clitest.run(["attach", s.pid, "--agent", env.agent], expect=2, env=no_jcmd)
        check(p.stderr.count("\n") == 1 and "loading an agent into a running JVM needs a "
              "JDK's jcmd" in p.stderr and "-agentpath:%s=OPTIONS" % env.agent in p.stderr,
              "attach without jcmd: %r" % p.stderr)
        s.quit()
    finally:
        s.kill()

    # -Xrs: the JVM leaves SIGQUIT to its default action, which ends it: none is sent.
    s = clitest.lbtest.Session(env, "xrs", java=java, jvm_args=["-Xrs"])
    try:
        s.do("zstd-keep 3")
        err = clitest.run(["dump", s.pid, "--wait", "--timeout", "3"], expect=2,
                          env=no_jcmd).stderr
        check("JVM %d does not catch SIGQUIT (started with -Xrs, or still starting)" % s.pid in err,
              "-Xrs: %r" % err)
        s.do("zstd-keep 1")
        check(not s.report_paths(), "a report was written: %s" % s.report_paths())
        s.quit()
    finally:
        s.kill()


def test(env):
    without_jcmd(env)

    # The CLI finds the agent beside itself (build/); --agent names it explicitly here.
    s = clitest.lbtest.Session(env, "attach", agent=False)
    try:
        err = clitest.run(["dump", s.pid], expect=2).stderr
        check("agent is not loaded in JVM %d" % s.pid in err, "no agent: %r" % err)
        out_dir = os.path.join(env.work, "attached")
        os.makedirs(out_dir)
        pattern = os.path.join(out_dir, "lb-%p-%n.json")
        out = clitest.run(["attach", s.pid, "output=%s,sample=0" % pattern, "--agent",
                           env.agent]).stdout
        check("agent loaded into JVM %d" % s.pid in out, "attach said %r" % out)
        check("reports: " + pattern in out, "attach does not say where reports go: %r" % out)
        check("take one now: leakbridge dump %d --wait\n" % s.pid in out,
              "attach does not give the plain dump command: %r" % out)
        s.do("zstd-keep 40")
        # attach remembered where this JVM's agent writes: no --output needed.
        out = clitest.run(["dump", s.pid, "--wait"]).stdout
        path = out.strip()
        check(path == os.path.join(out_dir, "lb-%d-1.json" % s.pid), "dump printed %r" % out)
        report = env.load(path)
        check(report["reason"] == "jcmd", "reason %r" % report["reason"])
        stream_site(report, 40)
        s.do("zstd-keep 10")
        out = clitest.run(["dump", s.pid, "--wait", "--output", pattern]).stdout
        check(out.strip().endswith("lb-%d-2.json" % s.pid), "second dump %r" % out)
        stream_site(env.load(out.strip()), 50)
        s.quit()
    finally:
        s.kill()

    # Started with -agentpath: the pattern comes from its command line.
    s = clitest.lbtest.Session(env, "started")
    try:
        s.do("zstd-keep 25")
        out = clitest.run(["dump", s.pid, "--wait", "--timeout", "30"]).stdout.strip()
        check(out == os.path.join(s.dir, "report-1.json"), "dump printed %r" % out)
        stream_site(env.load(out), 25)
        out = clitest.run(["dump", s.pid]).stdout
        check("asked for a report" in out, "dump without --wait said %r" % out)
        s.wait_reports(2)
        s.quit()
    finally:
        s.kill()

    # Loaded by jcmd itself, as the README shows: the agent says where its reports go, so dump
    # finds them without --output, and the note is gone once the JVM has exited.
    s = clitest.lbtest.Session(env, "rawjcmd", agent=False)
    try:
        pattern = os.path.join(env.work, "raw", "r-%n.json")
        os.makedirs(os.path.dirname(pattern))
        jcmd = os.path.join(env.java_home, "bin", "jcmd")
        p = subprocess.run([jcmd, str(s.pid), "JVMTI.agent_load", env.agent,
                            "output:%s,sample:0" % pattern], capture_output=True, text=True,
                           timeout=120)
        check("return code: 0" in p.stdout, "jcmd agent_load: %r %r" % (p.stdout, p.stderr))
        s.do("zstd-keep 15")
        out = clitest.run(["dump", s.pid, "--wait"]).stdout.strip()
        check(out == pattern.replace("%n", "1"), "dump printed %r" % out)
        stream_site(env.load(out), 15)
        notes = [os.path.join(d, str(s.pid)) for d in (
            os.path.join(os.environ.get("XDG_RUNTIME_DIR", "/nonexistent"), "leakbridge"),
            "/tmp/leakbridge-%d" % os.getuid())]
        check(any(os.path.exists(n) for n in notes), "no note of the output in %s" % notes)
        s.quit()
        check(not any(os.path.exists(n) for n in notes), "the note outlived the JVM: %s" % notes)
    finally:
        s.kill()

    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        err = clitest.run(["dump", sleeper.pid], expect=2).stderr
        check("process %d (sleep) is not a JVM" % sleeper.pid in err, "not a JVM: %r" % err)
        err = clitest.run(["attach", sleeper.pid, "--agent", env.agent], expect=2).stderr
        check("is not a JVM" in err, "attach to sleep: %r" % err)
        check(sleeper.poll() is None, "leakbridge killed the process that is not a JVM")
    finally:
        sleeper.kill()
        sleeper.wait()
    err = clitest.run(["dump", sleeper.pid], expect=2).stderr
    check("no process %d" % sleeper.pid in err, "dead pid: %r" % err)
    err = clitest.run(["attach", "123", "sample=banana"], expect=2).stderr
    check("option 'sample=banana'" in err, "bad option: %r" % err)
    err = clitest.run(["dump", "abc"], expect=2).stderr
    check("'abc' is not a process id" in err, "bad pid: %r" % err)


if __name__ == "__main__":
    clitest.main(test)
