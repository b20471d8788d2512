/* cs_concatlisten.c - the host-independent logic of the ConcatListen UGen. See cs_concatlisten.h. */
#include "cs_concatlisten.h"

#include <math.h>
#include <string.h>

int cs_cl_open(cs_concatlisten *cl, double sample_rate, float mode, const float *select, uint32_t num_select,
               const cs_fft_ops *fft)
{
    memset(cl, 0, sizeof *cl);
    cl->table_err = CS_UT_E_NULL;
    cl->state = CS_CL_NO_TABLE;
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
    return CS_CL_OPEN_OK;
}

void cs_cl_close(cs_concatlisten *cl, cs_cl_free_fn free_fn, void *user)
{
    if (cl->mem && free_fn) free_fn(user, cl->mem);
    cl->mem = NULL;
    cl->mem_size = 0;
    cl->listener = NULL;
}

/* The power of two nearest v (>= 2): ties go up. */
static int nearest_pow2(double v)
{
    int p = 2;
    while (p < (1 << 20) && (double)p * 1.5 <= v)
        p *= 2;
    return p;
}

static uint32_t scale_samples(uint32_t n, double ratio)
{
    const double v = floor((double)n * ratio + 0.5);
    return v < 1.0 ? 1u : (v > 4294967295.0 ? 4294967295u : (uint32_t)v);
}

int cs_cl_config(const cs_ut_listen *listen, double corpus_rate, double sample_rate, int mode, cs_listen_config *c)
{
    memset(c, 0, sizeof *c);
    c->frame = listen->frame;
    c->mode = mode;
    c->grain_len = listen->grain_len;
    c->grain_hop = listen->grain_hop;
    c->onset.threshold = listen->onset_threshold;
    c->onset.delta_abs = listen->onset_delta_abs;
    c->onset.median_s = listen->onset_median_s;
    c->onset.min_len_s = listen->onset_min_len_s;
    c->onset.max_len_s = listen->onset_max_len_s;
    c->onset.pre_s = listen->onset_pre_s;
    c->onset.refine_s = listen->onset_refine_s;
    if ((float)sample_rate == listen->frame.sample_rate && corpus_rate == sample_rate) return 0;
    /* another rate: the same analysis in seconds and Hz, at the server's rate */
    const double ratio = sample_rate / (double)listen->frame.sample_rate;
    cs_frame_config *f = &c->frame;
    f->sample_rate = (float)sample_rate;
    f->fft_size = nearest_pow2((double)listen->frame.fft_size * ratio);
    f->hop = (int)scale_samples((uint32_t)(listen->frame.hop > 0 ? listen->frame.hop : 1), ratio);
    if (f->hop > f->fft_size) f->hop = f->fft_size;
    const float nyquist = (float)(sample_rate / 2.0);
    if (f->mel_fmax > nyquist) f->mel_fmax = nyquist;
    if (f->f0_max > (float)(sample_rate / 4.0)) f->f0_max = (float)(sample_rate / 4.0);
    c->grain_len = scale_samples(listen->grain_len, ratio);
    c->grain_hop = scale_samples(listen->grain_hop, ratio);
    return 1;
}

/* The descriptors the label search uses (weight > 0), their weights and the weights' sum. */
static void take_weights(cs_concatlisten *cl)
{
    cl->num_weighted = 0;
    cl->weight_sum = 0.0f;
    const uint32_t nd = cl->view.num_descriptors < CS_D_COUNT ? cl->view.num_descriptors : CS_D_COUNT;
    for (uint32_t d = 0; d < nd; ++d) {
        const float w = cl->view.listen.weight[d];
        if (w > 0.0f && isfinite(w)) {
            cl->weighted[cl->num_weighted] = (uint8_t)d;
            cl->weight[cl->num_weighted] = w;
            cl->num_weighted++;
            cl->weight_sum += w;
        }
    }
}

/* Forget the unit being labelled and the held outputs (a new table or a failing state). */
static void clear_outputs(cs_concatlisten *cl)
{
    cl->searching = 0;
    cl->waiting = 0;
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
    cl->pushed = 0;
    cl->approximate = 0;
    cl->config_err = 0;
    clear_outputs(cl);
    if (!table)
        cl->table_err = CS_UT_E_NULL;
    else if (channels != 1)
        cl->table_err = CS_UT_E_DIMS;
    else
        cl->table_err = cs_ut_parse(table, samples, 0, &cl->view); /* header and sizes only: O(1) */
    if (cl->table_err != CS_UT_OK) {
        cl->state = table ? CS_CL_BAD_TABLE : CS_CL_NO_TABLE;
        return;
    }
    if (!cl->view.has_listen) {
        cl->state = CS_CL_NO_LISTEN;
        return;
    }
    take_weights(cl);
    cl->approximate = cs_cl_config(&cl->view.listen, cl->view.sample_rate, cl->sample_rate, cl->mode, &cl->config);
    const size_t need = cs_listener_bytes(&cl->config);
    cl->need = need;
    if (need == 0) {
        cl->config_err = -1; /* the listener refuses the settings */
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
    if (r != 0 || !cl->listener) {
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
    if (!cl->fft.r2c) { /* cs_cl_open failed: nothing can listen */
        cl->state = CS_CL_BAD_CONFIG;
        return cl->state;
    }
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

/* Normalise the listener's raw descriptors with the table's statistics: (raw - center) / scale, in double, the
 * same arithmetic as corpus-tools/src/cs_normalize.c (from the table's float32 center and scale); a value that
 * is not finite (a raw NaN, a zero scale written into the table) becomes 0. */
static void normalise(const cs_concatlisten *cl, const float *raw, float *x)
{
    const uint32_t nd = cl->view.num_descriptors < CS_D_COUNT ? cl->view.num_descriptors : CS_D_COUNT;
    for (uint32_t d = 0; d < CS_D_COUNT; ++d) {
        float v = 0.0f;
        if (d < nd) {
            const double c = cl->view.listen.center[d], s = cl->view.listen.scale[d];
            v = (float)(((double)raw[d] - c) / s);
        }
        x[d] = isfinite(v) ? v : 0.0f;
    }
}

/* The listener's emit callback: keep the newest unit for the search (one waiting place). */
static void on_unit(void *user, const cs_listen_unit *u)
{
    cs_concatlisten *cl = user;
    if (cl->waiting) cl->dropped++;
    cl->wait.start = u->start;
    cl->wait.length = u->length;
    cl->wait.known_at = u->known_at;
    normalise(cl, u->raw, cl->wait.x);
    cl->waiting = 1;
    cl->emitted++;
}

/* Weighted squared distance of x to label k's centroid over the weighted descriptors; `terms` of them
 * (num_weighted at most). */
static float label_d2(const cs_concatlisten *cl, const float *x, uint32_t k)
{
    const float *c = cs_ut_centroid(&cl->view, (int32_t)k);
    if (!c) return INFINITY;
    float s = 0.0f;
    for (uint32_t j = 0; j < cl->num_weighted; ++j) {
        const uint32_t d = cl->weighted[j];
        const float diff = x[d] - c[d];
        s += cl->weight[j] * diff * diff;
    }
    return s;
}

/* Advance the search of cur over at most about `budget` terms (whole labels, at least one). Returns 1 when done. */
static int search_step(cs_concatlisten *cl, uint32_t budget)
{
    const uint32_t k_all = cl->view.num_labels, per = cl->num_weighted ? cl->num_weighted : 1;
    uint32_t spent = 0;
    while (cl->next_label < k_all && (spent == 0 || spent + per <= budget)) {
        const uint32_t k = cl->next_label++;
        spent += per;
        if (cs_ut_label_count(&cl->view, (int32_t)k, NULL) == 0) continue; /* empty labels are never chosen */
        const float d2 = label_d2(cl, cl->cur.x, k);
        if (d2 < cl->best_d2) { /* strict: ties go to the lower label; NaN never wins */
            cl->best_d2 = d2;
            cl->best_label = (int32_t)k;
        }
    }
    return cl->next_label >= k_all;
}

int32_t cs_cl_nearest(const cs_ut_view *v, const float *x, float *dist)
{
    *dist = 0.0f;
    if (!v->has_listen || !v->listen.weight) return -1;
    cs_concatlisten tmp;
    memset(&tmp, 0, sizeof tmp);
    tmp.view = *v;
    take_weights(&tmp);
    if (tmp.num_weighted == 0) return -1;
    memcpy(tmp.cur.x, x, sizeof tmp.cur.x);
    tmp.best_label = -1;
    tmp.best_d2 = INFINITY;
    search_step(&tmp, UINT32_MAX);
    if (tmp.best_label >= 0) *dist = tmp.best_d2 / tmp.weight_sum;
    return tmp.best_label;
}

/* The zeros of a failing state. */
static void fill_failing(cs_concatlisten *cl, cs_cl_out *out)
{
    clear_outputs(cl);
    out->trig = 0.0f;
    out->label = -1.0f;
    out->distance = 0.0f;
    out->age = 0.0f;
    out->desc = cl->desc;
}

void cs_cl_process(cs_concatlisten *cl, const float *in, uint32_t n, cs_cl_out *out)
{
    if (cl->state != CS_CL_OK || !cl->listener) {
        fill_failing(cl, out);
        return;
    }
    cl->emitted = 0;
    if (in && n) cs_listener_push(cl->listener, in, n, on_unit, cl);
    cl->pushed += n;
    out->trig = 0.0f;
    if (!cl->searching && cl->waiting) {
        cl->cur = cl->wait;
        cl->waiting = 0;
        cl->searching = 1;
        cl->next_label = 0;
        cl->best_label = -1;
        cl->best_d2 = INFINITY;
    }
    if (cl->searching && (cl->num_weighted == 0 || search_step(cl, CS_CL_SEARCH_BUDGET))) {
        cl->searching = 0;
        cl->label = (float)cl->best_label;
        cl->distance =
            (cl->best_label >= 0 && cl->weight_sum > 0.0f && isfinite(cl->best_d2)) ? cl->best_d2 / cl->weight_sum : 0.0f;
        if (!isfinite(cl->distance)) cl->distance = 0.0f;
        const uint64_t since = cl->pushed > cl->cur.start ? cl->pushed - cl->cur.start : 0;
        cl->age = (float)((double)since / cl->sample_rate);
        for (uint32_t i = 0; i < cl->num_select; ++i)
            cl->desc[i] = cl->select[i] >= 0 ? cl->cur.x[cl->select[i]] : 0.0f;
        out->trig = 1.0f;
    }
    out->label = cl->label;
    out->distance = cl->distance;
    out->age = cl->age;
    out->desc = cl->desc;
}
