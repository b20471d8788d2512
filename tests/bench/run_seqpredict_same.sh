#!/bin/bash
# run_seqpredict_same.sh - SeqPredict's outputs with this build's plugins against an older build's, byte for byte
# (issue 12 item 7: the per-block work was cut without changing a sample). One NRT score of 30 s at 48 kHz, six
# SeqPredict units in one synth (RandSeed.ir first, so the noise and the seed -1 fallback are the same in every
# run): .krInfo plain with a moving temperature; .arInfo with top-k 5, top-p 0.9, penalty 1.3, audio-rate resets;
# .arInfo primed by a stepped noise (in and out of range) with control-rate resets and seed -1; .krInfo stepped
# by an audio-rate trigger (Dust + Impulse) with top-p 0.5; .krInfo whose trigger is an audio-rate pulse times a
# stepped noise (negative and positive values); .arInfo with a corpus, a moving target, guidance 5 and the label cache 0.3. All
# 18 outputs (label, probability, entropy each) are compared: "BYTE-IDENTICAL" or "DIFFERENT" (per channel counts).
# The model: concatseq train --arch gru --epochs 2 on the a11wlk01 grains (16 labels).
# usage: tests/bench/run_seqpredict_same.sh BEFORE_DIR [BUILD_DIR]   (BEFORE_DIR: the older SeqPredict.so, ConcatPlay.so)
set -u
BEFORE=$(cd "${1:?usage: run_seqpredict_same.sh BEFORE_DIR [BUILD_DIR]}" && pwd)
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(cd "${2:-$SRC/build}" && pwd)
export CS_SOURCE_DIR=$SRC CS_PLUGIN_DIR=$BUILD/extension/ConcatSeq CONCATSEQ=$BUILD/corpus-tools/concatseq
export CS_WORK_DIR=$(mktemp -d)
source "$SRC/tests/sc/sclang_env.bash"
SND=$(a11wlk01)
"$CS" analyze "$SND" -o "$W/c" --segment grain --clusters 16 --quiet || exit 1
"$CS" train "$W/c" -o "$W/m.wav" --arch gru --epochs 2 --seed 1 > /dev/null 2>&1 || exit 1
cat > "$W/s.scd" <<SCD
(
var c = ConcatCorpus.open("$W/c"), load = c.scoreLoadCommands(nil, 0.0, 0, 1);
var def = SynthDef(\\id, {
	var seedit = RandSeed.ir(1, 1234);
	var tk = Impulse.kr(7.3), ta = Dust.ar(40) + Impulse.ar(3), rk = Impulse.kr(0.37), ra = Impulse.ar(0.41);
	var a = SeqPredict.krInfo(2, tk, LFNoise0.kr(2).range(0.3, 1.5), seed: 3);
	var b = SeqPredict.arInfo(2, ta, 0.9, topK: 5, topP: 0.9, reset: ra, seed: 4, repetitionPenalty: 1.3, historyLen: 6);
	var d = SeqPredict.arInfo(2, ta, 1, prime: LFNoise0.ar(3).range(-3, 18).floor, reset: rk, seed: -1);
	var e = SeqPredict.krInfo(2, ta, 1.2, topP: 0.5, reset: rk, seed: 5);
	var f = SeqPredict.krInfo(2, K2A.ar(tk) * LFNoise0.ar(50), 0.8, topK: 3, seed: 6);
	var g = SeqPredict.arInfo(2, ta, 1, seed: 7, corpus: c, target: [0, LFNoise1.kr(1)], guidance: 5, cache: 0.3);
	Out.ar(0, K2A.ar(a) ++ b ++ d ++ K2A.ar(e) ++ K2A.ar(f) ++ g);
});
Score([[0.0] ++ load.collect(_[1]) ++ [[\\b_allocRead, 2, "$W/m.wav", 0, -1], [\\d_recv, def.asBytes], [\\s_new, \\id, 1000, 0, 0]], [30.0, [\\c_set, 0, 0]]]).writeOSCFile("$W/id.osc");
"SCORE OK".postln; 0.exit;
)
SCD
run_sclang 60 "$W/s.scd"; grep -q "SCORE OK" "$W/sclang.log" || { cat "$W/sclang.log"; exit 1; }
timeout 200 scsynth -N "$W/id.osc" _ "$W/new.wav" 48000 WAV float -o 18 -U "$SYS_PLUGINS:$PLUGIN_DIR" > "$W/new.log" 2>&1
timeout 200 scsynth -N "$W/id.osc" _ "$W/new2.wav" 48000 WAV float -o 18 -U "$SYS_PLUGINS:$PLUGIN_DIR" > "$W/new2.log" 2>&1; same_samples "$W/new.wav" "$W/new2.wav" && echo "new twice: identical"
timeout 200 scsynth -N "$W/id.osc" _ "$W/old.wav" 48000 WAV float -o 18 -U "$SYS_PLUGINS:$BEFORE" > "$W/old.log" 2>&1
grep -i "seqpredict\|error\|fail" "$W/new.log" | head -3
"$PY" - "$W" "$SRC" <<'PY'
import sys, numpy as np
sys.path.insert(0, sys.argv[2] + "/tests/scripts")
from wavio import read_wav
a = read_wav(sys.argv[1] + "/new.wav")[0]; b = read_wav(sys.argv[1] + "/old.wav")[0]
print("shape", a.shape, b.shape, "identical:", a.shape == b.shape and a.tobytes() == b.tobytes())
for ch in range(a.shape[1]):
    l = a[:, ch]
    print(ch, "changes", int(np.sum(np.diff(l) != 0)), "distinct", len(set(l.tolist())), "differ", int(np.sum(a[:, ch] != b[:, ch])))
PY
if same_samples "$W/new.wav" "$W/old.wav"; then echo "BYTE-IDENTICAL"; else echo "DIFFERENT"; exit 1; fi
