/* gk-chanwise.h — internal helpers of the channel-wise integer kernels
 * (gk-chanwise.c); the entry points are declared in gemlet-kernels.h.
 *
 * Codes come in two storages (engine/MOBILE-FORMAT.md): compressed-tensors
 * "pack-quantized" (field u = q + 2^(bits-1), element j at bit j*bits of the
 * row, least significant first) and "int-quantized" (one two's-complement
 * int8 per element). Rows are read byte by byte, so they may be unaligned.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "gemlet-kernels.h"

#include <stdint.h>
#include <string.h>

/* Signed code of element j of a row. No field crosses a byte for 2, 4 or
 * 8 bits, so one byte load is enough. */
static inline int
gk_cw_code (const uint8_t *row, int bits, bool offset_binary, int64_t j)
{
  if (offset_binary)
    {
      const uint64_t bit = (uint64_t) j * (uint64_t) bits;
      const int field = (row[bit >> 3] >> (bit & 7)) & ((1 << bits) - 1);

      return field - (1 << (bits - 1));
    }
  return (int8_t) row[j];
}

/* Scale of group g of a row as float (unaligned little-endian loads). */
static inline float
gk_cw_scale (const gk_cw_row *row, int64_t g)
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
        u = (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16
            | (uint32_t) p[3] << 24;
        memcpy (&f, &u, sizeof f);
        return f;
      }
    }
}

/* Rows the SIMD kernels take: whole 32-element blocks in every group, and
 * 2/4-bit codes packed (int-quantized storage exists only for 8 bits). */
static inline bool
gk_cw_simd_ok (const gk_cw_row *row, int64_t n)
{
  return n % 32 == 0 && row->group_size % 32 == 0 && n % row->group_size == 0
         && (row->bits == 8 || (row->offset_binary && (row->bits == 2 || row->bits == 4)));
}

/* Scalar reference kernels (gk-chanwise.c): what the dispatched entry
 * points run when no SIMD variant applies. */
float gk_cw_dot_f32_ref (const gk_cw_row *row, const float *x, int64_t n);
float gk_cw_dot_i8_ref (const gk_cw_row *row, const int8_t *xq, float x_scale, int64_t n);

#ifdef GK_HAVE_AVX2
/* AVX2 kernels (gk-chanwise-avx2.c), for rows gk_cw_simd_ok accepts. */
float gk_cw_dot_f32_avx2 (const gk_cw_row *row, const float *x, int64_t n);
/* pre: block prefix sums of xq (gk_cw_act_prefix), or NULL. */
float gk_cw_dot_i8_avx2 (const gk_cw_row *row, const int8_t *xq, const int32_t *pre, float x_scale,
                         int64_t n);
float gk_cw_dot_i8_perm_avx2 (const gk_cw_row *row, const int8_t *xp, const int32_t *pre,
                              float x_scale, int64_t n);
void gk_cw_matvec_i8_perm_avx2 (const gk_cw_matrix *w, int64_t r0, int64_t r1, const int8_t *xp,
                                const int32_t *pre, float x_scale, int64_t n, float *y);
void gk_cw_matmul_i8_perm_avx2 (const gk_cw_matrix *w, int64_t r0, int64_t r1, const int8_t *xp,
                                const int32_t *pre, const float *x_scale, int64_t n_tok, int64_t n,
                                float *y, size_t ldy);
void gk_cw_quant_act_avx2 (const float *x, float scale, int8_t *q, int64_t n);
void gk_cw_fake_quant_avx2 (float *x, float scale, int64_t n);
float gk_cw_absmax_avx2 (const float *x, int64_t n);
#endif

/* The dispatch in gk-chanwise.c orders the x86 variants (AVX-512 includes
 * AVX2) with >=; NEON sits after them in gk_variant and is only compared
 * with ==. That is sound because no build has both. */
#if defined(GK_HAVE_NEON) && (defined(GK_HAVE_AVX2) || defined(GK_HAVE_AVX512))
#error "NEON and x86 channel-wise kernels in one build"
#endif

#ifdef GK_HAVE_NEON
/* AArch64 SDOT kernels (gk-chanwise-neon.c): dot_f32/dot_i8 for rows
 * gk_cw_simd_ok accepts, the permuted-layout ones for gk_cw_perm_ok rows
 * (2, 4 and 8 bits). */
float gk_cw_dot_f32_neon (const gk_cw_row *row, const float *x, int64_t n);
float gk_cw_dot_i8_neon (const gk_cw_row *row, const int8_t *xq, float x_scale, int64_t n);
float gk_cw_dot_i8_perm_neon (const gk_cw_row *row, const int8_t *xp, const int32_t *pre,
                              float x_scale, int64_t n);
void gk_cw_matvec_i8_perm_neon (const gk_cw_matrix *w, int64_t r0, int64_t r1, const int8_t *xp,
                                const int32_t *pre, float x_scale, int64_t n, float *y);
void gk_cw_matmul_i8_perm_neon (const gk_cw_matrix *w, int64_t r0, int64_t r1, const int8_t *xp,
                                const int32_t *pre, const float *x_scale, int64_t n_tok, int64_t n,
                                float *y, size_t ldy);
void gk_cw_quant_act_neon (const float *x, float scale, int8_t *q, int64_t n);
void gk_cw_fake_quant_neon (float *x, float scale, int64_t n);
float gk_cw_absmax_neon (const float *x, int64_t n);
#endif

#ifdef GK_HAVE_AVX512
/* AVX-512 VNNI (gk-chanwise-avx512.c), for gk_cw_perm_ok rows. */
float gk_cw_dot_i8_perm_avx512 (const gk_cw_row *row, const int8_t *xp, const int32_t *pre,
                                float x_scale, int64_t n);
void gk_cw_matvec_i8_perm_avx512 (const gk_cw_matrix *w, int64_t r0, int64_t r1,
                                  const int8_t *xp, const int32_t *pre, float x_scale, int64_t n,
                                  float *y);
void gk_cw_matmul_i8_perm_avx512 (const gk_cw_matrix *w, int64_t r0, int64_t r1, const int8_t *xp,
                                  const int32_t *pre, const float *x_scale, int64_t n_tok,
                                  int64_t n, float *y, size_t ldy);
#endif
