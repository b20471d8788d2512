#!/bin/bash
# ConcatCorpusMap headless (QT_QPA_PLATFORM=offscreen) on a real bundle and a real scsynth (booted by sclang on
# a private dummy JACK server): see corpus_map.scd. `concatseq plot` of the same bundle gives the reference
# positions (its PCA) and colours (its fills), extracted from the SVG to plot.txt.
source "$(dirname "$0")/sclang_env.bash"
# exact pixels: the offscreen platform's screen would otherwise scale the window by its DPI (pixel ratio 1.04)
export QT_ENABLE_HIGHDPI_SCALING=0
SND=$(a11wlk01) || { not_ok "a11wlk01.wav not found"; exit 1; }
"$CS" analyze "$SND" -o "$W/a.corpus" --segment grain --unit-ms 60 --hop-ms 60 --clusters 6 --quiet > /dev/null 2>&1 \
    || { not_ok "bundle"; exit 1; }
"$CS" plot "$W/a.corpus" -o "$W/plot.svg" > /dev/null 2>&1 || { not_ok "concatseq plot"; exit 1; }
"$PY" - "$W/plot.svg" "$W/plot.txt" <<'PY'
import re, sys
rows = {}
for m in re.finditer(r'<circle cx="([-0-9.]+)" cy="([-0-9.]+)" r="[0-9.]+" fill="(#[0-9a-f]{6})"[^>]*><title>unit (\d+), label (\d+)</title>', open(sys.argv[1]).read()):
    rows[int(m.group(4))] = "%s %s %s %s" % (m.group(1), m.group(2), m.group(5), m.group(3))
open(sys.argv[2], "w").write("".join(rows[i] + "\n" for i in range(len(rows))))
PY
check "plot.txt has the units" test -s "$W/plot.txt"
start_jack map
STOP_PID_LOGS=("$W/sclang.log")
run_sclang 180 "$SRC/tests/sc/corpus_map.scd" "$(free_port)" "$W"
rc=$?
L=$W/corpus_map.scd.log
grep -E 'FAILED|MAP-RESULT|WATCHDOG|ERROR|REDRAW' "$L" | sed 's/^/  /' | head -40
check "sclang finished (status $rc)" test $rc -eq 0
check "its own checks passed" grep -q '^MAP-RESULT [1-9][0-9]* passed, 0 failed' "$L"
check "no 'not understood', no stack trace" test "$(grep -cE 'not understood|CALL STACK' "$L")" = 0
