/*
 * test_frame_stream.c - the real-time core's frame analyser (plugins/core/cs_frame.h) against the CLI's host
 * (cs_frames_analyze), and its real-time contract:
 *   - parity: SuperCollider's a11wlk01.wav at its own rate, pushed in blocks of 1, 64, 256 and 1024 samples,
 *     gives every frame bitwise equal to cs_frames_analyze of the whole signal (2 threads), in order, for the
 *     defaults and for fft 1024 / hop 256; the same from caller memory that is not aligned;
 *   - latency: frame i comes out during the push of sample i*hop + cs_frame_lookahead;
 *   - seek: an analyser started at frame f gives the frames f, f+1, ... of the whole signal, bitwise;
 *   - no heap call in push or finish (the counting allocator, tests/c/cs_heap_count.h);
 *   - abuse: NaN, +-inf and 1e30 samples give finite rows and are counted;
 *   - init: too little memory, NULL memory, a bad configuration, missing or too small FFT ops fail cleanly;
 *   - the FFTW host's unaligned fallback transforms like the aligned plans.
 */
#include "cs_error.h"
#include "cs_fft.h"
#include "cs_frame.h"
#include "cs_frames.h"
#include "cs_heap_count.h"
#include "cs_test.h"

#include <math.h>
#include <sndfile.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define A11 "/usr/share/SuperCollider/sounds/a11wlk01.wav"

/* What an analyser emitted: rows in order, and the number of samples pushed when each came out. */
typedef struct collect {
    float *rows;    /* (cap, CS_FF_COUNT) */
    uint64_t *at;   /* (cap) samples pushed before the push call that emitted the frame ended */
    uint64_t first; /* index of rows[0] */
    size_t cap, n;  /* rows held */
    int out_of_order;
    uint64_t pushed; /* samples pushed so far, including the current call */
} collect;

static void collect_row(void *user, uint64_t frame, const float *row)
{
    collect *c = user;
    if (frame != c->first + c->n || c->n >= c->cap) {
        c->out_of_order = 1;
        return;
    }
    memcpy(c->rows + c->n * CS_FF_COUNT, row, CS_FF_COUNT * sizeof(float));
    c->at[c->n] = c->pushed;
    c->n++;
}

static float *read_a11(size_t *n, int *sr)
{
    SF_INFO info;
    memset(&info, 0, sizeof info);
    SNDFILE *f = sf_open(A11, SFM_READ, &info);
    if (!f) return NULL;
    float *x = malloc((size_t)info.frames * (size_t)info.channels * sizeof *x);
    if (x) sf_readf_float(f, x, info.frames);
    sf_close(f);
    if (x && info.channels > 1) { /* mono mix (the file is mono) */
        for (sf_count_t i = 0; i < info.frames; i++) {
            double s = 0.0;
            for (int c = 0; c < info.channels; c++)
                s += (double)x[i * info.channels + c];
            x[i] = (float)(s / info.channels);
        }
    }
    *n = (size_t)info.frames;
    *sr = info.samplerate;
    return x;
}

/* Feed x[from..n) in blocks of `block` samples (the analyser is at sample `from`), then finish. */
static void feed(cs_frame_analyser *a, const float *x, size_t from, size_t n, size_t block, collect *c)
{
    c->pushed = from;
    for (size_t at = from; at < n; at += block) {
        size_t k = n - at < block ? n - at : block;
        c->pushed += k;
        cs_frame_analyser_push(a, x + at, k, collect_row, c);
    }
    cs_frame_analyser_finish(a, collect_row, c);
}

static void test_parity(const float *x, size_t n, int sr, int fft, int hop, const cs_fft_ops *ops)
{
    cs_frame_params p;
    cs_frame_params_default(&p, sr);
    p.fft_size = fft;
    p.hop = hop;
    cs_frames ref;
    int err = cs_frames_analyze(x, n, &p, 2, &ref);
    CS_CHECK(err == 0, "cs_frames_analyze: %s", cs_strerror(err));
    if (err) return;
    cs_frame_config cfg;
    CS_CHECK(cs_frame_params_config(&p, &cfg) == 0, "config");
    const size_t bytes = cs_frame_analyser_bytes(&cfg);
    unsigned char *mem = malloc(bytes + 1);
    collect c;
    memset(&c, 0, sizeof c);
    c.cap = ref.n_frames + 1;
    c.rows = malloc(c.cap * CS_FF_COUNT * sizeof(float));
    c.at = malloc(c.cap * sizeof(uint64_t));
    static const size_t blocks[] = {1, 64, 256, 1024};
    for (int b = 0; b < 5; b++) {
        /* b == 4: blocks of 64 again, from caller memory one byte off any alignment */
        const size_t block = b < 4 ? blocks[b] : 64;
        cs_frame_analyser *a = NULL;
        err = cs_frame_analyser_init(mem + (b == 4), bytes, &cfg, ops, &a);
        CS_CHECK(err == CS_FRAME_OK && a, "init: %s", cs_frame_strerror(err));
        if (err) break;
        c.n = 0;
        c.first = 0;
        c.out_of_order = 0;
        feed(a, x, 0, n, block, &c);
        size_t differ = 0, late = 0;
        const uint64_t look = (uint64_t)cs_frame_lookahead(a);
        for (size_t i = 0; i < c.n && i < ref.n_frames; i++) {
            if (memcmp(c.rows + i * CS_FF_COUNT, ref.data + i * CS_FF_COUNT, CS_FF_COUNT * sizeof(float)) != 0)
                differ++;
            /* latency: emitted by the push that delivered sample i*hop + lookahead (or at finish) */
            const uint64_t due = (uint64_t)i * (uint64_t)hop + look + 1;
            if (due <= n) {
                const uint64_t lo = due, hi = due + block - 1;
                if (c.at[i] < lo || c.at[i] > hi) late++;
            }
        }
        CS_CHECK(!c.out_of_order && c.n == ref.n_frames && differ == 0,
                 "fft %d hop %d block %zu%s: %zu frames (want %zu), %zu differ from cs_frames_analyze", fft, hop, block,
                 b == 4 ? " unaligned memory" : "", c.n, ref.n_frames, differ);
        CS_CHECK(late == 0, "fft %d hop %d block %zu: %zu frames not emitted at sample i*hop + lookahead", fft, hop,
                 block, late);
        CS_CHECK(cs_frame_analyser_bad_samples(a) == 0, "no bad samples in a real file");
    }
    /* seek: start at frame f, from the sample seek returns, in blocks of 100 */
    cs_frame_analyser *a = NULL;
    if (cs_frame_analyser_init(mem, bytes, &cfg, ops, &a) == CS_FRAME_OK) {
        const uint64_t starts[] = {1, 7, ref.n_frames / 2, ref.n_frames - 2};
        for (int s = 0; s < 4; s++) {
            const uint64_t f = starts[s];
            const uint64_t from = cs_frame_analyser_seek(a, f);
            c.n = 0;
            c.first = f;
            c.out_of_order = 0;
            feed(a, x, (size_t)from, n, 100, &c);
            int same = !c.out_of_order && c.n == ref.n_frames - f &&
                       memcmp(c.rows, ref.data + f * CS_FF_COUNT, c.n * CS_FF_COUNT * sizeof(float)) == 0;
            CS_CHECK(same && from <= f * (uint64_t)hop, "seek to frame %llu (from sample %llu): %zu frames",
                     (unsigned long long)f, (unsigned long long)from, c.n);
        }
        /* limit: a range [f, f + 10) */
        const uint64_t f = ref.n_frames / 3;
        const uint64_t from = cs_frame_analyser_seek(a, f);
        cs_frame_analyser_limit(a, f + 10);
        c.n = 0;
        c.first = f;
        c.out_of_order = 0;
        feed(a, x, (size_t)from, n, 4096, &c);
        CS_CHECK(!c.out_of_order && c.n == 10 &&
                     memcmp(c.rows, ref.data + f * CS_FF_COUNT, 10 * CS_FF_COUNT * sizeof(float)) == 0,
                 "limit: %zu frames", c.n);
    }
    printf("parity fft %d hop %d: %zu frames, lookahead %d samples, %zu bytes\n", fft, hop, ref.n_frames,
           cs_frame_lookahead(a), bytes);
    free(c.rows);
    free(c.at);
    free(mem);
    cs_frames_free(&ref);
}

static void count_only(void *user, uint64_t frame, const float *row)
{
    (void)frame;
    size_t *bad = user;
    for (int k = 0; k < CS_FF_COUNT; k++)
        if (!isfinite(row[k])) (*bad)++;
}

/* No heap call in push / finish / reset / seek, with a live block size. */
static void test_no_heap(const float *x, size_t n, const cs_fft_ops *ops)
{
    cs_frame_config cfg;
    cs_frame_config_default(&cfg, 44100.0f);
    cfg.fft_size = 1024;
    cfg.hop = 256;
    const size_t bytes = cs_frame_analyser_bytes(&cfg);
    void *mem = malloc(bytes);
    cs_frame_analyser *a = NULL;
    CS_CHECK(cs_frame_analyser_init(mem, bytes, &cfg, ops, &a) == CS_FRAME_OK, "init");
    if (!a) {
        free(mem);
        return;
    }
    size_t bad = 0;
    long frames = 0;
    cs_heap_begin();
    for (size_t at = 0; at + 64 <= n; at += 64)
        frames += cs_frame_analyser_push(a, x + at, 64, count_only, &bad);
    frames += cs_frame_analyser_finish(a, count_only, &bad);
    cs_frame_analyser_reset(a);
    cs_frame_analyser_seek(a, 3);
    long calls = cs_heap_end();
    CS_CHECK(frames == (long)((n / 64 * 64) / 256 + 1), "frames %ld", frames);
    if (CS_COUNT_HEAP)
        CS_CHECK(calls == 0, "push/finish/reset/seek made %ld heap calls", calls);
    else
        printf("heap counting unavailable here (sanitizer): functional checks only\n");
    free(mem);
}

/* NaN, +-inf and huge samples: finite rows, counted. */
static void test_abuse(const cs_fft_ops *ops)
{
    cs_frame_config cfg;
    cs_frame_config_default(&cfg, 48000.0f);
    const size_t bytes = cs_frame_analyser_bytes(&cfg);
    void *mem = malloc(bytes);
    cs_frame_analyser *a = NULL;
    CS_CHECK(cs_frame_analyser_init(mem, bytes, &cfg, ops, &a) == CS_FRAME_OK, "init");
    if (!a) {
        free(mem);
        return;
    }
    const size_t n = 48000;
    float *x = malloc(n * sizeof *x);
    size_t n_bad = 0;
    for (size_t i = 0; i < n; i++) {
        x[i] = (float)(0.4 * sin(0.05 * (double)i));
        if (i % 997 == 0)
            x[i] = NAN, n_bad++;
        else if (i % 1009 == 0)
            x[i] = INFINITY, n_bad++;
        else if (i % 1013 == 0)
            x[i] = -INFINITY, n_bad++;
        else if (i > 20000 && i < 30000)
            x[i] = (i & 1) ? 1e30f : -1e30f, n_bad++;
    }
    size_t nonfinite = 0;
    int frames = cs_frame_analyser_push(a, x, n, count_only, &nonfinite);
    frames += cs_frame_analyser_finish(a, count_only, &nonfinite);
    CS_CHECK(frames == (int)(n / 512 + 1) && nonfinite == 0, "abuse: %d frames, %zu non-finite values", frames,
             nonfinite);
    CS_CHECK(cs_frame_analyser_bad_samples(a) == n_bad, "bad samples counted: %llu of %zu",
             (unsigned long long)cs_frame_analyser_bad_samples(a), n_bad);
    CS_CHECK(cs_frame_analyser_push(a, x, 10, count_only, &nonfinite) == 0, "no frames after finish");
    CS_CHECK(cs_frame_analyser_push(NULL, x, 10, count_only, &nonfinite) == CS_FRAME_E_ARG &&
                 cs_frame_analyser_push(a, NULL, 10, count_only, &nonfinite) == CS_FRAME_E_ARG &&
                 cs_frame_analyser_push(a, x, 10, NULL, NULL) == CS_FRAME_E_ARG,
             "push arguments");
    cs_frame_analyser_reset(a);
    CS_CHECK(cs_frame_analyser_bad_samples(a) == 0, "reset clears the count");
    free(x);
    free(mem);
}

static void no_fft(void *ctx, int n, float *in, float *out)
{
    (void)ctx;
    (void)n;
    (void)in;
    (void)out;
}

static void test_init_errors(const cs_fft_ops *ops)
{
    cs_frame_config cfg;
    cs_frame_config_default(&cfg, 48000.0f);
    const size_t bytes = cs_frame_analyser_bytes(&cfg);
    CS_CHECK(bytes > 0 && bytes < 4u << 20, "bytes %zu", bytes);
    unsigned char *mem = malloc(bytes);
    memset(mem, 0xA5, bytes);
    cs_frame_analyser *a = (cs_frame_analyser *)mem;
    CS_CHECK(cs_frame_analyser_init(mem, bytes - 1, &cfg, ops, &a) == CS_FRAME_E_MEMORY && a == NULL,
             "one byte too little");
    CS_CHECK(mem[0] == 0xA5 && mem[bytes - 1] == 0xA5, "memory untouched on failure");
    a = (cs_frame_analyser *)mem;
    CS_CHECK(cs_frame_analyser_init(NULL, bytes, &cfg, ops, &a) == CS_FRAME_E_MEMORY && a == NULL, "NULL memory");
    CS_CHECK(cs_frame_analyser_init(mem, bytes, &cfg, ops, NULL) == CS_FRAME_E_ARG, "NULL out");
    CS_CHECK(cs_frame_analyser_init(mem, bytes, NULL, ops, &a) == CS_FRAME_E_ARG, "NULL config");
    CS_CHECK(cs_frame_analyser_init(mem, bytes, &cfg, NULL, &a) == CS_FRAME_E_ARG, "NULL ops");
    cs_fft_ops bad = *ops;
    bad.c2r = NULL;
    CS_CHECK(cs_frame_analyser_init(mem, bytes, &cfg, &bad, &a) == CS_FRAME_E_FFT, "missing c2r");
    bad = *ops;
    bad.max_n = 1024; /* the YIN FFT at 48 kHz is 2048 */
    CS_CHECK(cs_frame_analyser_init(mem, bytes, &cfg, &bad, &a) == CS_FRAME_E_FFT, "max_n too small");
    bad.max_n = 0;
    bad.r2c = no_fft;
    bad.c2r = no_fft;
    CS_CHECK(cs_frame_analyser_init(mem, bytes, &cfg, &bad, &a) == CS_FRAME_OK, "max_n 0 = any size");
    struct {
        const char *what;
        cs_frame_config c;
    } cases[10];
    for (int k = 0; k < 10; k++)
        cases[k].c = cfg;
    cases[0].what = "fft 1000", cases[0].c.fft_size = 1000;
    cases[1].what = "hop 0", cases[1].c.hop = 0;
    cases[2].what = "hop > fft", cases[2].c.hop = 4096;
    cases[3].what = "12 mels", cases[3].c.n_mels = 12;
    cases[4].what = "mel fmax above Nyquist", cases[4].c.mel_fmax = 30000.0f;
    cases[5].what = "rolloff 0", cases[5].c.rolloff = 0.0f;
    cases[6].what = "yin threshold NaN", cases[6].c.yin_threshold = NAN;
    cases[7].what = "f0 min too low (lag > 16384)", cases[7].c.f0_min = 2.0f;
    cases[8].what = "sample rate 0", cases[8].c.sample_rate = 0.0f;
    cases[9].what = "sample rate inf", cases[9].c.sample_rate = INFINITY;
    for (int k = 0; k < 10; k++) {
        CS_CHECK(cs_frame_config_check(&cases[k].c) == CS_FRAME_E_ARG && cs_frame_analyser_bytes(&cases[k].c) == 0 &&
                     cs_frame_analyser_init(mem, bytes, &cases[k].c, ops, &a) == CS_FRAME_E_ARG && a == NULL,
                 "%s", cases[k].what);
    }
    CS_CHECK(cs_frame_config_check(&cfg) == CS_FRAME_OK, "defaults are valid");
    /* the largest configuration stays small */
    cs_frame_config big = cfg;
    big.fft_size = 16384;
    big.hop = 1;
    big.n_mels = 512;
    big.f0_min = 48000.0f / 16384.0f;
    size_t big_bytes = cs_frame_analyser_bytes(&big);
    CS_CHECK(big_bytes > 0 && big_bytes < 4u << 20, "largest configuration: %zu bytes", big_bytes);
    void *big_mem = malloc(big_bytes);
    a = NULL;
    int big_err = cs_frame_analyser_init(big_mem, big_bytes, &big, ops, &a);
    CS_CHECK(big_err == CS_FRAME_OK && a, "the largest configuration runs on the host: %s", cs_frame_strerror(big_err));
    free(big_mem);
    printf("analyser bytes: defaults at 48 kHz %zu, largest configuration %zu\n", bytes, big_bytes);
    CS_CHECK(strcmp(cs_frame_strerror(CS_FRAME_E_MEMORY), cs_frame_strerror(CS_FRAME_E_ARG)) != 0 &&
                 cs_frame_strerror(12345) != NULL,
             "messages");
    free(mem);
}

/* The host's aligned and unaligned plans compute the same transform. */
static void test_fft_host(cs_fft_host *h)
{
    const int n = 2048;
    float *buf = malloc((size_t)(4 * n + 64) * sizeof(float));
    float *in = buf + 16 - ((uintptr_t)buf / sizeof(float)) % 16; /* 64-byte aligned */
    float *out = in + n + 16;
    float *in2 = out + n + 16 + 1, *out2 = in2 + n + 3; /* misaligned */
    for (int j = 0; j < n; j++)
        in[j] = in2[j] = (float)sin(0.3 * j) + 0.25f * (float)((j * 7919) % 13) / 13.0f;
    cs_fft_ops ops = cs_fft_host_ops(h);
    ops.r2c(ops.ctx, n, in, out);
    ops.r2c(ops.ctx, n, in2, out2);
    double worst = 0.0, scale = 0.0;
    for (int k = 0; k < n + 2; k++) {
        if (fabs((double)out[k]) > scale) scale = fabs((double)out[k]);
        if (fabs((double)out[k] - (double)out2[k]) > worst) worst = fabs((double)out[k] - (double)out2[k]);
    }
    CS_CHECK(worst <= 1e-5 * scale, "unaligned r2c: %g vs scale %g", worst, scale);
    /* round trip: c2r of r2c is n times the input */
    ops.c2r(ops.ctx, n, out, in2);
    double rt = 0.0;
    for (int j = 0; j < n; j++)
        if (fabs((double)in2[j] / n - (double)in[j]) > rt) rt = fabs((double)in2[j] / n - (double)in[j]);
    CS_CHECK(rt < 1e-5, "r2c + c2r round trip: %g", rt);
    CS_CHECK(cs_fft_host_new(1000) == NULL && cs_fft_host_new(1) == NULL, "bad max_n");
    cs_fft_ops none = cs_fft_host_ops(NULL);
    CS_CHECK(none.r2c == NULL && none.c2r == NULL, "ops of NULL");
    free(buf);
}

int main(void)
{
    cs_fft_host *host = cs_fft_host_new(CS_FRAME_MAX_FFT);
    CS_CHECK(host != NULL, "FFTW host");
    if (!host) CS_TEST_END();
    const cs_fft_ops ops = cs_fft_host_ops(host);
    test_init_errors(&ops);
    test_abuse(&ops);
    test_fft_host(host);
    size_t n = 0;
    int sr = 0;
    float *x = read_a11(&n, &sr);
    if (!x) {
        printf("%s not found (supercollider-common): parity skipped\n", A11);
        cs_fft_host_free(host);
        return 77;
    }
    test_parity(x, n, sr, 2048, 512, &ops);
    test_parity(x, n, sr, 1024, 256, &ops);
    test_no_heap(x, n, &ops);
    free(x);
    cs_fft_host_free(host);
    CS_TEST_END();
}
