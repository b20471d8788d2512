/*
 * cs_select_nearest.c - NEAREST selection (see cs_select.h): the distance kernels (portable C and AVX2, chosen at
 * run time, bitwise equal), the best-first k-d tree search with a work budget over the unit table's index, and
 * the plain scans. Real-time safe: no allocation, no I/O, no locks; fixed stack.
 */
#include "cs_select.h"

#include <math.h>
#include <string.h>

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define CS_SELECT_HAVE_AVX2 1
#include <immintrin.h>
#else
#define CS_SELECT_HAVE_AVX2 0
#endif

/* At most this many target dimensions are compared; they live on the stack. */
#define MAX_DIMS 64
#define LANES    8

/*
 * A target gathered against a table: m (dimension, value) pairs, the values padded with zeros to a multiple of 8.
 * `dense` when dims[i] == i for every i (a full target without NaN, or pairs 0 .. m-1 in order): only then the AVX2
 * kernels are used (they read x[0 .. m-1] in sequence; AVX2 gathers measured slower than the portable loop).
 */
typedef struct gathered {
    uint32_t m, dense;
    int32_t dims[MAX_DIMS + LANES];
    float vals[MAX_DIMS + LANES];
} gathered;

static void gather_target(const cs_ut_view *v, const cs_select_target *t, gathered *g)
{
    uint32_t m = 0;
    if (t->full) {
        const uint32_t cap = t->full_len < MAX_DIMS ? t->full_len : MAX_DIMS;
        const uint32_t len = cap < v->num_descriptors ? cap : v->num_descriptors;
        for (uint32_t j = 0; j < len && m < MAX_DIMS; ++j) {
            if (!isfinite(t->full[j])) continue;
            g->dims[m] = (int32_t)j;
            g->vals[m++] = t->full[j];
        }
    } else {
        const uint32_t nd = t->num_dims < CS_SELECT_MAX_TARGET_DIMS ? t->num_dims : CS_SELECT_MAX_TARGET_DIMS;
        for (uint32_t j = 0; j < nd; ++j) {
            if (t->dim[j] >= v->num_descriptors || !isfinite(t->value[j])) continue;
            g->dims[m] = (int32_t)t->dim[j];
            g->vals[m++] = t->value[j];
        }
    }
    g->m = m;
    g->dense = 1;
    for (uint32_t i = 0; i < m; ++i)
        g->dense &= g->dims[i] == (int32_t)i;
    for (uint32_t i = m; i < MAX_DIMS + LANES; ++i) {
        g->dims[i] = 0;
        g->vals[i] = 0.0f;
    }
}

/*
 * The distance kernel, one definition for every NEAREST path so that they agree to the bit: the squared difference
 * of target pair i goes into lane i % 8 (a lane adds its terms in pair order: acc = acc + e * e, no fused
 * multiply-add), and the lanes are summed as ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7)). The AVX2 version
 * computes exactly these operations eight lanes at a time, so both return the same float.
 */
static inline float lanes_sum(const float *a)
{
    const float s0 = a[0] + a[4], s1 = a[1] + a[5], s2 = a[2] + a[6], s3 = a[3] + a[7];
    return (s0 + s2) + (s1 + s3);
}

/* Per-dimension distance from the target value t to [lo, hi], as max(lo - t, 0) + max(t - hi, 0): 0 inside. */
static inline float gap_c(float lo, float hi, float t)
{
    const float a = lo - t, b = t - hi;
    return (a > 0.0f ? a : 0.0f) + (b > 0.0f ? b : 0.0f);
}

/* Distances of `count` rows (row k at x + k * stride) to the target, into out[k]. */
static void dists_c(const float *x, size_t stride, uint32_t count, const gathered *g, float *out)
{
    for (uint32_t k = 0; k < count; ++k, x += stride) {
        float acc[LANES] = {0};
        for (uint32_t i = 0; i < g->m; ++i) {
            const float e = x[g->dims[i]] - g->vals[i];
            acc[i % LANES] += e * e;
        }
        out[k] = lanes_sum(acc);
    }
}

/*
 * Distances of the 8 order entries of one block of a version 4 rows section (descriptor j of lane k at
 * blk[8 j + k], cs_unit_table.h) to the target, into out[0 .. 7]: the same kernel as dists_c, term for term.
 */
static void block_dists_c(const float *blk, const gathered *g, float *out)
{
    for (uint32_t k = 0; k < CS_UT_ROW_BLOCK; ++k) {
        float acc[LANES] = {0};
        for (uint32_t i = 0; i < g->m; ++i) {
            const float e = blk[(size_t)g->dims[i] * CS_UT_ROW_BLOCK + k] - g->vals[i];
            acc[i % LANES] += e * e;
        }
        out[k] = lanes_sum(acc);
    }
}

/*
 * Lower bound of the kernel's distance over every point of the box lo[D], hi[D], in the kernel's lanes and order.
 * Each term is at most the point's term (rounding is monotone: lo <= x implies fl(lo - t) <= fl(x - t), and adding
 * +0 is exact), and rounded sums of smaller terms in the same order are no larger, so the bound never exceeds the
 * kernel's distance of a point in the box, bit for bit: pruning with it is exact.
 */
static float box_c(const float *lo, const float *hi, const gathered *g, float *center)
{
    float acc[LANES] = {0}, cen[LANES] = {0};
    for (uint32_t i = 0; i < g->m; ++i) {
        const float l = lo[g->dims[i]], h = hi[g->dims[i]], e = gap_c(l, h, g->vals[i]);
        const float c = g->vals[i] - 0.5f * (l + h);
        acc[i % LANES] += e * e;
        cen[i % LANES] += c * c;
    }
    *center = lanes_sum(cen);
    return lanes_sum(acc);
}

#if CS_SELECT_HAVE_AVX2
/* The lanes of v summed as lanes_sum does. Only AVX2 (no FMA: the kernel's products are rounded before the add). */
__attribute__((target("avx2"))) static inline float hsum_lanes(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1)); /* l_i + l_{i+4} */
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));                                        /* s0 + s2, s1 + s3 */
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}

/* Lanes i .. i + 7 of row x (a dense target: x[i .. i + 7] in sequence); lanes past m read as 0 (the padding). */
__attribute__((target("avx2"))) static inline __m256 load_lanes(const float *x, const gathered *g, uint32_t i)
{
    const uint32_t left = g->m - i;
    if (left >= LANES) return _mm256_loadu_ps(x + i);
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_maskload_ps(x + i, _mm256_cmpgt_epi32(_mm256_set1_epi32((int)left), lane));
}

__attribute__((target("avx2"))) static void dists_avx2(const float *x, size_t stride, uint32_t count, const gathered *g,
                                                       float *out)
{
    for (uint32_t k = 0; k < count; ++k, x += stride) {
        __m256 acc = _mm256_setzero_ps();
        for (uint32_t i = 0; i < g->m; i += LANES) {
            const __m256 e = _mm256_sub_ps(load_lanes(x, g, i), _mm256_loadu_ps(g->vals + i));
            acc = _mm256_add_ps(acc, _mm256_mul_ps(e, e));
        }
        out[k] = hsum_lanes(acc);
    }
}

/*
 * block_dists_c with AVX2: the 8 entries of the block are the 8 vector lanes and the kernel's 8 lanes are 8
 * accumulators, so pair i's term goes into accumulator i % 8 for every entry at once (a broadcast, a subtract, a
 * multiply and an add per pair, the operations of dists_c in its order, no fused multiply-add) and the accumulators
 * are summed in lanes_sum's tree, vertically: no horizontal sum, any subset of dimensions (no gather: descriptor j
 * of the 8 entries is one load).
 */
__attribute__((target("avx2"))) static void block_dists_avx2(const float *blk, const gathered *g, float best,
                                                             float *out)
{
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
#define CS_BLOCK_TERM_(acc, i)                                                                                         \
    do {                                                                                                               \
        const __m256 e_ = _mm256_sub_ps(_mm256_loadu_ps(blk + (size_t)g->dims[i] * CS_UT_ROW_BLOCK),                   \
                                        _mm256_broadcast_ss(g->vals + (i)));                                           \
        acc = _mm256_add_ps(acc, _mm256_mul_ps(e_, e_));                                                               \
    } while (0)
    const uint32_t m = g->m;
    uint32_t i = 0;
    for (; i + LANES <= m; i += LANES) {
        CS_BLOCK_TERM_(a0, i);
        CS_BLOCK_TERM_(a1, i + 1);
        CS_BLOCK_TERM_(a2, i + 2);
        CS_BLOCK_TERM_(a3, i + 3);
        CS_BLOCK_TERM_(a4, i + 4);
        CS_BLOCK_TERM_(a5, i + 5);
        CS_BLOCK_TERM_(a6, i + 6);
        CS_BLOCK_TERM_(a7, i + 7);
        if (i + LANES < m) { /* partial-distance exit: the sum so far bounds the distance from below */
            const __m256 p = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a4), _mm256_add_ps(a2, a6)),
                                           _mm256_add_ps(_mm256_add_ps(a1, a5), _mm256_add_ps(a3, a7)));
            if (_mm256_movemask_ps(_mm256_cmp_ps(p, _mm256_set1_ps(best), _CMP_GT_OQ)) == 0xff) {
                _mm256_storeu_ps(out, _mm256_set1_ps(INFINITY));
                return;
            }
        }
    }
    /* the last m % 8 pairs (a missing term would add +0: skipping it is the same float) */
    if (i < m) CS_BLOCK_TERM_(a0, i);
    if (i + 1 < m) CS_BLOCK_TERM_(a1, i + 1);
    if (i + 2 < m) CS_BLOCK_TERM_(a2, i + 2);
    if (i + 3 < m) CS_BLOCK_TERM_(a3, i + 3);
    if (i + 4 < m) CS_BLOCK_TERM_(a4, i + 4);
    if (i + 5 < m) CS_BLOCK_TERM_(a5, i + 5);
    if (i + 6 < m) CS_BLOCK_TERM_(a6, i + 6);
#undef CS_BLOCK_TERM_
    const __m256 s0 = _mm256_add_ps(a0, a4), s1 = _mm256_add_ps(a1, a5), s2 = _mm256_add_ps(a2, a6),
                 s3 = _mm256_add_ps(a3, a7);
    _mm256_storeu_ps(out, _mm256_add_ps(_mm256_add_ps(s0, s2), _mm256_add_ps(s1, s3)));
}

__attribute__((target("avx2"))) static float box_avx2(const float *lo, const float *hi, const gathered *g,
                                                      float *center)
{
    const __m256 zero = _mm256_setzero_ps(), half = _mm256_set1_ps(0.5f);
    __m256 acc = zero, cen = zero;
    for (uint32_t i = 0; i < g->m; i += LANES) {
        const __m256 t = _mm256_loadu_ps(g->vals + i), l = load_lanes(lo, g, i), h = load_lanes(hi, g, i);
        const __m256 a = _mm256_max_ps(_mm256_sub_ps(l, t), zero);
        const __m256 b = _mm256_max_ps(_mm256_sub_ps(t, h), zero);
        const __m256 e = _mm256_add_ps(a, b), c = _mm256_sub_ps(t, _mm256_mul_ps(half, _mm256_add_ps(l, h)));
        acc = _mm256_add_ps(acc, _mm256_mul_ps(e, e));
        cen = _mm256_add_ps(cen, _mm256_mul_ps(c, c));
    }
    *center = hsum_lanes(cen);
    return hsum_lanes(acc);
}

/* box_avx2 of two boxes at once (a node's two children; their loads and sums overlap), the same operations on each:
 * out[0] = box_avx2(lo0, hi0, g), out[1] = box_avx2(lo1, hi1, g), to the bit. */
__attribute__((target("avx2"))) static void box2_avx2(const float *lo0, const float *hi0, const float *lo1,
                                                      const float *hi1, const gathered *g, float *out, float *center)
{
    const __m256 zero = _mm256_setzero_ps(), half = _mm256_set1_ps(0.5f);
    __m256 acc0 = zero, acc1 = zero, cen0 = zero, cen1 = zero;
    for (uint32_t i = 0; i < g->m; i += LANES) {
        const __m256 t = _mm256_loadu_ps(g->vals + i);
        const __m256 l0 = load_lanes(lo0, g, i), h0 = load_lanes(hi0, g, i);
        const __m256 l1 = load_lanes(lo1, g, i), h1 = load_lanes(hi1, g, i);
        const __m256 a0 = _mm256_max_ps(_mm256_sub_ps(l0, t), zero), b0 = _mm256_max_ps(_mm256_sub_ps(t, h0), zero);
        const __m256 a1 = _mm256_max_ps(_mm256_sub_ps(l1, t), zero), b1 = _mm256_max_ps(_mm256_sub_ps(t, h1), zero);
        const __m256 e0 = _mm256_add_ps(a0, b0), e1 = _mm256_add_ps(a1, b1);
        const __m256 c0 = _mm256_sub_ps(t, _mm256_mul_ps(half, _mm256_add_ps(l0, h0)));
        const __m256 c1 = _mm256_sub_ps(t, _mm256_mul_ps(half, _mm256_add_ps(l1, h1)));
        acc0 = _mm256_add_ps(acc0, _mm256_mul_ps(e0, e0));
        acc1 = _mm256_add_ps(acc1, _mm256_mul_ps(e1, e1));
        cen0 = _mm256_add_ps(cen0, _mm256_mul_ps(c0, c0));
        cen1 = _mm256_add_ps(cen1, _mm256_mul_ps(c1, c1));
    }
    out[0] = hsum_lanes(acc0);
    out[1] = hsum_lanes(acc1);
    center[0] = hsum_lanes(cen0);
    center[1] = hsum_lanes(cen1);
}
#endif

/* The kernels in use: -1 not chosen yet, 0 portable, 1 AVX2. Chosen once from the CPU (a benign race: every
 * thread that chooses writes the same value), or forced by cs_select_simd (tests and benchmarks). */
static int simd_mode = -1;

static int cpu_avx2(void)
{
#if CS_SELECT_HAVE_AVX2
    return __builtin_cpu_supports("avx2") ? 1 : 0;
#else
    return 0;
#endif
}

int cs_select_simd(int mode)
{
    if (mode == 0 || mode == 1) simd_mode = mode == 1 ? cpu_avx2() : 0;
    if (simd_mode < 0) simd_mode = cpu_avx2();
    return simd_mode;
}

static inline int use_avx2(void)
{
    if (simd_mode < 0) simd_mode = cpu_avx2();
    return simd_mode;
}

static void dists(const float *x, size_t stride, uint32_t count, const gathered *g, float *out)
{
#if CS_SELECT_HAVE_AVX2
    if (g->dense && use_avx2()) { /* gathers measured slower than the portable loop (bench_select.c) */
        dists_avx2(x, stride, count, g, out);
        return;
    }
#endif
    dists_c(x, stride, count, g, out);
}

static void block_dists(const float *blk, const gathered *g, float best, float *out)
{
#if CS_SELECT_HAVE_AVX2
    if (use_avx2()) {
        block_dists_avx2(blk, g, best, out);
        return;
    }
#endif
    block_dists_c(blk, g, out);
}

static float box_bound(const float *lo, const float *hi, const gathered *g, float *center)
{
#if CS_SELECT_HAVE_AVX2
    if (g->dense && use_avx2()) return box_avx2(lo, hi, g, center);
#endif
    return box_c(lo, hi, g, center);
}

/* box_bound of two boxes: out[0] of lo0/hi0, out[1] of lo1/hi1 (the same floats as two calls). */
static void box_bound2(const float *lo0, const float *hi0, const float *lo1, const float *hi1, const gathered *g,
                       float *out, float *center)
{
#if CS_SELECT_HAVE_AVX2
    if (g->dense && use_avx2()) {
        box2_avx2(lo0, hi0, lo1, hi1, g, out, center);
        return;
    }
#endif
    out[0] = box_c(lo0, hi0, g, center);
    out[1] = box_c(lo1, hi1, g, center + 1);
}

/* The work account of a search, in row distances (cs_select.h: CS_SELECT_WORK_*, each operation's measured cost). */
#define WORK_ROW  ((uint32_t)CS_SELECT_WORK_ROW)
#define WORK_BOX  ((uint32_t)CS_SELECT_WORK_ROOT)
#define WORK_BOX2 ((uint32_t)CS_SELECT_WORK_LEVEL)
#define WORK_POP  ((uint32_t)CS_SELECT_WORK_POP)

/* The search's running answer, its work account and what it did (the counts cs_select_nearest_info reports). */
typedef struct search {
    const cs_ut_view *v;
    const gathered *g;
    float best;
    int32_t best_u;
    uint32_t work, budget; /* budget 0: unlimited */
    int seen;              /* a distance was computed: from then on the budget applies */
    int exhausted;
    float dropped;               /* the smallest box bound of a queue entry dropped unvisited (INFINITY: none) */
    uint32_t visits, max_visits; /* nodes read by descents, at most the nodes of the trees searched */
    uint32_t n_blocks, n_levels, n_pops; /* block passes, descent levels, queue pops */
    float centre_weight;                 /* CENTRE_WEIGHT for label < 0, else 0 (the queue's order, q_add) */
} search;

/* Work allowed before the first distance on top of the budget: a descent of 64 levels (a valid tree has at most 25;
 * a tree written into after its check may have more), so that the work stays bounded on any table. */
#define FIRST_DESCENT_WORK (WORK_BOX2 * 64u)

static inline int out_of_work(const search *s)
{
    return s->budget && s->work >= s->budget + (s->seen ? 0u : FIRST_DESCENT_WORK);
}

/* Keep unit u at distance d if nearer, or as near and lower-numbered, or the first one seen. */
static inline void consider(search *s, int32_t u, float d)
{
    if (u < 0) return;
    if (d < s->best || (d == s->best && u < s->best_u) || s->best_u < 0) {
        s->best = d;
        s->best_u = u;
    }
}

/* How many of `want` units the budget still allows (all without a budget or before the first distance). */
static uint32_t allowed(search *s, uint32_t want)
{
    if (!s->budget || !s->seen) return want;
    const uint32_t left = s->work < s->budget ? s->budget - s->work : 0;
    if (left < want) s->exhausted = 1;
    return left < want ? left : want;
}

/* Units order[from .. from + count) of a version 4 index: block by block (8 distances per pass; the lanes outside
 * the range are computed and not considered), one work unit per unit in the range. */
static void scan_blocks(search *s, uint32_t from, uint32_t count)
{
    const cs_ut_view *v = s->v;
    const size_t bs = (size_t)CS_UT_ROW_BLOCK * v->num_descriptors;
    float d[CS_UT_ROW_BLOCK];
    count = allowed(s, count); /* the units the budget allows, charged at once */
    if (count == 0) return;
    s->work += count * WORK_ROW;
    s->seen = 1;
    while (count > 0) {
        const uint32_t lane = from % CS_UT_ROW_BLOCK, in_block = CS_UT_ROW_BLOCK - lane;
        const uint32_t n = count < in_block ? count : in_block;
        s->n_blocks++;
        block_dists(v->index_rows + (size_t)(from / CS_UT_ROW_BLOCK) * bs, s->g, s->best, d);
        for (uint32_t k = 0; k < n; ++k)
            if (d[lane + k] <= s->best || s->best_u < 0)
                consider(s, cs_ut_index_value(v->index_order[(size_t)from + k], v->num_units), d[lane + k]);
        from += n;
        count -= n;
    }
}

/* Units order[from .. from + count) of the index: block by block from the rows section (index versions 4, 5), their
 * rows in sequence from it (version 3), or through the order section into the table's rows (version 2).
 * Out-of-range entries are skipped. */
static void scan_positions(search *s, uint32_t from, uint32_t count)
{
    const cs_ut_view *v = s->v;
    if (v->index_rows && v->index_version >= CS_UT_INDEX_VERSION_4) {
        scan_blocks(s, from, count);
        return;
    }
    float d[64];
    while (count > 0) {
        const uint32_t n = allowed(s, count < 64 ? count : 64);
        if (n == 0) return;
        s->work += n;
        s->seen = 1;
        if (v->index_rows) {
            dists(v->index_rows + (size_t)from * v->num_descriptors, v->num_descriptors, n, s->g, d);
            for (uint32_t k = 0; k < n; ++k)
                if (d[k] <= s->best || s->best_u < 0)
                    consider(s, cs_ut_index_value(v->index_order[(size_t)from + k], v->num_units), d[k]);
        } else {
            for (uint32_t k = 0; k < n; ++k) {
                const int32_t u = cs_ut_index_value(v->index_order[(size_t)from + k], v->num_units);
                if (u < 0) continue;
                dists(cs_ut_unit_descriptors(v, (uint32_t)u), 0, 1, s->g, d + k);
                consider(s, u, d[k]);
            }
        }
        from += n;
        count -= n;
    }
}

/* Units members[from .. from + count) (the label scan, no index), under the budget. */
static void scan_members(search *s, uint32_t from, uint32_t count)
{
    for (uint32_t i = 0; i < count; ++i) {
        if (allowed(s, 1) == 0) return;
        const int32_t u = cs_ut_member(s->v, from + i);
        if (u < 0) continue;
        float d;
        dists(cs_ut_unit_descriptors(s->v, (uint32_t)u), 0, 1, s->g, &d);
        s->work++;
        s->seen = 1;
        consider(s, u, d);
    }
}

/* Every unit's row in unit order (label < 0 without an index), 64 at a time, under the budget. */
static void scan_rows(search *s)
{
    const cs_ut_view *v = s->v;
    float d[64];
    for (uint32_t from = 0; from < v->num_units;) {
        const uint32_t left = v->num_units - from;
        const uint32_t n = allowed(s, left < 64 ? left : 64);
        if (n == 0) return;
        dists(v->rows + (size_t)from * v->stride + CS_UT_R_DESCRIPTORS, v->stride, n, s->g, d);
        for (uint32_t k = 0; k < n; ++k)
            consider(s, (int32_t)(from + k), d[k]);
        s->work += n;
        s->seen = 1;
        from += n;
    }
}

/*
 * A min-heap of nodes to visit, keyed by their box bound (ties: lower node first), in fixed memory, shared by
 * every tree a search walks: an entry names its node (absolute, in the nodes section) and its label.
 */
#define QUEUE_CAP 512

/*
 * For label < 0 (every label's tree in one queue) the queue is ordered by box bound + CENTRE_WEIGHT x the squared
 * distance of the box centre, not by the bound alone: many labels' boxes hold the target or nearly, and the one whose
 * units surround it is found sooner (tests/bench/bench_select.c, budgeted = exact on lincity-ng without a label:
 * 96.3 % -> 99.7 % at the same budget; 0.25 and 0.5 measured no better there and worse on the skewed label). The
 * bound still prunes every entry, so the exact search stays exact; only the early stop (the popped key above the
 * best distance ends the search) needs keys that are bounds, and is then replaced by pruning each entry.
 */
#define CENTRE_WEIGHT 0.1f
typedef struct q_entry {
    float key;     /* the order: the box bound, plus for label < 0 CENTRE_WEIGHT x the box centre's distance */
    float centre;  /* the distance of the box centre (ties of equal keys: the nearer centre first) */
    uint32_t node; /* absolute, in the nodes section */
    int32_t label;
    float bound; /* the box bound: prunes the entry (never above the kernel's distance of a unit in the box) */
} q_entry;
typedef struct queue {
    uint32_t n;
    q_entry e[QUEUE_CAP]; /* one entry in one place: a sift moves 20 bytes, not five arrays' words */
} queue;

static inline int e_less(const q_entry *a, const q_entry *b)
{
    return a->key < b->key ||
           (a->key == b->key && (a->centre < b->centre || (a->centre == b->centre && a->node < b->node)));
}

static inline int q_less(const queue *q, uint32_t a, uint32_t b)
{
    return e_less(&q->e[a], &q->e[b]);
}

/* Move entry i up to its place (the entries above it shift down into the hole). */
static void q_sift_up(queue *q, uint32_t i)
{
    const q_entry x = q->e[i];
    while (i > 0 && e_less(&x, &q->e[(i - 1) / 2])) {
        q->e[i] = q->e[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    q->e[i] = x;
}

static q_entry q_pop(queue *q)
{
    const q_entry top = q->e[0];
    const q_entry x = q->e[--q->n]; /* the last entry, sifted down from the root */
    uint32_t i = 0;
    for (;;) {
        const uint32_t l = 2 * i + 1, r = l + 1;
        if (l >= q->n) break;
        const uint32_t m = r < q->n && q_less(q, r, l) ? r : l;
        if (!e_less(&q->e[m], &x)) break;
        q->e[i] = q->e[m];
        i = m;
    }
    if (q->n > 0) q->e[i] = x;
    return top;
}

/* Ask the cache for node n's fields and box (absolute; out-of-range addresses are never read: only a hint). */
static inline void prefetch_node(const cs_ut_view *v, uint32_t n)
{
#if defined(__GNUC__) || defined(__clang__)
    if (n >= v->index_num_nodes) return;
    const char *p = (const char *)(v->index_nodes + (size_t)n * v->index_stride);
    const size_t bytes = (size_t)v->index_stride * sizeof(float);
    for (size_t o = 0; o < bytes; o += 64)
        __builtin_prefetch(p + o, 0, 3);
#else
    (void)v, (void)n;
#endif
}

/* Ask the cache for node n's fields (the first line of the node; only a hint, as prefetch_node). */
static inline void prefetch_header(const cs_ut_view *v, uint32_t n)
{
#if defined(__GNUC__) || defined(__clang__)
    if (n < v->index_num_nodes) __builtin_prefetch(v->index_nodes + (size_t)n * v->index_stride, 0, 3);
#else
    (void)v, (void)n;
#endif
}

/* One label's tree: root node `root`, nc nodes, its units at first .. first + count of the order section. */
typedef struct tree {
    uint32_t first, count, root, nc;
    int32_t label;
} tree;

/* The tree of `label` when the table has an index and the label's entries are in range (else 0). O(1). */
static int label_tree(const cs_ut_view *v, int32_t label, tree *t)
{
    if (!v->index_nodes || label < 0 || (uint32_t)label >= v->num_labels) return 0;
    uint32_t first = 0;
    const uint32_t count = cs_ut_label_count(v, label, &first);
    if (count == 0 || (size_t)first + count > v->num_units) return 0;
    const float fr = v->index_roots[2 * (size_t)label], fn = v->index_roots[2 * (size_t)label + 1];
    if (!(fr >= 0.0f && fn >= 1.0f && fr + fn <= (float)v->index_num_nodes)) return 0;
    t->first = first, t->count = count, t->root = (uint32_t)fr, t->nc = (uint32_t)fn, t->label = label;
    return 1;
}

/* Node i (relative to the root) of the tree, if its range lies in the label's: its begin, count and size. */
static int node_fields(const cs_ut_view *v, const tree *t, uint32_t i, uint32_t *b, uint32_t *c, uint32_t *sz)
{
    const float *nd = v->index_nodes + (size_t)(t->root + i) * v->index_stride;
    const float fb = nd[CS_UT_N_BEGIN], fc = nd[CS_UT_N_COUNT], fs = nd[CS_UT_N_SIZE];
    if (!(fb >= (float)t->first && fc >= 0.0f && fb + fc <= (float)t->first + (float)t->count && fs >= 1.0f &&
          fs <= (float)t->nc))
        return 0;
    *b = (uint32_t)fb, *c = (uint32_t)fc, *sz = (uint32_t)fs;
    return 1;
}

static float node_bound(const search *s, const tree *t, uint32_t i, float *center)
{
    const float *nd = s->v->index_nodes + (size_t)(t->root + i) * s->v->index_stride + CS_UT_N_BOX;
    return box_bound(nd, nd + s->v->num_descriptors, s->g, center);
}

/* Work charged for finding the farthest entry of a full queue: QUEUE_CAP / 2 compares, about 100 row distances. */
#define DROP_WORK ((uint32_t)CS_SELECT_WORK_DROP)

/* The most work a search spends beyond its budget (cs_select.h): the first descent, then the step that crosses it (a
 * level, a dropped entry, a pop; a leaf scan is cut to the budget). */
_Static_assert(FIRST_DESCENT_WORK + WORK_BOX2 + DROP_WORK + WORK_POP <= CS_SELECT_NEAREST_SLACK,
               "CS_SELECT_NEAREST_SLACK must cover the work past the budget");

/*
 * An entry pushed out of a full queue, unvisited. Without a budget (the exact search) its units are scanned at
 * once (the node's range, or the label's members if the node does not read back), so nothing is lost; with a budget
 * its bound is remembered: if it is not above the final best distance, the answer is marked approximate.
 */
static void q_dropped(search *s, float key, uint32_t node, int32_t label)
{
    if (s->budget) {
        if (key < s->dropped) s->dropped = key;
        return;
    }
    tree t;
    uint32_t b, c, sz;
    if (!label_tree(s->v, label, &t)) return;
    if (node >= t.root && node - t.root < t.nc && node_fields(s->v, &t, node - t.root, &b, &c, &sz))
        scan_positions(s, b, c);
    else
        scan_members(s, t.first, t.count);
}

/*
 * Queue node i of tree t at box bound `key`. When the queue is full the farthest of its entries and the new one
 * (its largest key; ties: the higher node) is dropped (q_dropped); the farthest entry is a leaf of the heap.
 */
static void q_add(search *s, queue *q, float bound, const tree *t, uint32_t i, float centre)
{
    const float key = s->centre_weight > 0.0f ? bound + s->centre_weight * centre : bound;
    const uint32_t node = t->root + i;
    if (q->n < QUEUE_CAP) {
        const uint32_t j = q->n++;
        q->e[j] = (q_entry){key, centre, node, t->label, bound};
        q_sift_up(q, j);
        return;
    }
    uint32_t m = q->n / 2;
    for (uint32_t j = m + 1; j < q->n; ++j)
        if (q_less(q, m, j)) m = j;
    s->work += DROP_WORK;
    const q_entry add = {key, centre, node, t->label, bound};
    if (e_less(&add, &q->e[m])) {
        const float dk = q->e[m].bound;
        const uint32_t dn = q->e[m].node;
        const int32_t dl = q->e[m].label;
        q->e[m] = add;
        q_sift_up(q, m);
        q_dropped(s, dk, dn, dl);
    } else {
        q_dropped(s, bound, node, t->label);
    }
}

/*
 * Descend from node i: at each internal node the nearer child is followed and the farther one queued, until a leaf
 * is scanned, a child is pruned, the budget runs out or the tree proves malformed (returns 0: s->visits counts nodes
 * read, at most s->max_visits).
 */
static int descend(search *s, const tree *t, queue *q, uint32_t i)
{
    uint32_t b, c, sz;
    if (++s->visits > s->max_visits || !node_fields(s->v, t, i, &b, &c, &sz)) return 0;
    const float *nodes = s->v->index_nodes + (size_t)t->root * s->v->index_stride;
    const uint32_t stride = s->v->index_stride, D = s->v->num_descriptors;
    for (;;) {
        const uint32_t l = i + 1;
        uint32_t lb, lc, lsz;
        if (sz == 1 || l >= t->nc || !node_fields(s->v, t, l, &lb, &lc, &lsz) || (uint64_t)l + lsz >= t->nc) {
            scan_positions(s, b, c); /* a leaf, or children not readable: its units */
            return 1;
        }
        const uint32_t r = l + lsz;
        prefetch_node(s->v, t->root + r); /* its box is read next; the children's first children are read after */
        prefetch_header(s->v, t->root + l + 1);
        prefetch_header(s->v, t->root + r + 1);
        const float *lbox = nodes + (size_t)l * stride + CS_UT_N_BOX, *rbox = nodes + (size_t)r * stride + CS_UT_N_BOX;
        float bd[2], cd[2];
        box_bound2(lbox, lbox + D, rbox, rbox + D, s->g, bd, cd);
        s->work += WORK_BOX2;
        s->n_levels++;
        const int left_near = bd[0] < bd[1] || (bd[0] == bd[1] && cd[0] <= cd[1]);
        const uint32_t near_n = left_near ? l : r, far_n = left_near ? r : l;
        const float near_b = left_near ? bd[0] : bd[1], far_b = left_near ? bd[1] : bd[0];
        if (far_b <= s->best) q_add(s, q, far_b, t, far_n, left_near ? cd[1] : cd[0]);
        if (near_b > s->best) return 1;
        if (out_of_work(s)) {
            s->exhausted = 1;
            return 1;
        }
        i = near_n;
        if (++s->visits > s->max_visits) return 0;
        if (left_near) /* the left child's fields were read and checked above */
            b = lb, c = lc, sz = lsz;
        else if (!node_fields(s->v, t, i, &b, &c, &sz))
            return 0;
    }
}

/*
 * Priority search of k-d trees (Arya & Mount 1993, "Algorithms for fast vector quantization", the search of their
 * ANN library; trees of Friedman, Bentley & Finkel 1977) from the entries queued in q (one label's root, or every
 * label's): take the queued node of the smallest box bound and descend from it to the leaf nearest the target,
 * queueing the farther children, until that bound exceeds the best distance (the answer is then exact, unless an
 * entry no farther was dropped from a full queue) or the budget runs out (the best unit found so far is kept). The
 * first leaf is always reached and at least one unit considered before the budget applies (at most depth * 4 + 1
 * work more). A malformed tree (an unchecked table) ends in a budgeted scan of its label's members; with `single`
 * the search then ends (that scan covered every unit it could answer), else it goes on with the other entries.
 */
static void search_queue(search *s, queue *q, int single)
{
    tree t;
    int32_t t_label = -1; /* the label whose tree t holds (-1: none yet), kept from pop to pop */
    int t_ok = 0;
    while (q->n > 0) {
        const q_entry e = q_pop(q);
        const uint32_t node = e.node;
        const int32_t label = e.label;
        s->n_pops++;
        s->work += WORK_POP;
        if (q->n > 0) /* the next pop's node, most likely: fetched while this one is searched */
            prefetch_node(s->v, q->e[0].node);
        if (s->centre_weight <= 0.0f && e.key > s->best) break; /* every queued node is at least as far: exact */
        if (out_of_work(s)) {
            s->exhausted = 1;
            break;
        }
        if (e.bound > s->best) continue; /* keyed by more than its bound: the others may still be nearer */
        if (label != t_label || label < 0) {
            t_ok = label_tree(s->v, label, &t);
            t_label = label;
        }
        if (!t_ok || node < t.root || node - t.root >= t.nc) continue;
        if (!descend(s, &t, q, node - t.root)) {
            scan_members(s, t.first, t.count);
            if (single) break;
            continue;
        }
        if (s->exhausted) break;
    }
    if (s->dropped <= s->best) s->exhausted = 1;
}

/*
 * label < 0 with an index: one search over every label's tree, one queue and one budget. The roots are queued in
 * label order, each at its box bound (2 work units); with a budget, seeding stops at half of it so that the search
 * keeps the other half (the labels not seeded mark the answer approximate), and a full queue drops its farthest
 * entry (q_add). A label without a readable tree is scanned (budgeted) instead.
 */
static void search_all(search *s)
{
    const cs_ut_view *v = s->v;
    queue q;
    q.n = 0;
    s->max_visits = v->index_num_nodes;
    const uint32_t seed_cap = s->budget / 2;
    for (uint32_t l = 0; l < v->num_labels; ++l) {
        if (s->budget && s->work >= seed_cap) {
            s->dropped = -INFINITY; /* labels left out: approximate */
            break;
        }
        tree t;
        if (label_tree(v, (int32_t)l, &t)) {
            float c;
            const float bound = node_bound(s, &t, 0, &c);
            q_add(s, &q, bound, &t, 0, c);
            s->work += WORK_BOX;
        } else {
            uint32_t first = 0;
            const uint32_t count = cs_ut_label_count(v, (int32_t)l, &first);
            if (count > 0 && (size_t)first + count <= v->num_units) scan_members(s, first, count);
        }
    }
    search_queue(s, &q, 0);
}

int32_t cs_select_nearest_budget(const cs_ut_view *v, int32_t label, const cs_select_target *t, uint32_t budget,
                                 cs_select_nearest_info *info)
{
    if (info) memset(info, 0, sizeof *info);
    if (!v || !t) return -1;
    gathered g;
    gather_target(v, t, &g);
    search s = {v, &g, INFINITY, -1, 0, budget, 0, 0, INFINITY, 0, 0, 0, 0, 0, label < 0 ? CENTRE_WEIGHT : 0.0f};
    if (label < 0) {
        if (v->num_units == 0) return -1;
        if (g.m == 0) return 0; /* every distance is 0: the lowest unit */
        if (v->index_nodes)
            search_all(&s);
        else
            scan_rows(&s);
    } else {
        uint32_t first = 0;
        const uint32_t count = cs_ut_label_count(v, label, &first);
        if (count == 0 || (size_t)first + count > v->num_units) return -1;
        if (g.m == 0) return cs_ut_member(v, first); /* every distance is 0: the lowest unit (members are sorted) */
        tree tr;
        if (label_tree(v, label, &tr)) {
            queue q;
            q.n = 0;
            s.max_visits = tr.nc;
            float c;
            const float bound = node_bound(&s, &tr, 0, &c);
            q_add(&s, &q, bound, &tr, 0, c);
            s.work += WORK_BOX;
            search_queue(&s, &q, 1);
        } else {
            scan_members(&s, first, count);
        }
    }
    if (info) {
        info->work = s.work, info->exhausted = s.exhausted;
        info->blocks = s.n_blocks, info->levels = s.n_levels, info->pops = s.n_pops;
    }
    return s.best_u;
}

int32_t cs_select_nearest(const cs_ut_view *v, int32_t label, const cs_select_target *t)
{
    return cs_select_nearest_budget(v, label, t, cs_select_nearest_default_budget(label), NULL);
}

int32_t cs_select_nearest_scan(const cs_ut_view *v, int32_t label, const cs_select_target *t)
{
    if (!v || !t) return -1;
    cs_ut_view plain = *v;
    plain.index_nodes = NULL; /* the same kernel without the index */
    return cs_select_nearest_budget(&plain, label, t, 0, NULL);
}

int32_t cs_select_nearest_brute(const cs_ut_view *v, int32_t label, const cs_select_target *t)
{
    if (!v || !t) return -1;
    gathered g;
    gather_target(v, t, &g);
    int32_t best_u = -1;
    float best = INFINITY;
    for (uint32_t u = 0; u < v->num_units; ++u) {
        if (label >= 0 && cs_ut_unit_label(v, u) != label) continue;
        float d;
        dists_c(cs_ut_unit_descriptors(v, u), 0, 1, &g, &d); /* always the portable kernel: the reference */
        if (d < best || best_u < 0) {
            best = d;
            best_u = (int32_t)u;
        }
    }
    return best_u;
}
