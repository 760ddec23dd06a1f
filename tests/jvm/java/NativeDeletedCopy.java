import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;

/**
 * Copies libleakkeep.so (found on java.library.path) to a temporary file, System.load()s the
 * copy and deletes the file at once, as bundling libraries do (extract, load, delete); then
 * keeps N blocks of 1237 bytes through the deleted copy. Args: count. Prints "copy=PATH" with
 * the canonical path the JVM loaded.
 */
public class NativeDeletedCopy {
    static native int keep(int count);

    static File findLibrary(String name) {
        for (String dir : System.getProperty("java.library.path").split(File.pathSeparator)) {
            File f = new File(dir, name);
            if (!dir.isEmpty() && f.isFile())
                return f;
        }
        throw new IllegalStateException(name + " not on java.library.path "
                + System.getProperty("java.library.path"));
    }

    static String loadDeletedCopy() throws IOException {
        File original = findLibrary("libleakkeep.so");
        File copy = File.createTempFile("leakkeep-copy-", ".so");
        Files.copy(original.toPath(), copy.toPath(), StandardCopyOption.REPLACE_EXISTING);
        String path = copy.getCanonicalPath();
        System.load(path);
        if (!copy.delete())
            throw new IOException("cannot delete " + path);
        return path;
    }

    /** Loads libleakkeep.so itself, for UnloadedLibrary's same-file rounds. */
    static String loadOriginal() throws IOException {
        String path = findLibrary("libleakkeep.so").getCanonicalPath();
        System.load(path);
        return path;
    }

    static int leakThroughCopy(int count) {
        return keep(count);
    }

    public static void main(String[] args) throws IOException {
        String path = loadDeletedCopy();
        System.out.println("copy=" + path);
        System.out.println("deleted " + !new File(path).exists());
        System.out.println("kept " + leakThroughCopy(Integer.parseInt(args[0])));
    }
}
