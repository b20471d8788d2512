/*
 * bench_ap.c - time of cs_affinity_propagation on a bundle's normalised descriptors (the matrix `analyze
 * --cluster ap` clusters), beside scikit-learn (tests/bench/bench_ap_sklearn.py, driver tests/bench/run_ap.sh).
 *
 * Usage: bench_ap BUNDLE [--write X.f32] [--labels OUT.txt] [--damping 0.5] [--max-iter 200]
 *                 [--convergence-iter 15] [--threads 2] [--seed 1]
 * Reads BUNDLE's unit table, takes each unit's normalised descriptors times sqrt(clustering weight) (so the
 * plain squared distance is analyze's weighted one), optionally writes them (raw little-endian float32,
 * row-major (n, d)) for the peer, runs affinity propagation with the median preference, writes one label a line
 * to --labels, and prints one line:
 *   "cs_ap n=.. d=.. damping=.. max_iter=.. threads=.. seconds=<wall> cpu=<process CPU s> clusters=.. converged=.."
 */
#include "cs_bundle.h"
#include "cs_cluster.h"
#include "cs_error.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argv[1][0] == '-') {
        fprintf(stderr,
                "usage: %s BUNDLE [--write X.f32] [--labels OUT.txt] [--damping D] [--max-iter N] "
                "[--convergence-iter N] [--threads N] [--seed S]\n",
                argv[0]);
        return 2;
    }
    const char *write = NULL, *labels_out = NULL;
    double damping = 0.5;
    int max_iter = 200, conv_iter = 15, threads = 2;
    unsigned long long seed = 1;
    for (int i = 2; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--write"))
            write = argv[i + 1];
        else if (!strcmp(argv[i], "--labels"))
            labels_out = argv[i + 1];
        else if (!strcmp(argv[i], "--damping"))
            damping = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--max-iter"))
            max_iter = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--convergence-iter"))
            conv_iter = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--threads"))
            threads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--seed"))
            seed = strtoull(argv[i + 1], NULL, 10);
        else {
            fprintf(stderr, "bench_ap: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    cs_bundle b;
    char err[512];
    if (cs_bundle_read(argv[1], &b, err, sizeof err)) {
        fprintf(stderr, "bench_ap: %s\n", err);
        return 1;
    }
    const cs_ut_view *v = &b.view;
    const size_t n = v->num_units, d = v->num_descriptors;
    float *X = malloc(n * d * sizeof *X);
    int *labels = malloc(n * sizeof *labels), *ex = malloc(n * sizeof *ex);
    if (!X || !labels || !ex) return 1;
    for (size_t u = 0; u < n; u++)
        for (size_t j = 0; j < d; j++) {
            const float wj = v->has_listen ? v->listen.weight[j] : 1.0f;
            X[u * d + j] = v->rows[u * v->stride + CS_UT_R_DESCRIPTORS + j] * sqrtf(wj);
        }
    if (write) {
        FILE *f = fopen(write, "wb");
        if (!f || fwrite(X, sizeof *X, n * d, f) != n * d || fclose(f)) {
            fprintf(stderr, "bench_ap: cannot write %s\n", write);
            return 1;
        }
    }
    int nc = 0, conv = 0;
    const double w0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    const int rc = cs_affinity_propagation(X, n, d, NULL, damping, max_iter, conv_iter, NAN, seed, threads, labels, ex,
                                           &nc, &conv);
    const double w1 = clock_s(CLOCK_MONOTONIC), c1 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    if (rc) {
        fprintf(stderr, "bench_ap: %s\n", cs_strerror(rc));
        return 1;
    }
    if (labels_out) {
        FILE *f = fopen(labels_out, "w");
        if (!f) return 1;
        for (size_t u = 0; u < n; u++)
            fprintf(f, "%d\n", labels[u]);
        fclose(f);
    }
    printf("cs_ap n=%zu d=%zu damping=%g max_iter=%d threads=%d seconds=%.3f cpu=%.3f clusters=%d converged=%d\n", n, d,
           damping, max_iter, threads, w1 - w0, c1 - c0, nc, conv);
    free(X);
    free(labels);
    free(ex);
    cs_bundle_free(&b);
    return 0;
}
