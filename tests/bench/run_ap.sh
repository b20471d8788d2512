#!/bin/bash
# Affinity propagation at corpus scale: cs_affinity_propagation (bench_ap) beside scikit-learn's
# AffinityPropagation on the same weighted normalised descriptors, same damping (0.5), preference (the median
# similarity), max_iter (200) and convergence_iter (15), two threads each, in the same run. The corpus: every
# lincity-ng-data music track as 100 ms grains (analyze's default segmentation): 5 627 units x 26 descriptors.
# Prints both lines, their wall and CPU time ratios, peak RSS of each process and its ratio, and the agreement
# of the labels (adjusted Rand index, fraction of equal labels).
# Usage: tests/bench/run_ap.sh [build-dir]     (default build dir: <source>/build)
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$SRC/build}
BENCH=$BUILD/tests/bench/bench_ap
CS=$BUILD/corpus-tools/concatseq
PY=/usr/bin/python3
MUSIC=/usr/share/games/lincity-ng/music/default
[ -x "$BENCH" ] && [ -x "$CS" ] || { echo "run_ap.sh: build first (cmake --build $BUILD)" >&2; exit 2; }
[ -d "$MUSIC" ] || { echo "run_ap.sh: install lincity-ng-data" >&2; exit 2; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
"$CS" analyze "$MUSIC"/*.ogg -o "$TMP/b" --threads 2 --quiet
D=$("$CS" info "$TMP/b" | sed -n 's/^descriptors *\([0-9]*\).*/\1/p')
/usr/bin/time -f "rss_kb=%M" -o "$TMP/ours.rss" "$BENCH" "$TMP/b" --write "$TMP/X.f32" --labels "$TMP/ours.txt" \
    --threads 2 >"$TMP/ours.out"
OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 MKL_NUM_THREADS=2 /usr/bin/time -f "rss_kb=%M" -o "$TMP/sk.rss" \
    "$PY" "$SRC/tests/bench/bench_ap_sklearn.py" --file "$TMP/X.f32" --d "$D" --ours "$TMP/ours.txt" >"$TMP/sk.out"
OURS=$(cat "$TMP/ours.out")
SK=$(head -1 "$TMP/sk.out")
echo "$OURS $(cat "$TMP/ours.rss")"
echo "$SK $(cat "$TMP/sk.rss")"
tail -n +2 "$TMP/sk.out"
field() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<<"$2"; }
awk -v wo="$(field seconds "$OURS")" -v ws="$(field seconds "$SK")" -v co="$(field cpu "$OURS")" \
    -v cs="$(field cpu "$SK")" -v ro="$(field rss_kb "$(cat "$TMP/ours.rss")")" \
    -v rs="$(field rss_kb "$(cat "$TMP/sk.rss")")" \
    'BEGIN { printf "ratios ours / sklearn: wall %.4f  cpu %.4f  peak RSS %.4f (%.0f MB / %.0f MB)\n", wo / ws, co / cs, ro / rs, ro / 1024, rs / 1024 }'
