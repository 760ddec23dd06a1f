/**
 * C++ allocations in libleakcpp.so. Args: commands, each a word and a count, run in order:
 *   arrays N   N `new char[3001]` kept (leakcpp::hold_arrays)
 *   objects N  N `new Widget` of 1019 bytes kept (leakcpp::hold_widgets)
 *   churn N    N rounds of every new/delete variant, all deleted (leakcpp::churn_cpp);
 *              prints "allocations=K" with the number of blocks it made
 */
public class CppLeak {
    static {
        System.loadLibrary("leakcpp");
    }

    static native int keepArrays(int count);

    static native int keepWidgets(int count);

    static native long churn(int rounds);

    static int leakArrays(int count) {
        return keepArrays(count);
    }

    static int leakObjects(int count) {
        return keepWidgets(count);
    }

    static long churnObjects(int rounds) {
        return churn(rounds);
    }

    public static void main(String[] args) {
        for (int i = 0; i + 1 < args.length; i += 2) {
            int count = Integer.parseInt(args[i + 1]);
            switch (args[i]) {
                case "arrays": System.out.println("arrays " + leakArrays(count)); break;
                case "objects": System.out.println("objects " + leakObjects(count)); break;
                case "churn": System.out.println("allocations=" + churnObjects(count)); break;
                default: throw new IllegalArgumentException("unknown command " + args[i]);
            }
        }
    }
}
