/*
 * test_concatplay_logic.c - the host-independent logic of the ConcatPlay UGen (plugins/core/cs_concatplay.h):
 * opening (voice count and seed from raw inputs, allocator failure), following the Buffers (no table, a bad
 * table, no audio, mismatched audio, a new table at the same size, LRU memory refused), the descriptor target
 * (pairs win over a Buffer, bad indices ignored); the label contract (-1 rests, -2 plays any unit); and the
 * /b_set abuse: random writes into every section of a playing unit table (header, rows, labels, members, k-d
 * tree index) and into the audio, through the same calls as the UGen, with every policy: no read out of range
 * (run it under ASan: the unit-asan target), finite output, unit output always -1 or a unit index.
 */
#include "cs_concatplay.h"
#include "cs_index.h"
#include "cs_test.h"
#include "cs_test_heap.h"
#include "cs_test_units.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A random corpus with a k-d tree index (leaf 4): `units` units of 50..399 frames (cs_test_units.h), `labels`
 * labels (the last one left empty if asked), `nd` descriptors, successors in unit order, and a sine as audio.
 * Returns 0 on success. */
typedef struct corpus {
    float *table; /* tn floats */
    size_t tn;
    float *audio; /* frames, mono */
    uint64_t frames;
} corpus;

static int corpus_make(corpus *c, uint32_t units, uint32_t labels, uint32_t nd, uint64_t seed, int leave_empty)
{
    uint64_t *st = malloc(units * sizeof *st), *ln = malloc(units * sizeof *ln);
    int32_t *lab = malloc(units * sizeof *lab), *src = calloc(units, sizeof *src), *succ = malloc(units * sizeof *succ);
    float *d = malloc((size_t)units * nd * sizeof *d);
    const uint64_t pos =
        cs_test_random_units(seed, units, leave_empty ? labels - 1 : labels, nd, 50, 350, st, ln, lab, d);
    for (uint32_t u = 0; u < units; ++u)
        succ[u] = u + 1 < units ? (int32_t)u + 1 : -1;
    const size_t bn = cs_ut_size(units, nd, labels);
    float *base = calloc(bn, sizeof(float));
    cs_ut_view v0;
    c->table = NULL;
    if (cs_ut_encode(base, units, nd, labels, 1, -1, 48000, 1, pos, st, ln, lab, src, succ, d) == 0 &&
        cs_ut_parse(base, bn, 1, &v0) == 0) {
        c->tn = cs_index_table_size(&v0, 4);
        c->table = calloc(c->tn, sizeof(float));
        if (cs_index_build(&v0, 4, c->table, c->tn) != 0) {
            free(c->table);
            c->table = NULL;
        }
    }
    c->frames = pos;
    c->audio = malloc(pos * sizeof(float));
    for (uint64_t i = 0; i < pos; ++i)
        c->audio[i] = (float)sin(0.05 * (double)i) * 0.5f;
    free(base), free(st), free(ln), free(lab), free(src), free(succ), free(d);
    CS_CHECK(c->table != NULL, "random corpus of %u units built with its index", units);
    return c->table ? 0 : -1;
}

static void corpus_free(corpus *c)
{
    free(c->table);
    free(c->audio);
}

/* The player's inputs as constants, in one place. */
typedef struct inputs {
    float v[CS_PLAYER_NUM_INPUTS];
} inputs;

static void inputs_default(inputs *in)
{
    const float d[CS_PLAYER_NUM_INPUTS] = {0, CS_LABEL_ANY, -1, 1, 1, 0.001f, 0.002f, 0, 0, 0, 0, 0.01f};
    memcpy(in->v, d, sizeof d);
}

/* One block through the UGen's calls: bind, target, process. trig: n samples (or NULL = 0). */
/* The player's part of a block, after the bind filled io: the inputs as constants, trig per sample (or 0). */
static void process(cs_concatplay *cp, cs_player_io *io, const inputs *in, const float *trig,
                    const cs_select_target *target, uint32_t n, float *out, float *unit_out, float *next_out)
{
    static const float zero = 0.0f;
    for (int i = 0; i < CS_PLAYER_NUM_INPUTS; ++i) {
        io->in[i] = &in->v[i];
        io->step[i] = 0;
    }
    io->in[CS_PIN_TRIG] = trig ? trig : &zero;
    io->step[CS_PIN_TRIG] = trig ? 1u : 0u;
    float *outs[1] = {out};
    io->out = outs;
    io->unit_out = unit_out;
    io->next_out = next_out;
    io->target = target;
    cs_player_process(cp->player, io, n);
}

static int block(cs_concatplay *cp, heap *h, const float *table, size_t tn, const float *audio, uint64_t frames,
                 const inputs *in, const float *trig, const cs_select_target *target, uint32_t n, float *out,
                 float *unit_out, float *next_out)
{
    cs_player_io io;
    const int state = cs_cp_bind(cp, table, (uint32_t)tn, 1, audio, (uint32_t)frames, 1, heap_alloc, heap_free, h, &io);
    process(cp, &io, in, trig, target, n, out, unit_out, next_out);
    return state;
}

/* cs_cp_bind until the table's LRU lists and check (CS_CP_CHECK_BUDGET per call) are done; the state then. */
static int bind_ready(cs_concatplay *cp, heap *h, const float *table, size_t tn, const float *audio, uint64_t frames,
                      cs_player_io *io)
{
    int st =
        cs_cp_bind(cp, table, (uint32_t)tn, 1, audio, (uint32_t)frames, audio ? 1 : 0, heap_alloc, heap_free, h, io);
    for (int i = 0; i < 1000000 && cp->phase != CS_CP_PHASE_READY; ++i)
        st = cs_cp_bind(cp, table, (uint32_t)tn, 1, audio, (uint32_t)frames, audio ? 1 : 0, heap_alloc, heap_free, h,
                        io);
    return st;
}

static void test_open_and_bind(void)
{
    heap h = {1u << 30, 0, 0};
    cs_concatplay cp;
    CS_CHECK(cs_cp_open(&cp, NAN, -1.0f, 7, 1, 48000, heap_alloc, &h) == CS_CP_OPEN_OK &&
                 cp.max_voices == CS_GRAIN_DEFAULT_VOICES && cp.player != NULL,
             "NaN voices: the default");
    cs_cp_close(&cp, heap_free, &h);
    CS_CHECK(cs_cp_open(&cp, 1e9f, 3.0f, 7, 2, 44100, heap_alloc, &h) == CS_CP_OPEN_OK &&
                 cp.max_voices == CS_GRAIN_MAX_VOICES,
             "voices clamped to the maximum");
    cs_cp_close(&cp, heap_free, &h);
    CS_CHECK(cs_cp_open(&cp, 4, 0, 7, 0, 48000, heap_alloc, &h) == CS_CP_OPEN_ARGS && !cp.player, "0 channels");
    CS_CHECK(cs_cp_open(&cp, 4, 0, 7, 1, NAN, heap_alloc, &h) == CS_CP_OPEN_RATE && !cp.player, "NaN rate");
    heap tiny = {100, 0, 0};
    CS_CHECK(cs_cp_open(&cp, 64, 0, 7, 1, 48000, heap_alloc, &tiny) == CS_CP_OPEN_NO_MEMORY && !cp.player &&
                 cp.need > 100,
             "no memory: need %zu", cp.need);
    cs_cp_close(&cp, heap_free, &tiny);

    corpus c;
    if (corpus_make(&c, 60, 4, 5, 3, 0)) return;
    const float *table = c.table, *audio = c.audio;
    const size_t tn = c.tn;
    const uint64_t frames = c.frames;
    CS_CHECK(cs_cp_open(&cp, 8, 1, 7, 1, 48000, heap_alloc, &h) == CS_CP_OPEN_OK, "open");
    cs_player_io io;
    CS_CHECK(cs_cp_bind(&cp, NULL, 0, 0, audio, (uint32_t)frames, 1, heap_alloc, heap_free, &h, &io) ==
                     CS_CP_NO_TABLE &&
                 !io.table && !io.audio,
             "no table");
    CS_CHECK(cs_cp_bind(&cp, audio, (uint32_t)frames, 1, audio, (uint32_t)frames, 1, heap_alloc, heap_free, &h, &io) ==
                     CS_CP_BAD_TABLE &&
                 cp.table_err == CS_UT_E_MAGIC,
             "the audio as a table: bad magic");
    CS_CHECK(cs_cp_bind(&cp, table, (uint32_t)tn, 2, audio, (uint32_t)frames, 1, heap_alloc, heap_free, &h, &io) ==
                 CS_CP_BAD_TABLE,
             "a two-channel table");
    CS_CHECK(bind_ready(&cp, &h, table, tn, NULL, 0, &io) == CS_CP_NO_AUDIO, "no audio");
    CS_CHECK(cs_cp_bind(&cp, table, (uint32_t)tn, 1, audio, (uint32_t)frames - 1, 1, heap_alloc, heap_free, &h, &io) ==
                 CS_CP_MISMATCH,
             "audio one frame short");
    const int allocs = h.allocs;
    CS_CHECK(cs_cp_bind(&cp, table, (uint32_t)tn, 1, audio, (uint32_t)frames, 1, heap_alloc, heap_free, &h, &io) ==
                     CS_CP_OK &&
                 io.table == &cp.view && io.audio == audio && io.audio_frames == frames && cp.lru_mem != NULL,
             "a good corpus");
    CS_CHECK(h.allocs == allocs, "no new LRU memory while the table Buffer is the same (%d)", h.allocs - allocs);
    /* a new table Buffer: parsed again, new LRU lists; refused memory: flagged, select 2 still plays */
    float *copy = malloc(tn * sizeof(float));
    memcpy(copy, table, tn * sizeof(float));
    h.limit = 10;
    CS_CHECK(bind_ready(&cp, &h, copy, tn, audio, frames, &io) == CS_CP_OK && cp.lru_failed && !cp.lru_mem,
             "LRU memory refused: flagged");
    h.limit = 1u << 30;
    cs_cp_close(&cp, heap_free, &h);
    CS_CHECK(h.allocs == h.frees, "every block given back (%d allocs, %d frees)", h.allocs, h.frees);

    /* targets: pairs win; bad indices kept as 4096 (ignored); the Buffer alone; nothing */
    cs_select_target t;
    const float pairs[6] = {2, 0.5f, NAN, 1.0f, -3, 2.0f};
    const float buf[3] = {0.1f, 0.2f, 0.3f};
    CS_CHECK(cs_cp_target(&t, buf, 3, 3, pairs, 3) == 1 && t.num_dims == 3 && t.full == NULL && t.dim[0] == 2 &&
                 t.dim[1] == 4096 && t.dim[2] == 4096,
             "pairs win, bad indices ignored");
    CS_CHECK(cs_cp_target(&t, buf, 3, 1e30f, pairs, 2) == 1 && t.num_dims == 2, "pair count clamped to the inputs");
    CS_CHECK(cs_cp_target(&t, buf, 3, 0, pairs, 3) == 1 && t.full == buf && t.full_len == 3, "the Buffer alone");
    CS_CHECK(cs_cp_target(&t, NULL, 0, NAN, pairs, 3) == 0, "no target");
    free(copy);
    corpus_free(&c);
}

/* Contract: label -1 ("no label", what SeqPredict outputs without a model) rests; -2 plays any unit. */
static void test_label_contract(void)
{
    corpus c;
    if (corpus_make(&c, 40, 3, 2, 9, 0)) return;
    heap h = {1u << 30, 0, 0};
    const float labels[4] = {(float)CS_LABEL_NONE, -0.5f, (float)CS_LABEL_ANY, -7.0f};
    const int sounds[4] = {0, 0, 1, 1};
    for (int k = 0; k < 4; ++k) {
        for (int gapless = 0; gapless < 2; ++gapless) {
            cs_concatplay cp;
            cs_cp_open(&cp, 8, 1, 7, 1, 48000, heap_alloc, &h);
            inputs in;
            inputs_default(&in);
            in.v[CS_PIN_LABEL] = labels[k];
            in.v[CS_PIN_GAPLESS] = (float)gapless;
            float trig[256], out[256], uo[256];
            double e = 0;
            float maxu = -1;
            for (int b = 0; b < 40; ++b) {
                for (int i = 0; i < 256; ++i)
                    trig[i] = (i == 10) ? 1.0f : 0.0f;
                block(&cp, &h, c.table, c.tn, c.audio, c.frames, &in, trig, NULL, 256, out, uo, NULL);
                for (int i = 0; i < 256; ++i) {
                    e += (double)out[i] * (double)out[i];
                    if (uo[i] > maxu) maxu = uo[i];
                }
            }
            const int st = cp.player->last_status;
            CS_CHECK(sounds[k] ? (e > 1.0 && maxu >= 0) : (e == 0.0 && maxu == -1.0f && st == CS_SELECT_REST),
                     "label %g, gapless %d: %s (energy %g, status %d)", (double)labels[k], gapless,
                     sounds[k] ? "plays any unit" : "rests, silent, no error", e, st);
            cs_cp_close(&cp, heap_free, &h);
        }
    }
    corpus_free(&c);
}

/*
 * The /b_set abuse (issue A1: label 0's member count := 4e9 crashed scsynth): while a corpus plays through the
 * UGen's calls, every block writes a random value (NaN, infinities, huge, negative, fractional, or a plausible
 * index) over a random stretch of the table - header, rows, labels, members, index - and now and then of the
 * audio, cycling the policies, labels and targets. Every read must stay inside the Buffers (ASan), the output
 * finite, the unit output -1 or a unit index. The table is restored every 16 blocks so selection is also
 * exercised on a valid table.
 */
static void test_written_table(void)
{
    corpus c;
    if (corpus_make(&c, 300, 6, 8, 21, 1)) return;
    const float *orig = c.table;
    float *audio = c.audio;
    const size_t tn = c.tn;
    const uint64_t frames = c.frames;
    float *table = malloc(tn * sizeof(float)), *aorig = malloc(frames * sizeof(float));
    memcpy(table, orig, tn * sizeof(float));
    memcpy(aorig, audio, frames * sizeof(float));
    heap h = {1u << 30, 0, 0};
    cs_concatplay cp;
    cs_cp_open(&cp, 16, 5, 7, 1, 48000, heap_alloc, &h);
    cs_rng g;
    cs_rng_seed(&g, 4);
    const float vals[] = {NAN, INFINITY, -INFINITY, 4e9f, -4e9f, 1e30f, -1.0f, 0.5f, 16777215.0f, 299.0f, 5.0f, 0.0f};
    const uint32_t nv = sizeof vals / sizeof vals[0];
    cs_select_target target;
    memset(&target, 0, sizeof target);
    target.num_dims = 3;
    target.dim[0] = 0, target.dim[1] = 3, target.dim[2] = 7;
    target.value[0] = 0.2f, target.value[1] = -1.0f, target.value[2] = 0.7f;
    size_t bad_out = 0, bad_unit = 0, sounding = 0;
    const uint32_t B = 64;
    float trig[64], out[64], uo[64], nx[64];
    cs_player_io io0;
    CS_CHECK(bind_ready(&cp, &h, table, tn, audio, frames, &io0) == CS_CP_OK, "the table validates before the writes");
    for (int b = 0; b < 20000; ++b) {
        if (b % 16 == 15 || b == 0) {
            memcpy(table, orig, tn * sizeof(float));
            memcpy(audio, aorig, frames * sizeof(float));
        } else {
            const uint32_t at = cs_rng_below(&g, (uint32_t)tn), len = 1 + cs_rng_below(&g, 8);
            const float v = vals[cs_rng_below(&g, nv)];
            for (uint32_t k = at; k < at + len && k < tn; ++k)
                table[k] = v;
            if (b % 5 == 0) audio[cs_rng_below(&g, (uint32_t)frames)] = vals[cs_rng_below(&g, 6)];
        }
        inputs in;
        inputs_default(&in);
        in.v[CS_PIN_SELECT] = (float)(b % CS_SELECT_NUM_POLICIES);
        in.v[CS_PIN_LABEL] = (b / 4) % 8 == 7 ? (float)CS_LABEL_ANY : (float)((b / 4) % 8);
        in.v[CS_PIN_GAPLESS] = (b / 500) % 2 ? 1.0f : 0.0f;
        in.v[CS_PIN_UNIT] = (b / 300) % 5 == 4 ? (float)((b * 7) % 300) : -1.0f;
        for (uint32_t i = 0; i < B; ++i)
            trig[i] = (i % 16 == 3) ? 1.0f : 0.0f;
        block(&cp, &h, table, tn, audio, frames, &in, trig, (b % 3) ? &target : NULL, B, out, uo, nx);
        for (uint32_t i = 0; i < B; ++i) {
            if (!isfinite(out[i]) || !isfinite(nx[i])) bad_out++;
            if (out[i] != 0.0f) sounding++;
            if (!(uo[i] == -1.0f || (uo[i] >= 0.0f && uo[i] < 300.0f && uo[i] == floorf(uo[i])))) bad_unit++;
        }
    }
    CS_CHECK(bad_out == 0, "written table: %zu non-finite output samples", bad_out);
    CS_CHECK(bad_unit == 0, "written table: %zu unit outputs out of range", bad_unit);
    CS_CHECK(sounding > 100000, "written table: it still plays (%zu sounding samples)", sounding);
    /* the exact write: label 0's member count := 4e9, then a trigger with label 0 */
    memcpy(table, orig, tn * sizeof(float));
    memcpy(audio, aorig, frames * sizeof(float));
    table[(size_t)cs_ut_join(table[CS_UT_H_LABELS_OFFSET_HI], table[CS_UT_H_LABELS_OFFSET_LO]) + 1] = 4e9f;
    inputs in;
    inputs_default(&in);
    in.v[CS_PIN_LABEL] = 0.0f;
    for (uint32_t i = 0; i < B; ++i)
        trig[i] = (i == 5) ? 1.0f : 0.0f;
    block(&cp, &h, table, tn, audio, frames, &in, trig, NULL, B, out, uo, nx);
    CS_CHECK(cp.player->last_status == CS_SELECT_E_LABEL_EMPTY, "count 4e9: the label reads as empty (%d)",
             cp.player->last_status);
    cs_cp_close(&cp, heap_free, &h);
    free(table), free(aorig);
    corpus_free(&c);
}

/*
 * Issue 14 item 1: a new table's rows are checked CS_CP_CHECK_BUDGET work units per block, not in one block. A
 * table of 20 000 units (rows alone about 70 budgets) plays from the first block while its LRU lists are filled
 * and its rows checked over many blocks; the number of blocks is what the budget implies. A bad row at the very
 * end is found only when the check gets there: the table plays (safely) until then and is refused from then on.
 */
static void test_bounded_check(void)
{
    corpus c;
    if (corpus_make(&c, 20000, 6, 6, 21, 0)) return;
    heap h = {1u << 30, 0, 0};
    inputs in;
    inputs_default(&in);
    float trig[64], out[64], uo[64];
    for (int i = 0; i < 64; ++i)
        trig[i] = (i == 3) ? 1.0f : 0.0f;
    for (int bad = 0; bad < 2; ++bad) {
        float *t = malloc(c.tn * sizeof *t);
        memcpy(t, c.table, c.tn * sizeof *t);
        if (bad) t[CS_UT_HEADER + (size_t)19999 * (CS_UT_ROW_FIXED + 6) + CS_UT_R_LABEL] = 99.0f;
        cs_concatplay cp;
        cs_cp_open(&cp, 8, 1, 7, 1, 48000, heap_alloc, &h);
        int state = CS_CP_OK, blocks = 0, not_ok = 0;
        double e_checking = 0, e_after = 0;
        while (cp.phase != CS_CP_PHASE_READY || blocks == 0) {
            state = block(&cp, &h, t, c.tn, c.audio, c.frames, &in, trig, NULL, 64, out, uo, NULL);
            not_ok += cp.phase != CS_CP_PHASE_READY && state != CS_CP_OK;
            for (int i = 0; cp.phase != CS_CP_PHASE_READY && i < 64; ++i)
                e_checking += (double)out[i] * (double)out[i];
            if (++blocks > 100000) break;
        }
        /* rows alone are 20000 * 14 work units: at least that many budgets of blocks */
        const int min_blocks = (int)((size_t)20000 * (CS_UT_ROW_FIXED + 6) / CS_CP_CHECK_BUDGET);
        CS_CHECK(blocks > min_blocks && blocks < 40 * min_blocks, "%s table: checked over %d blocks (>= %d)",
                 bad ? "bad" : "good", blocks, min_blocks);
        CS_CHECK(not_ok == 0 && e_checking > 0.0, "%s table: plays while it is checked (energy %g, %d blocks not ok)",
                 bad ? "bad" : "good", e_checking, not_ok);
        CS_CHECK(state == (bad ? CS_CP_BAD_TABLE : CS_CP_OK) && cp.table_err == (bad ? CS_UT_E_VALUES : CS_UT_OK),
                 "%s table: then state %d (error %d)", bad ? "bad" : "good", state, cp.table_err);
        for (int b = 0; b < 400; ++b) { /* after the release: a good table plays on, a refused one is silent */
            block(&cp, &h, t, c.tn, c.audio, c.frames, &in, trig, NULL, 64, out, uo, NULL);
            for (int i = 0; b >= 200 && i < 64; ++i)
                e_after += (double)out[i] * (double)out[i];
        }
        CS_CHECK(bad ? e_after == 0.0 : (e_after > 0.0 && cp.lru_mem != NULL && !cp.lru_failed),
                 "%s table: afterwards energy %g", bad ? "refused" : "good", e_after);
        cs_cp_close(&cp, heap_free, &h);
        free(t);
    }
    CS_CHECK(h.allocs == h.frees, "every block given back");
    corpus_free(&c);
}

/* One block of an instance that shares `sh` (the UGen's path): bind_shared with the given identity, then process. */
static int block_shared(cs_concatplay *cp, heap *h, cs_cp_shared *sh, uint64_t blk, const float *table, size_t tn,
                        int32_t bufnum, uint32_t gen, const corpus *c, const inputs *in, const float *trig, float *uo)
{
    cs_player_io io;
    const int state = cs_cp_bind_shared(cp, sh, blk, table, (uint32_t)tn, 1, bufnum, gen, c->audio, (uint32_t)c->frames,
                                        1, heap_alloc, heap_free, h, &io);
    float out[64];
    process(cp, &io, in, trig, NULL, 64, out, uo, NULL);
    return state;
}

/*
 * Issue 14 item 1: the table is checked once for every instance. The registry keys a result by the table's whole
 * identity (a new write generation or address misses, a LocalBuf is never recorded, a Buffer's new record replaces
 * its old one); an instance binding a recorded table does no row check at all and a recorded failure refuses the
 * table at once; without a record, of 16 instances only the first checks (in the blocks one instance needs) and
 * the 15 others take its result, for a good and a bad table; a generation change at the same address takes the
 * table up again; and the successor chain survives the LRU lists joining a playing table (before: the lists reset
 * the last unit, so the unit after an explicitly played one was random).
 */
static void test_shared_check(void)
{
    corpus c;
    if (corpus_make(&c, 20000, 6, 6, 23, 0)) return;
    cs_cp_shared sh;
    cs_cp_shared_init(&sh);
    int r = 99;
    const cs_cp_table_id id = {c.table, (uint32_t)c.tn, 1, 4, 7};
    cs_cp_shared_put(&sh, &id, CS_UT_OK);
    cs_cp_table_id other = id;
    other.generation = 8;
    const int hit = cs_cp_shared_get(&sh, &id, &r) && r == CS_UT_OK;
    const int gen_miss = !cs_cp_shared_get(&sh, &other, &r);
    other = id;
    other.data = c.table + 1;
    const int addr_miss = !cs_cp_shared_get(&sh, &other, &r);
    other = id;
    other.bufnum = -1;
    cs_cp_shared_put(&sh, &other, CS_UT_OK);
    const int local_never = !cs_cp_shared_get(&sh, &other, &r);
    other = id;
    other.generation = 9;
    cs_cp_shared_put(&sh, &other, CS_UT_E_VALUES);
    const int replaced = !cs_cp_shared_get(&sh, &id, &r) && cs_cp_shared_get(&sh, &other, &r) && r == CS_UT_E_VALUES;
    CS_CHECK(hit && gen_miss && addr_miss && local_never && replaced,
             "registry: hit %d, new generation misses %d, new address misses %d, LocalBuf never recorded %d, a "
             "Buffer's record replaced %d",
             hit, gen_miss, addr_miss, local_never, replaced);
    for (int i = 0; i < 40; ++i) { /* more Buffers than entries: the oldest go, the newest stay */
        const cs_cp_table_id e = {c.table, (uint32_t)c.tn, 1, 100 + i, 1};
        cs_cp_shared_put(&sh, &e, CS_UT_OK);
    }
    const cs_cp_table_id newest = {c.table, (uint32_t)c.tn, 1, 139, 1}, oldest = {c.table, (uint32_t)c.tn, 1, 100, 1};
    CS_CHECK(cs_cp_shared_get(&sh, &newest, &r) && !cs_cp_shared_get(&sh, &oldest, &r),
             "registry full: the newest record stays, the oldest goes");

    heap h = {1u << 30, 0, 0};
    inputs in;
    inputs_default(&in);
    float trig[64], uo[64];
    for (int i = 0; i < 64; ++i)
        trig[i] = i == 5 ? 1.0f : 0.0f;
    /* a table recorded as sound runs no row check: here its last row is bad, and it is never refused (the record
     * is what a check would say of the table it was made for; a /b_set since then is caught where it is used) */
    float *bad_copy = malloc(c.tn * sizeof *bad_copy);
    memcpy(bad_copy, c.table, c.tn * sizeof *bad_copy);
    bad_copy[CS_UT_HEADER + (size_t)19999 * (CS_UT_ROW_FIXED + 6) + CS_UT_R_LABEL] = 99.0f;
    cs_cp_shared_init(&sh);
    const cs_cp_table_id bad_id = {bad_copy, (uint32_t)c.tn, 1, 4, 7};
    cs_cp_shared_put(&sh, &bad_id, CS_UT_OK);
    cs_concatplay cp;
    cs_cp_open(&cp, 8, 1, 7, 1, 48000, heap_alloc, &h);
    int blocks = 0, state = 0, ready_at = 0, refused = 0;
    for (; blocks < 3000; ++blocks) {
        state = block_shared(&cp, &h, &sh, (uint64_t)blocks, bad_copy, c.tn, 4, 7, &c, &in, trig, uo);
        if (!ready_at && cp.phase == CS_CP_PHASE_READY) ready_at = blocks + 1;
        refused += state != CS_CP_OK;
    }
    CS_CHECK(ready_at == 1 && refused == 0 && sh.taken == 1,
             "a recorded table is ready after %d block(s) and runs no row check (%d blocks refused, taken %llu)",
             ready_at, refused, (unsigned long long)sh.taken);
    /* the same address, a new generation (a /b_read in place): taken up again, checked, and then refused */
    refused = 0;
    for (int i = 0; i < 3000 && !refused; ++i, ++blocks)
        refused =
            block_shared(&cp, &h, &sh, (uint64_t)blocks, bad_copy, c.tn, 4, 8, &c, &in, trig, uo) == CS_CP_BAD_TABLE;
    CS_CHECK(refused && cp.table_err == CS_UT_E_VALUES,
             "a new generation at the same address is taken up again, checked and refused");
    cs_cp_close(&cp, heap_free, &h);
    free(bad_copy);
    /* a recorded failure: refused at once */
    cs_cp_shared_init(&sh);
    cs_cp_shared_put(&sh, &id, CS_UT_E_VALUES);
    cs_cp_open(&cp, 8, 1, 7, 1, 48000, heap_alloc, &h);
    state = block_shared(&cp, &h, &sh, 0, c.table, c.tn, 4, 7, &c, &in, trig, uo);
    CS_CHECK(state == CS_CP_BAD_TABLE && cp.table_err == CS_UT_E_VALUES && cp.lru_mem == NULL,
             "a recorded failure refuses the table in the first block");
    cs_cp_close(&cp, heap_free, &h);

    /* no record: 16 instances, one checks, the others take the result; a good and a bad table */
    for (int bad = 0; bad < 2; ++bad) {
        float *t = malloc(c.tn * sizeof *t);
        memcpy(t, c.table, c.tn * sizeof *t);
        if (bad) t[CS_UT_HEADER + (size_t)19999 * (CS_UT_ROW_FIXED + 6) + CS_UT_R_LABEL] = 99.0f;
        cs_concatplay many[16];
        for (int i = 0; i < 16; ++i)
            cs_cp_open(&many[i], 8, (float)i, 7, 1, 48000, heap_alloc, &h);
        cs_cp_shared_init(&sh);
        int ready = 0, nb = 0, states_ok = 1;
        for (; nb < 100000 && ready < 16; ++nb) {
            ready = 0;
            for (int i = 0; i < 16; ++i) {
                const int st = block_shared(&many[i], &h, &sh, (uint64_t)nb, t, c.tn, 5, 1, &c, &in, trig, uo);
                ready += many[i].phase == CS_CP_PHASE_READY;
                if (many[i].phase == CS_CP_PHASE_READY && st != (bad ? CS_CP_BAD_TABLE : CS_CP_OK)) states_ok = 0;
            }
        }
        /* one instance alone, own budget: the blocks its check takes */
        cs_cp_open(&cp, 8, 1, 7, 1, 48000, heap_alloc, &h);
        int alone = 0;
        while (alone < 100000 && (alone == 0 || cp.phase != CS_CP_PHASE_READY)) {
            block(&cp, &h, t, c.tn, c.audio, c.frames, &in, trig, NULL, 64, uo + 0, uo, NULL);
            alone++;
        }
        cs_cp_close(&cp, heap_free, &h);
        CS_CHECK(ready == 16 && states_ok && sh.taken == 15 && nb <= alone + 20,
                 "%s table, 16 instances sharing: all ready after %d blocks (one alone: %d), %llu results taken over",
                 bad ? "bad" : "good", nb, alone, (unsigned long long)sh.taken);
        for (int i = 0; i < 16; ++i)
            cs_cp_close(&many[i], heap_free, &h);
        free(t);
    }

    /* successor after an explicit unit, while the LRU lists join: instance B's lists come a block after A's */
    cs_cp_shared_init(&sh);
    cs_cp_shared_put(&sh, &id, CS_UT_OK);
    cs_concatplay a, b;
    cs_cp_open(&a, 8, 1, 7, 1, 48000, heap_alloc, &h);
    cs_cp_open(&b, 8, 2, 7, 1, 48000, heap_alloc, &h);
    inputs first = in, next = in;
    first.v[CS_PIN_UNIT] = 100.0f; /* unit 100 explicitly */
    next.v[CS_PIN_SELECT] = (float)CS_SELECT_SUCCESSOR;
    block_shared(&a, &h, &sh, 0, c.table, c.tn, 4, 7, &c, &first, trig, uo);
    cs_cp_shared_take(&sh, 0, 0, (size_t)-1); /* as if other instances had taken this block's LRU budget */
    block_shared(&b, &h, &sh, 0, c.table, c.tn, 4, 7, &c, &first, trig, uo);
    const int b_waited = b.phase == CS_CP_PHASE_LRU && uo[63] == 100.0f;
    block_shared(&a, &h, &sh, 1, c.table, c.tn, 4, 7, &c, &next, trig, uo);
    block_shared(&b, &h, &sh, 1, c.table, c.tn, 4, 7, &c, &next, trig, uo);
    CS_CHECK(b_waited && b.phase == CS_CP_PHASE_READY && uo[63] == 101.0f,
             "successor of unit 100 after the LRU lists joined: %g (B waited for its lists: %d)", (double)uo[63],
             b_waited);
    cs_cp_close(&a, heap_free, &h);
    cs_cp_close(&b, heap_free, &h);
    CS_CHECK(h.allocs == h.frees, "every block given back");
    corpus_free(&c);
}

int main(void)
{
    test_open_and_bind();
    test_bounded_check();
    test_shared_check();
    test_label_contract();
    test_written_table();
    CS_TEST_END();
}
