#!/usr/bin/env bash
# Analysis throughput of `concatseq analyze` (decode through write) on every lincity-ng-data music track
# (Ogg/Vorbis, 44.1 kHz stereo -> 48 kHz mono), the long real recording of the tests, beside its peer in the same
# run: sox (SoX, `rate -h`, its high-quality resampler = libsoxr's HQ) decoding and resampling the same tracks to
# 48 kHz mono float. Reported per resampler (soxr-hq = the default, src-medium = libsamplerate's sinc medium, the
# former default): wall time and x real time on 2 threads, CPU time (user + sys; the machine may be shared, so
# the ratios are of CPU time), the CPU ratio to sox, and peak RSS against the corpus's float audio
# (frames x 4 bytes at 48 kHz mono). Then grain/onset segmentation and clustering stage times. Not a timed test:
# it prints figures. usage: tests/bench/run_analysis.sh [BUILD_DIR]
set -euo pipefail
BUILD=${1:-build}
CS="$BUILD/corpus-tools/concatseq"
MUSIC=/usr/share/games/lincity-ng/music/default
[ -x "$CS" ] || { echo "build first: $CS not found"; exit 1; }
[ -d "$MUSIC" ] || { echo "install lincity-ng-data"; exit 1; }
command -v sox >/dev/null || { echo "install sox (the peer)"; exit 1; }
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
TIME=/usr/bin/time
echo "input: $(ls "$MUSIC"/*.ogg | wc -l) Ogg tracks from lincity-ng-data, threads: 2"

# the peer: sox decodes and resamples each track (one process per track, CPU summed)
sox_cpu=0
for f in "$MUSIC"/*.ogg; do
    c=$($TIME -f "%U %S" sox -q "$f" -c 1 -t f32 /dev/null rate -h 48000 2>&1 >/dev/null | tail -n 1)
    sox_cpu=$(awk -v a=$sox_cpu -v c="$c" 'BEGIN { split(c, t, " "); print a + t[1] + t[2] }')
done

for rs in soxr-hq src-medium; do
    tl=$($TIME -f "TIME %e %U %S %M" "$CS" analyze "$MUSIC" -o "$OUT/$rs" --resampler $rs --threads 2 --clusters 32 \
        2>&1 | grep -v warning | tail -n 3)
    audio=$(sed -n 's/.*, \([0-9.]*\) s, .*/\1/p' <<<"$tl" | head -n 1)
    read -r wall user sys rss < <(sed -n 's/^TIME //p' <<<"$tl")
    awk -v r=$rs -v a=$audio -v w=$wall -v u=$user -v s=$sys -v m=$rss -v x=$sox_cpu 'BEGIN {
        fl = a * 48000 * 4 / 1024;
        printf "%-10s audio %.1f s | wall %.2f s (%.0fx real time) | CPU %.2f s (%.0fx real time) | sox CPU %.2f s: ratio %.2f | peak RSS %.1f MB = %.2fx the float audio (%.1f MB)\n",
               r, a, w, a / w, u + s, a / (u + s), x, (u + s) / x, m / 1024, m / fl, fl / 1024 }'
done

for seg in grain onset; do
    line=$("$CS" analyze "$MUSIC" -o "$OUT/$seg" --segment $seg --threads 2 --clusters 32 2>&1 | tail -n 2)
    audio=$(sed -n 's/.*, \([0-9.]*\) s, .*/\1/p' <<<"$line" | head -n 1)
    dec=$(sed -n 's/.*decode \([0-9.]*\) s.*/\1/p' <<<"$line")
    ana=$(sed -n 's/.*analysis \([0-9.]*\) s.*/\1/p' <<<"$line")
    clu=$(sed -n 's/.*clustering \([0-9.]*\) s.*/\1/p' <<<"$line")
    awk -v s=$seg -v a=$audio -v d=$dec -v n=$ana -v c=$clu 'BEGIN {
        printf "%-6s audio %.1f s | decode+resample+frames %.2f s (%.0fx real time) | segment+describe %.3f s (%.0fx real time) | k-means K=32 %.3f s\n",
               s, a, d, a / d, n, a / n, c }'
done
