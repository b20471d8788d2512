/*
 * bench_kmeans.c - wall time and inertia of cs_kmeans on a (n, d) float32 matrix.
 *
 * Usage: bench_kmeans [--file X.f32] [--n 100000] [--d 24] [--k 64] [--n-init 4] [--max-iter 300]
 *                     [--tol 1e-4] [--threads 2] [--seed 0] [--repeat 1]
 * --file: raw little-endian float32, row-major (n, d) (as written by bench_kmeans_sklearn.py --write);
 * without it a deterministic mixture of Gaussians is generated with cs_rng (seed 12345).
 * Prints one line: "cs_kmeans n=.. d=.. k=.. n_init=.. threads=.. seconds=<best of repeats> inertia=..".
 * Run by tests/bench/run_kmeans.sh beside scikit-learn on the same file.
 */
#include "cs_cluster.h"
#include "cs_error.h"
#include "cs_rng.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void generate(float *X, size_t n, size_t d)
{
    const size_t m = 80;
    cs_rng rng;
    cs_rng_seed(&rng, 12345);
    double *centres = malloc(m * d * sizeof(double)), *scale = malloc(m * sizeof(double));
    if (!centres || !scale) exit(2);
    for (size_t i = 0; i < m * d; i++)
        centres[i] = -4.0 + 8.0 * cs_rng_uniform_double(&rng);
    for (size_t i = 0; i < m; i++)
        scale[i] = 0.3 + 1.2 * cs_rng_uniform_double(&rng);
    for (size_t i = 0; i < n; i++) {
        size_t c = cs_rng_below(&rng, (uint32_t)m);
        for (size_t j = 0; j < d; j++)
            X[i * d + j] = (float)(centres[c * d + j] + scale[c] * cs_rng_normal(&rng));
    }
    free(centres);
    free(scale);
}

int main(int argc, char **argv)
{
    const char *file = NULL;
    size_t n = 100000, d = 24;
    int k = 64, n_init = 4, max_iter = 300, threads = 2, repeat = 1;
    double tol = 1e-4;
    uint64_t seed = 0;
    for (int a = 1; a + 1 < argc; a += 2) {
        const char *o = argv[a], *v = argv[a + 1];
        if (!strcmp(o, "--file"))
            file = v;
        else if (!strcmp(o, "--n"))
            n = strtoul(v, NULL, 10);
        else if (!strcmp(o, "--d"))
            d = strtoul(v, NULL, 10);
        else if (!strcmp(o, "--k"))
            k = atoi(v);
        else if (!strcmp(o, "--n-init"))
            n_init = atoi(v);
        else if (!strcmp(o, "--max-iter"))
            max_iter = atoi(v);
        else if (!strcmp(o, "--tol"))
            tol = strtod(v, NULL);
        else if (!strcmp(o, "--threads"))
            threads = atoi(v);
        else if (!strcmp(o, "--seed"))
            seed = strtoull(v, NULL, 10);
        else if (!strcmp(o, "--repeat"))
            repeat = atoi(v);
        else {
            fprintf(stderr, "bench_kmeans: unknown option %s\n", o);
            return 2;
        }
    }
    float *X = malloc(n * d * sizeof(float));
    int *labels = malloc(n * sizeof(int));
    float *centroids = malloc((size_t)k * d * sizeof(float));
    if (!X || !labels || !centroids) return 2;
    if (file) {
        FILE *f = fopen(file, "rb");
        if (!f || fread(X, sizeof(float), n * d, f) != n * d) {
            fprintf(stderr, "bench_kmeans: cannot read %zu x %zu float32 from %s\n", n, d, file);
            return 2;
        }
        fclose(f);
    } else {
        generate(X, n, d);
    }
    double best_t = 1e300, inertia = 0.0;
    for (int r = 0; r < repeat; r++) {
        double t0 = now();
        int err = cs_kmeans(X, n, d, NULL, k, n_init, max_iter, tol, seed, threads, labels, centroids, &inertia);
        double t = now() - t0;
        if (err) {
            fprintf(stderr, "bench_kmeans: %s\n", cs_strerror(err));
            return 1;
        }
        if (t < best_t) best_t = t;
    }
    printf("cs_kmeans n=%zu d=%zu k=%d n_init=%d threads=%d seconds=%.4f inertia=%.9g\n", n, d, k, n_init, threads,
           best_t, inertia);
    free(X);
    free(labels);
    free(centroids);
    return 0;
}
