/* g4-shape.c — synthetic Gemma 4 layouts for tests.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "g4-shape.h"

#include <stdio.h>
#include <string.h>

enum { T_F32 = 0, T_F16 = 1, T_Q4_0 = 2, T_Q8_0 = 8, T_Q6_K = 14 };
enum { VT_U8 = 0, VT_I32 = 5, VT_BOOL = 7, VT_I64 = 11 };

uint64_t
g4_tensor_bytes (uint32_t type, int64_t ne0, int64_t ne1)
{
  uint64_t n = (uint64_t) ne0 * (uint64_t) ne1;

  switch (type)
    {
    case T_F32:
      return n * 4;
    case T_F16:
      return n * 2;
    case T_Q4_0:
      return n / 32 * 18;
    case T_Q8_0:
      return n / 32 * 34;
    case T_Q6_K:
      return n / 256 * 210;
    default:
      return 0;
    }
}

void
g4_shape_tiny (g4_shape *s)
{
  static const bool pattern[6] = { true, true, false, true, true, false };

  memset (s, 0, sizeof *s);
  s->n_layer = 6;
  s->n_embd = 64;
  s->n_head = 2;
  s->n_head_kv = 1;
  s->head_dim_swa = 32;
  s->head_dim_full = 64;
  s->n_ff = 128;
  s->n_ff_shared = 256;
  s->n_embd_per_layer = 32;
  s->n_vocab = 512;
  s->n_swa = 128;
  s->n_shared_kv = 3;
  s->n_ctx_train = 2048;
  memcpy (s->is_swa, pattern, sizeof pattern);
  s->type_2d = T_Q8_0;
  s->type_embd = T_Q8_0;
  s->type_ple_proj = T_F16;
}

void
g4_shape_e2b (g4_shape *s)
{
  memset (s, 0, sizeof *s);
  s->n_layer = 35;
  s->n_embd = 1536;
  s->n_head = 8;
  s->n_head_kv = 1;
  s->head_dim_swa = 256;
  s->head_dim_full = 512;
  s->n_ff = 6144;
  s->n_ff_shared = 12288;
  s->n_embd_per_layer = 256;
  s->n_vocab = 262144;
  s->n_swa = 512;
  s->n_shared_kv = 20;
  s->n_ctx_train = 131072;
  for (uint32_t il = 0; il < s->n_layer; il++)
    s->is_swa[il] = il % 5 != 4;
  s->type_2d = T_Q4_0;
  s->type_embd = T_Q6_K;
  s->type_ple_proj = T_F16;
}

static const g4_shape *cur; /* the shape being written, for the variations */
static uint64_t cur_bytes;

static bool
want (const char *key)
{
  return cur->omit_key == NULL || strcmp (cur->omit_key, key) != 0;
}

static void
t2 (gw_writer *w, const char *name, uint32_t type, int64_t ne0, int64_t ne1)
{
  int64_t ne[2] = { ne0, ne1 };

  if (cur->omit_tensor != NULL && strcmp (cur->omit_tensor, name) == 0)
    return;
  if (cur->bad_tensor != NULL && strcmp (cur->bad_tensor, name) == 0)
    ne[1] += 32;
  gw_tensor_cb (w, name, type, ne[1] == 1 ? 1 : 2, ne, NULL, NULL);
  cur_bytes += g4_tensor_bytes (type, ne[0], ne[1]);
}

#define KV(fn, key, ...)            \
  do                                \
    {                               \
      if (want (key))               \
        fn (w, key, __VA_ARGS__);   \
    }                               \
  while (0)

uint64_t
g4_write (gw_writer *w, const g4_shape *s)
{
  const uint32_t L = s->n_layer, H = s->n_embd, P = s->n_embd_per_layer;
  const uint32_t first_shared = L - s->n_shared_kv;
  int32_t n_ff[G4_MAX_LAYERS];
  bool double_wide = s->n_ff_shared != s->n_ff;
  char name[64];

  cur = s;
  cur_bytes = 0;
  KV (gw_kv_str, "general.architecture", s->arch ? s->arch : "gemma4");
  KV (gw_kv_str, "general.name", "synthetic gemma4");
  KV (gw_kv_u32, "general.file_type", 7);
  for (uint32_t il = 0; il < L; il++)
    n_ff[il] = (int32_t) (il >= first_shared ? s->n_ff_shared : s->n_ff);
  if (s->odd_int_types)
    {
      int64_t ff64[G4_MAX_LAYERS];
      uint8_t kv8[G4_MAX_LAYERS];
      for (uint32_t il = 0; il < L; il++)
        {
          ff64[il] = n_ff[il];
          kv8[il] = (uint8_t) s->n_head_kv;
        }
      KV (gw_kv_u64, "gemma4.context_length", s->n_ctx_train);
      KV (gw_kv_i32, "gemma4.embedding_length", (int32_t) H);
      KV (gw_kv_u16, "gemma4.block_count", (uint16_t) L);
      KV (gw_kv_arr, "gemma4.feed_forward_length", VT_I64, ff64, L);
      KV (gw_kv_i64, "gemma4.attention.head_count", s->n_head);
      KV (gw_kv_arr, "gemma4.attention.head_count_kv", VT_U8, kv8, L);
    }
  else
    {
      KV (gw_kv_u32, "gemma4.context_length", s->n_ctx_train);
      KV (gw_kv_u32, "gemma4.embedding_length", H);
      KV (gw_kv_u32, "gemma4.block_count", L);
      /* like the converter: an INT32 array only for double-wide MLPs */
      if (double_wide)
        KV (gw_kv_arr, "gemma4.feed_forward_length", VT_I32, n_ff, L);
      else
        KV (gw_kv_u32, "gemma4.feed_forward_length", s->n_ff);
      KV (gw_kv_u32, "gemma4.attention.head_count", s->n_head);
      KV (gw_kv_u32, "gemma4.attention.head_count_kv", s->n_head_kv);
    }
  KV (gw_kv_u32, "gemma4.attention.key_length", s->head_dim_full);
  KV (gw_kv_u32, "gemma4.attention.value_length", s->head_dim_full);
  KV (gw_kv_u32, "gemma4.attention.key_length_swa", s->head_dim_swa);
  KV (gw_kv_u32, "gemma4.attention.value_length_swa", s->head_dim_swa);
  KV (gw_kv_f32, "gemma4.attention.layer_norm_rms_epsilon", 1e-6f);
  KV (gw_kv_u32, "gemma4.attention.sliding_window", s->n_swa);
  KV (gw_kv_arr, "gemma4.attention.sliding_window_pattern", VT_BOOL, s->is_swa, L);
  KV (gw_kv_u32, "gemma4.attention.shared_kv_layers", s->n_shared_kv);
  KV (gw_kv_u32, "gemma4.embedding_length_per_layer_input", P);
  KV (gw_kv_f32, "gemma4.rope.freq_base", 1e6f);
  KV (gw_kv_f32, "gemma4.rope.freq_base_swa", 1e4f);
  KV (gw_kv_u32, "gemma4.rope.dimension_count", s->head_dim_full);
  KV (gw_kv_u32, "gemma4.rope.dimension_count_swa", s->head_dim_swa);
  KV (gw_kv_f32, "gemma4.final_logit_softcapping", 30.0f);
  if (s->expert_count > 0)
    KV (gw_kv_u32, "gemma4.expert_count", s->expert_count);
  KV (gw_kv_str, "tokenizer.ggml.model", "gemma4");
  KV (gw_kv_str, "tokenizer.chat_template", "{{ bos_token }}");

  t2 (w, "token_embd.weight", s->type_embd, H, s->n_vocab);
  if (P > 0)
    {
      t2 (w, "per_layer_token_embd.weight", s->type_embd, (int64_t) L * P, s->n_vocab);
      t2 (w, "per_layer_model_proj.weight", s->type_ple_proj, H, (int64_t) L * P);
      t2 (w, "per_layer_proj_norm.weight", T_F32, P, 1);
    }
  t2 (w, "output_norm.weight", T_F32, H, 1);
  t2 (w, "rope_freqs.weight", T_F32, s->head_dim_full / 2, 1);

  for (uint32_t il = 0; il < L; il++)
    {
      const int64_t D = s->is_swa[il] ? s->head_dim_swa : s->head_dim_full;
      const int64_t q = s->n_head * D, kv = s->n_head_kv * D;
      const bool owns = il < first_shared;

#define N(suffix) (snprintf (name, sizeof name, "blk.%u." suffix, il), name)
      t2 (w, N ("attn_norm.weight"), T_F32, H, 1);
      t2 (w, N ("attn_q.weight"), s->type_2d, H, q);
      t2 (w, N ("attn_q_norm.weight"), T_F32, D, 1);
      if (owns || !s->compact)
        {
          t2 (w, N ("attn_k.weight"), s->type_2d, H, kv);
          t2 (w, N ("attn_k_norm.weight"), T_F32, D, 1);
          t2 (w, N ("attn_v.weight"), s->type_2d, H, kv);
        }
      t2 (w, N ("attn_output.weight"), s->type_2d, q, H);
      t2 (w, N ("post_attention_norm.weight"), T_F32, H, 1);
      t2 (w, N ("ffn_norm.weight"), T_F32, H, 1);
      t2 (w, N ("ffn_gate.weight"), s->type_2d, H, n_ff[il]);
      t2 (w, N ("ffn_up.weight"), s->type_2d, H, n_ff[il]);
      t2 (w, N ("ffn_down.weight"), s->type_2d, n_ff[il], H);
      t2 (w, N ("post_ffw_norm.weight"), T_F32, H, 1);
      if (P > 0)
        {
          t2 (w, N ("inp_gate.weight"), s->type_2d, H, P);
          t2 (w, N ("proj.weight"), s->type_2d, P, H);
          t2 (w, N ("post_norm.weight"), T_F32, H, 1);
        }
      t2 (w, N ("layer_output_scale.weight"), T_F32, 1, 1);
#undef N
    }
  return cur_bytes;
}
