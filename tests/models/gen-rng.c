/* gen-rng.c — cheap deterministic random numbers for synthetic weights.
 *
 * SplitMix64-style mixing: good enough statistics for test weights and
 * fast (one multiply-xor chain per 64 bits), which matters when filling
 * billions of values.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "gen-model.h"

uint64_t
gen_hash64 (uint64_t x)
{
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

uint64_t
gen_hash_str (const char *s)
{
  /* FNV-1a, then mixed */
  uint64_t h = 0xcbf29ce484222325ULL;
  for (; *s; s++)
    {
      h ^= (unsigned char) *s;
      h *= 0x100000001b3ULL;
    }
  return gen_hash64 (h);
}

void
gen_rng_init (gen_rng *r, uint64_t seed, uint64_t stream)
{
  r->s = gen_hash64 (seed ^ gen_hash64 (stream + 0x9e3779b97f4a7c15ULL));
}

uint64_t
gen_rng_next (gen_rng *r)
{
  r->s += 0x9e3779b97f4a7c15ULL;
  return gen_hash64 (r->s);
}

float
gen_rng_uniform (gen_rng *r)
{
  return (float) (gen_rng_next (r) >> 40) * (1.0f / 16777216.0f);
}

float
gen_rng_gauss (gen_rng *r)
{
  /* Irwin-Hall with four 16-bit uniforms: mean 2, variance 4/12; one 64-bit
   * draw per value. */
  uint64_t x = gen_rng_next (r);
  uint32_t sum = (uint32_t) (x & 0xffff) + (uint32_t) ((x >> 16) & 0xffff)
                 + (uint32_t) ((x >> 32) & 0xffff) + (uint32_t) (x >> 48);
  const float inv = 1.0f / 65536.0f;
  const float norm = 1.7320508f; /* 1 / sqrt(4/12) */
  return ((float) sum * inv + 2.0f * inv - 2.0f) * norm;
}
