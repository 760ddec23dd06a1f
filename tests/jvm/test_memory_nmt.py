"""With -XX:NativeMemoryTracking=summary, a dump on the dumper thread carries NMT's summary (the
DiagnosticCommand MBean's vmNativeMemory, scale=b): its categories, Java Heap's committed bytes
equal to the heap's committed_bytes within 5%, the JVM's own malloc as malloc.jvm_bytes, and
the GC's tables from NMT rather than estimated; at most 10% of RSS is unexplained. The exit
report runs no Java code: no nmt there, and its section is still whole."""
import lbtest
import memtest
from lbtest import check
from memtest import MIB


def test(env):
    g = memtest.Grow(env, "nmt", jvm_args=["-XX:NativeMemoryTracking=summary"])
    try:
        g.do("heap 100")
        report = g.dump()
        memtest.check_section(report, "with NMT")
        exit_report = g.quit()
    finally:
        g.kill()
    nmt = report["memory"].get("nmt")
    check(nmt, "no nmt in a dumper-thread dump with NMT on")
    check(nmt["mode"] == "summary", "mode %r" % nmt["mode"])
    names = [c["name"] for c in nmt["categories"]]
    print("NMT categories:", names)
    for want in ("Java Heap", "Class", "Thread", "Code", "GC", "Internal"):
        check(want in names, "no NMT category %s" % want)
    heap = [c for c in nmt["categories"] if c["name"] == "Java Heap"][0]
    committed = memtest.region(report, "java_heap")["committed_bytes"]
    check(abs(heap["committed_bytes"] - committed) <= 0.05 * committed,
          "NMT Java Heap committed %d, heap committed_bytes %d" % (heap["committed_bytes"],
                                                                  committed))
    mal = memtest.region(report, "malloc")
    check(mal.get("jvm_bytes", 0) > MIB and mal["jvm_bytes"] == nmt["malloc_bytes"],
          "malloc.jvm_bytes %r, NMT malloc %r" % (mal.get("jvm_bytes"), nmt["malloc_bytes"]))
    check(mal["jvm_bytes"] <= mal["in_use_bytes"], "the JVM's malloc is within malloc's")
    gc = [p for p in memtest.region(report, "other")["parts"] if p["name"] == "gc_tables"][0]
    check("NMT" in gc["what"], "gc_tables not from NMT: %r" % gc["what"])
    check("nmt" not in exit_report["memory"], "the exit report ran Java code for NMT")
    memtest.check_section(exit_report, "exit")


if __name__ == "__main__":
    lbtest.main(test)
