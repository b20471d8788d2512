/*
 * cs_analyze.h - the `concatseq analyze` pipeline: sources -> decoded audio at the corpus rate -> descriptor
 * frames -> units (grain / onset / novelty) -> unit descriptors -> normalisation -> clusters (labels) ->
 * an atomically written corpus bundle. Offline code.
 */
#ifndef CS_ANALYZE_H
#define CS_ANALYZE_H

#include "cs_audio.h"
#include "cs_cluster_method.h"
#include "cs_describe.h"
#include "cs_error.h"
#include "cs_frames.h"
#include "cs_segment.h"

#include <stddef.h>
#include <stdint.h>

enum cs_segment_method { CS_SEG_GRAIN = 0, CS_SEG_ONSET, CS_SEG_NOVELTY, CS_SEG_COUNT };

/** Names of the segmentation methods (--segment, manifest segmentation.method), indexed by cs_segment_method. */
extern const char *const cs_segment_names[CS_SEG_COUNT];
/** Names of the normalisations (--normalize, manifest normalisation.method), indexed by cs_norm_method. */
extern const char *const cs_normalize_names[2];

/** Progress callback: stage name ("decode", "analyze", "cluster", "write"), steps done and total, detail. */
typedef void (*cs_progress_fn)(void *user, const char *stage, size_t done, size_t total, const char *detail);

/**
 * Every option of `concatseq analyze`. cs_analyze_opts_default() gives the defaults; they are written only
 * there (and in the parameter defaults of cs_segment.h, cs_frames.h and cs_cluster_method.h it calls), and
 * the CLI's usage text prints them from a default-filled struct.
 */
typedef struct cs_analyze_opts {
    int rate;       /* corpus sample rate, Hz (8000..384000); default 48000 */
    int channels;   /* 1 = mix to mono (default); N keeps N channels */
    int resampler;  /* enum cs_resampler (cs_audio.h); default CS_RESAMPLER_DEFAULT (soxr-hq) */
    int segment;    /* enum cs_segment_method; default grain */
    double unit_ms; /* grain length, ms; default 100 */
    double hop_ms;  /* grain hop, ms; default 100 (abutting grains) */
    cs_onset_params onset;
    cs_novelty_params novelty;
    int fft_size;              /* analysis frame size, samples; 0 = cs_analyze_fft_size (the default) */
    int frame_hop;             /* analysis hop, samples; 0 = fft size / 4 (the default) */
    int normalize;             /* enum cs_norm_method; default z-score */
    int cluster;               /* index into cs_cluster_methods; default 0 (k-means) */
    cs_cluster_params cl;      /* every clustering method's parameters */
    float weights[CS_D_COUNT]; /* per-descriptor clustering weight, default 1; 0 leaves a descriptor out */
    uint64_t seed;             /* default 1 */
    int threads;               /* default: online CPUs (at least 1) */
    int strict;                /* non-audio or silent files in folders are errors (default: skipped, warned) */
    int force;                 /* replace an existing bundle */
    const char *files_from;    /* NULL, or a list of files, one per line, taken after the SOURCEs as if found in a
                                  folder (a silent one is skipped); `analyze --list` writes such a list */
    int partial;               /* write a partial bundle (BUNDLE.md "Partial bundles (shards)"): units, raw
                                  descriptors, flux, settings and sources, no normalisation and no labels, for
                                  cs_merge; normalize, weights, cluster and seed are then not used */
    const char *labels_from;   /* NULL, or a bundle A (version 3): describe the units as A's analysis does,
                                  normalise them with A's statistics and label each with A's nearest weighted
                                  centroid (BUNDLE.md "Labels from another corpus"), so A's model plays them.
                                  Takes A's rate, frame analysis, normalisation and weights; normalize,
                                  weights and cluster are then not used */
    cs_progress_fn progress;
    void *progress_user;
    cs_warn_fn warn; /* skipped files, removed leftovers; NULL = silent; called with progress_user */
} cs_analyze_opts;

/** Fill `o` with the defaults (the values listed in cs_analyze_opts). */
void cs_analyze_opts_default(cs_analyze_opts *o);

/** The frame analysis settings `o` asks for: fft_size (default 2048 at 48 kHz, scaled with the rate to the
 * nearest power of two at or above, 256..16384) and hop (default fft_size / 4), the rest cs_frame_params_default. */
void cs_analyze_frame_params(const cs_analyze_opts *o, cs_frame_params *fp);

/** Check every option; 0, or CS_E_ARG with a one-line message naming the option. */
int cs_analyze_check_opts(const cs_analyze_opts *o, char *err, size_t errlen);

/**
 * The unit table's limits, checked from the sources' lengths before any decoding (issue 14: a corpus too big
 * for the table used to fail only after decoding, analysing and clustering). frames[i]: the length of source i
 * in frames at the corpus rate (o->rate) as the file's header gives it, UINT64_MAX when unknown (left out).
 * Checked: the packed audio below 2^40 frames (its split length); with grain segmentation the exact unit count
 * ((F - unit) / hop + 1 per source) <= CS_UT_MAX_UNITS and its table with index <= CS_UT_MAX_FLOATS floats.
 * With onset or novelty segmentation the count is known only after segmentation (at most F / min_len_s per
 * source); it is checked then, before clustering. Returns 0, or CS_E_TOO_LARGE with a one-line message naming
 * the option to change in err. O(n), no I/O.
 */
int cs_analyze_check_limits(const cs_analyze_opts *o, const uint64_t *frames, size_t n, char *err, size_t errlen);

/**
 * The audio files `analyze` takes, in its order: the SOURCE arguments expanded (cs_collect_sources: folders walked
 * recursively, sorted by name, non-audio files inside them skipped with o->warn), then the lines of
 * o->files_from (each a file, taken as if found in a folder). `files` is filled (cs_pathlist_free it, also after an
 * error). 0, or a cs_err with one line naming the path in err.
 */
int cs_analyze_sources(char *const *sources, size_t nsources, const cs_analyze_opts *o, cs_pathlist *files, char *err,
                       size_t errlen);

/** What was built, for the CLI's closing summary. */
typedef struct cs_analyze_report {
    size_t sources, units, labels, noise_units;
    size_t skipped; /* silent files inside folders left out (each also reported through warn) */
    int k_chosen;   /* k-means K was chosen from the number of units (no --clusters) */
    double seconds_audio;
    /* labels_from: A's labels nearest to no unit that were given their nearest unit (nearest_filled), labels left
     * without a unit (only when there are fewer units than labels), and the mean weighted distance of the units to the
     * centroid of their label against random units (both weighted by A's label frequencies, BUNDLE.md) */
    size_t nearest_filled, empty_labels;
    double mapped_distance, random_distance;
    /* wall time per stage: decode includes resampling and the frame analysis, which run on the decoded blocks as
     * they come; analyze is segmentation and unit descriptors (with a read-back pass over audio.wav) */
    double seconds_decode, seconds_analyze, seconds_cluster, seconds_write;
} cs_analyze_report;

/**
 * Run the whole pipeline on `nsources` SOURCE arguments (files or folders) into bundle directory `out_dir`.
 * A digitally silent file found inside a folder is left out with a warning (o->warn), unless o->strict or no
 * other file is left; k-means without a K (o->cl.kmeans.k == 0) takes cs_kmeans_auto_k(units) and says so in
 * rep->k_chosen. Returns 0, or a cs_err with a one-line message naming the file or option in `err`. On any
 * error nothing is left at `out_dir` (an existing bundle is untouched) and no temporary folder remains; the
 * bundle is written as cs_bundle_begin/cs_bundle_commit describe. Not thread-safe (one run per process: the
 * writer's signal handling is process-wide); uses o->threads worker threads.
 */
int cs_analyze(char *const *sources, size_t nsources, const char *out_dir, const cs_analyze_opts *o,
               cs_analyze_report *rep, char *err, size_t errlen);

/**
 * `concatseq merge`: read the partial bundles `parts` (cs_partial.h; every one checked, in the order given), which
 * must share their analysis settings and concatseq version and hold no source twice, and write the bundle one
 * cs_analyze of all their sources in the same order with o's normalisation, weights, clustering, seed and threads
 * would write, byte for byte. The analysis options of `o` (rate, segmentation, frame analysis, ...) are not used:
 * the parts' are. o->labels_from and o->partial must be unset. Returns 0, or a cs_err with one line naming the part
 * (or option) and the fix in err; on error nothing is left at out_dir. Same threading as cs_analyze.
 */
int cs_merge(char *const *parts, size_t nparts, const char *out_dir, const cs_analyze_opts *o, cs_analyze_report *rep,
             char *err, size_t errlen);

#endif
