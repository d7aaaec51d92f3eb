/* gk-chanwise-avx2.c — AVX2 dot products for channel-wise int2/int4/int8
 * rows (compressed-tensors packing, engine/MOBILE-FORMAT.md), 32 elements
 * per step. Compiled with -mavx2 -mfma -mf16c; only called through the
 * dispatch in gk-chanwise.c for rows gk_cw_simd_ok accepts.
 *
 * Integer activations: packed 2/4-bit fields u = q + 2^(b-1) are unsigned,
 * so maddubs(u, x) is exact and Σq·x = Σu·x − 2^(b-1)·Σx per group; 8-bit
 * codes are widened to 16 bits (a −128·−128 pair would overflow maddubs).
 * Group sums are exact integers, so the result equals the scalar
 * reference bit for bit. Float activations: codes are widened to float and
 * accumulated with FMA (the reference's order differs in the last bits).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "gk-chanwise.h"

#include <immintrin.h>
#include <string.h>

/* 32 2-bit fields (8 bytes; byte k holds elements 4k…4k+3 from bit 0 up),
 * one per byte in element order. */
static inline __m256i
fields2 (const uint8_t *p)
{
  const __m128i m = _mm_set1_epi8 (3);
  long long v;
  __m128i x, f0, f1, f2, f3, a, b;

  memcpy (&v, p, sizeof v);
  x = _mm_cvtsi64_si128 (v);
  f0 = _mm_and_si128 (x, m);
  f1 = _mm_and_si128 (_mm_srli_epi16 (x, 2), m);
  f2 = _mm_and_si128 (_mm_srli_epi16 (x, 4), m);
  f3 = _mm_and_si128 (_mm_srli_epi16 (x, 6), m);
  a = _mm_unpacklo_epi8 (f0, f1);  /* e0 e1 e4 e5 e8 e9 … */
  b = _mm_unpacklo_epi8 (f2, f3);  /* e2 e3 e6 e7 … */
  return _mm256_set_m128i (_mm_unpackhi_epi16 (a, b), _mm_unpacklo_epi16 (a, b));
}

/* 32 4-bit fields (16 bytes; element 2k in the low nibble of byte k). */
static inline __m256i
fields4 (const uint8_t *p)
{
  const __m128i m = _mm_set1_epi8 (15);
  const __m128i x = _mm_loadu_si128 ((const __m128i *) p);
  const __m128i lo = _mm_and_si128 (x, m);
  const __m128i hi = _mm_and_si128 (_mm_srli_epi16 (x, 4), m);

  return _mm256_set_m128i (_mm_unpackhi_epi8 (lo, hi), _mm_unpacklo_epi8 (lo, hi));
}

/* Signed codes of block j (32 elements) of a row. */
static inline __m256i
codes32 (const gk_cw_row *row, int64_t j)
{
  switch (row->bits)
    {
    case 2:
      return _mm256_sub_epi8 (fields2 (row->codes + 8 * j), _mm256_set1_epi8 (2));
    case 4:
      return _mm256_sub_epi8 (fields4 (row->codes + 16 * j), _mm256_set1_epi8 (8));
    default:
      {
        const __m256i v = _mm256_loadu_si256 ((const __m256i *) (row->codes + 32 * j));

        return row->offset_binary ? _mm256_xor_si256 (v, _mm256_set1_epi8 ((char) 0x80)) : v;
      }
    }
}

static inline float
hsum_ps (__m256 v)
{
  __m128 s = _mm_add_ps (_mm256_castps256_ps128 (v), _mm256_extractf128_ps (v, 1));

  s = _mm_add_ps (s, _mm_movehl_ps (s, s));
  s = _mm_add_ss (s, _mm_movehdup_ps (s));
  return _mm_cvtss_f32 (s);
}

static inline int32_t
hsum_epi32 (__m256i v)
{
  __m128i s = _mm_add_epi32 (_mm256_castsi256_si128 (v), _mm256_extracti128_si256 (v, 1));

  s = _mm_add_epi32 (s, _mm_shuffle_epi32 (s, _MM_SHUFFLE (1, 0, 3, 2)));
  s = _mm_add_epi32 (s, _mm_shuffle_epi32 (s, _MM_SHUFFLE (2, 3, 0, 1)));
  return _mm_cvtsi128_si32 (s);
}

float
gk_cw_dot_f32_avx2 (const gk_cw_row *row, const float *x, int64_t n)
{
  const int64_t gs = row->group_size;
  float sum = 0.0f;

  for (int64_t g0 = 0; g0 < n; g0 += gs)
    {
      __m256 acc0 = _mm256_setzero_ps (), acc1 = _mm256_setzero_ps ();

      for (int64_t j = g0; j < g0 + gs; j += 32)
        {
          const __m256i q = codes32 (row, j / 32);
          const __m128i lo = _mm256_castsi256_si128 (q), hi = _mm256_extracti128_si256 (q, 1);
          const float *xj = x + j;

          acc0 = _mm256_fmadd_ps (_mm256_cvtepi32_ps (_mm256_cvtepi8_epi32 (lo)),
                                  _mm256_loadu_ps (xj), acc0);
          acc1 = _mm256_fmadd_ps (_mm256_cvtepi32_ps (_mm256_cvtepi8_epi32 (_mm_srli_si128 (lo, 8))),
                                  _mm256_loadu_ps (xj + 8), acc1);
          acc0 = _mm256_fmadd_ps (_mm256_cvtepi32_ps (_mm256_cvtepi8_epi32 (hi)),
                                  _mm256_loadu_ps (xj + 16), acc0);
          acc1 = _mm256_fmadd_ps (_mm256_cvtepi32_ps (_mm256_cvtepi8_epi32 (_mm_srli_si128 (hi, 8))),
                                  _mm256_loadu_ps (xj + 24), acc1);
        }
      sum += hsum_ps (_mm256_add_ps (acc0, acc1)) * gk_cw_scale (row, g0 / gs);
    }
  return sum;
}

/* Σ u·x over nb 32-element blocks from block j0 of a packed 2/4-bit row,
 * as int32 lanes. maddubs pairs are at most 2·15·128 (int4) or 2·3·128
 * (int2), so up to 8 (int4) or 32 (int2) blocks add up in int16 first. */
static inline __m256i
packed_blocks (const uint8_t *codes, int bits, const int8_t *xq, int64_t j0, int64_t nb)
{
  const __m256i ones16 = _mm256_set1_epi16 (1);
  const int64_t run = bits == 2 ? 32 : 8;
  __m256i acc = _mm256_setzero_si256 ();

  for (int64_t b0 = 0; b0 < nb; b0 += run)
    {
      const int64_t b1 = b0 + run < nb ? b0 + run : nb;
      __m256i acc16 = _mm256_setzero_si256 ();

      if (bits == 2)
        for (int64_t b = b0; b < b1; b++)
          acc16 = _mm256_add_epi16 (
              acc16, _mm256_maddubs_epi16 (fields2 (codes + 8 * (j0 + b)),
                                           _mm256_loadu_si256 ((const __m256i *) (xq + 32 * (j0 + b)))));
      else
        for (int64_t b = b0; b < b1; b++)
          acc16 = _mm256_add_epi16 (
              acc16, _mm256_maddubs_epi16 (fields4 (codes + 16 * (j0 + b)),
                                           _mm256_loadu_si256 ((const __m256i *) (xq + 32 * (j0 + b)))));
      acc = _mm256_add_epi32 (acc, _mm256_madd_epi16 (acc16, ones16));
    }
  return acc;
}

/* Σ xq over nb blocks from block j0. */
static inline int32_t
act_sum (const int8_t *xq, int64_t j0, int64_t nb)
{
  const __m256i ones8 = _mm256_set1_epi8 (1), ones16 = _mm256_set1_epi16 (1);
  __m256i acc = _mm256_setzero_si256 ();

  for (int64_t b = 0; b < nb; b++)
    acc = _mm256_add_epi32 (acc, _mm256_madd_epi16 (_mm256_maddubs_epi16 (
                                                        ones8, _mm256_loadu_si256 ((const __m256i *) (xq + 32 * (j0 + b)))),
                                                    ones16));
  return hsum_epi32 (acc);
}

float
gk_cw_dot_i8_avx2 (const gk_cw_row *row, const int8_t *xq, const int32_t *pre, float x_scale,
                   int64_t n)
{
  const int64_t gs = row->group_size, nb = gs / 32;
  float sum = 0.0f;

  for (int64_t g0 = 0; g0 < n; g0 += gs)
    {
      const int64_t j0 = g0 / 32;
      int32_t isum;

      if (row->bits == 8)
        {
          __m256i acc = _mm256_setzero_si256 ();

          for (int64_t j = g0; j < g0 + gs; j += 32)
            {
              const __m256i q = codes32 (row, j / 32);
              const __m256i xv = _mm256_loadu_si256 ((const __m256i *) (xq + j));

              acc = _mm256_add_epi32 (acc, _mm256_madd_epi16 (
                                             _mm256_cvtepi8_epi16 (_mm256_castsi256_si128 (q)),
                                             _mm256_cvtepi8_epi16 (_mm256_castsi256_si128 (xv))));
              acc = _mm256_add_epi32 (acc, _mm256_madd_epi16 (
                                             _mm256_cvtepi8_epi16 (_mm256_extracti128_si256 (q, 1)),
                                             _mm256_cvtepi8_epi16 (_mm256_extracti128_si256 (xv, 1))));
            }
          isum = hsum_epi32 (acc);
        }
      else
        {
          /* the block sums do not depend on the row: taken from pre when given */
          const int32_t xs = pre != NULL ? pre[j0 + nb] - pre[j0] : act_sum (xq, j0, nb);

          isum = hsum_epi32 (packed_blocks (row->codes, row->bits, xq, j0, nb))
                 - (1 << (row->bits - 1)) * xs;
        }
      sum += (float) isum * gk_cw_scale (row, g0 / gs);
    }
  return sum * x_scale;
}

/* Rows against activations in the permuted layout of gk_cw_permute_act:
 * one 32-byte load of codes feeds 4 (int2) or 2 (int4) maddubs without any
 * unpacking, since field i of byte k meets activation i·32 + k. Runs of
 * chunks are added in int16 while that cannot overflow (pairs ≤ 2·3·128
 * resp. 2·15·128 per maddubs). */
float
gk_cw_dot_i8_perm_avx2 (const gk_cw_row *row, const int8_t *xp, const int32_t *pre, float x_scale,
                        int64_t n)
{
  const int bits = row->bits;
  const int64_t chunk = bits == 2 ? 128 : 64, run = bits == 2 ? 8 : 4;
  const int64_t gs = row->group_size;
  const __m256i m2 = _mm256_set1_epi8 (3), m4 = _mm256_set1_epi8 (15);
  const __m256i ones16 = _mm256_set1_epi16 (1);
  float sum = 0.0f;

  for (int64_t g0 = 0; g0 < n; g0 += gs)
    {
      const int64_t c0 = g0 / chunk, nc = gs / chunk;
      __m256i acc = _mm256_setzero_si256 ();
      int32_t isum;

      for (int64_t r0 = 0; r0 < nc; r0 += run)
        {
          const int64_t r1 = r0 + run < nc ? r0 + run : nc;
          __m256i acc16 = _mm256_setzero_si256 ();

          for (int64_t c = c0 + r0; c < c0 + r1; c++)
            {
              const __m256i v = _mm256_loadu_si256 ((const __m256i *) (row->codes + 32 * c));
              const int8_t *x = xp + chunk * c;

              if (bits == 2)
                {
                  const __m256i f0 = _mm256_and_si256 (v, m2);
                  const __m256i f1 = _mm256_and_si256 (_mm256_srli_epi16 (v, 2), m2);
                  const __m256i f2 = _mm256_and_si256 (_mm256_srli_epi16 (v, 4), m2);
                  const __m256i f3 = _mm256_and_si256 (_mm256_srli_epi16 (v, 6), m2);
                  const __m256i p01 = _mm256_add_epi16 (
                      _mm256_maddubs_epi16 (f0, _mm256_loadu_si256 ((const __m256i *) x)),
                      _mm256_maddubs_epi16 (f1, _mm256_loadu_si256 ((const __m256i *) (x + 32))));
                  const __m256i p23 = _mm256_add_epi16 (
                      _mm256_maddubs_epi16 (f2, _mm256_loadu_si256 ((const __m256i *) (x + 64))),
                      _mm256_maddubs_epi16 (f3, _mm256_loadu_si256 ((const __m256i *) (x + 96))));

                  acc16 = _mm256_add_epi16 (acc16, _mm256_add_epi16 (p01, p23));
                }
              else
                {
                  const __m256i lo = _mm256_and_si256 (v, m4);
                  const __m256i hi = _mm256_and_si256 (_mm256_srli_epi16 (v, 4), m4);

                  acc16 = _mm256_add_epi16 (
                      acc16,
                      _mm256_add_epi16 (
                          _mm256_maddubs_epi16 (lo, _mm256_loadu_si256 ((const __m256i *) x)),
                          _mm256_maddubs_epi16 (hi, _mm256_loadu_si256 ((const __m256i *) (x + 32)))));
                }
            }
          acc = _mm256_add_epi32 (acc, _mm256_madd_epi16 (acc16, ones16));
        }
      isum = hsum_epi32 (acc) - (1 << (bits - 1)) * (pre[(g0 + gs) / 32] - pre[g0 / 32]);
      sum += (float) isum * gk_cw_scale (row, g0 / gs);
    }
  return sum * x_scale;
}
