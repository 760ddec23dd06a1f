"""docs/pool-api.md's examples cannot rot.

The JUnit example: its `c`, `java` and `sh` blocks are written to files and run as written
(set -euo pipefail) with LB_SOURCE, LB_BUILD, JAVA_HOME and JUNIT set to this tree, this build,
this JDK and Debian's console launcher, in a fresh directory:
- as written, 2 tests are found and exactly keepsABlock fails (exit 1) with the doc's message:
  its first line, the pool line, the native functions and the Java frames with their lines;
- with the block freed in that test, both pass (exit 0): the failure was the pool block;
- without -agentpath the library loads, every call does nothing and both pass.
The RocksDB sketch compiles (g++ -fsyntax-only) against a stand-in for RocksDB's header."""
import os
import re

import jtest
from jtest import check
from test_junit_guide import blocks, class_name, failed_tests, strip_ansi, summary

SECTION = "## Example: a JUnit test sees pool blocks like any others"
ROCKSDB = "## Example: a C++ library's block cache (RocksDB)"

# The parts of rocksdb/memory_allocator.h the sketch uses.
ROCKSDB_STAND_IN = """#pragma once
#include <cstddef>
namespace rocksdb {
class MemoryAllocator {
  public:
    virtual ~MemoryAllocator() = default;
    virtual const char *Name() const = 0;
    virtual void *Allocate(size_t size) = 0;
    virtual void Deallocate(void *p) = 0;
};
}
"""


def section(doc, title):
    start = doc.index(title)
    end = doc.find("\n## ", start + len(title))
    return doc[start:end if end >= 0 else len(doc)]


def check_rocksdb_sketch(env, doc):
    sketch = blocks(section(doc, ROCKSDB), "cpp")
    check(len(sketch) == 1, "expected one cpp block in the RocksDB example")
    work = os.path.join(env.work, "rocksdb")
    os.makedirs(os.path.join(work, "rocksdb"))
    with open(os.path.join(work, "rocksdb", "memory_allocator.h"), "w") as f:
        f.write(ROCKSDB_STAND_IN)
    with open(os.path.join(work, "reporting.cc"), "w") as f:
        f.write(sketch[0])
    p = env.execute(["g++", "-std=c++17", "-Wall", "-Wextra", "-Werror", "-fsyntax-only",
                     "-I" + work, "-I" + os.path.join(env.source_dir, "include"),
                     os.path.join(work, "reporting.cc")])
    check(p.returncode == 0, "the RocksDB sketch does not compile")


def test(env):
    doc = open(os.path.join(env.source_dir, "docs", "pool-api.md")).read()
    check_rocksdb_sketch(env, doc)
    text = section(doc, SECTION)
    c_sources = blocks(text, "c")
    java = {class_name(b) + ".java": b for b in blocks(text, "java")}
    scripts = blocks(text, "sh")
    check(len(c_sources) == 1 and sorted(java) == ["Arena.java", "ArenaTest.java"] and
          len(scripts) == 1, "expected arena.c, Arena.java, ArenaTest.java and one sh block")
    files = dict(java)
    files["arena.c"] = c_sources[0]
    script = scripts[0]
    message = [b for b in blocks(text, "") if b.startswith("native memory leaked by")]
    check(len(message) == 1, "the doc must show the failure message once")
    lines = [line.strip() for line in message[0].splitlines() if line.strip()]
    header, pool_line = lines[0], lines[1]
    java_frames = [line for line in lines if re.match(r"#\d+ J ", line)]
    native_names = [re.match(r"#\d+ N (\S+) \(", line).group(1) for line in lines
                    if re.match(r"#\d+ N ", line)]
    check("(pool example-arena)" in pool_line and java_frames and native_names,
          "the doc's message lacks the pool line or frames: %s" % message[0])

    def run(tag, sources, sh):
        work = os.path.join(env.work, tag)
        os.makedirs(work)
        for name, body in sources.items():
            with open(os.path.join(work, name), "w") as f:
                f.write(body)
        e = {"LB_SOURCE": env.source_dir, "LB_BUILD": os.path.dirname(env.agent),
             "JAVA_HOME": env.java_home, "JUNIT": env.junit_console}
        p = env.execute(["bash", "-c", "set -euo pipefail\n" + sh], cwd=work, timeout=200, env=e)
        return p, strip_ansi(p.stdout)

    p, out = run("as-written", files, script)
    s = summary(out)
    check(p.returncode == 1 and s.get("found") == 2 and s.get("failed") == 1,
          "as written: exit %d, %s; expected exit 1, 2 found, 1 failed" % (p.returncode, s))
    check(failed_tests(out) == ["keepsABlock"], "failed: %s" % failed_tests(out))
    check(header in out, "the launcher's output lacks the doc's first line %r" % header)
    shown = [line.strip() for line in out.splitlines()]
    for line in [pool_line] + java_frames:
        check(line in shown, "the launcher's output lacks the doc's line %r" % line)
    for name in native_names:
        check(any(re.match(r"#\d+ N %s \(/.*/libarena\.so\+0x" % re.escape(name), line)
                  for line in shown), "the launcher's output lacks native frame %s" % name)

    leaky = "Arena.alloc(1024); // and never frees it"
    check(java["ArenaTest.java"].count(leaky) == 1, "%r not found once in the doc's test" % leaky)
    clean = dict(files)
    clean["ArenaTest.java"] = java["ArenaTest.java"].replace(leaky, "Arena.free(Arena.alloc(1024));")
    p, out = run("clean", clean, script)
    s = summary(out)
    check(p.returncode == 0 and s.get("successful") == 2, "clean: exit %d, %s" % (p.returncode, s))

    agent = '"-agentpath:$LB_BUILD/libleakbridge.so=sample=0" '
    check(script.count(agent) == 1, "the doc's command does not load the agent once")
    p, out = run("no-agent", files, script.replace(agent, ""))
    s = summary(out)
    check(p.returncode == 0 and s.get("successful") == 2,
          "without the agent: exit %d, %s" % (p.returncode, s))


if __name__ == "__main__":
    jtest.main(test)
