/* cli-bench.c — `gemlet-cli bench`: prompt-processing and generation speed.
 *
 *   gemlet-cli bench MODEL [-p 512] [-n 128] [-t THREADS] [-r REPS] [--json]
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
        }
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
    return cli_fail ("usage: gemlet-cli bench MODEL [-p 512] [-n 128] [-t THREADS] [-r REPS] [--json]");
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
    double kv_read = 0.0;
    for (uint32_t l = 0; l < info->n_layer; l++)
      {
        const bool full = l < info->n_layer_full; /* only the counts matter */
        const double d = full ? info->head_dim_full : info->head_dim_swa;
        const double npos = full || mean_pos < info->n_swa ? mean_pos : (double) info->n_swa;
        kv_read += 2.0 * info->n_head_kv * d * (kv_f16 ? 2.0 : 4.0) * npos;
      }
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
        printf (", \"reference\": %s}\n",
                getenv ("GEMLET_REFERENCE") != NULL && strcmp (getenv ("GEMLET_REFERENCE"), "0") != 0
                  ? "true" : "false");
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
