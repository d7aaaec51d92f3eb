/* gemlet-utils.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

char     *gemlet_get_models_dir          (void);
gboolean  gemlet_read_process_memory     (guint64    *rss_bytes,
                                          guint64    *system_available_bytes);
guint64   gemlet_get_available_memory    (void);
char     *gemlet_format_relative_time    (gint64      time_usec,
                                          gint64      now_usec);
char     *gemlet_title_from_text         (const char *text);

G_END_DECLS
