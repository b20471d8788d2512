/*
 * bench_concatplay_bind.c - the worst audio block while ConcatPlay takes up a new, large unit table (issue 14
 * item 1): a 1-million-unit table (26 descriptors, as the default bundles have; 64 labels; the k-d tree index of
 * `concatseq analyze`, leaf CS_INDEX_DEFAULT_LEAF), bound by 16 instances in the same block, each running the
 * UGen's per-block calls (cs_cp_bind, cs_cp_target, cs_player_process; 64 samples at 48 kHz, a trigger every
 * block; they play from the first block) until every instance has filled its LRU lists and checked the table,
 * then 200 blocks more. Each block is timed over all 16 instances together,
 * as the server's block is, in thread CPU time (the machine may be shared). Printed: the worst block and the 99.9th
 * percentile in microseconds and as a ratio to a 64-sample block at 48 kHz (1333 us; target <= 0.10), the number of
 * blocks (and seconds of audio) until every instance plays, and, in the same run, what the one-block validation before
 * this change cost: cs_ut_parse with the full row check plus cs_select_lru_init, for one instance and times 16. usage:
 * bench_concatplay_bind [units] [instances] [mode]
 *
 * mode (issue 14 item 1): `own` = cs_cp_bind, every instance checks the table itself with its own budget (the
 * UGen before the shared registry); `shared` = cs_cp_bind_shared, nobody sent the check command: the instances share
 * one block budget and the first one's check result (a raw Buffer); `command` = the default: the table was checked
 * once off the audio thread (what `/cmd concatseqCheck` does in its NRT stage; its time is printed, it is not part
 * of any block) and recorded in the registry, so the instances only fill their LRU lists. The mean block is printed
 * too. A fifth argument `idle` gives no triggers (the voices stay silent), so that the blocks hold the table work
 * alone, without the grains' own cost (which the 200 blocks after the work show).
 */
#include "cs_concatplay.h"
#include "cs_index.h"
#include "cs_rng.h"
#include "cs_select.h"
#include "cs_unit_table.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define D      26
#define K      64
#define BLOCK  64
#define RATE   48000.0
#define MAXINS 64

/* Thread CPU time: the work of the block, without the time the (shared, loaded) machine gave to other
 * processes; the wall time of a preempted block says nothing about the code. */
static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec * 1e-3;
}

/* The host's real-time pool, as scsynth's: allocated and touched before the run (so that its page faults are not
 * counted in a block), a bump allocator; free gives nothing back (the run is short). */
typedef struct pool {
    unsigned char *mem;
    size_t size, used;
} pool;

static void *bench_alloc(void *user, size_t bytes)
{
    pool *p = (pool *)user;
    const size_t b = (bytes + 63) & ~(size_t)63;
    if (p->size - p->used < b) return NULL;
    void *r = p->mem + p->used;
    p->used += b;
    return r;
}

static void bench_free(void *user, void *ptr)
{
    (void)user, (void)ptr;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The table: units of 16 frames every 8 frames (short, so the audio stays small), random labels and
 * descriptors, with its index. Returns the table (tn floats) or NULL. */
static float *make_table(uint32_t n, size_t *tn, uint64_t *frames)
{
    cs_rng g;
    cs_rng_seed(&g, 14);
    uint64_t *st = malloc(n * sizeof *st), *ln = malloc(n * sizeof *ln);
    int32_t *lab = malloc(n * sizeof *lab), *src = calloc(n, sizeof *src), *succ = malloc(n * sizeof *succ);
    float *desc = malloc((size_t)n * D * sizeof *desc);
    const size_t bn = cs_ut_size(n, D, K);
    float *base = malloc(bn * sizeof *base), *table = NULL;
    if (!st || !ln || !lab || !src || !succ || !desc || !base) goto done;
    for (uint32_t u = 0; u < n; ++u) {
        st[u] = (uint64_t)u * 8;
        ln[u] = 16;
        lab[u] = (int32_t)cs_rng_below(&g, K);
        succ[u] = u + 1 < n ? (int32_t)u + 1 : -1;
        for (uint32_t j = 0; j < D; ++j)
            desc[(size_t)u * D + j] = (float)cs_rng_normal(&g);
    }
    *frames = (uint64_t)n * 8 + 8;
    cs_ut_view v;
    if (cs_ut_encode(base, n, D, K, 1, -1, RATE, 1, *frames, st, ln, lab, src, succ, desc) != CS_UT_OK ||
        cs_ut_parse(base, bn, 0, &v) != CS_UT_OK)
        goto done;
    *tn = cs_index_table_size(&v, CS_INDEX_DEFAULT_LEAF);
    table = *tn ? malloc(*tn * sizeof *table) : NULL;
    if (table && cs_index_build(&v, CS_INDEX_DEFAULT_LEAF, table, *tn) != 0) {
        free(table);
        table = NULL;
    }
done:
    free(st), free(ln), free(lab), free(src), free(succ), free(desc), free(base);
    return table;
}

int main(int argc, char **argv)
{
    const uint32_t n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 1000000u;
    int ins = argc > 2 ? atoi(argv[2]) : 16;
    if (ins < 1 || ins > MAXINS) ins = 16;
    const char *mode = argc > 3 ? argv[3] : "command";
    const int own = strcmp(mode, "own") == 0, command = strcmp(mode, "command") == 0;
    if (!own && !command && strcmp(mode, "shared") != 0) {
        fprintf(stderr, "bench_concatplay_bind: mode must be own, shared or command, not '%s'\n", mode);
        return 2;
    }
    size_t tn = 0;
    uint64_t frames = 0;
    float *table = make_table(n, &tn, &frames);
    float *audio = malloc(frames * sizeof *audio);
    if (!table || !audio) {
        fprintf(stderr, "bench_concatplay_bind: could not build a %u-unit table\n", n);
        return 1;
    }
    for (uint64_t i = 0; i < frames; ++i)
        audio[i] = (float)sin(0.01 * (double)i) * 0.5f;

    /* before: the one-block validation of every instance (full row check + LRU lists) */
    cs_ut_view v;
    const size_t lru_need = cs_select_lru_size(n, K);
    void *lru_mem = malloc(lru_need);
    double t0 = now_us();
    const int pe = cs_ut_parse(table, tn, 1, &v);
    const int lok = cs_select_lru_init(lru_mem, lru_need, &v) != NULL;
    const double before = now_us() - t0;
    free(lru_mem);
    if (pe != CS_UT_OK || !lok) {
        fprintf(stderr, "bench_concatplay_bind: the table does not validate (%s)\n", cs_ut_strerror(pe));
        return 1;
    }

    /* after: ins instances, the UGen's per-block calls, each block timed over all of them */
    pool rt = {NULL, (size_t)ins * (lru_need + ((size_t)1 << 20)), 0};
    rt.mem = aligned_alloc(64, rt.size);
    if (!rt.mem) return 1;
    memset(rt.mem, 0, rt.size);
    static cs_cp_shared shared;
    cs_cp_shared_init(&shared);
    const int32_t bufnum = 3;
    const uint32_t generation = 2;
    double command_us = 0;
    if (command) { /* the plugin command's NRT stage: the full check, once, off the audio thread */
        cs_ut_view cv;
        const double c0 = now_us();
        const int r = cs_ut_parse(table, tn, 1, &cv);
        command_us = now_us() - c0;
        const cs_cp_table_id id = {table, (uint32_t)tn, 1, bufnum, generation};
        cs_cp_shared_put(&shared, &id, r);
    }
    static cs_concatplay cp[MAXINS];
    for (int i = 0; i < ins; ++i)
        if (cs_cp_open(&cp[i], 8, (float)(i + 1), 7, 1, RATE, bench_alloc, &rt) != CS_CP_OPEN_OK) return 1;
    float trig[BLOCK], out[BLOCK], uo[BLOCK], nx[BLOCK], zero = 0.0f, one = 1.0f, any = -2.0f, none = -1.0f,
                                                         dur = 0.01f;
    const int idle = argc > 4 && strcmp(argv[4], "idle") == 0;
    for (int i = 0; i < BLOCK; ++i)
        trig[i] = (i == 0 && !idle) ? 1.0f : 0.0f;
    const size_t max_blocks = 2000000;
    double *bt = malloc(max_blocks * sizeof *bt);
    size_t nb = 0, ready_at = 0;
    for (; nb < max_blocks; ++nb) {
        const double b0 = now_us();
        int ok = 0;
        for (int i = 0; i < ins; ++i) {
            cs_player_io io;
            if (own)
                cs_cp_bind(&cp[i], table, (uint32_t)tn, 1, audio, (uint32_t)frames, 1, bench_alloc, bench_free, &rt,
                           &io);
            else
                cs_cp_bind_shared(&cp[i], &shared, nb, table, (uint32_t)tn, 1, bufnum, generation, audio,
                                  (uint32_t)frames, 1, bench_alloc, bench_free, &rt, &io);
            cs_select_target t;
            const int has = cs_cp_target(&t, NULL, 0, 0.0f, NULL, 0);
            for (int k = 0; k < CS_PLAYER_NUM_INPUTS; ++k) {
                io.in[k] = &zero;
                io.step[k] = 0;
            }
            io.in[CS_PIN_TRIG] = trig;
            io.step[CS_PIN_TRIG] = 1;
            io.in[CS_PIN_LABEL] = &any;
            io.in[CS_PIN_UNIT] = &none;
            io.in[CS_PIN_RATE] = &one;
            io.in[CS_PIN_AMP] = &one;
            io.in[CS_PIN_DUR] = &dur;
            float *outs[1] = {out};
            io.out = outs;
            io.unit_out = uo;
            io.next_out = nx;
            io.target = has ? &t : NULL;
            cs_player_process(cp[i].player, &io, BLOCK);
            ok += cp[i].phase == CS_CP_PHASE_READY;
        }
        bt[nb] = now_us() - b0;
        if (ok == ins && ready_at == 0) ready_at = nb + 1;
        if (ready_at && nb + 1 >= ready_at + 200) {
            nb++;
            break;
        }
    }
    double worst = 0, mean = 0;
    for (size_t i = 0; i < nb; ++i) {
        mean += bt[i] / (double)nb;
        if (bt[i] > worst) worst = bt[i];
        if (getenv("CS_BENCH_TRACE") && i % 1000 == 0) { /* the mean and worst of each 1000 blocks */
            double m = 0, w = 0;
            for (size_t j = i; j < i + 1000 && j < nb; ++j)
                m += bt[j], w = bt[j] > w ? bt[j] : w;
            fprintf(stderr, "blocks %zu..: mean %.1f us, worst %.1f us\n", i, m / 1000.0, w);
        }
    }
    double worst_after = 0, mean_after = 0; /* the 200 blocks after the work: the player alone, the same triggers */
    for (size_t i = ready_at; i < nb; ++i) {
        mean_after += bt[i] / (double)(nb - ready_at);
        if (bt[i] > worst_after) worst_after = bt[i];
    }
    qsort(bt, nb, sizeof *bt, cmp_double);
    const double p999 = bt[(size_t)((double)(nb - 1) * 0.999)], block_us = BLOCK / RATE * 1e6;
    printf("table: %u units, %d descriptors, %d labels, %zu floats (with index); %d instances; mode %s; budget %d "
           "work units per block and instance (own) or %d per block for all (shared, command); %s\n",
           n, D, K, tn, ins, mode, CS_CP_CHECK_BUDGET, CS_CP_SHARED_BUDGET,
           idle ? "no triggers" : "a trigger per block and instance");
    if (command)
        printf("command: the full check off the audio thread took %.1f us (%.1f blocks of audio; not in any block)\n",
               command_us, command_us / block_us);
    printf("after:  worst block %.1f us = %.4f of a %d-sample block (%.0f us; target <= 0.10), 99.9th pct %.1f us "
           "= %.4f, mean %.1f us = %.4f; every instance done after %zu blocks (%.2f s of audio); %llu results taken "
           "from the registry\n",
           worst, worst / block_us, BLOCK, block_us, p999, p999 / block_us, mean, mean / block_us, ready_at,
           (double)ready_at * BLOCK / RATE, (unsigned long long)shared.taken);
    printf("        the player alone (the 200 blocks after the work): worst %.1f us = %.4f, mean %.1f us = %.4f\n",
           worst_after, worst_after / block_us, mean_after, mean_after / block_us);
    printf("before: one-block validation %.1f us per instance = %.1f blocks; x %d instances = %.1f us = %.1f blocks\n",
           before, before / block_us, ins, before * ins, before * ins / block_us);
    for (int i = 0; i < ins; ++i)
        cs_cp_close(&cp[i], bench_free, &rt);
    free(bt), free(table), free(audio), free(rt.mem);
    return ready_at ? 0 : 1;
}
