"""Threads' stacks are thread_stacks: MemoryGrow starts 500 parked threads between two jcmd
dumps; thread_stacks' count grows by at least 500, all but 5 of the threads are located by their
stack pointers, its RSS grows by at least 500 x 8 KiB (each parked Java thread has touched a few
pages of its stack) and at most 10% of RSS is unexplained. With 1,500 more (past 2,000 threads)
the finding many-threads appears with the count."""
import lbtest
import memtest
from lbtest import check
from memtest import MIB

THREADS = 500


def test(env):
    (before, after, many), _, _ = memtest.steps(env, "threads",
                                                ["threads %d" % THREADS, "threads 1500"])
    b, a = memtest.region(before, "thread_stacks"), memtest.region(after, "thread_stacks")
    print("threads %d -> %d (located %d), stacks %.1f -> %.1f MiB" % (
        b["count"], a["count"], a["located"], b["rss_bytes"] / MIB, a["rss_bytes"] / MIB))
    check(a["count"] - b["count"] >= THREADS, "count grew %d" % (a["count"] - b["count"]))
    check(a["located"] >= a["count"] - 5, "located %d of %d" % (a["located"], a["count"]))
    check(a["java_threads"] >= THREADS, "java_threads %r" % a.get("java_threads"))
    grown = a["rss_bytes"] - b["rss_bytes"]
    check(grown >= THREADS * 8192, "thread_stacks grew %d bytes" % grown)
    check("many-threads" not in memtest.codes(before), "many-threads with %d threads" % b["count"])
    found = [f for f in many["memory"]["findings"] if f["code"] == "many-threads"]
    count = memtest.region(many, "thread_stacks")["count"]
    check(len(found) == 1 and found[0]["figures"]["count"] == count,
          "findings with %d threads: %s" % (count, many["memory"]["findings"]))
    print(found[0]["message"])


if __name__ == "__main__":
    lbtest.main(test)
