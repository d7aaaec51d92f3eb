/* engine-check.h — the engine tests' assertion: report the failure with its
 * location and a printf-style message, keep going, count it; main returns
 * non-zero when `failures` is. Include once per test program.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <stdio.h>

static int failures;

#define CHECK(cond, ...)                                        \
  do {                                                          \
    if (!(cond))                                                \
      {                                                         \
        fprintf (stderr, "%s:%d: ", __FILE__, __LINE__);        \
        fprintf (stderr, __VA_ARGS__);                          \
        fputc ('\n', stderr);                                   \
        failures++;                                             \
      }                                                         \
  } while (0)
