/*
 * bench_ngram_step.c - the cost of one step of an n-gram model on the audio thread (cs_ngt_logits: the next
 * label's V logits from the table of plugins/core/cs_ngram_table.h) beside one step of the GRU 2 x 64
 * (cs_model_step, portable and default kernel) in the same run, V 16 and 64, MKN order 3 and 12, trained on a
 * synthetic sequence of 20 000 labels (a random second-order source). Thread CPU time; median and worst of
 * 20 000 steps (histories taken from the sequence), and the ratio of the medians to the GRU's. Also the label
 * cache of a step (cs_lcache_push + cs_lcache_blend_logits, weight 0.3) at V 16, 64 and 4096, per label, for
 * CS_SEQP_CACHE_MADDS_PER_LABEL.
 * Usage: bench_ngram_step
 */
#include "cs_label_cache.h"
#include "cs_ngram.h"
#include "cs_ngram_table.h"
#include "cs_rng.h"
#include "cs_train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { N = 20000, STEPS = 20000 };

static double cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void stats(double *t, int n, double *median, double *worst)
{
    qsort(t, (size_t)n, sizeof *t, cmp);
    *median = t[n / 2];
    *worst = t[n - 1];
}

/* A second-order source over V labels with peaked random conditionals. */
static void make_seq(int V, int *s, uint64_t seed)
{
    cs_rng rng;
    cs_rng_seed(&rng, seed);
    s[0] = 0;
    s[1] = 1;
    for (int i = 2; i < N; i++) {
        cs_rng ctx;
        cs_rng_seed(&ctx, (uint64_t)(s[i - 2] * 131 + s[i - 1]) + seed);
        const int a = (int)cs_rng_below(&ctx, (uint32_t)V), b = (int)cs_rng_below(&ctx, (uint32_t)V);
        const uint32_t u = cs_rng_below(&rng, 10);
        s[i] = u < 6 ? a : u < 9 ? b : (int)cs_rng_below(&rng, (uint32_t)V);
    }
}

static double gru_median(int V, const int *seq, int simd, double *worst)
{
    cs_model_config c = {CS_MODEL_GRU, V, 64, 2, 0, 0, 0, 0};
    const size_t P = cs_model_param_count(&c);
    float *w = malloc(P * sizeof *w);
    cs_train_init_weights(&c, 1, w);
    cs_model_view v;
    cs_model_view_map(&c, w, &v);
    const size_t bytes = cs_model_state_size(&v);
    void *mem = malloc(bytes);
    cs_model_state *st;
    cs_model_state_init(&v, mem, bytes, &st);
    cs_model_state_set_simd(st, simd);
    double *t = malloc(STEPS * sizeof *t), med;
    const float *lg;
    for (int i = 0; i < STEPS; i++) {
        const double t0 = cpu_ns();
        cs_model_step(st, seq[i % N], &lg);
        t[i] = cpu_ns() - t0;
    }
    stats(t, STEPS, &med, worst);
    free(t);
    free(mem);
    free(w);
    return med;
}

int main(void)
{
    static int seq[N];
    printf("step cost on this machine (thread CPU time, ns): median / worst of %d steps\n", STEPS);
    const int Vs[2] = {16, 64}, orders[2] = {3, 12};
    for (int vi = 0; vi < 2; vi++) {
        const int V = Vs[vi];
        make_seq(V, seq, 5);
        double gw, gw0;
        const double g = gru_median(V, seq, 1, &gw), g0 = gru_median(V, seq, 0, &gw0);
        printf("V %2d  GRU 2x64 (default kernel)   %9.0f / %9.0f\n", V, g, gw);
        printf("V %2d  GRU 2x64 (portable kernel)  %9.0f / %9.0f\n", V, g0, gw0);
        const int *seqs[1] = {seq};
        const size_t lens[1] = {N};
        for (int oi = 0; oi < 2; oi++) {
            int err;
            cs_ngram *m = cs_ngram_train(seqs, lens, 1, V, (cs_split){0.1, 0.1}, CS_NGRAM_MKN, orders[oi], 0.0, &err);
            float *tab = NULL;
            size_t nt = 0;
            cs_ngt_view v;
            if (!m || cs_ngram_table_write(m, &tab, &nt) || cs_ngt_parse(tab, nt, &v)) {
                fprintf(stderr, "bench_ngram_step: model failed\n");
                return 1;
            }
            double *t = malloc(STEPS * sizeof *t), work[64], med, worst;
            float logits[64];
            for (int i = 0; i < STEPS; i++) {
                const int at = 16 + i % (N - 16);
                const double t0 = cpu_ns();
                cs_ngt_logits(&v, seq + at - 12, 12, work, logits);
                t[i] = cpu_ns() - t0;
            }
            stats(t, STEPS, &med, &worst);
            printf("V %2d  MKN order %2d (%7zu floats)  %9.0f / %9.0f   median %.3f x the GRU's (default kernel)\n", V,
                   orders[oi], nt, med, worst, med / g);
            free(t);
            free(tab);
            cs_ngram_free(m);
        }
    }
    const int Cs[3] = {16, 64, 4096};
    for (int ci = 0; ci < 3; ci++) {
        const int V = Cs[ci];
        float *counts = malloc((size_t)V * sizeof *counts), *lg = malloc((size_t)V * sizeof *lg);
        double *t = malloc(STEPS * sizeof *t), med, worst;
        cs_lcache c;
        cs_lcache_init(&c, counts, V);
        cs_rng rng;
        cs_rng_seed(&rng, 3);
        for (int i = 0; i < STEPS; i++) {
            for (int k = 0; k < V; k++)
                lg[k] = (float)((k * 37 + i) % 11) * 0.3f;
            const int lab = (int)cs_rng_below(&rng, (uint32_t)V);
            const double t0 = cpu_ns();
            cs_lcache_push(&c, lab);
            cs_lcache_blend_logits(&c, lg, 0.3f);
            t[i] = cpu_ns() - t0;
        }
        stats(t, STEPS, &med, &worst);
        printf("V %4d  label cache (push + blend)  %9.0f / %9.0f   %.1f ns a label (median)\n", V, med, worst, med / V);
        free(t);
        free(lg);
        free(counts);
    }
    return 0;
}
