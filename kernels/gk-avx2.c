/* gk-avx2.c — kernels for x86-64 with AVX2, FMA and F16C.
 *
 * Compiled on its own with -mavx2 -mfma -mf16c; nothing here runs unless
 * gk-dispatch.c found the CPU and OS support.  Integer parts of each dot
 * product are exact; the float accumulation follows the shape of ggml's
 * AVX2 kernels (8 lanes, one fused multiply-add per block, the same final
 * horizontal sum) so results agree with llama.cpp on the same CPU.
 *
 * Matrix products process up to four activation columns per weight block:
 * the block is unpacked once and reused, which is what makes prefill
 * cheaper per token than decode.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "gk-internal.h"

#include <immintrin.h>

#define ALWAYS_INLINE static inline __attribute__ ((always_inline))
#define TILE 4 /* activation columns per pass over a weight row */

ALWAYS_INLINE float
hsum8 (__m256 v)
{
  __m128 r = _mm_add_ps (_mm256_extractf128_ps (v, 1), _mm256_castps256_ps128 (v));
  r = _mm_add_ps (r, _mm_movehl_ps (r, r));
  r = _mm_add_ss (r, _mm_movehdup_ps (r));
  return _mm_cvtss_f32 (r);
}

ALWAYS_INLINE int
hsum8_i32 (__m256i v)
{
  __m128i s = _mm_add_epi32 (_mm256_castsi256_si128 (v), _mm256_extracti128_si256 (v, 1));
  s = _mm_add_epi32 (s, _mm_unpackhi_epi64 (s, s));
  s = _mm_add_epi32 (s, _mm_shuffle_epi32 (s, _MM_SHUFFLE (2, 3, 0, 1)));
  return _mm_cvtsi128_si32 (s);
}

ALWAYS_INLINE float
h2f (gk_half h)
{
  return _cvtsh_ss (h);
}

/* 16 bytes of nibbles -> 32 bytes: low nibbles first, then high nibbles,
 * i.e. values 0..31 of a Q4_0/Q4_1/Q5 block in order. */
ALWAYS_INLINE __m256i
unpack_nibbles (const uint8_t *p)
{
  const __m128i b = _mm_loadu_si128 ((const __m128i *) p);
  const __m256i both = _mm256_set_m128i (_mm_srli_epi16 (b, 4), b);
  return _mm256_and_si256 (both, _mm256_set1_epi8 (0x0f));
}

/* 32 bits -> 32 bytes of 0xff where the bit is set. */
ALWAYS_INLINE __m256i
expand_bits (const uint8_t *p)
{
  uint32_t bits;
  memcpy (&bits, p, 4);
  const __m256i sel = _mm256_set_epi64x (0x0303030303030303ll, 0x0202020202020202ll,
                                         0x0101010101010101ll, 0x0000000000000000ll);
  __m256i v = _mm256_shuffle_epi8 (_mm256_set1_epi32 ((int) bits), sel);
  /* each byte keeps one bit of its source byte; set all the others */
  v = _mm256_or_si256 (v, _mm256_set1_epi64x (0x7fbfdfeff7fbfdfell));
  return _mm256_cmpeq_epi8 (v, _mm256_set1_epi64x (-1));
}

/* Sum of products of signed bytes in groups of four -> 8 floats.  maddubs
 * needs one unsigned operand, so move x's sign onto y. */
ALWAYS_INLINE __m256
dot_i8_lanes (__m256i ax, __m256i x, __m256i y)
{
  const __m256i sy = _mm256_sign_epi8 (y, x);
  const __m256i p16 = _mm256_maddubs_epi16 (ax, sy);
  return _mm256_cvtepi32_ps (_mm256_madd_epi16 (p16, _mm256_set1_epi16 (1)));
}

/* Unsigned bytes (< 128) times signed bytes, groups of four -> 8 floats. */
ALWAYS_INLINE __m256
dot_u8_lanes (__m256i ux, __m256i y)
{
  const __m256i p16 = _mm256_maddubs_epi16 (ux, y);
  return _mm256_cvtepi32_ps (_mm256_madd_epi16 (p16, _mm256_set1_epi16 (1)));
}

/* ---- activation quantizers -------------------------------------------- */

/* One Q8 block of 32: d = max/127 as F16, codes round(x * 127/max) to
 * nearest-even (ggml's AVX2 converter, not its scalar one).  Returns the
 * code sum for Q8_1 and the unrounded d in *d_f32. */
ALWAYS_INLINE int
quant_q8_block (const float *x, gk_half *d_out, int8_t *qs, float *d_f32)
{
  __m256 v0 = _mm256_loadu_ps (x), v1 = _mm256_loadu_ps (x + 8);
  __m256 v2 = _mm256_loadu_ps (x + 16), v3 = _mm256_loadu_ps (x + 24);
  const __m256 sign = _mm256_set1_ps (-0.0f);
  __m256 m = _mm256_andnot_ps (sign, v0);
  m = _mm256_max_ps (m, _mm256_andnot_ps (sign, v1));
  m = _mm256_max_ps (m, _mm256_andnot_ps (sign, v2));
  m = _mm256_max_ps (m, _mm256_andnot_ps (sign, v3));
  __m128 m4 = _mm_max_ps (_mm256_extractf128_ps (m, 1), _mm256_castps256_ps128 (m));
  m4 = _mm_max_ps (m4, _mm_movehl_ps (m4, m4));
  m4 = _mm_max_ss (m4, _mm_movehdup_ps (m4));
  const float amax = _mm_cvtss_f32 (m4);

  *d_f32 = amax / 127.0f;
  *d_out = _cvtss_sh (*d_f32, _MM_FROUND_TO_NEAREST_INT);
  const __m256 mul = _mm256_set1_ps (amax != 0.0f ? 127.0f / amax : 0.0f);
  const int rnd = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;
  __m256i i0 = _mm256_cvtps_epi32 (_mm256_round_ps (_mm256_mul_ps (v0, mul), rnd));
  __m256i i1 = _mm256_cvtps_epi32 (_mm256_round_ps (_mm256_mul_ps (v1, mul), rnd));
  __m256i i2 = _mm256_cvtps_epi32 (_mm256_round_ps (_mm256_mul_ps (v2, mul), rnd));
  __m256i i3 = _mm256_cvtps_epi32 (_mm256_round_ps (_mm256_mul_ps (v3, mul), rnd));
  const int sum = hsum8_i32 (_mm256_add_epi32 (_mm256_add_epi32 (i0, i1), _mm256_add_epi32 (i2, i3)));

  /* packs work per 128-bit lane; the permute restores element order */
  __m256i p = _mm256_packs_epi16 (_mm256_packs_epi32 (i0, i1), _mm256_packs_epi32 (i2, i3));
  p = _mm256_permutevar8x32_epi32 (p, _mm256_setr_epi32 (0, 4, 1, 5, 2, 6, 3, 7));
  _mm256_storeu_si256 ((__m256i *) qs, p);
  return sum;
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
      /* s uses the unrounded d, as in ggml */
      b[i].s = _cvtss_sh (d * (float) sum, _MM_FROUND_TO_NEAREST_INT);
    }
}

/* ---- row conversions ---------------------------------------------------- */

static void
avx2_fp16_to_fp32_row (const uint16_t *src, float *dst, int64_t n)
{
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps (dst + i, _mm256_cvtph_ps (_mm_loadu_si128 ((const __m128i *) (src + i))));
  for (; i < n; i++)
    dst[i] = gk_fp16_to_fp32 (src[i]);
}

static void
avx2_fp32_to_fp16_row (const float *src, uint16_t *dst, int64_t n)
{
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    {
      const __m256 v = _mm256_loadu_ps (src + i);
      /* F16C keeps NaN payloads; the scalar converter (like ggml's) returns
       * the canonical NaN.  Take the fast path only when there is no NaN. */
      if (_mm256_movemask_ps (_mm256_cmp_ps (v, v, _CMP_UNORD_Q)))
        {
          for (int j = 0; j < 8; j++)
            dst[i + j] = gk_fp32_to_fp16 (src[i + j]);
          continue;
        }
      _mm_storeu_si128 ((__m128i *) (dst + i), _mm256_cvtps_ph (v, _MM_FROUND_TO_NEAREST_INT));
    }
  for (; i < n; i++)
    dst[i] = gk_fp32_to_fp16 (src[i]);
}

static void
quant_act_f16 (const float *x, void *dst, int64_t k)
{
  avx2_fp32_to_fp16_row (x, dst, k);
}

static void
avx2_bf16_to_fp32_row (const uint16_t *src, float *dst, int64_t n)
{
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    {
      __m256i v = _mm256_cvtepu16_epi32 (_mm_loadu_si128 ((const __m128i *) (src + i)));
      _mm256_storeu_ps (dst + i, _mm256_castsi256_ps (_mm256_slli_epi32 (v, 16)));
    }
  for (; i < n; i++)
    dst[i] = gk_bf16_to_fp32 (src[i]);
}

ALWAYS_INLINE __m256
load_bf16x8 (const uint16_t *p)
{
  __m256i v = _mm256_cvtepu16_epi32 (_mm_loadu_si128 ((const __m128i *) p));
  return _mm256_castsi256_ps (_mm256_slli_epi32 (v, 16));
}

ALWAYS_INLINE __m256
load_f16x8 (const uint16_t *p)
{
  return _mm256_cvtph_ps (_mm_loadu_si128 ((const __m128i *) p));
}

/* ---- float dots: 4 accumulators x 8 lanes, like ggml's F32/F16 path ---- */

ALWAYS_INLINE float
reduce4 (__m256 a0, __m256 a1, __m256 a2, __m256 a3)
{
  a0 = _mm256_add_ps (a0, a2);
  a1 = _mm256_add_ps (a1, a3);
  a0 = _mm256_add_ps (a0, a1);
  const __m128 t0 = _mm_add_ps (_mm256_castps256_ps128 (a0), _mm256_extractf128_ps (a0, 1));
  const __m128 t1 = _mm_hadd_ps (t0, t0);
  return _mm_cvtss_f32 (_mm_hadd_ps (t1, t1));
}

#define FLOAT_DOT(fname, TA, TB, LOADA, LOADB, SCALARA, SCALARB)             \
  static float fname (const TA *a, const TB *b, int64_t n)                     \
  {                                                                            \
    __m256 s0 = _mm256_setzero_ps (), s1 = s0, s2 = s0, s3 = s0;               \
    int64_t i = 0;                                                             \
    for (; i + 32 <= n; i += 32)                                               \
      {                                                                        \
        s0 = _mm256_fmadd_ps (LOADA (a + i), LOADB (b + i), s0);               \
        s1 = _mm256_fmadd_ps (LOADA (a + i + 8), LOADB (b + i + 8), s1);       \
        s2 = _mm256_fmadd_ps (LOADA (a + i + 16), LOADB (b + i + 16), s2);     \
        s3 = _mm256_fmadd_ps (LOADA (a + i + 24), LOADB (b + i + 24), s3);     \
      }                                                                        \
    double sum = reduce4 (s0, s1, s2, s3);                                     \
    for (; i < n; i++)                                                         \
      sum += (double) (SCALARA (a[i]) * SCALARB (b[i]));                       \
    return (float) sum;                                                        \
  }

#define IDF(x) (x)
FLOAT_DOT (avx2_dot_f32, float, float, _mm256_loadu_ps, _mm256_loadu_ps, IDF, IDF)
FLOAT_DOT (avx2_dot_f16, uint16_t, uint16_t, load_f16x8, load_f16x8, gk_fp16_to_fp32, gk_fp16_to_fp32)
FLOAT_DOT (avx2_dot_bf16, uint16_t, uint16_t, load_bf16x8, load_bf16x8, gk_bf16_to_fp32, gk_bf16_to_fp32)
FLOAT_DOT (avx2_dot_f16_f32, uint16_t, float, load_f16x8, _mm256_loadu_ps, gk_fp16_to_fp32, IDF)

static float
vdot_f32 (const void *w, const void *x, int64_t k)
{
  return avx2_dot_f32 (w, x, k);
}

static float
vdot_f16 (const void *w, const void *x, int64_t k)
{
  return avx2_dot_f16 (w, x, k);
}

static float
vdot_bf16 (const void *w, const void *x, int64_t k)
{
  return avx2_dot_bf16 (w, x, k);
}

static void
avx2_axpy_f32 (float a, const float *x, float *y, int64_t n)
{
  const __m256 va = _mm256_set1_ps (a);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps (y + i, _mm256_fmadd_ps (va, _mm256_loadu_ps (x + i), _mm256_loadu_ps (y + i)));
  for (; i < n; i++)
    y[i] += a * x[i];
}

static void
avx2_axpy_f16 (float a, const uint16_t *x, float *y, int64_t n)
{
  const __m256 va = _mm256_set1_ps (a);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps (y + i, _mm256_fmadd_ps (va, load_f16x8 (x + i), _mm256_loadu_ps (y + i)));
  for (; i < n; i++)
    y[i] += a * gk_fp16_to_fp32 (x[i]);
}

static void
avx2_scale_f32 (float *x, float a, int64_t n)
{
  const __m256 va = _mm256_set1_ps (a);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps (x + i, _mm256_mul_ps (_mm256_loadu_ps (x + i), va));
  for (; i < n; i++)
    x[i] *= a;
}

/* ---- quantized dots ---------------------------------------------------
 *
 * Each format is written once as an always-inline tile over nr weight rows
 * and nc activation columns (nr * nc <= 4), instantiated with constants so
 * the accumulator arrays live in registers.  Several rows per pass hide
 * the latency of the per-block multiply-add chain in decode (one column);
 * several columns per pass reuse each unpacked weight block in prefill.
 * Every (row, column) output keeps its own accumulator and block order, so
 * the result does not depend on the tiling. */

#define MAXT 4

/* accumulate sum(sc * pairs) of int16 pairs into int32 lanes */
ALWAYS_INLINE __m256i
madd_acc (__m256i acc, __m256i sc16, __m256i p16)
{
#ifdef GK_AVX512_BUILD
  return _mm256_dpwssd_epi32 (acc, sc16, p16);
#else
  return _mm256_add_epi32 (acc, _mm256_madd_epi16 (sc16, p16));
#endif
}

#define Q32_TILE(NAME, WBLOCK, XBLOCK, UNPACK, DOT, HAS_MIN)                           \
  ALWAYS_INLINE void                                                                   \
  tile_##NAME (const WBLOCK *const *w, int nr, const XBLOCK *const *x, int nc,        \
               int64_t nb, float out[MAXT][MAXT])                                      \
  {                                                                                    \
    __m256 acc[MAXT][MAXT];                                                            \
    float summ[MAXT][MAXT];                                                            \
    for (int r = 0; r < nr; r++)                                                       \
      for (int c = 0; c < nc; c++)                                                     \
        {                                                                              \
          acc[r][c] = _mm256_setzero_ps ();                                            \
          summ[r][c] = 0.0f;                                                           \
        }                                                                              \
    for (int64_t i = 0; i < nb; i++)                                                   \
      for (int r = 0; r < nr; r++)                                                     \
        {                                                                              \
          const WBLOCK *b = &w[r][i];                                                  \
          const __m256i q = UNPACK (b);                                                \
          const __m256i aq = _mm256_sign_epi8 (q, q);                                  \
          (void) aq;                                                                   \
          const float wd = h2f (b->d);                                                 \
          for (int c = 0; c < nc; c++)                                                 \
            {                                                                          \
              const __m256 d = _mm256_set1_ps (wd * h2f (x[c][i].d));                  \
              const __m256i y = _mm256_loadu_si256 ((const __m256i *) x[c][i].qs);     \
              if (HAS_MIN)                                                             \
                summ[r][c] += block_min (b) * block_sum (&x[c][i]);                    \
              acc[r][c] = _mm256_fmadd_ps (d, DOT (aq, q, y), acc[r][c]);              \
            }                                                                          \
        }                                                                              \
    for (int r = 0; r < nr; r++)                                                       \
      for (int c = 0; c < nc; c++)                                                     \
        out[r][c] = HAS_MIN ? hsum8 (acc[r][c]) + summ[r][c] : hsum8 (acc[r][c]);      \
  }

ALWAYS_INLINE __m256i
unpack_q4_0 (const gk_block_q4_0 *b)
{
  return _mm256_sub_epi8 (unpack_nibbles (b->qs), _mm256_set1_epi8 (8));
}

ALWAYS_INLINE __m256i
unpack_q8_0 (const gk_block_q8_0 *b)
{
  return _mm256_loadu_si256 ((const __m256i *) b->qs);
}

ALWAYS_INLINE __m256i
unpack_q5_0 (const gk_block_q5_0 *b)
{
  /* code - 16 = nibble - (high bit clear ? 16 : 0): set the top nibble */
  const __m256i hi = _mm256_andnot_si256 (expand_bits (b->qh), _mm256_set1_epi8 ((char) 0xf0));
  return _mm256_or_si256 (unpack_nibbles (b->qs), hi);
}

ALWAYS_INLINE __m256i
unpack_q4_1 (const gk_block_q4_1 *b)
{
  return unpack_nibbles (b->qs);
}

ALWAYS_INLINE __m256i
unpack_q5_1 (const gk_block_q5_1 *b)
{
  const __m256i hi = _mm256_and_si256 (expand_bits (b->qh), _mm256_set1_epi8 (0x10));
  return _mm256_or_si256 (unpack_nibbles (b->qs), hi);
}

/* signed weights: sign trick; unsigned weights: direct */
#define DOT_S(aq, q, y) dot_i8_lanes (aq, q, y)
#define DOT_U(aq, q, y) dot_u8_lanes (q, y)

/* Q4_1/Q5_1: value = q*d + m, so m * (dx * sum qx) = m * s is added. */
#define block_min(b) h2f ((b)->m)
#define block_sum(xb) h2f ((xb)->s)

Q32_TILE (q4_0, gk_block_q4_0, gk_block_q8_0, unpack_q4_0, DOT_S, 0)
Q32_TILE (q8_0, gk_block_q8_0, gk_block_q8_0, unpack_q8_0, DOT_S, 0)
Q32_TILE (q5_0, gk_block_q5_0, gk_block_q8_0, unpack_q5_0, DOT_S, 0)
Q32_TILE (q4_1, gk_block_q4_1, gk_block_q8_1, unpack_q4_1, DOT_U, 1)
Q32_TILE (q5_1, gk_block_q5_1, gk_block_q8_1, unpack_q5_1, DOT_U, 1)

/* Q6_K: codes 0..63 are used unsigned (maddubs), and the bias of 32 is
 * removed afterwards through the Q8_K per-16 sums: sum(sc*(q-32)*y) =
 * sum(sc*q*y) - 32*sum(sc*bsum). */
ALWAYS_INLINE void
tile_q6_K (const gk_block_q6_K *const *w, int nr, const gk_block_q8_K *const *x, int nc,
           int64_t nb, float out[MAXT][MAXT])
{
  const __m256i m4 = _mm256_set1_epi8 (0x0f);
  const __m256i m2 = _mm256_set1_epi8 (0x03);
  __m256 acc[MAXT][MAXT];

  for (int r = 0; r < nr; r++)
    for (int c = 0; c < nc; c++)
      acc[r][c] = _mm256_setzero_ps ();
  for (int64_t i = 0; i < nb; i++)
    for (int r = 0; r < nr; r++)
      {
        const gk_block_q6_K *b = &w[r][i];
        const __m256i sc16 = _mm256_cvtepi8_epi16 (_mm_loadu_si128 ((const __m128i *) b->scales));
        __m256i isum[MAXT];
        for (int c = 0; c < nc; c++)
          {
            const __m256i bs = _mm256_loadu_si256 ((const __m256i *) x[c][i].bsums);
            isum[c] = _mm256_sub_epi32 (_mm256_setzero_si256 (),
                                        _mm256_slli_epi32 (_mm256_madd_epi16 (bs, sc16), 5));
          }
        for (int h = 0; h < 2; h++)
          {
            const __m256i l0 = _mm256_loadu_si256 ((const __m256i *) (b->ql + 64 * h));
            const __m256i l1 = _mm256_loadu_si256 ((const __m256i *) (b->ql + 64 * h + 32));
            const __m256i hb = _mm256_loadu_si256 ((const __m256i *) (b->qh + 32 * h));
            /* values 0-31, 32-63, 64-95, 96-127 of this half */
            __m256i q[4];
            q[0] = _mm256_or_si256 (_mm256_and_si256 (l0, m4),
                                    _mm256_slli_epi16 (_mm256_and_si256 (hb, m2), 4));
            q[1] = _mm256_or_si256 (_mm256_and_si256 (l1, m4),
                                    _mm256_slli_epi16 (_mm256_and_si256 (_mm256_srli_epi16 (hb, 2), m2), 4));
            q[2] = _mm256_or_si256 (_mm256_and_si256 (_mm256_srli_epi16 (l0, 4), m4),
                                    _mm256_slli_epi16 (_mm256_and_si256 (_mm256_srli_epi16 (hb, 4), m2), 4));
            q[3] = _mm256_or_si256 (_mm256_and_si256 (_mm256_srli_epi16 (l1, 4), m4),
                                    _mm256_slli_epi16 (_mm256_and_si256 (_mm256_srli_epi16 (hb, 6), m2), 4));
            /* the two 16-value groups of each 32 have their own scale:
             * low 128-bit lane and high lane */
            __m256i s[4];
            for (int j = 0; j < 4; j++)
              {
                const int g = 8 * h + 2 * j;
                s[j] = _mm256_set_m128i (_mm_set1_epi16 (b->scales[g + 1]),
                                         _mm_set1_epi16 (b->scales[g]));
              }
            for (int c = 0; c < nc; c++)
              {
                const int8_t *y = x[c][i].qs + 128 * h;
                for (int j = 0; j < 4; j++)
                  {
                    const __m256i yv = _mm256_loadu_si256 ((const __m256i *) (y + 32 * j));
                    isum[c] = madd_acc (isum[c], s[j], _mm256_maddubs_epi16 (q[j], yv));
                  }
              }
          }
        const float wd = h2f (b->d);
        for (int c = 0; c < nc; c++)
          acc[r][c] = _mm256_fmadd_ps (_mm256_set1_ps (x[c][i].d * wd),
                                       _mm256_cvtepi32_ps (isum[c]), acc[r][c]);
      }
  for (int r = 0; r < nr; r++)
    for (int c = 0; c < nc; c++)
      out[r][c] = hsum8 (acc[r][c]);
}

/* Q4_K / Q5_K share everything but the high bit: value = d*sc*q - dmin*m. */
ALWAYS_INLINE void
tile_q45_K (const uint8_t *const *w, size_t bsz, bool five, int nr,
            const gk_block_q8_K *const *x, int nc, int64_t nb, float out[MAXT][MAXT])
{
  const __m256i m4 = _mm256_set1_epi8 (0x0f);
  __m256 acc[MAXT][MAXT];
  float accm[MAXT][MAXT];

  for (int r = 0; r < nr; r++)
    for (int c = 0; c < nc; c++)
      {
        acc[r][c] = _mm256_setzero_ps ();
        accm[r][c] = 0.0f;
      }
  for (int64_t i = 0; i < nb; i++)
    for (int r = 0; r < nr; r++)
      {
        const uint8_t *blk = w[r] + i * bsz;
        gk_half hd, hdmin;
        const uint8_t *scales, *qs, *qh = NULL;
        if (five)
          {
            const gk_block_q5_K *b = (const gk_block_q5_K *) blk;
            hd = b->d, hdmin = b->dmin, scales = b->scales, qs = b->qs, qh = b->qh;
          }
        else
          {
            const gk_block_q4_K *b = (const gk_block_q4_K *) blk;
            hd = b->d, hdmin = b->dmin, scales = b->scales, qs = b->qs;
          }
        uint8_t sc[8], mn[8];
        for (int g = 0; g < 8; g++)
          gk_k4_scale_min (g, scales, &sc[g], &mn[g]);

        __m256i isum[MAXT];
        for (int c = 0; c < nc; c++)
          isum[c] = _mm256_setzero_si256 ();
        const __m256i hbits = five ? _mm256_loadu_si256 ((const __m256i *) qh) : _mm256_setzero_si256 ();
        for (int j = 0; j < 4; j++)
          {
            const __m256i raw = _mm256_loadu_si256 ((const __m256i *) (qs + 32 * j));
            __m256i lo = _mm256_and_si256 (raw, m4);
            __m256i hi = _mm256_and_si256 (_mm256_srli_epi16 (raw, 4), m4);
            if (five)
              {
                /* bit 2j of qh[l] is bit 4 of sub-block 2j, bit 2j+1 of 2j+1 */
                const __m256i one = _mm256_set1_epi8 (1);
                const __m256i b0 = _mm256_and_si256 (_mm256_srli_epi16 (hbits, 2 * j), one);
                const __m256i b1 = _mm256_and_si256 (_mm256_srli_epi16 (hbits, 2 * j + 1), one);
                lo = _mm256_or_si256 (lo, _mm256_slli_epi16 (b0, 4));
                hi = _mm256_or_si256 (hi, _mm256_slli_epi16 (b1, 4));
              }
            const __m256i s_lo = _mm256_set1_epi16 (sc[2 * j]);
            const __m256i s_hi = _mm256_set1_epi16 (sc[2 * j + 1]);
            for (int c = 0; c < nc; c++)
              {
                const int8_t *y = x[c][i].qs + 64 * j;
                const __m256i p0 = _mm256_maddubs_epi16 (lo, _mm256_loadu_si256 ((const __m256i *) y));
                const __m256i p1 = _mm256_maddubs_epi16 (hi, _mm256_loadu_si256 ((const __m256i *) (y + 32)));
                isum[c] = madd_acc (isum[c], s_lo, p0);
                isum[c] = madd_acc (isum[c], s_hi, p1);
              }
          }
        const float wd = h2f (hd), wdmin = h2f (hdmin);
        for (int c = 0; c < nc; c++)
          {
            const int16_t *bs = x[c][i].bsums;
            int msum = 0;
            for (int g = 0; g < 8; g++)
              msum += mn[g] * (bs[2 * g] + bs[2 * g + 1]);
            acc[r][c] = _mm256_fmadd_ps (_mm256_set1_ps (x[c][i].d * wd),
                                         _mm256_cvtepi32_ps (isum[c]), acc[r][c]);
            accm[r][c] += x[c][i].d * wdmin * (float) msum;
          }
      }
  for (int r = 0; r < nr; r++)
    for (int c = 0; c < nc; c++)
      out[r][c] = hsum8 (acc[r][c]) - accm[r][c];
}

ALWAYS_INLINE void
tile_q4_K (const gk_block_q4_K *const *w, int nr, const gk_block_q8_K *const *x, int nc,
           int64_t nb, float out[MAXT][MAXT])
{
  tile_q45_K ((const uint8_t *const *) w, sizeof (gk_block_q4_K), false, nr, x, nc, nb, out);
}

ALWAYS_INLINE void
tile_q5_K (const gk_block_q5_K *const *w, int nr, const gk_block_q8_K *const *x, int nc,
           int64_t nb, float out[MAXT][MAXT])
{
  tile_q45_K ((const uint8_t *const *) w, sizeof (gk_block_q5_K), true, nr, x, nc, nb, out);
}

/* vec_dot and matmul for one format.  Tile shapes: 4 rows x 1 column for
 * decode, 2 x 2, and 1 row x up to 4 columns for prefill. */
#define QUANT_KERNELS(NAME, WBLOCK, XBLOCK, QK)                                         \
  static float vdot_##NAME (const void *w, const void *x, int64_t k)                    \
  {                                                                                     \
    const WBLOCK *ws[1] = { w };                                                        \
    const XBLOCK *xs[1] = { x };                                                        \
    float out[MAXT][MAXT];                                                              \
    tile_##NAME (ws, 1, xs, 1, k / (QK), out);                                          \
    return out[0][0];                                                                   \
  }                                                                                     \
  static void matmul_##NAME (const void *w, size_t w_row_bytes, int64_t k,              \
                             int64_t r0, int64_t r1, const void *xq,                    \
                             size_t xq_row_bytes, int64_t n_cols, float *y,             \
                             size_t y_stride)                                           \
  {                                                                                     \
    const int64_t nb = k / (QK);                                                        \
    for (int64_t c0 = 0; c0 < n_cols; c0 += MAXT)                                       \
      {                                                                                 \
        const int nc = n_cols - c0 < MAXT ? (int) (n_cols - c0) : MAXT;                 \
        const int nr = nc == 1 ? 4 : nc == 2 ? 2 : 1;                                   \
        const XBLOCK *xs[MAXT];                                                         \
        float out[MAXT][MAXT];                                                          \
        for (int c = 0; c < nc; c++)                                                    \
          xs[c] = (const XBLOCK *) ((const char *) xq + (c0 + c) * xq_row_bytes);       \
        int64_t r = r0;                                                                 \
        while (r < r1)                                                                  \
          {                                                                             \
            const int n = r1 - r >= nr ? nr : 1;                                        \
            const WBLOCK *ws[MAXT];                                                     \
            for (int i = 0; i < n; i++)                                                 \
              ws[i] = (const WBLOCK *) ((const char *) w + (r + i) * w_row_bytes);      \
            switch (n * 8 + nc)                                                         \
              {                                                                         \
              case 4 * 8 + 1: tile_##NAME (ws, 4, xs, 1, nb, out); break;               \
              case 2 * 8 + 2: tile_##NAME (ws, 2, xs, 2, nb, out); break;               \
              case 1 * 8 + 4: tile_##NAME (ws, 1, xs, 4, nb, out); break;               \
              case 1 * 8 + 3: tile_##NAME (ws, 1, xs, 3, nb, out); break;               \
              case 1 * 8 + 2: tile_##NAME (ws, 1, xs, 2, nb, out); break;               \
              default: tile_##NAME (ws, 1, xs, 1, nb, out); break;                      \
              }                                                                         \
            for (int i = 0; i < n; i++)                                                 \
              for (int c = 0; c < nc; c++)                                              \
                y[(c0 + c) * y_stride + r + i] = out[i][c];                             \
            r += n;                                                                     \
          }                                                                             \
      }                                                                                 \
  }

QUANT_KERNELS (q4_0, gk_block_q4_0, gk_block_q8_0, GK_QK32)
QUANT_KERNELS (q4_1, gk_block_q4_1, gk_block_q8_1, GK_QK32)
QUANT_KERNELS (q5_0, gk_block_q5_0, gk_block_q8_0, GK_QK32)
QUANT_KERNELS (q5_1, gk_block_q5_1, gk_block_q8_1, GK_QK32)
QUANT_KERNELS (q8_0, gk_block_q8_0, gk_block_q8_0, GK_QK32)
QUANT_KERNELS (q4_K, gk_block_q4_K, gk_block_q8_K, GK_QK_K)
QUANT_KERNELS (q5_K, gk_block_q5_K, gk_block_q8_K, GK_QK_K)
QUANT_KERNELS (q6_K, gk_block_q6_K, gk_block_q8_K, GK_QK_K)

#ifdef GK_AVX512_BUILD
#define FILL_FN gk_kernels_fill_avx512
#else
#define FILL_FN gk_kernels_fill_avx2
#endif

void
FILL_FN (gk_kernels *k)
{
#define SET(T, NAME)                        \
  k->vec_dot[GK_TYPE_##T] = vdot_##NAME;   \
  k->matmul[GK_TYPE_##T] = matmul_##NAME
  SET (Q4_0, q4_0);
  SET (Q4_1, q4_1);
  SET (Q5_0, q5_0);
  SET (Q5_1, q5_1);
  SET (Q8_0, q8_0);
  SET (Q4_K, q4_K);
  SET (Q5_K, q5_K);
  SET (Q6_K, q6_K);
#undef SET
  k->vec_dot[GK_TYPE_F32] = vdot_f32;
  k->vec_dot[GK_TYPE_F16] = vdot_f16;
  k->vec_dot[GK_TYPE_BF16] = vdot_bf16;

  k->quantize_act[GK_TYPE_Q8_0] = quant_act_q8_0;
  k->quantize_act[GK_TYPE_Q8_1] = quant_act_q8_1;
  k->quantize_act[GK_TYPE_F16] = quant_act_f16;

  k->fp16_to_fp32_row = avx2_fp16_to_fp32_row;
  k->fp32_to_fp16_row = avx2_fp32_to_fp16_row;
  k->bf16_to_fp32_row = avx2_bf16_to_fp32_row;
  k->dot_f32 = avx2_dot_f32;
  k->axpy_f32 = avx2_axpy_f32;
  k->scale_f32 = avx2_scale_f32;
  k->dot_f16_f32 = avx2_dot_f16_f32;
  k->axpy_f16 = avx2_axpy_f16;
}
