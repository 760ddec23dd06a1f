"""A leak folded into an overflow site is still seen through the Java API (what the JUnit
extension asks): with max_sites=60, 200 kept direct buffers at 200 distinct stacks are all live
since the mark, most of them at one overflow site that isOverflow() says is one and whose
description names what it holds instead of a stack (docs/java-api.md)."""
import os

import jtest
from jtest import check


def test(env):
    cmd = env.java_cmd("sample=0,max_sites=60,output=%s/report-%%n.json" % env.work) + [
        "-cp", os.pathsep.join([env.classes, env.api_jar]), "FoldedLeak"]
    p = env.execute(cmd, expect_exit=0)
    lines = p.stdout.splitlines()
    sites = [l.split("=", 1)[1].split() for l in lines if l.startswith("site=")]
    check("bytes=%d" % (200 * 8192) in lines, "not every buffer is live since the mark: %s" %
          [l for l in lines if l.startswith("bytes=")])
    folded = [s for s in sites if s[2] == "true"]
    check(len(folded) == 1 and int(folded[0][1]) >= 140,
          "expected one overflow site with most of the 200 buffers: %s" % sites)
    text = p.stdout.split("describe.begin\n", 1)[1].split("\ndescribe.end", 1)[0]
    check("(an overflow site: ~" in text and "stacks of Java code folded here" in text,
          "the description does not say what the overflow site holds:\n%s" % text[:2000])


if __name__ == "__main__":
    jtest.main(test)
