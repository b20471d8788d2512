/*
 * bench_frames.c - speed of cs_frames_analyze: 60 s of synthetic audio at 48 kHz (a gliding harmonic tone,
 * seeded noise and clicks), default parameters (fft 2048, hop 512), 1 and 2 threads, best of 3 runs each.
 * Prints frames per second and the real-time factor (seconds of audio analysed per second of wall time),
 * and the process CPU time per frame (wall time suffers when other jobs share the cores; CPU time less so).
 * Usage: bench_frames [seconds] [sample_rate]
 */
#include "cs_error.h"
#include "cs_frames.h"
#include "cs_rng.h"

#include <math.h>
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
    cs_frame_params p;
    cs_frame_params_default(&p, sr);
    printf("bench_frames: %.1f s of audio at %d Hz, fft %d, hop %d, %zu frames\n", seconds, sr, p.fft_size, p.hop,
           n / (size_t)p.hop + 1);
    double rt1 = 0.0;
    for (int threads = 1; threads <= 2; threads++) {
        double best = 1e30, best_cpu = 1e30;
        for (int rep = 0; rep < 3; rep++) {
            cs_frames f;
            double t0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
            int err = cs_frames_analyze(x, n, &p, threads, &f);
            double dt = clock_s(CLOCK_MONOTONIC) - t0, dc = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
            if (err) {
                fprintf(stderr, "cs_frames_analyze: %s\n", cs_strerror(err));
                free(x);
                return 1;
            }
            if (dt < best) best = dt;
            if (dc < best_cpu) best_cpu = dc;
            cs_frames_free(&f);
        }
        double fps = (double)(n / (size_t)p.hop + 1) / best;
        double rt = seconds / best;
        if (threads == 1) rt1 = rt;
        printf("threads %d: %.3f s, %.0f frames/s, %.1f us/frame/thread (cpu %.1f us/frame), %.0f x real time", threads,
               best, fps, 1e6 * (double)threads / fps, 1e6 * best_cpu / (double)(n / (size_t)p.hop + 1), rt);
        if (threads > 1) printf(" (%.2f x the 1-thread speed)", rt / rt1);
        printf("\n");
    }
    free(x);
    return 0;
}
