/* gk-chanwise.c — scalar reference kernels for channel-wise (and group-wise)
 * int2/int4/int8 weights as stored in compressed-tensors checkpoints.
 *
 * These define the numbers: faster variants must match gk_cw_dot_i8_ref
 * exactly (up to the final float products) and gk_cw_dot_f32_ref to within
 * float summation order. The public dot products dispatch on the kernel
 * variant in force (gk_variant_current, so GEMLET_KERNELS and
 * gk_force_variant apply) and on the row's shape (gk_cw_simd_ok).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "gk-chanwise.h"

#include <math.h>
#include <string.h>

void
gk_cw_unpack_row (const uint8_t *codes, int bits, bool offset_binary, int8_t *out, int64_t n)
{
  for (int64_t j = 0; j < n; j++)
    out[j] = (int8_t) gk_cw_code (codes, bits, offset_binary, j);
}

void
gk_cw_dequant_row (const gk_cw_row *row, float *out, int64_t n)
{
  for (int64_t g0 = 0; g0 < n; g0 += row->group_size)
    {
      const float s = gk_cw_scale (row, g0 / row->group_size);
      const int64_t end = g0 + row->group_size < n ? g0 + row->group_size : n;

      for (int64_t j = g0; j < end; j++)
        out[j] = (float) gk_cw_code (row->codes, row->bits, row->offset_binary, j) * s;
    }
}

float
gk_cw_dot_f32_ref (const gk_cw_row *row, const float *x, int64_t n)
{
  float sum = 0.0f;

  for (int64_t g0 = 0; g0 < n; g0 += row->group_size)
    {
      const int64_t end = g0 + row->group_size < n ? g0 + row->group_size : n;
      float part = 0.0f;

      for (int64_t j = g0; j < end; j++)
        part += (float) gk_cw_code (row->codes, row->bits, row->offset_binary, j) * x[j];
      sum += part * gk_cw_scale (row, g0 / row->group_size);
    }
  return sum;
}

/* nearbyintf rounds half to even in the default rounding mode, as
 * torch.round does. */
static float
quant_one (float ratio)
{
  const float q = nearbyintf (ratio);

  return q < -128.0f ? -128.0f : q > 127.0f ? 127.0f : q;
}

void
gk_cw_quant_act (const float *x, float scale, int8_t *q, int64_t n)
{
#ifdef GK_HAVE_NEON
  if (gk_variant_current () == GK_VARIANT_NEON)
    {
      gk_cw_quant_act_neon (x, scale, q, n);
      return;
    }
#endif
#ifdef GK_HAVE_AVX2
  if (gk_variant_current () >= GK_VARIANT_AVX2)
    {
      gk_cw_quant_act_avx2 (x, scale, q, n);
      return;
    }
#endif
  for (int64_t i = 0; i < n; i++)
    {
      const float r = quant_one (x[i] / scale);

      q[i] = isnan (r) ? 0 : (int8_t) r;   /* a NaN has no int8 code */
    }
}

void
gk_cw_fake_quant (float *x, float scale, int64_t n)
{
  if (scale == 0.0f)
    return;
#ifdef GK_HAVE_NEON
  if (gk_variant_current () == GK_VARIANT_NEON)
    {
      gk_cw_fake_quant_neon (x, scale, n);
      return;
    }
#endif
#ifdef GK_HAVE_AVX2
  if (gk_variant_current () >= GK_VARIANT_AVX2)
    {
      gk_cw_fake_quant_avx2 (x, scale, n);
      return;
    }
#endif
  for (int64_t i = 0; i < n; i++)
    x[i] = quant_one (x[i] / scale) * scale;
}

float
gk_cw_absmax (const float *x, int64_t n)
{
  float m = 0.0f;

#ifdef GK_HAVE_NEON
  if (gk_variant_current () == GK_VARIANT_NEON)
    return gk_cw_absmax_neon (x, n);
#endif
#ifdef GK_HAVE_AVX2
  if (gk_variant_current () >= GK_VARIANT_AVX2)
    return gk_cw_absmax_avx2 (x, n);
#endif
  for (int64_t i = 0; i < n; i++)
    m = fmaxf (m, fabsf (x[i]));
  return m;
}

float
gk_cw_dot_i8_ref (const gk_cw_row *row, const int8_t *xq, float x_scale, int64_t n)
{
  float sum = 0.0f;

  for (int64_t g0 = 0; g0 < n; g0 += row->group_size)
    {
      const int64_t end = g0 + row->group_size < n ? g0 + row->group_size : n;
      int64_t isum = 0;

      for (int64_t j = g0; j < end; j++)
        isum += (int64_t) gk_cw_code (row->codes, row->bits, row->offset_binary, j) * xq[j];
      sum += (float) isum * gk_cw_scale (row, g0 / row->group_size);
    }
  return sum * x_scale;
}

float
gk_cw_dot_f32 (const gk_cw_row *row, const float *x, int64_t n)
{
#ifdef GK_HAVE_NEON
  if (gk_variant_current () == GK_VARIANT_NEON && gk_cw_simd_ok (row, n))
    return gk_cw_dot_f32_neon (row, x, n);
#endif
#ifdef GK_HAVE_AVX2
  if (gk_variant_current () >= GK_VARIANT_AVX2 && gk_cw_simd_ok (row, n))
    return gk_cw_dot_f32_avx2 (row, x, n);
#endif
  return gk_cw_dot_f32_ref (row, x, n);
}

float
gk_cw_dot_i8 (const gk_cw_row *row, const int8_t *xq, float x_scale, int64_t n)
{
#ifdef GK_HAVE_NEON
  if (gk_variant_current () == GK_VARIANT_NEON && gk_cw_simd_ok (row, n))
    return gk_cw_dot_i8_neon (row, xq, x_scale, n);
#endif
#ifdef GK_HAVE_AVX2
  if (gk_variant_current () >= GK_VARIANT_AVX2 && gk_cw_simd_ok (row, n))
    return gk_cw_dot_i8_avx2 (row, xq, NULL, x_scale, n);
#endif
  return gk_cw_dot_i8_ref (row, xq, x_scale, n);
}

void
gk_cw_act_prefix (const int8_t *xq, int64_t n, int32_t *pre)
{
  pre[0] = 0;
  for (int64_t b = 0; b < n / 32; b++)
    {
      int32_t s = 0;

      for (int j = 0; j < 32; j++)
        s += xq[32 * b + j];
      pre[b + 1] = pre[b] + s;
    }
}

float
gk_cw_dot_i8_pre (const gk_cw_row *row, const int8_t *xq, const int32_t *pre, float x_scale,
                  int64_t n)
{
#ifdef GK_HAVE_NEON
  if (gk_variant_current () == GK_VARIANT_NEON && gk_cw_simd_ok (row, n))
    return gk_cw_dot_i8_neon (row, xq, x_scale, n);
#endif
#ifdef GK_HAVE_AVX2
  if (gk_variant_current () >= GK_VARIANT_AVX2 && gk_cw_simd_ok (row, n))
    return gk_cw_dot_i8_avx2 (row, xq, pre, x_scale, n);
#endif
  (void) pre;
  return gk_cw_dot_i8_ref (row, xq, x_scale, n);
}

/* Activation chunk of the permuted layout: 128 for int2 (4 fields a byte),
 * 64 for int4 (2 fields a byte); 0 when the layout does not apply. */
static int64_t
perm_chunk (int bits)
{
  return bits == 2 ? 128 : bits == 4 ? 64 : bits == 8 ? 32 : 0;
}

bool
gk_cw_perm_ok (const gk_cw_row *row, int64_t n)
{
  const int64_t chunk = perm_chunk (row->bits);

  /* 8-bit codes: the layout is the identity, in either storage */
  return chunk > 0 && (row->offset_binary || row->bits == 8) && n % chunk == 0
         && row->group_size % chunk == 0 && n % row->group_size == 0;
}

void
gk_cw_permute_act (const int8_t *xq, int bits, int8_t *out, int64_t n)
{
  const int64_t chunk = perm_chunk (bits), per = 8 / bits;

  for (int64_t c = 0; c < n; c += chunk)
    for (int64_t k = 0; k < 32; k++)
      for (int64_t i = 0; i < per; i++)
        out[c + 32 * i + k] = xq[c + per * k + i];
}

float
gk_cw_dot_i8_perm (const gk_cw_row *row, const int8_t *xp, const int32_t *pre, float x_scale,
                   int64_t n)
{
  const int64_t per = 8 / row->bits;
  float sum = 0.0f;

#ifdef GK_HAVE_AVX512
  if (gk_variant_current () >= GK_VARIANT_AVX512)
    return gk_cw_dot_i8_perm_avx512 (row, xp, pre, x_scale, n);
#endif
#ifdef GK_HAVE_NEON
  if (gk_variant_current () == GK_VARIANT_NEON)
    return gk_cw_dot_i8_perm_neon (row, xp, pre, x_scale, n);
#endif
#ifdef GK_HAVE_AVX2
  if (gk_variant_current () >= GK_VARIANT_AVX2)
    return row->bits == 8 ? gk_cw_dot_i8_avx2 (row, xp, pre, x_scale, n)
                          : gk_cw_dot_i8_perm_avx2 (row, xp, pre, x_scale, n);
#endif
  (void) pre;
  /* element j = c + per·k + i of the row meets xp[c + 32·i + k] */
  for (int64_t g0 = 0; g0 < n; g0 += row->group_size)
    {
      int64_t isum = 0;

      for (int64_t j = g0; j < g0 + row->group_size; j++)
        {
          const int64_t c = j / (32 * per) * (32 * per), k = (j - c) / per, i = (j - c) % per;

          isum += (int64_t) gk_cw_code (row->codes, row->bits, row->offset_binary, j)
                  * xp[c + 32 * i + k];
        }
      sum += (float) isum * gk_cw_scale (row, g0 / row->group_size);
    }
  return sum * x_scale;
}

void
gk_cw_matvec_i8_perm (const gk_cw_matrix *w, int64_t r0, int64_t r1, const int8_t *xp,
                      const int32_t *pre, float x_scale, int64_t n, float *y)
{
  gk_cw_row row = w->row0;

#ifdef GK_HAVE_AVX512
  if (gk_variant_current () >= GK_VARIANT_AVX512)
    {
      gk_cw_matvec_i8_perm_avx512 (w, r0, r1, xp, pre, x_scale, n, y);
      return;
    }
#endif
#ifdef GK_HAVE_NEON
  if (gk_variant_current () == GK_VARIANT_NEON)
    {
      gk_cw_matvec_i8_perm_neon (w, r0, r1, xp, pre, x_scale, n, y);
      return;
    }
#endif
#ifdef GK_HAVE_AVX2
  if (gk_variant_current () >= GK_VARIANT_AVX2)
    {
      gk_cw_matvec_i8_perm_avx2 (w, r0, r1, xp, pre, x_scale, n, y);
      return;
    }
#endif
  for (int64_t r = r0; r < r1; r++)
    {
      row.codes = w->row0.codes + (size_t) r * w->row_bytes;
      row.scales = (const uint8_t *) w->row0.scales + (size_t) r * w->scale_row_bytes;
      y[r] = gk_cw_dot_i8_perm (&row, xp, pre, x_scale, n);
    }
}

void
gk_cw_matmul_i8_perm (const gk_cw_matrix *w, int64_t r0, int64_t r1, const int8_t *xp,
                      const int32_t *pre, const float *x_scale, int64_t n_tok, int64_t n, float *y,
                      size_t ldy)
{
  gk_cw_row row = w->row0;

#ifdef GK_HAVE_AVX512
  if (gk_variant_current () >= GK_VARIANT_AVX512)
    {
      gk_cw_matmul_i8_perm_avx512 (w, r0, r1, xp, pre, x_scale, n_tok, n, y, ldy);
      return;
    }
#endif
#ifdef GK_HAVE_NEON
  if (gk_variant_current () == GK_VARIANT_NEON)
    {
      gk_cw_matmul_i8_perm_neon (w, r0, r1, xp, pre, x_scale, n_tok, n, y, ldy);
      return;
    }
#endif
#ifdef GK_HAVE_AVX2
  if (gk_variant_current () >= GK_VARIANT_AVX2)
    {
      gk_cw_matmul_i8_perm_avx2 (w, r0, r1, xp, pre, x_scale, n_tok, n, y, ldy);
      return;
    }
#endif
  for (int64_t r = r0; r < r1; r++)
    {
      row.codes = w->row0.codes + (size_t) r * w->row_bytes;
      row.scales = (const uint8_t *) w->row0.scales + (size_t) r * w->scale_row_bytes;
      for (int64_t t = 0; t < n_tok; t++)
        y[(size_t) t * ldy + (size_t) r] = gk_cw_dot_i8_perm (&row, xp + t * n, pre + t * (n / 32 + 1),
                                                              x_scale[t], n);
    }
}
