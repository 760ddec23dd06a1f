/* A toy arena, as RocksDB's or a JNI library's: blocks bump-allocated from 64 KiB malloc'd
 * chunks, each block reported with leakbridge.h (libleakpool.so, toy_arena.c). Its C API is
 * used by the JNI natives (leakpool.c) and by a plain C program (pool_plain.c). */
#ifndef TOY_ARENA_H
#define TOY_ARENA_H

#include <stddef.h>

#define TOY_ARENA_TAG "toy-arena"
#define TOY_ARENA_CHUNK 65536

struct toy_arena;

struct toy_arena *toy_arena_new(void);
/* A block of size bytes (8-byte aligned, at most a chunk), reported to leakbridge. */
void *toy_arena_alloc(struct toy_arena *a, size_t size);
/* Gives a block back: reported; the memory is not reused (a bump arena). */
void toy_arena_free(struct toy_arena *a, void *block);
/* Grows a block into a new one: the contents copied, the change reported as a realloc. */
void *toy_arena_grow(struct toy_arena *a, void *block, size_t old_size, size_t size);
size_t toy_arena_chunks(const struct toy_arena *a);

#endif
