package io.leakbridge.agent;

/**
 * The agent's monitoring face, registered as {@code io.leakbridge:type=LeakBridge} in the platform
 * MBeanServer by the agent itself (docs/flink.md, "Monitoring"). Not part of the API jar: the
 * agent defines this interface and its implementation in the boot class loader, so that it works
 * with nothing on the class path. Figures are those a report taken at the same moment shows:
 * exact with sample=0, unbiased estimates otherwise (SampleBytes).
 */
public interface LeakBridgeMXBean {
    /** Live bytes of every kind: the report's totals.live_bytes. */
    long getLiveBytes();

    /** Live blocks of every kind: the report's totals.live_count. */
    long getLiveBlocks();

    long getLiveBytesDirectBuffer();

    long getLiveBlocksDirectBuffer();

    long getLiveBytesUnsafe();

    long getLiveBlocksUnsafe();

    long getLiveBytesMalloc();

    long getLiveBlocksMalloc();

    long getLiveBytesMmap();

    long getLiveBlocksMmap();

    long getLiveBytesMappedFile();

    long getLiveBlocksMappedFile();

    long getLiveBytesPool();

    long getLiveBlocksPool();

    /** The ten sites with the most live bytes, largest first, one line each. */
    String[] getTopSites();

    /** The container's memory limit in bytes (cgroup), -1 when there is none or it is unknown. */
    long getLimitBytes();

    /** The container's memory usage in bytes (cgroup), -1 when unknown. */
    long getUsageBytes();

    /** The sampling mean (the sample= option): 0 when figures are exact. */
    long getSampleBytes();

    /** The absolute path of the last report written, "" before the first. */
    String getLastReportPath();

    /** Writes a report now (reason "mxbean") and returns its absolute path. */
    String dump();
}
