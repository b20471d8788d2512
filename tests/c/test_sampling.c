/*
 * test_sampling.c - cs_sample: argmax, top-k / top-p / mask exclusions, empirical frequencies against the
 * softmax (chi-square), seeds, repetition penalty, reported probability and entropy, fallbacks, errors.
 *
 * Frequency criterion: 100 000 draws, Pearson chi-square against the exact expected distribution (computed
 * here in double from the logits, independently of the sampler), below the 0.999 quantile of chi-square
 * with (categories - 1) degrees of freedom. The seeds are fixed, so the test is deterministic; a correct
 * sampler would fail a given case with probability 0.001 over seeds.
 */
#include "cs_sample.h"
#include "cs_test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NDRAW 100000

static unsigned char scratch[4096 * 17 + 64 + 7];

/* 0.999 quantiles of chi-square, df = 1..15 */
static const double chi2_999[16] = {0,      10.828, 13.816, 16.266, 18.467, 20.515, 22.458, 24.322,
                                    26.124, 27.877, 29.588, 31.264, 32.909, 34.528, 36.123, 37.697};

static int draw(const float *logits, int V, const cs_sample_params *p, const int *hist, int nh,
                const unsigned char *mask, cs_rng *rng, cs_sample_result *r)
{
    /* odd offset: the sampler must cope with unaligned scratch */
    return cs_sample(logits, V, p, hist, nh, mask, rng, scratch + 3, sizeof scratch - 3, r);
}

/* exact reference: softmax(l / T) restricted to `keep` (NULL = all) */
static void softmax_ref(const double *l, int V, double T, const int *keep, double *q)
{
    double mx = -1e300, s = 0.0;
    for (int i = 0; i < V; i++)
        if ((!keep || keep[i]) && l[i] > mx) mx = l[i];
    for (int i = 0; i < V; i++) {
        q[i] = (!keep || keep[i]) ? exp((l[i] - mx) / T) : 0.0;
        s += q[i];
    }
    for (int i = 0; i < V; i++)
        q[i] /= s;
}

static double chi_square(const long *count, const double *q, int V, int *df)
{
    double chi = 0.0;
    int cats = 0;
    for (int i = 0; i < V; i++) {
        if (q[i] <= 0.0) continue;
        double ex = q[i] * NDRAW;
        chi += ((double)count[i] - ex) * ((double)count[i] - ex) / ex;
        cats++;
    }
    *df = cats - 1;
    return chi;
}

static void test_argmax(void)
{
    float l[6] = {0.5f, 2.0f, -1.0f, 2.0f, 1.9f, NAN};
    cs_sample_params p;
    cs_sample_params_default(&p);
    p.temperature = 0.0f;
    cs_rng rng;
    cs_rng_seed(&rng, 1);
    cs_sample_result r;
    for (int t = 0; t < 100; t++) {
        int lab = draw(l, 6, &p, NULL, 0, NULL, &rng, &r);
        CS_CHECK(lab == 1 && r.label == 1, "argmax with a tie picks the lowest index: %d", lab);
    }
    CS_CHECK(r.prob == 1.0f && r.entropy_bits == 0.0f && r.candidates == 1, "argmax reports p 1, H 0");
    p.temperature = -3.0f;
    CS_CHECK(draw(l, 6, &p, NULL, 0, NULL, &rng, &r) == 1, "negative temperature = argmax");
    p.temperature = NAN;
    CS_CHECK(draw(l, 6, &p, NULL, 0, NULL, &rng, &r) == 1, "NaN temperature = argmax");
    unsigned char mask[6] = {1, 0, 1, 1, 1, 1};
    p.temperature = 0.0f;
    CS_CHECK(draw(l, 6, &p, NULL, 0, mask, &rng, &r) == 3, "argmax under a mask");
}

static void test_known_distribution(void)
{
    /* q = (1/2, 1/4, 1/8, 1/8): entropy 1.75 bits */
    float l[4] = {logf(0.5f) + 3.0f, logf(0.25f) + 3.0f, logf(0.125f) + 3.0f, logf(0.125f) + 3.0f};
    const double q[4] = {0.5, 0.25, 0.125, 0.125};
    cs_sample_params p;
    cs_sample_params_default(&p);
    cs_rng rng;
    cs_rng_seed(&rng, 2);
    cs_sample_result r;
    long count[4] = {0};
    double maxperr = 0.0;
    for (int t = 0; t < NDRAW; t++) {
        int lab = draw(l, 4, &p, NULL, 0, NULL, &rng, &r);
        count[lab]++;
        double e = fabs((double)r.prob - q[lab]);
        if (e > maxperr) maxperr = e;
        CS_CHECK_NEAR(r.entropy_bits, 1.75, 2e-6, "entropy of (1/2,1/4,1/8,1/8)");
        if (fabs((double)r.entropy_bits - 1.75) > 2e-6) break;
    }
    CS_CHECK(maxperr <= 1e-6, "reported probability = q[label] within 1e-6 (max err %.3g)", maxperr);
    int df;
    double chi = chi_square(count, q, 4, &df);
    CS_CHECK(chi < chi2_999[df], "frequencies of a known distribution: chi2 %.2f, df %d", chi, df);

    /* temperature 2 on the same logits: q ~ sqrt(q) */
    p.temperature = 2.0f;
    double l2[4], q2[4];
    for (int i = 0; i < 4; i++)
        l2[i] = log(q[i]);
    softmax_ref(l2, 4, 2.0, NULL, q2);
    double H = 0.0;
    for (int i = 0; i < 4; i++)
        H -= q2[i] * log2(q2[i]);
    int lab = draw(l, 4, &p, NULL, 0, NULL, &rng, &r);
    CS_CHECK_NEAR(r.prob, q2[lab], 1e-6, "probability at T = 2");
    CS_CHECK_NEAR(r.entropy_bits, H, 2e-6, "entropy at T = 2");
    CS_CHECK(r.candidates == 4, "4 candidates");
}

static void test_frequencies(void)
{
    const int V = 10;
    double ld[10];
    float l[10];
    cs_rng g;
    cs_rng_seed(&g, 77);
    for (int i = 0; i < V; i++) {
        l[i] = (float)(3.0 * cs_rng_uniform_double(&g) - 1.5);
        ld[i] = l[i];
    }
    const float temps[3] = {1.0f, 0.5f, 1.7f};
    for (int ti = 0; ti < 3; ti++) {
        cs_sample_params p;
        cs_sample_params_default(&p);
        p.temperature = temps[ti];
        double q[10];
        softmax_ref(ld, V, temps[ti], NULL, q);
        long count[10] = {0};
        cs_rng rng;
        cs_rng_seed(&rng, 100u + (unsigned)ti);
        cs_sample_result r;
        double maxperr = 0.0;
        for (int t = 0; t < NDRAW; t++) {
            int lab = draw(l, V, &p, NULL, 0, NULL, &rng, &r);
            count[lab]++;
            if (fabs((double)r.prob - q[lab]) > maxperr) maxperr = fabs((double)r.prob - q[lab]);
        }
        int df;
        double chi = chi_square(count, q, V, &df);
        printf("T %.1f: chi2 %.2f (df %d, 0.999 quantile %.2f), max |p - q| %.2g\n", (double)temps[ti], chi, df,
               chi2_999[df], maxperr);
        CS_CHECK(chi < chi2_999[df], "frequencies match softmax at T %.1f: chi2 %.2f", (double)temps[ti], chi);
        CS_CHECK(maxperr <= 1e-6, "reported probabilities match softmax");
    }
}

/* top-k, top-p, mask: exact kept sets, never emit an excluded label, frequencies of the renormalised rest */
static void test_truncation(void)
{
    /* q = (0.05, 0.5, 0.15, 0.3): order 1, 3, 2, 0 */
    const double q[4] = {0.05, 0.5, 0.15, 0.3};
    float l[4];
    double ld[4];
    for (int i = 0; i < 4; i++)
        ld[i] = log(q[i]), l[i] = (float)ld[i];
    cs_sample_params p;
    cs_sample_params_default(&p);
    cs_rng rng;
    cs_rng_seed(&rng, 3);
    cs_sample_result r;

    p.top_k = 2;
    long count[4] = {0};
    for (int t = 0; t < NDRAW; t++)
        count[draw(l, 4, &p, NULL, 0, NULL, &rng, &r)]++;
    CS_CHECK(count[0] == 0 && count[2] == 0, "top-k 2 emits only labels 1 and 3");
    int keep[4] = {0, 1, 0, 1};
    double qk[4];
    softmax_ref(ld, 4, 1.0, keep, qk);
    int df;
    double chi = chi_square(count, qk, 4, &df);
    CS_CHECK(chi < chi2_999[df], "top-k frequencies: chi2 %.2f", chi);
    CS_CHECK(r.candidates == 2, "top-k candidates");
    CS_CHECK_NEAR(r.prob, qk[r.label], 1e-6, "top-k probability renormalised");
    double Hk = -(qk[1] * log2(qk[1]) + qk[3] * log2(qk[3]));
    CS_CHECK_NEAR(r.entropy_bits, Hk, 2e-6, "top-k entropy");

    /* top-p 0.7: 0.5 < 0.7 <= 0.8 -> {1, 3} */
    p.top_k = 0;
    p.top_p = 0.7f;
    memset(count, 0, sizeof count);
    for (int t = 0; t < NDRAW; t++)
        count[draw(l, 4, &p, NULL, 0, NULL, &rng, &r)]++;
    CS_CHECK(count[0] == 0 && count[2] == 0 && r.candidates == 2, "top-p 0.7 keeps {1, 3}");
    chi = chi_square(count, qk, 4, &df);
    CS_CHECK(chi < chi2_999[df], "top-p frequencies: chi2 %.2f", chi);
    /* top-p 0.5 -> {1}: exactly reaching the mass keeps the prefix */
    p.top_p = 0.45f;
    CS_CHECK(draw(l, 4, &p, NULL, 0, NULL, &rng, &r) == 1 && r.prob == 1.0f && r.candidates == 1, "top-p 0.45 -> {1}");
    p.top_p = 0.0f;
    CS_CHECK(draw(l, 4, &p, NULL, 0, NULL, &rng, &r) == 1, "top-p 0 keeps the top label");
    /* top-k 3 then top-p 0.8 of the renormalised top 3 (0.5, 0.3, 0.15)/0.95: 0.526, 0.842 -> {1, 3} */
    p.top_k = 3;
    p.top_p = 0.8f;
    for (int t = 0; t < 2000; t++) {
        int lab = draw(l, 4, &p, NULL, 0, NULL, &rng, &r);
        CS_CHECK(lab == 1 || lab == 3, "top-k 3 + top-p 0.8 -> {1, 3}: got %d", lab);
        if (!(lab == 1 || lab == 3)) break;
    }

    /* mask */
    cs_sample_params_default(&p);
    unsigned char mask[4] = {1, 0, 1, 1};
    memset(count, 0, sizeof count);
    for (int t = 0; t < NDRAW; t++)
        count[draw(l, 4, &p, NULL, 0, mask, &rng, &r)]++;
    CS_CHECK(count[1] == 0, "a masked label is never drawn");
    int keepm[4] = {1, 0, 1, 1};
    double qm[4];
    softmax_ref(ld, 4, 1.0, keepm, qm);
    chi = chi_square(count, qm, 4, &df);
    CS_CHECK(chi < chi2_999[df], "masked frequencies: chi2 %.2f", chi);

    /* randomised: many logits / parameter combinations, never an excluded label */
    cs_rng g;
    cs_rng_seed(&g, 99);
    int bad = 0;
    for (int trial = 0; trial < 3000 && !bad; trial++) {
        int V = 1 + (int)cs_rng_below(&g, 300);
        float lg[300];
        unsigned char mk[300];
        int any = 0;
        for (int i = 0; i < V; i++) {
            lg[i] = (float)(8.0 * cs_rng_uniform_double(&g) - 4.0);
            if (cs_rng_below(&g, 50) == 0) lg[i] = 4.0f; /* ties */
            mk[i] = (unsigned char)(cs_rng_below(&g, 3) != 0);
            any |= mk[i];
        }
        cs_sample_params pp;
        pp.temperature = (float)(0.05 + 2.0 * cs_rng_uniform_double(&g));
        pp.top_k = (int)cs_rng_below(&g, 12);
        pp.top_p = cs_rng_below(&g, 2) ? 1.0f : (float)cs_rng_uniform_double(&g);
        pp.repetition_penalty = 1.0f;
        int lab = draw(lg, V, &pp, NULL, 0, mk, &rng, &r);
        if (lab < 0 || lab >= V)
            bad = 1;
        else if (any && !mk[lab])
            bad = 2;
        else if (pp.top_k > 0) {
            /* fewer than k allowed labels may rank strictly before lab (ties broken by index) */
            int better = 0;
            for (int i = 0; i < V; i++)
                if ((!any || mk[i]) && (lg[i] > lg[lab] || (lg[i] == lg[lab] && i < lab))) better++;
            if (better >= pp.top_k) bad = 3;
        }
        if (!(r.prob > 0.0f && r.prob <= 1.0f && r.entropy_bits >= 0.0f &&
              (double)r.entropy_bits <= log2((double)V) + 1e-5))
            bad = 4;
        if (bad) fprintf(stderr, "trial %d V %d label %d reason %d\n", trial, V, lab, bad);
    }
    CS_CHECK(bad == 0, "randomised top-k/top-p/mask never emits an excluded label");
}

static void test_seeds(void)
{
    float l[8] = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f};
    cs_sample_params p;
    cs_sample_params_default(&p);
    p.top_p = 0.9f;
    cs_rng a, b, c;
    cs_rng_seed(&a, 1234);
    cs_rng_seed(&b, 1234);
    cs_rng_seed(&c, 1235);
    cs_sample_result r;
    int same = 1, differ = 0;
    for (int t = 0; t < 1000; t++) {
        int x = draw(l, 8, &p, NULL, 0, NULL, &a, &r);
        int y = draw(l, 8, &p, NULL, 0, NULL, &b, &r);
        int z = draw(l, 8, &p, NULL, 0, NULL, &c, &r);
        same &= x == y;
        differ |= x != z;
    }
    CS_CHECK(same, "the same seed reproduces the sequence");
    CS_CHECK(differ, "another seed gives another sequence");
    /* exactly two generator outputs per call, argmax included */
    for (int mode = 0; mode < 2; mode++) {
        cs_rng_seed(&a, 5);
        cs_rng_seed(&b, 5);
        p.temperature = mode ? 0.0f : 1.0f;
        draw(l, 8, &p, NULL, 0, NULL, &a, &r);
        cs_rng_next(&b);
        cs_rng_next(&b);
        CS_CHECK(memcmp(&a, &b, sizeof a) == 0, "one call advances the generator by two outputs (mode %d)", mode);
    }
}

static void test_repetition_penalty(void)
{
    /* CTRL rule on known values: logits (2, -1, 0.5), penalty 2, history {0, 1, 0} -> (1, -2, 0.5) */
    float l[3] = {2.0f, -1.0f, 0.5f};
    int hist[3] = {0, 1, 0};
    double pen[3] = {1.0, -2.0, 0.5}, q[3];
    softmax_ref(pen, 3, 1.0, NULL, q);
    cs_sample_params p;
    cs_sample_params_default(&p);
    p.repetition_penalty = 2.0f;
    cs_rng rng;
    cs_rng_seed(&rng, 11);
    cs_sample_result r;
    long count[3] = {0};
    double maxperr = 0.0;
    for (int t = 0; t < NDRAW; t++) {
        int lab = draw(l, 3, &p, hist, 3, NULL, &rng, &r);
        count[lab]++;
        if (fabs((double)r.prob - q[lab]) > maxperr) maxperr = fabs((double)r.prob - q[lab]);
    }
    CS_CHECK(maxperr <= 1e-6, "penalised probabilities = softmax(1, -2, 0.5) (err %.3g)", maxperr);
    int df;
    double chi = chi_square(count, q, 3, &df);
    CS_CHECK(chi < chi2_999[df], "penalised frequencies: chi2 %.2f", chi);

    /* a generated sequence repeats its recent labels less often with a penalty */
    float flat[6] = {3.0f, 2.8f, 2.5f, 3.1f, 2.9f, 2.7f};
    for (int use = 0; use < 2; use++) {
        p.repetition_penalty = use ? 3.0f : 1.0f;
        int ring[3] = {-1, -1, -1}, head = 0;
        long repeats = 0;
        cs_rng_seed(&rng, 12);
        for (int t = 0; t < 20000; t++) {
            int lab = draw(flat, 6, &p, ring, 3, NULL, &rng, &r);
            for (int j = 0; j < 3; j++)
                repeats += ring[j] == lab;
            ring[head] = lab;
            head = (head + 1) % 3;
        }
        static long base;
        if (!use)
            base = repeats;
        else
            CS_CHECK(repeats < base / 2, "penalty 3 lowers repeats within 3 steps: %ld vs %ld", repeats, base);
    }
    /* out-of-range history entries are ignored */
    p.repetition_penalty = 2.0f;
    int junk[4] = {-5, 3, 1000, 7};
    CS_CHECK(draw(l, 3, &p, junk, 4, NULL, &rng, &r) >= 0, "junk history ignored");
}

static void test_fallbacks_and_errors(void)
{
    float l[5] = {1.0f, 2.0f, NAN, INFINITY, -INFINITY};
    cs_sample_params p;
    cs_sample_params_default(&p);
    cs_rng rng;
    cs_rng_seed(&rng, 21);
    cs_sample_result r;
    for (int t = 0; t < 1000; t++) {
        int lab = draw(l, 5, &p, NULL, 0, NULL, &rng, &r);
        CS_CHECK(lab == 3, "+inf logit dominates, NaN and -inf never drawn (got %d)", lab);
        if (lab != 3) break;
    }
    unsigned char none[5] = {0, 0, 0, 0, 0};
    int lab = draw(l, 5, &p, NULL, 0, none, &rng, &r);
    CS_CHECK(lab == 3 && (r.flags & CS_SAMPLE_MASK_IGNORED), "empty mask: ignored and flagged");
    unsigned char only_nan[5] = {0, 0, 1, 0, 0};
    lab = draw(l, 5, &p, NULL, 0, only_nan, &rng, &r);
    CS_CHECK(lab == 3 && (r.flags & CS_SAMPLE_MASK_IGNORED), "mask allowing only a NaN logit: ignored");
    float bad[4] = {NAN, NAN, -INFINITY, NAN};
    long count[4] = {0};
    for (int t = 0; t < 40000; t++) {
        lab = draw(bad, 4, &p, NULL, 0, NULL, &rng, &r);
        if (lab >= 0) count[lab]++;
    }
    CS_CHECK(r.flags & CS_SAMPLE_NO_LOGITS, "no usable logit flagged");
    CS_CHECK(count[0] > 9000 && count[1] > 9000 && count[2] > 9000 && count[3] > 9000, "then uniform");
    CS_CHECK_NEAR(r.entropy_bits, 2.0, 1e-5, "uniform over 4: 2 bits");

    unsigned char tiny[8];
    CS_CHECK(cs_sample(l, 5, &p, NULL, 0, NULL, &rng, tiny, sizeof tiny, &r) == CS_SAMPLE_E_MEMORY && r.label == -1,
             "small scratch refused");
    CS_CHECK(cs_sample(l, 0, &p, NULL, 0, NULL, &rng, scratch, sizeof scratch, &r) == CS_SAMPLE_E_ARG, "V 0");
    CS_CHECK(cs_sample(l, 4097, &p, NULL, 0, NULL, &rng, scratch, sizeof scratch, &r) == CS_SAMPLE_E_ARG, "V 4097");
    CS_CHECK(cs_sample(NULL, 5, &p, NULL, 0, NULL, &rng, scratch, sizeof scratch, &r) == CS_SAMPLE_E_ARG, "NULL");
    CS_CHECK(cs_sample_scratch_size(4096) <= sizeof scratch - 7, "scratch size bound");
    CS_CHECK(cs_sample_scratch_size(0) == 0, "scratch size of V 0");

    /* extreme temperatures and huge logits stay finite */
    float huge[3] = {3e38f, -3e38f, 1e29f};
    p.temperature = 1e-30f;
    lab = draw(huge, 3, &p, NULL, 0, NULL, &rng, &r);
    CS_CHECK(lab == 0 && isfinite(r.prob) && isfinite(r.entropy_bits), "tiny temperature, huge logits");
    p.temperature = 1e30f;
    lab = draw(huge, 3, &p, NULL, 0, NULL, &rng, &r);
    CS_CHECK(lab >= 0 && isfinite(r.prob) && isfinite(r.entropy_bits), "huge temperature");
    /* logits above the 1e30 clamp tie with it: the lower index wins under argmax */
    float clamped[3] = {1e30f, 5e30f, INFINITY};
    p.temperature = 0.0f;
    CS_CHECK(draw(clamped, 3, &p, NULL, 0, NULL, &rng, &r) == 0, "logits clamped to 1e30");

    /* V = 4096 with everything on */
    static float big[4096];
    cs_rng g;
    cs_rng_seed(&g, 5);
    for (int i = 0; i < 4096; i++)
        big[i] = (float)(4.0 * cs_rng_uniform_double(&g));
    p.temperature = 0.8f;
    p.top_k = 100;
    p.top_p = 0.9f;
    p.repetition_penalty = 1.3f;
    int hist[64];
    for (int i = 0; i < 64; i++)
        hist[i] = i * 7;
    lab = cs_sample(big, 4096, &p, hist, 64, NULL, &rng, scratch, sizeof scratch, &r);
    CS_CHECK(lab >= 0 && lab < 4096 && r.candidates <= 100, "V 4096: %d candidates", r.candidates);
}

int main(void)
{
    test_argmax();
    test_known_distribution();
    test_frequencies();
    test_truncation();
    test_seeds();
    test_repetition_penalty();
    test_fallbacks_and_errors();
    CS_TEST_END();
}
