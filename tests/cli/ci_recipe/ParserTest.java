package com.example;

import java.nio.ByteBuffer;

/**
 * A test JVM of the CI recipe in docs/cli.md (tests/cli/test_ci_recipe.py): reads with direct
 * buffers it drops, memory that only waits for a GC, which the exit report's forced GC (gc=on)
 * releases. Clean.
 */
public class ParserTest {
    static int parse(int value) {
        ByteBuffer input = ByteBuffer.allocateDirect(8192);
        input.putInt(0, value);
        return input.getInt(0);
    }

    public static void main(String[] args) {
        for (int i = 0; i < 200; i++) {
            if (parse(i) != i) {
                throw new AssertionError("parsed " + i + " wrong");
            }
        }
        System.out.println("ParserTest: 200 inputs parsed");
    }
}
