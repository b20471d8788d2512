/* cs_model.c - model file parser and GRU / transformer inference step. See cs_model.h and models/FORMAT.md.
 * No allocation, no I/O anywhere in this file. */
#include "cs_model.h"

#include "cs_fastmath.h"
#include "cs_ngram_table.h"
#include "cs_split.h"

#include <math.h>
#include <string.h>

#define CS_MODEL_HAVE_AVX2 CS_FASTMATH_HAVE_AVX2
#if CS_MODEL_HAVE_AVX2
#include <cpuid.h>
#endif

#define LOGIT_CLAMP CS_MODEL_LOGIT_CLAMP
#define LN_EPS      1e-5

const char *cs_model_strerror(int err)
{
    switch (err) {
    case CS_MODEL_OK:
        return "no error";
    case CS_MODEL_E_ARG:
        return "invalid argument";
    case CS_MODEL_E_TRUNCATED:
        return "model data truncated (buffer shorter than header + weights)";
    case CS_MODEL_E_MAGIC:
        return "not a ConcatSeq model (bad magic number)";
    case CS_MODEL_E_VERSION:
        return "unsupported model format version";
    case CS_MODEL_E_HEADER:
        return "malformed model header field";
    case CS_MODEL_E_ARCH:
        return "unknown model architecture";
    case CS_MODEL_E_DIMS:
        return "model dimensions out of range or inconsistent";
    case CS_MODEL_E_SIZE:
        return "model weight count does not match its dimensions";
    case CS_MODEL_E_NONFINITE:
        return "model weight is NaN, infinite or out of range";
    case CS_MODEL_E_CHECKSUM:
        return "model weights do not match the checksum";
    case CS_MODEL_E_MEMORY:
        return "model state memory missing or too small";
    case CS_MODEL_E_TOKEN:
        return "token outside the label range";
    case CS_MODEL_E_MISMATCH:
        return "model configuration differs from the state's";
    case CS_MODEL_E_NGRAM:
        return "the n-gram table after the weights is damaged or of another vocabulary";
    case CS_MODEL_E_PRECISION:
        return "unknown weight precision or layout (0 float32, 1 half), or half precision with an odd width or "
               "with descriptor inputs (write such a model with float32 weights)";
    default:
        return "unknown model error";
    }
}

/* ------------------------------------------------------------------------------------------------------ */
/* Configuration, sizes, tensor list                                                                       */

static const char *const arch_names[CS_MODEL_ARCH_COUNT] = {"gru", "transformer"};

const char *cs_model_arch_name(int arch)
{
    return arch >= 0 && arch < CS_MODEL_ARCH_COUNT ? arch_names[arch] : NULL;
}

int cs_model_arch_from_name(const char *name)
{
    for (int a = 0; name && a < CS_MODEL_ARCH_COUNT; a++)
        if (strcmp(name, arch_names[a]) == 0) return a;
    return -1;
}

int cs_model_config_check(const cs_model_config *c)
{
    if (!c) return CS_MODEL_E_ARG;
    if (c->arch < 0 || c->arch >= CS_MODEL_ARCH_COUNT) return CS_MODEL_E_ARCH;
    if (c->vocab < 1 || c->vocab > CS_MODEL_MAX_VOCAB) return CS_MODEL_E_DIMS;
    if (c->arch == CS_MODEL_GRU) {
        if (c->width < CS_MODEL_GRU_MIN_H || c->width > CS_MODEL_GRU_MAX_H) return CS_MODEL_E_DIMS;
        if (c->layers < 1 || c->layers > CS_MODEL_GRU_MAX_LAYERS) return CS_MODEL_E_DIMS;
        if (c->heads != 0 || c->context != 0 || c->d_ff != 0) return CS_MODEL_E_DIMS;
    } else {
        if (c->width < CS_MODEL_TF_MIN_D || c->width > CS_MODEL_TF_MAX_D) return CS_MODEL_E_DIMS;
        if (c->layers < 1 || c->layers > CS_MODEL_TF_MAX_LAYERS) return CS_MODEL_E_DIMS;
        if (c->heads < 1 || c->heads > c->width || c->width % c->heads != 0) return CS_MODEL_E_DIMS;
        if (c->context < 1 || c->context > CS_MODEL_TF_MAX_CONTEXT) return CS_MODEL_E_DIMS;
        if (c->d_ff != CS_MODEL_TF_FF_MULT * c->width) return CS_MODEL_E_DIMS;
    }
    if (c->desc_inputs < 0 || c->desc_inputs > CS_MODEL_MAX_DESC_INPUTS) return CS_MODEL_E_DIMS;
    return CS_MODEL_OK;
}

typedef struct layer_tensor layer_tensor;
static int layer_tensors(const cs_model_config *c, layer_tensor *t);
static size_t layer_floats(const cs_model_config *c);

size_t cs_model_param_count(const cs_model_config *c)
{
    cs_model_tensor last;
    if (cs_model_tensor_info(c, cs_model_tensor_count(c) - 1, &last) != CS_MODEL_OK) return 0;
    return last.offset + last.count; /* the head bias (or desc_proj.weight) is the last tensor */
}

uint64_t cs_model_step_madds(const cs_model_config *c)
{
    if (!c || cs_model_config_check(c) != 0) return 0;
    uint64_t L = (uint64_t)c->layers, W = (uint64_t)c->width, V = (uint64_t)c->vocab;
    const uint64_t desc = W * (uint64_t)c->desc_inputs;
    if (c->arch == CS_MODEL_GRU) return L * 6u * W * W + V * W + desc;
    uint64_t C = (uint64_t)c->context, F = (uint64_t)c->d_ff;
    return L * (4u * W * W + 2u * F * W + 2u * C * W) + V * W + desc;
}

uint64_t cs_model_step_cost(const cs_model_view *view)
{
    if (!view) return 0;
    const uint64_t m = cs_model_step_madds(&view->cfg);
    return view->precision == CS_MODEL_PRECISION_HALF ? 2u * m : m;
}

int cs_model_tensor_count(const cs_model_config *c)
{
    if (cs_model_config_check(c) != CS_MODEL_OK) return 0;
    return (c->arch == CS_MODEL_GRU ? 3 + 4 * c->layers : 5 + 12 * c->layers) + (c->desc_inputs > 0);
}

static void name_set(char *dst, const char *a, int layer, const char *b)
{
    /* dst has 48 bytes; every name here is < 40 characters and layer is a single digit. */
    size_t n = 0;
    for (const char *p = a; *p && n < 40; p++)
        dst[n++] = *p;
    if (layer >= 0) dst[n++] = (char)('0' + layer);
    for (const char *p = b; p && *p && n < 47; p++)
        dst[n++] = *p;
    dst[n] = '\0';
}

static void tensor_set(cs_model_tensor *t, size_t rows, size_t cols, int ndim, size_t offset)
{
    t->ndim = ndim;
    t->shape[0] = rows;
    t->shape[1] = cols;
    t->offset = offset;
    t->count = rows * cols;
}

/* PyTorch's default initialisation and the trainer's treatment of a tensor: init kind, fan-in of the uniform
 * bound, weight decay, used in products (see cs_model_tensor). */
static void tensor_role(cs_model_tensor *t, int init, size_t fan_in, int decay, int product)
{
    t->init = init;
    t->fan_in = init == CS_MODEL_INIT_UNIFORM ? (int)fan_in : 0;
    t->decay = decay;
    t->product = product;
}

/* One tensor of a per-layer group: name suffix, shape, PyTorch initialisation and trainer treatment. */
struct layer_tensor {
    const char *suffix;
    size_t rows, cols;
    int init;
    size_t fan_in;
    int decay, product;
};

/* The per-layer tensors of layer l in file order (GRU 4, transformer 12); returns the count. */
static int layer_tensors(const cs_model_config *c, layer_tensor *t)
{
    const size_t w = (size_t)c->width, f = (size_t)c->d_ff;
    const int U = CS_MODEL_INIT_UNIFORM, Z = CS_MODEL_INIT_ZERO, O = CS_MODEL_INIT_ONE;
    if (c->arch == CS_MODEL_GRU) {
        const layer_tensor g[4] = {{"rnn.weight_ih_l", 3 * w, w, U, w, 1, 1},
                                   {"rnn.weight_hh_l", 3 * w, w, U, w, 1, 1},
                                   {"rnn.bias_ih_l", 3 * w, 1, U, w, 0, 0},
                                   {"rnn.bias_hh_l", 3 * w, 1, U, w, 0, 0}};
        memcpy(t, g, sizeof g);
        return 4;
    }
    const layer_tensor x[12] = {{".ln1.weight", w, 1, O, 0, 0, 0},
                                {".ln1.bias", w, 1, Z, 0, 0, 0},
                                {".attn.in_proj_weight", 3 * w, w, CS_MODEL_INIT_XAVIER, 0, 1, 1},
                                {".attn.in_proj_bias", 3 * w, 1, Z, 0, 0, 0},
                                {".attn.out_proj.weight", w, w, U, w, 1, 1},
                                {".attn.out_proj.bias", w, 1, Z, 0, 0, 0},
                                {".ln2.weight", w, 1, O, 0, 0, 0},
                                {".ln2.bias", w, 1, Z, 0, 0, 0},
                                {".ff1.weight", f, w, U, w, 1, 1},
                                {".ff1.bias", f, 1, U, w, 0, 0},
                                {".ff2.weight", w, f, U, f, 1, 1},
                                {".ff2.bias", w, 1, U, f, 0, 0}};
    memcpy(t, x, sizeof x);
    return 12;
}

/* Floats in one layer's group of tensors. */
static size_t layer_floats(const cs_model_config *c)
{
    layer_tensor t[12];
    size_t n = 0;
    for (int i = 0, k = layer_tensors(c, t); i < k; i++)
        n += t[i].rows * t[i].cols;
    return n;
}

int cs_model_tensor_info(const cs_model_config *c, int index, cs_model_tensor *out)
{
    int count = cs_model_tensor_count(c);
    if (!out || count == 0 || index < 0 || index >= count) return CS_MODEL_E_ARG;
    memset(out, 0, sizeof *out);
    const size_t v = (size_t)c->vocab, w = (size_t)c->width;
    const size_t emb = (v + 1) * w, per = layer_floats(c);
    const size_t after_layers = emb + (size_t)c->layers * per;
    layer_tensor lt[12];
    const int n_per = layer_tensors(c, lt);
    if (index == 0) {
        name_set(out->name, "embedding.weight", -1, NULL);
        tensor_set(out, v + 1, w, 2, 0);
        tensor_role(out, CS_MODEL_INIT_NORMAL, 0, 1, 0);
        return CS_MODEL_OK;
    }
    int k = index - 1;
    if (k < n_per * c->layers) {
        const int l = k / n_per, j = k % n_per;
        size_t off = emb + (size_t)l * per;
        for (int i = 0; i < j; i++)
            off += lt[i].rows * lt[i].cols;
        if (c->arch == CS_MODEL_GRU)
            name_set(out->name, lt[j].suffix, l, NULL);
        else
            name_set(out->name, "blocks.", l, lt[j].suffix);
        tensor_set(out, lt[j].rows, lt[j].cols, lt[j].cols == 1 ? 1 : 2, off);
        tensor_role(out, lt[j].init, lt[j].fan_in, lt[j].decay, lt[j].product);
        return CS_MODEL_OK;
    }
    k -= n_per * c->layers;
    if (c->arch == CS_MODEL_TRANSFORMER) { /* ln_f.weight, ln_f.bias before the head */
        if (k < 2) {
            name_set(out->name, k == 0 ? "ln_f.weight" : "ln_f.bias", -1, NULL);
            tensor_set(out, w, 1, 1, after_layers + (size_t)k * w);
            tensor_role(out, k == 0 ? CS_MODEL_INIT_ONE : CS_MODEL_INIT_ZERO, 0, 0, 0);
            return CS_MODEL_OK;
        }
        k -= 2;
    }
    const size_t head = after_layers + (c->arch == CS_MODEL_TRANSFORMER ? 2 * w : 0);
    if (k == 2) { /* descriptor inputs: nn.Linear(Din, W, bias=False) after the head */
        const size_t din = (size_t)c->desc_inputs;
        name_set(out->name, "desc_proj.weight", -1, NULL);
        tensor_set(out, w, din, 2, head + v * w + v);
        tensor_role(out, CS_MODEL_INIT_UNIFORM, din, 1, 1);
        return CS_MODEL_OK;
    }
    if (k == 0) {
        name_set(out->name, "head.weight", -1, NULL);
        tensor_set(out, v, w, 2, head);
        tensor_role(out, CS_MODEL_INIT_UNIFORM, w, 1, 1);
    } else {
        name_set(out->name, "head.bias", -1, NULL);
        tensor_set(out, v, 1, 1, head + v * w);
        tensor_role(out, CS_MODEL_INIT_UNIFORM, w, 0, 0);
    }
    return CS_MODEL_OK;
}

uint32_t cs_model_fnv1a(uint32_t h, const float *data, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t u = cs_fast_float_to_bits(data[i]);
        h = (h ^ (u & 0xffu)) * 16777619u;
        h = (h ^ ((u >> 8) & 0xffu)) * 16777619u;
        h = (h ^ ((u >> 16) & 0xffu)) * 16777619u;
        h = (h ^ (u >> 24)) * 16777619u;
    }
    return h;
}

/* ------------------------------------------------------------------------------------------------------ */
/* Parsing                                                                                                  */

/* An exact integer in [lo, hi] (finite, no fraction). */
static int get_int(float f, long lo, long hi, long *out)
{
    if (!(f >= (float)lo && f <= (float)hi)) return 0; /* also NaN */
    long i = (long)f;
    if ((float)i != f) return 0;
    *out = i;
    return 1;
}

/* A split integer of `count` u16 pieces at p (cs_split.h): version 2 stores them most significant first,
 * version 1 least significant first (reversed here, then read by the one helper). */
static int get_split(const float *p, int count, int version, uint64_t *out)
{
    if (version >= 2) return cs_split_get(p, count, out);
    float rev[4];
    for (int i = 0; i < count; i++)
        rev[i] = p[count - 1 - i];
    return cs_split_get(rev, count, out);
}

static int parse_fail(cs_model_view *out, int err)
{
    memset(out, 0, sizeof *out);
    return err;
}

/* Point every tensor slot of `out` (cfg and precision set) at weights + its offset (half: offset / 2, the
 * packed float holding its first element; offsets are even), through the one tensor list. */
static void map_tensors(cs_model_view *out, const float *weights)
{
    const int half = out->precision == CS_MODEL_PRECISION_HALF;
    const cs_model_config c = out->cfg;
    const int per = c.arch == CS_MODEL_GRU ? 4 : 12;
    const int nt = cs_model_tensor_count(&c) - (c.desc_inputs > 0); /* desc_proj.weight comes after the head */
    out->weights = weights;
    if (c.desc_inputs > 0) {
        cs_model_tensor ti;
        cs_model_tensor_info(&c, nt, &ti);
        out->desc_w = weights + ti.offset;
    }
    for (int t = 0; t < nt; t++) {
        cs_model_tensor ti;
        cs_model_tensor_info(&c, t, &ti);
        const float *p = weights + (half ? ti.offset / 2 : ti.offset);
        const int l = (t - 1) / per, j = (t - 1) % per;
        if (t == 0) {
            out->embedding = p;
        } else if (t == nt - 2) {
            out->head_w = p;
        } else if (t == nt - 1) {
            out->head_b = p;
        } else if (c.arch == CS_MODEL_GRU) {
            const float **slot[4] = {&out->w_ih[l], &out->w_hh[l], &out->b_ih[l], &out->b_hh[l]};
            *slot[j] = p;
        } else if (t - 1 < per * c.layers) {
            const float **slot[12] = {&out->ln1_w[l], &out->ln1_b[l], &out->in_w[l],  &out->in_b[l],
                                      &out->out_w[l], &out->out_b[l], &out->ln2_w[l], &out->ln2_b[l],
                                      &out->ff1_w[l], &out->ff1_b[l], &out->ff2_w[l], &out->ff2_b[l]};
            *slot[j] = p;
        } else if (t == nt - 4) {
            out->lnf_w = p;
        } else {
            out->lnf_b = p;
        }
    }
}

int cs_model_view_map(const cs_model_config *cfg, const float *weights, cs_model_view *out)
{
    if (!out) return CS_MODEL_E_ARG;
    if (!cfg || !weights) return parse_fail(out, CS_MODEL_E_ARG);
    int e = cs_model_config_check(cfg);
    if (e != CS_MODEL_OK) return parse_fail(out, e);
    memset(out, 0, sizeof *out);
    out->cfg = *cfg;
    out->meta.train_loss_bits = -1.0f;
    out->meta.val_loss_bits = -1.0f;
    out->n_weights = cs_model_param_count(cfg);
    out->stored_floats = out->n_weights;
    out->total_floats = out->n_weights;
    map_tensors(out, weights);
    return CS_MODEL_OK;
}

/* The six dimension fields (vocab .. d_ff) into c: not an integer = malformed header, an integer out of range
 * = bad dimensions; then the configuration check. */
static int parse_dims(const float *buf, cs_model_config *c)
{
    long d[6];
    for (int i = 0; i < 6; i++) {
        float f = buf[CS_MH_VOCAB + i];
        if (!(f - f == 0.0f)) return CS_MODEL_E_HEADER; /* NaN or infinite */
        if (fabsf(f) < 8388608.0f && (float)(long)f != f) return CS_MODEL_E_HEADER;
        if (!(f >= 0.0f && f <= 65536.0f)) return CS_MODEL_E_DIMS;
        d[i] = (long)f;
    }
    c->vocab = (int)d[0];
    c->width = (int)d[1];
    c->layers = (int)d[2];
    c->heads = (int)d[3];
    c->context = (int)d[4];
    c->d_ff = (int)d[5];
    return cs_model_config_check(c);
}

/* The descriptor-input fields (floats 31..34; version 2 only, version 1 predates them): c->desc_inputs, and
 * for Din > 0 the set (must be CS_MODEL_DESC_SET_TABLE_DUR) and the duration statistics (finite, std > 0). */
static int parse_desc(const float *buf, int ver, cs_model_config *c, float *dur_mean, float *dur_std)
{
    long din = 0, set = 0;
    c->desc_inputs = 0;
    if (ver < 2) return CS_MODEL_OK;
    const float f = buf[CS_MH_DESC_INPUTS];
    if (!(f - f == 0.0f) || (fabsf(f) < 8388608.0f && (float)(long)f != f)) return CS_MODEL_E_HEADER;
    if (!get_int(f, 0, CS_MODEL_MAX_DESC_INPUTS, &din)) return CS_MODEL_E_DIMS;
    if (din == 0) return CS_MODEL_OK;
    if (!get_int(buf[CS_MH_DESC_SET], CS_MODEL_DESC_SET_TABLE_DUR, CS_MODEL_DESC_SET_TABLE_DUR, &set))
        return CS_MODEL_E_HEADER;
    const float m = buf[CS_MH_DESC_DUR_MEAN], sd = buf[CS_MH_DESC_DUR_STD];
    if (!(m - m == 0.0f) || !(sd > 0.0f && sd - sd == 0.0f)) return CS_MODEL_E_HEADER;
    c->desc_inputs = (int)din;
    *dur_mean = m;
    *dur_std = sd;
    return CS_MODEL_OK;
}

int cs_model_parse_header(const float *buf, size_t n, cs_model_view *out)
{
    if (!out) return CS_MODEL_E_ARG;
    if (!buf) return parse_fail(out, n == 0 ? CS_MODEL_E_TRUNCATED : CS_MODEL_E_ARG);
    if (n == 0) return parse_fail(out, CS_MODEL_E_TRUNCATED);
    if (buf[CS_MH_MAGIC] != (float)CS_MODEL_MAGIC) return parse_fail(out, CS_MODEL_E_MAGIC);
    if (n < CS_MODEL_HEADER_FLOATS) return parse_fail(out, CS_MODEL_E_TRUNCATED);
    long version, x;
    if (!get_int(buf[CS_MH_VERSION], CS_MODEL_VERSION_MIN, CS_MODEL_VERSION, &version))
        return parse_fail(out, CS_MODEL_E_VERSION);
    if (!get_int(buf[CS_MH_HEADER_FLOATS], CS_MODEL_HEADER_FLOATS, CS_MODEL_HEADER_FLOATS, &x))
        return parse_fail(out, CS_MODEL_E_HEADER);
    if (!get_int(buf[CS_MH_ARCH], 0, CS_MODEL_ARCH_COUNT - 1, &x)) return parse_fail(out, CS_MODEL_E_ARCH);
    cs_model_config c;
    c.arch = (int)x;
    const int ver = (int)version;
    float dur_mean = 0.0f, dur_std = 0.0f;
    int e = parse_desc(buf, ver, &c, &dur_mean, &dur_std);
    if (e != CS_MODEL_OK) return parse_fail(out, e);
    e = parse_dims(buf, &c);
    if (e != CS_MODEL_OK) return parse_fail(out, e);
    uint64_t nw, sum, corpus, seed, epochs, tokens;
    if (!get_split(buf + CS_MH_NWEIGHTS, 2, ver, &nw) || !get_split(buf + CS_MH_CHECKSUM, 2, ver, &sum) ||
        !get_split(buf + CS_MH_CORPUS_SUM, 4, ver, &corpus) || !get_split(buf + CS_MH_SEED, 4, ver, &seed) ||
        !get_split(buf + CS_MH_EPOCHS, 2, ver, &epochs) || !get_split(buf + CS_MH_TRAIN_TOKENS, 2, ver, &tokens))
        return parse_fail(out, CS_MODEL_E_HEADER);
    float tl = buf[CS_MH_TRAIN_LOSS], vl = buf[CS_MH_VAL_LOSS];
    if (!(tl - tl == 0.0f) || !(vl - vl == 0.0f)) return parse_fail(out, CS_MODEL_E_HEADER); /* not finite */
    size_t need = cs_model_param_count(&c);
    if ((uint64_t)need != nw) return parse_fail(out, CS_MODEL_E_SIZE);
    long prec = CS_MODEL_PRECISION_FLOAT;
    if (ver >= 2) { /* version 1 predates the precision field: its reserved floats are ignored */
        if (!get_int(buf[CS_MH_PRECISION], CS_MODEL_PRECISION_FLOAT, CS_MODEL_PRECISION_HALF, &prec) ||
            buf[CS_MH_PRECISION_LAYOUT] != 0.0f ||
            (prec == CS_MODEL_PRECISION_HALF && (c.width % 2 != 0 || c.desc_inputs > 0)))
            return parse_fail(out, CS_MODEL_E_PRECISION);
    }
    const size_t stored = prec == CS_MODEL_PRECISION_HALF ? (need + 1) / 2 : need;
    if (n - CS_MODEL_HEADER_FLOATS < stored) return parse_fail(out, CS_MODEL_E_TRUNCATED);
    uint64_t ng = 0;
    float netw = 1.0f;
    if (ver >= 2) { /* version 1 predates the table: its reserved floats are ignored */
        if (!get_split(buf + CS_MH_NGRAM_FLOATS, 2, ver, &ng)) return parse_fail(out, CS_MODEL_E_HEADER);
        if (ng > 0) {
            netw = buf[CS_MH_NET_WEIGHT];
            if (!(netw >= 0.0f && netw <= 1.0f)) return parse_fail(out, CS_MODEL_E_HEADER);
            if (n - CS_MODEL_HEADER_FLOATS - stored < ng) return parse_fail(out, CS_MODEL_E_TRUNCATED);
        }
    }

    memset(out, 0, sizeof *out);
    out->cfg = c;
    out->version = ver;
    out->meta.corpus_checksum = corpus;
    out->meta.seed = seed;
    out->meta.epochs = (uint32_t)epochs;
    out->meta.train_tokens = (uint32_t)tokens;
    out->meta.train_loss_bits = tl;
    out->meta.val_loss_bits = vl;
    out->meta.desc_dur_mean = dur_mean;
    out->meta.desc_dur_std = dur_std;
    out->checksum = (uint32_t)sum;
    out->n_weights = need;
    out->precision = (int)prec;
    out->stored_floats = stored;
    out->total_floats = CS_MODEL_HEADER_FLOATS + stored + (size_t)ng;
    out->ngram = ng ? buf + CS_MODEL_HEADER_FLOATS + stored : NULL;
    out->ngram_floats = (size_t)ng;
    out->net_weight = netw;
    map_tensors(out, buf + CS_MODEL_HEADER_FLOATS);
    return CS_MODEL_OK;
}

void cs_model_verify_begin(cs_model_verify *v)
{
    if (!v) return;
    v->pos = 0;
    v->hash = 2166136261u;
}

/* 1 when the packed float p (bits u) holds two finite halves: the high half's biased magnitude in
 * 0x80 .. 0x7bff + 0x80 and the low half's exponent not 31; the pad of an odd count (last = 1) must be +0. */
static int half_pair_ok(uint32_t u, int last_odd)
{
    const uint32_t hi = (u >> 16) & 0x7fffu, lo = u & 0xffffu;
    if (hi < CS_MODEL_HALF_HI_BIAS || hi - CS_MODEL_HALF_HI_BIAS > 0x7bffu) return 0;
    if ((lo & 0x7c00u) == 0x7c00u) return 0;
    return !last_odd || (u >> 16) == CS_MODEL_HALF_HI_BIAS;
}

int cs_model_verify_step(const cs_model_view *view, cs_model_verify *v, size_t max_floats)
{
    if (!view || !v || !view->weights) return CS_MODEL_E_ARG;
    const size_t total = view->stored_floats ? view->stored_floats : view->n_weights;
    if (v->pos > total) return CS_MODEL_E_ARG;
    size_t todo = total - v->pos;
    if (todo > max_floats) todo = max_floats;
    const float *p = view->weights + v->pos;
    if (view->precision == CS_MODEL_PRECISION_HALF) {
        const int odd = (int)(view->n_weights & 1u);
        for (size_t i = 0; i < todo; i++)
            if (!half_pair_ok(cs_fast_float_to_bits(p[i]), odd && v->pos + i + 1 == total)) return CS_MODEL_E_NONFINITE;
    } else {
        for (size_t i = 0; i < todo; i++)
            if (!(fabsf(p[i]) <= CS_MODEL_WEIGHT_LIMIT)) return CS_MODEL_E_NONFINITE; /* NaN fails too */
    }
    v->hash = cs_model_fnv1a(v->hash, p, todo);
    v->pos += todo;
    if (v->pos < total) return 0;
    return v->hash == view->checksum ? 1 : CS_MODEL_E_CHECKSUM;
}

int cs_model_parse(const float *buf, size_t n, cs_model_view *out)
{
    int e = cs_model_parse_header(buf, n, out);
    if (e != CS_MODEL_OK) return e;
    cs_model_verify v;
    cs_model_verify_begin(&v);
    e = cs_model_verify_step(out, &v, out->stored_floats);
    if (e != 1) return parse_fail(out, e == 0 ? CS_MODEL_E_ARG : e);
    if (out->ngram_floats) {
        cs_ngt_view t;
        if (cs_ngt_parse(out->ngram, out->ngram_floats, &t) != CS_NGT_OK || t.V != out->cfg.vocab ||
            t.total_floats != out->ngram_floats)
            return parse_fail(out, CS_MODEL_E_NGRAM);
    }
    return CS_MODEL_OK;
}

/* ------------------------------------------------------------------------------------------------------ */
/* Half-precision weights                                                                                   */

float cs_model_half_to_float(uint16_t h)
{
    const uint32_t sign = (uint32_t)(h & 0x8000u) << 16, e = (h >> 10) & 0x1fu, m = h & 0x3ffu;
    if (e == 0) { /* zero or subnormal: m * 2^-24, exact, and a normal float (no denormal formed) */
        const float f = (float)m * 5.9604644775390625e-8f;
        return sign ? -f : f;
    }
    if (e == 31) return cs_fast_bits_to_float(sign | 0x7f800000u | (m << 13)); /* inf / NaN (never stored) */
    return cs_fast_bits_to_float(sign | ((e + 112u) << 23) | (m << 13));
}

int cs_model_half_from_float(float f, uint16_t *out)
{
    if (!out) return CS_MODEL_E_ARG;
    const uint32_t u = cs_fast_float_to_bits(f), sign = (u >> 16) & 0x8000u, a = u & 0x7fffffffu;
    if (a >= 0x7f800000u) return CS_MODEL_E_NONFINITE;
    uint32_t h;
    if (a < 0x38800000u) { /* below 2^-14: a subnormal half (or 0): round a * 2^24 to an integer, ties even */
        if (a < 0x33000000u) {
            h = 0; /* below 2^-25: rounds to 0 (2^-25 itself ties to even 0) */
        } else {
            const uint32_t mant = (a & 0x7fffffu) | 0x800000u, shift = 126u - (a >> 23); /* 14..24 */
            h = mant >> shift;
            const uint32_t rem = mant & ((1u << shift) - 1u), halfway = 1u << (shift - 1u);
            if (rem > halfway || (rem == halfway && (h & 1u))) h++;
        }
    } else {
        h = ((a >> 13) - (112u << 10)); /* rebias the exponent, keep 10 mantissa bits */
        const uint32_t rem = a & 0x1fffu;
        if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) h++; /* a carry into the exponent is right */
        if (h > 0x7bffu) return CS_MODEL_E_NONFINITE;           /* beyond 65504 */
    }
    *out = (uint16_t)(sign | h);
    return CS_MODEL_OK;
}

/* The 16-bit pattern of element i of a packed array: low half as stored, high half less its magnitude bias
 * (the bias is below the magnitude, so subtracting it from the 32-bit word never borrows from the sign). */
static inline uint16_t half_bits(const float *packed, size_t i)
{
    const uint32_t u = cs_fast_float_to_bits(packed[i >> 1]);
    return (uint16_t)((i & 1u) ? (u - (CS_MODEL_HALF_HI_BIAS << 16)) >> 16 : u & 0xffffu);
}

float cs_model_half_at(const float *packed, size_t i)
{
    return cs_model_half_to_float(half_bits(packed, i));
}

int cs_model_half_pack(const float *w, size_t n, float *packed)
{
    if (!w || !packed) return CS_MODEL_E_ARG;
    for (size_t k = 0; 2 * k < n; k++) {
        uint16_t lo, hi = 0;
        if (cs_model_half_from_float(w[2 * k], &lo) != CS_MODEL_OK) return CS_MODEL_E_NONFINITE;
        if (2 * k + 1 < n && cs_model_half_from_float(w[2 * k + 1], &hi) != CS_MODEL_OK) return CS_MODEL_E_NONFINITE;
        const uint32_t hb = (uint32_t)(hi & 0x8000u) | ((uint32_t)(hi & 0x7fffu) + CS_MODEL_HALF_HI_BIAS);
        packed[k] = cs_fast_bits_to_float((hb << 16) | lo);
    }
    return CS_MODEL_OK;
}

int cs_model_weights_get(const cs_model_view *view, size_t first, size_t n, float *out)
{
    if (!view || !view->weights || (n && !out) || first > view->n_weights || n > view->n_weights - first)
        return CS_MODEL_E_ARG;
    if (view->precision != CS_MODEL_PRECISION_HALF) {
        if (n) memcpy(out, view->weights + first, n * sizeof(float));
        return CS_MODEL_OK;
    }
    for (size_t i = 0; i < n; i++)
        out[i] = cs_model_half_to_float(half_bits(view->weights, first + i));
    return CS_MODEL_OK;
}

long cs_model_expand(const cs_model_view *view, const float *header, float *out, size_t out_n)
{
    if (!view || !header || !out || !view->weights) return CS_MODEL_E_ARG;
    const size_t nw = view->n_weights, total = CS_MODEL_HEADER_FLOATS + nw + view->ngram_floats;
    if (out_n < total) return CS_MODEL_E_MEMORY;
    memcpy(out, header, CS_MODEL_HEADER_FLOATS * sizeof(float));
    out[CS_MH_PRECISION] = (float)CS_MODEL_PRECISION_FLOAT;
    out[CS_MH_PRECISION_LAYOUT] = 0.0f;
    float *w = out + CS_MODEL_HEADER_FLOATS;
    cs_model_weights_get(view, 0, nw, w);
    cs_split_put(out + CS_MH_CHECKSUM, 2, cs_model_fnv1a(2166136261u, w, nw));
    if (view->version == 1) { /* version-1 split order (lo, hi) */
        const float t = out[CS_MH_CHECKSUM];
        out[CS_MH_CHECKSUM] = out[CS_MH_CHECKSUM + 1];
        out[CS_MH_CHECKSUM + 1] = t;
    }
    if (view->ngram_floats) memcpy(w + nw, view->ngram, view->ngram_floats * sizeof(float));
    return (long)total;
}

/* ------------------------------------------------------------------------------------------------------ */
/* Kernels                                                                                                  */

/* Kernels come in two sets with the same contracts: portable C (4-lane GCC/Clang vector types: SSE on
 * x86-64, NEON on arm64) and AVX2 + FMA (chosen at state init when the CPU has it). The sets sum in
 * different orders, so their results differ by float rounding (~1e-7 relative); each is deterministic.
 *   matvec:  y (rows) = W x + b, W rows at stride ld floats (ld >= cols), b may be NULL
 *   gru:     the GRU gate nonlinearity and state update for H units (gi, gh: (3H) pre-activations)
 *   softmax: x (n) <- exp(x - max x) in place, returns the sum (>= 1)
 *   wsum:    o (m) = sum_s p[s] V[s ld .. s ld + m) */
typedef float cs_v4 __attribute__((vector_size(16)));

static float clamp_finite(float v)
{
    if (v != v) return 0.0f;
    if (v > LOGIT_CLAMP) return LOGIT_CLAMP;
    if (v < -LOGIT_CLAMP) return -LOGIT_CLAMP;
    return v;
}

static void clamp_generic(float *x, int n)
{
    for (int i = 0; i < n; i++)
        x[i] = clamp_finite(x[i]);
}

static inline cs_v4 load4(const float *p)
{
    cs_v4 v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void store4(float *p, cs_v4 v)
{
    memcpy(p, &v, sizeof v);
}

static inline float hsum4(cs_v4 v)
{
    return (v[0] + v[2]) + (v[1] + v[3]);
}

static void matvec_generic(float *restrict y, const float *restrict W, int ld, const float *restrict b,
                           const float *restrict x, int rows, int cols)
{
    int r = 0, c4 = cols & ~3;
    for (; r + 4 <= rows; r += 4) {
        const float *w0 = W + (size_t)r * ld, *w1 = w0 + ld, *w2 = w1 + ld, *w3 = w2 + ld;
        cs_v4 a0 = {0, 0, 0, 0}, a1 = a0, a2 = a0, a3 = a0;
        for (int c = 0; c < c4; c += 4) {
            cs_v4 xv = load4(x + c);
            a0 += load4(w0 + c) * xv;
            a1 += load4(w1 + c) * xv;
            a2 += load4(w2 + c) * xv;
            a3 += load4(w3 + c) * xv;
        }
        float s0 = hsum4(a0), s1 = hsum4(a1), s2 = hsum4(a2), s3 = hsum4(a3);
        for (int c = c4; c < cols; c++) {
            s0 += w0[c] * x[c];
            s1 += w1[c] * x[c];
            s2 += w2[c] * x[c];
            s3 += w3[c] * x[c];
        }
        y[r] = b ? s0 + b[r] : s0;
        y[r + 1] = b ? s1 + b[r + 1] : s1;
        y[r + 2] = b ? s2 + b[r + 2] : s2;
        y[r + 3] = b ? s3 + b[r + 3] : s3;
    }
    for (; r < rows; r++) {
        const float *w0 = W + (size_t)r * ld;
        cs_v4 a0 = {0, 0, 0, 0};
        for (int c = 0; c < c4; c += 4)
            a0 += load4(w0 + c) * load4(x + c);
        float s0 = hsum4(a0);
        for (int c = c4; c < cols; c++)
            s0 += w0[c] * x[c];
        y[r] = b ? s0 + b[r] : s0;
    }
}

static void gru_generic(float *restrict h, const float *restrict gi, const float *restrict gh, int H)
{
    for (int i = 0; i < H; i++) {
        float r = cs_fast_sigmoid(gi[i] + gh[i]);
        float z = cs_fast_sigmoid(gi[H + i] + gh[H + i]);
        float n = cs_fast_tanh(gi[2 * H + i] + r * gh[2 * H + i]);
        h[i] = (1.0f - z) * n + z * h[i]; /* convex combination: stays in [-1, 1] */
    }
}

static float softmax_generic(float *x, int n)
{
    float mx = x[0], sum = 0.0f;
    for (int i = 1; i < n; i++)
        mx = x[i] > mx ? x[i] : mx;
    for (int i = 0; i < n; i++) {
        x[i] = cs_fast_exp(x[i] - mx);
        sum += x[i];
    }
    return sum;
}

static void wsum_generic(float *restrict o, const float *restrict V, int ld, const float *restrict p, int n, int m)
{
    int m4 = m & ~3;
    for (int i = 0; i < m; i++)
        o[i] = 0.0f;
    for (int s = 0; s < n; s++) {
        const float *v = V + (size_t)s * ld;
        cs_v4 ps = {p[s], p[s], p[s], p[s]};
        for (int i = 0; i < m4; i += 4)
            store4(o + i, load4(o + i) + ps * load4(v + i));
        for (int i = m4; i < m; i++)
            o[i] += p[s] * v[i];
    }
}

/* Half-precision weights (packed pairs, cs_model_precision): W's rows start at whole floats (ld even), b is packed
 * too. Each block of rows is decoded exactly into floats on the stack and multiplied by the float kernel, so the
 * result equals matvec_generic on the decoded (cs_model_expand'ed) weights bit for bit. cols <= MAX_COLS. */
#define MAX_COLS       (CS_MODEL_TF_FF_MULT * CS_MODEL_TF_MAX_D) /* the widest row: ff2 (D, F) with F = 4 D = 512 */
#define ROWS_PER_BLOCK 4

static void hdecode_generic(float *restrict out, const float *restrict packed, int n)
{
    for (int i = 0; i < n; i++)
        out[i] = cs_model_half_to_float(half_bits(packed, (size_t)i));
}

static void matvec_h_generic(float *restrict y, const float *restrict W, int ld, const float *restrict b,
                             const float *restrict x, int rows, int cols)
{
    float tmp[ROWS_PER_BLOCK * MAX_COLS], tb[ROWS_PER_BLOCK];
    for (int r = 0; r < rows; r += ROWS_PER_BLOCK) {
        const int k = rows - r < ROWS_PER_BLOCK ? rows - r : ROWS_PER_BLOCK;
        for (int j = 0; j < k; j++) {
            hdecode_generic(tmp + (size_t)j * cols, W + (size_t)(r + j) * (size_t)(ld / 2), cols);
            if (b) tb[j] = cs_model_half_at(b, (size_t)(r + j));
        }
        matvec_generic(y + r, tmp, cols, b ? tb : NULL, x, k, cols);
    }
}

#if CS_MODEL_HAVE_AVX2
__attribute__((target("avx2,fma"))) static inline float hsum8(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}

/* The 4 row sums hsum8(v0) .. hsum8(v3) in one vector, in hsum8's own tree for each (lanes k + k+4, then 0+2 and
 * 1+3, then those two), by a 4x4 transpose: about half the instructions of four hsum8 (the products of 128-wide
 * rows spent ~30 % of their time in the scalar reductions). Float addition is commutative bit for bit, so each
 * lane equals its hsum8. */
__attribute__((target("avx2,fma"))) static inline __m128 hsum8x4(__m256 v0, __m256 v1, __m256 v2, __m256 v3)
{
    __m128 t0 = _mm_add_ps(_mm256_castps256_ps128(v0), _mm256_extractf128_ps(v0, 1));
    __m128 t1 = _mm_add_ps(_mm256_castps256_ps128(v1), _mm256_extractf128_ps(v1, 1));
    __m128 t2 = _mm_add_ps(_mm256_castps256_ps128(v2), _mm256_extractf128_ps(v2, 1));
    __m128 t3 = _mm_add_ps(_mm256_castps256_ps128(v3), _mm256_extractf128_ps(v3, 1));
    _MM_TRANSPOSE4_PS(t0, t1, t2, t3); /* t_k = lane k of rows 0..3 */
    return _mm_add_ps(_mm_add_ps(t0, t2), _mm_add_ps(t1, t3));
}

/* four rows at a time, two 8-lane accumulators per row: eight independent FMA chains hide the latency */
__attribute__((target("avx2,fma"))) static void matvec_avx2(float *restrict y, const float *restrict W, int ld,
                                                            const float *restrict b, const float *restrict x, int rows,
                                                            int cols)
{
    int r = 0, c16 = cols & ~15, c8 = cols & ~7;
    for (; r + 4 <= rows; r += 4) {
        const float *w0 = W + (size_t)r * ld, *w1 = w0 + ld, *w2 = w1 + ld, *w3 = w2 + ld;
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        int c = 0;
        for (; c < c16; c += 16) {
            __m256 xa = _mm256_loadu_ps(x + c), xb = _mm256_loadu_ps(x + c + 8);
            a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w0 + c), xa, a0);
            a1 = _mm256_fmadd_ps(_mm256_loadu_ps(w1 + c), xa, a1);
            a2 = _mm256_fmadd_ps(_mm256_loadu_ps(w2 + c), xa, a2);
            a3 = _mm256_fmadd_ps(_mm256_loadu_ps(w3 + c), xa, a3);
            b0 = _mm256_fmadd_ps(_mm256_loadu_ps(w0 + c + 8), xb, b0);
            b1 = _mm256_fmadd_ps(_mm256_loadu_ps(w1 + c + 8), xb, b1);
            b2 = _mm256_fmadd_ps(_mm256_loadu_ps(w2 + c + 8), xb, b2);
            b3 = _mm256_fmadd_ps(_mm256_loadu_ps(w3 + c + 8), xb, b3);
        }
        for (; c < c8; c += 8) {
            __m256 xa = _mm256_loadu_ps(x + c);
            a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w0 + c), xa, a0);
            a1 = _mm256_fmadd_ps(_mm256_loadu_ps(w1 + c), xa, a1);
            a2 = _mm256_fmadd_ps(_mm256_loadu_ps(w2 + c), xa, a2);
            a3 = _mm256_fmadd_ps(_mm256_loadu_ps(w3 + c), xa, a3);
        }
        if (c == cols) { /* no scalar tail: the 4 sums (and biases) at once */
            const __m128 s =
                hsum8x4(_mm256_add_ps(a0, b0), _mm256_add_ps(a1, b1), _mm256_add_ps(a2, b2), _mm256_add_ps(a3, b3));
            _mm_storeu_ps(y + r, b ? _mm_add_ps(s, _mm_loadu_ps(b + r)) : s);
            continue;
        }
        float s0 = hsum8(_mm256_add_ps(a0, b0)), s1 = hsum8(_mm256_add_ps(a1, b1));
        float s2 = hsum8(_mm256_add_ps(a2, b2)), s3 = hsum8(_mm256_add_ps(a3, b3));
        for (; c < cols; c++) {
            s0 += w0[c] * x[c];
            s1 += w1[c] * x[c];
            s2 += w2[c] * x[c];
            s3 += w3[c] * x[c];
        }
        y[r] = b ? s0 + b[r] : s0;
        y[r + 1] = b ? s1 + b[r + 1] : s1;
        y[r + 2] = b ? s2 + b[r + 2] : s2;
        y[r + 3] = b ? s3 + b[r + 3] : s3;
    }
    for (; r < rows; r++) {
        const float *w0 = W + (size_t)r * ld;
        __m256 a0 = _mm256_setzero_ps();
        int c = 0;
        for (; c < c8; c += 8)
            a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w0 + c), _mm256_loadu_ps(x + c), a0);
        float s0 = hsum8(a0);
        for (; c < cols; c++)
            s0 += w0[c] * x[c];
        y[r] = b ? s0 + b[r] : s0;
    }
}

/* 8 halves of a packed row from element c (even) on: remove the high halves' bias, then F16C (exact). */
__attribute__((target("avx2,fma,f16c"))) static inline __m256 load8h(const float *row, int c)
{
    __m128i q = _mm_loadu_si128((const __m128i *)(const void *)(row + c / 2));
    return _mm256_cvtph_ps(_mm_sub_epi32(q, _mm_set1_epi32((int)(CS_MODEL_HALF_HI_BIAS << 16))));
}

/* 4 halves of a packed vector from element c (even) on: the 2 floats less the bias, then F16C (exact). */
__attribute__((target("avx2,fma,f16c"))) static inline __m128 load4h(const float *row, int c)
{
    __m128i q = _mm_loadl_epi64((const __m128i *)(const void *)(row + c / 2));
    return _mm_cvtph_ps(_mm_sub_epi32(q, _mm_set1_epi32((int)(CS_MODEL_HALF_HI_BIAS << 16))));
}

__attribute__((target("avx2,fma,f16c"))) static inline float half1(const float *packed, int i)
{
    return _cvtsh_ss(half_bits(packed, (size_t)i));
}

__attribute__((target("avx2,fma,f16c"))) static void hdecode_avx2(float *restrict out, const float *restrict packed,
                                                                  int n)
{
    int i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(out + i, load8h(packed, i));
    for (; i < n; i++)
        out[i] = half1(packed, i);
}

/* 8 halves of an unbiased copy (cs_model_state's half copy: the words of a packed row less the bias, so raw
 * binary16 pairs) from element c (even) on: F16C straight from memory. The memory operand matters on Zen 4:
 * VCVTPH2PS from memory runs ~1.9x the rate of the register form that load8h's subtraction forces (52 against 28
 * G halves/s with the FMA, tests/bench/bench_model_step "f16c_fma_ymm" / "f16c_bias_fma_ymm"). */
__attribute__((target("avx2,fma,f16c"))) static inline __m256 load8u(const float *row, int c)
{
    return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)(row + c / 2)));
}

/* Element i of an unbiased copy as a float (the word is read as an integer: it may be a NaN or denormal pattern). */
__attribute__((target("avx2,fma,f16c"))) static inline float half1u(const float *copy, int i)
{
    uint32_t u;
    memcpy(&u, (const char *)(const void *)copy + (size_t)(i >> 1) * 4u, sizeof u);
    return _cvtsh_ss((uint16_t)((i & 1) ? u >> 16 : u & 0xffffu));
}

#define LOADH(row, c) (unbiased ? load8u(row, c) : load8h(row, c))
#define HALF1(row, c) (unbiased ? half1u(row, c) : half1(row, c))
/* matvec_avx2 with half weights converted in the loop (F16C): the same products summed in the same order, so
 * the result equals matvec_avx2 on the decoded weights bit for bit. Rows at ld / 2 floats (ld even). W is the
 * packed Buffer (unbiased = 0) or an unbiased copy of it (1); b is always packed. */
__attribute__((target("avx2,fma,f16c"), always_inline)) static inline void
matvec_h_avx2_impl(float *restrict y, const float *restrict W, int ld, const float *restrict b, const float *restrict x,
                   int rows, int cols, const int unbiased)
{
    const size_t lp = (size_t)(ld / 2);
    int r = 0, c16 = cols & ~15, c8 = cols & ~7;
    for (; r + 4 <= rows; r += 4) {
        const float *w0 = W + (size_t)r * lp, *w1 = w0 + lp, *w2 = w1 + lp, *w3 = w2 + lp;
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        int c = 0;
        for (; c < c16; c += 16) {
            __m256 xa = _mm256_loadu_ps(x + c), xb = _mm256_loadu_ps(x + c + 8);
            a0 = _mm256_fmadd_ps(LOADH(w0, c), xa, a0);
            a1 = _mm256_fmadd_ps(LOADH(w1, c), xa, a1);
            a2 = _mm256_fmadd_ps(LOADH(w2, c), xa, a2);
            a3 = _mm256_fmadd_ps(LOADH(w3, c), xa, a3);
            b0 = _mm256_fmadd_ps(LOADH(w0, c + 8), xb, b0);
            b1 = _mm256_fmadd_ps(LOADH(w1, c + 8), xb, b1);
            b2 = _mm256_fmadd_ps(LOADH(w2, c + 8), xb, b2);
            b3 = _mm256_fmadd_ps(LOADH(w3, c + 8), xb, b3);
        }
        for (; c < c8; c += 8) {
            __m256 xa = _mm256_loadu_ps(x + c);
            a0 = _mm256_fmadd_ps(LOADH(w0, c), xa, a0);
            a1 = _mm256_fmadd_ps(LOADH(w1, c), xa, a1);
            a2 = _mm256_fmadd_ps(LOADH(w2, c), xa, a2);
            a3 = _mm256_fmadd_ps(LOADH(w3, c), xa, a3);
        }
        if (c == cols) { /* no scalar tail: the 4 sums (and biases: r is a multiple of 4, so 4 halves at b + r / 2) */
            const __m128 s =
                hsum8x4(_mm256_add_ps(a0, b0), _mm256_add_ps(a1, b1), _mm256_add_ps(a2, b2), _mm256_add_ps(a3, b3));
            _mm_storeu_ps(y + r, b ? _mm_add_ps(s, load4h(b, r)) : s);
            continue;
        }
        float s0 = hsum8(_mm256_add_ps(a0, b0)), s1 = hsum8(_mm256_add_ps(a1, b1));
        float s2 = hsum8(_mm256_add_ps(a2, b2)), s3 = hsum8(_mm256_add_ps(a3, b3));
        for (; c < cols; c++) {
            s0 += HALF1(w0, c) * x[c];
            s1 += HALF1(w1, c) * x[c];
            s2 += HALF1(w2, c) * x[c];
            s3 += HALF1(w3, c) * x[c];
        }
        y[r] = b ? s0 + half1(b, r) : s0;
        y[r + 1] = b ? s1 + half1(b, r + 1) : s1;
        y[r + 2] = b ? s2 + half1(b, r + 2) : s2;
        y[r + 3] = b ? s3 + half1(b, r + 3) : s3;
    }
    for (; r < rows; r++) {
        const float *w0 = W + (size_t)r * lp;
        __m256 a0 = _mm256_setzero_ps();
        int c = 0;
        for (; c < c8; c += 8)
            a0 = _mm256_fmadd_ps(LOADH(w0, c), _mm256_loadu_ps(x + c), a0);
        float s0 = hsum8(a0);
        for (; c < cols; c++)
            s0 += HALF1(w0, c) * x[c];
        y[r] = b ? s0 + half1(b, r) : s0;
    }
}
#undef LOADH
#undef HALF1

__attribute__((target("avx2,fma,f16c"))) static void matvec_h_avx2(float *restrict y, const float *restrict W, int ld,
                                                                   const float *restrict b, const float *restrict x,
                                                                   int rows, int cols)
{
    matvec_h_avx2_impl(y, W, ld, b, x, rows, cols, 0);
}

/* The half copy's layout (hstrip_avx2 writes it, matvec_hu_avx2 reads it). A matrix of rows % 4 == 0 and
 * cols % 16 == 0 (every GRU and transformer matrix of a width that is a multiple of 16, and heads of V % 4 == 0)
 * is *blocked*: the rows in blocks of 4, each block's 4 rows interleaved by 16 columns (row j's columns 16 k ..
 * 16 k + 15, 8 packed floats, at float (k * 4 + j) * 8 of the block), so that the product reads its weights as
 * one sequential stream; any other matrix is kept row by row, as in the Buffer. `rowmajor` forces the row-by-row
 * layout (cs_model_state_set_hcopy 2: the previous kernel, for the bench and the tests). */
static inline int hcopy_blocked(int rows, int cols, int rowmajor)
{
    return !rowmajor && rows > 0 && cols > 0 && rows % 4 == 0 && cols % 16 == 0;
}

/* One 16-column chunk of a 4-row block of the blocked copy at w (32 packed floats) against x (16 floats) into
 * matvec_h_avx2_impl's accumulators: a_j sums the first 8 columns, b_j the second 8, in its order. */
#define HB_CHUNK(w, xc)                                                                                                \
    do {                                                                                                               \
        const __m256 xa_ = _mm256_loadu_ps(xc), xb_ = _mm256_loadu_ps((xc) + 8);                                       \
        a0 = _mm256_fmadd_ps(load8u((w), 0), xa_, a0);                                                                 \
        b0 = _mm256_fmadd_ps(load8u((w) + 4, 0), xb_, b0);                                                             \
        a1 = _mm256_fmadd_ps(load8u((w) + 8, 0), xa_, a1);                                                             \
        b1 = _mm256_fmadd_ps(load8u((w) + 12, 0), xb_, b1);                                                            \
        a2 = _mm256_fmadd_ps(load8u((w) + 16, 0), xa_, a2);                                                            \
        b2 = _mm256_fmadd_ps(load8u((w) + 20, 0), xb_, b2);                                                            \
        a3 = _mm256_fmadd_ps(load8u((w) + 24, 0), xa_, a3);                                                            \
        b3 = _mm256_fmadd_ps(load8u((w) + 28, 0), xb_, b3);                                                            \
    } while (0)

/* y[r .. r+3] of matvec_h_avx2_impl's tail-free block from its 4 row vectors v_j = a_j + b_j (b packed, r % 4 == 0). */
__attribute__((target("avx2,fma,f16c"))) static inline void hb_store(float *y, __m256 v0, __m256 v1, __m256 v2,
                                                                     __m256 v3, const float *b, int r)
{
    const __m128 s = hsum8x4(v0, v1, v2, v3);
    _mm_storeu_ps(y + r, b ? _mm_add_ps(s, load4h(b, r)) : s);
}

/* matvec_h_avx2 on a blocked copy (hcopy_blocked: rows % 4 == 0, cols % 16 == 0): the same products summed in the
 * same order, so the same bits. Software-pipelined: a block's 4 row sums are reduced (hsum8x4) and stored after the
 * first 3 chunks of the next block, so the reduction's shuffles run beside that block's conversions and FMAs
 * instead of stalling between blocks; with the single weight stream this runs the GRU 128 x 2 / V 256 products at
 * ~0.84x the time of the row-by-row copy kernel (a microbenchmark of its four matrices), the whole step at 0.86-0.89x
 * (tests/bench/bench_model_step "step_half_rowcopy_warm", models/FORMAT.md "Speed"). */
__attribute__((target("avx2,fma,f16c"))) static void matvec_hb_avx2(float *restrict y, const float *restrict W,
                                                                    const float *restrict b, const float *restrict x,
                                                                    int rows, int cols)
{
    const int nk = cols / 16, kr = nk < 3 ? nk : 3;
    const float *w = W;
    __m256 v0 = _mm256_setzero_ps(), v1 = v0, v2 = v0, v3 = v0;
    for (int r = 0; r < rows; r += 4) {
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        int k = 0;
        for (; k < kr; k++, w += 32)
            HB_CHUNK(w, x + 16 * k);
        if (r > 0) hb_store(y, v0, v1, v2, v3, b, r - 4);
        for (; k < nk; k++, w += 32)
            HB_CHUNK(w, x + 16 * k);
        v0 = _mm256_add_ps(a0, b0);
        v1 = _mm256_add_ps(a1, b1);
        v2 = _mm256_add_ps(a2, b2);
        v3 = _mm256_add_ps(a3, b3);
    }
    hb_store(y, v0, v1, v2, v3, b, rows - 4);
}
#undef HB_CHUNK

/* matvec_h_avx2 on the unbiased copy W of a (rows, cols) matrix (hstrip_avx2, the same `rowmajor`): the same
 * halves, so the same bits. */
__attribute__((target("avx2,fma,f16c"))) static void matvec_hu_avx2(float *restrict y, const float *restrict W,
                                                                    const float *restrict b, const float *restrict x,
                                                                    int rows, int cols, int rowmajor)
{
    if (hcopy_blocked(rows, cols, rowmajor))
        matvec_hb_avx2(y, W, b, x, rows, cols);
    else
        matvec_h_avx2_impl(y, W, cols, b, x, rows, cols, 1);
}

/* The half copy of the packed matrix src (rows x cols halves, rows at cols / 2 floats): its words less the high
 * halves' bias (raw binary16 pairs, written and read as integers only: a word may be a NaN or denormal pattern),
 * in hcopy_blocked's layout. One load, subtraction and store per 8 packed floats. */
__attribute__((target("avx2,fma,f16c"))) static void hstrip_avx2(float *restrict dst, const float *restrict src,
                                                                 int rows, int cols, int rowmajor)
{
    const __m256i bias = _mm256_set1_epi32((int)(CS_MODEL_HALF_HI_BIAS << 16));
#define STRIP8(d, s)                                                                                                   \
    _mm256_storeu_si256((__m256i *)(void *)(d),                                                                        \
                        _mm256_sub_epi32(_mm256_loadu_si256((const __m256i *)(const void *)(s)), bias))
    if (hcopy_blocked(rows, cols, rowmajor)) {
        const size_t lp = (size_t)cols / 2u;
        for (int r = 0; r < rows; r += 4)
            for (int k = 0; k < cols / 16; k++)
                for (int j = 0; j < 4; j++, dst += 8)
                    STRIP8(dst, src + (size_t)(r + j) * lp + (size_t)k * 8u);
        return;
    }
    const size_t n = (size_t)rows * (size_t)cols / 2u;
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        STRIP8(dst + i, src + i);
#undef STRIP8
    for (; i < n; i++) {
        const uint32_t u = cs_fast_float_to_bits(src[i]) - (CS_MODEL_HALF_HI_BIAS << 16);
        memcpy(dst + i, &u, sizeof u);
    }
}

/* The AVX-512 form of matvec_h_avx2 (AVX-512F, selected at run time with F16C): 16 halves per VCVTPH2PS zmm (one
 * 256-bit load), 8 rows per pass (8 accumulators + x in the 32 zmm registers). Lanes 0-7 of a row's accumulator
 * sum the columns matvec_h_avx2's a-accumulator sums (c mod 16 < 8) in the same order, lanes 8-15 its
 * b-accumulator's; the 8-column tail goes to lanes 0-7 only (a masked FMA), and the row's sum is
 * hsum8(lanes 0-7 + lanes 8-15) then the scalar tail, as there; the last rows % 4 rows, which matvec_h_avx2 sums
 * with one accumulator, go to matvec_h_avx2 itself: the result equals matvec_h_avx2 (and matvec_avx2 on the decoded
 * weights) bit for bit. On Zen 4 the conversion, not the FMA, bounds it: a VCVTPH2PS zmm every ~2.5
 * cycles against one ymm every ~2 (tests/bench/bench_model_step). Rows at ld / 2 floats (ld even). */
#define H512 __attribute__((target("avx512f,avx2,fma,f16c")))
H512 static inline __m512 load16h(const float *row, int c)
{
    __m256i q = _mm256_loadu_si256((const __m256i *)(const void *)(row + c / 2));
    return _mm512_cvtph_ps(_mm256_sub_epi32(q, _mm256_set1_epi32((int)(CS_MODEL_HALF_HI_BIAS << 16))));
}

/* the 8 halves from element c (even) in lanes 0-7, zeros above */
H512 static inline __m512 load8h_z(const float *row, int c)
{
    __m128i q = _mm_loadu_si128((const __m128i *)(const void *)(row + c / 2));
    q = _mm_sub_epi32(q, _mm_set1_epi32((int)(CS_MODEL_HALF_HI_BIAS << 16)));
    return _mm512_cvtph_ps(_mm256_inserti128_si256(_mm256_setzero_si256(), q, 0));
}

/* lanes 0-7 + lanes 8-15 */
H512 static inline __m256 fold16(__m512 a)
{
    return _mm256_add_ps(_mm512_castps512_ps256(a), _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(a), 1)));
}

/* The dot product of one row of halves (from w) with x over cols: the order of matvec_h_avx2's per-row sum. */
H512 static inline float hsum16(__m512 a)
{
    return hsum8(fold16(a));
}

/* The 8 row sums of 8 row vectors v_j (a_j + b_j of matvec_h_avx2) in hsum8's tree (lanes l + l+4, then pairs
 * 0+2 / 1+3, then those two), computed for the 8 rows at once by transposing shuffles, in row order. Float addition
 * is commutative bit for bit, so each row's sum equals hsum8(v_j). */
H512 static inline __m256 hsum8x8(const __m256 *v)
{
    __m256 t[4];
    for (int k = 0; k < 4; k++)
        t[k] = _mm256_add_ps(_mm256_permute2f128_ps(v[2 * k], v[2 * k + 1], 0x20),
                             _mm256_permute2f128_ps(v[2 * k], v[2 * k + 1], 0x31));
    const __m256 u0 = _mm256_add_ps(_mm256_shuffle_ps(t[0], t[1], 0x44), _mm256_shuffle_ps(t[0], t[1], 0xee));
    const __m256 u1 = _mm256_add_ps(_mm256_shuffle_ps(t[2], t[3], 0x44), _mm256_shuffle_ps(t[2], t[3], 0xee));
    const __m256 f = _mm256_add_ps(_mm256_shuffle_ps(u0, u1, 0x88), _mm256_shuffle_ps(u0, u1, 0xdd));
    return _mm256_permutevar8x32_ps(f, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

H512 static float hrow_tail(__m512 acc, const float *w, const float *x, int c, int cols)
{
    const __mmask16 lo8 = 0x00ff;
    if (c + 8 <= cols) {
        acc = _mm512_mask3_fmadd_ps(load8h_z(w, c), _mm512_maskz_loadu_ps(lo8, x + c), acc, lo8);
        c += 8;
    }
    float s = hsum16(acc);
    for (; c < cols; c++)
        s += half1(w, c) * x[c];
    return s;
}

H512 static void matvec_h_avx512(float *restrict y, const float *restrict W, int ld, const float *restrict b,
                                 const float *restrict x, int rows, int cols)
{
    const size_t lp = (size_t)(ld / 2);
    const int c16 = cols & ~15;
    int r = 0;
    for (; r + 8 <= rows; r += 8) {
        const float *w0 = W + (size_t)r * lp;
        __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        for (int c = 0; c < c16; c += 16) {
            const __m512 xv = _mm512_loadu_ps(x + c);
            a0 = _mm512_fmadd_ps(load16h(w0, c), xv, a0);
            a1 = _mm512_fmadd_ps(load16h(w0 + lp, c), xv, a1);
            a2 = _mm512_fmadd_ps(load16h(w0 + 2 * lp, c), xv, a2);
            a3 = _mm512_fmadd_ps(load16h(w0 + 3 * lp, c), xv, a3);
            a4 = _mm512_fmadd_ps(load16h(w0 + 4 * lp, c), xv, a4);
            a5 = _mm512_fmadd_ps(load16h(w0 + 5 * lp, c), xv, a5);
            a6 = _mm512_fmadd_ps(load16h(w0 + 6 * lp, c), xv, a6);
            a7 = _mm512_fmadd_ps(load16h(w0 + 7 * lp, c), xv, a7);
        }
        const __m512 acc[8] = {a0, a1, a2, a3, a4, a5, a6, a7};
        if (c16 == cols) { /* no tail: the 8 sums at once (r is a multiple of 8: the biases are load8h(b, r)) */
            const __m256 v[8] = {fold16(a0), fold16(a1), fold16(a2), fold16(a3),
                                 fold16(a4), fold16(a5), fold16(a6), fold16(a7)};
            const __m256 sum = hsum8x8(v);
            _mm256_storeu_ps(y + r, b ? _mm256_add_ps(sum, load8h(b, r)) : sum);
            continue;
        }
        for (int j = 0; j < 8; j++) {
            const float s = hrow_tail(acc[j], w0 + (size_t)j * lp, x, c16, cols);
            y[r + j] = b ? s + half1(b, r + j) : s;
        }
    }
    for (; r < (rows & ~3); r++) { /* rows matvec_h_avx2 sums in its blocks of 4 */
        const float *w0 = W + (size_t)r * lp;
        __m512 a0 = _mm512_setzero_ps();
        for (int c = 0; c < c16; c += 16)
            a0 = _mm512_fmadd_ps(load16h(w0, c), _mm512_loadu_ps(x + c), a0);
        const float s = hrow_tail(a0, w0, x, c16, cols);
        y[r] = b ? s + half1(b, r) : s;
    }
    if (r < rows) /* its last rows % 4 rows, one accumulator each: the same code (r is a multiple of 4: b + r / 2) */
        matvec_h_avx2(y + r, W + (size_t)r * lp, ld, b ? b + r / 2 : NULL, x, rows - r, cols);
}
#undef H512

/* In three passes (r, z, then n and h) rather than one: one pass's body is a chain of two exponentials and two
 * divisions (~100 cycles) with too many instructions for the out-of-order window to overlap two of them, so it
 * ran at ~450 ns per layer of 128 units; each pass here is one function per vector, independent from vector to
 * vector. The same operations on the same values: the same bits. */
__attribute__((target("avx2,fma"))) static void gru_avx2(float *restrict h, const float *restrict gi,
                                                         const float *restrict gh, int H)
{
    float rr[CS_MODEL_GRU_MAX_H] __attribute__((aligned(32))), zz[CS_MODEL_GRU_MAX_H] __attribute__((aligned(32)));
    const int H8 = H & ~7;
    for (int i = 0; i < H8; i += 8)
        _mm256_store_ps(rr + i, cs_fast_sigmoid8(_mm256_add_ps(_mm256_loadu_ps(gi + i), _mm256_loadu_ps(gh + i))));
    for (int i = 0; i < H8; i += 8)
        _mm256_store_ps(zz + i,
                        cs_fast_sigmoid8(_mm256_add_ps(_mm256_loadu_ps(gi + H + i), _mm256_loadu_ps(gh + H + i))));
    int i = 0;
    for (; i < H8; i += 8) {
        __m256 n = cs_fast_tanh8(
            _mm256_fmadd_ps(_mm256_load_ps(rr + i), _mm256_loadu_ps(gh + 2 * H + i), _mm256_loadu_ps(gi + 2 * H + i)));
        __m256 hv = _mm256_loadu_ps(h + i);
        _mm256_storeu_ps(h + i, _mm256_fmadd_ps(_mm256_load_ps(zz + i), _mm256_sub_ps(hv, n), n)); /* (1-z) n + z h */
    }
    if (i < H) { /* H not a multiple of 8: the last units with the scalar code (gi, gh keep stride H) */
        for (; i < H; i++) {
            float r = cs_fast_sigmoid(gi[i] + gh[i]);
            float z = cs_fast_sigmoid(gi[H + i] + gh[H + i]);
            float n = cs_fast_tanh(gi[2 * H + i] + r * gh[2 * H + i]);
            h[i] = (1.0f - z) * n + z * h[i];
        }
    }
}

__attribute__((target("avx2,fma"))) static float softmax_avx2(float *x, int n)
{
    float mx = x[0];
    for (int i = 1; i < n; i++)
        mx = x[i] > mx ? x[i] : mx;
    __m256 m = _mm256_set1_ps(mx), acc = _mm256_setzero_ps();
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 e = cs_fast_exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), m));
        _mm256_storeu_ps(x + i, e);
        acc = _mm256_add_ps(acc, e);
    }
    float sum = hsum8(acc);
    for (; i < n; i++) {
        x[i] = cs_fast_exp(x[i] - mx);
        sum += x[i];
    }
    return sum;
}

__attribute__((target("avx2,fma"))) static void wsum_avx2(float *restrict o, const float *restrict V, int ld,
                                                          const float *restrict p, int n, int m)
{
    int m8 = m & ~7;
    for (int i0 = 0; i0 < m8; i0 += 8) {
        __m256 a = _mm256_setzero_ps(), c = a;
        int s = 0;
        for (; s + 2 <= n; s += 2) {
            a = _mm256_fmadd_ps(_mm256_set1_ps(p[s]), _mm256_loadu_ps(V + (size_t)s * ld + i0), a);
            c = _mm256_fmadd_ps(_mm256_set1_ps(p[s + 1]), _mm256_loadu_ps(V + (size_t)(s + 1) * ld + i0), c);
        }
        if (s < n) a = _mm256_fmadd_ps(_mm256_set1_ps(p[s]), _mm256_loadu_ps(V + (size_t)s * ld + i0), a);
        _mm256_storeu_ps(o + i0, _mm256_add_ps(a, c));
    }
    if (m8 < m) wsum_generic(o + m8, V + m8, ld, p, n, m - m8);
}

/* clamp_generic 8 at a time: max(x, -C) is -C for NaN, so the ordered mask makes NaN 0; a finite x, +-0 and
 * the infinities get clamp_finite's bits. */
__attribute__((target("avx2,fma"))) static void clamp_avx2(float *x, int n)
{
    const __m256 hi = _mm256_set1_ps(LOGIT_CLAMP), lo = _mm256_set1_ps(-LOGIT_CLAMP);
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 v = _mm256_loadu_ps(x + i);
        _mm256_storeu_ps(x + i,
                         _mm256_and_ps(_mm256_min_ps(_mm256_max_ps(v, lo), hi), _mm256_cmp_ps(v, v, _CMP_ORD_Q)));
    }
    clamp_generic(x + i, n - i);
}

/* F16C (CPUID leaf 1, ECX bit 29; clang's __builtin_cpu_supports does not know "f16c"). */
static int cpu_has_f16c(void)
{
    unsigned a, b, c, d;
    return __get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 29)) != 0;
}

/* The AVX2 set for a model of this precision: AVX2 + FMA, and F16C for half weights. */
static int cpu_has_avx2_fma(int half)
{
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && (!half || cpu_has_f16c());
}

/* AVX-512F as well (with the OS saving the zmm state: __builtin_cpu_supports checks both). */
static int cpu_has_avx512(void)
{
    return __builtin_cpu_supports("avx512f");
}
#endif

typedef void (*matvec_fn)(float *restrict, const float *restrict, int, const float *restrict, const float *restrict,
                          int, int);
typedef struct kernels {
    matvec_fn matvec;                                             /* float32 W */
    matvec_fn matvec_h;                                           /* half W and b (packed) */
    void (*hdecode)(float *restrict, const float *restrict, int); /* n packed halves -> floats */
    void (*gru)(float *restrict, const float *restrict, const float *restrict, int);
    float (*softmax)(float *, int);
    void (*wsum)(float *restrict, const float *restrict, int, const float *restrict, int, int);
    /* half W (rows, cols) from its unbiased copy (NULL: the set has none), and that copy's maker: hcopy_blocked */
    void (*matvec_hu)(float *restrict, const float *restrict, const float *restrict, const float *restrict, int, int,
                      int);
    void (*hstrip)(float *restrict, const float *restrict, int, int, int);
    void (*clamp)(float *, int); /* x (n) <- clamp_finite(x): NaN -> 0, then into [-LOGIT_CLAMP, LOGIT_CLAMP] */
} kernels;

static const kernels kernels_generic = {
    matvec_generic, matvec_h_generic, hdecode_generic, gru_generic, softmax_generic, wsum_generic, NULL,
    NULL,           clamp_generic};
#if CS_MODEL_HAVE_AVX2
static const kernels kernels_avx2 = {matvec_avx2, matvec_h_avx2,  hdecode_avx2, gru_avx2,  softmax_avx2,
                                     wsum_avx2,   matvec_hu_avx2, hstrip_avx2,  clamp_avx2};
/* the AVX2 set with the half products of AVX-512 (bit-identical to matvec_h_avx2). The float32 products stay AVX2:
 * the same 8-row zmm kernel on float32 weights (bit-identical too) was measured no faster on Zen 4 (GRU 128 x 2:
 * 11.0-14.1 against 11.0-11.6 us, same runs), so it is not kept. */
static const kernels kernels_avx512 = {matvec_avx2, matvec_h_avx512, hdecode_avx2, gru_avx2,  softmax_avx2,
                                       wsum_avx2,   matvec_hu_avx2,  hstrip_avx2,  clamp_avx2};
#endif

/* LayerNorm over n (PyTorch semantics, biased variance, eps 1e-5), accumulated in double so that even
 * activations of 1e24 (the bound for weights <= 2^20) cannot overflow the variance. */
static void layernorm(float *restrict y, const float *restrict x, const float *restrict g, const float *restrict b,
                      int n)
{
    double mean = 0.0, var = 0.0;
    for (int i = 0; i < n; i++)
        mean += (double)x[i];
    mean /= n;
    for (int i = 0; i < n; i++) {
        double d = (double)x[i] - mean;
        var += d * d;
    }
    var /= n;
    double inv = 1.0 / sqrt(var + LN_EPS); /* sqrt: one instruction, argument > 0 */
    for (int i = 0; i < n; i++)
        y[i] = (float)(((double)x[i] - mean) * inv) * g[i] + b[i];
}

/* ------------------------------------------------------------------------------------------------------ */
/* State                                                                                                    */

/* The most product matrices of a warm step: a transformer's 4 per layer and the head. */
#define HCOPY_SLOTS (4 * CS_MODEL_TF_MAX_LAYERS + 1)

struct cs_model_state {
    cs_model_view v;
    const kernels *k; /* kernel set */
    int simd;         /* 0 portable set, 1 AVX2/FMA, 2 AVX2 with AVX-512 half products (kernels_choose) */
    int half;         /* the weights are half precision (packed): products through k->matvec_h */
    int stale;        /* logits not computed for the last token (after prime) */
    long pos;         /* tokens fed since reset, BOS included */
    int ring;         /* transformer: next KV slot to write */
    int filled;       /* transformer: valid KV entries (<= C) */
    float scale;      /* 1 / sqrt(D / NH) */
    float *h;         /* GRU: (L, H) hidden state */
    float *gi, *gh;   /* GRU: (3H) gate pre-activations, input and hidden parts */
    float *x;         /* transformer: (D) residual stream */
    float *xn;        /* transformer: (D) normalised input of a sub-block */
    float *qkv;       /* transformer: (3D) */
    float *att;       /* transformer: (D) concatenated head outputs */
    float *tmp;       /* transformer: (D) sub-block output */
    float *ff;        /* transformer: (F) hidden of the feed-forward */
    float *scores;    /* transformer: (C) one head's attention weights */
    float *slopes;    /* transformer: (NH) ALiBi slopes */
    float *kc, *vc;   /* transformer: (L, C, D) key / value ring buffers */
    float *head_in;   /* (W) the vector the head reads: h[L-1] or LN_f(x) */
    float *xin;       /* descriptor inputs: (W) embedding + desc_proj d, the first layer's input */
    float *dsc;       /* descriptor inputs: (Din) the clamped descriptor row */
    float *logits;    /* (V) */
    float *wa, *wb;   /* half weights only: (W) each, a decoded embedding row or LayerNorm weight and bias */
    /* GRU without descriptor inputs, when the table fits CS_MODEL_FOLD_MAX_BYTES and the caller gave the memory
     * (cs_model_state_size): the embedding folded into layer 0's input product, filled on first use. */
    float *fold;            /* (V+1, 3H): row t = W_ih0 embedding[t] + b_ih0, valid where fold_ok[t] */
    unsigned char *fold_ok; /* (V+1): 1 once row t holds the product of the current kernel set and weights */
    int fold_on;            /* the table is in use (cs_model_state_set_fold) */
    /* Half weights, when the copy fits CS_MODEL_HCOPY_MAX_BYTES (cs_model_state_size): the product matrices of a
     * warm step with the high halves' bias removed, made by the step on a matrix's first use (hcopy_of). */
    float *hc;                        /* the copies, slot after slot (raw binary16 pairs, read as integers) */
    int hc_n;                         /* slots (0: no copy) */
    int hc_on;                        /* the copies are in use (cs_model_state_set_hcopy, and a kernel set has them) */
    const float *hc_src[HCOPY_SLOTS]; /* slot k copies the packed matrix at hc_src[k] (a pointer of st->v) */
    size_t hc_off[HCOPY_SLOTS];       /* its first float in hc */
    size_t hc_len[HCOPY_SLOTS];       /* its length in packed floats */
    unsigned char hc_ok[HCOPY_SLOTS]; /* 1 once slot k holds the current weights */
    int hc_rowmajor;                  /* every copy row by row (cs_model_state_set_hcopy 2; hcopy_blocked) */
};

static size_t round64(size_t b)
{
    return (b + 63) & ~(size_t)63;
}

/* Bytes of the folded-embedding table of a GRU without descriptor inputs ((V+1) rows of 3H floats, plus the V+1
 * validity bytes), or 0 when the model cannot fold (transformer, descriptor inputs) or the table would exceed
 * CS_MODEL_FOLD_MAX_BYTES. */
static size_t fold_bytes(const cs_model_config *c)
{
    if (c->arch != CS_MODEL_GRU || c->desc_inputs > 0) return 0;
    const size_t rows = (size_t)c->vocab + 1, b = rows * 3u * (size_t)c->width * sizeof(float) + rows;
    return b <= CS_MODEL_FOLD_MAX_BYTES ? b : 0;
}

/* The product matrices of a warm half step in the order of the step, as (tensor pointer, packed floats) pairs of
 * view v (or, with v NULL, only their sizes); returns the count. A GRU with a folded embedding reads layer 0's
 * W_ih only when a token's row is first computed, so it is left out then. */
static int hcopy_list(const cs_model_config *c, const cs_model_view *v, const float **src, size_t *len)
{
    const size_t W = (size_t)c->width, V = (size_t)c->vocab;
    int n = 0;
#define ADD(ptr, rows, cols)                                                                                           \
    do {                                                                                                               \
        src[n] = v ? (ptr) : NULL;                                                                                     \
        len[n++] = (size_t)(rows) * (size_t)(cols) / 2u;                                                               \
    } while (0)
    for (int l = 0; l < c->layers; l++) {
        if (c->arch == CS_MODEL_GRU) {
            if (l > 0 || fold_bytes(c) == 0) ADD(v ? v->w_ih[l] : NULL, 3 * W, W);
            ADD(v ? v->w_hh[l] : NULL, 3 * W, W);
        } else {
            const size_t F = (size_t)c->d_ff;
            ADD(v ? v->in_w[l] : NULL, 3 * W, W);
            ADD(v ? v->out_w[l] : NULL, W, W);
            ADD(v ? v->ff1_w[l] : NULL, F, W);
            ADD(v ? v->ff2_w[l] : NULL, W, F);
        }
    }
    ADD(v ? v->head_w : NULL, V, W);
#undef ADD
    return n;
}

/* Packed floats of the half copy (cs_model_state_size), or 0 when it would exceed CS_MODEL_HCOPY_MAX_BYTES. */
static size_t hcopy_floats(const cs_model_config *c)
{
    const float *src[HCOPY_SLOTS];
    size_t len[HCOPY_SLOTS], total = 0;
    for (int k = 0, n = hcopy_list(c, NULL, src, len); k < n; k++)
        total += len[k];
    return total * sizeof(float) <= CS_MODEL_HCOPY_MAX_BYTES ? total : 0;
}

/* Point the copy's slots at the matrices of st->v and mark them all stale (init, rebind, kernel change). O(1). */
static void hcopy_plan(cs_model_state *st)
{
    st->hc_n = 0;
    if (!st->hc) return;
    st->hc_n = hcopy_list(&st->v.cfg, &st->v, st->hc_src, st->hc_len);
    size_t off = 0;
    for (int k = 0; k < st->hc_n; k++) {
        st->hc_off[k] = off;
        off += st->hc_len[k];
        st->hc_ok[k] = 0;
    }
}

/* Walk the layout; with base == NULL only count bytes. The folded-embedding table comes last (fold = 1 and
 * fold_bytes > 0), so the layout without it is a prefix of the layout with it. */
static size_t state_layout(const cs_model_config *c, int half, int fold, cs_model_state *st, unsigned char *base)
{
    size_t off = round64(sizeof(cs_model_state));
    size_t V = (size_t)c->vocab, W = (size_t)c->width, L = (size_t)c->layers;
#define TAKE(field, count)                                                                                             \
    do {                                                                                                               \
        if (base) st->field = (float *)(void *)(base + off);                                                           \
        off += round64((count) * sizeof(float));                                                                       \
    } while (0)
    if (c->arch == CS_MODEL_GRU) {
        TAKE(h, L * W);
        TAKE(gi, 3 * W);
        TAKE(gh, 3 * W);
    } else {
        size_t C = (size_t)c->context;
        TAKE(x, W);
        TAKE(xn, W);
        TAKE(qkv, 3 * W);
        TAKE(att, W);
        TAKE(tmp, W);
        TAKE(ff, (size_t)c->d_ff);
        TAKE(scores, C);
        TAKE(slopes, (size_t)c->heads);
        TAKE(kc, L * C * W);
        TAKE(vc, L * C * W);
        TAKE(head_in, W);
    }
    TAKE(logits, V);
    if (c->desc_inputs > 0) {
        TAKE(xin, W);
        TAKE(dsc, (size_t)c->desc_inputs);
    }
    if (half) {
        TAKE(wa, W);
        TAKE(wb, W);
    }
    if (fold && fold_bytes(c) > 0) {
        TAKE(fold, (V + 1) * 3 * W);
        if (base) st->fold_ok = base + off;
        off += round64(V + 1);
    }
    const size_t hcf = half ? hcopy_floats(c) : 0;
    if (fold && hcf > 0) TAKE(hc, hcf);
#undef TAKE
    return off;
}

size_t cs_model_state_size(const cs_model_view *view)
{
    if (!view || cs_model_config_check(&view->cfg) != CS_MODEL_OK) return 0;
    if (view->precision == CS_MODEL_PRECISION_HALF && view->cfg.desc_inputs > 0) return 0; /* refused (parser) */
    return state_layout(&view->cfg, view->precision == CS_MODEL_PRECISION_HALF, 1, NULL, NULL) + 64;
}

size_t cs_model_state_size_min(const cs_model_view *view)
{
    if (!cs_model_state_size(view)) return 0; /* NULL, a bad config or a refused precision */
    return state_layout(&view->cfg, view->precision == CS_MODEL_PRECISION_HALF, 0, NULL, NULL) + 64;
}

/* Forget every row of the folded table (the weights or the kernel set changed). O(V), RT-safe. */
static void fold_clear(cs_model_state *st)
{
    if (st->fold_ok) memset(st->fold_ok, 0, (size_t)st->v.cfg.vocab + 1);
}

/* The kernel set of cs_model_state_set_simd: 0 portable; 1 the best the CPU has (half weights: AVX-512 products
 * when it has AVX-512F, else AVX2); 2 AVX2 even on an AVX-512 CPU. Sets st->k and st->simd (0, 1 AVX2, 2 AVX-512). */
static void kernels_choose(cs_model_state *st, int enable)
{
    st->k = &kernels_generic;
    st->simd = 0;
#if CS_MODEL_HAVE_AVX2
    if (enable && cpu_has_avx2_fma(st->half)) {
        st->k = &kernels_avx2;
        st->simd = 1;
        if (enable == 1 && st->half && cpu_has_avx512()) {
            st->k = &kernels_avx512;
            st->simd = 2;
        }
    }
#else
    (void)enable;
#endif
}

int cs_model_state_init(const cs_model_view *view, void *mem, size_t bytes, cs_model_state **out)
{
    if (out) *out = NULL;
    if (!view || !out || !view->weights || cs_model_config_check(&view->cfg) != CS_MODEL_OK) return CS_MODEL_E_ARG;
    if (view->precision == CS_MODEL_PRECISION_HALF && view->cfg.desc_inputs > 0) return CS_MODEL_E_PRECISION;
    const int half = view->precision == CS_MODEL_PRECISION_HALF;
    if (!mem || bytes < cs_model_state_size_min(view)) return CS_MODEL_E_MEMORY;
    const int full = bytes >= cs_model_state_size(view); /* else no folded table and no half copy */
    uintptr_t p = ((uintptr_t)mem + 63) & ~(uintptr_t)63;
    unsigned char *base = (unsigned char *)mem + (p - (uintptr_t)mem);
    cs_model_state *st = (cs_model_state *)(void *)base;
    memset(st, 0, sizeof *st);
    st->v = *view;
    st->half = half;
    state_layout(&view->cfg, st->half, full, st, base);
    st->fold_on = st->fold != NULL;
    fold_clear(st);
    kernels_choose(st, 1);
    hcopy_plan(st);
    st->hc_on = st->hc_n > 0;
    if (view->cfg.arch == CS_MODEL_TRANSFORMER) {
        const cs_model_config *c = &view->cfg;
        st->scale = (float)(1.0 / sqrt((double)(c->width / c->heads)));
        for (int h = 1; h <= c->heads; h++)
            st->slopes[h - 1] = (float)exp2(-8.0 * h / c->heads);
    } else {
        st->head_in = st->h + (size_t)(view->cfg.layers - 1) * (size_t)view->cfg.width;
    }
    cs_model_reset(st);
    *out = st;
    return CS_MODEL_OK;
}

int cs_model_state_set_simd(cs_model_state *st, int enable)
{
    if (!st) return 0;
    fold_clear(st); /* the rows were summed by the previous set */
    kernels_choose(st, enable);
    hcopy_plan(st);
    return st->simd;
}

int cs_model_rebind(cs_model_state *st, const cs_model_view *view)
{
    if (!st || !view || !view->weights) return CS_MODEL_E_ARG;
    if (memcmp(&st->v.cfg, &view->cfg, sizeof view->cfg) != 0) return CS_MODEL_E_MISMATCH;
    if ((view->precision == CS_MODEL_PRECISION_HALF) != st->half) return CS_MODEL_E_MISMATCH;
    st->v = *view;
    fold_clear(st); /* the new buffer may hold other weights */
    hcopy_plan(st); /* and lie elsewhere */
    return CS_MODEL_OK;
}

int cs_model_state_set_fold(cs_model_state *st, int enable)
{
    if (!st) return 0;
    st->fold_on = enable && st->fold != NULL;
    fold_clear(st);
    return st->fold_on;
}

int cs_model_state_set_hcopy(cs_model_state *st, int enable)
{
    if (!st) return 0;
    st->hc_on = enable && st->hc_n > 0;
    st->hc_rowmajor = enable == 2;
    hcopy_plan(st);
    return st->hc_on && st->k->matvec_hu != NULL;
}

const cs_model_config *cs_model_state_config(const cs_model_state *st)
{
    return st ? &st->v.cfg : NULL;
}

long cs_model_position(const cs_model_state *st)
{
    return st ? st->pos : 0;
}

/* ------------------------------------------------------------------------------------------------------ */
/* Forward step                                                                                             */

/* The unbiased copy of the packed matrix W (hcopy_list), made now if it is stale, or NULL when W has none (no
 * copy, bypassed, a kernel set without it, or W not a warm-step matrix). The first use costs one pass over W's
 * packed floats (hstrip: a load, a subtraction and a store per 8), bounded by CS_MODEL_HCOPY_MAX_BYTES. */
static const float *hcopy_of(cs_model_state *st, const float *W, int rows, int cols)
{
    if (!st->hc_on || !st->k->matvec_hu) return NULL;
    for (int k = 0; k < st->hc_n; k++) {
        if (st->hc_src[k] != W) continue;
        if ((size_t)rows * (size_t)cols / 2u != st->hc_len[k]) return NULL; /* not the slot's shape: no copy */
        float *dst = st->hc + st->hc_off[k];
        if (!st->hc_ok[k]) {
            st->k->hstrip(dst, W, rows, cols, st->hc_rowmajor);
            st->hc_ok[k] = 1;
        }
        return dst;
    }
    return NULL;
}

/* y (rows) = W x + b for a weight matrix W (rows, cols) of the model, either precision (half: from the unbiased
 * copy when it has one, the same halves in the same order, so the same bits). */
static void wmatvec(cs_model_state *st, float *y, const float *W, const float *b, const float *x, int rows, int cols)
{
    if (!st->half) {
        st->k->matvec(y, W, cols, b, x, rows, cols);
        return;
    }
    const float *u = hcopy_of(st, W, rows, cols);
    if (u)
        st->k->matvec_hu(y, u, b, x, rows, cols, st->hc_rowmajor);
    else
        st->k->matvec_h(y, W, cols, b, x, rows, cols);
}

/* n weights at p (a vector or a row of the model) as floats: p itself, or decoded into scratch (half). */
static const float *wvec(const cs_model_state *st, const float *p, int n, float *scratch)
{
    if (!st->half) return p;
    st->k->hdecode(scratch, p, n);
    return scratch;
}

/* The first layer's input: the embedding row of `token` (decoded into st->wa with half weights), plus
 * desc_proj.weight d with descriptor inputs (d = the clamped `desc`, zeros when NULL). Returns the embedding row
 * without descriptor inputs, else st->xin. Descriptor inputs are float32 only (the parser and
 * cs_model_state_init refuse them with half weights: desc_proj's rows of odd Din do not start at whole floats). */
static const float *input_vector(cs_model_state *st, int token, const float *desc)
{
    const cs_model_view *v = &st->v;
    const int W = v->cfg.width, Din = v->cfg.desc_inputs;
    const float *emb = wvec(st, v->embedding + (size_t)token * (size_t)(st->half ? W / 2 : W), W, st->wa);
    if (Din <= 0) return emb;
    for (int i = 0; i < Din; i++) {
        float d = desc ? desc[i] : 0.0f;
        d = d == d ? d : 0.0f;
        st->dsc[i] = d > CS_MODEL_DESC_CLAMP    ? CS_MODEL_DESC_CLAMP
                     : d < -CS_MODEL_DESC_CLAMP ? -CS_MODEL_DESC_CLAMP
                                                : d;
    }
    st->k->matvec(st->xin, v->desc_w, Din, emb, st->dsc, W, Din); /* emb + W_d d: the embedding as the bias */
    return st->xin;
}

/* Layer 0's input pre-activations W_ih0 x + b_ih0 for `token`: from the folded table when it is on (the row is
 * computed by the same kernel on the same input the first time the token is fed, so every later step reads the
 * bits it would have computed), else computed into st->gi. */
static const float *gru_input0(cs_model_state *st, int token, const float *desc)
{
    const cs_model_view *v = &st->v;
    const int H = v->cfg.width;
    if (!st->fold_on) {
        wmatvec(st, st->gi, v->w_ih[0], v->b_ih[0], input_vector(st, token, desc), 3 * H, H);
        return st->gi;
    }
    float *row = st->fold + (size_t)token * 3u * (size_t)H; /* token <= V (BOS): the table has V+1 rows */
    if (!st->fold_ok[token]) {
        wmatvec(st, row, v->w_ih[0], v->b_ih[0], input_vector(st, token, desc), 3 * H, H);
        st->fold_ok[token] = 1;
    }
    return row;
}

static void gru_feed(cs_model_state *st, int token, const float *desc)
{
    const cs_model_view *v = &st->v;
    const int H = v->cfg.width;
    const float *in = NULL;
    for (int l = 0; l < v->cfg.layers; l++) {
        float *h = st->h + (size_t)l * H;
        const float *gi = l == 0 ? gru_input0(st, token, desc) : st->gi;
        if (l > 0) wmatvec(st, st->gi, v->w_ih[l], v->b_ih[l], in, 3 * H, H);
        wmatvec(st, st->gh, v->w_hh[l], v->b_hh[l], h, 3 * H, H);
        st->k->gru(h, gi, st->gh, H);
        in = h;
    }
}

static void tf_feed(cs_model_state *st, int token, const float *desc)
{
    const cs_model_view *v = &st->v;
    const int D = v->cfg.width, NH = v->cfg.heads, C = v->cfg.context, F = v->cfg.d_ff, HD = D / NH;
    const int slot = st->ring;
    const int n = st->filled < C ? st->filled + 1 : C; /* keys in the window, this token included */
    memcpy(st->x, input_vector(st, token, desc), (size_t)D * sizeof(float));
    for (int l = 0; l < v->cfg.layers; l++) {
        float *kc = st->kc + (size_t)l * C * D, *vc = st->vc + (size_t)l * C * D;
        /* attention sub-block */
        layernorm(st->xn, st->x, wvec(st, v->ln1_w[l], D, st->wa), wvec(st, v->ln1_b[l], D, st->wb), D);
        wmatvec(st, st->qkv, v->in_w[l], v->in_b[l], st->xn, 3 * D, D);
        memcpy(kc + (size_t)slot * D, st->qkv + D, (size_t)D * sizeof(float));
        memcpy(vc + (size_t)slot * D, st->qkv + 2 * D, (size_t)D * sizeof(float));
        /* the valid keys are slots 0..n-1 (the ring fills from 0); distance of slot s = (slot - s) mod C */
        for (int h = 0; h < NH; h++) {
            const float m = st->slopes[h];
            st->k->matvec(st->scores, kc + h * HD, D, NULL, st->qkv + h * HD, n, HD); /* q.k_s */
            for (int s = 0; s < n; s++) {
                int d = slot - s;
                if (d < 0) d += C;
                float sc = st->scores[s] * st->scale - m * (float)d;
                st->scores[s] = sc == sc ? sc : -3.0e38f; /* NaN impossible with parsed weights */
            }
            float sum = st->k->softmax(st->scores, n); /* >= 1: the maximum contributes e^0 */
            float inv = 1.0f / sum;
            for (int s = 0; s < n; s++)
                st->scores[s] *= inv;
            st->k->wsum(st->att + h * HD, vc + h * HD, D, st->scores, n, HD);
        }
        wmatvec(st, st->tmp, v->out_w[l], v->out_b[l], st->att, D, D);
        for (int i = 0; i < D; i++)
            st->x[i] += st->tmp[i];
        /* feed-forward sub-block */
        layernorm(st->xn, st->x, wvec(st, v->ln2_w[l], D, st->wa), wvec(st, v->ln2_b[l], D, st->wb), D);
        wmatvec(st, st->ff, v->ff1_w[l], v->ff1_b[l], st->xn, F, D);
        for (int i = 0; i < F; i++)
            st->ff[i] = st->ff[i] > 0.0f ? st->ff[i] : 0.0f; /* ReLU (NaN -> 0) */
        wmatvec(st, st->tmp, v->ff2_w[l], v->ff2_b[l], st->ff, D, F);
        for (int i = 0; i < D; i++)
            st->x[i] += st->tmp[i];
    }
    st->ring = slot + 1 == C ? 0 : slot + 1;
    if (st->filled < C) st->filled++;
    layernorm(st->head_in, st->x, wvec(st, v->lnf_w, D, st->wa), wvec(st, v->lnf_b, D, st->wb), D);
}

static void compute_logits(cs_model_state *st)
{
    const cs_model_view *v = &st->v;
    wmatvec(st, st->logits, v->head_w, v->head_b, st->head_in, v->cfg.vocab, v->cfg.width);
    st->k->clamp(st->logits, v->cfg.vocab);
    st->stale = 0;
}

static void feed(cs_model_state *st, int token, const float *desc)
{
    if (st->v.cfg.arch == CS_MODEL_GRU)
        gru_feed(st, token, desc);
    else
        tf_feed(st, token, desc);
    if (st->pos < 2147483647L) st->pos++;
}

void cs_model_reset(cs_model_state *st)
{
    if (!st) return;
    const cs_model_config *c = &st->v.cfg;
    size_t L = (size_t)c->layers, W = (size_t)c->width;
    if (c->arch == CS_MODEL_GRU) {
        memset(st->h, 0, L * W * sizeof(float));
    } else {
        size_t kv = L * (size_t)c->context * W * sizeof(float);
        memset(st->kc, 0, kv);
        memset(st->vc, 0, kv);
        st->ring = 0;
        st->filled = 0;
    }
    st->pos = 0;
    feed(st, c->vocab, NULL); /* BOS (no unit before it: zero descriptors) */
    compute_logits(st);
}

int cs_model_step(cs_model_state *st, int token, const float **logits)
{
    return cs_model_step_desc(st, token, NULL, logits);
}

int cs_model_step_desc(cs_model_state *st, int token, const float *desc, const float **logits)
{
    if (!st) return CS_MODEL_E_ARG;
    if (token < 0 || token >= st->v.cfg.vocab) {
        if (logits) *logits = cs_model_logits(st);
        return CS_MODEL_E_TOKEN;
    }
    feed(st, token, desc);
    compute_logits(st);
    if (logits) *logits = st->logits;
    return CS_MODEL_OK;
}

int cs_model_prime(cs_model_state *st, int token)
{
    return cs_model_prime_desc(st, token, NULL);
}

int cs_model_prime_desc(cs_model_state *st, int token, const float *desc)
{
    if (!st) return CS_MODEL_E_ARG;
    if (token < 0 || token >= st->v.cfg.vocab) return CS_MODEL_E_TOKEN;
    feed(st, token, desc);
    st->stale = 1;
    return CS_MODEL_OK;
}

const float *cs_model_logits(cs_model_state *st)
{
    if (!st) return NULL;
    if (st->stale) compute_logits(st);
    return st->logits;
}
