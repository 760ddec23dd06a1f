import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The leak of field report 000, in small: a reader decompresses zstd pages through a stream it
 * never closes (parquet-mr's HeapBytesDecompressor before PR 982), and keeps a direct buffer
 * per page in a cache that nobody trims. The Java heap stays small; native memory grows.
 */
public class ParquetLikeReader {
    /** What the reader keeps per page, as the real one kept the decompressor's input stream. */
    static final List<Object> PAGE_STATE = new ArrayList<>();

    static byte[] decompressPage(byte[] compressed, int size) throws IOException {
        // BUG: the stream is never closed, so its ~96 KB zstd context stays allocated.
        InputStream in = new ZstdInputStreamNoFinalizer(new ByteArrayInputStream(compressed));
        PAGE_STATE.add(in);
        byte[] out = new byte[size];
        int n = 0;
        while (n < size) {
            int r = in.read(out, n, size - n);
            if (r < 0) {
                break;
            }
            n += r;
        }
        return out;
    }

    static void cachePage(byte[] page) {
        ByteBuffer buf = ByteBuffer.allocateDirect(page.length);
        buf.put(page).flip();
        PAGE_STATE.add(buf);
    }

    public static void main(String[] args) throws IOException {
        int pages = args.length > 0 ? Integer.parseInt(args[0]) : 3000;
        byte[] page = new byte[16 * 1024];
        for (int i = 0; i < page.length; i++) {
            page[i] = (byte) (i % 97);
        }
        byte[] compressed = Zstd.compress(page);
        for (int i = 0; i < pages; i++) {
            cachePage(decompressPage(compressed, page.length));
        }
        System.out.println("read " + pages + " pages; heap used "
                + (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory()) / (1024 * 1024) + " MB");
    }
}
