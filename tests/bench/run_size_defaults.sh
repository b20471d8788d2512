#!/bin/bash
# The measurement behind train's defaults by corpus size (corpus-tools/src/cs_size_defaults.c, issue 11 item 2):
# for each bundle of WORK (made by tests/bench/run_eval_table.sh, whose bundles it reuses), every network
# setting below is trained (80/10/10 split, early stopping on validation, seed 1) and its VALIDATION bits/label
# printed, one row per bundle with its number of training labels. The test part is never read. Settings:
#   gru2x64      --layers 2 --hidden 64 --dropout 0      (the defaults before the table)
#   gru1x64      --layers 1 --hidden 64 --dropout 0
#   gru1x32d.1   --layers 1 --hidden 32 --dropout 0.1
#   gru1x32d.3   --layers 1 --hidden 32 --dropout 0.3
#   gru2x64d.2   --layers 2 --hidden 64 --dropout 0.2
#   tf2x64       --arch transformer --layers 2 --hidden 64 --context 64 (the defaults before the table)
#   tf1x32d.1    --arch transformer --layers 1 --hidden 32 --heads 4 --context 32 --dropout 0.1
# Usage: tests/bench/run_size_defaults.sh [BUILD_DIR] WORK_DIR [threads=2] [bundle ...]
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
BUILD="${1:-$HERE/../../build}"
WORK="${2:?WORK_DIR with the bundles of run_eval_table.sh}"
THREADS="${3:-2}"
shift 3 || true
CS="$BUILD/corpus-tools/concatseq"
[ -x "$CS" ] || { echo "build first: $CS not found" >&2; exit 1; }
names=(gru2x64 gru1x64 gru1x32d.1 gru1x32d.3 gru2x64d.2 tf2x64 tf1x32d.1)
opts=("--arch gru --layers 2 --hidden 64 --dropout 0" "--arch gru --layers 1 --hidden 64 --dropout 0"
    "--arch gru --layers 1 --hidden 32 --dropout 0.1" "--arch gru --layers 1 --hidden 32 --dropout 0.3"
    "--arch gru --layers 2 --hidden 64 --dropout 0.2"
    "--arch transformer --layers 2 --hidden 64 --context 64 --dropout 0"
    "--arch transformer --layers 1 --hidden 32 --heads 4 --context 32 --dropout 0.1")
if [ $# -gt 0 ]; then bundles=("$@"); else
    mapfile -t bundles < <(cd "$WORK" && for d in */corpus.json; do dirname "$d"; done)
fi
printf '| bundle | training labels |'; printf ' %s |' "${names[@]}"; printf '\n'
printf '|---|---|'; printf -- '---|%.0s' "${names[@]}"; printf '\n'
for b in "${bundles[@]}"; do
    row="" ntrain=""
    for i in "${!names[@]}"; do
        out="$WORK/$b/size_${names[$i]}.wav"
        # shellcheck disable=SC2086
        log=$("$CS" train "$WORK/$b" -o "$out" --force --progress none --threads "$THREADS" --seed 1 ${opts[$i]} 2>&1) \
            || { echo "$b ${names[$i]}: $log" >&2; row="$row - |"; continue; }
        v=$(sed -n 's/.*validation \([0-9.]*\) bits\/label.*/\1/p' <<< "$log" | tail -n 1)
        s=$(sed -n 's/.*, \([0-9.]*\) s$/\1/p' <<< "$log" | tail -n 1)
        [ -n "$ntrain" ] || ntrain=$(sed -n 's/.*units in \([0-9]*\) source.*/\1/p' <<< "$log" | head -n 1)
        row="$row ${v:--} (${s:-?} s) |"
        rm -f "$out"
    done
    nt=$("$CS" eval "$WORK/$b" --json 2>/dev/null | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["train_labels"])' 2>/dev/null || echo "?")
    printf '| %s | %s |%s\n' "$b" "$nt" "$row"
done
