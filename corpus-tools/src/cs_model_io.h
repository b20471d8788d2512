/*
 * cs_model_io.h - model files for the offline tools: build the header, write / read the float32 mono WAV
 * that a SuperCollider Buffer loads, and convert to / from a JSON form with PyTorch tensor names.
 *
 * The layout itself (header offsets, tensor order, checksum) is defined once, in the core
 * (plugins/core/cs_model.h; cs_model_param_count, cs_model_tensor_count / cs_model_tensor_info enumerate
 * the tensors with name, shape and offset) and documented in models/FORMAT.md; this module only adds I/O.
 * None of these functions is real-time safe (they allocate and touch files). They return 0 or a negative
 * cs_err (cs_error.h) and never print.
 */
#ifndef CS_MODEL_IO_H
#define CS_MODEL_IO_H

#include "cs_model.h"

#include <stddef.h>

/**
 * Fill `header` (CS_MODEL_HEADER_FLOATS floats) for `cfg`, `meta` (NULL = all zero, losses -1) and the flat
 * weight blob `weights` (n floats, tensors of cs_model_tensor_info): magic, version, dimensions, weight count and
 * the FNV-1a checksum of the weights; reserved floats 0. Non-finite losses in meta are written as -1
 * (unknown). Errors: CS_E_ARG (NULL, invalid config, or n != cs_model_param_count(cfg)), CS_E_NONFINITE
 * (a weight is NaN, infinite or |w| > 2^20: the loader would reject it). O(n).
 */
int cs_model_header_build(const cs_model_config *cfg, const cs_model_meta *meta, const float *weights, size_t n,
                          float header[CS_MODEL_HEADER_FLOATS]);

/** What failed when a function below returned CS_E_IO. */
typedef struct cs_model_io_error {
    int output;    /* 1: creating or writing the output failed; 0: reading the input failed */
    int sys_errno; /* errno of the failing call (ENOSPC / EFBIG / EDQUOT: disk full or a size limit; EACCES,
                      EPERM, EROFS: not writable; ENOENT: no such folder), 0 if unknown */
} cs_model_io_error;

/** A one-line English reason for a failed write with errno `e`, naming the cause the user can fix:
 *  "disk full (or a file-size or quota limit)" for ENOSPC / EFBIG / EDQUOT, "cannot write: <strerror>"
 *  otherwise (e.g. "cannot write: Permission denied"), "cannot write" for 0. Static string. */
const char *cs_model_write_reason(int e);

/** Bytes of the model file holding `floats` floats (header included): a WAV header of 44 bytes + 4 per float,
 *  what cs_model_file_write writes (no PEAK chunk). */
size_t cs_model_file_bytes(size_t floats);

/**
 * Check, before long work, that a model file of `bytes` bytes can be written at `path`: a temporary file is
 * created in the same folder, `bytes` bytes are reserved in it (posix_fallocate: the disk must have the
 * room, and a file-size limit must allow it), then it is removed; `path` itself is not touched. Returns 0 or
 * CS_E_IO with *detail (output = 1, sys_errno) filled when detail is not NULL.
 */
int cs_model_file_probe(const char *path, size_t bytes, cs_model_io_error *detail);

/**
 * Write a model file: header + weights as a float32 mono WAV (libsndfile; sample rate 48000, meaningless).
 * Written to a temporary file in the same directory, synced, then renamed over `path` (atomic: readers see
 * the old file or the new one, never half of one; an existing file is replaced). The trainer supplies only
 * the flat blob; the header is built here. Errors: those of cs_model_header_build, CS_E_IO (then errno holds
 * the cause: cs_model_write_reason).
 */
int cs_model_file_write(const char *path, const cs_model_config *cfg, const cs_model_meta *meta, const float *weights,
                        size_t n);

/** As cs_model_file_write, followed by an n-gram table (n_ngram floats, plugins/core/cs_ngram_table.h; not
 *  checked here) that makes the model a mixture with weight net_weight in [0, 1] on the network (cs_model.h:
 *  CS_MH_NGRAM_FLOATS, CS_MH_NET_WEIGHT). n_ngram 0 = cs_model_file_write. Errors: as cs_model_file_write. */
int cs_model_file_write_mix(const char *path, const cs_model_config *cfg, const cs_model_meta *meta,
                            const float *weights, size_t n, const float *ngram, size_t n_ngram, float net_weight);

/**
 * As cs_model_file_write_mix, with the weights stored at `precision` (cs_model_precision: 0 float32, exactly
 * cs_model_file_write_mix's bytes; 1 IEEE half, packed two per float, models/FORMAT.md "Half-precision
 * weights": every weight rounded to the nearest half, ties to even, as PyTorch's Tensor.half(); header float
 * 36 = 1; the checksum covers the packed floats). Errors: those of cs_model_file_write_mix; for half also
 * CS_E_ARG (an odd width or descriptor inputs) and CS_E_NONFINITE (a weight beyond 65504: cs_model_half_check
 * finds it).
 */
int cs_model_file_write_prec(const char *path, const cs_model_config *cfg, const cs_model_meta *meta,
                             const float *weights, size_t n, const float *ngram, size_t n_ngram, float net_weight,
                             int precision);

/** Whether `n` weights of `cfg` can be stored as halves: CS_OK, CS_E_ARG (invalid config, an odd width or
 *  descriptor inputs: the packed rows must start at whole floats, desc_proj's of odd Din do not) or CS_E_NONFINITE
 * (weight *bad, if bad is not NULL, rounds beyond 65504 or is not finite). O(n). */
int cs_model_half_check(const cs_model_config *cfg, const float *weights, size_t n, size_t *bad);

/**
 * Write the float32 model `buf` (parsed into `view`, format version 2) to `path` with its weights as IEEE half:
 * the header copied float for float (every field, also those this code does not know) but float 36 = 1 and
 * the checksum of the packed floats, then the packed weights and the n-gram table as they are. Atomic as
 * cs_model_file_write. Errors: CS_E_ARG (NULL, not float32, an odd width), CS_E_NONFINITE (weight *bad is
 * beyond 65504), CS_E_FORMAT (a version-1 file), CS_E_NOMEM, CS_E_IO. `path` may be the file buf came from.
 */
int cs_model_buffer_write_half(const char *path, const float *buf, const cs_model_view *view, size_t *bad);

/**
 * Replace a parsed model buffer of either precision by a float32 one (cs_model_expand: same header, weights
 * decoded exactly, precision 0, checksum of the floats): *buf (malloc'd, as cs_model_file_read gives it) is
 * freed and replaced, *n and *view describe the new one. A float32 model is left as it is. What the CLI does
 * on loading a half file (way (a) of models/FORMAT.md), so every tool sees float weights. Returns 0,
 * CS_E_NOMEM (then nothing changed) or CS_E_FORMAT.
 */
int cs_model_buffer_expand(float **buf, size_t *n, cs_model_view *view);

/**
 * Read every float of a mono float32 (or float64) sound file into a new array *buf (n floats; free() it),
 * without interpreting it: feed it to cs_model_parse. Errors: CS_E_ARG, CS_E_IO (cannot open: missing,
 * unreadable, not a sound file), CS_E_CHANNELS (not mono), CS_E_FORMAT (integer samples, which libsndfile
 * would rescale), CS_E_EMPTY (no frames), CS_E_TOO_LARGE (> 2^26 floats), CS_E_NOMEM. On error *buf = NULL.
 */
int cs_model_file_read(const char *path, float **buf, size_t *n);

/**
 * Read and fully validate (cs_model_parse) a model file. On success *buf owns the floats (free() it) and
 * *view points into it. `model_err` (may be NULL) receives the cs_model_err detail when the file was read
 * but is not a valid model (then the return value is CS_E_FORMAT, or CS_E_NONFINITE for bad weights).
 */
int cs_model_file_load(const char *path, float **buf, size_t *n, cs_model_view *view, int *model_err);

/** Map a cs_model_err to the nearest cs_err (NONFINITE -> CS_E_NONFINITE, ARG -> CS_E_ARG, MEMORY ->
 *  CS_E_NOMEM, everything else -> CS_E_FORMAT). */
int cs_model_error_to_cs(int model_err);

/**
 * Export a model file to JSON (cJSON): {"format": "concatseq-model", "format_version": 1,
 * "config": {arch ("gru"|"transformer"), vocab, width, layers, heads, context, d_ff},
 * "meta": {corpus_checksum ("0x" hex string), seed ("0x" hex string), epochs, train_tokens,
 * train_loss_bits, val_loss_bits}, "weights_fnv1a": "0x..." (informative),
 * "tensors": {PyTorch name: {"shape": [...], "data": nested rows (2-D) or flat list (1-D)}}} in file order.
 * Floats are printed with 9 significant digits, so import gives back the same bits. Written atomically.
 * Errors: those of cs_model_file_load, CS_E_NOMEM, CS_E_IO. `detail` (may be NULL) says for CS_E_IO whether
 * the model could not be read (output 0) or the JSON not written (output 1), and the errno.
 */
int cs_model_export_json(const char *path_in, const char *path_out, cs_model_io_error *detail);

/**
 * Import such a JSON (e.g. exported, then edited or produced from a PyTorch state_dict) and write a model
 * file. "config" and "tensors" are required; every tensor of the configuration must be present with the
 * right shape and element count ("data" nested or flat); unknown tensor names are rejected; "meta" is
 * optional; "weights_fnv1a" is ignored (the checksum is recomputed). Errors: CS_E_IO, CS_E_FORMAT (not
 * JSON, missing or mis-shaped tensor, unknown name, bad config), CS_E_NONFINITE, CS_E_NOMEM. `detail` (may
 * be NULL) says for CS_E_IO whether the JSON could not be read (output 0) or the model not written (output 1).
 */
int cs_model_import_json(const char *path_in, const char *path_out, cs_model_io_error *detail);

/** cs_model_import_json writing the weights at `precision` (cs_model_precision), or -1: as the JSON's optional
 *  "weights" key says ("half" or "float"; absent = float; export-json writes "half" for a half file). Errors:
 *  those of cs_model_import_json and of cs_model_file_write_prec (CS_E_ARG for half with an odd width or
 *  descriptor inputs, CS_E_NONFINITE for a weight beyond 65504). */
int cs_model_import_json_prec(const char *path_in, const char *path_out, int precision, cs_model_io_error *detail);

#endif
