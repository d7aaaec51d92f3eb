/* mobile-model.h — running Gemma 4 mobile (compressed-tensors) checkpoints
 * with the GGUF engine: loading into a gm_model, the channel-wise matrix
 * product, row gathers, the Hugging Face tokenizer and inspection.
 * Layout of the files: engine/MOBILE-FORMAT.md.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "gemlet.h"
#include "mobile-checkpoint.h"
#include "model.h"
#include "threadpool.h"

#include <stdbool.h>
#include <stdint.h>

struct gm_tokenizer;

/* A channel-wise integer weight as the matrix product runs it. */
struct gm_cw_weight {
  const mobile_tensor *t;
  float in_scale;   /* static int8 activation scale; 0 = none */
  float out_scale;  /* fake-quant of the output; 0 = none */
  /* No static scale: quantize each activation row to int8 with its own
   * scale (max|x|/127) for the integer kernels, as llama.cpp does for its
   * quantized types; false = float activations (weight-only mode). */
  bool dynamic;
};

/* True when path should be read as a mobile checkpoint: a folder, or a file
 * that does not start with the GGUF magic and looks like part of one. */
bool gm_path_is_mobile (const char *path);

/* Opens the checkpoint at path and fills m (hparams, weights, tokenizer,
 * rope_freqs); weight_only keeps activations in float everywhere. */
gm_status gm_mobile_load (gm_model *m, const char *path, bool weight_only, gm_error *err);

/* Touches every resident page (not the per-layer embedding table). */
gm_status gm_mobile_prefault (gm_model *m, gm_progress_fn progress, void *user, gm_error *err);

/* Fills the container part of info (format, type statistics, sizes) and
 * hp for a mobile checkpoint. */
gm_status gm_mobile_describe (const char *path, gm_checkpoint_info *info, gm_hparams *hp,
                              gm_error *err);

/* Row r of any weight, dequantized to F32 (embedding gathers). */
void gm_weight_row (const gm_weight *w, int64_t r, float *out);

/* y[t][n] = Σ_k W[n][k]·x[t][k] for a channel-wise weight (w->cw set);
 * act is scratch of at least n_tok × ne0 bytes. */
void gm_matmul_cw (gm_pool *pool, const gm_weight *w, const float *x, int64_t n_tok, float *y,
                   void *act);

/* The tokenizer and chat template of a Hugging Face folder: tokenizer.json
 * (BPE: model.vocab, model.merges, added_tokens), tokenizer_config.json
 * (special tokens, chat_template) or chat_template.jinja. Ids at or above
 * n_vocab (rows the embedding does not have) are dropped. */
struct gm_tokenizer *gm_tokenizer_load_hf (const char *folder, uint32_t n_vocab, char *err,
                                           size_t err_size);
