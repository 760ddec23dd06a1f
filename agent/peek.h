/* Reading this process's memory where it may not be mapped: through process_vm_readv, which
 * answers an error rather than a fault. The memory section reads the JVM's internal tables and
 * the allocator's headers this way, so that a layout it does not expect (another JVM, a mapping
 * unmapped since /proc was read) costs a figure, never the JVM. */
#ifndef LB_PEEK_H
#define LB_PEEK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Copies len bytes at addr into out; false if any of them is not readable. */
bool lb_peek(uintptr_t addr, void *out, size_t len);

/* Reads len bytes at each of n addresses into out (len bytes each, in order) in as few system
 * calls as it can; returns how many of the first addresses were read whole (stops at the first
 * one that is not readable). */
size_t lb_peek_batch(const uintptr_t *addrs, size_t n, size_t len, void *out);

/* The 64-bit word at addr, or 0 if it is not readable. */
uint64_t lb_peek_word(uintptr_t addr);

/* A NUL-terminated string at addr into out (at most len - 1 bytes); false if none could be
 * read or it is longer. */
bool lb_peek_string(uintptr_t addr, char *out, size_t len);

#endif
