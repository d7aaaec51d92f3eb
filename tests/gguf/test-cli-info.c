/* test-cli-info.c — `gemlet-cli info` on real-size E2B and E4B headers
 * (sparse files: the tensor data is a hole), on a file that is not Gemma 4,
 * and on broken files. Runs the built binary named by $GEMLET_CLI.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "check.h"
#include "g4-shape.h"
#include "gguf.h"
#include "hparams.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int check_failures;

static const char *cli;
static char tmpdir[1024];

typedef struct {
  int status;      /* exit status, -1 if it did not exit normally */
  char out[16384];
  char err[4096];
} run_result;

static void
slurp (const char *path, char *buf, size_t size)
{
  FILE *fp = fopen (path, "rb");
  size_t n = 0;

  if (fp != NULL)
    {
      n = fread (buf, 1, size - 1, fp);
      fclose (fp);
    }
  buf[n] = '\0';
}

/* Runs gemlet-cli with args (already shell-quoted where needed). */
static void
run_cli (const char *args, run_result *r)
{
  char cmd[8192], out[1100], err[1100];
  int st;

  snprintf (out, sizeof out, "%s/stdout", tmpdir);
  snprintf (err, sizeof err, "%s/stderr", tmpdir);
  if (snprintf (cmd, sizeof cmd, "'%s' %s >'%s' 2>'%s'", cli, args, out, err) >= (int) sizeof cmd)
    {
      fprintf (stderr, "command too long\n");
      abort ();
    }
  st = system (cmd);
  r->status = st != -1 && WIFEXITED (st) ? WEXITSTATUS (st) : -1;
  slurp (out, r->out, sizeof r->out);
  slurp (err, r->err, sizeof r->err);
  unlink (out);
  unlink (err);
}

static void
g4_shape_e4b (g4_shape *s)
{
  g4_shape_e2b (s);
  s->n_layer = 42;
  s->n_embd = 2560;
  s->n_head_kv = 2;
  s->n_ff = s->n_ff_shared = 10240;
  s->n_shared_kv = 18;
  for (uint32_t il = 0; il < s->n_layer; il++)
    s->is_swa[il] = il % 6 != 5;
  s->compact = true; /* as Google's QAT E4B file */
}

static uint64_t written_bytes; /* tensor data of the last write_shape */

static bool
write_shape (const g4_shape *s, const char *path)
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

static uint64_t
jget_u64 (json_object *o, const char *key)
{
  json_object *v = NULL;

  if (!json_object_object_get_ex (o, key, &v) || !json_object_is_type (v, json_type_int))
    {
      fprintf (stderr, "json: '%s' missing or not an integer\n", key);
      check_failures++;
      return UINT64_MAX;
    }
  return json_object_get_uint64 (v);
}

static const char *
jget_str (json_object *o, const char *key)
{
  json_object *v = NULL;

  if (!json_object_object_get_ex (o, key, &v) || !json_object_is_type (v, json_type_string))
    {
      fprintf (stderr, "json: '%s' missing or not a string\n", key);
      check_failures++;
      return "";
    }
  return json_object_get_string (v);
}

static bool
jis_null (json_object *o, const char *key)
{
  json_object *v = (json_object *) 1;

  return json_object_object_get_ex (o, key, &v) && v == NULL;
}

static void
test_e2b (void)
{
  g4_shape s;
  char path[1100], args[1300], err[512];
  run_result *r = malloc (sizeof *r);
  json_object *o, *mem = NULL, *types = NULL;
  gguf_file *f;
  gm_hparams hp;

  g4_shape_e2b (&s);
  snprintf (path, sizeof path, "%s/e2b.gguf", tmpdir);
  CHECK (write_shape (&s, path));

  /* the engine's own view first: the per-layer maps of docs §1.2 */
  f = gguf_open (path, err, sizeof err);
  CHECK (f != NULL);
  if (f != NULL)
    {
      CHECK (gm_hparams_load (f, &hp, err, sizeof err));
      CHECK_EQ_U (hp.n_layer_kv_from_start, 15);
      for (uint32_t il = 0; il < 35; il++)
        {
          uint32_t want_src = il < 15 ? il : (il % 5 == 4 ? 14 : 13);
          CHECK_EQ_U (hp.kv_source[il], want_src);
          CHECK_EQ_U (hp.n_ff[il], il < 15 ? 6144 : 12288);
          CHECK (hp.is_swa[il] == (il % 5 != 4));
        }
      CHECK_EQ_U (hp.n_vocab, 262144);
      CHECK_EQ_U (gguf_n_tensors (f), 601);
      gguf_close (f);
    }

  snprintf (args, sizeof args, "info '%s'", path);
  run_cli (args, r);
  CHECK_EQ_U (r->status, 0);
  CHECK_MSG (r->out, "Variant:         Gemma 4 E2B (35 layers, hidden size 1536)");
  CHECK_MSG (r->out, "Layers:          35 (7 full attention, 28 sliding window of 512 tokens)");
  CHECK_MSG (r->out, "Attention heads: 8 query, 1 key/value");
  CHECK_MSG (r->out, "Vocabulary:      262144 tokens");
  CHECK_MSG (r->out, "Tensors:         601");
  CHECK_MSG (r->out, "Q6_K");
  CHECK_MSG (r->out, "Memory estimate for a 8192-token context");
  CHECK (r->err[0] == '\0');

  snprintf (args, sizeof args, "info --json -t 2 '%s'", path);
  run_cli (args, r);
  CHECK_EQ_U (r->status, 0);
  o = json_tokener_parse (r->out);
  CHECK (o != NULL);
  if (o != NULL)
    {
      CHECK (strcmp (jget_str (o, "variant"), "E2B") == 0);
      CHECK (strcmp (jget_str (o, "format"), "GGUF v3") == 0);
      CHECK (strcmp (jget_str (o, "architecture"), "gemma4") == 0);
      CHECK (strcmp (jget_str (o, "file"), path) == 0);
      CHECK_EQ_U (jget_u64 (o, "n_layer"), 35);
      CHECK_EQ_U (jget_u64 (o, "n_layer_full"), 7);
      CHECK_EQ_U (jget_u64 (o, "n_layer_swa"), 28);
      CHECK_EQ_U (jget_u64 (o, "n_embd"), 1536);
      CHECK_EQ_U (jget_u64 (o, "n_head"), 8);
      CHECK_EQ_U (jget_u64 (o, "n_head_kv"), 1);
      CHECK_EQ_U (jget_u64 (o, "head_dim_swa"), 256);
      CHECK_EQ_U (jget_u64 (o, "head_dim_full"), 512);
      CHECK_EQ_U (jget_u64 (o, "n_swa"), 512);
      CHECK_EQ_U (jget_u64 (o, "n_shared_kv_layers"), 20);
      CHECK_EQ_U (jget_u64 (o, "n_embd_per_layer"), 256);
      CHECK_EQ_U (jget_u64 (o, "n_ctx_train"), 131072);
      CHECK_EQ_U (jget_u64 (o, "n_vocab"), 262144);
      CHECK_EQ_U (jget_u64 (o, "n_tensors"), 601);
      CHECK (strcmp (jget_str (o, "tokenizer_model"), "gemma4") == 0);
      CHECK (json_object_object_get_ex (o, "has_chat_template", NULL));
      CHECK (json_object_object_get_ex (o, "tensor_types", &types)
             && json_object_array_length (types) == 4);
      if (types != NULL && json_object_array_length (types) == 4)
        {
          /* sorted by id: F32 (0), F16 (1), Q4_0 (2), Q6_K (14). F32: 3 global
           * + 8 per layer; Q4_0: 9 linears per layer; Q6_K: 2 embeddings */
          json_object *t0 = json_object_array_get_idx (types, 0);
          json_object *t2 = json_object_array_get_idx (types, 2);
          json_object *t3 = json_object_array_get_idx (types, 3);
          CHECK (strcmp (jget_str (t0, "type"), "F32") == 0);
          CHECK_EQ_U (jget_u64 (t0, "n_tensors"), 3 + 8 * 35);
          CHECK (strcmp (jget_str (t2, "type"), "Q4_0") == 0);
          CHECK_EQ_U (jget_u64 (t2, "type_id"), 2);
          CHECK_EQ_U (jget_u64 (t2, "n_tensors"), 9 * 35);
          CHECK (strcmp (jget_str (t3, "type"), "Q6_K") == 0);
          /* token_embd (1536, 262144) + per_layer_token_embd (8960, 262144),
           * 210 bytes per 256 values */
          CHECK_EQ_U (jget_u64 (t3, "n_bytes"), (1536ull + 8960ull) / 256 * 210 * 262144);
        }
      CHECK (json_object_object_get_ex (o, "memory", &mem));
      if (mem != NULL)
        {
          CHECK_EQ_U (jget_u64 (mem, "default_n_ctx"), 8192);
          CHECK_EQ_U (jget_u64 (mem, "weights_on_demand_bytes"), 8960ull / 256 * 210 * 262144);
          /* 12 SWA owners with a ring of 511 + 256 + 512 → 1280 slots:
           * 2*1*256*1280*4; 3 full owners: 2*1*512*8192*4 */
          CHECK_EQ_U (jget_u64 (mem, "kv_cache_bytes"), 12ull * 2621440 + 3ull * 33554432);
          CHECK_EQ_U (jget_u64 (mem, "weights_resident_bytes"),
                      written_bytes - 8960ull / 256 * 210 * 262144);
        }
      json_object_put (o);
    }
  unlink (path);
  free (r);
}

static void
test_e4b (void)
{
  g4_shape s;
  char path[1100], args[1300];
  run_result *r = malloc (sizeof *r);
  json_object *o, *mem = NULL;

  g4_shape_e4b (&s);
  snprintf (path, sizeof path, "%s/e4b.gguf", tmpdir);
  CHECK (write_shape (&s, path));
  snprintf (args, sizeof args, "info --json '%s'", path);
  run_cli (args, r);
  CHECK_EQ_U (r->status, 0);
  o = json_tokener_parse (r->out);
  CHECK (o != NULL);
  if (o != NULL)
    {
      CHECK (strcmp (jget_str (o, "variant"), "E4B") == 0);
      CHECK_EQ_U (jget_u64 (o, "n_layer"), 42);
      CHECK_EQ_U (jget_u64 (o, "n_layer_full"), 7);
      CHECK_EQ_U (jget_u64 (o, "n_head_kv"), 2);
      /* compact form: 6 globals + 17 per layer, minus K, K-norm, V on 18 */
      CHECK_EQ_U (jget_u64 (o, "n_tensors"), 666);
      CHECK (json_object_object_get_ex (o, "memory", &mem));
      /* 20 SWA owners: 2*2*256*1280*4; 4 full owners: 2*2*512*8192*4 */
      if (mem != NULL)
        CHECK_EQ_U (jget_u64 (mem, "kv_cache_bytes"), 20ull * 5242880 + 4ull * 67108864);
      json_object_put (o);
    }
  unlink (path);
  free (r);
}

static void
test_not_gemma4 (void)
{
  g4_shape s;
  char path[1100], args[1300];
  run_result *r = malloc (sizeof *r);
  json_object *o;

  g4_shape_tiny (&s);
  s.arch = "llama";
  snprintf (path, sizeof path, "%s/llama.gguf", tmpdir);
  CHECK (write_shape (&s, path));
  snprintf (args, sizeof args, "info '%s'", path);
  run_cli (args, r);
  CHECK_EQ_U (r->status, 0);
  CHECK_MSG (r->out, "Gemlet cannot run this file: architecture is 'llama', not 'gemma4'");
  snprintf (args, sizeof args, "info '%s' --json", path);
  run_cli (args, r);
  CHECK_EQ_U (r->status, 0);
  o = json_tokener_parse (r->out);
  CHECK (o != NULL);
  if (o != NULL)
    {
      CHECK (strcmp (jget_str (o, "variant"), "not-gemma4") == 0);
      CHECK_MSG (jget_str (o, "variant_reason"), "'llama'");
      CHECK (jis_null (o, "n_layer") && jis_null (o, "n_embd"));
      CHECK_EQ_U (jget_u64 (o, "n_vocab"), 512);
      json_object_put (o);
    }
  unlink (path);
  free (r);
}

static void
expect_cli_error (const char *label, const char *args, const char *needle)
{
  run_result *r = malloc (sizeof *r);

  run_cli (args, r);
  if (r->status == 0 || strstr (r->err, needle) == NULL || strncmp (r->err, "gemlet-cli: ", 12) != 0)
    {
      fprintf (stderr, "%s: exit %d, stderr \"%s\", wanted \"%s\"\n", label, r->status, r->err,
               needle);
      check_failures++;
    }
  CHECK (r->out[0] == '\0');
  free (r);
}

static void
test_errors (void)
{
  g4_shape s;
  char path[1100], args[1300], want[1400];
  gw_writer *w;
  FILE *fp;

  snprintf (path, sizeof path, "%s/bad.gguf", tmpdir);
  snprintf (args, sizeof args, "info '%s'", path);

  fp = fopen (path, "wb");
  fputs ("GGML and then some", fp);
  fclose (fp);
  snprintf (want, sizeof want, "gemlet-cli: cannot read '%s': not a GGUF file", path);
  expect_cli_error ("bad magic", args, want);

  w = gw_new ();
  gw_set_version (w, 1);
  gw_kv_u32 (w, "k", 1);
  CHECK (gw_write (w, path, NULL, 0));
  gw_free (w);
  expect_cli_error ("version 1", args, "GGUF version 1 is not supported");

  /* a real-size E2B header cut off in the middle of its tensor infos */
  g4_shape_e2b (&s);
  w = gw_new ();
  g4_write (w, &s);
  CHECK (gw_write (w, path, NULL, 0));
  CHECK (truncate (path, (off_t) gw_section_offset (w, GW_SECTION_PADDING) - 3) == 0);
  gw_free (w);
  expect_cli_error ("truncated E2B", args, "data offset truncated");
  /* ... and with its data cut short */
  w = gw_new ();
  g4_write (w, &s);
  CHECK (gw_write (w, path, NULL, 0));
  CHECK (truncate (path, (off_t) gw_section_offset (w, GW_SECTION_END) / 2) == 0);
  gw_free (w);
  expect_cli_error ("E2B data cut short", args, "past end of file");
  unlink (path);

  expect_cli_error ("missing file", "info /nonexistent/model.gguf",
                    "cannot read '/nonexistent/model.gguf': No such file or directory");
  expect_cli_error ("no model", "info", "no model given");
  expect_cli_error ("bad option", "info --frobnicate x.gguf", "unknown option '--frobnicate'");
  expect_cli_error ("bad threads", "info -t many x.gguf", "thread count");
}

int
main (void)
{
  const char *base = getenv ("GEMLET_TEST_TMP");

  cli = getenv ("GEMLET_CLI");
  if (cli == NULL || access (cli, X_OK) != 0)
    {
      fprintf (stderr, "GEMLET_CLI must name the built gemlet-cli\n");
      return 1;
    }
  snprintf (tmpdir, sizeof tmpdir, "%s/gemlet-cli-info-XXXXXX", base ? base : "/tmp");
  if (mkdtemp (tmpdir) == NULL)
    {
      perror ("mkdtemp");
      return 1;
    }
  test_e2b ();
  test_e4b ();
  test_not_gemma4 ();
  test_errors ();
  rmdir (tmpdir);
  return CHECK_DONE ();
}
