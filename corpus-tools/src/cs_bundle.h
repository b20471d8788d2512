/*
 * cs_bundle.h - the corpus bundle on disk (see corpus-tools/BUNDLE.md): a directory holding corpus.json
 * (manifest), audio.wav (packed audio) and units.wav (unit table). Writing is atomic: everything goes into a
 * hidden temporary directory beside the target, which is renamed into place only when complete; an error or
 * SIGINT/SIGTERM removes it. Offline code.
 */
#ifndef CS_BUNDLE_H
#define CS_BUNDLE_H

#include "cs_unit_table.h"

#include <cjson/cJSON.h>
#include <stddef.h>

#define CS_BUNDLE_MANIFEST "corpus.json"
#define CS_BUNDLE_AUDIO    "audio.wav"
#define CS_BUNDLE_UNITS    "units.wav"
#define CS_BUNDLE_FORMAT   "concatseq-corpus"
#define CS_BUNDLE_VERSION  1

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
 * counts consistent between both). On error writes a one-line message to err and returns a cs_err.
 */
int cs_bundle_read(const char *dir, cs_bundle *b, char *err, size_t errlen);
void cs_bundle_free(cs_bundle *b);

/**
 * Start an atomic write of bundle `dir`: fails with CS_E_EXISTS if dir exists and !force, CS_E_IO if the
 * parent is not writable. Creates the temporary directory (path in *tmpdir, owned, free()) and installs
 * SIGINT/SIGTERM handlers that remove it.
 */
int cs_bundle_begin(const char *dir, int force, char **tmpdir, char *err, size_t errlen);

/** Move the finished temporary directory into place (replacing an old bundle when forced). */
int cs_bundle_commit(const char *tmpdir, const char *dir, char *err, size_t errlen);

/** Remove the temporary directory and everything in it (after an error). */
void cs_bundle_abort(const char *tmpdir);

/**
 * Write frames x channels interleaved float32 as a float WAV (RF64 when larger than 4 GiB), checking every
 * write (a full disk is CS_E_IO). Returns 0 or a cs_err; message in err.
 */
int cs_write_float_wav(const char *path, const float *data, size_t frames, int channels, int rate, char *err,
                       size_t errlen);

/** Read a whole sound file as interleaved float (owned, free()). Returns 0 or a cs_err. */
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

#endif
