/* check.h — minimal assertions for the GGUF tests: report every failure
 * with its location, keep going, and exit non-zero at the end.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <stdio.h>
#include <string.h>

extern int check_failures;

#define CHECK(cond)                                                          \
  do                                                                         \
    {                                                                        \
      if (!(cond))                                                           \
        {                                                                    \
          fprintf (stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__,  \
                   #cond);                                                   \
          check_failures++;                                                  \
        }                                                                    \
    }                                                                        \
  while (0)

#define CHECK_EQ_U(a, b)                                                     \
  do                                                                         \
    {                                                                        \
      unsigned long long a_ = (unsigned long long) (a);                      \
      unsigned long long b_ = (unsigned long long) (b);                      \
      if (a_ != b_)                                                          \
        {                                                                    \
          fprintf (stderr, "%s:%d: %s == %llu, expected %s == %llu\n",       \
                   __FILE__, __LINE__, #a, a_, #b, b_);                      \
          check_failures++;                                                  \
        }                                                                    \
    }                                                                        \
  while (0)

/* msg must be non-empty and contain needle. */
#define CHECK_MSG(msg, needle)                                               \
  do                                                                         \
    {                                                                        \
      const char *m_ = (msg);                                                \
      if (m_ == NULL || m_[0] == '\0' || strstr (m_, (needle)) == NULL)      \
        {                                                                    \
          fprintf (stderr, "%s:%d: message \"%s\" lacks \"%s\"\n", __FILE__, \
                   __LINE__, m_ ? m_ : "(null)", (needle));                  \
          check_failures++;                                                  \
        }                                                                    \
    }                                                                        \
  while (0)

#define CHECK_DONE()                                                         \
  (check_failures == 0 ? 0                                                   \
                       : (fprintf (stderr, "%d check(s) failed\n",           \
                                   check_failures),                          \
                          1))
