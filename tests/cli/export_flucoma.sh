#!/usr/bin/env bash
# concatseq export --flucoma: the bundle's normalised descriptors as FluidDataSet JSON and its labels as
# FluidLabelSet JSON (the schema of flucoma-core's FluidJSON.hpp: {"cols": N, "data": {id: [...]}}), read back
# with Python's json and compared with `concatseq info --units` and the unit table itself; ids are unit
# indices; existing files are kept without --force; bad input gives one line and leaves no file.
. "$(dirname "$0")/common.bash"
A=$(a11wlk01) || { not_ok "a11wlk01.wav not found"; exit 1; }
export PYTHONPATH=$SRC/tests/scripts

"$CS" analyze "$A" -o "$W/a" --unit-ms 100 --hop-ms 100 --quiet || not_ok "analyze a11wlk01"
out=$("$CS" export "$W/a" --flucoma "$W/fl")
check "export runs and says what it wrote" grep -q "^wrote .*dataset.json (.* units x 26 descriptors) and .*labelset.json" <<<"$out"
check "the files are FluidDataSet / FluidLabelSet JSON of every unit, ids = unit indices, values = the table's" "$PY" -c "
import json, struct
import numpy as np
from wavio import read_wav
ds = json.load(open('$W/fl/dataset.json'))
ls = json.load(open('$W/fl/labelset.json'))
man = json.load(open('$W/a/corpus.json'))
n, D = man['units'], len(man['descriptors'])
assert sorted(ds) == ['cols', 'data'] and sorted(ls) == ['cols', 'data'], (list(ds), list(ls))
assert ds['cols'] == D == 26 and ls['cols'] == 1
assert list(ds['data']) == [str(u) for u in range(n)] and list(ls['data']) == [str(u) for u in range(n)]
t, _, _, _ = read_wav('$W/a/units.wav')
t = t[:, 0]
H, stride = int(t[5]), int(t[4])
labels = set()
for u in range(n):
    row = t[H + u * stride: H + (u + 1) * stride]
    x = ds['data'][str(u)]
    assert len(x) == D and all(isinstance(v, float) or isinstance(v, int) for v in x)
    assert np.array_equal(np.float32(x), row[8:8 + D]), u
    l = ls['data'][str(u)]
    assert len(l) == 1 and isinstance(l[0], str) and int(l[0]) == int(row[4]), (u, l, row[4])
    labels.add(int(l[0]))
assert len(labels) > 1 and max(labels) < int(t[10])
"
check "no temporary file left in the folder" test "$(ls -A "$W/fl" | tr '\n' ' ')" = "dataset.json labelset.json "
check "same bundle, same bytes" bash -c "'$CS' export '$W/a' --flucoma '$W/fl2' >/dev/null && cmp '$W/fl/dataset.json' '$W/fl2/dataset.json' && cmp '$W/fl/labelset.json' '$W/fl2/labelset.json'"

# existing files: refused without --force (nothing changed), replaced with it
rm "$W/fl2/dataset.json" && echo keep >"$W/fl2/labelset.json"
expect_error "existing label set kept without --force" "labelset.json: exists (add --force" "" -- "$CS" export "$W/a" --flucoma "$W/fl2"
check "the existing file is untouched, nothing written" bash -c "grep -qx keep '$W/fl2/labelset.json' && ! test -e '$W/fl2/dataset.json'"
check "--force replaces it" bash -c "'$CS' export '$W/a' --flucoma '$W/fl2' --force >/dev/null && cmp '$W/fl/labelset.json' '$W/fl2/labelset.json'"

# bad input: one line naming the argument and the fix, no file written
expect_error "no format" "add --flucoma DIR" "$W/none" -- "$CS" export "$W/a"
expect_error "no bundle" "no BUNDLE given" "" -- "$CS" export --flucoma "$W/none"
expect_error "missing folder value" "--flucoma: missing value" "" -- "$CS" export "$W/a" --flucoma
expect_error "unknown option" "unknown option --csv" "$W/none" -- "$CS" export "$W/a" --csv "$W/none"
expect_error "not a bundle" "corpus.json" "$W/none" -- "$CS" export "$W/fl" --flucoma "$W/none"
touch "$W/file"
expect_error "a file, not a folder" "--flucoma .*file: is not a folder" "" -- "$CS" export "$W/a" --flucoma "$W/file"
expect_error "parent missing" "cannot make the folder" "$W/no/such" -- "$CS" export "$W/a" --flucoma "$W/no/such"
mkdir "$W/ro" && chmod 555 "$W/ro"
if [ "$(id -u)" -ne 0 ]; then
    expect_error "read-only folder" "dataset.json: cannot write" "" -- "$CS" export "$W/a" --flucoma "$W/ro"
fi
check "help names the schema" bash -c "'$CS' help export | grep -q 'FluidDataSet'"
