/* Function names of one ELF file, read once and kept in memory.
 *
 * A JNI library may be deleted right after System.loadLibrary, so the agent reads its symbol
 * table while the file (or /proc/self/map_files/...) can still be opened, and looks names up
 * later, at report time. The table refers to nothing outside itself (names are copied), is
 * never modified after construction, and so may be read from any thread without locking.
 * Nothing here calls the JVM; construction calls malloc, so keep it out of malloc hooks and
 * signal handlers. */
#ifndef LB_ELF_SYMBOLS_H
#define LB_ELF_SYMBOLS_H

#include <stddef.h>
#include <stdint.h>

/* Opaque: the function symbols of one ELF file, one per address, sorted by address. */
struct lb_elf_symbols;

/* Reads the function symbols (STT_FUNC and STT_GNU_IFUNC, defined, non-zero address, non-empty
 * name) of .symtab and .dynsym, merged: .symtab gives static functions, .dynsym is all a
 * stripped library has. When several names share one address one is kept: a sized symbol over
 * a zero-size alias, then global over weak over local, then the larger size, then the name
 * with fewer leading underscores, then the shorter, then the first in byte order (so malloc
 * wins over __libc_malloc, deterministically). Returns NULL on anything that is not a
 * readable regular file holding a 64-bit little-endian ELF; a valid ELF without symbols gives
 * an empty table. Malformed input never crashes: every offset, size, index and string is
 * bounds-checked against the file size. Uses pread, not mmap, so a file truncated meanwhile
 * gives an error instead of SIGBUS. Does not close fd. */
struct lb_elf_symbols *lb_elf_symbols_read_fd(int fd);

/* open(path) + lb_elf_symbols_read_fd + close; NULL when path cannot be opened. */
struct lb_elf_symbols *lb_elf_symbols_read_path(const char *path);

/* The function containing vaddr, an address in the file's own virtual address space (runtime
 * PC minus the module's load bias, dlpi_addr): its name, and *offset = vaddr - its start
 * (offset may be NULL). A sized symbol covers [start, start + size); one of size 0 covers up to
 * the next symbol or the end of its section. An address in a gap between functions (padding,
 * .plt) or outside all of them gives NULL, as does a NULL table; an address past an inner
 * function but still inside the one enclosing it gives the enclosing one. The name lives as
 * long as the table. O(log n). */
const char *lb_elf_symbols_lookup(const struct lb_elf_symbols *syms, uint64_t vaddr,
                                  uint64_t *offset);

/* Number of entries (distinct addresses); 0 for NULL. */
size_t lb_elf_symbols_count(const struct lb_elf_symbols *syms);

/* Frees the table (one allocation); NULL is fine. */
void lb_elf_symbols_free(struct lb_elf_symbols *syms);

#endif
