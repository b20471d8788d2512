/*
 * cs_train_kernels.c - the trainer's matrix products and Adam update: a portable set and an AVX2/FMA set
 * chosen at run time (contracts and determinism: cs_train_kernels.h).
 *
 * The AVX2 products keep a register tile of C (6 rows x 16 columns, 12 accumulators; 4-row and 1-row tiles for
 * the last rows) loaded from C, add the K
 * terms in order with fused multiply-adds and store it back once, so the order per element is the portable
 * one (k ascending onto C) with one rounding per term instead of two. Column tails of 8 and a masked tail
 * (maskload/maskstore) cover any N; the inner dimension is cut into blocks (order unchanged: the tile is
 * stored and reloaded) so the rows of B a tile streams stay in L1/L2.
 */
#include "cs_train_kernels.h"

#include "cs_fastmath.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CS_TK_HAVE_AVX2 CS_FASTMATH_HAVE_AVX2 /* x86 with GCC/Clang (immintrin.h included there) */

/* ---------------------------------------------- portable ------------------------------------------------ */

/* Four rows at once sharing the loads of x: y_r += a_r * x. */
static inline void axpy4(int n, float a0, float a1, float a2, float a3, const float *restrict x, float *restrict y0,
                         float *restrict y1, float *restrict y2, float *restrict y3)
{
    int i = 0;
    for (; i + 4 <= n; i += 4) {
        const float x0 = x[i], x1 = x[i + 1], x2 = x[i + 2], x3 = x[i + 3];
        y0[i] += a0 * x0;
        y0[i + 1] += a0 * x1;
        y0[i + 2] += a0 * x2;
        y0[i + 3] += a0 * x3;
        y1[i] += a1 * x0;
        y1[i + 1] += a1 * x1;
        y1[i + 2] += a1 * x2;
        y1[i + 3] += a1 * x3;
        y2[i] += a2 * x0;
        y2[i + 1] += a2 * x1;
        y2[i + 2] += a2 * x2;
        y2[i + 3] += a2 * x3;
        y3[i] += a3 * x0;
        y3[i + 1] += a3 * x1;
        y3[i + 2] += a3 * x2;
        y3[i + 3] += a3 * x3;
    }
    for (; i < n; i++) {
        y0[i] += a0 * x[i];
        y1[i] += a1 * x[i];
        y2[i] += a2 * x[i];
        y3[i] += a3 * x[i];
    }
}

/* C (M,N) += A (M,K) B (K,N). Rows of C in blocks of 4 share the rows of B; order over k is 0..K-1 for every
 * row, whatever the block. */
static void mm_acc_portable(int M, int N, int K, const float *A, const float *B, float *C)
{
    int m = 0;
    for (; m + 4 <= M; m += 4) {
        const float *a0 = A + (size_t)m * K, *a1 = a0 + K, *a2 = a1 + K, *a3 = a2 + K;
        float *c0 = C + (size_t)m * N, *c1 = c0 + N, *c2 = c1 + N, *c3 = c2 + N;
        for (int k = 0; k < K; k++)
            axpy4(N, a0[k], a1[k], a2[k], a3[k], B + (size_t)k * N, c0, c1, c2, c3);
    }
    for (; m < M; m++) {
        const float *a = A + (size_t)m * K;
        float *c = C + (size_t)m * N;
        for (int k = 0; k < K; k++)
            cs_tk_axpy(N, a[k], B + (size_t)k * N, c);
    }
}

/* dW (N,K) += dY^T (N,M) X (M,K). Blocked over m so a block of X stays in L1 while the rows of dW stream. */
static void mm_acc_tn_portable(int M, int N, int K, const float *dY, const float *X, float *dW)
{
    enum { MB = 16 };
    for (int m0 = 0; m0 < M; m0 += MB) {
        const int m1 = m0 + MB < M ? m0 + MB : M;
        for (int n = 0; n < N; n++) {
            float *dw = dW + (size_t)n * K;
            int m = m0;
            for (; m + 4 <= m1; m += 4) {
                /* four rows of X into one row of dW: y += a0 x0 + a1 x1 + a2 x2 + a3 x3 (fixed order) */
                const float a0 = dY[(size_t)m * N + n], a1 = dY[(size_t)(m + 1) * N + n];
                const float a2 = dY[(size_t)(m + 2) * N + n], a3 = dY[(size_t)(m + 3) * N + n];
                const float *x0 = X + (size_t)m * K, *x1 = x0 + K, *x2 = x1 + K, *x3 = x2 + K;
                int k = 0;
                for (; k + 4 <= K; k += 4) {
                    dw[k] += a0 * x0[k] + a1 * x1[k] + a2 * x2[k] + a3 * x3[k];
                    dw[k + 1] += a0 * x0[k + 1] + a1 * x1[k + 1] + a2 * x2[k + 1] + a3 * x3[k + 1];
                    dw[k + 2] += a0 * x0[k + 2] + a1 * x1[k + 2] + a2 * x2[k + 2] + a3 * x3[k + 2];
                    dw[k + 3] += a0 * x0[k + 3] + a1 * x1[k + 3] + a2 * x2[k + 3] + a3 * x3[k + 3];
                }
                for (; k < K; k++)
                    dw[k] += a0 * x0[k] + a1 * x1[k] + a2 * x2[k] + a3 * x3[k];
            }
            for (; m < m1; m++)
                cs_tk_axpy(K, dY[(size_t)m * N + n], X + (size_t)m * K, dw);
        }
    }
}

static void adam_portable(size_t n, float *w, float *am, float *av, const float *g, const unsigned char *decay,
                          float b1, float b2, float eps, float stepsize, float sbc2, float wd)
{
    for (size_t i = 0; i < n; i++) {
        if (wd > 0.0f && decay[i]) w[i] -= wd * w[i];
        am[i] = b1 * am[i] + (1.0f - b1) * g[i];
        av[i] = b2 * av[i] + (1.0f - b2) * g[i] * g[i];
        w[i] -= stepsize * am[i] / (sqrtf(av[i]) / sbc2 + eps);
    }
}

static inline float sigmoidf_(float x)
{
    return 1.0f / (1.0f + expf(-x));
}

/* The GRU cell of units [j0, H) one at a time: libm's functions (fast = 0) or cs_fastmath.h's (fast = 1). */
static inline void gru_gates_scalar(int H, int j0, int fast, float *gi, const float *gh, const float *hp, float *ho)
{
    for (int j = j0; j < H; j++) {
        const float ar = gi[j] + gh[j], az = gi[H + j] + gh[H + j];
        const float r = fast ? cs_fast_sigmoid(ar) : sigmoidf_(ar);
        const float z = fast ? cs_fast_sigmoid(az) : sigmoidf_(az);
        const float an = gi[2 * H + j] + r * gh[2 * H + j];
        const float n = fast ? cs_fast_tanh(an) : tanhf(an);
        const float h0 = hp ? hp[j] : 0.0f;
        gi[j] = r;
        gi[H + j] = z;
        gi[2 * H + j] = n;
        ho[j] = (1.0f - z) * n + z * h0;
    }
}

static void gru_gates_portable(int H, float *gi, const float *gh, const float *hp, float *ho)
{
    gru_gates_scalar(H, 0, 0, gi, gh, hp, ho);
}

/* One attention head, forward (cs_train_kernels.h): the trainer's loop of before the kernel sets, unchanged. */
static void attn_fwd_portable(int T, int C, int hd, const float *q, const float *k, const float *v, size_t ld,
                              float scale, float slope, float *P, float *o, size_t ldo, float *scratch)
{
    (void)scratch;
    for (int i = 0; i < T; i++) {
        const int lo = i - C + 1 > 0 ? i - C + 1 : 0;
        const float *qi = q + (size_t)i * ld;
        float *pr = P + (size_t)i * (size_t)T;
        float mx = -INFINITY;
        for (int j = lo; j <= i; j++) {
            const float *kj = k + (size_t)j * ld;
            float s = 0.0f;
            for (int c = 0; c < hd; c++)
                s += qi[c] * kj[c];
            s = s * scale - slope * (float)(i - j);
            pr[j] = s;
            mx = s > mx ? s : mx;
        }
        float sum = 0.0f;
        for (int j = lo; j <= i; j++) {
            pr[j] = expf(pr[j] - mx);
            sum += pr[j];
        }
        const float inv = 1.0f / sum;
        float *oi = o + (size_t)i * ldo;
        for (int j = lo; j <= i; j++) {
            pr[j] *= inv;
            cs_tk_axpy(hd, pr[j], v + (size_t)j * ld, oi);
        }
    }
}

/* One attention head, backward: the trainer's loop of before the kernel sets, unchanged (scratch: dP, T). */
static void attn_bwd_portable(int T, int C, int hd, const float *q, const float *k, const float *v, size_t ld,
                              const float *P, const float *dout, size_t ldo, float scale, float *dq, float *dk,
                              float *dv, float *scratch)
{
    float *dP = scratch;
    for (int i = 0; i < T; i++) {
        const int lo = i - C + 1 > 0 ? i - C + 1 : 0;
        const float *pr = P + (size_t)i * (size_t)T;
        const float *dob = dout + (size_t)i * ldo;
        float dot = 0.0f;
        for (int j = lo; j <= i; j++) {
            const float *vj = v + (size_t)j * ld;
            float s = 0.0f;
            for (int c = 0; c < hd; c++)
                s += dob[c] * vj[c];
            dP[j] = s;
            dot += pr[j] * s;
            cs_tk_axpy(hd, pr[j], dob, dv + (size_t)j * ld);
        }
        const float *qi = q + (size_t)i * ld;
        float *dqi = dq + (size_t)i * ld;
        for (int j = lo; j <= i; j++) {
            const float ds = pr[j] * (dP[j] - dot) * scale;
            cs_tk_axpy(hd, ds, k + (size_t)j * ld, dqi);
            cs_tk_axpy(hd, ds, qi, dk + (size_t)j * ld);
        }
    }
}

/* Layer norm forward and backward: the trainer's functions of before the kernel sets, unchanged (eps now an
 * argument: (double)eps is the value the constant gave). */
static void ln_fwd_portable(int T, int D, const float *x, const float *gam, const float *bet, float eps, float *xh,
                            float *y, float *rs)
{
    for (int t = 0; t < T; t++) {
        const float *xr = x + (size_t)t * D;
        double mu = 0.0, var = 0.0;
        for (int k = 0; k < D; k++)
            mu += (double)xr[k];
        mu /= D;
        for (int k = 0; k < D; k++)
            var += ((double)xr[k] - mu) * ((double)xr[k] - mu);
        var /= D;
        const float r = (float)(1.0 / sqrt(var + (double)eps));
        rs[t] = r;
        float *xhr = xh + (size_t)t * D, *yr = y + (size_t)t * D;
        for (int k = 0; k < D; k++) {
            xhr[k] = (float)((double)xr[k] - mu) * r;
            yr[k] = xhr[k] * gam[k] + bet[k];
        }
    }
}

static void ln_bwd_portable(int T, int D, const float *dy, const float *xh, const float *rs, const float *gam,
                            float *dx, float *dgam, float *dbet)
{
    for (int t = 0; t < T; t++) {
        const float *d = dy + (size_t)t * D, *xr = xh + (size_t)t * D;
        float *o = dx + (size_t)t * D;
        double m1 = 0.0, m2 = 0.0;
        for (int k = 0; k < D; k++) {
            const float dxh = d[k] * gam[k];
            m1 += (double)dxh;
            m2 += (double)dxh * (double)xr[k];
            dgam[k] += d[k] * xr[k];
            dbet[k] += d[k];
        }
        const float a = (float)(m1 / D), c = (float)(m2 / D);
        for (int k = 0; k < D; k++)
            o[k] += rs[t] * (d[k] * gam[k] - a - xr[k] * c);
    }
}

/* The elementwise kernels: the trainer's loops of before (exact operations, so any vector width gives these bits). */
static void add_mul_portable(size_t n, const float *a, const float *b, const float *m, float *y)
{
    if (m)
        for (size_t i = 0; i < n; i++)
            y[i] = a[i] + b[i] * m[i];
    else
        for (size_t i = 0; i < n; i++)
            y[i] = a[i] + b[i];
}

static void mul_portable(size_t n, const float *a, const float *m, float *y)
{
    for (size_t i = 0; i < n; i++)
        y[i] = a[i] * m[i];
}

static void relu_portable(size_t n, float *x)
{
    for (size_t i = 0; i < n; i++)
        x[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

static void relu_bwd_portable(size_t n, const float *y, float *dy)
{
    for (size_t i = 0; i < n; i++)
        if (y[i] <= 0.0f) dy[i] = 0.0f;
}

static const cs_train_kernels kernels_portable = {
    mm_acc_portable,   mm_acc_tn_portable, adam_portable,   gru_gates_portable, attn_fwd_portable,
    attn_bwd_portable, ln_fwd_portable,    ln_bwd_portable, add_mul_portable,   mul_portable,
    relu_portable,     relu_bwd_portable,  "portable",      CS_TK_PORTABLE};

/* ------------------------------------------------ AVX2 -------------------------------------------------- */

#if CS_TK_HAVE_AVX2

#define TK_AVX2 __attribute__((target("avx2,fma")))

/* Lane masks for a tail of r < 8 columns: loadu(mask_tab + 8 - r) has r leading -1 lanes. */
static const int mask_tab[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

/* Loads and stores of nc <= 8 lanes (8: plain; fewer: masked). */
TK_AVX2 static inline __m256 ld8(const float *p, int nc, __m256i mk)
{
    return nc == 8 ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, mk);
}

TK_AVX2 static inline void st8(float *p, int nc, __m256i mk, __m256 v)
{
    if (nc == 8)
        _mm256_storeu_ps(p, v);
    else
        _mm256_maskstore_ps(p, mk, v);
}

/*
 * The tiles: rows [0, R) of C (stride ldc; R = 6, 4 or 1) and 16 columns, or nc <= 8 (masked), over the
 * K-range [k0, k1) of the inner dimension, with A's element (r, k) at A[r * sar + k * sak] and B's row k at
 * B + k * ldb: C += sum_k A(r,k) B(k,:), k ascending, fused. Each is generated from one body per width by a
 * row list (TK_ROWSn), so that the accumulators are named variables (GCC -O2 keeps an array of vectors in
 * memory). 6 x 16 (12 accumulators, 2 loads of B and 6 broadcasts per 12 FMAs) does most rows; the 4-row tile
 * (8 per 6 loads: it waits on the loads and the FMA latency) and the 1-row one take the last M mod 6.
 */
#define TK_ROWS1(X)    X(0)
#define TK_ROWS4(X)    X(0) X(1) X(2) X(3)
#define TK_ROWS6(X)    X(0) X(1) X(2) X(3) X(4) X(5)
#define TK_BCAST(r)    _mm256_broadcast_ss(a + (size_t)(r)*sar)
#define TK_T16_LOAD(r) __m256 c##r##0 = _mm256_loadu_ps(C + (r)*ldc), c##r##1 = _mm256_loadu_ps(C + (r)*ldc + 8);
#define TK_T16_FMA(r)                                                                                                  \
    {                                                                                                                  \
        const __m256 av = TK_BCAST(r);                                                                                 \
        c##r##0 = _mm256_fmadd_ps(av, b0, c##r##0);                                                                    \
        c##r##1 = _mm256_fmadd_ps(av, b1, c##r##1);                                                                    \
    }
#define TK_T16_STORE(r)                                                                                                \
    _mm256_storeu_ps(C + (r)*ldc, c##r##0);                                                                            \
    _mm256_storeu_ps(C + (r)*ldc + 8, c##r##1);
#define TK_T8_LOAD(r)  __m256 c##r = ld8(C + (r)*ldc, nc, mk);
#define TK_T8_FMA(r)   c##r = _mm256_fmadd_ps(TK_BCAST(r), b0, c##r);
#define TK_T8_STORE(r) st8(C + (r)*ldc, nc, mk, c##r);
#define TK_TILE16(NAME, ROWS)                                                                                          \
    TK_AVX2 static inline void NAME(int k0, int k1, const float *A, size_t sar, size_t sak, const float *B,            \
                                    size_t ldb, float *C, size_t ldc)                                                  \
    {                                                                                                                  \
        ROWS(TK_T16_LOAD)                                                                                              \
        for (int k = k0; k < k1; k++) {                                                                                \
            const float *b = B + (size_t)k * ldb, *a = A + (size_t)k * sak;                                            \
            const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);                                         \
            ROWS(TK_T16_FMA)                                                                                           \
        }                                                                                                              \
        ROWS(TK_T16_STORE)                                                                                             \
    }
#define TK_TILE8(NAME, ROWS)                                                                                           \
    TK_AVX2 static inline void NAME(int nc, int k0, int k1, const float *A, size_t sar, size_t sak, const float *B,    \
                                    size_t ldb, float *C, size_t ldc)                                                  \
    {                                                                                                                  \
        const __m256i mk = _mm256_loadu_si256((const __m256i *)(const void *)(mask_tab + 8 - nc));                     \
        ROWS(TK_T8_LOAD)                                                                                               \
        for (int k = k0; k < k1; k++) {                                                                                \
            const float *a = A + (size_t)k * sak;                                                                      \
            const __m256 b0 = ld8(B + (size_t)k * ldb, nc, mk);                                                        \
            ROWS(TK_T8_FMA)                                                                                            \
        }                                                                                                              \
        ROWS(TK_T8_STORE)                                                                                              \
    }
TK_TILE16(tile16x6, TK_ROWS6)
TK_TILE16(tile16x4, TK_ROWS4)
TK_TILE16(tile16x1, TK_ROWS1)
TK_TILE8(tile8x6, TK_ROWS6)
TK_TILE8(tile8x4, TK_ROWS4)
TK_TILE8(tile8x1, TK_ROWS1)
#undef TK_TILE8
#undef TK_TILE16
#undef TK_T8_STORE
#undef TK_T8_FMA
#undef TK_T8_LOAD
#undef TK_T16_STORE
#undef TK_T16_FMA
#undef TK_T16_LOAD
#undef TK_BCAST
#undef TK_ROWS6
#undef TK_ROWS4
#undef TK_ROWS1

/* C (M,N) += A' (M,K) B (K,N) with A'(m,k) = A[m * sar + k * sak], B row stride N, C row stride N. The
 * K-range is cut into blocks of KB (the order over k per element is unchanged). */
TK_AVX2 static void gemm_avx2(int M, int N, int K, const float *A, size_t sar, size_t sak, const float *B, float *C)
{
    enum { KB = 128 };
    const size_t ld = (size_t)N;
    for (int k0 = 0; k0 < K; k0 += KB) {
        const int k1 = k0 + KB < K ? k0 + KB : K;
        int m = 0;
#define TK_GEMM_ROWS(R, T16, T8)                                                                                       \
    for (; m + (R) <= M; m += (R)) {                                                                                   \
        const float *Am = A + (size_t)m * sar;                                                                         \
        float *Cm = C + (size_t)m * ld;                                                                                \
        int n = 0;                                                                                                     \
        for (; n + 16 <= N; n += 16)                                                                                   \
            T16(k0, k1, Am, sar, sak, B + n, ld, Cm + n, ld);                                                          \
        for (; n < N; n += 8)                                                                                          \
            T8(N - n < 8 ? N - n : 8, k0, k1, Am, sar, sak, B + n, ld, Cm + n, ld);                                    \
    }
        TK_GEMM_ROWS(6, tile16x6, tile8x6)
        TK_GEMM_ROWS(4, tile16x4, tile8x4)
        TK_GEMM_ROWS(1, tile16x1, tile8x1)
#undef TK_GEMM_ROWS
    }
}

TK_AVX2 static void mm_acc_avx2(int M, int N, int K, const float *A, const float *B, float *C)
{
    gemm_avx2(M, N, K, A, (size_t)K, 1, B, C);
}

/* dW (N,K) += dY^T X: rows of C are the N columns of dY (stride 1), the inner index is m (stride N). */
TK_AVX2 static void mm_acc_tn_avx2(int M, int N, int K, const float *dY, const float *X, float *dW)
{
    gemm_avx2(N, K, M, dY, 1, (size_t)N, X, dW);
}

/* Adam in 8 lanes with the portable rounding (no fused operation): bit-identical to adam_portable. */
TK_AVX2 static void adam_avx2(size_t n, float *w, float *am, float *av, const float *g, const unsigned char *decay,
                              float b1, float b2, float eps, float stepsize, float sbc2, float wd)
{
    const __m256 vb1 = _mm256_set1_ps(b1), vb2 = _mm256_set1_ps(b2), v1b1 = _mm256_set1_ps(1.0f - b1);
    const __m256 v1b2 = _mm256_set1_ps(1.0f - b2), veps = _mm256_set1_ps(eps), vst = _mm256_set1_ps(stepsize);
    const __m256 vs2 = _mm256_set1_ps(sbc2), vwd = _mm256_set1_ps(wd);
    const int use_wd = wd > 0.0f;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 wv = _mm256_loadu_ps(w + i);
        const __m256 gv = _mm256_loadu_ps(g + i);
        if (use_wd) {
            /* lanes whose flag is set: w - wd * w; others unchanged */
            const __m128i d8 = _mm_loadl_epi64((const __m128i *)(const void *)(decay + i));
            const __m256i d32 = _mm256_cvtepu8_epi32(d8);
            const __m256 sel = _mm256_castsi256_ps(_mm256_cmpgt_epi32(d32, _mm256_setzero_si256()));
            wv = _mm256_blendv_ps(wv, _mm256_sub_ps(wv, _mm256_mul_ps(vwd, wv)), sel);
        }
        const __m256 mv = _mm256_add_ps(_mm256_mul_ps(vb1, _mm256_loadu_ps(am + i)), _mm256_mul_ps(v1b1, gv));
        const __m256 vv =
            _mm256_add_ps(_mm256_mul_ps(vb2, _mm256_loadu_ps(av + i)), _mm256_mul_ps(_mm256_mul_ps(v1b2, gv), gv));
        const __m256 den = _mm256_add_ps(_mm256_div_ps(_mm256_sqrt_ps(vv), vs2), veps);
        wv = _mm256_sub_ps(wv, _mm256_div_ps(_mm256_mul_ps(vst, mv), den));
        _mm256_storeu_ps(am + i, mv);
        _mm256_storeu_ps(av + i, vv);
        _mm256_storeu_ps(w + i, wv);
    }
    if (i < n) adam_portable(n - i, w + i, am + i, av + i, g + i, decay + i, b1, b2, eps, stepsize, sbc2, wd);
}

/* The GRU cell in 8 lanes (cs_fastmath.h's sigmoid and tanh); the last H % 8 units by the scalar fast versions. */
TK_AVX2 static void gru_gates_avx2(int H, float *gi, const float *gh, const float *hp, float *ho)
{
    const __m256 one = _mm256_set1_ps(1.0f);
    int j = 0;
    for (; j + 8 <= H; j += 8) {
        const __m256 r = cs_fast_sigmoid8(_mm256_add_ps(_mm256_loadu_ps(gi + j), _mm256_loadu_ps(gh + j)));
        const __m256 z = cs_fast_sigmoid8(_mm256_add_ps(_mm256_loadu_ps(gi + H + j), _mm256_loadu_ps(gh + H + j)));
        const __m256 n =
            cs_fast_tanh8(_mm256_fmadd_ps(r, _mm256_loadu_ps(gh + 2 * H + j), _mm256_loadu_ps(gi + 2 * H + j)));
        const __m256 h0 = hp ? _mm256_loadu_ps(hp + j) : _mm256_setzero_ps();
        _mm256_storeu_ps(gi + j, r);
        _mm256_storeu_ps(gi + H + j, z);
        _mm256_storeu_ps(gi + 2 * H + j, n);
        _mm256_storeu_ps(ho + j, _mm256_fmadd_ps(z, h0, _mm256_mul_ps(_mm256_sub_ps(one, z), n)));
    }
    gru_gates_scalar(H, j, 1, gi, gh, hp, ho);
}

/* Horizontal sum and maximum of 8 lanes (fixed order: halves, then pairs). */
TK_AVX2 static inline float hsum8(__m256 x)
{
    __m128 a = _mm_add_ps(_mm256_castps256_ps128(x), _mm256_extractf128_ps(x, 1));
    a = _mm_add_ps(a, _mm_movehl_ps(a, a));
    a = _mm_add_ss(a, _mm_movehdup_ps(a));
    return _mm_cvtss_f32(a);
}

TK_AVX2 static inline float hmax8(__m256 x)
{
    __m128 a = _mm_max_ps(_mm256_castps256_ps128(x), _mm256_extractf128_ps(x, 1));
    a = _mm_max_ps(a, _mm_movehl_ps(a, a));
    a = _mm_max_ss(a, _mm_movehdup_ps(a));
    return _mm_cvtss_f32(a);
}

/* dst (hd, Tp) = the transpose of the T rows src + t ld (hd floats each), columns T..Tp-1 zero. */
static void transpose_rows(int T, int Tp, int hd, const float *src, size_t ld, float *dst)
{
    for (int c = 0; c < hd; c++) {
        float *d = dst + (size_t)c * (size_t)Tp;
        for (int t = 0; t < T; t++)
            d[t] = src[(size_t)t * ld + c];
        for (int t = T; t < Tp; t++)
            d[t] = 0.0f;
    }
}

/* sum_{j in [j0, j1]} w[j * ws] x_j over 8 lanes of the rows x_j = x + j ld (FULL: plain loads; else the lanes
 * of mk, masked loads): 4 partial sums over j (j mod 4), combined as (a0 + a1) + (a2 + a3). */
#define TK_WSUM_ROWS(NAME, LOAD)                                                                                       \
    TK_AVX2 static inline __m256 NAME(int j0, int j1, const float *w, size_t ws, const float *x, size_t ld,            \
                                      __m256i mk)                                                                      \
    {                                                                                                                  \
        (void)mk;                                                                                                      \
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;                                                    \
        int j = j0;                                                                                                    \
        for (; j + 3 <= j1; j += 4) {                                                                                  \
            const float *xj = x + (size_t)j * ld, *wj = w + (size_t)j * ws;                                            \
            a0 = _mm256_fmadd_ps(_mm256_broadcast_ss(wj), LOAD(xj), a0);                                               \
            a1 = _mm256_fmadd_ps(_mm256_broadcast_ss(wj + ws), LOAD(xj + ld), a1);                                     \
            a2 = _mm256_fmadd_ps(_mm256_broadcast_ss(wj + 2 * ws), LOAD(xj + 2 * ld), a2);                             \
            a3 = _mm256_fmadd_ps(_mm256_broadcast_ss(wj + 3 * ws), LOAD(xj + 3 * ld), a3);                             \
        }                                                                                                              \
        for (; j <= j1; j++)                                                                                           \
            a0 = _mm256_fmadd_ps(_mm256_broadcast_ss(w + (size_t)j * ws), LOAD(x + (size_t)j * ld), a0);               \
        return _mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3));                                            \
    }
#define TK_LOAD_FULL(p) _mm256_loadu_ps(p)
#define TK_LOAD_MASK(p) _mm256_maskload_ps((p), mk)
TK_WSUM_ROWS(wsum_rows_full, TK_LOAD_FULL)
TK_WSUM_ROWS(wsum_rows_mask, TK_LOAD_MASK)
#undef TK_LOAD_FULL
#undef TK_LOAD_MASK
#undef TK_WSUM_ROWS

/* y_row (hd floats) += sum_{j in [j0, j1]} w[j * ws] x_j (rows of x at stride ld), 8 columns at a time. */
TK_AVX2 static inline void wsum_acc(int hd, int j0, int j1, const float *w, size_t ws, const float *x, size_t ld,
                                    float *y)
{
    int c0 = 0;
    for (; c0 + 8 <= hd; c0 += 8)
        _mm256_storeu_ps(y + c0, _mm256_add_ps(_mm256_loadu_ps(y + c0),
                                               wsum_rows_full(j0, j1, w, ws, x + c0, ld, _mm256_setzero_si256())));
    if (c0 < hd) {
        const __m256i mk = _mm256_loadu_si256((const __m256i *)(const void *)(mask_tab + 8 - (hd - c0)));
        _mm256_maskstore_ps(
            y + c0, mk, _mm256_add_ps(_mm256_maskload_ps(y + c0, mk), wsum_rows_mask(j0, j1, w, ws, x + c0, ld, mk)));
    }
}

/* Lanes j = jb + 0..7 of row i that the query sees (lo <= j <= i), as a mask. */
TK_AVX2 static inline __m256 seen_mask(int i, int lo, int jb, __m256 lane)
{
    const __m256 j = _mm256_add_ps(_mm256_set1_ps((float)jb), lane);
    return _mm256_and_ps(_mm256_cmp_ps(j, _mm256_set1_ps((float)lo), _CMP_GE_OQ),
                         _mm256_cmp_ps(j, _mm256_set1_ps((float)i), _CMP_LE_OQ));
}

/* Row i of a score product: out[j] = sum_c a[c] BT[c][j] (BT (hd, Tp)), fused, c ascending, for the 8-column
 * blocks jb = b0, b0 + 8, .. <= b1. Four blocks at a time share each broadcast of a[c] and run four independent
 * chains (one chain alone waits on the FMA latency); each lane's order is the same either way. */
TK_AVX2 static inline void dots8(int hd, const float *a, const float *BT, int Tp, int b0, int b1, float *out)
{
    int jb = b0;
    for (; jb + 24 <= b1; jb += 32) {
        __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
        for (int c = 0; c < hd; c++) {
            const float *bt = BT + (size_t)c * (size_t)Tp + jb;
            const __m256 ac = _mm256_broadcast_ss(a + c);
            s0 = _mm256_fmadd_ps(ac, _mm256_loadu_ps(bt), s0);
            s1 = _mm256_fmadd_ps(ac, _mm256_loadu_ps(bt + 8), s1);
            s2 = _mm256_fmadd_ps(ac, _mm256_loadu_ps(bt + 16), s2);
            s3 = _mm256_fmadd_ps(ac, _mm256_loadu_ps(bt + 24), s3);
        }
        _mm256_storeu_ps(out + jb, s0);
        _mm256_storeu_ps(out + jb + 8, s1);
        _mm256_storeu_ps(out + jb + 16, s2);
        _mm256_storeu_ps(out + jb + 24, s3);
    }
    for (; jb <= b1; jb += 8) {
        __m256 s0 = _mm256_setzero_ps();
        for (int c = 0; c < hd; c++)
            s0 = _mm256_fmadd_ps(_mm256_broadcast_ss(a + c), _mm256_loadu_ps(BT + (size_t)c * (size_t)Tp + jb), s0);
        _mm256_storeu_ps(out + jb, s0);
    }
}

/*
 * One head forward in 8 lanes: keys transposed once (KT), so each query's scores are 8 keys per vector over
 * the aligned blocks that cover [lo, i]; lanes outside are -inf (exp gives 0). Scratch: KT (hd, Tp), row (Tp).
 */
TK_AVX2 static void attn_fwd_avx2(int T, int C, int hd, const float *q, const float *k, const float *v, size_t ld,
                                  float scale, float slope, float *P, float *o, size_t ldo, float *scratch)
{
    const int Tp = (T + 7) & ~7;
    float *KT = scratch, *row = scratch + (size_t)hd * (size_t)Tp;
    transpose_rows(T, Tp, hd, k, ld, KT);
    const __m256 lane = _mm256_setr_ps(0.0f, 1.0f, 2.0f, 3.0f, 4.0f, 5.0f, 6.0f, 7.0f);
    const __m256 vsc = _mm256_set1_ps(scale), vsl = _mm256_set1_ps(slope), ninf = _mm256_set1_ps(-INFINITY);
    for (int i = 0; i < T; i++) {
        const int lo = i - C + 1 > 0 ? i - C + 1 : 0, b0 = lo & ~7;
        const float *qi = q + (size_t)i * ld;
        const __m256 vi = _mm256_set1_ps((float)i);
        __m256 vmx = ninf;
        dots8(hd, qi, KT, Tp, b0, i, row);
        for (int jb = b0; jb <= i; jb += 8) {
            const __m256 dist = _mm256_sub_ps(vi, _mm256_add_ps(_mm256_set1_ps((float)jb), lane));
            __m256 s = _mm256_fnmadd_ps(vsl, dist, _mm256_mul_ps(_mm256_loadu_ps(row + jb), vsc));
            s = _mm256_blendv_ps(ninf, s, seen_mask(i, lo, jb, lane));
            _mm256_storeu_ps(row + jb, s);
            vmx = _mm256_max_ps(vmx, s);
        }
        const __m256 mx = _mm256_set1_ps(hmax8(vmx));
        __m256 vsum = _mm256_setzero_ps();
        for (int jb = b0; jb <= i; jb += 8) {
            const __m256 e = cs_fast_exp8(_mm256_sub_ps(_mm256_loadu_ps(row + jb), mx));
            _mm256_storeu_ps(row + jb, e);
            vsum = _mm256_add_ps(vsum, e);
        }
        const __m256 inv = _mm256_set1_ps(1.0f / hsum8(vsum));
        for (int jb = b0; jb <= i; jb += 8)
            _mm256_storeu_ps(row + jb, _mm256_mul_ps(_mm256_loadu_ps(row + jb), inv));
        memcpy(P + (size_t)i * (size_t)T + lo, row + lo, (size_t)(i - lo + 1) * sizeof *row);
        wsum_acc(hd, lo, i, row, 1, v, ld, o + (size_t)i * ldo);
    }
}

/* r[0..8) = the transpose of the 8 x 8 block r[0..8) (row c, lane j -> row j, lane c). */
TK_AVX2 static inline void transpose8(__m256 *r)
{
    const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    const __m256 s0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0));
    const __m256 s1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
    const __m256 s2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0));
    const __m256 s3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
    const __m256 s4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0));
    const __m256 s5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
    const __m256 s6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0));
    const __m256 s7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
    r[0] = _mm256_permute2f128_ps(s0, s4, 0x20);
    r[1] = _mm256_permute2f128_ps(s1, s5, 0x20);
    r[2] = _mm256_permute2f128_ps(s2, s6, 0x20);
    r[3] = _mm256_permute2f128_ps(s3, s7, 0x20);
    r[4] = _mm256_permute2f128_ps(s0, s4, 0x31);
    r[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
    r[6] = _mm256_permute2f128_ps(s2, s6, 0x31);
    r[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
}

/*
 * The column pass of attn_bwd for keys j = jb .. jb + nj - 1 (nj <= 8) and 8 columns: y_j[c] += sum_i W[i][j]
 * x_i[c] over the queries i <= ihi that see j (j <= i <= j + C - 1; W's other entries are masked, whatever
 * they hold), i ascending, one fused chain per (j, c); rows of W at stride ws, of x and y at stride ldx, ldy.
 * Eight keys per vector with 8 broadcasts per 8 FMAs (a key at a time needs a broadcast per FMA); the 8 x 8
 * sums are transposed into the rows of y once.
 */
TK_AVX2 static void col_acc8(int jb, int nj, int ihi, int C, const float *W, size_t ws, const float *x, size_t ldx,
                             float *y, size_t ldy, __m256 lane)
{
    __m256 a[8];
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
    for (int i = jb; i <= ihi; i++) {
        const int lo = i - C + 1 > 0 ? i - C + 1 : 0;
        const __m256 w = _mm256_maskload_ps(W + (size_t)i * ws + jb, _mm256_castps_si256(seen_mask(i, lo, jb, lane)));
        const float *xi = x + (size_t)i * ldx;
        a0 = _mm256_fmadd_ps(w, _mm256_broadcast_ss(xi), a0);
        a1 = _mm256_fmadd_ps(w, _mm256_broadcast_ss(xi + 1), a1);
        a2 = _mm256_fmadd_ps(w, _mm256_broadcast_ss(xi + 2), a2);
        a3 = _mm256_fmadd_ps(w, _mm256_broadcast_ss(xi + 3), a3);
        a4 = _mm256_fmadd_ps(w, _mm256_broadcast_ss(xi + 4), a4);
        a5 = _mm256_fmadd_ps(w, _mm256_broadcast_ss(xi + 5), a5);
        a6 = _mm256_fmadd_ps(w, _mm256_broadcast_ss(xi + 6), a6);
        a7 = _mm256_fmadd_ps(w, _mm256_broadcast_ss(xi + 7), a7);
    }
    a[0] = a0;
    a[1] = a1;
    a[2] = a2;
    a[3] = a3;
    a[4] = a4;
    a[5] = a5;
    a[6] = a6;
    a[7] = a7;
    transpose8(a);
    for (int j = 0; j < nj; j++) {
        float *yj = y + (size_t)(jb + j) * ldy;
        _mm256_storeu_ps(yj, _mm256_add_ps(_mm256_loadu_ps(yj), a[j]));
    }
}

/*
 * One head backward in 8 lanes. Rows i: dP_ij = dout_i . v_j from the transposed values (VT), the score
 * gradients ds_ij = P_ij (dP_ij - sum_j P_ij dP_ij) scale kept in DS (T, Tp), dq_i = sum_j ds_ij k_j. Then
 * columns j: dv_j = sum_i P_ij dout_i and dk_j = sum_i ds_ij q_i over the queries that see j, each row of dv
 * and dk written once: 8 keys per vector for each whole chunk of 8 columns (col_acc8), key by key for the
 * hd mod 8 columns left. Scratch: VT (hd, Tp), DS (T, Tp).
 */
TK_AVX2 static void attn_bwd_avx2(int T, int C, int hd, const float *q, const float *k, const float *v, size_t ld,
                                  const float *P, const float *dout, size_t ldo, float scale, float *dq, float *dk,
                                  float *dv, float *scratch)
{
    const int Tp = (T + 7) & ~7;
    float *VT = scratch, *DS = scratch + (size_t)hd * (size_t)Tp;
    transpose_rows(T, Tp, hd, v, ld, VT);
    const __m256 lane = _mm256_setr_ps(0.0f, 1.0f, 2.0f, 3.0f, 4.0f, 5.0f, 6.0f, 7.0f);
    const __m256 vsc = _mm256_set1_ps(scale);
    for (int i = 0; i < T; i++) {
        const int lo = i - C + 1 > 0 ? i - C + 1 : 0, b0 = lo & ~7;
        const float *pr = P + (size_t)i * (size_t)T, *dob = dout + (size_t)i * ldo;
        float *ds = DS + (size_t)i * (size_t)Tp;
        __m256 vdot = _mm256_setzero_ps();
        dots8(hd, dob, VT, Tp, b0, i, ds);
        for (int jb = b0; jb <= i; jb += 8) {
            const __m256i seen = _mm256_castps_si256(seen_mask(i, lo, jb, lane));
            const __m256 dp = _mm256_loadu_ps(ds + jb);
            vdot = _mm256_fmadd_ps(_mm256_maskload_ps(pr + jb, seen), dp, vdot);
        }
        const __m256 dot = _mm256_set1_ps(hsum8(vdot));
        for (int jb = b0; jb <= i; jb += 8) {
            const __m256 p = _mm256_maskload_ps(pr + jb, _mm256_castps_si256(seen_mask(i, lo, jb, lane)));
            _mm256_storeu_ps(ds + jb,
                             _mm256_mul_ps(_mm256_mul_ps(p, _mm256_sub_ps(_mm256_loadu_ps(ds + jb), dot)), vsc));
        }
        wsum_acc(hd, lo, i, ds, 1, k, ld, dq + (size_t)i * ld);
    }
    const int c8 = hd & ~7; /* columns in whole 8-column chunks: 8 keys per vector; the rest key by key */
    for (int jb = 0; jb < T; jb += 8) {
        const int nj = T - jb < 8 ? T - jb : 8, ihi = jb + nj - 1 + C - 1 < T - 1 ? jb + nj - 1 + C - 1 : T - 1;
        for (int c0 = 0; c0 < c8; c0 += 8) {
            col_acc8(jb, nj, ihi, C, P, (size_t)T, dout + c0, ldo, dv + c0, ld, lane);
            col_acc8(jb, nj, ihi, C, DS, (size_t)Tp, q + c0, ld, dk + c0, ld, lane);
        }
    }
    if (c8 < hd)
        for (int j = 0; j < T; j++) {
            const int hi = j + C - 1 < T - 1 ? j + C - 1 : T - 1;
            wsum_acc(hd - c8, j, hi, P + j, (size_t)T, dout + c8, ldo, dv + (size_t)j * ld + c8);
            wsum_acc(hd - c8, j, hi, DS + j, (size_t)Tp, q + c8, ld, dk + (size_t)j * ld + c8);
        }
}

/* Layer norm of each row in 8 lanes (float; column tails masked: masked lanes load 0 and are kept out of the
 * variance). */
TK_AVX2 static void ln_fwd_avx2(int T, int D, const float *x, const float *gam, const float *bet, float eps, float *xh,
                                float *y, float *rs)
{
    for (int t = 0; t < T; t++) {
        const float *xr = x + (size_t)t * D;
        float *xhr = xh + (size_t)t * D, *yr = y + (size_t)t * D;
        __m256 acc = _mm256_setzero_ps();
        for (int k = 0; k < D; k += 8) {
            const int nc = D - k < 8 ? D - k : 8;
            const __m256i mk = _mm256_loadu_si256((const __m256i *)(const void *)(mask_tab + 8 - nc));
            acc = _mm256_add_ps(acc, ld8(xr + k, nc, mk));
        }
        const float mu = hsum8(acc) / (float)D;
        const __m256 vmu = _mm256_set1_ps(mu);
        acc = _mm256_setzero_ps();
        for (int k = 0; k < D; k += 8) {
            const int nc = D - k < 8 ? D - k : 8;
            const __m256i mk = _mm256_loadu_si256((const __m256i *)(const void *)(mask_tab + 8 - nc));
            const __m256 dv = _mm256_and_ps(_mm256_sub_ps(ld8(xr + k, nc, mk), vmu), _mm256_castsi256_ps(mk));
            acc = _mm256_fmadd_ps(dv, dv, acc);
        }
        const float r = 1.0f / sqrtf(hsum8(acc) / (float)D + eps);
        rs[t] = r;
        const __m256 vr = _mm256_set1_ps(r);
        for (int k = 0; k < D; k += 8) {
            const int nc = D - k < 8 ? D - k : 8;
            const __m256i mk = _mm256_loadu_si256((const __m256i *)(const void *)(mask_tab + 8 - nc));
            const __m256 h = _mm256_mul_ps(_mm256_sub_ps(ld8(xr + k, nc, mk), vmu), vr);
            st8(xhr + k, nc, mk, h);
            st8(yr + k, nc, mk, _mm256_fmadd_ps(h, ld8(gam + k, nc, mk), ld8(bet + k, nc, mk)));
        }
    }
}

TK_AVX2 static void ln_bwd_avx2(int T, int D, const float *dy, const float *xh, const float *rs, const float *gam,
                                float *dx, float *dgam, float *dbet)
{
    for (int t = 0; t < T; t++) {
        const float *d = dy + (size_t)t * D, *xr = xh + (size_t)t * D;
        float *o = dx + (size_t)t * D;
        __m256 m1 = _mm256_setzero_ps(), m2 = m1;
        for (int k = 0; k < D; k += 8) {
            const int nc = D - k < 8 ? D - k : 8;
            const __m256i mk = _mm256_loadu_si256((const __m256i *)(const void *)(mask_tab + 8 - nc));
            const __m256 dk = ld8(d + k, nc, mk), xk = ld8(xr + k, nc, mk);
            const __m256 dxh = _mm256_mul_ps(dk, ld8(gam + k, nc, mk));
            m1 = _mm256_add_ps(m1, dxh);
            m2 = _mm256_fmadd_ps(dxh, xk, m2);
            st8(dgam + k, nc, mk, _mm256_fmadd_ps(dk, xk, ld8(dgam + k, nc, mk)));
            st8(dbet + k, nc, mk, _mm256_add_ps(ld8(dbet + k, nc, mk), dk));
        }
        const __m256 a = _mm256_set1_ps(hsum8(m1) / (float)D), c = _mm256_set1_ps(hsum8(m2) / (float)D);
        const __m256 r = _mm256_set1_ps(rs[t]);
        for (int k = 0; k < D; k += 8) {
            const int nc = D - k < 8 ? D - k : 8;
            const __m256i mk = _mm256_loadu_si256((const __m256i *)(const void *)(mask_tab + 8 - nc));
            const __m256 dxh = _mm256_mul_ps(ld8(d + k, nc, mk), ld8(gam + k, nc, mk));
            const __m256 g = _mm256_fnmadd_ps(ld8(xr + k, nc, mk), c, _mm256_sub_ps(dxh, a));
            st8(o + k, nc, mk, _mm256_fmadd_ps(r, g, ld8(o + k, nc, mk)));
        }
    }
}

/* The elementwise kernels in 8 lanes, the portable operations exactly (no fused multiply-add), tails by them. */
TK_AVX2 static void add_mul_avx2(size_t n, const float *a, const float *b, const float *m, float *y)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 bv = _mm256_loadu_ps(b + i);
        if (m) bv = _mm256_mul_ps(bv, _mm256_loadu_ps(m + i));
        _mm256_storeu_ps(y + i, _mm256_add_ps(_mm256_loadu_ps(a + i), bv));
    }
    add_mul_portable(n - i, a + i, b + i, m ? m + i : NULL, y + i);
}

TK_AVX2 static void mul_avx2(size_t n, const float *a, const float *m, float *y)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(m + i)));
    mul_portable(n - i, a + i, m + i, y + i);
}

/* max_ps(x, 0) returns its second operand (0) for NaN and for +-0, so it is x > 0 ? x : 0. */
TK_AVX2 static void relu_avx2(size_t n, float *x)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(x + i, _mm256_max_ps(_mm256_loadu_ps(x + i), _mm256_setzero_ps()));
    relu_portable(n - i, x + i);
}

TK_AVX2 static void relu_bwd_avx2(size_t n, const float *y, float *dy)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 off = _mm256_cmp_ps(_mm256_loadu_ps(y + i), _mm256_setzero_ps(), _CMP_LE_OQ);
        _mm256_storeu_ps(dy + i, _mm256_andnot_ps(off, _mm256_loadu_ps(dy + i)));
    }
    relu_bwd_portable(n - i, y + i, dy + i);
}

static const cs_train_kernels kernels_avx2 = {mm_acc_avx2,   mm_acc_tn_avx2, adam_avx2,   gru_gates_avx2, attn_fwd_avx2,
                                              attn_bwd_avx2, ln_fwd_avx2,    ln_bwd_avx2, add_mul_avx2,   mul_avx2,
                                              relu_avx2,     relu_bwd_avx2,  "avx2",      CS_TK_AVX2};

#endif

int cs_train_kernels_have_avx2(void)
{
#if CS_TK_HAVE_AVX2
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

const cs_train_kernels *cs_train_kernels_get(int which)
{
    if (which == CS_TK_AUTO) {
        const char *env = getenv("CONCATSEQ_TRAIN_KERNELS");
        which = env && strcmp(env, "portable") == 0 ? CS_TK_PORTABLE : CS_TK_AVX2;
    }
#if CS_TK_HAVE_AVX2
    if (which == CS_TK_AVX2 && cs_train_kernels_have_avx2()) return &kernels_avx2;
#endif
    return &kernels_portable;
}
