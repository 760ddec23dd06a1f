"""Blocks the C++ runtime allocates for a JNI library are seen in full, whether libstdc++ was
loaded before the agent (Debian's JDK 17: libjvm needs it) or not (Temurin links its own
statically): with sample=0, 1009 std::string values of 1021 chars (libstdc++'s own
std::string code calls operator new(1022)) kept by leakstl::hold_strings, and 997 std::map<int,
int> nodes (40 bytes each, the template code instantiated in the library calls operator new)
kept by leakstl::hold_map, are exact, each stack starting in the library (the C++ runtime's
frames on top are dropped) and going through the JNI entry to the Java callers. The same
program freeing them all (release) leaves nothing live under its Java frames."""
import os

import lbtest
from lbtest import check

STRINGS, LENGTH = 1009, 1021
NODES, NODE_SIZE = 997, 40  # _Rb_tree_node<pair<const int, int>>: 32-byte header + 8


def sites_under(report, method):
    return [s for s in report["sites"] if ("StlLeak", method) in lbtest.java_frames(s)]


def check_sites(report, lib, function, jni, java, count, size):
    """The blocks kept under StlLeak.`java`: exactly `count` of `size` bytes, in malloc sites
    whose leaf frame lies in the library, with `function` and then the JNI entry `jni` among
    the native frames, then Java frames."""
    sites = sites_under(report, java)
    print("%s sites:" % java)
    for s in sites:
        print("  ", lbtest.describe_native(s))
    live = sum(s["live_count"] for s in sites)
    live_bytes = sum(s["live_bytes"] for s in sites)
    check(live == count and live_bytes == count * size,
          "StlLeak.%s: expected %d blocks, %d bytes; got %d, %d in %s (malloc sites: %s)" % (
              java, count, count * size, live, live_bytes,
              [lbtest.describe_native(s) for s in sites],
              [lbtest.describe_native(s) for s in report["sites"] if s["kind"] == "malloc"][:6]))
    for site in sites:
        check(site["kind"] == "malloc", "%s: kind %r" % (java, site["kind"]))
        leaf = site["frames"][0]
        check(leaf["type"] == "native" and leaf["module"] == lib,
              "%s: the leaf frame is not in %s (C++ runtime frames on top?): %s" % (
                  java, os.path.basename(lib), lbtest.describe_native(site)))
        check(leaf["symbol"] and lbtest.addr2line(lib, leaf["offset"]) == leaf["symbol"],
              "addr2line at %s does not name %s" % (leaf["offset"], leaf["symbol"]))
        natives = lbtest.native_frames(site)
        names = [f["symbol"] or "" for f in natives]
        at = [i for i, n in enumerate(names) if function in n]
        check(at, "%s: no native frame naming %s: %s" % (java, function, lbtest.describe_native(site)))
        check(all(f["module"] == lib for f in natives[:at[0] + 1]),
              "%s: frames of another module before %s: %s" % (java, function,
                                                              lbtest.describe_native(site)))
        check(at[0] + 1 < len(natives), "%s: no frame after %s" % (java, function))
        lbtest.check_native_frame(report, natives[at[0] + 1], jni, lib)
        lbtest.check_java_after_native(site)
        check(not any("libstdc++" in os.path.basename(f["module"] or "") for f in natives),
              "%s: a libstdc++ frame is left in the stack: %s" % (java, lbtest.describe_native(site)))


def test(env):
    lib = os.path.realpath(lbtest.native_lib(env, "libleakstl.so"))
    p, report = lbtest.run_report(env, "kept", "StlLeak",
                                  ["strings", STRINGS, LENGTH, "map", NODES], options="sample=0")
    check("strings %d" % STRINGS in p.stdout and "map %d" % NODES in p.stdout,
          "the program did not keep its containers")
    check_sites(report, lib, "hold_strings", "Java_StlLeak_keepStrings", "leakStrings", STRINGS,
                LENGTH + 1)
    check_sites(report, lib, "hold_map", "Java_StlLeak_keepMap", "leakMap", NODES, NODE_SIZE)
    ours = lbtest.agent_frames(report)
    check(not ours, "frames of the agent itself in the report: %s" % ours[:3])

    # Freed: the same blocks, then release_all frees each. A control kept after the release
    # (fewer, so that it is told apart) shows the run was tracked.
    p, report = lbtest.run_report(env, "released", "StlLeak",
                                  ["strings", STRINGS, LENGTH, "map", NODES, "release",
                                   "strings", 3, LENGTH],
                                  options="sample=0")
    check("release %d" % (STRINGS + NODES) in p.stdout, "the program did not release: %r" % p.stdout)
    left = sites_under(report, "leakMap") + [
        s for s in sites_under(report, "leakStrings") if s["live_count"] != 3]
    check(not left, "freed containers still live: %s" % [lbtest.describe_native(s) for s in left])
    check_sites(report, lib, "hold_strings", "Java_StlLeak_keepStrings", "leakStrings", 3,
                LENGTH + 1)
    check(report["totals"]["allocated_count"] >= STRINGS + NODES + 3,
          "only %d allocations recorded" % report["totals"]["allocated_count"])


if __name__ == "__main__":
    lbtest.main(test)
