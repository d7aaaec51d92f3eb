/* error.h — the engine's two ways of reporting an error: a caller's char
 * buffer (internal readers) and a gm_error (public API).
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "gemlet.h"

#include <stddef.h>

/* Formats into err (size bytes); does nothing when err is NULL or size 0. */
void gm_err_printf (char *err, size_t size, const char *fmt, ...)
  __attribute__ ((format (printf, 3, 4)));

/* Fills *err (may be NULL) and returns code, so callers can `return` it. */
gm_status gm_error_set (gm_error *err, gm_status code, const char *fmt, ...)
  __attribute__ ((format (printf, 3, 4)));
