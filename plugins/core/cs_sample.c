/* cs_sample.c - sampling from logits in two vectorised passes (candidates + penalty + maximum, then temperature +
 * exp + sums) and a draw that skips whole blocks of 8 labels; top-k and top-p by a threshold bisection on the
 * weights' bits, then only the labels above it ranked. See cs_sample.h for the order of operations and the
 * references. */
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

/* The repetition penalty of one candidate's value (CTRL): v / pen above 0, v * pen otherwise, >= -1e30. */
static inline float penalised(float v, float pen)
{
    float r = v > 0.0f ? v / pen : v * pen;
    return r < -LOGIT_CLAMP ? -LOGIT_CLAMP : r;
}

/* Pass 1, labels [i0, V): val[i] = the logit clamped to +-1e30 if label i is allowed by mask (NULL = all) and its
 * logit is a number above -3.4e38, else -inf; with hist (NULL = no penalty) a candidate whose hist[i] is nonzero
 * gets the repetition penalty pen (step 2, fused into this pass). Raises *vmax to the largest val. Returns the
 * number of candidates. */
static int cand_scalar(const float *logits, int i0, int V, const unsigned char *mask, float *val,
                       const unsigned char *hist, float pen, float *vmax)
{
    int n_ok = 0;
    for (int i = i0; i < V; i++) {
        float l = logits[i];
        int ok = (!mask || mask[i]) && l == l && l > -3.4e38f;
        if (l > LOGIT_CLAMP) l = LOGIT_CLAMP;
        if (l < -LOGIT_CLAMP) l = -LOGIT_CLAMP;
        if (hist && hist[i]) l = penalised(l, pen);
        val[i] = ok ? l : -INFINITY;
        *vmax = val[i] > *vmax ? val[i] : *vmax;
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
                                                         float *val, int *n_ok, const unsigned char *hist, float pen,
                                                         float *vmax)
{
    __m256 mx = _mm256_set1_ps(-INFINITY);
    const __m256 lo = _mm256_set1_ps(-3.4e38f), cl = _mm256_set1_ps(LOGIT_CLAMP), ncl = _mm256_set1_ps(-LOGIT_CLAMP);
    const __m256 ninf = _mm256_set1_ps(-INFINITY), zero = _mm256_setzero_ps(), p = _mm256_set1_ps(pen);
    int n = 0, i = 0;
    for (; i + 8 <= V; i += 8) {
        __m256 l = _mm256_loadu_ps(logits + i);
        __m256 ok = _mm256_cmp_ps(l, lo, _CMP_GT_OQ); /* false for NaN and -inf */
        if (mask) {
            __m128i m8 = _mm_loadl_epi64((const __m128i *)(const void *)(mask + i));
            __m256i zm = _mm256_cmpeq_epi32(_mm256_cvtepu8_epi32(m8), _mm256_setzero_si256());
            ok = _mm256_andnot_ps(_mm256_castsi256_ps(zm), ok);
        }
        __m256 c = _mm256_max_ps(_mm256_min_ps(l, cl), ncl);
        if (hist) { /* the penalty where hist is set: both the quotient and the product, one kept */
            __m128i h8 = _mm_loadl_epi64((const __m128i *)(const void *)(hist + i));
            __m256i hz = _mm256_cmpeq_epi32(_mm256_cvtepu8_epi32(h8), _mm256_setzero_si256());
            __m256 pc = _mm256_blendv_ps(_mm256_mul_ps(c, p), _mm256_div_ps(c, p), _mm256_cmp_ps(c, zero, _CMP_GT_OQ));
            c = _mm256_blendv_ps(_mm256_max_ps(pc, ncl), c, _mm256_castsi256_ps(hz));
        }
        __m256 v = _mm256_blendv_ps(ninf, c, ok);
        _mm256_storeu_ps(val + i, v);
        mx = _mm256_max_ps(mx, v);
        n += __builtin_popcount((unsigned)_mm256_movemask_ps(ok));
    }
    *n_ok = n;
    __m128 h = _mm_max_ps(_mm256_castps256_ps128(mx), _mm256_extractf128_ps(mx, 1));
    h = _mm_max_ps(h, _mm_movehl_ps(h, h));
    *vmax = _mm_cvtss_f32(_mm_max_ss(h, _mm_shuffle_ps(h, h, 1)));
    return i;
}

/* the lowest index i >= 0 with val[i] == mx (mx is one of val's values) */
__attribute__((target("avx2,fma"))) static int first_equal_avx2(const float *val, int V, float mx)
{
    const __m256 m = _mm256_set1_ps(mx);
    int i = 0;
    for (; i + 8 <= V; i += 8) {
        unsigned eq = (unsigned)_mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(val + i), m, _CMP_EQ_OQ));
        if (eq) return i + __builtin_ctz(eq);
    }
    while (i < V - 1 && val[i] != mx)
        i++;
    return i;
}

__attribute__((target("avx2,fma"))) static inline double hsum4d(__m256d v)
{
    __m128d s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
    return _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
}

/* One block of 8 labels: z = (v - m) / t into z8, w = exp(z) into w8 (v8 and z8 may be the same), its weight sum
 * into *blk; adds to the total, sum w z and the count of w > 0. Full lanes: a tail block is padded with -inf
 * (weight 0) by exp_tail, so equal logits always get equal weights. */
__attribute__((target("avx2,fma"))) static inline void
exp_block8(const float *v8, float *z8, float *w8, __m256 m, __m256 t, double *blk, __m256d *tot, __m256d *ezv, int *n)
{
    const __m256 zero = _mm256_setzero_ps();
    __m256 z = _mm256_div_ps(_mm256_sub_ps(_mm256_loadu_ps(v8), m), t);
    __m256 w = cs_fast_exp8(z);
    _mm256_storeu_ps(z8, z);
    _mm256_storeu_ps(w8, w);
    __m256 pos = _mm256_cmp_ps(w, zero, _CMP_GT_OQ);
    *n += __builtin_popcount((unsigned)_mm256_movemask_ps(pos));
    __m256d wl = _mm256_cvtps_pd(_mm256_castps256_ps128(w)), wh = _mm256_cvtps_pd(_mm256_extractf128_ps(w, 1));
    __m256d s = _mm256_add_pd(wl, wh);
    *tot = _mm256_add_pd(*tot, s);
    if (blk) {                             /* the untruncated draw's block sums and entropy */
        __m256 zm = _mm256_and_ps(z, pos); /* z = -inf where w = 0: counts as 0 */
        __m256d zl = _mm256_cvtps_pd(_mm256_castps256_ps128(zm)), zh = _mm256_cvtps_pd(_mm256_extractf128_ps(zm, 1));
        *blk = hsum4d(s);
        *ezv = _mm256_fmadd_pd(wh, zh, _mm256_fmadd_pd(wl, zl, *ezv));
    }
}

/* Pass 2 with the model's vectorised exp (cs_fast_exp8, as in its softmax), every label; see exp_scalar. blk NULL:
 * a truncated draw, which needs neither the block sums nor sum e z (then *ez is left as it is). */
__attribute__((target("avx2,fma"))) static void exp_avx2(float *val, float *e, int V, float mx, float T, double *blk,
                                                         double *total, double *ez, int *count)
{
    const __m256 m = _mm256_set1_ps(mx), t = _mm256_set1_ps(T);
    __m256d tot = _mm256_setzero_pd(), ezv = _mm256_setzero_pd();
    int n = 0, i = 0;
    for (; i + 8 <= V; i += 8)
        exp_block8(val + i, val + i, e + i, m, t, blk ? blk + i / BLK : NULL, &tot, &ezv, &n);
    if (i < V) { /* the tail through a padded copy (masked stores are slow on some CPUs) */
        float v8[8], w8[8];
        for (int j = 0; j < 8; j++)
            v8[j] = i + j < V ? val[i + j] : -INFINITY;
        exp_block8(v8, v8, w8, m, t, blk ? blk + i / BLK : NULL, &tot, &ezv, &n);
        for (int j = 0; i + j < V; j++) {
            val[i + j] = v8[j];
            e[i + j] = w8[j];
        }
    }
    *total += hsum4d(tot);
    if (blk) *ez += hsum4d(ezv);
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

/* Pass 1 over every label (see cand_scalar); *vmax = the largest val. */
static int candidates(const float *logits, int V, const unsigned char *mask, float *val, const unsigned char *hist,
                      float pen, int simd, float *vmax)
{
    int n_ok = 0, i = 0;
    *vmax = -INFINITY;
#if CS_SAMPLE_SIMD
    if (simd) i = cand_avx2(logits, V, mask, val, &n_ok, hist, pen, vmax);
#else
    (void)simd;
#endif
    return n_ok + cand_scalar(logits, i, V, mask, val, hist, pen, vmax);
}

/* 1-2. Candidates and the repetition penalty (see cand_scalar); if the mask leaves none it is ignored, if no logit is
 * usable the draw is uniform over the mask's labels (or all): val = 0 for them (the penalty leaves 0 as it is).
 * *vmax: the largest val. Sets
 * the flags; returns the candidate count. */
static int sample_candidates(const float *logits, int V, const unsigned char *mask, float *val,
                             const unsigned char *hist, float pen, int simd, float *vmax, cs_sample_result *out)
{
    int n_ok = candidates(logits, V, mask, val, hist, pen, simd, vmax);
    if (n_ok == 0 && mask) {
        out->flags |= CS_SAMPLE_MASK_IGNORED;
        n_ok = candidates(logits, V, NULL, val, hist, pen, simd, vmax);
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
        *vmax = 0.0f; /* every candidate's val */
    }
    return n_ok;
}

/* 2. Repetition penalty (CTRL), once per distinct candidate label of the history: hist[i] = 1 for the labels in the
 * history (V bytes of scratch), applied in the candidates pass, so each label once whatever its repeats. Returns
 * hist, or NULL when the penalty is off. */
static const unsigned char *penalty_flags(int V, const int *history, int n_history, float pen, unsigned char *hist)
{
    if (!(history && n_history > 0 && pen > 0.0f && pen != 1.0f && pen < 3.4e38f)) return NULL;
    memset(hist, 0, (size_t)V);
    for (int j = 0; j < n_history; j++) {
        const int h = history[j];
        if (h >= 0 && h < V) hist[h] = 1;
    }
    return hist;
}

/* Weights as ordered integers: every weight is a float >= +0, so its bit pattern, read as a signed 32-bit integer,
 * orders as the weight does; "bits >= t" with t >= 1 is "weight > 0 and weight >= the float of t". */
static inline int32_t wbits(const float *e, int i)
{
    return (int32_t)cs_fast_float_to_bits(e[i]);
}

/* Count of the labels with weight bits >= t (t >= 1) and, if mass is not NULL, an approximate sum of their weights
 * (float, in any order: only a search bound, see find_threshold). */
static int count_ge_scalar(const float *e, int i0, int V, int32_t t, float *mass)
{
    int c = 0;
    float s = 0.0f;
    for (int i = i0; i < V; i++) {
        int in = wbits(e, i) >= t;
        c += in;
        s += in ? e[i] : 0.0f;
    }
    if (mass) *mass += s;
    return c;
}

/* Indices of the labels with weight bits >= t (t >= 1) into buf, in index order; returns their count. */
static int collect_ge_scalar(const float *e, int i0, int V, int32_t t, int *buf, int m)
{
    for (int i = i0; i < V; i++) {
        buf[m] = i;
        m += wbits(e, i) >= t;
    }
    return m;
}

#if CS_SAMPLE_SIMD
__attribute__((target("avx2,fma"))) static int count_ge_avx2(const float *e, int V, int32_t t, float *mass)
{
    const __m256i tv = _mm256_set1_epi32(t - 1); /* bits > t - 1 */
    int c = 0, i = 0;
    if (mass) {
        __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
        for (; i + 16 <= V; i += 16) {
            __m256 a = _mm256_loadu_ps(e + i), b = _mm256_loadu_ps(e + i + 8);
            __m256 ia = _mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_castps_si256(a), tv));
            __m256 ib = _mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_castps_si256(b), tv));
            c += __builtin_popcount((unsigned)_mm256_movemask_ps(ia) | (unsigned)_mm256_movemask_ps(ib) << 8);
            s0 = _mm256_add_ps(s0, _mm256_and_ps(a, ia));
            s1 = _mm256_add_ps(s1, _mm256_and_ps(b, ib));
        }
        __m256 s = _mm256_add_ps(s0, s1);
        __m128 h = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
        h = _mm_add_ps(h, _mm_movehl_ps(h, h));
        *mass = _mm_cvtss_f32(_mm_add_ss(h, _mm_shuffle_ps(h, h, 1)));
    } else {
        for (; i + 16 <= V; i += 16) {
            __m256i a = _mm256_loadu_si256((const __m256i *)(const void *)(e + i));
            __m256i b = _mm256_loadu_si256((const __m256i *)(const void *)(e + i + 8));
            unsigned ma = (unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpgt_epi32(a, tv)));
            unsigned mb = (unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpgt_epi32(b, tv)));
            c += __builtin_popcount(ma | mb << 8);
        }
    }
    return c + count_ge_scalar(e, i, V, t, mass);
}

__attribute__((target("avx2,fma"))) static int collect_ge_avx2(const float *e, int V, int32_t t, int *buf)
{
    const __m256i tv = _mm256_set1_epi32(t - 1);
    int m = 0, i = 0;
    for (; i + 8 <= V; i += 8) {
        __m256i a = _mm256_loadu_si256((const __m256i *)(const void *)(e + i));
        unsigned bits = (unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpgt_epi32(a, tv)));
        while (bits) {
            buf[m++] = i + __builtin_ctz(bits);
            bits &= bits - 1u;
        }
    }
    return collect_ge_scalar(e, i, V, t, buf, m);
}
#endif

static int count_ge(const float *e, int V, int32_t t, float *mass, int simd)
{
    if (mass) *mass = 0.0f;
#if CS_SAMPLE_SIMD
    if (simd) return count_ge_avx2(e, V, t, mass);
#else
    (void)simd;
#endif
    return count_ge_scalar(e, 0, V, t, mass);
}

/* The labels of weight > 0 that can be among the first `need` ranks (top-k: need = k) or inside the nucleus of
 * mass `target` (need = 0), found without sorting: a bisection on the weights' bit patterns (one vectorised
 * counting pass per step, at most 31 steps) for a threshold t such that the labels of bits >= t - a prefix of the
 * ranking, whatever the ties - are at least `need` (or weigh at least the target, by float sums with a margin of
 * 1e-3 that the caller's exact sums confirm). The steps stop when sorting the labels between the two bounds
 * costs less than another pass, so that the prefix the caller sorts is short. npos: labels of weight > 0.
 * Writes the prefix's labels to buf (index order) and returns their count. */
/* The bisection of collect_top: the labels of bits >= lo are enough (clo of them), those of bits >= hi are not (chi
 * of them). */
typedef struct bisection {
    int32_t lo, hi;
    int clo, chi;
} bisection;

/* Another step? A step costs about 3V/16 + 10 cycles and halves the band clo - chi, each label of which costs about
 * clo / 4 + 10 to rank: go on while the step saves more than it costs (or the band is a third of the set). */
static inline int bisect_more(const bisection *b, int need, int V, int step)
{
    const int band = b->clo - b->chi;
    if (step >= 31 || b->hi - b->lo <= 1 || (need && b->clo <= need)) return 0;
    return (int64_t)band * (b->clo + 40) > (int64_t)V * 3 / 2 + 80 || band * 3 > b->clo;
}

/* Take the count c (and mass) of the labels of bits >= mid. */
static inline void bisect_take(bisection *b, int32_t mid, int c, float mass, int need, float tgt)
{
    const int ok = need ? c >= need : (c > 0) & (mass >= tgt); /* selects, not branches: ok is a coin toss */
    b->lo = ok ? mid : b->lo;
    b->clo = ok ? c : b->clo;
    b->hi = ok ? b->hi : mid;
    b->chi = ok ? b->chi : c;
}

#if CS_SAMPLE_SIMD
/* The bisection for V <= 64 with the weights in eight registers (a zero-padded copy), no pass through memory. */
__attribute__((target("avx2,fma"))) static void bisect64_avx2(const float *e, int V, int need, float tgt, bisection *b)
{
    float pad[64];
    memcpy(pad, e, (size_t)V * sizeof(float));
    memset(pad + V, 0, (size_t)(64 - V) * sizeof(float)); /* weight 0: never counted (t >= 1) */
    __m256 w[8];
    for (int k = 0; k < 8; k++)
        w[k] = _mm256_loadu_ps(pad + 8 * k);
    for (int step = 0; bisect_more(b, need, V, step); step++) {
        const int32_t mid = b->lo + (b->hi - b->lo) / 2;
        const __m256i t = _mm256_set1_epi32(mid - 1);
        __m256 s = _mm256_setzero_ps();
        __m256i cv = _mm256_setzero_si256(); /* lane counts: a compare is -1 where true */
        for (int k = 0; k < 8; k++) {
            __m256i in = _mm256_cmpgt_epi32(_mm256_castps_si256(w[k]), t);
            cv = _mm256_sub_epi32(cv, in);
            s = _mm256_add_ps(s, _mm256_and_ps(w[k], _mm256_castsi256_ps(in)));
        }
        __m128i ci = _mm_add_epi32(_mm256_castsi256_si128(cv), _mm256_extracti128_si256(cv, 1));
        ci = _mm_add_epi32(ci, _mm_shuffle_epi32(ci, 0x4e));
        ci = _mm_add_epi32(ci, _mm_shuffle_epi32(ci, 0xb1));
        __m128 h = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
        h = _mm_add_ps(h, _mm_movehl_ps(h, h));
        bisect_take(b, mid, _mm_cvtsi128_si32(ci), _mm_cvtss_f32(_mm_add_ss(h, _mm_shuffle_ps(h, h, 1))), need, tgt);
    }
}
#endif

static int collect_top(const float *e, int V, int need, double target, int npos, int simd, int *buf)
{
    /* weights are exp(z <= 0): <= 1 + 1.5e-7 */
    bisection b = {1, (int32_t)cs_fast_float_to_bits(1.0f) + 256, npos, 0};
    const float tgt = (float)(target * (1.0 + 1e-3));
#if CS_SAMPLE_SIMD
    if (simd && V <= 64) {
        bisect64_avx2(e, V, need, tgt, &b);
        return collect_ge_avx2(e, V, b.lo, buf);
    }
#endif
    for (int step = 0; bisect_more(&b, need, V, step); step++) {
        const int32_t mid = b.lo + (b.hi - b.lo) / 2;
        float mass;
        const int c = count_ge(e, V, mid, need ? NULL : &mass, simd);
        bisect_take(&b, mid, c, mass, need, tgt);
    }
#if CS_SAMPLE_SIMD
    if (simd) return collect_ge_avx2(e, V, b.lo, buf);
#endif
    return collect_ge_scalar(e, 0, V, b.lo, buf, 0);
}

#if CS_SAMPLE_SIMD
/* order[r] <- set[i] for the label of rank r among set[0..m) (m <= 64; set in index order, so a tie ranks the
 * earlier position first): each rank counted with 8-lane compares, no branch on the data. */
__attribute__((target("avx2,fma"))) static void rank_sort_avx2(const float *e, const int *set, int m, int *order)
{
    int32_t kb[64];
    const int nv = (m + 7) / 8;
    for (int i = 0; i < nv * 8; i++)
        kb[i] = i < m ? wbits(e, set[i]) : 0; /* padding: weight 0 never outranks a label of weight > 0 */
    const __m256i iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    for (int i = 0; i < m; i++) {
        const __m256i b = _mm256_set1_epi32(kb[i]);
        int r = 0;
        for (int v = 0; v < nv; v++) {
            __m256i x = _mm256_loadu_si256((const __m256i *)(const void *)(kb + 8 * v));
            __m256i earlier = _mm256_cmpgt_epi32(_mm256_set1_epi32(i - 8 * v), iota);
            __m256i hit =
                _mm256_or_si256(_mm256_cmpgt_epi32(x, b), _mm256_and_si256(_mm256_cmpeq_epi32(x, b), earlier));
            r += __builtin_popcount((unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(hit)));
        }
        order[r] = set[i];
    }
}
#endif

/* order[0..) <- the labels of set[0..m) that rank first (larger weight, then lower index), sorted, as many as
 * needed: `need` of them, or (need 0) until their mass reaches target. Ranks counted by vector compares for a
 * short set (AVX2), else insertion sort for a short set, else a max-heap built in set and popped only as far as
 * needed. Returns the count written and *mass their weight. */
static int sort_prefix(const float *e, int *set, int m, int need, double target, int simd, int *order, double *mass)
{
    int n = 0;
    double cum = 0.0;
#if CS_SAMPLE_SIMD
    if (simd && m <= 64) {
        rank_sort_avx2(e, set, m, order);
        while (n < m && (need ? n < need : n == 0 || cum < target))
            cum += (double)e[order[n++]];
        *mass = cum;
        return n;
    }
#else
    (void)simd;
#endif
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
 * count and *mass their weight (the exact sums, in rank order, of the scalar sampler). */
static int select_top(const float *e, int V, int k, float p, double total, int npos, int simd, int *heap, int *order,
                      double *mass)
{
    const double target = (double)p * total;
    int m = collect_top(e, V, k, target, npos, simd, heap);
    int n = sort_prefix(e, heap, m, k, target, simd, order, mass);
    if (!k && *mass < target && m < npos) { /* the float sums rounded the other way: take every label */
        m = collect_ge_scalar(e, 0, V, 1, heap, 0);
        n = sort_prefix(e, heap, m, 0, target, simd, order, mass);
    }
    return n;
}

/* 4-5. Truncation. Returns the labels kept in order[] most probable first (0 = no truncation: every candidate
 * stays) and sets *mass to their total weight (total when none is applied). Labels of weight 0 are never kept:
 * they cannot be drawn and change neither the mass nor the reported figures. */
static int sample_truncate(const float *e, int V, int n_ok, int k, float p, double total, int npos, int simd, int *heap,
                           int *order, double *mass)
{
    int k_on = k > 0 && k < n_ok;
    int p_on = p < 1.0f; /* NaN compares false: off */
    *mass = total;
    if (!k_on && !p_on) return 0;
    int kept;
    if (k_on) {
        kept = select_top(e, V, k, p, total, npos, simd, heap, order, mass);
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
        kept = select_top(e, V, 0, p, total, npos, simd, heap, order, mass);
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

    const float pen = params->repetition_penalty;
    const unsigned char *hist = penalty_flags(V, history, n_history, pen, (unsigned char *)(void *)e);
    float mx;
    const int n_ok = sample_candidates(logits, V, mask, val, hist, pen, simd, &mx, out);
    int amax = 0; /* the lowest index wins ties; n_ok >= 1 so mx is a candidate's value */
#if CS_SAMPLE_SIMD
    if (simd)
        amax = first_equal_avx2(val, V, mx);
    else
#endif
        while (val[amax] != mx)
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
    if (simd) {
        const int trunc = (params->top_k > 0 && params->top_k < n_ok) || params->top_p < 1.0f; /* sample_truncate's */
        exp_avx2(val, e, V, mx, T, trunc ? NULL : blk, &total, &ez, &count);
    } else
#endif
        exp_scalar(val, e, 0, V, mx, T, blk, &total, &ez, &count);

    double mass;
    const int kept = sample_truncate(e, V, n_ok, params->top_k, params->top_p, total, count, simd, heap, order, &mass);
    if (!kept) {
        out->candidates = count;
        out->entropy_bits = cs_fast_log2((float)mass) - (float)(ez / (mass * LN2));
    }
    return sample_draw(e, val, V, order, kept, blk, mass, u, amax, out);
}
