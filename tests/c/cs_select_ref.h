/*
 * cs_select_ref.h - the nearest-unit search of ConcatSeq 60b95c9 (before issue 12 item 2), kept verbatim for
 * tests/bench/bench_select.c, which times it beside the current search in the same run: a depth-first k-d tree
 * search (nearer child first, a fixed stack) whose leaves follow the order permutation into rows scattered over
 * the table, a kernel summed in blocks of four with partial-distance early exit, and the label scan for
 * many-dimensional targets on labels of at most 4096 units. It reads only the order and nodes sections, which
 * index version 3 keeps as they were. Not used by the plugin.
 */
#ifndef CS_SELECT_REF_H
#define CS_SELECT_REF_H

#include "cs_select.h"
#include "cs_unit_table.h"

#include <math.h>

#define REF_MAX_DIMS 64
static uint32_t ref_gather_target(const cs_ut_view *v, const cs_select_target *t, uint32_t *dims, float *vals)
{
    uint32_t m = 0;
    if (t->full) {
        const uint32_t len = t->full_len < v->num_descriptors ? t->full_len : v->num_descriptors;
        for (uint32_t j = 0; j < len && m < REF_MAX_DIMS; ++j) {
            if (!isfinite(t->full[j])) continue;
            dims[m] = j;
            vals[m++] = t->full[j];
        }
    } else {
        const uint32_t nd = t->num_dims < CS_SELECT_MAX_TARGET_DIMS ? t->num_dims : CS_SELECT_MAX_TARGET_DIMS;
        for (uint32_t j = 0; j < nd; ++j) {
            if (t->dim[j] >= v->num_descriptors || !isfinite(t->value[j])) continue;
            dims[m] = t->dim[j];
            vals[m++] = t->value[j];
        }
    }
    return m;
}

/*
 * The distance kernel, shared by every NEAREST path so that they agree to the bit: the squared differences over
 * the gathered dimensions, summed in blocks of four as (a^2 + b^2) + (c^2 + e^2), then the remainder one by one.
 * It gives up (returning a value > best) as soon as the partial sum exceeds best (Bei & Gray 1985); a partial sum
 * never exceeds the full one, and a distance equal to best is always computed in full (ties go to the lower
 * unit index).
 */
static inline float ref_partial_distance(const float *d, const uint32_t *dims, const float *vals, uint32_t m,
                                         float best)
{
    float acc = 0.0f;
    uint32_t j = 0;
    for (; j + 4 <= m; j += 4) {
        const float a = d[dims[j]] - vals[j], b = d[dims[j + 1]] - vals[j + 1];
        const float c = d[dims[j + 2]] - vals[j + 2], e = d[dims[j + 3]] - vals[j + 3];
        acc += (a * a + b * b) + (c * c + e * e);
        if (acc > best) return acc;
    }
    for (; j < m; ++j) {
        const float a = d[dims[j]] - vals[j];
        acc += a * a;
    }
    return acc;
}

/* Per-dimension distance from the target value v to the interval [lo, hi]: 0 inside. */
static inline float ref_box_gap(float lo, float hi, float v)
{
    return v < lo ? lo - v : (v > hi ? v - hi : 0.0f);
}

/*
 * Lower bound of the kernel's distance over every point of a box (lo[D], hi[D]), summed in the kernel's exact
 * order. Each term is at most the point's term (rounding is monotone: lo <= x implies fl(lo - v) <= fl(x - v)),
 * and rounded sums of smaller terms in the same order are no larger, so the bound never exceeds the kernel's
 * distance of a point in the box, bit for bit: pruning with it is exact.
 */
static inline float ref_box_distance(const float *lo, const float *hi, const uint32_t *dims, const float *vals,
                                     uint32_t m)
{
    float acc = 0.0f;
    uint32_t j = 0;
    for (; j + 4 <= m; j += 4) {
        const float a = ref_box_gap(lo[dims[j]], hi[dims[j]], vals[j]);
        const float b = ref_box_gap(lo[dims[j + 1]], hi[dims[j + 1]], vals[j + 1]);
        const float c = ref_box_gap(lo[dims[j + 2]], hi[dims[j + 2]], vals[j + 2]);
        const float e = ref_box_gap(lo[dims[j + 3]], hi[dims[j + 3]], vals[j + 3]);
        acc += (a * a + b * b) + (c * c + e * e);
    }
    for (; j < m; ++j) {
        const float a = ref_box_gap(lo[dims[j]], hi[dims[j]], vals[j]);
        acc += a * a;
    }
    return acc;
}

/* Consider unit u: keep it if nearer, or as near and lower-numbered. */
static inline void ref_consider(const cs_ut_view *v, uint32_t u, const uint32_t *dims, const float *vals, uint32_t m,
                                float *best, int32_t *best_u)
{
    const float d = ref_partial_distance(v->rows + (size_t)u * v->stride + CS_UT_R_DESCRIPTORS, dims, vals, m, *best);
    if (d < *best || (d == *best && (uint32_t)*best_u > u) || *best_u < 0) {
        *best = d;
        *best_u = (int32_t)u;
    }
}

/* Linear scan of order[from .. from + count) (unit indices; out-of-range entries are skipped). */
static void ref_scan_units(const cs_ut_view *v, const float *order, uint32_t from, uint32_t count, const uint32_t *dims,
                           const float *vals, uint32_t m, float *best, int32_t *best_u)
{
    for (uint32_t i = 0; i < count; ++i) {
        const float f = order[(size_t)from + i];
        if (!(f >= 0.0f && f < (float)v->num_units)) continue;
        ref_consider(v, (uint32_t)f, dims, vals, m, best, best_u);
    }
}

/*
 * The label's k-d tree (cs_unit_table.h, "index"): depth-first, nearer child first, a child skipped when its box
 * is farther than the best distance so far (Friedman, Bentley & Finkel 1977, "An algorithm for finding best
 * matches in logarithmic expected time", with bounding boxes as in Arya & Mount's ANN). The stack is fixed; a
 * subtree that would overflow it is scanned linearly (its node's range holds all its units), so the answer is
 * the same. Every node is visited at most once (the preorder layout), every unit scanned at most once: bounded by
 * O(nodes * dims + count * dims) for the label. All reads are range-checked, so an unchecked table is safe.
 */
#define REF_INDEX_STACK 64
static int32_t ref_nearest_indexed(const cs_ut_view *v, uint32_t first, uint32_t count, uint32_t root, uint32_t nc,
                                   const uint32_t *dims, const float *vals, uint32_t m)
{
    const uint32_t S = v->index_stride, D = v->num_descriptors;
    const float *nodes = v->index_nodes;
    uint32_t stack_node[REF_INDEX_STACK];
    float stack_bound[REF_INDEX_STACK];
    uint32_t top = 0;
    float best = INFINITY;
    int32_t best_u = -1;
    stack_node[top] = 0; /* node offsets relative to the root */
    stack_bound[top++] = 0.0f;
    uint32_t pops = 0;
    while (top > 0 && pops++ < nc) {
        --top;
        const uint32_t i = stack_node[top];
        if (stack_bound[top] > best) continue;
        const float *nd = nodes + (size_t)(root + i) * S;
        const float fb = nd[CS_UT_N_BEGIN], fc = nd[CS_UT_N_COUNT], fs = nd[CS_UT_N_SIZE];
        if (!(fb >= (float)first && fc >= 0.0f && fb + fc <= (float)first + (float)count)) continue;
        const uint32_t b = (uint32_t)fb, c = (uint32_t)fc;
        const int32_t lsz_v = i + 1 < nc ? cs_ut_index_value(nodes[(size_t)(root + i + 1) * S + CS_UT_N_SIZE], nc) : 0;
        const uint32_t lsz = lsz_v > 0 ? (uint32_t)lsz_v : 0;
        if (!(fs > 1.0f) || top + 2 > REF_INDEX_STACK || lsz == 0 || (uint64_t)i + 1 + lsz >= nc) {
            /* a leaf, or a subtree too deep for the stack / malformed: scan its units */
            ref_scan_units(v, v->index_order, b, c, dims, vals, m, &best, &best_u);
            continue;
        }
        const uint32_t l = i + 1, r = i + 1 + lsz;
        const float *ln = nodes + (size_t)(root + l) * S, *rn = nodes + (size_t)(root + r) * S;
        const float bl = ref_box_distance(ln + CS_UT_N_BOX, ln + CS_UT_N_BOX + D, dims, vals, m);
        const float br = ref_box_distance(rn + CS_UT_N_BOX, rn + CS_UT_N_BOX + D, dims, vals, m);
        /* push the farther child first so the nearer one is searched first */
        const int left_first = bl <= br;
        const uint32_t far_n = left_first ? r : l, near_n = left_first ? l : r;
        const float far_b = left_first ? br : bl, near_b = left_first ? bl : br;
        if (far_b <= best) {
            stack_node[top] = far_n;
            stack_bound[top++] = far_b;
        }
        if (near_b <= best) {
            stack_node[top] = near_n;
            stack_bound[top++] = near_b;
        }
    }
    if (top > 0) {
        /* only for a malformed tree (more pops than nodes): finish with a plain scan of the label */
        ref_scan_units(v, v->members, first, count, dims, vals, m, &best, &best_u);
    }
    return best_u;
}

static int32_t cs_select_nearest_ref(const cs_ut_view *v, int32_t label, const cs_select_target *t)
{
    if (!v || !t) return -1;
    uint32_t dims[REF_MAX_DIMS];
    float vals[REF_MAX_DIMS];
    cs_select_target tt = *t;
    if (tt.full && tt.full_len > REF_MAX_DIMS) tt.full_len = REF_MAX_DIMS;
    const uint32_t m = ref_gather_target(v, &tt, dims, vals);
    float best = INFINITY;
    int32_t best_u = -1;
    if (label < 0) {
        for (uint32_t u = 0; u < v->num_units; ++u)
            ref_consider(v, u, dims, vals, m, &best, &best_u);
        return best_u;
    }
    uint32_t first = 0;
    const uint32_t count = cs_ut_label_count(v, label, &first);
    if (count == 0 || (size_t)first + count > v->num_units) return -1;
    /* The k-d tree prunes well on few target dimensions or large labels; for a many-dimensional target on a
     * label of a few thousand units the early-exit scan is faster (tests/bench/bench_select.c). Both give the
     * same answer. */
    if (v->index_nodes && (uint32_t)label < v->num_labels && (m <= 12 || count > 4096)) {
        const float fr = v->index_roots[2 * (size_t)label], fn = v->index_roots[2 * (size_t)label + 1];
        if (fr >= 0.0f && fn >= 1.0f && fr + fn <= (float)v->index_num_nodes)
            return ref_nearest_indexed(v, first, count, (uint32_t)fr, (uint32_t)fn, dims, vals, m);
    }
    ref_scan_units(v, v->members, first, count, dims, vals, m, &best, &best_u);
    return best_u;
}

#endif
