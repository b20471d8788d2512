/*
 * cs_index.h - builds the nearest-neighbour index of a unit table, offline (concatseq analyze).
 *
 * For every label, a k-d tree (Friedman, Bentley & Finkel 1977) over the label's normalised descriptors:
 * each node holds a contiguous range of the label's units in tree order and the bounding box of their
 * descriptors; an internal node splits its range at the median of the dimension whose box is widest (ties:
 * lower dimension; units ordered by value, then unit index, so the build is deterministic), into halves of
 * floor(count / 2) and the rest, until a node holds at most `leaf` units. Depth is at most
 * ceil(log2(count / leaf)) + 1 (< 25 for any table), which keeps the real-time search's fixed stack small.
 * The tree is stored flat in preorder (no pointers), followed by every label's descriptor rows copied in tree order
 * (index version 4: in blocks of 8 units stored column by column, so a leaf is one sequential read and the search
 * gets 8 distances per pass over the descriptors, without a horizontal sum), as specified in
 * corpus-tools/BUNDLE.md ("Index") and read by cs_select_nearest (plugins/core/cs_select.h). Bounding boxes over every
 * dimension make the search exact for targets on any subset of the dimensions.
 *
 * Not real-time safe (allocates, sorts): offline only.
 */
#ifndef CS_INDEX_H
#define CS_INDEX_H

#include "cs_unit_table.h"

#include <stddef.h>
#include <stdint.h>

#define CS_INDEX_DEFAULT_LEAF 32 /* measured best of 4, 8, 32 in tests/bench/bench_select.c */

/** Nodes of one label's tree for `count` units and leaves of at most `leaf` (>= 1) units; 0 for count 0. */
uint32_t cs_index_nodes(uint32_t count, uint32_t leaf);

/** Floats of the table of `view` with an index of leaf size `leaf` appended (0 on bad arguments). */
size_t cs_index_table_size(const cs_ut_view *view, uint32_t leaf);

/**
 * Copy the table of `view` (header, rows, labels, members; any index or listening section it had is dropped)
 * into `out` (`out_n` >= cs_index_table_size(view, leaf) floats, caller-owned, must not overlap the view's data)
 * and append the index, announced in header fields 17-18 (cs_ut_encode_listen appends the listening section
 * after it). `leaf` in 1 .. 4096. The view must have passed
 * cs_ut_parse with check_rows. Returns 0, CS_E_ARG (bad arguments, too small `out`) or CS_E_NOMEM.
 * O(units * log(units) * (log(units) + D)). Offline; allocates temporary memory and frees it.
 */
int cs_index_build(const cs_ut_view *view, uint32_t leaf, float *out, size_t out_n);

#endif
