/**
 * T Java threads each run R rounds of libleakchurn.so's churn: the whole malloc family,
 * anonymous mmap/munmap and cross-library frees, everything freed. Args: threads rounds.
 * Prints "allocations=K", the number of blocks the library allocated in all threads.
 */
public class NativeChurn {
    static {
        System.loadLibrary("leakchurn");
    }

    static native long churn(int rounds);

    static long churnNative(int rounds) {
        return churn(rounds);
    }

    public static void main(String[] args) throws InterruptedException {
        int threads = Integer.parseInt(args[0]);
        int rounds = Integer.parseInt(args[1]);
        long[] made = new long[threads];
        Thread[] workers = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            final int slot = t;
            workers[t] = new Thread(() -> made[slot] = churnNative(rounds), "churn-" + t);
            workers[t].start();
        }
        long total = 0;
        for (int t = 0; t < threads; t++) {
            workers[t].join();
            total += made[t];
        }
        System.out.println("allocations=" + total);
    }
}
