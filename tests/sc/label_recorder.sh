#!/bin/bash
# ConcatSeqLabelRecorder records what a pattern or a synth played (label_recorder.scd, a real scsynth on a private
# dummy JACK server for the synth part); `concatseq train --labels` trains on the files it writes. checkCorpus
# accepts a model of A on a corpus analysed --labels-from A (one line refusing it elsewhere).
source "$(dirname "$0")/sclang_env.bash"
SND=$(a11wlk01) || { not_ok "a11wlk01.wav not found"; exit 1; }
"$CS" analyze "$SND" -o "$W/a.corpus" --clusters 8 --quiet && "$CS" train "$W/a.corpus" --epochs 2 --hidden 16 --layers 1 --quiet \
    && "$CS" analyze "$SND" -o "$W/ab.corpus" --unit-ms 60 --hop-ms 60 --labels-from "$W/a.corpus" --quiet \
    && "$CS" analyze "$SND" -o "$W/c.corpus" --unit-ms 60 --hop-ms 60 --clusters 8 --quiet || { not_ok "bundles"; exit 1; }
start_jack recorder
STOP_PID_LOGS=("$W/sclang.log")
run_sclang 170 "$SRC/tests/sc/label_recorder.scd" "$(free_port)" "$W"
rc=$?
L=$W/label_recorder.scd.log
grep -E 'FAILED|RECORDER-RESULT|WATCHDOG|ERROR' "$L" | sed 's/^/  /' | head -20
check "sclang finished (status $rc)" test $rc -eq 0
check "its own checks passed" grep -q '^RECORDER-RESULT [1-9][0-9]* passed, 0 failed' "$L"
section() { sed -n "/^$1\$/,/^$2\$/p" "$L"; }
check "one line refusing A's model on an unrelated corpus" test "$(section 'CHECK OTHER' 'CHECK OTHER DONE' | grep -c '^ERROR: ')" = 1
check "one line for a label out of range" test "$(section 'OUT OF RANGE' 'OUT OF RANGE DONE' | grep -c '^ERROR: ConcatSeqLabelRecorder: label 8 is out of range')" = 1
check "one line for nothing recorded" test "$(section 'NOTHING' 'NOTHING DONE' | grep -c '^ERROR: ConcatSeqLabelRecorder: nothing recorded')" = 1
check "no 'not understood', no stack trace" test "$(grep -cE 'not understood|CALL STACK' "$L")" = 0
for f in rec synth; do
    check "concatseq train --labels $f.txt" "$CS" train "$W/a.corpus" --labels "$W/$f.txt" -o "$W/$f.wav" --epochs 2 --hidden 16 --layers 1 --quiet
done
# the help page's examples, chunk by chunk as a user runs them (tests/sc/help_examples.scd)
ext=$(install_private_extension)
STOP_PID_LOGS=("$W/sclang.log" "$W/examples.log")
run_examples "$W/examples.log" 120 "$SRC/HelpSource/Classes/ConcatSeqLabelRecorder.schelp"
check "examples: the file was written and posted" grep -q "^# labels recorded by ConcatSeqLabelRecorder" "$W/examples.log"
check "examples: the synth's labels were posted" grep -qE "^\[ [0-9], [0-9], [0-9]" "$W/examples.log"
