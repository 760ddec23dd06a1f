/**
 * C++ standard library containers in libleakstl.so, whose blocks libstdc++ allocates. Args:
 * commands, each a word and its numbers, run in order:
 *   strings N LEN  N std::string values of LEN chars kept (leakstl::hold_strings): one block of
 *                  LEN + 1 bytes each
 *   map N          N int -> int pairs inserted into a kept std::map (leakstl::hold_map): one
 *                  node each
 *   release        every string and map node freed (leakstl::release_all)
 * Each prints "WORD RESULT" when done.
 */
public class StlLeak {
    static {
        System.loadLibrary("leakstl");
    }

    static native int keepStrings(int count, int length);

    static native int keepMap(int count);

    static native long release();

    static int leakStrings(int count, int length) {
        return keepStrings(count, length);
    }

    static int leakMap(int count) {
        return keepMap(count);
    }

    static long releaseAll() {
        return release();
    }

    public static void main(String[] args) {
        for (int i = 0; i < args.length;) {
            String word = args[i++];
            switch (word) {
                case "strings":
                    System.out.println("strings " + leakStrings(Integer.parseInt(args[i]),
                            Integer.parseInt(args[i + 1])));
                    i += 2;
                    break;
                case "map": System.out.println("map " + leakMap(Integer.parseInt(args[i++]))); break;
                case "release": System.out.println("release " + releaseAll()); break;
                default: throw new IllegalArgumentException("unknown command " + word);
            }
        }
    }
}
