/* model.h — the loaded Gemma 4 text model: hyper-parameters plus typed views
 * of every weight inside the file mapping.  Internal to the engine.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "gemlet.h"
#include "gguf.h"
#include "hparams.h"
#include "model-internal.h"
#include "projector.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gm_cw_weight;
struct mobile_checkpoint;

/* A 2-D weight as stored: ne1 rows of ne0 values, row r at data + r·row_bytes.
 * data is NULL when the tensor is absent. cw is set (and type is
 * GK_TYPE_COUNT) for the channel-wise int2/int4/int8 weights of mobile
 * checkpoints (mobile-model.h); data/row_bytes then describe the codes. */
typedef struct {
  uint32_t type;
  int64_t ne0;
  int64_t ne1;
  size_t row_bytes;
  const uint8_t *data;
  const struct gm_cw_weight *cw;
} gm_weight;

typedef struct {
  /* 1-D norm weights, always F32 (converted at load if the file differs) */
  const float *attn_norm, *q_norm, *k_norm, *post_attn_norm;
  const float *ffn_norm, *post_ffw_norm, *post_norm;

  gm_weight wq, wk, wv, wo;      /* wk/wv unused on KV-shared layers */
  gm_weight ffn_gate, ffn_up, ffn_down;
  gm_weight inp_gate, proj;      /* per-layer-embedding injection */
  float out_scale;               /* layer_output_scale, 1.0 when absent */
} gm_layer;

struct gm_tokenizer;

struct gm_model {
  gguf_file *gguf;
  gm_hparams hp;
  struct gm_tokenizer *tok;
  gm_checkpoint_info info;
  int n_threads;                 /* resolved: > 0 */
  bool reference;                /* force the dequantize + BLAS matmul path */
  bool gelu_exact;               /* tanh formula instead of the fp16 table */

  gm_weight tok_embd;            /* input embedding */
  gm_weight output;              /* LM head (tok_embd when tied) */
  gm_weight ple_tok;             /* per_layer_token_embd: one row per token, on demand */
  gm_weight ple_proj;            /* per_layer_model_proj */
  const float *ple_proj_norm;
  const float *output_norm;
  const float *rope_freqs;       /* head_dim_full/2 factors, or NULL */

  gm_layer layers[GM_MAX_LAYERS];

  int64_t max_row;               /* longest weight row (ne0), sizes scratch */
  uint64_t resident_bytes;       /* weights read every token */

  float **owned;                 /* F32 copies of non-F32 1-D tensors */
  size_t n_owned;

  /* Mobile (compressed-tensors) checkpoints: gguf is NULL. */
  struct mobile_checkpoint *mobile;
  struct gm_cw_weight *cw;       /* one per channel-wise weight */
  size_t n_cw;
  bool weight_only;              /* float activations instead of static int8 */

  /* Vision/audio projector beside the file, loaded when text_only is off. */
  gm_projector projector;
  char *projector_path;

};

/* Physical cores (falls back to online CPUs). */
int gm_physical_cores (void);
