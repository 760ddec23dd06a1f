"""native=off turns malloc and mmap tracking off: the program that, tracked, shows its kept
blocks and mappings (checked first, in a run of its own) leaves no malloc or mmap site and
zero malloc/mmap totals, and still runs to the end."""
import lbtest
from lbtest import check

ARGS = ["keep", 73, "map", 11]


def test(env):
    p, on = lbtest.run_report(env, "on", "NativeKeep", ARGS, options="sample=0")
    check(lbtest.sites_with_symbol(on, "hold_blocks", kind="malloc"),
          "tracked, the kept blocks are not reported (malloc sites: %s)" % (
              [lbtest.describe_native(s) for s in on["sites"] if s["kind"] == "malloc"][:5]))
    check(lbtest.sites_with_symbol(on, "map_regions", kind="mmap"),
          "tracked, the kept mappings are not reported")

    p, off = lbtest.run_report(env, "off", "NativeKeep", ARGS, options="sample=0,native=off")
    check("held 73" in p.stdout, "the program did not run to the end with native=off")
    check(off["options"]["native"] is False, "options.native %r" % off["options"]["native"])
    native = [s for s in off["sites"] if s["kind"] in ("malloc", "mmap")]
    check(not native, "native=off still reports %s" % [lbtest.describe_native(s) for s in native[:5]])
    by_kind = off["totals"]["by_kind"]
    for kind in ("malloc", "mmap"):
        check(by_kind[kind]["live_bytes"] == 0 and by_kind[kind]["live_count"] == 0,
              "native=off: totals.by_kind.%s %s" % (kind, by_kind[kind]))
    ours = lbtest.agent_frames(off)
    check(not ours, "agent frames with native=off: %s" % ours[:3])


if __name__ == "__main__":
    lbtest.main(test)
