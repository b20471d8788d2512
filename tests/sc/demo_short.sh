#!/usr/bin/env bash
# A short run of the main job (corpus-tools/demo/demo.sh, what `make demo` runs) with a 5 s render, twice:
# the WAV has the right length and format (48 kHz, stereo, float), is finite and not silent, and the two runs
# give the same samples (the files differ only by libsndfile's PEAK timestamp); the pictures are written.
source "${CS_SOURCE_DIR:?}/tests/cli/common.bash"
BUILD=$(cd "${CS_PLUGIN_DIR:?}/../.." && pwd)
for run in 1 2; do
    out=$(DURATION=5 bash "$SRC/corpus-tools/demo/demo.sh" "$BUILD" "$W/run$run" 2>&1)
    check "demo run $run succeeds" [ $? -eq 0 ]
    [ $run = 1 ] && echo "$out"
done
for f in demo.wav timeline.wav corpus.svg timeline.svg corpus/model.wav corpus/corpus.json; do
    check "demo wrote $f" [ -s "$W/run1/$f" ]
done
check "demo.wav: 5 s, 48 kHz stereo float, finite, not silent; runs identical; timeline sane" "$PY" - \
    "$W/run1" "$W/run2" "$SRC" <<'PY'
import sys
import numpy as np
sys.path.insert(0, sys.argv[3] + "/tests/scripts")
from wavio import read_wav
a, sr, tag, bits = read_wav(sys.argv[1] + "/demo.wav")
b = read_wav(sys.argv[2] + "/demo.wav")[0]
print(f"demo.wav: {a.shape[0]} frames x {a.shape[1]} channels at {sr} Hz, tag {tag}, {bits} bits, "
      f"peak {np.abs(a).max():.3f}, rms {np.sqrt((a.astype(float) ** 2).mean()):.4f}")
assert sr == 48000 and a.shape[1] == 2 and tag == 3 and bits == 32, "format"
assert 5 * 48000 <= a.shape[0] <= 5 * 48000 + 64, f"length {a.shape[0]}"
assert np.all(np.isfinite(a)), "non-finite samples"
for s0, s1 in ((0, 2), (2, 3.65), (3.65, 5)):               # each section of the score sounds
    seg = a[int(s0 * sr):int(s1 * sr)]
    assert np.sqrt((seg.astype(float) ** 2).mean()) > 1e-3, f"silent section {s0}-{s1} s"
assert a.tobytes() == b.tobytes(), "the two runs differ"
t = read_wav(sys.argv[1] + "/timeline.wav")[0]
labels = t[:, 0][t[:, 0] >= 0]
assert len(labels) > 0.9 * len(t) and len(np.unique(labels)) >= 3, "timeline labels"
print("ok")
PY
