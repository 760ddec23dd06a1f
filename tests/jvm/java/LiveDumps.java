import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdInputStream;
import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A JVM the tests drive while it runs, to take dumps with jcmd between steps. Reads one
 * command a line from stdin and answers "ok COMMAND" when it is done:
 *   zstd-keep N       open N ZstdInputStreamNoFinalizer and keep them (keepStreams)
 *   zstd-drop N       open N ZstdInputStream (with a finalizer) and drop them unclosed
 *                     (dropStreams)
 *   dbb-keep N SIZE   allocate N direct buffers of SIZE bytes and keep them (keepBuffers)
 *   dbb-drop N SIZE   allocate N direct buffers and drop them (dropBuffers)
 *   churn T           start T threads allocating and freeing direct buffers, Unsafe-style
 *                     memory through DirectByteBuffer, and zstd streams, until "stop"
 *   stop              stop the churn threads and wait for them
 *   quit              exit 0
 * Needs /usr/share/java/zstd-jni.jar on the class path. Prints "pid=PID" first.
 */
public class LiveDumps {
    static final List<Object> KEPT = new ArrayList<>();
    static byte[] payload;
    static final AtomicBoolean running = new AtomicBoolean();
    static final List<Thread> churners = new ArrayList<>();

    static void read(InputStream in) throws Exception {
        byte[] buf = new byte[64];
        if (in.read(buf) <= 0)
            throw new IllegalStateException("nothing decompressed");
    }

    static void keepStreams(int n) throws Exception {
        for (int i = 0; i < n; i++) {
            InputStream in = new ZstdInputStreamNoFinalizer(new ByteArrayInputStream(payload));
            read(in);
            KEPT.add(in);
        }
    }

    static void dropStreams(int n) throws Exception {
        for (int i = 0; i < n; i++)
            read(new ZstdInputStream(new ByteArrayInputStream(payload)));
    }

    static void keepBuffers(int n, int size) {
        for (int i = 0; i < n; i++)
            KEPT.add(ByteBuffer.allocateDirect(size));
    }

    static long dropBuffers(int n, int size) {
        long sum = 0;
        for (int i = 0; i < n; i++)
            sum += ByteBuffer.allocateDirect(size).capacity();
        return sum;
    }

    static void churn() {
        try {
            while (running.get()) {
                List<ByteBuffer> held = new ArrayList<>();
                for (int i = 0; i < 16; i++)
                    held.add(ByteBuffer.allocateDirect(1024 * (1 + i)));
                held.clear();
                try (InputStream in = new ZstdInputStreamNoFinalizer(
                         new ByteArrayInputStream(payload))) {
                    read(in);
                }
            }
        } catch (Exception e) {
            e.printStackTrace();
            System.exit(3);
        }
    }

    public static void main(String[] args) throws Exception {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 200; i++)
            text.append("leakbridge live dumps payload ").append(i).append('\n');
        payload = Zstd.compress(text.toString().getBytes(StandardCharsets.UTF_8));
        System.out.println("pid=" + ProcessHandle.current().pid());
        System.out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        for (String line; (line = in.readLine()) != null;) {
            String[] w = line.trim().split("\\s+");
            switch (w[0]) {
                case "zstd-keep":
                    keepStreams(Integer.parseInt(w[1]));
                    break;
                case "zstd-drop":
                    dropStreams(Integer.parseInt(w[1]));
                    break;
                case "dbb-keep":
                    keepBuffers(Integer.parseInt(w[1]), Integer.parseInt(w[2]));
                    break;
                case "dbb-drop":
                    dropBuffers(Integer.parseInt(w[1]), Integer.parseInt(w[2]));
                    break;
                case "churn":
                    running.set(true);
                    for (int i = 0; i < Integer.parseInt(w[1]); i++) {
                        Thread t = new Thread(LiveDumps::churn, "churn-" + i);
                        t.start();
                        churners.add(t);
                    }
                    break;
                case "stop":
                    running.set(false);
                    for (Thread t : churners)
                        t.join();
                    churners.clear();
                    break;
                case "quit":
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
