#!/usr/bin/env bash
# run_seqpredict.sh - SeqPredict's cost, two parts (CS_BENCH_PART=nrt | rt | all, default all).
#
# Part rt (issue 12 item 7: the cost of a voice on a real-time server): a real-time scsynth on a private dummy JACK
# server (tests/sc/sclang_env.bash's start_jack: 48 kHz, period 256; scsynth's block 64), the a11wlk01 corpus
# (grains, 16 labels) and a GRU (H 64, 1 layer, V 16, random weights). Phases of SECS seconds each (default 10),
# N voices each (default 64), the scsynth process's CPU time (utime + stime of /proc/PID/stat) sampled at each
# phase's start and end:
#   idle     no synth (the server's own cost: the baseline of every phase)
#   play     trig = Impulse.kr(8) -> ConcatPlay.ar(1, corpus, T2A.ar(trig), TIRand.kr(0, 15, trig), dur 0.1)
#   chain    the same with the label from SeqPredict.kr(model, trig, seed: i): a voice as the help builds it
#   chain_ar trig = Impulse.ar(8) -> SeqPredict.ar(model, trig, seed: i) -> ConcatPlay.ar(1, corpus, trig, label)
#   sp_kr    SeqPredict.kr(model, Impulse.kr(8), seed: i) -> Out.kr alone;  sp_ar: the .ar one alone
# per voice = (phase - idle) / SECS / N, printed as % of one core (target for chain <= 0.1 %); SeqPredict's share
# of a voice = chain - play; the phases run CS_BENCH_REPS times (default 2), medians shown. With
# CS_BENCH_BEFORE=DIR (a folder holding the ConcatPlay.so and SeqPredict.so of an older build) a second server with
# those plugins runs AT THE SAME TIME, the same phases driven by the same sclang, the same sclang classes: "before"
# and "after" under the same machine load, each server's own CPU time, their ratio printed per phase.
#
# Part nrt (below): SeqPredict's cost per step inside scsynth (NRT), beside the C benchmark's figure for the
# same model shape (bench_model_step: gru_h64_v64 = GRU, H 64, 1 layer, V 64; random weights).
#
# Two NRT renders of the same length, each repeated REPS times, interleaved (the least CPU time counts: user + sys
# of the scsynth process, never wall time, which the other users of the machine inflate by 2x and more):
#   with:     Impulse.ar(SampleRate.ir / 4) -> SeqPredict.ar(model, trig, temperature 1, seed 1) -> Out
#   baseline: Impulse.ar(SampleRate.ir / 4) -> Out (the same graph without SeqPredict)
# per step = (with - baseline) / steps, where steps = triggers (one every 4 samples, 16 per 64-sample block,
# within the per-block budget for this model: 48 steps per 64 samples). With CS_BENCH_BEFORE=DIR the "with" score is
# also rendered with DIR's SeqPredict.so in the same rounds (per step before, and after / before).
# C figure = median cs_model_step (warm: a random token each step) + median cs_sample (plain, on one step's logits)
# from bench_model_step, the two calls a SeqPredict step makes, without the UGen around them (a lower bound). Also
# the UGen's own per-block code outside scsynth on the same model file (tests/c/test_seqpredict_logic --bench:
# cs_seqp_bind + cs_seqp_process, 64-sample blocks, sampled tokens, process CPU time). Prints all three and the
# ratios.
# Usage: tests/bench/run_seqpredict.sh [BUILD_DIR] [STEPS] [REPS]
#   (rt part: CS_BENCH_VOICES, CS_BENCH_SECONDS, CS_BENCH_BEFORE; CS_BENCH_PART=rt skips the nrt part)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
src="$(cd "$here/../.." && pwd)"
build="$(cd "${1:-build}" && pwd)"
steps="${2:-200000}"
reps="${3:-3}"
part="${CS_BENCH_PART:-all}"
if [ "$part" != nrt ]; then bash "$here/run_seqpredict_rt.sh" "$build"; fi
[ "$part" = rt ] && exit 0
cs="$build/corpus-tools/concatseq"
bench="$build/tests/bench/bench_model_step"
logic="$build/tests/test_seqpredict_logic"
plugins="/usr/lib/SuperCollider/plugins:$build/extension/ConcatSeq"
for f in "$cs" "$bench" "$logic" "$build/extension/ConcatSeq/SeqPredict.so"; do
    [ -e "$f" ] || { echo "missing $f (build the project first)" >&2; exit 1; }
done
w="$(mktemp -d)"
trap 'rm -rf "$w"' EXIT
export QT_QPA_PLATFORM=offscreen XDG_RUNTIME_DIR="$w/xdg"
mkdir -p "$w/xdg" && chmod 700 "$w/xdg"
[ "$(id -u)" = 0 ] && export QTWEBENGINE_DISABLE_SANDBOX=1
printf 'includePaths:\n  - %s/sc-classes\nexcludePaths:\n  []\npostInlineWarnings: false\n' "$src" > "$w/conf.yaml"

# the model: GRU H 64, 1 layer, V 64, uniform(-1/8, 1/8) weights, through concatseq import-json
/usr/bin/python3 "$here/seqpredict_model.py" "$w/model.json" 64
"$cs" import-json "$w/model.json" -o "$w/model.wav" > /dev/null

rate=48000
secs=$(awk -v s="$steps" -v r="$rate" 'BEGIN { printf "%.6f", (s * 4) / r }')
cat > "$w/score.scd" <<SCD_EOF
(
var server = Server(\\bench, NetAddr("127.0.0.1", 57197), ServerOptions.new.numOutputBusChannels_(1));
AppClock.sched(60, { 3.exit });
[\\with, \\baseline].do { |kind|
	var def = SynthDef(\\bench, { |model = 0|
		var trig = Impulse.ar(SampleRate.ir / 4);
		Out.ar(0, if(kind == \\with) { SeqPredict.ar(model, trig, 1, seed: 1) } { trig });
	});
	Score([
		[0.0, [\\b_allocRead, 0, "$w/model.wav", 0, -1]],
		[0.0, [\\d_recv, def.asBytes]],
		[0.0, Synth.basicNew(\\bench, server, 1000).newMsg(nil, [\\model, 0])],
		[$secs, [\\c_set, 0, 0]]
	]).writeOSCFile("$w/" ++ kind ++ ".osc");
};
"SCORES WRITTEN".postln;
0.exit;
)
SCD_EOF
timeout 90 sclang -l "$w/conf.yaml" "$w/score.scd" > "$w/sclang.log" 2>&1 < /dev/null || true
grep -q "SCORES WRITTEN" "$w/sclang.log" || { cat "$w/sclang.log" >&2; exit 1; }

cpu_ms() { # CPU time (user + sys, ms) of one render of $1.osc with the plugins $2; the log in $1.log
    local t
    t=$( { TIMEFORMAT='%3U %3S'; time scsynth -N "$w/$1.osc" _ "$w/$1.wav" $rate WAV float -o 1 -i 0 -U "$2" \
        > "$w/$1.log" 2>&1; } 2>&1 )
    awk -v t="$t" 'BEGIN { split(t, a, " "); printf "%.0f", (a[1] + a[2]) * 1000 }'
}
before="${CS_BENCH_BEFORE:-}"
if [ -n "$before" ]; then
    [ -e "$before/SeqPredict.so" ] || { echo "CS_BENCH_BEFORE: no SeqPredict.so in $before" >&2; exit 1; }
    mkdir -p "$w/before" && cp "$before/SeqPredict.so" "$w/before/" && cp "$w/with.osc" "$w/old.osc"
fi
min() { if [ -z "$1" ] || [ "$2" -lt "$1" ]; then echo "$2"; else echo "$1"; fi; }
with_ms="" base_ms="" old_ms=""
for _ in $(seq "$reps"); do
    with_ms=$(min "$with_ms" "$(cpu_ms with "$plugins")")
    base_ms=$(min "$base_ms" "$(cpu_ms baseline "$plugins")")
    [ -n "$before" ] && old_ms=$(min "$old_ms" "$(cpu_ms old "/usr/lib/SuperCollider/plugins:$w/before")")
done
if grep -q "SeqPredict:" "$w/with.log"; then cat "$w/with.log" >&2; exit 1; fi
labels=$(/usr/bin/python3 -c "
import sys; sys.path.insert(0, '$src/tests/scripts'); import wavio, numpy as np
x, _, _, _ = wavio.read_wav('$w/with.wav'); l = x[:, 0]
print(int(np.sum(np.diff(l) != 0)), len(set(l.tolist())))")
"$bench" --quick > "$w/c.txt" 2> /dev/null
c_step=$(awk '$2 == "gru_h64_v64" && $3 == "step_warm" { print $5 }' "$w/c.txt")
c_sample=$(awk '$2 == "gru_h64_v64" && $3 == "sample_plain" { print $5 }' "$w/c.txt")
logic_ns=""
for _ in $(seq "$reps"); do
    x=$("$logic" --bench "$w/model.wav" "$steps" | awk '{ print $2 }')
    if [ -z "$logic_ns" ] || awk -v a="$x" -v b="$logic_ns" 'BEGIN { exit !(a < b) }'; then logic_ns=$x; fi
done
echo "== SeqPredict in scsynth NRT ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))"
echo "model GRU H 64, 1 layer, V 64; $steps steps (a trigger every 4 samples at $rate Hz, ${secs} s), best of $reps"
echo "label changes in the render / distinct labels: $labels"
awk -v w="$with_ms" -v b="$base_ms" -v o="$old_ms" -v s="$steps" -v cs="$c_step" -v cp="$c_sample" -v lg="$logic_ns" 'BEGIN {
    per = (w - b) * 1e6 / s
    c = cs + cp
    printf "render CPU time with SeqPredict %.3f s, baseline %.3f s\n", w / 1e3, b / 1e3
    printf "SeqPredict per step in scsynth: %8.0f ns\n", per
    if (o != "") {
        pold = (o - b) * 1e6 / s
        printf "the same with CS_BENCH_BEFORE'"'"'s SeqPredict.so (render %.3f s): %8.0f ns; after / before %.2f\n", o / 1e3, pold, per / pold
    }
    printf "C core per step (bench_model_step gru_h64_v64: step_warm %.0f + sample_plain %.0f): %8.0f ns\n", cs, cp, c
    printf "SeqPredict logic outside scsynth (same model, same code, best of runs):  %8.0f ns\n", lg
    printf "ratio scsynth / C core benchmark: %.2f\n", per / c
    printf "ratio scsynth / same logic outside scsynth: %.2f\n", per / lg
    printf "ratio logic outside scsynth / C core benchmark: %.2f\n", lg / c
}'
