#!/usr/bin/env bash
# Peak memory (maximum resident set size, /usr/bin/time -v, else getrusage via python3) of `concatseq analyze`
# against the length of the source: generated 16-bit 48 kHz mono WAVs of tones and noise (gen_long_audio.c,
# compiled here) of each length given, analysed with grain units (100 ms) into 16 clusters on 2 threads.
# The files go to a temporary folder and are deleted after. Not a timed test: it prints figures.
# usage: tests/bench/run_analysis_memory.sh [BUILD_DIR] [MINUTES...]   (default 10 60)
set -euo pipefail
BUILD=${1:-build}
shift || true
LENGTHS=("$@")
[ ${#LENGTHS[@]} -gt 0 ] || LENGTHS=(10 60)
CS="$BUILD/corpus-tools/concatseq"
[ -x "$CS" ] || { echo "build first: $CS not found"; exit 1; }
HERE=$(cd "$(dirname "$0")" && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cc -O2 -o "$TMP/gen" "$HERE/gen_long_audio.c" -lm
peak_kb() { # peak RSS in kB of the command "$@"
    if [ -x /usr/bin/time ]; then
        /usr/bin/time -v "$@" 2>"$TMP/time.txt" >/dev/null
        sed -n 's/.*Maximum resident set size (kbytes): //p' "$TMP/time.txt"
    else
        /usr/bin/python3 -c 'import resource, subprocess, sys
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$@"
    fi
}
echo "concatseq analyze --threads 2 --clusters 16 (grain 100 ms) on 48 kHz mono 16-bit WAV, peak RSS:"
for m in "${LENGTHS[@]}"; do
    "$TMP/gen" "$TMP/src.wav" $((m * 60))
    t0=$(date +%s)
    kb=$(peak_kb "$CS" analyze "$TMP/src.wav" -o "$TMP/b" --threads 2 --clusters 16 --force)
    t1=$(date +%s)
    audio_mb=$(awk -v m=$m 'BEGIN { printf "%.0f", m * 60 * 48000 * 4 / 1048576 }')
    awk -v m=$m -v kb=$kb -v a=$audio_mb -v s=$((t1 - t0)) 'BEGIN {
        printf "%6d min | peak RSS %8.1f MiB | corpus audio as float %6d MiB | %4d s\n", m, kb / 1024, a, s }'
    rm -rf "$TMP/src.wav" "$TMP/b"
done
