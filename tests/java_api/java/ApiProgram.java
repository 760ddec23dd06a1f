import io.leakbridge.Kind;
import io.leakbridge.LeakBridge;
import io.leakbridge.LiveOptions;
import io.leakbridge.Mark;
import io.leakbridge.Site;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

/**
 * The Java API, with or without the agent. Prints key=value lines for the test to check:
 * active, sample, the sites live since a mark (before and after a forced GC) and the path of an
 * API dump. Args: report path for LeakBridge.dump(Path).
 */
public class ApiProgram {
    static final List<ByteBuffer> KEPT = new ArrayList<>();

    static void keepBuffers(int n, int size) {
        for (int i = 0; i < n; i++)
            KEPT.add(ByteBuffer.allocateDirect(size));
    }

    static void dropBuffer(int size) {
        ByteBuffer.allocateDirect(size).put((byte) 1);
    }

    static void print(String key, List<Site> sites) {
        System.out.println(key + ".sites=" + sites.size());
        System.out.println(key + ".bytes=" + LeakBridge.totalBytes(sites));
        for (Site s : sites) {
            System.out.println(key + ".site=" + s.kind() + " " + s.bytes() + " " + s.count() + " "
                    + s.hasJavaFrame("ApiProgram", "keepBuffers") + " "
                    + s.hasJavaFrame("ApiProgram", "dropBuffer"));
        }
    }

    public static void main(String[] args) throws Exception {
        System.out.println("active=" + LeakBridge.isActive());
        System.out.println("sample=" + LeakBridge.sampleMean());
        keepBuffers(2, 4096); // before the mark: never reported
        Mark mark = LeakBridge.mark();
        System.out.println("mark.active=" + mark.isActive());
        keepBuffers(3, 64 * 1024);
        dropBuffer(100 * 1000);
        print("nogc", LeakBridge.liveSince(mark, LiveOptions.defaults().kinds(Kind.DIRECT_BUFFER)));
        List<Site> gc = LeakBridge.liveSince(mark, LiveOptions.defaults().gc(true));
        print("gc", gc);
        if (!gc.isEmpty())
            System.out.println("describe.begin\n" + LeakBridge.describe(gc) + "\ndescribe.end");
        print("malloc", LeakBridge.liveSince(mark, LiveOptions.defaults().kinds(Kind.MALLOC)));
        Path written = LeakBridge.dump(args.length > 0 ? Paths.get(args[0]) : null);
        System.out.println("dump=" + written);
        System.out.println("kept=" + KEPT.size());
    }
}
