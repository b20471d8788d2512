/* cs_model_cli.c - `concatseq train | eval | sample | export-json | import-json`. See cs_model_cli.h. */
#include "cs_model_cli.h"

#include "cs_cli.h"
#include "cs_desc_seq.h"
#include "cs_error.h"
#include "cs_eval.h"
#include "cs_label_cache.h"
#include "cs_label_file.h"
#include "cs_model.h"
#include "cs_model_io.h"
#include "cs_ngram.h"
#include "cs_ngram_table.h"
#include "cs_progress.h"
#include "cs_select.h"
#include "cs_seqpredict.h"
#include "cs_size_defaults.h"
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
            "time order). Each source is split in time: the last --test-fraction is the test part (never read\n"
            "here; `concatseq eval` scores it), the --val-fraction before it validates (early stopping).\n"
            "Defaults are the trainer's (cs_train_config_default); an option given here overrides one of them.\n"
            "  -o, --output MODEL     model file (default BUNDLE/model.wav); --force replaces an existing one\n"
            "  --arch auto|gru|transformer|ngram (default auto); ngram: modified Kneser-Ney alone (order up to %d\n"
            "                         chosen on validation, 3 without validation labels), no network trained: a\n"
            "                         model file whose network (GRU 16, zero weights) has mixture weight 0;\n"
            "                         auto: fits MKN, trains the GRU, the transformer and the GRU with descriptor\n"
            "                         inputs (the options below apply to all), mixes each with MKN (weight by the "
            "one-SE rule on validation), and\n"
            "                         writes the candidate lowest on VALIDATION if it beats MKN by more than one\n"
            "                         standard error of the difference, else MKN (Breiman et al. 1984's one-SE\n"
            "                         rule: no network without evidence); says which and by how much (without\n"
            "                         validation labels: MKN order 3, the safest on a corpus that small)\n"
            "  --hidden N             GRU hidden size %d..%d / transformer width %d..%d (default: by size, below)\n"
            "  --layers N             1..%d (GRU), 1..%d (transformer) (default: by size)\n"
            "  --heads N              transformer heads, dividing the width (default: by size)\n"
            "  --context N            transformer context 1..%d labels (default: by size)\n"
            "  --epochs N (by size)  --window T (GRU: training labels / 8 within 16..64; transformer 2 x context)\n"
            "  --batch N              windows per step (default: training windows / 16, clamped to 4..32)\n"
            "  --lr X (GRU 3e-3, transformer 1e-3)  --clip X (1.0, 0 = off)  --dropout P (by size)\n"
            "  --weight-decay X (0)  --warmup N (20)  --constant-lr (no cosine decay)\n"
            "  --patience N (5, 0 = no early stopping)  --val-fraction F (0.1)  --test-fraction F (0.1)\n"
            "  --seed N (1)  --threads N (online CPUs; the model does not depend on it)\n"
            "  --progress bar|lines|none  --quiet\n"
            "  --weights float|half   store the weights as float32 (default) or IEEE half, two per float: half the\n"
            "                         file and Buffer, an even --hidden needed, weights rounded to nearest-even\n"
            "                         (models/FORMAT.md \"Half-precision weights\")\n"
            "  --ngram-mix            append a modified Kneser-Ney model (order up to %d chosen on validation) and\n"
            "                         make the file their mixture, the network's weight the validation minimum\n"
            "                         (not shrunk as --arch auto's; eval shows both)\n"
            "                         (SeqPredict, the sclang port, `sample` and `eval` all play the mixture)\n",
            CS_NGRAM_MAX_ORDER, CS_MODEL_GRU_MIN_H, CS_MODEL_GRU_MAX_H, CS_MODEL_TF_MIN_D, CS_MODEL_TF_MAX_D,
            CS_MODEL_GRU_MAX_LAYERS, CS_MODEL_TF_MAX_LAYERS, CS_MODEL_TF_MAX_CONTEXT, CS_NGRAM_MAX_ORDER);
    fputs("  --desc-inputs          feed the network, beside each label, the previous unit's normalised\n"
          "                         descriptors and its duration (the unit table's D descriptors + 1; the\n"
          "                         model then reads the corpus's unit rows: SeqPredict's `unit` input, the\n"
          "                         test part's units in `eval`); with --arch gru or transformer (default gru);\n"
          "                         --arch auto (the default) offers this GRU as one more network (alone and\n"
          "                         mixed with MKN, chosen by the same rule) unless --no-desc-inputs, --labels\n"
          "                         or --weights half is given\n"
          "  --no-desc-inputs       --arch auto without the GRU with descriptor inputs (for a player that does not\n"
          "                         feed back the unit it played: SeqPredict's `unit`, SeqModelLang's `played`)\n"
          "  --labels FILE          train on this label sequence instead of the corpus order: integers\n"
          "                         0..labels-1 separated by white space, a blank line between sources, # starts\n"
          "                         a comment (ConcatSeqLabelRecorder writes one); validation split as above\n"
          "A corpus whose every source is shorter than 1 / F labels has no validation part: it is then trained\n"
          "without validation (said so, no early stopping, the last epoch is kept).\n"
          "Defaults by corpus size (the number of training labels; measured on validation,\n"
          "tests/bench/run_size_defaults.sh):\n",
          f);
    cs_size_defaults_print(f, "  ");
}

/* What the user typed for `train`; -1 (or NULL) = not given, the trainer's default applies. */
typedef struct train_opts {
    const char *bundle, *out, *labels; /* labels: --labels FILE, NULL = the corpus order */
    int arch, force, quiet, pmode, constant, threads, ngram_mix, ngram_only, arch_auto, arch_given, desc_inputs;
    int no_desc; /* --no-desc-inputs: --arch auto offers no network with descriptor inputs */
    int hidden, layers, heads, context, epochs, window, batch, warmup, patience, seed_given;
    int half; /* --weights half: the written file is converted to half precision (write_half) */
    double lr, clip, dropout, wd, valf, testf;
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
    if (OPT("--arch")) {
        o->arch_given = 1;
        o->arch_auto = !strcmp(v, "auto");
        o->ngram_only = !strcmp(v, "ngram");
        if (o->arch_auto) {
            o->arch = CS_MODEL_GRU;
            return 0;
        }
        if (o->ngram_only) { /* the file's network: the smallest GRU, never trained (weight 0) */
            o->arch = CS_MODEL_GRU;
            return 0;
        }
        return (o->arch = cs_model_arch_from_name(v)) < 0;
    }
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
    if (OPT("--test-fraction")) return cs_cli_parse_double(v, &o->testf) || o->testf < 0.0 || o->testf > 0.5;
    if (OPT("--seed")) return (o->seed_given = 1, cs_cli_parse_u64(v, &o->seed));
    if (OPT("--threads")) return cs_cli_parse_int(v, &o->threads) || o->threads < 1 || o->threads > 256;
    if (OPT("--progress")) return (o->pmode = cs_progress_mode_from_name(v)) < 0;
    if (OPT("--weights")) return (o->half = !strcmp(v, "half")) == 0 && strcmp(v, "float") != 0;
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
    o->lr = o->clip = o->dropout = o->wd = o->valf = o->testf = -1.0;
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
        } else if (!strcmp(a, "--ngram-mix")) {
            o->ngram_mix = 1;
        } else if (!strcmp(a, "--desc-inputs")) {
            o->desc_inputs = 1;
        } else if (!strcmp(a, "--no-desc-inputs")) {
            o->no_desc = 1;
        } else {
            const char *v = i + 1 < argc ? argv[++i] : NULL;
            if (!v) return cs_cli_fail("train", "%s: missing value", a);
            const int bad = train_option(a, v, o);
            if (bad == 2) return cs_cli_fail("train", "unknown option %s (see `concatseq train --help`)", a);
            if (bad) return cs_cli_fail("train", "%s %s: not a valid value", a, v);
        }
    }
    if (!o->bundle) return cs_cli_fail("train", "no BUNDLE given (usage: concatseq train BUNDLE [-o MODEL])");
    const double vf = o->valf >= 0 ? o->valf : CS_SPLIT_VAL_DEFAULT,
                 tf = o->testf >= 0 ? o->testf : CS_SPLIT_TEST_DEFAULT;
    if (vf + tf > 0.9) return cs_cli_fail("train", "--val-fraction %g + --test-fraction %g: at most 0.9", vf, tf);
    if (o->ngram_only && o->ngram_mix)
        return cs_cli_fail("train", "--arch ngram with --ngram-mix: choose one (ngram is the n-gram alone)");
    if (o->arch_auto && o->ngram_mix)
        return cs_cli_fail("train", "--arch auto with --ngram-mix: auto already tries the GRU + MKN mixture; give "
                                    "--arch gru or transformer with --ngram-mix");
    if (o->desc_inputs && o->no_desc) return cs_cli_fail("train", "--desc-inputs with --no-desc-inputs: choose one");
    if (o->ngram_only && o->desc_inputs)
        return cs_cli_fail("train", "--desc-inputs with --arch ngram: an n-gram reads no descriptors; give --arch "
                                    "auto, gru or transformer");
    if (o->desc_inputs && o->labels)
        return cs_cli_fail("train",
                           "--desc-inputs with --labels %s: a label file has no units to read descriptors "
                           "from; train on the corpus order",
                           o->labels);
    /* the default; --ngram-mix or --desc-inputs alone keeps the GRU */
    if (!o->arch_given) o->arch_auto = !o->ngram_mix && !o->desc_inputs;
    if (o->ngram_only) {
        o->hidden = CS_MODEL_GRU_MIN_H;
        o->layers = 1;
    }
    return 0;
}

/* The training labels of the split the options give (the part the network is fit on). */
static size_t train_label_count(const train_opts *o, const size_t *lens, int nseq)
{
    const cs_split sp = {o->valf >= 0 ? o->valf : CS_SPLIT_VAL_DEFAULT,
                         o->testf >= 0 ? o->testf : CS_SPLIT_TEST_DEFAULT};
    size_t n = 0;
    for (int s = 0; s < nseq; ++s)
        n += cs_split_count(lens[s], sp, CS_PART_TRAIN);
    return n;
}

/* The trainer's defaults for V labels and the defaults for n_train training labels (cs_size_defaults.h),
 * overridden only where the user typed an option. */
static void train_config(const train_opts *o, int V, size_t n_train, cs_train_config *cfg)
{
    cs_train_config_default(cfg, o->arch, V);
    cs_size_defaults_apply(cfg, n_train);
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
    if (o->testf >= 0) cfg->test_fraction = o->testf;
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
        n_val += cs_split_count(lens[s], cs_train_config_split(cfg), CS_PART_VAL);
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

/* Modified KN on the training part, the order chosen on validation (*order, *ng_val its validation bits; order
 * 3 and *ng_val NaN without validation labels). The model, or NULL with *e set. Reads no test label. */
static cs_ngram *fit_mkn(const cs_train_config *cfg, const int *const *seqs, const size_t *lens, int nseq, int *order,
                         double *ng_val, int *e)
{
    const cs_split sp = cs_train_config_split(cfg);
    size_t nv = 0;
    for (int s = 0; s < nseq; ++s)
        nv += cs_split_count(lens[s], sp, CS_PART_VAL);
    *order = 3;
    *ng_val = NAN;
    *e = nv ? cs_ngram_choose_order(seqs, lens, nseq, cfg->model.vocab, sp, CS_NGRAM_MKN, CS_NGRAM_MAX_ORDER, order,
                                    ng_val)
            : 0;
    if (*e) return NULL;
    return cs_ngram_train(seqs, lens, nseq, cfg->model.vocab, sp, CS_NGRAM_MKN, *order, 0.0, e);
}

/* `--arch ngram`: the MKN table, a zero GRU 16 of weight 0, written to path. 0 or 1 (error printed). */
static int write_ngram_only(const train_opts *o, const cs_train_config *cfg, const cs_bundle *b, const int *const *seqs,
                            const size_t *lens, int nseq, const char *path)
{
    int e = 0, order = 0;
    double ng_val = NAN;
    size_t n_train = 0, n_tab = 0;
    for (int s = 0; s < nseq; ++s)
        n_train += cs_split_count(lens[s], cs_train_config_split(cfg), CS_PART_TRAIN);
    cs_ngram *m = fit_mkn(cfg, seqs, lens, nseq, &order, &ng_val, &e);
    float *tab = NULL;
    if (m) e = cs_ngram_table_write(m, &tab, &n_tab);
    cs_ngram_free(m);
    const size_t P = cs_model_param_count(&cfg->model);
    float *w = e ? NULL : calloc(P ? P : 1, sizeof *w);
    if (!e && !w) e = CS_E_NOMEM;
    if (e) {
        free(tab);
        return cs_cli_fail("train", "%s: --arch ngram: %s", o->bundle,
                           e == CS_E_EMPTY ? "no training labels" : cs_strerror(e));
    }
    cs_model_meta meta;
    memset(&meta, 0, sizeof meta);
    meta.corpus_checksum = cs_bundle_checksum(b);
    meta.seed = cfg->seed;
    meta.train_tokens = (uint32_t)n_train;
    meta.train_loss_bits = -1.0f;
    meta.val_loss_bits = ng_val == ng_val ? (float)ng_val : -1.0f;
    const int we = cs_model_file_write_mix(path, &cfg->model, &meta, w, P, tab, n_tab, 0.0f);
    free(w);
    free(tab);
    if (we) return cs_cli_fail("train", "%s: %s", path, we == CS_E_IO ? cs_model_write_reason(errno) : cs_strerror(we));
    if (!o->quiet) {
        char val[64];
        if (ng_val == ng_val)
            snprintf(val, sizeof val, "validation %.4f bits/label", ng_val);
        else
            snprintf(val, sizeof val, "no validation labels: order 3");
        printf("wrote %s: modified Kneser-Ney order %d (%zu table floats, a pure n-gram model: network weight 0), "
               "%zu training labels, %s\n",
               cs_cli_safe(path), order, n_tab, n_train, val);
    }
    return 0;
}

/* The n-gram half of a mixture: modified KN with the order chosen on validation, as the core's table (*tab,
 * *n_tab), and the network's weight fit on validation (*net_w); *mix_val, *net_val, *ng_val: validation bits of
 * the mixture, the network, the n-gram. Reads no test label. Returns 0 or a cs_err. */
static int build_mixture(const cs_train_config *cfg, const float *w, const int *const *seqs, const size_t *lens,
                         int nseq, float **tab, size_t *n_tab, float *net_w, int *order, double *mix_val,
                         double *net_val, double *ng_val)
{
    const cs_split sp = cs_train_config_split(cfg);
    size_t nv = 0;
    for (int s = 0; s < nseq; ++s)
        nv += cs_split_count(lens[s], sp, CS_PART_VAL);
    if (nv == 0) return CS_E_EMPTY;
    int e = 0;
    cs_ngram *m = fit_mkn(cfg, seqs, lens, nseq, order, ng_val, &e);
    if (!m) return e;
    double *a = malloc(2 * nv * sizeof *a), *b = a + nv, bits;
    e = a ? cs_train_eval_split_desc(&cfg->model, w, seqs, cfg->descs, lens, nseq, sp, CS_PART_VAL, -1, cfg->n_threads,
                                     net_val, NULL, a)
          : CS_E_NOMEM;
    if (!e) e = cs_ngram_eval(m, seqs, lens, nseq, sp, CS_PART_VAL, &bits, NULL, b);
    if (!e) {
        *net_w = (float)cs_eval_fit_mixture(a, b, nv, mix_val); /* asked for: the minimum, not shrunk */
        e = cs_ngram_table_write(m, tab, n_tab);
    }
    free(a);
    cs_ngram_free(m);
    return e;
}

/* One network trained with the CLI's progress display: 0 (weights in *w, report in *rep) or a cs_err. */
static int train_net(const train_opts *o, cs_train_config *cfg, const cs_bundle *b, int **seqs, size_t *lens, int nseq,
                     float **w, cs_train_report *rep)
{
    train_ui ui;
    cs_progress_init(&ui.prog, o->pmode, o->quiet);
    ui.quiet = o->quiet;
    train_announce(o, cfg, b, lens, nseq, ui.prog.mode == CS_PROGRESS_LINES);
    cfg->progress = on_epoch;
    cfg->user = &ui;
    const int tr = cs_train_run(cfg, (const int *const *)seqs, lens, nseq, w, rep);
    cs_progress_finish(&ui.prog);
    return tr;
}

static void fill_meta(cs_model_meta *meta, const cs_bundle *b, const cs_train_config *cfg, const cs_train_report *rep)
{
    memset(meta, 0, sizeof *meta);
    meta->corpus_checksum = cs_bundle_checksum(b);
    meta->seed = cfg->seed;
    meta->epochs = (uint32_t)rep->best_epoch;
    meta->train_tokens = (uint32_t)rep->n_train;
    meta->train_loss_bits = (float)rep->train_bits;
    meta->val_loss_bits = rep->has_val ? (float)rep->best_val_bits : -1.0f;
}

/* Descriptor inputs: the duration statistics of the training units and every unit's descriptor row, set as
 * cfg->descs (*descs owns them). 0 or a cs_err. */
static int desc_rows(cs_train_config *cfg, const cs_bundle *b, const size_t *lens, int nseq, float ***descs,
                     float *dur_mean, float *dur_std)
{
    int e = cs_desc_duration_stats(b, lens, nseq, cs_train_config_split(cfg), dur_mean, dur_std);
    cs_model_view dv;
    cs_desc_view(&cfg->model, *dur_mean, *dur_std, &dv);
    if (!e) e = cs_desc_sequences(b, &dv, lens, nseq, descs);
    cfg->descs = e ? NULL : (const float *const *)*descs;
    return e;
}

/* --arch auto's networks, in the order they are trained. Each is trained with the defaults for the corpus size
 * (cs_size_defaults.h; the options the user typed override them) and offered mixed with modified KN, its weight
 * by the one-SE rule (cs_eval_fit_mixture_1se: weight 1 = the network alone, written without the table). The
 * network alone is not a candidate of its own: on the bundles of tests/bench/run_eval_table.sh a network that
 * won validation by more than one standard error still lost the test part by up to 20 % (lincity1 grains: the
 * test part, the end of the track, is unlike its validation part), where its mixture lost ~1 %. A new kind of
 * network is one more row here. */
typedef struct auto_net {
    const char *name, *mix_name;
    int arch, desc; /* desc: with descriptor inputs (a candidate unless --no-desc-inputs, --labels or --weights
                       half: a label file has no units, and descriptor-input models are float32 only) */
} auto_net;
static const auto_net auto_nets[] = {
    {"GRU", "GRU + MKN mixture", CS_MODEL_GRU, 0},
    {"transformer", "transformer + MKN mixture", CS_MODEL_TRANSFORMER, 0},
    {"GRU + descriptors", "GRU + descriptors + MKN mixture", CS_MODEL_GRU, 1},
};
#define AUTO_NETS  ((int)(sizeof auto_nets / sizeof auto_nets[0]))
#define AUTO_CANDS (1 + 2 * AUTO_NETS) /* MKN, then per network: alone (shown, not a candidate), mixture */

/* Everything --arch auto fit: per network its config, weights and report; per candidate its validation losses
 * (nv each; NULL = no such candidate) and network weight. Candidate 0 is MKN alone (the one-SE reference). */
typedef struct auto_fit {
    cs_train_config cfg[AUTO_NETS];
    float *w[AUTO_NETS], **descs[AUTO_NETS], dur_mean[AUTO_NETS], dur_std[AUTO_NETS]; /* descs: desc nets only */
    cs_train_report rep[AUTO_NETS];
    double *val[AUTO_CANDS], mix_se[AUTO_NETS];
    float weight[AUTO_CANDS];
    float *tab;
    size_t n_tab, nv;
    int order;
} auto_fit;

static const char *auto_cand_name(int c)
{
    return c == 0 ? "modified Kneser-Ney" : (c - 1) % 2 ? auto_nets[(c - 1) / 2].mix_name : auto_nets[(c - 1) / 2].name;
}

static double auto_mean(const auto_fit *f, int c)
{
    double sum = 0.0;
    for (size_t i = 0; i < f->nv; ++i)
        sum += f->val[c][i];
    return f->nv ? sum / (double)f->nv : (double)NAN;
}

/* MKN on the training part (order on validation): its table and validation losses (candidate 0). 0 or cs_err. */
static int auto_fit_mkn(auto_fit *f, const int *const *seqs, const size_t *lens, int nseq)
{
    int e = 0;
    double ng_val = NAN, bits = NAN;
    cs_ngram *m = fit_mkn(&f->cfg[0], seqs, lens, nseq, &f->order, &ng_val, &e);
    if (!m) return e;
    f->val[0] = malloc(f->nv * sizeof *f->val[0]);
    e = f->val[0]
            ? cs_ngram_eval(m, seqs, lens, nseq, cs_train_config_split(&f->cfg[0]), CS_PART_VAL, &bits, NULL, f->val[0])
            : CS_E_NOMEM;
    if (!e) e = cs_ngram_table_write(m, &f->tab, &f->n_tab);
    cs_ngram_free(m);
    f->weight[0] = 0.0f;
    return e;
}

/* Network k: trained, then its validation losses alone and mixed with MKN (candidates 1 + 2k, 2 + 2k). 0, or 1
 * (error printed). A configuration the core refuses (an option that does not fit this network) skips it. */
static int auto_fit_net(const train_opts *o, const cs_bundle *b, int **seqs, size_t *lens, int nseq, auto_fit *f, int k)
{
    if (auto_nets[k].desc) {
        if (o->no_desc || o->labels || o->half) return 0;
        f->cfg[k].model.desc_inputs = (int)b->view.num_descriptors + 1;
        const int de = desc_rows(&f->cfg[k], b, lens, nseq, &f->descs[k], &f->dur_mean[k], &f->dur_std[k]);
        if (de) return cs_cli_fail("train", "%s: the descriptor rows failed (%s)", o->bundle, cs_strerror(de));
    }
    const int ce = cs_model_config_check(&f->cfg[k].model);
    if (ce) {
        if (!o->quiet)
            printf("auto: no %s candidate (%s with these options)\n", auto_nets[k].name, cs_model_strerror(ce));
        return 0;
    }
    const int tr = train_net(o, &f->cfg[k], b, seqs, lens, nseq, &f->w[k], &f->rep[k]);
    if (tr)
        return cs_cli_fail("train", "%s: training the %s failed (%s)", o->bundle, auto_nets[k].name,
                           tr == CS_E_EMPTY ? "no training labels" : cs_strerror(tr));
    double *alone = malloc(f->nv * sizeof *alone), *mix = malloc(f->nv * sizeof *mix), bits = NAN;
    f->val[1 + 2 * k] = alone;
    f->val[2 + 2 * k] = mix;
    int e = alone && mix ? cs_train_eval_split_desc(&f->cfg[k].model, f->w[k], (const int *const *)seqs,
                                                    (const float *const *)f->descs[k], lens, nseq,
                                                    cs_train_config_split(&f->cfg[k]), CS_PART_VAL, -1,
                                                    f->cfg[k].n_threads, &bits, NULL, alone)
                         : CS_E_NOMEM;
    if (e) return cs_cli_fail("train", "%s: scoring the %s failed (%s)", o->bundle, auto_nets[k].name, cs_strerror(e));
    f->weight[1 + 2 * k] = 1.0f;
    f->weight[2 + 2 * k] = (float)cs_eval_fit_mixture_1se(alone, f->val[0], f->nv, NULL, &f->mix_se[k]);
    cs_eval_mix(alone, f->val[0], f->nv, f->weight[2 + 2 * k], mix);
    return 0;
}

/* Write candidate c of f to path: a network alone, its mixture with the MKN table, or MKN alone (a zero GRU 16 of
 * weight 0). Returns 0 or a cs_err (errno set on CS_E_IO). */
static int auto_write(const auto_fit *f, const cs_bundle *b, int c, const char *path)
{
    cs_model_meta meta;
    if (c > 0) {
        const int k = (c - 1) / 2, mixed = (c - 1) % 2 && f->weight[c] < 1.0f; /* weight 1: the network alone */
        fill_meta(&meta, b, &f->cfg[k], &f->rep[k]);
        meta.val_loss_bits = (float)auto_mean(f, c);
        meta.desc_dur_mean = f->descs[k] ? f->dur_mean[k] : 0.0f;
        meta.desc_dur_std = f->descs[k] ? f->dur_std[k] : 0.0f;
        return cs_model_file_write_mix(path, &f->cfg[k].model, &meta, f->w[k], f->rep[k].n_params,
                                       mixed ? f->tab : NULL, mixed ? f->n_tab : 0, mixed ? f->weight[c] : 1.0f);
    }
    const cs_model_config z = {CS_MODEL_GRU, (int)b->view.num_labels, CS_MODEL_GRU_MIN_H, 1, 0, 0, 0, 0};
    const size_t P = cs_model_param_count(&z);
    float *zero = calloc(P, sizeof *zero);
    if (!zero) return CS_E_NOMEM;
    memset(&meta, 0, sizeof meta);
    meta.corpus_checksum = cs_bundle_checksum(b);
    meta.seed = f->cfg[0].seed;
    meta.train_tokens = (uint32_t)(f->w[0] ? f->rep[0].n_train : 0);
    meta.train_loss_bits = -1.0f;
    meta.val_loss_bits = (float)auto_mean(f, 0);
    const int we = cs_model_file_write_mix(path, &z, &meta, zero, P, f->tab, f->n_tab, 0.0f);
    free(zero);
    return we;
}

/* The comparison and the choice, in words. */
static void auto_report(const auto_fit *f, int chosen, int best, double se, const char *path)
{
    printf("auto: validation bits/label (%zu labels):", f->nv);
    const char *sep = " ";
    for (int c = 0; c < AUTO_CANDS; ++c) {
        if (!f->val[c]) continue;
        printf("%s%s %.4f", sep, auto_cand_name(c), auto_mean(f, c));
        if (c == 0) printf(" (order %d)", f->order);
        if (c > 0 && (c - 1) % 2) printf(" (weight %.2f)", (double)f->weight[c]);
        if (c > 0 && !((c - 1) % 2)) printf(" (alone, not a candidate)");
        sep = ", ";
    }
    printf("\n");
    if (f->nv < CS_EVAL_MIN_SELECT)
        printf("auto: fewer than %d validation labels: too few to estimate a standard error, so modified "
               "Kneser-Ney\n",
               CS_EVAL_MIN_SELECT);
    if (chosen == 0 && best != 0 && f->nv >= CS_EVAL_MIN_SELECT)
        printf("auto: the lowest, %s, is %.4f bits/label below modified Kneser-Ney, within one standard error "
               "(%.4f) of the difference: too little evidence, so modified Kneser-Ney (the one-SE rule)\n",
               auto_cand_name(best), auto_mean(f, 0) - auto_mean(f, best), se);
    printf("wrote %s: %s", cs_cli_safe(path), auto_cand_name(chosen));
    if (chosen != 0)
        printf(", %.4f bits/label (%.1f %%) below modified Kneser-Ney on validation, more than one standard error "
               "(%.4f)\n",
               auto_mean(f, 0) - auto_mean(f, chosen),
               100.0 * (auto_mean(f, 0) - auto_mean(f, chosen)) / auto_mean(f, 0), se);
    else
        printf(" order %d\n", f->order);
}

/* --arch auto: modified KN, every network of auto_nets alone and mixed with MKN, all fit on the training part and
 * compared on VALIDATION only by the one-SE rule (cs_eval_choose_1se, MKN the reference); the choice is written to
 * path and the comparison printed. 0 or 1 (error printed). */
static int train_auto(const train_opts *o, const cs_bundle *b, int **seqs, size_t *lens, int nseq, const char *path)
{
    const int V = (int)b->view.num_labels;
    auto_fit *f = calloc(1, sizeof *f);
    if (!f) return cs_cli_fail("train", "out of memory");
    const size_t n_train = train_label_count(o, lens, nseq);
    for (int k = 0; k < AUTO_NETS; ++k) {
        train_opts ok = *o;
        ok.arch = auto_nets[k].arch;
        train_config(&ok, V, n_train, &f->cfg[k]);
    }
    for (int s = 0; s < nseq; ++s)
        f->nv += cs_split_count(lens[s], cs_train_config_split(&f->cfg[0]), CS_PART_VAL);
    int rc = 1;
    if (f->nv == 0) {
        if (!o->quiet)
            printf("auto: no validation labels to compare the candidates on (every source is shorter than %.0f "
                   "labels): modified Kneser-Ney order 3, the safest on a corpus this small\n",
                   ceil(1.0 / f->cfg[0].val_fraction));
        rc = write_ngram_only(o, &f->cfg[0], b, (const int *const *)seqs, lens, nseq, path);
        free(f);
        return rc;
    }
    const int me = auto_fit_mkn(f, (const int *const *)seqs, lens, nseq);
    if (me) {
        cs_cli_fail("train", "%s: the n-gram candidate failed (%s)", o->bundle, cs_strerror(me));
        goto done;
    }
    for (int k = 0; k < AUTO_NETS; ++k)
        if (auto_fit_net(o, b, seqs, lens, nseq, f, k)) goto done;
    const double *cand[AUTO_CANDS] = {f->val[0]}; /* MKN and the mixtures (a network alone is not a candidate) */
    int best = 0;
    for (int c = 2; c < AUTO_CANDS; c += 2) {
        cand[c] = f->val[c];
        if (f->val[c] && auto_mean(f, c) < auto_mean(f, best)) best = c;
    }
    double se = 0.0;
    const int chosen = cs_eval_choose_1se(cand, AUTO_CANDS, f->nv, 0, &se);
    const int we = auto_write(f, b, chosen, path);
    if (we) {
        cs_cli_fail("train", "%s: %s", path, we == CS_E_IO ? cs_model_write_reason(errno) : cs_strerror(we));
        goto done;
    }
    if (!o->quiet) auto_report(f, chosen, best, se, path);
    rc = 0;
done:
    for (int k = 0; k < AUTO_NETS; ++k) {
        free(f->w[k]);
        cs_desc_sequences_free(f->descs[k], nseq);
    }
    for (int c = 0; c < AUTO_CANDS; ++c)
        free(f->val[c]);
    free(f->tab);
    free(f);
    return rc;
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
    train_config(o, (int)b->view.num_labels, train_label_count(o, lens, nseq), cfg);
    if (o->desc_inputs) cfg->model.desc_inputs = (int)b->view.num_descriptors + 1;
    if (o->ngram_only || o->arch_auto) {
        rc = o->arch_auto ? train_auto(o, b, seqs, lens, nseq, path)
                          : write_ngram_only(o, cfg, b, (const int *const *)seqs, lens, nseq, path);
        cs_label_sequences_free(seqs, lens, nseq);
        return rc;
    }
    cs_train_report rep;
    float **descs = NULL, dur_mean = 0.0f, dur_std = 0.0f;
    if (cfg->model.desc_inputs > 0) {
        const int de = desc_rows(cfg, b, lens, nseq, &descs, &dur_mean, &dur_std);
        if (de) {
            cs_cli_fail("train", "%s: --desc-inputs: %s", o->bundle,
                        de == CS_E_EMPTY ? "no training units" : cs_strerror(de));
            goto done;
        }
    }
    const int tr = train_net(o, cfg, b, seqs, lens, nseq, &w, &rep);
    if (tr) {
        cs_cli_fail("train", "%s: training failed (%s)", o->bundle,
                    tr == CS_E_EMPTY ? "no training labels" : cs_strerror(tr));
        goto done;
    }
    cs_model_meta meta;
    fill_meta(&meta, b, cfg, &rep);
    meta.desc_dur_mean = dur_mean;
    meta.desc_dur_std = dur_std;
    float *tab = NULL, net_w = 1.0f;
    size_t n_tab = 0;
    int order = 0;
    double mix_val = NAN, net_val = NAN, ng_val = NAN;
    if (o->ngram_mix) {
        const int me = build_mixture(cfg, w, (const int *const *)seqs, lens, nseq, &tab, &n_tab, &net_w, &order,
                                     &mix_val, &net_val, &ng_val);
        if (me) {
            cs_cli_fail("train", "%s: --ngram-mix: %s", o->bundle,
                        me == CS_E_EMPTY ? "no validation labels to fit the mixture on (a longer corpus is needed)"
                                         : cs_strerror(me));
            goto done;
        }
    }
    const int we = cs_model_file_write_mix(path, &cfg->model, &meta, w, rep.n_params, tab, n_tab, net_w);
    free(tab);
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
    if (!o->quiet && o->ngram_mix)
        printf("  mixed with modified Kneser-Ney order %d, weight %.2f on the network: validation %.4f bits/label "
               "(network alone %.4f, n-gram alone %.4f)\n",
               order, (double)net_w, mix_val, net_val, ng_val);
    rc = 0;
done:
    free(w);
    cs_desc_sequences_free(descs, nseq);
    cfg->descs = NULL;
    cs_label_sequences_free(seqs, lens, nseq);
    return rc;
}

/* --weights half: rewrite the float32 model just written at `path` with half-precision weights (atomically; the
 * header, every field kept, and the n-gram table as they are). A weight beyond the half range keeps the float32
 * file and says so. */
static int write_half(const char *path, int quiet)
{
    float *buf = NULL;
    size_t n = 0, bad = 0;
    cs_model_view v;
    float badw = 0.0f;
    int rc = cs_model_file_load(path, &buf, &n, &v, NULL);
    if (!rc) rc = cs_model_buffer_write_half(path, buf, &v, &bad);
    if (rc == CS_E_NONFINITE) badw = v.weights[bad];
    free(buf);
    if (rc == CS_E_NONFINITE)
        return cs_cli_fail("train",
                           "%s: weight %zu (%g) is beyond half precision's 65504: the model was kept in float32 "
                           "(train without --weights half)",
                           path, bad, (double)badw);
    if (rc)
        return cs_cli_fail("train", "%s: could not rewrite with half-precision weights (%s)", path, cs_strerror(rc));
    if (!quiet)
        printf("  weights stored as IEEE half: %zu floats instead of %zu (models/FORMAT.md)\n", (v.n_weights + 1) / 2,
               v.n_weights);
    return 0;
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
    /* the size for the file check only (train_and_write derives the exact split of the sequences) */
    const double kept =
        1.0 - (o.valf >= 0 ? o.valf : CS_SPLIT_VAL_DEFAULT) - (o.testf >= 0 ? o.testf : CS_SPLIT_TEST_DEFAULT);
    train_config(&o, (int)b.view.num_labels, (size_t)(kept * b.view.num_units), &cfg);
    if (o.desc_inputs) cfg.model.desc_inputs = (int)b.view.num_descriptors + 1;
    const cs_model_config *mc = &cfg.model;
    const int ce = cs_model_config_check(mc);
    cs_model_io_error pio = {0, 0};
    if (!path) {
        cs_cli_fail("train", "out of memory");
    } else if (o.desc_inputs && (long)b.view.num_descriptors + 1 > CS_MODEL_MAX_DESC_INPUTS) {
        cs_cli_fail("train", "%s: --desc-inputs: the corpus has %u descriptors, a model reads at most %d", o.bundle,
                    b.view.num_descriptors, CS_MODEL_MAX_DESC_INPUTS - 1);
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
    } else if (o.half && o.desc_inputs) {
        cs_cli_fail("train",
                    "--weights half cannot be used with --desc-inputs: desc_proj.weight's rows (%d inputs) are not "
                    "packed two per float (drop --weights half; models/FORMAT.md)",
                    cfg.model.desc_inputs);
    } else if (o.half && cfg.model.width % 2 != 0) {
        cs_cli_fail("train",
                    "--weights half needs an even --hidden (got %d): half-precision rows are packed two "
                    "per float",
                    cfg.model.width);
    } else {
        rc = train_and_write(&o, &cfg, &b, path);
        if (rc == 0 && o.half) rc = write_half(path, o.quiet);
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
    if (cs_model_buffer_expand(buf, n, view) != CS_OK) { /* half weights: the tools run their exact floats */
        free(*buf);
        *buf = NULL;
        return cs_cli_fail(cmd, "%s: out of memory expanding the half-precision weights", path);
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
    int json, threads, any_corpus, max_order, cache_auto;
    double valf, testf, cache;
} eval_opts;

static void usage_eval(void)
{
    printf("usage: concatseq eval BUNDLE [MODEL] [--json] [--val-fraction F] [--test-fraction F] [--max-order N]\n"
           "                      [--threads N] [--any-corpus] [--cache W|auto]\n"
           "Test cross-entropy (bits per label) of the model (default BUNDLE/model.wav; none if it does not exist)\n"
           "and of the n-gram baselines (uniform, add-k unigram and bigram, Kneser-Ney, modified Kneser-Ney), on\n"
           "the split training uses: per source the first labels train, the next F (0.1) validate, the last F (0.1)\n"
           "are the test part. Every baseline setting (add-k's k, the KN / MKN order up to N, default %d) is chosen\n"
           "on validation; the test part is scored once, with a %.0f%% block-bootstrap interval. Below %d test labels\n"
           "eval says the corpus is too small to tell instead of naming a winner. The model is run by the inference\n"
           "core's forward step (the code SeqPredict runs). A model trained on another corpus (its stored corpus\n"
           "checksum differs from the bundle's) is refused unless --any-corpus is given.\n"
           "--cache W (0..1]: also score modified KN and the model blended with SeqPredict's label cache at weight W\n"
           "(decayed counts of the labels fed since the start of each source, half-life 64 labels; rows + cache).\n"
           "--cache auto: W fit on VALIDATION for the model (MKN without a model): the smallest W of {0, 0.05, .., 1}\n"
           "whose validation bits are within one standard error of the best W's (the one-SE rule of train --arch\n"
           "auto; 0 = the cache does not help), then scored once on test; the value to give SeqPredict's cache.\n",
           CS_NGRAM_MAX_ORDER, CS_EVAL_LEVEL * 100.0, CS_EVAL_MIN_TEST);
}

/* Parse argv into *o. Returns 0 (go on), 1 (error printed) or 2 (--help printed). */
static int eval_parse(int argc, char **argv, eval_opts *o)
{
    memset(o, 0, sizeof *o);
    o->valf = CS_SPLIT_VAL_DEFAULT;
    o->testf = CS_SPLIT_TEST_DEFAULT;
    o->max_order = CS_NGRAM_MAX_ORDER;
    const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    o->threads = cpus > 0 ? (int)cpus : 1;
    for (int i = 1; i < argc; ++i) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage_eval();
            return 2;
        }
        if (!strcmp(a, "--json")) {
            o->json = 1;
        } else if (!strcmp(a, "--any-corpus")) {
            o->any_corpus = 1;
        } else if (!strcmp(a, "--val-fraction")) {
            if (i + 1 >= argc || cs_cli_parse_double(argv[++i], &o->valf) || o->valf <= 0.0 || o->valf > 0.5)
                return cs_cli_fail("eval", "--val-fraction: must be in (0, 0.5]");
        } else if (!strcmp(a, "--test-fraction")) {
            if (i + 1 >= argc || cs_cli_parse_double(argv[++i], &o->testf) || o->testf <= 0.0 || o->testf > 0.5)
                return cs_cli_fail("eval", "--test-fraction: must be in (0, 0.5]");
        } else if (!strcmp(a, "--max-order")) {
            if (i + 1 >= argc || cs_cli_parse_int(argv[++i], &o->max_order) || o->max_order < 2 ||
                o->max_order > CS_NGRAM_MAX_ORDER)
                return cs_cli_fail("eval", "--max-order: must be in 2..%d", CS_NGRAM_MAX_ORDER);
        } else if (!strcmp(a, "--threads")) {
            if (i + 1 >= argc || cs_cli_parse_int(argv[++i], &o->threads) || o->threads < 1)
                return cs_cli_fail("eval", "--threads: must be >= 1");
        } else if (!strcmp(a, "--cache")) {
            if (i + 1 < argc && !strcmp(argv[i + 1], "auto")) {
                o->cache_auto = 1;
                i++;
            } else if (i + 1 >= argc || cs_cli_parse_double(argv[++i], &o->cache) || !(o->cache > 0.0) ||
                       o->cache > 1.0)
                return cs_cli_fail("eval", "--cache: a weight in (0, 1] (SeqPredict's cache input) or auto");
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
    if (o->valf + o->testf > 0.9) return cs_cli_fail("eval", "--val-fraction + --test-fraction: at most 0.9");
    return 0;
}

/* One line of the eval table: a method, its setting chosen on validation, its validation and test bits and the
 * test interval. */
typedef struct eval_row {
    char key[24], name[48], setting[48];
    double val, test, lo, hi;
    const double *losses; /* n_test test losses, or NULL (uniform: constant) */
} eval_row;

/* Everything eval computed. */
typedef struct eval_result {
    eval_row row[12];
    int n_rows, best_ngram, model_row, mix_row, chosen, mixed;
    double mix_lambda, cache_w;    /* cache_w: the cache weight scored (NaN: none) */
    int cache_auto;                /* 1: cache_w was fit on validation */
    const double *model_val;       /* the playable model's n_val validation losses (NULL: no model) */
    double diff, diff_lo, diff_hi; /* model (or the mixture) minus the best n-gram, paired interval */
    int verdict_row;               /* the row compared with the best n-gram (-1: no model) */
    size_t n_train, n_val, n_test, model_train;
    int V;
    cs_split split;
    const char *bundle, *path, *arch;
} eval_result;

static void add_row(eval_result *r, const char *key, const char *name, const char *setting, double val, double test,
                    const double *losses)
{
    eval_row *w = &r->row[r->n_rows++];
    memset(w, 0, sizeof *w);
    snprintf(w->key, sizeof w->key, "%s", key);
    snprintf(w->name, sizeof w->name, "%s", name);
    snprintf(w->setting, sizeof w->setting, "%s", setting);
    w->val = val;
    w->test = test;
    w->losses = losses;
    w->lo = w->hi = test;
    if (losses && cs_eval_bootstrap(losses, NULL, r->n_test, CS_EVAL_BOOT_REPS, CS_EVAL_LEVEL, 1, &w->lo, &w->hi))
        w->lo = w->hi = NAN;
}

/* The rows of the n-gram baselines. */
static void ngram_rows(eval_result *r, const cs_ngram_report *ng)
{
    char set[48];
    const double u = log2((double)r->V);
    add_row(r, "uniform", "uniform", "-", u, u, NULL);
    static const char *const keys[CS_NG_COUNT] = {"unigram", "bigram", "kneser_ney", "modified_kneser_ney"};
    static const char *const names[CS_NG_COUNT] = {"unigram (add-k)", "bigram (add-k)", "Kneser-Ney",
                                                   "modified Kneser-Ney"};
    r->best_ngram = 0;
    for (int i = 0; i < CS_NG_COUNT; ++i) {
        const cs_ngram_choice *c = &ng->base[i];
        if (i <= CS_NG_BIGRAM)
            snprintf(set, sizeof set, "k=%g", c->param);
        else
            snprintf(set, sizeof set, "order %d", c->order);
        add_row(r, keys[i], names[i], set, c->val_bits, c->test_bits, c->test_losses);
        if (c->val_bits < r->row[r->best_ngram].val) r->best_ngram = r->n_rows - 1;
    }
}

/* -log2 p of every label of `part` under the core's n-gram table t (sources in order) into out. */
static int table_losses(const cs_ngt_view *t, const int *const *seqs, const size_t *lens, int nseq, cs_split sp,
                        cs_part part, double *out)
{
    double *p = malloc((size_t)t->V * sizeof *p);
    if (!p) return CS_E_NOMEM;
    size_t k = 0;
    for (int s = 0; s < nseq; ++s) {
        size_t a, b;
        cs_split_part(lens[s], sp, part, &a, &b);
        for (size_t i = a; i < b; ++i) {
            if (cs_ngt_probs(t, seqs[s], i, p)) {
                free(p);
                return CS_E_ARG;
            }
            out[k++] = -log2(p[seqs[s][i]]);
        }
    }
    free(p);
    return CS_OK;
}

/* A model file with an n-gram table: the network alone (what SeqPredict runs today) and the file's mixture,
 * scored with the core's table (cs_ngt_probs) and the stored weight. test / val hold the network's losses;
 * the mixture's go to mix (test) and ngv (scratch, validation). */
static int mixed_rows(eval_result *r, const cs_model_view *view, const int *const *seqs, const size_t *lens, int nseq,
                      double *test, double *val, double *ngv, double *mix, double tb, double vb)
{
    const size_t nt = r->n_test, nv = r->n_val;
    cs_ngt_view t;
    double *ngt = malloc((nt ? nt : 1) * sizeof *ngt);
    int e = ngt ? cs_ngt_parse(view->ngram, view->ngram_floats, &t) : CS_E_NOMEM;
    if (!e) e = table_losses(&t, seqs, lens, nseq, r->split, CS_PART_TEST, ngt);
    if (!e) e = table_losses(&t, seqs, lens, nseq, r->split, CS_PART_VAL, ngv);
    if (e) {
        free(ngt);
        return cs_cli_fail("eval", "%s: the n-gram table failed (%s)", r->path, cs_strerror(e));
    }
    const double w = view->net_weight;
    double mt = 0.0, mv = 0.0;
    cs_eval_mix(val, ngv, nv, w, ngv);
    for (size_t i = 0; i < nv; ++i)
        mv += ngv[i];
    cs_eval_mix(test, ngt, nt, w, mix);
    for (size_t i = 0; i < nt; ++i)
        mt += mix[i];
    free(ngt);
    char name[48], set[48];
    snprintf(name, sizeof name, "%s alone", view->cfg.arch == CS_MODEL_TRANSFORMER ? "transformer" : "GRU");
    if (w > 0.0) /* weight 0 (`train --arch ngram`): the network is a placeholder, never trained nor run */
        add_row(r, "network", name, "-", vb, tb, test);
    if (w > 0.0)
        snprintf(name, sizeof name, "%s + MKN %d (this model)",
                 view->cfg.arch == CS_MODEL_TRANSFORMER ? "transf." : "GRU", t.order);
    else
        snprintf(name, sizeof name, "MKN %d (this model)", t.order);
    snprintf(set, sizeof set, "weight %.2f", w);
    r->model_row = r->n_rows;
    add_row(r, "model", name, set, nv ? mv / (double)nv : (double)NAN, nt ? mt / (double)nt : (double)NAN, mix);
    r->mix_lambda = w;
    r->mixed = 1;
    r->model_val = ngv;
    return 0;
}

/* The model's test and validation losses, and its mixture with the validation-chosen MKN (weight fit on
 * validation); rows appended. A model file that is itself a mixture is scored as one (mixed_rows). Returns 0
 * or 1 (error printed). */
static int model_rows(eval_result *r, const cs_model_view *view, const int *const *seqs, const float *const *descs,
                      const size_t *lens, int nseq, const cs_ngram_report *ng, int threads, double **mem)
{
    const size_t nt = r->n_test, nv = r->n_val;
    double *test = malloc((3 * nt + 2 * nv) * sizeof *test + 1), *val = test + nt, *ngv = val + nv, *mix = ngv + nv;
    *mem = test;
    if (!test) return cs_cli_fail("eval", "out of memory");
    double tb = NAN, vb = NAN;
    int e = cs_train_eval_split_desc(&view->cfg, view->weights, seqs, descs, lens, nseq, r->split, CS_PART_TEST, -1,
                                     threads, &tb, NULL, test);
    if (!e)
        e = cs_train_eval_split_desc(&view->cfg, view->weights, seqs, descs, lens, nseq, r->split, CS_PART_VAL, -1,
                                     threads, &vb, NULL, val);
    if (e) return cs_cli_fail("eval", "%s: evaluation failed (%s)", r->path, cs_strerror(e));
    if (view->ngram_floats) return mixed_rows(r, view, seqs, lens, nseq, test, val, ngv, mix, tb, vb);
    char name[48];
    snprintf(name, sizeof name, "%s%s (this model)", view->cfg.arch == CS_MODEL_TRANSFORMER ? "transformer" : "GRU",
             view->cfg.desc_inputs > 0 ? "+desc" : "");
    r->model_row = r->n_rows;
    r->model_val = val;
    add_row(r, "model", name, "-", vb, tb, test);
    /* the mixture with the validation-chosen modified KN: lambda on validation, then scored once on test */
    const cs_ngram_choice *mk = &ng->base[CS_NG_MKN];
    if (!mk->test_losses || nv == 0) return 0;
    cs_ngram *m = cs_ngram_train(seqs, lens, nseq, r->V, r->split, CS_NGRAM_MKN, mk->order, 0.0, &e);
    double b = 0;
    if (m) e = cs_ngram_eval(m, seqs, lens, nseq, r->split, CS_PART_VAL, &b, NULL, ngv);
    cs_ngram_free(m);
    if (e) return cs_cli_fail("eval", "%s: modified Kneser-Ney failed (%s)", r->bundle, cs_strerror(e));
    double mv = NAN, mt = 0.0;
    r->mix_lambda = cs_eval_fit_mixture_1se(val, ngv, nv, &mv, NULL);
    cs_eval_mix(test, mk->test_losses, nt, r->mix_lambda, mix);
    for (size_t i = 0; i < nt; ++i)
        mt += mix[i];
    char set[48];
    snprintf(set, sizeof set, "weight %.2f", r->mix_lambda);
    r->mix_row = r->n_rows;
    add_row(r, "model_mkn_mixture", "model + modified KN", set, mv, nt ? mt / (double)nt : (double)NAN, mix);
    /* for comparison: the weight at the validation minimum (the rule before the one-SE rule; not a candidate) */
    double *mixmin = mix + nt, vmin = NAN, tmin = 0.0;
    const double lmin = cs_eval_fit_mixture(val, ngv, nv, &vmin);
    cs_eval_mix(test, mk->test_losses, nt, lmin, mixmin);
    for (size_t i = 0; i < nt; ++i)
        tmin += mixmin[i];
    snprintf(set, sizeof set, "weight %.2f", lmin);
    add_row(r, "model_mkn_mixture_min", "  (weight at val. min.)", set, vmin, nt ? tmin / (double)nt : (double)NAN,
            mixmin);
    return 0;
}

/* The verdict: the chosen row (lowest validation bits among the playable model and the n-grams) and the paired
 * test difference of the model against the best n-gram (chosen on validation). */
/* -log2 p_cache of every label of `part` (the cache of cs_label_cache.h fed every label of the source from its
 * start), or base[k] where the cache is still empty (there SeqPredict plays the model alone), into out. So the
 * cache blend at weight W is exactly the mixture W p_cache + (1 - W) p_base of cs_eval_mix. 0 or CS_E_NOMEM. */
static int cache_alone_losses(const eval_result *r, const int *const *seqs, const size_t *lens, int nseq, cs_part part,
                              const double *base, double *out)
{
    float *counts = malloc((size_t)r->V * sizeof *counts);
    if (!counts) return CS_E_NOMEM;
    cs_lcache c;
    cs_lcache_init(&c, counts, r->V);
    size_t k = 0;
    for (int s = 0; s < nseq; ++s) {
        size_t a, b;
        cs_split_part(lens[s], r->split, part, &a, &b);
        cs_lcache_reset(&c);
        for (size_t i = 0; i < b; ++i) {
            if (i >= a) {
                const double pc = cs_lcache_prob(&c, seqs[s][i]);
                out[k] = c.fed > 0 ? (pc > 0.0 ? -log2(pc) : (double)INFINITY) : base[k];
                k++;
            }
            cs_lcache_push(&c, seqs[s][i]);
        }
    }
    free(counts);
    return CS_OK;
}

/* --cache auto: the cache weight for the playable model (modified KN when there is none) fit on VALIDATION by the
 * one-SE rule (cs_eval_fit_mixture_1se with the model as the reference: 0 = no cache). *W out. 0 or 1. */
static int cache_fit(eval_result *r, const int *const *seqs, const size_t *lens, int nseq, const cs_ngram_report *ng,
                     double *W)
{
    const size_t nv = r->n_val;
    double *base = malloc(2 * (nv ? nv : 1) * sizeof *base), *alone = base + (nv ? nv : 1), bits = NAN, se = NAN;
    if (!base) return cs_cli_fail("eval", "out of memory");
    int e = 0;
    if (r->model_val) {
        memcpy(base, r->model_val, nv * sizeof *base);
    } else {
        cs_ngram *m =
            cs_ngram_train(seqs, lens, nseq, r->V, r->split, CS_NGRAM_MKN, ng->base[CS_NG_MKN].order, 0.0, &e);
        if (m) e = cs_ngram_eval(m, seqs, lens, nseq, r->split, CS_PART_VAL, &bits, NULL, base);
        cs_ngram_free(m);
    }
    if (!e) e = cache_alone_losses(r, seqs, lens, nseq, CS_PART_VAL, base, alone);
    if (e) {
        free(base);
        return cs_cli_fail("eval", "%s: fitting the cache weight failed (%s)", r->bundle, cs_strerror(e));
    }
    *W = cs_eval_fit_mixture_1se(alone, base, nv, &bits, &se);
    free(base);
    return 0;
}

/* --cache W: the label cache of SeqPredict (cs_label_cache.h: decayed counts of every label fed since the start of
 * the source, half-life CS_LCACHE_HALF_LIFE) blended with weight W into the model's and modified KN's test
 * probabilities: rows "... + cache W" (not candidates: no validation figure). *mem owns their losses. 0 or 1. */
static int cache_rows(eval_result *r, const int *const *seqs, const size_t *lens, int nseq, double W, double **mem)
{
    int src[2], n = 0;
    for (int i = 0; i < r->n_rows; ++i)
        if (!strcmp(r->row[i].key, "modified_kneser_ney")) src[n++] = i;
    if (r->model_row >= 0) src[n++] = r->model_row;
    const size_t nt = r->n_test;
    double *alone = malloc((nt ? nt : 1) * sizeof *alone);
    *mem = malloc((size_t)(n ? n : 1) * (nt ? nt : 1) * sizeof **mem);
    if (!alone || !*mem) {
        free(alone);
        return cs_cli_fail("eval", "out of memory");
    }
    for (int j = 0; j < n; ++j) {
        const eval_row *from = &r->row[src[j]];
        double *out = *mem + (size_t)j * nt, sum = 0.0;
        /* (1 - W) p_model + W p_cache, p_model alone where the cache is empty: cs_lcache_blend's rule */
        if (cache_alone_losses(r, seqs, lens, nseq, CS_PART_TEST, from->losses, alone)) {
            free(alone);
            return cs_cli_fail("eval", "out of memory");
        }
        cs_eval_mix(alone, from->losses, nt, W, out);
        for (size_t i = 0; i < nt; ++i)
            sum += out[i];
        char key[24], name[48], set[48];
        snprintf(key, sizeof key, "%s_cache", src[j] == r->model_row ? "model" : "mkn");
        snprintf(name, sizeof name, "%s", src[j] == r->model_row ? "this model + cache" : "MKN + cache");
        snprintf(set, sizeof set, "cache %.2f", W);
        add_row(r, key, name, set, (double)NAN, nt ? sum / (double)nt : (double)NAN, out);
    }
    free(alone);
    return 0;
}

static void eval_verdict(eval_result *r)
{
    r->chosen = r->best_ngram;
    r->verdict_row = r->model_row;
    r->diff = r->diff_lo = r->diff_hi = NAN;
    if (r->model_row < 0) return;
    if (r->row[r->model_row].val < r->row[r->chosen].val) r->chosen = r->model_row;
    const eval_row *a = &r->row[r->model_row], *b = &r->row[r->best_ngram];
    r->diff = a->test - b->test;
    if (a->losses && b->losses)
        cs_eval_bootstrap(a->losses, b->losses, r->n_test, CS_EVAL_BOOT_REPS, CS_EVAL_LEVEL, 1, &r->diff_lo,
                          &r->diff_hi);
    else
        r->diff_lo = r->diff_hi = r->diff;
}

/* The verdict in words (no trailing newline). */
static void verdict_text(const eval_result *r, char *buf, size_t n)
{
    const eval_row *b = &r->row[r->best_ngram];
    if (r->model_row < 0) {
        snprintf(buf, n, "no model: the best n-gram on validation is %s (%s)", b->name, b->setting);
    } else if (r->n_test < CS_EVAL_MIN_TEST) {
        snprintf(buf, n,
                 "too small to tell: %zu test labels (at least %d are needed to name a winner); analyse more audio "
                 "or raise --test-fraction",
                 r->n_test, CS_EVAL_MIN_TEST);
    } else if (r->diff_hi < 0.0) {
        snprintf(buf, n, "the model predicts better than %s (%s) on test", b->name, b->setting);
    } else if (r->diff_lo > 0.0) {
        snprintf(buf, n, "%s (%s) predicts better than the model on test", b->name, b->setting);
    } else {
        snprintf(buf, n, "no clear winner: the interval of the difference includes 0");
    }
}

static void eval_print_json(const eval_result *r)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "bundle", r->bundle);
    cJSON_AddNumberToObject(o, "labels", r->V);
    cJSON_AddNumberToObject(o, "train_labels", (double)r->n_train);
    cJSON_AddNumberToObject(o, "val_labels", (double)r->n_val);
    cJSON_AddNumberToObject(o, "test_labels", (double)r->n_test);
    cJSON_AddNumberToObject(o, "val_fraction", r->split.val);
    cJSON_AddNumberToObject(o, "test_fraction", r->split.test);
    cJSON_AddNumberToObject(o, "min_test_labels", CS_EVAL_MIN_TEST);
    if (r->path) {
        cJSON_AddStringToObject(o, "model", r->path);
        cJSON_AddStringToObject(o, "arch", r->arch);
    }
    cJSON *t = cJSON_AddObjectToObject(o, "bits_per_label"), *v = cJSON_AddObjectToObject(o, "val_bits_per_label");
    cJSON *ci = cJSON_AddObjectToObject(o, "interval"), *set = cJSON_AddObjectToObject(o, "setting");
    for (int i = 0; i < r->n_rows; ++i) {
        const eval_row *w = &r->row[i];
        cJSON_AddNumberToObject(t, w->key, w->test);
        cJSON_AddNumberToObject(v, w->key, w->val);
        cJSON *a = cJSON_AddArrayToObject(ci, w->key);
        cJSON_AddItemToArray(a, cJSON_CreateNumber(w->lo));
        cJSON_AddItemToArray(a, cJSON_CreateNumber(w->hi));
        cJSON_AddStringToObject(set, w->key, w->setting);
    }
    cJSON_AddStringToObject(o, "best_ngram", r->row[r->best_ngram].key);
    cJSON_AddStringToObject(o, "chosen", r->row[r->chosen].key);
    if (r->model_row >= 0) {
        cJSON *d = cJSON_AddArrayToObject(o, "model_minus_best_ngram");
        cJSON_AddItemToArray(d, cJSON_CreateNumber(r->diff));
        cJSON_AddItemToArray(d, cJSON_CreateNumber(r->diff_lo));
        cJSON_AddItemToArray(d, cJSON_CreateNumber(r->diff_hi));
        /* against modified KN whatever the best n-gram: the reference of train --arch auto's one-SE rule */
        const eval_row *a = &r->row[r->model_row];
        for (int i = 0; i < r->n_rows; ++i) {
            const eval_row *m = &r->row[i];
            if (strcmp(m->key, "modified_kneser_ney") || !a->losses || !m->losses) continue;
            double lo = NAN, hi = NAN;
            cs_eval_bootstrap(a->losses, m->losses, r->n_test, CS_EVAL_BOOT_REPS, CS_EVAL_LEVEL, 1, &lo, &hi);
            cJSON *dm = cJSON_AddArrayToObject(o, "model_minus_mkn");
            cJSON_AddItemToArray(dm, cJSON_CreateNumber(a->test - m->test));
            cJSON_AddItemToArray(dm, cJSON_CreateNumber(lo));
            cJSON_AddItemToArray(dm, cJSON_CreateNumber(hi));
        }
    }
    char verdict[256];
    verdict_text(r, verdict, sizeof verdict);
    cJSON_AddStringToObject(o, "verdict", verdict);
    cJSON_AddBoolToObject(o, "too_small", r->n_test < CS_EVAL_MIN_TEST);
    if (r->cache_w == r->cache_w) cJSON_AddNumberToObject(o, "cache_weight", r->cache_w);
    char *s = cJSON_Print(o);
    if (s) puts(s);
    free(s);
    cJSON_Delete(o);
}

static void eval_print_table(const eval_result *r)
{
    printf("test cross-entropy on %s: %zu train / %zu validation / %zu test labels (last %.0f%% of each source is\n"
           "test, the %.0f%% before it validation), %d labels; settings chosen on validation, %.0f%% block-bootstrap "
           "intervals\n",
           cs_cli_safe(r->bundle), r->n_train, r->n_val, r->n_test, r->split.test * 100.0, r->split.val * 100.0, r->V,
           CS_EVAL_LEVEL * 100.0);
    printf("  %-26s %-12s %10s %10s  %s\n", "model", "setting", "val bits", "test bits", "test interval");
    for (int i = 0; i < r->n_rows; ++i) {
        const eval_row *w = &r->row[i];
        char vb[32];
        if (isfinite(w->val))
            snprintf(vb, sizeof vb, "%10.4f", w->val);
        else
            snprintf(vb, sizeof vb, "%10s", "-");
        printf("  %-26s %-12s %s %10.4f  [%.4f, %.4f]%s\n", w->name, w->setting, vb, w->test, w->lo, w->hi,
               i == r->chosen ? "  <- chosen" : "");
    }
    char verdict[256];
    verdict_text(r, verdict, sizeof verdict);
    const eval_row *c = &r->row[r->chosen];
    printf("chosen: %s, the lowest validation bits (%.4f)%s\n", c->name, c->val,
           r->model_row >= 0 && r->chosen != r->model_row
               ? "; a model file holds a network, modified Kneser-Ney (train --arch ngram) or their mixture "
                 "(train --ngram-mix)"
               : "");
    if (r->mixed)
        printf("note: SeqPredict, SeqModelLang and Pseqpredict play this file's n-gram table as eval scores it\n");
    if (r->model_row >= 0)
        printf("model - %s on test: %+.4f bits/label [%.4f, %.4f]\n", r->row[r->best_ngram].name, r->diff, r->diff_lo,
               r->diff_hi);
    printf("verdict: %s\n", verdict);
    if (r->cache_w == 0.0)
        printf("cache: weight 0 fit on validation (the cache does not lower the validation bits by more than one "
               "standard error): leave SeqPredict's cache at 0\n");
    else if (r->cache_w > 0.0)
        printf("cache: weight %.2f%s (SeqPredict's cache input)\n", r->cache_w,
               r->cache_auto ? ", fit on validation by the one-SE rule" : ", as given");
    if (r->path && r->model_train != r->n_train)
        printf("note: the model was trained on %zu labels but this split trains on %zu: it was trained with another "
               "split, so its test figure may include labels it has seen (train it again with this split)\n",
               r->model_train, r->n_train);
}

int cs_cmd_eval(int argc, char **argv)
{
    eval_opts o;
    const int pr = eval_parse(argc, argv, &o);
    if (pr) return pr == 2 ? 0 : 1;
    const char *bundle = o.bundle;
    cs_bundle b;
    char err[1024] = "";
    if (cs_bundle_read(bundle, &b, err, sizeof err)) return cs_cli_fail("eval", "%s", err);
    char *defpath = o.model ? NULL : cs_default_model_path(bundle);
    const char *path = o.model ? o.model : (defpath && access(defpath, F_OK) == 0 ? defpath : NULL);
    int rc = 1, **seqs = NULL, nseq = 0;
    size_t *lens = NULL;
    float *buf = NULL, **descs = NULL;
    double *mem = NULL, *cmem = NULL;
    size_t nbuf = 0;
    cs_model_view view;
    memset(&view, 0, sizeof view);
    cs_ngram_report ng;
    memset(&ng, 0, sizeof ng);
    eval_result r;
    memset(&r, 0, sizeof r);
    r.split = (cs_split){o.valf, o.testf};
    r.bundle = bundle;
    r.path = path;
    r.model_row = r.mix_row = -1;
    if (path && cs_cli_load_model("eval", path, &b, o.any_corpus, &buf, &nbuf, &view)) goto done;
    if (cs_label_sequences(&b, &seqs, &lens, &nseq)) {
        cs_cli_fail("eval", "out of memory");
        goto done;
    }
    r.V = (int)b.view.num_labels;
    int e = cs_ngram_baselines((const int *const *)seqs, lens, nseq, r.V, r.split, o.max_order, &ng);
    if (e) {
        cs_cli_fail("eval", "%s: baselines failed (%s)", bundle, cs_strerror(e));
        goto done;
    }
    r.n_train = ng.n_train;
    r.n_val = ng.n_val;
    r.n_test = ng.n_test;
    if (ng.n_val == 0 || ng.n_test == 0) {
        cs_cli_fail("eval", "%s: no %s labels (every source is shorter than %.0f units)", bundle,
                    ng.n_test ? "validation" : "test", ceil(1.0 / (ng.n_test ? o.valf : o.testf)));
        goto done;
    }
    ngram_rows(&r, &ng);
    if (path) {
        r.arch = arch_name(view.cfg.arch);
        r.model_train = view.meta.train_tokens;
        if (view.cfg.desc_inputs > 0 && (e = cs_desc_sequences(&b, &view, lens, nseq, &descs)) != 0) {
            cs_cli_fail("eval",
                        "%s: the model reads %d descriptor inputs, the corpus %s has %u descriptors (+ the "
                        "duration): %s",
                        path, view.cfg.desc_inputs, bundle, b.view.num_descriptors,
                        e == CS_E_NOMEM ? "out of memory" : "evaluate it on the corpus it was trained on");
            goto done;
        }
        if (model_rows(&r, &view, (const int *const *)seqs, (const float *const *)descs, lens, nseq, &ng, o.threads,
                       &mem))
            goto done;
    }
    r.cache_w = o.cache > 0.0 ? o.cache : (double)NAN;
    r.cache_auto = o.cache_auto;
    if (o.cache_auto && cache_fit(&r, (const int *const *)seqs, lens, nseq, &ng, &r.cache_w)) goto done;
    if (r.cache_w > 0.0 && cache_rows(&r, (const int *const *)seqs, lens, nseq, r.cache_w, &cmem)) goto done;
    eval_verdict(&r);
    if (o.json)
        eval_print_json(&r);
    else
        eval_print_table(&r);
    rc = 0;
done:
    free(mem);
    free(cmem);
    cs_ngram_report_free(&ng);
    free(buf);
    cs_desc_sequences_free(descs, nseq);
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
    int force = 0, prec = -1; /* -1: as the JSON's "weights" key says */
    for (int i = 1; i < argc; ++i) {
        if (!strcmp(argv[i], "-o") || !strcmp(argv[i], "--output")) {
            if (i + 1 >= argc) return cs_cli_fail("import-json", "-o: missing value");
            out = argv[++i];
        } else if (!strcmp(argv[i], "--force"))
            force = 1;
        else if (!strcmp(argv[i], "--weights")) {
            if (i + 1 >= argc) return cs_cli_fail("import-json", "--weights: missing value (float or half)");
            const char *v = argv[++i];
            prec = !strcmp(v, "half") ? CS_MODEL_PRECISION_HALF : !strcmp(v, "float") ? CS_MODEL_PRECISION_FLOAT : -2;
            if (prec == -2) return cs_cli_fail("import-json", "--weights %s: not float or half", v);
        } else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            printf("usage: concatseq import-json JSON -o MODEL [--force] [--weights float|half]\n"
                   "  --weights: store float32 or IEEE half weights (default: the JSON's \"weights\" key, else "
                   "float)\n");
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
    int rc = cs_model_import_json_prec(in, out, prec, &io);
    if (rc == CS_E_IO && io.output)
        return cs_cli_fail("import-json", "%s: %s", out, cs_model_write_reason(io.sys_errno));
    if (rc == CS_E_IO) return cs_cli_fail("import-json", "%s: cannot read (%s)", in, strerror(io.sys_errno));
    if (rc == CS_E_ARG)
        return cs_cli_fail("import-json",
                           "%s: half-precision weights need an even width and no descriptor inputs "
                           "(config.desc_inputs; use --weights float)",
                           in);
    if (rc == CS_E_NONFINITE && prec != CS_MODEL_PRECISION_FLOAT)
        return cs_cli_fail("import-json",
                           "%s: a weight is not finite, beyond 2^20, or (for half precision) beyond 65504 (use "
                           "--weights float)",
                           in);
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
    double temperature, top_p, penalty, cache;
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
                   "  --cache W              label cache weight 0..1 on every draw, as SeqPredict's cache input\n"
                   "                         (decayed counts of the labels fed; 0 = off, the default)\n"
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
        else if (!strcmp(a, "--cache"))
            bad = cs_cli_parse_double(v, &o->cache) || !(o->cache >= 0.0) || o->cache > 1.0;
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
        sp.step_cache = primed ? 0.0f : (float)o.cache; /* what SeqPredict's queue sets from its cache input */
        cs_seqp_step(&sp, primed ? (float)primes[i] : -1.0f, &sparams, n_hist, NULL, 0);
        int label = (int)sp.label;
        uint32_t unit = 0;
        int srst = cs_select_pick(&sel, &b.view, lru, label, policy, NULL, &unit);
        /* descriptor inputs: the network reads the unit picked for this label (as SeqPredict's unit input) */
        cs_seqp_feed_pending(&sp, &b.view, srst == CS_SELECT_OK ? (float)unit : -1.0f);
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
