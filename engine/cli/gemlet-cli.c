/* gemlet-cli.c — command-line front end over gemlet.h.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "cli.h"
#include "gemlet.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static const struct
{
  const char *name;
  int (*run) (int argc, char **argv);
  const char *usage;
  const char *help; /* what `gemlet-cli COMMAND --help` adds to the usage */
} commands[] = {
  { "info", cli_info, "info MODEL [--json]",
    "Describe a model file or folder without loading it: architecture, layers,\n"
    "tokenizer, tensor types and a memory estimate (resident weights, weights\n"
    "mapped on demand, KV cache by layer kind, scratch). MODEL is a GGUF file, a\n"
    "mobile checkpoint folder (or a file in it) or a .litertlm bundle.\n"
    "  --json          the same as one JSON object\n" },
  { "tokenize", cli_tokenize,
    "tokenize MODEL (--text TEXT | --file PATH) [--no-bos] [--no-special]",
    "Print the token ids of a text on one line, separated by spaces.\n"
    "  --text TEXT     the text to tokenize\n"
    "  --file PATH     read the text from a file\n"
    "  --no-bos        no beginning-of-sequence token in front\n"
    "  --no-special    control tokens written in the text are plain text\n" },
  { "logits", cli_logits, "logits MODEL --tokens \"ID ID ...\" --out PATH [--all]",
    "Evaluate token ids and write the soft-capped logits as little-endian\n"
    "float32 (n_vocab values of the last position).\n"
    "  --tokens IDS    space-separated token ids\n"
    "  --out PATH      where to write the logits\n"
    "  --all           every position: n_tokens x n_vocab values\n"
    "  --weight-only   mobile checkpoints: float activations instead of the\n"
    "                  checkpoint's static int8 activation scales\n"
    "  --kv-f16        an F16 K/V cache (default F32)\n" },
  { "generate", cli_generate,
    "generate MODEL (-p TEXT | --tokens \"IDS\") [-n N] [--greedy | --temp T --top-k K --top-p P --min-p M --seed S] [--chat] [--print-ids]",
    "Continue a prompt and stream the text to stdout.\n"
    "  -p TEXT         the prompt, tokenized with BOS in front\n"
    "  --tokens IDS    the prompt as space-separated token ids\n"
    "  --chat          wrap the prompt as one user turn in the model's template\n"
    "  -n N            tokens to generate (default 128; -1: until the end of the\n"
    "                  turn or a full context)\n"
    "  --greedy        always the most likely token\n"
    "  --temp T, --top-k K, --top-p P, --min-p M, --seed S\n"
    "                  sampling (defaults: temperature 1, top-k 64, top-p 0.95,\n"
    "                  min-p 0, as Gemma recommends; seed 0)\n"
    "  --ctx N         context length (default: the model's default, 8192 for\n"
    "                  Gemma 4, or prompt + N if more)\n"
    "  --print-ids     print token ids instead of text\n"
    "  --weight-only   mobile checkpoints: float activations (for verification)\n"
    "  --kv-f16        an F16 K/V cache (default F32)\n"
    "  -v, --verbose   timings and memory on stderr at the end\n" },
  { "chat", cli_chat, "chat MODEL [--system TEXT]",
    "Chat on stdin/stdout; each turn reuses the cached conversation, so only the\n"
    "new tokens are evaluated (a line on stderr after each reply says how many).\n"
    "\"/exit\" or end of input quits.\n"
    "  --system TEXT   system prompt\n"
    "  -n N            at most N tokens a reply (default 1024)\n"
    "  --ctx N         context length\n"
    "  --greedy, --seed S\n"
    "                  sampling\n"
    "  --kv-f16        an F16 K/V cache (default F32)\n"
    "  -v, --verbose   the prompt's token ids on stderr before each reply\n" },
  { "bench", cli_bench, "bench MODEL [-p 512 | --depth D[,D...]] [-n 128] [-t THREADS] [--json]",
    "Measure prompt processing and generation speed (tokens/s) and memory.\n"
    "  -p N            prompt tokens (default 512)\n"
    "  -n N            generated tokens (default 128)\n"
    "  -r N            repetitions (median)\n"
    "  --depth D,...   fill one context to each depth in turn and time -n tokens\n"
    "                  there (long-context curve)\n"
    "  --kv-f16        an F16 K/V cache (default F32)\n"
    "  --json          one JSON object a measurement\n" },
};

static void
usage (FILE *fp)
{
  fputs ("Usage: gemlet-cli COMMAND ...\n\nCommands:\n", fp);
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    fprintf (fp, "  gemlet-cli %s\n", commands[i].usage);
  fputs ("\nEvery command takes -t/--threads N.\n"
         "  gemlet-cli COMMAND --help   the options of one command\n"
         "  gemlet-cli --version        version, CPU features and kernel variant\n", fp);
}

static bool
wants_help (int argc, char **argv)
{
  for (int i = 1; i < argc; i++)
    if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0)
      return true;
  return false;
}

int
main (int argc, char **argv)
{
  if (argc < 2 || strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0)
    {
      usage (argc < 2 ? stderr : stdout);
      return argc < 2 ? 2 : 0;
    }
  if (strcmp (argv[1], "--version") == 0)
    {
      printf ("gemlet-cli %s\ncpu features: %s\nkernels: %s\n", gm_version (),
              gm_cpu_features (), gm_kernel_variant ());
      return 0;
    }
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (strcmp (argv[1], commands[i].name) == 0)
      {
        if (wants_help (argc - 1, argv + 1))
          {
            printf ("Usage: gemlet-cli %s [-t THREADS]\n\n%s", commands[i].usage, commands[i].help);
            return 0;
          }
        return commands[i].run (argc - 1, argv + 1);
      }

  fprintf (stderr, "gemlet-cli: unknown command '%s'\n\n", argv[1]);
  usage (stderr);
  return 2;
}
