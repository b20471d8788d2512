#!/usr/bin/env bash
# Writing a bundle is atomic and loses nothing (BUNDLE.md "Writing"): the folder gets the umask's permissions;
# --force keeps files analyze did not write (a trained model) and leaves no hidden copy; a signal during the
# commit leaves a bundle at the output path; a folder or a second run that appears at the output path while a
# run writes makes that run fail; a partial folder of a killed run is removed by the next run; a unit table
# whose header counts more than the file holds is refused before anything is allocated from it.
# strace injects the signals and delays at exact system calls; each case also runs with the fallback used on
# filesystems without renameat2 (CONCATSEQ_TEST_NO_RENAMEAT2).
. "$(dirname "$0")/common.bash"

"$PY" "$SRC/tests/scripts/make_audio.py" "$W/in" || { not_ok "make_audio"; exit 1; }
A="$W/in/tones.wav"
run() { "$CS" analyze "$A" --clusters 3 --quiet "$@"; }
partials() { ls -A "$W" | grep -c "^\.${1:-}.*\.partial-"; } # partials [NAME]: hidden partial folders (of NAME)
no_partials() { [ "$(partials)" -eq 0 ]; }

# --- permissions: an ordinary folder (0777 less the umask), as model files are ordinary files
(umask 022 && run -o "$W/p022")
check "umask 022 gives a 755 bundle" [ "$(stat -c %a "$W/p022")" = 755 ]
(umask 027 && run -o "$W/p027")
check "umask 027 gives a 750 bundle" [ "$(stat -c %a "$W/p027")" = 750 ]

have_strace=
strace -f -qq -o /dev/null true 2>/dev/null && have_strace=1
for fallback in "" 1; do
    export CONCATSEQ_TEST_NO_RENAMEAT2=$fallback
    [ -z "$fallback" ] && unset CONCATSEQ_TEST_NO_RENAMEAT2
    tag=${fallback:+" (fallback)"}
    rm -rf "$W"/b* "$W"/.b*

    # --- A2: --force over a bundle holding a trained model keeps the model in the bundle, hides nothing
    run -o "$W/b2"
    cp "$A" "$W/b2/model.wav" && echo "notes" >"$W/b2/notes.txt"
    sum=$(md5sum <"$W/b2/model.wav")
    err=$("$CS" analyze "$A" --clusters 4 --force -o "$W/b2" 2>&1 >/dev/null)
    check "--force over a bundle with a model succeeds$tag" [ $? -eq 0 ]
    check "--force keeps model.wav in the bundle$tag" [ "$(md5sum <"$W/b2/model.wav")" = "$sum" ]
    check "--force keeps notes.txt in the bundle$tag" [ "$(cat "$W/b2/notes.txt")" = notes ]
    check "--force says it kept model.wav$tag" grep -q "model.wav: not written by analyze: kept" <<<"$err"
    check "--force wrote the new bundle$tag" "$PY" "$SRC/tests/scripts/check_bundle.py" "$W/b2" --labels 4 --allow model.wav,notes.txt
    check "--force leaves no hidden copy$tag" no_partials
    mkdir "$W/b2/renders"
    expect_error "--force over a bundle with a sub-folder$tag" "holds the folder 'renders'" "" -- \
        "$CS" analyze "$A" --force -o "$W/b2"
    check "refused --force keeps the bundle$tag" [ -d "$W/b2/renders" ] && [ "$(md5sum <"$W/b2/model.wav")" = "$sum" ]
    rmdir "$W/b2/renders"

    if [ -z "$have_strace" ]; then
        echo "skipped: the signal and race cases need strace (and ptrace permitted)"
        continue
    fi

    # --- A3: SIGINT at each rename of a --force commit (the call fails, the signal arrives as it returns)
    for when in 1 2; do
        run -o "$W/b3" --force
        strace -f -qq -o /dev/null -e trace=rename,renameat,renameat2 \
            -e inject=rename,renameat,renameat2:error=EINTR:signal=SIGINT:when=$when \
            "$CS" analyze "$A" --clusters 4 --quiet --force -o "$W/b3" 2>/dev/null
        check "SIGINT at rename $when of --force: a bundle is at the output$tag" \
            "$PY" "$SRC/tests/scripts/check_bundle.py" "$W/b3"
        check "SIGINT at rename $when of --force: no hidden copy$tag" no_partials
    done

    # --- A4: a folder made at the output path during the write phase is never replaced
    rm -rf "$W/b4"
    strace -f -qq -o /dev/null -e trace=mkdir -e inject=mkdir:delay_exit=1500000 \
        "$CS" analyze "$A" --clusters 3 --quiet -o "$W/b4" 2>"$W/b4.err" &
    spid=$!
    # (the polls wait for the partial folder itself, at most 60 s: strace -f slows the analysis on a busy machine)
    for _ in $(seq 1200); do [ "$(partials b4)" -gt 0 ] && break; sleep 0.05; done
    mkdir "$W/b4" && echo mine >"$W/b4/mine.txt"
    wait $spid
    check "a folder made meanwhile: the run fails$tag" [ $? -ne 0 ]
    check "a folder made meanwhile: one-line error$tag" \
        bash -c "[ \$(grep -c . '$W/b4.err') = 1 ] && grep -q 'b4: already exists' '$W/b4.err'"
    check "a folder made meanwhile is untouched$tag" [ "$(ls -A "$W/b4")" = mine.txt ]
    check "a folder made meanwhile: no hidden copy$tag" no_partials

    # ... and with --force, a folder made meanwhile that is not a bundle is refused, not replaced
    rm -rf "$W/b8"
    strace -f -qq -o /dev/null -e trace=mkdir -e inject=mkdir:delay_exit=1500000 \
        "$CS" analyze "$A" --clusters 3 --quiet --force -o "$W/b8" 2>"$W/b8.err" &
    spid=$!
    for _ in $(seq 1200); do [ "$(partials b8)" -gt 0 ] && break; sleep 0.05; done
    mkdir "$W/b8" && echo mine >"$W/b8/mine.txt"
    wait $spid
    check "--force, a folder made meanwhile: the run fails$tag" [ $? -ne 0 ]
    check "--force, a folder made meanwhile: refused$tag" grep -q "b8: exists and is not a ConcatSeq bundle" "$W/b8.err"
    check "--force, a folder made meanwhile is untouched$tag" [ "$(ls -A "$W/b8")" = mine.txt ]
    check "--force, a folder made meanwhile: no hidden copy$tag" no_partials

    # --- A5: two runs to one output, neither with --force: exactly one wins, the other gets one line
    rm -rf "$W/b5"
    strace -f -qq -o /dev/null -e trace=mkdir -e inject=mkdir:delay_exit=1500000 \
        "$CS" analyze "$A" --clusters 3 --quiet -o "$W/b5" 2>"$W/b5.err" &
    spid=$!
    for _ in $(seq 1200); do [ "$(partials b5)" -gt 0 ] && break; sleep 0.05; done
    "$CS" analyze "$A" --clusters 5 --quiet -o "$W/b5"
    first=$?
    wait $spid
    second=$?
    check "two runs: the one that finished first wins$tag" [ $first -eq 0 ]
    check "two runs: the other fails$tag" [ $second -ne 0 ]
    check "two runs: the loser's error is one line$tag" \
        bash -c "[ \$(grep -c . '$W/b5.err') = 1 ] && grep -q 'b5: already exists' '$W/b5.err'"
    check "two runs: the winner's bundle stands$tag" "$PY" "$SRC/tests/scripts/check_bundle.py" "$W/b5" --labels 5
    check "two runs: no hidden copy$tag" no_partials

    # --- A6: SIGKILL in the write phase; the next run removes the dead run's partial folder and says so
    rm -rf "$W/b6"
    # hold the run at the commit, all files written: the renameat2, or in the fallback the mkdir of the output
    # (the second mkdir; the first made the partial folder)
    hold="trace=rename,renameat2 -e inject=rename,renameat2:delay_enter=10000000"
    [ -n "$fallback" ] && hold="trace=mkdir -e inject=mkdir:delay_enter=10000000:when=2"
    # shellcheck disable=SC2086
    strace -f -qq -o /dev/null -e $hold \
        sh -c 'echo $$ >"$0/b6.pid"; exec "$@"' "$W" "$CS" analyze "$A" --clusters 3 --quiet -o "$W/b6" &
    spid=$!
    for _ in $(seq 1200); do ls "$W"/.b6.partial-*/corpus.json >/dev/null 2>&1 && break; sleep 0.05; done
    kill -KILL "$(cat "$W/b6.pid")"
    wait $spid 2>/dev/null
    check "SIGKILL in the write phase left a partial folder$tag" [ "$(partials b6)" -eq 1 ]
    err=$("$CS" analyze "$A" --clusters 3 -o "$W/b6" 2>&1 >/dev/null)
    check "the next run succeeds$tag" [ $? -eq 0 ]
    check "the next run says it removed the partial folder$tag" grep -q "removed: a partial bundle left by" <<<"$err"
    check "the next run leaves no partial folder$tag" no_partials
done
unset CONCATSEQ_TEST_NO_RENAMEAT2

# --- A7: counts in units.wav are checked against what the file holds before anything is allocated
run -o "$W/b7"
cp -r "$W/b7" "$W/b7src" && cp -r "$W/b7" "$W/b7cut"
"$PY" -c "
import sys; sys.path.insert(0, '$SRC/tests/scripts')
from wavio import read_wav, write_wav
t, sr = read_wav('$W/b7src/units.wav')[:2]
t = t.reshape(-1).copy()
t[11] = 16777215.0  # header field 11: number of sources
write_wav('$W/b7src/units.wav', t, sr, 1, 'float')
raw = open('$W/b7cut/units.wav', 'rb').read()
open('$W/b7cut/units.wav', 'wb').write(raw[:len(raw) // 2])  # the data chunk still counts every frame
"
# 400 MB of address space: an allocation from the bad count would fail here (not under AddressSanitizer, which
# reserves terabytes of shadow memory; there the message alone is checked)
limit="ulimit -v 400000;"
ldd "$CS" 2>/dev/null | grep -q libasan && limit=
for cmd in info train eval; do
    expect_error "$cmd: 16777215 sources in a small table" "16777215 sources do not match" "" -- \
        bash -c "$limit exec '$CS' $cmd '$W/b7src'"
done
expect_error "info: a truncated unit table" "units.wav: unit table is truncated" "" -- \
    "$CS" info "$W/b7cut"
