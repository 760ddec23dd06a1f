"""A JNI library keeps 73 malloc'd blocks of 1237 bytes: with sample=0 the report has exactly
one malloc site for them, with the exact count and bytes, and a mixed stack a user can follow:
the C function that called malloc (hold_blocks, a static function), the JNI entry, then the
Java callers; no frame of the agent's hooks. The library is listed in modules with its build id,
and addr2line on the frame's module and offset names the same function."""
import os
import re

import lbtest
from lbtest import check

COUNT, SIZE = 73, 1237


def test(env):
    lib = os.path.realpath(lbtest.native_lib(env, "libleakkeep.so"))
    p, report = lbtest.run_report(env, "keep", "NativeKeep", ["keep", COUNT], options="sample=0")
    check("held %d" % COUNT in p.stdout, "the program did not keep %d blocks" % COUNT)
    check(report["sampling"]["estimated"] is False, "sample=0 must give exact figures")

    sites = lbtest.sites_with_symbol(report, "hold_blocks")
    check(len(sites) == 1, "expected one site with hold_blocks, got %s (malloc sites: %s)" % (
        [lbtest.describe_native(s) for s in sites],
        [lbtest.describe_native(s) for s in report["sites"] if s["kind"] == "malloc"][:5]))
    site = sites[0]
    print("site:", lbtest.describe_native(site))
    check(site["kind"] == "malloc", "kind %r" % site["kind"])
    check(site["live_count"] == COUNT, "live_count %d, expected %d" % (site["live_count"], COUNT))
    check(site["live_bytes"] == COUNT * SIZE,
          "live_bytes %d, expected %d (the sizes malloc was asked for)" % (
              site["live_bytes"], COUNT * SIZE))
    check(site["allocated_count"] == COUNT and site["freed_count"] == 0,
          "allocated %d, freed %d" % (site["allocated_count"], site["freed_count"]))

    frames = site["frames"]
    check(len(frames) >= 5, "too few frames: %s" % lbtest.describe_native(site))
    entry = lbtest.check_native_frame(report, frames[0], "hold_blocks", lib)
    lbtest.check_native_frame(report, frames[1], "Java_NativeKeep_keep", lib)
    java = [(f["type"], f.get("class"), f.get("method")) for f in frames[2:5]]
    check(java == [("java", "NativeKeep", "keep"), ("java", "NativeKeep", "leakNative"),
                   ("java", "NativeKeep", "main")],
          "after the JNI entry expected NativeKeep.keep <- leakNative <- main, got %s" % java)
    check(frames[2]["signature"] == "(I)I", "keep signature %r" % frames[2]["signature"])
    check(frames[3].get("file") == "NativeKeep.java" and frames[3].get("line", 0) > 0,
          "leakNative frame without file and line: %s" % frames[3])
    lbtest.check_java_after_native(site)

    ours = lbtest.agent_frames(report)
    check(not ours, "frames of the agent itself in the report: %s" % ours[:3])

    check(re.fullmatch(r"[0-9a-f]{40}", entry["build_id"] or ""), "build_id %r" % entry["build_id"])
    check(entry["build_id"] == lbtest.elf_build_id(lib), "build_id %s, readelf says %s" % (
        entry["build_id"], lbtest.elf_build_id(lib)))
    check(entry["deleted"] is False, "the library is not deleted")
    check(re.fullmatch(r"0x[0-9a-f]+", entry["base"]) and int(entry["base"], 16) > 0,
          "base %r" % entry["base"])

    malloc = report["totals"]["by_kind"]["malloc"]
    check(malloc["live_count"] >= COUNT and malloc["live_bytes"] >= COUNT * SIZE,
          "totals.by_kind.malloc %s smaller than the site" % malloc)


if __name__ == "__main__":
    lbtest.main(test)
