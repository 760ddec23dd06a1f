package io.leakbridge;

import java.util.Map;

/**
 * One frame of an allocating stack, as in the report's {@code frames}: a Java frame (class,
 * method, signature, source file, line) or a native frame (module, symbol, offset from the
 * module's load base, which {@code addr2line -f -e MODULE OFFSET} understands).
 */
public final class Frame {
    private final boolean java;
    private final String className, method, signature, file;
    private final int line;
    private final String module, symbol, offset;

    private Frame(boolean java, String className, String method, String signature, String file,
            int line, String module, String symbol, String offset) {
        this.java = java;
        this.className = className;
        this.method = method;
        this.signature = signature;
        this.file = file;
        this.line = line;
        this.module = module;
        this.symbol = symbol;
        this.offset = offset;
    }

    /** A Java frame; {@code line} is -1 when unknown. */
    public static Frame java(String className, String method, String signature, String file,
            int line) {
        return new Frame(true, className, method, signature, file, line, null, null, null);
    }

    /** A native frame; {@code module} and {@code symbol} may be null (unknown, stripped). */
    public static Frame nativeFrame(String module, String symbol, String offset) {
        return new Frame(false, null, null, null, null, -1, module, symbol, offset);
    }

    static Frame fromJson(Map<?, ?> m) {
        if ("java".equals(m.get("type"))) {
            Object line = m.get("line");
            return java((String) m.get("class"), (String) m.get("method"),
                    (String) m.get("signature"), (String) m.get("file"),
                    line instanceof Number ? ((Number) line).intValue() : -1);
        }
        return nativeFrame((String) m.get("module"), (String) m.get("symbol"),
                (String) m.get("offset"));
    }

    public boolean isJava() {
        return java;
    }

    public boolean isNative() {
        return !java;
    }

    /** Java: dotted binary name of the declaring class ({@code a.b.Outer$Inner}); else null. */
    public String className() {
        return className;
    }

    /** Java: method name, {@code <init>} for constructors, {@code <clinit>} for static initializers. */
    public String methodName() {
        return method;
    }

    /** Java: the JVM method descriptor, e.g. {@code (JI)V}, or null. */
    public String signature() {
        return signature;
    }

    /** Java: source file name, or null. */
    public String file() {
        return file;
    }

    /** Java: source line, or -1. */
    public int line() {
        return line;
    }

    /** Native: path of the ELF object, or null when no loaded object holds the address. */
    public String module() {
        return module;
    }

    /** Native: the function, not demangled, or null. */
    public String symbol() {
        return symbol;
    }

    /** Native: {@code 0x...}, relative to the module's load base. */
    public String offset() {
        return offset;
    }

    /** {@code class.method} for a Java frame, the symbol (or {@code ?}) for a native one. */
    public String function() {
        if (java)
            return className + "." + method;
        return symbol != null ? symbol : "?";
    }

    /**
     * One line, as {@code leakbridge top} prints it: {@code J a.b.C.m(C.java:12)} or
     * {@code N ZSTD_createDStream (/usr/lib/x86_64-linux-gnu/libzstd.so.1.5.4+0x8bcc0)}.
     */
    @Override
    public String toString() {
        if (java) {
            String where = file == null ? "Unknown Source" : line >= 0 ? file + ":" + line : file;
            return "J " + className + "." + method + "(" + where + ")";
        }
        return "N " + function() + " (" + (module != null ? module : "?") + "+" + offset + ")";
    }
}
