/*
 * cs_ngram.c - add-k, interpolated Kneser-Ney and modified Kneser-Ney n-gram baselines. See cs_ngram.h.
 * Counts live in open-addressing hash tables, one per order k (k-grams) plus one per order for histories
 * (k-1 symbols, with the total count, the number of distinct successors N1+(h .) and, for modified KN, the
 * successors seen once N1(h .) and twice N2(h .)).
 */
#include "cs_ngram.h"

#include "cs_error.h"
#include "cs_ngram_table.h"
#include "cs_split.h"
#include "cs_train.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NG_MAX CS_NGRAM_MAX_ORDER

typedef struct ng_entry {
    uint32_t key[NG_MAX];
    int64_t a;      /* count (raw or continuation) or, in history tables, the total */
    int64_t b;      /* history tables: distinct successors */
    int64_t b1, b2; /* history tables: successors with count 1, with count 2 */
    int used;
} ng_entry;

typedef struct ng_table {
    ng_entry *e;
    size_t cap, n;
    int klen;
} ng_table;

struct cs_ngram {
    cs_ngram_kind kind;
    int order, V;
    double param;
    double D[NG_MAX + 1];      /* KN: one discount per order */
    double D3[NG_MAX + 1][3];  /* MKN: D1, D2, D3+ per order */
    ng_table gram[NG_MAX + 1]; /* gram[k]: k-grams */
    ng_table hist[NG_MAX + 1]; /* hist[k]: histories of k-1 symbols */
};

static uint64_t ng_hash(const uint32_t *key, int klen)
{
    uint64_t h = 0x9E3779B97F4A7C15ull ^ (uint64_t)klen;
    for (int i = 0; i < klen; i++) {
        h ^= key[i];
        h *= 0xBF58476D1CE4E5B9ull;
        h ^= h >> 29;
    }
    return h ^ (h >> 32);
}

static int tab_init(ng_table *t, int klen, size_t cap)
{
    t->klen = klen;
    t->cap = cap;
    t->n = 0;
    t->e = calloc(cap, sizeof *t->e);
    return t->e ? CS_OK : CS_E_NOMEM;
}

static ng_entry *tab_find(const ng_table *t, const uint32_t *key)
{
    if (!t->e) return NULL;
    size_t i = (size_t)ng_hash(key, t->klen) & (t->cap - 1);
    while (t->e[i].used) {
        if (memcmp(t->e[i].key, key, (size_t)t->klen * sizeof *key) == 0) return &t->e[i];
        i = (i + 1) & (t->cap - 1);
    }
    return NULL;
}

static ng_entry *tab_add(ng_table *t, const uint32_t *key)
{
    if (2 * (t->n + 1) > t->cap) {
        ng_table nt;
        if (tab_init(&nt, t->klen, t->cap * 2) != CS_OK) return NULL;
        for (size_t i = 0; i < t->cap; i++) {
            if (!t->e[i].used) continue;
            size_t j = (size_t)ng_hash(t->e[i].key, t->klen) & (nt.cap - 1);
            while (nt.e[j].used)
                j = (j + 1) & (nt.cap - 1);
            nt.e[j] = t->e[i];
        }
        nt.n = t->n;
        free(t->e);
        *t = nt;
    }
    size_t i = (size_t)ng_hash(key, t->klen) & (t->cap - 1);
    while (t->e[i].used) {
        if (memcmp(t->e[i].key, key, (size_t)t->klen * sizeof *key) == 0) return &t->e[i];
        i = (i + 1) & (t->cap - 1);
    }
    memset(&t->e[i], 0, sizeof t->e[i]);
    memcpy(t->e[i].key, key, (size_t)t->klen * sizeof *key);
    t->e[i].used = 1;
    t->n++;
    return &t->e[i];
}

void cs_ngram_free(cs_ngram *m)
{
    if (!m) return;
    for (int k = 0; k <= NG_MAX; k++) {
        free(m->gram[k].e);
        free(m->hist[k].e);
    }
    free(m);
}

int cs_ngram_order(const cs_ngram *m)
{
    return m ? m->order : 0;
}

double cs_ngram_discount(const cs_ngram *m, int k)
{
    if (!m || m->kind != CS_NGRAM_KN || k < 1 || k > m->order) return 0.0;
    return m->D[k];
}

int cs_ngram_mkn_discounts(const cs_ngram *m, int k, double D[3])
{
    if (!m || !D || m->kind != CS_NGRAM_MKN || k < 1 || k > m->order) return CS_E_ARG;
    memcpy(D, m->D3[k], sizeof m->D3[k]);
    return CS_OK;
}

/* The padded history+label key of order k ending at position i of seq (seq[i] = label). */
static void make_key(const int *hist, size_t hist_len, int label, int k, int bos, uint32_t *key)
{
    for (int j = 0; j < k - 1; j++) {
        /* key[j] is the label (k - 1 - j) positions back */
        const size_t back = (size_t)(k - 1 - j);
        key[j] = back <= hist_len ? (uint32_t)hist[hist_len - back] : (uint32_t)bos;
    }
    key[k - 1] = (uint32_t)label;
}

/* The three modified-KN discounts from counts-of-counts n[1..4] (cs_ngram.h). */
static void mkn_discounts(const int64_t n[5], double D[3])
{
    const double n1 = (double)n[1], n2 = (double)n[2], n3 = (double)n[3], n4 = (double)n[4];
    const double Y = n1 > 0 && n2 > 0 ? n1 / (n1 + 2.0 * n2) : 0.5;
    D[0] = n1 > 0 ? 1.0 - 2.0 * Y * n2 / n1 : 0.5;
    D[1] = n2 > 0 ? 2.0 - 3.0 * Y * n3 / n2 : 1.0;
    D[2] = n3 > 0 ? 3.0 - 4.0 * Y * n4 / n3 : 1.5;
    for (int j = 0; j < 3; j++)
        D[j] = fmin((double)(j + 1) - 0.05, fmax(0.05, D[j]));
}

/* Check the arguments of cs_ngram_train; returns the number of training labels, or -1 on a bad argument. */
static long long check_train_args(const int *const *seqs, const size_t *lens, int n_seqs, int V, cs_split split,
                                  cs_ngram_kind kind, int order, double param)
{
    if (!seqs || !lens || n_seqs < 1 || V < 1 || V > (1 << 24) - 2 || cs_split_check(split) != CS_OK) return -1;
    if (kind == CS_NGRAM_ADDK) {
        if (order < 1 || order > 2 || !(param >= 0.0)) return -1;
    } else if (kind == CS_NGRAM_KN || kind == CS_NGRAM_MKN) {
        if (order < 2 || order > NG_MAX || !(param < 1.0) || isnan(param)) return -1;
    } else {
        return -1;
    }
    long long ntot = 0;
    for (int s = 0; s < n_seqs; s++) {
        if (lens[s] && !seqs[s]) return -1;
        for (size_t i = 0; i < lens[s]; i++)
            if (seqs[s][i] < 0 || seqs[s][i] >= V) return -1;
        ntot += (long long)cs_split_count(lens[s], split, CS_PART_TRAIN);
    }
    return ntot;
}

/* Histories of order k from its k-grams (totals, distinct successors, successors seen once / twice) and the
 * order's discount(s). Returns CS_OK or CS_E_NOMEM. */
static int build_histories(cs_ngram *m, int k)
{
    const ng_table *g = &m->gram[k];
    int64_t nc[5] = {0};
    for (size_t i = 0; i < g->cap; i++) {
        if (!g->e[i].used) continue;
        uint32_t hk[NG_MAX] = {0};
        memcpy(hk, g->e[i].key, (size_t)(k - 1) * sizeof *hk);
        ng_entry *h = tab_add(&m->hist[k], hk);
        if (!h) return CS_E_NOMEM;
        const int64_t c = g->e[i].a;
        h->a += c;
        h->b += c > 0;
        h->b1 += c == 1;
        h->b2 += c == 2;
        if (c >= 1 && c <= 4) nc[c]++;
    }
    if (m->kind == CS_NGRAM_KN) {
        const double param = m->param;
        double D = param > 0.0 ? param : (nc[1] > 0 && nc[2] > 0 ? (double)nc[1] / (double)(nc[1] + 2 * nc[2]) : 0.75);
        if (param <= 0.0) D = D < 0.05 ? 0.05 : D > 0.95 ? 0.95 : D;
        m->D[k] = D;
    } else if (m->kind == CS_NGRAM_MKN) {
        mkn_discounts(nc, m->D3[k]);
    }
    return CS_OK;
}

cs_ngram *cs_ngram_train(const int *const *seqs, const size_t *lens, int n_seqs, int V, cs_split split,
                         cs_ngram_kind kind, int order, double param, int *err)
{
    if (err) *err = CS_E_ARG;
    const long long ntot = check_train_args(seqs, lens, n_seqs, V, split, kind, order, param);
    if (ntot < 0) return NULL;
    if (ntot == 0) {
        if (err) *err = CS_E_EMPTY;
        return NULL;
    }
    cs_ngram *m = calloc(1, sizeof *m);
    if (!m) goto nomem;
    m->kind = kind;
    m->order = order;
    m->V = V;
    m->param = kind == CS_NGRAM_MKN ? 0.0 : param;
    const int n = order;
    for (int k = 1; k <= n; k++)
        if (tab_init(&m->gram[k], k, 64) || tab_init(&m->hist[k], k - 1 > 0 ? k - 1 : 1, 16)) goto nomem;
    /* raw counts of the highest order, from the training parts only */
    uint32_t key[NG_MAX];
    for (int s = 0; s < n_seqs; s++) {
        const size_t ntr = cs_split_count(lens[s], split, CS_PART_TRAIN);
        for (size_t i = 0; i < ntr; i++) {
            make_key(seqs[s], i, seqs[s][i], n, V, key);
            ng_entry *en = tab_add(&m->gram[n], key);
            if (!en) goto nomem;
            en->a++;
        }
    }
    /* continuation counts of the lower orders (KN, MKN) */
    if (kind != CS_NGRAM_ADDK) {
        for (int k = n - 1; k >= 1; k--) {
            const ng_table *up = &m->gram[k + 1];
            for (size_t i = 0; i < up->cap; i++) {
                if (!up->e[i].used) continue;
                ng_entry *en = tab_add(&m->gram[k], up->e[i].key + 1);
                if (!en) goto nomem;
                en->a++;
            }
        }
    }
    for (int k = (kind == CS_NGRAM_ADDK ? n : 1); k <= n; k++)
        if (build_histories(m, k) != CS_OK) goto nomem;
    if (err) *err = CS_OK;
    return m;
nomem:
    cs_ngram_free(m);
    if (err) *err = CS_E_NOMEM;
    return NULL;
}

double cs_ngram_prob(const cs_ngram *m, const int *hist, size_t hist_len, int label)
{
    if (!m || label < 0 || label >= m->V || (hist_len && !hist)) return -1.0;
    const int V = m->V, n = m->order;
    uint32_t key[NG_MAX], hk[NG_MAX] = {0};
    if (m->kind == CS_NGRAM_ADDK) {
        make_key(hist, hist_len, label, n, V, key);
        memcpy(hk, key, (size_t)(n - 1) * sizeof *hk);
        const ng_entry *g = tab_find(&m->gram[n], key);
        const ng_entry *h = tab_find(&m->hist[n], hk);
        const double c = g ? (double)g->a : 0.0, tot = h ? (double)h->a : 0.0;
        const double den = tot + m->param * V;
        return den > 0.0 ? (c + m->param) / den : 1.0 / V;
    }
    double p = 1.0 / V;
    make_key(hist, hist_len, label, n, V, key);
    for (int k = 1; k <= n; k++) {
        const uint32_t *kk = key + (n - k); /* the last k symbols */
        memset(hk, 0, sizeof hk);
        memcpy(hk, kk, (size_t)(k - 1) * sizeof *hk);
        const ng_entry *h = tab_find(&m->hist[k], hk);
        if (!h || h->a <= 0) continue; /* unseen history: back off entirely */
        const ng_entry *g = tab_find(&m->gram[k], kk);
        const double c = g ? (double)g->a : 0.0, tot = (double)h->a;
        if (m->kind == CS_NGRAM_KN) {
            const double D = m->D[k];
            p = fmax(c - D, 0.0) / tot + D * (double)h->b / tot * p;
        } else {
            const double *D = m->D3[k];
            const double Dc = c <= 0.0 ? 0.0 : c < 1.5 ? D[0] : c < 2.5 ? D[1] : D[2];
            const double n3 = (double)(h->b - h->b1 - h->b2);
            const double gamma = (D[0] * (double)h->b1 + D[1] * (double)h->b2 + D[2] * n3) / tot;
            p = (c - Dc) / tot + gamma * p;
        }
    }
    return p;
}

int cs_ngram_eval(const cs_ngram *m, const int *const *seqs, const size_t *lens, int n_seqs, cs_split split,
                  cs_part part, double *bits, size_t *n_scored, double *losses)
{
    if (!m || !seqs || !lens || n_seqs < 1 || !bits || cs_split_check(split) != CS_OK) return CS_E_ARG;
    if (part < CS_PART_TRAIN || part > CS_PART_TEST) return CS_E_ARG;
    double sum = 0.0;
    size_t cnt = 0;
    for (int s = 0; s < n_seqs; s++) {
        size_t a, b;
        cs_split_part(lens[s], split, part, &a, &b);
        for (size_t i = a; i < b; i++) {
            const double p = cs_ngram_prob(m, seqs[s], i, seqs[s][i]);
            if (p < 0.0) return CS_E_ARG;
            const double l = -log2(p);
            sum += l;
            if (losses) losses[cnt] = l;
            cnt++;
        }
    }
    *bits = cnt ? sum / (double)cnt : (double)NAN;
    if (n_scored) *n_scored = cnt;
    return CS_OK;
}

int cs_ngram_choose_k(const int *const *seqs, const size_t *lens, int n_seqs, int V, cs_split split, int order,
                      double *k, double *bits)
{
    static const double grid[] = {0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0};
    if (!k || !bits || order < 1 || order > 2) return CS_E_ARG;
    double best = INFINITY, bk = 1.0;
    int any = 0;
    for (size_t i = 0; i < sizeof grid / sizeof grid[0]; i++) {
        int err = CS_OK;
        cs_ngram *m = cs_ngram_train(seqs, lens, n_seqs, V, split, CS_NGRAM_ADDK, order, grid[i], &err);
        if (!m) return err;
        double b = 0.0;
        size_t n = 0;
        err = cs_ngram_eval(m, seqs, lens, n_seqs, split, CS_PART_VAL, &b, &n, NULL);
        cs_ngram_free(m);
        if (err) return err;
        if (n == 0) break;
        any = 1;
        if (b < best) {
            best = b;
            bk = grid[i];
        }
    }
    *k = any ? bk : 1.0;
    *bits = any ? best : (double)NAN;
    return CS_OK;
}

void cs_ngram_report_free(cs_ngram_report *rep)
{
    if (!rep) return;
    for (int i = 0; i < CS_NG_COUNT; i++) {
        free(rep->base[i].test_losses);
        rep->base[i].test_losses = NULL;
    }
}

/* KN or MKN of every order 2..max_order on validation into val[]; the best order (lowest bits, lowest order
 * on ties; 0 without validation) into *order. */
static int choose_order(const int *const *seqs, const size_t *lens, int n_seqs, int V, cs_split split,
                        cs_ngram_kind kind, int max_order, int has_val, double *val, int *order, double *best)
{
    *order = 0;
    *best = NAN;
    for (int n = 2; n <= max_order; n++) {
        int err = CS_OK;
        cs_ngram *m = cs_ngram_train(seqs, lens, n_seqs, V, split, kind, n, 0.0, &err);
        if (!m) return err;
        err = cs_ngram_eval(m, seqs, lens, n_seqs, split, CS_PART_VAL, &val[n], NULL, NULL);
        cs_ngram_free(m);
        if (err) return err;
        if (has_val && (*order == 0 || val[n] < *best)) {
            *order = n;
            *best = val[n];
        }
    }
    return CS_OK;
}

int cs_ngram_choose_order(const int *const *seqs, const size_t *lens, int n_seqs, int V, cs_split split,
                          cs_ngram_kind kind, int max_order, int *order, double *val_bits)
{
    if (!seqs || !lens || n_seqs < 1 || !order || !val_bits || max_order < 2 || max_order > NG_MAX) return CS_E_ARG;
    if (kind != CS_NGRAM_KN && kind != CS_NGRAM_MKN) return CS_E_ARG;
    size_t nv = 0;
    for (int s = 0; s < n_seqs; s++)
        nv += cs_split_count(lens[s], split, CS_PART_VAL);
    double val[NG_MAX + 1];
    return choose_order(seqs, lens, n_seqs, V, split, kind, max_order, nv > 0, val, order, val_bits);
}

/* Score one chosen baseline on the test part (once), filling test_bits and test_losses. */
static int score_test(const int *const *seqs, const size_t *lens, int n_seqs, int V, cs_split split, size_t n_test,
                      cs_ngram_choice *c)
{
    c->test_bits = NAN;
    if (n_test == 0 || c->order == 0) return CS_OK;
    c->test_losses = malloc(n_test * sizeof *c->test_losses);
    if (!c->test_losses) return CS_E_NOMEM;
    int err = CS_OK;
    cs_ngram *m = cs_ngram_train(seqs, lens, n_seqs, V, split, c->kind, c->order, c->param, &err);
    if (!m) return err;
    err = cs_ngram_eval(m, seqs, lens, n_seqs, split, CS_PART_TEST, &c->test_bits, NULL, c->test_losses);
    cs_ngram_free(m);
    return err;
}

int cs_ngram_baselines(const int *const *seqs, const size_t *lens, int n_seqs, int V, cs_split split, int max_order,
                       cs_ngram_report *rep)
{
    if (!rep) return CS_E_ARG;
    memset(rep, 0, sizeof *rep);
    if (!seqs || !lens || n_seqs < 1 || max_order < 2 || max_order > NG_MAX || cs_split_check(split)) return CS_E_ARG;
    for (int s = 0; s < n_seqs; s++) {
        rep->n_train += cs_split_count(lens[s], split, CS_PART_TRAIN);
        rep->n_val += cs_split_count(lens[s], split, CS_PART_VAL);
        rep->n_test += cs_split_count(lens[s], split, CS_PART_TEST);
    }
    for (int n = 0; n <= NG_MAX; n++)
        rep->kn_val[n] = rep->mkn_val[n] = NAN;
    const int has_val = rep->n_val > 0;
    cs_ngram_choice *b = rep->base;
    b[CS_NG_UNIGRAM] = (cs_ngram_choice){CS_NGRAM_ADDK, 1, 1.0, NAN, NAN, NULL};
    b[CS_NG_BIGRAM] = (cs_ngram_choice){CS_NGRAM_ADDK, 2, 1.0, NAN, NAN, NULL};
    b[CS_NG_KN] = (cs_ngram_choice){CS_NGRAM_KN, 0, 0.0, NAN, NAN, NULL};
    b[CS_NG_MKN] = (cs_ngram_choice){CS_NGRAM_MKN, 0, 0.0, NAN, NAN, NULL};
    int err = cs_ngram_choose_k(seqs, lens, n_seqs, V, split, 1, &b[CS_NG_UNIGRAM].param, &b[CS_NG_UNIGRAM].val_bits);
    if (!err)
        err = cs_ngram_choose_k(seqs, lens, n_seqs, V, split, 2, &b[CS_NG_BIGRAM].param, &b[CS_NG_BIGRAM].val_bits);
    if (!err)
        err = choose_order(seqs, lens, n_seqs, V, split, CS_NGRAM_KN, max_order, has_val, rep->kn_val,
                           &b[CS_NG_KN].order, &b[CS_NG_KN].val_bits);
    if (!err)
        err = choose_order(seqs, lens, n_seqs, V, split, CS_NGRAM_MKN, max_order, has_val, rep->mkn_val,
                           &b[CS_NG_MKN].order, &b[CS_NG_MKN].val_bits);
    if (!has_val) b[CS_NG_UNIGRAM].order = b[CS_NG_BIGRAM].order = 0; /* nothing was chosen: nothing to score */
    /* every choice is made: only now is the test part read, once per baseline */
    for (int i = 0; i < CS_NG_COUNT && !err; i++)
        err = score_test(seqs, lens, n_seqs, V, split, rep->n_test, &b[i]);
    if (!has_val) b[CS_NG_UNIGRAM].order = 1, b[CS_NG_BIGRAM].order = 2;
    return err;
}

/* ---- export to the core's table (plugins/core/cs_ngram_table.h) ---- */

/* One k-gram of the table being built: its key (history labels then the label) and its entry. */
typedef struct gram_ref {
    const uint32_t *key;
    const ng_entry *e;
    int klen;
} gram_ref;

static int gram_cmp(const void *a, const void *b)
{
    const gram_ref *x = a, *y = b;
    for (int j = 0; j < x->klen; j++)
        if (x->key[j] != y->key[j]) return x->key[j] < y->key[j] ? -1 : 1;
    return 0;
}

/* The stored a(h, w) of a k-gram with count c under history entry h, and g(h). */
static double table_alpha(const cs_ngram *m, int k, double c, const ng_entry *h)
{
    if (m->kind == CS_NGRAM_KN) return fmax(c - m->D[k], 0.0) / (double)h->a;
    const double *D = m->D3[k];
    return (c - (c < 1.5 ? D[0] : c < 2.5 ? D[1] : D[2])) / (double)h->a;
}

static double table_gamma(const cs_ngram *m, int k, const ng_entry *h)
{
    const double tot = (double)h->a;
    if (m->kind == CS_NGRAM_KN) return m->D[k] * (double)h->b / tot;
    const double *D = m->D3[k];
    return (D[0] * (double)h->b1 + D[1] * (double)h->b2 + D[2] * (double)(h->b - h->b1 - h->b2)) / tot;
}

/* Write the records of order k at out (contexts, then successors); the grams sorted in refs. */
static void table_order(const cs_ngram *m, int k, const gram_ref *refs, size_t n, float *ctx, float *succ)
{
    size_t nc = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && memcmp(refs[j].key, refs[i].key, (size_t)(k - 1) * sizeof *refs[i].key) == 0)
            j++;
        uint32_t hk[NG_MAX] = {0};
        memcpy(hk, refs[i].key, (size_t)(k - 1) * sizeof *hk);
        const ng_entry *h = tab_find(&m->hist[k], hk);
        float *r = ctx + nc * (size_t)(k + 3);
        for (int q = 0; q < k - 1; q++)
            r[q] = (float)refs[i].key[q];
        r[k - 1] = (float)table_gamma(m, k, h);
        cs_split_put(r + k, 2, (uint64_t)i);
        r[k + 2] = (float)(j - i);
        for (size_t q = i; q < j; q++) {
            succ[2 * q] = (float)refs[q].key[k - 1];
            succ[2 * q + 1] = (float)table_alpha(m, k, (double)refs[q].e->a, h);
        }
        nc++;
        i = j;
    }
}

int cs_ngram_table_write(const cs_ngram *m, float **out, size_t *n_floats)
{
    if (!m || !out || !n_floats || (m->kind != CS_NGRAM_KN && m->kind != CS_NGRAM_MKN)) return CS_E_ARG;
    if (m->V > CS_NGT_MAX_VOCAB || m->order > CS_NGT_MAX_ORDER) return CS_E_ARG;
    *out = NULL;
    *n_floats = 0;
    const int n = m->order;
    uint32_t nc[NG_MAX + 1] = {0}, ns[NG_MAX + 1] = {0};
    for (int k = 1; k <= n; k++) {
        nc[k] = (uint32_t)m->hist[k].n;
        ns[k] = (uint32_t)m->gram[k].n;
    }
    const size_t total = cs_ngt_size(n, nc, ns);
    float *t = calloc(total, sizeof *t);
    gram_ref *refs = NULL;
    if (!t) return CS_E_NOMEM;
    t[0] = (float)CS_NGT_MAGIC;
    t[1] = (float)CS_NGT_VERSION;
    t[2] = (float)m->V;
    t[3] = (float)n;
    size_t at = (size_t)CS_NGT_HEADER_FLOATS(n);
    for (int k = 1; k <= n; k++) {
        cs_split_put(t + 4 + 4 * (k - 1), 2, nc[k]);
        cs_split_put(t + 6 + 4 * (k - 1), 2, ns[k]);
        const ng_table *g = &m->gram[k];
        refs = malloc((g->n ? g->n : 1) * sizeof *refs);
        if (!refs) {
            free(t);
            return CS_E_NOMEM;
        }
        size_t r = 0;
        for (size_t i = 0; i < g->cap; i++)
            if (g->e[i].used) refs[r++] = (gram_ref){g->e[i].key, &g->e[i], k};
        qsort(refs, r, sizeof *refs, gram_cmp);
        float *ctx = t + at, *succ = ctx + (size_t)nc[k] * (size_t)(k + 3);
        table_order(m, k, refs, r, ctx, succ);
        at += (size_t)nc[k] * (size_t)(k + 3) + 2 * (size_t)ns[k];
        free(refs);
    }
    *out = t;
    *n_floats = total;
    return CS_OK;
}
