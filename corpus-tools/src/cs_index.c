/* cs_index.c - offline construction of the unit table's k-d tree index (index version 5, and the versions 4, 3, 2
 * before it, for the tests and benchmarks of their readers). See cs_index.h and BUNDLE.md. */
#include "cs_index.h"

#include "cs_error.h"
#include "cs_split.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

uint32_t cs_index_split(uint32_t begin, uint32_t count)
{
    if (count < 2) return 0;
    const uint64_t b = begin, e = b + count, m = b + count / 2, B = CS_UT_ROW_BLOCK;
    const uint64_t lo = m / B * B, hi = lo + B; /* the block boundaries around the middle */
    if (lo == m) return count / 2;
    const int lo_ok = lo > b, hi_ok = hi < e;
    if (lo_ok && (!hi_ok || m - lo <= hi - m)) return (uint32_t)(lo - b);
    if (hi_ok) return (uint32_t)(hi - b);
    return count / 2; /* no block boundary strictly inside the node (count <= 8) */
}

/* The left child's count of a node: block-aligned (version 5) or floor(count / 2) (versions 2 - 4). */
static uint32_t split_left(uint32_t version, uint32_t begin, uint32_t count)
{
    return version >= CS_UT_INDEX_VERSION ? cs_index_split(begin, count) : count / 2;
}

static uint32_t nodes_of(uint32_t version, uint32_t begin, uint32_t count, uint32_t leaf)
{
    if (count == 0 || leaf == 0) return 0;
    if (count <= leaf) return 1;
    const uint32_t left = split_left(version, begin, count);
    return 1 + nodes_of(version, begin, left, leaf) + nodes_of(version, begin + left, count - left, leaf);
}

uint32_t cs_index_nodes(uint32_t begin, uint32_t count, uint32_t leaf)
{
    return nodes_of(CS_UT_INDEX_VERSION, begin, count, leaf);
}

static uint32_t total_nodes(const cs_ut_view *v, uint32_t version, uint32_t leaf)
{
    uint64_t total = 0;
    for (uint32_t l = 0; l < v->num_labels; ++l) {
        uint32_t first = 0;
        const uint32_t count = cs_ut_label_count(v, (int32_t)l, &first);
        total += nodes_of(version, first, count, leaf);
    }
    return total > CS_UT_MAX_NODES ? 0 : (uint32_t)total;
}

static int known_version(uint32_t version)
{
    return version >= CS_UT_INDEX_VERSION_2 && version <= CS_UT_INDEX_VERSION;
}

size_t cs_index_table_size_version(const cs_ut_view *v, uint32_t leaf, uint32_t version)
{
    if (!v || leaf < 1 || leaf > 4096 || !known_version(version)) return 0;
    const uint32_t nodes = total_nodes(v, version, leaf);
    if (nodes == 0) return 0;
    const size_t total = (size_t)(v->members - v->data) + v->num_units + /* the table without index (or listen) */
                         cs_ut_index_size_version(version, v->num_units, v->num_descriptors, v->num_labels, nodes);
    return total > CS_UT_MAX_FLOATS ? 0 : total;
}

size_t cs_index_table_size(const cs_ut_view *v, uint32_t leaf)
{
    return cs_index_table_size_version(v, leaf, CS_UT_INDEX_VERSION);
}

typedef struct key {
    float value;
    uint32_t unit;
} key;

static int key_cmp(const void *pa, const void *pb)
{
    const key *a = pa, *b = pb;
    if (a->value != b->value) return a->value < b->value ? -1 : 1;
    return a->unit < b->unit ? -1 : (a->unit > b->unit);
}

typedef struct builder {
    const cs_ut_view *v;
    uint32_t leaf, D, S, version;
    float *order;  /* the order section (absolute unit indices) */
    float *nodes;  /* the nodes section */
    uint32_t next; /* next free node */
    key *keys;     /* scratch, num_units */
} builder;

/* Build the subtree of order[b .. b + c) as node `next`; returns its size in nodes. */
static uint32_t build(builder *B, uint32_t b, uint32_t c)
{
    const uint32_t me = B->next++, D = B->D;
    float *nd = B->nodes + (size_t)me * B->S;
    float *lo = nd + CS_UT_N_BOX, *hi = lo + D;
    for (uint32_t j = 0; j < D; ++j) {
        lo[j] = INFINITY;
        hi[j] = -INFINITY;
    }
    for (uint32_t i = 0; i < c; ++i) {
        const float *d = cs_ut_unit_descriptors(B->v, (uint32_t)B->order[(size_t)b + i]);
        for (uint32_t j = 0; j < D; ++j) {
            if (d[j] < lo[j]) lo[j] = d[j];
            if (d[j] > hi[j]) hi[j] = d[j];
        }
    }
    nd[CS_UT_N_BEGIN] = (float)b;
    nd[CS_UT_N_COUNT] = (float)c;
    nd[CS_UT_N_SPLIT] = 0.0f; /* a leaf, or an index before version 5 (reserved); an internal node's is set below */
    if (c <= B->leaf) {
        nd[CS_UT_N_SIZE] = 1.0f;
        return 1;
    }
    /* order the units on the widest dimension (ties: the lower one) */
    uint32_t sd = 0;
    double widest = -1.0;
    for (uint32_t j = 0; j < D; ++j) {
        const double w = (double)hi[j] - (double)lo[j];
        if (w > widest) widest = w, sd = j;
    }
    for (uint32_t i = 0; i < c; ++i) {
        const uint32_t u = (uint32_t)B->order[(size_t)b + i];
        B->keys[i].value = cs_ut_unit_descriptors(B->v, u)[sd];
        B->keys[i].unit = u;
    }
    qsort(B->keys, c, sizeof *B->keys, key_cmp);
    for (uint32_t i = 0; i < c; ++i)
        B->order[(size_t)b + i] = (float)B->keys[i].unit;
    /* version 5: the left child ends on a block boundary (cs_index_split) and the node names sd; the units are
     * ordered by value on sd, so the left child's box max on sd is <= the right child's box min on sd */
    const uint32_t left = split_left(B->version, b, c);
    if (B->version >= CS_UT_INDEX_VERSION) nd[CS_UT_N_SPLIT] = (float)(1u + sd);
    const uint32_t ls = build(B, b, left);
    const uint32_t rs = build(B, b + left, c - left);
    nd = B->nodes + (size_t)me * B->S; /* (same address: nodes never move) */
    nd[CS_UT_N_SIZE] = (float)(1 + ls + rs);
    return 1 + ls + rs;
}

/* The rows section at `r`: blocks of 8 order entries column by column (versions 4, 5: cs_ut_index_row_at; the lanes
 * past N are +0) or row by row (version 3), each float copied bit for bit from its unit's row. */
static void write_rows(const cs_ut_view *v, uint32_t version, const float *order, float *r)
{
    const uint32_t N = v->num_units, D = v->num_descriptors;
    if (version >= CS_UT_INDEX_VERSION_4) memset(r, 0, cs_ut_index_rows_size(N, D) * sizeof *r);
    for (uint32_t i = 0; i < N; ++i) {
        const float *d = cs_ut_unit_descriptors(v, (uint32_t)order[i]);
        for (uint32_t j = 0; j < D; ++j)
            r[version >= CS_UT_INDEX_VERSION_4 ? cs_ut_index_row_at(i, j, D) : (size_t)i * D + j] = d[j];
    }
}

int cs_index_build_version(const cs_ut_view *v, uint32_t leaf, uint32_t version, float *out, size_t out_n)
{
    if (!v || !out || leaf < 1 || leaf > 4096 || !known_version(version)) return CS_E_ARG;
    const size_t need = cs_index_table_size_version(v, leaf, version);
    if (need == 0 || out_n < need) return CS_E_ARG;
    const uint32_t N = v->num_units, D = v->num_descriptors, K = v->num_labels;
    const size_t base = (size_t)(v->members - v->data) + N; /* header, rows, labels, members (version 2 or 3) */
    const uint32_t nodes = total_nodes(v, version, leaf);
    key *keys = malloc((size_t)N * sizeof *keys);
    if (!keys) return CS_E_NOMEM;
    memcpy(out, v->data, base * sizeof *out);
    float *x = out + base;
    const uint32_t xh = version == CS_UT_INDEX_VERSION_2 ? CS_UT_INDEX_HEADER_V2 : CS_UT_INDEX_HEADER;
    const size_t oo = base + xh + 2u * (size_t)K, po = oo + N;
    const size_t ro = po + (size_t)nodes * (CS_UT_NODE_FIXED + 2u * D);
    cs_split_put(out + CS_UT_H_INDEX_OFFSET_HI, 2, base);
    if (v->version == CS_UT_VERSION) cs_split_put(out + CS_UT_H_LISTEN_OFFSET_HI, 2, 0); /* appended after this */
    memset(x, 0, xh * sizeof *x); /* the reserved field (X + 11; X + 9 in version 2) */
    x[CS_UT_X_MAGIC] = (float)CS_UT_INDEX_MAGIC;
    x[CS_UT_X_VERSION] = (float)version;
    x[CS_UT_X_NUM_NODES] = (float)nodes;
    x[CS_UT_X_STRIDE] = (float)(CS_UT_NODE_FIXED + 2u * D);
    x[CS_UT_X_LEAF] = (float)leaf;
    cs_split_put(x + CS_UT_X_ORDER_OFFSET_HI, 2, oo);
    cs_split_put(x + CS_UT_X_NODES_OFFSET_HI, 2, po);
    if (version != CS_UT_INDEX_VERSION_2) cs_split_put(x + CS_UT_X_ROWS_OFFSET_HI, 2, ro);
    builder B = {v, leaf, D, CS_UT_NODE_FIXED + 2u * D, version, out + oo, out + po, 0, keys};
    /* the order section starts as the members section: label by label, at the same offsets */
    memcpy(B.order, v->members, (size_t)N * sizeof *out);
    for (uint32_t l = 0; l < K; ++l) {
        uint32_t first = 0;
        const uint32_t count = cs_ut_label_count(v, (int32_t)l, &first);
        if (count == 0) {
            x[xh + 2 * l] = -1.0f;
            x[xh + 2 * l + 1] = 0.0f;
            continue;
        }
        const uint32_t root = B.next, size = build(&B, first, count);
        x[xh + 2 * l] = (float)root;
        x[xh + 2 * l + 1] = (float)size;
    }
    free(keys);
    if (version != CS_UT_INDEX_VERSION_2) write_rows(v, version, B.order, out + ro);
    return B.next == nodes ? 0 : CS_E_INTERNAL;
}

int cs_index_build(const cs_ut_view *v, uint32_t leaf, float *out, size_t out_n)
{
    return cs_index_build_version(v, leaf, CS_UT_INDEX_VERSION, out, out_n);
}
