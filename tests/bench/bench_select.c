/*
 * bench_select.c - NEAREST selection cost (plugins/core/cs_select.h): 100k units x 24 descriptors, 16 labels
 * of skewed sizes (the worst label holds ~25% of the units). Per query: the label-restricted scan with
 * partial-distance early exit (what ConcatPlay runs), the same scan over all units, and brute force over all
 * units (every distance in full, label tested per unit). Target: < 20 us per query in the worst label.
 * usage: bench_select [units] [descriptors] [queries]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cs_rng.h"
#include "cs_select.h"
#include "cs_unit_table.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    const uint32_t N = argc > 1 ? (uint32_t)atoi(argv[1]) : 100000, D = argc > 2 ? (uint32_t)atoi(argv[2]) : 24;
    const int Q = argc > 3 ? atoi(argv[3]) : 200;
    const uint32_t K = 16;
    cs_rng g;
    cs_rng_seed(&g, 42);
    uint64_t *st = malloc(N * sizeof *st), *ln = malloc(N * sizeof *ln);
    int32_t *lab = malloc(N * sizeof *lab), *src = calloc(N, sizeof *src), *succ = malloc(N * sizeof *succ);
    float *desc = malloc((size_t)N * D * sizeof *desc);
    for (uint32_t u = 0; u < N; ++u) {
        st[u] = (uint64_t)u * 4800;
        ln[u] = 4800;
        /* skewed: label 0 gets ~25%, the rest share the remainder */
        lab[u] = cs_rng_uniform(&g) < 0.25f ? 0 : 1 + (int32_t)cs_rng_below(&g, K - 1);
        succ[u] = u + 1 < N ? (int32_t)u + 1 : -1;
        for (uint32_t j = 0; j < D; ++j) desc[(size_t)u * D + j] = (float)cs_rng_normal(&g) + 0.3f * (float)lab[u];
    }
    for (uint32_t k = 0; k < K; ++k) lab[k] = (int32_t)k;
    const size_t tn = cs_ut_size(N, D, K);
    float *t = malloc(tn * sizeof(float));
    cs_ut_view v;
    if (cs_ut_encode(t, N, D, K, 1, -1, 48000, 1, (uint64_t)N * 4800, st, ln, lab, src, succ, desc) ||
        cs_ut_parse(t, tn, 0, &v)) {
        fprintf(stderr, "bench_select: table\n");
        return 1;
    }
    uint32_t worst = 0, wcount = 0;
    for (uint32_t k = 0; k < K; ++k) {
        uint32_t c = cs_ut_label_count(&v, (int32_t)k, NULL);
        if (c > wcount) wcount = c, worst = k;
    }
    cs_select_target *targets = malloc((size_t)Q * sizeof *targets);
    float *full = malloc((size_t)Q * D * sizeof *full);
    for (int q = 0; q < Q; ++q) {
        for (uint32_t j = 0; j < D; ++j) full[(size_t)q * D + j] = (float)cs_rng_normal(&g);
        targets[q].num_dims = 0;
        targets[q].full = full + (size_t)q * D;
        targets[q].full_len = D;
    }
    volatile int32_t sink = 0;
    int agree = 0;
    double t0 = now_s();
    for (int q = 0; q < Q; ++q) sink += cs_select_nearest(&v, (int32_t)worst, &targets[q]);
    const double label_us = (now_s() - t0) / Q * 1e6;
    t0 = now_s();
    for (int q = 0; q < Q; ++q) sink += cs_select_nearest(&v, -1, &targets[q]);
    const double all_us = (now_s() - t0) / Q * 1e6;
    t0 = now_s();
    for (int q = 0; q < Q; ++q) sink += cs_select_nearest_brute(&v, -1, &targets[q]);
    const double brute_us = (now_s() - t0) / Q * 1e6;
    t0 = now_s();
    for (int q = 0; q < Q; ++q) sink += cs_select_nearest_brute(&v, (int32_t)worst, &targets[q]);
    const double brute_label_us = (now_s() - t0) / Q * 1e6;
    for (int q = 0; q < Q && q < 50; ++q)
        agree += cs_select_nearest(&v, (int32_t)worst, &targets[q]) == cs_select_nearest_brute(&v, (int32_t)worst, &targets[q]);
    /* a 3-dimension target (pairs given as inputs) */
    cs_select_target few = {0};
    few.num_dims = 3;
    few.dim[0] = 0, few.dim[1] = 3, few.dim[2] = 9;
    t0 = now_s();
    for (int q = 0; q < Q; ++q) {
        few.value[0] = full[(size_t)q * D], few.value[1] = full[(size_t)q * D + 1], few.value[2] = full[(size_t)q * D + 2];
        sink += cs_select_nearest(&v, (int32_t)worst, &few);
    }
    const double few_us = (now_s() - t0) / Q * 1e6;
    printf("bench_select: %u units x %u descriptors, %u labels, worst label %u has %u units, %d queries\n", N, D,
           K, worst, wcount, Q);
    printf("  nearest in worst label (early exit):       %9.1f us/query   (target < 20 us)\n", label_us);
    printf("  nearest in worst label, 3-dim target:      %9.1f us/query\n", few_us);
    printf("  nearest over all units (early exit):       %9.1f us/query\n", all_us);
    printf("  brute force over all units (any label):    %9.1f us/query\n", brute_us);
    printf("  brute force over all units (label tested): %9.1f us/query\n", brute_label_us);
    printf("  ratio brute(all) / label scan: %.1fx; label scan agrees with brute force on %d/%d queries\n",
           brute_us / label_us, agree, Q < 50 ? Q : 50);
    (void)sink;
    free(st); free(ln); free(lab); free(src); free(succ); free(desc); free(t); free(targets); free(full);
    return 0;
}
