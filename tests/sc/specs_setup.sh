#!/bin/bash
# ConcatSeqSpecs and ConcatSeqSetup (see specs_setup.scd) in headless sclang, the restore on a real scsynth
# (booted by sclang on a private dummy JACK server). Bad setup files give exactly one error line each and no
# stack trace.
source "$(dirname "$0")/sclang_env.bash"
SND=$(a11wlk01) || { not_ok "a11wlk01.wav not found"; exit 1; }
"$CS" analyze "$SND" -o "$W/a.corpus" --segment grain --unit-ms 60 --hop-ms 60 --clusters 8 --quiet > /dev/null 2>&1 \
    && "$CS" train "$W/a.corpus" --epochs 3 --hidden 16 --quiet > /dev/null 2>&1 || { not_ok "bundle"; exit 1; }
start_jack specs
STOP_PID_LOGS=("$W/sclang.log")
run_sclang 200 "$SRC/tests/sc/specs_setup.scd" "$(free_port)" "$W"
rc=$?
L=$W/specs_setup.scd.log
grep -E 'FAILED|SPECS-RESULT|WATCHDOG' "$L" | sed 's/^/  /' | head -40
check "sclang finished (status $rc)" test $rc -eq 0
check "its own checks passed" grep -q '^SPECS-RESULT [1-9][0-9]* passed, 0 failed' "$L"
check "midiLearn posts the learnt controller once" test "$(grep -c 'temperature follows CC 7 on channel 0' "$L")" = 1
section() { sed -n "/^$1\$/,/^$2\$/p" "$L"; }
check "one error line per bad setup or save (5)" test "$(section 'BAD SETUPS' 'BAD SETUPS END' | grep -c '^ERROR: ')" = 5
check "one error line for midiLearn without a spec" test "$(grep -c '^ERROR: ConcatSeqSpecs.midiLearn: no spec' "$L")" = 1
check "no stack trace, nothing not understood" test "$(grep -cE 'CALL STACK|not understood' "$L")" = 0
