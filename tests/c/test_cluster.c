/*
 * test_cluster.c - cs_kmeans, cs_dbscan and cs_affinity_propagation against scikit-learn 1.2 fixtures
 * (tests/scripts/cluster_reference.py writes tests/fixtures/cluster_*), plus determinism, thread-count
 * independence, zero-weight columns, degenerate input and error cases; and the method table of `analyze`
 * (cs_cluster_method.h): names, the K chosen from the number of units, option parsing, checks and runs.
 */
#include "cs_cluster.h"
#include "cs_cluster_method.h"
#include "cs_error.h"
#include "cs_rng.h"
#include "cs_test.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- fixture reading: whitespace-separated tokens, lines starting with '#' skipped ---- */

typedef struct tokens {
    char *buf;
    char **tok;
    size_t n, pos;
} tokens;

static int tokens_load(tokens *t, const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", CS_FIXTURE_DIR, name);
    memset(t, 0, sizeof *t);
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    t->buf = malloc((size_t)len + 1);
    if (!t->buf || fread(t->buf, 1, (size_t)len, f) != (size_t)len) {
        fclose(f);
        return -1;
    }
    fclose(f);
    t->buf[len] = 0;
    size_t cap = 1024;
    t->tok = malloc(cap * sizeof(char *));
    char *p = t->buf;
    int line_start = 1;
    while (*p) {
        if (line_start && *p == '#') {
            while (*p && *p != '\n')
                p++;
            continue;
        }
        if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') {
            line_start = *p == '\n';
            *p++ = 0;
            continue;
        }
        line_start = 0;
        if (t->n == cap) {
            cap *= 2;
            t->tok = realloc(t->tok, cap * sizeof(char *));
        }
        t->tok[t->n++] = p;
        while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
            p++;
    }
    return 0;
}

static const char *tok_str(tokens *t)
{
    return t->pos < t->n ? t->tok[t->pos++] : "";
}
static double tok_num(tokens *t)
{
    return strtod(tok_str(t), NULL);
}
static int tok_int(tokens *t)
{
    return (int)strtol(tok_str(t), NULL, 10);
}
static void tokens_free(tokens *t)
{
    free(t->buf);
    free(t->tok);
}

/* data file: n d, then n*d floats */
static float *load_data(const char *name, size_t *n, size_t *d)
{
    tokens t;
    if (tokens_load(&t, name)) {
        fprintf(stderr, "cannot read fixture %s\n", name);
        return NULL;
    }
    *n = (size_t)tok_int(&t);
    *d = (size_t)tok_int(&t);
    float *X = malloc(*n * *d * sizeof(float));
    for (size_t i = 0; i < *n * *d; i++)
        X[i] = strtof(tok_str(&t), NULL);
    tokens_free(&t);
    return X;
}

/* "none" -> 0 (w untouched), else d comma-separated floats -> 1 */
static int parse_weights(const char *s, float *w, size_t d)
{
    if (!strcmp(s, "none")) return 0;
    char *end;
    for (size_t j = 0; j < d; j++) {
        w[j] = strtof(s, &end);
        s = *end == ',' ? end + 1 : end;
    }
    return 1;
}

/* ---- helpers ---- */

/* inertia recomputed from labels and centroids (plain space), with the weights */
static double inertia_of(const float *X, size_t n, size_t d, const float *w, const int *lab, const float *cen)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++) {
            double e = (double)X[i * d + j] - (double)cen[(size_t)lab[i] * d + j];
            s += (w ? (double)w[j] : 1.0) * e * e;
        }
    return s;
}

/* copy of X without column `col` */
static float *drop_column(const float *X, size_t n, size_t d, size_t col)
{
    float *Y = malloc(n * (d - 1) * sizeof(float));
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0, o = 0; j < d; j++)
            if (j != col) Y[i * (d - 1) + o++] = X[i * d + j];
    return Y;
}

/* ---- k-means ---- */

static void test_kmeans_reference(void)
{
    tokens t;
    CS_CHECK(tokens_load(&t, "cluster_kmeans_ref.txt") == 0, "cluster_kmeans_ref.txt");
    int cases = 0;
    while (t.pos < t.n) {
        const char *data = tok_str(&t), *ws = tok_str(&t);
        int k = tok_int(&t), n_init = tok_int(&t), max_iter = tok_int(&t);
        double tol = tok_num(&t), ref = tok_num(&t);
        size_t n, d;
        float *X = load_data(data, &n, &d);
        CS_CHECK(X != NULL, "%s", data);
        if (!X) break;
        float w[64];
        const float *wp = parse_weights(ws, w, d) ? w : NULL;
        int *lab = malloc(n * sizeof(int));
        float *cen = malloc((size_t)k * d * sizeof(float));
        double inertia = -1.0;
        int err = cs_kmeans(X, n, d, wp, k, n_init, max_iter, tol, 0, 2, lab, cen, &inertia);
        CS_CHECK(err == 0, "cs_kmeans %s k=%d: %s", data, k, cs_strerror(err));
        printf("k-means %s w=%s k=%d n_init=%d: inertia %.6f, scikit-learn %.6f (ratio %.5f)\n", data, ws, k, n_init,
               inertia, ref, inertia / ref);
        CS_CHECK(fabs(inertia / ref - 1.0) <= 0.01, "%s k=%d: inertia %.6f vs scikit-learn %.6f", data, k, inertia,
                 ref);
        int ok = 1;
        int *count = calloc((size_t)k, sizeof(int));
        for (size_t i = 0; i < n; i++) {
            if (lab[i] < 0 || lab[i] >= k)
                ok = 0;
            else
                count[lab[i]]++;
        }
        CS_CHECK(ok, "labels in 0..k-1");
        /* centroids are the members' means (plain space) and give back the reported inertia */
        double maxdev = 0.0;
        for (int c = 0; c < k; c++) {
            for (size_t j = 0; j < d; j++) {
                double m = 0.0;
                for (size_t i = 0; i < n; i++)
                    if (lab[i] == c) m += (double)X[i * d + j];
                if (count[c]) maxdev = fmax(maxdev, fabs(m / count[c] - (double)cen[(size_t)c * d + j]));
            }
        }
        CS_CHECK(maxdev < 1e-4, "centroids are member means (max deviation %g)", maxdev);
        CS_CHECK_NEAR(inertia_of(X, n, d, wp, lab, cen) / inertia, 1.0, 1e-5, "inertia from labels + centroids");
        free(count);
        free(lab);
        free(cen);
        free(X);
        cases++;
    }
    CS_CHECK(cases == 5, "%d k-means cases", cases);
    tokens_free(&t);
}

static void test_kmeans_determinism(void)
{
    size_t n, d;
    float *X = load_data("cluster_aniso.txt", &n, &d);
    if (!X) return;
    int *a = malloc(n * sizeof(int)), *b = malloc(n * sizeof(int));
    float *ca = malloc(8 * d * sizeof(float)), *cb = malloc(8 * d * sizeof(float));
    double ia, ib;
    CS_CHECK(cs_kmeans(X, n, d, NULL, 8, 3, 300, 1e-4, 42, 1, a, ca, &ia) == 0, "run 1");
    CS_CHECK(cs_kmeans(X, n, d, NULL, 8, 3, 300, 1e-4, 42, 1, b, cb, &ib) == 0, "run 2");
    CS_CHECK(!memcmp(a, b, n * sizeof(int)) && !memcmp(ca, cb, 8 * d * sizeof(float)) && ia == ib,
             "same seed, same labels, centroids and inertia");
    for (int th = 2; th <= 3; th++) {
        CS_CHECK(cs_kmeans(X, n, d, NULL, 8, 3, 300, 1e-4, 42, th, b, cb, &ib) == 0, "threads %d", th);
        CS_CHECK(!memcmp(a, b, n * sizeof(int)) && !memcmp(ca, cb, 8 * d * sizeof(float)) && ia == ib,
                 "1 vs %d threads identical", th);
    }
    /* tol = 0 and max_iter = 1 are valid */
    CS_CHECK(cs_kmeans(X, n, d, NULL, 8, 1, 1, 0.0, 1, 2, b, cb, &ib) == 0 && ib >= ia * 0.99, "max_iter 1");
    free(X);
    free(a);
    free(b);
    free(ca);
    free(cb);

    /* a larger set (spans several parallel blocks): 1 vs 2 threads identical */
    const size_t N = 20000, D = 5;
    float *Y = malloc(N * D * sizeof(float));
    cs_rng rng;
    cs_rng_seed(&rng, 7);
    for (size_t i = 0; i < N; i++) {
        double off = (double)cs_rng_below(&rng, 6) * 2.0;
        for (size_t j = 0; j < D; j++)
            Y[i * D + j] = (float)(off + cs_rng_normal(&rng));
    }
    int *la = malloc(N * sizeof(int)), *lb = malloc(N * sizeof(int));
    float *cen = malloc(20 * D * sizeof(float));
    CS_CHECK(cs_kmeans(Y, N, D, NULL, 20, 2, 100, 1e-4, 3, 1, la, cen, &ia) == 0, "large 1 thread");
    CS_CHECK(cs_kmeans(Y, N, D, NULL, 20, 2, 100, 1e-4, 3, 2, lb, cen, &ib) == 0, "large 2 threads");
    CS_CHECK(!memcmp(la, lb, N * sizeof(int)) && ia == ib, "large: 1 vs 2 threads identical");
    free(Y);
    free(la);
    free(lb);
    free(cen);
}

static void test_kmeans_weights_and_edges(void)
{
    size_t n, d;
    float *X = load_data("cluster_blobs.txt", &n, &d);
    if (!X) return;
    /* a zero-weight column is ignored: same labels and inertia as without the column */
    float w[6] = {1.0f, 0.5f, 2.0f, 0.0f, 1.0f, 0.25f}, w5[5] = {1.0f, 0.5f, 2.0f, 1.0f, 0.25f};
    float *Y = drop_column(X, n, d, 3);
    int *a = malloc(n * sizeof(int)), *b = malloc(n * sizeof(int));
    float ca[8 * 6], cb[8 * 6];
    double ia, ib;
    CS_CHECK(cs_kmeans(X, n, d, w, 5, 4, 300, 1e-4, 9, 2, a, ca, &ia) == 0, "weighted");
    CS_CHECK(cs_kmeans(Y, n, d - 1, w5, 5, 4, 300, 1e-4, 9, 2, b, cb, &ib) == 0, "column dropped");
    CS_CHECK(!memcmp(a, b, n * sizeof(int)) && ia == ib, "zero-weight column ignored (inertia %.9g vs %.9g)", ia, ib);
    /* its centroid column is the members' plain mean */
    double m = 0.0;
    size_t cnt = 0;
    for (size_t i = 0; i < n; i++)
        if (a[i] == 0) m += (double)X[i * d + 3], cnt++;
    CS_CHECK_NEAR(ca[3], m / (double)cnt, 1e-4, "zero-weight centroid column");

    /* scaling all weights by 4 scales the inertia by 4 and keeps the labels */
    float w4[6];
    for (int j = 0; j < 6; j++)
        w4[j] = 4.0f * w[j];
    CS_CHECK(cs_kmeans(X, n, d, w4, 5, 4, 300, 1e-4, 9, 2, b, cb, &ib) == 0, "weights x4");
    CS_CHECK(!memcmp(a, b, n * sizeof(int)), "weights x4: same labels");
    CS_CHECK_NEAR(ib / ia, 4.0, 1e-5, "weights x4: inertia x4");

    /* k = n: every point its own cluster, inertia 0; k = 1: the mean */
    CS_CHECK(cs_kmeans(X, 7, d, NULL, 7, 1, 50, 1e-4, 0, 1, a, ca, &ia) == 0 && ia == 0.0, "k = n: inertia 0");
    float c1[6];
    CS_CHECK(cs_kmeans(X, n, d, NULL, 1, 2, 50, 1e-4, 0, 2, a, c1, &ia) == 0, "k = 1");
    double mean0 = 0.0;
    for (size_t i = 0; i < n; i++)
        mean0 += (double)X[i * d];
    CS_CHECK_NEAR(c1[0], mean0 / (double)n, 1e-4, "k = 1 centroid is the mean");

    /* fewer distinct points than clusters: empty clusters are relocated, the result is still exact */
    float dup[12 * 2];
    for (int i = 0; i < 12; i++) {
        dup[2 * i] = (float)(i % 3);
        dup[2 * i + 1] = (float)(i % 3) * 2.0f;
    }
    int dl[12];
    float dc[5 * 2];
    CS_CHECK(cs_kmeans(dup, 12, 2, NULL, 5, 3, 50, 1e-4, 0, 2, dl, dc, &ia) == 0 && ia == 0.0,
             "3 distinct points, k = 5: inertia %g", ia);
    for (int i = 0; i < 12; i++)
        CS_CHECK(dl[i] >= 0 && dl[i] < 5 && dl[i] == dl[i % 3], "duplicates share a label");

    /* errors */
    CS_CHECK(cs_kmeans(X, 4, d, NULL, 5, 1, 10, 1e-4, 0, 1, a, ca, &ia) == CS_E_TOO_FEW, "k > n");
    CS_CHECK(cs_kmeans(X, n, d, NULL, 0, 1, 10, 1e-4, 0, 1, a, ca, &ia) == CS_E_ARG, "k = 0");
    CS_CHECK(cs_kmeans(X, n, d, NULL, -3, 1, 10, 1e-4, 0, 1, a, ca, &ia) == CS_E_ARG, "k < 0");
    CS_CHECK(cs_kmeans(X, n, d, NULL, 3, 0, 10, 1e-4, 0, 1, a, ca, &ia) == CS_E_ARG, "n_init = 0");
    CS_CHECK(cs_kmeans(X, n, d, NULL, 3, 1, 0, 1e-4, 0, 1, a, ca, &ia) == CS_E_ARG, "max_iter = 0");
    CS_CHECK(cs_kmeans(X, n, d, NULL, 3, 1, 10, -1.0, 0, 1, a, ca, &ia) == CS_E_ARG, "tol < 0");
    CS_CHECK(cs_kmeans(NULL, n, d, NULL, 3, 1, 10, 1e-4, 0, 1, a, ca, &ia) == CS_E_ARG, "X NULL");
    CS_CHECK(cs_kmeans(X, n, 0, NULL, 3, 1, 10, 1e-4, 0, 1, a, ca, &ia) == CS_E_ARG, "d = 0");
    float wneg[6] = {1, 1, -1, 1, 1, 1}, wzero[6] = {0};
    CS_CHECK(cs_kmeans(X, n, d, wneg, 3, 1, 10, 1e-4, 0, 1, a, ca, &ia) == CS_E_ARG, "negative weight");
    CS_CHECK(cs_kmeans(X, n, d, wzero, 3, 1, 10, 1e-4, 0, 1, a, ca, &ia) == CS_E_ARG, "all weights zero");
    float keep = X[17];
    X[17] = NAN;
    CS_CHECK(cs_kmeans(X, n, d, NULL, 3, 1, 10, 1e-4, 0, 1, a, ca, &ia) == CS_E_NONFINITE, "NaN in X");
    X[17] = keep;
    free(X);
    free(Y);
    free(a);
    free(b);
}

/* ---- DBSCAN ---- */

static void test_dbscan_reference(void)
{
    tokens t;
    CS_CHECK(tokens_load(&t, "cluster_dbscan_ref.txt") == 0, "cluster_dbscan_ref.txt");
    int cases = 0;
    while (t.pos < t.n) {
        const char *data = tok_str(&t), *ws = tok_str(&t);
        double eps = tok_num(&t);
        int ms = tok_int(&t), nc_ref = tok_int(&t), n_ref = tok_int(&t);
        int n_core = tok_int(&t), n_border = tok_int(&t), n_noise = tok_int(&t);
        size_t n, d;
        float *X = load_data(data, &n, &d);
        CS_CHECK(X != NULL && (size_t)n_ref == n, "%s", data);
        if (!X) break;
        int *ref = malloc(n * sizeof(int)), *lab = malloc(n * sizeof(int)), *lab1 = malloc(n * sizeof(int));
        for (size_t i = 0; i < n; i++)
            ref[i] = tok_int(&t);
        float w[64];
        const float *wp = parse_weights(ws, w, d) ? w : NULL;
        int nc = -1, nc1 = -1;
        CS_CHECK(cs_dbscan(X, n, d, wp, eps, ms, 2, lab, &nc) == 0, "cs_dbscan");
        CS_CHECK(nc == nc_ref, "eps %g min_samples %d: %d clusters vs scikit-learn %d", eps, ms, nc, nc_ref);
        size_t diff = 0;
        for (size_t i = 0; i < n; i++)
            diff += lab[i] != ref[i];
        printf("DBSCAN eps=%g min_samples=%d w=%s: %d clusters (%d core, %d border, %d noise), %zu labels differ\n",
               eps, ms, ws, nc, n_core, n_border, n_noise, diff);
        CS_CHECK(diff == 0, "eps %g min_samples %d: %zu labels differ from scikit-learn", eps, ms, diff);
        CS_CHECK(cs_dbscan(X, n, d, wp, eps, ms, 1, lab1, &nc1) == 0 && nc1 == nc &&
                     !memcmp(lab, lab1, n * sizeof(int)),
                 "1 vs 2 threads identical");
        if (wp) { /* the zero-weight column is ignored */
            size_t z = 0;
            while (z < d && w[z] != 0.0f)
                z++;
            float *Y = drop_column(X, n, d, z), wr[64];
            for (size_t j = 0, o = 0; j < d; j++)
                if (j != z) wr[o++] = w[j];
            CS_CHECK(cs_dbscan(Y, n, d - 1, wr, eps, ms, 2, lab1, &nc1) == 0 && nc1 == nc &&
                         !memcmp(lab, lab1, n * sizeof(int)),
                     "zero-weight column ignored");
            free(Y);
        }
        free(ref);
        free(lab);
        free(lab1);
        free(X);
        cases++;
    }
    CS_CHECK(cases == 4, "%d DBSCAN cases", cases);
    tokens_free(&t);
}

/* Neighbour lists beyond the memory budget (2^26 entries) are recomputed during expansion: two dense groups
 * of 6000 points (72 M pairs), a border point and isolated noise; the answer is known by construction. */
static void test_dbscan_large(void)
{
    const size_t g = 6000, n = 2 * g + 3;
    float *X = malloc(n * sizeof(float));
    int *lab = malloc(n * sizeof(int));
    X[0] = 100.0f; /* noise */
    for (size_t i = 0; i < g; i++)
        X[1 + i] = 10.0f + (float)i / (float)g; /* group B: [10, 11) */
    X[1 + g] = 8.01f;                           /* border of group B: 61 points within eps, itself included */
    for (size_t i = 0; i < g; i++)
        X[2 + g + i] = (float)i / (float)g; /* group A: [0, 1) */
    X[n - 1] = -50.0f;                      /* noise */
    int nc = -1;
    CS_CHECK(cs_dbscan(X, n, 1, NULL, 2.0, 100, 2, lab, &nc) == 0, "large DBSCAN");
    CS_CHECK(nc == 2, "2 clusters, got %d", nc);
    int ok = lab[0] == -1 && lab[n - 1] == -1 && lab[1 + g] == 0;
    for (size_t i = 0; i < g; i++)
        ok &= lab[1 + i] == 0 && lab[2 + g + i] == 1;
    CS_CHECK(ok, "groups, border point and noise labelled as constructed");
    free(X);
    free(lab);
}

static void test_dbscan_errors(void)
{
    float X[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    int lab[8], nc;
    CS_CHECK(cs_dbscan(X, 8, 1, NULL, 0.0, 3, 1, lab, &nc) == CS_E_ARG, "eps = 0");
    CS_CHECK(cs_dbscan(X, 8, 1, NULL, -1.0, 3, 1, lab, &nc) == CS_E_ARG, "eps < 0");
    CS_CHECK(cs_dbscan(X, 8, 1, NULL, NAN, 3, 1, lab, &nc) == CS_E_ARG, "eps NaN");
    CS_CHECK(cs_dbscan(X, 8, 1, NULL, 1.0, 0, 1, lab, &nc) == CS_E_ARG, "min_samples = 0");
    CS_CHECK(cs_dbscan(X, 0, 1, NULL, 1.0, 3, 1, lab, &nc) == CS_E_EMPTY, "n = 0");
    /* eps inclusive: points exactly eps apart are neighbours */
    CS_CHECK(cs_dbscan(X, 8, 1, NULL, 1.0, 3, 1, lab, &nc) == 0 && nc == 1 && lab[0] == 0 && lab[7] == 0,
             "eps is inclusive");
    CS_CHECK(cs_dbscan(X, 8, 1, NULL, 0.999, 2, 1, lab, &nc) == 0 && nc == 0 && lab[3] == -1, "eps just below");
}

/* ---- affinity propagation ---- */

static void test_ap_reference(void)
{
    tokens t;
    CS_CHECK(tokens_load(&t, "cluster_ap_ref.txt") == 0, "cluster_ap_ref.txt");
    int cases = 0;
    while (t.pos < t.n) {
        const char *data = tok_str(&t), *ws = tok_str(&t);
        double damping = tok_num(&t);
        int max_iter = tok_int(&t), conv_iter = tok_int(&t);
        double pref = tok_num(&t);
        int conv_ref = tok_int(&t), nc_ref = tok_int(&t), n_ref = tok_int(&t), noise_diff = tok_int(&t);
        size_t n, d;
        float *X = load_data(data, &n, &d);
        CS_CHECK(X != NULL && (size_t)n_ref == n, "%s", data);
        if (!X) break;
        int *ex_ref = malloc((size_t)nc_ref * sizeof(int)), *ref = malloc(n * sizeof(int));
        for (int q = 0; q < nc_ref; q++)
            ex_ref[q] = tok_int(&t);
        for (size_t i = 0; i < n; i++)
            ref[i] = tok_int(&t);
        float w[64];
        const float *wp = parse_weights(ws, w, d) ? w : NULL;
        int *lab = malloc(n * sizeof(int)), *ex = malloc(n * sizeof(int));
        int *lab1 = malloc(n * sizeof(int)), *ex1 = malloc(n * sizeof(int));
        int nc = -1, conv = -1, nc1 = -1, conv1 = -1;
        int err = cs_affinity_propagation(X, n, d, wp, damping, max_iter, conv_iter, pref, 0, 2, lab, ex, &nc, &conv);
        CS_CHECK(err == 0, "cs_affinity_propagation: %s", cs_strerror(err));
        int same_ex = nc == nc_ref && !memcmp(ex, ex_ref, (size_t)nc_ref * sizeof(int));
        int same_lab = !memcmp(lab, ref, n * sizeof(int));
        /* exemplars in one set but not the other */
        int sym = 0;
        for (int q = 0; q < nc; q++) {
            int found = 0;
            for (int r = 0; r < nc_ref; r++)
                found |= ex[q] == ex_ref[r];
            sym += !found;
        }
        for (int r = 0; r < nc_ref; r++) {
            int found = 0;
            for (int q = 0; q < nc; q++)
                found |= ex[q] == ex_ref[r];
            sym += !found;
        }
        printf("AP %s w=%s damping=%g max_iter=%d preference=%g: %d exemplars (scikit-learn %d), converged %d (%d), "
               "exemplars %s (%d differ; scikit-learn's own noise seeds: up to %d), labels %s\n",
               data, ws, damping, max_iter, pref, nc, nc_ref, conv, conv_ref, same_ex ? "identical" : "differ", sym,
               noise_diff, same_lab ? "identical" : "differ");
        CS_CHECK(nc == nc_ref, "%d exemplars vs scikit-learn %d", nc, nc_ref);
        if (noise_diff == 0) { /* a well-posed case: exactly scikit-learn's answer */
            CS_CHECK(same_ex, "exemplars identical to scikit-learn");
            CS_CHECK(same_lab, "labels identical to scikit-learn");
        } else { /* tie-breaking noise matters: no further from it than its own seeds are from each other */
            CS_CHECK(sym <= noise_diff, "%d exemplars differ (scikit-learn's seeds: up to %d)", sym, noise_diff);
        }
        CS_CHECK(conv == conv_ref, "converged %d vs %d", conv, conv_ref);
        CS_CHECK(cs_affinity_propagation(X, n, d, wp, damping, max_iter, conv_iter, pref, 0, 1, lab1, ex1, &nc1,
                                         &conv1) == 0 &&
                     nc1 == nc && conv1 == conv && !memcmp(lab, lab1, n * sizeof(int)) &&
                     !memcmp(ex, ex1, n * sizeof(int)),
                 "1 vs 2 threads identical");
        if (wp) {
            size_t z = 0;
            while (z < d && w[z] != 0.0f)
                z++;
            float *Y = drop_column(X, n, d, z), wr[64];
            for (size_t j = 0, o = 0; j < d; j++)
                if (j != z) wr[o++] = w[j];
            CS_CHECK(cs_affinity_propagation(Y, n, d - 1, wr, damping, max_iter, conv_iter, pref, 0, 2, lab1, ex1, &nc1,
                                             &conv1) == 0 &&
                         nc1 == nc && !memcmp(lab, lab1, n * sizeof(int)),
                     "zero-weight column ignored");
            free(Y);
        }
        free(ex_ref);
        free(ref);
        free(lab);
        free(ex);
        free(lab1);
        free(ex1);
        free(X);
        cases++;
    }
    CS_CHECK(cases == 8, "%d AP cases", cases);
    tokens_free(&t);
}

static void test_ap_errors(void)
{
    float X[6] = {0, 1, 5, 6, 10, 11};
    int lab[6], ex[6], nc, conv;
    CS_CHECK(cs_affinity_propagation(X, 6, 1, NULL, 0.4, 200, 15, NAN, 0, 1, lab, ex, &nc, &conv) == CS_E_ARG,
             "damping < 0.5");
    CS_CHECK(cs_affinity_propagation(X, 6, 1, NULL, 1.0, 200, 15, NAN, 0, 1, lab, ex, &nc, &conv) == CS_E_ARG,
             "damping = 1");
    CS_CHECK(cs_affinity_propagation(X, 6, 1, NULL, 0.5, 0, 15, NAN, 0, 1, lab, ex, &nc, &conv) == CS_E_ARG,
             "max_iter = 0");
    CS_CHECK(cs_affinity_propagation(X, 6, 1, NULL, 0.5, 200, 0, NAN, 0, 1, lab, ex, &nc, &conv) == CS_E_ARG,
             "convergence_iter = 0");
    CS_CHECK(cs_affinity_propagation(X, 6, 1, NULL, 0.5, 200, 15, INFINITY, 0, 1, lab, ex, &nc, &conv) == CS_E_ARG,
             "infinite preference");
    CS_CHECK(cs_affinity_propagation(X, 0, 1, NULL, 0.5, 200, 15, NAN, 0, 1, lab, ex, &nc, &conv) == CS_E_EMPTY,
             "n = 0");
    /* n above the limit is refused before any allocation */
    size_t big = (size_t)CS_AP_MAX_N + 1;
    float *Y = calloc(big, sizeof(float));
    int *bl = malloc(big * sizeof(int)), *be = malloc(big * sizeof(int));
    CS_CHECK(cs_affinity_propagation(Y, big, 1, NULL, 0.5, 200, 15, NAN, 0, 1, bl, be, &nc, &conv) == CS_E_TOO_LARGE,
             "n > CS_AP_MAX_N");
    free(Y);
    free(bl);
    free(be);
    /* one point: its own exemplar */
    CS_CHECK(cs_affinity_propagation(X, 1, 1, NULL, 0.5, 200, 15, NAN, 0, 1, lab, ex, &nc, &conv) == 0 && nc == 1 &&
                 ex[0] == 0 && lab[0] == 0 && conv == 1,
             "n = 1");
    /* three pairs: three clusters numbered by exemplar index, same seed same answer */
    CS_CHECK(cs_affinity_propagation(X, 6, 1, NULL, 0.5, 200, 15, NAN, 3, 2, lab, ex, &nc, &conv) == 0, "pairs");
    CS_CHECK(nc == 3 && conv == 1 && lab[0] == lab[1] && lab[2] == lab[3] && lab[4] == lab[5] && lab[0] == 0 &&
                 lab[2] == 1 && lab[4] == 2 && ex[0] <= 1 && ex[1] >= 2 && ex[1] <= 3 && ex[2] >= 4,
             "three pairs: %d clusters", nc);
}

/* ---- the method table ---- */
static void test_method_table(void)
{
    static const struct {
        size_t n;
        int k;
    } auto_k[] = {{0, 1}, {1, 1}, {2, 1}, {10, 5}, {31, 15}, {32, 16}, {33, 16}, {100000, 16}};
    for (size_t i = 0; i < sizeof auto_k / sizeof auto_k[0]; ++i)
        CS_CHECK(cs_kmeans_auto_k(auto_k[i].n) == auto_k[i].k, "auto K of %zu units: %d", auto_k[i].n,
                 cs_kmeans_auto_k(auto_k[i].n));
    CS_CHECK(cs_cluster_method_find("kmeans") == 0, "k-means is the default, first");
    CS_CHECK(cs_cluster_method_find("nope") < 0, "unknown method");
    for (int m = 0; m < cs_num_cluster_methods; ++m) {
        const cs_cluster_method *cm = &cs_cluster_methods[m];
        CS_CHECK(cm->name && cm->usage && cm->parse && cm->check && cm->run && cm->manifest, "method %d complete", m);
        CS_CHECK(cs_cluster_method_find(cm->name) == m, "%s found", cm->name);
    }
    cs_cluster_params p;
    cs_cluster_params_default(&p);
    char err[256] = "";
    for (int m = 0; m < cs_num_cluster_methods; ++m)
        CS_CHECK(cs_cluster_methods[m].check(&p, err, sizeof err) == 0, "defaults pass %s's check: %s",
                 cs_cluster_methods[m].name, err);
    /* --max-iter belongs to k-means and AP both; --eps only to DBSCAN; a bad value is reported, not stored */
    int bad = 0, taken = 0;
    for (int m = 0; m < cs_num_cluster_methods; ++m)
        taken += cs_cluster_methods[m].parse(&p, "--max-iter", "50", &bad);
    CS_CHECK(taken == 2 && !bad && p.kmeans.max_iter == 50 && p.ap.max_iter == 50, "--max-iter: %d methods", taken);
    taken = 0;
    for (int m = 0; m < cs_num_cluster_methods; ++m)
        taken += cs_cluster_methods[m].parse(&p, "--eps", "x", &bad);
    CS_CHECK(taken == 1 && bad && p.dbscan.eps == 3.0, "--eps x: rejected, default kept");
    bad = 0;
    CS_CHECK(cs_cluster_methods[0].parse(&p, "--clusters", "0", &bad) && bad, "--clusters 0 is not a K");
    p.ap.damping = 1.0;
    CS_CHECK(cs_cluster_methods[2].check(&p, err, sizeof err) == CS_E_ARG && strstr(err, "--damping 1"),
             "damping 1 refused: %s", err);
    /* runs: automatic K on 10 points gives 5 labels; an explicit K above the points names the option */
    float X[20];
    for (int i = 0; i < 20; ++i)
        X[i] = (float)((i * 7919) % 13) * 0.25f;
    int labels[10];
    cs_cluster_params_default(&p);
    cs_clustering r = {0, -1, 0, 0, NAN, 1};
    CS_CHECK(cs_cluster_methods[0].run(X, 10, 2, NULL, &p, 1, 1, labels, &r, err, sizeof err) == 0 &&
                 r.num_labels == 5 && r.k_chosen,
             "auto K run: %d labels (%s)", r.num_labels, err);
    p.kmeans.k = 16;
    memset(&r, 0, sizeof r);
    CS_CHECK(cs_cluster_methods[0].run(X, 10, 2, NULL, &p, 1, 1, labels, &r, err, sizeof err) == CS_E_TOO_FEW &&
                 !strcmp(err, "--clusters 16: more clusters than units (10)"),
             "explicit K 16 of 10: %s", err);
    /* affinity propagation above its limit: one line naming the memory it would need and the alternative */
    float *big = calloc(CS_AP_MAX_N + 1, sizeof(float));
    int *biglab = malloc((CS_AP_MAX_N + 1) * sizeof(int));
    cs_cluster_params_default(&p);
    memset(&r, 0, sizeof r);
    CS_CHECK(big && biglab &&
                 cs_cluster_methods[2].run(big, CS_AP_MAX_N + 1, 1, NULL, &p, 1, 1, biglab, &r, err, sizeof err) ==
                     CS_E_TOO_LARGE &&
                 strstr(err, "10001 units would need 1.2 GB") && strstr(err, "--cluster kmeans") && !strchr(err, '\n'),
             "ap above the limit: %s", err);
    free(big);
    free(biglab);
    /* not converged (12 iterations, fewer than convergence_iter 15): the last exemplars are used, run succeeds */
    float Y[40];
    for (int i = 0; i < 40; ++i)
        Y[i] = (float)(i / 10) * 5.0f + (float)((i * 7919) % 13) * 0.05f;
    int ylab[40];
    cs_cluster_params_default(&p);
    p.ap.max_iter = 12;
    memset(&r, 0, sizeof r);
    r.converged = 1;
    int rc = cs_cluster_methods[2].run(Y, 40, 1, NULL, &p, 1, 1, ylab, &r, err, sizeof err);
    int in_range = 1;
    for (int i = 0; i < 40; ++i)
        in_range &= ylab[i] >= 0 && ylab[i] < r.num_labels;
    CS_CHECK(rc == 0 && !r.converged && r.num_labels > 0 && in_range,
             "ap not converged: rc %d converged %d, %d labels (%s)", rc, r.converged, r.num_labels, rc ? err : "");
}

int main(void)
{
    test_kmeans_reference();
    test_kmeans_determinism();
    test_kmeans_weights_and_edges();
    test_dbscan_reference();
    test_dbscan_large();
    test_dbscan_errors();
    test_ap_reference();
    test_ap_errors();
    test_method_table();
    CS_TEST_END();
}
