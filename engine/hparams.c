/* hparams.c — Gemma 4 hyper-parameters from GGUF metadata, cross-checked
 * against the tensor shapes they imply.
 *
 * Nothing here is specific to E2B or E4B: any dense gemma4 shape that
 * llama.cpp would load is accepted, so tiny synthetic models work too.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "error.h"
#include "hparams.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define ARCH "gemma4"


static const char *
key (char *buf, size_t size, const char *suffix)
{
  snprintf (buf, size, ARCH ".%s", suffix);
  return buf;
}

/* A u32 key; `def` is used when absent unless required. */
static bool
get_u32 (const gguf_file *f, const char *suffix, bool required, uint32_t def, uint32_t *out,
         char *err, size_t err_size)
{
  char k[96];

  key (k, sizeof k, suffix);
  if (gguf_find_key (f, k) < 0)
    {
      if (required)
        {
          gm_err_printf (err, err_size, "metadata key '%s' is missing", k);
          return false;
        }
      *out = def;
      return true;
    }
  if (!gguf_get_u32 (f, k, out))
    {
      gm_err_printf (err, err_size, "metadata key '%s': %s is not an unsigned 32-bit integer", k,
               gguf_value_type_name (gguf_kv_type (f, gguf_find_key (f, k))));
      return false;
    }
  return true;
}

static bool
get_f32 (const gguf_file *f, const char *suffix, bool required, float def, float *out,
         char *err, size_t err_size)
{
  char k[96];

  key (k, sizeof k, suffix);
  if (gguf_find_key (f, k) < 0)
    {
      if (required)
        {
          gm_err_printf (err, err_size, "metadata key '%s' is missing", k);
          return false;
        }
      *out = def;
      return true;
    }
  if (!gguf_get_f32 (f, k, out))
    {
      gm_err_printf (err, err_size, "metadata key '%s': %s is not a number", k,
               gguf_value_type_name (gguf_kv_type (f, gguf_find_key (f, k))));
      return false;
    }
  return true;
}

/* Checks that tensor `name` exists (unless optional) with exactly the given
 * shape (unused dimensions 1). Sets *present. */
static bool
check_shape (const gguf_file *f, const char *name, bool required, int64_t ne0, int64_t ne1,
             bool *present, char *err, size_t err_size)
{
  const gguf_tensor *t = gguf_find_tensor (f, name);

  if (present != NULL)
    *present = t != NULL;
  if (t == NULL)
    {
      if (required)
        gm_err_printf (err, err_size, "tensor '%s' is missing", name);
      return !required;
    }
  if (t->ne[0] != ne0 || t->ne[1] != ne1 || t->ne[2] != 1 || t->ne[3] != 1)
    {
      gm_err_printf (err, err_size,
               "tensor '%s' has shape (%lld, %lld, %lld, %lld), expected (%lld, %lld)", name,
               (long long) t->ne[0], (long long) t->ne[1], (long long) t->ne[2],
               (long long) t->ne[3], (long long) ne0, (long long) ne1);
      return false;
    }
  return true;
}

static bool
check_layer (const gguf_file *f, const gm_hparams *hp, uint32_t il, char *err, size_t err_size)
{
  const int64_t H = hp->n_embd, P = hp->n_embd_per_layer;
  const int64_t D = gm_hparams_head_dim (hp, il);
  const int64_t q = (int64_t) hp->n_head * D, kv = (int64_t) hp->n_head_kv[il] * D;
  const int64_t ff = hp->n_ff[il];
  const bool owns = il < hp->n_layer_kv_from_start;
  char n[64];

#define T(suffix) (snprintf (n, sizeof n, "blk.%u." suffix, il), n)
  if (gguf_find_tensor (f, T ("attn_qkv.weight")) != NULL)
    {
      gm_err_printf (err, err_size, "tensor '%s': fused QKV weights are not supported", n);
      return false;
    }
  if (gguf_find_tensor (f, T ("ffn_gate_inp.weight")) != NULL)
    {
      gm_err_printf (err, err_size, "tensor '%s': mixture-of-experts Gemma 4 is not supported", n);
      return false;
    }
  /* Shared layers may still carry (unused) K/V weights; if so they must
   * have the right shape, but they are only required where K/V is owned. */
  if (!check_shape (f, T ("attn_norm.weight"), true, H, 1, NULL, err, err_size)
      || !check_shape (f, T ("attn_q.weight"), true, H, q, NULL, err, err_size)
      || !check_shape (f, T ("attn_q_norm.weight"), true, D, 1, NULL, err, err_size)
      || !check_shape (f, T ("attn_k.weight"), owns, H, kv, NULL, err, err_size)
      || !check_shape (f, T ("attn_k_norm.weight"), owns, D, 1, NULL, err, err_size)
      || !check_shape (f, T ("attn_v.weight"), false, H, kv, NULL, err, err_size)
      || !check_shape (f, T ("attn_output.weight"), true, q, H, NULL, err, err_size)
      || !check_shape (f, T ("post_attention_norm.weight"), true, H, 1, NULL, err, err_size)
      || !check_shape (f, T ("layer_output_scale.weight"), false, 1, 1, NULL, err, err_size)
      || !check_shape (f, T ("ffn_norm.weight"), true, H, 1, NULL, err, err_size)
      || !check_shape (f, T ("ffn_gate.weight"), true, H, ff, NULL, err, err_size)
      || !check_shape (f, T ("ffn_up.weight"), true, H, ff, NULL, err, err_size)
      || !check_shape (f, T ("ffn_down.weight"), true, ff, H, NULL, err, err_size)
      || !check_shape (f, T ("post_ffw_norm.weight"), true, H, 1, NULL, err, err_size))
    return false;
  if (P > 0
      && (!check_shape (f, T ("inp_gate.weight"), true, H, P, NULL, err, err_size)
          || !check_shape (f, T ("proj.weight"), true, P, H, NULL, err, err_size)
          || !check_shape (f, T ("post_norm.weight"), true, H, 1, NULL, err, err_size)))
    return false;
#undef T
  return true;
}

/* HF: a shared layer reads the last owning layer of its own attention type.
 * llama.cpp: n_kv_from_start - 2 for SWA, - 1 for full. Both are computed
 * and must agree, so the engine runs what both references run. */
static bool
compute_kv_sources (gm_hparams *hp, char *err, size_t err_size)
{
  const uint32_t start = hp->n_layer_kv_from_start;

  for (uint32_t il = 0; il < hp->n_layer; il++)
    {
      uint32_t hf = UINT32_MAX, llama;

      if (il < start)
        {
          hp->kv_source[il] = il;
          continue;
        }
      for (uint32_t j = start; j-- > 0;)
        if (hp->is_swa[j] == hp->is_swa[il])
          {
            hf = j;
            break;
          }
      if (hf == UINT32_MAX)
        {
          gm_err_printf (err, err_size,
                   "layer %u (%s) shares K/V, but none of the owning layers 0-%u is of that type",
                   il, hp->is_swa[il] ? "sliding-window" : "full attention", start - 1);
          return false;
        }
      llama = start >= 2 ? start - (hp->is_swa[il] ? 2 : 1) : UINT32_MAX;
      if (hf != llama)
        {
          gm_err_printf (err, err_size,
                   "layer %u: K/V source is layer %u by the Hugging Face rule but layer %d by "
                   "llama.cpp's (the last two owning layers must be sliding-window then full)",
                   il, hf, llama == UINT32_MAX ? -1 : (int) llama);
          return false;
        }
      hp->kv_source[il] = hf;
    }
  return true;
}

bool
gm_hparams_load (const gguf_file *f, gm_hparams *hp, char *err, size_t err_size)
{
  gguf_str arch;
  const gguf_tensor *tok;
  uint32_t n_head_arr[GM_MAX_LAYERS], n_expert = 0;
  uint32_t head_v_full, head_v_swa;
  bool any_full = false, any_swa = false;
  int64_t H;

  memset (hp, 0, sizeof *hp);
  if (!gguf_get_str (f, "general.architecture", &arch))
    {
      gm_err_printf (err, err_size, gguf_find_key (f, "general.architecture") < 0
                                ? "no 'general.architecture' key"
                                : "'general.architecture' is not a string");
      return false;
    }
  if (arch.len != strlen (ARCH) || memcmp (arch.ptr, ARCH, arch.len) != 0)
    {
      gm_err_printf (err, err_size, "architecture is '%.*s', not '" ARCH "'",
               (int) (arch.len > 64 ? 64 : arch.len), arch.ptr);
      return false;
    }

  if (!get_u32 (f, "block_count", true, 0, &hp->n_layer, err, err_size)
      || !get_u32 (f, "embedding_length", true, 0, &hp->n_embd, err, err_size)
      || !get_u32 (f, "context_length", true, 0, &hp->n_ctx_train, err, err_size)
      || !get_u32 (f, "expert_count", false, 0, &n_expert, err, err_size))
    return false;
  if (hp->n_layer == 0 || hp->n_layer > GM_MAX_LAYERS)
    {
      gm_err_printf (err, err_size, "'" ARCH ".block_count' is %u, must be 1-%d", hp->n_layer,
               GM_MAX_LAYERS);
      return false;
    }
  if (hp->n_embd == 0)
    {
      gm_err_printf (err, err_size, "'" ARCH ".embedding_length' is 0");
      return false;
    }
  if (n_expert > 0)
    {
      gm_err_printf (err, err_size, "mixture-of-experts Gemma 4 (%u experts) is not supported", n_expert);
      return false;
    }

  /* Per-layer keys: a scalar or an array of one entry per layer. */
  if (!gguf_get_u32_per_layer (f, ARCH ".feed_forward_length", hp->n_ff, hp->n_layer, err, err_size)
      || !gguf_get_u32_per_layer (f, ARCH ".attention.head_count", n_head_arr, hp->n_layer, err,
                                  err_size)
      || !gguf_get_bool_per_layer (f, ARCH ".attention.sliding_window_pattern", hp->is_swa,
                                   hp->n_layer, err, err_size))
    return false;
  hp->n_head = n_head_arr[0];
  for (uint32_t il = 0; il < hp->n_layer; il++)
    {
      if (n_head_arr[il] != hp->n_head)
        {
          gm_err_printf (err, err_size, "'" ARCH ".attention.head_count' differs between layers 0 and %u",
                   il);
          return false;
        }
      if (hp->n_ff[il] == 0)
        {
          gm_err_printf (err, err_size, "'" ARCH ".feed_forward_length' is 0 for layer %u", il);
          return false;
        }
      any_swa |= hp->is_swa[il];
      any_full |= !hp->is_swa[il];
    }
  if (hp->n_head == 0)
    {
      gm_err_printf (err, err_size, "'" ARCH ".attention.head_count' is 0");
      return false;
    }
  /* head_count_kv defaults to head_count, as in llama.cpp. */
  if (gguf_find_key (f, ARCH ".attention.head_count_kv") < 0)
    memcpy (hp->n_head_kv, n_head_arr, sizeof n_head_arr);
  else if (!gguf_get_u32_per_layer (f, ARCH ".attention.head_count_kv", hp->n_head_kv,
                                    hp->n_layer, err, err_size))
    return false;
  for (uint32_t il = 0; il < hp->n_layer; il++)
    if (hp->n_head_kv[il] == 0 || hp->n_head % hp->n_head_kv[il] != 0)
      {
        gm_err_printf (err, err_size, "layer %u: %u query heads cannot share %u K/V heads", il,
                 hp->n_head, hp->n_head_kv[il]);
        return false;
      }

  /* Head sizes: full layers default to n_embd / n_head, SWA to the full
   * size; value sizes must equal key sizes (llama.cpp insists). */
  if (!get_u32 (f, "attention.key_length", false, hp->n_embd / hp->n_head, &hp->head_dim_full,
                err, err_size)
      || !get_u32 (f, "attention.value_length", false, hp->head_dim_full, &head_v_full, err,
                   err_size)
      || !get_u32 (f, "attention.key_length_swa", false, hp->head_dim_full, &hp->head_dim_swa,
                   err, err_size)
      || !get_u32 (f, "attention.value_length_swa", false, hp->head_dim_swa, &head_v_swa, err,
                   err_size)
      || !get_u32 (f, "rope.dimension_count", false, hp->head_dim_full, &hp->n_rot_full, err,
                   err_size)
      || !get_u32 (f, "rope.dimension_count_swa", false, hp->n_rot_full, &hp->n_rot_swa, err,
                   err_size))
    return false;
  if (head_v_full != hp->head_dim_full || head_v_swa != hp->head_dim_swa)
    {
      gm_err_printf (err, err_size, "value head size (%u / %u SWA) differs from key head size (%u / %u SWA)",
               head_v_full, head_v_swa, hp->head_dim_full, hp->head_dim_swa);
      return false;
    }
  if (hp->head_dim_full == 0 || hp->head_dim_swa == 0 || hp->head_dim_full % 2 != 0
      || hp->head_dim_swa % 2 != 0)
    {
      gm_err_printf (err, err_size, "head size %u / %u (SWA) must be even and non-zero",
               hp->head_dim_full, hp->head_dim_swa);
      return false;
    }
  if (hp->n_rot_full > hp->head_dim_full || hp->n_rot_swa > hp->head_dim_swa
      || hp->n_rot_full % 2 != 0 || hp->n_rot_swa % 2 != 0)
    {
      gm_err_printf (err, err_size, "rotary size %u / %u (SWA) must be even and at most the head size",
               hp->n_rot_full, hp->n_rot_swa);
      return false;
    }

  if (!get_f32 (f, "rope.freq_base", false, 10000.0f, &hp->rope_base_full, err, err_size)
      || !get_f32 (f, "rope.freq_base_swa", false, 10000.0f, &hp->rope_base_swa, err, err_size)
      || !get_f32 (f, "attention.layer_norm_rms_epsilon", true, 0, &hp->rms_eps, err, err_size)
      || !get_f32 (f, "final_logit_softcapping", false, 30.0f, &hp->final_softcap, err, err_size)
      || !get_u32 (f, "attention.sliding_window", any_swa, 0, &hp->n_swa, err, err_size)
      || !get_u32 (f, "attention.shared_kv_layers", false, 0, &hp->n_shared_kv, err, err_size)
      || !get_u32 (f, "embedding_length_per_layer_input", true, 0, &hp->n_embd_per_layer, err,
                   err_size))
    return false;
  if (!(hp->rope_base_full > 0) || !(hp->rope_base_swa > 0) || !(hp->rms_eps > 0)
      || !(hp->final_softcap >= 0) || !isfinite (hp->rope_base_full)
      || !isfinite (hp->rope_base_swa) || !isfinite (hp->final_softcap) || hp->rms_eps > 1.0f)
    {
      gm_err_printf (err, err_size, "implausible rope base (%g / %g), rms epsilon (%g) or soft-cap (%g)",
               (double) hp->rope_base_full, (double) hp->rope_base_swa, (double) hp->rms_eps,
               (double) hp->final_softcap);
      return false;
    }
  if (any_swa && hp->n_swa == 0)
    {
      gm_err_printf (err, err_size, "'" ARCH ".attention.sliding_window' is 0 but some layers use it");
      return false;
    }
  if (hp->n_shared_kv >= hp->n_layer)
    {
      gm_err_printf (err, err_size, "'" ARCH ".attention.shared_kv_layers' is %u, but there are only %u layers",
               hp->n_shared_kv, hp->n_layer);
      return false;
    }
  hp->n_layer_kv_from_start = hp->n_layer - hp->n_shared_kv;
  if (!compute_kv_sources (hp, err, err_size))
    return false;

  /* Global tensors; the vocabulary size is token_embd's row count. */
  H = hp->n_embd;
  tok = gguf_find_tensor (f, "token_embd.weight");
  if (tok == NULL)
    {
      gm_err_printf (err, err_size, "tensor 'token_embd.weight' is missing");
      return false;
    }
  if (tok->ne[1] <= 0 || tok->ne[1] > INT32_MAX)
    {
      gm_err_printf (err, err_size, "tensor 'token_embd.weight' has %lld rows, not a usable vocabulary",
               (long long) tok->ne[1]);
      return false;
    }
  hp->n_vocab = (uint32_t) tok->ne[1];
  if (!check_shape (f, "token_embd.weight", true, H, hp->n_vocab, NULL, err, err_size)
      || !check_shape (f, "output.weight", false, H, hp->n_vocab, NULL, err, err_size)
      || !check_shape (f, "output_norm.weight", true, H, 1, NULL, err, err_size)
      || (any_full
          && !check_shape (f, "rope_freqs.weight", true, hp->head_dim_full / 2, 1, NULL, err,
                           err_size)))
    return false;
  if (hp->n_embd_per_layer > 0)
    {
      const int64_t LP = (int64_t) hp->n_layer * hp->n_embd_per_layer;
      if (!check_shape (f, "per_layer_token_embd.weight", true, LP, hp->n_vocab, NULL, err,
                        err_size)
          || !check_shape (f, "per_layer_model_proj.weight", true, H, LP, NULL, err, err_size)
          || !check_shape (f, "per_layer_proj_norm.weight", true, hp->n_embd_per_layer, 1, NULL,
                           err, err_size))
        return false;
    }
  for (uint32_t il = 0; il < hp->n_layer; il++)
    if (!check_layer (f, hp, il, err, err_size))
      return false;
  return true;
}

uint32_t
gm_hparams_kv_positions (const gm_hparams *hp, uint32_t il, uint32_t n_ctx)
{
  if (il >= hp->n_layer_kv_from_start)
    return 0; /* reads another layer's cache */
  if (hp->is_swa[il])
    return n_ctx < hp->n_swa ? n_ctx : hp->n_swa;
  return n_ctx;
}

uint64_t
gm_hparams_kv_bytes (const gm_hparams *hp, uint32_t n_ctx, uint32_t bytes_per_value)
{
  uint64_t total = 0;

  for (uint32_t il = 0; il < hp->n_layer_kv_from_start && il < hp->n_layer; il++)
    {
      /* K and V, n_head_kv heads of head_dim each, per position;
       * saturating, as absurd (but consistent) shapes could overflow */
      uint64_t layer = 2ull * hp->n_head_kv[il];
      if (__builtin_mul_overflow (layer, (uint64_t) gm_hparams_head_dim (hp, il), &layer)
          || __builtin_mul_overflow (layer, (uint64_t) gm_hparams_kv_positions (hp, il, n_ctx),
                                     &layer)
          || __builtin_mul_overflow (layer, (uint64_t) bytes_per_value, &layer)
          || __builtin_add_overflow (total, layer, &total))
        return UINT64_MAX;
    }
  return total;
}
