"""Under a preloaded allocator that defines operator new itself (Debian's jemalloc does, and so
do tcmalloc and ASan; Flink's images preload jemalloc), C++ allocations of JNI libraries are
seen as under glibc: the three C++ tests (new and new[] kept, every new matched by its delete,
std::string blocks that libstdc++'s own code allocates) pass unchanged with jemalloc preloaded.
Before the fix, new[] and every std::string were lost: libstdc++'s operator new[] and
std::string code called jemalloc's operator new, which no hook saw. Skipped if Debian's
libjemalloc2 is not installed."""
import os

import lbtest
import test_native_cpp_delete
import test_native_cpp_new
import test_native_stl


def test(env):
    if not os.path.exists(lbtest.JEMALLOC):
        lbtest.skip("%s missing: apt-get install libjemalloc2" % lbtest.JEMALLOC)
    os.environ["LD_PRELOAD"] = " ".join(
        p for p in (os.environ.get("LD_PRELOAD"), lbtest.JEMALLOC) if p)
    for t in (test_native_cpp_new, test_native_cpp_delete, test_native_stl):
        print("== %s under jemalloc" % t.__name__)
        t.test(env)


if __name__ == "__main__":
    lbtest.main(test)
