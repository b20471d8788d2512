#!/bin/bash
# Issue 11 item 2, descriptor inputs: test bits/label (95 % block-bootstrap intervals, 80/10/10 split, every
# choice on validation) of the GRU on labels alone, the same GRU with descriptor inputs (`train --desc-inputs`:
# the previous unit's normalised descriptors and duration beside its label), modified Kneser-Ney, and each GRU's
# mixture with MKN (weight fit on validation), side by side in one run on real bundles: every lincity-ng track
# together as 100 ms grains, lincity track 1 as 100 ms grains, a11wlk01 grains and onsets.
# The same for the transformer when ARCHS names it (the network of each row is the arch column).
# Usage: tests/bench/run_desc_eval.sh [BUILD_DIR] [WORK_DIR] [threads=2] [seeds="1"] [archs="gru"]
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
BUILD="${1:-$HERE/../../build}"
WORK="${2:-$(mktemp -d)}"
THREADS="${3:-2}"
SEEDS="${4:-1}"
ARCHS="${5:-gru}"
CS="$BUILD/corpus-tools/concatseq"
[ -x "$CS" ] || { echo "build first: $CS not found" >&2; exit 1; }
mkdir -p "$WORK"
A=$(find /usr/share/SuperCollider /usr/local/share/SuperCollider -name a11wlk01.wav 2>/dev/null | head -n 1 || true)
MUSIC=/usr/share/games/lincity-ng/music/default
[ -n "$A" ] && [ -d "$MUSIC" ] || { echo "needs supercollider-common, lincity-ng-data" >&2; exit 77; }
bundles=()
make_bundle() { # name input analyze-options...
    local name=$1 in=$2; shift 2
    [ -f "$WORK/$name/corpus.json" ] || "$CS" analyze "$in" -o "$WORK/$name" --force --quiet --seed 1 "$@"
    bundles+=("$name")
}
make_bundle lincity-all-grain "$MUSIC" --unit-ms 100 --hop-ms 100 --clusters 16
make_bundle lincity1-grain "$(ls "$MUSIC"/*.ogg | head -n 1)" --unit-ms 100 --hop-ms 100 --clusters 16
make_bundle a11-grain "$A" --unit-ms 80 --hop-ms 20 --clusters 12
make_bundle a11-onset "$A" --segment onset --clusters 8
printf '| bundle | arch | seed | test labels | MKN | net | net + desc | net + MKN | net + desc + MKN | desc vs net | desc vs MKN |\n'
printf '|---|---|---|---|---|---|---|---|---|---|---|\n'
for b in "${bundles[@]}"; do
  for a in $ARCHS; do
    p=$([ "$a" = gru ] && echo "" || echo "$a-") # file prefix: none for the GRU (the first runs' names)
    for s in $SEEDS; do
        [ -f "$WORK/$b/${p}gru$s.wav" ] || "$CS" train --arch "$a" "$WORK/$b" -o "$WORK/$b/${p}gru$s.wav" --quiet --threads "$THREADS" --seed "$s"
        [ -f "$WORK/$b/${p}desc$s.wav" ] || "$CS" train --arch "$a" --desc-inputs "$WORK/$b" -o "$WORK/$b/${p}desc$s.wav" --quiet --threads "$THREADS" --seed "$s"
        "$CS" eval "$WORK/$b" "$WORK/$b/${p}gru$s.wav" --json --threads "$THREADS" > "$WORK/$b/eval_${p}gru$s.json"
        "$CS" eval "$WORK/$b" "$WORK/$b/${p}desc$s.wav" --json --threads "$THREADS" > "$WORK/$b/eval_${p}desc$s.json"
        /usr/bin/python3 - "$WORK/$b" "$b" "$s" "$a" "$p" <<'PY'
import json, sys
d, name, s, arch, p = sys.argv[1:]
g = json.load(open(d + "/eval_%sgru%s.json" % (p, s))); e = json.load(open(d + "/eval_%sdesc%s.json" % (p, s)))
def cell(j, k):
    b, (lo, hi) = j["bits_per_label"][k], j["interval"][k]
    return "%.3f [%.3f, %.3f]" % (b, lo, hi)
mk, gb, db = g["bits_per_label"]["modified_kneser_ney"], g["bits_per_label"]["model"], e["bits_per_label"]["model"]
print("| %s | %s | %s | %d | %s | %s | %s | %s | %s | %+.1f %% | %+.1f %% |" % (
    name, arch, s, g["test_labels"], cell(g, "modified_kneser_ney"), cell(g, "model"), cell(e, "model"),
    cell(g, "model_mkn_mixture"), cell(e, "model_mkn_mixture"), 100 * (db - gb) / gb, 100 * (db - mk) / mk))
PY
    done
  done
done
