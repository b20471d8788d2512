/* cs_select.c - unit selection policies over a unit table view. See cs_select.h. */
#include "cs_select.h"

#include <math.h>

#define NIL 0xFFFFFFFFu

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

/* NEAREST (cs_select_nearest and its scans): cs_select_nearest.c. */

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
