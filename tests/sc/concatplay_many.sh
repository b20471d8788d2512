#!/bin/bash
# Issue 14's "Keep" list and item 1 in a real scsynth (NRT): 500 synths of SeqPredict driving ConcatPlay (1000
# instances, every select policy) on one server, with finite, sounding output; the unit-table check command
# `/cmd concatseqCheck bufnum` (sent by ConcatCorpus.scoreLoadCommands): one line for a corrupt table, for an
# empty Buffer and for a Buffer number that does not exist, nothing for a sound table; every ConcatPlay on the
# corrupt table refused with one message; the sound table's synths play the same samples without the command;
# and on a real-time server (dummy JACK) ConcatCorpus.load is answered by one /done concatseqCheck.
source "$(dirname "$0")/seqpredict_env.bash"

make_bundle "$W/a.corpus" 8 || exit 1
# a corrupt copy of the unit table (independent script): the last row's label far out of range
"$PY" - "$W/a.corpus/units.wav" "$W/bad_units.wav" "$SRC" <<'PY' || not_ok "corrupt unit table"
import sys
sys.path.insert(0, sys.argv[3] + "/tests/scripts")
import numpy as np, wavio
x, rate, _, _ = wavio.read_wav(sys.argv[1])
t = x[:, 0].astype(np.float64).copy()
n, stride, header = int(t[2]), int(t[4]), int(t[5])
t[header + (n - 1) * stride + 4] = 1e6   # row fields: start hi/lo, length hi/lo, label, ...
wavio.write_wav(sys.argv[2], t, rate)
PY
if run_sclang 90 "$SRC/tests/sc/concatplay_many.scd" "$W/many.osc" "$W/nocheck.osc" "$W/a.corpus/model.wav" \
    "$W/a.corpus" "$W/bad_units.wav" && grep -q "SCORE WRITTEN 510 synths" "$W/sclang.log"; then ok
else cat "$W/sclang.log" >&2; not_ok "score written"; exit 1; fi
for s in many nocheck; do
    timeout 300 scsynth -N "$W/$s.osc" _ "$W/$s.wav" 48000 WAV float -o 3 -i 0 -m 131072 -U "$PLUGINS" \
        > "$W/$s.log" 2>&1
    rc=$?
    check "$s: scsynth exits normally (status $rc)" test $rc -eq 0
done
L=$W/many.log
count() { grep -c -- "$1" "$L"; }
check "no server failure" test "$(grep -cE 'FAILURE|exception|Segmentation|alloc failed|Command not found' "$L")" = 0
check "one line for the corrupt table ($(count 'concatseqCheck: buffer 3 is not a valid unit table'))" \
    test "$(count 'concatseqCheck: buffer 3 is not a valid unit table')" = 1
check "one line for the empty Buffer" test "$(count 'concatseqCheck: buffer 5 is not a valid unit table')" = 1
check "one line for a Buffer that does not exist" test "$(count 'concatseqCheck: no Buffer 99999')" = 1
check "nothing for the sound table" test "$(count 'concatseqCheck: buffer 2')" = 0
check "3 concatseqCheck lines in all ($(count 'concatseqCheck:'))" test "$(count 'concatseqCheck:')" = 3
check "each ConcatPlay on the corrupt table refused once ($(count 'ConcatPlay: buffer 3:'))" \
    test "$(count 'ConcatPlay: buffer 3:')" = 10
check "no other ConcatPlay or SeqPredict message" test "$(grep -c 'ConcatPlay:\|SeqPredict:' "$L")" = 10
if "$PY" "$SRC/tests/scripts/seqpredict_wavcheck.py" "$W/many.wav" \
    'np.all(np.isfinite(x))' \
    'np.sqrt(np.mean(x[:, 0] ** 2)) > 1e-3' \
    'np.max(x[-4800:, 1]) == 500' \
    'np.all(x[4800:, 2] == 0)' > "$W/many.check" 2>&1; then ok; else cat "$W/many.check" >&2; not_ok "outputs"; fi
sed 's/^/  /' "$W/many.check"
# without the command the synths on the corrupt table play until their own check refuses it (channel 2), the
# sound table's synths play the same samples (channels 0 and 1)
"$PY" - "$W/many.wav" "$W/nocheck.wav" "$SRC" <<'PY' && ok || not_ok "the sound table's synths play the same without the check command"
import sys
sys.path.insert(0, sys.argv[3] + "/tests/scripts")
import numpy as np, wavio
a, b = wavio.read_wav(sys.argv[1])[0], wavio.read_wav(sys.argv[2])[0]
same = a.shape == b.shape and np.array_equal(a[:, :2], b[:, :2])
print("  channels 0-1 with and without /cmd concatseqCheck: %s; channel 2 nonzero samples without it: %d"
      % ("identical" if same else "differ", int(np.count_nonzero(b[:, 2]))))
sys.exit(0 if same else 1)
PY

# a real-time server (dummy JACK): ConcatCorpus.load sends the check, the server answers it once, ConcatPlay plays
start_jack many
STOP_PID_LOGS=("$W/sclang.log")
run_sclang 120 "$SRC/tests/sc/concatplay_check_rt.scd" "$(free_port)" "$W/a.corpus" "$PLUGIN_DIR"
R=$W/concatplay_check_rt.scd.log
check "real time: sclang finished" grep -q '^RT DONE' "$R"
check "real time: load is answered by one /done concatseqCheck ($(grep '^CHECK DONE' "$R"))" grep -q '^CHECK DONE 1$' "$R"
check "real time: ConcatPlay plays the checked corpus" grep -q '^PLAYED true$' "$R"
check "real time: no server failure" test "$(grep -cE 'FAILURE|not found' "$R")" = 0
