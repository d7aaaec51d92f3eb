/* gemlet-model-picker.c
 *
 * Choosing a model: the four Gemma 4 choices with their download size, the
 * memory they need, where to get them and whether they are installed; the
 * text-only switch; and a way to open any other model file.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "gemlet-model-picker"

#include "gemlet-config.h"

#include <glib/gi18n.h>

#include "gemlet-model-catalog.h"
#include "gemlet-model-picker.h"
#include "gemlet-utils.h"

struct _GemletModelPicker
{
  AdwWindow             parent_instance;

  GSettings            *settings;
  char                 *current_path;

  GPtrArray            *rows;

  AdwPreferencesGroup  *models_group;
  GtkSwitch            *text_only_switch;
};

G_DEFINE_FINAL_TYPE (GemletModelPicker, gemlet_model_picker, ADW_TYPE_WINDOW)

enum {
  MODEL_CHOSEN,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
row_activated_cb (AdwActionRow      *row,
                  GemletModelPicker *self)
{
  const char *path = g_object_get_data (G_OBJECT (row), "path");

  if (path == NULL)
    return;

  g_signal_emit (self, signals[MODEL_CHOSEN], 0, path);
  gtk_window_close (GTK_WINDOW (self));
}

static void
get_clicked_cb (GtkButton         *button,
                GemletModelPicker *self)
{
  const char *url = g_object_get_data (G_OBJECT (button), "url");

#if GTK_CHECK_VERSION (4, 10, 0)
  g_autoptr(GtkUriLauncher) launcher = gtk_uri_launcher_new (url);

  gtk_uri_launcher_launch (launcher, GTK_WINDOW (self), NULL, NULL, NULL);
#else
  gtk_show_uri (GTK_WINDOW (self), url, GDK_CURRENT_TIME);
#endif
}

static char *
describe_entry (const GemletModelEntry *entry,
                gboolean                text_only)
{
  g_autofree char *download = g_format_size (entry->download_bytes);
  g_autofree char *memory = NULL;
  guint64 mem = text_only && entry->memory_text_only_bytes ? entry->memory_text_only_bytes
                                                             : entry->memory_bytes;

  memory = g_format_size (mem);

  if (entry->download_exact)
    /* Translators: "3.3 GB download · needs about 2.9 GB of memory" */
    return g_strdup_printf (_("%s download · needs about %s of memory"), download, memory);

  /* Translators: "about 2.7 GB download · needs about 1.1 GB of memory" */
  return g_strdup_printf (_("about %s download · needs about %s of memory"), download, memory);
}

static void
populate (GemletModelPicker *self)
{
  g_autofree char *models_dir = gemlet_get_models_dir ();
  gboolean text_only = g_settings_get_boolean (self->settings, "text-only");
  const GemletModelEntry *entries;
  guint n;

  for (guint i = 0; i < self->rows->len; i++)
    adw_preferences_group_remove (self->models_group, g_ptr_array_index (self->rows, i));
  g_ptr_array_set_size (self->rows, 0);

  entries = gemlet_model_catalog_get (&n);
  for (guint i = 0; i < n; i++)
    {
      const GemletModelEntry *entry = &entries[i];
      g_autofree char *installed = gemlet_model_entry_find_installed (entry, models_dir);
      g_autofree char *selected = g_settings_get_string (self->settings, "selected-model");
      g_autofree char *title = g_strdup_printf ("%s · %s", entry->title, _(entry->flavour));
      g_autofree char *subtitle = describe_entry (entry, text_only);
      g_autofree char *where = NULL;
      g_autofree char *full_subtitle = NULL;
      GtkWidget *row;

      /* Also models used where they are, without copying. */
      if (installed == NULL && gemlet_model_catalog_find (self->current_path) == entry &&
          g_file_test (self->current_path, G_FILE_TEST_EXISTS))
        installed = g_strdup (self->current_path);
      if (installed == NULL && gemlet_model_catalog_find (selected) == entry &&
          g_file_test (selected, G_FILE_TEST_EXISTS))
        installed = g_strdup (selected);

      row = adw_action_row_new ();
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);

      if (installed != NULL && g_strcmp0 (installed, self->current_path) == 0)
        where = g_strdup (_("In use"));
      else if (installed != NULL)
        where = g_strdup (_("Installed"));
      else
        /* Translators: where to download the model from */
        where = g_strdup_printf (_("From %s on Hugging Face"), entry->repo);
      full_subtitle = g_strdup_printf ("%s\n%s", subtitle, where);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), full_subtitle);
      adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 3);

      if (installed != NULL)
        {
          g_object_set_data_full (G_OBJECT (row), "path", g_strdup (installed), g_free);
          gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
          g_signal_connect (row, "activated", G_CALLBACK (row_activated_cb), self);

          if (g_strcmp0 (installed, self->current_path) == 0)
            {
              GtkWidget *check = gtk_image_new_from_icon_name ("object-select-symbolic");

              gtk_widget_set_tooltip_text (check, _("In Use"));
              adw_action_row_add_suffix (ADW_ACTION_ROW (row), check);
            }
          else
            {
              GtkWidget *arrow = gtk_image_new_from_icon_name ("go-next-symbolic");

              adw_action_row_add_suffix (ADW_ACTION_ROW (row), arrow);
            }
        }
      else
        {
          GtkWidget *button = gtk_button_new_with_mnemonic (_("_Get"));
          g_autofree char *url = gemlet_model_entry_get_url (entry);

          gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
          gtk_widget_set_tooltip_text (button, url);
          g_object_set_data_full (G_OBJECT (button), "url", g_steal_pointer (&url), g_free);
          g_signal_connect (button, "clicked", G_CALLBACK (get_clicked_cb), self);
          adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
        }

      adw_preferences_group_add (self->models_group, row);
      g_ptr_array_add (self->rows, row);
    }
}

/* The window owns the file chooser (and the import that follows). */
static void
open_file_cb (GemletModelPicker *self)
{
  GtkWindow *parent = gtk_window_get_transient_for (GTK_WINDOW (self));

  if (parent != NULL)
    gtk_widget_activate_action (GTK_WIDGET (parent), "win.import-model", NULL);
  gtk_window_close (GTK_WINDOW (self));
}

static void
open_folder_cb (GemletModelPicker *self)
{
  GtkWindow *parent = gtk_window_get_transient_for (GTK_WINDOW (self));

  if (parent != NULL)
    gtk_widget_activate_action (GTK_WIDGET (parent), "win.import-model-folder", NULL);
  gtk_window_close (GTK_WINDOW (self));
}

static void
gemlet_model_picker_dispose (GObject *object)
{
  GemletModelPicker *self = (GemletModelPicker *)object;

  gtk_widget_dispose_template (GTK_WIDGET (self), GEMLET_TYPE_MODEL_PICKER);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->current_path, g_free);
  g_clear_pointer (&self->rows, g_ptr_array_unref);

  G_OBJECT_CLASS (gemlet_model_picker_parent_class)->dispose (object);
}

static void
gemlet_model_picker_class_init (GemletModelPickerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = gemlet_model_picker_dispose;

  signals[MODEL_CHOSEN] =
    g_signal_new ("model-chosen",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/gemlet/Gemlet/gemlet-model-picker.ui");
  gtk_widget_class_bind_template_child (widget_class, GemletModelPicker, models_group);
  gtk_widget_class_bind_template_child (widget_class, GemletModelPicker, text_only_switch);
  gtk_widget_class_bind_template_callback (widget_class, open_file_cb);
  gtk_widget_class_bind_template_callback (widget_class, open_folder_cb);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
gemlet_model_picker_init (GemletModelPicker *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->rows = g_ptr_array_new ();
}

GtkWidget *
gemlet_model_picker_new (GtkWindow  *parent,
                         GSettings  *settings,
                         const char *current_path)
{
  GemletModelPicker *self;

  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  self = g_object_new (GEMLET_TYPE_MODEL_PICKER, "transient-for", parent, NULL);
  self->settings = g_object_ref (settings);
  self->current_path = g_strdup (current_path);
  g_settings_bind (settings, "text-only", self->text_only_switch, "active", G_SETTINGS_BIND_DEFAULT);
  g_signal_connect_object (settings, "changed::text-only", G_CALLBACK (populate), self, G_CONNECT_SWAPPED);
  populate (self);

  return GTK_WIDGET (self);
}
