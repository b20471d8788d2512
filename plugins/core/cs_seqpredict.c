/* cs_seqpredict.c - the host-independent logic of the SeqPredict UGen. See cs_seqpredict.h. */
#include "cs_seqpredict.h"

#include "cs_model_desc.h"

#include <math.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* ---------------------------------------------------------------------------------------------- helpers */

size_t cs_seqp_align64(size_t n)
{
    return (n + 63u) & ~(size_t)63u;
}

int64_t cs_seqp_seed_value(float s)
{
    if (!(s >= 0.0f) || s != s) return -1;
    double d = (double)s;
    if (d > CS_SEQP_MAX_SEED) d = CS_SEQP_MAX_SEED;
    return (int64_t)d;
}

void cs_seqp_params(float temperature, float top_k, float top_p, float penalty, float hist, int vocab,
                    cs_sample_params *out, int *n_hist)
{
    float t = temperature == temperature ? temperature : 1.0f;
    out->temperature = t < 0.0f ? 0.0f : (t > CS_SEQP_MAX_TEMPERATURE ? CS_SEQP_MAX_TEMPERATURE : t);
    float k = top_k == top_k ? top_k : 0.0f;
    out->top_k = k < 1.0f ? 0 : (k >= (float)vocab ? vocab : (int)k);
    float p = top_p == top_p ? top_p : 1.0f;
    out->top_p = p < 0.0f ? 0.0f : (p > 1.0f ? 1.0f : p);
    float r = penalty == penalty ? penalty : 1.0f;
    out->repetition_penalty = r < 0.0f ? 0.0f : (r > CS_SEQP_MAX_PENALTY ? CS_SEQP_MAX_PENALTY : r);
    float h = hist == hist ? hist : 0.0f;
    *n_hist = h < 1.0f ? 0 : (h >= (float)CS_SEQP_MAX_HISTORY ? CS_SEQP_MAX_HISTORY : (int)h);
}

/* Allocator bytes for a model state of `st` bytes and the rest (cs_seqp_mem_size's layout). */
static size_t seqp_mem_for(const cs_model_view *view, size_t st)
{
    size_t sc = cs_sample_scratch_size(view->cfg.vocab);
    if (!st || !sc) return 0;
    return 64u + cs_seqp_align64(st) + cs_seqp_align64(sc) + cs_seqp_align64((size_t)view->cfg.vocab) +
           cs_seqp_align64(CS_SEQP_QUEUE * sizeof(cs_seqp_event)) +
           cs_seqp_align64((size_t)view->cfg.vocab * sizeof(float)) +
           cs_seqp_align64((size_t)view->cfg.vocab * sizeof(double)) +
           cs_seqp_align64((size_t)view->cfg.vocab * sizeof(float));
}

size_t cs_seqp_mem_size(const cs_model_view *view)
{
    return seqp_mem_for(view, cs_model_state_size(view));
}

size_t cs_seqp_mem_size_min(const cs_model_view *view)
{
    return seqp_mem_for(view, cs_model_state_size_min(view));
}

float cs_seqp_guidance_value(float g)
{
    if (!(g > 0.0f) || !isfinite(g)) return 0.0f; /* NaN, inf, <= 0 */
    return g > CS_SEQP_MAX_GUIDANCE ? CS_SEQP_MAX_GUIDANCE : g;
}

/* The usable terms of a guide's target: descriptor index, value (float) and weight, in target order. */
static uint32_t guide_terms(const cs_seqp_guide *g, uint32_t *dim, float *val, double *w)
{
    uint32_t m = 0;
    if (!g) return 0;
    const cs_select_target *t = &g->target;
    const uint32_t D = g->num_descriptors;
    if (t->full) {
        const uint32_t len = t->full_len < D ? t->full_len : D;
        for (uint32_t j = 0; j < len && m < CS_SEQP_GUIDE_MAX_TERMS; ++j) {
            if (!isfinite(t->full[j])) continue;
            dim[m] = j;
            val[m++] = t->full[j];
        }
    } else {
        const uint32_t nd = t->num_dims < CS_SELECT_MAX_TARGET_DIMS ? t->num_dims : CS_SELECT_MAX_TARGET_DIMS;
        for (uint32_t j = 0; j < nd && m < CS_SEQP_GUIDE_MAX_TERMS; ++j) {
            if (t->dim[j] >= D || !isfinite(t->value[j])) continue;
            dim[m] = t->dim[j];
            val[m++] = t->value[j];
        }
    }
    for (uint32_t j = 0; j < m; ++j) {
        float x = g->weight ? g->weight[dim[j]] : 1.0f;
        w[j] = (x > 0.0f && isfinite(x)) ? (double)x : 1.0;
    }
    return m;
}

uint64_t cs_seqp_guide_cost(int vocab, const cs_seqp_guide *guide)
{
    uint32_t dim[CS_SEQP_GUIDE_MAX_TERMS];
    float val[CS_SEQP_GUIDE_MAX_TERMS];
    double w[CS_SEQP_GUIDE_MAX_TERMS];
    uint32_t m = guide && guide->centroids ? guide_terms(guide, dim, val, w) : 0;
    if (!m || vocab < 1) return 0;
    return (uint64_t)vocab * (m + 1u) * CS_SEQP_GUIDE_MADDS_PER_TERM;
}

/* Does label k have a centroid (a label of the table with at least one unit)? */
static int guide_has_centroid(const cs_seqp_guide *g, int k)
{
    if ((uint32_t)k >= g->num_labels) return 0;
    if (!g->labels) return 1;
    float c = g->labels[2 * (size_t)k + 1];
    return c >= 1.0f; /* NaN: no */
}

int cs_seqp_guide_logits(const float *logits, int vocab, const cs_seqp_guide *guide, float guidance, double *work,
                         float *out)
{
    const float g = cs_seqp_guidance_value(guidance);
    if (g == 0.0f || !guide || !guide->centroids || vocab < 1) return 0;
    uint32_t dim[CS_SEQP_GUIDE_MAX_TERMS];
    float val[CS_SEQP_GUIDE_MAX_TERMS];
    double w[CS_SEQP_GUIDE_MAX_TERMS];
    const uint32_t m = guide_terms(guide, dim, val, w);
    if (m == 0) return 0;
    double wsum = 0.0;
    for (uint32_t j = 0; j < m; ++j)
        wsum += w[j];
    const size_t D = guide->num_descriptors;
    double dmin = INFINITY, dmax = -INFINITY;
    for (int k = 0; k < vocab; ++k) {
        work[k] = -1.0; /* no centroid */
        if (!guide_has_centroid(guide, k)) continue;
        const float *c = guide->centroids + (size_t)k * D;
        double acc = 0.0;
        for (uint32_t j = 0; j < m; ++j) {
            double d = (double)val[j] - (double)c[dim[j]];
            acc += w[j] * (d * d);
        }
        double d2 = acc / wsum;
        if (!(d2 == d2)) d2 = INFINITY; /* a NaN centroid (the Buffer written since it was checked): farthest */
        work[k] = d2;
        if (d2 < dmin) dmin = d2;
        if (d2 > dmax) dmax = d2;
    }
    if (!isfinite(dmin)) return 0; /* no label with a (finite) centroid */
    const double half_g = (double)g * 0.5;
    for (int k = 0; k < vocab; ++k) {
        double d2 = work[k] < 0.0 ? dmax : work[k];
        out[k] = (float)((double)logits[k] - half_g * (d2 - dmin)); /* d2 - dmin >= 0; inf -> -inf, never NaN */
    }
    return 1;
}

void cs_seqp_corpus_init(cs_seqp_corpus *c)
{
    memset(c, 0, sizeof *c);
    c->state = CS_SEQP_CORPUS_OFF;
}

int cs_seqp_corpus_bind(cs_seqp_corpus *c, int wanted, const float *data, uint32_t samples, uint32_t channels)
{
    if (!wanted) {
        if (c->state != CS_SEQP_CORPUS_OFF) cs_seqp_corpus_init(c); /* OFF is only ever set by init: already so */
        return c->state;
    }
    if (!data || samples == 0) {
        c->data = NULL;
        c->samples = c->channels = 0;
        c->checking = 0;
        c->state = CS_SEQP_CORPUS_NONE;
        return c->state;
    }
    if (data != c->data || samples != c->samples || channels != c->channels || c->state == CS_SEQP_CORPUS_OFF ||
        c->state == CS_SEQP_CORPUS_NONE) {
        c->data = data;
        c->samples = samples;
        c->channels = channels;
        c->checking = 0;
        c->err = channels != 1 ? CS_UT_E_DIMS : cs_ut_parse(data, samples, 0, &c->view); /* O(1) */
        if (c->err != CS_UT_OK) {
            c->state = CS_SEQP_CORPUS_BAD;
        } else if (!c->view.has_listen) {
            c->err = CS_UT_E_NO_LISTEN;
            c->state = CS_SEQP_CORPUS_NO_LISTEN;
        } else {
            c->state = CS_SEQP_CORPUS_OK;
            cs_ut_check_begin(&c->check);
            c->checking = 1;
        }
    }
    if (c->checking) {
        int r = cs_ut_check_step(&c->view, &c->check, CS_SEQP_CORPUS_CHECK_BUDGET);
        if (r != CS_UT_CHECK_MORE) {
            c->checking = 0;
            if (r != CS_UT_OK) {
                c->err = r;
                c->state = CS_SEQP_CORPUS_BAD;
            }
        }
    }
    return c->state;
}

int cs_seqp_guide_view(const cs_ut_view *view, const cs_select_target *target, cs_seqp_guide *g)
{
    memset(g, 0, sizeof *g);
    if (!view || !view->has_listen || !view->listen.centroids || !target) return 0;
    g->centroids = view->listen.centroids;
    g->weight = view->listen.weight;
    g->labels = view->labels;
    g->num_labels = view->num_labels;
    g->num_descriptors = view->num_descriptors;
    g->target = *target;
    return 1;
}

int cs_seqp_corpus_guide(const cs_seqp_corpus *c, const cs_select_target *target, cs_seqp_guide *g)
{
    if (c->state != CS_SEQP_CORPUS_OK) {
        memset(g, 0, sizeof *g);
        return 0;
    }
    return cs_seqp_guide_view(&c->view, target, g);
}

uint64_t cs_seqp_ngram_cost(const cs_seqp *p)
{
    if (!p->model || !p->has_ngram) return 0;
    const uint64_t order = (uint64_t)p->ngt.order;
    return (uint64_t)p->vocab * (CS_SEQP_NGRAM_MADDS_PER_LABEL + order * CS_SEQP_NGRAM_MADDS_PER_ORDER) +
           order * CS_SEQP_NGRAM_MADDS_PER_LOOKUP;
}

/* Is the network part of the bound model run at all? (A pure n-gram model, weight 0, never steps it.) */
static int net_used(const cs_seqp *p)
{
    return !p->has_ngram || p->net_weight > 0.0f;
}

uint64_t cs_seqp_event_cost(const cs_seqp *p, const cs_seqp_event *e)
{
    if (!p->model) return 0;
    if (e->is_reset) return p->step_madds;
    const uint64_t net = net_used(p) ? p->step_madds : 0;
    return net + p->ngram_madds + cs_seqp_sample_cost(p->vocab, e, p->sample_simd);
}

uint64_t cs_seqp_sample_cost(int vocab, const cs_seqp_event *e, int simd)
{
    if (vocab < 1) return 0;
    const int forced = e->prime >= 0.0f && e->prime < (float)vocab;
    const int trunc = !forced && ((e->sp.top_k > 0 && e->sp.top_k < vocab) || e->sp.top_p < 1.0f);
    uint64_t per_label = CS_SEQP_SAMPLE_MADDS_PLAIN;
    if (trunc && simd && vocab <= CS_SEQP_SAMPLE_REG_MAX) {
        per_label += CS_SEQP_SAMPLE_MADDS_TRUNC_REG; /* the threshold search and the ranking in registers */
    } else if (trunc) {
        unsigned levels = 0; /* ceil(log2 V), V <= 4096: at most 12 (the heap the nucleus is ranked in) */
        while ((1u << levels) < (unsigned)vocab)
            levels++;
        per_label += (uint64_t)levels * (simd ? CS_SEQP_SAMPLE_MADDS_TRUNC : CS_SEQP_SAMPLE_MADDS_TRUNC_PORTABLE);
    }
    return (uint64_t)vocab * per_label;
}

int cs_seqp_sample_simd(void)
{
#if CS_FASTMATH_HAVE_AVX2 && (defined(__GNUC__) || defined(__clang__))
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); /* cs_sample.c's choice of its path */
#else
    return 0;
#endif
}

size_t cs_seqp_queued(const cs_seqp *p)
{
    return p->model ? (size_t)(p->q_in - p->q_out) : 0;
}

/* Empty the queue, counting the triggers in it as dropped. */
static void queue_drop(cs_seqp *p)
{
    for (uint64_t i = p->q_out; p->queue && i < p->q_in; i++)
        if (!p->queue[i % CS_SEQP_QUEUE].is_reset) p->dropped++;
    p->q_out = p->q_in;
    if (p->q_counted < p->q_in) p->q_counted = p->q_in;
}

void cs_seqp_init(cs_seqp *p, uint64_t fallback_seed)
{
    memset(p, 0, sizeof *p);
    p->status = CS_SEQP_NO_BUFFER;
    p->label = (float)CS_LABEL_NONE;
    p->fallback_seed = fallback_seed;
    cs_rng_seed(&p->rng, fallback_seed);
}

void cs_seqp_history_clear(cs_seqp *p)
{
    p->hist_head = 0;
    p->hist_count = 0;
}

void cs_seqp_history_push(cs_seqp *p, int label)
{
    p->hist[p->hist_head] = label;
    p->hist[p->hist_head + CS_SEQP_MAX_HISTORY] = label;
    p->hist_head = (p->hist_head + 1) % CS_SEQP_MAX_HISTORY;
    if (p->hist_count < CS_SEQP_MAX_HISTORY) p->hist_count++;
}

void cs_seqp_reset(cs_seqp *p, int64_t seed)
{
    if (p->model) cs_model_reset(p->model);
    p->pending_feed = 0;
    cs_seqp_history_clear(p);
    if (p->model) cs_lcache_reset(&p->cache);
    if (seed >= 0) cs_rng_seed(&p->rng, (uint64_t)seed);
    p->resets++;
}

void cs_seqp_unbind(cs_seqp *p)
{
    queue_drop(p);
    p->model = NULL;
    p->pending_feed = 0;
    p->vocab = 0;
    p->label = (float)CS_LABEL_NONE;
    p->prob = 0.0f;
    p->entropy = 0.0f;
    cs_seqp_history_clear(p);
}

void cs_seqp_release(cs_seqp *p, cs_seqp_free_fn free_fn, void *user)
{
    cs_seqp_unbind(p);
    if (p->mem && free_fn) free_fn(user, p->mem);
    p->mem = NULL;
    p->mem_bytes = 0;
}

/* Place state, scratch and mask in p->mem (>= cs_seqp_mem_size bytes). */

int cs_seqp_place(cs_seqp *p, int64_t seed)
{
    unsigned char *base = (unsigned char *)p->mem;
    base += (64u - ((uintptr_t)base & 63u)) & 63u;
    p->reduced = p->mem_bytes < cs_seqp_mem_size(&p->view); /* the small state (cs_model_state_size_min) */
    size_t st = cs_seqp_align64(p->reduced ? cs_model_state_size_min(&p->view) : cs_model_state_size(&p->view));
    size_t sc = cs_seqp_align64(cs_sample_scratch_size(p->view.cfg.vocab));
    int e = cs_model_state_init(&p->view, base, st, &p->model);
    if (e) {
        p->model = NULL;
        return e;
    }
    p->scratch = base + st;
    p->scratch_bytes = sc;
    p->mask = base + st + sc;
    p->queue = (cs_seqp_event *)(void *)(base + st + sc + cs_seqp_align64((size_t)p->view.cfg.vocab));
    p->glogits = (float *)(void *)((unsigned char *)p->queue + cs_seqp_align64(CS_SEQP_QUEUE * sizeof(cs_seqp_event)));
    p->gwork =
        (double *)(void *)((unsigned char *)p->glogits + cs_seqp_align64((size_t)p->view.cfg.vocab * sizeof(float)));
    cs_lcache_init(
        &p->cache,
        (float *)(void *)((unsigned char *)p->gwork + cs_seqp_align64((size_t)p->view.cfg.vocab * sizeof(double))),
        p->view.cfg.vocab);
    p->step_cache = 0.0f;
    p->q_in = p->q_out = p->q_counted = 0;
    p->step_madds = cs_model_step_cost(&p->view); /* half weights cost more per multiply-add */
    p->vocab = p->view.cfg.vocab;
    p->ngram_madds = cs_seqp_ngram_cost(p); /* per bind, not per event */
    p->sample_simd = cs_seqp_sample_simd();
    p->label = (float)CS_LABEL_ANY; /* ready, not stepped yet: "any unit" (a gapless chain can start) */
    p->prob = 0.0f;
    p->entropy = 0.0f;
    cs_seqp_history_clear(p);
    if (seed >= 0)
        cs_rng_seed(&p->rng, (uint64_t)seed);
    else
        cs_rng_seed(&p->rng, p->fallback_seed);
    return 0;
}

int cs_seqp_bind(cs_seqp *p, const float *data, size_t floats, int channels, float seed, cs_seqp_alloc_fn alloc_fn,
                 cs_seqp_free_fn free_fn, void *user)
{
    if (!data || floats == 0) {
        if (p->data || p->model) cs_seqp_unbind(p);
        p->data = NULL;
        p->floats = 0;
        p->status = CS_SEQP_NO_BUFFER;
        return p->status;
    }
    size_t hn = floats < CS_MODEL_HEADER_FLOATS ? floats : CS_MODEL_HEADER_FLOATS;
    int changed = data != p->data || floats != p->floats || channels != p->channels ||
                  memcmp(p->header, data, hn * sizeof(float)) != 0;
    if (changed) {
        cs_seqp_unbind(p);
        p->data = data;
        p->floats = floats;
        p->channels = channels;
        memset(p->header, 0, sizeof p->header);
        memcpy(p->header, data, hn * sizeof(float));
        p->err = 0;
        if (channels != 1) {
            p->status = CS_SEQP_NOT_MONO;
        } else {
            p->err = cs_model_parse_header(data, floats, &p->view);
            p->has_ngram = 0;
            p->net_weight = 1.0f;
            if (!p->err &&
                p->view.ngram_floats) { /* the table's header now (O(order)), its records after the weights */
                if (cs_ngt_parse_header(p->view.ngram, p->view.ngram_floats, &p->ngt) != CS_NGT_OK ||
                    p->ngt.V != p->view.cfg.vocab || p->ngt.total_floats != p->view.ngram_floats)
                    p->err = CS_MODEL_E_NGRAM;
                p->has_ngram = 1;
                p->net_weight = p->view.net_weight;
            }
            if (p->err) {
                p->status = p->err == CS_MODEL_E_NGRAM ? CS_SEQP_BAD_WEIGHTS : CS_SEQP_BAD_HEADER;
            } else {
                cs_model_verify_begin(&p->verify);
                cs_ngt_check_begin(&p->ngt_check);
                p->weights_done = 0;
                p->status = CS_SEQP_VERIFYING;
            }
        }
    }
    if (p->status == CS_SEQP_VERIFYING) {
        int r;
        if (!p->weights_done) {
            r = cs_model_verify_step(&p->view, &p->verify, CS_SEQP_VERIFY_FLOATS);
            if (r == 1 && p->has_ngram) { /* the table's records from the next block on */
                p->weights_done = 1;
                r = 0;
            }
        } else {
            r = cs_ngt_check_step(&p->ngt, &p->ngt_check, CS_SEQP_VERIFY_FLOATS);
            if (r < 0) r = CS_MODEL_E_NGRAM;
        }
        if (r < 0) {
            p->err = r;
            p->status = CS_SEQP_BAD_WEIGHTS;
        } else if (r == 1) {
            size_t need = cs_seqp_mem_size(&p->view), least = cs_seqp_mem_size_min(&p->view);
            p->need = need;
            if (need > p->mem_bytes) {
                if (p->mem && free_fn) free_fn(user, p->mem);
                p->mem = alloc_fn && need ? alloc_fn(user, need) : NULL;
                p->mem_bytes = p->mem ? need : 0;
                if (!p->mem && least && least < need) { /* short of memory: the small state, the same labels */
                    p->need = least;
                    p->mem = alloc_fn ? alloc_fn(user, least) : NULL;
                    p->mem_bytes = p->mem ? least : 0;
                }
            }
            if (!p->mem || need == 0) {
                p->status = CS_SEQP_NO_MEMORY;
            } else {
                int e = cs_seqp_place(p, cs_seqp_seed_value(seed));
                if (e) {
                    p->err = e;
                    p->status = CS_SEQP_NO_MEMORY;
                } else {
                    p->status = CS_SEQP_READY;
                }
            }
        }
    }
    return p->status;
}

/* Softmax of raw logits at temperature 1: probability of `token` and entropy in bits (teacher forcing). */

void cs_seqp_model_prob(const float *logits, int vocab, int token, float *prob, float *entropy)
{
    float m = logits[0];
    for (int i = 1; i < vocab; i++)
        if (logits[i] > m) m = logits[i];
    double z = 0.0, s = 0.0;
    for (int i = 0; i < vocab; i++) {
        float d = logits[i] - m;
        double e = (double)cs_fast_exp(d);
        z += e;
        s += e * (double)d;
    }
    /* H = log2 Z - (sum e_i d_i) / (Z ln 2), with d_i = l_i - max */
    double h = (double)cs_fast_log2((float)z) - s / (z * 0.69314718055994530942);
    *prob = (float)((double)cs_fast_exp(logits[token] - m) / z);
    *entropy = h > 0.0 ? (float)h : 0.0f;
}

/* The model gave a non-finite value (its Buffer was written since it was verified): forget the model, output
 * CS_LABEL_NONE and verify the weights again from the start (cs_seqp_bind continues it at the next block). */
static void fail_nonfinite(cs_seqp *p)
{
    cs_seqp_unbind(p);
    cs_model_verify_begin(&p->verify);
    cs_ngt_check_begin(&p->ngt_check);
    p->weights_done = 0;
    p->status = CS_SEQP_VERIFYING;
    p->nonfinite++;
}

static int all_finite(const float *x, int n)
{
    int ok = 1;
    for (int i = 0; i < n; i++)
        ok &= isfinite(x[i]) ? 1 : 0;
    return ok;
}

void cs_seqp_center_logits(float *logits, int vocab)
{
    double m = 0.0;
    for (int i = 0; i < vocab; i++)
        m += (double)logits[i];
    m /= (double)vocab;
    for (int i = 0; i < vocab; i++)
        logits[i] = (float)((double)logits[i] - m);
}

/* The step's logits: the network's, or with a table the mixture's in p->glogits (the network's copied there first,
 * or zeros when its weight is 0: it is not run). NULL when a value of the mixture is not finite. */
static const float *mixed_logits(cs_seqp *p)
{
    const int V = p->vocab;
    const float *net = NULL;
    if (net_used(p)) {
        /* finite by construction: cs_model clamps every logit it computes (NaN -> 0, +-inf -> +-1e30), so a scan
         * here (~20 ns at V 64, 2 % of a GRU-64 step) never found one; test_seqpredict_logic writes them */
        net = cs_model_logits(p->model);
        if (!p->has_ngram) return net;
        memcpy(p->glogits, net, (size_t)V * sizeof(float));
    } else {
        memset(p->glogits, 0, (size_t)V * sizeof(float));
    }
    const int want = p->ngt.order - 1;
    const int k = want < p->hist_count ? want : p->hist_count;
    const int *hist = p->hist + p->hist_head + CS_SEQP_MAX_HISTORY - k;
    if (cs_ngt_mix_logits(&p->ngt, k ? hist : NULL, (size_t)k, p->net_weight, p->gwork, p->glogits) != CS_NGT_OK)
        return NULL;
    cs_seqp_center_logits(p->glogits, V);
    return all_finite(p->glogits, V) ? p->glogits : NULL;
}

int cs_seqp_step(cs_seqp *p, float prime, const cs_sample_params *sp, int n_hist, const float *mask, size_t mask_len)
{
    return cs_seqp_step_guided(p, prime, sp, n_hist, mask, mask_len, NULL, 0.0f);
}

void cs_seqp_feed_pending(cs_seqp *p, const cs_ut_view *table, float unit)
{
    if (!p->model || p->pending_feed <= 0) return;
    const int label = p->pending_feed - 1;
    p->pending_feed = 0;
    const int32_t u = unit >= 0.0f && unit < 16777216.0f ? (int32_t)unit : -1; /* NaN -> -1 */
    cs_model_desc_row(&p->view, table, u, label, p->drow);
    cs_model_prime_desc(p->model, label, p->drow);
}

int cs_seqp_step_guided(cs_seqp *p, float prime, const cs_sample_params *sp, int n_hist, const float *mask,
                        size_t mask_len, const cs_seqp_guide *guide, float guidance)
{
    const int V = p->vocab;
    cs_seqp_feed_pending(p, NULL, -1.0f); /* cs_seqp_process has fed it with the played unit's row already */
    const float *logits = mixed_logits(p);
    if (!logits) {
        fail_nonfinite(p);
        return -1;
    }
    int label = -1;
    p->guided = 0;
    if (prime >= 0.0f) {
        if (prime < (float)V) {
            label = (int)prime;
            cs_seqp_model_prob(logits, V, label, &p->prob, &p->entropy);
            p->prime_bad = 0;
        } else {
            p->prime_bad = 1;
            p->prime_value = prime;
        }
    } else {
        p->prime_bad = 0;
    }
    if (label < 0) {
        const unsigned char *mk = NULL;
        if (mask) {
            for (int i = 0; i < V; i++)
                p->mask[i] = ((size_t)i >= mask_len || mask[i] > 0.0f) ? 1 : 0;
            mk = p->mask;
        }
        int k = n_hist < p->hist_count ? n_hist : p->hist_count;
        const int *hist = p->hist + p->hist_head + CS_SEQP_MAX_HISTORY - k;
        /* guidance before everything cs_sample does (mask, penalty, temperature, top-k, top-p): the guided
         * logits are the log of the product of experts, which the sampler then treats as the model's */
        const float *lg = logits;
        p->cached = 0;
        if (p->step_cache > 0.0f && p->cache.fed > 0) { /* the label cache, blended into the model's */
            if (logits != p->glogits) memcpy(p->glogits, logits, (size_t)V * sizeof(float));
            p->cached = cs_lcache_blend_logits(&p->cache, p->glogits, p->step_cache);
            logits = lg = p->glogits;
        }
        if (guide && cs_seqp_guide_logits(logits, V, guide, guidance, p->gwork, p->glogits)) {
            lg = p->glogits;
            p->guided = 1;
            p->guided_steps++;
        }
        cs_sample_result res;
        int r = cs_sample(lg, V, sp, k ? hist : NULL, k, mk, &p->rng, p->scratch, p->scratch_bytes, &res);
        if (r < 0) return 0; /* cannot happen with a placed state; keep the previous outputs */
        if (!isfinite(res.prob) || !isfinite(res.entropy_bits) || res.label < 0 || res.label >= V) {
            fail_nonfinite(p);
            return -1;
        }
        label = res.label;
        p->prob = res.prob;
        p->entropy = res.entropy_bits;
        p->mask_empty = (res.flags & CS_SAMPLE_MASK_IGNORED) ? 1 : 0;
    }
    if (net_used(p) && p->view.cfg.desc_inputs > 0)
        p->pending_feed = label + 1; /* fed at the next step, with the row of the unit played for it */
    else if (net_used(p))
        cs_model_prime(p->model, label);
    cs_seqp_history_push(p, label);
    cs_lcache_push(&p->cache, label);
    p->label = (float)label;
    p->steps++;
    return 0;
}

/* Queue an edge read at sample i (the model is ready). A trigger that finds the queue full is dropped; a reset
 * that finds it full replaces the queued triggers (they are counted as dropped). */
static void queue_push(cs_seqp *p, const cs_seqp_io *io, uint32_t i, int is_reset)
{
    const float *const *in = io->in;
    const uint32_t *st = io->step;
    if (p->q_in - p->q_out >= CS_SEQP_QUEUE) {
        if (!is_reset) {
            p->dropped++;
            return;
        }
        queue_drop(p);
    }
    cs_seqp_event *e = &p->queue[p->q_in % CS_SEQP_QUEUE];
    memset(e, 0, sizeof *e);
    e->is_reset = is_reset;
    if (is_reset) {
        e->seed = cs_seqp_seed_value(in[CS_SEQP_IN_SEED][i * st[CS_SEQP_IN_SEED]]);
    } else {
        cs_seqp_params(in[CS_SEQP_IN_TEMPERATURE][i * st[CS_SEQP_IN_TEMPERATURE]],
                       in[CS_SEQP_IN_TOPK][i * st[CS_SEQP_IN_TOPK]], in[CS_SEQP_IN_TOPP][i * st[CS_SEQP_IN_TOPP]],
                       in[CS_SEQP_IN_PENALTY][i * st[CS_SEQP_IN_PENALTY]],
                       in[CS_SEQP_IN_HISTORY][i * st[CS_SEQP_IN_HISTORY]], p->vocab, &e->sp, &e->n_hist);
        e->prime = in[CS_SEQP_IN_PRIME][i * st[CS_SEQP_IN_PRIME]];
        e->guidance = io->guidance ? cs_seqp_guidance_value(io->guidance[i * io->guidance_step]) : 0.0f;
        const float cw = io->cache ? io->cache[i * io->cache_step] : 0.0f;
        e->cache = cw > 0.0f ? (cw < 1.0f ? cw : 1.0f) : 0.0f; /* NaN -> 0 */
        e->unit = io->unit ? io->unit[i * io->unit_step] : -1.0f;
    }
    p->q_in++;
}

/* Work off queued events at one sample while the call's budget lasts (at least one event per call), up to and
 * including one trigger. *spent and *events carry the call's totals. */
/* What the events of one process call share: its budget and what it spent, the events taken, the guide's cost
 * (cs_seqp_guide_cost, computed at the call's first guided event: UINT64_MAX until then), and the queue position
 * of a head event that did not fit (UINT64_MAX: none). Within a call an event's cost does not change, so that head
 * waits for the next call, and the queue is not looked at again until the head moves (q_out only grows: a reset
 * that empties a full queue moves it too). */
typedef struct call_state {
    uint64_t budget, spent, guide_cost, blocked_head;
    int events;
} call_state;

/* Work off queued events at one sample while the call's budget lasts (at least one event per call), up to and
 * including one trigger. The events are run in place in the ring (nothing pushes while they run; a step that
 * drops the model only moves q_out). */
static void queue_run(cs_seqp *p, const cs_seqp_io *io, call_state *cs)
{
    while (p->model && p->q_out < p->q_in && p->q_out != cs->blocked_head) {
        const cs_seqp_event *e = &p->queue[p->q_out % CS_SEQP_QUEUE];
        uint64_t c = cs_seqp_event_cost(p, e);
        const int drawn = !e->is_reset && !(e->prime >= 0.0f && e->prime < (float)p->vocab);
        if (drawn && e->guidance > 0.0f) {
            if (cs->guide_cost == UINT64_MAX) cs->guide_cost = cs_seqp_guide_cost(p->vocab, io->guide);
            c += cs->guide_cost;
        }
        if (drawn && e->cache > 0.0f)
            c += (uint64_t)p->vocab * CS_SEQP_CACHE_MADDS_PER_LABEL + CS_SEQP_CACHE_MADDS_FIXED;
        if (cs->events > 0 && cs->spent + c > cs->budget) {
            cs->blocked_head = p->q_out;
            return;
        }
        p->q_out++;
        cs->spent += c;
        cs->events++;
        if (e->is_reset) {
            cs_seqp_reset(p, e->seed);
        } else {
            /* may drop the model */
            p->step_cache = e->cache;
            cs_seqp_feed_pending(p, io->table, e->unit);
            cs_seqp_step_guided(p, e->prime, &e->sp, e->n_hist, io->mask, io->mask_len, io->guide, e->guidance);
            if (p->model) p->step_cache = 0.0f;
            return;
        }
    }
}

/* The first sample in [i, n) where x (sample k at x[k * step]: step 0 = one value held) has a positive-going edge,
 * n when none; prev is the clamped value before sample i (NaN and negatives count as 0, as in cs_seqp_process).
 * x_k > 0 is false for NaN, so an edge at k > i is x_k > 0 && !(x_(k-1) > 0): with step 1 (contiguous values, the
 * shim's audio rate) compared 4 samples at a time, without a carried value (the compiler does not vectorise the
 * loop at -O2); any other stride one sample at a time; a held value can rise at sample i only. */
static uint32_t first_edge(const float *x, uint32_t step, uint32_t i, uint32_t n, float prev)
{
    if (i >= n) return n;
    if (x[(size_t)i * step] > 0.0f && !(prev > 0.0f)) return i;
    if (!step) return n;
    uint32_t k = i + 1;
    if (step != 1) { /* another stride: one sample at a time */
        for (; k < n; k++)
            if (x[(size_t)k * step] > 0.0f && !(x[(size_t)(k - 1) * step] > 0.0f)) return k;
        return n;
    }
#if defined(__SSE2__)
    const __m128 zero = _mm_setzero_ps();
    for (; k + 4 <= n; k += 4) {
        const __m128 up = _mm_cmpgt_ps(_mm_loadu_ps(x + k), zero), before = _mm_cmpgt_ps(_mm_loadu_ps(x + k - 1), zero);
        const int m = _mm_movemask_ps(_mm_andnot_ps(before, up));
        if (m) return k + (uint32_t)__builtin_ctz((unsigned)m);
    }
#endif
    for (; k < n; k++)
        if (x[k] > 0.0f && !(x[k - 1] > 0.0f)) return k;
    return n;
}

static int has_edge(const float *x, uint32_t step, uint32_t n, float prev)
{
    return first_edge(x, step, 0, n, prev) < n;
}

/* The clamped last value of x (n values at stride step, or one held when step is 0); n >= 1. */
static float last_value(const float *x, uint32_t step, uint32_t n)
{
    const float v = x[(size_t)(n - 1u) * step];
    return v > 0.0f ? v : 0.0f;
}

int cs_seqp_quiet(const cs_seqp *p, const cs_seqp_io *io, uint32_t n)
{
    if (p->model && p->q_in != p->q_out) return 0;
    if (has_edge(io->in[CS_SEQP_IN_RESET], io->step[CS_SEQP_IN_RESET], n, p->prev_reset)) return 0;
    return !p->model || !has_edge(io->in[CS_SEQP_IN_TRIG], io->step[CS_SEQP_IN_TRIG], n, p->prev_trig);
}

/* Samples [i, j) of the outputs hold the current label, probability and entropy (element 0 when out_step is 0). */
static void hold_outputs(const cs_seqp *p, const cs_seqp_io *io, uint32_t i, uint32_t j)
{
    if (!io->out_step) i = 0, j = j > 0 ? 1u : 0u;
    const float l = p->label, pr = p->prob, en = p->entropy;
    for (uint32_t k = i; io->out_label && k < j; k++)
        io->out_label[k] = l;
    for (uint32_t k = i; io->out_prob && k < j; k++)
        io->out_prob[k] = pr;
    for (uint32_t k = i; io->out_entropy && k < j; k++)
        io->out_entropy[k] = en;
}

/* A block without events (cs_seqp_quiet): the held outputs, the edges' last values. */
static void process_quiet(cs_seqp *p, const cs_seqp_io *io, uint32_t n)
{
    p->prev_reset = last_value(io->in[CS_SEQP_IN_RESET], io->step[CS_SEQP_IN_RESET], n);
    p->prev_trig = last_value(io->in[CS_SEQP_IN_TRIG], io->step[CS_SEQP_IN_TRIG], n);
    hold_outputs(p, io, 0, n);
}

int cs_seqp_process(cs_seqp *p, const cs_seqp_io *io, uint32_t n)
{
    if (n == 0) return 0;          /* no sample: nothing to read (last_value needs one) */
    if (cs_seqp_quiet(p, io, n)) { /* most blocks: nothing to step, only the outputs to hold */
        process_quiet(p, io, n);
        return 0;
    }
    call_state cs = {(uint64_t)CS_SEQP_MADDS_PER_SAMPLE * (io->budget_samples ? io->budget_samples : n), 0, UINT64_MAX,
                     UINT64_MAX, 0};
    const float *const *in = io->in;
    const uint32_t *st = io->step;
    for (uint32_t i = 0; i < n; i++) {
        if (!p->model || p->q_out == p->q_in || p->q_out == cs.blocked_head) {
            /* nothing queued can run before the next edge: the samples up to it only hold the outputs (a block with
             * one trigger does its other 63 samples so, not through the per-sample body) */
            uint32_t j = first_edge(in[CS_SEQP_IN_RESET], st[CS_SEQP_IN_RESET], i, n, p->prev_reset);
            if (p->model) j = first_edge(in[CS_SEQP_IN_TRIG], st[CS_SEQP_IN_TRIG], i, j, p->prev_trig);
            if (j > i) { /* the inputs first: an output may be an input's buffer (scsynth reuses wire buffers) */
                p->prev_reset = last_value(in[CS_SEQP_IN_RESET], st[CS_SEQP_IN_RESET], j);
                p->prev_trig = last_value(in[CS_SEQP_IN_TRIG], st[CS_SEQP_IN_TRIG], j);
                hold_outputs(p, io, i, j);
                if (j == n) break;
                i = j;
            }
        }
        float r = in[CS_SEQP_IN_RESET][i * st[CS_SEQP_IN_RESET]];
        r = r > 0.0f ? r : 0.0f; /* NaN -> 0 */
        if (r > 0.0f && p->prev_reset <= 0.0f) {
            if (p->model)
                queue_push(p, io, i, 1);
            else
                cs_seqp_reset(p, cs_seqp_seed_value(in[CS_SEQP_IN_SEED][i * st[CS_SEQP_IN_SEED]]));
        }
        p->prev_reset = r;
        float t = in[CS_SEQP_IN_TRIG][i * st[CS_SEQP_IN_TRIG]];
        t = t > 0.0f ? t : 0.0f;
        if (t > 0.0f && p->prev_trig <= 0.0f && p->model) queue_push(p, io, i, 0);
        p->prev_trig = t;
        queue_run(p, io, &cs);
        uint32_t o = i * io->out_step;
        if (io->out_label) io->out_label[o] = p->label;
        if (io->out_prob) io->out_prob[o] = p->prob;
        if (io->out_entropy) io->out_entropy[o] = p->entropy;
    }
    if (p->model && p->q_in > p->q_out) { /* what is left waits for the next calls: count each event once */
        uint64_t from = p->q_counted > p->q_out ? p->q_counted : p->q_out;
        p->deferred += p->q_in - from;
        p->q_counted = p->q_in;
    }
    return cs.events;
}
