/* cli-logits.c — `gemlet-cli logits`: raw soft-capped logits of a token
 * sequence, for comparison with llama.cpp.
 *
 *   gemlet-cli logits MODEL --tokens "ID ID ..." --out PATH [--all] [-t N]
 *
 * Writes little-endian float32: n_vocab values of the last position, or
 * n_tokens × n_vocab with --all.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "cli.h"
#include "gemlet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
cli_logits (int argc, char **argv)
{
  const char *model_path = NULL, *ids_text = NULL, *out_path = NULL;
  bool all = false, kv_f16 = false, weight_only = false;
  long long n_threads = 0;
  int32_t *ids = NULL;
  size_t n_ids = 0, n_rows;
  gm_load_opts lo;
  gm_session_opts so;
  gm_model *model = NULL;
  gm_session *session = NULL;
  gm_error err = { 0 };
  float *logits = NULL;
  FILE *fp = NULL;
  int status = 1;
  int32_t n_vocab;

  for (int i = 1; i < argc; i++)
    {
      const char *a = argv[i];
      if (strcmp (a, "--tokens") == 0 && i + 1 < argc)
        ids_text = argv[++i];
      else if (strcmp (a, "--out") == 0 && i + 1 < argc)
        out_path = argv[++i];
      else if (strcmp (a, "--all") == 0)
        all = true;
      else if (strcmp (a, "--weight-only") == 0)
        weight_only = true;
      else if (strcmp (a, "--kv-f16") == 0)
        kv_f16 = true;
      else if ((strcmp (a, "-t") == 0 || strcmp (a, "--threads") == 0) && i + 1 < argc)
        {
          if (!cli_parse_int (argv[++i], 1, 1024, &n_threads))
            return cli_fail ("bad thread count '%s'", argv[i]);
        }
      else if (a[0] == '-' && a[1] != '\0')
        return cli_fail ("logits: unknown or incomplete option '%s'", a);
      else if (model_path == NULL)
        model_path = a;
      else
        return cli_fail ("logits: unexpected argument '%s'", a);
    }
  if (model_path == NULL || ids_text == NULL || out_path == NULL)
    return cli_fail ("usage: gemlet-cli logits MODEL --tokens \"ID ID ...\" --out PATH [--all] [-t N] "
                     "[--weight-only]");
  if (!cli_parse_ids (ids_text, &ids, &n_ids))
    return cli_fail ("bad token list '%s'", ids_text);
  if (n_ids == 0)
    {
      free (ids);
      return cli_fail ("no tokens given");
    }

  gm_load_opts_init (&lo);
  lo.n_threads = (int) n_threads;
  lo.weight_only = weight_only;
  model = gm_model_load (model_path, &lo, NULL, NULL, &err);
  if (model == NULL)
    {
      cli_fail ("%s", err.message);
      goto out;
    }
  n_vocab = gm_model_n_vocab (model);
  for (size_t i = 0; i < n_ids; i++)
    if (ids[i] >= n_vocab)
      {
        cli_fail ("token id %d is not below the vocabulary size %d", ids[i], n_vocab);
        goto out;
      }

  gm_session_opts_init (&so);
  so.n_ctx = (uint32_t) n_ids;
  so.n_threads = (int) n_threads;
  so.kv_f16 = kv_f16;
  session = gm_session_new (model, &so, &err);
  if (session == NULL)
    {
      cli_fail ("%s", err.message);
      goto out;
    }
  n_rows = all ? n_ids : 1;
  logits = malloc (n_rows * (size_t) n_vocab * sizeof (float));
  if (logits == NULL)
    {
      cli_fail ("out of memory");
      goto out;
    }
  if (gm_session_eval (session, ids, n_ids, logits, all, &err) != GM_OK)
    {
      cli_fail ("%s", err.message);
      goto out;
    }

  fp = fopen (out_path, "wb");
  if (fp == NULL)
    {
      cli_fail ("cannot write '%s'", out_path);
      goto out;
    }
  /* x86-64 and aarch64 are little-endian: the floats go out as they are */
  if (fwrite (logits, sizeof (float), n_rows * (size_t) n_vocab, fp) != n_rows * (size_t) n_vocab
      || fclose (fp) != 0)
    {
      fp = NULL;
      cli_fail ("error writing '%s'", out_path);
      goto out;
    }
  fp = NULL;
  status = 0;

out:
  if (fp != NULL)
    fclose (fp);
  free (logits);
  free (ids);
  gm_session_free (session);
  gm_model_free (model);
  return status;
}
