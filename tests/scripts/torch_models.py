"""PyTorch pieces shared by the reference and benchmark scripts: the GRU model and the tensor-name lists of
models/FORMAT.md (the file order of the weights), so the layout is written once on the Python side too.

GRUModel is exactly the model the C core runs: Embedding(V + 1, H) (BOS = V) -> nn.GRU(H, H, L) -> Linear(H, V).
GRUModel and TransformerModel (nn.MultiheadAttention's own forward with an ALiBi float mask) are those of
models/train_torch.py; train_reference.py keeps an explicit per-head attention, so the one C forward still has
two independent transformer references.
"""
import importlib.util
import os

# The models themselves are the ones models/train_torch.py trains (one definition on the Python side).
_spec = importlib.util.spec_from_file_location(
    "train_torch", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "models", "train_torch.py"))
_tt = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_tt)
GRUModel = _tt.GRUModel  # (B, T) int64 tokens -> (B, T, V) logits, from a zero hidden state
TransformerModel = _tt.TransformerModel  # pre-LN, nn.MultiheadAttention, ALiBi, windowed causal mask


def gru_names(L):
    """State-dict names of an L-layer GRUModel in file order."""
    names = ["embedding.weight"]
    for l in range(L):
        names += [f"rnn.weight_ih_l{l}", f"rnn.weight_hh_l{l}", f"rnn.bias_ih_l{l}", f"rnn.bias_hh_l{l}"]
    return names + ["head.weight", "head.bias"]


def transformer_names(L):
    """State-dict names of an L-block transformer (blocks.l.{ln1, attn, ln2, ff1, ff2}, ln_f, head) in file order."""
    names = ["embedding.weight"]
    for l in range(L):
        p = f"blocks.{l}."
        names += [p + s for s in ["ln1.weight", "ln1.bias", "attn.in_proj_weight", "attn.in_proj_bias",
                                  "attn.out_proj.weight", "attn.out_proj.bias", "ln2.weight", "ln2.bias",
                                  "ff1.weight", "ff1.bias", "ff2.weight", "ff2.bias"]]
    return names + ["ln_f.weight", "ln_f.bias", "head.weight", "head.bias"]
