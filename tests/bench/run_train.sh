#!/bin/bash
# Run the C GRU trainer and its PyTorch peer on the same data in the same run; print the time ratio and the
# validation-loss ratio. Usage: tests/bench/run_train.sh [BUILD_DIR] [threads=2] [epochs=10]
# Target: C at least 3x faster than PyTorch (CPU) with validation bits/label within 2 %.
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
"$BIN" "$DATA" "$THREADS" "$EPOCHS" | tee "$TMP/c.txt"
/usr/bin/python3 "$HERE/bench_train_torch.py" "$DATA" "$THREADS" "$EPOCHS" 16 | tee "$TMP/torch.txt"
field() { grep '^RESULT' "$1" | tr ' ' '\n' | grep "^$2=" | cut -d= -f2; }
CS=$(field "$TMP/c.txt" seconds); CV=$(field "$TMP/c.txt" val_bits)
TS=$(field "$TMP/torch.txt" seconds); TV=$(field "$TMP/torch.txt" val_bits)
/usr/bin/python3 - "$CS" "$CV" "$TS" "$TV" <<'PY'
import sys
cs, cv, ts, tv = map(float, sys.argv[1:])
print(f"time:     C {cs:.2f} s, PyTorch {ts:.2f} s, speed-up {ts / cs:.2f}x (target >= 3x)")
print(f"val loss: C {cv:.4f}, PyTorch {tv:.4f} bits/label, ratio C/PyTorch {cv / tv:.4f} (target within 2 %)")
PY
