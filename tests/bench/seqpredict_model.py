"""seqpredict_model.py OUT.json V - the benchmark model of run_seqpredict.sh and run_seqpredict_rt.sh: a GRU of
64 units, 1 layer, V labels, uniform(-1/8, 1/8) weights (random.Random(7)), in concatseq import-json's format."""
import json, random, sys

V, H = int(sys.argv[2]), 64
r = random.Random(7)


def t(rows, cols=None):
    n = rows * (cols or 1)
    return {"shape": [rows, cols] if cols else [rows], "data": [r.uniform(-0.125, 0.125) for _ in range(n)]}


tensors = {"embedding.weight": t(V + 1, H), "rnn.weight_ih_l0": t(3 * H, H), "rnn.weight_hh_l0": t(3 * H, H),
           "rnn.bias_ih_l0": t(3 * H), "rnn.bias_hh_l0": t(3 * H), "head.weight": t(V, H), "head.bias": t(V)}
json.dump({"format": "concatseq-model", "format_version": 1,
           "config": {"arch": "gru", "vocab": V, "width": H, "layers": 1, "heads": 0, "context": 0, "d_ff": 0},
           "tensors": tensors}, open(sys.argv[1], "w"))
