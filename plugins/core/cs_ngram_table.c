/* cs_ngram_table.c - the n-gram table's validator and bounded lookup. See cs_ngram_table.h. */
#include "cs_ngram_table.h"

#include "cs_fastmath.h"
#include "cs_split.h"

#include <string.h>

/* An exact integer in [lo, hi] stored in a float, into *out; 0 if not. */
static int get_int(float f, long lo, long hi, long *out)
{
    if (!(f >= (float)lo && f <= (float)hi)) return 0;
    const long v = (long)f;
    if ((float)v != f) return 0;
    *out = v;
    return 1;
}

size_t cs_ngt_size(int order, const uint32_t *n_ctx, const uint32_t *n_succ)
{
    if (order < 1 || order > CS_NGT_MAX_ORDER || !n_ctx || !n_succ) return 0;
    size_t t = (size_t)CS_NGT_HEADER_FLOATS(order);
    for (int k = 1; k <= order; k++)
        t += (size_t)n_ctx[k] * (size_t)(k + 3) + 2 * (size_t)n_succ[k];
    return t;
}

/* Compare the k-1 labels of two context records (-1, 0, 1). */
static int ctx_cmp(const float *a, const float *b, int len)
{
    for (int j = 0; j < len; j++)
        if (a[j] != b[j]) return a[j] < b[j] ? -1 : 1;
    return 0;
}

/* Validate context record i of order k and its successors: 0 or CS_NGT_E_FORMAT. *next = the expected first
 * successor of this record on entry, of the next one on return. */
static int check_record(const cs_ngt_view *v, int k, uint32_t i, uint64_t *next)
{
    const int w = k + 3, V = v->V;
    const float *r = v->ctx[k] + (size_t)i * (size_t)w, *s = v->succ[k];
    long lab, cnt;
    for (int j = 0; j < k - 1; j++)
        if (!get_int(r[j], 0, V, &lab)) return CS_NGT_E_FORMAT;
    if (i > 0 && ctx_cmp(r - w, r, k - 1) >= 0) return CS_NGT_E_FORMAT;
    const float g = r[k - 1];
    uint64_t first;
    if (!(g >= 0.0f && g <= 1.0f) || !cs_split_get(r + k, 2, &first) || !get_int(r[k + 2], 0, V, &cnt))
        return CS_NGT_E_FORMAT;
    if (first != *next || first + (uint64_t)cnt > v->n_succ[k]) return CS_NGT_E_FORMAT;
    for (long j = 0; j < cnt; j++) {
        const float *q = s + 2 * (first + (uint64_t)j);
        if (!get_int(q[0], 0, V - 1, &lab) || !(q[1] >= 0.0f && q[1] <= 1.0f)) return CS_NGT_E_FORMAT;
        if (j > 0 && !(q[-2] < q[0])) return CS_NGT_E_FORMAT;
    }
    *next = first + (uint64_t)cnt;
    return CS_NGT_OK;
}

int cs_ngt_parse_header(const float *buf, size_t n, cs_ngt_view *out)
{
    if (!out) return CS_NGT_E_ARG;
    memset(out, 0, sizeof *out);
    if (!buf) return CS_NGT_E_ARG;
    if (n < 4) return CS_NGT_E_TRUNCATED;
    long magic, version, V, order;
    if (!get_int(buf[0], 0, 16777215, &magic) || magic != CS_NGT_MAGIC) return CS_NGT_E_MAGIC;
    if (!get_int(buf[1], 0, 65535, &version) || version != CS_NGT_VERSION) return CS_NGT_E_FORMAT;
    if (!get_int(buf[2], 1, CS_NGT_MAX_VOCAB, &V) || !get_int(buf[3], 1, CS_NGT_MAX_ORDER, &order))
        return CS_NGT_E_FORMAT;
    if (n < (size_t)CS_NGT_HEADER_FLOATS(order)) return CS_NGT_E_TRUNCATED;
    cs_ngt_view v;
    memset(&v, 0, sizeof v);
    v.V = (int)V;
    v.order = (int)order;
    size_t at = (size_t)CS_NGT_HEADER_FLOATS(order);
    for (int k = 1; k <= order; k++) {
        uint64_t c, s;
        if (!cs_split_get(buf + 4 + 4 * (k - 1), 2, &c) || !cs_split_get(buf + 6 + 4 * (k - 1), 2, &s))
            return CS_NGT_E_FORMAT;
        if (c > 0xFFFFFFFFu || s > 0xFFFFFFFFu || (k == 1 && c > 1)) return CS_NGT_E_FORMAT;
        v.n_ctx[k] = (uint32_t)c;
        v.n_succ[k] = (uint32_t)s;
    }
    v.total_floats = cs_ngt_size(v.order, v.n_ctx, v.n_succ);
    if (n < v.total_floats) return CS_NGT_E_TRUNCATED;
    for (int k = 1; k <= order; k++) {
        v.ctx[k] = buf + at;
        at += (size_t)v.n_ctx[k] * (size_t)(k + 3);
        v.succ[k] = buf + at;
        at += 2 * (size_t)v.n_succ[k];
    }
    *out = v;
    return CS_NGT_OK;
}

void cs_ngt_check_begin(cs_ngt_check *c)
{
    c->k = 1;
    c->i = 0;
    c->next = 0;
}

int cs_ngt_check_step(const cs_ngt_view *v, cs_ngt_check *c, size_t max_floats)
{
    if (!v || !c || v->order < 1) return CS_NGT_E_ARG;
    size_t spent = 0;
    while (c->k <= v->order) {
        const int k = c->k;
        if (c->i >= v->n_ctx[k]) {
            if (c->next != v->n_succ[k]) return CS_NGT_E_FORMAT; /* successors no context owns */
            c->k++;
            c->i = 0;
            c->next = 0;
            continue;
        }
        if (spent >= max_floats) return 0;
        const float cnt = v->ctx[k][(size_t)c->i * (size_t)(k + 3) + (size_t)k + 2];
        const int e = check_record(v, k, c->i, &c->next);
        if (e) return e;
        spent += (size_t)(k + 3) + 2 * (size_t)cnt; /* cnt validated (0..V) by check_record */
        c->i++;
    }
    return 1;
}

int cs_ngt_parse(const float *buf, size_t n, cs_ngt_view *out)
{
    cs_ngt_view v;
    int e = cs_ngt_parse_header(buf, n, &v);
    if (e) {
        if (out) memset(out, 0, sizeof *out);
        return e;
    }
    cs_ngt_check c;
    cs_ngt_check_begin(&c);
    e = cs_ngt_check_step(&v, &c, (size_t)-1);
    if (e != 1) {
        memset(out, 0, sizeof *out);
        return e;
    }
    *out = v;
    return CS_NGT_OK;
}

/* Binary search for the context `key` (k-1 labels as floats) of order k; the record or NULL. */
static const float *find_ctx(const cs_ngt_view *v, int k, const float *key)
{
    const int w = k + 3;
    size_t lo = 0, hi = v->n_ctx[k];
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        const float *r = v->ctx[k] + mid * (size_t)w;
        const int c = ctx_cmp(r, key, k - 1);
        if (c == 0) return r;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

int cs_ngt_probs(const cs_ngt_view *v, const int *hist, size_t hist_len, double *p)
{
    if (!v || !p || (hist_len && !hist) || v->order < 1) return CS_NGT_E_ARG;
    const int V = v->V, n = v->order;
    float key[CS_NGT_MAX_ORDER]; /* the last n-1 labels, BOS-padded, oldest first */
    for (int j = 0; j < n - 1; j++) {
        const size_t back = (size_t)(n - 1 - j);
        const int lab = back <= hist_len ? hist[hist_len - back] : V;
        if (lab < 0 || lab > V || (back <= hist_len && lab == V)) return CS_NGT_E_ARG;
        key[j] = (float)lab;
    }
    for (int w = 0; w < V; w++)
        p[w] = 1.0 / V;
    for (int k = 1; k <= n; k++) {
        const float *r = find_ctx(v, k, key + (n - k)); /* the last k-1 symbols */
        if (!r) continue;
        /* validated by cs_ngt_parse, but a Buffer can be rewritten under a running UGen: every index is clamped
         * again, so a changed table gives a wrong distribution, never an access out of range */
        const double g = r[k - 1] >= 0.0f && r[k - 1] <= 1.0f ? (double)r[k - 1] : 0.0;
        uint64_t first = cs_split_join(r[k], r[k + 1]);
        uint64_t cnt = r[k + 2] >= 0.0f && r[k + 2] <= (float)V ? (uint64_t)r[k + 2] : 0;
        if (first > v->n_succ[k]) first = v->n_succ[k];
        if (cnt > v->n_succ[k] - first) cnt = v->n_succ[k] - first;
        for (int w = 0; w < V; w++)
            p[w] *= g;
        const float *s = v->succ[k] + 2 * first;
        for (uint64_t j = 0; j < cnt; j++) {
            const float lab = s[2 * j], a = s[2 * j + 1];
            if (lab >= 0.0f && lab < (float)V && a >= 0.0f && a <= 1.0f) p[(int)lab] += (double)a;
        }
    }
    return CS_NGT_OK;
}

int cs_ngt_logits(const cs_ngt_view *v, const int *hist, size_t hist_len, double *work, float *logits)
{
    if (!work || !logits) return CS_NGT_E_ARG;
    const int e = cs_ngt_probs(v, hist, hist_len, work);
    if (e) return e;
    for (int w = 0; w < v->V; w++)
        logits[w] = cs_fast_log2((float)work[w]) * 0.69314718055994531f;
    return CS_NGT_OK;
}

int cs_ngt_mix_logits(const cs_ngt_view *v, const int *hist, size_t hist_len, float net_weight, double *work,
                      float *logits)
{
    if (!work || !logits) return CS_NGT_E_ARG;
    const int e = cs_ngt_probs(v, hist, hist_len, work);
    if (e) return e;
    double w = 1.0; /* NaN */
    if (net_weight >= 0.0f)
        w = net_weight <= 1.0f ? (double)net_weight : 1.0;
    else if (net_weight < 0.0f)
        w = 0.0;
    float mx = logits[0];
    for (int i = 1; i < v->V; i++)
        mx = logits[i] > mx ? logits[i] : mx;
    double z = 0.0;
    for (int i = 0; i < v->V; i++)
        z += (double)cs_fast_exp(logits[i] - mx);
    for (int i = 0; i < v->V; i++) {
        const double p = w * (double)cs_fast_exp(logits[i] - mx) / z + (1.0 - w) * work[i];
        logits[i] = cs_fast_log2((float)p) * 0.69314718055994531f;
    }
    return CS_NGT_OK;
}
