/* gk-types.c — the type table: names, block geometry, reference converters.
 *
 * Ids and geometry are ggml's.  Types Gemlet cannot compute with are listed
 * by name only (supported=false), so a file using them can be described
 * and rejected with a clear message.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "gk-internal.h"

#define OK(id, nm, bs, ts, dq, q) \
  [id] = { { nm, bs, ts, true }, dq, q }
#define NAMED(id, nm, bs, ts) \
  [id] = { { nm, bs, ts, false }, NULL, NULL }

static const gk_type_traits traits[GK_TYPE_COUNT] = {
  OK (GK_TYPE_F32, "F32", 1, 4, gk_ref_dequant_f32, gk_ref_quant_f32),
  OK (GK_TYPE_F16, "F16", 1, 2, gk_ref_dequant_f16, gk_ref_quant_f16),
  OK (GK_TYPE_Q4_0, "Q4_0", 32, 18, gk_ref_dequant_q4_0, gk_ref_quant_q4_0),
  OK (GK_TYPE_Q4_1, "Q4_1", 32, 20, gk_ref_dequant_q4_1, gk_ref_quant_q4_1),
  OK (GK_TYPE_Q5_0, "Q5_0", 32, 22, gk_ref_dequant_q5_0, gk_ref_quant_q5_0),
  OK (GK_TYPE_Q5_1, "Q5_1", 32, 24, gk_ref_dequant_q5_1, gk_ref_quant_q5_1),
  OK (GK_TYPE_Q8_0, "Q8_0", 32, 34, gk_ref_dequant_q8_0, gk_ref_quant_q8_0),
  OK (GK_TYPE_Q8_1, "Q8_1", 32, 36, gk_ref_dequant_q8_1, gk_ref_quant_q8_1),
  OK (GK_TYPE_Q2_K, "Q2_K", 256, 84, gk_ref_dequant_q2_K, gk_ref_quant_q2_K),
  OK (GK_TYPE_Q3_K, "Q3_K", 256, 110, gk_ref_dequant_q3_K, gk_ref_quant_q3_K),
  OK (GK_TYPE_Q4_K, "Q4_K", 256, 144, gk_ref_dequant_q4_K, gk_ref_quant_q4_K),
  OK (GK_TYPE_Q5_K, "Q5_K", 256, 176, gk_ref_dequant_q5_K, gk_ref_quant_q5_K),
  OK (GK_TYPE_Q6_K, "Q6_K", 256, 210, gk_ref_dequant_q6_K, gk_ref_quant_q6_K),
  OK (GK_TYPE_Q8_K, "Q8_K", 256, 292, gk_ref_dequant_q8_K, gk_ref_quant_q8_K),
  OK (GK_TYPE_BF16, "BF16", 1, 2, gk_ref_dequant_bf16, gk_ref_quant_bf16),

  NAMED (16, "IQ2_XXS", 256, 66),
  NAMED (17, "IQ2_XS", 256, 74),
  NAMED (18, "IQ3_XXS", 256, 98),
  NAMED (19, "IQ1_S", 256, 50),
  NAMED (20, "IQ4_NL", 32, 18),
  NAMED (21, "IQ3_S", 256, 110),
  NAMED (22, "IQ2_S", 256, 82),
  NAMED (23, "IQ4_XS", 256, 136),
  NAMED (24, "I8", 1, 1),
  NAMED (25, "I16", 1, 2),
  NAMED (26, "I32", 1, 4),
  NAMED (27, "I64", 1, 8),
  NAMED (28, "F64", 1, 8),
  NAMED (29, "IQ1_M", 256, 56),
  NAMED (34, "TQ1_0", 256, 54),
  NAMED (35, "TQ2_0", 256, 66),
  NAMED (39, "MXFP4", 32, 17),
  NAMED (40, "NVFP4", 64, 36),
  NAMED (41, "Q1_0", 128, 18),
  NAMED (42, "Q2_0", 64, 18),
};

const gk_type_traits *
gk_type_traits_get (uint32_t type)
{
  if (type >= GK_TYPE_COUNT || traits[type].info.name == NULL)
    return NULL;
  return &traits[type];
}

const gk_type_info *
gk_type_get (uint32_t type)
{
  const gk_type_traits *t = gk_type_traits_get (type);
  return t ? &t->info : NULL;
}

size_t
gk_row_size (uint32_t type, int64_t n)
{
  const gk_type_info *info = gk_type_get (type);

  if (info == NULL || n < 0 || n % info->block_size != 0)
    return 0;
  return (size_t) (n / info->block_size) * info->type_size;
}

void
gk_dequantize_row (uint32_t type, const void *src, float *dst, int64_t n)
{
  const gk_type_traits *t = gk_type_traits_get (type);

  if (t == NULL || t->dequant == NULL || n <= 0 || n % t->info.block_size != 0)
    return;
  t->dequant (src, dst, n);
}

size_t
gk_quantize_row_ref (uint32_t type, const float *src, void *dst, int64_t n)
{
  const gk_type_traits *t = gk_type_traits_get (type);

  if (t == NULL || t->quant_ref == NULL || n <= 0 || n % t->info.block_size != 0)
    return 0;
  t->quant_ref (src, dst, n);
  return gk_row_size (type, n);
}
