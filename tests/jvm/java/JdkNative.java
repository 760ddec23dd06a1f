import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;
import java.util.zip.Inflater;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * Memory Java code makes the JDK's own native libraries allocate: zlib (through libzip) for
 * Inflater, Deflater, GZIPOutputStream and ZipFile entry streams, and file mappings (libnio) for
 * FileChannel.map. Args: commands, each a word and its numbers, run in order; each method that
 * allocates has a name of its own, so that the tests find its sites by their Java frames:
 *   inflaters N          N Inflaters, each after one inflate() that stops mid-stream, kept
 *                        (keepInflaters)
 *   inflaters-closed N   the same, each end()ed (closeInflaters)
 *   inflaters-dropped N  the same, neither kept nor ended: their Cleaners free them
 *                        (dropInflaters)
 *   gzip N               N GZIPOutputStreams over in-memory streams, 1 KiB written, kept
 *                        unclosed (keepGzip)
 *   gzip-closed N        the same, closed (closeGzip)
 *   gzip-dropped N       the same, neither kept nor closed (dropGzip)
 *   zipentries N         a zip of N deflated 256 KiB entries written to a temp file, then N
 *                        ZipFile.getInputStream streams of it, 1000 bytes read from each, kept
 *                        open with the ZipFile (keepEntries)
 *   zipentries-closed N  the same, every stream and the ZipFile closed (closeEntries)
 *   mapped N MIB         a temp file of N * MIB MiB, mapped read-only with FileChannel.map in N
 *                        mappings of MIB MiB, each touched, kept (keepMapped); prints
 *                        "mapped-file=PATH"
 *   mapped-released N MIB the same, then each buffer unmapped with Unsafe.invokeCleaner
 *                        (releaseMapped); prints "released-file=PATH"
 *   mapped-dropped N MIB the same, the buffers dropped: their Cleaners unmap them after a GC
 *                        (dropMapped); prints "dropped-file=PATH"
 *   gc                   System.gc() a few times with pauses (their Cleaners run)
 * Each command prints "WORD N" when done. Temp files are deleted at exit (a mapping outlives
 * its file's name).
 */
public class JdkNative {
    static final List<Object> KEPT = new ArrayList<>();
    static final byte[] DEFLATED = deflated(256 * 1024);

    /** A 256 KiB payload that deflates to some KiB, so that one inflate() of a small output
     * buffer stops mid-stream. */
    static byte[] payload(int size) {
        byte[] page = new byte[size];
        long x = 12345;
        for (int i = 0; i < size; i++) {
            x = x * 6364136223846793005L + 1442695040888963407L;
            page[i] = (byte) ('a' + ((x >>> 59) & 7)); // 3 bits of entropy a byte
        }
        return page;
    }

    static byte[] deflated(int size) {
        Deflater d = new Deflater();
        d.setInput(payload(size));
        d.finish();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        while (!d.finished()) {
            int n = d.deflate(buf);
            out.write(buf, 0, n);
        }
        d.end();
        return out.toByteArray();
    }

    /** A new Inflater, after one inflate() into a 4 KiB buffer: zlib's state and its window. */
    static Inflater inflateSome() throws Exception {
        Inflater inf = new Inflater();
        inf.setInput(DEFLATED);
        byte[] out = new byte[4096];
        int n = inf.inflate(out);
        if (n != out.length || inf.finished()) {
            throw new IllegalStateException("inflate() returned " + n + ", finished " + inf.finished());
        }
        return inf;
    }

    static int keepInflaters(int n) throws Exception {
        for (int i = 0; i < n; i++) {
            KEPT.add(inflateSome());
        }
        return n;
    }

    static int closeInflaters(int n) throws Exception {
        for (int i = 0; i < n; i++) {
            inflateSome().end();
        }
        return n;
    }

    static int dropInflaters(int n) throws Exception {
        long sum = 0;
        for (int i = 0; i < n; i++) {
            sum += inflateSome().getBytesWritten();
        }
        return sum > 0 ? n : -1;
    }

    static GZIPOutputStream gzipSome() throws IOException {
        GZIPOutputStream gz = new GZIPOutputStream(new ByteArrayOutputStream());
        gz.write(DEFLATED, 0, 1024);
        return gz;
    }

    static int keepGzip(int n) throws IOException {
        for (int i = 0; i < n; i++) {
            KEPT.add(gzipSome());
        }
        return n;
    }

    static int closeGzip(int n) throws IOException {
        for (int i = 0; i < n; i++) {
            gzipSome().close();
        }
        return n;
    }

    static int dropGzip(int n) throws IOException {
        long sum = 0;
        for (int i = 0; i < n; i++) {
            sum += gzipSome().hashCode() & 1;
        }
        return sum >= 0 ? n : -1;
    }

    static File tempFile(String prefix, String suffix) throws IOException {
        File f = File.createTempFile(prefix, suffix);
        f.deleteOnExit();
        return f.getAbsoluteFile();
    }

    static File writeZip(int entries) throws IOException {
        File f = tempFile("jdknative-", ".zip");
        byte[] data = payload(256 * 1024);
        try (ZipOutputStream zip = new ZipOutputStream(new FileOutputStream(f))) {
            for (int i = 0; i < entries; i++) {
                ZipEntry e = new ZipEntry("entry-" + i + ".txt");
                e.setMethod(ZipEntry.DEFLATED);
                zip.putNextEntry(e);
                zip.write(data);
                zip.closeEntry();
            }
        }
        return f;
    }

    /** N entry streams of a new zip, 1000 bytes read from each: they are returned open. */
    static List<InputStream> openEntries(ZipFile zf, int n) throws IOException {
        List<InputStream> streams = new ArrayList<>();
        byte[] buf = new byte[1000];
        for (int i = 0; i < n; i++) {
            ZipEntry e = zf.getEntry("entry-" + i + ".txt");
            if (e == null || e.getMethod() != ZipEntry.DEFLATED) {
                throw new IllegalStateException("entry " + i + ": " + e);
            }
            InputStream in = zf.getInputStream(e);
            int got = 0;
            while (got < buf.length) {
                int r = in.read(buf, got, buf.length - got);
                if (r < 0) {
                    throw new IllegalStateException("entry " + i + " ended early");
                }
                got += r;
            }
            streams.add(in);
        }
        return streams;
    }

    static int keepEntries(int n) throws IOException {
        ZipFile zf = new ZipFile(writeZip(n));
        KEPT.add(zf);
        KEPT.addAll(openEntries(zf, n));
        return n;
    }

    static int closeEntries(int n) throws IOException {
        try (ZipFile zf = new ZipFile(writeZip(n))) {
            for (InputStream in : openEntries(zf, n)) {
                in.close();
            }
        }
        return n;
    }

    /** A temp file of count * mib MiB mapped in `count` read-only mappings of mib MiB, each
     * page touched. */
    static List<MappedByteBuffer> mapFile(File f, int count, int mib) throws IOException {
        long size = (long) mib << 20;
        try (RandomAccessFile raf = new RandomAccessFile(f, "rw")) {
            raf.setLength(size * count);
        }
        List<MappedByteBuffer> maps = new ArrayList<>();
        try (FileChannel ch = FileChannel.open(f.toPath())) {
            for (int i = 0; i < count; i++) {
                MappedByteBuffer b = ch.map(FileChannel.MapMode.READ_ONLY, i * size, size);
                long sum = 0;
                for (int off = 0; off < b.capacity(); off += 4096) {
                    sum += b.get(off);
                }
                if (sum != 0) {
                    throw new IllegalStateException("a sparse file read " + sum);
                }
                maps.add(b);
            }
        }
        return maps;
    }

    static int keepMapped(int count, int mib) throws IOException {
        File f = tempFile("jdknative-kept-", ".bin");
        KEPT.addAll(mapFile(f, count, mib));
        System.out.println("mapped-file=" + f.getPath());
        return count;
    }

    static int releaseMapped(int count, int mib) throws Exception {
        File f = tempFile("jdknative-released-", ".bin");
        Object unsafe = theUnsafe();
        Method invokeCleaner = unsafe.getClass().getMethod("invokeCleaner", ByteBuffer.class);
        for (MappedByteBuffer b : mapFile(f, count, mib)) {
            invokeCleaner.invoke(unsafe, b);
        }
        System.out.println("released-file=" + f.getPath());
        return count;
    }

    static int dropMapped(int count, int mib) throws IOException {
        File f = tempFile("jdknative-dropped-", ".bin");
        int n = mapFile(f, count, mib).size();
        System.out.println("dropped-file=" + f.getPath());
        return n;
    }

    static Object theUnsafe() throws Exception {
        Class<?> k = Class.forName("sun.misc.Unsafe");
        Field f = k.getDeclaredField("theUnsafe");
        f.setAccessible(true);
        return f.get(null);
    }

    static void gc() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(200);
        }
    }

    public static void main(String[] args) throws Exception {
        for (int i = 0; i < args.length;) {
            String word = args[i++];
            int result;
            switch (word) {
                case "inflaters": result = keepInflaters(Integer.parseInt(args[i++])); break;
                case "inflaters-closed": result = closeInflaters(Integer.parseInt(args[i++])); break;
                case "inflaters-dropped": result = dropInflaters(Integer.parseInt(args[i++])); break;
                case "gzip": result = keepGzip(Integer.parseInt(args[i++])); break;
                case "gzip-closed": result = closeGzip(Integer.parseInt(args[i++])); break;
                case "gzip-dropped": result = dropGzip(Integer.parseInt(args[i++])); break;
                case "zipentries": result = keepEntries(Integer.parseInt(args[i++])); break;
                case "zipentries-closed": result = closeEntries(Integer.parseInt(args[i++])); break;
                case "mapped":
                    result = keepMapped(Integer.parseInt(args[i]), Integer.parseInt(args[i + 1]));
                    i += 2;
                    break;
                case "mapped-released":
                    result = releaseMapped(Integer.parseInt(args[i]), Integer.parseInt(args[i + 1]));
                    i += 2;
                    break;
                case "mapped-dropped":
                    result = dropMapped(Integer.parseInt(args[i]), Integer.parseInt(args[i + 1]));
                    i += 2;
                    break;
                case "gc": gc(); result = 0; break;
                default: throw new IllegalArgumentException("unknown command " + word);
            }
            System.out.println(word + " " + result);
        }
        System.out.println("kept " + KEPT.size());
    }
}
