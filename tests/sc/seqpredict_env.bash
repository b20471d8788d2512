# Sourced by tests/sc/seqpredict_*.sh and tests/sc/help_*.sh: the environment for headless sclang and scsynth.
# Provides (besides tests/cli/common.bash: $CS, $SRC, $W, $PY, ok / not_ok / check, the summary at exit):
#   $PLUGINS       scsynth -U path: SuperCollider's own plugins, then ours ($CS_PLUGIN_DIR)
#   $HARNESS       the C parity harness (build/tests/test_seqpredict_logic)
#   $CONF          a private sclang configuration (includePaths: our sc-classes; nothing from the user's setup)
#   run_sclang TIMEOUT SCRIPT [ARGS]   sclang headless under `timeout`, output in $W/sclang.log; the script
#                  must end with `0.exit` (run_sclang returns sclang's status; a watchdog exits with 3)
#   free_port      a free UDP port
#   make_bundle DIR    analyze a11wlk01.wav into DIR (grain units) and train a small GRU (DIR/model.wav)
# Every process a test starts is stopped by its own PID (never by name).
source "${CS_SOURCE_DIR:?}/tests/cli/common.bash"
PLUGIN_DIR=${CS_PLUGIN_DIR:?CS_PLUGIN_DIR must name the folder with the built .so files}
SYS_PLUGINS=/usr/lib/SuperCollider/plugins
PLUGINS="$SYS_PLUGINS:$PLUGIN_DIR"
HARNESS=$(cd "$PLUGIN_DIR/../.." && pwd)/tests/test_seqpredict_logic
export QT_QPA_PLATFORM=offscreen
[ "$(id -u)" = 0 ] && export QTWEBENGINE_DISABLE_SANDBOX=1
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$W/xdg-runtime}
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
# a private home for sclang's user folders (no user extension, no startup file)
export HOME_FOR_SCLANG="$W/home"
mkdir -p "$HOME_FOR_SCLANG/.local/share/SuperCollider/Extensions" "$HOME_FOR_SCLANG/.config/SuperCollider"
CONF="$W/sclang_conf.yaml"
cat > "$CONF" <<EOF
includePaths:
  - $SRC/sc-classes
excludePaths:
  []
postInlineWarnings: false
EOF

if [ ! -d "$PLUGIN_DIR" ] || [ ! -f "$PLUGIN_DIR/SeqPredict.so" ]; then
    echo "no SeqPredict.so in $PLUGIN_DIR" >&2
    not_ok "plugin built"
    exit 1
fi

run_sclang() { # run_sclang TIMEOUT SCRIPT [ARGS...]
    local t=$1 script=$2; shift 2
    HOME="$HOME_FOR_SCLANG" XDG_DATA_HOME="$HOME_FOR_SCLANG/.local/share" \
        XDG_CONFIG_HOME="$HOME_FOR_SCLANG/.config" \
        timeout -k 5 "$t" sclang -l "$CONF" "$script" "$@" > "$W/sclang.log" 2>&1 < /dev/null
}

free_port() {
    "$PY" -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

make_bundle() { # make_bundle DIR [CLUSTERS]
    local dir=$1 k=${2:-8} src
    src=$(a11wlk01) || { not_ok "a11wlk01.wav not found"; return 1; }
    "$CS" analyze "$src" -o "$dir" --segment grain --unit-ms 60 --hop-ms 60 --clusters "$k" --progress none \
        --quiet > "$W/analyze.log" 2>&1 || { cat "$W/analyze.log" >&2; not_ok "analyze"; return 1; }
    "$CS" train "$dir" --epochs 20 --hidden 32 --progress none --quiet > "$W/train.log" 2>&1 \
        || { cat "$W/train.log" >&2; not_ok "train"; return 1; }
}

# same_samples A.wav B.wav: the data chunks are byte-identical (libsndfile's PEAK chunk carries a timestamp, so
# whole files of two identical float renders may differ in those 4 header bytes).
same_samples() {
    "$PY" - "$1" "$2" <<'PYEOF'
import struct, sys
def data(path):
    blob = open(path, "rb").read()
    pos = 12
    while pos + 8 <= len(blob):
        cid, size = blob[pos:pos + 4], struct.unpack("<I", blob[pos + 4:pos + 8])[0]
        if cid == b"data":
            return blob[pos + 8:pos + 8 + size]
        pos += 8 + size + (size & 1)
    sys.exit(2)
a, b = data(sys.argv[1]), data(sys.argv[2])
sys.exit(0 if a == b and len(a) > 0 else 1)
PYEOF
}

# start_jack NAME: a private dummy JACK server (JACK_DEFAULT_SERVER=cs_NAME_<pid>) for a real-time scsynth.
# At exit it is stopped by its PID, as is every PID in STOP_PIDS and the scsynth named by a "SERVER PID n" line
# in any log of STOP_PID_LOGS (a server sclang booted); then the summary is printed and the test exits with its
# verdict.
STOP_PIDS=()
STOP_PID_LOGS=()
jackd_pid=""
stop_started() {
    local p log
    for log in "${STOP_PID_LOGS[@]}"; do
        p=$(sed -n 's/^SERVER PID \([0-9][0-9]*\).*/\1/p' "$log" 2> /dev/null | head -1)
        [ -n "$p" ] && kill -0 "$p" 2> /dev/null && kill "$p"
    done
    for p in "${STOP_PIDS[@]}"; do kill "$p" 2> /dev/null && wait "$p" 2> /dev/null; done
    [ -n "$jackd_pid" ] && kill "$jackd_pid" 2> /dev/null && wait "$jackd_pid" 2> /dev/null
    finish
}
start_jack() {
    command -v jackd > /dev/null || { not_ok "jackd not installed"; exit 1; }
    export JACK_DEFAULT_SERVER="cs_$1_$$"
    trap 'stop_started; exit $?' EXIT
    jackd --no-realtime -d dummy -r 48000 -p 256 > "$W/jackd.log" 2>&1 &
    jackd_pid=$!
    sleep 1.5
    kill -0 "$jackd_pid" 2> /dev/null || { cat "$W/jackd.log" >&2; not_ok "jackd started"; exit 1; }
}

# run_examples LOG SECONDS FILE.schelp...: the chunk runner (tests/sc/help_examples.scd) on a fresh free port of
# the jackd from start_jack; its output is copied to LOG. Checks that sclang finished, every chunk ran, no chunk
# raised an error and nothing warned; the caller adds its own checks on LOG.
run_examples() {
    local log=$1 secs=$2 rc
    shift 2
    run_sclang "$secs" "$SRC/tests/sc/help_examples.scd" "$(free_port)" "$@"
    rc=$?
    cp "$W/sclang.log" "$log"
    check "examples: sclang finished (status $rc)" test $rc -eq 0
    check "examples: all ran" grep -q "EXAMPLES DONE" "$log"
    check "examples: $(grep -c '^EXAMPLE ' "$log") chunks, no error" \
        test "$(grep -cE '^ERROR|ERROR:|FAILURE IN SERVER|exception' "$log")" = 0
    check "examples: no warning" test "$(grep -c 'WARNING' "$log")" = 0
    grep -E "ERROR|FAILURE|WARNING|SeqPredict:|ConcatPlay:" "$log" | sed 's/^/  /' | head -20
}
