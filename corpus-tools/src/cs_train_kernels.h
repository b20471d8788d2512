/*
 * cs_train_kernels.h - the trainer's inner loops (matrix products of forward and backward, the Adam update, the
 * GRU cell, one attention head forward and backward),
 * in two sets with the same contracts, chosen at run time:
 *
 *   - "portable": plain C, unrolled so that GCC's -O2 SLP vectoriser (and clang's loop vectoriser) packs it
 *     without -ffast-math; the reference, and the only set off x86.
 *   - "avx2": AVX2 + FMA intrinsics (GCC/Clang target attributes), chosen when the CPU has both
 *     (__builtin_cpu_supports) unless the environment variable CONCATSEQ_TRAIN_KERNELS=portable forces the
 *     portable set (CONCATSEQ_TRAIN_KERNELS=avx2 asks for it; it falls back to portable without the CPU flags).
 *
 * Determinism: every kernel is a pure function of its inputs with a fixed summation order that does not
 * depend on the number of threads (the trainer calls a kernel per shard; cs_train.h), so each set alone gives
 * byte-identical weights for any thread count on the same CPU. The two sets do NOT give the same bits:
 * the AVX2 products round once per multiply-add (fused) where the portable ones round twice, the portable
 * weight-gradient sums four products before adding them to the accumulator, the AVX2 GRU gates and attention
 * softmax use the inference core's bounded-error sigmoid/tanh/exp (cs_fastmath.h) where the portable ones call
 * libm, the AVX2 attention and layer norm sum their terms in a different (fixed) order, and the portable layer
 * norm sums in double. The Adam update and the elementwise kernels (residual adds, ReLU) are bit-identical in both
 * sets (no fused operation in them). Trained models agree within a tolerance (tests/c/test_train_kernels.c:
 * products within 1e-5 of their scale, a trained GRU's and transformer's validation loss within 0.5 %;
 * tests/c/test_train_kernels_tf.c: attention and layer norm against their portable twins).
 *
 * Matrices are row-major and contiguous. Sizes are >= 0; a size of 0 does nothing. Pointers may not alias
 * (except where stated). No allocation, no I/O, no locks: callable from any thread.
 */
#ifndef CS_TRAIN_KERNELS_H
#define CS_TRAIN_KERNELS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/** y[0..n) += a * x[0..n) (portable; unrolled by 8 so that the -O2 SLP vectoriser packs it). Inline: the
 *  trainer's short vector loops (attention heads, embedding rows) call it directly. */
static inline void cs_tk_axpy(int n, float a, const float *restrict x, float *restrict y)
{
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        y[i] += a * x[i];
        y[i + 1] += a * x[i + 1];
        y[i + 2] += a * x[i + 2];
        y[i + 3] += a * x[i + 3];
        y[i + 4] += a * x[i + 4];
        y[i + 5] += a * x[i + 5];
        y[i + 6] += a * x[i + 6];
        y[i + 7] += a * x[i + 7];
    }
    for (; i < n; i++)
        y[i] += a * x[i];
}

/** Which kernel set: CS_TK_AUTO (the environment, else the CPU), CS_TK_PORTABLE, CS_TK_AVX2. */
enum { CS_TK_AUTO = 0, CS_TK_PORTABLE = 1, CS_TK_AVX2 = 2 };

/** One kernel set. */
typedef struct cs_train_kernels {
    /** C (M,N) += A (M,K) B (K,N). For each element the terms are added in order k = 0..K-1 onto C's value. */
    void (*mm_acc)(int M, int N, int K, const float *A, const float *B, float *C);
    /** dW (N,K) += dY^T X with dY (M,N), X (M,K): the weight gradient of Y = X W^T. Terms in order m = 0..M-1
     *  (portable: four at a time, summed, then added). */
    void (*mm_acc_tn)(int M, int N, int K, const float *dY, const float *X, float *dW);
    /** Adam (PyTorch's update) over n parameters, in place: for each i, if wd > 0 and decay[i] then
     *  w -= wd * w; m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g g; w -= stepsize * m / (sqrt(v) / sbc2 + eps).
     *  decay: n flags (0/1). */
    void (*adam)(size_t n, float *w, float *m, float *v, const float *g, const unsigned char *decay, float b1, float b2,
                 float eps, float stepsize, float sbc2, float wd);
    /** The GRU cell of one row (cs_model.h's equations) from its pre-activations: gi (3H: input part, bias
     *  included; overwritten with r, z, n), gh (3H: recurrent part, bias included), hp (H: previous state, or
     *  NULL = zeros), ho (H) = (1 - z) n + z hp. Portable: libm expf/tanhf (as PyTorch); AVX2: the 8-lane
     *  cs_fastmath.h functions (absolute error <= 1.5e-7, the ones the inference core runs). */
    void (*gru_gates)(int H, float *gi, const float *gh, const float *hp, float *ho);
    /** One head of causal ALiBi self-attention over T positions (cs_model.h's transformer), forward. Row t of
     *  the head's queries, keys and values is q + t ld, k + t ld, v + t ld (hd floats each; ld >= hd). Query i
     *  sees keys j in [max(0, i - C + 1), i]: score s_ij = scale (q_i . k_j) - slope (i - j), P_i = softmax_j
     *  (s_i); o_i += sum_j P_ij v_j (row i at o + i ldo, hd floats; the caller zeroes it). P (T, T) row-major
     *  receives the probabilities P_ij at the seen j of each row (other entries unspecified), for attn_bwd.
     *  scratch: cs_train_attn_scratch_floats(T, hd) floats. Portable: libm expf, terms in order j ascending;
     *  AVX2: scores 8 keys at a time (fused), cs_fastmath.h's exp, partial sums combined in a fixed order. */
    void (*attn_fwd)(int T, int C, int hd, const float *q, const float *k, const float *v, size_t ld, float scale,
                     float slope, float *P, float *o, size_t ldo, float *scratch);
    /** Backward of attn_fwd for one head: from P (attn_fwd's) and d loss / d o (row i at dout + i ldo),
     *  accumulates d loss / d q, k, v into dq, dk, dv (rows at stride ld like q, k, v; hd floats each; they
     *  may be slices of one row, e.g. dQKV, but may not overlap each other or the inputs). scratch as attn_fwd. */
    void (*attn_bwd)(int T, int C, int hd, const float *q, const float *k, const float *v, size_t ld, const float *P,
                     const float *dout, size_t ldo, float scale, float *dq, float *dk, float *dv, float *scratch);
    /** Layer normalisation of T rows of D >= 1 floats (cs_model.h): for each row x, xh = (x - mean) r with
     *  r = 1 / sqrt(var + eps) (biased variance over D), y = xh gam + bet, rs[t] = r. xh, y (T, D); rs (T).
     *  Portable: mean and variance in double, two passes; AVX2: in float, 8 lanes, two passes. */
    void (*ln_fwd)(int T, int D, const float *x, const float *gam, const float *bet, float eps, float *xh, float *y,
                   float *rs);
    /** Backward of ln_fwd from its xh and rs: dx += rs (dy gam - mean(dy gam) - xh mean(dy gam xh)) row by row;
     *  dgam += sum_t dy xh, dbet += sum_t dy (rows in order t ascending). Portable: the two means in double. */
    void (*ln_bwd)(int T, int D, const float *dy, const float *xh, const float *rs, const float *gam, float *dx,
                   float *dgam, float *dbet);
    /** Elementwise, exact (both sets give the same bits; no fused operation): y = a + b m, or a + b when m is
     *  NULL (the residual adds with their dropout masks). y may be a or b. */
    void (*add_mul)(size_t n, const float *a, const float *b, const float *m, float *y);
    /** Elementwise, exact: y = a m (y may be a). */
    void (*mul)(size_t n, const float *a, const float *m, float *y);
    /** Elementwise, exact, in place: x = x > 0 ? x : 0 (ReLU; NaN gives 0). */
    void (*relu)(size_t n, float *x);
    /** Elementwise, exact: dy = 0 where y <= 0 (ReLU's backward from its output y), else unchanged. */
    void (*relu_bwd)(size_t n, const float *y, float *dy);
    const char *name; /* "portable" or "avx2" */
    int id;           /* CS_TK_PORTABLE or CS_TK_AVX2 */
} cs_train_kernels;

/**
 * The kernel set for `which`: CS_TK_PORTABLE -> portable; CS_TK_AVX2 -> AVX2/FMA when this CPU has both, else
 * portable; CS_TK_AUTO -> the environment variable CONCATSEQ_TRAIN_KERNELS ("portable" or "avx2"; anything
 * else or unset = the best set this CPU runs). Never NULL. Reads the environment on every AUTO call (so a test
 * may setenv between runs); not real-time safe because of getenv, otherwise pure.
 */
const cs_train_kernels *cs_train_kernels_get(int which);

/** Floats of scratch attn_fwd and attn_bwd need for T >= 1 positions and heads of hd floats (either set):
 *  (hd + T) Tp with Tp = T rounded up to a multiple of 8 (AVX2: the transposed keys or values, and one score
 *  row (forward) or the score gradients of the head (backward); portable: T). */
static inline size_t cs_train_attn_scratch_floats(int T, int hd)
{
    const size_t Tp = ((size_t)T + 7) & ~(size_t)7;
    return ((size_t)hd + (size_t)T) * Tp;
}

/** 1 when this CPU can run the AVX2/FMA set (x86 with AVX2 and FMA), else 0. */
int cs_train_kernels_have_avx2(void);

#ifdef __cplusplus
}
#endif

#endif
