/* tt.h — small helpers shared by the tokenizer-area tests: checks that
 * report every failure and keep going, and an id-array comparison.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int tt_failures;

#define CHECK(cond)                                                              \
  do                                                                             \
    {                                                                            \
      if (!(cond))                                                               \
        {                                                                        \
          fprintf (stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
          tt_failures++;                                                         \
        }                                                                        \
    }                                                                            \
  while (0)

#define CHECK_EQ_I(a, b)                                                         \
  do                                                                             \
    {                                                                            \
      long long a_ = (long long) (a), b_ = (long long) (b);                      \
      if (a_ != b_)                                                              \
        {                                                                        \
          fprintf (stderr, "%s:%d: %s == %lld, expected %lld\n", __FILE__,       \
                   __LINE__, #a, a_, b_);                                        \
          tt_failures++;                                                         \
        }                                                                        \
    }                                                                            \
  while (0)

#define CHECK_STR(got, want)                                                     \
  do                                                                             \
    {                                                                            \
      const char *g_ = (got), *w_ = (want);                                      \
      if (g_ == NULL || strcmp (g_, w_) != 0)                                    \
        {                                                                        \
          fprintf (stderr, "%s:%d: %s\n  got:  \"%s\"\n  want: \"%s\"\n",        \
                   __FILE__, __LINE__, #got, g_ ? g_ : "(null)", w_);            \
          tt_failures++;                                                         \
        }                                                                        \
    }                                                                            \
  while (0)

/* Compares got[0..n_got) with want[0..n_want), printing both on mismatch. */
static inline bool
tt_ids_equal (const char *file, int line, const char *what, const int32_t *got, size_t n_got,
              const int32_t *want, size_t n_want)
{
  if (n_got == n_want && (n_got == 0 || memcmp (got, want, n_got * sizeof *got) == 0))
    return true;
  fprintf (stderr, "%s:%d: %s\n  got: ", file, line, what);
  for (size_t i = 0; i < n_got; i++)
    fprintf (stderr, " %d", got[i]);
  fprintf (stderr, "\n  want:");
  for (size_t i = 0; i < n_want; i++)
    fprintf (stderr, " %d", want[i]);
  fputc ('\n', stderr);
  tt_failures++;
  return false;
}

#define CHECK_IDS(got, n_got, what, ...)                                         \
  do                                                                             \
    {                                                                            \
      const int32_t want_[] = { __VA_ARGS__ };                                   \
      tt_ids_equal (__FILE__, __LINE__, what, got, n_got, want_,                 \
                    sizeof want_ / sizeof want_[0]);                             \
    }                                                                            \
  while (0)

static inline int
tt_result (const char *name)
{
  if (tt_failures)
    fprintf (stderr, "%s: %d check(s) failed\n", name, tt_failures);
  else
    printf ("%s: all checks passed\n", name);
  return tt_failures ? 1 : 0;
}
