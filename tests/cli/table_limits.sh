#!/usr/bin/env bash
# Issue 14 item 2: the unit table's limits are checked before any decoding. 17.2 million one-sample grains
# (a 36-minute file at --rate 8000, --unit-ms/--hop-ms 0.125) are more units than a table holds: analyze
# refuses at once (before this check it decoded, analysed and described every unit first), with one line naming
# --hop-ms, and leaves no bundle (cs_analyze_check_limits itself: tests/c/test_unit_table.c).
. "$(dirname "$0")/common.bash"
"$PY" - "$W/long.wav" "$SRC" <<'PY' || { not_ok "long synthetic file"; exit 1; }
import sys, numpy as np
sys.path.insert(0, sys.argv[2] + "/tests/scripts")
from wavio import write_wav
rng = np.random.default_rng(3)
write_wav(sys.argv[1], rng.uniform(-0.1, 0.1, 17200000), 8000, 1, fmt="pcm16")
PY
# "at once" in CPU time (user + system of the run, bash's `time`), which a busy machine does not stretch as it
# does the wall clock: a run that decodes and describes 17.2 million grains needs far more than 5 s of it
TIMEFORMAT='%U %S'
{ time expect_error "17.2 million grains refused in one line naming --hop-ms" "unit table holds.*--hop-ms" "$W/b" -- \
    timeout 300 "$CS" analyze "$W/long.wav" -o "$W/b" --rate 8000 --unit-ms 0.125 --hop-ms 0.125 --quiet; } 2> "$W/cpu.txt"
grep -v '^[0-9.]* [0-9.]*$' "$W/cpu.txt" >&2
cpu=$(tail -1 "$W/cpu.txt" | awk '{ print $1 + $2 }')
check "refused before decoding ($cpu s of CPU)" awk "BEGIN { exit !($cpu <= 5) }"
