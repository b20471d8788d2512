/*
 * cs_frames.c - descriptor frames: STFT (FFTW3 single precision), spectral shape, flux, zero crossings,
 * YIN f0 and MFCCs. The definitions (formulas, constants, references) are in corpus-tools/DESCRIPTORS.md;
 * this file follows it line by line, and tests/scripts/mfcc_reference.py re-implements it independently.
 *
 * Layout of the work:
 *   - shared, read-only tables built once per call: Hann window, sparse Slaney mel filterbank, DCT-II
 *     matrix, FFTW plans (planned with FFTW_ESTIMATE under cs_fftw_lock, executed with the new-array API);
 *   - per-thread buffers (fftwf_malloc, so every buffer has FFTW's alignment and every thread runs the same
 *     codelets on the same data: results are bitwise independent of the thread count);
 *   - frames split into contiguous ranges, one per thread. Every frame depends only on the input except
 *     the flux, which needs the previous frame's log-magnitudes: a thread recomputes them at its range start
 *     with the very same code, so the numbers are the same as in a single-threaded run.
 * Per frame: one r2c FFT of fft_size for the spectrum; for YIN one r2c of a new half segment (the other half
 * is cached from an earlier frame) and one c2r, both of size 2 * yin window.
 */
#include "cs_frames.h"

#include "cs_error.h"

#include <fftw3.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CS_FR_N_MFCC         CS_FRAME_NUM_MFCC
#define CS_FR_FLUX_LAMBDA    1000.0 /* flux compression: ln(1 + lambda * amplitude) */
#define CS_FR_POWER_FLOOR    1e-10  /* floor of |X_k|^2 in the flatness, raw FFT units */
#define CS_FR_MEL_FLOOR      1e-10  /* floor of the mel energies before the log, raw FFT units */
#define CS_FR_SILENT_RMS     1e-7   /* windowed RMS below this (-140 dBFS): centroid, spread, rolloff = 0 */
#define CS_FR_YIN_SILENT_RMS 1e-7   /* YIN segment RMS below this: unvoiced, confidence 0 */
#define CS_FR_MAX_SAMPLE     1e12f  /* larger |x| is rejected (keeps |X_k|^2 inside float range) */
#define CS_FR_MAX_LAG        16384  /* largest YIN lag (sample_rate / f0_min), bounds the YIN buffers */

/* ------------------------------------------------------------------ FFTW planner lock */

static pthread_mutex_t cs_fftw_mutex = PTHREAD_MUTEX_INITIALIZER;

void cs_fftw_lock(void)
{
    pthread_mutex_lock(&cs_fftw_mutex);
}

void cs_fftw_unlock(void)
{
    pthread_mutex_unlock(&cs_fftw_mutex);
}

/* ------------------------------------------------------------------ parameters */

void cs_frame_params_default(cs_frame_params *p, int sample_rate)
{
    if (!p) return;
    p->sample_rate = sample_rate;
    p->fft_size = 2048;
    p->hop = 512;
    p->n_mels = 40;
    p->mel_fmin = 20.0;
    double nyq = sample_rate > 0 ? 0.5 * (double)sample_rate : 0.0;
    p->mel_fmax = nyq < 16000.0 ? nyq : 16000.0;
    p->rolloff = 0.85;
    p->yin_threshold = 0.15;
    p->f0_min = 50.0;
    double q = sample_rate > 0 ? 0.25 * (double)sample_rate : 0.0;
    p->f0_max = q < 2000.0 ? q : 2000.0;
}

static int is_pow2(int v)
{
    return v > 0 && (v & (v - 1)) == 0;
}

static int params_ok(const cs_frame_params *p)
{
    if (p->sample_rate <= 0 || p->sample_rate > 1000000) return 0;
    if (!is_pow2(p->fft_size) || p->fft_size < 256 || p->fft_size > 16384) return 0;
    if (p->hop < 1 || p->hop > p->fft_size) return 0;
    if (p->n_mels < CS_FR_N_MFCC || p->n_mels > 512) return 0;
    const double nyq = 0.5 * (double)p->sample_rate;
    if (!isfinite(p->mel_fmin) || !isfinite(p->mel_fmax)) return 0;
    if (p->mel_fmin < 0.0 || p->mel_fmax <= p->mel_fmin || p->mel_fmax > nyq) return 0;
    if (!isfinite(p->rolloff) || p->rolloff <= 0.0 || p->rolloff > 1.0) return 0;
    if (!isfinite(p->yin_threshold) || p->yin_threshold <= 0.0 || p->yin_threshold >= 1.0) return 0;
    if (!isfinite(p->f0_min) || !isfinite(p->f0_max)) return 0;
    if (p->f0_min <= 0.0 || p->f0_max <= p->f0_min || p->f0_max > nyq) return 0;
    if ((double)p->sample_rate / p->f0_min > (double)CS_FR_MAX_LAG) return 0;
    return 1;
}

/* ------------------------------------------------------------------ mel scale (Slaney, Auditory Toolbox) */

/* Slaney mel: linear below 1 kHz (3 mel per 200 Hz), logarithmic above (27 mel per factor 6.4). */
static double hz_to_mel(double f)
{
    const double f_sp = 200.0 / 3.0, logstep = log(6.4) / 27.0;
    if (f < 1000.0) return f / f_sp;
    return 15.0 + log(f / 1000.0) / logstep;
}

static double mel_to_hz(double m)
{
    const double f_sp = 200.0 / 3.0, logstep = log(6.4) / 27.0;
    if (m < 15.0) return m * f_sp;
    return 1000.0 * exp(logstep * (m - 15.0));
}

/* ------------------------------------------------------------------ shared state */

typedef struct fr_shared {
    const float *buf; /* the samples held: signal samples [x0, x0 + held) (all of them for a whole-signal call) */
    ptrdiff_t x0;
    size_t n; /* signal length; while streaming (length unknown), PTRDIFF_MAX / 4: only frames whose context is held
               * are computed then, and those never reach the end */
    size_t n_frames;
    cs_frame_params p;
    int N, K, hop;     /* fft size, bins (N/2+1), hop */
    float *window;     /* (N) periodic Hann */
    double win_sum;    /* sum of the window */
    double win_sq_sum; /* sum of the squared window */
    float flux_gain;   /* lambda * 2 / win_sum: |X_k| -> lambda * amplitude */
    /* sparse mel filterbank: band m covers bins [mel_first[m], mel_first[m] + mel_count[m]) with weights
     * mel_w[mel_off[m] ...] */
    int n_mels;
    int *mel_first, *mel_count, *mel_off;
    double *mel_w;
    double *dct; /* (CS_FR_N_MFCC, n_mels) orthonormal DCT-II rows */
    /* YIN */
    int yin_W;      /* integration window, samples (power of two > tau_max) */
    int yin_M;      /* FFT size 2 * yin_W */
    int yin_q;      /* W / hop when hop divides W and W / hop <= 8 (half spectra are cached), else 0 */
    int yin_R;      /* slots of the half-spectrum cache: q + 1, or 2 without caching */
    int yin_stride; /* complex values per cache slot (M/2+1 rounded up to 4: keeps FFTW's alignment) */
    int tau_min, tau_max;
    fftwf_plan plan_spec, plan_yin_fwd, plan_yin_inv;
    float *out; /* (n_frames, CS_FF_COUNT) */
} fr_shared;

typedef struct fr_work {
    float *frame;         /* (N) windowed frame, fftwf_malloc */
    fftwf_complex *spec;  /* (K) */
    float *power;         /* (K) |X_k|^2 */
    float *mag;           /* (K) |X_k| */
    float *lm_prev;       /* (K) ln(1 + lambda A_k) of the previous frame */
    float *lm_cur;        /* (K) of this frame */
    double *blk;          /* (K/8 + 1) power sums of 8-bin blocks (rolloff search) */
    float *ya;            /* (M) YIN segment x[c - W .. c + W) */
    float *yb;            /* (M) one half (W samples) of a segment, zero-padded to M */
    fftwf_complex *yring; /* (R, stride) spectra of segment halves, keyed by their first sample */
    double *yring_e;      /* (R) energy sum a_j^2 of each cached half */
    ptrdiff_t *yring_tag; /* (R) first sample of the cached half; PTRDIFF_MIN when empty */
    fftwf_complex *YC;    /* (M/2+1) cross-spectrum */
    float *yr;            /* (M) cross-correlation r(tau) * M */
    double *yd;           /* (tau_max+2) difference function d(tau) */
    double *ycum;         /* (tau_max+2) sum_{j=1}^{tau} d(j) */
    double *mel_e;        /* (n_mels) log mel energies */
    /* sliding zero-crossing count: crossings of the pairs (j, j+1), zc_a <= j < zc_b; zc_b < 0: none yet */
    ptrdiff_t zc_a, zc_b;
    long zc_count;
} fr_work;

static void work_free(fr_work *w)
{
    fftwf_free(w->frame);
    fftwf_free(w->spec);
    fftwf_free(w->power);
    fftwf_free(w->mag);
    fftwf_free(w->lm_prev);
    fftwf_free(w->lm_cur);
    fftwf_free(w->ya);
    fftwf_free(w->yb);
    fftwf_free(w->yring);
    fftwf_free(w->yring_e);
    fftwf_free(w->yring_tag);
    fftwf_free(w->YC);
    fftwf_free(w->yr);
    fftwf_free(w->blk);
    fftwf_free(w->yd);
    fftwf_free(w->ycum);
    fftwf_free(w->mel_e);
    memset(w, 0, sizeof *w);
}

static int work_alloc(fr_work *w, const fr_shared *s)
{
    memset(w, 0, sizeof *w);
    const size_t N = (size_t)s->N, K = (size_t)s->K, M = (size_t)s->yin_M;
    const size_t nt = (size_t)s->tau_max + 2;
    w->frame = fftwf_malloc(N * sizeof(float));
    w->spec = fftwf_malloc(K * sizeof(fftwf_complex));
    w->power = fftwf_malloc(K * sizeof(float));
    w->mag = fftwf_malloc(K * sizeof(float));
    w->lm_prev = fftwf_malloc(K * sizeof(float));
    w->lm_cur = fftwf_malloc(K * sizeof(float));
    const size_t R = (size_t)s->yin_R;
    w->ya = fftwf_malloc(M * sizeof(float));
    w->yb = fftwf_malloc(M * sizeof(float));
    w->yring = fftwf_malloc(R * (size_t)s->yin_stride * sizeof(fftwf_complex));
    w->yring_e = fftwf_malloc(R * sizeof(double));
    w->yring_tag = fftwf_malloc(R * sizeof(ptrdiff_t));
    w->YC = fftwf_malloc((M / 2 + 1) * sizeof(fftwf_complex));
    w->yr = fftwf_malloc(M * sizeof(float));
    w->blk = fftwf_malloc((K / 8 + 1) * sizeof(double));
    w->yd = fftwf_malloc(nt * sizeof(double));
    w->ycum = fftwf_malloc(nt * sizeof(double));
    w->mel_e = fftwf_malloc((size_t)s->n_mels * sizeof(double));
    if (!w->frame || !w->spec || !w->power || !w->mag || !w->lm_prev || !w->lm_cur || !w->ya || !w->yb || !w->yring ||
        !w->yring_e || !w->yring_tag || !w->YC || !w->yr || !w->blk || !w->yd || !w->ycum || !w->mel_e) {
        work_free(w);
        return CS_E_NOMEM;
    }
    /* the zero padding of the YIN buffers is written once and never touched again */
    memset(w->ya, 0, M * sizeof(float));
    memset(w->yb, 0, M * sizeof(float));
    for (size_t r = 0; r < R; r++)
        w->yring_tag[r] = PTRDIFF_MIN;
    w->zc_a = 0;
    w->zc_b = -1;
    return 0;
}

static void shared_free(fr_shared *s)
{
    if (s->plan_spec || s->plan_yin_fwd || s->plan_yin_inv) {
        cs_fftw_lock();
        if (s->plan_spec) fftwf_destroy_plan(s->plan_spec);
        if (s->plan_yin_fwd) fftwf_destroy_plan(s->plan_yin_fwd);
        if (s->plan_yin_inv) fftwf_destroy_plan(s->plan_yin_inv);
        cs_fftw_unlock();
    }
    free(s->window);
    free(s->mel_first);
    free(s->mel_count);
    free(s->mel_off);
    free(s->mel_w);
    free(s->dct);
    s->plan_spec = s->plan_yin_fwd = s->plan_yin_inv = NULL;
    s->window = NULL;
    s->mel_first = s->mel_count = s->mel_off = NULL;
    s->mel_w = s->dct = NULL;
}

/* Sparse Slaney filterbank with area normalisation (2 / (f_{m+2} - f_m)), as in DESCRIPTORS.md. */
static int build_mel(fr_shared *s)
{
    const int M = s->n_mels, K = s->K;
    const double sr = (double)s->p.sample_rate;
    double *fp = malloc((size_t)(M + 2) * sizeof *fp);
    s->mel_first = malloc((size_t)M * sizeof(int));
    s->mel_count = malloc((size_t)M * sizeof(int));
    s->mel_off = malloc((size_t)M * sizeof(int));
    if (!fp || !s->mel_first || !s->mel_count || !s->mel_off) {
        free(fp);
        return CS_E_NOMEM;
    }
    const double m_lo = hz_to_mel(s->p.mel_fmin), m_hi = hz_to_mel(s->p.mel_fmax);
    for (int i = 0; i < M + 2; i++)
        fp[i] = mel_to_hz(m_lo + (m_hi - m_lo) * (double)i / (double)(M + 1));
    /* first pass: the non-zero bin range of each triangle */
    int total = 0;
    for (int m = 0; m < M; m++) {
        int first = -1, last = -2;
        for (int k = 0; k < K; k++) {
            double f = (double)k * sr / (double)s->N;
            if (f > fp[m] && f < fp[m + 2]) {
                if (first < 0) first = k;
                last = k;
            }
        }
        if (first < 0) { /* a band narrower than a bin: empty, its energy is 0 (then floored) */
            first = 0;
            last = -1;
        }
        s->mel_first[m] = first;
        s->mel_count[m] = last - first + 1;
        s->mel_off[m] = total;
        total += s->mel_count[m];
    }
    s->mel_w = malloc((size_t)(total > 0 ? total : 1) * sizeof(double));
    if (!s->mel_w) {
        free(fp);
        return CS_E_NOMEM;
    }
    for (int m = 0; m < M; m++) {
        const double lo = fp[m], c = fp[m + 1], hi = fp[m + 2];
        const double enorm = 2.0 / (hi - lo);
        for (int j = 0; j < s->mel_count[m]; j++) {
            double f = (double)(s->mel_first[m] + j) * sr / (double)s->N;
            double up = (f - lo) / (c - lo), down = (hi - f) / (hi - c);
            double t = up < down ? up : down;
            s->mel_w[s->mel_off[m] + j] = (t > 0.0 ? t : 0.0) * enorm;
        }
    }
    free(fp);
    return 0;
}

static int build_shared(fr_shared *s, const cs_frame_params *p)
{
    memset(s, 0, sizeof *s);
    s->n = (size_t)(PTRDIFF_MAX / 4); /* "unknown": far beyond any sample held, and no overflow in n - start */
    s->p = *p;
    s->N = p->fft_size;
    s->K = p->fft_size / 2 + 1;
    s->hop = p->hop;
    s->n_mels = p->n_mels;

    s->window = malloc((size_t)s->N * sizeof(float));
    s->dct = malloc((size_t)CS_FR_N_MFCC * (size_t)s->n_mels * sizeof(double));
    if (!s->window || !s->dct) return CS_E_NOMEM;
    const double two_pi = 6.283185307179586476925286766559;
    double ws = 0.0, ws2 = 0.0;
    for (int j = 0; j < s->N; j++) {
        double w = 0.5 - 0.5 * cos(two_pi * (double)j / (double)s->N);
        s->window[j] = (float)w;
        ws += (double)s->window[j];
        ws2 += (double)s->window[j] * (double)s->window[j];
    }
    s->win_sum = ws;
    s->win_sq_sum = ws2;
    s->flux_gain = (float)(CS_FR_FLUX_LAMBDA * 2.0 / ws);

    const double pi = 3.14159265358979323846264338327950;
    for (int q = 0; q < CS_FR_N_MFCC; q++) {
        double scale = sqrt((q == 0 ? 1.0 : 2.0) / (double)s->n_mels);
        for (int m = 0; m < s->n_mels; m++)
            s->dct[q * s->n_mels + m] =
                scale * cos(pi * (double)q * (2.0 * (double)m + 1.0) / (2.0 * (double)s->n_mels));
    }
    int err = build_mel(s);
    if (err) return err;

    /* YIN lags: tau_min = floor(sr / f0_max) (>= 2), tau_max = ceil(sr / f0_min); W = 2^k > tau_max */
    const double sr = (double)p->sample_rate;
    s->tau_min = (int)floor(sr / p->f0_max);
    if (s->tau_min < 2) s->tau_min = 2;
    s->tau_max = (int)ceil(sr / p->f0_min);
    if (s->tau_max < s->tau_min + 2) s->tau_max = s->tau_min + 2;
    s->yin_W = 64;
    while (s->yin_W < s->tau_max + 1)
        s->yin_W *= 2;
    s->yin_M = 2 * s->yin_W;
    s->yin_q = 0;
    if (s->yin_W % s->hop == 0 && s->yin_W / s->hop <= 8) s->yin_q = s->yin_W / s->hop;
    s->yin_R = s->yin_q > 0 ? s->yin_q + 1 : 2;
    s->yin_stride = (s->yin_M / 2 + 1 + 3) & ~3;
    return 0;
}

/* Plans on thread 0's buffers (FFTW_ESTIMATE does not touch the arrays); under the planner lock. */
static int make_plans(fr_shared *s, fr_work *w)
{
    cs_fftw_lock();
    s->plan_spec = fftwf_plan_dft_r2c_1d(s->N, w->frame, w->spec, FFTW_ESTIMATE);
    s->plan_yin_fwd = fftwf_plan_dft_r2c_1d(s->yin_M, w->yb, w->yring, FFTW_ESTIMATE);
    s->plan_yin_inv = fftwf_plan_dft_c2r_1d(s->yin_M, w->YC, w->yr, FFTW_ESTIMATE);
    cs_fftw_unlock();
    if (!s->plan_spec || !s->plan_yin_fwd || !s->plan_yin_inv) return CS_E_INTERNAL;
    /* the YIN buffers were zeroed before planning; keep that invariant (ESTIMATE leaves them alone) */
    memset(w->ya, 0, (size_t)s->yin_M * sizeof(float));
    memset(w->yb, 0, (size_t)s->yin_M * sizeof(float));
    return 0;
}

/* ------------------------------------------------------------------ per-frame kernels */

/* Signal sample j's address in the held samples (j must be held: x0 <= j < x0 + held). */
static inline const float *xp(const fr_shared *s, ptrdiff_t j)
{
    return s->buf + (j - s->x0);
}

/* Copy signal samples [start, start+len) into dst, zero outside [0, n); optionally multiplied by win. The
 * samples inside the signal must be held. */
static void load_segment(const fr_shared *s, ptrdiff_t start, int len, const float *restrict win, float *restrict dst)
{
    ptrdiff_t lo = start < 0 ? -start : 0;  /* first j with start + j inside the signal */
    ptrdiff_t hi = (ptrdiff_t)s->n - start; /* first j past its end */
    if (lo > len) lo = len;
    if (hi > len) hi = len;
    if (hi < lo) hi = lo;
    for (ptrdiff_t j = 0; j < lo; j++)
        dst[j] = 0.0f;
    if (hi > lo) {
        const float *restrict x = xp(s, start + lo); /* x[j - lo] = sample start + j, for lo <= j < hi */
        if (win) {
            for (ptrdiff_t j = lo; j < hi; j++)
                dst[j] = x[j - lo] * win[j];
        } else {
            for (ptrdiff_t j = lo; j < hi; j++)
                dst[j] = x[j - lo];
        }
    }
    for (ptrdiff_t j = hi; j < len; j++)
        dst[j] = 0.0f;
}

/* Spectrum of frame i into w->spec, |X_k|^2 into w->power, |X_k| into w->mag, ln(1 + lambda A_k) into lm. */
static void frame_spectrum(const fr_shared *s, fr_work *w, size_t i, float *lm)
{
    const ptrdiff_t c = (ptrdiff_t)(i * (size_t)s->hop);
    load_segment(s, c - s->N / 2, s->N, s->window, w->frame);
    fftwf_execute_dft_r2c(s->plan_spec, w->frame, w->spec);
    const int K = s->K;
    const float g = s->flux_gain;
    fftwf_complex *X = w->spec;
    float *P = w->power;
    for (int k = 0; k < K; k++)
        P[k] = X[k][0] * X[k][0] + X[k][1] * X[k][1];
    float *A = w->mag;
    for (int k = 0; k < K; k++)
        A[k] = sqrtf(P[k]);
    for (int k = 0; k < K; k++)
        lm[k] = logf(1.0f + g * A[k]);
}

/* YIN d(tau), tau = 1 .. t, computed lazily: w->yd[tau] and w->ycum[tau] for tau <= *done are valid. */
typedef struct yin_state {
    const float *a; /* segment */
    const float *r; /* r(tau) * M */
    double inv_m;   /* 1 / M */
    double e0;      /* sum_{j<W} a_j^2 */
    double lo, hi;  /* sum_{j<tau} a_j^2, sum_{j=W}^{W+tau-1} a_j^2 */
    double cum;
    int W, done;
} yin_state;

static void yin_extend(yin_state *y, double *d, double *cum, int t)
{
    const float *a = y->a;
    for (int u = y->done + 1; u <= t; u++) {
        /* d(u) = sum_{j<W} (a_j - a_{j+u})^2 = e(0) + e(u) - 2 r(u), e(u) = e(0) + hi - lo */
        y->lo += (double)a[u - 1] * (double)a[u - 1];
        y->hi += (double)a[y->W + u - 1] * (double)a[y->W + u - 1];
        double v = 2.0 * y->e0 + y->hi - y->lo - 2.0 * (double)y->r[u] * y->inv_m;
        if (v < 0.0) v = 0.0;
        d[u] = v;
        y->cum += v;
        cum[u] = y->cum;
    }
    if (t > y->done) y->done = t;
}

/* d'(t1) < d'(t2) with d'(t) = d(t) t / cum(t) (1 when cum(t) = 0), by cross-multiplication. */
static int dn_less(const double *d, const double *cum, int t1, int t2)
{
    double a = cum[t1] > 0.0 ? d[t1] * (double)t1 : 1.0, ca = cum[t1] > 0.0 ? cum[t1] : 1.0;
    double b = cum[t2] > 0.0 ? d[t2] * (double)t2 : 1.0, cb = cum[t2] > 0.0 ? cum[t2] : 1.0;
    return a * cb < b * ca;
}

static double dn_value(const double *d, const double *cum, int t)
{
    return cum[t] > 0.0 ? d[t] * (double)t / cum[t] : 1.0;
}

/*
 * Spectrum (r2c of size M = 2W) of the segment half x[start .. start + W), zero-padded to M, into a slot of
 * the per-thread cache, with its energy sum x^2. A half computed for frame i is the first half of frame
 * i + W/hop, so with caching each frame transforms one new half. The same function computes every half,
 * so a cached and a fresh spectrum are the same bits.
 */
static int yin_half(const fr_shared *s, fr_work *w, ptrdiff_t start, int slot)
{
    if (w->yring_tag[slot] == start) return slot;
    const int W = s->yin_W;
    load_segment(s, start, W, NULL, w->yb); /* yb[W..M) stays 0 */
    fftwf_complex *dst = w->yring + (size_t)slot * (size_t)s->yin_stride;
    fftwf_execute_dft_r2c(s->plan_yin_fwd, w->yb, dst);
    const float *b = w->yb;
    double e0 = 0.0, e1 = 0.0, e2 = 0.0, e3 = 0.0;
    for (int j = 0; j < W; j += 4) { /* W is a power of two >= 64 */
        e0 += (double)b[j] * (double)b[j];
        e1 += (double)b[j + 1] * (double)b[j + 1];
        e2 += (double)b[j + 2] * (double)b[j + 2];
        e3 += (double)b[j + 3] * (double)b[j + 3];
    }
    w->yring_e[slot] = (e0 + e1) + (e2 + e3);
    w->yring_tag[slot] = s->yin_q > 0 ? start : PTRDIFF_MIN;
    return slot;
}

/*
 * YIN (de Cheveigne & Kawahara 2002) on the segment a = x[c - W .. c + W) of frame i (centre c): difference
 * function (eq. 6) with the integration window a[0..W) from an FFT cross-correlation, cumulative mean
 * normalised difference (eq. 8), absolute threshold (step 4: first tau in [tau_min, tau_max] with
 * d' < threshold, then its local minimum), parabolic interpolation of d around it (step 5). Writes f0 (Hz,
 * 0 if no dip under the threshold) and the confidence 1 - d'(tau*) (tau* = the chosen lag, or the global
 * minimum of d' when unvoiced), in 0..1. d is only evaluated up to the lag it needs (one lag past the chosen
 * dip), so voiced frames are cheap.
 * Cross-correlation: with L, H the spectra of the two halves (zero-padded to M), FFT(a) = L + (-1)^k H and
 * r = IFFT(conj(L) FFT(a)) = IFFT(|L|^2 + (-1)^k conj(L) H); no wrap-around since j + tau < 2W = M.
 */
static void frame_yin(const fr_shared *s, fr_work *w, size_t i, double *f0, double *conf)
{
    const int W = s->yin_W, tmax = s->tau_max, tmin = s->tau_min;
    const int M = s->yin_M, MK = M / 2 + 1;
    const ptrdiff_t c = (ptrdiff_t)(i * (size_t)s->hop);
    int slot_lo = 0, slot_hi = 1;
    if (s->yin_q > 0) {
        slot_lo = (int)(i % (size_t)s->yin_R);
        slot_hi = (int)((i + (size_t)s->yin_q) % (size_t)s->yin_R);
    }
    slot_lo = yin_half(s, w, c - W, slot_lo);
    slot_hi = yin_half(s, w, c, slot_hi);
    const double e0 = w->yring_e[slot_lo];
    const double etot = e0 + w->yring_e[slot_hi];
    if (etot <= (double)M * CS_FR_YIN_SILENT_RMS * CS_FR_YIN_SILENT_RMS) {
        *f0 = 0.0;
        *conf = 0.0;
        return;
    }
    fftwf_complex *L = w->yring + (size_t)slot_lo * (size_t)s->yin_stride;
    fftwf_complex *Hs = w->yring + (size_t)slot_hi * (size_t)s->yin_stride;
    fftwf_complex *C = w->YC;
    for (int k = 0; k + 1 < MK; k += 2) { /* pairs (even, odd) up to W - 1; MK = W + 1, k = W after the loop */
        const float lr0 = L[k][0], li0 = L[k][1], hr0 = Hs[k][0], hi0 = Hs[k][1];
        const float lr1 = L[k + 1][0], li1 = L[k + 1][1], hr1 = Hs[k + 1][0], hi1 = Hs[k + 1][1];
        C[k][0] = (lr0 * lr0 + li0 * li0) + (lr0 * hr0 + li0 * hi0);
        C[k][1] = lr0 * hi0 - li0 * hr0;
        C[k + 1][0] = (lr1 * lr1 + li1 * li1) - (lr1 * hr1 + li1 * hi1);
        C[k + 1][1] = -(lr1 * hi1 - li1 * hr1);
    }
    { /* k = W (even) */
        const float lr = L[MK - 1][0], li = L[MK - 1][1], hr = Hs[MK - 1][0], hi = Hs[MK - 1][1];
        C[MK - 1][0] = (lr * lr + li * li) + (lr * hr + li * hi);
        C[MK - 1][1] = lr * hi - li * hr;
    }
    fftwf_execute_dft_c2r(s->plan_yin_inv, w->YC, w->yr);
    const float *a;
    if (c - W >= 0 && c + W <= (ptrdiff_t)s->n) {
        a = xp(s, c - W); /* inside the signal: read in place */
    } else {
        load_segment(s, c - W, M, NULL, w->ya);
        a = w->ya;
    }

    double *d = w->yd, *cum = w->ycum;
    yin_state y = {a, w->yr, 1.0 / (double)M, e0, 0.0, 0.0, 0.0, W, 0};
    d[0] = 0.0;
    cum[0] = 0.0;
    const double thr = s->p.yin_threshold;
    int tau = -1;
    yin_extend(&y, d, cum, tmin);
    for (int t = tmin; t <= tmax; t++) {
        yin_extend(&y, d, cum, t + 1);
        if (cum[t] > 0.0 && d[t] * (double)t < thr * cum[t]) {
            while (t + 1 <= tmax && dn_less(d, cum, t + 1, t)) {
                t++;
                yin_extend(&y, d, cum, t + 1);
            }
            tau = t;
            break;
        }
    }
    if (tau < 0) {
        /* no dip under the threshold: unvoiced; confidence from the global minimum of d' */
        int best = tmin;
        for (int t = tmin + 1; t <= tmax; t++)
            if (dn_less(d, cum, t, best)) best = t;
        *f0 = 0.0;
        double cf = 1.0 - dn_value(d, cum, best);
        *conf = cf < 0.0 ? 0.0 : (cf > 1.0 ? 1.0 : cf);
        return;
    }
    /* parabolic interpolation of the raw difference function around tau (step 5: d, not d', is unbiased) */
    double ym = d[tau - 1], y0 = d[tau], yp = d[tau + 1];
    double den = ym - 2.0 * y0 + yp;
    double delta = 0.0;
    if (den > 0.0) {
        delta = 0.5 * (ym - yp) / den;
        if (delta > 0.5) delta = 0.5;
        if (delta < -0.5) delta = -0.5;
    }
    *f0 = (double)s->p.sample_rate / ((double)tau + delta);
    double cf = 1.0 - dn_value(d, cum, tau);
    *conf = cf < 0.0 ? 0.0 : (cf > 1.0 ? 1.0 : cf);
}

/* Zero crossings (sign changes of x, 0 counting as positive) of the pairs (j, j+1), from <= j < to. */
static long zc_pairs(const float *x, ptrdiff_t from, ptrdiff_t to)
{
    long c0 = 0, c1 = 0;
    ptrdiff_t j = from;
    for (; j + 2 <= to; j += 2) {
        c0 += (x[j] < 0.0f) != (x[j + 1] < 0.0f);
        c1 += (x[j + 1] < 0.0f) != (x[j + 2] < 0.0f);
    }
    for (; j < to; j++)
        c0 += (x[j] < 0.0f) != (x[j + 1] < 0.0f);
    return c0 + c1;
}

/* Crossings inside the frame's samples [a, b) (b <= n): the pairs a <= j < b - 1. Integer counts are exact, so
 * sliding the count from the previous frame gives the same number as counting afresh. */
static long frame_zc(const fr_shared *s, fr_work *w, ptrdiff_t a, ptrdiff_t b)
{
    ptrdiff_t pe = b - 1 > a ? b - 1 : a; /* pairs [a, pe) */
    if (w->zc_b >= 0 && a >= w->zc_a && pe >= w->zc_b && a <= w->zc_b) {
        w->zc_count += zc_pairs(xp(s, w->zc_b), 0, pe - w->zc_b) - zc_pairs(xp(s, w->zc_a), 0, a - w->zc_a);
    } else {
        w->zc_count = zc_pairs(xp(s, a), 0, pe - a);
    }
    w->zc_a = a;
    w->zc_b = pe;
    return w->zc_count;
}

/* Rolloff: the first bin whose cumulative power reaches rolloff * total, by a scan of the nb 8-bin power blocks
 * blk (blk[nb] = the tail) and then of the bins. */
static int frame_rolloff_bin(const fr_shared *s, const float *P, const double *blk, int nb)
{
    const int K = s->K;
    double total = 0.0;
    for (int b = 0; b <= nb; b++)
        total += blk[b];
    const double target = s->p.rolloff * total;
    double cum = 0.0;
    int b = 0;
    while (b < nb && cum + blk[b] < target)
        cum += blk[b++];
    for (int j = 8 * b; j < K; j++) {
        cum += (double)P[j];
        if (cum >= target) return j;
    }
    return K - 1;
}

/* Peak: max |x| over the hop centred on frame i. */
static float frame_peak(const fr_shared *s, size_t i)
{
    const ptrdiff_t c = (ptrdiff_t)(i * (size_t)s->hop);
    ptrdiff_t a = c - s->hop / 2, b = a + s->hop;
    if (a < 0) a = 0;
    if (b > (ptrdiff_t)s->n) b = (ptrdiff_t)s->n;
    float pk0 = 0.0f, pk1 = 0.0f, pk2 = 0.0f, pk3 = 0.0f; /* max is exact in any order */
    if (b <= a) return 0.0f;
    const float *x = xp(s, a); /* x[j] = sample a + j, for 0 <= j < b - a */
    b -= a;
    ptrdiff_t jp = 0;
    for (; jp + 4 <= b; jp += 4) {
        float v0 = fabsf(x[jp]), v1 = fabsf(x[jp + 1]), v2 = fabsf(x[jp + 2]), v3 = fabsf(x[jp + 3]);
        pk0 = v0 > pk0 ? v0 : pk0;
        pk1 = v1 > pk1 ? v1 : pk1;
        pk2 = v2 > pk2 ? v2 : pk2;
        pk3 = v3 > pk3 ? v3 : pk3;
    }
    for (; jp < b; jp++) {
        float v = fabsf(x[jp]);
        pk0 = v > pk0 ? v : pk0;
    }
    pk0 = pk1 > pk0 ? pk1 : pk0;
    pk2 = pk3 > pk2 ? pk3 : pk2;
    return pk2 > pk0 ? pk2 : pk0;
}

/* Zero-crossing rate (Hz) over frame i's samples inside the signal. */
static double frame_zcr(const fr_shared *s, fr_work *w, size_t i)
{
    const ptrdiff_t c = (ptrdiff_t)(i * (size_t)s->hop);
    ptrdiff_t a = c - s->N / 2, b = c + s->N / 2;
    if (a < 0) a = 0;
    if (b > (ptrdiff_t)s->n) b = (ptrdiff_t)s->n;
    long cross = frame_zc(s, w, a, b);
    return b - a >= 2 ? (double)cross * (double)s->p.sample_rate / (double)(b - a - 1) : 0.0;
}

/* MFCCs of power spectrum P: mel energies (sparse triangles), log with floor, DCT-II. */
static void frame_mfcc(const fr_shared *s, fr_work *w, const float *P, double *mfcc)
{
    double *L = w->mel_e;
    for (int m = 0; m < s->n_mels; m++) {
        const double *wt = s->mel_w + s->mel_off[m];
        const float *Pm = P + s->mel_first[m];
        const int cnt = s->mel_count[m];
        double e0 = 0.0, e1 = 0.0;
        int j = 0;
        for (; j + 2 <= cnt; j += 2) {
            e0 += wt[j] * (double)Pm[j];
            e1 += wt[j + 1] * (double)Pm[j + 1];
        }
        if (j < cnt) e0 += wt[j] * (double)Pm[j];
        double e = e0 + e1;
        L[m] = log(e > CS_FR_MEL_FLOOR ? e : CS_FR_MEL_FLOOR);
    }
    for (int q = 0; q < CS_FR_N_MFCC; q++) {
        const double *dr = s->dct + q * s->n_mels;
        double acc = 0.0;
        for (int m = 0; m < s->n_mels; m++)
            acc += dr[m] * L[m];
        mfcc[q] = acc;
    }
}

/* All CS_FF_COUNT features of frame i into row; w->lm_prev holds frame i-1's log-magnitudes (zeros for i=0).
 * About 130 lines, on purpose: the single pass over the bins keeps seven sums in four register chains at once
 * (its macro and unrolled loop are most of the length); split into passes it would read the spectrum once per
 * feature (tests/bench/bench_frames measures this loop). The other features are functions of their own. */
static void frame_features(const fr_shared *s, fr_work *w, size_t i, float *row)
{
    const int K = s->K, N = s->N;
    const double sr = (double)s->p.sample_rate;
    const double df = sr / (double)N;
    frame_spectrum(s, w, i, w->lm_cur);
    const float *P = w->power;

    /* One pass over the bins, in double with 4 independent accumulators (a fixed order: deterministic):
     * power, magnitude, first and second frequency moments, flux, 8-bin power blocks for the rolloff, and
     * for the flatness the sum of max(P, floor) and the product of max(P, floor) in 4 chains, each rescaled
     * to [0.5, 1) by its exact power of two every 8 factors (factors lie in [1e-10, 7e31]) (the sum of logs without a
     * log per bin). */
    double sp0 = 0, sp1 = 0, sp2 = 0, sp3 = 0, sm0 = 0, sm1 = 0, sm2 = 0, sm3 = 0;
    double sfm0 = 0, sfm1 = 0, sfm2 = 0, sfm3 = 0, sf2m0 = 0, sf2m1 = 0, sf2m2 = 0, sf2m3 = 0;
    double fx0 = 0, fx1 = 0, fx2 = 0, fx3 = 0, fs0 = 0, fs1 = 0, fs2 = 0, fs3 = 0;
    double pr0 = 1, pr1 = 1, pr2 = 1, pr3 = 1;
    long expo = 0;
    const float *lc = w->lm_cur, *lp = w->lm_prev, *Amag = w->mag;
    double *blk = w->blk;
    int k = 0, nb = 0;
    /* one bin into accumulator set u (scalars: GCC keeps them in registers); max(d, 0) as (d + |d|) / 2,
     * exact and branch-free (the sign of the log-magnitude difference is unpredictable) */
#define CS_FR_BIN(kk, SP, SM, SFM, SF2M, FX, FS, PR)                                                                   \
    do {                                                                                                               \
        const double pk_ = (double)P[kk];                                                                              \
        const double mk_ = (double)Amag[kk];                                                                           \
        const double fk_ = (double)(kk);                                                                               \
        const float dl_ = lc[kk] - lp[kk];                                                                             \
        const double pf_ = pk_ > CS_FR_POWER_FLOOR ? pk_ : CS_FR_POWER_FLOOR;                                          \
        SP += pk_;                                                                                                     \
        SM += mk_;                                                                                                     \
        SFM += fk_ * mk_;                                                                                              \
        SF2M += fk_ * fk_ * mk_;                                                                                       \
        FX += (double)(0.5f * (dl_ + fabsf(dl_)));                                                                     \
        FS += pf_;                                                                                                     \
        PR *= pf_;                                                                                                     \
    } while (0)
    for (; k + 8 <= K; k += 8) {
        CS_FR_BIN(k, sp0, sm0, sfm0, sf2m0, fx0, fs0, pr0);
        CS_FR_BIN(k + 1, sp1, sm1, sfm1, sf2m1, fx1, fs1, pr1);
        CS_FR_BIN(k + 2, sp2, sm2, sfm2, sf2m2, fx2, fs2, pr2);
        CS_FR_BIN(k + 3, sp3, sm3, sfm3, sf2m3, fx3, fs3, pr3);
        CS_FR_BIN(k + 4, sp0, sm0, sfm0, sf2m0, fx0, fs0, pr0);
        CS_FR_BIN(k + 5, sp1, sm1, sfm1, sf2m1, fx1, fs1, pr1);
        CS_FR_BIN(k + 6, sp2, sm2, sfm2, sf2m2, fx2, fs2, pr2);
        CS_FR_BIN(k + 7, sp3, sm3, sfm3, sf2m3, fx3, fs3, pr3);
        blk[nb++] = (((double)P[k] + (double)P[k + 1]) + ((double)P[k + 2] + (double)P[k + 3])) +
                    (((double)P[k + 4] + (double)P[k + 5]) + ((double)P[k + 6] + (double)P[k + 7]));
        if ((nb & 3) == 0) { /* every 8 factors per chain */
            int e;
            pr0 = frexp(pr0, &e);
            expo += e;
            pr1 = frexp(pr1, &e);
            expo += e;
            pr2 = frexp(pr2, &e);
            expo += e;
            pr3 = frexp(pr3, &e);
            expo += e;
        }
    }
    double btail = 0.0;
    for (; k < K; k++) {
        CS_FR_BIN(k, sp0, sm0, sfm0, sf2m0, fx0, fs0, pr0);
        btail += (double)P[k];
    }
#undef CS_FR_BIN
    blk[nb] = btail;
    {
        int e;
        pr0 = frexp(pr0, &e);
        expo += e;
        pr1 = frexp(pr1, &e);
        expo += e;
        pr2 = frexp(pr2, &e);
        expo += e;
        pr3 = frexp(pr3, &e);
        expo += e;
    }
    const double Sp = (sp0 + sp1) + (sp2 + sp3);
    const double Sm = (sm0 + sm1) + (sm2 + sm3);
    const double Sfm = (sfm0 + sfm1) + (sfm2 + sfm3);
    const double Sf2m = (sf2m0 + sf2m1) + (sf2m2 + sf2m3);
    const double Sflux = (fx0 + fx1) + (fx2 + fx3);
    const double Sfl = (fs0 + fs1) + (fs2 + fs3);

    /* RMS of the windowed frame by Parseval: sum_j (w x)^2 = (2 sum_k P_k - P_0 - P_{N/2}) / N */
    double e_time = (2.0 * Sp - (double)P[0] - (double)P[K - 1]) / (double)N;
    if (e_time < 0.0) e_time = 0.0;
    const double rms = sqrt(e_time / s->win_sq_sum);

    double centroid = 0.0, spread = 0.0, rolloff = 0.0;
    if (rms >= CS_FR_SILENT_RMS && Sm > 0.0 && Sp > 0.0) {
        const double mu = Sfm / Sm;
        const double var = Sf2m / Sm - mu * mu;
        centroid = mu * df;
        spread = (var > 0.0 ? sqrt(var) : 0.0) * df;
        rolloff = (double)frame_rolloff_bin(s, P, blk, nb) * df;
    }

    /* flatness: exp(mean ln max(P, floor)) / mean max(P, floor) */
    const double ln2 = 0.69314718055994530941723212145818;
    const double log_prod = (log(pr0) + log(pr1)) + (log(pr2) + log(pr3)) + (double)expo * ln2;
    double flatness = exp(log_prod / (double)K) / (Sfl / (double)K);
    if (flatness > 1.0) flatness = 1.0;
    if (flatness < 0.0) flatness = 0.0;

    const float peak = frame_peak(s, i);

    const double zcr = frame_zcr(s, w, i);

    double mfcc[CS_FR_N_MFCC];
    frame_mfcc(s, w, P, mfcc);

    double f0, conf;
    frame_yin(s, w, i, &f0, &conf);

    row[CS_FF_RMS] = (float)rms;
    row[CS_FF_PEAK] = peak;
    row[CS_FF_CENTROID] = (float)centroid;
    row[CS_FF_SPREAD] = (float)spread;
    row[CS_FF_FLATNESS] = (float)flatness;
    row[CS_FF_ROLLOFF] = (float)rolloff;
    row[CS_FF_FLUX] = (float)(Sflux / (double)K);
    row[CS_FF_ZCR] = (float)zcr;
    row[CS_FF_F0] = (float)f0;
    row[CS_FF_F0_CONF] = (float)conf;
    for (int q = 0; q < CS_FR_N_MFCC; q++)
        row[CS_FF_MFCC0 + q] = (float)mfcc[q];
}

/* ------------------------------------------------------------------ threads */

typedef struct fr_job {
    const fr_shared *s;
    fr_work w;
    size_t r0, r1; /* frames [r0, r1) */
} fr_job;

static void run_range(fr_job *job)
{
    const fr_shared *s = job->s;
    fr_work *w = &job->w;
    /* the caches are exact (the same numbers as computing afresh), so a range starts with them empty */
    for (int r = 0; r < s->yin_R; r++)
        w->yring_tag[r] = PTRDIFF_MIN;
    w->zc_a = 0;
    w->zc_b = -1;
    if (job->r0 > 0) {
        frame_spectrum(s, w, job->r0 - 1, w->lm_prev); /* the flux's previous frame, recomputed */
    } else {
        memset(w->lm_prev, 0, (size_t)s->K * sizeof(float)); /* before frame 0: silence */
    }
    for (size_t i = job->r0; i < job->r1; i++) {
        frame_features(s, w, i, s->out + i * (size_t)CS_FF_COUNT);
        float *t = w->lm_prev;
        w->lm_prev = w->lm_cur;
        w->lm_cur = t;
    }
}

static void *thread_main(void *arg)
{
    run_range((fr_job *)arg);
    return NULL;
}

#define CS_FR_STREAM_CHUNK (1u << 20) /* samples taken in per batch of frames (plus the context kept) */

struct cs_frames_stream {
    fr_shared s; /* s.buf = buf, s.x0 = its first signal sample, s.out = the frames so far */
    float *buf;  /* cap samples; len held */
    size_t cap, len;
    size_t total;    /* samples pushed */
    size_t done;     /* frames computed */
    size_t out_rows; /* rows allocated in s.out */
    size_t ctx;      /* samples a frame reads on each side of its centre: max(fft_size / 2, YIN window) */
    int n_threads, err;
    fr_job *jobs;
    pthread_t *tids;
};

int cs_frames_stream_new(const cs_frame_params *p, int n_threads, cs_frames_stream **out)
{
    if (!out) return CS_E_ARG;
    *out = NULL;
    if (!p || n_threads < 1 || !params_ok(p)) return CS_E_ARG;
    if (n_threads > 64) n_threads = 64;
    cs_frames_stream *st = calloc(1, sizeof *st);
    if (!st) return CS_E_NOMEM;
    st->n_threads = n_threads;
    int err = build_shared(&st->s, p);
    if (err == 0) {
        st->ctx = (size_t)(st->s.N / 2 > st->s.yin_W ? st->s.N / 2 : st->s.yin_W);
        st->cap = CS_FR_STREAM_CHUNK + 4 * (st->ctx + (size_t)st->s.hop);
        st->buf = malloc(st->cap * sizeof *st->buf);
        st->jobs = calloc((size_t)n_threads, sizeof *st->jobs);
        st->tids = calloc((size_t)n_threads, sizeof *st->tids);
        if (!st->buf || !st->jobs || !st->tids) err = CS_E_NOMEM;
    }
    for (int t = 0; err == 0 && t < n_threads; t++) {
        st->jobs[t].s = &st->s;
        err = work_alloc(&st->jobs[t].w, &st->s);
    }
    if (err == 0) err = make_plans(&st->s, &st->jobs[0].w);
    if (err) {
        cs_frames_stream_free(st);
        return err;
    }
    st->s.buf = st->buf;
    *out = st;
    return 0;
}

/* Compute frames [st->done, end) from the held samples, split over the threads (each range recomputes its
 * previous frame's spectrum: the numbers do not depend on the split). */
static int stream_frames(cs_frames_stream *st, size_t end)
{
    if (end <= st->done) return 0;
    if (end > st->out_rows) {
        size_t rows = st->out_rows ? st->out_rows : 4096;
        while (rows < end)
            rows = rows / 2 * 3;
        if (rows > SIZE_MAX / CS_FF_COUNT / sizeof(float)) return CS_E_NOMEM;
        float *o = realloc(st->s.out, rows * CS_FF_COUNT * sizeof *o);
        if (!o) return CS_E_NOMEM;
        st->s.out = o;
        st->out_rows = rows;
    }
    const size_t cnt = end - st->done;
    size_t nt = (size_t)st->n_threads;
    if (nt > cnt / 16) nt = cnt / 16 ? cnt / 16 : 1; /* at least 16 frames a thread: the recomputed one is cheap */
    for (size_t t = 0; t < nt; t++) {
        st->jobs[t].r0 = st->done + cnt * t / nt;
        st->jobs[t].r1 = st->done + cnt * (t + 1) / nt;
    }
    size_t started = 0;
    for (size_t t = 1; t < nt; t++) {
        if (pthread_create(&st->tids[t], NULL, thread_main, &st->jobs[t]) != 0) break;
        started = t;
    }
    run_range(&st->jobs[0]);
    /* threads that could not be started: run their ranges here (same code, same result) */
    for (size_t t = started + 1; t < nt; t++)
        run_range(&st->jobs[t]);
    for (size_t t = 1; t <= started; t++)
        pthread_join(st->tids[t], NULL);
    st->done = end;
    return 0;
}

/* The frames whose context is held, then drop the samples no later frame reads (a frame's context and the
 * previous frame's spectrum: ctx + hop samples before the next centre). */
static int stream_batch(cs_frames_stream *st)
{
    const size_t hop = (size_t)st->s.hop, held_end = (size_t)st->s.x0 + st->len;
    size_t end = held_end >= st->ctx ? (held_end - st->ctx) / hop + 1 : 0;
    int err = stream_frames(st, end);
    if (err) return err;
    size_t keep_from = st->done * hop > st->ctx + hop ? st->done * hop - st->ctx - hop : 0;
    if (keep_from > (size_t)st->s.x0) {
        size_t drop = keep_from - (size_t)st->s.x0;
        memmove(st->buf, st->buf + drop, (st->len - drop) * sizeof *st->buf);
        st->len -= drop;
        st->s.x0 = (ptrdiff_t)keep_from;
    }
    return 0;
}

int cs_frames_stream_push(cs_frames_stream *st, const float *x, size_t n)
{
    if (!st || (!x && n)) return CS_E_ARG;
    if (st->err) return st->err;
    for (size_t j = 0; j < n; j++) {
        if (!isfinite(x[j])) return st->err = CS_E_NONFINITE;
        if (fabsf(x[j]) > CS_FR_MAX_SAMPLE) return st->err = CS_E_ARG;
    }
    while (n > 0) {
        size_t k = st->cap - st->len < n ? st->cap - st->len : n;
        memcpy(st->buf + st->len, x, k * sizeof *x);
        st->len += k;
        st->total += k;
        x += k;
        n -= k;
        if (st->len == st->cap) {
            int err = stream_batch(st);
            if (err) return st->err = err;
        }
    }
    return 0;
}

int cs_frames_stream_finish(cs_frames_stream *st, cs_frames *out)
{
    if (!st || !out) return CS_E_ARG;
    memset(out, 0, sizeof *out);
    if (st->err) return st->err;
    if (st->total == 0) return st->err = CS_E_EMPTY;
    st->s.n = st->total;
    const size_t nf = st->total / (size_t)st->s.hop + 1;
    int err = stream_frames(st, nf);
    if (err) return st->err = err;
    out->n_frames = nf;
    out->hop = st->s.hop;
    out->sample_rate = st->s.p.sample_rate;
    out->data = st->s.out;
    st->s.out = NULL;
    st->out_rows = 0;
    st->err = CS_E_ARG; /* finished: no more samples */
    return 0;
}

void cs_frames_stream_free(cs_frames_stream *st)
{
    if (!st) return;
    if (st->jobs)
        for (int t = 0; t < st->n_threads; t++)
            work_free(&st->jobs[t].w);
    free(st->jobs);
    free(st->tids);
    free(st->buf);
    free(st->s.out);
    shared_free(&st->s);
    free(st);
}

int cs_frames_analyze(const float *x, size_t n, const cs_frame_params *p, int n_threads, cs_frames *out)
{
    if (!out) return CS_E_ARG;
    memset(out, 0, sizeof *out);
    if (!x || !p || n_threads < 1 || !params_ok(p)) return CS_E_ARG;
    if (n == 0) return CS_E_EMPTY;
    cs_frames_stream *st = NULL;
    int err = cs_frames_stream_new(p, n_threads, &st);
    if (err == 0) err = cs_frames_stream_push(st, x, n);
    if (err == 0) err = cs_frames_stream_finish(st, out);
    cs_frames_stream_free(st);
    return err;
}

void cs_frames_free(cs_frames *f)
{
    if (!f) return;
    free(f->data);
    memset(f, 0, sizeof *f);
}
