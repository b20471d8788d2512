#!/bin/bash
# The test-part table of issue 11: real bundles (a11wlk01 grains and onsets, a hydrogen kit, each lincity-ng
# track as grains and as onsets, all lincity tracks together), the default GRU and the default transformer
# trained on each (80/10/10 split, early stopping on validation), then `concatseq eval` of each: test bits/label
# with 95 % block-bootstrap intervals for uniform, add-k (best of unigram/bigram on validation), modified KN
# (order chosen on validation), the GRU, the transformer and the GRU + MKN mixture (weight fit on validation).
# Training wall time is printed beside (threads as given; the machine's other load counts, so it is a figure
# for the note, not a test).
# Usage: tests/bench/run_eval_table.sh [BUILD_DIR] [WORK_DIR] [threads=2]
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
BUILD="${1:-$HERE/../../build}"
WORK="${2:-$(mktemp -d)}"
THREADS="${3:-2}"
CS="$BUILD/corpus-tools/concatseq"
[ -x "$CS" ] || { echo "build first: $CS not found" >&2; exit 1; }
mkdir -p "$WORK"
A=$(find /usr/share/SuperCollider /usr/local/share/SuperCollider -name a11wlk01.wav 2>/dev/null | head -n 1 || true)
KIT=/usr/share/hydrogen/data/drumkits/ColomboAcousticDrumkit
MUSIC=/usr/share/games/lincity-ng/music/default
[ -n "$A" ] && [ -d "$KIT" ] && [ -d "$MUSIC" ] || { echo "needs supercollider-common, hydrogen-drumkits, lincity-ng-data" >&2; exit 77; }
bundles=()
make_bundle() { # name input analyze-options...
    local name=$1 in=$2; shift 2
    [ -f "$WORK/$name/corpus.json" ] || "$CS" analyze "$in" -o "$WORK/$name" --force --quiet --seed 1 "$@"
    bundles+=("$name")
}
make_bundle a11-grain "$A" --unit-ms 80 --hop-ms 20 --clusters 12
make_bundle a11-onset "$A" --segment onset --clusters 8
make_bundle kit-onset "$KIT" --segment onset --clusters 8
i=0
for f in "$MUSIC"/*.ogg; do
    i=$((i + 1))
    make_bundle "lincity$i-grain" "$f" --unit-ms 100 --hop-ms 100 --clusters 16
    make_bundle "lincity$i-onset" "$f" --segment onset --clusters 16
done
make_bundle lincity-all-grain "$MUSIC" --unit-ms 100 --hop-ms 100 --clusters 16
seconds() { /usr/bin/python3 -c 'import time; print(time.monotonic())'; }
printf '| bundle | units | test labels | uniform | add-k | modified KN | GRU | transformer | GRU + MKN (weight) | train s GRU / TF |\n'
printf '|---|---|---|---|---|---|---|---|---|---|\n'
for b in "${bundles[@]}"; do
    t0=$(seconds)
    [ -f "$WORK/$b/gru.wav" ] || "$CS" train --arch gru "$WORK/$b" -o "$WORK/$b/gru.wav" --quiet --threads "$THREADS" --seed 1
    t1=$(seconds)
    [ -f "$WORK/$b/tf.wav" ] || "$CS" train "$WORK/$b" -o "$WORK/$b/tf.wav" --arch transformer --quiet --threads "$THREADS" --seed 1
    t2=$(seconds)
    "$CS" eval "$WORK/$b" "$WORK/$b/gru.wav" --json --threads "$THREADS" > "$WORK/$b/eval_gru.json"
    "$CS" eval "$WORK/$b" "$WORK/$b/tf.wav" --json --threads "$THREADS" > "$WORK/$b/eval_tf.json"
    /usr/bin/python3 - "$WORK/$b" "$b" "$t0" "$t1" "$t2" <<'PY'
import json, sys
d, name, t0, t1, t2 = sys.argv[1], sys.argv[2], *map(float, sys.argv[3:])
g = json.load(open(d + "/eval_gru.json")); t = json.load(open(d + "/eval_tf.json"))
units = json.load(open(d + "/corpus.json"))["units"]
def cell(j, k):
    b, (lo, hi) = j["bits_per_label"][k], j["interval"][k]
    return "%.3f [%.3f, %.3f]" % (b, lo, hi)
addk = min(("unigram", "bigram"), key=lambda k: g["val_bits_per_label"][k])
mix = cell(g, "model_mkn_mixture") + " (" + g["setting"]["model_mkn_mixture"].split()[-1] + ")"
print("| %s | %s | %d | %.3f | %s %s | %s %s | %s | %s | %s | %.1f / %.1f |" % (
    name, units, g["test_labels"], g["bits_per_label"]["uniform"], cell(g, addk), g["setting"][addk],
    cell(g, "modified_kneser_ney"), g["setting"]["modified_kneser_ney"], cell(g, "model"), cell(t, "model"), mix,
    t1 - t0, t2 - t1))
PY
done
