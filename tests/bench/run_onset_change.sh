#!/usr/bin/env bash
# How much `analyze --segment onset` changes between two builds (issue 10 made the onset detector causal: past
# median, earliest-first minimum interval, one frame of look-ahead, cuts at max_len). For each real recording it
# prints the number of unit starts (= onset boundaries, plus 0 and the max_len cuts) of each build and how many
# of each build's boundaries have one of the other's within one frame hop (512 samples at the defaults, 48 kHz).
# Inputs: SuperCollider's a11wlk01.wav, the samples of a Hydrogen kit concatenated (the audio.wav of a grain bundle
# of the kit folder: every sample one after the other), the first lincity-ng-data track. Not a timed test.
# usage: tests/bench/run_onset_change.sh OLD_CONCATSEQ NEW_CONCATSEQ
set -euo pipefail
OLD=${1:?old concatseq}
NEW=${2:?new concatseq}
HOP=512
SC=$(find /usr/share/SuperCollider -name a11wlk01.wav 2>/dev/null | head -n 1)
KIT=/usr/share/hydrogen/data/drumkits/Millo-Drums_v.1
TRACK="/usr/share/games/lincity-ng/music/default/01 - pronobozo - lincity.ogg"
[ -n "$SC" ] && [ -d "$KIT" ] && [ -f "$TRACK" ] || { echo "needs supercollider, hydrogen-drumkits, lincity-ng-data"; exit 77; }
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
"$NEW" analyze "$KIT" -o "$OUT/kit" --quiet --threads 2 --unit-ms 10 --hop-ms 10
cp "$OUT/kit/audio.wav" "$OUT/kit.wav"
starts() { # BIN SOURCE NAME: unit start frames, one a line
    "$1" analyze "$2" -o "$OUT/$3" --segment onset --quiet --threads 2 --clusters 2 --force >/dev/null
    "$1" info "$OUT/$3" --units | awk -F'\t' 'NR > 1 { print $3 }'
}
for src in "$SC" "$OUT/kit.wav" "$TRACK"; do
    name=$(basename "$src")
    starts "$OLD" "$src" old >"$OUT/old.txt"
    starts "$NEW" "$src" new >"$OUT/new.txt"
    python3 - "$OUT/old.txt" "$OUT/new.txt" "$HOP" "$name" <<'EOF'
import bisect, sys
old = sorted(int(v) for v in open(sys.argv[1]))
new = sorted(int(v) for v in open(sys.argv[2]))
hop, name = int(sys.argv[3]), sys.argv[4]
def matched(a, b):
    n = 0
    for x in a:
        k = bisect.bisect_left(b, x)
        if any(0 <= j < len(b) and abs(b[j] - x) <= hop for j in (k - 1, k)):
            n += 1
    return n
mo, mn = matched(old, new), matched(new, old)
print(f"{name}: old {len(old)} unit starts, new {len(new)}; old matched by new within {hop} samples: "
      f"{mo}/{len(old)} ({100.0 * mo / len(old):.1f} %), new matched by old: {mn}/{len(new)} ({100.0 * mn / len(new):.1f} %)")
EOF
done
