/*
 * gen_long_audio.c - write a long 16-bit mono WAV of tones and noise for tests/bench/run_analysis_memory.sh.
 * usage: gen_long_audio OUT.wav SECONDS [RATE]  (RATE default 48000; the file must stay below 4 GiB)
 * Every 0.25 s a new note: a sine of a pseudo-random pitch (110..1760 Hz) with a decaying envelope over
 * low-level white noise, so onset and novelty segmentation find events. Deterministic (fixed LCG seed).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: gen_long_audio OUT.wav SECONDS [RATE]\n");
        return 2;
    }
    const double secs = atof(argv[2]);
    const int rate = argc > 3 ? atoi(argv[3]) : 48000;
    const uint64_t n = (uint64_t)(secs * rate);
    if (!(secs > 0) || rate < 1000 || n * 2 + 36 > 0xffffffffu) {
        fprintf(stderr, "gen_long_audio: SECONDS must be > 0, RATE >= 1000, and the file below 4 GiB\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "wb");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    unsigned char h[44] = "RIFF....WAVEfmt ....\x01\x00\x01\x00........\x02\x00\x10\x00"
                          "data....";
    put32(h + 4, (uint32_t)(36 + n * 2));
    put32(h + 16, 16);
    put32(h + 24, (uint32_t)rate);
    put32(h + 28, (uint32_t)rate * 2);
    put32(h + 40, (uint32_t)(n * 2));
    fwrite(h, 1, 44, f);
    uint32_t lcg = 12345;
    const uint64_t note = (uint64_t)rate / 4;
    double freq = 440.0, phase = 0.0;
    int16_t buf[8192];
    size_t k = 0;
    for (uint64_t i = 0; i < n; i++) {
        if (i % note == 0) {
            lcg = lcg * 1664525u + 1013904223u;
            freq = 110.0 * pow(2.0, 4.0 * (double)(lcg >> 8) / 16777216.0);
        }
        lcg = lcg * 1664525u + 1013904223u;
        double noise = ((double)(lcg >> 8) / 8388608.0 - 1.0) * 0.02;
        double env = exp(-6.0 * (double)(i % note) / (double)note);
        phase += 6.283185307179586 * freq / rate;
        if (phase > 6.283185307179586) phase -= 6.283185307179586;
        buf[k++] = (int16_t)lrint(32767.0 * (0.5 * env * sin(phase) + noise));
        if (k == 8192 || i + 1 == n) {
            if (fwrite(buf, 2, k, f) != k) {
                perror(argv[1]);
                return 1;
            }
            k = 0;
        }
    }
    return fclose(f) == 0 ? 0 : 1;
}
