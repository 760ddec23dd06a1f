"""The pool API (include/leakbridge/leakbridge.h) in a real JVM. libleakpool.so is a toy arena
(tests/jvm/native/toy_arena.c) that carves blocks from 64 KiB malloc'd chunks and reports each
block; PoolLeak calls it from Java.

- With sample=0 the 100 leaked blocks of 1000 bytes are one site of kind 'pool' tagged
  'toy-arena', exact, with the arena's function, the library's caller, the JNI entry and the Java
  callers; blocks given back (churn) or moved by a realloc (grow) are not live.
- Nothing is counted twice: the chunks' sites keep only the arena's free space (pool_chunks:
  capacity = the chunks the arena made, handed_out = its live blocks), so pool blocks plus
  chunks' sites make exactly the arena's chunks, and totals are the sum of the sites.
- `leakbridge top` and `flame` show the tag and the free space.
- The MXBean's live figures count each byte once too: read around a dump it makes, they agree
  with that report's totals and by_kind (a chunk counted whole would add 100 KB to malloc).
- Every misuse (a free of a block never reported, a double free, NULL and empty tags, a block
  from a thread the JVM does not know) is counted in agent.pool_api and said once on stderr;
  the program runs on. With sampling, frees of unsampled blocks are no misuse.
- The library has no link to the agent and runs in a JVM without it."""
import json
import os
import re
import subprocess

import lbtest
from lbtest import check

TAG, CHUNK = "toy-arena", 65536
LEAK, LEAK_SIZE, CHURN, GROW = 100, 1000, 50, 10


def chunks(p):
    m = re.search(r"held (\d+) chunks (\d+)", p.stdout)
    check(m, "PoolLeak printed no 'held N chunks C' line")
    return int(m.group(1)), int(m.group(2))


def pool_sites(report, symbol):
    return [s for s in lbtest.sites_with_symbol(report, symbol) if s["kind"] == "pool"]


def misuse_lines(stderr):
    return [line for line in stderr.splitlines() if "pool API misuse" in line]


def check_exact_leak(env, lib):
    p, report = lbtest.run_report(env, "exact", "PoolLeak",
                                  ["leak", LEAK, "churn", CHURN, "grow", GROW], options="sample=0")
    held, nchunks = chunks(p)
    check(held == LEAK + GROW, "held %d" % held)
    sites = pool_sites(report, "leak_blocks")
    check(len(sites) == 1, "expected one pool site through leak_blocks, got %s" % [
        lbtest.describe_native(s) for s in report["sites"]])
    site = sites[0]
    print("pool site:", lbtest.describe_native(site))
    check(site.get("pool") == TAG, "pool %r, expected %r" % (site.get("pool"), TAG))
    check(site["live_count"] == LEAK and site["live_bytes"] == LEAK * LEAK_SIZE,
          "live %d B in %d blocks, expected %d in %d" % (
              site["live_bytes"], site["live_count"], LEAK * LEAK_SIZE, LEAK))
    frames = site["frames"]
    # The shim is inlined there: addr2line would name it, the ELF symbol is the function's.
    check((frames[0]["symbol"], frames[0]["module"]) == ("toy_arena_alloc", lib),
          "innermost frame %s" % lbtest.frame_text(frames[0]))
    lbtest.check_native_frame(report, frames[1], "leak_blocks", lib)
    lbtest.check_native_frame(report, frames[2], "Java_PoolLeak_leak", lib)
    java = [(f["type"], f.get("class"), f.get("method")) for f in frames[3:6]]
    check(java == [("java", "PoolLeak", "leak"), ("java", "PoolLeak", "leakFromJava"),
                   ("java", "PoolLeak", "main")], "Java callers %s" % java)
    check(not lbtest.agent_frames(report), "agent frames in the report")

    check(not pool_sites(report, "churn_blocks"), "blocks given back are still live")
    grown = pool_sites(report, "grow_blocks")
    check([(s["live_count"], s["live_bytes"]) for s in grown] == [(GROW, GROW * 1200)],
          "grown blocks: %s (the 200-byte blocks moved away must not be live)" % [
              lbtest.describe_native(s) for s in grown])

    # Nothing counted twice: what the chunks hold is split between the blocks and free space.
    chunk_sites = [s for s in report["sites"] if "pool_chunks" in s]
    check(chunk_sites, "no site is marked as the pool's chunks")
    capacity = sum(s["pool_chunks"]["capacity_bytes"] for s in chunk_sites)
    handed = sum(s["pool_chunks"]["handed_out_bytes"] for s in chunk_sites)
    for s in chunk_sites:
        pc = s["pool_chunks"]
        check(s["kind"] == "malloc" and pc["pool"] == TAG and lbtest.has_symbol(s, "new_chunk"),
              "chunk site %s: %s" % (lbtest.describe_native(s), pc))
        check(s["live_bytes"] == pc["capacity_bytes"] - pc["handed_out_bytes"],
              "chunk site's live_bytes %d is not its free space %s" % (s["live_bytes"], pc))
    pool_bytes = report["totals"]["by_kind"]["pool"]["live_bytes"]
    check(capacity == nchunks * CHUNK, "capacity %d, the arena made %d chunks of %d" % (
        capacity, nchunks, CHUNK))
    check(handed == pool_bytes == LEAK * LEAK_SIZE + GROW * 1200,
          "handed out %d, pool blocks %d" % (handed, pool_bytes))
    check(pool_bytes + sum(s["live_bytes"] for s in chunk_sites) == nchunks * CHUNK,
          "pool blocks and free space do not add up to the chunks")
    check(report["totals"]["live_bytes"] == sum(s["live_bytes"] for s in report["sites"]),
          "totals are not the sum of the sites")
    check(report["totals"]["live_bytes"] == sum(
        k["live_bytes"] for k in report["totals"]["by_kind"].values()), "by_kind does not add up")
    api = report["agent"]["pool_api"]
    check(api["blocks_recorded"] == LEAK + CHURN + 2 * GROW, "blocks_recorded %s" % api)
    check(all(api[k] == 0 for k in ("bad_tag", "unknown_free", "double_free", "unknown_thread")),
          "misuse counted in a correct run: %s" % api)
    check(not misuse_lines(p.stderr), "misuse said in a correct run")
    return report


def check_command(env, report):
    cli = os.path.join(os.path.dirname(env.agent), "leakbridge")
    path = os.path.join(env.work, "exact.json")
    with open(path, "w") as f:
        json.dump(report, f)
    top = subprocess.run([cli, "top", path], capture_output=True, text=True)
    print(top.stdout)
    check(top.returncode == 0, "top exited %d: %s" % (top.returncode, top.stderr))
    check("pool " + TAG in top.stdout and "free space of pool " + TAG in top.stdout,
          "top does not name the pool and its free space")
    by_kind = subprocess.run([cli, "top", "--by", "kind", path], capture_output=True, text=True)
    check(re.search(r"\s%d\s.*pool %s$" % (LEAK + GROW, TAG), by_kind.stdout, re.M),
          "top --by kind has no row for the pool:\n%s" % by_kind.stdout)
    flame = subprocess.run([cli, "flame", "--collapsed", path], capture_output=True, text=True)
    check(";leak_blocks;toy_arena_alloc;pool %s %d\n" % (TAG, LEAK * LEAK_SIZE) in flame.stdout,
          "flame --collapsed:\n%s" % flame.stdout)


def check_misuse(env):
    p, report = lbtest.run_report(env, "misuse", "PoolLeak", ["misuse", 1, "misuse", 1],
                                  options="sample=0")
    check(chunks(p)[0] == 2, "the foreign threads' blocks were not kept")
    api = report["agent"]["pool_api"]
    want = {"bad_tag": 6, "unknown_free": 2, "double_free": 2, "unknown_thread": 2}
    check({k: api[k] for k in want} == want, "agent.pool_api %s, expected %s" % (api, want))
    lines = misuse_lines(p.stderr)
    check(len(lines) == 4 and all(line.startswith("leakbridge: ") for line in lines),
          "expected one line per kind of misuse, got %s" % lines)
    foreign = pool_sites(report, "foreign_thread")
    check(len(foreign) == 1 and foreign[0]["live_count"] == 2 and
          all(f["type"] == "native" for f in foreign[0]["frames"]),
          "the foreign threads' blocks: %s" % [lbtest.describe_native(s) for s in foreign])


def check_mxbean(env):
    out = os.path.join(env.work, "mxbean")
    os.makedirs(out)
    p = env.run("PoolLeak", ["leak", LEAK, "mxbean", 1], options="sample=0,output=%s" % (
        os.path.join(out, "report-%n.json")))
    line = [l for l in p.stdout.splitlines() if l.startswith("mxbean ")]
    check(len(line) == 1, "PoolLeak printed no mxbean line")
    m = re.fullmatch(r"mxbean LiveBytes=(\d+) LiveBytesMalloc=(\d+) LiveBytesPool=(\d+) "
                     r"dump=(\S+) LiveBytes=(\d+) LiveBytesMalloc=(\d+) LiveBytesPool=(\d+)",
                     line[0])
    check(m, "mxbean line %r" % line[0])
    report = env.load(m.group(4))
    totals, kinds = report["totals"], report["totals"]["by_kind"]
    for name, figure, got in (("LiveBytesPool", kinds["pool"]["live_bytes"], (3, 7)),
                              ("LiveBytesMalloc", kinds["malloc"]["live_bytes"], (2, 6)),
                              ("LiveBytes", totals["live_bytes"], (1, 5))):
        before, after = (int(m.group(i)) for i in got)
        # What the JVM allocated between the reads and the dump moves the figures a little;
        # a chunk counted whole would add LEAK * LEAK_SIZE bytes.
        check(min(before, after) - 16384 <= figure <= max(before, after) + 16384,
              "MXBean %s %d and %d around the dump, the report says %d" % (
                  name, before, after, figure))
    check(int(m.group(3)) == int(m.group(7)) == LEAK * LEAK_SIZE,
          "LiveBytesPool %s, expected %d" % (m.group(3), LEAK * LEAK_SIZE))


def check_sampled(env):
    p, report = lbtest.run_report(env, "sampled", "PoolLeak", ["churn", 5000, "leak", 500],
                                  options="sample=4096")
    api = report["agent"]["pool_api"]
    check(api["unknown_free"] == 0 and api["double_free"] == 0,
          "frees of unsampled blocks counted as misuse: %s" % api)
    check(0 < api["blocks_recorded"] < 5500, "blocks_recorded %s with sampling" % api)
    check(not misuse_lines(p.stderr), "misuse said in a correct sampled run")


def check_without_agent(env, lib):
    needed = subprocess.run(["readelf", "-d", lib], capture_output=True, text=True).stdout
    check("leakbridge" not in needed, "libleakpool.so needs the agent:\n%s" % needed)
    undefined = subprocess.run(["nm", "-D", "--undefined-only", lib], capture_output=True,
                               text=True).stdout
    check("leakbridge" not in undefined, "libleakpool.so imports from the agent:\n%s" % undefined)
    cmd = [env.java, "-Xmx512m", "-cp", env.classes,
           "-Djava.library.path=%s" % env.native_lib_dir, "PoolLeak", "leak", "10", "misuse", "1"]
    print("$ " + " ".join(cmd))
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    print(p.stdout + p.stderr)
    check(p.returncode == 0 and "held 11 " in p.stdout and "leakbridge" not in p.stderr,
          "without the agent: exit %d" % p.returncode)


def test(env):
    lib = os.path.realpath(lbtest.native_lib(env, "libleakpool.so"))
    report = check_exact_leak(env, lib)
    check_command(env, report)
    check_misuse(env)
    check_mxbean(env)
    check_sampled(env)
    check_without_agent(env, lib)


if __name__ == "__main__":
    lbtest.main(test)
