/*
 * cs_fastmath.h - branch-bounded float approximations of exp, tanh, logistic sigmoid and log2 for the
 * real-time core (sequence-model step and sampling). Header-only, static inline, no libm call, no
 * allocation, constant cost whatever the input (no input-dependent loop; a NaN or infinity takes the
 * same short path as any other value). Real-time safe.
 *
 * Source: the polynomials and the two-constant Cody-Waite range reduction are Stephen L. Moshier's Cephes
 * single-precision library (expf.c, tanhf.c, logf.c; public domain, "Methods and Programs for
 * Mathematical Functions", 1989); the power-of-two scaling is done on the IEEE-754 bits.
 *
 * Measured maximum errors against libm in double precision (tests/c/test_model_noalloc.c checks these
 * bounds on a dense grid of 2^22+ points, so a regression fails the build):
 *   cs_fast_exp     relative error <= 1.5e-7 on [-87, 88]  (saturates to e^88.3 above 88.3, 0 below -87.3)
 *                   (measured 8.1e-8, i.e. about 1 ulp)
 *   cs_fast_tanh    absolute error <= 1.5e-7 everywhere, relative error <= 2.5e-7 for |x| >= 1e-3
 *   cs_fast_sigmoid absolute error <= 1.5e-7 everywhere, relative error <= 3e-7 for x >= -80
 *   cs_fast_log2    absolute error <= 6e-7 for x in [2^-8, 2^8]; <= 4e-6 on all normal floats (there the
 *                   float result itself, up to +-128, has an ulp of 7.6e-6)
 * Non-finite inputs: exp(NaN) = 0, exp(+inf) = e^88.3, exp(-inf) = 0; tanh(NaN) = 0, tanh(+-inf) = +-1;
 * sigmoid(NaN) = 0.5, sigmoid(+-inf) = 1 / 0; log2(x <= 0 or NaN) = -128, log2(+inf) = 128.
 * So no function here ever returns NaN or an infinity.
 */
#ifndef CS_FASTMATH_H
#define CS_FASTMATH_H

#include <stdint.h>
#include <string.h>

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define CS_FASTMATH_HAVE_AVX2 1
#include <immintrin.h>
#else
#define CS_FASTMATH_HAVE_AVX2 0
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define CS_FAST_EXP_HI 88.3f  /* e^88.3 = 2.2e38 < FLT_MAX: the largest argument before saturation */
#define CS_FAST_EXP_LO -87.3f /* e^-87.3 = 1.2e-38 ~ FLT_MIN: below this the result is 0 */

static inline float cs_fast_bits_to_float(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static inline uint32_t cs_fast_float_to_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

/** e^x, relative error <= 1.5e-7 on [-87, 88]; NaN -> 0; saturates (see the file comment). RT-safe. */
static inline float cs_fast_exp(float x)
{
    if (!(x >= CS_FAST_EXP_LO)) return 0.0f; /* also NaN and -inf */
    if (x > CS_FAST_EXP_HI) x = CS_FAST_EXP_HI;
    /* x = n ln2 + r, |r| <= ln2 / 2; n = floor(x log2 e + 0.5) in [-126, 127]. */
    float t = x * 1.44269504088896341f + 0.5f;
    int n = (int)t;
    if ((float)n > t) n--; /* truncation -> floor for negative t */
    float r = x - (float)n * 0.693359375f;
    r = r - (float)n * -2.12194440e-4f;
    float z = r * r;
    float y = ((((1.9875691500e-4f * r + 1.3981999507e-3f) * r + 8.3334519073e-3f) * r + 4.1665795894e-2f) * r +
               1.6666665459e-1f) *
                  r +
              5.0000001201e-1f;
    y = y * z + r + 1.0f;
    return y * cs_fast_bits_to_float((uint32_t)(n + 127) << 23);
}

/** tanh(x), absolute error <= 1.5e-7; NaN -> 0. RT-safe. */
static inline float cs_fast_tanh(float x)
{
    if (x != x) return 0.0f;
    float a = x < 0.0f ? -x : x;
    float y;
    if (a < 0.625f) {
        float z = x * x;
        y = ((((-5.70498872745e-3f * z + 2.06390887954e-2f) * z - 5.37397155531e-2f) * z + 1.33314422036e-1f) * z -
             3.33332819422e-1f) *
                z * x +
            x;
        return y;
    }
    if (a > 9.0f) {
        y = 1.0f; /* 1 - tanh(9) = 3e-8 < half an ulp of 1 */
    } else {
        y = 1.0f - 2.0f / (cs_fast_exp(a + a) + 1.0f);
    }
    return x < 0.0f ? -y : y;
}

/** Logistic sigmoid 1 / (1 + e^-x), absolute error <= 1.5e-7; NaN -> 0.5. RT-safe. */
static inline float cs_fast_sigmoid(float x)
{
    if (x != x) return 0.5f;
    if (x >= 0.0f) return 1.0f / (1.0f + cs_fast_exp(-x));
    float e = cs_fast_exp(x);
    return e / (1.0f + e);
}

/** log2(x) for x > 0, absolute error <= 6e-7 on [2^-8, 2^8], <= 4e-6 on normal floats;
 * x <= 0 or NaN -> -128, +inf -> 128. RT-safe. */
static inline float cs_fast_log2(float x)
{
    if (!(x >= 1.17549435e-38f)) return -128.0f; /* <= 0, subnormal, NaN */
    if (x > 3.40282347e38f) return 128.0f;
    uint32_t u = cs_fast_float_to_bits(x);
    int e = (int)((u >> 23) & 0xffu) - 127;
    float m = cs_fast_bits_to_float((u & 0x007fffffu) | 0x3f800000u); /* [1, 2) */
    if (m > 1.41421356f) {
        m *= 0.5f;
        e++;
    }
    /* ln(m) for m in [sqrt(1/2), sqrt(2)): Cephes logf polynomial */
    float f = m - 1.0f;
    float z = f * f;
    float y = ((((((((7.0376836292e-2f * f - 1.1514610310e-1f) * f + 1.1676998740e-1f) * f - 1.2420140846e-1f) * f +
                   1.4249322787e-1f) *
                      f -
                  1.6668057665e-1f) *
                     f +
                 2.0000714765e-1f) *
                    f -
                2.4999993993e-1f) *
                   f +
               3.3333331174e-1f) *
              f * z;
    y += -0.5f * z;
    float ln = f + y;
    return ln * 1.44269504088896341f + (float)e;
}

/* ---- 8-lane AVX2 + FMA versions (x86 with GCC/Clang; call only when the CPU has AVX2 and FMA, see
 * __builtin_cpu_supports). Same algorithms and special values as the scalar functions above, evaluated
 * with fused multiply-adds; the error bounds above hold for them too (tested in test_model_noalloc.c). ---- */
#if CS_FASTMATH_HAVE_AVX2
__attribute__((target("avx2,fma"))) static inline __m256 cs_fast_exp8(__m256 x)
{
    const __m256 lo = _mm256_set1_ps(CS_FAST_EXP_LO);
    __m256 keep = _mm256_cmp_ps(x, lo, _CMP_GE_OQ);                          /* false for NaN and x < lo: result 0 */
    x = _mm256_min_ps(_mm256_max_ps(x, lo), _mm256_set1_ps(CS_FAST_EXP_HI)); /* max(NaN, lo) = lo */
    __m256 n = _mm256_floor_ps(_mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504088896341f), _mm256_set1_ps(0.5f)));
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 y = _mm256_set1_ps(1.9875691500e-4f);
    y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(1.3981999507e-3f));
    y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(8.3334519073e-3f));
    y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(4.1665795894e-2f));
    y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(1.6666665459e-1f));
    y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(5.0000001201e-1f));
    y = _mm256_fmadd_ps(y, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
    __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_and_ps(_mm256_mul_ps(y, _mm256_castsi256_ps(e)), keep);
}

__attribute__((target("avx2,fma"))) static inline __m256 cs_fast_sigmoid8(__m256 x)
{
    x = _mm256_and_ps(x, _mm256_cmp_ps(x, x, _CMP_ORD_Q)); /* NaN -> 0 -> 0.5 */
    const __m256 one = _mm256_set1_ps(1.0f);
    __m256 e = cs_fast_exp8(_mm256_sub_ps(_mm256_setzero_ps(), x));
    __m256 r = _mm256_div_ps(one, _mm256_add_ps(one, e));
    return _mm256_and_ps(r, _mm256_cmp_ps(x, _mm256_set1_ps(-88.0f), _CMP_GT_OQ)); /* sigmoid(<= -88) < 6e-39 -> 0 */
}

__attribute__((target("avx2,fma"))) static inline __m256 cs_fast_tanh8(__m256 x)
{
    x = _mm256_and_ps(x, _mm256_cmp_ps(x, x, _CMP_ORD_Q)); /* NaN -> 0 */
    const __m256 sign = _mm256_set1_ps(-0.0f), one = _mm256_set1_ps(1.0f);
    __m256 a = _mm256_andnot_ps(sign, x);
    /* |x| < 0.625: odd polynomial */
    __m256 z = _mm256_mul_ps(x, x);
    __m256 p = _mm256_set1_ps(-5.70498872745e-3f);
    p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(2.06390887954e-2f));
    p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(-5.37397155531e-2f));
    p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(1.33314422036e-1f));
    p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(-3.33332819422e-1f));
    p = _mm256_fmadd_ps(_mm256_mul_ps(p, z), x, x);
    /* otherwise 1 - 2 / (e^{2|x|} + 1), with the sign of x */
    __m256 e = cs_fast_exp8(_mm256_add_ps(a, a));
    __m256 q = _mm256_sub_ps(one, _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(e, one)));
    q = _mm256_or_ps(q, _mm256_and_ps(sign, x));
    return _mm256_blendv_ps(q, p, _mm256_cmp_ps(a, _mm256_set1_ps(0.625f), _CMP_LT_OQ));
}
#endif

#ifdef __cplusplus
}
#endif

#endif
