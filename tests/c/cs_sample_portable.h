/*
 * cs_sample_portable.h - cs_sample.c built again with its portable path only (CS_SAMPLE_SIMD 0), under other names
 * (cs_sample_portable, ...), so that a test runs both paths on a CPU with AVX2: test_sample_same.c and
 * test_sample_trunc.c check each against the scalar reference (cs_sample_ref.h). Include it once per test, after
 * cs_sample.h. Test code only.
 */
#ifndef CS_SAMPLE_PORTABLE_H
#define CS_SAMPLE_PORTABLE_H

#include "cs_sample.h"

#define CS_SAMPLE_SIMD           0
#define cs_sample                cs_sample_portable
#define cs_sample_params_default cs_sample_params_default_portable
#define cs_sample_strerror       cs_sample_strerror_portable
#define cs_sample_scratch_size   cs_sample_scratch_size_portable
int cs_sample_portable(const float *, int, const cs_sample_params *, const int *, int, const unsigned char *, cs_rng *,
                       void *, size_t, cs_sample_result *);
void cs_sample_params_default_portable(cs_sample_params *);
const char *cs_sample_strerror_portable(int);
size_t cs_sample_scratch_size_portable(int);
#include "../../plugins/core/cs_sample.c"
#undef cs_sample
#undef cs_sample_params_default
#undef cs_sample_strerror
#undef cs_sample_scratch_size

#endif
