#!/bin/bash
# patterns_superdirt.sh - ConcatSeq.addToDirt with a real SuperDirt (patterns_superdirt.scd). SuperDirt is not a
# Debian package: where it is not installed the test reports as skipped (status 77), not as passed; the glue
# itself is tested through a DirtEvent stand-in by patterns_dirt.sh.
source "$(dirname "$0")/patterns_env.bash"
pat_build_models
pat_sclang "$CS_SOURCE_DIR/tests/sc/patterns_superdirt.scd" 120 | grep -E 'FAILED|ERROR|PATTERNS|WATCHDOG|SKIP|sclang timed'
log="$W/patterns_superdirt.log"
if grep -q '^SKIP: ' "$log"; then skip "$(sed -n 's/^SKIP: //p' "$log" | head -1)"; fi
pat_tally "$log"
