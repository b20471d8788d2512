#!/bin/bash
# ConcatListen's help examples on a real scsynth (booted by sclang on a private dummy JACK server, the extension
# installed in a private user Extensions folder), chunk by chunk as a user runs them (tests/sc/help_examples.scd),
# with a11wlk01.wav standing in for the microphone: no error, no warning, no server failure, the corpus built,
# events heard and posted, and no ConcatListen message (the corpus was usable throughout).
source "$(dirname "$0")/sclang_env.bash"
ext=$(install_private_extension)
start_jack concatlisten_help
STOP_PID_LOGS=("$W/sclang.log" "$W/examples.log")
run_examples "$W/examples.log" 200 "$SRC/HelpSource/Classes/ConcatListen.schelp"
check "examples: the corpus was built" grep -q "ConcatCorpus(" "$W/examples.log"
check "examples: events were heard ($(grep -c '^label ' "$W/examples.log") posted)" grep -q "^label [0-9]" "$W/examples.log"
check "examples: no ConcatListen message" test "$(grep -c 'ConcatListen:' "$W/examples.log")" = 0
