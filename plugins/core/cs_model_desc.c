/*
 * cs_model_desc.c - the descriptor row of a unit for a model with descriptor inputs (see cs_model_desc.h).
 */
#include "cs_model_desc.h"

#include <math.h>

int cs_model_desc_check(const cs_model_view *model, const cs_ut_view *table)
{
    if (!model || !table) return CS_MODEL_E_ARG;
    if (model->cfg.desc_inputs == 0) return CS_MODEL_OK;
    return model->cfg.desc_inputs == (int)table->num_descriptors + 1 ? CS_MODEL_OK : CS_MODEL_E_MISMATCH;
}

double cs_model_desc_log_duration(const cs_ut_view *table, uint32_t u)
{
    const double len = (double)cs_ut_unit_length(table, u);
    if (!(len > 0.0) || !(table->sample_rate > 0.0)) return 0.0;
    return log(len / table->sample_rate);
}

static float clamp_desc(double x)
{
    if (x != x) return 0.0f;
    if (x > (double)CS_MODEL_DESC_CLAMP) return CS_MODEL_DESC_CLAMP;
    if (x < -(double)CS_MODEL_DESC_CLAMP) return -CS_MODEL_DESC_CLAMP;
    return (float)x;
}

void cs_model_desc_row(const cs_model_view *model, const cs_ut_view *table, int32_t unit, int32_t label, float *out)
{
    if (!model || !out || model->cfg.desc_inputs <= 0) return;
    const int Din = model->cfg.desc_inputs;
    for (int i = 0; i < Din; i++)
        out[i] = 0.0f;
    if (!table || cs_model_desc_check(model, table) != CS_MODEL_OK) return;
    const uint32_t D = table->num_descriptors;
    if (unit >= 0 && (uint32_t)unit < table->num_units) {
        const float *d = cs_ut_unit_descriptors(table, (uint32_t)unit);
        for (uint32_t i = 0; i < D; i++)
            out[i] = clamp_desc((double)d[i]);
        const double sd = model->meta.desc_dur_std > 0.0f ? (double)model->meta.desc_dur_std : 1.0;
        out[D] =
            clamp_desc((cs_model_desc_log_duration(table, (uint32_t)unit) - (double)model->meta.desc_dur_mean) / sd);
        return;
    }
    const float *c = cs_ut_centroid(table, label);
    if (!c) return;
    for (uint32_t i = 0; i < D; i++)
        out[i] = clamp_desc((double)c[i]);
}
