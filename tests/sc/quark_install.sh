#!/bin/bash
# ConcatSeq as a Quark (ConcatSeq.quark at the repository root), in a private home: Quarks.install of a checkout
# (the repository's files, in a folder named ConcatSeq as a clone would be) adds it to sclang's include paths,
# and the next sclang (a recompile) compiles the classes and finds the help and the Tidal file there. Without the
# server plugins and the program, class-library start-up says so in exactly one line naming the missing files
# and the build/install commands (no stack trace, no other error); with them in the user's Extensions folder
# (the layout of `cmake --install` with -DCONCATSEQ_INSTALL_CLASSES=OFF, which installs no classes) it says
# nothing. The option itself is checked in a fresh CMake configuration.
source "$(dirname "$0")/sclang_env.bash"
command -v git > /dev/null || skip "git not installed (the checkout is made from git ls-files)"
Q=$W/ConcatSeq
mkdir -p "$Q"
(cd "$SRC" && git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$Q") ||
    { not_ok "copy the checkout"; exit 1; }
check "the checkout has ConcatSeq.quark" test -f "$Q/ConcatSeq.quark"
check "the checkout holds no .sc file outside sc-classes (each would compile, duplicates fail)" \
    test -z "$(cd "$Q" && find . -name '*.sc' -not -path './sc-classes/*')"
printf 'includePaths:\n  []\nexcludePaths:\n  []\npostInlineWarnings: false\n' > "$CONF"
unset CONCATSEQ
export PATH=/usr/bin:/bin

run_sclang 90 "$SRC/tests/sc/quark_install.scd" install "$Q"
rc=$?
L=$W/quark_install.scd.log
grep -E 'FAILED|QUARK-RESULT|WATCHDOG' "$L" | sed 's/^/  /'
check "install: sclang finished (status $rc)" test $rc -eq 0
check "install: its checks passed" grep -q '^QUARK-RESULT [1-9][0-9]* passed, 0 failed' "$L"
check "install: the configuration names the checkout" grep -q "$Q" "$CONF"

run_sclang 90 "$SRC/tests/sc/quark_install.scd" check "$Q"
rc=$?
cp "$L" "$W/check_missing.log"
grep -E 'FAILED|QUARK-RESULT|WATCHDOG|WARNING|ERROR' "$L" | sed 's/^/  /'
check "recompile: sclang finished (status $rc)" test $rc -eq 0
check "recompile: its checks passed" grep -q '^QUARK-RESULT [1-9][0-9]* passed, 0 failed' "$L"
check "recompile: no class-library error, no stack trace" \
    test "$(grep -cE '^ERROR|CALL STACK|Duplicate|not understood' "$L")" = 0
check "missing plugins and program: exactly one line" test "$(grep -c '^WARNING: ConcatSeq: ' "$L")" = 1
line=$(grep '^WARNING: ConcatSeq: ' "$L")
for what in ConcatPlay.so SeqPredict.so ConcatListen.so "the concatseq program" \
    "-DCONCATSEQ_INSTALL_CLASSES=OFF" "cmake --install build --prefix"; do
    check "the line names $what" grep -qF -- "$what" <<<"$line"
done
check "the plugins are reported missing" grep -q '^MISSING ConcatPlay,SeqPredict,ConcatListen$' "$L"

# the CMake install's layout for a Quark: plugins and program in the user's Extensions folder, no classes
E=$HOME_FOR_SCLANG/.local/share/SuperCollider/Extensions/ConcatSeq
mkdir -p "$E/bin" && cp "$PLUGIN_DIR"/*.so "$E/" && cp "${CS:?}" "$E/bin/concatseq"
run_sclang 90 "$SRC/tests/sc/quark_install.scd" check "$Q"
rc=$?
check "installed: sclang finished (status $rc)" test $rc -eq 0
check "installed: its checks passed" grep -q '^QUARK-RESULT [1-9][0-9]* passed, 0 failed' "$L"
check "installed: nothing reported missing" test "$(grep -c 'WARNING' "$L")" = 0
check "installed: the plugins are found" grep -q '^MISSING $' "$L"

# -DCONCATSEQ_INSTALL_CLASSES=OFF installs no classes and no help; the default does
for opt in OFF ON; do
    cmake -S "$SRC" -B "$W/cfg$opt" -DCONCATSEQ_INSTALL_CLASSES=$opt > "$W/cfg$opt.log" 2>&1 ||
        { not_ok "cmake configure with CONCATSEQ_INSTALL_CLASSES=$opt"; continue; }
done
check "OFF: no classes in the install" bash -c "! grep -rq 'sc-classes\|HelpSource' '$W/cfgOFF' --include=cmake_install.cmake"
check "ON: the classes in the install" grep -rq 'sc-classes' "$W/cfgON" --include=cmake_install.cmake
