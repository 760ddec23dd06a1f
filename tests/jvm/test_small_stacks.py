"""Native threads the JVM does not know, with 16 KiB stacks (PTHREAD_STACK_MIN) and larger ones
recursing deep, malloc blocks of 1201 bytes with only a little of their stack left below the
allocating frame, and a fiber (makecontext) on an 8 KiB stack of its own does too
(libleakstack.so). The JVM survives and keeps its exit code, and at sample=0 every block is
counted: where the stack left is too small to walk, under the caller and the marker frame
"[stack too small to walk]"; where it holds a shorter walk, the frames that fit and the marker;
where it holds the whole walk, the stack. The stack the allocations really took (painted and
read back by the library) stays within what the agent reserves: 1 KiB without a walk, 6 KiB
and 24 B a frame with one. Each run starts hundreds of threads in one JVM, each
making its first allocation at the edge of its stack (the agent reads the thread's stack bounds
then), at default options, at sample=0 and at depth=256."""
import glob
import os
import re
import subprocess

import lbtest
from lbtest import check

SIZE = 1201
# docs/options.md (depth) and stacks.h: a walk is taken with 6 KiB and 24 B a frame left; an
# allocation that is not walked needs at most 1 KiB below the allocating function.
WALK_BYTES, FRAME_BYTES, UNWALKED_MOST = 6144, 24, 1024
MARKER = "[stack too small to walk]"
FIBER = 1  # the fiber allocates `allocs` blocks once per run


def run(env, tag, options, threads, allocs, pairs, exit_code=3):
    args = [exit_code, threads, 8, allocs, 0, FIBER] + ["%d:%d" % p for p in pairs]
    p, report = lbtest.run_report(env, tag, "SmallStacks", args, options=options,
                                  expect_exit=exit_code)
    want_kept = (threads * len(pairs) + FIBER) * allocs
    check("threads done %d kept %d" % (threads * len(pairs), want_kept) in p.stdout,
          "%s: not every thread ran to its end: %r" % (tag, p.stdout))
    deepest = {(int(a), int(b)): int(n)
               for a, b, n in re.findall(r"^(\d+):(\d+) deepest (\d+)$", p.stdout, re.M)}
    check(len(deepest) == len(pairs), "%s: no stack depths printed: %r" % (tag, p.stdout))
    return report, want_kept, deepest


def check_deepest(tag, deepest, pair, most, what):
    """The allocations of `pair`'s threads reached at most `most` bytes below the allocating
    frame (SmallStacks paints the stack there and finds the lowest byte written)."""
    print("%s %d:%d: %d bytes of stack below the allocating frame (%s: at most %d)" % (
        tag, pair[0], pair[1], deepest[pair], what, most))
    check(deepest[pair] <= most, "%s: with %d bytes left the allocations took %d bytes of "
          "stack, more than %s (%d)" % (tag, pair[1], deepest[pair], what, most))


def ours(report):
    """The sites of the library's blocks: stack_edge_alloc is their first frame."""
    return [s for s in report["sites"]
            if s["frames"] and s["frames"][0].get("symbol") == "stack_edge_alloc"]


def is_marker(frame):
    return frame == {"type": "native", "module": None, "symbol": MARKER, "offset": "0x0"}


def check_exact(tag, sites, kept):
    blocks = sum(s["live_count"] for s in sites)
    nbytes = sum(s["live_bytes"] for s in sites)
    check(blocks == kept and nbytes == kept * SIZE,
          "%s: %d blocks, %d bytes counted; the library kept %d blocks, %d bytes (sites: %s)" % (
              tag, blocks, nbytes, kept, kept * SIZE,
              [lbtest.describe_native(s) for s in sites]))


def test(env):
    lib = os.path.realpath(lbtest.native_lib(env, "libleakstack.so"))

    # sample=0, default depth (64): 1 KiB, 3 KiB and 1.5 KiB left are too little to walk;
    # 7 KiB left below 290 frames of recursion holds a shorter walk; 20 KiB the whole one.
    threads, allocs = 32, 50
    report, kept, deepest = run(env, "exact", "sample=0", threads, allocs,
                       [(16384, 1024), (16384, 3000), (262144, 1500), (65536, 7000),
                        (262144, 20000)])
    sites = ours(report)
    check_exact("sample=0", sites, kept)
    check_deepest("sample=0", deepest, (16384, 3000), UNWALKED_MOST, "the unwalked record")
    check_deepest("sample=0", deepest, (262144, 20000), WALK_BYTES + 64 * FRAME_BYTES,
                  "a walk of 64 frames")
    unwalked = [s for s in sites if len(s["frames"]) == 2 and is_marker(s["frames"][1])]
    check(len(unwalked) == 1, "expected one site of the caller and the marker: %s" % (
        [lbtest.describe_native(s) for s in sites]))
    lbtest.check_native_frame(report, unwalked[0]["frames"][0], "stack_edge_alloc", lib)
    check(unwalked[0]["live_count"] == (3 * threads + FIBER) * allocs,
          "the unwalked site holds %d blocks, expected %d" % (
              unwalked[0]["live_count"], (3 * threads + FIBER) * allocs))
    shorter = [s for s in sites if len(s["frames"]) > 2 and is_marker(s["frames"][-1])]
    check(shorter and sum(s["live_count"] for s in shorter) == threads * allocs,
          "expected %d blocks under a shorter walk ending in the marker: %s" % (
              threads * allocs, [lbtest.describe_native(s) for s in shorter]))
    for s in shorter:
        check(all(f.get("symbol") == "stack_descend" for f in s["frames"][1:-1]),
              "a shorter walk: %s" % lbtest.describe_native(s))
    whole = [s for s in sites if not any(is_marker(f) for f in s["frames"])]
    check(sum(s["live_count"] for s in whole) == threads * allocs and
          all(len(s["frames"]) == 64 for s in whole),
          "expected %d blocks under whole walks of 64 frames: %s" % (
              threads * allocs, [lbtest.describe_native(s) for s in whole]))
    check(not lbtest.agent_frames(report), "frames of the agent itself in the report")

    # depth=256: the marker still costs no more stack, and 20 KiB left holds 256 frames.
    report, kept, deepest = run(env, "depth", "sample=0,depth=256", threads, allocs,
                       [(16384, 1024), (16384, 6400), (262144, 1500), (262144, 20000)])
    sites = ours(report)
    check_exact("depth=256", sites, kept)
    check_deepest("depth=256", deepest, (262144, 1500), UNWALKED_MOST, "the unwalked record")
    check_deepest("depth=256", deepest, (262144, 20000), WALK_BYTES + 256 * FRAME_BYTES,
                  "a walk of 256 frames")
    check(any(len(s["frames"]) == 256 and not is_marker(s["frames"][-1]) for s in sites),
          "no whole walk of 256 frames: %s" % [len(s["frames"]) for s in sites])

    # No call on a hook's path is bound lazily: the dynamic linker's resolver saves the vector
    # registers on the caller's stack (2.5 KiB with AVX-512). The agent binds its libraries'
    # slots at start without the resolver, so the resolver never binds one for libunwind or
    # libm once the library is loaded and allocating (LD_DEBUG shows every binding it makes).
    trace = os.path.join(env.work, "ld-debug")
    p, _ = lbtest.run_report(env, "bindings", "SmallStacks",
                             [0, 8, 8, 20, 0, 0, "16384:8000", "262144:20000"], options="sample=0",
                             env={"LD_DEBUG": "bindings", "LD_DEBUG_OUTPUT": trace})
    lines = [l for f in glob.glob(trace + ".*") for l in open(f, errors="replace")]
    loaded = [i for i, l in enumerate(lines) if "libleakstack.so" in l]
    check(loaded, "LD_DEBUG wrote nothing about libleakstack.so (%d lines)" % len(lines))
    late = [l.strip() for l in lines[loaded[0]:]
            if re.search(r"binding file \S*/(libunwind\.so|libm\.so)", l)]
    check(not late, "bound lazily after start: %s" % late[:5])

    # Default options (sampled), many threads, 1 KiB to 8 KiB left: the JVM goes on, also just
    # above the least stack the agent walks with (6 KiB and a frame).
    report, kept, _ = run(env, "default", "", 60, 200,
                       [(16384, left) for left in (1024, 2048, 4096, 5200, 5600, 6000, 6200,
                                                   6400, 6600, 6800, 7200, 8000)], exit_code=0)
    check(ours(report), "no site of the library's blocks at default options")

    perf_command(env)


def perf_command(env):
    """performance.md's measurement of the stack an allocation takes runs as written, from a
    directory where build/ and tests/ are this build's, and its figures keep to the bounds."""
    source = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    text = open(os.path.join(source, "docs", "performance.md")).read()
    blocks = re.findall(r"```sh\n(.*?)```", text, re.S)
    block = [b for b in blocks if "SmallStacks" in b]
    check(len(block) == 1, "%d SmallStacks blocks in performance.md" % len(block))
    work = os.path.join(env.work, "perf")
    os.makedirs(work)
    os.symlink(os.path.dirname(env.agent), os.path.join(work, "build"))
    os.symlink(os.path.join(source, "tests"), os.path.join(work, "tests"))
    shell_env = dict(os.environ, PATH=os.path.join(env.java_home, "bin") + ":" + os.environ["PATH"])
    p = subprocess.run(["bash", "-c", block[0]], cwd=work, env=shell_env, capture_output=True,
                       text=True, timeout=300)
    print(p.stdout)
    check(p.returncode == 0, "the block exited %d: %s" % (p.returncode, p.stderr[-500:]))
    sections = re.split(r"^(depth=\d+|no agent)$", p.stdout, flags=re.M)[1:]
    found = dict(zip(sections[0::2], sections[1::2]))
    check(sorted(found) == ["depth=1", "depth=256", "depth=64", "no agent"],
          "sections %s" % sorted(found))
    for name, out in found.items():
        deepest = {(int(a), int(b)): int(n)
                   for a, b, n in re.findall(r"^(\d+):(\d+) deepest (\d+)$", out, re.M)}
        check(len(deepest) == 3, "%s: %r" % (name, out))
        if name == "no agent":
            continue
        depth = int(name.split("=")[1])
        check_deepest(name, deepest, (16384, 3000), UNWALKED_MOST, "the unwalked record")
        check_deepest(name, deepest, (262144, 65536), WALK_BYTES + depth * FRAME_BYTES,
                      "a walk of %d frames" % depth)


if __name__ == "__main__":
    lbtest.main(test)
