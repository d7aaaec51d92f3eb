/* g4-shape.h — writes the metadata and tensor infos of a dense Gemma 4
 * text model of any shape (data all zero), for hparams/inspect tests and
 * fuzz seeds. The layout follows docs §3 independently of the engine.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "gguf-writer.h"

#include <stdbool.h>
#include <stdint.h>

#define G4_MAX_LAYERS 64

typedef struct {
  uint32_t n_layer, n_embd, n_head, n_head_kv;
  uint32_t head_dim_swa, head_dim_full;
  uint32_t n_ff, n_ff_shared;   /* shared-KV layers get n_ff_shared (double-wide MLP) */
  uint32_t n_embd_per_layer, n_vocab, n_swa, n_shared_kv, n_ctx_train;
  bool is_swa[G4_MAX_LAYERS];
  bool compact;                 /* no K/V weights on shared layers */
  uint32_t type_2d;             /* ggml type of the linear weights */
  uint32_t type_embd;           /* token_embd and per_layer_token_embd */
  uint32_t type_ple_proj;       /* per_layer_model_proj */

  /* variations for negative tests (all off when zero/NULL) */
  const char *arch;             /* general.architecture, default "gemma4" */
  const char *omit_key;         /* leave this key out */
  const char *omit_tensor;      /* leave this tensor out */
  const char *bad_tensor;       /* give this tensor 32 extra rows */
  bool odd_int_types;           /* integers as u64/i32/u16/i64 arrays, as other writers might */
  uint32_t expert_count;        /* write gemma4.expert_count (MoE) */
} g4_shape;

/* Tiny shape: 6 layers (S S F S S F), H 64, 3 shared layers, PLE 32,
 * double-wide FFN on shared layers. */
void g4_shape_tiny (g4_shape *s);
/* Real E2B dimensions (35 layers, H 1536, full at il % 5 == 4). */
void g4_shape_e2b (g4_shape *s);

/* Adds all keys and tensors (fill NULL: zero data). Returns the sum of the
 * tensors' data sizes by g4_tensor_bytes, for checking what readers report. */
uint64_t g4_write (gw_writer *w, const g4_shape *s);

/* Bytes of a tensor of the given type and shape, from the block table in
 * docs §3.4 (not from the kernels library). */
uint64_t g4_tensor_bytes (uint32_t type, int64_t ne0, int64_t ne1);
