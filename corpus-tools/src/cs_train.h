/*
 * cs_train.h - offline training of the sequence model (GRU or causal transformer) on label sequences.
 *
 * The model is defined once, in the core (plugins/core/cs_model.h): the configuration (cs_model_config),
 * its limits and check (cs_model_config_check), the tensor list with names, shapes, offsets and PyTorch's
 * default initialisation (cs_model_tensor_info), and the forward step (cs_model_step). This module adds only
 * what training needs: the seeded initialisation, a batched training forward that keeps the activations, its
 * backward pass (hand-written), and the optimiser. Evaluation (cs_train_eval_seq / cs_train_eval_split, the
 * validation of every epoch and `concatseq eval`) runs the core's cs_model_step, the code SeqPredict runs
 * (except the AVX2 set's transformer, which runs the same equations batched: the evaluation protocol below).
 *
 * Why a second (training) forward: backpropagation needs every intermediate activation of a whole window,
 * and training is fast only when the T steps of a window are computed as matrix-matrix products over all
 * positions (time-major; the products, the GRU cell, the attention heads, layer norm, the elementwise loops and
 * Adam are the kernels of cs_train_kernels.h: AVX2/FMA
 * when the CPU has it, else portable C with exact libm functions as in PyTorch; CONCATSEQ_TRAIN_KERNELS=portable
 * forces the portable set); the core's forward is one step at a time with
 * a ring buffer and bounded-error approximations (cs_fastmath.h) for the audio thread. The two are checked
 * against each other in tests/c/test_train.c (test_core_consistency: the logits of cs_train_loss_grad and of
 * cs_model_step agree within 1e-4 of the logit scale over runs past the transformer's context) and against
 * PyTorch in tests/c/test_train_parity.c.
 *
 * The trained model is one flat float32 blob in the core's layout; cs_model_file_write adds the header.
 * Architectures (exact equations): see cs_model.h; the transformer's training mask is the windowed causal
 * mask: query i attends to keys j with i - C < j <= i, exactly the inference ring buffer's view.
 *
 * Training (cs_train_run):
 *   - Split (cs_split_part): each source (sequence) is cut in time into training, validation and test parts:
 *     its last floor(test_fraction * len) labels are the test part, the floor(val_fraction * len) labels
 *     before them validation, the rest training (default 80/10/10). Training sees only the training part;
 *     validation decides early stopping; the test part is never read by cs_train_run (so a test label
 *     changes no trained weight and no choice). A source shorter than 1 / val_fraction labels (10 by default)
 *     has no validation part. If no source has a validation part, early stopping is off, val_bits is NaN and
 *     the weights of the last epoch are returned.
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
 *     run to run for the same seed, with the same kernel set (the AVX2 and portable sets differ in the last bits;
 *     cs_train_kernels.h).
 *   - Initialisation (seeded, cs_rng; as PyTorch's defaults): embedding N(0, 1); GRU weights and biases
 *     U(-1/sqrt(H), 1/sqrt(H)); Linear weights and biases (head, out_proj weight, ff1, ff2)
 *     U(-1/sqrt(fan_in), 1/sqrt(fan_in)); in_proj_weight Xavier-uniform U(-sqrt(6/(4D)), sqrt(6/(4D)));
 *     in_proj_bias and out_proj.bias 0; LayerNorm weight 1, bias 0. Drawn in layout order, row-major.
 *
 * Evaluation protocol (cs_train_eval_split, used by training on the validation part and by `concatseq eval` on
 * the test part): for each source with labels in the scored part, the model is reset (zero state + BOS), primed
 * with the `prime` labels before the part (not scored; fewer if the source has fewer before it), then each label
 * of the part is scored from the logits before it, by the inference core's equations (cs_model_reset /
 * cs_model_prime / cs_model_logits: GRU state carried over the whole part; transformer with the sliding window
 * of C). How, follows the trainer's kernel set (cs_train_kernels.h): with the portable set
 * (CONCATSEQ_TRAIN_KERNELS=portable, or a CPU without AVX2/FMA) the core's step itself on its portable kernel,
 * bit for bit the values of before the AVX2 sets; with the AVX2 set the GRU steps the core on its AVX2 kernel,
 * and the transformer runs the trainer's forward over 128 positions at a time (the kept keys and values of the
 * C - 1 positions before; test_train_kernels: each label's loss within 2e-5 bits of the core's step). Either
 * way the order is fixed: the same value for any thread count, and on every AVX2 CPU; the two sets differ in
 * the last bits, as their weights do. The result is the mean over all scored labels of -log2 p(label), in bits
 * per label.
 *
 * Everything here is offline code (allocates, may create threads): NOT real-time safe.
 */
#ifndef CS_TRAIN_H
#define CS_TRAIN_H

#include "cs_model.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Number of windows per gradient shard (the unit of parallel work; fixed so results ignore n_threads). */
#define CS_TRAIN_SHARD 8

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
    cs_model_config model;         /* architecture and shape: the core's configuration, checked by
                                      cs_model_config_check (vocab is the corpus's label count) */
    int epochs;                    /* maximum epochs >= 1 (default 30) */
    int window;                    /* T: labels per window >= 1, or 0 = auto (the default): GRU: training labels / 8
                                      within 16..64 (a small corpus gets shorter windows, more of them per epoch);
                                      transformer 2C (windows longer than the context train the model in the
                                      sliding-window regime inference runs in, where BOS has dropped out of view) */
    int batch;                     /* windows per optimiser step >= 1, or 0 = auto (the default): training windows /
                                      16 within 4..32 (at least ~16 optimiser steps per epoch on a small corpus) */
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
    double test_fraction;          /* test fraction of each source in [0, 0.5] (default 0.1; never read by
                                      cs_train_run); val_fraction + test_fraction <= 0.9 */
    int prime;                     /* labels of priming before each validation part; < 0 = auto (GRU: window,
                                      transformer: C - 1; cs_train_eval_split has no window: GRU auto = 64) */
    int shuffle;                   /* 1 = shuffle windows each epoch and random grid offsets (default 1); 0 = windows
                                      in original order, offset 0 */
    uint64_t seed;                 /* seeds initialisation, window order, offsets and dropout */
    const float *init_weights;     /* NULL = seeded initialisation; else a blob to continue from (copied) */
    const float *const *descs;     /* descriptor inputs (model.desc_inputs = Din > 0; required then, else NULL):
                                      per source lens[s] rows of Din floats, row i = the descriptor row of the
                                      unit at position i (cs_model_desc_row); the input at position i + 1 reads
                                      row i beside label i (teacher forcing), BOS reads zeros. Validation and
                                      test read their own rows (known, as their labels are) */
    int n_threads;                 /* >= 1 worker threads (results do not depend on it) */
    cs_train_progress_fn progress; /* NULL = silent */
    void *user;                    /* passed to progress */
} cs_train_config;

/** Result of a training run. */
typedef struct cs_train_report {
    int window, batch;      /* the window and batch used (auto values resolved) */
    int epochs_run;         /* epochs completed */
    int best_epoch;         /* 1-based epoch whose weights are returned */
    double best_val_bits;   /* validation bits/label of the returned weights (NaN without validation: then
                                has_val = 0 and the weights are the last epoch's) */
    int has_val;            /* 1 when some source has a validation part (n_val > 0) */
    double train_bits;      /* training bits/label of the best epoch (as in cs_train_epoch_info) */
    double last_train_bits; /* training bits/label of the last epoch run */
    int stopped_early;      /* 1 when patience ran out */
    int stopped;            /* 1 when the progress callback asked to stop */
    size_t n_params;        /* floats in the weight blob */
    size_t n_train, n_val;  /* training / validation labels over all sources */
    long steps;             /* optimiser steps taken */
    double seconds;         /* total wall time */
} cs_train_report;

/** Fill `w` (cs_model_param_count(m) floats) with the seeded PyTorch-like initialisation described above
 *  (per tensor as cs_model_tensor_info's init and fan_in say). Errors: CS_E_ARG. */
int cs_train_init_weights(const cs_model_config *m, uint64_t seed, float *w);

/**
 * The training defaults, defined here only (`concatseq train` starts from them and overrides what the user
 * typed): architecture `arch` (cs_model_arch) and vocabulary V; model: GRU H = 64, L = 2; transformer
 * D = 64, L = 2, NH = 8 (ALiBi is the only position signal; more heads give steeper slopes), C = 64,
 * d_ff = 4D; window and batch 0 = auto; other hyper-parameters as documented in cs_train_config;
 * n_threads = 1 (results do not depend on it), seed = 1.
 */
void cs_train_config_default(cs_train_config *cfg, int arch, int vocab);

/** The window that cs_train_run uses for `cfg` on these sources (cfg->window, or the auto value when it is 0;
 *  see cs_train_config). Returns 0 on a NULL argument. */
int cs_train_auto_window(const cs_train_config *cfg, const size_t *lens, int n_seqs);

/** The batch that cs_train_run uses for `cfg` with window `window` (cfg->batch, or the auto value when it is
 *  0). Returns 0 on a NULL argument. */
int cs_train_auto_batch(const cs_train_config *cfg, int window, const size_t *lens, int n_seqs);

/** The parts of a source's temporal split, in time order. */
typedef enum cs_part { CS_PART_TRAIN = 0, CS_PART_VAL = 1, CS_PART_TEST = 2 } cs_part;

/** A temporal split: fractions of every source held out for validation and for test (see the top of this file). */
typedef struct cs_split {
    double val;  /* [0, 0.5]; default 0.1 */
    double test; /* [0, 0.5]; default 0.1; val + test <= 0.9 */
} cs_split;

/** Default fractions of the temporal split (80/10/10). */
#define CS_SPLIT_VAL_DEFAULT  0.1
#define CS_SPLIT_TEST_DEFAULT 0.1
/** Each fraction is in [0, CS_SPLIT_FRACTION_MAX] (cs_split_part clamps to it), their sum at most
 *  CS_SPLIT_FRACTIONS_MAX (cs_split_check). */
#define CS_SPLIT_FRACTION_MAX  0.5
#define CS_SPLIT_FRACTIONS_MAX 0.9

/* The automatic sizes (cs_train_auto_window, cs_train_auto_batch, cs_train_eval_split's priming). These and the
 * defaults of cs_train_config_default are generated into models/cs_constants.py for models/train_torch.py
 * (corpus-tools/gen/cs_gen_python.c; ctest format_python). */
#define CS_TRAIN_WINDOW_DIV         8  /* GRU window: training labels / this ... */
#define CS_TRAIN_WINDOW_MIN         16 /* ... within MIN .. MAX */
#define CS_TRAIN_WINDOW_MAX         64
#define CS_TRAIN_TF_WINDOW_CONTEXTS 2  /* transformer window: this x context */
#define CS_TRAIN_BATCH_DIV          16 /* batch: training windows / this ... */
#define CS_TRAIN_BATCH_MIN          4  /* ... within MIN .. MAX */
#define CS_TRAIN_BATCH_MAX          32
#define CS_TRAIN_EVAL_PRIME         64 /* cs_train_eval_split's auto priming of a GRU (it has no window) */

/** 0 when both fractions are in [0, 0.5] and their sum is at most 0.9, else CS_E_ARG. */
int cs_split_check(cs_split s);

/**
 * The labels [*from, *to) of `part` in one source of `len` labels under split s (fractions clamped to
 * [0, 0.5]): n_test = floor(s.test * len) last labels, n_val = floor(s.val * len) before them, the first
 * len - n_val - n_test training. Used identically by training, evaluation and the n-gram baselines.
 */
void cs_split_part(size_t len, cs_split s, cs_part part, size_t *from, size_t *to);

/** Number of labels of `part` in one source of len labels (as cs_split_part). */
size_t cs_split_count(size_t len, cs_split s, cs_part part);

/** The split of a training configuration: {cfg->val_fraction, cfg->test_fraction}. */
cs_split cs_train_config_split(const cs_train_config *cfg);

/**
 * Loss and gradient of a batch (the core of training, exposed for tests and tools).
 * targets: n_win * T ints, window b's targets at targets[b*T .. b*T+T-1] in 0..V-1, or -1 = padding
 * (ignored). Inputs are BOS followed by the targets shifted by one (teacher forcing), each window from the
 * reset state. loss out: mean cross-entropy in nats over non-padded targets (0 if there are none).
 * grad (optional, cs_train_param_count floats): overwritten with d loss / d w. logits (optional,
 * n_win * T * V floats): the logits at every position. No dropout. Deterministic for any n_threads >= 1.
 * Errors: CS_E_ARG (bad shape, label out of range), CS_E_NOMEM.
 */
int cs_train_loss_grad(const cs_model_config *m, const float *w, const int *targets, int n_win, int T, int n_threads,
                       double *loss, float *grad, float *logits);

/** cs_train_loss_grad for a model with descriptor inputs: desc = n_win * T * Din floats, row (b, t) the
 *  descriptor row of target (b, t)'s unit; the input at position t + 1 reads row t (BOS and padded rows read
 *  zeros). desc NULL = zeros (and for Din = 0 it is ignored: cs_train_loss_grad). Errors as cs_train_loss_grad. */
int cs_train_loss_grad_desc(const cs_model_config *m, const float *w, const int *targets, const float *desc, int n_win,
                            int T, int n_threads, double *loss, float *grad, float *logits);

/**
 * Cross-entropy of one sequence with the core's forward step (cs_model_reset / cs_model_prime /
 * cs_model_logits on a state over `w`, or their batched equivalent: the evaluation protocol above):
 * reset, feed the first n_prime labels unscored, then score labels n_prime .. n-1 (each from the logits
 * before it). bits_sum out: total -log2 p over scored labels (so the mean is bits_sum / (n - n_prime)).
 * Errors: CS_E_ARG (invalid config, labels out of range, n_prime > n), CS_E_NOMEM.
 */
int cs_train_eval_seq(const cs_model_config *m, const float *w, const int *seq, size_t n, size_t n_prime,
                      double *bits_sum);

/**
 * Cross-entropy in bits per label of `part` (CS_PART_VAL for early stopping, CS_PART_TEST for `eval`) under
 * split s, by the protocol above (prime labels of priming; prime < 0 = auto as in cs_train_config). bits out
 * (NaN when no source has labels in the part), n_scored out (optional), losses out (optional: -log2 p of every
 * scored label, sources in order, labels in time order; the caller sizes it to the part's label count over all
 * sources, cs_split_count). Sources are evaluated on up to n_threads threads; the sum is taken in source order
 * (deterministic). Errors: CS_E_ARG, CS_E_NOMEM.
 */
int cs_train_eval_split(const cs_model_config *m, const float *w, const int *const *seqs, const size_t *lens,
                        int n_seqs, cs_split s, cs_part part, int prime, int n_threads, double *bits, size_t *n_scored,
                        double *losses);

/** cs_train_eval_split for a model with descriptor inputs: descs as cs_train_config's (per source lens[s] rows
 *  of Din floats; the label at position i is fed with row i, cs_model_prime_desc). descs NULL = zero rows.
 *  Same protocol, errors and determinism. */
int cs_train_eval_split_desc(const cs_model_config *m, const float *w, const int *const *seqs,
                             const float *const *descs, const size_t *lens, int n_seqs, cs_split s, cs_part part,
                             int prime, int n_threads, double *bits, size_t *n_scored, double *losses);

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
