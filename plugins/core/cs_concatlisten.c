/* cs_concatlisten.c - the host-independent logic of the ConcatListen UGen. See cs_concatlisten.h. */
#include "cs_concatlisten.h"

#include <math.h>
#include <string.h>

int cs_cl_open(cs_concatlisten *cl, double sample_rate, float mode, const float *select, uint32_t num_select,
               const cs_fft_ops *fft)
{
    memset(cl, 0, sizeof *cl);
    cl->table_err = CS_UT_E_NULL;
    cl->state = CS_CL_NO_FFT;
    cl->label = -1.0f;
    cl->best_label = -1;
    cl->mode = (mode >= 0.0f && mode < (float)CS_CL_NUM_MODES) ? (int)mode : CS_LISTEN_ONSETS;
    if (num_select > CS_CL_MAX_SELECT) num_select = CS_CL_MAX_SELECT;
    cl->num_select = select ? num_select : 0;
    for (uint32_t i = 0; i < cl->num_select; ++i) {
        const float s = select[i];
        cl->select[i] = (s >= 0.0f && s < (float)CS_D_COUNT) ? (int32_t)s : -1;
    }
    cl->sample_rate = sample_rate;
    if (!(sample_rate > 0.0) || !isfinite(sample_rate)) return CS_CL_OPEN_RATE;
    if (!fft || !fft->r2c || !fft->c2r) return CS_CL_OPEN_FFT;
    cl->fft = *fft;
    cl->opened = 1;
    cl->state = CS_CL_NO_TABLE;
    return CS_CL_OPEN_OK;
}

void cs_cl_close(cs_concatlisten *cl, cs_cl_free_fn free_fn, void *user)
{
    if (cl->mem && free_fn) free_fn(user, cl->mem);
    cl->mem = NULL;
    cl->mem_size = 0;
    cl->listener = NULL;
}

/* The power of two nearest v (geometrically: v in [p / sqrt 2, p sqrt 2) gives p), 256 .. 16384. */
static int nearest_pow2(double v)
{
    int p = 256;
    while (p < 16384 && v >= (double)p * 1.4142135623730951)
        p *= 2;
    return p;
}

/* round(n * ratio), at least 1. */
static uint32_t scale_samples(uint32_t n, double ratio)
{
    const double v = floor((double)n * ratio + 0.5);
    return v < 1.0 ? 1u : (v > (double)CS_LISTEN_MAX_UNIT ? CS_LISTEN_MAX_UNIT : (uint32_t)v);
}

int cs_cl_config(const cs_ut_listen *listen, double sample_rate, int mode, cs_listen_config *c)
{
    memset(c, 0, sizeof *c);
    const cs_frame_config *t = &listen->frame;
    cs_frame_config *f = &c->frame;
    *f = *t;
    c->mode = mode;
    c->grain_len = listen->grain_len;
    c->grain_hop = listen->grain_hop;
    cs_ut_listen_onset(listen, &c->onset);
    if ((double)t->sample_rate == sample_rate) return 0;
    /* another rate: the same analysis in seconds and Hz, at the server's rate */
    const double ratio = sample_rate / (double)t->sample_rate;
    f->sample_rate = (float)sample_rate;
    f->fft_size = nearest_pow2((double)t->fft_size * ratio);
    f->hop = (int)scale_samples(t->hop > 0 ? (uint32_t)t->hop : 1u, ratio);
    if (f->hop > f->fft_size) f->hop = f->fft_size;
    if (f->mel_fmax > (float)(sample_rate / 2.0)) f->mel_fmax = (float)(sample_rate / 2.0);
    if (f->mel_fmin >= f->mel_fmax) f->mel_fmin = 0.0f;
    if (f->f0_max > (float)(sample_rate / 4.0)) f->f0_max = (float)(sample_rate / 4.0);
    if ((double)f->f0_min * CS_FRAME_MAX_LAG < sample_rate) f->f0_min = (float)(sample_rate / CS_FRAME_MAX_LAG);
    c->grain_len = scale_samples(listen->grain_len, ratio);
    c->grain_hop = scale_samples(listen->grain_hop, ratio);
    return 1;
}

/* Forget the queued units, the search and the held outputs (a new table, a failing state). */
static void clear_outputs(cs_concatlisten *cl)
{
    cl->searching = 0;
    cl->queued = 0;
    cl->head = 0;
    cl->label = -1.0f;
    cl->distance = 0.0f;
    cl->age = 0.0f;
    memset(cl->desc, 0, sizeof cl->desc);
}

/* A new table Buffer: parse, require the listening section, configure and place the listener. */
static void rebind_table(cs_concatlisten *cl, const float *table, uint32_t samples, uint32_t channels,
                         cs_cl_alloc_fn alloc_fn, cs_cl_free_fn free_fn, void *user)
{
    cl->table_data = table;
    cl->table_samples = samples;
    cl->table_channels = channels;
    cl->listener = NULL;
    cl->approximate = 0;
    cl->config_err = 0;
    cl->base = 0;
    cl->total = 0;
    clear_outputs(cl);
    if (channels != 1)
        cl->table_err = CS_UT_E_DIMS;
    else
        cl->table_err = cs_ut_parse(table, samples, 0, &cl->view); /* header and sizes only: O(1) */
    if (cl->table_err != CS_UT_OK) {
        cl->state = CS_CL_BAD_TABLE;
        return;
    }
    if (!cl->view.has_listen) {
        cl->state = CS_CL_NO_LISTEN;
        return;
    }
    cl->weight_sum = 0.0;
    for (uint32_t d = 0; d < cl->view.num_descriptors; ++d)
        if (cl->view.listen.weight[d] > 0.0f) cl->weight_sum += (double)cl->view.listen.weight[d];
    cl->approximate = cs_cl_config(&cl->view.listen, cl->sample_rate, cl->mode, &cl->config);
    const size_t need = cs_listener_bytes(&cl->config);
    cl->need = need;
    if (need == 0 || cl->view.num_descriptors > CS_D_COUNT) { /* the listener refuses these settings */
        cl->config_err = CS_LISTEN_E_ARG;
        cl->state = CS_CL_BAD_CONFIG;
        return;
    }
    if (need > cl->mem_size) { /* too small (or none): replace it; a table of the same settings reuses it */
        if (cl->mem && free_fn) free_fn(user, cl->mem);
        cl->mem = alloc_fn ? alloc_fn(user, need) : NULL;
        cl->mem_size = cl->mem ? need : 0;
        if (!cl->mem) {
            cl->state = CS_CL_NO_MEMORY;
            return;
        }
    }
    const int r = cs_listener_init(cl->mem, cl->mem_size, &cl->config, &cl->fft, &cl->listener);
    if (r != CS_LISTEN_OK || !cl->listener) {
        cl->listener = NULL;
        cl->config_err = r;
        cl->state = CS_CL_BAD_CONFIG;
        return;
    }
    cl->state = CS_CL_OK;
}

int cs_cl_bind(cs_concatlisten *cl, const float *table, uint32_t table_samples, uint32_t table_channels,
               cs_cl_alloc_fn alloc_fn, cs_cl_free_fn free_fn, void *user)
{
    if (!cl->opened) return cl->state; /* CS_CL_NO_FFT */
    if (!table) {
        if (cl->table_data) { /* the Buffer went: forget it, so that its return rebinds */
            cl->table_data = NULL;
            cl->listener = NULL;
            clear_outputs(cl);
        }
        cl->state = CS_CL_NO_TABLE;
        return cl->state;
    }
    if (table != cl->table_data || table_samples != cl->table_samples || table_channels != cl->table_channels)
        rebind_table(cl, table, table_samples, table_channels, alloc_fn, free_fn, user);
    return cl->state;
}

/* The listener's emit callback: normalise the unit with the table's statistics, (raw - center) / scale in double
 * as corpus-tools/src/cs_normalize.c computes it (from the table's float32 center and scale; a value that is not
 * finite, e.g. a zero scale written into the Buffer, becomes 0), and queue it (a full queue drops its oldest). */
static void on_unit(void *user, const cs_listen_unit *u)
{
    cs_concatlisten *cl = user;
    if (cl->queued == CS_CL_QUEUE) { /* drop the oldest; if it is being searched, start over with the next */
        cl->head = (cl->head + 1) % CS_CL_QUEUE;
        cl->queued--;
        cl->dropped++;
        cl->searching = 0;
    }
    cs_cl_unit *q = &cl->queue[(cl->head + cl->queued) % CS_CL_QUEUE];
    q->start = cl->base + u->start; /* u->start counts from the signal's start (the last reset) */
    q->length = u->length;
    q->known = cl->base + u->known_at;
    const uint32_t nd = cl->view.num_descriptors;
    for (uint32_t d = 0; d < CS_D_COUNT; ++d) {
        float v = 0.0f;
        if (d < nd)
            v = (float)(((double)u->raw[d] - (double)cl->view.listen.center[d]) / (double)cl->view.listen.scale[d]);
        q->x[d] = isfinite(v) ? v : 0.0f;
    }
    cl->queued++;
}

/* Advance the search of the head unit by one chunk of labels: cs_ut_nearest_label on a view of labels
 * [next_label, next_label + chunk), strictly smaller wins across chunks (ties to the lower label, as in one
 * exhaustive call). Returns 1 when every label has been searched. */
static int search_chunk(cs_concatlisten *cl)
{
    const uint32_t K = cl->view.num_labels, D = cl->view.num_descriptors ? cl->view.num_descriptors : 1;
    uint32_t chunk = CS_CL_SEARCH_BUDGET / D;
    if (chunk == 0) chunk = 1;
    if (chunk > K - cl->next_label) chunk = K - cl->next_label;
    cs_ut_view part = cl->view;
    part.num_labels = chunk;
    part.listen.centroids = cl->view.listen.centroids + (size_t)cl->next_label * cl->view.num_descriptors;
    double d2 = 0.0;
    const int32_t k = cs_ut_nearest_label(&part, cl->queue[cl->head].x, &d2);
    if (k >= 0 && (cl->best_label < 0 || d2 < cl->best_d2)) {
        cl->best_label = (int32_t)cl->next_label + k;
        cl->best_d2 = d2;
    }
    cl->next_label += chunk;
    return cl->next_label >= K;
}

/* Take the head unit's result onto the outputs and drop it from the queue; the block began at sample
 * `block_start` (since binding) and held n samples. */
static void report(cs_concatlisten *cl, uint64_t block_start, uint32_t n, cs_cl_out *out)
{
    const cs_cl_unit *u = &cl->queue[cl->head];
    /* known within this block: its sample (known_at counts the samples pushed, so the last one is known - 1) */
    out->offset = (u->known > block_start && u->known - block_start <= n) ? (uint32_t)(u->known - block_start - 1) : 0u;
    cl->label = (float)cl->best_label;
    const double dist = cl->weight_sum > 0.0 ? cl->best_d2 / cl->weight_sum : 0.0;
    cl->distance = isfinite(dist) ? (float)dist : 0.0f;
    cl->age = (float)((double)(cl->total > u->start ? cl->total - u->start : 0) / cl->sample_rate);
    for (uint32_t i = 0; i < cl->num_select; ++i)
        cl->desc[i] = cl->select[i] >= 0 ? u->x[cl->select[i]] : 0.0f;
    cl->head = (cl->head + 1) % CS_CL_QUEUE;
    cl->queued--;
    cl->searching = 0;
    out->trig = 1.0f;
}

/* The zeros of a failing state. */
static void fill_failing(cs_concatlisten *cl, cs_cl_out *out)
{
    clear_outputs(cl);
    cl->prev_trig = 0;
    out->trig = 0.0f;
    out->offset = 0;
    out->label = -1.0f;
    out->distance = 0.0f;
    out->age = 0.0f;
    out->desc = cl->desc;
}

/* The first sample of the block at which reset rises (previous <= 0 < now), or n for none. */
static uint32_t reset_edge(cs_concatlisten *cl, const float *reset, uint32_t step, uint32_t n)
{
    if (!reset) return n;
    uint32_t at = n;
    const uint32_t m = step ? n : (n ? 1u : 0u);
    for (uint32_t j = 0; j < m; ++j) {
        const float r = reset[j];
        if (at == n && !(cl->prev_reset > 0.0f) && r > 0.0f) at = j;
        cl->prev_reset = r == r ? r : 0.0f;
    }
    return at;
}

void cs_cl_process(cs_concatlisten *cl, const float *in, uint32_t n, const float *reset, uint32_t reset_step,
                   cs_cl_out *out)
{
    const uint32_t at = reset_edge(cl, reset, reset_step, n);
    if (cl->state != CS_CL_OK || !cl->listener) {
        fill_failing(cl, out);
        return;
    }
    if (!in) n = 0;
    if (at < n) {
        if (at > 0) cs_listener_push(cl->listener, in, at, on_unit, cl);
        cs_listener_finish(cl->listener, on_unit, cl); /* the signal ends here: its last units complete */
        cs_listener_reset(cl->listener);
        cl->base = cl->total + at;
        cs_listener_push(cl->listener, in + at, n - at, on_unit, cl);
    } else if (n) {
        cs_listener_push(cl->listener, in, n, on_unit, cl);
    }
    cl->total += n;
    out->trig = 0.0f;
    out->offset = 0;
    if (cl->queued && !cl->searching) {
        cl->searching = 1;
        cl->next_label = 0;
        cl->best_label = -1;
        cl->best_d2 = INFINITY;
    }
    /* a control-rate trigger needs a 0 between two reports (see trig_gap) */
    if (cl->searching && !(cl->trig_gap && cl->prev_trig) && search_chunk(cl)) report(cl, cl->total - n, n, out);
    cl->prev_trig = out->trig > 0.0f;
    out->label = cl->label;
    out->distance = cl->distance;
    out->age = cl->age;
    out->desc = cl->desc;
}
