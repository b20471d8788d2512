/*
 * test_eval.c - the statistics of `concatseq eval` (corpus-tools/src/cs_eval.h): the block length, the
 * bootstrap interval's determinism and width (i.i.d. losses: close to the normal interval 1.96 sigma / sqrt(n);
 * strongly correlated losses: wider, as they must be), the paired interval of a constant difference (zero
 * width), and the mixture weight fit.
 */
#include "cs_error.h"
#include "cs_eval.h"
#include "cs_rng.h"
#include "cs_test.h"

#include <math.h>
#include <stdlib.h>

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
    CS_TEST_END();
}
