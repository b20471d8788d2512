/*
 * cs_fft.c - the FFTW host of cs_fft_ops (see cs_fft.h). Plans are made with FFTW_ESTIMATE on arrays from
 * fftwf_malloc (FFTW's SIMD alignment) and executed through fftwf_execute_dft_r2c / _c2r (the new-array API:
 * real-time safe, thread-safe on distinct arrays), which is legal on any arrays with the planning arrays'
 * alignment: fftwf_alignment_of == 0, true of every 16-byte aligned array.
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
    int max_n;
    fftwf_plan r2c[CS_FFT_MAX_LOG2 + 1]; /* index log2(n), 1..log2(max_n) */
    fftwf_plan c2r[CS_FFT_MAX_LOG2 + 1];
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

/* The plans may run on these arrays: FFTW's alignment of the planning arrays, no overlap of in and out. */
static int arrays_ok(const float *in, size_t in_len, const float *out, size_t out_len)
{
    if (!in || !out || fftwf_alignment_of((float *)in) != 0 || fftwf_alignment_of((float *)out) != 0) return 0;
    return in + in_len <= out || out + out_len <= in;
}

static void host_r2c(void *ctx, int n, float *in, float *out)
{
    const cs_fft_host *h = ctx;
    int l = size_index(h, n);
    const size_t out_len = (size_t)(n / 2 + 1) * 2;
    if (l < 0 || !arrays_ok(in, (size_t)n, out, out_len)) {
        if (n > 0 && out) memset(out, 0, out_len * sizeof(float));
        return;
    }
    fftwf_execute_dft_r2c(h->r2c[l], in, (fftwf_complex *)(void *)out);
}

static void host_c2r(void *ctx, int n, float *in, float *out)
{
    const cs_fft_host *h = ctx;
    int l = size_index(h, n);
    if (l < 0 || !arrays_ok(in, (size_t)(n / 2 + 1) * 2, out, (size_t)n)) {
        if (n > 0 && out) memset(out, 0, (size_t)n * sizeof(float));
        return;
    }
    fftwf_execute_dft_c2r(h->c2r[l], (fftwf_complex *)(void *)in, out);
}

static void destroy_plans(cs_fft_host *h)
{
    for (int l = 0; l <= CS_FFT_MAX_LOG2; l++) {
        if (h->r2c[l]) fftwf_destroy_plan(h->r2c[l]);
        if (h->c2r[l]) fftwf_destroy_plan(h->c2r[l]);
        h->r2c[l] = h->c2r[l] = NULL;
    }
}

cs_fft_host *cs_fft_host_new(int max_n)
{
    if (max_n < 2 || max_n > (1 << CS_FFT_MAX_LOG2) || (max_n & (max_n - 1)) != 0) return NULL;
    cs_fft_host *h = calloc(1, sizeof *h);
    if (!h) return NULL;
    h->max_n = max_n;
    /* planning arrays with FFTW's alignment (FFTW_ESTIMATE reads neither) */
    float *re = fftwf_malloc((size_t)max_n * sizeof(float));
    float *cx = fftwf_malloc(((size_t)max_n + 2) * sizeof(float));
    int ok = re && cx;
    cs_fft_planner_lock();
    for (int l = 1; ok && (1 << l) <= max_n; l++) {
        const int n = 1 << l;
        h->r2c[l] = fftwf_plan_dft_r2c_1d(n, re, (fftwf_complex *)(void *)cx, FFTW_ESTIMATE);
        h->c2r[l] = fftwf_plan_dft_c2r_1d(n, (fftwf_complex *)(void *)cx, re, FFTW_ESTIMATE);
        ok = h->r2c[l] && h->c2r[l];
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
