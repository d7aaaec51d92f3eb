/* gk-neon.c — kernels for AArch64 with Advanced SIMD and the dot-product
 * extension (SDOT, ARMv8.2-A DotProd).
 *
 * Compiled on its own with -march=armv8.2-a+dotprod while the rest of the
 * library stays at baseline armv8-a, so one binary runs on any AArch64 CPU:
 * gk-dispatch.c installs this table only when HWCAP_ASIMDDP says the CPU
 * has SDOT.
 *
 * Integer parts are exact (SDOT adds four int8 products into each int32
 * lane).  Q4_0/Q8_0 scale each block's four lanes with one FMA into two
 * float accumulators (even and odd blocks), the shape of ggml's NEON
 * kernels; the K-quant super-blocks use the scalar kernel's float
 * expression, so with the same Q8_K codes (quant_act_q8_K reproduces the
 * reference quantizer) their results equal the scalar ones bit for bit.
 *
 * Matrix products take tiles of one weight row by up to four activation
 * columns, unpacking each weight block once per tile.  vec_dot runs the
 * same tile with one column, so every output is computed by the same
 * operations whatever the tiling.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "gk-internal.h"

#include <arm_neon.h>
#include <math.h>

#define ALWAYS_INLINE static inline __attribute__ ((always_inline))
/* fixed-count loops over the tile's columns must unroll so their arrays
 * of vectors stay in registers */
#define UNROLL _Pragma ("GCC unroll 8")

/* most columns in one tile */
#define NC_MAX 4

/* F16 -> F32 with the FCVT instruction: exact, like gk_fp16_to_fp32 */
ALWAYS_INLINE float
h2f (gk_half h)
{
  return vgetq_lane_f32 (vcvt_f32_f16 (vreinterpret_f16_u16 (vdup_n_u16 (h))), 0);
}

ALWAYS_INLINE int32x4_t
dot16x2 (int8x16_t a0, int8x16_t a1, const int8_t *y)
{
  return vdotq_s32 (vdotq_s32 (vdupq_n_s32 (0), a0, vld1q_s8 (y)), a1, vld1q_s8 (y + 16));
}

/* ---- activation quantizers -------------------------------------------- */

/* One block of 32 as ggml's NEON converter: d = max|x| / 127, codes
 * x · (1/d) rounded to nearest-even (the scalar one rounds ties away).
 * Returns the code sum (for Q8_1) and d unrounded in *d_f32. */
ALWAYS_INLINE int
quant_q8_block (const float *x, gk_half *d_out, int8_t *qs, float *d_f32)
{
  float32x4_t v[8], m;
  int32x4_t q[8];

  for (int j = 0; j < 8; j++)
    v[j] = vld1q_f32 (x + 4 * j);
  m = vabsq_f32 (v[0]);
  for (int j = 1; j < 8; j++)
    m = vmaxq_f32 (m, vabsq_f32 (v[j]));
  const float amax = vmaxvq_f32 (m);
  const float d = amax / 127.0f;
  const float id = d != 0.0f ? 1.0f / d : 0.0f;

  *d_f32 = d;
  *d_out = gk_f2h (d);
  for (int j = 0; j < 8; j++)
    q[j] = vcvtnq_s32_f32 (vmulq_n_f32 (v[j], id));
  for (int j = 0; j < 2; j++)
    {
      const int16x8_t lo = vcombine_s16 (vqmovn_s32 (q[4 * j]), vqmovn_s32 (q[4 * j + 1]));
      const int16x8_t hi = vcombine_s16 (vqmovn_s32 (q[4 * j + 2]), vqmovn_s32 (q[4 * j + 3]));

      vst1q_s8 (qs + 16 * j, vcombine_s8 (vqmovn_s16 (lo), vqmovn_s16 (hi)));
    }
  return vaddvq_s32 (vaddq_s32 (vaddq_s32 (vaddq_s32 (q[0], q[1]), vaddq_s32 (q[2], q[3])),
                                vaddq_s32 (vaddq_s32 (q[4], q[5]), vaddq_s32 (q[6], q[7]))));
}

static void
quant_act_q8_0 (const float *x, void *dst, int64_t k)
{
  gk_block_q8_0 *b = dst;
  float d;

  for (int64_t i = 0; i < k / GK_QK32; i++)
    quant_q8_block (x + 32 * i, &b[i].d, b[i].qs, &d);
}

static void
quant_act_q8_1 (const float *x, void *dst, int64_t k)
{
  gk_block_q8_1 *b = dst;

  for (int64_t i = 0; i < k / GK_QK32; i++)
    {
      float d;
      const int sum = quant_q8_block (x + 32 * i, &b[i].d, b[i].qs, &d);

      /* s from the unrounded d, as in ggml */
      b[i].s = gk_f2h (d * (float) sum);
    }
}

/* Q8_K, the same bytes as gk_ref_quant_q8_K: the scale comes from the
 * first value of largest magnitude (its sign included), codes are
 * round-to-nearest-even of iscale·x (what gk_nearest_int computes for
 * these magnitudes), capped at 127. */
static void
quant_act_q8_K (const float *x, void *dst, int64_t k)
{
  gk_block_q8_K *b = dst;

  for (int64_t i = 0; i < k / GK_QK_K; i++, x += GK_QK_K)
    {
      /* maxnm skips NaNs, as the reference's comparison does */
      float32x4_t m = vabsq_f32 (vld1q_f32 (x));
      for (int j = 4; j < GK_QK_K; j += 4)
        m = vmaxnmq_f32 (m, vabsq_f32 (vld1q_f32 (x + j)));
      const float amax = vmaxnmvq_f32 (m);
      float max = 0.0f;

      if (amax > 0.0f)
        for (int j = 0; j < GK_QK_K; j += 4)
          if (vmaxvq_u32 (vceqq_f32 (vabsq_f32 (vld1q_f32 (x + j)), vdupq_n_f32 (amax))))
            {
              int l = 0;
              while (fabsf (x[j + l]) != amax)
                l++;
              max = x[j + l];
              break;
            }
      if (max == 0.0f)
        {
          memset (&b[i], 0, sizeof b[i]);
          continue;
        }
      const float iscale = -127.0f / max;
      for (int j = 0; j < GK_QK_K; j += 16)
        {
          int32x4_t q[4];

          for (int l = 0; l < 4; l++)
            q[l] = vminq_s32 (vcvtnq_s32_f32 (vmulq_n_f32 (vld1q_f32 (x + j + 4 * l), iscale)),
                              vdupq_n_s32 (127));
          const int16x8_t lo = vcombine_s16 (vqmovn_s32 (q[0]), vqmovn_s32 (q[1]));
          const int16x8_t hi = vcombine_s16 (vqmovn_s32 (q[2]), vqmovn_s32 (q[3]));
          const int8x16_t c = vcombine_s8 (vqmovn_s16 (lo), vqmovn_s16 (hi));

          vst1q_s8 (b[i].qs + j, c);
          b[i].bsums[j / 16] = (int16_t) vaddlvq_s8 (c);
        }
      b[i].d = 1 / iscale;
    }
}

/* ---- row conversions ---------------------------------------------------- */

static void
neon_fp16_to_fp32_row (const uint16_t *src, float *dst, int64_t n)
{
  int64_t i = 0;

  /* FCVT keeps a NaN's payload and sets its quiet bit, as the scalar does */
  for (; i + 8 <= n; i += 8)
    {
      const float16x8_t h = vreinterpretq_f16_u16 (vld1q_u16 (src + i));

      vst1q_f32 (dst + i, vcvt_f32_f16 (vget_low_f16 (h)));
      vst1q_f32 (dst + i + 4, vcvt_high_f32_f16 (h));
    }
  for (; i < n; i++)
    dst[i] = gk_fp16_to_fp32 (src[i]);
}

/* 4 floats to F16, rounding to nearest-even; a NaN becomes the canonical
 * quiet NaN with its sign, as gk_fp32_to_fp16 gives (FCVT would keep the
 * payload). */
ALWAYS_INLINE uint16x4_t
f32x4_to_f16 (float32x4_t v)
{
  const uint16x4_t h = vreinterpret_u16_f16 (vcvt_f16_f32 (v));
  const uint16x4_t sign = vand_u16 (vshrn_n_u32 (vreinterpretq_u32_f32 (v), 16), vdup_n_u16 (0x8000));
  const uint16x4_t qnan = vorr_u16 (sign, vdup_n_u16 (0x7e00));

  return vbsl_u16 (vmovn_u32 (vceqq_f32 (v, v)), h, qnan);
}

static void
neon_fp32_to_fp16_row (const float *src, uint16_t *dst, int64_t n)
{
  int64_t i = 0;

  for (; i + 8 <= n; i += 8)
    vst1q_u16 (dst + i, vcombine_u16 (f32x4_to_f16 (vld1q_f32 (src + i)),
                                      f32x4_to_f16 (vld1q_f32 (src + i + 4))));
  for (; i < n; i++)
    dst[i] = gk_fp32_to_fp16 (src[i]);
}

static void
neon_bf16_to_fp32_row (const uint16_t *src, float *dst, int64_t n)
{
  int64_t i = 0;

  for (; i + 8 <= n; i += 8)
    {
      const uint16x8_t h = vld1q_u16 (src + i);

      vst1q_f32 (dst + i, vreinterpretq_f32_u32 (vshll_n_u16 (vget_low_u16 (h), 16)));
      vst1q_f32 (dst + i + 4, vreinterpretq_f32_u32 (vshll_high_n_u16 (h, 16)));
    }
  for (; i < n; i++)
    dst[i] = gk_bf16_to_fp32 (src[i]);
}

/* gk_fp32_to_bf16 on 4 lanes: round to nearest-even in integers, a NaN
 * truncated and forced quiet. */
ALWAYS_INLINE uint16x4_t
f32x4_to_bf16 (float32x4_t v)
{
  const uint32x4_t x = vreinterpretq_u32_f32 (v);
  const uint32x4_t odd = vandq_u32 (vshrq_n_u32 (x, 16), vdupq_n_u32 (1));
  const uint16x4_t r = vshrn_n_u32 (vaddq_u32 (x, vaddq_u32 (odd, vdupq_n_u32 (0x7fff))), 16);
  const uint16x4_t qnan = vorr_u16 (vshrn_n_u32 (x, 16), vdup_n_u16 (0x40));

  return vbsl_u16 (vmovn_u32 (vceqq_f32 (v, v)), r, qnan);
}

static void
neon_fp32_to_bf16_row (const float *src, uint16_t *dst, int64_t n)
{
  int64_t i = 0;

  for (; i + 8 <= n; i += 8)
    vst1q_u16 (dst + i, vcombine_u16 (f32x4_to_bf16 (vld1q_f32 (src + i)),
                                      f32x4_to_bf16 (vld1q_f32 (src + i + 4))));
  for (; i < n; i++)
    dst[i] = gk_fp32_to_bf16 (src[i]);
}

/* F16/BF16 activations for the float weight rows */
static void
quant_act_f16 (const float *x, void *dst, int64_t k)
{
  neon_fp32_to_fp16_row (x, dst, k);
}

static void
quant_act_bf16 (const float *x, void *dst, int64_t k)
{
  neon_fp32_to_bf16_row (x, dst, k);
}

/* ---- float dots and element-wise helpers --------------------------------- */

ALWAYS_INLINE float32x4_t
load_f16x4 (const uint16_t *p)
{
  return vcvt_f32_f16 (vreinterpret_f16_u16 (vld1_u16 (p)));
}

ALWAYS_INLINE float32x4_t
load_bf16x4 (const uint16_t *p)
{
  return vreinterpretq_f32_u32 (vshll_n_u16 (vld1_u16 (p), 16));
}

ALWAYS_INLINE float32x4_t
load_f32x4 (const float *p)
{
  return vld1q_f32 (p);
}

ALWAYS_INLINE float
id_f32 (float x)
{
  return x;
}

/* 8 accumulators of 4 lanes (32 partial sums, as many as the AVX2 dots
 * keep), combined pairwise; the tail is added in double like the scalar
 * kernels. */
#define FLOAT_DOT(fname, TA, TB, LOADA, LOADB, SCALARA, SCALARB)                \
  static float fname (const TA *a, const TB *b, int64_t n)                        \
  {                                                                               \
    float32x4_t s[8];                                                             \
    int64_t i = 0;                                                                \
    for (int j = 0; j < 8; j++)                                                   \
      s[j] = vdupq_n_f32 (0.0f);                                                  \
    for (; i + 32 <= n; i += 32)                                                  \
      for (int j = 0; j < 8; j++)                                                 \
        s[j] = vfmaq_f32 (s[j], LOADA (a + i + 4 * j), LOADB (b + i + 4 * j));    \
    for (int j = 0; j < 4; j++)                                                   \
      s[j] = vaddq_f32 (s[j], s[j + 4]);                                          \
    s[0] = vaddq_f32 (vaddq_f32 (s[0], s[2]), vaddq_f32 (s[1], s[3]));            \
    double sum = vaddvq_f32 (s[0]);                                               \
    for (; i < n; i++)                                                            \
      sum += (double) (SCALARA (a[i]) * SCALARB (b[i]));                          \
    return (float) sum;                                                           \
  }

FLOAT_DOT (neon_dot_f32, float, float, load_f32x4, load_f32x4, id_f32, id_f32)
FLOAT_DOT (neon_dot_f16, uint16_t, uint16_t, load_f16x4, load_f16x4, gk_fp16_to_fp32,
           gk_fp16_to_fp32)
FLOAT_DOT (neon_dot_bf16, uint16_t, uint16_t, load_bf16x4, load_bf16x4, gk_bf16_to_fp32,
           gk_bf16_to_fp32)
FLOAT_DOT (neon_dot_f16_f32, uint16_t, float, load_f16x4, load_f32x4, gk_fp16_to_fp32, id_f32)

static float
vdot_f32 (const void *w, const void *x, int64_t k)
{
  return neon_dot_f32 (w, x, k);
}

static float
vdot_f16 (const void *w, const void *x, int64_t k)
{
  return neon_dot_f16 (w, x, k);
}

static float
vdot_bf16 (const void *w, const void *x, int64_t k)
{
  return neon_dot_bf16 (w, x, k);
}

static void
neon_axpy_f32 (float a, const float *x, float *y, int64_t n)
{
  int64_t i = 0;

  for (; i + 8 <= n; i += 8)
    {
      vst1q_f32 (y + i, vfmaq_n_f32 (vld1q_f32 (y + i), vld1q_f32 (x + i), a));
      vst1q_f32 (y + i + 4, vfmaq_n_f32 (vld1q_f32 (y + i + 4), vld1q_f32 (x + i + 4), a));
    }
  for (; i < n; i++)
    y[i] += a * x[i];
}

static void
neon_axpy_f16 (float a, const uint16_t *x, float *y, int64_t n)
{
  int64_t i = 0;

  for (; i + 8 <= n; i += 8)
    {
      vst1q_f32 (y + i, vfmaq_n_f32 (vld1q_f32 (y + i), load_f16x4 (x + i), a));
      vst1q_f32 (y + i + 4, vfmaq_n_f32 (vld1q_f32 (y + i + 4), load_f16x4 (x + i + 4), a));
    }
  for (; i < n; i++)
    y[i] += a * gk_fp16_to_fp32 (x[i]);
}

static void
neon_scale_f32 (float *x, float a, int64_t n)
{
  int64_t i = 0;

  for (; i + 4 <= n; i += 4)
    vst1q_f32 (x + i, vmulq_n_f32 (vld1q_f32 (x + i), a));
  for (; i < n; i++)
    x[i] *= a;
}

/* ---- quantized tiles: one weight row x nc activation columns ------------- */

/* One block i of a Q4_0 or Q8_0 row against nc columns: the signed codes
 * (Q4_0: nibbles minus 8) go straight into SDOT, and each column's four
 * int32 lanes are scaled into acc[c] with one FMA. */
ALWAYS_INLINE void
step_q32 (bool q4, const void *vw, const gk_block_q8_0 *const *x, int64_t i, int nc,
          float32x4_t *acc)
{
  int8x16_t lo, hi;
  float dw;

  if (q4)
    {
      const gk_block_q4_0 *w = (const gk_block_q4_0 *) vw + i;
      const uint8x16_t q = vld1q_u8 (w->qs);
      const int8x16_t eight = vdupq_n_s8 (8);

      lo = vsubq_s8 (vreinterpretq_s8_u8 (vandq_u8 (q, vdupq_n_u8 (0x0f))), eight);
      hi = vsubq_s8 (vreinterpretq_s8_u8 (vshrq_n_u8 (q, 4)), eight);
      dw = h2f (w->d);
    }
  else
    {
      const gk_block_q8_0 *w = (const gk_block_q8_0 *) vw + i;

      lo = vld1q_s8 (w->qs);
      hi = vld1q_s8 (w->qs + 16);
      dw = h2f (w->d);
    }
  UNROLL for (int c = 0; c < nc; c++)
    {
      const int32x4_t p = dot16x2 (lo, hi, x[c][i].qs);

      acc[c] = vfmaq_n_f32 (acc[c], vcvtq_f32_s32 (p), dw * h2f (x[c][i].d));
    }
}

/* Even and odd blocks in separate accumulator chains, written out (an
 * index i & 1 would keep the accumulators in memory). */
ALWAYS_INLINE void
tile_q32 (bool q4, const void *w, int64_t nb, const void *const *vx, int nc, float *out)
{
  const gk_block_q8_0 *x[NC_MAX];
  float32x4_t acc0[NC_MAX], acc1[NC_MAX];
  int64_t i = 0;

  UNROLL for (int c = 0; c < nc; c++)
    {
      x[c] = vx[c];
      acc0[c] = acc1[c] = vdupq_n_f32 (0.0f);
    }
  for (; i + 2 <= nb; i += 2)
    {
      step_q32 (q4, w, x, i, nc, acc0);
      step_q32 (q4, w, x, i + 1, nc, acc1);
    }
  if (i < nb)
    step_q32 (q4, w, x, i, nc, acc0);
  UNROLL for (int c = 0; c < nc; c++)
    out[c] = vaddvq_f32 (vaddq_f32 (acc0[c], acc1[c]));
}

ALWAYS_INLINE void
tile_q4_0 (const void *w, int64_t nb, const void *const *vx, int nc, float *out)
{
  tile_q32 (true, w, nb, vx, nc, out);
}

ALWAYS_INLINE void
tile_q8_0 (const void *w, int64_t nb, const void *const *vx, int nc, float *out)
{
  tile_q32 (false, w, nb, vx, nc, out);
}

/* Σ m_g · (bsums of group g) for the 8 groups of 32 of a Q8_K block. */
ALWAYS_INLINE int32_t
q8_K_min_sum (const gk_block_q8_K *x, int16x8_t mins)
{
  /* pairwise: the sums of the 8 groups of 32 (each |.| <= 32·127) */
  const int16x8_t g = vpaddq_s16 (vld1q_s16 (x->bsums), vld1q_s16 (x->bsums + 8));
  const int32x4_t p = vmlal_high_s16 (vmull_s16 (vget_low_s16 (g), vget_low_s16 (mins)), g, mins);

  return vaddvq_s32 (p);
}

/* Q4_K x Q8_K: each pair of 32-value groups is 32 bytes of nibbles; the
 * group sums are multiplied by their 6-bit scales in the int32 lanes, the
 * mins meet the activation's group sums. */
ALWAYS_INLINE void
tile_q4_K (const void *vw, int64_t nb, const void *const *vx, int nc, float *out)
{
  const gk_block_q4_K *w = vw;
  const gk_block_q8_K *x[NC_MAX];
  const uint8x16_t m4 = vdupq_n_u8 (0x0f);
  float sum[NC_MAX];

  UNROLL for (int c = 0; c < nc; c++)
    {
      x[c] = vx[c];
      sum[c] = 0.0f;
    }
  for (int64_t i = 0; i < nb; i++)
    {
      uint8_t sc[8], mn[8];
      int32x4_t acc[NC_MAX];

      for (int g = 0; g < 8; g++)
        gk_k4_scale_min (g, w[i].scales, &sc[g], &mn[g]);
      const int16x8_t mins = vreinterpretq_s16_u16 (vmovl_u8 (vld1_u8 (mn)));
      const float d = h2f (w[i].d), dmin = h2f (w[i].dmin);

      UNROLL for (int c = 0; c < nc; c++)
        acc[c] = vdupq_n_s32 (0);
      for (int j = 0; j < 4; j++)
        {
          const uint8x16_t q0 = vld1q_u8 (w[i].qs + 32 * j), q1 = vld1q_u8 (w[i].qs + 32 * j + 16);
          const int8x16_t l0 = vreinterpretq_s8_u8 (vandq_u8 (q0, m4));
          const int8x16_t l1 = vreinterpretq_s8_u8 (vandq_u8 (q1, m4));
          const int8x16_t h0 = vreinterpretq_s8_u8 (vshrq_n_u8 (q0, 4));
          const int8x16_t h1 = vreinterpretq_s8_u8 (vshrq_n_u8 (q1, 4));

          UNROLL for (int c = 0; c < nc; c++)
            {
              const int8_t *y = x[c][i].qs + 64 * j;

              acc[c] = vmlaq_n_s32 (acc[c], dot16x2 (l0, l1, y), sc[2 * j]);
              acc[c] = vmlaq_n_s32 (acc[c], dot16x2 (h0, h1, y + 32), sc[2 * j + 1]);
            }
        }
      UNROLL for (int c = 0; c < nc; c++)
        {
          const int32_t isum = vaddvq_s32 (acc[c]), msum = q8_K_min_sum (&x[c][i], mins);
          const float dx = x[c][i].d;

          /* the scalar kernel's expression, term for term */
          sum[c] += dx * d * (float) isum - dx * dmin * (float) msum;
        }
    }
  UNROLL for (int c = 0; c < nc; c++)
    out[c] = sum[c];
}

/* Q6_K x Q8_K: 16 codes (one scale group) a vector: 4 low bits from ql,
 * 2 high bits from qh, minus 32. */
ALWAYS_INLINE int8x16_t
q6_codes (uint8x16_t ql, uint8x16_t qh, int shift)
{
  const uint8x16_t hi = vshlq_n_u8 (vandq_u8 (shift ? vshrq_n_u8 (qh, 2) : qh, vdupq_n_u8 (3)), 4);

  return vsubq_s8 (vreinterpretq_s8_u8 (vorrq_u8 (ql, hi)), vdupq_n_s8 (32));
}

ALWAYS_INLINE void
tile_q6_K (const void *vw, int64_t nb, const void *const *vx, int nc, float *out)
{
  const gk_block_q6_K *w = vw;
  const gk_block_q8_K *x[NC_MAX];
  const uint8x16_t m4 = vdupq_n_u8 (0x0f);
  float sum[NC_MAX];

  UNROLL for (int c = 0; c < nc; c++)
    {
      x[c] = vx[c];
      sum[c] = 0.0f;
    }
  for (int64_t i = 0; i < nb; i++)
    {
      int32x4_t acc[NC_MAX];

      UNROLL for (int c = 0; c < nc; c++)
        acc[c] = vdupq_n_s32 (0);
      for (int half = 0; half < 2; half++)
        {
          const uint8_t *ql = w[i].ql + 64 * half, *qhp = w[i].qh + 32 * half;
          const int8_t *sc = w[i].scales + 8 * half;
          const uint8x16_t l0 = vld1q_u8 (ql), l1 = vld1q_u8 (ql + 16);
          const uint8x16_t l2 = vld1q_u8 (ql + 32), l3 = vld1q_u8 (ql + 48);
          const uint8x16_t h0 = vld1q_u8 (qhp), h1 = vld1q_u8 (qhp + 16);
          int8x16_t q[8];

          /* vector g holds group g of the half: values 16g..16g+15 */
          q[0] = q6_codes (vandq_u8 (l0, m4), h0, 0);
          q[1] = q6_codes (vandq_u8 (l1, m4), h1, 0);
          q[2] = q6_codes (vandq_u8 (l2, m4), h0, 1);
          q[3] = q6_codes (vandq_u8 (l3, m4), h1, 1);
          q[4] = q6_codes (vshrq_n_u8 (l0, 4), vshrq_n_u8 (h0, 4), 0);
          q[5] = q6_codes (vshrq_n_u8 (l1, 4), vshrq_n_u8 (h1, 4), 0);
          q[6] = q6_codes (vshrq_n_u8 (l2, 4), vshrq_n_u8 (h0, 4), 1);
          q[7] = q6_codes (vshrq_n_u8 (l3, 4), vshrq_n_u8 (h1, 4), 1);
          UNROLL for (int c = 0; c < nc; c++)
            {
              const int8_t *y = x[c][i].qs + 128 * half;

              UNROLL for (int g = 0; g < 8; g++)
                acc[c] = vmlaq_n_s32 (acc[c], vdotq_s32 (vdupq_n_s32 (0), q[g], vld1q_s8 (y + 16 * g)),
                                      sc[g]);
            }
        }
      const float d = h2f (w[i].d);

      UNROLL for (int c = 0; c < nc; c++)
        sum[c] += d * x[c][i].d * (float) vaddvq_s32 (acc[c]);
    }
  UNROLL for (int c = 0; c < nc; c++)
    out[c] = sum[c];
}

/* Rows in blocks whose weights stay in L2, activation columns in tiles of
 * up to NC_MAX that stay in L1 while the rows of the block go by. */
#define ROW_BLOCK_BYTES (128 * 1024)

#define QUANT_KERNELS(NAME, QK)                                                          \
  static float vdot_##NAME (const void *w, const void *x, int64_t k)                     \
  {                                                                                      \
    const void *xs[1] = { x };                                                           \
    float out[1];                                                                        \
    tile_##NAME (w, k / (QK), xs, 1, out);                                               \
    return out[0];                                                                       \
  }                                                                                      \
                                                                                         \
  static void matmul_##NAME (const void *w, size_t w_row_bytes, int64_t k, int64_t r0,   \
                             int64_t r1, const void *xq, size_t xq_row_bytes,            \
                             int64_t n_cols, float *y, size_t y_stride)                  \
  {                                                                                      \
    const int64_t nb = k / (QK);                                                         \
    int64_t rb = (int64_t) (ROW_BLOCK_BYTES / (w_row_bytes ? w_row_bytes : 1));          \
                                                                                         \
    rb = rb < 1 ? 1 : rb;                                                                \
    for (int64_t b0 = r0; b0 < r1; b0 += rb)                                             \
      {                                                                                  \
        const int64_t b1 = r1 - b0 > rb ? b0 + rb : r1;                                  \
        for (int64_t c0 = 0; c0 < n_cols; c0 += NC_MAX)                                  \
          {                                                                              \
            const int nc = n_cols - c0 > NC_MAX ? NC_MAX : (int) (n_cols - c0);          \
            const void *xs[NC_MAX];                                                      \
            for (int c = 0; c < nc; c++)                                                 \
              xs[c] = (const char *) xq + (size_t) (c0 + c) * xq_row_bytes;              \
            for (int64_t r = b0; r < b1; r++)                                            \
              {                                                                          \
                const void *wr = (const char *) w + (size_t) r * w_row_bytes;            \
                float out[NC_MAX];                                                       \
                switch (nc)                                                              \
                  {                                                                      \
                  case 4: tile_##NAME (wr, nb, xs, 4, out); break;                       \
                  case 3: tile_##NAME (wr, nb, xs, 3, out); break;                       \
                  case 2: tile_##NAME (wr, nb, xs, 2, out); break;                       \
                  default: tile_##NAME (wr, nb, xs, 1, out); break;                      \
                  }                                                                      \
                for (int c = 0; c < nc; c++)                                             \
                  y[(size_t) (c0 + c) * y_stride + (size_t) r] = out[c];                 \
              }                                                                          \
          }                                                                              \
      }                                                                                  \
  }

QUANT_KERNELS (q4_0, GK_QK32)
QUANT_KERNELS (q8_0, GK_QK32)
QUANT_KERNELS (q4_K, GK_QK_K)
QUANT_KERNELS (q6_K, GK_QK_K)

void
gk_kernels_fill_neon (gk_kernels *k)
{
#define SET(T, NAME)                       \
  k->vec_dot[GK_TYPE_##T] = vdot_##NAME;  \
  k->matmul[GK_TYPE_##T] = matmul_##NAME
  SET (Q4_0, q4_0);
  SET (Q8_0, q8_0);
  SET (Q4_K, q4_K);
  SET (Q6_K, q6_K);
#undef SET
  k->vec_dot[GK_TYPE_F32] = vdot_f32;
  k->vec_dot[GK_TYPE_F16] = vdot_f16;
  k->vec_dot[GK_TYPE_BF16] = vdot_bf16;

  k->quantize_act[GK_TYPE_Q8_0] = quant_act_q8_0;
  k->quantize_act[GK_TYPE_Q8_1] = quant_act_q8_1;
  k->quantize_act[GK_TYPE_Q8_K] = quant_act_q8_K;
  k->quantize_act[GK_TYPE_F16] = quant_act_f16;
  k->quantize_act[GK_TYPE_BF16] = quant_act_bf16;

  k->fp16_to_fp32_row = neon_fp16_to_fp32_row;
  k->fp32_to_fp16_row = neon_fp32_to_fp16_row;
  k->bf16_to_fp32_row = neon_bf16_to_fp32_row;
  k->fp32_to_bf16_row = neon_fp32_to_bf16_row;
  k->dot_f32 = neon_dot_f32;
  k->axpy_f32 = neon_axpy_f32;
  k->scale_f32 = neon_scale_f32;
  k->dot_f16_f32 = neon_dot_f16_f32;
  k->axpy_f16 = neon_axpy_f16;
}
