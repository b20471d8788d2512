/* cs_concatplay.c - the host-independent logic of the ConcatPlay UGen. See cs_concatplay.h. */
#include "cs_concatplay.h"

#include <math.h>
#include <string.h>

int cs_cp_open(cs_concatplay *cp, float max_voices, float seed, uint64_t fallback_seed, uint32_t num_out,
               double sample_rate, cs_cp_alloc_fn alloc_fn, void *user)
{
    memset(cp, 0, sizeof *cp);
    cp->table_err = CS_UT_E_NULL;
    cp->state = CS_CP_NO_TABLE;
    uint32_t mv = CS_GRAIN_DEFAULT_VOICES;
    if (max_voices == max_voices)
        mv = max_voices < 1.0f ? 1u
                               : (max_voices > (float)CS_GRAIN_MAX_VOICES ? CS_GRAIN_MAX_VOICES : (uint32_t)max_voices);
    cp->max_voices = mv;
    const uint64_t sd = (seed >= 0.0f && seed < 1.0e15f) ? (uint64_t)seed : fallback_seed;
    const size_t size = cs_player_size(mv, num_out);
    if (size == 0) return CS_CP_OPEN_ARGS;
    if (!(sample_rate > 0.0) || !isfinite(sample_rate)) return CS_CP_OPEN_RATE;
    cp->need = size;
    void *mem = alloc_fn ? alloc_fn(user, size) : NULL;
    if (!mem) return CS_CP_OPEN_NO_MEMORY;
    cp->player = cs_player_init(mem, size, mv, num_out, sample_rate, sd);
    return cp->player ? CS_CP_OPEN_OK : CS_CP_OPEN_ARGS; /* init cannot fail after the checks above */
}

void cs_cp_close(cs_concatplay *cp, cs_cp_free_fn free_fn, void *user)
{
    if (free_fn) {
        if (cp->lru_mem) free_fn(user, cp->lru_mem);
        if (cp->player) free_fn(user, cp->player);
    }
    cp->lru_mem = NULL;
    cp->lru = NULL;
    cp->lru_size = 0;
    cp->player = NULL;
}

/* A new table Buffer (pointer, size or channels changed): parse its header (O(1)), fade the old corpus, replace
 * its LRU lists (memory asked for at once, O(1); filled by advance_table) and start the bounded row check. */
static void rebind_table(cs_concatplay *cp, const float *table, uint32_t samples, uint32_t channels,
                         cs_cp_alloc_fn alloc_fn, cs_cp_free_fn free_fn, void *user)
{
    cp->table_data = table;
    cp->table_samples = samples;
    cp->table_channels = channels;
    if (!table)
        cp->table_err = CS_UT_E_NULL;
    else if (channels != 1)
        cp->table_err = CS_UT_E_DIMS;
    else
        cp->table_err = cs_ut_parse(table, samples, 0, &cp->view); /* header and sizes only: O(1) */
    if (cp->player) {
        cs_player_release_all(cp->player); /* fade the voices of the old corpus, forget the last unit */
        cs_player_set_lru(cp->player, NULL);
    }
    if (cp->lru_mem && free_fn) free_fn(user, cp->lru_mem);
    cp->lru_mem = NULL;
    cp->lru = NULL;
    cp->lru_size = 0;
    cp->lru_failed = 0;
    cp->phase = CS_CP_PHASE_READY;
    if (cp->table_err != CS_UT_OK || !cp->player) return;
    const size_t need = cs_select_lru_size(cp->view.num_units, cp->view.num_labels);
    cp->lru_mem = (need && alloc_fn) ? alloc_fn(user, need) : NULL;
    cp->lru = cp->lru_mem ? cs_select_lru_begin(cp->lru_mem, need, &cp->view) : NULL;
    if (cp->lru)
        cp->lru_size = need;
    else
        cp->lru_failed = 1;
    cs_ut_check_begin(&cp->check);
    cp->phase = cp->lru ? CS_CP_PHASE_LRU : CS_CP_PHASE_CHECK;
}

/* The bounded part of a rebind, once per block: CS_CP_CHECK_BUDGET work units of filling the LRU lists, then of
 * the row check (at most twice the budget in the block where the lists are done). A failed check refuses the
 * table from then on (its voices fade, the state becomes CS_CP_BAD_TABLE). */
static void advance_table(cs_concatplay *cp)
{
    const size_t budget = CS_CP_CHECK_BUDGET;
    if (cp->phase == CS_CP_PHASE_LRU) {
        if (!cs_select_lru_fill(cp->lru, &cp->view, budget)) return;
        cs_player_set_lru(cp->player, cp->lru);
        cp->phase = CS_CP_PHASE_CHECK;
    }
    if (cp->phase == CS_CP_PHASE_CHECK) {
        const int r = cs_ut_check_step(&cp->view, &cp->check, budget);
        if (r == CS_UT_CHECK_MORE) return;
        cp->phase = CS_CP_PHASE_READY;
        if (r != CS_UT_OK) {
            cp->table_err = r;
            if (cp->player) {
                cs_player_release_all(cp->player);
                cs_player_set_lru(cp->player, NULL);
            }
        }
    }
}

int cs_cp_bind(cs_concatplay *cp, const float *table, uint32_t table_samples, uint32_t table_channels,
               const float *audio, uint32_t audio_frames, uint32_t audio_channels, cs_cp_alloc_fn alloc_fn,
               cs_cp_free_fn free_fn, void *user, cs_player_io *io)
{
    io->table = NULL;
    io->audio = NULL;
    io->audio_frames = 0;
    io->audio_channels = 0;
    if (!table) {
        cp->state = CS_CP_NO_TABLE;
        return cp->state;
    }
    if (table != cp->table_data || table_samples != cp->table_samples || table_channels != cp->table_channels)
        rebind_table(cp, table, table_samples, table_channels, alloc_fn, free_fn, user);
    if (cp->table_err == CS_UT_OK && cp->phase != CS_CP_PHASE_READY) advance_table(cp);
    if (cp->table_err != CS_UT_OK)
        cp->state = CS_CP_BAD_TABLE;
    else if (!audio)
        cp->state = CS_CP_NO_AUDIO;
    else if (audio_channels != cp->view.channels || (uint64_t)audio_frames != cp->view.audio_frames)
        cp->state = CS_CP_MISMATCH;
    else
        cp->state = CS_CP_OK;
    if (cp->state == CS_CP_OK) {
        io->table = &cp->view;
        io->audio = audio;
        io->audio_frames = audio_frames;
        io->audio_channels = audio_channels;
    }
    return cp->state;
}

int cs_cp_target(cs_select_target *t, const float *buf, uint32_t buf_len, float num_pairs, const float *pairs,
                 uint32_t max_pairs)
{
    t->num_dims = 0;
    t->full = NULL;
    t->full_len = 0;
    uint32_t np = 0;
    if (num_pairs >= 1.0f) np = num_pairs >= (float)max_pairs ? max_pairs : (uint32_t)num_pairs;
    if (np > CS_SELECT_MAX_TARGET_DIMS) np = CS_SELECT_MAX_TARGET_DIMS;
    for (uint32_t i = 0; i < np; ++i) {
        const float d = pairs[2 * i];
        t->dim[i] = (d >= 0.0f && d < 4096.0f) ? (uint32_t)d : 4096u; /* 4096: ignored */
        t->value[i] = pairs[2 * i + 1];
    }
    t->num_dims = np;
    if (np == 0 && buf && buf_len > 0) { /* pairs given: they win; the Buffer is ignored */
        t->full = buf;
        t->full_len = buf_len;
    }
    return t->num_dims > 0 || t->full != NULL;
}
