/* test-mobile-checkpoint.c — a tiny synthetic Gemma 4 "-qat-mobile-ct"
 * checkpoint (int2/int4/int8 codes packed as engine/MOBILE-FORMAT.md says,
 * per-row and per-group scales, static activation scales), written here and
 * read back through mobile_checkpoint_open. Codes and scales are generated
 * in the test and every unpacked value is compared with code × scale
 * computed here. Then variants the loader must tolerate, and broken
 * folders it must refuse with a useful message.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "check.h"
#include "gemlet-kernels.h"
#include "mobile-checkpoint.h"
#include "st-writer.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int check_failures;

/* Model shape: 4 layers (SWA, full, SWA, full), the last 2 share K/V and
 * (E2B-style) have a double-wide MLP. */
enum {
  N_LAYER = 4, H = 32, N_HEAD = 2, D_SWA = 8, D_FULL = 16, FF = 20, P = 8, VOCAB = 16,
};

typedef enum { SC_BF16, SC_F16, SC_F32 } scale_type;

typedef struct {
  char name[128];
  int bits;
  int64_t rows, cols, group_size;
  int8_t *codes;
  float *scales;       /* rows × n_groups, the exact stored values */
} expected;

static expected expect[64];
static int n_expect;

typedef struct {
  bool sharded;
  bool text_only;          /* model_type gemma4_text, prefix "model." */
  const char *quant_method;
  const char *model_type;
  bool bad_weight_shape;
  bool nonzero_zero_point;
  bool zero_zero_point;
  bool drop_q_norm;
  bool double_target;
  bool negative_act_scale;
  bool no_tokenizer;
  bool index_missing_shard;
  bool padded_words;       /* vLLM's ceil(cols/32)*bits words per row */
} variant;

static uint32_t rng = 12345;

static uint32_t
next_rand (void)
{
  rng = rng * 1664525u + 1013904223u;
  return rng >> 8;
}

static const char *prefix;

/* Adds M.weight_packed / M.weight, weight_shape, weight_scale and (if act)
 * input/output scales for a quantised module, and records the expectation. */
static void
add_quant (stw_writer *w, const variant *v, const char *module, int bits, bool int_quantized,
           int64_t rows, int64_t cols, int64_t group_size, scale_type st, bool act)
{
  expected *e = &expect[n_expect++];
  const int64_t n_groups = cols / group_size;
  const int lo = -(1 << (bits - 1)), span = 1 << bits;
  char name[192];
  int64_t shape[2];

  snprintf (e->name, sizeof e->name, "%s", module);
  e->bits = bits;
  e->rows = rows;
  e->cols = cols;
  e->group_size = group_size;
  e->codes = malloc ((size_t) (rows * cols));
  e->scales = malloc ((size_t) (rows * n_groups) * sizeof *e->scales);
  for (int64_t i = 0; i < rows * cols; i++)
    e->codes[i] = (int8_t) (lo + (int) (next_rand () % (uint32_t) span));
  for (int64_t i = 0; i < rows * n_groups; i++)
    e->scales[i] = (float) (1 + next_rand () % 8) / 64.0f;

  if (int_quantized)
    {
      snprintf (name, sizeof name, "%s.weight", module);
      stw_tensor (w, name, "I8", 2, (const int64_t[]) { rows, cols }, e->codes, (size_t) (rows * cols));
    }
  else
    {
      int64_t words = stw_packed_words (cols, bits);
      int64_t file_words = v->padded_words ? (cols + 31) / 32 * bits : words;
      uint8_t *packed = calloc ((size_t) (rows * file_words * 4), 1);
      uint8_t *tmp = malloc ((size_t) (rows * words * 4));
      int64_t ws[2] = { rows, cols };

      stw_pack_codes (e->codes, rows, cols, bits, tmp);
      for (int64_t r = 0; r < rows; r++)
        memcpy (packed + r * file_words * 4, tmp + r * words * 4, (size_t) words * 4);
      if (v->bad_weight_shape && strstr (module, "layers.0.mlp.up_proj"))
        ws[1] = cols + 1;
      snprintf (name, sizeof name, "%s.weight_packed", module);
      stw_tensor (w, name, "I32", 2, (const int64_t[]) { rows, file_words }, packed,
                  (size_t) (rows * file_words * 4));
      snprintf (name, sizeof name, "%s.weight_shape", module);
      stw_tensor (w, name, "I64", 1, (const int64_t[]) { 2 }, ws, sizeof ws);
      free (packed);
      free (tmp);
    }

  shape[0] = rows;
  shape[1] = n_groups;
  snprintf (name, sizeof name, "%s.weight_scale", module);
  if (st == SC_F32)
    stw_tensor (w, name, "F32", 2, shape, e->scales, (size_t) (rows * n_groups) * 4);
  else
    {
      uint16_t *h = malloc ((size_t) (rows * n_groups) * 2);

      for (int64_t i = 0; i < rows * n_groups; i++)
        h[i] = st == SC_BF16 ? stw_bf16 (e->scales[i]) : gk_fp32_to_fp16 (e->scales[i]);
      stw_tensor (w, name, st == SC_BF16 ? "BF16" : "F16", 2, shape, h, (size_t) (rows * n_groups) * 2);
      free (h);
    }
  if ((v->nonzero_zero_point || v->zero_zero_point) && strstr (module, "layers.1.self_attn.o_proj"))
    {
      int8_t *zp = calloc ((size_t) rows, 1);

      zp[rows - 1] = v->nonzero_zero_point ? 1 : 0;
      snprintf (name, sizeof name, "%s.weight_zero_point", module);
      stw_tensor (w, name, "I8", 2, shape, zp, (size_t) rows);
      free (zp);
    }
  if (act)
    {
      float in = v->negative_act_scale ? -0.5f : 0.03125f;
      uint16_t out = stw_bf16 (0.0625f);

      /* Both shapes seen in the sources: [] F32 and [1] BF16. */
      snprintf (name, sizeof name, "%s.input_scale", module);
      stw_tensor (w, name, "F32", 0, NULL, &in, 4);
      snprintf (name, sizeof name, "%s.output_scale", module);
      stw_tensor (w, name, "BF16", 1, (const int64_t[]) { 1 }, &out, 2);
    }
}

static void
add_vector (stw_writer *w, const char *name, int64_t n, float base)
{
  float *x = malloc ((size_t) n * sizeof *x);

  for (int64_t i = 0; i < n; i++)
    x[i] = base + (float) i / 8.0f;
  stw_tensor (w, name, "F32", 1, &n, x, (size_t) n * 4);
  free (x);
}

static const char *
config_json (const variant *v)
{
  static char buf[8192];
  const char *text =
    "\"hidden_size\": 32, \"num_hidden_layers\": 4, \"num_attention_heads\": 2,"
    " \"num_key_value_heads\": 1, \"head_dim\": 8, \"global_head_dim\": 16,"
    " \"intermediate_size\": 20, \"use_double_wide_mlp\": true,"
    " \"hidden_size_per_layer_input\": 8, \"vocab_size\": 16, \"vocab_size_per_layer_input\": 16,"
    " \"num_kv_shared_layers\": 2, \"sliding_window\": 4, \"max_position_embeddings\": 64,"
    " \"rms_norm_eps\": 1e-06, \"final_logit_softcapping\": 30.0, \"tie_word_embeddings\": true,"
    " \"num_global_key_value_heads\": null, \"attention_k_eq_v\": false,"
    " \"layer_types\": [\"sliding_attention\", \"full_attention\", \"sliding_attention\", \"full_attention\"],"
    " \"rope_parameters\": {\"full_attention\": {\"rope_theta\": 1000000.0, \"rope_type\": \"proportional\","
    " \"partial_rotary_factor\": 0.25}, \"sliding_attention\": {\"rope_theta\": 10000.0, \"rope_type\": \"default\"}}";
  const char *act =
    "\"input_activations\": {\"num_bits\": 8, \"type\": \"int\", \"symmetric\": true, \"strategy\": \"tensor\","
    " \"dynamic\": false}, \"output_activations\": {\"num_bits\": 8, \"type\": \"int\", \"symmetric\": true,"
    " \"strategy\": \"tensor\", \"dynamic\": false}";
  char quant[4096];

  snprintf (quant, sizeof quant,
            "\"quantization_config\": {\"quant_method\": \"%s\", \"format\": \"mixed-precision\","
            " \"quantization_status\": \"compressed\", \"kv_cache_scheme\": null, \"sparsity_config\": {},"
            " \"config_groups\": {"
            "\"group_0\": {\"targets\": [\"re:.*embed_tokens$\", \"re:.*lm_head$\"%s],"
            " \"weights\": {\"num_bits\": 2, \"type\": \"int\", \"symmetric\": true, \"strategy\": \"channel\","
            " \"group_size\": null, \"dynamic\": false, \"actorder\": null, \"block_structure\": null},"
            " \"input_activations\": null, \"output_activations\": null, \"format\": \"pack-quantized\"},"
            "\"group_1\": {\"targets\": [\"re:.*embed_tokens_per_layer$\"],"
            " \"weights\": {\"num_bits\": 4, \"type\": \"int\", \"symmetric\": true, \"strategy\": \"group\","
            " \"group_size\": 8}, \"format\": \"pack-quantized\"},"
            "\"group_2\": {\"targets\": [\"re:.*self_attn\\\\.(q|k|v|o)_proj$\","
            " \"re:.*layers\\\\.[01]\\\\.mlp\\\\.(gate|up|down)_proj$\"],"
            " \"weights\": {\"num_bits\": 4, \"type\": \"int\", \"symmetric\": true, \"strategy\": \"channel\"},"
            " %s, \"format\": \"pack-quantized\"},"
            "\"group_3\": {\"targets\": [\"re:.*layers\\\\.[2-9]\\\\d*\\\\.mlp\\\\.\\\\w+_proj$\"],"
            " \"weights\": {\"num_bits\": 2, \"type\": \"int\", \"symmetric\": true, \"strategy\": \"channel\"},"
            " %s, \"format\": \"pack-quantized\"},"
            "\"group_4\": {\"targets\": [\"re:.*per_layer_input_gate$\", \"re:.*per_layer_projection$\"],"
            " \"weights\": {\"num_bits\": 8, \"type\": \"int\", \"symmetric\": true, \"strategy\": \"channel\"},"
            " %s, \"format\": \"int-quantized\"}},"
            " \"ignore\": [\"%sper_layer_model_projection\", \"re:.*vision_tower.*\", \"model.audio_tower\"]}",
            v->quant_method ? v->quant_method : "compressed-tensors",
            v->double_target ? ", \"re:.*layers\\\\.0\\\\.self_attn\\\\.q_proj$\"" : "", act, act, act,
            prefix);
  if (v->text_only)
    snprintf (buf, sizeof buf, "{\"model_type\": \"%s\", %s, %s}",
              v->model_type ? v->model_type : "gemma4_text", text, quant);
  else
    snprintf (buf, sizeof buf, "{\"architectures\": [\"Gemma4ForConditionalGeneration\"],"
              " \"model_type\": \"%s\", \"text_config\": {\"model_type\": \"gemma4_text\", %s}, %s}",
              v->model_type ? v->model_type : "gemma4", text, quant);
  return buf;
}

static void
write_text (const char *dir, const char *name, const char *text)
{
  char path[512];

  snprintf (path, sizeof path, "%s/%s", dir, name);
  CHECK (stw_write_buf (path, text, strlen (text)));
}

static void
clear_expect (void)
{
  for (int i = 0; i < n_expect; i++)
    {
      free (expect[i].codes);
      free (expect[i].scales);
    }
  n_expect = 0;
}

/* Builds the checkpoint in dir (two writers when sharded). */
static void
build (const char *dir, const variant *v)
{
  stw_writer *w[2] = { stw_new (), stw_new () };
  char name[192], mod[160], path[512];

  clear_expect ();
  rng = 12345;
  prefix = v->text_only ? "model." : "model.language_model.";

#define MOD(...) (snprintf (mod, sizeof mod, __VA_ARGS__), mod)
#define NAME(...) (snprintf (name, sizeof name, __VA_ARGS__), name)
  add_quant (w[0], v, MOD ("%sembed_tokens", prefix), 2, false, VOCAB, H, H, SC_BF16, false);
  add_quant (w[0], v, "lm_head", 2, false, VOCAB, H, H, SC_BF16, false);
  add_quant (w[0], v, MOD ("%sembed_tokens_per_layer", prefix), 4, false, VOCAB, N_LAYER * P, P,
             SC_F32, false);
  {
    uint16_t proj[N_LAYER * P * H];

    for (int i = 0; i < N_LAYER * P * H; i++)
      proj[i] = stw_bf16 ((float) (i % 7) - 3.0f);
    stw_tensor (w[0], NAME ("%sper_layer_model_projection.weight", prefix), "BF16", 2,
                (const int64_t[]) { N_LAYER * P, H }, proj, sizeof proj);
  }
  add_vector (w[0], NAME ("%sper_layer_projection_norm.weight", prefix), P, 1.0f);
  add_vector (w[0], NAME ("%snorm.weight", prefix), H, 0.5f);
  /* Towers the text loader must skip. */
  add_vector (w[0], "model.vision_tower.encoder.weight", 4, 0.0f);

  for (int il = 0; il < N_LAYER; il++)
    {
      stw_writer *lw = w[v->sharded && il >= 2 ? 1 : 0];
      const int D = il % 2 ? D_FULL : D_SWA, F = il >= 2 ? 2 * FF : FF;
      const bool shared = il >= 2;
      const int mlp_bits = il >= 2 ? 2 : 4;
      const char *mlp[3] = { "gate_proj", "up_proj", "down_proj" };

      add_vector (lw, NAME ("%slayers.%d.input_layernorm.weight", prefix, il), H, 1.0f);
      add_quant (lw, v, MOD ("%slayers.%d.self_attn.q_proj", prefix, il), 4, false, N_HEAD * D, H, H,
                 SC_BF16, true);
      if (!shared)
        {
          add_quant (lw, v, MOD ("%slayers.%d.self_attn.k_proj", prefix, il), 4, false, D, H, H,
                     SC_BF16, true);
          add_quant (lw, v, MOD ("%slayers.%d.self_attn.v_proj", prefix, il), 4, false, D, H, H,
                     SC_BF16, true);
          add_vector (lw, NAME ("%slayers.%d.self_attn.k_norm.weight", prefix, il), D, 1.0f);
        }
      add_quant (lw, v, MOD ("%slayers.%d.self_attn.o_proj", prefix, il), 4, false, H, N_HEAD * D,
                 N_HEAD * D, SC_BF16, true);
      if (!(v->drop_q_norm && il == 1))
        add_vector (lw, NAME ("%slayers.%d.self_attn.q_norm.weight", prefix, il), D, 1.0f);
      add_vector (lw, NAME ("%slayers.%d.post_attention_layernorm.weight", prefix, il), H, 1.0f);
      add_vector (lw, NAME ("%slayers.%d.pre_feedforward_layernorm.weight", prefix, il), H, 1.0f);
      add_vector (lw, NAME ("%slayers.%d.post_feedforward_layernorm.weight", prefix, il), H, 1.0f);
      for (int k = 0; k < 3; k++)
        add_quant (lw, v, MOD ("%slayers.%d.mlp.%s", prefix, il, mlp[k]), mlp_bits, false,
                   k == 2 ? H : F, k == 2 ? F : H, k == 2 ? F : H, SC_BF16, true);
      add_quant (lw, v, MOD ("%slayers.%d.per_layer_input_gate", prefix, il), 8, true, P, H, H,
                 SC_F16, true);
      add_quant (lw, v, MOD ("%slayers.%d.per_layer_projection", prefix, il), 8, true, H, P, P,
                 SC_BF16, true);
      add_vector (lw, NAME ("%slayers.%d.post_per_layer_input_norm.weight", prefix, il), H, 1.0f);
      add_vector (lw, NAME ("%slayers.%d.layer_scalar", prefix, il), 1, 0.25f);
    }
#undef MOD
#undef NAME

  write_text (dir, "config.json", config_json (v));
  if (!v->no_tokenizer)
    write_text (dir, "tokenizer.json", "{\"model\": {\"type\": \"BPE\"}}");
  if (!v->sharded)
    {
      snprintf (path, sizeof path, "%s/model.safetensors", dir);
      CHECK (stw_write (w[0], path));
    }
  else
    {
      /* The index only needs to name each tensor's file; list one per shard
       * plus everything the test checks by file. */
      static const char *const shard[2] = { "model-00001-of-00002.safetensors",
                                            "model-00002-of-00002.safetensors" };
      char index[1024];

      for (int s = 0; s < 2; s++)
        if (!(v->index_missing_shard && s == 1))
          {
            snprintf (path, sizeof path, "%s/%s", dir, shard[s]);
            CHECK (stw_write (w[s], path));
          }
      snprintf (index, sizeof index,
                "{\"metadata\": {\"total_size\": 1}, \"weight_map\": {"
                "\"lm_head.weight_packed\": \"%s\", \"%slayers.3.layer_scalar\": \"%s\"}}",
                shard[0], prefix, shard[1]);
      write_text (dir, "model.safetensors.index.json", index);
    }
  stw_free (w[0]);
  stw_free (w[1]);
}

static void
rm_folder (const char *dir)
{
  DIR *d = opendir (dir);
  struct dirent *de;
  char path[512];

  while (d != NULL && (de = readdir (d)) != NULL)
    if (de->d_name[0] != '.')
      {
        snprintf (path, sizeof path, "%s/%s", dir, de->d_name);
        unlink (path);
      }
  if (d != NULL)
    closedir (d);
}

static const mobile_tensor *
by_name (const mobile_checkpoint *ck, const char *name)
{
  for (int g = 0; g < MOBILE_G_COUNT; g++)
    {
      const mobile_tensor *t = mobile_checkpoint_global (ck, (mobile_global) g);

      if (t != NULL && strcmp (t->name, name) == 0)
        return t;
    }
  for (uint32_t il = 0; il < mobile_checkpoint_hparams (ck)->n_layer; il++)
    for (int k = 0; k < MOBILE_L_COUNT; k++)
      {
        const mobile_tensor *t = mobile_checkpoint_layer (ck, il, (mobile_layer_tensor) k);

        if (t != NULL && strcmp (t->name, name) == 0)
          return t;
      }
  return NULL;
}

/* Every expected code and value, element by element. */
static void
check_values (const mobile_checkpoint *ck)
{
  for (int i = 0; i < n_expect; i++)
    {
      const expected *e = &expect[i];
      const mobile_tensor *t = by_name (ck, e->name);
      int64_t bad = 0;
      float *deq;

      CHECK (t != NULL);
      if (t == NULL)
        {
          fprintf (stderr, "module %s not found\n", e->name);
          continue;
        }
      CHECK_EQ_U (t->bits, e->bits);
      CHECK_EQ_U (t->rows, e->rows);
      CHECK_EQ_U (t->cols, e->cols);
      CHECK_EQ_U (t->group_size, e->group_size);
      CHECK_EQ_U (t->n_groups, e->cols / e->group_size);
      CHECK (t->format == (e->bits == 2 ? MOBILE_FMT_INT2 : e->bits == 4 ? MOBILE_FMT_INT4
                                                                         : MOBILE_FMT_INT8));
      for (int64_t r = 0; r < e->rows; r++)
        for (int64_t c = 0; c < e->cols; c++)
          {
            int code = e->codes[r * e->cols + c];
            float want = (float) code * e->scales[r * (e->cols / e->group_size) + c / e->group_size];

            if (mobile_tensor_code (t, r, c) != code || mobile_tensor_value (t, r, c) != want)
              bad++;
          }
      /* The same through the kernels' row view. */
      deq = malloc ((size_t) e->cols * sizeof *deq);
      for (int64_t r = 0; r < e->rows; r++)
        {
          gk_cw_row row;

          mobile_tensor_cw_row (t, r, &row);
          gk_cw_dequant_row (&row, deq, e->cols);
          for (int64_t c = 0; c < e->cols; c++)
            if (deq[c] != (float) e->codes[r * e->cols + c]
                            * e->scales[r * (e->cols / e->group_size) + c / e->group_size])
              bad++;
        }
      free (deq);
      if (bad)
        {
          fprintf (stderr, "%s: %lld wrong values\n", e->name, (long long) bad);
          check_failures++;
        }
    }
}

static void
check_model (const mobile_checkpoint *ck, const char *pfx)
{
  const gm_hparams *hp = mobile_checkpoint_hparams (ck);
  const mobile_tensor *t;
  char name[128];

  CHECK_EQ_U (hp->n_layer, 4);
  CHECK_EQ_U (hp->n_embd, H);
  CHECK_EQ_U (hp->n_head, N_HEAD);
  CHECK_EQ_U (hp->n_vocab, VOCAB);
  CHECK_EQ_U (hp->n_embd_per_layer, P);
  CHECK_EQ_U (hp->n_layer_kv_from_start, 2);
  CHECK_EQ_U (hp->head_dim_swa, D_SWA);
  CHECK_EQ_U (hp->head_dim_full, D_FULL);
  CHECK (hp->is_swa[0] && !hp->is_swa[1] && hp->is_swa[2] && !hp->is_swa[3]);
  CHECK_EQ_U (hp->n_ff[0], FF);
  CHECK_EQ_U (hp->n_ff[1], FF);
  CHECK_EQ_U (hp->n_ff[2], 2 * FF);
  CHECK_EQ_U (hp->n_ff[3], 2 * FF);
  CHECK_EQ_U (hp->kv_source[2], 0);
  CHECK_EQ_U (hp->kv_source[3], 1);
  CHECK_EQ_U (hp->n_head_kv[3], 1);
  CHECK (hp->rope_base_full == 1e6f && hp->rope_base_swa == 1e4f);
  CHECK (hp->final_softcap == 30.0f && hp->n_swa == 4 && hp->n_ctx_train == 64);
  CHECK (mobile_checkpoint_extra (ck)->rope_partial_factor_full == 0.25f);
  CHECK (mobile_checkpoint_extra (ck)->quantized);

  /* Shared layers have no K/V; everything else is there. */
  CHECK (mobile_checkpoint_layer (ck, 2, MOBILE_L_K) == NULL);
  CHECK (mobile_checkpoint_layer (ck, 3, MOBILE_L_V) == NULL);
  CHECK (mobile_checkpoint_layer (ck, 3, MOBILE_L_K_NORM) == NULL);
  CHECK (mobile_checkpoint_layer (ck, 1, MOBILE_L_K) != NULL);
  CHECK (mobile_checkpoint_global (ck, MOBILE_G_LM_HEAD) != NULL);

  /* Static activation scales: [] F32 and [1] BF16. */
  t = mobile_checkpoint_layer (ck, 0, MOBILE_L_Q);
  CHECK (t != NULL && t->input_scale == 0.03125f && t->output_scale == 0.0625f);
  CHECK (t != NULL && t->offset_binary && t->scale_format == MOBILE_FMT_BF16);
  t = mobile_checkpoint_layer (ck, 2, MOBILE_L_DOWN);
  CHECK (t != NULL && t->format == MOBILE_FMT_INT2 && t->cols == 2 * FF && t->input_scale > 0);
  t = mobile_checkpoint_layer (ck, 1, MOBILE_L_INP_GATE);
  CHECK (t != NULL && !t->offset_binary && t->scale_format == MOBILE_FMT_F16 && t->row_bytes == H);
  t = mobile_checkpoint_global (ck, MOBILE_G_EMBED);
  CHECK (t != NULL && t->input_scale == 0 && t->output_scale == 0);
  t = mobile_checkpoint_global (ck, MOBILE_G_EMBED_PER_LAYER);
  CHECK (t != NULL && t->format == MOBILE_FMT_INT4 && t->n_groups == N_LAYER && t->group_size == P);

  /* Float tensors. */
  t = mobile_checkpoint_global (ck, MOBILE_G_PER_LAYER_PROJ);
  CHECK (t != NULL && t->format == MOBILE_FMT_BF16 && t->rows == N_LAYER * P && t->cols == H);
  CHECK (t != NULL && mobile_tensor_value (t, 0, 1) == -2.0f);
  t = mobile_checkpoint_global (ck, MOBILE_G_OUTPUT_NORM);
  CHECK (t != NULL && t->format == MOBILE_FMT_F32 && t->cols == H && mobile_tensor_value (t, 0, 4) == 1.0f);
  t = mobile_checkpoint_layer (ck, 3, MOBILE_L_LAYER_SCALAR);
  CHECK (t != NULL && t->cols == 1 && mobile_tensor_value (t, 0, 0) == 0.25f);
  snprintf (name, sizeof name, "%slayers.1.self_attn.q_norm.weight", pfx);
  t = mobile_checkpoint_layer (ck, 1, MOBILE_L_Q_NORM);
  CHECK (t != NULL && strcmp (t->name, name) == 0 && t->cols == D_FULL);

  check_values (ck);
}

static void
expect_ok (const char *dir, const variant *v, const char *open_path, int line)
{
  char err[512] = "";
  mobile_checkpoint *ck;

  build (dir, v);
  ck = mobile_checkpoint_open (open_path ? open_path : dir, err, sizeof err);
  if (ck == NULL)
    {
      fprintf (stderr, "line %d: open failed: %s\n", line, err);
      check_failures++;
    }
  else
    {
      check_model (ck, v->text_only ? "model." : "model.language_model.");
      mobile_checkpoint_close (ck);
    }
  rm_folder (dir);
}

static void
expect_fail (const char *dir, const variant *v, const char *needle, int line)
{
  char err[512] = "";
  mobile_checkpoint *ck;

  build (dir, v);
  ck = mobile_checkpoint_open (dir, err, sizeof err);
  if (ck != NULL)
    {
      fprintf (stderr, "line %d: broken checkpoint accepted\n", line);
      check_failures++;
      mobile_checkpoint_close (ck);
    }
  else if (strstr (err, needle) == NULL)
    {
      fprintf (stderr, "line %d: message \"%s\" lacks \"%s\"\n", line, err, needle);
      check_failures++;
    }
  rm_folder (dir);
}

/* The published check vectors (compressed-tensors layout), through the
 * test packer and the loader's decoder. */
static void
test_check_vectors (void)
{
  static const int8_t int2[16] = { -2, -1, 0, 1, -2, -1, 0, 1, -2, -1, 0, 1, -2, -1, 0, 1 };
  static const int8_t int4[16] = { -8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7 };
  static const int8_t int2_rows[10] = { -2, -1, 0, 1, -2, 1, 0, -1, -2, 1 };
  uint8_t out[16];
  uint32_t w0, w1;
  mobile_tensor t = { 0 };

  stw_pack_codes (int2, 1, 16, 2, out);
  memcpy (&w0, out, 4);
  CHECK_EQ_U (w0, 0xE4E4E4E4u);
  stw_pack_codes (int4, 2, 8, 4, out);
  memcpy (&w0, out, 4);
  memcpy (&w1, out + 4, 4);
  CHECK_EQ_U (w0, 0x76543210u);
  CHECK_EQ_U (w1, 0xFEDCBA98u);
  stw_pack_codes (int2_rows, 2, 5, 2, out);
  memcpy (&w0, out, 4);
  memcpy (&w1, out + 4, 4);
  CHECK_EQ_U (w0, 0x000000E4u);
  CHECK_EQ_U (w1, 0x0000031Bu);

  t.format = MOBILE_FMT_INT2;
  t.bits = 2;
  t.offset_binary = true;
  t.data = out;
  t.row_bytes = 4;
  t.rows = 2;
  t.cols = 5;
  for (int r = 0; r < 2; r++)
    for (int c = 0; c < 5; c++)
      CHECK (mobile_tensor_code (&t, r, c) == int2_rows[r * 5 + c]);
}

int
main (void)
{
  char dir[] = "/tmp/gemlet-mobile-XXXXXX";
  char path[600];
  char err[512];
  variant v;

  test_check_vectors ();
  if (mkdtemp (dir) == NULL)
    {
      perror ("mkdtemp");
      return 1;
    }

  /* Valid: one file; shards + index; vLLM-padded rows; text-only layout;
   * opened through a file in the folder; an all-zero zero point. */
  expect_ok (dir, &(variant) { 0 }, NULL, __LINE__);
  expect_ok (dir, &(variant) { .sharded = true }, NULL, __LINE__);
  expect_ok (dir, &(variant) { .padded_words = true }, NULL, __LINE__);
  expect_ok (dir, &(variant) { .text_only = true }, NULL, __LINE__);
  expect_ok (dir, &(variant) { .zero_zero_point = true }, NULL, __LINE__);
  snprintf (path, sizeof path, "%s/config.json", dir);
  expect_ok (dir, &(variant) { 0 }, path, __LINE__);

  /* A lone weight file: the message names what else the folder needs. */
  v = (variant) { 0 };
  build (dir, &v);
  snprintf (path, sizeof path, "%s/config.json", dir);
  unlink (path);
  snprintf (path, sizeof path, "%s/tokenizer.json", dir);
  unlink (path);
  snprintf (path, sizeof path, "%s/model.safetensors", dir);
  CHECK (mobile_checkpoint_open (path, err, sizeof err) == NULL);
  CHECK_MSG (err, "model.safetensors is part of a Gemma 4 mobile checkpoint; also needed in the "
                  "same folder: config.json, tokenizer.json");
  CHECK (mobile_checkpoint_is_candidate (path));
  CHECK (mobile_checkpoint_open (dir, err, sizeof err) == NULL);
  CHECK_MSG (err, "missing: config.json, tokenizer.json");
  rm_folder (dir);

  expect_fail (dir, &(variant) { .no_tokenizer = true }, "missing: tokenizer.json", __LINE__);
  expect_fail (dir, &(variant) { .quant_method = "gemma" }, "-qat-mobile-transformers", __LINE__);
  expect_fail (dir, &(variant) { .model_type = "llama" }, "model_type 'llama' is not a Gemma 4 model",
               __LINE__);
  expect_fail (dir, &(variant) { .bad_weight_shape = true },
               "module 'model.language_model.layers.0.mlp.up_proj': weight_shape [20, 33], "
               "expected [20, 32]", __LINE__);
  expect_fail (dir, &(variant) { .nonzero_zero_point = true }, "asymmetric", __LINE__);
  expect_fail (dir, &(variant) { .drop_q_norm = true },
               "tensor 'model.language_model.layers.1.self_attn.q_norm.weight' is missing", __LINE__);
  expect_fail (dir, &(variant) { .double_target = true },
               "module 'model.language_model.layers.0.self_attn.q_proj' is targeted by both group_0 "
               "and group_2", __LINE__);
  expect_fail (dir, &(variant) { .negative_act_scale = true }, "not a finite non-negative", __LINE__);
  expect_fail (dir, &(variant) { .sharded = true, .index_missing_shard = true },
               "model-00002-of-00002.safetensors, which is not in the folder", __LINE__);

  clear_expect ();
  rmdir (dir);
  return CHECK_DONE ();
}
