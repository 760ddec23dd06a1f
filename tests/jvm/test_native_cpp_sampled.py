"""C++ `new` under sampling: 20,000 `new char[3001]` kept by leakcpp::hold_arrays, sampled at a
64 KiB mean, give an estimate within 15% of the truth, at one site whose leaf is hold_arrays.
Where libstdc++ is loaded after the agent (as the library's dependency, on Temurin), its own
malloc is hooked too, and a sampled `new` used to be recorded twice, in the operator's hook and
in operator new's malloc: the estimate was 1.95 times the truth."""
import os

import lbtest
from lbtest import check

ARRAYS, SIZE = 20000, 3001


def test(env):
    lib = os.path.realpath(lbtest.native_lib(env, "libleakcpp.so"))
    p, report = lbtest.run_report(env, "cpp", "CppLeak", ["arrays", ARRAYS], options="sample=64k")
    check("arrays %d" % ARRAYS in p.stdout, "the program did not keep its arrays")
    sites = [s for s in report["sites"] if ("CppLeak", "leakArrays") in lbtest.java_frames(s)]
    for s in sites:
        print("site:", lbtest.describe_native(s))
    check(len(sites) == 1, "expected one site for the arrays, got %d" % len(sites))
    leaf = sites[0]["frames"][0]
    check(leaf["type"] == "native" and "hold_arrays" in (leaf["symbol"] or "")
          and leaf["module"] == lib, "leaf is %s" % lbtest.frame_text(leaf))
    true_bytes = ARRAYS * SIZE
    est = sites[0]["live_bytes"]
    print("true %d bytes, estimated %d (%.1f%%)" % (true_bytes, est,
                                                    100.0 * (est - true_bytes) / true_bytes))
    # p(3001 B at a 64 KiB mean) = 4.5%: about 900 samples, a relative standard error of 3.3%,
    # so 15% is more than four standard errors.
    check(abs(est - true_bytes) <= 0.15 * true_bytes, "estimate off by more than 15%")


if __name__ == "__main__":
    lbtest.main(test)
