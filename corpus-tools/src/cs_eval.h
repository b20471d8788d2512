/*
 * cs_eval.h - how `concatseq eval` turns per-label losses into an honest verdict: a block-bootstrap interval
 * on every test figure and on every difference, and a minimum test size below which no winner is named.
 *
 * Why a block bootstrap: the losses of neighbouring labels are correlated (a model is wrong for a while when
 * the music changes), so resampling single labels would give intervals that are too narrow. The circular
 * block bootstrap (Politis & Romano 1992) resamples blocks of L consecutive test labels (wrapping around the
 * end), with L = round(n^(1/3)) (at least 1), the rate that is optimal for the variance of a mean (Hall,
 * Horowitz & Jing 1995). A difference between two methods is bootstrapped PAIRED (the same blocks for both),
 * which removes the variation they share. Percentile interval, seeded: the same losses give the same bounds.
 * Offline code (allocates): NOT real-time safe.
 */
#ifndef CS_EVAL_H
#define CS_EVAL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Test labels below which `eval` says the corpus is too small to tell a winner (with 200 labels the
 *  interval of a bits/label figure is typically +-0.1..0.3 bits, about the gap between the methods). */
#define CS_EVAL_MIN_TEST 200

/** Bootstrap resamples and the interval's coverage used by `eval`. */
#define CS_EVAL_BOOT_REPS 2000
#define CS_EVAL_LEVEL     0.95

/** The block length of the bootstrap for n labels: round(cbrt(n)), at least 1 (0 for n = 0). */
size_t cs_eval_block_len(size_t n);

/**
 * Circular block-bootstrap percentile interval of the mean of loss[i] - ref[i] (ref NULL: of loss[i]) over n
 * labels: `reps` resamples of ceil(n / L) blocks of L = cs_eval_block_len(n) labels (each start uniform in
 * [0, n), wrapping), each resample's mean truncated to n labels; lo, hi = the (1 - level) / 2 and
 * (1 + level) / 2 quantiles (nearest rank). level in (0, 1), reps >= 10, seed: any. n = 0: lo = hi = NaN.
 * Returns 0, CS_E_ARG or CS_E_NOMEM.
 */
int cs_eval_bootstrap(const double *loss, const double *ref, size_t n, int reps, double level, uint64_t seed,
                      double *lo, double *hi);

/** Mixture weight on the validation losses of two models: the lambda in {0, 0.05, .., 1} minimising the mean
 *  of -log2(lambda 2^-a[i] + (1 - lambda) 2^-b[i]) (the lowest on ties); its bits in *bits (optional). */
double cs_eval_fit_mixture(const double *a, const double *b, size_t n, double *bits);

/**
 * The one-standard-error rule (Breiman, Friedman, Olshen & Stone 1984, "Classification and Regression Trees",
 * section 3.4.3; Hastie, Tibshirani & Friedman 2009, "The Elements of Statistical Learning", section 7.10): a more
 * complex candidate replaces the simpler reference only when its mean validation loss is lower by more than one
 * standard error of the difference. `concatseq train --arch auto` applies it with modified Kneser-Ney as the
 * reference, so a network or a mixture is chosen only on evidence: with few validation labels the error is large
 * and the choice falls back to MKN; with many it vanishes and the best candidate wins.
 * The standard error is that of the mean of the PAIRED difference over the n labels, by the circular block
 * bootstrap of cs_eval_bootstrap (CS_EVAL_SE_REPS resamples, seed 1: deterministic); see cs_eval_bootstrap_se.
 */
#define CS_EVAL_SE_REPS 1000

/** Labels below which the one-SE functions keep the reference: the bootstrap resamples blocks of round(n^(1/3))
 *  labels, so below 30 labels there are fewer than 10 blocks and the standard error is not estimated (at n = 1 it
 *  is 0, and any candidate would win on one label). */
#define CS_EVAL_MIN_SELECT 30

/** Block-bootstrap standard error of the mean of loss[i] - ref[i] (ref NULL: of loss[i]) over n labels, the
 *  resampling of cs_eval_bootstrap (the standard deviation of the `reps` resampled means). n = 0: NaN.
 *  Returns 0, CS_E_ARG (reps < 10, NULL out) or CS_E_NOMEM. */
int cs_eval_bootstrap_se(const double *loss, const double *ref, size_t n, int reps, uint64_t seed, double *se);

/**
 * Mixture weight by the one-SE rule: with m(lambda) the mean of -log2(lambda 2^-a[i] + (1 - lambda) 2^-b[i])
 * over the grid {0, 0.05, .., 1}, lambda* = cs_eval_fit_mixture's minimiser and se the bootstrap standard error
 * of the paired difference (mixture at lambda*) - b, the result is the SMALLEST lambda (the closest to model b,
 * the reference) with m(lambda) <= m(lambda*) + se. So a weight on a that validation cannot support shrinks
 * toward b. *bits (optional): m of the result; *se_out (optional): se. n = 0: 0 (b alone), bits NaN;
 * 0 < n < CS_EVAL_MIN_SELECT: 0, bits = the mean of b, se NaN.
 */
double cs_eval_fit_mixture_1se(const double *a, const double *b, size_t n, double *bits, double *se_out);

/**
 * The one-SE choice among n_cand candidates scored on the same n validation labels: losses[c] holds candidate
 * c's n losses (bits), ref the reference (the simplest). With best the candidate of the lowest mean (the lowest
 * index on ties) and se the bootstrap standard error of mean(losses[best] - losses[ref]), returns best when
 * mean(ref) - mean(best) > se, else ref. *se_out (optional): se (0 when best is ref). NULL entries are not
 * candidates. n < CS_EVAL_MIN_SELECT or a bad argument: ref.
 */
int cs_eval_choose_1se(const double *const *losses, int n_cand, size_t n, int ref, double *se_out);

/** Losses of the mixture lambda p_a + (1 - lambda) p_b from the two models' losses (bits) into out. */
void cs_eval_mix(const double *a, const double *b, size_t n, double lambda, double *out);

#ifdef __cplusplus
}
#endif

#endif
