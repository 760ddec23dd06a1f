import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;

/** sun.misc.Unsafe's memory methods for the test programs, through method handles so that the
 * programs compile without warnings; they end in jdk.internal.misc.Unsafe's natives. */
final class TestUnsafe {
    private static final MethodHandle ALLOCATE, REALLOCATE, FREE, PUT_BYTE, GET_BYTE;

    static {
        try {
            Class<?> k = Class.forName("sun.misc.Unsafe");
            Field f = k.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            Object u = f.get(null);
            MethodHandles.Lookup l = MethodHandles.lookup();
            ALLOCATE = l.findVirtual(k, "allocateMemory", MethodType.methodType(long.class, long.class)).bindTo(u);
            REALLOCATE = l.findVirtual(k, "reallocateMemory",
                    MethodType.methodType(long.class, long.class, long.class)).bindTo(u);
            FREE = l.findVirtual(k, "freeMemory", MethodType.methodType(void.class, long.class)).bindTo(u);
            PUT_BYTE = l.findVirtual(k, "putByte",
                    MethodType.methodType(void.class, long.class, byte.class)).bindTo(u);
            GET_BYTE = l.findVirtual(k, "getByte", MethodType.methodType(byte.class, long.class)).bindTo(u);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    static long allocateMemory(long bytes) {
        try {
            return (long) ALLOCATE.invokeExact(bytes);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    static long reallocateMemory(long addr, long bytes) {
        try {
            return (long) REALLOCATE.invokeExact(addr, bytes);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    static void freeMemory(long addr) {
        try {
            FREE.invokeExact(addr);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    static void putByte(long addr, byte b) {
        try {
            PUT_BYTE.invokeExact(addr, b);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    static byte getByte(long addr) {
        try {
            return (byte) GET_BYTE.invokeExact(addr);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private TestUnsafe() {}
}
