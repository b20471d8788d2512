/*
 * cs_sample_ref.h - the scalar sampler as it was before issue 12 (five scalar passes and a max-heap over every
 * candidate), kept as the reference the vectorised cs_sample is checked against (tests/c/test_sample_same.c:
 * same seed -> same labels) and benchmarked beside (tests/bench/bench_sample.c). Header-only, test code only.
 */
#ifndef CS_SAMPLE_REF_H
#define CS_SAMPLE_REF_H

#include "cs_fastmath.h"
#include "cs_sample.h"

#include <stdint.h>
#include <string.h>

#define REF_LOGIT_CLAMP 1e30f
#define REF_LN2         0.69314718055994531

/* a ranks before b: larger weight first, then lower index. */
static int ref_before(const float *e, int a, int b)
{
    return e[a] > e[b] || (e[a] == e[b] && a < b);
}

static void ref_sift_down(int *heap, int n, int i, const float *e)
{
    for (;;) {
        int l = 2 * i + 1, best = i;
        if (l < n && ref_before(e, heap[l], heap[best])) best = l;
        if (l + 1 < n && ref_before(e, heap[l + 1], heap[best])) best = l + 1;
        if (best == i) return;
        int t = heap[i];
        heap[i] = heap[best];
        heap[best] = t;
        i = best;
    }
}

static int ref_heap_pop(int *heap, int *n, const float *e)
{
    int top = heap[0];
    heap[0] = heap[--*n];
    ref_sift_down(heap, *n, 0, e);
    return top;
}

static void ref_fail(cs_sample_result *out)
{
    if (!out) return;
    memset(out, 0, sizeof *out);
    out->label = -1;
}

/* 1. Candidates: ok[i] = label i may be drawn (allowed by the mask, logit a number above -3.4e38); if the mask
 * leaves none it is ignored, if no logit is usable the draw is uniform over the mask's labels (or all). Writes
 * val[i] = the clamped logit (0 when uniform or not a candidate) and the flags; returns the candidate count. */
static int ref_sample_candidates(const float *logits, int V, const unsigned char *mask, unsigned char *ok, float *val,
                                 cs_sample_result *out)
{
    int n_ok = 0;
    for (int i = 0; i < V; i++) {
        float l = logits[i];
        ok[i] = (unsigned char)((!mask || mask[i]) && l == l && l > -3.4e38f);
        n_ok += ok[i];
    }
    if (n_ok == 0 && mask) {
        out->flags |= CS_SAMPLE_MASK_IGNORED;
        for (int i = 0; i < V; i++) {
            float l = logits[i];
            ok[i] = (unsigned char)(l == l && l > -3.4e38f);
            n_ok += ok[i];
        }
    }
    int uniform = 0;
    if (n_ok == 0) { /* no usable logit: uniform over the mask's labels, or over all */
        out->flags = (out->flags & ~CS_SAMPLE_MASK_IGNORED) | CS_SAMPLE_NO_LOGITS;
        uniform = 1;
        for (int i = 0; i < V; i++) {
            ok[i] = (unsigned char)(!mask || mask[i]);
            n_ok += ok[i];
        }
        if (n_ok == 0) {
            out->flags |= CS_SAMPLE_MASK_IGNORED;
            memset(ok, 1, (size_t)V);
            n_ok = V;
        }
    }
    for (int i = 0; i < V; i++) {
        float l = uniform ? 0.0f : logits[i];
        if (l > REF_LOGIT_CLAMP) l = REF_LOGIT_CLAMP;
        if (l < -REF_LOGIT_CLAMP) l = -REF_LOGIT_CLAMP;
        val[i] = ok[i] ? l : 0.0f;
    }
    return n_ok;
}

/* 2. Repetition penalty (CTRL), once per distinct candidate label of the history; seen: V ints of scratch. */
static void ref_sample_penalty(float *val, int V, const unsigned char *ok, const int *history, int n_history, float pen,
                               int *seen)
{
    if (!(history && n_history > 0 && pen > 0.0f && pen != 1.0f && pen < 3.4e38f)) return;
    memset(seen, 0, (size_t)V * sizeof(int));
    for (int j = 0; j < n_history; j++) {
        int h = history[j];
        if (h < 0 || h >= V || seen[h] || !ok[h]) continue;
        seen[h] = 1;
        val[h] = val[h] > 0.0f ? val[h] / pen : val[h] * pen;
        if (val[h] < -REF_LOGIT_CLAMP) val[h] = -REF_LOGIT_CLAMP;
    }
}

/* 4-5. Truncation by a max-heap over the candidates' weights e: pops the most probable labels in order into
 * order[] (top-k, then the nucleus of mass top_p inside it, or the nucleus alone). Returns the labels kept (0 =
 * no truncation: every candidate stays) and sets *mass to their total weight (total when none is applied). */
static int ref_sample_truncate(const float *e, int V, const unsigned char *ok, int n_ok, int k, float p, double total,
                               int *heap, int *order, double *mass)
{
    int k_on = k > 0 && k < n_ok;
    int p_on = p < 1.0f; /* NaN compares false: off */
    int kept = 0;
    *mass = total;
    if (!k_on && !p_on) return 0;
    int hn = 0;
    for (int i = 0; i < V; i++)
        if (ok[i]) heap[hn++] = i;
    for (int i = hn / 2 - 1; i >= 0; i--)
        ref_sift_down(heap, hn, i, e);
    int limit = k_on ? k : n_ok;
    double cum = 0.0;
    if (k_on) {
        for (kept = 0; kept < limit; kept++) {
            order[kept] = ref_heap_pop(heap, &hn, e);
            cum += (double)e[order[kept]];
        }
        *mass = cum;
        if (p_on) { /* nucleus inside the top k */
            double target = (double)p * *mass, c2 = 0.0;
            int m = 0;
            while (m < kept) {
                c2 += (double)e[order[m++]];
                if (c2 >= target) break;
            }
            kept = m;
            *mass = c2;
        }
    } else {
        double target = (double)p * total;
        while (kept < limit) {
            order[kept] = ref_heap_pop(heap, &hn, e);
            cum += (double)e[order[kept++]];
            if (cum >= target) break;
        }
        *mass = cum;
    }
    if (kept < 1) { /* p <= 0: keep the top label */
        kept = 1;
        *mass = (double)e[order[0]];
    }
    return kept;
}

/* 6. Draw by the inverse CDF with uniform u over the kept labels (order[0..kept), or every candidate when kept
 * is 0) and report probability, entropy (bits) and the count of labels with weight > 0. */
static int ref_sample_draw(const float *e, const float *val, int V, const unsigned char *ok, const int *order, int kept,
                           double mass, double u, int amax, cs_sample_result *out)
{
    double target = u * mass, acc = 0.0, ez = 0.0;
    int label = -1, count = 0;
    if (kept) {
        for (int j = 0; j < kept; j++) {
            int i = order[j];
            if (e[i] > 0.0f) {
                ez += (double)e[i] * (double)val[i];
                count++;
            }
            acc += (double)e[i];
            if (label < 0 && target < acc) label = i;
        }
        if (label < 0) label = order[0];
    } else {
        for (int i = 0; i < V; i++) {
            if (!ok[i]) continue;
            if (e[i] > 0.0f) {
                ez += (double)e[i] * (double)val[i];
                count++;
            }
            acc += (double)e[i];
            if (label < 0 && target < acc) label = i;
        }
        if (label < 0) label = amax; /* rounding at the very top of the CDF */
    }
    float H = cs_fast_log2((float)mass) - (float)(ez / (mass * REF_LN2));
    out->label = label;
    out->prob = (float)((double)e[label] / mass);
    out->entropy_bits = H > 0.0f ? H : 0.0f;
    out->candidates = count;
    return label;
}

static inline int cs_sample_ref(const float *logits, int vocab, const cs_sample_params *params, const int *history,
                                int n_history, const unsigned char *mask, cs_rng *rng, void *scratch,
                                size_t scratch_bytes, cs_sample_result *out)
{
    if (!logits || !params || !rng || !out || vocab < 1 || vocab > CS_SAMPLE_MAX_VOCAB) {
        ref_fail(out);
        return CS_SAMPLE_E_ARG;
    }
    if (!scratch || scratch_bytes < cs_sample_scratch_size(vocab)) {
        ref_fail(out);
        return CS_SAMPLE_E_MEMORY;
    }
    const int V = vocab;
    unsigned char *base = (unsigned char *)scratch + ((64 - ((uintptr_t)scratch & 63)) & 63);
    float *val = (float *)(void *)base;               /* (V) penalised logits, later z = (l - max) / T */
    float *e = val + V;                               /* (V) unnormalised weights exp(z) */
    int *heap = (int *)(void *)(e + V);               /* (V) */
    int *order = heap + V;                            /* (V) labels kept, most probable first */
    unsigned char *ok = (unsigned char *)(order + V); /* (V) candidate flags */

    memset(out, 0, sizeof *out);
    const double u = cs_rng_uniform_double(rng); /* always exactly one draw */

    const int n_ok = ref_sample_candidates(logits, V, mask, ok, val, out);
    /* heap[] is free until the truncation: the penalty uses it as a flag array */
    ref_sample_penalty(val, V, ok, history, n_history, params->repetition_penalty, heap);

    float mx = -3.4e38f;
    int amax = -1;
    for (int i = 0; i < V; i++)
        if (ok[i] && val[i] > mx) {
            mx = val[i];
            amax = i; /* strict >: the lowest index wins ties */
        }

    /* 3. temperature; T <= 0 = argmax */
    float T = params->temperature;
    if (!(T > 0.0f)) {
        out->label = amax;
        out->prob = 1.0f;
        out->entropy_bits = 0.0f;
        out->candidates = 1;
        return amax;
    }
    double total = 0.0;
    for (int i = 0; i < V; i++) {
        if (ok[i]) {
            float z = (val[i] - mx) / T; /* <= 0; may be -inf for tiny T: then e = 0 */
            val[i] = z;
            e[i] = cs_fast_exp(z);
            total += (double)e[i];
        } else {
            val[i] = 0.0f;
            e[i] = 0.0f;
        }
    }
    double mass;
    const int kept = ref_sample_truncate(e, V, ok, n_ok, params->top_k, params->top_p, total, heap, order, &mass);
    return ref_sample_draw(e, val, V, ok, order, kept, mass, u, amax, out);
}

#endif
