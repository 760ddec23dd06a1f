"""Watermark dumps against the container's memory limit, read through a cgroup tree laid out in
a directory of the test's own (LEAKBRIDGE_TEST_ROOT; the machine's cgroups are never touched).

A JVM leaking direct buffers steadily under a cgroup v2 limit (set on the pod's cgroup, a
parent of the container's, as Kubernetes does) whose usage file the test keeps equal to the
JVM's real RSS: dump_at=85,95 writes one report when usage first crosses 85% of the limit,
before the limit, naming the leaking site, and one at 95%; none again until usage falls 10%
below a threshold, then again once it crosses it. A cgroup v1 tree (YARN) gives the limit and
the working set (usage minus inactive file pages). dump_at_bytes works without a limit, and
dump_at without one says so at start. What the agent reads from the machine's own
/proc/self/cgroup and cgroup mounts matches what this test reads there."""
import os
import time

import lbtest
from lbtest import check

MIB = 1 << 20


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


def rss(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise lbtest.Failure("no VmRSS for %d" % pid)


def v2_tree(root, limit):
    write(root + "/proc/self/cgroup", "0::/kubepods/pod-a/ctr\n")
    write(root + "/proc/self/mountinfo",
          "25 23 0:22 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime - cgroup2 cgroup2 rw\n")
    pod = root + "/sys/fs/cgroup/kubepods/pod-a"
    write(pod + "/memory.max", "%d\n" % limit)
    write(pod + "/memory.high", "max\n")
    write(pod + "/ctr/memory.max", "max\n")
    write(pod + "/ctr/memory.high", "max\n")
    write(pod + "/ctr/memory.stat", "anon 1\nfile 0\ninactive_file 0\nactive_file 0\n")
    return pod + "/ctr/memory.current"


def watermark_reports(s):
    return [r for r in (s.env.load(p) for p in s.report_paths()) if r["reason"] == "watermark"]


def keep_site(report):
    return [x for x in report["sites"] if ("LiveDumps", "keepBuffers") in lbtest.java_frames(x)]


def limit_v2_leak(env):
    root = os.path.join(env.work, "root-v2")
    os.makedirs(root)
    # Probe the JVM's resting RSS first: the limit is set 256 MiB above it.
    os.environ["LEAKBRIDGE_TEST_ROOT"] = root
    usage = v2_tree(root, 1 << 40)
    write(usage, "0\n")
    s = lbtest.Session(env, "watermark", options="sample=0,dump_at=85,95")
    try:
        base = rss(s.pid)
        limit = base + 256 * MIB
        v2_tree(root, limit)
        print("resting RSS %d MiB, limit %d MiB" % (base // MIB, limit // MIB))
        crossed_at = None

        def step_until(fraction):
            for _ in range(200):
                u = rss(s.pid)
                write(usage, "%d\n" % u)
                if u >= limit * fraction:
                    time.sleep(1.5)  # the agent checks every second
                    return u
                # Slower near the thresholds: one check a second must see each crossed alone
                # (two crossed between checks make one dump, for the higher).
                near = u >= limit * 0.78
                s.do("dbb-keep %d 1048576" % (2 if near else 8))
                time.sleep(0.3 if near else 0.1)
            raise lbtest.Failure("usage never reached %.0f%%" % (fraction * 100))

        crossed_at = step_until(0.97)
        print("usage at 97%%: %d MiB" % (crossed_at // MIB))
        first = watermark_reports(s)
        check([r["watermark"].get("threshold_percent") for r in first] == [85, 95],
              "watermark reports %s" % [r.get("watermark") for r in first])
        r85 = first[0]
        w = r85["watermark"]
        check(w["limit_bytes"] == limit and w["measure"] == "cgroup_working_set",
              "watermark object %s" % w)
        check(limit * 0.85 <= w["usage_bytes"] < limit,
              "85%% report at usage %d of limit %d" % (w["usage_bytes"], limit))
        check(w["threshold_bytes"] == limit // 100 * 85, "threshold %s" % w)
        top = r85["sites"][0]
        check(("LiveDumps", "keepBuffers") in lbtest.java_frames(top),
              "the 85%% report's largest site is %s" % lbtest.describe(top))
        ml = r85["memory_limit"]
        check(ml["cgroup_version"] == 2 and ml["limit_bytes"] == limit and
              ml["cgroup"] == "/sys/fs/cgroup/kubepods/pod-a/ctr", "memory_limit %s" % ml)
        # Below 95% less 10%: 95% re-arms (85% does not: usage is above 76.5%).
        write(usage, "%d\n" % int(limit * 0.80))
        time.sleep(2.5)
        write(usage, "%d\n" % int(limit * 0.96))
        time.sleep(2.5)
        again = watermark_reports(s)
        check([r["watermark"].get("threshold_percent") for r in again] == [85, 95, 95],
              "after falling to 80%% and rising to 96%%: %s" % [
                  r["watermark"].get("threshold_percent") for r in again])
        s.quit()
    finally:
        os.environ.pop("LEAKBRIDGE_TEST_ROOT", None)
        s.kill()
    statuses = [r["reason"] for r in (env.load(p) for p in s.report_paths())]
    check(statuses.count("watermark") == 3 and statuses[-1] == "exit", "reports %s" % statuses)


def limit_v1(env):
    root = os.path.join(env.work, "root-v1")
    write(root + "/proc/self/cgroup", "9:pids:/\n4:memory:/hadoop-yarn/container_7\n0::/\n")
    write(root + "/proc/self/mountinfo",
          "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
          "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
          "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n")
    top = root + "/sys/fs/cgroup/memory"
    write(top + "/memory.limit_in_bytes", "9223372036854771712\n")
    ctr = top + "/hadoop-yarn/container_7"
    write(ctr + "/memory.limit_in_bytes", "%d\n" % (4 << 30))
    write(ctr + "/memory.usage_in_bytes", "%d\n" % (3 << 30))
    write(ctr + "/memory.stat", "cache 1\ntotal_inactive_file %d\nhierarchical_memory_limit "
          "%d\n" % (1 << 30, 4 << 30))
    p, report = lbtest.run_report(env, "v1", "DirectBuffersKept", [3, 4096],
                                  env={**os.environ, "LEAKBRIDGE_TEST_ROOT": root})
    ml = report["memory_limit"]
    print("v1:", ml)
    check(ml["cgroup_version"] == 1 and ml["cgroup"] == "/sys/fs/cgroup/memory/hadoop-yarn/"
          "container_7", "v1 cgroup %s" % ml)
    check(ml["limit_bytes"] == 4 << 30 and ml["usage_bytes"] == 3 << 30 and
          ml["working_set_bytes"] == 2 << 30, "v1 figures %s" % ml)
    check(ml["rss_bytes"] > 0, "no RSS")


def bytes_without_limit(env):
    root = os.path.join(env.work, "root-none")
    write(root + "/proc/self/cgroup", "0::/\n")
    write(root + "/proc/self/mountinfo", "")
    os.environ["LEAKBRIDGE_TEST_ROOT"] = root
    try:
        s = lbtest.Session(env, "bytes", options="sample=0,dump_at=90")
        s.quit()
        check("no memory limit" in s.stderr_text() and "dump_at_bytes" in s.stderr_text(),
              "no one-line notice for dump_at without a limit: %r" % s.stderr_text())
        probe = lbtest.Session(env, "probe", options="sample=0")
        at = rss(probe.pid) + 96 * MIB
        probe.quit()
        s = lbtest.Session(env, "bytes2", options="sample=0,dump_at_bytes=%d" % at)
        for _ in range(40):
            if rss(s.pid) > at + 16 * MIB:
                break
            s.do("dbb-keep 8 1048576")
        time.sleep(2)
        s.quit()
    finally:
        os.environ.pop("LEAKBRIDGE_TEST_ROOT", None)
    w = watermark_reports(s)
    check(len(w) == 1, "%d watermark reports with dump_at_bytes" % len(w))
    check(w[0]["watermark"]["measure"] == "rss" and w[0]["watermark"]["threshold_bytes"] == at
          and w[0]["watermark"]["usage_bytes"] >= at, "watermark %s" % w[0]["watermark"])
    check(w[0]["memory_limit"]["cgroup_version"] == 0, "cgroup %s" % w[0]["memory_limit"])
    check(keep_site(w[0]), "the leak is not in the watermark report")


def machine_cgroup(env):
    """The agent's reading of this machine's own cgroups, against this test's."""
    want_version, want_dir = 0, ""
    mounts = [l.split(" - ") for l in open("/proc/self/mountinfo").read().splitlines()]
    lines = [l.split(":", 2) for l in open("/proc/self/cgroup").read().splitlines()]
    for num, ctrls, path in lines:
        if "memory" in ctrls.split(","):
            for left, right in mounts:
                f = left.split()
                if right.split()[0] == "cgroup" and "memory" in right.split()[2].split(","):
                    want_version, root, point = 1, f[3], f[4]
    if not want_version:
        for num, ctrls, path in lines:
            if num == "0" and ctrls == "":
                for left, right in mounts:
                    f = left.split()
                    if right.split()[0] == "cgroup2":
                        want_version, root, point = 2, f[3], f[4]
    if want_version:
        path = [p for n, c, p in lines if (want_version == 1 and "memory" in c.split(",")) or
                (want_version == 2 and n == "0" and c == "")][0]
        rel = path[len(root):] if root != "/" and path.startswith(root) else (
            "" if root != "/" else path)
        want_dir = point + ("" if rel == "/" else rel)
    p, report = lbtest.run_report(env, "machine", "DirectBuffersKept", [3, 4096])
    ml = report["memory_limit"]
    print("this machine:", ml)
    check(ml["cgroup_version"] == want_version, "cgroup version %s, expected %d" % (
        ml, want_version))
    check(ml.get("cgroup", "") == want_dir, "cgroup %r, expected %r" % (ml.get("cgroup"), want_dir))


def test(env):
    machine_cgroup(env)
    limit_v1(env)
    bytes_without_limit(env)
    limit_v2_leak(env)


if __name__ == "__main__":
    lbtest.main(test)
