#!/bin/bash
# Mosaicing quality (issue 10): one corpus, a DIFFERENT target recording, and the trade-off between following
# the target and the model's idea of the corpus. The corpus is lincity-ng's first track as 100 ms grains (16
# labels, `concatseq analyze` defaults otherwise), the model `concatseq train` chooses for it (seed 1); the target is
# the second track, heard as the corpus's own grains. The driver is `concatseq mosaic` (corpus-tools/src/
# cs_mosaic.c: the core listener's units, SeqPredict's and ConcatPlay's core code, block by block as the server
# runs them). Per selection, over SEEDS seeds:
#   distance    mean over the target units of the root mean square difference, in normalised units (z-scores),
#               between the target unit's descriptors and those of the unit played for it, over the matched
#               descriptors (the corpus's clustering descriptors without duration);
#   bits/label  the model's own cross-entropy of the played label sequence: mean -log2 p(label | labels before),
#               temperature 1, the model fed the played labels (teacher forcing);
#   units       distinct corpus units played.
# Rows: random (ConcatPlay select random, any label), nearest (select nearest, any label: no model), and the
# model choosing the label (guidance 0 = the model alone, 0.25, 1, 4, 16) with the nearest unit of that label.
# Usage: tests/bench/run_mosaic.sh [build-dir]     (default build dir: <source>/build)
# Environment: SEEDS (default "1 2 3"), EPOCHS (30), KEEP (a folder to keep the bundle, renders and reports in).
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$SRC/build}
CS=$BUILD/corpus-tools/concatseq
PY=/usr/bin/python3
SEEDS=${SEEDS:-"1 2 3"}
EPOCHS=${EPOCHS:-30}
MUSIC=/usr/share/games/lincity-ng/music/default
CORPUS="$MUSIC/01 - pronobozo - lincity.ogg"
TARGET="$MUSIC/02 - Robert van Herk - City Blues.ogg"
if [ ! -x "$CS" ]; then
    echo "run_mosaic.sh: $CS not found: build first (cmake --build $BUILD)" >&2
    exit 2
fi
if [ ! -f "$CORPUS" ] || [ ! -f "$TARGET" ]; then
    echo "run_mosaic.sh: lincity-ng's music not found under $MUSIC (Debian package lincity-ng-data)" >&2
    exit 2
fi
if [ -n "${KEEP:-}" ]; then
    TMP=$KEEP
    mkdir -p "$TMP"
else
    TMP=$(mktemp -d)
    trap 'rm -rf "$TMP"' EXIT
fi

"$CS" analyze "$CORPUS" -o "$TMP/corpus" --force --quiet --progress none
"$CS" train "$TMP/corpus" --epochs "$EPOCHS" --seed 1 --force --quiet
"$CS" info "$TMP/corpus" | head -n 3
"$CS" eval "$TMP/corpus" | grep -i "this model" || true

run() { # run NAME SEED options...
    local name=$1 seed=$2
    shift 2
    "$CS" mosaic "$TMP/corpus" "$TARGET" -o "$TMP/$name-$seed.wav" --force --quiet --mode grains --seed "$seed" \
        --report "$TMP/$name-$seed.tsv" "$@"
}
ROWS=()
for seed in $SEEDS; do
    run random "$seed" --select random --score "$TMP/corpus/model.wav"
    run nearest "$seed" --select nearest --score "$TMP/corpus/model.wav"
    for g in 0 0.25 1 4 16; do
        run "guidance$g" "$seed" --model "$TMP/corpus/model.wav" --guidance "$g"
    done
done
ROWS=(random nearest guidance0 guidance0.25 guidance1 guidance4 guidance16)
"$PY" - "$TMP" "$SEEDS" "${ROWS[@]}" <<'PYEOF'
import math, statistics, sys
tmp, seeds, rows = sys.argv[1], sys.argv[2].split(), sys.argv[3:]
print(f"{'selection':<14} {'distance':>9} {'(sd)':>7} {'bits/label':>10} {'(sd)':>7} {'units':>6} {'played':>7}")
for name in rows:
    dist, bits, units, played = [], [], [], []
    for s in seeds:
        r = [l.rstrip('\n').split('\t') for l in open(f"{tmp}/{name}-{s}.tsv")][1:]
        p = [x for x in r if x[5] != '-1']
        dist.append(statistics.fmean(float(x[6]) for x in p))
        bits.append(statistics.fmean(float(x[7]) for x in p))
        units.append(len({x[5] for x in p}))
        played.append(len(p))
    sd = lambda v: statistics.stdev(v) if len(v) > 1 else 0.0
    label = {"random": "random", "nearest": "nearest"}.get(name, "model g=" + name[len("guidance"):])
    print(f"{label:<14} {statistics.fmean(dist):9.4f} {sd(dist):7.4f} {statistics.fmean(bits):10.4f} "
          f"{sd(bits):7.4f} {statistics.fmean(units):6.0f} {statistics.fmean(played):7.0f}")
PYEOF
