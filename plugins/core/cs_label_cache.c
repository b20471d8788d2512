/* cs_label_cache.c - the online label cache. See cs_label_cache.h. */
#include "cs_label_cache.h"

#include <math.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

void cs_lcache_init(cs_lcache *c, float *counts, int V)
{
    c->counts = counts;
    c->V = V;
    cs_lcache_reset(c);
}

void cs_lcache_reset(cs_lcache *c)
{
    if (c->counts && c->V > 0) memset(c->counts, 0, (size_t)c->V * sizeof(float));
    c->last = -1;
    c->last_before = 0.0f;
    c->fed = 0;
}

void cs_lcache_push(cs_lcache *c, int label)
{
    if (!c->counts || label < 0 || label >= c->V) return;
    float *const n = c->counts;
    int k = 0;
#if defined(__SSE2__) /* 4 labels a step (GCC -O2 leaves the loop scalar); the same multiply and compare each */
    const __m128 decay = _mm_set1_ps(CS_LCACHE_DECAY), flo = _mm_set1_ps(CS_LCACHE_FLOOR);
    for (; k + 4 <= c->V; k += 4) {
        const __m128 x = _mm_mul_ps(_mm_loadu_ps(n + k), decay);
        _mm_storeu_ps(n + k, _mm_andnot_ps(_mm_cmplt_ps(x, flo), x));
    }
#endif
    for (; k < c->V; k++) {
        const float x = n[k] * CS_LCACHE_DECAY; /* decays to 0 (denormals after ~9000 labels unplayed: flushed) */
        n[k] = x < CS_LCACHE_FLOOR ? 0.0f : x;
    }
    c->last = label;
    c->last_before = n[label];
    n[label] += 1.0f;
    c->fed++;
}

double cs_lcache_total(const cs_lcache *c)
{
    if (!c->counts || c->fed == 0 || c->last < 0 || c->last >= c->V) return 0.0;
    double t = 0.0;
    for (int k = 0; k < c->V; k++)
        t += (double)(k == c->last ? c->last_before : c->counts[k]);
    return t + 1.0;
}

double cs_lcache_prob(const cs_lcache *c, int label)
{
    if (c->fed == 0 || label < 0 || label >= c->V) return 0.0;
    const double total = cs_lcache_total(c);
    return total > 0.0 ? (double)c->counts[label] / total : 0.0;
}

static double clamp_lambda(double l)
{
    if (!(l > 0.0)) return 0.0; /* NaN, <= 0 */
    return l < 1.0 ? l : 1.0;
}

double cs_lcache_blend(const cs_lcache *c, int label, double p_model, double lambda)
{
    const double l = clamp_lambda(lambda);
    if (l == 0.0 || c->fed == 0) return p_model;
    return (1.0 - l) * p_model + l * cs_lcache_prob(c, label);
}

int cs_lcache_blend_logits(const cs_lcache *c, float *logits, float lambda)
{
    const double l = clamp_lambda((double)lambda);
    const double total = l == 0.0 || !c->counts ? 0.0 : cs_lcache_total(c);
    if (!(total > 0.0)) return 0;
    const int V = c->V;
    float mx = logits[0];
    for (int k = 1; k < V; k++)
        mx = logits[k] > mx ? logits[k] : mx;
    double z = 0.0;
    for (int k = 0; k < V; k++)
        z += exp((double)(logits[k] - mx));
    double mean = 0.0;
    for (int k = 0; k < V; k++) {
        const double p = (1.0 - l) * exp((double)(logits[k] - mx)) / z + l * (double)c->counts[k] / total;
        const double lg = log(p > 1e-38 ? p : 1e-38);
        logits[k] = (float)lg;
        mean += lg;
    }
    mean /= (double)V;
    for (int k = 0; k < V; k++)
        logits[k] = (float)((double)logits[k] - mean);
    return 1;
}
