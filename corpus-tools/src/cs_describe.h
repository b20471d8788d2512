/*
 * cs_describe.h - per-unit descriptors, aggregated from descriptor frames and the unit's samples.
 */
#ifndef CS_DESCRIBE_H
#define CS_DESCRIBE_H

#include "cs_descriptor_table.h"
#include "cs_frames.h"
#include "cs_unit_describe.h"

#include <stddef.h>

/* The descriptor columns (enum cs_unit_descriptor, CS_D_*) and their names are in the core's table. */

/**
 * Name (snake_case, as in the manifest: "loudness", ..., "mfcc0".."mfcc12", "f0", "f0_confidence", "duration") and
 * unit ("dB", "Hz", "s", "" for dimensionless) of descriptor `d` (CS_DESCRIPTOR_TABLE); static strings, NULL when d is
 * not in 0..CS_D_COUNT-1. Thread-safe and real-time safe.
 */
const char *cs_descriptor_name(int d);
const char *cs_descriptor_unit(int d);

/**
 * Descriptors of the unit [start, start+length) samples of mono signal `x` (n samples) whose frames are `f`
 * (from cs_frames_analyze of the same x). Definitions: corpus-tools/DESCRIPTORS.md, "Unit descriptors".
 *  - loudness, peak: from the unit's own samples, 20 log10(max(v, 1e-6)) so the floor is -120 dB;
 *  - the rest: mean over the frames whose centre i*hop lies in the unit; when none does (a unit shorter
 *    than a hop), the single frame whose centre is nearest the unit's middle;
 *  - loudness_std: population std of the frames' 20 log10(max(rms, 1e-6)); centroid_std: population std
 *    of their centroids (0 for one frame);
 *  - f0: mean f0 over the frames with YIN confidence >= 0.5 and f0 > 0, else 0; f0_confidence: mean confidence;
 *  - duration: length / sample_rate.
 * Silence gives loudness = peak = -120, centroid = spread = rolloff = 0, flatness = 1 (see DESCRIPTORS.md),
 * f0 = 0. Writes CS_D_COUNT finite values to `out` (caller's array).
 * Returns 0, CS_E_ARG (NULL pointer, empty frames, length 0, or the unit not inside [0, n)) or
 * CS_E_NONFINITE (a NaN/infinite sample or frame value; out is then not fully written).
 * Allocates nothing; O(length + frames in the unit); thread-safe.
 */
int cs_describe_unit(const cs_frames *f, const float *x, size_t n, size_t start, size_t length, float *out);

/* cs_level and cs_level_add (the level sums) are the core's: plugins/core/cs_unit_describe.h. */

/**
 * cs_describe_unit for a unit whose samples are not held: its level from `lv` (all `length` samples added
 * with cs_level_add), the rest from the frames (start, length in samples, as for cs_describe_unit). Same
 * results and errors: CS_E_ARG for bad frames, a NULL pointer or length 0; CS_E_NONFINITE. No allocation.
 */
int cs_describe_unit_level(const cs_frames *f, size_t start, size_t length, const cs_level *lv, float *out);

#endif
