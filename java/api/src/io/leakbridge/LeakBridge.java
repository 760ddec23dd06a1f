package io.leakbridge;

import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * The leakbridge agent, seen from Java. Works with and without the agent: without it
 * {@link #isActive()} is false, {@link #dump} returns null, {@link #mark()} returns an inactive
 * mark and {@link #liveSince} an empty list; nothing throws {@link UnsatisfiedLinkError}.
 *
 * <p>The natives are registered by the agent itself when this class is prepared (or, when the
 * agent is attached later, at attach time); the jar carries no native library.
 *
 * <pre>
 * Mark mark = LeakBridge.mark();
 * runTheCodePath();
 * List&lt;Site&gt; leaked = LeakBridge.liveSince(mark, LiveOptions.defaults().gc(true));
 * </pre>
 */
public final class LeakBridge {
    /** Set by the static initializer, or by the agent when it is attached to a running JVM. */
    private static volatile boolean active;

    static {
        boolean a = false;
        try {
            a = active0();
        } catch (UnsatisfiedLinkError noAgent) {
            // No agent: every call answers as documented.
        }
        if (a)
            active = true;
    }

    private LeakBridge() {
    }

    private static native boolean active0();

    private static native long mark0();

    private static native String liveSince0(long mark, boolean gc, long maxWaitMillis,
            boolean owners);

    private static native String dump0(String path, boolean gc);

    private static native long sample0();

    /** Whether the leakbridge agent is loaded in this JVM and serves this class. */
    public static boolean isActive() {
        return active;
    }

    /**
     * The agent's {@code sample} option: 0 when every allocation is recorded exactly, otherwise
     * the mean bytes between samples (figures are then estimates); -1 without the agent.
     */
    public static long sampleMean() {
        return active ? sample0() : -1;
    }

    /**
     * Writes a report now (reason {@code api}) to the agent's {@code output=} pattern.
     *
     * @return the absolute path written, or null without the agent
     * @throws IOException if the agent could not write it (it says why on stderr too)
     */
    public static Path dump() throws IOException {
        return dump(null, false);
    }

    /** Writes a report now (reason {@code api}) to {@code path}; see {@link #dump()}. */
    public static Path dump(Path path) throws IOException {
        return dump(path, false);
    }

    /**
     * Writes a report now (reason {@code api}) to {@code path}, or to the {@code output=} pattern
     * when path is null; with {@code gc} first forces a GC and waits for reference processing,
     * so that memory only waiting for a Cleaner is not reported.
     *
     * @return the absolute path written, or null without the agent
     * @throws IOException if the agent could not write the report
     */
    public static Path dump(Path path, boolean gc) throws IOException {
        if (!active)
            return null;
        String target = path == null ? null : path.toAbsolutePath().toString();
        String written = dump0(target, gc);
        if (written == null)
            throw new IOException("leakbridge could not write the report"
                    + (target != null ? " to " + target : "") + " (the agent's line on stderr says why)");
        return Paths.get(written);
    }

    /**
     * A point in time: blocks allocated after this returns are "since" it. Waits for the next
     * tick of the agent's clock (a few milliseconds at most). Without the agent, an inactive mark
     * at once.
     */
    public static Mark mark() {
        if (!active)
            return new Mark(0, false);
        return new Mark(mark0(), true);
    }

    /** {@link #liveSince(Mark, LiveOptions)} with {@link LiveOptions#defaults()} (no GC). */
    public static List<Site> liveSince(Mark mark) {
        return liveSince(mark, LiveOptions.defaults());
    }

    /**
     * The sites with memory allocated after {@code mark} (on any thread) and still live now,
     * largest first, filtered by {@code options}; with {@link LiveOptions#gc(boolean)} after a
     * forced GC and reference processing. Empty without the agent. A mark taken without the agent
     * counts as the agent's start. With the agent's {@code sample} option not 0 the figures are
     * estimates ({@link Site#estimated()}); use {@code sample=0} for exact assertions.
     */
    public static List<Site> liveSince(Mark mark, LiveOptions options) {
        if (!active)
            return Collections.emptyList();
        long maxWait = Math.max(0, Math.min(options.maxWait().toMillis(), Integer.MAX_VALUE));
        Map<?, ?> answer = (Map<?, ?>) Json.parse(
                liveSince0(mark.time(), options.gc(), maxWait, options.owners()));
        boolean estimated = ((Number) answer.get("sample")).longValue() != 0;
        List<Site> sites = new ArrayList<>();
        for (Object o : (List<?>) answer.get("sites")) {
            Site site = Site.fromJson((Map<?, ?>) o, estimated);
            if (options.kinds().contains(site.kind())
                    && (options.classInit() || !site.inClassInitializer()))
                sites.add(site);
        }
        return Collections.unmodifiableList(sites);
    }

    /** Total live bytes of these sites. */
    public static long totalBytes(List<Site> sites) {
        long n = 0;
        for (Site s : sites)
            n += s.bytes();
        return n;
    }

    /** Every site's {@link Site#describe()}, separated by blank lines. */
    public static String describe(List<Site> sites) {
        StringBuilder b = new StringBuilder();
        for (Site s : sites) {
            if (b.length() > 0)
                b.append("\n\n");
            b.append(s.describe());
        }
        return b.toString();
    }
}
