/*
 * test_model_desc.c - descriptor inputs (models/FORMAT.md "Descriptor inputs"): the header fields and what the
 * validator refuses, the step against an independent construction (a model without descriptor inputs whose
 * embedding row holds emb + W_d d), the clamp, the row a unit table gives (cs_model_desc_row), the trainer's
 * split (a test unit's descriptors change no weight), and SeqPredict feeding the unit played for the last label.
 */
#include "cs_error.h"
#include "cs_model.h"
#include "cs_model_desc.h"
#include "cs_model_io.h"
#include "cs_seqpredict.h"
#include "cs_split.h"
#include "cs_test.h"
#include "cs_test_bump.h"
#include "cs_test_listen.h"
#include "cs_test_models.h"
#include "cs_train.h"
#include "cs_unit_table.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { V = 4, H = 16, DIN = 3, U = 5, D = 2, K = 2 };

/* A GRU V x H with DIN descriptor inputs: seeded weights, header with duration statistics (mean, std). */
static float *make_model(size_t *n, float mean, float std)
{
    const cs_model_config c = {CS_MODEL_GRU, V, H, 1, 0, 0, 0, DIN};
    const size_t P = cs_model_param_count(&c);
    float *buf = calloc(CS_MODEL_HEADER_FLOATS + P, sizeof *buf);
    if (!buf) return NULL;
    cs_train_init_weights(&c, 7, buf + CS_MODEL_HEADER_FLOATS);
    cs_model_meta m;
    memset(&m, 0, sizeof m);
    m.train_loss_bits = m.val_loss_bits = -1.0f;
    m.desc_dur_mean = mean;
    m.desc_dur_std = std;
    CS_CHECK(cs_model_header_build(&c, &m, buf + CS_MODEL_HEADER_FLOATS, P, buf) == 0, "header");
    *n = CS_MODEL_HEADER_FLOATS + P;
    return buf;
}

static int parse_with(const float *good, size_t n, int index, float value)
{
    float *b = malloc(n * sizeof *b);
    memcpy(b, good, n * sizeof *b);
    b[index] = value;
    cs_model_view v;
    int e = cs_model_parse(b, n, &v);
    free(b);
    return e;
}

static void test_header(void)
{
    size_t n = 0;
    float *m = make_model(&n, -2.3f, 0.5f);
    CS_CHECK(m != NULL, "model");
    if (!m) return;
    cs_model_view v;
    CS_CHECK(cs_model_parse(m, n, &v) == 0, "a model with descriptor inputs parses");
    CS_CHECK(v.cfg.desc_inputs == DIN && v.meta.desc_dur_mean == -2.3f && v.meta.desc_dur_std == 0.5f,
             "Din %d, duration %g / %g", v.cfg.desc_inputs, (double)v.meta.desc_dur_mean, (double)v.meta.desc_dur_std);
    CS_CHECK(m[CS_MH_DESC_SET] == (float)CS_MODEL_DESC_SET_TABLE_DUR, "the set is written");
    cs_model_tensor last;
    cs_model_tensor_info(&v.cfg, cs_model_tensor_count(&v.cfg) - 1, &last);
    CS_CHECK(!strcmp(last.name, "desc_proj.weight") && last.shape[0] == H && last.shape[1] == DIN &&
                 v.desc_w == v.weights + last.offset,
             "desc_proj.weight (H, Din) is the last tensor");
    CS_CHECK(parse_with(m, n, CS_MH_DESC_INPUTS, 2.5f) == CS_MODEL_E_HEADER, "Din 2.5");
    CS_CHECK(parse_with(m, n, CS_MH_DESC_INPUTS, NAN) == CS_MODEL_E_HEADER, "Din NaN");
    CS_CHECK(parse_with(m, n, CS_MH_DESC_INPUTS, 1e30f) == CS_MODEL_E_DIMS, "Din huge");
    CS_CHECK(parse_with(m, n, CS_MH_DESC_INPUTS, (float)CS_MODEL_MAX_DESC_INPUTS + 1) == CS_MODEL_E_DIMS, "Din max+1");
    CS_CHECK(parse_with(m, n, CS_MH_DESC_INPUTS, 0.0f) == CS_MODEL_E_SIZE, "Din 0: the weights do not fit (SIZE)");
    CS_CHECK(parse_with(m, n, CS_MH_DESC_INPUTS, 4.0f) == CS_MODEL_E_SIZE, "Din 4: SIZE");
    CS_CHECK(parse_with(m, n, CS_MH_DESC_SET, 0.0f) == CS_MODEL_E_HEADER, "set 0");
    CS_CHECK(parse_with(m, n, CS_MH_DESC_SET, 2.0f) == CS_MODEL_E_HEADER, "set 2");
    CS_CHECK(parse_with(m, n, CS_MH_DESC_DUR_MEAN, INFINITY) == CS_MODEL_E_HEADER, "mean inf");
    CS_CHECK(parse_with(m, n, CS_MH_DESC_DUR_STD, 0.0f) == CS_MODEL_E_HEADER, "std 0");
    CS_CHECK(parse_with(m, n, CS_MH_DESC_DUR_STD, -1.0f) == CS_MODEL_E_HEADER, "std < 0");
    CS_CHECK(parse_with(m, n, CS_MH_DESC_DUR_STD, NAN) == CS_MODEL_E_HEADER, "std NaN");
    CS_CHECK(parse_with(m, n, CS_MH_RESERVED, 5.0f) == 0, "float 35 is ignored");
    /* the writer refuses descriptor inputs without duration statistics */
    float hdr[CS_MODEL_HEADER_FLOATS];
    cs_model_meta bad;
    memset(&bad, 0, sizeof bad);
    CS_CHECK(cs_model_header_build(&v.cfg, &bad, v.weights, v.n_weights, hdr) == CS_E_ARG, "std 0 is not written");
    /* without descriptor inputs floats 31..37 stay 0: the file of before */
    const cs_model_config plain = {CS_MODEL_GRU, V, H, 1, 0, 0, 0, 0};
    CS_CHECK(cs_model_header_build(&plain, &bad, v.weights, cs_model_param_count(&plain), hdr) == 0, "plain");
    int zero = 1;
    for (int i = 31; i <= 37; i++)
        zero &= hdr[i] == 0.0f;
    CS_CHECK(zero, "floats 31..37 are 0 without descriptor inputs");
    free(m);
}

/* The step with a row equals a model without descriptor inputs whose embedding row of the token is
 * emb + W_d d (computed here in double): the input layer is exactly "added to the embedding". */
static void test_step(void)
{
    size_t n = 0;
    float *m = make_model(&n, 0.0f, 1.0f);
    if (!m) return;
    cs_model_view v;
    CS_CHECK(cs_model_parse(m, n, &v) == 0, "parse");
    const cs_model_config plain = {CS_MODEL_GRU, V, H, 1, 0, 0, 0, 0};
    const size_t P0 = cs_model_param_count(&plain);
    float *w0 = malloc(P0 * sizeof *w0);
    memcpy(w0, v.weights, P0 * sizeof *w0); /* every tensor but desc_proj.weight, same offsets */
    const int tok = 2;
    const float d[DIN] = {0.7f, -1.3f, 2.0f};
    for (int i = 0; i < H; i++) {
        double s = (double)w0[(size_t)tok * H + (size_t)i];
        for (int j = 0; j < DIN; j++)
            s += (double)v.desc_w[(size_t)i * DIN + (size_t)j] * (double)d[j];
        w0[(size_t)tok * H + (size_t)i] = (float)s;
    }
    cs_model_view v0;
    CS_CHECK(cs_model_view_map(&plain, w0, &v0) == 0, "plain view");
    static _Alignas(64) unsigned char mem[3][65536];
    cs_model_state *a = NULL, *b = NULL, *c = NULL;
    CS_CHECK(cs_model_state_size(&v) <= sizeof mem[0], "state size");
    CS_CHECK(cs_model_state_init(&v, mem[0], sizeof mem[0], &a) == 0, "state a");
    CS_CHECK(cs_model_state_init(&v0, mem[1], sizeof mem[1], &b) == 0, "state b");
    CS_CHECK(cs_model_state_init(&v, mem[2], sizeof mem[2], &c) == 0, "state c");
    if (!a || !b || !c) return;
    cs_model_state_set_simd(a, 0);
    cs_model_state_set_simd(b, 0);
    cs_model_state_set_simd(c, 0);
    const float *la = cs_model_logits(a), *lb = cs_model_logits(b);
    CS_CHECK(memcmp(la, lb, V * sizeof *la) == 0, "after the reset (BOS, zero row) the logits equal the plain model's");
    const float *za, *zb;
    cs_model_step_desc(a, tok, d, &za);
    cs_model_step(b, tok, &zb);
    double err = 0.0, scale = 0.0;
    for (int i = 0; i < V; i++) {
        err = fmax(err, fabs((double)za[i] - (double)zb[i]));
        scale = fmax(scale, fabs((double)zb[i]));
    }
    CS_CHECK(err <= 1e-5 * scale, "step with a row vs the embedding built by hand: error %.3g (scale %.3g)", err,
             scale);
    /* NULL = zeros; the clamp: NaN -> 0, +-1e30 -> +-64 */
    cs_model_reset(a);
    cs_model_reset(c);
    const float zero[DIN] = {0, 0, 0};
    cs_model_step_desc(a, 1, NULL, &za);
    const float *zc;
    cs_model_step_desc(c, 1, zero, &zc);
    CS_CHECK(memcmp(za, zc, V * sizeof *za) == 0, "a NULL row is a zero row");
    CS_CHECK(cs_model_step(c, 1, &zc) == 0 && cs_model_step_desc(a, 1, NULL, &za) == 0 &&
                 memcmp(za, zc, V * sizeof *za) == 0,
             "cs_model_step is cs_model_step_desc with NULL");
    const float wild[DIN] = {NAN, 1e30f, -1e30f}, tame[DIN] = {0.0f, CS_MODEL_DESC_CLAMP, -CS_MODEL_DESC_CLAMP};
    cs_model_step_desc(a, 3, wild, &za);
    cs_model_step_desc(c, 3, tame, &zc);
    CS_CHECK(memcmp(za, zc, V * sizeof *za) == 0, "NaN and +-1e30 are read as 0 and +-64");
    int finite = 1;
    for (int i = 0; i < V; i++)
        finite &= isfinite(za[i]);
    CS_CHECK(finite, "finite logits");
    CS_CHECK(cs_model_step_madds(&v.cfg) == cs_model_step_madds(&plain) + (uint64_t)H * DIN, "step cost + H Din");
    free(w0);
    free(m);
}

/* A version 3 table of U units (D descriptors, K labels) with the listening section, lengths 2400 .. 12000. */
static const uint64_t t_start[U] = {0, 2400, 7200, 14400, 24000}, t_len[U] = {2400, 4800, 7200, 9600, 12000};
static const int32_t t_label[U] = {0, 1, 0, 1, 1}, t_source[U] = {0, 0, 0, 0, 0}, t_succ[U] = {1, 2, 3, 4, -1};
static const float t_desc[U * D] = {0.5f, -1.0f, 200.0f, 0.25f, -0.5f, 1.5f, 2.0f, -70.0f, 0.0f, -3.0f};

static float *make_table(size_t *n, cs_ut_view *view)
{
    const size_t base = cs_ut_size(U, D, K), total = base + cs_ut_listen_size(D, K);
    float *t = calloc(total, sizeof *t);
    static const float center[D] = {0, 0}, scale[D] = {1, 1}, weight[D] = {1, 1};
    const cs_ut_listen l = cs_test_listen_config(center, scale, weight);
    CS_CHECK(cs_ut_encode(t, U, D, K, 1, -1, 48000.0, 1, 36000, t_start, t_len, t_label, t_source, t_succ, t_desc) == 0,
             "encode");
    CS_CHECK(cs_ut_encode_listen(t, base, total, &l) == 0, "listening section");
    CS_CHECK(cs_ut_parse(t, total, 0, view) == 0, "parse table");
    *n = total;
    return t;
}

static void test_row(void)
{
    size_t nt = 0;
    cs_ut_view tab;
    float *t = make_table(&nt, &tab);
    cs_model_view mv;
    memset(&mv, 0, sizeof mv);
    mv.cfg = (cs_model_config){CS_MODEL_GRU, K, H, 1, 0, 0, 0, D + 1};
    mv.meta.desc_dur_mean = -2.0f;
    mv.meta.desc_dur_std = 0.5f;
    CS_CHECK(cs_model_desc_check(&mv, &tab) == 0, "Din = D + 1 matches");
    float row[D + 1];
    cs_model_desc_row(&mv, &tab, 1, 1, row);
    const float dur1 = (float)((log(4800.0 / 48000.0) + 2.0) / 0.5);
    CS_CHECK(row[0] == CS_MODEL_DESC_CLAMP && row[1] == 0.25f && fabsf(row[2] - dur1) < 1e-6f,
             "unit 1: clamped descriptors and the duration term (%g %g %g, want 64 0.25 %g)", (double)row[0],
             (double)row[1], (double)row[2], (double)dur1);
    cs_model_desc_row(&mv, &tab, 3, 1, row);
    CS_CHECK(row[0] == 2.0f && row[1] == -CS_MODEL_DESC_CLAMP, "a descriptor below -64 reads -64");
    const float *c1 = cs_ut_centroid(&tab, 1);
    cs_model_desc_row(&mv, &tab, -1, 1, row);
    CS_CHECK(c1 && row[0] == fminf(c1[0], CS_MODEL_DESC_CLAMP) && row[1] == c1[1] && row[2] == 0.0f,
             "unknown unit: the label's centroid, the mean duration");
    cs_model_desc_row(&mv, &tab, U + 7, -1, row);
    CS_CHECK(row[0] == 0.0f && row[1] == 0.0f && row[2] == 0.0f, "no unit, no label: zeros");
    mv.cfg.desc_inputs = D + 2;
    float row2[D + 2] = {1, 1, 1, 1};
    CS_CHECK(cs_model_desc_check(&mv, &tab) == CS_MODEL_E_MISMATCH, "another descriptor count: mismatch");
    cs_model_desc_row(&mv, &tab, 1, 1, row2);
    CS_CHECK(row2[0] == 0.0f && row2[3] == 0.0f, "a mismatched table gives zeros");
    free(t);
}

/* cs_train_run with descriptor rows: a changed test-part row changes no weight; a changed training row does
 * (so the comparison can fail). */
static void test_train_split(void)
{
    enum { N = 200 };
    static int seq[N];
    static float rows[N * DIN], rows2[N * DIN];
    uint32_t s = 12345;
    for (int i = 0; i < N; i++) {
        s = s * 1664525u + 1013904223u;
        seq[i] = (int)((s >> 16) % V);
        for (int j = 0; j < DIN; j++)
            rows[i * DIN + j] = (float)seq[i] - 1.5f + 0.1f * (float)j;
    }
    const int *seqs[1] = {seq};
    const size_t lens[1] = {N};
    float *w[3] = {NULL, NULL, NULL};
    for (int k = 0; k < 3; k++) {
        memcpy(rows2, rows, sizeof rows);
        if (k == 1)
            for (int i = N - N / 10; i < N; i++)
                rows2[i * DIN] = 99.0f;     /* the test part */
        if (k == 2) rows2[5 * DIN] = 99.0f; /* a training unit */
        cs_train_config cfg;
        cs_train_config_default(&cfg, CS_MODEL_GRU, V);
        cfg.model.width = H;
        cfg.model.layers = 1;
        cfg.model.desc_inputs = DIN;
        cfg.epochs = 3;
        const float *dd[1] = {rows2};
        cfg.descs = dd;
        cs_train_report rep;
        CS_CHECK(cs_train_run(&cfg, seqs, lens, 1, &w[k], &rep) == 0, "train %d", k);
    }
    const cs_model_config c = {CS_MODEL_GRU, V, H, 1, 0, 0, 0, DIN};
    const size_t P = cs_model_param_count(&c);
    CS_CHECK(w[0] && w[1] && memcmp(w[0], w[1], P * sizeof(float)) == 0, "a test unit's descriptors change no weight");
    CS_CHECK(w[0] && w[2] && memcmp(w[0], w[2], P * sizeof(float)) != 0, "a training unit's descriptors do");
    cs_train_config bad;
    cs_train_config_default(&bad, CS_MODEL_GRU, V);
    bad.model.width = H;
    bad.model.desc_inputs = DIN;
    float *wb = NULL;
    CS_CHECK(cs_train_run(&bad, seqs, lens, 1, &wb, NULL) == CS_E_ARG && !wb, "descriptor inputs without rows");
    for (int k = 0; k < 3; k++)
        free(w[k]);
}

/* SeqPredict: the label sampled at a step is fed at the next one with the row of the unit input read at that
 * trigger (from the corpus table); the network state equals a reference fed the same. */
static void test_seqpredict(void)
{
    size_t nt = 0, nm = 0;
    cs_ut_view tab;
    float *t = make_table(&nt, &tab);
    const cs_model_config c = {CS_MODEL_GRU, K, H, 1, 0, 0, 0, D + 1};
    const size_t P = cs_model_param_count(&c);
    float *m = calloc(CS_MODEL_HEADER_FLOATS + P, sizeof *m);
    cs_train_init_weights(&c, 11, m + CS_MODEL_HEADER_FLOATS);
    cs_model_meta meta;
    memset(&meta, 0, sizeof meta);
    meta.desc_dur_mean = -1.5f;
    meta.desc_dur_std = 0.7f;
    CS_CHECK(cs_model_header_build(&c, &meta, m + CS_MODEL_HEADER_FLOATS, P, m) == 0, "header");
    nm = CS_MODEL_HEADER_FLOATS + P;
    cs_model_view view;
    CS_CHECK(cs_model_parse(m, nm, &view) == 0, "parse");
    static _Alignas(64) unsigned char rmem[65536];
    cs_model_state *ref = NULL;
    cs_model_state_init(&view, rmem, sizeof rmem, &ref);
    for (int unit_in = -1; unit_in < 3; unit_in += 3) { /* -1: the centroid; 2: unit 2's row */
        cs_seqp p;
        cs_seqp_init(&p, 1);
        g_used = 0;
        int guard = 0;
        while (cs_seqp_bind(&p, m, nm, 1, 5.0f, bump_alloc, bump_free, NULL) == CS_SEQP_VERIFYING && guard++ < 100) {}
        CS_CHECK(p.model != NULL, "bound");
        if (!p.model) break;
        cs_model_state_set_simd(p.model, 0); /* both on the portable kernel, from their reset on */
        cs_model_state_set_simd(ref, 0);
        cs_seqp_reset(&p, 5);
        float trig[2] = {1.0f, 0.0f}, zero = 0.0f, one = 1.0f, neg = -1.0f, hist = 0.0f, unit = (float)unit_in;
        cs_seqp_io io;
        memset(&io, 0, sizeof io);
        for (int i = 0; i < CS_SEQP_NUM_INPUTS; i++)
            io.in[i] = &zero;
        io.in[CS_SEQP_IN_TRIG] = trig;
        io.step[CS_SEQP_IN_TRIG] = 1;
        io.in[CS_SEQP_IN_TEMPERATURE] = &one;
        io.in[CS_SEQP_IN_TOPP] = &one;
        io.in[CS_SEQP_IN_PENALTY] = &one;
        io.in[CS_SEQP_IN_PRIME] = &neg;
        io.in[CS_SEQP_IN_SEED] = &neg;
        io.in[CS_SEQP_IN_HISTORY] = &hist;
        io.unit = &unit;
        io.table = &tab;
        cs_seqp_process(&p, &io, 2); /* step 1: samples a label (not fed yet) */
        const int l1 = (int)p.label;
        CS_CHECK(l1 >= 0 && l1 < K && p.pending_feed == l1 + 1, "the first label waits for its unit");
        cs_seqp_process(&p, &io, 2); /* step 2: feeds l1 with the unit input's row, then samples */
        float row[D + 1];
        cs_model_desc_row(&view, &tab, unit_in, l1, row);
        cs_model_reset(ref);
        cs_model_prime_desc(ref, l1, row);
        const float *zr = cs_model_logits(ref);
        /* after step 2 the network has been fed l1 (and not yet the label step 2 sampled) */
        const float *zp = cs_model_logits(p.model);
        CS_CHECK(memcmp(zr, zp, K * sizeof *zr) == 0, "unit %d: the network was fed label %d with that row", unit_in,
                 l1);
        cs_seqp_reset(&p, 3);
        CS_CHECK(p.pending_feed == 0, "a reset forgets the waiting label");
        cs_seqp_release(&p, bump_free, NULL);
    }
    free(m);
    free(t);
}

/* Half-precision weights with descriptor inputs are refused everywhere (models/FORMAT.md "No half precision
 * with descriptor inputs"): a correctly packed half file of a descriptor-input model (checksum of the packed
 * floats, even width) is CS_MODEL_E_PRECISION, a hand-made half view gets no state, and the writers refuse. */
static void test_half_refused(void)
{
    size_t n = 0;
    float *m = make_model(&n, 0.0f, 1.0f);
    if (!m) return;
    cs_model_view v;
    CS_CHECK(cs_model_parse(m, n, &v) == 0, "parse");
    size_t hn = 0;
    float *h = cs_test_half_model(m, n, &hn); /* packed, float 36 = 1, the checksum of the packed floats */
    CS_CHECK(h != NULL, "the half file");
    if (h) {
        cs_model_view hv;
        CS_CHECK(cs_model_parse(h, hn, &hv) == CS_MODEL_E_PRECISION,
                 "a half file with descriptor inputs is refused (E_PRECISION)");
        h[CS_MH_PRECISION] = 0.0f; /* the same header as float32 is the truncated one: the field decides */
        CS_CHECK(cs_model_parse(h, hn, &hv) == CS_MODEL_E_TRUNCATED, "float: short");
    }
    free(h);
    cs_model_view hv = v;
    hv.precision = CS_MODEL_PRECISION_HALF;
    static _Alignas(64) unsigned char mem[65536];
    cs_model_state *st = NULL;
    CS_CHECK(cs_model_state_size(&hv) == 0 && cs_model_state_init(&hv, mem, sizeof mem, &st) == CS_MODEL_E_PRECISION &&
                 st == NULL,
             "a half view with descriptor inputs gets no state");
    CS_CHECK(cs_model_half_check(&v.cfg, v.weights, v.n_weights, NULL) == CS_E_ARG, "half_check refuses");
    char path[] = "/tmp/cs_desc_halfXXXXXX";
    const int fd = mkstemp(path);
    CS_CHECK(fd >= 0, "temp file");
    if (fd >= 0) {
        close(fd);
        CS_CHECK(cs_model_file_write_prec(path, &v.cfg, &v.meta, v.weights, v.n_weights, NULL, 0, 1.0f,
                                          CS_MODEL_PRECISION_HALF) == CS_E_ARG,
                 "cs_model_file_write_prec(half) refuses descriptor inputs");
        CS_CHECK(cs_model_buffer_write_half(path, m, &v, NULL) == CS_E_ARG, "cs_model_buffer_write_half refuses");
        unlink(path);
    }
    free(m);
}

int main(void)
{
    test_header();
    test_half_refused();
    test_step();
    test_row();
    test_train_split();
    test_seqpredict();
    CS_TEST_END();
}
