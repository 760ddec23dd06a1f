import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;

/** Keeps N small Unsafe blocks live until exit, so that the agent's live table holds N entries
 * when the exit report is written: run_bench.py reads the table's size from that report. With a
 * second argument, stays up that many seconds after "kept N": a SIGTERM's exit report timed. */
public final class KeepBlocks {
    public static void main(String[] args) throws Throwable {
        int n = Integer.parseInt(args[0]);
        Class<?> k = Class.forName("sun.misc.Unsafe");
        Field f = k.getDeclaredField("theUnsafe");
        f.setAccessible(true);
        MethodHandle allocate = MethodHandles.lookup()
                .findVirtual(k, "allocateMemory", MethodType.methodType(long.class, long.class))
                .bindTo(f.get(null));
        long[] kept = new long[n];
        for (int i = 0; i < n; i++) {
            kept[i] = (long) allocate.invokeExact(16L);
        }
        System.out.println("RESULT kept=" + kept.length);
        if (args.length > 1)
            Thread.sleep(Long.parseLong(args[1]) * 1000);
    }
}
