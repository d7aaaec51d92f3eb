/* gen-gemma4.c — a synthetic Gemma 4 model: hyperparameters, metadata
 * (the keys llama.cpp's converter writes for gemma4), tensor list and
 * weight scales.
 *
 * Shapes: "tiny" (a few small layers that still have every feature: SWA and
 * full layers, KV sharing of both kinds, per-layer embeddings, double-wide
 * FFN on shared layers, proportional RoPE, a window short enough to cross
 * cheaply) and the exact E2B / E4B shapes.
 *
 * Weight scales are chosen so activations look like a trained model's:
 * logits RMS about 2 before the soft-cap, attention scores with a standard
 * deviation about 2 (neither flat nor one-hot), unit-RMS matmul outputs,
 * rounding noise amplified only a few times through the layers, and greedy
 * continuations that do not collapse into repeating one token (see the
 * comments at the scales below).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "gen-model.h"
#include "gemlet-kernels.h"
#include "gguf-writer.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  const char *name;
  uint32_t n_layer, n_embd, n_head, n_head_kv;
  uint32_t head_swa, head_full;
  uint32_t n_ff;          /* KV-owning layers; shared ones get 2x if double_wide */
  uint32_t n_ple;         /* per-layer embedding width P */
  uint32_t n_swa;         /* sliding window */
  uint32_t n_shared_kv;   /* trailing layers that reuse earlier K/V */
  uint32_t full_period;   /* full attention at il % period == period - 1 */
  uint32_t ctx;
  bool double_wide;
} shape;

static const shape shapes[] = {
  /* tiny: widths are multiples of 256 where a Q6_K row needs it; P = 64 so
   * blk.N.proj (ne0 = P) falls back to Q8_0 in Q6_K files, as
   * llama-quantize does for rows that are not whole super-blocks */
  { "tiny", 8, 256, 8, 2, 32, 64, 512, 64, 16, 4, 4, 512, true },
  { "e2b", 35, 1536, 8, 1, 256, 512, 6144, 256, 512, 20, 5, 131072, true },
  { "e4b", 42, 2560, 8, 2, 256, 512, 10240, 256, 512, 18, 6, 131072, false },
};

typedef struct {
  const char *name;
  uint32_t linear;      /* attention / FFN / PLE matrices */
  uint32_t embed;       /* token_embd and per_layer_token_embd */
  uint32_t proj;        /* per_layer_model_proj */
  uint32_t file_type;   /* general.file_type (llama_ftype) */
} type_choice;

static const type_choice types[] = {
  { "f32", GK_TYPE_F32, GK_TYPE_F32, GK_TYPE_F32, 0 },
  { "f16", GK_TYPE_F16, GK_TYPE_F16, GK_TYPE_F16, 1 },
  { "bf16", GK_TYPE_BF16, GK_TYPE_BF16, GK_TYPE_BF16, 32 },
  /* llama-quantize keeps per_layer_model_proj in its source type */
  { "q8_0", GK_TYPE_Q8_0, GK_TYPE_Q8_0, GK_TYPE_BF16, 7 },
  { "q4_0", GK_TYPE_Q4_0, GK_TYPE_Q4_0, GK_TYPE_BF16, 2 },
  { "q6_k", GK_TYPE_Q6_K, GK_TYPE_Q6_K, GK_TYPE_BF16, 18 },
  /* Google's Q4_0 QAT layout */
  { "qat", GK_TYPE_Q4_0, GK_TYPE_Q6_K, GK_TYPE_BF16, 2 },
};

typedef struct {
  gen_tensor *t;
  size_t n, cap;
  uint64_t seed;
  bool direct;
} tensor_list;

static gen_tensor *
add_tensor (tensor_list *l, uint32_t type, int64_t ne0, int64_t ne1, gen_dist dist,
            float mean, float sigma, const char *fmt, ...) __attribute__ ((format (printf, 8, 9)));

static gen_tensor *
add_tensor (tensor_list *l, uint32_t type, int64_t ne0, int64_t ne1, gen_dist dist,
            float mean, float sigma, const char *fmt, ...)
{
  va_list ap;
  if (l->n == l->cap)
    {
      l->cap = l->cap ? 2 * l->cap : 128;
      l->t = realloc (l->t, l->cap * sizeof *l->t);
    }
  gen_tensor *t = &l->t[l->n++];
  memset (t, 0, sizeof *t);
  va_start (ap, fmt);
  vsnprintf (t->name, sizeof t->name, fmt, ap);
  va_end (ap);

  /* a row that is not whole blocks cannot be stored in that type; fall back
   * like llama-quantize (K-quant -> Q8_0, 32-blocks -> F16) */
  const gk_type_info *ti = gk_type_get (type);
  if (ne1 > 1 && ti && ne0 % ti->block_size != 0)
    {
      type = (type == GK_TYPE_Q6_K && ne0 % 32 == 0) ? GK_TYPE_Q8_0 : GK_TYPE_F16;
    }
  t->type = ne1 > 1 ? type : GK_TYPE_F32;
  t->n_dims = ne1 > 1 ? 2 : 1;
  t->ne[0] = ne0;
  t->ne[1] = ne1;
  t->dist = dist;
  t->mean = mean;
  t->sigma = sigma;
  t->direct = l->direct && ne1 > 1;
  t->seed = gen_hash64 (l->seed) ^ gen_hash_str (t->name);
  return t;
}

static const void *
find_named (const void *table, size_t n, size_t stride, const char *name)
{
  for (size_t i = 0; i < n; i++)
    {
      const char *const *entry = (const char *const *) ((const char *) table + i * stride);
      if (strcmp (*entry, name) == 0)
        return entry;
    }
  return NULL;
}

bool
gen_gemma4_write (const gen_options *o, const char *path, char *err, size_t err_size)
{
  const shape *sh = find_named (shapes, sizeof shapes / sizeof shapes[0], sizeof shapes[0], o->shape);
  const type_choice *tc = find_named (types, sizeof types / sizeof types[0], sizeof types[0], o->type);
  if (sh == NULL || tc == NULL)
    {
      snprintf (err, err_size, "unknown %s '%s'", sh ? "type" : "shape", sh ? o->type : o->shape);
      return false;
    }
  uint32_t proj = tc->proj;
  if (o->proj_type && tc->linear != GK_TYPE_F32 && tc->linear != GK_TYPE_F16 && tc->linear != GK_TYPE_BF16)
    proj = strcmp (o->proj_type, "f16") == 0 ? GK_TYPE_F16 : GK_TYPE_BF16;
  const bool direct = o->direct < 0 ? strcmp (sh->name, "tiny") != 0 : o->direct != 0;
  const uint32_t ctx = o->ctx ? o->ctx : sh->ctx;

  /* --- vocabulary ------------------------------------------------------- */
  gen_vocab vocab;
  bool vocab_ok;
  if (strcmp (o->vocab, "gemma3") == 0)
    {
      if (o->tokenizer_json == NULL)
        {
          snprintf (err, err_size, "--vocab gemma3 needs --tokenizer-json PATH");
          return false;
        }
      vocab_ok = gen_vocab_gemma3 (&vocab, o->tokenizer_json, err, err_size);
    }
  else if (strcmp (o->vocab, "small") == 0)
    {
      uint32_t n_vocab = o->n_vocab ? o->n_vocab : strcmp (sh->name, "tiny") == 0 ? 1024 : 262144;
      vocab_ok = gen_vocab_small (&vocab, n_vocab, err, err_size);
    }
  else
    {
      snprintf (err, err_size, "unknown vocabulary '%s'", o->vocab);
      vocab_ok = false;
    }
  if (!vocab_ok)
    return false;
  const int64_t V = vocab.n_tokens;

  /* --- hyperparameters -------------------------------------------------- */
  const uint32_t L = sh->n_layer, H = sh->n_embd, P = sh->n_ple;
  const uint32_t kv_from = L - sh->n_shared_kv;
  bool *is_swa = calloc (L, sizeof *is_swa);
  int32_t *n_ff = calloc (L, sizeof *n_ff);
  for (uint32_t il = 0; il < L; il++)
    {
      is_swa[il] = il % sh->full_period != sh->full_period - 1;
      n_ff[il] = (int32_t) ((sh->double_wide && il >= kv_from) ? 2 * sh->n_ff : sh->n_ff);
    }

  /* proportional RoPE on full layers: a quarter of the pairs rotate, the
   * rest get a 1e30 frequency divisor (angle ~0) */
  const uint32_t n_pairs = sh->head_full / 2, n_rot_pairs = sh->head_full / 8;
  float *rope_freqs = malloc (n_pairs * sizeof *rope_freqs);
  for (uint32_t i = 0; i < n_pairs; i++)
    rope_freqs[i] = i < n_rot_pairs ? 1.0f : 1e30f;

  gw_writer *w = gw_new ();
  char key[128], name[160];
#define K(suffix) (snprintf (key, sizeof key, "gemma4.%s", suffix), key)

  gw_kv_str (w, "general.architecture", "gemma4");
  gw_kv_str (w, "general.type", "model");
  snprintf (name, sizeof name, "Gemlet synthetic gemma4 %s %s seed %llu", sh->name, tc->name,
            (unsigned long long) o->seed);
  gw_kv_str (w, "general.name", name);
  gw_kv_u32 (w, K ("block_count"), L);
  gw_kv_u32 (w, K ("context_length"), ctx);
  gw_kv_u32 (w, K ("embedding_length"), H);
  if (sh->double_wide)
    gw_kv_arr (w, K ("feed_forward_length"), 5 /* INT32 */, n_ff, L);
  else
    gw_kv_u32 (w, K ("feed_forward_length"), sh->n_ff);
  gw_kv_u32 (w, K ("attention.head_count"), sh->n_head);
  gw_kv_u32 (w, K ("attention.head_count_kv"), sh->n_head_kv);
  gw_kv_f32 (w, K ("rope.freq_base"), 1000000.0f);
  gw_kv_f32 (w, K ("rope.freq_base_swa"), 10000.0f);
  gw_kv_f32 (w, K ("attention.layer_norm_rms_epsilon"), 1e-6f);
  gw_kv_u32 (w, K ("attention.key_length"), sh->head_full);
  gw_kv_u32 (w, K ("attention.value_length"), sh->head_full);
  gw_kv_f32 (w, K ("final_logit_softcapping"), 30.0f);
  gw_kv_u32 (w, K ("attention.sliding_window"), sh->n_swa);
  gw_kv_u32 (w, K ("attention.shared_kv_layers"), sh->n_shared_kv);
  gw_kv_u32 (w, K ("embedding_length_per_layer_input"), P);
  gw_kv_arr (w, K ("attention.sliding_window_pattern"), 7 /* BOOL */, is_swa, L);
  gw_kv_u32 (w, K ("attention.key_length_swa"), sh->head_swa);
  gw_kv_u32 (w, K ("attention.value_length_swa"), sh->head_swa);
  gw_kv_u32 (w, K ("rope.dimension_count"), sh->head_full);
  gw_kv_u32 (w, K ("rope.dimension_count_swa"), sh->head_swa);
  gw_kv_u32 (w, "general.file_type", tc->file_type);
  if (tc->linear != GK_TYPE_F32 && tc->linear != GK_TYPE_F16 && tc->linear != GK_TYPE_BF16)
    gw_kv_u32 (w, "general.quantization_version", 2);
#undef K

  gw_kv_str (w, "tokenizer.ggml.model", "gemma4");
  gw_kv_arr_str (w, "tokenizer.ggml.tokens", (const char *const *) vocab.tokens, vocab.n_tokens);
  gw_kv_arr (w, "tokenizer.ggml.scores", 6 /* F32 */, vocab.scores, vocab.n_tokens);
  gw_kv_arr (w, "tokenizer.ggml.token_type", 5 /* INT32 */, vocab.types, vocab.n_tokens);
  gw_kv_arr_str (w, "tokenizer.ggml.merges", (const char *const *) vocab.merges, vocab.n_merges);
  gw_kv_u32 (w, "tokenizer.ggml.bos_token_id", 2);
  gw_kv_u32 (w, "tokenizer.ggml.eos_token_id", 1);
  gw_kv_u32 (w, "tokenizer.ggml.unknown_token_id", 3);
  gw_kv_u32 (w, "tokenizer.ggml.padding_token_id", 0);
  gw_kv_bool (w, "tokenizer.ggml.add_bos_token", true);
  gw_kv_bool (w, "tokenizer.ggml.add_eos_token", false);
  gw_kv_str (w, "tokenizer.chat_template", gen_chat_template);
  gw_kv_bool (w, "tokenizer.ggml.add_space_prefix", false);

  /* --- tensors ---------------------------------------------------------- */
  tensor_list tl = { .seed = o->seed, .direct = direct };
  const float s_h = 1.0f / sqrtf ((float) H);
  /* Attention scores with std ~2: mean max probability ~0.5, entropy
   * ~1.5 nats over a 16-key window.  Post-norm weights ~0.35 and layer
   * scales ~0.95 keep each sub-block a modest update of a residual stream
   * of RMS ~2: with unit post-norms a random network amplifies rounding
   * noise ~10x (a Q8_0 activation rounding moved logits by 8% RMS), far
   * more than trained models do; with these it is ~3x. */
  const float score_std = 2.0f, post_w = 0.35f, out_scale = 0.95f;

  /* logits RMS = sigma_e * sqrt(H) * RMS(final normed state) ~ 2 */
  add_tensor (&tl, tc->embed, H, V, GEN_DIST_GAUSS, 0.0f, 2.0f * s_h, "token_embd.weight");
  /* tok part of the PLE is scaled by sqrt(P): unit RMS after scaling */
  add_tensor (&tl, tc->embed, (int64_t) L * P, V, GEN_DIST_GAUSS, 0.0f, 1.0f / sqrtf ((float) P),
              "per_layer_token_embd.weight");
  add_tensor (&tl, proj, H, (int64_t) L * P, GEN_DIST_GAUSS, 0.0f, s_h, "per_layer_model_proj.weight");
  add_tensor (&tl, GK_TYPE_F32, P, 1, GEN_DIST_GAUSS, 1.0f, 0.1f, "per_layer_proj_norm.weight");
  gen_tensor *rf = add_tensor (&tl, GK_TYPE_F32, n_pairs, 1, GEN_DIST_FIXED, 0, 0, "rope_freqs.weight");
  rf->values = rope_freqs;

  for (uint32_t il = 0; il < L; il++)
    {
      const uint32_t D = is_swa[il] ? sh->head_swa : sh->head_full;
      const uint32_t q_w = sh->n_head * D, kv_w = sh->n_head_kv * D;
      const bool own_kv = il < kv_from;
      /* q/k norm weights c with c^2 * sqrt(D) = score_std */
      const float c_qk = sqrtf (score_std / sqrtf ((float) D));

      add_tensor (&tl, GK_TYPE_F32, H, 1, GEN_DIST_GAUSS, 1.0f, 0.1f, "blk.%u.attn_norm.weight", il);
      add_tensor (&tl, tc->linear, H, q_w, GEN_DIST_GAUSS, 0.0f, s_h, "blk.%u.attn_q.weight", il);
      if (own_kv || !o->compact)
        {
          add_tensor (&tl, tc->linear, H, kv_w, GEN_DIST_GAUSS, 0.0f, s_h, "blk.%u.attn_k.weight", il);
          add_tensor (&tl, tc->linear, H, kv_w, GEN_DIST_GAUSS, 0.0f, s_h, "blk.%u.attn_v.weight", il);
        }
      add_tensor (&tl, tc->linear, q_w, H, GEN_DIST_GAUSS, 0.0f, 1.0f / sqrtf ((float) q_w),
                  "blk.%u.attn_output.weight", il);
      add_tensor (&tl, GK_TYPE_F32, D, 1, GEN_DIST_GAUSS, c_qk, 0.1f * c_qk, "blk.%u.attn_q_norm.weight", il);
      if (own_kv || !o->compact)
        add_tensor (&tl, GK_TYPE_F32, D, 1, GEN_DIST_GAUSS, c_qk, 0.1f * c_qk, "blk.%u.attn_k_norm.weight", il);
      add_tensor (&tl, GK_TYPE_F32, H, 1, GEN_DIST_GAUSS, post_w, 0.1f * post_w, "blk.%u.post_attention_norm.weight", il);
      add_tensor (&tl, GK_TYPE_F32, H, 1, GEN_DIST_GAUSS, 1.0f, 0.1f, "blk.%u.ffn_norm.weight", il);
      add_tensor (&tl, tc->linear, H, n_ff[il], GEN_DIST_GAUSS, 0.0f, s_h, "blk.%u.ffn_gate.weight", il);
      add_tensor (&tl, tc->linear, H, n_ff[il], GEN_DIST_GAUSS, 0.0f, s_h, "blk.%u.ffn_up.weight", il);
      add_tensor (&tl, tc->linear, n_ff[il], H, GEN_DIST_GAUSS, 0.0f, 1.0f / sqrtf ((float) n_ff[il]),
                  "blk.%u.ffn_down.weight", il);
      add_tensor (&tl, GK_TYPE_F32, H, 1, GEN_DIST_GAUSS, post_w, 0.1f * post_w, "blk.%u.post_ffw_norm.weight", il);
      add_tensor (&tl, tc->linear, H, P, GEN_DIST_GAUSS, 0.0f, s_h, "blk.%u.inp_gate.weight", il);
      add_tensor (&tl, tc->linear, P, H, GEN_DIST_GAUSS, 0.0f, 1.0f / sqrtf ((float) P), "blk.%u.proj.weight", il);
      add_tensor (&tl, GK_TYPE_F32, H, 1, GEN_DIST_GAUSS, post_w, 0.1f * post_w, "blk.%u.post_norm.weight", il);
      add_tensor (&tl, GK_TYPE_F32, 1, 1, GEN_DIST_UNIFORM, out_scale, 0.04f, "blk.%u.layer_output_scale.weight", il);
    }
  /* Random signs on the final norm: with tied embeddings the residual
   * stream still holds the input token's own embedding, and its self-dot
   * product would make "repeat the last token" win every greedy step.
   * Trained models learn to cancel that; random signs cancel it here (the
   * self term shrinks by ~sqrt(H)) while the logits keep RMS ~2. */
  add_tensor (&tl, GK_TYPE_F32, H, 1, GEN_DIST_SIGNED, 1.0f, 0.1f, "output_norm.weight");

  uint64_t total = 0;
  for (size_t i = 0; i < tl.n; i++)
    {
      gen_tensor *t = &tl.t[i];
      gw_tensor_cb (w, t->name, t->type, t->n_dims, t->ne, gen_tensor_fill, t);
      total += gen_tensor_row_bytes (t) * (uint64_t) t->ne[1];
    }

  bool ok = gw_write (w, path, err, err_size);
  if (ok)
    fprintf (stderr, "gemlet-gen-model: wrote %s: %s %s, %zu tensors, %u tokens, %u merges, %.2f GB of weights\n",
             path, sh->name, tc->name, tl.n, vocab.n_tokens, vocab.n_merges, (double) total / 1e9);

  gw_free (w);
  free (tl.t);
  free (rope_freqs);
  free (is_swa);
  free (n_ff);
  gen_vocab_clear (&vocab);
  return ok;
}
