/*
 * cs_player.h - ConcatPlay's player: grain voices that play corpus units, the voice pool, the triggers and the
 * gapless chain. (The UGen's Buffer handling around it is cs_concatplay.h.)
 *
 * The player owns a FIXED VOICE POOL placed in caller memory (kissfft style: ask cs_player_size(), hand over
 * that many bytes to cs_player_init(); nothing is allocated afterwards). Up to `max_voices` voices play at once
 * (1 .. CS_GRAIN_MAX_VOICES, ConcatPlay's default CS_GRAIN_DEFAULT_VOICES); CS_GRAIN_STEAL_SLOTS more slots hold
 * voices that are fading out after being stolen.
 *
 * A voice plays one unit of an interleaved float audio array (the corpus audio Buffer):
 *   - Position: an exact 64-bit integer frame plus a 64-bit fraction (64.64 fixed point, as is usual in
 *     samplers), so corpora far beyond 2^24 (and 2^53) frames play at full precision and the position update is
 *     two integer additions. The increment |rate| * corpus rate / output rate is rounded once to 2^-64 frames.
 *     Forward (rate > 0) the first output sample is the unit's first frame; backwards (rate < 0) it is the
 *     unit's LAST frame, and the read position moves down.
 *   - Interpolation: 4-point, 3rd-order Hermite in Niemitalo's "x-form" (Catmull-Rom; the same formula as
 *     SuperCollider's cubicinterp; O. Niemitalo, "Polynomial Interpolators for High-Quality Resampling of
 *     Oversampled Audio", 2001). Neighbour frames outside the unit are read from the corpus (the audio around
 *     the unit); outside the audio array they are 0.
 *   - Length: round(|unit frames| / increment) output samples, or dur seconds when dur > 0 (a longer grain
 *     reads on past the unit into the corpus). At least CS_GRAIN_MIN_SAMPLES.
 *   - Envelope: attack A samples, sustain 1, release R samples (A + R fitted into the length, in proportion,
 *     when they do not fit). Shapes (k = 0 .. A-1 in the attack, j = 0 .. R-1 in the release):
 *       CS_ENV_RAISED_COSINE  attack 0.5 - 0.5 cos(pi k / A),  release 0.5 + 0.5 cos(pi j / R)   (Hann halves)
 *       CS_ENV_EQUAL_POWER    attack sin(pi/2 k / A),          release cos(pi/2 j / R)
 *     Triggered grains use raised cosine; units of a gapless chain use equal power, and where two units abut the
 *     outgoing release and the incoming attack have the same length and are sample-aligned, so
 *     attack^2 + release^2 = 1 through the crossfade. In a chain the crossfade is centred on the boundary: a
 *     unit's release R (at most half its length) runs from R/2 samples before its end to R - R/2 after it
 *     (reading the corpus after the unit), and the next unit's voice starts R/2 samples before its first frame
 *     (a pre-roll reading the corpus before it; 0 outside the audio), so that first frame sounds exactly one
 *     unit length (at the rate, or dur) after the previous unit's: the corpus's own tempo. The segments are computed
 * with a second-order sinusoid recursion in double precision (as SuperCollider's GrainBuf does), not a table.
 *   - Pan, equal power: 1 output: no pan. 2 outputs: as Pan2 (pan -1 = left .. +1 = right,
 *     left = cos((pan+1) pi/4), right = sin((pan+1) pi/4)). N >= 3 outputs: as PanAz with width 2 and
 *     orientation 0 (pan 0 = channel 0, each 2/N further = the next channel, wrapping at 2; adjacent channels
 *     get cos/sin of the fraction * pi/2). When the corpus has as many channels as the output (> 1) each corpus
 *     channel goes to its own output and pan is ignored; otherwise a multichannel corpus is mixed to mono (mean)
 *     and panned.
 *   - Voice stealing: when max_voices voices play and another unit starts, the OLDEST playing voice (earliest
 *     start) is not cut but faded linearly to 0 from its current gain over CS_GRAIN_STEAL_FADE_S seconds
 *     (2 ms) in a steal slot. If all steal slots are busy too, the fading voice closest to its end is replaced.
 *
 * The player adds the trigger logic and the gapless scheduler (see cs_player_process):
 *   - A unit starts at every positive-going trigger (previous sample <= 0, this one > 0), sample-accurately
 *     when the trigger input has one value per sample.
 *   - Gapless chain: while `gapless` > 0, the next unit's voice starts (with the label read at that very
 *     sample) where the current one's release begins, half a crossfade before the current unit's end, so its
 *     first frame sounds at the end (see the envelope above): onsets are unit lengths apart, the corpus's own
 *     rhythm. A trigger restarts the chain from the unit it starts (no pre-roll, its own attack). The chain
 *     begins at the sample where gapless becomes > 0; if a unit cannot start (bad or empty label, label -1 =
 *     rest, bad unit) it retries at every following sample (an O(1) check) and resumes the moment the label is
 *     valid, again without pre-roll.
 *   - Labels (cs_label.h): 0 .. num_labels-1; CS_LABEL_NONE (-1, i.e. [-1, 0)) rests: nothing starts, status
 *     CS_SELECT_REST, not an error; CS_LABEL_ANY (-2, and anything below) chooses among all units.
 *   - A unit table or audio Buffer written after validation (/b_set while playing): every index read from the
 *     table is range-checked where it is used (cs_unit_table.h, cs_select.h), a chosen unit whose frames leave
 *     the audio fails with CS_SELECT_E_TABLE_DATA, and non-finite output samples become 0.
 *   - "next" gate: in a chain, the next output goes to 1 at max(next start - lead, start + (next start - start)/2)
 *     and back to 0 at the next start. Its rising edge comes exactly once per unit, `lead` seconds (or half the
 *     unit's step, if shorter) before the next unit reads its label: enough for SeqPredict to step through a
 *     one-block LocalIn/LocalOut loop when lead >= 2 blocks.
 *   - At most CS_PLAYER_MAX_STARTS unit starts per process call (further triggers in that call are dropped and
 *     counted), so the worst block stays bounded.
 *
 * Every cs_player_* and cs_grain_* function is real-time safe: no allocation, no I/O, no locks; process is
 * O(n * voices * channels + starts * selection cost).
 */
#ifndef CS_PLAYER_H
#define CS_PLAYER_H

#include "cs_select.h"
#include "cs_unit_table.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CS_GRAIN_DEFAULT_VOICES 64
#define CS_GRAIN_MAX_VOICES     1024
#define CS_GRAIN_STEAL_SLOTS    16
#define CS_GRAIN_STEAL_FADE_S   0.002 /* fade of a stolen voice, seconds */
#define CS_GRAIN_MAX_OUTPUTS    64    /* output channels */
#define CS_GRAIN_MIN_SAMPLES    4     /* shortest grain, output samples */
#define CS_GRAIN_MIN_RATE       (1.0 / 64.0)
#define CS_GRAIN_MAX_RATE       64.0
#define CS_GRAIN_MAX_AMP        64.0
#define CS_GRAIN_MAX_DUR_S      600.0 /* longest duration override, seconds */
#define CS_GRAIN_MAX_FADE_S     10.0  /* longest attack/release/lead, seconds */
#define CS_PLAYER_MAX_STARTS    256   /* unit starts per process call */

/** Envelope shapes (see the top of this file). */
enum cs_env_shape { CS_ENV_RAISED_COSINE = 0, CS_ENV_EQUAL_POWER = 1 };

/**
 * 4-point 3rd-order Hermite (x-form) between y1 (x = 0) and y2 (x = 1); y0, y3 are the outer neighbours.
 * Exact for polynomials of degree <= 1 (up to float rounding). RT-safe.
 */
static inline float cs_grain_cubic(float x, float y0, float y1, float y2, float y3)
{
    const float c0 = y1;
    const float c1 = 0.5f * (y2 - y0);
    const float c2 = y0 - 2.5f * y1 + 2.0f * y2 - 0.5f * y3;
    const float c3 = 0.5f * (y3 - y0) + 1.5f * (y1 - y2);
    return ((c3 * x + c2) * x + c1) * x + c0;
}

/**
 * Equal-power pan gains for `num_out` outputs (law above): the voice feeds channels *ca and *cb with gains
 * *ga and *gb (*gb = 0 and *cb = *ca for one output). Non-finite pan acts as 0; for 2 outputs pan is clamped
 * to [-1, 1]; for N >= 3 it wraps. RT-safe (libm sin/cos).
 */
void cs_grain_pan(uint32_t num_out, double pan, uint32_t *ca, uint32_t *cb, float *ga, float *gb);

/** Parameters of one grain, already chosen (the player clamps its inputs into these). */
typedef struct cs_grain_params {
    uint64_t start;  /* first frame of the unit in the audio array */
    uint64_t length; /* frames of the unit, >= 1 */
    double inc;      /* frames per output sample, signed (negative = backwards), |inc| in (0, 4096] */
    float amp;       /* linear gain */
    double pan;      /* see cs_grain_pan */
    int64_t samples; /* output length in samples (>= CS_GRAIN_MIN_SAMPLES) */
    int64_t attack;  /* attack samples (fitted by the player: attack + release <= samples) */
    int64_t release; /* release samples */
    int shape;       /* enum cs_env_shape */
    int32_t unit;    /* unit index, for reporting */
} cs_grain_params;

/** One voice. Plain data; lives in the pool. */
typedef struct cs_grain_voice {
    int64_t ipos;    /* integer read frame (may leave the unit; reads outside the audio give 0) */
    uint64_t frac;   /* fraction of a frame, in units of 2^-64 */
    int64_t inc_int; /* frames per output sample = inc_int + inc_frac / 2^64 (64.64 fixed point) */
    uint64_t inc_frac;
    int64_t remaining;         /* output samples left */
    int64_t stage_left;        /* samples left in the envelope stage */
    int64_t release;           /* release samples */
    double ea, eb, b1, y1, y2; /* envelope = ea + eb * y1; y <- b1 * y1 - y2 */
    double rel_cos;            /* cos of the release recursion step */
    uint64_t serial;           /* start order: smaller = older */
    float ga, gb;              /* pan gains times amp */
    uint32_t ca, cb;           /* output channels */
    int32_t unit;
    uint8_t stage; /* 0 attack, 1 sustain, 2 release, 3 steal fade */
    uint8_t shape;
    uint8_t stolen;
    uint32_t offset; /* first sample of the pending render segment this voice plays (it started there) */
} cs_grain_voice;

/** Player inputs in ConcatPlay's order after the two buffers (the shim maps its inputs onto these). */
enum cs_player_input {
    CS_PIN_TRIG = 0, /* > 0 after <= 0: start a unit */
    CS_PIN_LABEL,    /* label to choose from; [-1, 0) rest; < -1 any (cs_label.h); read at each start */
    CS_PIN_UNIT,     /* >= 0: play this unit (overrides label); read at each start */
    CS_PIN_RATE,     /* playback rate; negative = backwards */
    CS_PIN_AMP,      /* linear gain */
    CS_PIN_ATTACK,   /* seconds */
    CS_PIN_RELEASE,  /* seconds (also the crossfade in a gapless chain) */
    CS_PIN_SELECT,   /* enum cs_select_policy */
    CS_PIN_PAN,      /* see cs_grain_pan */
    CS_PIN_DUR,      /* seconds; <= 0: the unit's own length at this rate */
    CS_PIN_GAPLESS,  /* > 0: gapless chain */
    CS_PIN_LEAD,     /* seconds: how long before a chained start the next gate rises */
    CS_PLAYER_NUM_INPUTS
};

/** One process call's inputs and outputs. Inputs: `in[i]` holds n values if step[i] == 1, one if 0. */
typedef struct cs_player_io {
    const float *in[CS_PLAYER_NUM_INPUTS];
    uint32_t step[CS_PLAYER_NUM_INPUTS];
    float *const *out;  /* num_out channel arrays of n samples; overwritten */
    float *unit_out;    /* n samples: index of the last unit started, -1 before any (may be NULL) */
    float *next_out;    /* n samples: the next gate, 0 or 1 (may be NULL) */
    const float *audio; /* interleaved corpus audio, audio_frames x audio_channels; NULL = no corpus */
    uint64_t audio_frames;
    uint32_t audio_channels;
    const cs_ut_view *table;        /* validated unit table, NULL = none */
    const cs_select_target *target; /* NEAREST target, may be NULL */
} cs_player_io;

/** The player. Allocated by cs_player_init in caller memory; fields are read-only for callers. */
typedef struct cs_player {
    uint32_t max_voices, capacity, num_out, active, playing;
    double sample_rate;     /* output rate, Hz */
    int64_t steal_fade;     /* samples */
    cs_grain_voice *voices; /* capacity slots; [0, active) in use */
    uint64_t now;           /* samples processed so far */
    uint64_t serial;
    cs_select_state select;
    cs_select_lru *lru; /* may be NULL */
    float prev_trig, prev_gapless, unit_value;
    int chain;           /* gapless chain running */
    uint64_t next_start; /* absolute sample of the next chained start */
    uint64_t raise_at;   /* absolute sample where the next gate rises */
    int64_t xfade;       /* attack of the next chained unit (= release of the current one), samples */
    int64_t xfade_pre;   /* the part of it before the next unit's first frame (its pre-roll), samples */
    uint64_t last_onset; /* absolute sample at which the last unit started's first frame sounds */
    int last_status;     /* cs_select_status of the last start attempt (0 after a successful one, REST for -1) */
    float last_value;    /* the label or unit value that failed */
    uint64_t dropped;    /* starts dropped by CS_PLAYER_MAX_STARTS */
    uint64_t starts;     /* units started */
} cs_player;

/**
 * Bytes needed for a player with `max_voices` (1 .. CS_GRAIN_MAX_VOICES) and `num_out`
 * (1 .. CS_GRAIN_MAX_OUTPUTS) outputs; 0 if out of range. O(1).
 */
size_t cs_player_size(uint32_t max_voices, uint32_t num_out);

/**
 * Place a player in `mem` (`size` >= cs_player_size, aligned for double). sample_rate: output rate in Hz
 * (> 0, finite); seed: selection seed. Returns NULL on bad arguments. No allocation; O(1); RT-safe.
 */
cs_player *cs_player_init(void *mem, size_t size, uint32_t max_voices, uint32_t num_out, double sample_rate,
                          uint64_t seed);

/** Attach (or detach with NULL) LRU lists matching the current table. Also forgets the last unit. O(1). */
void cs_player_set_lru(cs_player *p, cs_select_lru *lru);

/** Fade every voice out over the steal fade and stop the gapless chain (e.g. when the corpus changes). O(voices). */
void cs_player_release_all(cs_player *p);

/**
 * Compute n output samples (any n >= 1; the result does not depend on how a stream is cut into calls).
 * With io->audio or io->table NULL: outputs silence, drops all voices and stops the chain (triggers are still
 * tracked). Inputs are clamped: non-finite rate -> 1, |rate| to [CS_GRAIN_MIN_RATE, CS_GRAIN_MAX_RATE],
 * non-finite amp -> 0, |amp| <= CS_GRAIN_MAX_AMP, attack/release/lead to [0, CS_GRAIN_MAX_FADE_S] (non-finite
 * -> 0), dur to [0, CS_GRAIN_MAX_DUR_S], select to [0, CS_SELECT_NUM_POLICIES - 1]; label/unit values are
 * floored; a non-finite or too-large label or unit makes that start fail (p->last_status, p->last_value), it never
 * indexes out of range; label -1 rests (p->last_status = CS_SELECT_REST). Non-finite output samples are 0.
 * Returns the number of starts that failed in this call. RT-safe; bounded by n, voices and
 * CS_PLAYER_MAX_STARTS.
 */
int cs_player_process(cs_player *p, const cs_player_io *io, uint32_t n);

#ifdef __cplusplus
}
#endif

#endif
