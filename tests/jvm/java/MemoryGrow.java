import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * Grows one kind of memory at a time, for the memory section's tests (tests/jvm/test_memory_*):
 * reads one command a line from stdin and answers "ok COMMAND" when it is done:
 *   heap MB              allocate MB arrays of 1 MiB and keep them
 *   native N             malloc N blocks of 1237 bytes in libleakkeep.so and keep them
 *   threads N            start N threads that park until quit
 *   fragment T N EVERY   T native threads each malloc N blocks of 4 KiB in libleakarena.so and
 *                        free all but every EVERY-th
 *   rss                  print "rss=BYTES", VmRSS from /proc/self/status, read now
 *   quit                 exit 0
 * Prints "pid=PID" first.
 */
public class MemoryGrow {
    static final List<byte[]> KEPT = new ArrayList<>();
    static volatile boolean quitting;

    static native int fragment(int threads, int blocks, int keepEvery);

    static void heap(int mb) {
        for (int i = 0; i < mb; i++) {
            byte[] b = new byte[1 << 20];
            for (int j = 0; j < b.length; j += 4096)
                b[j] = 1;
            KEPT.add(b);
        }
    }

    static void threads(int n) {
        for (int i = 0; i < n; i++) {
            Thread t = new Thread(() -> {
                while (!quitting)
                    LockSupport.park();
            }, "parked-" + i);
            t.setDaemon(true);
            t.start();
        }
    }

    static long vmRss() throws Exception {
        for (String line : Files.readAllLines(Paths.get("/proc/self/status")))
            if (line.startsWith("VmRSS:"))
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        throw new IllegalStateException("no VmRSS");
    }

    public static void main(String[] args) throws Exception {
        System.out.println("pid=" + ProcessHandle.current().pid());
        System.out.flush();
        java.io.BufferedReader in =
            new java.io.BufferedReader(new java.io.InputStreamReader(System.in));
        for (String line; (line = in.readLine()) != null;) {
            String[] w = line.trim().split("\\s+");
            switch (w[0]) {
                case "heap":
                    heap(Integer.parseInt(w[1]));
                    break;
                case "native":
                    System.out.println("kept " + NativeKeep.keep(Integer.parseInt(w[1])));
                    break;
                case "threads":
                    threads(Integer.parseInt(w[1]));
                    break;
                case "fragment":
                    System.loadLibrary("leakarena");
                    System.out.println("kept " + fragment(Integer.parseInt(w[1]),
                        Integer.parseInt(w[2]), Integer.parseInt(w[3])));
                    break;
                case "rss":
                    System.out.println("rss=" + vmRss());
                    break;
                case "quit":
                    quitting = true;
                    System.out.println("ok quit");
                    return;
                default:
                    System.out.println("unknown command " + line);
                    System.exit(2);
            }
            System.out.println("ok " + w[0]);
            System.out.flush();
        }
    }
}
