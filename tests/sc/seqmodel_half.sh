#!/bin/bash
# Half-precision model files (models/FORMAT.md "Half-precision weights") on the server and in the language:
#  - SeqPredict on scsynth (NRT) plays a half Buffer as it is (F16C in the step on the audio thread): the render
#    (labels, probabilities, entropies and ConcatPlay's audio) has the samples of the render of the same model
#    converted to float32 (way (a), `export-json` + `import-json --weights float`), for a GRU and a transformer,
#    from the block on which both are verified (the half Buffer, half the floats, is verified no later);
#  - SeqModel reads the header (info[\weights] = \half) and refuses an unknown precision with one line;
#    SeqModelLang runs a half file with exactly the logits of its float32 expansion and refuses an unknown
#    precision with the C parser's reason (seqmodel_half.scd);
#  - both refuse half weights with descriptor inputs (models/FORMAT.md "No half precision with descriptor inputs").
source "$(dirname "$0")/seqpredict_env.bash"

make_bundle "$W/a.corpus" 8 || exit 1
"$CS" train --arch gru "$W/a.corpus" -o "$W/gru_h.wav" --epochs 6 --hidden 32 --weights half --quiet &&
    "$CS" train --arch transformer "$W/a.corpus" -o "$W/tf_h.wav" --epochs 3 --hidden 32 --heads 4 --context 16 \
        --layers 2 --weights half --quiet || { not_ok "train --weights half"; exit 1; }
for m in gru tf; do
    "$CS" export-json "$W/${m}_h.wav" -o "$W/$m.json" > /dev/null &&
        "$CS" import-json "$W/$m.json" -o "$W/${m}_f.wav" --weights float > /dev/null || not_ok "$m: expansion"
done
"$PY" -c "
import sys; sys.path.insert(0, '$SRC/tests/scripts'); import wavio, numpy as np
h, _, _, _ = wavio.read_wav('$W/gru_h.wav'); h = h.copy(); h[36, 0] = 2
wavio.write_wav('$W/bad_precision.wav', h[:, 0], 48000)" || not_ok "bad-precision file"
"$CS" train --arch gru "$W/a.corpus" -o "$W/desc_f.wav" --epochs 1 --hidden 16 --desc-inputs --quiet &&
    "$PY" -c "
import sys; sys.path.insert(0, '$SRC/tests/scripts'); import wavio
h, _, _, _ = wavio.read_wav('$W/desc_f.wav'); h = h.copy(); h[36, 0] = 1
wavio.write_wav('$W/desc_half.wav', h[:, 0], 48000)" || not_ok "descriptor-input file marked half"
V=$("$PY" -c "
import sys; sys.path.insert(0, '$SRC/tests/scripts'); import wavio
h, _, _, _ = wavio.read_wav('$W/gru_h.wav'); print(int(h[4, 0]))")
SECS=3
"$PY" "$SRC/tests/scripts/seqpredict_schedule.py" "$W/ctl.wav" 48000 $SECS "$V" 3 > "$W/schedule.log" \
    || { not_ok "schedule"; exit 1; }

render() { # render NAME MODEL: the render in $W/render_NAME.wav
    if ! run_sclang 90 "$SRC/tests/sc/seqpredict_nrt.scd" "$W/$1.osc" "$2" "$W/a.corpus" "$W/ctl.wav" $SECS \
        7 1 0 1 1 0 11 || ! grep -q "SCORE WRITTEN" "$W/sclang.log"; then
        cat "$W/sclang.log" >&2; not_ok "$1: sclang wrote the score"; return 1
    fi
    timeout 120 scsynth -N "$W/$1.osc" _ "$W/render_$1.wav" 48000 WAV float -o 7 -i 0 -U "$PLUGINS" > "$W/$1.log" 2>&1 \
        || { cat "$W/$1.log" >&2; not_ok "$1: scsynth -N"; return 1; }
}
for m in gru tf; do
    render "${m}_h" "$W/${m}_h.wav" && render "${m}_f" "$W/${m}_f.wav" &&
        check "$m: SeqPredict renders a half Buffer as its float32 expansion, sample for sample once both are verified" "$PY" -c "
import sys; sys.path.insert(0, '$SRC/tests/scripts'); import wavio, numpy as np
a, _, _, _ = wavio.read_wav('$W/render_${m}_h.wav'); b, _, _, _ = wavio.read_wav('$W/render_${m}_f.wav')
# the label output is -1 while SeqPredict verifies the weights (8192 floats a block): half the floats, ready sooner
ra, rb = int(np.argmax(a[:, 3] != -1)), int(np.argmax(b[:, 3] != -1))
print('first non-verifying sample: half', ra, 'float32', rb)
sys.exit(0 if a.shape == b.shape and ra <= rb and np.array_equal(a[rb:], b[rb:]) else 1)"
    check "$m: the render is not silent and has labels" "$PY" -c "
import sys; sys.path.insert(0, '$SRC/tests/scripts'); import wavio, numpy as np
x, _, _, _ = wavio.read_wav('$W/render_${m}_h.wav'); lab = x[:, 3]
sys.exit(0 if np.isfinite(x).all() and (lab >= 0).sum() > 100 and np.abs(x[:, 6]).max() > 1e-3 else 1)"
    check "$m: half file half the size" [ $(($(stat -c %s "$W/${m}_h.wav") * 2)) -le $(($(stat -c %s "$W/${m}_f.wav") + 400)) ]
done

if run_sclang 120 "$SRC/tests/sc/seqmodel_half.scd" "$W/gru_h.wav" "$W/gru_f.wav" "$W/tf_h.wav" "$W/tf_f.wav" \
    "$W/bad_precision.wav" "$W/desc_half.wav"; then ok; else not_ok "seqmodel_half.scd ran"; fi
grep -E "^(ok|not ok) " "$W/seqmodel_half.scd.log" | sed 's/^/  /'
check "seqmodel_half.scd: 7 checks passed" [ "$(grep -c '^ok ' "$W/seqmodel_half.scd.log")" -eq 7 ]
check "seqmodel_half.scd: none failed" [ "$(grep -c '^not ok ' "$W/seqmodel_half.scd.log")" -eq 0 ]
