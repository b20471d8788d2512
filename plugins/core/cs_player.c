/* cs_player.c - grain voices, the voice pool and the ConcatPlay player. See cs_player.h. */
#include "cs_player.h"

#include <math.h>
#include <string.h>

#define PI_D 3.14159265358979323846

#if defined(__GNUC__)
#define CS_INLINE static inline __attribute__((always_inline))
#else
#define CS_INLINE static inline
#endif

enum { ST_ATTACK = 0, ST_SUSTAIN = 1, ST_RELEASE = 2, ST_FADE = 3, ST_DONE = 4 };

/* ------------------------------------------------------------------------------------------------ pan */

void cs_grain_pan(uint32_t num_out, double pan, uint32_t *ca, uint32_t *cb, float *ga, float *gb)
{
    if (!isfinite(pan)) pan = 0.0;
    if (num_out <= 1) {
        *ca = *cb = 0;
        *ga = 1.0f;
        *gb = 0.0f;
        return;
    }
    if (num_out == 2) {
        if (pan < -1.0) pan = -1.0;
        if (pan > 1.0) pan = 1.0;
        const double ang = (pan + 1.0) * (PI_D / 4.0);
        *ca = 0;
        *cb = 1;
        *ga = (float)cos(ang);
        *gb = (float)sin(ang);
        return;
    }
    /* PanAz, width 2, orientation 0: position in channel units, wrapped into [0, num_out). */
    double w = fmod(pan, 2.0);
    if (w < 0.0) w += 2.0;
    double x = w * 0.5 * (double)num_out;
    if (!(x < (double)num_out)) x = 0.0;
    const uint32_t c = (uint32_t)x;
    const double f = x - (double)c;
    *ca = c;
    *cb = (c + 1) % num_out;
    *ga = (float)cos(f * (PI_D / 2.0));
    *gb = (float)sin(f * (PI_D / 2.0));
}

/* ------------------------------------------------------------------------------------------ envelope */

/* Enter envelope stage `st` with `len` samples. */
static void enter_stage(cs_grain_voice *v, int st, int64_t len, int64_t attack_len)
{
    v->stage = (uint8_t)st;
    v->stage_left = len;
    switch (st) {
    case ST_ATTACK: {
        /* raised cosine: y = cos(pi k / A), e = 0.5 - 0.5 y; equal power: y = sin(pi/2 k / A), e = y */
        const double w = (v->shape == CS_ENV_EQUAL_POWER ? PI_D / 2.0 : PI_D) / (double)attack_len;
        v->b1 = 2.0 * cos(w);
        if (v->shape == CS_ENV_EQUAL_POWER) {
            v->ea = 0.0;
            v->eb = 1.0;
            v->y1 = 0.0;
            v->y2 = -sin(w);
        } else {
            v->ea = 0.5;
            v->eb = -0.5;
            v->y1 = 1.0;
            v->y2 = cos(w);
        }
        break;
    }
    case ST_SUSTAIN:
        v->ea = 1.0;
        v->eb = 0.0;
        v->b1 = 2.0;
        v->y1 = v->y2 = 0.0;
        break;
    case ST_RELEASE:
        /* y = cos(w j): raised cosine e = 0.5 + 0.5 y, equal power e = y */
        v->b1 = 2.0 * v->rel_cos;
        v->y1 = 1.0;
        v->y2 = v->rel_cos;
        if (v->shape == CS_ENV_EQUAL_POWER) {
            v->ea = 0.0;
            v->eb = 1.0;
        } else {
            v->ea = 0.5;
            v->eb = 0.5;
        }
        break;
    default: /* ST_FADE: handled by fade_voice; ST_DONE */
        break;
    }
}

/* Advance to the next non-empty stage after the current one ended. */
static void next_stage(cs_grain_voice *v)
{
    while (v->stage_left <= 0 && v->stage < ST_DONE) {
        if (v->stage == ST_ATTACK) {
            enter_stage(v, ST_SUSTAIN, v->remaining - v->release, 0);
        } else if (v->stage == ST_SUSTAIN) {
            enter_stage(v, ST_RELEASE, v->release, 0);
        } else {
            v->stage = ST_DONE;
            v->remaining = 0;
        }
    }
}

/* Start a linear fade from the voice's current envelope value to 0 over `len` samples. */
static void fade_voice(cs_grain_voice *v, int64_t len)
{
    const double e0 = v->ea + v->eb * v->y1;
    if (len < 1) len = 1;
    if (v->remaining < len) len = v->remaining;
    v->stage = ST_FADE;
    v->stage_left = len;
    v->remaining = len;
    v->ea = 0.0;
    v->eb = 1.0;
    v->b1 = 2.0;
    v->y1 = e0;
    v->y2 = e0 + e0 / (double)len;
    v->stolen = 1;
}

/* ---------------------------------------------------------------------------------------- rendering */

/* Frame i, channel c of the audio, 0 outside it. */
CS_INLINE float sample_at(const float *a, int64_t frames, uint32_t ch, int64_t i, uint32_t c)
{
    return (i >= 0 && i < frames) ? a[(size_t)i * ch + c] : 0.0f;
}

/* Position update: pos += inc in 64.64 fixed point. The fraction adds with carry, so the recursion is two
 * integer additions (no float rounding accumulates, no float-to-int conversion on the loop-carried chain). */
CS_INLINE void advance(int64_t *ip, uint64_t *frac, int64_t inc_int, uint64_t inc_frac)
{
    const uint64_t f = *frac + inc_frac;
    *ip += inc_int + (int64_t)(f < *frac);
    *frac = f;
}

/* The fraction as the cubic's x: the top 53 bits, exactly as a double, rounded once to float. */
CS_INLINE float frac_x(uint64_t frac)
{
    return (float)((double)(int64_t)(frac >> 11) * 0x1p-53);
}

/* How many of the next `len` samples (starting at integer frame ip) read a 4-point window [ip-1, ip+2] that
 * lies entirely inside the audio, for steps of inc_int or inc_int + 1 frames (the carry). Those samples need
 * no bounds check. 0 when the current window already leaves the audio. */
CS_INLINE uint32_t interior_run(int64_t ip, int64_t inc_int, uint64_t inc_frac, int64_t frames, uint32_t len)
{
    if (ip < 1 || ip + 2 >= frames) return 0;
    int64_t k;
    if (inc_int >= 0) {
        const int64_t step = inc_int + (inc_frac != 0); /* largest step */
        if (step == 0) return len;
        k = 1 + (frames - 3 - ip) / step;
    } else {
        k = 1 + (ip - 1) / -inc_int; /* steps are inc_int or inc_int + 1 <= 0: ip never rises */
    }
    return k < (int64_t)len ? (uint32_t)k : len;
}

/* Mono corpus, one or two outputs: the hot loop. The voice's state lives in locals; the run is cut into
 * stretches whose read window stays inside the audio (no bounds test per sample) and single checked samples
 * at the edges of the audio. Every sample computes exactly the same arithmetic in both paths. */
CS_INLINE void run_mono(cs_grain_voice *v, const float *restrict a, int64_t frames, float *restrict oa,
                        float *restrict ob, uint32_t len, const int two)
{
    uint64_t frac = v->frac;
    double y1 = v->y1, y2 = v->y2;
    const double b1 = v->b1, ea = v->ea, eb = v->eb;
    const int64_t inc_int = v->inc_int;
    const uint64_t inc_frac = v->inc_frac;
    const float ga = v->ga, gb = v->gb;
    int64_t ip = v->ipos;
    uint32_t k = 0;
    while (k < len) {
        const uint32_t m = interior_run(ip, inc_int, inc_frac, frames, len - k);
        if (m == 0) {
            /* a window at the edge of the audio: neighbours outside it read 0 */
            float s = cs_grain_cubic(frac_x(frac), sample_at(a, frames, 1, ip - 1, 0), sample_at(a, frames, 1, ip, 0),
                                     sample_at(a, frames, 1, ip + 1, 0), sample_at(a, frames, 1, ip + 2, 0));
            s *= (float)(ea + eb * y1);
            const double y0 = b1 * y1 - y2;
            y2 = y1;
            y1 = y0;
            oa[k] += s * ga;
            if (two) ob[k] += s * gb;
            advance(&ip, &frac, inc_int, inc_frac);
            ++k;
            continue;
        }
        const uint32_t end = k + m;
        for (; k < end; ++k) {
            const float *q = a + ip - 1;
            float s = cs_grain_cubic(frac_x(frac), q[0], q[1], q[2], q[3]);
            s *= (float)(ea + eb * y1);
            const double y0 = b1 * y1 - y2;
            y2 = y1;
            y1 = y0;
            oa[k] += s * ga;
            if (two) ob[k] += s * gb;
            const uint64_t f = frac + inc_frac;
            ip += inc_int + (int64_t)(f < frac);
            frac = f;
        }
    }
    v->frac = frac;
    v->ipos = ip;
    v->y1 = y1;
    v->y2 = y2;
}

/* Multichannel corpus: matched (channel c -> output c) or mixed to mono and panned. */
static void run_multi(cs_grain_voice *v, const float *a, int64_t frames, uint32_t ch, float *const *out,
                      uint32_t num_out, uint32_t off, uint32_t len)
{
    uint64_t frac = v->frac;
    double y1 = v->y1, y2 = v->y2;
    const double b1 = v->b1, ea = v->ea, eb = v->eb;
    const int64_t inc_int = v->inc_int;
    const uint64_t inc_frac = v->inc_frac;
    int64_t ip = v->ipos;
    const int matched = ch == num_out;
    const float inv = 1.0f / (float)ch;
    float *oa = out[v->ca] + off, *ob = out[v->cb] + off;
    const int two = num_out > 1 && !matched;
    for (uint32_t k = 0; k < len; ++k) {
        const float e = (float)(ea + eb * y1);
        const double y0 = b1 * y1 - y2;
        y2 = y1;
        y1 = y0;
        const float x = frac_x(frac);
        const int inside = ip >= 1 && ip + 2 < frames;
        float mono = 0.0f;
        for (uint32_t c = 0; c < ch; ++c) {
            float s;
            if (inside) {
                const float *q = a + (size_t)(ip - 1) * ch + c;
                s = cs_grain_cubic(x, q[0], q[ch], q[2 * ch], q[3 * ch]);
            } else {
                s = cs_grain_cubic(x, sample_at(a, frames, ch, ip - 1, c), sample_at(a, frames, ch, ip, c),
                                   sample_at(a, frames, ch, ip + 1, c), sample_at(a, frames, ch, ip + 2, c));
            }
            if (matched)
                out[c][off + k] += s * e * v->ga;
            else
                mono += s;
        }
        if (!matched) {
            mono *= inv * e;
            oa[k] += mono * v->ga;
            if (two) ob[k] += mono * v->gb;
        }
        advance(&ip, &frac, inc_int, inc_frac);
    }
    v->frac = frac;
    v->ipos = ip;
    v->y1 = y1;
    v->y2 = y2;
}

/* Render `len` samples of voice v at output offset `off`. Returns 1 when the voice has finished. */
static int render_voice(cs_grain_voice *v, const cs_player_io *io, uint32_t num_out, uint32_t off, uint32_t len)
{
    while (len > 0 && v->remaining > 0) {
        int64_t run = v->stage_left < (int64_t)len ? v->stage_left : (int64_t)len;
        const uint32_t r = (uint32_t)run;
        if (io->audio_channels == 1) {
            if (num_out == 1)
                run_mono(v, io->audio, (int64_t)io->audio_frames, io->out[v->ca] + off, NULL, r, 0);
            else
                run_mono(v, io->audio, (int64_t)io->audio_frames, io->out[v->ca] + off, io->out[v->cb] + off, r, 1);
        } else {
            run_multi(v, io->audio, (int64_t)io->audio_frames, io->audio_channels, io->out, num_out, off, r);
        }
        off += r;
        len -= r;
        v->stage_left -= run;
        v->remaining -= run;
        if (v->stage_left <= 0) next_stage(v);
    }
    return v->remaining <= 0;
}

/* ------------------------------------------------------------------------------------------- player */

static size_t align16(size_t n)
{
    return (n + 15u) & ~(size_t)15u;
}

size_t cs_player_size(uint32_t max_voices, uint32_t num_out)
{
    if (max_voices < 1 || max_voices > CS_GRAIN_MAX_VOICES || num_out < 1 || num_out > CS_GRAIN_MAX_OUTPUTS) return 0;
    return align16(sizeof(cs_player)) + (size_t)(max_voices + CS_GRAIN_STEAL_SLOTS) * sizeof(cs_grain_voice);
}

cs_player *cs_player_init(void *mem, size_t size, uint32_t max_voices, uint32_t num_out, double sample_rate,
                          uint64_t seed)
{
    const size_t need = cs_player_size(max_voices, num_out);
    if (!mem || need == 0 || size < need || !(sample_rate > 0.0) || !isfinite(sample_rate)) return NULL;
    cs_player *p = (cs_player *)mem;
    memset(p, 0, sizeof *p);
    p->max_voices = max_voices;
    p->capacity = max_voices + CS_GRAIN_STEAL_SLOTS;
    p->num_out = num_out;
    p->sample_rate = sample_rate;
    p->steal_fade = (int64_t)(CS_GRAIN_STEAL_FADE_S * sample_rate + 0.5);
    if (p->steal_fade < 1) p->steal_fade = 1;
    p->voices = (cs_grain_voice *)(void *)((unsigned char *)mem + align16(sizeof(cs_player)));
    cs_select_init(&p->select, seed);
    p->unit_value = -1.0f;
    return p;
}

void cs_player_set_lru(cs_player *p, cs_select_lru *lru)
{
    p->lru = lru;
    p->select.last_unit = -1;
}

void cs_player_release_all(cs_player *p)
{
    for (uint32_t i = 0; i < p->active; ++i)
        if (!p->voices[i].stolen) fade_voice(&p->voices[i], p->steal_fade);
    p->playing = 0;
    p->chain = 0;
}

/* Input i at sample s. */
CS_INLINE float in_at(const cs_player_io *io, int i, uint32_t s)
{
    return io->in[i][io->step[i] ? s : 0];
}

static double clampd(double x, double lo, double hi, double if_nan)
{
    if (x != x) return if_nan;
    return x < lo ? lo : (x > hi ? hi : x);
}

/* A free voice slot, stealing if needed. */
static cs_grain_voice *grab_voice(cs_player *p)
{
    if (p->playing >= p->max_voices) {
        /* steal the oldest playing voice: fade it out in place */
        cs_grain_voice *old = NULL;
        for (uint32_t i = 0; i < p->active; ++i) {
            cs_grain_voice *v = &p->voices[i];
            if (!v->stolen && (!old || v->serial < old->serial)) old = v;
        }
        if (old) {
            fade_voice(old, p->steal_fade);
            p->playing--;
        }
    }
    if (p->active < p->capacity) return &p->voices[p->active++];
    /* every slot busy: replace the fading voice nearest its end */
    cs_grain_voice *best = NULL;
    for (uint32_t i = 0; i < p->active; ++i) {
        cs_grain_voice *v = &p->voices[i];
        if (v->stolen && (!best || v->remaining < best->remaining)) best = v;
    }
    return best ? best : &p->voices[0];
}

/* Which unit starts at sample s: the explicit unit, else one of the label chosen by the select policy. Returns
 * CS_SELECT_OK (and *u), CS_SELECT_REST for label -1, or a failing cs_select_status (p->last_value = the value).
 * Every index is checked against the validated view, and the unit's frames against the audio, because the
 * Buffers may have been written since they were validated. O(1) + the policy's cost. */
static int choose_unit(cs_player *p, const cs_player_io *io, uint32_t s, uint32_t *u)
{
    const cs_ut_view *t = io->table;
    const float uin = in_at(io, CS_PIN_UNIT, s), lin = in_at(io, CS_PIN_LABEL, s);
    int st;
    if (isfinite(uin) && uin >= 0.0f) {
        if (uin >= (float)t->num_units) {
            st = CS_SELECT_E_UNIT_RANGE;
        } else {
            *u = (uint32_t)uin;
            cs_select_played(&p->select, t, p->lru, *u);
            st = CS_SELECT_OK;
        }
        p->last_value = uin;
    } else {
        p->last_value = lin;
        if (!isfinite(lin) || lin >= (float)t->num_labels) {
            st = CS_SELECT_E_LABEL_RANGE;
        } else if (lin < (float)(CS_LABEL_NONE + 1) && lin >= (float)CS_LABEL_NONE) {
            st = CS_SELECT_REST; /* -1 .. -0.0...1: "no label" (SeqPredict without a model): nothing plays */
        } else {
            const int32_t label = lin < 0.0f ? -1 : (int32_t)lin; /* below -1: any unit */
            const double sel =
                clampd((double)in_at(io, CS_PIN_SELECT, s), 0.0, (double)(CS_SELECT_NUM_POLICIES - 1), 0.0);
            st = cs_select_pick(&p->select, t, p->lru, label, (int)sel, io->target, u);
        }
    }
    if (st == CS_SELECT_OK) {
        const uint64_t start = cs_ut_unit_start(t, *u), len = cs_ut_unit_length(t, *u);
        if (len == 0 || start >= io->audio_frames || len > io->audio_frames - start) st = CS_SELECT_E_TABLE_DATA;
    }
    return st;
}

/* An input in seconds, clamped to [0, hi] (non-finite: 0), as samples at rate sr. */
static int64_t seconds_in(const cs_player_io *io, int pin, uint32_t s, double hi, double sr)
{
    const float x = in_at(io, pin, s);
    const double v = isfinite(x) ? clampd((double)x, 0.0, hi, 0.0) : 0.0;
    return (int64_t)(v * sr + 0.5);
}

/* a * b as a 128-bit product (hi, lo) of two 64-bit numbers (schoolbook on 32-bit halves; portable C11). */
static void mul_64x64(uint64_t a, uint64_t b, uint64_t *hi, uint64_t *lo)
{
    const uint64_t a0 = a & 0xFFFFFFFFu, a1 = a >> 32, b0 = b & 0xFFFFFFFFu, b1 = b >> 32;
    const uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    const uint64_t mid = (p00 >> 32) + (p01 & 0xFFFFFFFFu) + (p10 & 0xFFFFFFFFu);
    *lo = (mid << 32) | (p00 & 0xFFFFFFFFu);
    *hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
}

/* Set the voice's read position so that after `pre` output samples it reads frame `first` exactly (the
 * pre-roll of a centred crossfade reads the corpus before the unit, in the playing direction). In 64.64 fixed
 * point: position = first - pre * inc, computed exactly (the same additions advance() then undoes). */
static void set_position(cs_grain_voice *v, int64_t first, int64_t pre)
{
    uint64_t hi, lo;
    mul_64x64((uint64_t)pre, v->inc_frac, &hi, &lo); /* pre * inc_frac / 2^64 = hi + lo / 2^64 */
    v->ipos = first - pre * v->inc_int - (int64_t)hi - (lo != 0);
    v->frac = lo ? (uint64_t)0 - lo : 0;
}

/*
 * The envelope of a unit that starts at sample `s` (see cs_player.h). n = output samples of the unit itself.
 * Triggered: length n, attack a, release r fitted in proportion into n. Gapless: the release r (at most n/2) is
 * centred on the unit's end (r - r/2 samples past it, read from the corpus after the unit), and a chained unit's
 * attack is the previous unit's release, centred on its start (pre-roll p->xfade_pre samples before it), so the
 * units' first frames sound exactly n samples apart: the corpus's own tempo. Writes *pre, *total, *a, *r.
 */
static void fit_envelope(const cs_player *p, int gapless, int chained, int64_t n, int64_t att, int64_t rel,
                         int64_t *pre, int64_t *total, int64_t *a, int64_t *r)
{
    if (!gapless) {
        *pre = 0;
        *total = n;
        *a = att;
        *r = rel;
        if (att + rel > n) { /* fit in proportion */
            *a = (int64_t)((double)att * ((double)n / (double)(att + rel)));
            *r = n - *a < rel ? n - *a : rel;
        }
        return;
    }
    if (rel > n / 2) rel = n / 2;
    const int64_t in_pre = chained ? p->xfade_pre : 0;       /* incoming: before the unit's first frame */
    const int64_t in_post = chained ? p->xfade - in_pre : 0; /* incoming: after it */
    int64_t a_len = chained ? p->xfade : att;
    int64_t out_pre = rel / 2;             /* outgoing: before the unit's end */
    if (!chained && a_len + out_pre > n) { /* the chain's first unit: fit its own attack in proportion */
        a_len = (int64_t)((double)a_len * ((double)n / (double)(a_len + out_pre)));
        if (a_len + out_pre > n) out_pre = n - a_len;
    }
    if (in_post + out_pre > n) out_pre = n - in_post > 0 ? n - in_post : 0; /* a unit shorter than the fades */
    const int64_t out_post = out_pre == rel / 2 ? rel - out_pre : out_pre;
    *pre = in_pre;
    *total = in_pre + n + out_post;
    *r = out_pre + out_post;
    *a = a_len + *r > *total ? *total - *r : a_len; /* only when the incoming fade outlasts this unit */
}

/* Choose and start a unit at sample s. chained: a scheduled gapless start. Returns 1 on success. */
static int start_unit(cs_player *p, const cs_player_io *io, uint32_t s, int gapless, int chained)
{
    const cs_ut_view *t = io->table;
    const double sr = p->sample_rate;
    uint32_t u = 0;
    const int st = choose_unit(p, io, s, &u);
    p->last_status = st;
    if (st != CS_SELECT_OK) return 0;

    /* parameters, clamped */
    double rate = (double)in_at(io, CS_PIN_RATE, s);
    if (!isfinite(rate)) rate = 1.0;
    const double sign = rate < 0.0 ? -1.0 : 1.0;
    rate = clampd(fabs(rate), CS_GRAIN_MIN_RATE, CS_GRAIN_MAX_RATE, 1.0);
    double inc = rate * t->sample_rate / sr;
    if (!(inc > 1e-9)) inc = 1e-9;
    if (inc > 4096.0) inc = 4096.0;
    double amp = (double)in_at(io, CS_PIN_AMP, s);
    amp = isfinite(amp) ? clampd(amp, -CS_GRAIN_MAX_AMP, CS_GRAIN_MAX_AMP, 0.0) : 0.0;
    const int64_t dur = seconds_in(io, CS_PIN_DUR, s, CS_GRAIN_MAX_DUR_S, sr);
    const double pan = (double)in_at(io, CS_PIN_PAN, s);

    const uint64_t len = cs_ut_unit_length(t, u), start = cs_ut_unit_start(t, u);
    int64_t n = dur > 0 ? dur : (int64_t)((double)len / inc + 0.5);
    if (n < CS_GRAIN_MIN_SAMPLES) n = CS_GRAIN_MIN_SAMPLES;
    int64_t pre, total, a, r;
    fit_envelope(p, gapless, chained, n, seconds_in(io, CS_PIN_ATTACK, s, CS_GRAIN_MAX_FADE_S, sr),
                 seconds_in(io, CS_PIN_RELEASE, s, CS_GRAIN_MAX_FADE_S, sr), &pre, &total, &a, &r);

    cs_grain_voice *v = grab_voice(p);
    memset(v, 0, sizeof *v);
    v->offset = s; /* it plays from sample s of this call */
    {
        /* 64.64 fixed-point increment: inc = inc_int + inc_frac / 2^64 (inc_frac in [0, 2^64)) */
        const double si = sign * inc;
        double fl = floor(si), fr = si - fl; /* exact: an integer subtracted from a double below 2^53 */
        if (fr >= 1.0) fr = 0.0, fl += 1.0;  /* cannot happen for |inc| >= 1e-9; keeps the cast below 2^64 */
        v->inc_int = (int64_t)fl;
        v->inc_frac = (uint64_t)ldexp(fr, 64);
    }
    set_position(v, sign > 0.0 ? (int64_t)start : (int64_t)(start + len - 1), pre);
    v->remaining = total;
    v->release = r;
    v->shape = (uint8_t)(gapless ? CS_ENV_EQUAL_POWER : CS_ENV_RAISED_COSINE);
    v->rel_cos = r > 0 ? cos((gapless ? PI_D / 2.0 : PI_D) / (double)r) : 1.0;
    v->serial = ++p->serial;
    v->unit = (int32_t)u;
    cs_grain_pan(p->num_out, pan, &v->ca, &v->cb, &v->ga, &v->gb);
    v->ga *= (float)amp;
    v->gb *= (float)amp;
    if (a > 0)
        enter_stage(v, ST_ATTACK, a, a);
    else {
        v->stage = ST_ATTACK;
        v->stage_left = 0;
        next_stage(v);
    }
    p->playing++;
    p->starts++;
    p->unit_value = (float)u;
    p->last_onset = p->now + s + (uint64_t)pre;

    if (gapless) {
        /* the next unit's pre-roll begins where this one's release does: its first frame sounds at onset + n */
        const uint64_t now = p->now + s;
        const int64_t step = total - r; /* = pre + n - (r / 2) >= n / 2 >= 2 */
        p->chain = 1;
        p->next_start = now + (uint64_t)step;
        p->xfade = r;
        p->xfade_pre = r - (total - pre - n); /* the part of the release before the unit's end */
        int64_t lead = seconds_in(io, CS_PIN_LEAD, s, CS_GRAIN_MAX_FADE_S, sr);
        if (lead > step / 2) lead = step / 2;
        p->raise_at = p->next_start - (uint64_t)lead;
    } else {
        p->chain = 0;
    }
    return 1;
}

/* Render all voices over [off, off + len). */
static void render_all(cs_player *p, const cs_player_io *io, uint32_t off, uint32_t len)
{
    if (len == 0) return;
    /* finished voices are removed keeping the others in start order, so every output sample sums its voices
     * in the same order however the stream is cut into blocks and segments (bit-identical renders) */
    uint32_t w = 0;
    for (uint32_t i = 0; i < p->active; ++i) {
        cs_grain_voice *v = &p->voices[i];
        /* a voice that started inside this segment plays from its start */
        const uint32_t from = v->offset > off ? v->offset : off;
        v->offset = 0;
        if (from < off + len && render_voice(v, io, p->num_out, from, off + len - from)) {
            if (!v->stolen) p->playing--;
        } else {
            if (w != i) p->voices[w] = *v;
            w++;
        }
    }
    p->active = w;
}

/* Audio written into the corpus Buffer while it plays may hold NaN or infinities (or values whose sum
 * overflows): such output samples become 0. One pass over the output, branch-free (the exponent bits). */
static void flush_non_finite(float *const *out, uint32_t num_out, uint32_t n)
{
    for (uint32_t c = 0; c < num_out; ++c) {
        float *o = out[c];
        for (uint32_t k = 0; k < n; ++k) {
            uint32_t b;
            memcpy(&b, &o[k], sizeof b);
            const uint32_t keep = (b & 0x7F800000u) == 0x7F800000u ? 0u : 0xFFFFFFFFu;
            b &= keep;
            memcpy(&o[k], &b, sizeof b);
        }
    }
}

/* Fill the unit and next outputs over [off, off + len). */
static void fill_info(cs_player *p, const cs_player_io *io, uint32_t off, uint32_t len)
{
    if (io->unit_out)
        for (uint32_t k = 0; k < len; ++k)
            io->unit_out[off + k] = p->unit_value;
    if (io->next_out) {
        for (uint32_t k = 0; k < len; ++k) {
            const uint64_t t = p->now + off + k;
            io->next_out[off + k] = (p->chain && t >= p->raise_at && t < p->next_start) ? 1.0f : 0.0f;
        }
    }
}

int cs_player_process(cs_player *p, const cs_player_io *io, uint32_t n)
{
    for (uint32_t c = 0; c < p->num_out; ++c)
        memset(io->out[c], 0, (size_t)n * sizeof(float));
    int failed = 0;
    if (!io->audio || !io->table || io->audio_frames == 0 || io->audio_channels == 0) {
        /* no corpus: silence, forget every voice, keep tracking the trigger edges */
        p->active = p->playing = 0;
        p->chain = 0;
        p->prev_trig = in_at(io, CS_PIN_TRIG, n - 1);
        p->prev_gapless = in_at(io, CS_PIN_GAPLESS, n - 1);
        if (io->unit_out)
            for (uint32_t k = 0; k < n; ++k)
                io->unit_out[k] = p->unit_value;
        if (io->next_out) memset(io->next_out, 0, (size_t)n * sizeof(float));
        p->now += n;
        return 0;
    }
    /* Voices are rendered lazily: a start at sample e only marks the new voice's offset; all voices are
     * rendered together up to the end of the call, or up to e when a start must steal a voice (the stolen one
     * must fade from e). Every sample thus sums its voices in start order, whatever the block size. */
    uint32_t j = 0, scan = 0, r = 0, starts = 0;
    float prev_trig = p->prev_trig, prev_gap = p->prev_gapless;
    for (;;) {
        /* find the next event at or after scan */
        uint32_t e = scan;
        int trig = 0, sched = 0, begin = 0, stop = 0, gap_on = 0;
        for (; e < n; ++e) {
            const float tv = in_at(io, CS_PIN_TRIG, e), gv = in_at(io, CS_PIN_GAPLESS, e);
            gap_on = gv > 0.0f;
            trig = tv > 0.0f && !(prev_trig > 0.0f);
            prev_trig = tv;
            stop = !gap_on && p->chain;
            sched = gap_on && p->chain && p->now + e == p->next_start;
            begin = gap_on && !p->chain; /* chain begins, or retries after a failed start */
            prev_gap = gv;
            if (trig || sched || begin || stop) break;
        }
        fill_info(p, io, j, e - j);
        if (e >= n) break;
        if (stop) p->chain = 0;
        if (!(trig || sched || begin)) {
            /* the chain stopped here: nothing starts */
        } else if (starts < CS_PLAYER_MAX_STARTS) {
            /* a failed start costs O(1) (the label/unit check) and does not count towards the cap */
            if (p->playing >= p->max_voices || p->active >= p->capacity) {
                /* this start will steal or replace a voice: bring every voice up to e first */
                render_all(p, io, r, e - r);
                r = e;
            }
            if (start_unit(p, io, e, gap_on, sched && !trig)) {
                starts++;
            } else {
                failed++;
                if (gap_on) p->chain = 0; /* retried at the next sample */
            }
        } else {
            p->dropped++;
            if (sched) p->chain = 0;
        }
        j = e;
        scan = e + 1; /* the event sample belongs to the next segment; don't detect it again */
    }
    render_all(p, io, r, n - r);
    flush_non_finite(io->out, p->num_out, n);
    p->prev_trig = prev_trig;
    p->prev_gapless = prev_gap;
    p->now += n;
    return failed;
}
