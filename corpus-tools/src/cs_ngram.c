/*
 * cs_ngram.c - add-k and interpolated Kneser-Ney n-gram baselines. See cs_ngram.h.
 * Counts live in open-addressing hash tables, one per order k (k-grams) plus one per order for histories
 * (k-1 symbols, with the total count and the number of distinct successors N1+(h .)).
 */
#include "cs_ngram.h"

#include "cs_error.h"
#include "cs_train.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NG_MAX 5

typedef struct ng_entry {
    uint32_t key[NG_MAX];
    int64_t a; /* count (raw or continuation) or, in history tables, the total */
    int64_t b; /* history tables: distinct successors */
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
    double D[NG_MAX + 1];
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

cs_ngram *cs_ngram_train(const int *const *seqs, const size_t *lens, int n_seqs, int V, double val_fraction,
                         cs_ngram_kind kind, int order, double param, int *err)
{
    int e = CS_OK;
    cs_ngram *m = NULL;
    if (err) *err = CS_E_ARG;
    if (!seqs || !lens || n_seqs < 1 || V < 1 || V > (1 << 24) - 2 || !(val_fraction >= 0.0 && val_fraction <= 0.5))
        return NULL;
    if (kind == CS_NGRAM_ADDK) {
        if (order < 1 || order > 2 || !(param >= 0.0)) return NULL;
    } else if (kind == CS_NGRAM_KN) {
        if (order < 2 || order > NG_MAX || !(param < 1.0)) return NULL;
    } else {
        return NULL;
    }
    size_t ntot = 0;
    for (int s = 0; s < n_seqs; s++) {
        if (lens[s] && !seqs[s]) return NULL;
        const size_t ntr = cs_train_split(lens[s], val_fraction);
        for (size_t i = 0; i < lens[s]; i++)
            if (seqs[s][i] < 0 || seqs[s][i] >= V) return NULL;
        ntot += ntr;
    }
    if (ntot == 0) {
        if (err) *err = CS_E_EMPTY;
        return NULL;
    }
    m = calloc(1, sizeof *m);
    if (!m) goto nomem;
    m->kind = kind;
    m->order = order;
    m->V = V;
    m->param = param;
    const int n = order;
    for (int k = 1; k <= n; k++)
        if (tab_init(&m->gram[k], k, 64) || tab_init(&m->hist[k], k - 1 > 0 ? k - 1 : 1, 16)) goto nomem;
    /* raw counts of the highest order */
    uint32_t key[NG_MAX];
    for (int s = 0; s < n_seqs; s++) {
        const size_t ntr = cs_train_split(lens[s], val_fraction);
        for (size_t i = 0; i < ntr; i++) {
            make_key(seqs[s], i, seqs[s][i], n, V, key);
            ng_entry *en = tab_add(&m->gram[n], key);
            if (!en) goto nomem;
            en->a++;
        }
    }
    /* continuation counts of the lower orders (KN) */
    if (kind == CS_NGRAM_KN) {
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
    /* histories: totals and distinct successors; discounts from counts-of-counts */
    for (int k = (kind == CS_NGRAM_KN ? 1 : n); k <= n; k++) {
        const ng_table *g = &m->gram[k];
        int64_t n1 = 0, n2 = 0;
        for (size_t i = 0; i < g->cap; i++) {
            if (!g->e[i].used) continue;
            uint32_t hk[NG_MAX] = {0};
            memcpy(hk, g->e[i].key, (size_t)(k - 1) * sizeof *hk);
            ng_entry *h = tab_add(&m->hist[k], hk);
            if (!h) goto nomem;
            h->a += g->e[i].a;
            h->b += g->e[i].a > 0;
            n1 += g->e[i].a == 1;
            n2 += g->e[i].a == 2;
        }
        if (kind == CS_NGRAM_KN) {
            double D = param > 0.0 ? param : (n1 > 0 && n2 > 0 ? (double)n1 / (double)(n1 + 2 * n2) : 0.75);
            if (param <= 0.0) D = D < 0.05 ? 0.05 : D > 0.95 ? 0.95 : D;
            m->D[k] = D;
        }
    }
    if (err) *err = CS_OK;
    return m;
nomem:
    e = CS_E_NOMEM;
    cs_ngram_free(m);
    if (err) *err = e;
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
        const double c = g ? (double)g->a : 0.0, tot = (double)h->a, D = m->D[k];
        p = fmax(c - D, 0.0) / tot + D * (double)h->b / tot * p;
    }
    return p;
}

int cs_ngram_eval(const cs_ngram *m, const int *const *seqs, const size_t *lens, int n_seqs, double val_fraction,
                  cs_ngram_part part, double *bits, size_t *n_scored)
{
    if (!m || !seqs || !lens || n_seqs < 1 || !bits || !(val_fraction >= 0.0 && val_fraction <= 0.5)) return CS_E_ARG;
    double sum = 0.0;
    size_t cnt = 0;
    for (int s = 0; s < n_seqs; s++) {
        const size_t ntr = cs_train_split(lens[s], val_fraction);
        const size_t a = part == CS_NGRAM_VAL ? ntr : 0, b = part == CS_NGRAM_VAL ? lens[s] : ntr;
        for (size_t i = a; i < b; i++) {
            const double p = cs_ngram_prob(m, seqs[s], i, seqs[s][i]);
            if (p < 0.0) return CS_E_ARG;
            sum -= log2(p);
            cnt++;
        }
    }
    *bits = cnt ? sum / (double)cnt : (double)NAN;
    if (n_scored) *n_scored = cnt;
    return CS_OK;
}

int cs_ngram_choose_k(const int *const *seqs, const size_t *lens, int n_seqs, int V, double val_fraction, int order,
                      double *k, double *bits)
{
    static const double grid[] = {0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0};
    if (!k || !bits || order < 1 || order > 2) return CS_E_ARG;
    double best = INFINITY, bk = 1.0;
    int any = 0;
    for (size_t i = 0; i < sizeof grid / sizeof grid[0]; i++) {
        int err = CS_OK;
        cs_ngram *m = cs_ngram_train(seqs, lens, n_seqs, V, val_fraction, CS_NGRAM_ADDK, order, grid[i], &err);
        if (!m) return err;
        double b = 0.0;
        size_t n = 0;
        err = cs_ngram_eval(m, seqs, lens, n_seqs, val_fraction, CS_NGRAM_VAL, &b, &n);
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

int cs_ngram_baselines(const int *const *seqs, const size_t *lens, int n_seqs, int V, double val_fraction,
                       cs_ngram_report *rep)
{
    if (!rep || !seqs || !lens || n_seqs < 1) return CS_E_ARG;
    memset(rep, 0, sizeof *rep);
    for (int s = 0; s < n_seqs; s++) {
        const size_t ntr = cs_train_split(lens[s], val_fraction);
        rep->n_train += ntr;
        rep->n_val += lens[s] - ntr;
    }
    int err = cs_ngram_choose_k(seqs, lens, n_seqs, V, val_fraction, 1, &rep->unigram_k, &rep->unigram_bits);
    if (!err) err = cs_ngram_choose_k(seqs, lens, n_seqs, V, val_fraction, 2, &rep->bigram_k, &rep->bigram_bits);
    if (err) return err;
    rep->kn_bits[0] = rep->kn_bits[1] = NAN;
    rep->best_kn_bits = NAN;
    rep->best_order = 0;
    for (int n = 2; n <= NG_MAX; n++) {
        cs_ngram *m = cs_ngram_train(seqs, lens, n_seqs, V, val_fraction, CS_NGRAM_KN, n, 0.0, &err);
        if (!m) return err;
        err = cs_ngram_eval(m, seqs, lens, n_seqs, val_fraction, CS_NGRAM_VAL, &rep->kn_bits[n], NULL);
        cs_ngram_free(m);
        if (err) return err;
        if (rep->n_val && (rep->best_order == 0 || rep->kn_bits[n] < rep->best_kn_bits)) {
            rep->best_order = n;
            rep->best_kn_bits = rep->kn_bits[n];
        }
    }
    return CS_OK;
}
