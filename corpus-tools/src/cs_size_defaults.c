/* cs_size_defaults.c - train's defaults by corpus size. See cs_size_defaults.h. */
#include "cs_size_defaults.h"

#include "cs_model.h"

#include <stdint.h>

/* max_train, GRU layers x width, dropout, transformer layers x width, heads, context, dropout, epochs.
 * Measured (tests/bench/run_size_defaults.sh, validation bits/label, seed 1, 12 bundles of 12 to 10 192 training
 * labels): below 1000 training labels a 1-layer GRU 64 beat the 2-layer one on 4 of 5 bundles (median 2.856 vs
 * 2.942 bits) at half the cost; from 1000 on the 2-layer GRU was better on 5 of 7 (lincity1 grains 1.280 vs
 * 1.453). Width 32 with dropout 0.1 or 0.3 lost to the 2 x 64 GRU on 11 of 12 bundles; dropout 0.2 at 2 x 64 won
 * 4 of 12 by at most 0.4 % and lost up to 9 %, so dropout stays 0. The smaller transformer (1 x 32, 4 heads,
 * context 32, dropout 0.1) lost to 2 x 64 on 10 of 12, so the transformer keeps 2 x 64 (context 64: the model
 * study found no gain from a longer one). Which architecture plays is --arch auto's choice on validation, not the
 * table's. Epochs and weight decay were not varied (early stopping ends most runs before 30 epochs). */
static const cs_size_row rows[] = {
    {999, 1, 64, 0.0f, 2, 64, 8, 64, 0.0f, 30},
    {SIZE_MAX, 2, 64, 0.0f, 2, 64, 8, 64, 0.0f, 30},
};

const cs_size_row *cs_size_defaults(size_t n_train)
{
    const size_t n = sizeof rows / sizeof rows[0];
    for (size_t i = 0; i + 1 < n; i++)
        if (n_train <= rows[i].max_train) return &rows[i];
    return &rows[n - 1];
}

void cs_size_defaults_apply(cs_train_config *cfg, size_t n_train)
{
    const cs_size_row *r = cs_size_defaults(n_train);
    cs_model_config *m = &cfg->model;
    if (m->arch == CS_MODEL_TRANSFORMER) {
        m->layers = r->tf_layers;
        m->width = r->tf_width;
        m->heads = r->tf_heads;
        m->context = r->tf_context;
        m->d_ff = CS_MODEL_TF_FF_MULT * m->width;
        cfg->dropout = r->tf_dropout;
    } else {
        m->layers = r->gru_layers;
        m->width = r->gru_width;
        cfg->dropout = r->gru_dropout;
    }
    cfg->epochs = r->epochs;
}

void cs_size_defaults_print(FILE *f, const char *indent)
{
    const size_t n = sizeof rows / sizeof rows[0];
    fprintf(f, "%s%-18s %-22s %-42s %s\n", indent, "training labels", "GRU", "transformer", "epochs");
    size_t lo = 0;
    for (size_t i = 0; i < n; i++) {
        const cs_size_row *r = &rows[i];
        char range[32], gru[32], tf[48];
        if (r->max_train == SIZE_MAX)
            snprintf(range, sizeof range, "%zu or more", lo);
        else
            snprintf(range, sizeof range, "%zu..%zu", lo, r->max_train);
        snprintf(gru, sizeof gru, "%d x %d, dropout %g", r->gru_layers, r->gru_width, (double)r->gru_dropout);
        snprintf(tf, sizeof tf, "%d x %d, %d heads, context %d, dropout %g", r->tf_layers, r->tf_width, r->tf_heads,
                 r->tf_context, (double)r->tf_dropout);
        fprintf(f, "%s%-18s %-22s %-42s %d\n", indent, range, gru, tf, r->epochs);
        lo = r->max_train + 1;
    }
}
