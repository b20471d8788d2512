/*
 * cs_audio.h - reading sources: finding audio files, decoding (libsndfile), resampling (libsoxr by default, or
 * libsamplerate),
 * channel mapping, checks for bad input. Offline code: allocates, not real-time safe.
 */
#ifndef CS_AUDIO_H
#define CS_AUDIO_H

#include "cs_error.h"

#include <stddef.h>
#include <stdint.h>

/**
 * The resamplers a source can be converted with (`concatseq analyze --resampler NAME`; the manifest's
 * analysis.resampler is cs_resampler_manifest[value]). 0..4 are libsamplerate's converters, numbered as its
 * SRC_* constants (the old --resample-quality Q); 5 and 6 are libsoxr's (the SoX resampler) SOXR_HQ (20-bit
 * precision, passband to 0.913 of the lower Nyquist, linear phase) and SOXR_VHQ (28-bit). The default,
 * CS_RESAMPLER_DEFAULT = soxr-hq, was chosen by measurement (tests/c/test_resample_quality.c,
 * tests/bench/run_analysis.sh): flatter passband, deeper stopband and less CPU than libsamplerate's sinc medium.
 */
enum cs_resampler {
    CS_RS_SRC_BEST = 0,
    CS_RS_SRC_MEDIUM = 1,
    CS_RS_SRC_FASTEST = 2,
    CS_RS_SRC_ZOH = 3,
    CS_RS_SRC_LINEAR = 4,
    CS_RS_SOXR_HQ = 5,
    CS_RS_SOXR_VHQ = 6,
    CS_RESAMPLER_COUNT = 7
};
#define CS_RESAMPLER_DEFAULT CS_RS_SOXR_HQ
extern const char *const cs_resampler_names[CS_RESAMPLER_COUNT];    /* CLI names: "src-medium", "soxr-hq", ... */
extern const char *const cs_resampler_manifest[CS_RESAMPLER_COUNT]; /* "SRC_SINC_MEDIUM_QUALITY", "SOXR_HQ", ... */

/** What a source was and what it became: the corpus-rate frame count and the file's own properties. */
typedef struct cs_audio {
    size_t frames; /* at the corpus rate, after decoding to the end */
    int channels;
    int sample_rate;
    /* what the file was */
    int original_rate;
    int original_channels;
    int64_t original_frames; /* the header's count until the end is reached, then the frames that decoded */
    char format[64];         /* libsndfile's major format name, e.g. "WAV (Microsoft)" */
} cs_audio;

/**
 * A source being decoded block by block (cs_audio_open / cs_audio_next / cs_audio_close), so that no file is
 * ever held whole: libsndfile reads CS_AUDIO_BLOCK frames at a time (fewer when upsampling by a large factor),
 * channels are mapped, and the resampler (libsoxr's soxr_process or libsamplerate's src_process) converts
 * them with its state kept between blocks (the same samples as one call over the whole file); a source
 * already at the corpus rate is not resampled at all (its samples pass through bitwise). Memory: a few blocks, fixed.
 * The fields are the reader's own; after the end, `decoded` is the frames that decoded and `nonzero` tells whether any
 * sample was not exactly 0.
 */
typedef struct cs_audio_reader {
    void *sf;   /* SNDFILE */
    void *src;  /* SRC_STATE, when resampling with libsamplerate */
    void *soxr; /* soxr_t, when resampling with libsoxr */
    double ratio;
    int ch_in, ch, src_rate, resample, resampler, eof, finished, nonzero;
    size_t block, in_pos, in_len, res_cap;
    float *raw, *mapped, *res;
    int64_t decoded;
    char msg[256]; /* after an error: what is wrong and the fix, without the path ("" when cs_strerror says it) */
} cs_audio_reader;

/** A sorted list of file paths (owned strings). */
typedef struct cs_pathlist {
    char **v;
    unsigned char *walked; /* per path: 1 = found inside a folder, 0 = named as a SOURCE */
    size_t n, cap;
} cs_pathlist;

void cs_pathlist_free(cs_pathlist *l);
/** Append a copy of path p (walked: found inside a folder); 0 or CS_E_NOMEM. */
int cs_pathlist_push(cs_pathlist *l, const char *p, int walked);

/**
 * Expand SOURCE arguments into audio files: a file is taken as given; a folder is walked recursively and its
 * files are sorted bytewise by path (deterministic order); hidden entries (".name") are skipped. A file inside
 * a folder that libsndfile cannot open is skipped with `warn` (or, if `strict`, is an error reported through
 * *bad_path). out->walked[i] tells a file found inside a folder (1) from one named as a SOURCE (0): the
 * analysis skips a silent file of the first kind only. Returns 0; CS_E_IO for a missing or unreadable path (its name in
 * *bad_path, static until the next call), CS_E_FORMAT for a non-audio file named directly (or inside a folder when
 * strict), CS_E_EMPTY when a folder holds no audio file; CS_E_NOMEM.
 */
int cs_collect_sources(char *const *args, size_t nargs, int strict, cs_warn_fn warn, void *user, cs_pathlist *out,
                       const char **bad_path);

/**
 * Open `path` for decoding to `rate` Hz with `resampler` (enum cs_resampler; used only when the file's rate
 * differs from `rate`) and `channels` channels: 1 mixes all channels down (mean); otherwise a file with exactly
 * `channels` channels is kept and a mono file is copied to every channel. Fills `info` from the header.
 * Errors (r->msg explains when it is set): CS_E_IO (cannot open), CS_E_FORMAT (not audio, or a damaged
 * header), CS_E_EMPTY (zero frames), CS_E_CHANNELS (any other channel count), CS_E_ARG (an unknown
 * resampler, or a sample rate that cannot be converted from: outside rate/256 .. rate*256), CS_E_NOMEM,
 * CS_E_INTERNAL (the resampling library, r->msg). On success `r` owns its buffers and the file (cs_audio_close, also
 * after an error of cs_audio_next); on error it holds nothing but msg.
 */
int cs_audio_open(const char *path, int rate, int channels, int resampler, cs_audio_reader *r, cs_audio *info);

/**
 * The next block of the source at the corpus rate: *frames x channels interleaved floats at *out, owned by
 * `r` and valid until the next call; *frames == 0 at the end (the file decodes no further: a truncated file
 * ends where its data does). Errors: CS_E_NONFINITE (a NaN or infinite sample), CS_E_ARG (|sample| > 1e12,
 * r->msg says where), CS_E_INTERNAL (the resampling library, r->msg). Digital silence is not an error here: see
 * r->nonzero after the end.
 */
int cs_audio_next(cs_audio_reader *r, const float **out, size_t *frames);

/** Close the file and free the reader's buffers; safe on a zeroed or closed reader. */
void cs_audio_close(cs_audio_reader *r);

/** FNV-1a 64-bit hash of a file's bytes (Fowler/Noll/Vo). Returns 0 and sets *hash, or CS_E_IO. */
int cs_file_fnv1a64(const char *path, uint64_t *hash);

/** FNV-1a 64 over a memory range, continuing from `h` (start with CS_FNV_OFFSET). */
#define CS_FNV_OFFSET 0xcbf29ce484222325ull
uint64_t cs_fnv1a64(const void *data, size_t n, uint64_t h);

#endif
