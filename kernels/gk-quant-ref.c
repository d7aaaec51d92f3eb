/* gk-quant-ref.c — reference quantizers for the 32-value formats, the
 * activation formats and the float types.
 *
 * These reproduce ggml's *_ref quantizers bit for bit (same scale choice,
 * same rounding, same float operation order), so a GGUF file we write holds
 * the bytes llama-quantize would have written for the same F32 input.
 * Build with -ffp-contract=off: a fused multiply-add changes the results.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "gk-internal.h"

#include <float.h>
#include <math.h>

void
gk_ref_quant_f32 (const float *src, void *dst, int64_t n)
{
  memcpy (dst, src, (size_t) n * sizeof (float));
}

void
gk_ref_quant_f16 (const float *src, void *dst, int64_t n)
{
  gk_scalar_fp32_to_fp16_row (src, dst, n);
}

void
gk_ref_quant_bf16 (const float *src, void *dst, int64_t n)
{
  gk_scalar_fp32_to_bf16_row (src, dst, n);
}

/* The signed value of largest magnitude (the first one on ties): the
 * symmetric formats map it to the most negative code, which gains one
 * level of range over max|x| / (2^(b-1) - 1). */
static float
signed_absmax (const float *x, int n)
{
  float amax = 0.0f, max = 0.0f;

  for (int j = 0; j < n; j++)
    if (fabsf (x[j]) > amax)
      {
        amax = fabsf (x[j]);
        max = x[j];
      }
  return max;
}

static void
min_max (const float *x, int n, float *min_out, float *max_out)
{
  float min = FLT_MAX, max = -FLT_MAX;

  for (int j = 0; j < n; j++)
    {
      if (x[j] < min)
        min = x[j];
      if (x[j] > max)
        max = x[j];
    }
  *min_out = min;
  *max_out = max;
}

/* Truncating float -> small int conversion, as ggml's (int8_t)/(uint8_t)
 * casts do for in-range values (inputs here are always >= 0). */
static inline int
trunc_code (float v, int max_code)
{
  int q = (int) v;
  return q < max_code ? q : max_code;
}

void
gk_ref_quant_q4_0 (const float *src, void *dst, int64_t n)
{
  gk_block_q4_0 *b = dst;

  for (int64_t i = 0; i < n / GK_QK32; i++, src += GK_QK32)
    {
      const float d = signed_absmax (src, GK_QK32) / -8;
      const float id = d != 0.0f ? 1.0f / d : 0.0f;

      b[i].d = gk_f2h (d);
      for (int j = 0; j < GK_QK32 / 2; j++)
        {
          int lo = trunc_code (src[j] * id + 8.5f, 15);
          int hi = trunc_code (src[j + 16] * id + 8.5f, 15);
          b[i].qs[j] = (uint8_t) (lo | (hi << 4));
        }
    }
}

void
gk_ref_quant_q4_1 (const float *src, void *dst, int64_t n)
{
  gk_block_q4_1 *b = dst;

  for (int64_t i = 0; i < n / GK_QK32; i++, src += GK_QK32)
    {
      float min, max;
      min_max (src, GK_QK32, &min, &max);
      const float d = (max - min) / 15;
      const float id = d != 0.0f ? 1.0f / d : 0.0f;

      b[i].d = gk_f2h (d);
      b[i].m = gk_f2h (min);
      for (int j = 0; j < GK_QK32 / 2; j++)
        {
          int lo = trunc_code ((src[j] - min) * id + 0.5f, 15);
          int hi = trunc_code ((src[j + 16] - min) * id + 0.5f, 15);
          b[i].qs[j] = (uint8_t) (lo | (hi << 4));
        }
    }
}

/* Split 32 five-bit codes into nibbles and a 32-bit mask of high bits. */
static void
pack_q5 (const int *codes, uint8_t qs[16], uint8_t qh_out[4])
{
  uint32_t qh = 0;

  for (int j = 0; j < 16; j++)
    {
      qs[j] = (uint8_t) ((codes[j] & 0x0f) | ((codes[j + 16] & 0x0f) << 4));
      qh |= (uint32_t) ((codes[j] >> 4) & 1) << j;
      qh |= (uint32_t) ((codes[j + 16] >> 4) & 1) << (j + 16);
    }
  for (int k = 0; k < 4; k++)
    qh_out[k] = (uint8_t) (qh >> (8 * k));
}

void
gk_ref_quant_q5_0 (const float *src, void *dst, int64_t n)
{
  gk_block_q5_0 *b = dst;

  for (int64_t i = 0; i < n / GK_QK32; i++, src += GK_QK32)
    {
      const float d = signed_absmax (src, GK_QK32) / -16;
      const float id = d != 0.0f ? 1.0f / d : 0.0f;
      int codes[GK_QK32];

      b[i].d = gk_f2h (d);
      for (int j = 0; j < GK_QK32; j++)
        codes[j] = trunc_code (src[j] * id + 16.5f, 31);
      pack_q5 (codes, b[i].qs, b[i].qh);
    }
}

void
gk_ref_quant_q5_1 (const float *src, void *dst, int64_t n)
{
  gk_block_q5_1 *b = dst;

  for (int64_t i = 0; i < n / GK_QK32; i++, src += GK_QK32)
    {
      float min, max;
      min_max (src, GK_QK32, &min, &max);
      const float d = (max - min) / 31;
      const float id = d != 0.0f ? 1.0f / d : 0.0f;
      int codes[GK_QK32];

      b[i].d = gk_f2h (d);
      b[i].m = gk_f2h (min);
      /* ggml does not clamp here; a code of 32 keeps only its low bits */
      for (int j = 0; j < GK_QK32; j++)
        codes[j] = (uint8_t) (int) ((src[j] - min) * id + 0.5f);
      pack_q5 (codes, b[i].qs, b[i].qh);
    }
}

static float
absmax (const float *x, int n)
{
  float amax = 0.0f;

  /* written as a comparison, not fmaxf, so a NaN propagates as in ggml */
  for (int j = 0; j < n; j++)
    amax = amax > fabsf (x[j]) ? amax : fabsf (x[j]);
  return amax;
}

void
gk_ref_quant_q8_0 (const float *src, void *dst, int64_t n)
{
  gk_block_q8_0 *b = dst;

  for (int64_t i = 0; i < n / GK_QK32; i++, src += GK_QK32)
    {
      const float d = absmax (src, GK_QK32) / 127;
      const float id = d != 0.0f ? 1.0f / d : 0.0f;

      b[i].d = gk_f2h (d);
      for (int j = 0; j < GK_QK32; j++)
        b[i].qs[j] = (int8_t) roundf (src[j] * id);
    }
}

void
gk_ref_quant_q8_1 (const float *src, void *dst, int64_t n)
{
  gk_block_q8_1 *b = dst;

  for (int64_t i = 0; i < n / GK_QK32; i++, src += GK_QK32)
    {
      const float d = absmax (src, GK_QK32) / 127;
      const float id = d != 0.0f ? 1.0f / d : 0.0f;
      int sum = 0;

      b[i].d = gk_f2h (d);
      for (int j = 0; j < GK_QK32; j++)
        {
          b[i].qs[j] = (int8_t) roundf (src[j] * id);
          sum += b[i].qs[j];
        }
      b[i].s = gk_f2h ((float) sum * d);
    }
}

void
gk_ref_quant_q8_K (const float *src, void *dst, int64_t n)
{
  gk_block_q8_K *b = dst;

  for (int64_t i = 0; i < n / GK_QK_K; i++, src += GK_QK_K)
    {
      const float max = signed_absmax (src, GK_QK_K);

      if (max == 0.0f)
        {
          memset (&b[i], 0, sizeof b[i]);
          continue;
        }
      /* -127 rather than -128 keeps every code in [-127, 127] */
      const float iscale = -127.0f / max;
      for (int j = 0; j < GK_QK_K; j++)
        {
          int v = gk_nearest_int (iscale * src[j]);
          b[i].qs[j] = (int8_t) (v < 127 ? v : 127);
        }
      for (int g = 0; g < GK_QK_K / 16; g++)
        {
          int sum = 0;
          for (int l = 0; l < 16; l++)
            sum += b[i].qs[16 * g + l];
          b[i].bsums[g] = (int16_t) sum;
        }
      b[i].d = 1 / iscale;
    }
}
