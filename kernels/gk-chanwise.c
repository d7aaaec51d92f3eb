/* gk-chanwise.c — scalar reference kernels for channel-wise (and group-wise)
 * int2/int4/int8 weights as stored in compressed-tensors checkpoints.
 *
 * These define the numbers: faster variants must match gk_cw_dot_i8
 * exactly and gk_cw_dot_f32 to within float summation order.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "gk-chanwise.h"

#include <math.h>
#include <string.h>

static float
row_scale (const gk_cw_row *row, int64_t g)
{
  const uint8_t *p;

  switch (row->scale_type)
    {
    case GK_CW_SCALE_F16:
      p = (const uint8_t *) row->scales + 2 * g;
      return gk_fp16_to_fp32 ((uint16_t) (p[0] | p[1] << 8));
    case GK_CW_SCALE_BF16:
      p = (const uint8_t *) row->scales + 2 * g;
      return gk_bf16_to_fp32 ((uint16_t) (p[0] | p[1] << 8));
    case GK_CW_SCALE_F32:
    default:
      {
        uint32_t u;
        float f;

        p = (const uint8_t *) row->scales + 4 * g;
        u = (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
        memcpy (&f, &u, sizeof f);
        return f;
      }
    }
}

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
      const float s = row_scale (row, g0 / row->group_size);
      const int64_t end = g0 + row->group_size < n ? g0 + row->group_size : n;

      for (int64_t j = g0; j < end; j++)
        out[j] = (float) gk_cw_code (row->codes, row->bits, row->offset_binary, j) * s;
    }
}

float
gk_cw_dot_f32 (const gk_cw_row *row, const float *x, int64_t n)
{
  float sum = 0.0f;

  for (int64_t g0 = 0; g0 < n; g0 += row->group_size)
    {
      const int64_t end = g0 + row->group_size < n ? g0 + row->group_size : n;
      float part = 0.0f;

      for (int64_t j = g0; j < end; j++)
        part += (float) gk_cw_code (row->codes, row->bits, row->offset_binary, j) * x[j];
      sum += part * row_scale (row, g0 / row->group_size);
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
  for (int64_t i = 0; i < n; i++)
    x[i] = quant_one (x[i] / scale) * scale;
}

float
gk_cw_dot_i8 (const gk_cw_row *row, const int8_t *xq, float x_scale, int64_t n)
{
  float sum = 0.0f;

  for (int64_t g0 = 0; g0 < n; g0 += row->group_size)
    {
      const int64_t end = g0 + row->group_size < n ? g0 + row->group_size : n;
      int64_t isum = 0;

      for (int64_t j = g0; j < end; j++)
        isum += (int64_t) gk_cw_code (row->codes, row->bits, row->offset_binary, j) * xq[j];
      sum += (float) isum * row_scale (row, g0 / row->group_size);
    }
  return sum * x_scale;
}
