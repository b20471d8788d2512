/*
 * test_model_half.c - half-precision weights (models/FORMAT.md "Half-precision weights", cs_model.h):
 *  1. the conversions: every one of the 65536 half patterns decodes to the value IEEE-754 binary16 defines
 *     (checked against F16C's VCVTPH2PS when the CPU has it, and against a formula), every finite half
 *     round-trips, and float -> half rounds to nearest-even exactly as F16C's VCVTPS2PH (2 M values, ties and
 *     subnormals included) and as a few values worked by hand;
 *  2. the packing: for every finite high half (with low halves of every exponent), the packed float is a
 *     finite NORMAL float32 (what survives any float path, also denormals-are-zero) and decodes back;
 *  3. the step: a half file steps to logits that equal, bit for bit, those of its float32 expansion
 *     (cs_model_expand, way (a)) with the same kernel set, for GRU and transformer, AVX2/F16C and portable
 *     kernels, over 300 tokens, and stay within half-precision tolerance of the unrounded float32 model;
 *  4. the validator: unknown precision, a layout detail, an odd width, a non-finite half, a non-zero pad, a
 *     damaged checksum and a short buffer are refused with their errors; a float32 file with floats 36-37 at
 *     0 parses as before;
 *  5. the writer: cs_model_file_write_prec at float32 writes exactly cs_model_file_write_mix's bytes, and at
 *     half the file read back is the in-memory half model of cs_test_half_model (same bytes), half the size.
 */
#include "cs_error.h"
#include "cs_model.h"
#include "cs_model_io.h"
#include "cs_test.h"
#include "cs_test_models.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>
#define HAVE_X86 1
#else
#define HAVE_X86 0
#endif

static uint32_t bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static float from_bits(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static int have_f16c(void)
{
#if HAVE_X86
    unsigned a, b, c, d; /* CPUID leaf 1, ECX bit 29 */
    return __get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 29)) != 0;
#else
    return 0;
#endif
}

#if HAVE_X86
__attribute__((target("f16c"))) static float f16c_to_float(uint16_t h)
{
    return _cvtsh_ss(h);
}

__attribute__((target("f16c"))) static uint16_t f16c_from_float(float f)
{
    return (uint16_t)_cvtss_sh(f, _MM_FROUND_TO_NEAREST_INT);
}
#endif

/* binary16 by its definition: (-1)^s 2^(e-15) (1 + m/1024), subnormal 2^-14 m/1024. */
static double half_formula(uint16_t h)
{
    int s = h >> 15, e = (h >> 10) & 31, m = h & 1023;
    double v = e == 0 ? ldexp((double)m, -24) : ldexp(1024.0 + m, e - 25);
    return s ? -v : v;
}

static void test_conversions(void)
{
    int bad_formula = 0, bad_f16c = 0, bad_round = 0;
    for (uint32_t h = 0; h < 65536; h++) {
        if (((h >> 10) & 31) == 31) continue; /* inf / NaN: never stored */
        float f = cs_model_half_to_float((uint16_t)h);
        if ((double)f != half_formula((uint16_t)h) || (h == 0x8000 && bits(f) != 0x80000000u)) bad_formula++;
#if HAVE_X86
        if (have_f16c() && bits(f) != bits(f16c_to_float((uint16_t)h))) bad_f16c++;
#endif
        uint16_t back = 0;
        if (cs_model_half_from_float(f, &back) != CS_MODEL_OK || back != h) bad_round++;
    }
    CS_CHECK(bad_formula == 0, "%d halves decode off the binary16 definition", bad_formula);
    CS_CHECK(bad_f16c == 0, "%d halves decode unlike VCVTPH2PS", bad_f16c);
    CS_CHECK(bad_round == 0, "%d finite halves do not round-trip", bad_round);

    /* hand-worked roundings: 1 + 2^-11 is a tie -> 1 (even); 1 + 3 * 2^-11 -> 1 + 2^-9 (even); 2^-25 ties to 0;
     * 3 * 2^-26 -> the smallest subnormal; 65504 + 15.99 -> 65504; 65520 (a tie up to 2^16) is out of range */
    const struct {
        float f;
        int ok;
        uint16_t h;
    } cases[] = {{1.0f + 0x1p-11f, 1, 0x3c00},
                 {1.0f + 3 * 0x1p-11f, 1, 0x3c02},
                 {0x1p-25f, 1, 0x0000},
                 {3 * 0x1p-26f, 1, 0x0001},
                 {-0x1p-24f, 1, 0x8001},
                 {65519.99f, 1, 0x7bff},
                 {65520.0f, 0, 0},
                 {1e30f, 0, 0},
                 {0.1f, 1, 0x2e66},
                 {-2.0f, 1, 0xc000},
                 {0x1p-14f, 1, 0x0400},
                 {0x1p-14f - 0x1p-25f, 1, 0x0400}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint16_t h = 0xffff;
        int e = cs_model_half_from_float(cases[i].f, &h);
        CS_CHECK((e == CS_MODEL_OK) == cases[i].ok && (!cases[i].ok || h == cases[i].h), "round %.9g: err %d, 0x%04x",
                 (double)cases[i].f, e, h);
    }
    uint16_t h;
    CS_CHECK(cs_model_half_from_float(from_bits(0x7fc00000u), &h) == CS_MODEL_E_NONFINITE, "NaN refused");

#if HAVE_X86
    if (have_f16c()) { /* random floats over the whole half range, and every tie near 1 */
        uint32_t seed = 12345u;
        int diff = 0;
        for (int i = 0; i < 2000000; i++) {
            seed = seed * 1664525u + 1013904223u;
            /* exponents 2^-30 .. 2^16 with random mantissa and sign */
            uint32_t e = 97u + (seed >> 8) % 46u, m = (seed * 2654435761u) >> 9;
            if (i % 4 == 0) m = (m & ~0x1fffu) | 0x1000u; /* an exact tie of the 13 dropped bits */
            float f = from_bits(((seed & 1u) << 31) | (e << 23) | (m & 0x7fffffu));
            uint16_t want = f16c_from_float(f);
            if (((want >> 10) & 31) == 31) continue; /* F16C gives inf, we refuse: checked above */
            if (cs_model_half_from_float(f, &h) != CS_MODEL_OK || h != want) diff++;
        }
        CS_CHECK(diff == 0, "%d of 2M roundings differ from VCVTPS2PH", diff);
    } else {
        printf("no F16C: the rounding is checked against the hand-worked cases only\n");
    }
#endif
}

static void test_packing(void)
{
    int bad = 0, back = 0;
    for (uint32_t hi = 0; hi < 65536; hi++) {
        if (((hi >> 10) & 31) == 31) continue;
        const uint16_t lo = (uint16_t)((hi * 40503u) & 0xffffu) & (uint16_t)~0x4000u; /* any finite low half */
        float pair[2] = {cs_model_half_to_float(lo), cs_model_half_to_float((uint16_t)hi)}, packed = 0.0f;
        if (cs_model_half_pack(pair, 2, &packed) != CS_MODEL_OK) {
            bad++;
            continue;
        }
        const uint32_t ex = (bits(packed) >> 23) & 0xffu;
        if (ex == 0 || ex == 0xff) bad++; /* zero/denormal or inf/NaN: could be lost on a float path */
        double d = (double)packed;        /* a float -> double -> float round trip keeps it */
        if (bits((float)d) != bits(packed)) bad++;
        if (bits(cs_model_half_at(&packed, 0)) != bits(pair[0]) || bits(cs_model_half_at(&packed, 1)) != bits(pair[1]))
            back++;
    }
    CS_CHECK(bad == 0, "%d packed floats are not finite normal floats", bad);
    CS_CHECK(back == 0, "%d packed pairs do not decode back", back);
    float three[3] = {1.0f, -2.0f, 0.5f}, p3[2];
    CS_CHECK(cs_model_half_pack(three, 3, p3) == CS_MODEL_OK && (bits(p3[1]) >> 16) == CS_MODEL_HALF_HI_BIAS,
             "an odd count pads with +0");
}

/* Step a model buffer with the given kernels; 300 tokens; logits into out (300 x V). */
static int run_steps(const float *buf, size_t n, int simd, float *out, int V)
{
    cs_model_view v;
    if (cs_model_parse(buf, n, &v) != CS_MODEL_OK) return -1;
    size_t bytes = cs_model_state_size(&v);
    void *mem = malloc(bytes);
    cs_model_state *st = NULL;
    if (!mem || cs_model_state_init(&v, mem, bytes, &st) != CS_MODEL_OK) {
        free(mem);
        return -1;
    }
    cs_model_state_set_simd(st, simd);
    cs_model_reset(st);
    uint32_t seed = 7u;
    for (int t = 0; t < 300; t++) {
        seed = seed * 1664525u + 1013904223u;
        const float *lg = NULL;
        cs_model_step(st, (int)((seed >> 8) % (uint32_t)V), &lg);
        memcpy(out + (size_t)t * V, lg, (size_t)V * sizeof(float));
    }
    free(mem);
    return 0;
}

static void test_step(const cs_model_config *cfg, const char *name)
{
    size_t n = 0, m = 0;
    float *f32 = cs_test_random_model(cfg, &n, 99u, 0.0f);
    float *h16 = f32 ? cs_test_half_model(f32, n, &m) : NULL;
    CS_CHECK(h16 != NULL, "%s: models built", name);
    if (!h16) {
        free(f32);
        return;
    }
    cs_model_view hv;
    CS_CHECK(cs_model_parse(h16, m, &hv) == CS_MODEL_OK && hv.precision == CS_MODEL_PRECISION_HALF &&
                 hv.stored_floats == (hv.n_weights + 1) / 2 && m < n / 2 + CS_MODEL_HEADER_FLOATS,
             "%s: the half file parses, %zu floats for %zu weights", name, m, hv.n_weights);
    const size_t en = CS_MODEL_HEADER_FLOATS + hv.n_weights;
    float *exp = malloc(en * sizeof(float));
    CS_CHECK(exp && cs_model_expand(&hv, h16, exp, en) == (long)en, "%s: expanded", name);
    const int V = cfg->vocab;
    float *a = malloc(300 * (size_t)V * sizeof(float)), *b = malloc(300 * (size_t)V * sizeof(float)),
          *c = malloc(300 * (size_t)V * sizeof(float));
    for (int simd = 1; simd >= 0; simd--) {
        CS_CHECK(run_steps(h16, m, simd, a, V) == 0 && run_steps(exp, en, simd, b, V) == 0 &&
                     run_steps(f32, n, simd, c, V) == 0,
                 "%s: stepped", name);
        size_t same = 0;
        double worst = 0.0, scale = 0.0;
        for (size_t i = 0; i < 300 * (size_t)V; i++) {
            same += bits(a[i]) == bits(b[i]);
            double d = fabs((double)a[i] - (double)c[i]);
            worst = d > worst ? d : worst;
            scale = fabs((double)c[i]) > scale ? fabs((double)c[i]) : scale;
        }
        CS_CHECK(same == 300 * (size_t)V, "%s (%s kernels): %zu of %zu logits equal to the expansion's", name,
                 simd ? "simd" : "portable", same, 300 * (size_t)V);
        /* half rounding (relative 2^-11 per weight) through the whole network: a few 1e-3 of the logit scale */
        CS_CHECK(worst <= 0.02 * (scale > 1.0 ? scale : 1.0), "%s: |half - float32| %.3g (logit scale %.3g)", name,
                 worst, scale);
        printf("%s, %s kernels: bit-equal to the expansion; max |half - float32| %.3g over logits up to %.3g\n", name,
               simd ? "simd" : "portable", worst, scale);
    }
    free(a);
    free(b);
    free(c);
    free(exp);
    free(h16);
    free(f32);
}

static void test_validator(void)
{
    const cs_model_config cfg = {CS_MODEL_GRU, 9, 16, 1, 0, 0, 0, 0};
    size_t n = 0, m = 0;
    float *f32 = cs_test_random_model(&cfg, &n, 5u, 0.0f);
    float *h = cs_test_half_model(f32, n, &m);
    float *t = malloc(m * sizeof(float));
    cs_model_view v;
    CS_CHECK(cs_model_parse(f32, n, &v) == CS_MODEL_OK && v.precision == 0, "a float32 file with 36-37 = 0");
    CS_CHECK(cs_model_parse(h, m, &v) == CS_MODEL_OK && (v.n_weights & 1u), "an odd weight count (%zu)", v.n_weights);
    const struct {
        int index;
        float value;
        int err;
    } hdr[] = {{CS_MH_PRECISION, 2.0f, CS_MODEL_E_PRECISION},
               {CS_MH_PRECISION, 0.5f, CS_MODEL_E_PRECISION},
               {CS_MH_PRECISION, -1.0f, CS_MODEL_E_PRECISION},
               {CS_MH_PRECISION_LAYOUT, 1.0f, CS_MODEL_E_PRECISION},
               {CS_MH_PRECISION, 0.0f, CS_MODEL_E_TRUNCATED}}; /* read as float32: too short */
    for (size_t i = 0; i < sizeof hdr / sizeof hdr[0]; i++) {
        memcpy(t, h, m * sizeof(float));
        t[hdr[i].index] = hdr[i].value;
        int e = cs_model_parse(t, m, &v);
        CS_CHECK(e == hdr[i].err, "field %d = %g: %d (want %d)", hdr[i].index, (double)hdr[i].value, e, hdr[i].err);
    }
    memcpy(t, h, m * sizeof(float));
    t[CS_MODEL_HEADER_FLOATS + 3] = from_bits(bits(t[CS_MODEL_HEADER_FLOATS + 3]) | 0x7c00u); /* low half -> inf */
    CS_CHECK(cs_model_parse(t, m, &v) == CS_MODEL_E_NONFINITE, "a non-finite low half");
    memcpy(t, h, m * sizeof(float));
    t[CS_MODEL_HEADER_FLOATS + 4] = from_bits(bits(t[CS_MODEL_HEADER_FLOATS + 4]) & 0x8000ffffu); /* hi < bias */
    CS_CHECK(cs_model_parse(t, m, &v) == CS_MODEL_E_NONFINITE, "a high half below its bias");
    memcpy(t, h, m * sizeof(float));
    t[m - 1] = from_bits(bits(t[m - 1]) + 0x10000u); /* the pad of the odd count is no longer +0 */
    CS_CHECK(cs_model_parse(t, m, &v) == CS_MODEL_E_NONFINITE, "a non-zero pad");
    memcpy(t, h, m * sizeof(float));
    t[CS_MODEL_HEADER_FLOATS + 7] = from_bits(bits(t[CS_MODEL_HEADER_FLOATS + 7]) ^ 1u);
    CS_CHECK(cs_model_parse(t, m, &v) == CS_MODEL_E_CHECKSUM, "a flipped bit");
    CS_CHECK(cs_model_parse(h, m - 1, &v) == CS_MODEL_E_TRUNCATED, "one float short");
    CS_CHECK(cs_model_parse_header(h, m, &v) == CS_MODEL_OK && v.total_floats == m, "header: total_floats %zu",
             v.total_floats);
    free(t);
    free(h);
    free(f32);
}

static void test_odd_width(void)
{
    const cs_model_config cfg = {CS_MODEL_GRU, 8, 17, 1, 0, 0, 0, 0};
    size_t n = 0;
    float *f32 = cs_test_random_model(&cfg, &n, 6u, 0.0f);
    float *t = malloc(n * sizeof(float));
    memcpy(t, f32, n * sizeof(float));
    t[CS_MH_PRECISION] = 1.0f;
    cs_model_view v;
    CS_CHECK(cs_model_parse_header(t, n, &v) == CS_MODEL_E_PRECISION, "half with width 17 refused");
    CS_CHECK(cs_model_half_check(&cfg, f32 + CS_MODEL_HEADER_FLOATS, n - CS_MODEL_HEADER_FLOATS, NULL) == CS_E_ARG,
             "the writer refuses width 17");
    free(t);
    free(f32);
}

static int file_bytes(const char *path, unsigned char **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    fseek(f, 0, SEEK_END);
    long l = ftell(f);
    fseek(f, 0, SEEK_SET);
    *out = malloc((size_t)l);
    *len = *out && fread(*out, 1, (size_t)l, f) == (size_t)l ? (size_t)l : 0;
    fclose(f);
    return *len ? 0 : -1;
}

static void test_writer(void)
{
    const cs_model_config cfg = {CS_MODEL_TRANSFORMER, 11, 32, 1, 4, 8, 128, 0};
    size_t n = 0, m = 0;
    float *f32 = cs_test_random_model(&cfg, &n, 8u, 0.0f);
    float *h = cs_test_half_model(f32, n, &m);
    char dir[] = "/tmp/cs_half_XXXXXX", a[256], b[256], c[256];
    CS_CHECK(mkdtemp(dir) != NULL, "temp dir");
    snprintf(a, sizeof a, "%s/mix.wav", dir);
    snprintf(b, sizeof b, "%s/prec.wav", dir);
    snprintf(c, sizeof c, "%s/half.wav", dir);
    const size_t nw = n - CS_MODEL_HEADER_FLOATS;
    CS_CHECK(cs_model_file_write_mix(a, &cfg, NULL, f32 + CS_MODEL_HEADER_FLOATS, nw, NULL, 0, 1.0f) == 0 &&
                 cs_model_file_write_prec(b, &cfg, NULL, f32 + CS_MODEL_HEADER_FLOATS, nw, NULL, 0, 1.0f, 0) == 0 &&
                 cs_model_file_write_prec(c, &cfg, NULL, f32 + CS_MODEL_HEADER_FLOATS, nw, NULL, 0, 1.0f, 1) == 0,
             "written");
    unsigned char *ba = NULL, *bb = NULL;
    size_t la = 0, lb = 0;
    CS_CHECK(file_bytes(a, &ba, &la) == 0 && file_bytes(b, &bb, &lb) == 0 && la == lb && !memcmp(ba, bb, la),
             "float32 precision writes the same bytes as before");
    float *back = NULL;
    size_t bn = 0;
    CS_CHECK(cs_model_file_read(c, &back, &bn) == 0 && bn == m && !memcmp(back, h, m * sizeof(float)),
             "the half file holds the in-memory half model (%zu floats, float32 %zu)", bn, n);
    /* rewriting a float32 file as half (train --weights half) gives the same file */
    cs_model_view v;
    float *fb = NULL;
    size_t fn = 0;
    CS_CHECK(cs_model_file_load(a, &fb, &fn, &v, NULL) == 0 && cs_model_buffer_write_half(a, fb, &v, NULL) == 0,
             "rewritten as half");
    free(back);
    back = NULL;
    CS_CHECK(cs_model_file_read(a, &back, &bn) == 0 && bn == m && !memcmp(back, h, m * sizeof(float)),
             "cs_model_buffer_write_half = cs_model_file_write_prec(half)");
    float big[2] = {70000.0f, 1.0f};
    size_t bad = 9;
    CS_CHECK(cs_model_half_check(&cfg, big, 2, &bad) == CS_E_NONFINITE && bad == 0, "70000 is beyond half");
    free(fb);
    free(back);
    free(ba);
    free(bb);
    unlink(a);
    unlink(b);
    unlink(c);
    rmdir(dir);
    free(h);
    free(f32);
}

int main(void)
{
    test_conversions();
    test_packing();
    const cs_model_config gru = {CS_MODEL_GRU, 256, 128, 2, 0, 0, 0, 0};
    const cs_model_config gru_odd_v = {CS_MODEL_GRU, 37, 22, 1, 0, 0, 0, 0}; /* row tails, odd V */
    const cs_model_config tf = {CS_MODEL_TRANSFORMER, 64, 64, 2, 4, 64, 256, 0};
    const cs_model_config tf_small = {CS_MODEL_TRANSFORMER, 13, 34, 1, 2, 8, 136, 0};
    test_step(&gru, "GRU 128 x 2, V 256");
    test_step(&gru_odd_v, "GRU 22, V 37");
    test_step(&tf, "transformer D 64 x 2, V 64");
    test_step(&tf_small, "transformer D 34, V 13");
    test_validator();
    test_odd_width();
    test_writer();
    CS_TEST_END();
}
