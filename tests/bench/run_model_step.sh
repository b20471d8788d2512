#!/usr/bin/env bash
# run_model_step.sh - cs_model_step vs PyTorch single-step latency, same machine, same run; prints ratios.
# Usage: tests/bench/run_model_step.sh [BUILD_DIR] [--quick]
#   BUILD_DIR defaults to ./build (must contain tests/bench/bench_model_step).
# Targets on one core (DESIGN): GRU 64/64 <= 1.5 us, GRU 128/256 <= 6 us, transformer <= 10 us; with half-precision
# weights (issue 12 item 5) GRU 128/256 <= 7 us.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${1:-build}"
quick="${2:-}"
bench="$build/tests/bench/bench_model_step"
[ -x "$bench" ] || { echo "missing $bench (build the project first)" >&2; exit 1; }
out="$(mktemp)"
trap 'rm -f "$out"' EXIT

echo "== C (cs_model_step, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores visible)"
"$bench" $quick | tee -a "$out"
echo "== PyTorch ($(/usr/bin/python3 -c 'import torch; print(torch.__version__)'), 1 thread)"
/usr/bin/python3 "$here/bench_model_torch.py" $quick | tee -a "$out"

echo "== ratios (torch median / C warm median) and targets"
awk '
  $1 == "c" && $3 == "step_warm" { c[$2] = $5 }
  $1 == "c" && $3 == "step_half_warm" { h[$2] = $5 }
  $1 == "c" && $3 == "step_halfexp_warm" { e[$2] = $5 }
  $1 == "c" && $3 == "step_cold" { cc[$2] = $5 }
  $1 == "c" && $3 == "step_half_cold" { hc[$2] = $5 }
  $1 == "torch" && $3 == "step_warm" { t[$2] = $5 }
  END {
    target["gru_h64_v64"] = 1500; target["gru_h128_v256"] = 6000; target["tf_d64_l2_c64"] = 10000
    n = split("gru_h64_v64 gru_h128_v256 tf_d64_l2_c64", m, " ")
    for (i = 1; i <= n; i++) {
      k = m[i]
      if (!(k in c) || !(k in t)) continue
      printf "%-14s C %8.0f ns  torch %9.0f ns  speed-up x%5.1f  target %5.0f ns: %s\n", k, c[k], t[k], t[k] / c[k],
        target[k], (c[k] <= target[k]) ? "met" : "MISSED"
    }
    print "== half-precision weights (same run): (b) F16C in the step, (a) converted to float32 at load"
    for (i = 1; i <= n; i++) {
      k = m[i]
      if (!(k in h) || !(k in t)) continue
      printf "%-14s warm: (b) %8.0f ns = x%4.2f of float32, (a) %8.0f ns = x%4.2f; torch/(b) x%5.1f; cold: (b)/float32 x%4.2f%s\n",
        k, h[k], h[k] / c[k], e[k], e[k] / c[k], t[k] / h[k], hc[k] / cc[k],
        k == "gru_h128_v256" ? ((h[k] <= 7000 || e[k] <= 7000) ? "; 7 us target: met" : "; 7 us target: MISSED") : ""
    }
  }' "$out"
