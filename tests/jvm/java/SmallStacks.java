/**
 * libleakstack.so runs native threads with small stacks that recurse until only a few bytes of
 * stack are left and then malloc blocks of 1201 bytes and keep them (and a fiber on a stack of
 * its own). Args: threads parallel stack_bytes left_bytes allocs_per_thread warm(0|1) fiber(0|1):
 * with warm, each thread mallocs once before it recurses.
 * Prints "threads done D kept K".
 */
public class SmallStacks {
    static {
        System.loadLibrary("leakstack");
    }

    static native int run(int threads, int parallel, int stack, int left, int allocs,
                          boolean warm, boolean fiber);

    static native int kept();

    public static void main(String[] args) {
        int done = run(Integer.parseInt(args[0]), Integer.parseInt(args[1]),
                       Integer.parseInt(args[2]), Integer.parseInt(args[3]),
                       Integer.parseInt(args[4]), Integer.parseInt(args[5]) != 0,
                       Integer.parseInt(args[6]) != 0);
        System.out.println("threads done " + done + " kept " + kept());
    }
}
