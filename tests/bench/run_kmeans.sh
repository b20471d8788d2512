#!/bin/bash
# k-means benchmark: cs_kmeans vs scikit-learn's KMeans (lloyd) on the same 100k x 24 float32 matrix, same
# k = 64, n_init, max_iter and tol, two threads each, in the same run. Prints both lines and the ratios
# (time ours / sklearn: below 1 is faster; inertia ours / sklearn: within 1 % expected).
# Usage: tests/bench/run_kmeans.sh [build-dir]     (default build dir: <source>/build)
# Environment: N_INIT (default 4), N (100000), D (24), K (64).
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$SRC/build}
BENCH=$BUILD/tests/bench/bench_kmeans
PY=/usr/bin/python3
N_INIT=${N_INIT:-4}
N=${N:-100000}
D=${D:-24}
K=${K:-64}
if [ ! -x "$BENCH" ]; then
    echo "run_kmeans.sh: $BENCH not found: build first (cmake --build $BUILD)" >&2
    exit 2
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

"$PY" "$SRC/tests/bench/bench_kmeans_sklearn.py" --write "$TMP/X.f32" --n "$N" --d "$D"
COMMON=(--file "$TMP/X.f32" --n "$N" --d "$D" --k "$K" --n-init "$N_INIT" --max-iter 300 --tol 1e-4)
OURS=$("$BENCH" "${COMMON[@]}" --threads 2 --seed 0)
SK=$(OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 MKL_NUM_THREADS=2 "$PY" "$SRC/tests/bench/bench_kmeans_sklearn.py" \
    "${COMMON[@]}")
echo "$OURS"
echo "$SK"
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }
awk -v to="$(field seconds "$OURS")" -v ts="$(field seconds "$SK")" \
    -v io="$(field inertia "$OURS")" -v is="$(field inertia "$SK")" \
    'BEGIN { printf "time ratio (ours / sklearn) = %.4f   inertia ratio (ours / sklearn) = %.5f\n", to / ts, io / is }'
