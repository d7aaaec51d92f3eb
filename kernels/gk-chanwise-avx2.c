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
#include <math.h>
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

/* Field i of every byte of v (bits 2 or 4), shifted down. */
static inline __attribute__ ((always_inline)) __m256i
field_sh (__m256i v, int bits, int i)
{
  const __m256i m = _mm256_set1_epi8 ((char) ((1 << bits) - 1));

  return _mm256_and_si256 (i == 0 ? v : _mm256_srli_epi16 (v, bits * i), m);
}

/* Σ u·x of two rows (codes a, b) over chunks [c0, c1) of the permuted
 * layout, sharing the activation loads; int16 runs as in
 * gk_cw_dot_i8_perm_avx2. */
static inline __attribute__ ((always_inline)) void
perm_rows2 (const uint8_t *a, size_t rb, int bits, const int8_t *xp, int64_t c0, int64_t c1,
            int32_t *sa, int32_t *sb)
{
  const uint8_t *b = a + rb;
  const int F = bits == 2 ? 4 : 2;
  const int64_t chunk = bits == 2 ? 128 : 64, run = bits == 2 ? 8 : 4;
  const __m256i ones16 = _mm256_set1_epi16 (1);
  __m256i acc_a = _mm256_setzero_si256 (), acc_b = _mm256_setzero_si256 ();

  for (int64_t r0 = c0; r0 < c1; r0 += run)
    {
      const int64_t r1 = r0 + run < c1 ? r0 + run : c1;
      __m256i a16 = _mm256_setzero_si256 (), b16 = _mm256_setzero_si256 ();

      for (int64_t c = r0; c < r1; c++)
        {
          const __m256i va = _mm256_loadu_si256 ((const __m256i *) (a + 32 * c));
          const __m256i vb = _mm256_loadu_si256 ((const __m256i *) (b + 32 * c));
          const int8_t *x = xp + chunk * c;

          /* the next pair of rows, 64 bytes a chunk, 8 KiB ahead into L2
           * (the hardware prefetcher alone left this kernel 2.5× slower
           * than the AVX-512 one streaming from memory) */
          _mm_prefetch ((const char *) (a + 2 * rb + 64 * (c - c0) + 8192), _MM_HINT_T1);

#pragma GCC unroll 4
          for (int i = 0; i < F; i++)
            {
              const __m256i xv = _mm256_loadu_si256 ((const __m256i *) (x + 32 * i));
              const __m256i fa = field_sh (va, bits, i), fb = field_sh (vb, bits, i);

              a16 = _mm256_add_epi16 (a16, _mm256_maddubs_epi16 (fa, xv));
              b16 = _mm256_add_epi16 (b16, _mm256_maddubs_epi16 (fb, xv));
            }
        }
      acc_a = _mm256_add_epi32 (acc_a, _mm256_madd_epi16 (a16, ones16));
      acc_b = _mm256_add_epi32 (acc_b, _mm256_madd_epi16 (b16, ones16));
    }
  *sa = hsum_epi32 (acc_a);
  *sb = hsum_epi32 (acc_b);
}

/* Rows r0..r1 of a packed 2/4-bit matrix, two at a time, without a call
 * and dispatch per row; each y[r] as gk_cw_dot_i8_perm_avx2 computes it
 * (same float operations in the same order). */
static inline __attribute__ ((always_inline)) void
matvec_avx2_bits (const gk_cw_matrix *w, int64_t r0, int64_t r1, const int8_t *xp,
                  const int32_t *pre, float x_scale, int64_t n, float *y, int bits)
{
  const int64_t chunk = bits == 2 ? 128 : 64, gs = w->row0.group_size;
  gk_cw_row ra = w->row0, rb = w->row0;
  int64_t r = r0;

  for (; r + 2 <= r1; r += 2)
    {
      float sum_a = 0.0f, sum_b = 0.0f;

      ra.codes = w->row0.codes + (size_t) r * w->row_bytes;
      rb.codes = ra.codes + w->row_bytes;
      ra.scales = (const uint8_t *) w->row0.scales + (size_t) r * w->scale_row_bytes;
      rb.scales = (const uint8_t *) ra.scales + w->scale_row_bytes;
      for (int64_t g0 = 0; g0 < n; g0 += gs)
        {
          const int32_t corr = (1 << (bits - 1)) * (pre[(g0 + gs) / 32] - pre[g0 / 32]);
          int32_t sa, sb;

          perm_rows2 (ra.codes, w->row_bytes, bits, xp, g0 / chunk, (g0 + gs) / chunk, &sa, &sb);
          sum_a += (float) (sa - corr) * gk_cw_scale (&ra, g0 / gs);
          sum_b += (float) (sb - corr) * gk_cw_scale (&rb, g0 / gs);
        }
      y[r] = sum_a * x_scale;
      y[r + 1] = sum_b * x_scale;
    }
  for (; r < r1; r++)
    {
      ra.codes = w->row0.codes + (size_t) r * w->row_bytes;
      ra.scales = (const uint8_t *) w->row0.scales + (size_t) r * w->scale_row_bytes;
      y[r] = gk_cw_dot_i8_perm_avx2 (&ra, xp, pre, x_scale, n);
    }
}

/* Σ q·x of two int8 rows (codes a, a + rb) over elements [j0, j1), sharing
 * the widened activations. Codes and activations are widened to int16
 * (a −128·−128 pair would overflow maddubs), so the sums are exact. */
static inline __attribute__ ((always_inline)) void
i8_rows2 (const uint8_t *a, size_t rb, bool flip, const int8_t *x, int64_t j0, int64_t j1,
          int32_t *sa, int32_t *sb)
{
  const uint8_t *b = a + rb;
  const __m256i f = _mm256_set1_epi8 (flip ? (char) 0x80 : 0);
  __m256i acc_a = _mm256_setzero_si256 (), acc_b = _mm256_setzero_si256 ();

  for (int64_t j = j0; j < j1; j += 32)
    {
      const __m256i xv = _mm256_loadu_si256 ((const __m256i *) (x + j));
      const __m256i xl = _mm256_cvtepi8_epi16 (_mm256_castsi256_si128 (xv));
      const __m256i xh = _mm256_cvtepi8_epi16 (_mm256_extracti128_si256 (xv, 1));
      const __m256i va = _mm256_xor_si256 (_mm256_loadu_si256 ((const __m256i *) (a + j)), f);
      const __m256i vb = _mm256_xor_si256 (_mm256_loadu_si256 ((const __m256i *) (b + j)), f);

      /* the next pair of rows, as in perm_rows2 */
      _mm_prefetch ((const char *) (a + 2 * rb + 2 * (j - j0) + 8192), _MM_HINT_T1);
      acc_a = _mm256_add_epi32 (
          acc_a, _mm256_add_epi32 (
                     _mm256_madd_epi16 (_mm256_cvtepi8_epi16 (_mm256_castsi256_si128 (va)), xl),
                     _mm256_madd_epi16 (_mm256_cvtepi8_epi16 (_mm256_extracti128_si256 (va, 1)), xh)));
      acc_b = _mm256_add_epi32 (
          acc_b, _mm256_add_epi32 (
                     _mm256_madd_epi16 (_mm256_cvtepi8_epi16 (_mm256_castsi256_si128 (vb)), xl),
                     _mm256_madd_epi16 (_mm256_cvtepi8_epi16 (_mm256_extracti128_si256 (vb, 1)), xh)));
    }
  *sa = hsum_epi32 (acc_a);
  *sb = hsum_epi32 (acc_b);
}

/* Tokens t0 … t1 of rows r0 … r1 of an int8 matrix, two rows at a time;
 * each y as gk_cw_dot_i8_avx2 computes it (same float operations in the
 * same order). The pair's codes stay in L1 across the tokens. */
static void
matmul_avx2_i8 (const gk_cw_matrix *w, int64_t r0, int64_t r1, const int8_t *x, int64_t t0,
                int64_t t1, const float *x_scale, int64_t n, float *y, size_t ldy)
{
  const int64_t gs = w->row0.group_size;
  gk_cw_row ra = w->row0, rb = w->row0;
  int64_t r = r0;

  for (; r + 2 <= r1; r += 2)
    {
      ra.codes = w->row0.codes + (size_t) r * w->row_bytes;
      rb.codes = ra.codes + w->row_bytes;
      ra.scales = (const uint8_t *) w->row0.scales + (size_t) r * w->scale_row_bytes;
      rb.scales = (const uint8_t *) ra.scales + w->scale_row_bytes;
      for (int64_t t = t0; t < t1; t++)
        {
          const int8_t *xt = x + (size_t) t * (size_t) n;
          float sum_a = 0.0f, sum_b = 0.0f;

          for (int64_t g0 = 0; g0 < n; g0 += gs)
            {
              int32_t sa, sb;

              i8_rows2 (ra.codes, w->row_bytes, w->row0.offset_binary, xt, g0, g0 + gs, &sa, &sb);
              sum_a += (float) sa * gk_cw_scale (&ra, g0 / gs);
              sum_b += (float) sb * gk_cw_scale (&rb, g0 / gs);
            }
          y[(size_t) t * ldy + (size_t) r] = sum_a * x_scale[t];
          y[(size_t) t * ldy + (size_t) r + 1] = sum_b * x_scale[t];
        }
    }
  for (; r < r1; r++)
    {
      ra.codes = w->row0.codes + (size_t) r * w->row_bytes;
      ra.scales = (const uint8_t *) w->row0.scales + (size_t) r * w->scale_row_bytes;
      for (int64_t t = t0; t < t1; t++)
        y[(size_t) t * ldy + (size_t) r]
            = gk_cw_dot_i8_avx2 (&ra, x + (size_t) t * (size_t) n, NULL, x_scale[t], n);
    }
}

void
gk_cw_matvec_i8_perm_avx2 (const gk_cw_matrix *w, int64_t r0, int64_t r1, const int8_t *xp,
                           const int32_t *pre, float x_scale, int64_t n, float *y)
{
  /* int8 rows use the plain layout (gk_cw_permute_act leaves it as is) */
  if (w->row0.bits == 8)
    {
      matmul_avx2_i8 (w, r0, r1, xp, 0, 1, &x_scale, n, y, 0);
      return;
    }
  /* bits as a constant in each instance: the field loop unrolls */
  if (w->row0.bits == 2)
    matvec_avx2_bits (w, r0, r1, xp, pre, x_scale, n, y, 2);
  else
    matvec_avx2_bits (w, r0, r1, xp, pre, x_scale, n, y, 4);
}

/* Prefill tile for AVX2: one row × T tokens over chunks [c0, c1). The
 * row's fields are unpacked once per chunk and meet the T activation rows;
 * int16 runs as in gk_cw_dot_i8_perm_avx2 (one row keeps the 16 ymm
 * registers enough for 4 tokens). */
static inline __attribute__ ((always_inline)) void
tile_row (const uint8_t *codes, int bits, const int8_t *xp, size_t ldx, int T, int64_t c0,
          int64_t c1, int32_t *out)
{
  const int F = bits == 2 ? 4 : 2;
  const int64_t chunk = bits == 2 ? 128 : 64, run = bits == 2 ? 8 : 4;
  const __m256i ones16 = _mm256_set1_epi16 (1);
  __m256i acc[4];

#pragma GCC unroll 4
  for (int t = 0; t < T; t++)
    acc[t] = _mm256_setzero_si256 ();
  for (int64_t r0 = c0; r0 < c1; r0 += run)
    {
      const int64_t r1 = r0 + run < c1 ? r0 + run : c1;
      __m256i a16[4];

#pragma GCC unroll 4
      for (int t = 0; t < T; t++)
        a16[t] = _mm256_setzero_si256 ();
      for (int64_t c = r0; c < r1; c++)
        {
          const __m256i v = _mm256_loadu_si256 ((const __m256i *) (codes + 32 * c));
          __m256i f[4];

#pragma GCC unroll 4
          for (int i = 0; i < F; i++)
            f[i] = field_sh (v, bits, i);
#pragma GCC unroll 4
          for (int t = 0; t < T; t++)
            {
              const int8_t *x = xp + (size_t) t * ldx + chunk * c;

#pragma GCC unroll 4
              for (int i = 0; i < F; i++)
                a16[t] = _mm256_add_epi16 (
                    a16[t], _mm256_maddubs_epi16 (f[i], _mm256_loadu_si256 ((const __m256i *) (x + 32 * i))));
            }
        }
#pragma GCC unroll 4
      for (int t = 0; t < T; t++)
        acc[t] = _mm256_add_epi32 (acc[t], _mm256_madd_epi16 (a16[t], ones16));
    }
#pragma GCC unroll 4
  for (int t = 0; t < T; t++)
    out[t] = hsum_epi32 (acc[t]);
}

/* Row r × tokens t0 … t0 + T: y[t·ldy + r] as gk_cw_dot_i8_perm_avx2
 * computes each (same float operations, same order). */
static inline __attribute__ ((always_inline)) void
tile_dot_avx2 (const gk_cw_matrix *w, int64_t r, int64_t t0, int T, int bits, const int8_t *xp,
               const int32_t *pre, const float *x_scale, int64_t n, float *y, size_t ldy)
{
  const int64_t chunk = bits == 2 ? 128 : 64, gs = w->row0.group_size, npre = n / 32 + 1;
  gk_cw_row row = w->row0;
  float sum[4] = { 0.0f, 0.0f, 0.0f, 0.0f };

  row.codes = w->row0.codes + (size_t) r * w->row_bytes;
  row.scales = (const uint8_t *) w->row0.scales + (size_t) r * w->scale_row_bytes;
  for (int64_t g0 = 0; g0 < n; g0 += gs)
    {
      const float s = gk_cw_scale (&row, g0 / gs);
      int32_t isum[4];

      tile_row (row.codes, bits, xp + (size_t) t0 * (size_t) n, (size_t) n, T, g0 / chunk,
                (g0 + gs) / chunk, isum);
      for (int t = 0; t < T; t++)
        {
          const int32_t *p = pre + (t0 + t) * npre;

          sum[t] += (float) (isum[t] - (1 << (bits - 1)) * (p[(g0 + gs) / 32] - p[g0 / 32])) * s;
        }
    }
  for (int t = 0; t < T; t++)
    y[(size_t) (t0 + t) * ldy + (size_t) r] = sum[t] * x_scale[t0 + t];
}

/* Packed 2/4-bit rows × several token rows: 4 tokens a tile, tokens in
 * blocks whose activations stay in L2 (as the AVX-512 version). bits is
 * a constant in each instance, so the field and token loops unroll and
 * their arrays stay in registers. */
static inline __attribute__ ((always_inline)) void
matmul_avx2_bits (const gk_cw_matrix *w, int64_t r0, int64_t r1, const int8_t *xp,
                  const int32_t *pre, const float *x_scale, int64_t n_tok, int64_t n, float *y,
                  size_t ldy, int bits)
{
  int64_t tb = (128 * 1024) / n / 4 * 4;

  if (tb < 4)
    tb = 4;
  for (int64_t b0 = 0; b0 < n_tok; b0 += tb)
    {
      const int64_t b1 = b0 + tb < n_tok ? b0 + tb : n_tok;

      for (int64_t r = r0; r < r1; r++)
        {
          int64_t t = b0;

          for (; t + 4 <= b1; t += 4)
            tile_dot_avx2 (w, r, t, 4, bits, xp, pre, x_scale, n, y, ldy);
          for (; t < b1; t++)
            tile_dot_avx2 (w, r, t, 1, bits, xp, pre, x_scale, n, y, ldy);
        }
    }
}

void
gk_cw_matmul_i8_perm_avx2 (const gk_cw_matrix *w, int64_t r0, int64_t r1, const int8_t *xp,
                           const int32_t *pre, const float *x_scale, int64_t n_tok, int64_t n,
                           float *y, size_t ldy)
{
  if (w->row0.bits == 8)
    {
      /* tokens in blocks whose activations stay in L2 */
      int64_t tb = (128 * 1024) / n;

      if (tb < 1)
        tb = 1;
      for (int64_t b0 = 0; b0 < n_tok; b0 += tb)
        matmul_avx2_i8 (w, r0, r1, xp, b0, b0 + tb < n_tok ? b0 + tb : n_tok, x_scale, n, y, ldy);
      return;
    }
  if (w->row0.bits == 2)
    matmul_avx2_bits (w, r0, r1, xp, pre, x_scale, n_tok, n, y, ldy, 2);
  else
    matmul_avx2_bits (w, r0, r1, xp, pre, x_scale, n_tok, n, y, ldy, 4);
}

/* Activation quantization, 8 at a time, with the reference's operations:
 * an IEEE division (not a multiplication by 1/scale, which rounds
 * differently), round half to even, clamp. A NaN quotient gives code 0 as
 * in the reference (the ordered mask zeroes it before the clamp). */
void
gk_cw_quant_act_avx2 (const float *x, float scale, int8_t *q, int64_t n)
{
  const __m256 s = _mm256_set1_ps (scale), lo = _mm256_set1_ps (-128.0f), hi = _mm256_set1_ps (127.0f);
  int64_t i = 0;

  for (; i + 32 <= n; i += 32)
    {
      __m256i v[4];

      for (int k = 0; k < 4; k++)
        {
          const __m256 d = _mm256_div_ps (_mm256_loadu_ps (x + i + 8 * k), s);
          __m256 r = _mm256_round_ps (d, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);

          r = _mm256_and_ps (r, _mm256_cmp_ps (d, d, _CMP_ORD_Q));
          v[k] = _mm256_cvtps_epi32 (_mm256_min_ps (_mm256_max_ps (r, lo), hi));
        }
      {
        /* packs work per 128-bit lane: restore the element order after */
        const __m256i w01 = _mm256_packs_epi32 (v[0], v[1]), w23 = _mm256_packs_epi32 (v[2], v[3]);
        const __m256i b = _mm256_packs_epi16 (w01, w23);

        _mm256_storeu_si256 ((__m256i *) (q + i),
                             _mm256_permutevar8x32_epi32 (b, _mm256_setr_epi32 (0, 4, 1, 5, 2, 6, 3, 7)));
      }
    }
  for (; i < n; i++)
    {
      const float r = nearbyintf (x[i] / scale);

      q[i] = r != r ? 0 : r < -128.0f ? -128 : r > 127.0f ? 127 : (int8_t) r;
    }
}

/* x = clamp(round(x / scale)) · scale; a NaN stays NaN as in the
 * reference (max/min return their second operand when one is NaN, so the
 * bounds go first). */
void
gk_cw_fake_quant_avx2 (float *x, float scale, int64_t n)
{
  const __m256 s = _mm256_set1_ps (scale), lo = _mm256_set1_ps (-128.0f), hi = _mm256_set1_ps (127.0f);
  int64_t i = 0;

  for (; i + 8 <= n; i += 8)
    {
      const __m256 r = _mm256_round_ps (_mm256_div_ps (_mm256_loadu_ps (x + i), s),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);

      _mm256_storeu_ps (x + i, _mm256_mul_ps (_mm256_min_ps (hi, _mm256_max_ps (lo, r)), s));
    }
  for (; i < n; i++)
    {
      const float r = nearbyintf (x[i] / scale);

      x[i] = (r < -128.0f ? -128.0f : r > 127.0f ? 127.0f : r) * scale;
    }
}

/* max |x|, NaNs ignored (as fmaxf does: max returns the accumulator, its
 * second operand, when the first is NaN). */
float
gk_cw_absmax_avx2 (const float *x, int64_t n)
{
  const __m256 sign = _mm256_set1_ps (-0.0f);
  __m256 acc = _mm256_setzero_ps ();
  float m;
  int64_t i = 0;

  for (; i + 8 <= n; i += 8)
    acc = _mm256_max_ps (_mm256_andnot_ps (sign, _mm256_loadu_ps (x + i)), acc);
  {
    __m128 v = _mm_max_ps (_mm256_castps256_ps128 (acc), _mm256_extractf128_ps (acc, 1));

    v = _mm_max_ps (v, _mm_movehl_ps (v, v));
    v = _mm_max_ss (v, _mm_movehdup_ps (v));
    m = _mm_cvtss_f32 (v);
  }
  for (; i < n; i++)
    m = fmaxf (m, fabsf (x[i]));
  return m;
}
