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
 * start or end, as in LeakSanitizer (see {@link #matches}).
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
            String pattern = line.substring("leak:".length()).trim();
            if (pattern.indexOf('\0') >= 0)
                throw new IllegalArgumentException(source + ":" + n + ": a NUL byte in the line");
            if (pattern.equals("^") || pattern.equals("$") || pattern.equals("^$"))
                // It would match every frame, so a typo would pass every leak.
                throw new IllegalArgumentException(source + ":" + n + ": '" + line
                        + "' has no pattern between its anchors");
            patterns.add(pattern);
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

    /**
     * The template match of {@code leakbridge check} (cli/suppressions.c): {@code *} matches any
     * run of characters, a leading {@code ^} anchors the pattern at the start of the text and a
     * trailing {@code $} at its end; otherwise it may match anywhere. A {@code $} before the end
     * is an ordinary character ({@code Outer$Inner}).
     */
    public static boolean matches(String pattern, String text) {
        if (text == null || text.isEmpty() || pattern.isEmpty() || pattern.equals("^")
                || pattern.equals("$") || pattern.equals("^$"))
            return false; // as in LeakSanitizer, an anchor-only pattern matches nothing
        boolean start = pattern.startsWith("^");
        String body = pattern.substring(start ? 1 : 0);
        boolean end = body.endsWith("$");
        if (end)
            body = body.substring(0, body.length() - 1);
        return glob((start ? "" : "*") + body + (end ? "" : "*"), text);
    }

    /** Whether all of text matches p, in which {@code *} matches any run of characters. */
    private static boolean glob(String p, String t) {
        int i = 0, j = 0, star = -1, retry = -1;
        while (j < t.length()) {
            if (i < p.length() && p.charAt(i) == '*') {
                star = i++;
                retry = j;
            } else if (i < p.length() && p.charAt(i) == t.charAt(j)) {
                i++;
                j++;
            } else if (star >= 0) {
                i = star + 1;
                j = ++retry;
            } else {
                return false;
            }
        }
        while (i < p.length() && p.charAt(i) == '*')
            i++;
        return i == p.length();
    }

    @Override
    public String toString() {
        return "Suppressions" + patterns;
    }
}
