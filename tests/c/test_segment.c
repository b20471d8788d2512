/*
 * test_segment.c - fixed grains, onset events and novelty sections (cs_segment.h) on synthetic signals
 * with known event times and section boundaries, analysed by the real descriptor frames
 * (cs_frames_analyze, FFT 2048, hop 512).
 */
#include "cs_error.h"
#include "cs_frames.h"
#include "cs_rng.h"
#include "cs_segment.h"
#include "cs_test.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#define RATE 48000
#define PI   3.14159265358979323846

/* ------------------------------------------------------------------ helpers */

/* Sorted, non-overlapping (unless overlap_ok), inside [0, n), lengths > 0. */
static int segs_valid(const cs_segments *s, size_t n, int overlap_ok)
{
    for (size_t i = 0; i < s->n; i++) {
        if (s->v[i].length == 0 || s->v[i].start >= n || s->v[i].length > n - s->v[i].start) return 0;
        if (i > 0) {
            if (s->v[i].start <= s->v[i - 1].start) return 0;
            if (!overlap_ok && s->v[i].start < s->v[i - 1].start + s->v[i - 1].length) return 0;
        }
    }
    return 1;
}

/* The units tile [0, n) exactly (onset and novelty segmentation cover the whole source). */
static int segs_tile(const cs_segments *s, size_t n)
{
    if (s->n == 0 || s->v[0].start != 0) return 0;
    for (size_t i = 1; i < s->n; i++)
        if (s->v[i].start != s->v[i - 1].start + s->v[i - 1].length) return 0;
    return s->v[s->n - 1].start + s->v[s->n - 1].length == n;
}

static size_t min_len_of(const cs_segments *s)
{
    size_t m = SIZE_MAX;
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].length < m) m = s->v[i].length;
    return m;
}

static size_t max_len_of(const cs_segments *s)
{
    size_t m = 0;
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].length > m) m = s->v[i].length;
    return m;
}

static int analyze(const float *x, size_t n, int rate, cs_frames *f)
{
    cs_frame_params fp;
    cs_frame_params_default(&fp, rate);
    memset(f, 0, sizeof *f);
    return cs_frames_analyze(x, n, &fp, 1, f);
}

/* Low background noise (normal, std `amp`). */
static float *noise_signal(size_t n, double amp, uint64_t seed)
{
    float *x = malloc(n * sizeof *x);
    if (!x) return NULL;
    cs_rng r;
    cs_rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(amp * cs_rng_normal(&r));
    return x;
}

/* A single-sample click of amplitude a at sample t. */
static void add_click(float *x, size_t n, size_t t, float a)
{
    if (t < n) x[t] += a;
}

/* A 2 ms burst at t: an attack sample of amplitude a, then noise decaying with a 1 ms time constant. */
static void add_burst(float *x, size_t n, size_t t, float a, cs_rng *r)
{
    for (size_t k = 0; k < RATE / 500 && t + k < n; k++) {
        double env = exp(-(double)k / (RATE / 1000.0));
        x[t + k] += (float)((double)a * env * (k == 0 ? 1.0 : 0.7 * cs_rng_normal(r)));
    }
}

/* Index of the unit whose start is nearest to sample t. */
static size_t nearest_start(const cs_segments *s, size_t t)
{
    size_t best = 0;
    double bd = INFINITY;
    for (size_t i = 0; i < s->n; i++) {
        double d = fabs((double)s->v[i].start - (double)t);
        if (d < bd) {
            bd = d;
            best = i;
        }
    }
    return best;
}

/* ------------------------------------------------------------------ grains */

static void test_grain(void)
{
    cs_segments s = {0};
    CS_CHECK(cs_segment_grain(1000, 100, 50, &s) == 0, "grain basic");
    CS_CHECK(s.n == 19, "count %zu, expected (1000-100)/50+1 = 19", s.n);
    int ok = 1;
    for (size_t i = 0; i < s.n; i++)
        ok &= s.v[i].start == i * 50 && s.v[i].length == 100;
    CS_CHECK(ok, "grain positions k*hop, length unit_len");
    CS_CHECK(s.v[s.n - 1].start + s.v[s.n - 1].length == 1000, "last grain ends at n");
    CS_CHECK(segs_valid(&s, 1000, 1), "grain validity");

    /* tail shorter than a grain is dropped, never padded */
    CS_CHECK(cs_segment_grain(1049, 100, 50, &s) == 0 && s.n == 19, "tail dropped: %zu", s.n);
    CS_CHECK(s.v[s.n - 1].start + s.v[s.n - 1].length <= 1049, "last grain inside");

    /* n == unit_len: exactly one grain */
    CS_CHECK(cs_segment_grain(256, 256, 64, &s) == 0 && s.n == 1 && s.v[0].start == 0 && s.v[0].length == 256,
             "n == unit_len gives one grain");

    /* hop > unit_len: gaps */
    CS_CHECK(cs_segment_grain(1000, 100, 300, &s) == 0, "hop > unit_len");
    CS_CHECK(s.n == 4 && s.v[3].start == 900 && s.v[1].start == 300, "gapped grains: n %zu", s.n);
    CS_CHECK(segs_valid(&s, 1000, 0), "gapped grains do not overlap");

    /* hop == unit_len: contiguous tiling */
    CS_CHECK(cs_segment_grain(1000, 250, 250, &s) == 0 && s.n == 4 && segs_tile(&s, 1000), "tiling grains");

    /* errors leave the list empty */
    CS_CHECK(cs_segment_grain(1000, 0, 50, &s) == CS_E_ARG && s.n == 0, "unit_len 0");
    CS_CHECK(cs_segment_grain(1000, 100, 0, &s) == CS_E_ARG && s.n == 0, "hop 0");
    CS_CHECK(cs_segment_grain(99, 100, 50, &s) == CS_E_SHORT && s.n == 0, "n < unit_len");
    CS_CHECK(cs_segment_grain(0, 100, 50, &s) == CS_E_SHORT, "n == 0");
    CS_CHECK(cs_segment_grain(1000, 100, 50, NULL) == CS_E_ARG, "NULL out");

    /* a long source (1 hour at 48 kHz, 10 ms hop) */
    size_t n = (size_t)3600 * RATE;
    CS_CHECK(cs_segment_grain(n, 4800, 480, &s) == 0 && s.n == (n - 4800) / 480 + 1, "1 h of grains");
    cs_segments_free(&s);
    cs_segments_free(&s); /* idempotent */
    CS_CHECK(s.v == NULL && s.n == 0 && s.cap == 0, "free zeroes");
}

/* ------------------------------------------------------------------ onsets */

/* Clicks and bursts over low noise: every event found, unit starts at onset - pre within one hop. */
static void test_onset_clicks(void)
{
    const size_t n = 3 * RATE;
    const double times[] = {0.30, 0.7123, 1.2509, 1.6, 2.0311, 2.5};
    const size_t ne = sizeof times / sizeof *times;
    float *x = noise_signal(n, 1e-3, 11);
    CS_CHECK(x != NULL, "alloc");
    if (!x) return;
    cs_rng r;
    cs_rng_seed(&r, 12);
    size_t t[6];
    for (size_t k = 0; k < ne; k++) {
        t[k] = (size_t)llround(times[k] * RATE);
        if (k % 2 == 0)
            add_click(x, n, t[k], 0.8f);
        else
            add_burst(x, n, t[k], 0.6f, &r);
    }
    cs_frames f;
    int err = analyze(x, n, RATE, &f);
    CS_CHECK(err == 0, "cs_frames_analyze: %s", cs_strerror(err));
    if (err) {
        free(x);
        return;
    }
    const size_t hop = (size_t)f.hop;
    cs_onset_params p;
    cs_onset_params_default(&p);
    const size_t pre = (size_t)llround(p.pre_s * RATE);
    cs_segments s = {0};
    err = cs_segment_onset(&f, n, &p, &s);
    CS_CHECK(err == 0, "onset: %s", cs_strerror(err));
    CS_CHECK(segs_valid(&s, n, 0) && segs_tile(&s, n), "onset units tile the source");
    /* a pre-roll unit [0, first onset) plus one unit per event */
    CS_CHECK(s.n == ne + 1, "units %zu, expected %zu", s.n, ne + 1);
    for (size_t k = 0; k < ne && s.n == ne + 1; k++) {
        double want = (double)t[k] - (double)pre;
        CS_CHECK_NEAR((double)s.v[k + 1].start, want, (double)hop, "unit start vs event - pre");
        CS_CHECK(s.v[k + 1].start + pre <= t[k], "attack not cut: start %zu, event %zu", s.v[k + 1].start, t[k]);
    }
    CS_CHECK(min_len_of(&s) >= (size_t)llround(p.min_len_s * RATE), "min_len respected");
    CS_CHECK(max_len_of(&s) <= (size_t)llround(p.max_len_s * RATE), "max_len respected");

    /* deterministic and reusable output */
    cs_segments s2 = {0};
    CS_CHECK(cs_segment_onset(&f, n, &p, &s2) == 0 && s2.n == s.n && memcmp(s2.v, s.v, s.n * sizeof *s.v) == 0,
             "same input, same units");
    CS_CHECK(cs_segment_onset(&f, n, &p, &s2) == 0 && s2.n == s.n, "out reused");

    /* errors */
    CS_CHECK(cs_segment_onset(&f, n + hop, &p, &s2) == CS_E_ARG && s2.n == 0, "frames inconsistent with n");
    cs_onset_params bad = p;
    bad.max_len_s = 1.5 * p.min_len_s;
    CS_CHECK(cs_segment_onset(&f, n, &bad, &s2) == CS_E_ARG, "max_len < 2 min_len");
    bad = p;
    bad.threshold = -1.0;
    CS_CHECK(cs_segment_onset(&f, n, &bad, &s2) == CS_E_ARG, "negative threshold");
    bad = p;
    bad.min_len_s = NAN;
    CS_CHECK(cs_segment_onset(&f, n, &bad, &s2) == CS_E_ARG, "NaN min_len");
    CS_CHECK(cs_segment_onset(NULL, n, &p, &s2) == CS_E_ARG, "NULL frames");
    CS_CHECK(cs_segment_onset(&f, n, NULL, &s2) == CS_E_ARG, "NULL params");
    CS_CHECK(cs_segment_onset(&f, n, &p, NULL) == CS_E_ARG, "NULL out");
    bad = p;
    bad.min_len_s = 4.0;
    bad.max_len_s = 8.0;
    CS_CHECK(cs_segment_onset(&f, n, &bad, &s2) == CS_E_SHORT && s2.n == 0, "source shorter than min_len");
    /* a non-finite flux or peak value is reported, not silently used */
    float keep = f.data[100 * CS_FF_COUNT + CS_FF_FLUX];
    f.data[100 * CS_FF_COUNT + CS_FF_FLUX] = NAN;
    CS_CHECK(cs_segment_onset(&f, n, &p, &s2) == CS_E_NONFINITE && s2.n == 0, "NaN flux");
    f.data[100 * CS_FF_COUNT + CS_FF_FLUX] = keep;
    keep = f.data[7 * CS_FF_COUNT + CS_FF_PEAK];
    f.data[7 * CS_FF_COUNT + CS_FF_PEAK] = INFINITY;
    CS_CHECK(cs_segment_onset(&f, n, &p, &s2) == CS_E_NONFINITE, "infinite peak");
    f.data[7 * CS_FF_COUNT + CS_FF_PEAK] = keep;
    CS_CHECK(cs_segment_onset(&f, n, &p, &s2) == 0 && s2.n == s.n, "restored frames");

    cs_segments_free(&s);
    cs_segments_free(&s2);
    cs_frames_free(&f);
    free(x);
}

/* Close events merge (min_len), a short head or tail merges, long events split (max_len). */
static void test_onset_min_max(void)
{
    const size_t n = 7 * RATE;
    float *x = noise_signal(n, 1e-3, 21);
    CS_CHECK(x != NULL, "alloc");
    if (!x) return;
    const size_t t_head = (size_t)(0.02 * RATE); /* within min_len of the start */
    const size_t t_a = 1 * RATE;                 /* strong */
    const size_t t_b = (size_t)(1.03 * RATE);    /* weaker, 30 ms after t_a */
    const size_t t_c = (size_t)(1.5 * RATE);
    const size_t t_d = (size_t)(6.5 * RATE);         /* 5 s after t_c: split by max_len 2 s */
    const size_t t_tail = n - (size_t)(0.02 * RATE); /* within min_len of the end */
    add_click(x, n, t_head, 0.8f);
    add_click(x, n, t_a, 0.9f);
    add_click(x, n, t_b, 0.3f);
    add_click(x, n, t_c, 0.8f);
    add_click(x, n, t_d, 0.8f);
    add_click(x, n, t_tail, 0.8f);
    cs_frames f;
    int err = analyze(x, n, RATE, &f);
    CS_CHECK(err == 0, "cs_frames_analyze: %s", cs_strerror(err));
    if (err) {
        free(x);
        return;
    }
    const size_t hop = (size_t)f.hop;
    cs_onset_params p;
    cs_onset_params_default(&p); /* min_len 50 ms, max_len 2 s */
    const size_t pre = (size_t)llround(p.pre_s * RATE);
    const size_t min_len = (size_t)llround(p.min_len_s * RATE), max_len = (size_t)llround(p.max_len_s * RATE);
    cs_segments s = {0};
    err = cs_segment_onset(&f, n, &p, &s);
    CS_CHECK(err == 0, "onset: %s", cs_strerror(err));
    CS_CHECK(segs_valid(&s, n, 0) && segs_tile(&s, n), "units tile the source");
    CS_CHECK(min_len_of(&s) >= min_len, "min_len: shortest %zu", min_len_of(&s));
    CS_CHECK(max_len_of(&s) <= max_len, "max_len: longest %zu", max_len_of(&s));
    /* boundaries expected: 0 (head merged), t_a (t_b, 30 ms later, refused by min_len: earliest first), t_c,
       [t_c, t_d) cut at max_len (2 s, 2 s, the rest), t_d to n (tail merged). The first unit [0, t_a) is 1 s. */
    size_t want = 1 + 1 + 3 + 1;
    CS_CHECK(s.n == want, "units %zu, expected %zu", s.n, want);
    if (s.n == want) {
        CS_CHECK(s.v[0].start == 0, "head merged: first unit at 0");
        CS_CHECK_NEAR((double)s.v[1].start, (double)(t_a - pre), (double)hop, "strong click kept");
        CS_CHECK_NEAR((double)s.v[2].start, (double)(t_c - pre), (double)hop, "click at 1.5 s");
        /* [t_c, t_d) is 5 s > 2 s: cut causally at max_len (the live listener can do the same), so two parts of
           exactly max_len and the rest, which is >= min_len */
        size_t l0 = s.v[2].length, l1 = s.v[3].length, l2 = s.v[4].length;
        CS_CHECK(l0 == max_len && l1 == max_len, "cuts at max_len: %zu %zu", l0, l1);
        CS_CHECK(l2 >= min_len && l2 <= max_len, "the rest of the long event: %zu", l2);
        CS_CHECK_NEAR((double)s.v[5].start, (double)(t_d - pre), (double)hop, "click at 6.5 s");
        CS_CHECK(s.v[5].start + s.v[5].length == n && s.v[5].start < t_tail, "tail merged into last unit");
    }
    /* the weak click at 1.03 s is a unit of its own once min_len allows it */
    cs_onset_params p2 = p;
    p2.min_len_s = 0.02;
    err = cs_segment_onset(&f, n, &p2, &s);
    CS_CHECK(err == 0, "onset min_len 20 ms");
    size_t kb = nearest_start(&s, t_b - pre);
    CS_CHECK(fabs((double)s.v[kb].start - (double)(t_b - pre)) <= (double)hop, "weak click found with min_len 20 ms");
    CS_CHECK(min_len_of(&s) >= (size_t)llround(p2.min_len_s * RATE), "min_len 20 ms respected");
    /* with min_len 20 ms the head click at 20 ms is also at the limit: whatever is found, units stay valid */
    CS_CHECK(segs_valid(&s, n, 0) && segs_tile(&s, n), "valid with min_len 20 ms");

    cs_segments_free(&s);
    cs_frames_free(&f);
    free(x);
}

/* Digital silence and steady noise have no onsets: [0, n) split by max_len. */
static void test_onset_steady(void)
{
    cs_onset_params p;
    cs_onset_params_default(&p);
    cs_segments s = {0};
    cs_frames f;

    size_t n = (size_t)(1.5 * RATE);
    float *x = calloc(n, sizeof *x);
    CS_CHECK(x && analyze(x, n, RATE, &f) == 0, "silence frames");
    CS_CHECK(cs_segment_onset(&f, n, &p, &s) == 0, "silence");
    CS_CHECK(s.n == 1 && s.v[0].start == 0 && s.v[0].length == n, "1.5 s of silence: one unit, got %zu", s.n);
    cs_frames_free(&f);
    free(x);

    n = 10 * RATE;
    x = calloc(n, sizeof *x);
    CS_CHECK(x && analyze(x, n, RATE, &f) == 0, "silence frames");
    CS_CHECK(cs_segment_onset(&f, n, &p, &s) == 0, "silence");
    CS_CHECK(s.n == 5 && segs_tile(&s, n) && min_len_of(&s) == 2 * RATE && max_len_of(&s) == 2 * RATE,
             "10 s of silence: 5 units of 2 s, got %zu", s.n);
    cs_frames_free(&f);
    free(x);

    n = 3 * RATE;
    x = noise_signal(n, 0.1, 31);
    CS_CHECK(x && analyze(x, n, RATE, &f) == 0, "noise frames");
    CS_CHECK(cs_segment_onset(&f, n, &p, &s) == 0, "steady noise");
    CS_CHECK(s.n == 2 && segs_tile(&s, n), "3 s of steady white noise: no onset, 2 units, got %zu", s.n);
    cs_frames_free(&f);
    free(x);
    cs_segments_free(&s);
}

/* ------------------------------------------------------------------ novelty */

/* 4 sections of `sec` seconds: sine, white noise, harmonic tone, low-pass noise, repeated `reps` times. */
static float *sections_signal(size_t n, int rate, double sec, uint64_t seed)
{
    float *x = malloc(n * sizeof *x);
    if (!x) return NULL;
    cs_rng r;
    cs_rng_seed(&r, seed);
    double lp = 0.0;
    size_t len = (size_t)llround(sec * rate);
    for (size_t i = 0; i < n; i++) {
        double t = (double)i / rate, v = 0.0;
        switch ((i / len) % 4) {
        case 0:
            v = 0.3 * sin(2.0 * PI * 440.0 * t);
            break;
        case 1:
            v = 0.1 * cs_rng_normal(&r);
            break;
        case 2:
            for (int k = 1; k <= 10; k++)
                v += 0.15 / k * sin(2.0 * PI * 220.0 * k * t);
            break;
        default:
            lp += 0.05 * (cs_rng_normal(&r) - lp);
            v = 1.0 * lp;
            break;
        }
        x[i] = (float)v;
    }
    return x;
}

/* Direct evaluation of Foote's novelty from the definition: explicit cosine SSM entries and the 2-D
   checkerboard kernel sum (O(n_blocks * L^2)), independent of the library's rank-one evaluation. */
static double foote_direct(const cs_frames *f, size_t B, size_t L, size_t b, double **feat_io, size_t nb)
{
    enum { D = 15 };
    if (!*feat_io) {
        double *w = calloc(nb * D, sizeof *w);
        if (!w) return NAN;
        for (size_t k = 0; k < nb; k++) {
            size_t i0 = k * B, i1 = i0 + B < f->n_frames ? i0 + B : f->n_frames;
            for (size_t i = i0; i < i1; i++) {
                const float *fr = f->data + i * CS_FF_COUNT;
                for (int c = 0; c < 12; c++)
                    w[k * D + c] += (double)fr[CS_FF_MFCC0 + 1 + c];
                w[k * D + 12] += (double)fr[CS_FF_CENTROID];
                w[k * D + 13] += (double)fr[CS_FF_FLATNESS];
                w[k * D + 14] += 20.0 * log10((double)fr[CS_FF_RMS] + 1e-6);
            }
            for (int c = 0; c < D; c++)
                w[k * D + c] /= (double)(i1 - i0);
        }
        for (int c = 0; c < D; c++) {
            double m = 0, v = 0;
            for (size_t k = 0; k < nb; k++)
                m += w[k * D + c];
            m /= (double)nb;
            for (size_t k = 0; k < nb; k++)
                v += (w[k * D + c] - m) * (w[k * D + c] - m);
            double sd = sqrt(v / (double)nb);
            for (size_t k = 0; k < nb; k++)
                w[k * D + c] = sd > 1e-9 * (1 + fabs(m)) ? (w[k * D + c] - m) / sd : 0;
        }
        *feat_io = w;
    }
    const double *w = *feat_io;
    double sigma = 0.5 * (double)L, num = 0.0, den = 0.0;
    for (long u = -(long)L; u < (long)L; u++) {
        for (long v = -(long)L; v < (long)L; v++) {
            double gu = exp(-0.5 * pow(((double)u + 0.5) / sigma, 2)),
                   gv = exp(-0.5 * pow(((double)v + 0.5) / sigma, 2));
            double c = (u < 0 ? -1 : 1) * (v < 0 ? -1 : 1) * gu * gv; /* checkerboard x Gaussian */
            den += fabs(c);
            long a = (long)b + u, bb = (long)b + v;
            if (a < 0 || bb < 0 || a >= (long)nb || bb >= (long)nb) continue;
            double dot = 0, na = 0, nbb = 0;
            for (int k = 0; k < D; k++) {
                dot += w[a * D + k] * w[bb * D + k];
                na += w[a * D + k] * w[a * D + k];
                nbb += w[bb * D + k] * w[bb * D + k];
            }
            double sim = (na > 0 && nbb > 0) ? dot / sqrt(na * nbb) : 0.0;
            num += c * sim;
        }
    }
    return num / den;
}

static void test_novelty_sections(void)
{
    const double sec = 6.0;
    const size_t n = (size_t)(4 * sec * RATE);
    float *x = sections_signal(n, RATE, sec, 41);
    CS_CHECK(x != NULL, "alloc");
    if (!x) return;
    cs_frames f;
    int err = analyze(x, n, RATE, &f);
    CS_CHECK(err == 0, "cs_frames_analyze: %s", cs_strerror(err));
    if (err) {
        free(x);
        return;
    }
    cs_novelty_params p;
    cs_novelty_params_default(&p);
    cs_segments s = {0};
    err = cs_segment_novelty(&f, n, &p, &s);
    CS_CHECK(err == 0, "novelty: %s", cs_strerror(err));
    CS_CHECK(segs_valid(&s, n, 0) && segs_tile(&s, n), "sections tile the source");
    CS_CHECK(s.n == 4, "sections %zu, expected 4", s.n);
    for (size_t k = 1; k < 4 && s.n == 4; k++)
        CS_CHECK_NEAR((double)s.v[k].start / RATE, (double)k * sec, 0.25, "section boundary, s");

    /* the curve: in 0..1, near 0 inside sections, the rank-one evaluation equals the direct 2-D sum */
    float *nov = NULL;
    size_t nb = 0, B = 0;
    err = cs_segment_novelty_curve(&f, n, &p, &nov, &nb, &B);
    CS_CHECK(err == 0 && nov && nb == (f.n_frames + B - 1) / B, "curve: %zu blocks of %zu frames", nb, B);
    if (!err) {
        size_t L = (size_t)llround(p.kernel_s * RATE / (2.0 * (double)B * f.hop));
        double *feat = NULL, maxdiff = 0.0, lo = 1.0, hi = 0.0, inside = 0.0;
        for (size_t b = 1; b < nb; b++) {
            double d = foote_direct(&f, B, L, b, &feat, nb), nv = (double)nov[b];
            if (fabs(d - nv) > maxdiff) maxdiff = fabs(d - nv);
            if (nv < lo) lo = nv;
            if (nv > hi) hi = nv;
            double tb = (double)(b * B * (size_t)f.hop) / RATE;
            double dist = fabs(tb - sec * floor(tb / sec + 0.5));
            if (dist > p.kernel_s / 2 + 0.3 && tb > p.kernel_s / 2 && tb < 4 * sec - p.kernel_s / 2 && nv > inside)
                inside = nv;
        }
        CS_CHECK(maxdiff < 1e-4, "rank-one novelty vs direct Foote sum: max diff %g", maxdiff);
        CS_CHECK(lo >= 0.0 && hi <= 1.0, "curve in 0..1: [%g, %g]", lo, hi);
        CS_CHECK(inside < 0.1, "novelty inside steady sections %g", inside);
        printf("novelty: peak %.3f, inside-section max %.3f, %zu blocks of %zu frames, L = %zu\n", hi, inside, nb, B,
               L);
        free(feat);
    }
    free(nov);

    /* max_len splitting and min_len: a 30 s max section, 10 s min section */
    cs_novelty_params p2 = p;
    p2.max_len_s = 4.0;
    p2.min_len_s = 2.0;
    CS_CHECK(cs_segment_novelty(&f, n, &p2, &s) == 0, "novelty max_len 4 s");
    CS_CHECK(s.n == 8 && segs_tile(&s, n) && max_len_of(&s) <= 4 * RATE && min_len_of(&s) >= 2 * RATE,
             "6 s sections split in two by max_len 4 s: %zu units", s.n);
    p2 = p;
    p2.min_len_s = 7.0;
    p2.max_len_s = 14.0;
    CS_CHECK(cs_segment_novelty(&f, n, &p2, &s) == 0 && segs_tile(&s, n) && min_len_of(&s) >= 7 * RATE,
             "min_len 7 s respected: %zu units", s.n);

    /* errors */
    p2 = p;
    p2.threshold = 1.5;
    CS_CHECK(cs_segment_novelty(&f, n, &p2, &s) == CS_E_ARG && s.n == 0, "threshold > 1");
    p2 = p;
    p2.block_s = 0.0;
    CS_CHECK(cs_segment_novelty(&f, n, &p2, &s) == CS_E_ARG, "block 0");
    CS_CHECK(cs_segment_novelty(&f, n - (size_t)f.hop, &p, &s) == CS_E_ARG, "frames inconsistent");
    p2 = p;
    p2.min_len_s = 30.0;
    p2.max_len_s = 60.0;
    CS_CHECK(cs_segment_novelty(&f, n, &p2, &s) == CS_E_SHORT, "shorter than min_len");
    float keep = f.data[50 * CS_FF_COUNT + CS_FF_MFCC0 + 3];
    f.data[50 * CS_FF_COUNT + CS_FF_MFCC0 + 3] = NAN;
    CS_CHECK(cs_segment_novelty(&f, n, &p, &s) == CS_E_NONFINITE && s.n == 0, "NaN MFCC");
    f.data[50 * CS_FF_COUNT + CS_FF_MFCC0 + 3] = keep;

    cs_segments_free(&s);
    cs_frames_free(&f);
    free(x);

    /* silence: one section */
    size_t ns = 5 * RATE;
    x = calloc(ns, sizeof *x);
    CS_CHECK(x && analyze(x, ns, RATE, &f) == 0, "silence frames");
    CS_CHECK(cs_segment_novelty(&f, ns, &p, &s) == 0 && s.n == 1 && s.v[0].length == ns, "silence: one section");
    cs_segments_free(&s);
    cs_frames_free(&f);
    free(x);
}

/* A "kB" line of /proc/self/status (Linux), -1 if unavailable. */
static long proc_status_kb(const char *key)
{
    FILE *fp = fopen("/proc/self/status", "r");
    if (!fp) return -1;
    char line[256];
    long v = -1;
    size_t kl = strlen(key);
    while (fgets(line, sizeof line, fp))
        if (strncmp(line, key, kl) == 0 && line[kl] == ':') {
            v = strtol(line + kl + 1, NULL, 10);
            break;
        }
    fclose(fp);
    return v;
}

/* Reset the peak-RSS mark (Linux >= 4.0: "5" > clear_refs resets VmHWM to the current RSS). */
static int reset_peak_rss(void)
{
    FILE *fp = fopen("/proc/self/clear_refs", "w");
    if (!fp) return -1;
    int ok = fputs("5", fp) >= 0;
    return (fclose(fp) == 0 && ok) ? 0 : -1;
}

static long max_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* 20 minutes (at 8 kHz, to keep the analysis cheap), sections every 30 s: linear memory, all boundaries. */
static void test_novelty_long(void)
{
    const int rate = 8000;
    const double sec = 30.0;
    const size_t n = (size_t)20 * 60 * rate;
    float *x = sections_signal(n, rate, sec, 51);
    CS_CHECK(x != NULL, "alloc");
    if (!x) return;
    cs_frames f;
    int err = analyze(x, n, rate, &f);
    CS_CHECK(err == 0, "cs_frames_analyze: %s", cs_strerror(err));
    free(x);
    if (err) return;
    cs_novelty_params p;
    cs_novelty_params_default(&p);
    cs_segments s = {0};
    /* peak memory growth during the call: VmHWM after a reset where Linux allows it (precise), else the
       growth of ru_maxrss (which the larger analysis before may hide) */
    int precise = reset_peak_rss() == 0 && proc_status_kb("VmHWM") >= 0 && proc_status_kb("VmRSS") >= 0;
    long before = precise ? proc_status_kb("VmRSS") : max_rss_kb();
    err = cs_segment_novelty(&f, n, &p, &s);
    long grown = (precise ? proc_status_kb("VmHWM") : max_rss_kb()) - before;
    CS_CHECK(err == 0, "novelty: %s", cs_strerror(err));
    /* an n x n float SSM over these ~9400 blocks would be ~350 MB */
    CS_CHECK(grown < 16 * 1024, "peak memory grew by %ld kB", grown);
    CS_CHECK(s.n == 40 && segs_tile(&s, n), "sections %zu, expected 40", s.n);
    double worst = 0.0;
    for (size_t k = 1; k < s.n && s.n == 40; k++) {
        double e = fabs((double)s.v[k].start / rate - (double)k * sec);
        if (e > worst) worst = e;
    }
    CS_CHECK(worst <= 0.25, "worst boundary error %g s", worst);
    printf("long novelty: %zu frames, %zu sections, worst boundary error %.3f s, peak RSS growth %ld kB (%s)\n",
           f.n_frames, s.n, worst, grown, precise ? "VmHWM reset" : "ru_maxrss");
    cs_segments_free(&s);
    cs_frames_free(&f);
}

int main(void)
{
    test_grain();
    test_onset_clicks();
    test_onset_min_max();
    test_onset_steady();
    test_novelty_sections();
    test_novelty_long();
    CS_TEST_END();
}
