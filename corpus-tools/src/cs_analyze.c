/*
 * cs_analyze.c - the `concatseq analyze` pipeline, one function per stage:
 *   collect -> begin (the temporary bundle folder) -> decode (one source after the other, block by block:
 *   cs_decoder decodes and resamples ahead on a thread of its own, the blocks go to audio.wav and their mono
 *   mix through the frame analysis, cs_frames_stream) -> describe (segment from the frames, unit levels from audio.wav
 * read back, unit descriptors, per source) -> gather (all units in order, original successors) -> normalise -> cluster
 *   (cs_cluster_methods) -> table (unit table and its index) -> manifest -> write (audio.wav's header, the
 *   table, the manifest; atomic commit, cs_bundle_write.c). Memory: fixed buffers plus frame-rate data and
 *   unit rows; nothing of the audio's length.
 * Each stage reads what the earlier ones left in `analysis` and fills its own part. See cs_analyze.h and
 * corpus-tools/BUNDLE.md.
 * Shards (BUNDLE.md "Partial bundles (shards)"): `--partial` stops after describe and writes what the later stages
 * need (stage_partial); cs_merge reads the parts back into the state describe leaves (merge_read, merge_load,
 * merge_audio) and runs the same later stages (finish_bundle), so its bundle is one analyze's, byte for byte.
 */
#include "cs_analyze.h"

#include "cs_audio.h"
#include "cs_bundle.h"
#include "cs_decoder.h"
#include "cs_error.h"
#include "cs_index.h"
#include "cs_normalize.h"
#include "cs_partial.h"
#include "cs_unit_table.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <pthread.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

const char *const cs_segment_names[CS_SEG_COUNT] = {"grain", "onset", "novelty"};
const char *const cs_normalize_names[2] = {"zscore", "robust"};

void cs_analyze_opts_default(cs_analyze_opts *o)
{
    memset(o, 0, sizeof *o);
    o->rate = 48000;
    o->channels = 1;
    o->resampler = CS_RESAMPLER_DEFAULT;
    o->segment = CS_SEG_GRAIN;
    o->unit_ms = 100.0;
    o->hop_ms = 100.0;
    cs_onset_params_default(&o->onset);
    cs_novelty_params_default(&o->novelty);
    o->fft_size = 0;
    o->frame_hop = 0;
    o->normalize = CS_NORM_ZSCORE;
    o->cluster = 0;
    cs_cluster_params_default(&o->cl);
    for (int d = 0; d < CS_D_COUNT; ++d)
        o->weights[d] = 1.0f;
    o->seed = 1;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    o->threads = cpus > 0 ? (int)cpus : 1;
}

void cs_analyze_frame_params(const cs_analyze_opts *o, cs_frame_params *fp)
{
    cs_frame_params_default(fp, o->rate);
    if (o->fft_size)
        fp->fft_size = o->fft_size;
    else {
        /* the default's 2048 at 48 kHz, scaled with the rate so a frame spans about the same time */
        int target = (int)lround((double)fp->fft_size * o->rate / 48000.0), p2 = 256;
        while (p2 < target && p2 < 16384)
            p2 *= 2;
        fp->fft_size = p2;
    }
    fp->hop = o->frame_hop ? o->frame_hop : fp->fft_size / 4;
}

/* A grain's length or hop in samples at `rate`: ms rounded to samples, at least 1. The one definition of the
 * grain segmentation's unit (the limits' count, source_segment's cuts, the listening section's grain_len/hop). */
static uint64_t grain_samples(double ms, double rate)
{
    const long long n = llround(ms * 1e-3 * rate);
    return n < 1 ? 1u : (uint64_t)n;
}

/* The unit table's normalisation code of --normalize and back (one table for both directions). */
static const struct {
    int opt, ut;
} norm_codes[] = {{CS_NORM_ZSCORE, CS_UT_NORM_ZSCORE}, {CS_NORM_ROBUST, CS_UT_NORM_ROBUST}};

static int norm_to_ut(int normalize)
{
    for (size_t i = 0; i < sizeof norm_codes / sizeof norm_codes[0]; ++i)
        if (norm_codes[i].opt == normalize) return norm_codes[i].ut;
    return CS_UT_NORM_ZSCORE;
}

static int norm_from_ut(int code)
{
    for (size_t i = 0; i < sizeof norm_codes / sizeof norm_codes[0]; ++i)
        if (norm_codes[i].ut == code) return norm_codes[i].opt;
    return CS_NORM_ZSCORE;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void progress(const cs_analyze_opts *o, const char *stage, size_t done, size_t total, const char *detail)
{
    if (o->progress) o->progress(o->progress_user, stage, done, total, detail);
}

#define BAD(...)                                                                                                       \
    do {                                                                                                               \
        snprintf(err, errlen, __VA_ARGS__);                                                                            \
        return CS_E_ARG;                                                                                               \
    } while (0)

static int check_segment_opts(const cs_analyze_opts *o, char *err, size_t errlen)
{
    if (o->segment == CS_SEG_GRAIN) {
        if (!(o->unit_ms > 0.0) || o->unit_ms > 600000.0) BAD("--unit-ms %g: must be > 0 ms", o->unit_ms);
        if (!(o->hop_ms > 0.0) || o->hop_ms > 600000.0) BAD("--hop-ms %g: must be > 0 ms", o->hop_ms);
    } else if (o->segment == CS_SEG_ONSET) {
        const cs_onset_params *p = &o->onset;
        if (!(p->threshold >= 0.0)) BAD("--threshold %g: must be >= 0", p->threshold);
        if (!(p->min_len_s > 0.0)) BAD("--min-ms %g: must be > 0 ms", p->min_len_s * 1000.0);
        if (!(p->max_len_s >= 2.0 * p->min_len_s)) BAD("--max-ms %g: must be >= 2 x --min-ms", p->max_len_s * 1000.0);
        if (!(p->delta >= 0.0)) BAD("--delta %g: must be >= 0", p->delta);
        if (!(p->refine_s >= 0.0)) BAD("--refine-ms %g: must be >= 0 ms", p->refine_s * 1000.0);
        if (!(p->pre_s >= 0.0) || p->pre_s > p->min_len_s) BAD("--pre-ms %g: must be 0..min-ms", p->pre_s * 1000.0);
        if (!(p->median_s > 0.0)) BAD("--median-ms %g: must be > 0 ms", p->median_s * 1000.0);
    } else if (o->segment == CS_SEG_NOVELTY) {
        const cs_novelty_params *p = &o->novelty;
        if (!(p->kernel_s > 0.0)) BAD("--kernel-s %g: must be > 0 s", p->kernel_s);
        if (!(p->block_s > 0.0) || p->block_s > p->kernel_s)
            BAD("--block-s %g: must be > 0 and <= --kernel-s", p->block_s);
        if (!(p->threshold >= 0.0 && p->threshold <= 1.0)) BAD("--novelty-threshold %g: must be 0..1", p->threshold);
        if (!(p->min_len_s > 0.0)) BAD("--min-s %g: must be > 0 s", p->min_len_s);
        if (!(p->max_len_s >= 2.0 * p->min_len_s)) BAD("--max-s %g: must be >= 2 x --min-s", p->max_len_s);
    } else {
        BAD("--segment: unknown method");
    }
    return 0;
}

int cs_analyze_check_opts(const cs_analyze_opts *o, char *err, size_t errlen)
{
    if (o->rate < 8000 || o->rate > 384000) BAD("--rate %d: must be 8000..384000 Hz", o->rate);
    if (o->channels < 1 || o->channels > 32) BAD("--channels %d: must be 1..32", o->channels);
    if (o->resampler < 0 || o->resampler >= CS_RESAMPLER_COUNT)
        BAD("--resample-quality %d: must be 0 (best) .. 4 (linear)", o->resampler);
    int rc = check_segment_opts(o, err, errlen);
    if (rc) return rc;
    if (o->fft_size != 0 && (o->fft_size < 256 || o->fft_size > 16384 || (o->fft_size & (o->fft_size - 1))))
        BAD("--fft-size %d: must be a power of two 256..16384", o->fft_size);
    cs_frame_params fp;
    cs_analyze_frame_params(o, &fp);
    if (o->frame_hop < 0 || fp.hop < 1 || fp.hop > fp.fft_size)
        BAD("--frame-hop %d: must be 1..fft-size (%d) samples", o->frame_hop, fp.fft_size);
    if (o->normalize != CS_NORM_ZSCORE && o->normalize != CS_NORM_ROBUST) BAD("--normalize: unknown method");
    if (o->cluster < 0 || o->cluster >= cs_num_cluster_methods) BAD("--cluster: unknown method");
    rc = cs_cluster_methods[o->cluster].check(&o->cl, err, errlen);
    if (rc) return rc;
    int any = 0;
    for (int d = 0; d < CS_D_COUNT; ++d) {
        if (!(o->weights[d] >= 0.0f) || !isfinite(o->weights[d]))
            BAD("--weights: weight of %s must be finite and >= 0", cs_descriptor_name(d));
        if (o->weights[d] > 0.0f) any = 1;
    }
    if (!any) BAD("--descriptors/--weights: no descriptor left to cluster on");
    if (o->threads < 1 || o->threads > 256) BAD("--threads %d: must be 1..256", o->threads);
    return 0;
}
#undef BAD

/* The units and descriptors of one source. */
typedef struct source_units {
    cs_segments seg;
    float *desc; /* seg.n * CS_D_COUNT */
} source_units;

/* The pipeline's state: each stage fills its part, the later stages read it; analysis_free releases it all. */
typedef struct analysis {
    const cs_analyze_opts *o;
    cs_analyze_report *rep;
    char *err;
    size_t errlen;
    cs_pathlist files;   /* collect: the audio files, sorted within each folder */
    size_t nf;           /* decode: the sources kept (silent files in folders are left out) */
    cs_audio *audio;     /* decode: what the nf sources were and their length at the corpus rate */
    cs_frames *fr;       /* decode: nf sources' descriptor frames (frame-rate data is all that is kept whole) */
    char *tmpdir;        /* begin: the bundle's temporary folder (cs_bundle_write.c) */
    cs_wav_stream wav;   /* decode: the packed audio, written to tmpdir/audio.wav as it is decoded */
    uint64_t *checksums; /* decode: nf FNV-1a 64 of the files' bytes */
    source_units *su;    /* describe: nf */
    double flux_sum;     /* describe: sum of CS_FF_FLUX over every frame of every source (the listening section) */
    uint64_t flux_frames;
    cs_wav_stream flux; /* describe, --partial: every frame's CS_FF_FLUX, to tmpdir/flux.wav (merge sums them) */
    int paths_final;    /* merge: files.v are the absolute paths the parts' manifests give (no realpath) */
    size_t n, frames;   /* gather: units and packed audio frames in all */
    float *X;           /* gather: (n, CS_D_COUNT) descriptors */
    uint64_t *ustart, *ulen;
    int32_t *usource, *usucc, *ulabel;
    float *Xn; /* normalise: (n, CS_D_COUNT) */
    double center[CS_D_COUNT], scale[CS_D_COUNT];
    cs_clustering cl;      /* cluster */
    int rule_iters;        /* cluster (k-means): relabelling rounds of label_rule_finish, or -1 when it stopped short */
    size_t rule_agree;     /* cluster (k-means): units whose label is their nearest centroid's (the label rule) */
    const cs_bundle *from; /* --labels-from: corpus A, whose analysis, normalisation and centroids label B */
    float *table;          /* table: unit table with its index, tn floats */
    size_t tn;
    cJSON *man; /* manifest */
} analysis;

static void analysis_free(analysis *a)
{
    cJSON_Delete(a->man);
    for (size_t i = 0; a->fr && i < a->files.n; ++i)
        cs_frames_free(&a->fr[i]);
    free(a->fr);
    char ignored[8];
    cs_wav_stream_close(&a->wav, 0, ignored, sizeof ignored); /* after an error: removed */
    cs_wav_stream_close(&a->flux, 0, ignored, sizeof ignored);
    if (a->tmpdir) cs_bundle_abort(a->tmpdir);
    free(a->tmpdir);
    for (size_t i = 0; a->su && i < a->files.n; ++i) {
        cs_segments_free(&a->su[i].seg);
        free(a->su[i].desc);
    }
    free(a->audio);
    free(a->su);
    free(a->checksums);
    free(a->X);
    free(a->Xn);
    free(a->table);
    free(a->ustart);
    free(a->ulen);
    free(a->ulabel);
    free(a->usource);
    free(a->usucc);
    cs_pathlist_free(&a->files);
}

/* --- collect: SOURCE arguments -> audio files --- */
/* --files-from: every non-empty line of the list is a file, appended to a->files as if found in a folder. */
static int collect_list(const char *list, cs_pathlist *l, char *err, size_t errlen)
{
    FILE *f = fopen(list, "r");
    if (!f) {
        snprintf(err, errlen, "--files-from %s: cannot open", list);
        return CS_E_IO;
    }
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    ssize_t len;
    int rc = 0;
    while (rc == 0 && (len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0) continue;
        struct stat st;
        if (stat(line, &st) != 0 || !S_ISREG(st.st_mode)) {
            snprintf(err, errlen, "--files-from %s:%zu: %s: no such file (one file per line)", list, lineno, line);
            rc = CS_E_IO;
            break;
        }
        rc = cs_pathlist_push(l, line, 1);
    }
    free(line);
    fclose(f);
    if (rc == 0 && l->n == 0) {
        snprintf(err, errlen, "--files-from %s: lists no file", list);
        rc = CS_E_EMPTY;
    }
    return rc;
}

int cs_analyze_sources(char *const *sources, size_t nsources, const cs_analyze_opts *o, cs_pathlist *files, char *err,
                       size_t errlen)
{
    const char *bad = NULL;
    int rc = 0;
    memset(files, 0, sizeof *files);
    if (nsources || !o->files_from)
        rc = cs_collect_sources(sources, nsources, o->strict, o->warn, o->progress_user, files, &bad);
    if (rc == 0 && o->files_from)
        rc = collect_list(o->files_from, files, err, errlen);
    else if (rc == CS_E_IO)
        snprintf(err, errlen, "%s: no such file or folder, or not readable", bad);
    else if (rc == CS_E_FORMAT)
        snprintf(err, errlen, "%s: not an audio file libsndfile can read", bad);
    else if (rc == CS_E_EMPTY)
        snprintf(err, errlen, "%s: folder holds no audio file", bad);
    else if (rc == CS_E_ARG)
        snprintf(err, errlen, "no SOURCE given");
    else if (rc)
        snprintf(err, errlen, "collecting sources: %s", cs_strerror(rc));
    return rc;
}

/* --- limits: the unit table's limits from the files' headers, before any decoding --- */
int cs_analyze_check_limits(const cs_analyze_opts *o, const uint64_t *frames, size_t n, char *err, size_t errlen)
{
    const double sr = (double)o->rate;
    const uint64_t L = grain_samples(o->unit_ms, sr), H = grain_samples(o->hop_ms, sr);
    uint64_t total = 0, units = 0;
    for (size_t i = 0; i < n; ++i) {
        if (frames[i] == UINT64_MAX) continue;
        total += frames[i];
        if (total >= ((uint64_t)1 << 40)) {
            snprintf(err, errlen,
                     "%.0f hours of audio at %d Hz: more than the unit table's frame encoding holds "
                     "(2^40 frames); use a lower --rate or fewer sources",
                     (double)total / sr / 3600.0, o->rate);
            return CS_E_TOO_LARGE;
        }
        if (o->segment == CS_SEG_GRAIN && frames[i] >= L) units += (frames[i] - L) / H + 1;
    }
    if (o->segment != CS_SEG_GRAIN) return 0;
    const uint64_t nodes = 4u * units / CS_INDEX_DEFAULT_LEAF + units; /* bound on the index's nodes */
    /* bound on the labels: k-means makes --clusters (or at most CS_KMEANS_DEFAULT_K), DBSCAN up to one per unit
     * and a noise label, affinity propagation at most one per unit */
    const uint64_t K =
        o->cluster == 0 ? (uint64_t)(o->cl.kmeans.k > 0 ? o->cl.kmeans.k : CS_KMEANS_DEFAULT_K) : units + 1;
    const uint64_t floats = (uint64_t)CS_UT_HEADER + units * (CS_UT_ROW_FIXED + (uint64_t)CS_D_COUNT + 1u) +
                            /* rows and members, labels; index: header, roots, order, nodes, rows */
                            2u * K + CS_UT_INDEX_HEADER + 2u * K + units +
                            nodes * (CS_UT_NODE_FIXED + 2u * (uint64_t)CS_D_COUNT) + units * (uint64_t)CS_D_COUNT +
                            /* the listening section: fixed fields, center, scale, weight, K centroids */
                            CS_UT_LISTEN_FIXED + (3u + K) * (uint64_t)CS_D_COUNT;
    if (units > CS_UT_MAX_UNITS) {
        snprintf(err, errlen,
                 "%llu units of --unit-ms %g / --hop-ms %g: more than the unit table holds (%d units); use a "
                 "longer --hop-ms or fewer sources",
                 (unsigned long long)units, o->unit_ms, o->hop_ms, CS_UT_MAX_UNITS);
        return CS_E_TOO_LARGE;
    }
    if (floats > CS_UT_MAX_FLOATS) {
        snprintf(err, errlen,
                 "%llu units of --unit-ms %g / --hop-ms %g with --cluster %s: a unit table of up to %llu floats, more "
                 "than a Buffer holds (%u); use a longer --hop-ms, fewer sources or --cluster kmeans",
                 (unsigned long long)units, o->unit_ms, o->hop_ms, cs_cluster_methods[o->cluster].name,
                 (unsigned long long)floats, CS_UT_MAX_FLOATS);
        return CS_E_TOO_LARGE;
    }
    return 0;
}

/* The files' lengths at the corpus rate from their headers (libsndfile reads no audio for this). */
static int stage_limits(analysis *a)
{
    const size_t n = a->files.n;
    uint64_t *frames = malloc((n ? n : 1) * sizeof *frames);
    if (!frames) return CS_E_NOMEM;
    for (size_t i = 0; i < n; ++i) {
        SF_INFO info;
        memset(&info, 0, sizeof info);
        SNDFILE *f = sf_open(a->files.v[i], SFM_READ, &info);
        frames[i] = UINT64_MAX; /* unreadable, or a length the header does not know: decode decides */
        if (f && info.frames > 0 && info.frames < ((sf_count_t)1 << 50) && info.samplerate > 0)
            frames[i] = (uint64_t)ceil((double)info.frames * (double)a->o->rate / (double)info.samplerate);
        if (f) sf_close(f);
    }
    const int rc = cs_analyze_check_limits(a->o, frames, n, a->err, a->errlen);
    free(frames);
    return rc;
}

/* --- decode, one source after the other, block by block: the audio goes to audio.wav, its mono mix through
 * the frame analysis; nothing of the length of the audio is held --- */

/* The one-line message for decoding failure `rc` of file `i`. */
static void decode_error(analysis *a, size_t i, int rc, const char *detail)
{
    const char *path = a->files.v[i];
    if (detail && detail[0])
        snprintf(a->err, a->errlen, "%s: %s", path, detail);
    else if (rc == CS_E_CHANNELS)
        snprintf(a->err, a->errlen,
                 "%s: has %d channels, which --channels %d cannot serve (use 1 to mix down, or the file's own count)",
                 path, a->audio[i].original_channels, a->o->channels);
    else if (rc == CS_E_EMPTY)
        snprintf(a->err, a->errlen, "%s: zero-length audio file", path);
    else
        snprintf(a->err, a->errlen, "%s: %s", path, cs_strerror(rc));
}

/* Mono mix (mean over channels, in double) of n frames x ch into m; as the frames were mixed before. */
static void mono_mix(const float *x, size_t n, int ch, float *m)
{
    for (size_t i = 0; i < n; ++i) {
        double s = 0.0;
        for (int c = 0; c < ch; ++c)
            s += (double)x[i * (size_t)ch + (size_t)c];
        m[i] = (float)(s / ch);
    }
}

#define CS_MIX_CAP (1u << 17)

/* Stream source i (its blocks from the decoder, cs_decoder.h) into the audio file and the frame analysis.
 * *silent: every sample was exactly 0. */
static int decode_source(analysis *a, size_t i, cs_decoder *dec, cs_frames_stream *fs, float *mix, int *silent)
{
    const cs_analyze_opts *o = a->o;
    cs_audio *au = &a->audio[i];
    cs_decoded it;
    int rc = 0, frc = 0;
    for (;;) {
        if (!cs_decoder_next(dec, &it) || it.source != i) {
            snprintf(a->err, a->errlen, "%s: internal error: the decoder lost its place", a->files.v[i]);
            return CS_E_INTERNAL;
        }
        if (it.kind == CS_DECODED_END) break;
        const size_t n = it.frames;
        rc = cs_wav_stream_write(&a->wav, it.data, n, a->err, a->errlen);
        if (rc) return rc;
        if (n > CS_MIX_CAP) {
            snprintf(a->err, a->errlen, "%s: internal error: a decoded block of %zu frames", a->files.v[i], n);
            return CS_E_INTERNAL;
        }
        if (o->channels > 1) mono_mix(it.data, n, o->channels, mix);
        if (frc == 0) frc = cs_frames_stream_push(fs, o->channels > 1 ? mix : it.data, n);
        au->frames += n;
    }
    rc = it.rc;
    if (rc) {
        decode_error(a, i, rc, it.msg);
        return rc;
    }
    const int64_t decoded = it.decoded;
    *silent = !it.nonzero;
    if (decoded == 0) {
        decode_error(a, i, CS_E_EMPTY, "");
        return CS_E_EMPTY;
    }
    if (decoded < au->original_frames) {
        char msg[160];
        snprintf(msg, sizeof msg, "the header counts %lld frames but only %lld decode (%.3f s): truncated? using those",
                 (long long)au->original_frames, (long long)decoded, (double)decoded / au->original_rate);
        if (o->warn) o->warn(o->progress_user, a->files.v[i], msg);
        au->original_frames = decoded;
    }
    if (*silent) return 0;
    if (au->frames == 0) {
        snprintf(a->err, a->errlen,
                 "%s: %lld frame(s) at %d Hz resample to no frame at --rate %d; the file is too short (or choose a "
                 "higher --rate)",
                 a->files.v[i], (long long)decoded, au->original_rate, o->rate);
        return CS_E_EMPTY;
    }
    if (frc == 0) frc = cs_frames_stream_finish(fs, &a->fr[i]);
    if (frc == CS_E_ARG)
        snprintf(a->err, a->errlen, "%s: a sample exceeds the analysable range (|x| <= 1e12); rescale the file",
                 a->files.v[i]);
    else if (frc)
        snprintf(a->err, a->errlen, "%s: frame analysis failed (%s)", a->files.v[i], cs_strerror(frc));
    return frc;
}

static int stage_decode(analysis *a)
{
    const cs_analyze_opts *o = a->o;
    const size_t n = a->files.n;
    a->audio = calloc(n, sizeof *a->audio);
    a->fr = calloc(n, sizeof *a->fr);
    a->checksums = calloc(n, sizeof *a->checksums);
    a->su = calloc(n, sizeof *a->su);
    float *mix = malloc(CS_MIX_CAP * sizeof *mix); /* cs_audio_next's blocks are at most 65 536 + 257 frames */
    if (!a->audio || !a->fr || !a->checksums || !a->su || !mix) {
        free(mix);
        return CS_E_NOMEM;
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", a->tmpdir, CS_BUNDLE_AUDIO);
    int rc = cs_wav_stream_open(&a->wav, path, o->channels, o->rate, a->err, a->errlen);
    cs_frame_params fp;
    cs_analyze_frame_params(o, &fp);
    size_t k = 0;
    char **skipped = calloc(n, sizeof *skipped); /* silent files skipped, in order */
    /* the decoder reads the paths as they were (the loop below moves the kept ones to the front); with 2 or more
     * threads it decodes ahead on a thread of its own */
    char **paths = malloc(n * sizeof *paths);
    cs_decoder *dec = NULL;
    if (!skipped || !paths) rc = CS_E_NOMEM;
    if (rc == 0) {
        memcpy(paths, a->files.v, n * sizeof *paths);
        rc = cs_decoder_start(&dec, paths, n, o->rate, o->channels, o->resampler, a->audio, o->threads > 1);
        if (rc == CS_E_INTERNAL) /* no thread: decode here */
            rc = cs_decoder_start(&dec, paths, n, o->rate, o->channels, o->resampler, a->audio, 0);
        if (rc) snprintf(a->err, a->errlen, "decoding: %s", cs_strerror(rc));
    }
    for (size_t i = 0; rc == 0 && i < n; ++i) {
        cs_frames_stream *fs = NULL;
        rc = cs_frames_stream_new(&fp, o->threads, &fs);
        if (rc) {
            snprintf(a->err, a->errlen, "%s: frame analysis failed (%s)", a->files.v[i], cs_strerror(rc));
            break;
        }
        size_t before = a->wav.frames;
        int silent = 0;
        rc = decode_source(a, i, dec, fs, mix, &silent);
        cs_frames_stream_free(fs);
        progress(o, "decode", i + 1, n, a->files.v[i]);
        if (rc) break;
        if (silent) {
            if (!a->files.walked[i] || o->strict) {
                decode_error(a, i, CS_E_SILENT, "");
                rc = CS_E_SILENT;
                break;
            }
            /* digital silence in a folder is skipped; it is not in the audio either */
            rc = cs_wav_stream_truncate(&a->wav, before, a->err, a->errlen);
            skipped[a->rep->skipped++] = a->files.v[i]; /* warned about once every file is through */
            a->files.v[i] = NULL;
            continue;
        }
        /* compact the kept sources to the front, in order */
        a->files.v[k] = a->files.v[i];
        a->files.walked[k] = a->files.walked[i];
        a->audio[k] = a->audio[i];
        a->fr[k] = a->fr[i];
        if (k != i) {
            a->files.v[i] = NULL;
            memset(&a->fr[i], 0, sizeof a->fr[i]);
        }
        k++;
    }
    cs_decoder_stop(dec);
    free(paths);
    free(mix);
    if (rc == 0 && k == 0) {
        snprintf(a->err, a->errlen, "%s: %s", skipped[0], cs_strerror(CS_E_SILENT));
        rc = CS_E_SILENT;
    }
    for (size_t i = 0; skipped && i < a->rep->skipped; ++i) {
        if (rc == 0 && o->warn) o->warn(o->progress_user, skipped[i], "digital silence, skipped");
        free(skipped[i]);
    }
    free(skipped);
    if (rc == 0) {
        a->files.n = k;
        a->nf = k;
    }
    for (size_t i = 0; rc == 0 && i < a->nf; ++i) {
        if (cs_file_fnv1a64(a->files.v[i], &a->checksums[i]) != 0) {
            snprintf(a->err, a->errlen, "%s: cannot read for its checksum", a->files.v[i]);
            rc = CS_E_IO;
        }
    }
    return rc;
}

/* --- describe, per source: frames -> units -> unit descriptors --- */
static int source_segment(const analysis *a, const cs_audio *au, const cs_frames *fr, const char *path,
                          cs_segments *seg)
{
    const cs_analyze_opts *o = a->o;
    const double sr = (double)o->rate;
    int rc;
    if (o->segment == CS_SEG_GRAIN) {
        rc = cs_segment_grain(au->frames, (size_t)grain_samples(o->unit_ms, sr), (size_t)grain_samples(o->hop_ms, sr),
                              seg);
    } else if (o->segment == CS_SEG_ONSET) {
        rc = cs_segment_onset(fr, au->frames, &o->onset, seg);
    } else {
        rc = cs_segment_novelty(fr, au->frames, &o->novelty, seg);
    }
    if (rc == 0 && seg->n == 0) rc = CS_E_SHORT;
    if (rc == CS_E_SHORT)
        snprintf(a->err, a->errlen, "%s: shorter than one unit (%.3f s of audio)", path, (double)au->frames / sr);
    else if (rc)
        snprintf(a->err, a->errlen, "%s: segmentation failed (%s)", path, cs_strerror(rc));
    return rc;
}

/* The level sums of every unit of a source, from its audio read back from audio.wav in blocks (frames
 * [offset, offset + au->frames) there; the mono mix as the frame analysis saw it). Units are sorted by start;
 * grains may overlap, and all have one length, so their ends are sorted too. */
static int source_levels(analysis *a, const cs_audio *au, size_t offset, const cs_segments *seg, cs_level *lv)
{
    const int ch = a->o->channels;
    const size_t B = 65536;
    float *buf = malloc(B * (size_t)ch * sizeof *buf), *mix = ch > 1 ? malloc(B * sizeof *mix) : NULL;
    if (!buf || (ch > 1 && !mix)) {
        free(buf);
        free(mix);
        return CS_E_NOMEM;
    }
    memset(lv, 0, seg->n * sizeof *lv);
    int rc = 0;
    size_t first = 0; /* units before it have ended */
    for (size_t c0 = 0; c0 < au->frames && rc == 0; c0 += B) {
        const size_t c1 = au->frames - c0 < B ? au->frames : c0 + B;
        rc = cs_wav_stream_read(&a->wav, offset + c0, c1 - c0, buf, a->err, a->errlen);
        if (rc) break;
        const float *mono = buf;
        if (ch > 1) mono_mix(buf, c1 - c0, ch, mix), mono = mix;
        for (size_t u = first; u < seg->n && seg->v[u].start < c1; ++u) {
            const size_t st = seg->v[u].start, end = st + seg->v[u].length;
            if (end <= c0) continue;
            const size_t from = st > c0 ? st : c0, to = end < c1 ? end : c1;
            cs_level_add(&lv[u], mono + (from - c0), from - st, to - st, seg->v[u].length);
        }
        while (first < seg->n && seg->v[first].start + seg->v[first].length <= c1)
            first++;
    }
    free(buf);
    free(mix);
    return rc;
}

static int source_describe(analysis *a, size_t i, size_t offset, source_units *su)
{
    const char *path = a->files.v[i];
    su->desc = malloc(su->seg.n * CS_D_COUNT * sizeof *su->desc);
    cs_level *lv = malloc((su->seg.n ? su->seg.n : 1) * sizeof *lv);
    if (!su->desc || !lv) {
        free(lv);
        return CS_E_NOMEM;
    }
    int rc = source_levels(a, &a->audio[i], offset, &su->seg, lv);
    for (size_t u = 0; u < su->seg.n && rc == 0; ++u) {
        float *out = su->desc + u * CS_D_COUNT;
        rc = cs_describe_unit_level(&a->fr[i], su->seg.v[u].start, su->seg.v[u].length, &lv[u], out);
        for (int d = 0; d < CS_D_COUNT && rc == 0; ++d)
            if (!isfinite(out[d])) rc = CS_E_NONFINITE;
        if (rc) snprintf(a->err, a->errlen, "%s: describing unit %zu failed (%s)", path, u, cs_strerror(rc));
    }
    free(lv);
    return rc;
}

/* --partial: the frames' flux values of source i to flux.wav, in order (merge sums them as describe_source does) */
static int partial_flux(analysis *a, const cs_frames *fr)
{
    float buf[4096];
    int rc = 0;
    for (size_t f0 = 0; rc == 0 && f0 < fr->n_frames; f0 += 4096) {
        const size_t n = fr->n_frames - f0 < 4096 ? fr->n_frames - f0 : 4096;
        for (size_t f = 0; f < n; ++f)
            buf[f] = fr->data[(f0 + f) * CS_FF_COUNT + CS_FF_FLUX];
        rc = cs_wav_stream_write(&a->flux, buf, n, a->err, a->errlen);
    }
    return rc;
}

static int describe_source(analysis *a, size_t i, size_t offset, source_units *su)
{
    int rc = source_segment(a, &a->audio[i], &a->fr[i], a->files.v[i], &su->seg);
    if (rc == 0) rc = source_describe(a, i, offset, su);
    const cs_frames *fr = &a->fr[i]; /* the corpus's mean flux (the live onset detector's delta_abs) */
    for (size_t f = 0; rc == 0 && f < fr->n_frames; ++f)
        a->flux_sum += (double)fr->data[f * CS_FF_COUNT + CS_FF_FLUX];
    if (rc == 0) a->flux_frames += fr->n_frames;
    if (rc == 0 && a->o->partial) rc = partial_flux(a, fr);
    cs_frames_free(&a->fr[i]); /* done with: the next source's frames need the room */
    if (rc) {
        cs_segments_free(&su->seg);
        free(su->desc);
        su->desc = NULL;
    }
    return rc;
}

static int check_union(analysis *a);

static int stage_describe(analysis *a)
{
    size_t units = 0;
    if (a->o->partial) {
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", a->tmpdir, CS_BUNDLE_FLUX);
        int rc = cs_wav_stream_open(&a->flux, path, 1, a->o->rate, a->err, a->errlen);
        if (rc) return rc;
    }
    for (size_t i = 0; i < a->nf; ++i) {
        progress(a->o, "analyze", i, a->nf, a->files.v[i]);
        int rc = describe_source(a, i, a->frames, &a->su[i]);
        if (rc) return rc;
        units += a->su[i].seg.n;
        a->frames += a->audio[i].frames;
    }
    progress(a->o, "analyze", a->nf, a->nf, "");
    a->n = units;
    return check_union(a);
}

/* The unit table's limits on the units and packed audio of every source (a->n, a->frames). */
static int check_union(analysis *a)
{
    const size_t units = a->n;
    if (units > CS_UT_MAX_UNITS) {
        snprintf(a->err, a->errlen, "%zu units: more than the unit table holds (%d); use longer units", units,
                 CS_UT_MAX_UNITS);
        return CS_E_TOO_LARGE;
    }
    if ((double)a->frames / CS_UT_SPLIT >= 16777216.0) {
        snprintf(a->err, a->errlen, "corpus too long for the unit table's frame encoding");
        return CS_E_TOO_LARGE;
    }
    return 0;
}

/* --- gather: every unit of every source in order, with its original successor --- */
static int stage_gather(analysis *a)
{
    const size_t N = a->n, D = CS_D_COUNT;
    a->X = malloc(N * D * sizeof *a->X);
    a->ustart = malloc(N * sizeof *a->ustart);
    a->ulen = malloc(N * sizeof *a->ulen);
    a->ulabel = malloc(N * sizeof *a->ulabel);
    a->usource = malloc(N * sizeof *a->usource);
    a->usucc = malloc(N * sizeof *a->usucc);
    if (!a->X || !a->ustart || !a->ulen || !a->ulabel || !a->usource || !a->usucc) return CS_E_NOMEM;
    size_t u = 0, offset = 0;
    for (size_t i = 0; i < a->nf; ++i) {
        const source_units *su = &a->su[i];
        size_t first = u;
        for (size_t k = 0; k < su->seg.n; ++k, ++u) {
            memcpy(a->X + u * D, su->desc + k * D, D * sizeof *a->X);
            a->ustart[u] = offset + su->seg.v[k].start;
            a->ulen[u] = su->seg.v[k].length;
            a->usource[u] = (int32_t)i;
        }
        /* original successor: the first later unit of the source starting at or after this one's end */
        size_t nxt = first;
        for (size_t k = first; k < u; ++k) {
            uint64_t end = a->ustart[k] + a->ulen[k];
            if (nxt <= k) nxt = k + 1;
            while (nxt < u && a->ustart[nxt] < end)
                nxt++;
            a->usucc[k] = nxt < u ? (int32_t)nxt : -1;
        }
        offset += a->audio[i].frames;
    }
    return 0;
}

/* --- normalise: per-descriptor statistics, descriptors in normalised units --- */
static int stage_normalise(analysis *a)
{
    const size_t N = a->n, D = CS_D_COUNT;
    a->Xn = malloc(N * D * sizeof *a->Xn);
    if (!a->Xn) return CS_E_NOMEM;
    if (a->from) { /* A's float32 statistics, (raw - center) / scale in double, as ConcatListen normalises */
        const cs_ut_listen *l = &a->from->view.listen;
        for (size_t d = 0; d < D; ++d)
            a->center[d] = (double)l->center[d], a->scale[d] = (double)l->scale[d];
        for (size_t u = 0; u < N; ++u)
            for (size_t d = 0; d < D; ++d)
                a->Xn[u * D + d] = (float)(((double)a->X[u * D + d] - a->center[d]) / a->scale[d]);
        return 0;
    }
    memcpy(a->Xn, a->X, N * D * sizeof *a->Xn);
    return cs_normalize(a->Xn, N, D, a->o->normalize, a->center, a->scale);
}

/* --- labels from A (--labels-from, BUNDLE.md "Labels from another corpus") --- */

/* The weighted squared distance of the label rule (cs_ut_nearest's: double, descriptor order, w > 0 only). */
static double rule_d2(const float *x, const float *c, const float *w)
{
    double d2 = 0.0;
    for (size_t d = 0; d < CS_D_COUNT; ++d)
        if (w[d] > 0.0f) {
            const double e = (double)x[d] - (double)c[d];
            d2 += (double)w[d] * e * e;
        }
    return d2;
}

/* Read bundle A and derive B's options from it: A's rate, frame analysis, normalisation and weights (the rest of
 * `o` stays). 0, or CS_E_* with one line naming --labels-from and the fix. */
static int labels_from_open(const cs_analyze_opts *o, cs_bundle *A, cs_analyze_opts *lo, char *err, size_t errlen)
{
    char e2[512] = "";
    int rc = cs_bundle_read(o->labels_from, A, e2, sizeof e2);
    if (rc) {
        snprintf(err, errlen, "--labels-from %s: %s", o->labels_from, e2);
        return rc;
    }
    const cs_ut_view *v = &A->view;
    if (!v->has_listen || v->num_descriptors != CS_D_COUNT) {
        snprintf(err, errlen,
                 "--labels-from %s: the unit table has no listening section of %d descriptors (rebuild A with "
                 "`concatseq analyze --force`)",
                 o->labels_from, CS_D_COUNT);
        return CS_E_FORMAT;
    }
    *lo = *o;
    lo->rate = (int)v->sample_rate;
    lo->fft_size = v->listen.frame.fft_size;
    lo->frame_hop = v->listen.frame.hop;
    lo->normalize = norm_from_ut(v->listen.norm_method);
    lo->cluster = 0;
    for (int d = 0; d < CS_D_COUNT; ++d)
        lo->weights[d] = v->listen.weight[d];
    cs_frame_params fp;
    cs_frame_config c;
    cs_analyze_frame_params(lo, &fp);
    const cs_frame_config *f = &v->listen.frame;
    if (cs_frame_params_config(&fp, &c) != 0 || c.sample_rate != f->sample_rate || c.n_mels != f->n_mels ||
        c.mel_fmin != f->mel_fmin || c.mel_fmax != f->mel_fmax || c.rolloff != f->rolloff ||
        c.yin_threshold != f->yin_threshold || c.f0_min != f->f0_min || c.f0_max != f->f0_max) {
        snprintf(err, errlen,
                 "--labels-from %s: its frame analysis is not the one analyze makes at %d Hz, FFT %d, hop %d (rebuild "
                 "A with this version's `concatseq analyze --force`)",
                 o->labels_from, lo->rate, lo->fft_size, lo->frame_hop);
        return CS_E_FORMAT;
    }
    return 0;
}

/* A label of A that no unit of B took is given B's unit nearest its centroid (the rule's distance; ties to the
 * lower unit), taken from a label that keeps another unit and not moved before, so that every label a model of A
 * samples plays the nearest sound B has. Labels in order; O(E N D) for E empty labels. Returns the labels filled;
 * updates count, dist (per unit: the distance to its label's centroid) and the labels. */
static size_t labels_from_fill(analysis *a, size_t *count, double *dist, unsigned char *moved)
{
    const cs_ut_view *v = &a->from->view;
    const size_t N = a->n, D = CS_D_COUNT;
    size_t filled = 0;
    for (uint32_t k = 0; k < v->num_labels; ++k) {
        if (count[k]) continue;
        size_t best = N;
        double bd = INFINITY;
        for (size_t u = 0; u < N; ++u) {
            if (moved[u] || count[a->ulabel[u]] < 2) continue;
            const double d2 = rule_d2(a->Xn + u * D, v->listen.centroids + (size_t)k * D, v->listen.weight);
            if (d2 < bd) bd = d2, best = u;
        }
        if (best == N) continue; /* fewer units than labels: k stays empty */
        count[a->ulabel[best]]--;
        a->ulabel[best] = (int32_t)k;
        count[k] = 1;
        dist[best] = sqrt(bd);
        moved[best] = 1;
        filled++;
    }
    return filled;
}

/* Every unit of B takes A's nearest weighted centroid (the label rule); labels_from_fill gives each label that none
 * took its nearest unit. Then the distances the report and the manifest give: per label of A, the mean distance
 * (the square root of the rule's d2) of its units to its centroid, and the mean distance of all of B's units to it
 * (what random units would give); both averaged over the labels weighted by their unit counts in A (how often a
 * model of A plays each). O(N K D). */
static int labels_from_label(analysis *a)
{
    const cs_ut_view *v = &a->from->view;
    const uint32_t K = v->num_labels;
    const size_t N = a->n, D = CS_D_COUNT;
    const float *cent = v->listen.centroids, *w = v->listen.weight;
    if ((size_t)K > N + 1) { /* the unit table holds at most N + 1 labels (BUNDLE.md "Header") */
        snprintf(a->err, a->errlen,
                 "--labels-from %s: it has %u labels but these sources give %zu units (the table needs at least %u: "
                 "shorter units or more audio)",
                 a->o->labels_from, K, N, K - 1);
        return CS_E_TOO_FEW;
    }
    size_t *count = calloc(K, sizeof *count);
    double *random = calloc(K, sizeof *random), *dist = calloc(N ? N : 1, sizeof *dist);
    unsigned char *moved = calloc(N ? N : 1, 1);
    int rc = count && random && dist && moved ? 0 : CS_E_NOMEM;
    memset(&a->cl, 0, sizeof a->cl);
    a->cl.num_labels = (int)K;
    for (size_t u = 0; rc == 0 && u < N; ++u) {
        double d2 = 0.0;
        a->ulabel[u] = cs_ut_nearest(cent, w, K, (uint32_t)D, a->Xn + u * D, &d2);
        count[a->ulabel[u]]++;
        dist[u] = sqrt(d2);
        for (uint32_t k = 0; k < K; ++k)
            random[k] += sqrt(rule_d2(a->Xn + u * D, cent + (size_t)k * D, w));
    }
    if (rc == 0) {
        a->rep->nearest_filled = labels_from_fill(a, count, dist, moved);
        double *mapped = calloc(K, sizeof *mapped);
        rc = mapped ? 0 : CS_E_NOMEM;
        for (size_t u = 0; rc == 0 && u < N; ++u) {
            mapped[a->ulabel[u]] += dist[u];
            a->cl.inertia += dist[u] * dist[u];
        }
        /* A's noise label stays the noise label when some unit of B has it */
        a->cl.noise_label = v->noise_label >= 0 && count[v->noise_label] ? v->noise_label : -1;
        a->cl.noise_units = a->cl.noise_label >= 0 ? count[a->cl.noise_label] : 0;
        double wsum = 0.0, msum = 0.0, rsum = 0.0;
        a->rep->empty_labels = 0;
        for (uint32_t k = 0; rc == 0 && k < K; ++k) {
            if (!count[k]) {
                a->rep->empty_labels++;
                continue;
            }
            uint32_t first = 0;
            const double wk = (double)cs_ut_label_count(v, (int32_t)k, &first);
            wsum += wk;
            msum += wk * mapped[k] / (double)count[k];
            rsum += wk * random[k] / (double)N;
        }
        a->rep->mapped_distance = wsum > 0.0 ? msum / wsum : 0.0;
        a->rep->random_distance = wsum > 0.0 ? rsum / wsum : 0.0;
        free(mapped);
    }
    free(count);
    free(random);
    free(dist);
    free(moved);
    if (rc == 0 && a->o->warn && (a->rep->nearest_filled || a->rep->empty_labels)) {
        char msg[320];
        snprintf(msg, sizeof msg,
                 "%zu of %u labels of %s were nearest to no unit of this corpus and play its unit nearest their "
                 "centroid; %zu have no unit at all (fewer units than labels) and play nothing",
                 a->rep->nearest_filled, K, a->o->labels_from, a->rep->empty_labels);
        a->o->warn(a->o->progress_user, "--labels-from", msg);
    }
    return rc;
}

/* --- cluster: the chosen method of cs_cluster_methods, on the weighted normalised descriptors --- */
static int stage_cluster(analysis *a)
{
    if (a->from) return labels_from_label(a);
    const cs_cluster_method *m = &cs_cluster_methods[a->o->cluster];
    progress(a->o, "cluster", 0, 1, m->name);
    int *labels = malloc((a->n ? a->n : 1) * sizeof *labels);
    if (!labels) return CS_E_NOMEM;
    memset(&a->cl, 0, sizeof a->cl);
    a->cl.noise_label = -1;
    a->cl.inertia = NAN;
    int rc = m->run(a->Xn, a->n, CS_D_COUNT, a->o->weights, &a->o->cl, a->o->seed, a->o->threads, labels, &a->cl,
                    a->err, a->errlen);
    if (rc && !a->err[0]) snprintf(a->err, a->errlen, "--cluster %s: %s", m->name, cs_strerror(rc));
    if (rc == 0 && a->cl.num_labels < 1) {
        snprintf(a->err, a->errlen, "--cluster %s: no cluster found", m->name);
        rc = CS_E_TOO_FEW;
    }
    for (size_t u = 0; rc == 0 && u < a->n; ++u)
        a->ulabel[u] = labels[u];
    free(labels);
    if (rc == 0) progress(a->o, "cluster", 1, 1, m->name);
    return rc;
}

/* Per label the mean of its units' normalised descriptors, summed in double in unit order (what the listening
 * section's centroids are before rounding: cs_ut_encode_listen); counts[k] = its units. */
static void label_means(const analysis *a, double *means, size_t *counts)
{
    const size_t N = a->n, D = CS_D_COUNT, K = (size_t)a->cl.num_labels;
    memset(means, 0, K * D * sizeof *means);
    memset(counts, 0, K * sizeof *counts);
    for (size_t u = 0; u < N; ++u) {
        double *m = means + (size_t)a->ulabel[u] * D;
        counts[a->ulabel[u]]++;
        for (size_t d = 0; d < D; ++d)
            m[d] += (double)a->Xn[u * D + d];
    }
    for (size_t k = 0; k < K; ++k)
        for (size_t d = 0; d < D && counts[k]; ++d)
            means[k * D + d] /= (double)counts[k];
}

/* k-means, finished with the label rule (BUNDLE.md "Label of a sound"): while a unit's nearest centroid (the
 * float means of the labels, the distance of cs_ut_nearest) is not its own label's, every unit takes its nearest
 * label and the means are taken again: Lloyd's iterations in the rule's arithmetic, so the bundle's labels are
 * the ones a listener computes. k-means that converged (no label changed) already satisfies it, up to float
 * rounding at near ties; one stopped by --max-iter or its tolerance may not. A round that would leave a label
 * without units is not taken: then, or after CS_LABEL_RULE_ROUNDS rounds, the labels stay as they are, analyze
 * warns with the agreement and rule_iters is -1. Allocates O(N + K D). */
#define CS_LABEL_RULE_ROUNDS 1000
static int label_rule_finish(analysis *a)
{
    const size_t N = a->n, D = CS_D_COUNT, K = (size_t)a->cl.num_labels;
    double *means = malloc(K * D * sizeof *means);
    float *cent = malloc(K * D * sizeof *cent);
    size_t *counts = malloc(K * sizeof *counts), *next_counts = malloc(K * sizeof *next_counts);
    int32_t *next = malloc(N * sizeof *next);
    int rc = means && cent && counts && next_counts && next ? 0 : CS_E_NOMEM;
    a->rule_iters = 0;
    for (int round = 0; rc == 0; ++round) {
        label_means(a, means, counts);
        for (size_t i = 0; i < K * D; ++i)
            cent[i] = (float)means[i];
        size_t agree = 0;
        double inertia = 0.0;
        memset(next_counts, 0, K * sizeof *next_counts);
        for (size_t u = 0; u < N; ++u) {
            double d2 = 0.0;
            next[u] = cs_ut_nearest(cent, a->o->weights, (uint32_t)K, (uint32_t)D, a->Xn + u * D, &d2);
            next_counts[next[u]]++;
            agree += next[u] == a->ulabel[u];
            inertia += d2;
        }
        a->rule_agree = agree;
        if (agree == N) {
            if (round > 0) a->cl.inertia = inertia; /* the labels moved: the distances to the means they have */
            break;
        }
        int empties = 0;
        for (size_t k = 0; k < K; ++k)
            empties |= next_counts[k] == 0;
        if (empties || round == CS_LABEL_RULE_ROUNDS) {
            a->rule_iters = -1;
            break;
        }
        memcpy(a->ulabel, next, N * sizeof *next);
        a->rule_iters = round + 1;
    }
    free(means);
    free(cent);
    free(counts);
    free(next_counts);
    free(next);
    if (rc == 0 && a->rule_iters < 0 && a->o->warn) {
        char msg[256];
        snprintf(msg, sizeof msg,
                 "k-means labels: %zu of %zu units are labelled with their nearest centroid (finishing with the "
                 "label rule would leave a label empty)",
                 a->rule_agree, N);
        a->o->warn(a->o->progress_user, "--cluster kmeans", msg);
    }
    return rc;
}

/* --- table: the unit table (BUNDLE.md "Unit table") with its nearest-neighbour index and listening section --- */

/* The mean spectral flux over every frame of every source (the manifest's analysis.mean_flux, the listening
 * section's mean_flux); 0 without frames. */
static double corpus_mean_flux(const analysis *a)
{
    return a->flux_frames ? a->flux_sum / (double)a->flux_frames : 0.0;
}

/* The listening section's values (BUNDLE.md "Listening section"): what the server needs to hear a sound as the
 * corpus was heard. Arrays point into `buf` (3 * CS_D_COUNT floats). Only what analyze decides is set here:
 * cs_ut_encode_listen derives the stored onset_delta_abs (from onset_delta and mean_flux; the same product as the
 * config's) and the centroids itself. */
static void listen_values(const analysis *a, float *buf, cs_ut_listen *l)
{
    const cs_analyze_opts *o = a->o;
    cs_frame_params fp;
    cs_analyze_frame_params(o, &fp);
    memset(l, 0, sizeof *l);
    cs_frame_params_config(&fp, &l->frame); /* checked by cs_analyze_check_opts; the same floats the analysis used */
    l->segmentation = o->segment == CS_SEG_GRAIN   ? CS_UT_SEG_GRAIN
                      : o->segment == CS_SEG_ONSET ? CS_UT_SEG_ONSET
                                                   : CS_UT_SEG_NOVELTY;
    if (o->segment == CS_SEG_GRAIN) { /* as source_segment cuts them (the options bound them far below 2^32) */
        l->grain_len = (uint32_t)grain_samples(o->unit_ms, o->rate);
        l->grain_hop = (uint32_t)grain_samples(o->hop_ms, o->rate);
    } else { /* the mean unit length, rounded to samples */
        double sum = 0.0;
        for (size_t u = 0; u < a->n; ++u)
            sum += (double)a->ulen[u];
        const double mean = round(sum / (double)a->n);
        l->grain_len = l->grain_hop = (uint32_t)(mean < 1.0 ? 1.0 : mean > 4294967295.0 ? 4294967295.0 : mean);
    }
    cs_onset_params op; /* the defaults (cs_onset.h) unless the units were cut at onsets */
    cs_onset_params_default(&op);
    if (o->segment == CS_SEG_ONSET) op = o->onset;
    const double mean_flux = corpus_mean_flux(a);
    cs_onset_config oc; /* the detector's float32 values; delta_abs = cs_onset_delta_abs(delta, mean_flux) */
    cs_onset_params_to_config(&op, mean_flux, &oc);
    cs_ut_listen_set_onset(l, &oc);
    l->onset_delta = (float)op.delta;
    l->mean_flux = (float)mean_flux;
    l->norm_method = norm_to_ut(o->normalize);
    for (int d = 0; d < CS_D_COUNT; ++d) {
        buf[d] = (float)a->center[d];
        buf[CS_D_COUNT + d] = (float)a->scale[d];
        buf[2 * CS_D_COUNT + d] = o->weights[d];
    }
    l->center = buf;
    l->scale = buf + CS_D_COUNT;
    l->weight = buf + 2 * CS_D_COUNT;
}

static int stage_table(analysis *a)
{
    const cs_analyze_opts *o = a->o;
    const uint32_t N = (uint32_t)a->n, D = CS_D_COUNT, K = (uint32_t)a->cl.num_labels;
    size_t tn = cs_ut_size(N, D, K);
    float *plain = malloc(tn * sizeof *plain);
    if (!plain) return CS_E_NOMEM;
    if (cs_ut_encode(plain, N, D, K, (uint32_t)a->nf, a->cl.noise_label, o->rate, (uint32_t)o->channels, a->frames,
                     a->ustart, a->ulen, a->ulabel, a->usource, a->usucc, a->Xn) != CS_UT_OK) {
        free(plain);
        snprintf(a->err, a->errlen, "internal error: unit table encoding failed");
        return CS_E_INTERNAL;
    }
    cs_ut_view tv;
    size_t xn = 0;
    const size_t ln = cs_ut_listen_size(D, K);
    if (cs_ut_parse(plain, tn, 1, &tv) == CS_UT_OK) xn = cs_index_table_size(&tv, CS_INDEX_DEFAULT_LEAF);
    a->table = xn ? malloc((xn + ln) * sizeof *a->table) : NULL;
    int rc = 0;
    if (!xn || !a->table || cs_index_build(&tv, CS_INDEX_DEFAULT_LEAF, a->table, xn) != 0 ||
        cs_ut_parse(a->table, xn, 1, &tv) != CS_UT_OK) {
        snprintf(a->err, a->errlen, "internal error: unit table index failed");
        rc = xn && !a->table ? CS_E_NOMEM : CS_E_INTERNAL;
    }
    free(plain);
    if (rc) return rc;
    float stats[3 * CS_D_COUNT];
    cs_ut_listen l;
    listen_values(a, stats, &l);
    const int le = cs_ut_encode_listen(a->table, xn, xn + ln, &l);
    if (le != CS_UT_OK || cs_ut_parse(a->table, xn + ln, 1, &tv) != CS_UT_OK || !tv.has_listen) {
        snprintf(a->err, a->errlen, "internal error: unit table listening section failed (%s)", cs_ut_strerror(le));
        return CS_E_INTERNAL;
    }
    a->tn = xn + ln;
    return 0;
}

/* --- manifest (BUNDLE.md "Manifest"), one function per section --- */
static void hex64(char *buf, size_t n, uint64_t h)
{
    snprintf(buf, n, "fnv1a64:%016llx", (unsigned long long)h);
}

static cJSON *number_array(const double *v, size_t n)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr && i < n; ++i)
        cJSON_AddItemToArray(arr, cJSON_CreateNumber(v[i]));
    return arr;
}

static void manifest_sources(const analysis *a, cJSON *man)
{
    char hbuf[64];
    cJSON *srcs = cJSON_AddArrayToObject(man, "sources");
    size_t off = 0, ufirst = 0;
    for (size_t i = 0; i < a->nf; ++i) {
        const cs_audio *au = &a->audio[i];
        cJSON *s = cJSON_CreateObject();
        char *abs = a->paths_final ? NULL : realpath(a->files.v[i], NULL);
        cJSON_AddStringToObject(s, "path", abs ? abs : a->files.v[i]);
        free(abs);
        cJSON_AddStringToObject(s, "file_format", au->format);
        cJSON_AddNumberToObject(s, "original_rate", au->original_rate);
        cJSON_AddNumberToObject(s, "original_channels", au->original_channels);
        cJSON_AddNumberToObject(s, "original_frames", (double)au->original_frames);
        cJSON_AddNumberToObject(s, "frames", (double)au->frames);
        cJSON_AddNumberToObject(s, "offset", (double)off);
        cJSON_AddNumberToObject(s, "first_unit", (double)ufirst);
        cJSON_AddNumberToObject(s, "units", (double)a->su[i].seg.n);
        hex64(hbuf, sizeof hbuf, a->checksums[i]);
        cJSON_AddStringToObject(s, "checksum", hbuf);
        cJSON_AddItemToArray(srcs, s);
        off += au->frames;
        ufirst += a->su[i].seg.n;
    }
}

static void manifest_segmentation(const cs_analyze_opts *o, cJSON *man)
{
    cJSON *seg = cJSON_AddObjectToObject(man, "segmentation");
    cJSON_AddStringToObject(seg, "method", cs_segment_names[o->segment]);
    if (o->segment == CS_SEG_GRAIN) {
        cJSON_AddNumberToObject(seg, "unit_ms", o->unit_ms);
        cJSON_AddNumberToObject(seg, "hop_ms", o->hop_ms);
    } else if (o->segment == CS_SEG_ONSET) {
        cJSON_AddNumberToObject(seg, "threshold", o->onset.threshold);
        cJSON_AddNumberToObject(seg, "median_ms", o->onset.median_s * 1e3);
        cJSON_AddNumberToObject(seg, "min_ms", o->onset.min_len_s * 1e3);
        cJSON_AddNumberToObject(seg, "max_ms", o->onset.max_len_s * 1e3);
        cJSON_AddNumberToObject(seg, "pre_ms", o->onset.pre_s * 1e3);
        cJSON_AddNumberToObject(seg, "delta", o->onset.delta);
        cJSON_AddNumberToObject(seg, "refine_ms", o->onset.refine_s * 1e3);
    } else {
        cJSON_AddNumberToObject(seg, "kernel_s", o->novelty.kernel_s);
        cJSON_AddNumberToObject(seg, "block_s", o->novelty.block_s);
        cJSON_AddNumberToObject(seg, "threshold", o->novelty.threshold);
        cJSON_AddNumberToObject(seg, "min_s", o->novelty.min_len_s);
        cJSON_AddNumberToObject(seg, "max_s", o->novelty.max_len_s);
    }
}

static void manifest_analysis(const analysis *a, cJSON *man)
{
    const cs_analyze_opts *o = a->o;
    cs_frame_params fp;
    cs_analyze_frame_params(o, &fp);
    cJSON *an = cJSON_AddObjectToObject(man, "analysis");
    cJSON_AddStringToObject(an, "window", "hann");
    cJSON_AddNumberToObject(an, "fft_size", fp.fft_size);
    cJSON_AddNumberToObject(an, "hop", fp.hop);
    cJSON_AddNumberToObject(an, "mel_bands", fp.n_mels);
    cJSON_AddNumberToObject(an, "mel_fmin_hz", fp.mel_fmin);
    cJSON_AddNumberToObject(an, "mel_fmax_hz", fp.mel_fmax);
    cJSON_AddNumberToObject(an, "mfcc", CS_D_NUM_MFCC);
    cJSON_AddNumberToObject(an, "rolloff_fraction", fp.rolloff);
    cJSON_AddNumberToObject(an, "yin_threshold", fp.yin_threshold);
    cJSON_AddNumberToObject(an, "f0_min_hz", fp.f0_min);
    cJSON_AddNumberToObject(an, "f0_max_hz", fp.f0_max);
    cJSON_AddStringToObject(an, "resampler", cs_resampler_manifest[o->resampler]);
    cJSON_AddNumberToObject(an, "mean_flux", corpus_mean_flux(a));
    cJSON_AddStringToObject(an, "spec", "corpus-tools/DESCRIPTORS.md");
    cJSON *norm = cJSON_AddObjectToObject(man, "normalisation");
    cJSON_AddStringToObject(norm, "method", cs_normalize_names[o->normalize]);
}

/* per descriptor: name, unit, normalisation statistics, range of the raw values, weight */
static void manifest_descriptors(const analysis *a, cJSON *man)
{
    const size_t N = a->n, D = CS_D_COUNT;
    cJSON *descs = cJSON_AddArrayToObject(man, "descriptors");
    for (size_t d = 0; d < D; ++d) {
        double lo = INFINITY, hi = -INFINITY;
        for (size_t u = 0; u < N; ++u) {
            double v = (double)a->X[u * D + d];
            if (v < lo) lo = v;
            if (v > hi) hi = v;
        }
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "name", cs_descriptor_name((int)d));
        cJSON_AddStringToObject(e, "unit", cs_descriptor_unit((int)d));
        cJSON_AddNumberToObject(e, "center", a->center[d]);
        cJSON_AddNumberToObject(e, "scale", a->scale[d]);
        cJSON_AddNumberToObject(e, "min", lo);
        cJSON_AddNumberToObject(e, "max", hi);
        cJSON_AddNumberToObject(e, "weight", (double)a->o->weights[d]);
        cJSON_AddItemToArray(descs, e);
    }
}

/* method, seed, the method's parameters and results; per label: count, mean duration, centroid (mean
 * normalised descriptors of its units) */
static int manifest_clustering(const analysis *a, cJSON *man)
{
    const cs_cluster_method *m = &cs_cluster_methods[a->o->cluster];
    const size_t N = a->n, D = CS_D_COUNT;
    cJSON *cl = cJSON_AddObjectToObject(man, "clustering");
    if (a->from) { /* the labels are A's (BUNDLE.md "Labels from another corpus") */
        cJSON_AddStringToObject(cl, "method", "labels-from");
        cJSON_AddNumberToObject(cl, "seed", (double)a->o->seed);
        cJSON_AddNumberToObject(cl, "noise_label", a->cl.noise_label);
        cJSON_AddNumberToObject(cl, "inertia", a->cl.inertia);
        cJSON *lf = cJSON_AddObjectToObject(cl, "labels_from");
        const cJSON *sum = cJSON_GetObjectItemCaseSensitive(a->from->manifest, "unit_table_checksum");
        cJSON_AddStringToObject(lf, "bundle", a->o->labels_from);
        cJSON_AddStringToObject(lf, "unit_table_checksum", cJSON_IsString(sum) ? sum->valuestring : "");
        cJSON_AddNumberToObject(lf, "labels", a->cl.num_labels);
        cJSON_AddNumberToObject(lf, "nearest_unit_labels", (double)a->rep->nearest_filled);
        cJSON_AddNumberToObject(lf, "empty_labels", (double)a->rep->empty_labels);
        cJSON_AddNumberToObject(lf, "mean_distance", a->rep->mapped_distance);
        cJSON_AddNumberToObject(lf, "random_mean_distance", a->rep->random_distance);
    } else {
        cJSON_AddStringToObject(cl, "method", m->name);
        cJSON_AddNumberToObject(cl, "seed", (double)a->o->seed);
        m->manifest(cl, &a->o->cl, &a->cl);
    }
    if (!a->from && a->o->cluster == 0) { /* label_rule_finish */
        cJSON_AddNumberToObject(cl, "label_rule_rounds", a->rule_iters);
        cJSON_AddNumberToObject(cl, "label_rule_units", (double)a->rule_agree);
    }
    cJSON *lab = cJSON_AddArrayToObject(cl, "labels");
    const size_t K = (size_t)a->cl.num_labels;
    double *means = malloc(K * D * sizeof *means), *dur = calloc(K, sizeof *dur);
    size_t *counts = malloc(K * sizeof *counts);
    if (!means || !dur || !counts) {
        free(means);
        free(dur);
        free(counts);
        return CS_E_NOMEM;
    }
    label_means(a, means, counts); /* the listening section's centroids before rounding */
    for (size_t u = 0; u < N; ++u)
        dur[a->ulabel[u]] += (double)a->ulen[u] / a->o->rate;
    for (size_t l = 0; l < K; ++l) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddNumberToObject(e, "label", (double)l);
        cJSON_AddNumberToObject(e, "units", (double)counts[l]);
        cJSON_AddNumberToObject(e, "mean_duration_s", counts[l] ? dur[l] / (double)counts[l] : 0.0);
        cJSON_AddBoolToObject(e, "noise", (int)l == a->cl.noise_label);
        cJSON_AddItemToObject(e, "centroid", number_array(means + l * D, D));
        cJSON_AddItemToArray(lab, e);
    }
    free(means);
    free(dur);
    free(counts);
    return 0;
}

static int stage_manifest(analysis *a)
{
    const cs_analyze_opts *o = a->o;
    char hbuf[64];
    cJSON *man = a->man = cJSON_CreateObject();
    if (!man) return CS_E_NOMEM;
    cJSON_AddStringToObject(man, "format", CS_BUNDLE_FORMAT);
    cJSON_AddNumberToObject(man, "version", CS_BUNDLE_VERSION);
    cJSON_AddStringToObject(man, "generator", "concatseq " CONCATSEQ_VERSION);
    cJSON_AddNumberToObject(man, "sample_rate", o->rate);
    cJSON_AddNumberToObject(man, "channels", o->channels);
    cJSON_AddNumberToObject(man, "frames", (double)a->frames);
    cJSON_AddNumberToObject(man, "duration_s", (double)a->frames / o->rate);
    cJSON_AddNumberToObject(man, "units", (double)a->n);
    cJSON_AddNumberToObject(man, "labels", a->cl.num_labels);
    cJSON_AddStringToObject(man, "audio_file", CS_BUNDLE_AUDIO);
    cJSON_AddStringToObject(man, "unit_table_file", CS_BUNDLE_UNITS);
    hex64(hbuf, sizeof hbuf, cs_fnv1a64(a->table, a->tn * sizeof *a->table, CS_FNV_OFFSET));
    cJSON_AddStringToObject(man, "unit_table_checksum", hbuf);
    manifest_sources(a, man);
    manifest_segmentation(o, man);
    manifest_analysis(a, man);
    manifest_descriptors(a, man);
    return manifest_clustering(a, man);
}

/* --- write: the three files into a locked temporary folder, then one atomic commit (cs_bundle_write.c) --- */
static int write_files(analysis *a, const char *tmpdir)
{
    const cs_analyze_opts *o = a->o;
    char path[4200];
    int rc = cs_wav_stream_close(&a->wav, 1, a->err, a->errlen); /* its data were written as they were decoded */
    if (rc) return rc;
    progress(o, "write", 1, 3, CS_BUNDLE_AUDIO);
    snprintf(path, sizeof path, "%s/%s", tmpdir, CS_BUNDLE_UNITS);
    rc = cs_write_float_wav(path, a->table, a->tn, 1, o->rate, a->err, a->errlen);
    if (rc) return rc;
    progress(o, "write", 2, 3, CS_BUNDLE_UNITS);
    snprintf(path, sizeof path, "%s/%s", tmpdir, CS_BUNDLE_MANIFEST);
    return cs_write_json(path, a->man, a->err, a->errlen);
}

/* --- begin: the temporary folder the audio is written into while it is decoded --- */
static int stage_begin(analysis *a, const char *out_dir)
{
    progress(a->o, "write", 0, 3, out_dir);
    return cs_bundle_begin(out_dir, a->o->force, a->o->warn, a->o->progress_user, &a->tmpdir, a->err, a->errlen);
}

static int stage_write(analysis *a, const char *out_dir)
{
    const cs_analyze_opts *o = a->o;
    int rc = write_files(a, a->tmpdir);
    if (rc) return rc; /* analysis_free removes the temporary folder */
    rc = cs_bundle_commit(a->tmpdir, out_dir, o->force, o->warn, o->progress_user, a->err, a->errlen);
    free(a->tmpdir); /* committed, or removed by cs_bundle_commit */
    a->tmpdir = NULL;
    if (rc == 0) progress(o, "write", 3, 3, out_dir);
    return rc;
}

/* --- partial: a shard's units, raw descriptors and sources (BUNDLE.md "Partial bundles (shards)") --- */

/* Every unit's row (cs_partial.h: start and length split at 2^24, raw descriptors), source after source. */
static float *partial_rows(const analysis *a)
{
    float *rows = malloc((a->n ? a->n : 1) * CS_PARTIAL_COLS * sizeof *rows);
    float *r = rows;
    for (size_t i = 0; rows && i < a->nf; ++i)
        for (size_t k = 0; k < a->su[i].seg.n; ++k, r += CS_PARTIAL_COLS) {
            const cs_segment *g = &a->su[i].seg.v[k];
            r[0] = (float)(g->start / (size_t)CS_PARTIAL_SPLIT);
            r[1] = (float)(g->start % (size_t)CS_PARTIAL_SPLIT);
            r[2] = (float)(g->length / (size_t)CS_PARTIAL_SPLIT);
            r[3] = (float)(g->length % (size_t)CS_PARTIAL_SPLIT);
            memcpy(r + 4, a->su[i].desc + k * CS_D_COUNT, CS_D_COUNT * sizeof *r);
        }
    return rows;
}

/* The partial manifest: format, generator, settings, totals, the two files' checksums, the sources. */
static int partial_manifest(analysis *a, uint64_t rows_sum, uint64_t flux_sum)
{
    char hbuf[64];
    cJSON *man = a->man = cJSON_CreateObject();
    cJSON *set = cs_partial_settings(a->o);
    if (!man || !set) {
        cJSON_Delete(set);
        return CS_E_NOMEM;
    }
    cJSON_AddStringToObject(man, "format", CS_BUNDLE_PARTIAL_FORMAT);
    cJSON_AddNumberToObject(man, "version", CS_PARTIAL_VERSION);
    cJSON_AddStringToObject(man, "generator", "concatseq " CONCATSEQ_VERSION);
    cJSON_AddItemToObject(man, "settings", set);
    cJSON_AddNumberToObject(man, "frames", (double)a->frames);
    cJSON_AddNumberToObject(man, "units", (double)a->n);
    cJSON_AddNumberToObject(man, "descriptors", CS_D_COUNT);
    cJSON_AddNumberToObject(man, "analysis_frames", (double)a->flux_frames);
    cJSON_AddStringToObject(man, "audio_file", CS_BUNDLE_AUDIO);
    cJSON_AddStringToObject(man, "unit_rows_file", CS_BUNDLE_ROWS);
    hex64(hbuf, sizeof hbuf, rows_sum);
    cJSON_AddStringToObject(man, "unit_rows_checksum", hbuf);
    cJSON_AddStringToObject(man, "flux_file", CS_BUNDLE_FLUX);
    hex64(hbuf, sizeof hbuf, flux_sum);
    cJSON_AddStringToObject(man, "flux_checksum", hbuf);
    manifest_sources(a, man);
    return 0;
}

/* Write the shard's files into the temporary folder and commit it to out_dir. */
static int stage_partial(analysis *a, const char *out_dir)
{
    const cs_analyze_opts *o = a->o;
    char path[4200];
    int rc = cs_wav_stream_close(&a->wav, 1, a->err, a->errlen);
    if (rc == 0) rc = cs_wav_stream_close(&a->flux, 1, a->err, a->errlen);
    float *rows = rc ? NULL : partial_rows(a);
    if (rc == 0 && !rows) rc = CS_E_NOMEM;
    snprintf(path, sizeof path, "%s/%s", a->tmpdir, CS_BUNDLE_ROWS);
    if (rc == 0) rc = cs_write_float_wav(path, rows, a->n, CS_PARTIAL_COLS, o->rate, a->err, a->errlen);
    free(rows);
    uint64_t rows_sum = 0, flux_sum = 0;
    if (rc == 0 && cs_file_fnv1a64(path, &rows_sum) != 0) rc = CS_E_IO;
    snprintf(path, sizeof path, "%s/%s", a->tmpdir, CS_BUNDLE_FLUX);
    if (rc == 0 && cs_file_fnv1a64(path, &flux_sum) != 0) rc = CS_E_IO;
    if (rc == CS_E_IO && !a->err[0]) snprintf(a->err, a->errlen, "%s: cannot read back", path);
    if (rc == 0) rc = partial_manifest(a, rows_sum, flux_sum);
    snprintf(path, sizeof path, "%s/%s", a->tmpdir, CS_BUNDLE_MANIFEST);
    if (rc == 0) rc = cs_write_json(path, a->man, a->err, a->errlen);
    if (rc) return rc;
    rc = cs_bundle_commit(a->tmpdir, out_dir, o->force, o->warn, o->progress_user, a->err, a->errlen);
    free(a->tmpdir);
    a->tmpdir = NULL;
    return rc;
}

/* --- merge: the parts' sources, units and audio as decode and describe would have left them --- */

/* A source path and the part it is in, for merge_unique. */
typedef struct part_path {
    const char *path;
    size_t part;
} part_path;

static int cmp_part_path(const void *a, const void *b)
{
    const part_path *x = a, *y = b;
    const int c = strcmp(x->path, y->path);
    return c ? c : (x->part > y->part) - (x->part < y->part);
}

/* No source is in two parts (or twice in one): the paths sorted, neighbours compared. O(S log S). */
static int merge_unique(char *const *parts, size_t np, const cs_part *p, char *err, size_t errlen)
{
    size_t S = 0, k = 0;
    for (size_t j = 0; j < np; ++j)
        S += p[j].nsources;
    part_path *v = malloc(S * sizeof *v);
    if (!v) return CS_E_NOMEM;
    for (size_t j = 0; j < np; ++j)
        for (size_t i = 0; i < p[j].nsources; ++i)
            v[k].path = p[j].src[i].path, v[k++].part = j;
    qsort(v, S, sizeof *v, cmp_part_path);
    int rc = 0;
    for (size_t i = 1; i < S && rc == 0; ++i)
        if (!strcmp(v[i - 1].path, v[i].path)) {
            snprintf(err, errlen, "%s: source %s is also in %s (each source belongs to one part)", parts[v[i].part],
                     v[i].path, parts[v[i - 1].part]);
            rc = CS_E_ARG;
        }
    free(v);
    return rc;
}

/* Read every part, check that they share their settings and generator and hold no source twice; the merged
 * options (the parts' analysis settings with o's clustering) in *mo. */
static int merge_read(char *const *parts, size_t np, cs_part *p, const cs_analyze_opts *o, cs_analyze_opts *mo,
                      char *err, size_t errlen)
{
    for (size_t j = 0; j < np; ++j) {
        int rc = cs_part_read(parts[j], &p[j], err, errlen);
        if (rc) return rc;
        char what[160];
        if (j > 0 && strcmp(p[j].generator, p[0].generator) != 0) {
            snprintf(err, errlen, "%s: written by %s, %s by %s (analyze every part with one concatseq)", parts[j],
                     p[j].generator, parts[0], p[0].generator);
            return CS_E_ARG;
        }
        if (j > 0 && cs_partial_differs(&p[0].settings, &p[j].settings, what, sizeof what)) {
            snprintf(err, errlen,
                     "%s: analysed with other settings than %s (%s); analyze every part with the same options",
                     parts[j], parts[0], what);
            return CS_E_ARG;
        }
    }
    int rc = merge_unique(parts, np, p, err, errlen);
    if (rc) return rc;
    *mo = *o;
    const cs_analyze_opts *s = &p[0].settings;
    mo->rate = s->rate, mo->channels = s->channels, mo->resampler = s->resampler, mo->segment = s->segment;
    mo->unit_ms = s->unit_ms, mo->hop_ms = s->hop_ms, mo->onset = s->onset, mo->novelty = s->novelty;
    mo->fft_size = s->fft_size, mo->frame_hop = s->frame_hop;
    return cs_analyze_check_opts(mo, err, errlen);
}

/* The analysis state the parts describe: sources, audio info, checksums, units; their audio copied into
 * tmpdir/audio.wav and their flux summed, part after part (as decode and describe do source after source). */
static int merge_load(analysis *a, cs_part *p, size_t np)
{
    size_t S = 0;
    for (size_t j = 0; j < np; ++j)
        S += p[j].nsources;
    a->files.v = calloc(S, sizeof *a->files.v);
    a->files.walked = calloc(S, 1);
    a->audio = calloc(S, sizeof *a->audio);
    a->checksums = calloc(S, sizeof *a->checksums);
    a->su = calloc(S, sizeof *a->su);
    if (!a->files.v || !a->files.walked || !a->audio || !a->checksums || !a->su) return CS_E_NOMEM;
    a->files.n = a->files.cap = a->nf = S;
    a->paths_final = 1;
    size_t i = 0;
    for (size_t j = 0; j < np; ++j) {
        const float *r = p[j].rows;
        for (size_t q = 0; q < p[j].nsources; ++q, ++i) {
            const cs_part_source *ps = &p[j].src[q];
            a->files.v[i] = ps->path, p[j].src[q].path = NULL; /* moved */
            a->audio[i] = ps->audio;
            a->checksums[i] = ps->checksum;
            source_units *su = &a->su[i];
            su->seg.v = malloc(ps->units * sizeof *su->seg.v);
            su->desc = malloc(ps->units * CS_D_COUNT * sizeof *su->desc);
            if (!su->seg.v || !su->desc) return CS_E_NOMEM;
            su->seg.n = su->seg.cap = ps->units;
            for (size_t k = 0; k < ps->units; ++k, r += CS_PARTIAL_COLS) {
                su->seg.v[k].start = (size_t)r[0] * (size_t)CS_PARTIAL_SPLIT + (size_t)r[1];
                su->seg.v[k].length = (size_t)r[2] * (size_t)CS_PARTIAL_SPLIT + (size_t)r[3];
                memcpy(su->desc + k * CS_D_COUNT, r + 4, CS_D_COUNT * sizeof *r);
            }
            a->n += ps->units;
            a->frames += ps->audio.frames;
        }
        free(p[j].rows); /* copied into a->su */
        p[j].rows = NULL;
    }
    return 0;
}

/* Append sound file `path` (n frames x ch floats) to w, or add its values to *sum in order. */
static int merge_copy(const char *path, cs_wav_stream *w, double *sum, char *err, size_t errlen)
{
    SF_INFO info;
    memset(&info, 0, sizeof info);
    SNDFILE *f = sf_open(path, SFM_READ, &info);
    if (!f) {
        snprintf(err, errlen, "%s: cannot read", path);
        return CS_E_IO;
    }
    const size_t B = 65536, ch = (size_t)info.channels;
    float *buf = malloc(B * ch * sizeof *buf);
    int rc = buf ? 0 : CS_E_NOMEM;
    sf_count_t left = info.frames;
    while (rc == 0 && left > 0) {
        const sf_count_t want = left < (sf_count_t)B ? left : (sf_count_t)B;
        if (sf_readf_float(f, buf, want) != want) {
            snprintf(err, errlen, "%s: read failed (truncated part?)", path);
            rc = CS_E_IO;
            break;
        }
        if (w)
            rc = cs_wav_stream_write(w, buf, (size_t)want, err, errlen);
        else
            for (sf_count_t k = 0; k < want; ++k)
                *sum += (double)buf[k];
        left -= want;
    }
    free(buf);
    sf_close(f);
    return rc;
}

static int merge_audio(analysis *a, const cs_part *p, size_t np)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", a->tmpdir, CS_BUNDLE_AUDIO);
    int rc = cs_wav_stream_open(&a->wav, path, a->o->channels, a->o->rate, a->err, a->errlen);
    for (size_t j = 0; rc == 0 && j < np; ++j) {
        progress(a->o, "decode", j, np, p[j].dir);
        cs_part_path(&p[j], CS_BUNDLE_AUDIO, path, sizeof path);
        rc = merge_copy(path, &a->wav, NULL, a->err, a->errlen);
        cs_part_path(&p[j], CS_BUNDLE_FLUX, path, sizeof path);
        if (rc == 0) rc = merge_copy(path, NULL, &a->flux_sum, a->err, a->errlen);
        a->flux_frames += p[j].flux_frames;
    }
    if (rc == 0) progress(a->o, "decode", np, np, "");
    return rc;
}

/* --- the pipeline --- */

/* Checks both commands make first: the options, an output path, no bundle there without --force. */
static int check_start(const cs_analyze_opts *o, const char *out_dir, char *err, size_t errlen)
{
    int rc = cs_analyze_check_opts(o, err, errlen);
    if (rc) return rc;
    if (!out_dir || !*out_dir) {
        snprintf(err, errlen, "no output bundle given (-o BUNDLE)");
        return CS_E_ARG;
    }
    /* refuse an existing bundle before doing any work (the commit checks again, atomically) */
    if (!o->force && access(out_dir, F_OK) == 0) {
        snprintf(err, errlen, "%s: already exists (use --force to overwrite)", out_dir);
        return CS_E_EXISTS;
    }
    return 0;
}

/* From the units of every source on (stage_describe's or merge_load's): gather, normalise, cluster, table,
 * manifest, write; the summary's figures in rep. t0/t1: when decoding and describing started. */
static int finish_bundle(analysis *a, const char *out_dir, double t0, double t1)
{
    const cs_analyze_opts *o = a->o;
    double t2 = now_s(), t3 = t2;
    int rc = stage_gather(a);
    if (rc == 0) rc = stage_normalise(a);
    if (rc == 0) rc = stage_cluster(a);
    if (rc == 0 && !a->from && o->cluster == 0) rc = label_rule_finish(a);
    if (rc == 0) t3 = now_s(), rc = stage_table(a);
    if (rc == 0) rc = stage_manifest(a);
    if (rc == 0) rc = stage_write(a, out_dir);
    if (rc == 0) {
        cs_analyze_report *rep = a->rep;
        rep->sources = a->nf;
        rep->units = a->n;
        rep->labels = (size_t)a->cl.num_labels;
        rep->noise_units = a->cl.noise_units;
        rep->k_chosen = a->cl.k_chosen;
        rep->seconds_audio = (double)a->frames / o->rate;
        rep->seconds_decode = t1 - t0;
        rep->seconds_analyze = t2 - t1;
        rep->seconds_cluster = t3 - t2;
        rep->seconds_write = now_s() - t3;
    }
    return rc;
}

static void analysis_init(analysis *a, const cs_analyze_opts *o, cs_analyze_report *rep, char *err, size_t errlen)
{
    memset(a, 0, sizeof *a);
    a->o = o;
    a->rep = rep;
    a->err = err;
    a->errlen = errlen;
    a->wav.fd = -1;
    a->flux.fd = -1;
}

int cs_analyze(char *const *sources, size_t nsources, const char *out_dir, const cs_analyze_opts *o,
               cs_analyze_report *rep, char *err, size_t errlen)
{
    memset(rep, 0, sizeof *rep);
    err[0] = '\0';
    int rc = check_start(o, out_dir, err, errlen);
    if (rc) return rc;
    if (o->partial && o->labels_from) {
        snprintf(err, errlen, "--labels-from: not with --partial (a part has no labels; merge the parts first)");
        return CS_E_ARG;
    }
    cs_bundle from;
    cs_analyze_opts lo; /* --labels-from: o with A's analysis */
    memset(&from, 0, sizeof from);
    if (o->labels_from) {
        rc = labels_from_open(o, &from, &lo, err, errlen);
        if (rc == 0) rc = cs_analyze_check_opts(&lo, err, errlen);
        if (rc) {
            cs_bundle_free(&from);
            return rc;
        }
        o = &lo;
    }
    analysis a;
    analysis_init(&a, o, rep, err, errlen);
    a.from = o->labels_from ? &from : NULL;
    rc = cs_analyze_sources(sources, nsources, o, &a.files, err, errlen);
    if (rc == 0) rc = stage_limits(&a);
    double t0 = now_s(), t1 = t0; /* stage times as the summary prints them */
    if (rc == 0) rc = stage_begin(&a, out_dir);
    if (rc == 0) rc = stage_decode(&a);
    if (rc == 0) t1 = now_s(), rc = stage_describe(&a);
    if (rc == 0 && o->partial) {
        rc = stage_partial(&a, out_dir);
        rep->sources = a.nf;
        rep->units = a.n;
        rep->seconds_audio = (double)a.frames / o->rate;
        rep->seconds_decode = t1 - t0;
        rep->seconds_analyze = now_s() - t1;
    } else if (rc == 0) {
        rc = finish_bundle(&a, out_dir, t0, t1);
    }
    analysis_free(&a);
    cs_bundle_free(&from);
    if (rc && err[0] == '\0') snprintf(err, errlen, "%s", cs_strerror(rc));
    return rc;
}

int cs_merge(char *const *parts, size_t nparts, const char *out_dir, const cs_analyze_opts *o, cs_analyze_report *rep,
             char *err, size_t errlen)
{
    memset(rep, 0, sizeof *rep);
    err[0] = '\0';
    if (o->partial || o->labels_from) {
        snprintf(err, errlen, "%s: not with merge", o->partial ? "--partial" : "--labels-from");
        return CS_E_ARG;
    }
    if (nparts == 0) {
        snprintf(err, errlen, "no PART given (usage: concatseq merge PART... -o BUNDLE)");
        return CS_E_ARG;
    }
    int rc = check_start(o, out_dir, err, errlen);
    if (rc) return rc;
    cs_part *p = calloc(nparts, sizeof *p);
    if (!p) return CS_E_NOMEM;
    cs_analyze_opts mo;
    analysis a;
    analysis_init(&a, &mo, rep, err, errlen);
    rc = merge_read(parts, nparts, p, o, &mo, err, errlen);
    if (rc == 0) rc = merge_load(&a, p, nparts);
    if (rc == 0) rc = check_union(&a);
    if (rc == 0) { /* the table's bound with the exact lengths (analyze checks it from the headers) */
        uint64_t *frames = malloc(a.nf * sizeof *frames);
        rc = frames ? 0 : CS_E_NOMEM;
        for (size_t i = 0; rc == 0 && i < a.nf; ++i)
            frames[i] = a.audio[i].frames;
        if (rc == 0) rc = cs_analyze_check_limits(&mo, frames, a.nf, err, errlen);
        free(frames);
    }
    double t0 = now_s(), t1 = t0;
    if (rc == 0) rc = stage_begin(&a, out_dir);
    if (rc == 0) rc = merge_audio(&a, p, nparts);
    if (rc == 0) t1 = now_s(), rc = finish_bundle(&a, out_dir, t0, t1);
    for (size_t j = 0; j < nparts; ++j)
        cs_part_free(&p[j]);
    free(p);
    analysis_free(&a);
    if (rc && err[0] == '\0') snprintf(err, errlen, "%s", cs_strerror(rc));
    return rc;
}
