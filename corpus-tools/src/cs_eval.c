/* cs_eval.c - block-bootstrap intervals and the model mixture of `concatseq eval`. See cs_eval.h. */
#include "cs_eval.h"

#include "cs_error.h"
#include "cs_rng.h"

#include <math.h>
#include <stdlib.h>

size_t cs_eval_block_len(size_t n)
{
    if (n == 0) return 0;
    const size_t L = (size_t)llround(cbrt((double)n));
    return L < 1 ? 1 : L > n ? n : L;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int cs_eval_bootstrap(const double *loss, const double *ref, size_t n, int reps, double level, uint64_t seed,
                      double *lo, double *hi)
{
    if (!lo || !hi || (n && !loss) || reps < 10 || !(level > 0.0 && level < 1.0) || n > 0xFFFFFFFFu) return CS_E_ARG;
    *lo = *hi = NAN;
    if (n == 0) return CS_OK;
    double *d = malloc(n * sizeof *d), *means = malloc((size_t)reps * sizeof *means);
    if (!d || !means) {
        free(d);
        free(means);
        return CS_E_NOMEM;
    }
    for (size_t i = 0; i < n; i++)
        d[i] = loss[i] - (ref ? ref[i] : 0.0);
    const size_t L = cs_eval_block_len(n);
    cs_rng rng;
    cs_rng_seed(&rng, seed);
    for (int r = 0; r < reps; r++) {
        double sum = 0.0;
        size_t taken = 0;
        while (taken < n) {
            size_t at = cs_rng_below(&rng, (uint32_t)n);
            for (size_t j = 0; j < L && taken < n; j++, taken++) {
                sum += d[at];
                at = at + 1 == n ? 0 : at + 1;
            }
        }
        means[r] = sum / (double)n;
    }
    qsort(means, (size_t)reps, sizeof *means, cmp_double);
    const double a = (1.0 - level) / 2.0;
    size_t ilo = (size_t)floor(a * (double)reps), ihi = (size_t)ceil((1.0 - a) * (double)reps) - 1;
    if (ihi >= (size_t)reps) ihi = (size_t)reps - 1;
    *lo = means[ilo];
    *hi = means[ihi];
    free(d);
    free(means);
    return CS_OK;
}

void cs_eval_mix(const double *a, const double *b, size_t n, double lambda, double *out)
{
    for (size_t i = 0; i < n; i++)
        out[i] = -log2(lambda * exp2(-a[i]) + (1.0 - lambda) * exp2(-b[i]));
}

double cs_eval_fit_mixture(const double *a, const double *b, size_t n, double *bits)
{
    double best = INFINITY, bl = 0.0;
    for (int s = 0; s <= 20; s++) {
        const double lambda = s / 20.0;
        double sum = 0.0;
        for (size_t i = 0; i < n; i++)
            sum -= log2(lambda * exp2(-a[i]) + (1.0 - lambda) * exp2(-b[i]));
        const double m = n ? sum / (double)n : (double)NAN;
        if (m < best) {
            best = m;
            bl = lambda;
        }
    }
    if (bits) *bits = n ? best : (double)NAN;
    return bl;
}
