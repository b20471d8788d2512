/*
 * cs_test_models.h - one generator of random model files for the tests and the benchmarks.
 *
 * cs_test_random_model(cfg, &n, seed, scale): a malloc'ed model of configuration cfg (header built by
 * cs_model_header_build, weights uniform in +-scale from a 32-bit LCG seeded with `seed`; scale <= 0 means
 * 1/sqrt(width)). *n receives the float count (header + weights). NULL on a bad configuration or no memory.
 * The caller frees it. The same seed gives the same floats. Not real-time safe (malloc).
 *
 * cs_test_half_model(buf, n, &m): the float32 model buf (n floats, no n-gram table) as a malloc'ed
 * half-precision model (models/FORMAT.md: header copied, float 36 = 1, weights rounded to nearest-even and
 * packed, the checksum of the packed floats); *m receives its float count. NULL on an odd width or no memory.
 *
 * cs_test_state_new(buf, n, &mem): a state of the model buf (n floats, parsed and verified) in malloc'ed memory
 * of cs_model_state_size, *mem set to it (the caller frees *mem, also on failure); NULL if buf does not parse.
 */
#ifndef CS_TEST_MODELS_H
#define CS_TEST_MODELS_H

#include "cs_model.h"
#include "cs_model_io.h"
#include "cs_split.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

static inline float *cs_test_random_model(const cs_model_config *cfg, size_t *n, uint32_t seed, float scale)
{
    const size_t nw = cs_model_param_count(cfg);
    *n = 0;
    if (nw == 0) return NULL;
    float *buf = malloc((CS_MODEL_HEADER_FLOATS + nw) * sizeof(float));
    if (!buf) return NULL;
    if (scale <= 0.0f) scale = 1.0f / sqrtf((float)cfg->width);
    for (size_t i = 0; i < nw; i++) {
        seed = seed * 1664525u + 1013904223u;
        buf[CS_MODEL_HEADER_FLOATS + i] = scale * ((float)(seed >> 8) / 8388608.0f - 1.0f);
    }
    if (cs_model_header_build(cfg, NULL, buf + CS_MODEL_HEADER_FLOATS, nw, buf) != 0) {
        free(buf);
        return NULL;
    }
    *n = CS_MODEL_HEADER_FLOATS + nw;
    return buf;
}

static inline float *cs_test_half_model(const float *buf, size_t n, size_t *m)
{
    cs_model_view v;
    *m = 0;
    if (cs_model_parse_header(buf, n, &v) != CS_MODEL_OK || v.cfg.width % 2 != 0) return NULL;
    const size_t stored = (v.n_weights + 1) / 2;
    float *out = malloc((CS_MODEL_HEADER_FLOATS + stored) * sizeof(float));
    if (!out) return NULL;
    for (int i = 0; i < CS_MODEL_HEADER_FLOATS; i++)
        out[i] = buf[i];
    if (cs_model_half_pack(v.weights, v.n_weights, out + CS_MODEL_HEADER_FLOATS) != CS_MODEL_OK) {
        free(out);
        return NULL;
    }
    out[CS_MH_PRECISION] = (float)CS_MODEL_PRECISION_HALF;
    cs_split_put(out + CS_MH_CHECKSUM, 2, cs_model_fnv1a(2166136261u, out + CS_MODEL_HEADER_FLOATS, stored));
    *m = CS_MODEL_HEADER_FLOATS + stored;
    return out;
}

static inline cs_model_state *cs_test_state_new(const float *buf, size_t n, void **mem)
{
    cs_model_view v;
    *mem = NULL;
    if (cs_model_parse(buf, n, &v) != CS_MODEL_OK) return NULL;
    const size_t bytes = cs_model_state_size(&v);
    *mem = malloc(bytes);
    cs_model_state *st = NULL;
    if (!*mem || cs_model_state_init(&v, *mem, bytes, &st) != CS_MODEL_OK) return NULL;
    return st;
}

#endif
