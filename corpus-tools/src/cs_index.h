/*
 * cs_index.h - builds the nearest-neighbour index of a unit table, offline (concatseq analyze).
 *
 * For every label, a k-d tree (Friedman, Bentley & Finkel 1977) over the label's normalised descriptors:
 * each node holds a contiguous range of the label's units in tree order and the bounding box of their
 * descriptors; an internal node orders its units on the dimension whose box is widest (ties: lower dimension;
 * units ordered by value, then unit index, so the build is deterministic), stores 1 + that dimension in its node
 * field 3, and splits them near the median where the left child ends on a block boundary of 8 order entries
 * (cs_index_split), until a node holds at most `leaf` units. So every leaf's rows are whole blocks of 8 except
 * where its label's range begins or ends inside a block. A child holds at most ceil(count / 2) + 4 units of a
 * node of count >= 10; measured over every begin mod 8, a label of 2^24 - 1 units has 21 levels at leaf 32 (20
 * with halves), 26 at leaf 1 (25).
 * The tree is stored flat in preorder (no pointers), followed by every label's descriptor rows copied in tree order
 * (in blocks of 8 units stored column by column, so a leaf is one sequential read and the search gets 8 distances
 * per pass over the descriptors, without a horizontal sum), index version 5, as specified in
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

/**
 * The left child's unit count when a node of `count` (>= 2) units beginning at order index `begin` is split:
 * of the multiples of 8 strictly inside (begin, begin + count), the one nearest begin + floor(count / 2) (ties:
 * the lower one), minus begin; floor(count / 2) when that is itself one or when no multiple of 8 lies inside
 * (count <= 8). Both children are non-empty; for count >= 10 each holds at most ceil(count / 2) + 4 units.
 * 0 for count < 2. O(1), pure.
 */
uint32_t cs_index_split(uint32_t begin, uint32_t count);

/** Nodes of one label's tree for `count` units at order index `begin` (the label's first_k) and leaves of at most
 *  `leaf` (>= 1) units (splits by cs_index_split); 0 for count 0 or leaf 0. O(nodes), recursion depth < 25. */
uint32_t cs_index_nodes(uint32_t begin, uint32_t count, uint32_t leaf);

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

/** cs_index_table_size for an index of version `version` (CS_UT_INDEX_VERSION_2 .. CS_UT_INDEX_VERSION); 0 for
 *  another version or bad arguments. */
size_t cs_index_table_size_version(const cs_ut_view *view, uint32_t leaf, uint32_t version);

/**
 * cs_index_build writing index version `version` (`out_n` >= cs_index_table_size_version(view, leaf, version)):
 * CS_UT_INDEX_VERSION (5) is cs_index_build; 4, 3 and 2 write the index as `concatseq analyze` wrote it before
 * (children of floor(count / 2) and the rest, node field 3 = 0; version 4: rows in blocks of 8; version 3: rows row
 * by row; version 2: a 10-float header, no rows section), byte for byte, so that tests and benchmarks can run the
 * readers of the older versions on the same units. Returns 0, CS_E_ARG (bad arguments, an unknown version, too
 * small `out`) or CS_E_NOMEM. Offline; allocates temporary memory and frees it.
 */
int cs_index_build_version(const cs_ut_view *view, uint32_t leaf, uint32_t version, float *out, size_t out_n);

#endif
