package io.leakbridge;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * Live memory allocated through one stack: the report's site, restricted to the blocks a query
 * asked about (for {@link LeakBridge#liveSince}, those allocated after the mark).
 */
public final class Site {
    private final long id;
    private final Kind kind;
    private final long bytes, count;
    private final boolean estimated;
    private final List<Frame> frames;
    private final boolean overflow;
    private final String overflowModule;
    private final long foldedStacks;
    private final String pool;
    private final List<String> heldBy;

    public Site(long id, Kind kind, long bytes, long count, boolean estimated, List<Frame> frames) {
        this(id, kind, bytes, count, estimated, frames, null);
    }

    /** A site of kind {@link Kind#POOL} names its pool; {@code pool} is null for other kinds. */
    public Site(long id, Kind kind, long bytes, long count, boolean estimated, List<Frame> frames,
            String pool) {
        this(id, kind, bytes, count, estimated, frames, pool, false, null, 0,
                Collections.<String>emptyList());
    }

    private Site(long id, Kind kind, long bytes, long count, boolean estimated, List<Frame> frames,
            String pool, boolean overflow, String overflowModule, long foldedStacks,
            List<String> heldBy) {
        this.pool = pool;
        this.heldBy = Collections.unmodifiableList(new ArrayList<>(heldBy));
        this.overflow = overflow;
        this.overflowModule = overflowModule;
        this.foldedStacks = foldedStacks;
        this.id = id;
        this.kind = kind;
        this.bytes = bytes;
        this.count = count;
        this.estimated = estimated;
        this.frames = Collections.unmodifiableList(new ArrayList<>(frames));
    }

    static Site fromJson(Map<?, ?> m, boolean estimated) {
        List<Frame> frames = new ArrayList<>();
        for (Object f : (List<?>) m.get("frames"))
            frames.add(Frame.fromJson((Map<?, ?>) f));
        Map<?, ?> o = (Map<?, ?>) m.get("overflow");
        return new Site(((Number) m.get("id")).longValue(), Kind.fromReportName((String) m.get("kind")),
                ((Number) m.get("live_bytes")).longValue(), ((Number) m.get("live_count")).longValue(),
                estimated, frames, (String) m.get("pool"), o != null,
                o == null ? null : (String) o.get("module"),
                o == null ? 0 : ((Number) o.get("folded_stacks")).longValue(),
                heldBy((Map<?, ?>) m.get("owners")));
    }

    /** The owners member (docs/report-format.md#owners) as lines a developer reads. */
    private static List<String> heldBy(Map<?, ?> owners) {
        List<String> lines = new ArrayList<>();
        if (owners == null)
            return lines;
        long examined = ((Number) owners.get("examined")).longValue();
        for (Object o : (List<?>) owners.get("paths")) {
            Map<?, ?> p = (Map<?, ?>) o;
            lines.add("held by " + p.get("blocks") + " of " + examined + " blocks: " + p.get("text"));
        }
        Map<?, ?> u = (Map<?, ?>) owners.get("unreachable");
        if (u != null) {
            boolean deferred = Boolean.TRUE.equals(u.get("gc_deferred"));
            List<?> holders = (List<?>) u.get("holders");
            lines.add((deferred ? "gc-deferred: " : "unreachable: ") + u.get("blocks") + " of "
                    + examined + " blocks: no GC root reaches their holder ("
                    + (holders.isEmpty() ? "?" : holders.get(0)) + ")"
                    + (deferred ? "; its Cleaner frees them after a GC" : ""));
        }
        Map<?, ?> none = (Map<?, ?>) owners.get("without_holder");
        if (none != null)
            lines.add("no holder: " + none.get("blocks") + " of " + examined
                    + " blocks: no Java object holds their address");
        Map<?, ?> unknown = (Map<?, ?>) owners.get("unknown");
        if (unknown != null)
            lines.add("no path: " + unknown.get("blocks") + " of " + examined
                    + " blocks: the heap walk ran out of " + unknown.get("reason")
                    + " (owners_time, owners_memory)");
        return lines;
    }

    /**
     * What holds this site's blocks, when the answer was asked with {@link
     * LiveOptions#owners(boolean)} (or the report was written with {@code owners=on}): one line
     * per reference path from a GC root to the objects holding the blocks' addresses ("held by 10
     * of 10 blocks: static LeakyPool.CACHE → java.util.ArrayList.elementData → ..."), and for
     * blocks with no such path why not ("gc-deferred: ...", "no holder: ...", "no path: ...").
     * Empty when not asked.
     */
    public List<String> heldBy() {
        return heldBy;
    }

    /**
     * Whether this is an overflow site: the stacks the agent saw after its {@code max_sites} or
     * {@code max_memory} bound was reached, folded together per kind and module (no frames).
     */
    public boolean isOverflow() {
        return overflow;
    }

    /** The site's id in this JVM's reports (the same site keeps its id in every dump). */
    public long id() {
        return id;
    }

    public Kind kind() {
        return kind;
    }

    /**
     * The pool's tag for a site of kind {@link Kind#POOL} (as the library passed it to {@code
     * leakbridge_pool_alloc}), null for every other kind.
     */
    public String pool() {
        return pool;
    }

    /** Live bytes (an estimate when {@link #estimated()}). */
    public long bytes() {
        return bytes;
    }

    /** Live blocks (an estimate when {@link #estimated()}). */
    public long count() {
        return count;
    }

    /** True when the agent samples ({@code sample} option not 0): figures are unbiased estimates. */
    public boolean estimated() {
        return estimated;
    }

    /** The allocating stack, leaf first: native frames, then Java frames. */
    public List<Frame> frames() {
        return frames;
    }

    /** Whether a Java frame of this stack is {@code className.method}. */
    public boolean hasJavaFrame(String className, String method) {
        for (Frame f : frames)
            if (f.isJava() && f.className().equals(className) && f.methodName().equals(method))
                return true;
        return false;
    }

    /** Whether the allocation happened inside a static initializer ({@code <clinit>}). */
    public boolean inClassInitializer() {
        for (Frame f : frames)
            if (f.isJava() && "<clinit>".equals(f.methodName()))
                return true;
        return false;
    }

    /**
     * The site as a leak report a developer acts on, in the manner of LeakSanitizer:
     * <pre>
     * 1048576 bytes in 1 block (direct_buffer) allocated from:
     *     #0 J jdk.internal.misc.Unsafe.allocateMemory0(Unsafe.java)
     *     #1 J java.nio.DirectByteBuffer.&lt;init&gt;(DirectByteBuffer.java:125)
     * </pre>
     */
    public String describe() {
        return describe(frames.size());
    }

    /** As {@link #describe()}, with the first {@code maxFrames} frames and a count of the rest. */
    public String describe(int maxFrames) {
        int shown = Math.max(0, Math.min(maxFrames, frames.size()));
        StringBuilder b = new StringBuilder();
        b.append(estimated ? "~" : "").append(bytes).append(bytes == 1 ? " byte" : " bytes")
                .append(" in ").append(count).append(count == 1 ? " block (" : " blocks (")
                .append(kind).append(pool != null ? " " + pool : "")
                .append(estimated ? ", estimated" : "").append(") allocated from:");
        if (overflow)
            b.append("\n    (an overflow site: ~").append(foldedStacks).append(" stacks of ")
                    .append(overflowModule != null ? overflowModule : "Java code")
                    .append(" folded here past the agent's max_sites or max_memory; raise them to see each)");
        else if (frames.isEmpty())
            b.append("\n    (no stack captured)");
        for (int i = 0; i < shown; i++)
            b.append("\n    #").append(i).append(' ').append(frames.get(i));
        if (shown < frames.size())
            b.append("\n    ... ").append(frames.size() - shown).append(" more frames");
        for (String line : heldBy)
            b.append("\n    ").append(line);
        return b.toString();
    }

    @Override
    public String toString() {
        return describe();
    }
}
