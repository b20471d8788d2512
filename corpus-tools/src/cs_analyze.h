/*
 * cs_analyze.h - the `concatseq analyze` pipeline: sources -> decoded audio at the corpus rate -> descriptor
 * frames -> units (grain / onset / novelty) -> unit descriptors -> normalisation -> clusters (labels) ->
 * an atomically written corpus bundle. Offline code.
 */
#ifndef CS_ANALYZE_H
#define CS_ANALYZE_H

#include "cs_describe.h"
#include "cs_error.h"
#include "cs_frames.h"
#include "cs_segment.h"

#include <stddef.h>
#include <stdint.h>

enum cs_segment_method { CS_SEG_GRAIN = 0, CS_SEG_ONSET, CS_SEG_NOVELTY };
enum cs_cluster_method { CS_CLUSTER_KMEANS = 0, CS_CLUSTER_DBSCAN, CS_CLUSTER_AP };

/** Progress callback: stage name ("decode", "analyze", "cluster", "write"), steps done and total, detail. */
typedef void (*cs_progress_fn)(void *user, const char *stage, size_t done, size_t total, const char *detail);

/** Every option of `concatseq analyze`; cs_analyze_opts_default() gives the documented defaults. */
typedef struct cs_analyze_opts {
    int rate;        /* corpus sample rate, Hz (8000..384000); default 48000 */
    int channels;    /* 1 = mix to mono (default); N keeps N channels */
    int src_quality; /* libsamplerate converter (0 best .. 4 linear); default 1 (SRC_SINC_MEDIUM_QUALITY) */
    int segment;     /* enum cs_segment_method; default grain */
    double unit_ms;  /* grain length, ms; default 100 */
    double hop_ms;   /* grain hop, ms; default 100 (abutting grains) */
    cs_onset_params onset;
    cs_novelty_params novelty;
    int fft_size;              /* analysis frame size, samples; 0 = default (2048 at 48 kHz, scaled with the rate) */
    int frame_hop;             /* analysis hop, samples; 0 = fft_size / 4 */
    int normalize;             /* enum cs_norm_method; default z-score */
    int cluster;               /* enum cs_cluster_method; default k-means */
    int clusters;              /* k-means K; default 16 */
    int restarts;              /* k-means restarts (n_init); default 4 */
    int max_iter;              /* k-means / AP iterations; default 300 (k-means), 200 (AP) when 0 */
    double eps;                /* DBSCAN radius in normalised, weighted descriptor space; default 3.0 */
    int min_samples;           /* DBSCAN; default 5 */
    double damping;            /* AP damping 0.5..1; default 0.5 */
    double preference;         /* AP preference; NAN = median similarity (default) */
    int ap_convergence;        /* AP convergence_iter; default 15 */
    float weights[CS_D_COUNT]; /* per-descriptor clustering weight, default 1; 0 leaves a descriptor out */
    uint64_t seed;             /* default 1 */
    int threads;               /* default: online CPUs (at least 1) */
    int strict;                /* non-audio files in folders are errors */
    int force;                 /* overwrite an existing bundle */
    cs_progress_fn progress;
    void *progress_user;
    cs_warn_fn warn; /* skipped files, removed leftovers; NULL = silent; called with progress_user */
} cs_analyze_opts;

void cs_analyze_opts_default(cs_analyze_opts *o);

/** What was built, for the CLI's closing summary. */
typedef struct cs_analyze_report {
    size_t sources, units, labels, noise_units;
    double seconds_audio;
    double seconds_decode, seconds_analyze, seconds_cluster, seconds_write; /* wall time per stage */
} cs_analyze_report;

/**
 * Run the whole pipeline on `nsources` SOURCE arguments (files or folders) into bundle directory `out_dir`.
 * Returns 0, or a cs_err with a one-line message naming the file or option in `err`. On any error nothing is
 * left at `out_dir` (an existing bundle is untouched) and no temporary folder remains.
 */
int cs_analyze(char *const *sources, size_t nsources, const char *out_dir, const cs_analyze_opts *o,
               cs_analyze_report *rep, char *err, size_t errlen);

#endif
