#!/bin/bash
# ConcatListen in a real scsynth (NRT) against `concatseq analyze`: for each bundle, its packed audio (audio.wav,
# the very samples analyze described) is played into ConcatListen with a reset at every source boundary and at the
# end (tests/sc/concatlisten_nrt.scd), every output recorded per control period, and the reports compared with the
# bundle's units (tests/scripts/concatlisten_compare.py):
#   - a11wlk01, grains (blocks of 64 and 512): every unit found at its start, its normalised descriptors within
#     1e-5 * max(1, |value|) of units.wav's (the table's float32 center / scale, see test_concatlisten_logic.c),
#     the bundle's label for >= 99 % of the units;
#   - a11wlk01 onsets, a hydrogen kit (onsets; a folder of FLAC hits), a lincity-ng track (onsets; Ogg): the
#     units found within one analysis hop of their start, the bundle's label for >= 99 % of them.
# Every reported label is the nearest weighted centroid of the reported descriptors; every output is finite; no
# ConcatListen message.
source "$(dirname "$0")/sclang_env.bash"
SND=$(a11wlk01) || { not_ok "a11wlk01.wav not found"; exit 1; }
KIT=/usr/share/hydrogen/data/drumkits/ColomboAcousticDrumkit
OGG=$(find /usr/share/games/lincity-ng/music -name '*.ogg' 2> /dev/null | sort | head -n 1)

listen_nrt() { # listen_nrt NAME BUNDLE MODE BLOCK TOL [compare options...]
    local name=$1 b=$2 mode=$3 block=$4 tol=$5 dur
    shift 5
    "$PY" "$SRC/tests/scripts/concatlisten_compare.py" "$b" --reset "$W/$name.reset.wav" > /dev/null ||
        { not_ok "$name: reset signal"; return; }
    dur=$("$PY" -c "import json; m = json.load(open('$b/corpus.json')); print(m['frames'] / m['sample_rate'] + 1.0)")
    CS_BUNDLE=$b CS_RESET=$W/$name.reset.wav CS_OSC=$W/$name.osc CS_ROWS=$W/$name.rows.wav CS_MODE=$mode \
        CS_DUR=$dur CS_BLOCK=$block run_sclang 90 "$SRC/tests/sc/concatlisten_nrt.scd" ||
        { not_ok "$name: sclang score"; return; }
    check "$name: NRT render" run_nrt "$W/$name.osc" "$W/$name.out.wav" 1 -z "$block"
    if grep -q "ConcatListen:" "$W/$name.out.wav.log"; then
        not_ok "$name: unexpected message: $(grep ConcatListen: "$W/$name.out.wav.log" | head -2)"
    fi
    "$PY" "$SRC/tests/scripts/concatlisten_compare.py" "$b" "$W/$name.rows.wav" "$block" "$tol" "$@" > "$W/$name.cmp" 2>&1
    local rc=$?
    check "$name: $(tail -1 "$W/$name.cmp")" test $rc -eq 0
    echo "  $name: $(tail -1 "$W/$name.cmp")"
}

check "analyze a11wlk01 (grains)" "$CS" analyze "$SND" -o "$W/a11g" --segment grain --clusters 6 --quiet
check "analyze a11wlk01 (onsets)" "$CS" analyze "$SND" -o "$W/a11o" --segment onset --clusters 6 --quiet
listen_nrt a11-grains-64 "$W/a11g" 2 64 0 --exact
listen_nrt a11-grains-512 "$W/a11g" 2 512 0 --exact
hop=$("$PY" -c "import json; print(json.load(open('$W/a11o/corpus.json'))['analysis']['hop'])")
listen_nrt a11-onsets "$W/a11o" 1 64 "$hop"
if [ -d "$KIT" ]; then
    check "analyze the hydrogen kit $(basename "$KIT") (onsets)" "$CS" analyze "$KIT" -o "$W/kit" --segment onset --clusters 8 --quiet
    listen_nrt kit-onsets "$W/kit" 1 64 "$hop"
else
    not_ok "hydrogen-drumkits not installed ($KIT)"
fi
if [ -n "$OGG" ]; then
    check "analyze a lincity-ng track (onsets)" "$CS" analyze "$OGG" -o "$W/ogg" --segment onset --clusters 16 --quiet
    listen_nrt ogg-onsets "$W/ogg" 1 64 "$hop"
else
    not_ok "lincity-ng-data not installed"
fi
