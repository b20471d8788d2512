#!/usr/bin/env bash
# Every kind of bad input to `concatseq analyze` gives one clear error line naming the file or option, a
# non-zero exit, and no partial bundle.
. "$(dirname "$0")/common.bash"

"$PY" "$SRC/tests/scripts/make_audio.py" "$W/in" || { not_ok "make_audio"; exit 1; }
A="$W/in/tones.wav"
B="$W/out.corpus"
mkdir -p "$W/emptydir" "$W/mixed" && cp "$A" "$W/mixed/a.wav" && cp "$W/in/notes.txt" "$W/mixed/readme.txt"

expect_error "missing file" "nope.wav: no such file" "$B" -- "$CS" analyze "$W/nope.wav" -o "$B"
expect_error "empty folder" "emptydir: folder holds no audio" "$B" -- "$CS" analyze "$W/emptydir" -o "$B"
expect_error "zero-length file" "empty.wav: zero-length" "$B" -- "$CS" analyze "$W/in/empty.wav" -o "$B"
expect_error "no frames" "noframes.wav: zero-length" "$B" -- "$CS" analyze "$W/in/noframes.wav" -o "$B"
expect_error "non-audio file named" "notes.txt: not an audio file" "$B" -- "$CS" analyze "$W/in/notes.txt" -o "$B"
expect_error "shorter than one unit" "tiny.wav: shorter than one unit" "$B" -- "$CS" analyze "$W/in/tiny.wav" -o "$B"
expect_error "digital silence" "silence.wav: digital silence" "$B" -- "$CS" analyze "$W/in/silence.wav" -o "$B"
expect_error "NaN samples" "nan.wav: contains NaN" "$B" -- "$CS" analyze "$W/in/nan.wav" -o "$B"
expect_error "channels not servable" "three.wav: has 3 channels" "$B" -- "$CS" analyze "$W/in/three.wav" --channels 2 -o "$B"
expect_error "K > units" "--clusters 500: more clusters than units" "$B" -- "$CS" analyze "$A" --clusters 500 -o "$B"
expect_error "negative unit length" "--unit-ms -5" "$B" -- "$CS" analyze "$A" --unit-ms -5 -o "$B"
expect_error "negative hop" "--hop-ms -1" "$B" -- "$CS" analyze "$A" --hop-ms -1 -o "$B"
expect_error "bad number" "--clusters abc: not a valid value" "$B" -- "$CS" analyze "$A" --clusters abc -o "$B"
expect_error "NaN option" "--eps nan: not a valid value" "$B" -- "$CS" analyze "$A" --cluster dbscan --eps nan -o "$B"
expect_error "bad rate" "--rate 100" "$B" -- "$CS" analyze "$A" --rate 100 -o "$B"
expect_error "bad segment" "--segment blocks" "$B" -- "$CS" analyze "$A" --segment blocks -o "$B"
expect_error "bad cluster" "--cluster tree" "$B" -- "$CS" analyze "$A" --cluster tree -o "$B"
expect_error "bad damping" "--damping 1.5" "$B" -- "$CS" analyze "$A" --cluster ap --damping 1.5 -o "$B"
expect_error "max < 2 min" "--max-ms 80" "$B" -- "$CS" analyze "$A" --segment onset --min-ms 50 --max-ms 80 -o "$B"
expect_error "unknown descriptor" "unknown descriptor 'colour'" "$B" -- "$CS" analyze "$A" --descriptors colour -o "$B"
expect_error "bad weight" "--weights: bad entry 'centroid=-1'" "$B" -- "$CS" analyze "$A" --weights centroid=-1 -o "$B"
expect_error "unknown option" "unknown option --frobnicate" "$B" -- "$CS" analyze "$A" --frobnicate -o "$B"
expect_error "no output" "no output bundle" "" -- "$CS" analyze "$A"
expect_error "no source" "no SOURCE" "$B" -- "$CS" analyze -o "$B"
expect_error "output folder missing" "does not exist" "$W/no/such/dir/x.corpus" -- "$CS" analyze "$A" -o "$W/no/such/dir/x.corpus"
expect_error "strict folder" "readme.txt: not an audio file" "$B" -- "$CS" analyze "$W/mixed" --strict -o "$B"

# sizes and values from files (issue 14, items 5 and 8): a sample of 1e30, a file resampling to no frame, a
# sample rate libsamplerate cannot convert from; each one line naming the file and the fix
"$PY" - "$W/in" <<'PYEOF'
import struct, sys, math
d = sys.argv[1]
def wav(path, rate, samples, fmt):  # fmt 1 = PCM 16, 3 = float 32; mono
    if fmt == 3:
        data = b"".join(struct.pack("<f", v) for v in samples); bits = 32
    else:
        data = b"".join(struct.pack("<h", int(v * 32767)) for v in samples); bits = 16
    ba = bits // 8
    hdr = b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVEfmt " + struct.pack("<IHHIIHH", 16, fmt, 1, rate, rate * ba, ba, bits)
    open(path, "wb").write(hdr + b"data" + struct.pack("<I", len(data)) + data)
x = [0.3 * math.sin(2 * math.pi * 440 * i / 48000) for i in range(48000)]
x[24000] = 1e30
wav(d + "/huge.wav", 48000, x, 3)
wav(d + "/onesample.wav", 44100, [0.5], 1)
wav(d + "/onehz.wav", 1, [0.5, -0.5] * 5, 1)
PYEOF
expect_error "sample of 1e30" "huge.wav: sample value 1e+30 at 0.500 s is out of range.*rescale the file" "$B" -- \
    "$CS" analyze "$W/in/huge.wav" -o "$B"
expect_error "1 sample at --rate 8000" "onesample.wav: 1 frame(s) at 44100 Hz resample to no frame at --rate 8000" \
    "$B" -- "$CS" analyze "$W/in/onesample.wav" --rate 8000 -o "$B"
expect_error "1 Hz file" "onehz.wav: its sample rate 1 Hz cannot be resampled to --rate 48000.*resample the file first" \
    "$B" -- "$CS" analyze "$W/in/onehz.wav" -o "$B"

# a truncated Ogg (libsndfile reports 2^63 - 1 frames) decodes what it holds, with a warning naming it
OGG=$(ls /usr/share/games/lincity-ng/music/default/*.ogg 2>/dev/null | head -n 1)
if [ -n "$OGG" ]; then
    head -c 12000 "$OGG" >"$W/in/cut.ogg"
    err=$("$CS" analyze "$W/in/cut.ogg" -o "$B" --clusters 2 2>&1 >/dev/null)
    check "truncated Ogg analysed" [ $? -eq 0 ] && [ -f "$B/audio.wav" ]
    check "truncated Ogg: one warning naming it" grep -q "cut.ogg: .*only [0-9]* decode.*truncated" <<<"$err"
    check "truncated Ogg: the manifest counts the frames that decoded" \
        "$PY" -c 'import json, sys; s = json.load(open(sys.argv[1]))["sources"][0]; sys.exit(not (0 < s["original_frames"] < 2**40))' "$B/corpus.json"
    rm -rf "$B"
fi

# a non-audio file inside a folder is skipped with a warning, and the bundle is built
err=$("$CS" analyze "$W/mixed" -o "$B" --clusters 4 2>&1 >/dev/null)
check "skip non-audio with a warning" [ $? -eq 0 ]
check "warning names the file" grep -q "readme.txt: not an audio file" <<<"$err"
check "bundle from the mixed folder" "$PY" "$SRC/tests/scripts/check_bundle.py" "$B" --sources 1

# a digitally silent file inside a folder is skipped with a warning; an error with --strict, or when it is the
# only source (named directly it is always an error, above)
mkdir -p "$W/withsilence" "$W/onlysilence" && cp "$A" "$W/withsilence/a.wav" &&
    cp "$W/in/silence.wav" "$W/withsilence/b.wav" && cp "$W/in/silence.wav" "$W/onlysilence/"
err=$("$CS" analyze "$W/withsilence" -o "$W/ws.corpus" --clusters 4 2>&1 >/dev/null)
check "silent file in a folder: bundle built" [ $? -eq 0 ]
check "silent file in a folder: warned" grep -q "withsilence/b.wav: digital silence, skipped" <<<"$err"
check "silent file in a folder: one source" "$PY" "$SRC/tests/scripts/check_bundle.py" "$W/ws.corpus" --sources 1
expect_error "silent file in a folder with --strict" "b.wav: digital silence" "$W/ws2.corpus" -- \
    "$CS" analyze "$W/withsilence" --strict -o "$W/ws2.corpus"
expect_error "only a silent file in a folder" "onlysilence/silence.wav: digital silence" "$W/ws3.corpus" -- \
    "$CS" analyze "$W/onlysilence" -o "$W/ws3.corpus"

# an existing bundle is not overwritten without --force, and is kept intact
before=$(md5sum "$B/units.wav")
expect_error "exists" "already exists" "" -- "$CS" analyze "$A" -o "$B"
check "existing bundle untouched" [ "$(md5sum "$B/units.wav")" = "$before" ]
check "--force replaces" "$CS" analyze "$A" -o "$B" --force --clusters 3 --quiet
check "forced bundle is new" "$PY" "$SRC/tests/scripts/check_bundle.py" "$B" --labels 3
check "no temporary folder left" bash -c "! ls -a '$W' | grep -q partial"

# a failing run with --force keeps the old bundle
before=$(md5sum "$B/units.wav")
"$CS" analyze "$W/in/nan.wav" -o "$B" --force 2>/dev/null
check "failed --force keeps the old bundle" [ "$(md5sum "$B/units.wav")" = "$before" ]

# a full disk: a file-size limit makes the writes fail (EFBIG); SIGXFSZ is ignored so the program sees it
"$PY" -c "
import sys; sys.path.insert(0, '$SRC/tests/scripts')
import numpy as np; from wavio import write_wav
write_wav('$W/long.wav', 0.3*np.sin(np.arange(48000*20)*0.05)*np.sin(np.arange(48000*20)*0.0003), 48000, 1, 'float')"
expect_error "full disk" "write failed" "$W/full.corpus" -- bash -c "trap '' XFSZ; ulimit -f 2000; exec '$CS' analyze '$W/long.wav' -o '$W/full.corpus'"

# an unwritable output folder (as an unprivileged user when we are root, since root writes anywhere)
mkdir -p "$W/ro" && chmod 555 "$W/ro"
if [ "$(id -u)" = 0 ]; then
    chmod 755 "$W" "$W/in"; chmod 644 "$A"
    if command -v setpriv >/dev/null && setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
        expect_error "unwritable folder" "not writable" "$W/ro/x.corpus" -- \
            setpriv --reuid=65534 --regid=65534 --clear-groups "$CS" analyze "$A" -o "$W/ro/x.corpus"
        cp "$A" "$W/secret.wav" && chmod 600 "$W/secret.wav"
        expect_error "unreadable file" "secret.wav: no such file or folder, or not readable" "$W/ro/y.corpus" -- \
            setpriv --reuid=65534 --regid=65534 --clear-groups "$CS" analyze "$W/secret.wav" -o "$W/ro/y.corpus"
    else
        echo "skipped: unwritable/unreadable checks need setpriv to drop root"
    fi
else
    expect_error "unwritable folder" "not writable" "$W/ro/x.corpus" -- "$CS" analyze "$A" -o "$W/ro/x.corpus"
    cp "$A" "$W/secret.wav" && chmod 000 "$W/secret.wav"
    expect_error "unreadable file" "secret.wav" "$W/y.corpus" -- "$CS" analyze "$W/secret.wav" -o "$W/y.corpus"
fi

# an interrupted run leaves nothing behind, wherever SIGINT lands: tests/scripts/interrupt_run.py lets the run
# print exactly the progress lines given, waits until it blocks in the next one (so the point does not depend on
# the machine's speed) and signals the pid it started: after the decode (the audio streamed into the temporary
# folder) and after units.wav (the manifest and the commit still to come)
"$PY" -c "
import sys; sys.path.insert(0, '$SRC/tests/scripts')
import numpy as np; from wavio import write_wav
write_wav('$W/huge.wav', 0.3*np.sin(np.arange(44100*30)*0.05), 44100, 1, 'float')"
printf 'progress write 0 3 %s\n' "$W/int.corpus" > "$W/int1.lines"
printf 'progress write 0 3 %s\nprogress decode 1 1 %s\nprogress analyze 0 1 %s\nprogress analyze 1 1 \nprogress cluster 0 1 kmeans\nprogress cluster 1 1 kmeans\nprogress write 1 3 audio.wav\n' \
    "$W/int.corpus" "$W/huge.wav" "$W/huge.wav" > "$W/int2.lines"
for point in "1 audio.wav" "2 audio.wav units.wav"; do
    read -r n files <<<"$point"
    r=$("$PY" "$SRC/tests/scripts/interrupt_run.py" "$W/int$n.lines" "$W/int.corpus" -- \
        "$CS" analyze "$W/huge.wav" -o "$W/int.corpus" --resample-quality 0 --clusters 4 --progress lines)
    echo "interrupt $n: $r"
    check "interrupt $n: the run printed exactly those lines and blocked in the next" "$PY" -c "
import json,sys; r=json.loads(sys.argv[1]); sys.exit(not (r['blocked'] and r['lines'] == open(sys.argv[2]).read().splitlines()))" "$r" "$W/int$n.lines"
    check "interrupt $n: SIGINT landed mid-write (a temporary folder holding $files)" "$PY" -c "
import json,sys; p=json.loads(sys.argv[1])['partial']; sys.exit(not (len(p) == 1 and set(sys.argv[2:]) <= set(*p.values()) and 'corpus.json' not in list(p.values())[0]))" "$r" $files
    check "interrupt $n: exit status 130 (128 + SIGINT)" "$PY" -c "import json,sys; sys.exit(json.loads(sys.argv[1])['rc'] != 130)" "$r"
    check "interrupt $n: at most one line on stderr" "$PY" -c "import json,sys; sys.exit(len(json.loads(sys.argv[1])['stderr'].splitlines()) > 1)" "$r"
    check "interrupt $n: no bundle" "$PY" -c "import json,sys; sys.exit(json.loads(sys.argv[1])['bundle_after'])" "$r"
    check "interrupt $n: no temporary folder" "$PY" -c "import json,sys; sys.exit(len(json.loads(sys.argv[1])['partial_after']) > 0)" "$r"
    check "interrupt $n: nothing else beside the sources" bash -c "! ls -a '$W' | grep -q 'int\.corpus'"
done

# `--` ends the options of every command: a file whose name starts with - is a path after it, never an option
# (so "--force" as a source is a file of that name, and an existing bundle is not replaced)
mkdir -p "$W/dash" && cp "$A" "$W/dash/-x.wav"
(
    cd "$W/dash" || exit 1
    expect_error "a source named -x.wav without --" "unknown option -x.wav .*goes after --" "" -- \
        "$CS" analyze -x.wav -o "$W/dash/never.corpus"
    check "analyze -o B -- -x.wav" "$CS" analyze -o "$W/dash/-d.corpus" --clusters 3 --quiet -- -x.wav
    check "  the bundle's source is -x.wav" "$PY" -c \
        "import json,sys; s=json.load(open(sys.argv[1]))['sources']; sys.exit(not (len(s)==1 and s[0]['path'].endswith('/dash/-x.wav')))" \
        "$W/dash/-d.corpus/corpus.json"
    before=$(md5sum "$W/dash/-d.corpus/units.wav")
    expect_error "a source named --force after --" "\./--force: no such file" "$W/dash/new.corpus" -- \
        "$CS" analyze -o "$W/dash/new.corpus" -- --force -x.wav
    expect_error "  onto an existing bundle" "-d.corpus: already exists" "" -- \
        "$CS" analyze -o "$W/dash/-d.corpus" -- --force -x.wav
    check "  the bundle was not forced" [ "$(md5sum "$W/dash/-d.corpus/units.wav")" = "$before" ]
    check "info -- -d.corpus" bash -c "'$CS' info -- -d.corpus | grep -q '^bundle .*-d.corpus'"
    check "train -- -d.corpus" "$CS" train --arch gru --epochs 2 --hidden 16 --quiet -- -d.corpus
    check "eval -- -d.corpus" bash -c "'$CS' eval -- -d.corpus > /dev/null"
    check "sample -- -d.corpus" bash -c "'$CS' sample -n 4 -- -d.corpus > /dev/null"
    check "plot -- -d.corpus" "$CS" plot -o "$W/dash/p.svg" -- -d.corpus
    cp -- -d.corpus/model.wav -m.wav
    check "export-json -- -m.wav" "$CS" export-json -o "$W/dash/-m.json" -- -m.wav
    check "import-json -- -m.json" "$CS" import-json -o "$W/dash/m2.wav" -- -m.json
    check "  the same model back" cmp -s -- -m.wav m2.wav
    expect_error "info: a word after -- is a path" "\./--units" "" -- "$CS" info -- --units
    echo "$passed $failed" > "$W/dash/counts"
)
read -r p f < "$W/dash/counts" && passed=$p && failed=$f

# a manifest whose unit count is not the table's (fuzz_manifest: -1 was converted to unsigned, undefined; 2^32 + N
# wrapped to N and was taken): refused in one line, whatever the number
for n in -1 4294967296+N 1e300 N+0.5; do
    rm -rf "$W/units.corpus" && cp -r "$B" "$W/units.corpus"
    "$PY" -c 'import json, sys
p = sys.argv[1]; m = json.load(open(p)); N = m["units"]
m["units"] = eval(sys.argv[2], {"N": N})
json.dump(m, open(p, "w"))' "$W/units.corpus/corpus.json" "$n"
    expect_error "manifest units $n" "disagree on the number of units" "" -- "$CS" info "$W/units.corpus"
done
