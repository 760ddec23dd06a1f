import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

/**
 * Keeps N direct buffers of 4000 bytes allocated inside a lambda and N of 3000 inside another,
 * as job code passing callbacks does: the allocating frames run in hidden classes whose names
 * (Foo$$Lambda$14/0x...) differ from one JVM to the next. Args: count.
 */
public class LambdaKeep {
    static final List<ByteBuffer> KEPT = new ArrayList<>();

    public static void main(String[] args) {
        int count = Integer.parseInt(args[0]);
        IntFunction<ByteBuffer> big = n -> ByteBuffer.allocateDirect(4000);
        IntFunction<ByteBuffer> small = n -> ByteBuffer.allocateDirect(3000);
        for (int i = 0; i < count; i++) {
            KEPT.add(big.apply(i));
            KEPT.add(small.apply(i));
        }
        System.out.println("kept " + KEPT.size());
    }
}
