/* gk-chanwise-avx512.c — the permuted-layout int2/int4 dot product
 * (gk_cw_dot_i8_perm) with AVX-512 VNNI on 256-bit vectors: vpdpbusd adds
 * u·x straight into int32 lanes, so the AVX2 version's int16 stage and its
 * run limits go away. Exact like the AVX2 one. Compiled with the AVX-512
 * flags; only called when gk_variant_current() is the AVX-512 variant.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "gk-chanwise.h"

#include <immintrin.h>

/* Bytes of codes fetched ahead of the one being multiplied. */
#define GK_CW_PREFETCH 1024

static inline int32_t
hsum_epi32 (__m256i v)
{
  __m128i s = _mm_add_epi32 (_mm256_castsi256_si128 (v), _mm256_extracti128_si256 (v, 1));

  s = _mm_add_epi32 (s, _mm_shuffle_epi32 (s, _MM_SHUFFLE (1, 0, 3, 2)));
  s = _mm_add_epi32 (s, _mm_shuffle_epi32 (s, _MM_SHUFFLE (2, 3, 0, 1)));
  return _mm_cvtsi128_si32 (s);
}

static inline float
dot_perm (const gk_cw_row *row, const int8_t *xp, const int32_t *pre, float x_scale, int64_t n)
{
  const int bits = row->bits;
  const int64_t chunk = bits == 2 ? 128 : 64, gs = row->group_size;
  const __m256i m2 = _mm256_set1_epi8 (3), m4 = _mm256_set1_epi8 (15);
  float sum = 0.0f;

  for (int64_t g0 = 0; g0 < n; g0 += gs)
    {
      __m256i acc0 = _mm256_setzero_si256 (), acc1 = _mm256_setzero_si256 ();
      int32_t isum;

      for (int64_t c = g0 / chunk; c < (g0 + gs) / chunk; c++)
        {
          const __m256i v = _mm256_loadu_si256 ((const __m256i *) (row->codes + 32 * c));
          const int8_t *x = xp + chunk * c;

          /* the rows of a matrix follow each other: fetch ahead across them */
          _mm_prefetch ((const char *) (row->codes + 32 * c + GK_CW_PREFETCH), _MM_HINT_T0);

          if (bits == 2)
            {
              acc0 = _mm256_dpbusd_epi32 (acc0, _mm256_and_si256 (v, m2),
                                          _mm256_loadu_si256 ((const __m256i *) x));
              acc1 = _mm256_dpbusd_epi32 (acc1, _mm256_and_si256 (_mm256_srli_epi16 (v, 2), m2),
                                          _mm256_loadu_si256 ((const __m256i *) (x + 32)));
              acc0 = _mm256_dpbusd_epi32 (acc0, _mm256_and_si256 (_mm256_srli_epi16 (v, 4), m2),
                                          _mm256_loadu_si256 ((const __m256i *) (x + 64)));
              acc1 = _mm256_dpbusd_epi32 (acc1, _mm256_and_si256 (_mm256_srli_epi16 (v, 6), m2),
                                          _mm256_loadu_si256 ((const __m256i *) (x + 96)));
            }
          else
            {
              acc0 = _mm256_dpbusd_epi32 (acc0, _mm256_and_si256 (v, m4),
                                          _mm256_loadu_si256 ((const __m256i *) x));
              acc1 = _mm256_dpbusd_epi32 (acc1, _mm256_and_si256 (_mm256_srli_epi16 (v, 4), m4),
                                          _mm256_loadu_si256 ((const __m256i *) (x + 32)));
            }
        }
      isum = hsum_epi32 (_mm256_add_epi32 (acc0, acc1))
             - (1 << (bits - 1)) * (pre[(g0 + gs) / 32] - pre[g0 / 32]);
      sum += (float) isum * gk_cw_scale (row, g0 / gs);
    }
  return sum * x_scale;
}

float
gk_cw_dot_i8_perm_avx512 (const gk_cw_row *row, const int8_t *xp, const int32_t *pre,
                          float x_scale, int64_t n)
{
  return dot_perm (row, xp, pre, x_scale, n);
}

/* Rows r0..r1 in one call: short rows (int2 × 1536 is 3 chunks) would
 * otherwise spend as long in per-row call and dispatch overhead as in the
 * dot product itself. */
void
gk_cw_matvec_i8_perm_avx512 (const gk_cw_matrix *w, int64_t r0, int64_t r1, const int8_t *xp,
                             const int32_t *pre, float x_scale, int64_t n, float *y)
{
  gk_cw_row row = w->row0;

  for (int64_t r = r0; r < r1; r++)
    {
      row.codes = w->row0.codes + (size_t) r * w->row_bytes;
      row.scales = (const uint8_t *) w->row0.scales + (size_t) r * w->scale_row_bytes;
      y[r] = dot_perm (&row, xp, pre, x_scale, n);
    }
}
