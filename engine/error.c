/* error.c — error formatting shared by the engine's modules.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>

void
gm_err_printf (char *err, size_t size, const char *fmt, ...)
{
  va_list ap;

  if (err == NULL || size == 0)
    return;
  va_start (ap, fmt);
  vsnprintf (err, size, fmt, ap);
  va_end (ap);
}

gm_status
gm_error_set (gm_error *err, gm_status code, const char *fmt, ...)
{
  va_list ap;

  if (err == NULL)
    return code;
  err->code = code;
  va_start (ap, fmt);
  vsnprintf (err->message, sizeof err->message, fmt, ap);
  va_end (ap);
  return code;
}
