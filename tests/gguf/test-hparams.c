/* test-hparams.c — Gemma 4 hyper-parameters from a tiny synthetic file
 * (6 layers with SWA and full attention, shared KV, per-layer embeddings,
 * double-wide FFN), their cross-checks, and gm_inspect/gm_estimate_memory.
 * Expected values are worked out by hand from the shape, not by the engine.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "check.h"
#include "g4-shape.h"
#include "gemlet.h"
#include "gguf.h"
#include "hparams.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int check_failures;

static char tmpdir[1024];

static uint8_t *
write_mem (const g4_shape *s, size_t *size)
{
  gw_writer *w = gw_new ();
  char err[256];
  void *buf = NULL;

  g4_write (w, s);
  if (!gw_write_memory (w, &buf, size, err, sizeof err))
    {
      fprintf (stderr, "writer: %s\n", err);
      check_failures++;
    }
  gw_free (w);
  return buf;
}

/* Loads hparams of shape s; returns success, message in err. */
static bool
load (const g4_shape *s, gm_hparams *hp, char *err, size_t err_size)
{
  size_t size = 0;
  uint8_t *buf = write_mem (s, &size);
  gguf_file *f = gguf_open_memory (buf, size, err, err_size);
  bool ok = false;

  CHECK (f != NULL);
  if (f != NULL)
    ok = gm_hparams_load (f, hp, err, err_size);
  gguf_close (f);
  free (buf);
  return ok;
}

static void
check_tiny (const gm_hparams *hp)
{
  static const bool swa[6] = { true, true, false, true, true, false };
  static const uint32_t n_ff[6] = { 128, 128, 128, 256, 256, 256 };
  static const uint32_t src[6] = { 0, 1, 2, 1, 1, 2 };

  CHECK_EQ_U (hp->n_layer, 6);
  CHECK_EQ_U (hp->n_embd, 64);
  CHECK_EQ_U (hp->n_head, 2);
  CHECK_EQ_U (hp->n_vocab, 512);
  CHECK_EQ_U (hp->n_embd_per_layer, 32);
  CHECK_EQ_U (hp->n_swa, 128);
  CHECK_EQ_U (hp->n_ctx_train, 2048);
  CHECK_EQ_U (hp->n_shared_kv, 3);
  CHECK_EQ_U (hp->n_layer_kv_from_start, 3);
  CHECK_EQ_U (hp->head_dim_full, 64);
  CHECK_EQ_U (hp->head_dim_swa, 32);
  CHECK_EQ_U (hp->n_rot_full, 64);
  CHECK_EQ_U (hp->n_rot_swa, 32);
  CHECK (hp->rope_base_full == 1e6f && hp->rope_base_swa == 1e4f);
  CHECK (hp->rms_eps == 1e-6f && hp->final_softcap == 30.0f);
  for (int il = 0; il < 6; il++)
    {
      CHECK (hp->is_swa[il] == swa[il]);
      CHECK_EQ_U (hp->n_ff[il], n_ff[il]);
      CHECK_EQ_U (hp->n_head_kv[il], 1);
      CHECK_EQ_U (hp->kv_source[il], src[il]);
      CHECK_EQ_U (gm_hparams_head_dim (hp, (uint32_t) il), swa[il] ? 32 : 64);
    }
  /* KV positions: SWA layers keep min(n_ctx, 128), full ones all, shared none */
  CHECK_EQ_U (gm_hparams_kv_positions (hp, 0, 100), 100);
  CHECK_EQ_U (gm_hparams_kv_positions (hp, 0, 4096), 128);
  CHECK_EQ_U (gm_hparams_kv_positions (hp, 2, 4096), 4096);
  CHECK_EQ_U (gm_hparams_kv_positions (hp, 3, 4096), 0);
  CHECK_EQ_U (gm_hparams_kv_positions (hp, 5, 4096), 0);
  /* layers 0, 1: 2 (K,V) * 1 head * 32 * 128 * 4 = 32768 each;
   * layer 2: 2 * 1 * 64 * 2048 * 4 = 1048576 */
  CHECK_EQ_U (gm_hparams_kv_bytes (hp, 2048, 4), 2 * 32768 + 1048576);
  CHECK_EQ_U (gm_hparams_kv_bytes (hp, 10, 2), 2 * (2 * 32 * 10 * 2) + 2 * 64 * 10 * 2);
}

static void
expect_fail (const char *label, const g4_shape *s, const char *needle)
{
  gm_hparams hp;
  char err[512] = "";

  if (load (s, &hp, err, sizeof err))
    {
      fprintf (stderr, "%s: accepted\n", label);
      check_failures++;
      return;
    }
  if (strstr (err, needle) == NULL)
    {
      fprintf (stderr, "%s: message \"%s\" lacks \"%s\"\n", label, err, needle);
      check_failures++;
    }
}

static void
test_hparams (void)
{
  g4_shape s;
  gm_hparams hp;
  char err[512] = "";

  g4_shape_tiny (&s);
  CHECK (load (&s, &hp, err, sizeof err));
  if (err[0] != '\0')
    fprintf (stderr, "tiny: %s\n", err);
  check_tiny (&hp);

  /* other integer widths, per-layer head_count_kv array */
  g4_shape_tiny (&s);
  s.odd_int_types = true;
  CHECK (load (&s, &hp, err, sizeof err));
  check_tiny (&hp);

  /* compact form: no K/V weights on shared layers */
  g4_shape_tiny (&s);
  s.compact = true;
  CHECK (load (&s, &hp, err, sizeof err));
  check_tiny (&hp);

  /* uniform FFN is a scalar key; absent optional keys take defaults */
  g4_shape_tiny (&s);
  s.n_ff_shared = s.n_ff;
  s.omit_key = "gemma4.final_logit_softcapping";
  CHECK (load (&s, &hp, err, sizeof err));
  CHECK_EQ_U (hp.n_ff[5], 128);
  CHECK (hp.final_softcap == 30.0f);
  g4_shape_tiny (&s);
  s.omit_key = "gemma4.attention.key_length_swa";
  s.head_dim_swa = s.head_dim_full; /* the default is the full size */
  CHECK (load (&s, &hp, err, sizeof err));
  CHECK_EQ_U (hp.head_dim_swa, 64);

  /* no shared layers at all */
  g4_shape_tiny (&s);
  s.n_shared_kv = 0;
  s.n_ff_shared = s.n_ff;
  CHECK (load (&s, &hp, err, sizeof err));
  CHECK_EQ_U (hp.n_layer_kv_from_start, 6);
  CHECK_EQ_U (hp.kv_source[5], 5);

  /* failures, each naming its cause */
  g4_shape_tiny (&s);
  s.arch = "llama";
  expect_fail ("other architecture", &s, "architecture is 'llama', not 'gemma4'");
  g4_shape_tiny (&s);
  s.omit_key = "general.architecture";
  expect_fail ("no architecture", &s, "general.architecture");
  g4_shape_tiny (&s);
  s.omit_key = "gemma4.block_count";
  expect_fail ("no block_count", &s, "'gemma4.block_count' is missing");
  g4_shape_tiny (&s);
  s.omit_key = "gemma4.attention.sliding_window_pattern";
  expect_fail ("no SWA pattern", &s, "sliding_window_pattern' is missing");
  g4_shape_tiny (&s);
  s.omit_key = "gemma4.attention.layer_norm_rms_epsilon";
  expect_fail ("no eps", &s, "layer_norm_rms_epsilon' is missing");
  g4_shape_tiny (&s);
  s.omit_key = "gemma4.attention.value_length";
  s.head_dim_full = 32; /* value_length then defaults to n_embd/n_head = 32 */
  s.head_dim_swa = 32;
  CHECK (load (&s, &hp, err, sizeof err));
  g4_shape_tiny (&s);
  s.expert_count = 128;
  expect_fail ("MoE", &s, "mixture-of-experts");
  g4_shape_tiny (&s);
  s.bad_tensor = "blk.2.attn_q.weight";
  expect_fail ("attn_q shape", &s,
               "tensor 'blk.2.attn_q.weight' has shape (64, 160, 1, 1), expected (64, 128)");
  g4_shape_tiny (&s);
  s.bad_tensor = "blk.4.ffn_gate.weight";
  expect_fail ("ffn_gate shape", &s, "'blk.4.ffn_gate.weight' has shape (64, 288");
  g4_shape_tiny (&s);
  s.bad_tensor = "per_layer_token_embd.weight";
  expect_fail ("PLE shape", &s, "'per_layer_token_embd.weight' has shape (192, 544, 1, 1), expected (192, 512)");
  g4_shape_tiny (&s);
  s.bad_tensor = "blk.4.attn_k.weight"; /* unused on a shared layer, but still checked */
  expect_fail ("shared attn_k shape", &s, "'blk.4.attn_k.weight' has shape");
  g4_shape_tiny (&s);
  s.omit_tensor = "blk.1.attn_k.weight";
  expect_fail ("owning layer without K", &s, "tensor 'blk.1.attn_k.weight' is missing");
  g4_shape_tiny (&s);
  s.omit_tensor = "blk.4.attn_k.weight";
  CHECK (load (&s, &hp, err, sizeof err)); /* fine on a shared layer */
  g4_shape_tiny (&s);
  s.omit_tensor = "blk.4.attn_v.weight";
  CHECK (load (&s, &hp, err, sizeof err)); /* V is optional (V = K) */
  g4_shape_tiny (&s);
  s.omit_tensor = "rope_freqs.weight";
  expect_fail ("no rope_freqs", &s, "'rope_freqs.weight' is missing");
  g4_shape_tiny (&s);
  s.omit_tensor = "token_embd.weight";
  expect_fail ("no token_embd", &s, "'token_embd.weight' is missing");
  g4_shape_tiny (&s);
  s.omit_tensor = "blk.5.proj.weight";
  expect_fail ("no PLE proj", &s, "'blk.5.proj.weight' is missing");

  /* KV sharing where the HF and llama.cpp rules disagree: owning layers
   * end S F S, so llama.cpp would send layer 3 (SWA) to layer 1 (full). */
  g4_shape_tiny (&s);
  memcpy (s.is_swa, (const bool[6]) { true, false, true, true, true, false }, 6);
  expect_fail ("rules disagree", &s, "layer 3: K/V source is layer 2 by the Hugging Face rule but layer 1");
  /* a shared full layer with no owning full layer */
  g4_shape_tiny (&s);
  memcpy (s.is_swa, (const bool[6]) { true, true, true, false, false, false }, 6);
  expect_fail ("no owner of type", &s, "layer 3 (full attention) shares K/V, but none of the owning layers 0-2");
  g4_shape_tiny (&s);
  s.n_shared_kv = 6;
  expect_fail ("all layers shared", &s, "shared_kv_layers' is 6, but there are only 6 layers");
}

static uint64_t written_bytes; /* tensor data of the last write_file */

static bool
write_file (const g4_shape *s, const char *path)
{
  gw_writer *w = gw_new ();
  char err[256];
  bool ok;

  written_bytes = g4_write (w, s);
  ok = gw_write (w, path, err, sizeof err);
  if (!ok)
    fprintf (stderr, "writer: %s\n", err);
  gw_free (w);
  return ok;
}

static void
test_inspect (void)
{
  g4_shape s;
  gm_checkpoint_info info;
  gm_error err = { 0 };
  gm_memory mem;
  char path[1100];
  /* per_layer_token_embd: Q8_0 (6*32, 512) = 6 blocks of 34 bytes per row */
  const uint64_t ple_bytes = 6 * 34 * 512;

  g4_shape_tiny (&s);
  snprintf (path, sizeof path, "%s/tiny.gguf", tmpdir);
  CHECK (write_file (&s, path));
  CHECK (gm_inspect (path, &info, &err) == GM_OK);
  CHECK (strcmp (info.format, "GGUF v3") == 0);
  CHECK (strcmp (info.architecture, "gemma4") == 0);
  CHECK (strcmp (info.name, "synthetic gemma4") == 0);
  CHECK (info.variant == GM_VARIANT_GEMMA4_OTHER);
  CHECK_MSG (info.variant_reason, "6 layers");
  CHECK_EQ_U (info.n_layer, 6);
  CHECK_EQ_U (info.n_layer_full, 2);
  CHECK_EQ_U (info.n_embd, 64);
  CHECK_EQ_U (info.n_head, 2);
  CHECK_EQ_U (info.n_head_kv, 1);
  CHECK_EQ_U (info.n_embd_per_layer, 32);
  CHECK_EQ_U (info.head_dim_swa, 32);
  CHECK_EQ_U (info.head_dim_full, 64);
  CHECK_EQ_U (info.n_swa, 128);
  CHECK_EQ_U (info.n_shared_kv_layers, 3);
  CHECK_EQ_U (info.n_ctx_train, 2048);
  CHECK_EQ_U (info.n_vocab, 512);
  /* 6 global tensors + 17 per layer */
  CHECK_EQ_U (info.n_tensors, 6 + 17 * 6);
  /* F32: 3 global + 8 per layer; Q8_0: 2 embeddings + 9 linears per layer;
   * F16: per_layer_model_proj */
  CHECK_EQ_U (info.n_type_stats, 3);
  CHECK (strcmp (info.type_stats[0].name, "F32") == 0 && info.type_stats[0].n_tensors == 51);
  CHECK (strcmp (info.type_stats[1].name, "F16") == 0 && info.type_stats[1].n_tensors == 1);
  CHECK (strcmp (info.type_stats[2].name, "Q8_0") == 0 && info.type_stats[2].n_tensors == 56);
  /* per_layer_model_proj: F16 (64, 192) */
  CHECK_EQ_U (info.type_stats[1].n_bytes, 64 * 192 * 2);
  CHECK_EQ_U (info.weights_on_demand_bytes, ple_bytes);
  CHECK_EQ_U (info.weights_resident_bytes, written_bytes - ple_bytes);
  CHECK_EQ_U (info.type_stats[0].n_bytes + info.type_stats[1].n_bytes + info.type_stats[2].n_bytes,
              written_bytes);
  CHECK (info.has_chat_template);
  CHECK (strcmp (info.tokenizer_model, "gemma4") == 0);
  CHECK_EQ_U (info.default_n_ctx, 2048);
  /* what a default session allocates: the 2 window layers (2·32·4 bytes a
   * position) keep a ring of 127 + 256 + 512 → 1024 slots, the full layer
   * (2·64·4) all 2048 positions */
  CHECK_EQ_U (info.kv_cache_bytes, 2 * 262144 + 1048576);
  CHECK (info.file_bytes > info.weights_resident_bytes + info.weights_on_demand_bytes);

  CHECK (gm_estimate_memory (path, 100, &mem, &err) == GM_OK);
  CHECK_EQ_U (mem.weights_on_demand, ple_bytes);
  CHECK_EQ_U (mem.weights_resident, info.weights_resident_bytes);
  /* 100 positions round up to 256 slots on every owning layer:
   * SWA 2 layers * 2*32*256*4; full 2*64*256*4 */
  CHECK_EQ_U (mem.kv_cache, 2 * 65536 + 131072);
  CHECK (gm_estimate_memory (path, 0, &mem, &err) == GM_OK);
  CHECK_EQ_U (mem.kv_cache, 2 * 262144 + 1048576);
  unlink (path);

  /* a valid GGUF that is not Gemma 4 is described, not refused */
  g4_shape_tiny (&s);
  s.arch = "llama";
  CHECK (write_file (&s, path));
  CHECK (gm_inspect (path, &info, &err) == GM_OK);
  CHECK (info.variant == GM_VARIANT_NOT_GEMMA4);
  CHECK_MSG (info.variant_reason, "'llama'");
  CHECK (strcmp (info.architecture, "llama") == 0);
  CHECK_EQ_U (info.n_tensors, 108);
  CHECK_EQ_U (info.n_vocab, 512);
  CHECK (gm_estimate_memory (path, 0, &mem, &err) == GM_ERR_UNSUPPORTED);
  CHECK_MSG (err.message, "llama");
  /* a gemma4 file with a broken layout says what is broken */
  g4_shape_tiny (&s);
  s.omit_tensor = "blk.3.ffn_up.weight";
  CHECK (write_file (&s, path));
  CHECK (gm_inspect (path, &info, &err) == GM_OK);
  CHECK (info.variant == GM_VARIANT_NOT_GEMMA4);
  CHECK_MSG (info.variant_reason, "'blk.3.ffn_up.weight' is missing");
  unlink (path);

  /* errors: I/O vs malformed */
  CHECK (gm_inspect ("/nonexistent/x.gguf", &info, &err) == GM_ERR_IO);
  CHECK_MSG (err.message, "No such file");
  {
    FILE *fp = fopen (path, "wb");
    fputs ("GGUF\x01", fp);
    fclose (fp);
  }
  CHECK (gm_inspect (path, &info, &err) == GM_ERR_FORMAT);
  CHECK_MSG (err.message, "header truncated");
  unlink (path);
}

int
main (void)
{
  const char *base = getenv ("GEMLET_TEST_TMP");

  snprintf (tmpdir, sizeof tmpdir, "%s/gemlet-hparams-XXXXXX", base ? base : "/tmp");
  if (mkdtemp (tmpdir) == NULL)
    {
      perror ("mkdtemp");
      return 1;
    }
  test_hparams ();
  test_inspect ();
  rmdir (tmpdir);
  return CHECK_DONE ();
}
