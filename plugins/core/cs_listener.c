/*
 * cs_listener.c - the streaming listener (cs_listener.h): frame analyser + onset detector + unit accumulator.
 *
 * The samples go to a ring (the level descriptors need the unit's own samples) and to the analyser in pieces that
 * end exactly where the analyser can compute its next frame (or, for onsets, report its next frame early), so each
 * frame arrives with the fewest samples pushed after it; frames go to a ring of rows. In ONSETS mode the detector
 * is fed from the analyser's early report (flux and peak are final there; only YIN's columns come later) and an
 * accepted boundary waits in a short queue until the complete rows of the event it ends have arrived. A unit is
 * described when it is known complete, from the two rings, with the accumulator of cs_unit_describe.h: the same sums in
 * the same order as `concatseq analyze`.
 */
#include "cs_listener.h"

#include "cs_unit_describe.h"

#include <math.h>
#include <string.h>

#define CS_LISTEN_ALIGN           64
#define CS_LISTEN_MAX_OPEN_GRAINS 64 /* grain_len / grain_hop at most this */

struct cs_listener {
    cs_listen_config cfg;
    cs_frame_analyser *fa;
    cs_onset *det;     /* ONSETS only */
    float *ring;       /* samples: sample t at ring[t % ring_cap] */
    uint64_t ring_cap; /* samples */
    float *rows;       /* frames: frame i at rows[(i % rows_cap) * CS_FF_COUNT] */
    uint64_t rows_cap; /* frames */
    uint64_t la;       /* the analyser's context: frame i is computed once sample i*hop + la - 1 is pushed */
    uint64_t max_wait; /* samples between a unit's end and its emission, at most */
    uint64_t t;        /* samples pushed */
    uint64_t nfr;      /* frames computed */
    uint64_t next;     /* GRAINS: next grain index; FRAMES: next frame cell */
    uint64_t ev_start; /* ONSETS: start of the open event */
    uint64_t *queue;   /* ONSETS: boundaries accepted, their events not yet emitted (waiting for full frames) */
    uint64_t q_cap, q_head, q_len;
    uint64_t early_la; /* ONSETS: frame i's flux and peak arrive once sample i*hop + early_la - 1 is pushed */
    uint64_t nearly;   /* ONSETS: frames reported early */
    cs_level ev_lv;    /* ONSETS: level sums of the open event's samples [ev_start, ev_fed), gathered as they come */
    uint64_t ev_fed;
    uint64_t emitted; /* units emitted */
    uint64_t failed;  /* units whose description failed (emitted with zeros; never with finite input) */
    int finished;
    cs_listen_emit emit; /* the push's or finish's callback, while it runs */
    void *user;
    int count; /* units emitted by the current call */
};

/* ------------------------------------------------------------------ sizes */

static size_t align_up(size_t v)
{
    return (v + CS_LISTEN_ALIGN - 1) & ~(size_t)(CS_LISTEN_ALIGN - 1);
}

/* The analyser's context max(fft_size / 2, YIN window), as cs_frame.c computes it. */
static uint64_t context_of(const cs_frame_config *c)
{
    const double sr = (double)c->sample_rate;
    int tau_min = (int)floor(sr / (double)c->f0_max);
    if (tau_min < 2) tau_min = 2;
    int tau_max = (int)ceil(sr / (double)c->f0_min);
    if (tau_max < tau_min + 2) tau_max = tau_min + 2;
    int W = 64;
    while (W < tau_max + 1)
        W *= 2;
    return (uint64_t)(c->fft_size / 2 > W ? c->fft_size / 2 : W);
}

/* ONSETS and ATTACKS run the onset detector (and its early frame report). */
static int detects(int mode)
{
    return mode == CS_LISTEN_ONSETS || mode == CS_LISTEN_ATTACKS;
}

/* The longest unit of the mode, samples. */
static uint64_t longest_unit(const cs_listen_config *c)
{
    if (c->mode == CS_LISTEN_GRAINS) return c->grain_len;
    if (detects(c->mode)) {
        cs_onset_plan p;
        cs_onset_config_check(&c->onset, c->frame.sample_rate, c->frame.hop, &p);
        return p.max_len;
    }
    return (uint64_t)c->frame.hop;
}

/* Samples between a unit's end and its emission, at most (cs_listener.h; derivation in the comments below). */
static uint64_t wait_of(const cs_listen_config *c)
{
    const uint64_t hop = (uint64_t)c->frame.hop, la = context_of(&c->frame);
    uint64_t pre = 0;
    if (detects(c->mode)) {
        cs_onset_plan p;
        cs_onset_config_check(&c->onset, c->frame.sample_rate, c->frame.hop, &p);
        pre = p.pre + p.min_len;
    }
    /* an onset boundary is decided at frame i+1 (computed at sample (i+1)*hop + la) and lies at >= (i-1)*hop -
     * hop/2 - pre; a forced cut waits min_len more (cs_onset.h, step 5), and the event a moved cut ends may start
     * min_len before the usual max_len; a grain waits for its last frame (<= its end + la) and for the piece of
     * input that holds its end (<= max(hop, la)); one hop of slack on top */
    return la + 4 * hop + pre + 1;
}

int cs_listen_config_check(const cs_listen_config *c)
{
    if (!c || cs_frame_config_check(&c->frame) != CS_FRAME_OK) return CS_LISTEN_E_ARG;
    if (c->mode == CS_LISTEN_GRAINS) {
        if (c->grain_len < 1 || c->grain_hop < 1 || c->grain_len > CS_LISTEN_MAX_UNIT) return CS_LISTEN_E_ARG;
        if (c->grain_hop > CS_LISTEN_MAX_UNIT) return CS_LISTEN_E_ARG;
        if ((uint64_t)c->grain_hop * CS_LISTEN_MAX_OPEN_GRAINS < c->grain_len) return CS_LISTEN_E_ARG;
    } else if (detects(c->mode)) {
        cs_onset_plan p;
        if (cs_onset_config_check(&c->onset, c->frame.sample_rate, c->frame.hop, &p) != CS_ONSET_OK)
            return CS_LISTEN_E_ARG;
        if (p.max_len > CS_LISTEN_MAX_UNIT || p.pre > CS_LISTEN_MAX_UNIT) return CS_LISTEN_E_ARG;
    } else if (c->mode != CS_LISTEN_FRAMES) {
        return CS_LISTEN_E_ARG;
    }
    return CS_LISTEN_OK;
}

void cs_listen_config_default(cs_listen_config *c, float sample_rate)
{
    if (!c) return;
    memset(c, 0, sizeof *c);
    cs_frame_config_default(&c->frame, sample_rate);
    c->mode = CS_LISTEN_FRAMES;
    double g = floor(0.1 * (double)sample_rate + 0.5);
    c->grain_len = c->grain_hop = g >= 1.0 && g < (double)CS_LISTEN_MAX_UNIT ? (uint32_t)g : 1u;
    cs_onset_config_default(&c->onset);
}

/* The sizes of the parts laid out in the caller's memory. */
typedef struct layout {
    size_t head, fa, det, queue, ring, rows, total;
    uint64_t ring_cap, rows_cap, q_cap;
} layout;

/* ONSETS: boundaries that can be accepted between a frame's early report (flux, peak) and the complete rows the
 * event needs: (context - fft_size/2) / hop + 2 frames, each at most hop / min_len + 2 boundaries. */
static uint64_t queue_of(const cs_listen_config *c)
{
    if (!detects(c->mode)) return 0;
    cs_onset_plan p;
    cs_onset_config_check(&c->onset, c->frame.sample_rate, c->frame.hop, &p);
    const uint64_t hop = (uint64_t)c->frame.hop, ctx = context_of(&c->frame), half = (uint64_t)c->frame.fft_size / 2;
    return ((ctx - half) / hop + 2) * (hop / p.min_len + 2) + 4;
}

static int layout_of(const cs_listen_config *c, layout *L)
{
    if (cs_listen_config_check(c) != CS_LISTEN_OK) return CS_LISTEN_E_ARG;
    L->head = align_up(sizeof(struct cs_listener));
    L->fa = align_up(cs_frame_analyser_bytes(&c->frame));
    L->det = detects(c->mode) ? align_up(cs_onset_bytes(&c->onset, c->frame.sample_rate, c->frame.hop)) : 0;
    if (L->fa == 0 || (detects(c->mode) && L->det == 0)) return CS_LISTEN_E_ARG;
    L->q_cap = queue_of(c);
    L->queue = align_up((size_t)L->q_cap * sizeof(uint64_t));
    /* ONSETS gathers an event's level as its samples settle (feed_event), so its ring holds the wait only */
    L->ring_cap = (detects(c->mode) ? (uint64_t)c->frame.hop + 8 : longest_unit(c)) + wait_of(c);
    L->rows_cap = (longest_unit(c) + wait_of(c)) / (uint64_t)c->frame.hop + 4;
    L->ring = align_up((size_t)L->ring_cap * sizeof(float));
    L->rows = align_up((size_t)L->rows_cap * CS_FF_COUNT * sizeof(float));
    L->total = CS_LISTEN_ALIGN + L->head + L->fa + L->det + L->queue + L->ring + L->rows; /* + slack: align mem */
    return CS_LISTEN_OK;
}

size_t cs_listener_bytes(const cs_listen_config *c)
{
    layout L;
    return layout_of(c, &L) == CS_LISTEN_OK ? L.total : 0;
}

/* ------------------------------------------------------------------ units */

/* A unit [start, start + length) known now, its descriptors still to come. */
static void unit_head(const cs_listener *l, cs_listen_unit *u, uint64_t start, uint64_t length)
{
    memset(u, 0, sizeof *u);
    u->start = start;
    u->length = length;
    u->known_at = l->t;
    u->index = l->emitted;
}

/* Feed the unit's samples [from, length) from the ring (still held: the callers' ring sizes guarantee it). */
static void ring_samples(const cs_listener *l, cs_unit_accum *acc, uint64_t start, uint64_t from, uint64_t length)
{
    while (from < length) { /* at most two pieces: the ring wraps once */
        uint64_t slot = (start + from) % l->ring_cap, piece = l->ring_cap - slot;
        if (piece > length - from) piece = length - from;
        cs_unit_accum_samples(acc, l->ring + slot, from, from + piece);
        from += piece;
    }
}

/* Finish the description (rc: the accumulation's status so far) and emit the unit. */
static void finish_emit(cs_listener *l, cs_listen_unit *u, int rc, const cs_unit_accum *acc)
{
    if (rc == CS_UD_OK) rc = cs_unit_accum_finish(acc, u->raw);
    if (rc != CS_UD_OK) {
        memset(u->raw, 0, sizeof u->raw); /* never reached with the analyser's finite frames; counted */
        l->failed++;
    }
    l->emitted++;
    l->count++;
    if (l->emit) l->emit(l->user, u);
}

/* Describe [start, start + length) from the rings and emit it. The samples and frames are still held (the ring
 * sizes cover the longest unit, or for onsets the part not yet gathered, plus the longest wait). `lv`: the level
 * sums of the unit's samples [0, from) gathered before (ONSETS), or NULL (from = 0). */
static void describe_emit(cs_listener *l, uint64_t start, uint64_t length, const cs_level *lv, uint64_t from)
{
    cs_listen_unit u;
    unit_head(l, &u, start, length);
    cs_unit_accum acc;
    int rc = cs_unit_accum_begin(&acc, start, length, l->cfg.frame.hop, l->cfg.frame.sample_rate);
    uint64_t i0, i1;
    cs_unit_accum_frames(&acc, &i0, &i1);
    if (l->nfr == 0 || from > length || l->t - (start + from) > l->ring_cap || i0 + l->rows_cap < l->nfr)
        rc = CS_UD_E_ARG; /* no frame, or no longer held: never with the ring sizes of layout_of */
    if (lv) acc.lv = *lv;
    if (rc == CS_UD_OK) {
        ring_samples(l, &acc, start, from, length);
        if (i1 >= l->nfr) i1 = l->nfr - 1; /* only at the end of a signal: its last frame is the nearest */
        if (acc.nearest) i0 = i1;
        for (uint64_t i = i0; i <= i1; i++)
            cs_unit_accum_frame(&acc, i, l->rows + (i % l->rows_cap) * CS_FF_COUNT);
    }
    finish_emit(l, &u, rc, &acc);
}

/* Whether [start, start + length) can be described now: its samples pushed and its last frame computed (at the
 * end of the signal every frame there is has been computed). */
static int complete(const cs_listener *l, uint64_t start, uint64_t length)
{
    if (l->t < start + length) return 0;
    if (l->finished) return 1;
    const uint64_t hop = (uint64_t)l->cfg.frame.hop;
    uint64_t i0 = (start + hop - 1) / hop, i1 = (start + length - 1) / hop;
    if (i0 > i1) i1 = (uint64_t)floor(((double)start + 0.5 * (double)length) / (double)hop + 0.5);
    return i1 < l->nfr;
}

/* FRAMES: cell i = [i*hop - floor(hop/2), + hop), clipped to [0, end). */
static void cell_of(const cs_listener *l, uint64_t i, uint64_t end, uint64_t *start, uint64_t *length)
{
    const uint64_t hop = (uint64_t)l->cfg.frame.hop, h2 = hop / 2;
    uint64_t s = i * hop >= h2 ? i * hop - h2 : 0, e = i * hop + hop - h2;
    if (e > end) e = end;
    *start = s;
    *length = e > s ? e - s : 0;
}

/* GRAINS and FRAMES: emit every unit that is complete, in order. */
static void emit_fixed(cs_listener *l)
{
    for (;;) {
        uint64_t s, len;
        if (l->cfg.mode == CS_LISTEN_GRAINS) {
            s = l->next * l->cfg.grain_hop;
            len = l->cfg.grain_len;
            if (l->finished && s + len > l->t) return; /* does not fit the signal: dropped, as offline */
        } else {
            if (l->next >= l->nfr) return; /* cell i is emitted with frame i */
            cell_of(l, l->next, l->finished ? l->t : UINT64_MAX, &s, &len);
            if (len == 0) return;
        }
        if (!complete(l, s, len)) return;
        describe_emit(l, s, len, NULL, 0);
        l->next++;
    }
}

/* ONSETS: emit the open event, which ends at b, and open the next one there. */
static void next_event(cs_listener *l, uint64_t b)
{
    describe_emit(l, l->ev_start, b - l->ev_start, &l->ev_lv, l->ev_fed - l->ev_start);
    l->ev_start = l->ev_fed = b;
    memset(&l->ev_lv, 0, sizeof l->ev_lv);
}

/* ONSETS: add the open event's settled samples to its level sums, so that describing it at its end costs the
 * unsettled rest only (O(wait), not O(max_len)). A sample is settled when no later boundary can precede it
 * (cs_onset_settled) and it is not among the event's last 3 samples (cs_level_add puts the length % 4 last ones
 * into ss[0]: with 3 held back, every sample fed now is below length / 4 * 4 whatever the length). The sums are
 * bitwise those of one pass (each ss[k] gets its samples in order). */
static void feed_event(cs_listener *l)
{
    uint64_t to = cs_onset_settled(l->det);
    if (l->q_len > 0 && l->queue[l->q_head] < to) to = l->queue[l->q_head];
    if (to > l->t) to = l->t;
    if (to < l->ev_start + 3) return;
    to -= 3;
    const size_t open = (size_t)-4; /* a length whose tail no fed sample reaches */
    while (l->ev_fed < to) {
        uint64_t slot = l->ev_fed % l->ring_cap, piece = l->ring_cap - slot;
        if (piece > to - l->ev_fed) piece = to - l->ev_fed;
        size_t from = (size_t)(l->ev_fed - l->ev_start);
        cs_level_add(&l->ev_lv, l->ring + slot, from, from + (size_t)piece, open);
        l->ev_fed += piece;
    }
}

/* ONSETS: emit the events of the queued boundaries whose frames have all arrived, in order. */
static void drain(cs_listener *l)
{
    while (l->q_len > 0) {
        uint64_t b = l->queue[l->q_head];
        if (b > l->ev_start) {
            if (!complete(l, l->ev_start, b - l->ev_start)) return;
            next_event(l, b);
        }
        l->q_head = (l->q_head + 1) % l->q_cap;
        l->q_len--;
    }
}

/* ONSETS: a boundary ends the open event; it waits in the queue for the event's complete frames. */
static void on_boundary(void *user, const cs_onset_boundary *b)
{
    cs_listener *l = user;
    if (l->cfg.mode == CS_LISTEN_ATTACKS) return; /* attacks are reported at their alarms, events not at all */
    if (l->q_len == l->q_cap) { /* cannot happen (queue_of bounds it); the event then runs on to the next one */
        l->failed++;
        return;
    }
    l->queue[(l->q_head + l->q_len) % l->q_cap] = b->sample;
    l->q_len++;
}

/* ATTACKS: describe and emit the attack an alarm of frame `frame` announces (cs_listener.h, CS_LISTEN_ATTACKS):
 * the last hop of samples pushed [t - hop, t) for the level descriptors and frame `frame`'s early row (its window
 * ends at t; f0 and confidence are 0 there) for the others, as the one frame of a unit shorter than a hop. */
static void emit_attack(cs_listener *l, uint64_t frame, const float *row)
{
    const uint64_t hop = (uint64_t)l->cfg.frame.hop, start = l->t > hop ? l->t - hop : 0, length = l->t - start;
    cs_listen_unit u;
    unit_head(l, &u, start, length);
    cs_unit_accum acc;
    int rc = cs_unit_accum_begin(&acc, start, length, l->cfg.frame.hop, l->cfg.frame.sample_rate);
    if (rc == CS_UD_OK) {
        acc.i0 = acc.i1 = frame; /* the unit's one frame is the alarm's, whatever its centre */
        acc.nearest = 1;
        ring_samples(l, &acc, start, 0, length); /* the ring holds more than a hop */
        cs_unit_accum_frame(&acc, frame, row);
    }
    finish_emit(l, &u, rc, &acc);
}

/* ONSETS: the detector runs on the early report (flux and peak are final there). */
static void on_early(void *user, uint64_t frame, const float *row)
{
    cs_listener *l = user;
    l->nearly = frame + 1;
    cs_onset_push(l->det, row[CS_FF_FLUX], row[CS_FF_PEAK], on_boundary, l);
    if (l->cfg.mode == CS_LISTEN_ATTACKS) {
        if (cs_onset_alarmed(l->det)) emit_attack(l, frame, row);
        return;
    }
    drain(l);
}

static void on_frame(void *user, uint64_t frame, const float *row)
{
    cs_listener *l = user;
    memcpy(l->rows + (frame % l->rows_cap) * CS_FF_COUNT, row, CS_FF_COUNT * sizeof *row);
    l->nfr = frame + 1;
    if (l->det) drain(l);
}

/* ------------------------------------------------------------------ API */

int cs_listener_init(void *mem, size_t bytes, const cs_listen_config *c, const cs_fft_ops *fft, cs_listener **out)
{
    if (out) *out = NULL;
    layout L;
    if (!mem || !out || !fft || layout_of(c, &L) != CS_LISTEN_OK || bytes < L.total) return CS_LISTEN_E_ARG;
    char *p = (char *)mem;
    p += (CS_LISTEN_ALIGN - ((uintptr_t)p & (CS_LISTEN_ALIGN - 1))) & (CS_LISTEN_ALIGN - 1);
    cs_listener *l = (cs_listener *)p;
    memset(l, 0, sizeof *l);
    l->cfg = *c;
    p += L.head;
    if (cs_frame_analyser_init(p, L.fa, &c->frame, fft, &l->fa) != CS_FRAME_OK) return CS_LISTEN_E_INTERNAL;
    p += L.fa;
    if (detects(c->mode)) {
        if (cs_onset_init(p, L.det, &c->onset, c->frame.sample_rate, c->frame.hop, &l->det) != CS_ONSET_OK)
            return CS_LISTEN_E_ARG;
        p += L.det;
        l->queue = (uint64_t *)p;
        l->q_cap = L.q_cap;
        p += L.queue;
        cs_frame_analyser_set_early(l->fa, on_early);
        l->early_la = (uint64_t)cs_frame_early_lookahead(l->fa) + 1;
    }
    l->ring = (float *)p;
    l->ring_cap = L.ring_cap;
    p += L.ring;
    l->rows = (float *)p;
    l->rows_cap = L.rows_cap;
    l->la = (uint64_t)cs_frame_lookahead(l->fa) + 1;
    if (l->la != context_of(&c->frame)) return CS_LISTEN_E_INTERNAL; /* the ring sizes assume this context */
    l->max_wait = wait_of(c);
    cs_listener_reset(l);
    *out = l;
    return CS_LISTEN_OK;
}

void cs_listener_reset(cs_listener *l)
{
    if (!l) return;
    cs_frame_analyser_reset(l->fa);
    if (l->det) cs_onset_reset(l->det);
    l->t = l->nfr = l->next = l->ev_start = l->emitted = l->failed = 0;
    l->q_head = l->q_len = l->nearly = l->ev_fed = 0;
    memset(&l->ev_lv, 0, sizeof l->ev_lv);
    l->finished = 0;
    l->emit = NULL;
    l->user = NULL;
}

/* Copy n samples into the ring as the analyser sees them (non-finite -> 0, clamped to +-CS_FRAME_MAX_SAMPLE). */
static void ring_write(cs_listener *l, const float *x, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        float v = x[k];
        if (!isfinite(v))
            v = 0.0f;
        else if (v > CS_FRAME_MAX_SAMPLE)
            v = CS_FRAME_MAX_SAMPLE;
        else if (v < -CS_FRAME_MAX_SAMPLE)
            v = -CS_FRAME_MAX_SAMPLE;
        l->ring[(l->t + k) % l->ring_cap] = v;
    }
}

int cs_listener_push(cs_listener *l, const float *x, size_t n, cs_listen_emit emit, void *user)
{
    if (!l || !emit || (!x && n > 0)) return CS_LISTEN_E_ARG;
    if (l->finished) return 0;
    l->emit = emit;
    l->user = user;
    l->count = 0;
    const uint64_t hop = (uint64_t)l->cfg.frame.hop;
    size_t done = 0;
    while (done < n) {
        /* the piece ends where the next frame (or early report) is due: sample nfr*hop + la - 1 pushed */
        uint64_t due = l->nfr * hop + l->la, piece;
        if (l->det && l->nearly * hop + l->early_la < due) due = l->nearly * hop + l->early_la; /* or an early one */
        piece = due > l->t ? due - l->t : hop;
        if (piece > n - done) piece = n - done;
        ring_write(l, x + done, (size_t)piece);
        l->t += piece;
        cs_frame_analyser_push(l->fa, x + done, (size_t)piece, on_frame, l);
        done += (size_t)piece;
        if (l->cfg.mode == CS_LISTEN_ONSETS)
            feed_event(l);
        else if (l->cfg.mode != CS_LISTEN_ATTACKS)
            emit_fixed(l);
    }
    l->emit = NULL;
    return l->count;
}

int cs_listener_finish(cs_listener *l, cs_listen_emit emit, void *user)
{
    if (!l || !emit) return CS_LISTEN_E_ARG;
    if (l->finished) return 0;
    l->emit = emit;
    l->user = user;
    l->count = 0;
    cs_frame_analyser_finish(l->fa, on_frame, l);
    l->finished = 1;
    if (l->cfg.mode == CS_LISTEN_ONSETS) {
        cs_onset_finish(l->det, l->t, on_boundary, l);
        drain(l); /* finished: every frame there is has arrived */
        if (l->t > l->ev_start) next_event(l, l->t);
    } else if (l->cfg.mode != CS_LISTEN_ATTACKS) {
        emit_fixed(l);
    }
    l->emit = NULL;
    return l->count;
}

uint64_t cs_listener_samples(const cs_listener *l)
{
    return l ? l->t : 0;
}

uint64_t cs_listener_bad_samples(const cs_listener *l)
{
    return l ? cs_frame_analyser_bad_samples(l->fa) : 0;
}

uint64_t cs_listener_failed(const cs_listener *l)
{
    return l ? l->failed : 0;
}

uint64_t cs_listener_max_wait(const cs_listener *l)
{
    return l ? l->max_wait : 0;
}

const cs_listen_config *cs_listener_config(const cs_listener *l)
{
    return l ? &l->cfg : NULL;
}
