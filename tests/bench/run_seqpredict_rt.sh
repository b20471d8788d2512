#!/bin/bash
# run_seqpredict_rt.sh - the real-time part of tests/bench/run_seqpredict.sh (its header describes the phases and
# the figures); run it through run_seqpredict.sh, or alone: run_seqpredict_rt.sh [BUILD_DIR] [N] [SECS].
# CS_BENCH_BEFORE=DIR: the plugins of an older build, on a second server running at the same time.
# Every wait is bounded and ends with one line naming what it waited for: a server's "server ready" (60 s), sclang's
# /sync (resent every second, since one lost UDP datagram hung Server.sync for good; 60 s), each phase mark
# (SECS + 300 s), sclang's watchdog. The output counts the resent /syncs and the machine's UDP receive drops.
# Self-check: CS_BENCH_DROP_SYNCED=K puts tests/bench/osc_drop_proxy.py between sclang and the first server, which
# drops its K-th /synced (the run must complete, "/sync resent 1 times"; c8c4b3a's script hung for good) or, for
# K < 0, every /synced from the |K|-th on (the run must end with "SYNC TIMEOUT" after 60 s).
set -u
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(cd "${1:-$SRC/build}" && pwd)
N=${2:-${CS_BENCH_VOICES:-64}}
SECS=${3:-${CS_BENCH_SECONDS:-10}}
BEFORE=${CS_BENCH_BEFORE:-}
export CONCATSEQ=$BUILD/corpus-tools/concatseq CS_SOURCE_DIR=$SRC CS_PLUGIN_DIR=$BUILD/extension/ConcatSeq
export CS_WORK_DIR=$(mktemp -d)
[ -e "$CS_PLUGIN_DIR/SeqPredict.so" ] || { echo "missing $CS_PLUGIN_DIR/SeqPredict.so (build first)" >&2; exit 1; }
if [ -n "$BEFORE" ]; then
    for so in SeqPredict ConcatPlay; do
        [ -e "$BEFORE/$so.so" ] || { echo "CS_BENCH_BEFORE: no $so.so in $BEFORE" >&2; exit 1; }
    done
fi
source "$SRC/tests/sc/sclang_env.bash"
trap 'stop_started; rm -rf "$W"' EXIT
SND=$(a11wlk01) || { echo "a11wlk01.wav not found" >&2; exit 1; }
"$CS" analyze "$SND" -o "$W/c" --segment grain --clusters 16 --quiet || exit 1
L=$("$PY" -c "import json; print(json.load(open('$W/c/corpus.json'))['clustering']['k'])" 2> /dev/null ||
    echo 16)
# the model: GRU H 64, 1 layer, V = the corpus's labels, uniform(-1/8, 1/8) weights, through concatseq import-json
"$PY" "$SRC/tests/bench/seqpredict_model.py" "$W/model.json" "$L"
"$CS" import-json "$W/model.json" -o "$W/model.wav" > /dev/null || exit 1

PHASES="idle play chain chain_ar sp_kr sp_ar"
REPS=${CS_BENCH_REPS:-2}
cat > "$W/cost.scd" << SCD
(
var ports = thisProcess.argv.collect(_.asInteger), phase = { |p| ("PHASE " ++ p).postln; ("TIME % %".format(p, Main.elapsedTime.round(0.01))).postln };
var servers = ports.collect { |p, k| Server.remote(("bench" ++ k).asSymbol, NetAddr("127.0.0.1", p)) };
// sync.(s, what): Server.sync without its two faults: it sends /sync once over UDP and waits with no timeout, so
// one datagram lost (a full socket buffer on a loaded machine: 2 x N /n_go or /n_end notifications arrive in a
// burst just before the /synced) hangs the run. This one resends /sync (same id) every second until the /synced
// arrives, posts "SYNC RESENT" when it had to, and gives up after 60 s with one line naming the server and step.
var sync = { |s, what|
	var id = UniqueID.next, done = false, t0 = Main.elapsedTime, next = 0, sends = 0, f;
	f = OSCFunc({ done = true }, '/synced', s.addr, argTemplate: [id]);
	while { done.not and: { Main.elapsedTime - t0 < 60 } } {
		if(Main.elapsedTime >= next) { s.sendMsg("/sync", id); sends = sends + 1; next = Main.elapsedTime + 1 };
		0.01.wait };
	f.free;
	if(sends > 1) { ("SYNC RESENT % % % times".format(s.name, what, sends - 1)).postln };
	if(done.not) { ("SYNC TIMEOUT: server % (port %) did not answer /sync within 60 s (%)".format(s.name,
		s.addr.port, what)).postln; 1.exit } };
AppClock.sched(300 + ($SECS * 20 * $REPS), { "WATCHDOG".postln; 3.exit });
Routine { try {
	2.wait;
	servers.do { |s|
		var c, m;
		s.initTree; sync.(s, "initTree");
		c = ConcatCorpus.load(s, "$W/c"); sync.(s, "corpus load");
		m = Buffer.read(s, "$W/model.wav"); sync.(s, "model read");
		SynthDef(\\play, { |i = 0| var trig = Impulse.kr(8);
			Out.ar(0, ConcatPlay.ar(1, c, T2A.ar(trig), TIRand.kr(0, $L - 1, trig), dur: 0.1) * 0.01) }).send(s);
		SynthDef(\\chain, { |i = 0| var trig = Impulse.kr(8), label = SeqPredict.kr(m, trig, seed: i);
			Out.ar(0, ConcatPlay.ar(1, c, T2A.ar(trig), label, dur: 0.1) * 0.01) }).send(s);
		SynthDef(\\chain_ar, { |i = 0| var trig = Impulse.ar(8), label = SeqPredict.ar(m, trig, seed: i);
			Out.ar(0, ConcatPlay.ar(1, c, trig, label, dur: 0.1) * 0.01) }).send(s);
		SynthDef(\\sp_kr, { |i = 0| Out.kr(10, SeqPredict.kr(m, Impulse.kr(8), seed: i)) }).send(s);
		SynthDef(\\sp_ar, { |i = 0| Out.ar(2, SeqPredict.ar(m, Impulse.ar(8), seed: i)) }).send(s);
		sync.(s, "SynthDefs");
	};
	1.wait;
	$REPS.do { |r|
		[\\idle, \\play, \\chain, \\chain_ar, \\sp_kr, \\sp_ar].do { |p|
			// a phase's N synths in one bundle per server (one datagram, not N), freed the same way
			var x = servers.collect { |s| var v = [];
				if(p != \\idle) { s.makeBundle(nil, { v = $N.collect { |i| Synth(p, [\\i, i + 1], s) } }) }; v };
			servers.do { |s| sync.(s, "%.% start".format(r, p)) }; 2.wait;
			phase.("%.%".format(r, p)); $SECS.wait; phase.("%.%_end".format(r, p));
			servers.do { |s, k| if(x[k].notEmpty) { s.sendBundle(nil, *x[k].collect(_.freeMsg)) } };
			servers.do { |s| sync.(s, "%.% end".format(r, p)) }; 0.5.wait };
	};
	"COST DONE".postln; 0.exit;
} { |e| e.reportError; "FAILED".postln; 1.exit }
}.play(AppClock);
)
SCD

# The servers: "after" (this build's plugins) and, with CS_BENCH_BEFORE, "before", running AT THE SAME TIME (the
# same phases, the same machine load), one sclang driving both; each server's CPU time is read at every phase's
# marks. Writes $W/cpu.TAG: "phase rate" lines, REPS of each.
start_jack bench_seqp
mkdir -p "$W/before"
[ -n "$BEFORE" ] && ln -sf "$BEFORE/SeqPredict.so" "$BEFORE/ConcatPlay.so" "$W/before/"
tags="after"
[ -n "$BEFORE" ] && tags="after before"
ports=() pids=()
for tag in $tags; do
    plugins="$SYS_PLUGINS:$PLUGIN_DIR"
    [ "$tag" = before ] && plugins="$SYS_PLUGINS:$W/before"
    port=$(free_port)
    scsynth -u "$port" -U "$plugins" -i 0 -o 4 -R 0 -l 4 -m 262144 -z 64 > "$W/scsynth.$tag.log" 2>&1 &
    STOP_PIDS+=("$!")
    ports+=("$port") pids+=("$!")
    wait_ready "$W/scsynth.$tag.log" "$!" 60 || {
        tail -20 "$W/scsynth.$tag.log" >&2
        echo "run_seqpredict_rt.sh: the $tag scsynth (UDP port $port) did not print \"server ready\" within 60 s" >&2
        exit 1
    }
    : > "$W/cpu.$tag"
done
if [ -n "${CS_BENCH_DROP_SYNCED:-}" ]; then
    q=$(free_port)
    "$PY" "$SRC/tests/bench/osc_drop_proxy.py" "$q" "${ports[0]}" "$CS_BENCH_DROP_SYNCED" 2> "$W/proxy.log" &
    STOP_PIDS+=("$!") ports[0]=$q
    sleep 0.5
fi
HOME="$HOME_FOR_SCLANG" XDG_DATA_HOME="$HOME_FOR_SCLANG/.local/share" XDG_CONFIG_HOME="$HOME_FOR_SCLANG/.config" \
    timeout -k 5 $((SECS * 20 * REPS + 340)) sclang -l "$CONF" "$W/cost.scd" "${ports[@]}" > "$W/cost.log" 2>&1 < /dev/null &
lpid=$!
lidx=${#STOP_PIDS[@]} STOP_PIDS+=("$lpid") # a failed or interrupted run stops its sclang too (via timeout)
hz=$(getconf CLK_TCK)
udp_drops() { awk '$1 == "Udp:" && $2 ~ /^[0-9]/ { print $6 }' /proc/net/snmp; } # RcvbufErrors, all sockets
drops0=$(udp_drops)
# fail MESSAGE: the logs' tails, then one line naming what was waited for (the trap removes $W)
fail() {
    for f in "$W/cost.log" "$W"/scsynth.*.log; do echo "--- tail of $(basename "$f")" >&2 && tail -8 "$f" >&2; done
    echo "run_seqpredict_rt.sh: $*" >&2
    exit 1
}
# wait_mark TEXT: until sclang printed the line "PHASE TEXT". Bounded: every sclang wait is bounded (its /sync gives
# up after 60 s, its watchdog, the timeout above), and this gives up after SECS + 300 s; it fails at once when
# sclang or a server ended first.
wait_mark() {
    local end=$((SECONDS + SECS + 300)) k
    while [ $SECONDS -lt $end ]; do
        grep -qx "PHASE $1" "$W/cost.log" && return 0
        kill -0 "$lpid" 2> /dev/null || fail "sclang ended before it printed \"PHASE $1\" (log above)"
        k=0
        for tag in $tags; do
            kill -0 "${pids[$k]}" 2> /dev/null || fail "the $tag scsynth ended before sclang printed \"PHASE $1\""
            k=$((k + 1))
        done
        sleep 0.05
    done
    fail "sclang did not print \"PHASE $1\" within $((SECS + 300)) s"
}
for r in $(seq 0 $((REPS - 1))); do
    for ph in $PHASES; do
        wait_mark "$r.$ph"
        t0=$(date +%s.%N) c0=()
        for p in "${pids[@]}"; do c0+=("$(awk '{ print $14 + $15 }' "/proc/$p/stat")"); done
        wait_mark "$r.${ph}_end"
        t1=$(date +%s.%N) k=0
        for tag in $tags; do
            c1=$(awk '{ print $14 + $15 }' "/proc/${pids[$k]}/stat")
            awk -v p="$ph" -v hz="$hz" -v a="${c0[$k]}" -v b="$c1" -v s="$t0" -v e="$t1" \
                'BEGIN { printf "%s %.6f\n", p, (b - a) / hz / (e - s) }' >> "$W/cpu.$tag"
            k=$((k + 1))
        done
    done
done
wait "$lpid"
lrc=$?
unset "STOP_PIDS[$lidx]" # reaped: its PID is no longer ours to signal
grep -q "COST DONE" "$W/cost.log" || fail "sclang ended without \"COST DONE\" (status $lrc)"
drops=$(($(udp_drops) - drops0))
for tag in $tags; do
    if grep -q "SeqPredict:\|ConcatPlay:" "$W/scsynth.$tag.log"; then grep -m3 "SeqPredict:\|ConcatPlay:" "$W/scsynth.$tag.log" >&2; fi
done
stop_started

echo "== SeqPredict -> ConcatPlay on a real-time scsynth (dummy JACK, 48 kHz, block 64), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "a11wlk01 grains, $L labels; GRU H 64, 1 layer; $N voices, 8 triggers/s each; ${SECS} s per phase, $REPS times; % of one core per voice (median)"
echo "/sync resent $(grep -c '^SYNC RESENT' "$W/cost.log") times (a lost datagram); UDP receive-buffer drops on the machine during the run: $drops"
[ -n "${CS_BENCH_DROP_SYNCED:-}" ] && echo "self-check CS_BENCH_DROP_SYNCED=$CS_BENCH_DROP_SYNCED: $(cat "$W/proxy.log")"
# report TAG: per-voice figures of the median over the repetitions
report() {
    awk -v n="$N" -v label="$1" '
        { v[$1] = v[$1] " " $2 }
        END {
            split("idle play chain chain_ar sp_kr sp_ar", order, " ")
            for (i = 1; i <= 6; i++) {
                k = split(v[order[i]], a, " ")
                for (p = 2; p <= k; p++) for (q = p; q > 1 && a[q - 1] > a[q]; q--) { t = a[q]; a[q] = a[q - 1]; a[q - 1] = t }
                m[order[i]] = (k % 2) ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
            }
            printf "%-7s server idle %.3f %% of a core; per voice:", label, 100 * m["idle"]
            for (i = 2; i <= 6; i++) printf " %s %.4f", order[i], 100 * (m[order[i]] - m["idle"]) / n
            printf "; SeqPredict in a voice (chain - play) %.4f\n", 100 * (m["chain"] - m["play"]) / n
        }' "$W/cpu.$1"
}
for tag in $tags; do
    echo "  $tag, every phase (share of a core): $(tr '\n' ' ' < "$W/cpu.$tag")"
done
for tag in $tags; do report "$tag"; done
if [ -n "$BEFORE" ]; then
    paste "$W/cpu.after" "$W/cpu.before" | awk -v n="$N" '
        { a[$1] = a[$1] " " $2; b[$1] = b[$1] " " $4 }
        END {
            printf "after / before, per voice (sum over the repetitions):"
            split("play chain chain_ar sp_kr sp_ar", order, " ")
            split(a["idle"], ai, " "); split(b["idle"], bi, " ")
            for (i = 1; i <= 5; i++) {
                k = split(a[order[i]], x, " "); split(b[order[i]], y, " "); sa = 0; sb = 0
                for (j = 1; j <= k; j++) { sa += x[j] - ai[j]; sb += y[j] - bi[j] }
                printf " %s %.2f", order[i], sa / sb
            }
            printf "\n"
        }'
fi
