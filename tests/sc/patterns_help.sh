#!/bin/bash
# patterns_help.sh - the help of the pattern, live and Tidal classes: every .schelp of them parses and renders with
# SCDoc without a warning and documents every public method; and the examples of the two guides
# (ConcatSeq_Patterns, ConcatSeq_Tidal) and of the class pages run on a real scsynth (booted by headless sclang on
# a private dummy JACK server), chunk by chunk as a user runs them, with no error: the corpus and model are
# built, the NRT example renders. Reuses the runner of tests/sc/help_examples.sh (help_examples.scd) and the
# environment of seqpredict_env.bash (read, not changed).
source "$(dirname "$0")/sclang_env.bash"

ours="SeqModelLang ConcatSeqRng Pseqpredict Pconcatunit ConcatSeqSelector ConcatSeqPatternCache ConcatSeqUnit ConcatSeqLive ConcatSeq ConcatSeqDirtVoice ConcatSeqGuide"
# an installed-style extension in the private home, where sclang and scsynth look by default
ext=$(install_private_extension)
export CONCATSEQ="${CONCATSEQ:-$CS}"

# ---- (1) SCDoc: parse and render (help_schelp.scd), then look at our files only
run_sclang 170 "$SRC/tests/sc/help_schelp.scd" "$ext" "$W/help"
cp "$W/sclang.log" "$W/docs.log"
check "SCDoc: finished" grep -q "DOCS DONE" "$W/docs.log"
for c in $ours; do
    check "SCDoc: $c.schelp exists" test -f "$SRC/HelpSource/Classes/$c.schelp"
    check "SCDoc: $c rendered" grep -q "^DOC Classes/$c\$" "$W/docs.log"
    check "SCDoc: every public method of $c documented" bash -c "! grep -q '^UNDOCUMENTED $c ' '$W/docs.log'"
done
for g in ConcatSeq_Patterns ConcatSeq_Tidal; do
    check "SCDoc: guide $g rendered" grep -q "^DOC Guides/$g\$" "$W/docs.log"
done
# warnings and errors that name our files (SCDoc names the file it warns about)
pat_files="SeqModelLang|ConcatSeqGuide|ConcatSeqRng|Pseqpredict|Pconcatunit|ConcatSeqSelector|ConcatSeqPatternCache|ConcatSeqUnit|ConcatSeqLive|ConcatSeqDirtVoice|ConcatSeq\.schelp|ConcatSeq_Patterns|ConcatSeq_Tidal|ConcatCorpus\.ext"
check "SCDoc: no warning or error about our help files" \
    test "$(grep -iE 'WARNING|ERROR' "$W/docs.log" | grep -cE "$pat_files")" = 0
grep -iE "WARNING|ERROR|UNDOCUMENTED" "$W/docs.log" | grep -E "$pat_files" | sed 's/^/  /' | head -20

# ---- (2) the examples on a real server
start_jack pathelp
STOP_PID_LOGS=("$W/sclang.log" "$W/examples.log")
files=("$SRC/HelpSource/Guides/ConcatSeq_Patterns.schelp" "$SRC/HelpSource/Guides/ConcatSeq_Tidal.schelp")
for c in $ours; do files+=("$SRC/HelpSource/Classes/$c.schelp"); done
run_examples "$W/examples.log" 420 "${files[@]}"
check "examples: the guide's corpus and model were built" grep -q "^ready: ConcatCorpus(" "$W/examples.log"
check "examples: the guide's NRT example rendered" grep -q "^rendered" "$W/examples.log"
