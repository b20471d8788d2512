/*
 * bench_concatlisten.c - the per-block cost of ConcatListen's core (cs_cl_bind + cs_cl_process, what the UGen runs
 * every control block) on a real bundle: BUNDLE's packed audio (audio.wav) listened to in blocks of BLOCK samples
 * (default 64) in MODE (default 1, onsets), every descriptor selected, REPEAT times over (default 20). Each block is
 * timed in thread CPU time (the machine may be shared). Printed: the mean block and the mean per second of audio as
 * % of one core (the UGen's own cost, without scsynth; tests/bench/run_concatlisten.sh measures it inside a
 * real-time server), the 99.9th percentile and the worst block in microseconds and as a ratio to the block's duration
 * at the bundle's rate, and the bind (the listener's initialisation when a synth first sees a table, or a table is
 * swapped: cs_listener_init, O(fft_size * n_mels), on the audio thread) in microseconds, best and worst of 20.
 * usage: bench_concatlisten BUNDLE [BLOCK] [MODE] [REPEAT]
 */
#include "cs_concatlisten.h"
#include "cs_fft.h"

#include <math.h>
#include <sndfile.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec * 1e-3;
}

static float *read_wav(const char *path, size_t *n)
{
    SF_INFO info;
    memset(&info, 0, sizeof info);
    SNDFILE *f = sf_open(path, SFM_READ, &info);
    if (!f || info.channels != 1) {
        if (f) sf_close(f);
        return NULL;
    }
    float *d = malloc((size_t)info.frames * sizeof *d + 1);
    const sf_count_t got = sf_read_float(f, d, info.frames);
    sf_close(f);
    *n = (size_t)got;
    return d;
}

static void *alloc_fn(void *user, size_t bytes)
{
    (void)user;
    return malloc(bytes);
}

static void free_fn(void *user, void *p)
{
    (void)user;
    free(p);
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s BUNDLE [BLOCK] [MODE] [REPEAT]\n", argv[0]);
        return 2;
    }
    const uint32_t block = argc > 2 ? (uint32_t)atoi(argv[2]) : 64u;
    const int mode = argc > 3 ? atoi(argv[3]) : CS_LISTEN_ONSETS;
    const int repeat = argc > 4 ? atoi(argv[4]) : 20;
    char path[4096];
    size_t na = 0, nt = 0;
    snprintf(path, sizeof path, "%s/audio.wav", argv[1]);
    float *audio = read_wav(path, &na);
    snprintf(path, sizeof path, "%s/units.wav", argv[1]);
    float *table = read_wav(path, &nt);
    cs_ut_view v;
    if (!audio || !table || block < 1 || repeat < 1 || cs_ut_parse(table, nt, 1, &v) != CS_UT_OK || !v.has_listen) {
        fprintf(stderr, "%s: cannot read a version 3 bundle (or bad arguments)\n", argv[1]);
        return 1;
    }
    cs_fft_host *host = cs_fft_host_new(CS_FRAME_MAX_FFT);
    if (!host) return 1;
    const cs_fft_ops ops = cs_fft_host_ops(host);
    float sel[CS_D_COUNT];
    for (int d = 0; d < CS_D_COUNT; ++d)
        sel[d] = (float)d;
    static cs_concatlisten cl;
    float *copy = malloc(nt * sizeof *copy);
    memcpy(copy, table, nt * sizeof *copy);

    /* bind: the listener's initialisation, alternating between two copies of the table (each a new Buffer) */
    double bind_best = 1e30, bind_worst = 0.0;
    cs_cl_open(&cl, v.sample_rate, (float)mode, sel, CS_D_COUNT, &ops);
    for (int i = 0; i < 20; ++i) {
        const float *t = (i & 1) ? copy : table;
        const double t0 = now_us();
        const int st = cs_cl_bind(&cl, t, (uint32_t)nt, 1, alloc_fn, free_fn, NULL);
        const double dt = now_us() - t0;
        if (st != CS_CL_OK) {
            fprintf(stderr, "bind: state %d\n", st);
            return 1;
        }
        if (dt < bind_best) bind_best = dt;
        if (dt > bind_worst) bind_worst = dt;
    }

    const size_t nb = na / block;
    double *bt = malloc(nb * (size_t)repeat * sizeof *bt), sum = 0.0;
    size_t k = 0, reports = 0;
    for (int r = 0; r < repeat; ++r) {
        const float one = 1.0f;
        cs_cl_out o;
        cs_cl_process(&cl, audio, block, &one, 0, &o); /* a reset: each repeat is a new signal */
        for (size_t b = 1; b < nb; ++b) {
            const double t0 = now_us();
            cs_cl_bind(&cl, table, (uint32_t)nt, 1, alloc_fn, free_fn, NULL);
            cs_cl_process(&cl, audio + b * block, block, NULL, 0, &o);
            const double dt = now_us() - t0;
            bt[k++] = dt;
            sum += dt;
            reports += o.trig > 0.0f;
        }
    }
    qsort(bt, k, sizeof *bt, cmp_double);
    const double block_us = 1e6 * block / v.sample_rate, mean = sum / (double)k;
    const cs_frame_config *f = &cl.config.frame;
    printf("ConcatListen core, %s: mode %d, fft %d, hop %d, %u labels, %u descriptors, %u-sample blocks at %g Hz, "
           "%zu blocks, %zu units reported\n",
           argv[1], mode, f->fft_size, f->hop, v.num_labels, v.num_descriptors, block, v.sample_rate, k, reports);
    printf("mean block %.2f us = %.3f %% of one core; 99.9th percentile %.1f us (%.3f of a block); worst %.1f us "
           "(%.3f of a %.0f us block)\n",
           mean, 100.0 * mean / block_us, bt[(size_t)(0.999 * (double)(k - 1))],
           bt[(size_t)(0.999 * (double)(k - 1))] / block_us, bt[k - 1], bt[k - 1] / block_us, block_us);
    printf("bind (listener init on a new table): best %.1f us, worst %.1f us (%.3f of a block)\n", bind_best,
           bind_worst, bind_worst / block_us);
    cs_cl_close(&cl, free_fn, NULL);
    cs_fft_host_free(host);
    free(bt), free(copy), free(audio), free(table);
    return 0;
}
