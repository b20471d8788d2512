/*
 * cs_frame.c - the streaming frame analyser (cs_frame.h): STFT through the host's FFT (cs_fft_ops), spectral
 * shape, flux, zero crossings, YIN f0 and MFCCs. The definitions (formulas, constants, references) are in
 * corpus-tools/DESCRIPTORS.md; this file follows it line by line, and tests/scripts/mfcc_reference.py
 * re-implements it independently.
 *
 * Layout of the caller memory (every array 64-byte aligned, so the host's aligned FFT plans apply):
 *   - tables built at init: Hann window, sparse Slaney mel filterbank, DCT-II matrix;
 *   - work arrays of one frame (frame, spectrum, power, magnitudes, the YIN buffers and half-spectrum cache);
 *   - the sample ring: `cap` (a power of two >= 2 ctx + hop) samples, each written twice (at j mod cap and
 *     j mod cap + cap), so any window of up to cap consecutive samples is contiguous in memory.
 * Frame i is computed as soon as its last context sample (i*hop + ctx - 1, ctx = max(fft_size/2, YIN window))
 * has arrived; the ring then still holds the previous frame's window, which the sliding zero-crossing count
 * reads. Every frame depends only on the input except the flux, which needs the previous frame's
 * log-magnitudes: kept from frame to frame, and recomputed with the very same code after a seek. The caches
 * (YIN half spectra, zero-crossing count) are exact: cached and fresh values are the same bits, so results do
 * not depend on where a run started or how the signal was cut into pieces.
 * Per frame: one r2c FFT of fft_size for the spectrum; for YIN one r2c of a new half segment (the other half is
 * cached from an earlier frame) and one c2r, both of size 2 * yin window.
 */
#include "cs_frame.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#define CS_FR_N_MFCC         CS_FRAME_NUM_MFCC
#define CS_FR_FLUX_LAMBDA    1000.0          /* flux compression: ln(1 + lambda * amplitude) */
#define CS_FR_POWER_FLOOR    1e-10           /* floor of |X_k|^2 in the flatness, raw FFT units */
#define CS_FR_MEL_FLOOR      1e-10           /* floor of the mel energies before the log, raw FFT units */
#define CS_FR_SILENT_RMS     1e-7            /* windowed RMS below this (-140 dBFS): centroid, spread, rolloff = 0 */
#define CS_FR_YIN_SILENT_RMS 1e-7            /* YIN segment RMS below this: unvoiced, confidence 0 */
#define CS_FR_ALIGN          64              /* bytes: every array of the analyser */
#define CS_FR_UNKNOWN_END    (INT64_MAX / 4) /* signal length while streaming: beyond any sample held */

const char *cs_frame_strerror(int err)
{
    switch (err) {
    case CS_FRAME_OK:
        return "no error";
    case CS_FRAME_E_ARG:
        return "invalid frame analysis argument or configuration";
    case CS_FRAME_E_MEMORY:
        return "frame analyser memory missing or too small";
    case CS_FRAME_E_FFT:
        return "the FFT host cannot transform the sizes the frame analysis needs";
    default:
        return "unknown frame analysis error";
    }
}

/* ------------------------------------------------------------------ configuration */

void cs_frame_config_default(cs_frame_config *c, float sample_rate)
{
    if (!c) return;
    c->sample_rate = sample_rate;
    c->fft_size = CS_FRAME_DEFAULT_FFT_SIZE;
    c->hop = CS_FRAME_DEFAULT_HOP;
    c->n_mels = CS_FRAME_DEFAULT_N_MELS;
    c->mel_fmin = (float)CS_FRAME_DEFAULT_MEL_FMIN;
    const double sr = sample_rate > 0.0f ? (double)sample_rate : 0.0;
    c->mel_fmax = (float)(0.5 * sr < CS_FRAME_DEFAULT_MEL_FMAX ? 0.5 * sr : CS_FRAME_DEFAULT_MEL_FMAX);
    c->rolloff = (float)CS_FRAME_DEFAULT_ROLLOFF;
    c->yin_threshold = (float)CS_FRAME_DEFAULT_YIN_THRESHOLD;
    c->f0_min = (float)CS_FRAME_DEFAULT_F0_MIN;
    c->f0_max = (float)(0.25 * sr < CS_FRAME_DEFAULT_F0_MAX ? 0.25 * sr : CS_FRAME_DEFAULT_F0_MAX);
}

static int is_pow2(int v)
{
    return v > 0 && (v & (v - 1)) == 0;
}

int cs_frame_config_check(const cs_frame_config *c)
{
    if (!c) return CS_FRAME_E_ARG;
    const double sr = (double)c->sample_rate;
    if (!isfinite(sr) || sr <= 0.0 || sr > 1e6) return CS_FRAME_E_ARG;
    if (!is_pow2(c->fft_size) || c->fft_size < 256 || c->fft_size > 16384) return CS_FRAME_E_ARG;
    if (c->hop < 1 || c->hop > c->fft_size) return CS_FRAME_E_ARG;
    if (c->n_mels < CS_FR_N_MFCC || c->n_mels > 512) return CS_FRAME_E_ARG;
    const double nyq = 0.5 * sr;
    const double fmin = (double)c->mel_fmin, fmax = (double)c->mel_fmax;
    if (!isfinite(fmin) || !isfinite(fmax) || fmin < 0.0 || fmax <= fmin || fmax > nyq) return CS_FRAME_E_ARG;
    const double ro = (double)c->rolloff, yt = (double)c->yin_threshold;
    if (!isfinite(ro) || ro <= 0.0 || ro > 1.0) return CS_FRAME_E_ARG;
    if (!isfinite(yt) || yt <= 0.0 || yt >= 1.0) return CS_FRAME_E_ARG;
    const double f0lo = (double)c->f0_min, f0hi = (double)c->f0_max;
    if (!isfinite(f0lo) || !isfinite(f0hi) || f0lo <= 0.0 || f0hi <= f0lo || f0hi > nyq) return CS_FRAME_E_ARG;
    if (sr / f0lo > (double)CS_FRAME_MAX_LAG) return CS_FRAME_E_ARG;
    return CS_FRAME_OK;
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

/* ------------------------------------------------------------------ the analyser */

struct cs_frame_analyser {
    cs_frame_config c;
    cs_fft_ops fft;
    double sr;         /* sample rate, Hz */
    int N, K, hop;     /* fft size, bins (N/2+1), hop */
    float *window;     /* (N) periodic Hann */
    double win_sq_sum; /* sum of the squared window */
    float flux_gain;   /* lambda * 2 / sum of the window: |X_k| -> lambda * amplitude */
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
    int yin_stride; /* floats per cache slot: 2 (M/2+1) rounded up to 16 (keeps every slot 64-byte aligned) */
    int tau_min, tau_max;
    /* work of one frame */
    float *frame;       /* (N) windowed frame */
    float *spec;        /* (K complex) spectrum */
    float *power;       /* (K) |X_k|^2 */
    float *mag;         /* (K) |X_k| */
    float *lm_prev;     /* (K) ln(1 + lambda A_k) of the previous frame */
    float *lm_cur;      /* (K) of this frame */
    double *blk;        /* (K/8 + 1) power sums of 8-bin blocks (rolloff search) */
    float *ya;          /* (M) YIN segment x[c - W .. c + W), when it reaches outside the signal */
    float *yb;          /* (M) one half (W samples) of a segment, zero-padded to M */
    float *yring;       /* (R, stride) spectra of segment halves, keyed by their first sample */
    double *yring_e;    /* (R) energy sum a_j^2 of each cached half */
    int64_t *yring_tag; /* (R) first sample of the cached half; INT64_MIN when empty */
    float *YC;          /* (M/2+1 complex) cross-spectrum */
    float *yr;          /* (M) cross-correlation r(tau) * M */
    double *yd;         /* (tau_max+2) difference function d(tau) */
    double *ycum;       /* (tau_max+2) sum_{j=1}^{tau} d(j) */
    double *mel_e;      /* (n_mels) log mel energies */
    /* sliding zero-crossing count: crossings of the pairs (j, j+1), zc_a <= j < zc_b; zc_b < 0: none yet */
    int64_t zc_a, zc_b;
    long zc_count;
    /* samples: signal sample j lives at ring[j & mask] and ring[(j & mask) + cap] */
    float *ring;
    int64_t cap, mask;
    int64_t ctx;        /* samples a frame reads on each side of its centre: max(N/2, W) */
    int64_t pushed;     /* index of the next sample to arrive (samples before `origin` were never held) */
    int64_t n_end;      /* signal length: CS_FR_UNKNOWN_END until finish */
    uint64_t next;      /* next frame to compute */
    uint64_t first;     /* frames before it only give the flux its previous log-magnitudes (after a seek) */
    uint64_t end_frame; /* no frame at or after it is computed (cs_frame_analyser_limit) */
    uint64_t bad;       /* samples replaced or clamped */
    int finished;
    float row[CS_FF_COUNT];
};

/* Sizes derived from a (checked) configuration: everything the layout needs. */
typedef struct fr_dims {
    int N, K, n_mels, W, M, q, R, stride, tau_min, tau_max, mel_cap;
    int64_t ctx, cap;
} fr_dims;

static void dims_of(const cs_frame_config *c, fr_dims *d)
{
    const double sr = (double)c->sample_rate;
    d->N = c->fft_size;
    d->K = c->fft_size / 2 + 1;
    d->n_mels = c->n_mels;
    /* YIN lags: tau_min = floor(sr / f0_max) (>= 2), tau_max = ceil(sr / f0_min); W = 2^k > tau_max */
    d->tau_min = (int)floor(sr / (double)c->f0_max);
    if (d->tau_min < 2) d->tau_min = 2;
    d->tau_max = (int)ceil(sr / (double)c->f0_min);
    if (d->tau_max < d->tau_min + 2) d->tau_max = d->tau_min + 2;
    d->W = 64;
    while (d->W < d->tau_max + 1)
        d->W *= 2;
    d->M = 2 * d->W;
    d->q = 0;
    if (d->W % c->hop == 0 && d->W / c->hop <= 8) d->q = d->W / c->hop;
    d->R = d->q > 0 ? d->q + 1 : 2;
    d->stride = (2 * (d->M / 2 + 1) + 15) & ~15;
    /* every bin lies strictly inside at most two of the open intervals (f_m, f_{m+2}) of the triangles */
    d->mel_cap = 2 * d->K;
    d->ctx = d->N / 2 > d->W ? d->N / 2 : d->W;
    d->cap = 1;
    while (d->cap < 2 * d->ctx + c->hop)
        d->cap *= 2;
}

/* A bump allocator over the caller's memory: every block CS_FR_ALIGN-aligned. */
typedef struct fr_arena {
    uintptr_t at, end;
} fr_arena;

static void *arena_take(fr_arena *ar, size_t bytes)
{
    uintptr_t p = (ar->at + (CS_FR_ALIGN - 1)) & ~(uintptr_t)(CS_FR_ALIGN - 1);
    if (p > ar->end || bytes > ar->end - p) return NULL;
    ar->at = p + bytes;
    return (void *)p;
}

/* Lay the analyser out (a == NULL: only measure). Returns the bytes used from `base`, or 0 when it does not fit. */
static size_t layout(const fr_dims *d, uintptr_t base, size_t bytes, cs_frame_analyser **out)
{
    fr_arena ar = {base, base + bytes};
    const size_t N = (size_t)d->N, K = (size_t)d->K, M = (size_t)d->M, R = (size_t)d->R;
    const size_t nt = (size_t)d->tau_max + 2, nm = (size_t)d->n_mels;
    cs_frame_analyser *a = arena_take(&ar, sizeof *a);
    float *window = arena_take(&ar, N * sizeof(float));
    int *mel_first = arena_take(&ar, nm * sizeof(int));
    int *mel_count = arena_take(&ar, nm * sizeof(int));
    int *mel_off = arena_take(&ar, nm * sizeof(int));
    double *mel_w = arena_take(&ar, (size_t)d->mel_cap * sizeof(double));
    double *dct = arena_take(&ar, (size_t)CS_FR_N_MFCC * nm * sizeof(double));
    float *frame = arena_take(&ar, N * sizeof(float));
    float *spec = arena_take(&ar, 2 * K * sizeof(float));
    float *power = arena_take(&ar, K * sizeof(float));
    float *mag = arena_take(&ar, K * sizeof(float));
    float *lm_prev = arena_take(&ar, K * sizeof(float));
    float *lm_cur = arena_take(&ar, K * sizeof(float));
    double *blk = arena_take(&ar, (K / 8 + 1) * sizeof(double));
    float *ya = arena_take(&ar, M * sizeof(float));
    float *yb = arena_take(&ar, M * sizeof(float));
    float *yring = arena_take(&ar, R * (size_t)d->stride * sizeof(float));
    double *yring_e = arena_take(&ar, R * sizeof(double));
    int64_t *yring_tag = arena_take(&ar, R * sizeof(int64_t));
    float *YC = arena_take(&ar, 2 * (M / 2 + 1) * sizeof(float));
    float *yr = arena_take(&ar, M * sizeof(float));
    double *yd = arena_take(&ar, nt * sizeof(double));
    double *ycum = arena_take(&ar, nt * sizeof(double));
    double *mel_e = arena_take(&ar, nm * sizeof(double));
    float *ring = arena_take(&ar, 2 * (size_t)d->cap * sizeof(float));
    if (!a || !window || !mel_first || !mel_count || !mel_off || !mel_w || !dct || !frame || !spec || !power || !mag ||
        !lm_prev || !lm_cur || !blk || !ya || !yb || !yring || !yring_e || !yring_tag || !YC || !yr || !yd || !ycum ||
        !mel_e || !ring)
        return 0;
    if (out) {
        memset(a, 0, sizeof *a);
        a->window = window;
        a->mel_first = mel_first;
        a->mel_count = mel_count;
        a->mel_off = mel_off;
        a->mel_w = mel_w;
        a->dct = dct;
        a->frame = frame;
        a->spec = spec;
        a->power = power;
        a->mag = mag;
        a->lm_prev = lm_prev;
        a->lm_cur = lm_cur;
        a->blk = blk;
        a->ya = ya;
        a->yb = yb;
        a->yring = yring;
        a->yring_e = yring_e;
        a->yring_tag = yring_tag;
        a->YC = YC;
        a->yr = yr;
        a->yd = yd;
        a->ycum = ycum;
        a->mel_e = mel_e;
        a->ring = ring;
        *out = a;
    }
    return (size_t)(ar.at - base);
}

size_t cs_frame_analyser_bytes(const cs_frame_config *c)
{
    if (cs_frame_config_check(c) != CS_FRAME_OK) return 0;
    fr_dims d;
    dims_of(c, &d);
    /* measured from a base address with the worst misalignment, plus one alignment of slack */
    size_t used = layout(&d, (uintptr_t)1, SIZE_MAX / 2, NULL);
    return used ? used + CS_FR_ALIGN : 0;
}

/* Sparse Slaney filterbank with area normalisation (2 / (f_{m+2} - f_m)), as in DESCRIPTORS.md. */
static void build_mel(cs_frame_analyser *a, int mel_cap)
{
    const int M = a->n_mels, K = a->K;
    const double sr = a->sr;
    double fp[512 + 2];
    const double m_lo = hz_to_mel((double)a->c.mel_fmin), m_hi = hz_to_mel((double)a->c.mel_fmax);
    for (int i = 0; i < M + 2; i++)
        fp[i] = mel_to_hz(m_lo + (m_hi - m_lo) * (double)i / (double)(M + 1));
    /* first pass: the non-zero bin range of each triangle */
    int total = 0;
    for (int m = 0; m < M; m++) {
        int first = -1, last = -2;
        for (int k = 0; k < K; k++) {
            double f = (double)k * sr / (double)a->N;
            if (f > fp[m] && f < fp[m + 2]) {
                if (first < 0) first = k;
                last = k;
            }
        }
        if (first < 0) { /* a band narrower than a bin: empty, its energy is 0 (then floored) */
            first = 0;
            last = -1;
        }
        if (total + (last - first + 1) > mel_cap) last = first + (mel_cap - total) - 1; /* never: see dims_of */
        a->mel_first[m] = first;
        a->mel_count[m] = last - first + 1;
        a->mel_off[m] = total;
        total += a->mel_count[m];
    }
    for (int m = 0; m < M; m++) {
        const double lo = fp[m], c = fp[m + 1], hi = fp[m + 2];
        const double enorm = 2.0 / (hi - lo);
        for (int j = 0; j < a->mel_count[m]; j++) {
            double f = (double)(a->mel_first[m] + j) * sr / (double)a->N;
            double up = (f - lo) / (c - lo), down = (hi - f) / (hi - c);
            double t = up < down ? up : down;
            a->mel_w[a->mel_off[m] + j] = (t > 0.0 ? t : 0.0) * enorm;
        }
    }
}

int cs_frame_analyser_init(void *mem, size_t bytes, const cs_frame_config *c, const cs_fft_ops *fft,
                           cs_frame_analyser **out)
{
    if (!out) return CS_FRAME_E_ARG;
    *out = NULL;
    if (!fft || cs_frame_config_check(c) != CS_FRAME_OK) return CS_FRAME_E_ARG;
    fr_dims d;
    dims_of(c, &d);
    if (!fft->r2c || !fft->c2r) return CS_FRAME_E_FFT;
    if (fft->max_n != 0 && (fft->max_n < d.N || fft->max_n < d.M)) return CS_FRAME_E_FFT;
    if (!mem || bytes < cs_frame_analyser_bytes(c)) return CS_FRAME_E_MEMORY;
    cs_frame_analyser *a = NULL;
    if (!layout(&d, (uintptr_t)mem, bytes, &a)) return CS_FRAME_E_MEMORY;
    a->c = *c;
    a->fft = *fft;
    a->sr = (double)c->sample_rate;
    a->N = d.N;
    a->K = d.K;
    a->hop = c->hop;
    a->n_mels = d.n_mels;
    a->yin_W = d.W;
    a->yin_M = d.M;
    a->yin_q = d.q;
    a->yin_R = d.R;
    a->yin_stride = d.stride;
    a->tau_min = d.tau_min;
    a->tau_max = d.tau_max;
    a->ctx = d.ctx;
    a->cap = d.cap;
    a->mask = d.cap - 1;

    const double two_pi = 6.283185307179586476925286766559;
    double ws = 0.0, ws2 = 0.0;
    for (int j = 0; j < a->N; j++) {
        double w = 0.5 - 0.5 * cos(two_pi * (double)j / (double)a->N);
        a->window[j] = (float)w;
        ws += (double)a->window[j];
        ws2 += (double)a->window[j] * (double)a->window[j];
    }
    a->win_sq_sum = ws2;
    a->flux_gain = (float)(CS_FR_FLUX_LAMBDA * 2.0 / ws);
    const double pi = 3.14159265358979323846264338327950;
    for (int q = 0; q < CS_FR_N_MFCC; q++) {
        double scale = sqrt((q == 0 ? 1.0 : 2.0) / (double)a->n_mels);
        for (int m = 0; m < a->n_mels; m++)
            a->dct[q * a->n_mels + m] =
                scale * cos(pi * (double)q * (2.0 * (double)m + 1.0) / (2.0 * (double)a->n_mels));
    }
    build_mel(a, d.mel_cap);
    /* the zero padding of the YIN buffers is written once and never touched again */
    memset(a->ya, 0, (size_t)a->yin_M * sizeof(float));
    memset(a->yb, 0, (size_t)a->yin_M * sizeof(float));
    cs_frame_analyser_reset(a);
    *out = a;
    return CS_FRAME_OK;
}

uint64_t cs_frame_analyser_seek(cs_frame_analyser *a, uint64_t first)
{
    if (!a) return 0;
    /* exact caches start empty */
    for (int r = 0; r < a->yin_R; r++)
        a->yring_tag[r] = INT64_MIN;
    a->zc_a = 0;
    a->zc_b = -1;
    a->n_end = CS_FR_UNKNOWN_END;
    a->end_frame = UINT64_MAX;
    a->bad = 0;
    a->finished = 0;
    a->first = first;
    memset(a->lm_prev, 0, (size_t)a->K * sizeof(float)); /* before frame 0: silence */
    /* from frame first - 1 on (its log-magnitudes for the flux), whose window starts before frame first's */
    a->next = first > 0 ? first - 1 : 0;
    int64_t c = (int64_t)a->next * a->hop;
    int64_t from = first > 0 ? c - a->N / 2 : 0;
    int64_t from2 = (int64_t)first * a->hop - a->ctx;
    if (from2 < from) from = from2;
    if (from < 0) from = 0;
    a->pushed = from;
    return (uint64_t)from;
}

void cs_frame_analyser_reset(cs_frame_analyser *a)
{
    cs_frame_analyser_seek(a, 0);
}

void cs_frame_analyser_limit(cs_frame_analyser *a, uint64_t end)
{
    if (a) a->end_frame = end;
}

int cs_frame_lookahead(const cs_frame_analyser *a)
{
    return a ? (int)a->ctx - 1 : -1;
}

uint64_t cs_frame_analyser_bad_samples(const cs_frame_analyser *a)
{
    return a ? a->bad : 0;
}

const cs_frame_config *cs_frame_analyser_config(const cs_frame_analyser *a)
{
    return a ? &a->c : NULL;
}
/* ------------------------------------------------------------------ per-frame kernels */

/* Signal sample j's address in the ring (j must be held: pushed - cap <= j < pushed); the next cap - 1 samples
 * follow it contiguously (the ring's mirror half). */
static inline const float *xp(const cs_frame_analyser *a, int64_t j)
{
    return a->ring + (j & a->mask);
}

/* Copy signal samples [start, start+len) into dst, zero outside [0, n); optionally multiplied by win. The
 * samples inside the signal must be held. */
static void load_segment(const cs_frame_analyser *a, int64_t start, int len, const float *restrict win,
                         float *restrict dst)
{
    int64_t lo = start < 0 ? -start : 0; /* first j with start + j inside the signal */
    int64_t hi = a->n_end - start;       /* first j past its end */
    if (lo > len) lo = len;
    if (hi > len) hi = len;
    if (hi < lo) hi = lo;
    for (int64_t j = 0; j < lo; j++)
        dst[j] = 0.0f;
    if (hi > lo) {
        const float *restrict x = xp(a, start + lo); /* x[j - lo] = sample start + j, for lo <= j < hi */
        if (win) {
            for (int64_t j = lo; j < hi; j++)
                dst[j] = x[j - lo] * win[j];
        } else {
            for (int64_t j = lo; j < hi; j++)
                dst[j] = x[j - lo];
        }
    }
    for (int64_t j = hi; j < len; j++)
        dst[j] = 0.0f;
}

/* Spectrum of frame i into a->spec, |X_k|^2 into a->power, |X_k| into a->mag, ln(1 + lambda A_k) into lm. */
static void frame_spectrum(cs_frame_analyser *a, uint64_t i, float *lm)
{
    const int64_t c = (int64_t)i * a->hop;
    load_segment(a, c - a->N / 2, a->N, a->window, a->frame);
    a->fft.r2c(a->fft.ctx, a->N, a->frame, a->spec);
    const int K = a->K;
    const float g = a->flux_gain;
    const float *X = a->spec;
    float *P = a->power;
    for (int k = 0; k < K; k++)
        P[k] = X[2 * k] * X[2 * k] + X[2 * k + 1] * X[2 * k + 1];
    float *A = a->mag;
    for (int k = 0; k < K; k++)
        A[k] = sqrtf(P[k]);
    for (int k = 0; k < K; k++)
        lm[k] = logf(1.0f + g * A[k]);
}

/* YIN d(tau), tau = 1 .. t, computed lazily: a->yd[tau] and a->ycum[tau] for tau <= *done are valid. */
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
static int yin_half(cs_frame_analyser *a, int64_t start, int slot)
{
    if (a->yring_tag[slot] == start) return slot;
    const int W = a->yin_W;
    load_segment(a, start, W, NULL, a->yb); /* yb[W..M) stays 0 */
    float *dst = a->yring + (size_t)slot * (size_t)a->yin_stride;
    a->fft.r2c(a->fft.ctx, a->yin_M, a->yb, dst);
    const float *b = a->yb;
    double e0 = 0.0, e1 = 0.0, e2 = 0.0, e3 = 0.0;
    for (int j = 0; j < W; j += 4) { /* W is a power of two >= 64 */
        e0 += (double)b[j] * (double)b[j];
        e1 += (double)b[j + 1] * (double)b[j + 1];
        e2 += (double)b[j + 2] * (double)b[j + 2];
        e3 += (double)b[j + 3] * (double)b[j + 3];
    }
    a->yring_e[slot] = (e0 + e1) + (e2 + e3);
    a->yring_tag[slot] = a->yin_q > 0 ? start : INT64_MIN;
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
static void frame_yin(cs_frame_analyser *a, uint64_t i, double *f0, double *conf)
{
    const int W = a->yin_W, tmax = a->tau_max, tmin = a->tau_min;
    const int M = a->yin_M, MK = M / 2 + 1;
    const int64_t c = (int64_t)i * a->hop;
    int slot_lo = 0, slot_hi = 1;
    if (a->yin_q > 0) {
        slot_lo = (int)(i % (uint64_t)a->yin_R);
        slot_hi = (int)((i + (uint64_t)a->yin_q) % (uint64_t)a->yin_R);
    }
    slot_lo = yin_half(a, c - W, slot_lo);
    slot_hi = yin_half(a, c, slot_hi);
    const double e0 = a->yring_e[slot_lo];
    const double etot = e0 + a->yring_e[slot_hi];
    if (etot <= (double)M * CS_FR_YIN_SILENT_RMS * CS_FR_YIN_SILENT_RMS) {
        *f0 = 0.0;
        *conf = 0.0;
        return;
    }
    const float *L = a->yring + (size_t)slot_lo * (size_t)a->yin_stride; /* interleaved re, im */
    const float *Hs = a->yring + (size_t)slot_hi * (size_t)a->yin_stride;
    float *C = a->YC;
    for (int k = 0; k + 1 < MK; k += 2) { /* pairs (even, odd) up to W - 1; MK = W + 1, k = W after the loop */
        const float lr0 = L[2 * k], li0 = L[2 * k + 1], hr0 = Hs[2 * k], hi0 = Hs[2 * k + 1];
        const float lr1 = L[2 * k + 2], li1 = L[2 * k + 3], hr1 = Hs[2 * k + 2], hi1 = Hs[2 * k + 3];
        C[2 * k] = (lr0 * lr0 + li0 * li0) + (lr0 * hr0 + li0 * hi0);
        C[2 * k + 1] = lr0 * hi0 - li0 * hr0;
        C[2 * k + 2] = (lr1 * lr1 + li1 * li1) - (lr1 * hr1 + li1 * hi1);
        C[2 * k + 3] = -(lr1 * hi1 - li1 * hr1);
    }
    { /* k = W (even) */
        const int kw = 2 * (MK - 1);
        const float lr = L[kw], li = L[kw + 1], hr = Hs[kw], hi = Hs[kw + 1];
        C[kw] = (lr * lr + li * li) + (lr * hr + li * hi);
        C[kw + 1] = lr * hi - li * hr;
    }
    a->fft.c2r(a->fft.ctx, M, a->YC, a->yr);
    const float *seg;
    if (c - W >= 0 && c + W <= a->n_end) {
        seg = xp(a, c - W); /* inside the signal: read in place (the ring is contiguous over M <= cap samples) */
    } else {
        load_segment(a, c - W, M, NULL, a->ya);
        seg = a->ya;
    }

    double *d = a->yd, *cum = a->ycum;
    yin_state y = {seg, a->yr, 1.0 / (double)M, e0, 0.0, 0.0, 0.0, W, 0};
    d[0] = 0.0;
    cum[0] = 0.0;
    const double thr = (double)a->c.yin_threshold;
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
    *f0 = a->sr / ((double)tau + delta);
    double cf = 1.0 - dn_value(d, cum, tau);
    *conf = cf < 0.0 ? 0.0 : (cf > 1.0 ? 1.0 : cf);
}

/* Zero crossings (sign changes of x, 0 counting as positive) of the pairs (j, j+1), from <= j < to. */
static long zc_pairs(const float *x, int64_t from, int64_t to)
{
    long c0 = 0, c1 = 0;
    int64_t j = from;
    for (; j + 2 <= to; j += 2) {
        c0 += (x[j] < 0.0f) != (x[j + 1] < 0.0f);
        c1 += (x[j + 1] < 0.0f) != (x[j + 2] < 0.0f);
    }
    for (; j < to; j++)
        c0 += (x[j] < 0.0f) != (x[j + 1] < 0.0f);
    return c0 + c1;
}

/* Crossings inside the frame's samples [lo, hi) (hi <= n): the pairs lo <= j < hi - 1. Integer counts are exact, so
 * sliding the count from the previous frame gives the same number as counting afresh. */
static long frame_zc(cs_frame_analyser *a, int64_t lo, int64_t hi)
{
    int64_t pe = hi - 1 > lo ? hi - 1 : lo; /* pairs [lo, pe) */
    if (a->zc_b >= 0 && lo >= a->zc_a && pe >= a->zc_b && lo <= a->zc_b) {
        a->zc_count += zc_pairs(xp(a, a->zc_b), 0, pe - a->zc_b) - zc_pairs(xp(a, a->zc_a), 0, lo - a->zc_a);
    } else {
        a->zc_count = zc_pairs(xp(a, lo), 0, pe - lo);
    }
    a->zc_a = lo;
    a->zc_b = pe;
    return a->zc_count;
}

/* Rolloff: the first bin whose cumulative power reaches rolloff * total, by a scan of the nb 8-bin power blocks
 * blk (blk[nb] = the tail) and then of the bins. */
static int frame_rolloff_bin(const cs_frame_analyser *a, const float *P, const double *blk, int nb)
{
    const int K = a->K;
    double total = 0.0;
    for (int b = 0; b <= nb; b++)
        total += blk[b];
    const double target = (double)a->c.rolloff * total;
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
static float frame_peak(const cs_frame_analyser *a, uint64_t i)
{
    const int64_t c = (int64_t)i * a->hop;
    int64_t lo = c - a->hop / 2, b = lo + a->hop;
    if (lo < 0) lo = 0;
    if (b > a->n_end) b = a->n_end;
    float pk0 = 0.0f, pk1 = 0.0f, pk2 = 0.0f, pk3 = 0.0f; /* max is exact in any order */
    if (b <= lo) return 0.0f;
    const float *x = xp(a, lo); /* x[j] = sample lo + j, for 0 <= j < b - lo */
    b -= lo;
    int64_t jp = 0;
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
static double frame_zcr(cs_frame_analyser *a, uint64_t i)
{
    const int64_t c = (int64_t)i * a->hop;
    int64_t lo = c - a->N / 2, hi = c + a->N / 2;
    if (lo < 0) lo = 0;
    if (hi > a->n_end) hi = a->n_end;
    long cross = frame_zc(a, lo, hi);
    return hi - lo >= 2 ? (double)cross * a->sr / (double)(hi - lo - 1) : 0.0;
}

/* MFCCs of power spectrum P: mel energies (sparse triangles), log with floor, DCT-II. */
static void frame_mfcc(cs_frame_analyser *a, const float *P, double *mfcc)
{
    double *L = a->mel_e;
    for (int m = 0; m < a->n_mels; m++) {
        const double *wt = a->mel_w + a->mel_off[m];
        const float *Pm = P + a->mel_first[m];
        const int cnt = a->mel_count[m];
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
        const double *dr = a->dct + q * a->n_mels;
        double acc = 0.0;
        for (int m = 0; m < a->n_mels; m++)
            acc += dr[m] * L[m];
        mfcc[q] = acc;
    }
}

/* All CS_FF_COUNT features of frame i into row; a->lm_prev holds frame i-1's log-magnitudes (zeros for i=0).
 * About 130 lines, on purpose: the single pass over the bins keeps seven sums in four register chains at once
 * (its macro and unrolled loop are most of the length); split into passes it would read the spectrum once per
 * feature (tests/bench/bench_frames measures this loop). The other features are functions of their own. */
static void frame_features(cs_frame_analyser *a, uint64_t i, float *row)
{
    const int K = a->K, N = a->N;
    const double sr = a->sr;
    const double df = sr / (double)N;
    frame_spectrum(a, i, a->lm_cur);
    const float *P = a->power;

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
    const float *lc = a->lm_cur, *lp = a->lm_prev, *Amag = a->mag;
    double *blk = a->blk;
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
    const double rms = sqrt(e_time / a->win_sq_sum);

    double centroid = 0.0, spread = 0.0, rolloff = 0.0;
    if (rms >= CS_FR_SILENT_RMS && Sm > 0.0 && Sp > 0.0) {
        const double mu = Sfm / Sm;
        const double var = Sf2m / Sm - mu * mu;
        centroid = mu * df;
        spread = (var > 0.0 ? sqrt(var) : 0.0) * df;
        rolloff = (double)frame_rolloff_bin(a, P, blk, nb) * df;
    }

    /* flatness: exp(mean ln max(P, floor)) / mean max(P, floor) */
    const double ln2 = 0.69314718055994530941723212145818;
    const double log_prod = (log(pr0) + log(pr1)) + (log(pr2) + log(pr3)) + (double)expo * ln2;
    double flatness = exp(log_prod / (double)K) / (Sfl / (double)K);
    if (flatness > 1.0) flatness = 1.0;
    if (flatness < 0.0) flatness = 0.0;

    const float peak = frame_peak(a, i);

    const double zcr = frame_zcr(a, i);

    double mfcc[CS_FR_N_MFCC];
    frame_mfcc(a, P, mfcc);

    double f0, conf;
    frame_yin(a, i, &f0, &conf);

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

/* ------------------------------------------------------------------ streaming */

/* Frame `next`: features and emission, or (before `first`, after a seek) only the flux's log-magnitudes. */
static int compute_next(cs_frame_analyser *a, cs_frame_emit emit, void *user)
{
    const uint64_t i = a->next++;
    if (i < a->first) {
        frame_spectrum(a, i, a->lm_prev);
        return 0;
    }
    frame_features(a, i, a->row);
    float *t = a->lm_prev;
    a->lm_prev = a->lm_cur;
    a->lm_cur = t;
    emit(user, i, a->row);
    return 1;
}

/* The sample at which frame `next` is complete: its centre + ctx (the last context sample is centre + ctx - 1). */
static int64_t ready_at(const cs_frame_analyser *a)
{
    return (int64_t)a->next * a->hop + a->ctx;
}

/* Write k samples into the ring (both halves), replacing a non-finite sample by 0 and clamping a huge one. */
static void ring_write(cs_frame_analyser *a, const float *x, size_t k)
{
    float *ring = a->ring;
    const int64_t cap = a->cap, mask = a->mask;
    int64_t j = a->pushed;
    for (size_t u = 0; u < k; u++, j++) {
        float v = x[u];
        if (!(fabsf(v) <= CS_FRAME_MAX_SAMPLE)) { /* NaN, +-inf or huge */
            a->bad++;
            v = isnan(v) ? 0.0f : (isinf(v) ? 0.0f : (v > 0.0f ? CS_FRAME_MAX_SAMPLE : -CS_FRAME_MAX_SAMPLE));
        }
        const int64_t p = j & mask;
        ring[p] = v;
        ring[p + cap] = v;
    }
    a->pushed = j;
}

int cs_frame_analyser_push(cs_frame_analyser *a, const float *x, size_t n, cs_frame_emit emit, void *user)
{
    if (!a || !emit || (!x && n > 0)) return CS_FRAME_E_ARG;
    if (a->finished) return 0;
    int emitted = 0;
    for (;;) {
        /* every frame the samples so far complete, in order (the ring still holds its whole context) */
        while (a->next < a->end_frame && a->pushed >= ready_at(a))
            emitted += compute_next(a, emit, user);
        if (n == 0) break;
        /* then the samples up to the next frame's completion (all of them when no frame is due) */
        size_t k = n;
        if (a->next < a->end_frame) {
            const int64_t need = ready_at(a) - a->pushed; /* > 0 after the loop above */
            if ((uint64_t)need < (uint64_t)k) k = (size_t)need;
        }
        ring_write(a, x, k);
        x += k;
        n -= k;
    }
    return emitted;
}

int cs_frame_analyser_finish(cs_frame_analyser *a, cs_frame_emit emit, void *user)
{
    if (!a || !emit) return CS_FRAME_E_ARG;
    if (a->finished) return 0;
    a->finished = 1;
    a->n_end = a->pushed;
    /* the signal's n / hop + 1 frames: the rest read zeros past the end, which load_segment supplies */
    uint64_t end = (uint64_t)a->n_end / (uint64_t)a->hop + 1;
    if (end > a->end_frame) end = a->end_frame;
    int emitted = 0;
    while (a->next < end)
        emitted += compute_next(a, emit, user);
    return emitted;
}
