/*
 * cs_split.h - split integers, the one encoding of large integers in ConcatSeq's float32 files (the unit table
 * and the model file).
 *
 * A float32 holds every integer only up to 2^24, so a value that can be larger is stored as 16-bit pieces,
 * most significant first, each piece an exact integer 0..65535 in its own float: a 32-bit value as
 * (hi, lo) with value = hi * 65536 + lo, a 64-bit value as four pieces (bits 48-63, 32-47, 16-31, 0-15).
 * The layouts that use it are documented in corpus-tools/BUNDLE.md (unit table) and models/FORMAT.md
 * (model file).
 *
 * Every function here is pure, bounded (at most 4 pieces), allocation-free: real-time safe.
 */
#ifndef CS_SPLIT_H
#define CS_SPLIT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CS_SPLIT_BASE 65536 /* base of every split integer: value = hi * CS_SPLIT_BASE + lo */

/** The split integer (hi, lo) = hi * 65536 + lo, never undefined: a Buffer may be written while a UGen reads
 *  it, so NaN and negative pieces count as 0, hi is clamped to 0..2^24-1 and lo to 0..65535 (fractions are
 *  truncated). Exact for valid pieces; garbage in gives a bounded value out. */
static inline uint64_t cs_split_join(float hi, float lo)
{
    const uint64_t h = hi >= 0.0f ? (hi < 16777216.0f ? (uint64_t)hi : 16777215u) : 0u;
    const uint64_t l = lo >= 0.0f ? (lo < 65536.0f ? (uint64_t)lo : 65535u) : 0u;
    return h * (uint64_t)CS_SPLIT_BASE + l;
}

/** Read `count` (1..4) pieces p[0..count-1], most significant first, into *out. Returns 1 when every piece is
 *  an exact integer 0..65535 (then *out is set), 0 otherwise (NaN, infinite, negative, fractional, too large,
 *  or count outside 1..4; *out untouched). */
static inline int cs_split_get(const float *p, int count, uint64_t *out)
{
    if (!p || !out || count < 1 || count > 4) return 0;
    uint64_t v = 0;
    for (int i = 0; i < count; i++) {
        const float f = p[i];
        if (!(f >= 0.0f && f <= 65535.0f)) return 0; /* also NaN */
        const uint64_t piece = (uint64_t)f;
        if ((float)piece != f) return 0;
        v = v * (uint64_t)CS_SPLIT_BASE + piece;
    }
    *out = v;
    return 1;
}

/** Write the low 16 * count bits of v as `count` (1..4) pieces p[0..count-1], most significant first.
 *  Bits above 16 * count are dropped; count outside 1..4 writes nothing. */
static inline void cs_split_put(float *p, int count, uint64_t v)
{
    if (!p || count < 1 || count > 4) return;
    for (int i = count - 1; i >= 0; i--) {
        p[i] = (float)(v & 0xffffu);
        v >>= 16;
    }
}

#ifdef __cplusplus
}
#endif

#endif
