#!/bin/bash
# Abuse A1 (a /b_set into a playing unit-table Buffer crashed scsynth): random /b_set, /b_setn and /b_fill writes
# (NaN, infinities, huge and negative values, plausible indices) into every Buffer ConcatPlay and SeqPredict read -
# the unit table (header, rows, labels, members, k-d tree index), the corpus audio, the model (header and
# weights), the mask and the descriptor target - while they play, in NRT (8 s of writes every 4 ms) and in real
# time (a dummy JACK backend, writes for 6 s). scsynth must not crash and every output must stay finite and in
# range (tests/sc/concatplay_bset.scd).
#
# AddressSanitizer: when the plugins in $CS_PLUGIN_DIR are ASan-built (the CONCATSEQ_SANITIZE tree, e.g.
# `make build-asan` then ctest in build-asan), or when $CS_ASAN_PLUGIN_DIR names such a folder (default:
# <source>/build-asan/extension/ConcatSeq if it exists), the renders are run again with those plugins and
# libasan preloaded into scsynth (LD_PRELOAD=$(gcc -print-file-name=libasan.so), ASAN_OPTIONS=detect_leaks=0:
# scsynth itself is not instrumented and keeps its memory to the end); any ASan or UBSan report fails the test.
source "$(dirname "$0")/seqpredict_env.bash"

make_bundle "$W/a.corpus" 6 || exit 1
"$CS" info "$W/a.corpus" > /dev/null 2>&1 || true

asan_dirs=()
is_asan() { ldd "$1/ConcatPlay.so" 2> /dev/null | grep -q libasan; }
if is_asan "$PLUGIN_DIR"; then asan_dirs+=("$PLUGIN_DIR"); fi
A=${CS_ASAN_PLUGIN_DIR:-$SRC/build-asan/extension/ConcatSeq}
if [ "$A" != "$PLUGIN_DIR" ] && [ -f "$A/ConcatPlay.so" ] && is_asan "$A"; then asan_dirs+=("$A"); fi
LIBASAN=$(gcc -print-file-name=libasan.so 2> /dev/null)

# run_scsynth SECONDS PLUGINDIR ARGS...: scsynth under timeout with our plugins from PLUGINDIR (libasan
# preloaded if they need it)
run_scsynth() {
    local secs=$1 dir=$2; shift 2
    if is_asan "$dir"; then
        LD_PRELOAD=$LIBASAN ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1 \
            timeout -k 5 "$secs" scsynth -U "$SYS_PLUGINS:$dir" "$@"
    else
        timeout -k 5 "$secs" scsynth -U "$SYS_PLUGINS:$dir" "$@"
    fi
}

no_reports() { ! grep -qE 'AddressSanitizer|runtime error|Segmentation|FAILURE|exception' "$1"; }

# ---- NRT
if ! run_sclang 90 "$SRC/tests/sc/concatplay_bset.scd" nrt "$W/a.corpus" 8 "$W/bset.osc" ||
    ! grep -q "SCORE WRITTEN" "$W/sclang.log"; then
    cat "$W/sclang.log" >&2; not_ok "sclang wrote the score"; exit 1
fi
check "the score was written" test -s "$W/bset.osc"
for dir in "$PLUGIN_DIR" "${asan_dirs[@]}"; do
    tag=plain; is_asan "$dir" && tag=asan
    run_scsynth 120 "$dir" -N "$W/bset.osc" _ "$W/bset.$tag.wav" 48000 WAV float -o 2 -i 0 \
        > "$W/bset.$tag.log" 2>&1
    rc=$?
    check "nrt $tag: scsynth exits normally (status $rc)" test $rc -eq 0
    check "nrt $tag: no crash, no sanitizer report" no_reports "$W/bset.$tag.log"
    "$PY" - "$W/bset.$tag.wav" "$SRC" <<'PY' && ok || not_ok "nrt $tag: finite, in range, sounding"
import sys, numpy as np
sys.path.insert(0, sys.argv[2] + "/tests/scripts")
from wavio import read_wav
x = read_wav(sys.argv[1])[0].astype(np.float64)
print("  frames %d, audio rms %.4g, flags max %g" % (len(x), np.sqrt(np.mean(x[:, 0] ** 2)), np.max(x[:, 1])))
sys.exit(0 if len(x) > 48000 * 8 and np.all(np.isfinite(x)) and np.all(x[:, 1] == 0) and np.sqrt(np.mean(x[:, 0] ** 2)) > 1e-3 else 1)
PY
    grep -E "ConcatPlay:|SeqPredict:" "$W/bset.$tag.log" | sort | uniq -c | sort -rn | head -8 | sed "s/^/  nrt $tag: /"
done

# ---- real time (the ASan plugins when there are some)
command -v jackd > /dev/null || { not_ok "jackd not installed"; exit 1; }
start_jack concatplay_bset
dir=$PLUGIN_DIR
[ ${#asan_dirs[@]} -gt 0 ] && dir=${asan_dirs[0]}
tag=plain; is_asan "$dir" && tag=asan
port=$(free_port)
run_scsynth 200 "$dir" -u "$port" -i 0 -o 2 -R 0 -l 2 > "$W/scsynth.log" 2>&1 &
scsynth_pid=$!
STOP_PIDS+=("$scsynth_pid")
check "rt $tag: scsynth ready on port $port" wait_ready "$W/scsynth.log" "$scsynth_pid"
run_sclang 150 "$SRC/tests/sc/concatplay_bset.scd" rt "$W/a.corpus" 6 "$port"
rc=$?
grep "CHECK\|RT \|ERROR" "$W/sclang.log" | sed "s/^/  rt $tag: /"
check "rt $tag: sclang finished (status $rc)" test $rc -eq 0
check "rt $tag: RT DONE with 0 failures" grep -q "RT DONE 0 failures" "$W/sclang.log"
check "rt $tag: scsynth alive after the writes" kill -0 "$scsynth_pid"
check "rt $tag: no crash, no sanitizer report" no_reports "$W/scsynth.log"
