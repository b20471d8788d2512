/* test_unit_table.c - the unit table encoding (exact split integers, label sections), its validating parser,
 * and descriptor normalisation. */
#include "cs_analyze.h"
#include "cs_normalize.h"
#include "cs_test.h"
#include "cs_test_table.h"
#include "cs_unit_table.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Issue 14 item 2: analyze checks the table's limits from the sources' lengths before decoding. 10 hours at
 * 48 kHz in 1 ms grains are 36 million units: refused up front, naming --hop-ms; the same with 10 ms hops
 * (3.6 million) passes; 16 777 215 grains exactly pass, one more is refused; onset segmentation is left to the
 * check after segmentation; audio beyond 2^40 frames is refused; unknown lengths are left out. */
static void test_limits(void)
{
    cs_analyze_opts o;
    cs_analyze_opts_default(&o);
    char err[256] = "";
    uint64_t ten_hours[2] = {10ull * 3600 * 48000, UINT64_MAX};
    o.unit_ms = o.hop_ms = 1.0;
    CS_CHECK(cs_analyze_check_limits(&o, ten_hours, 2, err, sizeof err) == CS_E_TOO_LARGE &&
                 strstr(err, "--hop-ms") != NULL,
             "10 h of 1 ms grains refused before decoding: %s", err);
    o.hop_ms = 10.0;
    CS_CHECK(cs_analyze_check_limits(&o, ten_hours, 2, err, sizeof err) == 0, "10 ms hops pass");
    o.unit_ms = o.hop_ms = 1.0; /* 48 frames each */
    uint64_t exact[1] = {(uint64_t)(CS_UT_MAX_UNITS - 1) * 48 + 48};
    CS_CHECK(cs_analyze_check_limits(&o, exact, 1, err, sizeof err) == 0, "exactly CS_UT_MAX_UNITS grains pass");
    o.cluster = 0;
    o.cl.kmeans.k = 4096; /* the listening section's centroids of the most labels k-means makes still fit */
    CS_CHECK(cs_analyze_check_limits(&o, exact, 1, err, sizeof err) == 0, "4096 k-means labels fit: %s", err);
    o.cluster = 1; /* DBSCAN may make a label per unit: rows, index and centroids would exceed 2^31 - 1 floats */
    CS_CHECK(cs_analyze_check_limits(&o, exact, 1, err, sizeof err) == CS_E_TOO_LARGE && strstr(err, "--cluster"),
             "DBSCAN's worst case refused up front, naming --cluster: %s", err);
    o.cluster = 0;
    o.cl.kmeans.k = 0;
    exact[0] += 48;
    CS_CHECK(cs_analyze_check_limits(&o, exact, 1, err, sizeof err) == CS_E_TOO_LARGE, "one more is refused");
    o.segment = CS_SEG_ONSET;
    CS_CHECK(cs_analyze_check_limits(&o, ten_hours, 2, err, sizeof err) == 0, "onsets: checked after segmentation");
    uint64_t huge[1] = {(uint64_t)1 << 40};
    CS_CHECK(cs_analyze_check_limits(&o, huge, 1, err, sizeof err) == CS_E_TOO_LARGE && strstr(err, "--rate"),
             "2^40 frames refused: %s", err);
}

int main(void)
{
    test_limits();
    /* 5 units in 2 sources, 3 labels, 2 descriptors; positions beyond 2^24 frames must stay exact */
    const uint64_t big = (1ull << 34) + 12345; /* ~4 days at 48 kHz */
    uint64_t start[5] = {0, 1000, 16777217, big, big + 70000};
    uint64_t length[5] = {1000, 500, 65537, 70000, 3};
    int32_t label[5] = {2, 0, 2, 1, 0};
    int32_t source[5] = {0, 0, 0, 1, 1};
    int32_t succ[5] = {1, 2, -1, 4, -1};
    float desc[10] = {0.5f, -1.f, 2.f, 3.f, -0.25f, 0.f, 1e3f, -1e3f, 7.f, 8.f};
    const uint64_t frames = big + 70003;
    size_t n = cs_ut_size(5, 2, 3);
    CS_CHECK(n == CS_UT_HEADER + 5 * 10 + 6 + 5, "size %zu", n);
    float *t = calloc(n, sizeof *t);
    CS_CHECK(cs_ut_encode(t, 5, 2, 3, 2, -1, 48000.0, 2, frames, start, length, label, source, succ, desc) == CS_UT_OK,
             "encode");
    cs_ut_view v;
    CS_CHECK(cs_ut_parse(t, n, 1, &v) == CS_UT_OK, "parse");
    CS_CHECK(v.num_units == 5 && v.num_descriptors == 2 && v.num_labels == 3 && v.channels == 2, "counts");
    CS_CHECK(v.audio_frames == frames, "audio frames exact: %llu", (unsigned long long)v.audio_frames);
    for (uint32_t u = 0; u < 5; ++u) {
        CS_CHECK(cs_ut_unit_start(&v, u) == start[u], "start %u exact", u);
        CS_CHECK(cs_ut_unit_length(&v, u) == length[u], "length %u exact", u);
        CS_CHECK(cs_ut_unit_label(&v, u) == label[u], "label %u", u);
        CS_CHECK(cs_ut_unit_successor(&v, u) == succ[u], "successor %u", u);
        CS_CHECK(memcmp(cs_ut_unit_descriptors(&v, u), desc + 2 * u, 2 * sizeof(float)) == 0, "descriptors %u", u);
    }
    uint32_t first = 0;
    cs_ut_view w0;
    CS_CHECK(cs_ut_label_count(&v, 0, &first) == 2 && v.members[first] == 1.0f && v.members[first + 1] == 4.0f,
             "label 0 members");
    CS_CHECK(cs_ut_label_count(&v, 1, &first) == 1 && v.members[first] == 3.0f, "label 1 members");
    CS_CHECK(cs_ut_label_count(&v, 2, &first) == 2 && v.members[first] == 0.0f && v.members[first + 1] == 2.0f,
             "label 2 members");
    CS_CHECK(cs_ut_label_count(&v, 3, NULL) == 0 && cs_ut_label_count(&v, -1, NULL) == 0, "bad label -> 0");
    {
        /* the members must be a permutation in unit order (BUNDLE.md "Members"): a repeated unit hides another
         * from every reader of the label (fuzz_unit_table: the nearest search missed the nearest unit) */
        float *mc = malloc(n * sizeof *mc);
        const size_t m0 = (size_t)(v.members - t) + first; /* label 2's members: 0, 2 */
        memcpy(mc, t, n * sizeof *mc);
        mc[m0 + 1] = mc[m0];
        CS_CHECK(cs_ut_parse(mc, n, 1, &w0) == CS_UT_E_VALUES, "a member repeated in its label is refused");
        memcpy(mc, t, n * sizeof *mc);
        mc[m0] = 2.0f, mc[m0 + 1] = 0.0f;
        CS_CHECK(cs_ut_parse(mc, n, 1, &w0) == CS_UT_E_VALUES, "members out of unit order are refused");
        memcpy(mc, t, n * sizeof *mc);
        CS_CHECK(cs_ut_parse(mc, n, 1, &w0) == CS_UT_OK, "... and the copy itself passes");
        free(mc);
    }

    /* the parser rejects every kind of damage, never reading past n */
    cs_ut_view w;
    CS_CHECK(cs_ut_parse(NULL, n, 1, &w) == CS_UT_E_NULL, "null");
    CS_CHECK(cs_ut_parse(t, 10, 1, &w) == CS_UT_E_SHORT, "shorter than header");
    CS_CHECK(cs_ut_parse(t, n - 1, 1, &w) == CS_UT_E_SHORT, "truncated");
    float *c = malloc(n * sizeof *c);
    struct {
        int idx;
        float val;
        int err;
    } cases[] = {
        {CS_UT_H_MAGIC, 1.0f, CS_UT_E_MAGIC},
        {CS_UT_H_VERSION, 1.0f, CS_UT_E_VERSION}, /* version 1: refused, the message names analyze --force */
        {CS_UT_H_VERSION, 4.0f, CS_UT_E_VERSION},
        {CS_UT_H_NUM_UNITS, 6.0f, CS_UT_E_DIMS},
        {CS_UT_H_NUM_UNITS, NAN, CS_UT_E_DIMS},
        {CS_UT_H_NUM_UNITS, 1e30f, CS_UT_E_DIMS},
        {CS_UT_H_STRIDE, 11.0f, CS_UT_E_DIMS},
        {CS_UT_H_NUM_LABELS, 0.0f, CS_UT_E_DIMS},
        {CS_UT_H_NOISE_LABEL, 3.0f, CS_UT_E_DIMS},
        {CS_UT_H_NOISE_LABEL, -2.5f, CS_UT_E_DIMS},
        {CS_UT_H_NOISE_LABEL, 68719476736.0f, CS_UT_E_DIMS}, /* 2^36: found by fuzz_unit_table (a uint32 cast) */
        {CS_UT_H_LABELS_OFFSET_LO, 7.0f, CS_UT_E_DIMS},
        {CS_UT_H_LABELS_OFFSET_HI, 1.0f, CS_UT_E_DIMS},
        {CS_UT_H_MEMBERS_OFFSET_LO, 0.5f, CS_UT_E_DIMS},
        {CS_UT_H_INDEX_OFFSET_LO, 3.0f, CS_UT_E_DIMS}, /* an index where there is none */
        {CS_UT_H_RESERVED, 1.0f, CS_UT_E_DIMS},
        {CS_UT_H_SAMPLE_RATE, -1.0f, CS_UT_E_DIMS},
        {CS_UT_HEADER + CS_UT_R_LABEL, 3.0f, CS_UT_E_VALUES},
        {CS_UT_HEADER + CS_UT_R_LABEL, 0.5f, CS_UT_E_VALUES},
        {CS_UT_HEADER + CS_UT_R_SUCCESSOR, 5.0f, CS_UT_E_VALUES},
        {CS_UT_HEADER + CS_UT_R_LENGTH_LO, 0.0f, CS_UT_E_VALUES},
        {CS_UT_HEADER + CS_UT_R_START_HI, 1e7f, CS_UT_E_VALUES},
        {CS_UT_HEADER + CS_UT_R_DESCRIPTORS, INFINITY, CS_UT_E_VALUES},
        {CS_UT_HEADER + CS_UT_R_SOURCE, 2.0f, CS_UT_E_VALUES},
        {CS_UT_HEADER + 50 + 1, 3.0f, CS_UT_E_VALUES}, /* label 0 count */
        {CS_UT_HEADER + 50 + 6, 2.0f, CS_UT_E_VALUES}, /* a member moved to another label */
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; ++k) {
        memcpy(c, t, n * sizeof *c);
        c[cases[k].idx] = cases[k].val;
        int e = cs_ut_parse(c, n, 1, &w);
        CS_CHECK(e == cases[k].err, "case %zu (field %d = %g): got %d, expected %d", k, cases[k].idx,
                 (double)cases[k].val, e, cases[k].err);
        /* the resumable check (ConcatPlay's, a few floats per block) gives the same answer for any budget */
        if (cs_ut_parse(c, n, 0, &w) != CS_UT_OK) continue;
        for (size_t budget = 1; budget <= 64; budget *= 4) {
            int steps = 0;
            const int r = cs_test_resumable_check(&w, budget, &steps);
            CS_CHECK(r == cases[k].err, "case %zu, budget %zu: resumable check %d after %d steps, expected %d", k,
                     budget, r, steps, cases[k].err);
        }
    }
    /* row checks are skipped when not asked for, header checks are not */
    memcpy(c, t, n * sizeof *c);
    c[CS_UT_HEADER + CS_UT_R_LABEL] = 3.0f;
    CS_CHECK(cs_ut_parse(c, n, 0, &w) == CS_UT_OK, "header-only parse");
    CS_CHECK(strlen(cs_ut_strerror(CS_UT_E_VALUES)) > 0, "message");
    CS_CHECK(strstr(cs_ut_strerror(CS_UT_E_VERSION), "concatseq analyze --force") != NULL,
             "a version 1 table's message names the fix");
    /* encoder refuses impossible tables */
    int32_t badlabel[5] = {2, 0, 3, 1, 0};
    CS_CHECK(cs_ut_encode(c, 5, 2, 3, 2, -1, 48000.0, 2, frames, start, length, badlabel, source, succ, desc) ==
                 CS_UT_E_DIMS,
             "label out of range refused");
    CS_CHECK(cs_ut_encode(c, 5, 2, 3, 2, -1, 48000.0, 2, big, start, length, label, source, succ, desc) == CS_UT_E_DIMS,
             "unit past the audio refused");
    free(c);

    /* readers after a write into the validated table (a /b_set while playing): never out of range */
    CS_CHECK(cs_ut_parse(t, n, 1, &v) == CS_UT_OK, "parse again");
    CS_CHECK(cs_ut_join(NAN, 5) == 5 && cs_ut_join(-3, 7) == 7 && cs_ut_join(4e9f, 1e9f) == 16777215ull * 65536 + 65535,
             "split halves clamped: NaN and negative 0, huge the maximum");
    CS_CHECK(cs_ut_index_value(NAN, 5) == -1 && cs_ut_index_value(5, 5) == -1 && cs_ut_index_value(-0.5f, 5) == -1 &&
                 cs_ut_index_value(4.9f, 5) == 4 && cs_ut_index_value(INFINITY, 5) == -1,
             "index values checked against their limit");
    float *row = t + CS_UT_HEADER;
    row[CS_UT_R_LABEL] = 7.0f;     /* unit 0: label beyond num_labels */
    row[CS_UT_R_SUCCESSOR] = 4e9f; /* and a successor beyond num_units */
    CS_CHECK(cs_ut_unit_label(&v, 0) == -1 && cs_ut_unit_successor(&v, 0) == -1, "bad label and successor read as -1");
    const size_t lo = (size_t)cs_ut_join(t[CS_UT_H_LABELS_OFFSET_HI], t[CS_UT_H_LABELS_OFFSET_LO]),
                 mo = (size_t)cs_ut_join(t[CS_UT_H_MEMBERS_OFFSET_HI], t[CS_UT_H_MEMBERS_OFFSET_LO]);
    t[lo + 1] = 4e9f; /* label 0's member count: the crash */
    first = 99;
    CS_CHECK(cs_ut_label_count(&v, 0, &first) == 0 && first == 99, "a count past the members section reads as empty");
    t[lo + 1] = 2.0f;
    t[lo] = NAN;
    CS_CHECK(cs_ut_label_count(&v, 0, &first) == 0, "a NaN first member reads as empty");
    t[mo] = -1.0f;
    t[mo + 1] = 1e30f;
    CS_CHECK(cs_ut_member(&v, 0) == -1 && cs_ut_member(&v, 1) == -1 && cs_ut_member(&v, 5) == -1,
             "members out of range (or past the section) read as -1");
    free(t);

    /* normalisation: z-score and robust, constant column -> 0 */
    float X[12] = {1, 5, 0, 2, 5, 0, 3, 5, 0, 10, 5, 0};
    double center[3], scale[3];
    CS_CHECK(cs_normalize(X, 4, 3, CS_NORM_ZSCORE, center, scale) == 0, "zscore");
    CS_CHECK_NEAR(center[0], 4.0, 1e-12, "mean");
    CS_CHECK_NEAR(scale[0], sqrt(12.5), 1e-12, "population std");
    CS_CHECK(scale[1] == 1.0 && X[1] == 0.0f && X[4] == 0.0f, "constant column normalises to 0");
    float Y[4] = {1, 2, 3, 10};
    CS_CHECK(cs_normalize(Y, 4, 1, CS_NORM_ROBUST, center, scale) == 0, "robust");
    CS_CHECK_NEAR(center[0], 2.5, 1e-12, "median");
    CS_CHECK_NEAR(scale[0], (4.75 - 1.75) / 1.349, 1e-12, "IQR / 1.349");
    CS_CHECK(cs_normalize(Y, 0, 1, CS_NORM_ZSCORE, center, scale) != 0, "empty refused");
    CS_TEST_END();
}
