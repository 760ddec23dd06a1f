"""C++ allocations are malloc-kind memory: with sample=0, 41 `new char[3001]` kept by
leakcpp::hold_arrays and 29 `new Widget` (1019 bytes) kept by leakcpp::hold_widgets are two
sites with exact counts and bytes, whose leaf frames name those C++ functions (mangled), followed
by the JNI entry and the Java callers."""
import os

import lbtest
from lbtest import check

ARRAYS, ARRAY_SIZE = 41, 3001
WIDGETS, WIDGET_SIZE = 29, 1019


def check_site(report, lib, function, jni, java, count, size):
    sites = lbtest.sites_with_symbol(report, function, exact=False)
    check(len(sites) == 1, "expected one site naming %s, got %s (malloc sites: %s)" % (
        function, [lbtest.describe_native(s) for s in sites],
        [lbtest.describe_native(s) for s in report["sites"] if s["kind"] == "malloc"][:5]))
    site = sites[0]
    print("site:", lbtest.describe_native(site))
    check(site["kind"] == "malloc", "%s: kind %r" % (function, site["kind"]))
    check(site["live_count"] == count and site["live_bytes"] == count * size,
          "%s: expected %d blocks, %d bytes; got %d, %d" % (
              function, count, count * size, site["live_count"], site["live_bytes"]))
    leaf = site["frames"][0]
    check(leaf["type"] == "native" and function in (leaf["symbol"] or ""),
          "%s: leaf is %s" % (function, lbtest.frame_text(leaf)))
    check(leaf["module"] == lib, "%s: module %r" % (function, leaf["module"]))
    check(lbtest.addr2line(lib, leaf["offset"]) == leaf["symbol"],
          "addr2line at %s does not name %s" % (leaf["offset"], leaf["symbol"]))
    lbtest.check_native_frame(report, site["frames"][1], jni, lib)
    check(("CppLeak", java) in lbtest.java_frames(site),
          "%s: no CppLeak.%s frame: %s" % (function, java, lbtest.describe_native(site)))
    lbtest.check_java_after_native(site)


def test(env):
    lib = os.path.realpath(lbtest.native_lib(env, "libleakcpp.so"))
    p, report = lbtest.run_report(env, "cpp", "CppLeak", ["arrays", ARRAYS, "objects", WIDGETS],
                                  options="sample=0")
    check("arrays %d" % ARRAYS in p.stdout and "objects %d" % WIDGETS in p.stdout,
          "the program did not keep its objects")
    check_site(report, lib, "hold_arrays", "Java_CppLeak_keepArrays", "leakArrays", ARRAYS, ARRAY_SIZE)
    check_site(report, lib, "hold_widgets", "Java_CppLeak_keepWidgets", "leakObjects", WIDGETS,
               WIDGET_SIZE)
    ours = lbtest.agent_frames(report)
    check(not ours, "frames of the agent itself in the report: %s" % ours[:3])


if __name__ == "__main__":
    lbtest.main(test)
