/**
 * Blocks of a toy arena in libleakpool.so (tests/jvm/native/leakpool.c), reported to leakbridge
 * through leakbridge.h. Args: commands, each a word and a count, run in order:
 *   leak N    N blocks of 1000 bytes kept (through leakFromJava)
 *   churn N   N blocks of 520 bytes given back at once
 *   grow N    N blocks of 200 bytes grown to 1200 bytes (a realloc) and kept
 *   misuse 1  every misuse of the API once, and a block kept by a thread the JVM does not know
 *   mxbean 1  the MXBean's LiveBytes, LiveBytesMalloc and LiveBytesPool, around a dump it makes
 * Prints "held N chunks C" at the end.
 */
public class PoolLeak {
    static {
        System.loadLibrary("leakpool");
    }

    static native int leak(int count);

    static native int churn(int count);

    static native int grow(int count);

    static native int misuse();

    static native long chunks();

    static int leakFromJava(int count) {
        return leak(count);
    }

    static void mxbean() {
        try {
            javax.management.MBeanServer server =
                    java.lang.management.ManagementFactory.getPlatformMBeanServer();
            javax.management.ObjectName name =
                    new javax.management.ObjectName(MXBeanRead.NAME);
            if (!MXBeanRead.waitRegistered(server, 10_000))
                throw new IllegalStateException("the MXBean was not registered");
            String[] figures = {"LiveBytes", "LiveBytesMalloc", "LiveBytesPool"};
            StringBuilder out = new StringBuilder("mxbean");
            for (String f : figures)
                out.append(' ').append(f).append('=').append(server.getAttribute(name, f));
            out.append(" dump=").append(server.invoke(name, "dump", null, null));
            for (String f : figures)
                out.append(' ').append(f).append('=').append(server.getAttribute(name, f));
            System.out.println(out);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public static void main(String[] args) {
        int held = 0;
        for (int i = 0; i + 1 < args.length; i += 2) {
            int n = Integer.parseInt(args[i + 1]);
            switch (args[i]) {
                case "leak":
                    held += leakFromJava(n);
                    break;
                case "churn":
                    churn(n);
                    break;
                case "grow":
                    held += grow(n);
                    break;
                case "misuse":
                    held += misuse();
                    break;
                case "mxbean":
                    mxbean();
                    break;
                default:
                    throw new IllegalArgumentException(args[i]);
            }
        }
        System.out.println("held " + held + " chunks " + chunks());
    }
}
