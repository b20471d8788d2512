/*
 * cs_sample.h - choose the next label from a model's logits: temperature, top-k, top-p (nucleus),
 * CTRL-style repetition penalty, a mask of allowed labels; reports the chosen label's probability and the
 * entropy of the distribution it was drawn from.
 *
 * Order of operations (the "final sampling distribution" q is what the last step draws from):
 *  1. candidates = labels allowed by the mask whose logit is not NaN and not -inf (+inf is clamped to 1e30);
 *  2. repetition penalty (Keskar et al. 2019, "CTRL", sec. 4.1): every DISTINCT label among the history gets
 *     logit / penalty if the logit is > 0, logit * penalty otherwise (so penalty > 1 always lowers it;
 *     applied once per label however often it repeats);
 *  3. temperature T: q_i proportional to exp((l_i - max l) / T). T <= 0 (or NaN) = argmax, ties to the
 *     lowest index (q is then a point mass: probability 1, entropy 0);
 *  4. top-k (Fan et al. 2018): keep the k most probable (ties: lower index first); 0 = off;
 *  5. top-p (Holtzman et al. 2020, nucleus): of what is left, keep the smallest most-probable prefix whose
 *     mass is >= p of the remaining mass (at least one label); p >= 1 = off;
 *  6. renormalise and draw with one cs_rng_uniform_double (inverse CDF).
 * Every call consumes exactly two cs_rng_next outputs (one uniform double), argmax included, so changing
 * the temperature does not shift the random stream of later calls.
 *
 * Empty candidate set: if the mask excludes every label (or every allowed logit is NaN/-inf), the mask is
 * ignored and the result carries CS_SAMPLE_MASK_IGNORED; if no logit at all is usable, the draw is uniform
 * over the mask's labels (over all labels if the mask is empty too) and CS_SAMPLE_NO_LOGITS is set. So a
 * label 0..V-1 is always returned for valid arguments.
 *
 * Real-time safe: no allocation (scratch from the caller, size from cs_sample_scratch_size; about 2 KB of stack),
 * no I/O, no libm (cs_fastmath.h), bounded. Two vectorised passes (AVX2 + FMA when the CPU has them, selected
 * at run time, else the same steps in scalar code): candidates, the repetition penalty (a flag per label of the
 * history, both the quotient and the product computed, one kept) and their maximum, then temperature, the model's
 * exp kernel (cs_fast_exp8) and the sums in double, with a sum per block of 8 labels so the draw skips whole
 * blocks. Top-k / top-p by partial selection, no sort of the candidates: a search on the weights' bit patterns (a
 * float >= 0 orders as its bits) for a threshold above which the labels - a prefix of the ranking whatever the ties
 * - are at least k (or, for top-p, weigh at least the nucleus, by float sums with a 1e-3 margin that the exact
 * sums then confirm). Up to 64 labels (AVX2) the weights stay in eight registers and each step counts three
 * thresholds at once (a radix select, as in Alabi et al. 2012, "Fast k-selection algorithms for graphics
 * processing units", radix 4: the first step at 2^-20, 2^-10, 2^-5, then the quarter points; 2-3 steps on a
 * trained model's logits); above 64, a bisection, one vectorised counting pass per step, at most 31 steps.
 * Either stops when ranking the labels left costs less than another step. The labels above the threshold, if at
 * most 64, are left-packed by a 256-entry permutation table (one per block of 8) and ranked by counting in
 * registers (label j outranks i iff bits_j + (j < i) > bits_i: four vector operations per label and block of 8,
 * no branch on the data; a rank sort, exact for ties); more than 64 are sorted (insertion sort up to 48, else a
 * heap popped only as far as needed). The running sums of the kept labels
 * in rank order (the scalar sampler's own double sums) are kept once; the nucleus cut-off inside the top k and the
 * draw count the sums below their targets instead of summing again. O(V) per step plus O(m^2 / 8) for the m labels
 * ranked, O(V log V) worst case (a flat distribution with top-p near 1, where nearly every label is in the
 * nucleus). The labels drawn are those of the scalar sampler this replaced for the same seed
 * (tests/c/test_sample_same.c, tests/c/test_sample_trunc.c, tests/c/test_sample_pack.c: every lane pattern of the
 * packing); the weights differ from it by float rounding (FMA) only.
 * Measured beside it by tests/bench/bench_sample.c (2.6 GHz AMD EPYC shared by six builds, load 14, thread CPU
 * time, same run; k16: top-k 16 + top-p 0.9 + penalty 1.2 over 16 labels, T 0.9):
 *   V 64:   plain 0.14 us (0.19x the scalar sampler), k16 0.27 us (0.18x), top-p 0.9 alone 0.20 us (0.19x);
 *   V 256:  plain 0.46 us (0.13x), k16 0.75 us (0.13x), top-p 0.9 0.85 us (0.16x);
 *   V 4096: k16 6.5 us (0.07x); worst case top-p 0.999 on a flat distribution 424 us (0.93x: every label is
 *           ranked) - keep top-p off or top-k small for very large V on the audio thread.
 * Where the time goes at 64 labels with k16 (perf): the exp pass 21 %, the candidates pass 8 %, the search 15 %,
 * packing 5 % and ranking 15 %, the running sums 6 %, the rest (penalty flags, draw, entropy, call) 30 %.
 */
#ifndef CS_SAMPLE_H
#define CS_SAMPLE_H

#include "cs_rng.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CS_SAMPLE_MAX_VOCAB 4096

enum cs_sample_err {
    CS_SAMPLE_E_ARG = -1,   /* NULL logits/params/rng/out, or vocab outside 1..4096 */
    CS_SAMPLE_E_MEMORY = -2 /* scratch NULL or smaller than cs_sample_scratch_size(vocab) */
};

/* Result flags */
#define CS_SAMPLE_MASK_IGNORED 1 /* the mask left no candidate and was ignored */
#define CS_SAMPLE_NO_LOGITS    2 /* no finite logit: uniform draw */

typedef struct cs_sample_params {
    float temperature;        /* > 0; <= 0 or NaN = argmax. 1 = the model's distribution */
    int top_k;                /* keep the k most probable; <= 0 = off */
    float top_p;              /* nucleus mass in (0, 1); >= 1 or NaN = off; <= 0 keeps only the top label */
    float repetition_penalty; /* >= 1 discourages repeats (CTRL uses 1.2); 1 = off; <= 0 or NaN = off */
} cs_sample_params;

typedef struct cs_sample_result {
    int label;          /* chosen label 0..V-1 */
    float prob;         /* its probability in the final sampling distribution q (1 for argmax) */
    float entropy_bits; /* -sum q log2 q over q (0 for argmax); <= log2(V) */
    int candidates;     /* labels with q > 0 after truncation */
    int flags;          /* CS_SAMPLE_MASK_IGNORED | CS_SAMPLE_NO_LOGITS */
} cs_sample_result;

/** Defaults: temperature 1, top-k off, top-p off, no repetition penalty. RT-safe. */
void cs_sample_params_default(cs_sample_params *p);

/** Scratch bytes for `vocab` labels (17 bytes per label + 64); 0 if vocab is outside 1..4096. RT-safe. */
size_t cs_sample_scratch_size(int vocab);

/**
 * Draw the next label. logits: vocab floats (any values; NaN/-inf = excluded). history: the last labels
 * emitted, n_history of them (NULL/0 = none; entries outside 0..V-1 ignored; order irrelevant, so a ring
 * buffer can be passed as is) - the repetition penalty applies to the distinct labels in it. mask: vocab
 * bytes, nonzero = allowed (NULL = all allowed). rng: advanced by exactly two outputs. scratch: any
 * alignment, >= cs_sample_scratch_size(vocab) bytes, contents irrelevant. Returns the label (>= 0, also in
 * out->label) or a negative cs_sample_err (then *out is zeroed, label -1). RT-safe.
 */
int cs_sample(const float *logits, int vocab, const cs_sample_params *params, const int *history, int n_history,
              const unsigned char *mask, cs_rng *rng, void *scratch, size_t scratch_bytes, cs_sample_result *out);

/** Static message for a cs_sample_err (never NULL). RT-safe. */
const char *cs_sample_strerror(int err);

#ifdef __cplusplus
}
#endif

#endif
