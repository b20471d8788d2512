/* cs_unit_table.c - encode, parse and read the server-ready unit table. See cs_unit_table.h and BUNDLE.md. */
#include "cs_unit_table.h"

#include "cs_split.h"

#include <math.h>
#include <string.h>

#define SPLIT ((uint64_t)CS_SPLIT_BASE)

size_t cs_ut_size(uint32_t num_units, uint32_t num_descriptors, uint32_t num_labels)
{
    return (size_t)CS_UT_HEADER + (size_t)num_units * (CS_UT_ROW_FIXED + (size_t)num_descriptors) +
           2u * (size_t)num_labels + (size_t)num_units;
}

size_t cs_ut_index_size(uint32_t num_units, uint32_t num_descriptors, uint32_t num_labels, uint32_t num_nodes)
{
    return (size_t)CS_UT_INDEX_HEADER + 2u * (size_t)num_labels + (size_t)num_units +
           (size_t)num_nodes * (CS_UT_NODE_FIXED + 2u * (size_t)num_descriptors);
}

uint64_t cs_ut_join(float hi, float lo)
{
    return cs_split_join(hi, lo);
}

int32_t cs_ut_index_value(float f, uint32_t limit)
{
    return (f >= 0.0f && f < (float)limit && (uint32_t)f < limit) ? (int32_t)f : -1;
}

/* A float that holds a non-negative integer < limit, exactly. */
static int is_count(float v, double limit)
{
    return isfinite(v) && v >= 0.0f && (double)v < limit && floorf(v) == v;
}

/* A split offset (hi, lo) at p: 1 and *out when both halves are exact 16-bit pieces. */
static int get_offset(const float *p, size_t *out)
{
    uint64_t v = 0;
    if (!cs_split_get(p, 2, &v)) return 0;
    *out = (size_t)v;
    return 1;
}

/* O(1): the index header and section sizes (header fields 17-18). */
static int parse_index(cs_ut_view *v, size_t n)
{
    size_t xo = 0;
    if (!get_offset(v->data + CS_UT_H_INDEX_OFFSET_HI, &xo)) return CS_UT_E_DIMS;
    if (xo == 0) return CS_UT_OK;
    const size_t base = cs_ut_size(v->num_units, v->num_descriptors, v->num_labels);
    if (xo != base) return CS_UT_E_DIMS;
    if (n < base + CS_UT_INDEX_HEADER) return CS_UT_E_SHORT;
    const float *x = v->data + base;
    if (x[CS_UT_X_MAGIC] != (float)CS_UT_INDEX_MAGIC || x[CS_UT_X_VERSION] != (float)CS_UT_INDEX_VERSION)
        return CS_UT_E_DIMS;
    for (int i = CS_UT_X_NUM_NODES; i <= CS_UT_X_LEAF; ++i)
        if (!is_count(x[i], 16777216.0)) return CS_UT_E_DIMS;
    const uint32_t nodes = (uint32_t)x[CS_UT_X_NUM_NODES], stride = (uint32_t)x[CS_UT_X_STRIDE],
                   leaf = (uint32_t)x[CS_UT_X_LEAF];
    size_t oo = 0, po = 0;
    if (!get_offset(x + CS_UT_X_ORDER_OFFSET_HI, &oo) || !get_offset(x + CS_UT_X_NODES_OFFSET_HI, &po))
        return CS_UT_E_DIMS;
    if (stride != CS_UT_NODE_FIXED + 2u * v->num_descriptors || leaf < 1 || nodes < 1 ||
        (uint64_t)nodes > 2u * (uint64_t)v->num_units + v->num_labels ||
        oo != base + CS_UT_INDEX_HEADER + 2u * (size_t)v->num_labels || po != oo + v->num_units)
        return CS_UT_E_DIMS;
    if (n < base + cs_ut_index_size(v->num_units, v->num_descriptors, v->num_labels, nodes)) return CS_UT_E_SHORT;
    v->index_roots = x + CS_UT_INDEX_HEADER;
    v->index_order = v->data + oo;
    v->index_nodes = v->data + po;
    v->index_num_nodes = nodes;
    v->index_stride = stride;
    v->index_leaf = leaf;
    return CS_UT_OK;
}

int cs_ut_parse(const float *data, size_t n, int check_rows, cs_ut_view *view)
{
    if (!data || !view) return CS_UT_E_NULL;
    if (n < 2) return CS_UT_E_SHORT;
    if (data[CS_UT_H_MAGIC] != (float)CS_UT_MAGIC) return CS_UT_E_MAGIC;
    if (data[CS_UT_H_VERSION] != (float)CS_UT_VERSION) return CS_UT_E_VERSION;
    if (n < CS_UT_HEADER) return CS_UT_E_SHORT;
    for (int i = CS_UT_H_NUM_UNITS; i <= CS_UT_H_NUM_SOURCES; ++i)
        if (!is_count(data[i], 16777216.0)) return CS_UT_E_DIMS;
    const float nl = data[CS_UT_H_NOISE_LABEL];
    if (!isfinite(nl) || floorf(nl) != nl || nl < -1.0f) return CS_UT_E_DIMS;
    uint32_t units = (uint32_t)data[CS_UT_H_NUM_UNITS], nd = (uint32_t)data[CS_UT_H_NUM_DESCRIPTORS];
    uint32_t stride = (uint32_t)data[CS_UT_H_STRIDE], labels = (uint32_t)data[CS_UT_H_NUM_LABELS];
    if (units == 0 || labels == 0 || labels > units + 1 || nd > 4096 || stride != CS_UT_ROW_FIXED + nd ||
        (uint32_t)data[CS_UT_H_HEADER_SIZE] != CS_UT_HEADER || data[CS_UT_H_RESERVED] != 0.0f)
        return CS_UT_E_DIMS;
    if (data[CS_UT_H_SAMPLE_RATE] < 1.0f || data[CS_UT_H_CHANNELS] < 1.0f || data[CS_UT_H_NUM_SOURCES] < 1.0f)
        return CS_UT_E_DIMS;
    if (nl >= (float)labels) return CS_UT_E_DIMS; /* compared as floats: nl may be far beyond uint32 (2^36) */
    size_t rows_end = (size_t)CS_UT_HEADER + (size_t)units * stride, loff = 0, moff = 0;
    if (!get_offset(data + CS_UT_H_LABELS_OFFSET_HI, &loff) || !get_offset(data + CS_UT_H_MEMBERS_OFFSET_HI, &moff))
        return CS_UT_E_DIMS;
    if (loff != rows_end || moff != loff + 2u * (size_t)labels) return CS_UT_E_DIMS;
    if (n < cs_ut_size(units, nd, labels)) return CS_UT_E_SHORT;

    view->data = data;
    view->num_units = units;
    view->num_descriptors = nd;
    view->stride = stride;
    view->num_labels = labels;
    view->num_sources = (uint32_t)data[CS_UT_H_NUM_SOURCES];
    view->channels = (uint32_t)data[CS_UT_H_CHANNELS];
    view->noise_label = (int32_t)nl;
    view->sample_rate = (double)data[CS_UT_H_SAMPLE_RATE];
    view->audio_frames = cs_ut_join(data[CS_UT_H_FRAMES_HI], data[CS_UT_H_FRAMES_LO]);
    view->rows = data + CS_UT_HEADER;
    view->labels = data + loff;
    view->members = data + moff;
    if (view->audio_frames == 0) return CS_UT_E_DIMS;
    view->index_roots = view->index_order = view->index_nodes = NULL;
    view->index_num_nodes = view->index_stride = view->index_leaf = 0;
    const int ie = parse_index(view, n);
    if (ie || !check_rows) return ie;
    cs_ut_check c;
    cs_ut_check_begin(&c);
    return cs_ut_check_step(view, &c, (size_t)-1);
}

/* --- the row check, resumable (cs_ut_check_step) --- */
enum { P_ROWS = 0, P_LABELS, P_INDEX, P_DONE };

static int finish(cs_ut_check *c, int result)
{
    c->phase = P_DONE;
    c->result = result;
    return result;
}

/* 1 when none of the n floats at p is NaN or infinite: an exponent of all ones, tested on the bits without a
 * branch per float (the compiler vectorises it; the row check is the longest phase). */
static int all_finite(const float *p, uint32_t n)
{
    uint32_t bad = 0;
    for (uint32_t j = 0; j < n; ++j) {
        uint32_t b;
        memcpy(&b, p + j, sizeof b);
        bad |= (uint32_t)((b & 0x7f800000u) == 0x7f800000u);
    }
    return bad == 0;
}

/* One row: its values in range. Returns 0 or CS_UT_E_VALUES. */
static int check_row(const cs_ut_view *v, uint32_t u)
{
    const float *r = v->rows + (size_t)u * v->stride;
    if (!all_finite(r, v->stride)) return CS_UT_E_VALUES;
    if (!is_count(r[CS_UT_R_START_HI], 16777216.0) || !is_count(r[CS_UT_R_START_LO], 65536.0) ||
        !is_count(r[CS_UT_R_LENGTH_HI], 16777216.0) || !is_count(r[CS_UT_R_LENGTH_LO], 65536.0))
        return CS_UT_E_VALUES;
    const uint64_t s = cs_ut_unit_start(v, u), len = cs_ut_unit_length(v, u);
    if (len == 0 || s + len > v->audio_frames) return CS_UT_E_VALUES;
    if (!is_count(r[CS_UT_R_LABEL], (double)v->num_labels) || !is_count(r[CS_UT_R_SOURCE], (double)v->num_sources))
        return CS_UT_E_VALUES;
    const float succ = r[CS_UT_R_SUCCESSOR];
    if (succ != -1.0f && !is_count(succ, (double)v->num_units)) return CS_UT_E_VALUES;
    return 0;
}

/* Node i of the current label's tree (root c->root, c->nodes nodes, units first .. first + count): its fields,
 * its box, and for an internal node its children. Returns 0 or CS_UT_E_VALUES; *is_leaf tells a leaf. */
static int check_node(const cs_ut_view *v, const cs_ut_check *c, uint32_t i, int *is_leaf)
{
    const uint32_t D = v->num_descriptors, S = v->index_stride, nc = c->nodes, first = c->first, count = c->count;
    const float *nd = v->index_nodes + (size_t)(c->root + i) * S;
    if (!is_count(nd[CS_UT_N_BEGIN], (double)v->num_units) || !is_count(nd[CS_UT_N_COUNT], (double)count + 1.0) ||
        !is_count(nd[CS_UT_N_SIZE], (double)nc - i + 1.0) || nd[CS_UT_N_SIZE] < 1.0f || nd[CS_UT_N_COUNT] < 1.0f)
        return CS_UT_E_VALUES;
    const uint32_t b = (uint32_t)nd[CS_UT_N_BEGIN], cn = (uint32_t)nd[CS_UT_N_COUNT], sz = (uint32_t)nd[CS_UT_N_SIZE];
    if (b < first || (uint64_t)b + cn > (uint64_t)first + count) return CS_UT_E_VALUES;
    if (i == 0 && (b != first || cn != count || sz != nc)) return CS_UT_E_VALUES;
    for (uint32_t j = 0; j < D; ++j)
        if (!isfinite(nd[CS_UT_N_BOX + j]) || !isfinite(nd[CS_UT_N_BOX + D + j]) ||
            nd[CS_UT_N_BOX + j] > nd[CS_UT_N_BOX + D + j])
            return CS_UT_E_VALUES;
    *is_leaf = sz == 1;
    if (sz == 1) return 0;
    /* internal: left = i + 1, right = i + 1 + size(left); sizes add up; ranges split; boxes nest */
    if (i + 1 >= nc) return CS_UT_E_VALUES;
    const float *lc = nd + S;
    const uint32_t lsz = (uint32_t)lc[CS_UT_N_SIZE];
    if ((uint64_t)i + 1 + lsz >= nc || lsz + 1 >= sz) return CS_UT_E_VALUES;
    const float *rc = v->index_nodes + (size_t)(c->root + i + 1 + lsz) * S;
    if (!is_count(rc[CS_UT_N_SIZE], (double)nc) || 1u + lsz + (uint32_t)rc[CS_UT_N_SIZE] != sz ||
        lc[CS_UT_N_BEGIN] != (float)b || !is_count(lc[CS_UT_N_COUNT], (double)cn + 1.0) ||
        rc[CS_UT_N_BEGIN] != (float)(b + (uint32_t)lc[CS_UT_N_COUNT]) ||
        (uint64_t)(uint32_t)lc[CS_UT_N_COUNT] + (uint32_t)rc[CS_UT_N_COUNT] != cn)
        return CS_UT_E_VALUES;
    for (int side = 0; side < 2; ++side) {
        const float *ch = side ? rc : lc;
        for (uint32_t j = 0; j < D; ++j)
            if (ch[CS_UT_N_BOX + j] < nd[CS_UT_N_BOX + j] || ch[CS_UT_N_BOX + D + j] > nd[CS_UT_N_BOX + D + j])
                return CS_UT_E_VALUES;
    }
    return 0;
}

/* One item of the index phase: a label's start, one order entry, one node, or one unit of a leaf. Returns 0,
 * CS_UT_E_VALUES, or 1 when the index is done. *cost: floats read. */
static int index_item(const cs_ut_view *v, cs_ut_check *c, size_t *cost)
{
    const uint32_t D = v->num_descriptors, S = v->index_stride;
    *cost = 2;
    if (c->sub == 0) { /* start label c->label */
        if (c->label == v->num_labels) return c->next_node == v->index_num_nodes ? 1 : CS_UT_E_VALUES;
        c->first = 0;
        c->count = cs_ut_label_count(v, (int32_t)c->label, &c->first);
        const float fr = v->index_roots[2 * c->label], fc = v->index_roots[2 * c->label + 1];
        if (c->count == 0) {
            if (fr != -1.0f || fc != 0.0f) return CS_UT_E_VALUES;
            c->label++;
            return 0;
        }
        const uint32_t N = v->index_num_nodes;
        if (!is_count(fr, (double)N) || !is_count(fc, (double)N + 1.0) || (uint64_t)fr != c->next_node ||
            (uint64_t)fr + (uint64_t)fc > N)
            return CS_UT_E_VALUES;
        c->root = (uint32_t)fr;
        c->nodes = (uint32_t)fc;
        c->next_node += c->nodes;
        c->s1 = c->s2 = c->t1 = c->t2 = 0;
        c->item = 0;
        c->sub = 1;
        return 0;
    }
    if (c->sub == 1) { /* the order section of the label: exactly its units (same count, sums, sums of squares) */
        if (c->item == c->count) {
            if (c->s1 != c->t1 || c->s2 != c->t2) return CS_UT_E_VALUES;
            c->item = 0;
            c->sub = 2;
            return 0;
        }
        const float o = v->index_order[(size_t)c->first + c->item];
        if (!is_count(o, (double)v->num_units) || cs_ut_unit_label(v, (uint32_t)o) != (int32_t)c->label)
            return CS_UT_E_VALUES;
        const uint64_t a = (uint64_t)o, b = (uint64_t)v->members[(size_t)c->first + c->item];
        c->s1 += a, c->s2 += a * a, c->t1 += b, c->t2 += b * b;
        c->item++;
        *cost = 2u + CS_UT_CHECK_RANDOM_COST; /* the unit's row: a read at a random place (tree order) */
        return 0;
    }
    if (c->sub == 2) { /* node c->item of the tree, in preorder */
        if (c->item == c->nodes) {
            c->label++;
            c->sub = 0;
            return 0;
        }
        int leaf = 0;
        *cost = 3u * (size_t)S;
        if (check_node(v, c, c->item, &leaf)) return CS_UT_E_VALUES;
        if (leaf) {
            c->leaf_node = c->root + c->item;
            c->leaf_k = 0;
            c->sub = 3;
        }
        c->item++;
        return 0;
    }
    /* sub 3: unit leaf_k of the leaf lies in the leaf's box */
    const float *nd = v->index_nodes + (size_t)c->leaf_node * S;
    if (c->leaf_k == (uint32_t)nd[CS_UT_N_COUNT]) {
        c->sub = 2;
        return 0;
    }
    *cost = (size_t)D + 1u + CS_UT_CHECK_RANDOM_COST; /* the unit's descriptors: at a random place */
    const float *d = cs_ut_unit_descriptors(v, (uint32_t)v->index_order[(size_t)nd[CS_UT_N_BEGIN] + c->leaf_k]);
    for (uint32_t j = 0; j < D; ++j)
        if (d[j] < nd[CS_UT_N_BOX + j] || d[j] > nd[CS_UT_N_BOX + D + j]) return CS_UT_E_VALUES;
    c->leaf_k++;
    return 0;
}

void cs_ut_check_begin(cs_ut_check *c)
{
    *c = (cs_ut_check){0};
    c->phase = P_ROWS;
    c->result = CS_UT_CHECK_MORE;
}

int cs_ut_check_step(const cs_ut_view *v, cs_ut_check *c, size_t budget)
{
    size_t spent = 0;
    while (c->phase != P_DONE) {
        if (spent > 0 && spent >= budget) return CS_UT_CHECK_MORE;
        if (c->phase == P_ROWS) {
            if (c->item == v->num_units) {
                c->phase = P_LABELS;
                c->item = c->label = c->sub = 0;
                continue;
            }
            if (check_row(v, c->item)) return finish(c, CS_UT_E_VALUES);
            c->item++;
            spent += v->stride;
        } else if (c->phase == P_LABELS) {
            if (c->label == v->num_labels) {
                if (c->total != v->num_units) return finish(c, CS_UT_E_VALUES);
                if (!v->index_nodes) return finish(c, CS_UT_OK);
                c->phase = P_INDEX;
                c->label = c->sub = c->item = 0;
                continue;
            }
            if (c->sub == 0) { /* the label's range */
                const float first = v->labels[2 * c->label], count = v->labels[2 * c->label + 1];
                if (!is_count(first, (double)v->num_units + 1.0) || !is_count(count, (double)v->num_units + 1.0) ||
                    (size_t)first + (size_t)count > v->num_units)
                    return finish(c, CS_UT_E_VALUES);
                c->first = (uint32_t)first;
                c->count = (uint32_t)count;
                c->total += c->count;
                c->item = 0;
                c->sub = 1;
                spent += 2;
                continue;
            }
            if (c->item == c->count) {
                c->label++;
                c->sub = 0;
                continue;
            }
            const float m = v->members[(size_t)c->first + c->item];
            if (!is_count(m, (double)v->num_units) || cs_ut_unit_label(v, (uint32_t)m) != (int32_t)c->label)
                return finish(c, CS_UT_E_VALUES);
            c->item++;
            spent += 1u + CS_UT_CHECK_ORDERED_COST; /* the member's row: ahead of the last one (unit order) */
        } else {
            size_t cost = 0;
            const int r = index_item(v, c, &cost);
            if (r < 0) return finish(c, r);
            if (r == 1) return finish(c, CS_UT_OK);
            spent += cost;
        }
    }
    return c->result;
}

const char *cs_ut_strerror(int err)
{
    switch (err) {
    case CS_UT_OK:
        return "ok";
    case CS_UT_E_NULL:
        return "no unit table data";
    case CS_UT_E_SHORT:
        return "unit table is truncated";
    case CS_UT_E_MAGIC:
        return "not a ConcatSeq unit table (bad magic number)";
    case CS_UT_E_VERSION:
        return "unit table of another version (a bundle from an older concatseq: rebuild it with "
               "`concatseq analyze --force`)";
    case CS_UT_E_DIMS:
        return "unit table header is inconsistent";
    case CS_UT_E_VALUES:
        return "unit table holds an invalid row";
    default:
        return "unknown unit table error";
    }
}

uint64_t cs_ut_unit_start(const cs_ut_view *v, uint32_t u)
{
    const float *r = v->rows + (size_t)u * v->stride;
    return cs_ut_join(r[CS_UT_R_START_HI], r[CS_UT_R_START_LO]);
}

uint64_t cs_ut_unit_length(const cs_ut_view *v, uint32_t u)
{
    const float *r = v->rows + (size_t)u * v->stride;
    return cs_ut_join(r[CS_UT_R_LENGTH_HI], r[CS_UT_R_LENGTH_LO]);
}

int32_t cs_ut_unit_label(const cs_ut_view *v, uint32_t u)
{
    return cs_ut_index_value(v->rows[(size_t)u * v->stride + CS_UT_R_LABEL], v->num_labels);
}

int32_t cs_ut_unit_successor(const cs_ut_view *v, uint32_t u)
{
    return cs_ut_index_value(v->rows[(size_t)u * v->stride + CS_UT_R_SUCCESSOR], v->num_units);
}

int32_t cs_ut_member(const cs_ut_view *v, uint32_t i)
{
    return i < v->num_units ? cs_ut_index_value(v->members[i], v->num_units) : -1;
}

const float *cs_ut_unit_descriptors(const cs_ut_view *v, uint32_t u)
{
    return v->rows + (size_t)u * v->stride + CS_UT_R_DESCRIPTORS;
}

uint32_t cs_ut_label_count(const cs_ut_view *v, int32_t label, uint32_t *first)
{
    if (label < 0 || (uint32_t)label >= v->num_labels) return 0;
    /* read at the point of use: a range that leaves the members section (a write into the Buffer) is empty */
    const float f = v->labels[2 * (size_t)label], c = v->labels[2 * (size_t)label + 1];
    if (!(f >= 0.0f && c >= 0.0f && (double)f + (double)c <= (double)v->num_units)) return 0;
    if (first) *first = (uint32_t)f;
    return (uint32_t)c;
}

static void put_split(float *dst, uint64_t v)
{
    dst[0] = (float)(v / SPLIT);
    dst[1] = (float)(v % SPLIT);
}

int cs_ut_encode(float *out, uint32_t num_units, uint32_t num_descriptors, uint32_t num_labels, uint32_t num_sources,
                 int32_t noise_label, double sample_rate, uint32_t channels, uint64_t audio_frames,
                 const uint64_t *start, const uint64_t *length, const int32_t *label, const int32_t *source,
                 const int32_t *successor, const float *descriptors)
{
    if (num_units == 0 || num_units > CS_UT_MAX_UNITS || num_labels == 0 || num_labels > num_units + 1 ||
        num_descriptors > 4096 || audio_frames / SPLIT >= 16777216u ||
        cs_ut_size(num_units, num_descriptors, num_labels) > CS_UT_MAX_FLOATS)
        return CS_UT_E_DIMS;
    const uint32_t stride = CS_UT_ROW_FIXED + num_descriptors;
    const size_t loff = (size_t)CS_UT_HEADER + (size_t)num_units * stride;
    const size_t moff = loff + 2u * (size_t)num_labels;
    for (int i = 0; i < CS_UT_HEADER; ++i)
        out[i] = 0.0f;
    out[CS_UT_H_MAGIC] = (float)CS_UT_MAGIC;
    out[CS_UT_H_VERSION] = (float)CS_UT_VERSION;
    out[CS_UT_H_NUM_UNITS] = (float)num_units;
    out[CS_UT_H_NUM_DESCRIPTORS] = (float)num_descriptors;
    out[CS_UT_H_STRIDE] = (float)stride;
    out[CS_UT_H_HEADER_SIZE] = (float)CS_UT_HEADER;
    out[CS_UT_H_SAMPLE_RATE] = (float)sample_rate;
    out[CS_UT_H_CHANNELS] = (float)channels;
    put_split(out + CS_UT_H_FRAMES_HI, audio_frames);
    out[CS_UT_H_NUM_LABELS] = (float)num_labels;
    out[CS_UT_H_NUM_SOURCES] = (float)num_sources;
    out[CS_UT_H_NOISE_LABEL] = (float)noise_label;
    cs_split_put(out + CS_UT_H_LABELS_OFFSET_HI, 2, loff);
    cs_split_put(out + CS_UT_H_MEMBERS_OFFSET_HI, 2, moff); /* index offset (17-18) and field 19 stay 0 */

    float *labels = out + loff, *members = out + moff;
    for (uint32_t l = 0; l < num_labels; ++l)
        labels[2 * l] = labels[2 * l + 1] = 0.0f;
    for (uint32_t u = 0; u < num_units; ++u) {
        if (label[u] < 0 || (uint32_t)label[u] >= num_labels || start[u] + length[u] > audio_frames || length[u] == 0 ||
            successor[u] < -1 || successor[u] >= (int32_t)num_units)
            return CS_UT_E_DIMS;
        float *r = out + CS_UT_HEADER + (size_t)u * stride;
        put_split(r + CS_UT_R_START_HI, start[u]);
        put_split(r + CS_UT_R_LENGTH_HI, length[u]);
        r[CS_UT_R_LABEL] = (float)label[u];
        r[CS_UT_R_SOURCE] = (float)source[u];
        r[CS_UT_R_SUCCESSOR] = (float)successor[u];
        r[CS_UT_R_RESERVED] = 0.0f;
        for (uint32_t j = 0; j < num_descriptors; ++j)
            r[CS_UT_R_DESCRIPTORS + j] = descriptors[(size_t)u * num_descriptors + j];
        labels[2 * (size_t)label[u] + 1] += 1.0f;
    }
    /* counting sort of units by label: first = prefix sum, then fill in unit order */
    uint32_t acc = 0;
    for (uint32_t l = 0; l < num_labels; ++l) {
        labels[2 * l] = (float)acc;
        acc += (uint32_t)labels[2 * l + 1];
    }
    for (uint32_t l = 0; l < num_labels; ++l)
        labels[2 * l + 1] = 0.0f;
    for (uint32_t u = 0; u < num_units; ++u) {
        size_t l = (size_t)label[u];
        uint32_t pos = (uint32_t)labels[2 * l] + (uint32_t)labels[2 * l + 1];
        members[pos] = (float)u;
        labels[2 * l + 1] += 1.0f;
    }
    return CS_UT_OK;
}
