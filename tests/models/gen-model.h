/* gen-model.h — internals of gemlet-gen-model, the synthetic Gemma 4 GGUF
 * generator used by the conformance suite.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* --- random numbers (gen-rng.c) ---------------------------------------- */

/* Counter-based: every row of every tensor gets its own stream derived from
 * (seed, tensor, row), so the content does not depend on how the writer
 * chunks the data or how many threads fill it. */
typedef struct {
  uint64_t s;
} gen_rng;

uint64_t gen_hash64 (uint64_t x);
uint64_t gen_hash_str (const char *s);
void gen_rng_init (gen_rng *r, uint64_t seed, uint64_t stream);
uint64_t gen_rng_next (gen_rng *r);
float gen_rng_uniform (gen_rng *r);  /* [0, 1) */
float gen_rng_gauss (gen_rng *r);    /* approx. N(0, 1), bounded to ±3.46 */

/* --- vocabulary (gen-vocab-small.c, gen-vocab-gemma3.c) ----------------- */

/* ggml token types */
enum {
  GEN_TOK_NORMAL = 1,
  GEN_TOK_UNKNOWN = 2,
  GEN_TOK_CONTROL = 3,
  GEN_TOK_USER_DEFINED = 4,
  GEN_TOK_UNUSED = 5,
  GEN_TOK_BYTE = 6,
};

typedef struct {
  char **tokens;       /* n_tokens UTF-8 strings, id order */
  int32_t *types;
  float *scores;
  uint32_t n_tokens;
  char **merges;       /* "left right", rank order */
  uint32_t n_merges;
} gen_vocab;

/* A BPE vocabulary learned from a built-in multilingual corpus: byte
 * fallback tokens, single characters, learned merges, Gemma 4's control
 * tokens at their real ids where they fit (media tokens at the end when
 * n_tokens is too small for their real ids), <unusedN> padding. */
bool gen_vocab_small (gen_vocab *v, uint32_t n_tokens, char *err, size_t err_size);

/* Gemma 3's tokenizer.json (pieces and merges) with Gemma 4's control tokens
 * written over Gemma 3's at their real ids. */
bool gen_vocab_gemma3 (gen_vocab *v, const char *json_path, char *err, size_t err_size);

/* Overwrites Gemma 4's special tokens (§4.2 of the architecture notes) into
 * v; ids >= n_tokens go to the end of the vocabulary instead. */
void gen_vocab_put_gemma4_specials (gen_vocab *v);

void gen_vocab_clear (gen_vocab *v);

/* Gemma 4 E-series chat template (documented behaviour, our own text). */
extern const char gen_chat_template[];

/* --- tensor content (gen-tensor.c) -------------------------------------- */

typedef enum {
  GEN_DIST_GAUSS,    /* mean + sigma * N(0,1) */
  GEN_DIST_UNIFORM,  /* uniform in [mean - sigma, mean + sigma] */
  GEN_DIST_SIGNED,   /* random sign * (mean + sigma * N(0,1)) */
  GEN_DIST_FIXED,    /* values[] (1-D only) */
} gen_dist;

typedef struct {
  char name[64];
  uint32_t type;     /* ggml type written to the file */
  uint32_t n_dims;
  int64_t ne[2];
  gen_dist dist;
  float mean;
  float sigma;
  const float *values;
  /* Quantized types only: draw block codes and scales directly instead of
   * quantizing random floats (orders of magnitude faster for the multi-GB
   * tables; still a valid file with realistic magnitudes). */
  bool direct;
  uint64_t seed;     /* per-tensor stream id */
} gen_tensor;

/* Bytes of one row (ne[0] values) of t. */
size_t gen_tensor_row_bytes (const gen_tensor *t);

/* Writes row `row` of t into dst (gen_tensor_row_bytes bytes); scratch
 * holds at least ne[0] floats. */
void gen_tensor_row (const gen_tensor *t, int64_t row, void *dst, float *scratch);

/* Fill callback for gw_tensor_cb: user is a gen_tensor. Multi-threaded for
 * large chunks. */
bool gen_tensor_fill (void *user, uint64_t offset, void *dst, size_t n_bytes);

void gen_set_threads (int n_threads);

/* --- the model (gen-gemma4.c) ------------------------------------------ */

typedef struct {
  const char *shape;           /* tiny | e2b | e4b */
  const char *type;            /* f32 f16 bf16 q8_0 q4_0 q6_k qat */
  const char *proj_type;       /* NULL, "bf16" or "f16": per_layer_model_proj in quantized files */
  const char *vocab;           /* small | gemma3 */
  const char *tokenizer_json;  /* for gemma3 */
  uint32_t n_vocab;            /* small vocabulary size, 0 = by shape */
  uint32_t ctx;                /* context_length, 0 = by shape */
  uint64_t seed;
  int direct;                  /* -1 = by shape */
  bool compact;                /* omit K/V on KV-shared layers */
  bool sparse;                 /* --format mobile: codes as file holes, no twin */
} gen_options;

bool gen_gemma4_write (const gen_options *o, const char *path, char *err, size_t err_size);

/* --- mobile checkpoint and its F32 twin (gen-mobile.c) ------------------ */

/* Writes a compressed-tensors checkpoint folder dir (created if needed) with
 * random codes and scales and, when twin_path is set, a GGUF holding
 * exactly the same weights: F32 (o->type "f32") or Q4_0/Q8_0 blocks whose
 * scale is the row scale ("blocks"). Uses o->shape (tiny, e2b, e4b),
 * o->seed, o->n_vocab and o->sparse. */
bool gen_mobile_write (const gen_options *o, const char *dir, const char *twin_path, char *err,
                       size_t err_size);

/* --- F32 twin of an existing file (gen-dequant.c) ----------------------- */

/* Writes to out_path a copy of in_path in which every tensor is F32 holding
 * exactly the dequantized values; metadata copied (general.file_type = 0). */
bool gen_dequant_copy (const char *in_path, const char *out_path, char *err, size_t err_size);
