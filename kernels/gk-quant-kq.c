/* gk-quant-kq.c — reference quantizers for the 256-value K formats.
 *
 * Each sub-block gets a scale (and for Q2_K/Q4_K/Q5_K a min) from a small
 * iterative search; the sub-block scales are then themselves quantized
 * against one F16 super-block scale, and finally every value is re-rounded
 * against the scale it will actually be decoded with.  The searches follow
 * ggml's make_qx_quants / make_q3_quants / make_qkx2_quants step by step
 * (same candidate scales, same float operation order, same nearest_int
 * rounding) so the output bytes match llama-quantize without an imatrix.
 * Build with -ffp-contract=off.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "gk-internal.h"

#include <math.h>

#define ALL_ZERO_EPS 1e-15f /* below this a group is treated as all zero */

static inline int
clampi (int v, int lo, int hi)
{
  return v < lo ? lo : v > hi ? hi : v;
}

static float
signed_absmax (const float *x, int n, float *amax_out)
{
  float amax = 0.0f, max = 0.0f;

  for (int i = 0; i < n; i++)
    if (fabsf (x[i]) > amax)
      {
        amax = fabsf (x[i]);
        max = x[i];
      }
  *amax_out = amax;
  return max;
}

/* Symmetric scale search weighted by x^2 (Q6_K).  Codes L are stored
 * biased by nmax; the largest-magnitude value maps to -nmax.  Tries 18
 * scales around nmax/max and keeps the one with the best weighted
 * least-squares fit. */
static float
search_scale_sym (int n, int nmax, const float *x, int8_t *L)
{
  float amax;
  const float max = signed_absmax (x, n, &amax);

  if (amax < ALL_ZERO_EPS)
    {
      memset (L, 0, (size_t) n);
      return 0.0f;
    }

  float iscale = -nmax / max;
  float sumlx = 0.0f, suml2 = 0.0f;
  for (int i = 0; i < n; i++)
    {
      int l = clampi (gk_nearest_int (iscale * x[i]), -nmax, nmax - 1);
      float w = x[i] * x[i];
      L[i] = (int8_t) (l + nmax);
      sumlx += w * x[i] * l;
      suml2 += w * l * l;
    }
  float scale = suml2 != 0.0f ? sumlx / suml2 : 0.0f;
  float best = scale * sumlx;

  for (int step = -9; step <= 9; step++)
    {
      if (step == 0)
        continue;
      iscale = -(nmax + 0.1f * step) / max;
      sumlx = suml2 = 0.0f;
      for (int i = 0; i < n; i++)
        {
          int l = clampi (gk_nearest_int (iscale * x[i]), -nmax, nmax - 1);
          float w = x[i] * x[i];
          sumlx += w * x[i] * l;
          suml2 += w * l * l;
        }
      /* sumlx^2/suml2 is the weighted energy captured by this scale */
      if (suml2 > 0.0f && sumlx * sumlx > best * suml2)
        {
          for (int i = 0; i < n; i++)
            L[i] = (int8_t) (nmax + clampi (gk_nearest_int (iscale * x[i]), -nmax, nmax - 1));
          scale = sumlx / suml2;
          best = scale * sumlx;
        }
    }
  return scale;
}

/* Symmetric search for Q3_K: start from nmax/max, then move single codes
 * (coordinate descent, at most 5 sweeps) while the x^2-weighted fit
 * improves.  Codes are returned biased by nmax. */
static float
search_scale_q3 (int n, int nmax, const float *x, int8_t *L)
{
  float amax;
  const float max = signed_absmax (x, n, &amax);

  if (amax < ALL_ZERO_EPS)
    {
      memset (L, 0, (size_t) n);
      return 0.0f;
    }

  const float iscale = -nmax / max;
  float sumlx = 0.0f, suml2 = 0.0f;
  for (int i = 0; i < n; i++)
    {
      int l = clampi (gk_nearest_int (iscale * x[i]), -nmax, nmax - 1);
      float w = x[i] * x[i];
      L[i] = (int8_t) l;
      sumlx += w * x[i] * l;
      suml2 += w * l * l;
    }
  for (int sweep = 0; sweep < 5; sweep++)
    {
      int changed = 0;
      for (int i = 0; i < n; i++)
        {
          float w = x[i] * x[i];
          float slx = sumlx - w * x[i] * L[i];
          if (slx <= 0.0f)
            continue;
          float sl2 = suml2 - w * L[i] * L[i];
          int nl = clampi (gk_nearest_int (x[i] * sl2 / slx), -nmax, nmax - 1);
          if (nl == L[i])
            continue;
          slx += w * x[i] * nl;
          sl2 += w * nl * nl;
          if (sl2 > 0.0f && slx * slx * suml2 > sumlx * sumlx * sl2)
            {
              L[i] = (int8_t) nl;
              sumlx = slx;
              suml2 = sl2;
              changed++;
            }
        }
      if (!changed)
        break;
    }
  for (int i = 0; i < n; i++)
    L[i] = (int8_t) (L[i] + nmax);
  return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
}

/* Asymmetric (scale, min) search for x ~ scale*L - min_out, L in 0..nmax
 * (Q2_K/Q4_K/Q5_K).  Starts from the min..max range, then tries nstep+1
 * stretched grids and, for each, solves the weighted least-squares fit of
 * scale and min; keeps the candidate with the smallest weighted error
 * (absolute when use_mad, squared otherwise).  The min is never positive,
 * so min_out >= 0. */
static float
search_scale_min (int n, int nmax, const float *x, const float *w,
                  uint8_t *L, float *min_out, uint8_t *Laux,
                  float rmin, float rdelta, int nstep, bool use_mad)
{
  float min = x[0], max = x[0];
  float sum_w = w[0];
  float sum_x = sum_w * x[0];

  for (int i = 1; i < n; i++)
    {
      if (x[i] < min)
        min = x[i];
      if (x[i] > max)
        max = x[i];
      sum_w += w[i];
      sum_x += w[i] * x[i];
    }
  if (min > 0.0f)
    min = 0.0f;
  if (max == min)
    {
      memset (L, 0, (size_t) n);
      *min_out = -min;
      return 0.0f;
    }

  float iscale = nmax / (max - min);
  float scale = 1 / iscale;
  float best_err = 0.0f;
  for (int i = 0; i < n; i++)
    {
      L[i] = (uint8_t) clampi (gk_nearest_int (iscale * (x[i] - min)), 0, nmax);
      float diff = scale * L[i] + min - x[i];
      diff = use_mad ? fabsf (diff) : diff * diff;
      best_err += w[i] * diff;
    }
  if (nstep < 1)
    {
      *min_out = -min;
      return scale;
    }

  for (int step = 0; step <= nstep; step++)
    {
      iscale = (rmin + rdelta * step + nmax) / (max - min);
      float sum_l = 0.0f, sum_l2 = 0.0f, sum_xl = 0.0f;
      for (int i = 0; i < n; i++)
        {
          int l = clampi (gk_nearest_int (iscale * (x[i] - min)), 0, nmax);
          Laux[i] = (uint8_t) l;
          sum_l += w[i] * l;
          sum_l2 += w[i] * l * l;
          sum_xl += w[i] * l * x[i];
        }
      float det = sum_w * sum_l2 - sum_l * sum_l;
      if (det <= 0.0f)
        continue;
      float s = (sum_w * sum_xl - sum_x * sum_l) / det;
      float m = (sum_l2 * sum_x - sum_l * sum_xl) / det;
      if (m > 0.0f)
        {
          m = 0.0f;
          s = sum_xl / sum_l2;
        }
      float err = 0.0f;
      for (int i = 0; i < n; i++)
        {
          float diff = s * Laux[i] + m - x[i];
          diff = use_mad ? fabsf (diff) : diff * diff;
          err += w[i] * diff;
        }
      if (err < best_err)
        {
          memcpy (L, Laux, (size_t) n);
          best_err = err;
          scale = s;
          min = m;
        }
    }
  *min_out = -min;
  return scale;
}

/* Pack 256 2-bit codes: byte l of each 32-byte half holds the codes of
 * values l, l+32, l+64, l+96 of that half in bits 0-1, 2-3, 4-5, 6-7. */
static void
pack_2bit (const uint8_t *L, uint8_t *qs)
{
  for (int j = 0; j < GK_QK_K; j += 128)
    for (int l = 0; l < 32; l++)
      qs[j / 4 + l] = (uint8_t) (L[j + l] | (L[j + l + 32] << 2)
                                 | (L[j + l + 64] << 4) | (L[j + l + 96] << 6));
}

void
gk_ref_quant_q2_K (const float *src, void *dst, int64_t n)
{
  gk_block_q2_K *b = dst;
  uint8_t L[GK_QK_K], Laux[16];
  float w[16], scales[16], mins[16];

  for (int64_t i = 0; i < n / GK_QK_K; i++, src += GK_QK_K)
    {
      float max_scale = 0.0f, max_min = 0.0f;

      for (int g = 0; g < 16; g++)
        {
          for (int l = 0; l < 16; l++)
            w[l] = fabsf (src[16 * g + l]);
          scales[g] = search_scale_min (16, 3, src + 16 * g, w, L + 16 * g, &mins[g],
                                        Laux, -0.5f, 0.1f, 15, true);
          if (scales[g] > max_scale)
            max_scale = scales[g];
          if (mins[g] > max_min)
            max_min = mins[g];
        }

      if (max_scale > 0.0f)
        {
          const float iscale = 15.0f / max_scale;
          for (int g = 0; g < 16; g++)
            b[i].scales[g] = (uint8_t) gk_nearest_int (iscale * scales[g]);
          b[i].d = gk_f2h (max_scale / 15.0f);
        }
      else
        {
          memset (b[i].scales, 0, sizeof b[i].scales);
          b[i].d = gk_f2h (0.0f);
        }
      if (max_min > 0.0f)
        {
          const float iscale = 15.0f / max_min;
          for (int g = 0; g < 16; g++)
            b[i].scales[g] |= (uint8_t) (gk_nearest_int (iscale * mins[g]) << 4);
          b[i].dmin = gk_f2h (max_min / 15.0f);
        }
      else
        b[i].dmin = gk_f2h (0.0f);

      for (int g = 0; g < 16; g++)
        {
          const float d = gk_h2f (b[i].d) * (b[i].scales[g] & 0x0f);
          if (d == 0.0f)
            continue;
          const float dm = gk_h2f (b[i].dmin) * (b[i].scales[g] >> 4);
          for (int l = 0; l < 16; l++)
            L[16 * g + l] = (uint8_t) clampi (gk_nearest_int ((src[16 * g + l] + dm) / d), 0, 3);
        }
      pack_2bit (L, b[i].qs);
    }
}

void
gk_ref_quant_q3_K (const float *src, void *dst, int64_t n)
{
  gk_block_q3_K *b = dst;
  int8_t L[GK_QK_K];
  float scales[16];

  for (int64_t i = 0; i < n / GK_QK_K; i++, src += GK_QK_K)
    {
      float max_scale = 0.0f, amax = 0.0f;

      for (int g = 0; g < 16; g++)
        {
          scales[g] = search_scale_q3 (16, 4, src + 16 * g, L + 16 * g);
          if (fabsf (scales[g]) > amax)
            {
              amax = fabsf (scales[g]);
              max_scale = scales[g];
            }
        }

      /* 6-bit scales biased by 32: low nibbles in bytes 0..7 (groups 0..7
       * low half, 8..15 high half), top 2 bits in bytes 8..11. */
      memset (b[i].scales, 0, sizeof b[i].scales);
      if (max_scale != 0.0f)
        {
          const float iscale = -32.0f / max_scale;
          for (int g = 0; g < 16; g++)
            {
              int l = (int8_t) gk_nearest_int (iscale * scales[g]);
              l = clampi (l, -32, 31) + 32;
              if (g < 8)
                b[i].scales[g] = (uint8_t) (l & 0x0f);
              else
                b[i].scales[g - 8] |= (uint8_t) ((l & 0x0f) << 4);
              b[i].scales[8 + g % 4] |= (uint8_t) ((l >> 4) << (2 * (g / 4)));
            }
          b[i].d = gk_f2h (1 / iscale);
        }
      else
        b[i].d = gk_f2h (0.0f);

      for (int g = 0; g < 16; g++)
        {
          int lo = g < 8 ? (b[i].scales[g] & 0x0f) : (b[i].scales[g - 8] >> 4);
          int sc = (lo | (((b[i].scales[8 + g % 4] >> (2 * (g / 4))) & 3) << 4)) - 32;
          const float d = gk_h2f (b[i].d) * sc;
          if (d == 0.0f)
            continue;
          for (int l = 0; l < 16; l++)
            L[16 * g + l] = (int8_t) (clampi (gk_nearest_int (src[16 * g + l] / d), -4, 3) + 4);
        }

      /* bit 2 of value j goes to hmask[j % 32], bit j / 32 */
      memset (b[i].hmask, 0, sizeof b[i].hmask);
      uint8_t codes[GK_QK_K];
      for (int j = 0; j < GK_QK_K; j++)
        {
          int v = L[j];
          if (v > 3)
            {
              b[i].hmask[j % 32] |= (uint8_t) (1u << (j / 32));
              v -= 4;
            }
          codes[j] = (uint8_t) v;
        }
      pack_2bit (codes, b[i].qs);
    }
}

/* Store eight 6-bit sub-block scales and mins into a Q4_K/Q5_K header;
 * the inverse of gk_k4_scale_min. */
static void
pack_k4_scales (const uint8_t ls[8], const uint8_t lm[8], uint8_t s[12])
{
  for (int j = 0; j < 4; j++)
    {
      s[j] = ls[j];
      s[j + 4] = lm[j];
    }
  for (int j = 4; j < 8; j++)
    {
      s[j + 4] = (uint8_t) ((ls[j] & 0x0f) | ((lm[j] & 0x0f) << 4));
      s[j - 4] |= (uint8_t) ((ls[j] >> 4) << 6);
      s[j] |= (uint8_t) ((lm[j] >> 4) << 6);
    }
}

/* Shared front half of Q4_K and Q5_K: per-32 scale/min search with
 * weights av|x| + |x_i|, 6-bit scale/min codes, final codes in L. */
static void
quant_k4_common (const float *x, int nmax, float rmin, int nstep,
                 gk_half *d_out, gk_half *dmin_out, uint8_t s[12], uint8_t L[GK_QK_K])
{
  uint8_t Laux[32], ls[8], lm[8];
  float w[32], scales[8], mins[8];
  float max_scale = 0.0f, max_min = 0.0f;

  for (int g = 0; g < 8; g++)
    {
      const float *xg = x + 32 * g;
      float sum_x2 = 0.0f;
      for (int l = 0; l < 32; l++)
        sum_x2 += xg[l] * xg[l];
      const float av_x = sqrtf (sum_x2 / 32);
      for (int l = 0; l < 32; l++)
        w[l] = av_x + fabsf (xg[l]);
      scales[g] = search_scale_min (32, nmax, xg, w, L + 32 * g, &mins[g], Laux,
                                    rmin, 0.1f, nstep, false);
      if (scales[g] > max_scale)
        max_scale = scales[g];
      if (mins[g] > max_min)
        max_min = mins[g];
    }

  const float inv_scale = max_scale > 0.0f ? 63.0f / max_scale : 0.0f;
  const float inv_min = max_min > 0.0f ? 63.0f / max_min : 0.0f;
  for (int g = 0; g < 8; g++)
    {
      /* ggml stores these through uint8_t before clamping; keep that */
      uint8_t a = (uint8_t) gk_nearest_int (inv_scale * scales[g]);
      uint8_t m = (uint8_t) gk_nearest_int (inv_min * mins[g]);
      ls[g] = a < 63 ? a : 63;
      lm[g] = m < 63 ? m : 63;
    }
  pack_k4_scales (ls, lm, s);
  *d_out = gk_f2h (max_scale / 63.0f);
  *dmin_out = gk_f2h (max_min / 63.0f);

  for (int g = 0; g < 8; g++)
    {
      uint8_t sc, m;
      gk_k4_scale_min (g, s, &sc, &m);
      const float d = gk_h2f (*d_out) * sc;
      if (d == 0.0f)
        continue;
      const float dm = gk_h2f (*dmin_out) * m;
      for (int l = 0; l < 32; l++)
        L[32 * g + l] = (uint8_t) clampi (gk_nearest_int ((x[32 * g + l] + dm) / d), 0, nmax);
    }
}

void
gk_ref_quant_q4_K (const float *src, void *dst, int64_t n)
{
  gk_block_q4_K *b = dst;
  uint8_t L[GK_QK_K];

  for (int64_t i = 0; i < n / GK_QK_K; i++, src += GK_QK_K)
    {
      quant_k4_common (src, 15, -1.0f, 20, &b[i].d, &b[i].dmin, b[i].scales, L);
      /* 64 values per 32 bytes: low nibbles the first 32, high the next */
      for (int j = 0; j < GK_QK_K; j += 64)
        for (int l = 0; l < 32; l++)
          b[i].qs[j / 2 + l] = (uint8_t) (L[j + l] | (L[j + l + 32] << 4));
    }
}

void
gk_ref_quant_q5_K (const float *src, void *dst, int64_t n)
{
  gk_block_q5_K *b = dst;
  uint8_t L[GK_QK_K];

  for (int64_t i = 0; i < n / GK_QK_K; i++, src += GK_QK_K)
    {
      quant_k4_common (src, 31, -0.5f, 15, &b[i].d, &b[i].dmin, b[i].scales, L);
      /* as Q4_K, plus bit 4 of the value in sub-block g at qh[l] bit g */
      memset (b[i].qh, 0, sizeof b[i].qh);
      for (int j = 0; j < GK_QK_K; j += 64)
        for (int l = 0; l < 32; l++)
          {
            int lo = L[j + l], hi = L[j + l + 32];
            const int g = j / 32;
            if (lo > 15)
              {
                lo -= 16;
                b[i].qh[l] |= (uint8_t) (1u << g);
              }
            if (hi > 15)
              {
                hi -= 16;
                b[i].qh[l] |= (uint8_t) (1u << (g + 1));
              }
            b[i].qs[j / 2 + l] = (uint8_t) (lo | (hi << 4));
          }
    }
}

void
gk_ref_quant_q6_K (const float *src, void *dst, int64_t n)
{
  gk_block_q6_K *b = dst;
  int8_t L[GK_QK_K];
  float scales[16];

  for (int64_t i = 0; i < n / GK_QK_K; i++, src += GK_QK_K)
    {
      float max_scale = 0.0f, max_abs = 0.0f;

      for (int g = 0; g < 16; g++)
        {
          scales[g] = search_scale_sym (16, 32, src + 16 * g, L + 16 * g);
          if (fabsf (scales[g]) > max_abs)
            {
              max_abs = fabsf (scales[g]);
              max_scale = scales[g];
            }
        }
      if (max_abs < ALL_ZERO_EPS)
        {
          memset (&b[i], 0, sizeof b[i]);
          continue;
        }

      const float iscale = -128.0f / max_scale;
      b[i].d = gk_f2h (1 / iscale);
      for (int g = 0; g < 16; g++)
        {
          int v = gk_nearest_int (iscale * scales[g]);
          b[i].scales[g] = (int8_t) (v < 127 ? v : 127);
        }
      for (int g = 0; g < 16; g++)
        {
          const float d = gk_h2f (b[i].d) * b[i].scales[g];
          if (d == 0.0f)
            continue;
          for (int l = 0; l < 16; l++)
            L[16 * g + l] = (int8_t) (clampi (gk_nearest_int (src[16 * g + l] / d), -32, 31) + 32);
        }

      /* per 128 values: ql[l] low nibble = value l, high = value l+64;
       * ql[l+32] = values l+32 / l+96; qh[l] = bits 4-5 of l, l+32, l+64,
       * l+96 in that order */
      for (int h = 0; h < 2; h++)
        {
          const int8_t *Lh = L + 128 * h;
          uint8_t *ql = b[i].ql + 64 * h;
          uint8_t *qh = b[i].qh + 32 * h;
          for (int l = 0; l < 32; l++)
            {
              ql[l] = (uint8_t) ((Lh[l] & 0x0f) | ((Lh[l + 64] & 0x0f) << 4));
              ql[l + 32] = (uint8_t) ((Lh[l + 32] & 0x0f) | ((Lh[l + 96] & 0x0f) << 4));
              qh[l] = (uint8_t) ((Lh[l] >> 4) | ((Lh[l + 32] >> 4) << 2)
                                 | ((Lh[l + 64] >> 4) << 4) | ((Lh[l + 96] >> 4) << 6));
            }
        }
    }
}
