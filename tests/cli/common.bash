# Sourced by tests/cli/*.sh. Provides: $CS (the program), $W (a fresh work dir), $PY (Debian's python3),
# ok/not_ok counting, expect_error, and a "N passed, N failed" summary at exit.
set -u
CS=${CONCATSEQ:?CONCATSEQ must name the built concatseq program}
SRC=${CS_SOURCE_DIR:?}
W=${CS_WORK_DIR:-$(mktemp -d)}
PY=/usr/bin/python3
rm -rf "$W" && mkdir -p "$W"
passed=0
failed=0

ok() { passed=$((passed + 1)); }
not_ok() { failed=$((failed + 1)); echo "FAILED: $*" >&2; }
check() { # check "description" command...
    local what=$1; shift
    if "$@"; then ok; else not_ok "$what"; fi
}

# expect_error "description" PATTERN BUNDLE -- command...: non-zero exit, exactly one stderr line that
# matches PATTERN, and no bundle (nor a temporary folder) left at BUNDLE.
expect_error() {
    local what=$1 pattern=$2 bundle=$3; shift 4
    local err rc
    err=$("$@" 2>&1 >/dev/null); rc=$?
    if [ $rc -eq 0 ]; then not_ok "$what: exit status 0"; return; fi
    if [ "$(printf '%s\n' "$err" | grep -c .)" -ne 1 ]; then not_ok "$what: not one line: $err"; return; fi
    if ! printf '%s' "$err" | grep -q -- "$pattern"; then not_ok "$what: '$err' lacks '$pattern'"; return; fi
    if [ -n "$bundle" ] && [ -e "$bundle" ]; then not_ok "$what: left $bundle behind"; return; fi
    if ls -a "$(dirname "$bundle")" 2>/dev/null | grep -q '\.partial-'; then not_ok "$what: left a temporary folder"; return; fi
    ok
}

finish() {
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}
trap 'finish; exit $?' EXIT

a11wlk01() {
    local f
    for f in /usr/share/SuperCollider/sounds/a11wlk01.wav /usr/local/share/SuperCollider/sounds/a11wlk01.wav; do
        [ -f "$f" ] && { echo "$f"; return 0; }
    done
    return 1
}
