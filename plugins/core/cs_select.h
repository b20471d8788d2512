/*
 * cs_select.h - choosing the unit to play from a corpus unit table (see cs_unit_table.h, BUNDLE.md).
 *
 * Policies (enum cs_select_policy), each restricted to the units of one label (label < 0 = any unit):
 *   RANDOM     uniform over the label's members, O(1): members[first + rand(count)] (cs_rng.h).
 *   SUCCESSOR  the original successor of the last unit played when it has the label, else RANDOM. O(1).
 *              Over a gapless chain this replays the corpus's own order wherever the label sequence allows.
 *   LRU        the least recently used unit of the label: every label keeps its never-used members first, in
 *              unit order, then its used members ordered by last use; playing a unit, by any policy or by
 *              explicit index, moves it to the end. The never-used members are a bitmap with a summary level
 *              (the first one is found in O(num_units / 4096) word reads at worst, O(1) typically), the used ones
 *              a doubly linked list written as units are first used, so the lists are ready after
 *              O(num_units / 64 + num_labels) work instead of a pass over every member (issue 14). A touch is
 *              O(log count_label) (the unit's member position, by binary search). For label < 0 the label whose
 *              least recently used member is the oldest is taken (O(num_labels)). The lists live in caller
 *              memory sized by cs_select_lru_size() (16 bytes and 1/8 + 1/512 byte per unit, 12 per label and a
 *              header), laid out from the table by cs_select_lru_init().
 *   NEAREST    the unit whose normalised descriptors are nearest (squared Euclidean distance over the given
 *              dimensions, in float, by one kernel shared by every path: pair i's squared difference into lane
 *              i % 8, lanes summed in a fixed tree; portable C or AVX2 chosen at run time, bitwise equal) to a
 *              target; ties go to the lower unit index. With a table that carries the index (built offline by
 *              `concatseq analyze`; see cs_unit_table.h and BUNDLE.md "Index") it runs a priority search of k-d
 *              trees of bounding boxes (nearest leaf first, then the queued node of the smallest box bound; of two
 *              equal bounds, the box whose centre is nearer), whose leaves are contiguous descriptor rows, in index
 *              version 4 and 5 blocks of 8 rows stored column by column (one pass over the pairs gives 8 distances,
 *              the kernel's 8 lanes being 8 accumulators, with an exit once the partial sums of all 8 exceed the best
 *              distance; version 3 tables, row by row, are searched one row at a time, with the same answers; the
 *              split dimension of version 5, node field 3, is not read: its incremental bound was measured slower,
 *              see tests/bench/bench_select.c): the label's tree, or for label < 0 every label's tree at once (each
 *              root queued at its box bound, one queue of 512 entries and one budget; a full queue drops its
 *              farthest entry; the queue ordered by box bound + 0.1 x the box centre's squared distance, each entry
 *              still pruned by its bound). The search stops when no queued box can hold a nearer unit - then the
 *              answer is exact, the same unit as the exhaustive scan bit for bit, for any subset of dimensions,
 *              unless a queue entry no farther than the answer was dropped - or when its work budget
 *              (CS_SELECT_NEAREST_BUDGET, CS_SELECT_NEAREST_BUDGET_ALL for label < 0) runs out: then the nearest unit
 *              found so far is returned (approximate beyond the budget; cs_select_nearest_budget says which). For
 *              label < 0 the roots' bounds are part of the budget, at most half of it: with more than 512 labels
 *              some labels are left out and the answer is approximate. Measured (tests/bench/run_select.sh, 1000
 *              queries, two runs): the budgeted answer is the exact one on 100 % of queries on the lincity-ng corpus
 *              (17 375 grains, full and 3-descriptor targets) and on k-means labels of a synthetic 100k x 24 corpus,
 *              94.7 % on its skewed 25 000-unit label (42 % for 3-descriptor targets: a tree split over 24
 *              dimensions prunes poorly on 3). Without a label: 98.6 % on lincity-ng (70 % for 3 descriptors), 99.2 %
 *              on the synthetic corpus (36 % for 3 descriptors).
 * Without an index it scans the label's members (every unit's row for label < 0) under the same budget, so every
 * NEAREST query has the same worst case, O(CS_SELECT_NEAREST_BUDGET * dims), on any table and any label.
 * Nothing is allocated; the stack is fixed (about 11 KB, most of it the queue). Every function here is real-time safe:
 * no allocation, no I/O, no locks; the costs are stated per function. Random choices use cs_rng (seeded: same seed,
 * same choices).
 */
#ifndef CS_SELECT_H
#define CS_SELECT_H

#include "cs_label.h"
#include "cs_rng.h"
#include "cs_unit_table.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The policies, defined once: X(ID, name, summary). The row's position is the policy's number (the value of
 * ConcatPlay's `select` input); `name` is its sclang Symbol (ConcatSeqFormat.selectPolicies, generated from this
 * table by corpus-tools/gen/cs_gen_sclang.c). Adding a policy = one row here and its pick function in
 * cs_select.c's table (in the same order); the player clamps `select` to the table and the classes read the
 * names from ConcatSeqFormat.
 */
#define CS_SELECT_POLICY_TABLE(X)                                                                                      \
    X(RANDOM, random, "uniform over the label's members")                                                              \
    X(SUCCESSOR, successor, "the original successor of the last unit played when it has the label, else random")       \
    X(LRU, lru, "the least recently used unit of the label (never-used units first, in unit order)")                   \
    X(NEAREST, nearest, "the unit of the label nearest to the descriptor target, else random")

/** Selection policies, the values of ConcatPlay's `select` input (CS_SELECT_RANDOM = 0, ...). */
enum cs_select_policy {
#define CS_SELECT_ENUM_(id, name, summary) CS_SELECT_##id,
    CS_SELECT_POLICY_TABLE(CS_SELECT_ENUM_)
#undef CS_SELECT_ENUM_
        CS_SELECT_NUM_POLICIES
};

/** Why no unit was chosen (negative), or CS_SELECT_OK (CS_SELECT_REST: nothing asked for; not an error). */
enum cs_select_status {
    CS_SELECT_OK = 0,
    CS_SELECT_REST = 1,           /* label CS_LABEL_NONE: nothing plays, by request */
    CS_SELECT_E_LABEL_RANGE = -1, /* label >= num_labels, or not a finite number */
    CS_SELECT_E_LABEL_EMPTY = -2, /* the label has no units */
    CS_SELECT_E_UNIT_RANGE = -3,  /* an explicit unit index >= num_units or not finite */
    CS_SELECT_E_NO_TABLE = -4,    /* no valid unit table */
    CS_SELECT_E_TABLE_DATA = -5   /* the table's data no longer hold a valid unit (written since validation) */
};

/**
 * The work budgets of one NEAREST query (the single source of truth; ConcatPlay and `concatseq mosaic` use them
 * through cs_select_nearest): CS_SELECT_NEAREST_BUDGET with a label, CS_SELECT_NEAREST_BUDGET_ALL for label < 0.
 * Work units are row distances; every operation is charged at its cost measured in row distances (the cost fit of
 * tests/bench/bench_select.c, a least-squares fit of per-query times to the operations counted by
 * cs_select_nearest_info): CS_SELECT_WORK_* below. The work is counted from the first distance (before it the
 * first descent may spend up to 64 levels more; a valid tree has at most 25), so a search spends at most its budget
 * + CS_SELECT_NEAREST_SLACK work units: its time is bounded by construction (a work unit cost 2.5-4.7 ns at 24
 * descriptors in the fits, at loads 2.5-4.5 on the benchmark's 2 shared cores; below: the measured times).
 * Measured (tests/bench/run_select.sh build 1000, two runs at load 4-5 on 2 cores, best of 3 runs per query, thread
 * CPU time, beside main 199a42b's search on its own index version 4 and at its own budget in the same run): median /
 * worst query 5.9 / 12-14 us on k-means labels of the 100k x 24 corpus (199a42b 6.7 / 16-20), 7.4-7.6 / 16-18 us on
 * its skewed label (9.8-10.2 / 22-26), 4.0-4.2 / 13-14.5 us on lincity-ng with labels (4.0-4.1 / 16-19); without a
 * label, where the budget is larger, 10.1-10.2 / 27-28 us on the synthetic corpus (12.2 / 29-191) and 10.8-11.9 /
 * 21-27 us on lincity-ng (11.2-12.2 / 22-26). Three more runs at load 0.6-1.0 on the merged code (median / p99 /
 * worst): k-means labels 6.7-8.3 / 13.3-14.5 / 15.2-16.3 us, lincity-ng with labels 4.5-5.1 / 13.3-14.1 / 14.7-16.2,
 * the skewed label 7.5-11.3 / 13.6-15.6 / 16.9-29.2 (one query of a run), label < 0 12.0-14.6 / 20.5-22.3 / 24.4-29.8
 * (synthetic) and 12.3-16.5 / 21.0-22.1 / 26.8-37.7 (lincity-ng). One query stays well inside a 64-sample block at
 * 48 kHz (1333 us); the worst query is <= 20 us with a label in most runs but not in every run (single queries of
 * the skewed label reach 22-29 us on this shared machine), and not without a label: there the larger budget buys
 * recall (at 3072 the budgeted
 * answer is the exact one on 95.9 % of lincity-ng queries and 98.1 % of the synthetic ones, with a worst query of
 * 18.7 and 19.8 us in a run at load 1-1.6; at 4096 on 98.6 % and 99.2 %: bench_select's "recall by budget" line).
 */
#define CS_SELECT_WORK_ROW           1 /* a unit of a leaf scanned (its lane of an 8-row block) */
#define CS_SELECT_WORK_LEVEL         14 /* a descent level: two children's box bounds, the nodes read, the farther queued */
#define CS_SELECT_WORK_POP           9  /* a queue pop */
#define CS_SELECT_WORK_ROOT          12 /* a label's root queued at its box bound (label < 0) */
#define CS_SELECT_WORK_DROP          128 /* an entry dropped from a full queue (estimated: the bench's queues never fill) */
#define CS_SELECT_NEAREST_BUDGET     3072
#define CS_SELECT_NEAREST_BUDGET_ALL 4096
/* Work past the budget at most: 64 levels before the first distance, then one step (a level, a drop and a pop). */
#define CS_SELECT_NEAREST_SLACK                                                                                        \
    (64 * CS_SELECT_WORK_LEVEL + CS_SELECT_WORK_LEVEL + CS_SELECT_WORK_DROP + CS_SELECT_WORK_POP)

/** The budget cs_select_nearest uses for `label`: CS_SELECT_NEAREST_BUDGET, or CS_SELECT_NEAREST_BUDGET_ALL for
 *  label < 0 (every label). O(1), RT-safe. */
static inline uint32_t cs_select_nearest_default_budget(int32_t label)
{
    return label < 0 ? CS_SELECT_NEAREST_BUDGET_ALL : CS_SELECT_NEAREST_BUDGET;
}

/** Maximum number of (dimension, value) pairs in a descriptor target given as inputs. */
#define CS_SELECT_MAX_TARGET_DIMS 32

/**
 * A descriptor target for NEAREST: either `num_dims` explicit (dimension index, normalised value) pairs, or,
 * when `full` is non-NULL, a full vector of `full_len` normalised values (compared over
 * min(full_len, num_descriptors) dimensions; a NaN entry skips that dimension). Dimensions outside the table
 * are ignored; at most 64 dimensions are compared. Values are z-scores, as in the unit table (raw = value * scale +
 * center, see corpus.json).
 */
typedef struct cs_select_target {
    uint32_t num_dims;
    uint32_t dim[CS_SELECT_MAX_TARGET_DIMS];
    float value[CS_SELECT_MAX_TARGET_DIMS];
    const float *full;
    uint32_t full_len;
} cs_select_target;

/** Opaque LRU lists; placed in caller memory by cs_select_lru_init. */
typedef struct cs_select_lru cs_select_lru;

/** Bytes cs_select_lru_init needs for a table of these counts (0 if the counts are 0 or absurd). */
size_t cs_select_lru_size(uint32_t num_units, uint32_t num_labels);

/**
 * Lay out LRU lists for `view` in `mem` (size bytes, at least cs_select_lru_size(view->num_units,
 * view->num_labels), aligned for uint64_t). Every label's list starts in member (= unit) order.
 * O(num_units / 64 + num_labels), no allocation: real-time safe, but call it when a table changes, not per trigger.
 * Returns the lists, or NULL if mem is too small or the view is NULL.
 */
cs_select_lru *cs_select_lru_init(void *mem, size_t size, const cs_ut_view *view);

/**
 * cs_select_lru_init in bounded steps, for the audio thread: cs_select_lru_begin lays the lists out in `mem`
 * (same contract as cs_select_lru_init, O(1), nothing filled yet: until cs_select_lru_fill returned 1 the lists
 * act as absent: LRU picks at random and touches are ignored), then cs_select_lru_fill writes about `budget` words
 * (at least one) per call and returns 1 when the lists are complete (then exactly what cs_select_lru_init gives),
 * 0 while work remains; num_units / 64 + num_units / 4096 + num_labels words in all. O(budget) per call, no
 * allocation: real-time safe.
 */
cs_select_lru *cs_select_lru_begin(void *mem, size_t size, const cs_ut_view *view);
int cs_select_lru_fill(cs_select_lru *lru, const cs_ut_view *view, size_t budget);

/** Words cs_select_lru_fill still has to write before the lists are complete (0 when they are; a fill with at
 *  least this budget completes them). O(1). */
size_t cs_select_lru_fill_left(const cs_select_lru *lru);

/** Mark unit u as just played (moves it to the end of its label's order). O(log count_label); ignored for u >=
 *  num_units, before the lists are filled, or when u is not among its label's members. */
void cs_select_lru_touch(cs_select_lru *lru, const cs_ut_view *view, uint32_t u);

/** Selection state: the generator and the last unit played (for SUCCESSOR). Plain data, no pointers owned. */
typedef struct cs_select_state {
    cs_rng rng;
    int32_t last_unit; /* -1: none yet */
} cs_select_state;

/** Seed the state and forget the last unit. RT-safe, O(1). */
void cs_select_init(cs_select_state *s, uint64_t seed);

/**
 * Choose a unit of `label` (label < 0: any unit; label must be integral - the caller rounds) by `policy`
 * (out-of-range policies act as RANDOM; the policies: CS_SELECT_POLICY_TABLE). `lru` may be NULL (LRU then acts as
 * RANDOM); `target` may be NULL (NEAREST then acts as RANDOM). On success stores the unit in *unit, records it as the
 * last unit and touches the LRU lists, and returns CS_SELECT_OK; else returns a cs_select_status and leaves the state
 * unchanged. The chosen unit always has the requested label in a validated table; if the Buffer was written since,
 * every value read is range-checked here, so the unit is a valid index (< num_units) or the call returns
 * CS_SELECT_E_TABLE_DATA. RT-safe: O(1) except NEAREST (O(CS_SELECT_NEAREST_BUDGET * dims), with or without a
 * label) and LRU with label < 0 (O(num_labels)).
 */
int cs_select_pick(cs_select_state *s, const cs_ut_view *view, cs_select_lru *lru, int32_t label, int policy,
                   const cs_select_target *target, uint32_t *unit);

/**
 * Record an explicitly chosen unit u (< num_units) as played: sets last_unit and touches the LRU lists.
 * RT-safe, O(1).
 */
void cs_select_played(cs_select_state *s, const cs_ut_view *view, cs_select_lru *lru, uint32_t u);

/** What a NEAREST search did (cs_select_nearest_budget): work units spent (see CS_SELECT_NEAREST_BUDGET), and 1
 *  in `exhausted` when the search could not prove its answer exact (the budget ran out, or entries it did not visit
 *  were dropped). */
typedef struct cs_select_nearest_info {
    uint32_t work;
    int exhausted;
    uint32_t blocks, levels, pops; /* what it did, for benchmarks: 8-row block passes of leaf scans (index versions
                                      4 and 5), descent levels (two box bounds each), queue pops */
} cs_select_nearest_info;

/**
 * NEAREST alone: the member of `label` (or any unit if label < 0) nearest to `target` (ties: lower unit
 * index), through the table's index when it has one (for label < 0 every label's tree in one search), else by a scan
 * of the label's members (every unit for label < 0), with the work budget CS_SELECT_NEAREST_BUDGET (exact unless
 * the budget runs out: cs_select_nearest_budget). Returns the unit index, or -1 if the label is empty or out of
 * range (or no unit's distance compares, a table written with NaN). RT-safe: no allocation, a fixed stack;
 * O(CS_SELECT_NEAREST_BUDGET * dims) for any label.
 */
int32_t cs_select_nearest(const cs_ut_view *view, int32_t label, const cs_select_target *target);

/**
 * cs_select_nearest with an explicit work budget: 0 = unlimited (the exact answer, bit for bit the exhaustive
 * scan's, in O(count_label * dims + label nodes * dims) at worst; for label < 0 over every label; an entry pushed
 * out of the full queue is then scanned at once). `info` (may be NULL) receives the work spent and whether the
 * answer may be approximate (`exhausted`: the budget ran out, labels were left out of the roots, or a dropped queue
 * entry was no farther than the answer). RT-safe, O(budget * dims) for any label.
 */
int32_t cs_select_nearest_budget(const cs_ut_view *view, int32_t label, const cs_select_target *target, uint32_t budget,
                                 cs_select_nearest_info *info);

/**
 * The label scan without the index and without a budget (every member, the same kernel), for tests and
 * benchmarks. Same answer as the exact search, bit for bit. RT-safe, O(count_label * dims).
 */
int32_t cs_select_nearest_scan(const cs_ut_view *view, int32_t label, const cs_select_target *target);

/**
 * Reference brute force over ALL units (the label tested per unit, every distance computed with the portable
 * kernel, no index, no budget), for tests and benchmarks: the unit nearest to target among the units whose label
 * is `label` (any if label < 0), ties to the lower unit index. Returns -1 if none. O(num_units * dims).
 */
int32_t cs_select_nearest_brute(const cs_ut_view *view, int32_t label, const cs_select_target *target);

/**
 * The distance kernels NEAREST uses: mode 0 forces the portable C kernels, 1 the AVX2 ones when the CPU has AVX2
 * (else portable), -1 only asks. Returns the kernels in use (0 portable, 1 AVX2). By default AVX2 is chosen from
 * the CPU on first use. Both give the same floats bit for bit (tests/c/test_select_index.c). For tests and
 * benchmarks: not to be called while another thread searches.
 */
int cs_select_simd(int mode);

/** Static one-line message for a cs_select_status. */
const char *cs_select_strerror(int status);

/** The name of policy p ("random", ...), or NULL outside 0 .. CS_SELECT_NUM_POLICIES-1. */
const char *cs_select_policy_name(int p);

#ifdef __cplusplus
}
#endif

#endif
