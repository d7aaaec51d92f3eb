/* ui-test-helpers.h — main-loop driving and check reporting shared by the
 * app's UI tests (a header of static helpers: each test is one program).
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <gtk/gtk.h>

static int failures;

/* Runs the main loop for ms milliseconds. */
static inline void
iterate_for (guint ms)
{
  gint64 end = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < end)
    {
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (1000);
    }
}

/* Runs the main loop until cond(data) holds; FALSE after timeout_ms. */
static inline gboolean
wait_until (gboolean (*cond) (gpointer),
            gpointer   data,
            guint      timeout_ms)
{
  gint64 end = g_get_monotonic_time () + timeout_ms * 1000;

  while (!cond (data))
    {
      if (g_get_monotonic_time () > end)
        return FALSE;
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (1000);
    }

  return TRUE;
}

/* Reports one check (TAP-like lines) and counts failures. */
static inline void
check (gboolean    ok,
       const char *what)
{
  if (!ok)
    {
      failures++;
      g_printerr ("FAIL: %s\n", what);
    }
  else
    g_print ("ok: %s\n", what);
}

static inline void
collect_widgets (GtkWidget *root,
                 GType      type,
                 GPtrArray *out)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      if (G_TYPE_CHECK_INSTANCE_TYPE (child, type))
        g_ptr_array_add (out, child);
      collect_widgets (child, type, out);
    }
}

/* The nth widget of a type below root, depth first. */
static inline GtkWidget *
find_widget (GtkWidget *root,
             GType      type,
             guint      nth)
{
  g_autoptr(GPtrArray) found = g_ptr_array_new ();

  collect_widgets (root, type, found);

  return nth < found->len ? g_ptr_array_index (found, nth) : NULL;
}
