import io.leakbridge.Frame;
import io.leakbridge.Kind;
import io.leakbridge.Site;
import io.leakbridge.Suppressions;
import java.util.Arrays;

/**
 * The suppression rule of the jar, which must be that of `leakbridge check`: prints one line per
 * case, "ok" or "WRONG", and exits 1 on any wrong answer.
 */
public class SuppressionsCheck {
    static int wrong;

    static void expect(String pattern, String text, boolean want) {
        boolean got = Suppressions.matches(pattern, text);
        System.out.println((got == want ? "ok    " : "WRONG ") + pattern + " ~ " + text + " = " + got);
        if (got != want)
            wrong++;
    }

    public static void main(String[] args) {
        expect("Parquet", "org.example.ParquetReader.readPage", true);          // substring
        expect("ParquetReader.readPage", "org.example.ParquetReader.readPage", true);
        expect("org.*.readPage", "org.example.ParquetReader.readPage", true);   // wildcard
        expect("org.*.close", "org.example.ParquetReader.readPage", false);
        expect("^org.example", "org.example.ParquetReader.readPage", true);     // anchors
        expect("^example", "org.example.ParquetReader.readPage", false);
        expect("readPage$", "org.example.ParquetReader.readPage", true);
        expect("Reader$", "org.example.ParquetReader.readPage", false);
        expect("^ZSTD_createDStream$", "ZSTD_createDStream", true);
        expect("^ZSTD_create$", "ZSTD_createDStream", false);
        expect("Outer$Inner.run", "a.Outer$Inner.run", true);                   // '$' inside is literal
        expect("Outer$Inner", "a.OuterInner.run", false);
        expect("libzstd*.so", "/usr/lib/x86_64-linux-gnu/libzstd.so.1.5.4", true);
        expect("*", "anything", true);
        expect("x", "", false);
        expect("x", null, false);

        Site zstd = new Site(1, Kind.MALLOC, 96000, 1, false, Arrays.asList(
                Frame.nativeFrame("/usr/lib/x86_64-linux-gnu/libzstd.so.1.5.4", "ZSTD_createDStream", "0x8bcc0"),
                Frame.java("com.github.luben.zstd.ZstdInputStreamNoFinalizer", "<init>", "()V", null, 72),
                Frame.java("org.example.Reader", "open", "()V", "Reader.java", 10)));
        Suppressions s = Suppressions.parse("# comment", "", "leak:Reader.open");
        check(s.match(zstd), "Reader.open");
        check(Suppressions.parse("leak:libzstd.so").match(zstd), "libzstd.so");           // module path
        check(Suppressions.parse("leak:^ZSTD_createDStream$").match(zstd), "^ZSTD_createDStream$");
        check(Suppressions.parse("leak:Writer").match(zstd), null);
        try {
            Suppressions.parse("leek:Reader");
            check("parsed", "an error");
        } catch (IllegalArgumentException e) {
            check(e.getMessage(), "suppressions:1: expected leak:PATTERN, not 'leek:Reader'");
        }
        // Anchor-only patterns would match every frame: refused (and never matching).
        for (String anchors : new String[] {"$", "^", "^$"}) {
            try {
                Suppressions.parse("# comment", "leak:" + anchors);
                check("parsed leak:" + anchors, "an error");
            } catch (IllegalArgumentException e) {
                check(e.getMessage(), "suppressions:2: 'leak:" + anchors
                        + "' has no pattern between its anchors");
            }
            check(String.valueOf(Suppressions.matches(anchors, "Reader.open")), "false");
        }
        System.out.println(wrong == 0 ? "all cases right" : wrong + " cases wrong");
        System.exit(wrong == 0 ? 0 : 1);
    }

    static void check(String got, String want) {
        boolean same = got == null ? want == null : got.equals(want);
        System.out.println((same ? "ok    " : "WRONG ") + "got " + got + ", want " + want);
        if (!same)
            wrong++;
    }
}
