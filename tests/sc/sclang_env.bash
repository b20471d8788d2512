# Sourced by tests/sc/concatplay_*.sh (a helper, not a test): a private extension folder, headless sclang and
# NRT scsynth. Provides everything from tests/cli/common.bash ($CS, $SRC, $W, $PY, ok/not_ok/check, the
# "N passed, N failed" summary) plus:
#   $EXT           private extension folder: $EXT/ConcatSeq/{*.so -> $CS_PLUGIN_DIR, Classes -> sc-classes}
#   $SC_PLUGINS    SuperCollider's own plugins (/usr/lib/SuperCollider/plugins)
#   run_sclang SCRIPT [SECONDS]   headless sclang under timeout with a private config (log: $W/<name>.log);
#                                 the script must print "SCRIPT_OK" on success (an error inside a Routine
#                                 does not make sclang exit: the timeout is the watchdog)
#   run_nrt OSC OUT CHANNELS [scsynth options...]   scsynth -N at 48 kHz, float WAV, our plugins + SC's
#   a11wlk01       path of SuperCollider's bundled sound
# XDG_DATA_HOME points into $W so that no user-installed extension (another ConcatSeq) is compiled.
source "${CS_SOURCE_DIR:?}/tests/cli/common.bash"
PLUG=${CS_PLUGIN_DIR:?CS_PLUGIN_DIR must name the built ConcatSeq plugin folder}
export QT_QPA_PLATFORM=offscreen
[ "$(id -u)" = 0 ] && export QTWEBENGINE_DISABLE_SANDBOX=1
export XDG_DATA_HOME=$W/xdg XDG_RUNTIME_DIR=$W/xdg-run
mkdir -p "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
EXT=$W/ext
mkdir -p "$EXT/ConcatSeq"
for so in "$PLUG"/*.so; do [ -e "$so" ] && ln -sf "$so" "$EXT/ConcatSeq/"; done
ln -sfn "$SRC/sc-classes" "$EXT/ConcatSeq/Classes"
SC_PLUGINS=/usr/lib/SuperCollider/plugins
cat > "$W/sclang_conf.yaml" <<YAML
includePaths:
  - $EXT
excludeDefaultPaths: false
YAML

run_sclang() { # run_sclang SCRIPT [SECONDS]: 0 if it printed SCRIPT_OK
    local script=$1 secs=${2:-120} log
    log=$W/$(basename "$script").log
    timeout -k 5 "$secs" sclang -l "$W/sclang_conf.yaml" "$script" </dev/null >"$log" 2>&1
    if ! grep -q '^SCRIPT_OK' "$log"; then
        echo "sclang $script failed; log:" >&2
        sed -n '/Welcome/,$p' "$log" | head -40 >&2
        return 1
    fi
}

run_nrt() { # run_nrt OSC OUT CHANNELS [options]: log in OUT.log
    local osc=$1 out=$2 ch=$3; shift 3
    timeout -k 5 300 scsynth -N "$osc" _ "$out" 48000 WAV float -o "$ch" -U "$SC_PLUGINS:$EXT/ConcatSeq" "$@" \
        >"$out.log" 2>&1
}
