#!/usr/bin/env bash
# Real recordings into bundles, with structural checks: SuperCollider's a11wlk01.wav (grain and onset), a
# hydrogen-drumkits kit folder (FLAC), a lincity-ng-data music track (Ogg/Vorbis, 44.1 kHz stereo).
. "$(dirname "$0")/common.bash"
CHECK="$PY $SRC/tests/scripts/check_bundle.py"

A=$(a11wlk01) || { not_ok "a11wlk01.wav not found (supercollider-common)"; exit 1; }
check "a11wlk01 grain" "$CS" analyze "$A" -o "$W/a11-grain" --segment grain --unit-ms 100 --hop-ms 50 --clusters 16 --quiet
check "a11wlk01 grain bundle" $CHECK "$W/a11-grain" --segment grain --rate 48000 --channels 1 --labels 16 --min-units 80
check "a11wlk01 onset" "$CS" analyze "$A" -o "$W/a11-onset" --segment onset --clusters 8 --quiet
check "a11wlk01 onset bundle" $CHECK "$W/a11-onset" --segment onset --labels 8 --min-units 8
check "a11wlk01 novelty (4.3 s: one section)" "$CS" analyze "$A" -o "$W/a11-novelty" --segment novelty --clusters 1 --quiet
check "a11wlk01 novelty bundle" $CHECK "$W/a11-novelty" --segment novelty --min-units 1
check "a11wlk01 dbscan" "$CS" analyze "$A" -o "$W/a11-dbscan" --cluster dbscan --eps 4 --min-samples 4 --quiet
check "a11wlk01 dbscan bundle" $CHECK "$W/a11-dbscan"
check "a11wlk01 ap" "$CS" analyze "$A" -o "$W/a11-ap" --cluster ap --unit-ms 200 --hop-ms 200 --damping 0.7 --quiet
check "a11wlk01 ap bundle" $CHECK "$W/a11-ap"
check "a11wlk01 robust, 44.1 kHz, selected descriptors" "$CS" analyze "$A" -o "$W/a11-sel" --rate 44100 \
    --normalize robust --descriptors loudness,centroid,flatness,mfcc --weights centroid=2 --clusters 6 --quiet
check "a11wlk01 selected bundle" $CHECK "$W/a11-sel" --rate 44100 --labels 6

# info: summary and TSV
info=$("$CS" info "$W/a11-grain")
check "info names the source" grep -q "a11wlk01.wav" <<<"$info"
check "info lists labels" grep -q "label  units  mean duration" <<<"$info"
check "info lists descriptor ranges" grep -q "centroid" <<<"$info"
tsv=$("$CS" info "$W/a11-grain" --units)
units=$("$PY" -c "import json;print(json.load(open('$W/a11-grain/corpus.json'))['units'])")
check "info --units has one line per unit" [ "$(wc -l <<<"$tsv")" -eq $((units + 1)) ]
check "info --units header" grep -q "^unit	source	start_frame	length_frames" <<<"$tsv"
expect_error "info on a non-bundle" "no such bundle" "" -- "$CS" info "$W/nothing"

# hydrogen drum kit: a folder of FLAC files
KIT=/usr/share/hydrogen/data/drumkits/ColomboAcousticDrumkit
if [ -d "$KIT" ]; then
    nflac=$(find "$KIT" -iname '*.flac' | wc -l)
    out=$("$CS" analyze "$KIT" -o "$W/kit" --segment onset --clusters 8 --progress none 2>"$W/kit.err")
    check "drum kit folder analyses" [ $? -eq 0 ]
    check "drum kit bundle" $CHECK "$W/kit" --segment onset --min-units "$nflac" --sources "$nflac"
    check "drum kit warnings name the skipped files" bash -c "! grep -v 'not an audio file' '$W/kit.err' | grep -q ."
else
    not_ok "hydrogen-drumkits not installed"
fi

# lincity-ng music: Ogg/Vorbis, 44.1 kHz stereo; kept as stereo and mixed down
OGG=$(find /usr/share/games/lincity-ng/music -name '*.ogg' | sort | head -n 1)
if [ -n "$OGG" ]; then
    check "lincity stereo" "$CS" analyze "$OGG" -o "$W/ogg2" --channels 2 --segment onset --clusters 16 --quiet
    check "lincity stereo bundle" $CHECK "$W/ogg2" --channels 2 --rate 48000 --labels 16 --min-units 100
    check "lincity mono grains" "$CS" analyze "$OGG" -o "$W/ogg1" --unit-ms 250 --hop-ms 250 --clusters 32 --quiet
    check "lincity mono bundle" $CHECK "$W/ogg1" --channels 1 --labels 32
    rate=$("$PY" -c "import json;print(json.load(open('$W/ogg2/corpus.json'))['sources'][0]['original_rate'])")
    check "lincity original rate recorded" [ "$rate" = 44100 ]
    check "lincity sections" "$CS" analyze "$OGG" -o "$W/ognov" --segment novelty --clusters 3 --quiet
    check "lincity sections bundle" $CHECK "$W/ognov" --segment novelty --min-units 4 --labels 3
else
    not_ok "lincity-ng-data not installed"
fi
