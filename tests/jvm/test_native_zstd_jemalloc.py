"""Under jemalloc (LD_PRELOAD, as Flink's images run), the zstd-jni leak of 2,000 streams reads
the same as under glibc malloc, with sample=0: the same top site (native symbols and Java
frames) with the same count and the same bytes (the sizes asked for, not jemalloc's size
classes). Skipped if Debian's libjemalloc2 is not installed."""
import os

import lbtest
from lbtest import check

STREAMS = 2000


def stack(site):
    return [(f["type"], f.get("symbol"), f.get("class"), f.get("method")) for f in site["frames"]]


def test(env):
    if not os.path.exists(lbtest.JEMALLOC):
        lbtest.skip("%s missing: apt-get install libjemalloc2" % lbtest.JEMALLOC)
    p, glibc = lbtest.run_zstd(env, "glibc", ["leak", STREAMS])
    base = lbtest.check_zstd_top_site(glibc, STREAMS)

    p, jem = lbtest.run_zstd(env, "jemalloc", ["leak", STREAMS], env={"LD_PRELOAD": lbtest.JEMALLOC})
    check("jemalloc=true" in p.stdout, "jemalloc was not loaded into the JVM")
    top = lbtest.check_zstd_top_site(jem, STREAMS)
    check(stack(top) == stack(base), "the top site differs under jemalloc:\n  glibc    %s\n  jemalloc %s"
          % (lbtest.describe_native(base), lbtest.describe_native(top)))
    check(top["live_count"] == base["live_count"] and top["live_bytes"] == base["live_bytes"],
          "jemalloc: %d blocks, %d bytes; glibc: %d blocks, %d bytes" % (
              top["live_count"], top["live_bytes"], base["live_count"], base["live_bytes"]))


if __name__ == "__main__":
    lbtest.main(test)
