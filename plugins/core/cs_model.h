/*
 * cs_model.h - the sequence model, defined once: architectures, configuration and limits, file layout and
 * tensor list, parser and validator, and the inference step (GRU or causal transformer).
 *
 * Everything that knows what a model is lives here: the trainer (corpus-tools/src/cs_train.c) builds its
 * tensors, initialisation and offsets from cs_model_tensor_info and checks shapes with cs_model_config_check;
 * evaluation (`concatseq eval`, the trainer's validation), the CLI's sampling and SeqPredict all run
 * cs_model_step. Adding an architecture means: the enum, the limits and the name table below, its tensors in
 * cs_model_tensor_info and its view slots, its forward step (cs_model.c), and its backward pass in the trainer.
 *
 * The model lives in ONE flat float32 array (a SuperCollider Buffer loaded from a mono float WAV, or the
 * CLI's copy of the same file): a 64-float header, then the weights, tensors concatenated in the order of
 * cs_model_tensor_info (PyTorch names and row-major PyTorch layouts), as float32 or (header float 36 = 1) as
 * IEEE halves packed two per float (cs_model_precision), which the step converts with F16C inside its products.
 * models/FORMAT.md documents every offset. Parsing never copies a weight: the view holds pointers into the caller's
 * array, which must stay valid (and unchanged) while a state uses it.
 *
 * Style after llama2.c run.c (Config / Weights / RunState, one flat blob mapped by offsets, a forward pass
 * that never allocates) and kissfft's "ask the size, then place the state in caller memory".
 *
 * Architectures (V labels 0..V-1, BOS = V):
 *  - GRU (Cho et al. 2014) exactly as torch.nn.GRU: r, z, n gates,
 *    n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), h' = (1 - z) n + z h; embedding (V+1, H) -> L layers ->
 *    Linear(H, V).
 *  - Pre-LN causal transformer (Vaswani et al. 2017; pre-LN as Xiong et al. 2020) with ALiBi (Press, Smith &
 *    Lewis 2022): score(i,j) = q_i.k_j / sqrt(D/NH) - m_h (i - j), m_h = 2^(-8h/NH), h = 1..NH; a sliding
 *    window of C tokens (the query itself and the previous C-1); KV cache = ring buffer of C entries per
 *    layer, so every step costs the same once the window is full.
 *
 * Real-time safety: nothing in this file allocates, performs I/O or locks. cs_model_parse_header,
 * cs_model_view_map, cs_model_state_*, cs_model_reset, cs_model_step, cs_model_prime and cs_model_verify_step
 * are bounded; cs_model_parse (the full check) is O(number of weights): see its comment for when to use which.
 */
#ifndef CS_MODEL_H
#define CS_MODEL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- file layout constants (models/FORMAT.md) ---- */
#define CS_MODEL_MAGIC         4412237    /* 0x43534D, "CSM"; < 2^24 so exact in a float */
#define CS_MODEL_VERSION       2          /* format version this code writes (split integers (hi, lo)) */
#define CS_MODEL_VERSION_MIN   1          /* oldest version this code reads (split integers (lo, hi)) */
#define CS_MODEL_HEADER_FLOATS 64         /* header size in floats; weights start here */
#define CS_MODEL_WEIGHT_LIMIT  1048576.0f /* |w| <= 2^20 for every weight (keeps every activation finite) */

/* Header offsets (float index into the buffer). Integers that can exceed 2^24 are split integers
 * (cs_split.h): a "u16 pair" is (hi, lo), value = hi * 65536 + lo, a "u16 quad" four pieces, most significant
 * first. Version-1 files stored the same pieces in the opposite order (least significant first). */
enum cs_model_header_index {
    CS_MH_MAGIC = 0,             /* CS_MODEL_MAGIC */
    CS_MH_VERSION = 1,           /* CS_MODEL_VERSION */
    CS_MH_HEADER_FLOATS = 2,     /* CS_MODEL_HEADER_FLOATS */
    CS_MH_ARCH = 3,              /* 0 GRU, 1 transformer */
    CS_MH_VOCAB = 4,             /* V, 1..4096 */
    CS_MH_WIDTH = 5,             /* H (GRU, 16..256) or D (transformer, 32..128) */
    CS_MH_LAYERS = 6,            /* 1..2 GRU, 1..4 transformer */
    CS_MH_HEADS = 7,             /* transformer: 1..D, divides D; GRU: 0 */
    CS_MH_CONTEXT = 8,           /* transformer: 1..128; GRU: 0 */
    CS_MH_DFF = 9,               /* transformer: 4 D; GRU: 0 */
    CS_MH_NWEIGHTS = 10,         /* u16 pair (10, 11): number of weight floats */
    CS_MH_CHECKSUM = 12,         /* u16 pair (12, 13): FNV-1a 32 of the weights' bytes */
    CS_MH_CORPUS_SUM = 14,       /* u16 quad (14..17): 64-bit corpus checksum */
    CS_MH_SEED = 18,             /* u16 quad (18..21): 64-bit training seed */
    CS_MH_EPOCHS = 22,           /* u16 pair (22, 23) */
    CS_MH_TRAIN_TOKENS = 24,     /* u16 pair (24, 25): labels in the training split */
    CS_MH_TRAIN_LOSS = 26,       /* float: final training loss, bits per label (-1 = unknown) */
    CS_MH_VAL_LOSS = 27,         /* float: validation loss, bits per label (-1 = unknown) */
    CS_MH_NGRAM_FLOATS = 28,     /* u16 pair (28, 29): floats of an n-gram table (cs_ngram_table.h) after the
                                    weights; 0 = none (every earlier file) */
    CS_MH_NET_WEIGHT = 30,       /* float: with a table, the mixture's weight on the network in [0, 1]:
                                    p = w p_network + (1 - w) p_ngram; written 0 (and ignored) without one */
    CS_MH_DESC_INPUTS = 31,      /* int: Din, descriptor inputs beside the label (0..CS_MODEL_MAX_DESC_INPUTS); 0 =
                                    labels only (every earlier file) */
    CS_MH_DESC_SET = 32,         /* int: which descriptors (Din > 0): 1 = CS_MODEL_DESC_SET_TABLE_DUR; 0 when Din = 0 */
    CS_MH_DESC_DUR_MEAN = 33,    /* float: mean of ln(unit duration in seconds) over the training units (Din > 0) */
    CS_MH_DESC_DUR_STD = 34,     /* float: its standard deviation, > 0 (1 when every unit has one duration) */
    CS_MH_RESERVED = 35,         /* 35 (descriptor inputs' spare) and 38..63: written 0, ignored by readers */
    CS_MH_PRECISION = 36,        /* weight precision (cs_model_precision): 0 float32 (every earlier file), 1 IEEE
                                    half packed two per float (models/FORMAT.md "Half-precision weights") */
    CS_MH_PRECISION_LAYOUT = 37, /* layout detail of the precision: 0 (the only layout; anything else is refused) */
    CS_MH_RESERVED_TAIL = 38     /* 38..63: written 0, ignored by readers */
};

/* Descriptor inputs (models/FORMAT.md "Descriptor inputs"). With Din > 0 the network's input at every step is
 * x = embedding[label] + desc_proj.weight (W, Din) d, d = the descriptor row of the unit whose label is fed
 * (zero for BOS), each element clamped to +-CS_MODEL_DESC_CLAMP (NaN -> 0). Set 1 (the only one): the unit
 * table's D normalised descriptors in table order, then (ln(duration s) - dur_mean) / dur_std; Din = D + 1.
 * plugins/core/cs_model_desc.h builds that row from a unit table. */
#define CS_MODEL_MAX_DESC_INPUTS    257 /* D <= 256 table descriptors + the duration */
#define CS_MODEL_DESC_SET_TABLE_DUR 1
#define CS_MODEL_DESC_CLAMP         64.0f

/** Weight precision (header float 36). CS_MODEL_PRECISION_HALF stores the weights as IEEE-754 binary16, two per
 *  float32 of the file: element 2k in bits 0-15 of float k, element 2k+1 in bits 16-31 with 0x80 added to its
 *  15-bit magnitude (sign kept), so that every stored float is a finite NORMAL float32 (exponent field 1..248)
 *  that any float path (libsndfile, Buffer.read, OSC, a float->double->float round trip, denormals-are-zero)
 *  keeps bit for bit. Needs an even width (every tensor and row then starts at a whole float) and no descriptor
 *  inputs (desc_proj.weight (W, Din) has odd rows on real corpora, Din = D + 1): both refused with
 *  CS_MODEL_E_PRECISION. */
typedef enum cs_model_precision { CS_MODEL_PRECISION_FLOAT = 0, CS_MODEL_PRECISION_HALF = 1 } cs_model_precision;

/** The bias added to the magnitude of the high half of a packed float (see cs_model_precision). */
#define CS_MODEL_HALF_HI_BIAS 0x80u
/** Largest finite half (65504): the largest |weight| a half-precision file holds. */
#define CS_MODEL_HALF_MAX 65504.0f

/** Architectures (the header's arch field). CS_MODEL_ARCH_COUNT is the number of them. */
typedef enum cs_model_arch { CS_MODEL_GRU = 0, CS_MODEL_TRANSFORMER = 1, CS_MODEL_ARCH_COUNT = 2 } cs_model_arch;

/** The architecture's name as the CLI, the JSON form and the sclang classes spell it ("gru", "transformer"),
 *  or NULL for an unknown arch. Static string, RT-safe. */
const char *cs_model_arch_name(int arch);

/** The architecture named `name` (as cs_model_arch_name spells it), or -1. RT-safe. */
int cs_model_arch_from_name(const char *name);

/* Limits enforced by the parser and cs_model_config_check, for every reader and for the trainer: the one
 * place they are defined (models/FORMAT.md and the generated sc-classes/ConcatSeqFormat.sc repeat them). */
#define CS_MODEL_MAX_VOCAB      4096
#define CS_MODEL_GRU_MIN_H      16
#define CS_MODEL_GRU_MAX_H      256
#define CS_MODEL_GRU_MAX_LAYERS 2
#define CS_MODEL_TF_MIN_D       32
#define CS_MODEL_TF_MAX_D       128
#define CS_MODEL_TF_MAX_LAYERS  4
#define CS_MODEL_TF_MAX_CONTEXT 128
#define CS_MODEL_MAX_LAYERS     4
#define CS_MODEL_TF_FF_MULT     4 /* d_ff = CS_MODEL_TF_FF_MULT * D */

/** Errors of this module (the core cannot depend on corpus-tools' cs_err). 0 = success. */
typedef enum cs_model_err {
    CS_MODEL_OK = 0,
    CS_MODEL_E_ARG = -1,       /* NULL pointer or invalid argument */
    CS_MODEL_E_TRUNCATED = -2, /* buffer shorter than the header, or than header + weights */
    CS_MODEL_E_MAGIC = -3,     /* first float is not CS_MODEL_MAGIC: not a model */
    CS_MODEL_E_VERSION = -4,   /* format version not supported */
    CS_MODEL_E_HEADER = -5,    /* a header field is not an exact integer in range, or meta not finite */
    CS_MODEL_E_ARCH = -6,      /* unknown architecture */
    CS_MODEL_E_DIMS = -7,      /* dimensions out of range or inconsistent */
    CS_MODEL_E_SIZE = -8,      /* weight count in the header does not match the dimensions */
    CS_MODEL_E_NONFINITE = -9, /* a weight is NaN, infinite or larger than CS_MODEL_WEIGHT_LIMIT */
    CS_MODEL_E_CHECKSUM = -10, /* weights do not match the stored checksum */
    CS_MODEL_E_MEMORY = -11,   /* state memory NULL or smaller than cs_model_state_size() */
    CS_MODEL_E_TOKEN = -12,    /* token outside 0..V-1 */
    CS_MODEL_E_MISMATCH = -13, /* rebind: the new view has a different configuration */
    CS_MODEL_E_NGRAM = -14,    /* the n-gram table after the weights is damaged or of another vocabulary */
    CS_MODEL_E_PRECISION = -15 /* precision field not 0 or 1, layout not 0, or half with odd width or desc inputs */
} cs_model_err;

/** Static one-line English message for a cs_model_err (never NULL). Thread-safe, RT-safe. */
const char *cs_model_strerror(int err);

/** Architecture and dimensions. d_ff is 4*width for the transformer, 0 for the GRU; heads and context are 0
 *  for the GRU. */
typedef struct cs_model_config {
    int arch;        /* cs_model_arch */
    int vocab;       /* V, 1..4096 (tokens 0..V-1, BOS = V) */
    int width;       /* H (GRU) or D (transformer) */
    int layers;      /* L */
    int heads;       /* NH */
    int context;     /* C */
    int d_ff;        /* F */
    int desc_inputs; /* Din: descriptor inputs added to the embedding, 0..CS_MODEL_MAX_DESC_INPUTS (0 = none) */
} cs_model_config;

/** Training metadata carried in the header (not used by inference). */
typedef struct cs_model_meta {
    uint64_t corpus_checksum; /* checksum of the corpus the model was trained on (corpus-tools' choice) */
    uint64_t seed;            /* training seed */
    uint32_t epochs;          /* epochs trained */
    uint32_t train_tokens;    /* labels in the training split */
    float train_loss_bits;    /* final training cross-entropy, bits per label; -1 = unknown */
    float val_loss_bits;      /* validation cross-entropy, bits per label; -1 = unknown */
    float desc_dur_mean;      /* descriptor inputs (cfg.desc_inputs > 0): mean of ln(duration s); else 0 */
    float desc_dur_std;       /* and its standard deviation (> 0); 0 without descriptor inputs */
} cs_model_meta;

/** Check a configuration against the limits above. Returns 0, CS_MODEL_E_ARCH or CS_MODEL_E_DIMS. RT-safe. */
int cs_model_config_check(const cs_model_config *cfg);

/** Number of weight floats for a valid configuration (the tensors of cs_model_tensor_info), 0 if invalid.
 *  RT-safe. */
size_t cs_model_param_count(const cs_model_config *cfg);

/**
 * Multiply-adds of one inference step of a valid configuration: the matrix-vector products of
 * cs_model_step (feed one token and compute the V logits), the work that dominates it. GRU:
 * L * 6 H^2 + V H; transformer: L * (12 D^2 + 2 C D) + V D (QKV 3 D^2, the attention over a full window of C
 * keys 2 C D, the output projection D^2, the feed-forward 8 D^2 with d_ff = 4 D). 0 for an invalid
 * configuration. Examples: GRU H 64, 1 layer, V 64: 28 672; the largest legal transformer (D 128, 4 layers,
 * context 128, V 4096): 1 441 792. Measured on the 2.1 GHz EPYC of tests/bench (AVX2+FMA kernel): 15 to 20
 * multiply-adds per nanosecond (tests/bench/bench_model_step). O(1), RT-safe.
 */
uint64_t cs_model_step_madds(const cs_model_config *cfg);

/** How PyTorch's module initialises a tensor by default (the trainer's seeded initialisation follows it). */
typedef enum cs_model_init {
    CS_MODEL_INIT_NORMAL = 0,  /* N(0, 1) (nn.Embedding) */
    CS_MODEL_INIT_UNIFORM = 1, /* U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (nn.Linear, nn.GRU weights and biases) */
    CS_MODEL_INIT_XAVIER = 2,  /* U(-sqrt(6/(rows+cols)), +) (nn.MultiheadAttention in_proj_weight) */
    CS_MODEL_INIT_ZERO = 3,    /* 0 (LayerNorm bias, attention biases) */
    CS_MODEL_INIT_ONE = 4      /* 1 (LayerNorm weight) */
} cs_model_init;

/** One tensor of the flat weight blob, in file order. */
typedef struct cs_model_tensor {
    char name[48];   /* PyTorch-style name, e.g. "rnn.weight_ih_l0", "blocks.1.attn.in_proj_weight" */
    int ndim;        /* 1 or 2 */
    size_t shape[2]; /* (rows, cols) for 2-D, (n, 1) for 1-D; row-major */
    size_t offset;   /* offset in floats from the start of the weights (header excluded) */
    size_t count;    /* shape[0] * shape[1] */
    int init;        /* cs_model_init: PyTorch's default initialisation of this tensor */
    int fan_in;      /* fan-in of CS_MODEL_INIT_UNIFORM (> 0), else 0 */
    int decay;       /* 1 for weight matrices and the embedding (decoupled weight decay applies), 0 otherwise */
    int product;     /* 1 for a matrix used in matrix products (GRU and Linear weights, head), 0 otherwise */
} cs_model_tensor;

/** Number of tensors of a valid configuration (GRU: 3 + 4L, transformer: 5 + 12L; one more, desc_proj.weight,
 *  last, with descriptor inputs), 0 if invalid. RT-safe. */
int cs_model_tensor_count(const cs_model_config *cfg);

/** Fill `out` with tensor `index` (0 .. count-1) of `cfg`. Returns 0 or CS_MODEL_E_ARG. RT-safe. */
int cs_model_tensor_info(const cs_model_config *cfg, int index, cs_model_tensor *out);

/** FNV-1a 32-bit (Fowler, Noll, Vo) over the bytes of `n` floats, each float taken as its IEEE-754 bit pattern
 *  in little-endian byte order (so the value does not depend on the host's endianness). Start with
 *  h = 2166136261 (the FNV offset basis) and chain calls to hash in pieces. O(n), no allocation. */
uint32_t cs_model_fnv1a(uint32_t h, const float *data, size_t n);

/** The parsed model: configuration, metadata and pointers INTO the caller's buffer (no copy). Shapes are in
 *  PyTorch row-major layout (cs_model_tensor_info, models/FORMAT.md). Unused pointers are NULL.
 *  With precision CS_MODEL_PRECISION_HALF every tensor pointer points at the packed float that holds the
 *  tensor's first element (weights + offset / 2; offsets are even): read elements with cs_model_half_at or
 *  cs_model_weights_get, never as floats. */
typedef struct cs_model_view {
    cs_model_config cfg;
    cs_model_meta meta;
    int version;            /* format version of the file (CS_MODEL_VERSION_MIN..CS_MODEL_VERSION); 0 if mapped */
    uint32_t checksum;      /* FNV-1a 32 stored in the header */
    size_t n_weights;       /* weight floats */
    size_t total_floats;    /* CS_MODEL_HEADER_FLOATS + n_weights + ngram_floats (the buffer may be longer) */
    const float *ngram;     /* the n-gram table after the weights (cs_ngram_table.h), or NULL */
    size_t ngram_floats;    /* its floats (0 = a network alone) */
    float net_weight;       /* the mixture's weight on the network (1 without a table) */
    int precision;          /* cs_model_precision of the weights (header float 36) */
    size_t stored_floats;   /* floats holding the weights: n_weights (float32) or ceil(n_weights / 2) (half) */
    const float *weights;   /* start of the blob = buf + CS_MODEL_HEADER_FLOATS */
    const float *embedding; /* (V+1, W) */
    /* GRU, per layer l: */
    const float *w_ih[CS_MODEL_MAX_LAYERS]; /* (3H, H) rows r, z, n */
    const float *w_hh[CS_MODEL_MAX_LAYERS]; /* (3H, H) */
    const float *b_ih[CS_MODEL_MAX_LAYERS]; /* (3H) */
    const float *b_hh[CS_MODEL_MAX_LAYERS]; /* (3H) */
    /* transformer, per layer l: */
    const float *ln1_w[CS_MODEL_MAX_LAYERS], *ln1_b[CS_MODEL_MAX_LAYERS]; /* (D) */
    const float *in_w[CS_MODEL_MAX_LAYERS];                               /* (3D, D) rows q, k, v */
    const float *in_b[CS_MODEL_MAX_LAYERS];                               /* (3D) */
    const float *out_w[CS_MODEL_MAX_LAYERS];                              /* (D, D) */
    const float *out_b[CS_MODEL_MAX_LAYERS];                              /* (D) */
    const float *ln2_w[CS_MODEL_MAX_LAYERS], *ln2_b[CS_MODEL_MAX_LAYERS]; /* (D) */
    const float *ff1_w[CS_MODEL_MAX_LAYERS];                              /* (F, D) */
    const float *ff1_b[CS_MODEL_MAX_LAYERS];                              /* (F) */
    const float *ff2_w[CS_MODEL_MAX_LAYERS];                              /* (D, F) */
    const float *ff2_b[CS_MODEL_MAX_LAYERS];                              /* (D) */
    const float *lnf_w, *lnf_b;                                           /* (D) */
    /* both: */
    const float *head_w; /* (V, W) */
    const float *head_b; /* (V) */
    /* descriptor inputs (cfg.desc_inputs > 0), else NULL: */
    const float *desc_w; /* (W, Din) desc_proj.weight, the last tensor */
} cs_model_view;

/**
 * Map the tensors of a weight blob with no header (`weights`: cs_model_param_count(cfg) floats, borrowed) into
 * *out: cfg, n_weights, total_floats (= n_weights), weights and every tensor pointer; meta zero, losses -1,
 * checksum 0. What the trainer and the tests use to run cs_model_step on weights they hold. O(number of
 * tensors), RT-safe. Returns 0, or CS_MODEL_E_ARG / CS_MODEL_E_ARCH / CS_MODEL_E_DIMS (then *out is zeroed).
 */
int cs_model_view_map(const cs_model_config *cfg, const float *weights, cs_model_view *out);

/**
 * Cheap parse: validate the header (magic, version 1 or 2, header size, exact integer fields, architecture,
 * dimension limits, weight count = the count implied by the dimensions, n >= header + weights + n-gram table,
 * net_weight in [0, 1] when there is a table) and map the tensor pointers and the table into `buf`. Does NOT
 * look at the weights nor inside the table: O(number of tensors) <= 53 steps, RT-safe.
 * A model with an n-gram table is a MIXTURE: p(next) = net_weight softmax(network logits) + (1 - net_weight)
 * p_ngram(next | the labels fed since the reset) (cs_ngt_mix_logits). A reader that ignores the table (every
 * reader before it existed) runs the network alone, a valid model.
 * `n` is the number of floats available (a Buffer's frames * channels); floats past total_floats are ignored.
 * Returns 0 or a negative cs_model_err; on error *out is zeroed.
 */
int cs_model_parse_header(const float *buf, size_t n, cs_model_view *out);

/** Incremental weight verification (finite, |w| <= 2^20, FNV-1a checksum), to spread the O(weights) scan
 *  over several audio blocks. Plain data: place it anywhere. */
typedef struct cs_model_verify {
    size_t pos;    /* weights checked so far */
    uint32_t hash; /* running FNV-1a */
} cs_model_verify;

/** Start a verification of `view` (after cs_model_parse_header succeeded). RT-safe. */
void cs_model_verify_begin(cs_model_verify *v);

/**
 * Check up to `max_floats` more weights (max_floats >= 1; cost ~5 ns per float on a 2.1 GHz EPYC core: the
 * byte-wise FNV-1a is a chain of 4 dependent multiplies per float). Returns 1 when every weight has been
 * checked and the checksum matches, 0 when more remains, CS_MODEL_E_NONFINITE or CS_MODEL_E_CHECKSUM on
 * failure. Bounded by max_floats: RT-safe. A UGen can call it with e.g. 8192 floats per block (~40 us)
 * until it returns 1, and only then use the model.
 */
int cs_model_verify_step(const cs_model_view *view, cs_model_verify *v, size_t max_floats);

/**
 * Full parse = cs_model_parse_header + a complete weight scan (finite, |w| <= 2^20, checksum) + the n-gram
 * table's validation when there is one (cs_ngt_parse, same vocabulary; O(table size)). O(number of
 * weights): ~5 ns per weight measured (2.1 GHz EPYC): 33 k weights (GRU 64/64) 0.16 ms, 264 k (GRU
 * 128/256) 1.3 ms, the largest legal model (2.9 M weights) 14 ms. The CLI and tests use this; so can a
 * plugin command's non-real-time stage. On the audio thread use it only for small models (< ~20 k weights,
 * < 0.1 ms); otherwise cs_model_parse_header + cs_model_verify_step spread over blocks.
 * Returns 0 or a negative cs_model_err; on error *out is zeroed.
 */
int cs_model_parse(const float *buf, size_t n, cs_model_view *out);

/** The work of one step of the model of `view` in multiply-add equivalents, the unit of SeqPredict's per-block
 *  budget: cs_model_step_madds for float32 weights; for half weights (converted by F16C inside the products)
 *  twice that, above the worst ratio measured warm (tests/bench/bench_model_step, same run: 1.17-1.73x of the
 *  float32 step with the AVX2/F16C products for GRU 64, GRU 128 x 2 and transformer 64 x 2 on a loaded EPYC;
 *  1.04-1.24x with the AVX-512 ones), so the worst block stays within the budget. The folded embedding and the
 *  half copy (cs_model_state_size) do not lower it: a token's first step costs the full product, and the step
 *  that remakes the half copy (after init, rebind, a kernel switch) also strips the matrices (bench_model_step
 *  "step_half_first", GRU 128 x 2 / V 256: 1.07-1.66x the float32 step without the fold, i.e. of the
 *  multiply-adds counted here; the transformer 1.13-2.25x its float32 step, the 2.25x in one round at a load of
 *  5 on 2 cores, 1.83x at most before). 0 for NULL or an invalid
 * configuration. O(1), RT-safe. */
uint64_t cs_model_step_cost(const cs_model_view *view);

/* ---- half-precision weights (models/FORMAT.md "Half-precision weights") ---- */

/** The IEEE-754 binary16 bit pattern `h` (finite or not) as a float, exactly. Integer operations only (no
 *  denormal float is formed, so a denormals-are-zero FPU mode cannot change the result). RT-safe. */
float cs_model_half_to_float(uint16_t h);

/** `f` rounded to the nearest binary16 (ties to even, as PyTorch's Tensor.half() and F16C do) into *out.
 *  Returns 0, or CS_MODEL_E_NONFINITE when f is NaN or infinite or rounds beyond CS_MODEL_HALF_MAX. RT-safe. */
int cs_model_half_from_float(float f, uint16_t *out);

/** Element `i` of a packed half array (`packed`: the floats of cs_model_half_pack), decoded exactly. RT-safe. */
float cs_model_half_at(const float *packed, size_t i);

/**
 * Pack `n` floats into (n + 1) / 2 floats of half pairs (cs_model_precision: element 2k in bits 0-15 of
 * packed[k], element 2k+1 in bits 16-31 with the magnitude bias; an odd n pads the last high half with +0).
 * Every value is rounded to nearest-even. Returns 0, CS_MODEL_E_ARG (NULL) or CS_MODEL_E_NONFINITE (a value
 * NaN, infinite or beyond CS_MODEL_HALF_MAX; packed is then partly written). O(n), no allocation.
 */
int cs_model_half_pack(const float *w, size_t n, float *packed);

/** Weights first .. first + n - 1 of `view` (in file order, either precision) as floats into out, exactly.
 *  Returns 0 or CS_MODEL_E_ARG (NULL, or the range past n_weights). O(n), no allocation, RT-safe per call. */
int cs_model_weights_get(const cs_model_view *view, size_t first, size_t n, float *out);

/**
 * Way (a) of running a half-precision file: convert the parsed model `view` (either precision) into a complete
 * float32 model in `out` (`out_n` >= CS_MODEL_HEADER_FLOATS + n_weights + ngram_floats floats; may not overlap
 * the view's buffer): the header of `header` (the view's buffer start) with precision 0 and the checksum of
 * the float weights, the weights decoded exactly, then the n-gram table copied. The result parses with
 * cs_model_parse and steps to the same logits as the half file does with its kernels (test_model_half).
 * Returns the floats written (> 0) or a negative cs_model_err. O(weights), no allocation: for a plugin
 * command's non-real-time stage or the language side, not for the audio thread of a large model.
 */
long cs_model_expand(const cs_model_view *view, const float *header, float *out, size_t out_n);

/* ---- inference state ---- */
typedef struct cs_model_state cs_model_state;

/** Largest folded-embedding table a state holds (bytes; see cs_model_state_size). */
#define CS_MODEL_FOLD_MAX_BYTES (512u * 1024u)

/** Largest unbiased copy of half weights a state holds (bytes; see cs_model_state_size). */
#define CS_MODEL_HCOPY_MAX_BYTES (512u * 1024u)

/** Bytes of caller memory needed for a state of `view` (includes 64 bytes of alignment slack), 0 if view is
 *  NULL. RT-safe. For a GRU without descriptor inputs this includes the folded-embedding table, (V+1) x 3H
 *  floats + V+1 bytes, when that is <= CS_MODEL_FOLD_MAX_BYTES: row t = W_ih0 embedding[t] + b_ih0, layer 0's
 *  input product, computed by the step the first time token t is fed and read, not recomputed, afterwards (the
 *  same kernel on the same input: the logits are bit-identical with and without it, test_model_fold). It saves
 *  3H^2 of the L 6H^2 + VH multiply-adds of a warm step (GRU H 64 / 1 layer / V 64: 43 %; H 128 / 2 layers /
 *  V 256: 21 %); the first step of each token costs what it did. Sizes: GRU 64 / V 64: 52 KB (was 3 KB); H 128
 *  / V 256: 392 KB (was 6 KB); larger GRUs (e.g. H 256, V 256: 790 KB) have no table and keep the small state.
 *  With half weights it also includes the *half copy*, when that is <= CS_MODEL_HCOPY_MAX_BYTES: the matrices a
 *  warm step multiplies (GRU: W_hh of every layer, W_ih of every layer but a folded layer 0, the head; the
 *  transformer: in_proj, out_proj, ff1, ff2 of every layer, the head) with the high halves' bias removed, made
 *  by the step on a matrix's first use (one pass: a load, a subtraction and a store per 8 halves) and read
 *  afterwards, because F16C converts from memory at about 1.9x the rate it converts the subtracted register
 *  (Zen 4). A matrix of rows % 4 == 0 and cols % 16 == 0 is stored *blocked* (4-row blocks, the rows of a block
 *  interleaved by 16 columns: the product reads one sequential stream; others row by row). The same halves in
 *  the same order: the logits are bit-identical with and without it, and in either layout
 *  (test_model_half_copy). Sizes: GRU 64 / V 64 +33 KB, GRU 128 x 2 / V 256 +352 KB, transformer D 64 x 2 +204
 *  KB; GRU H 256 and the transformer D 128 x 4 exceed the limit and have none.
 *  Largest legal state: at most about 1 MB (a half GRU with both near their limits); the transformer's largest
 *  (D 128, 4 layers, context 128, V 4096) is about 150 KB. */
size_t cs_model_state_size(const cs_model_view *view);

/** Bytes of the smallest state of `view`: cs_model_state_size without the folded-embedding table and the half
 *  copy (a prefix of the full layout), 0 if view is NULL or refused. A state placed in fewer bytes than
 *  cs_model_state_size (but at least these) has neither: the same logits, bit for bit, at the unfolded, uncopied
 *  cost (the cost cs_model_step_cost counts). GRU 128 x 2 / V 256: about 6 KB against 745 KB with half weights.
 *  For a host whose real-time memory cannot hold the full state (SeqPredict falls back to it). RT-safe. */
size_t cs_model_state_size_min(const cs_model_view *view);

/**
 * Place a state for `view` in `mem` (`bytes` >= cs_model_state_size_min(view); any alignment: the state is
 * aligned to 64 bytes inside), copy the view into it, and reset it (cs_model_reset). With bytes >=
 * cs_model_state_size(view) the folded-embedding table and the half copy (see cs_model_state_size) start empty
 * and in use; with fewer the state has neither (the same logits, slower). The state keeps pointers to the
 * weights (not to `view`), so the buffer must stay valid while the state is used (see cs_model_rebind).
 * Returns 0 (and *out) or CS_MODEL_E_ARG / CS_MODEL_E_MEMORY. Bounded (one reset): RT-safe.
 */
int cs_model_state_init(const cs_model_view *view, void *mem, size_t bytes, cs_model_state **out);

/** Point an existing state at a new view of the SAME configuration (e.g. the Buffer's data pointer moved, or
 *  an updated model of the same shape was loaded) without resetting the hidden state; the folded-embedding
 *  table is emptied (it refills as tokens are fed) and the half copy marked stale (remade on the next step). Returns 0
 * or CS_MODEL_E_MISMATCH (state untouched). O(V), RT-safe. */
int cs_model_rebind(cs_model_state *st, const cs_model_view *view);

/** Every logit the step computes is clamped into [-CS_MODEL_LOGIT_CLAMP, CS_MODEL_LOGIT_CLAMP] (a NaN becomes 0);
 *  the trainer's batched evaluation clamps the same way. */
#define CS_MODEL_LOGIT_CLAMP 1e30f

/** Zero the hidden state (GRU h, transformer KV cache and position), then feed BOS; afterwards
 *  cs_model_logits() is the distribution of the first label. Cost = one step. RT-safe. */
void cs_model_reset(cs_model_state *st);

/**
 * Feed `token` (a label 0..V-1) and set *logits (if not NULL) to V floats: unnormalised log-probabilities of
 * the next label, valid until the next call on this state. Cost: GRU O(L H^2 + V H); transformer
 * O(L (D^2 + C D) + V D), the same for every step (the window is a ring). No allocation, no libm call.
 * Logits are always finite (clamped to +-CS_MODEL_LOGIT_CLAMP, a NaN would become 0; with weights that passed
 * cs_model_parse they are finite anyway). A token outside 0..V-1 returns CS_MODEL_E_TOKEN and leaves the
 * state unchanged (*logits = the previous logits). Returns 0 on success. RT-safe.
 */
int cs_model_step(cs_model_state *st, int token, const float **logits);

/**
 * cs_model_step with the descriptor row of the unit whose label is fed: `desc` = cfg.desc_inputs floats (the
 * set of CS_MH_DESC_SET, cs_model_desc.h builds it), each clamped to +-CS_MODEL_DESC_CLAMP, NaN -> 0; NULL =
 * zeros. The input is embedding[token] + desc_proj.weight desc. Ignored (as NULL) by a model without
 * descriptor inputs, so cs_model_step(st, t, l) == cs_model_step_desc(st, t, NULL, l). Extra cost W * Din
 * multiply-adds. Returns 0 or CS_MODEL_E_TOKEN (state unchanged). RT-safe.
 */
int cs_model_step_desc(cs_model_state *st, int token, const float *desc, const float **logits);

/** cs_model_prime with a descriptor row (as cs_model_step_desc). Returns 0 or CS_MODEL_E_TOKEN. RT-safe. */
int cs_model_prime_desc(cs_model_state *st, int token, const float *desc);

/** Teacher forcing: feed `token` like cs_model_step but skip the output head (saves V*W multiply-adds). The
 *  logits are then computed lazily by cs_model_logits(). Returns 0 or CS_MODEL_E_TOKEN. RT-safe. */
int cs_model_prime(cs_model_state *st, int token);

/** The logits for the next label after the last reset/step/prime (V floats, computed now if a prime left them
 *  stale: O(V W)). Valid until the next call on the state. RT-safe. */
const float *cs_model_logits(cs_model_state *st);

/** Tokens fed since the last reset, BOS included (saturates at 2^31-1). RT-safe. */
long cs_model_position(const cs_model_state *st);

/** Choose the matrix-vector kernel: enable = 1 selects the best SIMD set the CPU has (the default chosen by
 *  cs_model_state_init), 2 the AVX2+FMA set even on an AVX-512 CPU, 0 the portable 4-lane kernel. Returns 0
 *  (portable), 1 (AVX2) or 2 (AVX2 with AVX-512 half products). The portable and SIMD kernels sum in different
 *  orders (logits differ by ~1e-7 relative); each is deterministic. Empties the folded-embedding table and marks
 *  the half copy stale. RT-safe.
 *  Half-precision weights: the AVX2 set converts them with F16C (VCVTPH2PS) inside the products and needs
 *  AVX2 + FMA + F16C; with AVX-512F (enable 1) those products convert 16 halves per instruction (zmm), 8 rows
 *  per pass, summing in the AVX2 kernel's order: sets 1 and 2 give the same bits (test_model_half); both read
 *  the matrices of a warm step from the half copy when the state has one (AVX2 products, F16C from memory, 4 rows
 *  per pass; ymm, because VCVTPH2PS zmm from memory runs at ~0.6x the ymm rate on Zen 4). The
 *  portable set decodes them with integer operations. Every set gives, bit for bit, the logits of the same set
 *  (AVX2 for 2) on the float32 model of cs_model_expand (the products sum the same values in the same order). */
int cs_model_state_set_simd(cs_model_state *st, int enable);

/** Use (enable = 1, the default) or bypass (0) the folded-embedding table of
 *  cs_model_state_size; either way the table is emptied. Returns 1 if the table is now in use (0 when the state
 *  has none: transformer, descriptor inputs, or a table above CS_MODEL_FOLD_MAX_BYTES).
 *  The logits do not change (bit for bit). O(V), RT-safe. */
int cs_model_state_set_fold(cs_model_state *st, int enable);

/** Use (enable = 1, the default) or bypass (0) the half copy of cs_model_state_size; either way it is marked
 *  stale (remade on each matrix's next use). enable = 2 uses it with every matrix kept row by row, the layout and
 *  kernel before the blocked copy (4-row blocks interleaved by 16 columns, for rows % 4 == 0 and cols % 16 == 0),
 *  for the bench and the tests. Returns 1 if the copy is now in use (0 for float32 weights, a state without one,
 *  or the portable kernel set, which has no copy kernel). The logits do not change (bit for bit). O(1),
 *  RT-safe. */
int cs_model_state_set_hcopy(cs_model_state *st, int enable);

/** The configuration the state was built for. RT-safe. */
const cs_model_config *cs_model_state_config(const cs_model_state *st);

#ifdef __cplusplus
}
#endif

#endif
