"""Under -Xcheck:jni, which test suites turn on, the agent must not make the JVM print JNI
warnings: at start it walked every loaded class with a local reference each, and in attach
mode again, and the JVM printed "WARNING: JNI local refs: 443, exceeds capacity: 32" on
stdout. Started with the agent (zstd leak and JNI blocks, gc=on) and
attached to a running JVM (then dumps, gc=on): no JNI warning, the program's output intact."""
import lbtest
from lbtest import check



def test(env):
    checked = ["-Xcheck:jni"]
    p, report = lbtest.run_zstd(env, "zstd", ["leak", 200],
                                options="sample=0,gc=on", jvm_args=checked)
    check(not lbtest.jni_warnings(p.stdout + p.stderr), "JNI warnings: %s" % lbtest.jni_warnings(p.stdout + p.stderr))
    lbtest.check_zstd_top_site(report, 200)

    p, report = lbtest.run_report(env, "keep", "NativeKeep", ["keep", 10], options="sample=0",
                                  jvm_args=checked)
    check(not lbtest.jni_warnings(p.stdout + p.stderr), "JNI warnings: %s" % lbtest.jni_warnings(p.stdout + p.stderr))
    check("held 10" in p.stdout, "NativeKeep output: %r" % p.stdout)

    jvm_args = checked + (["-XX:+EnableDynamicAgentLoading"] if lbtest.jdk_major(env) >= 21 else [])
    s = lbtest.Session(env, "attach", agent=False, jvm_args=jvm_args)
    try:
        p = s.jcmd("JVMTI.agent_load", env.agent, "output:%s,sample:0,gc:on" % s.output)
        check("return code: 0" in p.stdout, "agent_load: %s" % p.stdout)
        s.do("zstd-keep 20")
        s.dump()
        s.quit()
        stderr = s.stderr_text()
    finally:
        s.kill()
    warnings = lbtest.jni_warnings("".join(s.other_output) + stderr)
    check(not warnings, "JNI warnings in attach mode: %s" % warnings)


if __name__ == "__main__":
    lbtest.main(test)
