/*
 * test_model_malformed.c - cs_model_parse on bad model buffers: zero-length, truncated at every length,
 * wrong magic, wrong version, malformed fields, bad / inconsistent / huge dimensions, size mismatch,
 * NaN / infinite / out-of-range weights, bad checksum, non-finite metadata. Each is rejected with the
 * expected cs_model_err and never crashes (also run under ASan/UBSan in build-inf-asan). Plus: random
 * header corruption (every accepted buffer must then step with finite logits), incremental verification,
 * state memory errors, rebind, and finite logits with the largest legal weights (|w| = 2^20) in the largest
 * legal shapes, and with weights nobody verified (header-only parse) that are NaN.
 */
#include "cs_error.h"
#include "cs_model.h"
#include "cs_model_io.h"
#include "cs_split.h"
#include "cs_test.h"
#include "cs_unit_table.h"

#include <stdlib.h>
#include <string.h>

static float *load_bin(const char *name, size_t *n)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/model_%s.bin", CS_FIXTURE_DIR, name);
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    fseek(fp, 0, SEEK_END);
    long bytes = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    *n = (size_t)bytes / sizeof(float);
    float *b = malloc(*n * sizeof(float));
    if (fread(b, sizeof(float), *n, fp) != *n) {
        free(b);
        b = NULL;
    }
    fclose(fp);
    return b;
}

/* parse a modified copy: set buf[idx] = value */
static int parse_with(const float *good, size_t n, size_t idx, float value)
{
    float *b = malloc(n * sizeof(float));
    memcpy(b, good, n * sizeof(float));
    b[idx] = value;
    cs_model_view v;
    int e = cs_model_parse(b, n, &v);
    if (e != 0) CS_CHECK(v.weights == NULL && v.cfg.vocab == 0, "view zeroed on error");
    free(b);
    return e;
}

#define EXPECT(good, n, idx, value, err)                                                                               \
    do {                                                                                                               \
        int e_ = parse_with(good, n, idx, value);                                                                      \
        CS_CHECK(e_ == (err), "buf[%d] = %g: got %d (%s), want %d (%s)", (int)(idx), (double)(value), e_,              \
                 cs_model_strerror(e_), err, cs_model_strerror(err));                                                  \
    } while (0)

/* step a parsed model and check every logit is finite */
static int steps_finite(const cs_model_view *v, int nsteps, unsigned seed)
{
    size_t bytes = cs_model_state_size(v);
    void *mem = malloc(bytes);
    cs_model_state *st = NULL;
    int ok = cs_model_state_init(v, mem, bytes, &st) == 0;
    const float *lg = ok ? cs_model_logits(st) : NULL;
    for (int i = 0; ok && i <= nsteps; i++) {
        for (int j = 0; j < v->cfg.vocab; j++)
            if (!isfinite(lg[j])) ok = 0;
        seed = seed * 1103515245u + 12345u;
        if (i < nsteps) ok &= cs_model_step(st, (int)((seed >> 16) % (unsigned)v->cfg.vocab), &lg) == 0;
    }
    free(mem);
    return ok;
}

/* Every rejection of the parser on one fixture. Long (about 200 lines) on purpose: it is a flat list of cases,
 * one line per corrupted field in header order, sharing one fixture; split up it would only scatter that list. */
static void test_common(const char *name)
{
    size_t n = 0;
    float *good = load_bin(name, &n);
    CS_CHECK(good != NULL, "fixture %s", name);
    if (!good) return;
    cs_model_view v;
    CS_CHECK(cs_model_parse(good, n, &v) == 0, "%s parses", name);
    const size_t total = v.total_floats;
    CS_CHECK(total == n, "%s: whole buffer is the model", name);
    const int tf = v.cfg.arch == CS_MODEL_TRANSFORMER;

    /* zero-length, NULL */
    CS_CHECK(cs_model_parse(good, 0, &v) == CS_MODEL_E_TRUNCATED, "zero-length");
    CS_CHECK(cs_model_parse(NULL, 0, &v) == CS_MODEL_E_TRUNCATED, "NULL, zero-length");
    CS_CHECK(cs_model_parse(NULL, 100, &v) == CS_MODEL_E_ARG, "NULL buffer");
    CS_CHECK(cs_model_parse(good, n, NULL) == CS_MODEL_E_ARG, "NULL view");

    /* truncated at every length: each in its own exact-size heap block so ASan sees any over-read */
    int trunc_ok = 1;
    for (size_t len = 1; len < total; len++) {
        float *b = malloc(len * sizeof(float));
        memcpy(b, good, len * sizeof(float));
        int e = cs_model_parse(b, len, &v);
        if (e != CS_MODEL_E_TRUNCATED) {
            trunc_ok = 0;
            fprintf(stderr, "length %zu: %d\n", len, e);
        }
        free(b);
        if (!trunc_ok) break;
    }
    CS_CHECK(trunc_ok, "%s: every truncation rejected as truncated", name);
    /* longer buffers (a larger SC Buffer) are accepted: the tail is ignored */
    {
        float *b = calloc(n + 1000, sizeof(float));
        memcpy(b, good, n * sizeof(float));
        CS_CHECK(cs_model_parse(b, n + 1000, &v) == 0 && v.total_floats == total, "trailing floats ignored");
        free(b);
    }

    /* magic, version, header size */
    EXPECT(good, n, CS_MH_MAGIC, 4412236.0f, CS_MODEL_E_MAGIC);
    EXPECT(good, n, CS_MH_MAGIC, NAN, CS_MODEL_E_MAGIC);
    EXPECT(good, n, CS_MH_MAGIC, 0.0f, CS_MODEL_E_MAGIC);
    EXPECT(good, n, CS_MH_VERSION, 3.0f, CS_MODEL_E_VERSION); /* 1 and 2 are read */
    EXPECT(good, n, CS_MH_VERSION, 0.0f, CS_MODEL_E_VERSION);
    EXPECT(good, n, CS_MH_VERSION, 1.5f, CS_MODEL_E_VERSION);
    EXPECT(good, n, CS_MH_VERSION, NAN, CS_MODEL_E_VERSION);
    EXPECT(good, n, CS_MH_HEADER_FLOATS, 63.0f, CS_MODEL_E_HEADER);
    EXPECT(good, n, CS_MH_HEADER_FLOATS, INFINITY, CS_MODEL_E_HEADER);
    {
        float wrong_magic[3] = {1.0f, 2.0f, 3.0f};
        CS_CHECK(cs_model_parse(wrong_magic, 3, &v) == CS_MODEL_E_MAGIC, "short non-model: bad magic");
    }

    /* architecture */
    EXPECT(good, n, CS_MH_ARCH, 2.0f, CS_MODEL_E_ARCH);
    EXPECT(good, n, CS_MH_ARCH, -1.0f, CS_MODEL_E_ARCH);
    EXPECT(good, n, CS_MH_ARCH, 0.5f, CS_MODEL_E_ARCH);
    /* the other architecture with these dimensions: dims or size mismatch */
    {
        int e = parse_with(good, n, CS_MH_ARCH, tf ? 0.0f : 1.0f);
        CS_CHECK(e == CS_MODEL_E_DIMS, "%s: other architecture rejected (%d)", name, e);
    }

    /* dimensions: malformed (E_HEADER), out of range or huge (E_DIMS), inconsistent (E_SIZE) */
    for (int f = CS_MH_VOCAB; f <= CS_MH_DFF; f++) {
        EXPECT(good, n, f, NAN, CS_MODEL_E_HEADER);
        EXPECT(good, n, f, -INFINITY, CS_MODEL_E_HEADER);
        EXPECT(good, n, f, 3.25f, CS_MODEL_E_HEADER);
        EXPECT(good, n, f, -1.0f, CS_MODEL_E_DIMS);
        EXPECT(good, n, f, 1e7f, CS_MODEL_E_DIMS);
        EXPECT(good, n, f, 3e38f, CS_MODEL_E_DIMS);
        EXPECT(good, n, f, 65536.0f, CS_MODEL_E_DIMS);
    }
    EXPECT(good, n, CS_MH_VOCAB, 0.0f, CS_MODEL_E_DIMS);
    EXPECT(good, n, CS_MH_VOCAB, 4097.0f, CS_MODEL_E_DIMS);
    EXPECT(good, n, CS_MH_VOCAB, 4096.0f, CS_MODEL_E_SIZE); /* legal, but the weight count disagrees */
    EXPECT(good, n, CS_MH_LAYERS, 0.0f, CS_MODEL_E_DIMS);
    EXPECT(good, n, CS_MH_LAYERS, 1.0f, CS_MODEL_E_SIZE);
    if (!tf) {
        EXPECT(good, n, CS_MH_WIDTH, 15.0f, CS_MODEL_E_DIMS);
        EXPECT(good, n, CS_MH_WIDTH, 257.0f, CS_MODEL_E_DIMS);
        EXPECT(good, n, CS_MH_WIDTH, 256.0f, CS_MODEL_E_SIZE);
        EXPECT(good, n, CS_MH_LAYERS, 3.0f, CS_MODEL_E_DIMS);
        EXPECT(good, n, CS_MH_HEADS, 1.0f, CS_MODEL_E_DIMS);
        EXPECT(good, n, CS_MH_CONTEXT, 8.0f, CS_MODEL_E_DIMS);
        EXPECT(good, n, CS_MH_DFF, 64.0f, CS_MODEL_E_DIMS);
    } else {
        EXPECT(good, n, CS_MH_WIDTH, 31.0f, CS_MODEL_E_DIMS);
        EXPECT(good, n, CS_MH_WIDTH, 129.0f, CS_MODEL_E_DIMS);
        EXPECT(good, n, CS_MH_LAYERS, 5.0f, CS_MODEL_E_DIMS);
        EXPECT(good, n, CS_MH_HEADS, 0.0f, CS_MODEL_E_DIMS);
        EXPECT(good, n, CS_MH_HEADS, 3.0f, CS_MODEL_E_DIMS);  /* does not divide 32 */
        EXPECT(good, n, CS_MH_HEADS, 64.0f, CS_MODEL_E_DIMS); /* more heads than width */
        EXPECT(good, n, CS_MH_HEADS, 8.0f, 0);                /* heads do not change the weight count */
        EXPECT(good, n, CS_MH_CONTEXT, 0.0f, CS_MODEL_E_DIMS);
        EXPECT(good, n, CS_MH_CONTEXT, 129.0f, CS_MODEL_E_DIMS);
        EXPECT(good, n, CS_MH_CONTEXT, 128.0f, 0); /* context does not change the weight count either */
        EXPECT(good, n, CS_MH_DFF, 127.0f, CS_MODEL_E_DIMS);
    }

    /* weight count field */
    EXPECT(good, n, CS_MH_NWEIGHTS, good[CS_MH_NWEIGHTS] + 1.0f, CS_MODEL_E_SIZE);
    EXPECT(good, n, CS_MH_NWEIGHTS + 1, 1.0f, CS_MODEL_E_SIZE);
    EXPECT(good, n, CS_MH_NWEIGHTS, 65536.0f, CS_MODEL_E_HEADER);
    EXPECT(good, n, CS_MH_NWEIGHTS, 0.5f, CS_MODEL_E_HEADER);
    EXPECT(good, n, CS_MH_NWEIGHTS, 60000.0f, CS_MODEL_E_SIZE); /* hi piece: claims 3.9e9 weights */

    /* checksum and metadata */
    EXPECT(good, n, CS_MH_CHECKSUM, good[CS_MH_CHECKSUM] == 0.0f ? 1.0f : 0.0f, CS_MODEL_E_CHECKSUM);
    EXPECT(good, n, CS_MH_CHECKSUM + 1, -1.0f, CS_MODEL_E_HEADER);
    EXPECT(good, n, CS_MH_SEED + 3, 70000.0f, CS_MODEL_E_HEADER);
    EXPECT(good, n, CS_MH_CORPUS_SUM, NAN, CS_MODEL_E_HEADER);
    EXPECT(good, n, CS_MH_EPOCHS, 1.5f, CS_MODEL_E_HEADER);
    EXPECT(good, n, CS_MH_TRAIN_LOSS, NAN, CS_MODEL_E_HEADER);
    EXPECT(good, n, CS_MH_VAL_LOSS, INFINITY, CS_MODEL_E_HEADER);
    EXPECT(good, n, CS_MH_RESERVED, 123.0f, 0); /* reserved floats (35, 38..63) are ignored */
    EXPECT(good, n, CS_MH_RESERVED_TAIL, 123.0f, 0);
    EXPECT(good, n, CS_MODEL_HEADER_FLOATS - 1, 123.0f, 0);
    EXPECT(good, n, CS_MH_PRECISION, 123.0f, CS_MODEL_E_PRECISION);
    EXPECT(good, n, CS_MH_PRECISION_LAYOUT, 1.0f, CS_MODEL_E_PRECISION);

    /* weights: non-finite or out of range anywhere, a flipped value, all caught */
    const size_t W0 = CS_MODEL_HEADER_FLOATS, last = n - 1, mid = W0 + (n - W0) / 2;
    size_t where[3] = {W0, mid, last};
    for (int k = 0; k < 3; k++) {
        EXPECT(good, n, where[k], NAN, CS_MODEL_E_NONFINITE);
        EXPECT(good, n, where[k], INFINITY, CS_MODEL_E_NONFINITE);
        EXPECT(good, n, where[k], -INFINITY, CS_MODEL_E_NONFINITE);
        EXPECT(good, n, where[k], 2e6f, CS_MODEL_E_NONFINITE);
        EXPECT(good, n, where[k], good[where[k]] + 0.5f, CS_MODEL_E_CHECKSUM);
        EXPECT(good, n, where[k], -good[where[k]] == good[where[k]] ? 1.0f : -good[where[k]], CS_MODEL_E_CHECKSUM);
    }
    {
        /* one flipped mantissa bit, the smallest change there is */
        float *b = malloc(n * sizeof(float));
        memcpy(b, good, n * sizeof(float));
        uint32_t u;
        memcpy(&u, &b[mid], 4);
        u ^= 1u;
        memcpy(&b[mid], &u, 4);
        CS_CHECK(cs_model_parse(b, n, &v) == CS_MODEL_E_CHECKSUM, "one flipped bit");
        /* the header-only parse accepts it (it does not read weights) */
        CS_CHECK(cs_model_parse_header(b, n, &v) == 0, "header-only parse skips the weights");
        /* NaN weights that nobody verified: logits must still be finite */
        for (size_t i = W0; i < n; i += 7)
            b[i] = NAN;
        for (size_t i = W0 + 3; i < n; i += 11)
            b[i] = INFINITY;
        CS_CHECK(cs_model_parse_header(b, n, &v) == 0, "header-only parse of NaN weights");
        CS_CHECK(steps_finite(&v, 30, 1), "%s: unverified NaN/inf weights still give finite logits", name);
        free(b);
    }

    /* incremental verification = full verification, whatever the chunk size */
    {
        CS_CHECK(cs_model_parse_header(good, n, &v) == 0, "header");
        size_t chunks[4] = {1, 7, 1000, 1u << 30};
        for (int c = 0; c < 4; c++) {
            cs_model_verify vs;
            cs_model_verify_begin(&vs);
            int r, calls = 0;
            while ((r = cs_model_verify_step(&v, &vs, chunks[c])) == 0)
                calls++;
            CS_CHECK(r == 1, "incremental verify chunk %zu: %d", chunks[c], r);
            CS_CHECK((size_t)calls + 1 == (v.n_weights + chunks[c] - 1) / chunks[c], "calls %d", calls);
        }
        float *b = malloc(n * sizeof(float));
        memcpy(b, good, n * sizeof(float));
        b[last] = b[last] + 1.0f;
        cs_model_view vb;
        cs_model_parse_header(b, n, &vb);
        cs_model_verify vs;
        cs_model_verify_begin(&vs);
        int r;
        while ((r = cs_model_verify_step(&vb, &vs, 100)) == 0) {}
        CS_CHECK(r == CS_MODEL_E_CHECKSUM, "incremental verify finds the bad checksum");
        free(b);
    }

    /* state memory */
    {
        cs_model_parse(good, n, &v);
        size_t bytes = cs_model_state_size(&v);
        CS_CHECK(bytes > 0, "state size");
        char *mem = malloc(bytes + 1);
        cs_model_state *st = (cs_model_state *)(void *)&v; /* must be overwritten with NULL on error */
        const size_t least = cs_model_state_size_min(&v);
        CS_CHECK(least > 0 && least <= bytes, "small state size %zu of %zu", least, bytes);
        CS_CHECK(cs_model_state_init(&v, mem, least - 1, &st) == CS_MODEL_E_MEMORY && st == NULL, "too small");
        CS_CHECK(cs_model_state_init(&v, NULL, bytes, &st) == CS_MODEL_E_MEMORY, "NULL memory");
        CS_CHECK(cs_model_state_init(NULL, mem, bytes, &st) == CS_MODEL_E_ARG, "NULL view");
        CS_CHECK(cs_model_state_init(&v, mem + 1, bytes, &st) == 0, "misaligned memory accepted");
        CS_CHECK(((uintptr_t)st & 63) == 0, "state aligned to 64");
        const float *lg;
        CS_CHECK(cs_model_step(st, 0, &lg) == 0, "step");
        /* rebind to a copy of the buffer (the Buffer moved) keeps the state; another shape is refused */
        float *copy = malloc(n * sizeof(float));
        memcpy(copy, good, n * sizeof(float));
        cs_model_view v2;
        cs_model_parse(copy, n, &v2);
        CS_CHECK(cs_model_rebind(st, &v2) == 0 && cs_model_position(st) == 2, "rebind keeps the state");
        free(good);
        good = NULL; /* the old buffer is gone: stepping must use the copy (ASan checks) */
        CS_CHECK(cs_model_step(st, 0, &lg) == 0 && isfinite(lg[0]), "step after rebind");
        cs_model_view other = v2;
        other.cfg.vocab += 1;
        CS_CHECK(cs_model_rebind(st, &other) == CS_MODEL_E_MISMATCH, "rebind to another shape refused");
        free(copy);
        free(mem);
    }
    free(good);
}

/* random corruption of header fields: never crash; anything accepted must step with finite logits */
static void test_random_corruption(void)
{
    const char *names[2] = {"gru", "transformer"};
    static const float vals[] = {0.0f,  1.0f, 2.0f, 4.0f,     8.0f,     16.0f,    32.0f, 64.0f, 128.0f, 256.0f, 4096.0f,
                                 -1.0f, 0.5f, NAN,  INFINITY, 65535.0f, 65536.0f, 1e30f, 3.0f,  7.0f,   9.0f,   12.0f};
    uint32_t s = 12345;
    int accepted = 0, crashed_logits = 0;
    for (int m = 0; m < 2; m++) {
        size_t n;
        float *good = load_bin(names[m], &n);
        if (!good) continue;
        float *b = malloc(n * sizeof(float));
        for (int trial = 0; trial < 3000; trial++) {
            memcpy(b, good, n * sizeof(float));
            int k = 1 + (int)(trial % 3);
            for (int j = 0; j < k; j++) {
                s = s * 1664525u + 1013904223u;
                int idx = 1 + (int)((s >> 8) % 27u);
                s = s * 1664525u + 1013904223u;
                b[idx] = vals[(s >> 8) % (sizeof vals / sizeof vals[0])];
            }
            cs_model_view v;
            size_t len = n;
            if (trial % 5 == 0) len = n / 2;
            int e = cs_model_parse_header(b, len, &v);
            if (e == 0) {
                accepted++;
                if (!steps_finite(&v, 5, (unsigned)trial)) crashed_logits++;
            }
        }
        free(b);
        free(good);
    }
    printf("random corruption: %d header variants accepted (header-only parse), all stepped\n", accepted);
    CS_CHECK(crashed_logits == 0, "every accepted corrupted header steps with finite logits");
}

/* the largest legal weights in the largest shapes: logits stay finite (bounds in models/FORMAT.md) */
static void test_extreme_weights(void)
{
    cs_model_config cfgs[3] = {{CS_MODEL_TRANSFORMER, 64, 128, 4, 1, 6, 512, 0},
                               {CS_MODEL_TRANSFORMER, 16, 128, 4, 128, 3, 512, 0},
                               {CS_MODEL_GRU, 64, 256, 2, 0, 0, 0, 0}};
    for (int c = 0; c < 3; c++) {
        size_t nw = cs_model_param_count(&cfgs[c]);
        float *buf = malloc((CS_MODEL_HEADER_FLOATS + nw) * sizeof(float));
        uint32_t s = 99u + (uint32_t)c;
        for (size_t i = 0; i < nw; i++) {
            s = s * 1664525u + 1013904223u;
            buf[CS_MODEL_HEADER_FLOATS + i] = (s >> 31) ? CS_MODEL_WEIGHT_LIMIT : -CS_MODEL_WEIGHT_LIMIT;
        }
        int e = cs_model_header_build(&cfgs[c], NULL, buf + CS_MODEL_HEADER_FLOATS, nw, buf);
        CS_CHECK(e == 0, "build extreme %d", c);
        cs_model_view v;
        e = cs_model_parse(buf, CS_MODEL_HEADER_FLOATS + nw, &v);
        CS_CHECK(e == 0, "extreme model %d parses: %s", c, cs_model_strerror(e));
        if (e == 0) CS_CHECK(steps_finite(&v, 20, 7), "extreme weights %d: finite logits", c);
        /* one step past the limit is refused */
        buf[CS_MODEL_HEADER_FLOATS + 5] = 1.0000001f * CS_MODEL_WEIGHT_LIMIT * 1.0001f;
        CS_CHECK(cs_model_header_build(&cfgs[c], NULL, buf + CS_MODEL_HEADER_FLOATS, nw, buf) == CS_E_NONFINITE,
                 "writer refuses |w| > 2^20");
        free(buf);
    }
}

/* The one split-integer helper (cs_split.h), shared by the model header and the unit table. */
static void test_split(void)
{
    float p[4];
    uint64_t v = 0;
    cs_split_put(p, 2, 0x12345678u);
    CS_CHECK(p[0] == 0x1234 && p[1] == 0x5678, "(hi, lo) order");
    CS_CHECK(cs_split_get(p, 2, &v) && v == 0x12345678u, "u16 pair round trip");
    CS_CHECK(cs_split_join(p[0], p[1]) == 0x12345678u && cs_ut_join(p[0], p[1]) == 0x12345678u,
             "the unit table joins with the same helper");
    cs_split_put(p, 4, 0x0123456789abcdefull);
    CS_CHECK(p[0] == 0x0123 && p[1] == 0x4567 && p[2] == 0x89ab && p[3] == 0xcdef, "quad: most significant first");
    CS_CHECK(cs_split_get(p, 4, &v) && v == 0x0123456789abcdefull, "u16 quad round trip");
    const float bad[5] = {-1.0f, 65536.0f, 0.5f, NAN, INFINITY};
    for (int i = 0; i < 5; i++) {
        p[0] = bad[i];
        v = 7;
        CS_CHECK(!cs_split_get(p, 2, &v) && v == 7, "piece %g refused, value untouched", (double)bad[i]);
    }
    CS_CHECK(!cs_split_get(p, 0, &v) && !cs_split_get(p, 5, &v), "count outside 1..4 refused");
}

/* Swap the pieces of every split integer of a header in place (version 2 (hi, lo) <-> version 1 (lo, hi)). */
static void swap_split_order(float *h)
{
    static const int fields[6][2] = {{CS_MH_NWEIGHTS, 2}, {CS_MH_CHECKSUM, 2}, {CS_MH_CORPUS_SUM, 4},
                                     {CS_MH_SEED, 4},     {CS_MH_EPOCHS, 2},   {CS_MH_TRAIN_TOKENS, 2}};
    for (int f = 0; f < 6; f++) {
        float *p = h + fields[f][0];
        for (int i = 0, j = fields[f][1] - 1; i < j; i++, j--) {
            const float t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
    }
}

/* Version 2 is written (split integers (hi, lo), most significant first); version 1 (least significant first)
 * is still read, to the same view. The fixtures are version 2 (written by tests/scripts/model_reference.py). */
static void test_versions(const char *name)
{
    size_t n = 0;
    float *good = load_bin(name, &n);
    if (!good) return;
    cs_model_view v2, v1;
    CS_CHECK(good[CS_MH_VERSION] == 2.0f && cs_model_parse(good, n, &v2) == 0 && v2.version == 2,
             "%s: fixture is version 2", name);
    /* the header the C writer builds is version 2 and equal to the fixture's */
    float h[CS_MODEL_HEADER_FLOATS];
    CS_CHECK(cs_model_header_build(&v2.cfg, &v2.meta, v2.weights, v2.n_weights, h) == 0 &&
                 memcmp(h, good, sizeof h) == 0,
             "%s: C header == fixture header (version %g)", name, (double)h[CS_MH_VERSION]);
    /* (hi, lo): n_weights = hi * 65536 + lo */
    CS_CHECK((size_t)good[CS_MH_NWEIGHTS] * 65536 + (size_t)good[CS_MH_NWEIGHTS + 1] == v2.n_weights,
             "%s: n_weights stored (hi, lo)", name);
    float *old = malloc(n * sizeof *old);
    memcpy(old, good, n * sizeof *old);
    old[CS_MH_VERSION] = 1.0f;
    swap_split_order(old);
    CS_CHECK(cs_model_parse(old, n, &v1) == 0 && v1.version == 1, "%s: version 1 parses", name);
    CS_CHECK(v1.n_weights == v2.n_weights && v1.checksum == v2.checksum &&
                 v1.meta.corpus_checksum == v2.meta.corpus_checksum && v1.meta.seed == v2.meta.seed &&
                 v1.meta.epochs == v2.meta.epochs && v1.meta.train_tokens == v2.meta.train_tokens,
             "%s: version 1 gives the same header values", name);
    /* a version-2 header labelled version 1 reads its pieces in the wrong order: refused, not misread */
    memcpy(old, good, n * sizeof *old);
    old[CS_MH_VERSION] = 1.0f;
    const int e = cs_model_parse(old, n, &v1);
    CS_CHECK(e == CS_MODEL_E_SIZE, "%s: version-2 pieces read as version 1: %d (%s)", name, e, cs_model_strerror(e));
    free(old);
    free(good);
}

int main(void)
{
    test_split();
    test_versions("gru");
    test_versions("transformer");
    test_common("gru");
    test_common("transformer");
    test_random_corruption();
    test_extreme_weights();
    CS_TEST_END();
}
