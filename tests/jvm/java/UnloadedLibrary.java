import java.io.File;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Paths;

/**
 * A Flink job restarting in the same TaskManager, in small: each round loads NativeDeletedCopy
 * in a new class loader, which loads libleakkeep.so (a deleted temporary copy, as zstd-jni
 * does, or the file itself), keeps N blocks through it, and is dropped; the JVM then unloads
 * the class and the library, and the next round's library usually lands at the same address.
 * Args: copies|same rounds count. Prints "round=I path=PATH unloaded=true|false" per round.
 */
public class UnloadedLibrary {
    static boolean mapped(String path) throws Exception {
        return new String(Files.readAllBytes(Paths.get("/proc/self/maps"))).contains(path);
    }

    /** Runs one round in its own loader; returns the library's path. */
    static String round(URL classes, boolean copy, int count) throws Exception {
        try (URLClassLoader loader =
                     new URLClassLoader(new URL[] {classes}, ClassLoader.getPlatformClassLoader())) {
            Class<?> c = loader.loadClass("NativeDeletedCopy");
            Method load = c.getDeclaredMethod(copy ? "loadDeletedCopy" : "loadOriginal");
            Method leak = c.getDeclaredMethod("leakThroughCopy", int.class);
            load.setAccessible(true);
            leak.setAccessible(true);
            String path = (String) load.invoke(null);
            leak.invoke(null, count);
            return path;
        }
    }

    public static void main(String[] args) throws Exception {
        boolean copy = args[0].equals("copies");
        int rounds = Integer.parseInt(args[1]), count = Integer.parseInt(args[2]);
        String first = System.getProperty("java.class.path").split(File.pathSeparator)[0];
        URL classes = new File(first).toURI().toURL();
        for (int r = 0; r < rounds; r++) {
            String path = round(classes, copy, count);
            // The agent looks up a new site's Java names on its own thread, within
            // milliseconds; a class unloaded before that loses its names. A second is ample
            // even on a busy machine.
            Thread.sleep(1000);
            boolean gone = false;
            for (int i = 0; i < 500 && !gone; i++) {
                System.gc();
                Thread.sleep(10);
                gone = !mapped(path);
            }
            System.out.println("round=" + r + " path=" + path + " unloaded=" + gone);
        }
    }
}
