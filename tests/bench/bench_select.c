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
 * Every indexed answer is checked against brute force (the same float kernel: bit-exact agreement expected).
 * usage: bench_select [units] [queries] [leaf]
 */
#include "cs_cluster.h"
#include "cs_index.h"
#include "cs_rng.h"
#include "cs_select.h"
#include "cs_unit_table.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
    double med, p99;
} stats;

static stats summarise(double *t, int q)
{
    qsort(t, (size_t)q, sizeof *t, cmp_double);
    stats s = {t[q / 2] * 1e6, t[(int)((double)q * 0.99)] * 1e6};
    return s;
}

typedef int32_t (*nearest_fn)(const cs_ut_view *, int32_t, const cs_select_target *);

/* Time fn over the queries; labels[q] per query. Stores answers. */
static stats time_queries(nearest_fn fn, const cs_ut_view *v, const cs_select_target *tg, const int32_t *qlab, int Q,
                          int32_t *ans, double *scratch)
{
    for (int q = 0; q < Q; ++q) {
        const double t0 = now_s();
        ans[q] = fn(v, qlab[q], &tg[q]);
        scratch[q] = now_s() - t0;
    }
    return summarise(scratch, Q);
}

static int run_case(const char *name, const cs_ut_view *v, const cs_select_target *tg, const int32_t *qlab, int Q)
{
    int32_t *a_idx = malloc((size_t)Q * sizeof *a_idx), *a_scan = malloc((size_t)Q * sizeof *a_scan);
    int32_t *a_brute = malloc((size_t)Q * sizeof *a_brute), *a_all = malloc((size_t)Q * sizeof *a_all);
    int32_t *any = malloc((size_t)Q * sizeof *any);
    double *scratch = malloc((size_t)Q * sizeof *scratch);
    memset(any, 0xff, (size_t)Q * sizeof *any); /* -1: any label */
    const stats si = time_queries(cs_select_nearest, v, tg, qlab, Q, a_idx, scratch);
    const stats ss = time_queries(cs_select_nearest_scan, v, tg, qlab, Q, a_scan, scratch);
    const stats sb = time_queries(cs_select_nearest_brute, v, tg, qlab, Q, a_brute, scratch);
    const stats sa = time_queries(cs_select_nearest_brute, v, tg, any, Q, a_all, scratch);
    int agree = 0;
    for (int q = 0; q < Q; ++q)
        agree += a_idx[q] == a_brute[q] && a_scan[q] == a_brute[q];
    printf("  %s\n", name);
    printf("    index (k-d tree, label)          median %8.2f us  p99 %8.2f us\n", si.med, si.p99);
    printf("    label scan, early exit (before)  median %8.2f us  p99 %8.2f us\n", ss.med, ss.p99);
    printf("    brute force, label tested        median %8.2f us  p99 %8.2f us\n", sb.med, sb.p99);
    printf("    brute force over all units       median %8.2f us  p99 %8.2f us   (any label)\n", sa.med, sa.p99);
    printf("    speed-up of the index: %.0fx over the label scan, %.0fx over brute force; "
           "index = scan = brute force on %d/%d queries\n",
           ss.med / si.med, sa.med / si.med, agree, Q);
    free(a_idx), free(a_scan), free(a_brute), free(a_all), free(any), free(scratch);
    return agree == Q ? 0 : 1;
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
    for (int q = 0; q < Q; ++q) {
        memset(&tg[q], 0, sizeof tg[q]);
        tg[q].full = tq + (size_t)q * D;
        tg[q].full_len = D;
        qa[q] = (int32_t)cs_rng_below(&g, K);
        qb[q] = 0;
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
        free(few);
        free(t);
        free(xt);
    }
    printf("target: < 20 us per query; %s\n", bad ? "DISAGREEMENT between index and brute force" : "all answers exact");
    free(desc), free(tq), free(km), free(st), free(ln), free(lab), free(lab2), free(src), free(succ), free(tg);
    free(qa), free(qb);
    return bad;
}
