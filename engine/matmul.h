/* matmul.h — y = W·x for a GGUF weight of any supported type and a batch of
 * F32 activation rows, split by output rows across the thread pool.
 *
 * Reference path: each thread dequantizes a block of weight rows into its
 * scratch and multiplies with OpenBLAS (sgemv for one token, sgemm for a
 * batch). Activations are first rounded the way llama.cpp's CPU backend
 * rounds them for the weight's dot-product type (Q8_0, Q8_K, F16, BF16), so
 * the reference path is also the closest match to llama.cpp.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "model.h"
#include "threadpool.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct gm_mm gm_mm;

/* max_row: longest weight row; max_tok: most activation rows per call. */
gm_mm *gm_mm_new (gm_pool *pool, int64_t max_row, int64_t max_tok, bool reference);
void gm_mm_free (gm_mm *mm);
uint64_t gm_mm_scratch_bytes (const gm_mm *mm);
/* Which path runs ("reference (dequantize + OpenBLAS)", ...). */
const char *gm_mm_path (const gm_mm *mm);

/* y[t][n] = Σ_k W[n][k]·x[t][k] for t < n_tok; x is n_tok × ne0, y is
 * n_tok × ne1 (both contiguous). x is not modified. */
void gm_matmul (gm_mm *mm, const gm_weight *w, const float *x, int64_t n_tok, float *y);

/* y[i] = W[i]·x for n_w ≤ 3 weights sharing the input x (q/k/v, gate/up):
 * the same results as n_w gm_matmul calls, with one activation conversion
 * and one pass of the thread pool when the weights share type and row
 * length (else it makes those calls). */
void gm_matmul_multi (gm_mm *mm, int n_w, const gm_weight *const *w, const float *x, int64_t n_tok,
                      float *const *y);

/* gm_matmul, then y = softcap * tanh (y / softcap) (Gemma's final logit
 * soft-cap, gk_softcap; nothing when softcap <= 0), applied by each thread
 * to the rows it just computed, so the 262144 tanh of the LM head run in
 * parallel and on data still in cache.  Bit-identical to gm_matmul +
 * gk_softcap. */
void gm_matmul_softcap (gm_mm *mm, const gm_weight *w, const float *x, int64_t n_tok, float *y,
                        float softcap);

/* Rounds n values in place as llama.cpp rounds activations before a dot
 * product with a weight of type weight_type (exposed for tests). */
void gm_mm_round_activations (uint32_t weight_type, float *x, int64_t n);
