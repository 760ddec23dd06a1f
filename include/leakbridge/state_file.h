/* Where an attached agent's reports go, for `leakbridge dump`. An agent loaded into a running
 * JVM (jcmd JVMTI.agent_load, or leakbridge attach) has options no one else can read: the agent
 * writes its output pattern to a file of the user's own, named by pid and stamped with the
 * process's start time so that a reused pid does not mislead, and removes it at exit. The
 * agent writes and the command reads through these functions, so both agree on the format.
 *
 * The file is DIR/PID, holding "START\nPATTERN\n" (START: field 22 of /proc/PID/stat, PATTERN an
 * absolute output pattern). DIR is $XDG_RUNTIME_DIR/leakbridge when that variable is an
 * absolute path, else /tmp/leakbridge-UID; it is made 0700 and used only if it is the user's
 * own directory and no one else may enter it.
 * common/state_file.c implements it for both. */
#ifndef LEAKBRIDGE_STATE_FILE_H
#define LEAKBRIDGE_STATE_FILE_H

#include <stdbool.h>
#include <stddef.h>

/* The process's start time in clock ticks since boot, 0 if unknown. */
unsigned long long lb_state_file_start_time(long pid);

/* The state directory for runtime_dir (the XDG_RUNTIME_DIR to use, or NULL), made if missing.
 * False if it cannot be made or is not the user's alone. */
bool lb_state_file_dir(const char *runtime_dir, char *out, size_t len);

/* DIR/PID into out; false if it does not fit. */
bool lb_state_file_path(const char *dir, long pid, char *out, size_t len);

/* Writes pid's state file in dir with this absolute pattern. */
bool lb_state_file_write(const char *dir, long pid, const char *pattern);

/* Reads pid's pattern from dir into pattern; false if there is none for this very process. */
bool lb_state_file_read(const char *dir, long pid, char *pattern, size_t len);

#endif
