/* session.h — what a gm_session holds: the KV cache, the thread pool and
 * every run-time buffer, all sized once from the model and n_ctx.
 * Internal to the engine.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "gemlet.h"
#include "kv-cache.h"
#include "matmul.h"
#include "model.h"
#include "threadpool.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* Queries per attention task (bounds the score buffer per thread). */
#define GM_ATTN_QCHUNK 16

/* Largest micro-batch: prefills are split into chunks of at most this many
 * tokens (it also sizes the sliding-window rings). */
#define GM_MAX_UBATCH 256

typedef struct {
  float *x;        /* residual stream, U × H */
  float *xn;       /* normed input of a block, U × H */
  float *q;        /* U × n_head · head_dim_max */
  float *k, *v;    /* U × n_head_kv_max · head_dim_max */
  float *att;      /* attention output before W_o, U × n_head · head_dim_max */
  float *o;        /* block output, U × H */
  float *gate, *up;/* U × n_ff_max */
  float *ple;      /* per-layer inputs, U × L · P */
  float *ple_tok;  /* one dequantized PLE table row, L · P */
  float *pg;       /* PLE gate, U × P */
  float *rope_swa; /* cos/sin per token, U × n_rot_swa */
  float *rope_full;/* U × n_rot_full */
  float **scores;  /* per thread, GM_ATTN_QCHUNK × slots */
  uint16_t **half; /* per thread, F16 copies of Q / scores (F16 cache only) */
  float **qf;      /* per thread, Q rounded to F16 precision (F16 cache only) */
  int32_t *pos;    /* position of each active row, U */
  uint64_t bytes;
} gm_scratch;

struct gm_session {
  gm_model *model;
  uint32_t n_ctx;
  uint32_t n_ubatch;
  int n_threads;
  gm_pool *pool;
  gm_mm *mm;
  gm_kv_cache kv;
  gm_scratch scr;

  int32_t *tokens;     /* n_ctx entries; the first n_tokens are in the cache */
  size_t n_tokens;
  atomic_size_t n_tokens_pub; /* n_tokens, readable from any thread */
  bool need_replay;    /* SWA ring lost keys after a truncate: rebuild on next eval */

  gm_abort_fn abort_fn;
  void *abort_user;

  uint64_t n_evaluated; /* tokens run through the model, for tests/stats */
};

/* gm_session_new with the sliding-window ring slack chosen (tests use 0 to
 * exercise wrap-around and replay on small models). */
gm_session *gm_session_new_full (gm_model *model, const gm_session_opts *opts, uint32_t swa_slack,
                                 gm_error *err);

/* Runs one micro-batch of n ≤ n_ubatch tokens at positions pos0.. through
 * the model, appending their K/V. logits (if non-NULL) receives the last
 * row's logits, or all n rows when all_logits. Returns GM_ERR_CANCELLED if
 * the abort callback fired (the cache then holds garbage at these positions:
 * the caller truncates to pos0). */
gm_status gm_forward (gm_session *s, const int32_t *tokens, int32_t n, int32_t pos0,
                      float *logits, bool all_logits);

/* Attention of n query rows (q: n × n_head·D, already normed and rotated)
 * against layer il's cache source; writes n × n_head·D into out. */
void gm_attention (gm_session *s, uint32_t il, int32_t n, const int32_t *pos, const float *q,
                   float *out);

/* Per-layer inputs of n tokens from their scaled embeddings x (n × H):
 * out is n × L·P. */
void gm_ple_compute (gm_session *s, const int32_t *tokens, int32_t n, const float *x, float *out);
