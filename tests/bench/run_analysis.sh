#!/usr/bin/env bash
# Analysis throughput of `concatseq analyze` in x real time (audio seconds per wall second) on 2 threads, for
# grain and onset segmentation, with decoding+resampling and clustering timed separately (the CLI reports each
# stage; the decode stage includes the frame analysis, which runs on the decoded blocks as they come). Input:
# every lincity-ng-data music track (Ogg/Vorbis, 44.1 kHz stereo -> 48 kHz mono), the long real recording of
# the tests. Not a timed test: it prints figures.
# usage: tests/bench/run_analysis.sh [BUILD_DIR]
set -euo pipefail
BUILD=${1:-build}
CS="$BUILD/corpus-tools/concatseq"
MUSIC=/usr/share/games/lincity-ng/music/default
[ -x "$CS" ] || { echo "build first: $CS not found"; exit 1; }
[ -d "$MUSIC" ] || { echo "install lincity-ng-data"; exit 1; }
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
echo "input: $(ls "$MUSIC"/*.ogg | wc -l) Ogg tracks from lincity-ng-data, threads: 2"
for seg in grain onset; do
    line=$("$CS" analyze "$MUSIC" -o "$OUT/$seg" --segment $seg --threads 2 --clusters 32 | tail -n 2)
    audio=$(sed -n 's/.*, \([0-9.]*\) s, .*/\1/p' <<<"$line" | head -n 1)
    dec=$(sed -n 's/.*decode \([0-9.]*\) s.*/\1/p' <<<"$line")
    ana=$(sed -n 's/.*analysis \([0-9.]*\) s.*/\1/p' <<<"$line")
    clu=$(sed -n 's/.*clustering \([0-9.]*\) s.*/\1/p' <<<"$line")
    awk -v s=$seg -v a=$audio -v d=$dec -v n=$ana -v c=$clu 'BEGIN {
        printf "%-6s audio %.1f s | decode+resample+frames %.2f s (%.0fx real time) | segment+describe %.3f s (%.0fx real time) | k-means K=32 %.3f s\n",
               s, a, d, a / d, n, a / n, c }'
done
