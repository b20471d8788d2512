/* cs_rng.c - xoshiro128** 1.1 seeded by splitmix64. See cs_rng.h. */
#include "cs_rng.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint32_t rotl(uint32_t x, int k)
{
    return (x << k) | (x >> (32 - k));
}

void cs_rng_seed(cs_rng *rng, uint64_t seed)
{
    uint64_t x = seed;
    uint64_t a = splitmix64(&x), b = splitmix64(&x);
    rng->s[0] = (uint32_t)a;
    rng->s[1] = (uint32_t)(a >> 32);
    rng->s[2] = (uint32_t)b;
    rng->s[3] = (uint32_t)(b >> 32);
}

uint32_t cs_rng_next(cs_rng *rng)
{
    uint32_t *s = rng->s;
    const uint32_t result = rotl(s[1] * 5u, 7) * 9u;
    const uint32_t t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
}

float cs_rng_uniform(cs_rng *rng)
{
    return (float)(cs_rng_next(rng) >> 8) * (1.0f / 16777216.0f);
}

double cs_rng_uniform_double(cs_rng *rng)
{
    uint64_t hi = cs_rng_next(rng) >> 5, lo = cs_rng_next(rng) >> 6; /* 27 + 26 bits */
    return (double)(hi * 67108864u + lo) * (1.0 / 9007199254740992.0);
}

uint32_t cs_rng_below(cs_rng *rng, uint32_t n)
{
    if (n == 0) return 0;
    return (uint32_t)(((uint64_t)cs_rng_next(rng) * (uint64_t)n) >> 32);
}

double cs_rng_normal(cs_rng *rng)
{
    double u1 = cs_rng_uniform_double(rng), u2 = cs_rng_uniform_double(rng);
    if (u1 < 1e-300) u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}
