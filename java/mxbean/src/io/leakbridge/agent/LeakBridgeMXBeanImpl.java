package io.leakbridge.agent;

import java.lang.management.ManagementFactory;
import javax.management.MBeanAttributeInfo;
import javax.management.MBeanInfo;
import javax.management.MBeanOperationInfo;
import javax.management.ObjectName;
import javax.management.StandardMBean;

/**
 * The MXBean's implementation: every figure comes from the agent's natives (agent/mxbean.c, bound
 * with RegisterNatives), read when asked. A StandardMBean only to give each attribute a
 * description, which JMX consoles show and the Prometheus JMX exporter puts in its HELP line.
 */
public final class LeakBridgeMXBeanImpl extends StandardMBean implements LeakBridgeMXBean {
    static final String NAME = "io.leakbridge:type=LeakBridge";
    static final int TOP_SITES = 10;

    /** Live bytes (or blocks) of one kind as the report names it, or of all kinds for null. */
    private static native long live0(String kind, boolean blocks);

    private static native String[] topSites0(int n);

    /** The cgroup's memory usage (or limit), -1 when unknown. */
    private static native long memory0(boolean usage);

    private static native long sample0();

    private static native String lastReportPath0();

    /** The path of the report written, or null when it could not be (the agent said why). */
    private static native String dump0();

    private LeakBridgeMXBeanImpl() {
        super(LeakBridgeMXBean.class, true);
    }

    /**
     * Called by the agent on its own thread once the platform MBeanServer exists: returns null,
     * or why the MXBean could not be registered.
     */
    static String register() {
        try {
            ManagementFactory.getPlatformMBeanServer()
                .registerMBean(new LeakBridgeMXBeanImpl(), new ObjectName(NAME));
            return null;
        } catch (Throwable t) {
            return String.valueOf(t);
        }
    }

    @Override
    public long getLiveBytes() {
        return live0(null, false);
    }

    @Override
    public long getLiveBlocks() {
        return live0(null, true);
    }

    @Override
    public long getLiveBytesDirectBuffer() {
        return live0("direct_buffer", false);
    }

    @Override
    public long getLiveBlocksDirectBuffer() {
        return live0("direct_buffer", true);
    }

    @Override
    public long getLiveBytesUnsafe() {
        return live0("unsafe", false);
    }

    @Override
    public long getLiveBlocksUnsafe() {
        return live0("unsafe", true);
    }

    @Override
    public long getLiveBytesMalloc() {
        return live0("malloc", false);
    }

    @Override
    public long getLiveBlocksMalloc() {
        return live0("malloc", true);
    }

    @Override
    public long getLiveBytesMmap() {
        return live0("mmap", false);
    }

    @Override
    public long getLiveBlocksMmap() {
        return live0("mmap", true);
    }

    @Override
    public long getLiveBytesMappedFile() {
        return live0("mapped_file", false);
    }

    @Override
    public long getLiveBlocksMappedFile() {
        return live0("mapped_file", true);
    }

    @Override
    public long getLiveBytesPool() {
        return live0("pool", false);
    }

    @Override
    public long getLiveBlocksPool() {
        return live0("pool", true);
    }

    @Override
    public String[] getTopSites() {
        return topSites0(TOP_SITES);
    }

    @Override
    public long getLimitBytes() {
        return memory0(false);
    }

    @Override
    public long getUsageBytes() {
        return memory0(true);
    }

    @Override
    public long getSampleBytes() {
        return sample0();
    }

    @Override
    public String getLastReportPath() {
        return lastReportPath0();
    }

    @Override
    public String dump() {
        String path = dump0();
        if (path == null)
            throw new IllegalStateException("leakbridge could not write the report: the JVM's stderr says why");
        return path;
    }

    @Override
    protected String getDescription(MBeanInfo info) {
        return "leakbridge: off-heap memory the agent tracks (figures as in its reports)";
    }

    @Override
    protected String getDescription(MBeanAttributeInfo info) {
        String name = info.getName();
        if (name.startsWith("LiveBytes") && name.length() > 9)
            return "Live bytes of kind " + name.substring(9) + " (the report's totals.by_kind)";
        if (name.startsWith("LiveBlocks") && name.length() > 10)
            return "Live blocks of kind " + name.substring(10) + " (the report's totals.by_kind)";
        switch (name) {
        case "LiveBytes":
            return "Live off-heap bytes the agent tracks, every kind (the report's totals.live_bytes)";
        case "LiveBlocks":
            return "Live blocks the agent tracks, every kind (the report's totals.live_count)";
        case "TopSites":
            return "The 10 sites with the most live bytes: bytes, growth since the last report, kind, stack";
        case "LimitBytes":
            return "The container's memory limit in bytes (cgroup), -1 when none or unknown";
        case "UsageBytes":
            return "The container's memory usage in bytes (cgroup), -1 when unknown";
        case "SampleBytes":
            return "The sampling mean in bytes; 0 when the figures are exact";
        case "LastReportPath":
            return "The absolute path of the last report written, empty before the first";
        default:
            return name;
        }
    }

    @Override
    protected String getDescription(MBeanOperationInfo info) {
        return "Writes a report now (reason mxbean) and returns its absolute path";
    }
}
