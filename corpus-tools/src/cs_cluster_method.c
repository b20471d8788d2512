/* cs_cluster_method.c - the clustering method table of `concatseq analyze`. See cs_cluster_method.h. */
#include "cs_cluster_method.h"

#include "cs_cli.h"
#include "cs_cluster.h"
#include "cs_error.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void cs_cluster_params_default(cs_cluster_params *p)
{
    memset(p, 0, sizeof *p);
    p->kmeans.k = 0;
    p->kmeans.restarts = 4;
    p->kmeans.max_iter = 300;
    p->dbscan.eps = 3.0;
    p->dbscan.min_samples = 5;
    p->ap.damping = 0.5;
    p->ap.preference = NAN;
    p->ap.max_iter = 200;
    p->ap.convergence_iter = 15;
}

int cs_kmeans_auto_k(size_t num_units)
{
    if (num_units >= 2 * (size_t)CS_KMEANS_DEFAULT_K) return CS_KMEANS_DEFAULT_K;
    return num_units >= 2 ? (int)(num_units / 2) : 1;
}

#define BAD(...)                                                                                                       \
    do {                                                                                                               \
        snprintf(err, errlen, __VA_ARGS__);                                                                            \
        return CS_E_ARG;                                                                                               \
    } while (0)

/* An integer option >= min: 1 if `opt` is `name` (then *bad says whether `val` parsed), else 0. */
static int take_int(const char *opt, const char *name, const char *val, int min, int *dst, int *bad)
{
    if (strcmp(opt, name) != 0) return 0;
    int v;
    *bad = cs_cli_parse_int(val, &v) != 0 || v < min;
    if (!*bad) *dst = v;
    return 1;
}

static int take_double(const char *opt, const char *name, const char *val, double *dst, int *bad)
{
    if (strcmp(opt, name) != 0) return 0;
    *bad = cs_cli_parse_double(val, dst) != 0;
    return 1;
}

/* --- k-means --- */
static void kmeans_usage(FILE *f, const cs_cluster_params *d)
{
    fprintf(f,
            "  kmeans:  --clusters K (default: %d, or half the units when there are fewer than %d)\n"
            "           --restarts N (%d) --max-iter N (%d)\n",
            CS_KMEANS_DEFAULT_K, 2 * CS_KMEANS_DEFAULT_K, d->kmeans.restarts, d->kmeans.max_iter);
}

static int kmeans_parse(cs_cluster_params *p, const char *opt, const char *val, int *bad)
{
    if (!strcmp(opt, "-k")) opt = "--clusters";
    return take_int(opt, "--clusters", val, 1, &p->kmeans.k, bad) ||
           take_int(opt, "--restarts", val, INT_MIN, &p->kmeans.restarts, bad) ||
           take_int(opt, "--max-iter", val, 1, &p->kmeans.max_iter, bad);
}

static int kmeans_check(const cs_cluster_params *p, char *err, size_t errlen)
{
    if (p->kmeans.k < 0 || p->kmeans.k > 4096) BAD("--clusters %d: must be 1..4096", p->kmeans.k);
    if (p->kmeans.restarts < 1 || p->kmeans.restarts > 1000) BAD("--restarts %d: must be 1..1000", p->kmeans.restarts);
    if (p->kmeans.max_iter < 1) BAD("--max-iter %d: must be >= 1", p->kmeans.max_iter);
    return 0;
}

static int kmeans_run(const float *X, size_t n, size_t d, const float *w, const cs_cluster_params *p, uint64_t seed,
                      int threads, int *labels, cs_clustering *out, char *err, size_t errlen)
{
    int k = p->kmeans.k ? p->kmeans.k : cs_kmeans_auto_k(n);
    out->k_chosen = p->kmeans.k == 0;
    if ((size_t)k > n) {
        snprintf(err, errlen, "--clusters %d: more clusters than units (%zu)", k, n);
        return CS_E_TOO_FEW;
    }
    int rc = cs_kmeans(X, n, d, w, k, p->kmeans.restarts, p->kmeans.max_iter, 1e-4, seed, threads, labels, NULL,
                       &out->inertia);
    if (rc == CS_E_TOO_FEW) snprintf(err, errlen, "--clusters %d: more clusters than units (%zu)", k, n);
    out->num_labels = k;
    return rc;
}

static void kmeans_manifest(cJSON *cl, const cs_cluster_params *p, const cs_clustering *r)
{
    cJSON_AddNumberToObject(cl, "k", r->num_labels);
    cJSON_AddBoolToObject(cl, "k_chosen", r->k_chosen);
    cJSON_AddNumberToObject(cl, "restarts", p->kmeans.restarts);
    cJSON_AddNumberToObject(cl, "max_iter", p->kmeans.max_iter);
    cJSON_AddNumberToObject(cl, "inertia", r->inertia);
}

/* --- DBSCAN --- */
static void dbscan_usage(FILE *f, const cs_cluster_params *d)
{
    fprintf(f, "  dbscan:  --eps E (%g) --min-samples N (%d); noise units get a label of their own (the last)\n",
            d->dbscan.eps, d->dbscan.min_samples);
}

static int dbscan_parse(cs_cluster_params *p, const char *opt, const char *val, int *bad)
{
    return take_double(opt, "--eps", val, &p->dbscan.eps, bad) ||
           take_int(opt, "--min-samples", val, INT_MIN, &p->dbscan.min_samples, bad);
}

static int dbscan_check(const cs_cluster_params *p, char *err, size_t errlen)
{
    if (!(p->dbscan.eps > 0.0)) BAD("--eps %g: must be > 0", p->dbscan.eps);
    if (p->dbscan.min_samples < 1) BAD("--min-samples %d: must be >= 1", p->dbscan.min_samples);
    return 0;
}

static int dbscan_run(const float *X, size_t n, size_t d, const float *w, const cs_cluster_params *p, uint64_t seed,
                      int threads, int *labels, cs_clustering *out, char *err, size_t errlen)
{
    (void)seed; /* DBSCAN is deterministic without one */
    int nc = 0;
    int rc = cs_dbscan(X, n, d, w, p->dbscan.eps, p->dbscan.min_samples, threads, labels, &nc);
    if (rc) {
        snprintf(err, errlen, "--cluster dbscan: %s", cs_strerror(rc));
        return rc;
    }
    for (size_t u = 0; u < n; ++u)
        if (labels[u] < 0) out->noise_units++;
    if (out->noise_units) {
        out->noise_label = nc; /* noise gets the last label (BUNDLE.md) */
        for (size_t u = 0; u < n; ++u)
            if (labels[u] < 0) labels[u] = nc;
    }
    out->num_labels = nc + (out->noise_units ? 1 : 0);
    return 0;
}

static void dbscan_manifest(cJSON *cl, const cs_cluster_params *p, const cs_clustering *r)
{
    cJSON_AddNumberToObject(cl, "eps", p->dbscan.eps);
    cJSON_AddNumberToObject(cl, "min_samples", p->dbscan.min_samples);
    cJSON_AddNumberToObject(cl, "noise_label", r->noise_label);
    cJSON_AddNumberToObject(cl, "noise_units", (double)r->noise_units);
}

/* --- affinity propagation --- */
static void ap_usage(FILE *f, const cs_cluster_params *d)
{
    fprintf(f,
            "  ap:      --damping D (%g) --preference P (median similarity) --max-iter N (%d)\n"
            "           --convergence-iter N (%d)\n",
            d->ap.damping, d->ap.max_iter, d->ap.convergence_iter);
}

static int ap_parse(cs_cluster_params *p, const char *opt, const char *val, int *bad)
{
    return take_double(opt, "--damping", val, &p->ap.damping, bad) ||
           take_double(opt, "--preference", val, &p->ap.preference, bad) ||
           take_int(opt, "--max-iter", val, 1, &p->ap.max_iter, bad) ||
           take_int(opt, "--convergence-iter", val, INT_MIN, &p->ap.convergence_iter, bad);
}

static int ap_check(const cs_cluster_params *p, char *err, size_t errlen)
{
    if (!(p->ap.damping >= 0.5 && p->ap.damping < 1.0)) BAD("--damping %g: must be in [0.5, 1)", p->ap.damping);
    if (p->ap.convergence_iter < 1) BAD("--convergence-iter %d: must be >= 1", p->ap.convergence_iter);
    if (p->ap.max_iter < 1) BAD("--max-iter %d: must be >= 1", p->ap.max_iter);
    if (!isnan(p->ap.preference) && !isfinite(p->ap.preference)) BAD("--preference: must be finite");
    return 0;
}

static int ap_run(const float *X, size_t n, size_t d, const float *w, const cs_cluster_params *p, uint64_t seed,
                  int threads, int *labels, cs_clustering *out, char *err, size_t errlen)
{
    int *exemplars = malloc((n ? n : 1) * sizeof *exemplars);
    if (!exemplars) return CS_E_NOMEM;
    int nc = 0, converged = 1;
    int rc = cs_affinity_propagation(X, n, d, w, p->ap.damping, p->ap.max_iter, p->ap.convergence_iter,
                                     p->ap.preference, seed, threads, labels, exemplars, &nc, &converged);
    free(exemplars);
    if (rc == CS_E_TOO_LARGE)
        snprintf(err, errlen,
                 "--cluster ap: %zu units would need %.1f GB for affinity propagation's n x n matrices (at most %d "
                 "units); use --cluster kmeans",
                 n, (double)CS_AP_BYTES_PER_N2 * (double)n * (double)n / 1e9, CS_AP_MAX_N);
    else if (rc)
        snprintf(err, errlen, "--cluster ap: %s", cs_strerror(rc));
    else if (!converged && nc == 0) {
        snprintf(err, errlen,
                 "--cluster ap: affinity propagation did not converge in %d iterations and found no exemplar; raise "
                 "--max-iter or --damping",
                 p->ap.max_iter);
        rc = CS_E_ARG;
    } else if (!converged) { /* as scikit-learn: the last iteration's exemplars, with a warning */
        fprintf(stderr,
                "concatseq analyze: warning: --cluster ap did not converge in %d iterations; using the last "
                "iteration's %d exemplars (raise --max-iter or --damping to converge)\n",
                p->ap.max_iter, nc);
    }
    out->converged = converged;
    out->num_labels = nc;
    return rc;
}

static void ap_manifest(cJSON *cl, const cs_cluster_params *p, const cs_clustering *r)
{
    cJSON_AddBoolToObject(cl, "converged", r->converged != 0);
    cJSON_AddNumberToObject(cl, "damping", p->ap.damping);
    if (isnan(p->ap.preference))
        cJSON_AddStringToObject(cl, "preference", "median");
    else
        cJSON_AddNumberToObject(cl, "preference", p->ap.preference);
    cJSON_AddNumberToObject(cl, "max_iter", p->ap.max_iter);
    cJSON_AddNumberToObject(cl, "convergence_iter", p->ap.convergence_iter);
}

const cs_cluster_method cs_cluster_methods[] = {
    {"kmeans", kmeans_usage, kmeans_parse, kmeans_check, kmeans_run, kmeans_manifest},
    {"dbscan", dbscan_usage, dbscan_parse, dbscan_check, dbscan_run, dbscan_manifest},
    {"ap", ap_usage, ap_parse, ap_check, ap_run, ap_manifest},
};
const int cs_num_cluster_methods = (int)(sizeof cs_cluster_methods / sizeof cs_cluster_methods[0]);

int cs_cluster_method_find(const char *name)
{
    for (int m = 0; m < cs_num_cluster_methods; ++m)
        if (!strcmp(cs_cluster_methods[m].name, name)) return m;
    return -1;
}
