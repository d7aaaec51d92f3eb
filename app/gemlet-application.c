/* gemlet-application.c
 *
 * The application: owns the conversation store, the engine worker and the
 * settings; app-wide actions (preferences, about, quit); opens model files
 * given on the command line.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "gemlet-application"

#include "gemlet-config.h"

#include <glib/gi18n.h>

#include "gemlet.h"
#include "gemlet-application.h"
#include "gemlet-preferences-window.h"
#include "gemlet-resources.h"
#include "gemlet-window.h"

struct _GemletApplication
{
  AdwApplication      parent_instance;

  GSettings          *settings;
  GemletStore        *store;
  GError             *store_error;
  GemletEngineWorker *worker;
  guint               store_ready : 1;
};

G_DEFINE_FINAL_TYPE (GemletApplication, gemlet_application, ADW_TYPE_APPLICATION)

enum {
  STORE_OPENED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

GemletApplication *
gemlet_application_new (void)
{
  return g_object_new (GEMLET_TYPE_APPLICATION,
                       "application-id", GEMLET_APP_ID,
                       "flags", G_APPLICATION_HANDLES_OPEN,
                       "resource-base-path", "/io/github/gemlet/Gemlet",
                       NULL);
}

static GemletWindow *
get_window (GemletApplication *self)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (window == NULL)
    {
      window = GTK_WINDOW (gemlet_window_new (self));

      /* Load the last model at start-up. */
      if (gemlet_engine_worker_get_state (self->worker) == GEMLET_ENGINE_STATE_EMPTY)
        {
          g_autofree char *path = g_settings_get_string (self->settings, "selected-model");

          if (*path != '\0' && g_file_test (path, G_FILE_TEST_EXISTS))
            gemlet_window_load_model (GEMLET_WINDOW (window), path);
        }
    }

  return GEMLET_WINDOW (window);
}

static void
gemlet_application_activate (GApplication *app)
{
  gtk_window_present (GTK_WINDOW (get_window (GEMLET_APPLICATION (app))));
}

static void
gemlet_application_open (GApplication  *app,
                         GFile        **files,
                         int            n_files,
                         const char    *hint)
{
  GemletWindow *window = get_window (GEMLET_APPLICATION (app));

  gtk_window_present (GTK_WINDOW (window));
  if (n_files > 0)
    gemlet_window_import_file (window, files[0]);
}

static void
store_open_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GemletApplication) self = user_data;

  if (!gemlet_store_open_finish (GEMLET_STORE (object), result, &self->store_error))
    g_warning ("%s", self->store_error->message);

  self->store_ready = TRUE;
  g_signal_emit (self, signals[STORE_OPENED], 0);
  g_application_release (G_APPLICATION (self));
}

static void
store_write_failed_cb (GemletApplication *self,
                       const GError      *error)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (GEMLET_IS_WINDOW (window))
    gemlet_window_show_toast (GEMLET_WINDOW (window), error->message);
}

static void
preferences_action (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  GemletApplication *self = user_data;
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  gtk_window_present (GTK_WINDOW (gemlet_preferences_window_new (window, self->settings, self->worker)));
}

char *
gemlet_application_dup_debug_info (GemletApplication *self)
{
  GString *str = g_string_new (NULL);

  g_string_append_printf (str, "Gemlet %s\n", GEMLET_VERSION);
  g_string_append_printf (str, "Engine: %s\n", gm_version ());
  g_string_append_printf (str, "Kernel variant: %s\n", gm_kernel_variant ());
  g_string_append_printf (str, "CPU features: %s\n", gm_cpu_features ());
  g_string_append_printf (str, "GTK: %u.%u.%u (built with %d.%d.%d)\n",
                          gtk_get_major_version (), gtk_get_minor_version (), gtk_get_micro_version (),
                          GTK_MAJOR_VERSION, GTK_MINOR_VERSION, GTK_MICRO_VERSION);
  g_string_append_printf (str, "libadwaita: %u.%u.%u (built with %d.%d.%d)\n",
                          adw_get_major_version (), adw_get_minor_version (), adw_get_micro_version (),
                          ADW_MAJOR_VERSION, ADW_MINOR_VERSION, ADW_MICRO_VERSION);
  g_string_append_printf (str, "GLib: %u.%u.%u\n", glib_major_version, glib_minor_version, glib_micro_version);
  if (self->store != NULL)
    g_string_append_printf (str, "Conversations: %s\n", gemlet_store_get_path (self->store));
  g_string_append_printf (str, "Flatpak: %s\n", g_file_test ("/.flatpak-info", G_FILE_TEST_EXISTS) ? "yes" : "no");

  return g_string_free (str, FALSE);
}

static void
about_action (GSimpleAction *action,
              GVariant      *parameter,
              gpointer       user_data)
{
  GemletApplication *self = user_data;
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));
  g_autofree char *debug_info = gemlet_application_dup_debug_info (self);
  const char *developers[] = { "The Gemlet developers", NULL };

#if ADW_CHECK_VERSION (1, 5, 0)
  AdwDialog *about = adw_about_dialog_new ();

  adw_about_dialog_set_application_name (ADW_ABOUT_DIALOG (about), _("Gemlet"));
  adw_about_dialog_set_application_icon (ADW_ABOUT_DIALOG (about), GEMLET_APP_ID);
  adw_about_dialog_set_developer_name (ADW_ABOUT_DIALOG (about), _("The Gemlet developers"));
  adw_about_dialog_set_version (ADW_ABOUT_DIALOG (about), GEMLET_VERSION);
  adw_about_dialog_set_comments (ADW_ABOUT_DIALOG (about),
                                 _("Chat with Gemma privately, on your own computer"));
  adw_about_dialog_set_website (ADW_ABOUT_DIALOG (about), "https://github.com/gemlet/gemlet");
  adw_about_dialog_set_issue_url (ADW_ABOUT_DIALOG (about), "https://github.com/gemlet/gemlet/issues");
  adw_about_dialog_set_license_type (ADW_ABOUT_DIALOG (about), GTK_LICENSE_GPL_3_0);
  adw_about_dialog_set_developers (ADW_ABOUT_DIALOG (about), developers);
  adw_about_dialog_set_debug_info (ADW_ABOUT_DIALOG (about), debug_info);
  adw_about_dialog_set_debug_info_filename (ADW_ABOUT_DIALOG (about), "gemlet-debug-info.txt");
  adw_about_dialog_add_legal_section (ADW_ABOUT_DIALOG (about), _("Gemma Models"), NULL,
                                      GTK_LICENSE_CUSTOM,
                                      _("Gemma is provided under and subject to the Gemma Terms of Use "
                                        "found at ai.google.dev/gemma/terms. Models are not part of Gemlet."));
  adw_dialog_present (about, GTK_WIDGET (window));
#else
  GtkWidget *about = adw_about_window_new ();

  gtk_window_set_transient_for (GTK_WINDOW (about), window);
  adw_about_window_set_application_name (ADW_ABOUT_WINDOW (about), _("Gemlet"));
  adw_about_window_set_application_icon (ADW_ABOUT_WINDOW (about), GEMLET_APP_ID);
  adw_about_window_set_developer_name (ADW_ABOUT_WINDOW (about), _("The Gemlet developers"));
  adw_about_window_set_version (ADW_ABOUT_WINDOW (about), GEMLET_VERSION);
  adw_about_window_set_comments (ADW_ABOUT_WINDOW (about),
                                 _("Chat with Gemma privately, on your own computer"));
  adw_about_window_set_website (ADW_ABOUT_WINDOW (about), "https://github.com/gemlet/gemlet");
  adw_about_window_set_issue_url (ADW_ABOUT_WINDOW (about), "https://github.com/gemlet/gemlet/issues");
  adw_about_window_set_license_type (ADW_ABOUT_WINDOW (about), GTK_LICENSE_GPL_3_0);
  adw_about_window_set_developers (ADW_ABOUT_WINDOW (about), developers);
  adw_about_window_set_debug_info (ADW_ABOUT_WINDOW (about), debug_info);
  adw_about_window_set_debug_info_filename (ADW_ABOUT_WINDOW (about), "gemlet-debug-info.txt");
  adw_about_window_add_legal_section (ADW_ABOUT_WINDOW (about), _("Gemma Models"), NULL,
                                      GTK_LICENSE_CUSTOM,
                                      _("Gemma is provided under and subject to the Gemma Terms of Use "
                                        "found at ai.google.dev/gemma/terms. Models are not part of Gemlet."));
  gtk_window_present (GTK_WINDOW (about));
#endif
}

static void
quit_action (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  GemletApplication *self = user_data;
  GList *windows = gtk_application_get_windows (GTK_APPLICATION (self));

  for (GList *l = windows; l != NULL; l = l->next)
    gtk_window_close (l->data);
}

static const GActionEntry app_actions[] = {
  { .name = "preferences", .activate = preferences_action },
  { .name = "about", .activate = about_action },
  { .name = "quit", .activate = quit_action },
};

static int
gemlet_application_handle_local_options (GApplication *app,
                                         GVariantDict *options)
{
  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("Gemlet %s\n", GEMLET_VERSION);
      g_print ("Engine %s, kernels: %s\n", gm_version (), gm_kernel_variant ());
      g_print ("CPU features: %s\n", gm_cpu_features ());
      g_print ("GTK %u.%u.%u (built with %d.%d.%d), libadwaita %u.%u.%u (built with %d.%d.%d)\n",
               gtk_get_major_version (), gtk_get_minor_version (), gtk_get_micro_version (),
               GTK_MAJOR_VERSION, GTK_MINOR_VERSION, GTK_MICRO_VERSION,
               adw_get_major_version (), adw_get_minor_version (), adw_get_micro_version (),
               ADW_MAJOR_VERSION, ADW_MINOR_VERSION, ADW_MICRO_VERSION);
      return 0;
    }

  return G_APPLICATION_CLASS (gemlet_application_parent_class)->handle_local_options (app, options);
}

static void
gemlet_application_startup (GApplication *app)
{
  GemletApplication *self = GEMLET_APPLICATION (app);
  static const char * const quit_accels[] = { "<Control>q", NULL };
  static const char * const prefs_accels[] = { "<Control>comma", NULL };
  static const char * const help_accels[] = { "<Control>question", NULL };

  /* The static library's resource must be registered by reference, or the
   * linker drops it. */
  g_resources_register (gemlet_get_resource ());

  /* The history is opened on the store's thread while GTK starts up; a
   * long one is then ready by the time the window is. Keep running until
   * it is open, even without a window. */
  self->store = gemlet_store_new (NULL);
  g_signal_connect_swapped (self->store, "write-failed", G_CALLBACK (store_write_failed_cb), self);
  g_application_hold (app);
  gemlet_store_open_async (self->store, NULL, store_open_cb, g_object_ref (self));

  G_APPLICATION_CLASS (gemlet_application_parent_class)->startup (app);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions, G_N_ELEMENTS (app_actions), self);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.preferences", prefs_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.show-help-overlay", help_accels);

  self->settings = g_settings_new (GEMLET_APP_ID);
  self->worker = gemlet_engine_worker_new ();
}

static void
gemlet_application_shutdown (GApplication *app)
{
  GemletApplication *self = GEMLET_APPLICATION (app);

  if (self->store != NULL)
    {
      gemlet_store_purge_deleted (self->store);
      gemlet_store_sync (self->store);
    }

  G_APPLICATION_CLASS (gemlet_application_parent_class)->shutdown (app);
}

static void
gemlet_application_finalize (GObject *object)
{
  GemletApplication *self = (GemletApplication *)object;

  g_clear_object (&self->store);
  g_clear_object (&self->worker);
  g_clear_object (&self->settings);
  g_clear_error (&self->store_error);

  G_OBJECT_CLASS (gemlet_application_parent_class)->finalize (object);
}

static void
gemlet_application_class_init (GemletApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->finalize = gemlet_application_finalize;
  app_class->startup = gemlet_application_startup;
  app_class->shutdown = gemlet_application_shutdown;
  app_class->activate = gemlet_application_activate;
  app_class->open = gemlet_application_open;
  app_class->handle_local_options = gemlet_application_handle_local_options;

  /**
   * GemletApplication::store-opened:
   *
   * The conversation store finished opening (see
   * gemlet_application_get_store_error() for failure).
   */
  signals[STORE_OPENED] =
    g_signal_new ("store-opened",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
}

static void
gemlet_application_init (GemletApplication *self)
{
  static const GOptionEntry entries[] = {
    { "version", 0, 0, G_OPTION_ARG_NONE, NULL,
      N_("Show the version, the CPU features found and the kernels chosen"), NULL },
    { NULL }
  };

  g_application_add_main_option_entries (G_APPLICATION (self), entries);
}

GemletStore *
gemlet_application_get_store (GemletApplication *self)
{
  g_return_val_if_fail (GEMLET_IS_APPLICATION (self), NULL);

  return self->store;
}

const GError *
gemlet_application_get_store_error (GemletApplication *self)
{
  g_return_val_if_fail (GEMLET_IS_APPLICATION (self), NULL);

  return self->store_error;
}

gboolean
gemlet_application_get_store_ready (GemletApplication *self)
{
  g_return_val_if_fail (GEMLET_IS_APPLICATION (self), FALSE);

  return self->store_ready;
}

GemletEngineWorker *
gemlet_application_get_worker (GemletApplication *self)
{
  g_return_val_if_fail (GEMLET_IS_APPLICATION (self), NULL);

  return self->worker;
}

GSettings *
gemlet_application_get_settings (GemletApplication *self)
{
  g_return_val_if_fail (GEMLET_IS_APPLICATION (self), NULL);

  return self->settings;
}
