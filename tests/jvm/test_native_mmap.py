"""A JNI library keeps 11 anonymous mappings of 3 pages, maps and unmaps 11 of 7 pages, and keeps
one page of a file mapped: with sample=0 there is exactly one mmap site, for the 11 kept
mappings (exact bytes), naming map_regions and the Java caller; the unmapped regions and the
file mapping leave no site."""
import os

import lbtest
from lbtest import check

COUNT = 11


def test(env):
    lib = os.path.realpath(lbtest.native_lib(env, "libleakkeep.so"))
    size = 3 * os.sysconf("SC_PAGE_SIZE")
    p, report = lbtest.run_report(env, "mmap", "NativeKeep", ["map", COUNT, "mapfile", 1],
                                  options="sample=0")
    check("map %d" % COUNT in p.stdout and "mapfile 1" in p.stdout, "the program did not map")

    sites = lbtest.sites_with_symbol(report, "map_regions")
    check(len(sites) == 1, "expected one site with map_regions, got %s" % (
        [lbtest.describe_native(s) for s in sites]))
    site = sites[0]
    print("site:", lbtest.describe_native(site))
    check(site["kind"] == "mmap", "kind %r" % site["kind"])
    check(site["live_count"] == COUNT and site["live_bytes"] == COUNT * size,
          "expected %d mappings, %d bytes; got %d, %d" % (COUNT, COUNT * size, site["live_count"],
                                                        site["live_bytes"]))
    lbtest.check_native_frame(report, site["frames"][0], "map_regions", lib)
    check(("NativeKeep", "mapNative") in lbtest.java_frames(site),
          "no NativeKeep.mapNative frame: %s" % lbtest.describe_native(site))
    lbtest.check_java_after_native(site)

    unmapped = lbtest.sites_with_symbol(report, "map_transient")
    check(not unmapped, "unmapped regions still live: %s" % [lbtest.describe_native(s) for s in unmapped])
    files = lbtest.sites_with_symbol(report, "map_file")
    check(not files, "a file mapping reported: %s" % [lbtest.describe_native(s) for s in files])
    by_kind = report["totals"]["by_kind"]["mmap"]
    check(by_kind["live_bytes"] >= COUNT * size and by_kind["live_count"] >= COUNT,
          "totals.by_kind.mmap %s smaller than the site" % by_kind)


if __name__ == "__main__":
    lbtest.main(test)
