/* A running JVM, as attach and dump see it: checks that a pid is a JVM of ours, finds and runs
 * its jcmd, reads where its agent writes reports. */
#ifndef LBC_JCMD_H
#define LBC_JCMD_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

struct lbc_jvm {
    pid_t pid;
    char cwd[PATH_MAX];  /* its working directory */
    char jcmd[PATH_MAX]; /* the jcmd to run; "" when none was found */
    bool agent_loaded;   /* a libleakbridge*.so is mapped in it */
};

/* Fills *jvm for pid, or prints why it cannot be driven (no such process, another user's, not
 * a JVM) and returns false. Runs nothing in the target: jcmd makes a process that is not a JVM
 * quit. jcmd is $JAVA_HOME/bin/jcmd, else the jcmd beside the target's java, else jcmd on
 * PATH; jvm->jcmd is "" if there is none (a JRE). */
bool lbc_jvm_open(const char *pid_text, struct lbc_jvm *jvm);

/* "no jcmd found ($JAVA_HOME/bin, beside JVM 7's java, PATH)", for messages. */
const char *lbc_jvm_no_jcmd(const struct lbc_jvm *jvm, char *buf, size_t len);

/* Sends the JVM SIGQUIT, on which the JVM prints a thread dump on its stdout and the agent
 * writes a report (JVMTI's DataDumpRequest), as jcmd JVMTI.data_dump would have it do. Only to
 * a JVM (libjvm.so mapped) with the agent (a libleakbridge*.so mapped, or agent_on_cmdline)
 * whose SIGQUIT handler is installed (/proc/PID/status SigCgt: not under -Xrs, not still
 * starting): anything else the signal would kill. Checked again just before the signal, on
 * the process the signal then goes to (a pidfd). Prints why and returns false otherwise. */
bool lbc_jvm_sigquit(const struct lbc_jvm *jvm, bool agent_on_cmdline);

/* Runs jcmd PID ARGS... (args NULL-terminated), at most timeout_s seconds; its output (stdout
 * and stderr) goes to *output (caller frees). Returns jcmd's exit status, -1 if it could not
 * run or timed out (with a message printed). */
int lbc_jvm_jcmd(const struct lbc_jvm *jvm, const char *const *args, int timeout_s, char **output);

/* Prints jcmd's output, each line prefixed "  jcmd: ", on stderr. */
void lbc_jvm_print_output(const char *output);

/* The agent options the JVM was started with: the text after '=' of an
 * -agentpath:...leakbridge...=OPTIONS on its command line or in JAVA_TOOL_OPTIONS. Returns
 * false if there is none; *options is then NULL. The caller frees *options. */
bool lbc_jvm_agent_options(const struct lbc_jvm *jvm, char **options);

/* The absolute output pattern an agent loaded into this running JVM published for 'leakbridge
 * dump' (include/leakbridge/state_file.h), looked for under $XDG_RUNTIME_DIR/leakbridge, then
 * /tmp/leakbridge-UID. False if there is none for this very process; *pattern is then NULL.
 * The caller frees *pattern. */
bool lbc_jvm_remembered_output(const struct lbc_jvm *jvm, char **pattern);

/* The report path pattern as a glob(3) pattern for this JVM: relative patterns under its
 * working directory, %p its pid, %n and %t any text, %% a '%'. Caller frees. */
char *lbc_jvm_report_glob(const struct lbc_jvm *jvm, const char *pattern);

#endif
