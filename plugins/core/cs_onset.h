/*
 * cs_onset.h - the one onset detector of ConcatSeq: causal, fed frame by frame, used offline by
 * `concatseq analyze --segment onset` (corpus-tools/src/cs_segment.c, cs_segment_onset) and live by the listener
 * (cs_listener.h, ConcatListen). Caller memory, no allocation; real-time safe.
 *
 * Spectral-flux onset detection after Bello et al. 2005 ("A tutorial on onset detection in music signals", IEEE
 * TSAP 13(5)), Dixon 2006 ("Onset detection revisited", DAFx) and, for the causal (online) adaptive threshold,
 * Boeck, Krebs & Schedl 2012 ("Evaluating the online capabilities of onset detection methods", ISMIR).
 *
 * Frame i (centred on sample i*hop) gives d(i) = max(0, CS_FF_FLUX) and p(i) = CS_FF_PEAK (cs_frame.h).
 *  1. Threshold t(i) = (1 + threshold) * median(d over the past window) + delta_abs. The past window is the W =
 *     2M + 1 frames ending at i (fewer at the start of the signal; an even count takes the mean of the two middle
 *     values), M = max(1, round(round(median_s * rate) / hop / 2)).
 *  2. Frame i is a candidate when d(i) > 0, d(i) > t(i), d(i) > d(i-1) and d(i) >= d(i+1) (the last frame of a
 *     finished signal needs no successor). It is decided when frame i+1 arrives: look-ahead L = 1 frame.
 *  3. Attack refinement (the flux of a log spectrum peaks as soon as the attack enters the analysis window, up
 *     to fft_size/2 samples early): among the frames j = i-1 .. i+R, R = min(1, ceil(round(refine_s * rate) /
 *     hop)) (refine_s = 0: R = 0 and j = i only, no refinement), the j with the largest rise log p(j) - log p(j-1)
 *     (log floored at 1e-7, p(-1) = 0) above 3 dB is taken; the onset is the start of its hop cell,
 *     max(0, j*hop - floor(hop/2)); without such a rise, the start of frame i's cell. R <= L, so refinement never
 *     delays the decision.
 *  4. Boundary b = max(0, onset - pre). Earliest first: b is accepted when b >= the previous accepted boundary +
 *     min_len (the start of the signal, 0, is the first accepted boundary: a short head merges into the first
 *     event).
 *  5. max_len: when the next boundary b (an accepted onset, or the end of a finished signal) would come more than
 *     max_len after the previous accepted one p, a forced boundary is accepted at p + max_len, or at b - min_len
 *     when b < p + max_len + min_len (so a real onset just after the cut is kept and every event stays between
 *     min_len and max_len); repeated while needed. A cut at p + max_len is decided as soon as no later candidate
 *     can give a boundary before p + max_len + min_len (after frame i, candidates give boundaries
 *     >= (i - R)*hop - floor(hop/2) - pre), i.e. about min_len + pre + two hops after its position.
 * So events (the spans between accepted boundaries) are >= min_len (the last one, ended by the signal's end, too
 * unless the whole signal after the last onset is shorter) and <= max_len. Latency: an onset's boundary is known
 * when frame i+1 has been computed, one hop after frame i (the frame whose window the attack entered).
 * Alarms (for a live host that must answer an attack at once; they change no boundary): frame i raises an alarm
 * at its own push when it meets step 2's conditions except the look-ahead one (d(i) > 0, d(i) > t(i), d(i) >
 * d(i-1)), its index is at least min_len samples (min_len / hop frames, rounded up) after the last alarm's, and
 * the latest boundary a candidate at i could give (step 3 refined onto frame i + R, minus pre) is at least min_len
 * after the last accepted boundary (else step 4 would refuse it). Every onset accepted at candidate frame i (not a
 * forced cut) therefore has an alarm at a frame in [i - ceil(min_len / hop) + 1, i] (frame i met the conditions at
 * its push, the last boundary can only have grown since; only an alarm that recent can have suppressed it), one
 * frame earlier than the boundary's decision, and with no wait for the refinement's frame. An alarm can be false
 * (the flux rises above the threshold but no onset follows: the next frame rises more and is then refused, or
 * its threshold is higher): tests/c/test_listener.c counts them on real signals.
 * Differences from the detector before issue 10 (non-causal): centred median window -> past window; delta times
 * the source's mean flux -> delta_abs given (offline: delta * the source's mean flux, rounded to float); strongest
 * first minimum interval -> earliest first; refinement look-ahead refine_s -> at most one frame; max_len splitting
 * into equal parts -> cuts at max_len. cs_segment_onset (offline only) still merges a tail shorter than min_len
 * into the previous event when the result is <= max_len.
 */
#ifndef CS_ONSET_H
#define CS_ONSET_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Return codes (same values as the tools' cs_err). */
enum cs_onset_error {
    CS_ONSET_OK = 0,
    CS_ONSET_E_ARG = -2 /* NULL pointer, a parameter out of range, memory too small */
};

/** Largest median half-window M, frames (a W = 2M + 1 frame window is kept sorted: O(W) per frame). */
#define CS_ONSET_MAX_HALF 4096

/* The defaults of `concatseq analyze --segment onset` (its options and cs_onset_config_default take them from
 * here). delta is relative: delta_abs = delta * the mean flux (cs_onset_delta_abs). */
#define CS_ONSET_DEFAULT_THRESHOLD 0.5
#define CS_ONSET_DEFAULT_DELTA     0.1
#define CS_ONSET_DEFAULT_MEDIAN_S  0.1
#define CS_ONSET_DEFAULT_MIN_LEN_S 0.05
#define CS_ONSET_DEFAULT_MAX_LEN_S 2.0
#define CS_ONSET_DEFAULT_PRE_S     0.005
#define CS_ONSET_DEFAULT_REFINE_S  0.03

/**
 * The detector's parameters, every value float32 as the unit table stores it (cs_unit_table.h, listening section).
 * cs_onset_config_default fills the defaults of `concatseq analyze --segment onset`.
 */
typedef struct cs_onset_config {
    float
        threshold; /* sensitivity lambda - 1, >= 0 (default 0.5): onset when d > (1 + threshold) * median + delta_abs */
    float delta_abs; /* additive threshold, flux units, >= 0: delta (default 0.1) times the mean flux (offline the
                        source's, live the corpus's, cs_onset_delta_abs) */
    float median_s;  /* past median window, s, >= 0 (default 0.1) */
    float min_len_s; /* minimum event length and inter-onset interval, s, > 0 (default 0.05) */
    float max_len_s; /* maximum event length, s, >= 2 * min_len_s (default 2.0) */
    float pre_s;     /* pre-onset offset, s, >= 0 (default 0.005) */
    float refine_s;  /* attack refinement look-ahead, s, >= 0 (default 0.03; used up to one frame, see above) */
} cs_onset_config;

/** Fill `c` with the defaults listed in cs_onset_config (delta_abs = 0: set it with cs_onset_delta_abs). */
void cs_onset_config_default(cs_onset_config *c);

/** delta_abs from the relative delta and a mean flux: (float)((double)(float)delta * (double)(float)mean_flux). */
float cs_onset_delta_abs(double delta, double mean_flux);

/** The parameters in samples and frames at `sample_rate` Hz and `hop` samples; filled by cs_onset_config_check. */
typedef struct cs_onset_plan {
    int hop;
    uint64_t min_len, max_len, pre; /* samples: round(x_s * rate) of the float32 seconds */
    int half;                       /* median half-window M, frames, 1..CS_ONSET_MAX_HALF */
    int refine;                     /* R, frames, 0 or 1 */
} cs_onset_plan;

/**
 * Check `c` for `sample_rate` (Hz, finite, > 0) and `hop` (samples, >= 1) and, when `plan` is not NULL, convert it.
 * Ranges: every value finite; threshold, delta_abs, median_s, pre_s, refine_s >= 0; min_len rounds to >= 1
 * sample; max_len >= 2 * min_len (samples) and <= 2^40 samples; M <= CS_ONSET_MAX_HALF. Returns CS_ONSET_OK or
 * CS_ONSET_E_ARG. Real-time safe.
 */
int cs_onset_config_check(const cs_onset_config *c, float sample_rate, int hop, cs_onset_plan *plan);

/** A detector; lives in caller memory (cs_onset_bytes). */
typedef struct cs_onset cs_onset;

/** Bytes of caller memory one detector needs for `c` at `sample_rate` and `hop` (0 when cs_onset_config_check
 * fails): O(M) floats. Real-time safe. */
size_t cs_onset_bytes(const cs_onset_config *c, float sample_rate, int hop);

/**
 * Place a detector in `mem` (`bytes` >= cs_onset_bytes, aligned to 8 bytes) and set *out. The signal starts at
 * frame 0. Returns CS_ONSET_OK or CS_ONSET_E_ARG. No allocation; O(M).
 */
int cs_onset_init(void *mem, size_t bytes, const cs_onset_config *c, float sample_rate, int hop, cs_onset **out);

/** Back to frame 0, nothing accepted (the parameters stay). Real-time safe, O(1). */
void cs_onset_reset(cs_onset *o);

/**
 * An accepted boundary: `sample` (the event before it is [previous boundary, sample)); `frame` = the candidate
 * frame i of an onset, or the frame after which a forced boundary was decided; `forced` = 1 for a max_len cut.
 */
typedef struct cs_onset_boundary {
    uint64_t sample;
    uint64_t frame;
    int forced;
} cs_onset_boundary;

typedef void (*cs_onset_emit)(void *user, const cs_onset_boundary *b);

/**
 * Feed the next frame's flux and peak (CS_FF_FLUX, CS_FF_PEAK of frame number `cs_onset_frames(o)`). Calls
 * emit(user, b) for every boundary accepted by it, in order (the onset of the previous frame, forced cuts).
 * Non-finite values count as 0 (cs_onset_bad_values counts them). Returns the number of boundaries emitted.
 * Real-time safe; O(M + 1 + hop / max_len).
 */
int cs_onset_push(cs_onset *o, float flux, float peak, cs_onset_emit emit, void *user);

/**
 * End of the signal of n samples (after its n / hop + 1 frames): decides the last frame (no successor) and cuts
 * forced boundaries while the last event would be longer than max_len. Emits as cs_onset_push; the last event is
 * then [cs_onset_last(o), n). Further pushes are refused (return 0) until cs_onset_reset. Real-time safe,
 * O(1 + n_remaining / max_len).
 */
int cs_onset_finish(cs_onset *o, uint64_t n, cs_onset_emit emit, void *user);

/** Every boundary accepted from now on (by push or finish) is >= this sample: the samples before it belong to
 * the events already bounded (or to the open event starting at cs_onset_last). For a host that gathers an event's
 * samples as they come. */
uint64_t cs_onset_settled(const cs_onset *o);
/** 1 when the frame pushed last raised an alarm (above, "Alarms"), else 0 (also NULL, after reset). O(1). */
int cs_onset_alarmed(const cs_onset *o);
/** Frames pushed so far. */
uint64_t cs_onset_frames(const cs_onset *o);
/** The last accepted boundary, samples (0 before the first). */
uint64_t cs_onset_last(const cs_onset *o);
/** Non-finite flux or peak values replaced by 0 since init/reset. */
uint64_t cs_onset_bad_values(const cs_onset *o);
/** The plan (parameters in samples and frames) the detector runs with. */
const cs_onset_plan *cs_onset_get_plan(const cs_onset *o);

#ifdef __cplusplus
}
#endif

#endif
