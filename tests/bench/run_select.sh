#!/bin/bash
# Nearest-unit selection benchmark (issue 12 item 2): bench_select on the synthetic 100k x 24 corpus and on a real
# one, the lincity-ng music as 100 ms grains: tracks 1 and 2 (hop 25 ms) are the corpus, track 3 (hop 100 ms,
# analysed --labels-from the corpus) gives the queries, each at its own label. Every method (the old search of
# 60b95c9, main 199a42b's exact and budgeted searches at its own budget, the new exact and budgeted searches, AVX2
# and portable kernels, all on the same index version 5 table) runs on every query in the same run; the figures are
# per-query thread CPU times, the ratios old / new and 199a42b / new, the recall at other budgets and the cost fit
# of the search's operations (the work units of cs_select.h).
# Usage: tests/bench/run_select.sh [build-dir] [queries]      (default build dir: <source>/build; 2000 queries)
# Environment: N (100000 units), LEAF (the index's leaf size for the synthetic corpus, default 32).
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$SRC/build}
Q=${2:-2000}
BENCH=$BUILD/tests/bench/bench_select
CS=$BUILD/corpus-tools/concatseq
MUSIC=/usr/share/games/lincity-ng/music/default
if [ ! -x "$BENCH" ] || [ ! -x "$CS" ]; then
    echo "run_select.sh: $BENCH or $CS not found: build first (cmake --build $BUILD)" >&2
    exit 2
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
REAL=()
if [ -f "$MUSIC/01 - pronobozo - lincity.ogg" ]; then
    "$CS" analyze "$MUSIC/01 - pronobozo - lincity.ogg" "$MUSIC/02 - Robert van Herk - City Blues.ogg" \
        -o "$TMP/corpus" --unit-ms 100 --hop-ms 25 >/dev/null
    "$CS" analyze "$MUSIC/03 - Robert van Herk - Architectural Contemplations.ogg" -o "$TMP/queries" \
        --labels-from "$TMP/corpus" >/dev/null
    REAL=("$TMP/corpus" "$TMP/queries")
else
    echo "run_select.sh: lincity-ng-data not installed ($MUSIC): synthetic corpus only" >&2
fi
"$BENCH" "${N:-100000}" "$Q" "${LEAF:-32}" "${REAL[@]}"
