/* cli-bench.c — `gemlet-cli bench`: prompt-processing and generation speed.
 *
 *   gemlet-cli bench MODEL [-p 512] [-n 128] [-t THREADS] [-r REPS] [--json]
 *   gemlet-cli bench MODEL --depth D[,D...] [-n 128] [-t THREADS] [--json]
 *
 * --depth: generation speed with a D-token context already filled, for one
 * or more depths in one process and one session (sized for the largest
 * depth plus n): fill the context up to the first depth (pp of that fill
 * segment, one gm_session_eval call), generate n tokens, fill on to the next
 * depth, and so on. The generated tokens stay in the context, so the next
 * fill segment is shorter by n; depths must therefore be at least n apart.
 * One line (one JSON object with --json) per depth.
 *
 * Each repetition clears the session, evaluates a p-token prompt in one call
 * (pp), then n single tokens, each fed the argmax of the previous logits
 * (tg). Reported: mean tokens/s over the repetitions and peak RSS (VmHWM).
 * One untimed single-token evaluation first, so page faults of the mapping
 * are not timed (llama-ref bench does the same). --json adds the bytes a
 * decoded token must read (resident weights without the PLE table, one PLE
 * row, the live K/V rows of every layer at the mean tg position), which
 * tests/bench/run-bench.sh divides by measured bandwidth.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "cli.h"
#include "gemlet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double
now_seconds (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + 1e-9 * (double) ts.tv_nsec;
}

static double
peak_rss_mib (void)
{
  FILE *fp = fopen ("/proc/self/status", "r");
  char line[256];
  unsigned long long kb = 0;

  if (fp == NULL)
    return 0.0;
  while (fgets (line, sizeof line, fp) != NULL)
    if (sscanf (line, "VmHWM: %llu kB", &kb) == 1)
      break;
  fclose (fp);
  return (double) kb / 1024.0;
}

/* First index of the largest value: the maximum in 8 independent lanes
 * (vectorizable), then its first position. Timed with tg, so kept cheap. */
static int32_t
argmax (const float *x, int32_t n)
{
  float m[8];
  int32_t j = 0;

  for (int k = 0; k < 8; k++)
    m[k] = x[0];
  for (; j + 8 <= n; j += 8)
    for (int k = 0; k < 8; k++)
      m[k] = x[j + k] > m[k] ? x[j + k] : m[k];
  for (; j < n; j++)
    m[0] = x[j] > m[0] ? x[j] : m[0];
  for (int k = 1; k < 8; k++)
    m[0] = m[k] > m[0] ? m[k] : m[0];
  for (j = 0; j < n; j++)
    if (x[j] == m[0])
      return j;
  return 0;
}

static bool
reference_path (void)
{
  const char *r = getenv ("GEMLET_REFERENCE");
  return r != NULL && strcmp (r, "0") != 0;
}

static void
json_string (FILE *fp, const char *s)
{
  fputc ('"', fp);
  for (; *s; s++)
    {
      if (*s == '"' || *s == '\\')
        fprintf (fp, "\\%c", *s);
      else if ((unsigned char) *s < 0x20)
        fprintf (fp, "\\u%04x", (unsigned char) *s);
      else
        fputc (*s, fp);
    }
  fputc ('"', fp);
}

/* Bytes of K and V a decoded token reads at position pos, over every layer
 * (KV-shared layers read their source's cache): window layers see at most
 * n_swa positions. Only the counts of each kind matter, not their order. */
static double
kv_read_bytes (const gm_checkpoint_info *info, double pos, bool kv_f16)
{
  double kv_read = 0.0;

  for (uint32_t l = 0; l < info->n_layer; l++)
    {
      const bool full = l < info->n_layer_full;
      const double d = full ? info->head_dim_full : info->head_dim_swa;
      const double npos = full || pos < info->n_swa ? pos : (double) info->n_swa;
      kv_read += 2.0 * info->n_head_kv * d * (kv_f16 ? 2.0 : 4.0) * npos;
    }
  return kv_read;
}

/* Parses "D" or "D1,D2,..." into a sorted list without duplicates. */
static bool
parse_depths (const char *s, long long **out, size_t *n_out)
{
  size_t cap = 8, n = 0;
  long long *d = malloc (cap * sizeof *d);
  char *copy = strdup (s), *save = NULL;

  if (d == NULL || copy == NULL)
    {
      free (d);
      free (copy);
      return false;
    }
  for (char *tok = strtok_r (copy, ",", &save); tok != NULL; tok = strtok_r (NULL, ",", &save))
    {
      long long v;

      if (!cli_parse_int (tok, 0, INT32_MAX, &v))
        {
          free (d);
          free (copy);
          return false;
        }
      if (n == cap)
        {
          long long *nd = realloc (d, 2 * cap * sizeof *d);
          if (nd == NULL)
            {
              free (d);
              free (copy);
              return false;
            }
          d = nd;
          cap *= 2;
        }
      d[n++] = v;
    }
  free (copy);
  /* a trailing or doubled comma leaves an empty item: strtok_r skips it, so
   * count commas to refuse "1,,2" and "1," as the junk they are */
  {
    size_t commas = 0;
    for (const char *c = s; *c; c++)
      commas += *c == ',';
    if (n == 0 || commas != n - 1 || s[0] == ',')
      {
        free (d);
        return false;
      }
  }
  for (size_t i = 1; i < n; i++) /* insertion sort: a handful of values */
    for (size_t j = i; j > 0 && d[j - 1] > d[j]; j--)
      {
        long long t = d[j];
        d[j] = d[j - 1];
        d[j - 1] = t;
      }
  {
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
      if (k == 0 || d[i] != d[k - 1])
        d[k++] = d[i];
    n = k;
  }
  *out = d;
  *n_out = n;
  return true;
}

/* A fixed pseudo-random token (BOS at position 0) so runs are comparable. */
static int32_t
bench_token (uint64_t *rng, long long pos, int32_t bos, int32_t n_vocab)
{
  if (pos == 0)
    return bos;
  *rng ^= *rng << 13, *rng ^= *rng >> 7, *rng ^= *rng << 17;
  return (int32_t) (*rng % (uint64_t) n_vocab);
}

typedef struct {
  const char *model_path;
  long long n_gen, n_threads;
  bool json, kv_f16;
  const long long *depths;
  size_t n_depths;
} depth_opts;

static int
bench_depth (const depth_opts *o)
{
  const long long max_depth = o->depths[o->n_depths - 1];
  gm_load_opts lo;
  gm_session_opts so;
  gm_model *model = NULL;
  gm_session *session = NULL;
  gm_error err = { 0 };
  int32_t *fill = NULL, n_vocab, bos, tok = 0;
  float *logits = NULL;
  double t_load;
  int status = 1;
  uint64_t rng = 0x9e3779b97f4a7c15ull;
  long long need;
  const gm_checkpoint_info *info;

  for (size_t i = 1; i < o->n_depths; i++)
    if (o->depths[i] - o->depths[i - 1] < o->n_gen)
      return cli_fail ("bench: depths %lld and %lld are closer than -n %lld: the tokens generated "
                       "at one depth are part of the next depth's context",
                       o->depths[i - 1], o->depths[i], o->n_gen);

  gm_load_opts_init (&lo);
  lo.n_threads = (int) o->n_threads;
  t_load = now_seconds ();
  model = gm_model_load (o->model_path, &lo, NULL, NULL, &err);
  t_load = now_seconds () - t_load;
  if (model == NULL)
    return cli_fail ("%s", err.message);
  info = gm_model_info (model);
  n_vocab = gm_model_n_vocab (model);
  bos = gm_model_bos (model) >= 0 ? gm_model_bos (model) : 0;

  /* the context holds the deepest fill plus its n generated tokens (at
   * least one position, for the warm-up) */
  need = max_depth + o->n_gen > 0 ? max_depth + o->n_gen : 1;
  if (info->n_ctx_train > 0 && (uint64_t) need > info->n_ctx_train)
    {
      cli_fail ("bench: depth %lld plus -n %lld needs a context of %lld tokens; the model's "
                "trained context is %llu", max_depth, o->n_gen, need,
                (unsigned long long) info->n_ctx_train);
      goto out;
    }
  gm_session_opts_init (&so);
  so.n_threads = (int) o->n_threads;
  so.kv_f16 = o->kv_f16;
  so.n_ctx = (uint32_t) need;
  session = gm_session_new (model, &so, &err);
  fill = malloc ((size_t) (max_depth > 0 ? max_depth : 1) * sizeof *fill);
  logits = malloc ((size_t) n_vocab * sizeof *logits);
  if (session == NULL || fill == NULL || logits == NULL)
    {
      cli_fail ("%s", session == NULL ? err.message : "out of memory");
      goto out;
    }

  /* warm-up: one token, untimed, then forgotten */
  if (gm_session_eval (session, &bos, 1, logits, false, &err) != GM_OK)
    {
      cli_fail ("%s", err.message);
      goto out;
    }
  gm_session_truncate (session, 0);

  for (size_t di = 0; di < o->n_depths; di++)
    {
      const long long depth = o->depths[di];
      size_t n_cur;
      long long n_fill;
      double t0, t_pp = 0.0, t_tg = 0.0;

      (void) gm_session_tokens (session, &n_cur);
      n_fill = depth - (long long) n_cur;
      for (long long i = 0; i < n_fill; i++)
        fill[i] = bench_token (&rng, (long long) n_cur + i, bos, n_vocab);
      if (n_fill > 0)
        {
          /* one call, as a prompt is evaluated; the engine splits it */
          t0 = now_seconds ();
          if (gm_session_eval (session, fill, (size_t) n_fill, logits, false, &err) != GM_OK)
            {
              cli_fail ("%s", err.message);
              goto out;
            }
          t_pp = now_seconds () - t0;
        }

      t0 = now_seconds ();
      for (long long i = 0; i < o->n_gen; i++)
        {
          /* from an empty context the first token is BOS */
          tok = depth + i == 0 ? bos : argmax (logits, n_vocab);
          if (gm_session_eval (session, &tok, 1, logits, false, &err) != GM_OK)
            {
              cli_fail ("%s", err.message);
              goto out;
            }
        }
      t_tg = now_seconds () - t0;

      {
        const double pp = t_pp > 0 ? (double) n_fill / t_pp : 0.0;
        const double tg = t_tg > 0 ? (double) o->n_gen / t_tg : 0.0;
        const double mean_pos = (double) depth + (double) (o->n_gen + 1) / 2.0;
        const double kv_read = kv_read_bytes (info, mean_pos, o->kv_f16);
        gm_memory mem;
        double ple_row, bytes_per_token;

        gm_memory_report (model, session, &mem);
        ple_row = info->n_vocab > 0 ? (double) mem.weights_on_demand / (double) info->n_vocab : 0.0;
        bytes_per_token = (double) mem.weights_resident + ple_row + kv_read;
        if (o->json)
          {
            printf ("{\"model\": ");
            json_string (stdout, o->model_path);
            printf (", \"depth\": %lld, \"threads\": %d, \"n_prompt\": %lld, \"n_gen\": %lld, "
                    "\"reps\": 1, \"pp_tok_s\": %.3f, \"tg_tok_s\": %.3f, \"peak_rss_mib\": %.1f, "
                    "\"load_s\": %.3f, \"weights_mib\": %.1f, \"kv_cache_mib\": %.1f, "
                    "\"scratch_mib\": %.1f, \"kernel\": ",
                    depth, gm_session_n_threads (session), n_fill, o->n_gen, pp, tg,
                    peak_rss_mib (), t_load, (double) mem.weights_resident / 1048576.0,
                    (double) mem.kv_cache / 1048576.0, (double) mem.scratch / 1048576.0);
            json_string (stdout, gm_kernel_variant ());
            printf (", \"kv_f16\": %s, \"n_ctx\": %u, \"kv_cache_bytes\": %llu, "
                    "\"kv_used_bytes\": %llu, \"process_rss_mib\": %.1f",
                    o->kv_f16 ? "true" : "false", gm_session_n_ctx (session),
                    (unsigned long long) mem.kv_cache, (unsigned long long) mem.kv_cache_used,
                    (double) mem.process_rss / 1048576.0);
            printf (", \"weights_resident_bytes\": %llu, \"ple_row_bytes\": %.0f, "
                    "\"kv_read_bytes\": %.0f, \"decode_bytes_per_token\": %.0f",
                    (unsigned long long) mem.weights_resident, ple_row, kv_read, bytes_per_token);
            printf (", \"reference\": %s}\n", reference_path () ? "true" : "false");
          }
        else
          {
            if (di == 0)
              printf ("model %s\nthreads %d, kernel %s, context %u, KV %s\n", o->model_path,
                      gm_session_n_threads (session), gm_kernel_variant (),
                      gm_session_n_ctx (session), o->kv_f16 ? "F16" : "F32");
            char fill_s[64] = "no fill";

            if (n_fill > 0)
              snprintf (fill_s, sizeof fill_s, "fill %lld tokens %.2f tok/s", n_fill, pp);
            printf ("depth %lld: %s, tg %lld: %.2f tok/s, "
                    "KV %.1f MiB (%.1f MiB live), peak RSS %.1f MiB\n",
                    depth, fill_s, o->n_gen, tg, (double) mem.kv_cache / 1048576.0,
                    (double) mem.kv_cache_used / 1048576.0, peak_rss_mib ());
          }
        fflush (stdout);
      }
    }
  status = 0;

out:
  free (fill);
  free (logits);
  gm_session_free (session);
  gm_model_free (model);
  return status;
}

int
cli_bench (int argc, char **argv)
{
  const char *model_path = NULL;
  long long n_prompt = 512, n_gen = 128, n_threads = 0, reps = 1;
  bool json = false, kv_f16 = false;
  gm_load_opts lo;
  gm_session_opts so;
  gm_model *model = NULL;
  gm_session *session = NULL;
  gm_error err = { 0 };
  int32_t *prompt = NULL, n_vocab;
  const char *depth_arg = NULL;
  bool have_p = false, have_r = false;
  float *logits = NULL;
  double t_pp = 0.0, t_tg = 0.0, t_load;
  int status = 1;
  uint64_t rng = 0x9e3779b97f4a7c15ull;

  for (int i = 1; i < argc; i++)
    {
      const char *a = argv[i];
      const bool has_val = i + 1 < argc;

      if (strcmp (a, "-p") == 0 && has_val)
        {
          if (!cli_parse_int (argv[++i], 0, 1 << 20, &n_prompt))
            return cli_fail ("bad -p value '%s'", argv[i]);
          have_p = true;
        }
      else if (strcmp (a, "--depth") == 0 && has_val)
        depth_arg = argv[++i];
      else if (strcmp (a, "-n") == 0 && has_val)
        {
          if (!cli_parse_int (argv[++i], 0, 1 << 20, &n_gen))
            return cli_fail ("bad -n value '%s'", argv[i]);
        }
      else if ((strcmp (a, "-t") == 0 || strcmp (a, "--threads") == 0) && has_val)
        {
          if (!cli_parse_int (argv[++i], 1, 1024, &n_threads))
            return cli_fail ("bad thread count '%s'", argv[i]);
        }
      else if (strcmp (a, "-r") == 0 && has_val)
        {
          if (!cli_parse_int (argv[++i], 1, 1000, &reps))
            return cli_fail ("bad -r value '%s'", argv[i]);
          have_r = true;
        }
      else if (strcmp (a, "--json") == 0)
        json = true;
      else if (strcmp (a, "--kv-f16") == 0)
        kv_f16 = true;
      else if (a[0] == '-' && a[1] != '\0')
        return cli_fail ("bench: unknown or incomplete option '%s'", a);
      else if (model_path == NULL)
        model_path = a;
      else
        return cli_fail ("bench: unexpected argument '%s'", a);
    }
  if (model_path == NULL)
    return cli_fail ("usage: gemlet-cli bench MODEL [-p 512] [-n 128] [-t THREADS] [-r REPS] [--json]\n"
                     "       gemlet-cli bench MODEL --depth D[,D...] [-n 128] [-t THREADS] [--json]");
  if (depth_arg != NULL)
    {
      depth_opts d = { .model_path = model_path, .n_gen = n_gen, .n_threads = n_threads,
                       .json = json, .kv_f16 = kv_f16 };
      long long *depths = NULL;
      int r;

      if (have_p || have_r)
        return cli_fail ("bench: --depth fills the context itself and runs once; -p and -r "
                         "do not apply");
      if (!parse_depths (depth_arg, &depths, &d.n_depths))
        return cli_fail ("bad --depth value '%s': token counts from 0 to %d, comma-separated",
                         depth_arg, INT32_MAX);
      d.depths = depths;
      r = bench_depth (&d);
      free (depths);
      return r;
    }
  if (n_prompt + n_gen == 0)
    return cli_fail ("nothing to measure (-p 0 -n 0)");

  gm_load_opts_init (&lo);
  lo.n_threads = (int) n_threads;
  t_load = now_seconds ();
  model = gm_model_load (model_path, &lo, NULL, NULL, &err);
  t_load = now_seconds () - t_load;
  if (model == NULL)
    {
      cli_fail ("%s", err.message);
      goto out;
    }
  n_vocab = gm_model_n_vocab (model);

  gm_session_opts_init (&so);
  so.n_threads = (int) n_threads;
  so.kv_f16 = kv_f16;
  so.n_ctx = (uint32_t) (n_prompt + n_gen + 1);
  session = gm_session_new (model, &so, &err);
  prompt = malloc ((size_t) (n_prompt + 1) * sizeof *prompt);
  logits = malloc ((size_t) n_vocab * sizeof *logits);
  if (session == NULL || prompt == NULL || logits == NULL)
    {
      cli_fail ("%s", session == NULL ? err.message : "out of memory");
      goto out;
    }
  /* a fixed pseudo-random prompt (BOS first) so runs are comparable */
  prompt[0] = gm_model_bos (model) >= 0 ? gm_model_bos (model) : 0;
  for (long long i = 1; i < n_prompt; i++)
    {
      rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
      prompt[i] = (int32_t) (rng % (uint64_t) n_vocab);
    }

  /* warm-up: one token, untimed */
  if (gm_session_eval (session, prompt, 1, logits, false, &err) != GM_OK)
    {
      cli_fail ("%s", err.message);
      goto out;
    }

  for (long long r = 0; r < reps; r++)
    {
      int32_t tok = prompt[0];
      double t0;

      gm_session_truncate (session, 0);
      t0 = now_seconds ();
      if (n_prompt > 0 && gm_session_eval (session, prompt, (size_t) n_prompt, logits, false, &err)
                            != GM_OK)
        {
          cli_fail ("%s", err.message);
          goto out;
        }
      t_pp += now_seconds () - t0;

      t0 = now_seconds ();
      for (long long i = 0; i < n_gen; i++)
        {
          if (n_prompt > 0 || i > 0)
            tok = argmax (logits, n_vocab);
          if (gm_session_eval (session, &tok, 1, logits, false, &err) != GM_OK)
            {
              cli_fail ("%s", err.message);
              goto out;
            }
        }
      t_tg += now_seconds () - t0;
    }

  {
    const double pp = t_pp > 0 ? (double) (n_prompt * reps) / t_pp : 0.0;
    const double tg = t_tg > 0 ? (double) (n_gen * reps) / t_tg : 0.0;
    const int threads = gm_session_n_threads (session);
    gm_memory mem;

    gm_memory_report (model, session, &mem);

    /* bytes a decoded token must read: resident weights (the PLE table is
     * excluded from them), one PLE row, and every layer's K and V rows for
     * the positions it attends to, at the mean tg position */
    const gm_checkpoint_info *info = gm_model_info (model);
    const double mean_pos = (double) n_prompt + (double) (n_gen + 1) / 2.0;
    const double ple_row = info->n_vocab > 0 ? (double) mem.weights_on_demand / (double) info->n_vocab : 0.0;
    const double kv_read = kv_read_bytes (info, mean_pos, kv_f16);
    const double bytes_per_token = (double) mem.weights_resident + ple_row + kv_read;

    if (json)
      {
        printf ("{\"model\": ");
        json_string (stdout, model_path);
        printf (", \"threads\": %d, \"n_prompt\": %lld, \"n_gen\": %lld, \"reps\": %lld, "
                "\"pp_tok_s\": %.3f, \"tg_tok_s\": %.3f, \"peak_rss_mib\": %.1f, "
                "\"load_s\": %.3f, \"weights_mib\": %.1f, \"kv_cache_mib\": %.1f, "
                "\"scratch_mib\": %.1f, \"kernel\": ",
                threads, n_prompt, n_gen, reps, pp, tg, peak_rss_mib (), t_load,
                (double) mem.weights_resident / 1048576.0, (double) mem.kv_cache / 1048576.0,
                (double) mem.scratch / 1048576.0);
        json_string (stdout, gm_kernel_variant ());
        printf (", \"kv_f16\": %s", kv_f16 ? "true" : "false");
        printf (", \"weights_resident_bytes\": %llu, \"ple_row_bytes\": %.0f, "
                "\"kv_read_bytes\": %.0f, \"decode_bytes_per_token\": %.0f",
                (unsigned long long) mem.weights_resident, ple_row, kv_read, bytes_per_token);
        printf (", \"reference\": %s}\n", reference_path () ? "true" : "false");
      }
    else
      printf ("model %s\nthreads %d, kernel %s\npp %lld: %.2f tok/s\ntg %lld: %.2f tok/s\n"
              "peak RSS %.1f MiB, load %.2f s\n",
              model_path, threads, gm_kernel_variant (), n_prompt, pp, n_gen, tg, peak_rss_mib (),
              t_load);
  }
  status = 0;

out:
  free (prompt);
  free (logits);
  gm_session_free (session);
  gm_model_free (model);
  return status;
}
