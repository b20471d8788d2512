#!/usr/bin/python3
"""Reference fixtures for the training parity test (tests/c/test_train_parity.c).

Run with Debian's interpreter: /usr/bin/python3 tests/scripts/train_reference.py
(torch 1.13). Writes into tests/fixtures/:

  train_{gru,tf}_meta.txt    line 1: "gru V H L B T" or "tf V D L NH C B T"; then B lines of T target labels
                             (-1 = padded target, ignored by the loss)
  train_{gru,tf}_names.txt   one line per tensor in layout order: "name rows cols" (cols 1 for vectors)
  train_{gru,tf}_weights.f32 the flat weight blob (float32 little-endian, P values, agreed layout order)
  train_{gru,tf}_ref.f64     float64 little-endian: [loss, logits (B*T*V, row-major b,t,v), grad (P, layout order)]
  train_{grud,tfd}_*         the same with descriptor inputs (models/FORMAT.md "Descriptor inputs"): meta line 1
                             "grud V H L B T Din" / "tfd V D L NH C B T Din"; train_{grud,tfd}_desc.f32 holds
                             the (B, T, Din) descriptor rows of the targets' units (float32); the input at
                             position t is embedding[label t-1] + desc_proj.weight row(t-1), BOS reads zeros,
                             and so does the input after a padded target

The models are evaluated in float64 from the float32 weights, so the reference is (nearly) exact.
Inputs of each window are BOS (= V) followed by the targets shifted by one (teacher forcing); padded targets
feed label 0 as input (causal models: it cannot influence a counted position). The loss is the mean
cross-entropy (nats) over non-padded targets (torch's ignore_index=-1).

GRU: nn.Embedding(V+1, H) -> nn.GRU(H, H, L, batch_first=True) -> nn.Linear(H, V), zero initial state.
Transformer: written out explicitly (pre-LN, ALiBi slopes 2^(-8h/NH), windowed causal mask of C keys).
"""
import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_models import GRUModel, gru_names, transformer_names  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.environ.get("CS_FIXTURE_OUT", os.path.join(HERE, "..", "fixtures"))


class Block(nn.Module):
    def __init__(self, D):
        super().__init__()
        self.ln1 = nn.LayerNorm(D)
        self.attn = nn.MultiheadAttention(D, 1, batch_first=True)  # parameters only; heads handled below
        self.ln2 = nn.LayerNorm(D)
        self.ff1 = nn.Linear(D, 4 * D)
        self.ff2 = nn.Linear(4 * D, D)


class TFModel(nn.Module):
    def __init__(self, V, D, L, NH, C):
        super().__init__()
        self.V, self.D, self.L, self.NH, self.C = V, D, L, NH, C
        self.embedding = nn.Embedding(V + 1, D)
        self.blocks = nn.ModuleList([Block(D) for _ in range(L)])
        self.ln_f = nn.LayerNorm(D)
        self.head = nn.Linear(D, V)

    def forward(self, x, desc=None):
        B, T = x.shape
        D, NH, C = self.D, self.NH, self.C
        hd = D // NH
        i = torch.arange(T).view(T, 1)
        j = torch.arange(T).view(1, T)
        dist = (i - j).to(self.embedding.weight.dtype)
        allowed = (j <= i) & (i - j < C)
        slopes = torch.tensor([2.0 ** (-8.0 * (h + 1) / NH) for h in range(NH)], dtype=dist.dtype)
        bias = -slopes.view(NH, 1, 1) * dist.view(1, T, T)
        bias = bias.masked_fill(~allowed.view(1, T, T), float("-inf"))
        h = self.embedding(x)
        if desc is not None:
            h = h + self.desc_proj(desc)
        for blk in self.blocks:
            a = blk.ln1(h)
            qkv = F.linear(a, blk.attn.in_proj_weight, blk.attn.in_proj_bias)
            q, k, v = qkv.split(D, dim=-1)
            q = q.view(B, T, NH, hd).transpose(1, 2)
            k = k.view(B, T, NH, hd).transpose(1, 2)
            v = v.view(B, T, NH, hd).transpose(1, 2)
            s = q @ k.transpose(-1, -2) / math.sqrt(hd) + bias
            p = torch.softmax(s, dim=-1)
            o = (p @ v).transpose(1, 2).reshape(B, T, D)
            h = h + blk.attn.out_proj(o)
            h = h + blk.ff2(torch.relu(blk.ff1(blk.ln2(h))))
        return self.head(self.ln_f(h))

    def add_desc(self, Din):
        self.desc_proj = nn.Linear(Din, self.D, bias=False)


class GRUDescModel(GRUModel):
    """GRUModel with descriptor inputs: the GRU reads embedding(token) + desc_proj(desc row)."""

    def __init__(self, V, H, L, Din):
        super().__init__(V, H, L)
        self.desc_proj = nn.Linear(Din, H, bias=False)

    def forward(self, tokens, desc=None):
        y, _ = self.rnn(self.embedding(tokens) + self.desc_proj(desc))
        return self.head(y)


def perturb(model, gen):
    """Give LayerNorm gains/biases and zero-initialised biases non-trivial values (so their gradients are tested)."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("ln1.weight") or name.endswith("ln2.weight") or name == "ln_f.weight":
                p.copy_(1.0 + 0.2 * torch.randn(p.shape, generator=gen))
            elif "bias" in name:
                p.copy_(0.1 * torch.randn(p.shape, generator=gen))


def run(model, V, targets, tag, header, desc=None):
    params = dict(model.named_parameters())
    names = gru_names(model.rnn.num_layers) if isinstance(model, GRUModel) else transformer_names(model.L)
    if desc is not None:
        names = names + ["desc_proj.weight"]  # the last tensor of the file
    assert sorted(names) == sorted(params.keys()), (names, list(params.keys()))
    flat32 = torch.cat([params[n].detach().float().reshape(-1) for n in names])
    model.double()
    tg = torch.tensor(targets, dtype=torch.long)
    B, T = tg.shape
    inp = torch.full((B, T), V, dtype=torch.long)
    prev = tg[:, :-1].clone()
    prev[prev < 0] = 0
    inp[:, 1:] = prev
    if desc is None:
        logits = model(inp)
    else:
        d32 = np.asarray(desc, dtype="<f4")  # (B, T, Din): the row of each target's unit
        din = torch.zeros(d32.shape, dtype=torch.float64)
        din[:, 1:] = torch.from_numpy(d32[:, :-1].astype(np.float64))
        din[:, 1:][tg[:, :-1] < 0] = 0.0  # the input after a padded target reads zeros
        logits = model(inp, din)
    loss = F.cross_entropy(logits.reshape(-1, V), tg.reshape(-1), ignore_index=-1)
    model.zero_grad()
    loss.backward()
    grads = torch.cat([params[n].grad.reshape(-1) for n in names])
    os.makedirs(FIX, exist_ok=True)
    with open(os.path.join(FIX, f"train_{tag}_meta.txt"), "w") as f:
        f.write(header + "\n")
        for row in targets:
            f.write(" ".join(str(int(x)) for x in row) + "\n")
    with open(os.path.join(FIX, f"train_{tag}_names.txt"), "w") as f:
        for n in names:
            shp = list(params[n].shape) + [1]
            f.write(f"{n} {shp[0]} {shp[1]}\n")
    flat32.numpy().astype("<f4").tofile(os.path.join(FIX, f"train_{tag}_weights.f32"))
    ref = np.concatenate([[loss.item()], logits.detach().reshape(-1).numpy(), grads.numpy()]).astype("<f8")
    ref.tofile(os.path.join(FIX, f"train_{tag}_ref.f64"))
    if desc is not None:
        np.asarray(desc, dtype="<f4").tofile(os.path.join(FIX, f"train_{tag}_desc.f32"))
    print(f"{tag}: P={flat32.numel()} loss={loss.item():.9f} max|grad|={grads.abs().max().item():.4g}")


def main():
    torch.manual_seed(1234)
    gen = torch.Generator().manual_seed(99)
    # GRU V=5 H=16 L=2 (the smallest width the model format allows), 3 windows of 7 targets, the last one
    # padded after 4 labels
    V, H, L = 5, 16, 2
    gru = GRUModel(V, H, L)
    perturb(gru, gen)
    targets = [[0, 1, 2, 3, 4, 0, 1], [4, 4, 3, 2, 1, 0, 2], [2, 0, 3, 1, -1, -1, -1]]
    run(gru, V, targets, "gru", f"gru {V} {H} {L} {len(targets)} {len(targets[0])}")
    # Transformer V=6 D=32 (the smallest width the model format allows) L=2 NH=2 C=6; windows of 9 > C so the
    # sliding-window mask is exercised
    V, D, L, NH, C = 6, 32, 2, 2, 6
    tf = TFModel(V, D, L, NH, C)
    perturb(tf, gen)
    targets = [[0, 1, 2, 3, 4, 5, 0, 1, 2], [5, 5, 4, 1, 0, 3, 2, 2, 1], [3, 1, 4, 1, 5, 2, -1, -1, -1]]
    run(tf, V, targets, "tf", f"tf {V} {D} {L} {NH} {C} {len(targets)} {len(targets[0])}")
    # descriptor inputs: the same shapes, Din = 4, rows drawn N(0, 1) (float32), one beyond the core's clamp
    # would change nothing here (|d| < 64)
    V, H, L, Din = 5, 16, 2, 4
    grud = GRUDescModel(V, H, L, Din)
    perturb(grud, gen)
    targets = [[0, 1, 2, 3, 4, 0, 1], [4, 4, 3, 2, 1, 0, 2], [2, 0, 3, 1, -1, -1, -1]]
    desc = torch.randn((3, 7, Din), generator=gen).numpy().astype("<f4")
    run(grud, V, targets, "grud", f"grud {V} {H} {L} {len(targets)} {len(targets[0])} {Din}", desc)
    V, D, L, NH, C = 6, 32, 2, 2, 6
    tfd = TFModel(V, D, L, NH, C)
    tfd.add_desc(Din)
    perturb(tfd, gen)
    targets = [[0, 1, 2, 3, 4, 5, 0, 1, 2], [5, 5, 4, 1, 0, 3, 2, 2, 1], [3, 1, 4, 1, 5, 2, -1, -1, -1]]
    desc = torch.randn((3, 9, Din), generator=gen).numpy().astype("<f4")
    run(tfd, V, targets, "tfd", f"tfd {V} {D} {L} {NH} {C} {len(targets)} {len(targets[0])} {Din}", desc)


if __name__ == "__main__":
    main()
