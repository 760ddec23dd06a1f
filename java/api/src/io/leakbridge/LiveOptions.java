package io.leakbridge;

import java.time.Duration;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

/**
 * What {@link LeakBridge#liveSince(Mark, LiveOptions)} asks: whether to force a GC first (and
 * wait for Cleaners and finalizers to free what the GC found unreachable), which kinds of
 * memory, and whether allocations made by static initializers count. Immutable; each setter
 * returns a copy.
 */
public final class LiveOptions {
    private final boolean gc;
    private final Duration maxWait;
    private final Set<Kind> kinds;
    private final boolean classInit;
    private final boolean owners;

    private LiveOptions(boolean gc, Duration maxWait, Set<Kind> kinds, boolean classInit,
            boolean owners) {
        this.owners = owners;
        this.gc = gc;
        this.maxWait = maxWait;
        this.kinds = Collections.unmodifiableSet(kinds.isEmpty() ? EnumSet.noneOf(Kind.class)
                : EnumSet.copyOf(kinds));
        this.classInit = classInit;
    }

    /** No GC, every kind, static initializers included. */
    public static LiveOptions defaults() {
        return new LiveOptions(false, Duration.ofSeconds(10), EnumSet.allOf(Kind.class), true, false);
    }

    /** Force a GC and wait for reference processing first: what only waits for a Cleaner is not live. */
    public LiveOptions gc(boolean on) {
        return new LiveOptions(on, maxWait, kinds, classInit, owners);
    }

    /** How long at most to wait, after the forced GC, for Cleaners and finalizers (default 10 s). */
    public LiveOptions maxWait(Duration d) {
        if (d.isNegative())
            throw new IllegalArgumentException("negative wait: " + d);
        return new LiveOptions(gc, d, kinds, classInit, owners);
    }

    /** Only these kinds (none given: every kind). */
    public LiveOptions kinds(Kind... only) {
        return new LiveOptions(gc, maxWait,
                only.length == 0 ? EnumSet.allOf(Kind.class) : EnumSet.copyOf(Arrays.asList(only)),
                classInit, owners);
    }

    /** Whether sites allocated inside a static initializer ({@code <clinit>}) are included. */
    public LiveOptions classInit(boolean include) {
        return new LiveOptions(gc, maxWait, kinds, include, owners);
    }

    /**
     * With {@link #gc(boolean)}: after the GC, walk the heap once to find what holds each site's
     * blocks ({@link Site#heldBy()}), as the agent's {@code owners=on} does for a report. Every
     * Java thread stops for the walk (a safepoint), bounded by the agent's {@code owners_time}.
     */
    public LiveOptions owners(boolean on) {
        return new LiveOptions(gc, maxWait, kinds, classInit, on);
    }

    public boolean owners() {
        return owners;
    }

    public boolean gc() {
        return gc;
    }

    public Duration maxWait() {
        return maxWait;
    }

    public Set<Kind> kinds() {
        return kinds;
    }

    public boolean classInit() {
        return classInit;
    }

    @Override
    public String toString() {
        return "LiveOptions[gc=" + gc + ", maxWait=" + maxWait + ", kinds=" + kinds
                + ", classInit=" + classInit + ", owners=" + owners + "]";
    }
}
