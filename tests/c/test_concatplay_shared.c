/*
 * test_concatplay_shared.c - the table-check registry and block budget that ConcatPlay's instances share
 * (cs_cp_shared, cs_concatplay.h) used from several threads at once, as supernova's parallel groups and the plugin
 * command's stage 3 would: NTHREADS threads hammer one registry with records of more Buffers than it holds, and
 * every record a reader finds carries the result written with exactly that identity (a torn record, the identity
 * of one write and the result of another, is counted); then the threads draw from the budget of each of NBLOCKS
 * blocks together (a barrier between blocks, as a server finishes a block before the next) and no block gives out
 * more than its budget, nearly every block all of it. Before the atomics (plain fields, a read-modify-write budget)
 * the plain build failed 1 run in 5 on the 2-core test machine (blocks that gave out more), the ThreadSanitizer
 * build (test_concatplay_shared_tsan, tests/CMakeLists.txt) every run (torn records, over-spent blocks and 13
 * race reports).
 */
#include "cs_concatplay.h"
#include "cs_test.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#define NTHREADS 4
#ifndef NITER
#define NITER 1000000 /* the ThreadSanitizer build (tests/CMakeLists.txt) runs fewer */
#endif
#define NBUFS   48 /* more than CS_CP_SHARED_TABLES: records are evicted while others read them */
#define NGENS   5
#define NBLOCKS 2000

static cs_cp_shared reg;
static const float fake_tables[NBUFS]; /* addresses only, never read */
static pthread_barrier_t barrier;

/* The identity of (Buffer b, generation g), and the result written with it. */
static cs_cp_table_id make_id(uint32_t b, uint32_t g)
{
    cs_cp_table_id id = {&fake_tables[b], 1000u + 7u * b + g, 1, (int32_t)b, g};
    return id;
}

static int expected_result(uint32_t b, uint32_t g)
{
    return -(int)((b * 31u + g * 7u) % 17u);
}

typedef struct worker {
    uint64_t seed, found, torn;
    size_t drawn[NBLOCKS];
} worker;

static uint32_t next_rand(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(*s >> 33);
}

static void *hammer_registry(void *arg)
{
    worker *w = arg;
    pthread_barrier_wait(&barrier); /* all at once */
    for (int i = 0; i < NITER; ++i) {
        const uint32_t b = next_rand(&w->seed) % NBUFS, g = next_rand(&w->seed) % NGENS;
        const cs_cp_table_id id = make_id(b, g);
        if (next_rand(&w->seed) % 3u == 0) {
            cs_cp_shared_put(&reg, &id, expected_result(b, g));
        } else {
            int r = 1;
            if (cs_cp_shared_get(&reg, &id, &r)) {
                w->found++;
                if (r != expected_result(b, g)) w->torn++;
            }
        }
    }
    return NULL;
}

static void *hammer_budget(void *arg)
{
    worker *w = arg;
    for (uint64_t blk = 0; blk < NBLOCKS; ++blk) {
        pthread_barrier_wait(&barrier);
        size_t got, sum = 0;
        while ((got = cs_cp_shared_take(&reg, blk, 1, 1 + next_rand(&w->seed) % 97u)) > 0)
            sum += got;
        w->drawn[blk] = sum;
        pthread_barrier_wait(&barrier);
    }
    return NULL;
}

static void run(void *(*fn)(void *), worker *w)
{
    pthread_t t[NTHREADS];
    for (int i = 0; i < NTHREADS; ++i)
        pthread_create(&t[i], NULL, fn, &w[i]);
    for (int i = 0; i < NTHREADS; ++i)
        pthread_join(t[i], NULL);
}

int main(void)
{
    static worker w[NTHREADS];
    for (int i = 0; i < NTHREADS; ++i)
        w[i].seed = 0x9e3779b97f4a7c15ULL * (uint64_t)(i + 1);
    cs_cp_shared_init(&reg);
    pthread_barrier_init(&barrier, NULL, NTHREADS);
    run(hammer_registry, w);
    uint64_t found = 0, torn = 0;
    for (int i = 0; i < NTHREADS; ++i)
        found += w[i].found, torn += w[i].torn;
    CS_CHECK(found > 1000 && torn == 0, "%d threads, %d Buffers x %d generations: %llu records found, %llu torn",
             NTHREADS, NBUFS, NGENS, (unsigned long long)found, (unsigned long long)torn);

    /* single-threaded semantics kept: a record put is found with its result, a new generation misses */
    const cs_cp_table_id id = make_id(3, 1), other = make_id(3, 2);
    cs_cp_shared_put(&reg, &id, -5);
    int r = 0;
    CS_CHECK(cs_cp_shared_get(&reg, &id, &r) && r == -5 && !cs_cp_shared_get(&reg, &other, &r),
             "after the threads: a record put is found, another generation of its Buffer is not");

    cs_cp_shared_init(&reg);
    run(hammer_budget, w);
    pthread_barrier_destroy(&barrier);
    int over = 0, exact = 0;
    for (int blk = 0; blk < NBLOCKS; ++blk) {
        size_t sum = 0;
        for (int i = 0; i < NTHREADS; ++i)
            sum += w[i].drawn[blk];
        over += sum > CS_CP_SHARED_BUDGET;
        exact += sum == CS_CP_SHARED_BUDGET;
    }
    CS_CHECK(over == 0 && exact >= NBLOCKS * 9 / 10,
             "%d threads drawing from %d blocks' budgets of %d: %d blocks gave out more, %d exactly the budget",
             NTHREADS, NBLOCKS, CS_CP_SHARED_BUDGET, over, exact);
    CS_TEST_END();
}
