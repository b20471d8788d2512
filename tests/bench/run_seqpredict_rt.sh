#!/bin/bash
# run_seqpredict_rt.sh - the real-time part of tests/bench/run_seqpredict.sh (its header describes the phases and
# the figures); run it through run_seqpredict.sh, or alone: run_seqpredict_rt.sh [BUILD_DIR] [N] [SECS].
# CS_BENCH_BEFORE=DIR: the plugins of an older build, measured in the same run (servers alternating).
set -u
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(cd "${1:-$SRC/build}" && pwd)
N=${2:-${CS_BENCH_VOICES:-64}}
SECS=${3:-${CS_BENCH_SECONDS:-10}}
BEFORE=${CS_BENCH_BEFORE:-}
export CONCATSEQ=$BUILD/corpus-tools/concatseq CS_SOURCE_DIR=$SRC CS_PLUGIN_DIR=$BUILD/extension/ConcatSeq
export CS_WORK_DIR=$(mktemp -d)
[ -e "$CS_PLUGIN_DIR/SeqPredict.so" ] || { echo "missing $CS_PLUGIN_DIR/SeqPredict.so (build first)" >&2; exit 1; }
if [ -n "$BEFORE" ]; then
    for so in SeqPredict ConcatPlay; do
        [ -e "$BEFORE/$so.so" ] || { echo "CS_BENCH_BEFORE: no $so.so in $BEFORE" >&2; exit 1; }
    done
fi
source "$SRC/tests/sc/sclang_env.bash"
trap 'stop_started; rm -rf "$W"' EXIT
SND=$(a11wlk01) || { echo "a11wlk01.wav not found" >&2; exit 1; }
"$CS" analyze "$SND" -o "$W/c" --segment grain --clusters 16 --quiet || exit 1
L=$("$PY" -c "import json; print(json.load(open('$W/c/corpus.json'))['clustering']['k'])" 2> /dev/null ||
    echo 16)
# the model: GRU H 64, 1 layer, V = the corpus's labels, uniform(-1/8, 1/8) weights, through concatseq import-json
"$PY" - "$W/model.json" "$L" << 'PYEOF'
import json, random, sys
V, H = int(sys.argv[2]), 64
r = random.Random(7)
def t(rows, cols=None):
    n = rows * (cols or 1)
    return {"shape": [rows, cols] if cols else [rows], "data": [r.uniform(-0.125, 0.125) for _ in range(n)]}
tensors = {"embedding.weight": t(V + 1, H), "rnn.weight_ih_l0": t(3 * H, H), "rnn.weight_hh_l0": t(3 * H, H),
           "rnn.bias_ih_l0": t(3 * H), "rnn.bias_hh_l0": t(3 * H), "head.weight": t(V, H), "head.bias": t(V)}
json.dump({"format": "concatseq-model", "format_version": 1,
           "config": {"arch": "gru", "vocab": V, "width": H, "layers": 1, "heads": 0, "context": 0, "d_ff": 0},
           "tensors": tensors}, open(sys.argv[1], "w"))
PYEOF
"$CS" import-json "$W/model.json" -o "$W/model.wav" > /dev/null || exit 1

PHASES="idle play chain chain_ar sp_kr sp_ar"
cat > "$W/cost.scd" << SCD
(
var s = Server.remote(\\bench, NetAddr("127.0.0.1", thisProcess.argv[0].asInteger)), c, m, x;
var phase = { |p| ("PHASE " ++ p).postln };
AppClock.sched(120 + ($SECS * 8), { "WATCHDOG".postln; 3.exit });
Routine { try {
	2.wait; s.initTree; s.sync;
	c = ConcatCorpus.load(s, "$W/c"); s.sync;
	m = Buffer.read(s, "$W/model.wav"); s.sync; 1.wait;
	SynthDef(\\play, { |i = 0| var trig = Impulse.kr(8);
		Out.ar(0, ConcatPlay.ar(1, c, T2A.ar(trig), TIRand.kr(0, $L - 1, trig), dur: 0.1) * 0.01) }).send(s);
	SynthDef(\\chain, { |i = 0| var trig = Impulse.kr(8), label = SeqPredict.kr(m, trig, seed: i);
		Out.ar(0, ConcatPlay.ar(1, c, T2A.ar(trig), label, dur: 0.1) * 0.01) }).send(s);
	SynthDef(\\chain_ar, { |i = 0| var trig = Impulse.ar(8), label = SeqPredict.ar(m, trig, seed: i);
		Out.ar(0, ConcatPlay.ar(1, c, trig, label, dur: 0.1) * 0.01) }).send(s);
	SynthDef(\\sp_kr, { |i = 0| Out.kr(10, SeqPredict.kr(m, Impulse.kr(8), seed: i)) }).send(s);
	SynthDef(\\sp_ar, { |i = 0| Out.ar(2, SeqPredict.ar(m, Impulse.ar(8), seed: i)) }).send(s);
	s.sync;
	[\\idle, \\play, \\chain, \\chain_ar, \\sp_kr, \\sp_ar].do { |p|
		x = if(p == \\idle) { [] } { $N.collect { |i| Synth(p, [\\i, i + 1], s) } }; s.sync; 2.wait;
		phase.(p); $SECS.wait; phase.(p ++ "_end");
		x.do(_.free); s.sync; 0.5.wait };
	"COST DONE".postln; 0.exit;
} { |e| e.reportError; "FAILED".postln; 1.exit } 
}.play(AppClock);
)
SCD

# measure PLUGIN_PATH TAG: one server with these plugins, every phase; writes $W/cpu.TAG (phase rate per line)
measure() {
    local plugins=$1 tag=$2 port spid lpid ph t0 c0 t1 c1 hz
    port=$(free_port)
    scsynth -u "$port" -U "$plugins" -i 0 -o 4 -R 0 -l 4 -m 262144 -z 64 > "$W/scsynth.$tag.log" 2>&1 &
    spid=$!
    STOP_PIDS+=("$spid")
    for _ in $(seq 50); do grep -q "server ready" "$W/scsynth.$tag.log" && break; sleep 0.2; done
    grep -q "server ready" "$W/scsynth.$tag.log" || { cat "$W/scsynth.$tag.log" >&2; return 1; }
    HOME="$HOME_FOR_SCLANG" XDG_DATA_HOME="$HOME_FOR_SCLANG/.local/share" XDG_CONFIG_HOME="$HOME_FOR_SCLANG/.config" \
        timeout -k 5 $((SECS * 8 + 140)) sclang -l "$CONF" "$W/cost.scd" "$port" > "$W/cost.$tag.log" 2>&1 < /dev/null &
    lpid=$!
    hz=$(getconf CLK_TCK)
    : > "$W/cpu.$tag"
    for ph in $PHASES; do
        for _ in $(seq 4000); do
            grep -q "PHASE $ph\$" "$W/cost.$tag.log" && break
            kill -0 "$lpid" 2> /dev/null || { tail -20 "$W/cost.$tag.log" >&2; return 1; }
            sleep 0.05
        done
        t0=$(date +%s.%N) c0=$(awk '{ print $14 + $15 }' "/proc/$spid/stat")
        for _ in $(seq 8000); do
            grep -q "PHASE ${ph}_end" "$W/cost.$tag.log" && break
            kill -0 "$lpid" 2> /dev/null || { tail -20 "$W/cost.$tag.log" >&2; return 1; }
            sleep 0.05
        done
        t1=$(date +%s.%N) c1=$(awk '{ print $14 + $15 }' "/proc/$spid/stat")
        awk -v p="$ph" -v hz="$hz" -v a="$c0" -v b="$c1" -v s="$t0" -v e="$t1" \
            'BEGIN { printf "%s %.6f\n", p, (b - a) / hz / (e - s) }' >> "$W/cpu.$tag"
    done
    wait "$lpid"
    grep -q "COST DONE" "$W/cost.$tag.log" || { tail -20 "$W/cost.$tag.log" >&2; return 1; }
    if grep -q "SeqPredict:\|ConcatPlay:" "$W/scsynth.$tag.log"; then grep -m3 "SeqPredict:\|ConcatPlay:" "$W/scsynth.$tag.log" >&2; fi
    kill "$spid" 2> /dev/null
    wait "$spid" 2> /dev/null
    return 0
}

start_jack bench_seqp
mkdir -p "$W/before"
[ -n "$BEFORE" ] && ln -sf "$BEFORE/SeqPredict.so" "$BEFORE/ConcatPlay.so" "$W/before/"
runs="new1"
[ -n "$BEFORE" ] && runs="new1 before1 new2 before2"
for r in $runs; do
    case $r in
    new*) measure "$SYS_PLUGINS:$PLUGIN_DIR" "$r" || exit 1 ;;
    before*) measure "$SYS_PLUGINS:$W/before" "$r" || exit 1 ;;
    esac
done
stop_started

echo "== SeqPredict -> ConcatPlay on a real-time scsynth (dummy JACK, 48 kHz, block 64), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "a11wlk01 grains, $L labels; GRU H 64, 1 layer; $N voices, 8 triggers/s each; ${SECS} s per phase; % of one core per voice"
# report TAGS...: per-voice figures of the median of the runs with these tags
report() {
    cat "${@/#/$W/cpu.}" | awk -v n="$N" -v label="$1" '
        { v[$1] = v[$1] " " $2 }
        END {
            split("idle play chain chain_ar sp_kr sp_ar", order, " ")
            for (i = 1; i <= 6; i++) {
                k = split(v[order[i]], a, " ")
                for (p = 2; p <= k; p++) for (q = p; q > 1 && a[q - 1] > a[q]; q--) { t = a[q]; a[q] = a[q - 1]; a[q - 1] = t }
                m[order[i]] = (k % 2) ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
            }
            printf "%-8s server idle %.3f %% of a core; per voice:", label, 100 * m["idle"]
            for (i = 2; i <= 6; i++) printf " %s %.4f", order[i], 100 * (m[order[i]] - m["idle"]) / n
            printf "; SeqPredict in a voice (chain - play) %.4f\n", 100 * (m["chain"] - m["play"]) / n
        }'
}
for f in "$W"/cpu.*; do
    echo "  run $(basename "$f" | cut -d. -f2): $(tr '\n' ' ' < "$f")"
done
if [ -n "$BEFORE" ]; then
    report new1 new2 | sed 's/^new1/after /'
    report before1 before2 | sed 's/^before1/before/'
else
    report new1 | sed 's/^new1/after /'
fi
