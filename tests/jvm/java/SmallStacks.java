/**
 * libleakstack.so runs native threads with small stacks that recurse until only a few bytes of
 * stack are left and then malloc blocks of 1201 bytes and keep them, and a fiber on a stack of
 * its own that does the same. Args: exit_code threads parallel allocs warm(0|1) fiber(0|1)
 * STACK:LEFT...: for each STACK:LEFT, `threads` threads (`parallel` at a time) with stacks of
 * STACK bytes leave LEFT bytes below the frame that allocates `allocs` blocks (with warm, after
 * one malloc with their whole stack free); then the fiber, if asked. Prints, for each, "STACK:LEFT
 * deepest N": the most bytes of stack any allocation reached below the allocating frame, then
 * "threads done D kept K", and exits with exit_code.
 */
public class SmallStacks {
    static {
        System.loadLibrary("leakstack");
    }

    static native int run(int threads, int parallel, int stack, int left, int allocs,
                          boolean warm, boolean fiber);

    static native int kept();

    static native long deepest();

    public static void main(String[] args) {
        int exit = Integer.parseInt(args[0]);
        int threads = Integer.parseInt(args[1]);
        int parallel = Integer.parseInt(args[2]);
        int allocs = Integer.parseInt(args[3]);
        boolean warm = Integer.parseInt(args[4]) != 0;
        boolean fiber = Integer.parseInt(args[5]) != 0;
        int done = 0;
        for (int i = 6; i < args.length; i++) {
            String[] pair = args[i].split(":");
            done += run(threads, parallel, Integer.parseInt(pair[0]), Integer.parseInt(pair[1]),
                        allocs, warm, fiber && i == args.length - 1);
            System.out.println(args[i] + " deepest " + deepest());
        }
        System.out.println("threads done " + done + " kept " + kept());
        System.exit(exit);
    }
}
