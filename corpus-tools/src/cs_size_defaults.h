/*
 * cs_size_defaults.h - `concatseq train`'s network defaults by corpus size (issue 11 item 2): ONE table, chosen
 * by the number of TRAINING labels (after the train / validation / test split), printed by `train --help` and
 * `train --defaults`. An option the user types overrides the row's value.
 *
 * How the rows were chosen: tests/bench/run_size_defaults.sh trains every setting it lists on the bundles of
 * tests/bench/run_eval_table.sh (a11wlk01, a hydrogen kit, the lincity-ng tracks, pushover-data's game music;
 * 12 to ~10 000 training labels) and prints their VALIDATION bits/label; the test part is never read. Each row
 * holds the setting that won most bundles of its size range (the counts are beside the table in
 * cs_size_defaults.c). Not in the table: K, the number of labels, which `analyze`
 * sets (the model study found K 16 better than 64 on small corpora; that is analyze's default already).
 * Offline code.
 */
#ifndef CS_SIZE_DEFAULTS_H
#define CS_SIZE_DEFAULTS_H

#include "cs_train.h"

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/** One row: the defaults for corpora of at most max_train training labels (the last row: any size). */
typedef struct cs_size_row {
    size_t max_train;
    int gru_layers, gru_width;
    float gru_dropout;
    int tf_layers, tf_width, tf_heads, tf_context;
    float tf_dropout;
    int epochs;
} cs_size_row;

/** The row for n_train training labels (never NULL). */
const cs_size_row *cs_size_defaults(size_t n_train);

/** Set cfg's width, layers, (transformer) heads, context and d_ff, dropout and epochs from the row of n_train, for
 *  the architecture cfg->model.arch already holds (cs_train_config_default first). */
void cs_size_defaults_apply(cs_train_config *cfg, size_t n_train);

/** Print the table (one line per row, each prefixed by `indent`) to f. */
void cs_size_defaults_print(FILE *f, const char *indent);

#ifdef __cplusplus
}
#endif

#endif
