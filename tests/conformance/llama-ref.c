/* llama-ref.c — the llama.cpp side of the conformance suite.
 *
 * A thin driver over the pinned prebuilt libllama (node-llama-cpp 3.22.1,
 * prepared by setup.sh) with the same command shapes as gemlet-cli:
 *
 *   llama-ref tokenize MODEL (--text T | --file F...) [--no-bos] [--no-special]
 *   llama-ref logits   MODEL --tokens "IDS" --out PATH [--all]
 *   llama-ref generate MODEL --tokens "IDS" -n N [--margins PATH]
 *                      [--stop-below F]  (margins: "step id top2-margin logits-RMS"
 *                      per line; with F, stop at the first step whose margin
 *                      is below F times the logits RMS, before printing it)
 *   llama-ref bench    MODEL [-p 512] [-n 128] [--json] [--ref-settings]
 *   llama-ref bench    MODEL --depth D[,D...] [-n 128] [--json]
 *                      (gemlet-cli bench --depth semantics: one context for
 *                      the largest depth; fill to each depth, generate n)
 *   llama-ref stats    MODEL --tokens "IDS"      (activation statistics)
 *   common: -t N (threads, default 2), --cpu-variant NAME, -v
 *
 * Reference settings (everything but bench): CPU only, flash attention OFF,
 * F32 K and V cache, a full-size SWA cache, one batch for the whole prompt
 * with logits for every requested position, no weight repacking, worker
 * threads that sleep rather than spin.  That is
 * llama.cpp's cleanest numerical path: no F16 rounding of K/V or of the
 * attention probabilities, no online softmax, and every output element is
 * computed by one thread, so the results are the same with 1 and 2 threads
 * (checked by the suite).  They still depend on the CPU variant ggml picks
 * (AVX2 vs AVX-512 dot products), which --cpu-variant or
 * GEMLET_LLAMA_CPU_VARIANT can pin.
 *
 * Logit files are raw little-endian float32, one row of n_vocab values per
 * position, positions in order.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <ggml-backend.h>
#include <ggml.h>
#include <llama.h>

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef LLAMA_REF_LIB_DIR
#define LLAMA_REF_LIB_DIR ""
#endif

typedef struct {
  const char *model;
  const char *text, *tokens, *out, *margins, *variant, *depth;
  const char *files[256];
  int n_files;
  bool no_bos, no_special, all, json, ref_settings, verbose;
  int threads, n_predict, n_prompt;
  double stop_below;
} options;

static bool verbose_log;
static ggml_threadpool_t pool;
static char cpu_backend_path[1024];

static int
fail (const char *fmt, ...)
{
  va_list ap;
  fputs ("llama-ref: ", stderr);
  va_start (ap, fmt);
  vfprintf (stderr, fmt, ap);
  va_end (ap);
  fputc ('\n', stderr);
  return 1;
}

static void
log_cb (enum ggml_log_level level, const char *text, void *user)
{
  const char *p = strstr (text, "loaded CPU backend from ");
  if (p)
    {
      snprintf (cpu_backend_path, sizeof cpu_backend_path, "%s", p + strlen ("loaded CPU backend from "));
      cpu_backend_path[strcspn (cpu_backend_path, "\n")] = 0;
    }
  if (verbose_log || level == GGML_LOG_LEVEL_ERROR)
    fputs (text, stderr);
}

/* Load the best CPU variant for this machine from the library directory (as
 * node-llama-cpp's addon does), or the one named by --cpu-variant. */
static bool
load_backends (const options *o)
{
  const char *dir = getenv ("GEMLET_LLAMA_LIB_DIR");
  const char *variant = o->variant ? o->variant : getenv ("GEMLET_LLAMA_CPU_VARIANT");
  if (dir == NULL || *dir == 0)
    dir = LLAMA_REF_LIB_DIR;

  llama_log_set (log_cb, NULL);
  if (variant && *variant)
    {
      char path[1024];
      snprintf (path, sizeof path, "%s/libggml-cpu-%s.so", dir, variant);
      if (ggml_backend_load (path) == NULL)
        return fail ("cannot load CPU variant %s", path) == 0;
      snprintf (cpu_backend_path, sizeof cpu_backend_path, "%s", path);
    }
  else
    ggml_backend_load_all_from_path (dir);
  llama_backend_init ();

  if (ggml_backend_dev_by_type (GGML_BACKEND_DEVICE_TYPE_CPU) == NULL)
    return fail ("no CPU backend found in '%s'", dir) == 0;
  if (o->verbose)
    fprintf (stderr, "llama-ref: CPU backend %s\n", cpu_backend_path[0] ? cpu_backend_path : "(built in)");
  return true;
}

static struct llama_model *
load_model (const options *o, bool vocab_only, bool ref)
{
  struct llama_model_params mp = llama_model_default_params ();
  mp.n_gpu_layers = 0;
  mp.vocab_only = vocab_only;
  if (ref)
    mp.use_extra_bufts = false;  /* no repacked weight layouts */
  struct llama_model *m = llama_model_load_from_file (o->model, mp);
  if (m == NULL)
    fail ("cannot load %s", o->model);
  return m;
}

static struct llama_context *
new_context (const options *o, struct llama_model *m, uint32_t n_ctx, uint32_t n_batch, bool ref)
{
  struct llama_context_params cp = llama_context_default_params ();
  cp.n_ctx = n_ctx;
  cp.n_batch = n_batch;
  cp.n_ubatch = n_batch;
  cp.n_seq_max = 1;
  cp.n_threads = o->threads;
  cp.n_threads_batch = o->threads;
  cp.no_perf = true;
  if (ref)
    {
      cp.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_DISABLED;
      cp.type_k = GGML_TYPE_F32;
      cp.type_v = GGML_TYPE_F32;
      cp.swa_full = true;
      cp.offload_kqv = false;
      cp.op_offload = false;
    }
  struct llama_context *c = llama_init_from_model (m, cp);
  if (c == NULL)
    {
      fail ("cannot create a context (n_ctx %u)", n_ctx);
      return NULL;
    }
  if (ref)
    {
      /* Workers that sleep instead of spinning between ops: same numbers,
       * but no collapse when the test machine is oversubscribed (spinning
       * workers made a 32-step tiny run take 12 s instead of 0.3 s). */
      ggml_backend_reg_t reg = ggml_backend_dev_backend_reg (ggml_backend_dev_by_type (GGML_BACKEND_DEVICE_TYPE_CPU));
      ggml_threadpool_t (*tp_new) (struct ggml_threadpool_params *) =
        (ggml_threadpool_t (*) (struct ggml_threadpool_params *)) ggml_backend_reg_get_proc_address (reg, "ggml_threadpool_new");
      if (pool == NULL && tp_new != NULL)
        {
          struct ggml_threadpool_params tpp = ggml_threadpool_params_default (o->threads);
          tpp.poll = 0;
          pool = tp_new (&tpp);
        }
      if (pool != NULL)
        llama_attach_threadpool (c, pool, pool);
    }
  return c;
}

static void
free_pool (void)
{
  if (pool == NULL)
    return;
  ggml_backend_reg_t reg = ggml_backend_dev_backend_reg (ggml_backend_dev_by_type (GGML_BACKEND_DEVICE_TYPE_CPU));
  void (*tp_free) (ggml_threadpool_t) =
    (void (*) (ggml_threadpool_t)) ggml_backend_reg_get_proc_address (reg, "ggml_threadpool_free");
  if (tp_free)
    tp_free (pool);
  pool = NULL;
}

/* --- small helpers ------------------------------------------------------ */

static char *
read_file (const char *path, size_t *len)
{
  FILE *fp = fopen (path, "rb");
  if (fp == NULL)
    return NULL;
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc (cap);
  size_t r;
  while ((r = fread (buf + n, 1, cap - n, fp)) > 0)
    {
      n += r;
      if (n == cap)
        buf = realloc (buf, cap *= 2);
    }
  fclose (fp);
  *len = n;
  return buf;
}

static int32_t *
parse_ids (const char *s, int32_t *n_out)
{
  int32_t cap = 64, n = 0;
  int32_t *ids = malloc (cap * sizeof *ids);
  char *end;
  for (;;)
    {
      while (*s == ' ' || *s == ',' || *s == '\n' || *s == '\t')
        s++;
      if (*s == 0)
        break;
      errno = 0;
      long v = strtol (s, &end, 10);
      if (end == s || errno != 0 || v < 0 || v > INT32_MAX)
        {
          free (ids);
          return NULL;
        }
      if (n == cap)
        ids = realloc (ids, (cap *= 2) * sizeof *ids);
      ids[n++] = (int32_t) v;
      s = end;
    }
  *n_out = n;
  return ids;
}

static bool
check_ids (const struct llama_model *m, const int32_t *ids, int32_t n)
{
  int32_t n_vocab = llama_vocab_n_tokens (llama_model_get_vocab (m));
  for (int32_t i = 0; i < n; i++)
    if (ids[i] >= n_vocab)
      return fail ("token id %d out of range (n_vocab %d)", ids[i], n_vocab) == 0;
  return n > 0 || fail ("no tokens given") == 0;
}

/* Decodes ids[0..n) at positions pos0.. in one batch; logits for all of
 * them or only the last. */
static bool
decode (struct llama_context *c, const int32_t *ids, int32_t n, int32_t pos0, bool all)
{
  struct llama_batch b = llama_batch_init (n, 0, 1);
  for (int32_t i = 0; i < n; i++)
    {
      b.token[i] = ids[i];
      b.pos[i] = pos0 + i;
      b.n_seq_id[i] = 1;
      b.seq_id[i][0] = 0;
      b.logits[i] = all || i == n - 1;
    }
  b.n_tokens = n;
  int32_t r = llama_decode (c, b);
  llama_batch_free (b);
  if (r != 0)
    return fail ("llama_decode failed (%d)", r) == 0;
  return true;
}

static double
now_s (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + 1e-9 * (double) ts.tv_nsec;
}

static long
peak_rss_kb (void)
{
  FILE *fp = fopen ("/proc/self/status", "r");
  char line[256];
  long kb = -1;
  if (fp == NULL)
    return -1;
  while (fgets (line, sizeof line, fp))
    if (strncmp (line, "VmHWM:", 6) == 0)
      kb = strtol (line + 6, NULL, 10);
  fclose (fp);
  return kb;
}

static uint32_t
round_up (uint32_t n, uint32_t m)
{
  return (n + m - 1) / m * m;
}

/* --- commands ----------------------------------------------------------- */

/* One line of ids per input; several --file arguments share one vocabulary
 * load (the real-scale vocabulary takes a second to load). */
static int
cmd_tokenize (const options *o)
{
  if ((o->text == NULL) == (o->n_files == 0))
    return fail ("tokenize needs exactly one of --text and --file");

  struct llama_model *m = load_model (o, true, true);
  if (m == NULL)
    return 1;
  const struct llama_vocab *v = llama_model_get_vocab (m);
  int n_inputs = o->text ? 1 : o->n_files;

  for (int k = 0; k < n_inputs; k++)
    {
      size_t len;
      char *text;
      if (o->text)
        {
          len = strlen (o->text);
          text = strdup (o->text);
        }
      else if ((text = read_file (o->files[k], &len)) == NULL)
        return fail ("cannot read %s", o->files[k]);

      int32_t cap = (int32_t) len + 16;
      llama_token *ids = malloc ((size_t) cap * sizeof *ids);
      int32_t n = llama_tokenize (v, text, (int32_t) len, ids, cap, !o->no_bos, !o->no_special);
      if (n < 0)
        {
          cap = -n;
          ids = realloc (ids, (size_t) cap * sizeof *ids);
          n = llama_tokenize (v, text, (int32_t) len, ids, cap, !o->no_bos, !o->no_special);
        }
      if (n < 0)
        return fail ("tokenize failed");
      for (int32_t i = 0; i < n; i++)
        printf (i ? " %d" : "%d", ids[i]);
      putchar ('\n');
      free (ids);
      free (text);
    }
  llama_model_free (m);
  return 0;
}

static int
cmd_logits (const options *o)
{
  int32_t n;
  int32_t *ids = o->tokens ? parse_ids (o->tokens, &n) : NULL;
  if (ids == NULL || o->out == NULL)
    return fail ("logits needs --tokens \"IDS\" and --out PATH");

  struct llama_model *m = load_model (o, false, true);
  if (m == NULL || !check_ids (m, ids, n))
    return 1;
  struct llama_context *c = new_context (o, m, round_up ((uint32_t) n, 256), (uint32_t) n, true);
  if (c == NULL || !decode (c, ids, n, 0, o->all))
    return 1;

  const int32_t n_vocab = llama_vocab_n_tokens (llama_model_get_vocab (m));
  FILE *fp = fopen (o->out, "wb");
  if (fp == NULL)
    return fail ("cannot write %s", o->out);
  for (int32_t i = o->all ? 0 : n - 1; i < n; i++)
    {
      const float *l = llama_get_logits_ith (c, i);
      if (l == NULL || fwrite (l, sizeof (float), (size_t) n_vocab, fp) != (size_t) n_vocab)
        return fail ("no logits for position %d", i);
    }
  if (fclose (fp) != 0)
    return fail ("cannot write %s", o->out);

  free (ids);
  llama_free (c);
  llama_model_free (m);
  return 0;
}

static void
top2 (const float *l, int32_t n, int32_t *best, float *margin)
{
  int32_t b = 0;
  float v1 = -INFINITY, v2 = -INFINITY;
  for (int32_t i = 0; i < n; i++)
    {
      if (l[i] > v1)
        {
          v2 = v1;
          v1 = l[i];
          b = i;
        }
      else if (l[i] > v2)
        v2 = l[i];
    }
  *best = b;
  *margin = v1 - v2;
}

/* Greedy continuation; prints the generated ids (not the prompt) on one
 * line and stops after an end-of-generation token, like gemlet-cli.  The
 * top-2 margin of every step goes to --margins so a near-tie can be told
 * from a real divergence. */
static int
cmd_generate (const options *o)
{
  int32_t n;
  int32_t *ids = o->tokens ? parse_ids (o->tokens, &n) : NULL;
  if (ids == NULL || o->n_predict <= 0)
    return fail ("generate needs --tokens \"IDS\" and -n N");

  struct llama_model *m = load_model (o, false, true);
  if (m == NULL || !check_ids (m, ids, n))
    return 1;
  const struct llama_vocab *v = llama_model_get_vocab (m);
  const int32_t n_vocab = llama_vocab_n_tokens (v);
  struct llama_context *c = new_context (o, m, round_up ((uint32_t) (n + o->n_predict), 256), (uint32_t) n, true);
  if (c == NULL || !decode (c, ids, n, 0, false))
    return 1;

  FILE *mf = o->margins ? fopen (o->margins, "w") : NULL;
  if (o->margins && mf == NULL)
    return fail ("cannot write %s", o->margins);
  for (int32_t step = 0; step < o->n_predict; step++)
    {
      int32_t tok;
      float margin;
      const float *l = llama_get_logits_ith (c, -1);
      top2 (l, n_vocab, &tok, &margin);
      double s2 = 0;
      for (int32_t i = 0; i < n_vocab; i++)
        s2 += (double) l[i] * l[i];
      const double rms = sqrt (s2 / n_vocab);
      if (mf)
        fprintf (mf, "%d %d %.9g %.9g\n", step, tok, margin, rms);
      /* past a near-tie nothing is compared: stop there */
      if (o->stop_below > 0 && margin < o->stop_below * rms)
        break;
      printf (step ? " %d" : "%d", tok);
      if (llama_vocab_is_eog (v, tok) || step + 1 == o->n_predict)
        break;
      if (!decode (c, &tok, 1, n + step, false))
        return 1;
    }
  putchar ('\n');
  if (mf)
    fclose (mf);

  free (ids);
  llama_free (c);
  llama_model_free (m);
  return 0;
}

/* Prompt processing and generation speed.  Default llama.cpp settings (what
 * a user gets: flash attention auto, F16 cache, repacked weights) unless
 * --ref-settings. */
static int
cmd_bench (const options *o)
{
  double t0 = now_s ();
  struct llama_model *m = load_model (o, false, o->ref_settings);
  if (m == NULL)
    return 1;
  double t_load = now_s () - t0;
  const int32_t n_vocab = llama_vocab_n_tokens (llama_model_get_vocab (m));
  const int32_t np = o->n_prompt, ng = o->n_predict;
  struct llama_context *c = new_context (o, m, round_up ((uint32_t) (np + ng + 1), 256), (uint32_t) (np > 0 ? np : 1), o->ref_settings);
  if (c == NULL)
    return 1;

  int32_t *ids = malloc ((size_t) (np > 0 ? np : 1) * sizeof *ids);
  uint64_t x = 12345;
  for (int32_t i = 0; i < np; i++)
    {
      x = x * 6364136223846793005ULL + 1442695040888963407ULL;
      ids[i] = i == 0 ? 2 : 200 + (int32_t) ((x >> 33) % (uint64_t) (n_vocab - 200));
    }
  if (np == 0)
    ids[0] = 2;  /* BOS: warm-up and first generated step */

  /* one short warm-up pass so page faults of the mapping are not timed */
  if (!decode (c, ids, 1, 0, false))
    return 1;
  llama_memory_clear (llama_get_memory (c), true);

  double t1 = now_s ();
  if (np > 0 && !decode (c, ids, np, 0, false))
    return 1;
  double t_pp = now_s () - t1;

  double t2 = now_s ();
  int32_t tok = ids[np > 0 ? np - 1 : 0];
  for (int32_t i = 0; i < ng; i++)
    {
      if (!decode (c, &tok, 1, np + i, false))
        return 1;
      float margin;
      top2 (llama_get_logits_ith (c, -1), n_vocab, &tok, &margin);
    }
  double t_tg = now_s () - t2;

  double pp = np > 0 ? np / t_pp : 0.0, tg = ng > 0 ? ng / t_tg : 0.0;
  long rss = peak_rss_kb ();
  if (o->json)
    printf ("{\"engine\": \"llama.cpp\", \"settings\": \"%s\", \"threads\": %d, \"load_s\": %.3f, "
            "\"pp_tokens\": %d, \"pp_tok_s\": %.2f, \"tg_tokens\": %d, \"tg_tok_s\": %.2f, "
            "\"peak_rss_mb\": %.1f, \"cpu_backend\": \"%s\"}\n",
            o->ref_settings ? "reference" : "default", o->threads, t_load, np, pp, ng, tg,
            rss / 1024.0, cpu_backend_path);
  else
    printf ("load %.2f s  pp%d %.2f tok/s  tg%d %.2f tok/s  peak RSS %.1f MB  (%s settings, %d threads)\n",
            t_load, np, pp, ng, tg, rss / 1024.0, o->ref_settings ? "reference" : "default", o->threads);

  free (ids);
  llama_free (c);
  llama_model_free (m);
  return 0;
}

/* Generation after a filled context, at one or more depths, with the
 * semantics of `gemlet-cli bench --depth`: one context sized for the largest
 * depth plus n; fill up to the first depth (timed: pp of the segment), then
 * n single-token steps fed the argmax of the previous logits (timed: tg),
 * fill on to the next depth, ... The generated tokens stay in the context.
 *
 * llama.cpp's default user settings, as llama-cli and llama-server run it:
 * n_batch 2048 and n_ubatch 512 (llama_context_default_params), flash
 * attention auto, F16 K/V, repacked weights, polling worker threads, and a
 * sliding-window cache of window + ubatch (swa_full off: the common
 * library's default; the bare library default is a full-size SWA cache,
 * which would make every window layer attend over the whole context). The
 * fill goes through llama_decode in n_batch chunks, as those programs feed
 * a prompt. */
static int
cmd_bench_depth (const options *o)
{
  int32_t depths[64], n_depths = 0;
  const int32_t ng = o->n_predict;
  char *copy = strdup (o->depth), *save = NULL;

  for (char *t = strtok_r (copy, ",", &save); t != NULL; t = strtok_r (NULL, ",", &save))
    {
      char *end;
      errno = 0;
      long v = strtol (t, &end, 10);
      if (*t == 0 || *end != 0 || errno != 0 || v < 0 || v > INT32_MAX || n_depths == 64)
        return fail ("bad --depth value '%s'", o->depth);
      depths[n_depths++] = (int32_t) v;
    }
  free (copy);
  if (n_depths == 0)
    return fail ("bad --depth value '%s'", o->depth);
  for (int i = 1; i < n_depths; i++) /* sorted, without duplicates */
    for (int j = i; j > 0 && depths[j - 1] > depths[j]; j--)
      {
        int32_t t = depths[j];
        depths[j] = depths[j - 1];
        depths[j - 1] = t;
      }
  {
    int k = 0;
    for (int i = 0; i < n_depths; i++)
      if (k == 0 || depths[i] != depths[k - 1])
        depths[k++] = depths[i];
    n_depths = k;
  }
  for (int i = 1; i < n_depths; i++)
    if (depths[i] - depths[i - 1] < ng)
      return fail ("depths %d and %d are closer than -n %d", depths[i - 1], depths[i], ng);

  double t0 = now_s ();
  struct llama_model *m = load_model (o, false, false);
  if (m == NULL)
    return 1;
  double t_load = now_s () - t0;
  const struct llama_vocab *v = llama_model_get_vocab (m);
  const int32_t n_vocab = llama_vocab_n_tokens (v);
  const int32_t max_depth = depths[n_depths - 1];
  const int32_t n_ctx_train = llama_model_n_ctx_train (m);
  const uint32_t need = (uint32_t) max_depth + (uint32_t) ng + 1;
  if (n_ctx_train > 0 && need > (uint32_t) n_ctx_train)
    return fail ("depth %d plus -n %d needs %u tokens; trained context %d", max_depth, ng, need,
                 n_ctx_train);

  struct llama_context_params cp = llama_context_default_params ();
  cp.n_ctx = round_up (need, 256);
  cp.n_seq_max = 1;
  cp.n_threads = o->threads;
  cp.n_threads_batch = o->threads;
  cp.no_perf = true;
  cp.swa_full = false;
  struct llama_context *c = llama_init_from_model (m, cp);
  if (c == NULL)
    return fail ("cannot create a context (n_ctx %u)", cp.n_ctx);
  const int32_t n_batch = (int32_t) llama_n_batch (c);

  int32_t *ids = malloc ((size_t) (max_depth > 0 ? max_depth : 1) * sizeof *ids);
  uint64_t x = 12345;
  for (int32_t i = 0; i < max_depth; i++)
    {
      x = x * 6364136223846793005ULL + 1442695040888963407ULL;
      ids[i] = i == 0 ? 2 : 200 + (int32_t) ((x >> 33) % (uint64_t) (n_vocab - 200));
    }
  const int32_t bos = 2;

  /* warm-up: one token, untimed, forgotten */
  if (!decode (c, &bos, 1, 0, false))
    return 1;
  llama_memory_clear (llama_get_memory (c), true);

  int32_t n_cur = 0, tok = bos;
  for (int di = 0; di < n_depths; di++)
    {
      const int32_t depth = depths[di], n_fill = depth - n_cur;
      double t_pp = 0.0, t_tg;

      if (n_fill > 0)
        {
          double t1 = now_s ();
          for (int32_t b = 0; b < n_fill; b += n_batch)
            {
              const int32_t nb = n_fill - b < n_batch ? n_fill - b : n_batch;
              /* the fill tokens continue the same pseudo-random sequence */
              if (!decode (c, ids + n_cur + b, nb, n_cur + b, false))
                return 1;
            }
          t_pp = now_s () - t1;
          n_cur = depth;
        }

      double t2 = now_s ();
      for (int32_t i = 0; i < ng; i++)
        {
          float margin;
          if (n_cur > 0)
            top2 (llama_get_logits_ith (c, -1), n_vocab, &tok, &margin);
          if (!decode (c, &tok, 1, n_cur, false))
            return 1;
          n_cur++;
        }
      t_tg = now_s () - t2;

      const double pp = n_fill > 0 ? n_fill / t_pp : 0.0, tg = ng > 0 ? ng / t_tg : 0.0;
      const long rss = peak_rss_kb ();
      if (o->json)
        printf ("{\"engine\": \"llama.cpp\", \"settings\": \"default\", \"depth\": %d, "
                "\"threads\": %d, \"load_s\": %.3f, \"n_ctx\": %u, \"n_batch\": %u, \"n_ubatch\": %u, "
                "\"pp_tokens\": %d, \"pp_tok_s\": %.2f, \"tg_tokens\": %d, \"tg_tok_s\": %.2f, "
                "\"peak_rss_mb\": %.1f, \"cpu_backend\": \"%s\"}\n",
                depth, o->threads, t_load, llama_n_ctx (c), llama_n_batch (c), llama_n_ubatch (c),
                n_fill > 0 ? n_fill : 0, pp, ng, tg, rss / 1024.0, cpu_backend_path);
      else
        printf ("depth %d: fill %d tokens %.2f tok/s, tg%d %.2f tok/s, peak RSS %.1f MB\n", depth,
                n_fill > 0 ? n_fill : 0, pp, ng, tg, rss / 1024.0);
      fflush (stdout);
    }

  free (ids);
  llama_free (c);
  llama_model_free (m);
  return 0;
}

/* --- stats: a look inside, to tune the synthetic weights ---------------- */

static bool
stats_cb (struct ggml_tensor *t, bool ask, void *user)
{
  (void) user;
  bool want = strncmp (t->name, "kq_soft_max-", 12) == 0 || strncmp (t->name, "kq-", 3) == 0
              || strncmp (t->name, "l_out-", 6) == 0 || strcmp (t->name, "result_output") == 0;
  if (ask)
    return want;
  if (!want || t->type != GGML_TYPE_F32 || !ggml_is_contiguous (t))
    return true;

  const float *d = t->data;
  const int64_t n = ggml_nelements (t);
  double s1 = 0, s2 = 0;
  for (int64_t i = 0; i < n; i++)
    {
      if (isinf (d[i]))
        continue;
      s1 += d[i];
      s2 += (double) d[i] * d[i];
    }
  if (strncmp (t->name, "kq_soft_max-", 12) == 0)
    {
      /* rows are key distributions: mean max probability and entropy */
      const int64_t nk = t->ne[0], rows = n / nk;
      double pmax = 0, ent = 0;
      for (int64_t r = 0; r < rows; r++)
        {
          float mx = 0;
          for (int64_t k = 0; k < nk; k++)
            {
              float p = d[r * nk + k];
              mx = p > mx ? p : mx;
              if (p > 0)
                ent -= p * log (p);
            }
          pmax += mx;
        }
      printf ("%-16s rows %6lld  mean max prob %.3f  mean entropy %.3f nats\n", t->name,
              (long long) rows, pmax / rows, ent / rows);
    }
  else if (strncmp (t->name, "kq-", 3) == 0)
    {
      /* raw scores: count only the finite (unmasked) ones */
      int64_t m = 0;
      s1 = s2 = 0;
      for (int64_t i = 0; i < n; i++)
        if (isfinite (d[i]) && d[i] != 0.0f)
          {
            s1 += d[i];
            s2 += (double) d[i] * d[i];
            m++;
          }
      printf ("%-16s score std %.3f (n %lld)\n", t->name,
              m ? sqrt (s2 / m - (s1 / m) * (s1 / m)) : 0.0, (long long) m);
    }
  else
    printf ("%-16s rms %.4f  mean %.4f\n", t->name, sqrt (s2 / n), s1 / n);
  return true;
}

static int
cmd_stats (const options *o)
{
  int32_t n;
  int32_t *ids = o->tokens ? parse_ids (o->tokens, &n) : NULL;
  if (ids == NULL)
    return fail ("stats needs --tokens \"IDS\"");
  struct llama_model *m = load_model (o, false, true);
  if (m == NULL || !check_ids (m, ids, n))
    return 1;

  struct llama_context_params cp = llama_context_default_params ();
  cp.n_ctx = round_up ((uint32_t) n, 256);
  cp.n_batch = cp.n_ubatch = (uint32_t) n;
  cp.n_threads = cp.n_threads_batch = o->threads;
  cp.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_DISABLED;
  cp.type_k = cp.type_v = GGML_TYPE_F32;
  cp.swa_full = true;
  cp.cb_eval = stats_cb;
  struct llama_context *c = llama_init_from_model (m, cp);
  if (c == NULL || !decode (c, ids, n, 0, true))
    return 1;
  free (ids);
  llama_free (c);
  llama_model_free (m);
  return 0;
}

/* --- main --------------------------------------------------------------- */

static void
usage (FILE *fp)
{
  fputs ("Usage:\n"
         "  llama-ref tokenize MODEL (--text T | --file F) [--no-bos] [--no-special]\n"
         "  llama-ref logits MODEL --tokens \"IDS\" --out PATH [--all]\n"
         "  llama-ref generate MODEL --tokens \"IDS\" -n N [--margins PATH [--stop-below F]]\n"
         "  llama-ref bench MODEL [-p 512] [-n 128] [--json] [--ref-settings]\n"
         "  llama-ref bench MODEL --depth D[,D...] [-n 128] [--json]\n"
         "  llama-ref stats MODEL --tokens \"IDS\"\n"
         "Common: -t N (default 2), --cpu-variant NAME (e.g. haswell), -v\n",
         fp);
}

int
main (int argc, char **argv)
{
  options o = { .threads = 2, .n_predict = -1, .n_prompt = 512 };
  const char *cmd;

  if (argc < 3)
    {
      usage (stderr);
      return 2;
    }
  cmd = argv[1];
  o.model = argv[2];
  for (int i = 3; i < argc; i++)
    {
      const char *a = argv[i];
      const char *val = (i + 1 < argc) ? argv[i + 1] : NULL;
#define TAKE(opt) (strcmp (a, opt) == 0 && val && (i++, true))
      if (TAKE ("--text"))
        o.text = val;
      else if (strcmp (a, "--file") == 0 && val && o.n_files < 256 && (i++, true))
        o.files[o.n_files++] = val;
      else if (TAKE ("--tokens"))
        o.tokens = val;
      else if (TAKE ("--out"))
        o.out = val;
      else if (TAKE ("--margins"))
        o.margins = val;
      else if (TAKE ("--stop-below"))
        o.stop_below = atof (val);
      else if (TAKE ("--depth"))
        o.depth = val;
      else if (TAKE ("--cpu-variant"))
        o.variant = val;
      else if (TAKE ("-t") || TAKE ("--threads"))
        o.threads = atoi (val);
      else if (TAKE ("-n"))
        o.n_predict = atoi (val);
      else if (TAKE ("-p"))
        o.n_prompt = atoi (val);
      else if (strcmp (a, "--no-bos") == 0)
        o.no_bos = true;
      else if (strcmp (a, "--no-special") == 0)
        o.no_special = true;
      else if (strcmp (a, "--all") == 0)
        o.all = true;
      else if (strcmp (a, "--json") == 0)
        o.json = true;
      else if (strcmp (a, "--ref-settings") == 0)
        o.ref_settings = true;
      else if (strcmp (a, "-v") == 0)
        o.verbose = true;
      else
        {
          fprintf (stderr, "llama-ref: bad argument '%s'\n", a);
          usage (stderr);
          return 2;
        }
#undef TAKE
    }
  if (o.threads < 1)
    o.threads = 1;
  verbose_log = o.verbose;
  if (!load_backends (&o))
    return 1;

  int r;
  if (strcmp (cmd, "tokenize") == 0)
    r = cmd_tokenize (&o);
  else if (strcmp (cmd, "logits") == 0)
    r = cmd_logits (&o);
  else if (strcmp (cmd, "generate") == 0)
    r = cmd_generate (&o);
  else if (strcmp (cmd, "bench") == 0)
    {
      if (o.n_predict < 0)
        o.n_predict = 128;
      if (o.depth != NULL && o.ref_settings)
        r = fail ("--depth runs with llama.cpp's default settings only");
      else
        r = o.depth != NULL ? cmd_bench_depth (&o) : cmd_bench (&o);
    }
  else if (strcmp (cmd, "stats") == 0)
    r = cmd_stats (&o);
  else
    {
      usage (stderr);
      r = 2;
    }
  free_pool ();
  llama_backend_free ();
  return r;
}
