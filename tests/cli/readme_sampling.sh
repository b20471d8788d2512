#!/usr/bin/env bash
# The README's live example does not lock onto one label at its settings: the a11wlk01 corpus and model made
# exactly as the README makes them, sampled with the code SeqPredict runs (`concatseq sample`) at the leftmost
# mouse position of the example (temperature 0.7, repetition penalty 1.5), three seeds: every seed visits at
# least 10 of the 12 labels and no label runs longer than twice the recording's own longest run. And the README's
# explanation holds: temperature 0 without the penalty does lock (one label for the last 200 steps).
. "$(dirname "$0")/common.bash"
A=$(a11wlk01) || { not_ok "a11wlk01.wav not found"; exit 1; }
"$CS" analyze "$A" -o "$W/a11.corpus" --unit-ms 80 --hop-ms 20 --clusters 12 --quiet || not_ok "analyze as the README"
"$CS" train "$W/a11.corpus" --quiet --threads 2 || not_ok "train as the README"
# the recording's own longest run of one label
own=$("$CS" info "$W/a11.corpus" --units | awk -F'\t' 'NR > 1 { print $7 }' | uniq -c | sort -n | tail -n 1 | awk '{ print $1 }')
echo "longest run in the recording: $own units"
stats() { # labels... -> "distinct_in_last_200 longest_run"
    tr ' ' '\n' <<<"$1" | tail -n 200 | sort -u | wc -l | tr -d '\n'
    printf ' '
    tr ' ' '\n' <<<"$1" | uniq -c | sort -n | tail -n 1 | awk '{ print $1 }'
}
for seed in 1 2 3; do
    s=$("$CS" sample "$W/a11.corpus" -n 400 --temperature 0.7 --repetition-penalty 1.5 --seed "$seed")
    read -r distinct run <<<"$(stats "$s")"
    echo "seed $seed, temperature 0.7, penalty 1.5: $distinct labels in the last 200 steps, longest run $run"
    check "README settings, seed $seed: at least 10 of 12 labels" [ "$distinct" -ge 10 ]
    check "README settings, seed $seed: longest run $run <= 2 x the recording's $own" [ "$run" -le $((2 * own)) ]
done
s=$("$CS" sample "$W/a11.corpus" -n 400 --temperature 0 --seed 1)
read -r distinct run <<<"$(stats "$s")"
echo "temperature 0, no penalty: $distinct labels in the last 200 steps, longest run $run"
check "README's explanation: temperature 0 without the penalty locks onto one label" [ "$distinct" -eq 1 ]
