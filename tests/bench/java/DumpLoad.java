import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Load for the dump benchmark (dump_bench.py): SITES distinct allocation stacks holding
 * BLOCKS blocks each, kept live, while THREADS threads allocate and free Unsafe memory and
 * record the longest single allocate+free they saw. Commands on stdin: "mark" starts a new
 * window, "read" prints "RESULT max_us=... ops=..." for the window since the last mark.
 */
public final class DumpLoad {
    static final MethodHandle ALLOCATE = unsafe("allocateMemory", long.class, long.class);
    static final MethodHandle FREE = unsafe("freeMemory", void.class, long.class);
    static int levels = 14; // 2^14 distinct paths, more when asked for more sites
    static final AtomicLong maxNanos = new AtomicLong();
    static final AtomicLong ops = new AtomicLong();
    static volatile boolean running = true;
    static long[] kept;
    static int next;

    /* sun.misc.Unsafe through method handles: javac -Werror rejects naming it. */
    static MethodHandle unsafe(String name, Class<?> result, Class<?> arg) {
        try {
            Class<?> k = Class.forName("sun.misc.Unsafe");
            Field f = k.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            return MethodHandles.lookup()
                    .findVirtual(k, name, MethodType.methodType(result, arg))
                    .bindTo(f.get(null));
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    /* Each bit of path picks a() or b() at one level: a distinct Java stack per path. */
    static void descend(int path, int level, int blocks) throws Throwable {
        if (level == levels) {
            for (int i = 0; i < blocks; i++)
                kept[next++] = (long) ALLOCATE.invokeExact(16L);
        } else if ((path >> level & 1) == 0) {
            a(path, level + 1, blocks);
        } else {
            b(path, level + 1, blocks);
        }
    }

    static void a(int path, int level, int blocks) throws Throwable {
        descend(path, level, blocks);
    }

    static void b(int path, int level, int blocks) throws Throwable {
        descend(path, level, blocks);
    }

    static void churn() {
        try {
            churnUntilStopped();
        } catch (Throwable e) {
            e.printStackTrace();
            System.exit(3);
        }
    }

    static void churnUntilStopped() throws Throwable {
        while (running) {
            long t0 = System.nanoTime();
            long p = (long) ALLOCATE.invokeExact(64L);
            FREE.invokeExact(p);
            long t = System.nanoTime() - t0;
            ops.incrementAndGet();
            for (long m = maxNanos.get(); t > m && !maxNanos.compareAndSet(m, t); m = maxNanos.get())
                ;
        }
    }

    public static void main(String[] args) throws Throwable {
        int sites = Integer.parseInt(args[0]), blocks = Integer.parseInt(args[1]);
        int threads = Integer.parseInt(args[2]);
        while ((1 << levels) < sites)
            levels++;
        kept = new long[Math.multiplyExact(sites, blocks)];
        for (int s = 0; s < sites; s++)
            descend(s, 0, blocks);
        for (int i = 0; i < threads; i++) {
            Thread t = new Thread(DumpLoad::churn, "churn-" + i);
            t.setDaemon(true);
            t.start();
        }
        System.out.println("READY pid=" + ProcessHandle.current().pid() + " blocks=" + next);
        System.out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        for (String line; (line = in.readLine()) != null;) {
            if (line.equals("mark")) {
                maxNanos.set(0);
                ops.set(0);
            } else if (line.equals("read")) {
                System.out.println("RESULT max_us=" + maxNanos.get() / 1000 + " ops=" + ops.get());
            } else if (line.equals("quit")) {
                break;
            }
            System.out.flush();
        }
        running = false;
        for (long p : kept)
            FREE.invokeExact(p);
    }
}
