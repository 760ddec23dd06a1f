"""Runtime attach: the agent loaded into a running JVM with jcmd JVMTI.agent_load tracks what
is allocated from then on (zstd-jni streams through its already-loaded library, direct
buffers through Unsafe), and a dump shows it. Options work unquoted in the key:value form
(jcmd cuts key=value at '='). Attaching a second time, in the quoted form, says the agent is
already active, writes a report, and harms nothing; the JVM exits 0."""
import lbtest
from lbtest import check


def test(env):
    jvm_args = ["-XX:+EnableDynamicAgentLoading"] if lbtest.jdk_major(env) >= 21 else []
    s = lbtest.Session(env, "attach", agent=False, jvm_args=jvm_args)
    try:
        s.do("zstd-keep 40")  # before the attach: not seen
        s.do("dbb-keep 5 100000")
        p = s.jcmd("JVMTI.agent_load", env.agent, "output:%s,sample:0" % s.output)
        check("return code: 0" in p.stdout, "agent_load did not return 0: %s" % p.stdout)
        s.do("zstd-keep 25")
        s.do("dbb-keep 7 100000")
        report = s.dump()
        p = s.jcmd("JVMTI.agent_load", env.agent, '"output=%s,sample=0"' % s.output)
        check("return code: 0" in p.stdout, "second agent_load did not return 0: %s" % p.stdout)
        second = s.wait_reports(2)[-1]
        s.do("dbb-keep 1 100000")
        s.quit()
        stderr = s.stderr_text()
    finally:
        s.kill()
    check("attached to the running JVM" in stderr, "no attach message on stderr")
    check("already active" in stderr, "the second attach did not say the agent is active")
    check(stderr.count("attached to the running JVM") == 1, "attached twice")
    check(report["reason"] == "jcmd" and report["agent"]["mode"] == "attach",
          "reason %s, mode %s" % (report["reason"], report["agent"]["mode"]))
    check(second["reason"] == "attach", "second attach wrote a %s report" % second["reason"])
    check(report["jvm"]["version"], "jvm.version empty in attach mode")
    streams = [x for x in lbtest.sites_with_symbol(report, "ZSTD_createDStream")
               if ("LiveDumps", "keepStreams") in lbtest.java_frames(x)]
    check(len(streams) == 1, "expected one stream site, found %d" % len(streams))
    print("streams:", lbtest.describe_native(streams[0]))
    check(streams[0]["live_count"] == 25, "%d streams tracked, 25 opened after the attach" %
          streams[0]["live_count"])
    buffers = [x for x in lbtest.sites_with_method(report, "LiveDumps", "keepBuffers")
               if x["kind"] == "direct_buffer"]
    check(len(buffers) == 1, "expected one direct buffer site, found %d" % len(buffers))
    check(buffers[0]["live_count"] == 7, "%d buffers tracked, 7 allocated after the attach" %
          buffers[0]["live_count"])
    last = s.env.load(s.report_paths()[-1])
    check(last["reason"] == "exit", "no exit report")
    buffers = [x for x in lbtest.sites_with_method(last, "LiveDumps", "keepBuffers")
               if x["kind"] == "direct_buffer"]
    check(buffers and buffers[0]["live_count"] == 8, "exit report: buffers %s" % buffers)


if __name__ == "__main__":
    lbtest.main(test)
