/* bench-tokenizer.c — load time and throughput of the tokenizer on a real
 * GGUF vocabulary (not asserted; prints numbers), and a line-by-line id dump
 * for comparisons against llama.cpp.
 *
 *   bench-tokenizer FILE.gguf                 timing on built-in samples
 *   bench-tokenizer FILE.gguf --lines TEXTS [--no-special]
 *                         one line of ids per input line (BOS first; the
 *                         escapes \n and \\ are decoded)
 *
 * As a test (suite 'unit') it reads the file from GEMLET_TOKENIZER_GGUF and
 * is skipped when that is unset, e.g. make one with
 *   gemlet-gen-model --shape tiny --vocab gemma3 --tokenizer-json PATH -o F
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "gguf.h"
#include "tokenizer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec * 1e3 + (double) ts.tv_nsec / 1e6;
}

static const char *const samples[] = {
  "Hello world",
  " Hello  world! How are you?",
  "<bos><|turn>user\nWhat is the capital of France?<turn|>\n<|turn>model\n",
  "Straße, naïve café, 東京は日本の首都です。😀 ¿Qué tal?",
  "int main (void) {\n\treturn 0;\n}\n\n\n",
  "</s> <table><tr><td>x</td></tr></table>",
  "\xff\xfe invalid \xc3( bytes",
};

static size_t
unescape (char *s)
{
  size_t w = 0;
  for (size_t i = 0; s[i]; i++)
    {
      if (s[i] == '\\' && s[i + 1] == 'n')
        s[w++] = '\n', i++;
      else if (s[i] == '\\' && s[i + 1] == '\\')
        s[w++] = '\\', i++;
      else
        s[w++] = s[i];
    }
  s[w] = '\0';
  return w;
}

int
main (int argc, char **argv)
{
  const char *path = argc > 1 ? argv[1] : getenv ("GEMLET_TOKENIZER_GGUF");
  char err[512];
  double t0, t1, t2;
  gguf_file *f;
  gm_tokenizer *tok;

  if (path == NULL || *path == '\0')
    {
      printf ("GEMLET_TOKENIZER_GGUF not set: skipping\n");
      return 77;
    }
  t0 = now_ms ();
  f = gguf_open (path, err, sizeof err);
  if (f == NULL)
    {
      fprintf (stderr, "%s\n", err);
      return 1;
    }
  t1 = now_ms ();
  tok = gm_tokenizer_load (f, err, sizeof err);
  t2 = now_ms ();
  if (tok == NULL)
    {
      fprintf (stderr, "%s\n", err);
      gguf_close (f);
      return 1;
    }

  if (argc > 3 && strcmp (argv[2], "--lines") == 0)
    {
      FILE *fp = fopen (argv[3], "r");
      bool no_special = argc > 4 && strcmp (argv[4], "--no-special") == 0;
      char *line = NULL;
      size_t cap = 0;
      ssize_t n;

      if (fp == NULL)
        {
          perror (argv[3]);
          return 1;
        }
      while ((n = getline (&line, &cap, fp)) >= 0)
        {
          gm_token_vec v = { 0 };
          size_t len;
          if (n > 0 && line[n - 1] == '\n')
            line[--n] = '\0';
          len = unescape (line);
          gm_tokenizer_encode (tok, line, len, true, !no_special, &v);
          for (size_t i = 0; i < v.n; i++)
            printf (i ? " %d" : "%d", v.ids[i]);
          putchar ('\n');
          gm_token_vec_free (&v);
        }
      free (line);
      fclose (fp);
    }
  else
    {
      char *big;
      size_t big_len = 0, unit = 0;
      gm_token_vec v = { 0 };
      double t3, t4;

      printf ("gguf_open %.1f ms, gm_tokenizer_load %.1f ms (%d tokens, %zu merges)\n", t1 - t0,
              t2 - t1, gm_tokenizer_n_vocab (tok), gm_tokenizer_n_merges (tok));
      for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++)
        {
          gm_tokenizer_encode (tok, samples[i], strlen (samples[i]), true, true, &v);
          printf ("%-24.24s →", samples[i]);
          for (size_t k = 0; k < v.n; k++)
            printf (" %d", v.ids[k]);
          putchar ('\n');
          v.n = 0;
        }
      for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++)
        unit += strlen (samples[i]);
      big = malloc (unit * 400);
      for (int r = 0; r < 400; r++)
        for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++)
          {
            memcpy (big + big_len, samples[i], strlen (samples[i]));
            big_len += strlen (samples[i]);
          }
      t3 = now_ms ();
      gm_tokenizer_encode (tok, big, big_len, true, true, &v);
      t4 = now_ms ();
      printf ("encode %zu bytes → %zu tokens in %.1f ms (%.1f MB/s)\n", big_len, v.n, t4 - t3,
              big_len / 1e3 / (t4 - t3));
      gm_token_vec_free (&v);
      free (big);
    }
  gm_tokenizer_free (tok);
  gguf_close (f);
  return 0;
}
