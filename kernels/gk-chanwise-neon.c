/* gk-chanwise-neon.c — channel-wise int2/int4/int8 rows (compressed-tensors
 * packing, engine/MOBILE-FORMAT.md) on AArch64 with SDOT (ARMv8.2-A
 * DotProd). Compiled with -march=armv8.2-a+dotprod; only called through
 * the dispatch in gk-chanwise.c when the NEON variant is in force.
 *
 * SDOT multiplies signed bytes, so the codes need no unsigned trick: in
 * element order they are used as signed codes; in the permuted layout the
 * packed fields u = q + 2^(b-1) (0..15) are already valid int8 and the
 * offset is taken off once per group with the activation block sums
 * (pre), while 8-bit codes are turned into two's complement. Group sums
 * are exact int32 and the float operations are the reference's, in its
 * order, so every integer-activation result equals the scalar one bit for
 * bit. Float activations: codes widened to float and accumulated with FMA
 * (the reference's order differs in the last bits).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "gk-chanwise.h"

#include <arm_neon.h>
#include <math.h>

#define GK_INLINE static inline __attribute__ ((always_inline))

/* Right shift of every byte by a count that need not be an immediate
 * (vshrq_n_u8 would need one, even in an unoptimized build). */
GK_INLINE uint8x16_t
shr_u8 (uint8x16_t v, int count)
{
  return count == 0 ? v : vshlq_u8 (v, vdupq_n_s8 ((int8_t) -count));
}

/* Signed codes of block j (32 elements, in element order) of a row that
 * gk_cw_simd_ok accepts, as two vectors of 16. */
GK_INLINE void
codes32 (const gk_cw_row *row, int64_t j, int8x16_t *lo, int8x16_t *hi)
{
  switch (row->bits)
    {
    case 2:
      {
        /* byte k holds elements 4k..4k+3 from bit 0 up */
        const uint8x8_t m = vdup_n_u8 (3), v = vld1_u8 (row->codes + 8 * j);
        const uint8x8_t f0 = vand_u8 (v, m), f1 = vand_u8 (vshr_n_u8 (v, 2), m);
        const uint8x8_t f2 = vand_u8 (vshr_n_u8 (v, 4), m), f3 = vshr_n_u8 (v, 6);
        /* a: e0 e1 e4 e5 …, b: e2 e3 e6 e7 …; then 16-bit pairs interleave */
        const uint16x8_t a = vreinterpretq_u16_u8 (vcombine_u8 (vzip1_u8 (f0, f1), vzip2_u8 (f0, f1)));
        const uint16x8_t b = vreinterpretq_u16_u8 (vcombine_u8 (vzip1_u8 (f2, f3), vzip2_u8 (f2, f3)));
        const int8x16_t two = vdupq_n_s8 (2);

        *lo = vsubq_s8 (vreinterpretq_s8_u16 (vzip1q_u16 (a, b)), two);
        *hi = vsubq_s8 (vreinterpretq_s8_u16 (vzip2q_u16 (a, b)), two);
        return;
      }
    case 4:
      {
        /* element 2k in the low nibble of byte k */
        const uint8x16_t v = vld1q_u8 (row->codes + 16 * j);
        const uint8x16_t l = vandq_u8 (v, vdupq_n_u8 (15)), h = vshrq_n_u8 (v, 4);
        const int8x16_t eight = vdupq_n_s8 (8);

        *lo = vsubq_s8 (vreinterpretq_s8_u8 (vzip1q_u8 (l, h)), eight);
        *hi = vsubq_s8 (vreinterpretq_s8_u8 (vzip2q_u8 (l, h)), eight);
        return;
      }
    default:
      {
        const uint8_t *p = row->codes + 32 * j;
        const uint8x16_t flip = vdupq_n_u8 (row->offset_binary ? 0x80 : 0);

        *lo = vreinterpretq_s8_u8 (veorq_u8 (vld1q_u8 (p), flip));
        *hi = vreinterpretq_s8_u8 (veorq_u8 (vld1q_u8 (p + 16), flip));
        return;
      }
    }
}

GK_INLINE float32x4_t
fma_codes (float32x4_t acc, int16x4_t q, const float *x)
{
  return vfmaq_f32 (acc, vcvtq_f32_s32 (vmovl_s16 (q)), vld1q_f32 (x));
}

float
gk_cw_dot_f32_neon (const gk_cw_row *row, const float *x, int64_t n)
{
  const int64_t gs = row->group_size;
  float sum = 0.0f;

  for (int64_t g0 = 0; g0 < n; g0 += gs)
    {
      float32x4_t acc0 = vdupq_n_f32 (0.0f), acc1 = vdupq_n_f32 (0.0f);

      for (int64_t j = g0; j < g0 + gs; j += 32)
        {
          int8x16_t lo, hi;

          codes32 (row, j / 32, &lo, &hi);
          const int16x8_t a = vmovl_s8 (vget_low_s8 (lo)), b = vmovl_high_s8 (lo);
          const int16x8_t c = vmovl_s8 (vget_low_s8 (hi)), d = vmovl_high_s8 (hi);

          acc0 = fma_codes (acc0, vget_low_s16 (a), x + j);
          acc1 = fma_codes (acc1, vget_high_s16 (a), x + j + 4);
          acc0 = fma_codes (acc0, vget_low_s16 (b), x + j + 8);
          acc1 = fma_codes (acc1, vget_high_s16 (b), x + j + 12);
          acc0 = fma_codes (acc0, vget_low_s16 (c), x + j + 16);
          acc1 = fma_codes (acc1, vget_high_s16 (c), x + j + 20);
          acc0 = fma_codes (acc0, vget_low_s16 (d), x + j + 24);
          acc1 = fma_codes (acc1, vget_high_s16 (d), x + j + 28);
        }
      sum += vaddvq_f32 (vaddq_f32 (acc0, acc1)) * gk_cw_scale (row, g0 / gs);
    }
  return sum;
}

/* Element order: signed codes straight into SDOT, no offset correction,
 * so the activation block sums are not needed. */
float
gk_cw_dot_i8_neon (const gk_cw_row *row, const int8_t *xq, float x_scale, int64_t n)
{
  const int64_t gs = row->group_size;
  float sum = 0.0f;

  for (int64_t g0 = 0; g0 < n; g0 += gs)
    {
      int32x4_t acc0 = vdupq_n_s32 (0), acc1 = vdupq_n_s32 (0);

      for (int64_t j = g0; j < g0 + gs; j += 32)
        {
          int8x16_t lo, hi;

          codes32 (row, j / 32, &lo, &hi);
          acc0 = vdotq_s32 (acc0, lo, vld1q_s8 (xq + j));
          acc1 = vdotq_s32 (acc1, hi, vld1q_s8 (xq + j + 16));
        }
      sum += (float) vaddvq_s32 (vaddq_s32 (acc0, acc1)) * gk_cw_scale (row, g0 / gs);
    }
  return sum * x_scale;
}

/* ---- permuted layout (gk_cw_permute_act) --------------------------------
 * Chunk c of a row is 32 bytes of codes; field i of byte k meets
 * activation c·chunk + 32·i + k, so one load of codes feeds 8/bits SDOTs
 * per 16 bytes without any reordering. */

/* Field i of every byte, as SDOT takes it: packed 2/4-bit fields shifted
 * down (u, 0..15), 8-bit codes as two's complement. */
GK_INLINE int8x16_t
field (uint8x16_t v, int bits, int i, bool offset_binary)
{
  if (bits == 8)
    return vreinterpretq_s8_u8 (offset_binary ? veorq_u8 (v, vdupq_n_u8 (0x80)) : v);
  if (i == 8 / bits - 1)
    return vreinterpretq_s8_u8 (shr_u8 (v, bits * i)); /* top field: no mask */
  return vreinterpretq_s8_u8 (vandq_u8 (shr_u8 (v, bits * i), vdupq_n_u8 ((uint8_t) ((1 << bits) - 1))));
}

/* Offset correction of a group: the fields are q + 2^(bits-1); 8-bit
 * codes are exact already. */
GK_INLINE int32_t
group_corr (int bits, const int32_t *pre, int64_t g0, int64_t gs)
{
  return bits == 8 ? 0 : (1 << (bits - 1)) * (pre[(g0 + gs) / 32] - pre[g0 / 32]);
}

/* Σ field·x of R consecutive rows (codes at c0, c0 + rb, …) over chunks
 * [ca, cb) against one activation row, each row's total as int32. Four
 * accumulators a row (16-byte half × field parity) keep the SDOT chains
 * short; the rows share the activation loads. */
GK_INLINE void
rows_group (const uint8_t *c0, size_t rb, int R, int bits, bool ob, const int8_t *xp, int64_t ca,
            int64_t cb, int32_t *out)
{
  const int F = 8 / bits;
  const int64_t chunk = 32 * F;
  int32x4_t acc[4][4];

#pragma GCC unroll 4
  for (int r = 0; r < R; r++)
#pragma GCC unroll 4
    for (int k = 0; k < 4; k++)
      acc[r][k] = vdupq_n_s32 (0);
  for (int64_t c = ca; c < cb; c++)
    {
      const int8_t *x = xp + chunk * c;
      uint8x16_t v[4][2];

#pragma GCC unroll 4
      for (int r = 0; r < R; r++)
        {
          v[r][0] = vld1q_u8 (c0 + (size_t) r * rb + 32 * c);
          v[r][1] = vld1q_u8 (c0 + (size_t) r * rb + 32 * c + 16);
        }
#pragma GCC unroll 4
      for (int i = 0; i < F; i++)
        {
          const int8x16_t x0 = vld1q_s8 (x + 32 * i), x1 = vld1q_s8 (x + 32 * i + 16);
          const int k = 2 * (i & 1);

#pragma GCC unroll 4
          for (int r = 0; r < R; r++)
            {
              acc[r][k] = vdotq_s32 (acc[r][k], field (v[r][0], bits, i, ob), x0);
              acc[r][k + 1] = vdotq_s32 (acc[r][k + 1], field (v[r][1], bits, i, ob), x1);
            }
        }
    }
#pragma GCC unroll 4
  for (int r = 0; r < R; r++)
    out[r] = vaddvq_s32 (vaddq_s32 (vaddq_s32 (acc[r][0], acc[r][1]),
                                    vaddq_s32 (acc[r][2], acc[r][3])));
}

/* R rows from row r of w: y[r…] as gk_cw_dot_i8_perm computes each (the
 * reference's float operations in its order, so the same bits). */
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
      const int32_t corr = group_corr (bits, pre, g0, gs);
      int32_t isum[4];

      rows_group (c0, w->row_bytes, R, bits, w->row0.offset_binary, xp, g0 / chunk,
                  (g0 + gs) / chunk, isum);
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
gk_cw_dot_i8_perm_neon (const gk_cw_row *row, const int8_t *xp, const int32_t *pre,
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

/* Rows r0..r1 in one call, several at a time so there are 8 independent
 * SDOT chains: two rows for int2/int4 (four chains each), four for int8
 * (two each). */
void
gk_cw_matvec_i8_perm_neon (const gk_cw_matrix *w, int64_t r0, int64_t r1, const int8_t *xp,
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

/* Prefill tile: one row × T tokens over chunks [ca, cb). The row's fields
 * are extracted once per chunk and meet the T activation rows; two
 * accumulators (16-byte halves) per token. */
GK_INLINE void
tile_group (const uint8_t *codes, int T, int bits, bool ob, const int8_t *xp, size_t ldx,
            int64_t ca, int64_t cb, int32_t *out)
{
  const int F = 8 / bits;
  const int64_t chunk = 32 * F;
  int32x4_t acc[4][2];

#pragma GCC unroll 4
  for (int t = 0; t < T; t++)
    acc[t][0] = acc[t][1] = vdupq_n_s32 (0);
  for (int64_t c = ca; c < cb; c++)
    {
      const uint8x16_t v0 = vld1q_u8 (codes + 32 * c), v1 = vld1q_u8 (codes + 32 * c + 16);
      int8x16_t f[4][2];

#pragma GCC unroll 4
      for (int i = 0; i < F; i++)
        {
          f[i][0] = field (v0, bits, i, ob);
          f[i][1] = field (v1, bits, i, ob);
        }
#pragma GCC unroll 4
      for (int t = 0; t < T; t++)
        {
          const int8_t *x = xp + (size_t) t * ldx + chunk * c;

#pragma GCC unroll 4
          for (int i = 0; i < F; i++)
            {
              acc[t][0] = vdotq_s32 (acc[t][0], f[i][0], vld1q_s8 (x + 32 * i));
              acc[t][1] = vdotq_s32 (acc[t][1], f[i][1], vld1q_s8 (x + 32 * i + 16));
            }
        }
    }
#pragma GCC unroll 4
  for (int t = 0; t < T; t++)
    out[t] = vaddvq_s32 (vaddq_s32 (acc[t][0], acc[t][1]));
}

/* Row r × tokens t0 … t0 + T: y[t·ldy + r] as gk_cw_dot_i8_perm computes
 * each (same float operations, same order). */
GK_INLINE void
tile_dot (const gk_cw_matrix *w, int64_t r, int64_t t0, int T, int bits, const int8_t *xp,
          const int32_t *pre, const float *x_scale, int64_t n, float *y, size_t ldy)
{
  const int64_t chunk = 256 / bits, gs = w->row0.group_size, npre = n / 32 + 1;
  gk_cw_row row = w->row0;
  float sum[4] = { 0.0f, 0.0f, 0.0f, 0.0f };

  row.codes = w->row0.codes + (size_t) r * w->row_bytes;
  row.scales = (const uint8_t *) w->row0.scales + (size_t) r * w->scale_row_bytes;
  for (int64_t g0 = 0; g0 < n; g0 += gs)
    {
      const float s = gk_cw_scale (&row, g0 / gs);
      int32_t isum[4];

      tile_group (row.codes, T, bits, row.offset_binary, xp + (size_t) t0 * (size_t) n,
                  (size_t) n, g0 / chunk, (g0 + gs) / chunk, isum);
#pragma GCC unroll 4
      for (int t = 0; t < T; t++)
        sum[t] += (float) (isum[t] - group_corr (bits, pre + (t0 + t) * npre, g0, gs)) * s;
    }
#pragma GCC unroll 4
  for (int t = 0; t < T; t++)
    y[(size_t) (t0 + t) * ldy + (size_t) r] = sum[t] * x_scale[t0 + t];
}

/* Activation bytes of a block of tokens: every row reads the whole
 * block, which should stay in L2 (as in the x86 versions). */
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

      for (int64_t r = r0; r < r1; r++)
        {
          int64_t t = b0;

          for (; t + 4 <= b1; t += 4)
            tile_dot (w, r, t, 4, bits, xp, pre, x_scale, n, y, ldy);
          for (; t < b1; t++)
            tile_dot (w, r, t, 1, bits, xp, pre, x_scale, n, y, ldy);
        }
    }
}

void
gk_cw_matmul_i8_perm_neon (const gk_cw_matrix *w, int64_t r0, int64_t r1, const int8_t *xp,
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

/* ---- activations ----------------------------------------------------------
 * The reference's operations: an IEEE division (not a multiplication by
 * 1/scale), round half to even (FRINTN), clamp. FMAX/FMIN propagate a NaN,
 * which FCVTZS turns into code 0 as the reference does, and which fake
 * quantization keeps. */

GK_INLINE float32x4_t
quant4 (const float *x, float32x4_t s)
{
  const float32x4_t r = vrndnq_f32 (vdivq_f32 (vld1q_f32 (x), s));

  return vminq_f32 (vmaxq_f32 (r, vdupq_n_f32 (-128.0f)), vdupq_n_f32 (127.0f));
}

void
gk_cw_quant_act_neon (const float *x, float scale, int8_t *q, int64_t n)
{
  const float32x4_t s = vdupq_n_f32 (scale);
  int64_t i = 0;

  for (; i + 16 <= n; i += 16)
    {
      int16x4_t h[4];

      for (int k = 0; k < 4; k++)
        h[k] = vmovn_s32 (vcvtq_s32_f32 (quant4 (x + i + 4 * k, s)));
      vst1q_s8 (q + i, vcombine_s8 (vmovn_s16 (vcombine_s16 (h[0], h[1])),
                                    vmovn_s16 (vcombine_s16 (h[2], h[3]))));
    }
  for (; i < n; i++)
    {
      const float r = nearbyintf (x[i] / scale);

      q[i] = r != r ? 0 : r < -128.0f ? -128 : r > 127.0f ? 127 : (int8_t) r;
    }
}

void
gk_cw_fake_quant_neon (float *x, float scale, int64_t n)
{
  const float32x4_t s = vdupq_n_f32 (scale);
  int64_t i = 0;

  for (; i + 4 <= n; i += 4)
    vst1q_f32 (x + i, vmulq_f32 (quant4 (x + i, s), s));
  for (; i < n; i++)
    {
      const float r = nearbyintf (x[i] / scale);

      x[i] = (r < -128.0f ? -128.0f : r > 127.0f ? 127.0f : r) * scale;
    }
}

/* max |x|, NaNs ignored as fmaxf does (FMAXNM returns the number). */
float
gk_cw_absmax_neon (const float *x, int64_t n)
{
  float32x4_t acc = vdupq_n_f32 (0.0f);
  float m;
  int64_t i = 0;

  for (; i + 4 <= n; i += 4)
    acc = vmaxnmq_f32 (acc, vabsq_f32 (vld1q_f32 (x + i)));
  m = vmaxnmvq_f32 (acc);
  for (; i < n; i++)
    m = fmaxf (m, fabsf (x[i]));
  return m;
}
