/*
 * test_model_noalloc.c - (1) the real-time path never touches the heap: this executable defines malloc,
 * calloc, realloc, free, aligned_alloc, posix_memalign and memalign itself (glibc: forwarding to
 * __libc_malloc & co.), so every heap call made by any code in the process goes through a counter. Between
 * "start" and "stop" we run everything the UGen does on the audio thread: parse (header, incremental and
 * full), state size / init, reset, 10 000 steps, primes, sampling with every option; the count must be 0
 * (also for half-precision weights).
 * A self-check first proves the interposition works (a malloc in the window is counted).
 * Under AddressSanitizer the allocator belongs to ASan, so the counting part is skipped there (the
 * functional checks still run).
 * (2) the fast-math approximations (cs_fastmath.h, scalar and 8-lane AVX2 when the CPU has it) against libm in
 * double, on dense grids, with the bounds stated in cs_fastmath.h.
 */
#include "cs_fastmath.h"
#include "cs_heap_count.h"
#include "cs_model.h"
#include "cs_model_io.h"
#include "cs_sample.h"
#include "cs_test.h"
#include "cs_test_models.h"

#include <stdlib.h>
#include <string.h>

static void start(void)
{
    cs_heap_begin();
}

static long stop(void)
{
    return cs_heap_end();
}

static void test_noalloc(void)
{
#if CS_COUNT_HEAP
    start();
    void *volatile probe = malloc(16);
    free(probe);
    long self = stop();
    CS_CHECK(self == 2, "interposition works: %ld calls counted for malloc + free", self);
#else
    printf("heap counting skipped (sanitizer build or not glibc); functional checks only\n");
#endif
    /* models 3 and 4: the GRU and the transformer with half-precision weights (F16C / portable half kernels) */
    cs_model_config cfgs[5] = {{CS_MODEL_GRU, 64, 64, 1, 0, 0, 0, 0},
                               {CS_MODEL_GRU, 256, 128, 2, 0, 0, 0, 0},
                               {CS_MODEL_TRANSFORMER, 64, 64, 2, 4, 64, 256, 0},
                               {CS_MODEL_GRU, 256, 128, 2, 0, 0, 0, 0},
                               {CS_MODEL_TRANSFORMER, 64, 64, 2, 4, 64, 256, 0}};
    static unsigned char state_mem[1 << 20];
    static unsigned char scratch[4096 * 17 + 64];
    for (int c = 0; c < 5; c++) {
        size_t n = 0;
        float *buf = cs_test_random_model(&cfgs[c], &n, 1000u + (uint32_t)c, 0.0f);
        if (c >= 3 && buf) {
            size_t hn = 0;
            float *h = cs_test_half_model(buf, n, &hn);
            free(buf);
            buf = h;
            n = hn;
        }
        CS_CHECK(buf != NULL, "model %d", c);
        if (!buf) continue;
        int V = cfgs[c].vocab;
        unsigned char *mask = malloc((size_t)V);
        for (int i = 0; i < V; i++)
            mask[i] = (unsigned char)(i % 3 != 0);
        int finite = 1, errors = 0;

        start();
        cs_model_view v;
        errors += cs_model_parse_header(buf, n, &v) != 0;
        cs_model_verify vs;
        cs_model_verify_begin(&vs);
        int r;
        while ((r = cs_model_verify_step(&v, &vs, 4096)) == 0) {}
        errors += r != 1;
        errors += cs_model_parse(buf, n, &v) != 0;
        cs_model_state *st = NULL;
        errors += cs_model_state_size(&v) > sizeof state_mem;
        errors += cs_model_state_init(&v, state_mem, sizeof state_mem, &st) != 0;
        cs_rng rng;
        cs_rng_seed(&rng, 42);
        cs_sample_params sp;
        cs_sample_params_default(&sp);
        int hist[16] = {0}, label = 0;
        for (int t = 0; t < 10000 && st; t++) {
            if (t % 2500 == 0) cs_model_reset(st);
            const float *lg;
            if (t % 100 == 7) {
                errors += cs_model_prime(st, label) != 0;
                lg = cs_model_logits(st);
            } else {
                errors += cs_model_step(st, label, &lg) != 0;
            }
            for (int i = 0; i < V; i++)
                finite &= isfinite(lg[i]) != 0;
            sp.temperature = (t % 4 == 0) ? 0.0f : 0.9f;
            sp.top_k = (t % 3 == 0) ? 8 : 0;
            sp.top_p = (t % 5 == 0) ? 0.9f : 1.0f;
            sp.repetition_penalty = 1.2f;
            cs_sample_result res;
            label = cs_sample(lg, V, &sp, hist, 16, (t % 7 == 0) ? mask : NULL, &rng, scratch, sizeof scratch, &res);
            if (label < 0) {
                errors++;
                label = 0;
            }
            hist[t % 16] = label;
        }
        long calls = stop();
        CS_CHECK(errors == 0, "model %d: no errors on the real-time path (%d)", c, errors);
        CS_CHECK(finite, "model %d: finite logits", c);
#if CS_COUNT_HEAP
        CS_CHECK(calls == 0, "model %d: %ld heap calls during parse/init/reset/10k steps/sampling", c, calls);
#else
        (void)calls;
#endif
        free(mask);
        free(buf);
    }
}

/* maximum errors of the approximations against libm (double), on dense grids */
static void test_fastmath(void)
{
    double e_exp = 0, e_tanh = 0, r_tanh = 0, e_sig = 0, r_sig = 0, e_log = 0, e_log_all = 0;
    const long N = 1L << 22;
    for (long i = 0; i <= N; i++) {
        float x = -87.0f + 175.0f * (float)i / (float)N;
        double ref = exp((double)x);
        double e = fabs((double)cs_fast_exp(x) - ref) / ref;
        if (e > e_exp) e_exp = e;
    }
    for (long i = 0; i <= N; i++) {
        float x = -20.0f + 40.0f * (float)i / (float)N;
        double ref = tanh((double)x), e = fabs((double)cs_fast_tanh(x) - ref);
        if (e > e_tanh) e_tanh = e;
        if (fabs((double)x) >= 1e-3 && e / fabs(ref) > r_tanh) r_tanh = e / fabs(ref);
    }
    for (long i = 0; i <= N; i++) { /* small arguments of tanh: relative error */
        float x = 1e-3f * (float)i / (float)N;
        if (x == 0.0f) continue;
        double ref = tanh((double)x), e = fabs((double)cs_fast_tanh(x) - ref) / ref;
        if (e > r_tanh) r_tanh = e;
    }
    for (long i = 0; i <= N; i++) {
        float x = -100.0f + 120.0f * (float)i / (float)N;
        double ref = 1.0 / (1.0 + exp(-(double)x)), e = fabs((double)cs_fast_sigmoid(x) - ref);
        if (e > e_sig) e_sig = e;
        if (x >= -80.0f && e / ref > r_sig) r_sig = e / ref;
    }
    for (long i = 0; i <= N; i++) {
        /* mantissa sweep times powers of two */
        float m = 1.0f + (float)(i % 4096) / 4096.0f;
        float x = ldexpf(m, (int)((i / 4096) % 17) - 8);
        double e = fabs((double)cs_fast_log2(x) - log2((double)x));
        if (e > e_log) e_log = e;
        float y = ldexpf(m, (int)((i / 4096) % 253) - 126);
        e = fabs((double)cs_fast_log2(y) - log2((double)y));
        if (e > e_log_all) e_log_all = e;
    }
    printf("fast exp rel %.3g | tanh abs %.3g rel %.3g | sigmoid abs %.3g rel %.3g | log2 abs %.3g (all %.3g)\n", e_exp,
           e_tanh, r_tanh, e_sig, r_sig, e_log, e_log_all);
    CS_CHECK(e_exp <= 1.5e-7, "exp relative error %.3g <= 1.5e-7", e_exp);
    CS_CHECK(e_tanh <= 1.5e-7, "tanh absolute error %.3g <= 1.5e-7", e_tanh);
    CS_CHECK(r_tanh <= 2.5e-7, "tanh relative error %.3g <= 2.5e-7", r_tanh);
    CS_CHECK(e_sig <= 1.5e-7, "sigmoid absolute error %.3g <= 1.5e-7", e_sig);
    CS_CHECK(r_sig <= 3e-7, "sigmoid relative error %.3g <= 3e-7", r_sig);
    CS_CHECK(e_log <= 6e-7, "log2 absolute error on [2^-8, 2^8] %.3g <= 6e-7", e_log);
    CS_CHECK(e_log_all <= 4e-6, "log2 absolute error on normal floats %.3g <= 4e-6", e_log_all);

    /* special values: never NaN or infinite */
    CS_CHECK(cs_fast_exp(NAN) == 0.0f && cs_fast_exp(-INFINITY) == 0.0f, "exp NaN / -inf -> 0");
    CS_CHECK(isfinite(cs_fast_exp(INFINITY)) && cs_fast_exp(1000.0f) == cs_fast_exp(CS_FAST_EXP_HI), "exp saturates");
    CS_CHECK(cs_fast_exp(0.0f) == 1.0f, "exp(0) = 1 exactly");
    CS_CHECK(cs_fast_tanh(NAN) == 0.0f && cs_fast_tanh(INFINITY) == 1.0f && cs_fast_tanh(-INFINITY) == -1.0f,
             "tanh specials");
    CS_CHECK(cs_fast_sigmoid(NAN) == 0.5f && cs_fast_sigmoid(INFINITY) == 1.0f && cs_fast_sigmoid(-INFINITY) == 0.0f,
             "sigmoid specials");
    CS_CHECK(cs_fast_log2(0.0f) == -128.0f && cs_fast_log2(-1.0f) == -128.0f && cs_fast_log2(NAN) == -128.0f &&
                 cs_fast_log2(INFINITY) == 128.0f,
             "log2 specials");
    CS_CHECK(cs_fast_log2(1.0f) == 0.0f && cs_fast_log2(8.0f) == 3.0f, "log2 of powers of two exact");
}

#if CS_FASTMATH_HAVE_AVX2
/* the 8-lane AVX2 versions used by the SIMD kernels: same bounds, same special values */
__attribute__((target("avx2,fma"))) static void eval8(int fn, const float *x, float *y)
{
    __m256 v = _mm256_loadu_ps(x);
    __m256 r = fn == 0 ? cs_fast_exp8(v) : fn == 1 ? cs_fast_tanh8(v) : cs_fast_sigmoid8(v);
    _mm256_storeu_ps(y, r);
}

static void test_fastmath_avx2(void)
{
    if (!(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))) {
        printf("CPU without AVX2/FMA: 8-lane fast math not tested\n");
        return;
    }
    double e_exp = 0, e_tanh = 0, r_tanh = 0, e_sig = 0, r_sig = 0;
    const long N = 1L << 21;
    float x[8], y[8];
    for (long i = 0; i <= N; i += 8) {
        for (int j = 0; j < 8; j++)
            x[j] = -87.0f + 175.0f * (float)(i + j) / (float)N;
        eval8(0, x, y);
        for (int j = 0; j < 8; j++) {
            if (x[j] > 88.0f) continue;
            double ref = exp((double)x[j]), e = fabs((double)y[j] - ref) / ref;
            if (e > e_exp) e_exp = e;
        }
        for (int j = 0; j < 8; j++)
            x[j] = -20.0f + 40.0f * (float)(i + j) / (float)N;
        eval8(1, x, y);
        for (int j = 0; j < 8; j++) {
            double ref = tanh((double)x[j]), e = fabs((double)y[j] - ref);
            if (e > e_tanh) e_tanh = e;
            if (fabs((double)x[j]) >= 1e-3 && e / fabs(ref) > r_tanh) r_tanh = e / fabs(ref);
        }
        for (int j = 0; j < 8; j++)
            x[j] = -100.0f + 120.0f * (float)(i + j) / (float)N;
        eval8(2, x, y);
        for (int j = 0; j < 8; j++) {
            double ref = 1.0 / (1.0 + exp(-(double)x[j])), e = fabs((double)y[j] - ref);
            if (e > e_sig) e_sig = e;
            if (x[j] >= -80.0f && e / ref > r_sig) r_sig = e / ref;
        }
    }
    printf("avx2 fast exp rel %.3g | tanh abs %.3g rel %.3g | sigmoid abs %.3g rel %.3g\n", e_exp, e_tanh, r_tanh,
           e_sig, r_sig);
    CS_CHECK(e_exp <= 1.5e-7, "avx2 exp relative error %.3g", e_exp);
    CS_CHECK(e_tanh <= 1.5e-7 && r_tanh <= 2.5e-7, "avx2 tanh error %.3g / %.3g", e_tanh, r_tanh);
    CS_CHECK(e_sig <= 1.5e-7 && r_sig <= 3e-7, "avx2 sigmoid error %.3g / %.3g", e_sig, r_sig);
    float sp[8] = {NAN, INFINITY, -INFINITY, 1000.0f, -1000.0f, 0.0f, -0.0f, 1e-30f};
    eval8(0, sp, y);
    CS_CHECK(y[0] == 0.0f && y[1] == cs_fast_exp(CS_FAST_EXP_HI) && y[2] == 0.0f && y[5] == 1.0f, "avx2 exp specials");
    eval8(1, sp, y);
    CS_CHECK(y[0] == 0.0f && y[1] == 1.0f && y[2] == -1.0f && y[3] == 1.0f && y[4] == -1.0f && y[5] == 0.0f,
             "avx2 tanh specials");
    eval8(2, sp, y);
    CS_CHECK(y[0] == 0.5f && y[1] == 1.0f && y[2] == 0.0f && y[5] == 0.5f, "avx2 sigmoid specials");
}
#endif

int main(void)
{
    test_noalloc();
    test_fastmath();
#if CS_FASTMATH_HAVE_AVX2
    test_fastmath_avx2();
#endif
    CS_TEST_END();
}
