"""FileChannel.map is tracked as kind mapped_file: with sample=0, 3 read-only mappings of 8 MiB
of a temp file kept by JdkNative.keepMapped are mapped_file sites under that method whose
`file` is the file's absolute path, 3 mappings and 24 MiB live in all, with Java frames through
sun.nio.ch.FileChannelImpl.map and no native frame in libjvm.so; totals.by_kind.mapped_file
agrees with the sites. 2 mappings of 4 MiB of another file unmapped with Unsafe.invokeCleaner
(JdkNative.releaseMapped) leave no site, neither under that method nor naming that file, and
neither do 2 of 4 MiB of a third file dropped and then collected by System.gc() (their Cleaners
unmap them; JdkNative.dropMapped)."""
import os

import jdknative as jn
import lbtest
from lbtest import check

KEPT, KEPT_MIB = 3, 8
RELEASED, RELEASED_MIB = 2, 4


def test(env):
    p, report = lbtest.run_report(env, "mapped", "JdkNative",
                                  ["mapped", KEPT, KEPT_MIB, "mapped-released", RELEASED,
                                   RELEASED_MIB, "mapped-dropped", RELEASED, RELEASED_MIB, "gc"],
                                  options="sample=0")
    kept_file = os.path.realpath(lbtest.stdout_value(p, "mapped-file"))
    released_file = os.path.realpath(lbtest.stdout_value(p, "released-file"))
    dropped_file = os.path.realpath(lbtest.stdout_value(p, "dropped-file"))
    check("mapped %d" % KEPT in p.stdout and "mapped-released %d" % RELEASED in p.stdout,
          "the program did not map: %r" % p.stdout)
    jn.check_no_libjvm(report)

    kept = jn.sites_under(report, "JdkNative", "keepMapped")
    jn.show("keepMapped", kept)
    check(kept, "no site under JdkNative.keepMapped (sites: %s)" % [
        lbtest.describe_native(s) for s in report["sites"][:8]])
    for s in kept:
        check(s["kind"] == "mapped_file", "keepMapped site of kind %r: %s" % (
            s["kind"], lbtest.describe_native(s)))
        check(os.path.realpath(s.get("file") or "") == kept_file,
              "keepMapped site's file %r, expected %s" % (s.get("file"), kept_file))
        check(("sun.nio.ch.FileChannelImpl", "map") in lbtest.java_frames(s),
              "no sun.nio.ch.FileChannelImpl.map frame: %s" % lbtest.describe_native(s))
        lbtest.check_java_after_native(s)
    size = KEPT * (KEPT_MIB << 20)
    live, live_bytes = jn.totals(kept)
    check(live == KEPT and live_bytes == size,
          "expected %d mappings, %d bytes; got %d, %d" % (KEPT, size, live, live_bytes))
    naming = [s for s in report["sites"] if s.get("file") and os.path.realpath(s["file"]) == kept_file]
    check(naming == kept, "other sites name %s: %s" % (kept_file, [
        lbtest.describe_native(s) for s in naming if s not in kept]))

    mapped = [s for s in report["sites"] if s["kind"] == "mapped_file"]
    by_kind = report["totals"]["by_kind"].get("mapped_file")
    check(by_kind is not None, "no totals.by_kind.mapped_file: %s" % report["totals"]["by_kind"])
    check(by_kind["live_bytes"] == sum(s["live_bytes"] for s in mapped)
          and by_kind["live_count"] == sum(s["live_count"] for s in mapped),
          "totals.by_kind.mapped_file %s is not the sum over the mapped_file sites" % by_kind)
    for s in mapped:
        check(s.get("file"), "mapped_file site without a file: %s" % lbtest.describe_native(s))

    for method, path in (("releaseMapped", released_file), ("dropMapped", dropped_file)):
        released = jn.sites_under(report, "JdkNative", method) + [
            s for s in report["sites"] if s.get("file") and os.path.realpath(s["file"]) == path]
        check(not released, "unmapped buffers of %s still live: %s" % (method, [
            "%s (file %s)" % (lbtest.describe_native(s), s.get("file")) for s in released]))


if __name__ == "__main__":
    lbtest.main(test)
