import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

/**
 * The zstd-jni field leak: ZstdInputStreamNoFinalizer never closed keeps a ZSTD_DStream
 * (about 96 KB, malloc'd by system libzstd.so.1) alive. Needs /usr/share/java/zstd-jni.jar on
 * the class path. Args: mode count [keep]:
 *   leak N       open N streams over a small compressed payload, read a little from each,
 *                keep them all reachable (openStreams)
 *   close N [K]  the same, but close each (closeStreams); then keep K streams (openStreams)
 * Prints "jemalloc=true" if libjemalloc is mapped in the process (LD_PRELOAD worked).
 */
public class ZstdLeak {
    static final List<InputStream> KEPT = new ArrayList<>();
    static byte[] payload;

    static void setUp() {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 200; i++)
            text.append("leakbridge zstd payload line ").append(i).append('\n');
        payload = Zstd.compress(text.toString().getBytes(StandardCharsets.UTF_8));
    }

    static InputStream openAndRead() throws Exception {
        InputStream in = new ZstdInputStreamNoFinalizer(new ByteArrayInputStream(payload));
        byte[] buf = new byte[64];
        if (in.read(buf) <= 0)
            throw new IllegalStateException("nothing decompressed");
        return in;
    }

    static void openStreams(int count) throws Exception {
        for (int i = 0; i < count; i++)
            KEPT.add(openAndRead());
    }

    static void closeStreams(int count) throws Exception {
        for (int i = 0; i < count; i++)
            openAndRead().close();
    }

    public static void main(String[] args) throws Exception {
        setUp();
        int count = Integer.parseInt(args[1]);
        switch (args[0]) {
            case "leak":
                openStreams(count);
                break;
            case "close":
                closeStreams(count);
                if (args.length > 2)
                    openStreams(Integer.parseInt(args[2]));
                break;
            default:
                throw new IllegalArgumentException("mode leak or close, not " + args[0]);
        }
        System.out.println(args[0] + " " + count + ", kept " + KEPT.size());
        boolean jemalloc = Files.readAllLines(Paths.get("/proc/self/maps")).stream()
                .anyMatch(line -> line.contains("libjemalloc"));
        System.out.println("jemalloc=" + jemalloc);
    }
}
