/* cs_mosaic.c - `concatseq mosaic`: a target recording rendered from a corpus's units. See cs_mosaic.h. */
#include "cs_mosaic.h"

#include "cs_audio.h"
#include "cs_bundle.h"
#include "cs_cli.h"
#include "cs_concatlisten.h"
#include "cs_concatplay.h"
#include "cs_describe.h"
#include "cs_error.h"
#include "cs_fft.h"
#include "cs_model_cli.h"
#include "cs_progress.h"
#include "cs_seqpredict.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CMD "mosaic"

/* ------------------------------------------------------------------------------------------------ options */

typedef struct mosaic_opts {
    const char *bundle, *target, *out, *model, *score, *report, *descriptors;
    int mode; /* enum cs_mosaic_mode, or -1: the corpus's own segmentation (frames for novelty) */
    int select, block, force, any_corpus, quiet, pmode;
    double guidance, temperature, amp, attack, release;
    uint64_t seed;
} mosaic_opts;

/* --mode: the names of ConcatListen's modes (enum cs_listen_mode), in number order. */
static const char *const mode_names[] = {"frames", "onsets", "grains"};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: concatseq mosaic BUNDLE TARGET -o OUT.wav [options]\n"
            "Renders the recording TARGET from the corpus's units: TARGET (any format libsndfile reads, resampled\n"
            "to the corpus rate, mixed to mono) is cut into units and described as the corpus was, and per target\n"
            "unit ConcatPlay's core starts the corpus unit nearest to it, block by block as the server would run\n"
            "ConcatListen -> SeqPredict -> ConcatPlay: an NRT render of that synth gives the same samples. OUT is a\n"
            "float WAV with the corpus's channels and rate; it ends when the last unit heard in TARGET has played\n"
            "(units heard in the silence after TARGET are not played).\n"
            "  -o, --output OUT.wav   the render (written atomically; --force replaces an existing file)\n"
            "  --mode frames|onsets|grains  target units: one per analysis hop, onset events, or the corpus's\n"
            "                         grains (default: the corpus's own segmentation; frames for novelty)\n"
            "  --descriptors a,b,...  descriptors the target is matched on (default: the corpus's clustering\n"
            "                         descriptors, weight > 0, without duration)\n"
            "  --select nearest|random|successor|lru  ConcatPlay's policy within the label (default nearest)\n"
            "  --model MODEL          SeqPredict's core chooses each label (the model of the bundle's corpus)\n"
            "  --guidance G           weight of the target in the model's choice, >= 0 (default 0: the model alone)\n"
            "  --temperature T        0..1000 (default 1)\n"
            "  --score MODEL          only score the played labels with MODEL (bits per label), labels not driven\n"
            "  --seed S               seeds SeqPredict and ConcatPlay (default 1)\n"
            "  --block N              server block size the render emulates, 1..4096 samples (default 64)\n"
            "  --amp A (1)  --attack S (0.005)  --release S (0.005)   ConcatPlay's grain inputs\n"
            "  --report TSV           one line per target unit: time, target unit, label, unit, distance, bits\n"
            "  --any-corpus           use a model trained on another corpus   --quiet  no summary line\n"
            "  --progress bar|lines|none  (default: a bar when stderr is a terminal)\n"
            "The summary line gives the mean distance (root mean square over the matched descriptors, in\n"
            "normalised units) between each target unit and the unit played for it, and, with --model or\n"
            "--score, the model's bits per played label (-log2 of its own probability, temperature 1).\n");
}

/* One option with a value; 0, 1 (bad value) or 2 (unknown option). */
static int mosaic_option(const char *a, const char *v, mosaic_opts *o)
{
#define OPT(n) (!strcmp(a, n))
    if (OPT("-o") || OPT("--output")) return (o->out = v), 0;
    if (OPT("--model")) return (o->model = v), 0;
    if (OPT("--score")) return (o->score = v), 0;
    if (OPT("--report")) return (o->report = v), 0;
    if (OPT("--descriptors")) return (o->descriptors = v), 0;
    if (OPT("--mode")) {
        o->mode = -1;
        for (int m = 0; m < 3; ++m)
            if (!strcmp(v, mode_names[m])) o->mode = m;
        return o->mode < 0;
    }
    if (OPT("--select")) {
        o->select = -1;
        for (int p = 0; p < CS_SELECT_NUM_POLICIES; ++p)
            if (!strcmp(v, cs_select_policy_name(p))) o->select = p;
        return o->select < 0;
    }
    if (OPT("--guidance")) return cs_cli_parse_double(v, &o->guidance) || o->guidance < 0 || o->guidance > 1e6;
    if (OPT("--temperature"))
        return cs_cli_parse_double(v, &o->temperature) || o->temperature < 0 || o->temperature > 1000;
    if (OPT("--seed")) return cs_cli_parse_u64(v, &o->seed) || (double)o->seed > CS_SEQP_MAX_SEED;
    if (OPT("--block")) return cs_cli_parse_int(v, &o->block) || o->block < 1 || o->block > 4096;
    if (OPT("--amp")) return cs_cli_parse_double(v, &o->amp) || fabs(o->amp) > CS_GRAIN_MAX_AMP;
    if (OPT("--attack")) return cs_cli_parse_double(v, &o->attack) || o->attack < 0 || o->attack > 10;
    if (OPT("--release")) return cs_cli_parse_double(v, &o->release) || o->release < 0 || o->release > 10;
    if (OPT("--progress")) return (o->pmode = cs_progress_mode_from_name(v)) < 0;
#undef OPT
    return 2;
}

/* Parse argv; 0 (go on), 1 (error printed), 2 (--help printed). */
static int mosaic_parse(int argc, char **argv, mosaic_opts *o)
{
    memset(o, 0, sizeof *o);
    o->mode = -1;
    o->pmode = CS_PROGRESS_AUTO;
    o->select = CS_SELECT_NEAREST;
    o->block = 64;
    o->temperature = 1.0;
    o->amp = 1.0;
    o->attack = o->release = 0.005;
    o->seed = 1;
    for (int i = 1; i < argc; ++i) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 2;
        }
        if (!strcmp(a, "--force") || !strcmp(a, "--any-corpus") || !strcmp(a, "--quiet") || !strcmp(a, "-q")) {
            *(a[2] == 'f' ? &o->force : a[2] == 'a' ? &o->any_corpus : &o->quiet) = 1;
            continue;
        }
        if (a[0] != '-') {
            if (!o->bundle)
                o->bundle = a;
            else if (!o->target)
                o->target = a;
            else
                return cs_cli_fail(CMD, "unexpected argument %s (usage: concatseq mosaic BUNDLE TARGET -o OUT.wav)", a);
            continue;
        }
        const char *v = i + 1 < argc ? argv[++i] : NULL;
        if (!v) return cs_cli_fail(CMD, "%s: missing value", a);
        const int bad = mosaic_option(a, v, o);
        if (bad == 2) return cs_cli_fail(CMD, "unknown option %s (see `concatseq mosaic --help`)", a);
        if (bad) return cs_cli_fail(CMD, "%s %s: not a valid value (see `concatseq mosaic --help`)", a, v);
    }
    if (!o->bundle || !o->target)
        return cs_cli_fail(CMD, "BUNDLE and TARGET are required (usage: concatseq mosaic BUNDLE TARGET -o OUT.wav)");
    if (!o->out) return cs_cli_fail(CMD, "-o OUT.wav: the output file is required");
    if (o->model && o->score) return cs_cli_fail(CMD, "--model and --score exclude each other (--model also scores)");
    if (o->guidance > 0 && !o->model) return cs_cli_fail(CMD, "--guidance needs --model (the model it guides)");
    if (!o->force && access(o->out, F_OK) == 0)
        return cs_cli_fail(CMD, "%s: already exists (use --force to overwrite)", o->out);
    return 0;
}

/* ------------------------------------------------------------------------------ the corpus's analysis */

/* What the render needs to know of the corpus beyond its table: its segmentation (the default mode), the
 * descriptor of each column (from the manifest), the clustering weights, and the columns matched. */
typedef struct corpus_info {
    int segment;          /* the listening section's segmentation: 0 grain, 1 onset, 2 novelty */
    uint32_t nd;          /* the table's descriptor columns */
    int kind[CS_D_COUNT]; /* per column: its cs_unit_descriptor */
    float weight[CS_D_COUNT];
    uint32_t dims[CS_SELECT_MAX_TARGET_DIMS]; /* matched columns */
    uint32_t ndims;
} corpus_info;

/* The descriptor of a manifest name, or -1. */
static int descriptor_kind(const char *name)
{
    for (int d = 0; name && d < CS_D_COUNT; ++d)
        if (!strcmp(cs_descriptor_name(d), name)) return d;
    return -1;
}

/* The matched columns: `list` (names, comma-separated) or the default; 0 or 1 (error printed). */
static int corpus_dims(corpus_info *ci, const char *list, const char *bundle)
{
    ci->ndims = 0;
    if (!list) {
        for (uint32_t c = 0; c < ci->nd && ci->ndims < CS_SELECT_MAX_TARGET_DIMS; ++c)
            if (ci->weight[c] > 0 && ci->kind[c] != CS_D_DURATION) ci->dims[ci->ndims++] = c;
        if (ci->ndims == 0) return cs_cli_fail(CMD, "%s: no descriptor to match on (give --descriptors)", bundle);
        return 0;
    }
    char name[64];
    for (const char *p = list; *p;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == 0 || len >= sizeof name) return cs_cli_fail(CMD, "--descriptors %s: an empty or bad name", list);
        memcpy(name, p, len);
        name[len] = '\0';
        const int kind = descriptor_kind(name);
        uint32_t c = 0;
        while (c < ci->nd && ci->kind[c] != kind)
            c++;
        if (kind < 0 || c == ci->nd)
            return cs_cli_fail(CMD, "--descriptors: %s is not a descriptor of %s (see `concatseq info %s`)", name,
                               bundle, bundle);
        for (uint32_t k = 0; k < ci->ndims; ++k)
            if (ci->dims[k] == c) return cs_cli_fail(CMD, "--descriptors: %s is named twice", name);
        if (ci->ndims == CS_SELECT_MAX_TARGET_DIMS)
            return cs_cli_fail(CMD, "--descriptors: at most %d descriptors", CS_SELECT_MAX_TARGET_DIMS);
        ci->dims[ci->ndims++] = c;
        p = e ? e + 1 : p + len;
    }
    return 0;
}

/*
 * The corpus's segmentation and clustering weights from the unit table's listening section (version 3, what
 * ConcatListen reads) and the descriptor names from the manifest; 0 or 1 (error printed).
 */
static int corpus_read(const cs_bundle *b, const char *list, corpus_info *ci)
{
    memset(ci, 0, sizeof *ci);
    const cs_ut_view *v = &b->view;
    if (!v->has_listen)
        return cs_cli_fail(CMD,
                           "%s: its unit table has no listening section (version %u); rebuild the bundle with "
                           "`concatseq analyze --force`",
                           b->dir, v->version);
    ci->segment = v->listen.segmentation;
    ci->nd = v->num_descriptors;
    const cJSON *descs = cJSON_GetObjectItemCaseSensitive(b->manifest, "descriptors");
    if (!cJSON_IsArray(descs) || (uint32_t)cJSON_GetArraySize(descs) != ci->nd || ci->nd > CS_D_COUNT)
        return cs_cli_fail(CMD, "%s: the manifest's descriptors do not match its unit table", b->dir);
    for (uint32_t c = 0; c < ci->nd; ++c) {
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(descs, (int)c), "name");
        ci->kind[c] = descriptor_kind(cJSON_IsString(nm) ? nm->valuestring : NULL);
        ci->weight[c] = v->listen.weight[c];
        if (ci->kind[c] < 0) return cs_cli_fail(CMD, "%s: descriptor %u of the manifest has no known name", b->dir, c);
    }
    return corpus_dims(ci, list, b->dir);
}

/* ----------------------------------------------------------------------------------------------- listen */

/* The whole target, decoded to the corpus rate, mono; 0 or 1 (error printed). */
static int target_decode(const char *path, int rate, float **x, size_t *n)
{
    cs_audio_reader r;
    cs_audio info;
    memset(&r, 0, sizeof r);
    int rc = cs_audio_open(path, rate, 1, CS_RESAMPLER_DEFAULT, &r, &info);
    if (rc) {
        cs_cli_fail(CMD, "%s: %s", path, r.msg[0] ? r.msg : cs_strerror(rc));
        return 1;
    }
    size_t cap = 1 << 16, len = 0;
    float *buf = malloc(cap * sizeof *buf);
    const float *blk;
    size_t got;
    while (buf && (rc = cs_audio_next(&r, &blk, &got)) == 0 && got > 0) {
        if (len + got > cap) {
            while (len + got > cap)
                cap *= 2;
            float *nb = realloc(buf, cap * sizeof *buf);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
        }
        memcpy(buf + len, blk, got * sizeof *buf);
        len += got;
    }
    cs_audio_close(&r);
    if (!buf) return cs_cli_fail(CMD, "%s: out of memory", path);
    if (rc || len == 0) {
        free(buf);
        return cs_cli_fail(CMD, "%s: %s", path, rc ? (r.msg[0] ? r.msg : cs_strerror(rc)) : "no audio");
    }
    *x = buf;
    *n = len;
    return 0;
}

/* ----------------------------------------------------------------------------------------------- render */

/* A model bound as SeqPredict binds it; 0 or 1 (error printed). */
typedef struct model_run {
    float *buf;
    size_t n;
    cs_model_view view;
    cs_seqp sp;
    int on;
} model_run;

static int model_open(model_run *m, const char *path, const cs_bundle *b, int any_corpus, uint64_t seed)
{
    memset(m, 0, sizeof *m);
    cs_seqp_init(&m->sp, seed);
    if (cs_cli_load_model(CMD, path, b, any_corpus, &m->buf, &m->n, &m->view)) return 1;
    m->on = 1;
    return 0;
}

/* Verify the whole model at once (the scorer, which no block budget constrains). */
static int model_ready(model_run *m, uint64_t seed, const char *path)
{
    int st;
    while ((st = cs_seqp_bind(&m->sp, m->buf, m->n, 1, (float)seed, cs_cli_heap_alloc, cs_cli_heap_free, NULL)) ==
           CS_SEQP_VERIFYING) {}
    if (st == CS_SEQP_READY) return 0;
    return cs_cli_fail(CMD, "%s: the model cannot be used (%s)", path,
                       st == CS_SEQP_NO_MEMORY ? "out of memory" : cs_model_strerror(m->sp.err));
}

static void model_close(model_run *m)
{
    cs_seqp_release(&m->sp, cs_cli_heap_free, NULL);
    free(m->buf);
    memset(m, 0, sizeof *m);
}

/* The render's running totals and its optional report. */
typedef struct render_stats {
    double dist_sum, bits_sum;
    size_t heard, played, scored;
    FILE *report;
} render_stats;

/* Root mean square difference over the matched columns between the heard descriptors (ConcatListen's outputs,
 * in the order of ci->dims) and unit u's. */
static double unit_distance(const cs_ut_view *v, uint32_t u, const float *heard, const corpus_info *ci)
{
    const float *d = cs_ut_unit_descriptors(v, u);
    double s = 0;
    for (uint32_t k = 0; k < ci->ndims; ++k) {
        const double e = (double)d[ci->dims[k]] - (double)heard[k];
        s += e * e;
    }
    return sqrt(s / ci->ndims);
}

/* Everything one render needs: the inputs, and the three UGens' core states (as one synth holds them). */
typedef struct render {
    const mosaic_opts *o;
    const cs_bundle *b;
    const float *audio;
    size_t audio_frames;
    const corpus_info *ci;
    const float *x; /* the target, mono, at the corpus rate */
    size_t n;
    int mode;
    cs_fft_host *fft;
    cs_concatlisten cl;     /* ConcatListen.kr(in, corpus, mode, descriptors) */
    model_run drive, score; /* SeqPredict.kr(model, trig, ..., corpus, target, guidance); the scorer */
    cs_seqp_corpus corpus;  /* SeqPredict's corpus binding */
    cs_concatplay cp;       /* ConcatPlay.ar(channels, corpus, trig, label, ..., target) */
    cs_wav_stream out;
    cs_progress prog;
    render_stats st;
    char err[1024];
} render;

/* Score the label just played (teacher forcing: the model's own probability before it is fed). */
static void score_label(render *r, int label, double *bits)
{
    *bits = NAN;
    if (!r->score.on || label < 0) return;
    cs_sample_params sp;
    int nh;
    cs_seqp_params(1.f, 0.f, 1.f, 1.f, 0.f, r->score.view.cfg.vocab, &sp, &nh);
    if (cs_seqp_step(&r->score.sp, (float)label, &sp, nh, NULL, 0) != 0) return;
    *bits = -log2((double)r->score.sp.prob);
}

/* After a block whose trigger was up (a unit heard, ending at sample `at`): what was played for it. */
static void account(render *r, const cs_cl_out *h, uint64_t at, uint64_t starts_before)
{
    const cs_player *p = r->cp.player;
    const double sr = r->b->view.sample_rate;
    r->st.heard++;
    if (p->starts == starts_before || p->unit_value < 0) {
        if (r->st.report)
            fprintf(r->st.report, "%.6f\t%.6f\t%g\t%.6f\t-1\t-1\t\t\n", (double)at / sr, (double)h->age,
                    (double)h->label, (double)h->distance);
        return;
    }
    const uint32_t u = (uint32_t)p->unit_value;
    const int label = cs_ut_unit_label(&r->b->view, u);
    const double d = unit_distance(&r->b->view, u, h->desc, r->ci);
    double bits;
    score_label(r, label, &bits);
    r->st.played++;
    r->st.dist_sum += d;
    if (isfinite(bits)) r->st.bits_sum += bits, r->st.scored++;
    if (r->st.report)
        fprintf(r->st.report, "%.6f\t%.6f\t%g\t%.6f\t%d\t%u\t%.6f\t%.6f\n", (double)at / sr, (double)h->age,
                (double)h->label, (double)h->distance, label, u, d, bits);
}

/* The inputs of SeqPredict.kr after its model (control rate, one value each) and of ConcatPlay.ar after its
 * corpus, as the synth's wires hold them; trig, label and the target come from the UGens before. */
typedef struct wires {
    float trig, label, temperature, topk, topp, prime, reset, seed, penalty, hist, guidance, prob, entropy;
    float unit, rate, amp, attack, release, select, pan, dur, gapless, lead;
    float played; /* ConcatPlay's unit output at the previous block's first sample: SeqPredict's unit input (the
                     synth's LocalIn, one block late), read by a model with descriptor inputs */
    float pairs[2 * CS_SELECT_MAX_TARGET_DIMS];
    float listen_reset;
} wires;

static void wires_init(wires *w, const mosaic_opts *o, const corpus_info *ci)
{
    memset(w, 0, sizeof *w);
    w->label = CS_LABEL_ANY;
    w->temperature = (float)o->temperature;
    w->topp = w->penalty = w->rate = 1;
    w->prime = w->unit = w->played = -1;
    w->seed = (float)o->seed;
    w->guidance = (float)o->guidance;
    w->amp = (float)o->amp;
    w->attack = (float)o->attack;
    w->release = (float)o->release;
    w->select = (float)o->select;
    w->lead = 0.03f;
    for (uint32_t k = 0; k < ci->ndims; ++k)
        w->pairs[2 * k] = (float)ci->dims[k];
}

/* SeqPredict.kr for one block (ctor: the constructor's one-sample call): as plugins/SeqPredict's _next. */
static void seqpredict_block(render *r, wires *w, uint32_t B, int ctor)
{
    const cs_ut_view *v = &r->b->view;
    cs_seqp_bind(&r->drive.sp, r->drive.buf, r->drive.n, 1, w->seed, cs_cli_heap_alloc, cs_cli_heap_free, NULL);
    cs_seqp_io io;
    memset(&io, 0, sizeof io);
    float *in[CS_SEQP_NUM_INPUTS] = {&w->trig,  &w->temperature, &w->topk,    &w->topp, &w->prime,
                                     &w->reset, &w->seed,        &w->penalty, &w->hist};
    for (int i = 0; i < CS_SEQP_NUM_INPUTS; ++i)
        io.in[i] = in[i], io.step[i] = 0;
    io.budget_samples = ctor ? 1u : B;
    cs_seqp_guide guide;
    cs_select_target target;
    const int st = cs_seqp_corpus_bind(&r->corpus, 1, v->data, (uint32_t)r->b->table_n, 1);
    io.guide = st == CS_SEQP_CORPUS_OK && cs_cp_target(&target, NULL, 0, (float)r->ci->ndims, w->pairs, r->ci->ndims) &&
                       cs_seqp_corpus_guide(&r->corpus, &target, &guide)
                   ? &guide
                   : NULL;
    io.guidance = &w->guidance;
    /* descriptor inputs: the unit played for the last label, fed back as ConcatSeqFollow.followGraph does */
    io.unit = &w->played;
    io.table = st == CS_SEQP_CORPUS_OK ? &r->corpus.view : NULL;
    io.out_label = &w->label;
    io.out_prob = &w->prob;
    io.out_entropy = &w->entropy;
    cs_seqp_process(&r->drive.sp, &io, 1);
}

/* ConcatPlay.ar for one block of B samples into chans: as plugins/ConcatPlay's _next. */
static void concatplay_block(render *r, wires *w, uint32_t B, float *const *chans, float *unit_out, float *next_out)
{
    const cs_ut_view *v = &r->b->view;
    cs_player_io io;
    cs_cp_bind(&r->cp, v->data, (uint32_t)r->b->table_n, 1, r->audio, (uint32_t)r->audio_frames, v->channels,
               cs_cli_heap_alloc, cs_cli_heap_free, NULL, &io);
    cs_select_target target;
    const int has = cs_cp_target(&target, NULL, 0, (float)r->ci->ndims, w->pairs, r->ci->ndims);
    const float *in[CS_PLAYER_NUM_INPUTS] = {&w->trig,    &w->label,  &w->unit, &w->rate, &w->amp,     &w->attack,
                                             &w->release, &w->select, &w->pan,  &w->dur,  &w->gapless, &w->lead};
    for (int i = 0; i < CS_PLAYER_NUM_INPUTS; ++i)
        io.in[i] = in[i], io.step[i] = 0;
    io.out = chans;
    io.unit_out = unit_out;
    io.next_out = next_out;
    io.target = has ? &target : NULL;
    cs_player_process(r->cp.player, &io, B);
}

/*
 * The block loop of the synth {in = the target, then silence; ConcatListen.kr -> SeqPredict.kr (with --model) ->
 * ConcatPlay.ar, whose unit output goes back to SeqPredict's unit input one block late (ConcatSeqFollow.followGraph's
 * LocalIn)}, in the server's order: each UGen's constructor, then per block ConcatListen, SeqPredict and
 * ConcatPlay, each reading the wires the ones before wrote. A unit heard that starts after the target's end (the
 * silence after it) is not played: the trigger is held down. Renders until the listener can report no more unit of
 * the target and every voice is silent. Returns 0 or 1 (error printed).
 */
static int render_blocks(render *r)
{
    const cs_ut_view *v = &r->b->view;
    const uint32_t B = (uint32_t)r->o->block, ch = v->channels;
    const double sr = v->sample_rate;
    float *outbuf = malloc((size_t)B * ch * sizeof *outbuf), *planar = malloc((size_t)B * (ch + 3) * sizeof *planar);
    if (!outbuf || !planar) {
        free(outbuf);
        free(planar);
        return cs_cli_fail(CMD, "out of memory");
    }
    float *chans[CS_GRAIN_MAX_OUTPUTS], *in = planar + (size_t)ch * B, *unit_out = in + B, *next_out = unit_out + B;
    for (uint32_t c = 0; c < ch; ++c)
        chans[c] = planar + (size_t)c * B;
    wires w;
    wires_init(&w, r->o, r->ci);
    if (r->drive.on) seqpredict_block(r, &w, B, 1);
    uint64_t until = UINT64_MAX;
    int rc = 0;
    for (uint64_t t0 = 0; rc == 0; t0 += B) {
        for (uint32_t i = 0; i < B; ++i)
            in[i] = t0 + i < r->n ? r->x[t0 + i] : 0.f;
        cs_cl_out h;
        cs_cl_bind(&r->cl, v->data, (uint32_t)r->b->table_n, 1, cs_cli_heap_alloc, cs_cli_heap_free, NULL);
        cs_cl_process(&r->cl, in, B, &w.listen_reset, 0, &h);
        if (until == UINT64_MAX && r->cl.listener)
            until = r->n + cs_listener_max_wait(r->cl.listener) + cs_listener_config(r->cl.listener)->grain_len;
        const uint64_t at = t0 + B, age = (uint64_t)llround((double)h.age * sr);
        w.trig = h.trig > 0 && at - (age < at ? age : at) < r->n ? h.trig : 0.f;
        for (uint32_t k = 0; k < r->ci->ndims; ++k)
            w.pairs[2 * k + 1] = h.desc ? h.desc[k] : 0.f;
        if (r->drive.on) seqpredict_block(r, &w, B, 0);
        const uint64_t starts = r->cp.player->starts;
        concatplay_block(r, &w, B, chans, unit_out, next_out);
        w.played = unit_out[0];
        if (w.trig > 0) account(r, &h, at, starts);
        for (uint32_t i = 0; i < B; ++i)
            for (uint32_t c = 0; c < ch; ++c)
                outbuf[(size_t)i * ch + c] = chans[c][i];
        rc = cs_wav_stream_write(&r->out, outbuf, B, r->err, sizeof r->err);
        if (rc) cs_cli_fail(CMD, "%s", r->err);
        if (r->cl.state != CS_CL_OK && rc == 0)
            rc = cs_cli_fail(CMD, "the listener cannot use this corpus (state %d)", r->cl.state);
        if (at % (uint64_t)sr < B || at >= until) /* about once a second of target */
            cs_progress_report(&r->prog, "render", (size_t)(at < r->n ? at : r->n) / (size_t)sr, r->n / (size_t)sr,
                               "s of the target");
        if (at >= until && r->cp.player->active == 0) break;
    }
    free(outbuf);
    free(planar);
    return rc ? 1 : 0;
}

/* ------------------------------------------------------------------------------------------------ command */

/* The temporary output beside `out`: OUT.partial-PID. */
static void partial_path(const char *out, char *tmp, size_t cap)
{
    snprintf(tmp, cap, "%s.partial-%ld", out, (long)getpid());
}

/* Open the models: the driver (--model, also the scorer) or the scorer alone (--score). 0 or 1. */
static int open_models(render *r)
{
    const mosaic_opts *o = r->o;
    if (o->model) {
        if (model_open(&r->drive, o->model, r->b, o->any_corpus, o->seed)) return 1;
        if (model_open(&r->score, o->model, r->b, o->any_corpus, o->seed)) return 1;
    } else if (o->score) {
        if (model_open(&r->score, o->score, r->b, o->any_corpus, o->seed)) return 1;
    }
    if (r->score.on && model_ready(&r->score, o->seed, o->model ? o->model : o->score)) return 1;
    if (r->drive.on) { /* bind it once here only to report a bad model before rendering; the render rebinds */
        model_run probe;
        if (model_open(&probe, o->model, r->b, o->any_corpus, o->seed)) return 1;
        const int bad = model_ready(&probe, o->seed, o->model);
        model_close(&probe);
        if (bad) return 1;
    }
    return 0;
}

/* The three UGens' states as their constructors make them: ConcatListen's (with the FFT host of its plugin),
 * ConcatPlay's player, SeqPredict's corpus binding (its model: open_models). 0 or 1 (error printed). */
static int open_ugens(render *r)
{
    const mosaic_opts *o = r->o;
    const cs_ut_view *v = &r->b->view;
    r->fft = cs_fft_host_new(CS_FRAME_MAX_FFT) /* every size an analyser asks for, as plugins/ConcatListen */;
    if (!r->fft) return cs_cli_fail(CMD, "cannot make the FFT plans (out of memory?)");
    const cs_fft_ops ops = cs_fft_host_ops(r->fft);
    float sel[CS_SELECT_MAX_TARGET_DIMS];
    for (uint32_t k = 0; k < r->ci->ndims; ++k)
        sel[k] = (float)r->ci->dims[k];
    if (cs_cl_open(&r->cl, v->sample_rate, (float)r->mode, sel, r->ci->ndims, &ops) != CS_CL_OPEN_OK)
        return cs_cli_fail(CMD, "cannot create the listener (bad corpus rate %g Hz)", v->sample_rate);
    r->cl.trig_gap = 1; /* the synth's ConcatListen is .kr */
    cs_seqp_corpus_init(&r->corpus);
    const int op =
        cs_cp_open(&r->cp, 64.f, (float)o->seed, o->seed, v->channels, v->sample_rate, cs_cli_heap_alloc, NULL);
    if (op != CS_CP_OPEN_OK)
        return cs_cli_fail(CMD, "cannot create the player (%s)",
                           op == CS_CP_OPEN_NO_MEMORY ? "out of memory" : "bad corpus rate");
    return 0;
}

/* Decode, set the UGens up, render into `tmp`. 0 or 1 (error printed). */
static int mosaic_run(render *r, const char *tmp)
{
    const mosaic_opts *o = r->o;
    const cs_ut_view *v = &r->b->view;
    float *x = NULL;
    size_t n = 0;
    int rc = target_decode(o->target, (int)v->sample_rate, &x, &n);
    r->mode = o->mode >= 0          ? o->mode
              : r->ci->segment == 0 ? CS_LISTEN_GRAINS
              : r->ci->segment == 1 ? CS_LISTEN_ONSETS
                                    : CS_LISTEN_FRAMES;
    r->x = x;
    r->n = n;
    if (rc == 0 && open_models(r)) rc = 1;
    if (rc == 0 && open_ugens(r)) rc = 1;
    if (rc == 0 && cs_wav_stream_open(&r->out, tmp, (int)v->channels, (int)v->sample_rate, r->err, sizeof r->err))
        rc = cs_cli_fail(CMD, "%s", r->err);
    else if (rc == 0) {
        if (r->st.report)
            fprintf(r->st.report, "at_s\tage_s\theard_label\theard_distance\tlabel\tunit\tdistance\tbits\n");
        cs_progress_init(&r->prog, o->pmode, o->quiet);
        rc = render_blocks(r);
        cs_progress_finish(&r->prog);
        if (cs_wav_stream_close(&r->out, rc == 0, r->err, sizeof r->err) && rc == 0)
            rc = cs_cli_fail(CMD, "%s", r->err);
    }
    free(x);
    r->x = NULL;
    return rc;
}

int cs_cmd_mosaic(int argc, char **argv)
{
    mosaic_opts o;
    const int pr = mosaic_parse(argc, argv, &o);
    if (pr) return pr == 2 ? 0 : 1;
    render *r = calloc(1, sizeof *r);
    if (!r) return cs_cli_fail(CMD, "out of memory");
    cs_bundle b;
    corpus_info ci;
    char err[1024] = "", tmp[4200];
    float *audio = NULL;
    int rc = 1;
    if (cs_bundle_read(o.bundle, &b, err, sizeof err)) {
        free(r);
        return cs_cli_fail(CMD, "%s", err);
    }
    r->o = &o;
    r->b = &b;
    r->ci = &ci;
    size_t af = 0;
    int ach = 0, arate = 0;
    char *apath = malloc(strlen(o.bundle) + sizeof "/" CS_BUNDLE_AUDIO);
    if (!apath) goto done;
    sprintf(apath, "%s/%s", o.bundle, CS_BUNDLE_AUDIO);
    if (corpus_read(&b, o.descriptors, &ci)) goto done;
    const int ae = cs_read_float_wav(apath, &audio, &af, &ach, &arate);
    if (ae || (uint32_t)ach != b.view.channels || af != b.view.audio_frames) {
        cs_cli_fail(CMD, "%s: %s", apath, ae ? cs_strerror(ae) : "does not match the unit table (rebuild the bundle)");
        goto done;
    }
    r->audio = audio;
    r->audio_frames = af;
    if (o.report && !(r->st.report = fopen(o.report, "w"))) {
        cs_cli_fail(CMD, "--report %s: cannot write (%s)", o.report, strerror(errno));
        goto done;
    }
    partial_path(o.out, tmp, sizeof tmp);
    rc = mosaic_run(r, tmp);
    if (rc == 0 && rename(tmp, o.out) != 0) {
        rc = cs_cli_fail(CMD, "%s: cannot write (%s)", o.out, strerror(errno));
        unlink(tmp);
    }
    if (r->st.report && fclose(r->st.report) != 0 && rc == 0)
        rc = cs_cli_fail(CMD, "--report %s: write failed (is the disk full?)", o.report);
    r->st.report = NULL;
    if (rc == 0 && !o.quiet) {
        printf("wrote %s: %zu target units heard, %zu played", cs_cli_safe(o.out), r->st.heard, r->st.played);
        if (r->st.played) printf(", mean distance %.4f", r->st.dist_sum / (double)r->st.played);
        if (r->st.scored) printf(", %.4f bits/label", r->st.bits_sum / (double)r->st.scored);
        printf("\n");
    }
done:
    if (r->st.report) fclose(r->st.report);
    cs_cp_close(&r->cp, cs_cli_heap_free, NULL);
    cs_cl_close(&r->cl, cs_cli_heap_free, NULL);
    if (r->fft) cs_fft_host_free(r->fft);
    model_close(&r->drive);
    model_close(&r->score);
    free(apath);
    free(audio);
    cs_bundle_free(&b);
    free(r);
    return rc;
}
