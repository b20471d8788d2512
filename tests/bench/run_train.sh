#!/bin/bash
# Run the C GRU trainer with both kernel sets (the portable one, CONCATSEQ_TRAIN_KERNELS=portable, is the code of
# before the AVX2 set, bit for bit; the AVX2/FMA one is what this CPU selects) and its PyTorch peer on the same
# data in the same run; print CPU-time ratios (the machine may be shared: CPU time, not wall time) and the
# validation-loss ratios. Usage: tests/bench/run_train.sh [BUILD_DIR] [threads=2] [epochs=10]
# Targets: AVX2 >= 2x the portable path and >= 15x PyTorch (CPU), validation bits/label within 0.5 % of the
# portable path (and within 2 % of PyTorch).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
BUILD="${1:-$HERE/../../build}"
THREADS="${2:-2}"
EPOCHS="${3:-10}"
BIN="$BUILD/tests/bench/bench_train"
[ -x "$BIN" ] || { echo "build first: $BIN not found" >&2; exit 1; }
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
DATA="$TMP/labels.txt"
CONCATSEQ_TRAIN_KERNELS=portable "$BIN" "$DATA" "$THREADS" "$EPOCHS" | tee "$TMP/p.txt"
CONCATSEQ_TRAIN_KERNELS=avx2 "$BIN" "$DATA" "$THREADS" "$EPOCHS" | tee "$TMP/c.txt"
/usr/bin/python3 "$HERE/bench_train_torch.py" "$DATA" "$THREADS" "$EPOCHS" 16 | tee "$TMP/torch.txt"
field() { grep '^RESULT' "$1" | tr ' ' '\n' | grep "^$2=" | cut -d= -f2; }
/usr/bin/python3 - "$(field "$TMP/p.txt" cpu)" "$(field "$TMP/p.txt" val_bits)" "$(field "$TMP/c.txt" cpu)" \
    "$(field "$TMP/c.txt" val_bits)" "$(field "$TMP/torch.txt" cpu)" "$(field "$TMP/torch.txt" val_bits)" \
    "$(field "$TMP/c.txt" kernels)" <<'PY'
import sys
pc, pv, cc, cv, tc, tv = map(float, sys.argv[1:7])
k = sys.argv[7]
print(f"CPU time: portable {pc:.2f} s, {k} {cc:.2f} s, PyTorch {tc:.2f} s")
print(f"speed-up: {k} / portable {pc / cc:.2f}x (target >= 2x), {k} / PyTorch {tc / cc:.2f}x (target >= 15x), "
      f"portable / PyTorch {tc / pc:.2f}x")
print(f"val loss: portable {pv:.4f}, {k} {cv:.4f}, PyTorch {tv:.4f} bits/label; {k} / portable {cv / pv:.4f} "
      f"(target within 0.5 %), {k} / PyTorch {cv / tv:.4f}")
PY
