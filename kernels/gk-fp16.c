/* gk-fp16.c — exact scalar conversions between F32 and F16/BF16.
 *
 * Pure integer bit manipulation so the result does not depend on the FPU
 * mode or on F16C being present.  Rounding is to nearest, ties to even.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "gk-internal.h"

#include <string.h>

static inline uint32_t
f32_bits (float f)
{
  uint32_t u;
  memcpy (&u, &f, sizeof u);
  return u;
}

static inline float
bits_f32 (uint32_t u)
{
  float f;
  memcpy (&f, &u, sizeof f);
  return f;
}

float
gk_fp16_to_fp32 (uint16_t h)
{
  uint32_t sign = (uint32_t) (h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1fu;
  uint32_t mant = h & 0x3ffu;

  if (exp == 0x1f)
    {
      /* inf, or NaN with its payload kept and forced quiet, as F16C does */
      uint32_t quiet = mant ? 0x00400000u : 0;
      return bits_f32 (sign | 0x7f800000u | quiet | (mant << 13));
    }
  if (exp == 0)
    {
      /* zero or subnormal: mant * 2^-24 is exact in F32 */
      float v = (float) mant * 0x1p-24f;
      return bits_f32 (sign | f32_bits (v));
    }
  return bits_f32 (sign | ((exp + (127 - 15)) << 23) | (mant << 13));
}

uint16_t
gk_fp32_to_fp16 (float f)
{
  uint32_t x = f32_bits (f);
  uint16_t sign = (uint16_t) ((x >> 16) & 0x8000u);
  uint32_t ax = x & 0x7fffffffu;

  /* NaN becomes the canonical quiet NaN, as ggml's converter does. */
  if (ax > 0x7f800000u)
    return sign | 0x7e00u;
  /* 65520 is half-way between 65504 and 2^16 and ties to the even (inf). */
  if (ax >= 0x477ff000u)
    return sign | 0x7c00u;
  if (ax >= 0x38800000u)
    {
      /* normal half: round the 13 dropped bits, a carry bumps the exponent */
      ax += 0x0fffu + ((ax >> 13) & 1u);
      return sign | (uint16_t) ((ax - 0x38000000u) >> 13);
    }

  /* Subnormal half (or zero): the result is round(|f| * 2^24). */
  uint32_t e = ax >> 23;
  if (e == 0)
    return sign; /* F32 subnormals are far below half precision */
  uint32_t m = (ax & 0x7fffffu) | 0x800000u;
  uint32_t shift = 126 - e; /* >= 14 here */
  if (shift > 24)
    return sign;
  uint32_t r = m >> shift;
  uint32_t rem = m & ((1u << shift) - 1);
  uint32_t half = 1u << (shift - 1);
  if (rem > half || (rem == half && (r & 1u)))
    r++;
  return sign | (uint16_t) r; /* r == 0x400 is the smallest normal */
}

float
gk_bf16_to_fp32 (uint16_t b)
{
  return bits_f32 ((uint32_t) b << 16);
}

uint16_t
gk_fp32_to_bf16 (float f)
{
  uint32_t x = f32_bits (f);

  if ((x & 0x7fffffffu) > 0x7f800000u)
    return (uint16_t) ((x >> 16) | 0x40u); /* keep NaN, force it quiet */
  x += 0x7fffu + ((x >> 16) & 1u);
  return (uint16_t) (x >> 16);
}

void
gk_scalar_fp16_to_fp32_row (const uint16_t *src, float *dst, int64_t n)
{
  for (int64_t i = 0; i < n; i++)
    dst[i] = gk_fp16_to_fp32 (src[i]);
}

void
gk_scalar_fp32_to_fp16_row (const float *src, uint16_t *dst, int64_t n)
{
  for (int64_t i = 0; i < n; i++)
    dst[i] = gk_fp32_to_fp16 (src[i]);
}

void
gk_scalar_bf16_to_fp32_row (const uint16_t *src, float *dst, int64_t n)
{
  for (int64_t i = 0; i < n; i++)
    dst[i] = gk_bf16_to_fp32 (src[i]);
}

void
gk_scalar_fp32_to_bf16_row (const float *src, uint16_t *dst, int64_t n)
{
  for (int64_t i = 0; i < n; i++)
    dst[i] = gk_fp32_to_bf16 (src[i]);
}
