/* gemlet-preferences-window.c
 *
 * Preferences, bound directly to GSettings: how the model is loaded and how
 * replies are sampled.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "gemlet-preferences-window"

#include "gemlet-config.h"

#include <glib/gi18n.h>

#include "gemlet-preferences-window.h"

struct _GemletPreferencesWindow
{
  AdwPreferencesWindow  parent_instance;

  GSettings            *settings;

  GtkSwitch            *text_only_switch;
  GtkSpinButton        *context_spin;
  GtkSpinButton        *max_reply_spin;
  GtkSpinButton        *threads_spin;
  GtkSpinButton        *temperature_spin;
  GtkSpinButton        *top_k_spin;
  GtkSpinButton        *top_p_spin;
  GtkSpinButton        *min_p_spin;
  GtkSpinButton        *repeat_spin;
  GtkSpinButton        *seed_spin;
};

G_DEFINE_FINAL_TYPE (GemletPreferencesWindow, gemlet_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

static void
reset_sampling_cb (GemletPreferencesWindow *self)
{
  static const char * const keys[] = { "temperature", "top-k", "top-p", "min-p", "repeat-penalty", "seed" };

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    g_settings_reset (self->settings, keys[i]);
}

static void
bind_spin (GemletPreferencesWindow *self,
           const char              *key,
           GtkSpinButton           *spin)
{
  g_settings_bind (self->settings, key, gtk_spin_button_get_adjustment (spin), "value",
                   G_SETTINGS_BIND_DEFAULT);
}

static void
gemlet_preferences_window_dispose (GObject *object)
{
  GemletPreferencesWindow *self = (GemletPreferencesWindow *)object;

  gtk_widget_dispose_template (GTK_WIDGET (self), GEMLET_TYPE_PREFERENCES_WINDOW);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (gemlet_preferences_window_parent_class)->dispose (object);
}

static void
gemlet_preferences_window_class_init (GemletPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = gemlet_preferences_window_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/gemlet/Gemlet/gemlet-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, GemletPreferencesWindow, text_only_switch);
  gtk_widget_class_bind_template_child (widget_class, GemletPreferencesWindow, context_spin);
  gtk_widget_class_bind_template_child (widget_class, GemletPreferencesWindow, max_reply_spin);
  gtk_widget_class_bind_template_child (widget_class, GemletPreferencesWindow, threads_spin);
  gtk_widget_class_bind_template_child (widget_class, GemletPreferencesWindow, temperature_spin);
  gtk_widget_class_bind_template_child (widget_class, GemletPreferencesWindow, top_k_spin);
  gtk_widget_class_bind_template_child (widget_class, GemletPreferencesWindow, top_p_spin);
  gtk_widget_class_bind_template_child (widget_class, GemletPreferencesWindow, min_p_spin);
  gtk_widget_class_bind_template_child (widget_class, GemletPreferencesWindow, repeat_spin);
  gtk_widget_class_bind_template_child (widget_class, GemletPreferencesWindow, seed_spin);
  gtk_widget_class_bind_template_callback (widget_class, reset_sampling_cb);
}

static void
gemlet_preferences_window_init (GemletPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
gemlet_preferences_window_new (GtkWindow *parent,
                               GSettings *settings)
{
  GemletPreferencesWindow *self;

  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  self = g_object_new (GEMLET_TYPE_PREFERENCES_WINDOW, "transient-for", parent, NULL);
  self->settings = g_object_ref (settings);

  g_settings_bind (settings, "text-only", self->text_only_switch, "active", G_SETTINGS_BIND_DEFAULT);
  bind_spin (self, "context-length", self->context_spin);
  bind_spin (self, "max-reply-tokens", self->max_reply_spin);
  bind_spin (self, "threads", self->threads_spin);
  bind_spin (self, "temperature", self->temperature_spin);
  bind_spin (self, "top-k", self->top_k_spin);
  bind_spin (self, "top-p", self->top_p_spin);
  bind_spin (self, "min-p", self->min_p_spin);
  bind_spin (self, "repeat-penalty", self->repeat_spin);
  bind_spin (self, "seed", self->seed_spin);

  return GTK_WIDGET (self);
}
