/* cli-common.c — small helpers shared by gemlet-cli's commands.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
cli_fail (const char *fmt, ...)
{
  va_list ap;
  fputs ("gemlet-cli: ", stderr);
  va_start (ap, fmt);
  vfprintf (stderr, fmt, ap);
  va_end (ap);
  fputc ('\n', stderr);
  return 1;
}

bool
cli_parse_int (const char *s, long long min, long long max, long long *out)
{
  char *end = NULL;
  long long v;

  if (s == NULL || *s == '\0')
    return false;
  errno = 0;
  v = strtoll (s, &end, 10);
  if (errno != 0 || *end != '\0' || v < min || v > max)
    return false;
  *out = v;
  return true;
}

bool
cli_parse_float (const char *s, double *out)
{
  char *end = NULL;
  double v;

  if (s == NULL || *s == '\0')
    return false;
  errno = 0;
  v = strtod (s, &end);
  if (errno != 0 || *end != '\0' || v != v)
    return false;
  *out = v;
  return true;
}

bool
cli_parse_ids (const char *s, int32_t **ids, size_t *n)
{
  size_t cap = 16, count = 0;
  int32_t *buf = malloc (cap * sizeof *buf);

  if (buf == NULL)
    return false;
  while (*s != '\0')
    {
      char *end = NULL;
      long long v;

      while (*s == ' ' || *s == ',' || *s == '\t' || *s == '\n')
        s++;
      if (*s == '\0')
        break;
      errno = 0;
      v = strtoll (s, &end, 10);
      if (end == s || errno != 0 || v < 0 || v > INT32_MAX)
        {
          free (buf);
          return false;
        }
      if (count == cap)
        {
          int32_t *nb = realloc (buf, 2 * cap * sizeof *buf);
          if (nb == NULL)
            {
              free (buf);
              return false;
            }
          buf = nb;
          cap *= 2;
        }
      buf[count++] = (int32_t) v;
      s = end;
    }
  *ids = buf;
  *n = count;
  return true;
}

char *
cli_read_file (const char *path, size_t *len)
{
  FILE *fp = fopen (path, "rb");
  char *buf = NULL;
  size_t cap = 0, used = 0;

  if (fp == NULL)
    return NULL;
  for (;;)
    {
      size_t got;
      if (cap - used < 65536)
        {
          char *nb = realloc (buf, cap + 65536 + 1);
          if (nb == NULL)
            {
              free (buf);
              fclose (fp);
              return NULL;
            }
          buf = nb;
          cap += 65536;
        }
      got = fread (buf + used, 1, cap - used, fp);
      used += got;
      if (got == 0)
        break;
    }
  if (ferror (fp))
    {
      free (buf);
      fclose (fp);
      return NULL;
    }
  fclose (fp);
  buf[used] = '\0';
  if (len)
    *len = used;
  return buf;
}
