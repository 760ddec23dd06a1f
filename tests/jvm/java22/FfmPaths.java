import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * FFM downcalls and JNI calls into one library, from two Java paths in turns at the same stack
 * depth: {@code java --enable-native-access=ALL-UNNAMED FfmPaths N} makes N calls, half through
 * viaJni (the JNI native CallPaths.work, which keeps a 1301-byte block) and half through viaFfm
 * (a downcall to the plain C function paths_keep, which keeps 1321 bytes). A downcall enters
 * no JNI stub: its samples must never take the JNI call's kept frames. Compiled at test time
 * by a JDK 22 or later (java.lang.foreign).
 */
public final class FfmPaths {
    static MethodHandle keep;

    static void viaJni() {
        CallPaths.work(1301);
    }

    static void viaFfm() throws Throwable {
        keep.invokeExact(1321L);
    }

    public static void main(String[] args) throws Throwable {
        System.loadLibrary("leakpaths");
        keep = Linker.nativeLinker().downcallHandle(
                SymbolLookup.loaderLookup().find("paths_keep").orElseThrow(),
                FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG));
        int n = Integer.parseInt(args[0]);
        for (int i = 0; i < n; i++) {
            if (i % 2 == 0) {
                viaJni();
            } else {
                viaFfm();
            }
        }
        System.out.println("calls " + n);
    }
}
