#!/usr/bin/env bash
# The trainer's two kernel sets on a real bundle (lincity-ng-data's third track as 100 ms grains, 1 283 units):
# the AVX2/FMA set this CPU selects and the portable set (CONCATSEQ_TRAIN_KERNELS=portable) each write the same
# model bytes with 1 and 2 threads, and their validation losses agree within 0.5 % (GRU and transformer).
. "$(dirname "$0")/common.bash"
mapfile -t OGG < <(find /usr/share/games/lincity-ng/music -name '03*.ogg' | sort | head -n 1)
[ "${#OGG[@]}" -eq 1 ] || { not_ok "lincity-ng-data not installed"; exit 1; }
"$CS" analyze "${OGG[0]}" -o "$W/b" --quiet || not_ok "analyze"
val() { sed -n 's/.*validation \([0-9.]*\) bits\/label.*/\1/p' <<<"$1" | tail -n 1; }
for arch in gru transformer; do
    opts=(--arch "$arch" --epochs 6 --seed 3)
    [ "$arch" = gru ] && opts+=(--hidden 32)
    for k in portable avx2; do
        out=$(CONCATSEQ_TRAIN_KERNELS=$k "$CS" train "$W/b" "${opts[@]}" --threads 1 -o "$W/$arch.$k.1.wav" 2>&1)
        CONCATSEQ_TRAIN_KERNELS=$k "$CS" train "$W/b" "${opts[@]}" --threads 2 -o "$W/$arch.$k.2.wav" --quiet ||
            not_ok "$arch $k: train with 2 threads"
        check "$arch, $k kernels: 1 and 2 threads give the same model bytes" cmp -s "$W/$arch.$k.1.wav" "$W/$arch.$k.2.wav"
        eval "v_$k=$(val "$out")"
    done
    echo "$arch: validation portable $v_portable, avx2 $v_avx2 bits/label"
    check "$arch: validation of the two kernel sets within 0.5 %" "$PY" -c "
import sys; p, a = $v_portable, $v_avx2; sys.exit(0 if abs(a - p) <= 0.005 * p else 1)"
done
