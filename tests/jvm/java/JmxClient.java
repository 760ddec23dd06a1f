import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

/**
 * A second JVM reading the agent's MXBean over a JMX remote connection on loopback, as a JMX
 * console or the standalone Prometheus exporter would: args[0] is the port of the JVM's JMX agent
 * (com.sun.management.jmxremote.port). Prints "before.LiveBytes=N",
 * "before.LiveBytesDirectBuffer=N", "TopSites.I=LINE", "dump=PATH" (the dump() operation) and
 * "after.LiveBytes=N".
 */
public class JmxClient {
    public static void main(String[] args) throws Exception {
        JMXServiceURL url =
            new JMXServiceURL("service:jmx:rmi:///jndi/rmi://127.0.0.1:" + args[0] + "/jmxrmi");
        try (JMXConnector connector = JMXConnectorFactory.connect(url)) {
            MBeanServerConnection server = connector.getMBeanServerConnection();
            ObjectName name = new ObjectName("io.leakbridge:type=LeakBridge");
            System.out.println("before.LiveBytes=" + server.getAttribute(name, "LiveBytes"));
            System.out.println("before.LiveBytesDirectBuffer="
                + server.getAttribute(name, "LiveBytesDirectBuffer"));
            String[] top = (String[]) server.getAttribute(name, "TopSites");
            for (int i = 0; i < top.length; i++)
                System.out.println("TopSites." + i + "=" + top[i]);
            System.out.println("dump=" + server.invoke(name, "dump", null, null));
            System.out.println("after.LiveBytes=" + server.getAttribute(name, "LiveBytes"));
        }
    }
}
