import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import java.util.zip.Inflater;

/**
 * libjvm busy with zlib while Java code inflates: classes are loaded from three jars of
 * generated classes (tests/jvm/test_jdk_busy_zlib.py writes them), one on -Xbootclasspath/a
 * (libjvm reads its entries itself, through libzip's ZIP_ReadEntry and zlib), one through a
 * URLClassLoader and one on the class path (the JDK's Java ZipFile code and Inflaters), while
 * another thread inflates and deflates in a loop, closing everything. Args:
 *   BOOT_PREFIX BOOT_COUNT URL_JAR URL_PREFIX URL_COUNT CP_PREFIX CP_COUNT KEEP
 * where each PREFIX is a binary name prefix, the classes being PREFIX + "%04d" from 0; KEEP
 * Inflaters are kept after one inflate() each (keepInflaters), a control. A 9th argument
 * "quiet" leaves the inflating thread out. Prints "kept K", "loaded N" and "rounds R" (of the
 * inflating thread, -1 without it).
 */
public class BusyZlib {
    static final List<Object> KEPT = new ArrayList<>();
    static volatile boolean stop;

    static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(data);
        }
        return out.toByteArray();
    }

    static byte[] page() {
        byte[] page = new byte[64 * 1024];
        long x = 99;
        for (int i = 0; i < page.length; i++) {
            x = x * 6364136223846793005L + 1442695040888963407L;
            page[i] = (byte) ('a' + ((x >>> 59) & 7));
        }
        return page;
    }

    /** Round trips through GZIPOutputStream and GZIPInputStream, every stream closed. */
    static long inflateLoop() throws IOException {
        byte[] page = page();
        byte[] buf = new byte[8192];
        long rounds = 0;
        while (!stop || rounds < 20) {
            byte[] z = gzip(page);
            long sum = 0;
            try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(z))) {
                for (int n; (n = in.read(buf)) > 0;) {
                    sum += n;
                }
            }
            if (sum != page.length) {
                throw new IllegalStateException("inflated " + sum);
            }
            rounds++;
        }
        return rounds;
    }

    static int keepInflaters(int n) throws Exception {
        byte[] z = gzip(page());
        for (int i = 0; i < n; i++) {
            Inflater inf = new Inflater(true);
            inf.setInput(z, 10, z.length - 10); // past the gzip header: raw deflate
            byte[] out = new byte[4096];
            if (inf.inflate(out) != out.length) {
                throw new IllegalStateException("short inflate");
            }
            KEPT.add(inf);
        }
        return n;
    }

    static int loadBoot(String prefix, int count) throws ClassNotFoundException {
        for (int i = 0; i < count; i++) {
            Class<?> c = Class.forName(String.format("%s%04d", prefix, i), true, null);
            if (c.getClassLoader() != null) {
                throw new IllegalStateException(c + " not from the boot loader");
            }
        }
        return count;
    }

    static int loadUrl(String jar, String prefix, int count) throws Exception {
        URLClassLoader loader = new URLClassLoader(new URL[] {new File(jar).toURI().toURL()}, null);
        KEPT.add(loader); // kept open, as an application keeps its plugin loaders
        for (int i = 0; i < count; i++) {
            Class<?> c = Class.forName(String.format("%s%04d", prefix, i), true, loader);
            if (c.getClassLoader() != loader) {
                throw new IllegalStateException(c + " not from the URLClassLoader");
            }
        }
        return count;
    }

    static int loadClassPath(String prefix, int count) throws ClassNotFoundException {
        ClassLoader app = BusyZlib.class.getClassLoader();
        for (int i = 0; i < count; i++) {
            Class.forName(String.format("%s%04d", prefix, i), true, app);
        }
        return count;
    }

    public static void main(String[] args) throws Exception {
        long[] rounds = new long[1];
        Throwable[] failed = new Throwable[1];
        Thread inflater = new Thread(() -> {
            try {
                rounds[0] = inflateLoop();
            } catch (Throwable t) {
                failed[0] = t;
            }
        }, "inflater");
        if (args.length > 8 && args[8].equals("quiet")) {
            stop = true;
            rounds[0] = -1;
        } else {
            inflater.start();
        }
        System.out.println("kept " + keepInflaters(Integer.parseInt(args[7])));
        int loaded = loadBoot(args[0], Integer.parseInt(args[1]));
        loaded += loadUrl(args[2], args[3], Integer.parseInt(args[4]));
        loaded += loadClassPath(args[5], Integer.parseInt(args[6]));
        stop = true;
        if (rounds[0] >= 0) {
            inflater.join();
        }
        if (failed[0] != null) {
            throw new IllegalStateException("the inflating thread failed", failed[0]);
        }
        System.out.println("loaded " + loaded);
        System.out.println("rounds " + rounds[0]);
    }
}
