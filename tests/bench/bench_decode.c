/*
 * bench_decode.c - the decode + resample share of `concatseq analyze`'s first stage: cs_decoder without its thread
 * over the files given, at 48 kHz mono with the default resampler (libsoxr HQ), exactly the blocks analyze consumes,
 * and the frame analysis of those blocks (cs_frames_stream, one thread, analyze's default frame settings), each
 * timed by this thread's CPU clock around its own calls (everything runs on this thread). That first stage is the
 * only one decoding overlaps: on P cores, with one decoder thread it cannot take less than max(D, (D + F) / P)
 * for decode D and frames F, and several decoders could lower that only when D > (D + F) / P.
 * usage: bench_decode FILE...
 */
#include "cs_audio.h"
#include "cs_decoder.h"
#include "cs_frames.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_decode FILE...\n");
        return 2;
    }
    const size_t n = (size_t)argc - 1;
    cs_audio *info = calloc(n, sizeof *info);
    cs_decoder *d = NULL;
    if (!info || cs_decoder_start(&d, argv + 1, n, 48000, 1, CS_RESAMPLER_DEFAULT, info, 0) != 0) {
        fprintf(stderr, "bench_decode: cannot start the decoder\n");
        return 1;
    }
    cs_frame_params fp;
    cs_frame_params_default(&fp, 48000);
    fp.hop = fp.fft_size / 4; /* analyze's default (cs_analyze_frame_params at 48 kHz) */
    const double w0 = clock_s(CLOCK_MONOTONIC);
    double dcpu = 0.0, fcpu = 0.0, t = clock_s(CLOCK_THREAD_CPUTIME_ID);
    cs_decoded it;
    size_t frames = 0, ended = 0, nframes = 0;
    cs_frames_stream *fs = NULL;
    int rc = cs_frames_stream_new(&fp, 1, &fs);
    while (rc == 0 && cs_decoder_next(d, &it)) {
        const double t1 = clock_s(CLOCK_THREAD_CPUTIME_ID);
        dcpu += t1 - t;
        if (it.kind == CS_DECODED_END) {
            cs_frames fr = {0};
            rc = it.rc ? it.rc : cs_frames_stream_finish(fs, &fr);
            nframes += fr.n_frames;
            cs_frames_free(&fr);
            cs_frames_stream_free(fs);
            fs = NULL;
            if (rc == 0 && it.source + 1 < n) rc = cs_frames_stream_new(&fp, 1, &fs);
            ended++;
        } else {
            frames += it.frames;
            rc = cs_frames_stream_push(fs, it.data, it.frames);
        }
        t = clock_s(CLOCK_THREAD_CPUTIME_ID);
        fcpu += t - t1;
    }
    const double wall = clock_s(CLOCK_MONOTONIC) - w0;
    cs_frames_stream_free(fs);
    cs_decoder_stop(d);
    free(info);
    if (rc) {
        fprintf(stderr, "bench_decode: failed (%d)\n", rc);
        return 1;
    }
    const double audio = (double)frames / 48000.0;
    printf("decode %zu files, audio %.1f s: CPU %.3f s (%.0fx real time); frames (%zu) CPU %.3f s; wall %.3f s\n",
           ended, audio, dcpu, audio / dcpu, nframes, fcpu, wall);
    return 0;
}
