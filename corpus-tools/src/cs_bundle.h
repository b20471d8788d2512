/*
 * cs_bundle.h - the corpus bundle on disk (see corpus-tools/BUNDLE.md): a directory holding corpus.json
 * (manifest), audio.wav (packed audio) and units.wav (unit table). Writing is atomic (cs_bundle_write.c):
 * everything goes into a hidden temporary directory beside the target, which is renamed into place in one step
 * only when complete; an error or SIGINT/SIGTERM removes it. Offline code.
 */
#ifndef CS_BUNDLE_H
#define CS_BUNDLE_H

#include "cs_error.h"
#include "cs_unit_table.h"

#include <cjson/cJSON.h>
#include <stddef.h>

#define CS_BUNDLE_MANIFEST "corpus.json"
#define CS_BUNDLE_AUDIO    "audio.wav"
#define CS_BUNDLE_UNITS    "units.wav"
#define CS_BUNDLE_FORMAT   "concatseq-corpus"
#define CS_BUNDLE_VERSION  1
/* a partial bundle's own files beside its manifest and audio.wav (cs_partial.h, BUNDLE.md "Partial bundles") */
#define CS_BUNDLE_PARTIAL_FORMAT "concatseq-partial" /* its manifest's "format" */
#define CS_BUNDLE_ROWS           "unit_rows.wav"
#define CS_BUNDLE_FLUX           "flux.wav"

/** A bundle read back: the manifest, the unit table floats and a validated view of them. */
typedef struct cs_bundle {
    char *dir;
    cJSON *manifest;
    float *table;
    size_t table_n;
    cs_ut_view view;
} cs_bundle;

/**
 * Read and validate a bundle directory (manifest format and version, unit table with every row checked,
 * counts consistent between both). On error writes a one-line message to err and returns a cs_err; a partial
 * bundle (`analyze --partial`) is refused with a line naming `concatseq merge`.
 */
int cs_bundle_read(const char *dir, cs_bundle *b, char *err, size_t errlen);
void cs_bundle_free(cs_bundle *b);

/**
 * Start an atomic write of bundle `dir` (corpus-tools/BUNDLE.md "Writing"). Fails with CS_E_EXISTS if dir exists
 * and !force, or (with force) if it is not a bundle (no manifest) or holds a sub-folder analyze did not write;
 * CS_E_IO if the parent is missing or not writable. First removes the partial folders ".NAME.partial-*" of
 * dead runs (their flock is free), reporting each through `warn` (may be NULL). Creates the temporary folder
 * (path in *tmpdir, owned, free()) with the umask's permissions, locks it for the life of the process and
 * installs SIGINT/SIGTERM/SIGHUP handlers that remove it. One write per process at a time.
 */
int cs_bundle_begin(const char *dir, int force, cs_warn_fn warn, void *user, char **tmpdir, char *err, size_t errlen);

/**
 * Move the finished temporary folder into place in one step. Without force: fails with CS_E_EXISTS if anything
 * is at `dir` by now (another run, a folder made meanwhile), which is left untouched. With force: an existing
 * bundle is swapped out atomically (renameat2 RENAME_EXCHANGE) and removed; its files that analyze did not write
 * (model.wav, corpus.svg, ...) are kept in the new bundle, each reported through `warn`. Without renameat2 in
 * the filesystem, falls back to a mkdir lock / two renames with signals blocked. On error the temporary folder
 * is removed. Returns 0 or a cs_err; message in err.
 */
int cs_bundle_commit(const char *tmpdir, const char *dir, int force, cs_warn_fn warn, void *user, char *err,
                     size_t errlen);

/** Remove the temporary folder and everything analyze wrote in it (after an error), and release its lock. */
void cs_bundle_abort(const char *tmpdir);

/**
 * A float WAV written as its frames come (cs_wav_stream_*), for audio too long to hold: the data goes
 * straight to the file after room for the header, and cs_wav_stream_close writes the header that
 * cs_write_float_wav would have written for the same frames (libsndfile makes it, on a sink that keeps only
 * the header; it is given zeros and, per channel, the data's peak at its frame, so its RF64 PEAK chunk is
 * the data's), moving the data if the header grew (RF64 above 4e9 bytes): the file's bytes are
 * cs_write_float_wav's, except that the RF64 PEAK chunk's timestamp, which libsndfile takes from the clock,
 * is 0 (so the same audio gives the same bytes). Memory: fixed. Every call returns 0 or a cs_err with the message in
 * err (CS_E_IO for a failed write, "is the disk full?"); after an error the file is removed by cs_wav_stream_close.
 */
#define CS_WAV_STREAM_MAX_CHANNELS 64
typedef struct cs_wav_stream {
    int fd;
    int channels, rate; /* channels 1..CS_WAV_STREAM_MAX_CHANNELS */
    size_t frames;      /* written so far */
    size_t header;      /* bytes before the data */
    /* per channel: the first largest |sample| and its frame (what libsndfile's RF64 PEAK chunk records) */
    float peak[CS_WAV_STREAM_MAX_CHANNELS];
    size_t peak_at[CS_WAV_STREAM_MAX_CHANNELS];
    char path[4200];
} cs_wav_stream;
int cs_wav_stream_open(cs_wav_stream *w, const char *path, int channels, int rate, char *err, size_t errlen);
/** Append `frames` x channels floats. */
int cs_wav_stream_write(cs_wav_stream *w, const float *data, size_t frames, char *err, size_t errlen);
/** Drop the frames from `frames` on (e.g. a source that turned out silent); frames <= w->frames. */
int cs_wav_stream_truncate(cs_wav_stream *w, size_t frames, char *err, size_t errlen);
/** Read back frames [first, first + count) into data (count x channels floats). */
int cs_wav_stream_read(const cs_wav_stream *w, size_t first, size_t count, float *data, char *err, size_t errlen);
/** Write the header and close; `keep` 0 removes the file instead (after an error elsewhere). */
int cs_wav_stream_close(cs_wav_stream *w, int keep, char *err, size_t errlen);

/**
 * Write frames x channels interleaved float32 as a float WAV (RF64 when larger than 4 GiB), checking every
 * write (a full disk is CS_E_IO). Returns 0 or a cs_err; message in err.
 */
int cs_write_float_wav(const char *path, const float *data, size_t frames, int channels, int rate, char *err,
                       size_t errlen);

/**
 * Read a whole sound file as interleaved float (owned, free()). The header's frame and channel counts are
 * checked (overflow-checked products, and for uncompressed formats against the file's size) before the buffer
 * is allocated. Returns 0 or a cs_err: CS_E_IO (cannot open), CS_E_FORMAT (not a sound file), CS_E_EMPTY,
 * CS_E_TRUNCATED (the header counts more samples than the file holds), CS_E_NOMEM.
 */
int cs_read_float_wav(const char *path, float **data, size_t *frames, int *channels, int *rate);

/** Write a cJSON document to path (pretty-printed, with a trailing newline). */
int cs_write_json(const char *path, const cJSON *doc, char *err, size_t errlen);

/** Read and parse a JSON file; NULL on error with a message in err. */
cJSON *cs_read_json(const char *path, char *err, size_t errlen);

/* ---- model-facing helpers of a bundle (label sequences, corpus checksum, default model path) ---- */

/** Default model path of a bundle: BUNDLE/model.wav (owned string, free()); NULL when out of memory. */
char *cs_default_model_path(const char *bundle);

/**
 * The label sequences of a bundle, one per source, units in time order (the order the model learns).
 * *seqs (n_sources arrays) and *lens are allocated; free with cs_label_sequences_free. Returns 0 or CS_E_NOMEM.
 */
int cs_label_sequences(const cs_bundle *b, int ***seqs, size_t **lens, int *n_seqs);

/** Free what cs_label_sequences allocated (NULL is fine). */
void cs_label_sequences_free(int **seqs, size_t *lens, int n_seqs);

/** The 64-bit corpus checksum of a bundle: the manifest's `unit_table_checksum` ("fnv1a64:" followed by 16 hex
 *  digits, the FNV-1a 64 of the unit table), or 0 when the manifest has none. Every model stores the checksum
 *  of the corpus it was trained on. */
unsigned long long cs_bundle_checksum(const cs_bundle *b);

/** The corpus checksum of the bundle A whose labels this bundle took (`analyze --labels-from A`: the manifest's
 *  clustering.labels_from.unit_table_checksum), or 0 when it took none. A model whose corpus checksum is this one
 *  is a model of this bundle's labels: the corpus check accepts it (the choice was made at analysis). */
unsigned long long cs_bundle_labels_from_checksum(const cs_bundle *b);

#endif
