"""Helpers for the tests of memory Java code makes the JDK's own native libraries allocate
(tests/jvm/java/JdkNative.java, BusyZlib.java): zlib through libzip, file mappings through
libnio. Sizes were measured with an LD_PRELOAD malloc logger on Debian's JDK 17 (system zlib
1.2.13, libz.so.1) and Temurin 25 (zlib 1.3.2 bundled inside libzip.so, local symbols only):

    Inflater:  calloc(112) z_stream in Java_java_util_zip_Inflater_init (libzip)
               malloc(7160) inflate_state in inflateInit2_ (zlib)
               malloc(32768) window, at the first inflate() that produces output (zlib)
               = 3 blocks, 40,040 bytes on both
    Deflater:  calloc(112) z_stream in Java_java_util_zip_Deflater_init (libzip)
               malloc(5952 on 1.2.13, 5968 on 1.3.2) deflate_state, 4 x malloc(65536) window,
               prev, head, pending_buf, all in deflateInit2_ (zlib)
               = 6 blocks, 268,208 / 268,224 bytes
"""
import os
import subprocess

import lbtest
from lbtest import check

Z_STREAM = 112
INFLATE_STATE = 7160
WINDOW = 32768
INFLATER_BLOCKS = 3
INFLATER_BYTES = Z_STREAM + INFLATE_STATE + WINDOW  # 40040
DEFLATER_BLOCKS = 6
DEFLATE_STATE = (5900, 6100)  # 5952 (zlib 1.2.13), 5968 (1.3.2)
DEFLATER_BYTES = tuple(Z_STREAM + s + 4 * 65536 for s in DEFLATE_STATE)
# A slack on the state's size for another zlib release: +-1% of the inflater's bytes.
INFLATER_RANGE = (INFLATER_BYTES - 400, INFLATER_BYTES + 400)


def libzip(env):
    return os.path.realpath(os.path.join(env.java_home, "lib", "libzip.so"))


def zlib_is_system(env):
    """Whether the JDK's libzip uses a separate zlib (DT_NEEDED libz.so.1: Debian's JDK 17)
    rather than one it bundles (Temurin)."""
    p = subprocess.run(["readelf", "-d", libzip(env)], capture_output=True, text=True)
    check(p.returncode == 0, "readelf -d %s failed" % libzip(env))
    return "[libz.so" in p.stdout


def is_zlib_frame(env, frame):
    """A native frame in zlib's code: in libz.so.* when the JDK uses the system's zlib, in
    libzip.so but not one of its Java_ or ZIP_ functions when it bundles zlib."""
    if frame["type"] != "native" or not frame["module"]:
        return False
    base = os.path.basename(frame["module"])
    if zlib_is_system(env):
        return base.startswith("libz.so")
    return (os.path.realpath(frame["module"]) == libzip(env)
            and not (frame["symbol"] or "").startswith(("Java_", "ZIP_")))


def zlib_leaf(env, site):
    return bool(site["frames"]) and is_zlib_frame(env, site["frames"][0])


def in_libjvm(frame):
    return frame["type"] == "native" and os.path.basename(frame["module"] or "") == "libjvm.so"


def check_no_libjvm(report):
    """No site's stack goes through libjvm: what libjvm allocates itself is not recorded."""
    bad = [s for s in report["sites"] if any(in_libjvm(f) for f in s["frames"])]
    check(not bad, "%d sites with native frames in libjvm.so: %s" % (
        len(bad), [lbtest.describe_native(s) for s in bad[:5]]))


def sites_under(report, cls, method):
    return [s for s in report["sites"] if (cls, method) in lbtest.java_frames(s)]


def show(title, sites):
    print("%s: %d sites" % (title, len(sites)))
    for s in sites:
        print("   %s [%s]" % (lbtest.describe_native(s), s["status"]))


def totals(sites):
    return sum(s["live_count"] for s in sites), sum(s["live_bytes"] for s in sites)


def with_native(sites, symbol_prefix):
    return [s for s in sites if any((f["symbol"] or "").startswith(symbol_prefix)
                                    for f in lbtest.native_frames(s))]


def check_zlib_site(env, report, sites, jni_prefix, java, what):
    """Among `sites`, one (or more) whose leaf frame is zlib's, with a native frame in
    libzip.so whose name starts with `jni_prefix` after it, then Java frames including every
    (class, method) of `java`, native frames first. Returns those sites."""
    zip_path = libzip(env)
    found = []
    for s in sites:
        natives = lbtest.native_frames(s)
        jni = [i for i, f in enumerate(natives) if (f["symbol"] or "").startswith(jni_prefix)]
        if not zlib_leaf(env, s) or not jni:
            continue
        found.append(s)
        check(os.path.realpath(natives[jni[0]]["module"]) == zip_path,
              "%s: %s in %r, not %s" % (what, natives[jni[0]]["symbol"], natives[jni[0]]["module"],
                                        zip_path))
        check(all(is_zlib_frame(env, f) for f in natives[:jni[0]]),
              "%s: frames other than zlib's before %s: %s" % (what, jni_prefix,
                                                               lbtest.describe_native(s)))
        frames = lbtest.java_frames(s)
        for j in java:
            check(j in frames, "%s: no Java frame %s.%s: %s" % (what, j[0], j[1],
                                                               lbtest.describe_native(s)))
        lbtest.check_java_after_native(s)
    check(found, "%s: no site with a zlib leaf and a %s... frame in libzip.so among %s" % (
        what, jni_prefix, [lbtest.describe_native(s) for s in sites]))
    return found


def check_count_bytes(what, sites, count, low, high):
    live, live_bytes = totals(sites)
    check(live == count and low <= live_bytes <= high,
          "%s: expected %d live blocks and %d..%d bytes, got %d blocks, %d bytes: %s" % (
              what, count, low, high, live, live_bytes,
              [lbtest.describe_native(s) for s in sites]))
