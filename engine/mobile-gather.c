/* mobile-gather.c — one row of a weight as F32, for the embedding lookups
 * (token_embd, the per-layer table): GGUF rows go through the kernels'
 * dequantizer, channel-wise rows (int2 embedding, group-wise int2/int4
 * per-layer table) through their scales.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "mobile-model.h"

#include "gemlet-kernels.h"

void
gm_weight_row (const gm_weight *w, int64_t r, float *out)
{
  if (w->cw != NULL)
    {
      gk_cw_row row;

      mobile_tensor_cw_row (w->cw->t, r, &row);
      gk_cw_dequant_row (&row, out, w->ne0);
      return;
    }
  gk_dequantize_row (w->type, w->data + (size_t) r * w->row_bytes, out, w->ne0);
}
