/*
 * test_index_format.c - index version 5 (corpus-tools/BUNDLE.md, "Index"): the split rule (cs_index_split: the left
 * child ends on the multiple of 8 nearest the middle), node field 3 (1 + the split dimension of an internal node, 0
 * in a leaf) as cs_index_build writes it and as the full and the resumable check of cs_ut_parse / cs_ut_check_step
 * refuse it when it is wrong (a planted fault in each of its rules), cs_ut_node_split's guards, the older index
 * versions 4, 3 and 2 that cs_index_build_version writes (still read, the same exact answers as version 5 and as
 * brute force), and a build that gives the same bytes every time.
 */
#include "cs_error.h"
#include "cs_index.h"
#include "cs_rng.h"
#include "cs_select.h"
#include "cs_test.h"
#include "cs_test_table.h"
#include "cs_unit_table.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A version 3 unit table without index (*n floats, caller frees): n units, d descriptors, k labels; label 1 is
 * empty, label 2 holds one unit, so that the labels' ranges begin at offsets that are not multiples of 8. */
static float *base_table(uint32_t n, uint32_t d, uint32_t k, uint64_t seed, size_t *tn)
{
    cs_rng g;
    cs_rng_seed(&g, seed);
    uint64_t *st = malloc(n * sizeof *st), *ln = malloc(n * sizeof *ln);
    int32_t *lab = malloc(n * sizeof *lab), *src = calloc(n, sizeof *src), *succ = malloc(n * sizeof *succ);
    float *desc = malloc((size_t)n * d * sizeof *desc);
    for (uint32_t u = 0; u < n; ++u) {
        st[u] = (uint64_t)u * 100;
        ln[u] = 100;
        succ[u] = -1;
        lab[u] = u == n / 3 ? 2 : (int32_t)(cs_rng_uniform(&g) < 0.5f ? 0 : 3 + cs_rng_below(&g, k - 3));
        for (uint32_t j = 0; j < d; ++j) /* different spreads, so that different dimensions are split on */
            desc[(size_t)u * d + j] = (float)cs_rng_normal(&g) * (1.0f + (float)((j * 7 + u) % 3));
        if (u > 0 && cs_rng_uniform(&g) < 0.1f) /* coarse values: ties on a dimension */
            desc[(size_t)u * d] = desc[(size_t)(u - 1) * d];
    }
    *tn = cs_ut_size(n, d, k);
    float *t = malloc(*tn * sizeof *t);
    const int ok = cs_ut_encode(t, n, d, k, 1, -1, 48000, 1, (uint64_t)n * 100, st, ln, lab, src, succ, desc) == 0;
    free(st), free(ln), free(lab), free(src), free(succ), free(desc);
    if (!ok) free(t);
    return ok ? t : NULL;
}

/* The table of `base` with an index of `version` and `leaf` (*xn floats, caller frees), fully checked into *v. */
static float *indexed(const float *base, size_t bn, uint32_t leaf, uint32_t version, size_t *xn, cs_ut_view *v)
{
    cs_ut_view b;
    if (cs_ut_parse(base, bn, 1, &b) != CS_UT_OK) return NULL;
    *xn = cs_index_table_size_version(&b, leaf, version);
    float *t = *xn ? malloc(*xn * sizeof *t) : NULL;
    if (!t || cs_index_build_version(&b, leaf, version, t, *xn) != 0 || cs_ut_parse(t, *xn, 1, v) != CS_UT_OK ||
        v->index_version != version) {
        free(t);
        return NULL;
    }
    return t;
}

/* The split rule against an independent scan of every multiple of 8 inside the node. */
static void test_split_rule(void)
{
    int bad = 0, big = 0;
    for (uint32_t b = 0; b < 24; ++b)
        for (uint32_t c = 2; c < 2000; ++c) {
            const uint32_t left = cs_index_split(b, c), m = b + c / 2;
            uint32_t want = c / 2, best = UINT32_MAX;
            for (uint32_t s = b + 1; s < b + c; ++s) /* ascending: the lower one wins a tie */
                if (s % 8 == 0) {
                    const uint32_t dist = s > m ? s - m : m - s;
                    if (dist < best) best = dist, want = s - b;
                }
            bad += left != want || left == 0 || left >= c;
            big += c >= 10 && (left > (c + 1) / 2 + 4 || c - left > (c + 1) / 2 + 4);
        }
    CS_CHECK(bad == 0, "cs_index_split: the multiple of 8 nearest the middle, ties to the lower (%d wrong)", bad);
    CS_CHECK(big == 0, "cs_index_split: no child above ceil(count / 2) + 4 units (%d)", big);
    CS_CHECK(cs_index_split(0, 1) == 0 && cs_index_split(5, 0) == 0 && cs_index_split(1, 5) == 2 &&
                 cs_index_split(0, 40) == 16 && cs_index_split(3, 40) == 21,
             "cs_index_split: fewer than 2 units 0; no boundary inside: halves; a tie: the lower boundary");
    CS_CHECK(cs_index_nodes(0, 0, 8) == 0 && cs_index_nodes(0, 8, 8) == 1 && cs_index_nodes(0, 9, 8) == 3 &&
                 cs_index_nodes(0, 100, 8) == 25 && cs_index_nodes(3, 100, 8) == 25 && cs_index_nodes(0, 5, 0) == 0,
             "cs_index_nodes of block-aligned splits");
}

/* Depth of the subtree at node i (preorder: left child i + 1, right child i + 1 + size of the left one). */
static uint32_t depth_at(const cs_ut_view *v, uint32_t i)
{
    const float *nd = v->index_nodes + (size_t)i * v->index_stride;
    if (nd[CS_UT_N_SIZE] == 1.0f) return 1;
    const uint32_t l = i + 1, r = l + (uint32_t)v->index_nodes[(size_t)l * v->index_stride + CS_UT_N_SIZE];
    const uint32_t a = depth_at(v, l), b = depth_at(v, r);
    return 1 + (a > b ? a : b);
}

/* The width of a node's box on dimension j, in double (as the builder compares them). */
static double width(const float *nd, uint32_t D, uint32_t j)
{
    return (double)nd[CS_UT_N_BOX + D + j] - (double)nd[CS_UT_N_BOX + j];
}

/* Every node of a version 5 table as BUNDLE.md says the builder writes it; depth against version 4's. */
static void test_structure(uint32_t leaf)
{
    size_t bn = 0, xn = 0, x4 = 0;
    float *base = base_table(3001, 7, 9, 11 + leaf, &bn);
    cs_ut_view v, v4;
    float *t = base ? indexed(base, bn, leaf, CS_UT_INDEX_VERSION, &xn, &v) : NULL;
    float *t4 = base ? indexed(base, bn, leaf, CS_UT_INDEX_VERSION_4, &x4, &v4) : NULL;
    CS_CHECK(t && t4, "leaf %u: version 5 and 4 tables built and fully checked", leaf);
    if (!t || !t4) goto out;
    const uint32_t D = v.num_descriptors, S = v.index_stride;
    int split_ok = 1, leaf_ok = 1, rule_ok = 1, widest_ok = 1, aligned = 1, helper_ok = 1;
    uint32_t nodes = 0, depth = 0, depth4 = 0, unaligned_starts = 0;
    for (uint32_t l = 0; l < v.num_labels; ++l) {
        uint32_t first = 0;
        const uint32_t count = cs_ut_label_count(&v, (int32_t)l, &first);
        nodes += cs_index_nodes(first, count, leaf);
        unaligned_starts += count > 0 && first % 8 != 0;
        if (count == 0) continue;
        const uint32_t root = (uint32_t)v.index_roots[2 * l], root4 = (uint32_t)v4.index_roots[2 * l];
        const uint32_t dp = depth_at(&v, root), dp4 = depth_at(&v4, root4);
        depth = dp > depth ? dp : depth, depth4 = dp4 > depth4 ? dp4 : depth4;
        for (uint32_t i = root; i < root + (uint32_t)v.index_roots[2 * l + 1]; ++i) {
            const float *nd = v.index_nodes + (size_t)i * S;
            const uint32_t b = (uint32_t)nd[CS_UT_N_BEGIN], c = (uint32_t)nd[CS_UT_N_COUNT];
            if (nd[CS_UT_N_SIZE] == 1.0f) {
                leaf_ok &= nd[CS_UT_N_SPLIT] == 0.0f && c <= leaf && cs_ut_node_split(&v, nd) == -1;
                if (leaf >= 8) aligned &= (b == first || b % 8 == 0) && (b + c == first + count || (b + c) % 8 == 0);
                continue;
            }
            const float *lc = nd + S, *rc = v.index_nodes + (size_t)(i + 1 + (uint32_t)lc[CS_UT_N_SIZE]) * S;
            const uint32_t d = (uint32_t)nd[CS_UT_N_SPLIT] - 1u;
            split_ok &= nd[CS_UT_N_SPLIT] >= 1.0f && d < D && lc[CS_UT_N_BOX + D + d] <= rc[CS_UT_N_BOX + d];
            helper_ok &= cs_ut_node_split(&v, nd) == (int32_t)d;
            rule_ok &= (uint32_t)lc[CS_UT_N_COUNT] == cs_index_split(b, c);
            for (uint32_t j = 0; j < D; ++j) /* d is the widest dimension of the box, ties to the lower one */
                widest_ok &= width(nd, D, j) < width(nd, D, d) || (j >= d && width(nd, D, j) == width(nd, D, d));
        }
    }
    CS_CHECK(nodes == v.index_num_nodes && unaligned_starts > 0, "leaf %u: cs_index_nodes adds up to %u nodes", leaf,
             v.index_num_nodes);
    CS_CHECK(split_ok && helper_ok, "leaf %u: internal nodes: 1 + d, d < D, left max <= right min on d", leaf);
    CS_CHECK(leaf_ok, "leaf %u: leaves: field 3 = 0, at most the leaf size", leaf);
    CS_CHECK(rule_ok && widest_ok, "leaf %u: splits by cs_index_split on the widest dimension", leaf);
    CS_CHECK(aligned, "leaf %u: every leaf begins and ends on a multiple of 8 or at its label's ends", leaf);
    CS_CHECK(depth <= depth4 + 1, "leaf %u: depth %u, version 4's %u", leaf, depth, depth4);
    int zero4 = 1, halves4 = 1;
    for (uint32_t i = 0; i < v4.index_num_nodes; ++i) {
        const float *nd = v4.index_nodes + (size_t)i * S;
        zero4 &= nd[CS_UT_N_SPLIT] == 0.0f && cs_ut_node_split(&v4, nd) == -1;
        if (nd[CS_UT_N_SIZE] > 1.0f) halves4 &= nd[S + CS_UT_N_COUNT] == floorf(nd[CS_UT_N_COUNT] / 2.0f);
    }
    CS_CHECK(zero4 && halves4, "leaf %u: version 4 as analyze wrote it: field 3 = 0, halves", leaf);
out:
    free(t), free(t4), free(base);
}

/* Whether the full check and the resumable check (three budgets) both give `want`. */
static int both_checks(const float *t, size_t n, int want)
{
    cs_ut_view v;
    if (cs_ut_parse(t, n, 0, &v) != CS_UT_OK) return 0;
    int ok = cs_ut_parse(t, n, 1, &v) == want;
    const size_t budgets[3] = {1, 97, 1000000};
    for (int b = 0; b < 3; ++b)
        ok &= cs_test_resumable_check(&v, budgets[b], NULL) == want;
    return ok;
}

/* Every rule of node field 3: a planted fault of each is refused by both checks, and the table passes again when
 * it is undone. */
static void test_field3_faults(void)
{
    size_t bn = 0, xn = 0;
    float *base = base_table(600, 5, 6, 3, &bn);
    cs_ut_view v;
    float *t = base ? indexed(base, bn, 8, CS_UT_INDEX_VERSION, &xn, &v) : NULL;
    CS_CHECK(t && both_checks(t, xn, CS_UT_OK), "a version 5 table passes both checks");
    if (!t) {
        free(base);
        return;
    }
    const uint32_t D = v.num_descriptors, S = v.index_stride;
    const size_t p = (size_t)(v.index_nodes - t);
    uint32_t leaf = UINT32_MAX, inner = UINT32_MAX, other = UINT32_MAX;
    for (uint32_t i = 0; i < v.index_num_nodes; ++i) {
        const float *nd = t + p + (size_t)i * S;
        if (nd[CS_UT_N_SIZE] == 1.0f) {
            if (leaf == UINT32_MAX) leaf = i;
            continue;
        }
        if (inner == UINT32_MAX) inner = i;
        const float *lc = nd + S, *rc = t + p + (size_t)(i + 1 + (uint32_t)lc[CS_UT_N_SIZE]) * S;
        for (uint32_t j = 0; j < D && other == UINT32_MAX; ++j) /* a dimension on which the children overlap */
            if (lc[CS_UT_N_BOX + D + j] > rc[CS_UT_N_BOX + j]) other = i * D + j;
    }
    CS_CHECK(leaf != UINT32_MAX && inner != UINT32_MAX && other != UINT32_MAX, "a leaf, an internal node, an overlap");
    if (other == UINT32_MAX) goto out;
    const struct {
        uint32_t node;
        float value;
        const char *what;
    } faults[] = {
        {leaf, 1.0f, "a leaf with a split dimension"},
        {inner, 0.0f, "an internal node without one"},
        {inner, (float)D + 1.0f, "split dimension D (out of range)"},
        {inner, 1.5f, "a fractional split field"},
        {inner, -1.0f, "a negative split field"},
        {inner, NAN, "a NaN split field"},
        {inner, INFINITY, "an infinite split field"},
        {other / D, (float)(other % D) + 1.0f, "a split dimension on which the children's boxes overlap"},
    };
    for (size_t f = 0; f < sizeof faults / sizeof *faults; ++f) {
        float *x = t + p + (size_t)faults[f].node * S + CS_UT_N_SPLIT;
        const float keep = *x;
        *x = faults[f].value;
        CS_CHECK(both_checks(t, xn, CS_UT_E_VALUES), "%s: refused by the full and the resumable check", faults[f].what);
        *x = keep;
    }
    CS_CHECK(both_checks(t, xn, CS_UT_OK), "undone: passes again");
    /* cs_ut_node_split on values written after the check: never a dimension out of range */
    const float garbage[] = {(float)D + 1.0f, 1e30f, -5.0f, NAN, -INFINITY, 0.0f};
    int guarded = 1;
    float *x = t + p + (size_t)inner * S + CS_UT_N_SPLIT;
    const float keep = *x;
    for (size_t g = 0; g < sizeof garbage / sizeof *garbage; ++g) {
        *x = garbage[g];
        guarded &= cs_ut_node_split(&v, t + p + (size_t)inner * S) == -1;
    }
    *x = (float)D;
    guarded &= cs_ut_node_split(&v, t + p + (size_t)inner * S) == (int32_t)D - 1;
    *x = keep;
    CS_CHECK(guarded, "cs_ut_node_split: -1 for every value out of range, d for 1 + d");
    /* field 3 stays reserved (0) in every node of the older versions */
    const uint32_t older[3] = {CS_UT_INDEX_VERSION_4, CS_UT_INDEX_VERSION_3, CS_UT_INDEX_VERSION_2};
    for (int o = 0; o < 3; ++o) {
        size_t on = 0;
        cs_ut_view ov;
        float *ot = indexed(base, bn, 8, older[o], &on, &ov);
        CS_CHECK(ot && both_checks(ot, on, CS_UT_OK), "index version %u passes both checks", older[o]);
        if (!ot) continue;
        const size_t op = (size_t)(ov.index_nodes - ot);
        int refused = 1;
        for (uint32_t i = 0; i < ov.index_num_nodes; i += 1 + ov.index_num_nodes / 5) {
            ot[op + (size_t)i * S + CS_UT_N_SPLIT] = 1.0f;
            refused &= both_checks(ot, on, CS_UT_E_VALUES) && cs_ut_node_split(&ov, ot + op + (size_t)i * S) == -1;
            ot[op + (size_t)i * S + CS_UT_N_SPLIT] = 0.0f;
        }
        CS_CHECK(refused, "index version %u: a node with field 3 = 1 is refused (reserved)", older[o]);
        free(ot);
    }
    /* version 6 is not read */
    x = t + (size_t)(v.index_roots - t) - CS_UT_INDEX_HEADER + CS_UT_X_VERSION;
    *x = 6.0f;
    CS_CHECK(cs_ut_parse(t, xn, 0, &v) == CS_UT_E_DIMS, "index version 6: refused");
    *x = (float)CS_UT_INDEX_VERSION;
    CS_CHECK(cs_ut_parse(t, xn, 1, &v) == CS_UT_OK, "version 5 again");
out:
    free(t), free(base);
}

/* Index versions 5, 4, 3, 2 of the same units: each read, the exact answers equal across versions and to brute
 * force, for full targets and pair targets, with and without a label. */
static void test_versions_answer_alike(void)
{
    size_t bn = 0;
    float *base = base_table(2500, 6, 8, 21, &bn);
    const uint32_t versions[4] = {CS_UT_INDEX_VERSION, CS_UT_INDEX_VERSION_4, CS_UT_INDEX_VERSION_3,
                                  CS_UT_INDEX_VERSION_2};
    float *t[4] = {NULL};
    size_t n[4] = {0};
    cs_ut_view v[4];
    int built = base != NULL;
    for (int i = 0; i < 4 && built; ++i)
        built = (t[i] = indexed(base, bn, 32, versions[i], &n[i], &v[i])) != NULL;
    CS_CHECK(built, "index versions 5, 4, 3, 2 built and fully checked");
    if (!built) goto out;
    CS_CHECK(v[0].index_rows && v[1].index_rows && v[2].index_rows && !v[3].index_rows &&
                 n[0] == cs_index_table_size(&v[0], 32) && n[0] <= n[1] && n[1] > n[2] && n[2] > n[3],
             "sizes: %zu (v5) %zu (v4) %zu (v3) %zu (v2)", n[0], n[1], n[2], n[3]);
    cs_rng g;
    cs_rng_seed(&g, 5);
    int same = 0, total = 0;
    float full[6];
    for (int q = 0; q < 150; ++q) {
        for (uint32_t j = 0; j < 6; ++j)
            full[j] = (float)cs_rng_normal(&g) * 2.0f;
        cs_select_target tg;
        memset(&tg, 0, sizeof tg);
        if (q % 3 == 2) { /* a pair target: dimensions 4 and 1 */
            tg.dim[0] = 4, tg.dim[1] = 1, tg.value[0] = full[0], tg.value[1] = full[1], tg.num_dims = 2;
        } else {
            tg.full = full, tg.full_len = 6;
        }
        for (int32_t l = -1; l < (int32_t)v[0].num_labels; ++l, ++total) {
            const int32_t want = cs_select_nearest_brute(&v[0], l, &tg);
            int ok = 1;
            for (int i = 0; i < 4; ++i)
                ok &= cs_select_nearest_budget(&v[i], l, &tg, 0, NULL) == want;
            same += ok;
        }
    }
    CS_CHECK(same == total, "exact answers of versions 5, 4, 3, 2 = brute force on %d/%d", same, total);
out:
    for (int i = 0; i < 4; ++i)
        free(t[i]);
    free(base);
}

/* The same units give the same bytes, whatever the output buffer held before; bad arguments are refused. */
static void test_same_bytes(void)
{
    size_t bn = 0;
    float *base = base_table(1234, 9, 5, 8, &bn);
    cs_ut_view b;
    if (!base || cs_ut_parse(base, bn, 1, &b) != CS_UT_OK) {
        CS_CHECK(0, "base table");
        free(base);
        return;
    }
    const size_t xn = cs_index_table_size(&b, 32);
    float *a = malloc(xn * sizeof *a), *c = malloc(xn * sizeof *c);
    memset(a, 0, xn * sizeof *a);
    memset(c, 0xff, xn * sizeof *c); /* NaN bits everywhere: any float the builder does not write shows */
    CS_CHECK(cs_index_build(&b, 32, a, xn) == 0 && cs_index_build(&b, 32, c, xn) == 0 &&
                 memcmp(a, c, xn * sizeof *a) == 0,
             "two builds, same bytes");
    CS_CHECK(cs_index_build(&b, 32, a, xn - 1) == CS_E_ARG && cs_index_table_size_version(&b, 32, 6) == 0 &&
                 cs_index_table_size_version(&b, 32, 1) == 0 && cs_index_build_version(&b, 32, 6, a, xn) == CS_E_ARG &&
                 cs_index_table_size_version(&b, 0, 5) == 0,
             "too small an output, an unknown version, leaf 0: refused");
    free(a), free(c), free(base);
}

int main(void)
{
    test_split_rule();
    test_structure(32);
    test_structure(8);
    test_structure(3);
    test_field3_faults();
    test_versions_answer_alike();
    test_same_bytes();
    CS_TEST_END();
}
