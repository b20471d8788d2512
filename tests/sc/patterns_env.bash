# patterns_env.bash - sourced by tests/sc/patterns_*.sh: the one harness (tests/sc/sclang_env.bash) plus what
# the pattern tests share.
#
# Environment (ctest sets these; defaults let a developer run a script by hand from a build tree):
#   CS_SOURCE_DIR  the source tree (default: two levels above this file)
#   CS_PLUGIN_DIR  the built extension folder <build>/extension/ConcatSeq (default: $CS_BUILD_DIR/extension/ConcatSeq)
#   CONCATSEQ      the concatseq program (default: $CS_BUILD_DIR/corpus-tools/concatseq)
#   CS_WORK_DIR    a scratch folder, emptied first (default: /tmp/cs_patterns_$$)
#   CS_BUILD_DIR   derived from CS_PLUGIN_DIR (its grandparent), or build in the source tree
# Provides: pat_sclang SCRIPT [SECONDS] (run_sclang; the output also on stdout), pat_require FILE WHAT,
# pat_build_models, pat_tally LOG... (adds the scripts' results to the test's counts), $PAT_REFERENCE (the C
# reference program).
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
: "${CS_SOURCE_DIR:=$(cd "$here/../.." && pwd)}"
if [ -n "${CS_PLUGIN_DIR:-}" ]; then
    : "${CS_BUILD_DIR:=$(cd "$CS_PLUGIN_DIR/../.." 2> /dev/null && pwd)}"
else
    : "${CS_BUILD_DIR:=$CS_SOURCE_DIR/build}"
    CS_PLUGIN_DIR="$CS_BUILD_DIR/extension/ConcatSeq"
fi
: "${CONCATSEQ:=$CS_BUILD_DIR/corpus-tools/concatseq}"
: "${CS_WORK_DIR:=/tmp/cs_patterns_$$}"
export CS_SOURCE_DIR CS_PLUGIN_DIR CS_BUILD_DIR CONCATSEQ CS_WORK_DIR
source "$CS_SOURCE_DIR/tests/sc/sclang_env.bash"

PAT_REFERENCE="$CS_BUILD_DIR/tests/test_patterns_reference"
export PAT_REFERENCE

pat_require() { # pat_require FILE WHAT: fail the test (exit 1) if FILE is missing
    if [ ! -e "$1" ]; then
        not_ok "missing $2: $1 (build the project first)"
        exit 1
    fi
}

# pat_build_models: a corpus of a11wlk01.wav (50 ms grains, 8 labels) in $CS_WORK_DIR/g.corpus and three models
# trained on it by concatseq: gru32.wav (1 x 32), gru64.wav (2 x 64), tf.wav (transformer 32 wide, 4 heads,
# context 16). Exits the test (1 failure) if concatseq fails.
pat_build_models() {
    local SND
    pat_require "$CONCATSEQ" "concatseq program"
    SND=$(a11wlk01) || { not_ok "SuperCollider's a11wlk01.wav not found"; exit 1; }
    "$CONCATSEQ" analyze "$SND" -o "$W/g.corpus" --segment grain --unit-ms 50 --hop-ms 50 --clusters 8 --quiet > /dev/null 2>&1 \
        || { not_ok "concatseq analyze"; exit 1; }
    "$CONCATSEQ" train --arch gru "$W/g.corpus" -o "$W/gru32.wav" --hidden 32 --layers 1 --epochs 12 --quiet > /dev/null 2>&1 &&
        "$CONCATSEQ" train --arch gru "$W/g.corpus" -o "$W/gru64.wav" --hidden 64 --layers 2 --epochs 8 --quiet > /dev/null 2>&1 &&
        "$CONCATSEQ" train "$W/g.corpus" -o "$W/tf.wav" --arch transformer --hidden 32 --heads 4 --context 16 --epochs 12 --quiet > /dev/null 2>&1 \
        || { not_ok "concatseq train"; exit 1; }
}

pat_sclang() { # pat_sclang SCRIPT [SECONDS]: run_sclang in $CS_WORK_DIR, the output also on stdout
    local script="$1" secs="${2:-240}" rc
    (cd "$W" && run_sclang "$secs" "$script")
    rc=$?
    cp "$W/$(basename "$script").log" "$W/$(basename "$script" .scd).log"
    cat "$W/$(basename "$script" .scd).log"
    return $rc
}

# pat_tally LOG...: add the "PATTERNS-RESULT N passed, N failed" lines of the logs to the test's counts (the
# summary at exit); a log without that line (sclang crashed or timed out) counts as one failure, and so does a
# log whose script passed nothing. Returns 1 on any failure.
pat_tally() {
    local log line p f bad=0
    for log in "$@"; do
        line=$(grep -E '^PATTERNS-RESULT [0-9]+ passed, [0-9]+ failed' "$log" 2> /dev/null | tail -1)
        if [ -z "$line" ]; then
            not_ok "no result from $(basename "$log") (sclang did not finish)"
            bad=1
            continue
        fi
        p=$(echo "$line" | awk '{print $2}')
        f=$(echo "$line" | awk '{print $4}')
        passed=$((passed + p))
        failed=$((failed + f))
        if [ "$p" -eq 0 ]; then not_ok "$(basename "$log") passed nothing"; bad=1; fi
        [ "$f" -eq 0 ] || bad=1
    done
    return $bad
}
