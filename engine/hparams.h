/* hparams.h — Gemma 4 text-model hyper-parameters read from GGUF metadata.
 *
 * One parser serves both `gm_inspect` (headers only) and model loading, so
 * what `gemlet-cli info` reports is exactly what the engine runs.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "gguf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GM_MAX_LAYERS 128

typedef struct {
  uint32_t n_layer;
  uint32_t n_embd;           /* H */
  uint32_t n_head;           /* query heads (same on every layer) */
  uint32_t n_vocab;          /* token_embd rows */
  uint32_t n_embd_per_layer; /* P (256), 0 = no per-layer embeddings */
  uint32_t n_swa;            /* sliding window (512) */
  uint32_t n_ctx_train;
  uint32_t n_shared_kv;      /* attention.shared_kv_layers */
  uint32_t n_layer_kv_from_start; /* layers [0, this) own their K/V */
  uint32_t head_dim_full, head_dim_swa;
  uint32_t n_rot_full, n_rot_swa;
  float rope_base_full, rope_base_swa;
  float rms_eps;
  float final_softcap;       /* 0 = none */

  /* per layer */
  bool is_swa[GM_MAX_LAYERS];
  uint32_t n_ff[GM_MAX_LAYERS];
  uint32_t n_head_kv[GM_MAX_LAYERS];
  /* layer whose KV cache this layer reads (itself when it owns K/V) */
  uint32_t kv_source[GM_MAX_LAYERS];
} gm_hparams;

/* Reads and cross-checks every key (and tensor shapes the layout implies).
 * Returns false with "what, where" in err for a file that is not a runnable
 * dense gemma4 text model. */
bool gm_hparams_load (const gguf_file *f, gm_hparams *hp, char *err, size_t err_size);

static inline uint32_t
gm_hparams_head_dim (const gm_hparams *hp, uint32_t il)
{
  return hp->is_swa[il] ? hp->head_dim_swa : hp->head_dim_full;
}

/* Positions the KV cache of an owning layer must hold for a context of n_ctx:
 * SWA layers keep only the window, full layers keep everything; 0 for a
 * layer that reads another layer's cache. */
uint32_t gm_hparams_kv_positions (const gm_hparams *hp, uint32_t il, uint32_t n_ctx);

/* Total KV-cache bytes for n_ctx tokens, counting owning layers only. */
uint64_t gm_hparams_kv_bytes (const gm_hparams *hp, uint32_t n_ctx, uint32_t bytes_per_value);
