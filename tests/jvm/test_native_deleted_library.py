"""A JNI library loaded from a copy that is deleted at once (as jars that extract their .so to
/tmp do) still gets named frames: with sample=0 the 59 blocks kept through the copy form one
site whose leaf is hold_blocks in the copy's path; modules lists that path as deleted, with the
build id of the original file, so addr2line on the original names the same function."""
import os
import re

import lbtest
from lbtest import check

COUNT, SIZE = 59, 1237


def test(env):
    original = lbtest.native_lib(env, "libleakkeep.so")
    p, report = lbtest.run_report(env, "deleted", "NativeDeletedCopy", [COUNT], options="sample=0",
                                  jvm_args=["-Djava.io.tmpdir=" + env.work])
    copy = lbtest.stdout_value(p, "copy")
    check("deleted true" in p.stdout and "kept %d" % COUNT in p.stdout,
          "the program did not leak through a deleted copy")
    check(not os.path.exists(copy), "%s still exists" % copy)

    sites = lbtest.sites_with_symbol(report, "hold_blocks")
    check(len(sites) == 1, "expected one site with hold_blocks, got %s (malloc sites: %s)" % (
        [lbtest.describe_native(s) for s in sites],
        [lbtest.describe_native(s) for s in report["sites"] if s["kind"] == "malloc"][:5]))
    site = sites[0]
    print("site:", lbtest.describe_native(site))
    check(site["kind"] == "malloc", "kind %r" % site["kind"])
    check(site["live_count"] == COUNT and site["live_bytes"] == COUNT * SIZE,
          "expected %d blocks, %d bytes; got %d, %d" % (COUNT, COUNT * SIZE, site["live_count"],
                                                      site["live_bytes"]))
    # The copy is byte for byte the original: addr2line reads the original file.
    entry = lbtest.check_native_frame(report, site["frames"][0], "hold_blocks", copy, elf=original)
    lbtest.check_native_frame(report, site["frames"][1], "Java_NativeDeletedCopy_keep", copy,
                              elf=original)
    check(("NativeDeletedCopy", "leakThroughCopy") in lbtest.java_frames(site),
          "no NativeDeletedCopy.leakThroughCopy frame: %s" % lbtest.describe_native(site))
    check(entry["deleted"] is True, "module %s: deleted %r" % (copy, entry["deleted"]))
    check(re.fullmatch(r"[0-9a-f]{40}", entry["build_id"] or ""), "build_id %r" % entry["build_id"])
    check(entry["build_id"] == lbtest.elf_build_id(original),
          "build_id %s, the original's is %s" % (entry["build_id"], lbtest.elf_build_id(original)))


if __name__ == "__main__":
    lbtest.main(test)
