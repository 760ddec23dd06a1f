package com.example;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * A test JVM of the CI recipe in docs/cli.md (tests/cli/test_ci_recipe.py), in the version
 * with the leak: every frame encode() makes stays in FRAMES, which nothing clears.
 */
public class CodecTest {
    static final List<ByteBuffer> FRAMES = new ArrayList<>();

    static ByteBuffer encode(int value) {
        ByteBuffer frame = ByteBuffer.allocateDirect(4096);
        frame.putInt(0, value);
        FRAMES.add(frame);
        return frame;
    }

    public static void main(String[] args) {
        for (int i = 0; i < 100; i++) {
            if (encode(i).getInt(0) != i) {
                throw new AssertionError("encoded " + i + " wrong");
            }
        }
        System.out.println("CodecTest: 100 frames encoded");
    }
}
