/*
 * bench_listener.c - cost of the streaming listener (plugins/core/cs_listener.h, ConcatListen's core) beside its
 * peer in the same run: the frame analyser alone (cs_frame_analyser_push, every frame computed and dropped), which
 * is the listener's floor. Per configuration (48 kHz; fft 1024 / hop 256, the ConcatListen setting, and the
 * analyze defaults 2048 / 512) and mode, fed in blocks of 64 samples: CPU time as % of one core for real time, the
 * ratio to the analyser alone, and the worst block (thread CPU time, us, and as % of the block's duration, 1333 us).
 * The worst block is taken after the first second (the first pass over fresh memory page-faults; a host
 * that touches its RTAlloc'd memory at construction does not see that). Each figure is the best of 3 runs (the machine
 * is shared; the best is the least disturbed). Input: SuperCollider's a11wlk01.wav repeated to `seconds` (default 60),
 * its samples taken as 48 kHz. Usage: bench_listener [seconds]. Single thread; not a timed test.
 */
#include "cs_fft.h"
#include "cs_frame.h"
#include "cs_listener.h"

#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RATE  48000
#define BLOCK 64

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* This thread's CPU time: a block's cost without the time other processes took the core. */
static double thread_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void drop_frame(void *user, uint64_t frame, const float *row)
{
    (void)frame;
    *(float *)user += row[CS_FF_CENTROID];
}

static void drop_unit(void *user, const cs_listen_unit *u)
{
    *(float *)user += u->raw[0];
}

typedef struct cost {
    double cpu, worst; /* s for all, s for the worst block */
} cost;

static cost run_analyser(const cs_frame_config *c, cs_fft_ops *ops, const float *x, size_t n)
{
    cost r = {0, 0};
    size_t bytes = cs_frame_analyser_bytes(c);
    void *mem = malloc(bytes);
    cs_frame_analyser *a = NULL;
    if (!mem || cs_frame_analyser_init(mem, bytes, c, ops, &a) != 0) {
        free(mem);
        return r;
    }
    float sink = 0.0f;
    double t0 = cpu_s();
    for (size_t i = 0; i + BLOCK <= n; i += BLOCK) {
        double b0 = thread_s();
        cs_frame_analyser_push(a, x + i, BLOCK, drop_frame, &sink);
        double b = thread_s() - b0;
        if (b > r.worst && i >= RATE) r.worst = b;
    }
    r.cpu = cpu_s() - t0;
    if (sink == 12345.0f) printf(" ");
    free(mem);
    return r;
}

static cost run_listener(const cs_listen_config *c, cs_fft_ops *ops, const float *x, size_t n, size_t *units)
{
    cost r = {0, 0};
    size_t bytes = cs_listener_bytes(c);
    void *mem = malloc(bytes);
    cs_listener *l = NULL;
    if (!mem || cs_listener_init(mem, bytes, c, ops, &l) != 0) {
        free(mem);
        return r;
    }
    float sink = 0.0f;
    size_t count = 0;
    double t0 = cpu_s();
    for (size_t i = 0; i + BLOCK <= n; i += BLOCK) {
        double b0 = thread_s();
        int k = cs_listener_push(l, x + i, BLOCK, drop_unit, &sink);
        double b = thread_s() - b0;
        if (k > 0) count += (size_t)k;
        if (b > r.worst && i >= RATE) r.worst = b;
    }
    r.cpu = cpu_s() - t0;
    *units = count;
    if (sink == 12345.0f) printf(" ");
    free(mem);
    return r;
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 60.0;
    if (!(seconds > 1.0)) seconds = 60.0;
    SF_INFO si;
    memset(&si, 0, sizeof si);
    SNDFILE *sf = sf_open("/usr/share/SuperCollider/sounds/a11wlk01.wav", SFM_READ, &si);
    if (!sf || si.channels != 1 || si.frames <= 0) {
        printf("a11wlk01.wav (supercollider) needed\n");
        return 77;
    }
    size_t m = (size_t)si.frames, n = (size_t)(seconds * RATE);
    float *src = malloc(m * sizeof *src), *x = malloc(n * sizeof *x);
    if (!src || !x) return 1;
    m = (size_t)sf_readf_float(sf, src, (sf_count_t)m);
    sf_close(sf);
    for (size_t i = 0; i < n; i++)
        x[i] = src[i % m];
    free(src);
    cs_fft_host *host = cs_fft_host_new(CS_FRAME_MAX_FFT);
    if (!host) return 1;
    cs_fft_ops ops = cs_fft_host_ops(host);
    const double audio = (double)n / RATE, block_s = (double)BLOCK / RATE;
    printf("listener cost, %.0f s of a11wlk01 at %d Hz, blocks of %d (%.0f us), 1 thread\n", audio, RATE, BLOCK,
           block_s * 1e6);
    const int sizes[2][2] = {{1024, 256}, {2048, 512}};
    const char *names[3] = {"frames", "onsets", "grains"};
    const int modes[3] = {CS_LISTEN_FRAMES, CS_LISTEN_ONSETS, CS_LISTEN_GRAINS};
    for (int z = 0; z < 2; z++) {
        cs_listen_config c;
        cs_listen_config_default(&c, (float)RATE);
        c.frame.fft_size = sizes[z][0];
        c.frame.hop = sizes[z][1];
        c.onset.delta_abs = 0.002f; /* about 0.1 x the mean flux of speech */
        cost a = run_analyser(&c.frame, &ops, x, n);
        for (int rep = 1; rep < 3; rep++) {
            cost b = run_analyser(&c.frame, &ops, x, n);
            a.cpu = b.cpu < a.cpu ? b.cpu : a.cpu;
            a.worst = b.worst < a.worst ? b.worst : a.worst;
        }
        printf("fft %d hop %d: analyser alone %.3f %% of a core, worst block %.1f us\n", sizes[z][0], sizes[z][1],
               100.0 * a.cpu / audio, a.worst * 1e6);
        for (int k = 0; k < 3; k++) {
            c.mode = modes[k];
            size_t units = 0;
            cost r = run_listener(&c, &ops, x, n, &units);
            for (int rep = 1; rep < 3; rep++) {
                cost b = run_listener(&c, &ops, x, n, &units);
                r.cpu = b.cpu < r.cpu ? b.cpu : r.cpu;
                r.worst = b.worst < r.worst ? b.worst : r.worst;
            }
            printf("  %-6s %.3f %% of a core (x%.3f the analyser), worst block %.1f us (%.1f %% of a block), "
                   "%zu units, %zu bytes\n",
                   names[k], 100.0 * r.cpu / audio, a.cpu > 0 ? r.cpu / a.cpu : 0.0, r.worst * 1e6,
                   100.0 * r.worst / block_s, units, cs_listener_bytes(&c));
        }
    }
    cs_fft_host_free(host);
    free(x);
    return 0;
}
