/*
 * cs_describe.c - unit descriptors of a whole source's frames: the core's accumulator (plugins/core/
 * cs_unit_describe.h) fed from them, and the descriptor names (corpus-tools/DESCRIPTORS.md, "Unit descriptors").
 */
#include "cs_describe.h"

#include "cs_error.h"

#include <stdint.h>
#include <string.h>

/* The core's return codes are the tools' (cs_strerror prints them). */
_Static_assert((int)CS_UD_E_ARG == (int)CS_E_ARG && (int)CS_UD_E_NONFINITE == (int)CS_E_NONFINITE, "codes agree");

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
    cs_unit_accum acc;
    if (cs_unit_accum_begin(&acc, start, length, f->hop, (float)f->sample_rate) != CS_UD_OK) return CS_E_ARG;
    acc.lv = *lv;
    uint64_t i0, i1;
    cs_unit_accum_frames(&acc, &i0, &i1);
    if (i1 >= f->n_frames) i1 = f->n_frames - 1; /* a unit near the end: the last frame is the nearest */
    if (acc.nearest) i0 = i1;
    for (uint64_t i = i0; i <= i1; i++)
        cs_unit_accum_frame(&acc, i, f->data + i * (size_t)CS_FF_COUNT);
    return cs_unit_accum_finish(&acc, out);
}
