/*
 * test_model_kernels.c - the SIMD kernel sets of the model step give the same bits (cs_model_state_set_simd):
 * on half-precision weights the AVX-512 products (set 1 on an AVX-512F CPU: 16 halves per VCVTPH2PS zmm, 8 rows
 * per pass) equal the AVX2/F16C products (set 2) bit for bit, on shapes that reach every edge of the kernel: widths
 * that are a multiple of 16, leave an 8-column tail, leave a scalar tail or both (16, 22, 24, 40, 58, 128), row
 * counts that are and are not multiples of 8 and of 4 (3H, V = 5, 37, 256, transformer D 34 / 40 / 64 with F = 4D
 * columns), GRU and transformer, 1 and 2 layers, 300 steps with resets. Without AVX-512 the AVX2 set is the only
 * SIMD set: the test says so and checks that set 1 and 2 are then the same set.
 */
#include "cs_model.h"
#include "cs_test.h"
#include "cs_test_models.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { STEPS = 300 };

static uint32_t bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

/* STEPS steps of a fixed token stream with the kernel set `simd`, logits into out; returns the set in use or -1. */
static int run(const float *buf, size_t n, int simd, float *out)
{
    cs_model_view v;
    if (cs_model_parse(buf, n, &v) != CS_MODEL_OK) return -1;
    const size_t bytes = cs_model_state_size(&v);
    void *mem = malloc(bytes);
    cs_model_state *st = NULL;
    if (!mem || cs_model_state_init(&v, mem, bytes, &st) != CS_MODEL_OK) {
        free(mem);
        return -1;
    }
    const int used = cs_model_state_set_simd(st, simd);
    const int V = v.cfg.vocab;
    uint32_t seed = 99u;
    cs_model_reset(st);
    for (int t = 0; t < STEPS; t++) {
        seed = seed * 1664525u + 1013904223u;
        if (t % 101 == 100) cs_model_reset(st);
        const float *lg = NULL;
        cs_model_step(st, (int)((seed >> 8) % (uint32_t)V), &lg);
        memcpy(out + (size_t)t * (size_t)V, lg, (size_t)V * sizeof(float));
    }
    free(mem);
    return used;
}

static void check(const cs_model_config *cfg, const char *name)
{
    size_t n = 0, hn = 0;
    float *f32 = cs_test_random_model(cfg, &n, 4242u, 0.0f);
    float *h16 = f32 ? cs_test_half_model(f32, n, &hn) : NULL;
    CS_CHECK(h16 != NULL, "%s: half model", name);
    if (!h16) {
        free(f32);
        return;
    }
    const size_t cnt = (size_t)STEPS * (size_t)cfg->vocab;
    float *a = malloc(cnt * sizeof(float)), *b = malloc(cnt * sizeof(float));
    const int best = run(h16, hn, 1, a), avx2 = run(h16, hn, 2, b);
    size_t d = 0;
    for (size_t i = 0; i < cnt; i++)
        d += bits(a[i]) != bits(b[i]);
    if (avx2 <= 0) {
        printf("%s: no AVX2/F16C on this CPU: only the portable set (skipped)\n", name);
    } else {
        CS_CHECK(d == 0, "%s: set %d and the AVX2 set differ in %zu of %zu logits", name, best, d, cnt);
        CS_CHECK(avx2 == 1, "%s: enable 2 selects the AVX2 set (got %d)", name, avx2);
        CS_CHECK(best == (__builtin_cpu_supports("avx512f") ? 2 : 1), "%s: enable 1 selects set %d", name, best);
        printf("%s: half products of set %d = AVX2 set, bit for bit (%zu logits)\n", name, best, cnt);
    }
    /* float32 weights: enable 1 and 2 are the same (AVX2) set */
    const int fb = run(f32, n, 1, a), f2 = run(f32, n, 2, b);
    d = 0;
    for (size_t i = 0; i < cnt; i++)
        d += bits(a[i]) != bits(b[i]);
    CS_CHECK(d == 0 && fb == f2, "%s float32: enable 1 (%d) and 2 (%d) differ in %zu logits", name, fb, f2, d);
    free(a);
    free(b);
    free(f32);
    free(h16);
}

/* The clamp of the logits (NaN -> 0, then into +-1e30), with every kernel set: a GRU with zero weights has h = 0,
 * so its logits are 0 + head.bias exactly; head.bias (through an unverified view: a parsed model cannot hold
 * them) is NaN, the infinities, +-1e31, +-1e30, the largest float below 1e30, -0, 1 and denormal-free small values,
 * over V 37 (4-row blocks and a remainder row; 8-lane blocks and a scalar tail of the clamp). */
static void check_clamp(void)
{
    const cs_model_config c = {CS_MODEL_GRU, 37, 16, 1, 0, 0, 0, 0};
    const size_t n = cs_model_param_count(&c);
    float *w = calloc(n, sizeof *w), want[37];
    cs_model_tensor hb;
    CS_CHECK(w && cs_model_tensor_info(&c, cs_model_tensor_count(&c) - 1, &hb) == CS_MODEL_OK, "clamp: model");
    if (!w) return;
    const float vals[12] = {NAN,    INFINITY,       -INFINITY, 1e31f, -1e31f,   1e30f,
                            -1e30f, 9.99999934e29f, -0.0f,     1.0f,  -3.5e-3f, 2.5e20f};
    for (int i = 0; i < 37; i++) {
        const float b = vals[i % 12], s = 0.0f + b; /* the product of h = 0 plus the bias */
        w[hb.offset + (size_t)i] = b;
        want[i] = s != s ? 0.0f : s > 1e30f ? 1e30f : s < -1e30f ? -1e30f : s;
    }
    for (int simd = 0; simd <= 2; simd++) {
        cs_model_view v;
        CS_CHECK(cs_model_view_map(&c, w, &v) == CS_MODEL_OK, "clamp: view");
        const size_t bytes = cs_model_state_size(&v);
        void *mem = malloc(bytes);
        cs_model_state *st = NULL;
        CS_CHECK(mem && cs_model_state_init(&v, mem, bytes, &st) == CS_MODEL_OK, "clamp: state");
        if (!st) {
            free(mem);
            continue;
        }
        const int set = cs_model_state_set_simd(st, simd);
        const float *lg = NULL;
        cs_model_step(st, 3, &lg);
        int bad = 0;
        for (int i = 0; i < 37; i++)
            bad += bits(lg[i]) != bits(want[i]);
        CS_CHECK(bad == 0, "clamp, kernel set %d: %d of 37 logits are not the clamped bias", set, bad);
        free(mem);
    }
    free(w);
    printf("clamp of the logits: NaN, infinities, +-1e31, -0 as clamp_finite with every kernel set\n");
}

int main(void)
{
    check_clamp();
    const int widths[6] = {16, 22, 24, 40, 58, 128}, vocabs[3] = {5, 37, 256};
    char name[64];
    for (int w = 0; w < 6; w++) {
        for (int k = 0; k < 3; k++) {
            if (widths[w] == 128 && vocabs[k] != 256) continue;
            const cs_model_config g = {CS_MODEL_GRU, vocabs[k], widths[w], 1 + (w + k) % 2, 0, 0, 0, 0};
            snprintf(name, sizeof name, "GRU H %d x %d, V %d", g.width, g.layers, g.vocab);
            check(&g, name);
        }
    }
    const int dims[3] = {34, 40, 64};
    for (int k = 0; k < 3; k++) {
        const cs_model_config t = {CS_MODEL_TRANSFORMER, vocabs[k], dims[k], 2, 2, 16, 4 * dims[k], 0};
        snprintf(name, sizeof name, "transformer D %d x 2, V %d", t.width, t.vocab);
        check(&t, name);
    }
    CS_TEST_END();
}
