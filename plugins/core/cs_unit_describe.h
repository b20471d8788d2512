/*
 * cs_unit_describe.h - the unit descriptors of corpus-tools/DESCRIPTORS.md ("Unit descriptors") as an accumulator
 * fed with a unit's samples and its descriptor frames (cs_frame.h rows), in caller memory, no allocation.
 *
 * One definition for both hosts: `concatseq analyze` (corpus-tools/src/cs_describe.c: cs_describe_unit and
 * cs_describe_unit_level are calls of it) and the streaming listener (cs_listener.h), so a live unit and a corpus
 * unit get bitwise the same raw (unnormalised) descriptors from the same samples and frames.
 *
 * A unit is [start, start + length) samples. "Its frames" are those whose centre i*hop lies in the unit; when none
 * does (a unit shorter than a hop), the single frame whose centre is nearest the unit's middle start + length/2
 * (rounded half up; when the signal ends before that frame, the last frame of the signal). Real-time safe: every
 * function here is O(its input), allocates nothing, takes no lock and does no I/O.
 */
#ifndef CS_UNIT_DESCRIBE_H
#define CS_UNIT_DESCRIBE_H

#include "cs_descriptor_table.h"
#include "cs_frame.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Return codes (same values as the tools' cs_err, so the CLI prints them with cs_strerror). */
enum cs_ud_error {
    CS_UD_OK = 0,
    CS_UD_E_ARG = -2,      /* NULL pointer, length 0, hop < 1, sample rate <= 0, or no frame fed */
    CS_UD_E_NONFINITE = -7 /* a NaN or infinite sample or frame value reached the descriptors */
};

/** The sums a unit's level descriptors (loudness, peak) come from, gathered as its samples pass by. */
typedef struct cs_level {
    double ss[4]; /* sums of squares: sample j of the unit into ss[j % 4] below length / 4 * 4, the rest into ss[0] */
    float pk;     /* max |sample| */
} cs_level;

/**
 * Add the unit's samples [from, to) (unit-relative, from <= to <= length; x[0] is sample `from`) to `lv` (zero it
 * first). Fed in order, in any pieces, the sums are bitwise those of a single pass. Real-time safe, O(to - from).
 */
void cs_level_add(cs_level *lv, const float *x, size_t from, size_t to, size_t length);

/** One unit being described. Plain data: the caller owns it (stack, RTAlloc'd memory, an array); no cleanup. */
typedef struct cs_unit_accum {
    uint64_t start, length;       /* samples */
    int hop;                      /* samples between frame centres */
    float sample_rate;            /* Hz (for the duration descriptor) */
    uint64_t i0, i1;              /* its frames, inclusive; i0 == i1 == the nearest frame when `nearest` */
    int nearest;                  /* 1: no frame centre in the unit: the fallback frame (row kept in `near_row`) */
    int have_near;                /* nearest: a frame <= i0 was fed (near_row holds the latest one) */
    uint64_t fed;                 /* frames added (not nearest) */
    cs_level lv;                  /* level sums of the samples fed */
    double sum[CS_FF_COUNT];      /* per-column sums over its frames */
    double ldb_sum, ldb_sq, c_sq; /* frame loudness (dB) sum and sum of squares; centroid sum of squares */
    double f0_sum, f0_n;          /* voiced frames' f0 sum and count */
    float near_row[CS_FF_COUNT];  /* the fallback frame's row */
} cs_unit_accum;

/**
 * Start describing the unit [start, start + length) samples of a signal whose frames are `hop` samples apart
 * (frame i centred on sample i*hop), at `sample_rate` Hz. Returns CS_UD_OK or CS_UD_E_ARG (acc NULL, length 0,
 * hop < 1, sample_rate not finite or <= 0). Real-time safe, O(1).
 */
int cs_unit_accum_begin(cs_unit_accum *acc, uint64_t start, uint64_t length, int hop, float sample_rate);

/**
 * The frames the unit uses: *first .. *last inclusive (for a unit shorter than a hop, both are the nearest frame;
 * a host whose signal ends earlier feeds its last frame instead). Real-time safe.
 */
void cs_unit_accum_frames(const cs_unit_accum *acc, uint64_t *first, uint64_t *last);

/**
 * Add the unit's samples [from, to) (unit-relative, from <= to <= length, fed in order in any pieces; x[0] is
 * sample start + from). Values are used as given (the frame analyser's host replaces non-finite samples by 0
 * before; a non-finite value makes cs_unit_accum_finish return CS_UD_E_NONFINITE). Real-time safe, O(to - from).
 */
void cs_unit_accum_samples(cs_unit_accum *acc, const float *x, uint64_t from, uint64_t to);

/**
 * Offer frame `i` (its CS_FF_COUNT values, cs_frame.h) to the unit. Frames must come in increasing order; any
 * frame may be offered, those the unit does not use are ignored (so a host can offer every frame to every open
 * unit). Real-time safe, O(CS_FF_COUNT).
 */
void cs_unit_accum_frame(cs_unit_accum *acc, uint64_t i, const float *row);

/**
 * Write the unit's CS_D_COUNT raw (unnormalised) descriptors to out[] (DESCRIPTORS.md, "Unit descriptors"): bitwise
 * what `concatseq analyze` writes before normalisation for the same samples and frames, once all `length` samples
 * and its frames were fed. Returns CS_UD_OK, CS_UD_E_ARG (NULL pointer, or none of its frames was fed: not even a
 * fallback) or CS_UD_E_NONFINITE (then out is not fully written). Real-time safe, O(CS_D_COUNT).
 */
int cs_unit_accum_finish(const cs_unit_accum *acc, float *out);

#ifdef __cplusplus
}
#endif

#endif
