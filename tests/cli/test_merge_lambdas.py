"""Two JVMs (two TaskManagers) run the same job, which keeps direct buffers allocated inside two
lambdas and in a method called by reflection: the hidden classes' names differ between the JVMs
(Foo$$Lambda$1/0x7f29..., and on JDK 18+ reflection's LambdaForm$MH/0x...), yet merge gives one
site per allocating place, with inputs 2 and both runs' blocks, and diff --force matches them
too. Before, every such site of the second report counted as new."""
import json
import os
import re

import clitest
from clitest import check

COUNT = 25
HIDDEN = re.compile(r"\$\$Lambda|\.0x[0-9a-f]+$")


def hidden_classes(report):
    return sorted({f["class"] for s in report["sites"] for f in s["frames"]
                   if f["type"] == "java" and HIDDEN.search(f["class"])})


def test(env):
    a_path, a = clitest.run_report(env, "a", "LambdaKeep", [COUNT])
    b_path, b = clitest.run_report(env, "b", "LambdaKeep", [COUNT])
    names_a, names_b = hidden_classes(a), hidden_classes(b)
    print("hidden classes:", names_a, names_b)
    check(len([n for n in names_a if "$$Lambda" in n]) == 2,
          "expected two lambda classes in the frames: %s" % names_a)
    if set(names_a) & set(names_b):
        # Both JVMs happened to give some the same addresses: make the second one's differ, as
        # another TaskManager's would.
        text = open(b_path).read()
        for i, name in enumerate(names_b):
            text = text.replace(name, name.rsplit(".", 1)[0] + ".0x00000000deadbe%02x" % i)
        b_path = os.path.join(env.work, "b-renamed.json")
        with open(b_path, "w") as f:
            f.write(text)
        b = json.loads(text)
    check(not set(hidden_classes(a)) & set(hidden_classes(b)), "the hidden names do not differ")

    out = os.path.join(env.work, "merged.json")
    clitest.run(["merge", a_path, b_path, "-o", out])
    merged = env.load(out)
    kept = [s for s in merged["sites"]
            if any(f.get("class") == "LambdaKeep" for f in s["frames"])]
    for s in kept:
        print("merged site: %d blocks, inputs %d" % (s["live_count"], s["inputs"]))
    check(len(kept) == 3, "expected 3 merged sites (two lambdas, reflection), got %d" % len(kept))
    check(all(s["inputs"] == 2 and s["live_count"] == 2 * COUNT for s in kept),
          "sites not merged: %s" % [(s["inputs"], s["live_count"]) for s in kept])

    diff = clitest.run(["diff", a_path, b_path, "--force"]).stdout
    check(" new " not in diff, "diff calls a site new:\n" + diff)


if __name__ == "__main__":
    clitest.main(test)
