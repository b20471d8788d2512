/*
 * cs_test_table.h - the resumable unit-table check run to its end (test_unit_table.c, test_unit_table_listen.c):
 * what ConcatPlay and the other UGens do a budget per block. Header-only; include after cs_unit_table.h.
 */
#ifndef CS_TEST_TABLE_H
#define CS_TEST_TABLE_H

#include "cs_unit_table.h"

/* cs_ut_check_step with `budget` until it is done (at most 100000 steps); returns its result, *steps the calls,
 * and CS_UT_CHECK_MORE when it did not finish. A further call must give the same result (checked: else -100). */
static inline int cs_test_resumable_check(const cs_ut_view *v, size_t budget, int *steps)
{
    cs_ut_check c;
    cs_ut_check_begin(&c);
    int r = CS_UT_CHECK_MORE, n = 0;
    while (r == CS_UT_CHECK_MORE && n < 100000)
        r = cs_ut_check_step(v, &c, budget), n++;
    if (steps) *steps = n;
    return r != CS_UT_CHECK_MORE && cs_ut_check_step(v, &c, budget) != r ? -100 : r;
}

#endif
