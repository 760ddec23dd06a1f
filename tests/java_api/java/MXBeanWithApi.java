import io.leakbridge.LeakBridge;
import io.leakbridge.Mark;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * The Java API jar and the agent's MXBean in one JVM: the jar (package io.leakbridge) and the
 * classes the agent defines (io.leakbridge.agent) must not clash. Keeps 4 direct buffers of
 * 65,536 bytes after a mark and prints "active=", "liveSince=" (bytes the API counts since the
 * mark), "mxbean=" (what the MXBean's LiveBytesDirectBuffer grew by), "api.dump=" and "mxbean.dump=" (the
 * reports both write), and the loaders of the jar's class and the MXBean's ("mxbean.loader=boot"
 * when the boot loader).
 */
public class MXBeanWithApi {
    public static void main(String[] args) throws Exception {
        System.out.println("active=" + LeakBridge.isActive());
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        ObjectName name = new ObjectName("io.leakbridge:type=LeakBridge");
        long until = System.currentTimeMillis() + 10_000;
        while (!server.isRegistered(name) && System.currentTimeMillis() < until)
            Thread.sleep(5);
        long before = (Long) server.getAttribute(name, "LiveBytesDirectBuffer");
        Mark mark = LeakBridge.mark();
        List<ByteBuffer> kept = new ArrayList<>();
        for (int i = 0; i < 4; i++)
            kept.add(ByteBuffer.allocateDirect(65_536));
        System.out.println("liveSince=" + LeakBridge.totalBytes(LeakBridge.liveSince(mark)));
        System.out.println("mxbean=" + ((Long) server.getAttribute(name, "LiveBytesDirectBuffer") - before));
        System.out.println("api.dump=" + LeakBridge.dump(Paths.get(args[0])));
        System.out.println("mxbean.dump=" + server.invoke(name, "dump", null, null));
        ClassLoader loader = Class.forName("io.leakbridge.agent.LeakBridgeMXBeanImpl").getClassLoader();
        System.out.println("mxbean.loader=" + (loader == null ? "boot" : loader.toString()));
        System.out.println("kept=" + kept.size());
    }
}
