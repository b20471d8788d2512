#!/bin/bash
# SeqPredict driving ConcatPlay on a real-time scsynth with a dummy JACK backend (jackd --no-realtime -d dummy,
# a private server name via JACK_DEFAULT_SERVER, started and stopped by this test by PID; scsynth on a free
# UDP port): load, play, swap model and corpus while playing (other Buffers, then a reload into the same
# Buffer), free them while playing. The server must stay alive, every reply finite, labels in range for the
# model in use and -1 without one, and scsynth posts one message per failing state.
source "$(dirname "$0")/seqpredict_env.bash"

command -v jackd > /dev/null || { not_ok "jackd not installed"; exit 1; }
make_bundle "$W/c1" 5 || exit 1
make_bundle "$W/c2" 9 || exit 1

start_jack seqpredict_rt
port=$(free_port)
scsynth -u "$port" -U "$PLUGINS" -i 0 -o 2 -R 0 -l 2 > "$W/scsynth.log" 2>&1 &
scsynth_pid=$!
STOP_PIDS+=("$scsynth_pid")
check "scsynth ready on port $port" wait_ready "$W/scsynth.log" "$scsynth_pid"

run_sclang 240 "$SRC/tests/sc/seqpredict_rt.scd" "$port" "$W/c1" "$W/c2"
rc=$?
grep "CHECK\|RT \|models:\|ERROR" "$W/sclang.log" | sed 's/^/  /'
check "sclang finished (status $rc)" test $rc -eq 0
check "sclang: RT DONE with 0 failures" grep -q "RT DONE 0 failures" "$W/sclang.log"
check "scsynth alive after the session" kill -0 "$scsynth_pid"
# two failing states: model 2's Buffer freed (then model 1 set: ready again), model 1's Buffer freed at the end
check "scsynth: one 'no model' message per freed model" \
    test "$(grep -c 'SeqPredict: no model in buffer' "$W/scsynth.log")" = 2
check "scsynth: no crash or failure" test "$(grep -cE 'FAILURE|exception|Segmentation' "$W/scsynth.log")" = 0
sed 's/^/  scsynth: /' "$W/scsynth.log" | grep -v "^  scsynth: *$" | tail -12
