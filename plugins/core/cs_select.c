/* cs_select.c - unit selection policies over a unit table view. See cs_select.h. */
#include "cs_select.h"

#include <math.h>

#define NIL 0xFFFFFFFFu
/* At most this many target dimensions are compared (v1 tables have 26); they live on the stack. */
#define MAX_DIMS 64

/* LRU lists, with a fill that does not depend on the table's row count (issue 14 item 1). A label's order is
 * [its never-used members, in member order] then [its used members, least recently used first]. The never-used
 * ones are a bitmap over member positions (bit p set: members[p] never used) with a summary level (bit w set:
 * word w of the bitmap is not zero), so the first never-used member of a label is found in at most words1 + 2
 * word reads, and filling the lists only sets num_units / 64 + num_units / 4096 words and three entries per
 * label. The used ones form a doubly linked list per label whose links and stamps are written when a unit is
 * first used, so they need no initialisation; every link read is range-checked (a write into the table's members
 * can make a unit look used before its links exist: the lists may then lose order, never leave their arrays). */
struct cs_select_lru {
    uint32_t num_units, num_labels;
    uint64_t clock;   /* incremented on every touch; stamps of used units are >= 1 */
    uint64_t *stamp;  /* num_units: last use, valid for used units */
    uint32_t *prev;   /* num_units: used-list links, valid for used units */
    uint32_t *next;   /* num_units */
    uint64_t *fresh;  /* words0: bit p = members[p] never used */
    uint64_t *fresh1; /* words1: bit w = fresh[w] != 0 */
    uint32_t *head;   /* num_labels: least recently used among the used members, or NIL */
    uint32_t *tail;   /* num_labels: most recently used member, or NIL */
    uint32_t *unused; /* num_labels: members never used */
    uint32_t words0, words1;
    uint32_t hint_unit, hint_pos; /* the last never-used member an LRU pick returned, and its position */
    /* cs_select_lru_fill's cursor: phase 0 bitmap, 1 summary, 2 labels, 3 done; item */
    int fill_phase;
    uint32_t fill_i;
};

static size_t align8(size_t n)
{
    return (n + 7u) & ~(size_t)7u;
}

static uint32_t words_for(uint32_t bits)
{
    return (uint32_t)(((uint64_t)bits + 63u) / 64u);
}

size_t cs_select_lru_size(uint32_t num_units, uint32_t num_labels)
{
    if (num_units == 0 || num_labels == 0 || num_units > CS_UT_MAX_UNITS || num_labels > num_units + 1) return 0;
    const uint32_t w0 = words_for(num_units), w1 = words_for(w0);
    return align8(sizeof(cs_select_lru)) + (size_t)num_units * sizeof(uint64_t) +
           align8((size_t)num_units * 2u * sizeof(uint32_t)) + ((size_t)w0 + w1) * sizeof(uint64_t) +
           (size_t)num_labels * 3u * sizeof(uint32_t);
}

cs_select_lru *cs_select_lru_begin(void *mem, size_t size, const cs_ut_view *view)
{
    if (!mem || !view) return NULL;
    const uint32_t n = view->num_units, k = view->num_labels;
    const size_t need = cs_select_lru_size(n, k);
    if (need == 0 || size < need) return NULL;
    unsigned char *p = (unsigned char *)mem;
    cs_select_lru *l = (cs_select_lru *)(void *)p;
    p += align8(sizeof(cs_select_lru));
    l->stamp = (uint64_t *)(void *)p;
    p += (size_t)n * sizeof(uint64_t);
    l->prev = (uint32_t *)(void *)p;
    l->next = l->prev + n;
    p += align8((size_t)n * 2u * sizeof(uint32_t));
    l->words0 = words_for(n);
    l->words1 = words_for(l->words0);
    l->fresh = (uint64_t *)(void *)p;
    l->fresh1 = l->fresh + l->words0;
    p += ((size_t)l->words0 + l->words1) * sizeof(uint64_t);
    l->head = (uint32_t *)(void *)p;
    l->tail = l->head + k;
    l->unused = l->tail + k;
    l->num_units = n;
    l->num_labels = k;
    l->clock = 0;
    l->hint_unit = l->hint_pos = NIL;
    l->fill_phase = 0;
    l->fill_i = 0;
    return l;
}

/* Word w of a bitmap of `bits` bits, all set (the last word only up to `bits`). */
static uint64_t full_word(uint32_t w, uint32_t bits)
{
    const uint32_t rest = bits - w * 64u;
    return rest >= 64u ? ~(uint64_t)0 : (((uint64_t)1 << rest) - 1u);
}

int cs_select_lru_fill(cs_select_lru *l, const cs_ut_view *view, size_t budget)
{
    if (!l || !view) return 1;
    size_t spent = 0;
    while (l->fill_phase < 3) {
        if (spent > 0 && spent >= budget) return 0;
        if (l->fill_phase == 0) { /* every member position never used */
            if (l->fill_i < l->words0) {
                l->fresh[l->fill_i] = full_word(l->fill_i, l->num_units);
                l->fill_i++;
            } else {
                l->fill_phase = 1;
                l->fill_i = 0;
            }
        } else if (l->fill_phase == 1) { /* every bitmap word non-zero */
            if (l->fill_i < l->words1) {
                l->fresh1[l->fill_i] = full_word(l->fill_i, l->words0);
                l->fill_i++;
            } else {
                l->fill_phase = 2;
                l->fill_i = 0;
            }
        } else if (l->fill_i < l->num_labels) { /* no used member yet */
            l->head[l->fill_i] = l->tail[l->fill_i] = NIL;
            l->unused[l->fill_i] = cs_ut_label_count(view, (int32_t)l->fill_i, NULL);
            l->fill_i++;
        } else {
            l->fill_phase = 3;
            break;
        }
        spent++;
    }
    return 1;
}

size_t cs_select_lru_fill_left(const cs_select_lru *l)
{
    if (!l) return 0;
    /* one word per bitmap word, summary word and label, and one per phase change (the loop's steps) */
    const size_t total = (size_t)l->words0 + l->words1 + l->num_labels + 3u;
    size_t done = 0;
    if (l->fill_phase == 0) done = l->fill_i;
    if (l->fill_phase == 1) done = (size_t)l->words0 + 1u + l->fill_i;
    if (l->fill_phase == 2) done = (size_t)l->words0 + l->words1 + 2u + l->fill_i;
    if (l->fill_phase >= 3) return 0;
    return total - done;
}

cs_select_lru *cs_select_lru_init(void *mem, size_t size, const cs_ut_view *view)
{
    cs_select_lru *l = cs_select_lru_begin(mem, size, view);
    if (l) cs_select_lru_fill(l, view, (size_t)-1);
    return l;
}

/* The lowest set bit of the bitmap at a position in [from, end), or NIL. At most words1 + 2 word reads. */
static uint32_t lru_find_fresh(const cs_select_lru *l, uint32_t from, uint32_t end)
{
    if (from >= end || end > l->num_units) return NIL;
    uint32_t w = from / 64u;
    uint64_t bits = l->fresh[w] & (~(uint64_t)0 << (from % 64u));
    if (!bits) {
        const uint32_t last = (end - 1u) / 64u; /* the word of the last position */
        w = NIL;
        for (uint32_t s = (from / 64u + 1u) / 64u, skip = (from / 64u + 1u) % 64u; s <= last / 64u; ++s, skip = 0) {
            const uint64_t sb = l->fresh1[s] & (~(uint64_t)0 << skip);
            if (sb) {
                w = s * 64u + (uint32_t)__builtin_ctzll(sb);
                break;
            }
        }
        if (w == NIL || w > last) return NIL;
        bits = l->fresh[w];
        if (!bits) return NIL; /* the summary is exact; defensive */
    }
    const uint32_t p = w * 64u + (uint32_t)__builtin_ctzll(bits);
    return p < end ? p : NIL;
}

/* Member position p is used now: clear its bit (and its word's summary bit when the word becomes zero). */
static void lru_clear_fresh(cs_select_lru *l, uint32_t p, int32_t lab)
{
    const uint32_t w = p / 64u;
    l->fresh[w] &= ~((uint64_t)1 << (p % 64u));
    if (!l->fresh[w]) l->fresh1[w / 64u] &= ~((uint64_t)1 << (w % 64u));
    if (lab >= 0 && l->unused[lab] > 0) l->unused[lab]--;
}

/* The position of unit u among its label's members (members are in unit order, spread over the units), or NIL if
 * it is not there (a table whose members were not checked). The last LRU pick's position is remembered; else four
 * interpolation probes (members of a label are spread over the unit range, so they usually land within a few
 * entries, each probe narrowing the bracket), then bisection: O(log count) reads at worst, ~3 typically (a plain
 * bisection costs log2(count) cache misses in a large table: 14 for 16 000 members). */
static uint32_t lru_position(const cs_select_lru *l, const cs_ut_view *v, int32_t lab, uint32_t u)
{
    if (l->hint_unit == u && cs_ut_member(v, l->hint_pos) == (int32_t)u) return l->hint_pos;
    uint32_t first = 0;
    const uint32_t count = cs_ut_label_count(v, lab, &first);
    uint32_t lo = first, hi = first + count; /* u, if there, is at a position in [lo, hi) */
    for (int probe = 0; lo < hi; ++probe) {
        uint32_t mid = lo + (hi - lo) / 2u;
        if (probe < 4) {
            const int32_t a = cs_ut_member(v, lo), b = cs_ut_member(v, hi - 1u);
            if (a >= 0 && b > a && (uint32_t)a <= u && u <= (uint32_t)b)
                mid = lo + (uint32_t)((uint64_t)(u - (uint32_t)a) * (hi - 1u - lo) / (uint32_t)(b - a));
        }
        const int32_t m = cs_ut_member(v, mid);
        if (m == (int32_t)u) return mid;
        if (m >= 0 && (uint32_t)m < u)
            lo = mid + 1u;
        else
            hi = mid;
    }
    return NIL;
}

static uint32_t lru_link(const cs_select_lru *l, uint32_t x)
{
    return x < l->num_units ? x : NIL;
}

void cs_select_lru_touch(cs_select_lru *lru, const cs_ut_view *view, uint32_t u)
{
    if (!lru || !view || u >= lru->num_units || lru->fill_phase < 3) return;
    const int32_t lab = cs_ut_unit_label(view, u);
    if (lab < 0 || (uint32_t)lab >= lru->num_labels) return;
    const uint32_t p = lru_position(lru, view, lab, u);
    if (p == NIL) return;
    if (lru->fresh[p / 64u] & ((uint64_t)1 << (p % 64u))) { /* first use: not linked yet */
        lru_clear_fresh(lru, p, lab);
    } else {
        if (lru->tail[lab] == u) {
            lru->stamp[u] = ++lru->clock;
            return;
        }
        /* unlink */
        const uint32_t a = lru_link(lru, lru->prev[u]), b = lru_link(lru, lru->next[u]);
        if (a != NIL)
            lru->next[a] = b;
        else
            lru->head[lab] = b;
        if (b != NIL) lru->prev[b] = a;
    }
    lru->stamp[u] = ++lru->clock;
    /* append */
    const uint32_t t = lru_link(lru, lru->tail[lab]);
    lru->prev[u] = t;
    lru->next[u] = NIL;
    if (t != NIL)
        lru->next[t] = u;
    else
        lru->head[lab] = u;
    lru->tail[lab] = u;
}

void cs_select_init(cs_select_state *s, uint64_t seed)
{
    cs_rng_seed(&s->rng, seed);
    s->last_unit = -1;
}

/* Dense list of the target's dimensions inside the table. Returns the number of dims. */
static uint32_t gather_target(const cs_ut_view *v, const cs_select_target *t, uint32_t *dims, float *vals)
{
    uint32_t m = 0;
    if (t->full) {
        const uint32_t len = t->full_len < v->num_descriptors ? t->full_len : v->num_descriptors;
        for (uint32_t j = 0; j < len && m < MAX_DIMS; ++j) {
            if (!isfinite(t->full[j])) continue;
            dims[m] = j;
            vals[m++] = t->full[j];
        }
    } else {
        const uint32_t nd = t->num_dims < CS_SELECT_MAX_TARGET_DIMS ? t->num_dims : CS_SELECT_MAX_TARGET_DIMS;
        for (uint32_t j = 0; j < nd; ++j) {
            if (t->dim[j] >= v->num_descriptors || !isfinite(t->value[j])) continue;
            dims[m] = t->dim[j];
            vals[m++] = t->value[j];
        }
    }
    return m;
}

/*
 * The distance kernel, shared by every NEAREST path so that they agree to the bit: the squared differences over
 * the gathered dimensions, summed in blocks of four as (a^2 + b^2) + (c^2 + e^2), then the remainder one by one.
 * It gives up (returning a value > best) as soon as the partial sum exceeds best (Bei & Gray 1985); a partial sum
 * never exceeds the full one, and a distance equal to best is always computed in full (ties go to the lower
 * unit index).
 */
static inline float partial_distance(const float *d, const uint32_t *dims, const float *vals, uint32_t m, float best)
{
    float acc = 0.0f;
    uint32_t j = 0;
    for (; j + 4 <= m; j += 4) {
        const float a = d[dims[j]] - vals[j], b = d[dims[j + 1]] - vals[j + 1];
        const float c = d[dims[j + 2]] - vals[j + 2], e = d[dims[j + 3]] - vals[j + 3];
        acc += (a * a + b * b) + (c * c + e * e);
        if (acc > best) return acc;
    }
    for (; j < m; ++j) {
        const float a = d[dims[j]] - vals[j];
        acc += a * a;
    }
    return acc;
}

/* Per-dimension distance from the target value v to the interval [lo, hi]: 0 inside. */
static inline float box_gap(float lo, float hi, float v)
{
    return v < lo ? lo - v : (v > hi ? v - hi : 0.0f);
}

/*
 * Lower bound of the kernel's distance over every point of a box (lo[D], hi[D]), summed in the kernel's exact
 * order. Each term is at most the point's term (rounding is monotone: lo <= x implies fl(lo - v) <= fl(x - v)),
 * and rounded sums of smaller terms in the same order are no larger, so the bound never exceeds the kernel's
 * distance of a point in the box, bit for bit: pruning with it is exact.
 */
static inline float box_distance(const float *lo, const float *hi, const uint32_t *dims, const float *vals, uint32_t m)
{
    float acc = 0.0f;
    uint32_t j = 0;
    for (; j + 4 <= m; j += 4) {
        const float a = box_gap(lo[dims[j]], hi[dims[j]], vals[j]);
        const float b = box_gap(lo[dims[j + 1]], hi[dims[j + 1]], vals[j + 1]);
        const float c = box_gap(lo[dims[j + 2]], hi[dims[j + 2]], vals[j + 2]);
        const float e = box_gap(lo[dims[j + 3]], hi[dims[j + 3]], vals[j + 3]);
        acc += (a * a + b * b) + (c * c + e * e);
    }
    for (; j < m; ++j) {
        const float a = box_gap(lo[dims[j]], hi[dims[j]], vals[j]);
        acc += a * a;
    }
    return acc;
}

/* Consider unit u: keep it if nearer, or as near and lower-numbered. */
static inline void consider(const cs_ut_view *v, uint32_t u, const uint32_t *dims, const float *vals, uint32_t m,
                            float *best, int32_t *best_u)
{
    const float d = partial_distance(v->rows + (size_t)u * v->stride + CS_UT_R_DESCRIPTORS, dims, vals, m, *best);
    if (d < *best || (d == *best && (uint32_t)*best_u > u) || *best_u < 0) {
        *best = d;
        *best_u = (int32_t)u;
    }
}

/* Linear scan of order[from .. from + count) (unit indices; out-of-range entries are skipped). */
static void scan_units(const cs_ut_view *v, const float *order, uint32_t from, uint32_t count, const uint32_t *dims,
                       const float *vals, uint32_t m, float *best, int32_t *best_u)
{
    for (uint32_t i = 0; i < count; ++i) {
        const float f = order[(size_t)from + i];
        if (!(f >= 0.0f && f < (float)v->num_units)) continue;
        consider(v, (uint32_t)f, dims, vals, m, best, best_u);
    }
}

/*
 * The label's k-d tree (cs_unit_table.h, "index"): depth-first, nearer child first, a child skipped when its box
 * is farther than the best distance so far (Friedman, Bentley & Finkel 1977, "An algorithm for finding best
 * matches in logarithmic expected time", with bounding boxes as in Arya & Mount's ANN). The stack is fixed; a
 * subtree that would overflow it is scanned linearly (its node's range holds all its units), so the answer is
 * the same. Every node is visited at most once (the preorder layout), every unit scanned at most once: bounded by
 * O(nodes * dims + count * dims) for the label. All reads are range-checked, so an unchecked table is safe.
 */
#define INDEX_STACK 64
static int32_t nearest_indexed(const cs_ut_view *v, uint32_t first, uint32_t count, uint32_t root, uint32_t nc,
                               const uint32_t *dims, const float *vals, uint32_t m)
{
    const uint32_t S = v->index_stride, D = v->num_descriptors;
    const float *nodes = v->index_nodes;
    uint32_t stack_node[INDEX_STACK];
    float stack_bound[INDEX_STACK];
    uint32_t top = 0;
    float best = INFINITY;
    int32_t best_u = -1;
    stack_node[top] = 0; /* node offsets relative to the root */
    stack_bound[top++] = 0.0f;
    uint32_t pops = 0;
    while (top > 0 && pops++ < nc) {
        --top;
        const uint32_t i = stack_node[top];
        if (stack_bound[top] > best) continue;
        const float *nd = nodes + (size_t)(root + i) * S;
        const float fb = nd[CS_UT_N_BEGIN], fc = nd[CS_UT_N_COUNT], fs = nd[CS_UT_N_SIZE];
        if (!(fb >= (float)first && fc >= 0.0f && fb + fc <= (float)first + (float)count)) continue;
        const uint32_t b = (uint32_t)fb, c = (uint32_t)fc;
        const int32_t lsz_v = i + 1 < nc ? cs_ut_index_value(nodes[(size_t)(root + i + 1) * S + CS_UT_N_SIZE], nc) : 0;
        const uint32_t lsz = lsz_v > 0 ? (uint32_t)lsz_v : 0;
        if (!(fs > 1.0f) || top + 2 > INDEX_STACK || lsz == 0 || (uint64_t)i + 1 + lsz >= nc) {
            /* a leaf, or a subtree too deep for the stack / malformed: scan its units */
            scan_units(v, v->index_order, b, c, dims, vals, m, &best, &best_u);
            continue;
        }
        const uint32_t l = i + 1, r = i + 1 + lsz;
        const float *ln = nodes + (size_t)(root + l) * S, *rn = nodes + (size_t)(root + r) * S;
        const float bl = box_distance(ln + CS_UT_N_BOX, ln + CS_UT_N_BOX + D, dims, vals, m);
        const float br = box_distance(rn + CS_UT_N_BOX, rn + CS_UT_N_BOX + D, dims, vals, m);
        /* push the farther child first so the nearer one is searched first */
        const int left_first = bl <= br;
        const uint32_t far_n = left_first ? r : l, near_n = left_first ? l : r;
        const float far_b = left_first ? br : bl, near_b = left_first ? bl : br;
        if (far_b <= best) {
            stack_node[top] = far_n;
            stack_bound[top++] = far_b;
        }
        if (near_b <= best) {
            stack_node[top] = near_n;
            stack_bound[top++] = near_b;
        }
    }
    if (top > 0) {
        /* only for a malformed tree (more pops than nodes): finish with a plain scan of the label */
        scan_units(v, v->members, first, count, dims, vals, m, &best, &best_u);
    }
    return best_u;
}

int32_t cs_select_nearest(const cs_ut_view *v, int32_t label, const cs_select_target *t)
{
    if (!v || !t) return -1;
    uint32_t dims[MAX_DIMS];
    float vals[MAX_DIMS];
    cs_select_target tt = *t;
    if (tt.full && tt.full_len > MAX_DIMS) tt.full_len = MAX_DIMS;
    const uint32_t m = gather_target(v, &tt, dims, vals);
    float best = INFINITY;
    int32_t best_u = -1;
    if (label < 0) {
        for (uint32_t u = 0; u < v->num_units; ++u)
            consider(v, u, dims, vals, m, &best, &best_u);
        return best_u;
    }
    uint32_t first = 0;
    const uint32_t count = cs_ut_label_count(v, label, &first);
    if (count == 0 || (size_t)first + count > v->num_units) return -1;
    /* The k-d tree prunes well on few target dimensions or large labels; for a many-dimensional target on a
     * label of a few thousand units the early-exit scan is faster (tests/bench/bench_select.c). Both give the
     * same answer. */
    if (v->index_nodes && (uint32_t)label < v->num_labels &&
        (m <= CS_SELECT_INDEX_MAX_DIMS || count > CS_SELECT_SCAN_MAX_UNITS)) {
        const float fr = v->index_roots[2 * (size_t)label], fn = v->index_roots[2 * (size_t)label + 1];
        if (fr >= 0.0f && fn >= 1.0f && fr + fn <= (float)v->index_num_nodes)
            return nearest_indexed(v, first, count, (uint32_t)fr, (uint32_t)fn, dims, vals, m);
    }
    scan_units(v, v->members, first, count, dims, vals, m, &best, &best_u);
    return best_u;
}

int32_t cs_select_nearest_scan(const cs_ut_view *v, int32_t label, const cs_select_target *t)
{
    if (!v || !t) return -1;
    cs_ut_view plain = *v;
    plain.index_nodes = NULL; /* the same search without the index */
    return cs_select_nearest(&plain, label, t);
}

int32_t cs_select_nearest_brute(const cs_ut_view *v, int32_t label, const cs_select_target *t)
{
    if (!v || !t) return -1;
    uint32_t dims[MAX_DIMS];
    float vals[MAX_DIMS];
    cs_select_target tt = *t;
    if (tt.full && tt.full_len > MAX_DIMS) tt.full_len = MAX_DIMS;
    const uint32_t m = gather_target(v, &tt, dims, vals);
    int32_t best_u = -1;
    float best = INFINITY;
    for (uint32_t u = 0; u < v->num_units; ++u) {
        if (label >= 0 && cs_ut_unit_label(v, u) != label) continue;
        /* the kernel in full (an infinite bound never stops it early) */
        const float d = partial_distance(cs_ut_unit_descriptors(v, u), dims, vals, m, INFINITY);
        if (d < best || best_u < 0) {
            best = d;
            best_u = (int32_t)u;
        }
    }
    return best_u;
}

/* A uniformly random member of the label (any unit for label < 0); -1 if the members entry is not a unit. */
static int32_t random_member(cs_select_state *s, const cs_ut_view *v, int32_t label, uint32_t first, uint32_t count)
{
    if (label < 0) return (int32_t)cs_rng_below(&s->rng, v->num_units);
    return cs_ut_member(v, first + cs_rng_below(&s->rng, count));
}

/* What a policy sees: the request (label, its members first .. first + count - 1 in the members section, or
 * every unit for label < 0) and the optional LRU lists and target. */
typedef struct pick_ctx {
    cs_select_state *s;
    const cs_ut_view *v;
    cs_select_lru *lru; /* NULL, or lists matching v */
    const cs_select_target *target;
    int32_t label;
    uint32_t first, count;
} pick_ctx;

/* One policy: a unit index (< num_units), or -1 when the table's data hold no valid unit. */
typedef int32_t (*pick_fn)(const pick_ctx *c);

static int32_t pick_random(const pick_ctx *c)
{
    return random_member(c->s, c->v, c->label, c->first, c->count);
}

static int32_t pick_successor(const pick_ctx *c)
{
    const int32_t last = c->s->last_unit;
    const int32_t succ =
        (last >= 0 && (uint32_t)last < c->v->num_units) ? cs_ut_unit_successor(c->v, (uint32_t)last) : -1;
    if (succ >= 0 && (c->label < 0 || cs_ut_unit_label(c->v, (uint32_t)succ) == c->label)) return succ;
    return pick_random(c);
}

/* The first never-used member of label lab (its members first .. first + count - 1), or -1 when it has none
 * left. A position whose entry is not a valid unit (a table written into) is marked used and skipped for good. */
static int32_t lru_first_fresh(cs_select_lru *l, const cs_ut_view *v, int32_t lab)
{
    uint32_t first = 0;
    const uint32_t count = cs_ut_label_count(v, lab, &first);
    for (int tries = 0; tries < 2 && l->unused[lab] > 0; ++tries) {
        const uint32_t p = lru_find_fresh(l, first, first + count);
        if (p == NIL) {
            l->unused[lab] = 0; /* the count disagrees with the bitmap: only after writes into the table */
            break;
        }
        const int32_t m = cs_ut_member(v, p);
        if (m >= 0) {
            l->hint_unit = (uint32_t)m;
            l->hint_pos = p;
            return m;
        }
        lru_clear_fresh(l, p, lab);
    }
    return -1;
}

static int32_t pick_lru(const pick_ctx *c)
{
    cs_select_lru *lru = c->lru;
    if (!lru || lru->fill_phase < 3) return pick_random(c);
    int32_t lab = c->label;
    if (lab < 0) { /* the label whose least recently used member is the oldest; never-used counts as oldest */
        uint64_t oldest = UINT64_MAX;
        for (uint32_t k = 0; k < lru->num_labels && oldest > 0; ++k) {
            const uint32_t h = lru_link(lru, lru->head[k]);
            const uint64_t st = lru->unused[k] > 0 ? 0 : (h != NIL ? lru->stamp[h] : UINT64_MAX);
            if (st < oldest) {
                oldest = st;
                lab = (int32_t)k;
            }
        }
        if (lab < 0) return pick_random(c);
    }
    const int32_t f = lru_first_fresh(lru, c->v, lab);
    if (f >= 0) return f;
    const uint32_t u = lru_link(lru, lru->head[lab]);
    if (u != NIL) return (int32_t)u;
    return c->label >= 0 ? cs_ut_member(c->v, c->first) : pick_random(c);
}

static int32_t pick_nearest(const pick_ctx *c)
{
    const int32_t n = c->target ? cs_select_nearest(c->v, c->label, c->target) : -1;
    return n >= 0 ? n : pick_random(c);
}

/* The pick function of each row of CS_SELECT_POLICY_TABLE, in the table's order (checked below). */
static const pick_fn pick_policy[] = {pick_random, pick_successor, pick_lru, pick_nearest};
typedef char
    pick_table_matches_policy_table[(sizeof pick_policy / sizeof pick_policy[0] == CS_SELECT_NUM_POLICIES) ? 1 : -1];

const char *cs_select_policy_name(int p)
{
    static const char *const names[] = {
#define CS_SELECT_NAME_(id, name, summary) #name,
        CS_SELECT_POLICY_TABLE(CS_SELECT_NAME_)
#undef CS_SELECT_NAME_
    };
    return (p >= 0 && p < CS_SELECT_NUM_POLICIES) ? names[p] : NULL;
}

int cs_select_pick(cs_select_state *s, const cs_ut_view *v, cs_select_lru *lru, int32_t label, int policy,
                   const cs_select_target *target, uint32_t *unit)
{
    if (!v || !v->data || v->num_units == 0) return CS_SELECT_E_NO_TABLE;
    pick_ctx c = {s, v, lru, target, label, 0, v->num_units};
    if (label >= 0) {
        if ((uint32_t)label >= v->num_labels) return CS_SELECT_E_LABEL_RANGE;
        c.count = cs_ut_label_count(v, label, &c.first);
        if (c.count == 0) return CS_SELECT_E_LABEL_EMPTY;
    }
    if (lru && (lru->num_units != v->num_units || lru->num_labels != v->num_labels)) c.lru = NULL;
    const pick_fn f = (policy >= 0 && policy < CS_SELECT_NUM_POLICIES) ? pick_policy[policy] : pick_random;
    const int32_t u = f(&c);
    if (u < 0 || (uint32_t)u >= v->num_units) return CS_SELECT_E_TABLE_DATA;
    cs_select_played(s, v, c.lru, (uint32_t)u);
    *unit = (uint32_t)u;
    return CS_SELECT_OK;
}

void cs_select_played(cs_select_state *s, const cs_ut_view *v, cs_select_lru *lru, uint32_t u)
{
    if (!v || u >= v->num_units) return;
    s->last_unit = (int32_t)u;
    if (lru && lru->num_units == v->num_units && lru->num_labels == v->num_labels) cs_select_lru_touch(lru, v, u);
}

const char *cs_select_strerror(int status)
{
    switch (status) {
    case CS_SELECT_OK:
        return "ok";
    case CS_SELECT_E_LABEL_RANGE:
        return "label out of range";
    case CS_SELECT_E_LABEL_EMPTY:
        return "label has no units";
    case CS_SELECT_E_UNIT_RANGE:
        return "unit index out of range";
    case CS_SELECT_E_NO_TABLE:
        return "no valid unit table";
    case CS_SELECT_E_TABLE_DATA:
        return "the unit table's data changed since it was validated (written while playing?)";
    case CS_SELECT_REST:
        return "rest (label -1): nothing plays";
    default:
        return "unknown selection error";
    }
}
