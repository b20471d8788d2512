/*
 * cs_frames.c - descriptor frames of a whole signal or of a signal given in pieces: a thin multi-thread host of
 * the real-time core's frame analyser (plugins/core/cs_frame.h, which holds every definition; the features are
 * documented in corpus-tools/DESCRIPTORS.md) and of its FFTW host (plugins/core/cs_fft.h, one per process, so
 * the CLI and the plugins execute the same plans).
 *
 * Layout of the work: the samples are held in a buffer of about 1 M samples plus the frames' context; each
 * batch of frames whose context is held is split into contiguous ranges, one per thread, and each thread runs
 * its own analyser over its range: cs_frame_analyser_seek to the range's first frame (the analyser recomputes
 * the previous frame's spectrum for the flux), cs_frame_analyser_limit to its end, the range's samples pushed
 * from the buffer, and at the end of the signal cs_frame_analyser_finish. The analyser's caches are exact, so
 * the frames are bitwise the same for any thread count, any piece size and any batch boundary, and the same as
 * one analyser fed the whole signal (tests/c/test_frame_stream.c).
 */
#include "cs_frames.h"

#include "cs_error.h"
#include "cs_fft.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ parameters */

void cs_frame_params_default(cs_frame_params *p, int sample_rate)
{
    if (!p) return;
    p->sample_rate = sample_rate;
    p->fft_size = CS_FRAME_DEFAULT_FFT_SIZE;
    p->hop = CS_FRAME_DEFAULT_HOP;
    p->n_mels = CS_FRAME_DEFAULT_N_MELS;
    p->mel_fmin = CS_FRAME_DEFAULT_MEL_FMIN;
    const double sr = sample_rate > 0 ? (double)sample_rate : 0.0;
    p->mel_fmax = 0.5 * sr < CS_FRAME_DEFAULT_MEL_FMAX ? 0.5 * sr : CS_FRAME_DEFAULT_MEL_FMAX;
    p->rolloff = CS_FRAME_DEFAULT_ROLLOFF; /* the decimal the manifest shows; analysed as its float32 */
    p->yin_threshold = CS_FRAME_DEFAULT_YIN_THRESHOLD;
    p->f0_min = CS_FRAME_DEFAULT_F0_MIN;
    p->f0_max = 0.25 * sr < CS_FRAME_DEFAULT_F0_MAX ? 0.25 * sr : CS_FRAME_DEFAULT_F0_MAX;
}

int cs_frame_params_config(const cs_frame_params *p, cs_frame_config *c)
{
    if (!p || !c) return CS_E_ARG;
    memset(c, 0, sizeof *c);
    if (p->sample_rate <= 0 || p->sample_rate > 1000000) return CS_E_ARG;
    c->sample_rate = (float)p->sample_rate;
    c->fft_size = p->fft_size;
    c->hop = p->hop;
    c->n_mels = p->n_mels;
    c->mel_fmin = (float)p->mel_fmin;
    c->mel_fmax = (float)p->mel_fmax;
    c->rolloff = (float)p->rolloff;
    c->yin_threshold = (float)p->yin_threshold;
    c->f0_min = (float)p->f0_min;
    c->f0_max = (float)p->f0_max;
    return cs_frame_config_check(c) == CS_FRAME_OK ? 0 : CS_E_ARG;
}

/* ------------------------------------------------------------------ the process's FFTW host */

static pthread_once_t cs_frames_fft_once = PTHREAD_ONCE_INIT;
static cs_fft_host *cs_frames_fft; /* every size an analyser asks for; lives as long as the process */

static void make_fft_host(void)
{
    cs_frames_fft = cs_fft_host_new(CS_FRAME_MAX_FFT);
}

/* ------------------------------------------------------------------ threads */

typedef struct fr_job {
    cs_frame_analyser *an;
    void *mem;
    const float *buf; /* the held samples: signal samples [x0, x0 + held) */
    int64_t x0;
    size_t held;
    uint64_t r0, r1; /* frames [r0, r1) */
    int last;        /* the signal ends at x0 + held: finish the analyser */
    float *out;      /* (n_frames, CS_FF_COUNT) */
} fr_job;

static void emit_row(void *user, uint64_t frame, const float *row)
{
    fr_job *job = user;
    memcpy(job->out + frame * (uint64_t)CS_FF_COUNT, row, CS_FF_COUNT * sizeof(float));
}

static void run_range(fr_job *job)
{
    cs_frame_analyser *an = job->an;
    const int64_t from = (int64_t)cs_frame_analyser_seek(an, job->r0);
    cs_frame_analyser_limit(an, job->r1);
    /* the samples up to the range's last frame's context, or to the end of the signal */
    const int64_t end_held = job->x0 + (int64_t)job->held;
    const int64_t hop = cs_frame_analyser_config(an)->hop;
    int64_t to = (int64_t)(job->r1 - 1) * hop + cs_frame_lookahead(an) + 1;
    if (to > end_held) to = end_held;
    if (to > from) cs_frame_analyser_push(an, job->buf + (from - job->x0), (size_t)(to - from), emit_row, job);
    if (job->last && to == end_held) cs_frame_analyser_finish(an, emit_row, job);
}

static void *thread_main(void *arg)
{
    run_range((fr_job *)arg);
    return NULL;
}

#define CS_FR_STREAM_CHUNK (1u << 20) /* samples taken in per batch of frames (plus the context kept) */

struct cs_frames_stream {
    cs_frame_config cfg;
    float *buf; /* cap samples; len held: signal samples [x0, x0 + len) */
    size_t cap, len;
    int64_t x0;
    size_t total;    /* samples pushed */
    size_t done;     /* frames computed */
    size_t out_rows; /* rows allocated in out */
    float *out;
    size_t ctx; /* samples a frame reads on each side of its centre: lookahead + 1 */
    int n_threads, err;
    fr_job *jobs;
    pthread_t *tids;
};

int cs_frames_stream_new(const cs_frame_params *p, int n_threads, cs_frames_stream **out)
{
    if (!out) return CS_E_ARG;
    *out = NULL;
    cs_frame_config cfg;
    if (!p || n_threads < 1 || cs_frame_params_config(p, &cfg) != 0) return CS_E_ARG;
    if (n_threads > 64) n_threads = 64;
    pthread_once(&cs_frames_fft_once, make_fft_host);
    if (!cs_frames_fft) return CS_E_INTERNAL;
    const cs_fft_ops ops = cs_fft_host_ops(cs_frames_fft);
    cs_frames_stream *st = calloc(1, sizeof *st);
    if (!st) return CS_E_NOMEM;
    st->cfg = cfg;
    st->n_threads = n_threads;
    st->jobs = calloc((size_t)n_threads, sizeof *st->jobs);
    st->tids = calloc((size_t)n_threads, sizeof *st->tids);
    int err = st->jobs && st->tids ? 0 : CS_E_NOMEM;
    const size_t bytes = cs_frame_analyser_bytes(&cfg);
    for (int t = 0; err == 0 && t < n_threads; t++) {
        st->jobs[t].mem = malloc(bytes);
        if (!st->jobs[t].mem) {
            err = CS_E_NOMEM;
            break;
        }
        int rc = cs_frame_analyser_init(st->jobs[t].mem, bytes, &cfg, &ops, &st->jobs[t].an);
        if (rc != CS_FRAME_OK) err = rc == CS_FRAME_E_FFT ? CS_E_INTERNAL : CS_E_ARG;
    }
    if (err == 0) {
        st->ctx = (size_t)cs_frame_lookahead(st->jobs[0].an) + 1;
        st->cap = CS_FR_STREAM_CHUNK + 4 * (st->ctx + (size_t)cfg.hop);
        st->buf = malloc(st->cap * sizeof *st->buf);
        if (!st->buf) err = CS_E_NOMEM;
    }
    if (err) {
        cs_frames_stream_free(st);
        return err;
    }
    *out = st;
    return 0;
}

/* Compute frames [st->done, end) from the held samples, split over the threads (each range starts its analyser
 * at its first frame: the numbers do not depend on the split). last: the held samples end the signal. */
static int stream_frames(cs_frames_stream *st, size_t end, int last)
{
    if (end <= st->done) return 0;
    if (end > st->out_rows) {
        size_t rows = st->out_rows ? st->out_rows : 4096;
        while (rows < end)
            rows = rows / 2 * 3;
        if (rows > SIZE_MAX / CS_FF_COUNT / sizeof(float)) return CS_E_NOMEM;
        float *o = realloc(st->out, rows * CS_FF_COUNT * sizeof *o);
        if (!o) return CS_E_NOMEM;
        st->out = o;
        st->out_rows = rows;
    }
    const size_t cnt = end - st->done;
    size_t nt = (size_t)st->n_threads;
    if (nt > cnt / 16) nt = cnt / 16 ? cnt / 16 : 1; /* at least 16 frames a thread: the recomputed one is cheap */
    for (size_t t = 0; t < nt; t++) {
        fr_job *j = &st->jobs[t];
        j->r0 = st->done + cnt * t / nt;
        j->r1 = st->done + cnt * (t + 1) / nt;
        j->buf = st->buf;
        j->x0 = st->x0;
        j->held = st->len;
        j->last = last;
        j->out = st->out;
    }
    size_t started = 0;
    for (size_t t = 1; t < nt; t++) {
        if (pthread_create(&st->tids[t], NULL, thread_main, &st->jobs[t]) != 0) break;
        started = t;
    }
    run_range(&st->jobs[0]);
    /* threads that could not be started: run their ranges here (same code, same result) */
    for (size_t t = started + 1; t < nt; t++)
        run_range(&st->jobs[t]);
    for (size_t t = 1; t <= started; t++)
        pthread_join(st->tids[t], NULL);
    st->done = end;
    return 0;
}

/* The frames whose context is held, then drop the samples no later frame reads (a frame's context and the
 * previous frame's spectrum: ctx + hop samples before the next centre). */
static int stream_batch(cs_frames_stream *st)
{
    const size_t hop = (size_t)st->cfg.hop, held_end = (size_t)st->x0 + st->len;
    size_t end = held_end >= st->ctx ? (held_end - st->ctx) / hop + 1 : 0;
    int err = stream_frames(st, end, 0);
    if (err) return err;
    size_t keep_from = st->done * hop > st->ctx + hop ? st->done * hop - st->ctx - hop : 0;
    if (keep_from > (size_t)st->x0) {
        size_t drop = keep_from - (size_t)st->x0;
        memmove(st->buf, st->buf + drop, (st->len - drop) * sizeof *st->buf);
        st->len -= drop;
        st->x0 = (int64_t)keep_from;
    }
    return 0;
}

int cs_frames_stream_push(cs_frames_stream *st, const float *x, size_t n)
{
    if (!st || (!x && n)) return CS_E_ARG;
    if (st->err) return st->err;
    for (size_t j = 0; j < n; j++) {
        if (!isfinite(x[j])) return st->err = CS_E_NONFINITE;
        if (fabsf(x[j]) > CS_FRAME_MAX_SAMPLE) return st->err = CS_E_ARG;
    }
    while (n > 0) {
        size_t k = st->cap - st->len < n ? st->cap - st->len : n;
        memcpy(st->buf + st->len, x, k * sizeof *x);
        st->len += k;
        st->total += k;
        x += k;
        n -= k;
        if (st->len == st->cap) {
            int err = stream_batch(st);
            if (err) return st->err = err;
        }
    }
    return 0;
}

int cs_frames_stream_finish(cs_frames_stream *st, cs_frames *out)
{
    if (!st || !out) return CS_E_ARG;
    memset(out, 0, sizeof *out);
    if (st->err) return st->err;
    if (st->total == 0) return st->err = CS_E_EMPTY;
    const size_t nf = st->total / (size_t)st->cfg.hop + 1;
    int err = stream_frames(st, nf, 1);
    if (err) return st->err = err;
    out->n_frames = nf;
    out->hop = st->cfg.hop;
    out->sample_rate = (int)st->cfg.sample_rate;
    out->data = st->out;
    st->out = NULL;
    st->out_rows = 0;
    st->err = CS_E_ARG; /* finished: no more samples */
    return 0;
}

void cs_frames_stream_free(cs_frames_stream *st)
{
    if (!st) return;
    if (st->jobs)
        for (int t = 0; t < st->n_threads; t++)
            free(st->jobs[t].mem);
    free(st->jobs);
    free(st->tids);
    free(st->buf);
    free(st->out);
    free(st);
}

int cs_frames_analyze(const float *x, size_t n, const cs_frame_params *p, int n_threads, cs_frames *out)
{
    if (!out) return CS_E_ARG;
    memset(out, 0, sizeof *out);
    cs_frame_config cfg;
    if (!x || !p || n_threads < 1 || cs_frame_params_config(p, &cfg) != 0) return CS_E_ARG;
    if (n == 0) return CS_E_EMPTY;
    cs_frames_stream *st = NULL;
    int err = cs_frames_stream_new(p, n_threads, &st);
    if (err == 0) err = cs_frames_stream_push(st, x, n);
    if (err == 0) err = cs_frames_stream_finish(st, out);
    cs_frames_stream_free(st);
    return err;
}

void cs_frames_free(cs_frames *f)
{
    if (!f) return;
    free(f->data);
    memset(f, 0, sizeof *f);
}
