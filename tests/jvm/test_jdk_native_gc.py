"""gc=on and the JDK's native memory: Inflaters, GZIPOutputStreams (Deflaters) and mapped
buffers that were dropped without being closed are freed by their Cleaners once a GC finds
them unreachable, so in the exit report (gc=on forces a GC first; G1) their sites are
gc-deferred by the forced-gc-released rule, with nothing left live and gc_released counting
them; the ones the program keeps stay live with every block (one report of a short run can
hold no leak-suspect verdict). With sample=0: 11 Inflaters and 3 GZIPOutputStreams kept, 13 and
4 dropped; 2 mappings of 4 MiB kept, 3 dropped."""
import os

import jdknative as jn
import lbtest
from lbtest import check

ARGS = ["inflaters", 11, "inflaters-dropped", 13, "gzip", 3, "gzip-dropped", 4,
        "mapped", 2, 4, "mapped-dropped", 3, 4]


def test(env):
    p, report = lbtest.run_report(env, "gc", "JdkNative", ARGS, options="sample=0,gc=on")
    check(report["reason"] == "exit" and report["gc"]["forced"],
          "the exit report forced no GC: %s" % report["gc"])
    jn.check_no_libjvm(report)
    dropped_file = os.path.realpath(lbtest.stdout_value(p, "dropped-file"))

    expected = {
        "keepInflaters": (11 * jn.INFLATER_BLOCKS, 11 * jn.INFLATER_RANGE[0],
                          11 * jn.INFLATER_RANGE[1]),
        "keepGzip": (3 * jn.DEFLATER_BLOCKS, 3 * jn.DEFLATER_BYTES[0], 3 * jn.DEFLATER_BYTES[1]),
        "keepMapped": (2, 2 * (4 << 20), 2 * (4 << 20)),
    }
    for method, (count, low, high) in expected.items():
        sites = jn.sites_under(report, "JdkNative", method)
        jn.show(method, sites)
        jn.check_count_bytes(method, sites, count, low, high)
        for s in sites:
            check(s["status"] == "live" and s["status_rule"] == "default",
                  "kept %s: %s by %s" % (method, s["status"], s.get("status_rule")))
    mapped = jn.sites_under(report, "JdkNative", "keepMapped")
    check(all(s["kind"] == "mapped_file" for s in mapped),
          "kept mappings of kinds %s" % [s["kind"] for s in mapped])

    for method, kind in (("dropInflaters", "malloc"), ("dropGzip", "malloc"),
                         ("dropMapped", "mapped_file")):
        sites = jn.sites_under(report, "JdkNative", method)
        jn.show(method, sites)
        check(sites, "no site under JdkNative.%s: the forced GC's release is not reported" % method)
        check(any(s["kind"] == kind for s in sites), "%s: no %s site" % (method, kind))
        for s in sites:
            print("   gc_released:", s.get("gc_released"))
            check(s["status"] == "gc-deferred" and s["status_rule"] == "forced-gc-released",
                  "dropped %s: %s by %s: %s" % (method, s["status"], s.get("status_rule"),
                                                lbtest.describe_native(s)))
            check(s["live_count"] == 0, "dropped %s: %d blocks still live after the forced GC" % (
                method, s["live_count"]))
            check(s.get("gc_released", {}).get("count", 0) > 0,
                  "dropped %s: the forced GC released nothing" % method)
        if kind == "mapped_file":
            check(all(os.path.realpath(s.get("file") or "") == dropped_file for s in sites),
                  "dropped mappings name %s, not %s" % ([s.get("file") for s in sites], dropped_file))
    released = sum(s.get("gc_released", {}).get("count", 0)
                   for s in jn.sites_under(report, "JdkNative", "dropInflaters"))
    # GCs the program itself caused could have freed some before the dump; none is expected in
    # so short a run, but only the ones the forced GC found count here.
    check(released <= 13 * jn.INFLATER_BLOCKS, "%d blocks of 13 dropped Inflaters released" % released)


if __name__ == "__main__":
    lbtest.main(test)
