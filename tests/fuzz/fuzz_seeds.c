/*
 * fuzz_seeds.c - writes the seed corpora of the fuzzers at run time (nothing binary is committed):
 *   OUT/unit_table/  valid unit tables (cs_ut_encode + cs_ut_encode_listen: version 3 with the listening
 *                    section) of a few sizes, each one truncated, and each one as version 2 (no section); each
 *                    with its index (version 5, truncated too, and versions 4 and 3);
 *   OUT/manifest/    a matching manifest, a NUL byte, the same table (the input format of fuzz_manifest.c);
 *   OUT/model_json/  the JSON export of each MODEL given: raw float32 model blobs (tests/fixtures/model_*.bin),
 *                    written as the model files they are (float WAV), then cs_model_export_json.
 * Usage: fuzz_seeds OUT [MODEL.bin...]. Exit status 0, or 1 with a message. Built by tests/fuzz/run_fuzz.sh.
 */
#include "cs_index.h"
#include "cs_model_io.h"
#include "cs_ngram_table.h"
#include "cs_split.h"
#include "cs_unit_table.h"

#include <sndfile.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int write_file(const char *path, const void *a, size_t na, const void *b, size_t nb)
{
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(a, 1, na, f) == na && (!nb || fwrite(b, 1, nb, f) == nb);
    if (f && fclose(f) != 0) ok = 0;
    if (!ok) fprintf(stderr, "fuzz_seeds: cannot write %s\n", path);
    return ok ? 0 : 1;
}

/* A table of nu units (nd descriptors, nl labels, ns sources) into OUT/unit_table and OUT/manifest. */
/* The table of `bv` (no index) with an index of the older version `version` (4: node field 3 reserved, halves;
 * 3: the rows section row by row; cs_index_build_version, leaf 2) and the listening section l, at
 * <out>/unit_table/t<nu>_<nd>_<nl>_index_v<version>; checked with the full parse before it is written. */
static int index_old_seed(const cs_ut_view *bv, uint32_t version, const cs_ut_listen *l, const char *out, uint32_t nu,
                          uint32_t nd, uint32_t nl)
{
    const size_t xn = cs_index_table_size_version(bv, 2, version), total = xn + cs_ut_listen_size(nd, nl);
    float *t = xn ? malloc(total * sizeof *t) : NULL;
    cs_ut_view v;
    int rc = !t || cs_index_build_version(bv, 2, version, t, xn) != 0 ||
             cs_ut_encode_listen(t, xn, total, l) != CS_UT_OK || cs_ut_parse(t, total, 1, &v) != CS_UT_OK ||
             v.index_version != version || !v.has_listen;
    if (rc) fprintf(stderr, "fuzz_seeds: the index version %u copy of a %u-unit table does not parse\n", version, nu);
    char path[512];
    snprintf(path, sizeof path, "%s/unit_table/t%u_%u_%u_index_v%u", out, nu, nd, nl, version);
    if (!rc) rc = write_file(path, t, total * sizeof *t, NULL, 0);
    free(t);
    return rc;
}

static int table_seed(const char *out, uint32_t nu, uint32_t nd, uint32_t nl, uint32_t ns)
{
    uint64_t start[64], length[64];
    int32_t label[64], source[64], succ[64];
    float desc[64 * 8];
    for (uint32_t u = 0; u < nu; ++u) {
        start[u] = 100u * u;
        length[u] = 100;
        label[u] = (int32_t)(u % nl);
        source[u] = (int32_t)(u * ns / nu);
        succ[u] = u + 1 < nu && source[u + 1] == source[u] ? (int32_t)u + 1 : -1;
        for (uint32_t k = 0; k < nd; ++k)
            desc[u * nd + k] = (float)((int)(u * 7 + k * 3) % 11 - 5) * 0.25f;
    }
    const size_t base = cs_ut_size(nu, nd, nl), n = base + cs_ut_listen_size(nd, nl);
    float *t = malloc(n * sizeof *t);
    float stats[3 * 8];
    for (uint32_t k = 0; k < nd; ++k)
        stats[k] = -1.0f + (float)k, stats[nd + k] = 0.5f + (float)k, stats[2 * nd + k] = (float)(k % 3);
    cs_ut_listen l = {.frame = {48000.0f, 2048, 512, 40, 20.0f, 16000.0f, 0.85f, 0.15f, 50.0f, 2000.0f},
                      .segmentation = 0,
                      .grain_len = 100,
                      .grain_hop = 100,
                      .onset_threshold = 0.5f,
                      .onset_delta = 0.1f,
                      .onset_median_s = 0.1f,
                      .onset_min_len_s = 0.05f,
                      .onset_max_len_s = 2.0f,
                      .onset_pre_s = 0.005f,
                      .onset_refine_s = 0.03f,
                      .mean_flux = 0.04f,
                      .center = stats,
                      .scale = stats + nd,
                      .weight = stats + 2 * nd};
    if (!t ||
        cs_ut_encode(t, nu, nd, nl, ns, -1, 48000.0, 1, 100u * nu, start, length, label, source, succ, desc) !=
            CS_UT_OK ||
        cs_ut_encode_listen(t, base, n, &l) != CS_UT_OK) {
        fprintf(stderr, "fuzz_seeds: cannot encode a %u-unit table\n", nu);
        free(t);
        return 1;
    }
    char path[512], man[2048];
    int len = snprintf(man, sizeof man,
                       "{\"format\": \"concatseq-corpus\", \"version\": 1, \"units\": %u, \"labels\": %u, "
                       "\"unit_table_checksum\": \"fnv1a64:0123456789abcdef\", \"sources\": [",
                       nu, nl);
    for (uint32_t s = 0; s < ns; ++s)
        len += snprintf(man + len, sizeof man - (size_t)len, "%s{\"path\": \"/a%u.wav\", \"frames\": 100}",
                        s ? ", " : "", s);
    len += snprintf(man + len, sizeof man - (size_t)len, "]}");
    int rc = 0;
    snprintf(path, sizeof path, "%s/unit_table/t%u_%u_%u", out, nu, nd, nl);
    rc |= write_file(path, t, n * sizeof *t, NULL, 0);
    snprintf(path, sizeof path, "%s/unit_table/t%u_%u_%u_trunc", out, nu, nd, nl);
    rc |= write_file(path, t, (n / 2) * sizeof *t, NULL, 0);
    /* the same table as version 2: 20 header floats, offsets 4 lower, no listening section */
    float *t2 = malloc(base * sizeof *t2);
    if (!t2) rc = 1;
    if (t2) {
        const size_t dh = CS_UT_HEADER - CS_UT_HEADER_V2;
        memcpy(t2, t, CS_UT_HEADER_V2 * sizeof *t2);
        memcpy(t2 + CS_UT_HEADER_V2, t + CS_UT_HEADER, (base - CS_UT_HEADER) * sizeof *t2);
        t2[CS_UT_H_VERSION] = (float)CS_UT_VERSION_2;
        t2[CS_UT_H_HEADER_SIZE] = (float)CS_UT_HEADER_V2;
        t2[CS_UT_H_RESERVED_V2] = 0.0f;
        for (int f = CS_UT_H_LABELS_OFFSET_HI; f <= CS_UT_H_MEMBERS_OFFSET_HI; f += 2) {
            const uint64_t o = cs_ut_join(t[f], t[f + 1]) - dh;
            t2[f] = (float)(o / 65536u);
            t2[f + 1] = (float)(o % 65536u);
        }
        snprintf(path, sizeof path, "%s/unit_table/t%u_%u_%u_v2", out, nu, nd, nl);
        rc |= write_file(path, t2, (base - dh) * sizeof *t2, NULL, 0);
        free(t2);
    }
    /* the same table with the nearest-neighbour index (version 5, leaf 2: internal nodes with split dimensions,
     * boxes, the rows section in blocks of 8 with +0 padding lanes) before the listening section, as `concatseq
     * analyze` writes it, truncated inside the index, and with index versions 4 and 3 (the rows section row by row) */
    cs_ut_view bv;
    const size_t xn = nd > 0 && cs_ut_parse(t, n, 1, &bv) == CS_UT_OK ? cs_index_table_size(&bv, 2) : 0;
    float *tx = xn ? malloc((xn + cs_ut_listen_size(nd, nl)) * sizeof *tx) : NULL;
    if (xn && (!tx || cs_index_build(&bv, 2, tx, xn) != 0 ||
               cs_ut_encode_listen(tx, xn, xn + cs_ut_listen_size(nd, nl), &l) != CS_UT_OK)) {
        fprintf(stderr, "fuzz_seeds: cannot index a %u-unit table\n", nu);
        rc = 1;
    } else if (tx) {
        snprintf(path, sizeof path, "%s/unit_table/t%u_%u_%u_index", out, nu, nd, nl);
        rc |= write_file(path, tx, (xn + cs_ut_listen_size(nd, nl)) * sizeof *tx, NULL, 0);
        snprintf(path, sizeof path, "%s/unit_table/t%u_%u_%u_index_trunc", out, nu, nd, nl);
        rc |= write_file(path, tx, (base + (xn - base) / 2) * sizeof *tx, NULL, 0);
        rc |= index_old_seed(&bv, CS_UT_INDEX_VERSION_4, &l, out, nu, nd, nl);
        rc |= index_old_seed(&bv, CS_UT_INDEX_VERSION_3, &l, out, nu, nd, nl);
    }
    free(tx);
    snprintf(path, sizeof path, "%s/manifest/m%u_%u_%u", out, nu, nd, nl);
    rc |= write_file(path, man, (size_t)len + 1, t, n * sizeof *t); /* the text's NUL separates the two */
    free(t);
    return rc;
}

/* The raw float32 blob at `bin` as a model file (mono float WAV) at `wav`, then its JSON export at `json`. */
static int model_seed(const char *bin, const char *wav, const char *json)
{
    FILE *f = fopen(bin, "rb");
    float *w = NULL;
    long bytes = -1;
    if (f && fseek(f, 0, SEEK_END) == 0) bytes = ftell(f);
    if (bytes > 0 && fseek(f, 0, SEEK_SET) == 0 && (w = malloc((size_t)bytes)) &&
        fread(w, 1, (size_t)bytes, f) != (size_t)bytes) {
        free(w);
        w = NULL;
    }
    if (f) fclose(f);
    SF_INFO info = {.samplerate = 48000, .channels = 1, .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT};
    SNDFILE *sf = w ? sf_open(wav, SFM_WRITE, &info) : NULL;
    int ok = sf && sf_write_float(sf, w, bytes / 4) == bytes / 4;
    if (sf) sf_close(sf);
    free(w);
    if (!ok || cs_model_export_json(wav, json, NULL) != 0) {
        fprintf(stderr, "fuzz_seeds: cannot make a JSON seed of %s\n", bin);
        return 1;
    }
    return 0;
}

/* A mixture seed for fuzz_model_parse (raw little-endian float32): a GRU (V 4, H 16, 1 layer, small weights) and
 * an order-2 n-gram table after it (cs_ngram_table.h: the empty history with all 4 labels, and history BOS
 * with labels 0 and 2), weight 0.5 on the network. */
/* Write the raw floats of buf (n) as OUT/model_parse/NAME (little-endian hosts only, as the fuzzers) and free buf.
 * 0 or 1. */
static int write_model_seed(const char *out, const char *name, float *buf, size_t n)
{
    char path[512];
    snprintf(path, sizeof path, "%s/model_parse", out);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/model_parse/%s", out, name);
    FILE *f = fopen(path, "wb");
    const int bad = !f || fwrite(buf, sizeof *buf, n, f) != n;
    if (f) fclose(f);
    free(buf);
    return bad;
}

/* A seed with descriptor inputs (models/FORMAT.md): a GRU (V 4, H 16, 1 layer) with Din 5 and duration statistics. */
static int desc_seed(const char *out)
{
    const cs_model_config c = {CS_MODEL_GRU, 4, 16, 1, 0, 0, 0, 5};
    const size_t P = cs_model_param_count(&c), n = CS_MODEL_HEADER_FLOATS + P;
    float *buf = calloc(n, sizeof *buf);
    if (!buf) return 1;
    for (size_t i = 0; i < P; ++i)
        buf[CS_MODEL_HEADER_FLOATS + i] = 0.01f * (float)((int)(i % 5) - 2);
    cs_model_meta m;
    memset(&m, 0, sizeof m);
    m.train_loss_bits = m.val_loss_bits = -1.0f;
    m.desc_dur_mean = -2.0f;
    m.desc_dur_std = 0.5f;
    cs_model_view v;
    if (cs_model_header_build(&c, &m, buf + CS_MODEL_HEADER_FLOATS, P, buf) != 0 || cs_model_parse(buf, n, &v) != 0) {
        fprintf(stderr, "fuzz_seeds: the descriptor-input seed does not parse\n");
        free(buf);
        return 1;
    }
    return write_model_seed(out, "desc", buf, n);
}

static int mixture_seed(const char *out)
{
    const cs_model_config c = {CS_MODEL_GRU, 4, 16, 1, 0, 0, 0, 0};
    const size_t P = cs_model_param_count(&c);
    static const float tab[] = {(float)CS_NGT_MAGIC, CS_NGT_VERSION, 4, 2, 0, 1, 0, 4, 0, 1, 0, 2,
                                /* order 1: one context (no labels): g, first (0, 0), 4 successors */
                                0.2f, 0, 0, 4, 0, 0.2f, 1, 0.2f, 2, 0.2f, 3, 0.2f,
                                /* order 2: history BOS (4): g, first (0, 0), 2 successors */
                                4, 0.5f, 0, 0, 2, 0, 0.3f, 2, 0.2f};
    const size_t T = sizeof tab / sizeof tab[0], n = CS_MODEL_HEADER_FLOATS + P + T;
    float *buf = calloc(n, sizeof *buf);
    if (!buf) return 1;
    for (size_t i = 0; i < P; ++i)
        buf[CS_MODEL_HEADER_FLOATS + i] = 0.01f * (float)((int)(i % 7) - 3);
    if (cs_model_header_build(&c, NULL, buf + CS_MODEL_HEADER_FLOATS, P, buf) != 0) return 1;
    cs_split_put(buf + CS_MH_NGRAM_FLOATS, 2, T);
    buf[CS_MH_NET_WEIGHT] = 0.5f;
    memcpy(buf + CS_MODEL_HEADER_FLOATS + P, tab, sizeof tab);
    cs_model_view v;
    if (cs_model_parse(buf, n, &v) != 0 || v.ngram_floats != T) {
        fprintf(stderr, "fuzz_seeds: the mixture seed does not parse\n");
        free(buf);
        return 1;
    }
    return write_model_seed(out, "mixture", buf, n);
}

/* Half-precision seeds (models/FORMAT.md "Half-precision weights"): a GRU (V 4, H 16, 2 layers) and a
 * transformer (V 5, D 32, 1 layer, 2 heads, context 4) with weights stored as halves (an odd weight count for
 * the GRU: the pad is exercised), as raw floats for fuzz_model_parse and as their JSON export ("weights":
 * "half") for fuzz_model_json. */
static int half_seeds(const char *out)
{
    const cs_model_config cfgs[2] = {{CS_MODEL_GRU, 5, 16, 2, 0, 0, 0, 0},
                                     {CS_MODEL_TRANSFORMER, 5, 32, 1, 2, 4, 128, 0}};
    const char *names[2] = {"half_gru", "half_transformer"};
    int bad = 0;
    for (int m = 0; m < 2; ++m) {
        const size_t P = cs_model_param_count(&cfgs[m]);
        float *w = malloc(P * sizeof *w), *buf = NULL;
        size_t n = 0;
        char wav[512], path[512];
        snprintf(wav, sizeof wav, "%s/%s.wav", out, names[m]);
        for (size_t i = 0; w && i < P; ++i)
            w[i] = 0.013f * (float)((int)(i % 11) - 5);
        cs_model_view v;
        if (!w || cs_model_file_write_prec(wav, &cfgs[m], NULL, w, P, NULL, 0, 1.0f, CS_MODEL_PRECISION_HALF) != 0 ||
            cs_model_file_read(wav, &buf, &n) != 0 || cs_model_parse(buf, n, &v) != 0 ||
            v.precision != CS_MODEL_PRECISION_HALF) {
            fprintf(stderr, "fuzz_seeds: the %s seed does not parse\n", names[m]);
            bad = 1;
        } else {
            snprintf(path, sizeof path, "%s/model_parse/%s", out, names[m]);
            FILE *f = fopen(path, "wb");
            bad |= !f || fwrite(buf, sizeof *buf, n, f) != n;
            if (f) fclose(f);
            snprintf(path, sizeof path, "%s/model_json/%s.json", out, names[m]);
            bad |= cs_model_export_json(wav, path, NULL) != 0;
        }
        remove(wav);
        free(buf);
        free(w);
    }
    return bad;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: fuzz_seeds OUT [MODEL.bin...]\n");
        return 1;
    }
    const char *out = argv[1];
    const char *sub[] = {"unit_table", "manifest", "model_json"};
    char path[512];
    for (int i = 0; i < 3; ++i) {
        snprintf(path, sizeof path, "%s/%s", out, sub[i]);
        mkdir(path, 0755);
    }
    int rc = table_seed(out, 1, 0, 1, 1) | table_seed(out, 6, 3, 2, 2) | table_seed(out, 40, 8, 5, 3);
    rc |= mixture_seed(out);
    rc |= desc_seed(out);
    rc |= half_seeds(out);
    for (int m = 2; m < argc; ++m) {
        const char *base = strrchr(argv[m], '/');
        char wav[512];
        snprintf(path, sizeof path, "%s/model_json/%s.json", out, base ? base + 1 : argv[m]);
        snprintf(wav, sizeof wav, "%s/%s.wav", out, base ? base + 1 : argv[m]);
        rc |= model_seed(argv[m], wav, path);
        remove(wav);
    }
    return rc;
}
