/* gen-mobile.c — a synthetic Gemma 4 mobile checkpoint (compressed-tensors
 * safetensors folder, engine/MOBILE-FORMAT.md) with random int2/int4/int8
 * codes and BF16 scales, and beside it an F32 GGUF "twin" holding exactly
 * the same weights (code × scale: a small integer times a BF16 value is
 * exact in F32), so llama.cpp running the twin is the reference for Gemlet
 * running the mobile folder in weight-only mode.
 *
 * Bit split as on E2B: int2 embedding (tied head), group-wise int4
 * per-layer table, int4 attention with static input/output activation
 * scales, int4 MLP on KV-owning layers and int2 on KV-shared ones, int8
 * ("int-quantized") per-layer gate/projection with input scales, BF16
 * per_layer_model_projection and norms. Magnitudes follow gen-gemma4.c.
 * The E4B shape follows the E4B column of shared/docs/mobile-ct-format.md
 * §5: group-wise int2 per-layer table, int4 MLP on every layer, no
 * double-wide MLP (the per-module split of the real file is UNCONFIRMED,
 * as for E2B).
 *
 * --sparse: the codes are holes in the file (all-zero bytes, no disk, no
 * generation time) and there is no twin; the header, scales and float
 * tensors are real. For loading/inspecting full-size shapes quickly.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "gen-model.h"
#include "gemlet-kernels.h"
#include "gguf-writer.h"
#include "st-writer.h"

#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct {
  const char *name;
  uint32_t n_layer, n_embd, n_head, n_head_kv;
  uint32_t head_swa, head_full, n_ff, n_ple, n_swa, n_shared_kv, full_period, ctx;
  uint32_t ple_group;     /* group size of the per-layer table's scales */
  int ple_bits;           /* per-layer table: E2B int4, E4B int2 */
  bool double_wide;       /* KV-shared layers: 2× MLP width, int2 MLP (E2B) */
} mshape;

static const mshape mshapes[] = {
  { "tiny", 8, 256, 8, 2, 32, 64, 512, 64, 16, 4, 4, 512, 64, 4, true },
  { "e2b", 35, 1536, 8, 1, 256, 512, 6144, 256, 512, 20, 5, 131072, 256, 4, true },
  { "e4b", 42, 2560, 8, 2, 256, 512, 10240, 256, 512, 18, 6, 131072, 256, 2, false },
};

#define PREFIX "model.language_model."

typedef struct {
  const mshape *sh;
  uint64_t seed;
  stw_writer *sw;
  gw_writer *gw;
  bool block_twin;         /* Q4_0/Q8_0 twin instead of F32 */
  bool sparse;             /* codes as holes, no twin */
  bool oom;
  bool inexact;           /* a scale fp16 cannot hold: the twin would differ */
  void **keep;            /* buffers gw_write reads at the end */
  size_t n_keep, cap_keep;
} ctx;

static void *
keep (ctx *c, void *p)
{
  if (c->n_keep == c->cap_keep)
    {
      c->cap_keep = c->cap_keep ? 2 * c->cap_keep : 256;
      c->keep = realloc (c->keep, c->cap_keep * sizeof *c->keep);
    }
  c->keep[c->n_keep++] = p;
  return p;
}

static float
bf16_round (float f)
{
  return gk_bf16_to_fp32 (gk_fp32_to_bf16 (f));
}

/* Writes twin row r: F32 values, or Q4_0 (2/4-bit codes) / Q8_0 (8-bit)
 * blocks whose fp16 d is the row's (group's) scale — exact, since the BF16
 * scales of these magnitudes are fp16 values too. */
static void
twin_row (ctx *c, int bits, const int8_t *q, const float *scale, int64_t cols, int64_t group,
          uint8_t *dst)
{
  if (!c->block_twin)
    {
      float *v = (float *) dst;

      for (int64_t j = 0; j < cols; j++)
        v[j] = (float) q[j] * scale[j / group];
      return;
    }
  for (int64_t b = 0; b < cols / 32; b++)
    {
      const uint16_t d = gk_fp32_to_fp16 (scale[b * 32 / group]);
      const int8_t *qb = q + b * 32;

      if (gk_fp16_to_fp32 (d) != scale[b * 32 / group])
        c->inexact = true;
      if (bits == 8)
        {
          uint8_t *blk = dst + b * 34;

          memcpy (blk, &d, 2);
          memcpy (blk + 2, qb, 32);
        }
      else
        {
          uint8_t *blk = dst + b * 18;

          memcpy (blk, &d, 2);
          /* ggml: elements 0-15 in the low nibbles, 16-31 in the high ones */
          for (int j = 0; j < 16; j++)
            blk[2 + j] = (uint8_t) ((qb[j] + 8) | (qb[j + 16] + 8) << 4);
        }
    }
}

static void act_scales (ctx *c, const char *module, float in_scale, float out_scale);

/* --sparse: the codes are a hole (all-zero bytes); the scales are drawn as
 * quant() draws them, one generator per row. */
static void
quant_sparse (ctx *c, const char *module, int bits, bool int_quantized, int64_t rows, int64_t cols,
              int64_t group, float scale, float in_scale, float out_scale)
{
  const int64_t ng = cols / group, words = stw_packed_words (cols, bits);
  uint16_t *scales_bf = malloc ((size_t) (rows * ng) * sizeof *scales_bf);
  const uint64_t stream = gen_hash_str (module);
  char name[256];

  if (scales_bf == NULL)
    {
      c->oom = true;
      return;
    }
  for (int64_t r = 0; r < rows; r++)
    {
      gen_rng rg;

      gen_rng_init (&rg, c->seed, stream ^ gen_hash64 ((uint64_t) r + 1));
      for (int64_t g = 0; g < ng; g++)
        scales_bf[r * ng + g] = gk_fp32_to_bf16 (scale * (0.8f + 0.4f * gen_rng_uniform (&rg)));
    }
  if (int_quantized)
    {
      snprintf (name, sizeof name, "%s.weight", module);
      stw_tensor_zero (c->sw, name, "I8", 2, (const int64_t[]) { rows, cols },
                       (uint64_t) rows * (uint64_t) cols);
    }
  else
    {
      const int64_t shape[2] = { rows, cols };

      snprintf (name, sizeof name, "%s.weight_packed", module);
      stw_tensor_zero (c->sw, name, "I32", 2, (const int64_t[]) { rows, words },
                       (uint64_t) rows * (uint64_t) words * 4);
      snprintf (name, sizeof name, "%s.weight_shape", module);
      stw_tensor (c->sw, name, "I64", 1, (const int64_t[]) { 2 }, shape, sizeof shape);
    }
  snprintf (name, sizeof name, "%s.weight_scale", module);
  stw_tensor (c->sw, name, "BF16", 2, (const int64_t[]) { rows, ng }, scales_bf,
              (size_t) (rows * ng) * 2);
  free (scales_bf);
  act_scales (c, module, in_scale, out_scale);
}

static void
act_scales (ctx *c, const char *module, float in_scale, float out_scale)
{
  char name[256];

  if (in_scale > 0.0f)
    {
      snprintf (name, sizeof name, "%s.input_scale", module);
      stw_tensor (c->sw, name, "F32", 1, (const int64_t[]) { 1 }, &in_scale, 4);
    }
  if (out_scale > 0.0f)
    {
      snprintf (name, sizeof name, "%s.output_scale", module);
      stw_tensor (c->sw, name, "F32", 1, (const int64_t[]) { 1 }, &out_scale, 4);
    }
}

/* A quantised module: codes ~ round(N(0, σ_bits)) clamped to the signed
 * range, one BF16 scale per row (or group) giving the target weight σ.
 * Generated a row at a time (E2B tables are GBs of codes). */
static void
quant (ctx *c, const char *module, const char *gguf_name, int bits, bool int_quantized,
       int64_t rows, int64_t cols, int64_t group, float sigma, float in_scale, float out_scale)
{
  const float code_sigma = bits == 2 ? 0.9f : bits == 4 ? 3.0f : 40.0f;

  if (c->sparse)
    {
      /* before any of the full-size buffers below is allocated */
      quant_sparse (c, module, bits, int_quantized, rows, cols, group, sigma / code_sigma, in_scale,
                    out_scale);
      return;
    }

  const int lo = -(1 << (bits - 1)), hi = (1 << (bits - 1)) - 1;
  const int64_t ng = cols / group;
  const int64_t words = stw_packed_words (cols, bits);
  const size_t code_row = int_quantized ? (size_t) cols : (size_t) words * 4;
  const size_t twin_bytes = !c->block_twin ? (size_t) cols * 4
                                           : (size_t) (cols / 32) * (bits == 8 ? 34 : 18);
  const uint32_t twin_type = !c->block_twin ? GK_TYPE_F32 : bits == 8 ? GK_TYPE_Q8_0 : GK_TYPE_Q4_0;
  uint8_t *codes_out = malloc ((size_t) rows * code_row);
  uint16_t *scales_bf = malloc ((size_t) (rows * ng) * sizeof *scales_bf);
  uint8_t *twin = keep (c, malloc ((size_t) rows * twin_bytes));
  int8_t *q = malloc ((size_t) cols);
  float *sc = malloc ((size_t) ng * sizeof *sc);
  const uint64_t stream = gen_hash_str (module);
  char name[256];

  if (codes_out == NULL || scales_bf == NULL || twin == NULL || q == NULL || sc == NULL)
    {
      free (codes_out);
      free (scales_bf);
      free (q);
      free (sc);
      c->oom = true;
      return;
    }
  for (int64_t r = 0; r < rows; r++)
    {
      gen_rng rg;

      gen_rng_init (&rg, c->seed, stream ^ gen_hash64 ((uint64_t) r + 1));
      for (int64_t j = 0; j < cols; j++)
        {
          const float v = nearbyintf (code_sigma * gen_rng_gauss (&rg));

          q[j] = (int8_t) (v < (float) lo ? lo : v > (float) hi ? hi : (int) v);
        }
      for (int64_t g = 0; g < ng; g++)
        {
          sc[g] = bf16_round (sigma / code_sigma * (0.8f + 0.4f * gen_rng_uniform (&rg)));
          scales_bf[r * ng + g] = gk_fp32_to_bf16 (sc[g]);
        }
      if (int_quantized)
        memcpy (codes_out + (size_t) r * code_row, q, (size_t) cols);
      else
        stw_pack_codes (q, 1, cols, bits, codes_out + (size_t) r * code_row);
      twin_row (c, bits, q, sc, cols, group, twin + (size_t) r * twin_bytes);
    }

  if (int_quantized)
    {
      snprintf (name, sizeof name, "%s.weight", module);
      stw_tensor (c->sw, name, "I8", 2, (const int64_t[]) { rows, cols }, codes_out,
                  (size_t) rows * code_row);
    }
  else
    {
      const int64_t shape[2] = { rows, cols };

      snprintf (name, sizeof name, "%s.weight_packed", module);
      stw_tensor (c->sw, name, "I32", 2, (const int64_t[]) { rows, words }, codes_out,
                  (size_t) rows * code_row);
      snprintf (name, sizeof name, "%s.weight_shape", module);
      stw_tensor (c->sw, name, "I64", 1, (const int64_t[]) { 2 }, shape, sizeof shape);
    }
  snprintf (name, sizeof name, "%s.weight_scale", module);
  stw_tensor (c->sw, name, "BF16", 2, (const int64_t[]) { rows, ng }, scales_bf,
              (size_t) (rows * ng) * 2);
  act_scales (c, module, in_scale, out_scale);
  gw_tensor (c->gw, gguf_name, twin_type, 2, (const int64_t[]) { cols, rows }, twin);
  free (codes_out);
  free (scales_bf);
  free (q);
  free (sc);
}

/* A float tensor (BF16 in the checkpoint, the same values as F32 in the
 * twin): mean + sigma·N(0,1), with random signs when signed_. */
static void
floats (ctx *c, const char *hf_name, const char *gguf_name, int64_t rows, int64_t cols, float mean,
        float sigma, bool signed_, bool uniform)
{
  const int64_t n = rows * cols;
  float *values = keep (c, malloc ((size_t) n * sizeof *values));
  uint16_t *bf = keep (c, malloc ((size_t) n * sizeof *bf));
  gen_rng r;

  if (values == NULL || bf == NULL)
    {
      c->oom = true;
      return;
    }
  gen_rng_init (&r, c->seed, gen_hash_str (hf_name));
  for (int64_t i = 0; i < n; i++)
    {
      float v = uniform ? mean + sigma * (2.0f * gen_rng_uniform (&r) - 1.0f)
                        : mean + sigma * gen_rng_gauss (&r);

      if (signed_ && gen_rng_uniform (&r) < 0.5f)
        v = -v;
      bf[i] = gk_fp32_to_bf16 (v);
      values[i] = gk_bf16_to_fp32 (bf[i]);
    }
  if (rows > 1)
    {
      stw_tensor (c->sw, hf_name, "BF16", 2, (const int64_t[]) { rows, cols }, bf, (size_t) n * 2);
      /* llama-quantize keeps per_layer_model_proj in its source type */
      if (c->block_twin)
        gw_tensor (c->gw, gguf_name, GK_TYPE_BF16, 2, (const int64_t[]) { cols, rows }, bf);
      else
        gw_tensor (c->gw, gguf_name, GK_TYPE_F32, 2, (const int64_t[]) { cols, rows }, values);
    }
  else
    {
      stw_tensor (c->sw, hf_name, "BF16", 1, (const int64_t[]) { cols }, bf, (size_t) n * 2);
      gw_tensor (c->gw, gguf_name, GK_TYPE_F32, 1, (const int64_t[]) { cols }, values);
    }
}

static bool
write_json (const char *dir, const char *name, json_object *o, char *err, size_t err_size)
{
  char path[4096];
  FILE *fp;
  const char *text = json_object_to_json_string_ext (o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
  bool ok;

  snprintf (path, sizeof path, "%s/%s", dir, name);
  fp = fopen (path, "wb");
  if (fp == NULL)
    {
      snprintf (err, err_size, "%s: %s", path, strerror (errno));
      return false;
    }
  ok = fputs (text, fp) >= 0;
  ok = fclose (fp) == 0 && ok;
  if (!ok)
    snprintf (err, err_size, "%s: write failed", path);
  return ok;
}

static json_object *
jstr (const char *s)
{
  return json_object_new_string (s);
}

static json_object *
scheme (int bits, bool group, int64_t group_size, bool in_act, bool out_act, const char *format,
        json_object *targets)
{
  json_object *g = json_object_new_object (), *w = json_object_new_object ();

  json_object_object_add (g, "targets", targets);
  json_object_object_add (w, "num_bits", json_object_new_int (bits));
  json_object_object_add (w, "type", jstr ("int"));
  json_object_object_add (w, "symmetric", json_object_new_boolean (true));
  json_object_object_add (w, "strategy", jstr (group ? "group" : "channel"));
  json_object_object_add (w, "group_size", group ? json_object_new_int64 (group_size) : NULL);
  json_object_object_add (w, "dynamic", json_object_new_boolean (false));
  json_object_object_add (w, "actorder", NULL);
  json_object_object_add (g, "weights", w);
  for (int k = 0; k < 2; k++)
    {
      bool on = k == 0 ? in_act : out_act;
      json_object *a = NULL;

      if (on)
        {
          a = json_object_new_object ();
          json_object_object_add (a, "num_bits", json_object_new_int (8));
          json_object_object_add (a, "type", jstr ("int"));
          json_object_object_add (a, "symmetric", json_object_new_boolean (true));
          json_object_object_add (a, "strategy", jstr ("tensor"));
          json_object_object_add (a, "dynamic", json_object_new_boolean (false));
        }
      json_object_object_add (g, k == 0 ? "input_activations" : "output_activations", a);
    }
  json_object_object_add (g, "format", jstr (format));
  return g;
}

static json_object *
config (const mshape *sh, const bool *is_swa, uint32_t n_vocab)
{
  const uint32_t kv_from = sh->n_layer - sh->n_shared_kv;
  json_object *root = json_object_new_object (), *tc = json_object_new_object ();
  json_object *lt = json_object_new_array (), *rp = json_object_new_object ();
  json_object *full = json_object_new_object (), *swa = json_object_new_object ();
  json_object *q = json_object_new_object (), *groups = json_object_new_object ();
  json_object *t, *mlp4 = json_object_new_array (), *mlp2 = json_object_new_array ();
  char name[160];

  json_object_object_add (root, "architectures", json_object_new_array ());
  json_object_array_add (json_object_object_get (root, "architectures"),
                         jstr ("Gemma4ForConditionalGeneration"));
  json_object_object_add (root, "model_type", jstr ("gemma4"));
  json_object_object_add (tc, "model_type", jstr ("gemma4_text"));
#define I(k, v) json_object_object_add (tc, k, json_object_new_int64 (v))
  I ("hidden_size", sh->n_embd);
  I ("num_hidden_layers", sh->n_layer);
  I ("num_attention_heads", sh->n_head);
  I ("num_key_value_heads", sh->n_head_kv);
  json_object_object_add (tc, "num_global_key_value_heads", NULL);
  I ("head_dim", sh->head_swa);
  I ("global_head_dim", sh->head_full);
  I ("intermediate_size", sh->n_ff);
  json_object_object_add (tc, "use_double_wide_mlp", json_object_new_boolean (sh->double_wide));
  I ("hidden_size_per_layer_input", sh->n_ple);
  I ("vocab_size", n_vocab);
  I ("vocab_size_per_layer_input", n_vocab);
  I ("num_kv_shared_layers", sh->n_shared_kv);
  I ("sliding_window", sh->n_swa);
  I ("max_position_embeddings", sh->ctx);
#undef I
  json_object_object_add (tc, "rms_norm_eps", json_object_new_double (1e-6));
  json_object_object_add (tc, "final_logit_softcapping", json_object_new_double (30.0));
  json_object_object_add (tc, "tie_word_embeddings", json_object_new_boolean (true));
  json_object_object_add (tc, "attention_k_eq_v", json_object_new_boolean (false));
  json_object_object_add (tc, "enable_moe_block", json_object_new_boolean (false));
  for (uint32_t il = 0; il < sh->n_layer; il++)
    json_object_array_add (lt, jstr (is_swa[il] ? "sliding_attention" : "full_attention"));
  json_object_object_add (tc, "layer_types", lt);
  json_object_object_add (full, "rope_theta", json_object_new_double (1000000.0));
  json_object_object_add (full, "rope_type", jstr ("proportional"));
  json_object_object_add (full, "partial_rotary_factor", json_object_new_double (0.25));
  json_object_object_add (swa, "rope_theta", json_object_new_double (10000.0));
  json_object_object_add (swa, "rope_type", jstr ("default"));
  json_object_object_add (rp, "full_attention", full);
  json_object_object_add (rp, "sliding_attention", swa);
  json_object_object_add (tc, "rope_parameters", rp);
  json_object_object_add (root, "text_config", tc);

  json_object_object_add (q, "quant_method", jstr ("compressed-tensors"));
  json_object_object_add (q, "format", jstr ("mixed-precision"));
  json_object_object_add (q, "quantization_status", jstr ("compressed"));
  json_object_object_add (q, "kv_cache_scheme", NULL);
  t = json_object_new_array ();
  json_object_array_add (t, jstr ("re:.*embed_tokens$"));
  json_object_object_add (groups, "group_0", scheme (2, false, 0, false, false, "pack-quantized", t));
  t = json_object_new_array ();
  json_object_array_add (t, jstr ("re:.*embed_tokens_per_layer$"));
  json_object_object_add (groups, "group_1",
                          scheme (sh->ple_bits, true, sh->ple_group, false, false, "pack-quantized", t));
  t = json_object_new_array ();
  json_object_array_add (t, jstr ("re:.*self_attn\\.(q|k|v|o)_proj$"));
  json_object_object_add (groups, "group_2", scheme (4, false, 0, true, true, "pack-quantized", t));
  for (uint32_t il = 0; il < sh->n_layer; il++)
    {
      /* exact module names: the other target form */
      static const char *const p[3] = { "gate_proj", "up_proj", "down_proj" };

      for (int k = 0; k < 3; k++)
        {
          snprintf (name, sizeof name, PREFIX "layers.%u.mlp.%s", il, p[k]);
          json_object_array_add (il < kv_from || !sh->double_wide ? mlp4 : mlp2, jstr (name));
        }
    }
  json_object_object_add (groups, "group_3", scheme (4, false, 0, false, false, "pack-quantized", mlp4));
  if (json_object_array_length (mlp2) > 0)
    json_object_object_add (groups, "group_4", scheme (2, false, 0, false, false, "pack-quantized", mlp2));
  else
    json_object_put (mlp2);
  t = json_object_new_array ();
  json_object_array_add (t, jstr ("re:.*per_layer_input_gate$"));
  json_object_array_add (t, jstr ("re:.*per_layer_projection$"));
  json_object_object_add (groups, "group_5", scheme (8, false, 0, true, false, "int-quantized", t));
  json_object_object_add (q, "config_groups", groups);
  t = json_object_new_array ();
  json_object_array_add (t, jstr (PREFIX "per_layer_model_projection"));
  json_object_array_add (t, jstr ("re:.*vision_tower.*"));
  json_object_array_add (t, jstr ("re:.*audio_tower.*"));
  json_object_object_add (q, "ignore", t);
  json_object_object_add (root, "quantization_config", q);
  return root;
}

static bool
write_tokenizer (const char *dir, const gen_vocab *v, char *err, size_t err_size)
{
  json_object *root = json_object_new_object (), *model = json_object_new_object ();
  json_object *vocab = json_object_new_object (), *merges = json_object_new_array ();
  json_object *added = json_object_new_array (), *cfg = json_object_new_object ();
  bool ok;

  for (uint32_t i = 0; i < v->n_tokens; i++)
    {
      json_object_object_add (vocab, v->tokens[i], json_object_new_int64 (i));
      if (v->types[i] == GEN_TOK_CONTROL || v->types[i] == GEN_TOK_USER_DEFINED)
        {
          json_object *a = json_object_new_object ();

          json_object_object_add (a, "id", json_object_new_int64 (i));
          json_object_object_add (a, "content", jstr (v->tokens[i]));
          json_object_object_add (a, "special", json_object_new_boolean (true));
          json_object_array_add (added, a);
        }
    }
  for (uint32_t i = 0; i < v->n_merges; i++)
    json_object_array_add (merges, jstr (v->merges[i]));
  json_object_object_add (root, "version", jstr ("1.0"));
  json_object_object_add (root, "added_tokens", added);
  json_object_object_add (model, "type", jstr ("BPE"));
  json_object_object_add (model, "vocab", vocab);
  json_object_object_add (model, "merges", merges);
  json_object_object_add (root, "model", model);
  ok = write_json (dir, "tokenizer.json", root, err, err_size);
  json_object_put (root);

  json_object_object_add (cfg, "bos_token", jstr ("<bos>"));
  json_object_object_add (cfg, "eos_token", jstr ("<eos>"));
  json_object_object_add (cfg, "unk_token", jstr ("<unk>"));
  json_object_object_add (cfg, "pad_token", jstr ("<pad>"));
  json_object_object_add (cfg, "add_bos_token", json_object_new_boolean (true));
  json_object_object_add (cfg, "add_eos_token", json_object_new_boolean (false));
  json_object_object_add (cfg, "chat_template", jstr (gen_chat_template));
  ok = ok && write_json (dir, "tokenizer_config.json", cfg, err, err_size);
  json_object_put (cfg);
  return ok;
}

/* The twin's metadata: the keys gen-gemma4.c writes for an F32 file. */
static void
twin_metadata (gw_writer *w, const mshape *sh, const gen_vocab *v, const bool *is_swa,
               const int32_t *n_ff, uint64_t seed, bool blocks)
{
  char key[128], name[160];
#define K(suffix) (snprintf (key, sizeof key, "gemma4.%s", suffix), key)
  gw_kv_str (w, "general.architecture", "gemma4");
  gw_kv_str (w, "general.type", "model");
  snprintf (name, sizeof name, "Gemlet synthetic gemma4 %s mobile %s twin seed %llu", sh->name,
            blocks ? "Q4_0/Q8_0" : "F32", (unsigned long long) seed);
  gw_kv_str (w, "general.name", name);
  gw_kv_u32 (w, K ("block_count"), sh->n_layer);
  gw_kv_u32 (w, K ("context_length"), sh->ctx);
  gw_kv_u32 (w, K ("embedding_length"), sh->n_embd);
  gw_kv_arr (w, K ("feed_forward_length"), 5 /* INT32 */, n_ff, sh->n_layer);
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
  gw_kv_u32 (w, K ("embedding_length_per_layer_input"), sh->n_ple);
  gw_kv_arr (w, K ("attention.sliding_window_pattern"), 7 /* BOOL */, is_swa, sh->n_layer);
  gw_kv_u32 (w, K ("attention.key_length_swa"), sh->head_swa);
  gw_kv_u32 (w, K ("attention.value_length_swa"), sh->head_swa);
  gw_kv_u32 (w, K ("rope.dimension_count"), sh->head_full);
  gw_kv_u32 (w, K ("rope.dimension_count_swa"), sh->head_swa);
  gw_kv_u32 (w, "general.file_type", blocks ? 2 : 0);
  if (blocks)
    gw_kv_u32 (w, "general.quantization_version", 2);
#undef K
  gw_kv_str (w, "tokenizer.ggml.model", "gemma4");
  gw_kv_arr_str (w, "tokenizer.ggml.tokens", (const char *const *) v->tokens, v->n_tokens);
  gw_kv_arr (w, "tokenizer.ggml.scores", 6 /* F32 */, v->scores, v->n_tokens);
  gw_kv_arr (w, "tokenizer.ggml.token_type", 5 /* INT32 */, v->types, v->n_tokens);
  gw_kv_arr_str (w, "tokenizer.ggml.merges", (const char *const *) v->merges, v->n_merges);
  gw_kv_u32 (w, "tokenizer.ggml.bos_token_id", 2);
  gw_kv_u32 (w, "tokenizer.ggml.eos_token_id", 1);
  gw_kv_u32 (w, "tokenizer.ggml.unknown_token_id", 3);
  gw_kv_u32 (w, "tokenizer.ggml.padding_token_id", 0);
  gw_kv_bool (w, "tokenizer.ggml.add_bos_token", true);
  gw_kv_bool (w, "tokenizer.ggml.add_eos_token", false);
  gw_kv_str (w, "tokenizer.chat_template", gen_chat_template);
  gw_kv_bool (w, "tokenizer.ggml.add_space_prefix", false);
}

bool
gen_mobile_write (const gen_options *o, const char *dir, const char *twin_path, char *err,
                  size_t err_size)
{
  const mshape *sh = NULL;
  ctx c = { 0 };
  gen_vocab vocab;
  bool *is_swa = NULL;
  int32_t *n_ff = NULL;
  float *rope_freqs = NULL;
  json_object *cfg = NULL;
  char path[4096];
  bool ok = false;

  for (size_t i = 0; i < sizeof mshapes / sizeof *mshapes; i++)
    if (strcmp (mshapes[i].name, o->shape) == 0)
      sh = &mshapes[i];
  if (sh == NULL)
    {
      snprintf (err, err_size, "--format mobile: unknown shape '%s' (tiny, e2b, e4b)", o->shape);
      return false;
    }
  if (mkdir (dir, 0755) != 0 && errno != EEXIST)
    {
      snprintf (err, err_size, "%s: %s", dir, strerror (errno));
      return false;
    }
  c.block_twin = strcmp (o->type, "blocks") == 0;
  c.sparse = o->sparse;
  if (c.sparse && twin_path != NULL)
    {
      snprintf (err, err_size, "--format mobile: --sparse writes no twin (its codes are holes)");
      return false;
    }
  if (!c.block_twin && strcmp (o->type, "f32") != 0)
    {
      snprintf (err, err_size, "--format mobile: twin type '%s' (f32 or blocks)", o->type);
      return false;
    }
  if (!gen_vocab_small (&vocab, o->n_vocab ? o->n_vocab : strcmp (sh->name, "tiny") == 0 ? 1024 : 262144,
                        err, err_size))
    return false;

  const uint32_t L = sh->n_layer, H = sh->n_embd, P = sh->n_ple, V = vocab.n_tokens;
  const uint32_t kv_from = L - sh->n_shared_kv;
  const float s_h = 1.0f / sqrtf ((float) H), score_std = 2.0f, post_w = 0.35f;
  /* static activation scales: max|x| / 127 as measured on the tiny shape
   * in weight-only mode (normed inputs ≤ 3.6, attention outputs ≤ 5, the
   * residual stream ≤ 7.5, the per-layer projection input ≤ 16.5) */
  const float act_normed = 4.0f / 127.0f, act_resid = 8.0f / 127.0f, act_out = 6.0f / 127.0f;
  const float act_ple = 17.0f / 127.0f;
  char hf[192], gg[96];

  is_swa = calloc (L, sizeof *is_swa);
  n_ff = calloc (L, sizeof *n_ff);
  rope_freqs = malloc (sh->head_full / 2 * sizeof *rope_freqs);
  for (uint32_t il = 0; il < L; il++)
    {
      is_swa[il] = il % sh->full_period != sh->full_period - 1;
      n_ff[il] = (int32_t) (il >= kv_from && sh->double_wide ? 2 * sh->n_ff : sh->n_ff);
    }
  for (uint32_t i = 0; i < sh->head_full / 2; i++)
    rope_freqs[i] = i < sh->head_full / 8 ? 1.0f : 1e30f;

  c.sh = sh;
  c.seed = o->seed;
  c.sw = stw_new ();
  c.gw = gw_new ();
  twin_metadata (c.gw, sh, &vocab, is_swa, n_ff, o->seed, c.block_twin);

#define HF(...) (snprintf (hf, sizeof hf, __VA_ARGS__), hf)
#define GG(...) (snprintf (gg, sizeof gg, __VA_ARGS__), gg)
  quant (&c, PREFIX "embed_tokens", "token_embd.weight", 2, false, V, H, H, 2.0f * s_h, 0, 0);
  quant (&c, PREFIX "embed_tokens_per_layer", "per_layer_token_embd.weight", sh->ple_bits, false, V,
         (int64_t) L * P, sh->ple_group, 1.0f / sqrtf ((float) P), 0, 0);
  floats (&c, PREFIX "per_layer_model_projection.weight", "per_layer_model_proj.weight",
          (int64_t) L * P, H, 0.0f, s_h, false, false);
  floats (&c, PREFIX "per_layer_projection_norm.weight", "per_layer_proj_norm.weight", 1, P, 1.0f,
          0.1f, false, false);
  gw_tensor (c.gw, "rope_freqs.weight", GK_TYPE_F32, 1, (const int64_t[]) { sh->head_full / 2 },
             rope_freqs);
  for (uint32_t il = 0; il < L; il++)
    {
      const uint32_t D = is_swa[il] ? sh->head_swa : sh->head_full;
      const uint32_t qw = sh->n_head * D, kvw = sh->n_head_kv * D, F = (uint32_t) n_ff[il];
      const int mlp_bits = il < kv_from || !sh->double_wide ? 4 : 2;
      const float c_qk = sqrtf (score_std / sqrtf ((float) D));

      floats (&c, HF (PREFIX "layers.%u.input_layernorm.weight", il), GG ("blk.%u.attn_norm.weight", il),
              1, H, 1.0f, 0.1f, false, false);
      quant (&c, HF (PREFIX "layers.%u.self_attn.q_proj", il), GG ("blk.%u.attn_q.weight", il), 4,
             false, qw, H, H, s_h, act_normed, act_out);
      if (il < kv_from)
        {
          quant (&c, HF (PREFIX "layers.%u.self_attn.k_proj", il), GG ("blk.%u.attn_k.weight", il),
                 4, false, kvw, H, H, s_h, act_normed, act_out);
          quant (&c, HF (PREFIX "layers.%u.self_attn.v_proj", il), GG ("blk.%u.attn_v.weight", il),
                 4, false, kvw, H, H, s_h, act_normed, act_out);
          floats (&c, HF (PREFIX "layers.%u.self_attn.k_norm.weight", il),
                  GG ("blk.%u.attn_k_norm.weight", il), 1, D, c_qk, 0.1f * c_qk, false, false);
        }
      quant (&c, HF (PREFIX "layers.%u.self_attn.o_proj", il), GG ("blk.%u.attn_output.weight", il),
             4, false, H, qw, qw, 1.0f / sqrtf ((float) qw), act_normed, act_out);
      floats (&c, HF (PREFIX "layers.%u.self_attn.q_norm.weight", il),
              GG ("blk.%u.attn_q_norm.weight", il), 1, D, c_qk, 0.1f * c_qk, false, false);
      floats (&c, HF (PREFIX "layers.%u.post_attention_layernorm.weight", il),
              GG ("blk.%u.post_attention_norm.weight", il), 1, H, post_w, 0.1f * post_w, false, false);
      floats (&c, HF (PREFIX "layers.%u.pre_feedforward_layernorm.weight", il),
              GG ("blk.%u.ffn_norm.weight", il), 1, H, 1.0f, 0.1f, false, false);
      quant (&c, HF (PREFIX "layers.%u.mlp.gate_proj", il), GG ("blk.%u.ffn_gate.weight", il),
             mlp_bits, false, F, H, H, s_h, 0, 0);
      quant (&c, HF (PREFIX "layers.%u.mlp.up_proj", il), GG ("blk.%u.ffn_up.weight", il), mlp_bits,
             false, F, H, H, s_h, 0, 0);
      quant (&c, HF (PREFIX "layers.%u.mlp.down_proj", il), GG ("blk.%u.ffn_down.weight", il),
             mlp_bits, false, H, F, F, 1.0f / sqrtf ((float) F), 0, 0);
      floats (&c, HF (PREFIX "layers.%u.post_feedforward_layernorm.weight", il),
              GG ("blk.%u.post_ffw_norm.weight", il), 1, H, post_w, 0.1f * post_w, false, false);
      quant (&c, HF (PREFIX "layers.%u.per_layer_input_gate", il), GG ("blk.%u.inp_gate.weight", il),
             8, true, P, H, H, s_h, act_resid, 0);
      quant (&c, HF (PREFIX "layers.%u.per_layer_projection", il), GG ("blk.%u.proj.weight", il), 8,
             true, H, P, P, 1.0f / sqrtf ((float) P), act_ple, 0);
      floats (&c, HF (PREFIX "layers.%u.post_per_layer_input_norm.weight", il),
              GG ("blk.%u.post_norm.weight", il), 1, H, post_w, 0.1f * post_w, false, false);
      floats (&c, HF (PREFIX "layers.%u.layer_scalar", il), GG ("blk.%u.layer_output_scale.weight", il),
              1, 1, 0.95f, 0.04f, false, true);
    }
  floats (&c, PREFIX "norm.weight", "output_norm.weight", 1, H, 1.0f, 0.1f, true, false);
#undef HF
#undef GG

  if (c.oom || c.inexact)
    {
      snprintf (err, err_size, c.oom ? "out of memory" : "a scale is not exact in fp16");
      goto out;
    }
  snprintf (path, sizeof path, "%s/model.safetensors", dir);
  if (!stw_write (c.sw, path))
    {
      snprintf (err, err_size, "%s: write failed", path);
      goto out;
    }
  cfg = config (sh, is_swa, V);
  if (!write_json (dir, "config.json", cfg, err, err_size)
      || !write_tokenizer (dir, &vocab, err, err_size))
    goto out;
  if (twin_path != NULL && !gw_write (c.gw, twin_path, err, err_size))
    goto out;
  fprintf (stderr, "gemlet-gen-model: wrote mobile checkpoint %s%s%s (%s%s, %u tokens)\n", dir,
           twin_path ? (c.block_twin ? " and Q4_0/Q8_0 twin " : " and F32 twin ") : "",
           twin_path ? twin_path : "", sh->name, c.sparse ? ", sparse" : "", V);
  ok = true;

out:
  if (cfg != NULL)
    json_object_put (cfg);
  stw_free (c.sw);
  gw_free (c.gw);
  for (size_t i = 0; i < c.n_keep; i++)
    free (c.keep[i]);
  free (c.keep);
  free (is_swa);
  free (n_ff);
  free (rope_freqs);
  gen_vocab_clear (&vocab);
  return ok;
}
