/*
 * bench_model_step.c - nanoseconds per cs_model_step (median and p99) for three models with random weights,
 * warm (state and weights in cache, the steady state of a UGen stepping often) and cold (a 64 MB buffer is
 * written between steps, evicting every cache level: the worst case of a UGen triggered rarely), plus the
 * cost of cs_sample on the same logits. One core, one thread.
 *
 *   gru_h64_v64     GRU, H 64, 1 layer, V 64
 *   gru_h128_v256   GRU, H 128, 2 layers, V 256
 *   tf_d64_l2_c64   transformer, D 64, 2 layers, 4 heads, context 64 (window full), V 64
 *
 * Half-precision weights (models/FORMAT.md "Half-precision weights"), same run, same models, the weights
 * rounded to half: "step_half_warm" = way (b), the half file stepped with F16C inside the products (what
 * SeqPredict does with a half Buffer); "step_halfexp_warm" = way (a), the file converted at load to float32
 * (cs_model_expand) and stepped by the float32 code; "step_half_cold" as step_cold. The warm variants
 * run in alternating rounds of 1000 steps (the first 100 of each round dropped: the variant's weights are then
 * back in cache), so a busy machine's noise falls on all of them alike.
 *
 * "step_half_nocopy_warm" is (b) with the half copy bypassed (cs_model_state_set_hcopy 0: F16C on the Buffer's
 * halves), "step_half_rowcopy_warm" (b) with the copy kept row by row (set_hcopy 2: the copy kernel before the
 * blocked layout), both in the same alternating rounds.
 *
 * The folded embedding (cs_model_state_size: a GRU's layer-0 input product kept per token in the state) is on in
 * every variant above, as the step runs it; "step_nofold_warm" is the float32 step with it bypassed
 * (cs_model_state_set_fold 0), in the same alternating rounds.
 *
 * The floor: "c peak fma_ymm gmacs <g>" (and fma_zmm with AVX-512) is this core's multiply-add peak, measured in
 * the same run by 12 independent chains of 8-lane (16-lane) FMAs in registers (thread CPU time, best of 5), and
 * per model "c <model> floor madds <m> madds_folded <f> floor_ns <m / g> folded_floor_ns <f / g>": the
 * multiply-adds of one step (cs_model_step_madds; folded: less layer 0's 3H^2 input product) at that peak, the
 * time no kernel streaming the weights through the FMA units can beat. "c peak f16c_fma_ymm / f16c_fma_zmm ghalves
 * <g>": halves converted (VCVTPH2PS) and multiplied-added per ns from an L1-resident block, the inner loop of a half
 * kernel at its best; the half step's floor is its halves (the multiply-adds) at that rate.
 *
 * Output: one line per measurement, "c <model> <what> median_ns <x> p99_ns <y>", parsed by run_model_step.sh.
 * Usage: bench_model_step [--quick]
 *
 * bench_model_step --block [BLOCKS]: SeqPredict's worst block (plugins/core/cs_seqpredict.h: cs_seqp_bind +
 * cs_seqp_process, the code the UGen runs) with 64 triggers in every call (128-sample calls, a trigger every 2
 * samples), for the largest transformer the format allows (D 128, 4 layers, 4 heads, context 128, V 4096) and
 * for GRU H 64, 1 layer, V 64, sampling plain (temperature 1) and with top-p 0.9. Prints per model: steps per
 * call, the worst and the median call in us of thread CPU time (the work, without the time a shared machine
 * gave to other processes), the 99th percentile of wall time, and the worst CPU time as a fraction of a
 * 64-sample block at 48 kHz (1333.3 us). Only the cs_seqp API is used, so the same file builds against older versions
 * of the logic.
 */
#include "cs_model.h"
#include "cs_model_io.h"
#include "cs_sample.h"
#include "cs_seqpredict.h"
#include "cs_test_models.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* CPU time of this thread: the work of a block without the time the scheduler gave to other processes. */
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

static void report(const char *model, const char *what, double *t, int n)
{
    qsort(t, (size_t)n, sizeof *t, cmp_double);
    double med = t[n / 2], p99 = t[(int)((double)n * 0.99)];
    printf("c %-14s %-14s median_ns %9.1f p99_ns %9.1f\n", model, what, med, p99);
}

#if defined(__x86_64__)
#include <immintrin.h>
/* 12 independent chains of n FMAs each, in named registers (an array would live in memory at -O2), latency 4 on two
 * pipes: 8 chains keep them busy. Returns GMAC/s (lanes x FMAs per ns of thread CPU time). */
#define PEAK_CHAINS(T, FMA, SET, ADD)                                                                                  \
    T a0 = SET(0.001f), a1 = SET(0.002f), a2 = SET(0.003f), a3 = SET(0.004f), a4 = SET(0.005f), a5 = SET(0.006f);      \
    T a6 = SET(0.007f), a7 = SET(0.008f), a8 = SET(0.009f), a9 = SET(0.010f), a10 = SET(0.011f), a11 = SET(0.012f);    \
    const T x = SET(0.999f), y = SET(1e-4f);                                                                           \
    double t = cpu_ns();                                                                                               \
    for (long i = 0; i < n; i++) {                                                                                     \
        a0 = FMA(a0, x, y), a1 = FMA(a1, x, y), a2 = FMA(a2, x, y), a3 = FMA(a3, x, y);                                \
        a4 = FMA(a4, x, y), a5 = FMA(a5, x, y), a6 = FMA(a6, x, y), a7 = FMA(a7, x, y);                                \
        a8 = FMA(a8, x, y), a9 = FMA(a9, x, y), a10 = FMA(a10, x, y), a11 = FMA(a11, x, y);                            \
    }                                                                                                                  \
    t = cpu_ns() - t;                                                                                                  \
    T s = ADD(ADD(ADD(a0, a1), ADD(a2, a3)), ADD(ADD(a4, a5), ADD(a6, a7)));                                           \
    s = ADD(s, ADD(ADD(a8, a9), ADD(a10, a11)))

__attribute__((target("avx2,fma"))) static double peak_ymm(long n, volatile float *sink)
{
    PEAK_CHAINS(__m256, _mm256_fmadd_ps, _mm256_set1_ps, _mm256_add_ps);
    *sink += _mm256_cvtss_f32(s);
    return 12.0 * 8.0 * (double)n / t;
}

__attribute__((target("avx512f"))) static double peak_zmm(long n, volatile float *sink)
{
    PEAK_CHAINS(__m512, _mm512_fmadd_ps, _mm512_set1_ps, _mm512_add_ps);
    *sink += _mm512_reduce_add_ps(s);
    return 12.0 * 16.0 * (double)n / t;
}
#undef PEAK_CHAINS

/* F16C conversion + FMA from an L1-resident 4 KB block of packed halves (8 chains), the best a half kernel's
 * inner loop can do: G halves per s. */
#define CVT_CHAINS(T, LT, CVT, LOAD, STEP, FMA, SET, ADD, RED)                                                         \
    static uint32_t blk[1024] __attribute__((aligned(64)));                                                            \
    for (int i = 0; i < 1024; i++)                                                                                     \
        blk[i] = 0x3c003c00u + (uint32_t)(i & 7);                                                                      \
    T a0 = SET(0.0f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;                                   \
    const T x = SET(1.0001f);                                                                                          \
    double t = cpu_ns();                                                                                               \
    for (long i = 0; i < n; i++)                                                                                       \
        for (int k = 0; k < 1024; k += 8 * STEP) {                                                                     \
            const LT *p = (const LT *)(const void *)(blk + k);                                                         \
            a0 = FMA(CVT(LOAD(p)), x, a0), a1 = FMA(CVT(LOAD(p + 1)), x, a1);                                          \
            a2 = FMA(CVT(LOAD(p + 2)), x, a2), a3 = FMA(CVT(LOAD(p + 3)), x, a3);                                      \
            a4 = FMA(CVT(LOAD(p + 4)), x, a4), a5 = FMA(CVT(LOAD(p + 5)), x, a5);                                      \
            a6 = FMA(CVT(LOAD(p + 6)), x, a6), a7 = FMA(CVT(LOAD(p + 7)), x, a7);                                      \
        }                                                                                                              \
    t = cpu_ns() - t;                                                                                                  \
    *sink += RED(ADD(ADD(ADD(a0, a1), ADD(a2, a3)), ADD(ADD(a4, a5), ADD(a6, a7))));                                   \
    return 2048.0 * (double)n / t

__attribute__((target("avx2,fma,f16c"))) static double cvt_ymm(long n, volatile float *sink)
{
    CVT_CHAINS(__m256, __m128i, _mm256_cvtph_ps, _mm_load_si128, 4, _mm256_fmadd_ps, _mm256_set1_ps, _mm256_add_ps,
               _mm256_cvtss_f32);
}

/* the same with the packed format's bias subtracted first (what a kernel on the Buffer's halves must do): the
 * conversion then reads a register, not memory, which on Zen 4 halves its rate */
#define LOAD_BIASED(p) _mm_sub_epi32(_mm_load_si128(p), _mm_set1_epi32((int)(CS_MODEL_HALF_HI_BIAS << 16)))
__attribute__((target("avx2,fma,f16c"))) static double cvt_bias_ymm(long n, volatile float *sink)
{
    CVT_CHAINS(__m256, __m128i, _mm256_cvtph_ps, LOAD_BIASED, 4, _mm256_fmadd_ps, _mm256_set1_ps, _mm256_add_ps,
               _mm256_cvtss_f32);
}
#undef LOAD_BIASED

__attribute__((target("avx512f,f16c"))) static double cvt_zmm(long n, volatile float *sink)
{
    CVT_CHAINS(__m512, __m256i, _mm512_cvtph_ps, _mm256_load_si256, 8, _mm512_fmadd_ps, _mm512_set1_ps, _mm512_add_ps,
               _mm512_reduce_add_ps);
}
#undef CVT_CHAINS
#endif

#if defined(__x86_64__)
/* The best of 5 runs of a peak loop (n iterations each). */
static double best_of5(double (*loop)(long, volatile float *), long n, volatile float *sink)
{
    double best = 0.0;
    for (int r = 0; r < 5; r++) {
        const double g = loop(n, sink);
        best = g > best ? g : best;
    }
    return best;
}
#endif

/* This core's FMA peak in GMAC/s (best of 5 runs of each width; 0 without x86 FMA); prints the "c peak" lines. */
static double peak_gmacs(volatile float *sink)
{
    double best = 0.0;
#if defined(__x86_64__)
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        best = best_of5(peak_ymm, 400000, sink);
        printf("c peak           fma_ymm        gmacs %9.1f\n", best);
        printf("c peak           f16c_fma_ymm   ghalves %9.1f\n", best_of5(cvt_ymm, 4000, sink));
        printf("c peak           f16c_bias_fma_ymm ghalves %9.1f\n", best_of5(cvt_bias_ymm, 4000, sink));
    }
    if (__builtin_cpu_supports("avx512f")) {
        const double z = best_of5(peak_zmm, 200000, sink);
        printf("c peak           fma_zmm        gmacs %9.1f\n", z);
        printf("c peak           f16c_fma_zmm   ghalves %9.1f\n", best_of5(cvt_zmm, 4000, sink));
        best = z > best ? z : best;
    }
#else
    (void)sink;
#endif
    return best;
}

static void *bench_alloc(void *user, size_t bytes)
{
    (void)user;
    return malloc(bytes);
}

static void bench_free(void *user, void *ptr)
{
    (void)user;
    free(ptr);
}

/* The worst call of cs_seqp_process over `blocks` calls of 128 samples with 64 trigger edges each. */
static int bench_block(const char *name, const cs_model_config *cfg, float top_p, int blocks)
{
    size_t n = 0;
    float *buf = cs_test_random_model(cfg, &n, 21u, 0.0f);
    if (!buf) return 1;
    cs_seqp *p = malloc(sizeof *p);
    cs_seqp_init(p, 1u);
    while (cs_seqp_bind(p, buf, n, 1, 1.0f, bench_alloc, bench_free, NULL) == CS_SEQP_VERIFYING) {}
    if (p->status != CS_SEQP_READY) {
        fprintf(stderr, "%s: not ready (%d)\n", name, p->status);
        return 1;
    }
    enum { BS = 128 };
    float trig[BS], label[BS];
    for (int i = 0; i < BS; i++)
        trig[i] = (i % 2) ? 1.0f : 0.0f;
    const float one = 1, zero = 0, neg = -1, seed = 1, hist = 8;
    cs_seqp_io io;
    memset(&io, 0, sizeof io);
    const float *ins[CS_SEQP_NUM_INPUTS] = {trig, &one, &zero, &top_p, &neg, &zero, &seed, &one, &hist};
    for (int k = 0; k < CS_SEQP_NUM_INPUTS; k++)
        io.in[k] = ins[k], io.step[k] = k == 0 ? 1u : 0u;
    io.out_label = label;
    io.out_step = 1;
    double *t = malloc(sizeof(double) * (size_t)blocks), *w = malloc(sizeof(double) * (size_t)blocks);
    long events = 0;
    for (int b = 0; b < blocks; b++) {
        double a = cpu_ns(), aw = now_ns();
        cs_seqp_bind(p, buf, n, 1, 1.0f, bench_alloc, bench_free, NULL);
        events += cs_seqp_process(p, &io, BS);
        t[b] = cpu_ns() - a;
        w[b] = now_ns() - aw;
    }
    qsort(t, (size_t)blocks, sizeof *t, cmp_double);
    qsort(w, (size_t)blocks, sizeof *w, cmp_double);
    const double blk = 64.0 / 48000.0 * 1e9; /* a 64-sample block at 48 kHz, ns */
    double worst = t[blocks - 1], med = t[blocks / 2], p99w = w[(int)((double)blocks * 0.99)];
    printf("block %-14s top_p %.1f steps_per_call %5.1f worst_cpu_us %8.1f median_cpu_us %8.1f p99_wall_us %8.1f "
           "worst_cpu_of_64_at_48k %.3f\n",
           name, (double)top_p, (double)events / blocks, worst / 1e3, med / 1e3, p99w / 1e3, worst / blk);
    cs_seqp_release(p, bench_free, NULL);
    free(p);
    free(w);
    free(t);
    free(buf);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--block") == 0) {
        int blocks = argc > 2 ? atoi(argv[2]) : 200;
        if (blocks < 1) blocks = 200;
        cs_model_config big = {CS_MODEL_TRANSFORMER, 4096, 128, 4, 4, 128, 512, 0};
        cs_model_config gru = {CS_MODEL_GRU, 64, 64, 1, 0, 0, 0, 0};
        int e = 0;
        e |= bench_block("tf_d128_l4_v4k", &big, 1.0f, blocks);
        e |= bench_block("tf_d128_l4_v4k", &big, 0.9f, blocks);
        e |= bench_block("gru_h64_v64", &gru, 1.0f, blocks);
        e |= bench_block("gru_h64_v64", &gru, 0.9f, blocks);
        return e;
    }
    int quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
    const int warm_n = quick ? 5000 : 50000, cold_n = quick ? 100 : 1000;
    const size_t flush_bytes = (size_t)64 << 20;
    unsigned char *flush = malloc(flush_bytes);
    double *t = malloc(sizeof(double) * (size_t)warm_n);
    const char *names[3] = {"gru_h64_v64", "gru_h128_v256", "tf_d64_l2_c64"};
    cs_model_config cfgs[3] = {{CS_MODEL_GRU, 64, 64, 1, 0, 0, 0, 0},
                               {CS_MODEL_GRU, 256, 128, 2, 0, 0, 0, 0},
                               {CS_MODEL_TRANSFORMER, 64, 64, 2, 4, 64, 256, 0}};
    size_t scratch_bytes = cs_sample_scratch_size(4096);
    void *scratch = malloc(scratch_bytes);
    volatile float sink = 0.0f;

    /* timer overhead */
    for (int i = 0; i < warm_n; i++) {
        double a = now_ns();
        t[i] = now_ns() - a;
    }
    report("timer", "overhead", t, warm_n);
    const double peak = peak_gmacs(&sink);

    double *th = malloc(sizeof(double) * (size_t)warm_n), *te = malloc(sizeof(double) * (size_t)warm_n);
    double *tn = malloc(sizeof(double) * (size_t)warm_n), *tc = malloc(sizeof(double) * (size_t)warm_n);
    double *tr = malloc(sizeof(double) * (size_t)warm_n);
    for (int m = 0; m < 3; m++) {
        size_t n = 0, hn = 0;
        float *buf = cs_test_random_model(&cfgs[m], &n, 7u + (uint32_t)m, 0.0f);
        float *hbuf = buf ? cs_test_half_model(buf, n, &hn) : NULL;
        cs_model_view v, hv, ev;
        if (!hbuf || cs_model_parse(buf, n, &v) != 0 || cs_model_parse(hbuf, hn, &hv) != 0) {
            fprintf(stderr, "model %s failed\n", names[m]);
            return 1;
        }
        float *ebuf = malloc(n * sizeof(float)); /* way (a): converted at load */
        if (!ebuf || cs_model_expand(&hv, hbuf, ebuf, n) != (long)n || cs_model_parse(ebuf, n, &ev) != 0) return 1;
        size_t bytes = cs_model_state_size(&v), hbytes = cs_model_state_size(&hv);
        void *mem = malloc(bytes), *hmem = malloc(hbytes), *emem = malloc(bytes);
        void *nmem = malloc(bytes), *cmem = malloc(hbytes), *rmem = malloc(hbytes);
        cs_model_state *st = NULL, *hst = NULL, *est = NULL, *nst = NULL, *cst = NULL, *rst = NULL;
        cs_model_state_init(&v, mem, bytes, &st);
        cs_model_state_init(&hv, hmem, hbytes, &hst);
        cs_model_state_init(&ev, emem, bytes, &est);
        cs_model_state_init(&v, nmem, bytes, &nst);
        cs_model_state_init(&hv, cmem, hbytes, &cst);
        cs_model_state_init(&hv, rmem, hbytes, &rst);
        cs_model_state_set_fold(nst, 0);
        cs_model_state_set_hcopy(cst, 0);
        cs_model_state_set_hcopy(rst, 2); /* the copy row by row: the kernel before the blocked copy */
        const int folded = cs_model_state_set_fold(st, 1);
        const double madds = (double)cs_model_step_madds(&v.cfg);
        const double fmadds = folded ? madds - 3.0 * v.cfg.width * v.cfg.width : madds;
        if (peak > 0.0)
            printf("c %-14s floor          madds %.0f madds_folded %.0f floor_ns %.1f folded_floor_ns %.1f\n", names[m],
                   madds, fmadds, madds / peak, fmadds / peak);
        fprintf(stderr, "%s: %zu weights (%.0f KB float32, %.0f KB half), state %zu bytes, kernel %s, half %s\n",
                names[m], v.n_weights, (double)v.n_weights * 4.0 / 1024.0, (double)hv.stored_floats * 4.0 / 1024.0,
                bytes, cs_model_state_set_simd(st, 1) ? "avx2+fma" : "portable",
                cs_model_state_set_simd(hst, 1) ? "f16c+fma" : "portable");
        cs_rng rng;
        cs_rng_seed(&rng, 1);
        const float *lg = cs_model_logits(st);
        for (int i = 0; i < 2000; i++)
            cs_model_step(st, (int)cs_rng_below(&rng, (uint32_t)v.cfg.vocab), &lg);
        cs_model_state *var[6] = {st, hst, est, nst, cst, rst};
        double *tv[6] = {t, th, te, tn, tc, tr};
        int got[6] = {0, 0, 0, 0, 0, 0};
        const int round = 1000, drop = 100;
        while (got[0] < warm_n) {
            for (int k = 0; k < 6; k++) {
                for (int i = 0; i < round && got[k] < warm_n; i++) {
                    int tok = (int)cs_rng_below(&rng, (uint32_t)v.cfg.vocab);
                    double a = now_ns();
                    cs_model_step(var[k], tok, &lg);
                    double d = now_ns() - a;
                    if (i >= drop) tv[k][got[k]++] = d;
                    sink += lg[0];
                }
            }
        }
        report(names[m], "step_warm", t, warm_n);
        report(names[m], "step_half_warm", th, warm_n);
        report(names[m], "step_halfexp_warm", te, warm_n);
        report(names[m], "step_nofold_warm", tn, warm_n);
        report(names[m], "step_half_nocopy_warm", tc, warm_n);
        report(names[m], "step_half_rowcopy_warm", tr, warm_n);
        /* the worst warm half step: the first after the copy is marked stale (it remakes every matrix's copy) */
        for (int i = 0; i < cold_n; i++) {
            int tok = (int)cs_rng_below(&rng, (uint32_t)v.cfg.vocab);
            for (int j = 0; j < 20; j++)
                cs_model_step(hst, tok, &lg);
            cs_model_state_set_hcopy(hst, 1);
            double a = now_ns();
            cs_model_step(hst, tok, &lg);
            th[i] = now_ns() - a;
            sink += lg[0];
        }
        report(names[m], "step_half_first", th, cold_n);
        for (int i = 0; i < cold_n; i++) {
            int tok = (int)cs_rng_below(&rng, (uint32_t)v.cfg.vocab);
            memset(flush, i & 0xff, flush_bytes);
            sink += flush[(size_t)i * 4099 % flush_bytes];
            double a = now_ns();
            cs_model_step(hst, tok, &lg);
            th[i] = now_ns() - a;
            sink += lg[0];
        }
        report(names[m], "step_half_cold", th, cold_n);
        for (int i = 0; i < cold_n; i++) {
            int tok = (int)cs_rng_below(&rng, (uint32_t)v.cfg.vocab);
            memset(flush, i & 0xff, flush_bytes);
            sink += flush[(size_t)i * 4099 % flush_bytes];
            double a = now_ns();
            cs_model_step(st, tok, &lg);
            t[i] = now_ns() - a;
            sink += lg[0];
        }
        report(names[m], "step_cold", t, cold_n);

        /* sampling on the model's logits: plain (T 1), and everything on */
        cs_sample_params p;
        cs_sample_params_default(&p);
        int hist[16] = {0};
        for (int variant = 0; variant < 2; variant++) {
            if (variant) {
                p.temperature = 0.9f;
                p.top_k = 16;
                p.top_p = 0.9f;
                p.repetition_penalty = 1.2f;
            }
            for (int i = 0; i < warm_n; i++) {
                cs_sample_result r;
                double a = now_ns();
                int lab = cs_sample(lg, v.cfg.vocab, &p, hist, 16, NULL, &rng, scratch, scratch_bytes, &r);
                t[i] = now_ns() - a;
                hist[i & 15] = lab;
            }
            report(names[m], variant ? "sample_k16p.9" : "sample_plain", t, warm_n);
        }
        free(mem);
        free(hmem);
        free(emem);
        free(nmem);
        free(cmem);
        free(rmem);
        free(buf);
        free(hbuf);
        free(ebuf);
    }
    free(th);
    free(te);
    free(tn);
    free(tc);
    free(tr);
    /* worst case of the sampler: V = 4096, top-p 0.999 on a flat distribution (pops ~all of the heap) */
    {
        float *lg = malloc(4096 * sizeof(float));
        cs_rng rng;
        cs_rng_seed(&rng, 3);
        for (int i = 0; i < 4096; i++)
            lg[i] = 0.01f * cs_rng_uniform(&rng);
        cs_sample_params p;
        cs_sample_params_default(&p);
        p.top_p = 0.999f;
        int nn = quick ? 200 : 2000;
        for (int i = 0; i < nn; i++) {
            cs_sample_result r;
            double a = now_ns();
            cs_sample(lg, 4096, &p, NULL, 0, NULL, &rng, scratch, scratch_bytes, &r);
            t[i] = now_ns() - a;
        }
        report("v4096", "sample_worst", t, nn);
        free(lg);
    }
    fprintf(stderr, "(sink %g)\n", (double)sink);
    free(scratch);
    free(t);
    free(flush);
    return 0;
}
