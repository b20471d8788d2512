#!/usr/bin/env bash
# The main job (`make demo`): real audio -> corpus -> model -> evaluation -> a model-driven NRT render -> pictures.
# usage: corpus-tools/demo/demo.sh BUILD_DIR OUT_DIR [INPUT]    (DURATION=seconds, default 30)
# Every failure names the step that failed and how to fix it.
set -uo pipefail
BUILD=${1:?build dir}
OUT=${2:?output dir}
INPUT=${3:-}
DUR=${DURATION:-30}
HERE=$(cd "$(dirname "$0")" && pwd)
T0=$(date +%s.%N)

die() { echo "demo: FAILED at $1" >&2; shift; for l in "$@"; do echo "  $l" >&2; done; exit 1; }
step() { printf '\n[%s/5] %s\n' "$1" "$2"; }
elapsed() { awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

if [ -z "$INPUT" ]; then
    for f in /usr/share/SuperCollider/sounds/a11wlk01.wav /usr/local/share/SuperCollider/sounds/a11wlk01.wav \
             $(dpkg -L supercollider-common 2>/dev/null | grep '/a11wlk01.wav$'); do
        [ -f "$f" ] && { INPUT=$f; break; }
    done
    [ -n "$INPUT" ] || die "finding the input" "SuperCollider's sounds/a11wlk01.wav was not found." \
        "Install it (apt-get install supercollider-common) or give your own: make demo INPUT=path/to/file-or-folder"
    ANALYZE_OPTS=(--unit-ms 80 --hop-ms 20 --clusters 12)
else
    [ -e "$INPUT" ] || die "finding the input" "$INPUT does not exist"
    ANALYZE_OPTS=(--segment onset --clusters 16)
fi
command -v sclang >/dev/null || die "finding sclang" "install supercollider-language (make deps)"
command -v scsynth >/dev/null || die "finding scsynth" "install supercollider-server (make deps)"
mkdir -p "$OUT" || die "creating $OUT" "is the folder writable?"
OUT=$(cd "$OUT" && pwd)

# A private extension folder: the user's own Extensions are never touched (and not compiled either).
EXT=$(cd "$BUILD" && pwd)/demo-ext
cmake --install "$BUILD" --prefix "$EXT" >"$OUT/install.log" 2>&1 \
    || die "installing the extension into $EXT" "see $OUT/install.log"
CS=$EXT/ConcatSeq/bin/concatseq
[ -x "$CS" ] || die "installing the CLI" "$CS is missing; see $OUT/install.log"
ls "$EXT"/ConcatSeq/*.so >/dev/null 2>&1 || die "installing the UGens" \
    "no ConcatSeq/*.so in $EXT: were the SuperCollider headers found (supercollider-dev)?"

step 1 "analyse $INPUT"
"$CS" analyze "$INPUT" -o "$OUT/corpus" --force "${ANALYZE_OPTS[@]}" --seed 1 \
    || die "analysing $INPUT" "the error above names the file or option"

step 2 "train the candidates (modified KN, GRU + MKN, transformer + MKN), keep MKN unless one beats it on validation by more than one standard error, evaluate it"
# Each source is split in time 80/10/10: training, validation (early stopping, every baseline setting), test
# (scored once by eval, never seen by training or by any choice).
"$CS" train "$OUT/corpus" --force --seed 1 --progress none \
    | grep -E '^(training|wrote|auto)' || die "training" "the error above says why"
"$CS" eval "$OUT/corpus" || die "evaluating" "the error above says why"
echo "the render plays the model train chose, $OUT/corpus/model.wav (SeqPredict runs its n-gram table too), with a repetition"
echo "penalty of 1.5 so that the low temperatures of the triggered section do not stay on one label"

step 3 "render ${DUR} s: SeqPredict driving ConcatPlay (gapless, then a triggered section), scsynth NRT"
export QT_QPA_PLATFORM=offscreen
[ "$(id -u)" = 0 ] && export QTWEBENGINE_DISABLE_SANDBOX=1
export XDG_DATA_HOME="$OUT/.sclang" XDG_RUNTIME_DIR="$OUT/.sclang-run"
mkdir -p "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
printf 'includePaths:\n  - %s\nexcludeDefaultPaths: false\n' "$EXT" > "$OUT/.sclang_conf.yaml"
SC_PLUGINS=/usr/lib/SuperCollider/plugins
rm -f "$OUT/demo.wav" "$OUT/timeline.wav"
CS_DEMO_BUNDLE="$OUT/corpus" CS_DEMO_MODEL="$OUT/corpus/model.wav" CS_DEMO_OUT="$OUT/demo.wav" \
CS_DEMO_TIMELINE="$OUT/timeline.wav" CS_DEMO_DURATION="$DUR" CS_DEMO_PLUGINS="$SC_PLUGINS:$EXT/ConcatSeq" \
    timeout -k 5 180 sclang -l "$OUT/.sclang_conf.yaml" "$HERE/demo.scd" </dev/null >"$OUT/render.log" 2>&1
grep -E '^demo:' "$OUT/render.log"
grep -q '^DEMO_OK' "$OUT/render.log" && [ -s "$OUT/demo.wav" ] || die "rendering" \
    "sclang/scsynth did not finish; the log is $OUT/render.log (headless sclang needs QT_QPA_PLATFORM=offscreen," \
    "which this script sets; an unknown class there means the extension in $EXT was not compiled)"

step 4 "draw the corpus and the label timeline"
"$CS" plot "$OUT/corpus" -o "$OUT/corpus.svg" --timeline "$OUT/timeline.wav" -t "$OUT/timeline.svg" \
    --timeline-rate 750 \
    || die "plotting" "the error above says why"

step 5 "done in $(elapsed) s"
cat <<MSG
  render          $OUT/demo.wav   (${DUR} s, 48 kHz stereo float)
  corpus map      $OUT/corpus.svg (units by PCA of their descriptors, coloured by label)
  label timeline  $OUT/timeline.svg
  corpus bundle   $OUT/corpus      (concatseq info $OUT/corpus)
  model           $OUT/corpus/model.wav
  the extension   $EXT/ConcatSeq (copy it into Platform.userExtensionDir to play live; see README)
MSG
