package io.leakbridge.junit;

/**
 * What {@link NoNativeLeaks} does with a test in which it found no leak while the agent samples
 * (its {@code sample} option is not 0). A sampling agent records about one allocation per
 * {@code sample} bytes allocated, so a leak much smaller than that is most likely not seen:
 * "no leak found" then proves nothing. A leak that is seen fails the test under every policy.
 */
public enum WhenSampled {
    /**
     * The configuration parameter (or system property) {@code leakbridge.junit.when-sampled}
     * ({@code fail} or {@code warn}) when it is set, else {@link #FAIL}.
     */
    DEFAULT,
    /**
     * Fail the test, saying that the agent samples and what to do: run the test JVM with the
     * agent's {@code sample=0}, or choose {@link #WARN}.
     */
    FAIL,
    /**
     * Judge on what was sampled: the test passes, with a warning on stderr (once per JVM) and a
     * report entry ({@code leakbridge.sampled}) on the test.
     */
    WARN
}
