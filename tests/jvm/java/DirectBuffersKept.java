import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/** Keeps N direct buffers of an odd capacity reachable until exit. Args: count capacity. */
public class DirectBuffersKept {
    static final List<ByteBuffer> KEPT = new ArrayList<>();

    static void keepBuffers(int count, int capacity) {
        for (int i = 0; i < count; i++) {
            ByteBuffer b = ByteBuffer.allocateDirect(capacity);
            b.put(0, (byte) i);
            KEPT.add(b);
        }
    }

    public static void main(String[] args) {
        keepBuffers(Integer.parseInt(args[0]), Integer.parseInt(args[1]));
        System.out.println("kept " + KEPT.size());
    }
}
