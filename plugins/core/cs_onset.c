/*
 * cs_onset.c - the causal spectral-flux onset detector (cs_onset.h has the definition and its references).
 * The past median is kept as a sorted copy of the window (O(W) insertion and removal per frame, no selection),
 * so the work per frame is bounded and the result does not depend on how the frames were delivered.
 */
#include "cs_onset.h"

#include <math.h>
#include <string.h>

#define CS_ONSET_LOG_FLOOR 1e-7 /* floor of the log peak amplitudes in the refinement (-140 dBFS) */
#define CS_ONSET_MAX_LEN   ((uint64_t)1 << 40)

struct cs_onset {
    cs_onset_config cfg;
    cs_onset_plan plan;
    double lambda, delta; /* 1 + threshold, delta_abs */
    int W, count;         /* window frames (2M + 1) and how many it holds */
    float *ring;          /* W: the window's values, frame k at ring[k % W] */
    float *sorted;        /* count values of the window, ascending */
    uint64_t frames;      /* frames pushed */
    float d_prev, d_cur;  /* d(i-1), d(i) of the undecided candidate i = frames - 1 */
    double thr_cur;       /* t(i) */
    float pk[4];          /* p(frames-4) .. p(frames-1) at pk[(k) & 3] */
    uint64_t last;        /* last accepted boundary, samples */
    int finished;
    uint64_t bad;
    int alarmed;          /* the frame pushed last raised an alarm (cs_onset_alarmed) */
    int have_alarm;       /* an alarm was raised since init/reset */
    uint64_t alarm_frame; /* the frame of the last alarm */
};

void cs_onset_config_default(cs_onset_config *c)
{
    if (!c) return;
    c->threshold = (float)CS_ONSET_DEFAULT_THRESHOLD;
    c->delta_abs = 0.0f;
    c->median_s = (float)CS_ONSET_DEFAULT_MEDIAN_S;
    c->min_len_s = (float)CS_ONSET_DEFAULT_MIN_LEN_S;
    c->max_len_s = (float)CS_ONSET_DEFAULT_MAX_LEN_S;
    c->pre_s = (float)CS_ONSET_DEFAULT_PRE_S;
    c->refine_s = (float)CS_ONSET_DEFAULT_REFINE_S;
}

float cs_onset_delta_abs(double delta, double mean_flux)
{
    return (float)((double)(float)delta * (double)(float)mean_flux);
}

/* Seconds (float32) to samples, rounded; -1 when not finite, negative or absurdly large. */
static long long secs_to_samples(float s, float rate)
{
    if (!isfinite(s) || s < 0.0f) return -1;
    double v = (double)s * (double)rate;
    if (v > 9.0e15) return -1;
    return (long long)llround(v);
}

int cs_onset_config_check(const cs_onset_config *c, float sample_rate, int hop, cs_onset_plan *plan)
{
    if (!c || !isfinite(sample_rate) || !(sample_rate > 0.0f) || hop < 1) return CS_ONSET_E_ARG;
    if (!isfinite(c->threshold) || c->threshold < 0.0f || !isfinite(c->delta_abs) || c->delta_abs < 0.0f)
        return CS_ONSET_E_ARG;
    long long min_len = secs_to_samples(c->min_len_s, sample_rate);
    long long max_len = secs_to_samples(c->max_len_s, sample_rate);
    long long pre = secs_to_samples(c->pre_s, sample_rate);
    long long med_w = secs_to_samples(c->median_s, sample_rate);
    long long refine = secs_to_samples(c->refine_s, sample_rate);
    if (min_len < 1 || max_len < 2 * min_len || (uint64_t)max_len > CS_ONSET_MAX_LEN) return CS_ONSET_E_ARG;
    if (pre < 0 || pre > (long long)CS_ONSET_MAX_LEN || med_w < 0 || refine < 0) return CS_ONSET_E_ARG;
    double half = (double)llround((double)med_w / (double)hop / 2.0);
    if (half > (double)CS_ONSET_MAX_HALF) return CS_ONSET_E_ARG;
    if (plan) {
        plan->hop = hop;
        plan->min_len = (uint64_t)min_len;
        plan->max_len = (uint64_t)max_len;
        plan->pre = (uint64_t)pre;
        plan->half = half < 1.0 ? 1 : (int)half;
        plan->refine = refine > 0 ? 1 : 0; /* ceil(refine / hop) frames, at most one (cs_onset.h, step 3) */
    }
    return CS_ONSET_OK;
}

/* Bytes of the struct, rounded up to 8. */
static size_t head_bytes(void)
{
    return (sizeof(struct cs_onset) + 7) & ~(size_t)7;
}

size_t cs_onset_bytes(const cs_onset_config *c, float sample_rate, int hop)
{
    cs_onset_plan p;
    if (cs_onset_config_check(c, sample_rate, hop, &p) != CS_ONSET_OK) return 0;
    return head_bytes() + 2 * (size_t)(2 * p.half + 1) * sizeof(float);
}

int cs_onset_init(void *mem, size_t bytes, const cs_onset_config *c, float sample_rate, int hop, cs_onset **out)
{
    if (out) *out = NULL;
    if (!mem || !out || ((uintptr_t)mem & 7u) != 0) return CS_ONSET_E_ARG;
    size_t need = cs_onset_bytes(c, sample_rate, hop);
    if (need == 0 || bytes < need) return CS_ONSET_E_ARG;
    cs_onset *o = mem;
    memset(o, 0, sizeof *o);
    o->cfg = *c;
    cs_onset_config_check(c, sample_rate, hop, &o->plan);
    o->lambda = 1.0 + (double)c->threshold;
    o->delta = (double)c->delta_abs;
    o->W = 2 * o->plan.half + 1;
    o->ring = (float *)((char *)mem + head_bytes());
    o->sorted = o->ring + o->W;
    cs_onset_reset(o);
    *out = o;
    return CS_ONSET_OK;
}

void cs_onset_reset(cs_onset *o)
{
    if (!o) return;
    o->count = 0;
    o->frames = 0;
    o->d_prev = o->d_cur = 0.0f;
    o->thr_cur = 0.0;
    memset(o->pk, 0, sizeof o->pk);
    o->last = 0;
    o->finished = 0;
    o->bad = 0;
    o->alarmed = o->have_alarm = 0;
    o->alarm_frame = 0;
}

/* First index of sorted[0..m) whose value is >= v (binary search). */
static int lower_bound(const float *a, int m, float v)
{
    int lo = 0, hi = m;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (a[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Slide the window to include d (frame o->frames) and return its median. */
static double window_median(cs_onset *o, float d)
{
    float *s = o->sorted;
    const int slot = (int)(o->frames % (uint64_t)o->W);
    if (o->count == o->W) { /* drop the frame leaving the window (equal values are interchangeable) */
        int k = lower_bound(s, o->count, o->ring[slot]);
        memmove(s + k, s + k + 1, (size_t)(o->count - k - 1) * sizeof *s);
        o->count--;
    }
    o->ring[slot] = d;
    int k = lower_bound(s, o->count, d);
    memmove(s + k + 1, s + k, (size_t)(o->count - k) * sizeof *s);
    s[k] = d;
    o->count++;
    const int m = o->count;
    double med = (double)s[m / 2];
    if (m % 2 == 0) med = 0.5 * (med + (double)s[m / 2 - 1]); /* even window: the mean of the two middle values */
    return med;
}

static double log_amp(float x)
{
    double v = (double)x;
    return log(v > CS_ONSET_LOG_FLOOR ? v : CS_ONSET_LOG_FLOOR);
}

/* Peak p(j) of a frame still held (j >= frames - 4), 0 before the signal. */
static float peak_of(const cs_onset *o, uint64_t j)
{
    return o->pk[j & 3];
}

/* Emit a boundary at `sample` and make it the last. */
static void boundary(cs_onset *o, uint64_t sample, uint64_t frame, int forced, cs_onset_emit emit, void *user)
{
    cs_onset_boundary e = {sample, frame, forced};
    o->last = sample;
    if (emit) emit(user, &e);
}

/* The cut that ends an event running past max_len when the next boundary is `b`: at last + max_len, or
 * b - min_len when b would come less than min_len after that (so b keeps its onset and the event stays <= max_len). */
static uint64_t cut_before(const cs_onset *o, uint64_t b)
{
    uint64_t c = o->last + o->plan.max_len;
    return b < c + o->plan.min_len ? b - o->plan.min_len : c;
}

/* Accept boundary b (decided at frame `frame`): the forced cuts before it, then b when it keeps min_len. */
static int accept(cs_onset *o, uint64_t b, uint64_t frame, cs_onset_emit emit, void *user)
{
    int n = 0;
    while (b > o->last + o->plan.max_len) {
        boundary(o, cut_before(o, b), frame, 1, emit, user);
        n++;
    }
    if (b >= o->last + o->plan.min_len) {
        boundary(o, b, frame, 0, emit, user);
        n++;
    }
    return n;
}

/* Decide about candidate frame i = o->frames - 1 (the frame after it has d = d_next, or none: has_next = 0). */
static int decide(cs_onset *o, int has_next, float d_next, cs_onset_emit emit, void *user)
{
    const uint64_t i = o->frames - 1;
    const float di = o->d_cur;
    if (!(di > 0.0f) || (i > 0 && !(di > o->d_prev)) || (has_next && !(di >= d_next))) return 0;
    if (!((double)di > o->thr_cur)) return 0;
    uint64_t best = i;
    if (o->plan.refine > 0) {                   /* frames i-1 .. i+1 (i .. when the signal ended at i) */
        const double min_rise = 0.5 * log(2.0); /* 3 dB */
        double best_rise = min_rise;
        uint64_t j0 = i > 0 ? i - 1 : 0, j1 = has_next ? i + 1 : i;
        for (uint64_t j = j0; j <= j1; j++) {
            double prev = j > 0 ? log_amp(peak_of(o, j - 1)) : log(CS_ONSET_LOG_FLOOR);
            double rise = log_amp(peak_of(o, j)) - prev;
            if (rise > best_rise) {
                best_rise = rise;
                best = j;
            }
        }
    }
    const uint64_t hop = (uint64_t)o->plan.hop;
    uint64_t pos = best * hop;
    pos = pos >= hop / 2 ? pos - hop / 2 : 0; /* the start of the hop cell */
    uint64_t b = pos >= o->plan.pre ? pos - o->plan.pre : 0;
    return accept(o, b, i, emit, user);
}

/* Forced cuts no later candidate can move: the next undecided candidate is frame `next`, so every later boundary
 * is >= lb; a cut at c = last + max_len is final once lb >= c + min_len (cut_before cannot move it then). */
static int forced_cuts(cs_onset *o, uint64_t next, cs_onset_emit emit, void *user)
{
    const long long hop = o->plan.hop;
    long long j = (long long)next - o->plan.refine;
    long long lb = j * hop - hop / 2 - (long long)o->plan.pre;
    int n = 0;
    while (lb >= 0 && o->last + o->plan.max_len + o->plan.min_len <= (uint64_t)lb) {
        boundary(o, o->last + o->plan.max_len, next > 0 ? next - 1 : 0, 1, emit, user);
        n++;
    }
    return n;
}

/* Whether frame o->frames (flux d, threshold thr) raises an alarm (cs_onset.h, "Alarms"): it meets the candidate
 * conditions of step 2 but the look-ahead one, comes at least min_len after the last alarm's frame, and the latest
 * boundary it could give keeps min_len after the last accepted one. */
static int alarm_now(cs_onset *o, float d, double thr)
{
    const uint64_t i = o->frames;
    if (!(d > 0.0f) || (i > 0 && !(d > o->d_cur)) || !((double)d > thr)) return 0;
    if (o->have_alarm && (i - o->alarm_frame) * (uint64_t)o->plan.hop < o->plan.min_len) return 0;
    /* the latest boundary a candidate at i can give (refined onto i + R) must keep min_len after the last one */
    const uint64_t hop = (uint64_t)o->plan.hop, pos = (i + (uint64_t)o->plan.refine) * hop;
    const uint64_t cell = pos >= hop / 2 ? pos - hop / 2 : 0, b = cell >= o->plan.pre ? cell - o->plan.pre : 0;
    if (b < o->last + o->plan.min_len) return 0;
    o->have_alarm = 1;
    o->alarm_frame = i;
    return 1;
}

int cs_onset_push(cs_onset *o, float flux, float peak, cs_onset_emit emit, void *user)
{
    if (!o || o->finished) return 0;
    if (!isfinite(flux)) flux = 0.0f, o->bad++;
    if (!isfinite(peak)) peak = 0.0f, o->bad++;
    const float d = flux > 0.0f ? flux : 0.0f;
    const double thr = o->lambda * window_median(o, d) + o->delta;
    o->pk[o->frames & 3] = peak;
    int n = 0;
    if (o->frames > 0) n += decide(o, 1, d, emit, user); /* candidate frames - 1, its successor has arrived */
    o->alarmed = alarm_now(o, d, thr);
    o->d_prev = o->d_cur;
    o->d_cur = d;
    o->thr_cur = thr;
    o->frames++;
    n += forced_cuts(o, o->frames - 1, emit, user);
    return n;
}

int cs_onset_finish(cs_onset *o, uint64_t n, cs_onset_emit emit, void *user)
{
    if (!o || o->finished) return 0;
    int k = 0;
    if (o->frames > 0) k += decide(o, 0, 0.0f, emit, user);
    o->finished = 1;
    o->alarmed = 0;
    while (n > o->last + o->plan.max_len) { /* the end acts as the next boundary: the last event keeps min_len */
        boundary(o, cut_before(o, n), o->frames, 1, emit, user);
        k++;
    }
    return k;
}

uint64_t cs_onset_settled(const cs_onset *o)
{
    if (!o || o->frames == 0) return 0;
    /* the next undecided candidate is frame `frames - 1`: its boundary, or a cut moved back from it, is >= lb -
     * min_len; a cut at last + max_len is > lb - min_len, or forced_cuts would have made it already */
    const long long hop = o->plan.hop;
    long long lb = ((long long)o->frames - 1 - o->plan.refine) * hop - hop / 2 - (long long)o->plan.pre -
                   (long long)o->plan.min_len;
    uint64_t s = lb > 0 ? (uint64_t)lb : 0;
    return s > o->last ? s : o->last;
}

int cs_onset_alarmed(const cs_onset *o)
{
    return o ? o->alarmed : 0;
}

uint64_t cs_onset_frames(const cs_onset *o)
{
    return o ? o->frames : 0;
}

uint64_t cs_onset_last(const cs_onset *o)
{
    return o ? o->last : 0;
}

uint64_t cs_onset_bad_values(const cs_onset *o)
{
    return o ? o->bad : 0;
}

const cs_onset_plan *cs_onset_get_plan(const cs_onset *o)
{
    return o ? &o->plan : NULL;
}
