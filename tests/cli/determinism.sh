#!/usr/bin/env bash
# The same options give the same bytes, whatever the number of threads; --progress lines is parseable.
. "$(dirname "$0")/common.bash"
A=$(a11wlk01) || { not_ok "a11wlk01.wav not found"; exit 1; }
"$PY" "$SRC/tests/scripts/make_audio.py" "$W/in" || { not_ok "make_audio"; exit 1; }
mkdir -p "$W/set" && cp "$A" "$W/in/tones.wav" "$W/in/stereo.wav" "$W/set/"

for seg in grain onset; do
    "$CS" analyze "$W/set" -o "$W/t1-$seg" --segment $seg --threads 1 --seed 5 --quiet
    "$CS" analyze "$W/set" -o "$W/t2-$seg" --segment $seg --threads 2 --seed 5 --quiet
    for f in corpus.json units.wav audio.wav; do
        check "$seg $f identical for 1 and 2 threads" cmp -s "$W/t1-$seg/$f" "$W/t2-$seg/$f"
    done
done
for c in dbscan ap; do
    "$CS" analyze "$W/set" -o "$W/c1-$c" --cluster $c --unit-ms 200 --hop-ms 200 --threads 1 --quiet
    "$CS" analyze "$W/set" -o "$W/c2-$c" --cluster $c --unit-ms 200 --hop-ms 200 --threads 2 --quiet
    check "$c identical for 1 and 2 threads" cmp -s "$W/c1-$c/units.wav" "$W/c2-$c/units.wav"
done
"$CS" analyze "$W/set" -o "$W/s9" --seed 9 --quiet
check "another seed gives another clustering" bash -c "! cmp -s '$W/t1-grain/units.wav' '$W/s9/units.wav'"

# sources are taken in sorted order whatever the order of the files on disk
check "three sources" "$PY" "$SRC/tests/scripts/check_bundle.py" "$W/t1-grain" --sources 3
order=$("$PY" -c "import json;print(' '.join(s['path'].rsplit('/',1)[1] for s in json.load(open('$W/t1-grain/corpus.json'))['sources']))")
check "sorted source order" [ "$order" = "a11wlk01.wav stereo.wav tones.wav" ]

# --progress lines: one parseable line per step on stdout
out=$("$CS" analyze "$W/set" -o "$W/p" --progress lines)
check "progress lines parse" bash -c "grep '^progress ' <<<'$out' | awk 'NF < 4 || \$3 !~ /^[0-9]+\$/ || \$4 !~ /^[0-9]+\$/ {bad=1} END {exit bad}'"
for stage in decode analyze cluster write; do
    check "progress stage $stage" grep -q "^progress $stage " <<<"$out"
done
check "summary line" grep -q "^wrote $W/p: 3 sources" <<<"$out"
quiet=$("$CS" analyze "$W/set" -o "$W/q" --quiet 2>&1)
check "--quiet prints nothing" [ -z "$quiet" ]
