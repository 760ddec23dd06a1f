"""Two JVMs (two TaskManagers) run the same job, which keeps direct buffers allocated inside two
lambdas: the hidden classes' names differ between the JVMs (Foo$$Lambda$1/0x7f29...), yet merge
gives one site per lambda, with inputs 2 and both runs' blocks, and diff --force matches them
too. Before, every lambda site of the second report counted as new."""
import json
import os

import clitest
from clitest import check

COUNT = 25


def lambda_classes(report):
    return sorted({f["class"] for s in report["sites"] for f in s["frames"]
                   if f["type"] == "java" and "$$Lambda" in f["class"]})


def test(env):
    a_path, a = clitest.run_report(env, "a", "LambdaKeep", [COUNT])
    b_path, b = clitest.run_report(env, "b", "LambdaKeep", [COUNT])
    names_a, names_b = lambda_classes(a), lambda_classes(b)
    print("lambda classes:", names_a, names_b)
    check(len(names_a) == 2, "expected two lambda classes in the frames: %s" % names_a)
    if set(names_a) & set(names_b):
        # Both JVMs happened to give the same addresses: make the second one differ, as
        # another TaskManager's would.
        text = open(b_path).read()
        for name in names_b:
            text = text.replace(name, name.rsplit(".", 1)[0] + ".0x00000000deadbe%02x"
                                % names_b.index(name))
        b_path = os.path.join(env.work, "b-renamed.json")
        with open(b_path, "w") as f:
            f.write(text)
        b = json.loads(text)
    check(not set(lambda_classes(a)) & set(lambda_classes(b)), "the lambda names do not differ")

    out = os.path.join(env.work, "merged.json")
    clitest.run(["merge", a_path, b_path, "-o", out])
    merged = env.load(out)
    lambda_sites = [s for s in merged["sites"] if any("$$Lambda" in f.get("class", "")
                                                      for f in s["frames"])]
    for s in lambda_sites:
        print("merged site: %d blocks, inputs %d" % (s["live_count"], s["inputs"]))
    check(len(lambda_sites) == 2, "expected 2 merged lambda sites, got %d" % len(lambda_sites))
    check(all(s["inputs"] == 2 and s["live_count"] == 2 * COUNT for s in lambda_sites),
          "lambda sites not merged: %s" % [(s["inputs"], s["live_count"]) for s in lambda_sites])

    diff = clitest.run(["diff", a_path, b_path, "--force"]).stdout
    check(" new " not in diff, "diff calls a lambda site new:\n" + diff)


if __name__ == "__main__":
    clitest.main(test)
