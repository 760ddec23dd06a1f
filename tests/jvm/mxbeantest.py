"""Helpers of the MXBean tests (test_mxbean_*.py): the program that reads it
(tests/jvm/java/MXBeanRead.java), its output, and TopSites lines."""

import os
import re

import lbtest
from lbtest import check

NAME = "io.leakbridge:type=LeakBridge"
# "500000 B (488.3 KiB) live, +0 B since report 1, direct_buffer: MXBeanRead.holdBuffers (...)"
TOP_LINE = re.compile(r"^(\d+) B \([^)]*\) live, (?:([+-]\d+) B since report (\d+)|no report yet), "
                      r"(\w+): (.+)$")


def kind_attribute(kind, blocks=False):
    """The attribute of a report kind: direct_buffer -> LiveBytesDirectBuffer."""
    return ("LiveBlocks" if blocks else "LiveBytes") + "".join(
        w.capitalize() for w in kind.split("_"))


def values(stdout, prefix):
    """{NAME: VALUE} of the program's "PREFIX.NAME=VALUE" lines; TopSites as a list."""
    out, top = {}, {}
    for line in stdout.splitlines():
        if not line.startswith(prefix + "."):
            continue
        key, _, value = line[len(prefix) + 1:].partition("=")
        if key.startswith("TopSites."):
            top[int(key.split(".")[1])] = value
        else:
            out[key] = value
    out["TopSites"] = [top[i] for i in sorted(top)]
    return out


def top_line(line):
    """(live bytes, growth bytes or None, previous report or None, kind, stack) of a TopSites line."""
    m = TOP_LINE.match(line)
    check(m, "TopSites line not in the documented form: %r" % line)
    growth = int(m.group(2)) if m.group(2) else None
    since = int(m.group(3)) if m.group(3) else None
    return int(m.group(1)), growth, since, m.group(4), m.group(5)


def find_top(lines, kind, text):
    """The one TopSites line of kind that names text; fails unless there is exactly one."""
    found = [l for l in lines if top_line(l)[3] == kind and text in top_line(l)[4]]
    check(len(found) == 1, "expected one %s line naming %s in TopSites, found %d: %s" % (
        kind, text, len(found), lines))
    return top_line(found[0])


def mapped_file(env):
    return os.path.join(env.work, "mapped.bin")


def listening_ports(pid):
    """TCP ports the process has a listening socket on (its fds' inodes in /proc/net/tcp*)."""
    inodes = set()
    fd_dir = "/proc/%d/fd" % pid
    for fd in os.listdir(fd_dir):
        try:
            target = os.readlink(os.path.join(fd_dir, fd))
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(table):
            continue
        with open(table) as f:
            next(f)
            for row in f:
                cols = row.split()
                if cols[3] == "0A" and cols[9] in inodes:  # 0A: LISTEN
                    ports.add(int(cols[1].rsplit(":", 1)[1], 16))
    return ports


def container_memory():
    """(limit, usage file) as the agent documents reading them (cgroup v1 if /proc/self/cgroup
    has a memory controller, else v2): the limit -1 when unknown, the file None when there is
    none; for comparison, written apart from the agent."""
    v1 = v2 = None
    with open("/proc/self/cgroup") as f:
        for line in f:
            num, controllers, path = line.rstrip("\n").split(":", 2)
            if num == "0" and controllers == "":
                v2 = path
            if "memory" in controllers.split(","):
                v1 = path

    def number(path):
        try:
            return int(open(path).read().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def directory(mount, path, usage_file):
        d = mount + (path if path != "/" else "")
        if number(os.path.join(d, usage_file)) is None:
            d = mount
        return d

    if v1 is not None:
        d = directory("/sys/fs/cgroup/memory", v1, "memory.usage_in_bytes")
        usage = os.path.join(d, "memory.usage_in_bytes")
        limit = number(os.path.join(d, "memory.limit_in_bytes"))
        return (limit if limit is not None and limit < 1 << 62 else -1,
                usage if number(usage) is not None else None)
    if v2 is None:
        return -1, None
    d = directory("/sys/fs/cgroup", v2, "memory.current")
    usage = os.path.join(d, "memory.current")
    usage = usage if number(usage) is not None else None
    limits = []
    while True:
        n = number(os.path.join(d, "memory.max"))
        if n is not None:
            limits.append(n)
        if d == "/sys/fs/cgroup":
            break
        d = os.path.dirname(d)
    return (min(limits) if limits else -1), usage
