/*
 * cs_audio.h - reading sources: finding audio files, decoding (libsndfile), resampling (libsamplerate),
 * channel mapping, checks for bad input. Offline code: allocates, not real-time safe.
 */
#ifndef CS_AUDIO_H
#define CS_AUDIO_H

#include "cs_error.h"

#include <stddef.h>
#include <stdint.h>

/** A decoded source at the corpus rate: `frames` x `channels` interleaved floats, owned. */
typedef struct cs_audio {
    float *data; /* interleaved, frames * channels */
    size_t frames;
    int channels;
    int sample_rate;
    /* what the file was */
    int original_rate;
    int original_channels;
    int64_t original_frames;
    char format[64]; /* libsndfile's major format name, e.g. "WAV (Microsoft)" */
} cs_audio;

/** A sorted list of file paths (owned strings). */
typedef struct cs_pathlist {
    char **v;
    unsigned char *walked; /* per path: 1 = found inside a folder, 0 = named as a SOURCE */
    size_t n, cap;
} cs_pathlist;

void cs_pathlist_free(cs_pathlist *l);

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
 * Decode `path`, resample to `rate` Hz with libsamplerate converter `src_quality` (SRC_SINC_BEST_QUALITY = 0
 * .. SRC_LINEAR = 4) and map channels: `channels` == 1 mixes all channels down (mean); otherwise a file with
 * exactly `channels` channels is kept and a mono file is copied to every channel; any other count is
 * CS_E_CHANNELS. Errors: CS_E_IO (cannot open), CS_E_FORMAT (not audio), CS_E_EMPTY (zero frames),
 * CS_E_NONFINITE (a NaN or infinite sample), CS_E_SILENT (every sample is exactly 0), CS_E_NOMEM,
 * CS_E_INTERNAL (libsamplerate; its message in *detail). On success `out` owns its data (cs_audio_free).
 */
int cs_audio_load(const char *path, int rate, int channels, int src_quality, cs_audio *out, const char **detail);

void cs_audio_free(cs_audio *a);

/** Mono mix (mean over channels) of `a` into a new buffer of a->frames floats (caller frees), or NULL. */
float *cs_audio_mono(const cs_audio *a);

/** FNV-1a 64-bit hash of a file's bytes (Fowler/Noll/Vo). Returns 0 and sets *hash, or CS_E_IO. */
int cs_file_fnv1a64(const char *path, uint64_t *hash);

/** FNV-1a 64 over a memory range, continuing from `h` (start with CS_FNV_OFFSET). */
#define CS_FNV_OFFSET 0xcbf29ce484222325ull
uint64_t cs_fnv1a64(const void *data, size_t n, uint64_t h);

#endif
