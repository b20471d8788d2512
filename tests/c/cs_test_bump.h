/*
 * cs_test_bump.h - a bump allocator for the SeqPredict logic tests (cs_seqp_bind's alloc_fn / free_fn): 1 MiB of
 * static memory handed out in 64-byte steps; g_used = 0 starts over; free does nothing. Include in one test file.
 */
#ifndef CS_TEST_BUMP_H
#define CS_TEST_BUMP_H

#include <stddef.h>

static _Alignas(64) unsigned char g_mem[1 << 20];
static size_t g_used;

static void *bump_alloc(void *user, size_t bytes)
{
    (void)user;
    if (g_used + bytes > sizeof g_mem) return NULL;
    void *p = g_mem + g_used;
    g_used += (bytes + 63u) & ~(size_t)63u;
    return p;
}

static void bump_free(void *user, void *ptr)
{
    (void)user;
    (void)ptr;
}

#endif
