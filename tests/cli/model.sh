#!/usr/bin/env bash
# concatseq train / eval / export-json / import-json on real bundles: a model file that loads, beats the
# unigram baseline on held-out labels, is byte-identical for the same seed, and round-trips through JSON.
. "$(dirname "$0")/common.bash"
A=$(a11wlk01) || { not_ok "a11wlk01.wav not found"; exit 1; }
OGG=$(find /usr/share/games/lincity-ng/music -name '*.ogg' | sort | head -n 1)
[ -n "$OGG" ] || { not_ok "lincity-ng-data not installed"; exit 1; }

"$CS" analyze "$OGG" -o "$W/b" --unit-ms 100 --hop-ms 100 --clusters 16 --quiet || not_ok "analyze"
check "train gru" "$CS" train "$W/b" --epochs 8 --hidden 32 --seed 3 --quiet
check "model in the bundle" [ -s "$W/b/model.wav" ]
check "train again, other file, 1 thread" "$CS" train "$W/b" -o "$W/m1.wav" --epochs 8 --hidden 32 --seed 3 --threads 1 --quiet
check "same seed, same bytes (any thread count)" cmp -s "$W/b/model.wav" "$W/m1.wav"
expect_error "model exists" "already exists" "" -- "$CS" train "$W/b" -o "$W/m1.wav" --epochs 1
out=$("$CS" train "$W/b" -o "$W/m2.wav" --epochs 3 --hidden 32 --seed 4)
check "one line per epoch" [ "$(grep -c '^epoch ' <<<"$out")" -eq 3 ]
check "another seed, other bytes" bash -c "! cmp -s '$W/m1.wav' '$W/m2.wav'"
lines=$("$CS" train "$W/b" -o "$W/m3.wav" --epochs 2 --hidden 16 --layers 1 --progress lines)
check "progress lines for training" [ "$(grep -c '^progress train ' <<<"$lines")" -eq 2 ]

ev=$("$CS" eval "$W/b")
echo "$ev"
check "eval table lists the model" grep -q "GRU (this model)" <<<"$ev"
check "eval table lists Kneser-Ney" grep -q "Kneser-Ney, order 5" <<<"$ev"
js=$("$CS" eval "$W/b" --json)
check "model beats the unigram baseline on held-out labels" "$PY" -c "
import json,sys; r=json.loads(sys.argv[1])['bits_per_label']; print(r); sys.exit(0 if r['model'] < r['unigram'] else 1)" "$js"

check "transformer trains" "$CS" train "$W/b" -o "$W/t.wav" --arch transformer --hidden 32 --heads 4 --context 16 --layers 1 --epochs 3 --quiet
check "eval of the transformer" "$CS" eval "$W/b" "$W/t.wav" --json

# JSON round trip gives back the same file
check "export-json" "$CS" export-json "$W/m1.wav" -o "$W/m1.json"
check "JSON names PyTorch tensors" grep -q '"rnn.weight_hh_l1"' "$W/m1.json"
check "import-json" "$CS" import-json "$W/m1.json" -o "$W/m1b.wav"
check "round trip is exact" cmp -s "$W/m1.wav" "$W/m1b.wav"

# bad input
expect_error "no bundle" "no such bundle" "" -- "$CS" train "$W/nothing"
expect_error "bad arch" "--arch lstm" "" -- "$CS" train "$W/b" --arch lstm -o "$W/x.wav"
expect_error "hidden too large" "hidden 1000" "$W/x.wav" -- "$CS" train "$W/b" --hidden 1000 -o "$W/x.wav"
expect_error "heads not dividing" "transformer" "$W/x.wav" -- "$CS" train "$W/b" --arch transformer --hidden 32 --heads 5 -o "$W/x.wav"
expect_error "negative epochs" "--epochs -1" "$W/x.wav" -- "$CS" train "$W/b" --epochs -1 -o "$W/x.wav"
head -c 3000 "$W/m1.wav" > "$W/trunc.wav"
expect_error "truncated model" "trunc.wav" "" -- "$CS" eval "$W/b" "$W/trunc.wav"
expect_error "audio file as a model" "not a valid model" "" -- "$CS" eval "$W/b" "$W/b/audio.wav"
"$CS" analyze "$A" -o "$W/small" --clusters 4 --quiet
expect_error "model of another corpus" "trained on another corpus" "" -- "$CS" eval "$W/small" "$W/m1.wav"
echo '{"config": {"arch": "gru"}}' > "$W/bad.json"
expect_error "bad JSON model" "bad.json" "$W/bad.wav" -- "$CS" import-json "$W/bad.json" -o "$W/bad.wav"
