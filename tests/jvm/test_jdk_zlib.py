"""zlib memory that Java code makes the JDK allocate is tracked with its mixed stack, on the
system zlib (Debian's JDK 17: libz.so.1) and on the one Temurin bundles in libzip.so. With
sample=0 (sizes in jdknative.py):

- 23 Inflaters kept mid-stream after one inflate() each: exactly 3 blocks each under
  JdkNative.keepInflaters, 40,040 bytes each (+-400 for another zlib): the z_stream
  (Java_java_util_zip_Inflater_init's calloc, 112 bytes), zlib's state allocated under
  Java_java_util_zip_Inflater_init (leaf in zlib, then java.util.zip.Inflater.<init>), and the
  32 KiB window allocated under Java_java_util_zip_Inflater_inflate* (java.util.zip.Inflater.
  inflate);
- 7 GZIPOutputStreams never closed: exactly 6 blocks each under JdkNative.keepGzip, about
  268 KB each, zlib's leaf under Java_java_util_zip_Deflater_init, Deflater.<init> and
  GZIPOutputStream.<init>;
- 5 ZipFile entry streams (deflated entries of a zip the program wrote) read partly and kept
  open: exactly 3 blocks each under JdkNative.keepEntries through ZipFile.getInputStream;
- no stack goes through libjvm.so.
The same objects closed (Inflater.end, GZIPOutputStream.close, the entry streams and the
ZipFile closed) leave nothing live under their Java callers, while the same run's kept controls
(2 Inflaters, 1 GZIPOutputStream) are exact."""
import jdknative as jn
import lbtest
from lbtest import check

INFLATERS, GZIPS, ENTRIES = 23, 7, 5


def check_inflaters(env, report, method, n):
    sites = jn.sites_under(report, "JdkNative", method)
    jn.show(method, sites)
    jn.check_count_bytes("%d inflaters of %s" % (n, method), sites, n * jn.INFLATER_BLOCKS,
                         n * jn.INFLATER_RANGE[0], n * jn.INFLATER_RANGE[1])
    init = jn.check_zlib_site(env, report, sites, "Java_java_util_zip_Inflater_init",
                              [("java.util.zip.Inflater", "<init>"), ("JdkNative", method)],
                              "%s: zlib's state" % method)
    count, size = jn.totals(init)
    check(count == n and abs(size - n * jn.INFLATE_STATE) <= n * 400,
          "%s: zlib's state: %d blocks of %d bytes, expected %d of about %d" % (
              method, count, size, n, n * jn.INFLATE_STATE))
    window = jn.check_zlib_site(env, report, sites, "Java_java_util_zip_Inflater_inflate",
                                [("java.util.zip.Inflater", "inflate"), ("JdkNative", method)],
                                "%s: the window" % method)
    count, size = jn.totals(window)
    check(count == n and size == n * jn.WINDOW,
          "%s: windows: %d blocks of %d bytes, expected %d of %d" % (
              method, count, size, n, n * jn.WINDOW))
    stream = [s for s in sites if s["frames"] and s["frames"][0]["type"] == "native"
              and s["frames"][0]["symbol"] == "Java_java_util_zip_Inflater_init"]
    count, size = jn.totals(stream)
    check(count == n and size == n * jn.Z_STREAM,
          "%s: z_streams (calloc in Java_java_util_zip_Inflater_init): %d blocks, %d bytes, "
          "expected %d, %d" % (method, count, size, n, n * jn.Z_STREAM))


def check_gzip(env, report, method, n):
    sites = jn.sites_under(report, "JdkNative", method)
    jn.show(method, sites)
    jn.check_count_bytes("%d GZIPOutputStreams of %s" % (n, method), sites,
                         n * jn.DEFLATER_BLOCKS, n * jn.DEFLATER_BYTES[0], n * jn.DEFLATER_BYTES[1])
    state = jn.check_zlib_site(env, report, sites, "Java_java_util_zip_Deflater_init",
                               [("java.util.zip.Deflater", "<init>"),
                                ("java.util.zip.GZIPOutputStream", "<init>"),
                                ("JdkNative", method)],
                               "%s: zlib's deflate state" % method)
    count, _ = jn.totals(state)
    check(count == n * (jn.DEFLATER_BLOCKS - 1),
          "%s: %d blocks of zlib under Deflater.<init>, expected %d" % (
              method, count, n * (jn.DEFLATER_BLOCKS - 1)))


def test(env):
    p, report = lbtest.run_report(env, "kept", "JdkNative",
                                  ["inflaters", INFLATERS, "gzip", GZIPS, "zipentries", ENTRIES],
                                  options="sample=0")
    check("kept %d" % (INFLATERS + GZIPS + ENTRIES + 1) in p.stdout,
          "the program did not keep its objects: %r" % p.stdout)
    print("zlib: %s" % ("system libz.so.1" if jn.zlib_is_system(env) else "bundled in libzip.so"))
    jn.check_no_libjvm(report)
    check_inflaters(env, report, "keepInflaters", INFLATERS)
    check_gzip(env, report, "keepGzip", GZIPS)

    entries = jn.sites_under(report, "JdkNative", "keepEntries")
    jn.show("keepEntries", entries)
    jn.check_count_bytes("%d zip entry streams" % ENTRIES, entries,
                         ENTRIES * jn.INFLATER_BLOCKS, ENTRIES * jn.INFLATER_RANGE[0],
                         ENTRIES * jn.INFLATER_RANGE[1])
    jn.check_zlib_site(env, report, entries, "Java_java_util_zip_Inflater_init",
                       [("java.util.zip.ZipFile", "getInputStream"), ("JdkNative", "keepEntries")],
                       "zip entry streams: zlib's state")
    jn.check_zlib_site(env, report, entries, "Java_java_util_zip_Inflater_inflate",
                       [("java.util.zip.InflaterInputStream", "read"), ("JdkNative", "keepEntries")],
                       "zip entry streams: the window")
    ours = lbtest.agent_frames(report)
    check(not ours, "frames of the agent itself in the report: %s" % ours[:3])

    p, report = lbtest.run_report(env, "closed", "JdkNative",
                                  ["inflaters-closed", INFLATERS, "gzip-closed", GZIPS,
                                   "zipentries-closed", ENTRIES, "inflaters", 2, "gzip", 1],
                                  options="sample=0")
    check("kept 3" in p.stdout, "the program did not run to the end: %r" % p.stdout)
    jn.check_no_libjvm(report)
    for method in ("closeInflaters", "closeGzip", "closeEntries"):
        left = jn.sites_under(report, "JdkNative", method)
        check(not left, "closed objects still live under JdkNative.%s: %s" % (
            method, [lbtest.describe_native(s) for s in left]))
    check_inflaters(env, report, "keepInflaters", 2)
    check_gzip(env, report, "keepGzip", 1)


if __name__ == "__main__":
    lbtest.main(test)
