import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.lang.ref.SoftReference;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntSupplier;

/**
 * Native memory held in the ways owners=on tells apart (tests/jvm/test_owners*.py). Args: mode
 * count. Each mode keeps `count` blocks of its own size (a multiple of 8, which Unsafe rounds
 * sizes up to), so a test finds its site by size:
 *   static   direct buffers of 10000 bytes in a static list (LeakyPool.CACHE)
 *   parked   direct buffers of 10008 bytes in a local variable of a parked daemon thread
 *   global   direct buffers of 10016 bytes held only by JNI global references (libleakglobal)
 *   lambda   direct buffers of 10024 bytes captured by lambdas kept in a static list
 *   soft     direct buffers of 10032 bytes held only through SoftReferences, which a forced GC
 *            leaves alone (run with -XX:SoftRefLRUPolicyMSPerMB=1000000): no root reaches them
 *   zstd     zstd-jni streams (ZstdInputStreamNoFinalizer) in a map inside an object that a
 *            static holds (Registry.INSTANCE.streams)
 *   inflater java.util.zip.Inflaters in a static list: zlib's state (inflateInit2_) and the
 *            z_stream (Java_java_util_zip_Inflater_init), which the JDK's own libraries allocate
 *   big      static: 10 buffers, then `count` million small objects in long linked lists kept
 *            by a static, so that the heap walk runs out of a small budget
 *   heap     static: 10 buffers, then `count` million links each with a byte[] of args[2] bytes
 *            (docs/performance.md: 10 million links of 360 bytes are 20 million objects in
 *            4 GB), kept by a static; prints the heap's use after a GC
 */
public class OwnersKeep {
    static class LeakyPool {
        static final List<ByteBuffer> CACHE = new ArrayList<>();

        static ByteBuffer acquire(int size) {
            ByteBuffer b = ByteBuffer.allocateDirect(size);
            CACHE.add(b);
            return b;
        }
    }

    static class Registry {
        static final Registry INSTANCE = new Registry();
        final Map<String, InputStream> streams = new HashMap<>();
    }

    static final class Link {
        Link next;
        long value;
        byte[] payload;
    }

    static final List<IntSupplier> TASKS = new ArrayList<>();
    static final List<SoftReference<ByteBuffer>> SOFT = new ArrayList<>();
    static final List<Link> CHAINS = new ArrayList<>();
    static final List<java.util.zip.Inflater> INFLATERS = new ArrayList<>();

    static native void holdGlobal(ByteBuffer buffer);

    static void parkHolding(int count, CountDownLatch ready) {
        List<ByteBuffer> mine = new ArrayList<>();
        for (int i = 0; i < count; i++)
            mine.add(ByteBuffer.allocateDirect(10008));
        ready.countDown();
        for (;;) {
            LockSupport.park();
            if (mine.isEmpty())
                break;
        }
    }

    static IntSupplier capture(ByteBuffer buffer) {
        return () -> buffer.capacity();
    }

    public static void main(String[] args) throws Exception {
        int count = Integer.parseInt(args[1]);
        switch (args[0]) {
            case "static":
                for (int i = 0; i < count; i++)
                    LeakyPool.acquire(10000);
                break;
            case "parked": {
                CountDownLatch ready = new CountDownLatch(1);
                Thread t = new Thread(() -> parkHolding(count, ready), "parker");
                t.setDaemon(true);
                t.start();
                ready.await();
                break;
            }
            case "global":
                System.loadLibrary("leakglobal");
                for (int i = 0; i < count; i++)
                    holdGlobal(ByteBuffer.allocateDirect(10016));
                break;
            case "lambda":
                for (int i = 0; i < count; i++)
                    TASKS.add(capture(ByteBuffer.allocateDirect(10024)));
                break;
            case "soft":
                for (int i = 0; i < count; i++)
                    SOFT.add(new SoftReference<>(ByteBuffer.allocateDirect(10032)));
                break;
            case "zstd": {
                StringBuilder text = new StringBuilder();
                for (int i = 0; i < 200; i++)
                    text.append("leakbridge owners line ").append(i).append('\n');
                byte[] payload = Zstd.compress(text.toString().getBytes(StandardCharsets.UTF_8));
                for (int i = 0; i < count; i++) {
                    InputStream in = new ZstdInputStreamNoFinalizer(new ByteArrayInputStream(payload));
                    if (in.read(new byte[64]) <= 0)
                        throw new IllegalStateException("nothing decompressed");
                    Registry.INSTANCE.streams.put("stream-" + i, in);
                }
                break;
            }
            case "inflater":
                for (int i = 0; i < count; i++)
                    INFLATERS.add(new java.util.zip.Inflater());
                break;
            case "big":
                for (int i = 0; i < 10; i++)
                    LeakyPool.acquire(10000);
                for (int c = 0; c < count; c++) {
                    Link head = null;
                    for (int i = 0; i < 1_000_000; i++) {
                        Link l = new Link();
                        l.next = head;
                        l.value = i;
                        head = l;
                    }
                    CHAINS.add(head);
                }
                break;
            case "heap": {
                for (int i = 0; i < 10; i++)
                    LeakyPool.acquire(10000);
                int payload = Integer.parseInt(args[2]);
                for (int c = 0; c < count; c++) {
                    Link head = null;
                    for (int i = 0; i < 1_000_000; i++) {
                        Link l = new Link();
                        l.next = head;
                        l.payload = new byte[payload];
                        head = l;
                    }
                    CHAINS.add(head);
                }
                System.gc();
                Runtime rt = Runtime.getRuntime();
                System.out.println("heap used " + (rt.totalMemory() - rt.freeMemory()) / (1 << 20)
                        + " MiB");
                break;
            }
            default:
                throw new IllegalArgumentException(args[0]);
        }
        System.out.println("kept " + args[0] + " " + count);
    }
}
