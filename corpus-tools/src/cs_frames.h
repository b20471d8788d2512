/*
 * cs_frames.h - frame analysis of a mono signal at the corpus rate: the descriptor frames that unit
 * descriptors, onset detection and novelty segmentation are computed from.
 *
 * A multi-thread host of the real-time core's streaming analyser (plugins/core/cs_frame.h: every feature's
 * code, CS_FF_* columns, cs_frame_config), which ConcatListen hosts on the server: the CLI's frames and the
 * live ones are the same numbers. Frame i is centred on sample i*hop and covers [i*hop - fft_size/2,
 * i*hop + fft_size/2), zero-padded outside the signal; n_frames = n_samples / hop + 1. Offline code:
 * allocates, creates threads, not real-time safe. Every feature is defined, with formula, constants and
 * references, in corpus-tools/DESCRIPTORS.md.
 */
#ifndef CS_FRAMES_H
#define CS_FRAMES_H

#include "cs_frame.h" /* CS_FF_*, CS_FRAME_NUM_MFCC, cs_frame_config: the analyser in the real-time core */

#include <stddef.h>

/** Analysis settings as the CLI holds them (the manifest shows these values); the analysis uses their float32
 * roundings (cs_frame_params_config), which the unit table stores. cs_frame_params_default() fills the
 * documented defaults (CS_FRAME_DEFAULT_* of cs_frame.h). */
typedef struct cs_frame_params {
    int sample_rate;      /* Hz, > 0 */
    int fft_size;         /* samples, power of two 256..16384; default 2048 */
    int hop;              /* samples, 1..fft_size; default 512 */
    int n_mels;           /* mel bands; default 40 */
    double mel_fmin;      /* Hz; default 20 */
    double mel_fmax;      /* Hz; default min(16000, sample_rate / 2) */
    double rolloff;       /* energy fraction for CS_FF_ROLLOFF; default 0.85 */
    double yin_threshold; /* YIN absolute threshold; default 0.15 */
    double f0_min;        /* Hz; default 50 */
    double f0_max;        /* Hz; default min(2000, sample_rate / 4) */
} cs_frame_params;

/** Descriptor frames: data is (n_frames, CS_FF_COUNT) row-major, owned, freed by cs_frames_free. */
typedef struct cs_frames {
    size_t n_frames;
    int hop;
    int sample_rate;
    float *data;
} cs_frames;

/** Fill `p` with the defaults for `sample_rate` (Hz). No allocation; real-time safe. */
void cs_frame_params_default(cs_frame_params *p, int sample_rate);

/** The analyser configuration of `p`: every value rounded to float32 (what the unit table stores and what the
 * analysis uses). Returns 0, or CS_E_ARG (NULL, or a value outside cs_frame_config_check's ranges; then *c is
 * zeroed). No allocation. */
int cs_frame_params_config(const cs_frame_params *p, cs_frame_config *c);

/**
 * Analyse `n` mono samples `x` (linear, full scale +-1) with `n_threads` threads (>= 1; more threads than
 * frames, or than 64, are not used); the result is bitwise identical for any n_threads. `out->data` gets
 * n / hop + 1 rows of CS_FF_COUNT floats, owned by the caller (cs_frames_free).
 * Returns 0, CS_E_ARG (NULL pointer, n_threads < 1 or params out of the documented ranges: fft_size a power
 * of two 256..16384, 1 <= hop <= fft_size, 13 <= n_mels <= 512, 0 <= mel_fmin < mel_fmax <= sr/2,
 * 0 < rolloff <= 1, 0 < yin_threshold < 1, 0 < f0_min < f0_max <= sr/2, sr/f0_min <= 16384),
 * CS_E_EMPTY (n == 0), CS_E_NONFINITE (a NaN or infinite sample), CS_E_NOMEM, or CS_E_INTERNAL (an FFTW
 * plan failed). On error `out` is left empty. Not real-time safe (allocates, creates threads, plans FFTW).
 * Cost: per frame one r2c FFT of fft_size and one r2c + one c2r FFT of the YIN size 2 W (W = the YIN window,
 * the power of two above sr / f0_min; two r2c when hop does not divide W); about 18 us per frame per thread
 * at the defaults and 48 kHz (tests/bench/bench_frames).
 */
int cs_frames_analyze(const float *x, size_t n, const cs_frame_params *p, int n_threads, cs_frames *out);

/**
 * Frame analysis of a signal given in pieces, so the signal never has to be held whole: the frames come out
 * bitwise identical to cs_frames_analyze of the concatenated pieces (for any piece sizes and thread counts).
 * Memory: a fixed buffer of about 1 M samples plus twice the frame context (fft_size / 2 or the YIN window,
 * whichever is larger), the per-thread work buffers, and the frames (CS_FF_COUNT floats per hop).
 * cs_frames_stream_new takes the parameters and n_threads as cs_frames_analyze does (CS_E_ARG, CS_E_NOMEM,
 * CS_E_INTERNAL when an FFTW plan fails); on success *out is owned by the caller (cs_frames_stream_free).
 * cs_frames_stream_push appends n samples x (copied; x may be NULL when n == 0) and analyses every frame whose
 * samples are all held; it returns CS_E_NONFINITE for a NaN or infinite sample, CS_E_ARG for |x| > 1e12
 * (both sticky: later calls return them too), CS_E_NOMEM. cs_frames_stream_finish ends the signal (its
 * length is then known), analyses the last frames and moves the n / hop + 1 frames into `out` (owned by the
 * caller, cs_frames_free); CS_E_EMPTY when no sample was pushed; after it the stream takes no more samples.
 * Not real-time safe (allocates, creates threads, plans FFTW).
 */
typedef struct cs_frames_stream cs_frames_stream;
int cs_frames_stream_new(const cs_frame_params *p, int n_threads, cs_frames_stream **out);
int cs_frames_stream_push(cs_frames_stream *st, const float *x, size_t n);
int cs_frames_stream_finish(cs_frames_stream *st, cs_frames *out);
/** Free a stream (and any frames it still holds); safe on NULL. */
void cs_frames_stream_free(cs_frames_stream *st);

/** Free the frames' memory; safe on a zeroed or already freed struct. */
void cs_frames_free(cs_frames *f);

#endif
