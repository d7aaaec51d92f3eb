/* gemlet-cli.c — command-line front end over gemlet.h.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "cli.h"
#include "gemlet.h"

#include <stdio.h>
#include <string.h>

static const struct
{
  const char *name;
  int (*run) (int argc, char **argv);
  const char *usage;
} commands[] = {
  { "info", cli_info, "info MODEL [--json]" },
  { "tokenize", cli_tokenize, "tokenize MODEL (--text TEXT | --file PATH) [--no-bos] [--no-special]" },
  { "logits", cli_logits, "logits MODEL --tokens \"ID ID ...\" --out PATH [--all]" },
  { "generate", cli_generate,
    "generate MODEL (-p TEXT | --tokens \"IDS\") [-n N] [--greedy | --temp T --top-k K --top-p P --min-p M --seed S] [--chat] [--print-ids]" },
  { "chat", cli_chat, "chat MODEL [--system TEXT]" },
  { "bench", cli_bench, "bench MODEL [-p 512 | --depth D[,D...]] [-n 128] [-t THREADS] [--json]" },
};

static void
usage (FILE *fp)
{
  fputs ("Usage: gemlet-cli COMMAND ...\n\nCommands:\n", fp);
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    fprintf (fp, "  gemlet-cli %s\n", commands[i].usage);
  fputs ("\nEvery command takes -t/--threads N.\n"
         "  gemlet-cli --version   version, CPU features and kernel variant\n", fp);
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
      return commands[i].run (argc - 1, argv + 1);

  fprintf (stderr, "gemlet-cli: unknown command '%s'\n\n", argv[1]);
  usage (stderr);
  return 2;
}
