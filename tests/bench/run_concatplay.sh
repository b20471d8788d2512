#!/bin/bash
# ConcatPlay beside SuperCollider's GrainBuf in the same NRT run: the same grain schedule (Impulse.ar at the
# density that keeps V grains of 0.1 s overlapping, V = 32 and 128), same duration, cubic interpolation, a
# Hann-like window (ConcatPlay: raised-cosine attack and release of 0.05 s each; GrainBuf: its built-in Hann),
# stereo pan, on the a11wlk01 corpus at 48 kHz. Prints the NRT wall time of each and the ratio
# ConcatPlay / GrainBuf (target <= 1.2). The two renders alternate, CS_BENCH_REPEATS times (default 5); the
# median of each is kept (the machine may be shared and noisy), and the median of the per-pair ratios is shown.
# usage: run_concatplay.sh [BUILD_DIR]   (default: build); needs the built plugin and concatseq program
set -eu
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(cd "${1:-$SRC/build}" && pwd)
CS=${CONCATSEQ:-$BUILD/corpus-tools/concatseq}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
export QT_QPA_PLATFORM=offscreen XDG_DATA_HOME=$W/xdg XDG_RUNTIME_DIR=$W/run
[ "$(id -u)" = 0 ] && export QTWEBENGINE_DISABLE_SANDBOX=1
mkdir -p "$W/ext/ConcatSeq" "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
ln -s "$BUILD"/extension/ConcatSeq/*.so "$W/ext/ConcatSeq/"
ln -s "$SRC/sc-classes" "$W/ext/ConcatSeq/Classes"
printf 'includePaths:\n  - %s\nexcludeDefaultPaths: false\n' "$W/ext" > "$W/conf.yaml"
"$CS" analyze /usr/share/SuperCollider/sounds/a11wlk01.wav -o "$W/a11.corpus" --segment grain --clusters 6 --quiet
SECS=${CS_BENCH_SECONDS:-20}
cat > "$W/bench.scd" <<SCD
SystemClock.sched(60, { "WATCHDOG".postln; 1.exit });
try {
	var c = ConcatCorpus.open("$W/a11.corpus"), load = c.scoreLoadCommands(nil, 0.0, 0, 1);
	[32, 128].do { |v|
		var dens = v / 0.1;
		var cp = SynthDef(\\cp, { Out.ar(0, ConcatPlay.ar(2, c, Impulse.ar(dens), dur: 0.1, attack: 0.05,
			release: 0.05, pan: LFNoise1.ar(3), amp: 0.05, seed: 1, maxVoices: 512)) });
		var gb = SynthDef(\\gb, { Out.ar(0, GrainBuf.ar(2, Impulse.ar(dens), 0.1, 0, 1, LFNoise1.ar(100).range(0, 1),
			4, LFNoise1.ar(3), -1, 512) * 0.05) });
		[[\\cp, cp], [\\gb, gb]].do { |p|
			Score([[0.0] ++ load.collect(_[1]) ++ [[\\d_recv, p[1].asBytes], [\\s_new, p[0], 1000, 0, 0]],
				[$SECS, [\\c_set, 0, 0]]]).writeOSCFile("$W/%_%.osc".format(p[0], v));
		};
	};
	"SCRIPT_OK".postln;
} { |e| e.reportError; 1.exit };
0.exit;
SCD
timeout 120 sclang -l "$W/conf.yaml" "$W/bench.scd" </dev/null > "$W/sclang.log" 2>&1 || true
grep -q SCRIPT_OK "$W/sclang.log" || { sed -n '/Welcome/,$p' "$W/sclang.log"; exit 1; }
render() { # render OSC: wall seconds
    local t0 t1
    t0=$(date +%s.%N)
    scsynth -N "$1" _ "$W/out.wav" 48000 WAV float -o 2 -U "/usr/lib/SuperCollider/plugins:$W/ext/ConcatSeq" >/dev/null 2>&1
    t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc -l
}
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
REPEATS=${CS_BENCH_REPEATS:-5}
echo "ConcatPlay vs GrainBuf, NRT, $SECS s at 48 kHz, 0.1 s grains, cubic interpolation, stereo pan, $REPEATS runs each"
for v in 32 128; do
    gbs=() cps=() ratios=()
    for _ in $(seq "$REPEATS"); do
        g=$(render "$W/gb_$v.osc"); c=$(render "$W/cp_$v.osc")
        gbs+=("$g") cps+=("$c") ratios+=("$(echo "$c / $g" | bc -l)")
    done
    gb=$(printf '%s\n' "${gbs[@]}" | median); cp=$(printf '%s\n' "${cps[@]}" | median)
    r=$(printf '%s\n' "${ratios[@]}" | median)
    printf '  %3d voices: GrainBuf %.3f s, ConcatPlay %.3f s (medians), ratio %.2f (median of %d pairs; target <= 1.2)\n' \
        "$v" "$gb" "$cp" "$r" "$REPEATS"
done
