#!/usr/bin/env bash
# run_fuzz.sh - build tests/fuzz/fuzz_model_parse.c with libFuzzer + ASan + UBSan (clang) and run it for a
# bounded time on a seed corpus made from the committed tiny models (tests/fixtures/model_*.bin) and
# truncated / header-only variants of them.
# Usage: tests/fuzz/run_fuzz.sh [SECONDS (default 30)] [WORK_DIR (default: a fresh temp dir)]
# Exit status: 0 if no crash was found; libFuzzer's non-zero status otherwise (the crashing input is left
# in WORK_DIR as crash-*).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
secs="${1:-30}"
work="${2:-$(mktemp -d /tmp/concatseq-fuzz.XXXXXX)}"
mkdir -p "$work/corpus"
CC="${CC:-clang}"
core="$root/plugins/core"

"$CC" -std=c11 -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined \
  -fno-sanitize-recover=undefined -D_POSIX_C_SOURCE=200809L -I"$core" \
  "$here/fuzz_model_parse.c" "$core/cs_model.c" "$core/cs_sample.c" "$core/cs_rng.c" -lm \
  -o "$work/fuzz_model_parse"

# seed corpus: the valid models, a header-only prefix, a truncated model, an empty input
for f in "$root"/tests/fixtures/model_*.bin; do
  b="$(basename "$f" .bin)"
  cp "$f" "$work/corpus/$b"
  head -c 256 "$f" > "$work/corpus/${b}_header"
  head -c 4000 "$f" > "$work/corpus/${b}_trunc"
done
: > "$work/corpus/empty"

echo "fuzzing for ${secs}s in $work"
cd "$work"
./fuzz_model_parse -max_total_time="$secs" -max_len=120000 -rss_limit_mb=1024 -print_final_stats=1 corpus
