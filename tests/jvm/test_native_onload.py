"""Allocations made in JNI_OnLoad, before System.loadLibrary returns, are tracked: with sample=0
one malloc site holds the single 4093-byte block, its leaf is onload_hold, JNI_OnLoad is among
its frames, and the Java frames name the method that loaded the library."""
import os

import lbtest
from lbtest import check

SIZE = 4093


def test(env):
    lib = os.path.realpath(lbtest.native_lib(env, "libleakonload.so"))
    p, report = lbtest.run_report(env, "onload", "OnLoadLeak", options="sample=0")
    check("ping %d" % SIZE in p.stdout, "the library was not loaded")

    sites = lbtest.sites_with_symbol(report, "JNI_OnLoad")
    check(len(sites) == 1, "expected one site with JNI_OnLoad, got %s (malloc sites: %s)" % (
        [lbtest.describe_native(s) for s in sites],
        [lbtest.describe_native(s) for s in report["sites"] if s["kind"] == "malloc"][:5]))
    site = sites[0]
    print("site:", lbtest.describe_native(site))
    check(site["kind"] == "malloc", "kind %r" % site["kind"])
    check(site["live_count"] == 1 and site["live_bytes"] == SIZE,
          "expected 1 block of %d bytes, got %d in %d" % (SIZE, site["live_bytes"], site["live_count"]))
    lbtest.check_native_frame(report, site["frames"][0], "onload_hold", lib)
    lbtest.check_native_frame(report, site["frames"][1], "JNI_OnLoad", lib)
    check(("OnLoadLeak", "loadNative") in lbtest.java_frames(site),
          "no OnLoadLeak.loadNative frame: %s" % lbtest.describe_native(site))
    lbtest.check_java_after_native(site)


if __name__ == "__main__":
    lbtest.main(test)
