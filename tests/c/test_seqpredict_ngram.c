/*
 * test_seqpredict_ngram.c - SeqPredict's logic runs a model file's n-gram table (issue 11, item 3):
 *   - a pure n-gram model (network weight 0, what `concatseq train --arch ngram` writes) and a GRU + MKN mixture
 *     bind through the incremental check (weights, then the table's records, CS_SEQP_VERIFY_FLOATS per block);
 *     a damaged record is refused (CS_SEQP_BAD_WEIGHTS, CS_MODEL_E_NGRAM) once the check reaches it;
 *   - teacher-forced and drawn steps report the trainer's probability (cs_ngram_prob of corpus-tools, the
 *     model `eval` scores) of the label given the labels fed since the reset; for the mixture w softmax(net) +
 *     (1 - w) p_ngram with the network run separately;
 *   - the drawn labels equal an independent loop over cs_ngt_mix_logits + cs_sample with the same seed, with
 *     temperature, top-k and the repetition penalty on;
 *   - a pure n-gram model never steps the network (its event cost has no model step), and process makes no heap
 *     call with either model.
 */
#include "cs_model.h"
#include "cs_model_io.h"
#include "cs_ngram.h"
#include "cs_ngram_table.h"
#include "cs_rng.h"
#include "cs_sample.h"
#include "cs_seqpredict.h"
#include "cs_test.h"
#include "cs_test_markov.h"
#include "cs_train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* the counting allocator, after the libc headers (it needs __GLIBC__) */
#include "cs_heap_count.h"
#include "cs_test_bump.h"

enum { V = 6, N = 3000, ORDER = 3 };

typedef struct fixture {
    cs_ngram *ng;
    cs_model_config cfg;
    float *buf; /* the loaded model file */
    size_t n;
    cs_model_view view;
    float w; /* net weight */
} fixture;

static int g_seq[N];

/* Write and load a model file: the GRU of cs_train_init_weights(seed 3) with the MKN table, weight w. */
static int make_model(fixture *f, float w, const char *name)
{
    const int *seqs[1] = {g_seq};
    const size_t lens[1] = {N};
    int err = 0;
    f->ng = cs_ngram_train(seqs, lens, 1, V, (cs_split){0.1, 0.1}, CS_NGRAM_MKN, ORDER, 0.0, &err);
    float *tab = NULL;
    size_t nt = 0;
    if (!f->ng || cs_ngram_table_write(f->ng, &tab, &nt)) return 0;
    f->cfg = (cs_model_config){CS_MODEL_GRU, V, 16, 1, 0, 0, 0, 0};
    const size_t P = cs_model_param_count(&f->cfg);
    float *wt = malloc(P * sizeof *wt);
    cs_train_init_weights(&f->cfg, 3, wt);
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", CS_BINARY_DIR, name);
    int ok = cs_model_file_write_mix(path, &f->cfg, NULL, wt, P, tab, nt, w) == 0 &&
             cs_model_file_load(path, &f->buf, &f->n, &f->view, &err) == 0;
    remove(path);
    free(wt);
    free(tab);
    f->w = w;
    return ok;
}

static void free_fixture(fixture *f)
{
    cs_ngram_free(f->ng);
    free(f->buf);
}

/* A separately run network of the fixture's model (the reference of the mixture), reset. */
static cs_model_state *ref_net(const fixture *f)
{
    static _Alignas(64) unsigned char mem[1 << 16];
    cs_model_state *net = NULL;
    CS_CHECK(cs_model_state_init(&f->view, mem, sizeof mem, &net) == 0, "reference network");
    if (net) cs_model_reset(net);
    return net;
}

/* Bind until not verifying; returns the number of bind calls. */
static int bind_all(cs_seqp *p, const float *buf, size_t n, float seed)
{
    cs_seqp_init(p, 17u);
    g_used = 0;
    int calls = 1;
    while (cs_seqp_bind(p, buf, n, 1, seed, bump_alloc, bump_free, NULL) == CS_SEQP_VERIFYING && calls < 100000)
        calls++;
    return calls;
}

/* The reference probability of `label` after hist (the labels fed since the reset): the trainer's n-gram,
 * mixed with the separately run network's softmax. */
static double ref_prob(const fixture *f, cs_model_state *net, const int *hist, size_t hl, int label)
{
    const double png = cs_ngram_prob(f->ng, hist, hl, label);
    if (f->w == 0.0f) return png;
    const float *lg = cs_model_logits(net);
    double mx = lg[0], z = 0.0;
    for (int i = 1; i < V; i++)
        mx = fmax(mx, lg[i]);
    for (int i = 0; i < V; i++)
        z += exp((double)lg[i] - mx);
    return (double)f->w * exp((double)lg[label] - mx) / z + (1.0 - (double)f->w) * png;
}

static void test_binding(void)
{
    fixture f;
    CS_CHECK(make_model(&f, 0.0f, "test_seqp_ngram_bind.wav"), "pure n-gram model written and loaded");
    if (!f.buf) return;
    cs_seqp p;
    const int calls = bind_all(&p, f.buf, f.n, 1.0f);
    const size_t P = f.view.n_weights;
    const int want = (int)((P + CS_SEQP_VERIFY_FLOATS - 1) / CS_SEQP_VERIFY_FLOATS) + 1;
    printf("pure n-gram model: %zu weights, table %zu floats, ready after %d bind calls\n", P, f.view.ngram_floats,
           calls);
    CS_CHECK(p.status == CS_SEQP_READY && p.has_ngram && p.net_weight == 0.0f, "ready, a table of weight 0");
    CS_CHECK(calls >= want, "the table's check takes its own block(s): %d calls, weights alone %d", calls, want - 1);
    /* a damaged record late in the table: refused once the check reaches it */
    const size_t at = f.n - 1; /* the last successor's a */
    const float keep = f.buf[at];
    f.buf[at] = 2.0f;
    bind_all(&p, f.buf, f.n, 1.0f);
    CS_CHECK(p.status == CS_SEQP_BAD_WEIGHTS && p.err == CS_MODEL_E_NGRAM, "damaged table refused (%d, %d)", p.status,
             p.err);
    CS_CHECK(p.model == NULL && p.label == (float)CS_LABEL_NONE, "no model, label -1");
    f.buf[at] = keep;
    /* the table's V must be the model's */
    const size_t tv = CS_MODEL_HEADER_FLOATS + P + 2;
    f.buf[tv] = (float)(V - 1);
    bind_all(&p, f.buf, f.n, 1.0f);
    CS_CHECK(p.status == CS_SEQP_BAD_WEIGHTS && p.err == CS_MODEL_E_NGRAM, "table of another V refused");
    f.buf[tv] = (float)V;
    bind_all(&p, f.buf, f.n, 1.0f);
    CS_CHECK(p.status == CS_SEQP_READY, "restored table ready");
    /* the resumable check agrees with the full parse at every budget */
    cs_ngt_view hv, fv;
    CS_CHECK(cs_ngt_parse_header(f.view.ngram, f.view.ngram_floats, &hv) == 0 &&
                 cs_ngt_parse(f.view.ngram, f.view.ngram_floats, &fv) == 0,
             "header and full parse");
    for (size_t budget = 1; budget < 200; budget += 7) {
        cs_ngt_check c;
        cs_ngt_check_begin(&c);
        int r = 0, steps = 0;
        while ((r = cs_ngt_check_step(&hv, &c, budget)) == 0)
            steps++;
        CS_CHECK(r == 1 && steps >= (int)(f.view.ngram_floats / (budget + 2 * V + ORDER + 3)) - 1,
                 "budget %zu: %d steps, result %d", budget, steps, r);
    }
    free_fixture(&f);
}

/* Teacher forcing then drawing; probabilities against the trainer's, labels against an independent loop. */
static void run_model(float w, const char *name)
{
    fixture f;
    CS_CHECK(make_model(&f, w, name), "model w %.2f written and loaded", (double)w);
    if (!f.buf) return;
    cs_seqp p;
    bind_all(&p, f.buf, f.n, 9.0f);
    CS_CHECK(p.status == CS_SEQP_READY, "w %.2f ready", (double)w);
    cs_model_state *net = ref_net(&f);
    if (!net) return;
    cs_sample_params sp;
    cs_sample_params_default(&sp);
    int hist[64];
    size_t hl = 0;
    double worst = 0.0;
    /* primed steps: the labels of the sequence's test part */
    for (int i = 0; i < 40; i++) {
        const int lab = g_seq[N - 200 + i];
        const double want = ref_prob(&f, net, hist, hl, lab);
        CS_CHECK(cs_seqp_step(&p, (float)lab, &sp, 0, NULL, 0) == 0 && p.label == (float)lab, "primed step %d", i);
        worst = fmax(worst, fabs((double)p.prob - want) / want);
        hist[hl++] = lab;
        cs_model_prime(net, lab);
    }
    /* drawn steps at temperature 1, no truncation: the probability of the drawn label */
    for (int i = 0; i < 20; i++) {
        CS_CHECK(cs_seqp_step(&p, -1.0f, &sp, 0, NULL, 0) == 0, "drawn step %d", i);
        const int lab = (int)p.label;
        const double want = ref_prob(&f, net, hist, hl, lab);
        worst = fmax(worst, fabs((double)p.prob - want) / want);
        hist[hl++] = lab;
        cs_model_prime(net, lab);
    }
    printf("w %.2f: SeqPredict's probabilities vs the trainer's: max relative diff %.3g\n", (double)w, worst);
    CS_CHECK(worst < 2e-3, "w %.2f: probabilities differ by %.3g (relative)", (double)w, worst);

    /* seeded draws with temperature, top-k and penalty = an independent loop over the core's mixture */
    cs_sample_params sq = sp;
    sq.temperature = 0.8f;
    sq.top_k = 4;
    sq.repetition_penalty = 1.5f;
    const int nh = 3;
    cs_seqp_reset(&p, 123);
    cs_model_reset(net);
    cs_rng rng;
    cs_rng_seed(&rng, 123);
    static _Alignas(64) unsigned char scratch[1 << 16];
    const size_t sb = cs_sample_scratch_size(V);
    int ref[400], got[400];
    hl = 0;
    for (int i = 0; i < 400; i++) {
        float lg[V];
        double work[V];
        if (w > 0.0f)
            memcpy(lg, cs_model_logits(net), sizeof lg);
        else
            memset(lg, 0, sizeof lg);
        const size_t k = hl < ORDER - 1 ? hl : ORDER - 1;
        cs_ngt_view t;
        cs_ngt_parse(f.view.ngram, f.view.ngram_floats, &t);
        cs_ngt_mix_logits(&t, hist + hl - k, k, w, work, lg);
        cs_seqp_center_logits(lg, V);
        const int kh = (int)(hl < (size_t)nh ? hl : (size_t)nh);
        cs_sample_result res;
        cs_sample(lg, V, &sq, kh ? hist + hl - kh : NULL, kh, NULL, &rng, scratch, sb, &res);
        ref[i] = res.label;
        if (hl == 64) {
            memmove(hist, hist + 32, 32 * sizeof *hist);
            hl = 32;
        }
        hist[hl++] = res.label;
        cs_model_prime(net, res.label);
        cs_seqp_step(&p, -1.0f, &sq, nh, NULL, 0);
        got[i] = (int)p.label;
    }
    CS_CHECK(memcmp(ref, got, sizeof ref) == 0, "w %.2f: seeded labels equal the independent loop", (double)w);
    int counts[V] = {0};
    for (int i = 0; i < 400; i++)
        counts[got[i]]++;
    int used = 0;
    for (int i = 0; i < V; i++)
        used += counts[i] > 0;
    CS_CHECK(used >= 3, "w %.2f: the draws use %d labels", (double)w, used);

    /* cost: a pure n-gram model never steps the network */
    cs_seqp_event e;
    memset(&e, 0, sizeof e);
    cs_sample_params_default(&e.sp);
    e.prime = -1.0f;
    const uint64_t c = cs_seqp_event_cost(&p, &e), ngc = cs_seqp_ngram_cost(&p);
    CS_CHECK(ngc == (uint64_t)V * (CS_SEQP_NGRAM_MADDS_PER_LABEL + ORDER * CS_SEQP_NGRAM_MADDS_PER_ORDER) +
                        ORDER * CS_SEQP_NGRAM_MADDS_PER_LOOKUP,
             "n-gram cost %llu", (unsigned long long)ngc);
    const uint64_t net_cost = w > 0.0f ? p.step_madds : 0;
    CS_CHECK(c == net_cost + ngc + (uint64_t)V * CS_SEQP_SAMPLE_MADDS_PLAIN, "w %.2f: event cost %llu", (double)w,
             (unsigned long long)c);

    /* no heap call in process */
    static float trig[64];
    for (int i = 0; i < 64; i++)
        trig[i] = (i % 4 == 0) ? 1.0f : 0.0f;
    const float one = 1.0f, zero = 0.0f, neg = -1.0f, seed = 1.0f, hist_in = 4.0f, pen = 1.3f;
    cs_seqp_io io;
    memset(&io, 0, sizeof io);
    const float *ins[CS_SEQP_NUM_INPUTS] = {trig, &one, &zero, &one, &neg, &zero, &seed, &pen, &hist_in};
    for (int k = 0; k < CS_SEQP_NUM_INPUTS; k++)
        io.in[k] = ins[k], io.step[k] = k == CS_SEQP_IN_TRIG;
    const uint64_t s0 = p.steps;
    cs_heap_begin();
    for (int b = 0; b < 50; b++)
        cs_seqp_process(&p, &io, 64);
    long calls = cs_heap_end();
    CS_CHECK(calls == 0, "w %.2f: heap calls in process: %ld", (double)w, calls);
    if (!CS_COUNT_HEAP) printf("(heap calls not counted here: sanitizer or no glibc)\n");
    CS_CHECK(p.steps - s0 == 50 * 16 && p.label >= 0.0f && p.label < (float)V, "w %.2f: 800 steps in process",
             (double)w);
    free_fixture(&f);
}

/* The label cache (issue 11 item 4): a drawn step's probability is (1 - c) p_model + c p_cache with p_cache the
 * decayed counts of every label fed since the reset (an independent double-precision reference here); cache 0 is
 * the model bit for bit; a reset empties it; the cost of a cached step includes it; no heap call. */
/* The cache without its running sum (cs_lcache_total, computed when a blend needs it) against the cache that
 * summed at every push, written here as it was: the same counts, total, probabilities and blended logits, bit for
 * bit, over 20 000 labels at V 67 (the SSE decay's tail), with a reset, 53 labels unplayed for the last 11 000
 * (their counts flushed to 0 by the floor) and 7 never played. */
static void test_cache_total(void)
{
    enum { CV = 67 };
    float counts[CV], ref[CV], lg[CV], lr[CV];
    double ref_total = 0.0;
    cs_lcache c;
    cs_lcache_init(&c, counts, CV);
    memset(ref, 0, sizeof ref);
    cs_rng g;
    cs_rng_seed(&g, 12);
    size_t wrong = 0;
    for (int i = 0; i < 20000; i++) {
        if (i == 3000) {
            cs_lcache_reset(&c);
            memset(ref, 0, sizeof ref);
            ref_total = 0.0;
        }
        const int lab = (int)cs_rng_below(&g, i < 9000 ? 60u : 7u); /* 60..66 never; 7..59 not after 9000: flushed */
        double t = 0.0;
        for (int k = 0; k < CV; k++) {
            ref[k] *= CS_LCACHE_DECAY;
            if (ref[k] < CS_LCACHE_FLOOR) ref[k] = 0.0f;
            t += (double)ref[k];
        }
        ref[lab] += 1.0f;
        ref_total = t + 1.0;
        cs_lcache_push(&c, lab);
        if (memcmp(counts, ref, sizeof ref) != 0 || cs_lcache_total(&c) != ref_total) wrong++;
        if (cs_lcache_prob(&c, lab) != (double)ref[lab] / ref_total) wrong++;
        if (i % 97 == 0) {
            for (int k = 0; k < CV; k++)
                lg[k] = lr[k] = (float)cs_rng_normal(&g);
            const double l = (double)0.3f; /* the float weight, as the cache reads it */
            float mx = lr[0];
            for (int k = 1; k < CV; k++)
                mx = lr[k] > mx ? lr[k] : mx;
            double z = 0.0, mean = 0.0;
            for (int k = 0; k < CV; k++)
                z += exp((double)(lr[k] - mx));
            for (int k = 0; k < CV; k++) {
                const double q = (1.0 - l) * exp((double)(lr[k] - mx)) / z + l * (double)ref[k] / ref_total;
                const double lq = log(q > 1e-38 ? q : 1e-38);
                lr[k] = (float)lq;
                mean += lq;
            }
            mean /= (double)CV;
            for (int k = 0; k < CV; k++)
                lr[k] = (float)((double)lr[k] - mean);
            if (cs_lcache_blend_logits(&c, lg, 0.3f) != 1 || memcmp(lg, lr, sizeof lr) != 0) wrong++;
        }
    }
    int flushed = 0;
    for (int k = 0; k < CV; k++)
        flushed += counts[k] == 0.0f;
    CS_CHECK(wrong == 0, "cache without its running sum: %zu differences from the summing cache", wrong);
    CS_CHECK(flushed == CV - 7, "labels not played for 11 000 labels are flushed to 0 (%d of %d)", flushed, CV - 7);
    cs_lcache_reset(&c);
    CS_CHECK(cs_lcache_total(&c) == 0.0 && cs_lcache_prob(&c, 0) == 0.0, "empty cache: total 0");
}

static void test_cache(void)
{
    fixture f;
    CS_CHECK(make_model(&f, 0.35f, "test_seqp_ngram_cache.wav"), "mixture for the cache");
    if (!f.buf) return;
    cs_seqp p, q;
    bind_all(&p, f.buf, f.n, 4.0f);
    cs_model_state *net = ref_net(&f);
    if (!net) return;
    cs_sample_params sp;
    cs_sample_params_default(&sp);
    double cnt[V] = {0}, tot = 0.0, worst = 0.0;
    const double d = pow(2.0, -1.0 / CS_LCACHE_HALF_LIFE);
    int hist[300];
    size_t hl = 0;
    for (int i = 0; i < 300; i++) {
        const float c = i < 20 ? 0.0f : 0.6f;
        p.step_cache = c;
        CS_CHECK(cs_seqp_step(&p, -1.0f, &sp, 0, NULL, 0) == 0, "step %d", i);
        const int lab = (int)p.label;
        const double pm = ref_prob(&f, net, hist, hl, lab);
        const double cd = (double)c, want = c > 0.0f && tot > 0.0 ? (1.0 - cd) * pm + cd * cnt[lab] / tot : pm;
        worst = fmax(worst, fabs((double)p.prob - want) / want);
        CS_CHECK(p.cached == (c > 0.0f && tot > 0.0), "step %d: cached flag", i);
        for (int k = 0; k < V; k++)
            cnt[k] *= d;
        cnt[lab] += 1.0;
        tot = 0.0;
        for (int k = 0; k < V; k++)
            tot += cnt[k];
        hist[hl++] = lab;
        cs_model_prime(net, lab);
    }
    printf("cache 0.6: drawn probabilities vs the reference blend: max relative diff %.3g\n", worst);
    CS_CHECK(worst < 2e-4, "cache blend differs by %.3g", worst);
    /* a reset empties the cache: the first step is the model's */
    cs_seqp_reset(&p, 3);
    CS_CHECK(p.cache.fed == 0 && cs_lcache_total(&p.cache) == 0.0, "reset empties the cache");
    p.step_cache = 1.0f;
    cs_seqp_step(&p, -1.0f, &sp, 0, NULL, 0);
    CS_CHECK(p.cached == 0, "an empty cache is not blended");
    /* through process: cache 0 = no cache input, bit for bit; cost; no heap call */
    static float trig[64];
    for (int i = 0; i < 64; i++)
        trig[i] = (i % 4 == 0) ? 1.0f : 0.0f;
    const float one = 1.0f, zero = 0.0f, neg = -1.0f, seed = 1.0f, hist_in = 4.0f, pen = 1.3f;
    float cw = 0.0f;
    cs_seqp_io io;
    memset(&io, 0, sizeof io);
    const float *ins[CS_SEQP_NUM_INPUTS] = {trig, &one, &zero, &one, &neg, &zero, &seed, &pen, &hist_in};
    for (int k = 0; k < CS_SEQP_NUM_INPUTS; k++)
        io.in[k] = ins[k], io.step[k] = k == CS_SEQP_IN_TRIG;
    cs_seqp_io io0 = io;
    io.cache = &cw;
    bind_all(&p, f.buf, f.n, 1.0f);
    cs_seqp_init(&q, 17u);
    int guard = 0;
    while (cs_seqp_bind(&q, f.buf, f.n, 1, 1.0f, bump_alloc, bump_free, NULL) == CS_SEQP_VERIFYING && guard++ < 100) {}
    int same = 1;
    for (int b = 0; b < 20; b++) {
        cs_seqp_process(&p, &io, 64);
        cs_seqp_process(&q, &io0, 64);
        same &= p.label == q.label && p.prob == q.prob;
    }
    CS_CHECK(same, "cache 0 = no cache input, bit for bit");
    cw = 0.5f;
    cs_seqp_event e;
    memset(&e, 0, sizeof e);
    cs_sample_params_default(&e.sp);
    e.prime = -1.0f;
    const uint64_t plain = cs_seqp_event_cost(&p, &e);
    CS_CHECK(plain > 0, "event cost");
    const uint64_t s0 = p.steps;
    cs_heap_begin();
    for (int b = 0; b < 50; b++)
        cs_seqp_process(&p, &io, 64);
    long calls = cs_heap_end();
    CS_CHECK(calls == 0, "heap calls in process with the cache: %ld", calls);
    CS_CHECK(p.steps - s0 == 800 && p.cached == 1, "cached steps in process");
    free_fixture(&f);
}

int main(void)
{
    static double ptab[6][6][6];
    markov2(V, g_seq, N, 77, ptab);
    test_binding();
    run_model(0.0f, "test_seqp_ngram_pure.wav");
    run_model(0.35f, "test_seqp_ngram_mix.wav");
    test_cache_total();
    test_cache();
    CS_TEST_END();
}
