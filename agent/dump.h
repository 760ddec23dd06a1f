/* One dump, from start to end: snapshot the sites (forcing a GC first with gc=on), their ages,
 * growth and status, resolve their frames, build the report, write it whole, and say in one line
 * where it went. Dumps are serialized by one lock that no hook ever takes, and that the exit
 * report does not take either: it overtakes any dump in progress. */
#ifndef LB_DUMP_H
#define LB_DUMP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Why a report was written: its "reason" field. */
enum lb_dump_reason {
    LB_DUMP_EXIT,      /* VMDeath */
    LB_DUMP_JCMD,      /* jcmd PID JVMTI.data_dump, or SIGQUIT */
    LB_DUMP_INTERVAL,  /* interval= */
    LB_DUMP_API,       /* io.leakbridge.LeakBridge.dump */
    LB_DUMP_ATTACH,    /* a second agent_load into this JVM */
    LB_DUMP_WATERMARK, /* memory use crossed a dump_at or dump_at_bytes threshold */
    LB_DUMP_MXBEAN,    /* the dump() operation of the MXBean (mxbean.h) */
};

/* "exit", "jcmd", "interval", "api", "attach", "watermark", "mxbean". */
const char *lb_dump_reason_name(enum lb_dump_reason reason);

/* Writes one report now, to the output option's pattern. Allocating threads go on meanwhile.
 * Must run on a thread attached to the JVM, in the live phase. Returns false, after one line on
 * stderr, if the report could not be written.
 *
 * The exit report (LB_DUMP_EXIT, at VMDeath) never waits for another dump: it takes no lock a
 * dump holds while it forces a GC or writes, forces no GC while another dump's has not returned,
 * and numbers itself after the dumps already judged. Once it starts, every other dump gives up
 * where it is and writes nothing (the temporary file of one writing is removed; one that had
 * its number is named in one line), and no other dump starts: the JVM's exit is never delayed
 * by more than the exit report's own time, whatever another dump is stuck in. */
bool lb_dump(enum lb_dump_reason reason);

/* As lb_dump, from the agent's dumper thread, where Java code may run: the memory section adds
 * the JVM's management beans' figures (and NMT's summary when NMT is on). */
bool lb_dump_on_dumper_thread(enum lb_dump_reason reason);

/* As lb_dump, to path instead of the output option's pattern when path is not NULL; with
 * gc=on (or force_gc) first forces a GC (gc.h). On success copies the absolute path written
 * into written (if not NULL). */
bool lb_dump_write(enum lb_dump_reason reason, const char *path, bool force_gc, char *written,
                   size_t written_len);

/* As lb_dump(LB_DUMP_WATERMARK), the report carrying watermark (watermark.h; reference stolen). */
bool lb_dump_watermark(json_t *watermark);

/* The live bytes the site with this id had in the last dump, which growth is measured against,
 * and that dump's sequence number; false before the first dump (a site new since then had 0).
 * Takes a lock a dump holds only while it judges growth, never while it forces a GC or writes. */
bool lb_dump_previous_live(uint32_t site_id, uint64_t *live_bytes, unsigned *sequence);

/* The absolute path of the last report written, or "" when none was yet. */
void lb_dump_last_path(char *out, size_t len);

/* Says in one line, when the agent starts, that reports cannot be written where output=
 * points (no such directory, not writable, a directory itself), rather than only at the first
 * dump, which may come late or never (a container killed first). Tracking goes on. Otherwise
 * removes the temporary files that killed processes left there. */
void lb_dump_check_output(void);

#endif
