/*
 * test_model_half_copy.c - the half copy of a half-weight state (cs_model_state_size, cs_model_state_set_hcopy):
 * the matrices of a warm step with the high halves' bias removed, made by the step on a matrix's first use and
 * multiplied by F16C straight from memory.
 *  1. same logits: a state with the copy and one without step through 400 tokens (resets, primes) to
 *     bit-identical logits, with the AVX2 and the AVX-512 kernel sets, for shapes with every column tail (width
 *     22: 16 + 6 columns; 40: 32 + 8; 34: 32 + 2; ff2's 136 and 160) and row remainder (3 x 22 = 66 rows, V 37,
 *     V 5), GRU and transformer, one and two layers; and equal to the float32 expansion's logits (cs_model_expand);
 *     and equal with the copy kept row by row (set_hcopy 2) to the blocked copy (4-row blocks interleaved by 16
 *     columns, rows % 4 == 0 and cols % 16 == 0), with blocks of 1, 2, 3 and 8 chunks (widths 16, 32, 48, 128:
 *     the reduction deferred past a block's third chunk or its last) and a head of one block (V 4);
 *  2. no stale copy: the Buffer's weights replaced in place (the same pointer) and cs_model_rebind'ed, the logits
 *     equal a fresh state's on the new weights, bit for bit (fails if rebind does not mark the copy stale);
 *  3. who has a copy: float32 weights, the portable kernel set and a model whose copy would pass
 *     CS_MODEL_HCOPY_MAX_BYTES have none (set_hcopy returns 0); a state of size cs_model_state_size - 1 is the small
 * state (no copy, no table, the same logits) and one of cs_model_state_size_min - 1 is refused.
 */
#include "cs_model.h"
#include "cs_test.h"
#include "cs_test_models.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { STEPS = 400 };

/* STEPS steps of a fixed token stream (a reset every 89 steps, a prime every 11), the logits into out. */
static void run(cs_model_state *st, int V, float *out)
{
    uint32_t seed = 4242u;
    cs_model_reset(st);
    for (int t = 0; t < STEPS; t++) {
        seed = seed * 1664525u + 1013904223u;
        const int tok = (int)((seed >> 8) % (uint32_t)V);
        if (t % 89 == 88) cs_model_reset(st);
        if (t % 11 == 10)
            cs_model_prime(st, tok);
        else
            cs_model_step(st, tok, NULL);
        memcpy(out + (size_t)t * (size_t)V, cs_model_logits(st), (size_t)V * sizeof(float));
    }
}

static size_t differing(const float *a, const float *b, size_t n)
{
    size_t d = 0;
    for (size_t i = 0; i < n; i++)
        d += memcmp(a + i, b + i, sizeof(float)) != 0;
    return d;
}

/* Part 1 and 2 for one shape. */
static void test_same(const cs_model_config *cfg, const char *name)
{
    size_t n = 0, hn = 0, hn2 = 0;
    float *f32 = cs_test_random_model(cfg, &n, 41u, 0.0f);
    float *h16 = f32 ? cs_test_half_model(f32, n, &hn) : NULL;
    float *f32b = cs_test_random_model(cfg, &n, 97u, 0.0f);
    float *h16b = f32b ? cs_test_half_model(f32b, n, &hn2) : NULL;
    float *exp = malloc(n * sizeof(float));
    cs_model_view hv;
    CS_CHECK(h16 && h16b && hn == hn2 && exp && cs_model_parse(h16, hn, &hv) == CS_MODEL_OK &&
                 cs_model_expand(&hv, h16, exp, n) == (long)n,
             "%s: models built", name);
    if (!h16 || !h16b || hn != hn2 || !exp) return;
    const int V = cfg->vocab;
    const size_t cnt = (size_t)STEPS * (size_t)V;
    float *a = malloc(cnt * sizeof(float)), *b = malloc(cnt * sizeof(float)), *c = malloc(cnt * sizeof(float));
    for (int simd = 1; simd <= 2; simd++) { /* 1: the best set (AVX-512 products when the CPU has them); 2: AVX2 */
        void *m1, *m2, *m3, *m4;
        cs_model_state *on = cs_test_state_new(h16, hn, &m1), *off = cs_test_state_new(h16, hn, &m2),
                       *fl = cs_test_state_new(exp, n, &m3), *row = cs_test_state_new(h16, hn, &m4);
        CS_CHECK(on && off && fl && row, "%s: states", name);
        if (!on || !off || !fl || !row) continue;
        const int s = cs_model_state_set_simd(on, simd);
        cs_model_state_set_simd(off, simd);
        cs_model_state_set_simd(fl, simd);
        cs_model_state_set_simd(row, simd);
        if (s == 0) { /* no AVX2 + F16C: the portable set has no copy kernel */
            CS_CHECK(cs_model_state_set_hcopy(on, 1) == 0, "%s: the portable set uses no copy", name);
            printf("%s: no AVX2/F16C on this CPU, copy not tested\n", name);
        } else {
            CS_CHECK(cs_model_state_set_hcopy(on, 1) == 1 && cs_model_state_set_hcopy(off, 0) == 0 &&
                         cs_model_state_set_hcopy(row, 2) == 1,
                     "%s: the copy can be switched on, row by row and off", name);
            run(on, V, a);
            run(off, V, b);
            run(fl, V, c);
            size_t d = differing(a, b, cnt), e = differing(a, c, cnt);
            CS_CHECK(d == 0, "%s kernel set %d: %zu of %zu logits differ with the copy", name, s, d, cnt);
            CS_CHECK(e == 0, "%s kernel set %d: %zu of %zu logits differ from the float32 expansion's", name, s, e,
                     cnt);
            run(row, V, b);
            d = differing(a, b, cnt);
            CS_CHECK(d == 0, "%s kernel set %d: %zu of %zu logits differ between the blocked and the row-by-row copy",
                     name, s, d, cnt);
        }
        free(m1);
        free(m2);
        free(m3);
        free(m4);
    }
    /* the Buffer overwritten in place with other weights, then rebound: the copy of the old ones must not be read */
    {
        void *m1, *m2;
        float *buf = malloc(hn * sizeof(float));
        if (buf) memcpy(buf, h16, hn * sizeof(float));
        cs_model_state *st = buf ? cs_test_state_new(buf, hn, &m1) : NULL, *fresh = cs_test_state_new(h16b, hn, &m2);
        CS_CHECK(st && fresh, "%s: rebind states", name);
        if (st && fresh) {
            run(st, V, a); /* makes the copy of the first weights */
            memcpy(buf, h16b, hn * sizeof(float));
            cs_model_view nv;
            CS_CHECK(cs_model_parse(buf, hn, &nv) == CS_MODEL_OK && cs_model_rebind(st, &nv) == CS_MODEL_OK,
                     "%s: rebind", name);
            run(st, V, a);
            run(fresh, V, b);
            const size_t d = differing(a, b, cnt);
            CS_CHECK(d == 0, "%s: after new weights in the same Buffer and a rebind, %zu of %zu logits differ", name, d,
                     cnt);
        }
        free(buf);
        free(m1);
        free(m2);
    }
    printf("%s: logits with the half copy bit-equal (both kernel sets, the float32 expansion, rebind)\n", name);
    free(a);
    free(b);
    free(c);
    free(exp);
    free(f32);
    free(h16);
    free(f32b);
    free(h16b);
}

/* Part 3: the model of cfg at precision prec has a copy (want) or not. */
static void test_has(const cs_model_config *cfg, int half, int want, const char *name)
{
    size_t n = 0, hn = 0;
    float *f32 = cs_test_random_model(cfg, &n, 5u, 0.0f);
    float *h16 = f32 && half ? cs_test_half_model(f32, n, &hn) : NULL;
    void *mem = NULL;
    cs_model_state *st = f32 && (!half || h16) ? cs_test_state_new(half ? h16 : f32, half ? hn : n, &mem) : NULL;
    CS_CHECK(st != NULL, "%s: state", name);
    if (st) {
        const int simd = cs_model_state_set_simd(st, 1);
        CS_CHECK(cs_model_state_set_hcopy(st, 1) == (want && simd), "%s: a half copy %s", name,
                 want ? "is used" : "is not");
        cs_model_state_set_simd(st, 0);
        CS_CHECK(cs_model_state_set_hcopy(st, 1) == 0, "%s: no copy with the portable set", name);
        cs_model_view v;
        cs_model_parse(half ? h16 : f32, half ? hn : n, &v);
        /* fewer bytes than the full state: the small state (no copy, no folded table), the same logits */
        const size_t bytes = cs_model_state_size(&v), least = cs_model_state_size_min(&v);
        void *small = malloc(bytes);
        cs_model_state *s2 = NULL;
        CS_CHECK(small && least > 0 && least <= bytes, "%s: small state %zu of %zu bytes", name, least, bytes);
        if (small && least < bytes) /* a model with a copy or a table */
            CS_CHECK(cs_model_state_init(&v, small, bytes - 1, &s2) == CS_MODEL_OK,
                     "%s: %zu - 1 bytes give the small state (%zu)", name, bytes, least);
        if (s2) {
            CS_CHECK(cs_model_state_set_hcopy(s2, 1) == 0 && cs_model_state_set_fold(s2, 1) == 0,
                     "%s: the small state has no copy and no table", name);
            cs_model_state_set_simd(st, 1);
            cs_model_state_set_simd(s2, 1);
            cs_model_state_set_hcopy(st, 1);
            cs_model_reset(st);
            cs_model_reset(s2);
            int differ = 0;
            for (int i = 0; i < 60; i++) {
                const float *la = NULL, *lb = NULL;
                const int tok = (i * 7 + 3) % cfg->vocab;
                cs_model_step(st, tok, &la);
                cs_model_step(s2, tok, &lb);
                differ += memcmp(la, lb, (size_t)cfg->vocab * sizeof(float)) != 0;
            }
            CS_CHECK(differ == 0, "%s: the small state's logits are the full state's: %d of 60 steps differ", name,
                     differ);
        }
        s2 = NULL;
        CS_CHECK(cs_model_state_init(&v, small, least - 1, &s2) == CS_MODEL_E_MEMORY && !s2,
                 "%s: %zu - 1 bytes refused", name, least);
        free(small);
    }
    free(mem);
    free(f32);
    free(h16);
}

int main(void)
{
    const cs_model_config g64 = {CS_MODEL_GRU, 64, 64, 1, 0, 0, 0, 0};
    const cs_model_config g128 = {CS_MODEL_GRU, 256, 128, 2, 0, 0, 0, 0};
    const cs_model_config g22 = {CS_MODEL_GRU, 37, 22, 2, 0, 0, 0, 0};
    const cs_model_config g40 = {CS_MODEL_GRU, 5, 40, 1, 0, 0, 0, 0};
    const cs_model_config t34 = {CS_MODEL_TRANSFORMER, 37, 34, 2, 2, 16, 136, 0};
    const cs_model_config t40 = {CS_MODEL_TRANSFORMER, 5, 40, 1, 4, 8, 160, 0};
    const cs_model_config t64 = {CS_MODEL_TRANSFORMER, 64, 64, 2, 4, 64, 256, 0};
    const cs_model_config g16 = {CS_MODEL_GRU, 4, 16, 2, 0, 0, 0, 0};
    const cs_model_config g32 = {CS_MODEL_GRU, 6, 32, 1, 0, 0, 0, 0};
    const cs_model_config g48 = {CS_MODEL_GRU, 12, 48, 2, 0, 0, 0, 0};
    test_same(&g64, "gru_h64_v64");
    test_same(&g128, "gru_h128_v256_l2");
    test_same(&g22, "gru_h22_v37_l2");
    test_same(&g40, "gru_h40_v5");
    test_same(&t34, "tf_d34_v37_l2");
    test_same(&t40, "tf_d40_v5");
    test_same(&t64, "tf_d64_v64_l2");
    test_same(&g16, "gru_h16_v4_l2");
    test_same(&g32, "gru_h32_v6");
    test_same(&g48, "gru_h48_v12_l2");
    test_has(&g128, 1, 1, "half gru_h128_v256_l2");
    test_has(&g128, 0, 0, "float32 gru_h128_v256_l2");
    test_has(&t64, 1, 1, "half tf_d64_v64_l2");
    const cs_model_config big = {CS_MODEL_GRU, 256, 256, 1, 0, 0, 0, 0}; /* no fold, 896 KB of matrices */
    test_has(&big, 1, 0, "half gru_h256_v256 (copy above CS_MODEL_HCOPY_MAX_BYTES)");
    CS_TEST_END();
}
