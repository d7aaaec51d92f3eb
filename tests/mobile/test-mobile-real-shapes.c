/* test-mobile-real-shapes.c — full-size E2B and E4B "-qat-mobile-ct"
 * layouts (real dimensions and the published bit map, engine/MOBILE-FORMAT.md
 * §6), written as sparse files: the header is real, the data a hole. Checks
 * that the loader accepts them and derives the engine's hyper-parameters
 * (double-wide MLP, KV sharing, head sizes) as shared/docs/gemma4-architecture.md
 * states them.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "check.h"
#include "mobile-checkpoint.h"
#include "st-writer.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int check_failures;

typedef struct {
  const char *label;
  int n_layer, hidden, n_kv, ff, n_shared, full_every;
  bool double_wide;
  int ple_bits;      /* PLE table: E2B int4, E4B int2, groups of 256 */
  int mlp2_from;     /* first layer with int2 MLP; n_layer = none */
} model;

static const model e2b = { "E2B", 35, 1536, 1, 6144, 20, 5, true, 4, 15 };
static const model e4b = { "E4B", 42, 2560, 2, 10240, 18, 6, false, 2, 42 };

enum { VOCAB = 262144, P = 256, N_HEAD = 8, D_SWA = 256, D_FULL = 512 };

static const char *const pfx = "model.language_model.";

static bool
is_full (const model *m, int il)
{
  return il % m->full_every == m->full_every - 1;
}

static void
quant (stw_writer *w, const char *module, int bits, bool int8_plain, int64_t rows, int64_t cols,
       int64_t group, bool act)
{
  char name[256];
  const int64_t ws[2] = { rows, cols };

  if (int8_plain)
    {
      snprintf (name, sizeof name, "%s.weight", module);
      stw_tensor_zero (w, name, "I8", 2, (const int64_t[]) { rows, cols }, (uint64_t) (rows * cols));
    }
  else
    {
      int64_t words = stw_packed_words (cols, bits);

      snprintf (name, sizeof name, "%s.weight_packed", module);
      stw_tensor_zero (w, name, "I32", 2, (const int64_t[]) { rows, words }, (uint64_t) (rows * words * 4));
      snprintf (name, sizeof name, "%s.weight_shape", module);
      stw_tensor (w, name, "I64", 1, (const int64_t[]) { 2 }, ws, sizeof ws);
    }
  snprintf (name, sizeof name, "%s.weight_scale", module);
  stw_tensor_zero (w, name, "BF16", 2, (const int64_t[]) { rows, cols / group },
                   (uint64_t) (rows * (cols / group) * 2));
  if (act)
    {
      const uint16_t one = 0x3f80;   /* BF16 1.0 */

      snprintf (name, sizeof name, "%s.input_scale", module);
      stw_tensor (w, name, "BF16", 1, (const int64_t[]) { 1 }, &one, 2);
      snprintf (name, sizeof name, "%s.output_scale", module);
      stw_tensor (w, name, "BF16", 1, (const int64_t[]) { 1 }, &one, 2);
    }
}

static void
vec (stw_writer *w, const char *name, int64_t n)
{
  stw_tensor_zero (w, name, "BF16", 1, &n, (uint64_t) n * 2);
}

static void
write_model (const char *dir, const model *m)
{
  stw_writer *w = stw_new ();
  char path[512], mod[256], cfg[16384], types[4096] = "";
  const int L = m->n_layer;
  FILE *fp;

#define MOD(...) (snprintf (mod, sizeof mod, __VA_ARGS__), mod)
  quant (w, MOD ("%sembed_tokens", pfx), 2, false, VOCAB, m->hidden, m->hidden, false);
  quant (w, "lm_head", 2, false, VOCAB, m->hidden, m->hidden, false);
  quant (w, MOD ("%sembed_tokens_per_layer", pfx), m->ple_bits, false, VOCAB, (int64_t) L * P, P,
         false);
  quant (w, MOD ("%sper_layer_model_projection", pfx), 8, true, (int64_t) L * P, m->hidden,
         m->hidden, true);
  vec (w, MOD ("%sper_layer_projection_norm.weight", pfx), P);
  vec (w, MOD ("%snorm.weight", pfx), m->hidden);
  for (int il = 0; il < L; il++)
    {
      const int D = is_full (m, il) ? D_FULL : D_SWA;
      const bool shared = il >= L - m->n_shared;
      const int F = m->double_wide && shared ? 2 * m->ff : m->ff;
      const int mb = il >= m->mlp2_from ? 2 : 4;

      vec (w, MOD ("%slayers.%d.input_layernorm.weight", pfx, il), m->hidden);
      quant (w, MOD ("%slayers.%d.self_attn.q_proj", pfx, il), 4, false, N_HEAD * D, m->hidden,
             m->hidden, true);
      if (!shared)
        {
          quant (w, MOD ("%slayers.%d.self_attn.k_proj", pfx, il), 4, false, m->n_kv * D, m->hidden,
                 m->hidden, true);
          quant (w, MOD ("%slayers.%d.self_attn.v_proj", pfx, il), 4, false, m->n_kv * D, m->hidden,
                 m->hidden, true);
          vec (w, MOD ("%slayers.%d.self_attn.k_norm.weight", pfx, il), D);
        }
      quant (w, MOD ("%slayers.%d.self_attn.o_proj", pfx, il), 4, false, m->hidden, N_HEAD * D,
             N_HEAD * D, true);
      vec (w, MOD ("%slayers.%d.self_attn.q_norm.weight", pfx, il), D);
      vec (w, MOD ("%slayers.%d.post_attention_layernorm.weight", pfx, il), m->hidden);
      vec (w, MOD ("%slayers.%d.pre_feedforward_layernorm.weight", pfx, il), m->hidden);
      vec (w, MOD ("%slayers.%d.post_feedforward_layernorm.weight", pfx, il), m->hidden);
      quant (w, MOD ("%slayers.%d.mlp.gate_proj", pfx, il), mb, false, F, m->hidden, m->hidden, true);
      quant (w, MOD ("%slayers.%d.mlp.up_proj", pfx, il), mb, false, F, m->hidden, m->hidden, true);
      quant (w, MOD ("%slayers.%d.mlp.down_proj", pfx, il), mb, false, m->hidden, F, F, true);
      quant (w, MOD ("%slayers.%d.per_layer_input_gate", pfx, il), 8, true, P, m->hidden, m->hidden,
             true);
      quant (w, MOD ("%slayers.%d.per_layer_projection", pfx, il), 8, true, m->hidden, P, P, true);
      vec (w, MOD ("%slayers.%d.post_per_layer_input_norm.weight", pfx, il), m->hidden);
      vec (w, MOD ("%slayers.%d.layer_scalar", pfx, il), 1);
      snprintf (types + strlen (types), sizeof types - strlen (types), "%s\"%s\"", il ? ", " : "",
                is_full (m, il) ? "full_attention" : "sliding_attention");
    }
#undef MOD

  snprintf (path, sizeof path, "%s/model.safetensors", dir);
  CHECK (stw_write (w, path));
  stw_free (w);

#define ACT "{\"num_bits\": 8, \"type\": \"int\", \"symmetric\": true, \"strategy\": \"tensor\", \"dynamic\": false}"
#define W(b, extra) "{\"num_bits\": " #b ", \"type\": \"int\", \"symmetric\": true, " extra "}"
  snprintf (cfg, sizeof cfg,
            "{\"model_type\": \"gemma4\", \"text_config\": {\"model_type\": \"gemma4_text\","
            " \"hidden_size\": %d, \"num_hidden_layers\": %d, \"num_attention_heads\": 8,"
            " \"num_key_value_heads\": %d, \"head_dim\": 256, \"global_head_dim\": 512,"
            " \"intermediate_size\": %d, \"use_double_wide_mlp\": %s,"
            " \"hidden_size_per_layer_input\": 256, \"vocab_size\": 262144,"
            " \"vocab_size_per_layer_input\": 262144, \"num_kv_shared_layers\": %d,"
            " \"sliding_window\": 512, \"max_position_embeddings\": 131072, \"rms_norm_eps\": 1e-06,"
            " \"final_logit_softcapping\": 30.0, \"layer_types\": [%s]},"
            " \"quantization_config\": {\"quant_method\": \"compressed-tensors\","
            " \"format\": \"mixed-precision\", \"quantization_status\": \"compressed\", \"config_groups\": {"
            "\"embed\": {\"targets\": [\"re:.*embed_tokens$\", \"re:.*lm_head$\"], \"weights\": "
            W (2, "\"strategy\": \"channel\"") ", \"format\": \"pack-quantized\"},"
            "\"ple\": {\"targets\": [\"re:.*embed_tokens_per_layer$\"], \"weights\": {\"num_bits\": %d,"
            " \"type\": \"int\", \"symmetric\": true, \"strategy\": \"group\", \"group_size\": 256},"
            " \"format\": \"pack-quantized\"},"
            "\"w4\": {\"targets\": [\"re:.*self_attn\\\\.[qkvo]_proj$\", \"re:.*layers\\\\.(\\\\d|1[0-4])\\\\.mlp\\\\..*\"%s],"
            " \"weights\": " W (4, "\"strategy\": \"channel\"") ", \"input_activations\": " ACT ","
            " \"output_activations\": " ACT ", \"format\": \"pack-quantized\"}"
            "%s,"
            "\"w8\": {\"targets\": [\"re:.*per_layer_input_gate$\", \"re:.*per_layer_projection$\","
            " \"re:.*per_layer_model_projection$\"],"
            " \"weights\": " W (8, "\"strategy\": \"channel\"") ", \"input_activations\": " ACT ","
            " \"output_activations\": " ACT ", \"format\": \"int-quantized\"}},"
            " \"ignore\": [\"re:.*vision_tower.*\", \"re:.*audio_tower.*\"]}}",
            m->hidden, L, m->n_kv, m->ff, m->double_wide ? "true" : "false", m->n_shared, types,
            m->ple_bits, m->mlp2_from < L ? "" : ", \"re:.*layers\\\\.\\\\d+\\\\.mlp\\\\..*\"",
            m->mlp2_from < L
              ? ", \"w2\": {\"targets\": [\"re:.*layers\\\\.(1[5-9]|[23]\\\\d)\\\\.mlp\\\\..*\"],"
                " \"weights\": " W (2, "\"strategy\": \"channel\"") ", \"input_activations\": " ACT ","
                " \"output_activations\": " ACT ", \"format\": \"pack-quantized\"}"
              : "");
#undef W
#undef ACT
  snprintf (path, sizeof path, "%s/config.json", dir);
  fp = fopen (path, "w");
  CHECK (fp != NULL && fputs (cfg, fp) >= 0 && fclose (fp) == 0);
  snprintf (path, sizeof path, "%s/tokenizer.json", dir);
  fp = fopen (path, "w");
  CHECK (fp != NULL && fputs ("{}", fp) >= 0 && fclose (fp) == 0);
}

static void
check_model (const char *dir, const model *m)
{
  char err[512] = "";
  mobile_checkpoint *ck;
  const gm_hparams *hp;
  const mobile_tensor *t;
  const int L = m->n_layer, own = L - m->n_shared;

  write_model (dir, m);
  ck = mobile_checkpoint_open (dir, err, sizeof err);
  CHECK (ck != NULL);
  if (ck == NULL)
    {
      fprintf (stderr, "%s: %s\n", m->label, err);
      return;
    }
  hp = mobile_checkpoint_hparams (ck);
  CHECK_EQ_U (hp->n_layer, L);
  CHECK_EQ_U (hp->n_embd, m->hidden);
  CHECK_EQ_U (hp->n_layer_kv_from_start, own);
  for (int il = 0; il < L; il++)
    {
      CHECK (hp->is_swa[il] == !is_full (m, il));
      CHECK_EQ_U (hp->n_ff[il], m->double_wide && il >= own ? 2 * m->ff : m->ff);
      CHECK_EQ_U (hp->n_head_kv[il], m->n_kv);
      if (il >= own)   /* the last owning layer of the same type: SWA own-2, full own-1 */
        CHECK_EQ_U (hp->kv_source[il], is_full (m, il) ? own - 1 : own - 2);
      t = mobile_checkpoint_layer (ck, (uint32_t) il, MOBILE_L_DOWN);
      CHECK (t != NULL && t->format == (il >= m->mlp2_from ? MOBILE_FMT_INT2 : MOBILE_FMT_INT4));
      CHECK (t != NULL && t->input_scale == 1.0f && t->output_scale == 1.0f);
      CHECK ((mobile_checkpoint_layer (ck, (uint32_t) il, MOBILE_L_K) == NULL) == (il >= own));
    }
  t = mobile_checkpoint_global (ck, MOBILE_G_EMBED_PER_LAYER);
  CHECK (t != NULL && t->n_groups == L && t->group_size == P && t->bits == m->ple_bits);
  CHECK (t != NULL && t->row_bytes == (uint64_t) L * P * m->ple_bits / 8);
  t = mobile_checkpoint_global (ck, MOBILE_G_PER_LAYER_PROJ);
  CHECK (t != NULL && t->format == MOBILE_FMT_INT8 && !t->offset_binary);
  t = mobile_checkpoint_global (ck, MOBILE_G_EMBED);
  CHECK (t != NULL && t->format == MOBILE_FMT_INT2 && t->row_bytes == (uint64_t) m->hidden / 4);
  CHECK (mobile_checkpoint_global (ck, MOBILE_G_LM_HEAD) != NULL);
  mobile_checkpoint_close (ck);
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

int
main (void)
{
  char dir[] = "/tmp/gemlet-mobile-real-XXXXXX";

  if (mkdtemp (dir) == NULL)
    {
      perror ("mkdtemp");
      return 1;
    }
  check_model (dir, &e2b);
  rm_folder (dir);
  check_model (dir, &e4b);
  rm_folder (dir);
  rmdir (dir);
  return CHECK_DONE ();
}
