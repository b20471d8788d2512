# ConcatPlay abused in a real scsynth (NRT): wrong kind of Buffer, missing Buffer, mismatched audio,
# NaN/inf/-inf/-1e30/1e30/-1 on every input, label out of range, an empty label, a one-unit corpus, 200
# instances, too little real-time memory. No crash, finite output, one message per failing synth; and
# checkInputs names the bad argument.
source "$(dirname "$0")/sclang_env.bash"
SND=$(a11wlk01) || { not_ok "a11wlk01.wav not found"; exit 1; }
check "analyze a11wlk01" "$CS" analyze "$SND" -o "$W/a11.corpus" --segment grain --clusters 6 --quiet
# two hand-made bundles (audio.wav + units.wav, written from BUNDLE.md): one unit; three labels, label 2 empty
"$PY" - "$W" "$SRC" <<'PY'
import os, sys, numpy as np
sys.path.insert(0, sys.argv[2] + "/tests/scripts")
from wavio import write_wav
def bundle(d, units, labels):  # units: list of (start, length, label); 2 descriptors
    os.makedirs(d, exist_ok=True)
    frames = max(s + l for s, l, _ in units) + 100
    audio = 0.5 * np.sin(np.arange(frames) * 2 * np.pi * 440 / 48000)
    write_wav(d + "/audio.wav", audio, 48000, 1)
    n, D, S = len(units), 2, 10
    L = 24 + n * S  # version 3: no index, no listening section (ConcatPlay needs neither)
    t = [4412245, 3, n, D, S, 24, 48000, 1, frames // 65536, frames % 65536, labels, 1, -1,
         L // 65536, L % 65536, (L + 2 * labels) // 65536, (L + 2 * labels) % 65536, 0, 0, 0, 0, 0, 0, 0]  # version 3 (BUNDLE.md)
    for u, (s, l, lab) in enumerate(units):
        succ = u + 1 if u + 1 < n else -1
        t += [s // 65536, s % 65536, l // 65536, l % 65536, lab, 0, succ, 0, 0.1 * u, -0.1 * u]
    members = sorted(range(n), key=lambda u: (units[u][2], u))
    first = 0
    for k in range(labels):
        c = sum(1 for x in units if x[2] == k)
        t += [first, c]
        first += c
    t += members
    write_wav(d + "/units.wav", np.array(t, np.float64), 48000, 1)
bundle(sys.argv[1] + "/one", [(50, 4800, 0)], 1)
bundle(sys.argv[1] + "/empty", [(0, 3000, 0), (3000, 3000, 1), (6000, 2000, 0)], 3)
PY
CS_WORK=$W run_sclang 90 "$SRC/tests/sc/concatplay_abuse.scd" || { not_ok "sclang score"; exit 1; }
LOG=$W/concatplay_abuse.scd.log
for what in MAXVOICES CORPUS NUMCHANNELS; do
    check "checkInputs names $what" grep -q "CHECK_${what}_OK" "$LOG"
done

check "NRT render of the abuse score" run_nrt "$W/abuse.osc" "$W/abuse.wav" 2
check "abuse: finite and sounding" "$PY" "$SRC/tests/scripts/compare_wav.py" "$W/abuse.wav" "$W/abuse.wav" --min-rms 1e-4
M=$W/abuse.wav.log
count() { grep -c -- "$1" "$M"; }
expect_count() { # expect_count N PATTERN
    local got; got=$(count "$2")
    if [ "$got" -eq "$1" ]; then ok; else not_ok "expected $1 message(s) '$2', got $got"; fi
}
expect_count 1 "ConcatPlay: buffer 0: not a ConcatSeq unit table"
expect_count 1 "ConcatPlay: no unit table in buffer 99"
expect_count 1 "ConcatPlay: channels or frames differ from the unit table's in audio buffer 2"
expect_count 1 "ConcatPlay: label 99 is out of range"
expect_count 3 "ConcatPlay: label [-]*\(nan\|inf\) is out of range"
expect_count 1 "ConcatPlay: unit 1e+30 is out of range"
expect_count 1 "ConcatPlay: label 2 has no units"
expect_count 9 "ConcatPlay:"

check "NRT render with too little real-time memory" run_nrt "$W/mem.osc" "$W/mem.wav" 2 -m 64
if [ "$(grep -c 'ConcatPlay: not enough real-time memory' "$W/mem.wav.log")" -eq 1 ]; then ok; else not_ok "one memory message"; fi
"$PY" - "$W/mem.wav" "$SRC" <<'PY' && ok || not_ok "too little memory: silent, finite output"
import sys, numpy as np
sys.path.insert(0, sys.argv[2] + "/tests/scripts")
from wavio import read_wav
a = read_wav(sys.argv[1])[0]
sys.exit(0 if np.all(np.isfinite(a)) and np.max(np.abs(a)) == 0 else 1)
PY
