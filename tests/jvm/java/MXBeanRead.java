import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.io.RandomAccessFile;
import java.lang.management.ManagementFactory;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.Deflater;
import javax.management.MBeanAttributeInfo;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * Reads the agent's MXBean (io.leakbridge:type=LeakBridge) in its own JVM while it holds known
 * off-heap memory: 5 direct buffers of 100,000 bytes, 3 Unsafe blocks of 50,000 bytes, 2
 * Deflaters (zlib's malloc) and 1 mapped file of 65,536 bytes (the file is args[1]).
 *
 *   figures FILE   waits for the MXBean, reads every attribute and invokes dump() once to warm
 *                  up, then prints every attribute as "A.NAME=VALUE" (TopSites as
 *                  "A.TopSites.I=LINE"), invokes dump() ("dump=PATH") and prints them again as
 *                  "B.NAME=VALUE"; "attribute=NAME TYPE" for each attribute the MBeanInfo has;
 *                  with a third argument, a file, "usage=FILE ATTRIBUTE FILE": the file read right
 *                  before that dump() and right after the UsageBytes attribute, read last
 *   serve FILE     holds the memory, makes the platform MBeanServer unless a JMX agent already
 *                  did, waits for the MXBean, prints "ready pid=PID" and waits for a line on stdin
 *   untouched FILE holds the memory, never touches JMX, sleeps 2 s and prints
 *                  "server=null|made" (ManagementFactory's platformMBeanServer, by reflection:
 *                  needs --add-opens java.management/java.lang.management=ALL-UNNAMED); then makes
 *                  the server and prints "registered=true|false" after waiting up to 10 s
 *   attach FILE GO makes the platform MBeanServer, holds the memory, prints "waiting" and waits
 *                  for the file GO (made after the agent is attached); then waits for the MXBean
 *                  and prints "LiveBytesDirectBuffer=N"
 */
public class MXBeanRead {
    static final List<Object> KEPT = new ArrayList<>();
    static final String NAME = "io.leakbridge:type=LeakBridge";

    static void holdBuffers() {
        for (int i = 0; i < 5; i++)
            KEPT.add(ByteBuffer.allocateDirect(100_000));
    }

    static void holdUnsafe() throws Exception {
        Field f = Class.forName("sun.misc.Unsafe").getDeclaredField("theUnsafe");
        f.setAccessible(true);
        Object unsafe = f.get(null);
        java.lang.reflect.Method allocate = unsafe.getClass().getMethod("allocateMemory", long.class);
        for (int i = 0; i < 3; i++)
            KEPT.add(allocate.invoke(unsafe, 50_000L));
    }

    static void holdDeflaters() {
        for (int i = 0; i < 2; i++)
            KEPT.add(new Deflater());
    }

    static void holdMapped(String path) throws Exception {
        try (RandomAccessFile file = new RandomAccessFile(path, "rw")) {
            file.setLength(65_536); // no write: a heap buffer write would cache a direct one
            KEPT.add(file.getChannel().map(FileChannel.MapMode.READ_WRITE, 0, 65_536));
        }
    }

    static void hold(String path) throws Exception {
        holdBuffers();
        holdUnsafe();
        holdDeflaters();
        holdMapped(path);
    }

    static boolean waitRegistered(MBeanServer server, long ms) throws Exception {
        ObjectName name = new ObjectName(NAME);
        long until = System.currentTimeMillis() + ms;
        while (!server.isRegistered(name)) {
            if (System.currentTimeMillis() > until)
                return false;
            Thread.sleep(5);
        }
        return true;
    }

    /** Prints every attribute, unless prefix is null (a warm-up read). */
    static void print(MBeanServer server, String prefix) throws Exception {
        ObjectName name = new ObjectName(NAME);
        StringBuilder out = new StringBuilder();
        for (MBeanAttributeInfo a : server.getMBeanInfo(name).getAttributes()) {
            Object v = server.getAttribute(name, a.getName());
            if (v instanceof String[]) {
                String[] lines = (String[]) v;
                for (int i = 0; i < lines.length; i++)
                    out.append(prefix).append(".TopSites.").append(i).append('=').append(lines[i]).append('\n');
            } else {
                out.append(prefix).append('.').append(a.getName()).append('=').append(v).append('\n');
            }
        }
        if (prefix != null)
            System.out.print(out);
    }

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        if (mode.equals("untouched")) {
            hold(args[1]);
            Thread.sleep(2000);
            Field f = ManagementFactory.class.getDeclaredField("platformMBeanServer");
            f.setAccessible(true);
            System.out.println("server=" + (f.get(null) == null ? "null" : "made"));
            System.out.println("registered=" + waitRegistered(ManagementFactory.getPlatformMBeanServer(), 10_000));
            return;
        }
        if (mode.equals("attach")) {
            MBeanServer server = ManagementFactory.getPlatformMBeanServer();
            System.out.println("waiting");
            File go = new File(args[2]);
            while (!go.exists())
                Thread.sleep(20);
            hold(args[1]);
            if (!waitRegistered(server, 10_000)) {
                System.out.println("not registered");
                System.exit(2);
            }
            System.out.println("LiveBytesDirectBuffer="
                + server.getAttribute(new ObjectName(NAME), "LiveBytesDirectBuffer"));
            return;
        }
        hold(args[1]);
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        if (!waitRegistered(server, 10_000)) {
            System.out.println("not registered");
            System.exit(2);
        }
        ObjectName name = new ObjectName(NAME);
        if (mode.equals("serve")) {
            System.out.println("ready pid=" + ProcessHandle.current().pid());
            new BufferedReader(new InputStreamReader(System.in)).readLine();
            return;
        }
        for (MBeanAttributeInfo a : server.getMBeanInfo(name).getAttributes())
            System.out.println("attribute=" + a.getName() + " " + a.getType());
        // Warm up: the first reads and the first dump load classes and resolve names.
        print(server, null);
        server.invoke(name, "dump", null, null);
        print(server, "A");
        // The cgroup's usage file, read before the dump whose report the test compares and
        // after the attribute: what other processes of the cgroup did in between is bounded.
        java.nio.file.Path usage = args.length > 2 ? java.nio.file.Paths.get(args[2]) : null;
        String before =
                usage != null ? new String(java.nio.file.Files.readAllBytes(usage)).trim() : "";
        System.out.println("dump=" + server.invoke(name, "dump", null, null));
        print(server, "B");
        if (usage != null) {
            Object attribute = server.getAttribute(name, "UsageBytes");
            String after = new String(java.nio.file.Files.readAllBytes(usage)).trim();
            System.out.println("usage=" + before + " " + attribute + " " + after);
        }
    }

}
