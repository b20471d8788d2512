#!/usr/bin/env bash
# concatseq train --desc-inputs (models/FORMAT.md "Descriptor inputs"): the model file carries Din = D + 1 and
# the duration statistics, is the same bytes for the same seed, round-trips through JSON, is scored by `eval`
# with the test part's unit rows ("GRU+desc"), samples deterministically (the unit picked for each label is fed
# back); --arch auto (the default) adds it as a candidate, not with --no-desc-inputs, --labels or --weights half; without the option the file is the one of before (floats 31..37 zero); bad combinations give one line, half-precision weights with descriptor inputs among them
# (models/FORMAT.md "No half precision with descriptor inputs").
. "$(dirname "$0")/common.bash"
A=$(a11wlk01) || { not_ok "a11wlk01.wav not found"; exit 1; }
"$CS" analyze "$A" -o "$W/a" --segment onset --clusters 6 --quiet || not_ok "analyze"
D=$("$PY" -c "import json; print(len(json.load(open('$W/a/corpus.json'))['descriptors']))")
opts=(--arch gru --hidden 16 --layers 1 --epochs 4 --quiet --seed 3)
"$CS" train "$W/a" --desc-inputs "${opts[@]}" -o "$W/d1.wav" || not_ok "train --desc-inputs"
"$CS" train "$W/a" --desc-inputs "${opts[@]}" -o "$W/d2.wav" --threads 1 || not_ok "train again"
"$CS" train "$W/a" "${opts[@]}" -o "$W/plain.wav" || not_ok "train without"
check "same seed, same bytes (any thread count)" cmp -s "$W/d1.wav" "$W/d2.wav"
check "header: Din = D + 1, set 1, duration std > 0; a plain model has floats 31..37 zero" "$PY" -c "
import struct, sys
def floats(p):
    b = open(p, 'rb').read()
    i = b.index(b'data')
    n = struct.unpack('<I', b[i + 4:i + 8])[0] // 4
    return struct.unpack('<%df' % n, b[i + 8:i + 8 + 4 * n])
d, p = floats('$W/d1.wav'), floats('$W/plain.wav')
assert d[31] == $D + 1 and d[32] == 1 and d[34] > 0, d[31:36]
assert all(x == 0 for x in p[31:38]), p[31:38]
assert len(d) - len(p) == 16 * ($D + 1), (len(d), len(p))"
out=$("$CS" eval "$W/a" "$W/d1.wav")
echo "$out"
check "eval scores it as GRU+desc" grep -q "GRU+desc (this model)" <<<"$out"
"$CS" export-json "$W/d1.wav" -o "$W/d1.json" || not_ok "export-json"
check "the JSON names desc_proj.weight and desc_inputs" grep -q '"desc_proj.weight"' "$W/d1.json"
"$CS" import-json "$W/d1.json" -o "$W/d3.wav" || not_ok "import-json"
check "JSON round trip: same bytes" cmp -s "$W/d1.wav" "$W/d3.wav"
s1=$("$CS" sample "$W/a" "$W/d1.wav" -n 50 --seed 9)
s2=$("$CS" sample "$W/a" "$W/d1.wav" -n 50 --seed 9)
check "sample: same seed, same labels" test "$s1" = "$s2"
check "sample: 50 labels" test "$(wc -w <<<"$s1")" -eq 50
out=$("$CS" train "$W/a" --desc-inputs --arch auto --hidden 16 --layers 1 --epochs 3 --seed 3 --progress none -o "$W/auto.wav")
echo "$out"
check "--arch auto --desc-inputs: the GRU with descriptor inputs is a candidate" grep -q "GRU + descriptors [0-9]" <<<"$out"
check "auto wrote a model eval reads" "$CS" eval "$W/a" "$W/auto.wav"
# the default (--arch auto) offers it too; --no-desc-inputs, --labels and --weights half do not
out=$("$CS" train "$W/a" --hidden 16 --layers 1 --epochs 3 --seed 3 --progress none -o "$W/auto_default.wav")
check "default train (auto): the GRU with descriptor inputs is a candidate" grep -q "GRU + descriptors [0-9]" <<<"$out"
check "default train = --arch auto --desc-inputs, byte for byte" cmp -s "$W/auto.wav" "$W/auto_default.wav"
out=$("$CS" train "$W/a" --no-desc-inputs --hidden 16 --layers 1 --epochs 3 --seed 3 --progress none -o "$W/auto_nodesc.wav")
check "--no-desc-inputs: no GRU with descriptor inputs" bash -c "! grep -q 'GRU + descriptors' <<<'$out'"
check "--no-desc-inputs: a model eval reads" "$CS" eval "$W/a" "$W/auto_nodesc.wav"
printf '0 1 2 3 4 5 0 1 2 3 4 5 0 1 2 3 4 5 0 1 2 3 4 5 0 1 2 3 4 5 0 1 2 3 4 5 0 1 2 3 4 5 0 1 2 3 4 5\n' > "$W/l6.txt"
out=$("$CS" train "$W/a" --labels "$W/l6.txt" --hidden 16 --layers 1 --epochs 3 --seed 3 --progress none -o "$W/auto_labels.wav")
check "--labels: no GRU with descriptor inputs (a label file has no units)" bash -c "! grep -q 'GRU + descriptors' <<<'$out'"
out=$("$CS" train "$W/a" --weights half --hidden 16 --layers 1 --epochs 3 --seed 3 --progress none -o "$W/auto_half.wav")
check "--weights half: no GRU with descriptor inputs (they are float32 only)" bash -c "! grep -q 'GRU + descriptors' <<<'$out'"
expect_error "--desc-inputs with --no-desc-inputs" "desc-inputs with --no-desc-inputs: choose one" "" -- \
    "$CS" train "$W/a" --desc-inputs --no-desc-inputs -o "$W/x.wav"
expect_error "--desc-inputs with --arch ngram" "desc-inputs with --arch ngram: an n-gram reads no descriptors" "" -- \
    "$CS" train "$W/a" --desc-inputs --arch ngram -o "$W/x.wav"
printf '0 1 2 3\n' >"$W/l.txt"
expect_error "--desc-inputs with --labels" "a label file has no units to read descriptors from" "" -- \
    "$CS" train "$W/a" --desc-inputs --labels "$W/l.txt" -o "$W/x.wav"
expect_error "--desc-inputs with --weights half" "weights half cannot be used with --desc-inputs" "" -- \
    "$CS" train "$W/a" --desc-inputs --weights half "${opts[@]}" -o "$W/x.wav"
expect_error "import-json --weights half of a descriptor-input model" "no descriptor inputs" "" -- \
    "$CS" import-json "$W/d1.json" -o "$W/x.wav" --weights half
"$PY" -c "
import json
j = json.load(open('$W/d1.json'))
j['weights'] = 'half'
json.dump(j, open('$W/dh.json', 'w'))" || not_ok "write a JSON asking for half weights"
expect_error "import-json of a descriptor-input JSON with \"weights\": \"half\"" "no descriptor inputs" "" -- \
    "$CS" import-json "$W/dh.json" -o "$W/x.wav"
check "no model written by the refused runs" test ! -e "$W/x.wav"
