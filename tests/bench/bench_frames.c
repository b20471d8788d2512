/*
 * bench_frames.c - speed of the frame analysis: 60 s of synthetic audio at 48 kHz (a gliding harmonic tone,
 * seeded noise and clicks), for the defaults (fft 2048, hop 512) and for fft 1024 / hop 256 (ConcatListen's
 * reference setting), best of 3 runs each:
 *   - cs_frames_analyze (the CLI's host) on 1 and 2 threads: frames per second, real-time factor, CPU time per
 *     frame;
 *   - one core analyser (plugins/core/cs_frame.h, what a ConcatListen instance runs) fed in blocks of 64 samples
 *     with the process's FFTW host: CPU time per frame and the share of one core it takes to keep up with a
 *     live input at that rate (frames per second of audio x time per frame).
 * Wall time suffers when other jobs share the cores; CPU time less so: compare CPU figures.
 * Usage: bench_frames [seconds] [sample_rate]
 */
#include "cs_error.h"
#include "cs_fft.h"
#include "cs_frame.h"
#include "cs_frames.h"
#include "cs_rng.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double clock_s(clockid_t id)
{
    struct timespec t;
    clock_gettime(id, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* cs_frames_analyze on 1 and 2 threads: best of 3. Returns 0 or an error code. */
static int bench_host(const float *x, size_t n, const cs_frame_params *p, double seconds)
{
    const size_t nf = n / (size_t)p->hop + 1;
    double rt1 = 0.0;
    for (int threads = 1; threads <= 2; threads++) {
        double best = 1e30, best_cpu = 1e30;
        for (int rep = 0; rep < 3; rep++) {
            cs_frames f;
            double t0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
            int err = cs_frames_analyze(x, n, p, threads, &f);
            double dt = clock_s(CLOCK_MONOTONIC) - t0, dc = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
            if (err) {
                fprintf(stderr, "cs_frames_analyze: %s\n", cs_strerror(err));
                return err;
            }
            if (dt < best) best = dt;
            if (dc < best_cpu) best_cpu = dc;
            cs_frames_free(&f);
        }
        double fps = (double)nf / best;
        double rt = seconds / best;
        if (threads == 1) rt1 = rt;
        printf("  cs_frames_analyze, threads %d: %.3f s, %.0f frames/s, %.1f us/frame/thread (cpu %.1f us/frame), "
               "%.0f x real time",
               threads, best, fps, 1e6 * (double)threads / fps, 1e6 * best_cpu / (double)nf, rt);
        if (threads > 1) printf(" (%.2f x the 1-thread speed)", rt / rt1);
        printf("\n");
    }
    return 0;
}

static void count_frame(void *user, uint64_t frame, const float *row)
{
    (void)frame;
    *(double *)user += (double)row[CS_FF_RMS]; /* keeps the work observable */
}

/* One core analyser fed in 64-sample blocks (a live host's cadence): best of 3 CPU times. */
static int bench_core(const float *x, size_t n, const cs_frame_params *p, const cs_fft_ops *ops)
{
    cs_frame_config c;
    if (cs_frame_params_config(p, &c) != 0) return CS_E_ARG;
    size_t bytes = cs_frame_analyser_bytes(&c);
    void *mem = malloc(bytes);
    cs_frame_analyser *a = NULL;
    if (!mem || cs_frame_analyser_init(mem, bytes, &c, ops, &a) != CS_FRAME_OK) {
        free(mem);
        return CS_E_NOMEM;
    }
    const size_t nf = n / (size_t)p->hop + 1;
    double best_cpu = 1e30, sink = 0.0;
    for (int rep = 0; rep < 3; rep++) {
        cs_frame_analyser_reset(a);
        double c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
        for (size_t at = 0; at < n; at += 64)
            cs_frame_analyser_push(a, x + at, n - at < 64 ? n - at : 64, count_frame, &sink);
        cs_frame_analyser_finish(a, count_frame, &sink);
        double dc = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
        if (dc < best_cpu) best_cpu = dc;
    }
    const double us = 1e6 * best_cpu / (double)nf;
    const double frames_per_s = (double)p->sample_rate / (double)p->hop;
    printf("  core analyser, 64-sample blocks: cpu %.1f us/frame, %.2f %% of one core live (%.1f frames/s), "
           "%zu bytes (checksum %.3g)\n",
           us, 100.0 * us * 1e-6 * frames_per_s, frames_per_s, bytes, sink);
    free(mem);
    return 0;
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 60.0;
    int sr = argc > 2 ? atoi(argv[2]) : 48000;
    if (!(seconds > 0.0) || sr <= 0) {
        fprintf(stderr, "usage: bench_frames [seconds] [sample_rate]\n");
        return 2;
    }
    size_t n = (size_t)(seconds * (double)sr);
    float *x = malloc(n * sizeof *x);
    if (!x) return 1;
    cs_rng rng;
    cs_rng_seed(&rng, 1234);
    double ph = 0.0;
    for (size_t i = 0; i < n; i++) {
        double t = (double)i / (double)sr;
        double f = 110.0 * pow(2.0, 3.0 * (0.5 + 0.5 * sin(0.2 * t))); /* 110..880 Hz glide */
        ph += 6.283185307179586 * f / (double)sr;
        double v = 0.3 * sin(ph) + 0.15 * sin(2.0 * ph) + 0.08 * sin(3.0 * ph);
        v += 0.05 * (2.0 * (double)cs_rng_uniform(&rng) - 1.0);
        if (i % (size_t)(sr / 4) == 0) v += 0.9; /* a click every 250 ms */
        x[i] = (float)v;
    }
    cs_fft_host *host = cs_fft_host_new(CS_FRAME_MAX_FFT);
    if (!host) {
        fprintf(stderr, "bench_frames: FFTW could not be planned\n");
        free(x);
        return 1;
    }
    const cs_fft_ops ops = cs_fft_host_ops(host);
    static const int configs[2][2] = {{2048, 512}, {1024, 256}};
    int err = 0;
    for (int k = 0; k < 2 && err == 0; k++) {
        cs_frame_params p;
        cs_frame_params_default(&p, sr);
        p.fft_size = configs[k][0];
        p.hop = configs[k][1];
        printf("bench_frames: %.1f s of audio at %d Hz, fft %d, hop %d, %zu frames\n", seconds, sr, p.fft_size, p.hop,
               n / (size_t)p.hop + 1);
        err = bench_host(x, n, &p, seconds);
        if (err == 0) err = bench_core(x, n, &p, &ops);
    }
    cs_fft_host_free(host);
    free(x);
    return err ? 1 : 0;
}
