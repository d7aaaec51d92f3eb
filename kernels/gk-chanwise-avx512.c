/* gk-chanwise-avx512.c — the permuted-layout int2/int4 dot products
 * (gk_cw_dot_i8_perm, gk_cw_matvec_i8_perm, gk_cw_matmul_i8_perm) with
 * AVX-512 VNNI on 256-bit vectors: vpdpbusd adds u·x straight into int32
 * lanes, so the AVX2 version's int16 stage and its run limits go away.
 * Exact like the AVX2 one. Compiled with the AVX-512 flags; only called
 * when gk_variant_current() is the AVX-512 variant.
 *
 * Prefill (several activation rows) reuses each row's unpacked fields for
 * four tokens, so the unpacking is paid once per weight row and tile.
 *
 * Decode (one activation row) is bound by the chain of vpdpbusd into one
 * accumulator (latency ~5 cycles), not by memory, unless there are enough
 * independent chains: so every field of every row gets its own
 * accumulator, several rows run together (they share the activation
 * loads), and fields are isolated with one AND each, without shifting:
 * field i masked in place is 4^i·f (int2) or 16^i·f (int4), at most 240
 * so still a valid u8, and its accumulator is an exact multiple of 4^i
 * resp. 16^i, shifted back down before the horizontal sum.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "gk-chanwise.h"

#include <immintrin.h>

/* Bytes of codes fetched ahead of the ones being multiplied, into L2 only
 * (as the Q4_0 decode kernels do): nearer or into L1 measured no better,
 * and an L1 fill would evict the rows in use. */
#define GK_CW_PREFETCH 8192

#define GK_INLINE static inline __attribute__ ((always_inline))

/* vpdpbusd through inline assembly: GCC 12 copies the accumulator to a
 * fresh register around every _mm256_dpbusd_epi32 in a loop (two extra
 * moves per multiply, a third of the loop's instructions). */
GK_INLINE __m256i
dpbusd (__m256i acc, __m256i u, __m256i x)
{
  __asm__ ("vpdpbusd %2, %1, %0" : "+v" (acc) : "v" (u), "v" (x));
  return acc;
}

static inline int32_t
hsum_epi32 (__m256i v)
{
  __m128i s = _mm_add_epi32 (_mm256_castsi256_si128 (v), _mm256_extracti128_si256 (v, 1));

  s = _mm_add_epi32 (s, _mm_shuffle_epi32 (s, _MM_SHUFFLE (1, 0, 3, 2)));
  s = _mm_add_epi32 (s, _mm_shuffle_epi32 (s, _MM_SHUFFLE (2, 3, 0, 1)));
  return _mm_cvtsi128_si32 (s);
}

/* Field i of every byte of v, in place (not shifted): 4^i·f for int2,
 * 16^i·f for int4. */
GK_INLINE __m256i
field_in_place (__m256i v, int bits, int i)
{
  const int mask = ((1 << bits) - 1) << (bits * i);

  if (bits == 8)
    return v;
  return _mm256_and_si256 (v, _mm256_set1_epi8 ((char) mask));
}

/* 8-bit codes as the unsigned fields the kernels take: two's-complement
 * (int-quantized) storage is flipped to q + 128, as packed 8-bit codes
 * already are. */
GK_INLINE __m256i
load_codes (const uint8_t *p, int bits, bool flip)
{
  const __m256i v = _mm256_loadu_si256 ((const __m256i *) p);

  return bits == 8 && flip ? _mm256_xor_si256 (v, _mm256_set1_epi8 ((char) 0x80)) : v;
}

/* Field i of every byte of v, shifted down to 0..2^bits − 1. */
GK_INLINE __m256i
field_shifted (__m256i v, int bits, int i)
{
  const __m256i m = _mm256_set1_epi8 ((char) ((1 << bits) - 1));

  if (bits == 8)
    return v;
  return i == 0 ? _mm256_and_si256 (v, m)
                : _mm256_and_si256 (_mm256_srli_epi16 (v, bits * i), m);
}

/* Σ u·x of R consecutive rows (codes at c0, c0 + rb, …) over chunks
 * [ca, cb) against one permuted activation row, each row's total as int32
 * (the offset correction not yet applied). F accumulators a row, one per
 * field, so no chain has more than one vpdpbusd per chunk. */
GK_INLINE void
rows_group (const uint8_t *c0, size_t rb, int R, int bits, bool flip, const int8_t *xp, int64_t ca,
            int64_t cb, int32_t *out, bool prefetch)
{
  const int F = 8 / bits;
  const int64_t chunk = 32 * F;
  __m256i acc[4][4];

#pragma GCC unroll 4
  for (int r = 0; r < R; r++)
#pragma GCC unroll 4
    for (int i = 0; i < F; i++)
      acc[r][i] = _mm256_setzero_si256 ();
  for (int64_t c = ca; c < cb; c++)
    {
      const int8_t *x = xp + chunk * c;
      __m256i v[4];

#pragma GCC unroll 4
      for (int r = 0; r < R; r++)
        v[r] = load_codes (c0 + (size_t) r * rb + 32 * c, bits, flip);
      if (prefetch)
        /* the R rows take R·32 bytes a chunk; the block of rows after them
         * starts R·rb bytes on, and is fetched at the same pace */
        _mm_prefetch ((const char *) (c0 + (size_t) R * rb + (size_t) R * 32 * (c - ca)
                                      + GK_CW_PREFETCH),
                      _MM_HINT_T1);
#pragma GCC unroll 4
      for (int i = 0; i < F; i++)
        {
          const __m256i xv = _mm256_loadu_si256 ((const __m256i *) (x + 32 * i));

#pragma GCC unroll 4
          for (int r = 0; r < R; r++)
            acc[r][i] = dpbusd (acc[r][i], field_in_place (v[r], bits, i), xv);
        }
    }
#pragma GCC unroll 4
  for (int r = 0; r < R; r++)
    {
      __m256i s = acc[r][0];

#pragma GCC unroll 4
      for (int i = 1; i < F; i++)
        s = _mm256_add_epi32 (s, _mm256_srai_epi32 (acc[r][i], bits * i));
      out[r] = hsum_epi32 (s);
    }
}

/* R rows from row r of w: y[r…] as gk_cw_dot_i8_perm computes each (the
 * same float operations in the same order, so the same bits). */
GK_INLINE void
rows_dot (const gk_cw_matrix *w, int64_t r, int R, int bits, const int8_t *xp, const int32_t *pre,
          float x_scale, int64_t n, float *y)
{
  const int64_t chunk = 256 / bits, gs = w->row0.group_size;
  const uint8_t *c0 = w->row0.codes + (size_t) r * w->row_bytes;
  gk_cw_row row = w->row0;
  float sum[4] = { 0.0f, 0.0f, 0.0f, 0.0f };

  for (int64_t g0 = 0; g0 < n; g0 += gs)
    {
      const int32_t corr = (1 << (bits - 1)) * (pre[(g0 + gs) / 32] - pre[g0 / 32]);
      int32_t isum[4];

      rows_group (c0, w->row_bytes, R, bits, !w->row0.offset_binary, xp, g0 / chunk,
                  (g0 + gs) / chunk, isum, true);
#pragma GCC unroll 4
      for (int k = 0; k < R; k++)
        {
          row.scales = (const uint8_t *) w->row0.scales + (size_t) (r + k) * w->scale_row_bytes;
          sum[k] += (float) (isum[k] - corr) * gk_cw_scale (&row, g0 / gs);
        }
    }
#pragma GCC unroll 4
  for (int k = 0; k < R; k++)
    y[r + k] = sum[k] * x_scale;
}

float
gk_cw_dot_i8_perm_avx512 (const gk_cw_row *row, const int8_t *xp, const int32_t *pre,
                          float x_scale, int64_t n)
{
  const gk_cw_matrix w = { *row, 0, 0 };
  float y;

  if (row->bits == 2)
    rows_dot (&w, 0, 1, 2, xp, pre, x_scale, n, &y);
  else if (row->bits == 4)
    rows_dot (&w, 0, 1, 4, xp, pre, x_scale, n, &y);
  else
    rows_dot (&w, 0, 1, 8, xp, pre, x_scale, n, &y);
  return y;
}

/* Rows r0..r1 in one call: short rows (int2 × 1536 is 12 chunks) would
 * otherwise spend as long in per-row call and dispatch overhead as in the
 * dot product itself. Two rows at a time for int2 (8 chains; four rows
 * spill registers and ran 3× slower) and int4 (4 chains; four rows
 * measured no faster), four for int8 (4 chains). */
void
gk_cw_matvec_i8_perm_avx512 (const gk_cw_matrix *w, int64_t r0, int64_t r1, const int8_t *xp,
                             const int32_t *pre, float x_scale, int64_t n, float *y)
{
  int64_t r = r0;

  if (w->row0.bits == 2)
    {
      for (; r + 2 <= r1; r += 2)
        rows_dot (w, r, 2, 2, xp, pre, x_scale, n, y);
      for (; r < r1; r++)
        rows_dot (w, r, 1, 2, xp, pre, x_scale, n, y);
    }
  else if (w->row0.bits == 4)
    {
      for (; r + 2 <= r1; r += 2)
        rows_dot (w, r, 2, 4, xp, pre, x_scale, n, y);
      for (; r < r1; r++)
        rows_dot (w, r, 1, 4, xp, pre, x_scale, n, y);
    }
  else
    {
      for (; r + 4 <= r1; r += 4)
        rows_dot (w, r, 4, 8, xp, pre, x_scale, n, y);
      for (; r < r1; r++)
        rows_dot (w, r, 1, 8, xp, pre, x_scale, n, y);
    }
}

/* Prefill tile: R rows × T tokens over one group (chunks [ca, cb)). The
 * fields of each row are unpacked (shifted down) once per chunk and meet
 * the T activation rows; two accumulators per (row, token), the even and
 * the odd fields, keep the chains short. */
GK_INLINE void
tile_group (const uint8_t *c0, size_t rb, int R, int T, int bits, bool flip, const int8_t *xp,
            size_t ldx, int64_t ca, int64_t cb, int32_t out[2][4])
{
  const int F = 8 / bits;
  const int64_t chunk = 32 * F;
  __m256i acc[2][4][2];

#pragma GCC unroll 2
  for (int r = 0; r < R; r++)
#pragma GCC unroll 4
    for (int t = 0; t < T; t++)
      acc[r][t][0] = acc[r][t][1] = _mm256_setzero_si256 ();
  for (int64_t c = ca; c < cb; c++)
    {
      __m256i f[2][4];

#pragma GCC unroll 2
      for (int r = 0; r < R; r++)
        {
          const __m256i v = load_codes (c0 + (size_t) r * rb + 32 * c, bits, flip);

#pragma GCC unroll 4
          for (int i = 0; i < F; i++)
            f[r][i] = field_shifted (v, bits, i);
        }
#pragma GCC unroll 4
      for (int t = 0; t < T; t++)
        {
          const int8_t *x = xp + (size_t) t * ldx + chunk * c;

#pragma GCC unroll 4
          for (int i = 0; i < F; i++)
            {
              const __m256i xv = _mm256_loadu_si256 ((const __m256i *) (x + 32 * i));

#pragma GCC unroll 2
              for (int r = 0; r < R; r++)
                acc[r][t][i & 1] = dpbusd (acc[r][t][i & 1], f[r][i], xv);
            }
        }
    }
#pragma GCC unroll 2
  for (int r = 0; r < R; r++)
#pragma GCC unroll 4
    for (int t = 0; t < T; t++)
      out[r][t] = hsum_epi32 (_mm256_add_epi32 (acc[r][t][0], acc[r][t][1]));
}

/* R rows from r × T tokens from t0: y[t·ldy + r] as gk_cw_dot_i8_perm
 * computes each (same float operations, same order). */
GK_INLINE void
tile_dot (const gk_cw_matrix *w, int64_t r, int R, int64_t t0, int T, int bits, const int8_t *xp,
          const int32_t *pre, const float *x_scale, int64_t n, float *y, size_t ldy)
{
  const int64_t chunk = 256 / bits, gs = w->row0.group_size, npre = n / 32 + 1;
  const uint8_t *c0 = w->row0.codes + (size_t) r * w->row_bytes;
  gk_cw_row row = w->row0;
  float sum[2][4] = { { 0.0f } };

  for (int64_t g0 = 0; g0 < n; g0 += gs)
    {
      int32_t isum[2][4];

      tile_group (c0, w->row_bytes, R, T, bits, !w->row0.offset_binary,
                  xp + (size_t) t0 * (size_t) n, (size_t) n, g0 / chunk, (g0 + gs) / chunk, isum);
#pragma GCC unroll 2
      for (int k = 0; k < R; k++)
        {
          float s;

          row.scales = (const uint8_t *) w->row0.scales + (size_t) (r + k) * w->scale_row_bytes;
          s = gk_cw_scale (&row, g0 / gs);
#pragma GCC unroll 4
          for (int t = 0; t < T; t++)
            {
              const int32_t *p = pre + (t0 + t) * npre;
              const int32_t corr = (1 << (bits - 1)) * (p[(g0 + gs) / 32] - p[g0 / 32]);

              sum[k][t] += (float) (isum[k][t] - corr) * s;
            }
        }
    }
#pragma GCC unroll 2
  for (int k = 0; k < R; k++)
#pragma GCC unroll 4
    for (int t = 0; t < T; t++)
      y[(size_t) (t0 + t) * ldy + (size_t) (r + k)] = sum[k][t] * x_scale[t0 + t];
}

/* Activation bytes a block of tokens may take: every row pair of the
 * chunk reads the whole block, which must stay in L2 (a 256-token block
 * of a 12288-wide input is 3 MB and would stream from L3 for every pair). */
#define GK_CW_TOKEN_BLOCK_BYTES (128 * 1024)

GK_INLINE void
matmul_bits (const gk_cw_matrix *w, int64_t r0, int64_t r1, const int8_t *xp, const int32_t *pre,
             const float *x_scale, int64_t n_tok, int64_t n, float *y, size_t ldy, int bits)
{
  int64_t tb = GK_CW_TOKEN_BLOCK_BYTES / n / 4 * 4;

  if (tb < 4)
    tb = 4;
  for (int64_t b0 = 0; b0 < n_tok; b0 += tb)
    {
      const int64_t b1 = b0 + tb < n_tok ? b0 + tb : n_tok;
      int64_t r = r0;

      for (; r + 2 <= r1; r += 2)
        {
          int64_t t = b0;

          for (; t + 4 <= b1; t += 4)
            tile_dot (w, r, 2, t, 4, bits, xp, pre, x_scale, n, y, ldy);
          for (; t < b1; t++)
            tile_dot (w, r, 2, t, 1, bits, xp, pre, x_scale, n, y, ldy);
        }
      for (; r < r1; r++)
        {
          int64_t t = b0;

          for (; t + 4 <= b1; t += 4)
            tile_dot (w, r, 1, t, 4, bits, xp, pre, x_scale, n, y, ldy);
          for (; t < b1; t++)
            tile_dot (w, r, 1, t, 1, bits, xp, pre, x_scale, n, y, ldy);
        }
    }
}

void
gk_cw_matmul_i8_perm_avx512 (const gk_cw_matrix *w, int64_t r0, int64_t r1, const int8_t *xp,
                             const int32_t *pre, const float *x_scale, int64_t n_tok, int64_t n,
                             float *y, size_t ldy)
{
  if (w->row0.bits == 2)
    matmul_bits (w, r0, r1, xp, pre, x_scale, n_tok, n, y, ldy, 2);
  else if (w->row0.bits == 4)
    matmul_bits (w, r0, r1, xp, pre, x_scale, n_tok, n, y, ldy, 4);
  else
    matmul_bits (w, r0, r1, xp, pre, x_scale, n_tok, n, y, ldy, 8);
}
