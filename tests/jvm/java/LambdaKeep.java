import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

/**
 * Keeps N direct buffers of 4000 bytes allocated inside a lambda, N of 3000 inside another, and
 * N of 2000 in a method called by reflection, as job code passing callbacks does: the
 * allocating frames run in hidden classes (Foo$$Lambda$14/0x..., and on JDK 18 and later the
 * LambdaForm$MH/0x... of reflection) whose names differ from one JVM to the next. Args: count.
 */
public class LambdaKeep {
    static final List<ByteBuffer> KEPT = new ArrayList<>();

    static void viaReflection(int count) {
        for (int i = 0; i < count; i++) {
            KEPT.add(ByteBuffer.allocateDirect(2000));
        }
    }

    public static void main(String[] args) throws Exception {
        int count = Integer.parseInt(args[0]);
        IntFunction<ByteBuffer> big = n -> ByteBuffer.allocateDirect(4000);
        IntFunction<ByteBuffer> small = n -> ByteBuffer.allocateDirect(3000);
        for (int i = 0; i < count; i++) {
            KEPT.add(big.apply(i));
            KEPT.add(small.apply(i));
        }
        Method reflective = LambdaKeep.class.getDeclaredMethod("viaReflection", int.class);
        reflective.invoke(null, count);
        System.out.println("kept " + KEPT.size());
    }
}
