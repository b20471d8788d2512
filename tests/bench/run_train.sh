#!/bin/bash
# Run the C trainer (the issue-3 GRU, or with arch=transformer the default transformer: width 64, 2 blocks, 8
# heads, context 64) with both kernel sets (the portable one, CONCATSEQ_TRAIN_KERNELS=portable, is the code of
# before the AVX2 set, bit for bit; the AVX2/FMA one is what this CPU selects) and its PyTorch peer on the same
# data in the same run; print CPU-time ratios (the machine may be shared: CPU time, not wall time) and the
# validation-loss ratios. Usage: tests/bench/run_train.sh [BUILD_DIR] [threads=2] [epochs=10] [arch=gru|transformer]
# BASE_BENCH=<a bench_train built from an older commit> adds that build's default kernels to the same run (the
# "current speed" an issue compares with). Targets: AVX2 >= 2x the portable path and >= 15x PyTorch (CPU), validation bits/label within 0.5 % of the
# portable path (and within 2 % of PyTorch).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
BUILD="${1:-$HERE/../../build}"
THREADS="${2:-2}"
EPOCHS="${3:-10}"
ARCH="${4:-gru}"
BIN="$BUILD/tests/bench/bench_train"
[ -x "$BIN" ] || { echo "build first: $BIN not found" >&2; exit 1; }
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
DATA="$TMP/labels.txt"
CONCATSEQ_TRAIN_KERNELS=portable "$BIN" "$DATA" "$THREADS" "$EPOCHS" "$ARCH" | tee "$TMP/p.txt"
CONCATSEQ_TRAIN_KERNELS=avx2 "$BIN" "$DATA" "$THREADS" "$EPOCHS" "$ARCH" | tee "$TMP/c.txt"
if [ -n "${BASE_BENCH:-}" ]; then
    "$BASE_BENCH" "$DATA" "$THREADS" "$EPOCHS" "$ARCH" | tee "$TMP/b.txt"
    grep -q "arch=$ARCH" "$TMP/b.txt" || { echo "$BASE_BENCH did not train a $ARCH" >&2; exit 1; }
fi
/usr/bin/python3 "$HERE/bench_train_torch.py" "$DATA" "$THREADS" "$EPOCHS" 16 "$ARCH" | tee "$TMP/torch.txt"
field() { grep '^RESULT' "$1" | tr ' ' '\n' | grep "^$2=" | cut -d= -f2; }
/usr/bin/python3 - "$(field "$TMP/p.txt" cpu)" "$(field "$TMP/p.txt" val_bits)" "$(field "$TMP/c.txt" cpu)" \
    "$(field "$TMP/c.txt" val_bits)" "$(field "$TMP/torch.txt" cpu)" "$(field "$TMP/torch.txt" val_bits)" \
    "$(field "$TMP/c.txt" kernels)" "$ARCH" "$( [ -s "$TMP/b.txt" ] && field "$TMP/b.txt" cpu || echo 0)" \
    "$( [ -s "$TMP/b.txt" ] && field "$TMP/b.txt" val_bits || echo 0)" <<'PY'
import sys
pc, pv, cc, cv, tc, tv = map(float, sys.argv[1:7])
k = sys.argv[7]
print(f"{sys.argv[8]}:")
print(f"CPU time: portable {pc:.2f} s, {k} {cc:.2f} s, PyTorch {tc:.2f} s")
print(f"speed-up: {k} / portable {pc / cc:.2f}x (target >= 2x), {k} / PyTorch {tc / cc:.2f}x (target >= 15x), "
      f"portable / PyTorch {tc / pc:.2f}x")
print(f"val loss: portable {pv:.4f}, {k} {cv:.4f}, PyTorch {tv:.4f} bits/label; {k} / portable {cv / pv:.4f} "
      f"(target within 0.5 %), {k} / PyTorch {cv / tv:.4f}")
bc, bv = float(sys.argv[9]), float(sys.argv[10])
if bc > 0:
    print(f"base build: {bc:.2f} s, val {bv:.4f} bits/label; {k} / base {bc / cc:.2f}x")
PY
