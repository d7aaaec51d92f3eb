/* test-projector.c — the vision/audio projector beside a model: found by
 * name, loaded and counted only when text-only is off, and a wrong, foreign
 * or broken projector refused with a message naming the file.
 *
 *   test-projector GEN_MODEL_BINARY
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "gemlet.h"
#include "gguf-writer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine-check.h"

#define GGML_TYPE_F32 0
#define GGML_TYPE_BF16 30

/* A projector-shaped GGUF: two BF16 matrices and an F32 vector, 2 * 64 * 96
 * * 2 + 96 * 4 bytes of weights. */
#define PROJ_WEIGHT_BYTES (2u * 64u * 96u * 2u + 96u * 4u)

static void
write_projector (const char *path, const char *arch, bool vision, bool audio, uint32_t width)
{
  static uint16_t mat[64 * 96];
  static float vec[96];
  const int64_t ne_mat[2] = { 64, 96 }, ne_vec[1] = { 96 };
  gw_writer *w = gw_new ();
  char err[256];

  for (size_t i = 0; i < 64 * 96; i++)
    mat[i] = (uint16_t) (0x3f80 + (i % 7)); /* BF16 around 1.0 */
  gw_kv_str (w, "general.architecture", arch);
  if (vision)
    gw_kv_str (w, "clip.vision.projector_type", "gemma4v");
  if (audio)
    gw_kv_str (w, "clip.audio.projector_type", "gemma4a");
  if (width != 0)
    gw_kv_u32 (w, "clip.vision.projection_dim", width);
  gw_tensor (w, "v.blk.0.attn_q.weight", GGML_TYPE_BF16, 2, ne_mat, mat);
  gw_tensor (w, "mm.input_projection.weight", GGML_TYPE_BF16, 2, ne_mat, mat);
  gw_tensor (w, "v.post_ln.weight", GGML_TYPE_F32, 1, ne_vec, vec);
  if (!gw_write (w, path, err, sizeof err))
    {
      fprintf (stderr, "cannot write %s: %s\n", path, err);
      exit (1);
    }
  gw_free (w);
}

/* Loads model with text_only as given; returns the projector bytes counted,
 * or -1 when the load failed (message in err). */
static long long
load_and_count (const char *model, bool text_only, gm_error *err, char *proj_path, size_t cap)
{
  gm_load_opts opts;
  gm_model *m;
  gm_memory mem;
  const char *p;

  gm_load_opts_init (&opts);
  opts.text_only = text_only;
  m = gm_model_load (model, &opts, NULL, NULL, err);
  if (m == NULL)
    return -1;
  gm_memory_report (m, NULL, &mem);
  p = gm_model_projector_path (m);
  snprintf (proj_path, cap, "%s", p != NULL ? p : "");
  gm_model_free (m);
  return (long long) mem.projector;
}

int
main (int argc, char **argv)
{
  char dir[] = "/tmp/gemlet-test-projector.XXXXXX";
  char cmd[4096], model[600], proj[600], other[600], got[4096];
  gm_checkpoint_info info;
  gm_error err;
  long long n;

  if (argc != 2)
    {
      fprintf (stderr, "usage: %s GEN_MODEL\n", argv[0]);
      return 2;
    }
  if (mkdtemp (dir) == NULL)
    return 2;
  snprintf (model, sizeof model, "%s/gemma-4-tiny-it.gguf", dir);
  snprintf (cmd, sizeof cmd, "'%s' --shape tiny --type q8_0 -o '%s' >/dev/null", argv[1], model);
  if (system (cmd) != 0 || gm_inspect (model, &info, &err) != GM_OK)
    {
      fprintf (stderr, "cannot generate the model: %s\n", cmd);
      return 1;
    }

  /* no projector in the folder: both modes load, nothing counted */
  CHECK (load_and_count (model, false, &err, got, sizeof got) == 0 && got[0] == '\0',
         "no projector: %s", err.message);

  /* a matching projector, plus a decoy for another model sharing less of the name */
  snprintf (proj, sizeof proj, "%s/gemma-4-tiny-it-mmproj.gguf", dir);
  snprintf (other, sizeof other, "%s/mmproj-other-Q8_0.gguf", dir);
  write_projector (proj, "clip", true, true, info.n_embd);
  write_projector (other, "clip", true, false, info.n_embd + 1);
  CHECK (load_and_count (model, true, &err, got, sizeof got) == 0 && got[0] == '\0',
         "text-only must leave the projector unloaded: %s", err.message);
  n = load_and_count (model, false, &err, got, sizeof got);
  CHECK (n == PROJ_WEIGHT_BYTES, "projector counted %lld bytes, want %u (%s)", n,
         PROJ_WEIGHT_BYTES, err.message);
  CHECK (strcmp (got, proj) == 0, "picked %s, want %s", got, proj);

  /* only the foreign one left: refused, naming it and the width */
  unlink (proj);
  n = load_and_count (model, false, &err, got, sizeof got);
  CHECK (n == -1 && err.code == GM_ERR_UNSUPPORTED && strstr (err.message, other) != NULL
             && strstr (err.message, "another model") != NULL,
         "foreign projector: %lld %d %s", n, err.code, err.message);
  unlink (other);

  /* not a projector at all, and a truncated one */
  write_projector (proj, "llama", true, false, 0);
  n = load_and_count (model, false, &err, got, sizeof got);
  CHECK (n == -1 && err.code == GM_ERR_UNSUPPORTED && strstr (err.message, "clip") != NULL,
         "non-clip projector: %lld %s", n, err.message);
  write_projector (proj, "clip", false, false, 0);
  n = load_and_count (model, false, &err, got, sizeof got);
  CHECK (n == -1 && strstr (err.message, "projector type") != NULL, "typeless projector: %s",
         err.message);
  write_projector (proj, "clip", true, false, 0);
  CHECK (truncate (proj, 200) == 0, "truncate");
  n = load_and_count (model, false, &err, got, sizeof got);
  CHECK (n == -1 && err.code == GM_ERR_FORMAT && strstr (err.message, proj) != NULL,
         "truncated projector: %lld %d %s", n, err.code, err.message);
  /* ...which text-only never opens */
  CHECK (load_and_count (model, true, &err, got, sizeof got) == 0, "text-only with a broken "
         "projector: %s", err.message);

  snprintf (cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system (cmd) != 0)
    fprintf (stderr, "warning: could not remove %s\n", dir);
  if (failures > 0)
    fprintf (stderr, "%d failures\n", failures);
  return failures > 0;
}
