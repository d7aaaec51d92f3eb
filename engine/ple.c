/* ple.c — Gemma 4 per-layer embeddings, computed once per token before
 * layer 0: (RMSNorm(W_proj·h0 / √H) + table[token]·√P) / √2, one P-wide slice
 * per layer. The table stays memory-mapped; only the token's row (L·P values)
 * is dequantized.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "session.h"

#include "gemlet-kernels.h"
#include "mobile-model.h"
#include "ops.h"

#include <math.h>

void
gm_ple_compute (gm_session *s, const int32_t *tokens, int32_t n, const float *x, float *out)
{
  const gm_model *m = s->model;
  const gm_hparams *hp = &m->hp;
  const int64_t P = hp->n_embd_per_layer;
  const int64_t LP = P * hp->n_layer;
  const float proj_scale = 1.0f / sqrtf ((float) hp->n_embd);
  const float tok_scale = sqrtf ((float) P);
  const float out_scale = 1.0f / sqrtf (2.0f);
  float *tok = s->scr.ple_tok;

  gm_matmul (s->mm, &m->ple_proj, x, n, out);
  for (int32_t t = 0; t < n; t++)
    {
      float *row = out + (size_t) t * LP;

      for (int64_t i = 0; i < LP; i++)
        row[i] *= proj_scale;
      for (uint32_t l = 0; l < hp->n_layer; l++)
        gm_rms_norm (row + l * P, m->ple_proj_norm, row + l * P, P, hp->rms_eps);
      gm_weight_row (&m->ple_tok, tokens[t], tok);
      for (int64_t i = 0; i < LP; i++)
        row[i] = (row[i] + tok[i] * tok_scale) * out_scale;
    }
}
