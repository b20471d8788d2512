/*
 * cs_unit_table.h - the server-ready unit table of a corpus bundle (units.wav), and a zero-copy view of it.
 *
 * The table is a flat array of float32 (a mono float WAV that the server loads as an ordinary Buffer).
 * Every integer in it is exact: values that can exceed 2^24 (frame positions and lengths) are split into
 * hi = v / 65536 and lo = v % 65536. The layout is specified in corpus-tools/BUNDLE.md:
 *
 *   header   CS_UT_HEADER floats  (magic, version, counts, offsets; see enum cs_ut_header_field)
 *   rows     num_units * stride   (per unit: start hi/lo, length hi/lo, label, source, successor, reserved,
 *                                  then num_descriptors normalised descriptors)
 *   labels   2 * num_labels       (per label: first index into `members`, member count)
 *   members  num_units            (unit indices sorted by label, then by unit index)
 *
 * Parsing is O(1) plus an optional bounded O(units) check; it never allocates and is real-time safe, so the
 * UGens and the CLI share it.
 */
#ifndef CS_UNIT_TABLE_H
#define CS_UNIT_TABLE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CS_UT_MAGIC 4412245     /* 0x435355, "CSU": exact in float32 */
#define CS_UT_VERSION 1
#define CS_UT_HEADER 16         /* floats in the header */
#define CS_UT_ROW_FIXED 8       /* fixed floats per row before the descriptors */
#define CS_UT_SPLIT 65536.0     /* hi/lo split base */
#define CS_UT_MAX_UNITS 16777215 /* unit indices must stay exact in float32 */

/** Header field offsets. */
enum cs_ut_header_field {
    CS_UT_H_MAGIC = 0,
    CS_UT_H_VERSION,
    CS_UT_H_NUM_UNITS,
    CS_UT_H_NUM_DESCRIPTORS,
    CS_UT_H_STRIDE,          /* CS_UT_ROW_FIXED + num_descriptors */
    CS_UT_H_HEADER_SIZE,     /* CS_UT_HEADER */
    CS_UT_H_SAMPLE_RATE,     /* Hz of the packed audio */
    CS_UT_H_CHANNELS,        /* channels of the packed audio */
    CS_UT_H_FRAMES_HI,       /* packed audio length in frames, split */
    CS_UT_H_FRAMES_LO,
    CS_UT_H_NUM_LABELS,
    CS_UT_H_NUM_SOURCES,
    CS_UT_H_NOISE_LABEL,     /* label given to DBSCAN noise, or -1 */
    CS_UT_H_LABELS_OFFSET,   /* float offset of the labels section */
    CS_UT_H_MEMBERS_OFFSET,  /* float offset of the members section */
    CS_UT_H_RESERVED
};

/** Row field offsets. */
enum cs_ut_row_field {
    CS_UT_R_START_HI = 0,
    CS_UT_R_START_LO,
    CS_UT_R_LENGTH_HI,
    CS_UT_R_LENGTH_LO,
    CS_UT_R_LABEL,
    CS_UT_R_SOURCE,
    CS_UT_R_SUCCESSOR,       /* index of the unit that followed this one in its source, or -1 */
    CS_UT_R_RESERVED,
    CS_UT_R_DESCRIPTORS      /* first normalised descriptor */
};

/** Error codes of cs_ut_parse (negative). */
enum cs_ut_error {
    CS_UT_OK = 0,
    CS_UT_E_NULL = -1,       /* no data */
    CS_UT_E_SHORT = -2,      /* fewer floats than the header or the declared sections need */
    CS_UT_E_MAGIC = -3,      /* not a unit table */
    CS_UT_E_VERSION = -4,    /* unsupported version */
    CS_UT_E_DIMS = -5,       /* inconsistent or insane counts */
    CS_UT_E_VALUES = -6      /* a row holds an out-of-range or non-finite value */
};

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
} cs_ut_view;

/** Number of floats a table with these counts occupies. */
size_t cs_ut_size(uint32_t num_units, uint32_t num_descriptors, uint32_t num_labels);

/**
 * Parse and validate the header and section sizes of `n` floats at `data` into `view`.
 * If `check_rows` is non-zero, also checks every row and the label sections (O(units + labels), bounded by
 * n): frames inside the audio, labels < num_labels, successors in range, finite descriptors.
 * Returns CS_UT_OK or a negative cs_ut_error. No allocation, no I/O: real-time safe (bounded by n).
 */
int cs_ut_parse(const float *data, size_t n, int check_rows, cs_ut_view *view);

/** Static one-line message for a cs_ut_error. */
const char *cs_ut_strerror(int err);

/** Exact split integer: hi * 65536 + lo. */
uint64_t cs_ut_join(float hi, float lo);

/** Start frame of unit u (u < num_units; not checked). RT-safe. */
uint64_t cs_ut_unit_start(const cs_ut_view *v, uint32_t u);
/** Length in frames of unit u. RT-safe. */
uint64_t cs_ut_unit_length(const cs_ut_view *v, uint32_t u);
/** Label of unit u. RT-safe. */
int32_t cs_ut_unit_label(const cs_ut_view *v, uint32_t u);
/** Original successor of unit u, or -1. RT-safe. */
int32_t cs_ut_unit_successor(const cs_ut_view *v, uint32_t u);
/** Normalised descriptors of unit u (num_descriptors floats). RT-safe. */
const float *cs_ut_unit_descriptors(const cs_ut_view *v, uint32_t u);
/** Number of units with `label`, and (if first != NULL) where they start in members. 0 for a bad label. */
uint32_t cs_ut_label_count(const cs_ut_view *v, int32_t label, uint32_t *first);

/**
 * Writer side: encode a table into `out` (cs_ut_size(...) floats, caller-owned). Rows are given as arrays:
 * start/length (frames), label (0..num_labels-1), source, successor (-1 or a unit index), descriptors
 * (num_units * num_descriptors, row-major). Fills the label sections. Returns CS_UT_OK or CS_UT_E_DIMS.
 */
int cs_ut_encode(float *out, uint32_t num_units, uint32_t num_descriptors, uint32_t num_labels,
                 uint32_t num_sources, int32_t noise_label, double sample_rate, uint32_t channels,
                 uint64_t audio_frames, const uint64_t *start, const uint64_t *length, const int32_t *label,
                 const int32_t *source, const int32_t *successor, const float *descriptors);

#ifdef __cplusplus
}
#endif

#endif
