/*
 * cs_model_desc.h - the descriptor row a model with descriptor inputs reads for a unit (models/FORMAT.md,
 * "Descriptor inputs"): one definition for the trainer (teacher forcing), `concatseq eval` (the test part's
 * units are known, as their labels are), `concatseq sample` and SeqPredict (the unit just played, read from the
 * `corpus` table). The sclang port (SeqModelLang) computes the same row.
 *
 * Set CS_MODEL_DESC_SET_TABLE_DUR (the only one): Din = D + 1 floats, D = the unit table's num_descriptors:
 *   row[0..D)  = the unit's normalised descriptors (the table row, as `analyze` wrote them)
 *   row[D]     = (ln(length / sample_rate) - dur_mean) / dur_std   (duration in seconds; dur_* from the model)
 * each clamped to +-CS_MODEL_DESC_CLAMP, NaN -> 0. An unknown unit (index -1 or out of range) with a valid
 * label reads the label's centroid (the table's listening section) and duration term 0 (the mean duration);
 * without a label or a listening section the row is 0 (the corpus centre). BOS has no unit: zeros.
 *
 * Everything here is O(Din), allocation-free and lock-free: real-time safe.
 */
#ifndef CS_MODEL_DESC_H
#define CS_MODEL_DESC_H

#include "cs_model.h"
#include "cs_unit_table.h"

#ifdef __cplusplus
extern "C" {
#endif

/** 0 when the model reads this table's descriptor rows (cfg.desc_inputs == num_descriptors + 1), else
 *  CS_MODEL_E_MISMATCH; 0 as well for a model without descriptor inputs (it reads none). RT-safe. */
int cs_model_desc_check(const cs_model_view *model, const cs_ut_view *table);

/** ln(duration of unit u in seconds) (u < num_units, not checked), the quantity whose mean and standard
 *  deviation over the training units the trainer stores; 0 for a zero length or sample rate. RT-safe. */
double cs_model_desc_log_duration(const cs_ut_view *table, uint32_t u);

/**
 * Fill out[0 .. model->cfg.desc_inputs) with the descriptor row of `unit` (see the top of this file); `label`
 * is used only when `unit` is not a unit of the table (then: its centroid, duration term 0). A model and table
 * that fail cs_model_desc_check get zeros. Nothing is written for a model without descriptor inputs. RT-safe.
 */
void cs_model_desc_row(const cs_model_view *model, const cs_ut_view *table, int32_t unit, int32_t label, float *out);

#ifdef __cplusplus
}
#endif

#endif
