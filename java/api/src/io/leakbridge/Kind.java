package io.leakbridge;

/** The kinds of off-heap memory leakbridge tracks, as in the report's {@code kind} field. */
public enum Kind {
    /** Memory behind a {@code java.nio.DirectByteBuffer} ({@code ByteBuffer.allocateDirect}). */
    DIRECT_BUFFER("direct_buffer"),
    /** Any other {@code Unsafe.allocateMemory} / {@code reallocateMemory}. */
    UNSAFE("unsafe"),
    /**
     * The malloc family called from JNI libraries and the libraries they load, and from the JDK's
     * own native libraries when Java code asked (zlib for {@code Inflater} and {@code Deflater}).
     */
    MALLOC("malloc"),
    /** Anonymous {@code mmap} called from JNI libraries and the libraries they load. */
    MMAP("mmap"),
    /** A file the JDK mapped for Java code: {@code FileChannel.map} (a {@code MappedByteBuffer}). */
    MAPPED_FILE("mapped_file"),
    /**
     * A block a native library carved from a pool or arena of its own and reported through the C
     * API ({@code include/leakbridge/leakbridge.h}); {@link Site#pool()} names the pool.
     */
    POOL("pool");

    private final String reportName;

    Kind(String reportName) {
        this.reportName = reportName;
    }

    /**
     * The name the report uses: {@code direct_buffer}, {@code unsafe}, {@code malloc}, {@code mmap},
     * {@code mapped_file}, {@code pool}.
     */
    public String reportName() {
        return reportName;
    }

    /** The kind of a report name, such as {@code "direct_buffer"}. */
    public static Kind fromReportName(String name) {
        for (Kind k : values())
            if (k.reportName.equals(name))
                return k;
        throw new IllegalArgumentException("unknown kind of memory: " + name);
    }

    @Override
    public String toString() {
        return reportName;
    }
}
