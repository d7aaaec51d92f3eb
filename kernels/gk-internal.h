/* gk-internal.h — declarations shared by the kernel library's own files.
 *
 * The public header is gemlet-kernels.h; nothing here is for callers.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "gemlet-kernels.h"
#include "gk-blocks.h"

#include <string.h>

/* Row converters, one per type; n is a multiple of the block size. */
typedef void (*gk_dequant_fn) (const void *src, float *dst, int64_t n);
typedef void (*gk_quant_fn) (const float *src, void *dst, int64_t n);

/* Reference dequantizers (gk-dequant-ref.c). */
void gk_ref_dequant_f32 (const void *src, float *dst, int64_t n);
void gk_ref_dequant_f16 (const void *src, float *dst, int64_t n);
void gk_ref_dequant_bf16 (const void *src, float *dst, int64_t n);
void gk_ref_dequant_q4_0 (const void *src, float *dst, int64_t n);
void gk_ref_dequant_q4_1 (const void *src, float *dst, int64_t n);
void gk_ref_dequant_q5_0 (const void *src, float *dst, int64_t n);
void gk_ref_dequant_q5_1 (const void *src, float *dst, int64_t n);
void gk_ref_dequant_q8_0 (const void *src, float *dst, int64_t n);
void gk_ref_dequant_q8_1 (const void *src, float *dst, int64_t n);
void gk_ref_dequant_q2_K (const void *src, float *dst, int64_t n);
void gk_ref_dequant_q3_K (const void *src, float *dst, int64_t n);
void gk_ref_dequant_q4_K (const void *src, float *dst, int64_t n);
void gk_ref_dequant_q5_K (const void *src, float *dst, int64_t n);
void gk_ref_dequant_q6_K (const void *src, float *dst, int64_t n);
void gk_ref_dequant_q8_K (const void *src, float *dst, int64_t n);

/* Reference quantizers matching ggml's *_ref output (gk-quant-ref.c,
 * gk-quant-kq.c). */
void gk_ref_quant_f32 (const float *src, void *dst, int64_t n);
void gk_ref_quant_f16 (const float *src, void *dst, int64_t n);
void gk_ref_quant_bf16 (const float *src, void *dst, int64_t n);
void gk_ref_quant_q4_0 (const float *src, void *dst, int64_t n);
void gk_ref_quant_q4_1 (const float *src, void *dst, int64_t n);
void gk_ref_quant_q5_0 (const float *src, void *dst, int64_t n);
void gk_ref_quant_q5_1 (const float *src, void *dst, int64_t n);
void gk_ref_quant_q8_0 (const float *src, void *dst, int64_t n);
void gk_ref_quant_q8_1 (const float *src, void *dst, int64_t n);
void gk_ref_quant_q2_K (const float *src, void *dst, int64_t n);
void gk_ref_quant_q3_K (const float *src, void *dst, int64_t n);
void gk_ref_quant_q4_K (const float *src, void *dst, int64_t n);
void gk_ref_quant_q5_K (const float *src, void *dst, int64_t n);
void gk_ref_quant_q6_K (const float *src, void *dst, int64_t n);
void gk_ref_quant_q8_K (const float *src, void *dst, int64_t n);

/* Per-type hooks behind the public type table (gk-types.c). */
typedef struct {
  gk_type_info info;
  gk_dequant_fn dequant;   /* NULL when unsupported */
  gk_quant_fn quant_ref;   /* NULL when Gemlet cannot write the type */
} gk_type_traits;

const gk_type_traits *gk_type_traits_get (uint32_t type);

/* Scalar row conversions (gk-fp16.c). */
void gk_scalar_fp16_to_fp32_row (const uint16_t *src, float *dst, int64_t n);
void gk_scalar_fp32_to_fp16_row (const float *src, uint16_t *dst, int64_t n);
void gk_scalar_bf16_to_fp32_row (const uint16_t *src, float *dst, int64_t n);
void gk_scalar_fp32_to_bf16_row (const float *src, uint16_t *dst, int64_t n);

static inline float
gk_h2f (gk_half h)
{
  return gk_fp16_to_fp32 (h);
}

static inline gk_half
gk_f2h (float f)
{
  return gk_fp32_to_fp16 (f);
}

/* ggml's rounding helper: adding 1.5 * 2^23 puts the integer part of the
 * sum in the low mantissa bits, which rounds to nearest-even in the FPU.
 * Valid for |x| < 2^22; the K-quant searches rely on its exact behaviour,
 * so it is reproduced rather than replaced by lrintf. */
static inline int
gk_nearest_int (float x)
{
  float v = x + 12582912.0f;
  int32_t i;
  memcpy (&i, &v, sizeof i);
  return (i & 0x007fffff) - 0x00400000;
}

/* ---- Kernel tables ---------------------------------------------------- */

/* One dot product of k values: weight row w, activation row x already in
 * the weight type's activation format. */
typedef float (*gk_vec_dot_fn) (const void *w, const void *x, int64_t k);

/* See gk_matmul in gemlet-kernels.h. */
typedef void (*gk_matmul_fn) (const void *w, size_t w_row_bytes, int64_t k,
                              int64_t row_begin, int64_t row_end,
                              const void *xq, size_t xq_row_bytes, int64_t n_cols,
                              float *y, size_t y_stride);

/* See gk_matmul_panel in gemlet-kernels.h. */
typedef void (*gk_panel_matmul_fn) (const void *w, size_t w_row_bytes, int64_t k,
                                    int64_t row_begin, int64_t row_end, const void *panel,
                                    int64_t n_cols, float *y, size_t y_stride);

/* A variant's function pointers.  Each variant starts from a copy of the
 * scalar table and overrides what it accelerates, so every slot the scalar
 * table fills is always callable. */
typedef struct {
  const char *name;
  gk_vec_dot_fn vec_dot[GK_TYPE_COUNT];    /* by weight type */
  gk_matmul_fn matmul[GK_TYPE_COUNT];      /* by weight type; NULL: loop of vec_dot */
  gk_quant_fn quantize_act[GK_TYPE_COUNT]; /* by activation type */
  void (*fp16_to_fp32_row) (const uint16_t *src, float *dst, int64_t n);
  void (*fp32_to_fp16_row) (const float *src, uint16_t *dst, int64_t n);
  void (*bf16_to_fp32_row) (const uint16_t *src, float *dst, int64_t n);
  void (*fp32_to_bf16_row) (const float *src, uint16_t *dst, int64_t n);
  float (*dot_f32) (const float *a, const float *b, int64_t n);
  void (*axpy_f32) (float a, const float *x, float *y, int64_t n);
  void (*scale_f32) (float *x, float a, int64_t n);
  float (*dot_f16_f32) (const uint16_t *a, const float *b, int64_t n);
  /* see gk_matmul_f16_f32; NULL: a loop of dot_f16_f32 */
  void (*matmul_f16_f32) (const uint16_t *w, size_t w_row_bytes, int64_t k, int64_t r0,
                          int64_t r1, const float *x, size_t x_row_bytes, int64_t n_cols,
                          float *y, size_t y_stride);
  void (*axpy_f16) (float a, const uint16_t *x, float *y, int64_t n);
  /* x[i] = exp (x[i] - max); returns the sum of the new x (in double) */
  double (*exp_sum) (float *x, int64_t n, float max);
  /* x[i] = cap * tanh (x[i] / cap) (logit soft-capping) */
  void (*softcap_f32) (float *x, int64_t n, float cap);
  /* out[i] = gelu_table (x[i]) [* up[i] when up != NULL], llama.cpp's fp16
   * table GELU (see gelu_lookup in gk-ops.c); NULL: the scalar loop */
  void (*gelu_table_mul) (const float *x, const float *up, float *out, int64_t n,
                          const uint16_t *table);
  /* Prefill through an activation panel (gk_panel_bytes): panel_width
   * columns per strip (0: no panel kernels), the Q8_0 packer, and the
   * products by weight type (NULL: none for that type). */
  int panel_width;
  void (*panel_pack_q8_0) (const float *x, int64_t k, int64_t n_cols, int64_t s0, int64_t s1,
                           void *panel);
  gk_panel_matmul_fn matmul_panel[GK_TYPE_COUNT];
} gk_kernels;

/* Filled by each variant's file (gk-scalar.c, gk-avx2.c, ...). */
void gk_kernels_fill_scalar (gk_kernels *k);
void gk_kernels_fill_avx2 (gk_kernels *k);
void gk_kernels_fill_avx512 (gk_kernels *k);
void gk_kernels_fill_neon (gk_kernels *k);

/* The table in use (gk-dispatch.c); initializes on first use. */
const gk_kernels *gk_kernels_current (void);

/* GELU helpers shared by variants (gk-ops.c). */
float gk_gelu_tanh_f32 (float x);
const uint16_t *gk_gelu_table (void);
