/*
 * cs_partial.h - partial bundles (shards): what `concatseq analyze --partial` writes for a subset of the sources
 * (the packed audio, every unit's position and raw descriptors, the frames' flux, the analysis settings and the
 * source list; no normalisation, no labels), read back by `concatseq merge`, which normalises and clusters the
 * union into the bundle one `analyze` of all the sources writes (corpus-tools/BUNDLE.md "Partial bundles
 * (shards)"). Offline code.
 */
#ifndef CS_PARTIAL_H
#define CS_PARTIAL_H

#include "cs_analyze.h"
#include "cs_audio.h"
#include "cs_bundle.h"

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#define CS_PARTIAL_VERSION 1
/* per unit one frame of CS_PARTIAL_COLS floats: start (in its source) = hi * 2^24 + lo, length likewise, then the
 * CS_D_COUNT raw descriptors; every integer part below 2^24, so exact in float32 */
#define CS_PARTIAL_COLS  (4 + CS_D_COUNT)
#define CS_PARTIAL_SPLIT 16777216.0

/** One source of a partial bundle: what `analyze` keeps of it between decoding and the unit table. */
typedef struct cs_part_source {
    char *path;        /* absolute, as the shard's realpath gave it (owned) */
    cs_audio audio;    /* frames at the corpus rate and what the file was */
    uint64_t checksum; /* FNV-1a 64 of the file's bytes */
    size_t units;      /* its units: rows [first, first + units) of the part's rows */
} cs_part_source;

/** A partial bundle read back and checked (cs_part_read). */
typedef struct cs_part {
    char *dir;                /* the part's folder (owned copy of the argument) */
    cs_analyze_opts settings; /* defaults, with the analysis settings of the part applied (cs_partial_apply) */
    char generator[64];       /* "concatseq VERSION" that wrote it */
    size_t nsources;          /* >= 1 */
    cs_part_source *src;      /* nsources */
    size_t units, frames;     /* units (rows) and packed audio frames in all */
    uint64_t flux_frames;     /* analysis frames of all its sources (values in the flux file) */
    float *rows;              /* units x CS_PARTIAL_COLS (owned) */
} cs_part;

/**
 * The analysis settings of `o` as a JSON object (BUNDLE.md "Partial bundles"): rate, channels, resampler,
 * segmentation method with that method's parameters (exact doubles, in the units of cs_analyze_opts), and the
 * frame analysis's effective fft_size and frame_hop. NULL when out of memory.
 */
cJSON *cs_partial_settings(const cs_analyze_opts *o);

/**
 * Apply a settings object written by cs_partial_settings to `o` (the other fields are left). 0, or CS_E_FORMAT
 * with the name of the first missing or invalid entry in err.
 */
int cs_partial_apply(const cJSON *settings, cs_analyze_opts *o, char *err, size_t errlen);

/**
 * The first analysis setting in which a and b differ, as "--option A vs B" in `what`; 0 when none does (then the
 * two analyses give the same units and descriptors for the same file), 1 otherwise.
 */
int cs_partial_differs(const cs_analyze_opts *a, const cs_analyze_opts *b, char *what, size_t whatlen);

/**
 * Read partial bundle `dir`: its manifest (format, version, settings, sources), its unit rows (size and FNV-1a
 * checksum against the manifest, every integer and descriptor finite and in range, units per source and their
 * positions inside the source), the flux file's checksum, and audio.wav's header (float, channels, rate, frames).
 * A full bundle, a missing or corrupt file gives CS_E_FORMAT/CS_E_IO with one line naming the file in err.
 * Allocates what cs_part_free releases (also after an error).
 */
int cs_part_read(const char *dir, cs_part *p, char *err, size_t errlen);
void cs_part_free(cs_part *p);

/** Path of file `name` in the part's folder, in buf. */
void cs_part_path(const cs_part *p, const char *name, char *buf, size_t n);

#endif
