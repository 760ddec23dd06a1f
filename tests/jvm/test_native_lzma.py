"""A leak inside a JNI library's own dependency that the agent once used itself: libleakxz.so
opens 3 liblzma encoders (preset 0) and never ends them, and liblzma mallocs their state. The
self-contained agent has its libunwind inside it and no liblzma, so liblzma is tracked like any
dependency: exact figures (sample=0) show the encoders' blocks with the whole mixed stack,
liblzma's lzma_easy_encoder, the JNI function and the Java caller. (An agent built with Debian's
shared libunwind, which needs liblzma, leaves liblzma alone: the test says it skipped.)"""
import subprocess

import lbtest
from lbtest import check

ENCODERS = 3


def test(env):
    needed = subprocess.run(["readelf", "-d", env.agent], capture_output=True, text=True).stdout
    if "libunwind" in needed:
        lbtest.skip("this agent uses the system's libunwind (LB_SELF_CONTAINED=OFF), which needs "
                    "liblzma: liblzma is the agent's own then, not tracked")
    p, report = lbtest.run_report(env, "lzma", "XzLeak", [ENCODERS], options="sample=0")
    check("opened %d" % ENCODERS in p.stdout, "the program did not open its encoders")
    sites = lbtest.sites_with_symbol(report, "lzma_easy_encoder")
    for s in sites:
        print(lbtest.describe(s))
    check(sites, "no site with liblzma's lzma_easy_encoder: liblzma is not tracked")
    live = sum(s["live_bytes"] for s in sites)
    check(live >= 3 * 1024 * 1024, "the encoders hold %d bytes, expected several MiB" % live)
    for s in sites:
        check(lbtest.has_symbol(s, "Java_XzLeak_openEncoders"), "no JNI frame: %s" % (
            lbtest.describe(s)))
        check(("XzLeak", "openLeakyEncoders") in lbtest.java_frames(s), "no Java caller: %s" % (
            lbtest.describe(s)))
        check(s["live_count"] % ENCODERS == 0, "blocks not a multiple of the encoders: %s" % (
            lbtest.describe(s)))


if __name__ == "__main__":
    lbtest.main(test)
