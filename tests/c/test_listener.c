/*
 * test_listener.c - the streaming listener (plugins/core/cs_listener.h) against `concatseq analyze`'s path for the
 * same signal and configuration: cs_frames_analyze + cs_segment_grain / cs_segment_onset + cs_describe_unit (what
 * the describe stage computes; its level sums are cs_describe_unit's single pass bitwise). Real audio:
 * SuperCollider's a11wlk01.wav and the samples of a Hydrogen kit concatenated. The listener is fed in blocks of
 * 1, 64, 256 and 1024 samples and must emit exactly the same units (start, length) with bitwise the same raw
 * descriptors, in GRAINS, ONSETS and FRAMES mode (FRAMES: each frame's hop cell as a unit). Also: no heap call
 * while pushing (cs_heap_count.h), NaN / infinite / huge input gives finite descriptors, bad configurations are
 * refused, and the detector decides one frame after the onset's frame.
 */
// clang-format off
#include <stdlib.h> /* before cs_heap_count.h, which defines malloc & co. */
// clang-format on

#include "cs_describe.h"
#include "cs_error.h"
#include "cs_fft.h"
#include "cs_frames.h"
#include "cs_heap_count.h"
#include "cs_listener.h"
#include "cs_onset.h"
#include "cs_segment.h"
#include "cs_test.h"

#include <dirent.h>
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_UNITS 20000

/* ------------------------------------------------------------------ audio */

/* Append the mono mix of `path` to *x (realloc'd); its rate to *rate (must match a previous one). */
static int read_mono(const char *path, float **x, size_t *n, int *rate)
{
    SF_INFO si;
    memset(&si, 0, sizeof si);
    SNDFILE *sf = sf_open(path, SFM_READ, &si);
    if (!sf) return -1;
    if ((*rate && si.samplerate != *rate) || si.frames <= 0 || si.channels < 1) {
        sf_close(sf);
        return -1;
    }
    *rate = si.samplerate;
    size_t m = (size_t)si.frames, ch = (size_t)si.channels;
    float *buf = malloc(m * ch * sizeof *buf);
    float *nx = realloc(*x, (*n + m) * sizeof *nx);
    if (!buf || !nx) {
        free(buf);
        free(nx == *x ? NULL : nx);
        sf_close(sf);
        return -1;
    }
    *x = nx;
    m = (size_t)sf_readf_float(sf, buf, (sf_count_t)m);
    sf_close(sf);
    for (size_t i = 0; i < m; i++) {
        double s = 0.0;
        for (size_t c = 0; c < ch; c++)
            s += (double)buf[i * ch + c];
        nx[*n + i] = (float)(s / (double)ch);
    }
    *n += m;
    free(buf);
    return 0;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The .flac samples of a Hydrogen kit at 44.1 kHz, sorted by name, one after the other. */
static int read_kit(const char *dir, float **x, size_t *n, int *rate)
{
    DIR *d = opendir(dir);
    if (!d) return -1;
    char *names[256];
    int k = 0;
    struct dirent *e;
    while ((e = readdir(d)) && k < 256) {
        size_t L = strlen(e->d_name);
        if (L > 5 && strcmp(e->d_name + L - 5, ".flac") == 0) names[k++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)k, sizeof *names, name_cmp);
    int got = 0;
    for (int i = 0; i < k; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (read_mono(path, x, n, rate) == 0) got++;
        free(names[i]);
    }
    return got > 0 ? 0 : -1;
}

/* ------------------------------------------------------------------ the offline path */

typedef struct unit {
    uint64_t start, length, known_at;
    float raw[CS_D_COUNT];
} unit;

typedef struct units {
    unit v[MAX_UNITS];
    size_t n;
    int overflow;
} units;

static units offline, live;

static void attacks_vs_onsets(const cs_listen_config *on, cs_fft_host *host, const float *x, size_t n,
                              const char *what);

/* analyze's descriptors of the given segments. */
static int describe_offline(const cs_frames *f, const float *x, size_t n, const cs_segments *s, units *out)
{
    out->n = 0;
    for (size_t u = 0; u < s->n && u < MAX_UNITS; u++) {
        unit *o = &out->v[out->n++];
        o->start = s->v[u].start;
        o->length = s->v[u].length;
        int rc = cs_describe_unit(f, x, n, s->v[u].start, s->v[u].length, o->raw);
        if (rc) return rc;
    }
    return 0;
}

static void collect(void *user, const cs_listen_unit *u)
{
    units *o = user;
    if (o->n >= MAX_UNITS) {
        o->overflow = 1;
        return;
    }
    unit *d = &o->v[o->n++];
    d->start = u->start;
    d->length = u->length;
    d->known_at = u->known_at;
    memcpy(d->raw, u->raw, sizeof d->raw);
}

/* Feed x to a listener of config c in blocks of `block` samples (heap calls counted while pushing). */
static int listen_file(const cs_listen_config *c, cs_fft_host *host, const float *x, size_t n, size_t block, units *out,
                       long *heap)
{
    size_t bytes = cs_listener_bytes(c);
    void *mem = malloc(bytes);
    cs_fft_ops ops = cs_fft_host_ops(host);
    cs_listener *l = NULL;
    int rc = mem ? cs_listener_init(mem, bytes, c, &ops, &l) : -1;
    if (rc) {
        free(mem);
        return rc ? rc : -1;
    }
    out->n = 0;
    out->overflow = 0;
    cs_heap_begin();
    for (size_t i = 0; i < n; i += block)
        cs_listener_push(l, x + i, n - i < block ? n - i : block, collect, out);
    cs_listener_finish(l, collect, out);
    *heap = cs_heap_end();
    CS_CHECK(cs_listener_failed(l) == 0, "nothing failed");
    free(mem);
    return 0;
}

/* Same units, same raw descriptors bit for bit; `tail_merge`: the offline path may have merged the live last unit
 * into the one before it (cs_segment_onset's offline-only step). */
static int same_units(const units *a, const units *b, int tail_merge, const char *what, size_t block)
{
    size_t n = a->n;
    int merged = 0;
    if (tail_merge && b->n == a->n + 1 && a->n > 0) {
        const unit *x = &a->v[a->n - 1], *y = &b->v[b->n - 2], *z = &b->v[b->n - 1];
        CS_CHECK(x->start == y->start && x->length == y->length + z->length, "%s: merged tail", what);
        n = a->n - 1;
        merged = 1;
    } else {
        CS_CHECK(a->n == b->n, "%s, blocks of %zu: %zu offline units, %zu live", what, block, a->n, b->n);
        if (a->n != b->n) return 0;
    }
    size_t bad = 0, first = SIZE_MAX;
    for (size_t u = 0; u < n; u++) {
        const unit *x = &a->v[u], *y = &b->v[u];
        if (x->start != y->start || x->length != y->length || memcmp(x->raw, y->raw, sizeof x->raw) != 0) {
            if (first == SIZE_MAX) first = u;
            bad++;
        }
    }
    if (bad && first < n)
        fprintf(stderr, "%s: first difference at unit %zu: offline [%llu, +%llu) live [%llu, +%llu)\n", what, first,
                (unsigned long long)a->v[first].start, (unsigned long long)a->v[first].length,
                (unsigned long long)b->v[first].start, (unsigned long long)b->v[first].length);
    CS_CHECK(bad == 0, "%s, blocks of %zu: %zu of %zu units differ%s", what, block, bad, n,
             merged ? " (tail merged)" : "");
    return bad == 0;
}

static const size_t blocks[] = {1, 64, 256, 1024};

/* Every block size, one configuration against the offline units. */
static void check_blocks(const cs_listen_config *c, cs_fft_host *host, const float *x, size_t n, int tail_merge,
                         const char *what)
{
    for (size_t b = 0; b < sizeof blocks / sizeof *blocks; b++) {
        long heap = -1;
        int rc = listen_file(c, host, x, n, blocks[b], &live, &heap);
        CS_CHECK(rc == 0, "%s: listener init %d", what, rc);
        if (rc) return;
        CS_CHECK(!live.overflow, "%s: too many units", what);
        same_units(&offline, &live, tail_merge, what, blocks[b]);
#if CS_COUNT_HEAP
        CS_CHECK(heap == 0, "%s, blocks of %zu: %ld heap calls while listening", what, blocks[b], heap);
#endif
    }
}

/* ------------------------------------------------------------------ modes */

static void test_grains(const float *x, size_t n, const cs_frames *f, const cs_listen_config *base, cs_fft_host *host,
                        const char *name)
{
    /* analyze's default grains (100 ms every 100 ms), overlapping grains, grains shorter than a frame hop (the
     * nearest-frame fallback) */
    const double sr = (double)base->frame.sample_rate;
    const uint32_t cfgs[3][2] = {{(uint32_t)llround(0.1 * sr), (uint32_t)llround(0.1 * sr)}, {4410, 1000}, {200, 300}};
    for (int k = 0; k < 3; k++) {
        cs_segments s = {0};
        CS_CHECK(cs_segment_grain(n, cfgs[k][0], cfgs[k][1], &s) == 0, "grains");
        CS_CHECK(describe_offline(f, x, n, &s, &offline) == 0, "offline describe");
        cs_segments_free(&s);
        cs_listen_config c = *base;
        c.mode = CS_LISTEN_GRAINS;
        c.grain_len = cfgs[k][0];
        c.grain_hop = cfgs[k][1];
        char what[128];
        snprintf(what, sizeof what, "%s grains %u/%u", name, c.grain_len, c.grain_hop);
        check_blocks(&c, host, x, n, 0, what);
        printf("%s: %zu units equal in blocks of 1, 64, 256, 1024\n", what, offline.n);
    }
}

static void test_onsets(const float *x, size_t n, const cs_frames *f, const cs_listen_config *base, cs_fft_host *host,
                        const char *name)
{
    /* analyze's defaults; a lower threshold (more onsets); a short max_len (cuts); tiny units with a long pre */
    for (int k = 0; k < 4; k++) {
        cs_onset_params p;
        cs_onset_params_default(&p);
        if (k == 1) p.threshold = 0.1;
        if (k == 2) p.max_len_s = 0.25, p.min_len_s = 0.03;
        if (k == 3) p.threshold = 0.1, p.min_len_s = 0.001, p.max_len_s = 0.01, p.pre_s = 0.05;
        cs_segments s = {0};
        CS_CHECK(cs_segment_onset(f, n, &p, &s) == 0, "onsets");
        CS_CHECK(describe_offline(f, x, n, &s, &offline) == 0, "offline describe");
        cs_segments_free(&s);
        double sum = 0.0;
        for (size_t i = 0; i < f->n_frames; i++) {
            float v = f->data[i * CS_FF_COUNT + CS_FF_FLUX];
            sum += (double)(v > 0.0f ? v : 0.0f);
        }
        cs_listen_config c = *base;
        c.mode = CS_LISTEN_ONSETS;
        cs_onset_params_to_config(&p, sum / (double)f->n_frames, &c.onset);
        char what[128];
        snprintf(what, sizeof what, "%s onsets (threshold %.2f, min %.0f ms, max %.0f ms, pre %.0f ms)", name,
                 p.threshold, p.min_len_s * 1e3, p.max_len_s * 1e3, p.pre_s * 1e3);
        check_blocks(&c, host, x, n, 1, what);
        printf("%s: %zu units equal in blocks of 1, 64, 256, 1024\n", what, offline.n);
        attacks_vs_onsets(&c, host, x, n, what);
    }
}

/* ATTACKS on a real signal against the onsets just found (`offline`; boundaries that are max_len cuts, recognised
 * by the lengths they make, are left out): an onset boundary b is answered when an
 * attack report comes in [b - min_len, b + fft/2 + 2 hops + pre] (the alarm is at most ceil(min_len / hop) - 1
 * frames before the onset's candidate frame, whose boundary is refined at most one frame back or on, cs_onset.h);
 * a report answering no boundary is a false alarm. Blocks of 64; no heap call. */
static int cmp_long(const void *a, const void *b)
{
    const long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

static units onset_live;
static long lat_attack[MAX_UNITS], lat_onset[MAX_UNITS];

static void attacks_vs_onsets(const cs_listen_config *on, cs_fft_host *host, const float *x, size_t n, const char *what)
{
    cs_listen_config c = *on;
    long heap = -1;
    CS_CHECK(listen_file(&c, host, x, n, 64, &onset_live, &heap) == 0, "%s: onsets", what);
    c.mode = CS_LISTEN_ATTACKS;
    CS_CHECK(listen_file(&c, host, x, n, 64, &live, &heap) == 0 && heap == 0, "%s: attacks", what);
    const long hop = c.frame.hop, pre = (long)(c.onset.pre_s * c.frame.sample_rate + 0.5f),
               span = c.frame.fft_size / 2 + 2 * hop + pre + 1;
    const long min_len = (long)(c.onset.min_len_s * c.frame.sample_rate + 0.5f);
    const uint64_t max_len = (uint64_t)(c.onset.max_len_s * c.frame.sample_rate + 0.5f);
    size_t onsets = 0, answered = 0, used = 0;
    for (size_t u = 1; u < offline.n; u++) {
        const long b = (long)offline.v[u].start;
        if (offline.v[u - 1].length == max_len || offline.v[u].length == (uint64_t)min_len) continue; /* a cut */
        onsets++;
        for (size_t q = 0; q < live.n; q++) {
            const long k = (long)live.v[q].known_at;
            if (k >= b - min_len && k <= b + span) { /* latencies from the onset's hop cell start, b + pre */
                lat_attack[answered] = k - b - pre;
                lat_onset[answered] = u - 1 < onset_live.n ? (long)onset_live.v[u - 1].known_at - b - pre : 0;
                answered++;
                break;
            }
        }
    }
    for (size_t q = 0; q < live.n; q++) {
        const long k = (long)live.v[q].known_at;
        for (size_t u = 1; u < offline.n; u++) {
            const long b = (long)offline.v[u].start;
            if (k >= b - min_len && k <= b + span) {
                used++;
                break;
            }
        }
    }
    /* every onset has its alarm (cs_onset.h, "Alarms"); an alarm may find no onset (a false alarm) */
    CS_CHECK(onsets > 0 && answered == onsets && used * 10 >= live.n * 8,
             "%s: %zu of %zu onsets answered by an attack report, %zu of %zu reports answer one", what, answered,
             onsets, used, live.n);
    if (answered == 0) return;
    qsort(lat_attack, answered, sizeof *lat_attack, cmp_long);
    qsort(lat_onset, answered, sizeof *lat_onset, cmp_long);
    printf("%s: %zu of %zu onsets (max_len cuts left out) answered by an attack report, %zu of %zu attack reports "
           "answer an onset; from the onset's hop cell to the report, worst / median: attacks %ld / %ld, onsets %ld "
           "/ %ld samples\n",
           what, answered, onsets, used, live.n, lat_attack[answered - 1], lat_attack[answered / 2],
           lat_onset[answered - 1], lat_onset[answered / 2]);
}

static void test_frames(const float *x, size_t n, const cs_frames *f, const cs_listen_config *base, cs_fft_host *host,
                        const char *name)
{
    const size_t hop = (size_t)f->hop, h2 = hop / 2;
    cs_segments s = {0};
    s.v = malloc(f->n_frames * sizeof *s.v);
    CS_CHECK(s.v != NULL, "alloc");
    if (!s.v) return;
    for (size_t i = 0; i < f->n_frames; i++) { /* frame i's hop cell, clipped to the signal */
        size_t a = i * hop >= h2 ? i * hop - h2 : 0, e = i * hop + hop - h2;
        if (e > n) e = n;
        s.v[s.n].start = a;
        s.v[s.n].length = e - a;
        s.n++;
    }
    CS_CHECK(describe_offline(f, x, n, &s, &offline) == 0, "offline describe");
    free(s.v);
    /* a cell's frame is its own frame: the unit's means are that frame's values */
    int same = 1;
    for (size_t i = 0; i < offline.n; i++) {
        const float *r = f->data + i * CS_FF_COUNT;
        same &= offline.v[i].raw[CS_D_CENTROID] == r[CS_FF_CENTROID] && offline.v[i].raw[CS_D_FLUX] == r[CS_FF_FLUX];
        same &= offline.v[i].raw[CS_D_MFCC0 + 3] == r[CS_FF_MFCC0 + 3];
        same &= fabs((double)offline.v[i].raw[CS_D_PEAK] - 20.0 * log10(fmax((double)r[CS_FF_PEAK], 1e-6))) < 1e-4;
    }
    CS_CHECK(same, "%s: a frame cell's descriptors are its frame's", name);
    cs_listen_config c = *base;
    c.mode = CS_LISTEN_FRAMES;
    char what[128];
    snprintf(what, sizeof what, "%s frames", name);
    check_blocks(&c, host, x, n, 0, what);
    printf("%s: %zu cells equal in blocks of 1, 64, 256, 1024\n", what, offline.n);
}

/* Every mode on one real signal. */
/* Every mode on one real signal; `extreme`: an analysis whose YIN window (f0_min 20 Hz) is much longer than its
 * FFT (256, hop 256), so the early reports run far ahead of the complete frames, with tiny onset units. */
static void test_signal(const float *x, size_t n, int rate, cs_fft_host *host, const char *name, int extreme)
{
    cs_frame_params fp;
    cs_frame_params_default(&fp, rate);
    if (extreme == 1) fp.fft_size = 256, fp.hop = 256, fp.f0_min = 20.0;
    if (extreme == 2) fp.fft_size = 1024, fp.hop = 256;
    cs_listen_config base;
    cs_listen_config_default(&base, (float)rate);
    CS_CHECK(cs_frame_params_config(&fp, &base.frame) == 0, "frame config");
    cs_frames f;
    memset(&f, 0, sizeof f);
    int rc = cs_frames_analyze(x, n, &fp, 2, &f);
    CS_CHECK(rc == 0, "%s: frames: %s", name, cs_strerror(rc));
    if (rc) return;
    test_grains(x, n, &f, &base, host, name);
    test_onsets(x, n, &f, &base, host, name);
    test_frames(x, n, &f, &base, host, name);
    cs_frames_free(&f);
}

/* ------------------------------------------------------------------ abuse and configuration */

static void count_only(void *user, const cs_listen_unit *u)
{
    size_t *bad = user;
    for (int d = 0; d < CS_D_COUNT; d++)
        if (!isfinite(u->raw[d])) (*bad)++;
    bad[1]++;
}

static void test_abuse(cs_fft_host *host)
{
    const int modes[3] = {CS_LISTEN_FRAMES, CS_LISTEN_ONSETS, CS_LISTEN_GRAINS};
    const size_t n = 48000;
    float *x = malloc(n * sizeof *x);
    CS_CHECK(x != NULL, "alloc");
    if (!x) return;
    for (size_t i = 0; i < n; i++) {
        x[i] = (float)(0.5 * sin(0.05 * (double)i));
        if (i % 997 == 0) x[i] = NAN;
        if (i % 1499 == 0) x[i] = INFINITY;
        if (i % 2003 == 0) x[i] = -INFINITY;
        if (i % 3001 == 0) x[i] = 3e38f;
        if (i >= 20000 && i < 21000) x[i] = i % 2 ? 1e30f : -1e30f;
    }
    for (int m = 0; m < 3; m++) {
        cs_listen_config c;
        cs_listen_config_default(&c, 48000.0f);
        c.mode = modes[m];
        c.onset.delta_abs = 0.01f;
        size_t bytes = cs_listener_bytes(&c);
        void *mem = malloc(bytes);
        cs_fft_ops ops = cs_fft_host_ops(host);
        cs_listener *l = NULL;
        CS_CHECK(mem && cs_listener_init(mem, bytes, &c, &ops, &l) == 0, "init mode %d", modes[m]);
        if (!l) {
            free(mem);
            continue;
        }
        size_t bad[2] = {0, 0};
        for (size_t i = 0; i < n; i += 512)
            cs_listener_push(l, x + i, n - i < 512 ? n - i : 512, count_only, bad);
        cs_listener_finish(l, count_only, bad);
        CS_CHECK(bad[1] > 0 && bad[0] == 0, "mode %d: %zu units, %zu non-finite values", modes[m], bad[1], bad[0]);
        CS_CHECK(cs_listener_bad_samples(l) > 0, "bad samples counted");
        CS_CHECK(cs_listener_failed(l) == 0, "mode %d: nothing failed", modes[m]);
        CS_CHECK(cs_listener_push(l, x, 10, count_only, bad) == 0, "no push after finish");
        cs_listener_reset(l);
        CS_CHECK(cs_listener_samples(l) == 0 && cs_listener_bad_samples(l) == 0, "reset");
        CS_CHECK(cs_listener_push(l, x, 0, count_only, bad) == 0, "empty push");
        bad[1] = 0;
        CS_CHECK(cs_listener_finish(l, count_only, bad) >= 0 && bad[1] == 0, "an empty signal has no unit");
        cs_listener_reset(l);
        CS_CHECK(cs_listener_push(l, NULL, 5, count_only, bad) == CS_LISTEN_E_ARG, "NULL samples");
        CS_CHECK(cs_listener_push(l, x, 5, NULL, bad) == CS_LISTEN_E_ARG, "NULL emit");
        CS_CHECK(cs_listener_init(mem, bytes - 1, &c, &ops, &l) == CS_LISTEN_E_ARG && l == NULL, "memory too small");
        free(mem);
    }
    free(x);

    cs_listen_config c;
    cs_listen_config_default(&c, 48000.0f);
    CS_CHECK(cs_listen_config_check(&c) == 0 && cs_listener_bytes(&c) > 0, "defaults valid");
    cs_listen_config b = c;
    b.mode = 4;
    CS_CHECK(cs_listen_config_check(&b) == CS_LISTEN_E_ARG && cs_listener_bytes(&b) == 0, "unknown mode");
    b.mode = -1;
    CS_CHECK(cs_listen_config_check(&b) == CS_LISTEN_E_ARG, "negative mode");
    b = c;
    b.mode = CS_LISTEN_GRAINS;
    b.grain_len = 0;
    CS_CHECK(cs_listen_config_check(&b) == CS_LISTEN_E_ARG, "grain_len 0");
    b.grain_len = 6400, b.grain_hop = 99;
    CS_CHECK(cs_listen_config_check(&b) == CS_LISTEN_E_ARG, "more than 64 grains open");
    b = c;
    b.mode = CS_LISTEN_ONSETS;
    b.onset.max_len_s = 1000.0f;
    CS_CHECK(cs_listen_config_check(&b) == CS_LISTEN_E_ARG, "max_len beyond CS_LISTEN_MAX_UNIT");
    b.onset.max_len_s = 2.0f;
    b.onset.delta_abs = NAN;
    CS_CHECK(cs_listen_config_check(&b) == CS_LISTEN_E_ARG, "NaN delta_abs");
    b = c;
    b.frame.hop = 0;
    CS_CHECK(cs_listen_config_check(&b) == CS_LISTEN_E_ARG, "hop 0");
    CS_CHECK(cs_listen_config_check(NULL) == CS_LISTEN_E_ARG, "NULL config");
    b = c;
    b.mode = CS_LISTEN_ONSETS;
    b.onset.max_len_s = 2.0f;
    size_t on_bytes = cs_listener_bytes(&b);
    b.mode = CS_LISTEN_GRAINS;
    printf("memory: frames %zu B, onsets (max 2 s) %zu B, grains 100 ms %zu B at 48 kHz\n", cs_listener_bytes(&c),
           on_bytes, cs_listener_bytes(&b));
    CS_CHECK(on_bytes < 300000, "onsets need no ring of max_len samples: %zu B", on_bytes);
}

/* ------------------------------------------------------------------ the detector itself */

typedef struct seen {
    cs_onset_boundary b[16];
    int n;
    uint64_t at[16]; /* frames pushed when it was emitted */
    const cs_onset *o;
} seen;

static void note(void *user, const cs_onset_boundary *b)
{
    seen *s = user;
    if (s->n < 16) s->at[s->n] = cs_onset_frames(s->o), s->b[s->n++] = *b;
}

static void test_detector(void)
{
    cs_onset_config c;
    cs_onset_config_default(&c);
    c.delta_abs = 0.01f;
    c.refine_s = 0.0f;
    size_t bytes = cs_onset_bytes(&c, 48000.0f, 512);
    CS_CHECK(bytes > 0, "bytes");
    void *mem = malloc(bytes);
    cs_onset *o = NULL;
    CS_CHECK(mem && cs_onset_init(mem, bytes, &c, 48000.0f, 512, &o) == 0, "init");
    if (!o) {
        free(mem);
        return;
    }
    seen s = {.n = 0, .o = o};
    /* flux: quiet, a weak peak at frame 20, a stronger one at frame 22 (within min_len = 2400 samples, 4.7
     * frames): earliest first keeps the weak one (the detector before issue 10 kept the strongest) */
    for (int i = 0; i < 40; i++) {
        float flux = i == 20 ? 0.5f : i == 22 ? 0.9f : 0.001f;
        cs_onset_push(o, flux, 0.1f, note, &s);
    }
    CS_CHECK(s.n == 1 && s.b[0].frame == 20 && !s.b[0].forced, "one onset, the earlier: %d", s.n);
    CS_CHECK(s.n >= 1 && s.at[0] == 21, "decided while frame 21 is pushed (L = 1 frame): %llu",
             (unsigned long long)(s.n ? s.at[0] : 0));
    CS_CHECK(s.n >= 1 && s.b[0].sample == 20 * 512 - 256 - 240, "boundary = cell start - pre: %llu",
             (unsigned long long)(s.n ? s.b[0].sample : 0));
    /* no onset for 2 s: a forced cut at exactly boundary + max_len, decided once no onset can come within min_len
     * after it: min_len + pre + about two hops after its position */
    const uint64_t cut = s.b[0].sample + 96000;
    for (int i = 40; i < 400 && s.n < 2; i++)
        cs_onset_push(o, 0.001f, 0.1f, note, &s);
    CS_CHECK(s.n == 2 && s.b[1].forced && s.b[1].sample == cut, "forced cut at max_len");
    CS_CHECK(s.n == 2 && s.b[1].frame * 512 <= cut + 2400 + 3 * 512 + 240, "cut decided promptly: frame %llu",
             (unsigned long long)s.b[1].frame);
    cs_onset_reset(o);
    CS_CHECK(cs_onset_frames(o) == 0 && cs_onset_last(o) == 0, "reset");
    /* an onset less than min_len after where the max_len cut would be: the cut moves back to min_len before it,
     * the onset is kept (frame 210: boundary 210*512 - 256 - 240 = 107024, the cut would be at 9744 + 96000) */
    s.n = 0;
    for (int i = 0; i < 260; i++)
        cs_onset_push(o, i == 20 || i == 210 ? 0.9f : 0.001f, 0.1f, note, &s);
    CS_CHECK(s.n == 3 && s.b[0].sample == 9744 && s.b[1].forced && s.b[1].sample == 107024 - 2400 && !s.b[2].forced &&
                 s.b[2].sample == 107024,
             "moved cut: %d boundaries", s.n);
    cs_onset_finish(o, 260 * 512, note, &s);
    CS_CHECK(s.n == 3, "finish: the last event is shorter than max_len, no cut");
    cs_onset_reset(o);
    cs_onset_push(o, NAN, INFINITY, note, &s);
    CS_CHECK(cs_onset_bad_values(o) == 2, "non-finite values counted");
    /* configuration */
    cs_onset_config b = c;
    b.max_len_s = 0.09f;
    CS_CHECK(cs_onset_config_check(&b, 48000.0f, 512, NULL) == CS_ONSET_E_ARG, "max_len < 2 min_len");
    b = c;
    b.median_s = 1e4f;
    CS_CHECK(cs_onset_bytes(&b, 48000.0f, 512) == 0, "median window too long");
    CS_CHECK(cs_onset_init(mem, bytes - 1, &c, 48000.0f, 512, &o) == CS_ONSET_E_ARG && o == NULL, "memory too small");
    CS_CHECK(cs_onset_delta_abs(0.1, 0.25) == (float)((double)0.1f * 0.25), "delta_abs rounding");
    free(mem);
}

/* Latency of an onset: from the attack's first sample to the sample count at which the event it ends is emitted
 * (cs_listen_unit.known_at; the listener fed one sample at a time, so no block rounds it up: a host adds at most
 * one block). Clicks and noise bursts at every sub-hop offset over low noise, 48 kHz. The bound: the attack's
 * flux peak is at most one frame after the frame whose hop cell holds the attack, the decision one frame later,
 * and a frame is computed `context` samples after its centre: <= context + 2 hops. */
static units latency_units;

/* ATTACKS: each attack t[k] is answered by exactly one unit, and no unit answers nothing (no false alarm on this
 * signal); the unit is the last hop before its report (the attack's first hop, or the next). The alarm comes with the
 * early report (at i*hop + fft/2) of the first frame whose window holds the attack ([0, hop) after it) or, when the
 * attack sits where that window's Hann taper hides it, of the next ([hop, 2 hops)): < 2 hops, measured 32 .. 269
 * at fft 1024 / hop 256 (the onset report of the same attacks: 458 .. 745). */
static void attack_latency(const units *u, const size_t *t, size_t ne, int fft, int hop)
{
    size_t found = 0, extra = 0;
    long worst = -1, best = 1L << 40;
    for (size_t q = 0; q < u->n; q++) {
        const long k_at = (long)u->v[q].known_at;
        int hit = 0;
        for (size_t k = 0; k < ne; k++) {
            const long lat = k_at - (long)t[k];
            if (lat < 0 || lat > 2 * hop) continue;
            hit = 1;
            worst = lat > worst ? lat : worst;
            best = lat < best ? lat : best;
            CS_CHECK(u->v[q].start + u->v[q].length == u->v[q].known_at && u->v[q].length == (uint64_t)hop,
                     "fft %d: an attack unit is the last hop before its report", fft);
        }
        found += hit;
        extra += !hit;
    }
    CS_CHECK(found == ne && extra == 0, "fft %d hop %d: %zu of %zu attacks answered, %zu reports of nothing", fft, hop,
             found, ne, extra);
    CS_CHECK(worst >= 0 && worst < 2 * hop, "fft %d hop %d: worst attack latency %ld >= two hops", fft, hop, worst);
    printf("attack latency at 48 kHz, fft %d hop %d: %ld .. %ld samples from the attack to the report (%zu of %zu "
           "attacks, no other report; + at most one block in a host)\n",
           fft, hop, best, worst, found, ne);
}

static void test_latency(cs_fft_host *host)
{
    const int sizes[2][2] = {{1024, 256}, {2048, 512}};
    const size_t n = 48000 * 6, ne = 18;
    float *x = malloc(n * sizeof *x);
    CS_CHECK(x != NULL, "alloc");
    if (!x) return;
    uint64_t seed = 7;
    for (size_t i = 0; i < n; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        x[i] = (float)(1e-3 * ((double)(seed >> 11) / 9007199254740992.0 - 0.5));
    }
    size_t t[18];
    for (size_t k = 0; k < ne; k++) {
        t[k] = 12000 + k * 15000 + (k * 37) % 512; /* 0.31 s apart, every offset inside a hop */
        for (size_t j = 0; j < (k % 2 ? 2400 : 1) && t[k] + j < n; j++) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            x[t[k] + j] += k % 2 ? (float)(0.5 * ((double)(seed >> 11) / 9007199254740992.0 - 0.5)) : 0.8f;
        }
    }
    for (int z = 0; z < 2; z++) {
        cs_frame_params fp;
        cs_frame_params_default(&fp, 48000);
        fp.fft_size = sizes[z][0];
        fp.hop = sizes[z][1];
        cs_listen_config c;
        cs_listen_config_default(&c, 48000.0f);
        CS_CHECK(cs_frame_params_config(&fp, &c.frame) == 0, "frame config");
        cs_frames f;
        memset(&f, 0, sizeof f);
        if (cs_frames_analyze(x, n, &fp, 2, &f) != 0) {
            CS_CHECK(0, "frames");
            continue;
        }
        double sum = 0.0;
        for (size_t i = 0; i < f.n_frames; i++)
            sum += (double)f.data[i * CS_FF_COUNT + CS_FF_FLUX];
        cs_onset_params p;
        cs_onset_params_default(&p);
        c.mode = CS_LISTEN_ONSETS;
        cs_onset_params_to_config(&p, sum / (double)f.n_frames, &c.onset);
        cs_frames_free(&f);
        long heap;
        CS_CHECK(listen_file(&c, host, x, n, 1, &latency_units, &heap) == 0, "listen");
        const units *u = &latency_units;
        /* the unit starting at attack k (minus pre, within two hops) ends the unit before it, emitted when that
         * boundary is known */
        size_t found = 0;
        long worst = 0, best = 1L << 40;
        const long ctx = (long)(sizes[z][0] / 2 > 1024 ? sizes[z][0] / 2 : 1024); /* the context at 48 kHz */
        for (size_t k = 0; k < ne; k++) {
            for (size_t q = 1; q < u->n; q++) {
                long b = (long)u->v[q].start;
                if (b > (long)t[k] || (long)t[k] - b > 2 * sizes[z][1] + 240) continue;
                long lat = (long)u->v[q - 1].known_at - (long)t[k];
                worst = lat > worst ? lat : worst;
                best = lat < best ? lat : best;
                found++;
                break;
            }
        }
        CS_CHECK(found == ne, "fft %d hop %d: %zu of %zu attacks found", sizes[z][0], sizes[z][1], found, ne);
        CS_CHECK(worst <= ctx + 2 * sizes[z][1], "fft %d hop %d: worst latency %ld > context %ld + 2 hops", sizes[z][0],
                 sizes[z][1], worst, ctx);
        printf("onset latency at 48 kHz, fft %d hop %d (context %ld): %ld .. %ld samples from the attack to the "
               "emission (+ at most one block in a host)\n",
               sizes[z][0], sizes[z][1], ctx, best, worst);
        c.mode = CS_LISTEN_ATTACKS;
        CS_CHECK(listen_file(&c, host, x, n, 1, &latency_units, &heap) == 0 && heap == 0, "listen to attacks");
        attack_latency(u, t, ne, sizes[z][0], sizes[z][1]);
    }
    free(x);
}

/* Property test of the detector on random spiky flux, several configurations: boundaries increase, every event
 * between two boundaries is within [min_len, max_len] (the last, ended by the signal, <= max_len), and no boundary
 * comes before a value cs_onset_settled returned earlier (the listener's level gathering relies on it). */
typedef struct prop {
    uint64_t settled_max; /* the largest settled value returned so far */
    uint64_t last;
    uint64_t min_len, max_len;
    long bad_order, bad_len, before_settled, n;
    int hop;
    uint64_t alarm;   /* frame of the last alarm + 1 (0: none yet) */
    long no_alarm;    /* onsets (not forced) without an alarm in [frame - ceil(min_len / hop) + 1, frame] */
    long alarms;      /* alarms raised */
    long close_alarm; /* alarms less than min_len after the previous one */
} prop;

static void prop_note(void *user, const cs_onset_boundary *b)
{
    prop *p = user;
    if (!b->forced) {
        const uint64_t span = (p->min_len + (uint64_t)p->hop - 1) / (uint64_t)p->hop;
        if (p->alarm == 0 || p->alarm - 1 > b->frame || b->frame - (p->alarm - 1) >= span) p->no_alarm++;
    }
    if (b->sample <= p->last) p->bad_order++;
    uint64_t len = b->sample - p->last;
    if (b->sample > p->last && (len < p->min_len || len > p->max_len)) p->bad_len++;
    if (b->sample < p->settled_max) p->before_settled++;
    p->last = b->sample;
    p->n++;
}

static void test_detector_random(void)
{
    const float mins[4] = {0.05f, 0.001f, 0.01f, 0.02f}, maxs[4] = {2.0f, 0.003f, 0.05f, 0.2f};
    const float refines[4] = {0.03f, 0.0f, 0.03f, 0.0f}, pres[4] = {0.005f, 0.05f, 0.0f, 0.02f};
    const int hops[4] = {512, 64, 256, 100};
    uint64_t seed = 99;
    long total = 0;
    for (int k = 0; k < 4; k++) {
        cs_onset_config c;
        cs_onset_config_default(&c);
        c.delta_abs = 0.05f;
        c.min_len_s = mins[k];
        c.max_len_s = maxs[k];
        c.refine_s = refines[k];
        c.pre_s = pres[k];
        size_t bytes = cs_onset_bytes(&c, 48000.0f, hops[k]);
        void *mem = malloc(bytes);
        cs_onset *o = NULL;
        CS_CHECK(mem && cs_onset_init(mem, bytes, &c, 48000.0f, hops[k], &o) == 0, "init %d", k);
        if (!o) {
            free(mem);
            continue;
        }
        const cs_onset_plan *pl = cs_onset_get_plan(o);
        prop p = {0, 0, pl->min_len, pl->max_len, 0, 0, 0, 0, hops[k], 0, 0, 0, 0};
        const int frames = 20000;
        for (int i = 0; i < frames; i++) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            double u = (double)(seed >> 11) / 9007199254740992.0;
            float flux = (float)(u < 0.05 ? 1.0 + 5.0 * u : 0.1 * u), peak = (float)(u < 0.05 ? 0.9 : 0.01 + 0.1 * u);
            cs_onset_push(o, flux, peak, prop_note, &p);
            if (cs_onset_alarmed(o)) { /* the alarm of frame i, noted after its push (the onset of i - 1 first) */
                if (p.alarm > 0 && ((uint64_t)i - (p.alarm - 1)) * (uint64_t)hops[k] < p.min_len) p.close_alarm++;
                p.alarm = (uint64_t)i + 1;
                p.alarms++;
            }
            uint64_t st = cs_onset_settled(o);
            if (st > p.settled_max) p.settled_max = st;
        }
        const uint64_t n = (uint64_t)(frames - 1) * (uint64_t)hops[k];
        cs_onset_finish(o, n, prop_note, &p);
        CS_CHECK(p.bad_order == 0 && p.bad_len == 0 && p.before_settled == 0,
                 "config %d: %ld boundaries, %ld out of order, %ld of a bad length, %ld before a settled point", k, p.n,
                 p.bad_order, p.bad_len, p.before_settled);
        CS_CHECK(n - p.last <= pl->max_len, "config %d: the last event is <= max_len", k);
        CS_CHECK(p.no_alarm == 0 && p.close_alarm == 0 && p.alarms > 0,
                 "config %d: %ld alarms, %ld onsets without their alarm, %ld alarms closer than min_len", k, p.alarms,
                 p.no_alarm, p.close_alarm);
        total += p.n;
        free(mem);
    }
    printf("detector property test: %ld boundaries in 4 configurations, all in order, lengths in [min_len, max_len]\n",
           total);
}

int main(void)
{
    cs_fft_host *host = cs_fft_host_new(CS_FRAME_MAX_FFT);
    CS_CHECK(host != NULL, "FFT host");
    if (!host) CS_TEST_END();
    test_detector();
    test_detector_random();
    test_abuse(host);
    test_latency(host);

    float *x = NULL;
    size_t n = 0;
    int rate = 0, ran = 0;
    read_mono("/usr/share/SuperCollider/sounds/a11wlk01.wav", &x, &n, &rate);
    if (n > 0) {
        test_signal(x, n, rate, host, "a11wlk01", 0);
        test_signal(x, n, rate, host, "a11wlk01 fft 256 hop 256 f0_min 20", 1);
        test_signal(x, n, rate, host, "a11wlk01 fft 1024 hop 256", 2);
        ran++;
    } else {
        printf("a11wlk01.wav not found (supercollider): skipped\n");
    }
    free(x);
    x = NULL;
    n = 0;
    rate = 0;
    if (read_kit("/usr/share/hydrogen/data/drumkits/Millo-Drums_v.1", &x, &n, &rate) == 0) {
        test_signal(x, n, rate, host, "Millo-Drums kit", 0);
        test_signal(x, n, rate, host, "Millo-Drums kit fft 1024 hop 256", 2);
        ran++;
    } else {
        printf("hydrogen-drumkits not found: skipped\n");
    }
    free(x);
    cs_fft_host_free(host);
    if (ran == 0 && cs_test_failed == 0) return 77; /* no real audio here: skipped, not passed */
    CS_TEST_END();
}
