/* gemlet-utils.c
 *
 * Small helpers without a class of their own.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "gemlet-utils"

#include "gemlet-config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib/gi18n.h>

#include "gemlet-utils.h"

/* $XDG_DATA_HOME/gemlet/models: where imported models are copied. */
char *
gemlet_get_models_dir (void)
{
  return g_build_filename (g_get_user_data_dir (), "gemlet", "models", NULL);
}

/* Cheap enough for a timeout: one read of /proc/self/statm and of the start
 * of /proc/meminfo. */
gboolean
gemlet_read_process_memory (guint64 *rss_bytes,
                            guint64 *system_available_bytes)
{
  gboolean ok = TRUE;
  FILE *fp;

  if (rss_bytes != NULL)
    {
      unsigned long size = 0, resident = 0;

      *rss_bytes = 0;
      fp = fopen ("/proc/self/statm", "re");
      if (fp != NULL && fscanf (fp, "%lu %lu", &size, &resident) == 2)
        *rss_bytes = (guint64)resident * (guint64)sysconf (_SC_PAGESIZE);
      else
        ok = FALSE;
      if (fp != NULL)
        fclose (fp);
    }

  if (system_available_bytes != NULL)
    {
      char line[256];

      *system_available_bytes = 0;
      fp = fopen ("/proc/meminfo", "re");
      if (fp == NULL)
        return FALSE;
      while (fgets (line, sizeof line, fp) != NULL)
        {
          unsigned long long kib;

          if (sscanf (line, "MemAvailable: %llu kB", &kib) == 1)
            {
              *system_available_bytes = (guint64)kib * 1024;
              break;
            }
        }
      fclose (fp);
    }

  return ok;
}

/* MemAvailable, or $GEMLET_AVAILABLE_MEMORY (bytes) when set: tests use it
 * to play a machine with little memory. 0 when unknown. */
guint64
gemlet_get_available_memory (void)
{
  const char *env = g_getenv ("GEMLET_AVAILABLE_MEMORY");
  guint64 available = 0;

  if (env != NULL && *env != '\0')
    return g_ascii_strtoull (env, NULL, 10);

  gemlet_read_process_memory (NULL, &available);

  return available;
}

char *
gemlet_format_relative_time (gint64 time_usec,
                             gint64 now_usec)
{
  g_autoptr(GDateTime) then = g_date_time_new_from_unix_local (time_usec / G_USEC_PER_SEC);
  g_autoptr(GDateTime) now = g_date_time_new_from_unix_local (now_usec / G_USEC_PER_SEC);
  GTimeSpan diff = now_usec - time_usec;

  if (then == NULL || now == NULL)
    return g_strdup ("");

  if (diff < G_TIME_SPAN_MINUTE)
    return g_strdup (_("Just now"));

  if (diff < G_TIME_SPAN_HOUR)
    {
      int minutes = diff / G_TIME_SPAN_MINUTE;
      return g_strdup_printf (ngettext ("%d minute ago", "%d minutes ago", minutes), minutes);
    }

  if (g_date_time_get_year (then) == g_date_time_get_year (now) &&
      g_date_time_get_day_of_year (then) == g_date_time_get_day_of_year (now))
    /* Translators: a time today; see g_date_time_format() for the codes */
    return g_date_time_format (then, _("%H:%M"));

  if (diff < 2 * G_TIME_SPAN_DAY)
    return g_strdup (_("Yesterday"));

  if (diff < 7 * G_TIME_SPAN_DAY)
    /* Translators: a weekday; see g_date_time_format() for the codes */
    /* xgettext:no-c-format */
    return g_date_time_format (then, _("%A"));

  if (g_date_time_get_year (then) == g_date_time_get_year (now))
    /* Translators: a date in this year, e.g. “5 March”; see
     * g_date_time_format() for the codes (%e pads the day with a space, %-d does not) */
    return g_date_time_format (then, _("%e %B"));

  /* Translators: a date in another year, e.g. “5 March 2025”; see
   * g_date_time_format() for the codes */
  return g_date_time_format (then, _("%e %B %Y"));
}

/* A conversation title from its first message: the first line, cut at a
 * word boundary near 48 characters. */
char *
gemlet_title_from_text (const char *text)
{
  g_autofree char *line = NULL;
  const char *end;
  glong n_chars;

  if (text == NULL)
    return g_strdup ("");

  while (g_ascii_isspace (*text))
    text++;

  end = strchr (text, '\n');
  line = end ? g_strndup (text, end - text) : g_strdup (text);
  g_strstrip (line);

  if (!g_utf8_validate (line, -1, NULL))
    return g_utf8_make_valid (line, -1);

  n_chars = g_utf8_strlen (line, -1);
  if (n_chars > 48)
    {
      char *cut = g_utf8_offset_to_pointer (line, 48);
      char *space;

      *cut = '\0';
      space = strrchr (line, ' ');
      if (space != NULL && space - line > 24)
        *space = '\0';
      return g_strconcat (g_strchomp (line), "…", NULL);
    }

  return g_steal_pointer (&line);
}
