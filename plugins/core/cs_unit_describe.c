/*
 * cs_unit_describe.c - the unit descriptors (corpus-tools/DESCRIPTORS.md, "Unit descriptors"): level from the unit's
 * own samples, the rest aggregated from the frames whose centre lies in the unit. Every sum is taken in the order
 * of the single pass `concatseq analyze` always made, so the results are bitwise the same.
 */
#include "cs_unit_describe.h"

#include <math.h>
#include <string.h>

_Static_assert(CS_D_NUM_MFCC == CS_FRAME_NUM_MFCC, "one MFCC descriptor per frame coefficient");

#define CS_UD_AMP_FLOOR   1e-6 /* 10^(-120/20): the -120 dB floor */
#define CS_UD_VOICED_CONF 0.5  /* frames with YIN confidence >= this (and f0 > 0) enter the f0 mean */

/* 20 log10(max(a, 1e-6)): dBFS with the -120 dB floor. */
static double amp_db(double a)
{
    return 20.0 * log10(a > CS_UD_AMP_FLOOR ? a : CS_UD_AMP_FLOOR);
}

void cs_level_add(cs_level *lv, const float *x, size_t from, size_t to, size_t length)
{
    const size_t blocks = length / 4 * 4; /* samples [0, blocks) go to ss[j % 4], the tail to ss[0] */
    float pk = lv->pk;
    size_t j = from;
    for (; j < to && j < blocks; j++) {
        float v = x[j - from];
        lv->ss[j & 3] += (double)v * (double)v;
        float a = fabsf(v);
        pk = a > pk ? a : pk;
    }
    for (; j < to; j++) {
        float v = x[j - from];
        lv->ss[0] += (double)v * (double)v;
        float a = fabsf(v);
        pk = a > pk ? a : pk;
    }
    lv->pk = pk;
}

int cs_unit_accum_begin(cs_unit_accum *acc, uint64_t start, uint64_t length, int hop, float sample_rate)
{
    if (!acc || length == 0 || hop < 1 || !isfinite(sample_rate) || !(sample_rate > 0.0f)) return CS_UD_E_ARG;
    memset(acc, 0, sizeof *acc);
    acc->start = start;
    acc->length = length;
    acc->hop = hop;
    acc->sample_rate = sample_rate;
    const uint64_t h = (uint64_t)hop;
    acc->i0 = (start + h - 1) / h;      /* first frame centre >= start */
    acc->i1 = (start + length - 1) / h; /* last frame centre < start + length */
    if (acc->i0 > acc->i1) {            /* no centre inside: the frame nearest the unit's middle */
        double mid = (double)start + 0.5 * (double)length;
        uint64_t near = (uint64_t)floor(mid / (double)hop + 0.5);
        acc->i0 = acc->i1 = near;
        acc->nearest = 1;
    }
    return CS_UD_OK;
}

void cs_unit_accum_frames(const cs_unit_accum *acc, uint64_t *first, uint64_t *last)
{
    if (first) *first = acc ? acc->i0 : 0;
    if (last) *last = acc ? acc->i1 : 0;
}

void cs_unit_accum_samples(cs_unit_accum *acc, const float *x, uint64_t from, uint64_t to)
{
    if (!acc || !x || from >= to || to > acc->length) return;
    cs_level_add(&acc->lv, x, (size_t)from, (size_t)to, (size_t)acc->length);
}

void cs_unit_accum_frame(cs_unit_accum *acc, uint64_t i, const float *r)
{
    if (!acc || !r) return;
    if (acc->nearest) {
        if (i <= acc->i0) { /* the nearest frame, or the latest before it (a signal ending earlier) */
            memcpy(acc->near_row, r, sizeof acc->near_row);
            acc->have_near = 1;
        }
        return;
    }
    if (i < acc->i0 || i > acc->i1) return;
    for (int c = 0; c < CS_FF_COUNT; c++)
        acc->sum[c] += (double)r[c];
    double ldb = amp_db((double)r[CS_FF_RMS]);
    acc->ldb_sum += ldb;
    acc->ldb_sq += ldb * ldb;
    acc->c_sq += (double)r[CS_FF_CENTROID] * (double)r[CS_FF_CENTROID];
    if ((double)r[CS_FF_F0_CONF] >= CS_UD_VOICED_CONF && r[CS_FF_F0] > 0.0f) {
        acc->f0_sum += (double)r[CS_FF_F0];
        acc->f0_n += 1.0;
    }
    acc->fed++;
}

int cs_unit_accum_finish(const cs_unit_accum *acc, float *out)
{
    if (!acc || !out || acc->length == 0) return CS_UD_E_ARG;
    const cs_unit_accum *a = acc;
    cs_unit_accum one; /* the fallback frame, aggregated as a unit of one frame */
    if (acc->nearest) {
        if (!acc->have_near) return CS_UD_E_ARG;
        one = *acc;
        one.nearest = 0;
        one.i0 = one.i1 = 0;
        cs_unit_accum_frame(&one, 0, acc->near_row);
        a = &one;
    }
    if (a->fed == 0) return CS_UD_E_ARG;
    const double sumsq = (a->lv.ss[0] + a->lv.ss[1]) + (a->lv.ss[2] + a->lv.ss[3]);
    const float pk = a->lv.pk;
    if (!isfinite(sumsq) || !isfinite(pk)) return CS_UD_E_NONFINITE;
    const double cnt = (double)a->fed;

    double mean[CS_FF_COUNT];
    for (int c = 0; c < CS_FF_COUNT; c++)
        mean[c] = a->sum[c] / cnt;
    const double ldb_mean = a->ldb_sum / cnt;
    double ldb_var = a->ldb_sq / cnt - ldb_mean * ldb_mean;
    double c_var = a->c_sq / cnt - mean[CS_FF_CENTROID] * mean[CS_FF_CENTROID];

    double d[CS_D_COUNT];
    d[CS_D_LOUDNESS] = amp_db(sqrt(sumsq / (double)a->length));
    d[CS_D_LOUDNESS_STD] = ldb_var > 0.0 ? sqrt(ldb_var) : 0.0;
    d[CS_D_PEAK] = amp_db((double)pk);
    d[CS_D_CENTROID] = mean[CS_FF_CENTROID];
    d[CS_D_CENTROID_STD] = c_var > 0.0 ? sqrt(c_var) : 0.0;
    d[CS_D_SPREAD] = mean[CS_FF_SPREAD];
    d[CS_D_FLATNESS] = mean[CS_FF_FLATNESS];
    d[CS_D_ROLLOFF] = mean[CS_FF_ROLLOFF];
    d[CS_D_FLUX] = mean[CS_FF_FLUX];
    d[CS_D_ZCR] = mean[CS_FF_ZCR];
    for (int q = 0; q < CS_D_NUM_MFCC; q++)
        d[CS_D_MFCC0 + q] = mean[CS_FF_MFCC0 + q];
    d[CS_D_F0] = a->f0_n > 0.0 ? a->f0_sum / a->f0_n : 0.0;
    d[CS_D_F0_CONF] = mean[CS_FF_F0_CONF];
    d[CS_D_DURATION] = (double)a->length / (double)a->sample_rate;

    for (int q = 0; q < CS_D_COUNT; q++) {
        if (!isfinite(d[q])) return CS_UD_E_NONFINITE; /* only from non-finite frames: never from finite input */
        out[q] = (float)d[q];
        if (!isfinite(out[q])) return CS_UD_E_NONFINITE;
    }
    return CS_UD_OK;
}
