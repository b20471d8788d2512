/*
 * cs_ngram.h - n-gram baselines for the sequence model, on the same temporal split as training
 * (cs_split_part: per source, the first labels are training, then validation, then the test part).
 *
 * Models (labels 0..V-1; counts come from the TRAINING parts only; histories are the preceding labels of the
 * SAME source, so a validation or test label's history reaches back into the parts before it; positions before
 * a source's start are padded with a BOS symbol, which is never predicted):
 *   - add-k unigram: p(w) = (c(w) + k) / (N + k V)
 *   - add-k bigram:  p(w | v) = (c(v w) + k) / (c(v) + k V), v a label or BOS (Lidstone / Laplace smoothing)
 *   - interpolated Kneser-Ney of order n = 2..CS_NGRAM_MAX_ORDER (Kneser & Ney 1995; Chen & Goodman 1998,
 *     "An empirical study of smoothing techniques for language modeling", sec. 3.5 / eq. 26): the highest
 *     order uses raw counts, lower orders continuation counts N1+(. h w), one absolute discount D per order, by
 *     default estimated as D = n1 / (n1 + 2 n2) from that order's counts-of-counts (clamped to [0.05, 0.95];
 *     0.75 when n1 or n2 is 0), and the unigram level interpolates with the uniform distribution 1/V, so every
 *     probability is > 0 and every distribution sums to 1:
 *       p_k(w | h) = max(c_k(h w) - D_k, 0) / c_k(h .) + D_k N1+(h .) / c_k(h .) * p_{k-1}(w | h'),
 *       p_0(w) = 1 / V; a history never seen backs off entirely: p_k(w | h) = p_{k-1}(w | h').
 *   - modified Kneser-Ney (Chen & Goodman 1998, sec. 3.5 / eq. 17-19, interpolated): the same counts, three
 *     discounts per order, D(c) = D1 for c = 1, D2 for c = 2, D3+ for c >= 3, from that order's counts-of-counts
 *     n1..n4: Y = n1 / (n1 + 2 n2), D1 = 1 - 2Y n2/n1, D2 = 2 - 3Y n3/n2, D3+ = 3 - 4Y n4/n3 (Y = 0.5 when n1 or
 *     n2 is 0; D1 = 0.5 when n1 = 0, D2 = 1 when n2 = 0, D3+ = 1.5 when n3 = 0), each Dj clamped to
 *     [0.05, j - 0.05]; the back-off weight is gamma(h) = (D1 N1(h .) + D2 N2(h .) + D3+ N3+(h .)) / c_k(h .),
 *     Nj(h .) = the number of successors w with c_k(h w) = j (N3+: >= 3):
 *       p_k(w | h) = (c_k(h w) - D(c_k(h w))) / c_k(h .) + gamma(h) p_{k-1}(w | h'),  p_0(w) = 1 / V.
 * Cross-entropies are in bits per label: the mean of -log2 p over the scored labels.
 * Offline code (allocates): NOT real-time safe.
 */
#ifndef CS_NGRAM_H
#define CS_NGRAM_H

#include "cs_train.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Highest n-gram order (KN and modified KN; the study behind issue 11 found MKN up to 12 useful). */
#define CS_NGRAM_MAX_ORDER 12

/** Smoothing method. */
typedef enum cs_ngram_kind { CS_NGRAM_ADDK = 0, CS_NGRAM_KN = 1, CS_NGRAM_MKN = 2 } cs_ngram_kind;

/** A trained n-gram model (opaque). */
typedef struct cs_ngram cs_ngram;

/**
 * Count the TRAINING parts (cs_split_part(len, split, CS_PART_TRAIN); split {0, 0} = whole sources) of n_seqs
 * label sequences (0..V-1). kind ADDK: order 1 or 2, param = k >= 0 (k = 0 is maximum likelihood: unseen
 * events get probability 0). kind KN: order 2..CS_NGRAM_MAX_ORDER, param = discount in (0, 1), or <= 0 to
 * estimate one per order as above. kind MKN: order 2..CS_NGRAM_MAX_ORDER, param ignored (discounts always
 * estimated). V 1..2^24 - 2. *err (optional) gets 0 or CS_E_ARG / CS_E_NOMEM / CS_E_EMPTY (no training
 * labels). Labels of the other parts are range-checked and otherwise never read. Returns the model (free with
 * cs_ngram_free) or NULL.
 */
cs_ngram *cs_ngram_train(const int *const *seqs, const size_t *lens, int n_seqs, int V, cs_split split,
                         cs_ngram_kind kind, int order, double param, int *err);

/** Free (NULL is fine). */
void cs_ngram_free(cs_ngram *m);

/** Order n of the model (1 .. CS_NGRAM_MAX_ORDER). */
int cs_ngram_order(const cs_ngram *m);

/** Discount used at order k (1 .. n) of a KN model; 0 for other models or k out of range. */
double cs_ngram_discount(const cs_ngram *m, int k);

/** The three discounts D1, D2, D3+ of order k (1 .. n) of an MKN model into D[0..2]; CS_E_ARG for another
 *  kind or k out of range. */
int cs_ngram_mkn_discounts(const cs_ngram *m, int k, double D[3]);

/**
 * p(label | history): hist points to the hist_len labels before the predicted one (most recent last); only
 * the last n - 1 are used, and if hist_len < n - 1 the history is padded with BOS (start of a source).
 * Returns a probability in [0, 1] (> 0 for KN, MKN and for add-k with k > 0), or -1 on a bad argument.
 */
double cs_ngram_prob(const cs_ngram *m, const int *hist, size_t hist_len, int label);

/**
 * Cross-entropy in bits per label of `part` of the sequences under split; every scored label's history is its
 * preceding labels in the same source. bits out (NaN if no label is scored; +inf if some label has probability
 * 0), n_scored out (optional), losses out (optional: -log2 p of every scored label, sources in order; sized by
 * the caller to the part's label count, cs_split_count). Errors: CS_E_ARG.
 */
int cs_ngram_eval(const cs_ngram *m, const int *const *seqs, const size_t *lens, int n_seqs, cs_split split,
                  cs_part part, double *bits, size_t *n_scored, double *losses);

/**
 * Choose k for an add-k model of `order` (1 or 2) on VALIDATION: the k of the grid {0.001, 0.003, 0.01, 0.03,
 * 0.1, 0.3, 1, 3} with the lowest validation bits (first on ties). Without validation data k = 1 (Laplace)
 * and *bits = NaN. k, bits out. Errors as cs_ngram_train.
 */
int cs_ngram_choose_k(const int *const *seqs, const size_t *lens, int n_seqs, int V, cs_split split, int order,
                      double *k, double *bits);

/** The baselines of a report, in the order of cs_ngram_report.base. */
enum { CS_NG_UNIGRAM = 0, CS_NG_BIGRAM = 1, CS_NG_KN = 2, CS_NG_MKN = 3, CS_NG_COUNT = 4 };

/** One baseline with its hyper-parameter chosen on validation, scored once on the test part. */
typedef struct cs_ngram_choice {
    cs_ngram_kind kind;
    int order;           /* 1, 2, or the KN / MKN order chosen on validation (0 without validation) */
    double param;        /* add-k's k chosen on validation; 0 for KN (estimated discounts) and MKN */
    double val_bits;     /* validation bits/label of the chosen setting (NaN without validation) */
    double test_bits;    /* test bits/label (NaN without test labels) */
    double *test_losses; /* n_test losses (-log2 p, sources in order), malloc'ed; NULL when n_test = 0 */
} cs_ngram_choice;

/** All baselines on one split. */
typedef struct cs_ngram_report {
    cs_ngram_choice base[CS_NG_COUNT];
    double kn_val[CS_NGRAM_MAX_ORDER + 1];  /* validation bits of KN order n (index n = 2..max; else NaN) */
    double mkn_val[CS_NGRAM_MAX_ORDER + 1]; /* same for modified KN */
    size_t n_train, n_val, n_test;
} cs_ngram_report;

/**
 * Run every baseline: add-k unigram and bigram with k chosen on validation; KN and modified KN of every order
 * 2..max_order (<= CS_NGRAM_MAX_ORDER) with the order chosen on validation (lowest order on ties); each chosen
 * setting is then scored once on the test part. Nothing of the test part is read before that scoring (so no
 * choice depends on it). Without validation labels the orders are 0 and nothing is scored on test. Free with
 * cs_ngram_report_free (also after an error). Errors: CS_E_ARG, CS_E_NOMEM, CS_E_EMPTY (no training labels).
 */
int cs_ngram_baselines(const int *const *seqs, const size_t *lens, int n_seqs, int V, cs_split split, int max_order,
                       cs_ngram_report *rep);

/** The KN or MKN order 2..max_order with the lowest validation bits (lowest on ties) into *order (0 without
 *  validation labels) and its bits into *val_bits (NaN then). Reads no test label. Errors as cs_ngram_train. */
int cs_ngram_choose_order(const int *const *seqs, const size_t *lens, int n_seqs, int V, cs_split split,
                          cs_ngram_kind kind, int max_order, int *order, double *val_bits);

/** Free the loss arrays of a report (a zeroed report is fine). */
void cs_ngram_report_free(cs_ngram_report *rep);

/**
 * The KN or MKN model m as the core's table (plugins/core/cs_ngram_table.h: what a server-side n-gram model
 * runs, bounded and allocation-free): a(h, w) and g(h) of every seen history, as float32. *out: a malloc'ed
 * table of *n_floats floats (free() it); cs_ngt_probs on it equals cs_ngram_prob within float rounding
 * (tests/c/test_ngram.c). Errors: CS_E_ARG (add-k model, V > CS_NGT_MAX_VOCAB), CS_E_NOMEM.
 */
int cs_ngram_table_write(const cs_ngram *m, float **out, size_t *n_floats);

#ifdef __cplusplus
}
#endif

#endif
