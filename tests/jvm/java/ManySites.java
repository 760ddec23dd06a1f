import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;

/**
 * Many distinct allocation stacks, for the agent's bounds (max_sites, report_sites). Each number
 * n gets a Java stack of its own: each of its 14 low bits picks a() or b() at one level. Args:
 * commands, each a word and a count, run in order:
 *   unsafe N        N blocks of 4099 bytes from Unsafe.allocateMemory, one per stack, kept
 *   native N        N blocks of 1237 bytes malloc'd by libleakkeep.so's hold_blocks (NativeKeep),
 *                   one per stack, kept
 *   keep N          N blocks of 1237 bytes malloc'd by hold_blocks, all at one stack, kept
 *   grow MS         every 100 ms for MS ms: 20 more unsafe blocks of 4099 bytes at new stacks,
 *                   kept, and a System.gc()
 *   sleep MS        sleeps
 *   wait 0          prints "ready pid=PID" and waits for stdin to close (dumps meanwhile)
 * Prints "kept unsafe=U native=M" at the end.
 */
public final class ManySites {
    static final MethodHandle ALLOCATE = unsafe("allocateMemory", long.class, long.class);
    static final int LEVELS = 14;
    static final int UNSAFE_SIZE = 4099;
    static int next; // the next stack number
    static int unsafeKept, nativeKept;
    static long[] kept = new long[1 << 16];

    /* sun.misc.Unsafe through method handles: javac -Werror rejects naming it. */
    static MethodHandle unsafe(String name, Class<?> result, Class<?> arg) {
        try {
            Class<?> k = Class.forName("sun.misc.Unsafe");
            Field f = k.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            return MethodHandles.lookup()
                    .findVirtual(k, name, MethodType.methodType(result, arg))
                    .bindTo(f.get(null));
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    static void descend(int path, int level, boolean nat) throws Throwable {
        if (level == LEVELS) {
            if (nat) {
                nativeKept += NativeKeep.keep(1);
            } else {
                kept[unsafeKept++] = (long) ALLOCATE.invokeExact((long) UNSAFE_SIZE);
            }
        } else if ((path >> level & 1) == 0) {
            a(path, level + 1, nat);
        } else {
            b(path, level + 1, nat);
        }
    }

    static void a(int path, int level, boolean nat) throws Throwable {
        descend(path, level, nat);
    }

    static void b(int path, int level, boolean nat) throws Throwable {
        descend(path, level, nat);
    }

    static void distinct(int count, boolean nat) throws Throwable {
        for (int i = 0; i < count; i++)
            descend(next++, 0, nat);
    }

    public static void main(String[] args) throws Throwable {
        for (int i = 0; i + 1 < args.length; i += 2) {
            int count = Integer.parseInt(args[i + 1]);
            switch (args[i]) {
                case "unsafe": distinct(count, false); break;
                case "native": distinct(count, true); break;
                case "keep": nativeKept += NativeKeep.keep(count); break;
                case "grow":
                    for (long end = System.currentTimeMillis() + count;
                            System.currentTimeMillis() < end;) {
                        distinct(20, false);
                        System.gc();
                        Thread.sleep(100);
                    }
                    break;
                case "sleep": Thread.sleep(count); break;
                case "wait":
                    System.out.println("ready pid=" + ProcessHandle.current().pid());
                    System.out.flush();
                    while (System.in.read() >= 0) {
                    }
                    break;
                default: throw new IllegalArgumentException(args[i]);
            }
        }
        System.out.println("kept unsafe=" + unsafeKept + " native=" + nativeKept);
    }
}
