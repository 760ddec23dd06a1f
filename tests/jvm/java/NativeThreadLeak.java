/**
 * libleakthread.so starts a native thread, unknown to the JVM, that keeps N blocks of 2311
 * bytes and exits; the Java side waits for it with join(). Args: count.
 */
public class NativeThreadLeak {
    static {
        System.loadLibrary("leakthread");
    }

    static native boolean start(int count);

    static native int join();

    static int runNativeThread(int count) {
        if (!start(count))
            throw new IllegalStateException("pthread_create failed");
        return join();
    }

    public static void main(String[] args) {
        System.out.println("kept " + runNativeThread(Integer.parseInt(args[0])));
    }
}
