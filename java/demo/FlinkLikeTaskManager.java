import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import io.leakbridge.LeakBridge;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * A TaskManager of field report 000, in small: one JVM runs "source tasks" one after another,
 * each reading zstd-compressed pages through a decompressor that forgets to close its stream
 * (parquet-mr's HeapBytesDecompressor before PR 982). After each task it asks leakbridge for a
 * report (LeakBridge.dump, after a forced GC), so that `leakbridge diff` between two reports
 * shows what each task left behind, and where.
 *
 * <pre>
 * FlinkLikeTaskManager [--tasks N] [--pages N] [--dumps DIR] [--idle SECONDS]
 * </pre>
 * --dumps: where the per-task reports go (task-1.json, ...); without it, the agent's output=
 * pattern. --idle: after the last task, print "idle" and wait that long (for jcmd) before exit.
 */
public class FlinkLikeTaskManager {
    public static void main(String[] args) throws Exception {
        int tasks = 3, pages = 200, idle = 0;
        Path dumps = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--tasks": tasks = Integer.parseInt(args[++i]); break;
                case "--pages": pages = Integer.parseInt(args[++i]); break;
                case "--dumps": dumps = Paths.get(args[++i]); break;
                case "--idle": idle = Integer.parseInt(args[++i]); break;
                default: throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if (!LeakBridge.isActive())
            System.out.println("leakbridge agent not loaded: the tasks run, no reports are written");
        if (dumps != null)
            Files.createDirectories(dumps);
        byte[] page = ParquetPages.page(64 * 1024);
        byte[] compressed = Zstd.compress(page);
        for (int t = 1; t <= tasks; t++) {
            long checksum = new SourceTask(t, compressed, page.length, pages).run();
            Path report = LeakBridge.dump(dumps == null ? null : dumps.resolve("task-" + t + ".json"), true);
            System.out.println("task " + t + " read " + pages + " pages (checksum " + checksum + "); report "
                    + (report == null ? "none" : report));
        }
        if (idle > 0) {
            System.out.println("idle");
            System.out.flush();
            Thread.sleep(idle * 1000L);
        }
    }
}

/** A source task: reads its pages, one decompressor call per page, as a Parquet reader does. */
class SourceTask {
    private final int id, pageSize, pages;
    private final byte[] compressed;
    private final HeapBytesDecompressor decompressor = new HeapBytesDecompressor();

    SourceTask(int id, byte[] compressed, int pageSize, int pages) {
        this.id = id;
        this.compressed = compressed;
        this.pageSize = pageSize;
        this.pages = pages;
    }

    long run() throws IOException {
        long sum = id;
        for (int p = 0; p < pages; p++) {
            byte[] data = decompressor.decompress(compressed, pageSize);
            sum = sum * 31 + data[p % data.length];
        }
        return sum;
    }
}

/** The bug of field report 000: the zstd stream is never closed, so its ZSTD_DStream leaks. */
class HeapBytesDecompressor {
    byte[] decompress(byte[] input, int uncompressedSize) throws IOException {
        InputStream in = new ZstdInputStreamNoFinalizer(new ByteArrayInputStream(input));
        byte[] out = new byte[uncompressedSize];
        int n = 0;
        while (n < uncompressedSize) {
            int r = in.read(out, n, uncompressedSize - n);
            if (r < 0)
                break;
            n += r;
        }
        // BUG: in.close() is missing (parquet-mr PR 982 added it).
        return out;
    }
}

/** Page contents that compress well, as column chunks do. */
class ParquetPages {
    static byte[] page(int size) {
        byte[] page = new byte[size];
        for (int i = 0; i < size; i++)
            page[i] = (byte) ("order_id,customer,amount\n".charAt(i % 25) + (i / 4096) % 3);
        return page;
    }
}
