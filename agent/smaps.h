/* The process's mappings as the kernel counts them: /proc/self/smaps read in one go, each
 * mapping's range, permissions, whether it is backed by a file, its name and its resident bytes.
 *
 * The text and the table live in mappings of their own, never in malloc: a dump may read
 * megabytes of it (10,000 mappings), and a freed malloc block that large would raise glibc's
 * mmap threshold and change how the application's heap is used from then on. */
#ifndef LB_SMAPS_H
#define LB_SMAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum lb_smaps_prot { LB_SMAPS_R = 1, LB_SMAPS_W = 2, LB_SMAPS_X = 4 };

struct lb_smaps_map {
    uintptr_t start, end;
    uint64_t rss;      /* bytes resident ("Rss:") */
    uint64_t anon_rss; /* of which anonymous ("Anonymous:"), also in file mappings written to */
    const char *name;  /* path, "[heap]", "[stack]", "[vdso]"...; "" for anonymous memory */
    uint8_t prot;      /* enum lb_smaps_prot bits */
    bool shared;       /* 's' rather than 'p' */
    bool file;         /* backed by a file (an inode), or a memfd or SysV segment */
};

struct lb_smaps {
    struct lb_smaps_map *maps; /* by address, as the kernel lists them */
    size_t n;
    uint64_t rss;      /* sum of every mapping's rss */
    char *text;        /* the file's text; names point into it */
    size_t text_bytes; /* mapped for text */
    size_t maps_bytes; /* mapped for maps */
    size_t read_bytes; /* the file's length */
};

/* Reads and parses path (normally "/proc/self/smaps"). False, with out emptied, if it cannot be
 * read or memory for it cannot be mapped. */
bool lb_smaps_read(const char *path, struct lb_smaps *out);

/* Gives back what lb_smaps_read mapped. */
void lb_smaps_free(struct lb_smaps *s);

/* Index of the mapping that contains addr, or SIZE_MAX. */
size_t lb_smaps_find(const struct lb_smaps *s, uintptr_t addr);

/* True for memory no file backs: anonymous mappings, [heap], [stack]; false for [vdso] and the
 * like, which are the kernel's. */
bool lb_smaps_anonymous(const struct lb_smaps_map *m);

#endif
