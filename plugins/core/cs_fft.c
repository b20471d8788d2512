/*
 * cs_fft.c - the FFTW host of cs_fft_ops (see cs_fft.h). Plans are made with FFTW_ESTIMATE on arrays from
 * fftwf_malloc (FFTW's SIMD alignment) and, as a fallback for other memory, with FFTW_UNALIGNED; execution goes
 * through fftwf_execute_dft_r2c / _c2r (the new-array API: real-time safe, thread-safe on distinct arrays).
 */
#include "cs_fft.h"

#include <fftw3.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define CS_FFT_MAX_LOG2 16 /* max_n <= 65536 */

static pthread_mutex_t cs_fft_mutex = PTHREAD_MUTEX_INITIALIZER;

void cs_fft_planner_lock(void)
{
    pthread_mutex_lock(&cs_fft_mutex);
}

void cs_fft_planner_unlock(void)
{
    pthread_mutex_unlock(&cs_fft_mutex);
}

struct cs_fft_host {
    int max_n, max_log2;
    /* index log2(n), 1..max_log2: [0] aligned plan, [1] FFTW_UNALIGNED plan */
    fftwf_plan r2c[CS_FFT_MAX_LOG2 + 1][2];
    fftwf_plan c2r[CS_FFT_MAX_LOG2 + 1][2];
};

/* log2(n) for a power of two 2..max_n, else -1 */
static int size_index(const cs_fft_host *h, int n)
{
    if (n < 2 || n > h->max_n || (n & (n - 1)) != 0) return -1;
    int l = 0;
    while ((1 << l) < n)
        l++;
    return l;
}

static void host_r2c(void *ctx, int n, float *in, float *out)
{
    const cs_fft_host *h = ctx;
    int l = size_index(h, n);
    if (l < 0) {
        if (n > 0 && out) memset(out, 0, (size_t)(n / 2 + 1) * 2 * sizeof(float));
        return;
    }
    int u = fftwf_alignment_of(in) != 0 || fftwf_alignment_of(out) != 0;
    fftwf_execute_dft_r2c(h->r2c[l][u], in, (fftwf_complex *)(void *)out);
}

static void host_c2r(void *ctx, int n, float *in, float *out)
{
    const cs_fft_host *h = ctx;
    int l = size_index(h, n);
    if (l < 0) {
        if (n > 0 && out) memset(out, 0, (size_t)n * sizeof(float));
        return;
    }
    int u = fftwf_alignment_of(in) != 0 || fftwf_alignment_of(out) != 0;
    fftwf_execute_dft_c2r(h->c2r[l][u], (fftwf_complex *)(void *)in, out);
}

static void destroy_plans(cs_fft_host *h)
{
    for (int l = 0; l <= CS_FFT_MAX_LOG2; l++)
        for (int u = 0; u < 2; u++) {
            if (h->r2c[l][u]) fftwf_destroy_plan(h->r2c[l][u]);
            if (h->c2r[l][u]) fftwf_destroy_plan(h->c2r[l][u]);
            h->r2c[l][u] = h->c2r[l][u] = NULL;
        }
}

cs_fft_host *cs_fft_host_new(int max_n)
{
    if (max_n < 2 || max_n > (1 << CS_FFT_MAX_LOG2) || (max_n & (max_n - 1)) != 0) return NULL;
    cs_fft_host *h = calloc(1, sizeof *h);
    if (!h) return NULL;
    h->max_n = max_n;
    h->max_log2 = 0;
    while ((1 << h->max_log2) < max_n)
        h->max_log2++;
    /* planning arrays: FFTW's alignment, and one float off it for the unaligned plans (ESTIMATE reads neither) */
    float *re = fftwf_malloc(((size_t)max_n + 4) * sizeof(float));
    float *cx = fftwf_malloc(((size_t)max_n + 6) * sizeof(float));
    int ok = re && cx;
    cs_fft_planner_lock();
    for (int l = 1; ok && l <= h->max_log2; l++) {
        const int n = 1 << l;
        h->r2c[l][0] = fftwf_plan_dft_r2c_1d(n, re, (fftwf_complex *)(void *)cx, FFTW_ESTIMATE);
        h->c2r[l][0] = fftwf_plan_dft_c2r_1d(n, (fftwf_complex *)(void *)cx, re, FFTW_ESTIMATE);
        h->r2c[l][1] =
            fftwf_plan_dft_r2c_1d(n, re + 1, (fftwf_complex *)(void *)(cx + 2), FFTW_ESTIMATE | FFTW_UNALIGNED);
        h->c2r[l][1] =
            fftwf_plan_dft_c2r_1d(n, (fftwf_complex *)(void *)(cx + 2), re + 1, FFTW_ESTIMATE | FFTW_UNALIGNED);
        ok = h->r2c[l][0] && h->c2r[l][0] && h->r2c[l][1] && h->c2r[l][1];
    }
    if (!ok) destroy_plans(h);
    cs_fft_planner_unlock();
    fftwf_free(re);
    fftwf_free(cx);
    if (!ok) {
        free(h);
        return NULL;
    }
    return h;
}

cs_fft_ops cs_fft_host_ops(cs_fft_host *h)
{
    cs_fft_ops ops;
    memset(&ops, 0, sizeof ops);
    if (!h) return ops;
    ops.ctx = h;
    ops.r2c = host_r2c;
    ops.c2r = host_c2r;
    ops.max_n = h->max_n;
    return ops;
}

void cs_fft_host_free(cs_fft_host *h)
{
    if (!h) return;
    cs_fft_planner_lock();
    destroy_plans(h);
    cs_fft_planner_unlock();
    free(h);
}
