#!/usr/bin/env bash
# The committed parity fixtures are what their reference scripts compute: each script (numpy, scikit-learn,
# PyTorch from Debian's python3-* packages on /usr/bin/python3) regenerates its fixtures into a scratch folder,
# and every file must equal the committed one byte for byte. Skipped, with a message, where a module is missing.
. "$(dirname "$0")/common.bash"
regen() { # regen SCRIPT MODULE GLOB
    local script=$1 module=$2 glob=$3 out="$W/$(basename "$1" .py)"
    if ! "$PY" -c "import $module" 2>/dev/null; then
        echo "skipped: $script needs $module (Debian python3-$module)"
        return
    fi
    mkdir -p "$out"
    if [ "$script" = mfcc_reference.py ]; then
        "$PY" "$SRC/tests/scripts/$script" "$out" >"$out.log" 2>&1
    else
        CS_FIXTURE_OUT="$out" "$PY" "$SRC/tests/scripts/$script" >"$out.log" 2>&1
    fi
    check "$script runs" [ $? -eq 0 ]
    local n=0 f
    for f in "$SRC"/tests/fixtures/$glob; do
        n=$((n + 1))
        check "$script reproduces $(basename "$f")" cmp -s "$f" "$out/$(basename "$f")"
    done
    check "$script: fixtures exist" [ $n -gt 0 ]
}
regen mfcc_reference.py numpy 'mfcc_*'
regen cluster_reference.py sklearn 'cluster_*'
regen model_reference.py torch 'model_*'
regen train_reference.py torch 'train_*'
