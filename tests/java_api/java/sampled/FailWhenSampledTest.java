package sampled;

import io.leakbridge.junit.NoNativeLeaks;
import io.leakbridge.junit.WhenSampled;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/**
 * whenSampled = FAIL on the annotation wins over leakbridge.junit.when-sampled=warn: under
 * sampling this clean test fails (nothing found proves nothing); with sample=0 it passes.
 */
@NoNativeLeaks(whenSampled = WhenSampled.FAIL)
class FailWhenSampledTest {
    @Test
    void freesEverything() {
        ByteBuffer scratch = ByteBuffer.allocateDirect(4096); // freed by its Cleaner after GC
        scratch.putInt(42);
    }
}
