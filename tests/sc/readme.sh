#!/bin/bash
# The README's commands and examples, run as a reader would: the install line into a private home's
# ~/.local/share/SuperCollider/Extensions, every `concatseq` line of its sh blocks (with that home's ~), and
# every supercollider block on a real scsynth (booted by sclang on a private dummy JACK server) through the
# chunk runner of tests/sc/help_examples.scd: no error, no warning. The `make` and build lines are what CI runs
# (make test) and what tests/sc/demo_short.sh runs (the demo script); any other new kind of line fails here
# until this test knows how to run it.
source "$(dirname "$0")/sclang_env.bash"
BUILD=$(cd "$PLUGIN_DIR/../.." && pwd)
export HOME="$HOME_FOR_SCLANG"
EXTDIR="$HOME/.local/share/SuperCollider/Extensions"
rm -rf "$EXTDIR/ConcatSeq"
printf 'includePaths:\n  []\nexcludePaths:\n  []\npostInlineWarnings: false\n' > "$CONF"

# the sh blocks, line by line
"$PY" - "$SRC/README.md" > "$W/sh_lines.txt" << 'PYEOF'
import re, sys
text = open(sys.argv[1]).read()
for block in re.findall(r"```sh\n(.*?)```", text, re.S):
    for line in block.splitlines():
        line = line.split("  #")[0].rstrip()
        if line:
            print(line)
PYEOF
check "README has sh lines" [ -s "$W/sh_lines.txt" ]
# One shell script of the lines a user types, in the README's order, run by one bash with only what a user's
# login has (HOME and the system PATH; nothing of the build tree): a line that needs a PATH the README does not
# set fails here. The install line names the build tree of this test instead of ./build.
n=0
n_cs=0
: > "$W/readme_lines.sh"
while IFS= read -r line; do
    case "$line" in
        "make demo"*|"make test"*) echo "covered elsewhere (CI runs make test; demo_short.sh runs the demo): $line" ;;
        "cmake -S . -B build"*|"cmake --build"*|"ctest --test-dir build"*|"cmake -S . -B build-asan"*)
            echo "covered elsewhere (make test builds both trees and runs ctest): $line" ;;
        "cmake --install build "* | "concatseq "* | "export PATH="*)
            n=$((n + 1))
            case "$line" in "concatseq "*) n_cs=$((n_cs + 1)) ;; esac
            line=${line/cmake --install build /cmake --install $BUILD }
            printf '%s > %q 2>&1\necho "LINE %d status $?"\n' "$line" "$W/line_$n.log" "$n" >> "$W/readme_lines.sh"
            echo "$line" > "$W/line_$n.txt" ;;
        *) not_ok "README: no test knows how to run: $line" ;;
    esac
done < "$W/sh_lines.txt"
mkdir -p "$W/run"
(cd "$W/run" && env -i HOME="$HOME" PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 \
    bash --noprofile --norc "$W/readme_lines.sh") > "$W/readme_lines.out" 2>&1
for i in $(seq "$n"); do
    check "README: $(cat "$W/line_$i.txt")" grep -qx "LINE $i status 0" "$W/readme_lines.out"
    grep -qx "LINE $i status 0" "$W/readme_lines.out" || sed 's/^/    /' "$W/line_$i.log" | head -5 >&2
done
check "README install: the CLI is in ConcatSeq/bin" test -x "$EXTDIR/ConcatSeq/bin/concatseq"
check "README install: UGens and classes" test -f "$EXTDIR/ConcatSeq/SeqPredict.so" -a -f "$EXTDIR/ConcatSeq/Classes/ConcatCorpus.sc" -a -f "$EXTDIR/ConcatSeq/Classes/tidal/ConcatSeqParams.hs"
check "README install: help" test -f "$EXTDIR/ConcatSeq/HelpSource/Guides/ConcatSeq_Guide.schelp"
check "README: $n_cs concatseq lines ran" [ "$n_cs" -ge 15 ]
check "README: a11.corpus and its model exist for the sclang examples" test -s "$HOME/a11.corpus/model.wav"

# the supercollider blocks, as a guide for the chunk runner
mkdir -p "$W/Guides"
"$PY" - "$SRC/README.md" "$W/Guides/README.schelp" << 'PYEOF'
import re, sys
text = open(sys.argv[1]).read()
blocks = re.findall(r"```supercollider\n(.*?)```", text, re.S)
with open(sys.argv[2], "w") as f:
    f.write("title:: README\nsummary:: the README's examples\n\nsection:: examples\n")
    for b in blocks:
        f.write("code::\n" + b + "::\n")
print(len(blocks), "blocks")
PYEOF
start_jack readme
STOP_PID_LOGS=("$W/sclang.log" "$W/readme.log")
run_examples "$W/readme.log" 240 "$W/Guides/README.schelp"
check "README sclang examples: corpus and model loaded" grep -q "^SeqModel(" "$W/readme.log"
check "README sclang examples: no UGen message" test "$(grep -cE 'SeqPredict:|ConcatPlay:' "$W/readme.log")" = 0
