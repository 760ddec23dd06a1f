package io.leakbridge;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * Suppressions in the format of {@code leakbridge check --suppressions FILE}, which is
 * LeakSanitizer's: one {@code leak:PATTERN} a line, {@code #} starts a comment, blank lines are
 * ignored. A site is suppressed when a pattern matches one of its frames' {@code class.method}
 * (Java), symbol (native) or module path (native). A pattern matches as a substring; {@code *}
 * matches any run of characters; a leading {@code ^} or trailing {@code $} anchors it to the
 * start or end, as in LeakSanitizer.
 */
public final class Suppressions {
    private final List<String> patterns;

    private Suppressions(List<String> patterns) {
        this.patterns = Collections.unmodifiableList(patterns);
    }

    public static Suppressions none() {
        return new Suppressions(new ArrayList<>());
    }

    /** Parses suppression lines; throws IllegalArgumentException naming a line that is not one. */
    public static Suppressions parse(List<String> lines, String source) {
        List<String> patterns = new ArrayList<>();
        int n = 0;
        for (String raw : lines) {
            n++;
            String line = raw.trim();
            if (line.isEmpty() || line.startsWith("#"))
                continue;
            if (!line.startsWith("leak:") || line.length() == "leak:".length())
                throw new IllegalArgumentException(source + ":" + n + ": expected leak:PATTERN, not '"
                        + line + "'");
            patterns.add(line.substring("leak:".length()).trim());
        }
        return new Suppressions(patterns);
    }

    public static Suppressions parse(String... lines) {
        return parse(Arrays.asList(lines), "suppressions");
    }

    public static Suppressions read(Path file) throws IOException {
        return parse(Files.readAllLines(file, StandardCharsets.UTF_8), file.toString());
    }

    /** These suppressions and those of other. */
    public Suppressions and(Suppressions other) {
        List<String> all = new ArrayList<>(patterns);
        all.addAll(other.patterns);
        return new Suppressions(all);
    }

    public List<String> patterns() {
        return patterns;
    }

    /** The first pattern that suppresses the site, or null. */
    public String match(Site site) {
        for (String p : patterns)
            for (Frame f : site.frames()) {
                if (f.isJava() ? matches(p, f.function())
                        : matches(p, f.symbol()) || matches(p, f.module()))
                    return p;
            }
        return null;
    }

    /** LeakSanitizer's TemplateMatch: chunks between {@code *} in order, {@code ^}/{@code $} anchors. */
    public static boolean matches(String pattern, String text) {
        if (text == null || text.isEmpty())
            return false;
        int t = 0, s = 0;
        boolean anchored = false, star = false;
        if (pattern.startsWith("^")) {
            anchored = true;
            t = 1;
        }
        while (t < pattern.length()) {
            char c = pattern.charAt(t);
            if (c == '*') {
                t++;
                anchored = false;
                star = true;
                continue;
            }
            if (c == '$')
                return s == text.length() || star;
            if (s == text.length())
                return false;
            int end = t;
            while (end < pattern.length() && pattern.charAt(end) != '*' && pattern.charAt(end) != '$')
                end++;
            String chunk = pattern.substring(t, end);
            int found = text.indexOf(chunk, s);
            if (found < 0 || (anchored && found != s))
                return false;
            s = found + chunk.length();
            t = end;
            anchored = false;
            star = false;
        }
        return true;
    }

    @Override
    public String toString() {
        return "Suppressions" + patterns;
    }
}
