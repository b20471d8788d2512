/*
 * cs_ngram.h - n-gram baselines for the sequence model, on the same temporal split as training
 * (cs_train_split: the last floor(val_fraction * len) labels of each source are validation).
 *
 * Models (labels 0..V-1; histories are the preceding labels of the SAME source, so a validation label's
 * history reaches back into its source's training part; positions before a source's start are padded with a
 * BOS symbol, which is never predicted):
 *   - add-k unigram: p(w) = (c(w) + k) / (N + k V)
 *   - add-k bigram:  p(w | v) = (c(v w) + k) / (c(v) + k V), v a label or BOS (Lidstone / Laplace smoothing)
 *   - interpolated Kneser-Ney of order n = 2..5 (Kneser & Ney 1995; Chen & Goodman 1998, "An empirical study
 *     of smoothing techniques for language modeling", sec. 3.5 / eq. 26): the highest order uses raw counts,
 *     lower orders continuation counts N1+(. h w), one absolute discount D per order, by default estimated
 *     as D = n1 / (n1 + 2 n2) from that order's counts-of-counts (clamped to [0.05, 0.95]; 0.75 when
 *     n1 or n2 is 0), and the unigram level interpolates with the uniform distribution 1/V, so every
 *     probability is > 0 and every distribution sums to 1:
 *       p_k(w | h) = max(c_k(h w) - D_k, 0) / c_k(h .) + D_k N1+(h .) / c_k(h .) * p_{k-1}(w | h'),
 *       p_0(w) = 1 / V; a history never seen backs off entirely: p_k(w | h) = p_{k-1}(w | h').
 * Cross-entropies are in bits per label: the mean of -log2 p over the scored labels.
 * Offline code (allocates): NOT real-time safe.
 */
#ifndef CS_NGRAM_H
#define CS_NGRAM_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Smoothing method. */
typedef enum cs_ngram_kind { CS_NGRAM_ADDK = 0, CS_NGRAM_KN = 1 } cs_ngram_kind;

/** Which part of each source to score. */
typedef enum cs_ngram_part { CS_NGRAM_VAL = 0, CS_NGRAM_TRAIN = 1 } cs_ngram_part;

/** A trained n-gram model (opaque). */
typedef struct cs_ngram cs_ngram;

/**
 * Count the TRAINING parts (cs_train_split(len, val_fraction); val_fraction 0 = whole sources) of n_seqs
 * label sequences (0..V-1). kind ADDK: order 1 or 2, param = k >= 0 (k = 0 is maximum likelihood: unseen
 * events get probability 0). kind KN: order 2..5, param = discount in (0, 1), or <= 0 to estimate one per
 * order as above. V 1..2^24 - 2. *err (optional) gets 0 or CS_E_ARG / CS_E_NOMEM / CS_E_EMPTY (no training
 * labels). Returns the model (free with cs_ngram_free) or NULL.
 */
cs_ngram *cs_ngram_train(const int *const *seqs, const size_t *lens, int n_seqs, int V, double val_fraction,
                         cs_ngram_kind kind, int order, double param, int *err);

/** Free (NULL is fine). */
void cs_ngram_free(cs_ngram *m);

/** Order n of the model (1 .. 5). */
int cs_ngram_order(const cs_ngram *m);

/** Discount used at order k (1 .. n) of a KN model; 0 for add-k models or k out of range. */
double cs_ngram_discount(const cs_ngram *m, int k);

/**
 * p(label | history): hist points to the hist_len labels before the predicted one (most recent last); only
 * the last n - 1 are used, and if hist_len < n - 1 the history is padded with BOS (start of a source).
 * Returns a probability in [0, 1] (> 0 for KN and for add-k with k > 0), or -1 on a bad argument.
 */
double cs_ngram_prob(const cs_ngram *m, const int *hist, size_t hist_len, int label);

/**
 * Cross-entropy in bits per label of `part` (validation or training parts, split with val_fraction) of the
 * sequences; every scored label's history is its preceding labels in the same source. bits out (NaN if no
 * label is scored; +inf if some label has probability 0), n_scored out (optional). Errors: CS_E_ARG.
 */
int cs_ngram_eval(const cs_ngram *m, const int *const *seqs, const size_t *lens, int n_seqs, double val_fraction,
                  cs_ngram_part part, double *bits, size_t *n_scored);

/**
 * Choose k for an add-k model of `order` (1 or 2) on validation: the k of the grid {0.001, 0.003, 0.01, 0.03,
 * 0.1, 0.3, 1, 3} with the lowest validation bits (first on ties). Without validation data k = 1 (Laplace)
 * and *bits = NaN. k, bits out. Note that bits chosen this way are slightly optimistic (tuned on the same
 * labels). Errors as cs_ngram_train.
 */
int cs_ngram_choose_k(const int *const *seqs, const size_t *lens, int n_seqs, int V, double val_fraction, int order,
                      double *k, double *bits);

/** All baselines on one split. */
typedef struct cs_ngram_report {
    double unigram_bits, unigram_k; /* add-k unigram, k chosen on validation */
    double bigram_bits, bigram_k;   /* add-k bigram, k chosen on validation */
    double kn_bits[6];              /* interpolated KN, index = order 2..5 (0, 1 unused: NaN) */
    int best_order;                 /* KN order with the lowest validation bits (lowest order on ties) */
    double best_kn_bits;
    size_t n_train, n_val;
} cs_ngram_report;

/**
 * Run every baseline (add-k unigram and bigram with k chosen on validation; KN orders 2..5 with estimated
 * discounts; best KN order chosen on validation) and fill *rep. Errors: CS_E_ARG, CS_E_NOMEM, CS_E_EMPTY
 * (no training labels); without validation labels every bits field is NaN and best_order = 0.
 */
int cs_ngram_baselines(const int *const *seqs, const size_t *lens, int n_seqs, int V, double val_fraction,
                       cs_ngram_report *rep);

#ifdef __cplusplus
}
#endif

#endif
