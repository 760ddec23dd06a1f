package io.leakbridge.junit;

import io.leakbridge.Kind;
import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Fails a test that leaves native memory behind: off-heap memory (direct buffers, Unsafe, malloc
 * and mmap in JNI libraries) allocated during the test, its {@code @BeforeEach} and
 * {@code @AfterEach} methods included, and still live when they are over, after a forced GC and
 * reference processing. The failure message lists each leaking site with bytes, blocks and the
 * mixed Java and native stack.
 *
 * <p>On a class it applies to every test method; on a method it overrides the class's. Needs the
 * leakbridge agent with exact recording ({@code -agentpath:.../libleakbridge.so=sample=0}). When
 * the agent samples (its default, {@code sample=2m}) a leak smaller than the sampling mean is
 * most likely not seen, so a test in which no leak was found fails, saying why, unless
 * {@link #whenSampled()} (or {@code leakbridge.junit.when-sampled=warn}) asks for a warning; a
 * leak that is seen fails the test either way. Tests must run one at a time: with
 * {@code junit.jupiter.execution.parallel.enabled=true} the extension refuses to run (the agent
 * cannot tell which concurrent test allocated a block). Allocations made by static initializers
 * ({@code <clinit>}) are not counted against a test. See docs/java-api.md.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(NoNativeLeaksExtension.class)
public @interface NoNativeLeaks {
    /** Live bytes a test may leave behind, over all unsuppressed sites, without failing. */
    long toleratedBytes() default 0;

    /** Kinds of memory checked; empty means every kind. */
    Kind[] kinds() default {};

    /**
     * Suppressions, each {@code leak:PATTERN} as in {@code leakbridge check --suppressions}: a
     * site is ignored when a pattern matches one of its frames' {@code class.method}, native
     * symbol or module path ({@code *} wildcards, substring otherwise).
     */
    String[] suppressions() default {};

    /**
     * A suppressions file in the same format: a file path, or a class path resource when no such
     * file exists. Empty: none (beyond the configuration parameter
     * {@code leakbridge.junit.suppressions}, which names a file for every test).
     */
    String suppressionsFile() default "";

    /**
     * Fail the test when the agent is not loaded (default: print a warning and pass). The
     * configuration parameter {@code leakbridge.junit.require-agent=true} sets it for every test.
     */
    boolean failWithoutAgent() default false;

    /**
     * What to do with a test in which no leak was found while the agent samples ({@code sample}
     * not 0), so that a leak below the sampling resolution could have been missed:
     * {@link WhenSampled#FAIL} the test (the default), or {@link WhenSampled#WARN} and judge on
     * what was sampled. {@link WhenSampled#DEFAULT} takes the configuration parameter
     * {@code leakbridge.junit.when-sampled} ({@code fail} or {@code warn}), else fails. The
     * extension never switches the agent to exact recording: run the test JVM with
     * {@code sample=0} for that.
     */
    WhenSampled whenSampled() default WhenSampled.DEFAULT;

    /** How long at most to wait for Cleaners and finalizers after the forced GC. */
    long gcWaitMillis() default 10_000;
}
