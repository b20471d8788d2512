/* cs_model_cli.c - `concatseq train | eval | sample | export-json | import-json`. See cs_model_cli.h. */
#include "cs_model_cli.h"

#include "cs_cli.h"
#include "cs_error.h"
#include "cs_label_file.h"
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

static const char *arch_name(int arch)
{
    const char *n = cs_model_arch_name(arch);
    return n ? n : "unknown";
}

/* ------------------------------------------------------------------------------------------------ train */

typedef struct train_ui {
    cs_progress prog;
    int quiet;
} train_ui;

/* "train 2.9 val 3.1 bits/label" or, for a corpus too small to hold out labels, "train 2.9 bits/label no
 * validation" (never "val nan"); sep separates the parts. */
static void loss_text(char *buf, size_t n, double train_bits, double val_bits, const char *sep)
{
    if (isfinite(val_bits))
        snprintf(buf, n, "train %.4f%sval %.4f bits/label", train_bits, sep, val_bits);
    else
        snprintf(buf, n, "train %.4f bits/label%sno validation", train_bits, sep);
}

static int on_epoch(void *user, const cs_train_epoch_info *e)
{
    train_ui *ui = user;
    char detail[192], loss[96];
    const int best = e->is_best && isfinite(e->val_bits);
    if (ui->prog.mode == CS_PROGRESS_LINES) {
        loss_text(loss, sizeof loss, e->train_bits, e->val_bits, " ");
        snprintf(detail, sizeof detail, "%s %.2f s%s", loss, e->seconds, best ? " *" : "");
        cs_progress_report(&ui->prog, "train", (size_t)e->epoch, (size_t)e->epochs, detail);
        return 0;
    }
    if (!ui->quiet) {
        loss_text(loss, sizeof loss, e->train_bits, e->val_bits, "  ");
        cs_progress_finish(&ui->prog);
        printf("epoch %3d/%d  %s  lr %.2e  %.2f s%s\n", e->epoch, e->epochs, loss, (double)e->lr, e->seconds,
               best ? "  (best)" : "");
        fflush(stdout);
        cs_progress_report(&ui->prog, "train", (size_t)e->epoch, (size_t)e->epochs, "");
    }
    return 0;
}

static void usage_train(FILE *f)
{
    fprintf(f,
            "usage: concatseq train BUNDLE [-o MODEL] [options]\n"
            "Fits a GRU or causal transformer to the bundle's label sequence (one sequence per source, units in\n"
            "time order); the last --val-fraction of each source is held out for validation and early stopping.\n"
            "Defaults are the trainer's (cs_train_config_default); an option given here overrides one of them.\n"
            "  -o, --output MODEL     model file (default BUNDLE/model.wav); --force replaces an existing one\n"
            "  --arch gru|transformer (default gru)\n"
            "  --hidden N             GRU hidden size %d..%d / transformer width %d..%d (default 64)\n"
            "  --layers N             1..%d (GRU), 1..%d (transformer) (default 2)\n"
            "  --heads N              transformer heads, dividing the width (default 8)\n"
            "  --context N            transformer context 1..%d labels (default 64)\n"
            "  --epochs N (30)  --window T (GRU: training labels / 8 within 16..64; transformer 2 x context)\n"
            "  --batch N              windows per step (default: training windows / 16, clamped to 4..32)\n"
            "  --lr X (GRU 3e-3, transformer 1e-3)  --clip X (1.0, 0 = off)  --dropout P (0)\n"
            "  --weight-decay X (0)  --warmup N (20)  --constant-lr (no cosine decay)\n"
            "  --patience N (5, 0 = no early stopping)  --val-fraction F (0.1)\n"
            "  --seed N (1)  --threads N (online CPUs; the model does not depend on it)\n"
            "  --progress bar|lines|none  --quiet\n"
            "  --labels FILE          train on this label sequence instead of the corpus order: integers\n"
            "                         0..labels-1 separated by white space, a blank line between sources, # starts\n"
            "                         a comment (ConcatSeqLabelRecorder writes one); validation split as above\n"
            "A corpus whose every source is shorter than 1 / F labels has no validation part: it is then trained\n"
            "without validation (said so, no early stopping, the last epoch is kept).\n",
            CS_MODEL_GRU_MIN_H, CS_MODEL_GRU_MAX_H, CS_MODEL_TF_MIN_D, CS_MODEL_TF_MAX_D, CS_MODEL_GRU_MAX_LAYERS,
            CS_MODEL_TF_MAX_LAYERS, CS_MODEL_TF_MAX_CONTEXT);
}

/* What the user typed for `train`; -1 (or NULL) = not given, the trainer's default applies. */
typedef struct train_opts {
    const char *bundle, *out, *labels; /* labels: --labels FILE, NULL = the corpus order */
    int arch, force, quiet, pmode, constant, threads;
    int hidden, layers, heads, context, epochs, window, batch, warmup, patience, seed_given;
    double lr, clip, dropout, wd, valf;
    uint64_t seed;
} train_opts;

/* One option with a value into *o; returns 0, or 1 when the value is bad, or 2 for an unknown option. */
static int train_option(const char *a, const char *v, train_opts *o)
{
#define OPT(n) (!strcmp(a, n))
    if (OPT("-o") || OPT("--output")) {
        o->out = v;
        return 0;
    }
    if (OPT("--labels")) return (o->labels = v, 0);
    if (OPT("--arch")) return (o->arch = cs_model_arch_from_name(v)) < 0;
    if (OPT("--hidden") || OPT("--width")) return cs_cli_parse_int(v, &o->hidden);
    if (OPT("--layers")) return cs_cli_parse_int(v, &o->layers);
    if (OPT("--heads")) return cs_cli_parse_int(v, &o->heads);
    if (OPT("--context")) return cs_cli_parse_int(v, &o->context);
    if (OPT("--epochs")) return cs_cli_parse_int(v, &o->epochs) || o->epochs < 1;
    if (OPT("--window")) return cs_cli_parse_int(v, &o->window) || o->window < 1;
    if (OPT("--batch")) return cs_cli_parse_int(v, &o->batch) || o->batch < 1;
    if (OPT("--warmup")) return cs_cli_parse_int(v, &o->warmup) || o->warmup < 0;
    if (OPT("--patience")) return cs_cli_parse_int(v, &o->patience) || o->patience < 0;
    if (OPT("--lr")) return cs_cli_parse_double(v, &o->lr) || !(o->lr > 0.0);
    if (OPT("--clip")) return cs_cli_parse_double(v, &o->clip) || o->clip < 0.0;
    if (OPT("--dropout")) return cs_cli_parse_double(v, &o->dropout) || o->dropout < 0.0 || o->dropout > 0.9;
    if (OPT("--weight-decay")) return cs_cli_parse_double(v, &o->wd) || o->wd < 0.0;
    if (OPT("--val-fraction")) return cs_cli_parse_double(v, &o->valf) || o->valf < 0.0 || o->valf > 0.5;
    if (OPT("--seed")) return (o->seed_given = 1, cs_cli_parse_u64(v, &o->seed));
    if (OPT("--threads")) return cs_cli_parse_int(v, &o->threads) || o->threads < 1 || o->threads > 256;
    if (OPT("--progress")) return (o->pmode = cs_progress_mode_from_name(v)) < 0;
#undef OPT
    return 2;
}

/* Parse argv into *o. Returns 0 (go on), 1 (error printed) or 2 (--help printed). */
static int train_parse(int argc, char **argv, train_opts *o)
{
    memset(o, 0, sizeof *o);
    o->arch = CS_MODEL_GRU;
    o->pmode = CS_PROGRESS_AUTO;
    o->hidden = o->layers = o->heads = o->context = o->epochs = o->window = o->batch = o->warmup = -1;
    o->patience = -1;
    o->lr = o->clip = o->dropout = o->wd = o->valf = -1.0;
    const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    o->threads = cpus > 0 ? (int)cpus : 1;
    for (int i = 1; i < argc; ++i) {
        const char *a = argv[i];
        if (a[0] != '-') {
            if (o->bundle) return cs_cli_fail("train", "unexpected argument %s", a);
            o->bundle = a;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage_train(stdout);
            return 2;
        } else if (!strcmp(a, "--force")) {
            o->force = 1;
        } else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
            o->quiet = 1;
        } else if (!strcmp(a, "--constant-lr")) {
            o->constant = 1;
        } else {
            const char *v = i + 1 < argc ? argv[++i] : NULL;
            if (!v) return cs_cli_fail("train", "%s: missing value", a);
            const int bad = train_option(a, v, o);
            if (bad == 2) return cs_cli_fail("train", "unknown option %s (see `concatseq train --help`)", a);
            if (bad) return cs_cli_fail("train", "%s %s: not a valid value", a, v);
        }
    }
    if (!o->bundle) return cs_cli_fail("train", "no BUNDLE given (usage: concatseq train BUNDLE [-o MODEL])");
    return 0;
}

/* The trainer's defaults for V labels, overridden only where the user typed an option. */
static void train_config(const train_opts *o, int V, cs_train_config *cfg)
{
    cs_train_config_default(cfg, o->arch, V);
    cs_model_config *m = &cfg->model;
    if (o->hidden > 0) m->width = o->hidden;
    if (o->layers > 0) m->layers = o->layers;
    if (o->arch == CS_MODEL_TRANSFORMER) {
        if (o->heads > 0) m->heads = o->heads;
        if (o->context > 0) m->context = o->context;
        m->d_ff = CS_MODEL_TF_FF_MULT * m->width;
    }
    if (o->epochs > 0) cfg->epochs = o->epochs;
    if (o->window > 0) cfg->window = o->window;
    if (o->batch > 0) cfg->batch = o->batch;
    if (o->warmup >= 0) cfg->warmup_steps = o->warmup;
    if (o->patience >= 0) cfg->patience = o->patience;
    if (o->lr > 0) cfg->lr = (float)o->lr;
    if (o->clip >= 0) cfg->clip_norm = (float)o->clip;
    if (o->dropout >= 0) cfg->dropout = (float)o->dropout;
    if (o->wd >= 0) cfg->weight_decay = (float)o->wd;
    if (o->valf >= 0) cfg->val_fraction = o->valf;
    if (o->constant) cfg->cosine = 0;
    if (o->seed_given) cfg->seed = o->seed;
    cfg->n_threads = o->threads;
}

/* One line saying what will be trained, and plainly when there is no validation part. */
static void train_announce(const train_opts *o, const cs_train_config *cfg, const cs_bundle *b, const size_t *lens,
                           int nseq, int lines)
{
    const cs_model_config *m = &cfg->model;
    const int T = cs_train_auto_window(cfg, lens, nseq), B = cs_train_auto_batch(cfg, T, lens, nseq);
    size_t n_val = 0;
    for (int s = 0; s < nseq; ++s)
        n_val += lens[s] - cs_train_split(lens[s], cfg->val_fraction);
    if (!o->quiet && n_val == 0)
        printf("training without validation: every source of %s is shorter than %.0f labels (--val-fraction %g), so "
               "no labels are held out; early stopping is off and the last epoch's weights are kept\n",
               cs_cli_safe(o->bundle), cfg->val_fraction > 0 ? ceil(1.0 / cfg->val_fraction) : 0.0, cfg->val_fraction);
    if (!o->quiet && !lines && o->labels) { /* --labels FILE */
        size_t total = 0;
        for (int s = 0; s < nseq; ++s)
            total += lens[s];
        printf("training %s (%d layers x %d) on %s: %d labels; sequence %s: %zu labels in %d part%s, window %d, "
               "batch %d\n",
               arch_name(m->arch), m->layers, m->width, cs_cli_safe(o->bundle), m->vocab, cs_cli_safe(o->labels), total,
               nseq, nseq == 1 ? "" : "s", T, B);
    } else if (!o->quiet && !lines)
        printf("training %s (%d layers x %d) on %s: %d labels, %u units in %d source%s, window %d, batch %d\n",
               arch_name(m->arch), m->layers, m->width, cs_cli_safe(o->bundle), m->vocab, b->view.num_units, nseq,
               nseq == 1 ? "" : "s", T, B);
}

/* Train on the bundle's sequences and write the model; 0 or 1 (error printed). */
static int train_and_write(const train_opts *o, cs_train_config *cfg, const cs_bundle *b, const char *path)
{
    int **seqs = NULL, nseq = 0, rc = 1;
    size_t *lens = NULL;
    float *w = NULL;
    char lerr[512];
    if (o->labels) {
        if (cs_label_file_read(o->labels, (int)b->view.num_labels, &seqs, &lens, &nseq, lerr, sizeof lerr))
            return cs_cli_fail("train", "%s", lerr);
    } else if (cs_label_sequences(b, &seqs, &lens, &nseq)) {
        return cs_cli_fail("train", "out of memory");
    }
    train_ui ui;
    cs_progress_init(&ui.prog, o->pmode, o->quiet);
    ui.quiet = o->quiet;
    train_announce(o, cfg, b, lens, nseq, ui.prog.mode == CS_PROGRESS_LINES);
    cfg->progress = on_epoch;
    cfg->user = &ui;
    cs_train_report rep;
    const int tr = cs_train_run(cfg, (const int *const *)seqs, lens, nseq, &w, &rep);
    cs_progress_finish(&ui.prog);
    if (tr) {
        cs_cli_fail("train", "%s: training failed (%s)", o->bundle,
                    tr == CS_E_EMPTY ? "no training labels" : cs_strerror(tr));
        goto done;
    }
    cs_model_meta meta;
    memset(&meta, 0, sizeof meta);
    meta.corpus_checksum = cs_bundle_checksum(b);
    meta.seed = cfg->seed;
    meta.epochs = (uint32_t)rep.best_epoch;
    meta.train_tokens = (uint32_t)rep.n_train;
    meta.train_loss_bits = (float)rep.train_bits;
    meta.val_loss_bits = rep.has_val ? (float)rep.best_val_bits : -1.0f;
    const int we = cs_model_file_write(path, &cfg->model, &meta, w, rep.n_params);
    if (we) {
        cs_cli_fail("train", "%s: %s", path, we == CS_E_IO ? cs_model_write_reason(errno) : cs_strerror(we));
        goto done;
    }
    char val[64];
    if (rep.has_val)
        snprintf(val, sizeof val, "validation %.4f bits/label", rep.best_val_bits);
    else
        snprintf(val, sizeof val, "no validation (corpus too small to hold out labels)");
    if (!o->quiet)
        printf("wrote %s: %s, %zu weights, %s epoch %d of %d%s, train %.4f bits/label, %s, %.2f s\n", cs_cli_safe(path),
               arch_name(cfg->model.arch), rep.n_params, rep.has_val ? "best" : "last", rep.best_epoch, rep.epochs_run,
               rep.stopped_early ? " (early stop)" : "", rep.train_bits, val, rep.seconds);
    rc = 0;
done:
    free(w);
    cs_label_sequences_free(seqs, lens, nseq);
    return rc;
}

int cs_cmd_train(int argc, char **argv)
{
    train_opts o;
    const int pr = train_parse(argc, argv, &o);
    if (pr) return pr == 2 ? 0 : 1;
    cs_bundle b;
    char err[1024] = "";
    if (cs_bundle_read(o.bundle, &b, err, sizeof err)) return cs_cli_fail("train", "%s", err);
    char *defpath = o.out ? NULL : cs_default_model_path(o.bundle);
    const char *path = o.out ? o.out : defpath;
    int rc = 1;
    cs_train_config cfg;
    train_config(&o, (int)b.view.num_labels, &cfg);
    const cs_model_config *mc = &cfg.model;
    const int ce = cs_model_config_check(mc);
    cs_model_io_error pio = {0, 0};
    if (!path) {
        cs_cli_fail("train", "out of memory");
    } else if (!o.force && access(path, F_OK) == 0) {
        cs_cli_fail("train", "%s: already exists (use --force to overwrite)", path);
    } else if (ce != 0) {
        cs_cli_fail("train",
                    "--arch %s --hidden %d --layers %d%s: %s (GRU: hidden %d..%d, 1..%d layers; transformer: "
                    "width %d..%d, 1..%d layers, heads dividing the width, context 1..%d; at most %d labels)",
                    arch_name(mc->arch), mc->width, mc->layers,
                    mc->arch == CS_MODEL_TRANSFORMER ? " (with --heads/--context)" : "", cs_model_strerror(ce),
                    CS_MODEL_GRU_MIN_H, CS_MODEL_GRU_MAX_H, CS_MODEL_GRU_MAX_LAYERS, CS_MODEL_TF_MIN_D,
                    CS_MODEL_TF_MAX_D, CS_MODEL_TF_MAX_LAYERS, CS_MODEL_TF_MAX_CONTEXT, CS_MODEL_MAX_VOCAB);
    } else if (cs_model_file_probe(path, cs_model_file_bytes(CS_MODEL_HEADER_FLOATS + cs_model_param_count(mc)),
                                   &pio) != 0) {
        /* before training, not after it: the folder must take the model file */
        cs_cli_fail("train", "%s: %s (checked before training)", path, cs_model_write_reason(pio.sys_errno));
    } else {
        rc = train_and_write(&o, &cfg, &b, path);
    }
    free(defpath);
    cs_bundle_free(&b);
    return rc;
}

/* ------------------------------------------------------------------------------------------------ eval */

/* The corpus check (a model belongs to its corpus): 0 when the model's stored corpus checksum equals the
 * bundle's, or the one of the bundle whose labels it took (analyze --labels-from), or any_corpus is set; else prints
 * one line naming both checksums and the override, returns 1. */
static int check_corpus(const char *cmd, const char *path, const cs_model_view *view, const cs_bundle *b,
                        int any_corpus)
{
    const unsigned long long want = cs_bundle_checksum(b), have = (unsigned long long)view->meta.corpus_checksum;
    const unsigned long long from = cs_bundle_labels_from_checksum(b); /* analyze --labels-from: A's model fits */
    if (any_corpus || have == want || (from != 0 && have == from)) return 0;
    return cs_cli_fail(cmd,
                       "%s: the model was trained on corpus %016llx but %s is corpus %016llx (use --any-corpus to "
                       "use it anyway)",
                       path, have, b->dir ? b->dir : "the bundle", want);
}

int cs_cli_load_model(const char *cmd, const char *path, const cs_bundle *b, int any_corpus, float **buf, size_t *n,
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
    } else if (!check_corpus(cmd, path, view, b, any_corpus)) {
        return 0;
    }
    free(*buf);
    *buf = NULL;
    return 1;
}

typedef struct eval_opts {
    const char *bundle, *model;
    int json, threads, any_corpus;
    double valf;
} eval_opts;

/* Parse argv into *o. Returns 0 (go on), 1 (error printed) or 2 (--help printed). */
static int eval_parse(int argc, char **argv, eval_opts *o)
{
    memset(o, 0, sizeof *o);
    o->valf = 0.1;
    const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    o->threads = cpus > 0 ? (int)cpus : 1;
    for (int i = 1; i < argc; ++i) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            printf("usage: concatseq eval BUNDLE [MODEL] [--json] [--val-fraction F] [--threads N] [--any-corpus]\n"
                   "Held-out cross-entropy (bits per label) of the model (default BUNDLE/model.wav; none if it\n"
                   "does not exist) and of unigram, bigram (add-k) and interpolated Kneser-Ney baselines, on the\n"
                   "same split as training: the last F (0.1) of each source. The model is run by the inference\n"
                   "core's forward step (the code SeqPredict runs). A model trained on another corpus (its stored\n"
                   "corpus checksum differs from the bundle's) is refused unless --any-corpus is given.\n");
            return 2;
        }
        if (!strcmp(a, "--json")) {
            o->json = 1;
        } else if (!strcmp(a, "--any-corpus")) {
            o->any_corpus = 1;
        } else if (!strcmp(a, "--val-fraction")) {
            if (i + 1 >= argc || cs_cli_parse_double(argv[++i], &o->valf) || o->valf <= 0.0 || o->valf > 0.5)
                return cs_cli_fail("eval", "--val-fraction: must be in (0, 0.5]");
        } else if (!strcmp(a, "--threads")) {
            if (i + 1 >= argc || cs_cli_parse_int(argv[++i], &o->threads) || o->threads < 1)
                return cs_cli_fail("eval", "--threads: must be >= 1");
        } else if (a[0] == '-') {
            return cs_cli_fail("eval", "unknown option %s", a);
        } else if (!o->bundle) {
            o->bundle = a;
        } else if (!o->model) {
            o->model = a;
        } else {
            return cs_cli_fail("eval", "unexpected argument %s", a);
        }
    }
    if (!o->bundle) return cs_cli_fail("eval", "no BUNDLE given (usage: concatseq eval BUNDLE [MODEL])");
    return 0;
}

/* The result of eval as JSON on stdout. path NULL = no model. */
static void eval_print_json(const char *bundle, const char *path, const cs_model_view *view, double model_bits, int V,
                            double valf, const cs_ngram_report *ngr)
{
    const cs_ngram_report ng = *ngr;
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
        cJSON_AddStringToObject(o, "arch", arch_name(view->cfg.arch));
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
}

/* The result of eval as a table on stdout. path NULL = no model. */
static void eval_print_table(const char *bundle, const char *path, const cs_model_view *view, double model_bits, int V,
                             double valf, const cs_ngram_report *ngr)
{
    const cs_ngram_report ng = *ngr;
    printf("held-out cross-entropy on %s: last %.0f%% of each source, %zu labels (%zu for training), %d labels\n",
           cs_cli_safe(bundle), valf * 100.0, ng.n_val, ng.n_train, V);
    printf("  %-34s %8s\n", "model", "bits/label");
    if (path)
        printf("  %-34s %8.4f\n",
               view->cfg.arch == CS_MODEL_TRANSFORMER ? "transformer (this model)" : "GRU (this model)", model_bits);
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

int cs_cmd_eval(int argc, char **argv)
{
    eval_opts o;
    const int pr = eval_parse(argc, argv, &o);
    if (pr) return pr == 2 ? 0 : 1;
    const char *bundle = o.bundle;
    const double valf = o.valf;
    cs_bundle b;
    char err[1024] = "";
    if (cs_bundle_read(bundle, &b, err, sizeof err)) return cs_cli_fail("eval", "%s", err);
    char *defpath = o.model ? NULL : cs_default_model_path(bundle);
    const char *path = o.model ? o.model : (defpath && access(defpath, F_OK) == 0 ? defpath : NULL);
    int rc = 1, **seqs = NULL, nseq = 0;
    size_t *lens = NULL;
    float *buf = NULL;
    size_t nbuf = 0;
    cs_model_view view;
    memset(&view, 0, sizeof view);
    double model_bits = NAN;
    size_t scored = 0;
    if (path && cs_cli_load_model("eval", path, &b, o.any_corpus, &buf, &nbuf, &view)) goto done;
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
        e = cs_train_eval_split(&view.cfg, view.weights, (const int *const *)seqs, lens, nseq, valf, -1, o.threads,
                                &model_bits, &scored);
        if (e) {
            cs_cli_fail("eval", "%s: evaluation failed (%s)", path, cs_strerror(e));
            goto done;
        }
    }
    if (o.json)
        eval_print_json(bundle, path, &view, model_bits, V, valf, &ng);
    else
        eval_print_table(bundle, path, &view, model_bits, V, valf, &ng);
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
    cs_model_io_error io = {0, 0};
    int rc = cs_model_export_json(in, out, &io);
    if (rc == CS_E_IO && io.output)
        return cs_cli_fail("export-json", "%s: %s", out, cs_model_write_reason(io.sys_errno));
    if (rc == CS_E_IO) return cs_cli_fail("export-json", "%s: cannot read the model (%s)", in, strerror(io.sys_errno));
    if (rc) return cs_cli_fail("export-json", "%s: %s", in, cs_strerror(rc));
    printf("wrote %s\n", cs_cli_safe(out));
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
    cs_model_io_error io = {0, 0};
    int rc = cs_model_import_json(in, out, &io);
    if (rc == CS_E_IO && io.output)
        return cs_cli_fail("import-json", "%s: %s", out, cs_model_write_reason(io.sys_errno));
    if (rc == CS_E_IO) return cs_cli_fail("import-json", "%s: cannot read (%s)", in, strerror(io.sys_errno));
    if (rc)
        return cs_cli_fail("import-json", "%s: %s", in,
                           rc == CS_E_FORMAT ? "not a ConcatSeq model JSON (config or tensors missing or mis-shaped)"
                                             : cs_strerror(rc));
    printf("wrote %s\n", cs_cli_safe(out));
    return 0;
}

/* ---------------------------------------------------------------------------------------------- sample */

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

typedef struct sample_opts {
    const char *bundle, *model, *prime, *policy_name;
    int n, top_k, history, tsv, any_corpus;
    double temperature, top_p, penalty;
    uint64_t seed;
} sample_opts;

/* Parse argv into *o. Returns 0 (go on), 1 (error printed) or 2 (--help printed). */
static int sample_parse(int argc, char **argv, sample_opts *o)
{
    memset(o, 0, sizeof *o);
    o->policy_name = "random";
    o->n = -1;
    o->history = 8;
    o->temperature = o->top_p = o->penalty = 1.0;
    o->seed = 1;
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
                   "  --tsv                  one tab-separated line per step instead of the label list\n"
                   "  --any-corpus           use a model trained on another corpus (refused by default)\n");
            return 2;
        }
        if (!strcmp(a, "--tsv")) {
            o->tsv = 1;
            continue;
        }
        if (!strcmp(a, "--any-corpus")) {
            o->any_corpus = 1;
            continue;
        }
        if (a[0] != '-') {
            if (!o->bundle)
                o->bundle = a;
            else if (!o->model)
                o->model = a;
            else
                return cs_cli_fail("sample", "unexpected argument %s", a);
            continue;
        }
        const char *v = i + 1 < argc ? argv[++i] : NULL;
        if (!v) return cs_cli_fail("sample", "%s: missing value", a);
        int bad = 0;
        if (!strcmp(a, "-n"))
            bad = cs_cli_parse_int(v, &o->n) || o->n < 1 || o->n > 1000000;
        else if (!strcmp(a, "--temperature"))
            bad = cs_cli_parse_double(v, &o->temperature) || o->temperature < 0 || o->temperature > 1000;
        else if (!strcmp(a, "--top-k"))
            bad = cs_cli_parse_int(v, &o->top_k) || o->top_k < 0;
        else if (!strcmp(a, "--top-p"))
            bad = cs_cli_parse_double(v, &o->top_p) || o->top_p < 0 || o->top_p > 1;
        else if (!strcmp(a, "--repetition-penalty"))
            bad = cs_cli_parse_double(v, &o->penalty) || o->penalty <= 0 || o->penalty > 100;
        else if (!strcmp(a, "--history"))
            bad = cs_cli_parse_int(v, &o->history) || o->history < 0 || o->history > CS_SEQP_MAX_HISTORY;
        else if (!strcmp(a, "--prime"))
            o->prime = v;
        else if (!strcmp(a, "--seed"))
            bad = cs_cli_parse_u64(v, &o->seed) || (double)o->seed > CS_SEQP_MAX_SEED;
        else if (!strcmp(a, "--select")) {
            o->policy_name = v;
            bad = strcmp(v, "random") && strcmp(v, "successor") && strcmp(v, "lru");
        } else
            return cs_cli_fail("sample", "unknown option %s (see `concatseq sample --help`)", a);
        if (bad) return cs_cli_fail("sample", "%s %s: not a valid value", a, v);
    }
    if (!o->bundle) return cs_cli_fail("sample", "no BUNDLE given (usage: concatseq sample BUNDLE [MODEL] -n N)");
    if (o->n < 1) return cs_cli_fail("sample", "-n N: the number of labels to sample is required");
    return 0;
}

int cs_cmd_sample(int argc, char **argv)
{
    sample_opts o;
    const int pr = sample_parse(argc, argv, &o);
    if (pr) return pr == 2 ? 0 : 1;
    const char *bundle = o.bundle, *model = o.model, *prime = o.prime, *policy_name = o.policy_name;
    const int n = o.n, top_k = o.top_k, history = o.history, tsv = o.tsv, any_corpus = o.any_corpus;
    const double temperature = o.temperature, top_p = o.top_p, penalty = o.penalty;
    const uint64_t seed = o.seed;
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
    if (cs_cli_load_model("sample", path, &b, any_corpus, &buf, &nbuf, &view)) goto done;
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
    while ((st = cs_seqp_bind(&sp, buf, nbuf, 1, (float)seed, cs_cli_heap_alloc, cs_cli_heap_free, NULL)) ==
           CS_SEQP_VERIFYING) {}
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
    cs_seqp_release(&sp, cs_cli_heap_free, NULL);
    free(lru_mem);
    free(primes);
    free(buf);
    free(defpath);
    cs_bundle_free(&b);
    return rc;
}
