#!/usr/bin/env bash
# concatseq train / eval / export-json / import-json on real bundles: a model file that loads, beats the
# unigram baseline on held-out labels, is byte-identical for the same seed, and round-trips through JSON.
. "$(dirname "$0")/common.bash"
A=$(a11wlk01) || { not_ok "a11wlk01.wav not found"; exit 1; }
OGG=$(find /usr/share/games/lincity-ng/music -name '*.ogg' | sort | head -n 1)
[ -n "$OGG" ] || { not_ok "lincity-ng-data not installed"; exit 1; }

"$CS" analyze "$OGG" -o "$W/b" --unit-ms 100 --hop-ms 100 --clusters 16 --quiet || not_ok "analyze"
check "train gru" "$CS" train --arch gru "$W/b" --epochs 8 --hidden 32 --seed 3 --quiet
check "model in the bundle" [ -s "$W/b/model.wav" ]
check "train again, other file, 1 thread" "$CS" train --arch gru "$W/b" -o "$W/m1.wav" --epochs 8 --hidden 32 --seed 3 --threads 1 --quiet
check "same seed, same bytes (any thread count)" cmp -s "$W/b/model.wav" "$W/m1.wav"
expect_error "model exists" "already exists" "" -- "$CS" train "$W/b" -o "$W/m1.wav" --epochs 1
out=$("$CS" train --arch gru "$W/b" -o "$W/m2.wav" --epochs 3 --hidden 32 --seed 4)
check "one line per epoch" [ "$(grep -c '^epoch ' <<<"$out")" -eq 3 ]
check "another seed, other bytes" bash -c "! cmp -s '$W/m1.wav' '$W/m2.wav'"
lines=$("$CS" train --arch gru "$W/b" -o "$W/m3.wav" --epochs 2 --hidden 16 --layers 1 --progress lines)
check "progress lines for training" [ "$(grep -c '^progress train ' <<<"$lines")" -eq 2 ]

ev=$("$CS" eval "$W/b")
echo "$ev"
check "eval table lists the model" grep -q "GRU (this model)" <<<"$ev"
check "eval table lists modified Kneser-Ney with its order" grep -qE "^  modified Kneser-Ney +order [0-9]+ " <<<"$ev"
check "eval table says which model is chosen" grep -q "^chosen: " <<<"$ev"
check "eval table gives a verdict" grep -q "^verdict: " <<<"$ev"
js=$("$CS" eval "$W/b" --json)
check "model beats the unigram baseline on test labels" "$PY" -c "
import json,sys; r=json.loads(sys.argv[1])['bits_per_label']; print(r); sys.exit(0 if r['model'] < r['unigram'] else 1)" "$js"
check "eval JSON: an 80/10/10 split, an interval around every test figure" "$PY" -c "
import json,sys; j=json.loads(sys.argv[1]); n=j['train_labels']+j['val_labels']+j['test_labels']
ok = j['val_fraction'] == 0.1 and j['test_fraction'] == 0.1 and abs(j['test_labels'] - 0.1 * n) <= 2
ok = ok and all(j['interval'][k][0] <= v <= j['interval'][k][1] for k, v in j['bits_per_label'].items())
sys.exit(0 if ok else 1)" "$js"
# a corpus with fewer test labels than the documented minimum: no winner named
"$CS" analyze "$A" -o "$W/tiny" --unit-ms 80 --hop-ms 40 --clusters 6 --quiet || not_ok "analyze tiny"
"$CS" train --arch gru "$W/tiny" --epochs 2 --hidden 16 --quiet || not_ok "train tiny"
evt=$("$CS" eval "$W/tiny")
echo "$evt"
check "small corpus: eval says it is too small to tell" grep -q "^verdict: too small to tell: [0-9]* test labels (at least 200" <<<"$evt"
check "small corpus: eval names no winner" bash -c "! grep -qE 'predicts better' <<<'$evt'"
expect_error "eval: split leaving < 10 % training" "at most 0.9" "" -- "$CS" eval "$W/b" --val-fraction 0.5 --test-fraction 0.45

check "transformer trains" "$CS" train "$W/b" -o "$W/t.wav" --arch transformer --hidden 32 --heads 4 --context 16 --layers 1 --epochs 3 --quiet
check "eval of the transformer" "$CS" eval "$W/b" "$W/t.wav" --json

# a mixture: the GRU and modified KN in one file (--ngram-mix), scored as one by eval and run as one by sample
# (SeqPredict's code)
mixout=$("$CS" train "$W/b" -o "$W/mix.wav" --epochs 8 --hidden 32 --seed 3 --quiet --ngram-mix 2>&1)
check "train --ngram-mix" [ -s "$W/mix.wav" ]
jm=$("$CS" eval "$W/b" "$W/mix.wav" --json)
check "eval of a mixture: the network alone and the mixture, weight in [0, 1]" "$PY" -c "
import json,sys; j=json.loads(sys.argv[1]); b=j['bits_per_label']; w=float(j['setting']['model'].split()[-1])
# (a weight fit to 0 on validation means the network is not run: eval then shows no network row)
print(b.get('network'), b['model'], w); sys.exit(0 if ('network' in b) == (w > 0) and 0 <= w <= 1 and b['model'] == b['model'] else 1)" "$jm"
check "eval of a mixture: its network is the same as without the table (or weight 0 and the MKN row)" "$PY" -c "
import json,sys; j=json.loads(sys.argv[1])['bits_per_label']; b=json.loads(sys.argv[2])['bits_per_label']['model']
sys.exit(0 if (j['network'] == b if 'network' in j else abs(j['model'] - j['modified_kneser_ney']) < 1e-4) else 1)" "$jm" "$("$CS" eval "$W/b" "$W/m1.wav" --json)"
check "sample runs the mixture, not its network alone" [ "$("$CS" sample "$W/b" "$W/mix.wav" -n 200 --seed 5)" != "$("$CS" sample "$W/b" "$W/m1.wav" -n 200 --seed 5)" ]

# a pure n-gram model (--arch ngram): modified KN of the validation-chosen order, scored by eval as the MKN row,
# run by sample (SeqPredict's code); not with --ngram-mix
ngout=$("$CS" train "$W/b" -o "$W/ng.wav" --arch ngram 2>&1)
check "train --arch ngram says what it wrote" grep -q "modified Kneser-Ney order [0-9]* .*network weight 0" <<<"$ngout"
jn=$("$CS" eval "$W/b" "$W/ng.wav" --json)
check "eval of --arch ngram: the model row is the validation-chosen MKN row, no network row" "$PY" -c "
import json,sys; b=json.loads(sys.argv[1])['bits_per_label']
print(b.get('model'), b.get('modified_kneser_ney')); sys.exit(0 if 'network' not in b and abs(b['model'] - b['modified_kneser_ney']) < 1e-4 else 1)" "$jn"
ngs=$("$CS" sample "$W/b" "$W/ng.wav" -n 200 --seed 5)
check "sample runs a pure n-gram model (labels 0..15, same seed same labels)" bash -c "[ \"\$(tr ' ' '\n' <<<'$ngs' | grep -c .)\" -ge 200 ] && [ '$ngs' = \"\$('$CS' sample '$W/b' '$W/ng.wav' -n 200 --seed 5)\" ]"
expect_error "--arch ngram with --ngram-mix" "choose one" "" -- "$CS" train "$W/b" -o "$W/x.wav" --arch ngram --ngram-mix
"$PY" -c "
import struct,sys
d=bytearray(open(sys.argv[1],'rb').read()); i=d.find(b'data') + 8
nw = int(struct.unpack('<f', d[i+40:i+44])[0]) * 65536 + int(struct.unpack('<f', d[i+44:i+48])[0])
at = i + 4 * (64 + nw + 1)
d[at:at+4] = struct.pack('<f', 7.5); open(sys.argv[2],'wb').write(d)" "$W/mix.wav" "$W/mixbad.wav"
expect_error "a damaged n-gram table" "n-gram table" "" -- "$CS" eval "$W/b" "$W/mixbad.wav"

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
# a model belongs to its corpus: another corpus with as many labels (16) is refused by eval and sample, in one
# line naming both checksums and the override; --any-corpus lets it through
"$CS" analyze "$OGG" -o "$W/b2" --unit-ms 80 --hop-ms 80 --clusters 16 --quiet || not_ok "analyze a second corpus"
expect_error "eval: model of another corpus with as many labels" "trained on corpus [0-9a-f]\{16\} but .*b2 is corpus [0-9a-f]\{16\} (use --any-corpus" "" -- "$CS" eval "$W/b2" "$W/m1.wav"
expect_error "sample: model of another corpus with as many labels" "--any-corpus" "" -- "$CS" sample "$W/b2" "$W/m1.wav" -n 5
check "eval --any-corpus: deliberate cross-corpus use" "$CS" eval "$W/b2" "$W/m1.wav" --any-corpus --json
check "sample --any-corpus" "$CS" sample "$W/b2" "$W/m1.wav" -n 5 --any-corpus
check "eval of the model's own corpus is not refused" "$CS" eval "$W/b" "$W/m1.wav" --json
check "the model stores the corpus checksum of its bundle" "$PY" -c "
import json,sys
m=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2]))
sys.exit(0 if m['meta']['corpus_checksum'] == '0x' + b['unit_table_checksum'].split(':')[1] else 1)" "$W/m1.json" "$W/b/corpus.json"
check "the model file is format version 2" "$PY" -c "
import struct,sys
d=open(sys.argv[1],'rb').read(); i=d.find(b'data'); v=struct.unpack('<2f', d[i+8:i+16]); sys.exit(0 if v[1] == 2.0 else 1)" "$W/m1.wav"

# a corpus too small to validate (7 units, every source < 10 labels): trained without validation, said so, never NaN
"$PY" -c "
import wave, struct, math, sys
w = wave.open(sys.argv[1], 'wb'); w.setnchannels(1); w.setsampwidth(2); w.setframerate(48000)
fr = [int(8000 * math.sin(2 * math.pi * [220, 440, 330, 660, 550, 880, 990][(i // 4800) % 7] * i / 48000)) for i in range(33600)]
w.writeframes(struct.pack('<%dh' % len(fr), *fr)); w.close()" "$W/short.wav"
"$CS" analyze "$W/short.wav" -o "$W/s7" --unit-ms 100 --hop-ms 100 --clusters 3 --quiet || not_ok "analyze 7 units"
out7=$("$CS" train --arch gru "$W/s7" -o "$W/s7.wav" --epochs 3 2>&1); rc7=$?
echo "$out7"
check "7 units: trains (exit 0) and writes a model" [ "$rc7" -eq 0 -a -s "$W/s7.wav" ]
check "7 units: says plainly that there is no validation" grep -q "training without validation" <<<"$out7"
no_nan() { ! grep -qi 'nan' <<<"$1"; }
check "7 units: no NaN anywhere in the output" no_nan "$out7"
lines7=$("$CS" train --arch gru "$W/s7" -o "$W/s7b.wav" --epochs 2 --progress lines 2>&1)
check "7 units: no NaN in progress lines" no_nan "$lines7"
"$CS" export-json "$W/s7.wav" -o "$W/s7.json" >/dev/null
check "7 units: the model's validation loss is 'unknown' (-1), not NaN" grep -qE '"val_loss_bits":[[:space:]]*-1$' "$W/s7.json"
out7a=$("$CS" train "$W/s7" -o "$W/s7a.wav" 2>&1)
check "7 units, --arch auto (the default): no validation to compare on, says so, writes MKN order 3" \
    grep -q "auto: no validation labels.*modified Kneser-Ney order 3" <<<"$out7a"
check "7 units, --arch auto: the pure n-gram model samples" "$CS" sample "$W/s7" "$W/s7a.wav" -n 10

# --arch auto (the default): MKN and the GRU and the transformer mixed with MKN (each network alone is shown, not a
# candidate), compared on validation by the one-SE rule: the lowest is written when it is more than one standard
# error of the difference below MKN, else MKN; the line names the choice, the margin and the error; the file is
# that candidate
auto=$("$CS" train "$W/b" -o "$W/auto.wav" --epochs 6 --hidden 32 --heads 4 --context 16 --seed 3 --progress none 2>&1)
echo "$auto" | grep '^auto\|^wrote'
CANDS='(GRU \+ MKN mixture|transformer \+ MKN mixture|GRU|transformer|modified Kneser-Ney) ([0-9.]+)( \(alone)?'
check "auto: five figures, three candidates on validation, the one-SE choice written with its margin and error" "$PY" -c "
import re,sys; t=sys.argv[1]
line=[l for l in t.split('\n') if l.startswith('auto: validation')][0]
vals=dict((m.group(1), float(m.group(2))) for m in re.finditer(r'$CANDS', line))
cands=dict((m.group(1), float(m.group(2))) for m in re.finditer(r'$CANDS', line) if not m.group(3))
best=min(cands, key=cands.get); mkn=vals['modified Kneser-Ney']
w=re.search(r'^wrote .*?: (.*), ([0-9.]+) bits/label \(.*\) below modified Kneser-Ney on validation, more than one standard error \(([0-9.]+)\)$', t, re.M)
m=re.search(r'^wrote .*?: modified Kneser-Ney order [0-9]+$', t, re.M)
e=re.search(r'within one standard error \(([0-9.]+)\)', t)
print(vals, w and w.groups(), m and m.group(0), e and e.group(1))
if len(vals) != 5 or len(cands) != 3: sys.exit(1)
if w: sys.exit(0 if w.group(1) == best and abs(float(w.group(2)) - (mkn - vals[best])) < 2e-4 and mkn - vals[best] > float(w.group(3)) else 1)
sys.exit(0 if m and (best == 'modified Kneser-Ney' or (e and mkn - vals[best] <= float(e.group(1)) + 1e-4)) else 1)" "$auto"
ja=$("$CS" eval "$W/b" "$W/auto.wav" --json)
check "auto: eval scores the written candidate at its validation bits" "$PY" -c "
import json,re,sys; j=json.loads(sys.argv[1]); t=sys.argv[2]
line=[l for l in t.split('\n') if l.startswith('auto: validation')][0]
vals=dict((m.group(1), float(m.group(2))) for m in re.finditer(r'$CANDS', line))
name=re.search(r'^wrote .*?: (.*?)(, [0-9.]+ bits/label| order [0-9]+$)', t, re.M).group(1)
v=j['val_bits_per_label']['model']
print(name, vals[name], v); sys.exit(0 if abs(v - vals[name]) < 2e-3 else 1)" "$ja" "$auto"
expect_error "--arch auto with --ngram-mix" "auto already tries" "" -- "$CS" train "$W/b" -o "$W/x.wav" --arch auto --ngram-mix

echo '{"config": {"arch": "gru"}}' > "$W/bad.json"
expect_error "bad JSON model" "bad.json" "$W/bad.wav" -- "$CS" import-json "$W/bad.json" -o "$W/bad.wav"

# sample: the code SeqPredict runs (cs_seqpredict), same seed same labels, primes are fed, units match labels
s1=$("$CS" sample "$W/b" "$W/m1.wav" -n 200 --seed 5)
s2=$("$CS" sample "$W/b" "$W/m1.wav" -n 200 --seed 5)
check "sample: same seed, same labels" [ "$s1" = "$s2" ]
check "sample: 200 labels in range" "$PY" -c "
import sys; v=[int(x) for x in sys.argv[1].split()]; sys.exit(0 if len(v)==200 and all(0<=x<16 for x in v) else 1)" "$s1"
s3=$("$CS" sample "$W/b" "$W/m1.wav" -n 200 --seed 6)
check "sample: another seed, another sequence" [ "$s1" != "$s3" ]
a0=$("$CS" sample "$W/b" "$W/m1.wav" -n 50 --temperature 0 --seed 1)
a1=$("$CS" sample "$W/b" "$W/m1.wav" -n 50 --temperature 0 --seed 2)
check "sample: temperature 0 does not depend on the seed" [ "$a0" = "$a1" ]
tsv=$("$CS" sample "$W/b" "$W/m1.wav" -n 40 --prime 3,1,4 --tsv --select successor --top-k 3)
check "sample --tsv: header and 43 rows" [ "$(wc -l <<<"$tsv")" -eq 44 ]
check "sample --tsv: primes are fed first" bash -c "awk -F'\t' 'NR==2 && \$2==3 && \$5==1 {ok=1} END {exit !ok}' <<<'$tsv'"
"$CS" info "$W/b" --units > "$W/units.tsv"
check "sample --tsv: every unit has the sampled label" "$PY" -c "
import sys
lab={}
for line in open(sys.argv[1]).read().splitlines()[1:]:
    f=line.split('\t'); lab[int(f[0])]=int(f[6])
rows=[l.split('\t') for l in sys.argv[2].splitlines()[1:]]
sys.exit(0 if all(lab[int(r[5])]==int(r[1]) for r in rows) else 1)" "$W/units.tsv" "$tsv"
check "sample --tsv: probabilities in (0,1], entropy <= log2 3 with top-k 3" "$PY" -c "
import sys, math
rows=[l.split('\t') for l in sys.argv[1].splitlines()[1:]]
ok=all(0<float(r[2])<=1 for r in rows) and all(float(r[3])<=math.log2(3)+1e-6 for r in rows if r[4]=='0')
sys.exit(0 if ok else 1)" "$tsv"
expect_error "sample: prime out of range" "label 99 is out of range" "" -- "$CS" sample "$W/b" "$W/m1.wav" -n 5 --prime 99
expect_error "sample: no -n" "-n N" "" -- "$CS" sample "$W/b" "$W/m1.wav"
expect_error "sample: bad temperature" "--temperature -1" "" -- "$CS" sample "$W/b" "$W/m1.wav" -n 5 --temperature -1

# a full disk (a file-size limit: EFBIG; SIGXFSZ ignored so the program sees the error) and an unwritable folder:
# one line naming the OUTPUT and the cause, no temporary file left; train finds it out before training
mkdir -p "$W/full"
"$CS" export-json "$W/m1.wav" -o "$W/m1.json" > /dev/null || not_ok "export m1"
full() { bash -c "trap '' XFSZ; ulimit -f 20; exec \"\$@\"" full "$@"; }
expect_error "export-json: disk full" "export-json: error: $W/full/m.json: disk full" "$W/full/m.json" -- \
    full "$CS" export-json "$W/m1.wav" -o "$W/full/m.json"
expect_error "import-json: disk full names the output" "import-json: error: $W/full/m.wav: disk full" "$W/full/m.wav" -- \
    full "$CS" import-json "$W/m1.json" -o "$W/full/m.wav"
out=$(full "$CS" train --arch gru "$W/b" -o "$W/full/t.wav" --hidden 32 --epochs 500 2>"$W/full.err")
check "train: disk full found before training ($(cat "$W/full.err"))" grep -q "train: error: $W/full/t.wav: disk full (.*) (checked before training)" "$W/full.err"
check "train: no epoch trained" [ "$(grep -c '^epoch' <<<"$out")" -eq 0 ]
check "no temporary file left" [ -z "$(ls -A "$W/full")" ]
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
    nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
else
    nobody() { "$@"; }
fi
if [ "$(id -u)" != 0 ] || command -v setpriv >/dev/null; then
    mkdir -p "$W/ro" && chmod 555 "$W/ro" && chmod 755 "$W" "$W/b" && chmod 644 "$W/m1.wav" "$W/m1.json" "$W/b/"*
    expect_error "import-json: unwritable folder" "import-json: error: $W/ro/m.wav: cannot write: Permission denied" "$W/ro/m.wav" -- \
        nobody "$CS" import-json "$W/m1.json" -o "$W/ro/m.wav"
    expect_error "export-json: unwritable folder" "export-json: error: $W/ro/m.json: cannot write: Permission denied" "$W/ro/m.json" -- \
        nobody "$CS" export-json "$W/m1.wav" -o "$W/ro/m.json"
    expect_error "train: unwritable folder, before training" "train: error: $W/ro/t.wav: cannot write: Permission denied (checked before training)" "$W/ro/t.wav" -- \
        nobody "$CS" train --arch gru "$W/b" -o "$W/ro/t.wav" --epochs 500 --quiet
fi
expect_error "import-json: unreadable input names the input" "import-json: error: $W/nothing.json: cannot read" "" -- \
    "$CS" import-json "$W/nothing.json" -o "$W/x.wav"
