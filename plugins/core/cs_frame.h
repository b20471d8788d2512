/*
 * cs_frame.h - the streaming STFT frame analyser: the per-frame descriptors of `concatseq analyze` (RMS, peak,
 * spectral centroid, spread, flatness, rolloff, log spectral flux, zero-crossing rate, YIN f0 and confidence,
 * MFCCs), computed in caller memory, real-time safe after init. The CLI (corpus-tools/src/cs_frames.c, one
 * analyser per thread) and the ConcatListen UGen host this same code, so offline and live frames are the same
 * numbers by construction.
 *
 * Frame i is centred on sample i*hop and covers [i*hop - fft_size/2, i*hop + fft_size/2); the signal is zero
 * before sample 0 and after its end; a signal of n samples has n / hop + 1 frames. Every feature is defined, with
 * formula, constants and references, in corpus-tools/DESCRIPTORS.md (STFT with a periodic Hann window; Slaney
 * mel filterbank + orthonormal DCT-II; YIN after de Cheveigne & Kawahara 2002; log spectral flux after Bello et
 * al. 2005 / Boeck et al. 2012).
 *
 * The FFT is not home-made: the host supplies it (cs_fft_ops; plugins/core/cs_fft.h is the FFTW host that both
 * the CLI and the plugins use: plans made off the audio thread, executed with FFTW's new-array API).
 */
#ifndef CS_FRAME_H
#define CS_FRAME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** MFCC coefficients per frame (c0..c12); the unit descriptors mfcc0.. take them one each
 * (cs_describe.c checks that CS_D_NUM_MFCC of cs_descriptor_table.h agrees). */
#define CS_FRAME_NUM_MFCC 13

/** Columns of one descriptor frame (one row = CS_FF_COUNT floats). */
enum cs_frame_feature {
    CS_FF_RMS = 0,  /* RMS amplitude of the Hann-windowed frame, linear (>= 0; a sine of amplitude a: a/sqrt2) */
    CS_FF_PEAK,     /* max |x| over the hop centred on the frame, linear */
    CS_FF_CENTROID, /* spectral centroid, Hz (0 for a silent frame) */
    CS_FF_SPREAD,   /* spectral spread (std around the centroid), Hz */
    CS_FF_FLATNESS, /* spectral flatness (geometric / arithmetic mean of power, floored), 0..1; 1 for silence */
    CS_FF_ROLLOFF,  /* frequency below which `rolloff` of the energy lies, Hz (0 for a silent frame) */
    CS_FF_FLUX,     /* (1/K) sum_k max(0, ln(1 + 1000 A_k) - previous frame's), A_k the amplitude spectrum;
                     * >= 0, peaks at attacks (the onset detection function) */
    CS_FF_ZCR,      /* zero-crossing rate, crossings per second (Hz) */
    CS_FF_F0,       /* YIN fundamental frequency, Hz (0 when unvoiced) */
    CS_FF_F0_CONF,  /* YIN confidence 1 - d'(tau), 0..1 (also set for unvoiced frames: 1 - min d') */
    CS_FF_MFCC0,    /* MFCC c0..c12 follow: orthonormal DCT-II of ln(max(Slaney mel energy, 1e-10)) */
    CS_FF_COUNT = CS_FF_MFCC0 + CS_FRAME_NUM_MFCC
};

/** Errors of this module (the core cannot depend on corpus-tools' cs_err). 0 = success. */
typedef enum cs_frame_err {
    CS_FRAME_OK = 0,
    CS_FRAME_E_ARG = -1,    /* NULL pointer, or a configuration value outside its documented range */
    CS_FRAME_E_MEMORY = -2, /* caller memory NULL or smaller than cs_frame_analyser_bytes() */
    CS_FRAME_E_FFT = -3     /* the FFT ops are missing a function or cannot transform the sizes needed */
} cs_frame_err;

/** Static one-line English message for a cs_frame_err (never NULL). Thread-safe, RT-safe. */
const char *cs_frame_strerror(int err);

/* Largest YIN lag (sample_rate / f0_min), samples: bounds the YIN buffers (the window W is the power of two above
 * the lag: at most 32768, its FFT 2 W at most 65536). */
#define CS_FRAME_MAX_LAG 16384
/* The largest FFT the analyser asks for (the YIN FFT at the largest lag; fft_size is at most 16384): a host
 * serving every configuration plans up to this size. */
#define CS_FRAME_MAX_FFT 65536
/* Largest |x| analysed; larger samples are clamped to it (keeps |X_k|^2 inside float range). */
#define CS_FRAME_MAX_SAMPLE 1e12f

/**
 * Analysis settings. Every value is what the unit table stores (float32), so a live analyser configured from a
 * bundle computes what `analyze` computed. cs_frame_config_default() fills the documented defaults; ranges (checked
 * by cs_frame_config_check):
 *   sample_rate    Hz, finite, 0 < sr <= 1e6
 *   fft_size       samples, a power of two 256..16384 (default 2048)
 *   hop            samples, 1..fft_size (default 512)
 *   n_mels         mel bands, 13..512 (default 40)
 *   mel_fmin/fmax  Hz, 0 <= fmin < fmax <= sr/2 (default 20, min(16000, sr/2))
 *   rolloff        energy fraction of CS_FF_ROLLOFF, 0 < r <= 1 (default 0.85)
 *   yin_threshold  YIN absolute threshold, 0 < t < 1 (default 0.15)
 *   f0_min/f0_max  Hz, 0 < f0_min < f0_max <= sr/2, sr / f0_min <= CS_FRAME_MAX_LAG (default 50, min(2000, sr/4))
 */
/* The defaults, written once (cs_frame_config_default; the CLI's cs_frame_params_default keeps them as the
 * decimal values the manifest shows, analysed as their float32 roundings). */
#define CS_FRAME_DEFAULT_FFT_SIZE      2048
#define CS_FRAME_DEFAULT_HOP           512
#define CS_FRAME_DEFAULT_N_MELS        40
#define CS_FRAME_DEFAULT_MEL_FMIN      20.0
#define CS_FRAME_DEFAULT_MEL_FMAX      16000.0 /* or sample_rate / 2 when lower */
#define CS_FRAME_DEFAULT_ROLLOFF       0.85
#define CS_FRAME_DEFAULT_YIN_THRESHOLD 0.15
#define CS_FRAME_DEFAULT_F0_MIN        50.0
#define CS_FRAME_DEFAULT_F0_MAX        2000.0 /* or sample_rate / 4 when lower */

typedef struct cs_frame_config {
    float sample_rate;
    int fft_size, hop, n_mels;
    float mel_fmin, mel_fmax, rolloff, yin_threshold, f0_min, f0_max;
} cs_frame_config;

/** Fill `c` with the defaults for `sample_rate` (Hz). No allocation; RT-safe. NULL c: nothing happens. */
void cs_frame_config_default(cs_frame_config *c, float sample_rate);

/** 0 when every field of `c` is inside the ranges above, else CS_FRAME_E_ARG (also for NULL). RT-safe. */
int cs_frame_config_check(const cs_frame_config *c);

/**
 * The FFT, supplied by the host (cs_fft.h: FFTW plans made off the audio thread). n is a power of two,
 * 2 <= n <= max_n; in and out never overlap and are 64-byte aligned (the analyser aligns its arrays itself).
 *   r2c: in = n reals; out = n/2+1 complex numbers, interleaved re, im; X_k = sum_j x_j e^{-2 pi i jk/n}.
 *   c2r: in = n/2+1 complex (interleaved; may be destroyed); out = n reals, unnormalised (n times the inverse).
 * Both must be real-time safe and deterministic (the same bits for the same input). max_n = 0: any size the
 * analyser asks for (at most CS_FRAME_MAX_FFT).
 */
typedef struct cs_fft_ops {
    void *ctx;
    void (*r2c)(void *ctx, int n, float *in, float *out);
    void (*c2r)(void *ctx, int n, float *in, float *out);
    int max_n;
} cs_fft_ops;

/** One streaming analyser; lives in caller memory (cs_frame_analyser_bytes). */
typedef struct cs_frame_analyser cs_frame_analyser;

/**
 * Bytes of caller memory one analyser needs for `c` (tables, work arrays, sample ring, state, and the slack to
 * align them: any alignment of `mem` works). 0 when the configuration is invalid. About 170 kB at the defaults
 * at 48 kHz; at most about 3.5 MB (fft 16384, hop 1, 512 mels, the largest YIN lag). RT-safe (arithmetic only).
 */
size_t cs_frame_analyser_bytes(const cs_frame_config *c);

/**
 * Lay an analyser out in `mem` (`bytes` >= cs_frame_analyser_bytes(c)) and build its tables: Hann window,
 * sparse Slaney mel filterbank, DCT-II matrix. No allocation, no FFT call; bounded, O(fft_size * n_mels) (a few
 * ms at most; do it off the audio thread when it can be). The analyser keeps a copy of `c` and of `*fft`; `mem`
 * stays the caller's (free it after the analyser's last use; nothing else to release). The analyser starts at
 * sample 0 (cs_frame_analyser_reset). Returns 0 and *out, or CS_FRAME_E_ARG (NULL, bad config),
 * CS_FRAME_E_MEMORY (mem NULL or too small), CS_FRAME_E_FFT (an op missing, or max_n below the sizes needed);
 * on error *out is NULL.
 */
int cs_frame_analyser_init(void *mem, size_t bytes, const cs_frame_config *c, const cs_fft_ops *fft,
                           cs_frame_analyser **out);

/** Called once per frame, in frame order: frame = its index, row = CS_FF_COUNT floats (valid during the call). */
typedef void (*cs_frame_emit)(void *user, uint64_t frame, const float *row);

/**
 * Append n samples (x may be NULL when n == 0). The signal starts at sample 0 with the first sample ever pushed
 * (or at the sample cs_frame_analyser_seek returned); it is zero before sample 0, as offline. For each frame i
 * whose whole context has arrived, in order, calls emit(user, i, row), row bitwise what `concatseq analyze`
 * computes for frame i of the same signal. Latency: frame i (centred on i*hop) is emitted during the push that
 * delivers sample i*hop + cs_frame_lookahead(a). Non-finite samples are replaced by 0, |x| > CS_FRAME_MAX_SAMPLE
 * clamped to +-CS_FRAME_MAX_SAMPLE; both are counted (cs_frame_analyser_bad_samples), so rows stay finite.
 * Bounded: at most n / hop + 1 frames per call (the frames whose context the call completes), each at most one
 * r2c of fft_size, two r2c and one c2r of the YIN size M = 2 W (W = the YIN window, the power of two above
 * sr / f0_min) and O(fft_size + n_mels * 13 + W + tau_max) more work, whatever the signal (the YIN lag search
 * is bounded by tau_max), plus O(n) for the samples. Real-time safe (no allocation,
 * no lock, no I/O). Returns the number of frames emitted (>= 0), or CS_FRAME_E_ARG for a NULL analyser, or
 * x NULL with n > 0, or emit NULL.
 */
int cs_frame_analyser_push(cs_frame_analyser *a, const float *x, size_t n, cs_frame_emit emit, void *user);

/**
 * End of signal: emits the frames still pending (their context past the end is zero, the ZCR and peak windows
 * stop at the end), so that a signal of n samples has given n / hop + 1 frames in all. After it the analyser
 * takes no more samples until cs_frame_analyser_reset or _seek (push then returns 0 and emits nothing).
 * Bounded by (lookahead / hop + 1) frames. Real-time safe. Returns the number of frames emitted, or
 * CS_FRAME_E_ARG (NULL analyser or emit).
 */
int cs_frame_analyser_finish(cs_frame_analyser *a, cs_frame_emit emit, void *user);

/** Samples of look-ahead: frame i needs signal samples up to index i*hop + lookahead (max(fft_size/2, the YIN
 * window) - 1; 1023 at the defaults at 48 kHz). RT-safe. -1 for NULL. */
int cs_frame_lookahead(const cs_frame_analyser *a);

/** Back to sample 0: empty sample history, caches and flux memory, bad-sample count 0. RT-safe, O(1) plus
 * clearing the caches' tags. NULL: nothing happens. */
void cs_frame_analyser_reset(cs_frame_analyser *a);

/**
 * Start at frame `first` of a signal instead of at frame 0 (a thread of the CLI analysing its own range of
 * frames): resets, and returns the index of the first sample the host must push next (the frame's context and
 * the previous frame's, which the flux needs; 0 for the first frames). The frames emitted are then first,
 * first+1, ...: bitwise the frames of the whole signal. RT-safe. Returns 0 for NULL.
 */
uint64_t cs_frame_analyser_seek(cs_frame_analyser *a, uint64_t first);

/** Compute no frame at or after `end` (push and finish stop there; UINT64_MAX = no limit, the state after reset
 * or seek). For a host that splits the frames of one signal over several analysers. RT-safe. */
void cs_frame_analyser_limit(cs_frame_analyser *a, uint64_t end);

/** Samples replaced (non-finite) or clamped (|x| > CS_FRAME_MAX_SAMPLE) since the last reset/seek. RT-safe. */
uint64_t cs_frame_analyser_bad_samples(const cs_frame_analyser *a);

/** The analyser's configuration (a copy of init's). RT-safe. NULL for NULL. */
const cs_frame_config *cs_frame_analyser_config(const cs_frame_analyser *a);

#ifdef __cplusplus
}
#endif

#endif
