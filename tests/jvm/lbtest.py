"""Shared helpers for the JVM tests: run a Java program under the agent, read and validate
the report it wrote. Each test file is a main that returns 0 (pass), 1 (fail) or 77 (skip)."""

import argparse
import glob
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

import jsonschema

SKIP = 77


class Failure(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Failure(msg)


class Env:
    def __init__(self, args):
        self.agent = args.agent
        self.java_home = args.java_home
        self.classes = args.classes
        self.schema = json.load(open(args.schema))
        self.validator = jsonschema.Draft202012Validator(self.schema)
        self.jdk = os.path.basename(args.java_home.rstrip("/"))
        self.native_lib_dir = args.native_lib_dir
        self.work = tempfile.mkdtemp(prefix="lbtest-")

    @property
    def java(self):
        return os.path.join(self.java_home, "bin", "java")

    def run(self, main, args=(), options="", jvm_args=(), timeout=300, env=None, expect_exit=0,
            classpath_extra=()):
        """Runs `main` with the agent; returns the CompletedProcess. options is the agent's
        option string; output defaults to a file per dump in this test's work directory.
        classpath_extra: more class path entries, after the test classes."""
        if "output=" not in options:
            out = "output=" + os.path.join(self.work, "report-%n.json")
            options = out + ("," + options if options else "")
        cmd = [self.java, "-agentpath:%s=%s" % (self.agent, options), "-Xmx512m",
               "-cp", os.pathsep.join([self.classes] + list(classpath_extra))]
        if self.native_lib_dir:
            cmd.append("-Djava.library.path=%s:/usr/lib/x86_64-linux-gnu" % self.native_lib_dir)
        cmd += list(jvm_args) + [main] + [str(a) for a in args]
        print("$ " + " ".join(cmd), flush=True)
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                           env=dict(os.environ, **(env or {})))
        sys.stdout.write(p.stdout)
        sys.stdout.write(p.stderr)
        if expect_exit is not None:
            check(p.returncode == expect_exit,
                  "%s exited %d, expected %d" % (main, p.returncode, expect_exit))
        return p

    def reports(self):
        """Every report in the work directory, oldest first, each validated against the schema."""
        paths = by_number(glob.glob(os.path.join(self.work, "report-*.json")))
        leftovers = [f for f in os.listdir(self.work) if ".tmp" in f]
        check(not leftovers, "temporary report files left behind: %s" % leftovers)
        return [self.load(p) for p in paths]

    def report(self):
        reports = self.reports()
        check(len(reports) == 1, "expected one report, found %d" % len(reports))
        return reports[0]

    def load(self, path):
        with open(path) as f:
            report = json.load(f)
        errors = sorted(self.validator.iter_errors(report), key=lambda e: list(e.path))
        check(not errors, "%s does not match the schema: %s" % (
            path, "; ".join("%s: %s" % ("/".join(map(str, e.path)), e.message)
                            for e in errors[:5])))
        return report


def java_frames(site):
    return [(f["class"], f["method"]) for f in site["frames"] if f["type"] == "java"]


def sites_with_method(report, cls, method):
    """Sites whose Java frames include cls.method."""
    return [s for s in report["sites"] if (cls, method) in java_frames(s)]


def describe(site):
    return "%s %d B in %d blocks: %s" % (
        site["kind"], site["live_bytes"], site["live_count"],
        " <- ".join("%s.%s" % f for f in java_frames(site)[:6]))


def main(test, more_args=(), env_class=Env):
    """Runs test(env) and exits 0, 1 or 77 (skipped: the JDK is not installed). more_args are
    further required options, for a harness built on this one (tests/java_api/jtest.py)."""
    ap = argparse.ArgumentParser()
    for a in ("--agent", "--java-home", "--classes", "--schema") + tuple(more_args):
        ap.add_argument(a, required=True)
    ap.add_argument("--native-lib-dir", default="")
    ap.add_argument("--sanitizer-runtime", default="",
                    help="the agent is built with ASan/UBSan: preload this runtime into every "
                         "process the test starts and fail on any sanitizer report")
    args = ap.parse_args()
    if not os.path.exists(os.path.join(args.java_home, "bin", "java")):
        print("SKIPPED: no JDK at %s" % args.java_home)
        sys.exit(SKIP)
    env = env_class(args)
    if args.sanitizer_runtime:
        sanitize(env, args.sanitizer_runtime)
    try:
        try:
            test(env)
        finally:
            if args.sanitizer_runtime:
                check_sanitizer_logs(env)
    except Failure as e:
        print("FAILED: %s (work directory %s)" % (e, env.work))
        sys.exit(1)
    print("PASSED on %s" % env.jdk)
    sys.exit(0)


# The JVM is not instrumented: the sanitizer runtime must be loaded before anything else
# (LD_PRELOAD). The JVM takes SIGSEGV for its own use (null checks, safepoint polls), so ASan
# must leave that signal alone; the JVM's own allocations are never freed before exit, so
# leak detection would report the JVM, not the agent. Every report goes to a file under the
# test's work directory, from the JVM and from any process the test starts.
SANITIZER_LOGS = "sanitizer-logs"


def sanitize(env, runtime):
    logs = os.path.join(env.work, SANITIZER_LOGS)
    os.makedirs(logs)
    os.environ["LD_PRELOAD"] = runtime
    here = os.path.dirname(os.path.abspath(__file__))
    os.environ["ASAN_OPTIONS"] = ("handle_segv=0:allow_user_segv_handler=1:detect_leaks=0:"
                                  "abort_on_error=0:log_path=%s/asan:suppressions=%s"
                                  % (logs, os.path.join(here, "asan.supp")))
    os.environ["UBSAN_OPTIONS"] = ("halt_on_error=1:print_stacktrace=1:log_path=%s/ubsan"
                                   % logs)


def check_sanitizer_logs(env):
    logs = os.path.join(env.work, SANITIZER_LOGS)
    found = sorted(os.listdir(logs))
    for name in found:
        with open(os.path.join(logs, name), errors="replace") as f:
            sys.stdout.write("%s:\n%s\n" % (name, f.read()))
    check(not found, "sanitizer reports: %s" % found)


# Helpers for the native (malloc/mmap) tests, whose programs use the JNI libraries built from
# tests/jvm/native into --native-lib-dir.

ZSTD_JAR = "/usr/share/java/zstd-jni.jar"
JEMALLOC = "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2"


def skip(msg):
    print("SKIPPED: %s" % msg)
    sys.exit(SKIP)


def native_lib(env, name):
    """Path of a test JNI library built from tests/jvm/native, which must exist."""
    check(env.native_lib_dir, "no --native-lib-dir given")
    path = os.path.join(env.native_lib_dir, name)
    check(os.path.isfile(path), "%s not built (expected at %s)" % (name, path))
    return path


def by_number(paths):
    """Report paths (report-N.json) in the order of their numbers."""
    return sorted(paths, key=lambda p: int(p.rsplit("-", 1)[1].split(".")[0]))


def growing_overflow(test_env):
    """ManySites makes 100 Unsafe stacks, then keeps allocating at new ones, past max_sites=50:
    the overflow site grows over interval reports. Returns the path of the last (exit) report."""
    out = os.path.join(test_env.work, "grow")
    os.makedirs(out)
    test_env.run("ManySites", ["unsafe", 100, "grow", 4000],
                 options="output=%s,sample=0,max_sites=50,interval=500ms,leak_window=1s"
                 % os.path.join(out, "report-%n.json"))
    return os.path.join(out, by_number(os.listdir(out))[-1])


def run_report(test_env, tag, main, args=(), options="", **kwargs):
    """Runs `main` (Env.run's keyword arguments) writing its reports to a directory of its
    own, so that several runs in one test do not overwrite each other's report; returns
    (CompletedProcess, the one validated report)."""
    out = os.path.join(test_env.work, tag)
    os.makedirs(out, exist_ok=True)
    options = "output=" + os.path.join(out, "report-%n.json") + ("," + options if options else "")
    p = test_env.run(main, args, options=options, **kwargs)
    paths = glob.glob(os.path.join(out, "report-*.json"))
    leftovers = [f for f in os.listdir(out) if ".tmp" in f]
    check(not leftovers, "temporary report files left behind: %s" % leftovers)
    check(len(paths) == 1, "%s: expected one report in %s, found %d" % (main, out, len(paths)))
    return p, test_env.load(paths[0])


def native_frames(site):
    return [f for f in site["frames"] if f["type"] == "native"]


def native_symbols(site):
    return [f["symbol"] for f in native_frames(site)]


def has_symbol(site, symbol, exact=True):
    """Whether a native frame of the site is `symbol` (exact) or contains it (for C++ names,
    which the report keeps mangled)."""
    return any(s is not None and (s == symbol if exact else symbol in s)
               for s in native_symbols(site))


def sites_with_symbol(report, symbol, kind=None, exact=True):
    """Sites with a native frame named `symbol` (see has_symbol), of `kind` if given."""
    return [s for s in report["sites"] if has_symbol(s, symbol, exact)
            and (kind is None or s["kind"] == kind)]


def frame_text(f):
    if f["type"] == "java":
        return "%s.%s" % (f["class"], f["method"])
    return "%s[%s%s]" % (f["symbol"] or "?", os.path.basename(f["module"] or "?"),
                         "+" + f["offset"])


def describe_native(site):
    return "%s %d B in %d blocks: %s" % (
        site["kind"], site["live_bytes"], site["live_count"],
        " <- ".join(frame_text(f) for f in site["frames"][:10]))


def module_entry(report, path):
    """The entry of `modules` whose path is `path`; fails unless there is exactly one."""
    found = [m for m in report["modules"] if m["path"] == path]
    check(len(found) == 1, "expected one module %s, found %d (modules: %s)" % (
        path, len(found), [m["path"] for m in report["modules"]]))
    return found[0]


def agent_frames(report):
    """Native frames of any site that lie in the agent itself: hooks must not show."""
    return [(s["id"], f) for s in report["sites"] for f in native_frames(s)
            if f["module"] and "libleakbridge" in os.path.basename(f["module"])]


def check_java_after_native(site):
    """Native frames first, then Java frames: once a Java frame appears no native one follows."""
    types = [f["type"] for f in site["frames"]]
    first_java = types.index("java") if "java" in types else len(types)
    check("native" not in types[first_java:],
          "native frame after a Java frame: %s" % describe_native(site))


def addr2line(module, offset):
    """The function binutils' addr2line names at `offset` (a 0x... file address) of `module`."""
    p = subprocess.run(["addr2line", "-f", "-e", module, offset], capture_output=True, text=True)
    check(p.returncode == 0, "addr2line -f -e %s %s failed: %s" % (module, offset, p.stderr))
    return p.stdout.splitlines()[0].strip() if p.stdout else ""


def elf_build_id(path):
    """The GNU build-id of an ELF file, from readelf -n, or None."""
    p = subprocess.run(["readelf", "-n", path], capture_output=True, text=True)
    for line in p.stdout.splitlines():
        if "Build ID:" in line:
            return line.split("Build ID:", 1)[1].strip()
    return None


def stdout_value(p, key):
    """The value of the first `key=VALUE` line the program printed."""
    for line in p.stdout.splitlines():
        if line.startswith(key + "="):
            return line[len(key) + 1:].strip()
    raise Failure("the program printed no %s= line" % key)


def check_native_frame(report, frame, symbol, module, elf=None):
    """A native frame names `symbol` in `module` (a path, as in `modules`), its offset lies
    inside the module, and addr2line on `elf` (default: the module file) names the same
    function there. Returns the module's entry in `modules`."""
    check(frame["type"] == "native", "not a native frame: %s" % frame)
    check(frame["symbol"] == symbol, "expected native %s, got %s" % (symbol, frame_text(frame)))
    check(frame["module"] == module, "%s: module %r, expected %r" % (symbol, frame["module"], module))
    offset = frame["offset"]
    check(offset.startswith("0x") and int(offset, 16) > 0, "%s: offset %r" % (symbol, offset))
    entry = module_entry(report, module)
    check(int(offset, 16) < entry["size"], "%s: offset %s beyond the module's %d bytes" % (
        symbol, offset, entry["size"]))
    named = addr2line(elf or module, offset)
    check(named == symbol, "addr2line -f -e %s %s names %r, not %r" % (elf or module, offset,
                                                                      named, symbol))
    return entry


def run_zstd(test_env, tag, args, options="sample=0", **kwargs):
    """Runs ZstdLeak (tests/jvm/java/ZstdLeak.java) with Debian's zstd-jni on the class path;
    returns (CompletedProcess, report)."""
    check(os.path.isfile(ZSTD_JAR), "%s missing: apt-get install libzstd-jni-java libzstd-jni1"
          % ZSTD_JAR)
    return run_report(test_env, tag, "ZstdLeak", args, options=options, classpath_extra=(ZSTD_JAR,),
                      **kwargs)


def zstd_stream_sites(report, method):
    """Sites of ZSTD_createDStream called under ZstdLeak.`method`."""
    return [s for s in sites_with_symbol(report, "ZSTD_createDStream")
            if ("ZstdLeak", method) in java_frames(s)]


def check_zstd_top_site(report, count):
    """The top site is the leak of `count` or more ZSTD_DStreams from ZstdLeak.openStreams,
    allocated in system libzstd.so.1 under ZstdInputStreamNoFinalizer.<init>; returns it."""
    check(report["sites"], "no site at all")
    top = report["sites"][0]
    print("top site:", describe_native(top))
    check(top["kind"] == "malloc", "top site kind %r: %s" % (top["kind"], describe_native(top)))
    create = [f for f in native_frames(top) if f["symbol"] == "ZSTD_createDStream"]
    check(create, "no ZSTD_createDStream frame in the top site: %s" % describe_native(top))
    check("libzstd.so.1" in (create[0]["module"] or ""),
          "ZSTD_createDStream in %r, not libzstd.so.1" % create[0]["module"])
    frames = java_frames(top)
    check(("com.github.luben.zstd.ZstdInputStreamNoFinalizer", "<init>") in frames,
          "no ZstdInputStreamNoFinalizer.<init> frame: %s" % describe_native(top))
    check(("ZstdLeak", "openStreams") in frames, "no ZstdLeak.openStreams frame: %s" % describe_native(top))
    check_java_after_native(top)
    check(top["live_count"] >= count, "top site holds %d blocks, %d streams leaked" % (
        top["live_count"], count))
    return top


# A JVM driven while it runs (tests/jvm/java/LiveDumps.java), for dumps taken with jcmd.

class Session:
    """LiveDumps running under the agent (or without it, agent=False, to attach later), with
    its reports in a directory of its own, by env's java or the java given. Commands go to its
    stdin; it answers "ok CMD"."""

    def __init__(self, env, tag, options="sample=0", agent=True, jvm_args=(), java=None,
                 output=None):
        check(os.path.isfile(ZSTD_JAR), "%s missing: apt-get install libzstd-jni-java" % ZSTD_JAR)
        self.env = env
        self.dir = os.path.join(env.work, tag)
        os.makedirs(self.dir, exist_ok=True)
        self.output = output or os.path.join(self.dir, "report-%n.json")
        cmd = [java or env.java, "-Xmx512m"]
        if agent:
            cmd.append("-agentpath:%s=output=%s%s" % (env.agent, self.output,
                                                      "," + options if options else ""))
        # Debian's zstd-jni loads its library from the system directory.
        cmd += ["-Djava.library.path=/usr/lib/x86_64-linux-gnu"] + list(jvm_args)
        cmd += ["-cp", os.pathsep.join([env.classes, ZSTD_JAR]), "LiveDumps"]
        print("$ " + " ".join(cmd), flush=True)
        self.stderr_path = os.path.join(self.dir, "stderr.txt")
        self.stderr = open(self.stderr_path, "w")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.stderr, text=True, bufsize=1)
        self.other_output = []  # stdout lines that were not answers, such as JVM warnings
        first = self.proc.stdout.readline()
        while first and not first.startswith("pid="):
            self.other_output.append(first)
            first = self.proc.stdout.readline()
        check(first.startswith("pid="), "LiveDumps did not start: %r" % self.other_output)
        self.pid = int(first[4:])

    def do(self, command):
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        # A SIGQUIT thread dump also goes to stdout: skip what is not the answer.
        for _ in range(100000):
            answer = self.proc.stdout.readline()
            if not answer or answer.strip() == "ok " + command.split()[0]:
                break
            self.other_output.append(answer)
        check(answer.strip() == "ok " + command.split()[0], "%s: no answer" % command)

    def jcmd(self, *args, expect_ok=True):
        cmd = [os.path.join(self.env.java_home, "bin", "jcmd"), str(self.pid)] + list(args)
        print("$ " + " ".join(cmd), flush=True)
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        sys.stdout.write(p.stdout + p.stderr)
        if expect_ok:
            check(p.returncode == 0, "jcmd %s exited %d" % (" ".join(args), p.returncode))
        return p

    def report_paths(self):
        paths = glob.glob(os.path.join(self.dir, "report-*.json"))
        return by_number(paths)

    def wait_reports(self, count, timeout=60):
        """Waits until `count` reports exist; returns them, validated, oldest first."""
        deadline = time.time() + timeout
        while len(self.report_paths()) < count and time.time() < deadline:
            time.sleep(0.05)
        paths = self.report_paths()
        check(len(paths) >= count, "expected %d reports in %s, found %d" % (
            count, self.dir, len(paths)))
        return [self.env.load(p) for p in paths]

    def jcmd_reports(self):
        reports = []
        for p in self.report_paths():
            try:
                with open(p) as f:
                    reports.append(json.load(f))
            except (OSError, ValueError):
                continue  # renamed into place whole: only a report removed since can fail
        return [r for r in reports if r.get("reason") == "jcmd"]

    def dump(self, timeout=60):
        """jcmd JVMTI.data_dump, then waits for its report (an interval report written
        meanwhile is not it); returns it, validated."""
        before = len(self.jcmd_reports())
        self.jcmd("JVMTI.data_dump")
        deadline = time.time() + timeout
        while len(self.jcmd_reports()) <= before and time.time() < deadline:
            time.sleep(0.05)
        reports = [p for p in self.report_paths()
                   if self.env.load(p).get("reason") == "jcmd"]
        check(len(reports) > before, "no report for the jcmd dump in %s" % self.dir)
        return self.env.load(reports[-1])

    def quit(self):
        self.do("quit")
        code = self.proc.wait(timeout=120)
        self.stderr.close()
        sys.stdout.write(open(self.stderr_path).read())
        check(code == 0, "LiveDumps exited %d" % code)

    def stderr_text(self):
        if not self.stderr.closed:
            self.stderr.flush()
        return open(self.stderr_path).read()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def terminate(self, timeout=120):
        """Sends SIGTERM and waits for the end (killing the JVM past timeout); returns (exit
        code, seconds from the signal to the process's end, the JVM's stderr)."""
        try:
            sent = time.monotonic()
            os.kill(self.pid, signal.SIGTERM)
            code = self.proc.wait(timeout=timeout)
            delay = time.monotonic() - sent
        finally:
            self.kill()
        self.stderr.close()
        return code, delay, open(self.stderr_path).read()


def check_numbers(numbers, err, where):
    """Reports are numbered 1, 2, ... without a gap, but for a dump the exit report overtook
    after it was numbered, which the exit report names on stderr ("the interval report N was
    abandoned"); each number once, the exit report's (the last of numbers) the highest.
    Returns the abandoned numbers."""
    abandoned = [int(n) for n in re.findall(r"the \w+ report (\d+) was abandoned", err)]
    check(sorted(numbers + abandoned) == list(range(1, len(numbers) + len(abandoned) + 1))
          and numbers[-1] == max(numbers),
          "%s: report numbers %s, %s abandoned" % (where, numbers, abandoned))
    return abandoned


def exit_report_written(err, where):
    """(path, seconds) of the one "report written to PATH (exit) in N ms" line in stderr."""
    written = re.findall(r"report written to (\S+) \(exit\) in (\d+) ms", err)
    check(len(written) == 1, "%s: %d exit reports written; stderr: %s" % (
        where, len(written), err[-2000:]))
    return written[0][0], int(written[0][1]) / 1000.0


def jni_warnings(text):
    """-Xcheck:jni's complaints: "WARNING in native method: ...", "WARNING: JNI local refs: ...",
    "Warning: Calling other JNI functions in the scope of Get/ReleasePrimitiveArrayCritical", and
    fatal errors (not JDK 24+'s restricted-method warnings, which are no JNI check)."""
    return [line for line in text.splitlines()
            if (line.startswith(("WARNING", "Warning")) and ("JNI" in line or "native method" in line))
            or "FATAL ERROR" in line]


def jdk_major(env):
    """The JDK's feature release (17, 25, ...), from its release file."""
    with open(os.path.join(env.java_home, "release")) as f:
        for line in f:
            if line.startswith("JAVA_VERSION="):
                return int(line.split("=", 1)[1].strip().strip('"').split(".")[0])
    raise Failure("no JAVA_VERSION in %s/release" % env.java_home)
