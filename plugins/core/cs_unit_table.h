/*
 * cs_unit_table.h - the server-ready unit table of a corpus bundle (units.wav), and a zero-copy view of it.
 *
 * The table is a flat array of float32 (a mono float WAV that the server loads as an ordinary Buffer).
 * Every integer in it is exact: values that can exceed 2^24 (frame positions and lengths, section offsets) are
 * split into hi = v / 65536 and lo = v % 65536 (cs_split.h). Counts and indices of units, labels and nodes stay
 * below 2^24 (CS_UT_MAX_UNITS, CS_UT_MAX_NODES) and are plain floats. The layout is specified in
 * corpus-tools/BUNDLE.md:
 *
 *   header   CS_UT_HEADER floats  (magic, version, counts, split offsets; see enum cs_ut_header_field)
 *   rows     num_units * stride   (per unit: start hi/lo, length hi/lo, label, source, successor, reserved,
 *                                  then num_descriptors normalised descriptors)
 *   labels   2 * num_labels       (per label: first index into `members`, member count)
 *   members  num_units            (unit indices sorted by label, then by unit index)
 *   index    optional, announced by header fields 17-18 (CS_UT_H_INDEX_OFFSET_*, 0 = none): per label, a k-d tree
 *            with bounding boxes over the normalised descriptors, flat (preorder, no pointers), and (index
 *            versions 3, 4) a copy of the label's descriptor rows in tree order, built offline
 *            by `concatseq analyze` (corpus-tools/src/cs_index.c) for exact nearest-to-target selection
 *            (cs_select.h). Readers that ignore it see the same table as before.
 *   listen   announced by header fields 19-20 (CS_UT_H_LISTEN_OFFSET_*, version 3; 0 = none), right after the
 *            index (or the members when there is no index): what the server needs to hear a sound as the
 *            corpus was heard (struct cs_ut_listen): the frame analysis, the segmentation and the onset
 *            detector's parameters, the normalisation statistics, the clustering weights and every label's
 *            centroid. `concatseq analyze` always writes it.
 *
 * Parsing is O(1) plus an optional bounded O(units) check; it never allocates and is real-time safe, so the
 * UGens and the CLI share it.
 */
#ifndef CS_UNIT_TABLE_H
#define CS_UNIT_TABLE_H

#include "cs_frame.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CS_UT_MAGIC     4412245 /* 0x435355, "CSU": exact in float32 */
#define CS_UT_VERSION   3
#define CS_UT_HEADER    24 /* floats in the header (version 3; version 2 had CS_UT_HEADER_V2) */
#define CS_UT_VERSION_2 2  /* read too: 20 header floats, no listening section (has_listen 0) */
#define CS_UT_HEADER_V2 20
#define CS_UT_ROW_FIXED 8        /* fixed floats per row before the descriptors */
#define CS_UT_SPLIT     65536.0  /* hi/lo split base */
#define CS_UT_MAX_UNITS 16777215 /* unit indices must stay exact in float32 */
#define CS_UT_MAX_FLOATS                                                                                               \
    2147483647u /* a whole table, index included: the largest Buffer scsynth holds (int32 samples); the split          \
                   offsets alone would allow 2^32 */

/** Header field offsets. */
enum cs_ut_header_field {
    CS_UT_H_MAGIC = 0,
    CS_UT_H_VERSION,
    CS_UT_H_NUM_UNITS,
    CS_UT_H_NUM_DESCRIPTORS,
    CS_UT_H_STRIDE,      /* CS_UT_ROW_FIXED + num_descriptors */
    CS_UT_H_HEADER_SIZE, /* CS_UT_HEADER */
    CS_UT_H_SAMPLE_RATE, /* Hz of the packed audio */
    CS_UT_H_CHANNELS,    /* channels of the packed audio */
    CS_UT_H_FRAMES_HI,   /* packed audio length in frames, split */
    CS_UT_H_FRAMES_LO,
    CS_UT_H_NUM_LABELS,
    CS_UT_H_NUM_SOURCES,
    CS_UT_H_NOISE_LABEL,      /* label given to DBSCAN noise, or -1 */
    CS_UT_H_LABELS_OFFSET_HI, /* float offset of the labels section, split */
    CS_UT_H_LABELS_OFFSET_LO,
    CS_UT_H_MEMBERS_OFFSET_HI, /* float offset of the members section, split */
    CS_UT_H_MEMBERS_OFFSET_LO,
    CS_UT_H_INDEX_OFFSET_HI, /* float offset of the optional index section (= members offset + num_units), or 0 */
    CS_UT_H_INDEX_OFFSET_LO, /* (both halves 0), split */
    CS_UT_H_RESERVED_V2,     /* 19 in version 2: reserved, 0 */
    CS_UT_H_LISTEN_OFFSET_HI = CS_UT_H_RESERVED_V2, /* version 3: float offset of the listening section (= the */
    CS_UT_H_LISTEN_OFFSET_LO, /* end of the index, or of the members without one), or 0 (both halves): split */
    CS_UT_H_RESERVED          /* 21 .. CS_UT_HEADER - 1: reserved, 0 */
};

/* Version 1 (16 header floats) held the three offsets as plain floats in fields 13, 14 and 15, exact only below
 * 2^24, so a table of more than about 479 000 units could not be written; it is refused with CS_UT_E_VERSION
 * (rebuild the bundle with `concatseq analyze --force`). */
#define CS_UT_VERSION_1 1

/*
 * The index section at X = the split index offset (see BUNDLE.md, "Index"), index version 5:
 *   X + 0 .. 11  magic CS_UT_INDEX_MAGIC, version 5, total nodes, node stride (CS_UT_NODE_FIXED + 2D), leaf
 *                size, order offset O (split hi, lo), nodes offset P (split hi, lo), rows offset R (split hi,
 *                lo), reserved 0
 *   X + 12 ..    per label k: root node, node count (root -1 and count 0 for an empty label)
 *   O ..         num_units: per label k, at O + first_k, the label's units in tree order (leaves contiguous)
 *   P ..         nodes * stride: per node (preorder within each label: the left child is node + 1, the right
 *                child node + 1 + subtree size of the left child): begin (absolute index into the order
 *                section), count, subtree size in nodes (1 = leaf), split (an internal node: 1 + the dimension
 *                its units were split on, on which the left child's box max <= the right child's box min; a
 *                leaf: 0), lo[D], hi[D] (bounding box of the node's units). The left child of a node ends on a
 *                multiple of 8 in the order section where one lies strictly inside the node (cs_index_split), so
 *                a leaf's rows are whole blocks except where its label's range begins or ends inside one.
 *   R ..         ceil(num_units / 8) blocks of 8 * D floats (cs_ut_index_rows_size): block b holds order entries
 *                8b .. 8b + 7 column by column, descriptor j of order entry i (unit order[i]) at
 *                R + (i / 8) * 8D + 8j + i % 8, bit for bit the unit's row (cs_ut_index_row_at); the lanes past
 *                num_units in the last block are +0. Every label's rows are in tree order, so a leaf is one
 *                sequential read, and one pass over a block's D columns gives 8 distances (cs_select.h).
 * Index version 4 (issue 12, before the split dimensions) is the same with node field 3 reserved (0) and the
 * children split at floor(count / 2); index version 3 stored the rows section row by row (num_units * D floats,
 * order entry i at R + i * D); index version 2 (bundles before issue 12 item 2) had a 10-float header (X + 9
 * reserved) and no rows section. All are still read, with the same answers (view->index_version says which
 * layout index_rows has, >= CS_UT_INDEX_VERSION_4: blocks; NULL for version 2: leaves read the unit rows through
 * the order section; only version 5 has split dimensions).
 */
#define CS_UT_INDEX_MAGIC     4412233 /* 0x435349, "CSI" */
#define CS_UT_INDEX_VERSION   5
#define CS_UT_INDEX_HEADER    12
#define CS_UT_INDEX_VERSION_4 4 /* read too: the same layout, node field 3 reserved (0), no block-aligned splits */
#define CS_UT_INDEX_VERSION_3 3 /* read too: the same header, the rows section row by row */
#define CS_UT_INDEX_VERSION_2 2 /* read too: CS_UT_INDEX_HEADER_V2 header floats, no rows section */
#define CS_UT_INDEX_HEADER_V2 10
#define CS_UT_ROW_BLOCK       8 /* order entries per block of the version 4 and 5 rows section */
#define CS_UT_NODE_FIXED      4
#define CS_UT_MAX_NODES       16777215 /* node counts and node indices must stay exact in float32 */

/** Index header field offsets (from X). */
enum cs_ut_index_field {
    CS_UT_X_MAGIC = 0,
    CS_UT_X_VERSION,
    CS_UT_X_NUM_NODES,
    CS_UT_X_STRIDE,
    CS_UT_X_LEAF,
    CS_UT_X_ORDER_OFFSET_HI, /* absolute float offset of the order section, split */
    CS_UT_X_ORDER_OFFSET_LO,
    CS_UT_X_NODES_OFFSET_HI, /* absolute float offset of the nodes section, split */
    CS_UT_X_NODES_OFFSET_LO,
    CS_UT_X_ROWS_OFFSET_HI, /* version 3 - 5: absolute float offset of the rows section (= P + nodes * stride), */
    CS_UT_X_ROWS_OFFSET_LO, /* split; in version 2 field 9 was reserved (0) and the header ended there */
    CS_UT_X_RESERVED        /* 11: reserved, 0 */
};

/** Node field offsets in the index. CS_UT_N_SPLIT: index version 5, 1 + the split dimension of an internal node
 *  (0 .. D - 1), 0 for a leaf; versions 2 - 4: reserved, 0. */
enum cs_ut_node_field { CS_UT_N_BEGIN = 0, CS_UT_N_COUNT, CS_UT_N_SIZE, CS_UT_N_SPLIT, CS_UT_N_BOX };

/*
 * The listening section at Y = the split listen offset (version 3; see BUNDLE.md, "Listening section"):
 *   Y + 0 .. CS_UT_LISTEN_FIXED - 1   the fixed fields of enum cs_ut_listen_field
 *   Y + F          center[D]          normalisation: normalised = (raw - center) / scale
 *   Y + F + D      scale[D]           > 0
 *   Y + F + 2D     weight[D]          clustering weights, >= 0 (0 = not used)
 *   Y + F + 3D     centroids[K * D]   per label the mean of its units' normalised descriptors (0 for an empty label)
 * (F = CS_UT_LISTEN_FIXED, D = num_descriptors, K = num_labels). Every value is a float32 as stored.
 */
#define CS_UT_LISTEN_MAGIC   4412236 /* 0x43534C, "CSL" */
#define CS_UT_LISTEN_VERSION 1
#define CS_UT_LISTEN_FIXED   32

/** Listening-section field offsets (from Y). */
enum cs_ut_listen_field {
    CS_UT_L_MAGIC = 0,
    CS_UT_L_VERSION,
    CS_UT_L_FIXED,         /* CS_UT_LISTEN_FIXED */
    CS_UT_L_SAMPLE_RATE,   /* frame analysis (cs_frame_config), Hz: = the table's sample rate */
    CS_UT_L_FFT_SIZE,      /* samples, power of two */
    CS_UT_L_HOP,           /* samples */
    CS_UT_L_N_MELS,        /* bands */
    CS_UT_L_MEL_FMIN,      /* Hz */
    CS_UT_L_MEL_FMAX,      /* Hz */
    CS_UT_L_ROLLOFF,       /* energy fraction */
    CS_UT_L_YIN_THRESHOLD, /* YIN absolute threshold */
    CS_UT_L_F0_MIN,        /* Hz */
    CS_UT_L_F0_MAX,        /* Hz */
    CS_UT_L_SEGMENTATION,  /* CS_UT_SEG_GRAIN, _ONSET, _NOVELTY */
    CS_UT_L_GRAIN_LEN_HI,  /* samples, split: grain segmentation's unit length, else the mean unit length */
    CS_UT_L_GRAIN_LEN_LO,
    CS_UT_L_GRAIN_HOP_HI, /* samples, split: grain segmentation's hop, else = grain_len */
    CS_UT_L_GRAIN_HOP_LO,
    CS_UT_L_ONSET_THRESHOLD, /* onset detector (the parameters used, or the defaults when not onset-segmented) */
    CS_UT_L_ONSET_DELTA,     /* delta: fraction of the mean flux */
    CS_UT_L_ONSET_DELTA_ABS, /* cs_onset_delta_abs(delta, mean_flux): the float product of the two stored floats */
    CS_UT_L_ONSET_MEDIAN_S,  /* s */
    CS_UT_L_ONSET_MIN_LEN_S, /* s */
    CS_UT_L_ONSET_MAX_LEN_S, /* s */
    CS_UT_L_ONSET_PRE_S,     /* s */
    CS_UT_L_ONSET_REFINE_S,  /* s */
    CS_UT_L_MEAN_FLUX,       /* mean CS_FF_FLUX over every frame of every source (double, rounded to float) */
    CS_UT_L_NORM_METHOD,     /* CS_UT_NORM_ZSCORE or CS_UT_NORM_ROBUST */
    CS_UT_L_RESERVED         /* .. CS_UT_LISTEN_FIXED - 1: reserved, 0 */
};

/** Segmentation methods (the values of `concatseq analyze --segment`). */
enum cs_ut_segmentation { CS_UT_SEG_GRAIN = 0, CS_UT_SEG_ONSET = 1, CS_UT_SEG_NOVELTY = 2 };
/** Normalisation methods (same values as corpus-tools' CS_NORM_ZSCORE / CS_NORM_ROBUST). */
enum cs_ut_norm { CS_UT_NORM_ZSCORE = 0, CS_UT_NORM_ROBUST = 1 };

/** Row field offsets. */
enum cs_ut_row_field {
    CS_UT_R_START_HI = 0,
    CS_UT_R_START_LO,
    CS_UT_R_LENGTH_HI,
    CS_UT_R_LENGTH_LO,
    CS_UT_R_LABEL,
    CS_UT_R_SOURCE,
    CS_UT_R_SUCCESSOR, /* index of the unit that followed this one in its source, or -1 */
    CS_UT_R_RESERVED,
    CS_UT_R_DESCRIPTORS /* first normalised descriptor */
};

/** Error codes of cs_ut_parse (negative). */
enum cs_ut_error {
    CS_UT_OK = 0,
    CS_UT_E_NULL = -1,     /* no data */
    CS_UT_E_SHORT = -2,    /* fewer floats than the header or the declared sections need */
    CS_UT_E_MAGIC = -3,    /* not a unit table */
    CS_UT_E_VERSION = -4,  /* unsupported version */
    CS_UT_E_DIMS = -5,     /* inconsistent or insane counts */
    CS_UT_E_VALUES = -6,   /* a row holds an out-of-range or non-finite value */
    CS_UT_E_LISTEN = -7,   /* the listening section is malformed (fields out of range, non-finite values, an
                              analysis or onset parameters the live analyser or detector would refuse) */
    CS_UT_E_NO_LISTEN = -8 /* not a parse error: what a reader that needs the listening section reports for a
                              table without one (version 2: rebuild the bundle with `concatseq analyze --force`) */
};

/* The frame analysis `concatseq analyze` used, as stored: A1's cs_frame_config (cs_frame.h). The name
 * cs_ut_frame_config, which this header had before cs_frame.h existed, stays as the same type. */
typedef cs_frame_config cs_ut_frame_config;

/** The listening section, as read by cs_ut_parse (borrowed pointers into the table). */
typedef struct cs_ut_listen {
    cs_frame_config frame;         /* the analysis `analyze` used (cs_frame_config_check holds) */
    int segmentation;              /* CS_UT_SEG_*: 0 grain, 1 onset, 2 novelty */
    uint32_t grain_len, grain_hop; /* samples: grain segmentation's; else the mean unit length, hop = len */
    float onset_threshold, onset_delta, onset_delta_abs, onset_median_s, onset_min_len_s, onset_max_len_s, onset_pre_s,
        onset_refine_s;          /* the onset parameters used (the defaults when not onset segmentation), ones
                                    cs_onset_config_check accepts at this analysis; delta_abs =
                                    cs_onset_delta_abs(onset_delta, mean_flux) (cs_onset.h) */
    float mean_flux;             /* mean CS_FF_FLUX over every frame of every source of the corpus */
    int norm_method;             /* CS_UT_NORM_ZSCORE / CS_UT_NORM_ROBUST */
    const float *center, *scale; /* num_descriptors each: normalised = (raw - center) / scale; scale > 0 */
    const float *weight;         /* num_descriptors: clustering weights, >= 0 (0 = not used) */
    const float *centroids;      /* num_labels * num_descriptors: per label the mean of its units' normalised
                                    descriptors (finite; an empty label's row is 0 and its count 0) */
} cs_ut_listen;

/** A validated view into a unit table buffer. Borrowed pointers: valid while the buffer is. */
typedef struct cs_ut_view {
    const float *data;
    uint32_t num_units, num_descriptors, stride, num_labels, num_sources, channels;
    int32_t noise_label;
    double sample_rate;
    uint64_t audio_frames;
    const float *rows;    /* num_units * stride */
    const float *labels;  /* 2 * num_labels: first, count */
    const float *members; /* num_units */
    /* optional nearest-neighbour index (NULL / 0 when the table has none) */
    const float *index_roots; /* 2 * num_labels: root node, node count */
    const float *index_order; /* num_units */
    const float *index_nodes; /* index_num_nodes * index_stride */
    const float *index_rows;  /* index versions 4, 5: blocks of 8 order entries column by column (cs_ut_index_row_at);
                                 version 3: num_units * num_descriptors, order entry i's descriptors at
                                 i * num_descriptors; NULL for a version 2 index */
    uint32_t index_num_nodes, index_stride, index_leaf;
    uint32_t index_version;        /* CS_UT_INDEX_VERSION (5), CS_UT_INDEX_VERSION_4, _3, _2, or 0 (none) */
    uint32_t version, header_size; /* CS_UT_VERSION (3) or CS_UT_VERSION_2; CS_UT_HEADER or CS_UT_HEADER_V2 */
    int has_listen;                /* 1 when the table carries the listening section (version 3 as analyze writes) */
    cs_ut_listen listen;           /* valid when has_listen; zeroed otherwise */
} cs_ut_view;

/** Number of floats a (version 3) table with these counts occupies, without its index and listening section. */
size_t cs_ut_size(uint32_t num_units, uint32_t num_descriptors, uint32_t num_labels);

/** Floats of a listening section for these counts: CS_UT_LISTEN_FIXED + 3 D + K D. */
size_t cs_ut_listen_size(uint32_t num_descriptors, uint32_t num_labels);

/** Floats of an index section (version 5, with its rows section) for these counts and `num_nodes` tree nodes. */
size_t cs_ut_index_size(uint32_t num_units, uint32_t num_descriptors, uint32_t num_labels, uint32_t num_nodes);

/** Floats of an index section of index version `version` (CS_UT_INDEX_VERSION_2 .. CS_UT_INDEX_VERSION; 0 for
 *  another): its header (10 floats in version 2, else 12), roots, order, nodes and rows section (none in version 2,
 *  N * D floats in version 3, cs_ut_index_rows_size in versions 4 and 5). O(1). */
size_t cs_ut_index_size_version(uint32_t version, uint32_t num_units, uint32_t num_descriptors, uint32_t num_labels,
                                uint32_t num_nodes);

/** Floats of a version 4 or 5 rows section: ceil(num_units / 8) blocks of 8 * num_descriptors floats. O(1). */
size_t cs_ut_index_rows_size(uint32_t num_units, uint32_t num_descriptors);

/**
 * Offset, from the start of a version 4 or 5 rows section, of descriptor j of order entry i (i < num_units rounded up
 * to a multiple of 8, j < D): (i / 8) * 8D + 8j + i % 8. O(1), not checked.
 */
static inline size_t cs_ut_index_row_at(size_t i, uint32_t j, uint32_t num_descriptors)
{
    return (i / CS_UT_ROW_BLOCK) * CS_UT_ROW_BLOCK * (size_t)num_descriptors + (size_t)j * CS_UT_ROW_BLOCK +
           i % CS_UT_ROW_BLOCK;
}

/**
 * Parse and validate the header and section sizes of `n` floats at `data` into `view`.
 * If `check_rows` is non-zero, also runs the whole row check of cs_ut_check_step at once (O(units + labels +
 * index), bounded by n): frames inside the audio, labels < num_labels, successors in range, finite descriptors;
 * and, when the table has an index, the whole index in O(units * D + nodes * D): every label's tree is a
 * preorder binary tree whose children split their parent's range of the order section, the order section holds
 * exactly the label's units (same count, same sum and sum of squares of unit indices), every box holds its
 * children's boxes and every leaf box its units' descriptors, node field 3 (index version 5: 1 + d with d <
 * num_descriptors in an internal node, whose left child's box max on d is <= its right child's box min on d, and 0
 * in a leaf; versions 2 - 4: 0 in every node), and (index versions 3 - 5) the rows section holds every order entry's
 * descriptors bit for bit (versions 4, 5: and +0 in the lanes past num_units). Only a fully checked
 * index guarantees exact answers; an unchecked one is still read safely (cs_select range-checks every access). Versions
 * 3 and 2 are read (version 2: 20 header floats, no listening section, view->has_listen = 0). The listening section's
 * fixed fields are checked here in O(1) (CS_UT_E_LISTEN: magic, version, a frame analysis that cs_frame_config_check
 * accepts, at the table's sample rate, segmentation and normalisation methods known, onset parameters that
 * cs_onset_config_check accepts at that analysis with delta_abs = cs_onset_delta_abs(delta, mean flux), grain lengths >
 * 0); its arrays (centers, scales > 0, weights >= 0, centroids finite, an empty label's centroid 0) by the row check.
 * Returns CS_UT_OK or a negative cs_ut_error (CS_UT_E_VERSION for a version 1 table). No allocation, no I/O:
 * real-time safe, but with check_rows linear in the table: the UGen uses cs_ut_check_step instead.
 */
int cs_ut_parse(const float *data, size_t n, int check_rows, cs_ut_view *view);

/**
 * The row check of cs_ut_parse, resumable: a cursor over rows, label sections and index, so that a real-time
 * caller can spread it over blocks. Plain data; start it with cs_ut_check_begin after cs_ut_parse(..., 0, view)
 * succeeded, then call cs_ut_check_step with the same view until it returns something other than
 * CS_UT_CHECK_MORE. Values written into the table between steps are not re-checked (the readers check every
 * value at its point of use anyway, see below), so the check proves what the writer wrote, not what a later
 * /b_set writes.
 */
typedef struct cs_ut_check {
    int phase;                               /* internal: rows, labels, index, done */
    int result;                              /* CS_UT_OK or the cs_ut_error, once done */
    uint32_t label, item, sub, first, count; /* cursors: current label, item within it, sub-step */
    uint32_t root, nodes, leaf_node, leaf_k; /* index phase: current tree and leaf */
    uint64_t total, next_node, s1, s2, t1, t2;
} cs_ut_check;

#define CS_UT_CHECK_MORE 1 /* cs_ut_check_step: not finished, call again */
/* Work units of cs_ut_check_step (and cs_select_lru_fill): one float read in sequence is 1 (about 0.9 ns on the
 * benchmark machine); a read at a random place of the table (the row of an order entry, a leaf unit's
 * descriptors: a cache miss) costs CS_UT_CHECK_RANDOM_COST more, one at a place after the previous one (the row
 * of a member: members are in unit order) CS_UT_CHECK_ORDERED_COST more. Calibrated with
 * tests/bench/bench_concatplay_bind.c so that a budget costs about the same time in every phase of the check. */
#define CS_UT_CHECK_RANDOM_COST  24
#define CS_UT_CHECK_ORDERED_COST 8

/** Start a row check (O(1)). */
void cs_ut_check_begin(cs_ut_check *c);

/**
 * Run the row check for about `budget` work units (at least one item: a row costs `stride`, a member
 * 1 + CS_UT_CHECK_ORDERED_COST, an order entry 2 + CS_UT_CHECK_RANDOM_COST, an index node
 * 3 * (CS_UT_NODE_FIXED + 2D), a unit of a leaf D + 1 + CS_UT_CHECK_RANDOM_COST (D + 1 in index versions 3 - 5:
 * its rows are in sequence; an order entry then also costs 2D for the comparison of its rows), a descriptor's
 * statistics of the listening section 3, a label's centroid D + 2), then stop at an item boundary. Returns
 * CS_UT_CHECK_MORE while work remains, then CS_UT_OK or a negative cs_ut_error (also stored in c->result, and returned
 * again by further calls). Work per call is O(budget + stride + node size): bounded, no allocation, no I/O, real-time
 * safe. Same answer as cs_ut_parse(..., 1, ...) for any budget sequence on an unchanging table.
 */
int cs_ut_check_step(const cs_ut_view *v, cs_ut_check *c, size_t budget);

/** Static one-line message for a cs_ut_error (CS_UT_E_NO_LISTEN included). */
const char *cs_ut_strerror(int err);

/*
 * Readers. A UGen validates the table when its Buffer changes, but a /b_set into the same Buffer changes neither
 * its pointer nor its size, so every value that is used as an index or a count is checked again here, at the
 * point of use, against the counts of the validated view (which match the Buffer's size): a value written since
 * the validation can make a reader return -1, 0 or a clamped frame, never make it read out of range. The view's
 * own fields (counts, section pointers) are never re-read from the Buffer. All O(1), RT-safe.
 */

/** Exact split integer: hi * 65536 + lo, for hi in [0, 2^24) and lo in [0, 65536); a NaN or negative half
 *  counts as 0, a larger one as its maximum (never an undefined float-to-integer conversion). */
uint64_t cs_ut_join(float hi, float lo);

/** A float that is used as an index: floor(f) if 0 <= f < limit, else -1 (NaN included). */
int32_t cs_ut_index_value(float f, uint32_t limit);

/**
 * The split dimension of an index node (`node` = view->index_nodes + i * view->index_stride for a node index i that
 * the caller has range-checked): 0 .. num_descriptors - 1 for an internal node of a version 5 index (node field 3
 * minus 1; the left child's box max on it is <= the right child's box min in a checked table); -1 for a leaf, for
 * an index before version 5 (field 3 reserved) and for any value out of range (a table written after its check).
 * O(1), RT-safe; never returns a dimension >= num_descriptors.
 */
static inline int32_t cs_ut_node_split(const cs_ut_view *v, const float *node)
{
    if (v->index_version < CS_UT_INDEX_VERSION) return -1;
    const int32_t s = cs_ut_index_value(node[CS_UT_N_SPLIT], v->num_descriptors + 1u);
    return s >= 1 ? s - 1 : -1;
}

/** Start frame of unit u (u < num_units; not checked; may lie outside the audio if the Buffer was written
 *  after validation: callers check start + length against the audio). */
uint64_t cs_ut_unit_start(const cs_ut_view *v, uint32_t u);
/** Length in frames of unit u (u < num_units; not checked). */
uint64_t cs_ut_unit_length(const cs_ut_view *v, uint32_t u);
/** Label of unit u (u < num_units; not checked): 0 .. num_labels-1, or -1 if the row holds no valid label. */
int32_t cs_ut_unit_label(const cs_ut_view *v, uint32_t u);
/** Original successor of unit u (u < num_units; not checked): a unit index, or -1 (none, or not valid). */
int32_t cs_ut_unit_successor(const cs_ut_view *v, uint32_t u);
/** Entry i of the members section: a unit index, or -1 if i >= num_units or the entry is not a valid unit. */
int32_t cs_ut_member(const cs_ut_view *v, uint32_t i);
/** Normalised descriptors of unit u (num_descriptors floats; u < num_units, not checked). */
const float *cs_ut_unit_descriptors(const cs_ut_view *v, uint32_t u);
/** Centroid of `label` in the listening section: num_descriptors normalised floats, or NULL for a bad label or a
 *  table without the section. O(1), real-time safe. */
const float *cs_ut_centroid(const cs_ut_view *v, int32_t label);

/**
 * The label of a sound, the rule of BUNDLE.md ("Label of a sound"): the label k minimising
 * d2_k = sum over descriptors d with weight w_d > 0 of w_d (x_d - c_kd)^2, x = the sound's normalised descriptors
 * (num_descriptors floats), c_k = cs_ut_centroid(v, k); summed in double in descriptor order, ties to the lower
 * label; a non-finite x_d counts as 0 (the corpus centre). Writes d2 of the winner to *d2 (if not NULL; finite).
 * Returns the label, or -1 when the table has no listening section. O(num_labels * num_descriptors), no
 * allocation: real-time safe (bounded by the table's size).
 */
int32_t cs_ut_nearest_label(const cs_ut_view *v, const float *x, double *d2);

/**
 * The same rule on plain arrays (what cs_ut_nearest_label computes on a view, and what `concatseq analyze` labels
 * k-means units with): centroids (num_labels * num_descriptors), weight (num_descriptors), x (num_descriptors).
 * Returns 0 .. num_labels - 1 (0 when num_labels is 0; then *d2 = 0). O(num_labels * num_descriptors), real-time safe.
 */
int32_t cs_ut_nearest(const float *centroids, const float *weight, uint32_t num_labels, uint32_t num_descriptors,
                      const float *x, double *d2);

/** Number of units with `label`, and (if first != NULL) where they start in members: first + count <=
 *  num_units always holds. 0 for a bad label, or for a range that no longer fits the members section. */
uint32_t cs_ut_label_count(const cs_ut_view *v, int32_t label, uint32_t *first);

/**
 * Writer side: encode a table into `out` (cs_ut_size(...) floats, caller-owned). Rows are given as arrays:
 * start/length (frames), label (0..num_labels-1), source, successor (-1 or a unit index), descriptors
 * (num_units * num_descriptors, row-major). Fills the label sections; writes a version 3 header with no index
 * and no listening section (offsets 0; cs_index_build, then cs_ut_encode_listen, add them). Returns CS_UT_OK or
 * CS_UT_E_DIMS. Offline and tests; no allocation.
 */
int cs_ut_encode(float *out, uint32_t num_units, uint32_t num_descriptors, uint32_t num_labels, uint32_t num_sources,
                 int32_t noise_label, double sample_rate, uint32_t channels, uint64_t audio_frames,
                 const uint64_t *start, const uint64_t *length, const int32_t *label, const int32_t *source,
                 const int32_t *successor, const float *descriptors);

/**
 * Writer side: append the listening section to the table of `n` floats at `out` (a version 3 table that
 * cs_ut_parse accepts, with or without its index, and no listening section yet), at offset n, and announce it
 * in header fields 19-20. `cap` is the room at `out` (>= n + cs_ut_listen_size(D, K)). From `l`: frame,
 * segmentation, grain_len, grain_hop, the onset fields, mean_flux, norm_method, center, scale and weight (D each).
 * Derived values are computed here, not taken: onset_delta_abs = cs_onset_delta_abs(onset_delta, mean_flux)
 * (cs_onset.h), and the centroids (l->centroids is ignored) from the table's rows, per label the mean of its
 * members' normalised descriptors summed in double in unit order and rounded to float (0 for an empty label),
 * which is what the manifest's `clustering.labels[k].centroid` holds before rounding. Returns CS_UT_OK,
 * CS_UT_E_DIMS (bad table, cap too small, section already there) or CS_UT_E_LISTEN (a value the check would
 * refuse). On success the table is n + cs_ut_listen_size(D, K) floats. O(N D); no allocation.
 */
int cs_ut_encode_listen(float *out, size_t n, size_t cap, const cs_ut_listen *l);

#ifdef __cplusplus
}
#endif

#endif
