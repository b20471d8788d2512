/*
 * test_select_index.c - the unit table's k-d tree index (corpus-tools/src/cs_index.h, read by cs_select_nearest)
 * returns exactly the brute-force answer: for several random corpora (clustered and uniform descriptors, many
 * exact duplicates for ties, labels of 0, 1 and many units, leaf sizes 1, 3, 32), thousands of random queries
 * with full targets, targets with NaN dimensions, (dimension, value) pair targets, far-away targets and targets
 * equal to a unit, the indexed answer equals cs_select_nearest_brute (every unit of the label, the distance in
 * full, ties to the lower unit index) and the plain label scan; it is also checked against an independent
 * double-precision nearest neighbour (any difference must be a float near-tie). The full parse check rejects a
 * corrupted index (a box that misses a unit, a broken tree), and an unchecked corrupted index is read safely.
 * A 600 001-unit table (offsets beyond 2^24: unit table version 2) parses and selects exactly.
 */
#include "cs_index.h"
#include "cs_rng.h"
#include "cs_select.h"
#include "cs_test.h"
#include "cs_unit_table.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct corpus {
    float *base, *table;
    size_t base_n, table_n;
    cs_ut_view v;
    uint32_t n, d, k;
} corpus;

/* Random corpus: clustered (per label centre) or uniform descriptors, some labels empty or single, duplicates. */
static int make_corpus(corpus *c, uint32_t n, uint32_t d, uint32_t k, uint32_t leaf, uint64_t seed, int clustered)
{
    cs_rng g;
    cs_rng_seed(&g, seed);
    uint64_t *st = malloc(n * sizeof *st), *ln = malloc(n * sizeof *ln);
    int32_t *lab = malloc(n * sizeof *lab), *src = calloc(n, sizeof *src), *succ = malloc(n * sizeof *succ);
    float *desc = malloc((size_t)n * d * sizeof *desc), *centre = malloc((size_t)k * d * sizeof *centre);
    for (size_t i = 0; i < (size_t)k * d; ++i)
        centre[i] = 3.0f * (float)cs_rng_normal(&g);
    for (uint32_t u = 0; u < n; ++u) {
        st[u] = (uint64_t)u * 100;
        ln[u] = 100;
        succ[u] = -1;
        /* label 1 is empty, label 2 has exactly one unit, label 0 is big; the rest random */
        uint32_t l = cs_rng_uniform(&g) < 0.4f ? 0 : 3 + cs_rng_below(&g, k - 3);
        if (u == n / 2) l = 2;
        lab[u] = (int32_t)l;
        for (uint32_t j = 0; j < d; ++j)
            desc[(size_t)u * d + j] = clustered
                                          ? centre[(size_t)l * d + j] + (float)cs_rng_normal(&g) * (j < 3 ? 1.0f : 0.3f)
                                          : cs_rng_uniform(&g) * 4.0f - 2.0f;
        /* exact duplicates of an earlier unit (ties), and coarse values (ties in single dimensions) */
        if (u > 0 && cs_rng_uniform(&g) < 0.1f) {
            const uint32_t w = cs_rng_below(&g, u);
            memcpy(desc + (size_t)u * d, desc + (size_t)w * d, d * sizeof *desc);
            lab[u] = lab[w];
        } else if (cs_rng_uniform(&g) < 0.2f) {
            for (uint32_t j = 0; j < d; ++j)
                desc[(size_t)u * d + j] = roundf(desc[(size_t)u * d + j]);
        }
        if (u == n / 2)
            lab[u] = 2;
        else if (lab[u] == 2)
            lab[u] = 0;
    }
    c->n = n, c->d = d, c->k = k;
    c->base_n = cs_ut_size(n, d, k);
    c->base = malloc(c->base_n * sizeof *c->base);
    int ok = cs_ut_encode(c->base, n, d, k, 1, -1, 48000, 1, (uint64_t)n * 100, st, ln, lab, src, succ, desc) == 0;
    cs_ut_view v0;
    ok = ok && cs_ut_parse(c->base, c->base_n, 1, &v0) == 0 && v0.index_nodes == NULL;
    c->table_n = ok ? cs_index_table_size(&v0, leaf) : 0;
    c->table = c->table_n ? malloc(c->table_n * sizeof *c->table) : NULL;
    ok = ok && c->table && cs_index_build(&v0, leaf, c->table, c->table_n) == 0 &&
         cs_ut_parse(c->table, c->table_n, 1, &c->v) == 0 && c->v.index_nodes != NULL;
    free(st), free(ln), free(lab), free(src), free(succ), free(desc), free(centre);
    return ok ? 0 : -1;
}

/* A test corpus's shape: units, descriptors, labels, leaf size, clustered (1) or uniform (0) descriptors. */
typedef struct corpus_case {
    uint32_t n, d, k, leaf;
    int clustered;
} corpus_case;

/* make_corpus of a case, checked (CS_CHECK names `what` and the case's number i). */
static int make_case(corpus *c, const corpus_case *cc, uint64_t seed, const char *what, size_t i)
{
    const int ok = make_corpus(c, cc->n, cc->d, cc->k, cc->leaf, seed, cc->clustered) == 0;
    CS_CHECK(ok, "%s %zu built, indexed and fully checked", what, i);
    return ok && c->table ? 0 : -1;
}

/* A full target over the d values at `full` (filled by the caller). */
static cs_select_target full_target(const float *full, uint32_t d)
{
    cs_select_target t;
    memset(&t, 0, sizeof t);
    t.full = full;
    t.full_len = d;
    return t;
}

static void corpus_free(corpus *c)
{
    free(c->base);
    free(c->table);
}

/* Independent reference in double: the squared distance over the target's dims (NaN target dims skipped). */
static double ref_distance(const cs_ut_view *v, uint32_t u, const cs_select_target *t)
{
    const float *x = cs_ut_unit_descriptors(v, u);
    double acc = 0;
    if (t->full) {
        for (uint32_t j = 0; j < t->full_len && j < v->num_descriptors; ++j) {
            if (!isfinite(t->full[j])) continue;
            const double e = (double)x[j] - (double)t->full[j];
            acc += e * e;
        }
    } else {
        for (uint32_t i = 0; i < t->num_dims; ++i) {
            const double e = (double)x[t->dim[i]] - (double)t->value[i];
            acc += e * e;
        }
    }
    return acc;
}

/* The nearest unit of the label by ref_distance (first on ties); its distance in *best_out. */
static int32_t ref_nearest(const cs_ut_view *v, int32_t label, const cs_select_target *t, double *best_out)
{
    int32_t bu = -1;
    double best = INFINITY;
    for (uint32_t u = 0; u < v->num_units; ++u) {
        if (cs_ut_unit_label(v, u) != label) continue;
        const double acc = ref_distance(v, u, t);
        if (acc < best) best = acc, bu = (int32_t)u;
    }
    *best_out = best;
    return bu;
}

/* A random target of kind 0-4: a full target near the data (0), with NaN dimensions (1), far away (2); 1-5
 * (dimension, value) pairs (3); exactly a unit's descriptors (4: a distance-0 tie with its duplicates). The full
 * values go to `full` (at least c->d floats). */
static cs_select_target random_target(cs_rng *g, const corpus *c, int kind, float *full)
{
    cs_select_target t;
    memset(&t, 0, sizeof t);
    if (kind <= 2) {
        for (uint32_t j = 0; j < c->d; ++j)
            full[j] = (float)cs_rng_normal(g) * (kind == 2 ? 30.0f : 2.0f);
        if (kind == 1)
            for (uint32_t j = 0; j < c->d; ++j)
                if (cs_rng_uniform(g) < 0.4f) full[j] = NAN;
        t.full = full;
        t.full_len = c->d;
    } else if (kind == 3) {
        t.num_dims = 1 + cs_rng_below(g, 5);
        for (uint32_t i = 0; i < t.num_dims; ++i) {
            t.dim[i] = cs_rng_below(g, c->d);
            t.value[i] = (float)cs_rng_normal(g) * 2.0f;
        }
    } else {
        memcpy(full, cs_ut_unit_descriptors(&c->v, cs_rng_below(g, c->n)), c->d * sizeof(float));
        t.full = full;
        t.full_len = c->d;
    }
    return t;
}

static void test_exact(void)
{
    const corpus_case cases[] = {
        {3000, 26, 12, 32, 1}, {3000, 26, 12, 1, 0}, {1500, 5, 6, 3, 1}, {800, 40, 5, 32, 0}, {4000, 24, 64, 8, 1},
    };
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ++ci) {
        corpus c;
        if (make_case(&c, &cases[ci], 100 + ci, "corpus", ci)) continue;
        cs_rng g;
        cs_rng_seed(&g, 7 + ci);
        int mismatch = 0, scan_mismatch = 0, ref_far = 0, ties = 0, queries = 0, simd_mismatch = 0;
        int simd_budget_mismatch = 0;
        int budget_unproved = 0, budget_unlabelled = 0, budget_over = 0, budget_same = 0;
        float full[64];
        for (int q = 0; q < 1500; ++q) {
            const cs_select_target t = random_target(&g, &c, q % 5, full);
            for (uint32_t l = 0; l < c.k; ++l) {
                cs_select_simd(q & 1); /* the AVX2 and the portable kernels, alternately: same answers */
                const int32_t a = cs_select_nearest_budget(&c.v, (int32_t)l, &t, 0, NULL);
                const int32_t b = cs_select_nearest_brute(&c.v, (int32_t)l, &t);
                const int32_t s = cs_select_nearest_scan(&c.v, (int32_t)l, &t);
                cs_select_nearest_info info;
                const int32_t bu = cs_select_nearest_budget(&c.v, (int32_t)l, &t, CS_SELECT_NEAREST_BUDGET, &info);
                cs_select_simd(!(q & 1));
                const int32_t a2 = cs_select_nearest_budget(&c.v, (int32_t)l, &t, 0, NULL);
                /* the budgeted search with the other kernels: every bound and distance the same float, so the same
                 * walk (answer, work and flag; the two children's bounds are computed in one pass) */
                cs_select_nearest_info info2;
                const int32_t bu2 = cs_select_nearest_budget(&c.v, (int32_t)l, &t, CS_SELECT_NEAREST_BUDGET, &info2);
                simd_budget_mismatch += bu2 != bu || info2.work != info.work || info2.exhausted != info.exhausted;
                mismatch += a != b;
                simd_mismatch += a2 != a;
                scan_mismatch += s != b;
                budget_unproved += bu != b && !info.exhausted; /* a budgeted answer not exhausted must be exact */
                budget_unlabelled += bu < 0 ? cs_ut_label_count(&c.v, (int32_t)l, NULL) > 0
                                            : cs_ut_unit_label(&c.v, (uint32_t)bu) != (int32_t)l;
                budget_over += info.work > CS_SELECT_NEAREST_BUDGET + 25u * CS_SELECT_WORK_LEVEL +
                                               CS_SELECT_WORK_LEVEL + CS_SELECT_WORK_DROP + CS_SELECT_WORK_POP;
                budget_same += bu == b;
                queries++;
                double best;
                const int32_t r = ref_nearest(&c.v, (int32_t)l, &t, &best);
                if ((r < 0) != (a < 0))
                    ref_far++;
                else if (r >= 0 && r != a) {
                    ties++;
                    /* float near-tie only: the double distances agree to float precision */
                    if (fabs(ref_distance(&c.v, (uint32_t)a, &t) - best) > 1e-5 * (1.0 + best)) ref_far++;
                }
            }
        }
        CS_CHECK(mismatch == 0, "corpus %zu: index = brute force on %d/%d queries", ci, queries - mismatch, queries);
        CS_CHECK(scan_mismatch == 0, "corpus %zu: label scan = brute force (%d mismatches)", ci, scan_mismatch);
        CS_CHECK(simd_mismatch == 0, "corpus %zu: AVX2 kernels = portable kernels (%d mismatches)", ci, simd_mismatch);
        CS_CHECK(simd_budget_mismatch == 0,
                 "corpus %zu: budgeted search, AVX2 = portable: same answer, work and flag (%d mismatches)", ci,
                 simd_budget_mismatch);
        CS_CHECK(budget_unproved == 0 && budget_unlabelled == 0 && budget_over == 0,
                 "corpus %zu: budgeted search: exact whenever the budget lasts, a unit of the label always, work <= "
                 "budget + one descent (%d, %d, %d); = exact on %d/%d",
                 ci, budget_unproved, budget_unlabelled, budget_over, budget_same, queries);
        CS_CHECK(ref_far == 0, "corpus %zu: index = double reference up to float near-ties (%d far, %d near-ties)", ci,
                 ref_far, ties);
        /* empty label, single-unit label, out-of-range labels */
        cs_select_target t;
        memset(&t, 0, sizeof t);
        t.full = full;
        t.full_len = c.d;
        for (uint32_t j = 0; j < c.d; ++j)
            full[j] = 0.5f;
        CS_CHECK(cs_ut_label_count(&c.v, 1, NULL) == 0 && cs_select_nearest(&c.v, 1, &t) == -1, "empty label: -1");
        CS_CHECK(cs_ut_label_count(&c.v, 2, NULL) == 1 && cs_select_nearest(&c.v, 2, &t) == (int32_t)(c.n / 2),
                 "single-unit label gives its unit");
        CS_CHECK(cs_select_nearest(&c.v, (int32_t)c.k, &t) == -1, "label out of range: -1");
        for (uint32_t j = 0; j < c.d; ++j)
            full[j] = NAN;
        CS_CHECK(cs_select_nearest(&c.v, 0, &t) == cs_select_nearest_brute(&c.v, 0, &t), "all-NaN target: lowest unit");
        corpus_free(&c);
    }
}

/*
 * Issue 12 item 2: NEAREST without a label (label < 0) is one best-first search over every label's tree with one
 * queue and one budget. Exact (budget 0): bit for bit the brute force over all units (and the scan) on random
 * targets of every kind, with AVX2 and portable kernels, on tables of 8 to 600 labels (more labels than the queue
 * holds: roots and nodes pushed out of the full queue are scanned at once). Budgeted: the work stays within the
 * budget plus one descent (before, label < 0 scanned every unit: the work was num_units), every answer not marked
 * exhausted is the exact one, and a table without an index scans under the same budget. A budget too large to run
 * out still drops queue entries on 600 labels: answers not marked approximate are exact there too.
 */
static void test_all(void)
{
    const corpus_case cases[] = {
        {6000, 24, 8, 32, 1}, {5000, 12, 600, 8, 1}, {3000, 5, 40, 1, 0}, {4000, 24, 600, 3, 0}};
    /* a valid tree (at most 25 levels): its first descent, then the step that crosses the budget */
    const uint32_t slack = 25u * CS_SELECT_WORK_LEVEL + CS_SELECT_WORK_LEVEL + CS_SELECT_WORK_DROP + CS_SELECT_WORK_POP;
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ++ci) {
        corpus c;
        if (make_case(&c, &cases[ci], 900 + ci, "all-labels corpus", ci)) continue;
        cs_ut_view plain = c.v;
        plain.index_nodes = NULL;
        cs_rng g;
        cs_rng_seed(&g, 31 + ci);
        int exact_bad = 0, exact_flag = 0, scan_bad = 0, over = 0, unproved = 0, same = 0, plain_over = 0;
        int plain_unproved = 0, huge_unproved = 0, huge_exact = 0;
        uint32_t max_work = 0;
        const int Q = 400;
        float full[64];
        for (int q = 0; q < Q; ++q) {
            const cs_select_target t = random_target(&g, &c, q % 5, full);
            cs_select_simd(q & 1);
            cs_select_nearest_info e, b, p, h;
            const int32_t ref = cs_select_nearest_brute(&c.v, -1, &t);
            const int32_t ue = cs_select_nearest_budget(&c.v, -1, &t, 0, &e);
            exact_bad += ue != ref;
            exact_flag += e.exhausted;
            scan_bad += cs_select_nearest_scan(&c.v, -1, &t) != ref;
            const int32_t ub = cs_select_nearest_budget(&c.v, -1, &t, CS_SELECT_NEAREST_BUDGET, &b);
            over += b.work > CS_SELECT_NEAREST_BUDGET + slack;
            max_work = b.work > max_work ? b.work : max_work;
            unproved += ub != ref && !b.exhausted;
            same += ub == ref;
            const int32_t up = cs_select_nearest_budget(&plain, -1, &t, CS_SELECT_NEAREST_BUDGET, &p);
            plain_over += p.work > CS_SELECT_NEAREST_BUDGET + 64u || up < 0;
            plain_unproved += up != ref && !p.exhausted;
            const int32_t uh = cs_select_nearest_budget(&c.v, -1, &t, 1u << 30, &h);
            huge_unproved += uh != ref && !h.exhausted;
            huge_exact += uh == ref && !h.exhausted;
        }
        CS_CHECK(exact_bad == 0 && exact_flag == 0 && scan_bad == 0,
                 "all-labels corpus %zu (%u labels): label < 0 exact = brute force on %d/%d, scan %d wrong", ci,
                 cases[ci].k, Q - exact_bad, Q, scan_bad);
        CS_CHECK(over == 0 && unproved == 0,
                 "all-labels corpus %zu: budgeted label < 0: work <= budget + one descent (%d over, max %u), exact "
                 "unless exhausted (%d not); = exact on %d/%d",
                 ci, over, max_work, unproved, same, Q);
        CS_CHECK(plain_over == 0 && plain_unproved == 0,
                 "all-labels corpus %zu: no index: budgeted scan (%d over, %d unproved)", ci, plain_over,
                 plain_unproved);
        CS_CHECK(huge_unproved == 0 && huge_exact > Q / 2,
                 "all-labels corpus %zu: budget 2^30: exact unless marked (%d not), proved exact on %d/%d", ci,
                 huge_unproved, huge_exact, Q);
        printf("all-labels corpus %zu (%u units, %u labels): budgeted = exact on %d/%d, max work %u; budget 2^30 "
               "proved exact on %d/%d\n",
               ci, cases[ci].n, cases[ci].k, same, Q, max_work, huge_exact, Q);
        corpus_free(&c);
    }
    cs_select_simd(1);
}

/*
 * Issue 14 item 2: a table of more than 479 000 units (600 001 x 27 descriptors: the rows alone are 21 million
 * floats, so the labels, members and index offsets are beyond 2^24, where a plain float no longer holds them) is
 * encoded, indexed, fully checked (at once and resumably, as ConcatPlay does) and selects exactly: nearest =
 * brute force, labels and members read back at indices near the end. With the version 1 header the encoded
 * offsets were rounded and the table did not parse.
 */
static void test_large(void)
{
    corpus c;
    CS_CHECK(make_corpus(&c, 600001, 27, 16, CS_INDEX_DEFAULT_LEAF, 479, 1) == 0,
             "600 001-unit table built, indexed and fully checked");
    if (!c.table) return;
    const size_t loff = (size_t)(c.v.labels - c.table), ooff = (size_t)(c.v.index_order - c.table);
    CS_CHECK(loff > 16777216u && ooff > 16777216u && (size_t)(c.v.index_nodes - c.table) > 16777216u,
             "section offsets beyond 2^24 (labels %zu, order %zu)", loff, ooff);
    cs_ut_check chk;
    cs_ut_check_begin(&chk);
    int r = CS_UT_CHECK_MORE, steps = 0;
    while (r == CS_UT_CHECK_MORE)
        r = cs_ut_check_step(&c.v, &chk, 1u << 20), steps++;
    CS_CHECK(r == CS_UT_OK && steps > 10, "resumable check: %d after %d steps", r, steps);
    uint64_t total = 0;
    int bad_members = 0;
    for (uint32_t l = 0; l < c.k; ++l) {
        uint32_t first = 0;
        const uint32_t count = cs_ut_label_count(&c.v, (int32_t)l, &first);
        total += count;
        for (uint32_t i = 0; i < count; ++i)
            bad_members += cs_ut_unit_label(&c.v, (uint32_t)cs_ut_member(&c.v, first + i)) != (int32_t)l;
    }
    CS_CHECK(total == c.n && bad_members == 0, "every unit in its label's members (%d wrong)", bad_members);
    CS_CHECK(cs_ut_unit_start(&c.v, c.n - 1) == (uint64_t)(c.n - 1) * 100 && cs_ut_unit_length(&c.v, c.n - 1) == 100 &&
                 cs_ut_unit_label(&c.v, c.n / 2) == 2,
             "the last rows read back");
    cs_rng g;
    cs_rng_seed(&g, 5);
    int mismatch = 0, queries = 0;
    float full[27];
    for (int q = 0; q < 12; ++q) {
        cs_select_target t;
        memset(&t, 0, sizeof t);
        for (uint32_t j = 0; j < c.d; ++j)
            full[j] = (float)cs_rng_normal(&g) * 2.0f;
        t.full = full;
        t.full_len = c.d;
        const int32_t labels[4] = {0, 2, (int32_t)(3 + cs_rng_below(&g, c.k - 3)), (int32_t)c.k - 1};
        for (int i = 0; i < 4; ++i, ++queries)
            mismatch +=
                cs_select_nearest_budget(&c.v, labels[i], &t, 0, NULL) != cs_select_nearest_brute(&c.v, labels[i], &t);
    }
    CS_CHECK(mismatch == 0, "600 001 units: index = brute force on %d/%d queries", queries - mismatch, queries);
    corpus_free(&c);
}

static void test_corrupt(void)
{
    corpus c;
    CS_CHECK(make_corpus(&c, 2000, 8, 6, 4, 99, 1) == 0, "corpus");
    if (!c.table) return;
    float *t = malloc(c.table_n * sizeof *t);
    cs_ut_view v;
    const size_t po = (size_t)c.v.index_nodes - (size_t)c.v.data;
    const size_t P = po / sizeof(float), S = c.v.index_stride;
    /* 1. a leaf box that misses its units: shrink hi of every leaf of label 0 */
    memcpy(t, c.table, c.table_n * sizeof *t);
    for (uint32_t i = 0; i < c.v.index_num_nodes; ++i)
        if (t[P + i * S + CS_UT_N_SIZE] == 1.0f) t[P + i * S + CS_UT_N_BOX + 8 + 0] = t[P + i * S + CS_UT_N_BOX + 0];
    CS_CHECK(cs_ut_parse(t, c.table_n, 1, &v) == CS_UT_E_VALUES, "a box that misses a unit is rejected");
    /* 2. a broken tree: subtree sizes and child ranges scrambled */
    memcpy(t, c.table, c.table_n * sizeof *t);
    t[P + 0 * S + CS_UT_N_SIZE] = 2.0f;
    t[P + 1 * S + CS_UT_N_BEGIN] = 5.0f;
    CS_CHECK(cs_ut_parse(t, c.table_n, 1, &v) == CS_UT_E_VALUES, "a broken tree is rejected");
    /* a negative subtree size in a left child (found by fuzz_unit_table: converted to unsigned before its check,
     * undefined behaviour that UBSan reports) */
    memcpy(t, c.table, c.table_n * sizeof *t);
    t[P + 1 * S + CS_UT_N_SIZE] = -16.0f;
    CS_CHECK(cs_ut_parse(t, c.table_n, 1, &v) == CS_UT_E_VALUES, "a negative subtree size is rejected");
    /* and a negative count in a right child (the same fault, a line further) */
    memcpy(t, c.table, c.table_n * sizeof *t);
    const size_t right = 1 + (size_t)t[P + 1 * S + CS_UT_N_SIZE];
    t[P + right * S + CS_UT_N_COUNT] = -2.0f;
    CS_CHECK(cs_ut_parse(t, c.table_n, 1, &v) == CS_UT_E_VALUES, "a negative count of a right child is rejected");
    /* unchecked, the same corruption is read safely: a unit of the label comes back */
    CS_CHECK(cs_ut_parse(t, c.table_n, 0, &v) == CS_UT_OK, "header-only parse accepts it");
    float full[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    cs_select_target tg;
    memset(&tg, 0, sizeof tg);
    tg.full = full;
    tg.full_len = 8;
    int ok = 1;
    for (uint32_t l = 0; l < 6; ++l) {
        const int32_t a = cs_select_nearest(&v, (int32_t)l, &tg);
        if (cs_ut_label_count(&v, (int32_t)l, NULL) > 0 && (a < 0 || cs_ut_unit_label(&v, (uint32_t)a) != (int32_t)l))
            ok = 0;
    }
    CS_CHECK(ok, "a corrupted, unchecked index still returns a unit of the label");
    /* 3. garbage everywhere in the node section (unchecked): no crash, answers in the label or -1 */
    memcpy(t, c.table, c.table_n * sizeof *t);
    cs_rng g;
    cs_rng_seed(&g, 5);
    for (size_t i = P; i < c.table_n; ++i)
        t[i] = (float)cs_rng_normal(&g) * 1e4f;
    CS_CHECK(cs_ut_parse(t, c.table_n, 1, &v) != CS_UT_OK, "garbage nodes are rejected by the full check");
    CS_CHECK(cs_ut_parse(t, c.table_n, 0, &v) == CS_UT_OK, "and pass the header-only parse");
    ok = 1;
    for (uint32_t l = 0; l < 6; ++l) {
        const int32_t a = cs_select_nearest(&v, (int32_t)l, &tg);
        if (a >= 0 && cs_ut_unit_label(&v, (uint32_t)a) != (int32_t)l) ok = 0;
    }
    CS_CHECK(ok, "garbage index: no crash, never a unit of another label");
    /* 4. a table without the index (field 15 = 0) still parses and selects by scan, same answers */
    cs_ut_view v0;
    CS_CHECK(cs_ut_parse(c.base, c.base_n, 1, &v0) == CS_UT_OK && v0.index_nodes == NULL, "table without index");
    CS_CHECK(cs_select_nearest(&v0, 0, &tg) == cs_select_nearest(&c.v, 0, &tg), "same answer without the index");
    /* 5. truncated index section */
    CS_CHECK(cs_ut_parse(c.table, c.table_n - 1, 0, &v) == CS_UT_E_SHORT, "truncated index: short");
    free(t);
    corpus_free(&c);
}

/* The table `c` with its index rewritten as index version 2 (a 10-float index header, no rows section), as
 * bundles before issue 12 item 2 carried it (the table has no listening section: make_corpus adds none). */
static float *as_index_v2(const corpus *c, size_t *n2)
{
    const size_t x = (size_t)(c->v.index_roots - c->table) - CS_UT_INDEX_HEADER;
    const size_t K = c->v.num_labels, N = c->v.num_units, S = c->v.index_stride, P = c->v.index_num_nodes;
    *n2 = x + CS_UT_INDEX_HEADER_V2 + 2 * K + N + P * S;
    float *t = malloc(*n2 * sizeof *t);
    memcpy(t, c->table, (x + CS_UT_INDEX_HEADER_V2) * sizeof *t);
    t[x + CS_UT_X_VERSION] = (float)CS_UT_INDEX_VERSION_2;
    t[x + 9] = 0.0f; /* reserved in version 2 */
    const size_t oo = x + CS_UT_INDEX_HEADER_V2 + 2 * K, po = oo + N;
    t[x + CS_UT_X_ORDER_OFFSET_HI] = (float)(oo / 65536), t[x + CS_UT_X_ORDER_OFFSET_LO] = (float)(oo % 65536);
    t[x + CS_UT_X_NODES_OFFSET_HI] = (float)(po / 65536), t[x + CS_UT_X_NODES_OFFSET_LO] = (float)(po % 65536);
    memcpy(t + x + CS_UT_INDEX_HEADER_V2, c->v.index_roots, (2 * K + N + P * S) * sizeof *t);
    for (size_t i = 0; i < P; ++i)
        t[po + i * S + CS_UT_N_SPLIT] = 0.0f; /* node field 3: reserved before version 5 */
    return t;
}

/* The table `c` (index version 5) with its rows section rewritten row by row as index version 3 (issue 12 item 2,
 * before the blocks): order entry i's descriptors at R + i * D, the section N * D floats long. */
static float *as_index_v3(const corpus *c, size_t *n3)
{
    const size_t r = (size_t)(c->v.index_rows - c->table), N = c->v.num_units, D = c->v.num_descriptors;
    *n3 = r + N * D;
    float *t = malloc(*n3 * sizeof *t);
    memcpy(t, c->table, r * sizeof *t);
    t[(size_t)(c->v.index_roots - c->table) - CS_UT_INDEX_HEADER + CS_UT_X_VERSION] = (float)CS_UT_INDEX_VERSION_3;
    for (size_t i = 0; i < c->v.index_num_nodes; ++i) /* node field 3: reserved before version 5 */
        t[(size_t)(c->v.index_nodes - c->table) + i * c->v.index_stride + CS_UT_N_SPLIT] = 0.0f;
    for (size_t i = 0; i < N; ++i)
        for (uint32_t j = 0; j < D; ++j)
            t[r + i * D + j] = c->v.index_rows[cs_ut_index_row_at(i, j, (uint32_t)D)];
    return t;
}

/*
 * Index versions 4, 5 (issue 12 item 2): the rows section holds every order entry's descriptors in blocks of 8 entries
 * column by column, +0 past the last unit (the full check compares them bit for bit, and rejects a changed one or
 * a non-zero padding lane); version 3 (row by row) and version 2 (no rows section) indexes are still read and give
 * the same exact answers; an unchecked garbage rows section gives a unit of the label or -1, never a crash.
 */
/* The table of c as index version 4 (the same layout; node field 3 reserved, 0). Caller frees. */
static float *as_index_v4(const corpus *c)
{
    float *t = malloc(c->table_n * sizeof *t);
    memcpy(t, c->table, c->table_n * sizeof *t);
    t[(size_t)(c->v.index_roots - c->table) - CS_UT_INDEX_HEADER + CS_UT_X_VERSION] = (float)CS_UT_INDEX_VERSION_4;
    const size_t p = (size_t)(c->v.index_nodes - c->table);
    for (uint32_t n = 0; n < c->v.index_num_nodes; ++n)
        t[p + (size_t)n * c->v.index_stride + CS_UT_N_SPLIT] = 0.0f;
    return t;
}

static void test_versions(void)
{
    corpus c;
    CS_CHECK(make_corpus(&c, 2500, 12, 7, 8, 31, 1) == 0, "corpus");
    if (!c.table) return;
    CS_CHECK(c.v.index_version == CS_UT_INDEX_VERSION && c.v.index_version == 5 && c.v.index_rows != NULL,
             "analyze's index is version 5");
    const uint32_t D = c.v.num_descriptors;
    int rows_ok = 1;
    for (uint32_t i = 0; i < c.n && rows_ok; ++i)
        for (uint32_t j = 0; j < D; ++j)
            rows_ok &= memcmp(c.v.index_rows + (size_t)(i / 8) * 8 * D + 8 * j + i % 8,
                              cs_ut_unit_descriptors(&c.v, (uint32_t)c.v.index_order[i]) + j, sizeof(float)) == 0;
    CS_CHECK(rows_ok && c.n % 8 != 0, "rows section = the units' descriptors in tree order, 8 entries a block");
    const size_t rows_n = cs_ut_index_rows_size(c.n, D);
    CS_CHECK(rows_n == (size_t)(c.n + 7) / 8 * 8 * D && (size_t)(c.v.index_rows - c.table) + rows_n == c.table_n,
             "the rows section is ceil(N / 8) blocks of 8 D floats, the end of the table");
    int pad_zero = 1;
    for (uint32_t i = c.n; i % 8 != 0; ++i)
        for (uint32_t j = 0; j < D; ++j)
            pad_zero &= c.v.index_rows[cs_ut_index_row_at(i, j, D)] == 0.0f &&
                        !signbit(c.v.index_rows[cs_ut_index_row_at(i, j, D)]);
    CS_CHECK(pad_zero, "the lanes past the last unit are +0");
    {
        float *tp = malloc(c.table_n * sizeof *tp);
        memcpy(tp, c.table, c.table_n * sizeof *tp);
        const size_t r = (size_t)(c.v.index_rows - c.table);
        cs_ut_view vp;
        tp[r + cs_ut_index_row_at(c.n, D - 1, D)] = -0.0f; /* a padding lane: -0 */
        CS_CHECK(cs_ut_parse(tp, c.table_n, 1, &vp) == CS_UT_E_VALUES, "a padding lane of -0: rejected");
        tp[r + cs_ut_index_row_at(c.n, D - 1, D)] = NAN;
        CS_CHECK(cs_ut_parse(tp, c.table_n, 1, &vp) == CS_UT_E_VALUES, "a padding lane of NaN: rejected");
        CS_CHECK(cs_ut_parse(tp, c.table_n - 1, 0, &vp) == CS_UT_E_SHORT, "a truncated rows section: short");
        free(tp);
    }
    size_t n3 = 0;
    float *t3v = as_index_v3(&c, &n3);
    cs_ut_view v3v;
    CS_CHECK(cs_ut_parse(t3v, n3, 1, &v3v) == CS_UT_OK && v3v.index_version == CS_UT_INDEX_VERSION_3 &&
                 v3v.index_rows != NULL,
             "a version 3 index parses and passes the full check");
    t3v[(size_t)(v3v.index_rows - t3v) + 7 * D + 1] += 0.5f;
    CS_CHECK(cs_ut_parse(t3v, n3, 1, &v3v) == CS_UT_E_VALUES, "a version 3 rows entry unlike its row: rejected");
    t3v[(size_t)(v3v.index_rows - t3v) + 7 * D + 1] -= 0.5f;
    CS_CHECK(cs_ut_parse(t3v, n3, 1, &v3v) == CS_UT_OK, "restored");
    size_t n2 = 0;
    float *t2 = as_index_v2(&c, &n2);
    cs_ut_view v2;
    CS_CHECK(cs_ut_parse(t2, n2, 1, &v2) == CS_UT_OK && v2.index_version == CS_UT_INDEX_VERSION_2 &&
                 v2.index_rows == NULL && v2.index_nodes != NULL,
             "a version 2 index parses and passes the full check");
    cs_rng g;
    cs_rng_seed(&g, 77);
    float full[12];
    const cs_select_target t = full_target(full, D);
    int same = 0, total = 0;
    for (int q = 0; q < 300; ++q) {
        for (uint32_t j = 0; j < D; ++j)
            full[j] = (float)cs_rng_normal(&g) * 2.0f;
        for (uint32_t l = 0; l < c.k; ++l, ++total)
            same +=
                cs_select_nearest_budget(&v2, (int32_t)l, &t, 0, NULL) ==
                    cs_select_nearest_budget(&c.v, (int32_t)l, &t, 0, NULL) &&
                cs_select_nearest_budget(&v2, (int32_t)l, &t, 0, NULL) == cs_select_nearest_brute(&v2, (int32_t)l, &t);
    }
    CS_CHECK(same == total, "version 2 index: exact answers = version 5 = brute force on %d/%d", same, total);
    int same3 = 0, total3 = 0;
    for (int q = 0; q < 300; ++q) {
        for (uint32_t j = 0; j < D; ++j)
            full[j] = (float)cs_rng_normal(&g) * 2.0f;
        for (int32_t l = -1; l < (int32_t)c.k; ++l, ++total3)
            same3 += cs_select_nearest_budget(&v3v, l, &t, 0, NULL) == cs_select_nearest_budget(&c.v, l, &t, 0, NULL) &&
                     cs_select_nearest_budget(&v3v, l, &t, CS_SELECT_NEAREST_BUDGET, NULL) ==
                         cs_select_nearest_budget(&c.v, l, &t, CS_SELECT_NEAREST_BUDGET, NULL) &&
                     cs_select_nearest_budget(&c.v, l, &t, 0, NULL) == cs_select_nearest_brute(&c.v, l, &t);
    }
    CS_CHECK(same3 == total3, "version 3 index: exact and budgeted answers = version 5's, exact = brute, on %d/%d",
             same3, total3);
    free(t3v);
    /* version 4 (no split dimensions): the same search, answer for answer and work for work (the search does not
     * read field 3); and version 5 with field 3 written since its check (out of range, NaN): the same again */
    float *t4 = as_index_v4(&c);
    cs_ut_view v4v;
    CS_CHECK(cs_ut_parse(t4, c.table_n, 1, &v4v) == CS_UT_OK && v4v.index_version == CS_UT_INDEX_VERSION_4,
             "a version 4 index parses and passes the full check");
    float *t5 = malloc(c.table_n * sizeof *t5);
    memcpy(t5, c.table, c.table_n * sizeof *t5);
    cs_ut_view v5w;
    CS_CHECK(cs_ut_parse(t5, c.table_n, 1, &v5w) == CS_UT_OK, "the version 5 copy parses");
    for (uint32_t n = 0; n < c.v.index_num_nodes; ++n)
        t5[(size_t)(c.v.index_nodes - c.table) + (size_t)n * c.v.index_stride + CS_UT_N_SPLIT] =
            n % 3 == 0 ? NAN : (n % 3 == 1 ? 1e9f : -5.0f);
    int same4 = 0, total4 = 0;
    for (int q = 0; q < 300; ++q) {
        for (uint32_t j = 0; j < D; ++j)
            full[j] = (float)cs_rng_normal(&g) * 2.0f;
        for (int32_t l = -1; l < (int32_t)c.k; ++l, ++total4) {
            cs_select_nearest_info i5, i4, iw;
            const int32_t a5 = cs_select_nearest_budget(&c.v, l, &t, 600, &i5);
            const int32_t a4 = cs_select_nearest_budget(&v4v, l, &t, 600, &i4);
            const int32_t aw = cs_select_nearest_budget(&v5w, l, &t, 600, &iw);
            same4 += a5 == a4 && a5 == aw && i5.work == i4.work && i5.work == iw.work &&
                     cs_select_nearest_budget(&v4v, l, &t, 0, NULL) == cs_select_nearest_brute(&v4v, l, &t);
        }
    }
    CS_CHECK(same4 == total4,
             "version 4 index and version 5 with field 3 overwritten: budgeted answers and work = version 5's, exact "
             "= brute, on %d/%d",
             same4, total4);
    free(t4);
    free(t5);
    const size_t x2 = (size_t)(v2.index_roots - t2) - CS_UT_INDEX_HEADER_V2;
    CS_CHECK(cs_ut_parse(t2, n2 - 1, 0, &v2) == CS_UT_E_SHORT, "truncated version 2 index: short");
    t2[x2 + CS_UT_X_VERSION] = 6.0f;
    CS_CHECK(cs_ut_parse(t2, n2, 0, &v2) == CS_UT_E_DIMS, "index version 6: refused");
    free(t2);
    /* one float of the rows section changed: the full check rejects it, a resumable one too */
    float *t3 = malloc(c.table_n * sizeof *t3);
    memcpy(t3, c.table, c.table_n * sizeof *t3);
    const size_t r = (size_t)(c.v.index_rows - c.table);
    t3[r + cs_ut_index_row_at(5, 3, D)] += 0.25f;
    cs_ut_view v3;
    CS_CHECK(cs_ut_parse(t3, c.table_n, 1, &v3) == CS_UT_E_VALUES, "a rows entry unlike its unit's row: rejected");
    CS_CHECK(cs_ut_parse(t3, c.table_n, 0, &v3) == CS_UT_OK, "header-only parse accepts it");
    cs_ut_check chk;
    cs_ut_check_begin(&chk);
    int res = CS_UT_CHECK_MORE;
    while (res == CS_UT_CHECK_MORE)
        res = cs_ut_check_step(&v3, &chk, 1000);
    CS_CHECK(res == CS_UT_E_VALUES, "the resumable check rejects it too");
    /* garbage rows, unchecked: answers in the label, the budget bounds the work */
    for (size_t i = r; i < r + rows_n; ++i)
        t3[i] = (i % 7 == 0) ? NAN : (float)cs_rng_normal(&g) * 1e30f;
    int ok = 1;
    for (uint32_t l = 0; l < c.k; ++l) {
        cs_select_nearest_info info;
        const int32_t a = cs_select_nearest_budget(&v3, (int32_t)l, &t, CS_SELECT_NEAREST_BUDGET, &info);
        if ((a >= 0 && cs_ut_unit_label(&v3, (uint32_t)a) != (int32_t)l) ||
            info.work > CS_SELECT_NEAREST_BUDGET + CS_SELECT_NEAREST_SLACK)
            ok = 0;
    }
    CS_CHECK(ok, "garbage rows section: answers of the label, work within the budget");
    free(t3);
    corpus_free(&c);
}

/* The budget: a large label (about 8 000 units x 24 uniform descriptors, where exact search needs far more work) runs
 * out, stays within the budget plus one descent, keeps a unit of the label, and a larger budget never gives a
 * farther answer. Without the budget (0) the answer is exact. */
static void test_budget(void)
{
    corpus c;
    CS_CHECK(make_corpus(&c, 20000, 24, 4, 32, 12, 0) == 0, "corpus");
    if (!c.table) return;
    cs_rng g;
    cs_rng_seed(&g, 3);
    float full[24];
    const cs_select_target t = full_target(full, 24);
    int ran_out = 0, within = 0, labelled = 0, monotone = 0, exact = 0;
    const int Q = 60;
    for (int q = 0; q < Q; ++q) {
        for (uint32_t j = 0; j < 24; ++j)
            full[j] = cs_rng_uniform(&g) * 4.0f - 2.0f;
        cs_select_nearest_info a, b, e;
        const int32_t ua = cs_select_nearest_budget(&c.v, 0, &t, 256, &a);
        const int32_t ub = cs_select_nearest_budget(&c.v, 0, &t, 4096, &b);
        const int32_t ue = cs_select_nearest_budget(&c.v, 0, &t, 0, &e);
        ran_out += a.exhausted;
        within += a.work <= 256 + 200 && b.work <= 4096 + 200;
        labelled += ua >= 0 && cs_ut_unit_label(&c.v, (uint32_t)ua) == 0;
        /* the kernel's distance of each answer (brute force over {ua, ub, ue} by restricted scans is not exposed:
         * compare through the double reference) */
        monotone += ref_distance(&c.v, (uint32_t)ub, &t) <= ref_distance(&c.v, (uint32_t)ua, &t) + 1e-6 &&
                    ref_distance(&c.v, (uint32_t)ue, &t) <= ref_distance(&c.v, (uint32_t)ub, &t) + 1e-6;
        exact += ue == cs_select_nearest_brute(&c.v, 0, &t) && !e.exhausted;
    }
    CS_CHECK(ran_out == Q, "budget 256 runs out on the 8000-unit label (%d/%d)", ran_out, Q);
    CS_CHECK(within == Q && labelled == Q, "work within budget + one descent (%d/%d), a unit of the label (%d/%d)",
             within, Q, labelled, Q);
    CS_CHECK(monotone == Q, "a larger budget never answers farther (%d/%d)", monotone, Q);
    CS_CHECK(exact == Q, "budget 0: exact (%d/%d)", exact, Q);
    corpus_free(&c);
}

int main(void)
{
    CS_CHECK(cs_index_nodes(0, 0, 8) == 0 && cs_index_nodes(0, 8, 8) == 1 && cs_index_nodes(0, 9, 8) == 3 &&
                 cs_index_nodes(0, 100, 8) == 25 && cs_index_nodes(3, 100, 8) == 25,
             "node counts of block-aligned splits");
    test_exact();
    test_all();
    test_large();
    test_corrupt();
    test_versions();
    test_budget();
    CS_TEST_END();
}
