import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.management.ManagementFactory;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * One overhead benchmark run: {@code java Bench WORKLOAD [seconds]}.
 *
 * <p>Runs WORKLOAD for a warm-up phase (long enough for C2 to compile it), then for a timed
 * phase of several rounds, and prints one line
 * {@code RESULT workload=NAME ns_per_op=X ops=N rounds=R round_min=X round_max=X cpu_ns_per_op=X}:
 * ns_per_op is the median round's (wall clock), ops the operations of the whole timed phase,
 * round_min/max the fastest and slowest round, cpu_ns_per_op the CPU time of the whole process
 * (every thread: GC, Reference Handler, JIT, the agent's) over the timed phase per op, or -1
 * where the JVM cannot tell. {@code seconds} is the timed phase (default 3). System properties:
 * {@code bench.warmup} seconds of warm-up (default 2), {@code bench.rounds} rounds in the timed
 * phase (default: one per half second, at least 5), {@code bench.threads} threads that run the
 * workload side by side (unset: the main thread alone; N: N pool threads, each batch split in N
 * equal parts, one per thread, and ns_per_op is the wall time of the batches over all their
 * ops, so 1e9/ns_per_op is the throughput of all threads together). tests/bench/run_bench.py
 * runs this with and without the agent and compares.
 *
 * <p>To add a workload: write a small class implementing {@link Workload} and register it in
 * {@link #WORKLOADS}; its {@code run(n)} does n operations, the unit ns_per_op counts.
 */
public final class Bench {

    /** A benchmark workload; one instance per JVM. */
    interface Workload {
        /** Once before the warm-up: load libraries, build inputs. */
        default void setUp() throws Exception {
        }

        /** Does {@code ops} operations; returns a value that depends on them, so the JIT cannot
         * drop the work. Called many times with the same ops, so that C2 compiles it. */
        long run(int ops) throws Throwable;

        /** Once after the timed phase. */
        default void tearDown() throws Exception {
        }
    }

    /** Workload name to factory, in the order usage lists them. */
    static final Map<String, Supplier<Workload>> WORKLOADS = new LinkedHashMap<>();

    static {
        WORKLOADS.put("unsafe-churn", UnsafeChurn::new);
        WORKLOADS.put("direct-buffers", DirectBuffers::new);
        WORKLOADS.put("jni-malloc-churn", MallocChurn::new);
        WORKLOADS.put("jni-pool-churn", () -> new PoolChurn(true));
        WORKLOADS.put("jni-pool-bare", () -> new PoolChurn(false));
        WORKLOADS.put("zstd-streams", ZstdStreams::new);
        WORKLOADS.put("zstd-leak", ZstdLeak::new);
        WORKLOADS.put("gzip-pages", GzipPages::new);
    }

    /** malloc/free pairs of 64 B to 64 KiB inside a JNI library (libbenchnative.so); one op =
     * one pair. Calls of 1,000 pairs each, so the JNI transition is not what is measured. */
    static final class MallocChurn implements Workload {
        static native long churn(int ops, long seed);

        @Override
        public void setUp() {
            System.loadLibrary("benchnative");
        }

        @Override
        public long run(int ops) {
            long sum = 0;
            for (int done = 0; done < ops; done += 1000) {
                sum += churn(Math.min(1000, ops - done), done + 1);
            }
            return sum;
        }
    }

    /** Blocks of 64 B to 64 KiB carved from a static arena inside libbenchnative.so, each
     * reported to the pool API (leakbridge.h) as it is handed out and given back (report), or
     * not reported at all (the same loop: what the calls cost is the difference). One op = one
     * block; calls of 1,000 blocks each. */
    static final class PoolChurn implements Workload {
        static native long churn(int ops, long seed, boolean report);

        private final boolean report;

        PoolChurn(boolean report) {
            this.report = report;
        }

        @Override
        public void setUp() {
            System.loadLibrary("benchnative");
        }

        @Override
        public long run(int ops) {
            long sum = 0;
            for (int done = 0; done < ops; done += 1000) {
                sum += churn(Math.min(1000, ops - done), done + 1, report);
            }
            return sum;
        }
    }

    /** zstd-jni streams as Parquet uses them: create a ZstdInputStreamNoFinalizer over a
     * compressed 64 KiB page, read it all, close it. One op = one stream. */
    static final class ZstdStreams implements Workload {
        private byte[] compressed;
        private final byte[] out = new byte[16 * 1024];

        @Override
        public void setUp() {
            compressed = page();
        }

        /** The compressed 64 KiB page every stream reads. */
        byte[] page() {
            byte[] page = new byte[64 * 1024];
            for (int i = 0; i < page.length; i++) {
                page[i] = (byte) ((i * 31) % 251 ^ (i >> 7));
            }
            return com.github.luben.zstd.Zstd.compress(page);
        }

        @Override
        public long run(int ops) throws java.io.IOException {
            long sum = 0;
            for (int i = 0; i < ops; i++) {
                try (java.io.InputStream in = new com.github.luben.zstd.ZstdInputStreamNoFinalizer(
                        new java.io.ByteArrayInputStream(compressed))) {
                    for (int n; (n = in.read(out)) > 0;) {
                        sum += n + out[n - 1];
                    }
                }
            }
            return sum;
        }
    }

    /** zstd-streams with the field leak: every LEAK_EVERY-th stream is dropped without close(),
     * so its native ZSTD_DStream (about 95 KiB, malloc'd by libzstd under
     * ZstdInputStreamNoFinalizer's constructor) is never freed. What run_bench.py --leak-check
     * asks each tool to find. */
    static final class ZstdLeak implements Workload {
        static final int LEAK_EVERY = 64;
        private byte[] compressed;
        private final byte[] out = new byte[16 * 1024];
        private long opened;

        @Override
        public void setUp() {
            compressed = new ZstdStreams().page();
        }

        @Override
        public long run(int ops) throws java.io.IOException {
            long sum = 0;
            for (int i = 0; i < ops; i++) {
                sum += ZstdRead.readAll(compressed, out, ++opened % LEAK_EVERY != 0);
            }
            return sum;
        }
    }

    /** zstd-leak's stream, in a class of its own so that Bench links without zstd-jni's jar. */
    static final class ZstdRead {
        /** Reads a stream over compressed to the end and closes it, or leaks it (close false). */
        static long readAll(byte[] compressed, byte[] out, boolean close) throws java.io.IOException {
            java.io.InputStream in = openLeaky(compressed);
            long sum = 0;
            for (int n; (n = in.read(out)) > 0;) {
                sum += n + out[n - 1];
            }
            if (close) {
                in.close();
            }
            return sum;
        }

        /** The allocation site the tools should name, a frame of its own. */
        private static java.io.InputStream openLeaky(byte[] compressed) throws java.io.IOException {
            return new com.github.luben.zstd.ZstdInputStreamNoFinalizer(
                    new java.io.ByteArrayInputStream(compressed));
        }
    }

    /** The JDK's own zlib as a GZIP codec uses it (Parquet, HTTP bodies): a GZIPInputStream over
     * an in-memory gzip of a 64 KiB page, read fully, closed. One op = one page: an Inflater
     * each, whose zlib state and window libzip allocates and frees (malloc from Java through
     * the JDK's native libraries, which the agent tracks since issue 13). */
    static final class GzipPages implements Workload {
        private byte[] compressed;
        private final byte[] out = new byte[16 * 1024];

        @Override
        public void setUp() throws java.io.IOException {
            byte[] page = new byte[64 * 1024];
            for (int i = 0; i < page.length; i++) {
                page[i] = (byte) ((i * 31) % 251 ^ (i >> 7));
            }
            java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
            try (java.util.zip.GZIPOutputStream gz = new java.util.zip.GZIPOutputStream(bytes)) {
                gz.write(page);
            }
            compressed = bytes.toByteArray();
        }

        @Override
        public long run(int ops) throws java.io.IOException {
            long sum = 0;
            for (int i = 0; i < ops; i++) {
                try (java.io.InputStream in = new java.util.zip.GZIPInputStream(
                        new java.io.ByteArrayInputStream(compressed))) {
                    for (int n; (n = in.read(out)) > 0;) {
                        sum += n + out[n - 1];
                    }
                }
            }
            return sum;
        }
    }

    /** A workload run by N threads side by side (bench.threads): one instance per thread, and
     * each run(ops) splits ops in N parts, one per thread, and returns when all are done. */
    static final class Threaded implements Workload {
        private final Workload[] parts;
        private final java.util.concurrent.ExecutorService pool;

        Threaded(Supplier<Workload> factory, int threads) {
            parts = new Workload[threads];
            for (int i = 0; i < threads; i++) {
                parts[i] = factory.get();
            }
            pool = java.util.concurrent.Executors.newFixedThreadPool(threads, r -> {
                Thread t = new Thread(r, "bench-worker");
                t.setDaemon(true);
                return t;
            });
        }

        @Override
        public void setUp() throws Exception {
            for (Workload w : parts) {
                w.setUp();
            }
        }

        @Override
        public long run(int ops) throws Throwable {
            java.util.List<java.util.concurrent.Future<Long>> done = new java.util.ArrayList<>();
            for (int i = 0; i < parts.length; i++) {
                Workload w = parts[i];
                int mine = ops / parts.length + (i < ops % parts.length ? 1 : 0);
                done.add(pool.submit(() -> {
                    try {
                        return w.run(mine);
                    } catch (Exception | Error e) {
                        throw e;
                    } catch (Throwable t) {
                        throw new IllegalStateException(t);
                    }
                }));
            }
            long sum = 0;
            for (java.util.concurrent.Future<Long> f : done) {
                try {
                    sum += f.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    throw e.getCause();
                }
            }
            return sum;
        }

        @Override
        public void tearDown() throws Exception {
            for (Workload w : parts) {
                w.tearDown();
            }
            pool.shutdownNow();
        }
    }

    /** Tiny Unsafe allocate/free pairs, 16..64 bytes; one op = one pair. */
    static final class UnsafeChurn implements Workload {
        private static final int[] SIZES = new int[64];

        static {
            for (int i = 0; i < SIZES.length; i++) {
                SIZES[i] = 16 + (i % 7) * 8; // 16, 24, .. 64
            }
        }

        @Override
        public long run(int ops) {
            long sum = 0;
            for (int i = 0; i < ops; i++) {
                long a = Memory.allocate(SIZES[i & 63]);
                Memory.putLong(a, i);
                sum += Memory.getLong(a);
                Memory.free(a);
            }
            return sum;
        }
    }

    /** ByteBuffer.allocateDirect(4096), filled with a long every 512 bytes, then dropped: the GC
     * and the buffer's Cleaner free it. One op = one buffer. Run with a small young generation
     * so that it collects regularly. */
    static final class DirectBuffers implements Workload {
        static final int SIZE = 4096;

        @Override
        public long run(int ops) {
            long sum = 0;
            for (int i = 0; i < ops; i++) {
                ByteBuffer b = ByteBuffer.allocateDirect(SIZE);
                for (int off = 0; off < SIZE; off += 512) {
                    b.putLong(off, i + off);
                }
                sum += b.getLong(SIZE - 512);
            }
            return sum;
        }
    }

    /** sun.misc.Unsafe's memory methods, through method handles bound to theUnsafe so that this
     * compiles without warnings; static final handles are constants to the JIT, so each call
     * costs what a direct call would. They end in jdk.internal.misc.Unsafe's natives. */
    static final class Memory {
        private static final MethodHandle ALLOCATE, FREE, PUT_LONG, GET_LONG;

        static {
            try {
                Class<?> k = Class.forName("sun.misc.Unsafe");
                Field f = k.getDeclaredField("theUnsafe");
                f.setAccessible(true);
                Object u = f.get(null);
                MethodHandles.Lookup l = MethodHandles.lookup();
                ALLOCATE = l.findVirtual(k, "allocateMemory",
                        MethodType.methodType(long.class, long.class)).bindTo(u);
                FREE = l.findVirtual(k, "freeMemory",
                        MethodType.methodType(void.class, long.class)).bindTo(u);
                PUT_LONG = l.findVirtual(k, "putLong",
                        MethodType.methodType(void.class, long.class, long.class)).bindTo(u);
                GET_LONG = l.findVirtual(k, "getLong",
                        MethodType.methodType(long.class, long.class)).bindTo(u);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        static long allocate(long bytes) {
            try {
                return (long) ALLOCATE.invokeExact(bytes);
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
        }

        static void free(long address) {
            try {
                FREE.invokeExact(address);
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
        }

        static void putLong(long address, long value) {
            try {
                PUT_LONG.invokeExact(address, value);
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
        }

        static long getLong(long address) {
            try {
                return (long) GET_LONG.invokeExact(address);
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
        }
    }

    // ---- runner ----

    /** Target length of one batch, the unit between clock reads. */
    private static final long BATCH_NS = 5_000_000L;
    private static final int MAX_BATCH = 1 << 24;

    static volatile long sink;

    private static void usage() {
        System.err.println("usage: java [-Dbench.warmup=SECONDS] [-Dbench.rounds=N] [-Dbench.threads=N]"
                + " Bench WORKLOAD"
                + " [SECONDS]\nworkloads: " + String.join(", ", WORKLOADS.keySet()));
        System.exit(2);
    }

    public static void main(String[] args) throws Throwable {
        if (args.length < 1 || args.length > 2 || !WORKLOADS.containsKey(args[0])) {
            usage();
        }
        String name = args[0];
        double seconds = 0, warmup = -1;
        int rounds = 0, threads = 0;
        try {
            seconds = args.length > 1 ? Double.parseDouble(args[1]) : 3.0;
            warmup = Double.parseDouble(System.getProperty("bench.warmup", "2"));
            rounds = Integer.parseInt(System.getProperty("bench.rounds",
                    String.valueOf(Math.max(5, Math.round(seconds * 2)))));
            threads = Integer.parseInt(System.getProperty("bench.threads", "1"));
        } catch (NumberFormatException e) {
            usage();
        }
        if (!(seconds > 0) || !(warmup >= 0) || rounds < 1 || threads < 1) {
            usage();
        }

        CpuClock cpu = new CpuClock();
        // With bench.threads, even 1, the workload runs on pool threads: the same stack
        // (deeper than main's) at every thread count, so that only the count differs.
        Workload w = System.getProperty("bench.threads") == null ? WORKLOADS.get(name).get()
                : new Threaded(WORKLOADS.get(name), threads);
        w.setUp();

        // Warm-up: batches sized to take about BATCH_NS each, so the clock is read rarely and
        // run() is called often enough for C2 to compile it as well as its loop.
        int batch = 64;
        long warmupEnd = System.nanoTime() + (long) (warmup * 1e9);
        do {
            long t0 = System.nanoTime();
            sink += w.run(batch);
            batch = resize(batch, System.nanoTime() - t0);
        } while (System.nanoTime() < warmupEnd);

        // Timed phase: rounds of equal length, each a whole number of batches.
        long roundNs = (long) (seconds * 1e9 / rounds);
        double[] nsPerOp = new double[rounds];
        long totalOps = 0;
        long cpu0 = cpu.nanos();
        for (int r = 0; r < rounds; r++) {
            long ops = 0;
            long t0 = System.nanoTime();
            long end = t0 + roundNs;
            long now;
            do {
                sink += w.run(batch);
                ops += batch;
                now = System.nanoTime();
            } while (now < end);
            nsPerOp[r] = (double) (now - t0) / ops;
            totalOps += ops;
        }
        long cpu1 = cpu.nanos();
        w.tearDown();

        double[] sorted = nsPerOp.clone();
        Arrays.sort(sorted);
        double median = rounds % 2 == 1 ? sorted[rounds / 2]
                : (sorted[rounds / 2 - 1] + sorted[rounds / 2]) / 2;
        System.out.printf(java.util.Locale.ROOT,
                "RESULT workload=%s ns_per_op=%.3f ops=%d rounds=%d round_min=%.3f round_max=%.3f"
                        + " cpu_ns_per_op=%.3f%n",
                name, median, totalOps, rounds, sorted[0], sorted[rounds - 1],
                cpu0 < 0 || cpu1 < 0 ? -1.0 : (double) (cpu1 - cpu0) / totalOps);
    }

    /** CPU time of the whole process, from the JDK's own OperatingSystemMXBean; -1 without. */
    static final class CpuClock {
        private final com.sun.management.OperatingSystemMXBean os;

        CpuClock() {
            java.lang.management.OperatingSystemMXBean b = ManagementFactory.getOperatingSystemMXBean();
            os = b instanceof com.sun.management.OperatingSystemMXBean
                    ? (com.sun.management.OperatingSystemMXBean) b : null;
            nanos(); // load what the first real reading needs now, not in the timed phase
        }

        long nanos() {
            return os == null ? -1 : os.getProcessCpuTime();
        }
    }

    /** Next batch size, aiming at BATCH_NS per batch from how long the last one took. */
    private static int resize(int batch, long tookNs) {
        if (tookNs <= 0) {
            return Math.min(MAX_BATCH, batch * 2);
        }
        double want = (double) batch * BATCH_NS / tookNs;
        // At most double or halve at a time: one slow batch (a GC) should not swing it.
        want = Math.max(batch / 2.0, Math.min(batch * 2.0, want));
        return (int) Math.max(1, Math.min(MAX_BATCH, want));
    }
}
