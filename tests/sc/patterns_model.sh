#!/bin/bash
# patterns_model.sh - the sclang sequence model (sc-classes/SeqModelLang.sc) against the C core.
#
# Real models: a corpus of SuperCollider's a11wlk01.wav (50 ms grains, 8 labels) analysed by `concatseq`, and a
# GRU 32, a GRU 64 and a transformer (32 wide, 4 heads, context 16) trained on it by `concatseq train`; plus the
# PyTorch-written fixtures tests/fixtures/model_{gru,transformer}.bin; and a pure n-gram model (--arch ngram) and a
# GRU 32 + modified Kneser-Ney mixture (--ngram-mix) of the same corpus, which both sides run with the table. The C side is
# tests/c/test_patterns_reference.c (cs_model + cs_sample + cs_rng, the code SeqPredict runs).
# Checks (in patterns_model.scd): the generator's numbers (xoshiro128** / splitmix64) bit for bit; logits within
# 1e-5; temperature 0 labels identical (40 primed contexts per model, and 200 steps with a repetition penalty);
# sampled sequences identical for the same seed (temperature 1; temperature 0.7 + top-k + top-p + penalty +
# mask); label frequencies at temperature 1 and at 0.8 with top-k against the C core's over other seeds
# (chi-square, 2 x K homogeneity, p = 0.001); malformed files give the C parser's reason; the cost per step.
source "$(dirname "$0")/patterns_env.bash"
pat_require "$CONCATSEQ" "concatseq program"
pat_require "$PAT_REFERENCE" "C reference program (tests/c/test_patterns_reference.c)"
W="$CS_WORK_DIR"
pat_build_models
# models with an n-gram table (models/FORMAT.md): a pure modified Kneser-Ney model (--arch ngram, network weight 0)
# and a GRU 32 + MKN mixture (--ngram-mix); both are run as SeqPredict runs them (the C reference's ref_logits)
"$CONCATSEQ" train "$W/g.corpus" -o "$W/ngram.wav" --arch ngram --quiet > /dev/null 2>&1 &&
    "$CONCATSEQ" train "$W/g.corpus" -o "$W/mix.wav" --hidden 32 --layers 1 --epochs 6 --ngram-mix --quiet > /dev/null 2>&1 \
    || { not_ok "concatseq train --arch ngram / --ngram-mix"; exit 1; }
cp "$CS_SOURCE_DIR/tests/fixtures/model_gru.bin" "$W/fixgru.bin"
cp "$CS_SOURCE_DIR/tests/fixtures/model_transformer.bin" "$W/fixtf.bin"

R="$PAT_REFERENCE"
"$R" rng 42 300 > "$W/rng_42.txt"
"$R" rng 0 50 > "$W/rng_0.txt"
"$R" rng 9007199254740991 50 > "$W/rng_big.txt"

# deterministic pseudo-random prime lists (awk's srand is seeded, so the cases are the same every run)
awk 'BEGIN { srand(11); for (c = 0; c < 40; c++) { n = 1 + int(rand() * 20); s = ""; for (i = 0; i < n; i++) s = s (i ? " " : "") int(rand() * 8); print s } }' > "$W/primes.txt"

for m in gru32 gru64 tf fixgru fixtf ngram mix; do
    f="$W/$m.wav"; [ -e "$f" ] || f="$W/$m.bin"
    # labels a model knows: fixtures have 7 and 9 labels, the trained ones 8
    : > "$W/${m}_t0cases.txt"
    while read -r prime; do
        [ "$m" = fixgru ] && prime=$(echo "$prime" | tr '7' '6')
        printf '%s|%s\n' "$prime" "$("$R" gen "$f" 10 --temp 0 --prime "$prime")" >> "$W/${m}_t0cases.txt"
    done < "$W/primes.txt"
    "$R" gen "$f" 200 --temp 0 --penalty 2 --history 8 > "$W/${m}_t0pen.txt"
    "$R" gen "$f" 500 --temp 1 --seed 77 > "$W/${m}_t1.txt"
    "$R" gen "$f" 300 --temp 0.7 --topk 5 --topp 0.95 --penalty 1.5 --history 12 --seed 9 --mask "1 1 0 1 1 1" --prime "3 1" > "$W/${m}_tx.txt"
    "$R" logits "$f" "$(head -c 400 "$W/primes.txt" | tr '\n7' ' 6' | awk '{ for (i = 1; i <= NF && i <= 100; i++) printf "%s%s", (i > 1 ? " " : ""), $i }')" > "$W/${m}_logits.txt"
    # first label after the context "4 2 5 1" over 3000 seeds (the sclang side uses seeds 100000..)
    "$R" gen "$f" 1 --temp 1 --seed 1 --repeat 4000 --prime "4 2 5 1" | sort | uniq -c > "$W/${m}_freq1.txt"
    "$R" gen "$f" 1 --temp 0.8 --topk 3 --seed 1 --repeat 4000 --prime "0 0 3" | sort | uniq -c > "$W/${m}_freq2.txt"
done
head -c 400 "$W/primes.txt" | tr '\n7' ' 6' | awk '{ for (i = 1; i <= NF && i <= 100; i++) printf "%s%s", (i > 1 ? " " : ""), $i }' > "$W/logit_tokens.txt"

pat_sclang "$CS_SOURCE_DIR/tests/sc/patterns_model.scd" 400 | grep -v '^\s*$' | grep -E 'FAILED|ERROR|PATTERNS|WATCHDOG|ms per step|sclang timed|^cost|max logit' 
pat_tally "$W/patterns_model.log"
