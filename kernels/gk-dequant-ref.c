/* gk-dequant-ref.c — scalar reference dequantization of every supported type.
 *
 * The arithmetic order follows ggml's reference (e.g. d*sc*q is (d*sc)*q and
 * K-quant mins are subtracted after the multiply) so that embedding rows
 * fetched through here equal llama.cpp's get_rows bit for bit.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "gk-internal.h"

void
gk_ref_dequant_f32 (const void *src, float *dst, int64_t n)
{
  memcpy (dst, src, (size_t) n * sizeof (float));
}

void
gk_ref_dequant_f16 (const void *src, float *dst, int64_t n)
{
  gk_scalar_fp16_to_fp32_row (src, dst, n);
}

void
gk_ref_dequant_bf16 (const void *src, float *dst, int64_t n)
{
  gk_scalar_bf16_to_fp32_row (src, dst, n);
}

void
gk_ref_dequant_q4_0 (const void *src, float *dst, int64_t n)
{
  const gk_block_q4_0 *b = src;

  for (int64_t i = 0; i < n / GK_QK32; i++, dst += GK_QK32)
    {
      const float d = gk_h2f (b[i].d);
      for (int j = 0; j < GK_QK32 / 2; j++)
        {
          dst[j] = (float) ((b[i].qs[j] & 0x0f) - 8) * d;
          dst[j + 16] = (float) ((b[i].qs[j] >> 4) - 8) * d;
        }
    }
}

void
gk_ref_dequant_q4_1 (const void *src, float *dst, int64_t n)
{
  const gk_block_q4_1 *b = src;

  for (int64_t i = 0; i < n / GK_QK32; i++, dst += GK_QK32)
    {
      const float d = gk_h2f (b[i].d);
      const float m = gk_h2f (b[i].m);
      for (int j = 0; j < GK_QK32 / 2; j++)
        {
          dst[j] = (float) (b[i].qs[j] & 0x0f) * d + m;
          dst[j + 16] = (float) (b[i].qs[j] >> 4) * d + m;
        }
    }
}

static inline uint32_t
load_u32_le (const uint8_t *p)
{
  return (uint32_t) p[0] | ((uint32_t) p[1] << 8) | ((uint32_t) p[2] << 16)
         | ((uint32_t) p[3] << 24);
}

void
gk_ref_dequant_q5_0 (const void *src, float *dst, int64_t n)
{
  const gk_block_q5_0 *b = src;

  for (int64_t i = 0; i < n / GK_QK32; i++, dst += GK_QK32)
    {
      const float d = gk_h2f (b[i].d);
      const uint32_t qh = load_u32_le (b[i].qh);
      for (int j = 0; j < GK_QK32 / 2; j++)
        {
          int lo = (b[i].qs[j] & 0x0f) | (int) (((qh >> j) & 1u) << 4);
          int hi = (b[i].qs[j] >> 4) | (int) (((qh >> (j + 16)) & 1u) << 4);
          dst[j] = (float) (lo - 16) * d;
          dst[j + 16] = (float) (hi - 16) * d;
        }
    }
}

void
gk_ref_dequant_q5_1 (const void *src, float *dst, int64_t n)
{
  const gk_block_q5_1 *b = src;

  for (int64_t i = 0; i < n / GK_QK32; i++, dst += GK_QK32)
    {
      const float d = gk_h2f (b[i].d);
      const float m = gk_h2f (b[i].m);
      const uint32_t qh = load_u32_le (b[i].qh);
      for (int j = 0; j < GK_QK32 / 2; j++)
        {
          int lo = (b[i].qs[j] & 0x0f) | (int) (((qh >> j) & 1u) << 4);
          int hi = (b[i].qs[j] >> 4) | (int) (((qh >> (j + 16)) & 1u) << 4);
          dst[j] = (float) lo * d + m;
          dst[j + 16] = (float) hi * d + m;
        }
    }
}

void
gk_ref_dequant_q8_0 (const void *src, float *dst, int64_t n)
{
  const gk_block_q8_0 *b = src;

  for (int64_t i = 0; i < n / GK_QK32; i++, dst += GK_QK32)
    {
      const float d = gk_h2f (b[i].d);
      for (int j = 0; j < GK_QK32; j++)
        dst[j] = (float) b[i].qs[j] * d;
    }
}

void
gk_ref_dequant_q8_1 (const void *src, float *dst, int64_t n)
{
  const gk_block_q8_1 *b = src;

  for (int64_t i = 0; i < n / GK_QK32; i++, dst += GK_QK32)
    {
      const float d = gk_h2f (b[i].d);
      for (int j = 0; j < GK_QK32; j++)
        dst[j] = (float) b[i].qs[j] * d;
    }
}

void
gk_ref_dequant_q2_K (const void *src, float *dst, int64_t n)
{
  const gk_block_q2_K *b = src;

  for (int64_t i = 0; i < n / GK_QK_K; i++)
    {
      const float d = gk_h2f (b[i].d);
      const float dmin = gk_h2f (b[i].dmin);
      const uint8_t *q = b[i].qs;
      int g = 0; /* group of 16 values, 0..15 */

      /* Two halves of 128; each byte holds four 2-bit values that belong
       * to four consecutive 32-value slices. */
      for (int half = 0; half < 2; half++, q += 32)
        for (int shift = 0; shift < 8; shift += 2)
          for (int part = 0; part < 2; part++, g++)
            {
              const uint8_t sc = b[i].scales[g];
              const float dl = d * (float) (sc & 0x0f);
              const float ml = dmin * (float) (sc >> 4);
              for (int l = 0; l < 16; l++)
                *dst++ = dl * (float) ((q[16 * part + l] >> shift) & 3) - ml;
            }
    }
}

/* Unpack the sixteen 6-bit Q3_K scales (stored offset by 32). */
static void
q3_K_scales (const uint8_t *s, int8_t out[16])
{
  for (int j = 0; j < 16; j++)
    {
      int lo = j < 8 ? (s[j] & 0x0f) : (s[j - 8] >> 4);
      int hi = (s[8 + j % 4] >> (2 * (j / 4))) & 3;
      out[j] = (int8_t) ((lo | (hi << 4)) - 32);
    }
}

void
gk_ref_dequant_q3_K (const void *src, float *dst, int64_t n)
{
  const gk_block_q3_K *b = src;

  for (int64_t i = 0; i < n / GK_QK_K; i++)
    {
      const float d = gk_h2f (b[i].d);
      const uint8_t *q = b[i].qs;
      const uint8_t *hm = b[i].hmask;
      int8_t sc[16];
      uint8_t mask = 1;
      int g = 0;

      q3_K_scales (b[i].scales, sc);
      for (int half = 0; half < 2; half++, q += 32)
        for (int shift = 0; shift < 8; shift += 2, mask <<= 1)
          for (int part = 0; part < 2; part++, g++)
            {
              const float dl = d * (float) sc[g];
              for (int l = 0; l < 16; l++)
                {
                  int v = (q[16 * part + l] >> shift) & 3;
                  if (!(hm[16 * part + l] & mask))
                    v -= 4;
                  *dst++ = dl * (float) v;
                }
            }
    }
}

void
gk_ref_dequant_q4_K (const void *src, float *dst, int64_t n)
{
  const gk_block_q4_K *b = src;

  for (int64_t i = 0; i < n / GK_QK_K; i++)
    {
      const float d = gk_h2f (b[i].d);
      const float dmin = gk_h2f (b[i].dmin);
      const uint8_t *q = b[i].qs;

      for (int g = 0; g < 8; g += 2, q += 32)
        {
          uint8_t sc, m;
          gk_k4_scale_min (g, b[i].scales, &sc, &m);
          const float d1 = d * (float) sc, m1 = dmin * (float) m;
          gk_k4_scale_min (g + 1, b[i].scales, &sc, &m);
          const float d2 = d * (float) sc, m2 = dmin * (float) m;
          for (int l = 0; l < 32; l++)
            *dst++ = d1 * (float) (q[l] & 0x0f) - m1;
          for (int l = 0; l < 32; l++)
            *dst++ = d2 * (float) (q[l] >> 4) - m2;
        }
    }
}

void
gk_ref_dequant_q5_K (const void *src, float *dst, int64_t n)
{
  const gk_block_q5_K *b = src;

  for (int64_t i = 0; i < n / GK_QK_K; i++)
    {
      const float d = gk_h2f (b[i].d);
      const float dmin = gk_h2f (b[i].dmin);
      const uint8_t *q = b[i].qs;
      const uint8_t *qh = b[i].qh;

      for (int g = 0; g < 8; g += 2, q += 32)
        {
          uint8_t sc, m;
          gk_k4_scale_min (g, b[i].scales, &sc, &m);
          const float d1 = d * (float) sc, m1 = dmin * (float) m;
          gk_k4_scale_min (g + 1, b[i].scales, &sc, &m);
          const float d2 = d * (float) sc, m2 = dmin * (float) m;
          /* the high bits of groups g and g+1 are bits g and g+1 of qh[l] */
          for (int l = 0; l < 32; l++)
            *dst++ = d1 * (float) ((q[l] & 0x0f) | (((qh[l] >> g) & 1) << 4)) - m1;
          for (int l = 0; l < 32; l++)
            *dst++ = d2 * (float) ((q[l] >> 4) | (((qh[l] >> (g + 1)) & 1) << 4)) - m2;
        }
    }
}

void
gk_ref_dequant_q6_K (const void *src, float *dst, int64_t n)
{
  const gk_block_q6_K *b = src;

  for (int64_t i = 0; i < n / GK_QK_K; i++)
    {
      const float d = gk_h2f (b[i].d);
      const uint8_t *ql = b[i].ql;
      const uint8_t *qh = b[i].qh;
      const int8_t *sc = b[i].scales;

      for (int half = 0; half < 2; half++, ql += 64, qh += 32, sc += 8, dst += 128)
        for (int l = 0; l < 32; l++)
          {
            const int s = l / 16;
            int q1 = ((ql[l] & 0x0f) | (((qh[l] >> 0) & 3) << 4)) - 32;
            int q2 = ((ql[l + 32] & 0x0f) | (((qh[l] >> 2) & 3) << 4)) - 32;
            int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
            int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
            dst[l] = d * (float) sc[s] * (float) q1;
            dst[l + 32] = d * (float) sc[s + 2] * (float) q2;
            dst[l + 64] = d * (float) sc[s + 4] * (float) q3;
            dst[l + 96] = d * (float) sc[s + 6] * (float) q4;
          }
    }
}

void
gk_ref_dequant_q8_K (const void *src, float *dst, int64_t n)
{
  const gk_block_q8_K *b = src;

  for (int64_t i = 0; i < n / GK_QK_K; i++)
    for (int j = 0; j < GK_QK_K; j++)
      *dst++ = b[i].d * (float) b[i].qs[j];
}
