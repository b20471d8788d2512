/*
 * cs_label_cache.h - an online cache of the labels played or primed (issue 11 item 4; the "cache model" of
 * Kuhn & De Mori 1990 for speech, the short-term memory of Somax / OMax-style improvisers): exponentially decayed
 * counts c_k of the labels fed since the reset, blended with a model's distribution,
 *     p(k) = (1 - lambda) p_model(k) + lambda c_k / sum_j c_j,
 * so material the performance has just played becomes likelier. Before each label is counted every count is
 * multiplied by CS_LCACHE_DECAY = 2^(-1 / CS_LCACHE_HALF_LIFE): a label played H = 64 labels ago weighs half of
 * one just played (an effective window of H / ln 2 ~ 92 labels). With no label counted yet (after a reset) the
 * cache is empty and p = p_model. Memory: V floats in caller memory (preallocated: no allocation here).
 * Every function is real-time safe and O(V).
 */
#ifndef CS_LABEL_CACHE_H
#define CS_LABEL_CACHE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CS_LCACHE_HALF_LIFE 64                   /* labels */
#define CS_LCACHE_DECAY     0.98923270515853001f /* 2^(-1/64) as float */
#define CS_LCACHE_FLOOR     1e-30f               /* a decayed count below this is 0 (no denormals) */

/** The cache: V counts (caller memory). Plain data. The sum of the counts is not kept up to date by each push (a
 *  V-long chain of double additions, ~45 ns at V 64 on every step of SeqPredict, blended or not): cs_lcache_total
 *  computes it when a blend needs it, from `last` and `last_before`, with the very additions the push made. */
typedef struct cs_lcache {
    float *counts; /* V floats */
    int V;
    int last;          /* the label counted last; -1 when empty (nothing counted since the reset) */
    float last_before; /* counts[last] after its decay, before its + 1 */
    unsigned long fed; /* labels counted since the reset (0 = empty) */
} cs_lcache;

/** Bind V floats of caller memory and empty the cache. O(V). */
void cs_lcache_init(cs_lcache *c, float *counts, int V);

/** Empty the cache (a reset). O(V). */
void cs_lcache_reset(cs_lcache *c);

/** Count `label` (0..V-1; others ignored) after decaying every count. O(V): V multiplies and compares, without a
 *  dependency between labels (SIMD). */
void cs_lcache_push(cs_lcache *c, int label);

/** The sum of the counts: (sum over k in index order, in double, of the counts after the last push's decay, before
 *  its + 1) + 1, the sum the push used to keep (bit for bit); 0 when empty. O(V). */
double cs_lcache_total(const cs_lcache *c);
/** The cache's probability of `label`: c_label / cs_lcache_total; 0 when empty or out of range. O(V). */
double cs_lcache_prob(const cs_lcache *c, int label);

/** The blended probability (1 - lambda) p_model + lambda p_cache (p_model when empty; lambda clamped to 0..1,
 *  NaN = 0). O(V) (cs_lcache_total) when lambda > 0 and the cache holds a label, else O(1). */
double cs_lcache_blend(const cs_lcache *c, int label, double p_model, double lambda);

/**
 * Blend logits in place: logits <- ln((1 - lambda) softmax(logits) + lambda p_cache), centred to mean 0 (as
 * cs_seqp_center_logits). Returns 1 when blended, 0 (logits untouched) when lambda is not > 0 or the cache is
 * empty. Probabilities 0 give ln 1e-38 (finite). RT-safe, O(V) (V exp, V log).
 */
int cs_lcache_blend_logits(const cs_lcache *c, float *logits, float lambda);

#ifdef __cplusplus
}
#endif

#endif
