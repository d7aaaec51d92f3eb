/* gemlet-kernels.h — the one public header of the kernels library.
 *
 * Kernels know nothing of models: they know block formats, how to turn them
 * into floats and back, and how to multiply them with activations.  Type ids
 * are ggml's, so a tensor type read from a GGUF file can be used as is.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ggml type ids (stable on-disk numbers; never renumber). */
typedef enum {
  GK_TYPE_F32 = 0,
  GK_TYPE_F16 = 1,
  GK_TYPE_Q4_0 = 2,
  GK_TYPE_Q4_1 = 3,
  GK_TYPE_Q5_0 = 6,
  GK_TYPE_Q5_1 = 7,
  GK_TYPE_Q8_0 = 8,
  GK_TYPE_Q8_1 = 9,
  GK_TYPE_Q2_K = 10,
  GK_TYPE_Q3_K = 11,
  GK_TYPE_Q4_K = 12,
  GK_TYPE_Q5_K = 13,
  GK_TYPE_Q6_K = 14,
  GK_TYPE_Q8_K = 15,
  GK_TYPE_BF16 = 30,
  GK_TYPE_COUNT = 48 /* table size; ids above are rejected */
} gk_type;

typedef struct {
  const char *name;     /* "Q4_0"; NULL for an id no table entry knows */
  uint32_t block_size;  /* values per block (1 for F32/F16/BF16) */
  uint32_t type_size;   /* bytes per block */
  bool supported;       /* Gemlet can dequantize it */
} gk_type_info;

/* Type table lookup; returns NULL for an unknown id. Names are also returned
 * for ggml ids Gemlet knows by name but cannot compute with (supported=false). */
const gk_type_info *gk_type_get (uint32_t type);

/* Bytes of a row of n values; 0 if n is not a multiple of the block size or
 * the type is unknown. */
size_t gk_row_size (uint32_t type, int64_t n);

/* Scalar reference conversions (exact, round-to-nearest-even for F16/BF16). */
float gk_fp16_to_fp32 (uint16_t h);
uint16_t gk_fp32_to_fp16 (float f);
float gk_bf16_to_fp32 (uint16_t b);
uint16_t gk_fp32_to_bf16 (float f);

/* Reference dequantize of n values (n a multiple of the block size). */
void gk_dequantize_row (uint32_t type, const void *src, float *dst, int64_t n);

/* Reference quantize of n values; returns bytes written (0 on bad args).
 * Matches ggml's *_ref quantizers so files we write load identically there. */
size_t gk_quantize_row_ref (uint32_t type, const float *src, void *dst, int64_t n);

#ifdef __cplusplus
}
#endif
