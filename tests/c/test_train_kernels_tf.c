/*
 * test_train_kernels_tf.c - the transformer's trainer kernels (cs_train_kernels.h: attn_fwd, attn_bwd, ln_fwd,
 * ln_bwd, add_mul, mul, relu, relu_bwd), the AVX2 set against its portable twin and both against a float64
 * reference, on awkward shapes: head sizes 1..17 (8-lane blocks, masked tails), T not a multiple of 8, a
 * context window shorter than, equal to and longer than T, rows strided inside wider rows (as the heads of one
 * QKV row are) with sentinels in the gaps that no kernel may write, and accumulation onto non-zero outputs.
 *
 * Tolerances (stated): attention outputs, probabilities and gradients within 2e-6 (1 + |ref|) of the float64
 * value (float32 rounding of <= 70 terms, cs_fast_exp's 1.5e-7 relative error); layer norm within 1e-5 (1 +
 * |ref|) (float sums of <= 67 terms, the reciprocal square root of a variance >= 1e-3). The elementwise kernels
 * must give the same bits in both sets, NaN, -0 and infinities included.
 * Off x86 (or without AVX2/FMA) the AVX2 request falls back to portable: the comparisons still run, trivially.
 */
#include "cs_rng.h"
#include "cs_test.h"
#include "cs_train_kernels.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SENT 12345.0f /* a value no kernel writes: in the gaps of strided rows and past the ends */

static void fill(cs_rng *rng, float *x, size_t n, float sc)
{
    for (size_t i = 0; i < n; i++)
        x[i] = sc * (2.0f * cs_rng_uniform(rng) - 1.0f);
}

static double worst_rel(const float *a, const double *ref, size_t n)
{
    double w = 0.0;
    for (size_t i = 0; i < n; i++)
        w = fmax(w, fabs((double)a[i] - ref[i]) / (1.0 + fabs(ref[i])));
    return w;
}

/* Strided rows: T rows of ld floats, the head's hd floats at offset `off` of each row, SENT elsewhere. */
static float *strided(int T, size_t ld, int off, int hd, cs_rng *rng, float sc)
{
    float *x = malloc((size_t)T * ld * sizeof *x);
    for (size_t i = 0; i < (size_t)T * ld; i++)
        x[i] = SENT;
    for (int t = 0; t < T; t++)
        fill(rng, x + (size_t)t * ld + off, (size_t)hd, sc);
    return x;
}

static int sentinels_kept(const float *x, int T, size_t ld, int off, int hd)
{
    for (int t = 0; t < T; t++)
        for (size_t c = 0; c < ld; c++)
            if (((int)c < off || (int)c >= off + hd) && x[(size_t)t * ld + c] != SENT) return 0;
    return 1;
}

/* float64 reference of one head: P (T, T) dense (zeros outside the window), o += P v; and the backward. */
static void attn_ref(int T, int C, int hd, const float *q, const float *k, const float *v, size_t ld, double scale,
                     double slope, const float *o0, size_t ldo, const float *dout, double *P, double *o, double *dq,
                     double *dk, double *dv)
{
    memset(P, 0, (size_t)T * T * sizeof *P);
    for (int i = 0; i < T; i++) {
        const int lo = i - C + 1 > 0 ? i - C + 1 : 0;
        double mx = -INFINITY, sum = 0.0;
        for (int j = lo; j <= i; j++) {
            double s = 0.0;
            for (int c = 0; c < hd; c++)
                s += (double)q[(size_t)i * ld + c] * (double)k[(size_t)j * ld + c];
            P[(size_t)i * T + j] = s * scale - slope * (double)(i - j);
            mx = fmax(mx, P[(size_t)i * T + j]);
        }
        for (int j = lo; j <= i; j++)
            sum += P[(size_t)i * T + j] = exp(P[(size_t)i * T + j] - mx);
        for (int j = lo; j <= i; j++)
            P[(size_t)i * T + j] /= sum;
        for (int c = 0; c < hd; c++) {
            double a = (double)o0[(size_t)i * ldo + c];
            for (int j = lo; j <= i; j++)
                a += P[(size_t)i * T + j] * (double)v[(size_t)j * ld + c];
            o[(size_t)i * hd + c] = a;
        }
    }
    /* dq, dk, dv start from 0 here; the caller adds the initial values */
    memset(dq, 0, (size_t)T * hd * sizeof *dq);
    memset(dk, 0, (size_t)T * hd * sizeof *dk);
    memset(dv, 0, (size_t)T * hd * sizeof *dv);
    double *dP = malloc((size_t)T * sizeof *dP);
    for (int i = 0; i < T; i++) {
        const int lo = i - C + 1 > 0 ? i - C + 1 : 0;
        double dot = 0.0;
        for (int j = lo; j <= i; j++) {
            double s = 0.0;
            for (int c = 0; c < hd; c++)
                s += (double)dout[(size_t)i * ldo + c] * (double)v[(size_t)j * ld + c];
            dP[j] = s;
            dot += P[(size_t)i * T + j] * s;
            for (int c = 0; c < hd; c++)
                dv[(size_t)j * hd + c] += P[(size_t)i * T + j] * (double)dout[(size_t)i * ldo + c];
        }
        for (int j = lo; j <= i; j++) {
            const double ds = P[(size_t)i * T + j] * (dP[j] - dot) * scale;
            for (int c = 0; c < hd; c++) {
                dq[(size_t)i * hd + c] += ds * (double)k[(size_t)j * ld + c];
                dk[(size_t)j * hd + c] += ds * (double)q[(size_t)i * ld + c];
            }
        }
    }
    free(dP);
}

typedef struct attn_case {
    int T, C, hd;
} attn_case;

/* One shape through both sets: forward (o accumulated onto random values, P at the seen entries) and backward
 * (dq, dk, dv accumulated onto random values in the three slices of one strided row, as dQKV holds them).
 * Returns the worst relative error of either set against float64 and of AVX2 against portable. */
static double check_attn(attn_case a, cs_rng *rng, double *vs_twin)
{
    const int T = a.T, C = a.C, hd = a.hd;
    const size_t ld = (size_t)(3 * hd + 5), ldo = (size_t)(hd + 3); /* gaps between and after the slices */
    const float scale = 1.0f / sqrtf((float)hd), slope = 0.35f;
    float *qkv = malloc((size_t)T * ld * sizeof *qkv);
    for (size_t i = 0; i < (size_t)T * ld; i++)
        qkv[i] = SENT;
    for (int t = 0; t < T; t++)
        for (int part = 0; part < 3; part++)
            fill(rng, qkv + (size_t)t * ld + (size_t)part * (hd + 1), (size_t)hd, 2.0f);
    const float *q = qkv, *k = qkv + hd + 1, *v = qkv + 2 * (hd + 1);
    float *o0 = strided(T, ldo, 1, hd, rng, 0.5f), *dout = strided(T, ldo, 1, hd, rng, 1.0f);
    float *d0 = malloc((size_t)T * ld * sizeof *d0);
    for (size_t i = 0; i < (size_t)T * ld; i++)
        d0[i] = SENT;
    for (int t = 0; t < T; t++)
        for (int part = 0; part < 3; part++)
            fill(rng, d0 + (size_t)t * ld + (size_t)part * (hd + 1), (size_t)hd, 0.5f);
    double *P = malloc((size_t)T * T * sizeof *P), *o = malloc((size_t)T * hd * sizeof *o);
    double *dq = malloc((size_t)T * hd * sizeof *dq), *dk = malloc((size_t)T * hd * sizeof *dk);
    double *dv = malloc((size_t)T * hd * sizeof *dv);
    attn_ref(T, C, hd, q, k, v, ld, scale, slope, o0 + 1, ldo, dout + 1, P, o, dq, dk, dv);
    for (int t = 0; t < T; t++)
        for (int c = 0; c < hd; c++) {
            dq[(size_t)t * hd + c] += (double)d0[(size_t)t * ld + c];
            dk[(size_t)t * hd + c] += (double)d0[(size_t)t * ld + hd + 1 + c];
            dv[(size_t)t * hd + c] += (double)d0[(size_t)t * ld + 2 * (hd + 1) + c];
        }
    const size_t nsc = cs_train_attn_scratch_floats(T, hd);
    float *scratch = malloc((nsc + 1) * sizeof *scratch);
    float *Pk[2], *ok[2], *dk_[2];
    double worst = 0.0;
    for (int set = 0; set < 2; set++) {
        const cs_train_kernels *kn = cs_train_kernels_get(set ? CS_TK_AVX2 : CS_TK_PORTABLE);
        Pk[set] = malloc((size_t)T * T * sizeof(float));
        ok[set] = malloc((size_t)T * ldo * sizeof(float));
        dk_[set] = malloc((size_t)T * ld * sizeof(float));
        memcpy(ok[set], o0, (size_t)T * ldo * sizeof(float));
        memcpy(dk_[set], d0, (size_t)T * ld * sizeof(float));
        scratch[nsc] = SENT;
        kn->attn_fwd(T, C, hd, q, k, v, ld, scale, slope, Pk[set], ok[set] + 1, ldo, scratch);
        kn->attn_bwd(T, C, hd, q, k, v, ld, Pk[set], dout + 1, ldo, scale, dk_[set], dk_[set] + hd + 1,
                     dk_[set] + 2 * (hd + 1), scratch);
        CS_CHECK(scratch[nsc] == SENT, "%s attention T %d C %d hd %d: wrote past its scratch", kn->name, T, C, hd);
        CS_CHECK(sentinels_kept(ok[set], T, ldo, 1, hd), "%s attn_fwd T %d C %d hd %d: wrote outside the head",
                 kn->name, T, C, hd);
        int kept = 1;
        for (int t = 0; t < T; t++)
            for (size_t c = 0; c < ld; c++)
                if ((int)c % (hd + 1) == hd || (int)c >= 3 * (hd + 1)) kept &= dk_[set][(size_t)t * ld + c] == SENT;
        CS_CHECK(kept, "%s attn_bwd T %d C %d hd %d: wrote outside the dq/dk/dv slices", kn->name, T, C, hd);
        double e = 0.0;
        for (int i = 0; i < T; i++) {
            const int lo = i - C + 1 > 0 ? i - C + 1 : 0;
            for (int j = lo; j <= i; j++)
                e = fmax(e, fabs((double)Pk[set][(size_t)i * T + j] - P[(size_t)i * T + j]));
            for (int c = 0; c < hd; c++) {
                const double r[4] = {o[(size_t)i * hd + c], dq[(size_t)i * hd + c], dk[(size_t)i * hd + c],
                                     dv[(size_t)i * hd + c]};
                const float x[4] = {ok[set][(size_t)i * ldo + 1 + c], dk_[set][(size_t)i * ld + c],
                                    dk_[set][(size_t)i * ld + hd + 1 + c], dk_[set][(size_t)i * ld + 2 * (hd + 1) + c]};
                e = fmax(e, worst_rel(x, r, 4));
            }
        }
        worst = fmax(worst, e);
    }
    double tw = 0.0;
    for (int i = 0; i < T; i++) {
        const int lo = i - C + 1 > 0 ? i - C + 1 : 0;
        for (int j = lo; j <= i; j++)
            tw = fmax(tw, fabs((double)Pk[1][(size_t)i * T + j] - (double)Pk[0][(size_t)i * T + j]));
    }
    for (size_t i = 0; i < (size_t)T * ldo; i++)
        tw = fmax(tw, fabs((double)ok[1][i] - (double)ok[0][i]) / (1.0 + fabs((double)ok[0][i])));
    for (size_t i = 0; i < (size_t)T * ld; i++)
        tw = fmax(tw, fabs((double)dk_[1][i] - (double)dk_[0][i]) / (1.0 + fabs((double)dk_[0][i])));
    *vs_twin = tw;
    for (int set = 0; set < 2; set++) {
        free(Pk[set]);
        free(ok[set]);
        free(dk_[set]);
    }
    free(scratch);
    free(qkv);
    free(o0);
    free(dout);
    free(d0);
    free(P);
    free(o);
    free(dq);
    free(dk);
    free(dv);
    return worst;
}

static void test_attention(void)
{
    static const int Ts[] = {1, 5, 8, 13, 64, 70};
    static const int hds[] = {1, 3, 7, 8, 9, 16, 17};
    cs_rng rng;
    cs_rng_seed(&rng, 21);
    double worst = 0.0, twin = 0.0;
    int n = 0;
    for (size_t a = 0; a < sizeof Ts / sizeof *Ts; a++)
        for (size_t b = 0; b < sizeof hds / sizeof *hds; b++) {
            const int T = Ts[a], Cs[4] = {1, 3, T > 9 ? 9 : T, T + 5};
            for (int c = 0; c < 4; c++) {
                double tw = 0.0;
                const attn_case ac = {T, Cs[c], hds[b]};
                const double e = check_attn(ac, &rng, &tw);
                CS_CHECK(e <= 2e-6, "attention T %d C %d hd %d: error %.3g against float64", T, Cs[c], hds[b], e);
                CS_CHECK(tw <= 4e-6, "attention T %d C %d hd %d: AVX2 vs portable %.3g", T, Cs[c], hds[b], tw);
                worst = fmax(worst, e);
                twin = fmax(twin, tw);
                n++;
            }
        }
    printf("attention, %d shapes: worst error %.3g against float64, AVX2 vs portable %.3g\n", n, worst, twin);
}

/* Layer norm: both sets against float64 on rows with an offset (mean 3), forward and backward (dx, dgam and
 * dbet accumulated onto random values). */
static void test_layer_norm(void)
{
    static const int Ds[] = {1, 3, 8, 13, 32, 64, 67};
    static const int Ts[] = {1, 5};
    cs_rng rng;
    cs_rng_seed(&rng, 22);
    double worst = 0.0;
    for (size_t a = 0; a < sizeof Ds / sizeof *Ds; a++)
        for (size_t b = 0; b < sizeof Ts / sizeof *Ts; b++) {
            const int D = Ds[a], T = Ts[b];
            const size_t n = (size_t)T * D;
            float *x = malloc(n * sizeof *x), *gam = malloc((size_t)D * sizeof *gam);
            float *bet = malloc((size_t)D * sizeof *bet), *dy = malloc(n * sizeof *dy);
            float *dx0 = malloc(n * sizeof *dx0), *dg0 = malloc((size_t)D * sizeof *dg0);
            float *db0 = malloc((size_t)D * sizeof *db0);
            fill(&rng, x, n, 1.0f);
            for (size_t i = 0; i < n; i++)
                x[i] += 3.0f;
            fill(&rng, gam, (size_t)D, 1.0f);
            fill(&rng, bet, (size_t)D, 1.0f);
            fill(&rng, dy, n, 1.0f);
            fill(&rng, dx0, n, 0.5f);
            fill(&rng, dg0, (size_t)D, 0.5f);
            fill(&rng, db0, (size_t)D, 0.5f);
            /* float64 reference */
            double *xh = malloc(n * sizeof *xh), *y = malloc(n * sizeof *y), *dx = malloc(n * sizeof *dx);
            double *dg = malloc((size_t)D * sizeof *dg), *db = malloc((size_t)D * sizeof *db), rs[5];
            for (int k = 0; k < D; k++) {
                dg[k] = dg0[k];
                db[k] = db0[k];
            }
            for (int t = 0; t < T; t++) {
                const float *xr = x + (size_t)t * D, *dr = dy + (size_t)t * D;
                double mu = 0.0, var = 0.0, m1 = 0.0, m2 = 0.0;
                for (int k = 0; k < D; k++)
                    mu += (double)xr[k];
                mu /= D;
                for (int k = 0; k < D; k++)
                    var += ((double)xr[k] - mu) * ((double)xr[k] - mu);
                rs[t] = 1.0 / sqrt(var / D + 1e-5);
                for (int k = 0; k < D; k++) {
                    const size_t i = (size_t)t * D + k;
                    const double g = (double)gam[k], d = (double)dr[k];
                    xh[i] = ((double)xr[k] - mu) * rs[t];
                    y[i] = xh[i] * g + (double)bet[k];
                    m1 += d * g;
                    m2 += d * g * xh[i];
                    dg[k] += d * xh[i];
                    db[k] += d;
                }
                for (int k = 0; k < D; k++) {
                    const size_t i = (size_t)t * D + k;
                    dx[i] = (double)dx0[i] + rs[t] * ((double)dr[k] * (double)gam[k] - m1 / D - xh[i] * m2 / D);
                }
            }
            for (int set = 0; set < 2; set++) {
                const cs_train_kernels *kn = cs_train_kernels_get(set ? CS_TK_AVX2 : CS_TK_PORTABLE);
                float *fxh = malloc((n + 1) * sizeof *fxh), *fy = malloc((n + 1) * sizeof *fy), frs[6];
                float *fdx = malloc((n + 1) * sizeof *fdx), *fdg = malloc(((size_t)D + 1) * sizeof *fdg);
                float *fdb = malloc(((size_t)D + 1) * sizeof *fdb);
                fxh[n] = fy[n] = fdx[n] = fdg[D] = fdb[D] = frs[T] = SENT;
                memcpy(fdx, dx0, n * sizeof *fdx);
                memcpy(fdg, dg0, (size_t)D * sizeof *fdg);
                memcpy(fdb, db0, (size_t)D * sizeof *fdb);
                kn->ln_fwd(T, D, x, gam, bet, 1e-5f, fxh, fy, frs);
                kn->ln_bwd(T, D, dy, fxh, frs, gam, fdx, fdg, fdb);
                CS_CHECK(fxh[n] == SENT && fy[n] == SENT && fdx[n] == SENT && fdg[D] == SENT && fdb[D] == SENT &&
                             frs[T] == SENT,
                         "%s layer norm T %d D %d: wrote past an end", kn->name, T, D);
                double e = fmax(worst_rel(fxh, xh, n), worst_rel(fy, y, n));
                e = fmax(
                    e, fmax(worst_rel(fdx, dx, n), fmax(worst_rel(fdg, dg, (size_t)D), worst_rel(fdb, db, (size_t)D))));
                e = fmax(e, worst_rel(frs, rs, (size_t)T));
                CS_CHECK(e <= 1e-5, "%s layer norm T %d D %d: error %.3g against float64", kn->name, T, D, e);
                worst = fmax(worst, e);
                free(fxh);
                free(fy);
                free(fdx);
                free(fdg);
                free(fdb);
            }
            free(x);
            free(gam);
            free(bet);
            free(dy);
            free(dx0);
            free(dg0);
            free(db0);
            free(xh);
            free(y);
            free(dx);
            free(dg);
            free(db);
        }
    printf("layer norm: worst error %.3g against float64\n", worst);
}

/* The elementwise kernels: the same bits in both sets on every length 0..40 and 1027 (8-lane blocks and every
 * tail), special values included, nothing written past n. */
static void test_elementwise(void)
{
    enum { NMAX = 1027 };
    static float a[NMAX], b[NMAX], m[NMAX], y[2][NMAX + 1];
    cs_rng rng;
    cs_rng_seed(&rng, 23);
    fill(&rng, a, NMAX, 3.0f);
    fill(&rng, b, NMAX, 3.0f);
    fill(&rng, m, NMAX, 2.0f);
    const float special[] = {NAN, -0.0f, 0.0f, INFINITY, -INFINITY, 1e-40f, -1e-40f};
    for (int i = 0; i < 7; i++) {
        a[3 * i + 1] = special[i];
        b[5 * i + 2] = special[i];
        m[7 * i + 3] = special[i];
    }
    int bad = 0, lens = 0;
    for (int li = 0; li <= 41; li++) {
        const int n = li <= 40 ? li : NMAX;
        lens++;
        for (int op = 0; op < 6; op++) {
            for (int set = 0; set < 2; set++) {
                const cs_train_kernels *kn = cs_train_kernels_get(set ? CS_TK_AVX2 : CS_TK_PORTABLE);
                float *o = y[set];
                o[n] = SENT;
                memcpy(o, b, (size_t)n * sizeof *o);
                if (op == 0) kn->add_mul((size_t)n, a, b, m, o);
                if (op == 1) kn->add_mul((size_t)n, a, b, NULL, o);
                if (op == 2) kn->add_mul((size_t)n, a, o, m, o); /* y = b in place */
                if (op == 3) kn->mul((size_t)n, a, m, o);
                if (op == 4) kn->relu((size_t)n, o);
                if (op == 5) kn->relu_bwd((size_t)n, a, o);
                bad += o[n] != SENT;
            }
            bad += memcmp(y[0], y[1], (size_t)n * sizeof(float)) != 0;
        }
    }
    CS_CHECK(bad == 0, "elementwise kernels: %d differences between the sets or writes past the end", bad);
    /* the semantics themselves on the special values, in the 8-lane part of the AVX2 set (and in both sets) */
    for (int set = 0; set < 2; set++) {
        const cs_train_kernels *kn = cs_train_kernels_get(set ? CS_TK_AVX2 : CS_TK_PORTABLE);
        float r[8], dy[8];
        for (int i = 0; i < 8; i++) {
            r[i] = (const float[4]){NAN, -0.0f, -1.0f, 2.0f}[i % 4];
            dy[i] = 5.0f;
        }
        kn->relu_bwd(8, r, dy);
        kn->relu(8, r);
        for (int i = 0; i < 8; i++) {
            const int pos = i % 4 == 3;
            CS_CHECK(dy[i] == (i % 4 == 0 || pos ? 5.0f : 0.0f), "%s relu_bwd lane %d: %g", kn->name, i, (double)dy[i]);
            CS_CHECK(r[i] == (pos ? 2.0f : 0.0f) && !signbit(r[i]), "%s relu lane %d: %g", kn->name, i, (double)r[i]);
        }
    }
    printf("elementwise: %d lengths x 6 operations, the same bits in both sets\n", lens);
}

int main(void)
{
    printf("this CPU selects the %s kernels\n", cs_train_kernels_get(CS_TK_AUTO)->name);
    test_attention();
    test_layer_norm();
    test_elementwise();
    CS_TEST_END();
}
