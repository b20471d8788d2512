#!/usr/bin/env bash
# models/train_torch.py (issue 12 item 8, PyTorch part) on CPU with a tiny corpus, and half-precision weights
# (item 5) against PyTorch: the checks of tests/scripts/torch_train_check.py (the split equals concatseq's, the
# written GRU / transformer load, `eval` scores them, their step equals PyTorch's forward; a half file holds
# PyTorch's own half-rounded weights and steps to their forward; with --desc-inputs the duration statistics
# and descriptor rows are the C trainer's and the core's bit for bit and the step fed label:unit pairs equals
# PyTorch's forward), plus the CLI's half options and the script's refusal of half with descriptor inputs.
. "$(dirname "$0")/common.bash"
LOGITS=${CS_MODEL_LOGITS:?CS_MODEL_LOGITS must name the built cs_model_logits tool}
"$PY" -c "import torch" 2>/dev/null || { echo "python3-torch is not installed: skipped"; trap - EXIT; exit 77; }
A=$(a11wlk01) || { not_ok "a11wlk01.wav not found"; exit 1; }

"$CS" analyze "$A" -o "$W/b" --unit-ms 60 --hop-ms 30 --clusters 8 --quiet || not_ok "analyze"
check "concatseq train (the split's reference)" "$CS" train --arch gru "$W/b" -o "$W/c.wav" --epochs 2 --hidden 16 --layers 1 --quiet
# descriptor inputs: units of many durations over several sources (onsets of a11wlk01 and six drum hits)
KIT=/usr/share/hydrogen/data/drumkits/ColomboAcousticDrumkit
[ -d "$KIT" ] || { not_ok "hydrogen-drumkits not installed ($KIT)"; exit 1; }
mkdir -p "$W/src" && cp "$A" $(ls "$KIT"/*.flac | head -6) "$W/src/"
"$CS" analyze "$W/src" -o "$W/bd" --segment onset --threshold 0.2 --clusters 8 --quiet || not_ok "analyze (onsets)"
check "concatseq train --desc-inputs (the duration statistics' reference)" "$CS" train --arch gru "$W/bd" -o "$W/cd.wav" --desc-inputs --epochs 1 --hidden 16 --layers 1 --quiet
out=$("$PY" "$SRC/tests/scripts/torch_train_check.py" "$CS" "$LOGITS" "$W/b" "$W/c.wav" "$W/bd" "$W/cd.wav" "$W" 2>&1)
echo "$out"
check "torch_train_check.py: every check ran" [ "$(grep -c '^ok - ' <<<"$out")" -eq 25 ]
check "torch_train_check.py: none failed" [ "$(grep -c '^not ok' <<<"$out")" -eq 0 ]

# concatseq train --weights half: half the file, same header but float 36, eval scores it like its float32 twin
check "train --weights half" "$CS" train --arch gru "$W/b" -o "$W/h.wav" --epochs 2 --hidden 16 --layers 1 --quiet --weights half
fsize=$(stat -c %s "$W/c.wav") hsize=$(stat -c %s "$W/h.wav")
# the WAV chunks (about 80 bytes) and 64 header floats stay; the weights take half (+ 4 bytes when odd)
check "the half file is half the float32 file but for the header ($hsize vs $fsize bytes)" [ $((hsize * 2)) -le $((fsize + 400)) ]
check "the same seed, float32 then converted = half written directly" bash -c "
  '$CS' export-json '$W/h.wav' -o '$W/h.json' >/dev/null && '$CS' import-json '$W/h.json' -o '$W/h2.wav' >/dev/null && cmp -s '$W/h.wav' '$W/h2.wav'"
check "export-json of a half file says so" grep -q '"weights":[[:space:]]*"half"' "$W/h.json"
check "import-json --weights float gives the float32 model of the half weights" bash -c "
  '$CS' import-json '$W/h.json' -o '$W/hf.wav' --weights float >/dev/null && [ \$(stat -c %s '$W/hf.wav') -eq $fsize ]"
ef=$("$CS" eval "$W/b" "$W/hf.wav" --json) eh=$("$CS" eval "$W/b" "$W/h.wav" --json)
check "eval: the half file scores exactly as its float32 expansion" "$PY" -c "
import json,sys; a=json.loads(sys.argv[1])['bits_per_label']['model']; b=json.loads(sys.argv[2])['bits_per_label']['model']
print(a, b); sys.exit(0 if a == b else 1)" "$ef" "$eh"
check "sample: the half file draws the labels of its float32 expansion" [ "$("$CS" sample "$W/b" "$W/h.wav" -n 200 --seed 3)" = "$("$CS" sample "$W/b" "$W/hf.wav" -n 200 --seed 3)" ]
expect_error "train --weights half with an odd width" "even --hidden" "" -- "$CS" train --arch gru "$W/b" -o "$W/odd.wav" --hidden 17 --epochs 1 --weights half
"$PY" -c "
import json,sys; j=json.load(open(sys.argv[1])); j['tensors']['head.bias']['data'][0] = 70000.0
json.dump(j, open(sys.argv[2], 'w'))" "$W/h.json" "$W/big.json"
expect_error "import-json --weights half: a weight beyond 65504" "beyond 65504" "" -- "$CS" import-json "$W/big.json" -o "$W/big.wav" --weights half
check "import-json --weights float takes it" "$CS" import-json "$W/big.json" -o "$W/big.wav" --weights float
expect_error "train_torch.py --weights half --desc-inputs" "--weights half with --desc-inputs" "" -- "$PY" "$SRC/models/train_torch.py" "$W/b" -o "$W/hd.wav" --concatseq "$CS" --weights half --desc-inputs
check "train_torch.py --weights half --desc-inputs wrote nothing" [ ! -e "$W/hd.wav" ]
expect_error "train --weights: a bad value" "--weights" "" -- "$CS" train --arch gru "$W/b" -o "$W/bad.wav" --weights double
