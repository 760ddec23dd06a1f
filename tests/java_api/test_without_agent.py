"""The jar and the extension without the agent: the API answers inactive, null and empty
without UnsatisfiedLinkError; the JUnit suite passes with one warning; a test that requires the
agent (failWithoutAgent, or leakbridge.junit.require-agent=true for all) fails saying why."""
import os

import jtest
from jtest import check


def test(env):
    out = os.path.join(env.work, "never.json")
    p = env.execute(env.java_cmd(None) + ["-cp", os.pathsep.join([env.classes, env.api_jar]),
                                          "ApiProgram", out], expect_exit=0)
    for line in ("active=false", "sample=-1", "mark.active=false", "nogc.sites=0", "gc.sites=0",
                 "malloc.sites=0", "dump=null", "kept=5"):
        check(line in p.stdout.splitlines(), "ApiProgram without the agent did not print %r" % line)
    check("UnsatisfiedLinkError" not in p.stdout + p.stderr, "UnsatisfiedLinkError escaped")
    check(not os.path.exists(out), "a report was written without the agent")

    p, results = env.junit("absent", ["--select-package", "suite"])
    got = {name: status for name, (status, _) in results.items()}
    want = {"leaksDirectBuffer": "passed", "leaksZstdStream": "passed",
            "closesEverything": "passed", "leaksInSuppressedPlace": "passed",
            "classInitializerIsNotCounted": "passed", "needsTheAgent": "error"}
    check(got == want, "without the agent: %s, expected %s" % (got, want))
    check("leakbridge agent is not loaded" in results["needsTheAgent"][1],
          "needsTheAgent's message: %s" % results["needsTheAgent"][1][:300])
    warnings = [line for line in p.stderr.splitlines() if line.startswith("leakbridge: warning:")]
    check(len(warnings) == 1 and "agent is not loaded" in warnings[0],
          "expected one warning line on stderr, got %s" % warnings)

    p, results = env.junit("required", ["--select-class", "suite.NativeLeakSuiteTest"],
                           config=["leakbridge.junit.require-agent=true"])
    bad = {n: s for n, (s, _) in results.items() if s not in ("failed", "error")}
    check(len(results) == 5 and not bad, "with require-agent every test must fail: %s" % bad)


if __name__ == "__main__":
    jtest.main(test)
