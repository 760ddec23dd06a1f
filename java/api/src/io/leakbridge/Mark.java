package io.leakbridge;

/**
 * A point in time of the agent's clock, from {@link LeakBridge#mark()}: every block allocated
 * after {@code mark()} returned is stamped at or after it, every block allocated before the call
 * earlier. Meaningful only in the JVM that took it.
 */
public final class Mark {
    private final long time;
    private final boolean active;

    Mark(long time, boolean active) {
        this.time = time;
        this.active = active;
    }

    /** Milliseconds since the agent started; 0 for a mark taken without the agent. */
    public long time() {
        return time;
    }

    /** False when the mark was taken without the agent. */
    public boolean isActive() {
        return active;
    }

    @Override
    public String toString() {
        return active ? "Mark[" + time + " ms]" : "Mark[no agent]";
    }
}
