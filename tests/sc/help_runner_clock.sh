#!/bin/bash
# The help examples' chunk runner (tests/sc/help_examples.scd) runs each chunk with the logical time of the moment
# the chunk starts, as sclang gives a line a user evaluates: a chunk's timestamped bundles (s.latency ahead, as
# JITLib's) must not reach the server late because the runner's own work before the chunk took time. On a busy
# machine that work (the `pgrep` of its program watch, a fork of the whole sclang process) took hundreds of ms;
# the chunk then ran with the logical time of the runner's last wake-up, NodeProxy.clear's /n_free and /n_set
# (the /n_set 1e-9 s earlier) arrived late, and when they fell into two server cycles the server freed the group
# first: "FAILURE IN SERVER /n_set Node 1000 not found" (sc_help_pages, once in a full ctest run at load 4+).
# Here a `pgrep` on PATH that takes 0.4 s (more than s.latency, 0.2 s) stands in for the busy machine: every chunk
# reports a clock lag (Main.elapsedTime - thisThread.seconds) well under s.latency, and the server reports no late
# bundle.
source "$(dirname "$0")/sclang_env.bash"
ext=$(install_private_extension)
mkdir -p "$W/slowbin"
real_pgrep=$(command -v pgrep) || skip "pgrep not installed"
printf '#!/bin/sh\nsleep 0.4\nexec %s "$@"\n' "$real_pgrep" > "$W/slowbin/pgrep"
chmod +x "$W/slowbin/pgrep"
cat > "$W/ClockTest.schelp" << 'EOF'
title:: ClockTest
summary:: the runner's clock
examples::
code::
"clock lag %".format(Main.elapsedTime - thisThread.seconds).postln;
Ndef(\clocktest, { SinOsc.ar(440, 0, 0.01) ! 2 }).play;
(
"clock lag %".format(Main.elapsedTime - thisThread.seconds).postln;
Ndef(\clocktest).set(\fadeTime, 0.1);
)
(
"clock lag %".format(Main.elapsedTime - thisThread.seconds).postln;
Ndef(\clocktest).clear;
)
::
EOF
start_jack clock
STOP_PID_LOGS=("$W/sclang.log" "$W/examples.log")
PATH="$W/slowbin:$PATH" run_examples "$W/examples.log" 300 "$W/ClockTest.schelp"
lags=$(sed -n 's/^clock lag \([0-9.e-]*\)$/\1/p' "$W/examples.log" | tr '\n' ' ')
check "runner clock: three chunks reported their clock lag ($lags)" test "$(echo $lags | wc -w)" = 3
for lag in $lags; do
    check "runner clock: a chunk ran with the logical time of its start (lag $lag s, s.latency 0.2 s)" \
        "$PY" -c "import sys; sys.exit(not float('$lag') < 0.05)"
done
check "runner clock: no bundle reached the server late ($(grep -c '^late ' "$W/examples.log") late)" \
    test "$(grep -c '^late ' "$W/examples.log")" = 0
grep '^late ' "$W/examples.log" | head -5 | sed 's/^/  /'
