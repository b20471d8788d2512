/*
 * cs_train.h - offline training of the sequence model (GRU or causal transformer) on label sequences.
 *
 * The trained model is ONE flat float32 blob in the agreed layout (notes/model-layout.md, models/): tensors
 * concatenated in PyTorch order, row-major, PyTorch names (see cs_train_tensor()). The inference core
 * (plugins/core/cs_model.h) reproduces the forward pass written here: reset = zero state, then BOS (= V) is
 * fed; step(label) returns logits over the next label.
 *
 * Architectures (exact equations):
 *   GRU (Cho et al. 2014, as torch.nn.GRU; gate order r, z, n):
 *     r = sigmoid(W_ir x + b_ir + W_hr h + b_hr), z = sigmoid(W_iz x + b_iz + W_hz h + b_hz),
 *     n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), h' = (1 - z) * n + z * h;
 *     embedding (V+1, H) -> L GRU layers -> head Linear(H, V).
 *   Transformer (pre-LN, Xiong et al. 2020; attention Vaswani et al. 2017; ALiBi, Press et al. 2022):
 *     x = emb[tok]; per block x += Attn(LN1(x)); x += FF2(ReLU(FF1(LN2(x)))); logits = head(LN_f(x)).
 *     LayerNorm eps 1e-5 (biased variance). Scores q.k / sqrt(D/NH) - m_h (i - j), m_h = 2^(-8h/NH),
 *     h = 1..NH; query i attends to keys j with i - C < j <= i (windowed causal mask, C = context).
 *
 * Training (cs_train_run):
 *   - Split: each source (sequence) is cut in time: its last floor(val_fraction * len) labels are validation,
 *     the rest training (cs_train_split()). A source shorter than 1 / val_fraction labels (10 by default) has
 *     no validation part and is all training. If no source has a validation part, early stopping is off,
 *     val_bits is NaN and the weights of the last epoch are returned.
 *   - Windows: the training part of each source is cut into windows of `window` (T) consecutive labels,
 *     never crossing into another source. Each epoch the window grid of every source is shifted by a seeded
 *     random offset in [0, T) (so each label is seen with different amounts of context across epochs); the
 *     first and last windows of a source may be shorter than T (padded, padded targets are ignored).
 *     Every window starts from the inference reset: zero state (GRU) / empty context (transformer), BOS fed
 *     first, then teacher forcing: inputs BOS, x0 .. x(T-2), targets x0 .. x(T-1). No hidden state is carried
 *     from one window to the next (truncated BPTT of length T). For the transformer T may exceed C: the
 *     windowed causal mask is then exactly the inference ring buffer's view (BOS drops out after C steps).
 *     The windows of an epoch are shuffled (seeded) and cut into batches of `batch` windows.
 *   - Loss: mean softmax cross-entropy over the non-padded targets of a batch. Gradients are hand-written
 *     (backpropagation through time for the GRU), float32.
 *   - Optimiser: Adam (Kingma & Ba 2015) with PyTorch's update, optional decoupled weight decay (AdamW,
 *     Loshchilov & Hutter 2019) on weight matrices and embeddings only (not biases, not LayerNorm);
 *     gradient clipping by global L2 norm (computed in double) before the update.
 *   - Learning-rate schedule: lr(s) = lr * min(1, (s + 1) / warmup_steps) * c(s), s = 0-based optimiser step,
 *     c(s) = min_lr_ratio + (1 - min_lr_ratio) * (1 + cos(pi * s / S)) / 2 with S = total steps when cosine
 *     is on, else 1.
 *   - Dropout (optional, p = dropout, inverted so eval needs no scaling; off in evaluation): on the embedding
 *     output, between GRU layers and before the head (GRU); on the embedding output and on each residual
 *     branch output (attention, feed-forward) for the transformer. Masks come from a seeded generator per
 *     window and optimiser step, so they do not depend on the thread count.
 *   - Evaluation after every epoch: cross-entropy of the validation part (cs_train_eval_split()), used for
 *     early stopping: after `patience` epochs without improvement training stops, and the weights of the best
 *     epoch are returned.
 *   - Threads: a batch is cut into fixed shards of CS_TRAIN_SHARD windows (independent of n_threads); each
 *     shard accumulates its own loss and gradient buffer; shards are distributed over n_threads pthreads and
 *     reduced in shard order by one thread. Hence the weights are byte-identical for any n_threads and from
 *     run to run for the same seed.
 *   - Initialisation (seeded, cs_rng; as PyTorch's defaults): embedding N(0, 1); GRU weights and biases
 *     U(-1/sqrt(H), 1/sqrt(H)); Linear weights and biases (head, out_proj weight, ff1, ff2)
 *     U(-1/sqrt(fan_in), 1/sqrt(fan_in)); in_proj_weight Xavier-uniform U(-sqrt(6/(4D)), sqrt(6/(4D)));
 *     in_proj_bias and out_proj.bias 0; LayerNorm weight 1, bias 0. Drawn in layout order, row-major.
 *
 * Evaluation protocol (cs_train_eval_split, used by training and by `concatseq eval`): for each source with a
 * validation part, the model is reset (zero state + BOS), primed with the last `prime` labels of the source's
 * training part (not scored; fewer if the training part is shorter), then each validation label is scored
 * from the logits before it, running the model step by step exactly as the inference core does (GRU state
 * carried over the whole validation part; transformer with the sliding window of C). The result is the mean
 * over all validation labels of -log2 p(label), in bits per label.
 *
 * Everything here is offline code (allocates, may create threads): NOT real-time safe.
 */
#ifndef CS_TRAIN_H
#define CS_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Number of windows per gradient shard (the unit of parallel work; fixed so results ignore n_threads). */
#define CS_TRAIN_SHARD 8

/** Model architecture. */
typedef enum cs_train_arch { CS_TRAIN_GRU = 0, CS_TRAIN_TRANSFORMER = 1 } cs_train_arch;

/** Model shape. GRU: vocab V >= 1, width = hidden H >= 1, layers 1..2 (heads, context unused).
 *  Transformer: width = D >= 1, layers 1..4, heads NH >= 1 dividing D, context C 1..128, d_ff = 4D. */
typedef struct cs_train_model {
    cs_train_arch arch;
    int vocab;   /* V: labels 0..V-1; BOS = V */
    int width;   /* H (GRU) or D (transformer) */
    int layers;  /* L */
    int heads;   /* NH (transformer only) */
    int context; /* C (transformer only) */
} cs_train_model;

/** One tensor of the flat blob: PyTorch-style name, offset in floats, shape (rows, cols; cols = 1 for
 *  vectors, dims = 1 or 2). */
typedef struct cs_train_tensor_info {
    char name[64];
    size_t offset;
    int rows, cols, dims;
} cs_train_tensor_info;

/** Per-epoch progress sent to the callback. Bits are per label (log base 2). */
typedef struct cs_train_epoch_info {
    int epoch;         /* 1-based */
    int epochs;        /* configured maximum */
    double train_bits; /* mean training cross-entropy over this epoch's batches (with dropout, if on) */
    double val_bits;   /* validation cross-entropy after the epoch (NaN without validation data) */
    double seconds;    /* wall time of this epoch (training + evaluation) */
    double elapsed;    /* wall time since the start of training */
    double lr;         /* learning rate of the last step of the epoch */
    int is_best;       /* 1 when this epoch is the best so far (its weights are kept) */
} cs_train_epoch_info;

/** Progress callback, called once per epoch from the calling thread; return non-zero to stop training
 *  (the best weights so far are returned, report.stopped = 1). */
typedef int (*cs_train_progress_fn)(void *user, const cs_train_epoch_info *info);

/** Training configuration. Fill with cs_train_config_default() and change fields. */
typedef struct cs_train_config {
    cs_train_model model;
    int epochs;                    /* maximum epochs >= 1 (default 30) */
    int window;                    /* T: labels per window >= 1 (default GRU 64; transformer 2C: windows longer than the
                                      context train the model in the sliding-window regime inference runs in, where BOS
                                      has dropped out of view; with T <= C it would never see that regime) */
    int batch;                     /* windows per optimiser step >= 1 (default 32) */
    float lr;                      /* peak learning rate > 0 (default 3e-3 GRU, 1e-3 transformer) */
    float beta1, beta2;            /* Adam betas in [0, 1) (default 0.9, 0.999) */
    float adam_eps;                /* Adam epsilon > 0 (default 1e-8) */
    float weight_decay;            /* decoupled weight decay >= 0 (default 0) */
    float clip_norm;               /* global gradient-norm clip; <= 0 = off (default 1.0) */
    float dropout;                 /* dropout probability in [0, 0.9] (default 0 = off) */
    int warmup_steps;              /* linear warm-up steps >= 0 (0 = none; default 20) */
    int cosine;                    /* 1 = cosine decay to min_lr_ratio * lr over all steps (default 1), 0 = constant */
    float min_lr_ratio;            /* floor of the cosine decay in [0, 1] (default 0.1) */
    int patience;                  /* early stopping after this many epochs without improvement; 0 = off (default 5) */
    double val_fraction;           /* validation fraction of each source in [0, 0.5] (default 0.1) */
    int prime;                     /* labels of priming before each validation part; < 0 = auto (GRU: window,
                                      transformer: C - 1; cs_train_eval_split has no window: GRU auto = 64) */
    int shuffle;                   /* 1 = shuffle windows each epoch and random grid offsets (default 1); 0 = windows
                                      in original order, offset 0 */
    uint64_t seed;                 /* seeds initialisation, window order, offsets and dropout */
    const float *init_weights;     /* NULL = seeded initialisation; else a blob to continue from (copied) */
    int n_threads;                 /* >= 1 worker threads (results do not depend on it) */
    cs_train_progress_fn progress; /* NULL = silent */
    void *user;                    /* passed to progress */
} cs_train_config;

/** Result of a training run. */
typedef struct cs_train_report {
    int epochs_run;         /* epochs completed */
    int best_epoch;         /* 1-based epoch whose weights are returned */
    double best_val_bits;   /* validation bits/label of the returned weights (NaN without validation) */
    double train_bits;      /* training bits/label of the best epoch (as in cs_train_epoch_info) */
    double last_train_bits; /* training bits/label of the last epoch run */
    int stopped_early;      /* 1 when patience ran out */
    int stopped;            /* 1 when the progress callback asked to stop */
    size_t n_params;        /* floats in the weight blob */
    size_t n_train, n_val;  /* training / validation labels over all sources */
    long steps;             /* optimiser steps taken */
    double seconds;         /* total wall time */
} cs_train_report;

/** Check a model shape; 0 or CS_E_ARG. RT-safe (pure). */
int cs_train_model_check(const cs_train_model *m);

/** Number of floats in the weight blob of `m` (layout order of notes/model-layout.md); 0 if invalid. */
size_t cs_train_param_count(const cs_train_model *m);

/** Number of tensors in the layout of `m` (0 if invalid). */
int cs_train_tensor_count(const cs_train_model *m);

/** Describe tensor `index` (0 .. count-1, layout order) into *info. Errors: CS_E_ARG. */
int cs_train_tensor(const cs_train_model *m, int index, cs_train_tensor_info *info);

/** Fill `w` (cs_train_param_count floats) with the seeded PyTorch-like initialisation described above.
 *  Errors: CS_E_ARG. */
int cs_train_init_weights(const cs_train_model *m, uint64_t seed, float *w);

/**
 * Defaults for architecture `arch` and vocabulary V (model: GRU H = 64, L = 2; transformer D = 64, L = 2,
 * NH = 8 (ALiBi is the only position signal; more heads give steeper slopes), C = 64; hyper-parameters as
 * documented in cs_train_config). n_threads = 1, seed = 1.
 */
void cs_train_config_default(cs_train_config *cfg, cs_train_arch arch, int vocab);

/**
 * Temporal split of one source of `len` labels: returns the number of TRAINING labels (the first ones);
 * the remaining len - n_train are validation. n_val = floor(val_fraction * len) (so sources shorter than
 * 1 / val_fraction have none). Used identically by training, evaluation and the n-gram baselines.
 */
size_t cs_train_split(size_t len, double val_fraction);

/**
 * Loss and gradient of a batch (the core of training, exposed for tests and tools).
 * targets: n_win * T ints, window b's targets at targets[b*T .. b*T+T-1] in 0..V-1, or -1 = padding
 * (ignored). Inputs are BOS followed by the targets shifted by one (teacher forcing), each window from the
 * reset state. loss out: mean cross-entropy in nats over non-padded targets (0 if there are none).
 * grad (optional, cs_train_param_count floats): overwritten with d loss / d w. logits (optional,
 * n_win * T * V floats): the logits at every position. No dropout. Deterministic for any n_threads >= 1.
 * Errors: CS_E_ARG (bad shape, label out of range), CS_E_NOMEM.
 */
int cs_train_loss_grad(const cs_train_model *m, const float *w, const int *targets, int n_win, int T, int n_threads,
                       double *loss, float *grad, float *logits);

/** Step-by-step evaluator with the inference semantics (reset = zero state + BOS). Offline helper used by
 *  evaluation and tests; opaque. */
typedef struct cs_train_stepper cs_train_stepper;

/** Create a stepper over weights `w` (borrowed: must outlive the stepper). It starts reset (BOS already fed).
 *  NULL on bad shape or no memory. */
cs_train_stepper *cs_train_stepper_new(const cs_train_model *m, const float *w);
/** Reset: zero state, BOS fed; logits of the first label are then available from cs_train_stepper_logits. */
void cs_train_stepper_reset(cs_train_stepper *s);
/** Feed one label (0..V-1; anything else is clamped); logits (V) over the next label become current. */
void cs_train_stepper_step(cs_train_stepper *s, int label);
/** Current logits (V floats, owned by the stepper, valid until the next step/reset/free). */
const float *cs_train_stepper_logits(const cs_train_stepper *s);
/** Free (NULL is fine). */
void cs_train_stepper_free(cs_train_stepper *s);

/**
 * Cross-entropy of one sequence: reset, feed the first n_prime labels unscored, then score labels
 * n_prime .. n-1 (each from the logits before it). bits_sum out: total -log2 p over scored labels (so the
 * mean is bits_sum / (n - n_prime)). Errors: CS_E_ARG (labels out of range, n_prime > n), CS_E_NOMEM.
 */
int cs_train_eval_seq(const cs_train_model *m, const float *w, const int *seq, size_t n, size_t n_prime,
                      double *bits_sum);

/**
 * Validation cross-entropy in bits per label under the protocol above (split by cs_train_split with
 * val_fraction, prime labels of priming; prime < 0 = auto as in cs_train_config). bits out (NaN when no
 * source has a validation part), n_scored out (optional). Sources are evaluated on up to n_threads threads;
 * the sum is taken in source order (deterministic). Errors: CS_E_ARG, CS_E_NOMEM.
 */
int cs_train_eval_split(const cs_train_model *m, const float *w, const int *const *seqs, const size_t *lens, int n_seqs,
                        double val_fraction, int prime, int n_threads, double *bits, size_t *n_scored);

/**
 * Train a model on n_seqs label sequences (one per source; labels 0..V-1) as described at the top of this
 * file. weights_out: on success *weights_out is a malloc'ed blob of cs_train_param_count floats (the best
 * epoch's weights), owned by the caller, free() it. report (optional) filled. Errors: CS_E_ARG (bad config,
 * label out of range), CS_E_EMPTY (no training labels), CS_E_NOMEM, CS_E_INTERNAL (thread creation failed,
 * non-finite loss).
 */
int cs_train_run(const cs_train_config *cfg, const int *const *seqs, const size_t *lens, int n_seqs,
                 float **weights_out, cs_train_report *report);

#ifdef __cplusplus
}
#endif

#endif
