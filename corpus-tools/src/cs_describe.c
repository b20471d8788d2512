/*
 * cs_describe.c - unit descriptors: level from the unit's own samples, the rest aggregated from the
 * descriptor frames whose centre lies in the unit (corpus-tools/DESCRIPTORS.md, "Unit descriptors").
 */
#include "cs_describe.h"

#include "cs_error.h"

#include <math.h>
#include <string.h>

_Static_assert(CS_D_NUM_MFCC == CS_FRAME_NUM_MFCC, "one MFCC descriptor per frame coefficient");

#define CS_DB_FLOOR    (-120.0)
#define CS_AMP_FLOOR   1e-6 /* 10^(-120/20) */
#define CS_VOICED_CONF 0.5  /* frames with YIN confidence >= this (and f0 > 0) enter the f0 mean */

static const char *const cs_desc_names[CS_D_COUNT] = {
#define CS_DESC_NAME_(id, name, unit) name,
    CS_DESCRIPTOR_TABLE(CS_DESC_NAME_)
#undef CS_DESC_NAME_
};

static const char *const cs_desc_units[CS_D_COUNT] = {
#define CS_DESC_UNIT_(id, name, unit) unit,
    CS_DESCRIPTOR_TABLE(CS_DESC_UNIT_)
#undef CS_DESC_UNIT_
};

const char *cs_descriptor_name(int d)
{
    if (d < 0 || d >= CS_D_COUNT) return NULL;
    return cs_desc_names[d];
}

const char *cs_descriptor_unit(int d)
{
    if (d < 0 || d >= CS_D_COUNT) return NULL;
    return cs_desc_units[d];
}

/* 20 log10(max(a, 1e-6)): dBFS with the -120 dB floor. */
static double amp_db(double a)
{
    return 20.0 * log10(a > CS_AMP_FLOOR ? a : CS_AMP_FLOOR);
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

int cs_describe_unit(const cs_frames *f, const float *x, size_t n, size_t start, size_t length, float *out)
{
    if (!x || length == 0 || start >= n || length > n - start) return CS_E_ARG;
    cs_level lv;
    memset(&lv, 0, sizeof lv);
    cs_level_add(&lv, x + start, 0, length, length);
    return cs_describe_unit_level(f, start, length, &lv, out);
}

int cs_describe_unit_level(const cs_frames *f, size_t start, size_t length, const cs_level *lv, float *out)
{
    if (!f || !f->data || f->n_frames == 0 || f->hop <= 0 || f->sample_rate <= 0 || !lv || !out) return CS_E_ARG;
    if (length == 0) return CS_E_ARG;
    const double sumsq = (lv->ss[0] + lv->ss[1]) + (lv->ss[2] + lv->ss[3]);
    const float pk = lv->pk;
    if (!isfinite(sumsq) || !isfinite(pk)) return CS_E_NONFINITE;

    /* frames whose centre i*hop lies in [start, start+length); else the frame nearest the unit's middle */
    const size_t hop = (size_t)f->hop, nf = f->n_frames;
    size_t i0 = (start + hop - 1) / hop;
    size_t i1 = (start + length - 1) / hop; /* inclusive */
    if (i1 >= nf) i1 = nf - 1;
    if (i0 > i1) {
        double mid = (double)start + 0.5 * (double)length;
        size_t near = (size_t)floor(mid / (double)hop + 0.5);
        if (near >= nf) near = nf - 1;
        i0 = i1 = near;
    }
    const double cnt = (double)(i1 - i0 + 1);

    double sum[CS_FF_COUNT];
    memset(sum, 0, sizeof sum);
    double ldb_sum = 0.0, ldb_sq = 0.0, c_sq = 0.0, f0_sum = 0.0, f0_n = 0.0;
    for (size_t i = i0; i <= i1; i++) {
        const float *r = f->data + i * (size_t)CS_FF_COUNT;
        for (int c = 0; c < CS_FF_COUNT; c++)
            sum[c] += (double)r[c];
        double ldb = amp_db((double)r[CS_FF_RMS]);
        ldb_sum += ldb;
        ldb_sq += ldb * ldb;
        c_sq += (double)r[CS_FF_CENTROID] * (double)r[CS_FF_CENTROID];
        if ((double)r[CS_FF_F0_CONF] >= CS_VOICED_CONF && r[CS_FF_F0] > 0.0f) {
            f0_sum += (double)r[CS_FF_F0];
            f0_n += 1.0;
        }
    }
    double mean[CS_FF_COUNT];
    for (int c = 0; c < CS_FF_COUNT; c++)
        mean[c] = sum[c] / cnt;
    const double ldb_mean = ldb_sum / cnt;
    double ldb_var = ldb_sq / cnt - ldb_mean * ldb_mean;
    double c_var = c_sq / cnt - mean[CS_FF_CENTROID] * mean[CS_FF_CENTROID];

    double d[CS_D_COUNT];
    d[CS_D_LOUDNESS] = amp_db(sqrt(sumsq / (double)length));
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
    d[CS_D_F0] = f0_n > 0.0 ? f0_sum / f0_n : 0.0;
    d[CS_D_F0_CONF] = mean[CS_FF_F0_CONF];
    d[CS_D_DURATION] = (double)length / (double)f->sample_rate;

    for (int q = 0; q < CS_D_COUNT; q++) {
        if (!isfinite(d[q])) return CS_E_NONFINITE; /* only from non-finite frames: never from finite input */
        out[q] = (float)d[q];
        if (!isfinite(out[q])) return CS_E_NONFINITE;
    }
    return 0;
}
