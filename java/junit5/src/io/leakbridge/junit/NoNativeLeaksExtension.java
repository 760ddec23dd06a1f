package io.leakbridge.junit;

import io.leakbridge.Frame;
import io.leakbridge.LeakBridge;
import io.leakbridge.LiveOptions;
import io.leakbridge.Mark;
import io.leakbridge.Site;
import io.leakbridge.Suppressions;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.AnnotatedElement;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The extension behind {@link NoNativeLeaks}: a mark before each test (before its
 * {@code @BeforeEach} methods), and after its {@code @AfterEach} methods a forced GC and the
 * sites allocated since the mark that are still live. When none is over the tolerance and the
 * agent samples, the verdict could have missed a leak: the test then fails, or passes with a
 * warning, as {@link NoNativeLeaks#whenSampled()} says.
 */
public class NoNativeLeaksExtension implements BeforeEachCallback, AfterEachCallback {
    /** Configuration parameter (or system property): fail every test when the agent is absent. */
    public static final String REQUIRE_AGENT = "leakbridge.junit.require-agent";
    /** Configuration parameter (or system property): a suppressions file for every test. */
    public static final String SUPPRESSIONS = "leakbridge.junit.suppressions";
    /**
     * Configuration parameter (or system property), {@code fail} or {@code warn}: what to do with
     * a test in which no leak was found while the agent samples, for every test whose annotation
     * leaves {@link NoNativeLeaks#whenSampled()} at {@link WhenSampled#DEFAULT}.
     */
    public static final String WHEN_SAMPLED = "leakbridge.junit.when-sampled";
    static final String PARALLEL = "junit.jupiter.execution.parallel.enabled";

    /**
     * Always suppressed: the JDK's per-thread cache of temporary direct buffers, which any
     * channel I/O with a heap buffer fills once per thread and keeps for reuse.
     */
    static final Suppressions BUILT_IN = Suppressions.parse(
            "leak:sun.nio.ch.Util.getTemporaryDirectBuffer");

    private static final ExtensionContext.Namespace NS =
            ExtensionContext.Namespace.create(NoNativeLeaksExtension.class);
    private static volatile boolean warnedAbsent;
    private static volatile boolean warnedSampled;

    private static final class Scope {
        final NoNativeLeaks config;
        final Suppressions suppressions;
        final long sampleMean;
        final WhenSampled whenSampled;
        final Mark mark;

        Scope(NoNativeLeaks config, Suppressions suppressions, long sampleMean,
                WhenSampled whenSampled, Mark mark) {
            this.config = config;
            this.suppressions = suppressions;
            this.sampleMean = sampleMean;
            this.whenSampled = whenSampled;
            this.mark = mark;
        }
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        NoNativeLeaks config = find(context);
        if (config == null)
            return;
        if (context.getConfigurationParameter(PARALLEL).map(Boolean::parseBoolean).orElse(false))
            throw new ExtensionConfigurationException("@NoNativeLeaks needs tests that run one at a"
                    + " time, but " + PARALLEL + "=true: the agent sees the allocations of every"
                    + " thread and cannot tell which concurrent test made them. Run the tests that"
                    + " use @NoNativeLeaks in a JVM without parallel execution (docs/java-api.md).");
        if (!LeakBridge.isActive()) {
            boolean require = config.failWithoutAgent() || context.getConfigurationParameter(
                    REQUIRE_AGENT).map(Boolean::parseBoolean).orElse(false);
            String what = "the leakbridge agent is not loaded, so @NoNativeLeaks checks nothing"
                    + " (add -agentpath:/path/to/libleakbridge.so=sample=0 to the test JVM)";
            if (require)
                throw new ExtensionConfigurationException(what);
            if (!warnedAbsent) {
                warnedAbsent = true;
                System.err.println("leakbridge: warning: " + what);
            }
            context.publishReportEntry("leakbridge", "agent not loaded: nothing checked");
            return;
        }
        WhenSampled whenSampled = whenSampled(config, context);
        // Read files before the mark: the I/O itself must not count against the test.
        Suppressions suppressions = suppressions(config, context);
        context.getStore(NS).put(Scope.class, new Scope(config, suppressions,
                LeakBridge.sampleMean(), whenSampled, LeakBridge.mark()));
    }

    @Override
    public void afterEach(ExtensionContext context) {
        Scope scope = context.getStore(NS).remove(Scope.class, Scope.class);
        if (scope == null)
            return;
        NoNativeLeaks config = scope.config;
        LiveOptions options = LiveOptions.defaults().gc(true)
                .maxWait(Duration.ofMillis(config.gcWaitMillis())).kinds(config.kinds())
                .classInit(false).owners(true); /* the message says what holds the leak */
        List<Site> leaked = new ArrayList<>();
        List<String> suppressed = new ArrayList<>();
        for (Site site : LeakBridge.liveSince(scope.mark, options)) {
            String pattern = scope.suppressions.match(site);
            if (pattern == null)
                leaked.add(site);
            else
                suppressed.add(site.bytes() + " bytes (" + site.kind() + ") by leak:" + pattern);
        }
        if (!suppressed.isEmpty())
            context.publishReportEntry("leakbridge.suppressed", String.join("; ", suppressed));
        long bytes = LeakBridge.totalBytes(leaked);
        if (!leaked.isEmpty() && bytes > config.toleratedBytes()) // a leak seen is a leak
            throw new AssertionError(message(context, leaked, bytes, config, suppressed.size()));
        if (scope.sampleMean <= 0)
            return; // exact: nothing over the tolerance means nothing over the tolerance
        // Sampled: a leak far below the mean is most likely not seen, so this proves nothing.
        if (scope.whenSampled == WhenSampled.WARN) {
            if (!warnedSampled) {
                warnedSampled = true;
                System.err.println("leakbridge: warning: " + sampledWarning(scope.sampleMean));
            }
            context.publishReportEntry("leakbridge.sampled", "no leak seen, but the agent"
                    + " samples (sample=" + sizeOption(scope.sampleMean) + "): a leak much"
                    + " smaller than " + sizeText(scope.sampleMean) + " is most likely not seen");
            return;
        }
        throw new ExtensionConfigurationException(sampledFailure(context, scope.sampleMean,
                config.toleratedBytes()));
    }

    /** Why a test under a sampling agent fails (policy FAIL), and what to do. */
    static String sampledFailure(ExtensionContext context, long mean, long tolerated) {
        return "@NoNativeLeaks found no leak" + (tolerated > 0 ? " over the tolerated "
                + tolerated + " bytes" : "") + " in " + testName(context) + ", but cannot vouch"
                + " for it: " + samplingText(mean) + ". Run the test JVM with the agent's"
                + " sample=0 (-agentpath:/path/to/libleakbridge.so=sample=0) to record every"
                + " allocation exactly, or accept a verdict on what was sampled with"
                + " @NoNativeLeaks(whenSampled = WhenSampled.WARN) or the configuration"
                + " parameter " + WHEN_SAMPLED + "=warn (docs/java-api.md)";
    }

    /** The warning printed once per JVM under policy WARN. */
    static String sampledWarning(long mean) {
        return samplingText(mean) + ": @NoNativeLeaks judges on what was sampled"
                + " (whenSampled = WARN) and passes a test whose leak no sample fell on. Run"
                + " the test JVM with the agent's sample=0 for exact verdicts";
    }

    private static String samplingText(long mean) {
        return "the leakbridge agent samples (sample=" + sizeOption(mean) + ": about one"
                + " allocation recorded per " + sizeText(mean) + " allocated), so a leak much"
                + " smaller than " + sizeText(mean) + " is most likely not seen";
    }

    /** The mean as the agent's option would spell it: 2m, 512k, 1000. */
    static String sizeOption(long bytes) {
        String[] units = {"g", "m", "k"};
        for (int i = 0; i < units.length; i++) {
            long unit = 1L << (30 - 10 * i);
            if (bytes % unit == 0)
                return bytes / unit + units[i];
        }
        return Long.toString(bytes);
    }

    /** The mean for people: 2 MiB, 512 KiB, 1000 bytes. */
    static String sizeText(long bytes) {
        String[] units = {" GiB", " MiB", " KiB"};
        for (int i = 0; i < units.length; i++) {
            long unit = 1L << (30 - 10 * i);
            if (bytes % unit == 0)
                return bytes / unit + units[i];
        }
        return bytes + " bytes";
    }

    /** The annotation's policy, else the configuration parameter's, else FAIL. */
    static WhenSampled whenSampled(NoNativeLeaks config, ExtensionContext context) {
        if (config.whenSampled() != WhenSampled.DEFAULT)
            return config.whenSampled();
        String value = context.getConfigurationParameter(WHEN_SAMPLED).orElse("").trim();
        switch (value.toLowerCase(Locale.ROOT)) {
        case "":
        case "fail":
            return WhenSampled.FAIL;
        case "warn":
            return WhenSampled.WARN;
        default:
            throw new ExtensionConfigurationException("@NoNativeLeaks: " + WHEN_SAMPLED + "="
                    + value + " is neither fail nor warn");
        }
    }

    static String message(ExtensionContext context, List<Site> leaked, long bytes,
            NoNativeLeaks config, int suppressed) {
        long blocks = 0;
        for (Site s : leaked)
            blocks += s.count();
        boolean estimated = leaked.get(0).estimated();
        StringBuilder b = new StringBuilder();
        b.append("native memory leaked by ").append(testName(context)).append(": ")
                .append(estimated ? "~" : "").append(bytes).append(" bytes in ").append(blocks)
                .append(blocks == 1 ? " block" : " blocks").append(" at ").append(leaked.size())
                .append(leaked.size() == 1 ? " site" : " sites").append(" still live after GC");
        if (config.toleratedBytes() > 0)
            b.append(" (tolerated: ").append(config.toleratedBytes()).append(" bytes)");
        if (estimated)
            b.append(" (estimated from samples: run the agent with sample=0 for exact figures,"
                    + " and for leaks no sample fell on)");
        String testClass = context.getTestClass().map(Class::getName).orElse(null);
        for (Site s : leaked)
            b.append("\n\n").append(s.describe(framesToShow(s, testClass)));
        if (suppressed > 0)
            b.append("\n\n(").append(suppressed).append(suppressed == 1 ? " site" : " sites")
                    .append(" suppressed)");
        return b.toString();
    }

    /**
     * Frames up to the outermost one in the test class (nested classes included): what lies
     * below is the test framework. Without such a frame (another thread), the first 32.
     */
    static int framesToShow(Site site, String testClass) {
        int last = -1;
        for (int i = 0; i < site.frames().size(); i++) {
            Frame f = site.frames().get(i);
            if (testClass != null && f.isJava() && (f.className().equals(testClass)
                    || f.className().startsWith(testClass + "$")))
                last = i;
        }
        return last >= 0 ? last + 1 : 32;
    }

    private static String testName(ExtensionContext context) {
        String cls = context.getTestClass().map(Class::getName).orElse("?");
        return cls + "." + context.getTestMethod().map(Method::getName).orElse("?") + "()";
    }

    /** The method's annotation, else the nearest on its class, superclasses or enclosing classes. */
    static NoNativeLeaks find(ExtensionContext context) {
        Optional<Method> method = context.getTestMethod();
        if (method.isPresent() && method.get().isAnnotationPresent(NoNativeLeaks.class))
            return method.get().getAnnotation(NoNativeLeaks.class);
        for (Class<?> c = context.getTestClass().orElse(null); c != null; c = c.getEnclosingClass()) {
            NoNativeLeaks a = annotation(c);
            if (a != null)
                return a;
        }
        return null;
    }

    private static NoNativeLeaks annotation(AnnotatedElement e) {
        return e.getAnnotation(NoNativeLeaks.class); // @Inherited covers superclasses
    }

    private static Suppressions suppressions(NoNativeLeaks config, ExtensionContext context) {
        Suppressions s = BUILT_IN.and(Suppressions.parse(Arrays.asList(config.suppressions()),
                "@NoNativeLeaks(suppressions)"));
        if (!config.suppressionsFile().isEmpty())
            s = s.and(readFile(config.suppressionsFile(), context));
        Optional<String> global = context.getConfigurationParameter(SUPPRESSIONS);
        if (global.isPresent() && !global.get().isEmpty())
            s = s.and(readFile(global.get(), context));
        return s;
    }

    private static Suppressions readFile(String name, ExtensionContext context) {
        try {
            Path path = Paths.get(name);
            if (Files.isRegularFile(path))
                return Suppressions.read(path);
            ClassLoader loader = context.getTestClass().map(Class::getClassLoader)
                    .orElse(NoNativeLeaksExtension.class.getClassLoader());
            try (InputStream in = loader.getResourceAsStream(name.startsWith("/") ? name.substring(1) : name)) {
                if (in == null)
                    throw new ExtensionConfigurationException("@NoNativeLeaks: suppressions file "
                            + name + " is neither a file nor a class path resource");
                String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                return Suppressions.parse(Arrays.asList(text.split("\r?\n")), name);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("@NoNativeLeaks: cannot read suppressions " + name, e);
        } catch (IllegalArgumentException e) {
            throw new ExtensionConfigurationException(e.getMessage(), e);
        }
    }
}
