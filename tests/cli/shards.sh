#!/usr/bin/env bash
# Shardable analysis (BUNDLE.md "Partial bundles (shards)"): `analyze --partial` of two subsets of the sources and
# `merge` of the two parts give, byte for byte, the bundle one `analyze` of all the sources writes (a11wlk01, a
# hydrogen drum kit folder and a lincity-ng Ogg track; grains and onsets; any thread counts). Bad parts: each one
# line, nothing written. A partial bundle is refused where a bundle is needed.
. "$(dirname "$0")/common.bash"
A=$(a11wlk01) || { not_ok "a11wlk01.wav not found"; exit 1; }
KIT=/usr/share/hydrogen/data/drumkits/Millo-Drums_v.1
OGG=$(find /usr/share/games/lincity-ng/music -name '*.ogg' | sort | head -n 1)
[ -d "$KIT" ] || { not_ok "hydrogen-drumkits not installed"; exit 1; }
[ -n "$OGG" ] || { not_ok "lincity-ng-data not installed"; exit 1; }

for seg in grain onset; do
    "$CS" analyze "$A" "$KIT" "$OGG" -o "$W/full-$seg" --segment $seg --clusters 12 --quiet ||
        not_ok "analyze all ($seg)"
    "$CS" analyze --partial "$A" "$KIT" -o "$W/p1-$seg" --segment $seg --threads 1 --quiet || not_ok "part 1 ($seg)"
    "$CS" analyze --partial "$OGG" -o "$W/p2-$seg" --segment $seg --threads 2 --quiet || not_ok "part 2 ($seg)"
    "$CS" merge "$W/p1-$seg" "$W/p2-$seg" -o "$W/m-$seg" --clusters 12 --threads 1 --quiet || not_ok "merge ($seg)"
    for f in corpus.json units.wav audio.wav; do
        check "$seg: merge of two parts gives the same $f as one analyze" cmp -s "$W/full-$seg/$f" "$W/m-$seg/$f"
    done
    check "$seg: a part has no unit table" [ ! -e "$W/p1-$seg/units.wav" ]
done

# options whose seconds have no 15-digit form (9 ms = 0.009000000000000001 s): the part keeps them exactly
"$CS" analyze "$A" "$OGG" -o "$W/full-ms" --segment onset --pre-ms 9 --min-ms 36 --quiet
"$CS" analyze --partial "$A" -o "$W/pm1" --segment onset --pre-ms 9 --min-ms 36 --quiet
"$CS" analyze --partial "$OGG" -o "$W/pm2" --segment onset --pre-ms 9 --min-ms 36 --quiet
"$CS" merge "$W/pm1" "$W/pm2" -o "$W/m-ms" --quiet
for f in corpus.json units.wav; do
    check "--pre-ms 9 --min-ms 36: the same $f" cmp -s "$W/full-ms/$f" "$W/m-ms/$f"
done

# the recipe of BUNDLE.md: --list of a folder, split in order, one part per slice (--files-from), merge in order
mkdir -p "$W/lib/kit" && cp "$A" "$OGG" "$W/lib/" && cp -r "$KIT"/. "$W/lib/kit/"
"$CS" analyze "$W/lib" -o "$W/full-lib" --segment onset --quiet || not_ok "analyze the folder"
"$CS" analyze "$W/lib" --list --quiet >"$W/files.txt" || not_ok "analyze --list"
check "--list: the audio files in analyze's order" [ "$(sed -n 1p "$W/files.txt")" = "$W/lib/01 - pronobozo - lincity.ogg" ]
check "--list: no non-audio file" bash -c "! grep -q drumkit.xml '$W/files.txt'"
(cd "$W" && split -d -a 2 -n l/3 files.txt list.) || not_ok "split"
for l in "$W"/list.??; do
    "$CS" analyze --partial --files-from "$l" -o "$l.part" --segment onset --quiet || not_ok "part $l"
done
"$CS" merge "$W"/list.??.part -o "$W/m-lib" --quiet || not_ok "merge the slices"
for f in corpus.json units.wav audio.wav; do
    check "three slices of --list merged: the $f of analyze FOLDER" cmp -s "$W/full-lib/$f" "$W/m-lib/$f"
done
expect_error "--files-from a missing file" "list.x:1: .*nope.wav: no such file" "$W/x0" -- \
    bash -c "echo '$W/nope.wav' >'$W/list.x' && '$CS' analyze --files-from '$W/list.x' -o '$W/x0'"

# the sources are the parts' in the order of the PART arguments
"$CS" merge "$W/p2-grain" "$W/p1-grain" -o "$W/swapped" --clusters 12 --quiet || not_ok "merge in the other order"
first=$("$PY" -c "import json;print(json.load(open('$W/swapped/corpus.json'))['sources'][0]['path'])")
check "PART order is the source order" [ "$first" = "$(realpath "$OGG")" ]
check "another order is another bundle" bash -c "! cmp -s '$W/swapped/units.wav' '$W/m-grain/units.wav'"
# merge's clustering options are analyze's
"$CS" analyze "$A" "$OGG" -o "$W/full-ap" --cluster dbscan --normalize robust --unit-ms 200 --hop-ms 200 --quiet
"$CS" analyze --partial "$A" -o "$W/pa" --unit-ms 200 --hop-ms 200 --quiet
"$CS" analyze --partial "$OGG" -o "$W/pb" --unit-ms 200 --hop-ms 200 --quiet
"$CS" merge "$W/pa" "$W/pb" -o "$W/m-ap" --cluster dbscan --normalize robust --quiet
check "dbscan, robust: same units.wav" cmp -s "$W/full-ap/units.wav" "$W/m-ap/units.wav"
check "dbscan, robust: same corpus.json" cmp -s "$W/full-ap/corpus.json" "$W/m-ap/corpus.json"

# bad parts: one line each, nothing written
P1=$W/p1-grain
expect_error "missing part" "no-such-part.*not a partial bundle" "$W/x1" -- "$CS" merge "$W/no-such-part" -o "$W/x1"
expect_error "the same part twice" "is also in" "$W/x2" -- "$CS" merge "$P1" "$P1" -o "$W/x2"
expect_error "parts of other settings" "other settings.*--unit-ms 100 vs 200" "$W/x3" -- \
    "$CS" merge "$P1" "$W/pb" -o "$W/x3"
expect_error "parts of other segmentation" "other settings.*--segment grain vs onset" "$W/x4" -- \
    "$CS" merge "$P1" "$W/p2-onset" -o "$W/x4"
expect_error "a full bundle as a part" "a full bundle, not a partial one" "$W/x5" -- \
    "$CS" merge "$P1" "$W/full-grain" -o "$W/x5"
for f in unit_rows.wav flux.wav audio.wav corpus.json; do
    rm -rf "$W/bad" && cp -r "$P1" "$W/bad"
    head -c 2000 "$P1/$f" >"$W/bad/$f"
    expect_error "truncated $f" "bad" "$W/x6" -- "$CS" merge "$W/bad" "$W/p2-grain" -o "$W/x6"
    rm -f "$W/bad/$f"
    expect_error "missing $f" "bad" "$W/x7" -- "$CS" merge "$W/bad" "$W/p2-grain" -o "$W/x7"
done
rm -rf "$W/bad" && cp -r "$P1" "$W/bad"
"$PY" - "$W/bad/unit_rows.wav" <<'EOF'
import sys
b = bytearray(open(sys.argv[1], 'rb').read())
b[-7] ^= 0x40  # one bit of the last unit's last descriptor
open(sys.argv[1], 'wb').write(b)
EOF
expect_error "a flipped bit in the unit rows" "checksum differs" "$W/x8" -- "$CS" merge "$W/bad" -o "$W/x8"
expect_error "merge takes no analysis option" "--segment: not an option of merge" "$W/x9" -- \
    "$CS" merge "$P1" -o "$W/x9" --segment onset
expect_error "--partial takes no clustering option" "--clusters: not with --partial" "$W/x10" -- \
    "$CS" analyze --partial "$A" -o "$W/x10" --clusters 8
expect_error "--partial takes no --labels-from" "--labels-from: not with --partial" "$W/x11" -- \
    "$CS" analyze --partial "$A" -o "$W/x11" --labels-from "$W/full-grain"
expect_error "merge needs a PART" "no PART given" "" -- "$CS" merge -o "$W/x12"
"$CS" merge "$P1" -o "$W/exists" --quiet
expect_error "merge onto an existing bundle" "already exists" "" -- "$CS" merge "$P1" -o "$W/exists"
check "one part merges alone" "$PY" "$SRC/tests/scripts/check_bundle.py" "$W/exists"

# a partial bundle where a bundle is needed: one line naming merge
for cmd in info train eval plot; do
    expect_error "$cmd refuses a part" "a partial bundle.*concatseq merge PART" "" -- "$CS" $cmd "$P1"
done
expect_error "--labels-from refuses a part" "a partial bundle.*concatseq merge PART" "$W/x13" -- \
    "$CS" analyze "$A" -o "$W/x13" --labels-from "$P1"
