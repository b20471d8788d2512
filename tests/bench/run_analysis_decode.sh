#!/usr/bin/env bash
# Would decoding several files at once (issue 12 item 1) speed up `concatseq analyze` of the lincity-ng folder on
# this machine's cores? Measured side by side, R rounds, in the same run:
#  - bench_decode: the first stage of analyze alone, on one thread: decode + resample D (cs_decoder, the blocks
#    analyze takes) and the frame analysis F of those blocks, each by the thread's CPU clock;
#  - sox (the peer) decoding and resampling the same tracks to 48 kHz mono float (`rate -h`): D / sox;
#  - the whole analyze (decode through write) with --threads 1 (no decoder thread) and --threads 2 (the decoder
#    thread decodes the next block and source ahead; the frame analysis runs on 2 threads): CPU, wall, peak RSS,
#    and whether the two bundles are identical.
# Decoding overlaps only the first stage (decode, frames, the write of audio.wav). On P cores with one decoder
# thread it cannot take less than max(D, (D + F) / P); several decoders would lower that bound only when
# D > (D + F) / P. CPU times, because the machine is shared; wall times and the load beside them. Not a test.
# usage: tests/bench/run_analysis_decode.sh [BUILD_DIR] [ROUNDS]
set -euo pipefail
BUILD=${1:-build}
R=${2:-3}
CS="$BUILD/corpus-tools/concatseq"
BD="$BUILD/tests/bench/bench_decode"
MUSIC=/usr/share/games/lincity-ng/music/default
[ -x "$CS" ] && [ -x "$BD" ] || { echo "build first: $CS, $BD"; exit 1; }
[ -d "$MUSIC" ] || { echo "install lincity-ng-data"; exit 1; }
command -v sox >/dev/null || { echo "install sox (the peer)"; exit 1; }
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
TIME=/usr/bin/time
mapfile -t FILES < <("$CS" analyze "$MUSIC" --list --quiet)
P=$(nproc)
echo "input: ${#FILES[@]} Ogg tracks of lincity-ng-data (44.1 kHz stereo -> 48 kHz mono), $P cores, $R rounds"
for r in $(seq 1 "$R"); do
    echo "round $r (load $(cut -d' ' -f1 /proc/loadavg))"
    d=$("$BD" "${FILES[@]}")
    dcpu=$(sed -n 's/.*: CPU \([0-9.]*\) s .*/\1/p' <<<"$d")
    fcpu=$(sed -n 's/.*frames ([0-9]*) CPU \([0-9.]*\) s.*/\1/p' <<<"$d")
    audio=$(sed -n 's/.*audio \([0-9.]*\) s.*/\1/p' <<<"$d")
    echo "  $d"
    scpu=0
    for f in "${FILES[@]}"; do
        c=$($TIME -f "%U %S" sox -q "$f" -c 1 -t f32 /dev/null rate -h 48000 2>&1 >/dev/null | tail -n 1)
        scpu=$(awk -v a=$scpu -v c="$c" 'BEGIN { split(c, t, " "); print a + t[1] + t[2] }')
    done
    echo "  sox CPU $scpu s; D / sox = $(awk -v a=$dcpu -v b=$scpu 'BEGIN { printf "%.2f", a / b }')"
    awk -v d=$dcpu -v f=$fcpu -v p=$P 'BEGIN { b = (d + f) / p; printf "  first stage on %d cores, one decoder: bound max(D, (D+F)/%d) = max(%.2f, %.2f) s: %s\n", p, p, d, b, (d > b) ? "the decoder chain bounds it: several decoders would help" : "the CPU bounds it: several decoders cannot help"; for (q = 2; q <= 8; q *= 2) printf "    on %d cores: max(%.2f, %.2f)%s\n", q, d, (d + f) / q, (d > (d + f) / q) ? " decoder-bound" : "" }'
    for t in 1 2; do
        rm -rf "$OUT/t$t"
        tl=$($TIME -f "TIME %e %U %S %M" "$CS" analyze "$MUSIC" -o "$OUT/t$t" --threads $t --clusters 32 --quiet 2>&1 |
            tail -n 1)
        read -r wall user sys rss < <(sed -n 's/^TIME //p' <<<"$tl")
        awk -v t=$t -v w=$wall -v u=$user -v s=$sys -v m=$rss -v d=$dcpu -v x=$scpu -v a=$audio 'BEGIN {
            c = u + s; fl = a * 48000 * 4 / 1024;
            printf "  analyze --threads %d: CPU %.2f s (%.0fx real time; %.2fx sox), wall %.2f s (%.0fx real time), peak RSS %.1f MB = %.2fx the float audio; D / CPU = %.2f\n",
                   t, c, a / c, c / x, w, a / w, m / 1024, m / fl, d / c }'
    done
    cmp -s "$OUT/t1/units.wav" "$OUT/t2/units.wav" && echo "  bundles of 1 and 2 threads: identical" ||
        echo "  bundles of 1 and 2 threads: DIFFER"
done
