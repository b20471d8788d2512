/*
 * cs_concatplay.h - the host-independent logic of the ConcatPlay UGen: creating the player (voice count and seed
 * from the inputs, memory from the host's allocator), following the unit-table and audio Buffers block by block
 * (validation when the table Buffer changes, LRU lists sized from it, the audio checked against it), building
 * the descriptor target from a Buffer or from (index, value) pairs, and the failing states the host reports.
 *
 * C11 core code (plugins/core/cs_concatplay.c) behind a C API, as cs_seqpredict.h is for SeqPredict: the shim
 * plugins/ConcatPlay/ConcatPlay.cpp only looks the Buffers up, marshals inputs and outputs, hands RTAlloc/RTFree
 * over and posts the messages; the C tests (tests/c/test_concatplay_logic.c) run this very code. Nothing here
 * allocates except through the callbacks, locks or performs I/O; every function is real-time safe with RT-safe
 * callbacks (costs on each). The player itself (voices, triggers, gapless chain) is cs_player.h, selection cs_select.h.
 *
 * Per block the host calls cs_cp_bind (or cs_cp_bind_shared) with the CURRENT data of both Buffers (never cached
 * across blocks), then cs_cp_target, then cs_player_process with the io that cs_cp_bind filled. When the table's
 * data pointer, size, channel count or write generation changes, its header and section sizes are checked at
 * once (O(1)) and the UGen plays from that block on: every value read from the table is range-checked where it is
 * used (cs_unit_table.h, cs_select.h, cs_player.c), so an unchecked table is read safely. The O(units) row check
 * is done ONCE per table for every instance (issue 14 item 1), either
 *   - off the audio thread: the host checks the table in full (cs_ut_parse with check_rows, in scsynth the NRT
 *     stage of the plugin command `/cmd concatseqCheck bufnum`, which ConcatCorpus.load sends) and records the
 *     result in the shared registry (cs_cp_shared_put) under the Buffer's identity at that moment; an instance
 *     that binds a table whose identity is recorded takes the result in O(CS_CP_SHARED_TABLES), or
 *   - on the audio thread, when nobody checked it (a raw Buffer, a LocalBuf): the instance runs the bounded row
 *     check (cs_ut_check_step) and records the result when it is done, so that every other instance bound to the
 *     same table takes it over; instances still checking look the registry up every block.
 * The LRU lists are filled per instance (cs_select_lru_fill: O(units / 64 + labels) words; until then select 2
 * acts as random). All this per-block work of every instance together draws on ONE budget per block
 * (cs_cp_shared: CS_CP_SHARED_BUDGET work units of row checks, taken whole by the first instance that asks, so
 * one instance at a time checks, and CS_CP_LRU_BUDGET words of LRU lists), so the worst block does not grow with
 * the number of instances; without a registry (cs_cp_bind) an instance has CS_CP_CHECK_BUDGET of
 * its own. A table that fails the check is refused from that block on (CS_CP_BAD_TABLE: its voices fade, then
 * silence and one message), as one with a bad header is at once. Figures (tests/bench/bench_concatplay_bind.c,
 * 1-million-unit table, 26 descriptors, 64-sample blocks at 48 kHz, 16 instances binding in the same block, no
 * triggers so that the blocks hold the table work; a shared 2-core machine under load): checked by the command,
 * worst block 4.7 %, 99.9th percentile 4.1 %, mean 0.75 % of a block, every instance ready after 16 blocks;
 * without the command (the first instance checks, the others take its result), 99.9th percentile 10 %, mean
 * 2.0 %, ready after 42 s of audio; each instance checking for itself (before), 99.9th percentile 19 %, mean 6.8 %.
 *
 * Identity of a table: its data pointer, sample and channel counts, Buffer number and the host's write generation
 * of that Buffer (scsynth: World::mSndBufUpdates[bufnum].writes, incremented by every asynchronous Buffer command:
 * /b_alloc, /b_allocRead, /b_read, /b_free, /b_zero, /b_gen ...). A Buffer freed and allocated again at the same
 * address therefore never matches an old record. /b_set, /b_setn and /b_fill write in place without a generation:
 * values written after the check are caught where they are used (memory-safe, never out of range), not re-checked.
 */
#ifndef CS_CONCATPLAY_H
#define CS_CONCATPLAY_H

#include "cs_player.h"
#include "cs_select.h"
#include "cs_unit_table.h"

#include <stddef.h>
#include <stdint.h>
#ifndef __cplusplus
#include <stdatomic.h>
#endif

#ifdef __cplusplus
extern "C" {
#endif

/** The host's allocator (RTAlloc / RTFree in the UGen), with its user pointer (the World). */
typedef void *(*cs_cp_alloc_fn)(void *user, size_t bytes);
typedef void (*cs_cp_free_fn)(void *user, void *ptr);

/** Buffer states found by cs_cp_bind; the host posts one message when a failing state begins. */
enum cs_cp_state {
    CS_CP_OK = 0,
    CS_CP_NO_TABLE,  /* no unit-table Buffer, or one without data */
    CS_CP_BAD_TABLE, /* the table Buffer is not a valid unit table: `table_err` holds the cs_ut_error */
    CS_CP_NO_AUDIO,  /* no audio Buffer, or one without data */
    CS_CP_MISMATCH   /* the audio's channels or frames differ from the unit table's */
};

/** Work units (cs_unit_table.h: about floats read) of table checking and LRU filling per block and instance; measured
 * in tests/bench/bench_concatplay_bind.c against the target (16 instances, 1M units, <= 10 % of a 64-sample
 * block at 48 kHz). */
#define CS_CP_CHECK_BUDGET 4096

/** Work per block for every instance together when they share a registry (cs_cp_bind_shared), whatever the
 * number of instances: CS_CP_SHARED_BUDGET work units of row checks (taken whole by the first instance that asks
 * in the block: one instance at a time checks), and CS_CP_LRU_BUDGET words of LRU lists (each instance takes
 * what its lists still need, in the order the instances run; a word written in sequence costs less than a work
 * unit of the check, about 0.3 ns: tests/bench/bench_concatplay_bind.c). */
#define CS_CP_SHARED_BUDGET CS_CP_CHECK_BUDGET
#define CS_CP_LRU_BUDGET    16384

/** Entries of the registry of checked tables (the oldest is replaced when it is full). */
#define CS_CP_SHARED_TABLES 32

/** The identity of a table Buffer (see the top of this file). bufnum < 0: not a global Buffer (a LocalBuf): such
 *  a table is never recorded nor looked up. */
typedef struct cs_cp_table_id {
    const float *data;
    uint32_t samples, channels;
    int32_t bufnum;
    uint32_t generation;
} cs_cp_table_id;

/** Attempts of one budget draw (cs_cp_shared_take) against other threads' draws before it takes nothing. */
#define CS_CP_SHARED_TRIES 16

#ifdef __cplusplus
typedef struct cs_cp_shared cs_cp_shared; /* opaque to C++ (it has no _Atomic): the shim uses cs_cp_shared_host() */
#else
/** One record of the registry, a seqlock: `seq` is odd while a writer fills it, 0 when never written; a reader
 *  takes the fields only when `seq` was the same even value before and after (else: no record there). */
typedef struct cs_cp_shared_entry {
    _Atomic uint32_t seq;
    _Atomic(const float *) data;
    _Atomic uint32_t samples, channels, generation;
    _Atomic int32_t bufnum;
    _Atomic int result; /* cs_ut_error of the full check */
} cs_cp_shared_entry;

/** What the instances of one host (one World) share: the registry of checked tables and the per-block budget.
 *  Lock-free (C11 atomics), so any number of threads may call cs_cp_shared_put, cs_cp_shared_get,
 *  cs_cp_shared_take and cs_cp_bind_shared (each on its own instance) on it at once (supernova runs the units
 *  of parallel groups on several threads, and the plugin command's stage 3 beside them; the build here makes
 *  the scsynth plugins only), each in bounded work with no lock and no
 *  wait: a writer that meets another in the same record records nothing (the instances then check themselves,
 *  as without a registry), a reader that meets a writer sees no record there, a budget draw that loses
 *  CS_CP_SHARED_TRIES races takes nothing in that block. Zero-initialised static storage is an empty registry;
 *  otherwise set up with cs_cp_shared_init. tests/c/test_concatplay_shared.c hammers it from several threads. */
typedef struct cs_cp_shared {
    cs_cp_shared_entry table[CS_CP_SHARED_TABLES];
    _Atomic uint32_t next;    /* the entry replaced next when the registry is full (modulo CS_CP_SHARED_TABLES) */
    _Atomic uint64_t left[2]; /* per pool ([0] LRU lists, [1] row checks): ((block + 1) mod 2^48) << 16 | the
                                 work units left in that block (both budgets < 2^16); 0 before the first block */
    _Atomic uint64_t taken;   /* results taken from the registry by instances (for tests and benchmarks) */
} cs_cp_shared;
#endif

/** The host process's registry (a zero-initialised static of cs_concatplay.c: an empty registry), for a host
 *  with one World per process (scsynth, supernova); the C++ shim cannot hold the atomic struct itself. */
cs_cp_shared *cs_cp_shared_host(void);

/** An empty registry. O(CS_CP_SHARED_TABLES). Not concurrently with other calls on `s`. */
void cs_cp_shared_init(cs_cp_shared *s);

/** Record the full check's result (a cs_ut_error) for the table `id` (bufnum >= 0, else nothing is recorded);
 *  replaces any record of the same bufnum (only a Buffer's current content matters). O(CS_CP_SHARED_TABLES),
 *  real-time safe, lock-free (see cs_cp_shared: under a concurrent writer of the same record, nothing). */
void cs_cp_shared_put(cs_cp_shared *s, const cs_cp_table_id *id, int result);

/** 1 and *result if the table `id` was checked (exactly this identity), else 0. O(CS_CP_SHARED_TABLES),
 *  real-time safe, lock-free (a record being written at that moment is not seen). */
int cs_cp_shared_get(const cs_cp_shared *s, const cs_cp_table_id *id, int *result);

/** Draw up to `need` work units of `pool` (0: LRU lists, budget CS_CP_LRU_BUDGET per block; 1: row checks,
 *  CS_CP_SHARED_BUDGET) from block `block`'s budget; returns what was taken (0 when it is spent). Every draw of
 *  a block together never exceeds its budget, whatever the threads. O(CS_CP_SHARED_TRIES), lock-free. */
size_t cs_cp_shared_take(cs_cp_shared *s, uint64_t block, int pool, size_t need);

/** Where a bound table stands (cs_concatplay.phase). */
enum cs_cp_phase {
    CS_CP_PHASE_READY = 0, /* LRU lists in place and the table checked (or the table is bad: table_err) */
    CS_CP_PHASE_LRU,       /* the LRU lists are being filled (select 2 acts as random meanwhile) */
    CS_CP_PHASE_CHECK      /* the row check is running */
};

/** Results of cs_cp_open. */
enum cs_cp_open_status {
    CS_CP_OPEN_OK = 0,
    CS_CP_OPEN_ARGS = -1,      /* channel count out of 1 .. CS_GRAIN_MAX_OUTPUTS */
    CS_CP_OPEN_NO_MEMORY = -2, /* the allocator returned NULL for `need` bytes */
    CS_CP_OPEN_RATE = -3       /* the sample rate is not a positive finite number */
};

/** The UGen's state. Plain data: lives inside the UGen struct; set up with cs_cp_open. */
typedef struct cs_concatplay {
    cs_player *player; /* from the allocator, NULL until opened (or when opening failed) */
    size_t need;       /* bytes the player asked for (CS_CP_OPEN_NO_MEMORY) */
    uint32_t max_voices;
    /* unit-table validation cache: re-parse only when any of these change */
    const float *table_data; /* compared, never dereferenced after a change */
    uint32_t table_samples, table_channels;
    int32_t table_bufnum;      /* the identity of the bound table (cs_cp_table_id) */
    uint32_t table_generation; /* a change rebinds, even at the same address */
    int table_err;             /* cs_ut_error of the last parse or row check */
    cs_ut_view view;
    int phase;          /* enum cs_cp_phase */
    cs_ut_check check;  /* the row check's cursor (phase CHECK) */
    cs_select_lru *lru; /* in lru_mem: handed to the player once filled */
    void *lru_mem;      /* from the allocator, sized from the table; NULL if none */
    size_t lru_size;
    int lru_failed;   /* 1 when the LRU lists of the current table got no memory (select 2 acts as random) */
    int check_needed; /* 1 while the row check of the bound table is neither done nor found in the registry */
    int state;        /* enum cs_cp_state of the last block */
} cs_concatplay;

/**
 * Create the player: max_voices from the input (NaN -> CS_GRAIN_DEFAULT_VOICES, else clamped to 1 ..
 * CS_GRAIN_MAX_VOICES), the seed from the input (finite and in [0, 1e15): floor; else `fallback_seed`, the
 * host's generator), num_out output channels at sample_rate Hz. One allocator call. Returns enum
 * cs_cp_open_status; on failure cp->player is NULL (and cp->need says how much was asked for). O(1).
 */
int cs_cp_open(cs_concatplay *cp, float max_voices, float seed, uint64_t fallback_seed, uint32_t num_out,
               double sample_rate, cs_cp_alloc_fn alloc_fn, void *user);

/** Give every block of memory back (the UGen's destructor). Safe on a state that never opened. */
void cs_cp_close(cs_concatplay *cp, cs_cp_free_fn free_fn, void *user);

/**
 * Follow both Buffers for this block and fill io->table, io->audio, io->audio_frames, io->audio_channels
 * (all NULL / 0 unless the state is CS_CP_OK). table / audio: the Buffers' current data (NULL when there is no
 * such Buffer), their samples (frames * channels), frames and channels. When the table's data pointer, size or
 * channels changed: parse its header (O(1)), fade the old corpus's voices, replace the LRU lists (one free_fn
 * and one alloc_fn call; without memory cp->lru_failed is set) and start the work that each call then advances
 * by CS_CP_CHECK_BUDGET work units (LRU lists, then the row check; cp->phase says where it stands). The state
 * is CS_CP_OK from the first call for a table whose header is sound, CS_CP_BAD_TABLE from the call in which the
 * check fails. Returns the state (enum cs_cp_state). At worst O(2 * CS_CP_CHECK_BUDGET + one row + one index
 * node) per call, O(1) when nothing changed or the work is done. No registry, no sharing: each instance checks
 * its table itself (the hosts that share use cs_cp_bind_shared).
 */
int cs_cp_bind(cs_concatplay *cp, const float *table, uint32_t table_samples, uint32_t table_channels,
               const float *audio, uint32_t audio_frames, uint32_t audio_channels, cs_cp_alloc_fn alloc_fn,
               cs_cp_free_fn free_fn, void *user, cs_player_io *io);

/**
 * cs_cp_bind for a host whose instances share `shared` (non-NULL; else this is cs_cp_bind): `table_bufnum` and
 * `table_generation` complete the table's identity (cs_cp_table_id; bufnum -1 for a LocalBuf), `block` is the
 * host's block counter (scsynth: World::mBufCounter), by which the budget of CS_CP_SHARED_BUDGET work units per
 * block is shared. A table found in the registry is not row-checked again; a table this instance finishes
 * checking is recorded. At worst O(CS_CP_SHARED_BUDGET + one row + one index node + CS_CP_SHARED_TABLES) per call,
 * and every call in a block together O(CS_CP_SHARED_BUDGET + calls * (one row + CS_CP_SHARED_TABLES)).
 */
int cs_cp_bind_shared(cs_concatplay *cp, cs_cp_shared *shared, uint64_t block, const float *table,
                      uint32_t table_samples, uint32_t table_channels, int32_t table_bufnum, uint32_t table_generation,
                      const float *audio, uint32_t audio_frames, uint32_t audio_channels, cs_cp_alloc_fn alloc_fn,
                      cs_cp_free_fn free_fn, void *user, cs_player_io *io);

/**
 * The descriptor target of select 3 (nearest). pairs: `max_pairs` (index, value) pairs as the UGen's inputs
 * hold them, of which the first floor(num_pairs) (clamped to 0 .. min(max_pairs, CS_SELECT_MAX_TARGET_DIMS))
 * are used; an index that is negative, NaN or >= 4096 is kept as 4096 (ignored by the selection). buf:
 * buf_len normalised descriptor values, or NULL; used only when no pair is given. Returns 1 when `t` holds a
 * target, 0 when there is none (the player then gets NULL). O(pairs).
 */
int cs_cp_target(cs_select_target *t, const float *buf, uint32_t buf_len, float num_pairs, const float *pairs,
                 uint32_t max_pairs);

#ifdef __cplusplus
}
#endif

#endif
