/* cli-generate.c — `gemlet-cli generate`: one continuation of a prompt.
 *
 *   gemlet-cli generate MODEL (-p TEXT | --tokens "IDS") [-n N]
 *       [--greedy | --temp T --top-k K --top-p P --min-p M --seed S]
 *       [--chat] [--print-ids] [-t N] [--ctx N] [--verbose] [--weight-only]
 *
 * --weight-only (mobile checkpoints): float activations instead of the
 * checkpoint's static int8 activation scales (for verification).
 *
 * -p text is tokenized with a BOS in front (control tokens written in it are
 * honoured); --chat wraps it as one user turn with the model's template.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "cli.h"
#include "gemlet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct
{
  bool print_ids;
  size_t n_printed;
} gen_state;

static bool
on_token (int32_t token, const char *text, size_t len, void *user)
{
  gen_state *gs = user;

  if (gs->print_ids && token == GM_TOKEN_NONE)
    return true;
  if (gs->print_ids)
    printf ("%s%d", gs->n_printed++ > 0 ? " " : "", token);
  else
    fwrite (text, 1, len, stdout);
  fflush (stdout);
  return true;
}

/* Tokenizes text into a malloc'd array. */
static bool
tokenize_all (gm_model *model, const char *text, bool add_bos, int32_t **ids, size_t *n,
              gm_error *err)
{
  size_t len = strlen (text);
  int64_t need = gm_tokenize (model, text, len, add_bos, true, NULL, 0, err);

  if (need < 0)
    return false;
  *ids = malloc ((size_t) (need > 0 ? need : 1) * sizeof **ids);
  if (*ids == NULL)
    return false;
  if (gm_tokenize (model, text, len, add_bos, true, *ids, (size_t) need, err) != need)
    {
      free (*ids);
      *ids = NULL;
      return false;
    }
  *n = (size_t) need;
  return true;
}

int
cli_generate (int argc, char **argv)
{
  const char *model_path = NULL, *prompt_text = NULL, *ids_text = NULL;
  long long n_predict = 128, n_threads = 0, n_ctx = 0, v;
  bool chat = false, verbose = false, kv_f16 = false, weight_only = false;
  double f;
  gen_state gs = { 0 };
  gm_sampling sampling;
  gm_load_opts lo;
  gm_session_opts so;
  gm_model *model = NULL;
  gm_session *session = NULL;
  gm_error err = { 0 };
  gm_generate_stats stats;
  int32_t *ids = NULL;
  size_t n_ids = 0;
  char *rendered = NULL;
  int status = 1;

  gm_sampling_init (&sampling);
  for (int i = 1; i < argc; i++)
    {
      const char *a = argv[i];
      const bool has_val = i + 1 < argc;

      if (strcmp (a, "-p") == 0 && has_val)
        prompt_text = argv[++i];
      else if (strcmp (a, "--tokens") == 0 && has_val)
        ids_text = argv[++i];
      else if (strcmp (a, "-n") == 0 && has_val)
        {
          if (!cli_parse_int (argv[++i], -1, 1 << 30, &n_predict))
            return cli_fail ("bad -n value '%s'", argv[i]);
        }
      else if ((strcmp (a, "-t") == 0 || strcmp (a, "--threads") == 0) && has_val)
        {
          if (!cli_parse_int (argv[++i], 1, 1024, &n_threads))
            return cli_fail ("bad thread count '%s'", argv[i]);
        }
      else if (strcmp (a, "--ctx") == 0 && has_val)
        {
          if (!cli_parse_int (argv[++i], 1, 1 << 24, &n_ctx))
            return cli_fail ("bad --ctx value '%s'", argv[i]);
        }
      else if (strcmp (a, "--greedy") == 0)
        sampling.greedy = true;
      else if (strcmp (a, "--temp") == 0 && has_val)
        {
          if (!cli_parse_float (argv[++i], &f) || f < 0)
            return cli_fail ("bad --temp value '%s'", argv[i]);
          sampling.temperature = (float) f;
        }
      else if (strcmp (a, "--top-k") == 0 && has_val)
        {
          if (!cli_parse_int (argv[++i], 0, INT32_MAX, &v))
            return cli_fail ("bad --top-k value '%s'", argv[i]);
          sampling.top_k = (int32_t) v;
        }
      else if (strcmp (a, "--top-p") == 0 && has_val)
        {
          if (!cli_parse_float (argv[++i], &f) || f < 0 || f > 1)
            return cli_fail ("bad --top-p value '%s'", argv[i]);
          sampling.top_p = (float) f;
        }
      else if (strcmp (a, "--min-p") == 0 && has_val)
        {
          if (!cli_parse_float (argv[++i], &f) || f < 0 || f > 1)
            return cli_fail ("bad --min-p value '%s'", argv[i]);
          sampling.min_p = (float) f;
        }
      else if (strcmp (a, "--seed") == 0 && has_val)
        {
          if (!cli_parse_int (argv[++i], 0, INT64_MAX, &v))
            return cli_fail ("bad --seed value '%s'", argv[i]);
          sampling.seed = (uint64_t) v;
        }
      else if (strcmp (a, "--chat") == 0)
        chat = true;
      else if (strcmp (a, "--weight-only") == 0)
        weight_only = true;
      else if (strcmp (a, "--kv-f16") == 0)
        kv_f16 = true;
      else if (strcmp (a, "--print-ids") == 0)
        gs.print_ids = true;
      else if (strcmp (a, "--verbose") == 0 || strcmp (a, "-v") == 0)
        verbose = true;
      else if (a[0] == '-' && a[1] != '\0')
        return cli_fail ("generate: unknown or incomplete option '%s'", a);
      else if (model_path == NULL)
        model_path = a;
      else
        return cli_fail ("generate: unexpected argument '%s'", a);
    }
  if (model_path == NULL || (prompt_text == NULL) == (ids_text == NULL))
    return cli_fail ("usage: gemlet-cli generate MODEL (-p TEXT | --tokens \"IDS\") [-n N] ...");
  if (chat && prompt_text == NULL)
    return cli_fail ("--chat needs -p TEXT");

  gm_load_opts_init (&lo);
  lo.n_threads = (int) n_threads;
  lo.weight_only = weight_only;
  model = gm_model_load (model_path, &lo, NULL, NULL, &err);
  if (model == NULL)
    {
      cli_fail ("%s", err.message);
      goto out;
    }

  if (ids_text != NULL)
    {
      if (!cli_parse_ids (ids_text, &ids, &n_ids))
        {
          cli_fail ("bad token list '%s'", ids_text);
          goto out;
        }
      for (size_t i = 0; i < n_ids; i++)
        if (ids[i] >= gm_model_n_vocab (model))
          {
            cli_fail ("token id %d is not below the vocabulary size %d", ids[i],
                      gm_model_n_vocab (model));
            goto out;
          }
    }
  else if (chat)
    {
      gm_chat_message msg = { GM_ROLE_USER, prompt_text };

      rendered = gm_chat_render (model, &msg, 1, true, false, &err);
      /* the rendered text starts with <bos> itself */
      if (rendered == NULL || !tokenize_all (model, rendered, false, &ids, &n_ids, &err))
        {
          cli_fail ("cannot prepare the chat prompt: %s", err.message);
          goto out;
        }
    }
  else if (!tokenize_all (model, prompt_text, true, &ids, &n_ids, &err))
    {
      cli_fail ("cannot tokenize the prompt: %s", err.message);
      goto out;
    }
  if (n_ids == 0)
    {
      cli_fail ("the prompt is empty");
      goto out;
    }

  gm_session_opts_init (&so);
  so.n_threads = (int) n_threads;
  so.kv_f16 = kv_f16;
  so.n_ctx = (uint32_t) n_ctx;
  if (n_ctx == 0 && n_predict >= 0 && n_ids + (size_t) n_predict > 8192)
    so.n_ctx = (uint32_t) (n_ids + (size_t) n_predict);
  session = gm_session_new (model, &so, &err);
  if (session == NULL)
    {
      cli_fail ("%s", err.message);
      goto out;
    }
  if (gm_session_generate (session, ids, n_ids, &sampling, (int32_t) n_predict, on_token, &gs,
                           &stats, &err) != GM_OK)
    {
      fputc ('\n', stdout);
      cli_fail ("%s", err.message);
      goto out;
    }
  fputc ('\n', stdout);
  if (verbose)
    fprintf (stderr,
             "prompt: %llu tokens in %.3f s (%.2f tok/s); generated %llu tokens in %.3f s "
             "(%.2f tok/s)%s\n",
             (unsigned long long) stats.n_prompt_tokens, stats.prompt_seconds,
             stats.prompt_seconds > 0 ? (double) stats.n_prompt_tokens / stats.prompt_seconds : 0.0,
             (unsigned long long) stats.n_generated, stats.generate_seconds,
             stats.generate_seconds > 0 ? (double) stats.n_generated / stats.generate_seconds : 0.0,
             stats.stopped_by_eog ? ", stopped at end of turn" : "");
  status = 0;

out:
  free (rendered);
  free (ids);
  gm_session_free (session);
  gm_model_free (model);
  return status;
}
