/* cli-info.c — placeholder until the command lands.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "cli.h"

int
cli_info (int argc, char **argv)
{
  (void) argc;
  (void) argv;
  return cli_fail ("'info' is not implemented yet");
}
