/** Loads libleakonload.so, whose JNI_OnLoad keeps one block of 4093 bytes. No args. */
public class OnLoadLeak {
    static native int ping();

    static void loadNative() {
        System.loadLibrary("leakonload");
    }

    public static void main(String[] args) {
        loadNative();
        System.out.println("ping " + ping());
    }
}
