/* gemlet-import-dialog.c
 *
 * Shown after a file is dropped or chosen: what the file is (variant,
 * format, size, memory it needs) or why it cannot be used; then copies it
 * into the models folder with a progress bar, or uses it where it is.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "gemlet-import-dialog"

#include "gemlet-config.h"

#include <glib/gi18n.h>

#include "gemlet-import-dialog.h"

struct _GemletImportDialog
{
  AdwWindow        parent_instance;

  GFile           *file;
  char            *dest_name;
  GCancellable    *cancellable;

  GtkLabel        *title_label;
  GtkLabel        *description_label;
  GtkWidget       *details;
  AdwActionRow    *file_row;
  AdwActionRow    *format_row;
  AdwActionRow    *size_row;
  AdwActionRow    *memory_row;
  GtkProgressBar  *progress_bar;
  GtkWidget       *import_button;
  GtkWidget       *use_button;
  GtkButton       *cancel_button;
};

G_DEFINE_FINAL_TYPE (GemletImportDialog, gemlet_import_dialog, ADW_TYPE_WINDOW)

enum {
  IMPORTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
progress_cb (goffset  current,
             goffset  total,
             gpointer user_data)
{
  GemletImportDialog *self = user_data;
  g_autofree char *done = g_format_size (current);
  g_autofree char *all = g_format_size (total);
  g_autofree char *text = NULL;

  if (self->cancellable == NULL)
    return;

  /* Translators: copy progress, "1.2 GB of 3.3 GB" */
  text = g_strdup_printf (_("%s of %s"), done, all);
  gtk_progress_bar_set_fraction (self->progress_bar, total > 0 ? (double)current / total : 0);
  gtk_progress_bar_set_text (self->progress_bar, text);
}

static void
copy_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GemletImportDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  path = gemlet_import_copy_finish (result, &error);
  g_clear_object (&self->cancellable);

  if (path == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          gtk_window_close (GTK_WINDOW (self));
          return;
        }

      gtk_widget_set_visible (GTK_WIDGET (self->progress_bar), FALSE);
      gtk_label_set_text (self->title_label, _("Could Not Copy the Model"));
      gtk_label_set_text (self->description_label, error->message);
      gtk_widget_set_visible (self->import_button, FALSE);
      gtk_widget_set_visible (self->use_button, TRUE);
      gtk_button_set_label (self->cancel_button, _("_Close"));
      return;
    }

  g_signal_emit (self, signals[IMPORTED], 0, path);
  gtk_window_close (GTK_WINDOW (self));
}

static void
import_cb (GemletImportDialog *self)
{
  self->cancellable = g_cancellable_new ();
  gtk_widget_set_visible (GTK_WIDGET (self->progress_bar), TRUE);
  gtk_widget_set_visible (self->import_button, FALSE);
  gtk_widget_set_visible (self->use_button, FALSE);
  gemlet_import_copy_async (self->file, self->dest_name, progress_cb, self, self->cancellable,
                            copy_cb, g_object_ref (self));
}

static void
use_cb (GemletImportDialog *self)
{
  g_autofree char *path = g_file_get_path (self->file);

  g_signal_emit (self, signals[IMPORTED], 0, path);
  gtk_window_close (GTK_WINDOW (self));
}

static void
cancel_cb (GemletImportDialog *self)
{
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  else
    gtk_window_close (GTK_WINDOW (self));
}

static void
gemlet_import_dialog_dispose (GObject *object)
{
  GemletImportDialog *self = (GemletImportDialog *)object;

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->file);
  g_clear_pointer (&self->dest_name, g_free);
  gtk_widget_dispose_template (GTK_WIDGET (self), GEMLET_TYPE_IMPORT_DIALOG);

  G_OBJECT_CLASS (gemlet_import_dialog_parent_class)->dispose (object);
}

static void
gemlet_import_dialog_class_init (GemletImportDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = gemlet_import_dialog_dispose;

  /**
   * GemletImportDialog::imported:
   * @path: where the model is now
   */
  signals[IMPORTED] =
    g_signal_new ("imported",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/gemlet/Gemlet/gemlet-import-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, GemletImportDialog, title_label);
  gtk_widget_class_bind_template_child (widget_class, GemletImportDialog, description_label);
  gtk_widget_class_bind_template_child (widget_class, GemletImportDialog, details);
  gtk_widget_class_bind_template_child (widget_class, GemletImportDialog, file_row);
  gtk_widget_class_bind_template_child (widget_class, GemletImportDialog, format_row);
  gtk_widget_class_bind_template_child (widget_class, GemletImportDialog, size_row);
  gtk_widget_class_bind_template_child (widget_class, GemletImportDialog, memory_row);
  gtk_widget_class_bind_template_child (widget_class, GemletImportDialog, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, GemletImportDialog, import_button);
  gtk_widget_class_bind_template_child (widget_class, GemletImportDialog, use_button);
  gtk_widget_class_bind_template_child (widget_class, GemletImportDialog, cancel_button);
  gtk_widget_class_bind_template_callback (widget_class, import_cb);
  gtk_widget_class_bind_template_callback (widget_class, use_cb);
  gtk_widget_class_bind_template_callback (widget_class, cancel_cb);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
gemlet_import_dialog_init (GemletImportDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
gemlet_import_dialog_new (GtkWindow              *parent,
                          const GemletImportInfo *info)
{
  GemletImportDialog *self;
  g_autofree char *size = NULL;

  g_return_val_if_fail (info != NULL, NULL);

  self = g_object_new (GEMLET_TYPE_IMPORT_DIALOG, "transient-for", parent, NULL);
  self->file = g_object_ref (info->file);
  self->dest_name = g_strdup (info->dest_name);

  size = g_format_size (info->size);
  if (info->is_folder)
    adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->file_row), _("Folder"));
  adw_action_row_set_subtitle (self->file_row, info->display_name);
  adw_action_row_set_subtitle (self->size_row, size);

  if (info->readable)
    {
      g_autofree char *format = g_strdup_printf ("%s · %s", info->info.format,
                                                 info->info.architecture[0] ? info->info.architecture : "?");

      adw_action_row_set_subtitle (self->format_row, format);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->format_row), info->readable);

  if (info->usable && info->is_projector)
    {
      /* only copied: it is loaded beside a model, never on its own */
      adw_action_row_set_subtitle (self->memory_row, size);
      gtk_label_set_text (self->title_label, info->reason);
      gtk_label_set_text (self->description_label,
                          info->already_installed
                            ? _("This projector is already in your models folder. Gemlet loads it "
                                "beside the model when Text Only is off in Preferences.")
                            : _("The vision and audio part of a Gemma 4 model. Copy it into Gemlet’s "
                                "models folder: it is loaded beside the model when Text Only is off "
                                "in Preferences. Gemlet cannot read images or audio yet, but the "
                                "memory shown is then what the full model needs."));
      gtk_widget_set_visible (self->import_button, !info->already_installed);
      gtk_widget_set_visible (self->use_button, FALSE);
    }
  else if (info->usable)
    {
      g_autofree char *memory = g_format_size (info->expected_memory);
      g_autofree char *memory_text = NULL;

      /* Translators: "about 2.9 GB with 4096 tokens of context" */
      memory_text = g_strdup_printf (ngettext ("about %s with %u token of context",
                                               "about %s with %u tokens of context",
                                               info->n_ctx),
                                     memory, info->n_ctx);
      adw_action_row_set_subtitle (self->memory_row, memory_text);
      gtk_label_set_text (self->title_label, info->reason);
      gtk_label_set_text (self->description_label,
                          info->already_installed
                            ? _("This model is already in your models folder.")
                            : info->part_of_folder
                            ? _("This file is part of a checkpoint folder. Copy the whole folder into "
                                "Gemlet’s models folder, or use it where it is.")
                            : info->is_folder
                            ? _("Copy the checkpoint folder into Gemlet’s models folder, or use it where it is.")
                            : _("Copy it into Gemlet’s models folder, or use it where it is."));
      gtk_widget_set_visible (self->import_button, !info->already_installed);
    }
  else
    {
      gtk_widget_set_visible (GTK_WIDGET (self->memory_row), FALSE);
      gtk_label_set_text (self->title_label, _("This File Cannot Be Used"));
      gtk_label_set_text (self->description_label, info->reason);
      gtk_widget_set_visible (self->import_button, FALSE);
      gtk_widget_set_visible (self->use_button, FALSE);
      gtk_button_set_label (self->cancel_button, _("_Close"));
    }

  return GTK_WIDGET (self);
}
