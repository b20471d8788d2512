#!/usr/bin/python3
"""Train a ConcatSeq sequence model in PyTorch (CPU or GPU) and write the model file through
`concatseq import-json`: for a model too large (or a corpus too long) for the C trainer of `concatseq train`.

    /usr/bin/python3 models/train_torch.py BUNDLE -o MODEL [--arch gru|transformer] [--hidden W] [--layers L]
        [--heads NH] [--context C] [--epochs N] [--window T] [--batch B] [--lr X] [--seed S]
        [--val-fraction F] [--test-fraction F] [--device cpu|cuda] [--weights float|half] [--desc-inputs]
        [--concatseq PATH] [--json PATH] [--force] [--quiet]

What it shares with `concatseq train` (corpus-tools/src/cs_train.h is the reference):
  - the labels: the bundle's unit table in time order, one sequence per source, read from
    `concatseq info BUNDLE --units` (so this script never parses the unit table itself);
  - the split: per source, the last floor(test_fraction * len) labels are the test part, the
    floor(val_fraction * len) before them validation, the rest training (fractions clamped to 0.5; defaults
    0.1 / 0.1; these and every other number shared with the C code come from cs_constants.py, generated from
    the C headers). `concatseq eval` scores the test part of the written model with the same split
    (tests/cli/torch_train.sh checks the counts against `concatseq eval --json` and `train`'s header);
  - the architectures, exactly as models/FORMAT.md defines them and with its tensor names (the state_dict of
    GRUModel / TransformerModel below maps 1:1 onto the JSON form of import-json): GRU = Embedding(V+1, H)
    -> nn.GRU(H, H, L) -> Linear(H, V); transformer = pre-LN blocks with nn.MultiheadAttention (in_proj rows
    q, k, v), ALiBi slopes 2^(-8h/NH) and a sliding window of C tokens, ReLU feed-forward of 4 D, LN_f, head;
    BOS = V is fed first after every reset;
  - the training protocol in outline: windows of T labels of the training part (random offset per epoch),
    BOS + teacher forcing, mean cross-entropy, Adam with linear warm-up and cosine decay, global-norm
    clipping, early stopping on validation bits (the best epoch's weights are kept). It is PyTorch's
    optimiser and random numbers, not the C trainer's: the same options give a model of the same kind, not
    the same bytes. Validation here primes each source with up to 64 labels before its validation part.
  - the header's metadata: the bundle's unit_table_checksum (so eval, sample and the sclang classes accept the
    model for this corpus), the seed, the best epoch, the training-label count, the losses in bits per label.

--desc-inputs (GRU or transformer, as `concatseq train --desc-inputs`; models/FORMAT.md "Descriptor inputs")
feeds the network, beside each label, the descriptor row d of that label's unit: x = embedding[label] +
desc_proj.weight d, with d = the unit table's D normalised descriptors (read exactly, as float32, from
`concatseq export BUNDLE --flucoma`) and (ln(length_frames / sample_rate) - mean) / std, mean and std over the
training units of the split (computed in double in the C trainer's order, stored as float32 in the header),
every element clamped to +-64 (NaN -> 0): cs_desc_duration_stats and cs_model_desc_row, the C trainer's rows,
bit for bit (tests/cli/torch_train.sh compares them with the core's). BOS reads zeros. desc_proj.weight (W, D+1),
nn.Linear(D+1, W, bias=False), is the last tensor.

--weights half writes IEEE half weights (models/FORMAT.md "Half-precision weights"; an even --hidden). It is
refused with --desc-inputs, as everywhere: desc_proj.weight's rows of D + 1 floats are odd on corpora with an even
descriptor count (FORMAT.md "No half precision with descriptor inputs").
--device cuda trains on the GPU when PyTorch sees one. Needs Debian's python3-torch (or any PyTorch >= 1.13).
"""
import argparse
import json
import math
import os
import struct
import subprocess
import sys
import tempfile

import torch
import torch.nn.functional as F
from torch import nn

# The numbers shared with the C code (model limits, descriptor-input constants, split, automatic sizes, training
# defaults) are defined in C and generated into cs_constants.py beside this script (corpus-tools/gen/cs_gen_python.c).
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cs_constants as K  # noqa: E402

LIMITS = {"gru": (K.GRU_MIN_H, K.GRU_MAX_H, K.GRU_MAX_LAYERS),  # width min, max, layers max
          "transformer": (K.TF_MIN_D, K.TF_MAX_D, K.TF_MAX_LAYERS)}
DESC_CLAMP, DESC_MAX = K.DESC_CLAMP, K.DESC_MAX


class GRUModel(nn.Module):
    """(B, T) int64 tokens [, (B, T, Din) descriptor rows] -> (B, T, V) logits from a zero hidden state:
    cs_model_step's GRU (cs_model_step_desc's with Din > 0)."""

    def __init__(self, V, H, L, Din=0):
        super().__init__()
        self.embedding = nn.Embedding(V + 1, H)
        self.rnn = nn.GRU(H, H, L, batch_first=True)
        self.head = nn.Linear(H, V)
        if Din:
            self.desc_proj = nn.Linear(Din, H, bias=False)  # registered last: the file's last tensor

    def forward(self, tokens, desc=None):
        x = self.embedding(tokens)
        if desc is not None:
            x = x + self.desc_proj(desc)
        y, _ = self.rnn(x)
        return self.head(y)


class Block(nn.Module):
    def __init__(self, D, NH):
        super().__init__()
        self.ln1 = nn.LayerNorm(D, eps=1e-5)
        self.attn = nn.MultiheadAttention(D, NH, batch_first=True)
        self.ln2 = nn.LayerNorm(D, eps=1e-5)
        self.ff1 = nn.Linear(D, K.TF_FF_MULT * D)
        self.ff2 = nn.Linear(K.TF_FF_MULT * D, D)

    def forward(self, x, mask):
        a = self.ln1(x)
        x = x + self.attn(a, a, a, attn_mask=mask, need_weights=False)[0]
        return x + self.ff2(torch.relu(self.ff1(self.ln2(x))))


class TransformerModel(nn.Module):
    """(B, T) tokens [, (B, T, Din) descriptor rows] -> (B, T, V) logits: pre-LN, ALiBi, each query sees itself
    and the C - 1 before it."""

    def __init__(self, V, D, L, NH, C, Din=0):
        super().__init__()
        self.NH, self.C = NH, C
        self.embedding = nn.Embedding(V + 1, D)
        self.blocks = nn.ModuleList([Block(D, NH) for _ in range(L)])
        self.ln_f = nn.LayerNorm(D, eps=1e-5)
        self.head = nn.Linear(D, V)
        if Din:
            self.desc_proj = nn.Linear(Din, D, bias=False)  # registered last: the file's last tensor

    def mask(self, T, device, dtype=torch.float32):
        """ALiBi bias -m_h (i - j) inside the window 0 <= i - j <= C - 1, -inf elsewhere; (NH, T, T)."""
        i = torch.arange(T, device=device).view(T, 1)
        d = (i - torch.arange(T, device=device).view(1, T)).to(dtype)  # i - j
        slopes = torch.tensor([2.0 ** (-8.0 * h / self.NH) for h in range(1, self.NH + 1)], device=device, dtype=dtype)
        m = -slopes.view(self.NH, 1, 1) * d.view(1, T, T)
        outside = (d < 0) | (d >= self.C)
        return m.masked_fill(outside.view(1, T, T), float("-inf"))  # (NH, T, T)

    def forward(self, tokens, desc=None):
        B, T = tokens.shape
        x = self.embedding(tokens)
        if desc is not None:
            x = x + self.desc_proj(desc)
        mask = self.mask(T, tokens.device, x.dtype).repeat(B, 1, 1)  # (B * NH, T, T), batch-major as MHA expects
        for blk in self.blocks:
            x = blk(x, mask)
        return self.head(self.ln_f(x))


def tensor_names(model):
    """The state_dict names in file order (models/FORMAT.md): the order the modules were built in."""
    return list(model.state_dict().keys())


def read_units(concatseq, bundle):
    """Per source (in source order), units in time order (the table's order, cs_label_sequences): the lists
    (labels, unit indices, lengths in frames), from `concatseq info BUNDLE --units`."""
    out = subprocess.run([concatseq, "info", bundle, "--units"], check=True, capture_output=True, text=True).stdout
    lines = out.splitlines()
    head = lines[0].split("\t")
    cu, cs, cl, cn = (head.index(k) for k in ("unit", "source", "label", "length_frames"))
    srcs = {}
    for line in lines[1:]:
        f = line.split("\t")
        lab, uni, lens = srcs.setdefault(int(f[cs]), ([], [], []))
        lab.append(int(f[cl]))
        uni.append(int(f[cu]))
        lens.append(int(f[cn]))
    return [srcs[k] for k in sorted(srcs)]


def read_labels(concatseq, bundle):
    """One list of labels per source, units in time order, from `concatseq info BUNDLE --units`."""
    return [lab for lab, _, _ in read_units(concatseq, bundle)]


def f32(x):
    """x rounded to the nearest float32 (a C (float) cast), as a Python float."""
    return struct.unpack("<f", struct.pack("<f", x))[0]


def clamp_desc(x):
    """cs_model_desc.c's clamp_desc: NaN (None in JSON) -> 0, else clamped to +-DESC_CLAMP, as float32."""
    if x is None or x != x:
        return 0.0
    return f32(max(-DESC_CLAMP, min(DESC_CLAMP, x)))


def duration_stats(units, bounds, sample_rate):
    """(mean, std) of ln(duration s) over the training units, each rounded to float32: cs_desc_duration_stats
    (the same sums in double, in its order; std 1 when it is <= K.DESC_DUR_STD_MIN, one duration)."""
    total, sq, n = 0.0, 0.0, 0
    for (_, _, lens), (a, _) in zip(units, bounds):
        for length in lens[:a]:
            x = math.log(length / sample_rate) if length > 0 and sample_rate > 0 else 0.0
            total += x
            sq += x * x
            n += 1
    if n == 0:
        sys.exit("train_torch.py: --desc-inputs: the split leaves no training unit")
    m = total / n
    var = sq / n - m * m
    sd = math.sqrt(var if var > 0.0 else 0.0)
    return f32(m), (f32(sd) if sd > K.DESC_DUR_STD_MIN else 1.0)


def desc_rows(concatseq, bundle, units, dur_mean, dur_std, sample_rate):
    """(N + 1, D + 1) float32: row u = cs_model_desc_row of unit u (the table's normalised descriptors, read from
    `concatseq export --flucoma`, then the standardised ln duration), row N = zeros (BOS, padding)."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([concatseq, "export", bundle, "--flucoma", tmp, "--force"], check=True,
                       stdout=subprocess.DEVNULL)
        with open(os.path.join(tmp, "dataset.json")) as f:
            ds = json.load(f)
    D = int(ds["cols"])
    N = sum(len(u) for _, u, _ in units)
    rows = [[0.0] * (D + 1) for _ in range(N + 1)]
    for _, uni, lens in units:
        for u, length in zip(uni, lens):
            x = math.log(length / sample_rate) if length > 0 and sample_rate > 0 else 0.0
            rows[u] = [clamp_desc(v) for v in ds["data"][str(u)]] + [clamp_desc((x - dur_mean) / dur_std)]
    return torch.tensor(rows, dtype=torch.float32)


def split_part(n, val, test):
    """(train_end, val_end) of a source of n labels: cs_split_part of corpus-tools/src/cs_train.c."""
    size = lambda f: int(math.floor(min(f, K.SPLIT_FRACTION_MAX) * n)) if f > 0 else 0
    n_test, n_val = size(test), size(val)
    n_train = n - n_test - n_val
    return n_train, n_train + n_val


def windows(seqs, bounds, T, V, rng, units=None, none=-1):
    """Training windows: (inputs BOS x0..x(T-2), targets x0..x(T-1)), padded targets -100; random offset.
    With `units` (per source, the unit of each label) also the unit whose row each input reads (teacher forcing:
    the input after label t reads unit t's row), `none` for BOS and padding; else that third tensor is None."""
    xs, ys, us = [], [], []
    for k, (s, (a, _)) in enumerate(zip(seqs, bounds)):
        part = s[:a]
        if not part:
            continue
        off = int(torch.randint(0, T, (1,), generator=rng)) if len(part) > T else 0
        starts = ([0] if off > 0 else []) + list(range(off, len(part), T))
        for i, st in enumerate(starts):
            end = starts[i + 1] if i + 1 < len(starts) else min(st + T, len(part))
            w = part[st:end]
            xs.append([V] + w[:-1] + [V] * (T - len(w)))
            ys.append(w + [-100] * (T - len(w)))
            if units is not None:
                us.append([none] + units[k][st:end - 1] + [none] * (T - len(w)))
    return torch.tensor(xs), torch.tensor(ys), (torch.tensor(us) if units is not None else None)


def val_bits(model, seqs, bounds, V, device, prime=K.EVAL_PRIME, units=None, rows=None):
    """Mean -log2 p over the validation parts: per source reset, BOS, up to `prime` labels before, the part.
    With descriptor inputs (units, rows as in train) each label is fed with its unit's row, BOS with zeros."""
    tot, cnt = 0.0, 0
    model.eval()
    with torch.no_grad():
        for k, (s, (a, b)) in enumerate(zip(seqs, bounds)):
            if b <= a:
                continue
            p0 = max(0, a - prime)
            x = torch.tensor([[V] + s[p0:b - 1]], device=device)
            d = rows[[len(rows) - 1] + units[k][p0:b - 1]].unsqueeze(0) if units is not None else None
            lg = model(x, d)[0]
            tgt = torch.tensor(s[p0:b], device=device)
            nll = F.cross_entropy(lg, tgt, reduction="none")[a - p0:]
            tot += float(nll.sum())
            cnt += nll.numel()
    model.train()
    return tot / cnt / math.log(2.0) if cnt else float("nan")


def corpus_checksum(bundle):
    with open(os.path.join(bundle, "corpus.json")) as f:
        m = json.load(f)
    s = m.get("unit_table_checksum", "")
    return "0x" + s.split(":", 1)[1] if s.startswith("fnv1a64:") else "0x0"


def build(args, V, Din=0):
    """The module of args' architecture (attributes arch, hidden, layers, heads, context), with Din descriptor
    inputs (0 = none)."""
    if args.arch == "gru":
        return GRUModel(V, args.hidden, args.layers, Din)
    return TransformerModel(V, args.hidden, args.layers, args.heads, args.context, Din)


def model_json(model, args, V, meta):
    cfg = {"arch": args.arch, "vocab": V, "width": args.hidden, "layers": args.layers,
           "heads": args.heads if args.arch == "transformer" else 0,
           "context": args.context if args.arch == "transformer" else 0,
           "d_ff": K.TF_FF_MULT * args.hidden if args.arch == "transformer" else 0}
    if "desc_proj.weight" in model.state_dict():
        cfg["desc_inputs"] = model.state_dict()["desc_proj.weight"].shape[1]
    tensors = {}
    for name, t in model.state_dict().items():
        t = t.detach().to("cpu", torch.float32)
        tensors[name] = {"shape": list(t.shape), "data": t.tolist()}
    return {"format": "concatseq-model", "format_version": 2, "config": cfg, "meta": meta, "tensors": tensors,
            "weights": args.weights}


def train(args, units, V, sample_rate):
    """Train on `units` (read_units); returns (the CPU model with the best epoch's weights, the header meta)."""
    device = torch.device(args.device)
    torch.manual_seed(args.seed)
    rng = torch.Generator().manual_seed(args.seed)
    seqs = [lab for lab, _, _ in units]
    bounds = [split_part(len(s), args.val_fraction, args.test_fraction) for s in seqs]
    uids, rows, dmeta = None, None, {}
    if args.desc_inputs:
        mean, std = duration_stats(units, bounds, sample_rate)
        rows = desc_rows(args.concatseq, args.bundle, units, mean, std, sample_rate)
        uids = [u for _, u, _ in units]
        dmeta = {"desc_dur_mean": mean, "desc_dur_std": std}
        if rows.shape[1] > DESC_MAX:
            sys.exit("train_torch.py: --desc-inputs: the corpus has %d descriptors, a model reads at most %d"
                     % (rows.shape[1] - 1, DESC_MAX - 1))
    model = build(args, V, rows.shape[1] if rows is not None else 0).to(device)
    if rows is not None:
        rows = rows.to(device)
    n_train = sum(a for a, _ in bounds)
    has_val = any(b > a for a, b in bounds)
    T = args.window or (K.TF_WINDOW_CONTEXTS * args.context if args.arch == "transformer"
                        else max(K.WINDOW_MIN, min(K.WINDOW_MAX, n_train // K.WINDOW_DIV)))
    opt = torch.optim.Adam(model.parameters(), lr=args.lr, betas=(K.ADAM_BETA1, K.ADAM_BETA2), eps=K.ADAM_EPS)
    steps_per_epoch = None
    best, best_state, best_epoch, bad, step, train_bits = float("inf"), None, 0, 0, 0, float("nan")
    for epoch in range(1, args.epochs + 1):
        x, y, u = windows(seqs, bounds, T, V, rng, uids, len(rows) - 1 if rows is not None else -1)
        perm = torch.randperm(len(x), generator=rng)
        B = args.batch or max(K.BATCH_MIN, min(K.BATCH_MAX, len(x) // K.BATCH_DIV))
        if steps_per_epoch is None:
            steps_per_epoch = (len(x) + B - 1) // B
        total = steps_per_epoch * args.epochs
        tot, cnt = 0.0, 0
        for i in range(0, len(x), B):
            idx = perm[i:i + B]
            xb, yb = x[idx].to(device), y[idx].to(device)
            warm = min(1.0, (step + 1) / K.WARMUP_STEPS)
            cosine = (1 + math.cos(math.pi * min(step, total) / total)) / 2
            lr = args.lr * warm * (K.MIN_LR_RATIO + (1 - K.MIN_LR_RATIO) * cosine)
            for g in opt.param_groups:
                g["lr"] = lr
            logits = model(xb, rows[u[idx].to(device)] if rows is not None else None)
            loss = F.cross_entropy(logits.reshape(-1, V), yb.reshape(-1), ignore_index=-100)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), K.CLIP_NORM)
            opt.step()
            step += 1
            k = int((yb != -100).sum())
            tot += float(loss) * k
            cnt += k
        train_bits = tot / max(cnt, 1) / math.log(2.0)
        vb = val_bits(model, seqs, bounds, V, device, units=uids, rows=rows) if has_val else float("nan")
        if not args.quiet:
            print("epoch %3d/%d  train %.4f bits/label  val %.4f  lr %.2e" % (epoch, args.epochs, train_bits, vb, lr))
        if not has_val or vb < best:
            best, best_epoch, bad = vb, epoch, 0
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        else:
            bad += 1
            if args.patience and bad >= args.patience:
                break
    model.load_state_dict(best_state)
    meta = {"corpus_checksum": corpus_checksum(args.bundle), "seed": "0x%016x" % args.seed, "epochs": best_epoch,
            "train_tokens": n_train, "train_loss_bits": train_bits, "val_loss_bits": best if has_val else -1.0,
            **dmeta}
    return model.to("cpu"), meta


def check_args(args, V):
    lo, hi, lmax = LIMITS[args.arch]
    bad = None
    if not lo <= args.hidden <= hi or not 1 <= args.layers <= lmax:
        bad = "--hidden %d --layers %d: %s needs width %d..%d, 1..%d layers" % (args.hidden, args.layers, args.arch,
                                                                                lo, hi, lmax)
    elif args.arch == "transformer" and (args.hidden % args.heads or not 1 <= args.context <= K.TF_MAX_CONTEXT):
        bad = "--heads %d --context %d: heads must divide the width, context 1..%d" % (args.heads, args.context,
                                                                                     K.TF_MAX_CONTEXT)
    elif args.weights == "half" and args.desc_inputs:
        bad = ("--weights half with --desc-inputs: desc_proj.weight's rows (D + 1 inputs) are odd on most corpora, "
               "which half files cannot hold (models/FORMAT.md); use --weights float")
    elif args.weights == "half" and args.hidden % 2:
        bad = "--weights half needs an even --hidden (got %d)" % args.hidden
    elif not 1 <= V <= K.MAX_VOCAB:
        bad = "the bundle has %d labels; a model has 1..%d" % (V, K.MAX_VOCAB)
    elif args.device.startswith("cuda") and not torch.cuda.is_available():
        bad = "--device %s: PyTorch sees no CUDA device here (use --device cpu)" % args.device
    if bad:
        sys.exit("train_torch.py: " + bad)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("bundle")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--arch", choices=["gru", "transformer"], default="gru")
    p.add_argument("--hidden", type=int, default=K.DEFAULT_WIDTH)
    p.add_argument("--layers", type=int, default=K.DEFAULT_LAYERS)
    p.add_argument("--heads", type=int, default=K.DEFAULT_HEADS)
    p.add_argument("--context", type=int, default=K.DEFAULT_CONTEXT)
    p.add_argument("--epochs", type=int, default=K.DEFAULT_EPOCHS)
    p.add_argument("--window", type=int, default=0, help="0: as concatseq train (GRU n_train/%d in %d..%d, %d C)"
                   % (K.WINDOW_DIV, K.WINDOW_MIN, K.WINDOW_MAX, K.TF_WINDOW_CONTEXTS))
    p.add_argument("--batch", type=int, default=0, help="0: windows / %d clamped to %d..%d"
                   % (K.BATCH_DIV, K.BATCH_MIN, K.BATCH_MAX))
    p.add_argument("--lr", type=float, default=None, help="default GRU %g, transformer %g" % (K.GRU_LR, K.TF_LR))
    p.add_argument("--patience", type=int, default=K.DEFAULT_PATIENCE)
    p.add_argument("--seed", type=int, default=K.DEFAULT_SEED)
    p.add_argument("--val-fraction", type=float, default=K.SPLIT_VAL_DEFAULT)
    p.add_argument("--test-fraction", type=float, default=K.SPLIT_TEST_DEFAULT)
    p.add_argument("--device", default="cpu")
    p.add_argument("--weights", choices=["float", "half"], default="float")
    p.add_argument("--desc-inputs", action="store_true",
                   help="feed each label's unit descriptor row too (as concatseq train --desc-inputs; float only)")
    p.add_argument("--concatseq", default=os.environ.get("CONCATSEQ", "concatseq"))
    p.add_argument("--json", default=None, help="keep the JSON form here (default: a temporary file)")
    p.add_argument("--force", action="store_true")
    p.add_argument("--quiet", action="store_true")
    args = p.parse_args(argv)
    if args.lr is None:
        args.lr = K.GRU_LR if args.arch == "gru" else K.TF_LR
    fmax, smax = K.SPLIT_FRACTION_MAX, K.SPLIT_FRACTIONS_MAX
    if not (0 <= args.val_fraction <= fmax and 0 <= args.test_fraction <= fmax and
            args.val_fraction + args.test_fraction <= smax):
        sys.exit("train_torch.py: --val-fraction and --test-fraction: each 0..%g, together at most %g" % (fmax, smax))
    if os.path.exists(args.output) and not args.force:
        sys.exit("train_torch.py: %s: already exists (use --force to overwrite)" % args.output)
    with open(os.path.join(args.bundle, "corpus.json")) as f:
        manifest = json.load(f)
    V = int(manifest["labels"])
    check_args(args, V)
    units = read_units(args.concatseq, args.bundle)
    model, meta = train(args, units, V, float(manifest["sample_rate"]))
    js = model_json(model, args, V, meta)
    path = args.json or tempfile.mkstemp(suffix=".json")[1]
    try:
        with open(path, "w") as f:
            json.dump(js, f)
        subprocess.run([args.concatseq, "import-json", path, "-o", args.output, "--force"], check=True,
                       stdout=subprocess.DEVNULL)
    finally:
        if not args.json:
            os.unlink(path)
    if not args.quiet:
        print("wrote %s: %s %d x %d%s, %s weights, best epoch %d, validation %.4f bits/label" % (
            args.output, args.arch, args.layers, args.hidden, " + descriptor inputs" if args.desc_inputs else "",
            args.weights, meta["epochs"], meta["val_loss_bits"]))
    return model


if __name__ == "__main__":
    main()
