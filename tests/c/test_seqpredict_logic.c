/*
 * test_seqpredict_logic.c - SeqPredict's host-independent logic (plugins/core/cs_seqpredict.h, the code
 * the UGen runs) against an independent reference written here directly on the core (cs_model_step +
 * cs_sample with its own edge detection and history), and the NRT parity harness of tests/sc.
 *
 * Without arguments (ctest): the unit tests
 *   - parity with the reference for a GRU and a transformer, for block sizes 1, 37, 64 and 256, with every input
 *     at audio rate (modulated temperature/top-k/top-p/penalty/history, primes in and out of range, resets with
 *     seeds, a mask Buffer);
 *   - the per-block budget: a small model steps every trigger at its sample; the largest transformer steps one
 *     trigger per block, the others deferred in order, none lost (queue overflow counted as dropped);
 *   - binding: no buffer, wrong channels, bad magic, bad weights (verification), too little memory, a reload at
 *     the same address (header changes), a freed buffer; label -1 in each, ready again afterwards;
 *   - NaN / inf / negative / huge on every input: finite outputs, labels in range;
 *   - a counting allocator (as test_model_noalloc.c) around bind + process with every option: no heap call.
 * With arguments, the parity harness used by tests/sc/seqpredict_nrt.sh:
 *   test_seqpredict_logic --render CONTROL.wav MODEL.wav BUNDLE OUT.wav SEED TEMP TOPK TOPP PENALTY HISTORY PLAYSEED
 *   reads the trigger (channel 0), prime (1) and reset (2) signals from CONTROL.wav (the NRT render itself),
 *   runs the reference (not cs_seqpredict.h) and ConcatPlay's core (cs_player, 1 channel, the arguments
 *   ConcatPlay.ar gets in the test) and writes OUT.wav: label, probability, entropy, audio (float32).
 * And the C side of tests/bench/run_seqpredict.sh: test_seqpredict_logic --bench MODEL.wav STEPS.
 */
#include "cs_model.h"
#include "cs_model_io.h"
#include "cs_player.h"
#include "cs_rng.h"
#include "cs_sample.h"
#include "cs_seqpredict.h"
#include "cs_test.h"
#include "cs_test_models.h"
#include "cs_unit_table.h"

#include <math.h>
#include <sndfile.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ------------------------------------------------------------------ counting allocator (glibc, not ASan) */
#include "cs_heap_count.h"

/* ------------------------------------------------------------------ an arena standing in for RTAlloc */
typedef struct arena {
    unsigned char mem[1 << 20];
    size_t used, limit;
    int allocs, frees, attempts;
} arena;

static void *arena_alloc(void *user, size_t bytes)
{
    arena *a = (arena *)user;
    a->attempts++;
    if (a->used + bytes > a->limit) return NULL;
    void *p = a->mem + a->used;
    a->used += (bytes + 15u) & ~(size_t)15u;
    a->allocs++;
    return p;
}

static void arena_free(void *user, void *ptr)
{
    arena *a = (arena *)user;
    (void)ptr;
    a->frees++;
}

static arena g_arena;

/* ------------------------------------------------------------------ the independent reference */
/* Per-sample input arrays (all of length n); mask: NULL or mask_len floats. Outputs n samples each.
 * The model is ready from sample 0 (the caller binds the logic first). Written from the documented
 * behaviour, on the core directly: edges, reset (re-seed when seed >= 0), teacher forcing with the model's
 * softmax in double (libm), otherwise cs_sample with the last min(history, 64) labels; cs_model_step feeds. */
typedef struct ref_inputs {
    const float *trig, *temp, *topk, *topp, *prime, *reset, *seed, *penalty, *hist;
    const float *mask;
    size_t mask_len;
} ref_inputs;

static int ref_run(const float *model, size_t floats, const ref_inputs *in, size_t n, uint64_t fallback_seed,
                   float *label, float *prob, float *entropy)
{
    cs_model_view v;
    if (cs_model_parse(model, floats, &v)) return -1;
    size_t sb = cs_model_state_size(&v);
    void *mem = malloc(sb);
    cs_model_state *st;
    if (cs_model_state_init(&v, mem, sb, &st)) return -1;
    const int V = v.cfg.vocab;
    size_t scb = cs_sample_scratch_size(V);
    void *scratch = malloc(scb);
    unsigned char *mk = malloc((size_t)V);
    int *all = malloc((n + 1) * sizeof(int));
    size_t nall = 0;
    cs_rng rng;
    float s0 = in->seed[0];
    cs_rng_seed(&rng, (s0 >= 0.0f && isfinite(s0)) ? (uint64_t)fmin((double)s0, 9007199254740992.0) : fallback_seed);
    const float *logits = NULL;
    cs_model_reset(st);
    {
        /* logits after reset: feed nothing more; cs_model_logits gives them */
        logits = cs_model_logits(st);
    }
    float pt = 0, pr = 0, lab = (float)CS_LABEL_ANY, pb = 0, en = 0; /* ready from the start: "any" */
    for (size_t i = 0; i < n; i++) {
        float r = in->reset[i] > 0 ? in->reset[i] : 0;
        if (r > 0 && !(pr > 0)) {
            cs_model_reset(st);
            logits = cs_model_logits(st);
            nall = 0;
            float s = in->seed[i];
            if (s >= 0.0f && isfinite(s)) cs_rng_seed(&rng, (uint64_t)fmin((double)s, 9007199254740992.0));
        }
        pr = r;
        float t = in->trig[i] > 0 ? in->trig[i] : 0;
        if (t > 0 && !(pt > 0)) {
            float pv = in->prime[i];
            int tok = -1;
            if (pv >= 0 && pv < (float)V) {
                tok = (int)floorf(pv);
                double m = -INFINITY, z = 0, s = 0;
                for (int k = 0; k < V; k++)
                    m = fmax(m, (double)logits[k]);
                for (int k = 0; k < V; k++)
                    z += exp((double)logits[k] - m);
                for (int k = 0; k < V; k++) {
                    double q = exp((double)logits[k] - m) / z;
                    if (q > 0) s -= q * log2(q);
                }
                pb = (float)(exp((double)logits[tok] - m) / z);
                en = (float)s;
            } else {
                cs_sample_params sp;
                float tv = in->temp[i], kv = in->topk[i], pv2 = in->topp[i], rv = in->penalty[i], hv = in->hist[i];
                sp.temperature = isnan(tv) ? 1.0f : fminf(fmaxf(tv, 0.0f), 1000.0f);
                sp.top_k = isnan(kv) || kv < 1 ? 0 : (kv >= (float)V ? V : (int)kv);
                sp.top_p = isnan(pv2) ? 1.0f : fminf(fmaxf(pv2, 0.0f), 1.0f);
                sp.repetition_penalty = isnan(rv) ? 1.0f : fminf(fmaxf(rv, 0.0f), 100.0f);
                int h = isnan(hv) || hv < 1 ? 0 : (hv >= 64 ? 64 : (int)hv);
                if ((size_t)h > nall) h = (int)nall;
                const unsigned char *mp = NULL;
                if (in->mask) {
                    for (int k = 0; k < V; k++)
                        mk[k] = ((size_t)k >= in->mask_len || in->mask[k] > 0) ? 1 : 0;
                    mp = mk;
                }
                cs_sample_result res;
                cs_sample(logits, V, &sp, h ? all + nall - h : NULL, h, mp, &rng, scratch, scb, &res);
                tok = res.label;
                pb = res.prob;
                en = res.entropy_bits;
            }
            cs_model_step(st, tok, &logits);
            all[nall++] = tok;
            lab = (float)tok;
        }
        pt = t;
        label[i] = lab, prob[i] = pb, entropy[i] = en;
    }
    free(mem);
    free(scratch);
    free(mk);
    free(all);
    return 0;
}

/* Run the logic on the same inputs in blocks of `block` samples (all inputs audio rate). */
static int logic_run(const float *model, size_t floats, const ref_inputs *in, size_t n, uint64_t fallback_seed,
                     uint32_t block, float *label, float *prob, float *entropy, cs_seqp *p)
{
    cs_seqp_init(p, fallback_seed);
    g_arena.used = 0;
    g_arena.limit = sizeof g_arena.mem;
    int guard = 0;
    while (cs_seqp_bind(p, model, floats, 1, in->seed[0], arena_alloc, arena_free, &g_arena) == CS_SEQP_VERIFYING &&
           guard++ < 100000) {}
    if (p->status != CS_SEQP_READY) return p->status;
    for (size_t off = 0; off < n; off += block) {
        uint32_t m = (uint32_t)((n - off) < block ? (n - off) : block);
        cs_seqp_bind(p, model, floats, 1, in->seed[off], arena_alloc, arena_free, &g_arena);
        cs_seqp_io io;
        memset(&io, 0, sizeof io);
        const float *srcs[CS_SEQP_NUM_INPUTS] = {in->trig,  in->temp, in->topk,    in->topp, in->prime,
                                                 in->reset, in->seed, in->penalty, in->hist};
        for (int k = 0; k < CS_SEQP_NUM_INPUTS; k++) {
            io.in[k] = srcs[k] + off;
            io.step[k] = 1;
        }
        io.mask = in->mask;
        io.mask_len = in->mask_len;
        io.out_label = label + off;
        io.out_prob = prob + off;
        io.out_entropy = entropy + off;
        io.out_step = 1;
        io.budget_samples = 0;
        cs_seqp_process(p, &io, m);
    }
    return 0;
}

/* A schedule: irregular triggers (some in the same block), modulated parameters, primes, resets. */
typedef struct schedule {
    size_t n;
    float *trig, *temp, *topk, *topp, *prime, *reset, *seed, *penalty, *hist;
} schedule;

static void schedule_make(schedule *s, size_t n, int vocab, uint32_t seed, int dense)
{
    s->n = n;
    float **arrs[] = {&s->trig, &s->temp, &s->topk, &s->topp, &s->prime, &s->reset, &s->seed, &s->penalty, &s->hist};
    for (size_t k = 0; k < sizeof arrs / sizeof arrs[0]; k++)
        *arrs[k] = calloc(n, sizeof(float));
    cs_rng r;
    cs_rng_seed(&r, seed);
    size_t pos = 5;
    while (pos < n) {
        s->trig[pos] = 1.0f;
        if (!dense && pos + 1 < n && cs_rng_below(&r, 3) == 0) s->trig[pos + 1] = 0.5f; /* a held trigger: no edge */
        pos += dense ? 2 : 2 + cs_rng_below(&r, 90);
    }
    for (size_t i = 0; i < n; i++) {
        double ph = (double)i / (double)n;
        s->temp[i] = (float)(0.2 + 1.3 * ph);
        s->topk[i] = (i / 700) % 3 == 1 ? 3.0f : 0.0f;
        s->topp[i] = (i / 900) % 2 == 1 ? 0.8f : 1.0f;
        s->penalty[i] = (i / 1100) % 2 == 1 ? 1.5f : 1.0f;
        s->hist[i] = (float)((i / 500) % 9);
        s->seed[i] = 77.0f;
        s->prime[i] = -1.0f;
    }
    for (size_t i = 0; i < n; i += 150) { /* primes held for 150 samples */
        int c = (int)cs_rng_below(&r, 10);
        float v = c < 3 ? (float)cs_rng_below(&r, (uint32_t)vocab) + 0.25f
                        : (c == 3 ? (float)vocab + 3.0f /* out of range: sampled instead */ : -1.0f);
        for (size_t j = i; j < i + 150 && j < n; j++)
            s->prime[j] = v;
    }
    for (size_t i = n / 3; i < n; i += n / 3) {
        s->reset[i] = 1.0f;
        s->seed[i] = i < n / 2 ? 5.0f : -1.0f; /* re-seed, then continue the stream */
        if (i + 1 < n) s->seed[i + 1] = 77.0f;
    }
}

static void schedule_free(schedule *s)
{
    float *arrs[] = {s->trig, s->temp, s->topk, s->topp, s->prime, s->reset, s->seed, s->penalty, s->hist};
    for (size_t k = 0; k < sizeof arrs / sizeof arrs[0]; k++)
        free(arrs[k]);
}

static ref_inputs schedule_inputs(const schedule *s, const float *mask, size_t mask_len)
{
    ref_inputs in = {s->trig, s->temp,    s->topk, s->topp, s->prime, s->reset,
                     s->seed, s->penalty, s->hist, mask,    mask_len};
    return in;
}

static void test_parity(const char *name, const cs_model_config *cfg, float scale)
{
    size_t floats;
    float *model = cs_test_random_model(cfg, &floats, 1234u, scale);
    CS_CHECK(model != NULL, "%s: model", name);
    if (!model) return;
    const size_t n = 6000;
    schedule s;
    schedule_make(&s, n, cfg->vocab, 99u, 0);
    float mask[5] = {1, 0, 1, 1, 0}; /* labels 1 and 4 excluded, labels >= 5 allowed */
    float *rl = malloc(n * sizeof(float)), *rp = malloc(n * sizeof(float)), *re = malloc(n * sizeof(float));
    float *ll = malloc(n * sizeof(float)), *lp = malloc(n * sizeof(float)), *le = malloc(n * sizeof(float));
    for (int masked = 0; masked < 2; masked++) {
        ref_inputs in = schedule_inputs(&s, masked ? mask : NULL, masked ? 5 : 0);
        CS_CHECK(ref_run(model, floats, &in, n, 42u, rl, rp, re) == 0, "%s: reference", name);
        int steps_ref = 0, primed = 0;
        for (size_t i = 0; i < n; i++)
            if (s.trig[i] > 0 && (i == 0 || !(s.trig[i - 1] > 0))) {
                steps_ref++;
                if (s.prime[i] >= 0 && s.prime[i] < (float)cfg->vocab) primed++;
            }
        const uint32_t blocks[] = {1, 37, 64, 256};
        for (size_t b = 0; b < sizeof blocks / sizeof blocks[0]; b++) {
            cs_seqp p;
            CS_CHECK(logic_run(model, floats, &in, n, 42u, blocks[b], ll, lp, le, &p) == 0, "%s: logic", name);
            size_t bad_label = 0, bad_prob = 0, masked_out = 0;
            double worst = 0;
            for (size_t i = 0; i < n; i++) {
                if (ll[i] != rl[i]) bad_label++;
                double d = fmax(fabs((double)lp[i] - (double)rp[i]), fabs((double)le[i] - (double)re[i]));
                if (d > worst) worst = d;
                if (d > 2e-5) bad_prob++;
                if (masked && (ll[i] == 1.0f || ll[i] == 4.0f) && !(s.prime[i] >= 0 && s.prime[i] < (float)cfg->vocab))
                    masked_out++;
            }
            CS_CHECK(bad_label == 0, "%s block %u mask %d: %zu labels differ from the reference", name, blocks[b],
                     masked, bad_label);
            CS_CHECK(bad_prob == 0, "%s block %u: probability/entropy differ by up to %g", name, blocks[b], worst);
            CS_CHECK(p.steps == (uint64_t)steps_ref, "%s block %u: %llu steps vs %d edges", name, blocks[b],
                     (unsigned long long)p.steps, steps_ref);
            CS_CHECK(p.dropped == 0, "%s: dropped %llu", name, (unsigned long long)p.dropped);
            (void)masked_out;
        }
        CS_CHECK(primed > 10 && steps_ref > 100, "%s: schedule has %d steps, %d primed", name, steps_ref, primed);
        /* every non-primed label after the first trigger is allowed by the mask */
        if (masked) {
            size_t viol = 0;
            float prev = -1;
            for (size_t i = 0; i < n; i++) {
                if (rl[i] != prev && (rl[i] == 1.0f || rl[i] == 4.0f) &&
                    !(s.prime[i] >= 0 && s.prime[i] < (float)cfg->vocab))
                    viol++;
                prev = rl[i];
            }
            CS_CHECK(viol == 0, "%s: %zu sampled labels violate the mask", name, viol);
        }
    }
    /* determinism: a second run gives the same bytes; another fallback seed with seed input -1 differs */
    {
        ref_inputs in = schedule_inputs(&s, NULL, 0);
        cs_seqp p;
        float *l2 = malloc(n * sizeof(float));
        logic_run(model, floats, &in, n, 42u, 64, ll, lp, le, &p);
        logic_run(model, floats, &in, n, 42u, 64, l2, lp, le, &p);
        CS_CHECK(memcmp(ll, l2, n * sizeof(float)) == 0, "%s: not deterministic", name);
        for (size_t i = 0; i < n; i++)
            s.seed[i] = -1.0f;
        logic_run(model, floats, &in, n, 43u, 64, l2, lp, le, &p);
        float *l3 = malloc(n * sizeof(float));
        logic_run(model, floats, &in, n, 44u, 64, l3, lp, le, &p);
        CS_CHECK(memcmp(l3, l2, n * sizeof(float)) != 0, "%s: seed -1 with other fallback seeds gives the same labels",
                 name);
        free(l2);
        free(l3);
    }
    free(rl), free(rp), free(re), free(ll), free(lp), free(le);
    schedule_free(&s);
    free(model);
}

/* Quiet blocks (cs_seqp_quiet: no event, the outputs held without the per-sample loop) against the independent
 * reference: (1) every input held per block of 64 (step 0, as a control-rate unit's), edges at block starts only,
 * the trigger sometimes NaN, negative or held high (no edge); outputs per sample and, as a control-rate unit
 * writes them, one per block; (2) audio-rate triggers that are NaN / negative / held between edges. Same labels,
 * probabilities and entropies, sample for sample; cs_seqp_quiet true exactly on the blocks where the reference
 * takes no step and no reset. */
static void test_quiet_blocks(void)
{
    cs_model_config cfg = {CS_MODEL_GRU, 9, 16, 1, 0, 0, 0, 0};
    size_t floats;
    float *model = cs_test_random_model(&cfg, &floats, 11u, 0.5f);
    const size_t B = 64, nb = 160, n = B * nb;
    schedule s;
    schedule_make(&s, n, 9, 5u, 0);
    float **arrs[] = {&s.trig, &s.temp, &s.topk, &s.topp, &s.prime, &s.reset, &s.seed, &s.penalty, &s.hist};
    cs_rng r;
    cs_rng_seed(&r, 9u);
    for (size_t b = 0; b < nb; b++) { /* (1): hold every input at its block-start value */
        const float trigs[] = {0.0f, 1.0f, 1.0f, NAN, -1.0f, 0.5f, 0.0f};
        s.trig[b * B] = trigs[cs_rng_below(&r, 7)];
        s.reset[b * B] = b % 37 == 20 ? 1.0f : 0.0f;
        for (size_t a = 0; a < sizeof arrs / sizeof arrs[0]; a++)
            for (size_t i = 1; i < B; i++)
                (*arrs[a])[b * B + i] = (*arrs[a])[b * B];
    }
    ref_inputs in = schedule_inputs(&s, NULL, 0);
    float *rl = malloc(n * sizeof(float)), *rp = malloc(n * sizeof(float)), *re = malloc(n * sizeof(float));
    float *ll = malloc(n * sizeof(float)), *lp = malloc(n * sizeof(float)), *le = malloc(n * sizeof(float));
    float kl[160], kp[160], ke[160];
    ref_run(model, floats, &in, n, 1u, rl, rp, re);
    for (int kr_out = 0; kr_out < 2; kr_out++) {
        cs_seqp p;
        cs_seqp_init(&p, 1u);
        g_arena.used = 0;
        g_arena.limit = sizeof g_arena.mem;
        while (cs_seqp_bind(&p, model, floats, 1, s.seed[0], arena_alloc, arena_free, &g_arena) == CS_SEQP_VERIFYING) {}
        size_t quiet_wrong = 0, steps_before = 0;
        for (size_t b = 0; b < nb; b++) {
            cs_seqp_bind(&p, model, floats, 1, s.seed[b * B], arena_alloc, arena_free, &g_arena);
            cs_seqp_io io;
            memset(&io, 0, sizeof io);
            const float *srcs[CS_SEQP_NUM_INPUTS] = {s.trig,  s.temp, s.topk,    s.topp, s.prime,
                                                     s.reset, s.seed, s.penalty, s.hist};
            for (int k = 0; k < CS_SEQP_NUM_INPUTS; k++)
                io.in[k] = srcs[k] + b * B; /* step 0: the held value */
            io.out_label = kr_out ? kl + b : ll + b * B;
            io.out_prob = kr_out ? kp + b : lp + b * B;
            io.out_entropy = kr_out ? ke + b : le + b * B;
            io.out_step = kr_out ? 0u : 1u;
            const uint64_t resets = p.resets;
            const int quiet = cs_seqp_quiet(&p, &io, (uint32_t)B);
            cs_seqp_process(&p, &io, (uint32_t)B);
            quiet_wrong += quiet != (p.steps == steps_before && p.resets == resets);
            steps_before = p.steps;
        }
        size_t diff = 0;
        for (size_t b = 0; b < nb; b++)
            for (size_t i = 0; i < (kr_out ? 1u : B); i++) {
                const size_t o = kr_out ? b : b * B + i, q = kr_out ? b * B + B - 1 : b * B + i;
                const float *L = kr_out ? kl : ll, *P = kr_out ? kp : lp, *E = kr_out ? ke : le;
                diff += L[o] != rl[q] || fabs((double)P[o] - (double)rp[q]) > 2e-5 ||
                        fabs((double)E[o] - (double)re[q]) > 2e-5; /* the reference's softmax is libm's */
            }
        CS_CHECK(p.steps > 20, "held inputs: only %llu steps", (unsigned long long)p.steps);
        CS_CHECK(diff == 0, "held inputs, %s outputs: %zu values differ from the reference",
                 kr_out ? "control-rate" : "audio-rate", diff);
        CS_CHECK(quiet_wrong == 0, "held inputs: cs_seqp_quiet wrong on %zu blocks", quiet_wrong);
    }
    /* (2) audio rate: edges inside blocks, NaN / negative / held values between them */
    for (size_t i = 0; i < n; i++) {
        const float odd[] = {NAN, -2.0f, 0.7f, 0.0f};
        s.trig[i] = i % 97 == 3 ? 1.0f : (i % 97 < 20 ? odd[i % 4] : 0.0f);
        s.reset[i] = i % 2900 == 1000 ? 1.0f : (i % 13 == 0 ? NAN : 0.0f);
    }
    ref_run(model, floats, &in, n, 1u, rl, rp, re);
    cs_seqp p;
    logic_run(model, floats, &in, n, 1u, 64, ll, lp, le, &p);
    CS_CHECK(p.steps > 50, "audio rate: only %llu steps", (unsigned long long)p.steps);
    size_t diff = 0;
    for (size_t i = 0; i < n; i++) {
        int d =
            ll[i] != rl[i] || fabs((double)lp[i] - (double)rp[i]) > 2e-5 || fabs((double)le[i] - (double)re[i]) > 2e-5;
        if (d && diff < 3)
            printf("  sample %zu: label %g/%g prob %g/%g trig %g reset %g prime %g\n", i, (double)ll[i], (double)rl[i],
                   (double)lp[i], (double)rp[i], (double)s.trig[i], (double)s.reset[i], (double)s.prime[i]);
        diff += d;
    }
    CS_CHECK(diff == 0, "audio-rate triggers with NaN / negative / held values: %zu outputs differ from the reference",
             diff);
    free(rl), free(rp), free(re), free(ll), free(lp), free(le);
    schedule_free(&s);
    free(model);
}

static void test_cap_and_clamp(void)
{
    cs_model_config cfg = {CS_MODEL_GRU, 7, 16, 1, 0, 0, 0, 0};
    size_t floats;
    float *model = cs_test_random_model(&cfg, &floats, 7u, 0.5f);
    const size_t n = 512;
    schedule s;
    schedule_make(&s, n, 7, 3u, 1); /* a trigger every 2 samples: 128 edges in a 256-sample block */
    for (size_t i = 0; i < n; i++)
        s.reset[i] = 0, s.prime[i] = -1, s.seed[i] = 1;
    ref_inputs in = schedule_inputs(&s, NULL, 0);
    float *rl = malloc(n * sizeof(float)), *rp = malloc(n * sizeof(float)), *re = malloc(n * sizeof(float));
    float *ll = malloc(n * sizeof(float)), *lp = malloc(n * sizeof(float)), *le = malloc(n * sizeof(float));
    cs_seqp p;
    /* a small model is well inside the budget: all 254 edges (127 per 256-sample block) step at their own sample,
     * as the uncapped reference does (a fixed cap of 64 steps per block dropped half of them) */
    logic_run(model, floats, &in, n, 1u, 256, ll, lp, le, &p);
    ref_run(model, floats, &in, n, 1u, rl, rp, re);
    CS_CHECK(p.steps == 254, "dense: %llu steps of 254 triggers", (unsigned long long)p.steps);
    CS_CHECK(p.dropped == 0 && p.deferred == 0, "dense: %llu dropped, %llu deferred", (unsigned long long)p.dropped,
             (unsigned long long)p.deferred);
    CS_CHECK(memcmp(ll, rl, n * sizeof(float)) == 0, "dense: labels differ from the reference");

    /* every input NaN, +-inf, negative, huge: finite outputs, labels in range, no crash */
    const float bad[] = {NAN, INFINITY, -INFINITY, -1.0f, -1e30f, 1e30f, 3.0e9f, 0.0f};
    const size_t nb = sizeof bad / sizeof bad[0];
    float **arrs[] = {&s.temp, &s.topk, &s.topp, &s.prime, &s.reset, &s.seed, &s.penalty, &s.hist};
    size_t nonfinite = 0, out_of_range = 0, steps = 0;
    for (size_t a = 0; a < sizeof arrs / sizeof arrs[0]; a++) {
        for (size_t b = 0; b < nb; b++) {
            for (size_t i = 0; i < n; i++) {
                s.temp[i] = 1, s.topk[i] = 0, s.topp[i] = 1, s.prime[i] = -1, s.reset[i] = 0, s.seed[i] = 1;
                s.penalty[i] = 1, s.hist[i] = 4;
                (*arrs[a])[i] = bad[(b + i) % nb];
                s.trig[i] = (i % 5 == 0) ? bad[(b + i / 5) % nb] : 0.0f;
            }
            logic_run(model, floats, &in, n, 1u, 64, ll, lp, le, &p);
            steps += p.steps;
            for (size_t i = 0; i < n; i++) {
                if (!isfinite(ll[i]) || !isfinite(lp[i]) || !isfinite(le[i])) nonfinite++;
                if (ll[i] < CS_LABEL_ANY || ll[i] >= 7 || ll[i] != floorf(ll[i]) || lp[i] < 0 || lp[i] > 1.0001f ||
                    le[i] < 0 || le[i] > 2.81f)
                    out_of_range++;
            }
        }
    }
    CS_CHECK(nonfinite == 0, "abuse: %zu non-finite outputs", nonfinite);
    CS_CHECK(out_of_range == 0, "abuse: %zu outputs out of range", out_of_range);
    CS_CHECK(steps > 500, "abuse: only %zu steps taken", steps);
    free(rl), free(rp), free(re), free(ll), free(lp), free(le);
    schedule_free(&s);
    free(model);
}

/* Run `blocks` calls of 64 samples over per-sample trig/prime/reset arrays (the other inputs constant: sampling
 * at temperature 1, seed 1); label[i] gets the output, events[b] what each call took. */
static void budget_run(cs_seqp *p, const float *model, size_t floats, const float *trig, const float *prime,
                       const float *reset, size_t blocks, float *label, int *events)
{
    const float one = 1, zero = 0, seed = 1, hist = 4;
    for (size_t b = 0; b < blocks; b++) {
        cs_seqp_bind(p, model, floats, 1, seed, arena_alloc, arena_free, &g_arena);
        cs_seqp_io io;
        memset(&io, 0, sizeof io);
        const float *ins[CS_SEQP_NUM_INPUTS] = {trig + 64 * b,  &one,  &zero, &one, prime + 64 * b,
                                                reset + 64 * b, &seed, &one,  &hist};
        for (int k = 0; k < CS_SEQP_NUM_INPUTS; k++)
            io.in[k] = ins[k], io.step[k] = (k == CS_SEQP_IN_TRIG || k == CS_SEQP_IN_PRIME || k == CS_SEQP_IN_RESET);
        io.out_label = label + 64 * b;
        io.out_step = 1;
        events[b] = cs_seqp_process(p, &io, 64);
    }
}

/* The per-block budget with the largest model the format allows (transformer D 128, 4 layers, context 128,
 * V 4096: ~2.3 M multiply-adds a step, more than the 2 M of a 64-sample block): one event per block. N triggers
 * in one block give N steps over the following blocks, in order (primes 0..N-1 come out as labels 0..N-1, one per
 * block); a reset queued between them happens between them; a queue overflow is counted, never silent. */
static void test_budget_queue(void)
{
    cs_model_config cfg = {CS_MODEL_TRANSFORMER,
                           CS_MODEL_MAX_VOCAB,
                           CS_MODEL_TF_MAX_D,
                           CS_MODEL_TF_MAX_LAYERS,
                           4,
                           CS_MODEL_TF_MAX_CONTEXT,
                           CS_MODEL_TF_FF_MULT * CS_MODEL_TF_MAX_D,
                           0};
    CS_CHECK(cs_model_step_madds(&cfg) == 1441792u, "largest transformer: %llu multiply-adds a step",
             (unsigned long long)cs_model_step_madds(&cfg));
    cs_model_config gru = {CS_MODEL_GRU, 64, 64, 1, 0, 0, 0, 0};
    CS_CHECK(cs_model_step_madds(&gru) == 28672u, "GRU 64: %llu multiply-adds a step",
             (unsigned long long)cs_model_step_madds(&gru));
    size_t floats;
    float *model = cs_test_random_model(&cfg, &floats, 11u, 0.05f);
    CS_CHECK(model != NULL, "budget: model");
    if (!model) return;
    enum { NB = 60, N = 30 };
    float *trig = calloc(64 * NB, sizeof(float)), *prime = malloc(64 * NB * sizeof(float));
    float *reset = calloc(64 * NB, sizeof(float)), *label = malloc(64 * NB * sizeof(float));
    int events[NB];
    for (size_t i = 0; i < 64 * NB; i++)
        prime[i] = -1.0f;
    for (int k = 0; k < N; k++) /* N edges in block 0, at samples 1, 3, 5, ...; trigger k primes label k */
        trig[2 * k + 1] = 1.0f, prime[2 * k + 1] = (float)k;
    reset[40] = 1.0f; /* between trigger 19 (sample 39) and trigger 20 (sample 41) */
    cs_seqp p;
    cs_seqp_init(&p, 1u);
    g_arena.used = 0;
    g_arena.limit = sizeof g_arena.mem;
    int guard = 0;
    while (cs_seqp_bind(&p, model, floats, 1, 1.0f, arena_alloc, arena_free, &g_arena) == CS_SEQP_VERIFYING &&
           guard++ < 100000) {}
    CS_CHECK(p.status == CS_SEQP_READY, "budget: model not ready (%d)", p.status);
    uint64_t resets0 = p.resets;
    budget_run(&p, model, floats, trig, prime, reset, NB, label, events);
    CS_CHECK(p.steps == N, "budget: %llu steps for %d triggers", (unsigned long long)p.steps, N);
    CS_CHECK(p.dropped == 0, "budget: %llu dropped", (unsigned long long)p.dropped);
    CS_CHECK(p.deferred == N, "budget: %llu deferred (the reset and %d triggers wait)", (unsigned long long)p.deferred,
             N - 1);
    CS_CHECK(p.resets == resets0 + 1, "budget: the reset was not done");
    int order_bad = 0, events_bad = 0;
    for (int b = 0; b < NB; b++) {
        int want_events = b <= N ? 1 : 0; /* N steps and one reset, one per block */
        if (events[b] != want_events) events_bad++;
        float want = b < 20 ? (float)b : (b == 20 ? 19.0f : (b <= N ? (float)(b - 1) : (float)(N - 1)));
        if (label[64 * b + 63] != want) order_bad++;
    }
    CS_CHECK(events_bad == 0, "budget: %d blocks did not take exactly one event", events_bad);
    CS_CHECK(order_bad == 0, "budget: %d blocks with a label out of order", order_bad);
    CS_CHECK(label[1] == 0.0f && label[0] == (float)CS_LABEL_ANY, "budget: first step not at its own sample");

    /* overflow: a trigger every 2 samples for NB blocks (32 a block) against one step a block */
    for (size_t i = 0; i < 64 * NB; i++)
        trig[i] = (i % 2) ? 1.0f : 0.0f, prime[i] = -1.0f, reset[i] = 0.0f;
    cs_seqp_reset(&p, 1);
    p.steps = p.dropped = p.deferred = 0;
    budget_run(&p, model, floats, trig, prime, reset, NB, label, events);
    uint64_t edges = 32 * NB, queued = cs_seqp_queued(&p);
    CS_CHECK(p.steps == NB, "overflow: %llu steps in %d blocks", (unsigned long long)p.steps, NB);
    CS_CHECK(queued == CS_SEQP_QUEUE, "overflow: %zu queued", (size_t)queued);
    CS_CHECK(p.steps + queued + p.dropped == edges, "overflow: %llu steps + %llu queued + %llu dropped != %llu",
             (unsigned long long)p.steps, (unsigned long long)queued, (unsigned long long)p.dropped,
             (unsigned long long)edges);
    /* a model change with triggers waiting: counted as dropped */
    uint64_t d0 = p.dropped;
    cs_seqp_unbind(&p);
    CS_CHECK(p.dropped == d0 + CS_SEQP_QUEUE && cs_seqp_queued(&p) == 0, "unbind: %llu dropped of %d waiting",
             (unsigned long long)(p.dropped - d0), CS_SEQP_QUEUE);
    free(trig), free(prime), free(reset), free(label);
    free(model);

    /* a control-rate unit processes one sample per block but has the block's budget (budget_samples): a reset
     * and a trigger with top-k on in the same sample (14 336 + 14 336 + 64 * (200 + 6 * 130) multiply-adds for
     * this GRU, more than one sample's 31 250) are both done at once, every block */
    cs_model_config kr = {CS_MODEL_GRU, 64, 32, 2, 0, 0, 0, 0};
    model = cs_test_random_model(&kr, &floats, 5u, 0.5f);
    cs_seqp_init(&p, 1u);
    g_arena.used = 0;
    while (cs_seqp_bind(&p, model, floats, 1, 1.0f, arena_alloc, arena_free, &g_arena) == CS_SEQP_VERIFYING) {}
    const float one = 1, three = 3, seed = 1, hist = 4, neg = -1;
    float out = 0;
    int late = 0;
    for (int b = 0; b < 40; b++) {
        const float edge = (b % 2) ? 1.0f : 0.0f;
        cs_seqp_io io;
        memset(&io, 0, sizeof io);
        const float *ins[CS_SEQP_NUM_INPUTS] = {&edge, &one, &three, &one, &neg, &edge, &seed, &one, &hist};
        for (int k = 0; k < CS_SEQP_NUM_INPUTS; k++)
            io.in[k] = ins[k];
        io.out_label = &out;
        io.budget_samples = 64;
        cs_seqp_bind(&p, model, floats, 1, seed, arena_alloc, arena_free, &g_arena);
        cs_seqp_process(&p, &io, 1);
        if (cs_seqp_queued(&p) != 0) late++;
    }
    CS_CHECK(p.steps == 20 && p.deferred == 0 && late == 0, "kr: %llu steps, %llu deferred, %d late blocks",
             (unsigned long long)p.steps, (unsigned long long)p.deferred, late);
    free(model);
}

/* Writes into a model Buffer while it plays (the /b_set abuse): every value of the weights and of the header,
 * extreme and non-finite, at the same address. Outputs stay finite and in range (-1, -2 or a label); a header
 * write is noticed at the next block; a non-finite value in a step drops the model and verifies it again. */
static void test_written_model(void)
{
    cs_model_config cfg = {CS_MODEL_GRU, 6, 16, 1, 0, 0, 0, 0};
    size_t floats;
    float *model = cs_test_random_model(&cfg, &floats, 21u, 0.3f);
    float *orig = malloc(floats * sizeof(float));
    memcpy(orig, model, floats * sizeof(float));
    cs_seqp p;
    cs_seqp_init(&p, 3u);
    g_arena.used = 0;
    g_arena.limit = sizeof g_arena.mem;
    g_arena.allocs = g_arena.frees = g_arena.attempts = 0;
    const float vals[] = {NAN, INFINITY, -INFINITY, 1e30f, -1e30f, 4e9f, 0.0f, -1.0f};
    cs_rng g;
    cs_rng_seed(&g, 77);
    size_t bad = 0, steps = 0, readies = 0;
    float temps[3] = {1.0f, 1e-9f, 1000.0f};
    for (int round = 0; round < 3000; round++) {
        /* a random write, then restore now and then (so the model becomes valid again) */
        if (round % 7 == 6) {
            memcpy(model, orig, floats * sizeof(float));
        } else {
            const size_t at =
                round % 3 == 0 ? cs_rng_below(&g, CS_MODEL_HEADER_FLOATS) : cs_rng_below(&g, (uint32_t)floats);
            const size_t len = 1 + cs_rng_below(&g, 40);
            const float v = vals[cs_rng_below(&g, 8)];
            for (size_t k = at; k < at + len && k < floats; k++)
                model[k] = v;
        }
        const int st = cs_seqp_bind(&p, model, floats, 1, 0, arena_alloc, arena_free, &g_arena);
        if (st == CS_SEQP_READY) readies++;
        if (p.model) {
            cs_sample_params sp;
            int nh;
            cs_seqp_params(temps[round % 3], 0, 1, 1.5f, 8, p.vocab, &sp, &nh);
            cs_seqp_step(&p, -1, &sp, nh, NULL, 0);
            steps++;
        }
        const int lab = (int)p.label;
        if (!isfinite(p.label) || !isfinite(p.prob) || !isfinite(p.entropy) || (float)lab != p.label ||
            lab < CS_LABEL_ANY || lab >= cfg.vocab)
            bad++;
    }
    CS_CHECK(bad == 0, "written model: %zu bad outputs", bad);
    CS_CHECK(steps > 100 && readies > 100, "written model: %zu steps, %zu ready blocks", steps, readies);
    /* a header write is noticed at the next bind, at the same address */
    memcpy(model, orig, floats * sizeof(float));
    while (cs_seqp_bind(&p, model, floats, 1, 0, arena_alloc, arena_free, &g_arena) == CS_SEQP_VERIFYING) {}
    model[CS_MH_VOCAB] = 4e9f;
    CS_CHECK(cs_seqp_bind(&p, model, floats, 1, 0, arena_alloc, arena_free, &g_arena) == CS_SEQP_BAD_HEADER &&
                 p.label == (float)CS_LABEL_NONE && p.model == NULL,
             "header write noticed: label -1");
    cs_seqp_release(&p, arena_free, &g_arena);
    free(orig);
    free(model);
}

/* p initialised with fallback seed 3 and bound to `model` until ready, its state in the (emptied) arena. */
static void bind_ready(cs_seqp *p, const float *model, size_t floats, float seed)
{
    cs_seqp_init(p, 3u);
    g_arena.used = 0;
    g_arena.limit = sizeof g_arena.mem;
    while (cs_seqp_bind(p, model, floats, 1, seed, arena_alloc, arena_free, &g_arena) == CS_SEQP_VERIFYING) {}
}

/* A non-finite or huge head bias written after verification, at any label (V 13): the model clamps its logits
 * (cs_model.c), which is why cs_seqp_step does not scan them: the step succeeds, the outputs are finite and the
 * label in range, and a NaN bias is the logit 0, an infinite one +-1e30 (in the logits the step sampled from). */
static void test_nonfinite_logit(void)
{
    cs_model_config cfg = {CS_MODEL_GRU, 13, 16, 1, 0, 0, 0, 0};
    size_t floats;
    float *model = cs_test_random_model(&cfg, &floats, 5u, 0.3f);
    float *orig = malloc(floats * sizeof(float));
    memcpy(orig, model, floats * sizeof(float));
    const float vals[4] = {NAN, INFINITY, -INFINITY, 3e38f}, want[4] = {0.0f, 1e30f, -1e30f, 1e30f};
    size_t wrong = 0;
    for (int k = 0; k < cfg.vocab; k++) {
        for (int v = 0; v < 4; v++) {
            memcpy(model, orig, floats * sizeof(float));
            cs_seqp p;
            bind_ready(&p, model, floats, 0.0f);
            cs_sample_params sp;
            cs_sample_params_default(&sp);
            if (cs_seqp_step(&p, -1, &sp, 0, NULL, 0) != 0 || !p.model) wrong++;
            model[(size_t)(p.view.head_b - model) + (size_t)k] = vals[v];
            const int r = cs_seqp_step(&p, -1, &sp, 0, NULL, 0);
            const float lk = p.model ? cs_model_logits(p.model)[k] : 0.0f; /* the next step's: the same bias */
            if (r != 0 || !p.model || p.nonfinite != 0 || !(p.label >= 0.0f && p.label < (float)cfg.vocab) ||
                !isfinite(p.prob) || !isfinite(p.entropy) || (v != 3 && lk != want[v]) || (v == 3 && !(lk > 1e29f)))
                wrong++;
            cs_seqp_release(&p, arena_free, &g_arena);
        }
    }
    CS_CHECK(wrong == 0, "non-finite head bias at each label: %zu wrong", wrong);
    free(orig);
    free(model);
}

/* Outputs written into the inputs' memory (scsynth's wire buffers: the label output in the trigger's buffer, the
 * probability in the reset's), against the same inputs in buffers of their own: the same outputs, sample for
 * sample. Audio-rate trigger and reset, 3000 blocks (the held samples between edges are written in one run: their
 * inputs must be read before). */
/* Two ready states of one random GRU (16 labels) and seed 4, a in the arena and b in its own memory, fed the same
 * random trigger (5 % of the samples, 0.1 .. 1.1) and reset (0.2 %): a from ta, ra (step 1) into la, pa, ea; b from
 * tb, rb written at b's stride (its other floats 1) through ib, whose outputs the test points anywhere (into its
 * inputs). Control inputs: temperature 0.9, top-k 5, top-p 0.9, no prime, seed 4, penalty 1.3 over 6 labels. */
typedef struct pair_run {
    float *model;
    cs_seqp a, b;
    float ta[64], ra[64], la[64], pa[64], ea[64], tb[128], rb[128], lb[64], pb[64], eb[64];
    cs_seqp_io ia, ib;
    uint32_t stride;
} pair_run;

static void pair_setup(pair_run *r, uint32_t model_seed, uint32_t stride)
{
    static unsigned char mem2[1 << 16] __attribute__((aligned(64)));
    static const float temp = 0.9f, tk = 5, tp = 0.9f, prime = -1, seed = 4, pen = 1.3f, hl = 6;
    cs_model_config cfg = {CS_MODEL_GRU, 16, 32, 1, 0, 0, 0, 0};
    size_t floats;
    r->model = cs_test_random_model(&cfg, &floats, model_seed, 0.3f);
    bind_ready(&r->a, r->model, floats, 4.0f);
    cs_seqp_init(&r->b, 3u);
    CS_CHECK(cs_seqp_mem_size(&r->a.view) <= sizeof mem2, "state fits");
    r->b.mem = mem2;
    r->b.mem_bytes = sizeof mem2;
    while (cs_seqp_bind(&r->b, r->model, floats, 1, 4.0f, NULL, NULL, NULL) == CS_SEQP_VERIFYING) {}
    memset(&r->ia, 0, sizeof r->ia);
    const float *ins[CS_SEQP_NUM_INPUTS] = {r->ta, &temp, &tk, &tp, &prime, r->ra, &seed, &pen, &hl};
    for (int k = 0; k < CS_SEQP_NUM_INPUTS; k++)
        r->ia.in[k] = ins[k], r->ia.step[k] = (k == CS_SEQP_IN_TRIG || k == CS_SEQP_IN_RESET) ? 1u : 0u;
    r->ia.out_step = 1;
    r->ib = r->ia;
    r->ia.out_label = r->la, r->ia.out_prob = r->pa, r->ia.out_entropy = r->ea;
    r->ib.in[CS_SEQP_IN_TRIG] = r->tb, r->ib.in[CS_SEQP_IN_RESET] = r->rb;
    r->ib.step[CS_SEQP_IN_TRIG] = r->ib.step[CS_SEQP_IN_RESET] = stride;
    r->ib.out_label = r->lb, r->ib.out_prob = r->pb, r->ib.out_entropy = r->eb;
    r->stride = stride;
}

/* 3000 blocks (random inputs from rng seed `seed`): the number of blocks whose outputs of a and b differ. */
static size_t pair_blocks(pair_run *r, uint64_t seed)
{
    cs_rng g;
    cs_rng_seed(&g, seed);
    size_t differ = 0;
    for (int blk = 0; blk < 3000; blk++) {
        for (uint32_t i = 0; i < 2 * 64; i++)
            r->tb[i] = r->rb[i] = 1.0f;
        for (uint32_t i = 0; i < 64; i++) {
            r->tb[i * r->stride] = r->ta[i] = cs_rng_uniform(&g) < 0.05f ? 0.1f + cs_rng_uniform(&g) : 0.0f;
            r->rb[i * r->stride] = r->ra[i] = cs_rng_uniform(&g) < 0.002f ? 1.0f : 0.0f;
        }
        cs_seqp_process(&r->a, &r->ia, 64);
        cs_seqp_process(&r->b, &r->ib, 64);
        differ += memcmp(r->la, r->ib.out_label, sizeof r->la) != 0 ||
                  memcmp(r->pa, r->ib.out_prob, sizeof r->pa) != 0 ||
                  memcmp(r->ea, r->ib.out_entropy, sizeof r->ea) != 0;
    }
    return differ;
}

static void pair_release(pair_run *r)
{
    cs_seqp_release(&r->a, arena_free, &g_arena);
    r->b.mem = NULL;
    free(r->model);
}

/* scsynth may give an input's wire buffer as an output: b writes its label and probability into its trigger's and
 * reset's own buffers and must give a's outputs. */
static void test_aliased_outputs(void)
{
    static pair_run r;
    pair_setup(&r, 5u, 1u);
    r.ib.out_label = r.tb, r.ib.out_prob = r.rb; /* in place */
    const size_t differ = pair_blocks(&r, 9);
    CS_CHECK(differ == 0 && r.a.steps > 5000 && r.a.resets > 100,
             "outputs in the inputs' memory: %zu blocks differ (%llu steps)", differ, (unsigned long long)r.a.steps);
    pair_release(&r);
}

/* An input's step is its stride (sample i at in[i * step]), not only 0 (held) or 1: the trigger and reset read
 * every other float of an interleaved buffer whose odd floats are 1 (a signal that, read contiguously, rises where
 * the real one does not and hides where it does) give the same outputs, steps and resets as the same signal at
 * step 1. Before the edge scan and the last value honoured the stride, 1748 of 3000 blocks differed (8794 steps
 * against 9195). */
static void test_strided_inputs(void)
{
    static pair_run r;
    pair_setup(&r, 6u, 2u);
    const size_t differ = pair_blocks(&r, 10);
    CS_CHECK(differ == 0 && r.a.steps == r.b.steps && r.a.resets == r.b.resets && r.a.steps > 5000 && r.a.resets > 100,
             "inputs at step 2: %zu blocks differ (%llu / %llu steps, %llu / %llu resets)", differ,
             (unsigned long long)r.a.steps, (unsigned long long)r.b.steps, (unsigned long long)r.a.resets,
             (unsigned long long)r.b.resets);
    pair_release(&r);
}

/* The sampler's bound in an event's cost (cs_seqp_sample_cost): plain and teacher forcing V * PLAIN; truncation
 * (top-k < V or top-p < 1) on the AVX2 path flat per label up to CS_SEQP_SAMPLE_REG_MAX labels, then per heap level;
 * the portable path per heap level at every V; top-k >= V is no truncation. */
static void test_sample_cost(void)
{
    cs_seqp_event e;
    memset(&e, 0, sizeof e);
    cs_sample_params_default(&e.sp);
    e.prime = -1.0f;
    const uint64_t P = CS_SEQP_SAMPLE_MADDS_PLAIN;
    CS_CHECK(cs_seqp_sample_cost(64, &e, 1) == 64 * P && cs_seqp_sample_cost(4096, &e, 0) == 4096 * P, "plain");
    e.sp.top_k = 64;
    CS_CHECK(cs_seqp_sample_cost(64, &e, 1) == 64 * P, "top-k = V: no truncation");
    e.sp.top_k = 0;
    e.sp.top_p = 0.9f;
    CS_CHECK(cs_seqp_sample_cost(64, &e, 1) == 64 * (P + CS_SEQP_SAMPLE_MADDS_TRUNC_REG), "V 64, AVX2: flat");
    CS_CHECK(cs_seqp_sample_cost(17, &e, 1) == 17 * (P + CS_SEQP_SAMPLE_MADDS_TRUNC_REG), "V 17, AVX2: flat");
    CS_CHECK(cs_seqp_sample_cost(65, &e, 1) == 65 * (P + 7 * CS_SEQP_SAMPLE_MADDS_TRUNC), "V 65, AVX2: 7 levels");
    CS_CHECK(cs_seqp_sample_cost(4096, &e, 1) == 4096 * (P + 12 * CS_SEQP_SAMPLE_MADDS_TRUNC), "V 4096: 12 levels");
    CS_CHECK(cs_seqp_sample_cost(64, &e, 0) == 64 * (P + 6 * CS_SEQP_SAMPLE_MADDS_TRUNC_PORTABLE), "V 64 portable");
    e.prime = 3.0f;
    CS_CHECK(cs_seqp_sample_cost(64, &e, 0) == 64 * P, "teacher forcing: the plain cost");
    e.prime = 64.0f; /* out of range: drawn */
    CS_CHECK(cs_seqp_sample_cost(64, &e, 0) == 64 * (P + 6 * CS_SEQP_SAMPLE_MADDS_TRUNC_PORTABLE), "prime >= V: drawn");
    CS_CHECK(cs_seqp_sample_cost(0, &e, 1) == 0, "no labels: 0");
}

static void test_binding(void)
{
    cs_model_config cfg = {CS_MODEL_GRU, 5, 32, 2, 0, 0, 0, 0};
    size_t floats;
    float *model = cs_test_random_model(&cfg, &floats, 11u, 0.3f);
    cs_seqp p;
    cs_seqp_init(&p, 9u);
    g_arena.used = 0;
    g_arena.limit = sizeof g_arena.mem;
    g_arena.allocs = g_arena.frees = g_arena.attempts = 0;
    CS_CHECK(cs_seqp_bind(&p, NULL, 0, 1, 0, arena_alloc, arena_free, &g_arena) == CS_SEQP_NO_BUFFER, "no buffer");
    CS_CHECK(cs_seqp_bind(&p, model, floats, 2, 0, arena_alloc, arena_free, &g_arena) == CS_SEQP_NOT_MONO, "stereo");
    int blocks = 0, st;
    while ((st = cs_seqp_bind(&p, model, floats, 1, 0, arena_alloc, arena_free, &g_arena)) == CS_SEQP_VERIFYING)
        blocks++;
    size_t nw = floats - CS_MODEL_HEADER_FLOATS;
    CS_CHECK(st == CS_SEQP_READY, "ready: %d", st);
    CS_CHECK(blocks + 1 == (int)((nw + CS_SEQP_VERIFY_FLOATS - 1) / CS_SEQP_VERIFY_FLOATS),
             "verification took %d blocks for %zu weights", blocks + 1, nw);
    CS_CHECK(g_arena.allocs == 1, "one allocation (%d)", g_arena.allocs);
    CS_CHECK(p.label == (float)CS_LABEL_ANY, "ready, before the first trigger: label -2 (any unit)");
    /* a step, then a reload of another model at the same address (header changes) */
    cs_sample_params sp;
    cs_sample_params_default(&sp);
    cs_seqp_step(&p, -1, &sp, 0, NULL, 0);
    CS_CHECK(p.label >= 0 && p.label < 5, "stepped: %g", (double)p.label);
    float *copy = malloc(floats * sizeof(float));
    memcpy(copy, model, floats * sizeof(float));
    size_t f2;
    float *other = cs_test_random_model(&cfg, &f2, 12u, 0.3f);
    memcpy(model, other, floats * sizeof(float));
    st = cs_seqp_bind(&p, model, floats, 1, 0, arena_alloc, arena_free, &g_arena);
    CS_CHECK(st == CS_SEQP_VERIFYING && p.label == -1.0f && p.model == NULL, "reload noticed: %d", st);
    while ((st = cs_seqp_bind(&p, model, floats, 1, 0, arena_alloc, arena_free, &g_arena)) == CS_SEQP_VERIFYING) {}
    CS_CHECK(st == CS_SEQP_READY && g_arena.allocs == 1, "ready again, memory reused (%d allocs)", g_arena.allocs);
    /* corrupted weight: checksum failure; NaN weight: non-finite */
    model[CS_MODEL_HEADER_FLOATS + nw - 1] += 1.0f;
    memcpy(copy, model, floats * sizeof(float));
    while ((st = cs_seqp_bind(&p, copy, floats, 1, 0, arena_alloc, arena_free, &g_arena)) == CS_SEQP_VERIFYING) {}
    CS_CHECK(st == CS_SEQP_BAD_WEIGHTS && p.err == CS_MODEL_E_CHECKSUM, "checksum: %d %d", st, p.err);
    copy[CS_MODEL_HEADER_FLOATS + 3] = NAN;
    copy[0] = 1.0f; /* and bad magic (header change is noticed at the same address) */
    st = cs_seqp_bind(&p, copy, floats, 1, 0, arena_alloc, arena_free, &g_arena);
    CS_CHECK(st == CS_SEQP_BAD_HEADER && p.err == CS_MODEL_E_MAGIC, "magic: %d %d", st, p.err);
    copy[0] = (float)CS_MODEL_MAGIC;
    while ((st = cs_seqp_bind(&p, copy, floats, 1, 0, arena_alloc, arena_free, &g_arena)) == CS_SEQP_VERIFYING) {}
    CS_CHECK(st == CS_SEQP_BAD_WEIGHTS && p.err == CS_MODEL_E_NONFINITE, "nan weight: %d %d", st, p.err);
    st = cs_seqp_bind(&p, copy, 10, 1, 0, arena_alloc, arena_free, &g_arena);
    CS_CHECK(st == CS_SEQP_BAD_HEADER && p.err == CS_MODEL_E_TRUNCATED, "truncated: %d %d", st, p.err);
    /* too little memory: a bigger model than the arena allows */
    cs_model_config big = {CS_MODEL_TRANSFORMER, 64, 64, 2, 4, 128, 256, 0};
    size_t fb;
    float *bigm = cs_test_random_model(&big, &fb, 5u, 0.1f);
    g_arena.limit = g_arena.used + 1000;
    while ((st = cs_seqp_bind(&p, bigm, fb, 1, 0, arena_alloc, arena_free, &g_arena)) == CS_SEQP_VERIFYING) {}
    CS_CHECK(st == CS_SEQP_NO_MEMORY && p.need > 1000 && p.label == -1.0f, "no memory: %d need %zu", st, p.need);
    st = cs_seqp_bind(&p, bigm, fb, 1, 0, arena_alloc, arena_free, &g_arena);
    CS_CHECK(st == CS_SEQP_NO_MEMORY && g_arena.attempts == 2, "no retry while unchanged: %d attempts",
             g_arena.attempts);
    g_arena.limit = sizeof g_arena.mem;
    /* freed buffer */
    CS_CHECK(cs_seqp_bind(&p, NULL, 0, 0, 0, arena_alloc, arena_free, &g_arena) == CS_SEQP_NO_BUFFER, "freed");
    cs_seqp_release(&p, arena_free, &g_arena);
    CS_CHECK(p.mem == NULL, "released");
    free(copy), free(other), free(bigm), free(model);
}

/* Real-time memory short of the full state (folded-embedding table): the allocator refuses cs_seqp_mem_size, so
 * bind takes cs_seqp_mem_size_min and the model gives the same labels as with the full state (same seed); with
 * less than that it is NO_MEMORY naming the smaller size. */
static void test_small_state(void)
{
    cs_model_config cfg = {CS_MODEL_GRU, 64, 64, 1, 0, 0, 0, 0};
    size_t floats;
    float *model = cs_test_random_model(&cfg, &floats, 21u, 0.5f);
    cs_model_view v;
    CS_CHECK(cs_model_parse(model, floats, &v) == CS_MODEL_OK, "parse");
    const size_t full = cs_seqp_mem_size(&v), least = cs_seqp_mem_size_min(&v);
    CS_CHECK(least > 0 && least + 40000 < full, "the table is most of the state: %zu of %zu bytes", least, full);
    CS_CHECK(cs_model_state_size_min(&v) < cs_model_state_size(&v), "model: small state %zu < %zu",
             cs_model_state_size_min(&v), cs_model_state_size(&v));
    cs_seqp a, b;
    cs_seqp_init(&a, 3u);
    cs_seqp_init(&b, 3u);
    static arena big, small;
    big.limit = sizeof big.mem;
    small.limit = full - 1;
    int sa, sb;
    while ((sa = cs_seqp_bind(&a, model, floats, 1, 7, arena_alloc, arena_free, &big)) == CS_SEQP_VERIFYING) {}
    while ((sb = cs_seqp_bind(&b, model, floats, 1, 7, arena_alloc, arena_free, &small)) == CS_SEQP_VERIFYING) {}
    CS_CHECK(sa == CS_SEQP_READY && !a.reduced && a.mem_bytes == full, "full state: %d %d %zu", sa, a.reduced,
             a.mem_bytes);
    CS_CHECK(sb == CS_SEQP_READY && b.reduced && b.mem_bytes == least && small.attempts == 2,
             "small state after one refusal: %d %d %zu (%d attempts)", sb, b.reduced, b.mem_bytes, small.attempts);
    cs_sample_params sp;
    cs_sample_params_default(&sp);
    int differ = 0;
    for (int i = 0; i < 2000; i++) {
        cs_seqp_step(&a, -1, &sp, 0, NULL, 0);
        cs_seqp_step(&b, -1, &sp, 0, NULL, 0);
        differ += a.label != b.label || a.prob != b.prob;
    }
    CS_CHECK(differ == 0, "the small state gives the same labels and probabilities: %d of 2000 differ", differ);
    cs_seqp c;
    cs_seqp_init(&c, 3u);
    static arena none;
    none.limit = least - 1;
    int sc;
    while ((sc = cs_seqp_bind(&c, model, floats, 1, 7, arena_alloc, arena_free, &none)) == CS_SEQP_VERIFYING) {}
    CS_CHECK(sc == CS_SEQP_NO_MEMORY && c.need == least && c.label == -1.0f, "below the small state: %d need %zu", sc,
             c.need);
    cs_seqp_release(&a, arena_free, &big);
    cs_seqp_release(&b, arena_free, &small);
    cs_seqp_release(&c, arena_free, &none);
    free(model);
}

static void test_noalloc(void)
{
#if CS_COUNT_HEAP
    cs_model_config cfgs[2] = {{CS_MODEL_GRU, 12, 32, 2, 0, 0, 0, 0}, {CS_MODEL_TRANSFORMER, 9, 32, 2, 4, 8, 128, 0}};
    for (int c = 0; c < 2; c++) {
        size_t floats;
        float *model = cs_test_random_model(&cfgs[c], &floats, 3u, 0.4f);
        const size_t n = 4096;
        schedule s;
        schedule_make(&s, n, cfgs[c].vocab, 5u, 0);
        float mask[3] = {1, 0, 1};
        float *l = malloc(n * sizeof(float)), *pr = malloc(n * sizeof(float)), *e = malloc(n * sizeof(float));
        cs_seqp p;
        counting = 1;
        heap_calls = 0;
        void *volatile probe = malloc(8);
        long self = heap_calls;
        free(probe);
        heap_calls = 0;
        cs_seqp_init(&p, 1u);
        g_arena.used = 0;
        g_arena.limit = sizeof g_arena.mem;
        for (size_t off = 0; off < n; off += 64) {
            cs_seqp_bind(&p, model, floats, 1, 3, arena_alloc, arena_free, &g_arena);
            cs_seqp_io io;
            memset(&io, 0, sizeof io);
            const float *srcs[CS_SEQP_NUM_INPUTS] = {s.trig,  s.temp, s.topk,    s.topp, s.prime,
                                                     s.reset, s.seed, s.penalty, s.hist};
            for (int k = 0; k < CS_SEQP_NUM_INPUTS; k++)
                io.in[k] = srcs[k] + off, io.step[k] = 1;
            io.mask = mask;
            io.mask_len = 3;
            io.out_label = l + off, io.out_prob = pr + off, io.out_entropy = e + off, io.out_step = 1;
            io.budget_samples = 0;
            cs_seqp_process(&p, &io, 64);
        }
        cs_seqp_release(&p, arena_free, &g_arena);
        long calls = heap_calls;
        counting = 0;
        CS_CHECK(self == 1, "the counting allocator sees malloc (%ld)", self);
        CS_CHECK(calls == 0, "config %d: %ld heap calls in bind/process (%llu steps)", c, calls,
                 (unsigned long long)p.steps);
        CS_CHECK(p.steps > 50, "config %d: %llu steps", c, (unsigned long long)p.steps);
        free(l), free(pr), free(e);
        schedule_free(&s);
        free(model);
    }
#else
    printf("heap counting skipped (sanitizer or not glibc)\n");
#endif
}

/* ------------------------------------------------------------------ the NRT parity harness */
static float *read_wav(const char *path, SF_INFO *info)
{
    memset(info, 0, sizeof *info);
    SNDFILE *f = sf_open(path, SFM_READ, info);
    if (!f) return NULL;
    float *d = malloc((size_t)info->frames * (size_t)info->channels * sizeof(float) + 1);
    sf_count_t got = sf_readf_float(f, d, info->frames);
    sf_close(f);
    if (got != info->frames) {
        free(d);
        return NULL;
    }
    return d;
}

static int render(int argc, char **argv)
{
    if (argc != 13) {
        fprintf(stderr,
                "usage: %s --render CONTROL.wav MODEL.wav BUNDLE OUT.wav SEED TEMP TOPK TOPP PENALTY HISTORY "
                "PLAYSEED\n",
                argv[0]);
        return 2;
    }
    SF_INFO ci, mi, ai, ui;
    float *ctl = read_wav(argv[2], &ci);
    float *model = read_wav(argv[3], &mi);
    char path[4096];
    snprintf(path, sizeof path, "%s/audio.wav", argv[4]);
    float *audio = read_wav(path, &ai);
    snprintf(path, sizeof path, "%s/units.wav", argv[4]);
    float *units = read_wav(path, &ui);
    if (!ctl || !model || !audio || !units || ci.channels < 3) {
        fprintf(stderr, "harness: cannot read the inputs\n");
        return 1;
    }
    const size_t n = (size_t)ci.frames;
    float *cols[9];
    for (int k = 0; k < 9; k++)
        cols[k] = malloc(n * sizeof(float));
    float seed = strtof(argv[6], NULL), temp = strtof(argv[7], NULL), topk = strtof(argv[8], NULL);
    float topp = strtof(argv[9], NULL), pen = strtof(argv[10], NULL), hist = strtof(argv[11], NULL);
    for (size_t i = 0; i < n; i++) {
        cols[0][i] = ctl[i * (size_t)ci.channels + 0];
        cols[4][i] = ctl[i * (size_t)ci.channels + 1];
        cols[5][i] = ctl[i * (size_t)ci.channels + 2];
        cols[1][i] = temp, cols[2][i] = topk, cols[3][i] = topp, cols[6][i] = seed, cols[7][i] = pen, cols[8][i] = hist;
    }
    ref_inputs in = {cols[0], cols[1], cols[2], cols[3], cols[4], cols[5], cols[6], cols[7], cols[8], NULL, 0};
    float *lab = malloc(n * sizeof(float)), *pb = malloc(n * sizeof(float)), *en = malloc(n * sizeof(float));
    if (ref_run(model, (size_t)mi.frames * (size_t)mi.channels, &in, n, 0u, lab, pb, en)) {
        fprintf(stderr, "harness: bad model\n");
        return 1;
    }
    /* ConcatPlay.ar(1, corpus, trig, label, unit: -1, rate: 1, amp: 1, attack: 0.005, release: 0.005,
     * select: 0, pan: 0, dur: 0, gapless: 0, lead: 0.03, seed: PLAYSEED, maxVoices: 64) */
    cs_ut_view view;
    if (cs_ut_parse(units, (size_t)ui.frames * (size_t)ui.channels, 1, &view)) {
        fprintf(stderr, "harness: bad unit table\n");
        return 1;
    }
    size_t psize = cs_player_size(64, 1);
    void *pmem = malloc(psize);
    cs_player *pl = cs_player_init(pmem, psize, 64, 1, (double)ci.samplerate, (uint64_t)strtoull(argv[12], NULL, 10));
    float *out = calloc(n, sizeof(float)), *uo = calloc(n, sizeof(float)), *no = calloc(n, sizeof(float));
    const float c_unit = -1, c_rate = 1, c_amp = 1, c_att = 0.005f, c_rel = 0.005f, c_sel = 0, c_pan = 0, c_dur = 0,
                c_gap = 0, c_lead = 0.03f;
    for (size_t off = 0; off < n; off += 64) {
        uint32_t m = (uint32_t)((n - off) < 64 ? (n - off) : 64);
        cs_player_io io;
        memset(&io, 0, sizeof io);
        const float *ins[CS_PLAYER_NUM_INPUTS] = {cols[0] + off, lab + off, &c_unit, &c_rate, &c_amp, &c_att,
                                                  &c_rel,        &c_sel,    &c_pan,  &c_dur,  &c_gap, &c_lead};
        for (int k = 0; k < CS_PLAYER_NUM_INPUTS; k++)
            io.in[k] = ins[k], io.step[k] = k < 2 ? 1u : 0u;
        float *chans[1] = {out + off};
        io.out = chans;
        io.unit_out = uo + off;
        io.next_out = no + off;
        io.audio = audio;
        io.audio_frames = (uint64_t)ai.frames;
        io.audio_channels = (uint32_t)ai.channels;
        io.table = &view;
        cs_player_process(pl, &io, m);
    }
    SF_INFO oi;
    memset(&oi, 0, sizeof oi);
    oi.samplerate = ci.samplerate;
    oi.channels = 4;
    oi.format = SF_FORMAT_WAV | SF_FORMAT_FLOAT;
    SNDFILE *of = sf_open(argv[5], SFM_WRITE, &oi);
    if (!of) {
        fprintf(stderr, "harness: cannot write %s\n", argv[5]);
        return 1;
    }
    float *il = malloc(n * 4 * sizeof(float));
    for (size_t i = 0; i < n; i++)
        il[4 * i] = lab[i], il[4 * i + 1] = pb[i], il[4 * i + 2] = en[i], il[4 * i + 3] = out[i];
    sf_writef_float(of, il, (sf_count_t)n);
    sf_close(of);
    printf("harness: %zu samples, %llu units started\n", n, (unsigned long long)pl->starts);
    return 0;
}

/* --bench MODEL.wav STEPS: the UGen's per-block path (cs_seqp_bind + cs_seqp_process, 64-sample blocks, a
 * trigger every 4 samples, temperature 1, seed 1) outside scsynth, in process CPU time (the machine is shared);
 * prints "logic_ns_per_step X". */
static int bench(int argc, char **argv)
{
    if (argc != 4) return 2;
    SF_INFO mi;
    float *model = read_wav(argv[2], &mi);
    long steps = strtol(argv[3], NULL, 10);
    if (!model || steps < 1) return 1;
    cs_seqp p;
    cs_seqp_init(&p, 1u);
    g_arena.used = 0;
    g_arena.limit = sizeof g_arena.mem;
    size_t n = (size_t)mi.frames;
    while (cs_seqp_bind(&p, model, n, 1, 1.0f, arena_alloc, arena_free, &g_arena) == CS_SEQP_VERIFYING) {}
    if (p.status != CS_SEQP_READY) return 1;
    float trig[64], out[64];
    const float one = 1, zero = 0, neg = -1, hist = 8, seed = 1;
    for (int i = 0; i < 64; i++)
        trig[i] = (i % 4 == 0) ? 1.0f : 0.0f;
    cs_seqp_io io;
    memset(&io, 0, sizeof io);
    const float *ins[CS_SEQP_NUM_INPUTS] = {trig, &one, &zero, &one, &neg, &zero, &seed, &one, &hist};
    for (int k = 0; k < CS_SEQP_NUM_INPUTS; k++)
        io.in[k] = ins[k], io.step[k] = k == 0 ? 1u : 0u;
    io.out_label = out;
    io.out_step = 1;
    struct timespec a, b;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
    while (p.steps < (uint64_t)steps) {
        cs_seqp_bind(&p, model, n, 1, 1.0f, arena_alloc, arena_free, &g_arena);
        cs_seqp_process(&p, &io, 64);
    }
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
    double ns = (double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec);
    printf("logic_ns_per_step %.1f\n", ns / (double)p.steps);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "--render")) return render(argc, argv);
    if (argc > 1 && !strcmp(argv[1], "--bench")) return bench(argc, argv);
    cs_model_config gru = {CS_MODEL_GRU, 12, 32, 2, 0, 0, 0, 0};
    cs_model_config tf = {CS_MODEL_TRANSFORMER, 9, 32, 2, 4, 8, 128, 0};
    test_parity("gru", &gru, 0.6f);
    test_parity("transformer", &tf, 0.4f);
    test_cap_and_clamp();
    test_quiet_blocks();
    test_budget_queue();
    test_binding();
    test_small_state();
    test_written_model();
    test_nonfinite_logit();
    test_aliased_outputs();
    test_strided_inputs();
    test_sample_cost();
    test_noalloc();
    CS_TEST_END();
}
