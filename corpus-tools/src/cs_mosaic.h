/*
 * cs_mosaic.h - `concatseq mosaic BUNDLE TARGET -o OUT.wav`: the corpus follows a target recording offline.
 *
 * Two stages, both documented in the command's --help and in README.md ("Play with a performer"):
 *
 *  1. Listening: the target is decoded (cs_audio: any libsndfile format, resampled to the corpus rate, mixed to
 *     mono) and cut into target units as the corpus was analysed: `frames` (one unit per analysis hop cell),
 *     `grains` (the corpus's own grain length and hop) or `onsets` (the corpus's onset parameters). Each unit's
 *     descriptors are those of `concatseq analyze` (corpus-tools/DESCRIPTORS.md), normalised with the corpus's
 *     statistics (raw - center) / scale in float32 as the unit table stores them, and become known at the sample
 *     where their analysis is complete (mosaic_event.at).
 *  2. Rendering, block by block as scsynth runs the synth {ConcatListen -> SeqPredict -> ConcatPlay}: the
 *     block in which a target unit becomes known holds the trigger (1 for that control block, 0 after); with
 *     --model, the core SeqPredict logic (plugins/core/cs_seqpredict.h, bound and processed at control rate
 *     exactly as plugins/SeqPredict does) steps on it and chooses the label; ConcatPlay's core
 *     (plugins/core/cs_concatplay.h + cs_player.h) starts a unit at that block, chosen by --select (default
 *     nearest: the unit nearest to the target unit's normalised descriptors, within the label, or among all
 *     units without a model). The output has the corpus's channel count at the corpus rate.
 *
 * Offline code: allocates, reads and writes files. The output is written to a temporary file beside OUT and
 * renamed into place when complete (no half-written file); the same inputs and seed give the same bytes.
 */
#ifndef CS_MOSAIC_H
#define CS_MOSAIC_H

#include <stddef.h>
#include <stdint.h>

/** Target segmentation modes, the values of ConcatListen's `mode` input (issue 10). */
enum cs_mosaic_mode { CS_MOSAIC_FRAMES = 0, CS_MOSAIC_ONSETS = 1, CS_MOSAIC_GRAINS = 2 };

/** One target unit as the listener reports it. */
typedef struct cs_mosaic_event {
    uint64_t at;            /* sample (at the corpus rate) at which the unit is complete: its trigger's block */
    uint64_t start, length; /* the unit in the target, samples */
    float *target;          /* the bundle's num_descriptors normalised descriptors (owned by the event list) */
} cs_mosaic_event;

/** `concatseq mosaic` (argv[0] is the subcommand name); the process exit status (0 ok, 1 error). */
int cs_cmd_mosaic(int argc, char **argv);

#endif
