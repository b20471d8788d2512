/*
 * cs_test_heap.h - a malloc-backed allocator for the host callbacks of the core's UGen logic (cs_cp_*, cs_cl_*:
 * RTAlloc / RTFree in the shims), which can refuse (above `limit` bytes) and counts its calls. 64-byte aligned,
 * as RTAlloc's pool is at least 16-byte aligned. Test code only.
 */
#ifndef CS_TEST_HEAP_H
#define CS_TEST_HEAP_H

#include <stddef.h>
#include <stdlib.h>

typedef struct heap {
    size_t limit; /* larger requests return NULL (SIZE_MAX: never refuse) */
    int allocs, frees;
} heap;

static void *heap_alloc(void *user, size_t bytes)
{
    heap *h = (heap *)user;
    if (bytes > h->limit) return NULL;
    h->allocs++;
    return aligned_alloc(64, (bytes + 63) & ~(size_t)63);
}

static void heap_free(void *user, void *ptr)
{
    ((heap *)user)->frees++;
    free(ptr);
}

#endif
