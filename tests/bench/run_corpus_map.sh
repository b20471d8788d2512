#!/bin/bash
# ConcatCorpusMap at 100 000 units, headless (QT_QPA_PLATFORM=offscreen): a generated 501 s tone-and-noise WAV
# (gen_long_audio.c) analysed into 10 ms grains every 5 ms (about 100 000 units, 16 labels), then in sclang:
# the time to open the corpus (ConcatCorpus.open), to open its map (positions by PCA, grid, cached image, view),
# the redraw time of the cached image + selection image + highlight layer (64 lit units, one label selected;
# mean of 200 offscreen redraws), the time of a nearest-unit query (mean of 2000) (what each step of a drag does), and the
# resulting frames-per-second estimate while dragging = 1 / (redraw + nearest). Each figure is given as wall time
# and as the CPU time of the sclang process (/proc/PID/stat), which a busy machine does not inflate.
# usage: run_corpus_map.sh [BUILD_DIR]   (default: build)
set -eu
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(cd "${1:-$SRC/build}" && pwd)
CS=${CONCATSEQ:-$BUILD/corpus-tools/concatseq}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
export QT_QPA_PLATFORM=offscreen QT_ENABLE_HIGHDPI_SCALING=0 XDG_DATA_HOME=$W/xdg XDG_RUNTIME_DIR=$W/run
[ "$(id -u)" = 0 ] && export QTWEBENGINE_DISABLE_SANDBOX=1
mkdir -p "$W/ext/ConcatSeq" "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
ln -s "$BUILD"/extension/ConcatSeq/*.so "$W/ext/ConcatSeq/"
ln -s "$SRC/sc-classes" "$W/ext/ConcatSeq/Classes"
printf 'includePaths:\n  - %s\nexcludeDefaultPaths: false\n' "$W/ext" > "$W/conf.yaml"
cc -O2 -o "$W/gen" "$SRC/tests/bench/gen_long_audio.c" -lm
"$W/gen" "$W/long.wav" 501 16000
"$CS" analyze "$W/long.wav" -o "$W/big.corpus" --segment grain --unit-ms 10 --hop-ms 5 --clusters 16 --quiet
cat > "$W/bench.scd" <<SCD
AppClock.sched(280, { "WATCHDOG".postln; 1.exit });
{
	// the CPU time of this sclang process (user + system, /proc/PID/stat fields 14 and 15, in 1/100 s): the
	// machine may be busy, so every figure is given as CPU time beside the wall time
	var cpu = { var f = ("cat /proc/" ++ thisProcess.pid ++ "/stat").unixCmdGetStdOut, r = f.copyToEnd(f.findBackwards(")") + 2).split($ );
		(r[11].asInteger + r[12].asInteger) / 100 };
	var t0 = Main.elapsedTime, c0 = cpu.value, c, m, open, openCpu, mapCpu, red, redCpu, near, nearCpu;
	c = ConcatCorpus.open("$W/big.corpus");
	open = Main.elapsedTime - t0; openCpu = cpu.value - c0;
	c0 = cpu.value;
	m = ConcatCorpusMap(c, \\pca, 800, 600);
	mapCpu = cpu.value - c0;
	0.5.wait;
	m.selectLabels([0]);
	m.litTime = 100;
	64.do { |i| m.light(i * (c.numUnits div: 64)) };
	c0 = cpu.value;
	red = m.redrawSeconds(200);
	redCpu = (cpu.value - c0) / 200;
	t0 = Main.elapsedTime; c0 = cpu.value;
	2000.do { |i| m.nearest((i * 37 % 800) @ (i * 53 % 600)) };
	near = (Main.elapsedTime - t0) / 2000; nearCpu = (cpu.value - c0) / 2000;
	"units % | corpus open % s (CPU % s) | map open % s (CPU % s) | redraw % ms (CPU % ms) | nearest % ms (CPU % ms) | drag estimate % frames/s (from CPU time %)".format(
		c.numUnits, open.round(0.001), openCpu.round(0.01), m.openSeconds.round(0.001), mapCpu.round(0.01),
		(red * 1000).round(0.01), (redCpu * 1000).round(0.01), (near * 1000).round(0.001), (nearCpu * 1000).round(0.001),
		(1 / (red + near)).round(0.1), (1 / (redCpu + nearCpu)).round(0.1)).postln;
	0.exit
}.fork(AppClock);
SCD
timeout -k 5 300 sclang -l "$W/conf.yaml" "$W/bench.scd" 2>&1 | grep -E '^units|WATCHDOG|ERROR'
