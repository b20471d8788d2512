/*
 * cs_listener.h - the streaming listener: the frame analyser of `concatseq analyze` (cs_frame.h) + the onset
 * detector (cs_onset.h) + the unit-descriptor accumulator (cs_unit_describe.h), fed a mono signal in blocks of any
 * size, emitting each unit as soon as it is complete, with the raw (unnormalised) descriptors `analyze` computes
 * for the same unit of the same signal (ConcatListen's core; tests/c/test_listener.c proves the equality).
 * Caller memory, no allocation, no lock, no I/O after init: real-time safe.
 *
 * Modes (cs_listen_config.mode):
 *  - CS_LISTEN_FRAMES: one unit per frame i, its hop cell [i*hop - floor(hop/2), + hop) clipped to the signal (so
 *    its frame is frame i alone and its peak equals CS_FF_PEAK); emitted when frame i is computed.
 *  - CS_LISTEN_GRAINS: units [k*grain_hop, + grain_len), k = 0, 1, ..., as `analyze --segment grain`
 *    (cs_segment_grain); a grain is emitted when its last frame and its last sample have arrived; at the end of a
 *    signal the grains that do not fit are dropped, as offline.
 *  - CS_LISTEN_ONSETS: the events between the boundaries of the onset detector (cs_onset.h), as `analyze --segment
 *    onset` (cs_segment_onset) except the one offline-only step: offline merges a final tail shorter than min_len
 *    into the event before it; the listener emits that tail as its own unit (at cs_listener_finish). The detector
 *    runs on the analyser's early report of each frame (cs_frame_analyser_set_early: flux and peak at i*hop +
 *    fft_size/2), an event is emitted as soon as the boundary that ends it is accepted (one frame after the onset's
 *    frame) and the complete frames it uses have arrived. Latency from an attack to the emission of the event it
 *    ends (tests/c/test_listener.c, 48 kHz): 458 .. 745 samples at fft 1024 / hop 256, 958 .. 1549 at 2048 / 512;
 *    a host adds at most one block.
 *  - CS_LISTEN_ATTACKS: one unit per attack, emitted the moment the onset detector raises its alarm (cs_onset.h,
 *    "Alarms": the frame whose window the attack has entered, on its early report at i*hop + fft_size/2, without
 *    the onset's frame of decision and without waiting for the ended event's frames), so that a host can answer
 *    THIS attack at once: the unit is the last hop of samples pushed, [t - hop, t) (t = known_at = i*hop +
 *    fft_size/2, the end of frame i's window: the attack's first hop when the alarm comes at the first frame
 *    whose window holds the attack, the hop after it when it comes at the next), its level descriptors
 *    (loudness, peak) from those samples and its frame descriptors from frame i's early row alone (f0 and its
 *    confidence 0, as YIN's window has not arrived). The same
 *    detector and parameters as ONSETS decide; no event is emitted. Not a corpus unit (no offline twin): the
 *    attack's first look, for answering, not for labelling what was played (ONSETS does that). Latency from an
 *    attack to its emission (tests/c/test_listener.c, 48 kHz, fft 1024 / hop 256): 32 .. 269 samples
 *    (the onset report of the same attacks: 458 .. 745); [0, hop) when the flux crosses the threshold at the
 *    first frame whose window holds the attack, [hop, 2 hops) at the next one; a host adds at most one block.
 *
 * Memory (cs_listener_bytes): the analyser (cs_frame_analyser_bytes, most of it), the detector (ONSETS), a ring of
 * the last C / hop + 4 frames, C = the longest unit (FRAMES: hop; GRAINS: grain_len; ONSETS: max_len) + the longest
 * wait before a unit is known (the analyser's look-ahead + 4 hops; ONSETS: + pre + min_len), and a ring of samples:
 * C of them for FRAMES and GRAINS; for ONSETS only the wait + one hop, because an event's level sums are gathered
 * as its samples settle (no later boundary can precede them), plus a queue of a few boundaries. At 48 kHz and the
 * analyze defaults: about 190 kB for frames, 210 kB for 100 ms grains, 220 kB for onsets with max_len 2 s (of
 * which the analyser takes about 170 kB). A unit is at most CS_LISTEN_MAX_UNIT samples long.
 * Work: per push of n samples at most n / hop + 1 frames (cs_frame.h, the bulk of the cost); per unit completed in
 * it, its description from the rings: O(its frames * CS_FF_COUNT) plus O(grain_len) samples (GRAINS, FRAMES: hop)
 * or O(the wait) samples (ONSETS, the rest of its level sums); at most 65 grains complete per grain hop.
 * tests/bench/bench_listener: the listener costs what the analyser alone costs, within the run-to-run noise.
 */
#ifndef CS_LISTENER_H
#define CS_LISTENER_H

#include "cs_descriptor_table.h"
#include "cs_frame.h"
#include "cs_onset.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Return codes (same values as the tools' cs_err). */
enum cs_listen_error {
    CS_LISTEN_OK = 0,
    CS_LISTEN_E_ARG = -2,      /* NULL pointer, a configuration value out of range, memory too small */
    CS_LISTEN_E_INTERNAL = -13 /* the frame analyser refused its configuration or FFT (cs_frame_err in detail) */
};

/** Longest unit the listener holds, samples (2^23: 174 s at 48 kHz; its ring is 4 bytes per sample). */
#define CS_LISTEN_MAX_UNIT (1u << 23)

enum cs_listen_mode { CS_LISTEN_FRAMES = 0, CS_LISTEN_ONSETS = 1, CS_LISTEN_GRAINS = 2, CS_LISTEN_ATTACKS = 3 };

/**
 * What to listen with: the unit table's listening section gives every value (cs_unit_table.h), so the live units
 * are the corpus's. frame: the analysis (cs_frame_config_check ranges). mode: enum cs_listen_mode. grain_len,
 * grain_hop: samples, 1..CS_LISTEN_MAX_UNIT, grain_hop >= grain_len / 64 (at most 65 grains open; GRAINS only).
 * onset: the detector's parameters (cs_onset_config_check at frame.sample_rate and frame.hop; ONSETS only).
 */
typedef struct cs_listen_config {
    cs_frame_config frame;
    int mode;
    uint32_t grain_len, grain_hop; /* samples */
    cs_onset_config onset;
} cs_listen_config;

/** One complete unit. */
typedef struct cs_listen_unit {
    uint64_t start, length; /* samples of the signal pushed (sample 0 = the first pushed after init/reset) */
    uint64_t known_at;      /* samples pushed when it was emitted (>= start + length) */
    uint64_t index;         /* units emitted before it since init/reset */
    float raw[CS_D_COUNT];  /* raw descriptors (cs_unit_describe.h), finite */
} cs_listen_unit;

/** Called once per unit, in order of completion (= order of start); u is valid during the call only. */
typedef void (*cs_listen_emit)(void *user, const cs_listen_unit *u);

typedef struct cs_listener cs_listener;

/** Fill c: the frame defaults at `sample_rate`, mode FRAMES, grains of 100 ms every 100 ms, the onset defaults. */
void cs_listen_config_default(cs_listen_config *c, float sample_rate);

/** CS_LISTEN_OK when every value of `c` is in range (above), else CS_LISTEN_E_ARG (also NULL). Real-time safe. */
int cs_listen_config_check(const cs_listen_config *c);

/** Bytes of caller memory one listener needs for `c` (0 when cs_listen_config_check fails). Real-time safe. */
size_t cs_listener_bytes(const cs_listen_config *c);

/**
 * Lay a listener out in `mem` (`bytes` >= cs_listener_bytes(c); any alignment) with the FFT `fft` (cs_frame.h;
 * copied) and set *out. O(fft_size * n_mels) (the analyser's tables): do it off the audio thread when possible.
 * `mem` stays the caller's; nothing to release. Returns CS_LISTEN_OK, CS_LISTEN_E_ARG (bad config, NULL, memory
 * too small) or CS_LISTEN_E_INTERNAL (the analyser's init failed: bad FFT ops); *out is NULL on error.
 */
int cs_listener_init(void *mem, size_t bytes, const cs_listen_config *c, const cs_fft_ops *fft, cs_listener **out);

/**
 * Append n mono samples (x may be NULL when n == 0). Non-finite samples count as 0 and |x| > CS_FRAME_MAX_SAMPLE
 * as +-CS_FRAME_MAX_SAMPLE, for the frames and for the level descriptors alike (counted:
 * cs_listener_bad_samples). Calls emit(user, u) for each unit completed, in order. Real-time safe; bounded as
 * described at the top. Returns the number of units emitted, or CS_LISTEN_E_ARG (l or emit NULL, x NULL with
 * n > 0). After cs_listener_finish it takes nothing (returns 0) until cs_listener_reset.
 */
int cs_listener_push(cs_listener *l, const float *x, size_t n, cs_listen_emit emit, void *user);

/**
 * End of the signal: the analyser's last frames, the detector's last decision, and the last units (GRAINS: those
 * that fit; ONSETS: the final event; FRAMES: the last cells, clipped). Returns the number emitted or
 * CS_LISTEN_E_ARG. Real-time safe.
 */
int cs_listener_finish(cs_listener *l, cs_listen_emit emit, void *user);

/** Back to sample 0 (nothing held, nothing emitted; the configuration stays). Real-time safe, O(1) + the
 * analyser's reset. NULL: nothing happens. */
void cs_listener_reset(cs_listener *l);

/** Samples pushed since init/reset. */
uint64_t cs_listener_samples(const cs_listener *l);
/** Non-finite or clamped samples since init/reset. */
uint64_t cs_listener_bad_samples(const cs_listener *l);
/** Units that could not be described (emitted with zero descriptors) or boundaries dropped since init/reset: 0
 * unless the listener has a bug (its rings and queue are sized so that it cannot happen); for tests. */
uint64_t cs_listener_failed(const cs_listener *l);
/** Samples between a unit's end and the latest it can be emitted (the analyser's look-ahead + detector wait). */
uint64_t cs_listener_max_wait(const cs_listener *l);
/** The configuration (a copy of init's). */
const cs_listen_config *cs_listener_config(const cs_listener *l);

#ifdef __cplusplus
}
#endif

#endif
