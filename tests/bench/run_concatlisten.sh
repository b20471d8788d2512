#!/bin/bash
# run_concatlisten.sh - ConcatListen's cost and latency (issue 10).
#
# Cost: a real-time scsynth on a private dummy JACK server (tests/sc/sclang_env.bash's start_jack: 48 kHz, period
# 256; scsynth's block 64), N instances (default 32) of ConcatListen in onset mode listening to a11wlk01 (PlayBuf,
# looped) with a corpus analysed at fft 1024, hop 256, every descriptor output. The CPU time of the scsynth process
# (utime + stime of /proc/PID/stat, as `time` counts it) is sampled over SECS seconds (default 20) with the
# instances running and with the same N PlayBufs alone (the baseline); per instance = (with - baseline) / SECS / N,
# printed as % of one core (target <= 1 %). The server's own average and peak DSP load are printed beside it.
# The peers in the same run, the same way: (1) the hand-built substitute from SuperCollider's own analysis UGens
# (FFT 1024 / hop 256 with Loudness, SpecCentroid, SpecFlatness, SpecPcile, MFCC 13, Onsets, Pitch, ZeroCrossing,
# Amplitude: what a user builds without ConcatListen; it computes neither our descriptors nor our normalisation,
# and labels nothing), N instances; (2) sc3-plugins' Concat2 (live concatenative matching of an input against a
# stored source, its defaults: store 1 s, seek 1 s, match 50 ms), max(1, N / 4) instances (its search is
# heavier). Each peer's per-instance cost is printed beside ConcatListen's, as a ratio.
#
# Latency: NRT at 48 kHz with blocks of 64 and 512 samples: a click train (40 bursts of decaying noise from exact
# silence, at random sample positions) into ConcatListen (mode onsets, then mode attacks: the report at the
# detector's alarm, describing the attack) whose trigger starts ConcatPlay (select nearest,
# attack 0) on the same corpus; latency = the first non-zero output sample after a burst's first sample minus that
# sample; with ConcatListen.kr (the trigger at a control period's start) and ConcatListen.ar (at the sample the
# event was known; ConcatPlay's audio-rate trigger starts the grain there). Prints the worst and the median per
# block size against the target one hop + one block.
# Why the target is missed at block 64 (the same account, with a trial of a detector without look-ahead, is in
# HelpSource/Classes/ConcatListen.schelp, "Latency"): for an attack at sample
# a in the hop cell of frame k (a = k*256 + o, -128 <= o < 128) at fft 1024, hop 256, 48 kHz the chain costs
#   the attack's own frame: frame k's flux and peak are reported at k*256 + 511 = a + 384 .. 639; the boundary is
#     refined onto cell k (the largest peak rise), so no decision can come before it;
#   the detector's one frame of decision (peak picking d(i) >= d(i+1)): + 256 when the flux peaks at frame k
#     itself, a + 640 .. 767;
#   the ended event's last frame complete (YIN context 1023 at f0_min 50 Hz), so that the live descriptors equal
#     the offline ones: for a boundary b at least b - 256 + 1023; for b on cell k (frame k-2 last) k*256 + 511,
#     a + 384 .. 639 again;
#   the server: .ar at the sample the event is known; .kr from the start of that control period (in NRT up to a
#     block earlier).
# So the floor before the server is a + 639 at the worst phase, twice the target 320 (tests/c/test_listener:
# 458 .. 745 from the attack to the event's report). Answering within 320 needs every boundary >= 447 samples
# before its attack (b + 767 <= a + 320), where the detector puts it 240 (pre) .. 495 before; a detector without
# look-ahead gets there only by cutting 1 .. 2.5 hops early (the schelp has the trial: .ar 163 median / 252 worst,
# .kr 100 / 189 at block 64, but the corpus's grains then start as early before their own attacks). With the
# boundaries at the attacks it would take a YIN window <= 512 (f0_min >= 94 Hz) and the cell peak taken from the
# samples (a + 0 .. 255). At block 512 the target (768) is met. Mode attacks keeps the boundaries and the corpus
# as they are and answers at the alarm (the early report of the first or second frame whose window holds the
# attack: a + 0 .. 511 before the server; measured: .ar 252 worst / 163 median, .kr 189 / 100 at block 64), which
# meets the target at both blocks; tests/sc/concatlisten_latency.sh asserts it from this script's printout.
#
# Between the two: bench_concatlisten on the same corpus, the core's mean and worst block (64 and 512 samples) in
# thread CPU time, and the listener's initialisation when a table is bound.
# usage: tests/bench/run_concatlisten.sh [BUILD_DIR] [N] [SECS]   (CS_BENCH_PART=latency: the latency part only)
set -u
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(cd "${1:-$SRC/build}" && pwd)
N=${2:-32}
SECS=${3:-20}
export CONCATSEQ=$BUILD/corpus-tools/concatseq CS_SOURCE_DIR=$SRC CS_PLUGIN_DIR=$BUILD/extension/ConcatSeq
export CS_WORK_DIR=$(mktemp -d)
[ -e "$CS_PLUGIN_DIR/ConcatListen.so" ] || { echo "missing $CS_PLUGIN_DIR/ConcatListen.so (build first)" >&2; exit 1; }
source "$SRC/tests/sc/sclang_env.bash"
trap 'stop_started; rm -rf "$W"' EXIT
SND=$(a11wlk01) || { echo "a11wlk01.wav not found" >&2; exit 1; }
"$CS" analyze "$SND" -o "$W/c" --segment onset --clusters 16 --fft-size 1024 --frame-hop 256 --quiet || exit 1

# ---- cost on a real-time server (CS_BENCH_PART=latency skips it)
if [ "${CS_BENCH_PART:-all}" != latency ]; then
start_jack bench_listen
port=$(free_port)
scsynth -u "$port" -U "$PLUGINS" -i 0 -o 2 -R 0 -l 4 -m 262144 -z 64 > "$W/scsynth.log" 2>&1 &
spid=$!
STOP_PIDS+=("$spid")
for _ in $(seq 50); do grep -q "server ready" "$W/scsynth.log" && break; sleep 0.2; done
grep -q "server ready" "$W/scsynth.log" || { cat "$W/scsynth.log" >&2; exit 1; }
cat > "$W/cost.scd" <<SCD
(
var s = Server.remote(\\bench, NetAddr("127.0.0.1", $port)), c, b, x, phase = { |p| ("PHASE " ++ p).postln };
AppClock.sched(200 + ($SECS * 5), { "WATCHDOG".postln; 3.exit });
Routine {
	var avg = { |what| var a = List.new, p = 0; ($SECS * 2).do { 0.5.wait; a.add(s.avgCPU); p = max(p, s.peakCPU) };
		"LOAD % avg % peak %".format(what, a.mean.round(0.01), p.round(0.01)).postln };
	2.wait; s.initTree; s.sync;
	b = Buffer.read(s, "$SND"); s.sync;
	c = ConcatCorpus.load(s, "$W/c"); s.sync; 1.wait;
	SynthDef(\\base, { Out.ar(0, PlayBuf.ar(1, b, loop: 1) * 0) }).send(s);
	SynthDef(\\listen, { var l = ConcatListen.kr(PlayBuf.ar(1, b, loop: 1), c, \\onsets); Out.kr(10, l.sum) }).send(s);
	SynthDef(\\scugens, { var in = PlayBuf.ar(1, b, loop: 1), ch = FFT(LocalBuf(1024), in, 0.25);
		var f = [Loudness.kr(ch), SpecCentroid.kr(ch), SpecFlatness.kr(ch), SpecPcile.kr(ch, 0.85), Onsets.kr(ch),
			A2K.kr(ZeroCrossing.ar(in)), Amplitude.kr(in)] ++ MFCC.kr(ch, 13) ++ Pitch.kr(in);
		Out.kr(10, f.sum) }).send(s);
	SynthDef(\\concat2, { var in = PlayBuf.ar(1, b, loop: 1);
		Out.ar(0, Concat2.ar(in, PlayBuf.ar(1, b, 1.01, loop: 1)) * 0) }).send(s);
	s.sync;
	[[\\base, $N], [\\listen, $N], [\\scugens, $N], [\\concat2, max(1, $N div: 4)]].do { |p|
		x = p[1].collect { Synth(p[0], target: s) }; s.sync; 2.wait;
		phase.(p[0]); avg.(p[0]); phase.(p[0] ++ "_end");
		x.do(_.free); s.sync; 0.5.wait };
	"COST DONE".postln; 0.exit;
}.play(AppClock);
)
SCD
cputicks() { awk '{ print $14 + $15 }' "/proc/$spid/stat"; }
HOME="$HOME_FOR_SCLANG" XDG_DATA_HOME="$HOME_FOR_SCLANG/.local/share" XDG_CONFIG_HOME="$HOME_FOR_SCLANG/.config" \
    timeout -k 5 $((SECS * 5 + 220)) sclang -l "$CONF" "$W/cost.scd" > "$W/cost.log" 2>&1 < /dev/null &
lpid=$!
declare -A t0 c0 t1 c1
for ph in base listen scugens concat2; do
    for _ in $(seq 2000); do grep -q "PHASE $ph\$" "$W/cost.log" && break; sleep 0.05; done
    t0[$ph]=$(date +%s.%N); c0[$ph]=$(cputicks)
    for _ in $(seq 4000); do grep -q "PHASE ${ph}_end" "$W/cost.log" && break; sleep 0.05; done
    t1[$ph]=$(date +%s.%N); c1[$ph]=$(cputicks)
done
wait $lpid
grep -q "COST DONE" "$W/cost.log" || { sed -n '/Welcome\|ERROR/,$p' "$W/cost.log" | tail -20 >&2; exit 1; }
hz=$(getconf CLK_TCK)
echo "== ConcatListen cost on a real-time scsynth (dummy JACK, 48 kHz, block 64), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "corpus: a11wlk01, onsets, fft 1024, hop 256, 26 descriptors, 16 labels; $N instances, ${SECS} s per phase"
nc=$(( N / 4 > 0 ? N / 4 : 1 ))
rate() { awk -v hz="$hz" -v a="${c0[$1]}" -v b="${c1[$1]}" -v s="${t0[$1]}" -v e="${t1[$1]}" \
    'BEGIN { printf "%.6f", (b - a) / hz / (e - s) }'; }
awk -v b="$(rate base)" -v l="$(rate listen)" -v u="$(rate scugens)" -v k="$(rate concat2)" -v n="$N" -v nc="$nc" 'BEGIN {
    printf "scsynth CPU: baseline %.2f %% of a core, with ConcatListen %.2f %%\n", 100 * b, 100 * l
    pl = (l - b) / n; pu = (u - b) / n; pk = (k - b) / nc
    printf "per instance: %.3f %% of one core (target <= 1 %%)\n", 100 * pl
    printf "peer, SC analysis UGens (%d instances): %.3f %% per instance; ConcatListen / peer = %.2f\n", n, 100 * pu, pl / pu
    printf "peer, Concat2 (%d instances): %.3f %% per instance; ConcatListen / peer = %.2f\n", nc, 100 * pk, pl / pk
}'
grep "^LOAD" "$W/cost.log" | sed 's/^LOAD/server DSP load (% of the block period):/'
grep "ConcatListen:" "$W/scsynth.log" | head -3
stop_started
echo "== the same core outside scsynth (tests/bench/bench_concatlisten.c: cs_cl_bind + cs_cl_process per block)"
for block in 64 512; do "$BUILD/tests/bench/bench_concatlisten" "$W/c" "$block" 1 20 | tail -n +2; done
fi

# ---- latency, NRT
"$PY" - "$W" "$SRC" <<'PY'
import sys, numpy as np
sys.path.insert(0, sys.argv[2] + "/tests/scripts")
from wavio import write_wav
rng = np.random.default_rng(3)
n = 48000 * 24
x = np.zeros(n)
t, onsets = 24000, []
while t < n - 30000 and len(onsets) < 40:
    t += int(rng.integers(20000, 26000))
    L = 4000
    x[t:t + L] = rng.uniform(-1, 1, L) * np.exp(-np.arange(L) / 800.0) * 0.8
    onsets.append(t)
write_wav(sys.argv[1] + "/clicks.wav", x, 48000, 1)
np.savetxt(sys.argv[1] + "/onsets.txt", np.array(onsets), fmt="%d")
PY
# the second input: 40 drum hits of a Hydrogen kit (Millo-Drums_v.1) at random sample positions over a music bed
# (lincity-ng track 01 at 0.1 of full scale peak); a hit's onset is its first sample >= 0.02 of its peak
KIT=/usr/share/hydrogen/data/drumkits/Millo-Drums_v.1
OGG=$(find /usr/share/games/lincity-ng/music -name '01*.ogg' 2> /dev/null | sort | head -n 1)
hits=0
if [ -d "$KIT" ] && [ -n "$OGG" ]; then
    for h in bd1 snare1 tom1_1 closehihat3 clap_Dry_c misc_Cowbell stick_Woody; do
        sox "$KIT/$h.flac" -r 48000 -c 1 -e floating-point -b 32 "$W/hit_$h.wav" 2> /dev/null || continue
        hits=$((hits + 1))
    done
    sox "$OGG" -r 48000 -c 1 -e floating-point -b 32 "$W/bed.wav" trim 0 24 2> /dev/null || hits=0
fi
if [ "$hits" -gt 0 ]; then
    "$PY" - "$W" "$SRC" <<'PY'
import sys, glob, numpy as np
sys.path.insert(0, sys.argv[2] + "/tests/scripts")
from wavio import read_wav, write_wav
w = sys.argv[1]
rng = np.random.default_rng(5)
n = 48000 * 24
bed = read_wav(w + "/bed.wav")[0][:, 0][:n]
x = np.zeros(n)
x[:len(bed)] = 0.1 * bed / max(1e-9, np.abs(bed).max())
hits = [read_wav(f)[0][:, 0] for f in sorted(glob.glob(w + "/hit_*.wav"))]
t, onsets = 24000, []
while t < n - 30000 and len(onsets) < 40:
    t += int(rng.integers(20000, 26000))
    h = hits[int(rng.integers(0, len(hits)))]
    h = 0.8 * h / max(1e-9, np.abs(h).max())
    L = min(len(h), 19000)
    x[t:t + L] += h[:L]
    onsets.append(t + int(np.nonzero(np.abs(h) >= 0.02)[0][0]))
write_wav(w + "/hits.wav", x, 48000, 1)
np.savetxt(w + "/hit_onsets.txt", np.array(onsets), fmt="%d")
PY
fi
cat > "$W/lat.scd" <<SCD
(
var c = ConcatCorpus.open("$W/c"), load = c.scoreLoadCommands(nil, 0.0, 0, 1);
[\\clicks, \\hits].do { |input| [\\onsets, \\attacks].do { |mode| [\\kr, \\ar].do { |rate|
	var def = SynthDef(\\lat, {
		var in = PlayBuf.ar(1, 2, 1, 1, 0, 0);
		var l = ConcatListen.perform(rate, in, c, mode, [\\loudness, \\centroid]), tr = ConcatListen.trigOf(l);
		// channel 0: the grains; channel 1: the trigger (kr: at its control period's first sample)
		Out.ar(0, [ConcatPlay.ar(1, c, tr, select: \\nearest, target: ConcatListen.targetOf(l),
			attack: 0, release: 0.001, dur: 0.05, seed: 1), if(rate == \\kr) { T2A.ar(tr) } { tr }]);
	});
	Score([[0.0] ++ load.collect(_[1]) ++ [[\\b_allocRead, 2, "$W/" ++ input ++ ".wav", 0, -1],
		[\\d_recv, def.asBytes], [\\s_new, \\lat, 1000, 0, 0]], [24.0, [\\c_set, 0, 0]]])
	.writeOSCFile("$W/lat_" ++ input ++ "_" ++ mode ++ "_" ++ rate ++ ".osc");
} } };
"SCORE OK".postln;
0.exit;
)
SCD
run_sclang 60 "$W/lat.scd"
grep -q "SCORE OK" "$W/sclang.log" || { cat "$W/sclang.log" >&2; exit 1; }
hop=$("$PY" -c "import json; print(json.load(open('$W/c/corpus.json'))['analysis']['hop'])")
echo "== latency: onset in the input -> first sample of the chosen grain (NRT, 48 kHz, corpus hop $hop)"
inputs=clicks
[ -e "$W/hits.wav" ] && inputs="clicks hits" || echo "(no Hydrogen kit or lincity-ng track: the hits input is left out)"
for input in $inputs; do for mode in onsets attacks; do for rate in kr ar; do for block in 64 512; do
    run_nrt "$W/lat_${input}_${mode}_$rate.osc" "$W/lat$block.wav" 2 -z "$block" ||
        { cat "$W/lat$block.wav.log" >&2; exit 1; }
    "$PY" - "$W/lat$block.wav" "$W" "$block" "$hop" "$SRC" "$rate" "$mode" "$input" <<'PY'
import sys, numpy as np
sys.path.insert(0, sys.argv[5] + "/tests/scripts")
from wavio import read_wav
y = read_wav(sys.argv[1])[0]
block, hop, rate, mode, input = int(sys.argv[3]), int(sys.argv[4]), sys.argv[6], sys.argv[7], sys.argv[8]
onsets = np.loadtxt(sys.argv[2] + ("/onsets.txt" if input == "clicks" else "/hit_onsets.txt")).astype(int)
lat = []
for i, o in enumerate(onsets):
    end = onsets[i + 1] if i + 1 < len(onsets) else len(y)
    if input == "clicks":  # silence between the bursts: the first grain sample after the burst's first sample
        nz = np.nonzero(np.abs(y[o:end, 0]) > 0)[0]
        if len(nz): lat.append(int(nz[0]))
    else:  # a bed that triggers too: the first trigger from one block before the hit to 4096 samples after it
        nz = np.nonzero(y[max(0, o - block):min(end, o + 4096), 1] > 0)[0]
        if len(nz): lat.append(max(0, int(nz[0]) - (o - max(0, o - block))))
lat = np.array(lat if lat else [10 ** 9])
what = "burst's first sample -> first grain sample" if input == "clicks" else "hit -> trigger (= the grain's start)"
print(f"ConcatListen.{rate}({mode}), {input}, block {block}: {len(lat) if lat[0] < 10 ** 9 else 0} of "
      f"{len(onsets)} onsets answered, latency worst {lat.max()} samples, median {int(np.median(lat))}, 90th "
      f"percentile {int(np.percentile(lat, 90))}, best {lat.min()}, within the target {int((lat <= hop + block).sum())} "
      f"(target one hop + one block = {hop + block}; worst / target {lat.max() / (hop + block):.2f}; {what})")
PY
done; done; done; done
