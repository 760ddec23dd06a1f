"""A JNI library unloaded with its class loader, and loaded again (a Flink job restarting in the
same TaskManager): each of three rounds loads libleakkeep.so in a new class loader, keeps 59
blocks through it and drops the loader, and the JVM unloads the library before the next round
loads it again, usually at the same address. With sample=0 every round's blocks are counted
(the reloaded library is patched again), each round's site names its own file (a deleted copy
per round, as zstd-jni extracts one) and keeps its Java frames although their classes are
gone, and modules lists every copy as unloaded. Loading the same file again in each round is
counted too."""
import lbtest
from lbtest import check

ROUNDS, COUNT, SIZE = 3, 59, 1237


def rounds(p):
    out = []
    for line in p.stdout.splitlines():
        if line.startswith("round="):
            fields = dict(f.split("=", 1) for f in line.split())
            out.append(fields)
    check(len(out) == ROUNDS, "the program ran %d rounds, not %d:\n%s" % (len(out), ROUNDS, p.stdout))
    check(all(r["unloaded"] == "true" for r in out),
          "the JVM did not unload the library every round: %s" % out)
    return out


def leak_sites(report):
    sites = lbtest.sites_with_symbol(report, "hold_blocks")
    for s in sites:
        print("site:", lbtest.describe_native(s))
    return sites


def test(env):
    tmp = ["-Djava.io.tmpdir=" + env.work]
    p, report = lbtest.run_report(env, "copies", "UnloadedLibrary", ["copies", ROUNDS, COUNT],
                                  options="sample=0", jvm_args=tmp)
    paths = [r["path"] for r in rounds(p)]
    check(len(set(paths)) == ROUNDS, "the copies share a path: %s" % paths)
    sites = leak_sites(report)
    check(len(sites) == ROUNDS, "expected %d sites with hold_blocks, got %d" % (ROUNDS, len(sites)))
    by_module = {s["frames"][0]["module"]: s for s in sites}
    check(sorted(by_module) == sorted(paths),
          "each round's site must name its own copy: sites name %s, the copies were %s" % (
              sorted(by_module), sorted(paths)))
    for path, s in by_module.items():
        check(s["live_count"] == COUNT and s["live_bytes"] == COUNT * SIZE,
              "%s: %d blocks, %d bytes; expected %d, %d" % (path, s["live_count"], s["live_bytes"],
                                                           COUNT, COUNT * SIZE))
        check(("NativeDeletedCopy", "leakThroughCopy") in lbtest.java_frames(s),
              "the Java frames of an unloaded class were lost: %s" % lbtest.describe_native(s))
        entry = lbtest.module_entry(report, path)
        check(entry["loaded"] is False and entry["deleted"] is True and entry["tracking"] == "all",
              "module %s: %s" % (path, entry))

    p, report = lbtest.run_report(env, "same", "UnloadedLibrary", ["same", ROUNDS, COUNT],
                                  options="sample=0", jvm_args=tmp)
    lib = rounds(p)[0]["path"]
    sites = leak_sites(report)
    total = sum(s["live_count"] for s in sites)
    check(total == ROUNDS * COUNT,
          "the same file loaded %d times kept %d blocks; the report counts %d" % (
              ROUNDS, ROUNDS * COUNT, total))
    check(all(f["module"] == lib for s in sites for f in s["frames"][:1]),
          "frames name another module than %s" % lib)
    entries = [m for m in report["modules"] if m["path"] == lib]
    check(len(entries) == ROUNDS and not any(m["loaded"] for m in entries),
          "modules has %d entries for %s (loaded: %s), expected %d unloaded" % (
              len(entries), lib, [m["loaded"] for m in entries], ROUNDS))


if __name__ == "__main__":
    lbtest.main(test)
