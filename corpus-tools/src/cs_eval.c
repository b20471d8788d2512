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

/* The `reps` resampled means of d (n values) into means: the circular block bootstrap of cs_eval_bootstrap. */
static void boot_means(const double *d, size_t n, int reps, uint64_t seed, double *means)
{
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
}

/* d[i] = loss[i] - ref[i] (ref NULL: loss[i]) and room for reps means; NULL when out of memory (both freed). */
static double *boot_alloc(const double *loss, const double *ref, size_t n, int reps, double **means)
{
    double *d = malloc(n * sizeof *d);
    *means = malloc((size_t)reps * sizeof **means);
    if (!d || !*means) {
        free(d);
        free(*means);
        *means = NULL;
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        d[i] = loss[i] - (ref ? ref[i] : 0.0);
    return d;
}

int cs_eval_bootstrap(const double *loss, const double *ref, size_t n, int reps, double level, uint64_t seed,
                      double *lo, double *hi)
{
    if (!lo || !hi || (n && !loss) || reps < 10 || !(level > 0.0 && level < 1.0) || n > 0xFFFFFFFFu) return CS_E_ARG;
    *lo = *hi = NAN;
    if (n == 0) return CS_OK;
    double *means, *d = boot_alloc(loss, ref, n, reps, &means);
    if (!d) return CS_E_NOMEM;
    boot_means(d, n, reps, seed, means);
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

int cs_eval_bootstrap_se(const double *loss, const double *ref, size_t n, int reps, uint64_t seed, double *se)
{
    if (!se || (n && !loss) || reps < 10 || n > 0xFFFFFFFFu) return CS_E_ARG;
    *se = NAN;
    if (n == 0) return CS_OK;
    double *means, *d = boot_alloc(loss, ref, n, reps, &means);
    if (!d) return CS_E_NOMEM;
    boot_means(d, n, reps, seed, means);
    double m = 0.0, v = 0.0;
    for (int r = 0; r < reps; r++)
        m += means[r];
    m /= reps;
    for (int r = 0; r < reps; r++)
        v += (means[r] - m) * (means[r] - m);
    *se = sqrt(v / (reps - 1));
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

double cs_eval_fit_mixture_1se(const double *a, const double *b, size_t n, double *bits, double *se_out)
{
    if (se_out) *se_out = NAN;
    if (bits) *bits = NAN;
    if (n == 0) return 0.0;
    if (n < CS_EVAL_MIN_SELECT) {
        double sum = 0.0;
        for (size_t i = 0; i < n; i++)
            sum += b[i];
        if (bits) *bits = sum / (double)n;
        return 0.0;
    }
    double mbest = 0.0;
    const double best = cs_eval_fit_mixture(a, b, n, &mbest);
    double *mix = malloc(n * sizeof *mix), se = 0.0;
    if (!mix) return 0.0; /* out of memory: the reference alone, the safe choice */
    cs_eval_mix(a, b, n, best, mix);
    if (best > 0.0 && cs_eval_bootstrap_se(mix, b, n, CS_EVAL_SE_REPS, 1, &se)) se = INFINITY;
    double chosen = best, mchosen = mbest;
    for (int s = 0; s <= 20; s++) {
        const double lambda = s / 20.0;
        if (lambda >= best) break;
        cs_eval_mix(a, b, n, lambda, mix);
        double sum = 0.0;
        for (size_t i = 0; i < n; i++)
            sum += mix[i];
        if (sum / (double)n <= mbest + se) {
            chosen = lambda;
            mchosen = sum / (double)n;
            break;
        }
    }
    free(mix);
    if (bits) *bits = mchosen;
    if (se_out) *se_out = se;
    return chosen;
}

int cs_eval_choose_1se(const double *const *losses, int n_cand, size_t n, int ref, double *se_out)
{
    if (se_out) *se_out = 0.0;
    if (!losses || n < CS_EVAL_MIN_SELECT || ref < 0 || ref >= n_cand || !losses[ref]) return ref;
    int best = ref;
    double mb = INFINITY, mr = 0.0;
    for (int c = 0; c < n_cand; c++) {
        if (!losses[c]) continue;
        double sum = 0.0;
        for (size_t i = 0; i < n; i++)
            sum += losses[c][i];
        const double m = sum / (double)n;
        if (c == ref) mr = m;
        if (m < mb) {
            mb = m;
            best = c;
        }
    }
    if (best == ref) return ref;
    double se = INFINITY;
    if (cs_eval_bootstrap_se(losses[best], losses[ref], n, CS_EVAL_SE_REPS, 1, &se)) se = INFINITY;
    if (se_out) *se_out = se;
    return mr - mb > se ? best : ref;
}
