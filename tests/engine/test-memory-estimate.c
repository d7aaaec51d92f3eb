/* test-memory-estimate.c — gm_estimate_memory_opts and gm_suggest_n_ctx:
 *
 *  - the KV figure against sizes worked out by hand from the Gemma 4
 *    architecture (docs §1.2: E2B owns K/V on layers 0–14, 12 sliding-window
 *    layers of one 256-wide K/V head and 3 full layers of one 512-wide head;
 *    layers 15–34 reuse them) and the cache rules of engine/FORWARD.md (a
 *    ring of window − 1 + micro-batch + 512 slots on window layers, n_ctx on
 *    full layers, both rounded up to 256);
 *  - the estimate against what a session really allocates
 *    (gm_memory_report's kv_cache and scratch) for many option sets, on the
 *    tiny and the E2B shape (zero weights, sparse files) and on a generated
 *    tiny mobile checkpoint;
 *  - the suggested context for budgets around hand-computed totals.
 *
 *   test-memory-estimate GEN_MODEL_BINARY
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "g4-shape.h"
#include "gemlet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine-check.h"

#define CHECK_EQ(a, b)                                                              \
  do {                                                                              \
    unsigned long long a_ = (unsigned long long) (a), b_ = (unsigned long long) (b); \
    CHECK (a_ == b_, "%s == %llu, expected %s == %llu", #a, a_, #b, b_);            \
  } while (0)

#define MiB (1024ull * 1024ull)

static bool
write_shape (const g4_shape *s, const char *path)
{
  gw_writer *w = gw_new ();
  char err[256];
  bool ok;

  g4_write (w, s);
  ok = gw_write (w, path, err, sizeof err);
  if (!ok)
    fprintf (stderr, "writer: %s\n", err);
  gw_free (w);
  return ok;
}

/* Loads path, creates a session with opts and checks the estimate for the
 * same opts equals what the session allocated. */
static void
check_against_session (gm_model *m, const char *path, const gm_session_opts *opts)
{
  gm_memory est, rep;
  gm_kv_layout lay;
  gm_error err;
  gm_session *s;

  CHECK (gm_estimate_memory_opts (path, opts, &est, &lay, &err) == GM_OK, "estimate: %s",
         err.message);
  s = gm_session_new (m, opts, &err);
  CHECK (s != NULL, "session (n_ctx %u): %s", opts->n_ctx, err.message);
  if (s == NULL)
    return;
  gm_memory_report (m, s, &rep);
  CHECK (est.kv_cache == rep.kv_cache,
         "%s n_ctx %u ubatch %u f16 %d threads %d: estimated KV %llu, allocated %llu", path,
         opts->n_ctx, opts->n_ubatch, opts->kv_f16, opts->n_threads,
         (unsigned long long) est.kv_cache, (unsigned long long) rep.kv_cache);
  CHECK (est.scratch == rep.scratch,
         "%s n_ctx %u ubatch %u f16 %d threads %d: estimated scratch %llu, allocated %llu", path,
         opts->n_ctx, opts->n_ubatch, opts->kv_f16, opts->n_threads,
         (unsigned long long) est.scratch, (unsigned long long) rep.scratch);
  CHECK_EQ (lay.bytes, est.kv_cache);
  CHECK_EQ (lay.n_ctx, gm_session_n_ctx (s));
  gm_session_free (s);
}

static void
sweep (const char *path, const uint32_t *ctxs, size_t n_ctxs)
{
  static const uint32_t ubatches[] = { 0, 64, 256 };
  gm_error err;
  gm_model *m = gm_model_load (path, NULL, NULL, NULL, &err);

  CHECK (m != NULL, "load %s: %s", path, err.message);
  if (m == NULL)
    return;
  for (size_t c = 0; c < n_ctxs; c++)
    for (size_t u = 0; u < sizeof ubatches / sizeof ubatches[0]; u++)
      for (int f16 = 0; f16 < 2; f16++)
        for (int t = 0; t <= 2; t++)
          {
            gm_session_opts o;

            gm_session_opts_init (&o);
            o.n_ctx = ctxs[c];
            o.n_ubatch = ubatches[u];
            o.kv_f16 = f16;
            o.n_threads = t;
            check_against_session (m, path, &o);
          }
  gm_model_free (m);
}

/* E2B by hand (docs §1.2). Per position, F32: window layers 12 × K+V ×
 * 256 × 4 bytes, full layers 3 × K+V × 512 × 4 bytes. */
#define E2B_SWA_PER_TOKEN (12ull * 2 * 256 * 4)  /* 24576 */
#define E2B_FULL_PER_TOKEN (3ull * 2 * 512 * 4)  /* 12288 */
/* ring: window 512 − 1 + micro-batch 256 + slack 512 = 1279 → 1280 */
#define E2B_RING 1280ull

static uint64_t
e2b_kv (uint64_t n_ctx, bool f16)
{
  const uint64_t pad = (n_ctx + 255) / 256 * 256;
  const uint64_t ring = E2B_RING < pad ? E2B_RING : pad;

  return (ring * E2B_SWA_PER_TOKEN + pad * E2B_FULL_PER_TOKEN) / (f16 ? 2 : 1);
}

static void
test_e2b_by_hand (const char *path)
{
  gm_memory mem;
  gm_kv_layout lay;
  gm_session_opts o;
  gm_checkpoint_info *info = calloc (1, sizeof *info);
  gm_error err;
  uint32_t n;

  gm_session_opts_init (&o);
  o.n_ctx = 16384;
  CHECK (gm_estimate_memory_opts (path, &o, &mem, &lay, &err) == GM_OK, "%s", err.message);
  CHECK_EQ (lay.n_layer_swa, 12);
  CHECK_EQ (lay.n_layer_full, 3);
  CHECK_EQ (lay.n_layer_shared_swa, 16);
  CHECK_EQ (lay.n_layer_shared_full, 4);
  CHECK_EQ (lay.bytes_per_token_swa, E2B_SWA_PER_TOKEN);
  CHECK_EQ (lay.bytes_per_token_full, E2B_FULL_PER_TOKEN);
  CHECK_EQ (lay.swa_slots, 1280);
  CHECK_EQ (lay.full_slots, 16384);
  CHECK_EQ (lay.bytes_per_value, 4);
  CHECK_EQ (mem.kv_cache, 232783872ull); /* 1280·24576 + 16384·12288 */
  CHECK_EQ (mem.kv_cache, e2b_kv (16384, false));
  /* activation buffers: tens of MiB (U·n_ff floats dominate), not hundreds */
  CHECK (mem.scratch > 16 * MiB && mem.scratch < 160 * MiB, "scratch %llu",
         (unsigned long long) mem.scratch);

  o.kv_f16 = true;
  CHECK (gm_estimate_memory_opts (path, &o, &mem, &lay, &err) == GM_OK, "%s", err.message);
  CHECK_EQ (mem.kv_cache, 116391936ull);
  CHECK_EQ (lay.bytes_per_value, 2);

  /* a context shorter than the ring: both kinds hold n_ctx rounded up */
  CHECK (gm_estimate_memory (path, 1000, &mem, &err) == GM_OK, "%s", err.message);
  CHECK_EQ (mem.kv_cache, 1024ull * (E2B_SWA_PER_TOKEN + E2B_FULL_PER_TOKEN));
  CHECK_EQ (mem.kv_cache, e2b_kv (1000, false));
  /* default context: 8192 */
  CHECK (gm_estimate_memory (path, 0, &mem, &err) == GM_OK, "%s", err.message);
  CHECK_EQ (mem.kv_cache, e2b_kv (8192, false));
  CHECK (gm_inspect (path, info, &err) == GM_OK, "%s", err.message);
  CHECK_EQ (info->default_n_ctx, 8192);
  CHECK_EQ (info->kv_cache_bytes, e2b_kv (8192, false));

  /* past the trained context: refused with a reason */
  CHECK (gm_estimate_memory (path, 131073, &mem, &err) == GM_ERR_INVALID
           && strstr (err.message, "131072") != NULL,
         "n_ctx past training: %d %s", err.code, err.message);

  /* suggestions: weights + KV by hand + the scratch of that context */
  {
    const uint64_t w = info->weights_resident_bytes;
    gm_memory m8;
    uint64_t budget;

    CHECK (gm_estimate_memory (path, 8192, &m8, &err) == GM_OK, "%s", err.message);
    CHECK_EQ (m8.weights_resident, w);
    budget = w + e2b_kv (8192, false) + m8.scratch;
    CHECK (gm_suggest_n_ctx (path, budget, &n, &err) == GM_OK, "%s", err.message);
    CHECK_EQ (n, 8192);
    CHECK (gm_suggest_n_ctx (path, budget - 1, &n, &err) == GM_OK, "%s", err.message);
    CHECK_EQ (n, 4096);
    /* the next step needs 96 MiB more KV (3 full layers · 4 KiB · 8192 more
     * positions) and half a MiB of attention scores per thread */
    CHECK (gm_suggest_n_ctx (path, budget + 95 * MiB, &n, &err) == GM_OK, "%s", err.message);
    CHECK_EQ (n, 8192);
    CHECK (gm_suggest_n_ctx (path, budget + 104 * MiB, &n, &err) == GM_OK, "%s", err.message);
    CHECK_EQ (n, 16384);
    /* nothing fits: the minimum, the caller warns */
    CHECK (gm_suggest_n_ctx (path, 1, &n, &err) == GM_OK, "%s", err.message);
    CHECK_EQ (n, 2048);
    /* everything fits: the trained context */
    CHECK (gm_suggest_n_ctx (path, UINT64_MAX, &n, &err) == GM_OK, "%s", err.message);
    CHECK_EQ (n, 131072);
    /* F16 K/V: half the KV, so 16384 fits where F32 stopped at 8192 */
    gm_session_opts_init (&o);
    o.kv_f16 = true;
    budget = w + e2b_kv (16384, true) + m8.scratch + 8 * MiB;
    CHECK (gm_suggest_n_ctx_opts (path, &o, budget, &n, &err) == GM_OK, "%s", err.message);
    CHECK_EQ (n, 16384);
  }
  free (info);
}

static void
test_tiny_by_hand (const char *dir)
{
  char path[600];
  g4_shape s;
  gm_memory mem;
  gm_kv_layout lay;
  gm_error err;
  uint32_t n;

  /* tiny: layers S S F | S S F, the last 3 shared; window 128, 1 KV head,
   * head 32 (window) / 64 (full). Owners: 2 window layers of 2·32·4 = 256
   * bytes per position, 1 full layer of 2·64·4 = 512. */
  g4_shape_tiny (&s);
  snprintf (path, sizeof path, "%s/tiny.gguf", dir);
  CHECK (write_shape (&s, path), "write tiny");
  CHECK (gm_estimate_memory_opts (path, NULL, &mem, &lay, &err) == GM_OK, "%s", err.message);
  CHECK_EQ (lay.n_ctx, 2048); /* trained context below 8192 */
  CHECK_EQ (lay.n_layer_swa, 2);
  CHECK_EQ (lay.n_layer_full, 1);
  CHECK_EQ (lay.n_layer_shared_swa, 2);
  CHECK_EQ (lay.n_layer_shared_full, 1);
  /* ring 127 + 256 + 512 = 895 → 1024 slots */
  CHECK_EQ (lay.swa_slots, 1024);
  CHECK_EQ (mem.kv_cache, 1024ull * 2 * 256 + 2048ull * 512);
  CHECK (gm_estimate_memory (path, 100, &mem, &err) == GM_OK, "%s", err.message);
  CHECK_EQ (mem.kv_cache, 256ull * (2 * 256 + 512));
  /* trained context 2048: the only suggestion, whatever the budget */
  CHECK (gm_suggest_n_ctx (path, UINT64_MAX, &n, &err) == GM_OK && n == 2048, "tiny: %u", n);
  CHECK (gm_suggest_n_ctx (path, 0, &n, &err) == GM_OK && n == 2048, "tiny: %u", n);

  /* a trained context that is not a power of two is the last step */
  s.n_ctx_train = 40000;
  CHECK (write_shape (&s, path), "write tiny 40000");
  CHECK (gm_suggest_n_ctx (path, UINT64_MAX, &n, &err) == GM_OK && n == 40000, "40000: %u", n);
  CHECK (gm_estimate_memory (path, 32768, &mem, &err) == GM_OK, "%s", err.message);
  CHECK (gm_suggest_n_ctx (path, mem.weights_resident + mem.kv_cache + mem.scratch, &n, &err)
           == GM_OK && n == 32768, "32768: %u", n);
  /* a trained context below the minimum step */
  s.n_ctx_train = 1000;
  CHECK (write_shape (&s, path), "write tiny 1000");
  CHECK (gm_suggest_n_ctx (path, UINT64_MAX, &n, &err) == GM_OK && n == 1000, "1000: %u", n);
  CHECK (gm_suggest_n_ctx (path, 0, &n, &err) == GM_OK && n == 1000, "1000: %u", n);
  unlink (path);

  /* errors */
  CHECK (gm_suggest_n_ctx ("/nonexistent.gguf", 1, &n, &err) == GM_ERR_IO, "missing: %d", err.code);
  CHECK (gm_suggest_n_ctx (NULL, 1, &n, &err) == GM_ERR_INVALID, "NULL path");
  CHECK (gm_estimate_memory_opts (NULL, NULL, &mem, NULL, &err) == GM_ERR_INVALID, "NULL path");
}

int
main (int argc, char **argv)
{
  char dir[] = "/tmp/gemlet-test-estimate.XXXXXX";
  char cmd[4096], path[600], mobile[600];
  g4_shape s;

  if (argc != 2)
    {
      fprintf (stderr, "usage: %s GEN_MODEL\n", argv[0]);
      return 2;
    }
  if (mkdtemp (dir) == NULL)
    return 2;

  test_tiny_by_hand (dir);

  /* E2B shape, headers (zero weights, a sparse file): sizes by hand */
  g4_shape_e2b (&s);
  s.compact = true;
  snprintf (path, sizeof path, "%s/e2b-shape.gguf", dir);
  CHECK (write_shape (&s, path), "write e2b");
  test_e2b_by_hand (path);
  unlink (path);

  /* loadable models from the generator: the E2B layout with a small
   * vocabulary (embeddings change neither KV nor scratch sizes) */
  snprintf (path, sizeof path, "%s/e2b.gguf", dir);
  snprintf (cmd, sizeof cmd, "'%s' --shape e2b --type q4_0 --n-vocab 1024 --compact -o '%s' >/dev/null",
            argv[1], path);
  if (system (cmd) != 0)
    CHECK (false, "cannot generate: %s", cmd);
  else
    {
      static const uint32_t ctxs[] = { 300, 1280, 4096, 16384 };
      sweep (path, ctxs, sizeof ctxs / sizeof ctxs[0]);
    }
  unlink (path);

  /* tiny: contexts around the ring size and the pad */
  snprintf (path, sizeof path, "%s/tiny.gguf", dir);
  snprintf (cmd, sizeof cmd, "'%s' --shape tiny --type q8_0 --ctx 2048 -o '%s' >/dev/null",
            argv[1], path);
  if (system (cmd) != 0)
    CHECK (false, "cannot generate: %s", cmd);
  else
    {
      static const uint32_t ctxs[] = { 1, 100, 256, 257, 511, 895, 1024 };
      sweep (path, ctxs, sizeof ctxs / sizeof ctxs[0]);
    }
  unlink (path);

  /* a mobile checkpoint (folder) */
  snprintf (mobile, sizeof mobile, "%s/mobile", dir);
  snprintf (cmd, sizeof cmd, "'%s' --format mobile --shape tiny -o '%s' >/dev/null", argv[1], mobile);
  if (system (cmd) != 0)
    CHECK (false, "cannot generate a mobile checkpoint: %s", cmd);
  else
    {
      static const uint32_t ctxs[] = { 64, 512 };
      uint32_t n;
      gm_error err;

      sweep (mobile, ctxs, sizeof ctxs / sizeof ctxs[0]);
      CHECK (gm_suggest_n_ctx (mobile, UINT64_MAX, &n, &err) == GM_OK, "mobile: %s", err.message);
    }
  snprintf (cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system (cmd) != 0)
    fprintf (stderr, "cannot remove %s\n", dir);

  if (failures > 0)
    fprintf (stderr, "%d check(s) failed\n", failures);
  else
    printf ("all estimate checks passed\n");
  return failures > 0 ? 1 : 0;
}
