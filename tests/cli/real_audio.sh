#!/usr/bin/env bash
# Real recordings into bundles, with structural checks: SuperCollider's a11wlk01.wav (grain and onset), a
# hydrogen-drumkits kit folder (FLAC), a lincity-ng-data music track (Ogg/Vorbis, 44.1 kHz stereo). Every
# k-means bundle is checked for the label rule (BUNDLE.md "Label of a sound": each unit's label is its nearest
# weighted centroid in the listening section), the rule the server labels a live sound with.
. "$(dirname "$0")/common.bash"
CHECK="$PY $SRC/tests/scripts/check_bundle.py"

A=$(a11wlk01) || { not_ok "a11wlk01.wav not found (supercollider-common)"; exit 1; }
check "a11wlk01 grain" "$CS" analyze "$A" -o "$W/a11-grain" --segment grain --unit-ms 100 --hop-ms 50 --clusters 16 --quiet
check "a11wlk01 grain bundle" $CHECK "$W/a11-grain" --segment grain --rate 48000 --channels 1 --labels 16 --min-units 80 \
    --label-rule
check "a11wlk01 onset" "$CS" analyze "$A" -o "$W/a11-onset" --segment onset --clusters 8 --quiet
check "a11wlk01 onset bundle" $CHECK "$W/a11-onset" --segment onset --labels 8 --min-units 8 --label-rule
check "a11wlk01 novelty (4.3 s: one section)" "$CS" analyze "$A" -o "$W/a11-novelty" --segment novelty --clusters 1 --quiet
check "a11wlk01 novelty bundle" $CHECK "$W/a11-novelty" --segment novelty --min-units 1
check "a11wlk01 dbscan" "$CS" analyze "$A" -o "$W/a11-dbscan" --cluster dbscan --eps 4 --min-samples 4 --quiet
check "a11wlk01 dbscan bundle" $CHECK "$W/a11-dbscan"
# (resampled with libsamplerate's sinc medium, the default until issue 12: with soxr-hq the 21 units' exemplars
# happen to be their nearest centroids too, and this check needs a labelling that is not)
check "a11wlk01 ap" "$CS" analyze "$A" -o "$W/a11-ap" --cluster ap --unit-ms 200 --hop-ms 200 --damping 0.7 --quiet \
    --resampler src-medium
check "a11wlk01 ap bundle" $CHECK "$W/a11-ap"
check "a11wlk01 ap converged in the manifest" $PY -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))["clustering"]["converged"] is not True)' "$W/a11-ap/corpus.json"
# not converged in 12 iterations (fewer than --convergence-iter 15): the last exemplars, a warning, the manifest says so
check "a11wlk01 ap not converged still writes" "$CS" analyze "$A" -o "$W/a11-ap-nc" --cluster ap --unit-ms 200 \
    --hop-ms 200 --max-iter 12 --quiet
check "a11wlk01 ap not converged bundle" $CHECK "$W/a11-ap-nc"
check "a11wlk01 ap not converged in the manifest" $PY -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))["clustering"]["converged"] is not False)' "$W/a11-ap-nc/corpus.json"
# k-means stopped early (--max-iter 2: 426 of 427 units were nearest their own centroid before analyze finished
# with the label rule) still gives labels that are every unit's nearest centroid, and the manifest says how
check "a11wlk01 k-means stopped early" "$CS" analyze "$A" -o "$W/a11-early" --unit-ms 20 --hop-ms 10 --clusters 32 \
    --max-iter 2 --quiet
check "early k-means bundle: the label rule holds" $CHECK "$W/a11-early" --labels 32 --label-rule
check "the manifest records the label rule's rounds" "$PY" -c "
import json, sys
c = json.load(open('$W/a11-early/corpus.json'))['clustering']
sys.exit(0 if c['label_rule_rounds'] > 0 and c['label_rule_units'] == 427 else 1)"
# DBSCAN and affinity propagation do not label by means: the label rule's check sees it (BUNDLE.md)
check "dbscan labels are not all the nearest centroid's" bash -c "$CHECK '$W/a11-dbscan' --label-rule | grep -q 'label rule: 40 of 42'"
check "ap labels are not all the nearest centroid's" bash -c "$CHECK '$W/a11-ap' --label-rule | grep -q 'label rule: 20 of 21'"
check "a11wlk01 robust, 44.1 kHz, selected descriptors" "$CS" analyze "$A" -o "$W/a11-sel" --rate 44100 \
    --normalize robust --descriptors loudness,centroid,flatness,mfcc --weights centroid=2 --clusters 6 --quiet
check "a11wlk01 selected bundle" $CHECK "$W/a11-sel" --rate 44100 --labels 6 --label-rule

# contract 5: with no --clusters, K is chosen from the units (16, or half of them below 32) and the run says so;
# an explicit impossible K stays an error
out=$("$CS" analyze "$A" -o "$W/a11-auto" --segment onset 2>&1)
check "onset with nothing else succeeds" [ $? -eq 0 ]
nunits=$("$PY" -c "import json;print(json.load(open('$W/a11-auto/corpus.json'))['units'])")
check "K chosen as half the units" $CHECK "$W/a11-auto" --segment onset --labels $((nunits / 2))
check "the run says how K was chosen" grep -q "^clusters: $((nunits / 2)), chosen from $nunits units" <<<"$out"
check "the manifest says K was chosen" "$PY" -c "
import json,sys; sys.exit(0 if json.load(open('$W/a11-auto/corpus.json'))['clustering']['k_chosen'] else 1)"
check "grains: 16 labels from 32 units up" $CHECK "$W/a11-grain" --labels 16
# the independent reader notices a listening section that disagrees with the manifest or the rows: a centroid
# moved by one float step (no longer its units' mean), a scale, the mean flux, two centroids swapped
for what in centroid scale flux swap; do
    rm -rf "$W/a11-bad" && cp -r "$W/a11-grain" "$W/a11-bad"
    "$PY" - "$W/a11-bad/units.wav" "$what" "$SRC/tests/scripts" <<'PYEOF'
import sys
import numpy as np
sys.path.insert(0, sys.argv[3])
from wavio import read_wav, write_wav
t, rate, _, _ = read_wav(sys.argv[1])
t = t[:, 0].astype(np.float32)
d, k, y = int(t[3]), int(t[10]), int(t[19]) * 65536 + int(t[20])
if sys.argv[2] == "centroid":
    t[y + 32 + 3 * d + d + 5] = np.nextafter(t[y + 32 + 3 * d + d + 5], np.float32(np.inf))
elif sys.argv[2] == "scale":
    t[y + 32 + d + 2] *= np.float32(1.001)
elif sys.argv[2] == "flux":
    t[y + 26] *= np.float32(1.01)
else:  # unit 0's label's centroid swapped with the next label's
    c = t[y + 32 + 3 * d:].reshape(k, d)
    l0 = int(t[24 + 4])
    c[[l0, (l0 + 1) % k]] = c[[(l0 + 1) % k, l0]]
write_wav(sys.argv[1], t.astype(np.float64), rate, 1)
PYEOF
    check "check_bundle refuses a damaged listening section ($what)" bash -c "! $CHECK '$W/a11-bad' --label-rule >/dev/null"
done
expect_error "explicit K above the units" "--clusters 16: more clusters than units ($nunits)" "$W/a11-k16" -- \
    "$CS" analyze "$A" -o "$W/a11-k16" --segment onset --clusters 16

# info: summary and TSV
info=$("$CS" info "$W/a11-grain")
check "info names the source" grep -q "a11wlk01.wav" <<<"$info"
check "info lists labels" grep -q "label  units  mean duration" <<<"$info"
check "info lists descriptor ranges" grep -q "centroid" <<<"$info"
tsv=$("$CS" info "$W/a11-grain" --units)
units=$("$PY" -c "import json;print(json.load(open('$W/a11-grain/corpus.json'))['units'])")
check "info --units has one line per unit" [ "$(wc -l <<<"$tsv")" -eq $((units + 1)) ]
check "info --units header" grep -q "^unit	source	start_frame	length_frames	start_s	length_s	label" <<<"$tsv"
check "info --units: every column name once" bash -c "[ -z \"\$(head -n 1 <<<'$tsv' | tr '\t' '\n' | sort | uniq -d)\" ]"
check "info shows the clustering parameters" grep -q "clustering kmeans (seed 1, k 16, k_chosen no, restarts 4" <<<"$info"

# info prints strings from the manifest escaped: a crafted source path, method and descriptor name cannot clear
# the screen, set the window title, move the cursor or print fake lines (ESC, BEL, CR, LF, C1 CSI, a lone 0x9b)
cp -r "$W/a11-grain" "$W/a11-evil"
"$PY" - "$W/a11-evil/corpus.json" <<'PYEOF'
import json, sys
m = json.load(open(sys.argv[1]))
m["sources"][0]["path"] = "/x/\u001b[2J\u001b]0;pwned\u0007LONE9Ba\rdone: ok\n\u009b31mb\\c.wav"
m["segmentation"]["method"] = "grain\u001b[1A"
m["descriptors"][0]["name"] = "loud\u001b[31m"
open(sys.argv[1], "wb").write(json.dumps(m).encode().replace(b"LONE9B", b"\x9b"))
PYEOF
"$CS" info "$W/a11-evil" > "$W/evil.txt" 2> "$W/evil.err"
check "info on a crafted manifest succeeds" [ $? -eq 0 ]
check "info prints no control byte from the manifest" "$PY" -c "
import sys; b = open('$W/evil.txt', 'rb').read()
bad = [c for c in b if (c < 32 and c not in (9, 10)) or c == 127 or c == 0x9b] + [1 for i in range(len(b) - 1) if b[i] == 0xc2 and 0x80 <= b[i + 1] <= 0x9f]
sys.exit(1 if bad else 0)"
check "info shows the escapes" grep -qF '\x1b[2J\x1b]0;pwned\x07' "$W/evil.txt"
check "info escapes CR, LF, C1 and a lone 0x9b" grep -qF '\x9ba\x0ddone: ok\x0a\xc2\x9b31mb\\c.wav' "$W/evil.txt"
check "info: no fake line" [ "$(grep -c '^done: ok' "$W/evil.txt")" -eq 0 ]
check "info escapes the method and the descriptor name" grep -qF 'loud\x1b[31m' "$W/evil.txt"
check "info escapes the segmentation method" grep -qF 'segmentation grain\x1b[1A' "$W/evil.txt"
# a warning names a file found in a folder: its name is escaped too (an error message likewise)
mkdir -p "$W/evil-dir"
cp "$A" "$W/evil-dir/a.wav"
printf 'not audio' > "$W/evil-dir/"$'b\e[2J\e]0;pwned\a\rc.wav'
err=$("$CS" analyze "$W/evil-dir" -o "$W/evil-dir.corpus" --clusters 4 2>&1 >/dev/null)
check "folder walk: a warning for the bad file" grep -qF 'warning: ' <<<"$err"
check "folder walk: the name escaped in the warning" grep -qF 'b\x1b[2J\x1b]0;pwned\x07\x0dc.wav: not an audio file' <<<"$err"
err=$("$CS" info "$W/"$'x\e]0;pwned\a' 2>&1)
check "an error message escapes the path it names" grep -qF 'x\x1b]0;pwned\x07: no such bundle directory' <<<"$err"
check "folder walk: no control byte on stderr" "$PY" -c "
import sys; sys.exit(1 if any(c < 32 and c not in (9, 10) or c == 127 for c in sys.argv[1].encode()) else 0)" "$err"

# plot: the corpus map, and a timeline that is checked before anything is drawn
check "plot the corpus map" "$CS" plot "$W/a11-grain" -o "$W/map.svg"
"$PY" -c "
import sys; sys.path.insert(0, '$SRC/tests/scripts')
import numpy as np; from wavio import write_wav
rng = np.random.default_rng(3)
write_wav('$W/quad.wav', 0.3 * rng.standard_normal((48000 * 4, 4)), 48000, 4, 'float')
write_wav('$W/noise2.wav', 0.3 * rng.standard_normal((48000, 2)), 48000, 2, 'float')
t = np.repeat(np.array([[0, 3], [1, 7], [-1, -1], [15, 80]], float), 750, axis=0)
write_wav('$W/tl.wav', t, 750, 2, 'float')"
expect_error "plot --timeline of a 4-channel recording" "quad.wav: has 4 channels; a timeline has 2" "$W/quad.svg" -- \
    "$CS" plot "$W/a11-grain" -o "$W/map2.svg" --timeline "$W/quad.wav"
expect_error "plot --timeline of stereo audio" "noise2.wav: frame 0: channel 0 holds" "$W/noise2.svg" -- \
    "$CS" plot "$W/a11-grain" -o "$W/map3.svg" --timeline "$W/noise2.wav"
check "plot --timeline of a label timeline" "$CS" plot "$W/a11-grain" -o "$W/map4.svg" --timeline "$W/tl.wav"
check "the timeline SVG has its 3 blocks (silence is none)" grep -q "<!-- 3 blocks -->" "$W/tl.svg"
expect_error "info on a non-bundle" "no such bundle" "" -- "$CS" info "$W/nothing"

# hydrogen drum kit: a folder of FLAC files
KIT=/usr/share/hydrogen/data/drumkits/ColomboAcousticDrumkit
if [ -d "$KIT" ]; then
    nflac=$(find "$KIT" -iname '*.flac' | wc -l)
    out=$("$CS" analyze "$KIT" -o "$W/kit" --segment onset --clusters 8 --progress none 2>"$W/kit.err")
    check "drum kit folder analyses" [ $? -eq 0 ]
    check "drum kit bundle" $CHECK "$W/kit" --segment onset --min-units "$nflac" --sources "$nflac" --label-rule
    check "drum kit warnings name the skipped files" bash -c "! grep -v 'not an audio file' '$W/kit.err' | grep -q ."
else
    not_ok "hydrogen-drumkits not installed"
fi

# lincity-ng music: Ogg/Vorbis, 44.1 kHz stereo; kept as stereo and mixed down
OGG=$(find /usr/share/games/lincity-ng/music -name '*.ogg' | sort | head -n 1)
if [ -n "$OGG" ]; then
    check "lincity stereo" "$CS" analyze "$OGG" -o "$W/ogg2" --channels 2 --segment onset --clusters 16 --quiet
    check "lincity stereo bundle" $CHECK "$W/ogg2" --channels 2 --rate 48000 --labels 16 --min-units 100 --label-rule
    check "lincity mono grains" "$CS" analyze "$OGG" -o "$W/ogg1" --unit-ms 250 --hop-ms 250 --clusters 32 --quiet
    check "lincity mono bundle" $CHECK "$W/ogg1" --channels 1 --labels 32 --label-rule
    rate=$("$PY" -c "import json;print(json.load(open('$W/ogg2/corpus.json'))['sources'][0]['original_rate'])")
    check "lincity original rate recorded" [ "$rate" = 44100 ]
    check "lincity sections" "$CS" analyze "$OGG" -o "$W/ognov" --segment novelty --clusters 3 --quiet
    check "lincity sections bundle" $CHECK "$W/ognov" --segment novelty --min-units 4 --labels 3
else
    not_ok "lincity-ng-data not installed"
fi
