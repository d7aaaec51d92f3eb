/* cli-tokenize.c — placeholder until the command lands.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "cli.h"

int
cli_tokenize (int argc, char **argv)
{
  (void) argc;
  (void) argv;
  return cli_fail ("'tokenize' is not implemented yet");
}
