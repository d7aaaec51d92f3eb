/* gemlet-preferences-window.c
 *
 * Preferences, bound directly to GSettings: how the model is loaded and how
 * replies are sampled. The context length is automatic by default
 * (context-length 0): the row then says which context that gives, from the
 * loaded model, or estimated for the chosen model on a worker thread.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "gemlet-preferences-window"

#include "gemlet-config.h"

#include <glib/gi18n.h>

#include "gemlet-preferences-window.h"
#include "gemlet-utils.h"

struct _GemletPreferencesWindow
{
  AdwPreferencesWindow  parent_instance;

  GSettings            *settings;
  GemletEngineWorker   *worker;
  GCancellable         *cancellable;
  guint                 auto_n_ctx;       /* 0 until known */

  GtkSwitch            *text_only_switch;
  AdwActionRow         *auto_context_row;
  GtkSwitch            *auto_context_switch;
  AdwActionRow         *context_row;
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
update_context_rows (GemletPreferencesWindow *self)
{
  guint n_ctx = g_settings_get_uint (self->settings, "context-length");
  gboolean automatic = n_ctx == 0;
  g_autofree char *subtitle = NULL;

  if (self->auto_n_ctx != 0)
      /* Translators: "Automatic: 32768 tokens, from the memory available (up to 70 % of it)" */
    subtitle = g_strdup_printf (ngettext ("Automatic: %u token, from the memory available "
                                          "(up to %u %% of it)",
                                          "Automatic: %u tokens, from the memory available "
                                          "(up to %u %% of it)",
                                          self->auto_n_ctx),
                                self->auto_n_ctx, GEMLET_AUTO_CONTEXT_PERCENT);
  else
    subtitle = g_strdup_printf (_("The longest context that fits in %u %% of the memory available "
                                  "when the model loads"),
                                GEMLET_AUTO_CONTEXT_PERCENT);
  adw_action_row_set_subtitle (self->auto_context_row, subtitle);

  if (gtk_switch_get_active (self->auto_context_switch) != automatic)
    gtk_switch_set_active (self->auto_context_switch, automatic);
  gtk_widget_set_sensitive (GTK_WIDGET (self->context_row), !automatic);
  if (!automatic)
    gtk_spin_button_set_value (self->context_spin, n_ctx);
  else if (self->auto_n_ctx != 0)
    gtk_spin_button_set_value (self->context_spin, self->auto_n_ctx);
}

static void
auto_context_toggled_cb (GemletPreferencesWindow *self)
{
  gboolean automatic = gtk_switch_get_active (self->auto_context_switch);
  guint current = g_settings_get_uint (self->settings, "context-length");

  if (automatic && current != 0)
    g_settings_set_uint (self->settings, "context-length", 0);
  else if (!automatic && current == 0)
    /* An explicit value starts from what "automatic" gave. */
    g_settings_set_uint (self->settings, "context-length",
                         (guint) gtk_spin_button_get_value (self->context_spin));
}

static void
context_spin_changed_cb (GemletPreferencesWindow *self)
{
  guint value = (guint) gtk_spin_button_get_value (self->context_spin);

  if (!gtk_switch_get_active (self->auto_context_switch) &&
      g_settings_get_uint (self->settings, "context-length") != value)
    g_settings_set_uint (self->settings, "context-length", value);
}

static void
suggest_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  g_task_return_int (task, gemlet_engine_worker_suggest_n_ctx (task_data));
}

static void
suggest_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  gssize n_ctx = g_task_propagate_int (G_TASK (result), NULL);
  GemletPreferencesWindow *self;

  if (n_ctx <= 0 || g_task_return_error_if_cancelled (G_TASK (result)))
    return;

  self = GEMLET_PREFERENCES_WINDOW (user_data);
  self->auto_n_ctx = (guint) n_ctx;
  update_context_rows (self);
}

/* The automatic context: the loaded model's, or else what the chosen
 * model would get now (reading its headers, so on a thread). */
static void
find_auto_context (GemletPreferencesWindow *self)
{
  g_autofree char *selected = g_settings_get_string (self->settings, "selected-model");
  g_autoptr(GTask) task = NULL;

  self->auto_n_ctx = self->worker ? gemlet_engine_worker_get_auto_n_ctx (self->worker) : 0;
  if (self->auto_n_ctx != 0 || *selected == '\0')
    return;

  task = g_task_new (NULL, self->cancellable, suggest_cb, self);
  g_task_set_task_data (task, g_steal_pointer (&selected), g_free);
  g_task_run_in_thread (task, suggest_thread);
}

static void
gemlet_preferences_window_dispose (GObject *object)
{
  GemletPreferencesWindow *self = (GemletPreferencesWindow *)object;

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), GEMLET_TYPE_PREFERENCES_WINDOW);
  g_clear_object (&self->settings);
  g_clear_object (&self->worker);
  g_clear_object (&self->cancellable);

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
  gtk_widget_class_bind_template_child (widget_class, GemletPreferencesWindow, auto_context_row);
  gtk_widget_class_bind_template_child (widget_class, GemletPreferencesWindow, auto_context_switch);
  gtk_widget_class_bind_template_child (widget_class, GemletPreferencesWindow, context_row);
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
gemlet_preferences_window_new (GtkWindow          *parent,
                               GSettings          *settings,
                               GemletEngineWorker *worker)
{
  GemletPreferencesWindow *self;

  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  self = g_object_new (GEMLET_TYPE_PREFERENCES_WINDOW, "transient-for", parent, NULL);
  self->settings = g_object_ref (settings);
  self->worker = worker ? g_object_ref (worker) : NULL;
  self->cancellable = g_cancellable_new ();

  g_settings_bind (settings, "text-only", self->text_only_switch, "active", G_SETTINGS_BIND_DEFAULT);
  /* Not bound: 0 ("automatic") is below the spin button's range. */
  gtk_spin_button_set_value (self->context_spin, 8192);
  find_auto_context (self);
  update_context_rows (self);
  g_signal_connect_object (settings, "changed::context-length", G_CALLBACK (update_context_rows),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_swapped (self->auto_context_switch, "notify::active",
                            G_CALLBACK (auto_context_toggled_cb), self);
  g_signal_connect_swapped (self->context_spin, "value-changed", G_CALLBACK (context_spin_changed_cb), self);
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
