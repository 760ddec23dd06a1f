/**
 * Leaks through libleakkeep.so (tests/jvm/native/leakkeep.c). Args: commands, each a word and
 * a count, run in order:
 *   keep N     N blocks of 1237 bytes, malloc'd by hold_blocks and kept
 *   map N      N anonymous mappings of 3 pages kept (map_regions), N of 7 pages unmapped
 *              at once (map_transient)
 *   mapfile 1  one page of a file mapped and kept (not anonymous memory)
 *   handoff N  N blocks of 1931 bytes freed by libleakfree.so, N of 1949 bytes malloc'd by
 *              libleakfree.so and freed by libleakkeep.so: nothing stays live
 */
public class NativeKeep {
    static {
        System.loadLibrary("leakkeep");
    }

    static native int keep(int count);

    static native int map(int count);

    static native int mapFile(String path);

    static native int handOff(int count);

    static native int held();

    static int leakNative(int count) {
        return keep(count);
    }

    static int mapNative(int count) {
        return map(count);
    }

    static int mapFileNative() {
        return mapFile(System.getProperty("java.home") + "/release");
    }

    static int crossFree(int count) {
        return handOff(count);
    }

    public static void main(String[] args) {
        for (int i = 0; i + 1 < args.length; i += 2) {
            String what = args[i];
            int count = Integer.parseInt(args[i + 1]);
            int done;
            switch (what) {
                case "keep": done = leakNative(count); break;
                case "map": done = mapNative(count); break;
                case "mapfile": done = mapFileNative(); break;
                case "handoff": done = crossFree(count); break;
                default: throw new IllegalArgumentException("unknown command " + what);
            }
            System.out.println(what + " " + done);
        }
        System.out.println("held " + held());
    }
}
