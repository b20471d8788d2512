/*
 * cs_desc_seq.c - descriptor rows of a bundle's units in sequence order (see cs_desc_seq.h).
 */
#include "cs_desc_seq.h"

#include "cs_error.h"
#include "cs_model_desc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* 1 when lens (one per source) sum to the table's unit count: the corpus order of cs_label_sequences. */
static int corpus_order(const cs_bundle *b, const size_t *lens, int nseq)
{
    size_t total = 0;
    for (int s = 0; s < nseq; ++s)
        total += lens[s];
    return total == (size_t)b->view.num_units;
}

int cs_desc_duration_stats(const cs_bundle *b, const size_t *lens, int nseq, cs_split sp, float *mean, float *std)
{
    if (!b || !lens || !mean || !std || !corpus_order(b, lens, nseq)) return CS_E_ARG;
    double sum = 0.0, sq = 0.0;
    size_t n = 0, first = 0;
    for (int s = 0; s < nseq; ++s) {
        size_t a, e;
        cs_split_part(lens[s], sp, CS_PART_TRAIN, &a, &e);
        for (size_t i = a; i < e; ++i) {
            const double x = cs_model_desc_log_duration(&b->view, (uint32_t)(first + i));
            sum += x;
            sq += x * x;
            n++;
        }
        first += lens[s];
    }
    if (n == 0) return CS_E_EMPTY;
    const double m = sum / (double)n, var = sq / (double)n - m * m;
    const double sd = sqrt(var > 0.0 ? var : 0.0);
    *mean = (float)m;
    *std = sd > CS_DESC_DUR_STD_MIN ? (float)sd : 1.0f; /* one duration (grains): the term is 0 for every unit */
    return CS_OK;
}

void cs_desc_view(const cs_model_config *cfg, float dur_mean, float dur_std, cs_model_view *out)
{
    memset(out, 0, sizeof *out);
    out->cfg = *cfg;
    out->meta.desc_dur_mean = dur_mean;
    out->meta.desc_dur_std = dur_std;
}

int cs_desc_sequences(const cs_bundle *b, const cs_model_view *model, const size_t *lens, int nseq, float ***out)
{
    if (!b || !model || !lens || !out || nseq < 1) return CS_E_ARG;
    *out = NULL;
    const size_t Din = (size_t)model->cfg.desc_inputs;
    if (Din == 0 || cs_model_desc_check(model, &b->view) != CS_MODEL_OK || !corpus_order(b, lens, nseq))
        return CS_E_ARG;
    float **d = calloc((size_t)nseq, sizeof *d);
    if (!d) return CS_E_NOMEM;
    size_t first = 0;
    for (int s = 0; s < nseq; ++s) {
        d[s] = malloc((lens[s] ? lens[s] : 1) * Din * sizeof **d);
        if (!d[s]) {
            cs_desc_sequences_free(d, nseq);
            return CS_E_NOMEM;
        }
        for (size_t i = 0; i < lens[s]; ++i) {
            const uint32_t u = (uint32_t)(first + i);
            cs_model_desc_row(model, &b->view, (int32_t)u, cs_ut_unit_label(&b->view, u), d[s] + i * Din);
        }
        first += lens[s];
    }
    *out = d;
    return CS_OK;
}

void cs_desc_sequences_free(float **descs, int nseq)
{
    for (int s = 0; descs && s < nseq; ++s)
        free(descs[s]);
    free(descs);
}
