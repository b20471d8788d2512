#!/bin/bash
# Issue 11's leftover, item 2: the GRU with descriptor inputs as a default candidate of `train --arch auto`. For each
# bundle and seed, one run: the previous default, `train --no-desc-inputs` (auto: MKN, GRU+MKN, transformer+MKN), and
# the default `train` (the same candidates plus GRU+descriptors+MKN; = `--arch auto --desc-inputs`), chosen by the same
# one-SE rule on validation; test bits/label (`eval`, 80/10/10 split, 95 % block-bootstrap intervals) of both and of
# modified KN, the candidate each wrote, and the CPU seconds of each train. Bundles: the small corpora of the issue
# (a11wlk01 grains and onsets, a hydrogen kit's one-shots joined, 5 minutes of pushover-data music) and every
# lincity-ng track together, as tests/bench/run_eval_table.sh makes them.
# Usage: tests/bench/run_desc_auto.sh [BUILD_DIR] [WORK_DIR] [threads=2] [seeds="1 2 3"] [BUNDLES=the five above]
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
BUILD="${1:-$HERE/../../build}"
WORK="${2:-$(mktemp -d)}"
THREADS="${3:-2}"
SEEDS="${4:-1 2 3}"
ONLY="${5:-a11-grain a11-onset kit-onset pushover5-grain lincity-all-grain}"
CS="${CS_PROGRAM:-$BUILD/corpus-tools/concatseq}"
[ -x "$CS" ] || { echo "build first: $CS not found" >&2; exit 1; }
mkdir -p "$WORK"
source "$HERE/eval_inputs.bash"
declare -A input opts
input[a11-grain]=$A; opts[a11-grain]="--unit-ms 80 --hop-ms 20 --clusters 12"
input[a11-onset]=$A; opts[a11-onset]="--segment onset --clusters 8"
input[kit-onset]=$WORK/kit.wav; opts[kit-onset]="--segment onset --clusters 8"
input[pushover5-grain]=$PUSH/space.ogg; opts[pushover5-grain]="--unit-ms 100 --hop-ms 100 --clusters 16"
input[lincity-all-grain]=$MUSIC; opts[lincity-all-grain]="--unit-ms 100 --hop-ms 100 --clusters 16"
# ~21 minutes of pushover-data music (the issue's >= 20 minutes; give it in BUNDLES, it is not in the default list)
mkdir -p "$WORK/pushover20"
for t in aztec castle dungeon electro greek japanese mechanic; do ln -sf "$PUSH/$t.ogg" "$WORK/pushover20/$t.ogg"; done
input[pushover20-grain]=$WORK/pushover20; opts[pushover20-grain]="--unit-ms 100 --hop-ms 100 --clusters 16"
cpu() { # cpu LOG CMD...: CMD's output to LOG; prints the CPU seconds (user + system) of the child
    /usr/bin/python3 -c '
import resource, subprocess, sys
r = subprocess.run(sys.argv[2:], stdout=open(sys.argv[1], "w"))
u = resource.getrusage(resource.RUSAGE_CHILDREN)
print("%.1f" % (u.ru_utime + u.ru_stime)); sys.exit(r.returncode)' "$@"
}
printf '| bundle | seed | test labels | MKN | --no-desc-inputs | wrote | default (with desc) | wrote | default vs no-desc | default vs MKN | train CPU s no-desc / default |\n'
printf '|---|---|---|---|---|---|---|---|---|---|---|\n'
for b in $ONLY; do
    d="$WORK/$b"
    # shellcheck disable=SC2086
    [ -f "$d/corpus.json" ] || "$CS" analyze "${input[$b]}" -o "$d" --force --quiet --seed 1 ${opts[$b]}
    for s in $SEEDS; do
        [ -f "$d/auto$s.cpu" ] || cpu "$d/auto$s.log" "$CS" train --no-desc-inputs "$d" -o "$d/auto$s.wav" --force \
            --threads "$THREADS" --seed "$s" --progress none > "$d/auto$s.cpu"
        [ -f "$d/desc$s.cpu" ] || cpu "$d/desc$s.log" "$CS" train "$d" -o "$d/desc$s.wav" --force --threads "$THREADS" \
            --seed "$s" --progress none > "$d/desc$s.cpu"
        "$CS" eval "$d" "$d/auto$s.wav" --json --threads "$THREADS" > "$d/eval_auto$s.json"
        "$CS" eval "$d" "$d/desc$s.wav" --json --threads "$THREADS" > "$d/eval_desc$s.json"
        /usr/bin/python3 - "$d" "$b" "$s" <<'PY'
import json, sys
d, name, s = sys.argv[1:]
a, e = (json.load(open("%s/eval_%s%s.json" % (d, m, s))) for m in ("auto", "desc"))
def cell(j, k):
    b, (lo, hi) = j["bits_per_label"][k], j["interval"][k]
    return "%.3f [%.3f, %.3f]" % (b, lo, hi)
def chosen(j, log):
    # train's last line names the candidate written: "wrote PATH: NAME, ..." (eval's arch does not say "+desc")
    line = [l for l in open(log) if l.startswith("wrote ")][-1]
    name = line.split(": ", 1)[1].split(",")[0].strip().replace(" mixture", "").replace("modified Kneser-Ney", "MKN")
    w = j["setting"]["model"]
    return name if w in ("-", "weight 0.00") else "%s %s" % (name, w.replace("weight ", ""))
mk, ab, db = a["bits_per_label"]["modified_kneser_ney"], a["bits_per_label"]["model"], e["bits_per_label"]["model"]
ca, cd = open(d + "/auto%s.cpu" % s).read().split()[0], open(d + "/desc%s.cpu" % s).read().split()[0]
print("| %s | %s | %d | %s | %s | %s | %s | %s | %+.1f %% | %+.1f %% | %s / %s |" % (
    name, s, a["test_labels"], cell(a, "modified_kneser_ney"), cell(a, "model"), chosen(a, d + "/auto%s.log" % s), cell(e, "model"), chosen(e, d + "/desc%s.log" % s),
    100 * (db - ab) / ab, 100 * (db - mk) / mk, ca, cd))
PY
    done
done
