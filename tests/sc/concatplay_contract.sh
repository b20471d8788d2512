#!/bin/bash
# ConcatPlay's contracts in real scsynth NRT renders:
#  - label -1 means one thing: "no label". ConcatPlay rests for it (silence, no message), so SeqPredict without a
#    model (its output is -1) gives silence, not random units; \any (-2) plays any unit; SeqPredict with a ready
#    model outputs -2 before its first step, so a gapless chain stepped by ConcatPlay's next gate starts by itself.
#  - gapless chains keep the corpus's tempo: on a corpus of clicks (one at the first frame of every unit, units of
#    irregular lengths) chained in corpus order, the output's clicks are exactly one unit length apart, to the
#    sample, at a 5 ms and at a 10 ms crossfade (before the centred crossfade each step was the unit length
#    minus the crossfade: 4 % and 8 % fast).
source "$(dirname "$0")/seqpredict_env.bash"

make_bundle "$W/a.corpus" 6 || exit 1
# the click corpus: 48 kHz mono, units of 2400..11399 frames from frame 3000, a click at each unit's start
"$PY" - "$W/clicks" "$SRC" <<'PY' || { not_ok "click corpus"; exit 1; }
import os, sys, numpy as np
sys.path.insert(0, sys.argv[2] + "/tests/scripts")
from wavio import write_wav
d = sys.argv[1]
os.makedirs(d, exist_ok=True)
rng = np.random.default_rng(11)
lens = [int(x) for x in rng.integers(2400, 11400, 14)]
starts = list(3000 + np.concatenate(([0], np.cumsum(lens)[:-1])))
frames = starts[-1] + lens[-1] + 3000
audio = np.zeros(frames)
audio[starts] = 1.0
write_wav(d + "/audio.wav", audio, 48000, 1)
n, D, S, K = len(lens), 1, 9, 2
L = 24 + n * S  # version 3: no index, no listening section (ConcatPlay needs neither)
t = [4412245, 3, n, D, S, 24, 48000, 1, frames // 65536, frames % 65536, K, 1, -1,
     L // 65536, L % 65536, (L + 2 * K) // 65536, (L + 2 * K) % 65536, 0, 0, 0, 0, 0, 0, 0]  # version 3 (BUNDLE.md)
for u in range(n):
    t += [starts[u] // 65536, starts[u] % 65536, lens[u] // 65536, lens[u] % 65536, u % K, 0,
          u + 1 if u + 1 < n else -1, 0, 0.0]
members = sorted(range(n), key=lambda u: (u % K, u))
first = 0
for k in range(K):
    c = sum(1 for u in range(n) if u % K == k)
    t += [first, c]
    first += c
t += members
write_wav(d + "/units.wav", np.array(t, np.float64), 48000, 1)
open(d + "/lengths.txt", "w").write(" ".join(map(str, lens)))
PY

if ! run_sclang 90 "$SRC/tests/sc/concatplay_contract.scd" "$W/labels.osc" "$W/tempo.osc" \
    "$W/a.corpus/model.wav" "$W/a.corpus" "$W/clicks" || ! grep -q "SCORES WRITTEN" "$W/sclang.log"; then
    cat "$W/sclang.log" >&2; not_ok "sclang wrote the scores"; exit 1
fi
for s in labels tempo; do
    ch=5; [ $s = tempo ] && ch=2
    check "$s: NRT render" timeout 120 scsynth -N "$W/$s.osc" _ "$W/$s.wav" 48000 WAV float -o $ch -i 0 \
        -U "$PLUGINS" > "$W/$s.log" 2>&1
done
check "labels: only the missing model is reported" test "$(grep -c 'ConcatPlay:\|SeqPredict:' "$W/labels.log")" = 1
check "labels: SeqPredict reports buffer 99" grep -q "SeqPredict: no model in buffer 99" "$W/labels.log"
"$PY" - "$W/labels.wav" "$SRC" <<'PY' && ok || not_ok "labels: -1 and no model are silent; any, a model and a chain play"
import sys, numpy as np
sys.path.insert(0, sys.argv[2] + "/tests/scripts")
from wavio import read_wav
x = read_wav(sys.argv[1])[0].astype(np.float64)
rms = np.sqrt(np.mean(x * x, axis=0))
print("  rms per channel:", " ".join("%.4g" % r for r in rms))
ok = np.all(np.isfinite(x)) and rms[0] == 0 and rms[1] == 0 and min(rms[2], rms[3], rms[4]) > 1e-3
# the chain plays from its first block on (SeqPredict is ready at once: label -2, any unit)
ok = ok and np.max(np.abs(x[:4800, 3])) > 0
sys.exit(0 if ok else 1)
PY
"$PY" - "$W/tempo.wav" "$W/clicks/lengths.txt" "$SRC" <<'PY' && ok || not_ok "tempo: click IOIs equal the unit lengths"
import sys, numpy as np
sys.path.insert(0, sys.argv[3] + "/tests/scripts")
from wavio import read_wav
x = read_wav(sys.argv[1])[0]
lens = [int(v) for v in open(sys.argv[2]).read().split()]
good = True
for c, xf in ((0, "5 ms"), (1, "10 ms")):
    t = np.nonzero(np.abs(x[:, c]) > 0.3)[0]
    ioi = np.diff(t)[: len(lens) - 1]
    same = len(ioi) == len(lens) - 1 and np.array_equal(ioi, lens[:-1])
    print("  %s crossfade: %d clicks; IOIs %s the unit lengths%s" % (xf, len(t), "equal" if same else "differ from",
          "" if same else " (%s vs %s)" % (ioi[:6].tolist(), lens[:6])))
    good = good and same
sys.exit(0 if good else 1)
PY
