/*
 * cs_rng.h - the core's own small PRNG (SuperCollider's RGen is C++).
 *
 * xoshiro128** 1.1 (Blackman & Vigna, "Scrambled linear pseudorandom number generators", ACM TOMS 2021),
 * seeded through splitmix64 so that any 64-bit seed, 0 included, gives a good state.
 * Every function is real-time safe: no allocation, no I/O, constant time.
 */
#ifndef CS_RNG_H
#define CS_RNG_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Generator state: 16 bytes, plain data, copy it to fork a stream. */
typedef struct cs_rng {
    uint32_t s[4];
} cs_rng;

/** Seed `rng` from any 64-bit value (splitmix64 expansion). Same seed, same sequence. RT-safe. */
void cs_rng_seed(cs_rng *rng, uint64_t seed);

/** Next 32 random bits. RT-safe. */
uint32_t cs_rng_next(cs_rng *rng);

/** Uniform float in [0, 1) with 24 random bits. RT-safe. */
float cs_rng_uniform(cs_rng *rng);

/** Uniform double in [0, 1) with 53 random bits (two draws). RT-safe. */
double cs_rng_uniform_double(cs_rng *rng);

/** Uniform integer in [0, n) for n >= 1 (Lemire's multiply-shift, bias < n / 2^32); returns 0 when n == 0. RT-safe. */
uint32_t cs_rng_below(cs_rng *rng, uint32_t n);

/** Standard normal deviate (Box-Muller, uses two uniform doubles; libm log/cos: NOT for the audio thread). */
double cs_rng_normal(cs_rng *rng);

#ifdef __cplusplus
}
#endif

#endif
