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
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

/* Reading a row of the mapped table faults its pages into this process, and
 * the kernel maps already-cached neighbours with them ("fault-around"), so
 * the process would gather far more than one row per new token until it
 * held most of the 1.9 GB table. Dropping this window's mappings after the
 * read keeps resident memory flat; the data stays in the page cache, where
 * the next read of a nearby row finds it. */
#define PLE_RELEASE_WINDOW ((uintptr_t) 1 << 20)

static void
release_row (const gm_weight *w, int64_t r)
{
  static long page_size;
  uintptr_t page, t_lo, t_hi, lo, hi;
  const uintptr_t row = (uintptr_t) (w->data + (size_t) r * w->row_bytes);

  if (page_size == 0)
    page_size = sysconf (_SC_PAGESIZE) > 0 ? sysconf (_SC_PAGESIZE) : 4096;
  page = (uintptr_t) page_size;
  /* only whole pages of the table: its first and last pages may hold
   * weights that must stay resident */
  t_lo = ((uintptr_t) w->data + page - 1) & ~(page - 1);
  t_hi = ((uintptr_t) w->data + (uintptr_t) w->row_bytes * (uintptr_t) w->ne1) & ~(page - 1);
  lo = row & ~(PLE_RELEASE_WINDOW - 1);
  hi = (row + w->row_bytes + PLE_RELEASE_WINDOW - 1) & ~(PLE_RELEASE_WINDOW - 1);
  lo = lo > t_lo ? lo : t_lo;
  hi = hi < t_hi ? hi : t_hi;
  /* read-only file pages: a later read simply faults them in again */
  if (hi > lo)
    madvise ((void *) lo, hi - lo, MADV_DONTNEED);
}

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
      release_row (&m->ple_tok, tokens[t]);
      for (int64_t i = 0; i < LP; i++)
        row[i] = (row[i] + tok[i] * tok_scale) * out_scale;
    }
}
