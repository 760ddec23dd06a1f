package owners;

import io.leakbridge.junit.NoNativeLeaks;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Issue 20's new user: a test that keeps 10 direct buffers in a static cache fails, and its
 * message says what holds them (the static field CACHE of LeakyPool), not only where they were
 * allocated. The extension switches the heap walk on for its check by itself.
 */
@NoNativeLeaks
class LeakyPoolTest {
    @Test
    void keepsBuffersInStaticCache() {
        for (int i = 0; i < 10; i++)
            LeakyPool.acquire(16 * 1024);
    }
}

class LeakyPool {
    static final List<ByteBuffer> CACHE = new ArrayList<>();

    static ByteBuffer acquire(int size) {
        ByteBuffer b = ByteBuffer.allocateDirect(size);
        CACHE.add(b);
        return b;
    }
}
