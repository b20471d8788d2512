/*
 * cs_segment.c - fixed grains, onset events (Bello et al. 2005; Dixon 2006) and novelty sections
 * (Foote 2000). See cs_segment.h for the algorithms, their parameters and the output convention.
 */
#include "cs_segment.h"

#include "cs_error.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- segment lists */

void cs_segments_free(cs_segments *s)
{
    if (!s) return;
    free(s->v);
    s->v = NULL;
    s->n = s->cap = 0;
}

/* Make room for `cap` segments (keeps the contents). */
static int segs_reserve(cs_segments *s, size_t cap)
{
    if (cap <= s->cap) return 0;
    if (cap > SIZE_MAX / sizeof(cs_segment)) return CS_E_NOMEM;
    cs_segment *v = realloc(s->v, cap * sizeof(cs_segment));
    if (!v) return CS_E_NOMEM;
    s->v = v;
    s->cap = cap;
    return 0;
}

static int segs_push(cs_segments *s, size_t start, size_t length)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        if (cap < s->cap) return CS_E_NOMEM;
        int err = segs_reserve(s, cap);
        if (err) return err;
    }
    s->v[s->n].start = start;
    s->v[s->n].length = length;
    s->n++;
    return 0;
}

/*
 * Units from sorted, distinct boundaries b[0..nb) (b[0] == 0, all < n), each unit running to the next
 * boundary or n; units longer than max_len are split into k = ceil(len / max_len) parts of equal length.
 */
static int segs_from_boundaries(const size_t *b, size_t nb, size_t n, size_t max_len, cs_segments *out)
{
    out->n = 0;
    for (size_t i = 0; i < nb; i++) {
        size_t s = b[i], e = i + 1 < nb ? b[i + 1] : n;
        size_t len = e - s;
        size_t k = len / max_len + (len % max_len != 0);
        size_t q = len / k, r = len % k; /* part j starts at s + floor(j * len / k) = s + j*q + j*r/k */
        for (size_t j = 0; j < k; j++) {
            size_t s0 = s + j * q + (j * r) / k;
            size_t s1 = s + (j + 1) * q + ((j + 1) * r) / k;
            int err = segs_push(out, s0, s1 - s0);
            if (err) return err;
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- grains */

int cs_segment_grain(size_t n, size_t unit_len, size_t hop, cs_segments *out)
{
    if (!out) return CS_E_ARG;
    out->n = 0;
    if (unit_len == 0 || hop == 0) return CS_E_ARG;
    if (n < unit_len || n == 0) return CS_E_SHORT;
    size_t count = (n - unit_len) / hop + 1;
    int err = segs_reserve(out, count);
    if (err) return err;
    for (size_t k = 0; k < count; k++) {
        out->v[k].start = k * hop;
        out->v[k].length = unit_len;
    }
    out->n = count;
    return 0;
}

/* ---------------------------------------------------------------- shared helpers */

/* Seconds to samples, rounded; -1 when not finite, negative or absurdly large. */
static long long secs_to_samples(double s, int rate)
{
    if (!isfinite(s) || s < 0.0) return -1;
    double v = s * (double)rate;
    if (v > 9.0e15) return -1;
    return (long long)llround(v);
}

/* Frames consistent with an n-sample source (cs_frames.h: n_frames = n / hop + 1). */
static int frames_ok(const cs_frames *f, size_t n)
{
    if (!f || !f->data || f->hop <= 0 || f->sample_rate <= 0) return 0;
    return f->n_frames == n / (size_t)f->hop + 1;
}

/* A boundary candidate: position (samples) and strength. */
typedef struct cand {
    size_t pos;
    double strength;
    size_t rank; /* index in position order */
} cand;

/* Strongest first, then earliest. */
static int strength_cmp(const void *pa, const void *pb)
{
    const cand *a = pa, *b = pb;
    if (a->strength > b->strength) return -1;
    if (a->strength < b->strength) return 1;
    return (a->pos > b->pos) - (a->pos < b->pos);
}

static int pos_cmp(const void *pa, const void *pb)
{
    const cand *a = pa, *b = pb;
    if (a->pos != b->pos) return (a->pos > b->pos) - (a->pos < b->pos);
    return (a->strength < b->strength) - (a->strength > b->strength);
}

/*
 * Greedy spacing (the "strongest first" rule of non-maximum suppression): candidates are accepted
 * strongest first (ties: earliest) unless an accepted one lies closer than `gap` samples. Each test scans
 * only the candidates within `gap` in position order. The accepted positions are written, sorted, to
 * acc. Returns how many, or (size_t)-1 on allocation failure. c is reordered.
 */
static size_t accept_spaced(cand *c, size_t nc, size_t gap, size_t *acc)
{
    if (nc == 0) return 0;
    qsort(c, nc, sizeof *c, pos_cmp);
    cand *order = malloc(nc * sizeof *order);
    unsigned char *taken = calloc(nc, 1);
    if (!order || !taken) {
        free(order);
        free(taken);
        return (size_t)-1;
    }
    for (size_t i = 0; i < nc; i++) {
        c[i].rank = i;
        order[i] = c[i];
    }
    qsort(order, nc, sizeof *order, strength_cmp);
    for (size_t o = 0; o < nc; o++) {
        size_t r = order[o].rank, pos = c[r].pos;
        int ok = 1;
        for (size_t q = r; q-- > 0 && pos - c[q].pos < gap;)
            if (taken[q]) {
                ok = 0;
                break;
            }
        for (size_t q = r + 1; ok && q < nc && c[q].pos - pos < gap; q++)
            if (taken[q]) {
                ok = 0;
                break;
            }
        if (ok) taken[r] = 1;
    }
    size_t na = 0;
    for (size_t i = 0; i < nc; i++)
        if (taken[i]) acc[na++] = c[i].pos;
    free(order);
    free(taken);
    return na;
}

/* ---------------------------------------------------------------- onsets */

void cs_onset_params_default(cs_onset_params *p)
{
    if (!p) return;
    p->threshold = 0.5;
    p->delta = 0.1;
    p->median_s = 0.1;
    p->min_len_s = 0.05;
    p->max_len_s = 2.0;
    p->pre_s = 0.005;
    p->refine_s = 0.03;
}

void cs_onset_params_to_config(const cs_onset_params *p, double mean_flux, cs_onset_config *c)
{
    c->threshold = (float)p->threshold;
    c->delta_abs = cs_onset_delta_abs(p->delta, mean_flux);
    c->median_s = (float)p->median_s;
    c->min_len_s = (float)p->min_len_s;
    c->max_len_s = (float)p->max_len_s;
    c->pre_s = (float)p->pre_s;
    c->refine_s = (float)p->refine_s;
}

/* The accepted boundaries, appended to b[1..] (b[0] = 0, the start); room for n / min_len + 2. */
typedef struct bounds {
    size_t *b;
    size_t n, cap;
} bounds;

static void bound_add(void *user, const cs_onset_boundary *e)
{
    bounds *bs = user;
    if (bs->n < bs->cap) bs->b[bs->n++] = (size_t)e->sample;
}

int cs_segment_onset(const cs_frames *f, size_t n, const cs_onset_params *p, cs_segments *out)
{
    if (!out) return CS_E_ARG;
    out->n = 0;
    if (!p || !frames_ok(f, n)) return CS_E_ARG;
    if (!isfinite(p->threshold) || p->threshold < 0.0 || !isfinite(p->delta) || p->delta < 0.0) return CS_E_ARG;
    const size_t nf = f->n_frames, stride = CS_FF_COUNT;
    double sum = 0.0;
    for (size_t i = 0; i < nf; i++) {
        float v = f->data[i * stride + CS_FF_FLUX], pk = f->data[i * stride + CS_FF_PEAK];
        if (!isfinite(v) || !isfinite(pk)) return CS_E_NONFINITE;
        sum += (double)(v > 0.0f ? v : 0.0f);
    }
    cs_onset_config c;
    cs_onset_params_to_config(p, sum / (double)nf, &c);
    cs_onset_plan plan;
    const float rate = (float)f->sample_rate;
    if (cs_onset_config_check(&c, rate, f->hop, &plan) != CS_ONSET_OK) return CS_E_ARG;
    if (n == 0 || n < plan.min_len) return CS_E_SHORT;

    size_t bytes = cs_onset_bytes(&c, rate, f->hop);
    bounds bs = {NULL, 1, n / (size_t)plan.min_len + 2};
    void *mem = malloc(bytes);
    bs.b = malloc(bs.cap * sizeof *bs.b);
    cs_onset *det = NULL;
    int err = CS_E_NOMEM;
    if (!mem || !bs.b) goto done;
    err = CS_E_INTERNAL;
    if (cs_onset_init(mem, bytes, &c, rate, f->hop, &det) != CS_ONSET_OK) goto done;
    bs.b[0] = 0;
    for (size_t i = 0; i < nf; i++)
        cs_onset_push(det, f->data[i * stride + CS_FF_FLUX], f->data[i * stride + CS_FF_PEAK], bound_add, &bs);
    cs_onset_finish(det, n, bound_add, &bs);
    /* offline only: a tail shorter than min_len merges into the event before it when that stays <= max_len */
    if (bs.n > 1 && n - bs.b[bs.n - 1] < plan.min_len && n - bs.b[bs.n - 2] <= plan.max_len) bs.n--;
    err = segs_from_boundaries(bs.b, bs.n, n, (size_t)plan.max_len, out);

done:
    if (err) out->n = 0;
    free(mem);
    free(bs.b);
    return err;
}

/* ---------------------------------------------------------------- novelty */

void cs_novelty_params_default(cs_novelty_params *p)
{
    if (!p) return;
    p->kernel_s = 4.0;
    p->block_s = 0.1;
    p->threshold = 0.2;
    p->min_len_s = 1.0;
    p->max_len_s = 60.0;
}

#define NOV_DIM 15 /* MFCC c1..c12, centroid, flatness, loudness */

static int novelty_check(const cs_frames *f, size_t n, const cs_novelty_params *p)
{
    if (!p || !frames_ok(f, n)) return CS_E_ARG;
    if (!isfinite(p->kernel_s) || p->kernel_s <= 0.0 || !isfinite(p->block_s) || p->block_s <= 0.0) return CS_E_ARG;
    if (!isfinite(p->threshold) || p->threshold < 0.0 || p->threshold > 1.0) return CS_E_ARG;
    if (p->kernel_s / p->block_s > 1.0e6 || p->kernel_s * (double)f->sample_rate > 1.0e12) return CS_E_ARG;
    return 0;
}

int cs_segment_novelty_curve(const cs_frames *f, size_t n, const cs_novelty_params *p, float **curve, size_t *n_blocks,
                             size_t *block_frames)
{
    if (!curve || !n_blocks || !block_frames) return CS_E_ARG;
    *curve = NULL;
    *n_blocks = 0;
    *block_frames = 0;
    int err = novelty_check(f, n, p);
    if (err) return err;
    if (n == 0) return CS_E_SHORT;

    const size_t nf = f->n_frames, stride = CS_FF_COUNT;
    double bf = floor(p->block_s * (double)f->sample_rate / (double)f->hop + 0.5);
    if (!(bf < 1.0e12)) return CS_E_ARG;
    size_t B = bf < 1.0 ? 1 : (size_t)bf;
    if (B > nf) B = nf;
    const size_t nb = (nf + B - 1) / B;
    double lf = floor(p->kernel_s * (double)f->sample_rate / (2.0 * (double)B * (double)f->hop) + 0.5);
    size_t L = lf < 1.0 ? 1 : (size_t)lf;

    double *w = calloc(nb * NOV_DIM, sizeof *w); /* block features, then unit vectors: (nb, NOV_DIM) */
    double *h = malloc(2 * L * sizeof *h);       /* kernel taper h(u), u = -L .. L-1 at h[u + L] */
    float *nov = malloc(nb * sizeof *nov);
    if (!w || !h || !nov) {
        err = CS_E_NOMEM;
        goto fail;
    }

    /* 1. Block means of the frame features. */
    for (size_t b = 0; b < nb; b++) {
        size_t i0 = b * B, i1 = i0 + B < nf ? i0 + B : nf;
        double *wb = w + b * NOV_DIM;
        for (size_t i = i0; i < i1; i++) {
            const float *fr = f->data + i * stride;
            double v[NOV_DIM];
            for (int k = 0; k < 12; k++)
                v[k] = (double)fr[CS_FF_MFCC0 + 1 + k];
            v[12] = (double)fr[CS_FF_CENTROID];
            v[13] = (double)fr[CS_FF_FLATNESS];
            v[14] = 20.0 * log10(fabs((double)fr[CS_FF_RMS]) + 1e-6);
            for (int k = 0; k < NOV_DIM; k++) {
                if (!isfinite(v[k])) {
                    err = CS_E_NONFINITE;
                    goto fail;
                }
                wb[k] += v[k];
            }
        }
        for (int k = 0; k < NOV_DIM; k++)
            wb[k] /= (double)(i1 - i0);
    }
    /* z-score per feature over the blocks (two-pass), then unit length per block. */
    for (int k = 0; k < NOV_DIM; k++) {
        double mean = 0.0, var = 0.0;
        for (size_t b = 0; b < nb; b++)
            mean += w[b * NOV_DIM + k];
        mean /= (double)nb;
        for (size_t b = 0; b < nb; b++) {
            double t = w[b * NOV_DIM + k] - mean;
            var += t * t;
        }
        double sd = sqrt(var / (double)nb);
        int constant = !(sd > 1e-9 * (1.0 + fabs(mean)));
        for (size_t b = 0; b < nb; b++)
            w[b * NOV_DIM + k] = constant ? 0.0 : (w[b * NOV_DIM + k] - mean) / sd;
    }
    for (size_t b = 0; b < nb; b++) {
        double *wb = w + b * NOV_DIM, s = 0.0;
        for (int k = 0; k < NOV_DIM; k++)
            s += wb[k] * wb[k];
        if (s > 0.0) {
            s = 1.0 / sqrt(s);
            for (int k = 0; k < NOV_DIM; k++)
                wb[k] *= s;
        }
    }

    /* 2. Separable Gaussian-tapered checkerboard kernel C(u,v) = h(u) h(v). */
    double hsum = 0.0, sigma = 0.5 * (double)L;
    for (size_t t = 0; t < 2 * L; t++) {
        double x = ((double)t - (double)L) + 0.5;
        double g = exp(-0.5 * (x / sigma) * (x / sigma));
        h[t] = t < L ? -g : g;
        hsum += g;
    }
    const double norm = 1.0 / (hsum * hsum);

    /* 3-4. N(b) = |sum_u h(u) w_{b+u}|^2 / (sum |h|)^2. */
    nov[0] = 0.0f;
    for (size_t b = 1; b < nb; b++) {
        double acc[NOV_DIM] = {0};
        size_t u0 = b >= L ? 0 : L - b;                      /* first t with block b + t - L >= 0 */
        size_t u1 = nb - b + L < 2 * L ? nb - b + L : 2 * L; /* one past the last t with block < nb */
        for (size_t t = u0; t < u1; t++) {
            const double *wb = w + (b + t - L) * NOV_DIM;
            double ht = h[t];
            for (int k = 0; k < NOV_DIM; k++)
                acc[k] += ht * wb[k];
        }
        double s = 0.0;
        for (int k = 0; k < NOV_DIM; k++)
            s += acc[k] * acc[k];
        s *= norm;
        nov[b] = (float)(s > 1.0 ? 1.0 : s);
    }

    free(w);
    free(h);
    *curve = nov;
    *n_blocks = nb;
    *block_frames = B;
    return 0;

fail:
    free(w);
    free(h);
    free(nov);
    return err;
}

int cs_segment_novelty(const cs_frames *f, size_t n, const cs_novelty_params *p, cs_segments *out)
{
    if (!out) return CS_E_ARG;
    out->n = 0;
    int err = novelty_check(f, n, p);
    if (err) return err;
    long long min_len = secs_to_samples(p->min_len_s, f->sample_rate);
    long long max_len = secs_to_samples(p->max_len_s, f->sample_rate);
    if (min_len < 1 || max_len < 2 * min_len) return CS_E_ARG;
    if (n == 0 || n < (size_t)min_len) return CS_E_SHORT;

    float *nov = NULL;
    size_t nb = 0, B = 0;
    err = cs_segment_novelty_curve(f, n, p, &nov, &nb, &B);
    if (err) return err;

    const size_t hop = (size_t)f->hop;
    err = CS_E_NOMEM;
    cand *c = malloc(nb * sizeof *c);
    size_t *acc = malloc((nb + 1) * sizeof *acc);
    if (!c || !acc) goto done;

    size_t nc = 0;
    for (size_t b = 1; b < nb; b++) {
        if (!((double)nov[b] >= p->threshold) || !(nov[b] > 0.0f)) continue;
        if (!(nov[b] > nov[b - 1])) continue;
        if (b + 1 < nb && !(nov[b] >= nov[b + 1])) continue;
        size_t pos = b * B * hop - hop / 2;
        /* the start and the end of the source act as accepted boundaries */
        if (pos < (size_t)min_len || pos >= n || n - pos < (size_t)min_len) continue;
        c[nc].pos = pos;
        c[nc].strength = (double)nov[b];
        nc++;
    }
    size_t na = accept_spaced(c, nc, (size_t)min_len, acc + 1);
    if (na == (size_t)-1) goto done;
    acc[0] = 0;
    err = segs_from_boundaries(acc, na + 1, n, (size_t)max_len, out);

done:
    if (err) out->n = 0;
    free(nov);
    free(c);
    free(acc);
    return err;
}
