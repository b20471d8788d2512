/* cs_label_cache.c - the online label cache. See cs_label_cache.h. */
#include "cs_label_cache.h"

#include <math.h>
#include <string.h>

void cs_lcache_init(cs_lcache *c, float *counts, int V)
{
    c->counts = counts;
    c->V = V;
    cs_lcache_reset(c);
}

void cs_lcache_reset(cs_lcache *c)
{
    if (c->counts && c->V > 0) memset(c->counts, 0, (size_t)c->V * sizeof(float));
    c->total = 0.0;
    c->fed = 0;
}

void cs_lcache_push(cs_lcache *c, int label)
{
    if (!c->counts || label < 0 || label >= c->V) return;
    double t = 0.0;
    for (int k = 0; k < c->V; k++) {
        c->counts[k] *= CS_LCACHE_DECAY; /* decays to 0 (denormals after ~9000 labels unplayed: flushed below) */
        if (c->counts[k] < CS_LCACHE_FLOOR) c->counts[k] = 0.0f;
        t += (double)c->counts[k];
    }
    c->counts[label] += 1.0f;
    c->total = t + 1.0;
    c->fed++;
}

double cs_lcache_prob(const cs_lcache *c, int label)
{
    if (!(c->total > 0.0) || label < 0 || label >= c->V) return 0.0;
    return (double)c->counts[label] / c->total;
}

static double clamp_lambda(double l)
{
    if (!(l > 0.0)) return 0.0; /* NaN, <= 0 */
    return l < 1.0 ? l : 1.0;
}

double cs_lcache_blend(const cs_lcache *c, int label, double p_model, double lambda)
{
    const double l = clamp_lambda(lambda);
    if (l == 0.0 || !(c->total > 0.0)) return p_model;
    return (1.0 - l) * p_model + l * cs_lcache_prob(c, label);
}

int cs_lcache_blend_logits(const cs_lcache *c, float *logits, float lambda)
{
    const double l = clamp_lambda((double)lambda);
    if (l == 0.0 || !(c->total > 0.0) || !c->counts) return 0;
    const int V = c->V;
    float mx = logits[0];
    for (int k = 1; k < V; k++)
        mx = logits[k] > mx ? logits[k] : mx;
    double z = 0.0;
    for (int k = 0; k < V; k++)
        z += exp((double)(logits[k] - mx));
    double mean = 0.0;
    for (int k = 0; k < V; k++) {
        const double p = (1.0 - l) * exp((double)(logits[k] - mx)) / z + l * (double)c->counts[k] / c->total;
        const double lg = log(p > 1e-38 ? p : 1e-38);
        logits[k] = (float)lg;
        mean += lg;
    }
    mean /= (double)V;
    for (int k = 0; k < V; k++)
        logits[k] = (float)((double)logits[k] - mean);
    return 1;
}
