/*
 * cs_segment.h - cutting a source into units: fixed grains, onset events, novelty sections.
 * All positions and lengths are in samples (frames) at the corpus rate. Offline code: allocates,
 * not real-time safe; every function is reentrant (no global state) and deterministic.
 *
 * Output convention for every cs_segment_* function: `out` must be zero-initialised or hold a previous
 * result; its contents are replaced (its memory is reused). On success the units are sorted by start,
 * non-overlapping, each of length > 0 and inside [0, n). On error out->n == 0.
 */
#ifndef CS_SEGMENT_H
#define CS_SEGMENT_H

#include "cs_frames.h"
#include "cs_onset.h"

#include <stddef.h>

typedef struct cs_segment {
    size_t start;  /* first sample */
    size_t length; /* samples, > 0 */
} cs_segment;

/** A growable list of segments: v[0..n) valid, cap allocated; free with cs_segments_free. */
typedef struct cs_segments {
    cs_segment *v;
    size_t n, cap;
} cs_segments;

/** Free the list's memory and zero it; safe on a zeroed or already freed struct (and on NULL). */
void cs_segments_free(cs_segments *s);

/**
 * Fixed-length grains of `unit_len` samples every `hop` samples over n samples: grain k starts at k*hop,
 * k = 0 .. (n - unit_len) / hop, so the last grain ends at or before n (grains are never padded, the tail
 * after the last grain is dropped). hop > unit_len leaves gaps, hop < unit_len overlaps (the only
 * function here whose units may overlap). Returns 0, CS_E_ARG for zero lengths (or out == NULL),
 * CS_E_SHORT if n < unit_len, CS_E_NOMEM.
 */
int cs_segment_grain(size_t n, size_t unit_len, size_t hop, cs_segments *out);

/** Onset segmentation settings of the CLI (see cs_segment_onset); cs_onset_params_default fills the defaults.
 * The detector runs on their float32 values (cs_onset_config, plugins/core/cs_onset.h), as the unit table
 * stores them for the live listener. */
typedef struct cs_onset_params {
    double threshold; /* sensitivity lambda - 1, >= 0: onset when flux > (1+threshold)*median + delta*mean;
                         lower finds more onsets; default 0.5 */
    double delta;     /* additive threshold, >= 0, as a fraction of the mean flux over the whole source
                         (keeps near-silent stretches, whose median is ~0, from firing); default 0.1 */
    double median_s;  /* adaptive threshold: past moving-median window, s, >= 0; it spans 2M+1 frames ending
                         at the frame, M = max(1, round(median_s * rate / hop / 2)); default 0.1 */
    double min_len_s; /* minimum unit length and minimum inter-onset interval, s, > 0; default 0.05 */
    double max_len_s; /* maximum unit length, s, >= 2*min_len_s (longer events are cut at max_len; for no limit
                         pass a value longer than the source, e.g. 1e6); default 2.0 */
    double pre_s;     /* pre-onset offset, s, >= 0, so attacks are not cut; default 0.005 */
    double refine_s;  /* attack refinement, s, >= 0 (0 = no refinement; > 0: one frame of look-ahead, see
                         plugins/core/cs_onset.h); default 0.03 */
} cs_onset_params;

/** Fill `p` with the defaults listed in cs_onset_params. */
void cs_onset_params_default(cs_onset_params *p);

/** The detector's float32 configuration for `p` and a source whose mean flux is `mean_flux`
 * (delta_abs = cs_onset_delta_abs(p->delta, mean_flux)). */
void cs_onset_params_to_config(const cs_onset_params *p, double mean_flux, cs_onset_config *c);

/**
 * Onset events: the core's causal detector (plugins/core/cs_onset.h: spectral flux, past median threshold,
 * peak picking decided one frame later, refinement by the peak envelope over at most one frame of look-ahead,
 * earliest-first minimum interval, cuts at max_len; Bello et al. 2005, Dixon 2006, Boeck et al. 2012) run over
 * the source's frames, with delta_abs = delta * the source's mean flux (over all its frames, rounded to float),
 * then one offline-only step that moves no onset: a final tail shorter than min_len merges into the event before
 * it when the result is <= max_len (the live listener emits it as its own unit instead).
 * `f` are the descriptor frames of the n-sample source (f->n_frames must equal n / f->hop + 1). The units tile
 * [0, n): the first runs from 0 to the first boundary (the "pre-roll" unit when the first onset is later than
 * min_len; a short head merges into the first event), each next one to the next boundary. So every unit is >=
 * min_len_s (rounded to samples; the last one too unless it could not merge) and <= max_len_s. A source without
 * onsets (digital silence, a steady tone or steady noise) gives [0, n) cut every max_len.
 *
 * Returns 0, CS_E_ARG (NULL pointer, bad parameter, frames inconsistent with n), CS_E_NONFINITE (a flux or
 * peak value is NaN or infinite), CS_E_SHORT (n < min_len, rounded to samples; also n == 0), CS_E_NOMEM.
 * Memory: O(n / min_len + median window). Time: O(n_frames * median window).
 */
int cs_segment_onset(const cs_frames *f, size_t n, const cs_onset_params *p, cs_segments *out);

/** Novelty (section) segmentation settings; cs_novelty_params_default fills the defaults. */
typedef struct cs_novelty_params {
    double kernel_s;  /* checkerboard kernel width (past + future), s, > 0; default 4.0 */
    double block_s;   /* descriptor frames are averaged into blocks of this length (rounded to whole frames,
                         at least one), s, > 0; default 0.1 */
    double threshold; /* peak threshold on the normalised novelty curve, 0..1; default 0.2 (0.3 missed
                         most section changes of real music: lincity-ng's first track gave one boundary) */
    double min_len_s; /* minimum section length, s, > 0; default 1.0 */
    double max_len_s; /* maximum section length, s, >= 2*min_len_s (longer are split; 1e6 = no limit);
                         default 60 */
} cs_novelty_params;

/** Fill `p` with the defaults listed in cs_novelty_params. */
void cs_novelty_params_default(cs_novelty_params *p);

/**
 * The normalised novelty curve of Foote 2000 ("Automatic audio segmentation using a measure of audio
 * novelty", Proc. IEEE ICME), one value per block of B = max(1, round(block_s * rate / hop)) frames:
 *
 *  1. Block features: the mean over the block's frames of MFCC c1..c12, spectral centroid (Hz),
 *     spectral flatness and loudness (20 log10(RMS + 1e-6) dB); each of the 15 features is z-scored over
 *     the source's blocks (a constant feature becomes 0); each vector is then scaled to unit length
 *     (w_b; a zero vector stays zero), so S(a, b) = w_a . w_b is the cosine similarity.
 *  2. Kernel: L = max(1, round(kernel_s * rate / (2 B hop))) blocks each side (kernel_s / 2 in whole
 *     blocks); h(u) = sign(u) g(u + 1/2) for u = -L .. L-1 (sign(u) = -1 for u < 0, +1 otherwise),
 *     g(x) = exp(-x^2 / (2 (L/2)^2)). The
 *     Gaussian-tapered checkerboard kernel is C(u, v) = h(u) h(v) (the radial Gaussian is separable).
 *  3. Novelty at block b (a boundary before block b): N(b) = sum_{u,v} C(u,v) S(b+u, b+v), blocks outside
 *     the source contributing 0. Because C = h h^T and S = W W^T, this equals |sum_u h(u) w_{b+u}|^2,
 *     which is how it is computed: only the 2L-block band around the diagonal is ever used and no matrix
 *     is stored, so memory is O(n_blocks * 15) and time O(n_blocks * L * 15).
 *  4. Normalisation: N(b) / (sum_u |h(u)|)^2, which lies in 0..1 (triangle inequality): 1 for two
 *     halves of opposite feature direction, ~0.5 for uncorrelated halves, ~0 inside a steady stretch.
 *     This is an absolute scale (not divided by the maximum), so a steady source has no section peak
 *     and a section's novelty does not depend on the rest of the source.
 *
 * On success *curve (malloc'd, caller frees with free()) holds *n_blocks values and *block_frames = B;
 * curve[b] belongs to the boundary at sample b*B*hop - hop/2 (b >= 1; curve[0] is 0).
 * Returns 0, CS_E_ARG, CS_E_NONFINITE (a used feature is NaN or infinite), CS_E_SHORT (n == 0), CS_E_NOMEM.
 */
int cs_segment_novelty_curve(const cs_frames *f, size_t n, const cs_novelty_params *p, float **curve, size_t *n_blocks,
                             size_t *block_frames);

/**
 * Sections from the novelty curve (cs_segment_novelty_curve, Foote 2000). Boundaries are the local maxima
 * b (N(b) > N(b-1), N(b) >= N(b+1)) with N(b) >= threshold, accepted strongest first (then earliest)
 * unless an accepted boundary, the start or the end of the source lies within min_len_s; a block boundary
 * becomes sample b*B*hop - hop/2. Sections longer than max_len_s are split into equal parts as in
 * cs_segment_onset. So each section is >= min_len_s and <= max_len_s; a steady source (or silence) gives
 * [0, n) split by max_len. `f` must hold n / f->hop + 1 frames.
 * Returns 0, CS_E_ARG, CS_E_NONFINITE, CS_E_SHORT (n < min_len, rounded to samples; also n == 0),
 * CS_E_NOMEM. Memory: O(n_frames + n_blocks * 15); a 1-hour source needs a few MB.
 */
int cs_segment_novelty(const cs_frames *f, size_t n, const cs_novelty_params *p, cs_segments *out);

#endif
