/* cs_sample.c - sampling from logits in two vectorised passes (candidates + penalty + maximum, then temperature +
 * exp + sums) and a draw that skips whole blocks of 8 labels; top-k and top-p by a threshold search on the weights'
 * bits (radix 4 in registers up to 64 labels, else a bisection), then only the labels above it packed and ranked.
 * See cs_sample.h for the order of operations, the costs measured and the references. */
#include "cs_sample.h"

#include "cs_fastmath.h"

#include <math.h> /* INFINITY only: no libm call */
#include <stdint.h>
#include <string.h>

#define LOGIT_CLAMP 1e30f
#define LN2         0.69314718055994531
#define BLK         8  /* labels per block sum */
#define PACK_MAX    64 /* labels packed and ranked in registers at most (AVX2); prefix sums kept */

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
#if CS_SAMPLE_SIMD           /* x86: little-endian */
    if (V >= 8 && V <= 64) { /* bits in a register, then spread to bytes in 8-byte stores the 8-byte loads of
                              * cand_avx2 forward from (byte stores would stall them) */
        uint64_t bits = 0;
        for (int j = 0; j < n_history; j++) {
            const int h = history[j];
            bits |= (uint64_t)(h >= 0 && h < V) << (h & 63);
        }
        for (int k = 0; 8 * k < V; k++) { /* byte j of the word = bit j of the block */
            uint64_t w = ((bits >> 8 * k & 255u) * 0x0101010101010101u) & 0x8040201008040201u;
            w = ((w + 0x7f7f7f7f7f7f7f7fu) >> 7) & 0x0101010101010101u;
            memcpy(hist + 8 * k, &w, 8); /* within the V floats of e: 8 * ceil(V / 8) < 4V bytes */
        }
        return hist;
    }
#endif
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

/* The search of find_threshold: the labels of bits >= lo are enough (clo of them), those of bits >= hi are not (chi
 * of them). Enough: at least `need` labels (top-k), or (need 0, top-p) a float mass >= the target. */
typedef struct bisection {
    int32_t lo, hi;
    int clo, chi;
} bisection;

/* Another bisection step (V > 64)? A step costs about 3V/16 + 10 cycles and halves the band clo - chi, each label of
 * which costs about clo / 4 + 10 to rank: go on while the step saves more than it costs (or the band is a third of
 * the set). */
static inline int bisect_more(const bisection *b, int need, int V, int step)
{
    const int band = b->clo - b->chi;
    if (step >= 31 || b->hi - b->lo <= 1 || (need && b->clo <= need)) return 0;
    return (int64_t)band * (b->clo + 40) > (int64_t)V * 3 / 2 + 80 || band * 3 > b->clo;
}

/* Is the count c (and float mass) of the labels at or above a threshold enough? */
static inline int enough(int c, float mass, int need, float tgt)
{
    return need ? c >= need : (c > 0) & (mass >= tgt);
}

/* Take the count c (and mass) of the labels of bits >= mid. */
static inline void bisect_take(bisection *b, int32_t mid, int c, float mass, int need, float tgt)
{
    const int ok = enough(c, mass, need, tgt); /* selects, not branches: ok is a coin toss */
    b->lo = ok ? mid : b->lo;
    b->clo = ok ? c : b->clo;
    b->hi = ok ? b->hi : mid;
    b->chi = ok ? b->chi : c;
}

#if CS_SAMPLE_SIMD
/* Another step of search64_avx2? A step (three thresholds over eight registers) costs about as much as ranking a
 * few more labels (rank_avx2) and shrinks the band about fourfold: go on while the band is more than 8 labels (4
 * and 12 measured slower with bench_sample at 64 labels, 16 slower still). */
static inline int search64_more(const bisection *b, int need, int step)
{
    if (step >= 16 || b->hi - b->lo <= 1 || (need && b->clo <= need)) return 0;
    return b->clo - b->chi > 8;
}

/* Take the counts n1 >= n2 >= n3 (ok1 >= ok2 >= ok3: enough or not) of the labels at or above the ascending
 * thresholds q[0..3): lo becomes the highest that is enough, hi the next one. Selects, not branches. */
static inline void search_take3(bisection *b, const int32_t *q, int n1, int n2, int n3, int ok1, int ok2, int ok3)
{
    const int32_t lo = ok3 ? q[2] : ok2 ? q[1] : ok1 ? q[0] : b->lo;
    const int clo = ok3 ? n3 : ok2 ? n2 : ok1 ? n1 : b->clo;
    const int32_t hi = ok3 ? b->hi : ok2 ? q[2] : ok1 ? q[1] : q[0];
    const int chi = ok3 ? b->chi : ok2 ? n3 : ok1 ? n2 : n1;
    b->lo = lo;
    b->clo = clo;
    b->hi = hi > lo ? hi : b->hi; /* q[0] = lo (a band of < 4 patterns) that is not enough: no new bound */
    b->chi = hi > lo ? chi : b->chi;
}

/* The count of the lanes of w[0..8) above t: the compares packed to bytes, two movemasks, two popcounts. */
__attribute__((target("avx2,fma"), always_inline)) static inline int count64_avx2(const __m256i *w, __m256i t)
{
    const __m256i a = _mm256_packs_epi32(_mm256_cmpgt_epi32(w[0], t), _mm256_cmpgt_epi32(w[1], t));
    const __m256i b = _mm256_packs_epi32(_mm256_cmpgt_epi32(w[2], t), _mm256_cmpgt_epi32(w[3], t));
    const __m256i c = _mm256_packs_epi32(_mm256_cmpgt_epi32(w[4], t), _mm256_cmpgt_epi32(w[5], t));
    const __m256i d = _mm256_packs_epi32(_mm256_cmpgt_epi32(w[6], t), _mm256_cmpgt_epi32(w[7], t));
    return __builtin_popcount((unsigned)_mm256_movemask_epi8(_mm256_packs_epi16(a, b))) +
           __builtin_popcount((unsigned)_mm256_movemask_epi8(_mm256_packs_epi16(c, d)));
}

/* The float mass of the lanes of w[0..8) above t (a fixed tree: monotone in t). */
__attribute__((target("avx2,fma"), always_inline)) static inline __m256 mass64_avx2(const __m256i *w, __m256i t)
{
    __m256 s[8];
#pragma GCC unroll 8
    for (int k = 0; k < 8; k++)
        s[k] = _mm256_castsi256_ps(_mm256_and_si256(w[k], _mm256_cmpgt_epi32(w[k], t)));
    return _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(s[0], s[1]), _mm256_add_ps(s[2], s[3])),
                         _mm256_add_ps(_mm256_add_ps(s[4], s[5]), _mm256_add_ps(s[6], s[7])));
}

/* The search for V <= 64 with the weights in eight registers (a zero-padded copy), no pass through memory: each
 * step counts the labels (and, for top-p, their float mass) at or above three thresholds between lo and hi in one
 * sweep (a radix-4 select on the bit patterns, three independent compare chains), so the band of bit patterns
 * shrinks fourfold a step. The first step's thresholds are 2^-20, 2^-10 and 2^-5 (the top weight is 1), the next
 * ones the quarter points of [lo, hi): at most 16 steps, 3-4 on a trained model's logits. */
__attribute__((target("avx2,fma"))) static void search64_avx2(const float *e, int V, int need, float tgt, bisection *b)
{
    __m256i w[8];
    int k = 0;
    for (; 8 * k + 8 <= V; k++)
        w[k] = _mm256_loadu_si256((const __m256i *)(const void *)(e + 8 * k));
    if (8 * k < V) { /* the tail block through a zero-padded copy: weight 0 is never counted (t >= 1) */
        float pad[8] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
        for (int j = 0; 8 * k + j < V; j++)
            pad[j] = e[8 * k + j];
        w[k++] = _mm256_loadu_si256((const __m256i *)(const void *)pad);
    }
    for (; k < 8; k++)
        w[k] = _mm256_setzero_si256();
    for (int step = 0; search64_more(b, need, step); step++) {
        const int32_t d = b->hi - b->lo;
        int32_t q[3] = {b->lo + d / 4, b->lo + d / 2, b->lo + d / 2 + d / 4};
        if (step == 0) { /* lo = 1, hi above the bits of 1 */
            q[0] = (127 - 20) << 23;
            q[1] = (127 - 10) << 23;
            q[2] = (127 - 5) << 23;
        }
        const __m256i t1 = _mm256_set1_epi32(q[0] - 1), t2 = _mm256_set1_epi32(q[1] - 1);
        const __m256i t3 = _mm256_set1_epi32(q[2] - 1);
        const int n1 = count64_avx2(w, t1), n2 = count64_avx2(w, t2), n3 = count64_avx2(w, t3);
        if (need) {
            search_take3(b, q, n1, n2, n3, n1 >= need, n2 >= need, n3 >= need);
        } else {
            const __m256 f = _mm256_hadd_ps(_mm256_hadd_ps(mass64_avx2(w, t1), mass64_avx2(w, t2)),
                                            _mm256_hadd_ps(mass64_avx2(w, t3), _mm256_setzero_ps()));
            float ms[4];
            _mm_storeu_ps(ms, _mm_add_ps(_mm256_castps256_ps128(f), _mm256_extractf128_ps(f, 1)));
            search_take3(b, q, n1, n2, n3, enough(n1, ms[0], 0, tgt), enough(n2, ms[1], 0, tgt),
                         enough(n3, ms[2], 0, tgt));
        }
    }
}
#endif

/* The threshold of the labels of weight > 0 that can be among the first `need` ranks (top-k: need = k) or inside
 * the nucleus of mass `target` (need = 0), found without sorting: a search on the weights' bit patterns for a
 * threshold b->lo such that the labels of bits >= lo - a prefix of the ranking, whatever the ties - are at least
 * `need` (or weigh at least the target, by float sums with a margin of 1e-3 that the caller's exact sums confirm);
 * b->clo of them. V <= 64 with AVX2: search64_avx2 (in registers, radix 4). Else a bisection, one vectorised
 * counting pass per step, at most 31 steps, stopped as soon as ranking the labels left between the bounds costs
 * less than another pass. npos: labels of weight > 0. */
static void find_threshold(const float *e, int V, int need, double target, int npos, int simd, bisection *b)
{
    /* weights are exp(z <= 0): <= 1 + 1.5e-7 */
    const bisection b0 = {1, (int32_t)cs_fast_float_to_bits(1.0f) + 256, npos, 0};
    const float tgt = (float)(target * (1.0 + 1e-3));
    *b = b0;
#if CS_SAMPLE_SIMD
    if (simd && V <= 64) {
        search64_avx2(e, V, need, tgt, b);
        return;
    }
#endif
    for (int step = 0; bisect_more(b, need, V, step); step++) {
        const int32_t mid = b->lo + (b->hi - b->lo) / 2;
        float mass;
        const int c = count_ge(e, V, mid, need ? NULL : &mass, simd);
        bisect_take(b, mid, c, mass, need, tgt);
    }
}

#if CS_SAMPLE_SIMD
/* Entry m: the positions of the set bits of m, lowest first, 4 bits each (entry m = sum over the j-th set bit p of
 * m of p << 4j): the left-pack permutation of a block of 8 labels whose compare mask is m. */
static const uint32_t pack_lut[256] = {
    0x00000000, 0x00000000, 0x00000001, 0x00000010, 0x00000002, 0x00000020, 0x00000021, 0x00000210, 0x00000003,
    0x00000030, 0x00000031, 0x00000310, 0x00000032, 0x00000320, 0x00000321, 0x00003210, 0x00000004, 0x00000040,
    0x00000041, 0x00000410, 0x00000042, 0x00000420, 0x00000421, 0x00004210, 0x00000043, 0x00000430, 0x00000431,
    0x00004310, 0x00000432, 0x00004320, 0x00004321, 0x00043210, 0x00000005, 0x00000050, 0x00000051, 0x00000510,
    0x00000052, 0x00000520, 0x00000521, 0x00005210, 0x00000053, 0x00000530, 0x00000531, 0x00005310, 0x00000532,
    0x00005320, 0x00005321, 0x00053210, 0x00000054, 0x00000540, 0x00000541, 0x00005410, 0x00000542, 0x00005420,
    0x00005421, 0x00054210, 0x00000543, 0x00005430, 0x00005431, 0x00054310, 0x00005432, 0x00054320, 0x00054321,
    0x00543210, 0x00000006, 0x00000060, 0x00000061, 0x00000610, 0x00000062, 0x00000620, 0x00000621, 0x00006210,
    0x00000063, 0x00000630, 0x00000631, 0x00006310, 0x00000632, 0x00006320, 0x00006321, 0x00063210, 0x00000064,
    0x00000640, 0x00000641, 0x00006410, 0x00000642, 0x00006420, 0x00006421, 0x00064210, 0x00000643, 0x00006430,
    0x00006431, 0x00064310, 0x00006432, 0x00064320, 0x00064321, 0x00643210, 0x00000065, 0x00000650, 0x00000651,
    0x00006510, 0x00000652, 0x00006520, 0x00006521, 0x00065210, 0x00000653, 0x00006530, 0x00006531, 0x00065310,
    0x00006532, 0x00065320, 0x00065321, 0x00653210, 0x00000654, 0x00006540, 0x00006541, 0x00065410, 0x00006542,
    0x00065420, 0x00065421, 0x00654210, 0x00006543, 0x00065430, 0x00065431, 0x00654310, 0x00065432, 0x00654320,
    0x00654321, 0x06543210, 0x00000007, 0x00000070, 0x00000071, 0x00000710, 0x00000072, 0x00000720, 0x00000721,
    0x00007210, 0x00000073, 0x00000730, 0x00000731, 0x00007310, 0x00000732, 0x00007320, 0x00007321, 0x00073210,
    0x00000074, 0x00000740, 0x00000741, 0x00007410, 0x00000742, 0x00007420, 0x00007421, 0x00074210, 0x00000743,
    0x00007430, 0x00007431, 0x00074310, 0x00007432, 0x00074320, 0x00074321, 0x00743210, 0x00000075, 0x00000750,
    0x00000751, 0x00007510, 0x00000752, 0x00007520, 0x00007521, 0x00075210, 0x00000753, 0x00007530, 0x00007531,
    0x00075310, 0x00007532, 0x00075320, 0x00075321, 0x00753210, 0x00000754, 0x00007540, 0x00007541, 0x00075410,
    0x00007542, 0x00075420, 0x00075421, 0x00754210, 0x00007543, 0x00075430, 0x00075431, 0x00754310, 0x00075432,
    0x00754320, 0x00754321, 0x07543210, 0x00000076, 0x00000760, 0x00000761, 0x00007610, 0x00000762, 0x00007620,
    0x00007621, 0x00076210, 0x00000763, 0x00007630, 0x00007631, 0x00076310, 0x00007632, 0x00076320, 0x00076321,
    0x00763210, 0x00000764, 0x00007640, 0x00007641, 0x00076410, 0x00007642, 0x00076420, 0x00076421, 0x00764210,
    0x00007643, 0x00076430, 0x00076431, 0x00764310, 0x00076432, 0x00764320, 0x00764321, 0x07643210, 0x00000765,
    0x00007650, 0x00007651, 0x00076510, 0x00007652, 0x00076520, 0x00076521, 0x00765210, 0x00007653, 0x00076530,
    0x00076531, 0x00765310, 0x00076532, 0x00765320, 0x00765321, 0x07653210, 0x00007654, 0x00076540, 0x00076541,
    0x00765410, 0x00076542, 0x00765420, 0x00765421, 0x07654210, 0x00076543, 0x00765430, 0x00765431, 0x07654310,
    0x00765432, 0x07654320, 0x07654321, 0x76543210,
};

/* The labels of weight bits >= t (t >= 1) - at most PACK_MAX, the caller's count of them - into key[] (their bits)
 * and lab[] (their labels), in index order, followed by 8 zero keys; key and lab hold PACK_MAX + 16. Returns their
 * count. Branch-free: one left-pack permutation (pack_lut) per block of 8 labels. */
__attribute__((target("avx2,fma"))) static int pack_ge_avx2(const float *e, int V, int32_t t, int32_t *key, int *lab)
{
    const __m256i tv = _mm256_set1_epi32(t - 1), seven = _mm256_set1_epi32(7);
    const __m256i sh = _mm256_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28);
    int m = 0, i = 0;
    for (; i + 8 <= V && m <= PACK_MAX; i += 8) {
        const __m256i w = _mm256_loadu_si256((const __m256i *)(const void *)(e + i));
        const unsigned mk = (unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpgt_epi32(w, tv)));
        const __m256i perm = _mm256_and_si256(_mm256_srlv_epi32(_mm256_set1_epi32((int)pack_lut[mk]), sh), seven);
        _mm256_storeu_si256((__m256i *)(void *)(key + m), _mm256_permutevar8x32_epi32(w, perm));
        _mm256_storeu_si256((__m256i *)(void *)(lab + m), _mm256_add_epi32(perm, _mm256_set1_epi32(i)));
        m += __builtin_popcount(mk);
    }
    for (; i < V && m < PACK_MAX; i++) {
        key[m] = wbits(e, i);
        lab[m] = i;
        m += key[m] >= t;
    }
    m = m < PACK_MAX ? m : PACK_MAX;
    _mm256_storeu_si256((__m256i *)(void *)(key + m), _mm256_setzero_si256());
    return m;
}

/* rank[i] = the rank of packed label i among the m (nv = ceil(m / 8) blocks): the count of labels j that outrank it,
 * key_j > key_i or key_j = key_i and j < i (an earlier position: a lower index), i.e. key_j + (j < i) > key_i,
 * counted in nv registers of 8 lanes, four vector operations per label and block, no branch on the data. */
__attribute__((target("avx2,fma"), always_inline)) static inline void rank_blocks(const int32_t *key, int m, int nv,
                                                                                  int32_t *rank)
{
    __m256i x[8], r[8], pos[8];
    const __m256i iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
#pragma GCC unroll 8
    for (int v = 0; v < nv; v++) {
        x[v] = _mm256_loadu_si256((const __m256i *)(const void *)(key + 8 * v));
        r[v] = _mm256_setzero_si256();
        pos[v] = _mm256_add_epi32(iota, _mm256_set1_epi32(8 * v));
    }
    for (int j = 0; j < m; j++) {
        const __m256i kj = _mm256_set1_epi32(key[j]), jv = _mm256_set1_epi32(j);
#pragma GCC unroll 8
        for (int v = 0; v < nv; v++) {
            const __m256i later = _mm256_cmpgt_epi32(pos[v], jv); /* -1 where i > j */
            r[v] = _mm256_sub_epi32(r[v], _mm256_cmpgt_epi32(_mm256_sub_epi32(kj, later), x[v]));
        }
    }
#pragma GCC unroll 8
    for (int v = 0; v < nv; v++)
        _mm256_storeu_si256((__m256i *)(void *)(rank + 8 * v), r[v]);
}

/* order[r] <- lab[i] and ws[r] <- its weight for the packed label i of rank r (larger weight first, then lower
 * index) among the m <= PACK_MAX of pack_ge_avx2: a full ranking by counting (rank_blocks), m * ceil(m / 8) register
 * steps. */
__attribute__((target("avx2,fma"))) static void rank_avx2(const int32_t *key, const int *lab, int m, int *order,
                                                          float *ws)
{
    int32_t rank[PACK_MAX + 8];
    switch ((m + 7) / 8) { /* the block count a constant in each case: the registers stay registers */
    case 0:
        return;
    case 1:
        rank_blocks(key, m, 1, rank);
        break;
    case 2:
        rank_blocks(key, m, 2, rank);
        break;
    case 3:
        rank_blocks(key, m, 3, rank);
        break;
    case 4:
        rank_blocks(key, m, 4, rank);
        break;
    case 5:
        rank_blocks(key, m, 5, rank);
        break;
    case 6:
        rank_blocks(key, m, 6, rank);
        break;
    case 7:
        rank_blocks(key, m, 7, rank);
        break;
    default:
        rank_blocks(key, m, 8, rank);
    }
    for (int i = 0; i < m; i++) { /* a permutation of 0..m-1: the order is total */
        order[rank[i]] = lab[i];
        ws[rank[i]] = cs_fast_bits_to_float((uint32_t)key[i]);
    }
}
#endif

/* The running sums of the weights of the labels kept, in rank order (cum[r]: ranks 0..r), n of them (0: not kept,
 * the labels were more than PACK_MAX): the cut-off of the nucleus inside the top k and the draw read them instead of
 * summing again (the same double sums in the same order, so the same numbers). Non-decreasing. */
typedef struct prefix_sums {
    int n;
    double cum[PACK_MAX];
} prefix_sums;

/* The first of m <= PACK_MAX ranks as far as needed: `need` of them, or (need 0) until their mass reaches target,
 * their weights ws[] (in rank order) summed in rank order (the scalar sampler's double sums) into ps. Returns the
 * count and *mass their weight. */
static int take_prefix(const float *ws, int m, int need, double target, double *mass, prefix_sums *ps)
{
    int n = 0;
    double cum = 0.0;
    while (n < m && (need ? n < need : n == 0 || cum < target)) {
        cum += (double)ws[n];
        ps->cum[n++] = cum;
    }
    ps->n = n;
    *mass = cum;
    return n;
}

/* The count of the sums cum[0..n) below x (< x, or with `le` <= x): where x falls among non-decreasing sums. */
static inline int count_below(const double *cum, int n, double x, int le)
{
    int c = 0;
    for (int r = 0; r < n; r++)
        c += le ? cum[r] <= x : cum[r] < x;
    return c;
}

/* order[0..) <- the labels of set[0..m) that rank first (larger weight, then lower index), sorted, as many as
 * needed (see take_prefix): insertion sort for a short set, else a max-heap built in set and popped only as far as
 * needed. Returns the count written and *mass their weight. */
static int sort_prefix(const float *e, int *set, int m, int need, double target, int *order, double *mass,
                       prefix_sums *ps)
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
        float ws[48];
        for (int j = 0; j < m; j++) {
            order[j] = (int)~(uint32_t)key[j];
            ws[j] = cs_fast_bits_to_float((uint32_t)(key[j] >> 32));
        }
        return take_prefix(ws, m, need, target, mass, ps);
    }
    ps->n = 0;
    int hn = m;
    for (int j = hn / 2 - 1; j >= 0; j--)
        sift_down(set, hn, j, e);
    while (hn > 0 && (need ? n < need : n == 0 || cum < target)) {
        order[n] = set[0];
        cum += (double)e[order[n++]];
        set[0] = set[--hn];
        sift_down(set, hn, 0, e);
    }
    *mass = cum;
    return n;
}

/* The `count` labels of weight bits >= t (t >= 1), ranked into order[] as far as needed (see take_prefix): packed
 * and ranked in registers if they are at most PACK_MAX (AVX2), else collected into heap and sorted (sort_prefix).
 * Returns the count and *mass their weight. */
static int rank_ge(const float *e, int V, int32_t t, int count, int need, double target, int simd, int *heap,
                   int *order, double *mass, prefix_sums *ps)
{
#if CS_SAMPLE_SIMD
    if (simd && count <= PACK_MAX) {
        int32_t key[PACK_MAX + 16];
        int lab[PACK_MAX + 16];
        float ws[PACK_MAX];
        const int m = pack_ge_avx2(e, V, t, key, lab);
        rank_avx2(key, lab, m, order, ws);
        return take_prefix(ws, m, need, target, mass, ps);
    }
    const int m = simd ? collect_ge_avx2(e, V, t, heap) : collect_ge_scalar(e, 0, V, t, heap, 0);
#else
    (void)simd;
    (void)count;
    const int m = collect_ge_scalar(e, 0, V, t, heap, 0);
#endif
    return sort_prefix(e, heap, m, need, target, order, mass, ps);
}

/* 4-5 by partial selection: top-k (k > 0) or the nucleus (k = 0) into order[], most probable first; returns the
 * count and *mass their weight (the exact sums, in rank order, of the scalar sampler). */
static int select_top(const float *e, int V, int k, float p, double total, int npos, int simd, int *heap, int *order,
                      double *mass, prefix_sums *ps)
{
    const double target = (double)p * total;
    bisection b;
    find_threshold(e, V, k, target, npos, simd, &b);
    int n = rank_ge(e, V, b.lo, b.clo, k, target, simd, heap, order, mass, ps);
    if (!k && *mass < target && b.clo < npos) /* the float sums rounded the other way: take every label */
        n = rank_ge(e, V, 1, npos, 0, target, simd, heap, order, mass, ps);
    return n;
}

/* 4-5. Truncation. Returns the labels kept in order[] most probable first (0 = no truncation: every candidate
 * stays) and sets *mass to their total weight (total when none is applied). Labels of weight 0 are never kept:
 * they cannot be drawn and change neither the mass nor the reported figures. */
static int sample_truncate(const float *e, int V, int n_ok, int k, float p, double total, int npos, int simd, int *heap,
                           int *order, double *mass, prefix_sums *ps)
{
    int k_on = k > 0 && k < n_ok;
    int p_on = p < 1.0f; /* NaN compares false: off */
    *mass = total;
    ps->n = 0;
    if (!k_on && !p_on) return 0;
    int kept;
    if (k_on) {
        kept = select_top(e, V, k, p, total, npos, simd, heap, order, mass, ps);
        if (p_on && ps->n == kept && kept > 0) { /* nucleus inside the top k: the first sum >= target ends it */
            const int m = 1 + count_below(ps->cum, kept - 1, (double)p * *mass, 0);
            kept = ps->n = m;
            *mass = ps->cum[m - 1];
        } else if (p_on) {
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
        kept = select_top(e, V, 0, p, total, npos, simd, heap, order, mass, ps);
    }
    if (kept < 1) { /* p <= 0: keep the top label */
        kept = 1;
        *mass = (double)e[order[0]];
        ps->n = 0;
    }
    return kept;
}

/* 6. Draw by the inverse CDF with uniform u: over order[0..kept) when truncated, else over all labels in index
 * order, skipping whole blocks by their sums blk. Reports probability and entropy (bits); out->candidates is
 * set by the caller when not truncated. */
static int sample_draw(const float *e, const float *val, int V, const int *order, int kept, const prefix_sums *ps,
                       const double *blk, double mass, double u, int amax, cs_sample_result *out)
{
    double target = u * mass, acc = 0.0, ez = 0.0;
    int label = -1;
    if (kept && ps->n == kept) { /* the first running sum above the target */
        int count = 0;
        for (int j = 0; j < kept; j++) {
            const int i = order[j], pos = e[i] > 0.0f;
            ez += pos ? (double)e[i] * (double)val[i] : 0.0;
            count += pos;
        }
        const int r = count_below(ps->cum, kept, target, 1);
        label = order[r < kept ? r : 0];
        out->candidates = count;
        out->entropy_bits = cs_fast_log2((float)mass) - (float)(ez / (mass * LN2));
    } else if (kept) {
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
    const float T = params->temperature;
    const int trunc = (params->top_k > 0 && params->top_k < n_ok) || params->top_p < 1.0f; /* sample_truncate's */
    int amax = 0; /* the lowest index wins ties; n_ok >= 1 so mx is a candidate's value. Read by argmax and the
                   * untruncated draw only */
    if (!(T > 0.0f) || !trunc) {
#if CS_SAMPLE_SIMD
        if (simd)
            amax = first_equal_avx2(val, V, mx);
        else
#endif
            while (val[amax] != mx)
                amax++;
    }

    /* 3. temperature; T <= 0 = argmax */
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
        exp_avx2(val, e, V, mx, T, trunc ? NULL : blk, &total, &ez, &count);
    else
#endif
        exp_scalar(val, e, 0, V, mx, T, blk, &total, &ez, &count);

    double mass;
    prefix_sums ps;
    const int kept =
        sample_truncate(e, V, n_ok, params->top_k, params->top_p, total, count, simd, heap, order, &mass, &ps);
    if (!kept) {
        out->candidates = count;
        out->entropy_bits = cs_fast_log2((float)mass) - (float)(ez / (mass * LN2));
    }
    return sample_draw(e, val, V, order, kept, &ps, blk, mass, u, amax, out);
}
