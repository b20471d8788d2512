/*
 * bench_desc_step.c - the step cost of descriptor inputs, side by side in one run: cs_model_step of a GRU
 * (H 64, 2 layers, V 16: the trainer's default shape at K = 16) against cs_model_step_desc of the same GRU
 * with Din = 27 descriptor inputs (26 descriptors + the duration: an `analyze` bundle with the default
 * descriptors), each fed a fresh row every step. Interleaved rounds of 2000 steps, thread CPU time (the work,
 * not what a shared machine gives to other processes), both kernels; prints the median ns per step of each and
 * their ratio. Usage: bench_desc_step [rounds=200]
 */
#include "cs_model.h"
#include "cs_model_io.h"
#include "cs_train.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { V = 16, H = 64, L = 2, DIN = 27, STEPS = 2000 };

static double cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* A state over seeded weights of cfg (malloc'ed, *w and *mem owned by the caller). */
static cs_model_state *make_state(const cs_model_config *cfg, float **w, void **mem, int simd)
{
    const size_t P = cs_model_param_count(cfg);
    *w = malloc(P * sizeof **w);
    cs_train_init_weights(cfg, 5, *w);
    cs_model_view v;
    cs_model_view_map(cfg, *w, &v);
    const size_t bytes = cs_model_state_size(&v);
    *mem = malloc(bytes);
    cs_model_state *st = NULL;
    cs_model_state_init(&v, *mem, bytes, &st);
    cs_model_state_set_simd(st, simd);
    return st;
}

int main(int argc, char **argv)
{
    const int rounds = argc > 1 ? atoi(argv[1]) : 200;
    const cs_model_config plain = {CS_MODEL_GRU, V, H, L, 0, 0, 0, 0}, desc = {CS_MODEL_GRU, V, H, L, 0, 0, 0, DIN};
    static float rows[STEPS][DIN];
    uint32_t s = 1;
    for (int i = 0; i < STEPS; i++)
        for (int j = 0; j < DIN; j++) {
            s = s * 1664525u + 1013904223u;
            rows[i][j] = (float)(s >> 8) / 4194304.0f - 2.0f; /* -2 .. 2, like normalised descriptors */
        }
    double *tp = malloc((size_t)rounds * sizeof *tp), *td = malloc((size_t)rounds * sizeof *td);
    for (int simd = 0; simd < 2; simd++) {
        float *wp, *wd;
        void *mp, *md;
        cs_model_state *a = make_state(&plain, &wp, &mp, simd), *b = make_state(&desc, &wd, &md, simd);
        float sink = 0.0f;
        for (int r = 0; r < rounds; r++) {
            const float *z;
            double t0 = cpu_ns();
            for (int i = 0; i < STEPS; i++) {
                cs_model_step(a, i % V, &z);
                sink += z[0];
            }
            double t1 = cpu_ns();
            for (int i = 0; i < STEPS; i++) {
                cs_model_step_desc(b, i % V, rows[i], &z);
                sink += z[0];
            }
            double t2 = cpu_ns();
            tp[r] = (t1 - t0) / STEPS;
            td[r] = (t2 - t1) / STEPS;
        }
        qsort(tp, (size_t)rounds, sizeof *tp, cmp_double);
        qsort(td, (size_t)rounds, sizeof *td, cmp_double);
        printf("%s kernel: GRU %dx%d V %d: %.0f ns/step; with %d descriptor inputs: %.0f ns/step; ratio %.3f "
               "(multiply-adds %llu vs %llu: %.3f)%s\n",
               simd ? "avx2" : "portable", L, H, V, tp[rounds / 2], DIN, td[rounds / 2],
               td[rounds / 2] / tp[rounds / 2], (unsigned long long)cs_model_step_madds(&desc),
               (unsigned long long)cs_model_step_madds(&plain),
               (double)cs_model_step_madds(&desc) / (double)cs_model_step_madds(&plain), sink == 12345.0f ? " " : "");
        free(wp);
        free(wd);
        free(mp);
        free(md);
    }
    free(tp);
    free(td);
    return 0;
}
