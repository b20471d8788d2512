/* cs_analyze.c - the `concatseq analyze` pipeline. See cs_analyze.h and corpus-tools/BUNDLE.md. */
#include "cs_analyze.h"

#include "cs_audio.h"
#include "cs_bundle.h"
#include "cs_cluster.h"
#include "cs_error.h"
#include "cs_index.h"
#include "cs_normalize.h"
#include "cs_unit_table.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void cs_analyze_opts_default(cs_analyze_opts *o)
{
    memset(o, 0, sizeof *o);
    o->rate = 48000;
    o->channels = 1;
    o->src_quality = 1;
    o->segment = CS_SEG_GRAIN;
    o->unit_ms = 100.0;
    o->hop_ms = 100.0;
    cs_onset_params_default(&o->onset);
    cs_novelty_params_default(&o->novelty);
    o->normalize = 0;
    o->cluster = CS_CLUSTER_KMEANS;
    o->clusters = 16;
    o->restarts = 4;
    o->eps = 3.0;
    o->min_samples = 5;
    o->damping = 0.5;
    o->preference = NAN;
    o->ap_convergence = 15;
    for (int d = 0; d < CS_D_COUNT; ++d)
        o->weights[d] = 1.0f;
    o->seed = 1;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    o->threads = cpus > 0 ? (int)cpus : 1;
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

/* --- option checks: every impossible option is a one-line error naming it --- */
static int check_opts(const cs_analyze_opts *o, char *err, size_t errlen)
{
#define BAD(...)                                                                                                       \
    do {                                                                                                               \
        snprintf(err, errlen, __VA_ARGS__);                                                                            \
        return CS_E_ARG;                                                                                               \
    } while (0)
    if (o->rate < 8000 || o->rate > 384000) BAD("--rate %d: must be 8000..384000 Hz", o->rate);
    if (o->channels < 1 || o->channels > 32) BAD("--channels %d: must be 1..32", o->channels);
    if (o->src_quality < 0 || o->src_quality > 4)
        BAD("--resample-quality %d: must be 0 (best) .. 4 (linear)", o->src_quality);
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
    if (o->fft_size != 0 && (o->fft_size < 256 || o->fft_size > 16384 || (o->fft_size & (o->fft_size - 1))))
        BAD("--fft-size %d: must be a power of two 256..16384", o->fft_size);
    if (o->frame_hop < 0 || (o->frame_hop > 0 && o->frame_hop > (o->fft_size ? o->fft_size : 16384)))
        BAD("--frame-hop %d: must be 1..fft-size samples", o->frame_hop);
    if (o->normalize != CS_NORM_ZSCORE && o->normalize != CS_NORM_ROBUST) BAD("--normalize: unknown method");
    if (o->cluster == CS_CLUSTER_KMEANS) {
        if (o->clusters < 1 || o->clusters > 4096) BAD("--clusters %d: must be 1..4096", o->clusters);
        if (o->restarts < 1 || o->restarts > 1000) BAD("--restarts %d: must be 1..1000", o->restarts);
    } else if (o->cluster == CS_CLUSTER_DBSCAN) {
        if (!(o->eps > 0.0)) BAD("--eps %g: must be > 0", o->eps);
        if (o->min_samples < 1) BAD("--min-samples %d: must be >= 1", o->min_samples);
    } else if (o->cluster == CS_CLUSTER_AP) {
        if (!(o->damping >= 0.5 && o->damping < 1.0)) BAD("--damping %g: must be in [0.5, 1)", o->damping);
        if (o->ap_convergence < 1) BAD("--convergence-iter %d: must be >= 1", o->ap_convergence);
        if (!isnan(o->preference) && !isfinite(o->preference)) BAD("--preference: must be finite");
    } else {
        BAD("--cluster: unknown method");
    }
    if (o->max_iter < 0) BAD("--max-iter %d: must be >= 1", o->max_iter);
    int any = 0;
    for (int d = 0; d < CS_D_COUNT; ++d) {
        if (!(o->weights[d] >= 0.0f) || !isfinite(o->weights[d]))
            BAD("--weights: weight of %s must be finite and >= 0", cs_descriptor_name(d));
        if (o->weights[d] > 0.0f) any = 1;
    }
    if (!any) BAD("--descriptors/--weights: no descriptor left to cluster on");
    if (o->threads < 1 || o->threads > 256) BAD("--threads %d: must be 1..256", o->threads);
    return 0;
#undef BAD
}

/* --- decoding, threaded over files (results in file order, so independent of the thread count) --- */
typedef struct decode_job {
    const cs_pathlist *files;
    const cs_analyze_opts *o;
    cs_audio *audio;
    int *rc;
    const char **detail;
    size_t next, done;
    pthread_mutex_t lock;
} decode_job;

static void *decode_worker(void *arg)
{
    decode_job *j = arg;
    for (;;) {
        pthread_mutex_lock(&j->lock);
        size_t i = j->next++;
        pthread_mutex_unlock(&j->lock);
        if (i >= j->files->n) break;
        j->rc[i] =
            cs_audio_load(j->files->v[i], j->o->rate, j->o->channels, j->o->src_quality, &j->audio[i], &j->detail[i]);
        pthread_mutex_lock(&j->lock);
        j->done++;
        progress(j->o, "decode", j->done, j->files->n, j->files->v[i]);
        pthread_mutex_unlock(&j->lock);
    }
    return NULL;
}

static int decode_all(const cs_pathlist *files, const cs_analyze_opts *o, cs_audio *audio, char *err, size_t errlen)
{
    int *rc = calloc(files->n, sizeof *rc);
    const char **detail = calloc(files->n, sizeof *detail);
    if (!rc || !detail) {
        free(rc);
        free(detail);
        return CS_E_NOMEM;
    }
    decode_job j = {files, o, audio, rc, detail, 0, 0, PTHREAD_MUTEX_INITIALIZER};
    int nt = o->threads < (int)files->n ? o->threads : (int)files->n;
    pthread_t th[256];
    int started = 0;
    for (int t = 1; t < nt; ++t)
        if (pthread_create(&th[started], NULL, decode_worker, &j) == 0) started++;
    decode_worker(&j);
    for (int t = 0; t < started; ++t)
        pthread_join(th[t], NULL);
    int result = 0;
    for (size_t i = 0; i < files->n; ++i) {
        if (rc[i] == 0) continue;
        const char *why = cs_strerror(rc[i]);
        if (rc[i] == CS_E_CHANNELS)
            snprintf(
                err, errlen,
                "%s: has %d channels, which --channels %d cannot serve (use 1 to mix down, or the file's own count)",
                files->v[i], audio[i].original_channels, o->channels);
        else if (rc[i] == CS_E_INTERNAL)
            snprintf(err, errlen, "%s: resampling failed (%s)", files->v[i], detail[i]);
        else if (rc[i] == CS_E_EMPTY)
            snprintf(err, errlen, "%s: zero-length audio file", files->v[i]);
        else
            snprintf(err, errlen, "%s: %s", files->v[i], why);
        result = rc[i];
        break;
    }
    free(rc);
    free(detail);
    return result;
}

/* --- analysis of one source: frames -> units -> descriptors --- */
typedef struct source_units {
    cs_segments seg;
    float *desc; /* seg.n * CS_D_COUNT */
} source_units;

static int analyze_source(const cs_audio *a, const char *path, const cs_analyze_opts *o, source_units *su, char *err,
                          size_t errlen)
{
    memset(su, 0, sizeof *su);
    /* a mono corpus is analysed in place; only a multichannel one needs its mono mix */
    float *mix = a->channels == 1 ? NULL : cs_audio_mono(a);
    const float *mono = a->channels == 1 ? a->data : mix;
    if (!mono) return CS_E_NOMEM;
    cs_frame_params fp;
    cs_frame_params_default(&fp, o->rate);
    if (o->fft_size)
        fp.fft_size = o->fft_size;
    else {
        int target = (int)lround(2048.0 * o->rate / 48000.0), p2 = 256;
        while (p2 < target && p2 < 16384)
            p2 *= 2;
        fp.fft_size = p2;
    }
    fp.hop = o->frame_hop ? o->frame_hop : fp.fft_size / 4;
    cs_frames fr;
    memset(&fr, 0, sizeof fr);
    int rc = cs_frames_analyze(mono, a->frames, &fp, o->threads, &fr);
    if (rc) {
        snprintf(err, errlen, "%s: frame analysis failed (%s)", path, cs_strerror(rc));
        free(mix);
        return rc;
    }
    const double sr = (double)o->rate;
    if (o->segment == CS_SEG_GRAIN) {
        size_t len = (size_t)llround(o->unit_ms * 1e-3 * sr), hop = (size_t)llround(o->hop_ms * 1e-3 * sr);
        if (len < 1) len = 1;
        if (hop < 1) hop = 1;
        rc = cs_segment_grain(a->frames, len, hop, &su->seg);
    } else if (o->segment == CS_SEG_ONSET) {
        rc = cs_segment_onset(&fr, a->frames, &o->onset, &su->seg);
    } else {
        rc = cs_segment_novelty(&fr, a->frames, &o->novelty, &su->seg);
    }
    if (rc == 0 && su->seg.n == 0) rc = CS_E_SHORT;
    if (rc) {
        if (rc == CS_E_SHORT)
            snprintf(err, errlen, "%s: shorter than one unit (%.3f s of audio)", path, (double)a->frames / sr);
        else
            snprintf(err, errlen, "%s: segmentation failed (%s)", path, cs_strerror(rc));
        cs_frames_free(&fr);
        free(mix);
        cs_segments_free(&su->seg);
        return rc;
    }
    su->desc = malloc(su->seg.n * CS_D_COUNT * sizeof *su->desc);
    if (!su->desc) rc = CS_E_NOMEM;
    for (size_t u = 0; u < su->seg.n && rc == 0; ++u) {
        rc = cs_describe_unit(&fr, mono, a->frames, su->seg.v[u].start, su->seg.v[u].length, su->desc + u * CS_D_COUNT);
        for (int d = 0; d < CS_D_COUNT && rc == 0; ++d)
            if (!isfinite(su->desc[u * CS_D_COUNT + (size_t)d])) rc = CS_E_NONFINITE;
        if (rc) snprintf(err, errlen, "%s: describing unit %zu failed (%s)", path, u, cs_strerror(rc));
    }
    cs_frames_free(&fr);
    free(mix);
    if (rc) {
        cs_segments_free(&su->seg);
        free(su->desc);
        su->desc = NULL;
    }
    return rc;
}

static const char *segment_name(int s)
{
    return s == CS_SEG_GRAIN ? "grain" : s == CS_SEG_ONSET ? "onset" : "novelty";
}

static const char *cluster_name(int c)
{
    return c == CS_CLUSTER_KMEANS ? "kmeans" : c == CS_CLUSTER_DBSCAN ? "dbscan" : "ap";
}

static cJSON *number_array(const double *v, size_t n)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < n; ++i)
        cJSON_AddItemToArray(a, cJSON_CreateNumber(v[i]));
    return a;
}

static void hex64(char *buf, size_t n, uint64_t h)
{
    snprintf(buf, n, "fnv1a64:%016llx", (unsigned long long)h);
}

/* --- the pipeline --- */
int cs_analyze(char *const *sources, size_t nsources, const char *out_dir, const cs_analyze_opts *o,
               cs_analyze_report *rep, char *err, size_t errlen)
{
    memset(rep, 0, sizeof *rep);
    int rc = check_opts(o, err, errlen);
    if (rc) return rc;
    if (!out_dir || !*out_dir) {
        snprintf(err, errlen, "no output bundle given (-o BUNDLE)");
        return CS_E_ARG;
    }
    /* refuse an existing bundle before doing any work */
    if (!o->force && access(out_dir, F_OK) == 0) {
        snprintf(err, errlen, "%s: already exists (use --force to overwrite)", out_dir);
        return CS_E_EXISTS;
    }

    cs_pathlist files;
    const char *bad = NULL;
    rc = cs_collect_sources(sources, nsources, o->strict, o->warn, o->progress_user, &files, &bad);
    if (rc) {
        if (rc == CS_E_IO)
            snprintf(err, errlen, "%s: no such file or folder, or not readable", bad);
        else if (rc == CS_E_FORMAT)
            snprintf(err, errlen, "%s: not an audio file libsndfile can read", bad);
        else if (rc == CS_E_EMPTY)
            snprintf(err, errlen, "%s: folder holds no audio file", bad);
        else if (rc == CS_E_ARG)
            snprintf(err, errlen, "no SOURCE given");
        else
            snprintf(err, errlen, "collecting sources: %s", cs_strerror(rc));
        return rc;
    }

    const size_t nf = files.n;
    cs_audio *audio = calloc(nf, sizeof *audio);
    source_units *su = calloc(nf, sizeof *su);
    uint64_t *checksums = calloc(nf, sizeof *checksums);
    float *X = NULL, *Xn = NULL, *table = NULL, *packed = NULL;
    int *labels = NULL;
    uint64_t *ustart = NULL, *ulen = NULL;
    int32_t *ulabel = NULL, *usource = NULL, *usucc = NULL;
    char *tmpdir = NULL;
    cJSON *man = NULL;
    double center[CS_D_COUNT], scale[CS_D_COUNT];
    if (!audio || !su || !checksums) {
        rc = CS_E_NOMEM;
        goto fail;
    }

    double t0 = now_s();
    rc = decode_all(&files, o, audio, err, errlen);
    if (rc) goto fail;
    for (size_t i = 0; i < nf; ++i) {
        if (cs_file_fnv1a64(files.v[i], &checksums[i]) != 0) {
            snprintf(err, errlen, "%s: cannot read for its checksum", files.v[i]);
            rc = CS_E_IO;
            goto fail;
        }
    }
    double t1 = now_s();
    rep->seconds_decode = t1 - t0;

    size_t total_units = 0, total_frames = 0;
    for (size_t i = 0; i < nf; ++i) {
        progress(o, "analyze", i, nf, files.v[i]);
        rc = analyze_source(&audio[i], files.v[i], o, &su[i], err, errlen);
        if (rc) goto fail;
        total_units += su[i].seg.n;
        total_frames += audio[i].frames;
    }
    progress(o, "analyze", nf, nf, "");
    double t2 = now_s();
    rep->seconds_analyze = t2 - t1;
    if (total_units > CS_UT_MAX_UNITS) {
        snprintf(err, errlen, "%zu units: more than the unit table holds (%d); use longer units", total_units,
                 CS_UT_MAX_UNITS);
        rc = CS_E_TOO_LARGE;
        goto fail;
    }
    if ((double)total_frames / 65536.0 >= 16777216.0) {
        snprintf(err, errlen, "corpus too long for the unit table's frame encoding");
        rc = CS_E_TOO_LARGE;
        goto fail;
    }

    /* descriptor matrix, all sources in order */
    const size_t N = total_units, D = CS_D_COUNT;
    X = malloc(N * D * sizeof *X);
    ustart = malloc(N * sizeof *ustart);
    ulen = malloc(N * sizeof *ulen);
    ulabel = malloc(N * sizeof *ulabel);
    usource = malloc(N * sizeof *usource);
    usucc = malloc(N * sizeof *usucc);
    labels = malloc(N * sizeof *labels);
    if (!X || !ustart || !ulen || !ulabel || !usource || !usucc || !labels) {
        rc = CS_E_NOMEM;
        goto fail;
    }
    {
        size_t u = 0, offset = 0;
        for (size_t i = 0; i < nf; ++i) {
            size_t first = u;
            for (size_t k = 0; k < su[i].seg.n; ++k, ++u) {
                memcpy(X + u * D, su[i].desc + k * D, D * sizeof *X);
                ustart[u] = offset + su[i].seg.v[k].start;
                ulen[u] = su[i].seg.v[k].length;
                usource[u] = (int32_t)i;
            }
            /* original successor: the first later unit of the source starting at or after this one's end */
            size_t nxt = first;
            for (size_t a = first; a < u; ++a) {
                uint64_t end = ustart[a] + ulen[a];
                if (nxt <= a) nxt = a + 1;
                while (nxt < u && ustart[nxt] < end)
                    nxt++;
                usucc[a] = nxt < u ? (int32_t)nxt : -1;
            }
            offset += audio[i].frames;
        }
    }

    /* normalisation and clustering on the weighted descriptors */
    Xn = malloc(N * D * sizeof *Xn);
    if (!Xn) {
        rc = CS_E_NOMEM;
        goto fail;
    }
    memcpy(Xn, X, N * D * sizeof *Xn);
    rc = cs_normalize(Xn, N, D, o->normalize, center, scale);
    if (rc) goto fail;

    progress(o, "cluster", 0, 1, cluster_name(o->cluster));
    int num_labels = 0, noise_label = -1, converged = 1;
    double inertia = NAN, preference_used = o->preference;
    size_t noise_units = 0;
    if (o->cluster == CS_CLUSTER_KMEANS) {
        if ((size_t)o->clusters > N) {
            snprintf(err, errlen, "--clusters %d: more clusters than units (%zu)", o->clusters, N);
            rc = CS_E_TOO_FEW;
            goto fail;
        }
        float *cent = malloc((size_t)o->clusters * D * sizeof *cent);
        if (!cent) {
            rc = CS_E_NOMEM;
            goto fail;
        }
        rc = cs_kmeans(Xn, N, D, o->weights, o->clusters, o->restarts, o->max_iter ? o->max_iter : 300, 1e-4, o->seed,
                       o->threads, labels, cent, &inertia);
        free(cent);
        num_labels = o->clusters;
    } else if (o->cluster == CS_CLUSTER_DBSCAN) {
        int nc = 0;
        rc = cs_dbscan(Xn, N, D, o->weights, o->eps, o->min_samples, o->threads, labels, &nc);
        if (rc == 0) {
            for (size_t u = 0; u < N; ++u)
                if (labels[u] < 0) noise_units++;
            if (noise_units) {
                noise_label = nc;
                for (size_t u = 0; u < N; ++u)
                    if (labels[u] < 0) labels[u] = noise_label;
            }
            num_labels = nc + (noise_units ? 1 : 0);
        }
    } else {
        int *exemplars = malloc(N * sizeof *exemplars);
        int nc = 0;
        if (!exemplars) {
            rc = CS_E_NOMEM;
            goto fail;
        }
        rc = cs_affinity_propagation(Xn, N, D, o->weights, o->damping, o->max_iter ? o->max_iter : 200,
                                     o->ap_convergence, o->preference, o->seed, o->threads, labels, exemplars, &nc,
                                     &converged);
        free(exemplars);
        if (rc == 0 && !converged) {
            snprintf(
                err, errlen,
                "--cluster ap: affinity propagation did not converge in %d iterations; raise --max-iter or --damping",
                o->max_iter ? o->max_iter : 200);
            rc = CS_E_ARG;
            goto fail;
        }
        num_labels = nc;
    }
    if (rc) {
        if (rc == CS_E_TOO_LARGE)
            snprintf(err, errlen, "--cluster %s: %zu units are too many for this method (try kmeans)",
                     cluster_name(o->cluster), N);
        else if (rc == CS_E_TOO_FEW)
            snprintf(err, errlen, "--clusters %d: more clusters than units (%zu)", o->clusters, N);
        else
            snprintf(err, errlen, "--cluster %s: %s", cluster_name(o->cluster), cs_strerror(rc));
        goto fail;
    }
    if (num_labels < 1) {
        snprintf(err, errlen, "--cluster %s: no cluster found", cluster_name(o->cluster));
        rc = CS_E_TOO_FEW;
        goto fail;
    }
    for (size_t u = 0; u < N; ++u)
        ulabel[u] = labels[u];
    progress(o, "cluster", 1, 1, cluster_name(o->cluster));
    double t3 = now_s();
    rep->seconds_cluster = t3 - t2;

    /* unit table */
    size_t tn = cs_ut_size((uint32_t)N, (uint32_t)D, (uint32_t)num_labels);
    table = malloc(tn * sizeof *table);
    if (!table) {
        rc = CS_E_NOMEM;
        goto fail;
    }
    if (cs_ut_encode(table, (uint32_t)N, (uint32_t)D, (uint32_t)num_labels, (uint32_t)nf, noise_label, o->rate,
                     (uint32_t)o->channels, total_frames, ustart, ulen, ulabel, usource, usucc, Xn) != CS_UT_OK) {
        snprintf(err, errlen, "internal error: unit table encoding failed");
        rc = CS_E_INTERNAL;
        goto fail;
    }
    {
        /* the nearest-neighbour index (per-label k-d trees, BUNDLE.md "Index"), appended to the table */
        cs_ut_view tv;
        size_t xn = 0;
        float *indexed = NULL;
        if (cs_ut_parse(table, tn, 1, &tv) == CS_UT_OK) xn = cs_index_table_size(&tv, CS_INDEX_DEFAULT_LEAF);
        if (xn) indexed = malloc(xn * sizeof *indexed);
        if (!xn || !indexed || cs_index_build(&tv, CS_INDEX_DEFAULT_LEAF, indexed, xn) != 0 ||
            cs_ut_parse(indexed, xn, 1, &tv) != CS_UT_OK) {
            free(indexed);
            snprintf(err, errlen, "internal error: unit table index failed");
            rc = xn && !indexed ? CS_E_NOMEM : CS_E_INTERNAL;
            goto fail;
        }
        free(table);
        table = indexed;
        tn = xn;
    }

    /* packed audio */
    packed = malloc(total_frames * (size_t)o->channels * sizeof *packed);
    if (!packed) {
        rc = CS_E_NOMEM;
        goto fail;
    }
    {
        size_t off = 0;
        for (size_t i = 0; i < nf; ++i) {
            memcpy(packed + off * (size_t)o->channels, audio[i].data,
                   audio[i].frames * (size_t)o->channels * sizeof *packed);
            off += audio[i].frames;
        }
    }

    /* manifest */
    man = cJSON_CreateObject();
    if (!man) {
        rc = CS_E_NOMEM;
        goto fail;
    }
    {
        char hbuf[64];
        cJSON_AddStringToObject(man, "format", CS_BUNDLE_FORMAT);
        cJSON_AddNumberToObject(man, "version", CS_BUNDLE_VERSION);
        cJSON_AddStringToObject(man, "generator", "concatseq " CONCATSEQ_VERSION);
        cJSON_AddNumberToObject(man, "sample_rate", o->rate);
        cJSON_AddNumberToObject(man, "channels", o->channels);
        cJSON_AddNumberToObject(man, "frames", (double)total_frames);
        cJSON_AddNumberToObject(man, "duration_s", (double)total_frames / o->rate);
        cJSON_AddNumberToObject(man, "units", (double)N);
        cJSON_AddNumberToObject(man, "labels", num_labels);
        cJSON_AddStringToObject(man, "audio_file", CS_BUNDLE_AUDIO);
        cJSON_AddStringToObject(man, "unit_table_file", CS_BUNDLE_UNITS);
        hex64(hbuf, sizeof hbuf, cs_fnv1a64(table, tn * sizeof *table, CS_FNV_OFFSET));
        cJSON_AddStringToObject(man, "unit_table_checksum", hbuf);

        cJSON *srcs = cJSON_AddArrayToObject(man, "sources");
        size_t off = 0, ufirst = 0;
        for (size_t i = 0; i < nf; ++i) {
            cJSON *s = cJSON_CreateObject();
            char *abs = realpath(files.v[i], NULL);
            cJSON_AddStringToObject(s, "path", abs ? abs : files.v[i]);
            free(abs);
            cJSON_AddStringToObject(s, "file_format", audio[i].format);
            cJSON_AddNumberToObject(s, "original_rate", audio[i].original_rate);
            cJSON_AddNumberToObject(s, "original_channels", audio[i].original_channels);
            cJSON_AddNumberToObject(s, "original_frames", (double)audio[i].original_frames);
            cJSON_AddNumberToObject(s, "frames", (double)audio[i].frames);
            cJSON_AddNumberToObject(s, "offset", (double)off);
            cJSON_AddNumberToObject(s, "first_unit", (double)ufirst);
            cJSON_AddNumberToObject(s, "units", (double)su[i].seg.n);
            hex64(hbuf, sizeof hbuf, checksums[i]);
            cJSON_AddStringToObject(s, "checksum", hbuf);
            cJSON_AddItemToArray(srcs, s);
            off += audio[i].frames;
            ufirst += su[i].seg.n;
        }

        cJSON *seg = cJSON_AddObjectToObject(man, "segmentation");
        cJSON_AddStringToObject(seg, "method", segment_name(o->segment));
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

        cs_frame_params fp;
        cs_frame_params_default(&fp, o->rate);
        int fft = o->fft_size;
        if (!fft) {
            int target = (int)lround(2048.0 * o->rate / 48000.0);
            fft = 256;
            while (fft < target && fft < 16384)
                fft *= 2;
        }
        cJSON *an = cJSON_AddObjectToObject(man, "analysis");
        cJSON_AddStringToObject(an, "window", "hann");
        cJSON_AddNumberToObject(an, "fft_size", fft);
        cJSON_AddNumberToObject(an, "hop", o->frame_hop ? o->frame_hop : fft / 4);
        cJSON_AddNumberToObject(an, "mel_bands", fp.n_mels);
        cJSON_AddNumberToObject(an, "mel_fmin_hz", fp.mel_fmin);
        cJSON_AddNumberToObject(an, "mel_fmax_hz", fp.mel_fmax);
        cJSON_AddNumberToObject(an, "mfcc", 13);
        cJSON_AddNumberToObject(an, "rolloff_fraction", fp.rolloff);
        cJSON_AddNumberToObject(an, "yin_threshold", fp.yin_threshold);
        cJSON_AddNumberToObject(an, "f0_min_hz", fp.f0_min);
        cJSON_AddNumberToObject(an, "f0_max_hz", fp.f0_max);
        cJSON_AddStringToObject(an, "resampler",
                                o->src_quality == 0   ? "SRC_SINC_BEST_QUALITY"
                                : o->src_quality == 1 ? "SRC_SINC_MEDIUM_QUALITY"
                                : o->src_quality == 2 ? "SRC_SINC_FASTEST"
                                : o->src_quality == 3 ? "SRC_ZERO_ORDER_HOLD"
                                                      : "SRC_LINEAR");
        cJSON_AddStringToObject(an, "spec", "corpus-tools/DESCRIPTORS.md");

        cJSON *norm = cJSON_AddObjectToObject(man, "normalisation");
        cJSON_AddStringToObject(norm, "method", o->normalize == CS_NORM_ZSCORE ? "zscore" : "robust");

        /* per-descriptor: name, unit, statistics, range, weight */
        cJSON *descs = cJSON_AddArrayToObject(man, "descriptors");
        for (size_t d = 0; d < D; ++d) {
            double lo = INFINITY, hi = -INFINITY;
            for (size_t u = 0; u < N; ++u) {
                double v = (double)X[u * D + d];
                if (v < lo) lo = v;
                if (v > hi) hi = v;
            }
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "name", cs_descriptor_name((int)d));
            cJSON_AddStringToObject(e, "unit", cs_descriptor_unit((int)d));
            cJSON_AddNumberToObject(e, "center", center[d]);
            cJSON_AddNumberToObject(e, "scale", scale[d]);
            cJSON_AddNumberToObject(e, "min", lo);
            cJSON_AddNumberToObject(e, "max", hi);
            cJSON_AddNumberToObject(e, "weight", (double)o->weights[d]);
            cJSON_AddItemToArray(descs, e);
        }

        cJSON *cl = cJSON_AddObjectToObject(man, "clustering");
        cJSON_AddStringToObject(cl, "method", cluster_name(o->cluster));
        cJSON_AddNumberToObject(cl, "seed", (double)o->seed);
        if (o->cluster == CS_CLUSTER_KMEANS) {
            cJSON_AddNumberToObject(cl, "k", o->clusters);
            cJSON_AddNumberToObject(cl, "restarts", o->restarts);
            cJSON_AddNumberToObject(cl, "max_iter", o->max_iter ? o->max_iter : 300);
            cJSON_AddNumberToObject(cl, "inertia", inertia);
        } else if (o->cluster == CS_CLUSTER_DBSCAN) {
            cJSON_AddNumberToObject(cl, "eps", o->eps);
            cJSON_AddNumberToObject(cl, "min_samples", o->min_samples);
            cJSON_AddNumberToObject(cl, "noise_label", noise_label);
            cJSON_AddNumberToObject(cl, "noise_units", (double)noise_units);
        } else {
            cJSON_AddNumberToObject(cl, "damping", o->damping);
            if (isnan(preference_used))
                cJSON_AddStringToObject(cl, "preference", "median");
            else
                cJSON_AddNumberToObject(cl, "preference", preference_used);
            cJSON_AddNumberToObject(cl, "max_iter", o->max_iter ? o->max_iter : 200);
            cJSON_AddNumberToObject(cl, "convergence_iter", o->ap_convergence);
        }
        /* per label: count, mean duration, centroid (mean normalised descriptors of its units) */
        cJSON *lab = cJSON_AddArrayToObject(cl, "labels");
        double *cent = calloc(D, sizeof *cent);
        if (!cent) {
            rc = CS_E_NOMEM;
            goto fail;
        }
        for (int l = 0; l < num_labels; ++l) {
            size_t count = 0;
            double dur = 0.0;
            memset(cent, 0, D * sizeof *cent);
            for (size_t u = 0; u < N; ++u) {
                if (ulabel[u] != l) continue;
                count++;
                dur += (double)ulen[u] / o->rate;
                for (size_t d = 0; d < D; ++d)
                    cent[d] += (double)Xn[u * D + d];
            }
            for (size_t d = 0; d < D && count; ++d)
                cent[d] /= (double)count;
            cJSON *e = cJSON_CreateObject();
            cJSON_AddNumberToObject(e, "label", l);
            cJSON_AddNumberToObject(e, "units", (double)count);
            cJSON_AddNumberToObject(e, "mean_duration_s", count ? dur / (double)count : 0.0);
            cJSON_AddBoolToObject(e, "noise", l == noise_label);
            cJSON_AddItemToObject(e, "centroid", number_array(cent, D));
            cJSON_AddItemToArray(lab, e);
        }
        free(cent);
    }
    rep->sources = nf;
    rep->units = N;
    rep->labels = (size_t)num_labels;
    rep->noise_units = noise_units;
    rep->seconds_audio = (double)total_frames / o->rate;

    /* write atomically */
    progress(o, "write", 0, 3, out_dir);
    rc = cs_bundle_begin(out_dir, o->force, o->warn, o->progress_user, &tmpdir, err, errlen);
    if (rc) goto fail;
    {
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", tmpdir, CS_BUNDLE_AUDIO);
        rc = cs_write_float_wav(path, packed, total_frames, o->channels, o->rate, err, errlen);
        if (rc) goto fail;
        progress(o, "write", 1, 3, CS_BUNDLE_AUDIO);
        snprintf(path, sizeof path, "%s/%s", tmpdir, CS_BUNDLE_UNITS);
        rc = cs_write_float_wav(path, table, tn, 1, o->rate, err, errlen);
        if (rc) goto fail;
        progress(o, "write", 2, 3, CS_BUNDLE_UNITS);
        snprintf(path, sizeof path, "%s/%s", tmpdir, CS_BUNDLE_MANIFEST);
        rc = cs_write_json(path, man, err, errlen);
        if (rc) goto fail;
        rc = cs_bundle_commit(tmpdir, out_dir, o->force, o->warn, o->progress_user, err, errlen);
        free(tmpdir);
        tmpdir = NULL;
        if (rc) goto fail;
        progress(o, "write", 3, 3, out_dir);
    }
    rep->seconds_write = now_s() - t3;

fail:
    if (tmpdir) {
        cs_bundle_abort(tmpdir);
        free(tmpdir);
    }
    cJSON_Delete(man);
    for (size_t i = 0; audio && i < nf; ++i)
        cs_audio_free(&audio[i]);
    for (size_t i = 0; su && i < nf; ++i) {
        cs_segments_free(&su[i].seg);
        free(su[i].desc);
    }
    free(audio);
    free(su);
    free(checksums);
    free(X);
    free(Xn);
    free(table);
    free(packed);
    free(labels);
    free(ustart);
    free(ulen);
    free(ulabel);
    free(usource);
    free(usucc);
    cs_pathlist_free(&files);
    if (rc && err[0] == '\0') snprintf(err, errlen, "%s", cs_strerror(rc));
    return rc;
}
