import java.lang.reflect.Field;
import sun.misc.Unsafe;

/** sun.misc.Unsafe for the test programs; its memory methods end in jdk.internal.misc.Unsafe. */
final class TestUnsafe {
    static final Unsafe U = load();

    private static Unsafe load() {
        try {
            Field f = Unsafe.class.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            return (Unsafe) f.get(null);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    private TestUnsafe() {}
}
