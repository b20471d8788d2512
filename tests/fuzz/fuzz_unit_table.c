/*
 * fuzz_unit_table.c - libFuzzer entry point for the unit-table parser and its readers.
 *
 * The input bytes are taken as little-endian float32 values (a trailing partial float is dropped) and copied
 * into a heap block of exactly that size, so AddressSanitizer sees any over-read. Then:
 *   - cs_ut_parse with and without the row check must not crash; a table that passes the full check must
 *     pass the header-only one with the same counts;
 *   - when the header parses (rows NOT checked: the readers must stay in range on any content, as they do on
 *     a Buffer written after validation), every reader is called on every unit and label (bounded: at most
 *     4096 units and labels per input) and every answer must be in range (else abort): labels -1 or
 *     < num_labels, successors and members -1 or < num_units, label ranges inside the members section;
 *   - after the full check every row's label is valid and every unit's frames lie inside the audio;
 *   - the listening section (version 3): header-only and full parse agree on it; cs_ut_centroid is NULL exactly
 *     for bad labels (or no section); cs_ut_nearest_label on every unit's descriptors returns a label in range
 *     with a finite distance (and -1 without a section);
 *   - the nearest-unit search (cs_select_nearest_budget) on up to 16 labels and without a label (-1: every label's
 *     tree in one search, or every row without an index), with a full target and a pair target:
 *     through the index when there is one (version 5, 4, 3 or 2), the answer is -1 or a unit index (after the full
 *     check: of the label), and the work stays within the budget plus one descent; after the full check, the exact
 *     search equals brute force;
 *   - node field 3 (cs_ut_node_split): a dimension < D or -1 on any table; after the full check of a version 5
 *     table, -1 exactly in the leaves, and the children of an internal node apart on its dimension.
 * Built and run by tests/fuzz/run_fuzz.sh (clang -fsanitize=fuzzer,address,undefined); not part of CMake.
 */
#include "cs_select.h"
#include "cs_unit_table.h"
#include "fuzz_files.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* NEAREST on the view: answers in the label, work bounded; exact = brute force on a checked table. */
static void search_all(const cs_ut_view *v, int checked)
{
    float full[64];
    for (uint32_t j = 0; j < 64; ++j)
        full[j] = (float)((int)(j * 5) % 7 - 3) * 0.3f;
    cs_select_target t[2];
    memset(t, 0, sizeof t);
    t[0].full = full;
    t[0].full_len = 64;
    t[1].num_dims = 2;
    t[1].dim[0] = 1, t[1].dim[1] = 0;
    t[1].value[0] = 0.5f, t[1].value[1] = -0.25f;
    const uint32_t nl = v->num_labels < 16 ? v->num_labels : 16;
    for (int32_t k = -1; k < (int32_t)nl; ++k) /* -1: no label, every label's tree in one search */
        for (int i = 0; i < 2; ++i) {
            cs_select_nearest_info info;
            const int32_t a = cs_select_nearest_budget(v, k, &t[i], 64, &info);
            /* a unit index always; of the label when the table passed the check (unchecked, a row or a members
             * entry may have been written since: cs_select_pick's contract) */
            if (a < -1 || a >= (int32_t)v->num_units ||
                (checked && a >= 0 && k >= 0 && cs_ut_unit_label(v, (uint32_t)a) != k))
                abort();
            if (info.work > 64 + 4 * 64 + 2 + 64 + 4) abort(); /* budget, first descent, first leaf block */
            if (checked && v->num_units <= 4096 &&
                cs_select_nearest_budget(v, k, &t[i], 0, NULL) != cs_select_nearest_brute(v, k, &t[i]))
                abort();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every reader on every unit and label of a parsed view; aborts on an answer out of range. */
static void read_all(const cs_ut_view *v, int checked)
{
    uint32_t nu = v->num_units < 4096 ? v->num_units : 4096;
    uint32_t nl = v->num_labels < 4096 ? v->num_labels : 4096;
    for (uint32_t u = 0; u < nu; ++u) {
        int32_t lab = cs_ut_unit_label(v, u), succ = cs_ut_unit_successor(v, u), m = cs_ut_member(v, u);
        if (lab < -1 || lab >= (int32_t)v->num_labels) abort();
        if (succ < -1 || succ >= (int32_t)v->num_units || m < -1 || m >= (int32_t)v->num_units) abort();
        uint64_t start = cs_ut_unit_start(v, u), len = cs_ut_unit_length(v, u);
        if (checked && (lab < 0 || start + len > v->audio_frames)) abort();
        const float *d = cs_ut_unit_descriptors(v, u);
        volatile float sink = 0.0f;
        for (uint32_t k = 0; k < v->num_descriptors; ++k)
            sink += d[k];
        (void)sink;
    }
    if (cs_ut_member(v, v->num_units) != -1) abort();
    if ((cs_ut_centroid(v, 0) != NULL) != (v->has_listen != 0) || cs_ut_centroid(v, -1) ||
        cs_ut_centroid(v, (int32_t)v->num_labels))
        abort();
    for (uint32_t u = 0; u < nu && u < 64; ++u) {
        double d2 = -1.0;
        const int32_t k = cs_ut_nearest_label(v, cs_ut_unit_descriptors(v, u), &d2);
        if (v->has_listen ? (k < 0 || k >= (int32_t)v->num_labels || !(d2 >= 0.0) || d2 == INFINITY) : k != -1) abort();
    }
    for (uint32_t k = 0; k < nl + 2; ++k) {
        uint32_t first = 0, count = cs_ut_label_count(v, (int32_t)k - 1, &first);
        if (count && (uint64_t)first + count > v->num_units) abort();
    }
    /* node field 3: a split dimension < D or -1, whatever the table holds; on a checked version 5 table, the
     * children of an internal node lie apart on it */
    const uint32_t nn = v->index_num_nodes < 4096 ? v->index_num_nodes : 4096, D = v->num_descriptors;
    for (uint32_t i = 0; i < nn; ++i) {
        const float *nd = v->index_nodes + (size_t)i * v->index_stride;
        const int32_t d = cs_ut_node_split(v, nd);
        if (d < -1 || d >= (int32_t)D || (d >= 0 && v->index_version < CS_UT_INDEX_VERSION)) abort();
        if (checked && v->index_version == CS_UT_INDEX_VERSION && (d < 0) != (nd[CS_UT_N_SIZE] == 1.0f)) abort();
        if (checked && d >= 0 &&
            !(nd[v->index_stride + CS_UT_N_BOX + D + (uint32_t)d] <=
              v->index_nodes[(size_t)(i + 1 + (uint32_t)nd[v->index_stride + CS_UT_N_SIZE]) * v->index_stride +
                             CS_UT_N_BOX + (uint32_t)d]))
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t n;
    float *buf = fuzz_floats(data, size, &n);
    if (!buf) return 0;
    cs_ut_view full, head;
    int ef = cs_ut_parse(n ? buf : NULL, n, 1, &full);
    int eh = cs_ut_parse(n ? buf : NULL, n, 0, &head);
    if (ef == CS_UT_OK && (eh != CS_UT_OK || full.num_units != head.num_units || full.num_labels != head.num_labels ||
                           full.stride != head.stride || full.has_listen != head.has_listen))
        abort();
    if (!cs_ut_strerror(ef) || !cs_ut_strerror(eh)) abort();
    if (eh == CS_UT_OK) read_all(&head, 0), search_all(&head, 0);
    if (ef == CS_UT_OK) read_all(&full, 1), search_all(&full, 1);
    free(buf);
    return 0;
}
