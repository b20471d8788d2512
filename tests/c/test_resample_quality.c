/*
 * test_resample_quality.c - the resamplers of `concatseq analyze` measured on sweeps, through the reader analyze
 * uses (cs_audio_open / cs_audio_next): a 20 s linear sine sweep (amplitude 0.5) written as a float WAV, read
 * at another rate, and the output's energy in Hann windows of 8192 samples compared with the ideal sine's at the
 * window's instantaneous frequency f:
 *  - passband ripple: max - min of the gain (dB) over the windows with 200 Hz <= f <= 19 kHz (the band every
 *    converter compared claims: libsamplerate's sinc medium passes 90 % of the Nyquist, SOXR_HQ 91.3 %), for
 *    48 -> 44.1 kHz and 44.1 -> 48 kHz (the lincity-ng case);
 *  - stopband rejection: 48 -> 44.1 kHz, windows with 22.5 kHz <= f <= 23.2 kHz (above the output's Nyquist,
 *    22.05 kHz; what comes out is aliasing): -gain in dB, the worst window.
 * Checks: the default (soxr-hq) is at least as good as libsamplerate's sinc medium (the former default) on both,
 * and meets its own specification (ripple < 0.01 dB, rejection > 100 dB); a source at the corpus rate passes
 * through bitwise (no resampling). Prints the figures (quoted in corpus-tools/DESCRIPTORS.md).
 */
#include "cs_audio.h"
#include "cs_bundle.h"
#include "cs_error.h"
#include "cs_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SWEEP_S 20.0
#define F0      20.0
#define F1      23900.0 /* below 24 kHz: the 48 kHz sweep stays under its own Nyquist */
#define AMP     0.5
#define WIN     8192
#define TWO_PI  6.283185307179586

static double sweep_f(double t)
{
    return F0 + (F1 - F0) * t / SWEEP_S;
}

/* The sweep at `rate`, faded out below 0.98 of the Nyquist (so that the 44.1 kHz one is a valid signal). */
static float *make_sweep(int rate, size_t *n)
{
    *n = (size_t)(SWEEP_S * rate);
    float *x = malloc(*n * sizeof *x);
    const double top = 0.98 * rate / 2.0;
    double ph = 0.0;
    for (size_t i = 0; i < *n; i++) {
        double f = sweep_f((double)i / rate);
        double g = f < top - 300.0 ? 1.0 : f < top ? 0.5 + 0.5 * cos(TWO_PI * 0.5 * (f - top + 300.0) / 300.0) : 0.0;
        x[i] = (float)(AMP * g * sin(ph)); /* faded out over 300 Hz: no click to alias */
        ph += TWO_PI * f / rate;
        if (ph > TWO_PI) ph -= TWO_PI;
    }
    return x;
}

/* Read `path` at `rate` with `resampler`: all its frames (malloc'd) or NULL. */
static float *read_all(const char *path, int rate, int resampler, size_t *n)
{
    cs_audio_reader r;
    cs_audio info;
    if (cs_audio_open(path, rate, 1, resampler, &r, &info) != 0) return NULL;
    size_t cap = 1 << 20, len = 0;
    float *y = malloc(cap * sizeof *y);
    const float *blk;
    size_t got;
    int rc;
    while ((rc = cs_audio_next(&r, &blk, &got)) == 0 && got > 0) {
        if (len + got > cap) {
            cap = 2 * (len + got);
            y = realloc(y, cap * sizeof *y);
        }
        memcpy(y + len, blk, got * sizeof *y);
        len += got;
    }
    cs_audio_close(&r);
    *n = len;
    if (rc) {
        free(y);
        return NULL;
    }
    return y;
}

typedef struct figures {
    double ripple_db, rejection_db;
} figures;

/* Gain in dB of the window centred at output sample c: its Hann-weighted energy over the ideal sine's. */
static double window_gain(const float *y, size_t c)
{
    double e = 0.0, w2 = 0.0;
    for (size_t k = 0; k < WIN; k++) {
        double w = 0.5 - 0.5 * cos(TWO_PI * (double)k / WIN);
        double v = y[c - WIN / 2 + k];
        e += w * v * v;
        w2 += w;
    }
    return 10.0 * log10(e / (w2 * AMP * AMP / 2.0) + 1e-300);
}

/* Sweep at `in_rate` read at `out_rate`: ripple over 200 Hz..19 kHz; rejection over 22.5..23.2 kHz if any. */
static figures measure(const char *dir, int in_rate, int out_rate, int resampler)
{
    figures fg = {NAN, NAN};
    char path[512], err[256];
    snprintf(path, sizeof path, "%s/sweep%d.wav", dir, in_rate);
    size_t n;
    float *x = make_sweep(in_rate, &n);
    if (access(path, F_OK) != 0 && cs_write_float_wav(path, x, n, 1, in_rate, err, sizeof err) != 0) {
        free(x);
        return fg;
    }
    free(x);
    size_t m;
    float *y = read_all(path, out_rate, resampler, &m);
    if (!y) return fg;
    double lo = 1e9, hi = -1e9, worst = 1e9;
    for (size_t c = WIN; c + WIN < m; c += WIN / 4) {
        double f = sweep_f((double)c / out_rate), g = window_gain(y, c);
        if (f >= 200.0 && f <= 19000.0) {
            if (g < lo) lo = g;
            if (g > hi) hi = g;
        }
        if (in_rate > out_rate && f >= 22500.0 && f <= 23200.0 && -g < worst) worst = -g;
    }
    free(y);
    fg.ripple_db = hi - lo;
    fg.rejection_db = worst;
    return fg;
}

/* A source at the corpus rate is passed through: the same floats, not resampled. */
static void test_passthrough(const char *dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s/sweep48000.wav", dir);
    size_t n, m;
    float *x = make_sweep(48000, &n);
    float *y = read_all(path, 48000, CS_RESAMPLER_DEFAULT, &m);
    CS_CHECK(y && m == n && memcmp(x, y, n * sizeof *x) == 0, "48 kHz read at 48 kHz: %zu of %zu frames, bitwise",
             y ? m : 0, n);
    free(x);
    free(y);
}

int main(void)
{
    char dir[] = "/tmp/cs_resample_XXXXXX";
    if (!mkdtemp(dir)) return 77;
    figures f[CS_RESAMPLER_COUNT][2];
    const int which[] = {CS_RS_SRC_BEST, CS_RS_SRC_MEDIUM, CS_RS_SOXR_HQ, CS_RS_SOXR_VHQ};
    for (size_t i = 0; i < sizeof which / sizeof which[0]; i++) {
        int rs = which[i];
        f[rs][0] = measure(dir, 48000, 44100, rs);
        f[rs][1] = measure(dir, 44100, 48000, rs);
        printf("%-11s 48->44.1 kHz: ripple %.5f dB, rejection %.1f dB | 44.1->48 kHz: ripple %.5f dB\n",
               cs_resampler_names[rs], f[rs][0].ripple_db, f[rs][0].rejection_db, f[rs][1].ripple_db);
        CS_CHECK(isfinite(f[rs][0].ripple_db) && isfinite(f[rs][0].rejection_db) && isfinite(f[rs][1].ripple_db),
                 "%s measured", cs_resampler_names[rs]);
    }
    const figures *d = f[CS_RESAMPLER_DEFAULT], *med = f[CS_RS_SRC_MEDIUM];
    CS_CHECK(d[0].ripple_db <= med[0].ripple_db && d[1].ripple_db <= med[1].ripple_db,
             "default ripple %.5f / %.5f dB vs sinc medium %.5f / %.5f", d[0].ripple_db, d[1].ripple_db,
             med[0].ripple_db, med[1].ripple_db);
    CS_CHECK(d[0].rejection_db >= med[0].rejection_db, "default rejection %.1f dB vs sinc medium %.1f",
             d[0].rejection_db, med[0].rejection_db);
    CS_CHECK(d[0].ripple_db < 0.01 && d[1].ripple_db < 0.01, "default ripple %.5f / %.5f dB", d[0].ripple_db,
             d[1].ripple_db);
    CS_CHECK(d[0].rejection_db > 100.0, "default rejection %.1f dB", d[0].rejection_db);
    test_passthrough(dir);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    CS_TEST_END();
}
