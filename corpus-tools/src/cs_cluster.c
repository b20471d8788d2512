/*
 * cs_cluster.c - k-means (k-means++ / Lloyd with Hamerly's bounds), DBSCAN and affinity propagation on the
 * weighted unit descriptors. See cs_cluster.h for the contracts; this file documents the how.
 *
 * Determinism: every parallel loop runs over FIXED blocks of points (or rows / columns) whose size does not
 * depend on the thread count; each block writes only its own outputs and its own partial sums, and partial
 * sums are reduced by the calling thread in block order. So the thread count changes the wall time, never
 * a bit of the result. Floating-point contraction is off (ISO C mode: -ffp-contract=off), and the SIMD
 * kernels vectorise ACROSS centres or points (each lane does the same sequential sum over the descriptor
 * columns as the scalar code), so the results are also identical whatever vector width the compiler uses.
 */
#include "cs_cluster.h"

#include "cs_error.h"
#include "cs_rng.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------------------------------------ */
/* Fixed-size SIMD vectors (GCC/Clang vector extension): 16 floats. The compiler splits them into whatever
 * registers the target has; lanes never interact, so the bits do not depend on the target. */

typedef float cs_vf __attribute__((vector_size(64)));
typedef int32_t cs_vi __attribute__((vector_size(64)));
#define VW 16

/* The two distance kernels are also compiled for AVX2 and AVX-512 and picked at load time (GCC function
 * multi-versioning). Contraction stays off, so every clone computes the same bits. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__) &&                           \
    !defined(__SANITIZE_THREAD__) && !defined(CS_CLUSTER_NO_CLONES) /* ifunc resolvers run before TSan starts */
#define CS_KERNEL __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define CS_KERNEL
#endif

#define VLOAD(dst, ptr)  memcpy(&(dst), (ptr), sizeof(cs_vf))
#define VSTORE(ptr, src) memcpy((ptr), &(src), sizeof(cs_vf))
/* elementwise minimum: a where a < b, else b */
#define VMIN(dst, a, b)                                                                                                \
    do {                                                                                                               \
        cs_vi m_ = (a) < (b);                                                                                          \
        (dst) = (cs_vf)(((cs_vi)(a)&m_) | ((cs_vi)(b) & ~m_));                                                         \
    } while (0)

/* ------------------------------------------------------------------------------------------------------ */
/* A small persistent thread pool running "for each block b in [0, n_blocks): fn(ctx, b, thread)". */

#define CS_CLUSTER_MAX_THREADS 64

typedef void (*cs_job_fn)(void *ctx, size_t block, int thread);

typedef struct cs_pool cs_pool;

typedef struct cs_pool_thread {
    cs_pool *pool;
    int id;
} cs_pool_thread;

struct cs_pool {
    pthread_mutex_t mu;
    pthread_cond_t cv_start, cv_done;
    pthread_t th[CS_CLUSTER_MAX_THREADS];
    cs_pool_thread arg[CS_CLUSTER_MAX_THREADS];
    int n_workers; /* threads besides the caller */
    unsigned gen;
    int busy, quit;
    cs_job_fn fn;
    void *ctx;
    size_t n_blocks, next;
};

/* called with the mutex held; returns with it held */
static void pool_drain(cs_pool *p, int id)
{
    while (p->next < p->n_blocks) {
        size_t b = p->next++;
        pthread_mutex_unlock(&p->mu);
        p->fn(p->ctx, b, id);
        pthread_mutex_lock(&p->mu);
    }
}

static void *pool_main(void *varg)
{
    cs_pool_thread *t = varg;
    cs_pool *p = t->pool;
    unsigned seen = 0; /* the generation at creation: a run posted before this thread starts is not missed */
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->quit && p->gen == seen)
            pthread_cond_wait(&p->cv_start, &p->mu);
        if (p->quit) break;
        seen = p->gen;
        pool_drain(p, t->id);
        if (--p->busy == 0) pthread_cond_broadcast(&p->cv_done);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* n_threads total threads including the caller; fewer are used if thread creation fails (no effect on results). */
static int pool_init(cs_pool *p, int n_threads)
{
    memset(p, 0, sizeof *p);
    if (pthread_mutex_init(&p->mu, NULL) != 0) return CS_E_INTERNAL;
    if (pthread_cond_init(&p->cv_start, NULL) != 0) {
        pthread_mutex_destroy(&p->mu);
        return CS_E_INTERNAL;
    }
    if (pthread_cond_init(&p->cv_done, NULL) != 0) {
        pthread_cond_destroy(&p->cv_start);
        pthread_mutex_destroy(&p->mu);
        return CS_E_INTERNAL;
    }
    if (n_threads > CS_CLUSTER_MAX_THREADS) n_threads = CS_CLUSTER_MAX_THREADS;
    for (int i = 1; i < n_threads; i++) {
        p->arg[p->n_workers].pool = p;
        p->arg[p->n_workers].id = p->n_workers + 1;
        if (pthread_create(&p->th[p->n_workers], NULL, pool_main, &p->arg[p->n_workers]) != 0) break;
        p->n_workers++;
    }
    return 0;
}

static void pool_run(cs_pool *p, cs_job_fn fn, void *ctx, size_t n_blocks)
{
    if (p->n_workers == 0 || n_blocks <= 1) {
        for (size_t b = 0; b < n_blocks; b++)
            fn(ctx, b, 0);
        return;
    }
    pthread_mutex_lock(&p->mu);
    p->fn = fn;
    p->ctx = ctx;
    p->n_blocks = n_blocks;
    p->next = 0;
    p->busy = p->n_workers;
    p->gen++;
    pthread_cond_broadcast(&p->cv_start);
    pool_drain(p, 0);
    while (p->busy > 0)
        pthread_cond_wait(&p->cv_done, &p->mu);
    pthread_mutex_unlock(&p->mu);
}

static void pool_free(cs_pool *p)
{
    pthread_mutex_lock(&p->mu);
    p->quit = 1;
    pthread_cond_broadcast(&p->cv_start);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->n_workers; i++)
        pthread_join(p->th[i], NULL);
    pthread_cond_destroy(&p->cv_done);
    pthread_cond_destroy(&p->cv_start);
    pthread_mutex_destroy(&p->mu);
}

static int clamp_threads(int n_threads)
{
    if (n_threads < 1) return 1;
    return n_threads > CS_CLUSTER_MAX_THREADS ? CS_CLUSTER_MAX_THREADS : n_threads;
}

/* ------------------------------------------------------------------------------------------------------ */
/* Common input handling: validate X and w, build the weighted matrix Xw[i][j] = X[i][j] * sqrtf(w[j]). */

static int weighted_copy(const float *X, size_t n, size_t d, const float *w, float **out)
{
    *out = NULL;
    if (!X || d == 0) return CS_E_ARG;
    if (n > (size_t)INT_MAX || d > (size_t)INT_MAX / 2 || (n > 0 && d > SIZE_MAX / sizeof(float) / n))
        return CS_E_TOO_LARGE;
    int any = 0;
    if (w) {
        for (size_t j = 0; j < d; j++) {
            if (!isfinite(w[j]) || w[j] < 0.0f) return CS_E_ARG;
            if (w[j] > 0.0f) any = 1;
        }
        if (!any) return CS_E_ARG;
    }
    for (size_t i = 0; i < n * d; i++)
        if (!isfinite(X[i])) return CS_E_NONFINITE;
    float *xw = malloc((n ? n : 1) * d * sizeof(float));
    if (!xw) return CS_E_NOMEM;
    if (!w) {
        memcpy(xw, X, n * d * sizeof(float));
    } else {
        float *s = malloc(d * sizeof(float));
        if (!s) {
            free(xw);
            return CS_E_NOMEM;
        }
        for (size_t j = 0; j < d; j++)
            s[j] = sqrtf(w[j]);
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < d; j++)
                xw[i * d + j] = X[i * d + j] * s[j];
        free(s);
    }
    *out = xw;
    return 0;
}

/* ====================================================================================================== */
/* k-means                                                                                                 */
/* ====================================================================================================== */

#define KM_BLOCK 4096 /* points per parallel block (multiple of VW); fixed: results do not depend on threads */

typedef struct km_ctx {
    size_t n, d, k, kp, npad, nblk;
    const float *xw; /* (n, d) weighted data */
    float *xt;       /* (d, npad) transposed, zero padded: k-means++ kernel */

    /* k-means++ */
    int ntrial;
    float *cand;     /* (ntrial, d) candidate coordinates */
    float *closest;  /* npad: squared distance to the nearest chosen centre (0 on padding) */
    float *cand_d2;  /* (ntrial, npad) squared distance to each candidate */
    double *blk_pot; /* (nblk, ntrial) potentials per block */

    /* Lloyd / Hamerly */
    float *ct;        /* (d, kp) centres, transposed, float; padding centres are far away */
    double *half_sep; /* k: half the distance to the nearest other centre */
    int *lab;         /* n: current label, -1 before the first assignment */
    double *ub, *lb;  /* n: upper bound on the distance to the own centre, lower bound to any other */
    double *blk_sum;  /* (nblk, k, d) per-block sums of members */
    int64_t *blk_cnt; /* (nblk, k) */
    size_t *blk_changed;
    double *blk_inertia;
    float *scratch;     /* (n_threads, kp) distances of one point to all centres */
    double rel;         /* relative error bound of a float squared distance */
    double pmax, pmax2; /* largest and second largest centre move since the last assignment */
    int pmax_idx;
    const double *cen;   /* (k, d) double centres (inertia) */
    const double *shift; /* k: distance each centre moved in the last update */
} km_ctx;

/* k-means++ distance kernel: for the block's points, squared distance to every candidate, the potential
 * sum_i min(closest_i, d2_i) per candidate (float lanes, then lanes summed in double in a fixed order). */
CS_KERNEL static void km_pp_job(void *vctx, size_t b, int thread)
{
    (void)thread;
    km_ctx *c = vctx;
    size_t i0 = b * KM_BLOCK, i1 = i0 + KM_BLOCK;
    if (i1 > c->npad) i1 = c->npad;
    const size_t d = c->d, np = c->npad;
    for (int t = 0; t < c->ntrial; t++) {
        const float *ca = c->cand + (size_t)t * d;
        cs_vf psum = {0};
        for (size_t i = i0; i < i1; i += VW) {
            cs_vf acc = {0};
            for (size_t j = 0; j < d; j++) {
                cs_vf x;
                VLOAD(x, c->xt + j * np + i);
                cs_vf diff = x - ca[j];
                acc += diff * diff;
            }
            VSTORE(c->cand_d2 + (size_t)t * np + i, acc);
            cs_vf cl, m;
            VLOAD(cl, c->closest + i);
            VMIN(m, acc, cl);
            psum += m;
        }
        double s = 0.0;
        for (int l = 0; l < VW; l++)
            s += (double)psum[l];
        c->blk_pot[b * (size_t)c->ntrial + (size_t)t] = s;
    }
}

/*
 * Greedy k-means++ (Arthur & Vassilvitskii 2007; the greedy variant of scikit-learn's _kmeans_plusplus:
 * 2 + floor(ln k) candidates per centre, sampled with probability proportional to the squared distance to
 * the nearest chosen centre; the candidate that lowers the potential most is kept).
 * Writes the k chosen rows into cen (k, d) as doubles.
 */
static void km_plusplus(km_ctx *c, cs_pool *pool, cs_rng *rng, double *cen, double *cum)
{
    const size_t n = c->n, d = c->d, np = c->npad;
    size_t first = cs_rng_below(rng, (uint32_t)n);
    for (size_t i = 0; i < np; i++)
        c->closest[i] = i < n ? FLT_MAX : 0.0f;
    for (size_t j = 0; j < d; j++)
        cen[j] = (double)c->xw[first * d + j];

    /* distances to the first centre: one "candidate" */
    int ntrial = c->ntrial;
    c->ntrial = 1;
    memcpy(c->cand, c->xw + first * d, d * sizeof(float));
    pool_run(pool, km_pp_job, c, c->nblk);
    memcpy(c->closest, c->cand_d2, np * sizeof(float));
    c->ntrial = ntrial;

    size_t ids[64];
    double pots[64];
    for (size_t cc = 1; cc < c->k; cc++) {
        double s = 0.0;
        for (size_t i = 0; i < n; i++) {
            s += (double)c->closest[i];
            cum[i] = s;
        }
        for (int t = 0; t < ntrial; t++) {
            double r = cs_rng_uniform_double(rng) * s;
            /* searchsorted(cum, r, side='left'): first i with cum[i] >= r */
            size_t lo = 0, hi = n;
            while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (cum[mid] < r)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            if (lo >= n) lo = n - 1;
            ids[t] = lo;
            memcpy(c->cand + (size_t)t * d, c->xw + lo * d, d * sizeof(float));
        }
        pool_run(pool, km_pp_job, c, c->nblk);
        int best = 0;
        for (int t = 0; t < ntrial; t++) {
            double p = 0.0;
            for (size_t b = 0; b < c->nblk; b++)
                p += c->blk_pot[b * (size_t)ntrial + (size_t)t];
            pots[t] = p;
            if (p < pots[best]) best = t;
        }
        const float *bd = c->cand_d2 + (size_t)best * np;
        for (size_t i = 0; i < n; i++)
            if (bd[i] < c->closest[i]) c->closest[i] = bd[i];
        for (size_t j = 0; j < d; j++)
            cen[cc * d + j] = (double)c->xw[ids[best] * d + j];
    }
}

/* squared distance of x to every (padded) centre: dist[kp] */
CS_KERNEL static void km_all_d2(const km_ctx *c, const float *x, float *dist)
{
    const size_t d = c->d, kp = c->kp;
    for (size_t c0 = 0; c0 < kp; c0 += VW) {
        cs_vf acc = {0};
        for (size_t j = 0; j < d; j++) {
            cs_vf ce;
            VLOAD(ce, c->ct + j * kp + c0);
            cs_vf diff = x[j] - ce;
            acc += diff * diff;
        }
        VSTORE(dist + c0, acc);
    }
}

/* the same arithmetic as one lane of km_all_d2 (bit-identical) */
static float km_one_d2(const km_ctx *c, const float *x, size_t a)
{
    float acc = 0.0f;
    for (size_t j = 0; j < c->d; j++) {
        float diff = x[j] - c->ct[j * c->kp + a];
        acc += diff * diff;
    }
    return acc;
}

/*
 * Assignment step with Hamerly's bounds (G. Hamerly, "Making k-means even faster", SDM 2010): a point whose
 * upper bound u (distance to its centre) is below max(half distance from its centre to the nearest other
 * centre, lower bound l on the distance to any other centre) cannot change label and is skipped. The bounds
 * carry a relative slack for the float rounding of the distance kernel, so a skip never hides a closer
 * centre by more than rounding. Labels that change update the block's member sums incrementally.
 */
static void km_assign_job(void *vctx, size_t b, int thread)
{
    km_ctx *c = vctx;
    const size_t d = c->d, k = c->k;
    size_t i0 = b * KM_BLOCK, i1 = i0 + KM_BLOCK;
    if (i1 > c->n) i1 = c->n;
    float *dist = c->scratch + (size_t)thread * c->kp;
    double *bs = c->blk_sum + b * k * d;
    int64_t *bc = c->blk_cnt + b * k;
    size_t changed = 0;
    for (size_t i = i0; i < i1; i++) {
        const float *x = c->xw + i * d;
        int a = c->lab[i];
        if (a >= 0) {
            double m = c->half_sep[a] > c->lb[i] ? c->half_sep[a] : c->lb[i];
            if (c->ub[i] <= m) continue;
            c->ub[i] = sqrt((double)km_one_d2(c, x, (size_t)a) * (1.0 + c->rel));
            if (c->ub[i] <= m) continue;
        }
        km_all_d2(c, x, dist);
        size_t best = 0;
        float d1 = dist[0], d2 = FLT_MAX;
        for (size_t q = 1; q < k; q++) {
            float v = dist[q];
            if (v < d1) {
                d2 = d1;
                d1 = v;
                best = q;
            } else if (v < d2) {
                d2 = v;
            }
        }
        c->ub[i] = sqrt((double)d1 * (1.0 + c->rel));
        c->lb[i] = k > 1 ? sqrt((double)d2 * (1.0 - c->rel)) : (double)INFINITY;
        if ((int)best != a) {
            changed++;
            if (a >= 0) {
                for (size_t j = 0; j < d; j++)
                    bs[(size_t)a * d + j] -= (double)x[j];
                bc[a]--;
            }
            for (size_t j = 0; j < d; j++)
                bs[best * d + j] += (double)x[j];
            bc[best]++;
            c->lab[i] = (int)best;
        }
    }
    c->blk_changed[b] = changed;
}

/* after the centres moved by p[c]: u += p[own], l -= max over the other centres of p */
static void km_bounds_job(void *vctx, size_t b, int thread)
{
    (void)thread;
    km_ctx *c = vctx;
    size_t i0 = b * KM_BLOCK, i1 = i0 + KM_BLOCK;
    if (i1 > c->n) i1 = c->n;
    for (size_t i = i0; i < i1; i++) {
        int a = c->lab[i];
        c->ub[i] += c->shift[a];
        c->lb[i] -= (a == c->pmax_idx) ? c->pmax2 : c->pmax;
    }
}

static void km_inertia_job(void *vctx, size_t b, int thread)
{
    (void)thread;
    km_ctx *c = vctx;
    const size_t d = c->d;
    size_t i0 = b * KM_BLOCK, i1 = i0 + KM_BLOCK;
    if (i1 > c->n) i1 = c->n;
    double s = 0.0;
    for (size_t i = i0; i < i1; i++) {
        const double *ce = c->cen + (size_t)c->lab[i] * d;
        double e = 0.0;
        for (size_t j = 0; j < d; j++) {
            double diff = (double)c->xw[i * d + j] - ce[j];
            e += diff * diff;
        }
        s += e;
    }
    c->blk_inertia[b] = s;
}

/* float transposed copy of the centres, padding centres far away; half separation of every centre */
static void km_set_centres(km_ctx *c, const double *cen)
{
    const size_t d = c->d, k = c->k, kp = c->kp;
    for (size_t j = 0; j < d; j++) {
        for (size_t q = 0; q < k; q++)
            c->ct[j * kp + q] = (float)cen[q * d + j];
        for (size_t q = k; q < kp; q++)
            c->ct[j * kp + q] = 1e18f;
    }
    for (size_t q = 0; q < k; q++)
        c->half_sep[q] = INFINITY;
    for (size_t q = 0; q < k; q++) {
        for (size_t r = q + 1; r < k; r++) {
            double s = 0.0;
            for (size_t j = 0; j < d; j++) {
                double diff = (double)c->ct[j * kp + q] - (double)c->ct[j * kp + r];
                s += diff * diff;
            }
            double h = 0.5 * sqrt(s);
            if (h < c->half_sep[q]) c->half_sep[q] = h;
            if (h < c->half_sep[r]) c->half_sep[r] = h;
        }
    }
}

typedef struct km_work {
    double *cen, *cen_new, *tot, *shift, *cum, *far_d;
    int64_t *cnt;
    unsigned char *taken;
} km_work;

/*
 * One Lloyd run from the centres in w->cen (scikit-learn's _kmeans_single_lloyd loop: assign + update;
 * stop when no label changed (strict convergence) or when the summed squared centre shift <= tol_abs;
 * if not strictly converged, a last assignment makes the labels match the centres). Returns the inertia.
 */
static double km_lloyd(km_ctx *c, cs_pool *pool, km_work *w, int max_iter, double tol_abs)
{
    const size_t n = c->n, d = c->d, k = c->k;
    for (size_t i = 0; i < n; i++) {
        c->lab[i] = -1;
        c->ub[i] = INFINITY;
        c->lb[i] = 0.0;
    }
    memset(c->blk_sum, 0, c->nblk * k * d * sizeof(double));
    memset(c->blk_cnt, 0, c->nblk * k * sizeof(int64_t));
    km_set_centres(c, w->cen);
    c->shift = w->shift;
    int strict = 0;
    for (int it = 0; it < max_iter; it++) {
        pool_run(pool, km_assign_job, c, c->nblk);
        size_t changed = 0;
        for (size_t b = 0; b < c->nblk; b++)
            changed += c->blk_changed[b];

        /* update: reduce the block sums in block order */
        memset(w->tot, 0, k * d * sizeof(double));
        memset(w->cnt, 0, k * sizeof(int64_t));
        for (size_t b = 0; b < c->nblk; b++) {
            const double *bs = c->blk_sum + b * k * d;
            for (size_t q = 0; q < k * d; q++)
                w->tot[q] += bs[q];
            for (size_t q = 0; q < k; q++)
                w->cnt[q] += c->blk_cnt[b * k + q];
        }
        /* empty clusters (scikit-learn's _relocate_empty_clusters): each takes, in cluster order, the point
         * farthest from its own centre (ties: lowest index), which leaves its old cluster's sum. Labels are
         * not changed here; the next assignment settles them. */
        size_t n_empty = 0;
        for (size_t q = 0; q < k; q++)
            n_empty += w->cnt[q] == 0;
        if (n_empty > 0) {
            for (size_t i = 0; i < n; i++) {
                const float *x = c->xw + i * d;
                double s = 0.0;
                for (size_t j = 0; j < d; j++) {
                    double diff = (double)x[j] - (double)c->ct[j * c->kp + (size_t)c->lab[i]];
                    s += diff * diff;
                }
                w->far_d[i] = s;
                w->taken[i] = 0;
            }
            for (size_t q = 0; q < k; q++) {
                if (w->cnt[q] != 0) continue;
                size_t far = n;
                for (size_t i = 0; i < n; i++)
                    if (!w->taken[i] && (far == n || w->far_d[i] > w->far_d[far])) far = i;
                if (far == n) break;
                w->taken[far] = 1;
                size_t old = (size_t)c->lab[far];
                for (size_t j = 0; j < d; j++) {
                    double v = (double)c->xw[far * d + j];
                    w->tot[old * d + j] -= v;
                    w->tot[q * d + j] = v;
                }
                w->cnt[old]--;
                w->cnt[q] = 1;
            }
        }
        for (size_t q = 0; q < k; q++) {
            if (w->cnt[q] > 0) {
                double inv = 1.0 / (double)w->cnt[q];
                for (size_t j = 0; j < d; j++)
                    w->cen_new[q * d + j] = w->tot[q * d + j] * inv;
            } else { /* emptied by a relocation: keep its centre */
                memcpy(w->cen_new + q * d, w->cen + q * d, d * sizeof(double));
            }
        }
        /* centre shifts, measured on the float centres the kernel uses (keeps the bounds valid) */
        double shift_tot = 0.0;
        c->pmax = 0.0;
        c->pmax2 = 0.0;
        c->pmax_idx = -1;
        for (size_t q = 0; q < k; q++) {
            double s = 0.0;
            for (size_t j = 0; j < d; j++) {
                double diff = (double)(float)w->cen_new[q * d + j] - (double)c->ct[j * c->kp + q];
                s += diff * diff;
            }
            shift_tot += s;
            double p = sqrt(s);
            w->shift[q] = p;
            if (p > c->pmax) {
                c->pmax2 = c->pmax;
                c->pmax = p;
                c->pmax_idx = (int)q;
            } else if (p > c->pmax2) {
                c->pmax2 = p;
            }
        }
        double *tmp = w->cen;
        w->cen = w->cen_new;
        w->cen_new = tmp;
        km_set_centres(c, w->cen);
        pool_run(pool, km_bounds_job, c, c->nblk);
        if (changed == 0) {
            strict = 1;
            break;
        }
        if (shift_tot <= tol_abs) break;
    }
    if (!strict) pool_run(pool, km_assign_job, c, c->nblk);
    c->cen = w->cen;
    pool_run(pool, km_inertia_job, c, c->nblk);
    double inertia = 0.0;
    for (size_t b = 0; b < c->nblk; b++)
        inertia += c->blk_inertia[b];
    return inertia;
}

/* scikit-learn's tolerance: tol times the mean variance of the (weighted) columns xw (n, d); zero-weight
 * columns are left out of the mean, so that such a column changes nothing at all. */
static double km_tolerance(const float *xw, size_t n, size_t d, const float *w, double tol)
{
    size_t used = 0;
    double vs = 0.0;
    for (size_t j = 0; j < d; j++) {
        if (w && w[j] == 0.0f) continue;
        double m = 0.0, v = 0.0;
        for (size_t i = 0; i < n; i++)
            m += (double)xw[i * d + j];
        m /= (double)n;
        for (size_t i = 0; i < n; i++) {
            double e = (double)xw[i * d + j] - m;
            v += e * e;
        }
        vs += v / (double)n;
        used++;
    }
    return tol * vs / (double)used;
}

/* The k centres cen (k, d; weighted space) back in plain descriptor space: divided by sqrt(w); a zero-weight
 * column gets its members' mean of X (0 for an empty cluster). tot (k) and cnt (k) are scratch. */
static void km_plain_centroids(const float *X, size_t n, size_t d, const float *w, size_t k, const double *cen,
                               const int *lab, double *tot, int64_t *cnt, float *centroids)
{
    for (size_t j = 0; j < d; j++) {
        if (!w || w[j] > 0.0f) {
            double s = w ? (double)sqrtf(w[j]) : 1.0;
            for (size_t q = 0; q < k; q++)
                centroids[q * d + j] = (float)(cen[q * d + j] / s);
        } else {
            for (size_t q = 0; q < k; q++)
                tot[q] = 0.0, cnt[q] = 0;
            for (size_t i = 0; i < n; i++) {
                tot[lab[i]] += (double)X[i * d + j];
                cnt[lab[i]]++;
            }
            for (size_t q = 0; q < k; q++)
                centroids[q * d + j] = cnt[q] ? (float)(tot[q] / (double)cnt[q]) : 0.0f;
        }
    }
}

int cs_kmeans(const float *X, size_t n, size_t d, const float *w, int k, int n_init, int max_iter, double tol,
              uint64_t seed, int n_threads, int *labels, float *centroids, double *inertia)
{
    if (!X || !labels || d == 0 || k <= 0 || n_init < 1 || max_iter < 1 || !(tol >= 0.0) || !isfinite(tol))
        return CS_E_ARG;
    if ((size_t)k > n) return CS_E_TOO_FEW;
    float *xw = NULL;
    int err = weighted_copy(X, n, d, w, &xw);
    if (err) return err;
    n_threads = clamp_threads(n_threads);

    km_ctx c;
    memset(&c, 0, sizeof c);
    c.n = n;
    c.d = d;
    c.k = (size_t)k;
    c.kp = (c.k + VW - 1) / VW * VW;
    c.npad = (n + VW - 1) / VW * VW;
    c.nblk = (n + KM_BLOCK - 1) / KM_BLOCK;
    c.xw = xw;
    c.ntrial = 2 + (int)log((double)k);
    if (c.ntrial > 64) c.ntrial = 64;
    /* |float sum of d squares - exact| <= ~(d + 2) ulp-halves relative; doubled for safety */
    c.rel = (double)(d + 4) * 2.0 * (double)FLT_EPSILON;

    km_work wk;
    memset(&wk, 0, sizeof wk);
    const size_t k_ = c.k;
    c.xt = malloc(d * c.npad * sizeof(float));
    c.cand = malloc((size_t)c.ntrial * d * sizeof(float));
    c.closest = malloc(c.npad * sizeof(float));
    c.cand_d2 = malloc((size_t)c.ntrial * c.npad * sizeof(float));
    c.blk_pot = malloc(c.nblk * (size_t)c.ntrial * sizeof(double));
    c.ct = malloc(d * c.kp * sizeof(float));
    c.half_sep = malloc(k_ * sizeof(double));
    c.lab = malloc(n * sizeof(int));
    c.ub = malloc(n * sizeof(double));
    c.lb = malloc(n * sizeof(double));
    c.blk_sum = malloc(c.nblk * k_ * d * sizeof(double));
    c.blk_cnt = malloc(c.nblk * k_ * sizeof(int64_t));
    c.blk_changed = malloc(c.nblk * sizeof(size_t));
    c.blk_inertia = malloc(c.nblk * sizeof(double));
    c.scratch = malloc((size_t)n_threads * c.kp * sizeof(float));
    double *cen_a = malloc(k_ * d * sizeof(double)), *cen_b = malloc(k_ * d * sizeof(double));
    double *best_cen = malloc(k_ * d * sizeof(double));
    int *best_lab = malloc(n * sizeof(int));
    wk.tot = malloc(k_ * d * sizeof(double));
    wk.shift = malloc(k_ * sizeof(double));
    wk.cum = malloc(n * sizeof(double));
    wk.far_d = malloc(n * sizeof(double));
    wk.cnt = malloc(k_ * sizeof(int64_t));
    wk.taken = malloc(n);
    if (!c.xt || !c.cand || !c.closest || !c.cand_d2 || !c.blk_pot || !c.ct || !c.half_sep || !c.lab || !c.ub ||
        !c.lb || !c.blk_sum || !c.blk_cnt || !c.blk_changed || !c.blk_inertia || !c.scratch || !cen_a || !cen_b ||
        !best_cen || !best_lab || !wk.tot || !wk.shift || !wk.cum || !wk.far_d || !wk.cnt || !wk.taken) {
        err = CS_E_NOMEM;
        goto done;
    }
    for (size_t j = 0; j < d; j++) {
        for (size_t i = 0; i < n; i++)
            c.xt[j * c.npad + i] = xw[i * d + j];
        for (size_t i = n; i < c.npad; i++)
            c.xt[j * c.npad + i] = 0.0f;
    }

    const double tol_abs = km_tolerance(xw, n, d, w, tol);

    cs_pool pool;
    err = pool_init(&pool, n_threads);
    if (err) goto done;
    double best = INFINITY;
    for (int r = 0; r < n_init; r++) {
        cs_rng rng;
        cs_rng_seed(&rng, seed + 0x9E3779B97F4A7C15ull * (uint64_t)(r + 1));
        wk.cen = cen_a;
        wk.cen_new = cen_b;
        km_plusplus(&c, &pool, &rng, wk.cen, wk.cum);
        double in = km_lloyd(&c, &pool, &wk, max_iter, tol_abs);
        if (in < best || r == 0) {
            best = in;
            memcpy(best_lab, c.lab, n * sizeof(int));
            memcpy(best_cen, wk.cen, k_ * d * sizeof(double));
        }
    }
    pool_free(&pool);

    memcpy(labels, best_lab, n * sizeof(int));
    if (inertia) *inertia = best;
    if (centroids) km_plain_centroids(X, n, d, w, k_, best_cen, best_lab, wk.tot, wk.cnt, centroids);
    err = 0;
done:
    free(c.xt);
    free(c.cand);
    free(c.closest);
    free(c.cand_d2);
    free(c.blk_pot);
    free(c.ct);
    free(c.half_sep);
    free(c.lab);
    free(c.ub);
    free(c.lb);
    free(c.blk_sum);
    free(c.blk_cnt);
    free(c.blk_changed);
    free(c.blk_inertia);
    free(c.scratch);
    free(cen_a);
    free(cen_b);
    free(best_cen);
    free(best_lab);
    free(wk.tot);
    free(wk.shift);
    free(wk.cum);
    free(wk.far_d);
    free(wk.cnt);
    free(wk.taken);
    free(xw);
    return err;
}

/* ====================================================================================================== */
/* DBSCAN                                                                                                  */
/* ====================================================================================================== */

#define DB_BLOCK     256               /* sorted positions per parallel block */
#define DB_MAX_PAIRS ((size_t)1 << 26) /* neighbour-list budget (int entries, 256 MB); above it: recompute */

typedef struct db_ctx {
    size_t n, d;
    const float *xw;
    double eps2, win;
    const size_t *order; /* n: point indices sorted by the projection */
    const double *proj;  /* n: projection, in sorted order */
    size_t *pos;         /* n: sorted position of each point */
    int *count;          /* n: neighbours within eps, itself included */
    const unsigned char *core;
    const size_t *off; /* n + 1: CSR offsets (core points only have entries) */
    int *nb;           /* CSR neighbour indices (self excluded) */
} db_ctx;

static int db_near(const db_ctx *c, size_t i, size_t q)
{
    const float *a = c->xw + i * c->d, *b = c->xw + q * c->d;
    double s = 0.0;
    for (size_t j = 0; j < c->d; j++) {
        double diff = (double)a[j] - (double)b[j];
        s += diff * diff;
        if (s > c->eps2) return 0;
    }
    return 1;
}

/* neighbours of point i other than itself; writes them to out (if non-NULL), returns their count */
static size_t db_scan(const db_ctx *c, size_t i, int *out)
{
    size_t r = c->pos[i], m = 0;
    double p = c->proj[r];
    for (size_t s = r + 1; s < c->n && c->proj[s] - p <= c->win; s++)
        if (db_near(c, i, c->order[s])) {
            if (out) out[m] = (int)c->order[s];
            m++;
        }
    for (size_t s = r; s-- > 0 && p - c->proj[s] <= c->win;)
        if (db_near(c, i, c->order[s])) {
            if (out) out[m] = (int)c->order[s];
            m++;
        }
    return m;
}

static void db_count_job(void *vctx, size_t b, int thread)
{
    (void)thread;
    db_ctx *c = vctx;
    size_t i1 = (b + 1) * DB_BLOCK < c->n ? (b + 1) * DB_BLOCK : c->n;
    for (size_t i = b * DB_BLOCK; i < i1; i++)
        c->count[i] = (int)(db_scan(c, i, NULL) + 1);
}

static void db_fill_job(void *vctx, size_t b, int thread)
{
    (void)thread;
    db_ctx *c = vctx;
    size_t i1 = (b + 1) * DB_BLOCK < c->n ? (b + 1) * DB_BLOCK : c->n;
    for (size_t i = b * DB_BLOCK; i < i1; i++)
        if (c->core[i]) db_scan(c, i, c->nb + c->off[i]);
}

typedef struct db_key {
    double key;
    size_t idx;
} db_key;

static int db_cmp(const void *a, const void *b)
{
    const db_key *x = a, *y = b;
    if (x->key < y->key) return -1;
    if (x->key > y->key) return 1;
    return (x->idx > y->idx) - (x->idx < y->idx);
}

/* Sort the points along the column of largest (weighted) spread: only points within eps on it are examined.
 * Fills order (rank -> point), proj (rank -> value on that column) and c->pos (point -> rank); key is scratch. */
static void db_sort_axis(db_ctx *c, db_key *key, size_t *order, double *proj)
{
    const size_t n = c->n, d = c->d;
    const float *xw = c->xw;
    size_t axis = 0;
    double best_var = -1.0;
    for (size_t j = 0; j < d; j++) {
        double m = 0.0, v = 0.0;
        for (size_t i = 0; i < n; i++)
            m += (double)xw[i * d + j];
        m /= (double)n;
        for (size_t i = 0; i < n; i++)
            v += ((double)xw[i * d + j] - m) * ((double)xw[i * d + j] - m);
        if (v > best_var) best_var = v, axis = j;
    }
    for (size_t i = 0; i < n; i++) {
        key[i].key = (double)xw[i * d + axis];
        key[i].idx = i;
    }
    qsort(key, n, sizeof(db_key), db_cmp);
    for (size_t r = 0; r < n; r++) {
        order[r] = key[r].idx;
        proj[r] = key[r].key;
        c->pos[order[r]] = r;
    }
}

/* Expansion (scikit-learn's _dbscan_inner): from each unlabelled core point in index order, label all that is
 * density-reachable; a border point keeps the first cluster that reaches it. Neighbour lists come from c->nb,
 * or are recomputed into buf (n ints) when c->nb is NULL. stack: n. Returns the number of clusters. */
static int db_expand(const db_ctx *c, size_t *stack, int *buf, int *labels)
{
    const size_t n = c->n;
    for (size_t i = 0; i < n; i++)
        labels[i] = -1;
    int nc = 0;
    for (size_t i = 0; i < n; i++) {
        if (!c->core[i] || labels[i] != -1) continue;
        size_t sp = 0;
        labels[i] = nc;
        stack[sp++] = i;
        while (sp > 0) {
            size_t p = stack[--sp];
            const int *list;
            size_t m;
            if (c->nb) {
                list = c->nb + c->off[p];
                m = c->off[p + 1] - c->off[p];
            } else {
                m = db_scan(c, p, buf);
                list = buf;
            }
            for (size_t t = 0; t < m; t++) {
                size_t q = (size_t)list[t];
                if (labels[q] != -1) continue;
                labels[q] = nc;
                if (c->core[q]) stack[sp++] = q;
            }
        }
        nc++;
    }
    return nc;
}

int cs_dbscan(const float *X, size_t n, size_t d, const float *w, double eps, int min_samples, int n_threads,
              int *labels, int *n_clusters)
{
    if (!X || !labels || !n_clusters || d == 0 || !(eps > 0.0) || !isfinite(eps) || min_samples < 1) return CS_E_ARG;
    *n_clusters = 0;
    if (n == 0) return CS_E_EMPTY;
    float *xw = NULL;
    int err = weighted_copy(X, n, d, w, &xw);
    if (err) return err;
    n_threads = clamp_threads(n_threads);

    db_ctx c;
    memset(&c, 0, sizeof c);
    c.n = n;
    c.d = d;
    c.xw = xw;
    c.eps2 = eps * eps;
    /* window on the projection: a neighbour differs by at most eps on every column (slack for rounding) */
    c.win = eps * (1.0 + 1e-9);
    size_t *order = malloc(n * sizeof(size_t));
    db_key *key = malloc(n * sizeof(db_key));
    double *proj = malloc(n * sizeof(double));
    c.pos = malloc(n * sizeof(size_t));
    c.count = malloc(n * sizeof(int));
    unsigned char *core = malloc(n);
    size_t *off = malloc((n + 1) * sizeof(size_t));
    size_t *stack = malloc(n * sizeof(size_t));
    int *buf = NULL;
    cs_pool pool;
    int pool_ok = 0;
    if (!order || !key || !proj || !c.pos || !c.count || !core || !off || !stack) {
        err = CS_E_NOMEM;
        goto done;
    }
    db_sort_axis(&c, key, order, proj);
    c.order = order;
    c.proj = proj;

    err = pool_init(&pool, n_threads);
    if (err) goto done;
    pool_ok = 1;
    size_t nblk = (n + DB_BLOCK - 1) / DB_BLOCK;
    pool_run(&pool, db_count_job, &c, nblk);
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        core[i] = c.count[i] >= min_samples;
        off[i] = total;
        if (core[i]) total += (size_t)c.count[i] - 1;
    }
    off[n] = total;
    c.core = core;
    c.off = off;
    if (total <= DB_MAX_PAIRS) {
        c.nb = malloc((total ? total : 1) * sizeof(int));
        if (c.nb) pool_run(&pool, db_fill_job, &c, nblk);
    }
    if (!c.nb) { /* too many pairs (or no memory for them): recompute each core point's list when expanded */
        buf = malloc(n * sizeof(int));
        if (!buf) {
            err = CS_E_NOMEM;
            goto done;
        }
    }

    const int nc = db_expand(&c, stack, buf, labels);
    *n_clusters = nc;
    err = 0;
done:
    if (pool_ok) pool_free(&pool);
    free(order);
    free(key);
    free(proj);
    free(c.pos);
    free(c.count);
    free(core);
    free(off);
    free(stack);
    free(c.nb);
    free(buf);
    free(xw);
    return err;
}

/* ====================================================================================================== */
/* Affinity propagation                                                                                    */
/* ====================================================================================================== */

typedef float cs_v8f __attribute__((vector_size(32)));
typedef double cs_v8d __attribute__((vector_size(64)));

#define AP_ROWS 64 /* rows per parallel block (fixed: the column sums are reduced per block, in block order) */

/*
 * The matrices S, R, A are float32 (12 n^2 bytes); similarities are computed in double and rounded once,
 * the column sums of the availability step are accumulated in double and rounded once per iteration.
 * One iteration is ONE pass over the rows (ap_pass_job): row i first takes the availability update of the
 * previous iteration (it needs only row i of R and the column sums), then its responsibilities (they need
 * only row i of S and A), then adds its contribution to its block's column sums. This is scikit-learn's
 * order of operations, element by element, with one sweep of memory per iteration instead of three.
 */
typedef struct ap_ctx {
    size_t n, d;
    const float *xw;  /* (n, d) weighted descriptors */
    float *xt;        /* (d, n) the same, transposed */
    float *S, *R, *A; /* (n, n) row-major */
    float *cs;        /* (n) column sums of max(R, 0) with the diagonal R_kk, of the last pass (rounded) */
    double *part;     /* (row blocks, n) the blocks' partial column sums */
    float damping;
    int first; /* 1 on the first pass: A is the zero matrix, no availability update */
    uint64_t seed;
} ap_ctx;

/* S[i][k] = -sum_j (x_ij - x_kj)^2 in double (exactly symmetric: the same sum in both orders), rounded to
 * float; diagonal 0. Eight k at a time in double lanes from the transposed matrix xt (d, n); each lane sums over
 * j in order, as the scalar tail does. */
CS_KERNEL static void ap_sim_row(const ap_ctx *c, size_t i)
{
    const size_t n = c->n, d = c->d;
    const float *a = c->xw + i * d;
    float *out = c->S + i * n;
    size_t k = 0;
    for (; k + 8 <= n; k += 8) {
        cs_v8d acc = {0};
        for (size_t j = 0; j < d; j++) {
            cs_v8f y;
            memcpy(&y, c->xt + j * n + k, sizeof y);
            const cs_v8d diff = (double)a[j] - __builtin_convertvector(y, cs_v8d);
            acc += diff * diff;
        }
        for (int l = 0; l < 8; l++)
            out[k + (size_t)l] = (float)-acc[l];
    }
    for (; k < n; k++) {
        double acc = 0.0;
        for (size_t j = 0; j < d; j++) {
            const double diff = (double)a[j] - (double)c->xt[j * n + k];
            acc += diff * diff;
        }
        out[k] = (float)-acc;
    }
    out[i] = 0.0f;
}

static void ap_sim_job(void *vctx, size_t b, int thread)
{
    (void)thread;
    const ap_ctx *c = vctx;
    const size_t n = c->n;
    size_t i1 = (b + 1) * AP_ROWS < n ? (b + 1) * AP_ROWS : n;
    for (size_t i = b * AP_ROWS; i < i1; i++)
        ap_sim_row(c, i);
}

/* scikit-learn's degeneracy breaking S += (eps S + 100 tiny) N(0, 1) at float32's eps and tiny (so that it
 * moves a float similarity by about one ulp), in double, rounded once; each row its own seeded stream. The
 * normal deviates come in pairs from Marsaglia's polar method (no trigonometry; the noise only breaks ties). */
static void ap_noise_job(void *vctx, size_t b, int thread)
{
    (void)thread;
    ap_ctx *c = vctx;
    const size_t n = c->n;
    size_t i1 = (b + 1) * AP_ROWS < n ? (b + 1) * AP_ROWS : n;
    for (size_t i = b * AP_ROWS; i < i1; i++) {
        cs_rng rng;
        cs_rng_seed(&rng, c->seed ^ (0xD1B54A32D192ED03ull * (uint64_t)(i + 1)));
        float *row = c->S + i * n;
        for (size_t k = 0; k < n; k += 2) {
            double u, v, q;
            do {
                u = 2.0 * cs_rng_uniform_double(&rng) - 1.0;
                v = 2.0 * cs_rng_uniform_double(&rng) - 1.0;
                q = u * u + v * v;
            } while (q >= 1.0 || q == 0.0);
            const double f = sqrt(-2.0 * log(q) / q), z[2] = {u * f, v * f};
            for (size_t h = 0; h < 2 && k + h < n; h++) {
                const double x = (double)row[k + h];
                row[k + h] = (float)(x + ((double)FLT_EPSILON * x + (double)FLT_MIN * 100.0) * z[h]);
            }
        }
    }
}

/* The running top two of a row of a + s (lane-wise, then combined): the largest value m1 with the first index
 * where it occurs, and the largest value among the others m2 (= m1 on a tie). Exact in any order. */
typedef struct ap_top2 {
    cs_vf m1, m2;
    cs_vi id;
    float s1, s2; /* the scalar part (tails and single elements) */
    int32_t sid;
} ap_top2;

static void ap_top2_init(ap_top2 *t)
{
    for (int l = 0; l < VW; l++) {
        t->m1[l] = -INFINITY;
        t->m2[l] = -INFINITY;
        t->id[l] = INT32_MAX;
    }
    t->s1 = t->s2 = -INFINITY;
    t->sid = INT32_MAX;
}

static void ap_top2_one(ap_top2 *t, float x, int32_t k)
{
    if (x > t->s1) {
        t->s2 = t->s1;
        t->s1 = x;
        t->sid = k;
    } else if (x > t->s2) {
        t->s2 = x;
    }
}

/* Y = the largest value, *I its first index, *Y2 the largest of the rest. */
static void ap_top2_result(const ap_top2 *t, float *Y, size_t *I, float *Y2)
{
    float y = t->s1;
    int32_t id = t->sid;
    for (int l = 0; l < VW; l++)
        if (t->m1[l] > y || (t->m1[l] == y && t->id[l] < id)) {
            y = t->m1[l];
            id = t->id[l];
        }
    float y2 = (t->sid == id) ? t->s2 : t->s1;
    for (int l = 0; l < VW; l++) {
        const float o = (t->id[l] == id) ? t->m2[l] : t->m1[l];
        y2 = o > y2 ? o : y2;
        y2 = t->m2[l] > y2 ? t->m2[l] : y2;
    }
    y2 = t->s2 > y2 ? t->s2 : y2;
    *Y = y;
    *I = (size_t)id;
    *Y2 = y2;
}

/* Columns [k0, k1) of row i: the availability update a = a dm - max(max(r, 0) - cs, 0) dm1 (when upd; the
 * off-diagonal rule: the caller keeps the diagonal out of the range), then a + s into the running top two. */
CS_KERNEL static void ap_avail_top2(ap_top2 *t, float *a, const float *r, const float *cs, const float *s, size_t k0,
                                    size_t k1, int upd, float dm, float dm1)
{
    const cs_vf zero = {0};
    cs_vi lane;
    for (int l = 0; l < VW; l++)
        lane[l] = l;
    size_t k = k0;
    for (; k + VW <= k1; k += VW) {
        cs_vf av, sv;
        VLOAD(av, a + k);
        VLOAD(sv, s + k);
        if (upd) {
            cs_vf rv, cv;
            VLOAD(rv, r + k);
            VLOAD(cv, cs + k);
            const cs_vf rp = (cs_vf)((cs_vi)rv & (rv > zero));
            cs_vf d = rp - cv;
            d = (cs_vf)((cs_vi)d & (d > zero));
            av = av * dm - d * dm1;
            VSTORE(a + k, av);
        }
        const cs_vf x = av + sv;
        const cs_vi gt1 = x > t->m1, gt2 = x > t->m2;
        const cs_vi kv = lane + (int32_t)k;
        t->m2 = (cs_vf)((gt1 & (cs_vi)t->m1) | (~gt1 & ((gt2 & (cs_vi)x) | (~gt2 & (cs_vi)t->m2))));
        t->m1 = (cs_vf)((gt1 & (cs_vi)x) | (~gt1 & (cs_vi)t->m1));
        t->id = (gt1 & kv) | (~gt1 & t->id);
    }
    for (; k < k1; k++) {
        if (upd) {
            const float rp = r[k] > 0.0f ? r[k] : 0.0f;
            float d = rp - cs[k];
            d = d > 0.0f ? d : 0.0f;
            a[k] = a[k] * dm - d * dm1;
        }
        ap_top2_one(t, a[k] + s[k], (int32_t)k);
    }
}

/* Columns [k0, k1): r = r dm + (s - Y) dm1 (the responsibility off the row's argmax and diagonal), then
 * part += max(r, 0) in double. */
CS_KERNEL static void ap_resp_colsum(float *r, const float *s, double *part, size_t k0, size_t k1, float Y, float dm,
                                     float dm1)
{
    const cs_vf zero = {0};
    size_t k = k0;
    for (; k + VW <= k1; k += VW) {
        cs_vf rv, sv;
        VLOAD(rv, r + k);
        VLOAD(sv, s + k);
        rv = rv * dm + (sv - Y) * dm1;
        VSTORE(r + k, rv);
        const cs_vf rp = (cs_vf)((cs_vi)rv & (rv > zero));
        for (int h = 0; h < VW; h += 8) {
            cs_v8f r8;
            cs_v8d p8;
            memcpy(&r8, (const float *)&rp + h, sizeof r8);
            memcpy(&p8, part + k + (size_t)h, sizeof p8);
            p8 += __builtin_convertvector(r8, cs_v8d);
            memcpy(part + k + (size_t)h, &p8, sizeof p8);
        }
    }
    for (; k < k1; k++) {
        r[k] = r[k] * dm + (s[k] - Y) * dm1;
        part[k] += r[k] > 0.0f ? (double)r[k] : 0.0;
    }
}

/* One iteration for a block of rows. Row i: the availabilities of the previous iteration (unless first; the
 * diagonal by its own rule), the top two of a + s, the responsibilities (the argmax I against the second
 * largest), and the block's partial column sums (max(R_ik, 0), the diagonal R_ii as it is). The columns are
 * cut around the diagonal and I, which take their own rules; every element gets scikit-learn's operations. */
static void ap_pass_job(void *vctx, size_t b, int thread)
{
    (void)thread;
    ap_ctx *c = vctx;
    const size_t n = c->n;
    const float dm = c->damping, dm1 = 1.0f - c->damping;
    const int upd = !c->first;
    double *part = c->part + b * n;
    memset(part, 0, n * sizeof *part);
    size_t i1 = (b + 1) * AP_ROWS < n ? (b + 1) * AP_ROWS : n;
    for (size_t i = b * AP_ROWS; i < i1; i++) {
        const float *s = c->S + i * n;
        float *a = c->A + i * n, *r = c->R + i * n;
        ap_top2 t;
        ap_top2_init(&t);
        ap_avail_top2(&t, a, r, c->cs, s, 0, i, upd, dm, dm1);
        if (upd) a[i] = a[i] * dm - (r[i] - c->cs[i]) * dm1;
        ap_top2_one(&t, a[i] + s[i], (int32_t)i);
        ap_avail_top2(&t, a, r, c->cs, s, i + 1, n, upd, dm, dm1);
        float Y, Y2;
        size_t I;
        ap_top2_result(&t, &Y, &I, &Y2);
        const size_t lo = I < i ? I : i, hi = I < i ? i : I;
        ap_resp_colsum(r, s, part, 0, lo, Y, dm, dm1);
        if (hi > lo) ap_resp_colsum(r, s, part, lo + 1, hi, Y, dm, dm1);
        ap_resp_colsum(r, s, part, hi + 1, n, Y, dm, dm1);
        r[I] = r[I] * dm + (s[I] - Y2) * dm1;
        if (I != i) {
            r[i] = r[i] * dm + (s[i] - Y) * dm1;
            part[I] += r[I] > 0.0f ? (double)r[I] : 0.0;
        }
        part[i] += (double)r[i]; /* the diagonal counts as it is, negative too */
    }
}

/* k-th smallest of v[0..m) (v is reordered); deterministic quickselect with median-of-three pivots */
static float select_kth(float *v, size_t m, size_t kth)
{
    ptrdiff_t lo = 0, hi = (ptrdiff_t)m - 1, k = (ptrdiff_t)kth;
    while (lo < hi) {
        ptrdiff_t mid = lo + (hi - lo) / 2;
        float a = v[lo], b = v[mid], cc = v[hi];
        float piv = (a < b) ? ((b < cc) ? b : (a < cc ? cc : a)) : ((a < cc) ? a : (b < cc ? cc : b));
        ptrdiff_t i = lo, j = hi;
        while (i <= j) { /* Hoare partition: [lo, j] <= piv, [i, hi] >= piv, (j, i) == piv */
            while (v[i] < piv)
                i++;
            while (v[j] > piv)
                j--;
            if (i <= j) {
                float t = v[i];
                v[i] = v[j];
                v[j] = t;
                i++;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            return v[k];
    }
    return v[k];
}

/* np.median(S) over all n^2 entries, the zero diagonal included (R is scratch). */
static double ap_median_similarity(ap_ctx *c)
{
    const size_t nn = c->n * c->n;
    memcpy(c->R, c->S, nn * sizeof(float));
    const double hi = (double)select_kth(c->R, nn, nn / 2);
    if (nn % 2) return hi;
    float lo = c->R[0];
    for (size_t q = 1; q < nn / 2; q++)
        if (c->R[q] > lo) lo = c->R[q];
    return ((double)lo + hi) / 2.0;
}

/* Degenerate input (scikit-learn): one point, or all similarities equal: every point its own exemplar when
 * the preference is at least that similarity, else one cluster around point 0. Returns 1 when it applied. */
static int ap_degenerate(const ap_ctx *c, double preference, int *labels, int *exemplars, int *n_clusters)
{
    const size_t n = c->n;
    if (n > 1) {
        float s0 = c->S[1];
        for (size_t i = 0; i < n; i++)
            for (size_t k = 0; k < n; k++)
                if (k != i && c->S[i * n + k] != s0) return 0;
    }
    int each = preference >= (double)c->S[n - 1];
    for (size_t i = 0; i < n; i++) {
        labels[i] = each ? (int)i : 0;
        exemplars[i] = each ? (int)i : -1;
    }
    exemplars[0] = 0;
    *n_clusters = each ? (int)n : 1;
    return 1;
}

/* The message-passing iterations (one row pass each, ap_pass_job); isex gets the last iteration's exemplars
 * (A_kk + R_kk > 0, with A_kk of that iteration's availability update, computed as the next pass would).
 * Converged (returns 1), as scikit-learn's rule, when after at least convergence_iter iterations every point
 * has been an exemplar in all or in none of the last convergence_iter iterations (the exemplar set unchanged)
 * and there is at least one. hist (n x ci) and se (n) are zeroed scratch. */
static int ap_iterate(ap_ctx *c, cs_pool *pool, int max_iter, int convergence_iter, unsigned char *hist, int *se,
                      unsigned char *isex)
{
    const size_t n = c->n, ci = (size_t)convergence_iter;
    const size_t rblk = (n + AP_ROWS - 1) / AP_ROWS;
    const float dm = c->damping, dm1 = 1.0f - c->damping;
    for (int it = 0; it < max_iter; it++) {
        c->first = it == 0;
        pool_run(pool, ap_pass_job, c, rblk);
        for (size_t k = 0; k < n; k++) {
            double sum = 0.0;
            for (size_t b = 0; b < rblk; b++)
                sum += c->part[b * n + k];
            c->cs[k] = (float)sum;
        }
        size_t K = 0, stable = 0, slot = (size_t)it % ci;
        for (size_t i = 0; i < n; i++) {
            const float rii = c->R[i * n + i], aii = c->A[i * n + i] * dm - (rii - c->cs[i]) * dm1;
            unsigned char e = aii + rii > 0.0f;
            se[i] += (int)e - (int)hist[i * ci + slot];
            hist[i * ci + slot] = e;
            isex[i] = e;
            K += e;
            stable += (se[i] == convergence_iter || se[i] == 0);
        }
        if (it >= convergence_iter && stable == n && K > 0) return 1;
    }
    return 0;
}

/* scikit-learn's post-processing of the K > 0 exemplars ex, on the noisy S with the preference diagonal:
 * assign, refine each exemplar to the member with the largest summed similarity from the rest, assign again,
 * number the clusters in order of exemplar index. cl, members, colsum, isex (n each) are scratch. Returns the
 * number of clusters. */
static size_t ap_assign(const ap_ctx *c, size_t *ex, size_t K, int *cl, size_t *members, double *colsum,
                        unsigned char *isex, int *labels, int *exemplars)
{
    const size_t n = c->n;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < n; i++) {
            const float *s = c->S + i * n;
            size_t bk = 0;
            for (size_t q = 1; q < K; q++)
                if (s[ex[q]] > s[ex[bk]]) bk = q;
            cl[i] = (int)bk;
        }
        for (size_t q = 0; q < K; q++)
            cl[ex[q]] = (int)q;
        if (pass == 1) break;
        for (size_t q = 0; q < K; q++) {
            size_t m = 0;
            for (size_t i = 0; i < n; i++)
                if (cl[i] == (int)q) members[m++] = i;
            for (size_t t = 0; t < m; t++)
                colsum[t] = 0.0;
            for (size_t u = 0; u < m; u++) {
                const float *s = c->S + members[u] * n;
                for (size_t t = 0; t < m; t++)
                    colsum[t] += (double)s[members[t]];
            }
            size_t bt = 0;
            for (size_t t = 1; t < m; t++)
                if (colsum[t] > colsum[bt]) bt = t;
            ex[q] = members[bt];
        }
    }
    memset(isex, 0, n);
    for (size_t q = 0; q < K; q++)
        isex[ex[q]] = 1;
    size_t nk = 0;
    for (size_t i = 0; i < n; i++) {
        members[i] = nk; /* rank of exemplar i */
        if (isex[i]) exemplars[nk++] = (int)i;
    }
    for (size_t i = nk; i < n; i++)
        exemplars[i] = -1;
    for (size_t i = 0; i < n; i++)
        labels[i] = (int)members[ex[cl[i]]];
    return nk;
}

int cs_affinity_propagation(const float *X, size_t n, size_t d, const float *w, double damping, int max_iter,
                            int convergence_iter, double preference, uint64_t seed, int n_threads, int *labels,
                            int *exemplars, int *n_clusters, int *converged)
{
    if (!X || !labels || !exemplars || !n_clusters || !converged || d == 0 || !(damping >= 0.5) || !(damping < 1.0) ||
        max_iter < 1 || convergence_iter < 1 || isinf(preference))
        return CS_E_ARG;
    *n_clusters = 0;
    *converged = 0;
    if (n == 0) return CS_E_EMPTY;
    if (n > CS_AP_MAX_N) return CS_E_TOO_LARGE;
    float *xw = NULL;
    int err = weighted_copy(X, n, d, w, &xw);
    if (err) return err;
    n_threads = clamp_threads(n_threads);

    ap_ctx c;
    memset(&c, 0, sizeof c);
    c.n = n;
    c.d = d;
    c.xw = xw;
    c.damping = (float)damping;
    c.seed = seed;
    const size_t nn = n * n, rblk = (n + AP_ROWS - 1) / AP_ROWS;
    c.S = malloc(nn * sizeof(float));
    c.R = malloc(nn * sizeof(float));
    c.A = malloc(nn * sizeof(float));
    c.cs = malloc(n * sizeof(float));
    c.xt = malloc(n * d * sizeof(float));
    c.part = malloc(rblk * n * sizeof(double));
    unsigned char *hist = malloc(n * (size_t)convergence_iter);
    int *se = malloc(n * sizeof(int)), *cl = malloc(n * sizeof(int));
    size_t *ex = malloc(n * sizeof(size_t)), *members = malloc(n * sizeof(size_t));
    unsigned char *isex = malloc(n);
    double *colsum = malloc(n * sizeof(double));
    cs_pool pool;
    int pool_ok = 0;
    if (!c.S || !c.R || !c.A || !c.cs || !c.part || !c.xt || !hist || !se || !cl || !ex || !members || !isex ||
        !colsum) {
        err = CS_E_NOMEM;
        goto done;
    }
    err = pool_init(&pool, n_threads);
    if (err) goto done;
    pool_ok = 1;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++)
            c.xt[j * n + i] = xw[i * d + j];
    pool_run(&pool, ap_sim_job, &c, rblk);

    if (isnan(preference)) preference = ap_median_similarity(&c);

    if (ap_degenerate(&c, preference, labels, exemplars, n_clusters)) {
        *converged = 1;
        err = 0;
        goto done;
    }

    for (size_t i = 0; i < n; i++)
        c.S[i * n + i] = (float)preference;
    pool_run(&pool, ap_noise_job, &c, rblk);
    memset(c.R, 0, nn * sizeof(float));
    memset(c.A, 0, nn * sizeof(float));
    memset(hist, 0, n * (size_t)convergence_iter);
    memset(se, 0, n * sizeof(int));

    const int conv = ap_iterate(&c, &pool, max_iter, convergence_iter, hist, se, isex);

    /* exemplars and labels (scikit-learn's post-processing, on the noisy S with the preference diagonal) */
    size_t K = 0;
    for (size_t i = 0; i < n; i++)
        if (isex[i]) ex[K++] = i;
    if (K == 0) {
        for (size_t i = 0; i < n; i++) {
            labels[i] = -1;
            exemplars[i] = -1;
        }
        *n_clusters = 0;
        *converged = conv;
        err = 0;
        goto done;
    }
    const size_t nk = ap_assign(&c, ex, K, cl, members, colsum, isex, labels, exemplars);
    *n_clusters = (int)nk;
    *converged = conv;
    err = 0;
done:
    if (pool_ok) pool_free(&pool);
    free(c.S);
    free(c.R);
    free(c.A);
    free(c.cs);
    free(c.xt);
    free(c.part);
    free(hist);
    free(se);
    free(cl);
    free(ex);
    free(members);
    free(isex);
    free(colsum);
    free(xw);
    return err;
}
