/* gen-model.c — gemlet-gen-model: writes Gemma 4 GGUF files with
 * deterministic random weights, for the conformance suite and benchmarks;
 * or the F32 twin of an existing file.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "gen-model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void
usage (FILE *fp)
{
  fputs ("Usage: gemlet-gen-model [OPTIONS] -o PATH\n"
         "       gemlet-gen-model --dequant-copy-of FILE -o PATH\n"
         "       gemlet-gen-model --format mobile [--shape tiny|e2b|e4b] [--type f32|blocks] [--seed N]\n"
         "                        -o DIR [--twin PATH | --sparse]\n\n"
         "  --shape tiny|e2b|e4b        default tiny\n"
         "  --type f32|f16|bf16|q8_0|q4_0|q6_k|qat   default f32\n"
         "  --proj-type bf16|f16        type of per_layer_model_proj in quantized files\n"
         "  --vocab small|gemma3        default small (1024 tokens for tiny, 262144 otherwise)\n"
         "  --n-vocab N                 size of the small vocabulary\n"
         "  --tokenizer-json PATH       Gemma 3 tokenizer.json (for --vocab gemma3)\n"
         "  --seed N                    default 1\n"
         "  --compact                   omit K/V tensors on KV-shared layers\n"
         "  --ctx N                     context_length (default 512 tiny, 131072 otherwise)\n"
         "  --direct | --exact          draw quantized blocks directly (default for e2b/e4b)\n"
         "                              or quantize random floats (default for tiny)\n"
         "  -t, --threads N             default: online CPUs\n"
         "  --dequant-copy-of FILE      write the F32 twin of FILE (dequantized weights)\n"
         "  --format gguf|mobile        mobile: a compressed-tensors checkpoint folder\n"
         "  --twin PATH                 with --format mobile: also its GGUF twin, F32 or\n"
         "                              (--type blocks) Q4_0/Q8_0 blocks with the row scales\n"
         "  --sparse                    with --format mobile: codes left as file holes\n"
         "                              (zero bytes), no twin: full-size shapes in seconds\n",
         fp);
}

static double
now_s (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + 1e-9 * (double) ts.tv_nsec;
}

int
main (int argc, char **argv)
{
  gen_options o = { .shape = "tiny", .type = "f32", .vocab = "small", .seed = 1, .direct = -1 };
  const char *out = NULL, *twin_of = NULL, *format = "gguf", *twin = NULL;
  int n_threads = (int) sysconf (_SC_NPROCESSORS_ONLN);
  char err[512];

  for (int i = 1; i < argc; i++)
    {
      const char *a = argv[i];
      const char *val = (i + 1 < argc) ? argv[i + 1] : NULL;
#define TAKE(opt) (strcmp (a, opt) == 0 && val && (i++, true))
      if (TAKE ("--shape"))
        o.shape = val;
      else if (TAKE ("--type"))
        o.type = val;
      else if (TAKE ("--proj-type"))
        o.proj_type = val;
      else if (TAKE ("--vocab"))
        o.vocab = val;
      else if (TAKE ("--n-vocab"))
        o.n_vocab = (uint32_t) strtoul (val, NULL, 10);
      else if (TAKE ("--tokenizer-json"))
        o.tokenizer_json = val;
      else if (TAKE ("--seed"))
        o.seed = strtoull (val, NULL, 10);
      else if (TAKE ("--ctx"))
        o.ctx = (uint32_t) strtoul (val, NULL, 10);
      else if (TAKE ("-t") || TAKE ("--threads"))
        n_threads = atoi (val);
      else if (TAKE ("-o"))
        out = val;
      else if (TAKE ("--dequant-copy-of"))
        twin_of = val;
      else if (TAKE ("--format"))
        format = val;
      else if (TAKE ("--twin"))
        twin = val;
      else if (strcmp (a, "--sparse") == 0)
        o.sparse = true;
      else if (strcmp (a, "--compact") == 0)
        o.compact = true;
      else if (strcmp (a, "--full") == 0)
        o.compact = false;
      else if (strcmp (a, "--direct") == 0)
        o.direct = 1;
      else if (strcmp (a, "--exact") == 0)
        o.direct = 0;
      else if (strcmp (a, "-h") == 0 || strcmp (a, "--help") == 0)
        {
          usage (stdout);
          return 0;
        }
      else
        {
          fprintf (stderr, "gemlet-gen-model: bad argument '%s'\n\n", a);
          usage (stderr);
          return 2;
        }
#undef TAKE
    }
  if (out == NULL)
    {
      usage (stderr);
      return 2;
    }
  gen_set_threads (n_threads);

  double t0 = now_s ();
  if (twin_of)
    {
      if (!gen_dequant_copy (twin_of, out, err, sizeof err))
        {
          fprintf (stderr, "gemlet-gen-model: %s\n", err);
          return 1;
        }
      fprintf (stderr, "gemlet-gen-model: wrote F32 twin %s in %.1f s\n", out, now_s () - t0);
      return 0;
    }

  if (strcmp (format, "mobile") == 0)
    {
      if (!gen_mobile_write (&o, out, twin, err, sizeof err))
        {
          fprintf (stderr, "gemlet-gen-model: %s\n", err);
          return 1;
        }
      return 0;
    }
  if (strcmp (format, "gguf") != 0)
    {
      fprintf (stderr, "gemlet-gen-model: unknown format '%s'\n", format);
      return 2;
    }
  if (!gen_gemma4_write (&o, out, err, sizeof err))
    {
      fprintf (stderr, "gemlet-gen-model: %s\n", err);
      return 1;
    }
  fprintf (stderr, "gemlet-gen-model: done in %.1f s\n", now_s () - t0);
  return 0;
}
