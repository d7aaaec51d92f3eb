/* gk-avx2.c — kernels for x86-64 with AVX2, FMA and F16C.
 *
 * Compiled on its own with -mavx2 -mfma -mf16c; nothing here runs unless
 * gk-dispatch.c found the CPU and OS support.  The same file is compiled a
 * second time with AVX-512 flags and GK_AVX512_BUILD defined: the integer
 * multiply-adds then use VNNI (the same exact integer sums in fewer
 * instructions) and the compiler gets 32 vector registers.
 *
 * Integer parts of each dot product are exact; the float accumulation has
 * the shape of ggml's AVX2 kernels (8 lanes, one fused multiply-add per
 * block, the same horizontal sums, the same fused min terms), so results
 * equal llama.cpp's bit for bit on the same CPU (checked by the
 * kernels-ggml conformance test).
 *
 * Matrix products run tiles of a few weight rows by a few activation
 * columns: extra rows hide the multiply-add latency in decode, extra
 * columns reuse each unpacked weight block in prefill.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "gk-internal.h"

#include <immintrin.h>
#include <math.h>

#define ALWAYS_INLINE static inline __attribute__ ((always_inline))
/* Small fixed-count loops in the tiles must be fully unrolled so their
 * arrays of vectors stay in registers (GCC at -O2 would keep them in
 * memory). */
#define UNROLL _Pragma ("GCC unroll 16")

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

/* an F16 value converted and broadcast to 8 lanes */
ALWAYS_INLINE __m256
h2f8 (gk_half h)
{
  return _mm256_cvtph_ps (_mm_set1_epi16 ((short) h));
}

ALWAYS_INLINE int
hsum4_i32 (__m128i s)
{
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

/* Unsigned bytes (< 128) times signed bytes, summed in groups of four ->
 * 8 int32 lanes (lane l covers bytes 4l..4l+3). */
ALWAYS_INLINE __m256i
dot_u8_i32 (__m256i ux, __m256i y)
{
#ifdef GK_AVX512_BUILD
  /* VNNI: one instruction, and no int16 intermediate */
  return _mm256_dpbusd_epi32 (_mm256_setzero_si256 (), ux, y);
#else
  const __m256i p16 = _mm256_maddubs_epi16 (ux, y);
  return _mm256_madd_epi16 (p16, _mm256_set1_epi16 (1));
#endif
}

/* Signed bytes times signed bytes, same lanes.  The multiply needs one
 * unsigned operand, so x's sign moves onto y. */
ALWAYS_INLINE __m256i
dot_i8_i32 (__m256i x, __m256i y)
{
  return dot_u8_i32 (_mm256_sign_epi8 (x, x), _mm256_sign_epi8 (y, x));
}

/* ---- activation quantizers -------------------------------------------- */

#define ROUND_EVEN (_MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)

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
  __m256i i0 = _mm256_cvtps_epi32 (_mm256_round_ps (_mm256_mul_ps (v0, mul), ROUND_EVEN));
  __m256i i1 = _mm256_cvtps_epi32 (_mm256_round_ps (_mm256_mul_ps (v1, mul), ROUND_EVEN));
  __m256i i2 = _mm256_cvtps_epi32 (_mm256_round_ps (_mm256_mul_ps (v2, mul), ROUND_EVEN));
  __m256i i3 = _mm256_cvtps_epi32 (_mm256_round_ps (_mm256_mul_ps (v3, mul), ROUND_EVEN));
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

/* ggml's BF16 dot ends with movehl/movehdup instead of two hadds */
ALWAYS_INLINE float
reduce4_bf16 (__m256 a0, __m256 a1, __m256 a2, __m256 a3)
{
  a0 = _mm256_add_ps (_mm256_add_ps (a0, a2), _mm256_add_ps (a1, a3));
  return hsum8 (a0);
}

#define FLOAT_DOT(fname, TA, TB, LOADA, LOADB, SCALARA, SCALARB, REDUCE)     \
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
    double sum = REDUCE (s0, s1, s2, s3);                                      \
    for (; i < n; i++)                                                         \
      sum += (double) (SCALARA (a[i]) * SCALARB (b[i]));                       \
    return (float) sum;                                                        \
  }

#define IDF(x) (x)
FLOAT_DOT (avx2_dot_f32, float, float, _mm256_loadu_ps, _mm256_loadu_ps, IDF, IDF, reduce4)
FLOAT_DOT (avx2_dot_f16, uint16_t, uint16_t, load_f16x8, load_f16x8, gk_fp16_to_fp32,
           gk_fp16_to_fp32, reduce4)
FLOAT_DOT (avx2_dot_bf16, uint16_t, uint16_t, load_bf16x8, load_bf16x8, gk_bf16_to_fp32,
           gk_bf16_to_fp32, reduce4_bf16)
FLOAT_DOT (avx2_dot_f16_f32, uint16_t, float, load_f16x8, _mm256_loadu_ps, gk_fp16_to_fp32, IDF,
           reduce4)

/* F16 rows × F32 columns, NC columns a pass: each row chunk is converted
 * once for the NC columns, and every output keeps avx2_dot_f16_f32's four
 * accumulators, reduction and scalar tail, so it equals that dot bit for
 * bit.  NC accumulators × 4 plus 4 converted chunks must fit the register
 * file: 2 columns with AVX2's 16 ymm registers, 4 with AVX-512's 32. */
#ifdef GK_AVX512_BUILD
#define F16_TILE_NC 4
#else
#define F16_TILE_NC 2
#endif

ALWAYS_INLINE void
f16_f32_tile (const uint16_t *a, const float *x, size_t xs, int nc, int64_t n, float *out)
{
  __m256 s[F16_TILE_NC][4];
  int64_t i = 0;

  UNROLL for (int c = 0; c < nc; c++)
    UNROLL for (int j = 0; j < 4; j++)
      s[c][j] = _mm256_setzero_ps ();
  for (; i + 32 <= n; i += 32)
    {
      const __m256 w0 = load_f16x8 (a + i), w1 = load_f16x8 (a + i + 8);
      const __m256 w2 = load_f16x8 (a + i + 16), w3 = load_f16x8 (a + i + 24);

      UNROLL for (int c = 0; c < nc; c++)
        {
          const float *b = x + (size_t) c * xs + i;

          s[c][0] = _mm256_fmadd_ps (w0, _mm256_loadu_ps (b), s[c][0]);
          s[c][1] = _mm256_fmadd_ps (w1, _mm256_loadu_ps (b + 8), s[c][1]);
          s[c][2] = _mm256_fmadd_ps (w2, _mm256_loadu_ps (b + 16), s[c][2]);
          s[c][3] = _mm256_fmadd_ps (w3, _mm256_loadu_ps (b + 24), s[c][3]);
        }
    }
  UNROLL for (int c = 0; c < nc; c++)
    {
      const float *b = x + (size_t) c * xs;
      double sum = reduce4 (s[c][0], s[c][1], s[c][2], s[c][3]);

      for (int64_t t = i; t < n; t++)
        sum += (double) (gk_fp16_to_fp32 (a[t]) * b[t]);
      out[c] = (float) sum;
    }
}

static void
avx2_matmul_f16_f32 (const uint16_t *w, size_t w_row_bytes, int64_t k, int64_t r0, int64_t r1,
                     const float *x, size_t x_row_bytes, int64_t n_cols, float *y, size_t y_stride)
{
  const size_t xs = x_row_bytes / sizeof (float);
  float out[F16_TILE_NC];

  for (int64_t r = r0; r < r1; r++)
    {
      const uint16_t *a = (const uint16_t *) ((const char *) w + (size_t) r * w_row_bytes);
      int64_t c = 0;

      for (; c + F16_TILE_NC <= n_cols; c += F16_TILE_NC)
        {
          f16_f32_tile (a, x + (size_t) c * xs, xs, F16_TILE_NC, k, out);
          for (int j = 0; j < F16_TILE_NC; j++)
            y[(size_t) (c + j) * y_stride + (size_t) r] = out[j];
        }
      for (; c < n_cols; c++)
        {
          f16_f32_tile (a, x + (size_t) c * xs, xs, 1, k, out);
          y[(size_t) c * y_stride + (size_t) r] = out[0];
        }
    }
}

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

/* ---- softmax exponentials ---------------------------------------------- */

/* exp for 8 floats: n = round(x / ln 2), r = x - n ln 2 in two parts
 * (|r| <= ln2 / 2), exp(r) by its Taylor series to degree 7 (truncation
 * < 1e-8 relative), times 2^n built in the exponent bits.  Within ~2 ulp
 * of expf; results below FLT_MIN flush to 0, which is what softmax wants
 * for masked (-inf) scores. */
ALWAYS_INLINE __m256
exp8 (__m256 x)
{
  const __m256 lo_limit = _mm256_set1_ps (-87.33654f); /* ln (FLT_MIN) */
  const __m256 tiny = _mm256_cmp_ps (x, lo_limit, _CMP_LT_OQ);
  x = _mm256_min_ps (_mm256_max_ps (x, lo_limit), _mm256_set1_ps (88.0f));
  const __m256 n = _mm256_round_ps (_mm256_mul_ps (x, _mm256_set1_ps (1.44269504088896341f)),
                                    ROUND_EVEN);
  __m256 r = _mm256_fnmadd_ps (n, _mm256_set1_ps (0.693359375f), x);
  r = _mm256_fnmadd_ps (n, _mm256_set1_ps (-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps (1.0f / 5040);
  p = _mm256_fmadd_ps (p, r, _mm256_set1_ps (1.0f / 720));
  p = _mm256_fmadd_ps (p, r, _mm256_set1_ps (1.0f / 120));
  p = _mm256_fmadd_ps (p, r, _mm256_set1_ps (1.0f / 24));
  p = _mm256_fmadd_ps (p, r, _mm256_set1_ps (1.0f / 6));
  p = _mm256_fmadd_ps (p, r, _mm256_set1_ps (0.5f));
  p = _mm256_fmadd_ps (p, r, _mm256_set1_ps (1.0f));
  p = _mm256_fmadd_ps (p, r, _mm256_set1_ps (1.0f));
  const __m256i e = _mm256_slli_epi32 (_mm256_add_epi32 (_mm256_cvtps_epi32 (n),
                                                         _mm256_set1_epi32 (127)), 23);
  return _mm256_andnot_ps (tiny, _mm256_mul_ps (p, _mm256_castsi256_ps (e)));
}

static double
avx2_exp_sum (float *x, int64_t n, float max)
{
  const __m256 vmax = _mm256_set1_ps (max);
  double sum = 0.0;
  int64_t i = 0;

  for (; i + 8 <= n; i += 8)
    {
      const __m256 v = exp8 (_mm256_sub_ps (_mm256_loadu_ps (x + i), vmax));
      _mm256_storeu_ps (x + i, v);
      sum += (double) hsum8 (v);
    }
  for (; i < n; i++)
    {
      x[i] = expf (x[i] - max);
      sum += (double) x[i];
    }
  return sum;
}

/* ---- soft-capping ------------------------------------------------------ */

/* tanh for 8 floats.  Below 0.55 in magnitude its odd Taylor series to
 * degree 19 (truncation < 1e-8 relative); above, 1 - 2 / (exp (2|y|) + 1)
 * written as (1 - e) / (1 + e) with e = exp (-2|y|), where 1 - e loses
 * nothing (e <= 0.34); |y| is capped at 20, where tanh is 1 in float.
 * The sign is restored last (so -0 stays -0) and a NaN passes through. */
ALWAYS_INLINE __m256
tanh8 (__m256 y)
{
  const __m256 sign = _mm256_set1_ps (-0.0f);
  const __m256 a = _mm256_min_ps (_mm256_andnot_ps (sign, y), _mm256_set1_ps (20.0f));
  const __m256 a2 = _mm256_mul_ps (a, a);
  __m256 p = _mm256_set1_ps (-2.3912911e-4f);
  p = _mm256_fmadd_ps (p, a2, _mm256_set1_ps (5.9002744e-4f));
  p = _mm256_fmadd_ps (p, a2, _mm256_set1_ps (-1.4558344e-3f));
  p = _mm256_fmadd_ps (p, a2, _mm256_set1_ps (3.5921280e-3f));
  p = _mm256_fmadd_ps (p, a2, _mm256_set1_ps (-8.8632355e-3f));
  p = _mm256_fmadd_ps (p, a2, _mm256_set1_ps (2.1869488e-2f));
  p = _mm256_fmadd_ps (p, a2, _mm256_set1_ps (-5.3968254e-2f));
  p = _mm256_fmadd_ps (p, a2, _mm256_set1_ps (1.3333333e-1f));
  p = _mm256_fmadd_ps (p, a2, _mm256_set1_ps (-3.3333333e-1f));
  const __m256 small = _mm256_fmadd_ps (_mm256_mul_ps (p, a2), a, a);
  const __m256 e = exp8 (_mm256_mul_ps (a, _mm256_set1_ps (-2.0f)));
  const __m256 large = _mm256_div_ps (_mm256_sub_ps (_mm256_set1_ps (1.0f), e),
                                      _mm256_add_ps (_mm256_set1_ps (1.0f), e));
  const __m256 t = _mm256_blendv_ps (large, small, _mm256_cmp_ps (a, _mm256_set1_ps (0.55f), _CMP_LT_OQ));
  const __m256 r = _mm256_or_ps (t, _mm256_and_ps (sign, y));
  return _mm256_blendv_ps (r, y, _mm256_cmp_ps (y, y, _CMP_UNORD_Q));
}

static void
avx2_softcap_f32 (float *x, int64_t n, float cap)
{
  const float inv = 1.0f / cap;
  const __m256 vinv = _mm256_set1_ps (inv), vcap = _mm256_set1_ps (cap);
  int64_t i = 0;

  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps (x + i, _mm256_mul_ps (tanh8 (_mm256_mul_ps (_mm256_loadu_ps (x + i), vinv)), vcap));
  for (; i < n; i++)
    x[i] = tanhf (x[i] * inv) * cap;
}

/* ---- table GELU -------------------------------------------------------- */

/* As gelu_lookup in gk-ops.c, 8 at a time: F16C rounds x to F16 exactly as
 * gk_fp32_to_fp16 does (nearest-even) for every non-NaN input, the table
 * entry goes back through F16C, x <= -10 gives 0 and x >= 10 gives x.  A
 * group holding a NaN takes the scalar path (canonical NaN index). */
static void
avx2_gelu_table_mul (const float *x, const float *up, float *out, int64_t n,
                     const uint16_t *table)
{
  const __m256 lo = _mm256_set1_ps (-10.0f), hi = _mm256_set1_ps (10.0f);
  int64_t i = 0;

  for (; i + 8 <= n; i += 8)
    {
      const __m256 v = _mm256_loadu_ps (x + i);
      __m256 g;
      if (_mm256_movemask_ps (_mm256_cmp_ps (v, v, _CMP_UNORD_Q)))
        {
          float tmp[8];
          for (int j = 0; j < 8; j++)
            {
              const float xj = x[i + j];
              tmp[j] = xj <= -10.0f ? 0.0f : xj >= 10.0f ? xj
                       : gk_fp16_to_fp32 (table[gk_fp32_to_fp16 (xj)]);
            }
          g = _mm256_loadu_ps (tmp);
        }
      else
        {
          uint16_t idx[8], t[8];
          _mm_storeu_si128 ((__m128i *) idx, _mm256_cvtps_ph (v, _MM_FROUND_TO_NEAREST_INT));
          for (int j = 0; j < 8; j++)
            t[j] = table[idx[j]];
          g = _mm256_cvtph_ps (_mm_loadu_si128 ((const __m128i *) t));
          g = _mm256_andnot_ps (_mm256_cmp_ps (v, lo, _CMP_LE_OQ), g);
          g = _mm256_blendv_ps (g, v, _mm256_cmp_ps (v, hi, _CMP_GE_OQ));
        }
      if (up != NULL)
        g = _mm256_mul_ps (g, _mm256_loadu_ps (up + i));
      _mm256_storeu_ps (out + i, g);
    }
  for (; i < n; i++)
    {
      const float xj = x[i];
      float g = xj <= -10.0f ? 0.0f : xj >= 10.0f ? xj : gk_fp16_to_fp32 (table[gk_fp32_to_fp16 (xj)]);
      out[i] = up != NULL ? g * up[i] : g;
    }
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

/* Software prefetch for decode.  The weights stream from memory once per
 * token and the hardware prefetcher alone leaves the kernels waiting on
 * DRAM latency (several interleaved row streams, short rows).  A tile's
 * rows are contiguous, so the tile walks its prefetch pointer linearly:
 * block i of nr rows corresponds to nr * bsz bytes.  The pointer starts
 * PF_DIST bytes past the tile's start, or at the next tile when the tile is
 * longer than that (its rows are read side by side, so a shorter distance
 * would land inside the tile itself); such far prefetches go to L2 only, so
 * they do not evict the rows being read from L1. */
#ifndef PF_DIST
#define PF_DIST 8192
#endif

/* the prefetch pointer of a tile starting at p, tile_bytes long; the low
 * bit set means "far" (L2 only) */
ALWAYS_INLINE const uint8_t *
pf_start (const void *p, size_t tile_bytes)
{
  if (tile_bytes <= PF_DIST)
    return (const uint8_t *) p + PF_DIST;
  return (const uint8_t *) (((uintptr_t) p + tile_bytes) | 1u);
}

ALWAYS_INLINE void
prefetch_span (const uint8_t *pf, int64_t i, size_t span)
{
  if (pf == NULL)
    return;
  const bool far = (uintptr_t) pf & 1u;
  const uint8_t *p = (const uint8_t *) ((uintptr_t) pf & ~(uintptr_t) 1u) + (size_t) i * span;
  for (size_t o = 0; o < span; o += 64)
    {
      if (far)
        _mm_prefetch ((const char *) (p + o), _MM_HINT_T1);
      else
        _mm_prefetch ((const char *) (p + o), _MM_HINT_T0);
    }
}

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

/* KIND 0: signed codes (Q8_0).  KIND 1: unsigned codes with a fixed
 * offset OFF (Q4_0: q-8, Q5_0: q-16): sum((q-OFF)*y) = sum(q*y) - OFF*sum(y),
 * and sum(y) per lane is computed once per activation block and shared by
 * all rows of the tile; the integer lane sums are the same as with the sign
 * trick, so the result is too.  KIND 2: unsigned codes plus a min term
 * (Q4_1/Q5_1). */
#define Q32_TILE(NAME, WBLOCK, XBLOCK, UNPACK, KIND, OFF_SHIFT, MIN_TERM)              \
  ALWAYS_INLINE void                                                                   \
  tile_##NAME (const WBLOCK *const *w, int nr, const XBLOCK *const *x, int nc,        \
               int64_t nb, float out[MAXT][MAXT], const uint8_t *pf)                   \
  {                                                                                    \
    __m256 acc[MAXT][MAXT];                                                            \
    float summ[MAXT][MAXT];                                                            \
    UNROLL for (int r = 0; r < nr; r++)                                                       \
      UNROLL for (int c = 0; c < nc; c++)                                                     \
        {                                                                              \
          acc[r][c] = _mm256_setzero_ps ();                                            \
          summ[r][c] = 0.0f;                                                           \
        }                                                                              \
    for (int64_t i = 0; i < nb; i++)                                                   \
      {                                                                                \
        prefetch_span (pf, i, (size_t) nr * sizeof (WBLOCK));                          \
        __m256i yv[MAXT], yoff[MAXT];                                                  \
        __m256 yd[MAXT];                                                               \
        UNROLL for (int c = 0; c < nc; c++)                                                   \
          {                                                                            \
            yv[c] = _mm256_loadu_si256 ((const __m256i *) x[c][i].qs);                 \
            yd[c] = h2f8 (x[c][i].d);                                                  \
            if (KIND == 1)                                                             \
              yoff[c] = _mm256_slli_epi32 (dot_u8_i32 (_mm256_set1_epi8 (1), yv[c]),   \
                                           OFF_SHIFT);                                 \
          }                                                                            \
        UNROLL for (int r = 0; r < nr; r++)                                                   \
          {                                                                            \
            const WBLOCK *b = &w[r][i];                                                \
            const __m256i q = UNPACK (b);                                              \
            const __m256 wd = h2f8 (b->d);                                             \
            UNROLL for (int c = 0; c < nc; c++)                                               \
              {                                                                        \
                __m256i lanes;                                                         \
                if (KIND == 0)                                                         \
                  lanes = dot_i8_i32 (q, yv[c]);                                       \
                else if (KIND == 1)                                                    \
                  lanes = _mm256_sub_epi32 (dot_u8_i32 (q, yv[c]), yoff[c]);           \
                else                                                                   \
                  lanes = dot_u8_i32 (q, yv[c]);                                       \
                summ[r][c] = MIN_TERM (b, &x[c][i], summ[r][c]);                       \
                acc[r][c] = _mm256_fmadd_ps (_mm256_mul_ps (wd, yd[c]),                \
                                             _mm256_cvtepi32_ps (lanes), acc[r][c]);   \
              }                                                                        \
          }                                                                            \
      }                                                                                \
    UNROLL for (int r = 0; r < nr; r++)                                                       \
      UNROLL for (int c = 0; c < nc; c++)                                                     \
        out[r][c] = KIND == 2 ? hsum8 (acc[r][c]) + summ[r][c] : hsum8 (acc[r][c]);    \
  }

/* Codes as unsigned bytes, in value order. */
ALWAYS_INLINE __m256i
unpack_q4_0 (const gk_block_q4_0 *b)
{
  return unpack_nibbles (b->qs);
}

ALWAYS_INLINE __m256i
unpack_q8_0 (const gk_block_q8_0 *b)
{
  return _mm256_loadu_si256 ((const __m256i *) b->qs);
}

ALWAYS_INLINE __m256i
unpack_q5_0 (const gk_block_q5_0 *b)
{
  const __m256i hi = _mm256_and_si256 (expand_bits (b->qh), _mm256_set1_epi8 (0x10));
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

/* Q4_1/Q5_1: value = q*d + m, so m * (dx * sum qx) = m * s is added
 * (fused, as ggml's build does). */
#define MIN_M(b, xb, acc) fmaf (h2f ((b)->m), h2f ((xb)->s), acc)
#define MIN_NONE(b, xb, acc) (acc)

Q32_TILE (q4_0, gk_block_q4_0, gk_block_q8_0, unpack_q4_0, 1, 3, MIN_NONE)
Q32_TILE (q5_0, gk_block_q5_0, gk_block_q8_0, unpack_q5_0, 1, 4, MIN_NONE)
Q32_TILE (q8_0, gk_block_q8_0, gk_block_q8_0, unpack_q8_0, 0, 0, MIN_NONE)
Q32_TILE (q4_1, gk_block_q4_1, gk_block_q8_1, unpack_q4_1, 2, 0, MIN_M)
Q32_TILE (q5_1, gk_block_q5_1, gk_block_q8_1, unpack_q5_1, 2, 0, MIN_M)

/* Shuffle controls over int16 elements: pair_pick (k) broadcasts element k
 * to the low 128-bit lane and element k+1 to the high lane; pick16 (k)
 * broadcasts element k to both. */
ALWAYS_INLINE __m256i
pair_pick (int k)
{
  const __m128i lo = _mm_set1_epi16 ((short) ((2 * k) | ((2 * k + 1) << 8)));
  const __m128i hi = _mm_set1_epi16 ((short) ((2 * k + 2) | ((2 * k + 3) << 8)));
  return _mm256_set_m128i (hi, lo);
}

ALWAYS_INLINE __m256i
pick16 (int k)
{
  return _mm256_set1_epi16 ((short) ((2 * k) | ((2 * k + 1) << 8)));
}

/* Q6_K: codes 0..63 are used unsigned (maddubs), and the bias of 32 is
 * removed afterwards through the Q8_K per-16 sums: sum(sc*(q-32)*y) =
 * sum(sc*q*y) - 32*sum(sc*bsum). */
ALWAYS_INLINE void
tile_q6_K (const gk_block_q6_K *const *w, int nr, const gk_block_q8_K *const *x, int nc,
           int64_t nb, float out[MAXT][MAXT], const uint8_t *pf)
{
  const __m256i m4 = _mm256_set1_epi8 (0x0f);
  const __m256i m2 = _mm256_set1_epi8 (0x03);
  __m256 acc[MAXT][MAXT];

  UNROLL for (int r = 0; r < nr; r++)
    UNROLL for (int c = 0; c < nc; c++)
      acc[r][c] = _mm256_setzero_ps ();
  for (int64_t i = 0; i < nb; i++)
    UNROLL for (int r = 0; r < nr; r++)
      {
        if (r == 0)
          prefetch_span (pf, i, (size_t) nr * sizeof (gk_block_q6_K));
        const gk_block_q6_K *b = &w[r][i];
        const __m256i sc16 = _mm256_cvtepi8_epi16 (_mm_loadu_si128 ((const __m128i *) b->scales));
        __m256i isum[MAXT];
        UNROLL for (int c = 0; c < nc; c++)
          {
            const __m256i bs = _mm256_loadu_si256 ((const __m256i *) x[c][i].bsums);
            isum[c] = _mm256_sub_epi32 (_mm256_setzero_si256 (),
                                        _mm256_slli_epi32 (_mm256_madd_epi16 (bs, sc16), 5));
          }
        UNROLL for (int h = 0; h < 2; h++)
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
            /* scales 8h..8h+7 as int16 in both 128-bit lanes, then
             * group 8h+2j broadcast to the low lane, 8h+2j+1 to the high */
            const __m256i sc_h = h == 0 ? _mm256_permute2x128_si256 (sc16, sc16, 0x00)
                                        : _mm256_permute2x128_si256 (sc16, sc16, 0x11);
            __m256i s[4];
            UNROLL for (int j = 0; j < 4; j++)
              s[j] = _mm256_shuffle_epi8 (sc_h, pair_pick (2 * j));
            UNROLL for (int c = 0; c < nc; c++)
              {
                const int8_t *y = x[c][i].qs + 128 * h;
                UNROLL for (int j = 0; j < 4; j++)
                  {
                    const __m256i yv = _mm256_loadu_si256 ((const __m256i *) (y + 32 * j));
                    isum[c] = madd_acc (isum[c], s[j], _mm256_maddubs_epi16 (q[j], yv));
                  }
              }
          }
        const float wd = h2f (b->d);
        UNROLL for (int c = 0; c < nc; c++)
          acc[r][c] = _mm256_fmadd_ps (_mm256_set1_ps (x[c][i].d * wd),
                                       _mm256_cvtepi32_ps (isum[c]), acc[r][c]);
      }
  UNROLL for (int r = 0; r < nr; r++)
    UNROLL for (int c = 0; c < nc; c++)
      out[r][c] = hsum8 (acc[r][c]);
}

/* Q4_K / Q5_K share everything but the high bit: value = d*sc*q - dmin*m.
 * The min term is accumulated the way ggml's AVX2 kernels do (4 float
 * lanes with FMA for Q4_K, one fused scalar for Q5_K) so results match
 * llama.cpp bit for bit on the same CPU. */
ALWAYS_INLINE void
tile_q45_K (const uint8_t *const *w, size_t bsz, bool five, int nr,
            const gk_block_q8_K *const *x, int nc, int64_t nb, float out[MAXT][MAXT],
            const uint8_t *pf)
{
  const __m256i m4 = _mm256_set1_epi8 (0x0f);
  __m256 acc[MAXT][MAXT];
  __m128 accm[MAXT][MAXT];
  float summ[MAXT][MAXT];

  UNROLL for (int r = 0; r < nr; r++)
    UNROLL for (int c = 0; c < nc; c++)
      {
        acc[r][c] = _mm256_setzero_ps ();
        accm[r][c] = _mm_setzero_ps ();
        summ[r][c] = 0.0f;
      }
  for (int64_t i = 0; i < nb; i++)
    UNROLL for (int r = 0; r < nr; r++)
      {
        if (r == 0)
          prefetch_span (pf, i, (size_t) nr * bsz);
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
        /* the eight 6-bit scales then the eight mins, as bytes (see
         * gk_k4_scale_min), widened to int16: scales in the low lane,
         * mins in the high lane */
        uint32_t u[4];
        memcpy (u, scales, 12);
        u[3] = ((u[2] >> 4) & 0x0f0f0f0fu) | (((u[1] >> 6) & 0x03030303u) << 4);
        const uint32_t mins_lo = u[1] & 0x3f3f3f3fu;
        u[1] = (u[2] & 0x0f0f0f0fu) | (((u[0] >> 6) & 0x03030303u) << 4);
        u[2] = mins_lo;
        u[0] &= 0x3f3f3f3fu;
        const __m256i sm16 = _mm256_cvtepu8_epi16 (_mm_set_epi32 ((int) u[3], (int) u[2],
                                                                  (int) u[1], (int) u[0]));
        const __m128i mins16 = _mm256_extracti128_si256 (sm16, 1);
        const __m256i sc_both = _mm256_permute2x128_si256 (sm16, sm16, 0x00);

        __m256i isum[MAXT];
        UNROLL for (int c = 0; c < nc; c++)
          isum[c] = _mm256_setzero_si256 ();
        const __m256i hbits = five ? _mm256_loadu_si256 ((const __m256i *) qh) : _mm256_setzero_si256 ();
        UNROLL for (int j = 0; j < 4; j++)
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
            const __m256i s_lo = _mm256_shuffle_epi8 (sc_both, pick16 (2 * j));
            const __m256i s_hi = _mm256_shuffle_epi8 (sc_both, pick16 (2 * j + 1));
            UNROLL for (int c = 0; c < nc; c++)
              {
                const int8_t *y = x[c][i].qs + 64 * j;
                const __m256i p0 = _mm256_maddubs_epi16 (lo, _mm256_loadu_si256 ((const __m256i *) y));
                const __m256i p1 = _mm256_maddubs_epi16 (hi, _mm256_loadu_si256 ((const __m256i *) (y + 32)));
                isum[c] = madd_acc (isum[c], s_lo, p0);
                isum[c] = madd_acc (isum[c], s_hi, p1);
              }
          }
        const float wd = h2f (hd), wdmin = h2f (hdmin);
        UNROLL for (int c = 0; c < nc; c++)
          {
            /* per sub-block sums of the activations: pairs of bsums */
            const __m256i bs = _mm256_loadu_si256 ((const __m256i *) x[c][i].bsums);
            const __m128i q8s = _mm_hadd_epi16 (_mm256_castsi256_si128 (bs),
                                                _mm256_extracti128_si256 (bs, 1));
            const __m128i prod = _mm_madd_epi16 (mins16, q8s);
            const float dmin = -x[c][i].d * wdmin;
            if (five)
              summ[r][c] = fmaf (dmin, (float) hsum4_i32 (prod), summ[r][c]);
            else
              accm[r][c] = _mm_fmadd_ps (_mm_set1_ps (dmin), _mm_cvtepi32_ps (prod), accm[r][c]);
            acc[r][c] = _mm256_fmadd_ps (_mm256_set1_ps (x[c][i].d * wd),
                                         _mm256_cvtepi32_ps (isum[c]), acc[r][c]);
          }
      }
  UNROLL for (int r = 0; r < nr; r++)
    UNROLL for (int c = 0; c < nc; c++)
      {
        if (five)
          out[r][c] = hsum8 (acc[r][c]) + summ[r][c];
        else
          {
            __m128 m = accm[r][c];
            m = _mm_add_ps (m, _mm_movehl_ps (m, m));
            m = _mm_add_ss (m, _mm_movehdup_ps (m));
            out[r][c] = hsum8 (acc[r][c]) + _mm_cvtss_f32 (m);
          }
      }
}

ALWAYS_INLINE void
tile_q4_K (const gk_block_q4_K *const *w, int nr, const gk_block_q8_K *const *x, int nc,
           int64_t nb, float out[MAXT][MAXT], const uint8_t *pf)
{
  const uint8_t *wb[MAXT] = { NULL };
  UNROLL for (int r = 0; r < nr; r++) /* convert each pointer; no type punning */
    wb[r] = (const uint8_t *) w[r];
  tile_q45_K (wb, sizeof (gk_block_q4_K), false, nr, x, nc, nb, out, pf);
}

ALWAYS_INLINE void
tile_q5_K (const gk_block_q5_K *const *w, int nr, const gk_block_q8_K *const *x, int nc,
           int64_t nb, float out[MAXT][MAXT], const uint8_t *pf)
{
  const uint8_t *wb[MAXT] = { NULL };
  UNROLL for (int r = 0; r < nr; r++) /* convert each pointer; no type punning */
    wb[r] = (const uint8_t *) w[r];
  tile_q45_K (wb, sizeof (gk_block_q5_K), true, nr, x, nc, nb, out, pf);
}

/* Q2_K and Q3_K: 16 groups of 16, two bits per value stored as four
 * 32-byte planes per 128 values (shifts 0, 2, 4, 6).  Q2_K codes are
 * unsigned and its mins go through the Q8_K per-16 sums; Q3_K values
 * (-4..3) use the sign trick.  The float accumulation (mins first, one
 * 8-lane FMA chain) follows ggml's AVX2 kernels. */
ALWAYS_INLINE void
tile_q23_K (const uint8_t *const *w, size_t bsz, bool three, int nr,
            const gk_block_q8_K *const *x, int nc, int64_t nb, float out[MAXT][MAXT],
            const uint8_t *pf)
{
  const __m256i m3 = _mm256_set1_epi8 (3);
  __m256 acc[MAXT][MAXT];

  UNROLL for (int r = 0; r < nr; r++)
    UNROLL for (int c = 0; c < nc; c++)
      acc[r][c] = _mm256_setzero_ps ();
  for (int64_t i = 0; i < nb; i++)
    UNROLL for (int r = 0; r < nr; r++)
      {
        if (r == 0)
          prefetch_span (pf, i, (size_t) nr * bsz);
        const uint8_t *blk = w[r] + i * bsz;
        const uint8_t *qs;
        __m256i sc16, mn16 = _mm256_setzero_si256 (), hb = _mm256_setzero_si256 ();
        float wd, wdmin = 0.0f;
        if (three)
          {
            const gk_block_q3_K *b = (const gk_block_q3_K *) blk;
            /* 16 six-bit scales: low nibbles in bytes 0..7 (groups 0-7
             * low halves, 8-15 high halves), top 2 bits in bytes 8..11,
             * 2 bits per group at 2*(g/4) of byte 8 + g%4; all biased 32 */
            uint32_t a[3];
            memcpy (a, b->scales, 12);
            const uint32_t m4 = 0x0f0f0f0fu, m2 = 0x03030303u;
            const __m128i sc8 = _mm_setr_epi32 ((int) ((a[0] & m4) | ((a[2] & m2) << 4)),
                                                (int) ((a[1] & m4) | (((a[2] >> 2) & m2) << 4)),
                                                (int) (((a[0] >> 4) & m4) | (((a[2] >> 4) & m2) << 4)),
                                                (int) (((a[1] >> 4) & m4) | (((a[2] >> 6) & m2) << 4)));
            sc16 = _mm256_cvtepi8_epi16 (_mm_sub_epi8 (sc8, _mm_set1_epi8 (32)));
            hb = _mm256_loadu_si256 ((const __m256i *) b->hmask);
            qs = b->qs;
            wd = h2f (b->d);
          }
        else
          {
            const gk_block_q2_K *b = (const gk_block_q2_K *) blk;
            const __m128i raw = _mm_loadu_si128 ((const __m128i *) b->scales);
            sc16 = _mm256_cvtepu8_epi16 (_mm_and_si128 (raw, _mm_set1_epi8 (0x0f)));
            mn16 = _mm256_cvtepu8_epi16 (_mm_and_si128 (_mm_srli_epi16 (raw, 4), _mm_set1_epi8 (0x0f)));
            qs = b->qs;
            wd = h2f (b->d);
            wdmin = h2f (b->dmin);
          }

        __m256i isum[MAXT];
        UNROLL for (int c = 0; c < nc; c++)
          {
            isum[c] = _mm256_setzero_si256 ();
            if (!three)
              {
                const __m256i bs = _mm256_loadu_si256 ((const __m256i *) x[c][i].bsums);
                const __m256i prod = _mm256_madd_epi16 (mn16, bs);
                acc[r][c] = _mm256_fmadd_ps (_mm256_set1_ps (-x[c][i].d * wdmin),
                                             _mm256_cvtepi32_ps (prod), acc[r][c]);
              }
          }
        UNROLL for (int h = 0; h < 2; h++)
          {
            const __m256i qv = _mm256_loadu_si256 ((const __m256i *) (qs + 32 * h));
            const __m256i sc_h = h == 0 ? _mm256_permute2x128_si256 (sc16, sc16, 0x00)
                                        : _mm256_permute2x128_si256 (sc16, sc16, 0x11);
            UNROLL for (int j = 0; j < 4; j++)
              {
                __m256i u = _mm256_and_si256 (_mm256_srli_epi16 (qv, 2 * j), m3);
                __m256i au = u;
                if (three)
                  {
                    /* the high bit of value l of plane (h, j) is bit 4h+j
                     * of hmask[l]; a clear bit subtracts 4 */
                    const __m256i bit = _mm256_and_si256 (_mm256_srli_epi16 (hb, 4 * h + j),
                                                          _mm256_set1_epi8 (1));
                    u = _mm256_sub_epi8 (_mm256_or_si256 (u, _mm256_slli_epi16 (bit, 2)),
                                         _mm256_set1_epi8 (4));
                    au = _mm256_sign_epi8 (u, u);
                  }
                const __m256i s = _mm256_shuffle_epi8 (sc_h, pair_pick (2 * j));
                UNROLL for (int c = 0; c < nc; c++)
                  {
                    __m256i yv = _mm256_loadu_si256 ((const __m256i *) (x[c][i].qs + 128 * h + 32 * j));
                    if (three)
                      yv = _mm256_sign_epi8 (yv, u);
                    isum[c] = madd_acc (isum[c], s, _mm256_maddubs_epi16 (au, yv));
                  }
              }
          }
        UNROLL for (int c = 0; c < nc; c++)
          acc[r][c] = _mm256_fmadd_ps (_mm256_set1_ps (x[c][i].d * wd),
                                       _mm256_cvtepi32_ps (isum[c]), acc[r][c]);
      }
  UNROLL for (int r = 0; r < nr; r++)
    UNROLL for (int c = 0; c < nc; c++)
      out[r][c] = hsum8 (acc[r][c]);
}

ALWAYS_INLINE void
tile_q2_K (const gk_block_q2_K *const *w, int nr, const gk_block_q8_K *const *x, int nc,
           int64_t nb, float out[MAXT][MAXT], const uint8_t *pf)
{
  const uint8_t *wb[MAXT] = { NULL };
  UNROLL for (int r = 0; r < nr; r++)
    wb[r] = (const uint8_t *) w[r];
  tile_q23_K (wb, sizeof (gk_block_q2_K), false, nr, x, nc, nb, out, pf);
}

ALWAYS_INLINE void
tile_q3_K (const gk_block_q3_K *const *w, int nr, const gk_block_q8_K *const *x, int nc,
           int64_t nb, float out[MAXT][MAXT], const uint8_t *pf)
{
  const uint8_t *wb[MAXT] = { NULL };
  UNROLL for (int r = 0; r < nr; r++)
    wb[r] = (const uint8_t *) w[r];
  tile_q23_K (wb, sizeof (gk_block_q3_K), true, nr, x, nc, nb, out, pf);
}

/* vec_dot and matmul for one format.  Tile shapes: DEC_R rows x 1 column
 * for decode (rows interleaved to hide the multiply-add latency), PRE_R x
 * PRE_C for prefill (unpacked weight blocks reused across columns); leftover
 * columns and rows use narrower tiles. */
#define ROW_BLOCK_BYTES (128 * 1024)

#define QUANT_KERNELS_IMPL(NAME, WBLOCK, XBLOCK, QK, DEC_R, PRE_R, PRE_C)                 \
  static float vdot_##NAME (const void *w, const void *x, int64_t k)                    \
  {                                                                                     \
    const WBLOCK *ws[1] = { w };                                                        \
    const XBLOCK *xs[1] = { x };                                                        \
    float out[MAXT][MAXT];                                                              \
    tile_##NAME (ws, 1, xs, 1, k / (QK), out, NULL);                                    \
    return out[0][0];                                                                   \
  }                                                                                     \
  static void matmul_##NAME (const void *w, size_t w_row_bytes, int64_t k,              \
                             int64_t r0, int64_t r1, const void *xq,                    \
                             size_t xq_row_bytes, int64_t n_cols, float *y,             \
                             size_t y_stride)                                           \
  {                                                                                     \
    const int64_t nb = k / (QK);                                                        \
    /* rows in blocks of ~ROW_BLOCK_BYTES of weights, each block used for   */         \
    /* all columns while it sits in L2: prefill streams the weights once    */         \
    int64_t rb = (int64_t) (ROW_BLOCK_BYTES / (w_row_bytes ? w_row_bytes : 1));         \
    rb = rb < 4 ? 4 : rb - rb % 4;                                                      \
    for (int64_t b0 = r0; b0 < r1; b0 += rb)                                            \
      {                                                                                 \
        const int64_t b1 = r1 - b0 > rb ? b0 + rb : r1;                                 \
        int64_t c0 = 0;                                                                 \
        while (c0 < n_cols)                                                             \
          {                                                                             \
            const int64_t left = n_cols - c0;                                           \
            const int nc = left >= (PRE_C) ? (PRE_C) : (int) left;                      \
            const int nr = nc == (PRE_C) ? (PRE_R) : nc == 1 ? (DEC_R) : 1;             \
            const XBLOCK *xs[MAXT] = { NULL };                                          \
            float out[MAXT][MAXT];                                                      \
            for (int c = 0; c < nc; c++)                                                \
              xs[c] = (const XBLOCK *) ((const char *) xq + (c0 + c) * xq_row_bytes);   \
            int64_t r = b0;                                                             \
            while (r < b1)                                                              \
              {                                                                         \
                const int n = b1 - r >= nr ? nr : 1;                                    \
                const WBLOCK *ws[MAXT] = { NULL };                                      \
                for (int i = 0; i < n; i++)                                             \
                  ws[i] = (const WBLOCK *) ((const char *) w + (r + i) * w_row_bytes);  \
                const uint8_t *pf = nc == 1 ? pf_start (ws[0], (size_t) n * w_row_bytes)  \
                                            : NULL;                                     \
                /* constant shapes only, so each is its own unrolled tile */           \
                if (n == (DEC_R) && nc == 1)                                            \
                  tile_##NAME (ws, DEC_R, xs, 1, nb, out, pf);                              \
                else if (n == (PRE_R) && nc == (PRE_C))                                 \
                  tile_##NAME (ws, PRE_R, xs, PRE_C, nb, out, pf);                          \
                else if (n == 1 && nc == (PRE_C))                                       \
                  tile_##NAME (ws, 1, xs, PRE_C, nb, out, pf);                              \
                else if (n == 1 && nc == 3)                                             \
                  tile_##NAME (ws, 1, xs, 3, nb, out, pf);                                  \
                else if (n == 1 && nc == 2)                                             \
                  tile_##NAME (ws, 1, xs, 2, nb, out, pf);                                  \
                else /* n == 1, nc == 1 */                                              \
                  tile_##NAME (ws, 1, xs, 1, nb, out, pf);                                  \
                for (int i = 0; i < n; i++)                                             \
                  for (int c = 0; c < nc; c++)                                          \
                    y[(c0 + c) * y_stride + r + i] = out[i][c];                         \
                r += n;                                                                 \
              }                                                                         \
            c0 += nc;                                                                   \
          }                                                                             \
      }                                                                                 \
  }

/* one more expansion step so a SHAPE macro supplies three arguments */
#define QUANT_KERNELS(...) QUANT_KERNELS_IMPL (__VA_ARGS__)

#ifndef SHAPE_Q32
#define SHAPE_Q32 4, 2, 4
#endif
#ifndef SHAPE_QK
#define SHAPE_QK 2, 1, 4
#endif
QUANT_KERNELS (q4_0, gk_block_q4_0, gk_block_q8_0, GK_QK32, SHAPE_Q32)
QUANT_KERNELS (q4_1, gk_block_q4_1, gk_block_q8_1, GK_QK32, SHAPE_Q32)
QUANT_KERNELS (q5_0, gk_block_q5_0, gk_block_q8_0, GK_QK32, SHAPE_Q32)
QUANT_KERNELS (q5_1, gk_block_q5_1, gk_block_q8_1, GK_QK32, SHAPE_Q32)
QUANT_KERNELS (q8_0, gk_block_q8_0, gk_block_q8_0, GK_QK32, SHAPE_Q32)
QUANT_KERNELS (q4_K, gk_block_q4_K, gk_block_q8_K, GK_QK_K, SHAPE_QK)
QUANT_KERNELS (q5_K, gk_block_q5_K, gk_block_q8_K, GK_QK_K, SHAPE_QK)
QUANT_KERNELS (q6_K, gk_block_q6_K, gk_block_q8_K, GK_QK_K, SHAPE_QK)
QUANT_KERNELS (q2_K, gk_block_q2_K, gk_block_q8_K, GK_QK_K, SHAPE_QK)
QUANT_KERNELS (q3_K, gk_block_q3_K, gk_block_q8_K, GK_QK_K, SHAPE_QK)

/* Q4_0 decode (one activation column): the weight stream is the whole
 * cost of a token, so this path trims the per-block work of the generic
 * tile while keeping its arithmetic exactly (same int32 lanes, same float
 * operations in the same order):
 *   - the 16 code bytes are broadcast to both 128-bit lanes by the load and
 *     split into low/high nibbles with one variable shift (0 | 4) and a mask,
 *     instead of shift + insert + mask;
 *   - the -8 offset enters as the initial value of the integer sum
 *     (-8 * sum(y), computed once per activation block for all rows), not
 *     as a subtraction per row;
 *   - DEC_Q4_ROWS rows per pass share the activation block. */
#ifndef DEC_Q4_ROWS
/* 4 rows also with 32 registers: the weights stream from memory, and with
 * 8 rows (11.5 KB tiles at a 2560-wide row) the tile outgrows PF_DIST and
 * falls back to L2-only prefetch; measured against the read-bandwidth
 * probe, 4 rows streamed ~80-90 % of it at k = 2560, 8 rows ~55-75 %. */
#define DEC_Q4_ROWS 4
#endif

ALWAYS_INLINE void
dec_q4_0 (const uint8_t *w, size_t w_row_bytes, int nr, const gk_block_q8_0 *x, int64_t nb,
          float *out, const uint8_t *pf)
{
  const __m256i shift = _mm256_setr_epi32 (0, 0, 0, 0, 4, 4, 4, 4);
  const __m256i m4 = _mm256_set1_epi8 (0x0f);
  __m256 acc[DEC_Q4_ROWS];

  UNROLL for (int r = 0; r < nr; r++)
    acc[r] = _mm256_setzero_ps ();
  for (int64_t i = 0; i < nb; i++)
    {
      prefetch_span (pf, i, (size_t) nr * sizeof (gk_block_q4_0));
      const __m256i yv = _mm256_loadu_si256 ((const __m256i *) x[i].qs);
      const __m256 yd = h2f8 (x[i].d);
      /* -8 * (sum of each lane's four activation bytes) */
      const __m256i noff = _mm256_sub_epi32 (_mm256_setzero_si256 (),
                                             dot_u8_i32 (_mm256_set1_epi8 (8), yv));
      UNROLL for (int r = 0; r < nr; r++)
        {
          const gk_block_q4_0 *b = (const gk_block_q4_0 *) (w + (size_t) r * w_row_bytes) + i;
          const __m256i raw = _mm256_broadcastsi128_si256 (_mm_loadu_si128 ((const __m128i *) b->qs));
          const __m256i q = _mm256_and_si256 (_mm256_srlv_epi32 (raw, shift), m4);
#ifdef GK_AVX512_BUILD
          const __m256i lanes = _mm256_dpbusd_epi32 (noff, q, yv);
#else
          const __m256i lanes = _mm256_add_epi32 (noff, dot_u8_i32 (q, yv));
#endif
          acc[r] = _mm256_fmadd_ps (_mm256_mul_ps (h2f8 (b->d), yd), _mm256_cvtepi32_ps (lanes),
                                    acc[r]);
        }
    }
  UNROLL for (int r = 0; r < nr; r++)
    out[r] = hsum8 (acc[r]);
}

static void
matmul_q4_0_dec (const void *w, size_t w_row_bytes, int64_t k, int64_t r0, int64_t r1,
                 const void *xq, size_t xq_row_bytes, int64_t n_cols, float *y, size_t y_stride)
{
  if (n_cols != 1)
    {
      matmul_q4_0 (w, w_row_bytes, k, r0, r1, xq, xq_row_bytes, n_cols, y, y_stride);
      return;
    }
  const int64_t nb = k / GK_QK32;
  const gk_block_q8_0 *x = xq;
  int64_t r = r0;
  float out[DEC_Q4_ROWS];

  for (; r + DEC_Q4_ROWS <= r1; r += DEC_Q4_ROWS)
    {
      const uint8_t *wr = (const uint8_t *) w + (size_t) r * w_row_bytes;
      dec_q4_0 (wr, w_row_bytes, DEC_Q4_ROWS, x, nb, out, pf_start (wr, DEC_Q4_ROWS * w_row_bytes));
      for (int i = 0; i < DEC_Q4_ROWS; i++)
        y[r + i] = out[i];
    }
  for (; r < r1; r++)
    {
      const uint8_t *wr = (const uint8_t *) w + (size_t) r * w_row_bytes;
      dec_q4_0 (wr, w_row_bytes, 1, x, nb, out, pf_start (wr, w_row_bytes));
      y[r] = out[0];
    }
}

/* ---- prefill through an activation panel ---------------------------------
 *
 * With a whole micro-batch of columns the row tiles above are bound by
 * their float work: every (row, column, block) costs a conversion, a scale
 * product and a multiply-add on 8 lanes.  The panel turns the product
 * around: a strip of PW columns is stored with the 4 codes of group g
 * (values 4g..4g+3 of a block) of every column side by side in 32-bit
 * lanes, so one integer multiply-add of a broadcast weight group against a
 * strip advances PW (row, column) sums at once, and after the 8 groups of a
 * block each lane holds that block's exact integer sum: one float
 * multiply-add per lane, not per 4 codes.  The weights stay in place; a
 * tile unpacks the nibbles of its few rows for one K chunk into a small
 * buffer in L1 (the codes are broadcast from there, 4 bytes at a time).
 *
 * Panel layout, strip after strip, block after block (PANEL_BLK bytes):
 *   codes [8 groups][PW columns][4]   int8, as gk_quantize_act's Q8_0
 *   nsum  [PW]                        int32, minus the sum of the 32 codes
 *   d     [PW]                        float, the F16 scale as F32
 * Columns past n_cols are zero.  The Q4_0 offset of 8 enters as 8 * nsum,
 * the initial value of each block's integer sum.
 *
 * Loop nest: rows in blocks whose weights fit in L2; per block, strips in
 * groups of PANEL_CG; per group, K in chunks of PANEL_KC blocks so the
 * chunk of the strips (PANEL_CG * PANEL_KC * PANEL_BLK bytes) stays in L1
 * while every row tile of the row block uses it; the float sums wait in a
 * small buffer between chunks.  Each output's block terms are added in
 * block order whatever the split, so results do not depend on it. */
#ifdef GK_AVX512_BUILD
#define PW 16      /* columns per strip: one register of 16 int32 lanes */
#define PANEL_CG 2 /* strips per tile: 8 accumulator chains of 4 rows */
#else
#define PW 8
#define PANEL_CG 1 /* 16 registers: 4 int16 + 4 float accumulators */
#endif
#define PANEL_BLK (40 * PW)
#ifndef PANEL_KC
#define PANEL_KC 16
#endif
#define PANEL_NR 4
#define PANEL_RB 64              /* most rows per row block (float buffer) */
#define PANEL_RB_BYTES (256 * 1024) /* weights of a row block, to stay in L2 */

static void
panel_pack_q8_0 (const float *x, int64_t k, int64_t n_cols, int64_t s0, int64_t s1, void *panel)
{
  const int64_t nb = k / GK_QK32;

  for (int64_t s = s0; s < s1; s++)
    {
      uint8_t *strip = (uint8_t *) panel + (size_t) s * (size_t) nb * PANEL_BLK;
      for (int64_t i = 0; i < nb; i++)
        {
          uint8_t *pb = strip + (size_t) i * PANEL_BLK;
          for (int c = 0; c < PW; c++)
            {
              const int64_t col = s * PW + c;
              int8_t qs[GK_QK32];
              int32_t nsum = 0;
              float d = 0.0f;
              if (col < n_cols)
                {
                  gk_half dh;
                  float d_unrounded;
                  nsum = -quant_q8_block (x + col * k + GK_QK32 * i, &dh, qs, &d_unrounded);
                  d = h2f (dh);
                }
              else
                memset (qs, 0, sizeof qs);
              for (int g = 0; g < 8; g++)
                memcpy (pb + (g * PW + c) * 4, qs + 4 * g, 4);
              memcpy (pb + 32 * PW + 4 * c, &nsum, 4);
              memcpy (pb + 36 * PW + 4 * c, &d, 4);
            }
        }
    }
}

/* n blocks of a Q4_0 row from block i0: codes in value order (32 bytes a
 * block) and scales; the next chunk of the row is prefetched, since only
 * the first strip group of a row block reads the weights from memory. */
ALWAYS_INLINE void
panel_unpack_q4_0 (const uint8_t *wr, int64_t i0, int64_t n, int64_t nb, uint8_t *codes,
                   float *scales)
{
  const __m256i shift = _mm256_setr_epi32 (0, 0, 0, 0, 4, 4, 4, 4);
  const __m256i m4 = _mm256_set1_epi8 (0x0f);
  const gk_block_q4_0 *b = (const gk_block_q4_0 *) wr + i0;

  if (i0 + n < nb)
    for (size_t o = 0; o < (size_t) n * sizeof *b; o += 64)
      _mm_prefetch ((const char *) (b + n) + o, _MM_HINT_T0);
  for (int64_t i = 0; i < n; i++)
    {
      const __m256i raw = _mm256_broadcastsi128_si256 (_mm_loadu_si128 ((const __m128i *) b[i].qs));
      _mm256_store_si256 ((__m256i *) (codes + 32 * i), _mm256_and_si256 (_mm256_srlv_epi32 (raw, shift), m4));
      scales[i] = h2f (b[i].d);
    }
}

ALWAYS_INLINE int32_t
load_i32 (const uint8_t *p)
{
  int32_t v;
  memcpy (&v, p, 4);
  return v;
}

/* nr rows (codes/scales as unpacked, PANEL_KC blocks a row) times cg strips
 * starting at strip0, blocks i0 .. i0+n; float sums in acc (row stride
 * PANEL_CG * PW), started from zero when first. */
ALWAYS_INLINE void
panel_tile_q4_0 (const uint8_t *codes, const float *wsc, int nr, const uint8_t *strip0,
                 size_t strip_bytes, int cg, int64_t i0, int64_t n, float *acc, bool first)
{
#ifdef GK_AVX512_BUILD
  __m512 facc[PANEL_NR][PANEL_CG];
  UNROLL for (int r = 0; r < nr; r++)
    UNROLL for (int c = 0; c < cg; c++)
      facc[r][c] = first ? _mm512_setzero_ps () : _mm512_load_ps (acc + r * PANEL_CG * PW + c * PW);
  for (int64_t i = 0; i < n; i++)
    {
      const uint8_t *pb[PANEL_CG];
      __m512i isum[PANEL_NR][PANEL_CG];
      UNROLL for (int c = 0; c < cg; c++)
        {
          pb[c] = strip0 + c * strip_bytes + (size_t) (i0 + i) * PANEL_BLK;
          const __m512i init = _mm512_slli_epi32 (_mm512_loadu_si512 (pb[c] + 32 * PW), 3);
          UNROLL for (int r = 0; r < nr; r++)
            isum[r][c] = init;
        }
      UNROLL for (int g = 0; g < 8; g++)
        {
          __m512i yv[PANEL_CG];
          UNROLL for (int c = 0; c < cg; c++)
            yv[c] = _mm512_loadu_si512 (pb[c] + 4 * PW * g);
          UNROLL for (int r = 0; r < nr; r++)
            {
              const __m512i wv = _mm512_set1_epi32 (load_i32 (codes + (r * PANEL_KC + i) * 32 + 4 * g));
              UNROLL for (int c = 0; c < cg; c++)
                isum[r][c] = _mm512_dpbusd_epi32 (isum[r][c], wv, yv[c]);
            }
        }
      UNROLL for (int r = 0; r < nr; r++)
        {
          const __m512 ws = _mm512_set1_ps (wsc[r * PANEL_KC + i]);
          UNROLL for (int c = 0; c < cg; c++)
            facc[r][c] = _mm512_fmadd_ps (_mm512_mul_ps (ws, _mm512_loadu_ps ((const float *) (pb[c] + 36 * PW))),
                                          _mm512_cvtepi32_ps (isum[r][c]), facc[r][c]);
        }
    }
  UNROLL for (int r = 0; r < nr; r++)
    UNROLL for (int c = 0; c < cg; c++)
      _mm512_store_ps (acc + r * PANEL_CG * PW + c * PW, facc[r][c]);
#else
  /* no VNNI: maddubs gives int16 pairs; 8 groups of two products of
   * codes <= 15 and |y| <= 127 stay below 2^15, so the pairs are summed in
   * int16 over a block and widened once */
  const __m256i ones = _mm256_set1_epi16 (1);
  __m256 facc[PANEL_NR];
  (void) cg;
  UNROLL for (int r = 0; r < nr; r++)
    facc[r] = first ? _mm256_setzero_ps () : _mm256_load_ps (acc + r * PANEL_CG * PW);
  for (int64_t i = 0; i < n; i++)
    {
      const uint8_t *pb = strip0 + (size_t) (i0 + i) * PANEL_BLK;
      __m256i p16[PANEL_NR];
      UNROLL for (int g = 0; g < 8; g++)
        {
          const __m256i yv = _mm256_loadu_si256 ((const __m256i *) (pb + 4 * PW * g));
          UNROLL for (int r = 0; r < nr; r++)
            {
              const __m256i wv = _mm256_set1_epi32 (load_i32 (codes + (r * PANEL_KC + i) * 32 + 4 * g));
              const __m256i p = _mm256_maddubs_epi16 (wv, yv);
              p16[r] = g == 0 ? p : _mm256_add_epi16 (p16[r], p);
            }
        }
      const __m256i init = _mm256_slli_epi32 (_mm256_loadu_si256 ((const __m256i *) (pb + 32 * PW)), 3);
      const __m256 dv = _mm256_loadu_ps ((const float *) (pb + 36 * PW));
      UNROLL for (int r = 0; r < nr; r++)
        {
          const __m256i isum = _mm256_add_epi32 (_mm256_madd_epi16 (p16[r], ones), init);
          facc[r] = _mm256_fmadd_ps (_mm256_mul_ps (_mm256_set1_ps (wsc[r * PANEL_KC + i]), dv),
                                     _mm256_cvtepi32_ps (isum), facc[r]);
        }
    }
  UNROLL for (int r = 0; r < nr; r++)
    _mm256_store_ps (acc + r * PANEL_CG * PW, facc[r]);
#endif
}

static void
matmul_panel_q4_0 (const void *w, size_t w_row_bytes, int64_t k, int64_t r0, int64_t r1,
                   const void *panel, int64_t n_cols, float *y, size_t y_stride)
{
  const int64_t nb = k / GK_QK32;
  const size_t strip_bytes = (size_t) nb * PANEL_BLK;
  const int64_t n_strips = (n_cols + PW - 1) / PW;
  _Alignas (64) float acc[PANEL_RB * PANEL_CG * PW];
  _Alignas (64) uint8_t codes[PANEL_NR * PANEL_KC * 32];
  float wsc[PANEL_NR * PANEL_KC];
  int64_t rb = (int64_t) (PANEL_RB_BYTES / (w_row_bytes ? w_row_bytes : 1));

  rb = rb > PANEL_RB ? PANEL_RB : rb < PANEL_NR ? PANEL_NR : rb - rb % PANEL_NR;
  for (int64_t b0 = r0; b0 < r1; b0 += rb)
    {
      const int64_t b1 = r1 - b0 > rb ? b0 + rb : r1;
      for (int64_t s = 0; s < n_strips; s += PANEL_CG)
        {
          const int cg = n_strips - s >= PANEL_CG ? PANEL_CG : (int) (n_strips - s);
          const uint8_t *strip0 = (const uint8_t *) panel + (size_t) s * strip_bytes;
          for (int64_t i0 = 0; i0 < nb; i0 += PANEL_KC)
            {
              const int64_t n = nb - i0 < PANEL_KC ? nb - i0 : PANEL_KC;
              for (int64_t r = b0; r < b1;)
                {
                  const int nr = b1 - r >= PANEL_NR ? PANEL_NR : 1;
                  float *ar = acc + (r - b0) * PANEL_CG * PW;
                  for (int j = 0; j < nr; j++)
                    panel_unpack_q4_0 ((const uint8_t *) w + (size_t) (r + j) * w_row_bytes, i0, n,
                                       nb, codes + j * PANEL_KC * 32, wsc + j * PANEL_KC);
                  /* constant shapes only, so each is its own unrolled tile */
                  if (nr == PANEL_NR && cg == PANEL_CG)
                    panel_tile_q4_0 (codes, wsc, PANEL_NR, strip0, strip_bytes, PANEL_CG, i0, n, ar, i0 == 0);
                  else if (nr == PANEL_NR)
                    panel_tile_q4_0 (codes, wsc, PANEL_NR, strip0, strip_bytes, 1, i0, n, ar, i0 == 0);
                  else if (cg == PANEL_CG)
                    panel_tile_q4_0 (codes, wsc, 1, strip0, strip_bytes, PANEL_CG, i0, n, ar, i0 == 0);
                  else
                    panel_tile_q4_0 (codes, wsc, 1, strip0, strip_bytes, 1, i0, n, ar, i0 == 0);
                  r += nr;
                }
            }
          const int64_t c0 = s * PW, c1 = (s + cg) * PW < n_cols ? (s + cg) * PW : n_cols;
          for (int64_t c = c0; c < c1; c++)
            for (int64_t r = b0; r < b1; r++)
              y[c * y_stride + r] = acc[(r - b0) * PANEL_CG * PW + (c - c0)];
        }
    }
}

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
  k->matmul[GK_TYPE_Q4_0] = matmul_q4_0_dec;
  SET (Q4_1, q4_1);
  SET (Q5_0, q5_0);
  SET (Q5_1, q5_1);
  SET (Q8_0, q8_0);
  SET (Q4_K, q4_K);
  SET (Q5_K, q5_K);
  SET (Q6_K, q6_K);
  SET (Q2_K, q2_K);
  SET (Q3_K, q3_K);
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
  k->exp_sum = avx2_exp_sum;
  k->softcap_f32 = avx2_softcap_f32;
  k->matmul_f16_f32 = avx2_matmul_f16_f32;
  k->gelu_table_mul = avx2_gelu_table_mul;

  k->panel_width = PW;
  k->panel_pack_q8_0 = panel_pack_q8_0;
  k->matmul_panel[GK_TYPE_Q4_0] = matmul_panel_q4_0;
}
