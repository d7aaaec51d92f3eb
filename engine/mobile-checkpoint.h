/* mobile-checkpoint.h — Gemma 4 E2B/E4B "-qat-mobile-ct" checkpoints.
 *
 * A Hugging Face folder: config.json (Gemma4Config with a compressed-tensors
 * quantization_config), model.safetensors or model.safetensors.index.json
 * plus shards, and tokenizer.json. Opening validates the config, resolves
 * each text-model module to its quantization group and checks every tensor
 * the engine needs (names, dtypes, shapes, scales) before anything runs.
 * The vision and audio towers are ignored. Layout and sources:
 * engine/MOBILE-FORMAT.md.
 *
 * Weights are not copied: data and scale pointers point into the maps and
 * stay valid until mobile_checkpoint_close.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "gemlet-kernels.h"
#include "hparams.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
  MOBILE_FMT_F32,
  MOBILE_FMT_F16,
  MOBILE_FMT_BF16,
  MOBILE_FMT_INT2,
  MOBILE_FMT_INT4,
  MOBILE_FMT_INT8,
} mobile_format;

typedef struct {
  const char *name;          /* module (quantised) or tensor name in the files */
  mobile_format format;
  int64_t rows, cols;        /* logical [out, in]; a vector is 1 × n */
  const uint8_t *data;       /* row r starts at data + r * row_bytes */
  uint64_t row_bytes;

  /* Integer formats only. */
  int bits;                  /* 2, 4 or 8 */
  /* true: "pack-quantized" — field u = q + 2^(bits-1), element c of a row in
   * byte c*bits/8 at bit (c*bits)%8 (LSB first). false: "int-quantized" —
   * one two's-complement int8 per element. */
  bool offset_binary;
  int64_t group_size;        /* elements per scale (cols when channel-wise) */
  int64_t n_groups;          /* scales per row */
  const uint8_t *scale;      /* rows × n_groups values of scale_format */
  mobile_format scale_format; /* F32, F16 or BF16 */
  float input_scale;         /* static int8 activation scales; 0 = none */
  float output_scale;
} mobile_tensor;

/* Whole-model tensors. */
typedef enum {
  MOBILE_G_EMBED,              /* embed_tokens [V, H] */
  MOBILE_G_EMBED_PER_LAYER,    /* embed_tokens_per_layer [V_ple, L*P] */
  MOBILE_G_PER_LAYER_PROJ,     /* per_layer_model_projection [L*P, H] */
  MOBILE_G_PER_LAYER_PROJ_NORM, /* per_layer_projection_norm [P] */
  MOBILE_G_OUTPUT_NORM,        /* norm [H] */
  MOBILE_G_LM_HEAD,            /* lm_head [V, H]; optional (tied) */
  MOBILE_G_COUNT
} mobile_global;

/* Per-layer tensors. */
typedef enum {
  MOBILE_L_ATTN_NORM,          /* input_layernorm */
  MOBILE_L_Q,
  MOBILE_L_K,                  /* K, V, K norm: absent on KV-shared layers */
  MOBILE_L_V,
  MOBILE_L_O,
  MOBILE_L_Q_NORM,
  MOBILE_L_K_NORM,
  MOBILE_L_POST_ATTN_NORM,
  MOBILE_L_FFN_NORM,           /* pre_feedforward_layernorm */
  MOBILE_L_GATE,
  MOBILE_L_UP,
  MOBILE_L_DOWN,
  MOBILE_L_POST_FFN_NORM,
  MOBILE_L_INP_GATE,           /* per_layer_input_gate [P, H] */
  MOBILE_L_PROJ,               /* per_layer_projection [H, P] */
  MOBILE_L_POST_NORM,          /* post_per_layer_input_norm */
  MOBILE_L_LAYER_SCALAR,       /* layer_scalar [1] */
  MOBILE_L_COUNT
} mobile_layer_tensor;

typedef struct {
  float rope_partial_factor_full; /* rope_parameters.full_attention.partial_rotary_factor */
  bool tie_word_embeddings;
  bool quantized;                 /* quant_method compressed-tensors */
  char quant_format[48];          /* quantization_config.format, "" if absent */
} mobile_config_extra;

typedef struct mobile_checkpoint mobile_checkpoint;

/* Opens a checkpoint folder, or the folder of any file in it. On failure
 * returns NULL with a message; a lone checkpoint file gets one that names
 * what else must be in its folder. */
mobile_checkpoint *mobile_checkpoint_open (const char *path, char *err, size_t err_size);
void mobile_checkpoint_close (mobile_checkpoint *ck);

/* Cheap test for format detection: true if path is a folder with a
 * config.json, or a config.json / *.safetensors / *.index.json file. */
bool mobile_checkpoint_is_candidate (const char *path);

const gm_hparams *mobile_checkpoint_hparams (const mobile_checkpoint *ck);
const mobile_config_extra *mobile_checkpoint_extra (const mobile_checkpoint *ck);
const char *mobile_checkpoint_folder (const mobile_checkpoint *ck);
/* Path of tokenizer.json in the folder (checked to exist at open). */
const char *mobile_checkpoint_tokenizer_path (const mobile_checkpoint *ck);
/* Total size of the safetensors files and (if n_tensors) their tensor count,
 * vision and audio towers included. */
uint64_t mobile_checkpoint_file_bytes (const mobile_checkpoint *ck, uint64_t *n_tensors);

/* NULL when the tensor is absent (allowed only where noted above). */
const mobile_tensor *mobile_checkpoint_global (const mobile_checkpoint *ck, mobile_global which);
const mobile_tensor *mobile_checkpoint_layer (const mobile_checkpoint *ck, uint32_t il,
                                              mobile_layer_tensor which);

/* Scalar accessors (reference path and tests). Code of element (r, c) in
 * [-2^(bits-1), 2^(bits-1)-1]; scale of group g of row r as float; value of
 * a float tensor element. Indices must be in range. */
int mobile_tensor_code (const mobile_tensor *t, int64_t r, int64_t c);
float mobile_tensor_scale (const mobile_tensor *t, int64_t r, int64_t g);
float mobile_tensor_value (const mobile_tensor *t, int64_t r, int64_t c);  /* any format */

/* The kernels' view (gk_cw_*) of row r of an integer tensor. */
void mobile_tensor_cw_row (const mobile_tensor *t, int64_t r, gk_cw_row *out);

const char *mobile_format_name (mobile_format f);
