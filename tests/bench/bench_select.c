/*
 * bench_select.c - NEAREST selection cost (plugins/core/cs_select.h) among 100k units x 24 descriptors, with
 * the unit table's k-d tree index (corpus-tools/src/cs_index.h) beside the label scan and brute force over all
 * units, in the same run. Per-query times: median and 99th percentile (each query timed alone).
 *
 * Data: a 100k x 24 Gaussian mixture shaped like real descriptors: 48 components, x = R (s * (mu_c + 0.6 z)) with
 * mu_c, z ~ N(0, I), R a random rotation (so every descriptor is correlated with the others, as loudness, peak and
 * mfcc0 are) and s the standard deviations of the principal components measured on a real corpus (12k units of
 * 50 ms from 120 Hydrogen drum-kit samples and a11wlk01.wav, z-scored; relative to the first: 1, .76, .64, ...,
 * .04), then z-scored per dimension like the unit table. Targets are fresh draws from the same mixture.
 *   (a) realistic: K = 64 labels from k-means (cs_kmeans) over the units; each query asks a random label.
 *   (b) skewed: the worst case of a skewed labelling: label 0 holds a random 25% of the units (spread over the
 *       whole mixture), the others are the k-means labels of the rest; every query asks label 0.
 *   (a-) no label: the queries of (a) with label < 0 (the nearest unit of all 100k; the old search scans them).
 *   (real) optional: a bundle A (its units.wav) queried with the units of a bundle B analysed `--labels-from A`,
 *       each at its own label (tests/bench/run_select.sh: the lincity-ng tracks as 100 ms grains), then without one.
 * Methods, on every query, interleaved: the old search of 60b95c9 (tests/c/cs_select_ref.h), main 199a42b's exact
 * search and its budgeted search at its own budget (tests/bench/cs_select_nearest_199a42b.inc: ties of equal box
 * bounds by node, label < 0 ordered by box bound alone, 2048 units of its accounting, a level charged 4 distances)
 * on the same units indexed as 199a42b did (index version 4: halves, no split dimensions; cs_index_build_version),
 * the new exact search (AVX2 and portable kernels), the new budgeted search at the default budget
 * (cs_select_nearest_default_budget), the label scan. Per-query thread CPU time (us) of the first run: median, 99th
 * percentile, maximum, and the ratios old/new in the same run; then the same of each query's best of 3 runs (the
 * machine is shared: a co-runner's cache evictions inflate single runs; runs 2 and 3 also find the query's nodes and
 * rows in cache, so this is a warm-cache figure). The exact answers are checked against brute force (bit-exact
 * agreement expected); the budgeted one's agreement with it is the recall, also given for other budgets (untimed).
 * Last, the cost fit: every budgeted query's best-of-3 time fitted (least squares) to the operations it counted
 * (cs_select_nearest_info) - the measured costs behind cs_select.h's CS_SELECT_WORK_*.
 * usage: bench_select [units] [queries] [leaf] [BUNDLE_A BUNDLE_B]
 */
#include "cs_bundle.h"
#include "cs_cluster.h"
#include "cs_index.h"
#include "cs_rng.h"
#include "cs_select.h"
#include "cs_select_ref.h"
#include "cs_unit_table.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Main 199a42b's search, frozen for the "before" methods (tests/bench/cs_select_nearest_199a42b.inc: that commit's
 * plugins/core/cs_select_nearest.c with one change, its blocks test reading index versions 4 and 5), its public
 * functions renamed so that both searches link into this program and run on the same table, query by query. */
int32_t before_nearest_budget(const cs_ut_view *view, int32_t label, const cs_select_target *target, uint32_t budget,
                              cs_select_nearest_info *info);
int32_t before_nearest(const cs_ut_view *view, int32_t label, const cs_select_target *target);
int32_t before_nearest_scan(const cs_ut_view *view, int32_t label, const cs_select_target *target);
int32_t before_nearest_brute(const cs_ut_view *view, int32_t label, const cs_select_target *target);
int before_select_simd(int mode);
#define BEFORE_BUDGET            2048 /* 199a42b's CS_SELECT_NEAREST_BUDGET (its work units: a distance 1, a level 4) */
#define cs_select_nearest_budget before_nearest_budget
#define cs_select_nearest        before_nearest
#define cs_select_nearest_scan   before_nearest_scan
#define cs_select_nearest_brute  before_nearest_brute
#define cs_select_simd           before_select_simd
#include "cs_select_nearest_199a42b.inc"
#undef cs_select_nearest_budget
#undef cs_select_nearest
#undef cs_select_nearest_scan
#undef cs_select_nearest_brute
#undef cs_select_simd
#undef MAX_DIMS
#undef LANES

#define D          24
#define COMPONENTS 48
#define K          64

/* principal standard deviations measured on the real corpus described above (first 24 of 25) */
static const double spectrum[D] = {1.0,   0.756, 0.636, 0.555, 0.518, 0.46,  0.439, 0.416, 0.361, 0.313, 0.303, 0.281,
                                   0.268, 0.246, 0.23,  0.216, 0.202, 0.198, 0.172, 0.171, 0.121, 0.086, 0.07,  0.044};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Random rotation: Gram-Schmidt of a Gaussian matrix (rows orthonormal). */
static void rotation(cs_rng *g, double *R)
{
    for (int i = 0; i < D * D; ++i)
        R[i] = cs_rng_normal(g);
    for (int i = 0; i < D; ++i) {
        for (int k = 0; k < i; ++k) {
            double dot = 0;
            for (int j = 0; j < D; ++j)
                dot += R[i * D + j] * R[k * D + j];
            for (int j = 0; j < D; ++j)
                R[i * D + j] -= dot * R[k * D + j];
        }
        double nn = 0;
        for (int j = 0; j < D; ++j)
            nn += R[i * D + j] * R[i * D + j];
        nn = sqrt(nn);
        for (int j = 0; j < D; ++j)
            R[i * D + j] /= nn;
    }
}

/* One draw of the mixture (before normalisation) into x[D]. */
static void draw(cs_rng *g, const double *R, const double *mu, double *x)
{
    const int c = (int)cs_rng_below(g, COMPONENTS);
    double y[D];
    for (int i = 0; i < D; ++i)
        y[i] = spectrum[i] * (mu[c * D + i] + 0.6 * cs_rng_normal(g));
    for (int j = 0; j < D; ++j) {
        double a = 0;
        for (int i = 0; i < D; ++i)
            a += R[i * D + j] * y[i];
        x[j] = a;
    }
}

typedef struct stats {
    double med, p99, max;
} stats;

static stats summarise(double *t, int q)
{
    qsort(t, (size_t)q, sizeof *t, cmp_double);
    stats s = {t[q / 2], t[(int)((double)q * 0.99)], t[q - 1]};
    return s;
}

static double cpu_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec * 1e-3;
}

/* The searches compared, each on every query (interleaved, so that the load of the machine hits all alike). */
enum { M_OLD, M_BEFORE_EXACT, M_BEFORE_BUDGET, M_EXACT_AVX2, M_EXACT_C, M_BUDGET, M_BUDGET_C, M_SCAN, M_COUNT };
static const char *const method_name[M_COUNT] = {
    "old search (60b95c9: depth-first, rows via order)",
    "199a42b exact (its index v4, its search), AVX2",
    "199a42b budgeted (its budget), AVX2",
    "new exact, AVX2",
    "new exact, portable C kernels",
    "new budgeted (the default budget), AVX2",
    "new budgeted, portable C kernels",
    "label scan, new kernel, AVX2 (no index)",
};

/* The table of `v` with its index rebuilt as index version 4, as main 199a42b's `concatseq analyze` wrote it (children
 * of floor(count / 2), no split dimensions; cs_index_build_version), for 199a42b's search. Caller frees *buf. */
static int as_index_v4(const cs_ut_view *v, float **buf, cs_ut_view *v4)
{
    const size_t n = cs_index_table_size_version(v, v->index_leaf, CS_UT_INDEX_VERSION_4);
    float *t = n ? malloc(n * sizeof *t) : NULL;
    *buf = t;
    return !t || cs_index_build_version(v, v->index_leaf, CS_UT_INDEX_VERSION_4, t, n) ||
           cs_ut_parse(t, n, 1, v4) != CS_UT_OK || v4->index_version != CS_UT_INDEX_VERSION_4;
}

static int32_t run_method(int m, const cs_ut_view *v, const cs_ut_view *v4, int32_t label, const cs_select_target *t,
                          cs_select_nearest_info *info)
{
    cs_select_simd(m == M_EXACT_C || m == M_BUDGET_C ? 0 : 1);
    switch (m) {
    case M_OLD:
        return cs_select_nearest_ref(v, label, t);
    case M_BEFORE_EXACT:
        return before_nearest_budget(v4, label, t, 0, NULL);
    case M_BEFORE_BUDGET:
        return before_nearest_budget(v4, label, t, BEFORE_BUDGET, NULL);
    case M_EXACT_AVX2:
    case M_EXACT_C:
        return cs_select_nearest_budget(v, label, t, 0, NULL);
    case M_BUDGET:
    case M_BUDGET_C:
        return cs_select_nearest_budget(v, label, t, cs_select_nearest_default_budget(label), info);
    default:
        return cs_select_nearest_scan(v, label, t);
    }
}

/* Times every method on the queries (thread CPU time per query, us); checks the exact ones against brute force
 * and counts how often the budgeted answer is the exact one. Returns 0 when every exact answer agrees. */
/*
 * The cost of each operation of the search, measured: a least-squares fit of every budgeted query's time (best of 3,
 * us) over all cases to its counts (cs_select_nearest_info: 8-row block passes, descent levels, pops; and the roots
 * queued: the labels for label < 0, else 1) plus a constant. Accumulated by run_case, printed by fit_print.
 */
#define FIT_N 5
static double fit_ata[FIT_N][FIT_N], fit_atb[FIT_N];
static int fit_rows;

static void fit_add(const double *x4, double t)
{
    const double x[FIT_N] = {1.0, x4[0], x4[1], x4[2], x4[3]};
    for (int i = 0; i < FIT_N; ++i) {
        for (int j = 0; j < FIT_N; ++j)
            fit_ata[i][j] += x[i] * x[j];
        fit_atb[i] += x[i] * t;
    }
    fit_rows++;
}

static void fit_print(void)
{
    double a[FIT_N][FIT_N + 1];
    for (int i = 0; i < FIT_N; ++i) {
        for (int j = 0; j < FIT_N; ++j)
            a[i][j] = fit_ata[i][j];
        a[i][FIT_N] = fit_atb[i];
    }
    for (int c = 0; c < FIT_N; ++c) { /* Gauss-Jordan with partial pivoting */
        int p = c;
        for (int r = c + 1; r < FIT_N; ++r)
            if (fabs(a[r][c]) > fabs(a[p][c])) p = r;
        for (int j = 0; j <= FIT_N; ++j) {
            const double x = a[c][j];
            a[c][j] = a[p][j], a[p][j] = x;
        }
        if (fabs(a[c][c]) < 1e-12) {
            printf("cost fit: singular (too few kinds of queries)\n");
            return;
        }
        for (int r = 0; r < FIT_N; ++r) {
            if (r == c) continue;
            const double f = a[r][c] / a[c][c];
            for (int j = c; j <= FIT_N; ++j)
                a[r][j] -= f * a[c][j];
        }
    }
    double k[FIT_N];
    for (int i = 0; i < FIT_N; ++i)
        k[i] = a[i][FIT_N] / a[i][i];
    const double row = k[1] / 8.0; /* a row's share of a block pass */
    printf("cost fit over %d budgeted queries (best of 3, ns): constant %.0f, block pass %.1f (a row %.2f), descent "
           "level %.1f, pop %.1f, root %.1f; in rows: level %.1f, pop %.1f, root %.1f\n",
           fit_rows, 1e3 * k[0], 1e3 * k[1], 1e3 * row, 1e3 * k[2], 1e3 * k[3], 1e3 * k[4], k[2] / row, k[3] / row,
           k[4] / row);
}

static int run_case(const char *name, const cs_ut_view *v, const cs_select_target *tg, const int32_t *qlab, int Q)
{
    before_select_simd(1);
    float *buf4 = NULL;
    cs_ut_view v4view;
    if (as_index_v4(v, &buf4, &v4view)) {
        fprintf(stderr, "bench_select: the version 4 copy of the table cannot be built\n");
        free(buf4);
        return 1;
    }
    double *t[M_COUNT], *tmin[M_COUNT];
    int32_t *ans[M_COUNT];
    for (int m = 0; m < M_COUNT; ++m) {
        t[m] = malloc((size_t)Q * sizeof(double));
        tmin[m] = malloc((size_t)Q * sizeof(double));
        ans[m] = malloc((size_t)Q * sizeof(int32_t));
    }
    int agree = 0, recall = 0, exhausted = 0, recall_c = 0, recall_3 = 0;
    double fit_sum[3] = {0}, fit_x[FIT_N - 1] = {0};
    double work = 0;
    for (int q = 0; q < Q; ++q) {
        for (int k = 0; k < M_COUNT; ++k) {
            const int m = (q + k) % M_COUNT;
            cs_select_nearest_info info;
            const double t0 = cpu_us();
            ans[m][q] = run_method(m, v, &v4view, qlab[q], &tg[q], &info);
            t[m][q] = cpu_us() - t0;
            tmin[m][q] = t[m][q];
            for (int rep = 0; rep < 2; ++rep) { /* the query's best of 3: its cost without a co-runner's evictions */
                const double t1 = cpu_us();
                run_method(m, v, &v4view, qlab[q], &tg[q], NULL);
                const double dt = cpu_us() - t1;
                if (dt < tmin[m][q]) tmin[m][q] = dt;
            }
            if (m == M_BUDGET) {
                exhausted += info.exhausted, work += info.work;
                fit_sum[0] += info.blocks, fit_sum[1] += info.levels, fit_sum[2] += info.pops;
                fit_x[0] = info.blocks, fit_x[1] = info.levels, fit_x[2] = info.pops;
                fit_x[3] = qlab[q] < 0 ? v->num_labels : 1;
            }
        }
        fit_add(fit_x, tmin[M_BUDGET][q]);
        const int32_t b = cs_select_nearest_brute(v, qlab[q], &tg[q]);
        agree += ans[M_OLD][q] == b && ans[M_EXACT_AVX2][q] == b && ans[M_EXACT_C][q] == b && ans[M_SCAN][q] == b &&
                 ans[M_BEFORE_EXACT][q] == b;
        recall += ans[M_BUDGET][q] == b;
        recall_c += ans[M_BUDGET_C][q] == ans[M_BUDGET][q];
        recall_3 += ans[M_BEFORE_BUDGET][q] == b;
    }
    cs_select_simd(1);
    printf("  %s\n", name);
    stats st[M_COUNT], sm[M_COUNT];
    for (int m = 0; m < M_COUNT; ++m) {
        st[m] = summarise(t[m], Q);
        sm[m] = summarise(tmin[m], Q);
    }
    for (int m = 0; m < M_COUNT; ++m)
        printf("    %-52s median %7.2f us  p99 %7.2f us  max %7.2f us   old/this: median %5.1fx  p99 %5.1fx\n",
               method_name[m], st[m].med, st[m].p99, st[m].max, st[M_OLD].med / st[m].med, st[M_OLD].p99 / st[m].p99);
    printf("    best of 3 runs per query, us (median / p99 / max; old/this median):\n");
    for (int m = 0; m < M_COUNT; ++m)
        printf("      %-52s %7.2f / %7.2f / %7.2f   %5.1fx\n", method_name[m], sm[m].med, sm[m].p99, sm[m].max,
               sm[M_OLD].med / sm[m].med);
    printf("    199a42b / new, best of 3: exact median %.2fx; budgeted median %.2fx, p99 %.2fx, max %.2fx; "
           "199a42b budgeted = exact on %d/%d\n",
           sm[M_BEFORE_EXACT].med / sm[M_EXACT_AVX2].med, sm[M_BEFORE_BUDGET].med / sm[M_BUDGET].med,
           sm[M_BEFORE_BUDGET].p99 / sm[M_BUDGET].p99, sm[M_BEFORE_BUDGET].max / sm[M_BUDGET].max, recall_3, Q);
    printf("    portable/AVX2 (exact): median %.2fx; budgeted = exact on %d/%d queries (%.2f %%), budget ran out on "
           "%d, mean work %.0f; portable budgeted = AVX2 budgeted on %d/%d; old = new exact = scan = brute on "
           "%d/%d\n",
           st[M_EXACT_C].med / st[M_EXACT_AVX2].med, recall, Q, 100.0 * recall / Q, exhausted, work / Q, recall_c, Q,
           agree, Q);
    /* what the new budgeted search did, per query on average (the timed calls' counts) */
    printf("    new budgeted, per query: %.1f block passes, %.1f descent levels, %.1f pops, work %.0f\n",
           fit_sum[0] / Q, fit_sum[1] / Q, fit_sum[2] / Q, work / Q);
    /* recall against the exact answer for other budgets (untimed) */
    static const uint32_t budgets[] = {1024, 2048, 3072, 4096, 6144, 8192, 16384};
    printf("    recall by budget (budgeted = exact):");
    for (size_t b = 0; b < sizeof budgets / sizeof budgets[0]; ++b) {
        int same = 0;
        for (int q = 0; q < Q; ++q)
            same += cs_select_nearest_budget(v, qlab[q], &tg[q], budgets[b], NULL) == ans[M_EXACT_AVX2][q];
        printf("  %u: %.2f %%", budgets[b], 100.0 * same / Q);
    }
    printf("\n");
    for (int m = 0; m < M_COUNT; ++m)
        free(t[m]), free(tmin[m]), free(ans[m]);
    free(buf4);
    return agree == Q && recall_c == Q ? 0 : 1;
}

/* A real corpus: bundle A's table, queried with bundle B's units (analysed with `--labels-from A`: the same
 * normalisation), each at its own label (as ConcatPlay plays SeqPredict's label for a live sound's descriptors). */
static int run_real(const char *dir_a, const char *dir_b, int Q)
{
    char pa[4096], pb[4096];
    snprintf(pa, sizeof pa, "%s/units.wav", dir_a);
    snprintf(pb, sizeof pb, "%s/units.wav", dir_b);
    float *ta = NULL, *tb = NULL;
    size_t na = 0, nb = 0;
    int ch = 0, rate = 0;
    cs_ut_view va, vb;
    if (cs_read_float_wav(pa, &ta, &na, &ch, &rate) || cs_ut_parse(ta, na, 1, &va) ||
        cs_read_float_wav(pb, &tb, &nb, &ch, &rate) || cs_ut_parse(tb, nb, 1, &vb) ||
        va.num_descriptors != vb.num_descriptors || va.index_version < CS_UT_INDEX_VERSION_4) {
        fprintf(stderr, "bench_select: cannot read the tables %s and %s (index version 4 or 5, same descriptors)\n", pa,
                pb);
        return 1;
    }
    if ((uint32_t)Q > vb.num_units) Q = (int)vb.num_units;
    cs_select_target *tg = calloc((size_t)Q, sizeof *tg);
    int32_t *ql = malloc((size_t)Q * sizeof *ql);
    uint32_t mx = 0;
    for (uint32_t k = 0; k < va.num_labels; ++k)
        if (cs_ut_label_count(&va, (int32_t)k, NULL) > mx) mx = cs_ut_label_count(&va, (int32_t)k, NULL);
    for (int q = 0; q < Q; ++q) {
        const uint32_t u = (uint32_t)((uint64_t)q * vb.num_units / (uint32_t)Q);
        tg[q].full = cs_ut_unit_descriptors(&vb, u);
        tg[q].full_len = vb.num_descriptors;
        ql[q] = cs_ut_unit_label(&vb, u);
        if (ql[q] < 0 || (uint32_t)ql[q] >= va.num_labels || cs_ut_label_count(&va, ql[q], NULL) == 0)
            ql[q] = (int32_t)(q % va.num_labels);
    }
    char title[512];
    snprintf(title, sizeof title,
             "(real) %s: %u units x %u descriptors, %u labels (largest %u), index leaf %u; %d queries = the units of "
             "%s at their labels",
             dir_a, va.num_units, va.num_descriptors, va.num_labels, mx, va.index_leaf, Q, dir_b);
    int bad = run_case(title, &va, tg, ql, Q);
    /* the same queries on three descriptors given as pairs (loudness, centroid, flatness: ConcatPlay's target) */
    cs_select_target *few = calloc((size_t)Q, sizeof *few);
    for (int q = 0; q < Q; ++q) {
        const uint32_t dims[3] = {0, 3, 6};
        few[q].num_dims = 3;
        for (int i = 0; i < 3; ++i)
            few[q].dim[i] = dims[i], few[q].value[i] = tg[q].full[dims[i]];
    }
    bad |= run_case("(real') the same, a 3-descriptor target given as pairs (loudness, centroid, flatness)", &va, few,
                    ql, Q);
    int32_t *qn = malloc((size_t)Q * sizeof *qn);
    for (int q = 0; q < Q; ++q)
        qn[q] = -1;
    bad |= run_case("(real-) the same queries without a label (label < 0: nearest over every unit)", &va, tg, qn, Q);
    bad |= run_case("(real-') no label, the 3-descriptor target", &va, few, qn, Q);
    free(qn);
    free(few);
    free(ta), free(tb), free(tg), free(ql);
    return bad;
}

int main(int argc, char **argv)
{
    const uint32_t N = argc > 1 ? (uint32_t)atoi(argv[1]) : 100000;
    const int Q = argc > 2 ? atoi(argv[2]) : 2000;
    const uint32_t leaf = argc > 3 ? (uint32_t)atoi(argv[3]) : CS_INDEX_DEFAULT_LEAF;
    if (N < 1000 || Q < 10 || leaf < 1 || leaf > 4096) {
        fprintf(stderr, "usage: bench_select [units >= 1000] [queries >= 10] [leaf 1..4096]\n");
        return 2;
    }
    cs_rng g;
    cs_rng_seed(&g, 42);
    double R[D * D], mu[COMPONENTS * D], x[D];
    rotation(&g, R);
    for (int i = 0; i < COMPONENTS * D; ++i)
        mu[i] = cs_rng_normal(&g);
    float *desc = malloc((size_t)N * D * sizeof *desc), *tq = malloc((size_t)Q * D * sizeof *tq);
    double mean[D] = {0}, sd[D] = {0};
    for (uint32_t u = 0; u < N; ++u) {
        draw(&g, R, mu, x);
        for (int j = 0; j < D; ++j)
            desc[(size_t)u * D + j] = (float)x[j], mean[j] += x[j], sd[j] += x[j] * x[j];
    }
    for (int j = 0; j < D; ++j) {
        mean[j] /= N;
        sd[j] = sqrt(sd[j] / N - mean[j] * mean[j]);
    }
    for (size_t i = 0; i < (size_t)N * D; ++i)
        desc[i] = (float)(((double)desc[i] - mean[i % D]) / sd[i % D]);
    for (int q = 0; q < Q; ++q) {
        draw(&g, R, mu, x);
        for (int j = 0; j < D; ++j)
            tq[(size_t)q * D + j] = (float)((x[j] - mean[j]) / sd[j]);
    }
    int *km = malloc(N * sizeof *km);
    const double tk = now_s();
    if (cs_kmeans(desc, N, D, NULL, K, 1, 100, 1e-4, 1, 1, km, NULL, NULL) != 0) {
        fprintf(stderr, "bench_select: k-means failed\n");
        return 1;
    }
    const double kmeans_s = now_s() - tk;
    uint64_t *st = malloc(N * sizeof *st), *ln = malloc(N * sizeof *ln);
    int32_t *lab = malloc(N * sizeof *lab), *lab2 = malloc(N * sizeof *lab2), *src = calloc(N, sizeof *src);
    int32_t *succ = malloc(N * sizeof *succ);
    for (uint32_t u = 0; u < N; ++u) {
        st[u] = (uint64_t)u * 4800;
        ln[u] = 4800;
        succ[u] = u + 1 < N ? (int32_t)u + 1 : -1;
        lab[u] = km[u];
        lab2[u] = cs_rng_uniform(&g) < 0.25f ? 0 : 1 + km[u] % (K - 1);
    }
    cs_select_target *tg = malloc((size_t)Q * sizeof *tg);
    int32_t *qa = malloc((size_t)Q * sizeof *qa), *qb = malloc((size_t)Q * sizeof *qb);
    int32_t *qn = malloc((size_t)Q * sizeof *qn);
    for (int q = 0; q < Q; ++q) {
        memset(&tg[q], 0, sizeof tg[q]);
        tg[q].full = tq + (size_t)q * D;
        tg[q].full_len = D;
        qa[q] = (int32_t)cs_rng_below(&g, K);
        qb[q] = 0;
        qn[q] = -1;
    }
    printf("bench_select: %u units x %d descriptors (48-component mixture with a measured descriptor spectrum), "
           "%d queries, leaf %d; k-means K = %d took %.1f s\n",
           N, D, Q, leaf, K, kmeans_s);
    int bad = 0;
    for (int c = 0; c < 2; ++c) {
        const int32_t *L = c == 0 ? lab : lab2;
        const size_t tn = cs_ut_size(N, D, K);
        float *t = malloc(tn * sizeof *t);
        cs_ut_view v0, v;
        if (cs_ut_encode(t, N, D, K, 1, -1, 48000, 1, (uint64_t)N * 4800, st, ln, L, src, succ, desc) ||
            cs_ut_parse(t, tn, 1, &v0)) {
            fprintf(stderr, "bench_select: table\n");
            return 1;
        }
        const size_t xn = cs_index_table_size(&v0, leaf);
        float *xt = malloc(xn * sizeof *xt);
        const double tb = now_s();
        if (cs_index_build(&v0, leaf, xt, xn) || cs_ut_parse(xt, xn, 1, &v)) {
            fprintf(stderr, "bench_select: index\n");
            return 1;
        }
        const double build_s = now_s() - tb;
        uint32_t mn = N, mx = 0;
        for (uint32_t k = 0; k < K; ++k) {
            const uint32_t cnt = cs_ut_label_count(&v, (int32_t)k, NULL);
            if (cnt < mn) mn = cnt;
            if (cnt > mx) mx = cnt;
        }
        char title[256];
        snprintf(title, sizeof title,
                 "(%c) %s: label sizes %u..%u, index %u nodes, +%.0f%% table size, built in %.2f s", 'a' + c,
                 c == 0 ? "k-means K = 64, random label per query" : "skewed, worst label (label 0)", mn, mx,
                 v.index_num_nodes, 100.0 * (double)(xn - tn) / (double)tn, build_s);
        bad |= run_case(title, &v, tg, c == 0 ? qa : qb, Q);
        /* a 3-descriptor target given as (dimension, value) pairs, as ConcatPlay's inputs */
        cs_select_target *few = malloc((size_t)Q * sizeof *few);
        for (int q = 0; q < Q; ++q) {
            memset(&few[q], 0, sizeof few[q]);
            few[q].num_dims = 3;
            few[q].dim[0] = 0, few[q].dim[1] = 5, few[q].dim[2] = 11;
            for (int i = 0; i < 3; ++i)
                few[q].value[i] = tq[(size_t)q * D + few[q].dim[i]];
        }
        snprintf(title, sizeof title, "(%c') the same labels, 3-descriptor target given as pairs", 'a' + c);
        bad |= run_case(title, &v, few, c == 0 ? qa : qb, Q);
        if (c == 0) { /* no label: the nearest unit over all 100k (the old search scans every unit) */
            bad |= run_case("(a-) no label (label < 0): nearest over every unit, full target", &v, tg, qn, Q);
            bad |= run_case("(a-') no label, 3-descriptor target given as pairs", &v, few, qn, Q);
        }
        free(few);
        free(t);
        free(xt);
    }
    if (argc > 5) bad |= run_real(argv[4], argv[5], Q);
    fit_print();
    printf("targets: exact median <= 10 us, worst <= 20 us, budgeted = exact on >= 99 %%; %s\n",
           bad ? "DISAGREEMENT between an exact search and brute force" : "every exact answer agrees");
    free(desc), free(tq), free(km), free(st), free(ln), free(lab), free(lab2), free(src), free(succ), free(tg);
    free(qa), free(qb), free(qn);
    return bad;
}
