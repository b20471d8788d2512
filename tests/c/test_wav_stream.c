/*
 * test_wav_stream.c - the float WAV written as its frames come (cs_wav_stream_*, what analyze writes audio.wav
 * with) has the bytes cs_write_float_wav writes for the same frames: 1, 2 and 5 channels, 0, 1 and 200 001
 * frames given in uneven pieces, after a truncation (a skipped source), and read back. (The RF64 form, above
 * 4 GiB, is compared by hand: see the report of issue 14; a test file that large does not belong in CI.)
 */
#include "cs_bundle.h"
#include "cs_error.h"
#include "cs_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc(len > 0 ? (size_t)len : 1);
    *n = b && len >= 0 ? fread(b, 1, (size_t)len, f) : 0;
    fclose(f);
    return b;
}

static void one(const char *dir, int ch, size_t frames)
{
    char pa[512], pb[512], err[256] = "";
    snprintf(pa, sizeof pa, "%s/whole.wav", dir);
    snprintf(pb, sizeof pb, "%s/stream.wav", dir);
    float *x = malloc((frames + 1000) * (size_t)ch * sizeof *x);
    for (size_t i = 0; i < (frames + 1000) * (size_t)ch; i++)
        x[i] = (float)((double)(i % 977) / 977.0 - 0.5);
    int e1 = cs_write_float_wav(pa, x, frames, ch, 44100, err, sizeof err);
    cs_wav_stream w;
    int e2 = cs_wav_stream_open(&w, pb, ch, 44100, err, sizeof err);
    size_t at = 0, step = 1;
    while (e2 == 0 && at < frames) {
        size_t k = step < frames - at ? step : frames - at;
        e2 = cs_wav_stream_write(&w, x + at * (size_t)ch, k, err, sizeof err);
        at += k;
        step = step * 3 + 1;
    }
    /* a source that turned out silent: written, then cut off again */
    if (e2 == 0) e2 = cs_wav_stream_write(&w, x, 1000, err, sizeof err);
    if (e2 == 0) e2 = cs_wav_stream_truncate(&w, frames, err, sizeof err);
    float back[8 * 5];
    if (e2 == 0 && frames >= 8) {
        e2 = cs_wav_stream_read(&w, frames - 8, 8, back, err, sizeof err);
        CS_CHECK(e2 == 0 && memcmp(back, x + (frames - 8) * (size_t)ch, 8 * (size_t)ch * sizeof *x) == 0,
                 "%d ch, %zu frames: read back", ch, frames);
    }
    if (e2 == 0) e2 = cs_wav_stream_close(&w, 1, err, sizeof err);
    CS_CHECK(e1 == 0 && e2 == 0, "%d ch, %zu frames: written (%s)", ch, frames, err);
    size_t na = 0, nb = 0;
    unsigned char *a = slurp(pa, &na), *b = slurp(pb, &nb);
    CS_CHECK(a && b && na == nb && memcmp(a, b, na) == 0, "%d ch, %zu frames: same bytes (%zu, %zu)", ch, frames, na,
             nb);
    free(a);
    free(b);
    free(x);
    unlink(pa);
    unlink(pb);
}

int main(void)
{
    char dir[] = "/tmp/test_wav_stream-XXXXXX";
    if (!mkdtemp(dir)) return 1;
    const int chs[] = {1, 2, 5};
    const size_t lens[] = {0, 1, 200001};
    for (int c = 0; c < 3; c++)
        for (int l = 0; l < 3; l++)
            one(dir, chs[c], lens[l]);
    /* an error elsewhere: close without keeping removes the file */
    char p[600], err[256];
    snprintf(p, sizeof p, "%s/gone.wav", dir);
    cs_wav_stream w;
    float z[4] = {0};
    CS_CHECK(cs_wav_stream_open(&w, p, 2, 48000, err, sizeof err) == 0 &&
                 cs_wav_stream_write(&w, z, 2, err, sizeof err) == 0 &&
                 cs_wav_stream_close(&w, 0, err, sizeof err) == 0 && access(p, F_OK) != 0,
             "close without keeping removes the file");
    snprintf(p, sizeof p, "%s/no/such/dir/x.wav", dir);
    CS_CHECK(cs_wav_stream_open(&w, p, 1, 48000, err, sizeof err) == CS_E_IO && strstr(err, "x.wav: cannot write"),
             "unwritable path: %s", err);
    rmdir(dir);
    CS_TEST_END();
}
