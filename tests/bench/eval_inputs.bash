# eval_inputs.bash - sourced by tests/bench/run_eval_table.sh and run_desc_auto.sh (with $WORK set): the real
# recordings of issue 11's tables. Sets A (SuperCollider's a11wlk01.wav), KIT (a hydrogen kit), MUSIC (lincity-ng's
# music), PUSH (pushover-data's themes), exits 77 when one is missing, and writes $WORK/kit.wav: the kit's
# one-shots as one recording (one source: every file alone is shorter than a validation part).
A=$(find /usr/share/SuperCollider /usr/local/share/SuperCollider -name a11wlk01.wav 2>/dev/null | head -n 1 || true)
KIT=/usr/share/hydrogen/data/drumkits/ColomboAcousticDrumkit
MUSIC=/usr/share/games/lincity-ng/music/default
PUSH=/usr/share/pushover/themes
[ -n "$A" ] && [ -d "$KIT" ] && [ -d "$MUSIC" ] && [ -d "$PUSH" ] && command -v sox > /dev/null ||
    { echo "needs supercollider-common, hydrogen-drumkits, lincity-ng-data, pushover-data, sox" >&2; exit 77; }
if [ ! -f "$WORK/kit.wav" ]; then
    mkdir -p "$WORK/kit.parts"
    n=0
    for f in "$KIT"/*.flac; do
        n=$((n + 1))
        sox "$f" -r 48000 -c 1 -b 24 "$WORK/kit.parts/$(printf %03d $n).wav"
    done
    sox "$WORK"/kit.parts/*.wav "$WORK/kit.wav"
fi
