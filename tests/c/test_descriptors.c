/*
 * test_descriptors.c - frame features (cs_frames_analyze) and unit descriptors (cs_describe_unit) on signals
 * whose answer is known analytically: sines (centroid, f0, ZCR = 2f, rolloff, RMS, low flatness), a harmonic
 * tone (f0 of the fundamental), white noise (flatness ~ exp(-gamma), rolloff and centroid of a flat
 * spectrum), silence (finite values, -120 dB, f0 0), a click (flux peak), thread-count independence
 * (bitwise), argument errors, and cs_describe_unit on short units and unit aggregation; streaming: frames of a
 * signal pushed in pieces (cs_frames_stream) equal, frame for frame, those of windows analysed whole, and unit
 * levels summed in pieces (cs_level_add) equal cs_describe_unit's.
 */
#include "cs_describe.h"
#include "cs_error.h"
#include "cs_frames.h"
#include "cs_rng.h"
#include "cs_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SR     48000
#define TWO_PI 6.283185307179586476925286766559

static float *make_sine(size_t n, double f, double amp, int sr)
{
    float *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(amp * sin(TWO_PI * f * (double)i / (double)sr + 0.1));
    return x;
}

static const float *frame(const cs_frames *f, size_t i)
{
    return f->data + i * (size_t)CS_FF_COUNT;
}

/* Interior frames: the STFT window and the YIN segment both inside the signal. */
static void interior(const cs_frames *f, size_t n, size_t *i0, size_t *i1)
{
    size_t margin = 2048;
    *i0 = margin / (size_t)f->hop + 1;
    *i1 = (n - margin) / (size_t)f->hop; /* exclusive */
}

static void test_sine(double freq, int sr)
{
    const size_t n = (size_t)sr; /* 1 s */
    float *x = make_sine(n, freq, 0.5, sr);
    cs_frame_params p;
    cs_frame_params_default(&p, sr);
    cs_frames f;
    int err = cs_frames_analyze(x, n, &p, 2, &f);
    CS_CHECK(err == 0, "analyze sine: %s", cs_strerror(err));
    if (err) {
        free(x);
        return;
    }
    CS_CHECK(f.n_frames == n / 512 + 1 && f.hop == 512 && f.sample_rate == sr, "frame count %zu", f.n_frames);
    size_t i0, i1;
    interior(&f, n, &i0, &i1);
    const double df = (double)sr / 2048.0;
    double zsum = 0.0, csum = 0.0;
    int bad_c = 0, bad_f0 = 0, bad_z = 0, bad_r = 0, bad_fl = 0, bad_rms = 0, bad_pk = 0;
    for (size_t i = i0; i < i1; i++) {
        const float *r = frame(&f, i);
        if (fabs((double)r[CS_FF_CENTROID] - freq) > 0.01 * freq) bad_c++;
        if (fabs((double)r[CS_FF_F0] - freq) > 0.01 * freq || r[CS_FF_F0_CONF] < 0.9f) bad_f0++;
        /* within one crossing of 2f over the 2047 pairs of the frame */
        if (fabs((double)r[CS_FF_ZCR] - 2.0 * freq) > (double)sr / 2047.0 + 1e-3) bad_z++;
        /* 85 % of a sine's energy is in its main lobe: rolloff at the sine's bin or the next */
        if ((double)r[CS_FF_ROLLOFF] < freq - 2.0 * df || (double)r[CS_FF_ROLLOFF] > freq + 2.0 * df) bad_r++;
        if (r[CS_FF_FLATNESS] > 1e-3f) bad_fl++;
        if (fabs((double)r[CS_FF_RMS] - 0.5 / sqrt(2.0)) > 0.01 * 0.5 / sqrt(2.0)) bad_rms++;
        if (fabs((double)r[CS_FF_PEAK] - 0.5) > 0.01) bad_pk++;
        zsum += (double)r[CS_FF_ZCR];
        csum += (double)r[CS_FF_CENTROID];
    }
    const double cnt = (double)(i1 - i0);
    printf("sine %.0f Hz @ %d: centroid %.2f, f0 %.3f (conf %.4f), zcr %.2f, rolloff %.1f, flatness %.3g, "
           "spread %.1f\n",
           freq, sr, csum / cnt, (double)frame(&f, (i0 + i1) / 2)[CS_FF_F0],
           (double)frame(&f, (i0 + i1) / 2)[CS_FF_F0_CONF], zsum / cnt, (double)frame(&f, (i0 + i1) / 2)[CS_FF_ROLLOFF],
           (double)frame(&f, (i0 + i1) / 2)[CS_FF_FLATNESS], (double)frame(&f, (i0 + i1) / 2)[CS_FF_SPREAD]);
    CS_CHECK(bad_c == 0, "sine %g: %d frames with centroid off by > 1 %%", freq, bad_c);
    CS_CHECK(bad_f0 == 0, "sine %g: %d frames with f0 off by > 1 %% or low confidence", freq, bad_f0);
    CS_CHECK(bad_z == 0, "sine %g: %d frames with zcr off by more than a crossing", freq, bad_z);
    CS_CHECK_NEAR(zsum / cnt, 2.0 * freq, 0.01 * 2.0 * freq, "mean zcr = 2 f");
    CS_CHECK(bad_r == 0, "sine %g: %d frames with rolloff off", freq, bad_r);
    CS_CHECK(bad_fl == 0, "sine %g: %d frames with flatness > 1e-3", freq, bad_fl);
    CS_CHECK(bad_rms == 0, "sine %g: %d frames with rms != a/sqrt2", freq, bad_rms);
    CS_CHECK(bad_pk == 0, "sine %g: %d frames with peak != a", freq, bad_pk);

    /* the unit descriptors of the whole interior agree */
    float d[CS_D_COUNT];
    size_t us = i0 * 512, ul = (i1 - i0) * 512;
    err = cs_describe_unit(&f, x, n, us, ul, d);
    CS_CHECK(err == 0, "describe sine: %s", cs_strerror(err));
    CS_CHECK_NEAR(d[CS_D_CENTROID], freq, 0.01 * freq, "unit centroid");
    CS_CHECK_NEAR(d[CS_D_F0], freq, 0.01 * freq, "unit f0");
    CS_CHECK_NEAR(d[CS_D_ZCR], 2.0 * freq, 0.01 * 2.0 * freq, "unit zcr");
    CS_CHECK_NEAR(d[CS_D_LOUDNESS], 20.0 * log10(0.5 / sqrt(2.0)), 0.05, "unit loudness, dB");
    CS_CHECK_NEAR(d[CS_D_PEAK], 20.0 * log10(0.5), 0.05, "unit peak, dB");
    CS_CHECK_NEAR(d[CS_D_LOUDNESS_STD], 0.0, 0.05, "steady sine: loudness std");
    CS_CHECK(d[CS_D_CENTROID_STD] < 0.005f * (float)freq, "steady sine: centroid std %g", (double)d[CS_D_CENTROID_STD]);
    CS_CHECK_NEAR(d[CS_D_DURATION], (double)ul / (double)sr, 1e-6, "duration");
    CS_CHECK(d[CS_D_F0_CONF] > 0.9f, "f0 confidence %g", (double)d[CS_D_F0_CONF]);
    cs_frames_free(&f);
    free(x);
}

static void test_harmonic(void)
{
    const size_t n = SR;
    const double f0 = 220.0;
    float *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++) {
        double t = (double)i / SR, v = 0.0;
        for (int h = 1; h <= 6; h++)
            v += sin(TWO_PI * f0 * h * t + 0.7 * h) / (double)h;
        x[i] = (float)(0.3 * v);
    }
    cs_frame_params p;
    cs_frame_params_default(&p, SR);
    cs_frames f;
    int err = cs_frames_analyze(x, n, &p, 1, &f);
    CS_CHECK(err == 0, "analyze harmonic");
    if (!err) {
        size_t i0, i1;
        interior(&f, n, &i0, &i1);
        int bad = 0;
        for (size_t i = i0; i < i1; i++)
            if (fabs((double)frame(&f, i)[CS_FF_F0] - f0) > 0.01 * f0) bad++;
        CS_CHECK(bad == 0, "harmonic tone: %d frames with f0 off by > 1 %%", bad);
        /* the centroid of 1/h partials lies above the fundamental */
        CS_CHECK(frame(&f, n / 1024)[CS_FF_CENTROID] > (float)f0 * 1.5f, "harmonic centroid");
    }
    cs_frames_free(&f);
    free(x);
}

static void test_noise(void)
{
    const size_t n = 2 * SR;
    float *x = malloc(n * sizeof *x);
    cs_rng rng;
    cs_rng_seed(&rng, 42);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(0.3 * cs_rng_normal(&rng));
    cs_frame_params p;
    cs_frame_params_default(&p, SR);
    cs_frames f;
    int err = cs_frames_analyze(x, n, &p, 2, &f);
    CS_CHECK(err == 0, "analyze noise");
    if (!err) {
        size_t i0, i1;
        interior(&f, n, &i0, &i1);
        double fl = 0.0, ro = 0.0, ce = 0.0, un = 0.0;
        for (size_t i = i0; i < i1; i++) {
            fl += (double)frame(&f, i)[CS_FF_FLATNESS];
            ro += (double)frame(&f, i)[CS_FF_ROLLOFF];
            ce += (double)frame(&f, i)[CS_FF_CENTROID];
            un += frame(&f, i)[CS_FF_F0] == 0.0f;
        }
        const double c = (double)(i1 - i0);
        printf("white noise: flatness %.3f, rolloff %.0f Hz, centroid %.0f Hz, unvoiced %.0f %%\n", fl / c, ro / c,
               ce / c, 100.0 * un / c);
        /* power of a noise bin ~ exponential: E[ln P] = ln E[P] - gamma -> flatness ~ exp(-0.5772) = 0.56 */
        CS_CHECK_NEAR(fl / c, exp(-0.5772156649), 0.05, "noise flatness");
        CS_CHECK_NEAR(ro / c, 0.85 * SR / 2, 0.02 * SR / 2, "noise rolloff = 0.85 Nyquist");
        CS_CHECK_NEAR(ce / c, SR / 4.0, 0.02 * SR / 4.0, "noise centroid = Nyquist / 2");
        /* spread of a flat magnitude spectrum on [0, sr/2]: (sr/2) / sqrt(12) */
        CS_CHECK_NEAR(frame(&f, n / 1024)[CS_FF_SPREAD], SR / 2 / sqrt(12.0), 0.05 * SR / 2 / sqrt(12.0),
                      "noise spread");
        CS_CHECK(un / c > 0.9, "noise is unvoiced in %.0f %% of frames", 100.0 * un / c);
    }
    cs_frames_free(&f);
    free(x);
}

static void test_silence(void)
{
    const size_t n = SR / 2;
    float *x = calloc(n, sizeof *x);
    cs_frame_params p;
    cs_frame_params_default(&p, SR);
    cs_frames f;
    int err = cs_frames_analyze(x, n, &p, 2, &f);
    CS_CHECK(err == 0, "analyze silence");
    if (!err) {
        int finite = 1;
        for (size_t i = 0; i < f.n_frames * CS_FF_COUNT; i++)
            finite &= isfinite(f.data[i]) != 0;
        CS_CHECK(finite, "silence: all frame values finite");
        const float *r = frame(&f, 10);
        CS_CHECK(r[CS_FF_RMS] == 0.0f && r[CS_FF_CENTROID] == 0.0f && r[CS_FF_F0] == 0.0f && r[CS_FF_F0_CONF] == 0.0f &&
                     r[CS_FF_ZCR] == 0.0f && r[CS_FF_FLUX] == 0.0f,
                 "silent frame values");
        CS_CHECK(r[CS_FF_FLATNESS] == 1.0f, "silent flatness is 1 (documented), got %g", (double)r[CS_FF_FLATNESS]);
        CS_CHECK_NEAR(r[CS_FF_MFCC0], sqrt(40.0) * log(1e-10), 1e-3, "silent c0 = sqrt(40) ln(1e-10)");
        CS_CHECK_NEAR(r[CS_FF_MFCC0 + 1], 0.0, 1e-4, "silent c1");
        float d[CS_D_COUNT];
        err = cs_describe_unit(&f, x, n, 1000, 10000, d);
        CS_CHECK(err == 0, "describe silence");
        int dfin = 1;
        for (int q = 0; q < CS_D_COUNT; q++)
            dfin &= isfinite(d[q]) != 0;
        CS_CHECK(dfin, "silence: descriptors finite");
        CS_CHECK(d[CS_D_LOUDNESS] == -120.0f && d[CS_D_PEAK] == -120.0f, "silence: -120 dB (%g, %g)",
                 (double)d[CS_D_LOUDNESS], (double)d[CS_D_PEAK]);
        CS_CHECK(d[CS_D_F0] == 0.0f && d[CS_D_CENTROID] == 0.0f && d[CS_D_FLATNESS] == 1.0f,
                 "silence: f0 0, centroid 0, flatness 1");
    }
    cs_frames_free(&f);
    free(x);
}

/* bitwise identical output for 1, 2 and 3 threads, including ranges that start mid-signal (flux) */
static void test_threads(void)
{
    const size_t n = 3 * SR + 123;
    float *x = malloc(n * sizeof *x);
    cs_rng rng;
    cs_rng_seed(&rng, 7);
    for (size_t i = 0; i < n; i++) {
        double t = (double)i / SR;
        x[i] = (float)(0.2 * sin(TWO_PI * (200.0 + 300.0 * t) * t) + 0.05 * (cs_rng_uniform_double(&rng) - 0.5) +
                       (i % 7000 == 0 ? 0.7 : 0.0));
    }
    cs_frame_params p;
    cs_frame_params_default(&p, SR);
    cs_frames a, b, c;
    int e1 = cs_frames_analyze(x, n, &p, 1, &a);
    int e2 = cs_frames_analyze(x, n, &p, 2, &b);
    int e3 = cs_frames_analyze(x, n, &p, 3, &c);
    CS_CHECK(e1 == 0 && e2 == 0 && e3 == 0, "analyze threads");
    if (!e1 && !e2 && !e3) {
        size_t bytes = a.n_frames * CS_FF_COUNT * sizeof(float);
        CS_CHECK(a.n_frames == b.n_frames && a.n_frames == c.n_frames, "same frame count");
        CS_CHECK(memcmp(a.data, b.data, bytes) == 0, "1 vs 2 threads: bitwise identical");
        CS_CHECK(memcmp(a.data, c.data, bytes) == 0, "1 vs 3 threads: bitwise identical");
        /* and against a fresh run (no state kept between calls) */
        cs_frames d;
        CS_CHECK(cs_frames_analyze(x, n, &p, 2, &d) == 0 && memcmp(a.data, d.data, bytes) == 0, "repeatable");
        cs_frames_free(&d);
    }
    cs_frames_free(&a);
    cs_frames_free(&b);
    cs_frames_free(&c);
    free(x);
}

/* Frame values do not depend on the hop (except peak, flux): hop 512 caches the YIN half spectra (W / hop = 2),
 * hop 2048 > W cannot, hop 300 does not divide W; the frames they share must be bitwise equal. */
static void test_hop_independence(void)
{
    const size_t n = SR + 777;
    float *x = malloc(n * sizeof *x);
    cs_rng rng;
    cs_rng_seed(&rng, 5);
    for (size_t i = 0; i < n; i++) {
        double t = (double)i / SR;
        x[i] = (float)(0.3 * sin(TWO_PI * 150.0 * (1.0 + t) * t) + 0.02 * (cs_rng_uniform_double(&rng) - 0.5));
    }
    cs_frame_params p;
    cs_frame_params_default(&p, SR);
    cs_frames a, b, c;
    p.hop = 512;
    int e1 = cs_frames_analyze(x, n, &p, 2, &a);
    p.hop = 2048;
    int e2 = cs_frames_analyze(x, n, &p, 2, &b);
    p.hop = 300; /* shares the centre 38400 = 75 * 512 = 128 * 300 with hop 512 */
    int e3 = cs_frames_analyze(x, n, &p, 2, &c);
    CS_CHECK(e1 == 0 && e2 == 0 && e3 == 0, "analyze hops");
    if (!e1 && !e2 && !e3) {
        int same = 1, voiced = 0;
        for (size_t k = 0; k < b.n_frames; k++) {
            const float *ra = frame(&a, 4 * k), *rb = frame(&b, k);
            for (int col = CS_FF_RMS; col < CS_FF_COUNT; col++)
                if (col != CS_FF_PEAK && col != CS_FF_FLUX) same &= memcmp(&ra[col], &rb[col], sizeof(float)) == 0;
            voiced += rb[CS_FF_F0] > 0.0f;
        }
        CS_CHECK(same, "hop 512 (cached YIN halves) vs hop 2048 (uncached): shared frames bitwise equal");
        CS_CHECK(voiced > (int)b.n_frames / 2, "the chirp is voiced (%d of %zu frames)", voiced, b.n_frames);
        /* sample 38400 = 75 * 512 = 128 * 300 */
        const float *ra = frame(&a, 75), *rc = frame(&c, 128);
        CS_CHECK(memcmp(&ra[CS_FF_F0], &rc[CS_FF_F0], sizeof(float)) == 0 &&
                     memcmp(&ra[CS_FF_MFCC0], &rc[CS_FF_MFCC0], 13 * sizeof(float)) == 0 &&
                     ra[CS_FF_ZCR] == rc[CS_FF_ZCR],
                 "hop 300 (uncached) vs 512: same frame values");
        cs_frames d;
        p.hop = 300;
        CS_CHECK(cs_frames_analyze(x, n, &p, 1, &d) == 0 &&
                     memcmp(c.data, d.data, c.n_frames * CS_FF_COUNT * sizeof(float)) == 0,
                 "hop 300: 1 vs 2 threads bitwise identical");
        cs_frames_free(&d);
    }
    cs_frames_free(&a);
    cs_frames_free(&b);
    cs_frames_free(&c);
    free(x);
}

/* a click on a quiet steady tone: the flux peaks within a couple of frames before/at the click's frame */
static void test_flux_click(void)
{
    const size_t n = SR;
    const size_t click = 24000 + 100;
    float *x = make_sine(n, 330.0, 0.05, SR);
    x[click] += 0.9f;
    cs_frame_params p;
    cs_frame_params_default(&p, SR);
    cs_frames f;
    int err = cs_frames_analyze(x, n, &p, 2, &f);
    CS_CHECK(err == 0, "analyze click");
    if (!err) {
        size_t i0, i1, best = 0;
        interior(&f, n, &i0, &i1);
        float mx = -1.0f;
        for (size_t i = i0; i < i1; i++)
            if (frame(&f, i)[CS_FF_FLUX] > mx) {
                mx = frame(&f, i)[CS_FF_FLUX];
                best = i;
            }
        const size_t ic = (click + 256) / 512; /* frame whose centre is nearest the click */
        /* median flux of the interior frames */
        size_t m = i1 - i0;
        float *v = malloc(m * sizeof *v);
        for (size_t i = 0; i < m; i++)
            v[i] = frame(&f, i0 + i)[CS_FF_FLUX];
        for (size_t a = 0; a < m; a++) /* insertion sort, m ~ 90 */
            for (size_t b = a; b > 0 && v[b - 1] > v[b]; b--) {
                float t = v[b];
                v[b] = v[b - 1];
                v[b - 1] = t;
            }
        double med = (double)v[m / 2];
        free(v);
        printf("click at frame %zu: flux max %.4f at frame %zu, median %.5f\n", ic, (double)mx, best, med);
        CS_CHECK(best + 2 >= ic && best <= ic, "flux peak at frame %zu, click at %zu", best, ic);
        CS_CHECK((double)mx > 20.0 * med, "flux peak %.4g vs median %.4g", (double)mx, med);
    }
    cs_frames_free(&f);
    free(x);
}

static void test_describe_short(void)
{
    const size_t n = SR / 2;
    cs_rng rng;
    cs_rng_seed(&rng, 99);
    float *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(0.1 * (cs_rng_uniform_double(&rng) - 0.5) * (1.0 + (double)i / (double)n));
    cs_frame_params p;
    cs_frame_params_default(&p, SR);
    cs_frames f;
    int err = cs_frames_analyze(x, n, &p, 1, &f);
    CS_CHECK(err == 0, "analyze short");
    if (err) {
        free(x);
        return;
    }
    float d[CS_D_COUNT];
    /* a unit shorter than a hop with no frame centre inside: [1030, 1130), centres 1024 and 1536 -> frame 2 */
    err = cs_describe_unit(&f, x, n, 1030, 100, d);
    CS_CHECK(err == 0, "describe short unit");
    const float *r2 = frame(&f, 2);
    CS_CHECK(d[CS_D_CENTROID] == r2[CS_FF_CENTROID] && d[CS_D_FLATNESS] == r2[CS_FF_FLATNESS] &&
                 d[CS_D_MFCC0 + 3] == r2[CS_FF_MFCC0 + 3] && d[CS_D_ZCR] == r2[CS_FF_ZCR],
             "short unit takes the nearest frame's values");
    CS_CHECK(d[CS_D_CENTROID_STD] == 0.0f && d[CS_D_LOUDNESS_STD] == 0.0f, "one frame: std 0");
    double ss = 0.0, pk = 0.0;
    for (size_t j = 1030; j < 1130; j++) {
        ss += (double)x[j] * (double)x[j];
        pk = fabs((double)x[j]) > pk ? fabs((double)x[j]) : pk;
    }
    CS_CHECK_NEAR(d[CS_D_LOUDNESS], 20.0 * log10(sqrt(ss / 100.0)), 1e-3, "short unit loudness from its samples");
    CS_CHECK_NEAR(d[CS_D_PEAK], 20.0 * log10(pk), 1e-3, "short unit peak from its samples");
    CS_CHECK_NEAR(d[CS_D_DURATION], 100.0 / SR, 1e-9, "short unit duration");
    /* nearest frame to the middle of [1300, 1400) (mid 1350) is frame 3 (centre 1536) */
    CS_CHECK(cs_describe_unit(&f, x, n, 1300, 100, d) == 0 && d[CS_D_CENTROID] == frame(&f, 3)[CS_FF_CENTROID],
             "short unit nearer the next frame");
    /* a 1-sample unit at the very end, and one at the very start */
    CS_CHECK(cs_describe_unit(&f, x, n, n - 1, 1, d) == 0 &&
                 d[CS_D_CENTROID] == frame(&f, f.n_frames - 1)[CS_FF_CENTROID],
             "last sample -> last frame");
    CS_CHECK(cs_describe_unit(&f, x, n, 0, 1, d) == 0 && d[CS_D_CENTROID] == frame(&f, 0)[CS_FF_CENTROID],
             "first sample -> frame 0");
    /* a unit over frames 4..7 (centres 2048..3584 in [2000, 3600)): the mean and std of those frames */
    CS_CHECK(cs_describe_unit(&f, x, n, 2000, 1600, d) == 0, "describe 4 frames");
    double m = 0.0, m2 = 0.0, mf = 0.0;
    for (size_t i = 4; i <= 7; i++) {
        m += (double)frame(&f, i)[CS_FF_CENTROID] / 4.0;
        m2 += (double)frame(&f, i)[CS_FF_CENTROID] * (double)frame(&f, i)[CS_FF_CENTROID] / 4.0;
        mf += (double)frame(&f, i)[CS_FF_MFCC0 + 1] / 4.0;
    }
    CS_CHECK_NEAR(d[CS_D_CENTROID], m, 1e-3 * m, "mean centroid of frames 4..7");
    CS_CHECK_NEAR(d[CS_D_CENTROID_STD], sqrt(m2 - m * m), 1e-2 * sqrt(m2 - m * m) + 1e-3, "centroid std");
    CS_CHECK_NEAR(d[CS_D_MFCC0 + 1], mf, 1e-4 * fabs(mf) + 1e-5, "mean mfcc1");
    /* errors */
    CS_CHECK(cs_describe_unit(&f, x, n, n - 10, 11, d) == CS_E_ARG, "unit past the end");
    CS_CHECK(cs_describe_unit(&f, x, n, 10, 0, d) == CS_E_ARG, "empty unit");
    CS_CHECK(cs_describe_unit(NULL, x, n, 10, 10, d) == CS_E_ARG, "NULL frames");
    cs_frames_free(&f);
    free(x);
}

static void test_args(void)
{
    float x[4096];
    for (int i = 0; i < 4096; i++)
        x[i] = (float)sin(0.05 * i);
    cs_frame_params p;
    cs_frames f;
    cs_frame_params_default(&p, SR);
    CS_CHECK(cs_frames_analyze(x, 4096, &p, 0, &f) == CS_E_ARG && f.data == NULL, "0 threads");
    CS_CHECK(cs_frames_analyze(x, 0, &p, 1, &f) == CS_E_EMPTY, "no samples");
    CS_CHECK(cs_frames_analyze(NULL, 10, &p, 1, &f) == CS_E_ARG, "NULL x");
    p.fft_size = 1000;
    CS_CHECK(cs_frames_analyze(x, 4096, &p, 1, &f) == CS_E_ARG, "fft size not a power of two");
    cs_frame_params_default(&p, SR);
    p.hop = 0;
    CS_CHECK(cs_frames_analyze(x, 4096, &p, 1, &f) == CS_E_ARG, "hop 0");
    cs_frame_params_default(&p, SR);
    p.mel_fmax = 30000.0;
    CS_CHECK(cs_frames_analyze(x, 4096, &p, 1, &f) == CS_E_ARG, "mel fmax above Nyquist");
    cs_frame_params_default(&p, SR);
    p.f0_min = 1.0;
    CS_CHECK(cs_frames_analyze(x, 4096, &p, 1, &f) == CS_E_ARG, "f0_min too low (lag > 16384)");
    cs_frame_params_default(&p, SR);
    x[100] = NAN;
    CS_CHECK(cs_frames_analyze(x, 4096, &p, 1, &f) == CS_E_NONFINITE, "NaN sample");
    x[100] = 0.0f;
    /* tiny input: one sample, more threads than frames */
    CS_CHECK(cs_frames_analyze(x, 1, &p, 8, &f) == 0 && f.n_frames == 1, "one sample");
    int fin = 1;
    for (int c = 0; c < CS_FF_COUNT; c++)
        fin &= isfinite(f.data[c]) != 0;
    CS_CHECK(fin, "one sample: finite");
    cs_frames_free(&f);
    cs_frames_free(&f); /* safe twice */
    /* small FFT, many mel bands: some triangles are narrower than a bin (empty bands, floored): finite */
    {
        float *y = make_sine(8000, 440.0, 0.5, SR);
        cs_frame_params_default(&p, SR);
        p.fft_size = 256;
        p.hop = 64;
        p.n_mels = 128;
        int err = cs_frames_analyze(y, 8000, &p, 2, &f);
        CS_CHECK(err == 0, "fft 256, 128 mels: %s", cs_strerror(err));
        int ok = err == 0;
        for (size_t i = 0; ok && i < f.n_frames * CS_FF_COUNT; i++)
            ok &= isfinite(f.data[i]) != 0;
        CS_CHECK(ok, "fft 256, 128 mels: finite");
        cs_frames_free(&f);
        free(y);
    }
    /* other rates and sizes run and give a sensible f0 */
    int rates[] = {8000, 22050, 44100, 96000};
    for (int k = 0; k < 4; k++) {
        int sr = rates[k];
        size_t n = (size_t)sr / 2;
        float *y = make_sine(n, 300.0, 0.5, sr);
        cs_frame_params_default(&p, sr);
        if (sr == 8000) p.fft_size = 512, p.hop = 128;
        int err = cs_frames_analyze(y, n, &p, 2, &f);
        CS_CHECK(err == 0, "rate %d: %s", sr, cs_strerror(err));
        if (!err) {
            const float *r = frame(&f, f.n_frames / 2);
            CS_CHECK_NEAR(r[CS_FF_F0], 300.0, 3.0, "f0 at other rates");
            CS_CHECK_NEAR(r[CS_FF_CENTROID], 300.0, 3.0, "centroid at other rates");
        }
        cs_frames_free(&f);
        free(y);
    }
}

static void test_names(void)
{
    int ok = 1;
    for (int d = 0; d < CS_D_COUNT; d++) {
        ok &= cs_descriptor_name(d) != NULL && cs_descriptor_unit(d) != NULL;
        for (int e = 0; e < d; e++)
            ok &= strcmp(cs_descriptor_name(d), cs_descriptor_name(e)) != 0;
    }
    CS_CHECK(ok, "every descriptor has a unique name and a unit");
    CS_CHECK(strcmp(cs_descriptor_name(CS_D_MFCC0), "mfcc0") == 0 && strcmp(cs_descriptor_name(CS_D_F0), "f0") == 0 &&
                 strcmp(cs_descriptor_name(CS_D_DURATION), "duration") == 0 &&
                 strcmp(cs_descriptor_name(CS_D_MFCC0 + 12), "mfcc12") == 0,
             "names");
    CS_CHECK(strcmp(cs_descriptor_unit(CS_D_LOUDNESS), "dB") == 0 && strcmp(cs_descriptor_unit(CS_D_ZCR), "Hz") == 0 &&
                 strcmp(cs_descriptor_unit(CS_D_DURATION), "s") == 0 &&
                 strcmp(cs_descriptor_unit(CS_D_FLATNESS), "") == 0,
             "units");
    CS_CHECK(cs_descriptor_name(-1) == NULL && cs_descriptor_name(CS_D_COUNT) == NULL &&
                 cs_descriptor_unit(CS_D_COUNT) == NULL,
             "out of range -> NULL");
}

/* A 3M-sample signal (several of the stream's 1M-sample batches) pushed in pseudo-random pieces with 3 threads;
 * reference: windows of it analysed whole in one call (one batch, the whole window held). A window starting at
 * a multiple of the hop has the same frames as the signal, shifted, wherever a frame's samples (and its previous
 * frame's, for the flux) lie inside the window; the windows cover every batch boundary. */
static void test_stream_pieces(void)
{
    const size_t n = 3000000;
    float *x = malloc(n * sizeof *x);
    cs_rng r;
    cs_rng_seed(&r, 7);
    for (size_t i = 0; i < n; i++) {
        double t = (double)i / SR;
        x[i] = (float)(0.3 * sin(TWO_PI * (200.0 + 30.0 * t) * t) * (0.6 + 0.4 * sin(t * 3.0)) +
                       0.05 * (cs_rng_uniform_double(&r) * 2.0 - 1.0));
    }
    cs_frame_params p;
    cs_frame_params_default(&p, SR);
    p.fft_size = 4096;
    p.hop = 300; /* does not divide the YIN window: the uncached YIN path */
    p.f0_min = 40.0;
    cs_frames_stream *st = NULL;
    int err = cs_frames_stream_new(&p, 3, &st);
    CS_CHECK(err == 0, "stream new: %s", cs_strerror(err));
    size_t at = 0;
    while (err == 0 && at < n) {
        size_t k = 1 + (size_t)(cs_rng_uniform_double(&r) * 250000.0);
        if (k > n - at) k = n - at;
        err = cs_frames_stream_push(st, x + at, k);
        at += k;
    }
    cs_frames full;
    memset(&full, 0, sizeof full);
    if (err == 0) err = cs_frames_stream_finish(st, &full);
    CS_CHECK(err == 0 && full.n_frames == n / 300 + 1, "stream: %s, %zu frames", cs_strerror(err), full.n_frames);
    CS_CHECK(cs_frames_stream_push(st, x, 1) != 0, "no samples after finish");
    cs_frames_stream_free(st);
    const size_t L = 600000, ctx = 4096, hop = 300;
    size_t compared = 0, differ = 0;
    for (size_t s0 = 0; err == 0 && s0 + L <= n; s0 += 300 * 1500) {
        cs_frames w;
        int e = cs_frames_analyze(x + s0, L, &p, 1, &w);
        CS_CHECK(e == 0, "window at %zu: %s", s0, cs_strerror(e));
        if (e) break;
        for (size_t j = 1; j < w.n_frames; j++) {
            if (s0 > 0 && (j - 1) * hop < ctx) continue; /* its previous frame reaches before the window */
            if (j * hop + ctx > L) break;                /* reaches past the window */
            compared++;
            if (memcmp(frame(&w, j), frame(&full, s0 / hop + j), CS_FF_COUNT * sizeof(float)) != 0) differ++;
        }
        cs_frames_free(&w);
    }
    CS_CHECK(compared > 8000 && differ == 0, "stream vs windows: %zu of %zu frames differ", differ, compared);
    /* and the whole signal in one call (one push) equals the pieces */
    cs_frames one;
    err = cs_frames_analyze(x, n, &p, 2, &one);
    CS_CHECK(err == 0 && one.n_frames == full.n_frames &&
                 memcmp(one.data, full.data, full.n_frames * CS_FF_COUNT * sizeof(float)) == 0,
             "one push equals the pieces");
    /* unit levels summed in pieces equal cs_describe_unit's */
    const size_t us = 123457, ul = 48003;
    float da[CS_D_COUNT], db[CS_D_COUNT];
    cs_level lv;
    memset(&lv, 0, sizeof lv);
    for (size_t a = 0; a < ul;) {
        size_t b = a + 1 + (a * 7919) % 5003;
        if (b > ul) b = ul;
        cs_level_add(&lv, x + us + a, a, b, ul);
        a = b;
    }
    int e1 = cs_describe_unit(&full, x, n, us, ul, da), e2 = cs_describe_unit_level(&full, us, ul, &lv, db);
    CS_CHECK(e1 == 0 && e2 == 0 && memcmp(da, db, sizeof da) == 0, "levels in pieces equal one pass");
    cs_frames_free(&one);
    cs_frames_free(&full);
    free(x);
}

int main(void)
{
    test_sine(440.0, SR);
    test_sine(1000.0, SR);
    test_sine(440.0, 44100);
    test_harmonic();
    test_noise();
    test_silence();
    test_threads();
    test_hop_independence();
    test_flux_click();
    test_describe_short();
    test_args();
    test_names();
    test_stream_pieces();
    CS_TEST_END();
}
