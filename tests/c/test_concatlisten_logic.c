/*
 * test_concatlisten_logic.c - the host-independent logic of the ConcatListen UGen (plugins/core/cs_concatlisten.h)
 * on real bundles that the built `concatseq analyze` makes from SuperCollider's a11wlk01.wav: the packed audio
 * (audio.wav, exactly the samples analyze described) is fed through cs_cl_bind + cs_cl_process in blocks of 1, 64, 256
 * and 1024 samples, as the UGen feeds it, with a reset at the end of the signal.
 *  - grains: every unit of the table is reported once, at its start, with the table's normalised descriptors
 *    (within 1e-5 of max(1, |value|): the table's center and scale are float32, see the tolerance note below) and
 *    its label for >= 99 % of the units; the reported label is always cs_ut_nearest_label of the reported
 *    descriptors (the chunked search is the exhaustive one, also with 200 labels = 2 chunks);
 *  - onsets: the live events start within one hop of the table's units (>= 99 % matched) and carry their labels;
 *  - the budget: a search over more labels than one block's chunk gives the exhaustive answers;
 *  - states: no table, a version 3 table without its listening section (what a v2 table parses to: has_listen 0),
 *    a bad table, a table swapped while listening (the listener reused, no new allocation for equal settings),
 *    the allocator refusing memory, an opening without FFT: label -1, trig 0, descriptors 0, finite;
 *  - abuse: NaN, inf and 1e30 samples: finite outputs, labels in range;
 *  - no heap call in cs_cl_process (the counting allocator, tests/c/cs_heap_count.h);
 *  - another server rate (44.1 kHz for a 48 kHz corpus): approximate, listens, finite.
 * Tolerance: analyze normalises (raw - center) / scale with its double statistics; the table stores them as
 * float32, which ConcatListen reads, so a normalised value may differ by |center| / scale * 2^-24 + |x| * 2^-24:
 * below 1e-5 for the descriptors of real corpora (|center| / scale < 100).
 */
#include "cs_concatlisten.h"
#include "cs_fft.h"
#include "cs_heap_count.h"
#include "cs_test.h"
#include "cs_test_heap.h"

#include <math.h>
#include <sndfile.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static float *read_wav(const char *path, size_t *n)
{
    SF_INFO info;
    memset(&info, 0, sizeof info);
    SNDFILE *f = sf_open(path, SFM_READ, &info);
    if (!f) return NULL;
    const size_t total = (size_t)info.frames * (size_t)info.channels;
    float *d = malloc(total * sizeof *d + 1);
    const sf_count_t got = sf_read_float(f, d, (sf_count_t)total);
    sf_close(f);
    if (got != (sf_count_t)total || info.channels != 1) {
        free(d);
        return NULL;
    }
    *n = total;
    return d;
}

typedef struct bundle {
    float *audio, *table;
    size_t n_audio, n_table;
    cs_ut_view view;
} bundle;

/* analyze a11wlk01.wav with `opts` into the work folder `name`; read its audio and table. */
static int make_bundle(bundle *b, const char *name, const char *opts)
{
    const char *snd = "/usr/share/SuperCollider/sounds/a11wlk01.wav";
    FILE *probe = fopen(snd, "rb");
    if (!probe) return 77;
    fclose(probe);
    char dir[2048], cmd[8192], path[4096];
    snprintf(dir, sizeof dir, "%s/tests/work/concatlisten_logic/%s", CS_BINARY_DIR, name);
    snprintf(cmd, sizeof cmd,
             "rm -rf '%s' && mkdir -p '%s' && '%s/corpus-tools/concatseq' analyze '%s' -o '%s/b' %s --quiet", dir, dir,
             CS_BINARY_DIR, snd, dir, opts);
    if (system(cmd) != 0) {
        fprintf(stderr, "failed: %s\n", cmd);
        return 1;
    }
    snprintf(path, sizeof path, "%s/b/audio.wav", dir);
    b->audio = read_wav(path, &b->n_audio);
    snprintf(path, sizeof path, "%s/b/units.wav", dir);
    b->table = read_wav(path, &b->n_table);
    if (!b->audio || !b->table || cs_ut_parse(b->table, b->n_table, 1, &b->view) != CS_UT_OK) return 1;
    return 0;
}

/* What a run reports: per trigger the unit's start (from age), label, distance and all descriptors. */
typedef struct report {
    uint64_t start, at; /* the unit's first sample; the sample of the trigger (block start + offset) */
    int32_t label;
    float distance;
    float x[CS_D_COUNT];
} report;

typedef struct run {
    report *r;
    size_t n, cap;
    int overrun, nonfinite, bad_label, bad_offset;
} run;

static cs_fft_host *host;
static cs_fft_ops ops;

/* Listen to the bundle's audio in blocks of `block` (a reset at the end, then blocks of silence to drain). */
static void listen(const bundle *b, int mode, uint32_t block, double rate, run *out, int count_heap,
                   long *heap_calls_out)
{
    float sel[CS_D_COUNT];
    for (int d = 0; d < CS_D_COUNT; ++d)
        sel[d] = (float)d;
    static cs_concatlisten cl;
    heap h = {SIZE_MAX, 0, 0};
    CS_CHECK(cs_cl_open(&cl, rate, (float)mode, sel, CS_D_COUNT, &ops) == CS_CL_OPEN_OK, "open");
    memset(out, 0, sizeof *out);
    out->cap = 4096;
    out->r = malloc(out->cap * sizeof *out->r);
    float *zeros = calloc(block, sizeof *zeros), one = 1.0f, none = 0.0f;
    const size_t n = b->n_audio, tail = (size_t)(3.0 * rate) / block + 4;
    uint64_t total = 0;
    if (count_heap) cs_heap_begin();
    for (size_t i = 0; i < n / block + 1 + tail; ++i) {
        const float *x = zeros;
        uint32_t m = block;
        const float *reset = &none;
        if (i * block < n) {
            x = b->audio + i * block;
            if (n - i * block < block) m = (uint32_t)(n - i * block);
        } else if (i == n / block + 1 || (n % block == 0 && i == n / block)) {
            reset = &one; /* end of the signal */
        }
        cs_cl_bind(&cl, b->table, (uint32_t)b->n_table, 1, heap_alloc, heap_free, &h);
        cs_cl_out o;
        cs_cl_process(&cl, x, m, reset, 0, &o);
        total += m;
        if (cl.searching && cl.next_label > cl.view.num_labels) out->overrun++;
        if (!isfinite(o.label) || !isfinite(o.distance) || !isfinite(o.age)) out->nonfinite++;
        for (uint32_t d = 0; d < CS_D_COUNT; ++d)
            if (!isfinite(o.desc[d])) out->nonfinite++;
        if (o.label < -1.0f || o.label >= (float)b->view.num_labels) out->bad_label++;
        if (o.trig > 0.0f && out->n < out->cap) {
            report *r = &out->r[out->n++];
            r->start = total - (uint64_t)llround((double)o.age * rate);
            r->at = total - m + o.offset;
            if (o.offset >= m) out->bad_offset++;
            r->label = (int32_t)o.label;
            r->distance = o.distance;
            memcpy(r->x, o.desc, sizeof r->x);
        }
    }
    if (count_heap) *heap_calls_out = cs_heap_end();
    cs_cl_close(&cl, heap_free, &h);
    free(zeros);
}

/* The report of the unit starting at `start` (within `tol` samples; the nearest), or NULL. */
static const report *find(const run *r, uint64_t start, uint64_t tol)
{
    const report *best = NULL;
    uint64_t bd = tol + 1;
    for (size_t i = 0; i < r->n; ++i) {
        const uint64_t d = r->r[i].start > start ? r->r[i].start - start : start - r->r[i].start;
        if (d < bd) bd = d, best = &r->r[i];
    }
    return best;
}

/* Compare a run with the table: matched units, descriptor parity, label agreement, the labels' rule. */
static void compare(const bundle *b, const run *r, uint64_t tol, const char *what, int exact)
{
    const cs_ut_view *v = &b->view;
    uint32_t matched = 0, agree = 0, desc_ok = 0, late = 0;
    double worst = 0.0;
    for (uint32_t u = 0; u < v->num_units; ++u) {
        const report *p = find(r, cs_ut_unit_start(v, u), tol);
        if (!p) continue;
        matched++;
        if (p->label == cs_ut_unit_label(v, u)) agree++;
        const float *t = cs_ut_unit_descriptors(v, u);
        double e = 0.0;
        for (uint32_t d = 0; d < v->num_descriptors; ++d) {
            const double err = fabs((double)p->x[d] - (double)t[d]) / fmax(1.0, fabs((double)t[d]));
            if (err > e) e = err;
        }
        if (e <= 1e-5) desc_ok++;
        /* the trigger's sample: after the unit's last sample, within the analysis' look-ahead and a search */
        const uint64_t end = cs_ut_unit_start(v, u) + cs_ut_unit_length(v, u);
        if (p->at + 1 < end || p->at > end + 4096 + 2048) late++;
        if (e > worst) worst = e;
    }
    uint32_t rule = 0;
    for (size_t i = 0; i < r->n; ++i) {
        double d2;
        if (cs_ut_nearest_label(v, r->r[i].x, &d2) == r->r[i].label) rule++;
    }
    printf(
        "%s: %u units, %zu reported, %u matched, labels agree %u (%.2f %%), descriptors within 1e-5 %u, worst %.3g\n",
        what, v->num_units, r->n, matched, agree, 100.0 * agree / v->num_units, desc_ok, worst);
    CS_CHECK(matched * 100u >= v->num_units * 99u, "%s: %u of %u units found within %llu samples", what, matched,
             v->num_units, (unsigned long long)tol);
    CS_CHECK(agree * 100u >= v->num_units * 99u, "%s: labels agree for %u of %u units", what, agree, v->num_units);
    if (exact) CS_CHECK(desc_ok == matched, "%s: descriptors of %u of %u units within 1e-5", what, desc_ok, matched);
    CS_CHECK(rule == r->n, "%s: %u of %zu reported labels are cs_ut_nearest_label of their descriptors", what, rule,
             r->n);
    CS_CHECK(r->nonfinite == 0 && r->bad_label == 0, "%s: %d non-finite outputs, %d labels out of range", what,
             r->nonfinite, r->bad_label);
    CS_CHECK(r->bad_offset == 0 && (!exact || late == 0),
             "%s: %d trigger offsets outside the block, %u triggers before their unit's end or too late", what,
             r->bad_offset, late);
}

/* Mode ATTACKS on an onset bundle's audio: every unit after the first (an onset of the corpus's detector, or a
 * max_len cut, recognised by its length) is answered by an attack report triggered at most fft/2 + 2 hops + pre
 * after the unit's start (cs_onset.h, "Alarms"), i.e. before the onset mode's report of the event it ends; each
 * report's label follows the table's rule; every output is finite; no heap call but the bind's. */
static void attacks_of(const bundle *b, uint32_t block)
{
    run r;
    long calls = -1;
    listen(b, CS_LISTEN_ATTACKS, block, b->view.sample_rate, &r, 1, &calls);
    const cs_ut_view *v = &b->view;
    const uint64_t hop = (uint64_t)v->listen.frame.hop, fft = (uint64_t)v->listen.frame.fft_size;
    const uint64_t rate = (uint64_t)v->sample_rate,
                   pre = (uint64_t)llround((double)v->listen.onset_pre_s * (double)rate);
    const uint64_t max_len = (uint64_t)llround((double)v->listen.onset_max_len_s * (double)rate);
    uint32_t onsets = 0, answered = 0, rule = 0;
    for (uint32_t u = 1; u < v->num_units; ++u) {
        if (cs_ut_unit_length(v, u - 1) == max_len) continue; /* a max_len cut has no alarm */
        const uint64_t s = cs_ut_unit_start(v, u);
        onsets++;
        for (size_t i = 0; i < r.n; ++i)
            if (r.r[i].at + 2400 >= s && r.r[i].at <= s + fft / 2 + 2 * hop + pre + block) {
                answered++;
                break;
            }
    }
    for (size_t i = 0; i < r.n; ++i) {
        double d2;
        rule += cs_ut_nearest_label(v, r.r[i].x, &d2) == r.r[i].label;
    }
    printf("attacks, blocks of %u: %zu reports, %u of %u onsets answered\n", block, r.n, answered, onsets);
    CS_CHECK(onsets > 0 && answered == onsets, "attacks, blocks of %u: %u of %u onsets answered", block, answered,
             onsets);
    CS_CHECK(rule == r.n && r.nonfinite == 0 && r.bad_label == 0 && r.bad_offset == 0,
             "attacks, blocks of %u: labels by the rule %u of %zu, %d non-finite, %d bad labels, %d bad offsets", block,
             rule, r.n, r.nonfinite, r.bad_label, r.bad_offset);
    (void)calls;
#if CS_COUNT_HEAP
    /* listen() binds with heap_alloc (malloc) once, at the first block: that one call is the listener's memory */
    CS_CHECK(calls == 1, "attacks, blocks of %u: %ld heap calls, not the one of the first bind", block, calls);
#endif
    free(r.r);
}

static void test_parity(void)
{
    bundle g, o;
    memset(&g, 0, sizeof g);
    memset(&o, 0, sizeof o);
    int rc = make_bundle(&g, "grains", "--segment grain --clusters 6");
    CS_CHECK(rc == 0, "grain bundle");
    if (rc) return;
    const uint32_t blocks[] = {1, 64, 256, 1024};
    for (int i = 0; i < 4; ++i) {
        run r;
        char what[64];
        snprintf(what, sizeof what, "grains, blocks of %u", blocks[i]);
        listen(&g, CS_LISTEN_GRAINS, blocks[i], g.view.sample_rate, &r, 0, NULL);
        compare(&g, &r, 0, what, 1);
        size_t inside = 0; /* reports of units of the file (not of the silence after the reset at its end) */
        for (size_t j = 0; j < r.n; ++j)
            inside += r.r[j].start < g.n_audio;
        CS_CHECK(inside == g.view.num_units, "%s: %zu reports for %u units", what, inside, g.view.num_units);
        free(r.r);
    }
    rc = make_bundle(&o, "onsets", "--segment onset --clusters 6");
    CS_CHECK(rc == 0, "onset bundle");
    if (rc) return;
    for (int i = 0; i < 4; ++i) {
        run r;
        char what[64];
        snprintf(what, sizeof what, "onsets, blocks of %u", blocks[i]);
        listen(&o, CS_LISTEN_ONSETS, blocks[i], o.view.sample_rate, &r, 0, NULL);
        compare(&o, &r, (uint64_t)o.view.listen.frame.hop, what, 0);
        free(r.r);
        attacks_of(&o, blocks[i]);
    }
    free(g.audio), free(g.table), free(o.audio), free(o.table);
}

/* Many labels: the search runs in chunks (one per block), its answers are the exhaustive ones. */
static void test_chunks(void)
{
    bundle b;
    memset(&b, 0, sizeof b);
    int rc = make_bundle(&b, "many", "--segment grain --unit-ms 20 --hop-ms 20 --clusters 200");
    CS_CHECK(rc == 0, "many-label bundle");
    if (rc) return;
    const uint32_t chunk = CS_CL_SEARCH_BUDGET / b.view.num_descriptors;
    CS_CHECK(b.view.num_labels > chunk, "%u labels > one chunk of %u", b.view.num_labels, chunk);
    run r;
    listen(&b, CS_LISTEN_GRAINS, 64, b.view.sample_rate, &r, 0, NULL);
    compare(&b, &r, 0, "grains, 200 labels", 1);
    CS_CHECK(r.overrun == 0, "the search never runs past the last label");
    /* one chunk per block: a unit's report comes ceil(K / chunk) - 1 blocks after its completion at the earliest */
    const uint32_t chunks = (b.view.num_labels + chunk - 1) / chunk;
    CS_CHECK(chunks >= 2, "%u chunks", chunks);
    free(r.r), free(b.audio), free(b.table);
}

static void expect_failing(cs_concatlisten *cl, const float *in, uint32_t n, const char *what)
{
    cs_cl_out o;
    cs_cl_process(cl, in, n, NULL, 0, &o);
    int zeros = 1;
    for (uint32_t d = 0; d < cl->num_select; ++d)
        if (o.desc[d] != 0.0f) zeros = 0;
    CS_CHECK(o.trig == 0.0f && o.label == -1.0f && o.distance == 0.0f && zeros, "%s: label -1, trig 0, zeros", what);
}

static void test_states(void)
{
    bundle b, c;
    memset(&b, 0, sizeof b);
    memset(&c, 0, sizeof c);
    if (make_bundle(&b, "states", "--segment onset --clusters 4") || make_bundle(&c, "states2", "--clusters 5")) {
        CS_CHECK(0, "state bundles");
        return;
    }
    static cs_concatlisten cl;
    heap h = {SIZE_MAX, 0, 0};
    const float sel[3] = {CS_D_LOUDNESS, CS_D_CENTROID, 99.0f};
    float block[64];
    for (int i = 0; i < 64; ++i)
        block[i] = 0.25f * sinf((float)i * 0.3f);

    /* no FFT: nothing listens */
    CS_CHECK(cs_cl_open(&cl, 48000, 1, sel, 3, NULL) == CS_CL_OPEN_FFT, "open without FFT");
    CS_CHECK(cs_cl_bind(&cl, b.table, (uint32_t)b.n_table, 1, heap_alloc, heap_free, &h) == CS_CL_NO_FFT, "no FFT");
    expect_failing(&cl, block, 64, "no FFT");
    CS_CHECK(cs_cl_open(&cl, NAN, 1, sel, 3, &ops) == CS_CL_OPEN_RATE, "NaN rate refused");

    CS_CHECK(cs_cl_open(&cl, 48000, NAN, sel, 3, &ops) == CS_CL_OPEN_OK && cl.mode == CS_LISTEN_ONSETS, "NaN mode");
    CS_CHECK(cl.select[2] == -1, "a bad descriptor index is kept as -1");
    CS_CHECK(cs_cl_bind(&cl, NULL, 0, 0, heap_alloc, heap_free, &h) == CS_CL_NO_TABLE, "no table");
    expect_failing(&cl, block, 64, "no table");

    /* a version 3 table without its listening section (what a version 2 table gives: has_listen 0) */
    float *bare = malloc(b.n_table * sizeof *bare);
    memcpy(bare, b.table, b.n_table * sizeof *bare);
    bare[CS_UT_H_LISTEN_OFFSET_HI] = 0.0f;
    bare[CS_UT_H_LISTEN_OFFSET_LO] = 0.0f;
    cs_ut_view bv;
    if (cs_ut_parse(bare, b.n_table, 0, &bv) == CS_UT_OK && !bv.has_listen) {
        CS_CHECK(cs_cl_bind(&cl, bare, (uint32_t)b.n_table, 1, heap_alloc, heap_free, &h) == CS_CL_NO_LISTEN,
                 "no listening section");
        expect_failing(&cl, block, 64, "no listening section");
    }
    bare[0] = 7.0f; /* not a unit table */
    CS_CHECK(cs_cl_bind(&cl, bare, (uint32_t)b.n_table - 1, 1, heap_alloc, heap_free, &h) == CS_CL_BAD_TABLE,
             "bad magic");
    expect_failing(&cl, block, 64, "bad table");
    CS_CHECK(cs_cl_bind(&cl, b.table, (uint32_t)b.n_table, 2, heap_alloc, heap_free, &h) == CS_CL_BAD_TABLE,
             "two channels");

    /* the allocator refuses; then gives */
    h.limit = 16;
    CS_CHECK(cs_cl_bind(&cl, b.table, (uint32_t)b.n_table, 1, heap_alloc, heap_free, &h) == CS_CL_NO_MEMORY,
             "no memory");
    expect_failing(&cl, block, 64, "no memory");
    h.limit = SIZE_MAX;
    CS_CHECK(cs_cl_bind(&cl, bare, (uint32_t)b.n_table, 1, heap_alloc, heap_free, &h) == CS_CL_BAD_TABLE, "bad again");
    CS_CHECK(cs_cl_bind(&cl, b.table, (uint32_t)b.n_table, 1, heap_alloc, heap_free, &h) == CS_CL_OK, "good table");
    const int allocs = h.allocs;

    /* abuse while listening: NaN, inf, huge, then a real signal; outputs finite, labels in range */
    int bad = 0, trigs = 0;
    for (int i = 0; i < 3000; ++i) {
        float x[64];
        for (int j = 0; j < 64; ++j) {
            const int k = (i * 64 + j) % 9;
            x[j] = k == 0   ? NAN
                   : k == 1 ? INFINITY
                   : k == 2 ? -1e30f
                   : k == 3 ? 1e30f
                            : b.audio[(i * 64 + j) % b.n_audio];
        }
        if (i > 1500) memcpy(x, b.audio + (size_t)(i - 1500) * 64, sizeof x);
        cs_cl_bind(&cl, b.table, (uint32_t)b.n_table, 1, heap_alloc, heap_free, &h);
        cs_cl_out o;
        cs_cl_process(&cl, x, 64, NULL, 0, &o);
        trigs += o.trig > 0.0f;
        if (!isfinite(o.label) || !isfinite(o.distance) || !isfinite(o.age) || !isfinite(o.desc[0]) ||
            !isfinite(o.desc[1]) || o.desc[2] != 0.0f || o.label < -1.0f || o.label >= (float)b.view.num_labels)
            bad++;
    }
    CS_CHECK(bad == 0, "abuse: %d blocks with a non-finite or out-of-range output", bad);
    CS_CHECK(trigs > 10, "abuse: the listener still reports units (%d)", trigs);

    /* a swap to a copy of the same table (same settings): rebinds, reuses the memory */
    float *copy = malloc(b.n_table * sizeof *copy);
    memcpy(copy, b.table, b.n_table * sizeof *copy);
    CS_CHECK(cs_cl_bind(&cl, copy, (uint32_t)b.n_table, 1, heap_alloc, heap_free, &h) == CS_CL_OK, "swap");
    CS_CHECK(h.allocs == allocs, "the swap reused the listener's memory (%d allocations)", h.allocs - allocs);
    cs_cl_out o;
    cs_cl_process(&cl, block, 64, NULL, 0, &o);
    CS_CHECK(o.label == -1.0f, "after a swap the label is -1 until the first unit");
    /* a swap to another corpus (grains, 5 labels) while listening */
    CS_CHECK(cs_cl_bind(&cl, c.table, (uint32_t)c.n_table, 1, heap_alloc, heap_free, &h) == CS_CL_OK, "swap 2");
    int seen = 0;
    for (size_t i = 0; i + 64 <= c.n_audio && i < 48000 * 3; i += 64) {
        cs_cl_bind(&cl, c.table, (uint32_t)c.n_table, 1, heap_alloc, heap_free, &h);
        cs_cl_process(&cl, c.audio + i, 64, NULL, 0, &o);
        if (o.trig > 0.0f) seen++;
        if (o.label < -1.0f || o.label >= (float)c.view.num_labels) bad++;
    }
    CS_CHECK(seen > 0 && bad == 0, "the swapped corpus labels (%d units, %d bad)", seen, bad);
    /* the Buffer freed while listening */
    CS_CHECK(cs_cl_bind(&cl, NULL, 0, 0, heap_alloc, heap_free, &h) == CS_CL_NO_TABLE, "freed");
    expect_failing(&cl, block, 64, "freed");
    cs_cl_close(&cl, heap_free, &h);
    CS_CHECK(h.allocs == h.frees, "every allocation given back (%d / %d)", h.allocs, h.frees);

    /* another server rate: approximate, still labels */
    run r;
    listen(&c, CS_LISTEN_GRAINS, 64, 44100.0, &r, 0, NULL);
    CS_CHECK(r.n > c.view.num_units / 2 && r.nonfinite == 0 && r.bad_label == 0,
             "44.1 kHz for a 48 kHz corpus: %zu units reported, finite", r.n);
    cs_listen_config lc;
    CS_CHECK(cs_cl_config(&c.view.listen, 44100.0, CS_LISTEN_GRAINS, &lc) == 1 && lc.frame.sample_rate == 44100.0f &&
                 lc.frame.fft_size == 2048 && lc.frame.hop == 470,
             "scaled config: fft %d hop %d", lc.frame.fft_size, lc.frame.hop);
    free(r.r);

    /* no heap call while listening */
    long calls = 0;
    listen(&c, CS_LISTEN_ONSETS, 64, c.view.sample_rate, &r, 1, &calls);
    (void)calls;
#if CS_COUNT_HEAP
    /* listen() binds with heap_alloc (malloc) once, at the first block: that one call is the listener's memory */
    CS_CHECK(calls == 1, "one heap call (the listener's memory at the first bind) in %zu blocks, not %ld",
             c.n_audio / 64, calls);
#endif
    free(r.r);
    free(bare), free(copy), free(b.audio), free(b.table), free(c.audio), free(c.table);
}

/* A control-rate host (trig_gap = 1): frames mode with blocks longer than the hop completes a unit in every block;
 * a report must never follow a report directly (trig 1, 1 would be one rising edge for ConcatPlay / SeqPredict).
 * Without trig_gap (the audio-rate host, whose impulses are separate samples) consecutive reports do happen. */
static void test_trig_gap(void)
{
    bundle g;
    memset(&g, 0, sizeof g);
    int rc = make_bundle(&g, "gap", "--segment grain --clusters 6");
    CS_CHECK(rc == 0, "grain bundle");
    if (rc) return;
    float sel[2] = {0, 1};
    heap h = {SIZE_MAX, 0, 0};
    for (int gap = 0; gap <= 1; ++gap) {
        static cs_concatlisten cl;
        CS_CHECK(cs_cl_open(&cl, g.view.sample_rate, CS_LISTEN_FRAMES, sel, 2, &ops) == CS_CL_OPEN_OK, "open");
        cl.trig_gap = gap;
        const uint32_t block = 1024;
        size_t reports = 0, adjacent = 0;
        int prev = 0;
        for (size_t i = 0; i + block <= g.n_audio; i += block) {
            cs_cl_bind(&cl, g.table, (uint32_t)g.n_table, 1, heap_alloc, heap_free, &h);
            cs_cl_out o;
            cs_cl_process(&cl, g.audio + i, block, NULL, 0, &o);
            const int t = o.trig > 0.0f;
            reports += (size_t)t;
            adjacent += (size_t)(t && prev);
            prev = t;
        }
        const size_t blocks = g.n_audio / block;
        if (gap) {
            CS_CHECK(adjacent == 0, "trig_gap: %zu reports directly after a report", adjacent);
            CS_CHECK(reports + 1 >= blocks / 2, "trig_gap: %zu reports in %zu blocks (one every two blocks)", reports,
                     blocks);
        } else {
            CS_CHECK(adjacent > 0, "without trig_gap the reports of consecutive blocks touch (%zu)", adjacent);
        }
        cs_cl_close(&cl, heap_free, &h);
    }
    free(g.audio), free(g.table);
}

int main(void)
{
    host = cs_fft_host_new(CS_FRAME_MAX_FFT);
    if (!host) {
        fprintf(stderr, "no FFT host\n");
        return 1;
    }
    ops = cs_fft_host_ops(host);
    FILE *probe = fopen("/usr/share/SuperCollider/sounds/a11wlk01.wav", "rb");
    if (!probe) {
        printf("SKIP: a11wlk01.wav not found\n");
        return 77;
    }
    fclose(probe);
    test_parity();
    test_chunks();
    test_states();
    test_trig_gap();
    cs_fft_host_free(host);
    CS_TEST_END();
}
