/* cli-run.c — placeholder until the model commands land.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "cli.h"

#define PLACEHOLDER(fn, name)                                  \
  int fn (int argc, char **argv)                               \
  {                                                            \
    (void) argc;                                               \
    (void) argv;                                               \
    return cli_fail ("'" name "' is not implemented yet");     \
  }

PLACEHOLDER (cli_logits, "logits")
PLACEHOLDER (cli_generate, "generate")
PLACEHOLDER (cli_chat, "chat")
PLACEHOLDER (cli_bench, "bench")
