#!/usr/bin/python3
"""Checks of models/train_torch.py on a bundle (run by tests/cli/torch_train.sh, CPU):

  1. the split: the script's per-source split has the train / validation / test counts of `concatseq eval
     --json` (the C split, cs_split_part), and its training count is the train_tokens of a model trained by
     `concatseq train` on the same bundle (C_MODEL);
  2. for a GRU and a transformer trained by the script: the model file loads, `concatseq eval` scores it, and
     cs_model_step (tests/tools/cs_model_logits, the audio thread's code) gives PyTorch's forward logits
     within 1e-4 over 40 steps;
  3. half precision (--weights half): the file holds exactly PyTorch's own half-rounded weights
     (Tensor.half(), compared through export-json bit for bit), its step (F16C or portable half kernels)
     gives the forward of the half-rounded PyTorch model within 1e-4 and the float32 one within the
     documented half tolerance (models/FORMAT.md: 2e-2 of the logit scale, measured far below);
  4. descriptor inputs (--desc-inputs) on DESC_BUNDLE (several sources, units of many durations), against
     C_DESC_MODEL (`concatseq train --desc-inputs` on it): the script's duration statistics are the C trainer's header floats bit for bit; for a GRU and a
     transformer trained by the script: the file loads with config.desc_inputs = D + 1 and desc_proj.weight
     last, `concatseq eval` scores it, the descriptor rows the core builds for the first 40 units (all of them
     when fewer)
     (cs_model_desc_row from the unit table, printed by cs_model_logits --rows) are the script's bit for bit,
     and cs_model_step_desc fed those labels and units gives PyTorch's forward within 1e-4.

Usage: torch_train_check.py CONCATSEQ CS_MODEL_LOGITS BUNDLE C_MODEL DESC_BUNDLE C_DESC_MODEL WORKDIR
Prints one "ok - ..." or "not ok - ..." line per check; exits 1 when any failed.
"""
import importlib.util
import json
import os
import subprocess
import sys

import torch

here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("train_torch", os.path.join(here, "..", "..", "models", "train_torch.py"))
tt = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tt)

failed = 0


def check(ok, what):
    global failed
    print(("ok - " if ok else "not ok - ") + what)
    sys.stdout.flush()
    failed += 0 if ok else 1


def c_logits(tool, model, tokens, portable=False):
    out = subprocess.run([tool, model] + (["--portable"] if portable else []) + [str(t) for t in tokens],
                         check=True, capture_output=True, text=True).stdout
    return torch.tensor([[float(x) for x in line.split()] for line in out.splitlines()], dtype=torch.float64)


def c_logits_desc(tool, model, bundle, tokens, units):
    """(logits (1 + n, V), rows (n, Din)) of cs_model_step_desc fed label:unit pairs; rows as the core built."""
    out = subprocess.run([tool, model, "--bundle", bundle, "--rows"] + ["%d:%d" % tu for tu in zip(tokens, units)],
                         check=True, capture_output=True, text=True).stdout.splitlines()
    rows = [[float(x) for x in line[2:].split()] for line in out if line.startswith("d ")]
    lg = [[float(x) for x in line.split()] for line in out if not line.startswith("d ")]
    return torch.tensor(lg, dtype=torch.float64), torch.tensor(rows, dtype=torch.float32)


def torch_logits(model, tokens, V, desc=None):
    """PyTorch's forward of BOS + tokens ((1 + n, V) float64); desc: the (n, Din) rows fed with the tokens."""
    with torch.no_grad():
        model.eval()
        d = None if desc is None else torch.cat([torch.zeros(1, desc.shape[1]), desc]).unsqueeze(0)
        return model(torch.tensor([[V] + list(tokens)]), d)[0].to(torch.float64)


def main():
    cs, tool, bundle, c_model, desc_bundle, c_desc_model, work = sys.argv[1:8]
    seqs = tt.read_labels(cs, bundle)
    V = int(json.load(open(os.path.join(bundle, "corpus.json")))["labels"])
    bounds = [tt.split_part(len(s), 0.1, 0.1) for s in seqs]
    counts = (sum(a for a, _ in bounds), sum(b - a for a, b in bounds), sum(len(s) - b for s, (_, b) in zip(seqs, bounds)))
    ev = json.loads(subprocess.run([cs, "eval", bundle, c_model, "--json"], check=True, capture_output=True,
                                   text=True).stdout)
    check(counts == (ev["train_labels"], ev["val_labels"], ev["test_labels"]),
          "split: script %s = concatseq eval %s" % (counts, (ev["train_labels"], ev["val_labels"], ev["test_labels"])))
    cj = os.path.join(work, "c_model.json")
    subprocess.run([cs, "export-json", c_model, "-o", cj], check=True, stdout=subprocess.DEVNULL)
    check(json.load(open(cj))["meta"]["train_tokens"] == counts[0],
          "split: train_tokens of concatseq train's model = the script's %d training labels" % counts[0])

    tokens = [t for s in seqs for t in s][:40]
    runs = [("gru", ["--arch", "gru", "--hidden", "24", "--layers", "2", "--epochs", "3"], "float"),
            ("transformer", ["--arch", "transformer", "--hidden", "32", "--heads", "4", "--context", "8",
                             "--layers", "2", "--epochs", "3"], "float"),
            ("gru-half", ["--arch", "gru", "--hidden", "24", "--layers", "2", "--epochs", "3"], "half"),
            ("transformer-half", ["--arch", "transformer", "--hidden", "32", "--heads", "4", "--context", "8",
                                  "--layers", "1", "--epochs", "3"], "half")]
    for name, opts, weights in runs:
        out = os.path.join(work, name + ".wav")
        model = tt.main([bundle, "-o", out, "--force", "--quiet", "--concatseq", cs, "--weights", weights] + opts)
        e = subprocess.run([cs, "eval", bundle, out, "--json"], capture_output=True, text=True)
        bits = json.loads(e.stdout)["bits_per_label"]["model"] if e.returncode == 0 else float("nan")
        check(e.returncode == 0 and bits == bits and bits > 0, "%s: loads and concatseq eval scores it: %.4f bits/label"
              % (name, bits))
        ref = torch_logits(model, tokens, V)
        if weights == "half":
            exported = os.path.join(work, name + ".json")
            subprocess.run([cs, "export-json", out, "-o", exported], check=True, stdout=subprocess.DEVNULL)
            tens = json.load(open(exported))["tensors"]
            same = all(torch.equal(torch.tensor(tens[k]["data"], dtype=torch.float32).view(v.shape),
                                   v.detach().half().float()) for k, v in model.state_dict().items())
            check(same, "%s: the file holds PyTorch's own half-rounded weights (Tensor.half()), bit for bit" % name)
            rounded = tt.build(argparse_like(opts), V)
            rounded.load_state_dict({k: v.half().float() for k, v in model.state_dict().items()})
            half_ref = torch_logits(rounded, tokens, V)
            for portable in (False, True):
                c = c_logits(tool, out, tokens, portable)
                d = float((c - half_ref).abs().max())
                check(d <= 1e-4, "%s (%s kernels): step = PyTorch forward of the half-rounded model, max |diff| %.2e"
                      % (name, "portable" if portable else "simd", d))
            d32 = float((c - ref).abs().max())
            scale = float(ref.abs().max())
            check(d32 <= 2e-2 * max(1.0, scale), "%s: half vs float32 PyTorch forward: max |diff| %.2e (logits up to "
                  "%.2f)" % (name, d32, scale))
        else:
            c = c_logits(tool, out, tokens)
            d = float((c - ref).abs().max())
            check(d <= 1e-4, "%s: cs_model_step = PyTorch forward over %d steps, max |diff| %.2e" % (name, len(tokens), d))
    desc_checks(cs, tool, desc_bundle, c_desc_model, work)
    return 1 if failed else 0


def desc_checks(cs, tool, bundle, c_desc_model, work):
    """Item 4 of the top: the descriptor-input models of the script against the C trainer's and the core's."""
    V = int(json.load(open(os.path.join(bundle, "corpus.json")))["labels"])
    units = tt.read_units(cs, bundle)
    bounds = [tt.split_part(len(lab), 0.1, 0.1) for lab, _, _ in units]
    sr = float(json.load(open(os.path.join(bundle, "corpus.json")))["sample_rate"])
    mean, std = tt.duration_stats(units, bounds, sr)
    cj = os.path.join(work, "c_desc_model.json")
    subprocess.run([cs, "export-json", c_desc_model, "-o", cj], check=True, stdout=subprocess.DEVNULL)
    cm = json.load(open(cj))["meta"]
    check((mean, std) == (cm["desc_dur_mean"], cm["desc_dur_std"]) and std != 1.0,
          "desc: duration mean, std %r, %r (%d units of %d lengths) = concatseq train --desc-inputs's %r, %r"
          % (mean, std, sum(len(u) for _, u, _ in units), len({n for _, _, ls in units for n in ls}),
             cm["desc_dur_mean"], cm["desc_dur_std"]))
    rows = tt.desc_rows(cs, bundle, units, mean, std, sr)
    tokens = [t for lab, _, _ in units for t in lab][:40]
    uids = [u for _, uni, _ in units for u in uni][:40]
    runs = [("gru-desc", ["--arch", "gru", "--hidden", "24", "--layers", "2", "--epochs", "3"]),
            ("transformer-desc", ["--arch", "transformer", "--hidden", "32", "--heads", "4", "--context", "8",
                                  "--layers", "2", "--epochs", "3"])]
    for name, opts in runs:
        out = os.path.join(work, name + ".wav")
        model = tt.main([bundle, "-o", out, "--force", "--quiet", "--concatseq", cs, "--desc-inputs"] + opts)
        ej = os.path.join(work, name + ".json")
        subprocess.run([cs, "export-json", out, "-o", ej], check=True, stdout=subprocess.DEVNULL)
        js = json.load(open(ej))
        names = list(js["tensors"].keys())
        check(js["config"].get("desc_inputs") == rows.shape[1] and names[-1] == "desc_proj.weight" and
              names == list(model.state_dict().keys()),
              "%s: config.desc_inputs %s = D + 1 = %d, the tensors in the script's order, desc_proj.weight last"
              % (name, js["config"].get("desc_inputs"), rows.shape[1]))
        e = subprocess.run([cs, "eval", bundle, out, "--json"], capture_output=True, text=True)
        bits = json.loads(e.stdout)["bits_per_label"]["model"] if e.returncode == 0 else float("nan")
        check(e.returncode == 0 and bits == bits and bits > 0, "%s: loads and concatseq eval scores it: %.4f bits/label"
              % (name, bits))
        c, crow = c_logits_desc(tool, out, bundle, tokens, uids)
        mine = rows[uids]
        check(crow.shape == mine.shape and torch.equal(crow, mine),
              "%s: the core's descriptor rows of %d units (cs_model_desc_row) = the script's, bit for bit"
              % (name, len(uids)))
        ref = torch_logits(model, tokens, V, mine)
        d = float((c - ref).abs().max())
        check(d <= 1e-4, "%s: cs_model_step_desc = PyTorch forward over %d label:unit steps, max |diff| %.2e"
              % (name, len(tokens), d))


def argparse_like(opts):
    """The architecture options of a run as the attributes tt.build reads."""
    a = {"arch": "gru", "hidden": 64, "layers": 2, "heads": 8, "context": 64}
    for k, v in zip(opts[::2], opts[1::2]):
        key = k.lstrip("-")
        if key in a:
            a[key] = v if key == "arch" else int(v)
    return type("Args", (), a)


if __name__ == "__main__":
    sys.exit(main())
