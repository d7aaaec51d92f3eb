/* gk-scalar.c — the portable kernel set: one dot product per weight type.
 *
 * Integer products are summed exactly per block and scaled once, as ggml's
 * generic kernels do, so every variant agrees with this one to within the
 * order of the final float additions.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "gk-internal.h"

#include <math.h>

static float
dot_q4_0_q8_0 (const void *vw, const void *vx, int64_t k)
{
  const gk_block_q4_0 *w = vw;
  const gk_block_q8_0 *x = vx;
  float sum = 0.0f;

  for (int64_t i = 0; i < k / GK_QK32; i++)
    {
      int isum = 0;
      for (int j = 0; j < 16; j++)
        {
          isum += ((w[i].qs[j] & 0x0f) - 8) * x[i].qs[j];
          isum += ((w[i].qs[j] >> 4) - 8) * x[i].qs[j + 16];
        }
      sum += (float) isum * gk_h2f (w[i].d) * gk_h2f (x[i].d);
    }
  return sum;
}

static float
dot_q4_1_q8_1 (const void *vw, const void *vx, int64_t k)
{
  const gk_block_q4_1 *w = vw;
  const gk_block_q8_1 *x = vx;
  float sum = 0.0f;

  for (int64_t i = 0; i < k / GK_QK32; i++)
    {
      int isum = 0;
      for (int j = 0; j < 16; j++)
        {
          isum += (w[i].qs[j] & 0x0f) * x[i].qs[j];
          isum += (w[i].qs[j] >> 4) * x[i].qs[j + 16];
        }
      /* x.s = dx * sum(qx) carries the contribution of the offset m */
      sum += (gk_h2f (w[i].d) * gk_h2f (x[i].d)) * (float) isum
             + gk_h2f (w[i].m) * gk_h2f (x[i].s);
    }
  return sum;
}

static inline uint32_t
load_u32_le (const uint8_t *p)
{
  return (uint32_t) p[0] | ((uint32_t) p[1] << 8) | ((uint32_t) p[2] << 16)
         | ((uint32_t) p[3] << 24);
}

static float
dot_q5_0_q8_0 (const void *vw, const void *vx, int64_t k)
{
  const gk_block_q5_0 *w = vw;
  const gk_block_q8_0 *x = vx;
  float sum = 0.0f;

  for (int64_t i = 0; i < k / GK_QK32; i++)
    {
      const uint32_t qh = load_u32_le (w[i].qh);
      int isum = 0;
      for (int j = 0; j < 16; j++)
        {
          int lo = (w[i].qs[j] & 0x0f) | (int) (((qh >> j) & 1u) << 4);
          int hi = (w[i].qs[j] >> 4) | (int) (((qh >> (j + 16)) & 1u) << 4);
          isum += (lo - 16) * x[i].qs[j] + (hi - 16) * x[i].qs[j + 16];
        }
      sum += (float) isum * gk_h2f (w[i].d) * gk_h2f (x[i].d);
    }
  return sum;
}

static float
dot_q5_1_q8_1 (const void *vw, const void *vx, int64_t k)
{
  const gk_block_q5_1 *w = vw;
  const gk_block_q8_1 *x = vx;
  float sum = 0.0f;

  for (int64_t i = 0; i < k / GK_QK32; i++)
    {
      const uint32_t qh = load_u32_le (w[i].qh);
      int isum = 0;
      for (int j = 0; j < 16; j++)
        {
          int lo = (w[i].qs[j] & 0x0f) | (int) (((qh >> j) & 1u) << 4);
          int hi = (w[i].qs[j] >> 4) | (int) (((qh >> (j + 16)) & 1u) << 4);
          isum += lo * x[i].qs[j] + hi * x[i].qs[j + 16];
        }
      sum += (gk_h2f (w[i].d) * gk_h2f (x[i].d)) * (float) isum
             + gk_h2f (w[i].m) * gk_h2f (x[i].s);
    }
  return sum;
}

static float
dot_q8_0_q8_0 (const void *vw, const void *vx, int64_t k)
{
  const gk_block_q8_0 *w = vw;
  const gk_block_q8_0 *x = vx;
  float sum = 0.0f;

  for (int64_t i = 0; i < k / GK_QK32; i++)
    {
      int isum = 0;
      for (int j = 0; j < GK_QK32; j++)
        isum += w[i].qs[j] * x[i].qs[j];
      sum += (float) isum * gk_h2f (w[i].d) * gk_h2f (x[i].d);
    }
  return sum;
}

static float
dot_q2_K_q8_K (const void *vw, const void *vx, int64_t k)
{
  const gk_block_q2_K *w = vw;
  const gk_block_q8_K *x = vx;
  float sum = 0.0f;

  for (int64_t i = 0; i < k / GK_QK_K; i++)
    {
      const uint8_t *q = w[i].qs;
      const int8_t *y = x[i].qs;
      int isum = 0, msum = 0, g = 0;

      for (int g2 = 0; g2 < 16; g2++)
        msum += (w[i].scales[g2] >> 4) * x[i].bsums[g2];
      for (int half = 0; half < 2; half++, q += 32)
        for (int shift = 0; shift < 8; shift += 2)
          for (int part = 0; part < 2; part++, g++, y += 16)
            {
              int s = 0;
              for (int l = 0; l < 16; l++)
                s += ((q[16 * part + l] >> shift) & 3) * y[l];
              isum += (w[i].scales[g] & 0x0f) * s;
            }
      const float dx = x[i].d;
      sum += dx * gk_h2f (w[i].d) * (float) isum - dx * gk_h2f (w[i].dmin) * (float) msum;
    }
  return sum;
}

static float
dot_q3_K_q8_K (const void *vw, const void *vx, int64_t k)
{
  const gk_block_q3_K *w = vw;
  const gk_block_q8_K *x = vx;
  float sum = 0.0f;

  for (int64_t i = 0; i < k / GK_QK_K; i++)
    {
      const uint8_t *q = w[i].qs;
      const uint8_t *hm = w[i].hmask;
      const int8_t *y = x[i].qs;
      int8_t sc[16];
      int isum = 0, g = 0;
      uint8_t mask = 1;

      for (int j = 0; j < 16; j++)
        {
          int lo = j < 8 ? (w[i].scales[j] & 0x0f) : (w[i].scales[j - 8] >> 4);
          int hi = (w[i].scales[8 + j % 4] >> (2 * (j / 4))) & 3;
          sc[j] = (int8_t) ((lo | (hi << 4)) - 32);
        }
      for (int half = 0; half < 2; half++, q += 32)
        for (int shift = 0; shift < 8; shift += 2, mask <<= 1)
          for (int part = 0; part < 2; part++, g++, y += 16)
            {
              int s = 0;
              for (int l = 0; l < 16; l++)
                {
                  int v = (q[16 * part + l] >> shift) & 3;
                  if (!(hm[16 * part + l] & mask))
                    v -= 4;
                  s += v * y[l];
                }
              isum += sc[g] * s;
            }
      sum += gk_h2f (w[i].d) * x[i].d * (float) isum;
    }
  return sum;
}

static float
dot_q4_K_q8_K (const void *vw, const void *vx, int64_t k)
{
  const gk_block_q4_K *w = vw;
  const gk_block_q8_K *x = vx;
  float sum = 0.0f;

  for (int64_t i = 0; i < k / GK_QK_K; i++)
    {
      const uint8_t *q = w[i].qs;
      const int8_t *y = x[i].qs;
      int isum = 0, msum = 0;

      for (int g = 0; g < 8; g += 2, q += 32, y += 64)
        {
          uint8_t sc1, m1, sc2, m2;
          int s1 = 0, s2 = 0;
          gk_k4_scale_min (g, w[i].scales, &sc1, &m1);
          gk_k4_scale_min (g + 1, w[i].scales, &sc2, &m2);
          for (int l = 0; l < 32; l++)
            {
              s1 += (q[l] & 0x0f) * y[l];
              s2 += (q[l] >> 4) * y[l + 32];
            }
          isum += sc1 * s1 + sc2 * s2;
          msum += m1 * (x[i].bsums[2 * g] + x[i].bsums[2 * g + 1])
                  + m2 * (x[i].bsums[2 * g + 2] + x[i].bsums[2 * g + 3]);
        }
      const float dx = x[i].d;
      sum += dx * gk_h2f (w[i].d) * (float) isum - dx * gk_h2f (w[i].dmin) * (float) msum;
    }
  return sum;
}

static float
dot_q5_K_q8_K (const void *vw, const void *vx, int64_t k)
{
  const gk_block_q5_K *w = vw;
  const gk_block_q8_K *x = vx;
  float sum = 0.0f;

  for (int64_t i = 0; i < k / GK_QK_K; i++)
    {
      const uint8_t *q = w[i].qs;
      const uint8_t *qh = w[i].qh;
      const int8_t *y = x[i].qs;
      int isum = 0, msum = 0;

      for (int g = 0; g < 8; g += 2, q += 32, y += 64)
        {
          uint8_t sc1, m1, sc2, m2;
          int s1 = 0, s2 = 0;
          gk_k4_scale_min (g, w[i].scales, &sc1, &m1);
          gk_k4_scale_min (g + 1, w[i].scales, &sc2, &m2);
          for (int l = 0; l < 32; l++)
            {
              s1 += ((q[l] & 0x0f) | (((qh[l] >> g) & 1) << 4)) * y[l];
              s2 += ((q[l] >> 4) | (((qh[l] >> (g + 1)) & 1) << 4)) * y[l + 32];
            }
          isum += sc1 * s1 + sc2 * s2;
          msum += m1 * (x[i].bsums[2 * g] + x[i].bsums[2 * g + 1])
                  + m2 * (x[i].bsums[2 * g + 2] + x[i].bsums[2 * g + 3]);
        }
      const float dx = x[i].d;
      sum += dx * gk_h2f (w[i].d) * (float) isum - dx * gk_h2f (w[i].dmin) * (float) msum;
    }
  return sum;
}

static float
dot_q6_K_q8_K (const void *vw, const void *vx, int64_t k)
{
  const gk_block_q6_K *w = vw;
  const gk_block_q8_K *x = vx;
  float sum = 0.0f;

  for (int64_t i = 0; i < k / GK_QK_K; i++)
    {
      const uint8_t *ql = w[i].ql;
      const uint8_t *qh = w[i].qh;
      const int8_t *sc = w[i].scales;
      const int8_t *y = x[i].qs;
      int isum = 0;

      for (int half = 0; half < 2; half++, ql += 64, qh += 32, sc += 8, y += 128)
        {
          int s[8] = { 0 };
          for (int l = 0; l < 32; l++)
            {
              const int h = l / 16;
              int q1 = ((ql[l] & 0x0f) | (((qh[l] >> 0) & 3) << 4)) - 32;
              int q2 = ((ql[l + 32] & 0x0f) | (((qh[l] >> 2) & 3) << 4)) - 32;
              int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
              int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
              s[h + 0] += q1 * y[l];
              s[h + 2] += q2 * y[l + 32];
              s[h + 4] += q3 * y[l + 64];
              s[h + 6] += q4 * y[l + 96];
            }
          for (int j = 0; j < 8; j++)
            isum += sc[j] * s[j];
        }
      sum += gk_h2f (w[i].d) * x[i].d * (float) isum;
    }
  return sum;
}

/* Float rows: summed in double like ggml's scalar path. */
static float
dot_f16_f16 (const void *vw, const void *vx, int64_t k)
{
  const uint16_t *w = vw, *x = vx;
  double sum = 0.0;

  for (int64_t i = 0; i < k; i++)
    sum += (double) (gk_fp16_to_fp32 (w[i]) * gk_fp16_to_fp32 (x[i]));
  return (float) sum;
}

static float
dot_bf16_bf16 (const void *vw, const void *vx, int64_t k)
{
  const uint16_t *w = vw, *x = vx;
  double sum = 0.0;

  for (int64_t i = 0; i < k; i++)
    sum += (double) (gk_bf16_to_fp32 (w[i]) * gk_bf16_to_fp32 (x[i]));
  return (float) sum;
}

static float
scalar_dot_f32 (const float *a, const float *b, int64_t n)
{
  double sum = 0.0;

  for (int64_t i = 0; i < n; i++)
    sum += (double) (a[i] * b[i]);
  return (float) sum;
}

static float
dot_f32_f32 (const void *vw, const void *vx, int64_t k)
{
  return scalar_dot_f32 (vw, vx, k);
}

static void
scalar_axpy_f32 (float a, const float *x, float *y, int64_t n)
{
  for (int64_t i = 0; i < n; i++)
    y[i] += a * x[i];
}

static void
scalar_scale_f32 (float *x, float a, int64_t n)
{
  for (int64_t i = 0; i < n; i++)
    x[i] *= a;
}

static float
scalar_dot_f16_f32 (const uint16_t *a, const float *b, int64_t n)
{
  double sum = 0.0;

  for (int64_t i = 0; i < n; i++)
    sum += (double) (gk_fp16_to_fp32 (a[i]) * b[i]);
  return (float) sum;
}

static void
scalar_axpy_f16 (float a, const uint16_t *x, float *y, int64_t n)
{
  for (int64_t i = 0; i < n; i++)
    y[i] += a * gk_fp16_to_fp32 (x[i]);
}

static double
scalar_exp_sum (float *x, int64_t n, float max)
{
  double sum = 0.0;

  for (int64_t i = 0; i < n; i++)
    {
      x[i] = expf (x[i] - max);
      sum += (double) x[i];
    }
  return sum;
}

static void
scalar_softcap_f32 (float *x, int64_t n, float cap)
{
  const float inv = 1.0f / cap;

  for (int64_t i = 0; i < n; i++)
    x[i] = tanhf (x[i] * inv) * cap;
}

void
gk_kernels_fill_scalar (gk_kernels *k)
{
  memset (k, 0, sizeof *k);
  k->name = "scalar";

  k->vec_dot[GK_TYPE_F32] = dot_f32_f32;
  k->vec_dot[GK_TYPE_F16] = dot_f16_f16;
  k->vec_dot[GK_TYPE_BF16] = dot_bf16_bf16;
  k->vec_dot[GK_TYPE_Q4_0] = dot_q4_0_q8_0;
  k->vec_dot[GK_TYPE_Q4_1] = dot_q4_1_q8_1;
  k->vec_dot[GK_TYPE_Q5_0] = dot_q5_0_q8_0;
  k->vec_dot[GK_TYPE_Q5_1] = dot_q5_1_q8_1;
  k->vec_dot[GK_TYPE_Q8_0] = dot_q8_0_q8_0;
  k->vec_dot[GK_TYPE_Q2_K] = dot_q2_K_q8_K;
  k->vec_dot[GK_TYPE_Q3_K] = dot_q3_K_q8_K;
  k->vec_dot[GK_TYPE_Q4_K] = dot_q4_K_q8_K;
  k->vec_dot[GK_TYPE_Q5_K] = dot_q5_K_q8_K;
  k->vec_dot[GK_TYPE_Q6_K] = dot_q6_K_q8_K;

  k->quantize_act[GK_TYPE_F32] = gk_ref_quant_f32;
  k->quantize_act[GK_TYPE_F16] = gk_ref_quant_f16;
  k->quantize_act[GK_TYPE_BF16] = gk_ref_quant_bf16;
  k->quantize_act[GK_TYPE_Q8_0] = gk_ref_quant_q8_0;
  k->quantize_act[GK_TYPE_Q8_1] = gk_ref_quant_q8_1;
  k->quantize_act[GK_TYPE_Q8_K] = gk_ref_quant_q8_K;

  k->fp16_to_fp32_row = gk_scalar_fp16_to_fp32_row;
  k->fp32_to_fp16_row = gk_scalar_fp32_to_fp16_row;
  k->bf16_to_fp32_row = gk_scalar_bf16_to_fp32_row;
  k->fp32_to_bf16_row = gk_scalar_fp32_to_bf16_row;
  k->dot_f32 = scalar_dot_f32;
  k->axpy_f32 = scalar_axpy_f32;
  k->scale_f32 = scalar_scale_f32;
  k->dot_f16_f32 = scalar_dot_f16_f32;
  k->axpy_f16 = scalar_axpy_f16;
  k->exp_sum = scalar_exp_sum;
  k->softcap_f32 = scalar_softcap_f32;
}
