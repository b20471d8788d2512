"""PyTorch pieces shared by the reference and benchmark scripts: the GRU model and the tensor-name lists of
models/FORMAT.md (the file order of the weights), so the layout is written once on the Python side too.

GRUModel is exactly the model the C core runs: Embedding(V + 1, H) (BOS = V) -> nn.GRU(H, H, L) -> Linear(H, V).
The transformers stay in their scripts: model_reference.py uses nn.MultiheadAttention's own forward and
train_reference.py an explicit per-head attention, two independent references for the one C forward.
"""
from torch import nn


class GRUModel(nn.Module):
    """(B, T) int64 tokens -> (B, T, V) logits, from a zero hidden state."""

    def __init__(self, V, H, L):
        super().__init__()
        self.embedding = nn.Embedding(V + 1, H)
        self.rnn = nn.GRU(H, H, L, batch_first=True)
        self.head = nn.Linear(H, V)

    def forward(self, tokens):
        y, _ = self.rnn(self.embedding(tokens))
        return self.head(y)


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
