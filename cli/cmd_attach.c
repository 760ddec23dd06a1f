/* leakbridge attach and dump: the agent's jcmd commands, with the quoting done, the agent
 * library found, and the new report's path printed. */
#include <errno.h>
#include <getopt.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "jcmd.h"
#include "units.h"
#include "leakbridge/report_format.h"
#include "leakbridge/options.h"

#define JCMD_TIMEOUT_S 60

static const char attach_usage[] =
    "usage: leakbridge attach PID [OPTIONS] [--agent PATH]\n"
    "\n"
    "Loads the leakbridge agent into the running JVM PID with jcmd PID JVMTI.agent_load.\n"
    "OPTIONS are the agent's, key=value separated by commas, as after -agentpath:...=\n"
    "(for example output=/tmp/lb-%p-%n.json,sample=0); a relative output= path is made\n"
    "absolute against the current directory. The agent tracks allocations from then on\n"
    "and writes reports on 'leakbridge dump', every interval= and at exit.\n"
    "\n"
    "  --agent PATH   the agent library (default: libleakbridge.so beside this program, or\n"
    "                 in ../lib)\n"
    "  -h, --help     this text\n"
    "\n"
    "Exit status: 0 loaded, 2 bad options, PID not a JVM or not yours, or the load failed.\n";

static const char dump_usage[] =
    "usage: leakbridge dump PID [--wait] [--timeout SECONDS] [--output PATTERN]\n"
    "\n"
    "Makes the leakbridge agent in the running JVM PID write a report now (jcmd PID\n"
    "JVMTI.data_dump; without a jcmd, as in a JRE, SIGQUIT, on which the JVM also prints a\n"
    "thread dump). With --wait, waits for the new report and prints its path.\n"
    "The report's path pattern is the agent's output= option, read from the JVM's command\n"
    "line (-agentpath:...libleakbridge.so=...) or JAVA_TOOL_OPTIONS, or remembered by\n"
    "'leakbridge attach' for this JVM; the agent's default leakbridge-%p-%n.json in the\n"
    "JVM's working directory otherwise.\n"
    "\n"
    "  --wait            wait for the report and print its path\n"
    "  --timeout SECONDS how long --wait waits (default 30)\n"
    "  --output PATTERN  the agent's output= pattern, for an agent loaded with other\n"
    "                    options by jcmd itself\n"
    "  -h, --help        this text\n"
    "\n"
    "Exit status: 0 done, 2 PID not a JVM or not yours, no agent, jcmd failed, or no report\n"
    "within the timeout.\n";

/* The agent library: --agent, else beside this program or in ../lib. */
static bool find_agent(const char *given, char path[PATH_MAX])
{
    static const char *const places[] = {"%s/libleakbridge.so", "%s/../lib/libleakbridge.so",
                                         "%s/../lib/leakbridge/libleakbridge.so"};
    char candidate[PATH_MAX * 2];
    if (given) {
        if (!realpath(given, path)) {
            lbc_error("--agent %s: %s", given, strerror(errno));
            return false;
        }
        return true;
    }
    for (size_t i = 0; i < sizeof places / sizeof places[0]; i++) {
        snprintf(candidate, sizeof candidate, places[i], lbc_self_dir());
        if (access(candidate, R_OK) == 0 && realpath(candidate, path))
            return true;
    }
    lbc_error("no libleakbridge.so beside %s or in its ../lib: give --agent PATH", lbc_self_dir());
    return false;
}

/* The options with a relative output= (or output:) made absolute against our directory.
 * Caller frees. */
static char *absolute_output(const char *options)
{
    char cwd[PATH_MAX];
    size_t cap = strlen(options) + sizeof cwd + 2;
    char *out = malloc(cap), *copy = strdup(options);
    if (!out || !copy || !getcwd(cwd, sizeof cwd)) {
        free(out);
        free(copy);
        return NULL;
    }
    out[0] = '\0';
    for (char *save = NULL, *item = strtok_r(copy, ",", &save); item;
         item = strtok_r(NULL, ",", &save)) {
        if (out[0])
            strcat(out, ",");
        bool output = strncmp(item, "output", 6) == 0 && (item[6] == '=' || item[6] == ':');
        if (output && item[7] != '/') {
            strncat(out, item, 7);
            strcat(out, cwd);
            strcat(out, "/");
            strcat(out, item + 7);
        } else {
            strcat(out, item);
        }
    }
    free(copy);
    return out;
}

int lbc_attach_main(int argc, char **argv)
{
    static const struct option options[] = {{"agent", required_argument, NULL, 'a'},
                                            {"help", no_argument, NULL, 'h'},
                                            {NULL, 0, NULL, 0}};
    const char *agent_given = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case 'a':
            agent_given = optarg;
            break;
        case 'h':
            fputs(attach_usage, stdout);
            return LBC_EXIT_OK;
        default:
            return lbc_bad_option("attach");
        }
    }
    if (argc - optind < 1 || argc - optind > 2)
        return lbc_usage_error("attach", "expected PID and, optionally, the agent's OPTIONS");
    const char *text = argc - optind == 2 ? argv[optind + 1] : "";
    struct lb_options opts;
    char err[512], agent[PATH_MAX];
    if (!lb_options_parse(text, &opts, err, sizeof err))
        return lbc_usage_error("attach", "%s", err);
    if (strchr(text, '"'))
        return lbc_usage_error("attach", "OPTIONS cannot contain '\"': jcmd cannot pass it");
    struct lbc_jvm jvm;
    if (!find_agent(agent_given, agent) || !lbc_jvm_open(argv[optind], &jvm))
        return LBC_EXIT_BAD;
    if (!jvm.jcmd[0])
        return lbc_error("%s: loading an agent into a running JVM needs a JDK's jcmd (or another "
                         "client of the attach API); install a JDK and set JAVA_HOME, or start "
                         "the JVM with -agentpath:%s=OPTIONS",
                         lbc_jvm_no_jcmd(&jvm, err, sizeof err), agent);

    /* jcmd cuts an unquoted argument at '=': the options go in double quotes. */
    char *absolute = absolute_output(text), *quoted = NULL, *output = NULL;
    if (!absolute || asprintf(&quoted, "\"%s\"", absolute) < 0) {
        free(absolute);
        return lbc_error("out of memory");
    }
    const char *args[] = {"JVMTI.agent_load", agent, text[0] ? quoted : NULL, NULL};
    int status = lbc_jvm_jcmd(&jvm, args, JCMD_TIMEOUT_S, &output);
    bool loaded = status == 0 && output && strstr(output, "return code: 0");
    if (!loaded) {
        lbc_error("jcmd could not load %s into JVM %ld:", agent, (long)jvm.pid);
        lbc_jvm_print_output(output);
        if (output && strstr(output, "return code:"))
            fprintf(stderr, "  (the JVM's stderr has the agent's own message)\n");
    } else {
        lb_options_parse(absolute, &opts, err, sizeof err);
        printf("leakbridge: %s into JVM %ld (%s)\n",
               jvm.agent_loaded ? "agent was already loaded, options unchanged, report written;"
                                : "agent loaded",
               (long)jvm.pid, agent);
        /* The agent's own word on where reports go wins: a second load changes nothing. */
        char *remembered = NULL;
        bool known = lbc_jvm_remembered_output(&jvm, &remembered);
        const char *where = known ? remembered : opts.output;
        if (known || !jvm.agent_loaded)
            printf("reports: %s%s%s\n", where[0] == '/' ? "" : jvm.cwd, where[0] == '/' ? "" : "/",
                   where);
        bool plain = known || jvm.agent_loaded || !strcmp(where, LB_OUTPUT_FILE_NAME);
        printf("take one now: leakbridge dump %ld --wait%s%s\n", (long)jvm.pid,
               plain ? "" : " --output ", plain ? "" : where);
        free(remembered);
    }
    free(output);
    free(quoted);
    free(absolute);
    return loaded ? LBC_EXIT_OK : LBC_EXIT_BAD;
}

struct seen {
    char **paths;
    ino_t *inodes;
    size_t count;
};

/* The report files that exist now, by path and inode (a rename over a file is a new one). */
static bool list_reports(const char *pattern, struct seen *out)
{
    glob_t g;
    memset(out, 0, sizeof *out);
    int rc = glob(pattern, GLOB_BRACE, NULL, &g); /* braces: see lb_output_path_glob */
    if (rc == GLOB_NOMATCH)
        return true;
    if (rc != 0)
        return false;
    out->paths = calloc(g.gl_pathc, sizeof *out->paths);
    out->inodes = calloc(g.gl_pathc, sizeof *out->inodes);
    for (size_t i = 0; out->paths && out->inodes && i < g.gl_pathc; i++) {
        struct stat st;
        if (stat(g.gl_pathv[i], &st) != 0 || !(out->paths[out->count] = strdup(g.gl_pathv[i])))
            continue;
        out->inodes[out->count++] = st.st_ino;
    }
    globfree(&g);
    return out->paths && out->inodes;
}

static void free_seen(struct seen *s)
{
    for (size_t i = 0; i < s->count; i++)
        free(s->paths[i]);
    free(s->paths);
    free(s->inodes);
}

/* A path in now that was not in before; NULL if none. */
static const char *new_report(const struct seen *before, const struct seen *now)
{
    for (size_t i = 0; i < now->count; i++) {
        bool old = false;
        for (size_t j = 0; j < before->count && !old; j++)
            old =
                before->inodes[j] == now->inodes[i] && strcmp(before->paths[j], now->paths[i]) == 0;
        if (!old)
            return now->paths[i];
    }
    return NULL;
}

static int wait_report(const char *pattern, const struct seen *before, long timeout)
{
    struct timespec start, t, pause = {0, 50 * 1000 * 1000};
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        struct seen now;
        if (!list_reports(pattern, &now))
            return lbc_error("cannot list %s: %s", pattern, strerror(errno));
        const char *found = new_report(before, &now);
        if (found) {
            printf("%s\n", found);
            free_seen(&now);
            return LBC_EXIT_OK;
        }
        free_seen(&now);
        clock_gettime(CLOCK_MONOTONIC, &t);
        if (t.tv_sec - start.tv_sec >= timeout)
            return lbc_error("no new report matching %s within %ld s (the JVM's stderr says why "
                             "if the agent could not write it; --output if it writes elsewhere)",
                             pattern, timeout);
        nanosleep(&pause, NULL);
    }
}

/* jcmd PID JVMTI.data_dump; without a jcmd (a JRE), SIGQUIT, on which the agent dumps too. */
static bool ask_for_report(const struct lbc_jvm *jvm, bool agent_on_cmdline)
{
    char why[128], *output = NULL;
    if (!jvm->jcmd[0]) {
        if (!lbc_jvm_sigquit(jvm, agent_on_cmdline))
            return false;
        fprintf(stderr,
                "leakbridge: %s: sent SIGQUIT instead (the JVM prints a thread dump on "
                "its stdout too)\n",
                lbc_jvm_no_jcmd(jvm, why, sizeof why));
        return true;
    }
    const char *args[] = {"JVMTI.data_dump", NULL};
    bool ok = lbc_jvm_jcmd(jvm, args, JCMD_TIMEOUT_S, &output) == 0;
    if (!ok) {
        lbc_error("jcmd %ld JVMTI.data_dump failed:", (long)jvm->pid);
        lbc_jvm_print_output(output);
    }
    free(output);
    return ok;
}

int lbc_dump_main(int argc, char **argv)
{
    static const struct option options[] = {{"wait", no_argument, NULL, 'w'},
                                            {"timeout", required_argument, NULL, 't'},
                                            {"output", required_argument, NULL, 'o'},
                                            {"help", no_argument, NULL, 'h'},
                                            {NULL, 0, NULL, 0}};
    bool wait = false;
    long timeout = 30;
    const char *given = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case 'w':
            wait = true;
            break;
        case 't':
            if (!lbc_parse_count(optarg, &timeout) || timeout < 1)
                return lbc_usage_error("dump", "--timeout '%s': expected whole seconds >= 1",
                                       optarg);
            break;
        case 'o':
            given = optarg;
            break;
        case 'h':
            fputs(dump_usage, stdout);
            return LBC_EXIT_OK;
        default:
            return lbc_bad_option("dump");
        }
    }
    if (argc - optind != 1)
        return lbc_usage_error("dump", "expected one PID, got %d %s", argc - optind,
                               lb_units_plural(argc - optind, "argument", "arguments"));
    struct lbc_jvm jvm;
    if (!lbc_jvm_open(argv[optind], &jvm))
        return LBC_EXIT_BAD;

    char *text = NULL, err[512];
    bool on_cmdline = lbc_jvm_agent_options(&jvm, &text);
    if (!jvm.agent_loaded && !on_cmdline) {
        free(text);
        return lbc_error("the leakbridge agent is not loaded in JVM %ld: load it with "
                         "'leakbridge attach %ld' or start the JVM with -agentpath",
                         (long)jvm.pid, (long)jvm.pid);
    }
    struct lb_options opts;
    lb_options_defaults(&opts);
    char *remembered = NULL;
    if (given) /* a directory, ending in '/', holds the default name, as in output= */
        snprintf(opts.output, sizeof opts.output, "%s%s", given,
                 given[0] && given[strlen(given) - 1] == '/' ? LB_OUTPUT_FILE_NAME : "");
    else if (on_cmdline && !lb_options_parse(text, &opts, err, sizeof err)) {
        free(text);
        return lbc_error("JVM %ld's agent options: %s; give --output", (long)jvm.pid, err);
    } else if (!on_cmdline && lbc_jvm_remembered_output(&jvm, &remembered))
        snprintf(opts.output, sizeof opts.output, "%s", remembered);
    free(remembered);
    free(text);
    char *pattern = lbc_jvm_report_glob(&jvm, opts.output);
    struct seen before;
    if (!pattern || !list_reports(pattern, &before)) {
        free(pattern);
        return lbc_error("cannot list the existing reports: %s", strerror(errno));
    }
    int status = LBC_EXIT_BAD;
    if (!ask_for_report(&jvm, on_cmdline))
        ; /* said why */
    else if (wait)
        status = wait_report(pattern, &before, timeout);
    else {
        printf("leakbridge: JVM %ld asked for a report; it appears as %s\n", (long)jvm.pid,
               pattern);
        status = LBC_EXIT_OK;
    }
    free_seen(&before);
    free(pattern);
    return status;
}
