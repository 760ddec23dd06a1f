package suite;

import io.leakbridge.junit.NoNativeLeaks;
import org.junit.jupiter.api.Test;

/** Fails without the agent (failWithoutAgent), passes with it. */
@NoNativeLeaks(failWithoutAgent = true)
class RequiresAgentTest {
    @Test
    void needsTheAgent() {
    }
}
