/*
 * cs_ngram_table.h - an interpolated back-off n-gram model (Kneser-Ney, modified Kneser-Ney) as one flat float32
 * table that the audio thread can run: parsed in caller memory, every lookup bounded, no allocation.
 *
 * The model (Chen & Goodman 1998, interpolated form; corpus-tools/src/cs_ngram.h computes it from counts):
 *   p_0(w) = 1 / V;  p_k(w | h) = a_k(h, w) + g_k(h) p_{k-1}(w | h')  (h = the last k-1 labels, h' its last k-2)
 *   when the history h of order k was seen in training, else p_k = p_{k-1}; p = p_n. a_k(h, w) (the discounted
 *   relative frequency, 0 for a successor never seen after h) and g_k(h) (the back-off weight) are stored.
 *   Histories shorter than k-1 labels are padded with BOS = V (the start of a source), as in training.
 *
 * Layout (floats; `u16 pair` = split integer (hi, lo), cs_split.h):
 *   [0] CS_NGT_MAGIC  [1] CS_NGT_VERSION  [2] V (1..CS_NGT_MAX_VOCAB)  [3] n (order, 1..CS_NGT_MAX_ORDER)
 *   [4 + 4 (k-1)] u16 pair: contexts of order k, C_k   [6 + 4 (k-1)] u16 pair: successors of order k, S_k
 *   then for k = 1..n: C_k context records of k + 3 floats: the k-1 history labels (0..V, oldest first), g,
 *   the index of its first successor (u16 pair, within order k), its number of successors; records sorted by
 *   their labels (lexicographically, strictly increasing); then S_k successor records (label 0..V-1, a),
 *   grouped by context in context order, labels strictly increasing within a context. Order 1 has at most
 *   one context (the empty history). Every a, g is finite and in [0, 1].
 * Real-time safety: cs_ngt_parse is O(table size) (validation of every record; call it off the audio thread
 * or spread it, like the model file's verification); cs_ngt_probs is bounded: O(n (k log2 C_k + V)).
 */
#ifndef CS_NGRAM_TABLE_H
#define CS_NGRAM_TABLE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CS_NGT_MAGIC     4412244 /* 0x435354, "CST"; < 2^24 so exact in a float */
#define CS_NGT_VERSION   1
#define CS_NGT_MAX_ORDER 12
#define CS_NGT_MAX_VOCAB 4096

/** Floats of the table header for order n: 4 + 4 n. */
#define CS_NGT_HEADER_FLOATS(n) (4 + 4 * (n))

/** Errors (0 = success). */
enum { CS_NGT_OK = 0, CS_NGT_E_ARG = -1, CS_NGT_E_TRUNCATED = -2, CS_NGT_E_MAGIC = -3, CS_NGT_E_FORMAT = -4 };

/** A parsed table: pointers INTO the caller's buffer (no copy). */
typedef struct cs_ngt_view {
    int V, order;
    uint32_t n_ctx[CS_NGT_MAX_ORDER + 1], n_succ[CS_NGT_MAX_ORDER + 1]; /* index k = 1..order */
    const float *ctx[CS_NGT_MAX_ORDER + 1];                             /* (C_k, k + 3) */
    const float *succ[CS_NGT_MAX_ORDER + 1];                            /* (S_k, 2) */
    size_t total_floats;                                                /* header + every record */
} cs_ngt_view;

/** Floats of a table with these counts (c[k], s[k] for k = 1..order), 0 on a bad argument. RT-safe. */
size_t cs_ngt_size(int order, const uint32_t *n_ctx, const uint32_t *n_succ);

/**
 * Validate the table in buf (n floats available; floats past the table are ignored) as the layout above says
 * and map *out. O(table size), no allocation. Returns 0, or CS_NGT_E_ARG / E_TRUNCATED / E_MAGIC / E_FORMAT
 * (a field out of range, an unsorted record, a successor range out of its order, a non-finite or out-of-range
 * a or g); on error *out is zeroed.
 */
int cs_ngt_parse(const float *buf, size_t n, cs_ngt_view *out);

/** Map the table's header (magic, version, V, order, counts; the size against n) into *out without checking the
 *  records: O(order). Returns as cs_ngt_parse; on error *out is zeroed. Use with cs_ngt_check_step before any
 *  lookup (the audio thread: SeqPredict spreads the check over blocks). */
int cs_ngt_parse_header(const float *buf, size_t n, cs_ngt_view *out);

/** The position of a resumable record check (plain data). */
typedef struct cs_ngt_check {
    int k;         /* order being checked (1..order; order + 1 = done) */
    uint32_t i;    /* next context record of order k */
    uint64_t next; /* the first successor index record i must name */
} cs_ngt_check;

/** Start a record check at the first record. O(1). */
void cs_ngt_check_begin(cs_ngt_check *c);

/**
 * Check the records of a view from cs_ngt_parse_header, resuming at *c: whole context records (with their
 * successors) until about max_floats floats were read (at most max_floats + one record: k + 3 + 2 V floats).
 * Returns 1 when every record was checked (the view is then what cs_ngt_parse gives), 0 when more remain, or
 * CS_NGT_E_FORMAT / CS_NGT_E_ARG. The same checks as cs_ngt_parse, which is this with no limit. No allocation:
 * RT-safe, bounded by max_floats.
 */
int cs_ngt_check_step(const cs_ngt_view *v, cs_ngt_check *c, size_t max_floats);

/**
 * The distribution of the next label after hist (hist_len labels 0..V-1, most recent last; only the last
 * order - 1 are read) into p (V doubles, sums to 1 up to rounding). Bounded: O(order (order log2 C + V)),
 * no allocation: RT-safe. Returns 0, or CS_NGT_E_ARG (NULL, or a history label out of range: p untouched).
 */
int cs_ngt_probs(const cs_ngt_view *v, const int *hist, size_t hist_len, double *p);

/** As cs_ngt_probs, then logits[w] = ln p[w] (cs_fastmath's log2, no libm; p = 0 gives -88.7) for a sampler
 *  that takes logits (as cs_model_logits' consumers do). work: V doubles of scratch. RT-safe. */
int cs_ngt_logits(const cs_ngt_view *v, const int *hist, size_t hist_len, double *work, float *logits);

/**
 * The mixture of a network and this n-gram model (a model file with a table, cs_model.h): logits holds the
 * network's V logits on entry and the mixture's on return, ln(w softmax(logits) + (1 - w) p_ngram(. | hist)),
 * w = net_weight in [0, 1] (clamped; NaN = 1). work: V doubles of scratch. cs_fastmath's exp and log2, no
 * libm; bounded O(V + the lookup of cs_ngt_probs): RT-safe. Returns 0 or CS_NGT_E_ARG (logits untouched).
 */
int cs_ngt_mix_logits(const cs_ngt_view *v, const int *hist, size_t hist_len, float net_weight, double *work,
                      float *logits);

#ifdef __cplusplus
}
#endif

#endif
