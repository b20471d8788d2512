#!/bin/bash
# Help files: every .schelp in HelpSource (Classes and Guides) is indexed, parsed and rendered to HTML by SCDoc
# from an installed-style private extension folder (ConcatSeq/{Classes, HelpSource, *.so}); any SCDoc warning or
# parse error fails, and so does a public method of any of our classes without documentation (pr... methods are
# private). The examples run in tests/sc/help_examples.sh and tests/sc/patterns_help.sh.
source "$(dirname "$0")/sclang_env.bash"

# an installed-style extension in the private home, where sclang and scsynth look by default
ext=$(install_private_extension)

# ---- (1) SCDoc
run_sclang 170 "$SRC/tests/sc/help_schelp.scd" "$ext" "$W/help"
rc=$?
cp "$W/sclang.log" "$W/docs.log"
ndocs=$(find "$SRC/HelpSource" -name '*.schelp' ! -name '*.ext.schelp' | wc -l)  # *.ext.schelp merge into their class's document
check "SCDoc: sclang finished (status $rc)" test $rc -eq 0
check "SCDoc: all $ndocs help files rendered" grep -q "DOCS DONE $ndocs" "$W/docs.log"
# warnings and errors after indexing (the index step itself reports on other packages' files)
sed -n '/^INDEXED/,$p' "$W/docs.log" > "$W/docs.ours.log"
check "SCDoc: no warning or error in our help files" test "$(grep -ciE 'WARNING|ERROR' "$W/docs.ours.log")" = 0
check "SCDoc: no warning about our files while indexing" \
    test "$(grep -iE 'WARNING|ERROR' "$W/docs.log" | grep -c 'ConcatSeq')" = 0
check "SCDoc: every public method of every class documented" bash -c "! grep -q '^UNDOCUMENTED' '$W/docs.ours.log'"
grep -iE "WARNING|ERROR|UNDOCUMENTED" "$W/docs.ours.log" | sed 's/^/  /' | head -20

pages=$(find "$SRC/HelpSource" -name '*.schelp' ! -name '*.ext.schelp')
check "every help page is under Libraries>ConcatSeq" test -z "$(grep -iL '^categories:: *Libraries>ConcatSeq' $pages)"
check "no help example writes a fixed name into the temporary folder or forces an overwrite" \
    test -z "$(grep -lE 'defaultTempDir \+/\+|force: true\), *\{' $pages)"
