#!/usr/bin/python3
"""PyTorch single-step latency for the three models of bench_model_step.c (the peer in run_model_step.sh).

torch.set_num_threads(1), torch.inference_mode(), float32, random weights, batch 1:
  gru_h64_v64, gru_h128_v256: embedding lookup -> nn.GRU one step with the hidden state kept between
                              steps -> nn.Linear head (what cs_model_step does).
  tf_d64_l2_c64:              an incremental step with a KV cache written in torch (ring buffer of C
                              entries per layer, ALiBi bias by distance, the window full), same math as
                              cs_model_step; NOT a full forward over the window.
Each step is timed alone with time.perf_counter_ns (timer overhead printed). Output lines:
  "torch <model> step_warm median_ns <x> p99_ns <y>"
Usage: /usr/bin/python3 bench_model_torch.py [--quick]
"""
import math
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn


def report(model, what, t):
    t = sorted(t)
    print("torch %-14s %-14s median_ns %9.1f p99_ns %9.1f" % (model, what, t[len(t) // 2], t[int(len(t) * 0.99)]))
    sys.stdout.flush()


def bench_gru(name, V, H, L, n):
    emb = nn.Embedding(V + 1, H)
    rnn = nn.GRU(H, H, L, batch_first=True)
    head = nn.Linear(H, V)
    h = torch.zeros(L, 1, H)
    g = torch.Generator().manual_seed(1)
    toks = torch.randint(0, V, (n + 2000,), generator=g).tolist()
    t = []
    for i, tok in enumerate(toks):
        a = time.perf_counter_ns()
        x = emb.weight[tok].view(1, 1, H)
        y, h = rnn(x, h)
        logits = head(y.view(1, H))
        b = time.perf_counter_ns()
        if i >= 2000:
            t.append(b - a)
    report(name, "step_warm", t)
    return logits


class TfStep:
    """Incremental transformer step with a KV ring buffer (model-layout.md), torch ops only."""

    def __init__(self, V, D, L, NH, C):
        self.V, self.D, self.L, self.NH, self.C, self.HD = V, D, L, NH, C, D // NH
        self.emb = torch.randn(V + 1, D)
        self.layers = []
        for _ in range(L):
            self.layers.append(dict(
                ln1=nn.LayerNorm(D), in_w=torch.randn(3 * D, D) / math.sqrt(D), in_b=torch.zeros(3 * D),
                out=nn.Linear(D, D), ln2=nn.LayerNorm(D), ff1=nn.Linear(D, 4 * D), ff2=nn.Linear(4 * D, D),
                k=torch.zeros(C, NH, self.HD), v=torch.zeros(C, NH, self.HD)))
        self.ln_f = nn.LayerNorm(D)
        self.head = nn.Linear(D, V)
        self.slopes = torch.tensor([2.0 ** (-8.0 * h / NH) for h in range(1, NH + 1)]).view(NH, 1)
        self.pos = 0
        self.scale = 1.0 / math.sqrt(self.HD)

    def step(self, tok):
        C, NH, HD = self.C, self.NH, self.HD
        slot = self.pos % C
        n = min(self.pos + 1, C)
        # distance of each slot to the current one; slots beyond n are masked
        dist = (slot - torch.arange(C)) % C
        bias = -self.slopes * dist.to(torch.float32).view(1, C)
        if n < C:
            bias[:, n:] = float("-inf")
        x = self.emb[tok]
        for ly in self.layers:
            a = ly["ln1"](x)
            qkv = F.linear(a, ly["in_w"], ly["in_b"])
            q, k, v = qkv.view(3, NH, HD)
            ly["k"][slot] = k
            ly["v"][slot] = v
            scores = torch.einsum("hd,chd->hc", q, ly["k"]) * self.scale + bias
            p = torch.softmax(scores, dim=-1)
            att = torch.einsum("hc,chd->hd", p, ly["v"]).reshape(self.D)
            x = x + ly["out"](att)
            x = x + ly["ff2"](torch.relu(ly["ff1"](ly["ln2"](x))))
        self.pos += 1
        return self.head(self.ln_f(x))


def bench_tf(name, V, D, L, NH, C, n):
    m = TfStep(V, D, L, NH, C)
    g = torch.Generator().manual_seed(2)
    toks = torch.randint(0, V, (n + 2000,), generator=g).tolist()
    t = []
    for i, tok in enumerate(toks):
        a = time.perf_counter_ns()
        m.step(tok)
        b = time.perf_counter_ns()
        if i >= 2000:
            t.append(b - a)
    report(name, "step_warm", t)


def main():
    quick = len(sys.argv) > 1 and sys.argv[1] == "--quick"
    n = 2000 if quick else 20000
    torch.set_num_threads(1)
    torch.manual_seed(0)
    t = []
    for _ in range(10000):
        a = time.perf_counter_ns()
        t.append(time.perf_counter_ns() - a)
    report("timer", "overhead", t)
    with torch.inference_mode():
        bench_gru("gru_h64_v64", 64, 64, 1, n)
        bench_gru("gru_h128_v256", 256, 128, 2, n)
        bench_tf("tf_d64_l2_c64", 64, 64, 2, 4, 64, n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
