"""libjvm's own zlib work is not recorded, Java's is, and the two together break nothing:
2,000 generated classes are loaded from jars, 1,000 from -Xbootclasspath/a (libjvm reads those
entries itself: ZIP_Open and ZIP_ReadEntry in libzip, zlib under them), 500 through a
URLClassLoader and 500 from the class path (the JDK's Java ZipFile code), while a thread
round-trips GZIP streams (all closed), under -Xcheck:jni, with sample=0. Expected: exit 0 and
no JNI warning; no site with a native frame in libjvm.so; every malloc site whose leaf is zlib
has Java frames; no site whose Java frames are only the JDK's class loading without a frame of
the program or of the generated classes (if the JDK's caches of Inflaters per open jar show up
that way they are printed); the 7 Inflaters the program keeps (a control) are exact: 21 blocks
under BusyZlib.keepInflaters. A second run loading the 1,000 boot classes only (libjvm inflates
2,000 zlib blocks for them) records fewer than 500 allocations and leaves no live site."""
import os
import zipfile

import jdknative as jn
import lbtest
from lbtest import check

BOOT, URL, CP, KEEP = 1000, 500, 500, 7
PREFIXES = {"boot": "lbgen.boot.C", "url": "lbgen.url.C", "cp": "lbgen.cp.C"}
CLASS_LOADING = ("java.lang.ClassLoader", "java.lang.Class", "java.net.URLClassLoader",
                 "java.security.SecureClassLoader")
CLASS_LOADING_PREFIXES = ("jdk.internal.loader.", "java.util.jar.", "java.util.zip.",
                          "sun.net.www.protocol.jar.", "jdk.internal.jimage.")


def u2(n):
    return n.to_bytes(2, "big")


def u4(n):
    return n.to_bytes(4, "big")


def utf8(s):
    b = s.encode()
    return b"\x01" + u2(len(b)) + b


def class_file(binary_name, seed):
    """A minimal class (public, extends Object, no members) with an attribute the JVM ignores,
    2-3 KB of text that deflates about 2:1, so that reading each entry inflates for real."""
    internal = binary_name.replace(".", "/")
    x, pad = seed * 2654435761 + 1, bytearray()
    for _ in range(2048 + seed % 1024):
        x = (x * 6364136223846793005 + 1442695040888963407) & 0xFFFFFFFFFFFFFFFF
        pad.append(ord("a") + (x >> 60))
    pool = utf8(internal) + b"\x07" + u2(1) + utf8("java/lang/Object") + b"\x07" + u2(3) + \
        utf8("LbPadding")
    return (u4(0xCAFEBABE) + u2(0) + u2(52) + u2(6) + pool + u2(0x0021) + u2(2) + u2(4) +
            u2(0) + u2(0) + u2(0) + u2(1) + u2(5) + u4(len(pad)) + bytes(pad))


def write_jar(path, prefix, count):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for i in range(count):
            name = "%s%04d" % (prefix, i)
            z.writestr(name.replace(".", "/") + ".class", class_file(name, i))
    return path


def ours(frame):
    return frame[0].startswith(("BusyZlib", "lbgen."))


def class_loading(frame):
    return frame[0] in CLASS_LOADING or frame[0].startswith(CLASS_LOADING_PREFIXES)



def test(env):
    jars = {k: write_jar(os.path.join(env.work, "%s.jar" % k), PREFIXES[k], n)
            for k, n in (("boot", BOOT), ("url", URL), ("cp", CP))}
    p, report = lbtest.run_report(
        env, "busy", "BusyZlib",
        [PREFIXES["boot"], BOOT, jars["url"], PREFIXES["url"], URL, PREFIXES["cp"], CP, KEEP],
        options="sample=0", jvm_args=["-Xcheck:jni", "-Xbootclasspath/a:" + jars["boot"]],
        classpath_extra=(jars["cp"],), timeout=600)
    warnings = lbtest.jni_warnings(p.stdout + p.stderr)
    check(not warnings, "JNI warnings: %s" % warnings[:5])
    check("loaded %d" % (BOOT + URL + CP) in p.stdout, "the program did not load every class")
    print("sites: %d, malloc: %d, by kind: %s" % (
        len(report["sites"]), sum(1 for s in report["sites"] if s["kind"] == "malloc"),
        report["totals"]["by_kind"]))

    jn.check_no_libjvm(report)
    no_java = [s for s in report["sites"] if s["kind"] == "malloc" and jn.zlib_leaf(env, s)
               and not lbtest.java_frames(s)]
    check(not no_java, "zlib malloc sites without a Java frame (libjvm's own?): %s" % [
        lbtest.describe_native(s) for s in no_java[:5]])

    jdk_only = [s for s in report["sites"] if not any(ours(f) for f in lbtest.java_frames(s))]
    jn.show("sites without a frame of the program (information)", jdk_only)
    loading = [s for s in jdk_only if any(class_loading(f) for f in lbtest.java_frames(s))]
    check(not loading, "%d sites of the JDK's class loading without the program's frames: %s" % (
        len(loading), ["%s [%s]" % (lbtest.describe_native(s), " <- ".join(
            "%s.%s" % f for f in lbtest.java_frames(s))) for s in loading]))

    kept = jn.sites_under(report, "BusyZlib", "keepInflaters")
    jn.show("keepInflaters", kept)
    jn.check_count_bytes("%d kept Inflaters" % KEEP, kept, KEEP * jn.INFLATER_BLOCKS,
                         KEEP * jn.INFLATER_RANGE[0], KEEP * jn.INFLATER_RANGE[1])
    loop = jn.sites_under(report, "BusyZlib", "inflateLoop")
    check(not loop, "closed streams of the inflating thread still live: %s" % [
        lbtest.describe_native(s) for s in loop])

    # libjvm alone: the 1,000 boot classes and nothing else. Reading each entry costs zlib two
    # blocks (state and window, in libzip's InflateFully under ZIP_ReadEntry under libjvm's
    # ClassPathZipEntry): none may be recorded, so fewer allocations than classes in all.
    p, report = lbtest.run_report(
        env, "boot", "BusyZlib", [PREFIXES["boot"], BOOT, jars["url"], PREFIXES["url"], 0,
                                  PREFIXES["cp"], 0, 0, "quiet"],
        options="sample=0", jvm_args=["-Xcheck:jni", "-Xbootclasspath/a:" + jars["boot"]])
    check("loaded %d" % BOOT in p.stdout, "the program did not load the boot classes")
    t = report["totals"]
    print("boot classes only: %d allocations recorded, %d sites live" % (
        t["allocated_count"], len(report["sites"])))
    check(t["allocated_count"] < BOOT // 2,
          "%d allocations recorded while libjvm loaded %d classes from a jar: libjvm's own zlib "
          "work is recorded" % (t["allocated_count"], BOOT))
    jn.check_no_libjvm(report)
    check(not report["sites"], "live sites after loading boot classes only: %s" % [
        lbtest.describe_native(s) for s in report["sites"]])


if __name__ == "__main__":
    lbtest.main(test)
