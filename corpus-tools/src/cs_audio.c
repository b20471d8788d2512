/* cs_audio.c - finding, decoding, resampling and checking sources. See cs_audio.h. */
#include "cs_audio.h"

#include "cs_error.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <samplerate.h>
#include <sndfile.h>
#include <soxr.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void cs_pathlist_free(cs_pathlist *l)
{
    if (!l) return;
    for (size_t i = 0; i < l->n; ++i)
        free(l->v[i]);
    free(l->v);
    free(l->walked);
    l->v = NULL;
    l->walked = NULL;
    l->n = l->cap = 0;
}

int cs_pathlist_push(cs_pathlist *l, const char *p, int walked)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        char **v = realloc(l->v, cap * sizeof *v);
        if (!v) return CS_E_NOMEM;
        l->v = v;
        unsigned char *w = realloc(l->walked, cap * sizeof *w);
        if (!w) return CS_E_NOMEM;
        l->walked = w;
        l->cap = cap;
    }
    l->walked[l->n] = (unsigned char)walked;
    size_t len = strlen(p);
    char *s = malloc(len + 1);
    if (!s) return CS_E_NOMEM;
    memcpy(s, p, len + 1);
    l->v[l->n++] = s;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int is_audio(const char *path)
{
    SF_INFO info;
    memset(&info, 0, sizeof info);
    SNDFILE *f = sf_open(path, SFM_READ, &info);
    if (!f) return 0;
    sf_close(f);
    return 1;
}

static char bad_path_buf[4096];

static const char *remember(const char *p)
{
    snprintf(bad_path_buf, sizeof bad_path_buf, "%s", p);
    return bad_path_buf;
}

/* Walk a folder: collect every regular file (recursively) into `files`. */
static int walk(const char *dir, cs_pathlist *files, const char **bad_path)
{
    DIR *d = opendir(dir);
    if (!d) {
        *bad_path = remember(dir);
        return CS_E_IO;
    }
    cs_pathlist names = {0};
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        if ((rc = cs_pathlist_push(&names, e->d_name, 1)) != 0) break;
    }
    closedir(d);
    if (rc) {
        cs_pathlist_free(&names);
        return rc;
    }
    if (names.n > 1) qsort(names.v, names.n, sizeof *names.v, cmp_str); /* qsort wants a non-NULL array */
    for (size_t i = 0; i < names.n && rc == 0; ++i) {
        size_t len = strlen(dir) + strlen(names.v[i]) + 2;
        char *full = malloc(len);
        if (!full) {
            rc = CS_E_NOMEM;
            break;
        }
        snprintf(full, len, "%s/%s", dir, names.v[i]);
        struct stat st;
        if (stat(full, &st) != 0) {
            /* a dangling link inside a folder is skipped like any other non-audio file */
        } else if (S_ISDIR(st.st_mode)) {
            rc = walk(full, files, bad_path);
        } else if (S_ISREG(st.st_mode)) {
            rc = cs_pathlist_push(files, full, 1);
        }
        free(full);
    }
    cs_pathlist_free(&names);
    return rc;
}

int cs_collect_sources(char *const *args, size_t nargs, int strict, cs_warn_fn warn, void *user, cs_pathlist *out,
                       const char **bad_path)
{
    static const char *none = "";
    *bad_path = none;
    memset(out, 0, sizeof *out);
    if (nargs == 0) return CS_E_ARG;
    for (size_t a = 0; a < nargs; ++a) {
        const char *arg = args[a];
        struct stat st;
        if (stat(arg, &st) != 0) {
            *bad_path = remember(arg);
            cs_pathlist_free(out);
            return CS_E_IO;
        }
        if (S_ISDIR(st.st_mode)) {
            cs_pathlist found = {0};
            int rc = walk(arg, &found, bad_path);
            size_t kept = 0;
            for (size_t i = 0; i < found.n && rc == 0; ++i) {
                if (is_audio(found.v[i])) {
                    rc = cs_pathlist_push(out, found.v[i], 1);
                    kept++;
                } else if (strict) {
                    *bad_path = remember(found.v[i]);
                    rc = CS_E_FORMAT;
                } else if (warn) {
                    warn(user, found.v[i], "not an audio file libsndfile can read, skipped");
                }
            }
            cs_pathlist_free(&found);
            if (rc == 0 && kept == 0) {
                *bad_path = remember(arg);
                rc = CS_E_EMPTY;
            }
            if (rc) {
                cs_pathlist_free(out);
                return rc;
            }
        } else {
            FILE *f = fopen(arg, "rb");
            if (!f) {
                *bad_path = remember(arg);
                cs_pathlist_free(out);
                return CS_E_IO;
            }
            fclose(f);
            if (st.st_size > 0 && !is_audio(arg)) {
                *bad_path = remember(arg);
                cs_pathlist_free(out);
                return CS_E_FORMAT;
            }
            int rc = cs_pathlist_push(out, arg, 0);
            if (rc) {
                cs_pathlist_free(out);
                return rc;
            }
        }
    }
    return 0;
}

const char *const cs_resampler_names[CS_RESAMPLER_COUNT] = {"src-best",   "src-medium", "src-fastest", "src-zoh",
                                                            "src-linear", "soxr-hq",    "soxr-vhq"};
const char *const cs_resampler_manifest[CS_RESAMPLER_COUNT] = {"SRC_SINC_BEST_QUALITY",
                                                               "SRC_SINC_MEDIUM_QUALITY",
                                                               "SRC_SINC_FASTEST",
                                                               "SRC_ZERO_ORDER_HOLD",
                                                               "SRC_LINEAR",
                                                               "SOXR_HQ",
                                                               "SOXR_VHQ"};

#define CS_AUDIO_BLOCK   65536 /* source frames decoded per block (fewer when upsampling by a large ratio) */
#define CS_AUDIO_MAX_ABS 1e12f /* larger |sample| is refused: the frame analysis' spectra would overflow float */

void cs_audio_close(cs_audio_reader *r)
{
    if (!r) return;
    if (r->sf) sf_close(r->sf);
    if (r->src) src_delete(r->src);
    if (r->soxr) soxr_delete(r->soxr);
    free(r->raw);
    if (r->mapped != r->raw) free(r->mapped);
    free(r->res);
    memset(r, 0, sizeof *r);
}

/* Open the file and record what it was in `info` (checks that need only the header). */
static int open_source(const char *path, int rate, int channels, cs_audio_reader *r, cs_audio *info)
{
    struct stat st;
    if (stat(path, &st) != 0) return CS_E_IO;
    if (st.st_size == 0) return CS_E_EMPTY;
    FILE *probe = fopen(path, "rb");
    if (!probe) return CS_E_IO;
    fclose(probe);
    SF_INFO sfi;
    memset(&sfi, 0, sizeof sfi);
    r->sf = sf_open(path, SFM_READ, &sfi);
    if (!r->sf) return CS_E_FORMAT;
    SF_FORMAT_INFO fi;
    memset(&fi, 0, sizeof fi);
    fi.format = sfi.format & SF_FORMAT_TYPEMASK;
    if (sf_command(NULL, SFC_GET_FORMAT_INFO, &fi, sizeof fi) == 0 && fi.name)
        snprintf(info->format, sizeof info->format, "%s", fi.name);
    info->original_rate = sfi.samplerate;
    info->original_channels = sfi.channels;
    info->original_frames = sfi.frames;
    if (sfi.frames <= 0 || sfi.channels <= 0) return CS_E_EMPTY;
    if (sfi.channels > 1024) { /* libsndfile's own limit; keeps block x channels far from overflow */
        snprintf(r->msg, sizeof r->msg, "the header gives %d channels; the file is damaged", sfi.channels);
        return CS_E_FORMAT;
    }
    if (channels > 1 && sfi.channels != channels && sfi.channels != 1) return CS_E_CHANNELS;
    if (sfi.samplerate <= 0) {
        snprintf(r->msg, sizeof r->msg, "the header gives a sample rate of %d Hz; the file is damaged", sfi.samplerate);
        return CS_E_FORMAT;
    }
    r->ratio = (double)rate / (double)sfi.samplerate;
    if (sfi.samplerate != rate && !src_is_valid_ratio(r->ratio)) {
        snprintf(
            r->msg, sizeof r->msg,
            "its sample rate %d Hz cannot be resampled to --rate %d (the resamplers convert by factors 1/256..256); "
            "resample the file first",
            sfi.samplerate, rate);
        return CS_E_ARG;
    }
    return 0;
}

/* The converter of r->resampler for r->ch channels: 0, or CS_E_INTERNAL with r->msg. */
static int resampler_new(cs_audio_reader *r, int rate)
{
    if (r->resampler >= CS_RS_SOXR_HQ) {
        /* one thread (soxr's OpenMP off): the same samples whatever else runs; float32 interleaved both ways */
        soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
        soxr_quality_spec_t q = soxr_quality_spec(r->resampler == CS_RS_SOXR_VHQ ? SOXR_VHQ : SOXR_HQ, 0);
        soxr_runtime_spec_t rt = soxr_runtime_spec(1);
        soxr_error_t e = NULL;
        r->soxr = soxr_create((double)r->src_rate, (double)rate, (unsigned)r->ch, &e, &io, &q, &rt);
        if (!r->soxr || e) {
            snprintf(r->msg, sizeof r->msg, "resampling failed (libsoxr: %s)", e ? e : "no converter");
            return CS_E_INTERNAL;
        }
        return 0;
    }
    int e = 0;
    r->src = src_new(r->resampler, r->ch, &e);
    if (!r->src) {
        snprintf(r->msg, sizeof r->msg, "resampling failed (%s)", src_strerror(e));
        return CS_E_INTERNAL;
    }
    return 0;
}

int cs_audio_open(const char *path, int rate, int channels, int resampler, cs_audio_reader *r, cs_audio *info)
{
    memset(r, 0, sizeof *r);
    memset(info, 0, sizeof *info);
    if (rate <= 0 || channels <= 0 || resampler < 0 || resampler >= CS_RESAMPLER_COUNT) return CS_E_ARG;
    int rc = open_source(path, rate, channels, r, info);
    if (rc) {
        char keep[sizeof r->msg];
        memcpy(keep, r->msg, sizeof keep);
        cs_audio_close(r);
        memcpy(r->msg, keep, sizeof keep);
        return rc;
    }
    r->ch_in = info->original_channels;
    r->src_rate = info->original_rate;
    r->ch = channels;
    r->resampler = resampler;
    info->channels = channels;
    info->sample_rate = rate;
    r->resample = info->original_rate != rate;
    size_t up = r->resample && r->ratio > 1.0 ? (size_t)ceil(r->ratio) : 1;
    r->block = CS_AUDIO_BLOCK / up < 256 ? 256 : CS_AUDIO_BLOCK / up;
    r->raw = malloc(r->block * (size_t)r->ch_in * sizeof *r->raw);
    int mix = channels != r->ch_in;
    r->mapped = mix ? malloc(r->block * (size_t)channels * sizeof *r->mapped) : r->raw;
    if (r->resample) {
        r->res_cap = (size_t)ceil((double)r->block * r->ratio) + 256;
        r->res = malloc(r->res_cap * (size_t)channels * sizeof *r->res);
        rc = resampler_new(r, rate);
        if (rc) {
            char keep[sizeof r->msg];
            memcpy(keep, r->msg, sizeof keep);
            cs_audio_close(r);
            memcpy(r->msg, keep, sizeof keep);
            return rc;
        }
    }
    if (!r->raw || !r->mapped || (r->resample && !r->res)) {
        cs_audio_close(r);
        return CS_E_NOMEM;
    }
    return 0;
}

/* Decode the next block into r->mapped (r->in_len frames at the source rate, channels mapped): ch == 1 mixes
 * (mean), a mono file is copied to every channel. Checks every raw sample; r->in_len == 0 at the end. */
static int decode_block(cs_audio_reader *r)
{
    r->in_pos = r->in_len = 0;
    if (r->eof) return 0;
    sf_count_t got = sf_readf_float(r->sf, r->raw, (sf_count_t)r->block);
    if (got <= 0) {
        r->eof = 1;
        return 0;
    }
    const size_t n = (size_t)got, ci = (size_t)r->ch_in, co = (size_t)r->ch;
    for (size_t i = 0; i < n * ci; ++i) {
        float v = r->raw[i];
        if (!isfinite(v)) return CS_E_NONFINITE;
        if (fabsf(v) > CS_AUDIO_MAX_ABS) {
            snprintf(r->msg, sizeof r->msg,
                     "sample value %g at %.3f s is out of range (|x| <= %g; full scale is 1); rescale the file",
                     (double)v, (double)(r->decoded + (int64_t)(i / ci)) / (double)r->src_rate,
                     (double)CS_AUDIO_MAX_ABS);
            return CS_E_ARG;
        }
        if (v != 0.0f) r->nonzero = 1;
    }
    if (co == 1 && ci > 1) {
        for (size_t i = 0; i < n; ++i) {
            double s = 0.0;
            for (size_t c = 0; c < ci; ++c)
                s += (double)r->raw[i * ci + c];
            r->mapped[i] = (float)(s / (double)ci);
        }
    } else if (co > 1 && ci == 1) {
        for (size_t i = 0; i < n; ++i)
            for (size_t c = 0; c < co; ++c)
                r->mapped[i * co + c] = r->raw[i];
    }
    r->decoded += (int64_t)n;
    r->in_len = n;
    return 0;
}

/* One step of the converter: up to `n` frames in (none and r->eof: flush), up to `cap` frames out. */
static int convert(cs_audio_reader *r, const float *in, size_t n, float *out, size_t cap, size_t *used, size_t *made)
{
    if (r->soxr) {
        /* soxr flushes when called with no input (in == NULL) once the end is reached */
        soxr_error_t e = soxr_process(r->soxr, r->eof && n == 0 ? NULL : in, n, used, out, cap, made);
        if (e) {
            snprintf(r->msg, sizeof r->msg, "resampling failed (libsoxr: %s)", e);
            return CS_E_INTERNAL;
        }
        return 0;
    }
    SRC_DATA sd;
    memset(&sd, 0, sizeof sd);
    sd.data_in = in;
    sd.input_frames = (long)n;
    sd.data_out = out;
    sd.output_frames = (long)cap;
    sd.src_ratio = r->ratio;
    sd.end_of_input = r->eof;
    int e = src_process(r->src, &sd);
    if (e) {
        snprintf(r->msg, sizeof r->msg, "resampling failed (%s)", src_strerror(e));
        return CS_E_INTERNAL;
    }
    *used = (size_t)sd.input_frames_used;
    *made = (size_t)sd.output_frames_gen;
    return 0;
}

int cs_audio_next(cs_audio_reader *r, const float **out, size_t *frames)
{
    *out = NULL;
    *frames = 0;
    if (!r->resample) {
        int rc = decode_block(r);
        if (rc) return rc;
        *out = r->mapped;
        *frames = r->in_len;
        return 0;
    }
    size_t len = 0;
    const size_t ch = (size_t)r->ch;
    while (!r->finished) {
        if (r->in_pos == r->in_len && !r->eof) {
            int rc = decode_block(r);
            if (rc) return rc;
        }
        size_t used = 0, made = 0;
        int rc = convert(r, r->mapped + r->in_pos * ch, r->in_len - r->in_pos, r->res + len * ch, r->res_cap - len,
                         &used, &made);
        if (rc) return rc;
        r->in_pos += used;
        len += made;
        if (r->eof && made == 0 && r->in_pos == r->in_len) r->finished = 1;
        if (len == r->res_cap || (len > 0 && r->in_pos == r->in_len)) break;
    }
    for (size_t i = 0; i < len * ch; ++i)
        if (!isfinite(r->res[i])) r->res[i] = 0.0f; /* cannot happen from finite input; belt and braces */
    *out = r->res;
    *frames = len;
    return 0;
}

uint64_t cs_fnv1a64(const void *data, size_t n, uint64_t h)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; ++i) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

int cs_file_fnv1a64(const char *path, uint64_t *hash)
{
    FILE *f = fopen(path, "rb");
    if (!f) return CS_E_IO;
    unsigned char buf[1 << 16];
    uint64_t h = CS_FNV_OFFSET;
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0)
        h = cs_fnv1a64(buf, got, h);
    int err = ferror(f);
    fclose(f);
    if (err) return CS_E_IO;
    *hash = h;
    return 0;
}
