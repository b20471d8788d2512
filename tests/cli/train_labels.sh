#!/usr/bin/env bash
# concatseq train --labels FILE: a sequence of one's own (here a cycle 0..7 the corpus order does not have) is
# learnt (held-out bits near 0, sampling plays the cycle), with the usual validation split per part; the model
# belongs to the bundle (eval/sample accept it); the file's syntax (blank lines between parts, comments, several
# labels a line); bad files give one line naming the file and line, and write no model.
. "$(dirname "$0")/common.bash"
A=$(a11wlk01) || { not_ok "a11wlk01.wav not found"; exit 1; }
"$CS" analyze "$A" -o "$W/a" --clusters 8 --quiet || not_ok "analyze"

"$PY" -c "
print('# two parts of a cycle, one label a line in the first, 20 a line in the second')
print('\n'.join(str(i % 8) for i in range(400)))
print('   ')  # a line of blanks ends a part too
for r in range(20):
    print(' '.join(str((20 * r + i) % 8) for i in range(20)) + '  # row %d' % r)
" >"$W/cycle.txt"
out=$("$CS" train --arch gru "$W/a" --labels "$W/cycle.txt" -o "$W/cycle.wav" --epochs 60 --hidden 16 --layers 1 --lr 0.02)
echo "$out"
check "announces the file: 800 labels in 2 parts" grep -q "sequence $W/cycle.txt: 800 labels in 2 parts" <<<"$out"
check "validation on the held-out tails: near 0 bits/label" "$PY" -c "
import re, sys
v = float(re.search(r'validation ([0-9.]+) bits/label', '''$out''').group(1))
sys.exit(0 if v < 0.2 else 1)"
check "sampling plays the learnt cycle" "$PY" -c "
import subprocess
s = [int(x) for x in subprocess.check_output(['$CS', 'sample', '$W/a', '$W/cycle.wav', '-n', '64', '--temperature', '0.5']).split()]
steps = sum((b - a) % 8 == 1 for a, b in zip(s, s[1:]))
assert steps >= 60, (steps, s)"
check "eval accepts it (the bundle's model)" "$CS" eval "$W/a" "$W/cycle.wav"
"$CS" train --arch gru "$W/a" -o "$W/own.wav" --epochs 60 --hidden 16 --layers 1 --lr 0.02 --quiet || not_ok "train on the corpus order"
check "the corpus order's model does not play the cycle" "$PY" -c "
import subprocess
s = [int(x) for x in subprocess.check_output(['$CS', 'sample', '$W/a', '$W/own.wav', '-n', '64', '--temperature', '0.5']).split()]
assert sum((b - a) % 8 == 1 for a, b in zip(s, s[1:])) < 40, s"
"$CS" train --arch gru "$W/a" --labels "$W/cycle.txt" -o "$W/cycle2.wav" --epochs 60 --hidden 16 --layers 1 --lr 0.02 --quiet
check "same file, same seed, same bytes" cmp -s "$W/cycle.wav" "$W/cycle2.wav"

printf '0 1 2\n3 8 1\n' >"$W/range.txt"
expect_error "label out of range" "range.txt: line 2: label 8 is out of range: the bundle has 8 labels (0..7)" "$W/m1.wav" -- \
    "$CS" train "$W/a" --labels "$W/range.txt" -o "$W/m1.wav"
printf '0 1 -1\n' >"$W/neg.txt"
expect_error "negative label" "line 1: label -1 is out of range" "$W/m2.wav" -- \
    "$CS" train "$W/a" --labels "$W/neg.txt" -o "$W/m2.wav"
printf '0 1\n2 three\n' >"$W/word.txt"
expect_error "not a label" "word.txt: line 2: 'three' is not a label" "$W/m3.wav" -- \
    "$CS" train "$W/a" --labels "$W/word.txt" -o "$W/m3.wav"
printf '\n# nothing\n\n' >"$W/empty.txt"
expect_error "no label" "empty.txt: no label in the file" "$W/m4.wav" -- \
    "$CS" train "$W/a" --labels "$W/empty.txt" -o "$W/m4.wav"
expect_error "missing file" "--labels $W/none.txt: cannot open" "$W/m5.wav" -- \
    "$CS" train "$W/a" --labels "$W/none.txt" -o "$W/m5.wav"
