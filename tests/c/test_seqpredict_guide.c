/*
 * test_seqpredict_guide.c - model x target guidance of SeqPredict (plugins/core/cs_seqpredict.h,
 * cs_seqp_guide_logits / cs_seqp_step_guided; issue 10 item 6), against values computed here by hand in double.
 *
 *   - the formula: the guided logits of a known set of centroids, weights (one of them 0: counted as 1) and
 *     target pairs equal logits_k - g * (d2_k - min d2) / 2 with d2_k = sum w (t - c)^2 / sum w; a full-vector
 *     target (NaN entries skipped) gives the same as the pairs it holds; non-finite target values are ignored;
 *   - the product of experts: a tiny GRU, temperature 1, guidance 0.7: every step's reported probability and
 *     entropy equal softmax(logits) * exp(-g d2 / 2), renormalised, computed here in double;
 *   - guidance 0, NaN, inf, negative, no corpus, no usable target: labels, probabilities and entropies bit for
 *     bit those of the unguided logic, over a schedule of triggers, primes and resets;
 *   - huge guidance (1e4 and the clamp 1e6 and beyond): the label is the nearest-centroid label at every step,
 *     whatever the model says, for targets that move; empty labels and labels without a centroid are never
 *     chosen;
 *   - the cost of guidance is counted in the budget (cs_seqp_guide_cost, one step per call with a tight budget);
 *   - no heap call in process with guidance (the counting allocator).
 */
#include "cs_model.h"
#include "cs_rng.h"
#include "cs_sample.h"
#include "cs_seqpredict.h"
#include "cs_test.h"
#include "cs_test_models.h"
#include "cs_unit_table.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* the counting allocator, after the libc headers (it needs __GLIBC__) */
#include "cs_heap_count.h"
#include "cs_test_bump.h"

#define V 6 /* labels of the test model */
#define D 3 /* descriptors of the test corpus */

/* Centroids of 6 labels over 3 descriptors; label 4 is empty (count 0). */
static const float k_centroids[V * D] = {
    0.0f,  0.0f,  0.0f,  /* 0 */
    1.0f,  -1.0f, 0.5f,  /* 1 */
    -2.0f, 0.5f,  1.0f,  /* 2 */
    0.5f,  2.0f,  -1.5f, /* 3 */
    0.0f,  0.0f,  0.0f,  /* 4: empty */
    3.0f,  1.0f,  2.0f,  /* 5 */
};
static const float k_weights[D] = {1.0f, 2.0f, 0.0f}; /* descriptor 2 not used in clustering: counts as 1 */
static const float k_labels[2 * V] = {0, 3, 3, 2, 5, 4, 9, 1, 10, 0, 10, 6};

static void guide_pairs(cs_seqp_guide *g, int n, const uint32_t *dim, const float *val)
{
    memset(g, 0, sizeof *g);
    g->centroids = k_centroids;
    g->weight = k_weights;
    g->labels = k_labels;
    g->num_labels = V;
    g->num_descriptors = D;
    g->target.num_dims = (uint32_t)n;
    for (int j = 0; j < n; j++) {
        g->target.dim[j] = dim[j];
        g->target.value[j] = val[j];
    }
}

/* d2 of label k by hand: the usable pairs (dim < D, finite value), weight 0 -> 1. */
static double hand_d2(int k, int n, const uint32_t *dim, const float *val)
{
    double num = 0, den = 0;
    for (int j = 0; j < n; j++) {
        if (dim[j] >= D || !isfinite(val[j])) continue;
        double w = k_weights[dim[j]] > 0 ? (double)k_weights[dim[j]] : 1.0;
        double d = (double)val[j] - (double)k_centroids[k * D + dim[j]];
        num += w * d * d;
        den += w;
    }
    return num / den;
}

static void test_formula(void)
{
    const float logits[V] = {0.3f, -1.2f, 2.0f, 0.0f, 1.0f, -0.4f};
    const uint32_t dim[3] = {0, 2, 1};
    const float val[3] = {0.5f, -1.0f, 1.5f};
    cs_seqp_guide g;
    guide_pairs(&g, 3, dim, val);
    float out[V];
    double work[V];
    const float gd = 0.8f;
    CS_CHECK(cs_seqp_guide_logits(logits, V, &g, gd, work, out) == 1, "guided");
    double d2[V], dmin = INFINITY, dmax = -INFINITY;
    for (int k = 0; k < V; k++) {
        d2[k] = hand_d2(k, 3, dim, val);
        if (k != 4) dmin = fmin(dmin, d2[k]), dmax = fmax(dmax, d2[k]);
    }
    for (int k = 0; k < V; k++) {
        double want = (double)logits[k] - 0.8 * 0.5 * ((k == 4 ? dmax : d2[k]) - dmin);
        CS_CHECK_NEAR(out[k], want, 1e-6 * fmax(1.0, fabs(want)), "guided logit");
    }
    /* the empty label gets the farthest distance */
    CS_CHECK_NEAR((double)logits[4] - (double)out[4], 0.4 * (dmax - dmin), 1e-5, "empty label as the farthest");

    /* a full vector target with the same values (descriptor order) gives the same logits */
    float full[D] = {0.5f, 1.5f, -1.0f}, out2[V];
    cs_seqp_guide gf = g;
    gf.target.num_dims = 0;
    gf.target.full = full;
    gf.target.full_len = D;
    CS_CHECK(cs_seqp_guide_logits(logits, V, &gf, gd, work, out2) == 1, "full target guided");
    double maxd = 0;
    for (int k = 0; k < V; k++)
        maxd = fmax(maxd, fabs((double)out[k] - (double)out2[k]));
    CS_CHECK(maxd < 1e-6, "full vector vs pairs: %g", maxd);
    /* a NaN entry in the full vector skips that descriptor = the pairs without it */
    full[1] = NAN;
    const uint32_t dim2[2] = {0, 2};
    const float val2[2] = {0.5f, -1.0f};
    cs_seqp_guide g2;
    guide_pairs(&g2, 2, dim2, val2);
    float out3[V];
    cs_seqp_guide_logits(logits, V, &gf, gd, work, out2);
    cs_seqp_guide_logits(logits, V, &g2, gd, work, out3);
    CS_CHECK(memcmp(out2, out3, sizeof out2) == 0, "NaN in the full vector skips that descriptor");

    /* non-finite values and dimensions outside the table are ignored */
    const uint32_t dim4[5] = {0, 7, 2, 1, 4096};
    const float val4[5] = {0.5f, 3.0f, -1.0f, NAN, 1.0f};
    cs_seqp_guide g4;
    guide_pairs(&g4, 5, dim4, val4);
    cs_seqp_guide_logits(logits, V, &g4, gd, work, out2);
    CS_CHECK(memcmp(out2, out3, sizeof out2) == 0, "NaN values and out-of-table dimensions are ignored");
    const float val5[5] = {INFINITY, 3.0f, -INFINITY, NAN, 1.0f};
    guide_pairs(&g4, 5, dim4, val5);
    CS_CHECK(cs_seqp_guide_logits(logits, V, &g4, gd, work, out2) == 0, "no usable term: not guided");

    /* off: guidance 0 / NaN / inf / negative, no guide, no centroids: out untouched, 0 returned */
    const float offs[] = {0.0f, NAN, INFINITY, -INFINITY, -1.0f, -0.0f};
    for (size_t i = 0; i < sizeof offs / sizeof offs[0]; i++) {
        memset(out2, 0x5a, sizeof out2);
        float before[V];
        memcpy(before, out2, sizeof before);
        CS_CHECK(cs_seqp_guide_logits(logits, V, &g, offs[i], work, out2) == 0, "guidance %g is off", (double)offs[i]);
        CS_CHECK(memcmp(before, out2, sizeof before) == 0, "out untouched for guidance %g", (double)offs[i]);
    }
    CS_CHECK(cs_seqp_guide_logits(logits, V, NULL, 1.0f, work, out2) == 0, "no guide: off");
    cs_seqp_guide gn = g;
    gn.centroids = NULL;
    CS_CHECK(cs_seqp_guide_logits(logits, V, &gn, 1.0f, work, out2) == 0, "no centroids: off");
    CS_CHECK(cs_seqp_guidance_value(5e6f) == CS_SEQP_MAX_GUIDANCE, "guidance clamped to the maximum");
    CS_CHECK(cs_seqp_guidance_value(2.5f) == 2.5f, "guidance as given");

    /* a huge target value: finite logits or -inf, never NaN; the nearest label keeps its logit */
    const float big[1] = {3e38f};
    const uint32_t d0[1] = {0};
    cs_seqp_guide gb;
    guide_pairs(&gb, 1, d0, big);
    CS_CHECK(cs_seqp_guide_logits(logits, V, &gb, 1e6f, work, out2) == 1, "huge target guided");
    int nan = 0;
    for (int k = 0; k < V; k++)
        nan += out2[k] != out2[k];
    CS_CHECK(nan == 0, "no NaN with a huge target");
    CS_CHECK(out2[5] == logits[5], "the nearest label (5, centroid 3) keeps its logit: %g", (double)out2[5]);

    /* labels beyond the table's (a model with more labels than the corpus): the farthest distance */
    cs_seqp_guide gs = g;
    gs.num_labels = 4;
    cs_seqp_guide_logits(logits, V, &gs, gd, work, out2);
    double dm4 = -INFINITY, dn4 = INFINITY;
    for (int k = 0; k < 4; k++)
        dm4 = fmax(dm4, d2[k]), dn4 = fmin(dn4, d2[k]);
    CS_CHECK_NEAR(out2[5], (double)logits[5] - 0.4 * (dm4 - dn4), 1e-5, "label beyond the corpus as the farthest");

    uint64_t c = cs_seqp_guide_cost(V, &g);
    CS_CHECK(c == (uint64_t)V * 4u * CS_SEQP_GUIDE_MADDS_PER_TERM, "cost %llu", (unsigned long long)c);
    CS_CHECK(cs_seqp_guide_cost(V, NULL) == 0, "no guide costs nothing");
}

/* a bound logic over a tiny GRU of V labels */
static float *g_model;
static size_t g_floats;

static void bind(cs_seqp *p, float seed)
{
    cs_seqp_init(p, 17u);
    g_used = 0;
    int guard = 0;
    while (cs_seqp_bind(p, g_model, g_floats, 1, seed, bump_alloc, bump_free, NULL) == CS_SEQP_VERIFYING &&
           guard++ < 1000) {}
}

static void test_product_of_experts(void)
{
    cs_seqp p;
    bind(&p, 5.0f);
    CS_CHECK(p.status == CS_SEQP_READY, "model ready");
    cs_sample_params sp;
    cs_sample_params_default(&sp);
    const uint32_t dim[2] = {0, 1};
    double worst = 0;
    int steps = 0, counts[V] = {0};
    for (int s = 0; s < 400; s++) {
        const float val[2] = {sinf(0.05f * (float)s) * 2.0f, cosf(0.03f * (float)s)};
        cs_seqp_guide g;
        guide_pairs(&g, 2, dim, val);
        const float *lg = cs_model_logits(p.model);
        double q[V], z = 0, mx = -INFINITY, d2[V], dmax = -INFINITY;
        for (int k = 0; k < V; k++)
            mx = fmax(mx, (double)lg[k]);
        for (int k = 0; k < V; k++)
            if (k != 4) d2[k] = hand_d2(k, 2, dim, val), dmax = fmax(dmax, d2[k]);
        d2[4] = dmax;
        for (int k = 0; k < V; k++) {
            q[k] = exp((double)lg[k] - mx) * exp(-0.7 * d2[k] / 2.0); /* the product of experts */
            z += q[k];
        }
        double h = 0;
        for (int k = 0; k < V; k++) {
            q[k] /= z;
            if (q[k] > 0) h -= q[k] * log2(q[k]);
        }
        CS_CHECK(cs_seqp_step_guided(&p, -1.0f, &sp, 0, NULL, 0, &g, 0.7f) == 0, "step");
        int l = (int)p.label;
        counts[l]++;
        worst = fmax(worst, fabs((double)p.prob - q[l]) / q[l]);
        worst = fmax(worst, fabs((double)p.entropy - h));
        steps += p.guided;
    }
    CS_CHECK(steps == 400, "every step guided (%d)", steps);
    CS_CHECK(worst < 2e-5, "probability / entropy vs the product of experts: worst %g", worst);
    printf("product of experts: worst relative difference %.3g over 400 steps\n", worst);
    /* teacher forcing is not guided: its probability is the model's own */
    const uint32_t d0[1] = {0};
    const float v0[1] = {3.0f};
    cs_seqp_guide g;
    guide_pairs(&g, 1, d0, v0);
    float pr, en;
    cs_seqp_model_prob(cs_model_logits(p.model), V, 2, &pr, &en);
    cs_seqp_step_guided(&p, 2.0f, &sp, 0, NULL, 0, &g, 50.0f);
    CS_CHECK(p.label == 2.0f && p.prob == pr && p.entropy == en && !p.guided, "a primed step is not guided");
    cs_seqp_release(&p, bump_free, NULL);
}

/* process n samples in blocks of 64 with the given guide and guidance signal; outputs per sample */
static void run(const cs_seqp_guide *guide, const float *guidance, int n, float *lab, float *prob, float *ent,
                cs_seqp *p)
{
    bind(p, 3.0f);
    static float trig[4096], prime[4096], reset[4096], temp[4096];
    for (int i = 0; i < n; i++) {
        trig[i] = (i % 7 == 0 || i % 29 == 3) ? 1.0f : 0.0f;
        prime[i] = (i % 97 == 0) ? (float)((i / 97) % V) : -1.0f;
        reset[i] = (i % 1000 == 500) ? 1.0f : 0.0f;
        temp[i] = 0.5f + 0.5f * (float)((i / 200) % 3);
    }
    const float one = 1.0f, zero = 0.0f, seed = 3.0f, hist = 8.0f, pen = 1.3f;
    for (int b = 0; b < n; b += 64) {
        cs_seqp_io io;
        memset(&io, 0, sizeof io);
        const float *ins[CS_SEQP_NUM_INPUTS] = {trig + b,  temp + b, &zero, &one, prime + b,
                                                reset + b, &seed,    &pen,  &hist};
        for (int k = 0; k < CS_SEQP_NUM_INPUTS; k++) {
            io.in[k] = ins[k];
            io.step[k] =
                (k == CS_SEQP_IN_TRIG || k == CS_SEQP_IN_PRIME || k == CS_SEQP_IN_RESET || k == CS_SEQP_IN_TEMPERATURE);
        }
        io.guidance = guidance ? guidance + b : NULL;
        io.guidance_step = 1;
        io.guide = guide;
        io.out_label = lab + b;
        io.out_prob = prob + b;
        io.out_entropy = ent + b;
        io.out_step = 1;
        cs_seqp_process(p, &io, 64);
    }
}

static void test_off_is_bitwise(void)
{
    enum { N = 4096 };
    static float l0[N], p0[N], e0[N], l1[N], p1[N], e1[N], gsig[N];
    cs_seqp p;
    run(NULL, NULL, N, l0, p0, e0, &p);
    uint64_t steps = p.steps;
    CS_CHECK(steps > 500, "steps %llu", (unsigned long long)steps);
    const uint32_t dim[2] = {0, 1};
    const float val[2] = {1.0f, -1.0f};
    cs_seqp_guide g;
    guide_pairs(&g, 2, dim, val);
    const float offs[] = {0.0f, NAN, INFINITY, -1.0f};
    for (size_t c = 0; c < sizeof offs / sizeof offs[0]; c++) {
        for (int i = 0; i < N; i++)
            gsig[i] = offs[c];
        run(&g, gsig, N, l1, p1, e1, &p);
        CS_CHECK(!memcmp(l0, l1, sizeof l0) && !memcmp(p0, p1, sizeof p0) && !memcmp(e0, e1, sizeof e0),
                 "guidance %g: bitwise the unguided outputs", (double)offs[c]);
        CS_CHECK(p.guided_steps == 0, "guidance %g: no guided step", (double)offs[c]);
    }
    /* guidance > 0 but no corpus, or a target of nothing usable: bitwise too */
    for (int i = 0; i < N; i++)
        gsig[i] = 3.0f;
    run(NULL, gsig, N, l1, p1, e1, &p);
    CS_CHECK(!memcmp(l0, l1, sizeof l0) && !memcmp(p0, p1, sizeof p0), "no corpus: bitwise");
    const float nanv[2] = {NAN, NAN};
    cs_seqp_guide gn;
    guide_pairs(&gn, 2, dim, nanv);
    run(&gn, gsig, N, l1, p1, e1, &p);
    CS_CHECK(!memcmp(l0, l1, sizeof l0) && !memcmp(p0, p1, sizeof p0), "a NaN target: bitwise");
    /* and guidance 3 does change the sequence */
    run(&g, gsig, N, l1, p1, e1, &p);
    CS_CHECK(memcmp(l0, l1, sizeof l0) != 0 && p.guided_steps > 0, "guidance 3 changes the labels");
    CS_CHECK(p.steps == steps, "the same number of steps (%llu vs %llu)", (unsigned long long)p.steps,
             (unsigned long long)steps);
}

static int nearest_label(int n, const uint32_t *dim, const float *val)
{
    int best = -1;
    double bd = INFINITY;
    for (int k = 0; k < V; k++) {
        if (k == 4) continue; /* empty */
        double d = hand_d2(k, n, dim, val);
        if (d < bd) bd = d, best = k;
    }
    return best;
}

static void test_huge_guidance(void)
{
    const float gains[] = {1e4f, 1e6f, 1e9f};
    for (size_t c = 0; c < sizeof gains / sizeof gains[0]; c++) {
        cs_seqp p;
        bind(&p, 9.0f);
        cs_sample_params sp;
        cs_sample_params_default(&sp);
        sp.temperature = 2.0f; /* a hot model: guidance alone decides */
        int agree = 0, n = 0;
        const uint32_t dim[3] = {0, 1, 2};
        for (int s = 0; s < 600; s++) {
            const float val[3] = {3.0f * sinf(0.11f * (float)s), 2.0f * cosf(0.07f * (float)s), sinf(0.3f * (float)s)};
            cs_seqp_guide g;
            guide_pairs(&g, 3, dim, val);
            cs_seqp_step_guided(&p, -1.0f, &sp, 8, NULL, 0, &g, gains[c]);
            n++;
            agree += (int)p.label == nearest_label(3, dim, val);
        }
        CS_CHECK(agree == n, "guidance %g: nearest-centroid label at %d of %d steps", (double)gains[c], agree, n);
        cs_seqp_release(&p, bump_free, NULL);
    }
}

/* The cost of guidance is in the budget: a model of 512 labels and a 32-term target over 32 descriptors, a budget
 * that holds two plain steps but not two guided ones: two triggers in one call step at once unguided, and one
 * is deferred with guidance. Then: no heap call in guided process calls. */
static void test_budget_and_heap(void)
{
    enum { BV = 512, BD = 32 };
    cs_model_config cfg = {CS_MODEL_GRU, BV, 16, 1, 0, 0, 0, 0};
    size_t floats;
    float *model = cs_test_random_model(&cfg, &floats, 5u, 0.3f);
    static float cent[BV * BD], wts[BD];
    for (int i = 0; i < BV * BD; i++)
        cent[i] = sinf(0.37f * (float)i);
    for (int d = 0; d < BD; d++)
        wts[d] = 1.0f;
    cs_seqp_guide g;
    memset(&g, 0, sizeof g);
    g.centroids = cent;
    g.weight = wts;
    g.num_labels = BV;
    g.num_descriptors = BD;
    g.target.num_dims = BD;
    for (int d = 0; d < BD; d++)
        g.target.dim[d] = (uint32_t)d, g.target.value[d] = 0.1f * (float)d;
    cs_seqp p;
    cs_seqp_init(&p, 1u);
    g_used = 0;
    while (cs_seqp_bind(&p, model, floats, 1, 1.0f, bump_alloc, bump_free, NULL) == CS_SEQP_VERIFYING) {}
    CS_CHECK(p.status == CS_SEQP_READY, "512-label model ready");
    cs_seqp_event e;
    memset(&e, 0, sizeof e);
    cs_sample_params_default(&e.sp);
    e.prime = -1.0f;
    const uint64_t plain = cs_seqp_event_cost(&p, &e), gc = cs_seqp_guide_cost(BV, &g);
    CS_CHECK(gc == (uint64_t)BV * (BD + 1) * CS_SEQP_GUIDE_MADDS_PER_TERM, "guide cost %llu", (unsigned long long)gc);
    const uint32_t bs = (uint32_t)((2 * plain + gc / 2) / CS_SEQP_MADDS_PER_SAMPLE);
    const uint64_t budget = (uint64_t)bs * CS_SEQP_MADDS_PER_SAMPLE;
    CS_CHECK(budget >= 2 * plain && budget < 2 * (plain + gc), "budget %llu between %llu and %llu",
             (unsigned long long)budget, (unsigned long long)(2 * plain), (unsigned long long)(2 * (plain + gc)));
    static float trig[64];
    const float one = 1.0f, zero = 0.0f, neg = -1.0f, seed = 1.0f, hist = 0.0f;
    float gval = 0.0f;
    cs_seqp_io io;
    memset(&io, 0, sizeof io);
    const float *ins[CS_SEQP_NUM_INPUTS] = {trig, &one, &zero, &one, &neg, &zero, &seed, &one, &hist};
    for (int k = 0; k < CS_SEQP_NUM_INPUTS; k++)
        io.in[k] = ins[k], io.step[k] = k == CS_SEQP_IN_TRIG;
    io.guidance = &gval;
    io.guide = &g;
    io.budget_samples = bs;
    for (int pass = 0; pass < 2; pass++) {
        gval = pass ? 2.0f : 0.0f;
        for (int i = 0; i < 64; i++)
            trig[i] = (i == 0 || i == 2) ? 1.0f : 0.0f;
        uint64_t d0 = p.deferred;
        int ev = cs_seqp_process(&p, &io, 64);
        if (!pass)
            CS_CHECK(ev == 2 && p.deferred == d0, "unguided: both steps in one call (%d events)", ev);
        else
            CS_CHECK(ev == 1 && p.deferred == d0 + 1, "guided: one step, one deferred (%d events, %llu deferred)", ev,
                     (unsigned long long)(p.deferred - d0));
        for (int i = 0; i < 64; i++)
            trig[i] = 0.0f;
        ev = cs_seqp_process(&p, &io, 64); /* the deferred one, if any; and resets the edge */
        CS_CHECK(ev == pass, "pass %d: %d events in the next call", pass, ev);
    }
    for (int i = 0; i < 64; i++)
        trig[i] = (i % 3 == 0) ? 1.0f : 0.0f;
    io.budget_samples = 0;
    cs_heap_begin();
    for (int b = 0; b < 50; b++)
        cs_seqp_process(&p, &io, 64);
    long calls = cs_heap_end();
    CS_CHECK(calls == 0, "heap calls in guided process: %ld", calls);
    if (!CS_COUNT_HEAP) printf("(heap calls not counted here: sanitizer or no glibc)\n");
    CS_CHECK(p.guided_steps > 10, "guided steps %llu", (unsigned long long)p.guided_steps);
    cs_seqp_release(&p, bump_free, NULL);
    free(model);
}

/* A small version 3 table: 8 units over D descriptors, 3 labels (unit u has label u % 3),
 * with the listening section (cs_ut_encode + cs_ut_encode_listen). Returns its float count. */
static size_t make_table(float *out, size_t cap, int with_listen)
{
    enum { N = 8, K = 3 };
    uint64_t start[N], length[N];
    int32_t label[N], source[N], succ[N];
    float desc[N * D];
    for (int u = 0; u < N; u++) {
        start[u] = (uint64_t)u * 4800u;
        length[u] = 4800u;
        label[u] = u % K;
        source[u] = 0;
        succ[u] = u + 1 < N ? u + 1 : -1;
        for (int d = 0; d < D; d++)
            desc[u * D + d] = (float)(u % K) + 0.1f * (float)d - 0.05f * (float)(u / K);
    }
    size_t n = cs_ut_size(N, D, K);
    if (n > cap) return 0;
    if (cs_ut_encode(out, N, D, K, 1, -1, 48000.0, 1, (uint64_t)N * 4800u, start, length, label, source, succ, desc))
        return 0;
    if (!with_listen) return n;
    static float stats[3 * D];
    cs_ut_listen l;
    memset(&l, 0, sizeof l);
    l.frame = (cs_ut_frame_config){48000.0f, 2048, 512, 40, 0.0f, 24000.0f, 0.85f, 0.15f, 40.0f, 2000.0f};
    l.segmentation = CS_UT_SEG_GRAIN;
    l.grain_len = l.grain_hop = 4800;
    l.onset_threshold = 0.3f;
    l.onset_delta = 0.1f;
    l.onset_median_s = 0.1f;
    l.onset_min_len_s = 0.05f;
    l.onset_max_len_s = 2.0f;
    l.norm_method = CS_UT_NORM_ZSCORE;
    for (int d = 0; d < D; d++)
        stats[d] = 0.0f, stats[D + d] = 1.0f, stats[2 * D + d] = d == 2 ? 0.0f : 1.0f;
    l.center = stats;
    l.scale = stats + D;
    l.weight = stats + 2 * D;
    size_t ln = cs_ut_listen_size(D, K);
    if (n + ln > cap) return 0;
    int e = cs_ut_encode_listen(out, n, cap, &l);
    if (e != CS_UT_OK) {
        fprintf(stderr, "cs_ut_encode_listen: %s\n", cs_ut_strerror(e));
        return 0;
    }
    return n + ln;
}

/* The corpus binding: off, no Buffer, not a table, a table without a listening section, a good one (guide filled
 * with its centroids and weights, the row check run to the end), a table changed at the same address. */
static void test_corpus_bind(void)
{
    static float t3[4096], t2[4096];
    size_t n3 = make_table(t3, 4096, 1), n2 = make_table(t2, 4096, 0);
    CS_CHECK(n3 > 0 && n2 > 0, "tables built");
    cs_seqp_corpus c;
    cs_seqp_corpus_init(&c);
    CS_CHECK(cs_seqp_corpus_bind(&c, 0, t3, (uint32_t)n3, 1) == CS_SEQP_CORPUS_OFF, "not wanted: off");
    CS_CHECK(cs_seqp_corpus_bind(&c, 1, NULL, 0, 0) == CS_SEQP_CORPUS_NONE, "no Buffer");
    CS_CHECK(cs_seqp_corpus_bind(&c, 1, t3, (uint32_t)n3, 2) == CS_SEQP_CORPUS_BAD, "two channels: bad");
    float junk[64] = {1, 2, 3};
    CS_CHECK(cs_seqp_corpus_bind(&c, 1, junk, 64, 1) == CS_SEQP_CORPUS_BAD && c.err == CS_UT_E_MAGIC,
             "not a table: bad (magic)");
    CS_CHECK(cs_seqp_corpus_bind(&c, 1, t2, (uint32_t)n2, 1) == CS_SEQP_CORPUS_NO_LISTEN && c.err == CS_UT_E_NO_LISTEN,
             "no listening section: NO_LISTEN (%d)", c.state);
    cs_select_target tg;
    memset(&tg, 0, sizeof tg);
    tg.num_dims = 1;
    tg.dim[0] = 0;
    tg.value[0] = 1.0f;
    cs_seqp_guide g;
    CS_CHECK(cs_seqp_corpus_guide(&c, &tg, &g) == 0 && g.centroids == NULL, "no guide without centroids");
    int guard = 0, st;
    while ((st = cs_seqp_corpus_bind(&c, 1, t3, (uint32_t)n3, 1)) == CS_SEQP_CORPUS_OK && c.checking && guard++ < 100) {
    }
    CS_CHECK(st == CS_SEQP_CORPUS_OK && !c.checking, "a version 3 table: OK, checked (state %d err %d)", st, c.err);
    CS_CHECK(cs_seqp_corpus_guide(&c, &tg, &g) == 1, "guide");
    CS_CHECK(g.num_labels == 3 && g.num_descriptors == D && g.weight[2] == 0.0f && g.weight[0] == 1.0f,
             "guide: labels %u, descriptors %u", g.num_labels, g.num_descriptors);
    /* centroid of label 1: mean over units 1, 4, 7 of (1 + 0.1 d - 0.05 (u / 3)) */
    const float *c1 = g.centroids + 1 * D;
    CS_CHECK_NEAR(c1[0], 1.0 - 0.05 * (0 + 1 + 2) / 3.0, 1e-6, "centroid of label 1");
    CS_CHECK(g.target.num_dims == 1 && g.target.value[0] == 1.0f, "target copied");
    /* the nearest label of target (0: 1.0) with huge guidance: label 1 */
    float logits[3] = {5.0f, 0.0f, 3.0f}, out[3];
    double work[3];
    CS_CHECK(cs_seqp_guide_logits(logits, 3, &g, 1e6f, work, out) == 1, "guided from the table");
    CS_CHECK(out[1] == 0.0f && out[0] < -1e5f && out[2] < -1e5f, "label 1 is nearest: %g %g %g", (double)out[0],
             (double)out[1], (double)out[2]);
    /* a centroid written to NaN at the same address: the row check is not rerun, but the use is safe */
    float *cw = (float *)(uintptr_t)c.view.listen.centroids;
    cw[0] = NAN;
    CS_CHECK(cs_seqp_guide_logits(logits, 3, &g, 2.0f, work, out) == 1 && isfinite(out[1]) && isfinite(out[2]) &&
                 !(out[0] != out[0]),
             "NaN centroid: never NaN out (%g %g %g)", (double)out[0], (double)out[1], (double)out[2]);
    /* back to none */
    CS_CHECK(cs_seqp_corpus_bind(&c, 1, NULL, 0, 0) == CS_SEQP_CORPUS_NONE, "freed: none");
    CS_CHECK(cs_seqp_corpus_guide(&c, &tg, &g) == 0, "no guide when freed");
}

int main(void)
{
    cs_model_config cfg = {CS_MODEL_GRU, V, 16, 1, 0, 0, 0, 0};
    g_model = cs_test_random_model(&cfg, &g_floats, 77u, 0.6f);
    CS_CHECK(g_model != NULL, "model");
    if (!g_model) CS_TEST_END();
    test_formula();
    test_product_of_experts();
    test_off_is_bitwise();
    test_huge_guidance();
    test_budget_and_heap();
    test_corpus_bind();
    free(g_model);
    CS_TEST_END();
}
