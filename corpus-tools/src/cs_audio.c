/* cs_audio.c - finding, decoding, resampling and checking sources. See cs_audio.h. */
#include "cs_audio.h"

#include "cs_error.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <samplerate.h>
#include <sndfile.h>
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

static int pathlist_push(cs_pathlist *l, const char *p, int walked)
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
        if ((rc = pathlist_push(&names, e->d_name, 1)) != 0) break;
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
            rc = pathlist_push(files, full, 1);
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
                    rc = pathlist_push(out, found.v[i], 1);
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
            int rc = pathlist_push(out, arg, 0);
            if (rc) {
                cs_pathlist_free(out);
                return rc;
            }
        }
    }
    return 0;
}

void cs_audio_free(cs_audio *a)
{
    if (!a) return;
    free(a->data);
    a->data = NULL;
    a->frames = 0;
}

/* Open and read all of `path` as float (no normalisation of float files, so NaN stays visible), recording what
 * the file was in `out`; checks for non-finite samples and digital silence. *raw: frames x original channels. */
static int read_source(const char *path, int channels, cs_audio *out, float **raw, size_t *frames_in)
{
    struct stat st;
    if (stat(path, &st) != 0) return CS_E_IO;
    if (st.st_size == 0) return CS_E_EMPTY;
    FILE *probe = fopen(path, "rb");
    if (!probe) return CS_E_IO;
    fclose(probe);
    SF_INFO info;
    memset(&info, 0, sizeof info);
    SNDFILE *sf = sf_open(path, SFM_READ, &info);
    if (!sf) return CS_E_FORMAT;
    SF_FORMAT_INFO fi;
    memset(&fi, 0, sizeof fi);
    fi.format = info.format & SF_FORMAT_TYPEMASK;
    if (sf_command(NULL, SFC_GET_FORMAT_INFO, &fi, sizeof fi) == 0 && fi.name)
        snprintf(out->format, sizeof out->format, "%s", fi.name);
    out->original_rate = info.samplerate;
    out->original_channels = info.channels;
    out->original_frames = info.frames;
    if (info.frames <= 0 || info.channels <= 0) {
        sf_close(sf);
        return CS_E_EMPTY;
    }
    if (channels > 1 && info.channels != channels && info.channels != 1) {
        sf_close(sf);
        return CS_E_CHANNELS;
    }
    float *r = malloc((size_t)info.frames * (size_t)info.channels * sizeof *r);
    if (!r) {
        sf_close(sf);
        return CS_E_NOMEM;
    }
    sf_count_t got = sf_readf_float(sf, r, info.frames);
    sf_close(sf);
    if (got <= 0) {
        free(r);
        return CS_E_EMPTY;
    }
    int nonzero = 0;
    for (size_t i = 0; i < (size_t)got * (size_t)info.channels; ++i) {
        if (!isfinite(r[i])) {
            free(r);
            return CS_E_NONFINITE;
        }
        if (r[i] != 0.0f) nonzero = 1;
    }
    if (!nonzero) {
        free(r);
        return CS_E_SILENT;
    }
    *raw = r;
    *frames_in = (size_t)got;
    return 0;
}

/* Map `raw` (frames x ch_in, consumed) to ch channels at the original rate (cheaper before resampling when
 * mixing down): ch == 1 mixes (mean), a mono file is copied to every channel, else kept. */
static int map_channels(float *raw, size_t frames, int ch_in, int ch, float **mapped)
{
    *mapped = raw;
    if (ch == 1 && ch_in > 1) {
        float *m = malloc(frames * sizeof *m);
        if (!m) {
            free(raw);
            return CS_E_NOMEM;
        }
        for (size_t i = 0; i < frames; ++i) {
            double s = 0.0;
            for (int c = 0; c < ch_in; ++c)
                s += (double)raw[i * (size_t)ch_in + (size_t)c];
            m[i] = (float)(s / ch_in);
        }
        free(raw);
        *mapped = m;
    } else if (ch > 1 && ch_in == 1) {
        float *m = malloc(frames * (size_t)ch * sizeof *m);
        if (!m) {
            free(raw);
            return CS_E_NOMEM;
        }
        for (size_t i = 0; i < frames; ++i)
            for (int c = 0; c < ch; ++c)
                m[i * (size_t)ch + (size_t)c] = raw[i];
        free(raw);
        *mapped = m;
    }
    return 0;
}

/* Resample `in` (frames x ch, consumed) by `ratio` with libsamplerate's src_simple into out->data. */
static int resample(float *in, size_t frames, int ch, double ratio, int src_quality, cs_audio *out, const char **detail)
{
    size_t cap = (size_t)ceil((double)frames * ratio) + 64;
    float *res = malloc(cap * (size_t)ch * sizeof *res);
    if (!res) {
        free(in);
        return CS_E_NOMEM;
    }
    SRC_DATA sd;
    memset(&sd, 0, sizeof sd);
    sd.data_in = in;
    sd.input_frames = (long)frames;
    sd.data_out = res;
    sd.output_frames = (long)cap;
    sd.src_ratio = ratio;
    sd.end_of_input = 1;
    int e = src_simple(&sd, src_quality, ch);
    free(in);
    if (e) {
        free(res);
        *detail = src_strerror(e);
        return CS_E_INTERNAL;
    }
    if (sd.output_frames_gen <= 0) {
        free(res);
        return CS_E_EMPTY;
    }
    out->data = res;
    out->frames = (size_t)sd.output_frames_gen;
    for (size_t i = 0; i < out->frames * (size_t)ch; ++i)
        if (!isfinite(out->data[i])) out->data[i] = 0.0f; /* cannot happen from finite input; belt and braces */
    return 0;
}

int cs_audio_load(const char *path, int rate, int channels, int src_quality, cs_audio *out, const char **detail)
{
    static const char *none = "";
    *detail = none;
    memset(out, 0, sizeof *out);
    if (rate <= 0 || channels <= 0 || src_quality < SRC_SINC_BEST_QUALITY || src_quality > SRC_LINEAR) return CS_E_ARG;
    float *raw = NULL, *mapped = NULL;
    size_t frames = 0;
    int rc = read_source(path, channels, out, &raw, &frames);
    if (rc == 0) rc = map_channels(raw, frames, out->original_channels, channels, &mapped);
    if (rc) return rc;
    if (out->original_rate == rate) {
        out->data = mapped;
        out->frames = frames;
    } else {
        rc = resample(mapped, frames, channels, (double)rate / (double)out->original_rate, src_quality, out, detail);
        if (rc) return rc;
    }
    out->channels = channels;
    out->sample_rate = rate;
    return 0;
}

float *cs_audio_mono(const cs_audio *a)
{
    float *m = malloc((a->frames ? a->frames : 1) * sizeof *m);
    if (!m) return NULL;
    if (a->channels == 1) {
        memcpy(m, a->data, a->frames * sizeof *m);
        return m;
    }
    for (size_t i = 0; i < a->frames; ++i) {
        double s = 0.0;
        for (int c = 0; c < a->channels; ++c)
            s += (double)a->data[i * (size_t)a->channels + (size_t)c];
        m[i] = (float)(s / a->channels);
    }
    return m;
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
