# patterns_env.bash - shared setup for tests/sc/patterns_*.sh (sourced, not a test itself).
#
# Environment (ctest sets these; defaults let a developer run a script by hand from a build tree):
#   CS_SOURCE_DIR  the source tree (default: two levels above this file)
#   CS_PLUGIN_DIR  the built extension folder <build>/extension/ConcatSeq (default: $CS_BUILD_DIR/extension/ConcatSeq)
#   CONCATSEQ      the concatseq program (default: $CS_BUILD_DIR/corpus-tools/concatseq)
#   CS_WORK_DIR    a scratch folder, emptied first (default: /tmp/cs_patterns_$$)
#   CS_BUILD_DIR   derived from CS_PLUGIN_DIR (its grandparent), or build-pat in the source tree
# Provides: pat_sclang SCRIPT [SECONDS] - runs headless sclang on SCRIPT with a private class path
# (sc-classes + the built plugins), under `timeout`, with the QT variables a headless run needs; the script's
# output goes to stdout and to $CS_WORK_DIR/<script>.log. pat_reference - the C reference program.
set -u
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
: "${CS_SOURCE_DIR:=$(cd "$here/../.." && pwd)}"
if [ -n "${CS_PLUGIN_DIR:-}" ]; then
    : "${CS_BUILD_DIR:=$(cd "$CS_PLUGIN_DIR/../.." 2>/dev/null && pwd)}"
else
    : "${CS_BUILD_DIR:=$CS_SOURCE_DIR/build-pat}"
    CS_PLUGIN_DIR="$CS_BUILD_DIR/extension/ConcatSeq"
fi
: "${CONCATSEQ:=$CS_BUILD_DIR/corpus-tools/concatseq}"
: "${CS_WORK_DIR:=/tmp/cs_patterns_$$}"
export CS_SOURCE_DIR CS_PLUGIN_DIR CS_BUILD_DIR CONCATSEQ CS_WORK_DIR
rm -rf "$CS_WORK_DIR"
mkdir -p "$CS_WORK_DIR/ext"
export QT_QPA_PLATFORM=offscreen
export QTWEBENGINE_DISABLE_SANDBOX=1
# a private home for sclang's own folders (synthdefs, Extensions): nothing of the user's is read or written
export XDG_DATA_HOME="$CS_WORK_DIR/xdg-data"
export XDG_CONFIG_HOME="$CS_WORK_DIR/xdg-config"
mkdir -p "$XDG_DATA_HOME" "$XDG_CONFIG_HOME"

PAT_REFERENCE="$CS_BUILD_DIR/tests/test_patterns_reference"
export PAT_REFERENCE

# The class path: every class file of the project, and the plugins if built (ConcatPlay.so, SeqPredict.so).
{
    echo "includePaths:"
    echo "  - $CS_SOURCE_DIR/sc-classes"
    [ -d "$CS_PLUGIN_DIR" ] && echo "  - $CS_PLUGIN_DIR"
    echo "excludePaths: []"
    echo "postInlineWarnings: false"
} > "$CS_WORK_DIR/sclang_conf.yaml"

pat_require() { # pat_require FILE WHAT: fail the test (exit 1) if FILE is missing
    if [ ! -e "$1" ]; then
        echo "missing $2: $1 (build the project first)"
        echo "0 passed, 1 failed"
        exit 1
    fi
}

# pat_build_models: a corpus of a11wlk01.wav (50 ms grains, 8 labels) in $CS_WORK_DIR/g.corpus and three models
# trained on it by concatseq: gru32.wav (1 x 32), gru64.wav (2 x 64), tf.wav (transformer 32 wide, 4 heads,
# context 16). Exits the test (1 failure) if concatseq fails.
pat_build_models() {
    local W="$CS_WORK_DIR" SND=/usr/share/SuperCollider/sounds/a11wlk01.wav
    pat_require "$CONCATSEQ" "concatseq program"
    pat_require "$SND" "SuperCollider's a11wlk01.wav"
    "$CONCATSEQ" analyze "$SND" -o "$W/g.corpus" --segment grain --unit-ms 50 --hop-ms 50 --clusters 8 --quiet >/dev/null 2>&1 \
        || { echo "concatseq analyze failed"; echo "0 passed, 1 failed"; exit 1; }
    "$CONCATSEQ" train "$W/g.corpus" -o "$W/gru32.wav" --hidden 32 --layers 1 --epochs 12 --quiet >/dev/null 2>&1 &&
    "$CONCATSEQ" train "$W/g.corpus" -o "$W/gru64.wav" --hidden 64 --layers 2 --epochs 8 --quiet >/dev/null 2>&1 &&
    "$CONCATSEQ" train "$W/g.corpus" -o "$W/tf.wav" --arch transformer --hidden 32 --heads 4 --context 16 --epochs 12 --quiet >/dev/null 2>&1 \
        || { echo "concatseq train failed"; echo "0 passed, 1 failed"; exit 1; }
}

pat_sclang() { # pat_sclang SCRIPT [SECONDS]
    local script="$1" secs="${2:-240}" log
    log="$CS_WORK_DIR/$(basename "$script" .scd).log"
    (cd "$CS_WORK_DIR" && timeout -k 10 "$secs" sclang -l "$CS_WORK_DIR/sclang_conf.yaml" "$script" < /dev/null) > "$log" 2>&1
    local rc=$?
    cat "$log"
    [ $rc -eq 124 ] && echo "sclang timed out after $secs s"
    return $rc
}

# The totals of the "PATTERNS-RESULT N passed, N failed" lines of the given logs, as "N passed, N failed";
# a log without that line (sclang crashed or timed out) counts as one failure. Returns 1 on any failure.
pat_tally() {
    local p=0 f=0 log line
    for log in "$@"; do
        line=$(grep -E '^PATTERNS-RESULT [0-9]+ passed, [0-9]+ failed' "$log" 2>/dev/null | tail -1)
        if [ -z "$line" ]; then
            echo "no result from $(basename "$log") (sclang did not finish)"
            f=$((f + 1))
        else
            p=$((p + $(echo "$line" | awk '{print $2}')))
            f=$((f + $(echo "$line" | awk '{print $4}')))
        fi
    done
    echo "$p passed, $f failed"
    [ "$f" -eq 0 ] && [ "$p" -gt 0 ]
}
