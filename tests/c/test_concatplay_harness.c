/*
 * test_concatplay_harness.c - renders what ConcatPlay computes for a trigger schedule, with the same core code
 * (cs_player), outside scsynth: the reference of tests/sc/concatplay_nrt.sh.
 *
 *   test_concatplay_harness BUNDLE SCHEDULE.wav OUT.wav [--channels N] [--seed S] [--amp A] [--attack S]
 *       [--release S] [--select P] [--gapless G] [--lead S] [--dur S] [--voices V] [--rate HZ] [--block N]
 *
 * SCHEDULE.wav: float WAV at the output rate with 4 channels, sample by sample: trig, label, rate, pan (the
 * inputs the NRT synth reads with PlayBuf at audio rate); the other inputs are the constants above (as
 * float32, like SynthDef constants); unit is -1. OUT.wav: float WAV with N audio channels, then the unit and
 * next outputs, as many frames as the schedule.
 *
 * Without arguments (as a ctest test) it checks itself: a bundle made with cs_ut_encode and a generated
 * schedule rendered with block sizes 64 and 1 must give the same bytes, finite and non-silent.
 */
#include "cs_bundle.h"
#include "cs_player.h"
#include "cs_select.h"
#include "cs_test.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct opts {
    uint32_t channels, voices, block;
    uint64_t seed;
    float amp, attack, release, select, gapless, lead, dur;
    double rate;
} opts;

/* Render frames of the schedule (trig, label, rate, pan interleaved) into out (frames x (channels + 2)). */
static int render(const opts *o, const cs_ut_view *v, const float *audio, uint64_t audio_frames, uint32_t ach,
                  const float *sched, size_t frames, float *out)
{
    const size_t sz = cs_player_size(o->voices, o->channels);
    void *mem = aligned_alloc(16, (sz + 15) & ~(size_t)15);
    cs_player *p = cs_player_init(mem, sz, o->voices, o->channels, o->rate, o->seed);
    if (!p) return -1;
    const size_t ls = cs_select_lru_size(v->num_units, v->num_labels);
    void *lm = malloc(ls);
    cs_player_set_lru(p, cs_select_lru_init(lm, ls, v));
    const uint32_t B = o->block;
    float *tr = malloc(B * sizeof(float) * 4), *ob = malloc(B * sizeof(float) * (o->channels + 2));
    float *chans[CS_GRAIN_MAX_OUTPUTS];
    for (uint32_t c = 0; c < o->channels; ++c)
        chans[c] = ob + (size_t)c * B;
    const float unit_c = -1.0f;
    for (size_t t = 0; t < frames; t += B) {
        const uint32_t n = (uint32_t)(frames - t < B ? frames - t : B);
        for (uint32_t k = 0; k < n; ++k)
            for (int c = 0; c < 4; ++c)
                tr[(size_t)c * B + k] = sched[(t + k) * 4 + (size_t)c];
        cs_player_io io;
        const float *konst[CS_PLAYER_NUM_INPUTS] = {0};
        konst[CS_PIN_UNIT] = &unit_c;
        konst[CS_PIN_AMP] = &o->amp;
        konst[CS_PIN_ATTACK] = &o->attack;
        konst[CS_PIN_RELEASE] = &o->release;
        konst[CS_PIN_SELECT] = &o->select;
        konst[CS_PIN_DUR] = &o->dur;
        konst[CS_PIN_GAPLESS] = &o->gapless;
        konst[CS_PIN_LEAD] = &o->lead;
        for (int i = 0; i < CS_PLAYER_NUM_INPUTS; ++i) {
            io.in[i] = konst[i];
            io.step[i] = 0;
        }
        io.in[CS_PIN_TRIG] = tr;
        io.in[CS_PIN_LABEL] = tr + B;
        io.in[CS_PIN_RATE] = tr + 2 * B;
        io.in[CS_PIN_PAN] = tr + 3 * B;
        io.step[CS_PIN_TRIG] = io.step[CS_PIN_LABEL] = io.step[CS_PIN_RATE] = io.step[CS_PIN_PAN] = 1;
        io.out = chans;
        io.unit_out = ob + (size_t)o->channels * B;
        io.next_out = ob + (size_t)(o->channels + 1) * B;
        io.audio = audio;
        io.audio_frames = audio_frames;
        io.audio_channels = ach;
        io.table = v;
        io.target = NULL;
        cs_player_process(p, &io, n);
        for (uint32_t k = 0; k < n; ++k)
            for (uint32_t c = 0; c < o->channels + 2; ++c)
                out[(t + k) * (o->channels + 2) + c] = ob[(size_t)c * B + k];
    }
    free(tr);
    free(ob);
    free(lm);
    free(mem);
    return 0;
}

static void defaults(opts *o)
{
    o->channels = 2;
    o->voices = CS_GRAIN_DEFAULT_VOICES;
    o->block = 64;
    o->seed = 1234;
    o->amp = 0.5f;
    o->attack = 0.004f;
    o->release = 0.01f;
    o->select = 0.0f;
    o->gapless = 0.0f;
    o->lead = 0.03f;
    o->dur = 0.0f;
    o->rate = 48000.0;
}

static int self_test(void)
{
    /* 40 units of a 48 kHz noise-and-sine corpus, 5 labels */
    enum { U = 40, L = 5 };
    uint64_t st[U], ln[U];
    int32_t lab[U], src[U], succ[U];
    float desc[U * 4];
    uint64_t pos = 0;
    cs_rng g;
    cs_rng_seed(&g, 3);
    for (int u = 0; u < U; ++u) {
        st[u] = pos;
        ln[u] = 1000 + cs_rng_below(&g, 3000);
        pos += ln[u];
        lab[u] = u % L;
        src[u] = 0;
        succ[u] = u + 1 < U ? u + 1 : -1;
        for (int j = 0; j < 4; ++j)
            desc[u * 4 + j] = cs_rng_uniform(&g);
    }
    float *audio = malloc(pos * sizeof(float));
    for (uint64_t i = 0; i < pos; ++i)
        audio[i] = 0.5f * (float)sin(0.01 * (double)i) + 0.1f * (cs_rng_uniform(&g) - 0.5f);
    size_t tn = cs_ut_size(U, 4, L);
    float *table = malloc(tn * sizeof(float));
    cs_ut_view v;
    CS_CHECK(cs_ut_encode(table, U, 4, L, 1, -1, 48000, 1, pos, st, ln, lab, src, succ, desc) == 0, "encode");
    CS_CHECK(cs_ut_parse(table, tn, 1, &v) == 0, "parse");
    const size_t frames = 48000;
    float *sched = calloc(frames * 4, sizeof(float));
    for (size_t t = 0; t < frames; ++t) {
        sched[t * 4 + 0] = (t % 2311 == 5) ? 1.0f : 0.0f;
        sched[t * 4 + 1] = (float)((t / 5000) % 6) - 1.0f;
        sched[t * 4 + 2] = (t / 7000) % 2 ? -0.75f : 1.25f;
        sched[t * 4 + 3] = (float)(t % 1000) / 500.0f - 1.0f;
    }
    opts o;
    defaults(&o);
    o.select = 1.0f;
    float *a = malloc(frames * 4 * sizeof(float)), *b = malloc(frames * 4 * sizeof(float));
    for (int gap = 0; gap < 2; ++gap) {
        o.gapless = (float)gap;
        o.block = 64;
        render(&o, &v, audio, pos, 1, sched, frames, a);
        o.block = 1;
        render(&o, &v, audio, pos, 1, sched, frames, b);
        CS_CHECK(memcmp(a, b, frames * 4 * sizeof(float)) == 0, "gapless %d: block 64 and 1 give the same bytes", gap);
        double e = 0;
        int finite = 1;
        for (size_t i = 0; i < frames * 4; ++i) {
            if (!isfinite(a[i])) finite = 0;
            if (i % 4 < 2) e += (double)a[i] * (double)a[i];
        }
        CS_CHECK(finite && e > 1.0, "gapless %d: finite and non-silent (energy %g)", gap, e);
    }
    free(a);
    free(b);
    free(sched);
    free(table);
    free(audio);
    CS_TEST_END();
}

int main(int argc, char **argv)
{
    if (argc < 4) return self_test();
    opts o;
    defaults(&o);
    for (int i = 4; i + 1 < argc; i += 2) {
        const char *k = argv[i];
        const double x = atof(argv[i + 1]);
        if (!strcmp(k, "--channels"))
            o.channels = (uint32_t)x;
        else if (!strcmp(k, "--seed"))
            o.seed = (uint64_t)x;
        else if (!strcmp(k, "--amp"))
            o.amp = (float)x;
        else if (!strcmp(k, "--attack"))
            o.attack = (float)x;
        else if (!strcmp(k, "--release"))
            o.release = (float)x;
        else if (!strcmp(k, "--select"))
            o.select = (float)x;
        else if (!strcmp(k, "--gapless"))
            o.gapless = (float)x;
        else if (!strcmp(k, "--lead"))
            o.lead = (float)x;
        else if (!strcmp(k, "--dur"))
            o.dur = (float)x;
        else if (!strcmp(k, "--voices"))
            o.voices = (uint32_t)x;
        else if (!strcmp(k, "--rate"))
            o.rate = x;
        else if (!strcmp(k, "--block"))
            o.block = (uint32_t)x;
        else {
            fprintf(stderr, "harness: unknown option %s\n", k);
            return 2;
        }
    }
    char err[512];
    cs_bundle b;
    if (cs_bundle_read(argv[1], &b, err, sizeof err)) {
        fprintf(stderr, "harness: %s\n", err);
        return 1;
    }
    float *audio = NULL, *sched = NULL;
    size_t af = 0, sf = 0;
    int ach = 0, arate = 0, sch = 0, srate = 0;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", argv[1], CS_BUNDLE_AUDIO);
    if (cs_read_float_wav(path, &audio, &af, &ach, &arate) || cs_read_float_wav(argv[2], &sched, &sf, &sch, &srate) ||
        sch != 4) {
        fprintf(stderr, "harness: cannot read the audio or the 4-channel schedule\n");
        return 1;
    }
    float *out = calloc(sf * (o.channels + 2), sizeof(float));
    if (render(&o, &b.view, audio, af, (uint32_t)ach, sched, sf, out)) {
        fprintf(stderr, "harness: bad options\n");
        return 1;
    }
    if (cs_write_float_wav(argv[3], out, sf, (int)o.channels + 2, (int)o.rate, err, sizeof err)) {
        fprintf(stderr, "harness: %s\n", err);
        return 1;
    }
    free(out);
    free(audio);
    free(sched);
    cs_bundle_free(&b);
    return 0;
}
