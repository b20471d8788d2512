/* cs_model_cli.c - `concatseq train | eval | sample | export-json | import-json`. See cs_model_cli.h. */
#include "cs_model_cli.h"

#include "cs_cli.h"
#include "cs_error.h"
#include "cs_model.h"
#include "cs_model_io.h"
#include "cs_ngram.h"
#include "cs_progress.h"
#include "cs_select.h"
#include "cs_seqpredict.h"
#include "cs_train.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

unsigned long long cs_bundle_checksum(const cs_bundle *b)
{
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(b->manifest, "unit_table_checksum");
    if (!cJSON_IsString(c)) return 0;
    const char *hex = strchr(c->valuestring, ':');
    return hex ? strtoull(hex + 1, NULL, 16) : 0;
}

static const char *arch_name(int arch)
{
    return arch == CS_MODEL_TRANSFORMER ? "transformer" : "gru";
}

/* ------------------------------------------------------------------------------------------------ train */

typedef struct train_ui {
    cs_progress prog;
    int quiet;
} train_ui;

static int on_epoch(void *user, const cs_train_epoch_info *e)
{
    train_ui *ui = user;
    char detail[160];
    snprintf(detail, sizeof detail, "train %.4f val %.4f bits/label %.2f s%s", e->train_bits, e->val_bits, e->seconds,
             e->is_best ? " *" : "");
    if (ui->prog.mode == CS_PROGRESS_LINES) {
        cs_progress_report(&ui->prog, "train", (size_t)e->epoch, (size_t)e->epochs, detail);
        return 0;
    }
    if (!ui->quiet) {
        cs_progress_finish(&ui->prog);
        printf("epoch %3d/%d  train %.4f  val %.4f bits/label  lr %.2e  %.2f s%s\n", e->epoch, e->epochs, e->train_bits,
               e->val_bits, (double)e->lr, e->seconds, e->is_best ? "  (best)" : "");
        fflush(stdout);
        cs_progress_report(&ui->prog, "train", (size_t)e->epoch, (size_t)e->epochs, "");
    }
    return 0;
}

static void usage_train(FILE *f)
{
    fprintf(f, "usage: concatseq train BUNDLE [-o MODEL] [options]\n"
               "Fits a GRU or causal transformer to the bundle's label sequence (one sequence per source, units in\n"
               "time order); the last --val-fraction of each source is held out for validation and early stopping.\n"
               "  -o, --output MODEL     model file (default BUNDLE/model.wav); --force replaces an existing one\n"
               "  --arch gru|transformer (default gru)\n"
               "  --hidden N             GRU hidden size 16..256 / transformer width 32..128 (default 64)\n"
               "  --layers N             1..2 (GRU), 1..4 (transformer) (default 2)\n"
               "  --heads N              transformer heads, dividing the width (default 8)\n"
               "  --context N            transformer context 1..128 labels (default 64)\n"
               "  --epochs N (30)  --window T (GRU: training labels / 8 within 16..64; transformer 2 x context)\n"
               "  --batch N              windows per step (default: training windows / 16, clamped to 4..32)\n"
               "  --lr X (GRU 3e-3, transformer 1e-3)  --clip X (1.0, 0 = off)  --dropout P (0)\n"
               "  --weight-decay X (0)  --warmup N (20)  --constant-lr (no cosine decay)\n"
               "  --patience N (5, 0 = no early stopping)  --val-fraction F (0.1)\n"
               "  --seed N (1)  --threads N (online CPUs)\n"
               "  --progress bar|lines|none  --quiet\n");
}

int cs_cmd_train(int argc, char **argv)
{
    const char *bundle = NULL, *out = NULL;
    int arch = CS_TRAIN_GRU, force = 0, quiet = 0, pmode = CS_PROGRESS_AUTO;
    int hidden = -1, layers = -1, heads = -1, context = -1, epochs = -1, window = -1, batch = -1, warmup = -1;
    int patience = -1, constant = 0;
    double lr = -1, clip = -2, dropout = -1, wd = -1, valf = -1;
    uint64_t seed = 1;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    int threads = cpus > 0 ? (int)cpus : 1;
    for (int i = 1; i < argc; ++i) {
        const char *a = argv[i];
        if (a[0] != '-') {
            if (bundle) return cs_cli_fail("train", "unexpected argument %s", a);
            bundle = a;
            continue;
        }
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage_train(stdout);
            return 0;
        }
        if (!strcmp(a, "--force")) {
            force = 1;
            continue;
        }
        if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
            quiet = 1;
            continue;
        }
        if (!strcmp(a, "--constant-lr")) {
            constant = 1;
            continue;
        }
        const char *v = i + 1 < argc ? argv[++i] : NULL;
        if (!v) return cs_cli_fail("train", "%s: missing value", a);
        int bad = 0;
#define OPT(n) (!strcmp(a, n))
        if (OPT("-o") || OPT("--output"))
            out = v;
        else if (OPT("--arch")) {
            if (!strcmp(v, "gru"))
                arch = CS_TRAIN_GRU;
            else if (!strcmp(v, "transformer"))
                arch = CS_TRAIN_TRANSFORMER;
            else
                bad = 1;
        } else if (OPT("--hidden") || OPT("--width"))
            bad = cs_cli_parse_int(v, &hidden);
        else if (OPT("--layers"))
            bad = cs_cli_parse_int(v, &layers);
        else if (OPT("--heads"))
            bad = cs_cli_parse_int(v, &heads);
        else if (OPT("--context"))
            bad = cs_cli_parse_int(v, &context);
        else if (OPT("--epochs"))
            bad = cs_cli_parse_int(v, &epochs) || epochs < 1;
        else if (OPT("--window"))
            bad = cs_cli_parse_int(v, &window) || window < 1;
        else if (OPT("--batch"))
            bad = cs_cli_parse_int(v, &batch) || batch < 1;
        else if (OPT("--warmup"))
            bad = cs_cli_parse_int(v, &warmup) || warmup < 0;
        else if (OPT("--patience"))
            bad = cs_cli_parse_int(v, &patience) || patience < 0;
        else if (OPT("--lr"))
            bad = cs_cli_parse_double(v, &lr) || !(lr > 0.0);
        else if (OPT("--clip"))
            bad = cs_cli_parse_double(v, &clip) || clip < 0.0;
        else if (OPT("--dropout"))
            bad = cs_cli_parse_double(v, &dropout) || dropout < 0.0 || dropout > 0.9;
        else if (OPT("--weight-decay"))
            bad = cs_cli_parse_double(v, &wd) || wd < 0.0;
        else if (OPT("--val-fraction"))
            bad = cs_cli_parse_double(v, &valf) || valf < 0.0 || valf > 0.5;
        else if (OPT("--seed"))
            bad = cs_cli_parse_u64(v, &seed);
        else if (OPT("--threads"))
            bad = cs_cli_parse_int(v, &threads) || threads < 1 || threads > 256;
        else if (OPT("--progress")) {
            if (!strcmp(v, "bar"))
                pmode = CS_PROGRESS_BAR;
            else if (!strcmp(v, "lines"))
                pmode = CS_PROGRESS_LINES;
            else if (!strcmp(v, "none"))
                pmode = CS_PROGRESS_NONE;
            else
                bad = 1;
        } else
            return cs_cli_fail("train", "unknown option %s (see `concatseq train --help`)", a);
#undef OPT
        if (bad) return cs_cli_fail("train", "%s %s: not a valid value", a, v);
    }
    if (!bundle) return cs_cli_fail("train", "no BUNDLE given (usage: concatseq train BUNDLE [-o MODEL])");
    cs_bundle b;
    char err[1024] = "";
    if (cs_bundle_read(bundle, &b, err, sizeof err)) return cs_cli_fail("train", "%s", err);
    char *defpath = out ? NULL : cs_default_model_path(bundle);
    const char *path = out ? out : defpath;
    int rc = 1;
    int **seqs = NULL;
    size_t *lens = NULL;
    int nseq = 0;
    float *w = NULL;
    if (!force && access(path, F_OK) == 0) {
        cs_cli_fail("train", "%s: already exists (use --force to overwrite)", path);
        goto done;
    }
    const int V = (int)b.view.num_labels;
    cs_train_config cfg;
    cs_train_config_default(&cfg, (cs_train_arch)arch, V);
    if (hidden > 0) cfg.model.width = hidden;
    if (layers > 0) cfg.model.layers = layers;
    if (arch == CS_TRAIN_TRANSFORMER) {
        if (heads > 0) cfg.model.heads = heads;
        if (context > 0) cfg.model.context = context;
        if (window < 0) cfg.window = 2 * cfg.model.context;
    }
    if (epochs > 0) cfg.epochs = epochs;
    if (window > 0) cfg.window = window;
    if (batch > 0) cfg.batch = batch;
    if (warmup >= 0) cfg.warmup_steps = warmup;
    if (patience >= 0) cfg.patience = patience;
    if (lr > 0) cfg.lr = (float)lr;
    if (clip >= 0) cfg.clip_norm = (float)clip;
    if (dropout >= 0) cfg.dropout = (float)dropout;
    if (wd >= 0) cfg.weight_decay = (float)wd;
    if (valf >= 0) cfg.val_fraction = valf;
    if (constant) cfg.cosine = 0;
    cfg.seed = seed;
    cfg.n_threads = threads;
    cs_model_config mc = {arch == CS_TRAIN_TRANSFORMER ? CS_MODEL_TRANSFORMER : CS_MODEL_GRU,
                          V,
                          cfg.model.width,
                          cfg.model.layers,
                          arch == CS_TRAIN_TRANSFORMER ? cfg.model.heads : 0,
                          arch == CS_TRAIN_TRANSFORMER ? cfg.model.context : 0,
                          arch == CS_TRAIN_TRANSFORMER ? 4 * cfg.model.width : 0};
    int ce = cs_model_config_check(&mc);
    if (ce != 0) {
        cs_cli_fail("train",
                    "--arch %s --hidden %d --layers %d%s: %s (GRU: hidden 16..256, 1..2 layers; transformer: "
                    "width 32..128, 1..4 layers, heads dividing the width, context 1..128; at most 4096 labels)",
                    arch_name(mc.arch), mc.width, mc.layers,
                    arch == CS_TRAIN_TRANSFORMER ? " (with --heads/--context)" : "", cs_model_strerror(ce));
        goto done;
    }
    if (cs_label_sequences(&b, &seqs, &lens, &nseq)) {
        cs_cli_fail("train", "out of memory");
        goto done;
    }
    if (window <= 0 && arch == CS_TRAIN_GRU) {
        /* A small corpus gets shorter windows (more of them per epoch): total training labels / 8, 16..64. */
        size_t total = 0;
        for (int s = 0; s < nseq; ++s)
            total += cs_train_split(lens[s], cfg.val_fraction);
        size_t win = total / 8;
        cfg.window = win < 16 ? 16 : win > 64 ? 64 : (int)win;
    }
    if (batch <= 0) {
        /* Small corpora have few windows: keep at least ~16 optimiser steps per epoch, up to 32 windows a batch. */
        size_t windows = 0;
        for (int s = 0; s < nseq; ++s) {
            size_t train_len = cs_train_split(lens[s], cfg.val_fraction);
            windows += (train_len + (size_t)cfg.window - 1) / (size_t)cfg.window;
        }
        size_t bsz = windows / 16;
        cfg.batch = bsz < 4 ? 4 : bsz > 32 ? 32 : (int)bsz;
    }
    train_ui ui;
    cs_progress_init(&ui.prog, pmode, quiet);
    ui.quiet = quiet;
    cfg.progress = on_epoch;
    cfg.user = &ui;
    if (!quiet && ui.prog.mode != CS_PROGRESS_LINES)
        printf("training %s (%d layers x %d) on %s: %d labels, %u units in %d source%s, window %d, batch %d\n",
               arch_name(mc.arch), mc.layers, mc.width, bundle, V, b.view.num_units, nseq, nseq == 1 ? "" : "s",
               cfg.window, cfg.batch);
    cs_train_report rep;
    int tr = cs_train_run(&cfg, (const int *const *)seqs, lens, nseq, &w, &rep);
    cs_progress_finish(&ui.prog);
    if (tr) {
        cs_cli_fail("train", "%s: training failed (%s)", bundle,
                    tr == CS_E_EMPTY ? "no training labels" : cs_strerror(tr));
        goto done;
    }
    cs_model_meta meta;
    memset(&meta, 0, sizeof meta);
    meta.corpus_checksum = cs_bundle_checksum(&b);
    meta.seed = seed;
    meta.epochs = (uint32_t)rep.best_epoch;
    meta.train_tokens = (uint32_t)rep.n_train;
    meta.train_loss_bits = (float)rep.train_bits;
    meta.val_loss_bits = isfinite(rep.best_val_bits) ? (float)rep.best_val_bits : -1.0f;
    int we = cs_model_file_write(path, &mc, &meta, w, rep.n_params);
    if (we) {
        cs_cli_fail("train", "%s: cannot write the model (%s)", path, cs_strerror(we));
        goto done;
    }
    if (!quiet)
        printf("wrote %s: %s, %zu weights, best epoch %d of %d%s, train %.4f, validation %.4f bits/label, %.2f s\n",
               path, arch_name(mc.arch), rep.n_params, rep.best_epoch, rep.epochs_run,
               rep.stopped_early ? " (early stop)" : "", rep.train_bits, rep.best_val_bits, rep.seconds);
    rc = 0;
done:
    free(w);
    cs_label_sequences_free(seqs, lens, nseq);
    free(defpath);
    cs_bundle_free(&b);
    return rc;
}

/* ------------------------------------------------------------------------------------------------ eval */

/* Load a model file and check it against a bundle (label count); returns 0 or prints and returns 1. */
static int load_model_for(const char *cmd, const char *path, const cs_bundle *b, float **buf, size_t *n,
                          cs_model_view *view)
{
    int merr = 0;
    int rc = cs_model_file_load(path, buf, n, view, &merr);
    if (rc) {
        if (rc == CS_E_IO) return cs_cli_fail(cmd, "%s: cannot open the model file", path);
        return cs_cli_fail(cmd, "%s: not a valid model file (%s)", path,
                           merr ? cs_model_strerror(merr) : cs_strerror(rc));
    }
    if ((uint32_t)view->cfg.vocab != b->view.num_labels) {
        cs_cli_fail(cmd, "%s: the model has %d labels but the bundle %u: it was trained on another corpus", path,
                    view->cfg.vocab, b->view.num_labels);
        free(*buf);
        *buf = NULL;
        return 1;
    }
    return 0;
}

static cs_train_model train_model_of(const cs_model_config *c)
{
    cs_train_model m;
    memset(&m, 0, sizeof m);
    m.arch = c->arch == CS_MODEL_TRANSFORMER ? CS_TRAIN_TRANSFORMER : CS_TRAIN_GRU;
    m.vocab = c->vocab;
    m.width = c->width;
    m.layers = c->layers;
    m.heads = c->heads;
    m.context = c->context;
    return m;
}

int cs_cmd_eval(int argc, char **argv)
{
    const char *bundle = NULL, *model = NULL;
    int json = 0;
    double valf = 0.1;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    int threads = cpus > 0 ? (int)cpus : 1;
    for (int i = 1; i < argc; ++i) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            printf("usage: concatseq eval BUNDLE [MODEL] [--json] [--val-fraction F] [--threads N]\n"
                   "Held-out cross-entropy (bits per label) of the model (default BUNDLE/model.wav; none if it\n"
                   "does not exist) and of unigram, bigram (add-k) and interpolated Kneser-Ney baselines, on the\n"
                   "same split as training: the last F (0.1) of each source.\n");
            return 0;
        }
        if (!strcmp(a, "--json")) {
            json = 1;
            continue;
        }
        if (!strcmp(a, "--val-fraction")) {
            if (i + 1 >= argc || cs_cli_parse_double(argv[++i], &valf) || valf <= 0.0 || valf > 0.5)
                return cs_cli_fail("eval", "--val-fraction: must be in (0, 0.5]");
            continue;
        }
        if (!strcmp(a, "--threads")) {
            if (i + 1 >= argc || cs_cli_parse_int(argv[++i], &threads) || threads < 1)
                return cs_cli_fail("eval", "--threads: must be >= 1");
            continue;
        }
        if (a[0] == '-') return cs_cli_fail("eval", "unknown option %s", a);
        if (!bundle)
            bundle = a;
        else if (!model)
            model = a;
        else
            return cs_cli_fail("eval", "unexpected argument %s", a);
    }
    if (!bundle) return cs_cli_fail("eval", "no BUNDLE given (usage: concatseq eval BUNDLE [MODEL])");
    cs_bundle b;
    char err[1024] = "";
    if (cs_bundle_read(bundle, &b, err, sizeof err)) return cs_cli_fail("eval", "%s", err);
    char *defpath = model ? NULL : cs_default_model_path(bundle);
    const char *path = model ? model : (access(defpath, F_OK) == 0 ? defpath : NULL);
    int rc = 1, **seqs = NULL, nseq = 0;
    size_t *lens = NULL;
    float *buf = NULL;
    size_t nbuf = 0;
    cs_model_view view;
    double model_bits = NAN;
    size_t scored = 0;
    if (path && load_model_for("eval", path, &b, &buf, &nbuf, &view)) goto done;
    if (cs_label_sequences(&b, &seqs, &lens, &nseq)) {
        cs_cli_fail("eval", "out of memory");
        goto done;
    }
    const int V = (int)b.view.num_labels;
    cs_ngram_report ng;
    int e = cs_ngram_baselines((const int *const *)seqs, lens, nseq, V, valf, &ng);
    if (e) {
        cs_cli_fail("eval", "%s: baselines failed (%s)", bundle, cs_strerror(e));
        goto done;
    }
    if (ng.n_val == 0) {
        cs_cli_fail("eval", "%s: no held-out labels (every source is shorter than %.0f units)", bundle, 1.0 / valf);
        goto done;
    }
    if (path) {
        cs_train_model tm = train_model_of(&view.cfg);
        e = cs_train_eval_split(&tm, view.weights, (const int *const *)seqs, lens, nseq, valf, -1, threads, &model_bits,
                                &scored);
        if (e) {
            cs_cli_fail("eval", "%s: evaluation failed (%s)", path, cs_strerror(e));
            goto done;
        }
    }
    if (json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "bundle", bundle);
        cJSON_AddNumberToObject(o, "labels", V);
        cJSON_AddNumberToObject(o, "train_labels", (double)ng.n_train);
        cJSON_AddNumberToObject(o, "heldout_labels", (double)ng.n_val);
        cJSON_AddNumberToObject(o, "val_fraction", valf);
        cJSON *r = cJSON_AddObjectToObject(o, "bits_per_label");
        if (path) {
            cJSON_AddNumberToObject(r, "model", model_bits);
            cJSON_AddStringToObject(o, "model", path);
            cJSON_AddStringToObject(o, "arch", arch_name(view.cfg.arch));
        }
        cJSON_AddNumberToObject(r, "uniform", log2((double)V));
        cJSON_AddNumberToObject(r, "unigram", ng.unigram_bits);
        cJSON_AddNumberToObject(r, "bigram", ng.bigram_bits);
        char key[32];
        for (int k = 2; k <= 5; ++k) {
            snprintf(key, sizeof key, "kneser_ney_%d", k);
            cJSON_AddNumberToObject(r, key, ng.kn_bits[k]);
        }
        cJSON_AddNumberToObject(r, "kneser_ney_best", ng.best_kn_bits);
        cJSON_AddNumberToObject(o, "kneser_ney_best_order", ng.best_order);
        cJSON_AddNumberToObject(o, "unigram_k", ng.unigram_k);
        cJSON_AddNumberToObject(o, "bigram_k", ng.bigram_k);
        char *s = cJSON_Print(o);
        if (s) puts(s);
        free(s);
        cJSON_Delete(o);
    } else {
        printf("held-out cross-entropy on %s: last %.0f%% of each source, %zu labels (%zu for training), %d labels\n",
               bundle, valf * 100.0, ng.n_val, ng.n_train, V);
        printf("  %-34s %8s\n", "model", "bits/label");
        if (path)
            printf("  %-34s %8.4f\n",
                   view.cfg.arch == CS_MODEL_TRANSFORMER ? "transformer (this model)" : "GRU (this model)", model_bits);
        char name[64];
        printf("  %-34s %8.4f\n", "uniform", log2((double)V));
        snprintf(name, sizeof name, "unigram (add-k, k=%g)", ng.unigram_k);
        printf("  %-34s %8.4f\n", name, ng.unigram_bits);
        snprintf(name, sizeof name, "bigram (add-k, k=%g)", ng.bigram_k);
        printf("  %-34s %8.4f\n", name, ng.bigram_bits);
        for (int k = 2; k <= 5; ++k) {
            snprintf(name, sizeof name, "Kneser-Ney, order %d%s", k, k == ng.best_order ? " (best)" : "");
            printf("  %-34s %8.4f\n", name, ng.kn_bits[k]);
        }
        if (path) {
            double best = ng.best_kn_bits < ng.bigram_bits ? ng.best_kn_bits : ng.bigram_bits;
            if (ng.unigram_bits < best) best = ng.unigram_bits;
            printf("model vs best baseline: %+.4f bits/label (%s)\n", model_bits - best,
                   model_bits < best ? "the model predicts better" : "the model does not beat the n-grams");
        }
    }
    rc = 0;
done:
    free(buf);
    cs_label_sequences_free(seqs, lens, nseq);
    free(defpath);
    cs_bundle_free(&b);
    return rc;
}

/* ------------------------------------------------------------------------------------------ JSON export */

int cs_cmd_export_json(int argc, char **argv)
{
    const char *in = NULL, *out = NULL;
    for (int i = 1; i < argc; ++i) {
        if (!strcmp(argv[i], "-o") || !strcmp(argv[i], "--output")) {
            if (i + 1 >= argc) return cs_cli_fail("export-json", "-o: missing value");
            out = argv[++i];
        } else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            printf("usage: concatseq export-json MODEL [-o JSON]   (default: MODEL with .json)\n");
            return 0;
        } else if (argv[i][0] == '-')
            return cs_cli_fail("export-json", "unknown option %s", argv[i]);
        else if (!in)
            in = argv[i];
        else
            return cs_cli_fail("export-json", "unexpected argument %s", argv[i]);
    }
    if (!in) return cs_cli_fail("export-json", "no MODEL given (usage: concatseq export-json MODEL [-o JSON])");
    char def[4200];
    if (!out) {
        snprintf(def, sizeof def, "%s", in);
        char *dot = strrchr(def, '.'), *slash = strrchr(def, '/');
        if (dot && (!slash || dot > slash)) *dot = '\0';
        strncat(def, ".json", sizeof def - strlen(def) - 1);
        out = def;
    }
    int rc = cs_model_export_json(in, out);
    if (rc)
        return cs_cli_fail("export-json", "%s: %s", in,
                           rc == CS_E_IO ? "cannot read the model or write the JSON" : cs_strerror(rc));
    printf("wrote %s\n", out);
    return 0;
}

int cs_cmd_import_json(int argc, char **argv)
{
    const char *in = NULL, *out = NULL;
    int force = 0;
    for (int i = 1; i < argc; ++i) {
        if (!strcmp(argv[i], "-o") || !strcmp(argv[i], "--output")) {
            if (i + 1 >= argc) return cs_cli_fail("import-json", "-o: missing value");
            out = argv[++i];
        } else if (!strcmp(argv[i], "--force"))
            force = 1;
        else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            printf("usage: concatseq import-json JSON -o MODEL [--force]\n");
            return 0;
        } else if (argv[i][0] == '-')
            return cs_cli_fail("import-json", "unknown option %s", argv[i]);
        else if (!in)
            in = argv[i];
        else
            return cs_cli_fail("import-json", "unexpected argument %s", argv[i]);
    }
    if (!in || !out) return cs_cli_fail("import-json", "usage: concatseq import-json JSON -o MODEL");
    if (!force && access(out, F_OK) == 0)
        return cs_cli_fail("import-json", "%s: already exists (use --force to overwrite)", out);
    int rc = cs_model_import_json(in, out);
    if (rc)
        return cs_cli_fail("import-json", "%s: %s", in,
                           rc == CS_E_FORMAT ? "not a ConcatSeq model JSON (config or tensors missing or mis-shaped)"
                                             : cs_strerror(rc));
    printf("wrote %s\n", out);
    return 0;
}

/* ---------------------------------------------------------------------------------------------- sample */

static void *heap_alloc(void *user, size_t bytes)
{
    (void)user;
    return malloc(bytes);
}

static void heap_free(void *user, void *ptr)
{
    (void)user;
    free(ptr);
}

/* "3,1,4" -> labels; returns the count, or -1 on a bad entry. */
static int parse_labels(const char *list, int *out, int cap)
{
    int n = 0;
    const char *p = list;
    while (*p) {
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (end == p || errno || v < 0 || v > 1000000 || n >= cap) return -1;
        out[n++] = (int)v;
        if (*end == ',')
            end++;
        else if (*end)
            return -1;
        p = end;
    }
    return n;
}

int cs_cmd_sample(int argc, char **argv)
{
    const char *bundle = NULL, *model = NULL, *prime = NULL, *policy_name = "random";
    int n = -1, top_k = 0, history = 8, tsv = 0;
    double temperature = 1.0, top_p = 1.0, penalty = 1.0;
    uint64_t seed = 1;
    for (int i = 1; i < argc; ++i) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            printf("usage: concatseq sample BUNDLE [MODEL] -n N [options]\n"
                   "Samples N labels from the model (default BUNDLE/model.wav) with the code SeqPredict runs on the\n"
                   "server (same seed, same labels), and per step the unit ConcatPlay's selection policy picks.\n"
                   "  -n N                   labels to sample (1..1000000)\n"
                   "  --temperature T        0 = most probable label .. 1000 (default 1)\n"
                   "  --top-k K              keep the K most probable labels, 0 = off (default)\n"
                   "  --top-p P              nucleus mass 0..1, 1 = off (default)\n"
                   "  --repetition-penalty R CTRL-style penalty on recent labels, 1 = off (default)\n"
                   "  --history H            labels the penalty looks back on, 0..64 (default 8)\n"
                   "  --prime l1,l2,...      labels fed first (teacher forcing), printed as primed\n"
                   "  --select random|successor|lru   unit selection policy (default random, as ConcatPlay)\n"
                   "  --seed S               (default 1): seeds the sampler and the unit selection\n"
                   "  --tsv                  one tab-separated line per step instead of the label list\n");
            return 0;
        }
        if (!strcmp(a, "--tsv")) {
            tsv = 1;
            continue;
        }
        if (a[0] != '-') {
            if (!bundle)
                bundle = a;
            else if (!model)
                model = a;
            else
                return cs_cli_fail("sample", "unexpected argument %s", a);
            continue;
        }
        const char *v = i + 1 < argc ? argv[++i] : NULL;
        if (!v) return cs_cli_fail("sample", "%s: missing value", a);
        int bad = 0;
        if (!strcmp(a, "-n"))
            bad = cs_cli_parse_int(v, &n) || n < 1 || n > 1000000;
        else if (!strcmp(a, "--temperature"))
            bad = cs_cli_parse_double(v, &temperature) || temperature < 0 || temperature > 1000;
        else if (!strcmp(a, "--top-k"))
            bad = cs_cli_parse_int(v, &top_k) || top_k < 0;
        else if (!strcmp(a, "--top-p"))
            bad = cs_cli_parse_double(v, &top_p) || top_p < 0 || top_p > 1;
        else if (!strcmp(a, "--repetition-penalty"))
            bad = cs_cli_parse_double(v, &penalty) || penalty <= 0 || penalty > 100;
        else if (!strcmp(a, "--history"))
            bad = cs_cli_parse_int(v, &history) || history < 0 || history > CS_SEQP_MAX_HISTORY;
        else if (!strcmp(a, "--prime"))
            prime = v;
        else if (!strcmp(a, "--seed"))
            bad = cs_cli_parse_u64(v, &seed) || (double)seed > CS_SEQP_MAX_SEED;
        else if (!strcmp(a, "--select")) {
            policy_name = v;
            bad = strcmp(v, "random") && strcmp(v, "successor") && strcmp(v, "lru");
        } else
            return cs_cli_fail("sample", "unknown option %s (see `concatseq sample --help`)", a);
        if (bad) return cs_cli_fail("sample", "%s %s: not a valid value", a, v);
    }
    if (!bundle) return cs_cli_fail("sample", "no BUNDLE given (usage: concatseq sample BUNDLE [MODEL] -n N)");
    if (n < 1) return cs_cli_fail("sample", "-n N: the number of labels to sample is required");
    cs_bundle b;
    char err[1024] = "";
    if (cs_bundle_read(bundle, &b, err, sizeof err)) return cs_cli_fail("sample", "%s", err);
    char *defpath = model ? NULL : cs_default_model_path(bundle);
    const char *path = model ? model : defpath;
    int rc = 1, nprime = 0, *primes = NULL;
    float *buf = NULL;
    size_t nbuf = 0;
    void *lru_mem = NULL;
    cs_model_view view;
    cs_seqp sp;
    cs_seqp_init(&sp, seed);
    if (load_model_for("sample", path, &b, &buf, &nbuf, &view)) goto done;
    const int V = view.cfg.vocab;
    if (prime) {
        primes = malloc(strlen(prime) * sizeof *primes + sizeof *primes);
        nprime = primes ? parse_labels(prime, primes, (int)strlen(prime) + 1) : -1;
        if (nprime < 0) {
            cs_cli_fail("sample", "--prime %s: a comma-separated list of labels is expected", prime);
            goto done;
        }
        for (int i = 0; i < nprime; ++i)
            if (primes[i] >= V) {
                cs_cli_fail("sample", "--prime: label %d is out of range (the model has %d labels)", primes[i], V);
                goto done;
            }
    }
    /* bind exactly as the UGen does, block after block, until the weights are verified */
    int st;
    while ((st = cs_seqp_bind(&sp, buf, nbuf, 1, (float)seed, heap_alloc, heap_free, NULL)) == CS_SEQP_VERIFYING) {}
    if (st != CS_SEQP_READY) {
        cs_cli_fail("sample", "%s: the model cannot be used (%s)", path,
                    st == CS_SEQP_NO_MEMORY ? "out of memory" : cs_model_strerror(sp.err));
        goto done;
    }
    cs_sample_params sparams;
    int n_hist = 0;
    cs_seqp_params((float)temperature, (float)top_k, (float)top_p, (float)penalty, (float)history, V, &sparams,
                   &n_hist);
    int policy = !strcmp(policy_name, "successor") ? CS_SELECT_SUCCESSOR
                 : !strcmp(policy_name, "lru")     ? CS_SELECT_LRU
                                                   : CS_SELECT_RANDOM;
    cs_select_state sel;
    cs_select_init(&sel, seed);
    cs_select_lru *lru = NULL;
    if (policy == CS_SELECT_LRU) {
        size_t bytes = cs_select_lru_size(b.view.num_units, b.view.num_labels);
        lru_mem = malloc(bytes ? bytes : 1);
        lru = lru_mem ? cs_select_lru_init(lru_mem, bytes, &b.view) : NULL;
        if (!lru) {
            cs_cli_fail("sample", "out of memory");
            goto done;
        }
    }
    if (tsv) printf("step\tlabel\tprobability\tentropy_bits\tprimed\tunit\tstart_s\tduration_s\n");
    const double sr = b.view.sample_rate;
    for (int i = 0; i < nprime + n; ++i) {
        int primed = i < nprime;
        cs_seqp_step(&sp, primed ? (float)primes[i] : -1.0f, &sparams, n_hist, NULL, 0);
        int label = (int)sp.label;
        uint32_t unit = 0;
        int srst = cs_select_pick(&sel, &b.view, lru, label, policy, NULL, &unit);
        if (tsv) {
            printf("%d\t%d\t%.6f\t%.6f\t%d\t", i - nprime, label, (double)sp.prob, (double)sp.entropy, primed);
            if (srst == CS_SELECT_OK)
                printf("%u\t%.6f\t%.6f\n", unit, (double)cs_ut_unit_start(&b.view, unit) / sr,
                       (double)cs_ut_unit_length(&b.view, unit) / sr);
            else
                printf("-1\t\t\n");
        } else {
            printf("%s%d", i ? " " : "", label);
        }
    }
    if (!tsv) putchar('\n');
    rc = fflush(stdout) != 0;
done:
    cs_seqp_release(&sp, heap_free, NULL);
    free(lru_mem);
    free(primes);
    free(buf);
    free(defpath);
    cs_bundle_free(&b);
    return rc;
}
