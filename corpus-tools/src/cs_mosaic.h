/*
 * cs_mosaic.h - `concatseq mosaic BUNDLE TARGET -o OUT.wav`: the corpus follows a target recording offline.
 *
 * The target is decoded (cs_audio: any libsndfile format, resampled to the corpus rate, mixed to mono) and then
 * runs, block by block (--block, default 64 samples), through the core code of the synth
 *     in = PlayBuf(target); l = ConcatListen.kr(in, corpus, mode, descriptors);
 *     label = SeqPredict.kr(model, trig(l), temperature, seed, corpus, target(l), guidance)   (with --model)
 *     ConcatPlay.ar(channels, corpus, trig(l), label, select: nearest, seed, target: target(l))
 * in the server's order: each UGen's constructor, then per block ConcatListen (plugins/core/cs_concatlisten.h:
 * the streaming listener of `concatseq analyze`, the corpus's normalisation, the nearest label), SeqPredict
 * (plugins/core/cs_seqpredict.h: bound and processed at control rate exactly as plugins/SeqPredict does, its
 * corpus binding and guidance included) and ConcatPlay (plugins/core/cs_concatplay.h + cs_player.h), each reading
 * what the ones before wrote. So an NRT render of that synth gives the same samples (tests/sc/mosaic_nrt.sh checks
 * it bit for bit). Units heard in the silence after the target are not played (the trigger is held down) and the
 * render ends when the last voice is silent. Defaults, options and the report: the command's --help and README.md
 * ("Play with a performer").
 *
 * Offline code: allocates, reads and writes files. The output is written to a temporary file beside OUT and
 * renamed into place when complete (no half-written file); the same inputs and seed give the same bytes.
 */
#ifndef CS_MOSAIC_H
#define CS_MOSAIC_H

/** `concatseq mosaic` (argv[0] is the subcommand name); the process exit status (0 ok, 1 error). */
int cs_cmd_mosaic(int argc, char **argv);

#endif
