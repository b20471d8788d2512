/* cs_sample.c - sampling from logits in two vectorised passes (candidates + maximum, then temperature + exp +
 * sums) and a draw that skips whole blocks of 8 labels; top-k and top-p by partial selection (a histogram of the
 * weights' exponents bounds the labels that can be kept; only those are sorted). See cs_sample.h for the order of
 * operations and the references. */
#include "cs_sample.h"

#include "cs_fastmath.h"

#include <math.h> /* INFINITY only: no libm call */
#include <stdint.h>
#include <string.h>

#define LOGIT_CLAMP 1e30f
#define LN2         0.69314718055994531
#define BLK         8 /* labels per block sum */

#ifndef CS_SAMPLE_SIMD /* 0: the portable path only (tests/c/test_sample_same.c builds it so beside the library) */
#define CS_SAMPLE_SIMD CS_FASTMATH_HAVE_AVX2
#endif

void cs_sample_params_default(cs_sample_params *p)
{
    if (!p) return;
    p->temperature = 1.0f;
    p->top_k = 0;
    p->top_p = 1.0f;
    p->repetition_penalty = 1.0f;
}

const char *cs_sample_strerror(int err)
{
    switch (err) {
    case CS_SAMPLE_E_ARG:
        return "invalid sampling argument";
    case CS_SAMPLE_E_MEMORY:
        return "sampling scratch memory missing or too small";
    default:
        return err >= 0 ? "no error" : "unknown sampling error";
    }
}

size_t cs_sample_scratch_size(int vocab)
{
    if (vocab < 1 || vocab > CS_SAMPLE_MAX_VOCAB) return 0;
    return (size_t)vocab * (4 * sizeof(float) + 1) + 64;
}

/* a ranks before b: larger weight first, then lower index. */
static inline int before(const float *e, int a, int b)
{
    return e[a] > e[b] || (e[a] == e[b] && a < b);
}

/* max-heap (the root ranks first) */
static void sift_down(int *heap, int n, int i, const float *e)
{
    for (;;) {
        int l = 2 * i + 1, best = i;
        if (l < n && before(e, heap[l], heap[best])) best = l;
        if (l + 1 < n && before(e, heap[l + 1], heap[best])) best = l + 1;
        if (best == i) return;
        int t = heap[i];
        heap[i] = heap[best];
        heap[best] = t;
        i = best;
    }
}

static void fail(cs_sample_result *out)
{
    if (!out) return;
    memset(out, 0, sizeof *out);
    out->label = -1;
}

/* Pass 1, labels [i0, V): val[i] = the logit clamped to +-1e30 if label i is allowed by mask (NULL = all) and its
 * logit is a number above -3.4e38, else -inf. Returns the number of candidates. */
static int cand_scalar(const float *logits, int i0, int V, const unsigned char *mask, float *val)
{
    int n_ok = 0;
    for (int i = i0; i < V; i++) {
        float l = logits[i];
        int ok = (!mask || mask[i]) && l == l && l > -3.4e38f;
        if (l > LOGIT_CLAMP) l = LOGIT_CLAMP;
        if (l < -LOGIT_CLAMP) l = -LOGIT_CLAMP;
        val[i] = ok ? l : -INFINITY;
        n_ok += ok;
    }
    return n_ok;
}

/* Pass 2, labels [i0, V): z = (val - mx) / T into val, e = exp(z); per block of BLK labels its weight sum in
 * blk (double); adds the total weight, sum e z (double) and the count of e > 0. */
static void exp_scalar(float *val, float *e, int i0, int V, float mx, float T, double *blk, double *total, double *ez,
                       int *count)
{
    for (int i = i0; i < V; i++) {
        float z = (val[i] - mx) / T; /* -inf for a non-candidate; may be -inf for tiny T: then e = 0 */
        float w = cs_fast_exp(z);
        val[i] = z;
        e[i] = w;
        if (i % BLK == 0) blk[i / BLK] = 0.0;
        blk[i / BLK] += (double)w;
        *total += (double)w;
        if (w > 0.0f) {
            *ez += (double)w * (double)z;
            (*count)++;
        }
    }
}

#if CS_SAMPLE_SIMD
__attribute__((target("avx2,fma"))) static int cand_avx2(const float *logits, int V, const unsigned char *mask,
                                                         float *val, int *n_ok)
{
    const __m256 lo = _mm256_set1_ps(-3.4e38f), cl = _mm256_set1_ps(LOGIT_CLAMP), ncl = _mm256_set1_ps(-LOGIT_CLAMP);
    const __m256 ninf = _mm256_set1_ps(-INFINITY);
    int n = 0, i = 0;
    for (; i + 8 <= V; i += 8) {
        __m256 l = _mm256_loadu_ps(logits + i);
        __m256 ok = _mm256_cmp_ps(l, lo, _CMP_GT_OQ); /* false for NaN and -inf */
        if (mask) {
            __m128i m8 = _mm_loadl_epi64((const __m128i *)(const void *)(mask + i));
            __m256i m32 = _mm256_cvtepu8_epi32(m8);
            __m256i zero = _mm256_cmpeq_epi32(m32, _mm256_setzero_si256());
            ok = _mm256_andnot_ps(_mm256_castsi256_ps(zero), ok);
        }
        __m256 c = _mm256_max_ps(_mm256_min_ps(l, cl), ncl);
        _mm256_storeu_ps(val + i, _mm256_blendv_ps(ninf, c, ok));
        n += __builtin_popcount((unsigned)_mm256_movemask_ps(ok));
    }
    *n_ok = n;
    return i;
}

__attribute__((target("avx2,fma"))) static float max_avx2(const float *val, int V)
{
    __m256 m = _mm256_set1_ps(-INFINITY);
    int i = 0;
    for (; i + 8 <= V; i += 8)
        m = _mm256_max_ps(m, _mm256_loadu_ps(val + i));
    __m128 h = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
    h = _mm_max_ps(h, _mm_movehl_ps(h, h));
    h = _mm_max_ss(h, _mm_shuffle_ps(h, h, 1));
    float mx = _mm_cvtss_f32(h);
    for (; i < V; i++)
        mx = val[i] > mx ? val[i] : mx;
    return mx;
}

__attribute__((target("avx2,fma"))) static inline double hsum4d(__m256d v)
{
    __m128d s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
    return _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
}

/* one block of 8 labels at i (lanes >= V masked off: the tail goes through the same exp, so equal logits always get
 * equal weights) */
__attribute__((target("avx2,fma"))) static inline void
exp_block8(float *val, float *e, int i, int V, __m256 m, __m256 t, double *blk, __m256d *tot, __m256d *ezv, int *n)
{
    const __m256 zero = _mm256_setzero_ps();
    __m256i lanes = _mm256_cmpgt_epi32(_mm256_set1_epi32(V - i), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    __m256 v = _mm256_maskload_ps(val + i, lanes);
    __m256 z = _mm256_div_ps(_mm256_sub_ps(v, m), t);
    __m256 w = _mm256_and_ps(cs_fast_exp8(z), _mm256_castsi256_ps(lanes));
    _mm256_maskstore_ps(val + i, lanes, z);
    _mm256_maskstore_ps(e + i, lanes, w);
    __m256 pos = _mm256_cmp_ps(w, zero, _CMP_GT_OQ);
    *n += __builtin_popcount((unsigned)_mm256_movemask_ps(pos));
    __m256 zm = _mm256_and_ps(z, pos); /* z = -inf where w = 0: counts as 0 */
    __m256d wl = _mm256_cvtps_pd(_mm256_castps256_ps128(w)), wh = _mm256_cvtps_pd(_mm256_extractf128_ps(w, 1));
    __m256d zl = _mm256_cvtps_pd(_mm256_castps256_ps128(zm)), zh = _mm256_cvtps_pd(_mm256_extractf128_ps(zm, 1));
    __m256d s = _mm256_add_pd(wl, wh);
    blk[i / BLK] = hsum4d(s);
    *tot = _mm256_add_pd(*tot, s);
    *ezv = _mm256_fmadd_pd(wh, zh, _mm256_fmadd_pd(wl, zl, *ezv));
}

/* Pass 2 with the model's vectorised exp (cs_fast_exp8, as in its softmax), every label; see exp_scalar. */
__attribute__((target("avx2,fma"))) static void exp_avx2(float *val, float *e, int V, float mx, float T, double *blk,
                                                         double *total, double *ez, int *count)
{
    const __m256 m = _mm256_set1_ps(mx), t = _mm256_set1_ps(T);
    __m256d tot = _mm256_setzero_pd(), ezv = _mm256_setzero_pd();
    int n = 0;
    for (int i = 0; i < V; i += 8)
        exp_block8(val, e, i, V, m, t, blk, &tot, &ezv, &n);
    *total += hsum4d(tot);
    *ez += hsum4d(ezv);
    *count += n;
}

static int have_avx2(void)
{
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
#else
static int have_avx2(void)
{
    return 0;
}
#endif

static int candidates(const float *logits, int V, const unsigned char *mask, float *val, int simd)
{
    int n_ok = 0, i = 0;
#if CS_SAMPLE_SIMD
    if (simd) i = cand_avx2(logits, V, mask, val, &n_ok);
#else
    (void)simd;
#endif
    return n_ok + cand_scalar(logits, i, V, mask, val);
}

/* 1. Candidates (see cand_scalar); if the mask leaves none it is ignored, if no logit is usable the draw is
 * uniform over the mask's labels (or all): val = 0 for them. Sets the flags; returns the candidate count. */
static int sample_candidates(const float *logits, int V, const unsigned char *mask, float *val, int simd,
                             cs_sample_result *out)
{
    int n_ok = candidates(logits, V, mask, val, simd);
    if (n_ok == 0 && mask) {
        out->flags |= CS_SAMPLE_MASK_IGNORED;
        n_ok = candidates(logits, V, NULL, val, simd);
    }
    if (n_ok == 0) { /* no usable logit: uniform over the mask's labels, or over all */
        out->flags = (out->flags & ~CS_SAMPLE_MASK_IGNORED) | CS_SAMPLE_NO_LOGITS;
        for (int i = 0; i < V; i++) {
            int ok = !mask || mask[i];
            val[i] = ok ? 0.0f : -INFINITY;
            n_ok += ok;
        }
        if (n_ok == 0) {
            out->flags |= CS_SAMPLE_MASK_IGNORED;
            for (int i = 0; i < V; i++)
                val[i] = 0.0f;
            n_ok = V;
        }
    }
    return n_ok;
}

/* 2. Repetition penalty (CTRL), once per distinct candidate label of the history; seen: (V + 31) / 32 words. */
static void sample_penalty(float *val, int V, const int *history, int n_history, float pen, uint32_t *seen)
{
    if (!(history && n_history > 0 && pen > 0.0f && pen != 1.0f && pen < 3.4e38f)) return;
    memset(seen, 0, (size_t)((V + 31) / 32) * sizeof(uint32_t));
    for (int j = 0; j < n_history; j++) {
        int h = history[j];
        if (h < 0 || h >= V || (seen[h >> 5] >> (h & 31) & 1u) || val[h] == -INFINITY) continue;
        seen[h >> 5] |= 1u << (h & 31);
        val[h] = val[h] > 0.0f ? val[h] / pen : val[h] * pen;
        if (val[h] < -LOGIT_CLAMP) val[h] = -LOGIT_CLAMP;
    }
}

/* The labels of weight > 0 that can be among the first `need` ranks (top-k: need = k) or inside the nucleus of
 * mass p * total (need = 0), found without sorting: a histogram of the weights' binary exponents (counts, and
 * masses for top-p) gives the highest exponent E at which enough labels (or mass) are reached; every label of
 * exponent > E is in, those of exponent E may be, lower ones cannot be. Writes them to buf (any order) and
 * returns their count. Rounding of the bin masses is covered by the caller (it falls back to all labels). */
static int collect_top(const float *e, int V, int need, float p, double total, int *buf)
{
    int cnt[128];
    double mass[128];
    memset(cnt, 0, sizeof cnt);
    if (!need) memset(mass, 0, sizeof mass);
    for (int i = 0; i < V; i++) {
        if (!(e[i] > 0.0f)) continue;
        uint32_t x = cs_fast_float_to_bits(e[i]) >> 23; /* weights are in (0, 1]: exponent field <= 127 */
        cnt[x]++;
        if (!need) mass[x] += (double)e[i];
    }
    const double target = (double)p * total;
    int E = 127, c = 0;
    double mcum = 0.0;
    for (; E > 0; E--) {
        c += cnt[E];
        mcum += need ? 0.0 : mass[E];
        if (need ? c >= need : mcum >= target) break;
    }
    int m = 0;
    for (int i = 0; i < V; i++) {
        buf[m] = i;
        m += e[i] > 0.0f && (int)(cs_fast_float_to_bits(e[i]) >> 23) >= E;
    }
    return m;
}

/* order[0..) <- the labels of set[0..m) that rank first (larger weight, then lower index), sorted, as many as
 * needed: `need` of them, or (need 0) until their mass reaches target. Insertion sort for a short set, else a
 * max-heap built in set and popped only as far as needed. Returns the count written and *mass their weight. */
static int sort_prefix(const float *e, int *set, int m, int need, double target, int *order, double *mass)
{
    int n = 0;
    double cum = 0.0;
    if (m <= 48) { /* keys (weight bits, ~index): one integer compare ranks two labels */
        uint64_t key[48];
        for (int j = 0; j < m; j++) {
            uint64_t x = (uint64_t)cs_fast_float_to_bits(e[set[j]]) << 32 | (uint32_t) ~(uint32_t)set[j];
            int q = j;
            while (q > 0 && key[q - 1] < x) {
                key[q] = key[q - 1];
                q--;
            }
            key[q] = x;
        }
        while (n < m && (need ? n < need : n == 0 || cum < target)) {
            order[n] = (int)~(uint32_t)key[n];
            cum += (double)e[order[n++]];
        }
    } else {
        int hn = m;
        for (int j = hn / 2 - 1; j >= 0; j--)
            sift_down(set, hn, j, e);
        while (hn > 0 && (need ? n < need : n == 0 || cum < target)) {
            order[n] = set[0];
            cum += (double)e[order[n++]];
            set[0] = set[--hn];
            sift_down(set, hn, 0, e);
        }
    }
    *mass = cum;
    return n;
}

/* 4-5 by partial selection: top-k (k > 0) or the nucleus (k = 0) into order[], most probable first; returns the
 * count and *mass their weight. */
static int select_top(const float *e, int V, int k, float p, double total, int *heap, int *order, double *mass)
{
    const double target = (double)p * total;
    int m = collect_top(e, V, k, p, total, heap);
    int n = sort_prefix(e, heap, m, k, target, order, mass);
    if (!k && *mass < target && m < V) { /* the bin masses rounded the other way: take every label */
        m = 0;
        for (int i = 0; i < V; i++) {
            heap[m] = i;
            m += e[i] > 0.0f;
        }
        n = sort_prefix(e, heap, m, 0, target, order, mass);
    }
    return n;
}

/* 4-5. Truncation. Returns the labels kept in order[] most probable first (0 = no truncation: every candidate
 * stays) and sets *mass to their total weight (total when none is applied). Labels of weight 0 are never kept:
 * they cannot be drawn and change neither the mass nor the reported figures. */
static int sample_truncate(const float *e, int V, int n_ok, int k, float p, double total, int *heap, int *order,
                           double *mass)
{
    int k_on = k > 0 && k < n_ok;
    int p_on = p < 1.0f; /* NaN compares false: off */
    *mass = total;
    if (!k_on && !p_on) return 0;
    int kept;
    if (k_on) {
        kept = select_top(e, V, k, p, total, heap, order, mass);
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
        kept = select_top(e, V, 0, p, total, heap, order, mass);
    }
    if (kept < 1) { /* p <= 0: keep the top label */
        kept = 1;
        *mass = (double)e[order[0]];
    }
    return kept;
}

/* 6. Draw by the inverse CDF with uniform u: over order[0..kept) when truncated, else over all labels in index
 * order, skipping whole blocks by their sums blk. Reports probability and entropy (bits); out->candidates is
 * set by the caller when not truncated. */
static int sample_draw(const float *e, const float *val, int V, const int *order, int kept, const double *blk,
                       double mass, double u, int amax, cs_sample_result *out)
{
    double target = u * mass, acc = 0.0, ez = 0.0;
    int label = -1;
    if (kept) {
        int count = 0;
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
        out->candidates = count;
        out->entropy_bits = cs_fast_log2((float)mass) - (float)(ez / (mass * LN2));
    } else {
        const int nb = (V + BLK - 1) / BLK;
        for (int b = 0; b < nb && label < 0; b++) {
            if (!(target < acc + blk[b])) {
                acc += blk[b];
                continue;
            }
            int i1 = (b + 1) * BLK < V ? (b + 1) * BLK : V;
            for (int i = b * BLK; i < i1; i++) {
                acc += (double)e[i];
                if (target < acc) {
                    label = i;
                    break;
                }
            }
        }
        if (label < 0) label = amax; /* rounding at the very top of the CDF */
    }
    if (!(out->entropy_bits > 0.0f)) out->entropy_bits = 0.0f;
    out->label = label;
    out->prob = (float)((double)e[label] / mass);
    return label;
}

int cs_sample(const float *logits, int vocab, const cs_sample_params *params, const int *history, int n_history,
              const unsigned char *mask, cs_rng *rng, void *scratch, size_t scratch_bytes, cs_sample_result *out)
{
    if (!logits || !params || !rng || !out || vocab < 1 || vocab > CS_SAMPLE_MAX_VOCAB) {
        fail(out);
        return CS_SAMPLE_E_ARG;
    }
    if (!scratch || scratch_bytes < cs_sample_scratch_size(vocab)) {
        fail(out);
        return CS_SAMPLE_E_MEMORY;
    }
    const int V = vocab, simd = have_avx2();
    unsigned char *base = (unsigned char *)scratch + ((64 - ((uintptr_t)scratch & 63)) & 63);
    float *val = (float *)(void *)base;   /* (V) clamped, penalised logits (-inf = not a candidate), then z */
    float *e = val + V;                   /* (V) unnormalised weights exp(z); before that the penalty's flags */
    int *heap = (int *)(void *)(e + V);   /* (V) */
    int *order = heap + V;                /* (V) labels kept, most probable first */
    double *blk = (double *)(void *)heap; /* ((V + 7) / 8) block sums over heap and order: untruncated draws only */

    memset(out, 0, sizeof *out);
    const double u = cs_rng_uniform_double(rng); /* always exactly one draw */

    const int n_ok = sample_candidates(logits, V, mask, val, simd, out);
    sample_penalty(val, V, history, n_history, params->repetition_penalty, (uint32_t *)(void *)e);

    float mx;
#if CS_SAMPLE_SIMD
    if (simd) {
        mx = max_avx2(val, V);
    } else
#endif
    {
        mx = -INFINITY;
        for (int i = 0; i < V; i++)
            mx = val[i] > mx ? val[i] : mx;
    }
    int amax = 0;
    while (val[amax] != mx) /* the lowest index wins ties; n_ok >= 1 so mx is a candidate's value */
        amax++;

    /* 3. temperature; T <= 0 = argmax */
    float T = params->temperature;
    if (!(T > 0.0f)) {
        out->label = amax;
        out->prob = 1.0f;
        out->entropy_bits = 0.0f;
        out->candidates = 1;
        return amax;
    }
    double total = 0.0, ez = 0.0;
    int count = 0;
#if CS_SAMPLE_SIMD
    if (simd)
        exp_avx2(val, e, V, mx, T, blk, &total, &ez, &count);
    else
#endif
        exp_scalar(val, e, 0, V, mx, T, blk, &total, &ez, &count);

    double mass;
    const int kept = sample_truncate(e, V, n_ok, params->top_k, params->top_p, total, heap, order, &mass);
    if (!kept) {
        out->candidates = count;
        out->entropy_bits = cs_fast_log2((float)mass) - (float)(ez / (mass * LN2));
    }
    return sample_draw(e, val, V, order, kept, blk, mass, u, amax, out);
}
