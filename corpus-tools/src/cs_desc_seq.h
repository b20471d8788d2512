/*
 * cs_desc_seq.h - the descriptor rows of a bundle's units in sequence order, for a model with descriptor inputs
 * (models/FORMAT.md "Descriptor inputs", plugins/core/cs_model_desc.h): what `concatseq train --desc-inputs`
 * feeds the trainer (teacher forcing) and what `concatseq eval` feeds the test part. Offline code (allocates).
 */
#ifndef CS_DESC_SEQ_H
#define CS_DESC_SEQ_H

#include "cs_bundle.h"
#include "cs_model.h"
#include "cs_train.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The smallest standard deviation of ln(duration) kept: at or below it the std is 1 (one duration). */
#define CS_DESC_DUR_STD_MIN 1e-3

/**
 * Mean and standard deviation of ln(unit duration in seconds) (cs_model_desc_log_duration) over the TRAINING
 * units of split sp (the sources' first parts, as cs_split_part cuts lens; units numbered source by source):
 * the statistics a model with descriptor inputs stores (floats 33, 34). *std is 1 when every training unit
 * has the same duration (grains) or there is at most one. Returns 0 or CS_E_ARG (lens do not sum to the
 * table's units: not the corpus order), CS_E_EMPTY (no training unit).
 */
int cs_desc_duration_stats(const cs_bundle *b, const size_t *lens, int nseq, cs_split sp, float *mean, float *std);

/**
 * Per source s, lens[s] rows of model->cfg.desc_inputs floats: row i = cs_model_desc_row of the source's unit i
 * (units numbered source by source, the order of cs_label_sequences). *out: nseq malloc'ed arrays (free with
 * cs_desc_sequences_free). Returns 0, CS_E_ARG (the model reads another descriptor count than the table has,
 * or lens do not sum to the table's units) or CS_E_NOMEM.
 */
int cs_desc_sequences(const cs_bundle *b, const cs_model_view *model, const size_t *lens, int nseq, float ***out);

/** Free what cs_desc_sequences allocated (NULL is fine). */
void cs_desc_sequences_free(float **descs, int nseq);

/** The view cs_model_desc_row needs before a model exists: cfg (desc_inputs set) and the duration statistics. */
void cs_desc_view(const cs_model_config *cfg, float dur_mean, float dur_std, cs_model_view *out);

#ifdef __cplusplus
}
#endif

#endif
