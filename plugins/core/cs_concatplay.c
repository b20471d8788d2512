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

static cs_cp_shared host_registry; /* static storage: zero-initialised atomics, an empty registry */

cs_cp_shared *cs_cp_shared_host(void)
{
    return &host_registry;
}

void cs_cp_shared_init(cs_cp_shared *s)
{
    for (uint32_t i = 0; i < CS_CP_SHARED_TABLES; ++i) {
        cs_cp_shared_entry *e = &s->table[i];
        atomic_init(&e->seq, 0u);
        atomic_init(&e->data, NULL);
        atomic_init(&e->samples, 0u);
        atomic_init(&e->channels, 0u);
        atomic_init(&e->generation, 0u);
        atomic_init(&e->bufnum, -1);
        atomic_init(&e->result, 0);
    }
    atomic_init(&s->next, 0u);
    atomic_init(&s->left[0], 0u);
    atomic_init(&s->left[1], 0u);
    atomic_init(&s->taken, 0u);
}

static int same_id(const cs_cp_table_id *a, const cs_cp_table_id *b)
{
    return a->data == b->data && a->samples == b->samples && a->channels == b->channels && a->bufnum == b->bufnum &&
           a->generation == b->generation;
}

/* Read record e (a seqlock read, Boehm 2012): 1 and *id, *result when it holds a record of Buffer `bufnum` that
 * no writer changed meanwhile, else 0 (at once for another Buffer's record: two loads). Acquire loads throughout (no
 * fences: each field read synchronises with its release store, so a field of a newer write makes the second load of
 * `seq` see that write's odd value). */
static int entry_read(const cs_cp_shared_entry *e, int32_t bufnum, cs_cp_table_id *id, int *result)
{
    const uint32_t s1 = atomic_load_explicit(&e->seq, memory_order_acquire);
    if (s1 == 0u || (s1 & 1u)) return 0;
    id->bufnum = atomic_load_explicit(&e->bufnum, memory_order_acquire);
    if (id->bufnum != bufnum) return 0; /* another Buffer's (or torn: either way not this one's) */
    id->data = atomic_load_explicit(&e->data, memory_order_acquire);
    id->samples = atomic_load_explicit(&e->samples, memory_order_acquire);
    id->channels = atomic_load_explicit(&e->channels, memory_order_acquire);
    id->generation = atomic_load_explicit(&e->generation, memory_order_acquire);
    *result = atomic_load_explicit(&e->result, memory_order_acquire);
    return atomic_load_explicit(&e->seq, memory_order_acquire) == s1;
}

/* Write record e: take it (seq even -> odd by compare-exchange: one writer wins), store the fields (release), then
 * seq even again (release). Nothing when another writer holds it. */
static void entry_write(cs_cp_shared_entry *e, const cs_cp_table_id *id, int result)
{
    uint32_t s = atomic_load_explicit(&e->seq, memory_order_relaxed);
    if ((s & 1u) ||
        !atomic_compare_exchange_strong_explicit(&e->seq, &s, s + 1u, memory_order_acq_rel, memory_order_relaxed))
        return;
    atomic_store_explicit(&e->data, id->data, memory_order_release);
    atomic_store_explicit(&e->samples, id->samples, memory_order_release);
    atomic_store_explicit(&e->channels, id->channels, memory_order_release);
    atomic_store_explicit(&e->generation, id->generation, memory_order_release);
    atomic_store_explicit(&e->bufnum, id->bufnum, memory_order_release);
    atomic_store_explicit(&e->result, result, memory_order_release);
    const uint32_t done = s + 2u;
    atomic_store_explicit(&e->seq, done ? done : 2u, memory_order_release); /* even, never 0 (never written) */
}

void cs_cp_shared_put(cs_cp_shared *s, const cs_cp_table_id *id, int result)
{
    if (!s || !id || id->bufnum < 0 || !id->data) return;
    uint32_t slot = CS_CP_SHARED_TABLES;
    cs_cp_table_id e;
    int r;
    for (uint32_t i = 0; i < CS_CP_SHARED_TABLES; ++i) /* the Buffer's record, else a free entry */
        if (entry_read(&s->table[i], id->bufnum, &e, &r)) {
            slot = i;
            break;
        }
    for (uint32_t i = 0; slot == CS_CP_SHARED_TABLES && i < CS_CP_SHARED_TABLES; ++i)
        if (atomic_load_explicit(&s->table[i].seq, memory_order_relaxed) == 0u) slot = i;
    if (slot == CS_CP_SHARED_TABLES) /* full: the oldest goes */
        slot = atomic_fetch_add_explicit(&s->next, 1u, memory_order_relaxed) % CS_CP_SHARED_TABLES;
    entry_write(&s->table[slot], id, result);
}

int cs_cp_shared_get(const cs_cp_shared *s, const cs_cp_table_id *id, int *result)
{
    if (!s || !id || id->bufnum < 0 || !id->data) return 0;
    cs_cp_table_id e;
    int r;
    for (uint32_t i = 0; i < CS_CP_SHARED_TABLES; ++i)
        if (entry_read(&s->table[i], id->bufnum, &e, &r) && same_id(&e, id)) {
            if (result) *result = r;
            return 1;
        }
    return 0;
}

#define CS_CP_BLOCK_MASK ((UINT64_C(1) << 48) - 1u)
_Static_assert(CS_CP_LRU_BUDGET < 65536 && CS_CP_SHARED_BUDGET < 65536, "a budget takes the word's low 16 bits");

size_t cs_cp_shared_take(cs_cp_shared *s, uint64_t block, int pool, size_t need)
{
    if (!s || pool < 0 || pool > 1) return 0;
    const uint64_t full = pool ? CS_CP_SHARED_BUDGET : CS_CP_LRU_BUDGET;
    const uint64_t tag = ((block + 1u) & CS_CP_BLOCK_MASK) << 16;
    _Atomic uint64_t *w = &s->left[pool];
    uint64_t cur = atomic_load_explicit(w, memory_order_relaxed);
    for (int t = 0; t < CS_CP_SHARED_TRIES; ++t) {
        const uint64_t left = (cur & ~UINT64_C(0xffff)) == tag ? (cur & 0xffffu) : full; /* a new block: refilled */
        const uint64_t b = left < need ? left : (uint64_t)need;
        if (atomic_compare_exchange_weak_explicit(w, &cur, tag | (left - b), memory_order_relaxed,
                                                  memory_order_relaxed))
            return (size_t)b;
    }
    return 0;
}

static cs_cp_table_id bound_id(const cs_concatplay *cp)
{
    cs_cp_table_id id = {cp->table_data, cp->table_samples, cp->table_channels, cp->table_bufnum, cp->table_generation};
    return id;
}

/* A check result arrived (this instance's own bounded check, or the registry's): a failure refuses the table from
 * now on (its voices fade, the state becomes CS_CP_BAD_TABLE). */
static void check_done(cs_concatplay *cp, int r)
{
    if (r == CS_UT_OK) return;
    cp->table_err = r;
    cp->phase = CS_CP_PHASE_READY;
    if (cp->player) {
        cs_player_release_all(cp->player);
        cs_player_set_lru(cp->player, NULL);
    }
}

/* A new table Buffer (identity changed): parse its header (O(1)), fade the old corpus, replace its LRU lists
 * (memory asked for at once, O(1); filled by advance_table) and start the bounded row check unless the registry
 * already knows the table. */
static void rebind_table(cs_concatplay *cp, cs_cp_shared *shared, const cs_cp_table_id *id, cs_cp_alloc_fn alloc_fn,
                         cs_cp_free_fn free_fn, void *user)
{
    cp->table_data = id->data;
    cp->table_samples = id->samples;
    cp->table_channels = id->channels;
    cp->table_bufnum = id->bufnum;
    cp->table_generation = id->generation;
    if (!id->data)
        cp->table_err = CS_UT_E_NULL;
    else if (id->channels != 1)
        cp->table_err = CS_UT_E_DIMS;
    else
        cp->table_err = cs_ut_parse(id->data, id->samples, 0, &cp->view); /* header and sizes only: O(1) */
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
    int known = CS_UT_OK;
    const int checked = cs_cp_shared_get(shared, id, &known);
    if (checked && known != CS_UT_OK) {
        cp->table_err = known; /* refused at once: no LRU memory */
        atomic_fetch_add_explicit(&shared->taken, 1u, memory_order_relaxed);
        return;
    }
    const size_t need = cs_select_lru_size(cp->view.num_units, cp->view.num_labels);
    cp->lru_mem = (need && alloc_fn) ? alloc_fn(user, need) : NULL;
    cp->lru = cp->lru_mem ? cs_select_lru_begin(cp->lru_mem, need, &cp->view) : NULL;
    if (cp->lru)
        cp->lru_size = need;
    else
        cp->lru_failed = 1;
    cs_ut_check_begin(&cp->check);
    cp->check_needed = !checked;
    if (checked) atomic_fetch_add_explicit(&shared->taken, 1u, memory_order_relaxed);
    cp->phase = cp->lru ? CS_CP_PHASE_LRU : (cp->check_needed ? CS_CP_PHASE_CHECK : CS_CP_PHASE_READY);
}

/* What this instance may spend in this block on the LRU lists (pool 0: at most `need` words, what its lists still
 * need) or on the row check (pool 1: the whole of what is left, so that one instance at a time checks): its own
 * CS_CP_CHECK_BUDGET without sharing, else from the shared block budget. */
static size_t take_budget(cs_cp_shared *shared, uint64_t block, int pool, size_t need)
{
    return shared ? cs_cp_shared_take(shared, block, pool, need) : CS_CP_CHECK_BUDGET;
}

/* The bounded part of a rebind, once per block: fill the LRU lists, then the row check (unless the registry holds
 * the result, looked up every block while checking), each within its budget. A failed check refuses the table. */
static void advance_table(cs_concatplay *cp, cs_cp_shared *shared, uint64_t block)
{
    const cs_cp_table_id id = bound_id(cp);
    int known = CS_UT_OK;
    if (cp->check_needed && shared && cs_cp_shared_get(shared, &id, &known)) { /* another instance or the command */
        cp->check_needed = 0;
        atomic_fetch_add_explicit(&shared->taken, 1u, memory_order_relaxed);
        if (known != CS_UT_OK) {
            check_done(cp, known);
            return;
        }
        if (cp->phase == CS_CP_PHASE_CHECK) cp->phase = CS_CP_PHASE_READY;
    }
    if (cp->phase == CS_CP_PHASE_LRU) {
        const size_t budget = take_budget(shared, block, 0, cs_select_lru_fill_left(cp->lru));
        if (budget == 0 || !cs_select_lru_fill(cp->lru, &cp->view, budget)) return;
        /* the lists join a table that already plays: SUCCESSOR keeps following the unit played last */
        const int32_t last = cp->player->select.last_unit;
        cs_player_set_lru(cp->player, cp->lru);
        cp->player->select.last_unit = last;
        cp->phase = cp->check_needed ? CS_CP_PHASE_CHECK : CS_CP_PHASE_READY;
    }
    if (cp->phase == CS_CP_PHASE_CHECK) {
        const size_t budget = take_budget(shared, block, 1, (size_t)-1);
        if (budget == 0) return;
        const int r = cs_ut_check_step(&cp->view, &cp->check, budget);
        if (r == CS_UT_CHECK_MORE) return;
        cp->phase = CS_CP_PHASE_READY;
        cp->check_needed = 0;
        cs_cp_shared_put(shared, &id, r);
        check_done(cp, r);
    }
}

int cs_cp_bind_shared(cs_concatplay *cp, cs_cp_shared *shared, uint64_t block, const float *table,
                      uint32_t table_samples, uint32_t table_channels, int32_t table_bufnum, uint32_t table_generation,
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
    const cs_cp_table_id id = {table, table_samples, table_channels, shared ? table_bufnum : -1,
                               shared ? table_generation : 0u};
    const cs_cp_table_id was = bound_id(cp);
    if (!same_id(&id, &was)) rebind_table(cp, shared, &id, alloc_fn, free_fn, user);
    if (cp->table_err == CS_UT_OK && cp->phase != CS_CP_PHASE_READY) advance_table(cp, shared, block);
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

int cs_cp_bind(cs_concatplay *cp, const float *table, uint32_t table_samples, uint32_t table_channels,
               const float *audio, uint32_t audio_frames, uint32_t audio_channels, cs_cp_alloc_fn alloc_fn,
               cs_cp_free_fn free_fn, void *user, cs_player_io *io)
{
    return cs_cp_bind_shared(cp, NULL, 0, table, table_samples, table_channels, -1, 0, audio, audio_frames,
                             audio_channels, alloc_fn, free_fn, user, io);
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
