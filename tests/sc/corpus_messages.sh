#!/bin/bash
# Bad arguments to the sclang classes give one line each, naming the file, the argument or the option and the
# fix (see corpus_messages.scd): ConcatCorpus.open(nil), a manifest that is a JSON array, a bundle with a version 2
# unit table (made from a version 3 one here), a partial bundle (`analyze --partial`), out-of-range unit
# queries, Pconcatunit targets with NaN / unknown descriptors, ConcatCorpus.build with an unknown option, bad
# sources, "--" among the options. Sources go after `--`: a source "--force" never forces (the existing bundle
# is byte-identical afterwards), sources "-x.wav" and "--quiet" are analysed as files, and option Events'
# unit_ms: reaches --unit-ms.
# No server is needed.
source "$(dirname "$0")/sclang_env.bash"
SND=$(a11wlk01) || { not_ok "a11wlk01.wav not found"; exit 1; }
"$CS" analyze "$SND" -o "$W/a.corpus" --segment grain --unit-ms 60 --hop-ms 60 --clusters 8 --quiet > /dev/null 2>&1 \
    || { not_ok "bundle a"; exit 1; }
mkdir -p "$W/array.corpus" "$W/dash" && cp "$W/a.corpus/audio.wav" "$W/a.corpus/units.wav" "$W/array.corpus/"
echo '[{"format": "concatseq-corpus"}]' > "$W/array.corpus/corpus.json"
# a bundle as an older concatseq wrote it: unit table version 2 (20 header floats, no listening section; the
# index dropped too, which version 2 allows)
mkdir -p "$W/v2.corpus" && cp "$W/a.corpus/audio.wav" "$W/a.corpus/corpus.json" "$W/v2.corpus/"
"$PY" - "$W/a.corpus/units.wav" "$W/v2.corpus/units.wav" "$SRC/tests/scripts" <<'PYEOF' || not_ok "v2 table"
import sys
import numpy as np
sys.path.insert(0, sys.argv[3])
from wavio import read_wav, write_wav
t, rate, _, _ = read_wav(sys.argv[1])
t = t[:, 0].astype(np.float64)
n, k = int(t[2]), int(t[10])
m = int(t[15]) * 65536 + int(t[16])
h = list(t[:19]) + [0.0]
h[1], h[5] = 2, 20
for f in (13, 15):
    o = int(t[f]) * 65536 + int(t[f + 1]) - 4
    h[f], h[f + 1] = o // 65536, o % 65536
h[17] = h[18] = 0
write_wav(sys.argv[2], np.array(h + list(t[24:m + n])), rate, 1)
PYEOF
"$CS" analyze --partial "$SND" -o "$W/part" --unit-ms 60 --hop-ms 60 --quiet || not_ok "partial bundle"
cp "$SND" "$W/dash/-x.wav" && cp "$SND" "$W/dash/--quiet"
before=$(md5sum < "$W/a.corpus/units.wav")
export CONCATSEQ=$CS
(cd "$W/dash" && run_sclang 200 "$SRC/tests/sc/corpus_messages.scd" "$W")
rc=$?
L=$W/corpus_messages.scd.log
grep -E 'FAILED|MESSAGES-RESULT|WATCHDOG|ERROR' "$L" | sed 's/^/  /' | head -40
check "sclang finished (status $rc)" test $rc -eq 0
check "its own checks passed" grep -q '^MESSAGES-RESULT [1-9][0-9]* passed, 0 failed' "$L"
section() { sed -n "/^$1\$/,/^$2\$/p" "$L"; }
lines() { section "$1" "$2" | grep -c "^ERROR: $3"; }
check "open(nil): one line naming the argument" test "$(lines 'OPEN NIL' 'OPEN ARRAY' "ConcatCorpus.open: argument 'dir' must be the path")" = 1
check "a version 2 unit table: one line naming the file, the version and the fix" \
    test "$(lines 'OPEN V2' 'UNITS' "ConcatCorpus: .*v2.corpus/units.wav is a version 2 unit table, these classes read version 3 (rebuild the bundle with \`concatseq analyze --force\`)")" = 1
check "a JSON array manifest: one line naming the file" \
    test "$(lines 'OPEN ARRAY' 'UNITS' "ConcatCorpus: .*array.corpus/corpus.json holds a JSON array")" = 1
check "a partial bundle: one line naming concatseq merge" \
    test "$(lines 'OPEN PARTIAL' 'UNITS' "ConcatCorpus: .*/part is a partial bundle (concatseq analyze --partial): merge the parts into a bundle first with \`concatseq merge PART... -o BUNDLE\`")" = 1
check "six bad unit queries: six lines naming the method and the range" \
    test "$(lines 'UNITS' 'TARGETS' "ConcatCorpus:[a-zA-Z]*Of: no unit .*must be an Integer 0\.\.")" = 6
check "six bad targets: six lines" test "$(lines 'TARGETS' 'BUILD UNKNOWN OPTION' 'Pconcatunit: ')" = 6
check "  NaN named, with the fix" grep -q '^ERROR: Pconcatunit: target value -\?nan for loudness is not a finite number; give a normalised value' "$L"
check "an unknown option: one line naming it" \
    test "$(lines 'BUILD UNKNOWN OPTION' 'BUILD DASH FORCE' 'ConcatCorpus.build: concatseq analyze: error: unknown option --frobnicate')" = 1
check "  and nothing else" test "$(section 'BUILD UNKNOWN OPTION' 'BUILD DASH FORCE' | grep -c ERROR)" = 1
check "a source --force onto a bundle: 'already exists', one line" \
    test "$(lines 'BUILD DASH FORCE' 'BUILD BAD ARGS' 'ConcatCorpus.build: concatseq analyze: error: .*a.corpus: already exists')" = 1
check "a source --force: 'no such file', one line" \
    test "$(lines 'BUILD DASH FORCE' 'BUILD BAD ARGS' 'ConcatCorpus.build: concatseq analyze: error: \./--force: no such file')" = 1
check "the existing bundle was not forced" test "$(md5sum < "$W/a.corpus/units.wav")" = "$before"
check "no f.corpus" test ! -e "$W/f.corpus"
check "six bad build arguments: six lines" test "$(lines 'BUILD BAD ARGS' 'BUILD GOOD' 'ConcatCorpus.build: ')" = 6
check "the good builds: no error" test "$(section 'BUILD GOOD' 'DONE' | grep -c ERROR)" = 0
check "  the build of --quiet posted its progress (not quiet)" test "$(section 'BUILD GOOD' 'DONE' | grep -c '^ConcatCorpus.build: ')" -gt 0
check "no 'not understood', no failed primitive, no stack trace" \
    test "$(grep -cE 'not understood|Primitive .* failed|CALL STACK' "$L")" = 0
