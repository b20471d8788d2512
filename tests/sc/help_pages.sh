#!/bin/bash
# The examples of the help pages no other test runs (ConcatSeqSpecs with its NdefGui and MIDI learn, ConcatSeqSetup
# save/read/restore, ConcatSeqFollow, ConcatSeqInstall, ConcatSeqJSON, ConcatSeqLoad) on a real scsynth, headless,
# chunk by chunk as a user runs them (tests/sc/help_examples.scd): no error, no warning. A MIDI controller is
# stood in for by MIDIIn.doControlAction, as the pages show; the microphone by a Buffer of a11wlk01.
# tests/format/help_coverage.sh checks that every page with examples is run by some test.
source "$(dirname "$0")/sclang_env.bash"
ext=$(install_private_extension)
export CONCATSEQ="${CONCATSEQ:-$CS}"
start_jack help_pages
STOP_PID_LOGS=("$W/sclang.log" "$W/examples.log")
pages=(ConcatSeqSpecs ConcatSeqSetup ConcatSeqFollow ConcatSeqInstall ConcatSeqJSON ConcatSeqLoad)
files=()
for p in "${pages[@]}"; do files+=("$SRC/HelpSource/Classes/$p.schelp"); done
run_examples "$W/examples.log" 300 "${files[@]}"
for p in "${pages[@]}"; do
    check "examples: $p ran" grep -q "^EXAMPLE $p.schelp " "$W/examples.log"
done
# MIDI learn: CC 7 at 32/127 learnt for the temperature (curve 3 over 0..4), CC 74 at 96/127 drives topP
check "examples: MIDI learn posted what it learnt" grep -q "temperature follows CC 7 on channel 0" "$W/examples.log"
want_t=$(/usr/bin/python3 -c 'import math; x=32/127; print("%.4f" % (4*(1-math.exp(3*x))/(1-math.exp(3))))')
got_t=$(sed -n 's/^temperature \([0-9.e-]*\)$/\1/p' "$W/examples.log" | head -1)
check "examples: the learnt knob set the temperature ($got_t, spec says $want_t)" \
    /usr/bin/python3 -c "import sys; sys.exit(abs(float('$got_t') - $want_t) > 1e-3)"
got_p=$(sed -n 's/^topP \([0-9.e-]*\)$/\1/p' "$W/examples.log" | head -1)
check "examples: CC 74 set topP to 96/127 ($got_p)" \
    /usr/bin/python3 -c "import sys; sys.exit(abs(float('$got_p') - 96 / 127) > 1e-4)"
# the setup: saved, read back, restored with the saved controls
check "examples: the setup was read back" grep -q "controls" "$W/examples.log"
check "examples: the restored player has the saved controls" grep -q "^restored: temperature 0.4 rate 0.5" "$W/examples.log"
