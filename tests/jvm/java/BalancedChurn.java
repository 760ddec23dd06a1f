import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;

/** Threads that allocate and free in balance: Unsafe pairs and direct buffers left to the GC.
 * Args: threads pairsPerThread buffersPerThread. Exits only after the Cleaners freed them. */
public class BalancedChurn {
    static volatile long sink;

    static void unsafePairs(int pairs) {
        for (int i = 0; i < pairs; i++) {
            long a = TestUnsafe.allocateMemory(8 + (i % 61));
            TestUnsafe.putByte(a, (byte) i);
            sink += TestUnsafe.getByte(a);
            TestUnsafe.freeMemory(a);
        }
    }

    static void droppedBuffers(int buffers) {
        for (int i = 0; i < buffers; i++) {
            ByteBuffer b = ByteBuffer.allocateDirect(4096);
            b.put(0, (byte) i);
            sink += b.get(0);
        }
    }

    static long directUsed() {
        for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if (pool.getName().equals("direct")) {
                return pool.getMemoryUsed();
            }
        }
        return -1;
    }

    public static void main(String[] args) throws Exception {
        int threads = Integer.parseInt(args[0]);
        int pairs = Integer.parseInt(args[1]);
        int buffers = Integer.parseInt(args[2]);
        long before = directUsed();
        Thread[] ts = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            ts[t] = new Thread(() -> {
                unsafePairs(pairs);
                droppedBuffers(buffers);
            }, "churn-" + t);
            ts[t].start();
        }
        for (Thread t : ts) {
            t.join();
        }
        // Direct buffers are freed by their Cleaner after a GC finds them unreachable.
        for (int i = 0; i < 100 && directUsed() > before; i++) {
            System.gc();
            Thread.sleep(50);
        }
        System.out.println("direct memory used: before " + before + ", after " + directUsed());
    }
}
