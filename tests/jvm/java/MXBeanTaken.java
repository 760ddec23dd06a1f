import java.lang.management.ManagementFactory;
import javax.management.MBeanServer;
import javax.management.MBeanServerBuilder;
import javax.management.MBeanServerDelegate;
import javax.management.ObjectName;

/**
 * The MXBean's name already taken when the agent comes to register it: run with
 * -Djavax.management.builder.initial=MXBeanTaken$Builder, which registers a bean of its own as
 * io.leakbridge:type=LeakBridge while the platform MBeanServer is being made. Waits a second,
 * then prints "holder=CLASS" (the class of the bean under that name) and "done".
 */
public class MXBeanTaken {
    public interface DummyMBean {
        int getAnswer();
    }

    public static class Dummy implements DummyMBean {
        @Override
        public int getAnswer() {
            return 42;
        }
    }

    public static class Builder extends MBeanServerBuilder {
        @Override
        public MBeanServer newMBeanServer(String domain, MBeanServer outer, MBeanServerDelegate delegate) {
            MBeanServer server = super.newMBeanServer(domain, outer, delegate);
            try {
                server.registerMBean(new Dummy(), new ObjectName("io.leakbridge:type=LeakBridge"));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            return server;
        }
    }

    public static void main(String[] args) throws Exception {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        Thread.sleep(1000);
        System.out.println("holder=" + server.getObjectInstance(
            new ObjectName("io.leakbridge:type=LeakBridge")).getClassName());
        System.out.println("done");
    }
}
