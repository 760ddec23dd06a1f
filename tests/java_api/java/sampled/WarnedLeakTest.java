package sampled;

import io.leakbridge.junit.NoNativeLeaks;
import io.leakbridge.junit.WhenSampled;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * whenSampled = WARN: under sampling the small leak passes with a warning (no sample fell on
 * it, most likely), while a 64 MiB leak, which a sample always falls on at the default mean of
 * 2 MiB (all but e^-32), still fails: a leak that is seen is a leak. With sample=0 both fail.
 */
@NoNativeLeaks(whenSampled = WhenSampled.WARN)
class WarnedLeakTest {
    static final List<ByteBuffer> KEPT = new ArrayList<>();

    @Test
    void leaksSmallBuffers() {
        for (int i = 0; i < 10; i++)
            KEPT.add(ByteBuffer.allocateDirect(4096));
    }

    @Test
    void leaksLargeBuffer() {
        KEPT.add(ByteBuffer.allocateDirect(64 << 20));
    }
}
