/**
 * libleakfork.so forks while its own threads churn malloc/free; each child allocates through
 * the library and exits; then the library keeps `keep` blocks of 3001 bytes. Args: threads
 * forks allocs keep. Prints "hung=K", the children that did not exit within 10 seconds.
 */
public class NativeFork {
    static {
        System.loadLibrary("leakfork");
    }

    static native int forkWhileChurning(int threads, int forks, int allocs, int keep);

    public static void main(String[] args) {
        int hung = forkWhileChurning(Integer.parseInt(args[0]), Integer.parseInt(args[1]),
                Integer.parseInt(args[2]), Integer.parseInt(args[3]));
        System.out.println("hung=" + hung);
    }
}
