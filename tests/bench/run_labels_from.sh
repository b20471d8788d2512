#!/bin/bash
# Cross-corpus playing (issue 13.3): how near the units of corpus B that carry corpus A's labels
# (`concatseq analyze B --labels-from A`) are to A's label centroids, against random units of B. Two real
# corpora: lincity-ng's first two tracks, 100 ms grains, k-means with K labels, both directions. Per row:
#   filled    A's labels nearest to no unit of B, given B's unit nearest their centroid (BUNDLE.md)
#   mapped    per label of A, the mean distance (square root of the label rule's weighted squared distance, in
#             A's normalised units) of B's units of that label to A's centroid, averaged over the labels
#             weighted by their unit counts in A (how often A's sequence plays each)
#   random    the same with every unit of B: what a label played with a random unit of B would give
#   ratio     mapped / random
# The figures are the manifest's clustering.labels_from.mean_distance / random_mean_distance.
# Usage: tests/bench/run_labels_from.sh [build-dir]   Environment: KS (default "16 32 64"), KEEP (a folder to keep)
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$SRC/build}
CS=$BUILD/corpus-tools/concatseq
PY=/usr/bin/python3
KS=${KS:-"16 32 64"}
MUSIC=/usr/share/games/lincity-ng/music/default
T1="$MUSIC/01 - pronobozo - lincity.ogg"
T2="$MUSIC/02 - Robert van Herk - City Blues.ogg"
[ -f "$T1" ] && [ -f "$T2" ] || { echo "lincity-ng-data is not installed" >&2; exit 1; }
W=${KEEP:-$(mktemp -d)}
mkdir -p "$W"
printf '%-6s %-12s %8s %9s %9s %7s\n' K direction filled mapped random ratio
for k in $KS; do
    "$CS" analyze "$T1" -o "$W/t1_$k" --clusters "$k" --force --quiet
    "$CS" analyze "$T2" -o "$W/t2_$k" --clusters "$k" --force --quiet
    for dir in "1 2" "2 1"; do
        set -- $dir
        "$CS" analyze "$([ "$2" = 1 ] && echo "$T1" || echo "$T2")" -o "$W/t$2_from_t$1_$k" --labels-from "$W/t$1_$k" \
            --force --quiet
        "$PY" -c "
import json, sys
lf = json.load(open(sys.argv[1]))['clustering']['labels_from']
print('%-6d %-12s %5d/%-3d %9.4f %9.4f %7.3f' % ($k, 'track $1 -> $2', lf['nearest_unit_labels'], lf['labels'],
      lf['mean_distance'], lf['random_mean_distance'], lf['mean_distance'] / lf['random_mean_distance']))
" "$W/t$2_from_t$1_$k/corpus.json"
    done
done
[ -n "${KEEP:-}" ] || rm -rf "$W"
