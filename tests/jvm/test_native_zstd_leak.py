"""The zstd-jni field leak: 2,000 ZstdInputStreamNoFinalizer never closed. With sample=0 the
largest site is their ZSTD_DStreams, malloc'd in system libzstd.so.1 (ZSTD_createDStream, a
library the JNI library pulled in as DT_NEEDED), under ZstdInputStreamNoFinalizer.<init> and
ZstdLeak.openStreams, holding at least 2,000 blocks."""
import lbtest
from lbtest import check

STREAMS = 2000


def test(env):
    p, report = lbtest.run_zstd(env, "leak", ["leak", STREAMS])
    check("kept %d" % STREAMS in p.stdout, "the program did not keep %d streams" % STREAMS)
    top = lbtest.check_zstd_top_site(report, STREAMS)
    check(top["live_count"] < STREAMS + 50, "top site holds %d blocks for %d streams" % (
        top["live_count"], STREAMS))
    check(lbtest.zstd_stream_sites(report, "openStreams") == [top],
          "the leaked streams are split over several sites: %s" % [
              lbtest.describe_native(s) for s in lbtest.zstd_stream_sites(report, "openStreams")])
    ours = lbtest.agent_frames(report)
    check(not ours, "frames of the agent itself in the report: %s" % ours[:3])


if __name__ == "__main__":
    lbtest.main(test)
