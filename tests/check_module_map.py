"""Keeps docs/design.md's module map true to the code: every agent module is on exactly one
floor of the table, and each one includes only modules on floors below its own (so there is no
include circle). The command must not include the agent's headers."""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    design = open(os.path.join(ROOT, "docs", "design.md")).read()
    floor_of = {}
    for floor, cell in re.findall(r"^\| (\d+) \| ([^|]+) \|", design, re.M):
        for name in re.findall(r"`([a-z_]+)`", cell):
            if name in floor_of:
                sys.exit(f"design.md: module {name} is on two floors")
            floor_of[name] = int(floor)
    agent = os.path.join(ROOT, "agent")
    modules = sorted({f[:-2] for f in os.listdir(agent) if f.endswith((".c", ".h"))})
    problems = []
    for m in modules:
        if m not in floor_of:
            problems.append(f"agent/{m} is not in design.md's module map")
    for m in modules:
        for ext in (".c", ".h"):
            path = os.path.join(agent, m + ext)
            if not os.path.exists(path) or m not in floor_of:
                continue
            for inc in re.findall(r'#include "([a-z_]+)\.h"', open(path).read()):
                if inc == m or inc not in floor_of:
                    continue
                if floor_of[inc] >= floor_of[m]:
                    problems.append(f"agent/{m}{ext} (floor {floor_of[m]}) includes {inc}.h "
                                    f"(floor {floor_of[inc]}): calls must go down")
    for name in sorted(floor_of):
        if name not in modules:
            problems.append(f"design.md lists {name}, which is not in agent/")
    cli = os.path.join(ROOT, "cli")
    for f in sorted(os.listdir(cli)):
        if f.endswith((".c", ".h")):
            for inc in re.findall(r'#include "([a-z_]+)\.h"', open(os.path.join(cli, f)).read()):
                if inc in floor_of and not os.path.exists(os.path.join(cli, inc + ".h")):
                    problems.append(f"cli/{f} includes the agent's {inc}.h")
    for p in problems:
        print(p)
    if problems:
        sys.exit(1)
    print(f"module map: {len(modules)} agent modules on {len(set(floor_of.values()))} floors, "
          "every include goes down")


if __name__ == "__main__":
    main()
