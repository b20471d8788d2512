# ConcatPlay in a real scsynth (NRT) on a real bundle from a11wlk01.wav: a trigger schedule and a fixed seed
# give finite, non-silent output, sample-identical across two renders (the WAV headers differ only by
# libsndfile's PEAK timestamp), and equal (within -90 dB; in practice
# bit-identical) to what the C core computes for the same schedule (tests/c/test_concatplay_harness.c) —
# in triggered mode with the successor policy and in a gapless chain.
source "$(dirname "$0")/sclang_env.bash"
HARNESS=${CS_HARNESS:-$(dirname "$CS")/../tests/test_concatplay_harness}
SND=$(a11wlk01) || { not_ok "a11wlk01.wav not found"; exit 1; }
B=$W/a11.corpus
check "analyze a11wlk01" "$CS" analyze "$SND" -o "$B" --segment grain --clusters 6 --quiet
[ -d "$B" ] || exit 1

# schedule: 3 s at 48 kHz, 4 channels: trig, label, rate, pan (irregular triggers, labels -1..5)
"$PY" - "$W" "$SRC" <<'PY'
import sys, numpy as np
sys.path.insert(0, sys.argv[2] + "/tests/scripts")
from wavio import write_wav
n = 3 * 48000
rng = np.random.default_rng(7)
s = np.zeros((n, 4), np.float32)
t = 100
while t < n - 10:
    s[t, 0] = 1.0
    t += int(rng.integers(900, 7000))
s[:, 1] = np.repeat(rng.integers(-1, 6, n // 4000 + 1), 4000)[:n]
s[:, 2] = np.repeat(rng.choice([1.0, 0.75, -1.25, 1.5, -0.5], n // 3000 + 1), 3000)[:n]
s[:, 3] = np.sin(np.arange(n) * 2 * np.pi * 0.7 / 48000)
write_wav(sys.argv[1] + "/trig.wav", s.reshape(-1), 48000, 4)
g = s.copy(); g[:, 0] = 0; g[40000, 0] = 1.0      # gapless: one restart trigger
g[:, 1] = np.repeat(rng.integers(0, 6, n // 6000 + 1), 6000)[:n]
write_wav(sys.argv[1] + "/gap.wav", g.reshape(-1), 48000, 4)
PY

for mode in trig gap; do
    if [ $mode = trig ]; then sel=1 gap=0; else sel=0 gap=1; fi
    CS_BUNDLE=$B CS_SCHED=$W/$mode.wav CS_OSC=$W/$mode.osc CS_DUR=3.0 CS_SELECT=$sel CS_GAPLESS=$gap \
        run_sclang 90 "$SRC/tests/sc/concatplay_nrt.scd" || { not_ok "$mode: sclang score"; continue; }
    check "$mode: NRT render 1" run_nrt "$W/$mode.osc" "$W/$mode.1.wav" 4
    check "$mode: NRT render 2" run_nrt "$W/$mode.osc" "$W/$mode.2.wav" 4
    check "$mode: renders identical" "$PY" "$SRC/tests/scripts/compare_wav.py" "$W/$mode.1.wav" "$W/$mode.2.wav" --identical
    if grep -q "ConcatPlay:" "$W/$mode.1.wav.log"; then not_ok "$mode: unexpected message: $(grep ConcatPlay: "$W/$mode.1.wav.log")"; fi
    check "$mode: C core render" "$HARNESS" "$B" "$W/$mode.wav" "$W/$mode.ref.wav" --channels 2 --seed 1234 --amp 0.5 \
        --attack 0.004 --release 0.01 --select $sel --gapless $gap --lead 0.03
    check "$mode: scsynth equals the core within -90 dB" "$PY" "$SRC/tests/scripts/compare_wav.py" \
        "$W/$mode.1.wav" "$W/$mode.ref.wav" --db -90 --min-rms 1e-3 --audio-channels 2 --exact-channels 2,3
done
