/* cs_unit_table.c - encode, parse and read the server-ready unit table. See cs_unit_table.h and BUNDLE.md. */
#include "cs_unit_table.h"

#include "cs_onset.h"
#include "cs_split.h"

#include <math.h>
#include <string.h>

#define SPLIT ((uint64_t)CS_SPLIT_BASE)

size_t cs_ut_size(uint32_t num_units, uint32_t num_descriptors, uint32_t num_labels)
{
    return (size_t)CS_UT_HEADER + (size_t)num_units * (CS_UT_ROW_FIXED + (size_t)num_descriptors) +
           2u * (size_t)num_labels + (size_t)num_units;
}

size_t cs_ut_listen_size(uint32_t num_descriptors, uint32_t num_labels)
{
    return (size_t)CS_UT_LISTEN_FIXED + 3u * (size_t)num_descriptors + (size_t)num_labels * num_descriptors;
}

size_t cs_ut_index_rows_size(uint32_t num_units, uint32_t num_descriptors)
{
    return ((size_t)num_units + CS_UT_ROW_BLOCK - 1u) / CS_UT_ROW_BLOCK * CS_UT_ROW_BLOCK * (size_t)num_descriptors;
}

/* Floats of the rows section of an index of version `version` (4, 5: blocks, 3: row by row, 2: none). */
static size_t rows_size(uint32_t version, uint32_t num_units, uint32_t num_descriptors)
{
    if (version >= CS_UT_INDEX_VERSION_4) return cs_ut_index_rows_size(num_units, num_descriptors);
    return version == CS_UT_INDEX_VERSION_3 ? (size_t)num_units * num_descriptors : 0u;
}

size_t cs_ut_index_size_version(uint32_t version, uint32_t num_units, uint32_t num_descriptors, uint32_t num_labels,
                                uint32_t num_nodes)
{
    if (version < CS_UT_INDEX_VERSION_2 || version > CS_UT_INDEX_VERSION) return 0;
    return (size_t)(version == CS_UT_INDEX_VERSION_2 ? CS_UT_INDEX_HEADER_V2 : CS_UT_INDEX_HEADER) +
           2u * (size_t)num_labels + (size_t)num_units +
           (size_t)num_nodes * (CS_UT_NODE_FIXED + 2u * (size_t)num_descriptors) +
           rows_size(version, num_units, num_descriptors);
}

size_t cs_ut_index_size(uint32_t num_units, uint32_t num_descriptors, uint32_t num_labels, uint32_t num_nodes)
{
    return cs_ut_index_size_version(CS_UT_INDEX_VERSION, num_units, num_descriptors, num_labels, num_nodes);
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

/* A split offset (hi, lo) at p: 1 and *out when both halves are exact 16-bit pieces. */
static int get_offset(const float *p, size_t *out)
{
    uint64_t v = 0;
    if (!cs_split_get(p, 2, &v)) return 0;
    *out = (size_t)v;
    return 1;
}

/* O(1): the index header and section sizes (header fields 17-18); index version 5, 4, 3, or 2 (no rows section). */
static int parse_index(cs_ut_view *v, size_t n)
{
    size_t xo = 0;
    if (!get_offset(v->data + CS_UT_H_INDEX_OFFSET_HI, &xo)) return CS_UT_E_DIMS;
    if (xo == 0) return CS_UT_OK;
    const size_t base = (size_t)(v->members - v->data) + v->num_units;
    if (xo != base) return CS_UT_E_DIMS;
    if (n < base + CS_UT_INDEX_HEADER_V2) return CS_UT_E_SHORT;
    const float *x = v->data + base;
    const float ver = x[CS_UT_X_VERSION];
    if (x[CS_UT_X_MAGIC] != (float)CS_UT_INDEX_MAGIC ||
        (ver != (float)CS_UT_INDEX_VERSION && ver != (float)CS_UT_INDEX_VERSION_4 &&
         ver != (float)CS_UT_INDEX_VERSION_3 && ver != (float)CS_UT_INDEX_VERSION_2))
        return CS_UT_E_DIMS;
    const uint32_t version = (uint32_t)ver, has_rows = version != CS_UT_INDEX_VERSION_2,
                   xh = has_rows ? CS_UT_INDEX_HEADER : CS_UT_INDEX_HEADER_V2;
    if (n < base + xh) return CS_UT_E_SHORT;
    if (x[xh - 1] != 0.0f) return CS_UT_E_DIMS; /* the reserved field */
    for (int i = CS_UT_X_NUM_NODES; i <= CS_UT_X_LEAF; ++i)
        if (!is_count(x[i], 16777216.0)) return CS_UT_E_DIMS;
    const uint32_t nodes = (uint32_t)x[CS_UT_X_NUM_NODES], stride = (uint32_t)x[CS_UT_X_STRIDE],
                   leaf = (uint32_t)x[CS_UT_X_LEAF];
    size_t oo = 0, po = 0, ro = 0;
    if (!get_offset(x + CS_UT_X_ORDER_OFFSET_HI, &oo) || !get_offset(x + CS_UT_X_NODES_OFFSET_HI, &po) ||
        (has_rows && !get_offset(x + CS_UT_X_ROWS_OFFSET_HI, &ro)))
        return CS_UT_E_DIMS;
    if (stride != CS_UT_NODE_FIXED + 2u * v->num_descriptors || leaf < 1 || nodes < 1 ||
        (uint64_t)nodes > 2u * (uint64_t)v->num_units + v->num_labels || oo != base + xh + 2u * (size_t)v->num_labels ||
        po != oo + v->num_units || (has_rows && ro != po + (size_t)nodes * stride))
        return CS_UT_E_DIMS;
    if (n < base + cs_ut_index_size_version(version, v->num_units, v->num_descriptors, v->num_labels, nodes))
        return CS_UT_E_SHORT;
    v->index_roots = x + xh;
    v->index_order = v->data + oo;
    v->index_nodes = v->data + po;
    v->index_rows = has_rows ? v->data + ro : NULL;
    v->index_num_nodes = nodes;
    v->index_stride = stride;
    v->index_leaf = leaf;
    v->index_version = version;
    return CS_UT_OK;
}

/* The fixed fields of a listening section at y into *l (arrays not set): CS_UT_OK or CS_UT_E_LISTEN. O(1).
 * The frame analysis: cs_frame_config_check's ranges (cs_frame.h). */
static int parse_listen_fixed(const float *y, float table_rate, cs_ut_listen *l)
{
    if (y[CS_UT_L_MAGIC] != (float)CS_UT_LISTEN_MAGIC || y[CS_UT_L_VERSION] != (float)CS_UT_LISTEN_VERSION ||
        y[CS_UT_L_FIXED] != (float)CS_UT_LISTEN_FIXED)
        return CS_UT_E_LISTEN;
    if (!all_finite(y, CS_UT_LISTEN_FIXED)) return CS_UT_E_LISTEN;
    for (int i = CS_UT_L_RESERVED; i < CS_UT_LISTEN_FIXED; ++i)
        if (y[i] != 0.0f) return CS_UT_E_LISTEN;
    const float sr = y[CS_UT_L_SAMPLE_RATE];
    if (sr != table_rate || !is_count(y[CS_UT_L_FFT_SIZE], 16385.0) || !is_count(y[CS_UT_L_HOP], 16385.0) ||
        !is_count(y[CS_UT_L_N_MELS], 513.0))
        return CS_UT_E_LISTEN;
    const cs_frame_config fc = {sr,
                                (int)y[CS_UT_L_FFT_SIZE],
                                (int)y[CS_UT_L_HOP],
                                (int)y[CS_UT_L_N_MELS],
                                y[CS_UT_L_MEL_FMIN],
                                y[CS_UT_L_MEL_FMAX],
                                y[CS_UT_L_ROLLOFF],
                                y[CS_UT_L_YIN_THRESHOLD],
                                y[CS_UT_L_F0_MIN],
                                y[CS_UT_L_F0_MAX]};
    if (cs_frame_config_check(&fc) != CS_FRAME_OK) return CS_UT_E_LISTEN;
    if (!is_count(y[CS_UT_L_SEGMENTATION], 3.0) || !is_count(y[CS_UT_L_NORM_METHOD], 2.0)) return CS_UT_E_LISTEN;
    uint64_t glen = 0, ghop = 0;
    if (!cs_split_get(y + CS_UT_L_GRAIN_LEN_HI, 2, &glen) || !cs_split_get(y + CS_UT_L_GRAIN_HOP_HI, 2, &ghop) ||
        glen == 0 || ghop == 0)
        return CS_UT_E_LISTEN;
    for (int i = CS_UT_L_ONSET_THRESHOLD; i <= CS_UT_L_MEAN_FLUX; ++i)
        if (y[i] < 0.0f) return CS_UT_E_LISTEN;
    /* the onset parameters are ones the live detector runs with at this analysis (cs_onset.h), and delta_abs is
     * delta times the mean flux as cs_onset_delta_abs computes it */
    const cs_onset_config oc = {y[CS_UT_L_ONSET_THRESHOLD], y[CS_UT_L_ONSET_DELTA_ABS], y[CS_UT_L_ONSET_MEDIAN_S],
                                y[CS_UT_L_ONSET_MIN_LEN_S], y[CS_UT_L_ONSET_MAX_LEN_S], y[CS_UT_L_ONSET_PRE_S],
                                y[CS_UT_L_ONSET_REFINE_S]};
    cs_onset_plan plan;
    if (cs_onset_config_check(&oc, sr, fc.hop, &plan) != CS_ONSET_OK ||
        oc.delta_abs != cs_onset_delta_abs(y[CS_UT_L_ONSET_DELTA], y[CS_UT_L_MEAN_FLUX]))
        return CS_UT_E_LISTEN;
    l->frame = fc;
    l->segmentation = (int)y[CS_UT_L_SEGMENTATION];
    l->grain_len = (uint32_t)glen;
    l->grain_hop = (uint32_t)ghop;
    l->onset_threshold = y[CS_UT_L_ONSET_THRESHOLD];
    l->onset_delta = y[CS_UT_L_ONSET_DELTA];
    l->onset_delta_abs = y[CS_UT_L_ONSET_DELTA_ABS];
    l->onset_median_s = y[CS_UT_L_ONSET_MEDIAN_S];
    l->onset_min_len_s = y[CS_UT_L_ONSET_MIN_LEN_S];
    l->onset_max_len_s = y[CS_UT_L_ONSET_MAX_LEN_S];
    l->onset_pre_s = y[CS_UT_L_ONSET_PRE_S];
    l->onset_refine_s = y[CS_UT_L_ONSET_REFINE_S];
    l->mean_flux = y[CS_UT_L_MEAN_FLUX];
    l->norm_method = (int)y[CS_UT_L_NORM_METHOD];
    return CS_UT_OK;
}

/* End of the sections before the listening section: the index's end, or the members' without an index. */
static size_t listen_base(const cs_ut_view *v)
{
    if (v->index_nodes)
        return (size_t)(v->index_nodes - v->data) + (size_t)v->index_num_nodes * v->index_stride +
               rows_size(v->index_version, v->num_units, v->num_descriptors);
    return (size_t)(v->members - v->data) + v->num_units;
}

/* O(1): the listening section announced by header fields 19-20 (version 3). */
static int parse_listen(cs_ut_view *v, size_t n)
{
    if (v->version != CS_UT_VERSION) return CS_UT_OK;
    size_t yo = 0;
    if (!get_offset(v->data + CS_UT_H_LISTEN_OFFSET_HI, &yo)) return CS_UT_E_DIMS;
    if (yo == 0) return CS_UT_OK;
    if (yo != listen_base(v)) return CS_UT_E_DIMS;
    if (n < yo + cs_ut_listen_size(v->num_descriptors, v->num_labels)) return CS_UT_E_SHORT;
    const float *y = v->data + yo;
    const int e = parse_listen_fixed(y, v->data[CS_UT_H_SAMPLE_RATE], &v->listen);
    if (e) return e;
    const size_t D = v->num_descriptors;
    v->listen.center = y + CS_UT_LISTEN_FIXED;
    v->listen.scale = v->listen.center + D;
    v->listen.weight = v->listen.scale + D;
    v->listen.centroids = v->listen.weight + D;
    v->has_listen = 1;
    return CS_UT_OK;
}

int cs_ut_parse(const float *data, size_t n, int check_rows, cs_ut_view *view)
{
    if (!data || !view) return CS_UT_E_NULL;
    if (n < 2) return CS_UT_E_SHORT;
    if (data[CS_UT_H_MAGIC] != (float)CS_UT_MAGIC) return CS_UT_E_MAGIC;
    const float ver = data[CS_UT_H_VERSION];
    if (ver != (float)CS_UT_VERSION && ver != (float)CS_UT_VERSION_2) return CS_UT_E_VERSION;
    const uint32_t version = (uint32_t)ver, hs = version == CS_UT_VERSION ? CS_UT_HEADER : CS_UT_HEADER_V2;
    if (n < hs) return CS_UT_E_SHORT;
    for (uint32_t i = version == CS_UT_VERSION ? CS_UT_H_RESERVED : CS_UT_H_RESERVED_V2; i < hs; ++i)
        if (data[i] != 0.0f) return CS_UT_E_DIMS;
    for (int i = CS_UT_H_NUM_UNITS; i <= CS_UT_H_NUM_SOURCES; ++i)
        if (!is_count(data[i], 16777216.0)) return CS_UT_E_DIMS;
    const float nl = data[CS_UT_H_NOISE_LABEL];
    if (!isfinite(nl) || floorf(nl) != nl || nl < -1.0f) return CS_UT_E_DIMS;
    uint32_t units = (uint32_t)data[CS_UT_H_NUM_UNITS], nd = (uint32_t)data[CS_UT_H_NUM_DESCRIPTORS];
    uint32_t stride = (uint32_t)data[CS_UT_H_STRIDE], labels = (uint32_t)data[CS_UT_H_NUM_LABELS];
    if (units == 0 || labels == 0 || labels > units + 1 || nd > 4096 || stride != CS_UT_ROW_FIXED + nd ||
        data[CS_UT_H_HEADER_SIZE] != (float)hs)
        return CS_UT_E_DIMS;
    if (data[CS_UT_H_SAMPLE_RATE] < 1.0f || data[CS_UT_H_CHANNELS] < 1.0f || data[CS_UT_H_NUM_SOURCES] < 1.0f)
        return CS_UT_E_DIMS;
    if (nl >= (float)labels) return CS_UT_E_DIMS; /* compared as floats: nl may be far beyond uint32 (2^36) */
    size_t rows_end = (size_t)hs + (size_t)units * stride, loff = 0, moff = 0;
    if (!get_offset(data + CS_UT_H_LABELS_OFFSET_HI, &loff) || !get_offset(data + CS_UT_H_MEMBERS_OFFSET_HI, &moff))
        return CS_UT_E_DIMS;
    if (loff != rows_end || moff != loff + 2u * (size_t)labels) return CS_UT_E_DIMS;
    if (n < moff + units) return CS_UT_E_SHORT;

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
    view->version = version;
    view->header_size = hs;
    view->rows = data + hs;
    view->labels = data + loff;
    view->members = data + moff;
    if (view->audio_frames == 0) return CS_UT_E_DIMS;
    view->index_roots = view->index_order = view->index_nodes = view->index_rows = NULL;
    view->index_num_nodes = view->index_stride = view->index_leaf = view->index_version = 0;
    view->has_listen = 0;
    memset(&view->listen, 0, sizeof view->listen);
    int ie = parse_index(view, n);
    if (ie == CS_UT_OK) ie = parse_listen(view, n);
    if (ie || !check_rows) return ie;
    cs_ut_check c;
    cs_ut_check_begin(&c);
    return cs_ut_check_step(view, &c, (size_t)-1);
}

/* --- the row check, resumable (cs_ut_check_step) --- */
enum { P_ROWS = 0, P_LABELS, P_INDEX, P_LISTEN, P_DONE };

static int finish(cs_ut_check *c, int result)
{
    c->phase = P_DONE;
    c->result = result;
    return result;
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

/* Descriptor j of order entry pos in the rows section (index versions 4, 5: blocks, 3: row by row). Not checked. */
static inline float rows_value(const cs_ut_view *v, size_t pos, uint32_t j)
{
    const uint32_t D = v->num_descriptors;
    return v->index_version >= CS_UT_INDEX_VERSION_4 ? v->index_rows[cs_ut_index_row_at(pos, j, D)]
                                                     : v->index_rows[pos * D + j];
}

/* 1 when order entry pos of the rows section holds the row `d` (D floats) bit for bit. O(D). */
static int rows_entry_equal(const cs_ut_view *v, size_t pos, const float *d)
{
    const uint32_t D = v->num_descriptors;
    if (v->index_version < CS_UT_INDEX_VERSION_4) return memcmp(v->index_rows + pos * D, d, D * sizeof(float)) == 0;
    for (uint32_t j = 0; j < D; ++j) {
        const float x = v->index_rows[cs_ut_index_row_at(pos, j, D)];
        if (memcmp(&x, d + j, sizeof x) != 0) return 0;
    }
    return 1;
}

/* 1 when the lanes of a version 4 or 5 rows section past num_units (in its last block) are all +0 bits (else 0; 1
 * for other versions). O(7 D). */
static int rows_padding_zero(const cs_ut_view *v)
{
    if (v->index_version < CS_UT_INDEX_VERSION_4 || !v->index_rows) return 1;
    const uint32_t D = v->num_descriptors;
    const size_t end = cs_ut_index_rows_size(v->num_units, D) / (D ? D : 1u);
    for (size_t i = v->num_units; i < end; ++i)
        for (uint32_t j = 0; j < D; ++j) {
            uint32_t b;
            memcpy(&b, v->index_rows + cs_ut_index_row_at(i, j, D), sizeof b);
            if (b != 0u) return 0;
        }
    return 1;
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
    /* field 3: 0 in a leaf and in every node of an index before version 5; in version 5 an internal node's 1 + d */
    const float split = nd[CS_UT_N_SPLIT];
    const int has_split = sz > 1 && v->index_version >= CS_UT_INDEX_VERSION;
    if (has_split ? !is_count(split, (double)D + 1.0) || split < 1.0f : split != 0.0f) return CS_UT_E_VALUES;
    if (sz == 1) return 0;
    /* internal: left = i + 1, right = i + 1 + size(left); sizes add up; ranges split; boxes nest */
    if (i + 1 >= nc) return CS_UT_E_VALUES;
    const float *lc = nd + S;
    if (!is_count(lc[CS_UT_N_SIZE], (double)nc)) return CS_UT_E_VALUES; /* before the conversion (UB if negative) */
    const uint32_t lsz = (uint32_t)lc[CS_UT_N_SIZE];
    if ((uint64_t)i + 1 + lsz >= nc || lsz + 1 >= sz) return CS_UT_E_VALUES;
    const float *rc = v->index_nodes + (size_t)(c->root + i + 1 + lsz) * S;
    if (!is_count(rc[CS_UT_N_SIZE], (double)nc) || 1u + lsz + (uint32_t)rc[CS_UT_N_SIZE] != sz ||
        lc[CS_UT_N_BEGIN] != (float)b || !is_count(lc[CS_UT_N_COUNT], (double)cn + 1.0) ||
        rc[CS_UT_N_BEGIN] != (float)(b + (uint32_t)lc[CS_UT_N_COUNT]) ||
        !is_count(rc[CS_UT_N_COUNT], (double)cn + 1.0) ||
        (uint64_t)(uint32_t)lc[CS_UT_N_COUNT] + (uint32_t)rc[CS_UT_N_COUNT] != cn)
        return CS_UT_E_VALUES;
    for (int side = 0; side < 2; ++side) {
        const float *ch = side ? rc : lc;
        for (uint32_t j = 0; j < D; ++j)
            if (ch[CS_UT_N_BOX + j] < nd[CS_UT_N_BOX + j] || ch[CS_UT_N_BOX + D + j] > nd[CS_UT_N_BOX + D + j])
                return CS_UT_E_VALUES;
    }
    /* version 5: the children do not overlap on the split dimension (the left box max <= the right box min); the
     * boxes are checked against the units of every leaf, so this holds for the units too */
    if (has_split && !(lc[CS_UT_N_BOX + D + (uint32_t)split - 1u] <= rc[CS_UT_N_BOX + (uint32_t)split - 1u]))
        return CS_UT_E_VALUES;
    return 0;
}

/* One item of the index phase: a label's start, one order entry, one node, or one unit of a leaf. Returns 0,
 * CS_UT_E_VALUES, or 1 when the index is done. *cost: floats read. */
static int index_item(const cs_ut_view *v, cs_ut_check *c, size_t *cost)
{
    const uint32_t D = v->num_descriptors, S = v->index_stride;
    *cost = 2;
    if (c->sub == 0) { /* start label c->label */
        if (c->label == v->num_labels) {
            if (c->next_node != v->index_num_nodes) return CS_UT_E_VALUES;
            *cost = 2u + (size_t)(CS_UT_ROW_BLOCK - 1u) * D;
            return rows_padding_zero(v) ? 1 : CS_UT_E_VALUES;
        }
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
        *cost = 2u + CS_UT_CHECK_RANDOM_COST; /* the unit's row: a read at a random place (tree order) */
        if (v->index_rows) { /* versions 3, 4: the rows section holds the unit's descriptors, bit for bit */
            if (!rows_entry_equal(v, (size_t)c->first + c->item, cs_ut_unit_descriptors(v, (uint32_t)o)))
                return CS_UT_E_VALUES;
            *cost += 2u * (size_t)D;
        }
        c->item++;
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
    /* the unit's descriptors: in sequence in the rows section (versions 3, 4, equal to the row: checked above),
     * else at a random place */
    const size_t pos = (size_t)nd[CS_UT_N_BEGIN] + c->leaf_k;
    *cost = (size_t)D + 1u + (v->index_rows ? 0u : CS_UT_CHECK_RANDOM_COST);
    const float *d = v->index_rows ? NULL : cs_ut_unit_descriptors(v, (uint32_t)v->index_order[pos]);
    for (uint32_t j = 0; j < D; ++j) {
        const float dj = d ? d[j] : rows_value(v, pos, j);
        if (dj < nd[CS_UT_N_BOX + j] || dj > nd[CS_UT_N_BOX + D + j]) return CS_UT_E_VALUES;
    }
    c->leaf_k++;
    return 0;
}

/* One item of the listening phase: descriptor c->item's statistics (while item < D), then label c->label's
 * centroid. Returns 0, CS_UT_E_LISTEN, or 1 when the section is done. *cost: floats read. */
static int listen_item(const cs_ut_view *v, cs_ut_check *c, size_t *cost)
{
    const cs_ut_listen *l = &v->listen;
    const uint32_t D = v->num_descriptors;
    if (c->item < D) {
        const float ce = l->center[c->item], sc = l->scale[c->item], w = l->weight[c->item];
        *cost = 3;
        if (!isfinite(ce) || !isfinite(sc) || !(sc > 0.0f) || !isfinite(w) || !(w >= 0.0f)) return CS_UT_E_LISTEN;
        c->item++;
        return 0;
    }
    if (c->label == v->num_labels) return 1;
    const float *row = l->centroids + (size_t)c->label * D;
    *cost = (size_t)D + 2u;
    if (!all_finite(row, D)) return CS_UT_E_LISTEN;
    if (cs_ut_label_count(v, (int32_t)c->label, NULL) == 0)
        for (uint32_t j = 0; j < D; ++j)
            if (row[j] != 0.0f) return CS_UT_E_LISTEN;
    c->label++;
    return 0;
}

/* After the labels or the index: the listening section, or done. */
static int after_index(const cs_ut_view *v, cs_ut_check *c)
{
    if (!v->has_listen) return finish(c, CS_UT_OK);
    c->phase = P_LISTEN;
    c->label = c->sub = c->item = 0;
    return CS_UT_CHECK_MORE;
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
                if (!v->index_nodes) {
                    if (after_index(v, c) != CS_UT_CHECK_MORE) return c->result;
                    continue;
                }
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
            /* each member of the label, in increasing unit order (BUNDLE.md "Members"): with the counts adding up
             * to N this makes the members a permutation of the units (a repeated unit would hide another from
             * every reader of the label: found by fuzz_unit_table, the nearest search missing the nearest) */
            if (!is_count(m, (double)v->num_units) || cs_ut_unit_label(v, (uint32_t)m) != (int32_t)c->label ||
                (c->item > 0 && !(m > v->members[(size_t)c->first + c->item - 1])))
                return finish(c, CS_UT_E_VALUES);
            c->item++;
            spent += 1u + CS_UT_CHECK_ORDERED_COST; /* the member's row: ahead of the last one (unit order) */
        } else if (c->phase == P_INDEX) {
            size_t cost = 0;
            const int r = index_item(v, c, &cost);
            if (r < 0) return finish(c, r);
            if (r == 1 && after_index(v, c) != CS_UT_CHECK_MORE) return c->result;
            spent += cost;
        } else {
            size_t cost = 0;
            const int r = listen_item(v, c, &cost);
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
    case CS_UT_E_LISTEN:
        return "unit table's listening section is invalid (rebuild the bundle with `concatseq analyze --force`)";
    case CS_UT_E_NO_LISTEN:
        return "unit table has no listening section (a bundle from an older concatseq: rebuild it with "
               "`concatseq analyze --force`)";
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

const float *cs_ut_centroid(const cs_ut_view *v, int32_t label)
{
    if (!v->has_listen || label < 0 || (uint32_t)label >= v->num_labels) return NULL;
    return v->listen.centroids + (size_t)label * v->num_descriptors;
}

int32_t cs_ut_nearest(const float *centroids, const float *weight, uint32_t num_labels, uint32_t num_descriptors,
                      const float *x, double *d2)
{
    const uint32_t D = num_descriptors;
    int32_t best = 0;
    double best_d2 = INFINITY;
    for (uint32_t k = 0; k < num_labels; ++k) {
        const float *c = centroids + (size_t)k * D;
        double s = 0.0;
        for (uint32_t j = 0; j < D; ++j) {
            if (!(weight[j] > 0.0f)) continue;
            const double xj = isfinite(x[j]) ? (double)x[j] : 0.0, diff = xj - (double)c[j];
            s += (double)weight[j] * diff * diff;
        }
        if (s < best_d2) best_d2 = s, best = (int32_t)k; /* strict: ties to the lower label */
    }
    if (d2) *d2 = isfinite(best_d2) ? best_d2 : 0.0;
    return best;
}

int32_t cs_ut_nearest_label(const cs_ut_view *v, const float *x, double *d2)
{
    if (!v->has_listen) return -1;
    return cs_ut_nearest(v->listen.centroids, v->listen.weight, v->num_labels, v->num_descriptors, x, d2);
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
    cs_split_put(out + CS_UT_H_MEMBERS_OFFSET_HI, 2, moff); /* index (17-18) and listen (19-20) offsets stay 0 */

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

/* The fixed fields of section y from l (reserved fields 0). */
static void put_listen_fixed(float *y, float rate, const cs_ut_listen *l)
{
    for (int i = 0; i < CS_UT_LISTEN_FIXED; ++i)
        y[i] = 0.0f;
    const cs_frame_config *f = &l->frame;
    y[CS_UT_L_MAGIC] = (float)CS_UT_LISTEN_MAGIC;
    y[CS_UT_L_VERSION] = (float)CS_UT_LISTEN_VERSION;
    y[CS_UT_L_FIXED] = (float)CS_UT_LISTEN_FIXED;
    y[CS_UT_L_SAMPLE_RATE] = f->sample_rate != 0.0f ? f->sample_rate : rate;
    y[CS_UT_L_FFT_SIZE] = (float)f->fft_size;
    y[CS_UT_L_HOP] = (float)f->hop;
    y[CS_UT_L_N_MELS] = (float)f->n_mels;
    y[CS_UT_L_MEL_FMIN] = f->mel_fmin;
    y[CS_UT_L_MEL_FMAX] = f->mel_fmax;
    y[CS_UT_L_ROLLOFF] = f->rolloff;
    y[CS_UT_L_YIN_THRESHOLD] = f->yin_threshold;
    y[CS_UT_L_F0_MIN] = f->f0_min;
    y[CS_UT_L_F0_MAX] = f->f0_max;
    y[CS_UT_L_SEGMENTATION] = (float)l->segmentation;
    put_split(y + CS_UT_L_GRAIN_LEN_HI, l->grain_len);
    put_split(y + CS_UT_L_GRAIN_HOP_HI, l->grain_hop);
    y[CS_UT_L_ONSET_THRESHOLD] = l->onset_threshold;
    y[CS_UT_L_ONSET_DELTA] = l->onset_delta;
    y[CS_UT_L_ONSET_DELTA_ABS] = cs_onset_delta_abs(l->onset_delta, l->mean_flux); /* derived: one definition */
    y[CS_UT_L_ONSET_MEDIAN_S] = l->onset_median_s;
    y[CS_UT_L_ONSET_MIN_LEN_S] = l->onset_min_len_s;
    y[CS_UT_L_ONSET_MAX_LEN_S] = l->onset_max_len_s;
    y[CS_UT_L_ONSET_PRE_S] = l->onset_pre_s;
    y[CS_UT_L_ONSET_REFINE_S] = l->onset_refine_s;
    y[CS_UT_L_MEAN_FLUX] = l->mean_flux;
    y[CS_UT_L_NORM_METHOD] = (float)l->norm_method;
}

int cs_ut_encode_listen(float *out, size_t n, size_t cap, const cs_ut_listen *l)
{
    cs_ut_view v;
    if (!out || !l || !l->center || !l->scale || !l->weight || cs_ut_parse(out, n, 0, &v) != CS_UT_OK ||
        v.version != CS_UT_VERSION || v.has_listen || listen_base(&v) != n)
        return CS_UT_E_DIMS;
    const uint32_t D = v.num_descriptors, K = v.num_labels;
    const size_t need = cs_ut_listen_size(D, K);
    if (cap < n || cap - n < need || n + need > CS_UT_MAX_FLOATS) return CS_UT_E_DIMS;
    float *y = out + n;
    put_listen_fixed(y, out[CS_UT_H_SAMPLE_RATE], l);
    cs_ut_listen fixed;
    if (parse_listen_fixed(y, out[CS_UT_H_SAMPLE_RATE], &fixed) != CS_UT_OK) return CS_UT_E_LISTEN;
    float *center = y + CS_UT_LISTEN_FIXED, *scale = center + D, *weight = scale + D, *cent = weight + D;
    for (uint32_t j = 0; j < D; ++j) {
        if (!isfinite(l->center[j]) || !isfinite(l->scale[j]) || !(l->scale[j] > 0.0f) || !isfinite(l->weight[j]) ||
            !(l->weight[j] >= 0.0f))
            return CS_UT_E_LISTEN;
        center[j] = l->center[j];
        scale[j] = l->scale[j];
        weight[j] = l->weight[j];
    }
    /* per label, per descriptor: the members' mean, summed in double in unit order (members are sorted) */
    for (uint32_t k = 0; k < K; ++k) {
        uint32_t first = 0;
        const uint32_t count = cs_ut_label_count(&v, (int32_t)k, &first);
        for (uint32_t j = 0; j < D; ++j) {
            double s = 0.0;
            for (uint32_t i = 0; i < count; ++i)
                s += (double)cs_ut_unit_descriptors(&v, (uint32_t)cs_ut_member(&v, first + i))[j];
            const float m = count ? (float)(s / (double)count) : 0.0f;
            if (!isfinite(m)) return CS_UT_E_LISTEN;
            cent[(size_t)k * D + j] = m;
        }
    }
    cs_split_put(out + CS_UT_H_LISTEN_OFFSET_HI, 2, n);
    return CS_UT_OK;
}
