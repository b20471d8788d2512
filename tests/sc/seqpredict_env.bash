# Sourced by tests/sc/seqpredict_*.sh: the one harness (tests/sc/sclang_env.bash: run_sclang, run_nrt,
# free_port, start_jack, run_examples, same_samples, skip, $PLUGINS, $CONF, ...) plus what the SeqPredict tests
# share:
#   $HARNESS       the C parity harness (build/tests/test_seqpredict_logic)
#   make_bundle DIR [CLUSTERS]   analyze a11wlk01.wav into DIR (grain units) and train a small GRU (DIR/model.wav)
source "${CS_SOURCE_DIR:?}/tests/sc/sclang_env.bash"
HARNESS=$(cd "$PLUGIN_DIR/../.." && pwd)/tests/test_seqpredict_logic

if [ ! -d "$PLUGIN_DIR" ] || [ ! -f "$PLUGIN_DIR/SeqPredict.so" ]; then
    echo "no SeqPredict.so in $PLUGIN_DIR" >&2
    not_ok "plugin built"
    exit 1
fi

make_bundle() { # make_bundle DIR [CLUSTERS]
    local dir=$1 k=${2:-8} src
    src=$(a11wlk01) || { not_ok "a11wlk01.wav not found"; return 1; }
    "$CS" analyze "$src" -o "$dir" --segment grain --unit-ms 60 --hop-ms 60 --clusters "$k" --progress none \
        --quiet > "$W/analyze.log" 2>&1 || { cat "$W/analyze.log" >&2; not_ok "analyze"; return 1; }
    "$CS" train --arch gru "$dir" --epochs 20 --hidden 32 --progress none --quiet > "$W/train.log" 2>&1 \
        || { cat "$W/train.log" >&2; not_ok "train"; return 1; }
}
