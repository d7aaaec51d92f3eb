/* kt-common.h — deterministic test data and tiny helpers for kernel tests.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int kt_failures __attribute__ ((unused));

#define KT_CHECK(cond, ...)                                           \
  do                                                                  \
    {                                                                 \
      if (!(cond))                                                    \
        {                                                             \
          kt_failures++;                                              \
          fprintf (stderr, "%s:%d: check failed: %s: ", __FILE__,     \
                   __LINE__, #cond);                                  \
          fprintf (stderr, __VA_ARGS__);                              \
          fputc ('\n', stderr);                                       \
        }                                                             \
    }                                                                 \
  while (0)

/* xorshift64: fixed sequence on every platform */
typedef struct {
  uint64_t s;
} kt_rng;

static inline uint64_t
kt_next (kt_rng *r)
{
  r->s ^= r->s << 13;
  r->s ^= r->s >> 7;
  r->s ^= r->s << 17;
  return r->s;
}

/* uniform in [0, 1) with 24 random bits */
static inline float
kt_uniform (kt_rng *r)
{
  return (float) (kt_next (r) >> 40) * (1.0f / 16777216.0f);
}

/* Roughly normal: sum of four uniforms, centred and scaled (no libm, so
 * the data is bit-identical everywhere). */
static inline float
kt_normal (kt_rng *r)
{
  float s = kt_uniform (r) + kt_uniform (r) + kt_uniform (r) + kt_uniform (r);
  return (s - 2.0f) * 1.7320508f;
}

/* Data shapes that exercise scale searches differently; mode 0..7. */
static inline void
kt_fill (kt_rng *r, float *x, int64_t n, int mode)
{
  for (int64_t i = 0; i < n; i++)
    {
      float v;
      switch (mode & 7)
        {
        case 0: v = kt_normal (r); break;
        case 1: v = kt_uniform (r) * 2.0f - 1.0f; break;
        case 2: v = kt_normal (r) * (kt_uniform (r) < 0.02f ? 30.0f : 1.0f); break;
        case 3: v = 0.0f; break;
        case 4: v = 0.5f; break;
        case 5: v = kt_normal (r) * 1e-3f; break;
        case 6: v = kt_uniform (r) < 0.8f ? 0.0f : kt_normal (r); break;
        default: v = kt_uniform (r) * 3.0f; break;
        }
      x[i] = v;
    }
}

static inline uint64_t
kt_fnv1a (uint64_t h, const void *data, size_t n)
{
  const unsigned char *p = data;
  for (size_t i = 0; i < n; i++)
    {
      h ^= p[i];
      h *= 0x100000001b3ull;
    }
  return h;
}

#define KT_FNV_INIT 0xcbf29ce484222325ull
