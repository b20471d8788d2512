/* cs_bundle.c - WAV and JSON helpers, bundle reading. See cs_bundle.h; the atomic writer is cs_bundle_write.c. */
#include "cs_bundle.h"

#include "cs_error.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sndfile.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

/* The bundle's float WAV: RF64 when the data exceed 4e9 bytes (a RIFF size is 32 bits), plain WAV below. */
static void float_wav_info(SF_INFO *info, size_t frames, int channels, int rate)
{
    memset(info, 0, sizeof *info);
    info->samplerate = rate;
    info->channels = channels;
    const double bytes = (double)frames * channels * 4.0;
    info->format = (bytes > 4.0e9 ? SF_FORMAT_RF64 : SF_FORMAT_WAV) | SF_FORMAT_FLOAT;
}

int cs_write_float_wav(const char *path, const float *data, size_t frames, int channels, int rate, char *err,
                       size_t errlen)
{
    SF_INFO info;
    float_wav_info(&info, frames, channels, rate);
    SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
    if (!sf) {
        snprintf(err, errlen, "%s: cannot write (%s)", path, sf_strerror(NULL));
        return CS_E_IO;
    }
    /* no peak chunk: keeps the file a plain float WAV and the bytes independent of anything but the data */
    sf_command(sf, SFC_SET_ADD_PEAK_CHUNK, NULL, SF_FALSE);
    size_t done = 0;
    const size_t chunk = 1u << 16;
    while (done < frames) {
        size_t k = frames - done < chunk ? frames - done : chunk;
        sf_count_t w = sf_writef_float(sf, data + done * (size_t)channels, (sf_count_t)k);
        if (w != (sf_count_t)k) {
            snprintf(err, errlen, "%s: write failed (%s; is the disk full?)", path, sf_strerror(sf));
            sf_close(sf);
            unlink(path);
            return CS_E_IO;
        }
        done += k;
    }
    int e = sf_error(sf);
    if (sf_close(sf) != 0 || e) {
        snprintf(err, errlen, "%s: write failed (is the disk full?)", path);
        unlink(path);
        return CS_E_IO;
    }
    return 0;
}

/* A libsndfile virtual file that keeps its first bytes (the header) and only counts the rest. */
typedef struct header_sink {
    unsigned char head[512];
    sf_count_t pos, len;
} header_sink;

static sf_count_t hs_len(void *u)
{
    return ((header_sink *)u)->len;
}

static sf_count_t hs_seek(sf_count_t off, int whence, void *u)
{
    header_sink *h = u;
    sf_count_t p = whence == SEEK_SET ? off : whence == SEEK_CUR ? h->pos + off : h->len + off;
    if (p < 0) return -1;
    h->pos = p;
    return p;
}

static sf_count_t hs_read(void *ptr, sf_count_t n, void *u)
{
    header_sink *h = u;
    sf_count_t k = 0;
    for (; k < n && h->pos + k < h->len; ++k)
        ((unsigned char *)ptr)[k] = h->pos + k < (sf_count_t)sizeof h->head ? h->head[h->pos + k] : 0;
    h->pos += k;
    return k;
}

static sf_count_t hs_write(const void *ptr, sf_count_t n, void *u)
{
    header_sink *h = u;
    for (sf_count_t k = 0; k < n && h->pos + k < (sf_count_t)sizeof h->head; ++k)
        h->head[h->pos + k] = ((const unsigned char *)ptr)[k];
    h->pos += n;
    if (h->pos > h->len) h->len = h->pos;
    return n;
}

static sf_count_t hs_tell(void *u)
{
    return ((header_sink *)u)->pos;
}

/* The header cs_write_float_wav writes for `frames` frames, made by libsndfile itself: it is given frames of
 * zeros except, for each channel c, peak[c] at frame peak_at[c] (so the peaks it tracks for an RF64 PEAK
 * chunk are the data's; peak NULL: all zeros). Its bytes into h->head (a PEAK chunk's clock timestamp set to
 * 0), its length into *hlen. */
static int make_header(size_t frames, int channels, int rate, const float *peak, const size_t *peak_at, header_sink *h,
                       size_t *hlen)
{
    memset(h, 0, sizeof *h);
    SF_VIRTUAL_IO vio = {hs_len, hs_seek, hs_read, hs_write, hs_tell};
    SF_INFO info;
    float_wav_info(&info, frames, channels, rate);
    SNDFILE *sf = sf_open_virtual(&vio, SFM_WRITE, &info, h);
    if (!sf) return CS_E_INTERNAL;
    sf_command(sf, SFC_SET_ADD_PEAK_CHUNK, NULL, SF_FALSE);
    float zeros[4096];
    memset(zeros, 0, sizeof zeros);
    const size_t per = sizeof zeros / sizeof zeros[0] / (size_t)channels;
    size_t done = 0; /* the zeros cost a memcpy each; the sink keeps none of them */
    while (done < frames) {
        size_t k = frames - done < per ? frames - done : per;
        for (int c = 0; peak && c < channels; ++c)
            if (peak_at[c] >= done && peak_at[c] < done + k)
                zeros[(peak_at[c] - done) * (size_t)channels + (size_t)c] = peak[c];
        if (sf_writef_float(sf, zeros, (sf_count_t)k) != (sf_count_t)k) break;
        for (int c = 0; peak && c < channels; ++c)
            if (peak_at[c] >= done && peak_at[c] < done + k)
                zeros[(peak_at[c] - done) * (size_t)channels + (size_t)c] = 0.0f;
        done += k;
    }
    int e = sf_error(sf);
    if (sf_close(sf) != 0 || e || done < frames) return CS_E_INTERNAL;
    const sf_count_t data_bytes = (sf_count_t)(frames * (size_t)channels * 4);
    if (h->len < data_bytes || h->len - data_bytes > (sf_count_t)sizeof h->head) return CS_E_INTERNAL;
    *hlen = (size_t)(h->len - data_bytes);
    for (size_t i = 12; i + 16 <= *hlen; ++i) /* PEAK: id, size, version, timestamp, then the peaks */
        if (memcmp(h->head + i, "PEAK", 4) == 0) memset(h->head + i + 12, 0, 4);
    return 0;
}

/* All n bytes of a pwrite (write != 0) or pread at `off`, retried when interrupted; -1 with errno (EIO for a
 * short file) on failure. */
static int full_io(int fd, void *buf, size_t n, off_t off, int write)
{
    unsigned char *p = buf;
    while (n > 0) {
        ssize_t k = write ? pwrite(fd, p, n, off) : pread(fd, p, n, off);
        if (k <= 0) {
            if (k < 0 && errno == EINTR) continue;
            if (k == 0) errno = EIO;
            return -1;
        }
        p += k;
        n -= (size_t)k;
        off += k;
    }
    return 0;
}

static int full_pwrite(int fd, const void *buf, size_t n, off_t off)
{
    return full_io(fd, (void *)(uintptr_t)buf, n, off, 1); /* not written through: pwrite only reads it */
}

static int full_pread(int fd, void *buf, size_t n, off_t off)
{
    return full_io(fd, buf, n, off, 0);
}

int cs_wav_stream_open(cs_wav_stream *w, const char *path, int channels, int rate, char *err, size_t errlen)
{
    memset(w, 0, sizeof *w);
    w->fd = -1;
    w->channels = channels;
    w->rate = rate;
    snprintf(w->path, sizeof w->path, "%s", path);
    if (channels < 1 || channels > CS_WAV_STREAM_MAX_CHANNELS) {
        snprintf(err, errlen, "%s: %d channels: must be 1..%d", path, channels, CS_WAV_STREAM_MAX_CHANNELS);
        return CS_E_ARG;
    }
    header_sink h;
    if (make_header(0, channels, rate, NULL, NULL, &h, &w->header) != 0) {
        snprintf(err, errlen, "%s: cannot write (libsndfile refused the format)", path);
        return CS_E_INTERNAL;
    }
    w->fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (w->fd < 0 || full_pwrite(w->fd, h.head, w->header, 0) != 0) {
        snprintf(err, errlen, "%s: cannot write (%s)", path, strerror(errno));
        if (w->fd >= 0) close(w->fd), unlink(path);
        w->fd = -1;
        return CS_E_IO;
    }
    return 0;
}

/* Track the first largest |sample| per channel over `frames` frames that start at frame `first` (as
 * libsndfile does: a later sample counts only when strictly larger). */
static void peak_update(cs_wav_stream *w, const float *data, size_t frames, size_t first)
{
    const size_t ch = (size_t)w->channels;
    for (size_t c = 0; c < ch; ++c) {
        float pk = w->peak[c];
        size_t at = w->peak_at[c];
        for (size_t i = 0; i < frames; ++i) {
            float a = fabsf(data[i * ch + c]);
            if (a > pk) pk = a, at = first + i;
        }
        w->peak[c] = pk;
        w->peak_at[c] = at;
    }
}

int cs_wav_stream_write(cs_wav_stream *w, const float *data, size_t frames, char *err, size_t errlen)
{
    const size_t bytes = frames * (size_t)w->channels * sizeof *data;
    const off_t off = (off_t)(w->header + w->frames * (size_t)w->channels * sizeof *data);
    if (full_pwrite(w->fd, data, bytes, off) != 0) {
        snprintf(err, errlen, "%s: write failed (%s; is the disk full?)", w->path, strerror(errno));
        return CS_E_IO;
    }
    peak_update(w, data, frames, w->frames);
    w->frames += frames;
    return 0;
}

int cs_wav_stream_truncate(cs_wav_stream *w, size_t frames, char *err, size_t errlen)
{
    if (frames > w->frames) return CS_E_ARG;
    if (ftruncate(w->fd, (off_t)(w->header + frames * (size_t)w->channels * sizeof(float))) != 0) {
        snprintf(err, errlen, "%s: cannot truncate (%s)", w->path, strerror(errno));
        return CS_E_IO;
    }
    w->frames = frames;
    int stale = 0;
    for (int c = 0; c < w->channels; ++c)
        if (w->peak_at[c] >= frames && w->peak[c] > 0.0f) stale = 1;
    if (!stale) return 0;
    /* a peak was cut off: find the peaks of what is left again */
    memset(w->peak, 0, sizeof w->peak);
    memset(w->peak_at, 0, sizeof w->peak_at);
    const size_t B = 16384;
    float *buf = malloc(B * (size_t)w->channels * sizeof *buf);
    if (!buf) return CS_E_NOMEM;
    int rc = 0;
    for (size_t at = 0; at < frames && rc == 0; at += B) {
        size_t k = frames - at < B ? frames - at : B;
        rc = cs_wav_stream_read(w, at, k, buf, err, errlen);
        if (rc == 0) peak_update(w, buf, k, at);
    }
    free(buf);
    return rc;
}

int cs_wav_stream_read(const cs_wav_stream *w, size_t first, size_t count, float *data, char *err, size_t errlen)
{
    const size_t fb = (size_t)w->channels * sizeof *data;
    if (first > w->frames || count > w->frames - first) return CS_E_ARG;
    if (full_pread(w->fd, data, count * fb, (off_t)(w->header + first * fb)) != 0) {
        snprintf(err, errlen, "%s: cannot read back (%s)", w->path, strerror(errno));
        return CS_E_IO;
    }
    return 0;
}

/* Move the data `by` bytes later (the final header is longer than the room left for it), from the end. */
static int shift_data(cs_wav_stream *w, size_t by)
{
    const size_t total = w->frames * (size_t)w->channels * sizeof(float);
    unsigned char *buf = malloc(1 << 20);
    if (!buf) return -1;
    size_t left = total;
    while (left > 0) {
        size_t k = left < (1u << 20) ? left : (1u << 20);
        left -= k;
        if (full_pread(w->fd, buf, k, (off_t)(w->header + left)) != 0 ||
            full_pwrite(w->fd, buf, k, (off_t)(w->header + left + by)) != 0) {
            free(buf);
            return -1;
        }
    }
    free(buf);
    return 0;
}

int cs_wav_stream_close(cs_wav_stream *w, int keep, char *err, size_t errlen)
{
    if (w->fd < 0) return 0;
    int rc = 0;
    if (keep) {
        header_sink h;
        size_t hlen = 0;
        if (make_header(w->frames, w->channels, w->rate, w->peak, w->peak_at, &h, &hlen) != 0 || hlen < w->header) {
            snprintf(err, errlen, "%s: internal error: WAV header", w->path);
            rc = CS_E_INTERNAL;
        } else if ((hlen > w->header && shift_data(w, hlen - w->header) != 0) ||
                   full_pwrite(w->fd, h.head, hlen, 0) != 0) {
            snprintf(err, errlen, "%s: write failed (%s; is the disk full?)", w->path, strerror(errno));
            rc = CS_E_IO;
        }
    }
    if (close(w->fd) != 0 && rc == 0 && keep) {
        snprintf(err, errlen, "%s: write failed (%s; is the disk full?)", w->path, strerror(errno));
        rc = CS_E_IO;
    }
    w->fd = -1;
    if (rc || !keep) unlink(w->path);
    return rc;
}

/* Bytes per sample of an uncompressed sound file format, or 0 when the size is not fixed (FLAC, Ogg, ...). */
static int bytes_per_sample(int format)
{
    switch (format & SF_FORMAT_SUBMASK) {
    case SF_FORMAT_PCM_S8:
    case SF_FORMAT_PCM_U8:
    case SF_FORMAT_ULAW:
    case SF_FORMAT_ALAW:
        return 1;
    case SF_FORMAT_PCM_16:
        return 2;
    case SF_FORMAT_PCM_24:
        return 3;
    case SF_FORMAT_PCM_32:
    case SF_FORMAT_FLOAT:
        return 4;
    case SF_FORMAT_DOUBLE:
        return 8;
    default:
        return 0;
    }
}

int cs_read_float_wav(const char *path, float **data, size_t *frames, int *channels, int *rate)
{
    *data = NULL;
    SF_INFO info;
    memset(&info, 0, sizeof info);
    SNDFILE *sf = sf_open(path, SFM_READ, &info);
    if (!sf) return access(path, R_OK) == 0 ? CS_E_FORMAT : CS_E_IO;
    if (info.frames <= 0 || info.channels <= 0) {
        sf_close(sf);
        return CS_E_EMPTY;
    }
    /* the header's counts must fit in the file before anything is allocated from them */
    size_t samples = 0, bytes = 0;
    const int bps = bytes_per_sample(info.format);
    struct stat st;
    if (__builtin_mul_overflow((size_t)info.frames, (size_t)info.channels, &samples) ||
        __builtin_mul_overflow(samples, sizeof(float), &bytes) ||
        (bps > 0 && (stat(path, &st) != 0 || (uint64_t)samples > (uint64_t)st.st_size / (uint64_t)bps))) {
        sf_close(sf);
        return CS_E_TRUNCATED;
    }
    float *d = malloc(bytes);
    if (!d) {
        sf_close(sf);
        return CS_E_NOMEM;
    }
    sf_count_t got = sf_readf_float(sf, d, info.frames);
    sf_close(sf);
    if (got != info.frames) {
        free(d);
        return CS_E_IO;
    }
    *data = d;
    *frames = (size_t)info.frames;
    *channels = info.channels;
    *rate = info.samplerate;
    return 0;
}

int cs_write_json(const char *path, const cJSON *doc, char *err, size_t errlen)
{
    char *text = cJSON_Print(doc);
    if (!text) return CS_E_NOMEM;
    FILE *f = fopen(path, "wb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot write (%s)", path, strerror(errno));
        free(text);
        return CS_E_IO;
    }
    size_t len = strlen(text);
    int ok = fwrite(text, 1, len, f) == len && fputc('\n', f) != EOF;
    ok = (fclose(f) == 0) && ok;
    free(text);
    if (!ok) {
        snprintf(err, errlen, "%s: write failed (is the disk full?)", path);
        unlink(path);
        return CS_E_IO;
    }
    return 0;
}

cJSON *cs_read_json(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open (%s)", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += got;
        if (len + 1 == cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (!buf) {
        snprintf(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    buf[len] = '\0';
    cJSON *doc = cJSON_Parse(buf);
    free(buf);
    if (!doc) snprintf(err, errlen, "%s: not valid JSON", path);
    return doc;
}

int cs_bundle_read(const char *dir, cs_bundle *b, char *err, size_t errlen)
{
    memset(b, 0, sizeof *b);
    char path[4200];
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s: no such bundle directory", dir);
        return CS_E_IO;
    }
    snprintf(path, sizeof path, "%s/%s", dir, CS_BUNDLE_MANIFEST);
    b->manifest = cs_read_json(path, err, errlen);
    if (!b->manifest) return CS_E_FORMAT;
    const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(b->manifest, "format");
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(b->manifest, "version");
    if (cJSON_IsString(fmt) && !strcmp(fmt->valuestring, CS_BUNDLE_PARTIAL_FORMAT)) {
        snprintf(err, errlen,
                 "%s: a partial bundle (`analyze --partial`): merge the parts into a bundle first with `concatseq "
                 "merge PART... -o BUNDLE`",
                 dir);
        cs_bundle_free(b);
        return CS_E_FORMAT;
    }
    if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, CS_BUNDLE_FORMAT) != 0) {
        snprintf(err, errlen, "%s: not a ConcatSeq corpus manifest", path);
        cs_bundle_free(b);
        return CS_E_FORMAT;
    }
    if (!cJSON_IsNumber(ver) || ver->valueint != CS_BUNDLE_VERSION) {
        snprintf(err, errlen, "%s: unsupported bundle version", path);
        cs_bundle_free(b);
        return CS_E_FORMAT;
    }
    snprintf(path, sizeof path, "%s/%s", dir, CS_BUNDLE_UNITS);
    size_t frames;
    int ch, rate;
    int rc = cs_read_float_wav(path, &b->table, &frames, &ch, &rate);
    if (rc || ch != 1) {
        snprintf(err, errlen, "%s: cannot read the unit table (%s)", path, rc ? cs_strerror(rc) : "not mono");
        cs_bundle_free(b);
        return rc ? rc : CS_E_FORMAT;
    }
    b->table_n = frames;
    int ut = cs_ut_parse(b->table, b->table_n, 1, &b->view);
    if (ut != CS_UT_OK) {
        snprintf(err, errlen, "%s: %s", path, cs_ut_strerror(ut));
        cs_bundle_free(b);
        return CS_E_FORMAT;
    }
    const cJSON *units = cJSON_GetObjectItemCaseSensitive(b->manifest, "units");
    /* compared as doubles (every uint32 is exact there): a negative, huge or fractional count is refused, not
     * converted (undefined for values outside uint32, and 2^32 + N would wrap to N) */
    if (!cJSON_IsNumber(units) || units->valuedouble != (double)b->view.num_units) {
        snprintf(err, errlen, "%s: manifest and unit table disagree on the number of units", dir);
        cs_bundle_free(b);
        return CS_E_FORMAT;
    }
    /* every source holds at least one unit, so a count above the units is a damaged header (and callers
     * allocate per source) */
    const cJSON *srcs = cJSON_GetObjectItemCaseSensitive(b->manifest, "sources");
    if (b->view.num_sources < 1 || b->view.num_sources > b->view.num_units || !cJSON_IsArray(srcs) ||
        (uint32_t)cJSON_GetArraySize(srcs) != b->view.num_sources) {
        snprintf(err, errlen, "%s: the unit table's %u sources do not match its %u units and the manifest's sources",
                 path, b->view.num_sources, b->view.num_units);
        cs_bundle_free(b);
        return CS_E_FORMAT;
    }
    b->dir = dup_str(dir);
    return 0;
}

void cs_bundle_free(cs_bundle *b)
{
    if (!b) return;
    cJSON_Delete(b->manifest);
    free(b->table);
    free(b->dir);
    memset(b, 0, sizeof *b);
}

/* ---- model-facing helpers of a bundle (label sequences, corpus checksum, default model path) ---- */

char *cs_default_model_path(const char *bundle)
{
    size_t n = strlen(bundle) + 16;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/model.wav", bundle);
    return p;
}

int cs_label_sequences(const cs_bundle *b, int ***seqs_out, size_t **lens_out, int *n_out)
{
    const cs_ut_view *v = &b->view;
    int n = (int)v->num_sources;
    int **seqs = calloc((size_t)n, sizeof *seqs);
    size_t *lens = calloc((size_t)n, sizeof *lens);
    if (!seqs || !lens) {
        free(seqs);
        free(lens);
        return CS_E_NOMEM;
    }
    for (uint32_t u = 0; u < v->num_units; ++u)
        lens[(size_t)v->rows[(size_t)u * v->stride + CS_UT_R_SOURCE]]++;
    for (int s = 0; s < n; ++s) {
        seqs[s] = malloc((lens[s] ? lens[s] : 1) * sizeof **seqs);
        if (!seqs[s]) {
            cs_label_sequences_free(seqs, lens, n);
            return CS_E_NOMEM;
        }
        lens[s] = 0;
    }
    /* units are numbered source by source in time order (BUNDLE.md), so this keeps the original order */
    for (uint32_t u = 0; u < v->num_units; ++u) {
        size_t s = (size_t)v->rows[(size_t)u * v->stride + CS_UT_R_SOURCE];
        seqs[s][lens[s]++] = cs_ut_unit_label(v, u);
    }
    *seqs_out = seqs;
    *lens_out = lens;
    *n_out = n;
    return 0;
}

void cs_label_sequences_free(int **seqs, size_t *lens, int n_seqs)
{
    for (int s = 0; seqs && s < n_seqs; ++s)
        free(seqs[s]);
    free(seqs);
    free(lens);
}

/* "fnv1a64:" + 16 hex digits -> the number; 0 when c is not such a string */
static unsigned long long checksum_of(const cJSON *c)
{
    if (!cJSON_IsString(c)) return 0;
    const char *hex = strchr(c->valuestring, ':');
    return hex ? strtoull(hex + 1, NULL, 16) : 0;
}

unsigned long long cs_bundle_checksum(const cs_bundle *b)
{
    return checksum_of(cJSON_GetObjectItemCaseSensitive(b->manifest, "unit_table_checksum"));
}

unsigned long long cs_bundle_labels_from_checksum(const cs_bundle *b)
{
    const cJSON *cl = cJSON_GetObjectItemCaseSensitive(b->manifest, "clustering");
    const cJSON *lf = cJSON_GetObjectItemCaseSensitive(cl, "labels_from");
    return checksum_of(cJSON_GetObjectItemCaseSensitive(lf, "unit_table_checksum"));
}
