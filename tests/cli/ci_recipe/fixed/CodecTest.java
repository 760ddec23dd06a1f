package com.example;

import java.nio.ByteBuffer;

/**
 * A test JVM of the CI recipe in docs/cli.md (tests/cli/test_ci_recipe.py), in the version
 * with the leak fixed: encode() keeps no frame.
 */
public class CodecTest {
    static ByteBuffer encode(int value) {
        ByteBuffer frame = ByteBuffer.allocateDirect(4096);
        frame.putInt(0, value);
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
