/*
 * cs_seqpredict.h - the host-independent logic of the SeqPredict UGen: binding a model Buffer (header parse,
 * incremental weight verification, state placement in caller-supplied memory), trigger and reset edges,
 * input clamping, teacher forcing, the repetition-penalty history and the per-block budget and its trigger queue.
 *
 * C11 core code (plugins/core/cs_seqpredict.c) behind a C API, so that plugins/SeqPredict/SeqPredict.cpp (the
 * SuperCollider shim: Buffers, RTAlloc, Print) and the C tests (tests/c/test_seqpredict_*.c) run the very same
 * code. Nothing here allocates, locks or performs I/O: memory comes from the allocator callbacks given to
 * cs_seqp_bind (RTAlloc/RTFree in the UGen), messages are left to the caller (status fields). Every function
 * is real-time safe and bounded (cost figures on each).
 *
 * The algorithms are the core's: plugins/core/cs_model.h (GRU / ALiBi transformer step), cs_sample.h
 * (temperature, top-k, top-p, CTRL repetition penalty, mask), cs_rng.h (xoshiro128**). This file only
 * sequences them:
 *
 *   per block   cs_seqp_bind(data, floats, channels): when the Buffer changed (data pointer, size, channels, or
 *               any of its 64 header floats) drop the state, parse the header (O(1)), then verify the weights
 *               CS_SEQP_VERIFY_FLOATS per block (cs_model_verify_step, ~5 ns a float); when verified, size and
 *               place the state (one allocator call, reusing the previous block of memory when it is large
 *               enough), reset the model and re-seed the generator (seed >= 0). Until then the label is -1
 *               (CS_LABEL_NONE: ConcatPlay rests) and triggers are ignored; once ready and before the first step
 *               it is CS_LABEL_ANY (-2: ConcatPlay plays any unit, so a chain stepped by its next gate starts).
 *               A step that meets a non-finite logit or probability (weights written into the Buffer since
 *               they were verified) drops the model and verifies the weights again (label -1 meanwhile).
 *               The header floats are compared every block, so a write into the header re-parses it.
 *   per sample  reset edge (previous <= 0, now > 0): cs_model_reset, history cleared, generator re-seeded
 *               when seed >= 0 (so a reset replays the same sequence for the same inputs); the label output
 *               holds. Then trigger edge: one step (below). With a ready model both edges become events in a
 *               first-in first-out queue (CS_SEQP_QUEUE events, placed with the model state) that is worked
 *               off under a per-call budget of multiply-adds (below); without a model a reset is done at once
 *               and a trigger is ignored.
 *   budget      each process call may spend CS_SEQP_MADDS_PER_SAMPLE * n multiply-adds, n the block length
 *               (io->budget_samples, else the call's samples): 2 000 000 for a 64-sample block, ~100-130 us or
 *               about 10 % of a 64-sample block at 48 kHz on the 2.1 GHz EPYC of tests/bench. An event costs
 *               cs_seqp_event_cost: the model's cs_model_step_madds plus the sampler's
 *               V * CS_SEQP_SAMPLE_MADDS_PLAIN (+ the truncation's bound with top-k or top-p on, cs_seqp_sample_cost;
 * + cs_seqp_guide_cost for a guided draw). At each sample the queue is worked off in order while the budget lasts,
 * stopping after the first trigger (so each step's label is on the output for at least one sample); a call always takes
 * at least one event, so the queue always moves, and the worst call costs max(budget, one event). Events left in the
 * queue are DEFERRED: taken at the start of the next calls, in order, and counted once each in `deferred`. A trigger
 * that finds the queue full is DROPPED (counted in `dropped`); a reset that finds it full discards the queued triggers
 *               (counted in `dropped`: the reset would clear what they fed) and is queued alone. When the
 *               model goes (Buffer changed, non-finite value) the queued triggers are counted in `dropped`.
 *               Sustained triggers faster than the budget allows (e.g. the largest transformer, one event per
 *               64 samples) fill the queue and then drop; bursts shorter than the queue are only delayed.
 *   per step    prime >= 0 and < V: teacher forcing - the label is fed to the model (cs_model_prime) and output;
 *               its probability and the entropy are those of the model's own distribution (temperature 1, no
 *               truncation, no mask) before feeding it. Otherwise (prime < 0, or out of range: flagged): the
 *               next label is drawn by cs_sample from the model's logits with the clamped sampling inputs, the
 *               last min(historyLen, CS_SEQP_MAX_HISTORY) labels (primed ones included) as the repetition
 *               history, and the mask; probability and entropy are those of the final sampling distribution.
 *               The label is then fed (cs_model_prime; the next logits are computed lazily at the next step).
 *               Cost: one model step + one head + one cs_sample (see cs_model.h / cs_sample.h).
 *   n-gram      (issue 11) a model file with an n-gram table after the weights (models/FORMAT.md, floats 28-30) is
 *               a mixture: each step's logits are ln(w softmax(network logits) + (1 - w) p_ngram(. | the last
 *               order - 1 labels fed since the reset, primed or drawn)) (cs_ngt_mix_logits), centred to mean 0
 *               (cs_seqp_center_logits, for the repetition penalty), w the file's
 *               net_weight; w = 0 is a pure n-gram model (`concatseq train --arch ngram`): the network is then
 *               never run (neither its logits nor its feed), only reset. Everything after (guidance, mask,
 *               penalty, temperature, top-k/p; a primed step's probability) treats the mixture's logits as the
 *               model's. The table's records are checked after the weights, CS_SEQP_VERIFY_FLOATS floats per
 *               block (cs_ngt_check_step); a damaged table is CS_SEQP_BAD_WEIGHTS with err CS_MODEL_E_NGRAM.
 *               Cost: cs_seqp_ngram_cost, inside the budget.
 *   cache       (issue 11 item 4) the label cache (cs_label_cache.h: decayed counts of the labels fed since the
 *               reset, primed or drawn, half-life CS_LCACHE_HALF_LIFE labels, V floats placed with the state) is
 *               blended into a drawn step's distribution with the weight of io->cache at the trigger's sample
 *               (0..1; NaN, <= 0: off): ln((1 - c) p_model + c p_cache), centred, before guidance and the sampler.
 *               A reset empties it. Teacher forcing is not blended (its probability is the model's own). Cost:
 *               V * CS_SEQP_CACHE_MADDS_PER_LABEL + CS_SEQP_CACHE_MADDS_FIXED more for a blended step (counting, V
 *               multiplies, is in it; an unblended step counts too, inside the sampler's margin).
 *   guidance    (issue 10, model x target) with a corpus (cs_seqp_guide: the unit table's label centroids and
 *               clustering weights, and a descriptor target) and guidance g > 0 read at the trigger's sample, a
 *               drawn step samples from logits_k - g * d2_k / (2 sigma^2), sigma = 1 (one normalised unit), d2_k
 *               = sum_d w_d (t_d - c_kd)^2 / sum_d w_d over the target's usable descriptors (cs_seqp_guide_logits).
 *               Read at the step: the target of the io of the call that runs the step (a step deferred by the
 *               budget reads the later call's target), the guidance of the trigger's own sample. Teacher forcing
 *               is not guided (its probability is the model's own). Cost: V * (terms + 1) *
 *               CS_SEQP_GUIDE_MADDS_PER_TERM more (cs_seqp_guide_cost), inside the budget.
 */
#ifndef CS_SEQPREDICT_H
#define CS_SEQPREDICT_H

#include "cs_fastmath.h"
#include "cs_label.h"
#include "cs_label_cache.h"
#include "cs_model.h"
#include "cs_ngram_table.h"
#include "cs_rng.h"
#include "cs_sample.h"
#include "cs_select.h"
#include "cs_unit_table.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CS_SEQP_MAX_HISTORY 64  /* longest repetition-penalty history (historyLen is clamped to 0..64) */
#define CS_SEQP_QUEUE       128 /* events (triggers, resets) waiting for the budget; more triggers are dropped */
#define CS_SEQP_MADDS_PER_SAMPLE                                                                                       \
    31250u /* budget of one process call = this * the block length (2 000 000 multiply-adds per 64 samples, ~10 % of   \
              a 64-sample block at 48 kHz measured by tests/bench/bench_model_step --block) */
#define CS_SEQP_SAMPLE_MADDS_PLAIN                                                                                     \
    200u /* cost of the sampler per label, in multiply-add equivalents, plain (or teacher forcing): ~11 ns a label */
#define CS_SEQP_SAMPLE_MADDS_TRUNC                                                                                     \
    180u /* with top-k or top-p on and V > CS_SEQP_SAMPLE_REG_MAX (the sampler's AVX2 path), added per label and per   \
            heap level (ceil(log2 V)): the worst case, a flat distribution with top-p 0.999 or top-k V - 1 (nearly     \
            every label ranked in a heap), measured ~920 / 1610 / 1930 units a label at V 256 / 1024 / 4096            \
            (tests/bench/bench_sample, units calibrated in the same run), charged 1640 / 2000 / 2360 (130 before: 1500 \
            and 1760 at V 1024 and 4096 were below the worst case) */
#define CS_SEQP_SAMPLE_REG_MAX 64 /* up to this V the sampler's AVX2 path finds and ranks the nucleus in registers */
#define CS_SEQP_SAMPLE_MADDS_TRUNC_REG                                                                                 \
    100u /* with top-k or top-p on and V <= CS_SEQP_SAMPLE_REG_MAX on the AVX2 path, added per label, whatever V (the  \
            radix select in registers): worst ~170 units a label at V 64, charged 300 (ceil(log2 V) * 130 + 200 = 980  \
            before) */
#define CS_SEQP_SAMPLE_MADDS_TRUNC_PORTABLE                                                                            \
    240u /* the sampler's portable path (no AVX2), per label and heap level at every V: worst ~880 / 1600 / 2200 /     \
            2550 units a label at V 64 / 256 / 1024 / 4096, charged 1640 / 2120 / 2600 / 3080 */
#define CS_SEQP_VERIFY_FLOATS                                                                                          \
    8192 /* weights verified per block (~40 us): a model of W weights is usable after                                  \
            ceil(W / 8192) blocks (the constructor's call counts as one) */
#define CS_SEQP_NGRAM_MADDS_PER_LABEL                                                                                  \
    140u /* cost of the n-gram mixture per label (cs_ngt_mix_logits: the back-off products, one exp, one log), in the  \
            sampler's multiply-add equivalents (~0.055 ns each); with CS_SEQP_NGRAM_MADDS_PER_ORDER per label and      \
            order and CS_SEQP_NGRAM_MADDS_PER_LOOKUP per order (the binary search of the contexts, cache misses in a   \
            table of up to ~1.7 M floats) it covers the medians of tests/bench/bench_ngram_step: V 16 / 64, MKN        \
            order 3: 0.83 / 1.59 us measured, 1.1 / 1.5 us charged; order 12: 3.6 / 4.3 us, 4.2 / 4.8 us charged */
#define CS_SEQP_NGRAM_MADDS_PER_ORDER  8u
#define CS_SEQP_NGRAM_MADDS_PER_LOOKUP 6000u
#define CS_SEQP_CACHE_MADDS_PER_LABEL                                                                                  \
    400u /* the cache (count + blend: one exp, one log in double) per label, plus CS_SEQP_CACHE_MADDS_FIXED a step, in \
            the sampler's units (~0.055 ns): tests/bench/bench_ngram_step measured medians of 0.86 / 1.8 / 86 us for   \
            V 16 / 64 / 4096 (charged 1.0 / 2.1 / 90 us) */
#define CS_SEQP_CACHE_MADDS_FIXED 12000u
#define CS_SEQP_MAX_TEMPERATURE   1000.0f
#define CS_SEQP_MAX_PENALTY       100.0f
#define CS_SEQP_MAX_SEED          9007199254740992.0 /* 2^53: larger seeds are clamped */
#define CS_SEQP_MAX_GUIDANCE      1e6f               /* guidance is clamped to 0 .. 1e6 (non-finite: 0) */
#define CS_SEQP_GUIDE_MAX_TERMS                                                                                        \
    64 /* descriptors a guidance target compares at most (as cs_select's NEAREST): the first 64 usable ones */
#define CS_SEQP_GUIDE_MADDS_PER_TERM                                                                                   \
    40u /* cost of one (label, descriptor) term of the guidance distance, in the sampler's multiply-add equivalents:   \
           tests/bench/bench_guide.c measured 15 .. 38 (1.0 .. 2.8 ns a term; 0.37 us for 64 labels and 4 target       \
           descriptors, 150 us for 4096 labels and 26) */

/** Inputs read per sample (audio rate) or per block, in the order of SeqPredict.sc after `model`.
 *  `mask` (a Buffer) is handled by the caller and passed in cs_seqp_io. */
enum cs_seqp_input {
    CS_SEQP_IN_TRIG = 0,    /* step on > 0 after <= 0 */
    CS_SEQP_IN_TEMPERATURE, /* 0..1000 (0 = argmax); NaN -> 1; read at each step */
    CS_SEQP_IN_TOPK,        /* 0 (off) ..V; NaN -> 0; read at each step */
    CS_SEQP_IN_TOPP,        /* 0..1 (1 = off); NaN -> 1; read at each step */
    CS_SEQP_IN_PRIME,       /* >= 0: teacher forcing with floor(prime); read at each step */
    CS_SEQP_IN_RESET,       /* clear the state on > 0 after <= 0 */
    CS_SEQP_IN_SEED,        /* >= 0: deterministic seed, read at binding and at each reset */
    CS_SEQP_IN_PENALTY,     /* repetition penalty 0..100 (1 = off, > 1 discourages); NaN -> 1 */
    CS_SEQP_IN_HISTORY,     /* 0..64 past labels the penalty applies to; NaN -> 0 */
    CS_SEQP_NUM_INPUTS
};

/** Binding states (what cs_seqp_bind found); the caller posts one message per failing state. */
enum cs_seqp_status {
    CS_SEQP_READY = 0,        /* model verified, state placed: triggers step it */
    CS_SEQP_VERIFYING = 1,    /* header fine, weights being verified (not a failure: no message) */
    CS_SEQP_NO_BUFFER = -1,   /* no Buffer, or a Buffer without data (freed / never allocated) */
    CS_SEQP_NOT_MONO = -2,    /* the Buffer has more than one channel (a model file is mono) */
    CS_SEQP_BAD_HEADER = -3,  /* cs_model_parse_header failed: `err` holds the cs_model_err */
    CS_SEQP_BAD_WEIGHTS = -4, /* cs_model_verify_step failed: `err` holds CS_MODEL_E_NONFINITE/CHECKSUM */
    CS_SEQP_NO_MEMORY = -5    /* the allocator returned NULL for `need` bytes (stays until the Buffer changes) */
};

/** A queued trigger or reset: the inputs it read at its sample, clamped. */
typedef struct cs_seqp_event {
    cs_sample_params sp; /* trigger: clamped sampling inputs */
    int n_hist;          /* trigger: clamped historyLen */
    float prime;         /* trigger: the prime input */
    int64_t seed;        /* reset: cs_seqp_seed_value of the seed input */
    float guidance;      /* trigger: cs_seqp_guidance_value of the guidance input (0 = none) */
    float cache;         /* trigger: the cache input, clamped to 0..1 (0 = off) */
    float unit;          /* trigger: the unit input (the unit played of the last label; < 0 or NaN = unknown) */
    int is_reset;        /* 1 reset, 0 trigger */
} cs_seqp_event;

/**
 * What model x target guidance reads (issue 10; plugins/core/cs_unit_table.h, listening section): the corpus's
 * label centroids and clustering weights, and a descriptor target. Borrowed pointers, valid for the call.
 * centroids: num_labels rows of num_descriptors normalised values (row k = the mean of label k's units).
 * weight: num_descriptors clustering weights; a weight <= 0 or not finite counts as 1 (the target names it, so it
 * is compared). labels: NULL, or 2 * num_labels floats (first, count) as the unit table's labels section; a label
 * with count 0 is empty. target: as ConcatPlay's (cs_select.h, cs_cp_target): explicit (dimension, value) pairs,
 * or a full vector of normalised values (a NaN entry skips that descriptor); dimensions >= num_descriptors and
 * non-finite values are ignored; at most CS_SEQP_GUIDE_MAX_TERMS are compared.
 */
typedef struct cs_seqp_guide {
    const float *centroids;
    const float *weight;
    const float *labels;
    uint32_t num_labels, num_descriptors;
    cs_select_target target;
} cs_seqp_guide;

typedef void *(*cs_seqp_alloc_fn)(void *user, size_t bytes);
typedef void (*cs_seqp_free_fn)(void *user, void *ptr);

/** The SeqPredict state. Plain data: lives inside the UGen struct; initialise with cs_seqp_init. */
typedef struct cs_seqp {
    /* binding */
    const float *data; /* the Buffer's data last seen (compared, never dereferenced after a change) */
    size_t floats;     /* its frames * channels */
    int channels;
    float header[CS_MODEL_HEADER_FLOATS]; /* copy of its first floats, to notice a same-size reload */
    int status;                           /* enum cs_seqp_status */
    int err;                              /* cs_model_err of BAD_HEADER / BAD_WEIGHTS */
    size_t need;                          /* bytes asked for (NO_MEMORY: the least that would do) */
    int reduced; /* 1: placed in cs_seqp_mem_size_min bytes (the allocator refused the full state) */
    cs_model_view view;
    cs_model_verify verify;
    void *mem; /* from the allocator, NULL if none */
    size_t mem_bytes;
    /* model and sampling state (model == NULL: not ready) */
    cs_model_state *model;
    int vocab;
    void *scratch; /* cs_sample scratch */
    size_t scratch_bytes;
    unsigned char *mask;  /* vocab bytes */
    float *glogits;       /* vocab floats: the guided logits of a step (in mem) */
    double *gwork;        /* vocab doubles: the guidance distances of a step (in mem) */
    cs_seqp_event *queue; /* CS_SEQP_QUEUE events (in mem), a ring */
    uint64_t q_in, q_out; /* events pushed / taken since placing: the queue holds q_in - q_out */
    uint64_t q_counted;   /* events up to this push count are already counted in `deferred` */
    uint64_t step_madds;  /* cs_model_step_madds of the bound model */
    uint64_t ngram_madds; /* cs_seqp_ngram_cost of the bound model (set when placed) */
    int sample_simd;      /* cs_seqp_sample_simd, read when placed */
    cs_rng rng;
    uint64_t fallback_seed;            /* the seed used at init when the seed input was < 0 */
    int hist[2 * CS_SEQP_MAX_HISTORY]; /* mirrored ring: the last k labels are hist[head + 64 - k .. head + 63] */
    int hist_head, hist_count;
    /* edges and outputs */
    float prev_trig, prev_reset;
    float label, prob, entropy;
    int pending_feed; /* descriptor inputs: 1 + the label sampled last, not yet fed to the network (it is fed at
                         the next step, with the row of the unit played for it); 0 = none */
    float drow[CS_MODEL_MAX_DESC_INPUTS]; /* descriptor inputs: the row fed with it */
    /* counters and flags for the caller's messages */
    uint64_t steps;        /* triggers stepped */
    uint64_t dropped;      /* triggers lost: the queue was full, a reset found it full, or the model went away */
    uint64_t resets;       /* resets done */
    uint64_t deferred;     /* events (triggers and resets) that waited for a later process call (each counted once) */
    int prime_bad;         /* 1 while the last prime seen at a trigger was out of range */
    float prime_value;     /* that prime value */
    int mask_empty;        /* 1 while the mask allowed no label at the last step (it was ignored) */
    int guided;            /* 1 when the last step was guided (guidance > 0, a corpus and a usable target) */
    uint64_t guided_steps; /* steps drawn with guidance */
    uint64_t nonfinite;    /* steps that met a non-finite logit or probability (the model is then re-verified) */
    /* the model file's n-gram table (view.ngram_floats > 0) */
    int has_ngram;    /* 1 when the bound model is a mixture (or a pure n-gram model: net_weight 0) */
    int weights_done; /* 1 once the weights are verified (the table's records are checked next) */
    cs_ngt_view ngt;  /* the table, mapped by cs_ngt_parse_header; usable once ngt_check is done */
    cs_ngt_check ngt_check;
    float net_weight; /* the mixture's weight on the network (1 without a table) */
    /* the label cache (counts in mem) and the weight of the step being run */
    cs_lcache cache;
    float step_cache;
    int cached; /* 1 when the last step was blended with the cache */
} cs_seqp;

/** The corpus Buffer of guidance (a unit table, version 3 with its listening section), followed block by block. */
enum cs_seqp_corpus_state {
    CS_SEQP_CORPUS_OFF = 0,       /* no corpus asked for (the corpus input is -1): guidance off, no message */
    CS_SEQP_CORPUS_OK = 1,        /* a table with a listening section: guidance on (the row check may still run) */
    CS_SEQP_CORPUS_NONE = -1,     /* the corpus input names no Buffer, or one without data */
    CS_SEQP_CORPUS_BAD = -2,      /* not a usable unit table (`err` holds the cs_ut_error; the row check failed, too) */
    CS_SEQP_CORPUS_NO_LISTEN = -3 /* a version 2 table: no centroids (rebuild with `concatseq analyze --force`) */
};

/** Work units of the corpus table's row check per block (cs_ut_check_step), as ConcatPlay's CS_CP_CHECK_BUDGET. */
#define CS_SEQP_CORPUS_CHECK_BUDGET 4096

/** The corpus binding state. Plain data (in the UGen struct); zero it with cs_seqp_corpus_init. */
typedef struct cs_seqp_corpus {
    const float *data; /* the Buffer's data last seen (compared, never dereferenced after a change) */
    uint32_t samples, channels;
    int state;    /* enum cs_seqp_corpus_state */
    int err;      /* cs_ut_error of CS_SEQP_CORPUS_BAD */
    int checking; /* 1 while the row check runs (CS_SEQP_CORPUS_CHECK_BUDGET per block) */
    cs_ut_check check;
    cs_ut_view view;
} cs_seqp_corpus;

/** Inputs and outputs of one process call. in[i] holds n values when step[i] == 1, else one. Outputs hold n
 *  values when out_step == 1; with out_step == 0 only element 0 is written (the value after the last sample:
 *  a control-rate unit scanning an audio-rate trigger). Output pointers may be NULL. mask: mask_len floats,
 *  label i allowed iff i >= mask_len or mask[i] > 0; NULL = every label allowed. An output may be the memory of
 *  an input (scsynth reuses wire buffers): a sample's inputs are read before its outputs are written. */
typedef struct cs_seqp_io {
    const float *in[CS_SEQP_NUM_INPUTS];
    uint32_t step[CS_SEQP_NUM_INPUTS]; /* input k's sample i is in[k][i * step[k]]: 0 = one value held for the call,
                                          1 = n values (the shim gives 0 or 1; any stride is read correctly) */
    const float *mask;
    size_t mask_len;
    float *out_label, *out_prob, *out_entropy;
    uint32_t out_step;
    uint32_t budget_samples; /* the call's budget is CS_SEQP_MADDS_PER_SAMPLE * this (the server's block length:
                                a control-rate unit processes one sample per block); 0 = the call's n */
    const float *guidance;   /* NULL (no guidance), or the guidance input: n values when guidance_step == 1, else one;
                                read at each trigger's sample (0 .. CS_SEQP_MAX_GUIDANCE; NaN, inf, < 0 -> 0) */
    uint32_t guidance_step;
    const cs_seqp_guide *guide; /* NULL (no corpus), or the corpus and target of this call's steps */
    const float *cache;         /* NULL (no cache), or the cache weight: n values when cache_step == 1, else one;
                                   read at each trigger's sample (0..1; NaN, <= 0 -> 0 = off) */
    uint32_t cache_step;
    const float *unit; /* NULL, or the unit input: n values when unit_step == 1, else one; read at each trigger's
                          sample: the index of the unit played for the last label (ConcatPlay's unit output fed
                          back), -1 = unknown (the label's centroid). Read by a model with descriptor inputs only */
    uint32_t unit_step;
    const cs_ut_view *table; /* NULL, or the corpus's unit table (the `corpus` input, bound): where a model with
                                descriptor inputs reads the played unit's row (cs_model_desc_row) */
} cs_seqp_io;

/* ------------------------------------------------------------------------------------------------- API */

/** n rounded up to a multiple of 64 bytes (the alignment of every block placed in the memory). O(1). */
size_t cs_seqp_align64(size_t n);

/**
 * A model with descriptor inputs (models/FORMAT.md): feed the label sampled or primed last, if it was not fed
 * yet, with the descriptor row of `unit` in `table` (cs_model_desc_row: the unit's normalised descriptors and
 * duration; `unit` < 0, NaN or not a unit of the table: the label's centroid; no table, or a table of another
 * descriptor count: zeros). Every step calls it first (with the unit input read at its trigger, from
 * cs_seqp_process; cs_seqp_step itself with no table and unit -1), so the network always sees the unit that
 * ConcatPlay played before it predicts the next label. A model without descriptor inputs feeds at the step
 * itself and this does nothing. Cost: one network feed (counted in the step's cost). RT-safe.
 */
void cs_seqp_feed_pending(cs_seqp *p, const cs_ut_view *table, float unit);

/** A seed input as a 64-bit seed: finite >= 0 -> floor (at most 2^53); anything else -> -1 (no seed). O(1). */
int64_t cs_seqp_seed_value(float s);

/** Sampling parameters from raw inputs, clamped (ranges in enum cs_seqp_input). *n_hist gets the clamped
 *  historyLen (0..64). O(1). */
void cs_seqp_params(float temperature, float top_k, float top_p, float penalty, float hist, int vocab,
                    cs_sample_params *out, int *n_hist);

/** A guidance input as used: finite and > 0 -> min(g, CS_SEQP_MAX_GUIDANCE); anything else (NaN, inf, <= 0) -> 0.
 *  O(1). */
float cs_seqp_guidance_value(float g);

/**
 * Model x target guidance of one step (a product of experts: the model's distribution times a Gaussian
 * observation model of the target around each label's centroid, sigma = 1 normalised unit; see
 * HelpSource/Classes/SeqPredict.schelp). For every label k < vocab:
 *     d2_k  = sum_j w_j (t_j - c_k,d_j)^2 / sum_j w_j     over the target's usable terms j (descriptor d_j, value
 *             t_j, weight w_j = weight[d_j], or 1 when that is <= 0 or not finite), in double, in term order;
 *     out_k = (float)(logits_k - guidance * (d2_k - min_k d2_k) * 0.5)   (double, then rounded to float).
 * Subtracting min d2 (a constant for the step) leaves the distribution unchanged and keeps the nearest label's
 * logit as it was, so a huge guidance still ranks the labels (the farther ones go to -inf, which cs_sample
 * excludes). Labels without a centroid (k >= num_labels, or an empty label) get the largest d2 of the others.
 * Returns 1 when out holds the guided logits; 0 when there is nothing to guide with (guidance not > 0 after
 * cs_seqp_guidance_value, guide NULL, no usable target term, no label with a centroid) and out is untouched:
 * the step then uses the model's logits, bit for bit. logits: vocab finite floats (the caller checks); work:
 * vocab doubles of scratch; out: vocab floats. RT-safe, no allocation; O(vocab * terms), terms <=
 * CS_SEQP_GUIDE_MAX_TERMS.
 */
int cs_seqp_guide_logits(const float *logits, int vocab, const cs_seqp_guide *guide, float guidance, double *work,
                         float *out);

/** Multiply-add equivalents cs_seqp_guide_logits spends for this guide and vocab: vocab * (terms + 1) *
 *  CS_SEQP_GUIDE_MADDS_PER_TERM, terms = the target's usable terms (0 for NULL or no term). O(terms). */
uint64_t cs_seqp_guide_cost(int vocab, const cs_seqp_guide *guide);

/** No corpus bound (state CS_SEQP_CORPUS_OFF). O(1). */
void cs_seqp_corpus_init(cs_seqp_corpus *c);

/**
 * Follow the corpus Buffer; call once per block with its CURRENT data (NULL when none), samples (frames *
 * channels) and channels; `wanted` = 0 when the corpus input is < 0 (no corpus: state OFF). When the data pointer,
 * size or channels changed: cs_ut_parse of the header and section sizes (O(1)), as ConcatPlay does; a version 2
 * table is CS_SEQP_CORPUS_NO_LISTEN; a sound one is CS_SEQP_CORPUS_OK from that block on, while its row check
 * (which covers the listening section's arrays) runs CS_SEQP_CORPUS_CHECK_BUDGET work units per block; a failed
 * check makes it CS_SEQP_CORPUS_BAD. Values are also checked where they are used (cs_seqp_guide_logits: a NaN
 * centroid is the farthest, a bad weight 1), so an unchecked table is read safely. Returns the state. RT-safe:
 * O(1) + the check's budget.
 */
int cs_seqp_corpus_bind(cs_seqp_corpus *c, int wanted, const float *data, uint32_t samples, uint32_t channels);

/** Fill `g` from a parsed unit table with a listening section (view->has_listen) and a target (copied, NULL = none):
 *  1; else 0 (g zeroed: no guidance). O(1). */
int cs_seqp_guide_view(const cs_ut_view *view, const cs_select_target *target, cs_seqp_guide *g);

/** Fill `g` from a bound corpus (state OK) and a target (copied): 1; else 0 (g zeroed: no guidance). O(1). */
int cs_seqp_corpus_guide(const cs_seqp_corpus *c, const cs_select_target *target, cs_seqp_guide *g);

/** The sampler's part of a trigger's cost at `vocab` labels, in multiply-add equivalents (an upper bound of
 *  cs_sample's worst case, measured by tests/bench/bench_sample): vocab * CS_SEQP_SAMPLE_MADDS_PLAIN (a
 *  teacher-forced step too: its probability and entropy), plus for a drawn step with top-k or top-p on: vocab *
 *  CS_SEQP_SAMPLE_MADDS_TRUNC_REG when `simd` (cs_sample's AVX2 path, cs_seqp_sample_simd) and vocab <=
 *  CS_SEQP_SAMPLE_REG_MAX, else vocab * ceil(log2 vocab) * (simd ? CS_SEQP_SAMPLE_MADDS_TRUNC :
 *  CS_SEQP_SAMPLE_MADDS_TRUNC_PORTABLE). O(1). */
uint64_t cs_seqp_sample_cost(int vocab, const cs_seqp_event *e, int simd);

/** 1 when cs_sample runs its AVX2 path on this CPU (built with it, and AVX2 + FMA at run time), else 0: which of
 *  the sampler's bounds cs_seqp_sample_cost applies (read once when a model is placed). O(1). */
int cs_seqp_sample_simd(void);

/** Multiply-add cost of an event (see "budget" at the top of this file) for the bound model: a reset costs one
 *  model step, a trigger one step (none for a pure n-gram model, net_weight 0) plus cs_seqp_ngram_cost plus the
 *  sampler's per-label cost times V. 0 without a model. O(1). */
uint64_t cs_seqp_event_cost(const cs_seqp *p, const cs_seqp_event *e);

/**
 * Subtract the mean of the vocab logits from each (in double, rounded to float): the logits of a model with an
 * n-gram table are ln p (all <= 0), on which the CTRL repetition penalty (multiply a negative logit by theta)
 * barely moves a near-certain label; centred, the likely labels have positive logits that the penalty divides,
 * as it does a network's. A constant shift changes nothing else (softmax, temperature, top-k/p, mask and
 * guidance are shift-invariant). RT-safe, O(vocab).
 */
void cs_seqp_center_logits(float *logits, int vocab);

/** Multiply-add equivalents of the n-gram part of a step of the bound model: 0 without a table, else V * (
 *  CS_SEQP_NGRAM_MADDS_PER_LABEL + order * CS_SEQP_NGRAM_MADDS_PER_ORDER) + order * CS_SEQP_NGRAM_MADDS_PER_LOOKUP
 *  (included in cs_seqp_event_cost). O(1). */
uint64_t cs_seqp_ngram_cost(const cs_seqp *p);

/** Events waiting in the queue (0 without a model). O(1). */
size_t cs_seqp_queued(const cs_seqp *p);

/** Bytes of allocator memory a verified `view` needs: the model state, the sampling scratch, V mask bytes, the
 *  event queue, the guidance scratch (V floats, V doubles) and the label cache (V floats), each 64-byte aligned (plus
 * 64 bytes of slack for the block's own alignment). O(1). */
size_t cs_seqp_mem_size(const cs_model_view *view);

/** The same with the model's smallest state (cs_model_state_size_min: no folded-embedding table, no half copy).
 *  cs_seqp_bind asks for cs_seqp_mem_size and, when the allocator refuses it, for this: the model then gives the
 *  same labels, each step at its unfolded, uncopied cost (p->reduced = 1). O(1). */
size_t cs_seqp_mem_size_min(const cs_model_view *view);

/** Initialise `p` (no model bound; outputs -1, 0, 0). fallback_seed seeds the generator and is used whenever
 *  the seed input is < 0 at binding (the UGen takes it from the synth's RGen). O(1). */
void cs_seqp_init(cs_seqp *p, uint64_t fallback_seed);

/** Forget the repetition-penalty history. O(1). */
void cs_seqp_history_clear(cs_seqp *p);

/** Append `label` to the history ring (the last CS_SEQP_MAX_HISTORY labels are kept). O(1). */
void cs_seqp_history_push(cs_seqp *p, int label);

/** Reset the model (zero state, BOS fed), clear the history, re-seed with `seed` when >= 0. Outputs hold.
 *  Cost: one model step. */
void cs_seqp_reset(cs_seqp *p, int64_t seed);

/** Forget the model (the Buffer changed or failed): not ready, label -1; queued triggers are counted in
 *  `dropped`. Keeps the memory for reuse. O(1). */
void cs_seqp_unbind(cs_seqp *p);

/** Give the memory back (the UGen's destructor). */
void cs_seqp_release(cs_seqp *p, cs_seqp_free_fn free_fn, void *user);

/** Place the model state, sampling scratch and mask in p->mem (which must hold cs_seqp_mem_size bytes for
 *  the verified p->view), reset the model and seed the generator (`seed` >= 0, else the fallback seed).
 *  Returns 0, or CS_SEQP_NO_MEMORY when the state does not fit. Cost: one model step. */
int cs_seqp_place(cs_seqp *p, int64_t seed);

/**
 * Follow the model Buffer; call once per block before cs_seqp_process, with the Buffer's CURRENT data (NULL
 * when there is none), its frames * channels and channels. `seed` is the seed input's value (used when the
 * model becomes ready). Returns the status (enum cs_seqp_status); p->err and p->need carry the detail. Cost:
 * O(64) to notice a change; O(53) to parse a header; CS_SEQP_VERIFY_FLOATS weights while verifying; at most
 * one alloc_fn (and one free_fn) call, when a verified model needs more memory than the block held. RT-safe
 * with RT-safe callbacks.
 */
int cs_seqp_bind(cs_seqp *p, const float *data, size_t floats, int channels, float seed, cs_seqp_alloc_fn alloc_fn,
                 cs_seqp_free_fn free_fn, void *user);

/** The probability of `token` and the entropy (bits) of softmax(logits) at temperature 1, untruncated: what
 *  a primed (teacher-forced) step reports. O(V). */
void cs_seqp_model_prob(const float *logits, int vocab, int token, float *prob, float *entropy);

/**
 * One step (a trigger): teacher forcing when 0 <= prime < V, else a draw (see the top of this file). The model
 * must be ready (p->model != NULL). Sets p->label, p->prob, p->entropy; flags prime_bad / mask_empty. Returns 0;
 * or -1 when the logits, the probability or the entropy are not finite (weights written into the Buffer since
 * they were verified): then the model is dropped (label CS_LABEL_NONE, p->nonfinite counted) and the weights are
 * verified again from the start by the following cs_seqp_bind calls. RT-safe: O(model step + V W + cs_sample).
 */
int cs_seqp_step(cs_seqp *p, float prime, const cs_sample_params *sp, int n_hist, const float *mask, size_t mask_len);

/**
 * cs_seqp_step with model x target guidance: a drawn step (not teacher forcing) samples from
 * cs_seqp_guide_logits(logits, guide, guidance) instead of the logits, when that applies (p->guided says whether
 * it did). guide NULL or guidance 0: exactly cs_seqp_step. RT-safe: cs_seqp_step + O(V * terms).
 */
int cs_seqp_step_guided(cs_seqp *p, float prime, const cs_sample_params *sp, int n_hist, const float *mask,
                        size_t mask_len, const cs_seqp_guide *guide, float guidance);

/**
 * Process n samples (n >= 1; n = 0 reads nothing and returns 0): edges of reset and trig, the event queue, outputs (see
 * the top of this file). Without a ready model the edges are tracked, triggers are ignored, and the outputs are -1, 0,
 * 0. Returns the number of events (steps and resets) taken. RT-safe; bounded by CS_SEQP_MADDS_PER_SAMPLE * n
 * multiply-adds of events, or one event when a single one costs more.
 */
int cs_seqp_process(cs_seqp *p, const cs_seqp_io *io, uint32_t n);

/**
 * Will cs_seqp_process(p, io, n) take no event in this block? True when nothing is queued and neither reset nor
 * (with a ready model) trig has a positive-going edge in its n values; such a block only holds the outputs, and
 * cs_seqp_process does it without the per-sample loop (the same outputs and state). Reads io->in (trig and reset
 * only) and nothing else of io, so a host can skip what only events use (the guide of guidance) when it is true.
 * RT-safe, O(n) compares, no call.
 */
int cs_seqp_quiet(const cs_seqp *p, const cs_seqp_io *io, uint32_t n);

#ifdef __cplusplus
}
#endif

#endif
