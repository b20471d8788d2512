#!/usr/bin/env bash
# concatseq mosaic: a target rendered from a corpus. The corpus's own source as the target, cut as the corpus
# was, finds every unit itself at distance 0 (the listener describes as analyze does, the nearest selection
# finds it); a different recording renders deterministically, nearest closer than random; a model chooses the
# labels and scores them; bad input gives one line and leaves no file.
. "$(dirname "$0")/common.bash"
A=$(a11wlk01) || { not_ok "a11wlk01.wav not found"; exit 1; }
OGG=$(find /usr/share/games/lincity-ng/music -name '*.ogg' | sort | head -n 1)
[ -n "$OGG" ] || { not_ok "lincity-ng-data not installed"; exit 1; }
export PYTHONPATH=$SRC/tests/scripts

"$CS" analyze "$A" -o "$W/a" --unit-ms 100 --hop-ms 100 --quiet || not_ok "analyze a11wlk01"

# 1. the corpus's own source, grains: the listener (ConcatListen's core) hears the corpus's grains with the
# descriptors analyze gave them, so unit k is played for grain k at distance 0, and the heard label (nearest
# centroid) is unit k's label; grains past the source's end (silence in them) are heard too, and come last.
# Report columns: at_s age_s heard_label heard_distance label unit distance bits
check "self mosaic runs" "$CS" mosaic "$W/a" "$A" -o "$W/self.wav" --report "$W/self.tsv" --quiet
nu=$("$PY" -c "import json;print(json.load(open('$W/a/corpus.json'))['units'])")
check "self mosaic: every grain of the corpus plays its own unit at distance 0, with its label" "$PY" -c "
rows=[l.rstrip('\n').split('\t') for l in open('$W/self.tsv')][1:]
n=$nu
assert n > 10 and len(rows) >= n, (n, len(rows))
for k, r in enumerate(rows[:n]):
    assert int(r[5]) == k and float(r[6]) == 0.0 and r[2] == r[4], (k, r)
"
check "self mosaic: corpus rate and channels, finite, not silent, at least the target long" "$PY" -c "
from wavio import read_wav
import numpy as np
x, rate, tag, bits = read_wav('$W/self.wav')
y, r2, _, _ = read_wav('$W/a/audio.wav')
assert rate == r2 and x.shape[1] == y.shape[1] and tag == 3, (rate, r2, x.shape)
assert np.all(np.isfinite(x)) and np.abs(x).max() > 0.01
assert x.shape[0] >= y.shape[0] - 4800, (x.shape, y.shape)
"

# 2. another recording (an Ogg at 44.1 kHz: decoded and resampled), deterministic, nearest closer than random
out1=$("$CS" mosaic "$W/a" "$OGG" -o "$W/o1.wav" --mode frames)
echo "$out1"
check "summary line" grep -q "^wrote .*target units.*played, mean distance" <<<"$out1"
"$CS" mosaic "$W/a" "$OGG" -o "$W/o2.wav" --mode frames --quiet
check "same inputs, same bytes" cmp -s "$W/o1.wav" "$W/o2.wav"
"$CS" mosaic "$W/a" "$OGG" -o "$W/o3.wav" --mode frames --block 256 --quiet
check "another block size renders too" [ -s "$W/o3.wav" ]
outr=$("$CS" mosaic "$W/a" "$OGG" -o "$W/r1.wav" --mode frames --select random --seed 5)
"$CS" mosaic "$W/a" "$OGG" -o "$W/r2.wav" --mode frames --select random --seed 6 --quiet
check "random selection: another seed, other bytes" bash -c "! cmp -s '$W/r1.wav' '$W/r2.wav'"
dist() { sed -n 's/.*mean distance \([0-9.]*\).*/\1/p' <<<"$1"; }
check "nearest is closer to the target than random" "$PY" -c "import sys; sys.exit(0 if $(dist "$out1") < $(dist "$outr") else 1)"
prog=$("$CS" mosaic "$W/a" "$A" -o "$W/p.wav" --progress lines)
check "--progress lines: one line per second of the target" grep -q "^progress render 1 4 s of the target" <<<"$prog"
outd=$("$CS" mosaic "$W/a" "$OGG" -o "$W/d.wav" --mode onsets --descriptors loudness,centroid --report "$W/d.tsv")
check "onsets, two descriptors" grep -q "played" <<<"$outd"

# 3. a model chooses the labels (SeqPredict's core) and scores them
"$CS" train "$W/a" --epochs 2 --hidden 16 --layers 1 --quiet || not_ok "train"
outm=$("$CS" mosaic "$W/a" "$OGG" -o "$W/m.wav" --mode grains --model "$W/a/model.wav" --report "$W/m.tsv")
echo "$outm"
check "model: bits per label reported" grep -q "bits/label" <<<"$outm"
check "model: every played unit has a label and finite bits" "$PY" -c "
import math
rows=[l.rstrip('\n').split('\t') for l in open('$W/m.tsv')][1:]
played=[r for r in rows if r[5] != '-1']
assert len(played) > 10
assert all(0 <= int(r[4]) < 64 and math.isfinite(float(r[7])) for r in played)
"
outs=$("$CS" mosaic "$W/a" "$OGG" -o "$W/s.wav" --mode grains --score "$W/a/model.wav")
check "score only: bits per label too" grep -q "bits/label" <<<"$outs"

# 4. bad input: one line, no output file, no temporary file
expect_error "no output" "-o OUT.wav" "" -- "$CS" mosaic "$W/a" "$A"
expect_error "missing target" "nope.wav" "$W/x.wav" -- "$CS" mosaic "$W/a" "$W/nope.wav" -o "$W/x.wav"
expect_error "not a bundle" "no such bundle" "$W/x.wav" -- "$CS" mosaic "$W/nobundle" "$A" -o "$W/x.wav"
expect_error "bad mode" "--mode novelty" "$W/x.wav" -- "$CS" mosaic "$W/a" "$A" -o "$W/x.wav" --mode novelty
expect_error "unknown descriptor" "frobness" "$W/x.wav" -- "$CS" mosaic "$W/a" "$A" -o "$W/x.wav" --descriptors frobness
expect_error "guidance without a model" "--guidance needs --model" "$W/x.wav" -- "$CS" mosaic "$W/a" "$A" -o "$W/x.wav" --guidance 1
expect_error "not a model" "not a valid model" "$W/x.wav" -- "$CS" mosaic "$W/a" "$A" -o "$W/x.wav" --model "$A"
expect_error "unknown option" "unknown option --frob" "$W/x.wav" -- "$CS" mosaic "$W/a" "$A" -o "$W/x.wav" --frob 1
expect_error "output exists" "already exists" "" -- "$CS" mosaic "$W/a" "$A" -o "$W/o1.wav"
check "no partial file left" bash -c "! ls -a '$W' | grep -q partial"
cp "$A" "$W/-t.wav"
check "-- ends the options: a target named -t.wav" bash -c "cd '$W' && '$CS' mosaic a -o dash.wav --quiet -- -t.wav"
