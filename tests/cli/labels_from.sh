#!/usr/bin/env bash
# concatseq analyze B --labels-from A (cross-corpus playing, BUNDLE.md "Labels from another corpus"): A's own
# source mapped onto A gets A's labels unit for unit; another recording gets A's labels by nearest centroid, every
# label playable, mapped units nearer their label's centroid than random units; A's model is accepted on such a
# bundle by eval and sample (and refused on an unrelated one); conflicting options and a bad A give one line.
. "$(dirname "$0")/common.bash"
A=$(a11wlk01) || { not_ok "a11wlk01.wav not found"; exit 1; }
mapfile -t OGG < <(find /usr/share/games/lincity-ng/music -name '*.ogg' | sort | head -n 2)
[ "${#OGG[@]}" -eq 2 ] || { not_ok "lincity-ng-data not installed"; exit 1; }
export PYTHONPATH=$SRC/tests/scripts
# labels (row field 4) and normalised descriptors (rows 8..) of a bundle's unit table
rows_py="
import numpy as np
from wavio import read_wav
def rows(b):
    t = read_wav(b + '/units.wav')[0][:, 0].astype(np.float64)
    n, d, stride, h = int(t[2]), int(t[3]), int(t[4]), int(t[5])
    return t[h:h + n * stride].reshape(n, stride)
"

"$CS" analyze "$A" -o "$W/a" --clusters 8 --quiet || not_ok "analyze A"

# 1. A's own source mapped onto A: the same units, A's labels (k-means labels satisfy the label rule), the same
# audio; the manifest records A and its checksum; the bundle passes the independent reader
out=$("$CS" analyze "$A" -o "$W/self" --labels-from "$W/a")
echo "$out"
check "summary names A and the distances" grep -q "^labels from .*: 0 of 8 labels given their nearest unit, 0 empty; mean distance" <<<"$out"
check "self map: same audio" cmp -s "$W/a/audio.wav" "$W/self/audio.wav"
check "self map: A's labels unit for unit, descriptors within float rounding" "$PY" -c "$rows_py
a, s = rows('$W/a'), rows('$W/self')
assert a.shape == s.shape and (a[:, 4] == s[:, 4]).all(), (a[:, 4], s[:, 4])
assert np.abs(a[:, 8:] - s[:, 8:]).max() <= 1e-5 * max(1.0, np.abs(a[:, 8:]).max())
"
check "self map: manifest records labels_from with A's checksum" "$PY" -c "
import json
a, s = json.load(open('$W/a/corpus.json')), json.load(open('$W/self/corpus.json'))
c = s['clustering']
assert c['method'] == 'labels-from' and c['labels_from']['unit_table_checksum'] == a['unit_table_checksum'], c
assert c['labels_from']['bundle'] == '$W/a' and s['labels'] == a['labels'] == 8
import numpy as np  # B's statistics are A's float32 ones (cJSON prints doubles to within one ulp)
for k in ('center', 'scale', 'weight'):
    assert [np.float32(d[k]) for d in s['descriptors']] == [np.float32(d[k]) for d in a['descriptors']], k
"
check "self map: check_bundle" "$PY" "$SRC/tests/scripts/check_bundle.py" "$W/self"

# 2. another recording (lincity-ng, 44.1 kHz Ogg): A's rate, every label of A playable, mapped units nearer their
# label's centroid than random units, deterministic
"$CS" analyze "${OGG[0]}" -o "$W/la" --clusters 32 --quiet || not_ok "analyze lincity A"
out=$("$CS" analyze "${OGG[1]}" -o "$W/lb" --labels-from "$W/la" 2>"$W/lb.err")
echo "$out"; cat "$W/lb.err"
check "cross map: check_bundle" "$PY" "$SRC/tests/scripts/check_bundle.py" "$W/lb" --rate 48000 --labels 32
check "cross map: every label has units; mapped nearer than random; labels are the nearest centroid's but for the filled ones" "$PY" -c "$rows_py
import json
m = json.load(open('$W/lb/corpus.json'))
lf = m['clustering']['labels_from']
assert all(l['units'] > 0 for l in m['clustering']['labels']), m['clustering']['labels']
assert lf['empty_labels'] == 0 and 0 < lf['mean_distance'] < lf['random_mean_distance'], lf
# the label rule against A's centroids, recomputed here
la = json.load(open('$W/la/corpus.json'))
C = np.array([l['centroid'] for l in la['clustering']['labels']], dtype=np.float32).astype(np.float64)
w = np.array([d['weight'] for d in la['descriptors']])
r = rows('$W/lb')
X = r[:, 8:]
d2 = (((X[:, None, :] - C[None, :, :]) ** 2) * w).sum(axis=2)
near = d2.argmin(axis=1)
moved = (near != r[:, 4]).sum()
assert moved == lf['nearest_unit_labels'], (moved, lf)
"
"$CS" analyze "${OGG[1]}" -o "$W/lb2" --labels-from "$W/la" --quiet
check "cross map: same inputs, same bytes" cmp -s "$W/lb/units.wav" "$W/lb2/units.wav"

# 3. A's model on the mapped bundle: accepted by eval and sample (the choice was made at analysis); refused on a
# bundle analysed on its own (one line naming --any-corpus)
"$CS" train "$W/la" --epochs 1 --hidden 16 --layers 1 --quiet || not_ok "train A"
check "eval accepts A's model on B" "$CS" eval "$W/lb" "$W/la/model.wav"
check "sample accepts A's model on B" "$CS" sample "$W/lb" "$W/la/model.wav" -n 20
"$CS" analyze "${OGG[1]}" -o "$W/lc" --clusters 32 --quiet || not_ok "analyze C"
expect_error "A's model on an unrelated bundle" "--any-corpus" "" -- "$CS" eval "$W/lc" "$W/la/model.wav"

# 4. bad input: one line, no bundle left
expect_error "--labels-from with --rate" "--rate: not with --labels-from" "$W/x1" -- \
    "$CS" analyze "$A" -o "$W/x1" --labels-from "$W/a" --rate 44100
expect_error "--labels-from with --clusters" "--clusters: not with --labels-from" "$W/x2" -- \
    "$CS" analyze "$A" -o "$W/x2" --labels-from "$W/a" --clusters 4
expect_error "--labels-from a missing bundle" "--labels-from $W/none" "$W/x3" -- \
    "$CS" analyze "$A" -o "$W/x3" --labels-from "$W/none"

# 5. fewer units than labels. The table holds at most N + 1 labels: a11wlk01 in 138 ms grains gives 31 units for
# A's 32 labels: every unit whose label keeps another goes to a label nearest to no unit, one label of A stays
# empty (ConcatPlay plays nothing for it), said in the manifest, and the table is valid; 1 s grains (4 units) are
# refused with one line
"$CS" analyze "$A" -o "$W/few" --unit-ms 138 --hop-ms 138 --labels-from "$W/la" >/dev/null 2>"$W/few.err" || not_ok "analyze few"
check "fewer units than labels: warned" grep -q "1 have no unit at all (fewer units than labels) and play nothing" "$W/few.err"
check "fewer units than labels: check_bundle" "$PY" "$SRC/tests/scripts/check_bundle.py" "$W/few" --labels 32
check "fewer units than labels: one unit a label, one label empty" "$PY" -c "
import json
m = json.load(open('$W/few/corpus.json'))
lf, labs = m['clustering']['labels_from'], m['clustering']['labels']
assert m['units'] == 31 and all(l['units'] == 1 for l in labs if l['units']), labs
assert lf['empty_labels'] == 1 == sum(l['units'] == 0 for l in labs), lf
"
expect_error "far fewer units than labels" "it has 32 labels but these sources give 4 units" "$W/few4" -- \
    "$CS" analyze "$A" -o "$W/few4" --unit-ms 1000 --hop-ms 1000 --labels-from "$W/la"
