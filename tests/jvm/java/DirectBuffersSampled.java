import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/** Keeps many direct buffers of mixed sizes, for checking sampled estimates. Args: count. */
public class DirectBuffersSampled {
    static final List<ByteBuffer> KEPT = new ArrayList<>();
    static volatile long sink;

    static void keepMixed(int count) {
        for (int i = 0; i < count; i++) {
            KEPT.add(ByteBuffer.allocateDirect(i % 3 == 0 ? 65536 : 8192));
        }
    }

    static void churnSmall(int count) {
        for (int i = 0; i < count; i++) {
            long a = TestUnsafe.allocateMemory(24);
            sink += a;
            TestUnsafe.freeMemory(a);
        }
    }

    public static void main(String[] args) {
        int count = Integer.parseInt(args[0]);
        churnSmall(count * 10);
        keepMixed(count);
        System.out.println("kept " + KEPT.size());
    }
}
