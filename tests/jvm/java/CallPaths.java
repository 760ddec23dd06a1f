/**
 * JNI calls of one library from several Java paths at the same stack depth, in turns:
 * {@code java CallPaths N} makes N calls, a third each through pathA (keeps a 1301-byte block),
 * pathB (1302) and nested, whose native outer keeps 1303, calls back into Java (callback, which
 * keeps 1304 through work) and keeps 1305 once back; and every tenth time twoWays keeps four
 * blocks, 1311 and 1312 bytes in turns, from two C functions.
 */
public final class CallPaths {
    static native void work(int size);

    static native void outer(int size);

    static native void twoWays(int n, int size);

    static void callback(int size) {
        work(size);
    }

    static void pathA() {
        work(1301);
    }

    static void pathB() {
        work(1302);
    }

    static void nested() {
        outer(1303);
    }

    public static void main(String[] args) {
        System.loadLibrary("leakpaths");
        int n = Integer.parseInt(args[0]);
        for (int i = 0; i < n; i++) {
            switch (i % 3) {
                case 0:
                    pathA();
                    break;
                case 1:
                    pathB();
                    break;
                default:
                    nested();
                    break;
            }
            if (i % 10 == 0) {
                twoWays(4, 1311);
            }
        }
        System.out.println("calls " + n);
    }
}
