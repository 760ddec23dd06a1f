/* leakbridge: reads the agent's reports (top, diff, check, flame, merge) and drives the agent
 * in a running JVM (attach, dump). */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "leakbridge/version.h"

static const struct {
    const char *name;
    int (*main)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"top", lbc_top_main, "the biggest live sites of a report, as a table"},
    {"diff", lbc_diff_main, "growth per site between two reports"},
    {"check", lbc_check_main, "CI gate: exit 1 if a report holds leaks, with their stacks"},
    {"flame", lbc_flame_main, "an interactive HTML flame graph of live bytes, or folded stacks"},
    {"merge", lbc_merge_main, "one report from many (every worker of a job)"},
    {"attach", lbc_attach_main, "load the agent into a running JVM (jcmd)"},
    {"dump", lbc_dump_main, "make a running JVM's agent write a report now (jcmd or SIGQUIT)"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: leakbridge COMMAND [OPTIONS] ...\n\n"
                 "Reads leakbridge reports and drives the leakbridge agent.\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n'leakbridge COMMAND --help' describes a command; docs/cli.md all of them.\n"
                 "Exit status: 0 done (check: clean), 1 check found leaks, 2 bad input or "
                 "failure.\n");
}

int lbc_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "leakbridge %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'leakbridge %s --help'.\n", cmd);
    return LBC_EXIT_BAD;
}

int lbc_bad_option(const char *cmd)
{
    fprintf(stderr, "Try 'leakbridge %s --help'.\n", cmd);
    return LBC_EXIT_BAD;
}

int lbc_error(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "leakbridge: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return LBC_EXIT_BAD;
}

int lbc_parse_count(const char *text, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < 0 || text[0] == '-' || text[0] == '+')
        return 0;
    *out = v;
    return 1;
}

const char *lbc_self_dir(void)
{
    static char dir[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", dir, sizeof dir - 1);
    if (n <= 0)
        return "";
    dir[n] = '\0';
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    return dir;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return LBC_EXIT_BAD;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return LBC_EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("leakbridge %s\n", LB_VERSION);
        return LBC_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(cmd, commands[i].name) == 0) {
            /* getopt names the program by argv[0] in its messages. */
            char name[32];
            snprintf(name, sizeof name, "leakbridge %s", cmd);
            argv[1] = name;
            int status = commands[i].main(argc - 1, argv + 1);
            /* errno is fflush's own only when fflush failed: a write that failed earlier
             * left just the stream's error flag. */
            int err = fflush(stdout) != 0 ? errno : ferror(stdout) ? EIO : 0;
            if (err)
                return lbc_error("cannot write the output: %s", strerror(err));
            return status;
        }
    fprintf(stderr, "leakbridge: no command '%s'\n\n", cmd);
    usage(stderr);
    return LBC_EXIT_BAD;
}
