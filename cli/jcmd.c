#include "jcmd.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "leakbridge/output_path.h"
#include "leakbridge/state_file.h"

/* Reads a whole /proc file (they report size 0); NULL with errno set on failure. */
static char *read_proc(pid_t pid, const char *name, size_t *len)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/%s", (long)pid, name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    ssize_t got = 0;
    while (buf && (got = read(fd, buf + n, cap - n)) > 0) {
        n += (size_t)got;
        if (n == cap) {
            char *grown = realloc(buf, cap * 2 + 1);
            if (!grown) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = grown;
            cap *= 2;
        }
    }
    int saved = errno;
    close(fd);
    if (!buf || got < 0) {
        free(buf);
        errno = got < 0 ? saved : ENOMEM;
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

static bool executable(const char *path)
{
    return access(path, X_OK) == 0;
}

/* $JAVA_HOME/bin/jcmd, then the jcmd beside the target's java, then jcmd on PATH. */
static bool find_jcmd(struct lbc_jvm *jvm)
{
    const char *home = getenv("JAVA_HOME");
    char exe[PATH_MAX];
    if (home && home[0]) {
        snprintf(jvm->jcmd, sizeof jvm->jcmd, "%s/bin/jcmd", home);
        if (executable(jvm->jcmd))
            return true;
    }
    snprintf(exe, sizeof exe, "/proc/%ld/exe", (long)jvm->pid);
    ssize_t n = readlink(exe, jvm->jcmd, sizeof jvm->jcmd - 8);
    if (n > 0) {
        jvm->jcmd[n] = '\0';
        char *slash = strrchr(jvm->jcmd, '/');
        if (slash) {
            strcpy(slash + 1, "jcmd");
            if (executable(jvm->jcmd))
                return true;
        }
    }
    const char *path = getenv("PATH");
    for (const char *p = path ? path : ""; *p;) {
        size_t len = strcspn(p, ":");
        snprintf(jvm->jcmd, sizeof jvm->jcmd, "%.*s/jcmd", (int)len, p);
        if (len && executable(jvm->jcmd))
            return true;
        p += len + (p[len] == ':');
    }
    return false;
}

/* What the mappings of a process say: a JVM (libjvm.so) and the agent (libleakbridge*.so, the
 * library or a copy of it under another version's name). */
static void read_maps(const char *maps, bool *is_jvm, bool *agent)
{
    *is_jvm = *agent = false;
    for (const char *line = maps; *line;) {
        size_t len = strcspn(line, "\n");
        const char *path = memchr(line, '/', len);
        if (path) {
            size_t plen = len - (size_t)(path - line);
            const char *base = path;
            for (const char *p = path; p < path + plen; p++)
                if (*p == '/')
                    base = p + 1;
            size_t blen = plen - (size_t)(base - path);
            *is_jvm |= blen == 9 && strncmp(base, "libjvm.so", 9) == 0;
            *agent |= blen > 13 && strncmp(base, "libleakbridge", 13) == 0 &&
                      memmem(base, blen, ".so", 3) != NULL;
        }
        line += len + (line[len] == '\n');
    }
}

const char *lbc_jvm_no_jcmd(const struct lbc_jvm *jvm, char *buf, size_t len)
{
    snprintf(buf, len, "no jcmd found ($JAVA_HOME/bin, beside JVM %ld's java, PATH)",
             (long)jvm->pid);
    return buf;
}

bool lbc_jvm_open(const char *pid_text, struct lbc_jvm *jvm)
{
    long pid;
    size_t len;
    memset(jvm, 0, sizeof *jvm);
    if (!lbc_parse_count(pid_text, &pid) || pid <= 0 || pid > INT_MAX) {
        lbc_error("'%s' is not a process id", pid_text);
        return false;
    }
    jvm->pid = (pid_t)pid;
    if (kill(jvm->pid, 0) != 0) {
        if (errno == ESRCH)
            lbc_error("no process %ld", pid);
        else
            lbc_error("process %ld belongs to another user: run leakbridge as the JVM's user", pid);
        return false;
    }
    char *maps = read_proc(jvm->pid, "maps", &len);
    if (!maps) {
        lbc_error("cannot read /proc/%ld/maps (%s): process %ld is not yours; run leakbridge "
                  "as the JVM's user",
                  pid, strerror(errno), pid);
        return false;
    }
    bool is_jvm;
    read_maps(maps, &is_jvm, &jvm->agent_loaded);
    free(maps);
    char *comm = read_proc(jvm->pid, "comm", &len);
    if (comm && len && comm[len - 1] == '\n')
        comm[len - 1] = '\0';
    if (!is_jvm) {
        lbc_error("process %ld (%s) is not a JVM: no libjvm.so is loaded in it", pid,
                  comm ? comm : "?");
        free(comm);
        return false;
    }
    free(comm);
    char link[64];
    snprintf(link, sizeof link, "/proc/%ld/cwd", pid);
    ssize_t n = readlink(link, jvm->cwd, sizeof jvm->cwd - 1);
    if (n <= 0) {
        lbc_error("cannot read the working directory of JVM %ld: %s", pid, strerror(errno));
        return false;
    }
    jvm->cwd[n] = '\0';
    if (!find_jcmd(jvm))
        jvm->jcmd[0] = '\0';
    return true;
}

/* Whether the process has a handler for SIGQUIT (/proc/PID/status, SigCgt). */
static bool catches_sigquit(pid_t pid)
{
    size_t len;
    char *status = read_proc(pid, "status", &len);
    const char *line = status ? strstr(status, "\nSigCgt:") : NULL;
    unsigned long long caught = line ? strtoull(line + 8, NULL, 16) : 0;
    free(status);
    return caught & (1ULL << (SIGQUIT - 1));
}

bool lbc_jvm_sigquit(const struct lbc_jvm *jvm, bool agent_on_cmdline)
{
    long pid = (long)jvm->pid;
    size_t len;
    /* Checked and signalled through one pidfd: the pid cannot be another process's meanwhile. */
    int fd = (int)syscall(SYS_pidfd_open, jvm->pid, 0);
    char *maps = read_proc(jvm->pid, "maps", &len);
    bool is_jvm = false, agent = false, ok = false;
    if (maps)
        read_maps(maps, &is_jvm, &agent);
    free(maps);
    if (!is_jvm)
        lbc_error("process %ld is gone, or is no longer a JVM", pid);
    else if (!agent && !agent_on_cmdline)
        lbc_error("the leakbridge agent is not loaded in JVM %ld: no SIGQUIT sent", pid);
    else if (!catches_sigquit(jvm->pid))
        lbc_error("JVM %ld does not catch SIGQUIT (started with -Xrs, or still starting), which "
                  "would end it: none sent; install a JDK's jcmd or set JAVA_HOME",
                  pid);
    else if ((fd >= 0 ? syscall(SYS_pidfd_send_signal, fd, SIGQUIT, NULL, 0)
                      : kill(jvm->pid, SIGQUIT)) != 0)
        lbc_error("cannot send SIGQUIT to JVM %ld: %s", pid, strerror(errno));
    else
        ok = true;
    if (fd >= 0)
        close(fd);
    return ok;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int lbc_jvm_jcmd(const struct lbc_jvm *jvm, const char *const *args, int timeout_s, char **output)
{
    char pid[24];
    const char *argv[16];
    size_t argc = 0;
    snprintf(pid, sizeof pid, "%ld", (long)jvm->pid);
    argv[argc++] = jvm->jcmd;
    argv[argc++] = pid;
    for (size_t i = 0; args[i] && argc < 15; i++)
        argv[argc++] = args[i];
    argv[argc] = NULL;

    int fds[2];
    *output = NULL;
    if (pipe2(fds, O_CLOEXEC) != 0) {
        lbc_error("cannot run %s: %s", jvm->jcmd, strerror(errno));
        return -1;
    }
    fflush(stdout);
    fflush(stderr);
    pid_t child = fork();
    if (child == 0) {
        dup2(fds[1], 1);
        dup2(fds[1], 2);
        execv(jvm->jcmd, (char *const *)argv);
        fprintf(stderr, "cannot run %s: %s\n", jvm->jcmd, strerror(errno));
        _exit(127);
    }
    close(fds[1]);
    if (child < 0) {
        close(fds[0]);
        lbc_error("cannot run %s: %s", jvm->jcmd, strerror(errno));
        return -1;
    }
    size_t len = 0, cap = 4096;
    char *buf = malloc(cap);
    double deadline = now_s() + timeout_s;
    bool timed_out = false;
    while (buf) {
        struct pollfd p = {fds[0], POLLIN, 0};
        int left = (int)((deadline - now_s()) * 1000);
        if (left <= 0 || poll(&p, 1, left) == 0) {
            timed_out = true;
            break;
        }
        if (len + 1 == cap) {
            char *grown = realloc(buf, cap * 2);
            if (!grown)
                break;
            buf = grown;
            cap *= 2;
        }
        ssize_t got = read(fds[0], buf + len, cap - len - 1);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        len += (size_t)got;
    }
    close(fds[0]);
    if (timed_out)
        kill(child, SIGKILL);
    int status;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR)
        ;
    if (buf)
        buf[len] = '\0';
    *output = buf;
    if (timed_out) {
        lbc_error("%s %s %s did not answer within %d s", jvm->jcmd, pid, args[0], timeout_s);
        return -1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void lbc_jvm_print_output(const char *output)
{
    for (const char *p = output ? output : ""; *p;) {
        size_t len = strcspn(p, "\n");
        if (len)
            fprintf(stderr, "  jcmd: %.*s\n", (int)len, p);
        p += len + (p[len] == '\n');
    }
}

/* The options of an -agentpath of leakbridge in text[0..len) of words separated by sep. */
static char *options_in(const char *text, size_t len, char sep)
{
    static const char flag[] = "-agentpath:";
    for (const char *w = text; w < text + len;) {
        const char *end = memchr(w, sep, (size_t)(text + len - w));
        if (!end)
            end = text + len;
        size_t n = (size_t)(end - w);
        if (n > sizeof flag - 1 && strncmp(w, flag, sizeof flag - 1) == 0) {
            const char *eq = memchr(w, '=', n);
            const char *lib = w + sizeof flag - 1;
            size_t lib_len = (size_t)((eq ? eq : end) - lib);
            if (memmem(lib, lib_len, "leakbridge", 10))
                return eq ? strndup(eq + 1, (size_t)(end - eq - 1)) : strdup("");
        }
        w = end + 1;
    }
    return NULL;
}

bool lbc_jvm_agent_options(const struct lbc_jvm *jvm, char **options)
{
    size_t len;
    char *cmdline = read_proc(jvm->pid, "cmdline", &len);
    *options = cmdline ? options_in(cmdline, len, '\0') : NULL;
    free(cmdline);
    if (*options)
        return true;
    char *environ = read_proc(jvm->pid, "environ", &len);
    static const char name[] = "JAVA_TOOL_OPTIONS=";
    for (char *v = environ; v && v < environ + len; v += strlen(v) + 1)
        if (strncmp(v, name, sizeof name - 1) == 0) {
            *options = options_in(v + sizeof name - 1, strlen(v + sizeof name - 1), ' ');
            break;
        }
    free(environ);
    return *options != NULL;
}

char *lbc_jvm_report_glob(const struct lbc_jvm *jvm, const char *pattern)
{
    return lb_output_path_glob(pattern, (long)jvm->pid, jvm->cwd);
}

bool lbc_jvm_remembered_output(const struct lbc_jvm *jvm, char **pattern)
{
    *pattern = NULL;
    /* The agent wrote it with the JVM's environment, which may lack XDG_RUNTIME_DIR. */
    const char *runtime[] = {getenv("XDG_RUNTIME_DIR"), NULL};
    char dir[PATH_MAX], found[PATH_MAX + 64];
    for (int i = 0; i < 2; i++) {
        if (i == 1 && !runtime[0])
            break; /* the first try was /tmp already */
        if (lb_state_file_dir(runtime[i], dir, sizeof dir) &&
            lb_state_file_read(dir, (long)jvm->pid, found, sizeof found))
            return (*pattern = strdup(found)) != NULL;
    }
    return false;
}
