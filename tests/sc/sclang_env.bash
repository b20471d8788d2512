# The one harness of the SuperCollider tests (tests/sc/*.sh source it, directly or through seqpredict_env.bash
# or patterns_env.bash). Provides everything from tests/cli/common.bash ($CS, $SRC, $W, $PY, ok / not_ok /
# check, a11wlk01, the "N passed, N failed" summary at exit) plus:
#   $PLUGIN_DIR    the built plugins ($CS_PLUGIN_DIR);  $SYS_PLUGINS / $SC_PLUGINS  SuperCollider's own plugins
#   $PLUGINS       scsynth -U path: SuperCollider's plugins, then ours
#   $EXT           a private extension folder: $EXT/ConcatSeq/{*.so -> $PLUGIN_DIR, Classes -> sc-classes}
#                  (CS_TEST_CLASSES=DIR links DIR instead: to see a test fail on the classes of an older commit)
#   $HOME_FOR_SCLANG  a private home for sclang and scsynth (user Extensions, config, synthdefs): nothing of
#                  the user's is read or written
#   $CONF          sclang's configuration: includePaths $EXT (a test may rewrite it, e.g. to an installed copy)
#   run_sclang SECONDS SCRIPT [ARGS...]   headless sclang under `timeout` in the private home; output in
#                  $W/sclang.log and $W/<script name>.log; returns sclang's status (the script ends with
#                  0.exit; its own watchdog, or the timeout, ends a hung run with a non-zero status)
#   run_nrt OSC OUT CHANNELS [scsynth options...]   scsynth -N at 48 kHz, float WAV, log in OUT.log
#   free_port      a free UDP port
#   same_samples A.wav B.wav   the data chunks are byte-identical (libsndfile's PEAK chunk holds a timestamp)
#   start_jack NAME   a private dummy JACK server for a real-time scsynth, returns once it takes clients
#   wait_ready LOG PID [SECONDS]   a scsynth the test started in the background printed "server ready"
#   run_examples LOG SECONDS FILE.schelp...   the help examples' chunk runner (tests/sc/help_examples.scd)
#   skip REASON    end the test as skipped: exit status 77 (ctest's SKIP_RETURN_CODE), never "passed"
# At exit every process the test started is stopped by its PID (STOP_PIDS, the jackd of start_jack, the
# scsynth named by a "SERVER PID n" line in any log of STOP_PID_LOGS), never by name.
source "${CS_SOURCE_DIR:?}/tests/cli/common.bash"
PLUGIN_DIR=${CS_PLUGIN_DIR:?CS_PLUGIN_DIR must name the built ConcatSeq plugin folder}
PLUG=$PLUGIN_DIR
SYS_PLUGINS=/usr/lib/SuperCollider/plugins
SC_PLUGINS=$SYS_PLUGINS
PLUGINS="$SYS_PLUGINS:$PLUGIN_DIR"
export QT_QPA_PLATFORM=offscreen
[ "$(id -u)" = 0 ] && export QTWEBENGINE_DISABLE_SANDBOX=1
# a JACK client of a test (scsynth, jack_wait) never starts a server of its own: start_jack starts the one it uses
export JACK_NO_START_SERVER=1
export XDG_RUNTIME_DIR=$W/xdg-run
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
HOME_FOR_SCLANG="$W/home"
mkdir -p "$HOME_FOR_SCLANG/.local/share/SuperCollider/Extensions" "$HOME_FOR_SCLANG/.config/SuperCollider"
EXT=$W/ext
mkdir -p "$EXT/ConcatSeq"
for so in "$PLUGIN_DIR"/*.so; do [ -e "$so" ] && ln -sf "$so" "$EXT/ConcatSeq/"; done
ln -sfn "${CS_TEST_CLASSES:-$SRC/sc-classes}" "$EXT/ConcatSeq/Classes"
CONF="$W/sclang_conf.yaml"
printf 'includePaths:\n  - %s\nexcludePaths:\n  []\npostInlineWarnings: false\n' "$EXT" > "$CONF"

run_sclang() { # run_sclang SECONDS SCRIPT [ARGS...]
    local t=$1 script=$2 rc
    shift 2
    HOME="$HOME_FOR_SCLANG" XDG_DATA_HOME="$HOME_FOR_SCLANG/.local/share" \
        XDG_CONFIG_HOME="$HOME_FOR_SCLANG/.config" \
        timeout -k 5 "$t" sclang -l "$CONF" "$script" "$@" > "$W/sclang.log" 2>&1 < /dev/null
    rc=$?
    cp "$W/sclang.log" "$W/$(basename "$script").log"
    [ $rc -eq 124 ] && echo "sclang $(basename "$script") timed out after $t s" >&2
    return $rc
}

run_nrt() { # run_nrt OSC OUT CHANNELS [options]: log in OUT.log
    local osc=$1 out=$2 ch=$3
    shift 3
    timeout -k 5 300 scsynth -N "$osc" _ "$out" 48000 WAV float -o "$ch" -U "$PLUGINS" "$@" > "$out.log" 2>&1
}

free_port() {
    "$PY" -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

same_samples() {
    "$PY" - "$1" "$2" << 'PYEOF'
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

# ---- processes and the exit status
STOP_PIDS=()
STOP_PID_LOGS=()
jackd_pid=""
skipped=""
stop_started() {
    local p log
    for log in "${STOP_PID_LOGS[@]}"; do
        p=$(sed -n 's/^SERVER PID \([0-9][0-9]*\).*/\1/p' "$log" 2> /dev/null | head -1)
        [ -n "$p" ] && kill -0 "$p" 2> /dev/null && kill "$p"
    done
    for p in "${STOP_PIDS[@]}"; do kill "$p" 2> /dev/null && wait "$p" 2> /dev/null; done
    [ -n "$jackd_pid" ] && kill "$jackd_pid" 2> /dev/null && wait "$jackd_pid" 2> /dev/null
    jackd_pid=""
}
sc_exit() {
    stop_started
    if [ -n "$skipped" ]; then
        echo "SKIPPED: $skipped ($passed passed before the skip)"
        exit 77
    fi
    finish
}
trap 'sc_exit; exit $?' EXIT

skip() { # skip REASON: the test reports as skipped (status 77)
    skipped=$*
    exit 77
}

# start_jack NAME: a private dummy JACK server (JACK_DEFAULT_SERVER=cs_NAME_<pid>), stopped by its PID at exit.
# jack_dead_servers: the names of the servers in JACK's server registry (/dev/shm/jack-shm-registry) whose process
# is gone. JACK frees a server's slot when the server stops, and reclaims a dead one only when a server of the SAME
# name starts (JACK2 common/shm.c, jack_register_server); a jackd that is SIGKILLed (a killed test run, a machine
# cleanup) leaves its slot taken, and after 8 of them every jackd fails with "Too many servers already active".
# Layout (JACK2 common/shm.h): a 24-byte header (magic "JACK" little-endian 0x4b43414a, ...), then MAX_SERVERS = 8
# entries of {pid_t pid; char name[257]} padded to 264 bytes; name = "jack-UID:SERVER:".
jack_dead_servers() {
    [ -r /dev/shm/jack-shm-registry ] || return 0
    "$PY" - << 'PY'
import os, struct
b = open("/dev/shm/jack-shm-registry", "rb").read()
if len(b) >= 24 + 8 * 264 and b[:4] == b"KCAJ":
    for i in range(8):
        off = 24 + 264 * i
        pid = struct.unpack("<i", b[off:off + 4])[0]
        name = b[off + 4:off + 4 + 257].split(b"\0")[0].decode("ascii", "replace")
        if pid > 0 and name.count(":") >= 2 and not os.path.exists("/proc/%d" % pid):
            print(name.split(":")[1])
PY
}

# jack_reclaim: give back the slots of dead servers the JACK way: start a server of each dead name (JACK reclaims
# the entry) and stop it cleanly (it frees it). Only servers this function starts are stopped.
jack_reclaim() {
    local name p
    for name in $(jack_dead_servers); do
        JACK_DEFAULT_SERVER="$name" jackd --no-realtime -d dummy -r 48000 -p 256 > "$W/jack_reclaim.log" 2>&1 &
        p=$!
        jack_ready "$p" "$name"
        kill "$p" 2> /dev/null
        for _ in $(seq 100); do kill -0 "$p" 2> /dev/null || break; sleep 0.1; done
        wait "$p" 2> /dev/null
        echo "  (reclaimed the JACK registry slot of the dead server $name)"
    done
}

# Ready means a client can connect (jack_ready, at most 60 s), not a guessed start-up time: a scsynth started
# before that fails to open its audio device on a busy machine.
start_jack() {
    command -v jackd > /dev/null || { not_ok "jackd not installed"; exit 1; }
    jack_reclaim
    export JACK_DEFAULT_SERVER="cs_$1_$$"
    jackd --no-realtime -d dummy -r 48000 -p 256 > "$W/jackd.log" 2>&1 &
    jackd_pid=$!
    jack_ready "$jackd_pid" "$JACK_DEFAULT_SERVER" || { cat "$W/jackd.log" >&2; not_ok "jackd started"; exit 1; }
}

# jack_ready PID NAME: the JACK server NAME of process PID takes clients (at most 60 s); false when it died.
# (`jack_wait -c` exits 0 either way; it prints "running" when a client could connect.)
jack_ready() {
    local i
    for i in $(seq 300); do
        kill -0 "$1" 2> /dev/null || return 1
        [ "$(timeout -k 2 10 jack_wait -s "$2" -c 2> /dev/null)" = running ] && return 0
        sleep 0.2
    done
    return 1
}

# wait_ready LOG PID [SECONDS]: a scsynth started in the background by the test, writing LOG, has printed
# "server ready" (at most SECONDS, 60); false at once when the process PID has ended.
wait_ready() {
    local log=$1 pid=$2 secs=${3:-60} i
    for i in $(seq $((secs * 5))); do
        grep -q "server ready" "$log" 2> /dev/null && return 0
        kill -0 "$pid" 2> /dev/null || return 1
        sleep 0.2
    done
    grep -q "server ready" "$log" 2> /dev/null
}

# install_private_extension: copy classes, help and plugins into the private home's user Extensions folder
# (where sclang and scsynth look by default) and point $CONF at nothing else. Prints the folder.
install_private_extension() {
    local ext="$HOME_FOR_SCLANG/.local/share/SuperCollider/Extensions/ConcatSeq"
    rm -rf "$ext" && mkdir -p "$ext"
    cp -r "$SRC/sc-classes" "$ext/Classes"
    cp -r "$SRC/HelpSource" "$ext/HelpSource"
    cp "$PLUGIN_DIR"/*.so "$ext/"
    printf 'includePaths:\n  []\nexcludePaths:\n  []\npostInlineWarnings: false\n' > "$CONF"
    echo "$ext"
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
