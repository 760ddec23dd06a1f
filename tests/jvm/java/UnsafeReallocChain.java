/** Chains of Unsafe.allocateMemory + reallocateMemory; all but one chain end in freeMemory. */
public class UnsafeReallocChain {
    static long kept;

    static long chain(long first, long... sizes) {
        long addr = TestUnsafe.allocateMemory(first);
        for (long size : sizes) {
            addr = TestUnsafe.reallocateMemory(addr, size);
        }
        return addr;
    }

    static void growAndKeep() {
        kept = chain(100, 3000, 77, 5003);
    }

    static void growAndFree() {
        for (int i = 0; i < 50; i++) {
            TestUnsafe.freeMemory(chain(64, 128, 4096, 9));
        }
        // Reallocating to zero bytes frees the block.
        long addr = chain(40, 80);
        TestUnsafe.reallocateMemory(addr, 0);
    }

    public static void main(String[] args) {
        growAndFree();
        growAndKeep();
        System.out.println("kept block at " + kept);
    }
}
