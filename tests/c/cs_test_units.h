/*
 * cs_test_units.h - random unit rows for the player tests (test_grain.c, test_concatplay_logic.c): one generator,
 * so that both draw the same kind of corpus from a seed. Header-only; include after cs_rng.h.
 */
#ifndef CS_TEST_UNITS_H
#define CS_TEST_UNITS_H

#include "cs_rng.h"

#include <stdint.h>

/* Back-to-back units from frame 0: unit u has min_len + rand(span) frames, a label rand(labels) and nd
 * standard-normal descriptors (row-major in d), drawn in that order per unit from cs_rng seeded with `seed`.
 * Returns the total frames. */
static inline uint64_t cs_test_random_units(uint64_t seed, uint32_t units, uint32_t labels, uint32_t nd,
                                            uint32_t min_len, uint32_t span, uint64_t *st, uint64_t *ln, int32_t *lab,
                                            float *d)
{
    cs_rng g;
    cs_rng_seed(&g, seed);
    uint64_t pos = 0;
    for (uint32_t u = 0; u < units; ++u) {
        st[u] = pos;
        ln[u] = min_len + cs_rng_below(&g, span);
        pos += ln[u];
        lab[u] = (int32_t)cs_rng_below(&g, labels);
        for (uint32_t j = 0; j < nd; ++j)
            d[(size_t)u * nd + j] = (float)cs_rng_normal(&g);
    }
    return pos;
}

#endif
