#!/usr/bin/env bash
# analyze --resampler (issue 12): soxr-hq is the default and the manifest names it; every libsamplerate
# converter stays selectable (--resample-quality Q is --resampler src-... by number, byte for byte); a source
# already at --rate is not resampled (its samples reach audio.wav unchanged); a bad name is one line.
. "$(dirname "$0")/common.bash"
A=$(a11wlk01) || { not_ok "a11wlk01.wav not found"; exit 1; }
resampler() { "$PY" -c "import json, sys; print(json.load(open(sys.argv[1] + '/corpus.json'))['analysis']['resampler'])" "$1"; }

"$CS" analyze "$A" -o "$W/default" --quiet
check "the default is soxr-hq" test "$(resampler "$W/default")" = SOXR_HQ
"$CS" analyze "$A" -o "$W/hq" --resampler soxr-hq --quiet
check "--resampler soxr-hq = the default, byte for byte" cmp -s "$W/default/units.wav" "$W/hq/units.wav"
"$CS" analyze "$A" -o "$W/vhq" --resampler soxr-vhq --quiet
check "soxr-vhq in the manifest" test "$(resampler "$W/vhq")" = SOXR_VHQ
i=0
for name in SRC_SINC_BEST_QUALITY SRC_SINC_MEDIUM_QUALITY SRC_SINC_FASTEST SRC_ZERO_ORDER_HOLD SRC_LINEAR; do
    cli=$(sed -n "$((i + 1))p" <<<"src-best
src-medium
src-fastest
src-zoh
src-linear")
    "$CS" analyze "$A" -o "$W/$cli" --resampler "$cli" --quiet
    "$CS" analyze "$A" -o "$W/q$i" --resample-quality $i --quiet
    check "$cli in the manifest" test "$(resampler "$W/$cli")" = $name
    check "--resample-quality $i = --resampler $cli" cmp -s "$W/$cli/audio.wav" "$W/q$i/audio.wav"
    i=$((i + 1))
done
check "soxr-hq and sinc medium differ" bash -c "! cmp -s '$W/default/audio.wav' '$W/src-medium/audio.wav'"

# a11wlk01 is 44.1 kHz: at --rate 44100 it is not resampled, whatever the resampler
"$CS" analyze "$A" -o "$W/n1" --rate 44100 --quiet
"$CS" analyze "$A" -o "$W/n2" --rate 44100 --resampler src-linear --quiet
check "at the file's own rate the resampler does not matter" cmp -s "$W/n1/audio.wav" "$W/n2/audio.wav"
check "at the file's own rate the samples pass unchanged" "$PY" -c "
import sys, numpy as np
sys.path.insert(0, '$SRC/tests/scripts')
from wavio import read_wav
x, y = read_wav('$A')[0], read_wav('$W/n1/audio.wav')[0]
sys.exit(0 if x.shape == y.shape and x.shape[1] == 1 and np.array_equal(x, y) else 1)"

expect_error "bad resampler name" "--resampler sox: not a valid value (see \`concatseq help analyze\`)" "$W/bad" -- \
    "$CS" analyze "$A" -o "$W/bad" --resampler sox
finish
