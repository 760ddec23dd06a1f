"""Java frames reused inside one JNI call must be that call's own. CallPaths calls one JNI
library from three Java paths in turns, all at the same stack depth (pathA and pathB call the
same native method; nested calls another that calls back into Java, which calls the first
again), and each call keeps one block whose size names its path among blocks allocated and
freed around it. With sample=0 every kept block must sit in a site whose Java frames are its
own path's, with the exact count: a sample that reused the frames of the call before (same
method, same depth, another caller), or of the outer call after the nested one returned,
fails here. And calls of another native keep blocks in turns from two C callers at the same
depth: each must carry its own C caller (a reused native part must be the sample's own). Run twice: JIT-compiled, where the agent walks each call's Java frames once and
reuses them for the call's other samples (the report's agent.java_walks_reused counts them),
and with -Xint, where the interpreter's shared native entry rules reuse out (none counted). On
JDK 22 and later, FFM downcalls into the same library (no JNI native: no stub, no mark) take
turns with JNI calls at the same depth: each block under its own path (tests/jvm/java22)."""
import os
import subprocess

import lbtest
from lbtest import check

JAVA22 = os.path.join(os.path.dirname(os.path.abspath(__file__)), "java22")

# size -> (Java methods the stack must have, Java methods it must not have)
PATHS = {
    1301: ({"pathA", "work"}, {"pathB", "nested", "callback", "outer"}),
    1302: ({"pathB", "work"}, {"pathA", "nested", "callback", "outer"}),
    1303: ({"nested", "outer"}, {"pathA", "pathB", "callback", "work"}),
    1304: ({"nested", "outer", "callback", "work"}, {"pathA", "pathB"}),
    1305: ({"nested", "outer"}, {"pathA", "pathB", "callback", "work"}),
}


def check_paths(report, calls, where):
    per_path = calls // 3
    counts = {size: 0 for size in PATHS}
    for site in lbtest.sites_with_symbol(report, "keep_one"):
        if lbtest.has_symbol(site, "Java_CallPaths_twoWays"):
            continue  # check_native_ways'
        java = [f["method"] for f in site["frames"] if f["type"] == "java"]
        count, live = site["live_count"], site["live_bytes"]
        sizes = [s for s in PATHS if count and live == count * s]
        check(len(sizes) == 1, "%s: a site holds %d blocks of %d bytes, not all one path's "
              "size: %s" % (where, count, live, lbtest.describe(site)))
        size = sizes[0]
        must, must_not = PATHS[size]
        check(must <= set(java) and not (must_not & set(java)),
              "%s: %d-byte blocks under Java frames %s (expected %s, none of %s)" % (
                  where, size, java, sorted(must), sorted(must_not)))
        check(java[-1] == "main", "%s: the Java frames do not reach main: %s" % (where, java))
        counts[size] += count
    check(all(c == per_path for c in counts.values()),
          "%s: kept blocks per path %s, expected %d each" % (where, counts, per_path))


def check_native_ways(report, calls, where):
    counts = {}
    for site in lbtest.sites_with_symbol(report, "keep_one"):
        if not lbtest.has_symbol(site, "Java_CallPaths_twoWays"):
            continue
        count, live = site["live_count"], site["live_bytes"]
        size = live // count if count else 0
        check(count and live == count * size and size in (1311, 1312),
              "%s: a twoWays site holds %d blocks of %d bytes: %s" % (
                  where, count, live, lbtest.describe_native(site)))
        want, other = ("via_x", "via_y") if size == 1311 else ("via_y", "via_x")
        check(lbtest.has_symbol(site, want) and not lbtest.has_symbol(site, other),
              "%s: %d-byte blocks under %s (expected %s)" % (
                  where, size, lbtest.describe_native(site), want))
        counts[size] = counts.get(size, 0) + count
    each = 2 * (calls // 10)
    check(counts == {1311: each, 1312: each},
          "%s: twoWays blocks per C caller %s, expected %d each" % (where, counts, each))


def test(env):
    calls = 30000
    p, report = lbtest.run_report(env, "jit", "CallPaths", [calls], options="sample=0")
    check("calls %d" % calls in p.stdout, "the program did not make its calls")
    check_paths(report, calls, "JIT")
    check_native_ways(report, calls, "JIT")
    agent = report["agent"]
    print("java_walks %d, java_walks_reused %d, native_walks_reused %d" % (
        agent["java_walks"], agent["java_walks_reused"], agent["native_walks_reused"]))
    check(agent["java_walks_reused"] > calls,
          "the Java frames were reused %d times in %d calls of 5 or 7 samples each: the "
          "per-call reuse is not working" % (agent["java_walks_reused"], calls))
    check(agent["native_walks_reused"] > calls,
          "the native frames were reused %d times in %d calls: the reuse of native walks is not "
          "working" % (agent["native_walks_reused"], calls))

    calls = 3000
    p, report = lbtest.run_report(env, "xint", "CallPaths", [calls], options="sample=0",
                                  jvm_args=["-Xint"])
    check("calls %d" % calls in p.stdout, "the program did not make its calls")
    check_paths(report, calls, "-Xint")
    check_native_ways(report, calls, "-Xint")
    check(report["agent"]["java_walks_reused"] == 0,
          "-Xint: %d Java parts reused through the interpreter's shared native entry" %
          report["agent"]["java_walks_reused"])
    check_ffm(env)


def check_ffm(env):
    """FFM downcalls (no JNI native, no stub) in turns with JNI calls at the same depth: each
    kept block under its own path's Java frames."""
    if lbtest.jdk_major(env) < 22:
        print("FFM part skipped: JDK %d has no java.lang.foreign" % lbtest.jdk_major(env))
        return
    out = os.path.join(env.work, "ffm-classes")
    os.makedirs(out, exist_ok=True)
    subprocess.run([os.path.join(env.java_home, "bin", "javac"), "-cp", env.classes, "-d", out,
                    os.path.join(JAVA22, "FfmPaths.java")], check=True)
    calls = 20000
    p, report = lbtest.run_report(env, "ffm", "FfmPaths", [calls], options="sample=0",
                                  classpath_extra=[out],
                                  jvm_args=["--enable-native-access=ALL-UNNAMED"])
    check("calls %d" % calls in p.stdout, "FfmPaths did not make its calls")
    counts = {1301: 0, 1321: 0}
    for site in lbtest.sites_with_symbol(report, "keep_one"):
        java = {f["method"] for f in site["frames"] if f["type"] == "java"}
        count, live = site["live_count"], site["live_bytes"]
        size = 1301 if live == count * 1301 else 1321 if live == count * 1321 else None
        check(count and size, "FFM: a site holds %d blocks of %d bytes: %s" % (
            count, live, lbtest.describe(site)))
        want, other = ("viaJni", "viaFfm") if size == 1301 else ("viaFfm", "viaJni")
        check(want in java and other not in java, "FFM: %d-byte blocks under Java frames %s" % (
            size, sorted(java)))
        counts[size] += count
    check(counts == {1301: calls // 2, 1321: calls // 2},
          "FFM: kept blocks per path %s, expected %d each" % (counts, calls // 2))


if __name__ == "__main__":
    lbtest.main(test)
