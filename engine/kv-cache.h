/* kv-cache.h — per owning layer K and V caches.
 *
 * Full-attention layers keep every position (slot = position). Sliding-window
 * layers keep a ring of `cap` slots (slot = position mod cap) big enough for
 * the window, one micro-batch and some slack so that a short truncation
 * (regenerate) does not lose keys still needed. Each ring records which
 * position each slot holds, so masks stay right after wrap-around.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "hparams.h"

#include <stdbool.h>
#include <stdint.h>


typedef struct {
  uint32_t cap;    /* slots */
  int32_t *pos;    /* position held by each slot, −1 = empty */
} gm_kv_ring;

/* K is stored by slot (cap rows of width values); V transposed (width rows
 * of cap values), as llama.cpp stores it without flash attention, so that
 * both attention products are plain row dot products. */
typedef struct {
  void *k, *v;     /* elements of gm_kv_cache.type; NULL on layers without own K/V */
  uint32_t width;  /* n_head_kv · head_dim */
  bool f16;        /* elements are F16 (else F32) */
  gm_kv_ring *ring;
} gm_kv_layer;

typedef struct {
  gm_kv_ring swa, full;
  gm_kv_layer layers[GM_MAX_LAYERS];
  uint32_t n_layer;
  uint32_t n_swa;
  bool has_swa;         /* some owning layer uses the window ring */
  uint32_t type;        /* element type: GK_TYPE_F32 or GK_TYPE_F16 */
  size_t elem_size;
  uint32_t n_ctx;
  uint64_t bytes;       /* allocated K+V bytes */
  uint64_t bytes_per_pos_full, bytes_per_pos_swa;
} gm_kv_cache;

/* Default slots for SWA rings beyond window + micro-batch: truncating back
 * this far keeps the cache usable without re-evaluation. */
#define GM_KV_SWA_SLACK 512

/* Slots of the sliding-window ring and of the full-attention cache for a
 * context of n_ctx, micro-batches of n_ubatch and swa_slack: what gm_kv_init
 * allocates (gm_estimate_memory_opts uses it too, so the estimate is the
 * allocation). */
void gm_kv_caps (const gm_hparams *hp, uint32_t n_ctx, uint32_t n_ubatch, uint32_t swa_slack,
                 uint32_t *swa_cap, uint32_t *full_cap);

/* Allocates caches for n_ctx positions and micro-batches of up to n_ubatch
 * tokens, SWA rings with swa_slack extra slots, elements F32 or (f16) F16.
 * Returns false on allocation failure (cache left freed). */
bool gm_kv_init (gm_kv_cache *kv, const gm_hparams *hp, uint32_t n_ctx, uint32_t n_ubatch,
                 uint32_t swa_slack, bool f16);
void gm_kv_free (gm_kv_cache *kv);

/* Empties every slot. */
void gm_kv_clear (gm_kv_cache *kv);

/* Claims the slots of positions [pos0, pos0 + n) before a micro-batch. */
void gm_kv_begin (gm_kv_cache *kv, int32_t pos0, int32_t n);

static inline uint32_t
gm_kv_slot (const gm_kv_ring *ring, int32_t pos)
{
  return (uint32_t) pos % ring->cap;
}

/* Slots are scanned in multiples of this (like llama.cpp's n_kv padding),
 * which keeps the summation order of the attention products the same. */
#define GM_KV_PAD 256

/* Number of slots to scan for a batch ending before position pos_end. */
static inline uint32_t
gm_kv_n_slots (const gm_kv_ring *ring, int32_t pos_end)
{
  uint32_t n = ((uint32_t) pos_end + GM_KV_PAD - 1) / GM_KV_PAD * GM_KV_PAD;
  return n < ring->cap ? n : ring->cap;
}

/* Writes the K and V vectors (width values each) of one position, rounded
 * to the cache type. */
void gm_kv_store (gm_kv_layer *layer, uint32_t slot, const float *k, const float *v);

/* Forgets positions ≥ n. Returns false if the sliding-window rings no longer
 * hold every key position n needs (then the caller must re-evaluate). */
bool gm_kv_truncate (gm_kv_cache *kv, int32_t n);

/* Bytes of K/V holding n live positions. */
uint64_t gm_kv_used_bytes (const gm_kv_cache *kv, uint32_t n);
