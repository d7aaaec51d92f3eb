/* gemlet-import.c
 *
 * Recognising a model file dropped on the window (gm_inspect on a worker
 * thread reads only the headers) and copying it into
 * $XDG_DATA_HOME/gemlet/models with progress and a free-space check.
 * gemlet_import_judge() is the verdict shown to the user, kept free of I/O so
 * it can be tested on its own.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "gemlet-import"

#include "gemlet-config.h"

#include <errno.h>
#include <string.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "gemlet-import.h"
#include "gemlet-utils.h"

void
gemlet_import_info_free (GemletImportInfo *info)
{
  if (info == NULL)
    return;

  g_clear_object (&info->file);
  g_free (info->display_name);
  g_free (info->reason);
  g_free (info);
}

static gboolean
type_is_supported (const char *name)
{
  static const char * const supported[] = {
    "F32", "F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0",
    "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "Q8_K",
  };

  for (guint i = 0; i < G_N_ELEMENTS (supported); i++)
    if (g_str_equal (name, supported[i]))
      return TRUE;

  return FALSE;
}

/* The main quantization of a file: the non-float type of the most tensors. */
static const char *
main_type (const gm_checkpoint_info *info)
{
  const char *best = NULL;
  guint64 most = 0;

  for (guint i = 0; i < info->n_type_stats && i < GM_MAX_TYPE_STATS; i++)
    {
      const gm_type_stat *stat = &info->type_stats[i];

      if (g_str_equal (stat->name, "F32"))
        continue;
      if (stat->n_tensors > most)
        {
          most = stat->n_tensors;
          best = stat->name;
        }
    }

  return best;
}

/* "Gemma 4 E2B · Q4_0" */
char *
gemlet_import_describe (const gm_checkpoint_info *info)
{
  const char *variant;
  const char *type = main_type (info);

  switch (info->variant)
    {
    case GM_VARIANT_E2B: variant = "Gemma 4 E2B"; break;
    case GM_VARIANT_E4B: variant = "Gemma 4 E4B"; break;
    case GM_VARIANT_GEMMA4_OTHER: variant = "Gemma 4"; break;
    case GM_VARIANT_NOT_GEMMA4:
    default:
      variant = info->name[0] ? info->name : info->architecture[0] ? info->architecture : _("Unknown model");
      break;
    }

  if (type != NULL)
    return g_strdup_printf ("%s · %s", variant, type);

  return g_strdup (variant);
}

/**
 * gemlet_import_judge:
 * @info: what gm_inspect() found
 * @reason: (out): a sentence for the user: why it cannot be used, or what it is
 *
 * Returns: whether Gemlet can run the checkpoint
 */
gboolean
gemlet_import_judge (const gm_checkpoint_info  *info,
                     char                     **reason)
{
  g_return_val_if_fail (info != NULL, FALSE);

  switch (info->variant)
    {
    case GM_VARIANT_NOT_GEMMA4:
      if (reason)
        {
          if (info->architecture[0] != '\0')
            *reason = g_strdup_printf (_("This is a “%s” model, not Gemma 4. Gemlet only runs Gemma 4 E2B and E4B."),
                                       info->architecture);
          else
            *reason = g_strdup (_("This file is not a Gemma 4 model. Gemlet only runs Gemma 4 E2B and E4B."));
        }
      return FALSE;

    case GM_VARIANT_GEMMA4_OTHER:
      if (reason)
        *reason = g_strdup_printf (_("This Gemma 4 model has a size Gemlet does not run yet (%s). "
                                     "Gemlet runs Gemma 4 E2B and E4B."),
                                   info->variant_reason[0] ? info->variant_reason : info->name);
      return FALSE;

    case GM_VARIANT_E2B:
    case GM_VARIANT_E4B:
    default:
      break;
    }

  for (guint i = 0; i < info->n_type_stats && i < GM_MAX_TYPE_STATS; i++)
    if (!type_is_supported (info->type_stats[i].name))
      {
        if (reason)
          *reason = g_strdup_printf (_("This model stores weights as %s, which Gemlet cannot read yet."),
                                     info->type_stats[i].name);
        return FALSE;
      }

  if (!info->has_chat_template)
    {
      if (reason)
        *reason = g_strdup (_("This file has no chat template, so it is probably a base model, "
                              "not the instruction-tuned one Gemlet needs (look for “-it” in the name)."));
      return FALSE;
    }

  if (reason)
    *reason = gemlet_import_describe (info);

  return TRUE;
}

guint64
gemlet_import_expected_memory (const gm_checkpoint_info *info)
{
  g_return_val_if_fail (info != NULL, 0);

  /* The per-layer embedding table is mapped and read a row at a time, so it
   * does not need to stay in memory. */
  return info->weights_resident_bytes + info->kv_cache_bytes;
}

gboolean
gemlet_import_check_space (guint64   needed,
                           guint64   available,
                           GError  **error)
{
  /* Keep some room so the disk does not fill up completely. */
  const guint64 margin = 256 * 1024 * 1024;

  if (available >= needed + margin)
    return TRUE;

  {
    g_autofree char *need_str = g_format_size (needed);
    g_autofree char *free_str = g_format_size (available);

    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                 _("Not enough disk space: the model needs %s and only %s is free."),
                 need_str, free_str);
  }

  return FALSE;
}

static gboolean
is_installed (const char *path,
              guint64     size)
{
  g_autofree char *dir = gemlet_get_models_dir ();
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *dest = g_build_filename (dir, base, NULL);
  GStatBuf st;

  return g_stat (dest, &st) == 0 && (guint64)st.st_size == size;
}

/* Blocking; call from a worker thread. */
GemletImportInfo *
gemlet_import_inspect_path (const char  *path,
                            GError     **error)
{
  g_autoptr(GemletImportInfo) result = g_new0 (GemletImportInfo, 1);
  gm_error err = { 0 };
  GStatBuf st;

  if (g_stat (path, &st) != 0)
    {
      int errsv = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   _("Could not open “%s”: %s"), path, g_strerror (errsv));
      return NULL;
    }

  result->file = g_file_new_for_path (path);
  result->display_name = g_path_get_basename (path);
  result->size = st.st_size;

  if (gm_inspect (path, &result->info, &err) != GM_OK)
    {
      result->readable = FALSE;
      result->usable = FALSE;
      if (err.code == GM_ERR_FORMAT)
        result->reason = g_strdup_printf (_("This is not a model file Gemlet can read: %s. "
                                            "Gemlet reads Gemma 4 GGUF files."),
                                          err.message);
      else
        result->reason = g_strdup (err.message[0] ? err.message : _("The file could not be read."));
      return g_steal_pointer (&result);
    }

  result->readable = TRUE;
  result->usable = gemlet_import_judge (&result->info, &result->reason);
  result->expected_memory = gemlet_import_expected_memory (&result->info);
  result->already_installed = is_installed (path, result->size);

  return g_steal_pointer (&result);
}

static void
inspect_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  GFile *file = task_data;
  g_autofree char *path = g_file_get_path (file);
  GemletImportInfo *info;
  GError *error = NULL;

  if (path == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                               _("Only files on this computer can be imported."));
      return;
    }

  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_IS_DIRECTORY,
                               _("“%s” is a folder. Drop the model’s .gguf file instead."), path);
      return;
    }

  info = gemlet_import_inspect_path (path, &error);
  if (info == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, info, (GDestroyNotify)gemlet_import_info_free);
}

void
gemlet_import_inspect_async (GFile               *file,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (G_IS_FILE (file));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, gemlet_import_inspect_async);
  g_task_set_task_data (task, g_object_ref (file), g_object_unref);
  g_task_run_in_thread (task, inspect_thread);
}

GemletImportInfo *
gemlet_import_inspect_finish (GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ------------------------------------------------------------------- copy */

typedef struct
{
  GFile                 *source;
  GFileProgressCallback  progress;
  gpointer               progress_data;
  GMainContext          *context;
  /* progress forwarding */
  goffset                current;
  goffset                total;
  gint                   pending;  /* atomic */
} CopyData;

static void
copy_data_free (CopyData *data)
{
  g_clear_object (&data->source);
  g_clear_pointer (&data->context, g_main_context_unref);
  g_free (data);
}

typedef struct
{
  GTask   *task;
  goffset  current;
  goffset  total;
} ProgressEvent;

static gboolean
progress_idle (gpointer user_data)
{
  ProgressEvent *event = user_data;
  CopyData *data = g_task_get_task_data (event->task);

  g_atomic_int_set (&data->pending, 0);
  if (data->progress != NULL)
    data->progress (event->current, event->total, data->progress_data);

  g_object_unref (event->task);
  g_free (event);

  return G_SOURCE_REMOVE;
}

static void
copy_progress_cb (goffset  current,
                  goffset  total,
                  gpointer user_data)
{
  GTask *task = user_data;
  CopyData *data = g_task_get_task_data (task);

  /* At most one progress report waiting on the main loop at a time. */
  if (g_atomic_int_compare_and_exchange (&data->pending, 0, 1))
    {
      ProgressEvent *event = g_new (ProgressEvent, 1);
      GSource *source = g_idle_source_new ();

      event->task = g_object_ref (task);
      event->current = current;
      event->total = total;
      g_source_set_callback (source, progress_idle, event, NULL);
      g_source_attach (source, data->context);
      g_source_unref (source);
    }
}

static void
copy_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  CopyData *data = task_data;
  g_autofree char *dir = gemlet_get_models_dir ();
  g_autofree char *base = g_file_get_basename (data->source);
  g_autofree char *dest_path = g_build_filename (dir, base, NULL);
  g_autofree char *part_path = g_strconcat (dest_path, ".part", NULL);
  g_autoptr(GFile) dest_dir = g_file_new_for_path (dir);
  g_autoptr(GFile) dest = g_file_new_for_path (dest_path);
  g_autoptr(GFile) part = g_file_new_for_path (part_path);
  g_autoptr(GFileInfo) source_info = NULL;
  g_autoptr(GFileInfo) fs_info = NULL;
  GError *error = NULL;
  guint64 size, available;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int errsv = errno;
      g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (errsv),
                               _("Could not create the folder “%s”: %s"), dir, g_strerror (errsv));
      return;
    }

  source_info = g_file_query_info (data->source, G_FILE_ATTRIBUTE_STANDARD_SIZE,
                                   G_FILE_QUERY_INFO_NONE, cancellable, &error);
  if (source_info == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  size = g_file_info_get_size (source_info);

  /* The same file is already there: nothing to copy. */
  if (g_file_equal (data->source, dest))
    {
      g_task_return_pointer (task, g_steal_pointer (&dest_path), g_free);
      return;
    }
  {
    GStatBuf st;

    if (g_stat (dest_path, &st) == 0 && (guint64)st.st_size == size)
      {
        g_task_return_pointer (task, g_steal_pointer (&dest_path), g_free);
        return;
      }
  }

  fs_info = g_file_query_filesystem_info (dest_dir, G_FILE_ATTRIBUTE_FILESYSTEM_FREE,
                                          cancellable, &error);
  if (fs_info == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  available = g_file_info_get_attribute_uint64 (fs_info, G_FILE_ATTRIBUTE_FILESYSTEM_FREE);
  if (!gemlet_import_check_space (size, available, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  if (!g_file_copy (data->source, part, G_FILE_COPY_OVERWRITE, cancellable,
                    copy_progress_cb, task, &error))
    {
      g_file_delete (part, NULL, NULL);
      g_task_return_error (task, error);
      return;
    }

  if (!g_file_move (part, dest, G_FILE_COPY_OVERWRITE, cancellable, NULL, NULL, &error))
    {
      g_file_delete (part, NULL, NULL);
      g_task_return_error (task, error);
      return;
    }

  g_task_return_pointer (task, g_steal_pointer (&dest_path), g_free);
}

void
gemlet_import_copy_async (GFile                 *file,
                          GFileProgressCallback  progress,
                          gpointer               progress_data,
                          GCancellable          *cancellable,
                          GAsyncReadyCallback    callback,
                          gpointer               user_data)
{
  g_autoptr(GTask) task = NULL;
  CopyData *data;

  g_return_if_fail (G_IS_FILE (file));

  data = g_new0 (CopyData, 1);
  data->source = g_object_ref (file);
  data->progress = progress;
  data->progress_data = progress_data;
  data->context = g_main_context_ref_thread_default ();

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, gemlet_import_copy_async);
  g_task_set_task_data (task, data, (GDestroyNotify)copy_data_free);
  g_task_run_in_thread (task, copy_thread);
}

/**
 * gemlet_import_copy_finish:
 *
 * Returns: (transfer full): the path of the copy in the models folder
 */
char *
gemlet_import_copy_finish (GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
