/*
 * bench_sample.c - cs_sample (vectorised, issue 12 item 3) beside the scalar sampler it replaced
 * (tests/c/cs_sample_ref.h), in the same run, on the same logits and seeds: cost per call at V = 64, 256, 1024 and
 * 4096 for plain sampling (T 1), everything on (T 0.9, top-k 16, top-p 0.9, repetition penalty 1.2 over 16
 * labels of history), top-p 0.9 alone, and the worst case (V 4096, top-p 0.999 on a flat distribution).
 *
 * Logits: 16 vectors of 3 N(0, 1) per label (a trained model's spread), cycled. Each figure is the median over
 * 31 batches of the thread CPU time of a batch divided by its calls (batches of >= 2000 calls, so the clock's
 * cost is amortised), the two samplers alternating batch by batch. Prints "c V case new_ns ref_ns ratio".
 * Usage: bench_sample [--quick]. One core, one thread.
 */
#include "cs_sample.h"
#include "cs_sample_portable.h"
#include "cs_sample_ref.h"
#include "cs_seqpredict.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NVEC 16
#define NB   31

static double cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef int (*sampler_fn)(const float *, int, const cs_sample_params *, const int *, int, const unsigned char *,
                          cs_rng *, void *, size_t, cs_sample_result *);

static int ref_fn(const float *l, int V, const cs_sample_params *p, const int *h, int nh, const unsigned char *m,
                  cs_rng *r, void *s, size_t sb, cs_sample_result *o)
{
    return cs_sample_ref(l, V, p, h, nh, m, r, s, sb, o);
}

static volatile int sink;

/* ns per call of one batch of n calls */
static double batch(sampler_fn f, const float *lg, int V, const cs_sample_params *p, int n, void *scratch, size_t sb)
{
    cs_rng rng;
    cs_rng_seed(&rng, 5);
    int hist[16] = {0};
    cs_sample_result r;
    double a = cpu_ns();
    for (int i = 0; i < n; i++) {
        int lab = f(lg + (size_t)(i % NVEC) * (size_t)V, V, p, hist, 16, NULL, &rng, scratch, sb, &r);
        hist[i & 15] = lab;
    }
    double t = cpu_ns() - a;
    sink += hist[3];
    return t / n;
}

static void run(const char *what, const float *lg, int V, const cs_sample_params *p, int calls, void *scratch,
                size_t sb)
{
    double tn[NB], tr[NB];
    batch(cs_sample, lg, V, p, calls / 4 + 1, scratch, sb); /* warm */
    batch(ref_fn, lg, V, p, calls / 4 + 1, scratch, sb);
    for (int b = 0; b < NB; b++) {
        tn[b] = batch(cs_sample, lg, V, p, calls, scratch, sb);
        tr[b] = batch(ref_fn, lg, V, p, calls, scratch, sb);
    }
    qsort(tn, NB, sizeof(double), cmp_double);
    qsort(tr, NB, sizeof(double), cmp_double);
    printf("c V %4d %-16s new_ns %9.1f ref_ns %9.1f ratio %.3f\n", V, what, tn[NB / 2], tr[NB / 2],
           tn[NB / 2] / tr[NB / 2]);
}

int main(int argc, char **argv)
{
    const int quick = argc > 1 && !strcmp(argv[1], "--quick");
    const size_t sb = cs_sample_scratch_size(CS_SAMPLE_MAX_VOCAB);
    void *scratch = malloc(sb);
    float *lg = malloc(sizeof(float) * NVEC * CS_SAMPLE_MAX_VOCAB);
    if (!scratch || !lg) return 1;
    static const int sizes[] = {64, 256, 1024, 4096};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        const int V = sizes[s];
        cs_rng g;
        cs_rng_seed(&g, 100u + (uint64_t)V);
        for (int i = 0; i < NVEC * V; i++)
            lg[i] = 3.0f * (float)cs_rng_normal(&g);
        const int calls = (quick ? 200000 : 2000000) / V + 200;
        cs_sample_params p;
        cs_sample_params_default(&p);
        run("plain", lg, V, &p, calls, scratch, sb);
        p.temperature = 0.9f;
        p.top_k = 16;
        p.top_p = 0.9f;
        p.repetition_penalty = 1.2f;
        run("k16_p.9_pen1.2", lg, V, &p, calls, scratch, sb);
        cs_sample_params_default(&p);
        p.top_p = 0.9f;
        run("p.9", lg, V, &p, calls, scratch, sb);
    }
    /* worst case at each size (what CS_SEQP_SAMPLE_MADDS_TRUNC of plugins/core/cs_seqpredict.h must bound): a flat
     * distribution with a nucleus of almost everything (top-p 0.999), or top-k V - 1, so that nearly every label is
     * ranked; the vectorised sampler, its portable path (tests/c/cs_sample_portable.h) and the scalar reference.
     * Beside each path the bound SeqPredict charges for it (cs_seqp_sample_cost, simd 1 / 0), both in the
     * multiply-add equivalents of the cost constants: one unit = the scalar reference's plain cost per label at V
     * 4096, measured in the same rounds, / CS_SEQP_SAMPLE_MADDS_PLAIN (the constants' calibration: 200 units = the
     * scalar sampler's plain label),
     * so the ratio holds however loaded the machine is. The charged / measured ratios, (N.NNx), must be >= 1. */
    float *lgu = malloc(sizeof(float) * NVEC * 4096); /* the unit's logits: as the plain rows' at V 4096 */
    if (!lgu) return 1;
    {
        cs_rng g;
        cs_rng_seed(&g, 100u + 4096u);
        for (int i = 0; i < NVEC * 4096; i++)
            lgu[i] = 3.0f * (float)cs_rng_normal(&g);
    }
    cs_sample_params pu;
    cs_sample_params_default(&pu);
    const int ucalls = (quick ? 200000 : 2000000) / 4096 + 200;
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        const int V = sizes[s];
        cs_rng g;
        cs_rng_seed(&g, 3);
        for (int i = 0; i < NVEC * V; i++)
            lg[i] = 0.01f * cs_rng_uniform(&g);
        cs_sample_params p;
        cs_sample_params_default(&p);
        for (int c = 0; c < 2; c++) {
            p.top_p = c ? 1.0f : 0.999f;
            p.top_k = c ? V - 1 : 0;
            const int calls = (quick ? 40000 : 400000) / V + 20;
            double tn[NB], tp[NB], tr[NB], tu[NB];
            batch(cs_sample, lg, V, &p, calls / 4 + 1, scratch, sb);
            for (int b = 0; b < NB; b++) { /* the unit measured in the same rounds */
                tn[b] = batch(cs_sample, lg, V, &p, calls, scratch, sb);
                tp[b] = batch(cs_sample_portable, lg, V, &p, calls, scratch, sb);
                tr[b] = batch(ref_fn, lg, V, &p, calls, scratch, sb);
                tu[b] = batch(ref_fn, lgu, 4096, &pu, ucalls, scratch, sb);
            }
            qsort(tn, NB, sizeof(double), cmp_double);
            qsort(tp, NB, sizeof(double), cmp_double);
            qsort(tr, NB, sizeof(double), cmp_double);
            qsort(tu, NB, sizeof(double), cmp_double);
            const double unit = tu[NB / 2] / 4096.0 / (double)CS_SEQP_SAMPLE_MADDS_PLAIN;
            cs_seqp_event e;
            memset(&e, 0, sizeof e);
            e.sp = p;
            e.prime = -1.0f;
            const double cn = (double)cs_seqp_sample_cost(V, &e, 1) / V, cp = (double)cs_seqp_sample_cost(V, &e, 0) / V;
            const double un = tn[NB / 2] / V / unit, up = tp[NB / 2] / V / unit;
            printf("c V %4d %-16s new_ns %9.1f portable_ns %9.1f ref_ns %9.1f unit_ns %.4f units_a_label new %.0f "
                   "charged %.0f (%.2fx) portable %.0f charged %.0f (%.2fx)\n",
                   V, c ? "worst_flat_kV-1" : "worst_flat_p.999", tn[NB / 2], tp[NB / 2], tr[NB / 2], unit, un, cn,
                   cn / un, up, cp, cp / up);
        }
    }
    free(lgu);
    free(lg);
    free(scratch);
    return 0;
}
