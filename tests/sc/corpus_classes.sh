#!/bin/bash
# ConcatCorpus and the SuperDirt / live glue on a real scsynth (booted by sclang on a private dummy JACK server):
# see corpus_classes.scd. Besides its own checks: sclang survives a manifest nested 20 000 arrays deep (it used
# to crash in its JSON parser) and 3000 opens of a real bundle (its JSON primitive corrupted memory now and
# then), a freed corpus gives exactly one line under a \concatseq Pbind and one under
# SuperDirt-style events (no "not understood", no stack trace), every bad addToDirt argument one line.
source "$(dirname "$0")/sclang_env.bash"
SND=$(a11wlk01) || { not_ok "a11wlk01.wav not found"; exit 1; }
for b in a b; do
    k=$([ $b = a ] && echo 8 || echo 5)
    "$CS" analyze "$SND" -o "$W/$b.corpus" --segment grain --unit-ms 60 --hop-ms 60 --clusters $k --quiet > /dev/null 2>&1 \
        && "$CS" train --arch gru "$W/$b.corpus" --epochs 3 --hidden 16 --quiet > /dev/null 2>&1 || { not_ok "bundle $b"; exit 1; }
done
mkdir -p "$W/deep.corpus" && cp "$W/a.corpus/audio.wav" "$W/a.corpus/units.wav" "$W/deep.corpus/"
"$PY" -c "import sys; open(sys.argv[1], 'w').write('{\"format\": \"concatseq-corpus\", \"x\": ' + '[' * 20000 + ']' * 20000 + '}')" \
    "$W/deep.corpus/corpus.json"
check "concatseq info rejects the deep manifest" bash -c "! '$CS' info '$W/deep.corpus' > /dev/null 2>&1"
start_jack corpus
STOP_PID_LOGS=("$W/sclang.log")
run_sclang 600 "$SRC/tests/sc/corpus_classes.scd" "$(free_port)" "$W"
rc=$?
L=$W/corpus_classes.scd.log
grep -E 'FAILED|CORPUS-RESULT|WATCHDOG|ERROR' "$L" | sed 's/^/  /' | head -40
check "sclang finished (status $rc)" test $rc -eq 0
check "sclang survived the deep manifest" grep -q '^DEEP SURVIVED' "$L"
check "sclang survived 3000 opens" grep -q '^OPENS SURVIVED' "$L"
check "its own checks passed" grep -q '^CORPUS-RESULT [1-9][0-9]* passed, 0 failed' "$L"
section() { sed -n "/^$1\$/,/^$2\$/p" "$L"; }
check "one line for the freed corpus under the Pbind" \
    test "$(grep -c '^ERROR: a \\concatseq event: .* is not loaded' "$L")" = 1
check "one line for the freed corpus under SuperDirt events" \
    test "$(section 'DIRT AFTER FREE' 'DONE' | grep -c '^ERROR: ConcatSeq (SuperDirt sound w)')" = 1
check "no 'not understood', no stack trace" test "$(grep -cE 'not understood|CALL STACK' "$L")" = 0
check "one line per bad addToDirt argument (6) and for the model of another corpus" \
    test "$(section 'ADDTODIRT BAD ARGS' 'ADDTODIRT GOOD' | grep -c '^ERROR: ')" = 7
check "one line for the Pconcatunit over another corpus's model" \
    test "$(section 'PCONCATUNIT' 'DIRT AFTER FREE' | grep -c '^ERROR: ')" = 1
