/* cli-tokenize.c — `gemlet-cli tokenize`: the token ids of a text, one line
 * of space-separated ids, for comparison with llama.cpp.
 *
 *   gemlet-cli tokenize MODEL (--text TEXT | --file PATH) [--no-bos] [--no-special] [-t N]
 *
 * By default a BOS is prepended and control tokens written in the text
 * ("<|turn>") become their ids, as llama.cpp does for chat prompts.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "cli.h"
#include "gemlet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define USAGE \
  "usage: gemlet-cli tokenize MODEL (--text TEXT | --file PATH) [--no-bos] [--no-special] [-t N]"

int
cli_tokenize (int argc, char **argv)
{
  const char *model_path = NULL, *text_arg = NULL, *file_path = NULL;
  bool add_bos = true, parse_special = true;
  long long n_threads = 0;
  char *file_text = NULL;
  const char *text;
  size_t len;
  int32_t *ids = NULL;
  int64_t n;
  gm_load_opts lo;
  gm_model *model = NULL;
  gm_error err = { 0 };
  int status = 1;

  for (int i = 1; i < argc; i++)
    {
      const char *a = argv[i];
      if (strcmp (a, "--text") == 0 && i + 1 < argc)
        text_arg = argv[++i];
      else if (strcmp (a, "--file") == 0 && i + 1 < argc)
        file_path = argv[++i];
      else if (strcmp (a, "--no-bos") == 0)
        add_bos = false;
      else if (strcmp (a, "--no-special") == 0)
        parse_special = false;
      else if ((strcmp (a, "-t") == 0 || strcmp (a, "--threads") == 0) && i + 1 < argc)
        {
          if (!cli_parse_int (argv[++i], 1, 1024, &n_threads))
            return cli_fail ("bad thread count '%s'", argv[i]);
        }
      else if (a[0] == '-' && a[1] != '\0')
        return cli_fail ("tokenize: unknown or incomplete option '%s'\n%s", a, USAGE);
      else if (model_path == NULL)
        model_path = a;
      else
        return cli_fail ("tokenize: unexpected argument '%s'\n%s", a, USAGE);
    }
  if (model_path == NULL || (text_arg == NULL) == (file_path == NULL))
    return cli_fail ("%s", USAGE);

  if (file_path != NULL)
    {
      file_text = cli_read_file (file_path, &len);
      if (file_text == NULL)
        return cli_fail ("cannot read '%s'", file_path);
      text = file_text;
    }
  else
    {
      text = text_arg;
      len = strlen (text_arg);
    }

  gm_load_opts_init (&lo);
  lo.n_threads = (int) n_threads;
  lo.text_only = true;
  model = gm_model_load (model_path, &lo, NULL, NULL, &err);
  if (model == NULL)
    {
      cli_fail ("%s", err.message);
      goto out;
    }

  /* Ask for the count first, then fill a buffer of exactly that size. */
  n = gm_tokenize (model, text, len, add_bos, parse_special, NULL, 0, &err);
  if (n < 0)
    {
      cli_fail ("%s", err.message);
      goto out;
    }
  ids = malloc ((size_t) (n > 0 ? n : 1) * sizeof *ids);
  if (ids == NULL)
    {
      cli_fail ("out of memory for %lld token ids", (long long) n);
      goto out;
    }
  if (gm_tokenize (model, text, len, add_bos, parse_special, ids, (size_t) n, &err) != n)
    {
      cli_fail ("%s", err.message[0] ? err.message : "tokenization changed between calls");
      goto out;
    }
  for (int64_t i = 0; i < n; i++)
    printf (i ? " %d" : "%d", ids[i]);
  putchar ('\n');
  if (fflush (stdout) != 0 || ferror (stdout))
    {
      cli_fail ("error writing the ids");
      goto out;
    }
  status = 0;

out:
  free (ids);
  free (file_text);
  gm_model_free (model);
  return status;
}
