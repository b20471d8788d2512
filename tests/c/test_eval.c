/*
 * test_eval.c - the statistics of `concatseq eval` (corpus-tools/src/cs_eval.h): the block length, the
 * bootstrap interval's determinism and width (i.i.d. losses: close to the normal interval 1.96 sigma / sqrt(n);
 * strongly correlated losses: wider, as they must be), the paired interval of a constant difference (zero
 * width), the mixture weight fit, and the one-SE rule of `train --arch auto` (cs_eval_fit_mixture_1se,
 * cs_eval_choose_1se, cs_eval_bootstrap_se): on few labels a weight or a candidate whose advantage is within one
 * standard error falls back to the reference (the weight at the validation minimum does not), on many labels the
 * same per-label advantage wins.
 */
#include "cs_error.h"
#include "cs_eval.h"
#include "cs_rng.h"
#include "cs_test.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* n labels: the reference ref costs 3 bits, the candidate cand 3 - gain +- noise (a noisy network). */
static void noisy_pair(double *cand, double *ref, int n, double gain, double noise, uint64_t seed)
{
    cs_rng rng;
    cs_rng_seed(&rng, seed);
    for (int i = 0; i < n; i++) {
        ref[i] = 3.0;
        cand[i] = 3.0 - gain + noise * cs_rng_normal(&rng);
        if (cand[i] < 0.05) cand[i] = 0.05;
    }
}

static void test_one_se(void)
{
    enum { BIG = 4000, SMALL = 36 };
    static double c[BIG], r[BIG], mix[BIG];
    double se = 0.0, bits = 0.0, se2 = 0.0;
    /* the standard error of a constant difference is 0; of i.i.d. noise sigma / sqrt(n) */
    noisy_pair(c, r, BIG, 0.0, 0.0, 1);
    CS_CHECK(cs_eval_bootstrap_se(c, r, BIG, 500, 1, &se) == 0 && se == 0.0, "constant difference: se %.3g", se);
    noisy_pair(c, r, BIG, 0.0, 1.0, 2);
    cs_eval_bootstrap_se(c, r, BIG, 1000, 1, &se);
    cs_eval_bootstrap_se(c, r, BIG, 1000, 1, &se2);
    CS_CHECK(se == se2 && fabs(se * sqrt((double)BIG) - 1.0) < 0.15, "iid se %.4f vs %.4f", se,
             1.0 / sqrt((double)BIG));
    CS_CHECK(cs_eval_bootstrap_se(c, r, BIG, 5, 1, &se) == CS_E_ARG, "se: too few resamples refused");
    CS_CHECK(cs_eval_bootstrap_se(c, r, 0, 100, 1, &se) == 0 && isnan(se), "se: no labels: NaN");
    /* a network much better on one label in 12 (0.5 bits) and a little worse on the rest (3.3 against the
     * reference's 3.0): the mixture at weight 0.2-0.3 is 0.029 bits below the reference. On 36 labels (three good
     * ones) that is within one standard error: the weight at the minimum is > 0, the one-SE weight 0, and the
     * choice among {reference, network, mixture} the reference. */
    for (int i = 0; i < BIG; i++) {
        r[i] = 3.0;
        c[i] = i % 12 == 0 ? 0.5 : 3.3;
    }
    const double lmin = cs_eval_fit_mixture(c, r, SMALL, NULL);
    const double l1 = cs_eval_fit_mixture_1se(c, r, SMALL, &bits, &se);
    printf("36 labels: weight at the minimum %.2f, one-SE %.2f (se %.4f, %.4f bits)\n", lmin, l1, se, bits);
    CS_CHECK(lmin > 0.0 && l1 == 0.0 && bits == 3.0, "few labels: one-SE weight %.2f (minimum %.2f)", l1, lmin);
    cs_eval_mix(c, r, SMALL, lmin, mix);
    const double *cands[3] = {r, c, mix};
    CS_CHECK(cs_eval_choose_1se(cands, 3, SMALL, 0, &se) == 0 && se > 0.029, "few labels: the reference is kept");
    /* below CS_EVAL_MIN_SELECT labels no standard error is estimated: the reference, whatever the gain (here the
     * network alone is 2.4 bits better on every one of the 20 labels) */
    for (int i = 0; i < 30; i++)
        mix[i] = 0.6;
    const double *strong[2] = {r, mix};
    CS_CHECK(cs_eval_fit_mixture_1se(mix, r, 20, &bits, &se) == 0.0 && bits == 3.0 && isnan(se) &&
                 cs_eval_choose_1se(strong, 2, 20, 0, &se) == 0,
             "fewer than %d labels: the reference", CS_EVAL_MIN_SELECT);
    CS_CHECK(cs_eval_fit_mixture_1se(mix, r, 30, NULL, NULL) == 1.0 && cs_eval_choose_1se(strong, 2, 30, 0, NULL) == 1,
             "%d labels of a constant gain: the network (se 0)", CS_EVAL_MIN_SELECT);
    /* the same pattern on 4000 labels: the evidence is there, the weight is the minimum's and the mixture wins */
    const double bmin = cs_eval_fit_mixture(c, r, BIG, NULL), b1 = cs_eval_fit_mixture_1se(c, r, BIG, &bits, &se);
    printf("4000 labels: weight at the minimum %.2f, one-SE %.2f (se %.4f)\n", bmin, b1, se);
    CS_CHECK(b1 > 0.0 && b1 <= bmin && bits < 2.98, "many labels: one-SE weight %.2f, minimum's %.2f", b1, bmin);
    cs_eval_mix(c, r, BIG, b1, mix);
    const double *big[3] = {r, c, mix};
    CS_CHECK(cs_eval_choose_1se(big, 3, BIG, 0, &se) == 2 && se < 0.02, "many labels: the mixture (se %.4f)", se);
    for (int i = 0; i < BIG; i++)
        mix[i] = r[i] + 0.5 + 0.1 * (i % 3); /* worse than the reference everywhere */
    const double *worse[2] = {mix, r};
    CS_CHECK(cs_eval_choose_1se(worse, 2, BIG, 1, &se) == 1 && se == 0.0, "a worse candidate is never chosen");
    CS_CHECK(cs_eval_choose_1se(cands, 3, 0, 0, &se) == 0 && se == 0.0, "no labels: the reference");
    CS_CHECK(cs_eval_fit_mixture_1se(c, r, 0, &bits, &se) == 0.0 && isnan(bits), "no labels: weight 0");
}

int main(void)
{
    CS_CHECK(cs_eval_block_len(0) == 0 && cs_eval_block_len(1) == 1 && cs_eval_block_len(1000) == 10 &&
                 cs_eval_block_len(27) == 3,
             "block length round(cbrt(n))");
    enum { N = 4000 };
    static double x[N], y[N], c[N];
    cs_rng rng;
    cs_rng_seed(&rng, 5);
    double mean = 0.0;
    for (int i = 0; i < N; i++) {
        x[i] = 2.0 + cs_rng_normal(&rng);
        mean += x[i];
    }
    mean /= N;
    /* correlated: runs of 50 equal values */
    for (int i = 0; i < N; i++)
        c[i] = x[(i / 50) * 50];
    double lo, hi, lo2, hi2, clo, chi;
    CS_CHECK(cs_eval_bootstrap(x, NULL, N, 2000, 0.95, 1, &lo, &hi) == 0, "bootstrap");
    cs_eval_bootstrap(x, NULL, N, 2000, 0.95, 1, &lo2, &hi2);
    CS_CHECK(lo == lo2 && hi == hi2, "same seed, same interval");
    const double normal = 2.0 * 1.96 / sqrt((double)N);
    printf("iid: mean %.4f, interval [%.4f, %.4f], width %.4f vs normal %.4f\n", mean, lo, hi, hi - lo, normal);
    CS_CHECK(lo < mean && mean < hi, "the interval holds the sample mean");
    CS_CHECK(fabs((hi - lo) / normal - 1.0) < 0.15, "iid width %.4f vs %.4f", hi - lo, normal);
    cs_eval_bootstrap(c, NULL, N, 2000, 0.95, 1, &clo, &chi);
    printf("runs of 50: interval width %.4f (iid %.4f)\n", chi - clo, hi - lo);
    CS_CHECK(chi - clo > 2.0 * (hi - lo), "correlated losses give a wider interval");
    for (int i = 0; i < N; i++)
        y[i] = x[i] + 0.25;
    cs_eval_bootstrap(y, x, N, 2000, 0.95, 1, &lo, &hi);
    CS_CHECK(fabs(lo - 0.25) < 1e-12 && fabs(hi - 0.25) < 1e-12, "paired constant difference: [%.6f, %.6f]", lo, hi);
    CS_CHECK(cs_eval_bootstrap(x, NULL, N, 5, 0.95, 1, &lo, &hi) == CS_E_ARG, "too few resamples refused");
    CS_CHECK(cs_eval_bootstrap(x, NULL, 0, 100, 0.95, 1, &lo, &hi) == 0 && isnan(lo) && isnan(hi), "no labels: NaN");
    /* mixture: a always 1 bit, b always 3 bits -> the weight on a is 1; equal -> 0 (lowest on ties) */
    static double a1[100], b3[100];
    for (int i = 0; i < 100; i++) {
        a1[i] = 1.0;
        b3[i] = 3.0;
    }
    double bits;
    CS_CHECK(cs_eval_fit_mixture(a1, b3, 100, &bits) == 1.0 && fabs(bits - 1.0) < 1e-12, "mixture: a wins");
    CS_CHECK(cs_eval_fit_mixture(b3, a1, 100, &bits) == 0.0, "mixture: b wins");
    /* complementary models: each right half the time -> an interior weight is better than either */
    for (int i = 0; i < 100; i++) {
        a1[i] = i % 2 ? 0.2 : 6.0;
        b3[i] = i % 2 ? 6.0 : 0.2;
    }
    const double lam = cs_eval_fit_mixture(a1, b3, 100, &bits);
    printf("complementary: weight %.2f, %.4f bits\n", lam, bits);
    CS_CHECK(lam > 0.3 && lam < 0.7 && bits < 3.1, "complementary mixture %.2f %.4f", lam, bits);
    test_one_se();
    CS_TEST_END();
}
