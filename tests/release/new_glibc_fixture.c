/* A library built the ordinary way: Debian's shared jansson, a symbol exported that should not
 * be, and glibc 2.36's newest versions (dlopen@GLIBC_2.34, stat@GLIBC_2.33).
 * release.portable_rejects checks that check_portable.py names each problem, so that the checks
 * of the real agent and command can fail. */
#include <dlfcn.h>
#include <jansson.h>
#include <sys/stat.h>

int fixture_uses(const char *path);
int fixture_uses(const char *path)
{
    struct stat st;
    json_t *j = json_object();
    json_decref(j);
    return dlopen(path, RTLD_NOW) != NULL && stat(path, &st) == 0;
}

int fixture_helper(void);
int fixture_helper(void)
{
    return 1;
}
