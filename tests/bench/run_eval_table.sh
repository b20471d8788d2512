#!/bin/bash
# The test-part table of issue 11 (items 2 and 4): real bundles - a11wlk01 grains and onsets, a hydrogen kit (its
# one-shots joined into one recording), each lincity-ng track as grains and as onsets, all lincity tracks
# together, 5 minutes of pushover-data's game music (space.ogg) and ~21 minutes of it (aztec, castle, dungeon,
# electro, greek, japanese, mechanic: 1274 s) as grains and onsets. On each: the GRU and the transformer alone
# (`train --arch gru|transformer`, the defaults by corpus size, early stopping on validation) and the default
# model (`train`, i.e. --arch auto: the one-SE choice among MKN, each network alone and mixed with MKN), then
# `concatseq eval` of each: test bits/label with 95 % block-bootstrap intervals for uniform, add-k (best of
# unigram/bigram on validation), modified KN (order chosen on validation), the GRU, the transformer, the previous
# default rule (the lowest validation bits among MKN, GRU, transformer and GRU + MKN with the weight at the
# validation minimum) and the default; the default's difference to MKN in %; the default's training time (wall
# and CPU seconds of the auto run, --threads as given; the machine's other load counts: a figure for the note,
# not a test); and, with --cache, the label cache's weight fit on validation (`eval --cache auto`).
# Then, for the ~21-minute grains and all lincity grains, the sample divergence (tests/bench/sample_divergence.py)
# of the default model and of MKN.
# Usage: tests/bench/run_eval_table.sh [BUILD_DIR] [WORK_DIR] [threads=2]
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
BUILD="${1:-$HERE/../../build}"
WORK="${2:-$(mktemp -d)}"
THREADS="${3:-2}"
CS="$BUILD/corpus-tools/concatseq"
[ -x "$CS" ] || { echo "build first: $CS not found" >&2; exit 1; }
mkdir -p "$WORK"
source "$HERE/eval_inputs.bash"
mkdir -p "$WORK/pushover20"
for t in aztec castle dungeon electro greek japanese mechanic; do ln -sf "$PUSH/$t.ogg" "$WORK/pushover20/$t.ogg"; done
bundles=()
make_bundle() { # name input analyze-options...
    local name=$1 in=$2; shift 2
    [ -f "$WORK/$name/corpus.json" ] || "$CS" analyze "$in" -o "$WORK/$name" --force --quiet --seed 1 "$@"
    bundles+=("$name")
}
make_bundle a11-grain "$A" --unit-ms 80 --hop-ms 20 --clusters 12
make_bundle a11-onset "$A" --segment onset --clusters 8
make_bundle kit-onset "$WORK/kit.wav" --segment onset --clusters 8
i=0
for f in "$MUSIC"/*.ogg; do
    i=$((i + 1))
    make_bundle "lincity$i-grain" "$f" --unit-ms 100 --hop-ms 100 --clusters 16
    make_bundle "lincity$i-onset" "$f" --segment onset --clusters 16
done
make_bundle lincity-all-grain "$MUSIC" --unit-ms 100 --hop-ms 100 --clusters 16
make_bundle pushover5-grain "$PUSH/space.ogg" --unit-ms 100 --hop-ms 100 --clusters 16
make_bundle pushover20-grain "$WORK/pushover20" --unit-ms 100 --hop-ms 100 --clusters 16
make_bundle pushover20-onset "$WORK/pushover20" --segment onset --clusters 16
# timed LOG CMD...: runs CMD (its output to LOG), prints "wall cpu" seconds (CPU = user + system of the child)
timed() {
    /usr/bin/python3 -c '
import resource, subprocess, sys, time
t = time.monotonic(); r = subprocess.run(sys.argv[2:], stdout=open(sys.argv[1], "w"))
u = resource.getrusage(resource.RUSAGE_CHILDREN)
print("%.1f %.1f" % (time.monotonic() - t, u.ru_utime + u.ru_stime)); sys.exit(r.returncode)' "$@"
}
printf '| bundle | units | train / val / test labels | uniform | add-k | modified KN | GRU | transformer | previous rule | default (one-SE) | default - MKN [paired 95 %% interval, bits] | cache W (val): default + cache | train s wall / CPU |\n'
printf '|---|---|---|---|---|---|---|---|---|---|---|---|---|\n'
for b in "${bundles[@]}"; do
    d="$WORK/$b"
    [ -f "$d/gru.wav" ] || "$CS" train --arch gru "$d" -o "$d/gru.wav" --quiet --threads "$THREADS" --seed 1
    [ -f "$d/tf.wav" ] || "$CS" train --arch transformer "$d" -o "$d/tf.wav" --quiet --threads "$THREADS" --seed 1
    [ -f "$d/auto.time" ] || timed "$d/auto.log" "$CS" train "$d" -o "$d/auto.wav" --force --threads "$THREADS" \
        --seed 1 --progress none > "$d/auto.time"
    ok=1
    for m in gru tf auto; do
        "$CS" eval "$d" "$d/$m.wav" --json --threads "$THREADS" --cache auto > "$d/eval_$m.json" 2> "$d/eval_$m.err" || ok=0
    done
    if [ $ok = 0 ]; then
        printf '| %s | %s | %s |\n' "$b" "$(head -c 100000 "$d/corpus.json" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["units"])')" "$(head -n 1 "$d/eval_gru.err")"
        continue
    fi
    /usr/bin/python3 - "$d" "$b" <<'PY'
import json, sys
d, name = sys.argv[1], sys.argv[2]
g, t, a = (json.load(open("%s/eval_%s.json" % (d, m))) for m in ("gru", "tf", "auto"))
wall, cpu = open(d + "/auto.time").read().split()
units = json.load(open(d + "/corpus.json"))["units"]
def cell(j, k):
    b, (lo, hi) = j["bits_per_label"][k], j["interval"][k]
    return "%.3f [%.3f, %.3f]" % (b, lo, hi)
addk = min(("unigram", "bigram"), key=lambda k: g["val_bits_per_label"][k])
# the rule before the one-SE rule: the lowest validation bits among MKN, GRU, transformer, GRU + MKN (weight at the
# validation minimum)
prev = {"MKN": (g["val_bits_per_label"]["modified_kneser_ney"], g["bits_per_label"]["modified_kneser_ney"]),
        "GRU": (g["val_bits_per_label"]["model"], g["bits_per_label"]["model"]),
        "transformer": (t["val_bits_per_label"]["model"], t["bits_per_label"]["model"]),
        "GRU+MKN": (g["val_bits_per_label"]["model_mkn_mixture_min"], g["bits_per_label"]["model_mkn_mixture_min"])}
pk = min(prev, key=lambda k: prev[k][0])
mkn = a["bits_per_label"]["modified_kneser_ney"]
w = a["setting"]["model"]
kind = a["arch"] if w == "-" else "MKN" if w == "weight 0.00" else "%s + MKN, %s" % (a["arch"], w)
cache = "%g" % a["cache_weight"] if "cache_weight" in a else "-"
if "model_cache" in a["bits_per_label"]:
    cache += ": %s" % cell(a, "model_cache")
dm = a["model_minus_mkn"]
print("| %s | %s | %d / %d / %d | %.3f | %s %s | %s %s | %s | %s | %.3f (%s) | %s (%s) | %+.1f %% [%+.3f, %+.3f] | %s | %s / %s |" % (
    name, units, a["train_labels"], a["val_labels"], a["test_labels"], g["bits_per_label"]["uniform"], cell(g, addk),
    g["setting"][addk], cell(g, "modified_kneser_ney"), g["setting"]["modified_kneser_ney"], cell(g, "model"),
    cell(t, "model"), prev[pk][1], pk, cell(a, "model"), kind, 100.0 * (a["bits_per_label"]["model"] - mkn) / mkn, dm[1], dm[2],
    cache, wall, cpu))
PY
done
echo
echo "sample divergence (Jensen-Shannon, bits, 10 000 labels at temperature 1 vs the test part):"
for b in pushover20-grain lincity-all-grain; do
    /usr/bin/python3 "$HERE/sample_divergence.py" "$CS" "$WORK/$b" "$WORK/$b/auto.wav" 10000
done
