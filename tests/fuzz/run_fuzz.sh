#!/usr/bin/env bash
# run_fuzz.sh - build the fuzzers of tests/fuzz with libFuzzer + ASan + UBSan (clang) and run each for a bounded
# share of the time:
#   fuzz_model_parse  the model parser and the inference step (seeds: tests/fixtures/model_*.bin, a header-only
#                     prefix and a truncated copy of each, an empty input, a model with an n-gram table,
#                     half-precision GRU and transformer files, a model with descriptor inputs)
#   fuzz_unit_table   cs_ut_parse, every unit-table reader and the nearest-unit search (seeds: version 3 tables
#                     from cs_ut_encode and cs_ut_encode_listen, each truncated and as version 2, and each with
#                     its index (cs_index_build: index version 5, split dimensions, the rows section in blocks
#                     of 8), whole, truncated and as index versions 4 and 3 (cs_index_build_version))
#   fuzz_manifest     cs_bundle_read on a manifest + unit table, and the helpers after it (seeds: a matching
#                     manifest and table of each size)
#   fuzz_model_json   the model JSON import and its round trip (seeds: the JSON export of each fixture model)
# The seed corpora are written at run time by fuzz_seeds (tests/fuzz/fuzz_seeds.c); nothing binary is committed.
# Usage: tests/fuzz/run_fuzz.sh [SECONDS (default 60, split evenly between the four)] [WORK_DIR (default: a
# fresh temp dir)]
# Exit status: 0 if no fuzzer found a crash; else the first failing libFuzzer status (the crashing input is left
# in WORK_DIR/<fuzzer>/crash-*). Every fuzzer runs even after one fails.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
secs="${1:-60}"
work="${2:-$(mktemp -d /tmp/concatseq-fuzz.XXXXXX)}"
mkdir -p "$work"
work="$(cd "$work" && pwd)" # absolute: the fuzzers run from their own folders
CC="${CC:-clang}"
core="$root/plugins/core"
tools="$root/corpus-tools/src"
flags=(-std=c11 -O1 -g -fno-omit-frame-pointer -fno-sanitize-recover=undefined -D_POSIX_C_SOURCE=200809L
  -D_DEFAULT_SOURCE -I"$core" -I"$tools")
fuzz=(-fsanitize=fuzzer,address,undefined)
libs=(-lcjson -lsndfile -lm)

ut=("$core/cs_unit_table.c" "$core/cs_frame.c" "$core/cs_onset.c") # the unit table checks its listening section
"$CC" "${flags[@]}" "${fuzz[@]}" "$here/fuzz_model_parse.c" "$core/cs_model.c" "$core/cs_ngram_table.c" \
  "$core/cs_sample.c" "$core/cs_rng.c" -lm -o "$work/fuzz_model_parse"
"$CC" "${flags[@]}" "${fuzz[@]}" "$here/fuzz_unit_table.c" "${ut[@]}" "$core/cs_select.c" \
  "$core/cs_select_nearest.c" "$core/cs_rng.c" -lm -o "$work/fuzz_unit_table"
"$CC" "${flags[@]}" "${fuzz[@]}" "$here/fuzz_manifest.c" "$tools/cs_bundle.c" "$tools/cs_error.c" \
  "${ut[@]}" "${libs[@]}" -o "$work/fuzz_manifest"
"$CC" "${flags[@]}" "${fuzz[@]}" "$here/fuzz_model_json.c" "$tools/cs_model_io.c" "$tools/cs_error.c" \
  "$core/cs_model.c" "$core/cs_ngram_table.c" "${libs[@]}" -o "$work/fuzz_model_json"
"$CC" "${flags[@]}" -fsanitize=address,undefined "$here/fuzz_seeds.c" "$tools/cs_model_io.c" "$tools/cs_error.c" \
  "$tools/cs_index.c" \
  "$core/cs_model.c" "$core/cs_ngram_table.c" "${ut[@]}" "${libs[@]}" -o "$work/fuzz_seeds"

# seed corpora
mkdir -p "$work/seeds" "$work/model_parse/corpus"
for f in "$root"/tests/fixtures/model_*.bin; do
  b="$(basename "$f" .bin)"
  cp "$f" "$work/model_parse/corpus/$b"
  head -c 256 "$f" > "$work/model_parse/corpus/${b}_header"
  head -c 4000 "$f" > "$work/model_parse/corpus/${b}_trunc"
done
: > "$work/model_parse/corpus/empty"
"$work/fuzz_seeds" "$work/seeds" "$root"/tests/fixtures/model_*.bin
for t in unit_table manifest model_json model_parse; do
  mkdir -p "$work/$t/corpus" && cp "$work/seeds/$t"/* "$work/$t/corpus/"
done

share=$((secs / 4))
[ "$share" -ge 1 ] || share=1
status=0
for t in model_parse unit_table manifest model_json; do
  echo "fuzz_$t: ${share}s in $work/$t"
  rc=0
  (cd "$work/$t" && "$work/fuzz_$t" -max_total_time="$share" -max_len=120000 -rss_limit_mb=1024 \
    -print_final_stats=1 corpus) || rc=$?
  if [ "$rc" -ne 0 ]; then
    echo "fuzz_$t: FAILED (status $rc; the input is in $work/$t)"
    [ "$status" -ne 0 ] || status=$rc
  fi
done
exit "$status"
