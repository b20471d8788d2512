#!/usr/bin/env bash
# run_model_step.sh - cs_model_step vs PyTorch single-step latency, same machine, same run; prints ratios, the
# floor (the step's multiply-adds at this core's FMA peak, measured in the same run by bench_model_step) and, with
# CS_BENCH_BEFORE, the ratio to an older build's step in the same run.
# Usage: tests/bench/run_model_step.sh [BUILD_DIR] [--quick]
#   BUILD_DIR defaults to ./build (must contain tests/bench/bench_model_step).
#   CS_BENCH_BEFORE=PATH  an older build's bench_model_step binary (e.g. main's), run in alternation with this one
#                         (ROUNDS times, default 2): "before" figures of the same run, under the same load.
#   ROUNDS=N              rounds of (this build, before, PyTorch); each figure below lists every round.
# Targets on one core (DESIGN): GRU 64/64 <= 1.5 us, GRU 128/256 <= 6 us, transformer <= 10 us; with half-precision
# weights (issue 12 item 5) GRU 128/256 <= 7 us.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${1:-build}"
quick="${2:-}"
bench="$build/tests/bench/bench_model_step"
before="${CS_BENCH_BEFORE:-}"
rounds="${ROUNDS:-2}"
[ -x "$bench" ] || { echo "missing $bench (build the project first)" >&2; exit 1; }
[ -z "$before" ] || [ -x "$before" ] || { echo "CS_BENCH_BEFORE=$before: not an executable" >&2; exit 1; }
out="$(mktemp)"
trap 'rm -f "$out"' EXIT

echo "== $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores visible; $rounds rounds"
for r in $(seq 1 "$rounds"); do
    echo "== round $r: C (cs_model_step, this build)"
    "$bench" $quick | sed "s/^c /c$r /" | tee -a "$out"
    if [ -n "$before" ]; then
        echo "== round $r: C, before ($before)"
        "$before" $quick | sed "s/^c /b$r /" | tee -a "$out"
    fi
    echo "== round $r: PyTorch ($(/usr/bin/python3 -c 'import torch; print(torch.__version__)'), 1 thread)"
    /usr/bin/python3 "$here/bench_model_torch.py" $quick | sed "s/^torch /t$r /" | tee -a "$out"
done

echo "== summary: medians in ns, one figure per round (r1 / r2 ...)"
awk -v rounds="$rounds" '
  function key(src, model, what) { return src SUBSEP model SUBSEP what }
  $1 ~ /^[cbt][0-9]+$/ && $4 == "median_ns" { v[substr($1, 1, 1), substr($1, 2) + 0, $2, $3] = $5 }
  $1 ~ /^c[0-9]+$/ && $3 == "floor" { fl[substr($1, 2) + 0, $2] = $9; ffl[substr($1, 2) + 0, $2] = $11 }
  $1 ~ /^c[0-9]+$/ && $2 == "peak" { pk[substr($1, 2) + 0, $3] = $5 }
  function list(src, model, what,    r, s) {
    s = ""
    for (r = 1; r <= rounds; r++) s = s (r > 1 ? " / " : "") (((src, r, model, what) in v) ? sprintf("%.0f", v[src, r, model, what]) : "-")
    return s
  }
  function ratio(sa, wa, sb, wb, model,    r, s) {
    s = ""
    for (r = 1; r <= rounds; r++)
      s = s (r > 1 ? " / " : "") ((((sa, r, model, wa) in v) && ((sb, r, model, wb) in v)) ? sprintf("%.2f", v[sa, r, model, wa] / v[sb, r, model, wb]) : "-")
    return s
  }
  END {
    for (r = 1; r <= rounds; r++)
      printf "FMA peak, round %d: %s GMAC/s (ymm), %s (zmm); F16C + FMA from L1: %s G halves/s (ymm from memory), %s (ymm after the bias subtraction), %s (zmm)\n", r,
        pk[r, "fma_ymm"], pk[r, "fma_zmm"], pk[r, "f16c_fma_ymm"], pk[r, "f16c_bias_fma_ymm"], pk[r, "f16c_fma_zmm"]
    target["gru_h64_v64"] = 1500; target["gru_h128_v256"] = 7000; target["tf_d64_l2_c64"] = 10000
    n = split("gru_h64_v64 gru_h128_v256 tf_d64_l2_c64", m, " ")
    for (i = 1; i <= n; i++) {
      k = m[i]
      printf "\n%s (target %d ns)\n", k, target[k]
      fs = ""; for (r = 1; r <= rounds; r++) fs = fs (r > 1 ? " / " : "") sprintf("%.0f (folded %.0f)", fl[r, k], ffl[r, k])
      printf "  floor (madds / FMA peak)        %s\n", fs
      hs = ""
      for (r = 1; r <= rounds; r++) {
        p = pk[r, "fma_zmm"] > pk[r, "fma_ymm"] ? pk[r, "fma_zmm"] : pk[r, "fma_ymm"] # the peak of floor_ns
        hz = pk[r, "f16c_fma_zmm"] > 0 ? ffl[r, k] * p / pk[r, "f16c_fma_zmm"] : 0
        hy = pk[r, "f16c_fma_ymm"] > 0 ? ffl[r, k] * p / pk[r, "f16c_fma_ymm"] : 0
        hs = hs (r > 1 ? " / " : "") sprintf("%.0f (ymm %.0f)", hz, hy)
      }
      printf "  half floor (folded halves / F16C+FMA rate, zmm; ymm from memory = the half copy) %s\n", hs
      printf "  float32 warm                    %s\n", list("c", k, "step_warm")
      printf "  (b) half in the step, warm      %s   x float32: %s\n", list("c", k, "step_half_warm"), ratio("c", "step_half_warm", "c", "step_warm", k)
      printf "  (a) half expanded at load, warm %s   x float32: %s\n", list("c", k, "step_halfexp_warm"), ratio("c", "step_halfexp_warm", "c", "step_warm", k)
      printf "  float32 warm, table bypassed    %s   x float32: %s\n", list("c", k, "step_nofold_warm"), ratio("c", "step_nofold_warm", "c", "step_warm", k)
      printf "  (b) half warm, copy bypassed    %s   copy / bypassed: %s\n", list("c", k, "step_half_nocopy_warm"), ratio("c", "step_half_warm", "c", "step_half_nocopy_warm", k)
      printf "  (b) half warm, copy row by row  %s   blocked / row by row: %s\n", list("c", k, "step_half_rowcopy_warm"), ratio("c", "step_half_warm", "c", "step_half_rowcopy_warm", k)
      printf "  (b) half, the step remaking the copy %s   x float32 warm: %s\n", list("c", k, "step_half_first"), ratio("c", "step_half_first", "c", "step_warm", k)
      printf "  float32 cold                    %s\n", list("c", k, "step_cold")
      printf "  (b) half cold                   %s   x float32 cold: %s\n", list("c", k, "step_half_cold"), ratio("c", "step_half_cold", "c", "step_cold", k)
      printf "  PyTorch float32                 %s   torch / (b): %s\n", list("t", k, "step_warm"), ratio("t", "step_warm", "c", "step_half_warm", k)
      if (before != "") {
        printf "  before: float32 warm            %s   now / before: %s\n", list("b", k, "step_warm"), ratio("c", "step_warm", "b", "step_warm", k)
        printf "  before: (b) half warm           %s   now / before: %s\n", list("b", k, "step_half_warm"), ratio("c", "step_half_warm", "b", "step_half_warm", k)
        printf "  before: float32 cold            %s   now / before: %s\n", list("b", k, "step_cold"), ratio("c", "step_cold", "b", "step_cold", k)
        printf "  before: (b) half cold           %s   now / before: %s\n", list("b", k, "step_half_cold"), ratio("c", "step_half_cold", "b", "step_half_cold", k)
      }
      for (r = 1; r <= rounds; r++) {
        best = v["c", r, k, "step_warm"]; if (v["c", r, k, "step_half_warm"] < best) best = v["c", r, k, "step_half_warm"]
        printf "  round %d: best warm %.0f ns: %s; of the (folded) floor %.2fx\n", r, best, best <= target[k] ? "met" : "MISSED", best / ffl[r, k]
      }
    }
  }' before="$before" "$out"
