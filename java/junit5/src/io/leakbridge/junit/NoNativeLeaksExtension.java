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
import java.util.Optional;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The extension behind {@link NoNativeLeaks}: a mark before each test (before its
 * {@code @BeforeEach} methods), and after its {@code @AfterEach} methods a forced GC and the
 * sites allocated since the mark that are still live.
 */
public class NoNativeLeaksExtension implements BeforeEachCallback, AfterEachCallback {
    /** Configuration parameter (or system property): fail every test when the agent is absent. */
    public static final String REQUIRE_AGENT = "leakbridge.junit.require-agent";
    /** Configuration parameter (or system property): a suppressions file for every test. */
    public static final String SUPPRESSIONS = "leakbridge.junit.suppressions";
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

    private static final class Scope {
        final NoNativeLeaks config;
        final Suppressions suppressions;
        final Mark mark;

        Scope(NoNativeLeaks config, Suppressions suppressions, Mark mark) {
            this.config = config;
            this.suppressions = suppressions;
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
        // Read files before the mark: the I/O itself must not count against the test.
        Suppressions suppressions = suppressions(config, context);
        context.getStore(NS).put(Scope.class, new Scope(config, suppressions, LeakBridge.mark()));
    }

    @Override
    public void afterEach(ExtensionContext context) {
        Scope scope = context.getStore(NS).remove(Scope.class, Scope.class);
        if (scope == null)
            return;
        NoNativeLeaks config = scope.config;
        LiveOptions options = LiveOptions.defaults().gc(true)
                .maxWait(Duration.ofMillis(config.gcWaitMillis())).kinds(config.kinds())
                .classInit(false);
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
        if (leaked.isEmpty() || bytes <= config.toleratedBytes())
            return;
        throw new AssertionError(message(context, leaked, bytes, config, suppressed.size()));
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
            b.append(" (estimated from samples: run the agent with sample=0 for exact figures)");
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
