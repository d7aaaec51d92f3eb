/* kv-cache.c — K/V storage for owning layers, rings for sliding windows.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "kv-cache.h"

#include "gemlet-kernels.h"

#include <stdlib.h>
#include <string.h>

static bool
ring_init (gm_kv_ring *ring, uint32_t cap)
{
  ring->cap = cap;
  ring->pos = malloc ((size_t) cap * sizeof *ring->pos);
  if (ring->pos == NULL)
    return false;
  for (uint32_t i = 0; i < cap; i++)
    ring->pos[i] = -1;
  return true;
}

void
gm_kv_caps (const gm_hparams *hp, uint32_t n_ctx, uint32_t n_ubatch, uint32_t swa_slack,
            uint32_t *swa_cap_out, uint32_t *full_cap_out)
{
  /* the window's n_swa − 1 older keys plus the batch must fit at once */
  uint64_t swa_cap = (uint64_t) hp->n_swa - 1 + n_ubatch + swa_slack;

  if (swa_cap > n_ctx)
    swa_cap = n_ctx;
  /* whole pad blocks: empty slots are masked, never read as keys */
  *swa_cap_out = (uint32_t) ((swa_cap + GM_KV_PAD - 1) / GM_KV_PAD * GM_KV_PAD);
  *full_cap_out = (uint32_t) (((uint64_t) n_ctx + GM_KV_PAD - 1) / GM_KV_PAD * GM_KV_PAD);
}

bool
gm_kv_init (gm_kv_cache *kv, const gm_hparams *hp, uint32_t n_ctx, uint32_t n_ubatch,
            uint32_t swa_slack, bool f16)
{
  uint32_t swa_cap, full_cap;

  memset (kv, 0, sizeof *kv);
  kv->n_layer = hp->n_layer;
  kv->n_swa = hp->n_swa;
  kv->n_ctx = n_ctx;
  kv->type = f16 ? GK_TYPE_F16 : GK_TYPE_F32;
  kv->elem_size = f16 ? sizeof (uint16_t) : sizeof (float);
  gm_kv_caps (hp, n_ctx, n_ubatch, swa_slack, &swa_cap, &full_cap);
  if (!ring_init (&kv->full, full_cap) || !ring_init (&kv->swa, swa_cap))
    {
      gm_kv_free (kv);
      return false;
    }

  for (uint32_t il = 0; il < hp->n_layer; il++)
    {
      gm_kv_layer *l = &kv->layers[il];
      size_t n;

      if (hp->kv_source[il] != il)
        continue;
      l->width = hp->n_head_kv[il] * gm_hparams_head_dim (hp, il);
      l->ring = hp->is_swa[il] ? &kv->swa : &kv->full;
      l->f16 = f16;
      n = (size_t) l->ring->cap * l->width;
      l->k = calloc (n, kv->elem_size);
      l->v = calloc (n, kv->elem_size);
      if (l->k == NULL || l->v == NULL)
        {
          gm_kv_free (kv);
          return false;
        }
      kv->bytes += 2 * n * kv->elem_size;
      kv->has_swa |= hp->is_swa[il];
      if (hp->is_swa[il])
        kv->bytes_per_pos_swa += 2 * (uint64_t) l->width * kv->elem_size;
      else
        kv->bytes_per_pos_full += 2 * (uint64_t) l->width * kv->elem_size;
    }
  return true;
}

void
gm_kv_free (gm_kv_cache *kv)
{
  for (uint32_t il = 0; il < GM_MAX_LAYERS; il++)
    {
      free (kv->layers[il].k);
      free (kv->layers[il].v);
    }
  free (kv->swa.pos);
  free (kv->full.pos);
  memset (kv, 0, sizeof *kv);
}

void
gm_kv_clear (gm_kv_cache *kv)
{
  for (uint32_t i = 0; i < kv->swa.cap; i++)
    kv->swa.pos[i] = -1;
  for (uint32_t i = 0; i < kv->full.cap; i++)
    kv->full.pos[i] = -1;
}

void
gm_kv_store (gm_kv_layer *layer, uint32_t slot, const float *k, const float *v)
{
  const size_t cap = layer->ring->cap, w = layer->width;

  if (layer->f16)
    {
      uint16_t *kd = (uint16_t *) layer->k + slot * w, *vd = layer->v;

      gk_fp32_to_fp16_row (k, kd, (int64_t) w);
      for (size_t i = 0; i < w; i++)
        vd[i * cap + slot] = gk_fp32_to_fp16 (v[i]);
    }
  else
    {
      float *vd = layer->v;

      memcpy ((float *) layer->k + slot * w, k, w * sizeof (float));
      for (size_t i = 0; i < w; i++)
        vd[i * cap + slot] = v[i];
    }
}

void
gm_kv_begin (gm_kv_cache *kv, int32_t pos0, int32_t n)
{
  for (int32_t p = pos0; p < pos0 + n; p++)
    {
      kv->swa.pos[gm_kv_slot (&kv->swa, p)] = p;
      kv->full.pos[gm_kv_slot (&kv->full, p)] = p;
    }
}

static void
ring_forget_from (gm_kv_ring *ring, int32_t n)
{
  for (uint32_t i = 0; i < ring->cap; i++)
    if (ring->pos[i] >= n)
      ring->pos[i] = -1;
}

bool
gm_kv_truncate (gm_kv_cache *kv, int32_t n)
{
  int32_t first = n - (int32_t) kv->n_swa + 1;

  ring_forget_from (&kv->swa, n);
  ring_forget_from (&kv->full, n);

  /* position n attends to [n − n_swa + 1, n − 1] on SWA layers */
  if (!kv->has_swa)
    return true;
  if (first < 0)
    first = 0;
  for (int32_t p = first; p < n; p++)
    if (kv->swa.pos[gm_kv_slot (&kv->swa, p)] != p)
      return false;
  return true;
}

uint64_t
gm_kv_used_bytes (const gm_kv_cache *kv, uint32_t n)
{
  uint32_t n_swa = n < kv->swa.cap ? n : kv->swa.cap;

  return (uint64_t) n * kv->bytes_per_pos_full + (uint64_t) n_swa * kv->bytes_per_pos_swa;
}
