/*
 * cs_heap_count.h - a counting allocator for the tests that prove a path makes no heap call.
 *
 * Include it in exactly one file of a test executable (every tests/c/test_*.c is its own executable). With
 * glibc and no sanitizer it interposes malloc, calloc, realloc, free, aligned_alloc, posix_memalign and
 * memalign, forwarding to glibc's __libc_* functions, and counts the calls made while `counting` is set;
 * CS_COUNT_HEAP is then 1. Under AddressSanitizer (which owns the allocator) or without glibc nothing is
 * interposed and CS_COUNT_HEAP is 0: tests then run their functional checks only.
 * cs_heap_begin() starts counting from zero, cs_heap_end() stops and returns the number of calls.
 */
#ifndef CS_HEAP_COUNT_H
#define CS_HEAP_COUNT_H

#include <stddef.h>
#include <stdlib.h> /* the prototypes of the functions this header replaces */

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define CS_UNDER_SANITIZER 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define CS_UNDER_SANITIZER 1
#endif

static volatile int counting;
static volatile long heap_calls;

#if defined(__GLIBC__) && !defined(CS_UNDER_SANITIZER)
#define CS_COUNT_HEAP 1
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);
void *memalign(size_t align, size_t n);

static void count_call(void)
{
    if (counting) heap_calls++;
}

void *malloc(size_t n)
{
    count_call();
    return __libc_malloc(n);
}

void *calloc(size_t a, size_t b)
{
    count_call();
    return __libc_calloc(a, b);
}

void *realloc(void *p, size_t n)
{
    count_call();
    return __libc_realloc(p, n);
}

void free(void *p)
{
    if (p) count_call();
    __libc_free(p);
}

void *aligned_alloc(size_t align, size_t n)
{
    count_call();
    return __libc_memalign(align, n);
}

int posix_memalign(void **out, size_t align, size_t n)
{
    count_call();
    *out = __libc_memalign(align, n);
    return *out ? 0 : 12; /* ENOMEM */
}

void *memalign(size_t align, size_t n)
{
    count_call();
    return __libc_memalign(align, n);
}
#else
#define CS_COUNT_HEAP 0
#endif

static inline void cs_heap_begin(void)
{
    heap_calls = 0;
    counting = 1;
}

static inline long cs_heap_end(void)
{
    counting = 0;
    return heap_calls;
}

#endif
