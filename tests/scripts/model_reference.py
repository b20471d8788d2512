#!/usr/bin/python3
"""Write the sequence-model parity fixtures (tests/fixtures/model_*) with PyTorch as the independent reference.

Run with Debian's interpreter (torch 1.13):  /usr/bin/python3 tests/scripts/model_reference.py

For each of two tiny models it builds torch modules in the layout of models/FORMAT.md,
fills them with seeded random weights, feeds BOS then a fixed label sequence and records the logits after
every token. The reference forward pass runs in float64 on the float32 weights, so the fixture holds the
exact answer and the C test measures only its own float error.

  GRU:          V=7, H=16, L=2            nn.Embedding(V+1,H) -> nn.GRU(H,H,L,batch_first) -> nn.Linear(H,V)
  transformer:  V=9, D=32, L=2, NH=4, C=8 pre-LN blocks with nn.MultiheadAttention + explicit ALiBi and
                windowed causal mask (float attn_mask), nn.LayerNorm, ReLU feed-forward F=4D. The sequence
                (20 labels + BOS) is longer than C, so the sliding window is exercised; the reference is a
                full forward over the whole sequence with the windowed mask (no KV cache), independent of the
                C ring buffer.

Files (all little-endian):
  model_<arch>.bin        float32: the complete model buffer, 64-float header + weights (models/FORMAT.md),
                          header and FNV-1a checksum written by THIS script (an independent writer of the
                          format, checked against the C parser)
  model_<arch>_steps.txt  text: "vocab V", "tokens N t1..tN", then N+1 lines "logits i l_0 .. l_{V-1}"
                          (%.9e, float64 reference), line i = logits after BOS (i = 0) and after t_i.
"""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_models import GRUModel, TransformerModel, gru_names, transformer_names  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.environ.get("CS_FIXTURE_OUT", os.path.join(HERE, "..", "fixtures"))

MAGIC = 4412237
VERSION = 2
HEADER_FLOATS = 64


def fnv1a32(weights_f32):
    """FNV-1a 32 over the little-endian bytes of the float32 weights (models/FORMAT.md)."""
    h = 2166136261
    for byte in weights_f32.astype("<f4").tobytes():
        h ^= byte
        h = (h * 16777619) & 0xFFFFFFFF
    return h


def u16s(value, count):
    """A split integer (models/FORMAT.md, version 2): count 16-bit pieces, most significant first."""
    return [float((value >> (16 * i)) & 0xFFFF) for i in reversed(range(count))]


def header(arch, V, W, L, NH, C, F, weights, meta):
    h = [0.0] * HEADER_FLOATS
    h[0:10] = [MAGIC, VERSION, HEADER_FLOATS, arch, V, W, L, NH, C, F]
    h[10:12] = u16s(len(weights), 2)
    h[12:14] = u16s(fnv1a32(weights), 2)
    h[14:18] = u16s(meta["corpus"], 4)
    h[18:22] = u16s(meta["seed"], 4)
    h[22:24] = u16s(meta["epochs"], 2)
    h[24:26] = u16s(meta["tokens"], 2)
    h[26] = meta["train_loss"]
    h[27] = meta["val_loss"]
    return np.array(h, dtype=np.float32)


def flatten(model, names):
    sd = model.state_dict()
    assert set(sd.keys()) == set(names), (sorted(sd.keys()), names)
    return np.concatenate([sd[n].detach().to(torch.float32).numpy().reshape(-1) for n in names]).astype(np.float32)


def run(model, tokens, V):
    model = model.double()
    model.train()  # dropout is 0; train mode keeps nn.MultiheadAttention on its documented (non-fast) path
    seq = torch.tensor([[V] + tokens], dtype=torch.long)
    with torch.no_grad():
        return model(seq)[0].numpy()  # (T, V) float64


def write(name, hdr, weights, tokens, logits, V):
    os.makedirs(FIXTURES, exist_ok=True)
    buf = np.concatenate([hdr, weights]).astype("<f4")
    with open(os.path.join(FIXTURES, f"model_{name}.bin"), "wb") as f:
        f.write(buf.tobytes())
    with open(os.path.join(FIXTURES, f"model_{name}_steps.txt"), "w") as f:
        f.write(f"# written by tests/scripts/model_reference.py (torch {torch.__version__}, float64 reference)\n")
        f.write(f"vocab {V}\n")
        f.write("tokens %d %s\n" % (len(tokens), " ".join(str(t) for t in tokens)))
        for i, row in enumerate(logits):
            f.write("logits %d %s\n" % (i, " ".join("%.9e" % v for v in row)))
    print(f"model_{name}: {len(weights)} weights, {len(tokens)} tokens, checksum 0x{fnv1a32(weights):08x}")


def main():
    meta = {"corpus": 0x0123456789ABCDEF, "seed": 42, "epochs": 3, "tokens": 100000,
            "train_loss": 2.5, "val_loss": 2.75}

    torch.manual_seed(1234)
    V, H, L = 7, 16, 2
    gru = GRUModel(V, H, L)
    with torch.no_grad():
        for p in gru.parameters():  # wider than the default init so the gates leave their linear region
            p.copy_(torch.randn_like(p) * 0.5)
    w = flatten(gru, gru_names(L))
    tokens = [3, 1, 4, 1, 5, 0, 2, 6, 5, 3, 5, 6]
    write("gru", header(0, V, H, L, 0, 0, 0, w, dict(meta, seed=7)), w, tokens, run(gru, tokens, V), V)

    torch.manual_seed(5678)
    V, D, L, NH, C = 9, 32, 2, 4, 8
    tf = TransformerModel(V, D, L, NH, C)
    with torch.no_grad():
        for name, p in tf.named_parameters():
            if name.endswith("ln1.weight") or name.endswith("ln2.weight") or name == "ln_f.weight":
                p.copy_(1.0 + 0.2 * torch.randn_like(p))
            elif p.dim() == 1:
                p.copy_(0.1 * torch.randn_like(p))
            elif name == "embedding.weight":
                p.copy_(torch.randn_like(p))
            else:
                p.copy_(torch.randn_like(p) / np.sqrt(p.shape[1]))
    w = flatten(tf, transformer_names(L))
    tokens = [1, 8, 2, 7, 3, 6, 4, 5, 0, 0, 8, 1, 4, 4, 2, 6, 7, 3, 5, 1]
    assert len(tokens) + 1 > 2 * C
    write("transformer", header(1, V, D, L, NH, C, 4 * D, w, meta), w, tokens, run(tf, tokens, V), V)
    return 0


if __name__ == "__main__":
    sys.exit(main())
