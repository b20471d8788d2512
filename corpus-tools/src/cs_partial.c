/*
 * cs_partial.c - the partial bundle (shard) format: its settings object, and reading a part back with every
 * file checked. See cs_partial.h and corpus-tools/BUNDLE.md "Partial bundles (shards)".
 */
#include "cs_partial.h"

#include "cs_bundle.h"
#include "cs_error.h"

#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- the settings: one table of (JSON name, option name, segmentation method or -1 for all, field, kind) --- */
enum { SET_INT, SET_DOUBLE, SET_RESAMPLER, SET_SEGMENT };

typedef struct setting {
    const char *name;   /* in the settings object */
    const char *option; /* the analyze option that sets it (for messages) */
    int segment;        /* -1: every method; else only with this method */
    size_t offset;      /* in cs_analyze_opts */
    int kind;
} setting;

#define F(field) offsetof(cs_analyze_opts, field)
static const setting settings[] = {
    {"rate", "--rate", -1, F(rate), SET_INT},
    {"channels", "--channels", -1, F(channels), SET_INT},
    {"resampler", "--resampler", -1, F(resampler), SET_RESAMPLER},
    {"segment", "--segment", -1, F(segment), SET_SEGMENT},
    {"fft_size", "--fft-size", -1, F(fft_size), SET_INT},
    {"frame_hop", "--frame-hop", -1, F(frame_hop), SET_INT},
    {"unit_ms", "--unit-ms", CS_SEG_GRAIN, F(unit_ms), SET_DOUBLE},
    {"hop_ms", "--hop-ms", CS_SEG_GRAIN, F(hop_ms), SET_DOUBLE},
    {"onset_threshold", "--threshold", CS_SEG_ONSET, F(onset.threshold), SET_DOUBLE},
    {"onset_delta", "--delta", CS_SEG_ONSET, F(onset.delta), SET_DOUBLE},
    {"onset_median_s", "--median-ms", CS_SEG_ONSET, F(onset.median_s), SET_DOUBLE},
    {"onset_min_len_s", "--min-ms", CS_SEG_ONSET, F(onset.min_len_s), SET_DOUBLE},
    {"onset_max_len_s", "--max-ms", CS_SEG_ONSET, F(onset.max_len_s), SET_DOUBLE},
    {"onset_pre_s", "--pre-ms", CS_SEG_ONSET, F(onset.pre_s), SET_DOUBLE},
    {"onset_refine_s", "--refine-ms", CS_SEG_ONSET, F(onset.refine_s), SET_DOUBLE},
    {"novelty_kernel_s", "--kernel-s", CS_SEG_NOVELTY, F(novelty.kernel_s), SET_DOUBLE},
    {"novelty_block_s", "--block-s", CS_SEG_NOVELTY, F(novelty.block_s), SET_DOUBLE},
    {"novelty_threshold", "--novelty-threshold", CS_SEG_NOVELTY, F(novelty.threshold), SET_DOUBLE},
    {"novelty_min_len_s", "--min-s", CS_SEG_NOVELTY, F(novelty.min_len_s), SET_DOUBLE},
    {"novelty_max_len_s", "--max-s", CS_SEG_NOVELTY, F(novelty.max_len_s), SET_DOUBLE},
};
#undef F
#define NUM_SETTINGS ((int)(sizeof settings / sizeof settings[0]))

static int *int_at(cs_analyze_opts *o, const setting *s)
{
    return (int *)(void *)((char *)o + s->offset);
}

static double *double_at(cs_analyze_opts *o, const setting *s)
{
    return (double *)(void *)((char *)o + s->offset);
}

/* o with fft_size and frame_hop set to what the analysis takes (the default's value, when they are 0) */
static void effective(const cs_analyze_opts *o, cs_analyze_opts *e)
{
    cs_frame_params fp;
    cs_analyze_frame_params(o, &fp);
    *e = *o;
    e->fft_size = fp.fft_size;
    e->frame_hop = fp.hop;
}

cJSON *cs_partial_settings(const cs_analyze_opts *o)
{
    cs_analyze_opts e;
    effective(o, &e);
    cJSON *s = cJSON_CreateObject();
    for (int i = 0; s && i < NUM_SETTINGS; ++i) {
        const setting *t = &settings[i];
        if (t->segment >= 0 && t->segment != e.segment) continue;
        char num[40]; /* cJSON prints 15 digits where they do not give the double back; 17 always do */
        snprintf(num, sizeof num, "%.17g", t->kind == SET_DOUBLE ? *double_at(&e, t) : 0.0);
        cJSON *v = t->kind == SET_DOUBLE      ? cJSON_CreateRaw(num)
                   : t->kind == SET_RESAMPLER ? cJSON_CreateString(cs_resampler_names[e.resampler])
                   : t->kind == SET_SEGMENT   ? cJSON_CreateString(cs_segment_names[e.segment])
                                              : cJSON_CreateNumber(*int_at(&e, t));
        if (!v || !cJSON_AddItemToObject(s, t->name, v)) {
            cJSON_Delete(v);
            cJSON_Delete(s);
            return NULL;
        }
    }
    return s;
}

/* the index of `name` in names[0..n), or -1 */
static int choice(const char *name, const char *const *names, int n)
{
    for (int c = 0; c < n; ++c)
        if (!strcmp(name, names[c])) return c;
    return -1;
}

int cs_partial_apply(const cJSON *obj, cs_analyze_opts *o, char *err, size_t errlen)
{
    if (!cJSON_IsObject(obj)) {
        snprintf(err, errlen, "no settings object");
        return CS_E_FORMAT;
    }
    for (int i = 0; i < NUM_SETTINGS; ++i) { /* "segment" comes before the parameters that depend on it */
        const setting *t = &settings[i];
        if (t->segment >= 0 && t->segment != o->segment) continue;
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, t->name);
        int bad = !v;
        if (!bad && (t->kind == SET_RESAMPLER || t->kind == SET_SEGMENT)) {
            const int c = !cJSON_IsString(v)         ? -1
                          : t->kind == SET_RESAMPLER ? choice(v->valuestring, cs_resampler_names, CS_RESAMPLER_COUNT)
                                                     : choice(v->valuestring, cs_segment_names, CS_SEG_COUNT);
            bad = c < 0;
            if (!bad) *int_at(o, t) = c;
        } else if (!bad) {
            bad = !cJSON_IsNumber(v) || !isfinite(v->valuedouble);
            if (!bad && t->kind == SET_INT) {
                bad = v->valuedouble != floor(v->valuedouble) || fabs(v->valuedouble) > 1e9;
                if (!bad) *int_at(o, t) = (int)v->valuedouble;
            } else if (!bad) {
                *double_at(o, t) = v->valuedouble;
            }
        }
        if (bad) {
            snprintf(err, errlen, "settings.%s missing or invalid", t->name);
            return CS_E_FORMAT;
        }
    }
    return 0;
}

int cs_partial_differs(const cs_analyze_opts *a, const cs_analyze_opts *b, char *what, size_t whatlen)
{
    cs_analyze_opts ea, eb;
    effective(a, &ea);
    effective(b, &eb);
    for (int i = 0; i < NUM_SETTINGS; ++i) {
        const setting *t = &settings[i];
        if (t->segment >= 0 && t->segment != ea.segment) continue;
        if (t->kind == SET_DOUBLE) {
            const double x = *double_at(&ea, t), y = *double_at(&eb, t);
            if (x == y) continue;
            snprintf(what, whatlen, "%s %.17g vs %.17g", t->option, x, y);
        } else {
            const int x = *int_at(&ea, t), y = *int_at(&eb, t);
            if (x == y) continue;
            if (t->kind == SET_RESAMPLER)
                snprintf(what, whatlen, "%s %s vs %s", t->option, cs_resampler_names[x], cs_resampler_names[y]);
            else if (t->kind == SET_SEGMENT)
                snprintf(what, whatlen, "%s %s vs %s", t->option, cs_segment_names[x], cs_segment_names[y]);
            else
                snprintf(what, whatlen, "%s %d vs %d", t->option, x, y);
        }
        return 1;
    }
    return 0;
}

/* --- reading a part back --- */
void cs_part_path(const cs_part *p, const char *name, char *buf, size_t n)
{
    snprintf(buf, n, "%s/%s", p->dir, name);
}

void cs_part_free(cs_part *p)
{
    for (size_t i = 0; p->src && i < p->nsources; ++i)
        free(p->src[i].path);
    free(p->src);
    free(p->rows);
    free(p->dir);
    memset(p, 0, sizeof *p);
}

/* a JSON number that is a whole number in [0, max]; -1 otherwise */
static double whole(const cJSON *o, const char *name, double max)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0.0) || v->valuedouble > max ||
        v->valuedouble != floor(v->valuedouble))
        return -1.0;
    return v->valuedouble;
}

/* "fnv1a64:" and 16 hex digits -> *h; 0, or -1 */
static int parse_hex64(const cJSON *v, uint64_t *h)
{
    if (!cJSON_IsString(v) || strncmp(v->valuestring, "fnv1a64:", 8) != 0 || strlen(v->valuestring) != 24) return -1;
    uint64_t x = 0;
    for (const char *c = v->valuestring + 8; *c; ++c) {
        const int d = *c >= '0' && *c <= '9' ? *c - '0' : *c >= 'a' && *c <= 'f' ? *c - 'a' + 10 : -1;
        if (d < 0) return -1;
        x = x << 4 | (uint64_t)d;
    }
    *h = x;
    return 0;
}

#define FAIL(code, ...)                                                                                                \
    do {                                                                                                               \
        snprintf(err, errlen, __VA_ARGS__);                                                                            \
        return code;                                                                                                   \
    } while (0)

/* One entry of the manifest's "sources". */
static int read_source(const cJSON *s, cs_part_source *ps, const char *man, size_t i, char *err, size_t errlen)
{
    const cJSON *path = cJSON_GetObjectItemCaseSensitive(s, "path");
    const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(s, "file_format");
    const double rate = whole(s, "original_rate", 1e7), ch = whole(s, "original_channels", 1e6);
    const double of = whole(s, "original_frames", 9e15), fr = whole(s, "frames", 9e15), un = whole(s, "units", 9e15);
    if (!cJSON_IsString(path) || !path->valuestring[0] || !cJSON_IsString(fmt) || rate < 1 || ch < 1 || of < 1 ||
        fr < 1 || un < 1 || parse_hex64(cJSON_GetObjectItemCaseSensitive(s, "checksum"), &ps->checksum))
        FAIL(CS_E_FORMAT, "%s: sources[%zu] is incomplete (corrupt part? analyze it again with --partial)", man, i);
    ps->path = strdup(path->valuestring);
    if (!ps->path) FAIL(CS_E_NOMEM, "out of memory");
    snprintf(ps->audio.format, sizeof ps->audio.format, "%s", fmt->valuestring);
    ps->audio.original_rate = (int)rate;
    ps->audio.original_channels = (int)ch;
    ps->audio.original_frames = (int64_t)of;
    ps->audio.frames = (size_t)fr;
    ps->units = (size_t)un;
    return 0;
}

/* The manifest: format, version, generator, settings, sources, totals. */
static int read_manifest(cs_part *p, const cJSON *m, const char *man, uint64_t *rows_sum, uint64_t *flux_sum, char *err,
                         size_t errlen)
{
    const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(m, "format");
    if (cJSON_IsString(fmt) && !strcmp(fmt->valuestring, CS_BUNDLE_FORMAT))
        FAIL(CS_E_FORMAT,
             "%s: a full bundle, not a partial one (merge takes the parts of `concatseq analyze --partial`)", p->dir);
    if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, CS_BUNDLE_PARTIAL_FORMAT) != 0)
        FAIL(CS_E_FORMAT, "%s: not a partial bundle manifest (make parts with `concatseq analyze --partial`)", man);
    if (whole(m, "version", 1e6) != CS_PARTIAL_VERSION)
        FAIL(CS_E_FORMAT, "%s: unsupported partial bundle version (analyze the part again with this concatseq)", man);
    const cJSON *gen = cJSON_GetObjectItemCaseSensitive(m, "generator");
    if (!cJSON_IsString(gen)) FAIL(CS_E_FORMAT, "%s: no generator (corrupt part?)", man);
    snprintf(p->generator, sizeof p->generator, "%s", gen->valuestring);
    char e2[256];
    cs_analyze_opts_default(&p->settings);
    if (cs_partial_apply(cJSON_GetObjectItemCaseSensitive(m, "settings"), &p->settings, e2, sizeof e2))
        FAIL(CS_E_FORMAT, "%s: %s (corrupt part?)", man, e2);
    if (cs_analyze_check_opts(&p->settings, e2, sizeof e2))
        FAIL(CS_E_FORMAT, "%s: its settings are invalid: %s", man, e2);
    const double desc = whole(m, "descriptors", 1e6), ff = whole(m, "analysis_frames", 9e15);
    if (desc != CS_D_COUNT)
        FAIL(CS_E_FORMAT, "%s: %g descriptors per unit, this concatseq has %d (analyze the part again)", man, desc,
             CS_D_COUNT);
    if (ff < 0 || parse_hex64(cJSON_GetObjectItemCaseSensitive(m, "unit_rows_checksum"), rows_sum) ||
        parse_hex64(cJSON_GetObjectItemCaseSensitive(m, "flux_checksum"), flux_sum))
        FAIL(CS_E_FORMAT, "%s: incomplete manifest (corrupt part? analyze it again with --partial)", man);
    p->flux_frames = (uint64_t)ff;
    const cJSON *srcs = cJSON_GetObjectItemCaseSensitive(m, "sources");
    const int n = cJSON_IsArray(srcs) ? cJSON_GetArraySize(srcs) : 0;
    if (n < 1) FAIL(CS_E_FORMAT, "%s: no sources (corrupt part?)", man);
    p->src = calloc((size_t)n, sizeof *p->src);
    if (!p->src) FAIL(CS_E_NOMEM, "out of memory");
    p->nsources = (size_t)n;
    size_t i = 0;
    for (const cJSON *s = srcs->child; s; s = s->next, ++i) {
        const int rc = read_source(s, &p->src[i], man, i, err, errlen);
        if (rc) return rc;
        p->src[i].audio.channels = p->settings.channels;
        p->src[i].audio.sample_rate = p->settings.rate;
        p->units += p->src[i].units;
        p->frames += p->src[i].audio.frames;
    }
    return 0;
}

/* The unit rows: the file its checksum names, one row per unit, every unit inside its source. */
static int read_rows(cs_part *p, uint64_t want, char *err, size_t errlen)
{
    char path[4200];
    cs_part_path(p, CS_BUNDLE_ROWS, path, sizeof path);
    uint64_t h = 0;
    if (cs_file_fnv1a64(path, &h) != 0) FAIL(CS_E_IO, "%s: missing or unreadable (a part needs it)", path);
    if (h != want) FAIL(CS_E_FORMAT, "%s: checksum differs from the manifest's (corrupt part)", path);
    size_t frames = 0;
    int ch = 0, rate = 0;
    int rc = cs_read_float_wav(path, &p->rows, &frames, &ch, &rate);
    if (rc) FAIL(rc, "%s: cannot read (%s)", path, cs_strerror(rc));
    if (ch != CS_PARTIAL_COLS || frames != p->units)
        FAIL(CS_E_FORMAT, "%s: %zu rows of %d values, the manifest says %zu of %d (corrupt part)", path, frames, ch,
             p->units, CS_PARTIAL_COLS);
    size_t u = 0;
    for (size_t i = 0; i < p->nsources; ++i) {
        size_t prev = 0;
        for (size_t k = 0; k < p->src[i].units; ++k, ++u) {
            const float *r = p->rows + u * CS_PARTIAL_COLS;
            int bad = 0;
            for (int c = 0; c < CS_PARTIAL_COLS; ++c)
                bad |= !isfinite(r[c]);
            for (int c = 0; c < 4 && !bad; ++c)
                bad |= r[c] < 0.0f || r[c] >= (float)CS_PARTIAL_SPLIT || r[c] != floorf(r[c]);
            const double st = bad ? 0.0 : (double)r[0] * CS_PARTIAL_SPLIT + (double)r[1];
            const double len = bad ? 0.0 : (double)r[2] * CS_PARTIAL_SPLIT + (double)r[3];
            if (bad || len < 1.0 || st + len > (double)p->src[i].audio.frames || st < (double)prev)
                FAIL(CS_E_FORMAT, "%s: unit %zu is not a unit of its source (corrupt part)", path, u);
            prev = (size_t)st;
        }
    }
    return 0;
}

/* audio.wav's header: float, the part's channels and rate, its frames; the flux file's checksum and length */
static int read_audio_flux(cs_part *p, uint64_t flux_sum, char *err, size_t errlen)
{
    char path[4200];
    cs_part_path(p, CS_BUNDLE_AUDIO, path, sizeof path);
    SF_INFO info;
    memset(&info, 0, sizeof info);
    SNDFILE *f = sf_open(path, SFM_READ, &info);
    if (!f) FAIL(CS_E_IO, "%s: missing or not a sound file (a part needs it)", path);
    sf_close(f);
    if ((info.format & SF_FORMAT_SUBMASK) != SF_FORMAT_FLOAT || info.channels != p->settings.channels ||
        info.samplerate != p->settings.rate || info.frames != (sf_count_t)p->frames)
        FAIL(CS_E_FORMAT, "%s: %lld frames of %d channels at %d Hz, the manifest says %zu of %d at %d (corrupt part)",
             path, (long long)info.frames, info.channels, info.samplerate, p->frames, p->settings.channels,
             p->settings.rate);
    cs_part_path(p, CS_BUNDLE_FLUX, path, sizeof path);
    uint64_t h = 0;
    if (cs_file_fnv1a64(path, &h) != 0) FAIL(CS_E_IO, "%s: missing or unreadable (a part needs it)", path);
    if (h != flux_sum) FAIL(CS_E_FORMAT, "%s: checksum differs from the manifest's (corrupt part)", path);
    memset(&info, 0, sizeof info);
    f = sf_open(path, SFM_READ, &info);
    if (f) sf_close(f);
    if (!f || info.channels != 1 || info.frames != (sf_count_t)p->flux_frames)
        FAIL(CS_E_FORMAT, "%s: not %llu flux values (corrupt part)", path, (unsigned long long)p->flux_frames);
    return 0;
}
#undef FAIL

int cs_part_read(const char *dir, cs_part *p, char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    p->dir = strdup(dir);
    if (!p->dir) return CS_E_NOMEM;
    char man[4200], e2[512];
    cs_part_path(p, CS_BUNDLE_MANIFEST, man, sizeof man);
    cJSON *m = cs_read_json(man, e2, sizeof e2);
    if (!m) {
        snprintf(err, errlen, "%s: not a partial bundle (%s)", dir, e2);
        return CS_E_FORMAT;
    }
    uint64_t rows_sum = 0, flux_sum = 0;
    int rc = read_manifest(p, m, man, &rows_sum, &flux_sum, err, errlen);
    cJSON_Delete(m);
    if (rc == 0) rc = read_rows(p, rows_sum, err, errlen);
    if (rc == 0) rc = read_audio_flux(p, flux_sum, err, errlen);
    return rc;
}
