#!/usr/bin/python3
"""PyTorch peer of bench_train.c (run both with tests/bench/run_train.sh).

Usage: /usr/bin/python3 bench_train_torch.py DATA_FILE [threads=2] [epochs=10] [batch=16] [arch=gru|transformer]
Same data file (written by bench_train), same model (gru: Embedding(V+1,64) -> GRU(64,64,2) -> Linear(64,V);
transformer: models/train_torch.py's TransformerModel, width 64, 2 blocks, 8 heads, context 64, ALiBi; torch
default initialisation), same optimiser (Adam lr 3e-3 for the GRU, 1e-3 for the transformer, betas .9/.999,
eps 1e-8, constant lr, global-norm clip 1.0), same windowing (window 64, every epoch a random grid offset in [0, 64) and shuffled windows, each window
from a zero state with BOS first, padded targets ignored), same batch, same epochs, same validation protocol
(last 10 %, primed with the 64 preceding labels, scored by one continuous run from BOS + zero state), on
`threads` intra-op threads. Prints one line per epoch and "RESULT torch seconds=<wall> cpu=<process CPU s>
val_bits=...".
"""
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
from torch_models import GRUModel, TransformerModel  # noqa: E402


def main():
    path = sys.argv[1]
    threads = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    epochs = int(sys.argv[3]) if len(sys.argv) > 3 else 10
    batch = int(sys.argv[4]) if len(sys.argv) > 4 else 16
    arch = sys.argv[5] if len(sys.argv) > 5 else "gru"
    assert arch in ("gru", "transformer"), arch
    torch.set_num_threads(threads)
    torch.manual_seed(7)
    rng = np.random.default_rng(7)
    with open(path) as f:
        V, N = (int(x) for x in f.readline().split())
        seq = np.array([int(x) for x in f.read().split()], dtype=np.int64)
    assert len(seq) == N
    T, H, L, prime = 64, 64, 2, 64
    lr = 3e-3 if arch == "gru" else 1e-3
    n_val = int(math.floor(0.1 * N))
    ntr = N - n_val
    train = seq[:ntr]
    model = GRUModel(V, H, L) if arch == "gru" else TransformerModel(V, H, L, 8, 64)
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.999), eps=1e-8)
    LN2 = math.log(2.0)

    def evaluate():
        model.eval()
        with torch.no_grad():
            p = min(prime, ntr)
            s = seq[ntr - p:]
            inp = torch.tensor(np.concatenate([[V], s[:-1]]), dtype=torch.long).view(1, -1)
            logits = model(inp)[0]
            tg = torch.tensor(s, dtype=torch.long)
            nll = F.cross_entropy(logits[p:], tg[p:], reduction="sum").item()
        model.train()
        return nll / n_val / LN2

    t0, c0 = time.perf_counter(), time.process_time()
    best = float("inf")
    last = float("nan")
    for epoch in range(1, epochs + 1):
        te = time.perf_counter()
        off = int(rng.integers(0, T))
        starts = ([(0, off)] if off > 0 else []) + [(s, min(T, ntr - s)) for s in range(off, ntr, T)]
        order = rng.permutation(len(starts))
        tot, cnt = 0.0, 0
        for b0 in range(0, len(order), batch):
            idx = order[b0:b0 + batch]
            tg = np.full((len(idx), T), -1, dtype=np.int64)
            for r, k in enumerate(idx):
                st, ln = starts[k]
                tg[r, :ln] = train[st:st + ln]
            inp = np.full_like(tg, V)
            prev = tg[:, :-1].copy()
            prev[prev < 0] = 0
            inp[:, 1:] = prev
            tgt = torch.from_numpy(tg)
            logits = model(torch.from_numpy(inp))
            loss = F.cross_entropy(logits.reshape(-1, V), tgt.reshape(-1), ignore_index=-1)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            n = int((tgt >= 0).sum())
            tot += loss.item() * n
            cnt += n
        val = evaluate()
        last = val
        best = min(best, val)
        print(f"torch epoch {epoch:2d}  train {tot / cnt / LN2:.4f}  val {val:.4f} bits/label  "
              f"{time.perf_counter() - te:.2f} s", flush=True)
    secs, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(f"RESULT torch seconds={secs:.3f} cpu={cpu:.3f} val_bits={best:.5f} last_val_bits={last:.5f} "
          f"threads={threads} arch={arch}")


if __name__ == "__main__":
    main()
