/*
 * cs_concatlisten.h - the host-independent logic of the ConcatListen UGen: it listens to an input signal with the
 * very analysis `concatseq analyze` described the corpus with, and reports each completed unit (a frame, an onset
 * event or a grain; or, in mode CS_LISTEN_ATTACKS, each attack at the onset detector's alarm, cs_listener.h) as the
 * corpus's normalised descriptors, the nearest label and its distance.
 *
 * C11 core code (plugins/core/cs_concatlisten.c) behind a C API, as cs_concatplay.h is for ConcatPlay: the shim
 * plugins/ConcatListen/ConcatListen.cpp only looks the Buffer up, marshals inputs and outputs, hands RTAlloc/RTFree
 * and the FFT (plugins/core/cs_fft.h, plans made in PluginLoad) over and posts the messages; the C tests
 * (tests/c/test_concatlisten_logic.c) run this very code. Nothing here allocates except through the callbacks,
 * locks or performs I/O; every function is real-time safe with RT-safe callbacks (costs on each).
 *
 * The pieces are the core's: the streaming listener (cs_listener.h: frame analyser cs_frame.h + onset detector
 * cs_onset.h + unit accumulator cs_unit_describe.h) and the unit table's listening section (cs_unit_table.h,
 * version 3: the analysis settings, the normalisation statistics, the clustering weights and the per-label
 * centroids). This file only binds them:
 *
 *   per block   cs_cl_bind(table): when the table Buffer's data pointer, size or channel count changes, parse its
 *               header (O(1)); a table without a listening section (version 2) or with one whose settings the
 *               listener refuses is not used (state says why; the outputs are label -1, trig 0, descriptors 0).
 *               Otherwise build the cs_listen_config from the section (at the server's sample rate, see
 *               "Rates"), place the listener in memory from the allocator (one free_fn and one alloc_fn call
 *               when the memory held is too small, none when it fits: a swap to a table of the same settings
 *               reuses it) and initialise it (cs_listener_init: O(fft_size * n_mels), once per swap).
 *   per block   cs_cl_process(in, n): push the n input samples (non-finite or huge samples are replaced by 0 by
 *               the analyser and counted), collect the units the listener emits, normalise the last one with the
 *               table's center/scale, and label it (below). When its label is known the outputs take its values
 *               and trig is 1 for this one block; between units they hold.
 *
 * Label: the rule of corpus-tools/BUNDLE.md, computed by cs_ut_nearest_label (cs_unit_table.h): the label k
 * minimising d2_k = sum over the descriptors with weight w_d > 0 of w_d (x_d - c_kd)^2 (x the unit's normalised
 * descriptors, c_k the label's centroid from the table), summed in double, ties to the lower label. Distance:
 * d2_k / sum w_d, the weighted MEAN squared difference in normalised units, the number SeqPredict's guidance uses
 * (contracts: cs_seqpredict.h). The search costs K * D terms (K labels, D descriptors); each block may spend
 * CS_CL_SEARCH_BUDGET terms: the labels are searched in chunks of max(1, budget / D) (157 labels at 26
 * descriptors) with cs_ut_nearest_label on a view of the chunk, the chunks' winners compared in label order
 * (strictly smaller wins), so the answer is bit for bit the exhaustive one. A table of up to 157 labels is
 * labelled in the block its unit completes; a larger one over ceil(K / chunk) blocks, the trigger that much later
 * (K = 1000: 7 blocks; the largest possible table, 16 777 215 labels, about 142 s per unit at 64-sample blocks and
 * 48 kHz: such a corpus cannot be listened to live). Units completed meanwhile wait in a queue of CS_CL_QUEUE
 * (reported one per block, oldest first; a full queue drops its oldest, counted in `dropped`), so several units
 * completed in one block (frames mode with a hop smaller than the block, a reset) are reported in the next blocks.
 *
 * Rates: the table stores the analysis at the corpus rate. At another server rate the listener analyses at the
 * server rate with the fft size scaled to the power of two nearest fft_size * rate / corpus_rate, the hop and the
 * grain lengths scaled to the nearest sample (at least 1), the onset times unchanged (they are in seconds) and
 * mel_fmax, f0_max clamped to the server's Nyquist limits; `approximate` is then 1 and the host posts one note:
 * the descriptors are then close to, not equal to, the corpus's (spectral shapes in Hz agree, frame-based
 * statistics differ by the changed windows).
 */
#ifndef CS_CONCATLISTEN_H
#define CS_CONCATLISTEN_H

#include "cs_descriptor_table.h"
#include "cs_frame.h"
#include "cs_listener.h"
#include "cs_unit_table.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The host's allocator (RTAlloc / RTFree in the UGen), with its user pointer (the World). */
typedef void *(*cs_cl_alloc_fn)(void *user, size_t bytes);
typedef void (*cs_cl_free_fn)(void *user, void *ptr);

#define CS_CL_MAX_SELECT 64 /* descriptor outputs of one instance (a descriptor may be selected more than once) */
#define CS_CL_QUEUE      16 /* completed units waiting for their report (one per block); more drop the oldest */
#define CS_CL_SEARCH_BUDGET                                                                                            \
    4096u /* label-search terms (one weighted squared difference each, ~1 ns) per block and instance: about 4 us,      \
             0.3 % of a 64-sample block at 48 kHz (tests/bench/run_concatlisten.sh measures the whole UGen) */
#define CS_CL_NUM_MODES 4 /* the `mode` input: enum cs_listen_mode of cs_listener.h */

/** Table states found by cs_cl_bind; the host posts one message when a failing state begins. */
enum cs_cl_state {
    CS_CL_OK = 0,
    CS_CL_NO_TABLE,   /* no unit-table Buffer, or one without data */
    CS_CL_BAD_TABLE,  /* not a valid unit table (`table_err` holds the cs_ut_error; CS_UT_E_VERSION: too old) */
    CS_CL_NO_LISTEN,  /* a valid table without a listening section (version 2): rebuild with analyze --force */
    CS_CL_BAD_CONFIG, /* the section's settings are refused by the listener at this rate (`config_err`) */
    CS_CL_NO_MEMORY,  /* the allocator returned NULL for `need` bytes of listener memory */
    CS_CL_NO_FFT      /* cs_cl_open failed (no FFT, or a bad sample rate): nothing can listen */
};

/** Results of cs_cl_open. */
enum cs_cl_open_status {
    CS_CL_OPEN_OK = 0,
    CS_CL_OPEN_RATE = -1, /* the sample rate is not a positive finite number */
    CS_CL_OPEN_FFT = -2   /* no FFT (the host's FFTW plans could not be made) */
};

/** What one block reports (cs_cl_process): held values; trig = 1 in the block a unit is reported. */
typedef struct cs_cl_out {
    float trig;        /* 1 or 0 */
    float label;       /* 0 .. K-1, or -1 before the first unit, after a reset and while the state fails */
    float distance;    /* weighted mean squared distance to the label's centroid, >= 0 (0 without a unit) */
    float age;         /* s from the unit's first sample to the end of this block (0 without a unit) */
    const float *desc; /* num_select normalised descriptors, in the order selected (0 without a unit) */
    uint32_t offset;   /* with trig: the sample of the block at which the unit was known (its last sample and the
                          analysis after it had arrived), when its label was found in that same block; else 0 (a
                          unit reported from the queue, or after a search over several blocks). For the audio-rate
                          trigger of ConcatListen.ar; 0 .. n - 1 */
} cs_cl_out;

/** A unit on its way to the outputs: the listener's unit, normalised. */
typedef struct cs_cl_unit {
    uint64_t start, length; /* samples since the table was bound (the listener counts from its last reset) */
    uint64_t known;         /* samples since binding when the listener emitted it (>= start + length) */
    float x[CS_D_COUNT];    /* normalised descriptors (raw - center) / scale, finite */
} cs_cl_unit;

/** The UGen's state. Plain data: lives inside the UGen struct; set up with cs_cl_open. */
typedef struct cs_concatlisten {
    double sample_rate; /* Hz of the input (the server's) */
    int mode;           /* enum cs_listen_mode */
    int opened;         /* cs_cl_open succeeded */
    cs_fft_ops fft;     /* the host's FFT, copied */
    uint32_t num_select;
    int32_t select[CS_CL_MAX_SELECT]; /* descriptor columns, or -1 for a bad index (its output is 0) */
    /* table binding: re-parsed only when any of these change */
    const float *table_data; /* compared, never dereferenced after a change */
    uint32_t table_samples, table_channels;
    int table_err;  /* cs_ut_error of the last parse */
    int config_err; /* cs_listen_error of cs_listener_init, or CS_LISTEN_E_ARG for settings it refuses */
    cs_ut_view view;
    int state;       /* enum cs_cl_state of the last block */
    int approximate; /* 1 when the server rate differs from the corpus rate (see "Rates") */
    cs_listen_config config;
    /* the listener, in memory from the allocator */
    void *mem;
    size_t mem_size, need;
    cs_listener *listener;
    double weight_sum; /* sum of the weights > 0 */
    /* completed units: queue[(head + i) % CS_CL_QUEUE], i < queued; queue[head] is labelled first */
    cs_cl_unit queue[CS_CL_QUEUE];
    uint32_t head, queued;
    /* the search of queue[head]: labels below next_label are done */
    int searching;
    uint32_t next_label;
    int32_t best_label;
    double best_d2;
    uint64_t dropped; /* units never reported (the queue was full) */
    uint64_t base;    /* samples since binding at which the listener's current signal began (the last reset) */
    uint64_t total;   /* samples since binding */
    float prev_reset; /* the reset input's last value (edge detection) */
    int trig_gap;     /* set by a control-rate host after cs_cl_open: no report in the block after a report */
    int prev_trig;    /* the previous block reported a unit */
    /* held outputs */
    float label, distance, age;
    float desc[CS_CL_MAX_SELECT];
} cs_concatlisten;

/**
 * Set up the state: sample_rate in Hz (the server's), mode from the input (NaN or out of 0 .. 3 -> 1, onsets;
 * else floor), the num_select descriptor inputs `select` (each a column index 0 .. CS_D_COUNT - 1; anything else,
 * NaN included, is kept as -1 and outputs 0), at most CS_CL_MAX_SELECT of them (more are ignored), and the host's
 * FFT (copied; its ctx must outlive the state). No allocation: the listener's memory is asked for by cs_cl_bind
 * once a table tells its size. Returns enum cs_cl_open_status (on failure the state stays CS_CL_NO_FFT:
 * cs_cl_process outputs label -1). O(num_select).
 * A control-rate host (ConcatListen.kr, `concatseq mosaic`) then sets `trig_gap = 1`: a trigger is a rise of the
 * signal from <= 0 to > 0, so two reports in consecutive control periods (trig 1, 1) would be one trigger for
 * every reader; with trig_gap a report never follows a report directly: the unit waits in the queue one block
 * (at most one unit every two control periods; frames mode with a hop under two blocks then drops units, counted
 * in `dropped`, so use ConcatListen.ar there). The audio-rate host leaves it 0 (its one-sample impulses never
 * touch each other).
 */
int cs_cl_open(cs_concatlisten *cl, double sample_rate, float mode, const float *select, uint32_t num_select,
               const cs_fft_ops *fft);

/** Give the listener's memory back (the UGen's destructor). Safe on a state that never bound a table. */
void cs_cl_close(cs_concatlisten *cl, cs_cl_free_fn free_fn, void *user);

/**
 * Follow the unit-table Buffer for this block: table = its current data (NULL when there is no such Buffer),
 * samples (frames * channels), channels. When the data pointer, size or channels changed: parse the header (O(1)),
 * require the listening section, build the listener's configuration, (re)place and initialise the listener
 * (see the file comment; queued units and the held outputs are dropped: label -1 until the first unit of the new
 * table). Returns the state (enum cs_cl_state). O(1) when nothing changed; at a change
 * O(num_descriptors + fft_size * n_mels) (cs_listener_init) plus one free_fn and one alloc_fn call at most.
 */
int cs_cl_bind(cs_concatlisten *cl, const float *table, uint32_t table_samples, uint32_t table_channels,
               cs_cl_alloc_fn alloc_fn, cs_cl_free_fn free_fn, void *user);

/**
 * One block of n input samples `in` (any values: the analyser replaces non-finite ones by 0 and counts them) and
 * the reset input: `reset` NULL, or n values (reset_step 1: audio rate) or one value (reset_step 0: control rate).
 * At a rising edge of reset (previous <= 0 < now, at sample j of the block; the first value of a control-rate
 * reset counts at sample 0) the signal ends before sample j (cs_listener_finish: its last units are completed as
 * `analyze` completes a source's last units) and a new signal starts at sample j (cs_listener_reset); the label
 * and descriptors hold until the new signal's first unit. Then: completed units join the queue (a full queue
 * drops its oldest unit, counted in `dropped`), the head unit's label search advances by CS_CL_SEARCH_BUDGET
 * terms, and when its label is known the outputs take its values and trig is 1 (at most one unit per block).
 * `out` gets the held values (out->desc points into the state). In a failing state the input is ignored and the
 * outputs are label -1, trig 0, distance 0, age 0, descriptors 0. Every output is finite. Cost: the listener's
 * (cs_listener_push: at most n / hop + 1 frames, plus the description of each unit completed; a reset adds
 * cs_listener_finish) plus at most CS_CL_SEARCH_BUDGET + num_descriptors search terms and O(CS_D_COUNT *
 * units completed + num_select).
 */
void cs_cl_process(cs_concatlisten *cl, const float *in, uint32_t n, const float *reset, uint32_t reset_step,
                   cs_cl_out *out);

/**
 * The listener configuration for a table's listening section at `sample_rate` and `mode` (the "Rates" rule above):
 * the section's own settings when the rates are equal (returns 0), scaled ones when they differ (returns 1).
 * Pure, O(1).
 */
int cs_cl_config(const cs_ut_listen *listen, double sample_rate, int mode, cs_listen_config *c);

#ifdef __cplusplus
}
#endif

#endif
