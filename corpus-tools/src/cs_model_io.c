/* cs_model_io.c - model files: header building, float32 WAV write/read, JSON export/import. See cs_model_io.h. */
#include "cs_model_io.h"

#include "cs_error.h"
#include "cs_split.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_FILE_FLOATS ((size_t)1 << 26)

int cs_model_header_build(const cs_model_config *cfg, const cs_model_meta *meta, const float *weights, size_t n,
                          float header[CS_MODEL_HEADER_FLOATS])
{
    if (!cfg || !weights || !header) return CS_E_ARG;
    if (cs_model_config_check(cfg) != CS_MODEL_OK || n != cs_model_param_count(cfg)) return CS_E_ARG;
    for (size_t i = 0; i < n; i++)
        if (!(fabsf(weights[i]) <= CS_MODEL_WEIGHT_LIMIT)) return CS_E_NONFINITE;
    cs_model_meta m;
    if (meta) {
        m = *meta;
    } else {
        memset(&m, 0, sizeof m);
        m.train_loss_bits = -1.0f;
        m.val_loss_bits = -1.0f;
    }
    if (!isfinite(m.train_loss_bits)) m.train_loss_bits = -1.0f;
    if (!isfinite(m.val_loss_bits)) m.val_loss_bits = -1.0f;
    memset(header, 0, CS_MODEL_HEADER_FLOATS * sizeof(float));
    header[CS_MH_MAGIC] = (float)CS_MODEL_MAGIC;
    header[CS_MH_VERSION] = (float)CS_MODEL_VERSION;
    header[CS_MH_HEADER_FLOATS] = (float)CS_MODEL_HEADER_FLOATS;
    header[CS_MH_ARCH] = (float)cfg->arch;
    header[CS_MH_VOCAB] = (float)cfg->vocab;
    header[CS_MH_WIDTH] = (float)cfg->width;
    header[CS_MH_LAYERS] = (float)cfg->layers;
    header[CS_MH_HEADS] = (float)cfg->heads;
    header[CS_MH_CONTEXT] = (float)cfg->context;
    header[CS_MH_DFF] = (float)cfg->d_ff;
    cs_split_put(header + CS_MH_NWEIGHTS, 2, (uint64_t)n);
    cs_split_put(header + CS_MH_CHECKSUM, 2, cs_model_fnv1a(2166136261u, weights, n));
    cs_split_put(header + CS_MH_CORPUS_SUM, 4, m.corpus_checksum);
    cs_split_put(header + CS_MH_SEED, 4, m.seed);
    cs_split_put(header + CS_MH_EPOCHS, 2, m.epochs);
    cs_split_put(header + CS_MH_TRAIN_TOKENS, 2, m.train_tokens);
    header[CS_MH_TRAIN_LOSS] = m.train_loss_bits;
    header[CS_MH_VAL_LOSS] = m.val_loss_bits;
    if (cfg->desc_inputs > 0) { /* descriptor inputs (floats 31..34); all 0 without them: the earlier file */
        if (!isfinite(m.desc_dur_mean) || !(m.desc_dur_std > 0.0f && isfinite(m.desc_dur_std))) return CS_E_ARG;
        header[CS_MH_DESC_INPUTS] = (float)cfg->desc_inputs;
        header[CS_MH_DESC_SET] = (float)CS_MODEL_DESC_SET_TABLE_DUR;
        header[CS_MH_DESC_DUR_MEAN] = m.desc_dur_mean;
        header[CS_MH_DESC_DUR_STD] = m.desc_dur_std;
    }
    return CS_OK;
}

/* Temporary name in the same directory as `path`; returns an open fd or -1. mkstemp creates the file 0600;
 * it gets the permissions of an ordinary new file (0666 less the umask), so a server running as another user
 * can read the model. */
static int make_temp(const char *path, char *tmp, size_t cap)
{
    int len = snprintf(tmp, cap, "%s.tmp.XXXXXX", path);
    if (len < 0 || (size_t)len >= cap) return -1;
    int fd = mkstemp(tmp);
    if (fd >= 0) {
        mode_t mask = umask(0);
        umask(mask);
        if (fchmod(fd, (mode_t)(0666 & ~mask)) != 0) {
            close(fd);
            unlink(tmp);
            return -1;
        }
    }
    return fd;
}

const char *cs_model_write_reason(int e)
{
    static char buf[160];
    if (e == ENOSPC || e == EFBIG
#ifdef EDQUOT
        || e == EDQUOT
#endif
    )
        return "disk full (or a file-size or quota limit)";
    if (e == 0) return "cannot write";
    snprintf(buf, sizeof buf, "cannot write: %s", strerror(e));
    return buf;
}

size_t cs_model_file_bytes(size_t floats)
{
    return 44u + 4u * floats;
}

int cs_model_file_probe(const char *path, size_t bytes, cs_model_io_error *detail)
{
    char tmp[4096];
    int fd = make_temp(path, tmp, sizeof tmp);
    int e = fd < 0 ? (errno ? errno : EINVAL) : posix_fallocate(fd, 0, (off_t)bytes);
    if (fd >= 0) {
        close(fd);
        unlink(tmp);
    }
    if (!e) return CS_OK;
    if (e == EOPNOTSUPP || e == EINVAL) return CS_OK; /* a file system without fallocate: it was writable */
    if (detail) detail->output = 1, detail->sys_errno = e;
    return CS_E_IO;
}

/* Keep the errno of the first failure across the cleanup calls. */
#define KEEP_ERRNO(saved) ((saved) = (saved) ? (saved) : (errno ? errno : EIO))

static int write_floats(const char *path, const float *header, const float *blob, size_t n, const float *ngram,
                        size_t n_ngram);

int cs_model_file_write(const char *path, const cs_model_config *cfg, const cs_model_meta *meta, const float *weights,
                        size_t n)
{
    return cs_model_file_write_mix(path, cfg, meta, weights, n, NULL, 0, 1.0f);
}

int cs_model_file_write_mix(const char *path, const cs_model_config *cfg, const cs_model_meta *meta,
                            const float *weights, size_t n, const float *ngram, size_t n_ngram, float net_weight)
{
    return cs_model_file_write_prec(path, cfg, meta, weights, n, ngram, n_ngram, net_weight, CS_MODEL_PRECISION_FLOAT);
}

int cs_model_half_check(const cs_model_config *cfg, const float *weights, size_t n, size_t *bad)
{
    if (!cfg || !weights || cs_model_config_check(cfg) != CS_MODEL_OK) return CS_E_ARG;
    if (cfg->width % 2 != 0 || cfg->desc_inputs > 0) return CS_E_ARG; /* odd rows (FORMAT.md) */
    for (size_t i = 0; i < n; i++) {
        uint16_t h;
        if (cs_model_half_from_float(weights[i], &h) != CS_MODEL_OK) {
            if (bad) *bad = i;
            return CS_E_NONFINITE;
        }
    }
    return CS_OK;
}

int cs_model_file_write_prec(const char *path, const cs_model_config *cfg, const cs_model_meta *meta,
                             const float *weights, size_t n, const float *ngram, size_t n_ngram, float net_weight,
                             int precision)
{
    if (!path || (n_ngram && !ngram) || n_ngram > MAX_FILE_FLOATS ||
        (n_ngram && !(net_weight >= 0.0f && net_weight <= 1.0f)) ||
        (precision != CS_MODEL_PRECISION_FLOAT && precision != CS_MODEL_PRECISION_HALF))
        return CS_E_ARG;
    float header[CS_MODEL_HEADER_FLOATS];
    int err = cs_model_header_build(cfg, meta, weights, n, header);
    if (err) return err;
    float *packed = NULL;
    const float *blob = weights;
    size_t stored = n;
    if (precision == CS_MODEL_PRECISION_HALF) {
        err = cs_model_half_check(cfg, weights, n, NULL);
        if (err) return err;
        stored = (n + 1) / 2;
        packed = malloc(stored * sizeof(float));
        if (!packed) return CS_E_NOMEM;
        cs_model_half_pack(weights, n, packed); /* cannot fail: checked above */
        blob = packed;
        header[CS_MH_PRECISION] = (float)CS_MODEL_PRECISION_HALF;
        cs_split_put(header + CS_MH_CHECKSUM, 2, cs_model_fnv1a(2166136261u, packed, stored));
    }
    if (n_ngram) {
        cs_split_put(header + CS_MH_NGRAM_FLOATS, 2, (uint64_t)n_ngram);
        header[CS_MH_NET_WEIGHT] = net_weight;
    }
    err = write_floats(path, header, blob, stored, ngram, n_ngram);
    free(packed);
    return err;
}

int cs_model_buffer_write_half(const char *path, const float *buf, const cs_model_view *view, size_t *bad)
{
    if (!path || !buf || !view || !view->weights || view->precision != CS_MODEL_PRECISION_FLOAT) return CS_E_ARG;
    int err = cs_model_half_check(&view->cfg, view->weights, view->n_weights, bad);
    if (err) return err;
    const size_t stored = (view->n_weights + 1) / 2;
    float header[CS_MODEL_HEADER_FLOATS], *packed = malloc(stored * sizeof(float));
    if (!packed) return CS_E_NOMEM;
    cs_model_half_pack(view->weights, view->n_weights, packed); /* cannot fail: checked above */
    memcpy(header, buf, sizeof header);
    header[CS_MH_PRECISION] = (float)CS_MODEL_PRECISION_HALF;
    header[CS_MH_PRECISION_LAYOUT] = 0.0f;
    cs_split_put(header + CS_MH_CHECKSUM, 2, cs_model_fnv1a(2166136261u, packed, stored));
    err = view->version == CS_MODEL_VERSION
              ? write_floats(path, header, packed, stored, view->ngram, view->ngram_floats)
              : CS_E_FORMAT; /* a version-1 file: export-json + import-json first */
    free(packed);
    return err;
}

/* header, then n floats of blob, then n_ngram of ngram, as a float32 mono WAV written atomically. */
static int write_floats(const char *path, const float *header, const float *blob, size_t n, const float *ngram,
                        size_t n_ngram)
{
    int err;
    char tmp[4096];
    int saved = 0;
    errno = 0;
    int fd = make_temp(path, tmp, sizeof tmp);
    if (fd < 0) {
        KEEP_ERRNO(saved);
        errno = saved;
        return CS_E_IO;
    }
    SF_INFO info;
    memset(&info, 0, sizeof info);
    info.samplerate = 48000;
    info.channels = 1;
    info.format = SF_FORMAT_WAV | SF_FORMAT_FLOAT;
    SNDFILE *sf = sf_open_fd(fd, SFM_WRITE, &info, SF_TRUE);
    if (!sf) {
        KEEP_ERRNO(saved);
        close(fd);
        unlink(tmp);
        errno = saved;
        return CS_E_IO;
    }
    /* No PEAK chunk: it would only describe the "signal", which is not audio. */
    sf_command(sf, SFC_SET_ADD_PEAK_CHUNK, NULL, SF_FALSE);
    err = CS_OK;
    errno = 0;
    if (sf_writef_float(sf, header, CS_MODEL_HEADER_FLOATS) != CS_MODEL_HEADER_FLOATS) err = CS_E_IO;
    if (!err && sf_writef_float(sf, blob, (sf_count_t)n) != (sf_count_t)n) err = CS_E_IO;
    if (!err && n_ngram && sf_writef_float(sf, ngram, (sf_count_t)n_ngram) != (sf_count_t)n_ngram) err = CS_E_IO;
    if (err) KEEP_ERRNO(saved);
    if (!err) sf_write_sync(sf);
    errno = 0;
    if (sf_close(sf) != 0 && !err) err = CS_E_IO, KEEP_ERRNO(saved);
    errno = 0;
    if (!err && rename(tmp, path) != 0) err = CS_E_IO, KEEP_ERRNO(saved);
    if (err) unlink(tmp);
    if (err) errno = saved;
    return err;
}

int cs_model_file_read(const char *path, float **buf, size_t *n)
{
    if (buf) *buf = NULL;
    if (n) *n = 0;
    if (!path || !buf || !n) return CS_E_ARG;
    SF_INFO info;
    memset(&info, 0, sizeof info);
    SNDFILE *sf = sf_open(path, SFM_READ, &info);
    if (!sf) return CS_E_IO;
    int sub = info.format & SF_FORMAT_SUBMASK, err = CS_OK;
    if (info.channels != 1)
        err = CS_E_CHANNELS;
    else if (sub != SF_FORMAT_FLOAT && sub != SF_FORMAT_DOUBLE)
        err = CS_E_FORMAT;
    else if (info.frames <= 0)
        err = CS_E_EMPTY;
    else if ((uint64_t)info.frames > (uint64_t)MAX_FILE_FLOATS)
        err = CS_E_TOO_LARGE;
    if (err) {
        sf_close(sf);
        return err;
    }
    size_t count = (size_t)info.frames;
    float *data = malloc(count * sizeof(float));
    if (!data) {
        sf_close(sf);
        return CS_E_NOMEM;
    }
    sf_command(sf, SFC_SET_NORM_FLOAT, NULL, SF_FALSE);
    sf_count_t got = sf_readf_float(sf, data, (sf_count_t)count);
    sf_close(sf);
    if (got != (sf_count_t)count) {
        free(data);
        return CS_E_IO;
    }
    *buf = data;
    *n = count;
    return CS_OK;
}

int cs_model_error_to_cs(int model_err)
{
    switch (model_err) {
    case CS_MODEL_OK:
        return CS_OK;
    case CS_MODEL_E_ARG:
        return CS_E_ARG;
    case CS_MODEL_E_NONFINITE:
        return CS_E_NONFINITE;
    case CS_MODEL_E_MEMORY:
        return CS_E_NOMEM;
    default:
        return CS_E_FORMAT;
    }
}

int cs_model_file_load(const char *path, float **buf, size_t *n, cs_model_view *view, int *model_err)
{
    if (model_err) *model_err = CS_MODEL_OK;
    if (!view) return CS_E_ARG;
    memset(view, 0, sizeof *view);
    int err = cs_model_file_read(path, buf, n);
    if (err) return err;
    int me = cs_model_parse(*buf, *n, view);
    if (me != CS_MODEL_OK) {
        if (model_err) *model_err = me;
        free(*buf);
        *buf = NULL;
        *n = 0;
        return cs_model_error_to_cs(me);
    }
    return CS_OK;
}

int cs_model_buffer_expand(float **buf, size_t *n, cs_model_view *view)
{
    if (!buf || !*buf || !n || !view) return CS_E_ARG;
    if (view->precision != CS_MODEL_PRECISION_HALF) return CS_OK;
    const size_t total = CS_MODEL_HEADER_FLOATS + view->n_weights + view->ngram_floats;
    float *out = malloc(total * sizeof(float));
    if (!out) return CS_E_NOMEM;
    cs_model_view nv;
    if (cs_model_expand(view, *buf, out, total) != (long)total || cs_model_parse(out, total, &nv) != CS_MODEL_OK) {
        free(out);
        return CS_E_FORMAT;
    }
    free(*buf);
    *buf = out;
    *n = total;
    *view = nv;
    return CS_OK;
}

/* ------------------------------------------------------------------------------------------------------ */
/* JSON                                                                                                     */

typedef struct strbuf {
    char *p;
    size_t len, cap;
    int oom;
} strbuf;

static void sb_put(strbuf *s, const char *text)
{
    size_t k = strlen(text);
    if (s->oom) return;
    if (s->len + k + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 4096;
        while (s->len + k + 1 > cap)
            cap *= 2;
        char *q = realloc(s->p, cap);
        if (!q) {
            s->oom = 1;
            return;
        }
        s->p = q;
        s->cap = cap;
    }
    memcpy(s->p + s->len, text, k + 1);
    s->len += k;
}

static void sb_floats(strbuf *s, const float *x, size_t count)
{
    char num[32];
    sb_put(s, "[");
    for (size_t i = 0; i < count; i++) {
        snprintf(num, sizeof num, i ? ", %.9g" : "%.9g", (double)x[i]);
        sb_put(s, num);
    }
    sb_put(s, "]");
}

/* Write `text` and a newline to `path` atomically (temporary file, fsync, rename). CS_E_IO with errno = the
 * first failure's. */
static int write_text_atomic(const char *path, const char *text)
{
    char tmp[4096];
    int saved = 0;
    errno = 0;
    int fd = make_temp(path, tmp, sizeof tmp);
    if (fd < 0) {
        KEEP_ERRNO(saved);
        errno = saved;
        return CS_E_IO;
    }
    FILE *fp = fdopen(fd, "w");
    if (!fp) {
        KEEP_ERRNO(saved);
        close(fd);
        unlink(tmp);
        errno = saved;
        return CS_E_IO;
    }
    int err = CS_OK;
    size_t len = strlen(text);
    errno = 0;
    if (fwrite(text, 1, len, fp) != len || fputc('\n', fp) == EOF) err = CS_E_IO, KEEP_ERRNO(saved);
    errno = 0;
    if (fflush(fp) != 0) err = CS_E_IO, KEEP_ERRNO(saved);
    errno = 0;
    if (!err && fsync(fileno(fp)) != 0) err = CS_E_IO, KEEP_ERRNO(saved);
    errno = 0;
    if (fclose(fp) != 0) err = CS_E_IO, KEEP_ERRNO(saved);
    errno = 0;
    if (!err && rename(tmp, path) != 0) err = CS_E_IO, KEEP_ERRNO(saved);
    if (err) unlink(tmp);
    if (err) errno = saved;
    return err;
}

/* Fill a CS_E_IO detail (output or input side, the current errno). */
static int io_fail(cs_model_io_error *detail, int output)
{
    if (detail) detail->output = output, detail->sys_errno = errno;
    return CS_E_IO;
}

static char *hex64(char *dst, size_t cap, uint64_t v)
{
    snprintf(dst, cap, "0x%016" PRIx64, v);
    return dst;
}

int cs_model_export_json(const char *path_in, const char *path_out, cs_model_io_error *detail)
{
    if (!path_in || !path_out) return CS_E_ARG;
    float *buf = NULL;
    size_t n = 0;
    cs_model_view v;
    errno = 0;
    int err = cs_model_file_load(path_in, &buf, &n, &v, NULL);
    if (err == CS_E_IO) return io_fail(detail, 0);
    if (err) return err;
    const int half = v.precision == CS_MODEL_PRECISION_HALF;
    err = cs_model_buffer_expand(&buf, &n, &v); /* half: the exact float values of the halves */
    if (err) {
        free(buf);
        return err;
    }
    err = CS_E_NOMEM;
    char text[64];
    char *out = NULL;
    cJSON *root = cJSON_CreateObject(), *cfg = NULL, *meta = NULL, *tensors = NULL;
    if (!root) goto done;
    cJSON_AddStringToObject(root, "format", "concatseq-model");
    cJSON_AddNumberToObject(root, "format_version", CS_MODEL_VERSION);
    cfg = cJSON_AddObjectToObject(root, "config");
    meta = cJSON_AddObjectToObject(root, "meta");
    if (!cfg || !meta) goto done;
    cJSON_AddStringToObject(cfg, "arch", cs_model_arch_name(v.cfg.arch));
    cJSON_AddNumberToObject(cfg, "vocab", v.cfg.vocab);
    cJSON_AddNumberToObject(cfg, "width", v.cfg.width);
    cJSON_AddNumberToObject(cfg, "layers", v.cfg.layers);
    cJSON_AddNumberToObject(cfg, "heads", v.cfg.heads);
    cJSON_AddNumberToObject(cfg, "context", v.cfg.context);
    cJSON_AddNumberToObject(cfg, "d_ff", v.cfg.d_ff);
    if (v.cfg.desc_inputs > 0) { /* absent without descriptor inputs: the earlier JSON form */
        cJSON_AddNumberToObject(cfg, "desc_inputs", v.cfg.desc_inputs);
        cJSON_AddNumberToObject(meta, "desc_dur_mean", (double)v.meta.desc_dur_mean);
        cJSON_AddNumberToObject(meta, "desc_dur_std", (double)v.meta.desc_dur_std);
    }
    cJSON_AddStringToObject(meta, "corpus_checksum", hex64(text, sizeof text, v.meta.corpus_checksum));
    cJSON_AddStringToObject(meta, "seed", hex64(text, sizeof text, v.meta.seed));
    cJSON_AddNumberToObject(meta, "epochs", v.meta.epochs);
    cJSON_AddNumberToObject(meta, "train_tokens", v.meta.train_tokens);
    cJSON_AddNumberToObject(meta, "train_loss_bits", (double)v.meta.train_loss_bits);
    cJSON_AddNumberToObject(meta, "val_loss_bits", (double)v.meta.val_loss_bits);
    snprintf(text, sizeof text, "0x%08" PRIx32, v.checksum);
    cJSON_AddStringToObject(root, "weights_fnv1a", text);
    if (half) cJSON_AddStringToObject(root, "weights", "half"); /* absent: float32 */
    tensors = cJSON_AddObjectToObject(root, "tensors");
    if (!tensors) goto done;
    int nt = cs_model_tensor_count(&v.cfg);
    for (int t = 0; t < nt; t++) {
        cs_model_tensor ti;
        cs_model_tensor_info(&v.cfg, t, &ti);
        cJSON *obj = cJSON_AddObjectToObject(tensors, ti.name);
        if (!obj) goto done;
        int shape[2] = {(int)ti.shape[0], (int)ti.shape[1]};
        cJSON *sh = cJSON_CreateIntArray(shape, ti.ndim);
        if (!sh) goto done;
        cJSON_AddItemToObject(obj, "shape", sh);
        strbuf s = {NULL, 0, 0, 0};
        const float *x = v.weights + ti.offset;
        if (ti.ndim == 1) {
            sb_floats(&s, x, ti.count);
        } else {
            sb_put(&s, "[");
            for (size_t r = 0; r < ti.shape[0]; r++) {
                if (r) sb_put(&s, ", ");
                sb_floats(&s, x + r * ti.shape[1], ti.shape[1]);
            }
            sb_put(&s, "]");
        }
        cJSON *raw = s.oom ? NULL : cJSON_CreateRaw(s.p);
        free(s.p);
        if (!raw) goto done;
        cJSON_AddItemToObject(obj, "data", raw);
    }
    out = cJSON_Print(root);
    if (!out) goto done;
    err = write_text_atomic(path_out, out);
    if (err == CS_E_IO) io_fail(detail, 1);
done:
    free(out);
    cJSON_Delete(root);
    free(buf);
    return err;
}

/* Flatten a nested list of numbers into dst (cap floats); returns the count seen, or -1 on a non-number,
 * a non-finite value or too many elements. */
static long flatten_numbers(const cJSON *node, float *dst, size_t cap, size_t *pos, int depth)
{
    if (depth > 4) return -1;
    if (cJSON_IsNumber(node)) {
        double d = node->valuedouble;
        if (!isfinite(d) || !(fabs(d) <= (double)CS_MODEL_WEIGHT_LIMIT)) return -2;
        if (*pos >= cap) return -1;
        dst[(*pos)++] = (float)d;
        return 0;
    }
    if (!cJSON_IsArray(node)) return -1;
    const cJSON *it;
    cJSON_ArrayForEach(it, node)
    {
        long e = flatten_numbers(it, dst, cap, pos, depth + 1);
        if (e < 0) return e;
    }
    return 0;
}

static int json_int(const cJSON *obj, const char *key, int dflt, int *out)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!it) {
        *out = dflt;
        return 1;
    }
    if (!cJSON_IsNumber(it) || it->valuedouble != floor(it->valuedouble) || fabs(it->valuedouble) > 1e9) return 0;
    *out = (int)it->valuedouble;
    return 1;
}

static int json_u64(const cJSON *obj, const char *key, uint64_t *out)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    *out = 0;
    if (!it) return 1;
    if (cJSON_IsString(it)) {
        char *end = NULL;
        errno = 0;
        unsigned long long v = strtoull(it->valuestring, &end, 0);
        if (errno || !end || *end || end == it->valuestring) return 0;
        *out = (uint64_t)v;
        return 1;
    }
    if (cJSON_IsNumber(it) && it->valuedouble >= 0 && it->valuedouble <= 9007199254740992.0 &&
        it->valuedouble == floor(it->valuedouble)) {
        *out = (uint64_t)it->valuedouble;
        return 1;
    }
    return 0;
}

static char *read_text(const char *path, int *err)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        *err = CS_E_IO;
        return NULL;
    }
    char *text = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 65536 + 1 > cap) {
            cap = cap ? cap * 2 : 1 << 20;
            char *q = realloc(text, cap);
            if (!q) {
                free(text);
                fclose(fp);
                *err = CS_E_NOMEM;
                return NULL;
            }
            text = q;
        }
        size_t got = fread(text + len, 1, 65536, fp);
        len += got;
        if (got < 65536) break;
    }
    int bad = ferror(fp);
    fclose(fp);
    if (bad) {
        free(text);
        *err = CS_E_IO;
        return NULL;
    }
    text[len] = '\0';
    if (len == 0) {
        free(text);
        *err = CS_E_EMPTY;
        return NULL;
    }
    *err = CS_OK;
    return text;
}

int cs_model_import_json(const char *path_in, const char *path_out, cs_model_io_error *detail)
{
    return cs_model_import_json_prec(path_in, path_out, -1, detail);
}

int cs_model_import_json_prec(const char *path_in, const char *path_out, int precision, cs_model_io_error *detail)
{
    if (!path_in || !path_out || precision < -1 || precision > CS_MODEL_PRECISION_HALF) return CS_E_ARG;
    int err;
    errno = 0;
    char *text = read_text(path_in, &err);
    if (!text && err == CS_E_IO) return io_fail(detail, 0);
    if (!text) return err;
    cJSON *root = cJSON_Parse(text);
    free(text);
    if (!root) return CS_E_FORMAT;
    float *w = NULL;
    err = CS_E_FORMAT;
    const cJSON *cfgj = cJSON_GetObjectItemCaseSensitive(root, "config");
    const cJSON *tens = cJSON_GetObjectItemCaseSensitive(root, "tensors");
    const cJSON *metaj = cJSON_GetObjectItemCaseSensitive(root, "meta");
    if (!cJSON_IsObject(cfgj) || !cJSON_IsObject(tens)) goto done;
    cs_model_config c;
    memset(&c, 0, sizeof c);
    const cJSON *arch = cJSON_GetObjectItemCaseSensitive(cfgj, "arch");
    if (cJSON_IsString(arch) && cs_model_arch_from_name(arch->valuestring) >= 0)
        c.arch = cs_model_arch_from_name(arch->valuestring);
    else
        goto done;
    if (!json_int(cfgj, "vocab", 0, &c.vocab) || !json_int(cfgj, "width", 0, &c.width) ||
        !json_int(cfgj, "layers", 0, &c.layers) || !json_int(cfgj, "heads", 0, &c.heads) ||
        !json_int(cfgj, "context", 0, &c.context) ||
        !json_int(cfgj, "d_ff", c.arch == CS_MODEL_TRANSFORMER ? CS_MODEL_TF_FF_MULT * c.width : 0, &c.d_ff) ||
        !json_int(cfgj, "desc_inputs", 0, &c.desc_inputs))
        goto done;
    if (cs_model_config_check(&c) != CS_MODEL_OK) goto done;
    cs_model_meta m;
    memset(&m, 0, sizeof m);
    m.train_loss_bits = m.val_loss_bits = -1.0f;
    if (cJSON_IsObject(metaj)) {
        if (!json_u64(metaj, "corpus_checksum", &m.corpus_checksum) || !json_u64(metaj, "seed", &m.seed)) goto done;
        uint64_t ep64, tok64;
        if (!json_u64(metaj, "epochs", &ep64) || !json_u64(metaj, "train_tokens", &tok64) || ep64 > 0xffffffffu ||
            tok64 > 0xffffffffu)
            goto done;
        m.epochs = (uint32_t)ep64;
        m.train_tokens = (uint32_t)tok64;
        const cJSON *tl = cJSON_GetObjectItemCaseSensitive(metaj, "train_loss_bits");
        const cJSON *vl = cJSON_GetObjectItemCaseSensitive(metaj, "val_loss_bits");
        if (cJSON_IsNumber(tl)) m.train_loss_bits = (float)tl->valuedouble;
        if (cJSON_IsNumber(vl)) m.val_loss_bits = (float)vl->valuedouble;
        const cJSON *dm = cJSON_GetObjectItemCaseSensitive(metaj, "desc_dur_mean");
        const cJSON *ds = cJSON_GetObjectItemCaseSensitive(metaj, "desc_dur_std");
        if (cJSON_IsNumber(dm)) m.desc_dur_mean = (float)dm->valuedouble;
        if (cJSON_IsNumber(ds)) m.desc_dur_std = (float)ds->valuedouble;
    }
    if (c.desc_inputs > 0 && !(m.desc_dur_std > 0.0f)) goto done; /* the duration statistics are required */
    size_t total = cs_model_param_count(&c);
    w = malloc(total * sizeof(float));
    if (!w) {
        err = CS_E_NOMEM;
        goto done;
    }
    int nt = cs_model_tensor_count(&c), found = 0;
    for (int t = 0; t < nt; t++) {
        cs_model_tensor ti;
        cs_model_tensor_info(&c, t, &ti);
        const cJSON *obj = cJSON_GetObjectItemCaseSensitive(tens, ti.name);
        if (!cJSON_IsObject(obj)) goto done;
        found++;
        const cJSON *sh = cJSON_GetObjectItemCaseSensitive(obj, "shape");
        if (sh) { /* optional, but when present it must match */
            if (!cJSON_IsArray(sh) || cJSON_GetArraySize(sh) != ti.ndim) goto done;
            for (int d = 0; d < ti.ndim; d++) {
                const cJSON *e = cJSON_GetArrayItem(sh, d);
                if (!cJSON_IsNumber(e) || e->valuedouble != (double)ti.shape[d]) goto done;
            }
        }
        size_t pos = 0;
        long fe = flatten_numbers(cJSON_GetObjectItemCaseSensitive(obj, "data"), w + ti.offset, ti.count, &pos, 0);
        if (fe == -2) {
            err = CS_E_NONFINITE;
            goto done;
        }
        if (fe < 0 || pos != ti.count) goto done;
    }
    if (cJSON_GetArraySize(tens) != found) goto done; /* an unknown tensor name */
    if (precision < 0) { /* as the JSON says: "weights": "half" or "float" (absent: float) */
        const cJSON *wj = cJSON_GetObjectItemCaseSensitive(root, "weights");
        precision = CS_MODEL_PRECISION_FLOAT;
        if (cJSON_IsString(wj) && !strcmp(wj->valuestring, "half"))
            precision = CS_MODEL_PRECISION_HALF;
        else if (wj && !(cJSON_IsString(wj) && !strcmp(wj->valuestring, "float")))
            goto done;
    }
    err = cs_model_file_write_prec(path_out, &c, &m, w, total, NULL, 0, 1.0f, precision);
    if (err == CS_E_IO) io_fail(detail, 1);
done:
    free(w);
    cJSON_Delete(root);
    return err;
}
