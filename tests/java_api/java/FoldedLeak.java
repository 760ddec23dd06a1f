import io.leakbridge.Kind;
import io.leakbridge.LeakBridge;
import io.leakbridge.LiveOptions;
import io.leakbridge.Mark;
import io.leakbridge.Site;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * A leak at more distinct stacks than the agent keeps apart (run it with a small max_sites):
 * after a mark, 200 direct buffers of 8 KiB, each kept at a Java stack of its own (each of 8
 * bits of its number picks a() or b() at one level). Prints the direct-buffer sites live since
 * the mark, "site=BYTES COUNT OVERFLOW", their total, and their description.
 */
public class FoldedLeak {
    static final List<ByteBuffer> KEPT = new ArrayList<>();
    static final int LEVELS = 8;

    static void descend(int path, int level) {
        if (level == LEVELS)
            KEPT.add(ByteBuffer.allocateDirect(8192));
        else if ((path >> level & 1) == 0)
            a(path, level + 1);
        else
            b(path, level + 1);
    }

    static void a(int path, int level) {
        descend(path, level);
    }

    static void b(int path, int level) {
        descend(path, level);
    }

    public static void main(String[] args) {
        Mark mark = LeakBridge.mark();
        for (int i = 0; i < 200; i++)
            descend(i, 0);
        List<Site> sites = LeakBridge.liveSince(mark, LiveOptions.defaults().kinds(Kind.DIRECT_BUFFER));
        for (Site s : sites)
            System.out.println("site=" + s.bytes() + " " + s.count() + " " + s.isOverflow());
        System.out.println("bytes=" + LeakBridge.totalBytes(sites));
        System.out.println("describe.begin\n" + LeakBridge.describe(sites) + "\ndescribe.end");
    }
}
