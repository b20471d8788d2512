/*
 * test_model_fold.c - the folded embedding of the GRU step (cs_model_state_size, cs_model_state_set_fold): layer
 * 0's input product W_ih0 embedding[t] + b_ih0 kept per token in the state and read instead of recomputed.
 *  1. same logits: a state with the table and one without (cs_model_state_set_fold 0) step through 600 tokens
 *     (every token first seen, then seen again, BOS after resets, primes) to bit-identical logits, for GRU H 64 /
 *     1 layer / V 64 and H 128 / 2 layers / V 256, float32 and half weights, both kernel sets;
 *  2. no stale rows: cs_model_rebind to other weights of the same shape, and a change of kernel set, empty the
 *     table: the logits then equal a fresh state's on those weights / with that set, bit for bit;
 *  3. who has a table: a transformer, a GRU with descriptor inputs and a GRU whose table would exceed
 *     CS_MODEL_FOLD_MAX_BYTES have none (set_fold returns 0, the state size is the small one); the others do, and
 *     their state size includes it.
 */
#include "cs_model.h"
#include "cs_test.h"
#include "cs_test_models.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { STEPS = 600 };

static uint32_t bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

/* STEPS steps of a fixed token stream (the first V feed every token once, in order; then random tokens, a reset
 * every 97 steps and a prime every 13), the logits of each into out (STEPS x V). */
static void run(cs_model_state *st, int V, float *out)
{
    uint32_t seed = 12345u;
    cs_model_reset(st);
    for (int t = 0; t < STEPS; t++) {
        seed = seed * 1664525u + 1013904223u;
        const int tok = t < V ? t : (int)((seed >> 8) % (uint32_t)V);
        if (t % 97 == 96) cs_model_reset(st);
        if (t % 13 == 12) cs_model_prime(st, tok);
        const float *lg = NULL;
        if (t % 13 != 12) cs_model_step(st, tok, &lg);
        lg = cs_model_logits(st);
        memcpy(out + (size_t)t * (size_t)V, lg, (size_t)V * sizeof(float));
    }
}

static size_t differing(const float *a, const float *b, size_t n)
{
    size_t d = 0;
    for (size_t i = 0; i < n; i++)
        d += bits(a[i]) != bits(b[i]);
    return d;
}

static void test_same(const cs_model_config *cfg, const char *name)
{
    size_t n = 0, hn = 0;
    float *f32 = cs_test_random_model(cfg, &n, 31u, 0.0f);
    float *h16 = f32 ? cs_test_half_model(f32, n, &hn) : NULL;
    float *other = cs_test_random_model(cfg, &n, 77u, 0.0f); /* same shape, other weights */
    CS_CHECK(f32 && h16 && other, "%s: models built", name);
    if (!f32 || !h16 || !other) return;
    const int V = cfg->vocab;
    const size_t cnt = (size_t)STEPS * (size_t)V;
    float *a = malloc(cnt * sizeof(float)), *b = malloc(cnt * sizeof(float));
    for (int prec = 0; prec < 2; prec++) {
        const float *buf = prec ? h16 : f32;
        const size_t len = prec ? hn : n;
        for (int simd = 1; simd >= 0; simd--) {
            void *m1, *m2;
            cs_model_state *on = cs_test_state_new(buf, len, &m1), *off = cs_test_state_new(buf, len, &m2);
            CS_CHECK(on && off, "%s: states", name);
            if (!on || !off) continue;
            cs_model_state_set_simd(on, simd);
            cs_model_state_set_simd(off, simd);
            CS_CHECK(cs_model_state_set_fold(on, 1) == 1 && cs_model_state_set_fold(off, 0) == 0,
                     "%s: the table can be switched on and off", name);
            run(on, V, a);
            run(off, V, b);
            size_t d = differing(a, b, cnt);
            CS_CHECK(d == 0, "%s %s %s: %zu of %zu logits differ with the folded table", name,
                     prec ? "half" : "float32", simd ? "simd" : "portable", d, cnt);
            /* a change of kernel set empties the table: the other set's rows are not reused */
            cs_model_state_set_simd(on, !simd);
            cs_model_state_set_simd(off, !simd);
            run(on, V, a);
            run(off, V, b);
            CS_CHECK(differing(a, b, cnt) == 0, "%s %s: after a kernel switch the folded logits are the set's own",
                     name, prec ? "half" : "float32");
            free(m1);
            free(m2);
        }
    }
    /* rebind to other weights of the same shape: the rows of the first weights must not be read */
    {
        void *m1, *m2;
        cs_model_state *st = cs_test_state_new(f32, n, &m1), *fresh = cs_test_state_new(other, n, &m2);
        cs_model_view ov;
        CS_CHECK(st && fresh && cs_model_parse(other, n, &ov) == CS_MODEL_OK, "%s: rebind states", name);
        if (st && fresh) {
            run(st, V, a); /* fills the table from the first weights */
            CS_CHECK(cs_model_rebind(st, &ov) == CS_MODEL_OK, "%s: rebind", name);
            run(st, V, a);
            run(fresh, V, b);
            size_t d = differing(a, b, cnt);
            CS_CHECK(d == 0, "%s: after a rebind to other weights %zu of %zu logits differ from a fresh state", name, d,
                     cnt);
        }
        free(m1);
        free(m2);
    }
    printf("%s: folded logits bit-equal (float32, half; simd, portable; rebind)\n", name);
    free(a);
    free(b);
    free(f32);
    free(h16);
    free(other);
}

/* A model of cfg has a table (1) or not (0): set_fold's answer; a GRU's state size holds the table or not. */
static void test_has(const cs_model_config *cfg, int want, const char *name)
{
    float *w = calloc(cs_model_param_count(cfg), sizeof *w); /* zero weights: only the layout matters here */
    cs_model_view v;
    CS_CHECK(w && cs_model_view_map(cfg, w, &v) == CS_MODEL_OK, "%s: view", name);
    if (!w) return;
    const size_t bytes = cs_model_state_size(&v);
    void *mem = malloc(bytes);
    cs_model_state *st = NULL;
    CS_CHECK(mem && cs_model_state_init(&v, mem, bytes, &st) == CS_MODEL_OK, "%s: state", name);
    CS_CHECK(st && cs_model_state_set_fold(st, 1) == want, "%s: a folded table %s", name, want ? "is used" : "is not");
    const size_t table = ((size_t)cfg->vocab + 1) * 3u * (size_t)cfg->width * sizeof(float);
    if (cfg->arch == CS_MODEL_GRU)
        CS_CHECK(want ? bytes > table : bytes < table, "%s: state %zu bytes, table %zu", name, bytes, table);
    free(mem);
    free(w);
}

int main(void)
{
    const cs_model_config small = {CS_MODEL_GRU, 64, 64, 1, 0, 0, 0, 0};
    const cs_model_config big = {CS_MODEL_GRU, 256, 128, 2, 0, 0, 0, 0};
    test_same(&small, "gru_h64_v64");
    test_same(&big, "gru_h128_v256_l2");
    test_has(&small, 1, "gru_h64_v64");
    test_has(&big, 1, "gru_h128_v256_l2");
    const cs_model_config wide = {CS_MODEL_GRU, 256, 256, 1, 0, 0, 0, 0}; /* 257 x 768 x 4 = 790 KB > the limit */
    test_has(&wide, 0, "gru_h256_v256 (table above CS_MODEL_FOLD_MAX_BYTES)");
    const cs_model_config desc = {CS_MODEL_GRU, 64, 64, 1, 0, 0, 0, 9};
    test_has(&desc, 0, "gru_h64_v64 with descriptor inputs");
    const cs_model_config tf = {CS_MODEL_TRANSFORMER, 64, 64, 2, 4, 64, 256, 0};
    test_has(&tf, 0, "transformer");
    CS_TEST_END();
}
