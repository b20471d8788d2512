/* test_unit_table_listen.c - unit table version 3: the listening section (cs_ut_encode_listen, cs_ut_parse,
 * the resumable check, cs_ut_centroid, cs_ut_nearest_label), and version 2 tables still read without it. */
#include "cs_error.h"
#include "cs_index.h"
#include "cs_onset.h"
#include "cs_split.h"
#include "cs_test.h"
#include "cs_test_listen.h"
#include "cs_test_table.h"
#include "cs_unit_table.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { U = 6, D = 3, K = 4 }; /* label 3 has no unit */

static const uint64_t start[U] = {0, 100, 200, 300, 400, 500}, length[U] = {100, 100, 100, 100, 100, 100};
static const int32_t label[U] = {1, 0, 1, 2, 0, 1}, source[U] = {0, 0, 0, 0, 0, 0}, succ[U] = {1, 2, 3, 4, 5, -1};
static const float desc[U * D] = {0.5f, -1.f, 2.f, 3.f,  -0.25f, 0.f,  1.f / 3.f, 7.f,   -2.f,
                                  -4.f, 1.f,  9.f, 0.1f, 0.2f,   0.3f, 1e3f,      -1e3f, 5.f};
static const float center[D] = {-30.f, 1000.f, 0.5f}, scale[D] = {10.f, 500.f, 0.25f}, weight[D] = {1.f, 2.f, 0.f};

/* A listening description as analyze fills it (the values of a11wlk01's grains at 48 kHz). */
static cs_ut_listen listen_config(void)
{
    return cs_test_listen_config(center, scale, weight);
}

/* A version 3 table of U units with the listening section; *n its floats. Owned by the caller. */
static float *make_table(size_t *n)
{
    const size_t base = cs_ut_size(U, D, K), total = base + cs_ut_listen_size(D, K);
    float *t = calloc(total, sizeof *t);
    if (!t) return NULL;
    const uint64_t frames = 600;
    CS_CHECK(cs_ut_encode(t, U, D, K, 1, -1, 48000.0, 1, frames, start, length, label, source, succ, desc) == CS_UT_OK,
             "encode");
    const cs_ut_listen l = listen_config();
    CS_CHECK(cs_ut_encode_listen(t, base, total, &l) == CS_UT_OK, "encode the listening section");
    *n = total;
    return t;
}

/* The mean of label k's descriptor j, as the manifest computes it (double, unit order), rounded to float. */
static float label_mean(int k, int j)
{
    double s = 0.0;
    int c = 0;
    for (int u = 0; u < U; ++u)
        if (label[u] == k) s += (double)desc[u * D + j], c++;
    return c ? (float)(s / c) : 0.0f;
}

/* Same answer from cs_ut_parse(check_rows) and the resumable check at every budget. */
static int full_check(const float *t, size_t n)
{
    cs_ut_view v;
    const int e = cs_ut_parse(t, n, 1, &v);
    if (cs_ut_parse(t, n, 0, &v) != CS_UT_OK) return e;
    for (size_t budget = 1; budget <= 256; budget *= 4) {
        const int r = cs_test_resumable_check(&v, budget, NULL);
        CS_CHECK(r == e, "budget %zu: resumable check %d, parse %d", budget, r, e);
    }
    return e;
}

static void test_round_trip(void)
{
    size_t n = 0;
    float *t = make_table(&n);
    cs_ut_view v;
    CS_CHECK(cs_ut_parse(t, n, 1, &v) == CS_UT_OK, "a version 3 table with the section parses and checks");
    CS_CHECK(v.version == 3 && v.header_size == CS_UT_HEADER && v.has_listen == 1, "version 3, section present");
    const cs_ut_listen *l = &v.listen, w = listen_config();
    CS_CHECK(memcmp(&l->frame, &w.frame, sizeof w.frame) == 0, "frame analysis round-trips");
    CS_CHECK(l->segmentation == CS_UT_SEG_GRAIN && l->grain_len == 4800 && l->grain_hop == 2400, "grains");
    CS_CHECK(l->onset_threshold == w.onset_threshold && l->onset_delta == w.onset_delta &&
                 l->onset_delta_abs == w.onset_delta_abs && l->onset_median_s == w.onset_median_s &&
                 l->onset_min_len_s == w.onset_min_len_s && l->onset_max_len_s == w.onset_max_len_s &&
                 l->onset_pre_s == w.onset_pre_s && l->onset_refine_s == w.onset_refine_s &&
                 l->mean_flux == w.mean_flux && l->norm_method == CS_UT_NORM_ROBUST,
             "onset parameters, mean flux, normalisation");
    CS_CHECK(memcmp(l->center, center, sizeof center) == 0 && memcmp(l->scale, scale, sizeof scale) == 0 &&
                 memcmp(l->weight, weight, sizeof weight) == 0,
             "statistics and weights");
    for (int k = 0; k < K; ++k) {
        const float *c = cs_ut_centroid(&v, k);
        CS_CHECK(c == l->centroids + k * D, "centroid %d at its place", k);
        for (int j = 0; c && j < D; ++j)
            CS_CHECK(c[j] == label_mean(k, j), "centroid %d.%d = %.9g, the label mean %.9g", k, j, (double)c[j],
                     (double)label_mean(k, j));
    }
    CS_CHECK(cs_ut_centroid(&v, -1) == NULL && cs_ut_centroid(&v, K) == NULL, "bad labels have no centroid");

    /* the label rule: each unit is nearest to its own label's centroid here, descriptor 2 (weight 0) ignored */
    for (int u = 0; u < U; ++u) {
        double d2 = -1.0;
        const int32_t k = cs_ut_nearest_label(&v, desc + u * D, &d2);
        double want = INFINITY;
        int32_t wk = -1;
        for (int q = 0; q < K; ++q) {
            double s = 0.0;
            for (int j = 0; j < D; ++j) {
                const double diff = (double)desc[u * D + j] - (double)label_mean(q, j);
                s += (double)weight[j] * diff * diff;
            }
            if (s < want) want = s, wk = q;
        }
        CS_CHECK(k == wk && d2 == want, "unit %d: nearest label %d (d2 %g), by hand %d (%g)", u, k, d2, wk, want);
    }
    const float far[D] = {NAN, INFINITY, 123.f}; /* non-finite counts as the corpus centre (0); weight 0 ignored */
    const float zero[D] = {0.f, 0.f, -55.f};
    double da = 0, db = 0;
    CS_CHECK(cs_ut_nearest_label(&v, far, &da) == cs_ut_nearest_label(&v, zero, &db) && da == db && isfinite(da),
             "non-finite descriptors read as 0");

    /* the writer refuses a second section, too little room, and values the check would refuse */
    const size_t base = cs_ut_size(U, D, K);
    cs_ut_listen bad = listen_config();
    CS_CHECK(cs_ut_encode_listen(t, n, n + 1000, &bad) == CS_UT_E_DIMS, "a table that has its section refused");
    float *c = calloc(n, sizeof *c);
    memcpy(c, t, base * sizeof *c);
    cs_split_put(c + CS_UT_H_LISTEN_OFFSET_HI, 2, 0);
    CS_CHECK(cs_ut_encode_listen(c, base, n - 1, &bad) == CS_UT_E_DIMS, "too little room refused");
    const float zscale[D] = {1.f, 0.f, 1.f};
    bad.scale = zscale;
    CS_CHECK(cs_ut_encode_listen(c, base, n, &bad) == CS_UT_E_LISTEN, "scale 0 refused");
    bad = listen_config();
    bad.frame.fft_size = 1000;
    CS_CHECK(cs_ut_encode_listen(c, base, n, &bad) == CS_UT_E_LISTEN, "fft size not a power of two refused");
    bad = listen_config();
    bad.frame.sample_rate = 44100.f;
    CS_CHECK(cs_ut_encode_listen(c, base, n, &bad) == CS_UT_E_LISTEN, "analysis at another rate refused");
    CS_CHECK(c[CS_UT_H_LISTEN_OFFSET_HI] == 0.0f && c[CS_UT_H_LISTEN_OFFSET_LO] == 0.0f,
             "a refused section is not announced");
    cs_ut_view vn;
    CS_CHECK(cs_ut_parse(c, base, 1, &vn) == CS_UT_OK && vn.has_listen == 0 && cs_ut_centroid(&vn, 0) == NULL &&
                 cs_ut_nearest_label(&vn, desc, NULL) == -1,
             "a version 3 table without the section: valid, has_listen 0, no centroid, no label");
    free(c);
    free(t);
}

/* The index and the listening section together: the section follows the index. */
static void test_with_index(void)
{
    const size_t base = cs_ut_size(U, D, K);
    float *plain = calloc(base, sizeof *plain);
    CS_CHECK(cs_ut_encode(plain, U, D, K, 1, -1, 48000.0, 1, 600, start, length, label, source, succ, desc) == 0,
             "encode");
    cs_ut_view v;
    CS_CHECK(cs_ut_parse(plain, base, 1, &v) == CS_UT_OK, "plain parses");
    const size_t xn = cs_index_table_size(&v, 2), ln = cs_ut_listen_size(D, K);
    float *t = calloc(xn + ln, sizeof *t);
    CS_CHECK(xn > base && cs_index_build(&v, 2, t, xn) == 0, "index built");
    const cs_ut_listen l = listen_config();
    CS_CHECK(cs_ut_encode_listen(t, xn, xn + ln, &l) == CS_UT_OK, "section after the index");
    CS_CHECK(cs_ut_parse(t, xn + ln, 1, &v) == CS_UT_OK && v.has_listen && v.index_nodes != NULL,
             "index and section both read and checked");
    CS_CHECK(cs_ut_join(t[CS_UT_H_LISTEN_OFFSET_HI], t[CS_UT_H_LISTEN_OFFSET_LO]) == xn, "section offset = index end");
    CS_CHECK(full_check(t, xn + ln) == CS_UT_OK, "after the index: the resumable check passes at every budget");
    const float keep = t[xn + CS_UT_LISTEN_FIXED + D]; /* the first scale */
    t[xn + CS_UT_LISTEN_FIXED + D] = -1.0f;
    CS_CHECK(full_check(t, xn + ln) == CS_UT_E_LISTEN, "after the index: a bad scale refused at every budget");
    t[xn + CS_UT_LISTEN_FIXED + D] = keep;
    CS_CHECK(cs_ut_parse(t, xn + ln - 1, 0, &v) == CS_UT_E_SHORT, "a truncated section is short");
    /* an index built again from a table with a section drops the section (it is appended after the index) */
    float *u = calloc(xn, sizeof *u);
    cs_ut_view w;
    CS_CHECK(cs_ut_parse(t, xn + ln, 1, &w) == CS_UT_OK && cs_index_build(&w, 2, u, xn) == 0 &&
                 cs_ut_parse(u, xn, 1, &w) == CS_UT_OK && !w.has_listen,
             "rebuilding the index drops the old section's offset");
    free(u);
    free(t);
    free(plain);
}

/* A version 2 table (20 header floats, field 19 reserved, no section) as analyze wrote it before: made from the
 * version 3 encoding by moving the sections 4 floats down and re-basing the offsets. */
static void test_version2(void)
{
    const size_t base = cs_ut_size(U, D, K), n2 = base - (CS_UT_HEADER - CS_UT_HEADER_V2);
    float *t = calloc(base, sizeof *t), *t2 = calloc(n2, sizeof *t2);
    CS_CHECK(cs_ut_encode(t, U, D, K, 1, -1, 48000.0, 1, 600, start, length, label, source, succ, desc) == 0, "encode");
    memcpy(t2, t, CS_UT_HEADER_V2 * sizeof *t2);
    memcpy(t2 + CS_UT_HEADER_V2, t + CS_UT_HEADER, (base - CS_UT_HEADER) * sizeof *t2);
    t2[CS_UT_H_VERSION] = 2.0f;
    t2[CS_UT_H_HEADER_SIZE] = (float)CS_UT_HEADER_V2;
    const uint64_t lo = cs_ut_join(t[CS_UT_H_LABELS_OFFSET_HI], t[CS_UT_H_LABELS_OFFSET_LO]) - 4,
                   mo = cs_ut_join(t[CS_UT_H_MEMBERS_OFFSET_HI], t[CS_UT_H_MEMBERS_OFFSET_LO]) - 4;
    cs_split_put(t2 + CS_UT_H_LABELS_OFFSET_HI, 2, lo);
    cs_split_put(t2 + CS_UT_H_MEMBERS_OFFSET_HI, 2, mo);
    cs_ut_view v;
    CS_CHECK(cs_ut_parse(t2, n2, 1, &v) == CS_UT_OK, "a version 2 table parses");
    CS_CHECK(v.version == 2 && v.header_size == 20 && v.has_listen == 0 && cs_ut_centroid(&v, 0) == NULL,
             "version 2: no listening section");
    for (uint32_t u = 0; u < U; ++u)
        CS_CHECK(cs_ut_unit_start(&v, u) == start[u] && cs_ut_unit_label(&v, u) == label[u] &&
                     memcmp(cs_ut_unit_descriptors(&v, u), desc + u * D, D * sizeof(float)) == 0,
                 "version 2 unit %u reads as written", u);
    CS_CHECK(strstr(cs_ut_strerror(CS_UT_E_NO_LISTEN), "concatseq analyze --force") != NULL,
             "the message for a table without the section names the fix");
    t2[CS_UT_H_RESERVED_V2] = 1.0f;
    CS_CHECK(cs_ut_parse(t2, n2, 0, &v) == CS_UT_E_DIMS, "version 2 field 19 stays reserved");
    t2[CS_UT_H_RESERVED_V2] = 0.0f;
    t2[CS_UT_H_HEADER_SIZE] = 24.0f;
    CS_CHECK(cs_ut_parse(t2, n2, 0, &v) == CS_UT_E_DIMS, "version 2 with a 24-float header size refused");
    /* the index builder takes a version 2 table's own layout */
    t2[CS_UT_H_HEADER_SIZE] = 20.0f;
    CS_CHECK(cs_ut_parse(t2, n2, 1, &v) == CS_UT_OK, "parse again");
    const size_t xn2 = cs_index_table_size(&v, 2);
    float *x2 = calloc(xn2, sizeof *x2);
    CS_CHECK(cs_index_build(&v, 2, x2, xn2) == 0 && cs_ut_parse(x2, xn2, 1, &v) == CS_UT_OK && v.index_nodes,
             "an index on a version 2 table");
    free(x2);
    free(t);
    free(t2);
}

/* Every kind of damage to the section is refused, by the parse (fixed fields) or the check (arrays). */
static void test_damage(void)
{
    size_t n = 0;
    float *t = make_table(&n);
    float *c = malloc(n * sizeof *c);
    const size_t y = (size_t)cs_ut_join(t[CS_UT_H_LISTEN_OFFSET_HI], t[CS_UT_H_LISTEN_OFFSET_LO]);
    const size_t F = CS_UT_LISTEN_FIXED, ce = y + F, sc = ce + D, we = sc + D, cent = we + D;
    struct {
        size_t idx;
        float val;
        int err;
        const char *what;
    } cases[] = {
        {CS_UT_H_LISTEN_OFFSET_LO, (float)(y % 65536) + 1.0f, CS_UT_E_DIMS, "offset not after the members"},
        {CS_UT_H_LISTEN_OFFSET_LO, 0.5f, CS_UT_E_DIMS, "fractional offset"},
        {CS_UT_H_RESERVED, 1.0f, CS_UT_E_DIMS, "reserved header field"},
        {y + CS_UT_L_MAGIC, 1.0f, CS_UT_E_LISTEN, "magic"},
        {y + CS_UT_L_VERSION, 2.0f, CS_UT_E_LISTEN, "section version"},
        {y + CS_UT_L_FIXED, 31.0f, CS_UT_E_LISTEN, "fixed size"},
        {y + CS_UT_L_SAMPLE_RATE, 44100.0f, CS_UT_E_LISTEN, "analysis rate != table rate"},
        {y + CS_UT_L_FFT_SIZE, 1000.0f, CS_UT_E_LISTEN, "fft size not a power of two"},
        {y + CS_UT_L_FFT_SIZE, 32768.0f, CS_UT_E_LISTEN, "fft size too large"},
        {y + CS_UT_L_HOP, 0.0f, CS_UT_E_LISTEN, "hop 0"},
        {y + CS_UT_L_HOP, 4096.0f, CS_UT_E_LISTEN, "hop > fft size"},
        {y + CS_UT_L_N_MELS, 12.0f, CS_UT_E_LISTEN, "too few mel bands"},
        {y + CS_UT_L_MEL_FMAX, 30000.0f, CS_UT_E_LISTEN, "mel fmax above Nyquist"},
        {y + CS_UT_L_ROLLOFF, 0.0f, CS_UT_E_LISTEN, "rolloff 0"},
        {y + CS_UT_L_YIN_THRESHOLD, 1.0f, CS_UT_E_LISTEN, "yin threshold 1"},
        {y + CS_UT_L_F0_MIN, 1.0f, CS_UT_E_LISTEN, "f0 min too low for the YIN window"},
        {y + CS_UT_L_F0_MAX, 40.0f, CS_UT_E_LISTEN, "f0 max below f0 min"},
        {y + CS_UT_L_SEGMENTATION, 3.0f, CS_UT_E_LISTEN, "unknown segmentation"},
        {y + CS_UT_L_GRAIN_LEN_LO, 0.0f, CS_UT_E_LISTEN, "grain length 0 (its hi half is 0)"},
        {y + CS_UT_L_GRAIN_HOP_LO, 0.5f, CS_UT_E_LISTEN, "fractional grain hop"},
        {y + CS_UT_L_ONSET_DELTA_ABS, -1.0f, CS_UT_E_LISTEN, "negative delta_abs"},
        {y + CS_UT_L_ONSET_DELTA_ABS, 0.5f, CS_UT_E_LISTEN, "delta_abs is not delta times the mean flux"},
        {y + CS_UT_L_ONSET_MEDIAN_S, 1e6f, CS_UT_E_LISTEN, "a median window the detector cannot hold"},
        {y + CS_UT_L_ONSET_MIN_LEN_S, 0.0f, CS_UT_E_LISTEN, "onset min length 0"},
        {y + CS_UT_L_ONSET_MAX_LEN_S, 0.01f, CS_UT_E_LISTEN, "onset max length below the min"},
        {y + CS_UT_L_ONSET_MAX_LEN_S, 0.07f, CS_UT_E_LISTEN, "onset max length below twice the min"},
        {y + CS_UT_L_MEAN_FLUX, NAN, CS_UT_E_LISTEN, "NaN mean flux"},
        {y + CS_UT_L_NORM_METHOD, 2.0f, CS_UT_E_LISTEN, "unknown normalisation"},
        {y + CS_UT_L_RESERVED, 1.0f, CS_UT_E_LISTEN, "reserved section field"},
        {ce + 1, NAN, CS_UT_E_LISTEN, "NaN center"},
        {sc + 0, 0.0f, CS_UT_E_LISTEN, "scale 0"},
        {sc + 2, -1.0f, CS_UT_E_LISTEN, "negative scale"},
        {sc + 1, INFINITY, CS_UT_E_LISTEN, "infinite scale"},
        {we + 0, -0.5f, CS_UT_E_LISTEN, "negative weight"},
        {we + 2, NAN, CS_UT_E_LISTEN, "NaN weight"},
        {cent + 1 * D + 2, INFINITY, CS_UT_E_LISTEN, "infinite centroid"},
        {cent + 3 * D + 1, 0.25f, CS_UT_E_LISTEN, "an empty label's centroid is not 0"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; ++k) {
        memcpy(c, t, n * sizeof *c);
        c[cases[k].idx] = cases[k].val;
        const int e = full_check(c, n);
        CS_CHECK(e == cases[k].err, "%s: got %d (%s), expected %d", cases[k].what, e, cs_ut_strerror(e), cases[k].err);
    }
    CS_CHECK(full_check(t, n) == CS_UT_OK, "the undamaged table passes every budget");
    CS_CHECK(strstr(cs_ut_strerror(CS_UT_E_LISTEN), "listening section") != NULL, "message names the section");
    for (size_t m = y; m < n; m += 7)
        CS_CHECK(cs_ut_parse(t, m, 0, &(cs_ut_view){0}) == CS_UT_E_SHORT, "truncated at %zu of %zu: short", m, n);
    free(c);
    free(t);
}

int main(void)
{
    test_round_trip();
    test_with_index();
    test_version2();
    test_damage();
    CS_TEST_END();
}
