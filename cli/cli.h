/* The leakbridge command: one function per subcommand, and what they share. */
#ifndef LBC_CLI_H
#define LBC_CLI_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Exit codes, the same for every subcommand (docs/cli.md). */
enum {
    LBC_EXIT_OK = 0,    /* done; for check: no leak over the limit */
    LBC_EXIT_LEAKS = 1, /* check: leaks remain */
    LBC_EXIT_BAD = 2,   /* bad input, bad usage, or the command could not do its job */
};

/* Each takes the arguments after the command's name (argv[0] is the command's name). */
int lbc_top_main(int argc, char **argv);
int lbc_diff_main(int argc, char **argv);
int lbc_check_main(int argc, char **argv);
int lbc_flame_main(int argc, char **argv);
int lbc_merge_main(int argc, char **argv);
int lbc_attach_main(int argc, char **argv);
int lbc_dump_main(int argc, char **argv);

/* Prints "leakbridge CMD: MESSAGE" and a pointer to --help on stderr; returns LBC_EXIT_BAD. */
__attribute__((format(printf, 2, 3))) int lbc_usage_error(const char *cmd, const char *fmt, ...);

/* After getopt has printed what was wrong: points to --help; returns LBC_EXIT_BAD. */
int lbc_bad_option(const char *cmd);

/* Prints "leakbridge: MESSAGE" on stderr; returns LBC_EXIT_BAD. */
__attribute__((format(printf, 1, 2))) int lbc_error(const char *fmt, ...);

/* Parses a non-negative decimal integer option value; false if it is not one. */
int lbc_parse_count(const char *text, long *out);

/* One line saying what the agent's bounds did to a report (its "bounds": stacks folded into
 * overflow sites, blocks left untracked, sites summed up past report_sites), without a newline;
 * false, with out empty, when they did nothing or the report has no bounds. root is the
 * report's document (cmd_check.c). */
bool lbc_bounds_line(const json_t *root, char *out, size_t len);

/* The directory holding the running leakbridge executable ("" if unknown). */
const char *lbc_self_dir(void);

#endif
