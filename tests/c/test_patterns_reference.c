/*
 * test_patterns_reference.c - the C core's label generator as a reference for the sclang model
 * (sc-classes/SeqModelLang.sc, tests/sc/patterns_model.sh), and a self-test of that reference.
 *
 * The generator is the one SeqPredict and the patterns share (models/FORMAT.md "Semantics", cs_sample.h):
 *   reset (zero state, feed BOS); prime each label of --prime (cs_model_prime, added to the history);
 *   then n times: label = cs_sample(logits, params, history = the last H labels fed, mask, rng);
 *   cs_model_step(label); label added to the history.
 * A model file with an n-gram table (a mixture, or `train --arch ngram`: weight 0) is run as SeqPredict runs it:
 * the logits are cs_ngt_mix_logits of the network's (not run at weight 0) and the table's distribution after the
 * labels fed since the reset; `logits` prints those.
 * The rng is cs_rng seeded with --seed (cs_rng_seed: splitmix64 -> xoshiro128**); cs_sample consumes exactly
 * two outputs per call, argmax included.
 *
 * Usage (each prints to stdout, exit status 0 on success, 2 on a usage or model error):
 *   test_patterns_reference gen MODEL N [--temp T] [--topk K] [--topp P] [--penalty R] [--history H]
 *                               [--seed S] [--prime "a b c"] [--mask "0 1 1 ..."]
 *       N labels on one line, space separated. Defaults as SeqPredict's: temperature 1, top-k and top-p
 *       off, penalty 1, history 8, seed 0; mask values > 0 allow a label, labels beyond the list are allowed.
 *       --repeat R: R generations (each from a reset) with seeds S, S+1, ..., one line each.
 *       --guide UNITS.wav --target "d v d v ..." --guidance G: model x target guidance (cs_seqp_guide_logits, the
 *       code SeqPredict runs) with the label centroids and weights of that unit table's listening section and the
 *       (descriptor index, normalised value) pairs; --targets FILE instead gives one target line per label drawn
 *       (the last line repeats); --nearest prints, instead of labels, the nearest-centroid label of each step's
 *       target (cs_ut_nearest_label's rule restricted to the target's descriptors: the smallest d2).
 *       --cache W: SeqPredict's label cache (cs_label_cache.h) at weight W on every draw: every label fed (primed
 *       or drawn) is counted, and a draw samples from cs_lcache_blend_logits of the step's logits (before guidance),
 *       the code SeqPredict runs.
 *   test_patterns_reference logits MODEL "t1 t2 ..."
 *       the logits after reset, then after each token: one line per position, %.9g.
 *   test_patterns_reference rng SEED N
 *       N lines "next32 uniform_double below(1000) below(16777215)" from four generators seeded alike
 *       (one per column, so each column is its own stream).
 *   test_patterns_reference            (no argument: the ctest self-test below)
 *
 * Self-test (committed models tests/fixtures/model_{gru,transformer}.bin, written by PyTorch through
 * tests/scripts/model_reference.py): the generator is deterministic for a seed; at temperature 0 every label is
 * the argmax of the logits it was drawn from and equals the argmax of an independent PyTorch reference run of
 * the same teacher-forced tokens (model_*_steps.txt); at temperature 1 the first-label frequencies over many
 * seeds match softmax(logits) (chi-square).
 */
#include "cs_label_cache.h"
#include "cs_model.h"
#include "cs_model_io.h"
#include "cs_ngram_table.h"
#include "cs_rng.h"
#include "cs_sample.h"
#include "cs_seqpredict.h"
#include "cs_test.h"
#include "cs_unit_table.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_HISTORY 4096

typedef struct gen_opts {
    cs_sample_params params;
    int history;
    uint64_t seed;
    int prime[4096];
    int n_prime;
    unsigned char mask[CS_SAMPLE_MAX_VOCAB];
    int has_mask;
    /* guidance: the unit table (malloc'ed floats), its view, the targets (one per step, the last repeats) */
    float *table;
    size_t table_n;
    cs_ut_view tv;
    float guidance;
    cs_select_target *targets; /* n_targets (malloc'ed) */
    int n_targets;
    int nearest;
    float cache; /* the label cache's weight (0 = off) */
} gen_opts;

typedef struct loaded {
    float *buf;
    size_t n;
    cs_model_view view;
    void *mem;
    cs_model_state *st;
    void *scratch;
    size_t scratch_bytes;
    /* a model file with an n-gram table (models/FORMAT.md): the mixture, as SeqPredict runs it */
    int has_ngram;
    cs_ngt_view ngt;
    int fed[CS_NGT_MAX_ORDER]; /* the last labels fed since the reset (oldest first), at most order - 1 */
    int n_fed;
    float mix[CS_SAMPLE_MAX_VOCAB];
    double work[CS_SAMPLE_MAX_VOCAB];
} loaded;

/* Reset the model and the n-gram history. */
static void ref_reset(loaded *m)
{
    cs_model_reset(m->st);
    m->n_fed = 0;
}

/* Feed a label (the network only when its weight is > 0, as SeqPredict) and remember it for the n-gram. */
static int ref_feed(loaded *m, int label)
{
    if (label < 0 || label >= m->view.cfg.vocab) return -1;
    if (!m->has_ngram || m->view.net_weight > 0.0f) {
        if (cs_model_prime(m->st, label) != CS_MODEL_OK) return -1;
    }
    const int keep = m->has_ngram ? m->ngt.order - 1 : 0;
    if (keep <= 0) return 0;
    if (m->n_fed == keep) {
        memmove(m->fed, m->fed + 1, (size_t)(keep - 1) * sizeof(int));
        m->n_fed--;
    }
    m->fed[m->n_fed++] = label;
    return 0;
}

/* The step's logits: the network's, or the mixture's (cs_ngt_mix_logits, SeqPredict's code). */
static const float *ref_logits(loaded *m)
{
    if (!m->has_ngram) return cs_model_logits(m->st);
    const int V = m->view.cfg.vocab;
    if (m->view.net_weight > 0.0f)
        memcpy(m->mix, cs_model_logits(m->st), (size_t)V * sizeof(float));
    else
        memset(m->mix, 0, (size_t)V * sizeof(float));
    cs_ngt_mix_logits(&m->ngt, m->n_fed ? m->fed : NULL, (size_t)m->n_fed, m->view.net_weight, m->work, m->mix);
    cs_seqp_center_logits(m->mix, V);
    return m->mix;
}

static int parse_list(const char *s, int *out, int max)
{
    int n = 0;
    char *end;
    while (*s && n < max) {
        long v = strtol(s, &end, 10);
        if (end == s) {
            if (*s == ' ' || *s == ',') {
                s++;
                continue;
            }
            return -1;
        }
        out[n++] = (int)v;
        s = end;
    }
    return n;
}

/* Load a model file (WAV via cs_model_file_read, or a raw float32 .bin fixture) and make a state. */
static int load_model(const char *path, loaded *m)
{
    memset(m, 0, sizeof *m);
    size_t len = strlen(path);
    if (len > 4 && !strcmp(path + len - 4, ".bin")) {
        FILE *f = fopen(path, "rb");
        if (!f) return -1;
        fseek(f, 0, SEEK_END);
        long bytes = ftell(f);
        fseek(f, 0, SEEK_SET);
        m->n = (size_t)bytes / sizeof(float);
        m->buf = malloc(m->n * sizeof(float));
        if (!m->buf || fread(m->buf, sizeof(float), m->n, f) != m->n) {
            fclose(f);
            return -1;
        }
        fclose(f);
    } else if (cs_model_file_read(path, &m->buf, &m->n) != 0) {
        return -1;
    }
    int e = cs_model_parse(m->buf, m->n, &m->view);
    if (e != CS_MODEL_OK) {
        fprintf(stderr, "%s: %s\n", path, cs_model_strerror(e));
        return -1;
    }
    size_t bytes = cs_model_state_size(&m->view);
    m->mem = malloc(bytes);
    if (!m->mem || cs_model_state_init(&m->view, m->mem, bytes, &m->st) != CS_MODEL_OK) return -1;
    m->scratch_bytes = cs_sample_scratch_size(m->view.cfg.vocab);
    m->scratch = malloc(m->scratch_bytes);
    m->has_ngram = m->view.ngram_floats > 0 && cs_ngt_parse(m->view.ngram, m->view.ngram_floats, &m->ngt) == 0;
    return m->scratch ? 0 : -1;
}

static void free_model(loaded *m)
{
    free(m->buf);
    free(m->mem);
    free(m->scratch);
    memset(m, 0, sizeof *m);
}

/* The reference generator (see the file comment). Writes n labels to out; returns 0 or -1 on a bad prime. */
static int generate(loaded *m, const gen_opts *o, int n, int *out, float *probs)
{
    static int hist[MAX_HISTORY];
    int nh = 0, H = o->history < 0 ? 0 : (o->history > MAX_HISTORY ? MAX_HISTORY : o->history);
    int V = m->view.cfg.vocab;
    cs_rng rng;
    cs_rng_seed(&rng, o->seed);
    ref_reset(m);
    static float counts[CS_SAMPLE_MAX_VOCAB], cached[CS_SAMPLE_MAX_VOCAB];
    cs_lcache cache;
    cs_lcache_init(&cache, counts, V);
#define PUSH(x)                                                                                                        \
    do {                                                                                                               \
        if (H > 0) {                                                                                                   \
            if (nh == H) {                                                                                             \
                memmove(hist, hist + 1, (size_t)(H - 1) * sizeof(int));                                                \
                nh--;                                                                                                  \
            }                                                                                                          \
            hist[nh++] = (x);                                                                                          \
        }                                                                                                              \
    } while (0)
    for (int i = 0; i < o->n_prime; i++) {
        if (ref_feed(m, o->prime[i])) return -1;
        PUSH(o->prime[i]);
        cs_lcache_push(&cache, o->prime[i]);
    }
    static float glog[CS_SAMPLE_MAX_VOCAB];
    static double gwork[CS_SAMPLE_MAX_VOCAB];
    for (int i = 0; i < n; i++) {
        cs_sample_result r;
        const float *lg = ref_logits(m);
        if (o->cache > 0.0f && cache.fed > 0) {
            memcpy(cached, lg, (size_t)V * sizeof(float));
            if (cs_lcache_blend_logits(&cache, cached, o->cache)) lg = cached;
        }
        if (o->table && o->n_targets > 0) {
            cs_seqp_guide g;
            cs_seqp_guide_view(&o->tv, &o->targets[i < o->n_targets ? i : o->n_targets - 1], &g);
            if (cs_seqp_guide_logits(lg, V, &g, o->guidance, gwork, glog)) lg = glog;
        }
        int label = cs_sample(lg, V, &o->params, hist, nh, o->has_mask ? o->mask : NULL, &rng, m->scratch,
                              m->scratch_bytes, &r);
        if (label < 0) return -1;
        out[i] = label;
        if (probs) probs[i] = r.prob;
        ref_feed(m, label);
        PUSH(label);
        cs_lcache_push(&cache, label);
    }
#undef PUSH
    return 0;
}

/* "d v d v ..." into a target (at most CS_SELECT_MAX_TARGET_DIMS pairs, as cs_cp_target keeps). */
static int parse_target(const char *s, cs_select_target *t)
{
    memset(t, 0, sizeof *t);
    char *end;
    float pair[2];
    int k = 0;
    while (*s) {
        while (*s == ' ' || *s == ',' || *s == '\t' || *s == '\n')
            s++;
        if (!*s) break;
        float v = strtof(s, &end);
        if (end == s) return -1;
        s = end;
        pair[k++] = v;
        if (k == 2) {
            if (t->num_dims < CS_SELECT_MAX_TARGET_DIMS) {
                t->dim[t->num_dims] = (pair[0] >= 0.0f && pair[0] < 4096.0f) ? (uint32_t)pair[0] : 4096u;
                t->value[t->num_dims++] = pair[1];
            }
            k = 0;
        }
    }
    return k == 0 ? 0 : -1;
}

/* The nearest-centroid label of target t (smallest d2 by cs_seqp_guide_logits' rule, lowest label on ties): the
 * label whose guided logit is highest when every model logit is 0 and guidance is large. */
static int nearest_of(const gen_opts *o, const cs_select_target *t)
{
    static float zero[CS_SAMPLE_MAX_VOCAB], out[CS_SAMPLE_MAX_VOCAB];
    static double work[CS_SAMPLE_MAX_VOCAB];
    cs_seqp_guide g;
    cs_seqp_guide_view(&o->tv, t, &g);
    int K = (int)o->tv.num_labels;
    if (!cs_seqp_guide_logits(zero, K, &g, 1.0f, work, out)) return -1;
    int best = -1;
    for (int k = 0; k < K; k++)
        if (g.labels[2 * k + 1] >= 1.0f && (best < 0 || work[k] < work[best])) best = k;
    return best;
}

static void opts_default(gen_opts *o)
{
    memset(o, 0, sizeof *o);
    cs_sample_params_default(&o->params);
    o->history = 8; /* SeqPredict's historyLen default */
    o->seed = 0;
}

static int cmd_gen(int argc, char **argv)
{
    if (argc < 4) return 2;
    gen_opts o;
    opts_default(&o);
    int n = atoi(argv[3]), repeat = 1;
    for (int i = 4; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (!strcmp(k, "--temp"))
            o.params.temperature = strtof(v, NULL);
        else if (!strcmp(k, "--topk"))
            o.params.top_k = atoi(v);
        else if (!strcmp(k, "--topp"))
            o.params.top_p = strtof(v, NULL);
        else if (!strcmp(k, "--penalty"))
            o.params.repetition_penalty = strtof(v, NULL);
        else if (!strcmp(k, "--history"))
            o.history = atoi(v);
        else if (!strcmp(k, "--seed"))
            o.seed = strtoull(v, NULL, 10);
        else if (!strcmp(k, "--cache"))
            o.cache = strtof(v, NULL);
        else if (!strcmp(k, "--repeat"))
            repeat = atoi(v);
        else if (!strcmp(k, "--prime")) {
            o.n_prime = parse_list(v, o.prime, 4096);
            if (o.n_prime < 0) return 2;
        } else if (!strcmp(k, "--guide")) {
            if (cs_model_file_read(v, &o.table, &o.table_n) != 0 || cs_ut_parse(o.table, o.table_n, 1, &o.tv) != 0 ||
                !o.tv.has_listen) {
                fprintf(stderr, "%s: not a unit table with a listening section\n", v);
                return 2;
            }
        } else if (!strcmp(k, "--guidance")) {
            o.guidance = strtof(v, NULL);
        } else if (!strcmp(k, "--target")) {
            free(o.targets);
            o.targets = malloc(sizeof *o.targets);
            if (!o.targets || parse_target(v, &o.targets[0]) != 0) return 2;
            o.n_targets = 1;
        } else if (!strcmp(k, "--targets")) {
            FILE *tf = fopen(v, "r");
            char line[4096];
            if (!tf) return 2;
            int cap = 0;
            free(o.targets);
            o.targets = NULL;
            o.n_targets = 0;
            while (fgets(line, sizeof line, tf)) {
                if (o.n_targets == cap) {
                    cap = cap ? 2 * cap : 256;
                    cs_select_target *t = realloc(o.targets, (size_t)cap * sizeof *t);
                    if (!t) break;
                    o.targets = t;
                }
                if (parse_target(line, &o.targets[o.n_targets]) == 0) o.n_targets++;
            }
            fclose(tf);
        } else if (!strcmp(k, "--nearest")) {
            o.nearest = atoi(v);
        } else if (!strcmp(k, "--mask")) {
            int tmp[CS_SAMPLE_MAX_VOCAB];
            int c = parse_list(v, tmp, CS_SAMPLE_MAX_VOCAB);
            if (c < 0) return 2;
            memset(o.mask, 1, sizeof o.mask); /* as SeqPredict: labels beyond the given values are allowed */
            for (int j = 0; j < c; j++)
                o.mask[j] = (unsigned char)(tmp[j] > 0);
            o.has_mask = 1;
        } else {
            fprintf(stderr, "unknown option %s\n", k);
            return 2;
        }
    }
    if (n < 0 || n > 10000000 || repeat < 1 || repeat > 10000000) return 2;
    loaded m;
    if (load_model(argv[2], &m) != 0) {
        fprintf(stderr, "cannot load %s\n", argv[2]);
        free_model(&m);
        return 2;
    }
    if (o.nearest && o.table) { /* the nearest-centroid label of each step's target */
        for (int i = 0; i < n; i++)
            printf(i ? " %d" : "%d", nearest_of(&o, &o.targets[i < o.n_targets ? i : o.n_targets - 1]));
        printf("\n");
        free(o.table);
        free(o.targets);
        free_model(&m);
        return 0;
    }
    int *labels = malloc((size_t)(n ? n : 1) * sizeof(int));
    for (int r = 0; r < repeat; r++) {
        if (!labels || generate(&m, &o, n, labels, NULL) != 0) {
            fprintf(stderr, "generation failed (bad prime label?)\n");
            free(labels);
            free_model(&m);
            return 2;
        }
        for (int i = 0; i < n; i++)
            printf(i ? " %d" : "%d", labels[i]);
        printf("\n");
        o.seed++;
    }
    free(labels);
    free(o.table);
    free(o.targets);
    free_model(&m);
    return 0;
}

static int cmd_logits(int argc, char **argv)
{
    if (argc < 4) return 2;
    static int toks[4096];
    int nt = parse_list(argv[3], toks, 4096);
    loaded m;
    if (nt < 0 || load_model(argv[2], &m) != 0) {
        free_model(&m);
        return 2;
    }
    int V = m.view.cfg.vocab;
    for (int t = 0; t <= nt; t++) {
        if (t > 0 && ref_feed(&m, toks[t - 1])) {
            free_model(&m);
            return 2;
        }
        const float *lg = ref_logits(&m);
        for (int i = 0; i < V; i++)
            printf(i ? " %.9g" : "%.9g", (double)lg[i]);
        printf("\n");
    }
    free_model(&m);
    return 0;
}

static int cmd_rng(int argc, char **argv)
{
    if (argc < 4) return 2;
    uint64_t seed = strtoull(argv[2], NULL, 10);
    int n = atoi(argv[3]);
    cs_rng a, b, c, d;
    cs_rng_seed(&a, seed);
    cs_rng_seed(&b, seed);
    cs_rng_seed(&c, seed);
    cs_rng_seed(&d, seed);
    for (int i = 0; i < n; i++) {
        uint32_t x = cs_rng_next(&a);
        double u = cs_rng_uniform_double(&b);
        uint32_t k1 = cs_rng_below(&c, 1000u), k2 = cs_rng_below(&d, 16777215u);
        printf("%u %.17g %u %u\n", x, u, k1, k2);
    }
    return 0;
}

/* ---- self-test ---- */

typedef struct steps_fixture {
    int vocab;
    int tokens[256];
    int n_tokens;
    double logits[257][64];
} steps_fixture;

static int load_steps(const char *name, steps_fixture *f)
{
    char path[1024], line[8192];
    snprintf(path, sizeof path, "%s/model_%s_steps.txt", CS_FIXTURE_DIR, name);
    FILE *fp = fopen(path, "r");
    if (!fp) return -1;
    memset(f, 0, sizeof *f);
    while (fgets(line, sizeof line, fp)) {
        if (!strncmp(line, "vocab ", 6))
            f->vocab = atoi(line + 6);
        else if (!strncmp(line, "tokens ", 7)) {
            int tmp[257];
            int c = parse_list(line + 7, tmp, 257);
            if (c < 1) break;
            f->n_tokens = tmp[0] < c - 1 ? tmp[0] : c - 1;
            memcpy(f->tokens, tmp + 1, (size_t)f->n_tokens * sizeof(int));
        } else if (!strncmp(line, "logits ", 7)) {
            char *p = line + 7, *end;
            long pos = strtol(p, &end, 10);
            p = end;
            if (pos < 0 || pos > 256) continue;
            for (int i = 0; i < f->vocab && i < 64; i++) {
                f->logits[pos][i] = strtod(p, &end);
                p = end;
            }
        }
    }
    fclose(fp);
    return f->vocab > 0 && f->vocab <= 64 ? 0 : -1;
}

static int argmax_d(const double *x, int n)
{
    int a = 0;
    for (int i = 1; i < n; i++)
        if (x[i] > x[a]) a = i;
    return a;
}

static int argmax_f(const float *x, int n)
{
    int a = 0;
    for (int i = 1; i < n; i++)
        if (x[i] > x[a]) a = i;
    return a;
}

static void self_test(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/model_%s.bin", CS_FIXTURE_DIR, name);
    loaded m;
    int ok = load_model(path, &m) == 0;
    CS_CHECK(ok, "load %s", path);
    if (!ok) {
        free_model(&m);
        return;
    }
    const int V = m.view.cfg.vocab;
    gen_opts o;
    opts_default(&o);
    enum { N = 300 };
    static int a[N], b[N];

    /* deterministic for a seed, different for another */
    o.seed = 12345;
    generate(&m, &o, N, a, NULL);
    generate(&m, &o, N, b, NULL);
    CS_CHECK(!memcmp(a, b, sizeof a), "%s: same seed, same labels", name);
    o.seed = 54321;
    generate(&m, &o, N, b, NULL);
    CS_CHECK(memcmp(a, b, sizeof a) != 0, "%s: another seed, other labels", name);

    /* temperature 0: each label is the argmax of the logits it was drawn from (replayed step by step) */
    o.params.temperature = 0.0f;
    generate(&m, &o, N, a, NULL);
    cs_model_reset(m.st);
    int agree = 1;
    for (int i = 0; i < N; i++) {
        const float *lg = cs_model_logits(m.st);
        if (argmax_f(lg, V) != a[i]) agree = 0;
        cs_model_step(m.st, a[i], NULL);
    }
    CS_CHECK(agree, "%s: temperature 0 draws the argmax", name);

    /* teacher-forced argmax against the independent PyTorch reference */
    steps_fixture *f = malloc(sizeof *f);
    if (f && load_steps(name, f) == 0) {
        CS_CHECK(f->vocab == V, "%s: fixture vocab", name);
        o.n_prime = 0;
        cs_model_reset(m.st);
        int same = 0;
        for (int t = 0; t <= f->n_tokens; t++) {
            if (t > 0) cs_model_step(m.st, f->tokens[t - 1], NULL);
            same += argmax_f(cs_model_logits(m.st), V) == argmax_d(f->logits[t], V);
        }
        CS_CHECK(same == f->n_tokens + 1, "%s: argmax equals PyTorch's at %d of %d positions", name, same,
                 f->n_tokens + 1);
    } else {
        CS_CHECK(0, "load steps fixture %s", name);
    }
    free(f);

    /* temperature 1: first-label frequencies over many seeds match softmax(logits) (chi-square) */
    cs_model_reset(m.st);
    const float *lg0 = cs_model_logits(m.st);
    double p[64], mx = (double)lg0[0], sum = 0.0;
    for (int i = 1; i < V; i++)
        mx = (double)lg0[i] > mx ? (double)lg0[i] : mx;
    for (int i = 0; i < V; i++)
        sum += p[i] = exp((double)lg0[i] - mx);
    for (int i = 0; i < V; i++)
        p[i] /= sum;
    enum { DRAWS = 20000 };
    int count[64] = {0};
    o.params.temperature = 1.0f;
    for (int s = 0; s < DRAWS; s++) {
        int l;
        o.seed = (uint64_t)s + 1000u;
        generate(&m, &o, 1, &l, NULL);
        count[l]++;
    }
    double chi = 0.0;
    int cells = 0;
    for (int i = 0; i < V; i++) {
        double e = p[i] * DRAWS;
        if (e < 1e-9) {
            CS_CHECK(count[i] == 0, "%s: a label of probability 0 was drawn", name);
            continue;
        }
        chi += (count[i] - e) * (count[i] - e) / e;
        cells++;
    }
    /* df = cells - 1 <= 63; 99.9th percentile of chi-square(df) < df + 4.5 sqrt(2 df) + 12 */
    double df = cells - 1, limit = df + 4.5 * sqrt(2.0 * df) + 12.0;
    CS_CHECK(chi < limit, "%s: chi-square %.2f >= %.2f (df %.0f)", name, chi, limit, df);
    free_model(&m);
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        int r = 2;
        if (!strcmp(argv[1], "gen"))
            r = cmd_gen(argc, argv);
        else if (!strcmp(argv[1], "logits"))
            r = cmd_logits(argc, argv);
        else if (!strcmp(argv[1], "rng"))
            r = cmd_rng(argc, argv);
        if (r == 2) fprintf(stderr, "usage: see the comment at the top of tests/c/test_patterns_reference.c\n");
        return r;
    }
    self_test("gru");
    self_test("transformer");
    CS_TEST_END();
}
