/*
 * cs_test.h - a minimal test harness: CS_CHECK counts, main() ends with CS_TEST_END which prints
 * "N passed, N failed" and returns non-zero on any failure.
 */
#ifndef CS_TEST_H
#define CS_TEST_H

#include <math.h>
#include <stdio.h>

static int cs_test_passed, cs_test_failed;

#define CS_CHECK(cond, ...)                                                                                            \
    do {                                                                                                               \
        if (cond) {                                                                                                    \
            cs_test_passed++;                                                                                          \
        } else {                                                                                                       \
            cs_test_failed++;                                                                                          \
            fprintf(stderr, "%s:%d: FAILED %s: ", __FILE__, __LINE__, #cond);                                          \
            fprintf(stderr, __VA_ARGS__);                                                                              \
            fputc('\n', stderr);                                                                                       \
        }                                                                                                              \
    } while (0)

/* |a - b| <= tol */
#define CS_CHECK_NEAR(a, b, tol, what)                                                                                 \
    CS_CHECK(fabs((double)(a) - (double)(b)) <= (double)(tol), "%s: %.9g vs %.9g (tol %.3g)", what, (double)(a),       \
             (double)(b), (double)(tol))

#define CS_TEST_END()                                                                                                  \
    do {                                                                                                               \
        printf("%d passed, %d failed\n", cs_test_passed, cs_test_failed);                                              \
        return cs_test_failed ? 1 : 0;                                                                                 \
    } while (0)

#endif
