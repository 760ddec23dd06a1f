"""With junit.jupiter.execution.parallel.enabled=true the extension refuses to run, with a
message that says why and what to do, instead of blaming tests for each other's memory."""
import jtest
from jtest import check


def test(env):
    p, results = env.junit("parallel", ["--select-class", "suite.NativeLeakSuiteTest"],
                           agent_options="sample=0,output=%s/report-%%n.json" % env.work,
                           config=["junit.jupiter.execution.parallel.enabled=true"])
    check(p.returncode == 1, "the launcher exited %d, expected 1" % p.returncode)
    check(len(results) == 5, "expected 5 tests, got %s" % sorted(results))
    for name, (status, message) in results.items():
        check(status in ("failed", "error"), "%s %s with parallel execution" % (name, status))
        check("@NoNativeLeaks needs tests that run one at a time" in message
              and "junit.jupiter.execution.parallel.enabled=true" in message,
              "%s: message does not explain the refusal: %s" % (name, message[:300]))


if __name__ == "__main__":
    jtest.main(test)
