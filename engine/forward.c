/* forward.c — the Gemma 4 text decoder for one micro-batch (spec §2).
 *
 * Activations are F32, one row per token. Every step but attention is
 * per-token. Layers from the first KV-shared one on read caches that are
 * already complete for the batch, so only rows whose logits are wanted go
 * through them (and none when no logits are wanted).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "session.h"

#include "gemlet-kernels.h"
#include "mobile-model.h"
#include "ops.h"

#include <math.h>
#include <string.h>

/* llama.cpp's CPU backend evaluates GELU through an fp16 table; matching it
 * keeps our logits closest to the reference (GEMLET_GELU_EXACT=1 opts out). */
static gk_gelu_mode
gelu_mode (const gm_model *m)
{
  return m->gelu_exact ? GK_GELU_TANH : GK_GELU_TANH_TABLE;
}

/* q/k: n rows of n_heads vectors of D; norm with weight w, then RoPE. */
static void
norm_rope_heads (const gm_hparams *hp, float *x, int32_t n, uint32_t n_heads, uint32_t D,
                 const float *w, const float *rope, uint32_t n_rot)
{
  for (int32_t t = 0; t < n; t++)
    for (uint32_t h = 0; h < n_heads; h++)
      {
        float *v = x + ((size_t) t * n_heads + h) * D;

        gm_rms_norm (v, w, v, D, hp->rms_eps);
        if (rope != NULL)
          gm_rope_neox (v, (int) n_rot, rope + (size_t) t * n_rot);
      }
}

/* x[t] += RMSNorm(o[t], w) */
static void
norm_add (const gm_hparams *hp, float *x, float *o, const float *w, int32_t n)
{
  const int64_t H = hp->n_embd;

  for (int32_t t = 0; t < n; t++)
    {
      float *orow = o + (size_t) t * H, *xrow = x + (size_t) t * H;

      gm_rms_norm (orow, w, orow, H, hp->rms_eps);
      for (int64_t i = 0; i < H; i++)
        xrow[i] = orow[i] + xrow[i];
    }
}

static void
attention_block (gm_session *s, uint32_t il, int32_t n)
{
  const gm_model *m = s->model;
  const gm_hparams *hp = &m->hp;
  const gm_layer *L = &m->layers[il];
  gm_scratch *scr = &s->scr;
  const int64_t H = hp->n_embd;
  const uint32_t D = gm_hparams_head_dim (hp, il);
  const bool swa = hp->is_swa[il];
  const uint32_t n_rot = swa ? hp->n_rot_swa : hp->n_rot_full;
  const float *rope = swa ? scr->rope_swa : scr->rope_full;

  for (int32_t t = 0; t < n; t++)
    gm_rms_norm (scr->x + t * H, L->attn_norm, scr->xn + t * H, H, hp->rms_eps);

  /* q, k and v share their input: one pass of the pool (gm_matmul_multi) */
  {
    const bool own = hp->kv_source[il] == il;
    const gm_weight *w[3] = { &L->wq, &L->wk, &L->wv };
    float *y[3] = { scr->q, scr->k, scr->v };

    gm_matmul_multi (s->mm, !own ? 1 : L->wv.data != NULL ? 3 : 2, w, scr->xn, n, y);
  }
  norm_rope_heads (hp, scr->q, n, hp->n_head, D, L->q_norm, rope, n_rot);

  if (hp->kv_source[il] == il)
    {
      const uint32_t nkv = hp->n_head_kv[il];
      gm_kv_layer *c = &s->kv.layers[il];

      if (L->wv.data == NULL)
        memcpy (scr->v, scr->k, (size_t) n * c->width * sizeof (float));
      norm_rope_heads (hp, scr->k, n, nkv, D, L->k_norm, rope, n_rot);
      norm_rope_heads (hp, scr->v, n, nkv, D, NULL, NULL, 0);

      for (int32_t t = 0; t < n; t++)
        gm_kv_store (c, gm_kv_slot (c->ring, scr->pos[t]), scr->k + (size_t) t * c->width,
                     scr->v + (size_t) t * c->width);
    }

  gm_attention (s, il, n, scr->pos, scr->q, scr->att);
  gm_matmul (s->mm, &L->wo, scr->att, n, scr->o);
  norm_add (hp, scr->x, scr->o, L->post_attn_norm, n);
}

static void
ffn_block (gm_session *s, uint32_t il, int32_t n)
{
  const gm_model *m = s->model;
  const gm_hparams *hp = &m->hp;
  const gm_layer *L = &m->layers[il];
  gm_scratch *scr = &s->scr;
  const int64_t H = hp->n_embd;
  const int64_t F = hp->n_ff[il];

  for (int32_t t = 0; t < n; t++)
    gm_rms_norm (scr->x + t * H, L->ffn_norm, scr->xn + t * H, H, hp->rms_eps);
  {
    const gm_weight *w[2] = { &L->ffn_gate, &L->ffn_up };
    float *y[2] = { scr->gate, scr->up };

    gm_matmul_multi (s->mm, 2, w, scr->xn, n, y);
  }
  gk_geglu (scr->gate, scr->up, scr->gate, (int64_t) n * F, gelu_mode (m));
  gm_matmul (s->mm, &L->ffn_down, scr->gate, n, scr->o);
  norm_add (hp, scr->x, scr->o, L->post_ffw_norm, n);
}

static void
ple_block (gm_session *s, uint32_t il, int32_t n)
{
  const gm_model *m = s->model;
  const gm_hparams *hp = &m->hp;
  const gm_layer *L = &m->layers[il];
  gm_scratch *scr = &s->scr;
  const int64_t P = hp->n_embd_per_layer;
  const int64_t LP = P * hp->n_layer;

  gm_matmul (s->mm, &L->inp_gate, scr->x, n, scr->pg);
  gk_gelu_inplace (scr->pg, (int64_t) n * P, gelu_mode (m));
  for (int32_t t = 0; t < n; t++)
    {
      float *g = scr->pg + t * P;
      const float *e = scr->ple + t * LP + il * P;

      for (int64_t i = 0; i < P; i++)
        g[i] *= e[i];
    }
  gm_matmul (s->mm, &L->proj, scr->pg, n, scr->o);
  norm_add (hp, scr->x, scr->o, L->post_norm, n);
}

/* Keeps only the last row of every per-token buffer later layers read. */
static void
keep_last_row (gm_session *s, int32_t n)
{
  const gm_hparams *hp = &s->model->hp;
  gm_scratch *scr = &s->scr;
  const size_t H = hp->n_embd, LP = (size_t) hp->n_embd_per_layer * hp->n_layer;

  memmove (scr->x, scr->x + (n - 1) * H, H * sizeof (float));
  if (LP > 0)
    memmove (scr->ple, scr->ple + (n - 1) * LP, LP * sizeof (float));
  memmove (scr->rope_swa, scr->rope_swa + (size_t) (n - 1) * hp->n_rot_swa,
           hp->n_rot_swa * sizeof (float));
  memmove (scr->rope_full, scr->rope_full + (size_t) (n - 1) * hp->n_rot_full,
           hp->n_rot_full * sizeof (float));
  scr->pos[0] = scr->pos[n - 1];
}

gm_status
gm_forward (gm_session *s, const int32_t *tokens, int32_t n, int32_t pos0, float *logits,
            bool all_logits)
{
  const gm_model *m = s->model;
  const gm_hparams *hp = &m->hp;
  gm_scratch *scr = &s->scr;
  const int64_t H = hp->n_embd;
  const float emb_scale = sqrtf ((float) H);
  int32_t n_act = n;

  gm_kv_begin (&s->kv, pos0, n);

  for (int32_t t = 0; t < n; t++)
    {
      float *row = scr->x + t * H;

      gm_weight_row (&m->tok_embd, tokens[t], row);
      for (int64_t i = 0; i < H; i++)
        row[i] *= emb_scale;
      scr->pos[t] = pos0 + t;
      gm_rope_angles (scr->rope_swa + (size_t) t * hp->n_rot_swa, pos0 + t, (int) hp->n_rot_swa,
                      hp->rope_base_swa, NULL);
      gm_rope_angles (scr->rope_full + (size_t) t * hp->n_rot_full, pos0 + t, (int) hp->n_rot_full,
                      hp->rope_base_full, m->rope_freqs);
    }
  if (hp->n_embd_per_layer > 0)
    gm_ple_compute (s, tokens, n, scr->x, scr->ple);

  for (uint32_t il = 0; il < hp->n_layer; il++)
    {
      if (s->abort_fn != NULL && s->abort_fn (s->abort_user))
        return GM_ERR_CANCELLED;

      if (il == hp->n_layer_kv_from_start && !all_logits)
        {
          /* every cache is written: the rest only matters for outputs */
          if (logits == NULL)
            break;
          if (n_act > 1)
            {
              keep_last_row (s, n_act);
              n_act = 1;
            }
        }

      attention_block (s, il, n_act);
      ffn_block (s, il, n_act);
      if (hp->n_embd_per_layer > 0)
        ple_block (s, il, n_act);
      if (m->layers[il].out_scale != 1.0f)
        for (int64_t i = 0; i < (int64_t) n_act * H; i++)
          scr->x[i] *= m->layers[il].out_scale;
    }

  if (logits == NULL)
    return GM_OK;

  {
    const int32_t first = all_logits ? 0 : n_act - 1;
    const int32_t n_out = n_act - first;
    float *xs = scr->x + (size_t) first * H;

    for (int32_t t = 0; t < n_out; t++)
      gm_rms_norm (xs + t * H, m->output_norm, xs + t * H, H, hp->rms_eps);
    /* the soft-cap runs in the LM head's threads, on rows still in cache */
    gm_matmul_softcap (s->mm, &m->output, xs, n_out, logits, hp->final_softcap);
  }
  return GM_OK;
}
