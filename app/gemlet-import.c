/* gemlet-import.c
 *
 * Recognising a model dropped on the window (gm_inspect on a worker thread
 * reads only the headers) and copying it into $XDG_DATA_HOME/gemlet/models
 * with progress and a free-space check. A model is a GGUF file or a mobile
 * checkpoint folder (config.json, model.safetensors or an index and its
 * shards, tokenizer.json, tokenizer_config.json, chat_template.jinja); one
 * file of such a folder stands for the folder when the folder is complete,
 * and otherwise gets a message naming what else is needed.
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
#include <json-c/json.h>

#include "gemlet-engine-worker.h"
#include "gemlet-import.h"
#include "gemlet-model-catalog.h"
#include "gemlet-utils.h"

void
gemlet_import_info_free (GemletImportInfo *info)
{
  if (info == NULL)
    return;

  g_clear_object (&info->file);
  g_free (info->display_name);
  g_free (info->reason);
  g_free (info->dest_name);
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

  /* A mobile checkpoint's storage formats were checked by the engine when
   * it read the folder. */
  for (guint i = 0; i < info->n_type_stats && i < GM_MAX_TYPE_STATS && !gemlet_import_is_mobile (info); i++)
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

gboolean
gemlet_import_is_mobile (const gm_checkpoint_info *info)
{
  return g_str_has_prefix (info->format, "mobile");
}

/* The files a mobile checkpoint folder holds, besides its weights. */
static const char * const mobile_files[] = {
  "config.json", "tokenizer.json", "tokenizer_config.json",
};

#define MOBILE_SINGLE_WEIGHTS "model.safetensors"
#define MOBILE_INDEX "model.safetensors.index.json"
#define MOBILE_TEMPLATE "chat_template.jinja"

/* Whether a file name belongs to a mobile checkpoint folder. */
gboolean
gemlet_import_is_mobile_part (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (mobile_files); i++)
    if (g_str_equal (name, mobile_files[i]))
      return TRUE;

  return g_str_has_suffix (name, ".safetensors") || g_str_equal (name, MOBILE_INDEX) ||
         g_str_equal (name, MOBILE_TEMPLATE);
}

static gboolean
is_file_in (const char *dir,
            const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);

  return g_file_test (path, G_FILE_TEST_IS_REGULAR);
}

/* Shards named by the index that are not in the folder, appended to
 * missing; FALSE when the index cannot be read. */
static gboolean
check_shards (const char *dir,
              GPtrArray  *missing)
{
  g_autofree char *path = g_build_filename (dir, MOBILE_INDEX, NULL);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  struct json_object *root = json_object_from_file (path);
  struct json_object *map = NULL;

  if (root == NULL || !json_object_object_get_ex (root, "weight_map", &map) ||
      !json_object_is_type (map, json_type_object))
    {
      json_object_put (root);
      return FALSE;
    }

  json_object_object_foreach (map, key, value)
    {
      const char *shard = json_object_get_string (value);

      (void) key;
      if (shard == NULL || strchr (shard, '/') != NULL || g_hash_table_contains (seen, shard))
        continue;
      g_hash_table_add (seen, (gpointer) shard);
      if (!is_file_in (dir, shard))
        g_ptr_array_add (missing, g_strdup (shard));
    }
  json_object_put (root);

  return TRUE;
}

/**
 * gemlet_import_mobile_missing:
 * @dir: a folder
 *
 * What a mobile checkpoint folder lacks to be loaded.
 *
 * Returns: (transfer full): the missing names, ", "-separated, or NULL
 *   when the folder is complete
 */
char *
gemlet_import_mobile_missing (const char *dir)
{
  g_autoptr(GPtrArray) missing = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < G_N_ELEMENTS (mobile_files); i++)
    if (!is_file_in (dir, mobile_files[i]))
      g_ptr_array_add (missing, g_strdup (mobile_files[i]));

  if (is_file_in (dir, MOBILE_INDEX))
    {
      if (!check_shards (dir, missing))
        /* Translators: the index file is damaged: its shards are unknown */
        g_ptr_array_add (missing, g_strdup_printf (_("a readable %s"), MOBILE_INDEX));
    }
  else if (!is_file_in (dir, MOBILE_SINGLE_WEIGHTS))
    /* Translators: the weights: one file, or an index file and the files it lists */
    g_ptr_array_add (missing, g_strdup_printf (_("%s (or %s and its shards)"),
                                               MOBILE_SINGLE_WEIGHTS, MOBILE_INDEX));

  /* The template may also be inside tokenizer_config.json. */
  if (!is_file_in (dir, MOBILE_TEMPLATE) && !is_file_in (dir, "tokenizer_config.json") &&
      (missing->len == 0 || !g_str_equal (g_ptr_array_index (missing, missing->len - 1), "tokenizer_config.json")))
    g_ptr_array_add (missing, g_strdup (MOBILE_TEMPLATE));

  if (missing->len == 0)
    return NULL;

  g_ptr_array_add (missing, NULL);
  return g_strjoinv (", ", (char **) missing->pdata);
}

/* Bytes of the regular files directly in dir (a checkpoint is flat). */
static guint64
dir_size (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  guint64 total = 0;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      GStatBuf st;

      if (name[0] != '.' && g_stat (path, &st) == 0 && S_ISREG (st.st_mode))
        total += st.st_size;
    }

  return total;
}

/* The name of the copy under the models folder: the catalog's folder name
 * for a mobile E2B or E4B (so the model picker finds it), otherwise the
 * name it has. */
/**
 * gemlet_import_is_projector_name:
 * @name: a file name
 *
 * Whether the engine takes a file of this name, in a model's folder, for
 * that model's vision/audio projector (its own rule: "mmproj" in a .gguf
 * name).
 */
gboolean
gemlet_import_is_projector_name (const char *name)
{
  g_autofree char *lower = g_ascii_strdown (name, -1);

  return g_str_has_suffix (lower, ".gguf") && strstr (lower, "mmproj") != NULL;
}

static gboolean
is_projector (const gm_checkpoint_info *info)
{
  return g_str_equal (info->architecture, "clip");
}

static char *
dest_name_for (const char               *path,
               const gm_checkpoint_info *info)
{
  if (info != NULL && is_projector (info))
    {
      g_autofree char *base = g_path_get_basename (path);
      g_autofree char *stem = NULL;

      if (gemlet_import_is_projector_name (base))
        return g_steal_pointer (&base);
      /* the engine finds a projector beside a model by this part of its name */
      stem = g_str_has_suffix (base, ".gguf") ? g_strndup (base, strlen (base) - 5) : g_strdup (base);
      return g_strconcat (stem, "-mmproj.gguf", NULL);
    }

  if (info != NULL && gemlet_import_is_mobile (info) &&
      (info->variant == GM_VARIANT_E2B || info->variant == GM_VARIANT_E4B))
    {
      const GemletModelEntry *entries;
      guint n;

      entries = gemlet_model_catalog_get (&n);
      for (guint i = 0; i < n; i++)
        if (g_str_equal (entries[i].id, info->variant == GM_VARIANT_E2B ? "e2b-mobile" : "e4b-mobile"))
          return g_strdup (entries[i].file_name);
    }

  return g_path_get_basename (path);
}

static gboolean
is_installed (const char *path,
              const char *dest_name,
              gboolean    is_dir,
              guint64     size)
{
  g_autofree char *dir = gemlet_get_models_dir ();
  g_autofree char *dest = g_build_filename (dir, dest_name, NULL);
  GStatBuf st;

  if (is_dir)
    return g_file_test (dest, G_FILE_TEST_IS_DIR) && gemlet_import_mobile_missing (dest) == NULL &&
           dir_size (dest) == size;

  return g_stat (dest, &st) == 0 && S_ISREG (st.st_mode) && (guint64)st.st_size == size;
}

/* Blocking; call from a worker thread. */
GemletImportInfo *
gemlet_import_inspect_path (const char  *path,
                            GError     **error)
{
  g_autoptr(GemletImportInfo) result = g_new0 (GemletImportInfo, 1);
  g_autofree char *folder = NULL;
  gm_error err = { 0 };
  GStatBuf st;

  if (g_stat (path, &st) != 0)
    {
      int errsv = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   _("Could not open “%s”: %s"), path, g_strerror (errsv));
      return NULL;
    }

  result->display_name = g_path_get_basename (path);

  /* A folder is a mobile checkpoint; so is one of its files, when the rest
   * is beside it. */
  if (S_ISDIR (st.st_mode))
    folder = g_strdup (path);
  else if (gemlet_import_is_mobile_part (result->display_name))
    {
      g_autofree char *dir = g_path_get_dirname (path);
      g_autofree char *missing = gemlet_import_mobile_missing (dir);

      if (missing != NULL)
        {
          result->file = g_file_new_for_path (path);
          result->size = st.st_size;
          result->reason = g_strdup_printf (_("“%s” is one file of a Gemma 4 mobile checkpoint, which is a "
                                              "whole folder. Also needed in the same folder: %s. "
                                              "Drop the complete folder."),
                                            result->display_name, missing);
          return g_steal_pointer (&result);
        }
      folder = g_steal_pointer (&dir);
      result->part_of_folder = TRUE;
      g_free (result->display_name);
      result->display_name = g_path_get_basename (folder);
    }

  if (folder != NULL)
    {
      g_autofree char *missing = gemlet_import_mobile_missing (folder);

      result->is_folder = TRUE;
      result->file = g_file_new_for_path (folder);
      result->size = dir_size (folder);
      if (missing != NULL)
        {
          result->reason = g_strdup_printf (_("The folder “%s” is not a complete Gemma 4 mobile checkpoint. "
                                              "Missing: %s."),
                                            result->display_name, missing);
          return g_steal_pointer (&result);
        }
      path = folder;
    }
  else
    {
      result->file = g_file_new_for_path (path);
      result->size = st.st_size;
    }

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
  if (is_projector (&result->info))
    {
      /* not a model of its own: it goes beside one (text-only off) */
      result->is_projector = TRUE;
      result->usable = TRUE;
      result->reason = g_strdup (_("Image and Audio Projector"));
      result->expected_memory = result->size;
      result->dest_name = dest_name_for (path, &result->info);
      result->already_installed = is_installed (path, result->dest_name, FALSE, result->size);
      return g_steal_pointer (&result);
    }
  result->usable = gemlet_import_judge (&result->info, &result->reason);
  result->expected_memory = gemlet_import_expected_memory (&result->info);
  result->n_ctx = result->info.default_n_ctx;
  result->dest_name = dest_name_for (path, &result->info);
  result->already_installed = is_installed (path, result->dest_name, result->is_folder, result->size);

  return g_steal_pointer (&result);
}

typedef struct
{
  GFile *file;
  guint  n_ctx;
} InspectData;

static void
inspect_data_free (InspectData *data)
{
  g_object_unref (data->file);
  g_free (data);
}

/* The memory a usable model will need with the context it will get
 * (0: automatic, as the engine worker resolves it when loading). */
static void
estimate_for_context (GemletImportInfo *info,
                      guint             n_ctx)
{
  g_autofree char *path = g_file_get_path (info->file);
  gm_error err = { 0 };
  gm_memory estimate;

  if (n_ctx == 0)
    n_ctx = gemlet_engine_worker_suggest_n_ctx (path);
  if (n_ctx == 0 || gemlet_engine_worker_estimate (path, n_ctx, &estimate, &err) != GM_OK)
    return;

  info->n_ctx = n_ctx;
  info->expected_memory = estimate.weights_resident + estimate.kv_cache + estimate.scratch;
}

static void
inspect_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  InspectData *data = task_data;
  GFile *file = data->file;
  g_autofree char *path = g_file_get_path (file);
  GemletImportInfo *info;
  GError *error = NULL;

  if (path == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                               _("Only files on this computer can be imported."));
      return;
    }

  info = gemlet_import_inspect_path (path, &error);
  if (info == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (info->usable)
    estimate_for_context (info, data->n_ctx);
  g_task_return_pointer (task, info, (GDestroyNotify)gemlet_import_info_free);
}

/* n_ctx: the context the model will be loaded with (0: automatic), for
 * the memory it will need. */
void
gemlet_import_inspect_async (GFile               *file,
                             guint                n_ctx,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  InspectData *data;

  g_return_if_fail (G_IS_FILE (file));

  data = g_new0 (InspectData, 1);
  data->file = g_object_ref (file);
  data->n_ctx = n_ctx;
  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, gemlet_import_inspect_async);
  g_task_set_task_data (task, data, (GDestroyNotify) inspect_data_free);
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
  char                  *dest_name;
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
  g_free (data->dest_name);
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
  /* Not after the copy has reported its end: whoever asked for progress
   * may be gone by then. */
  if (data->progress != NULL && !g_task_get_completed (event->task))
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

/* Progress of one file of a folder, reported as progress of the folder. */
typedef struct
{
  GTask   *task;
  goffset  done;   /* bytes of the files copied before this one */
  goffset  total;  /* of the whole folder */
} FolderProgress;

static void
folder_progress_cb (goffset  current,
                    goffset  total,
                    gpointer user_data)
{
  FolderProgress *fp = user_data;

  copy_progress_cb (fp->done + current, fp->total, fp->task);
}

static gboolean
delete_tree (GFile         *dir,
             GCancellable  *cancellable)
{
  g_autoptr(GFileEnumerator) children = NULL;
  GFileInfo *info;

  children = g_file_enumerate_children (dir, G_FILE_ATTRIBUTE_STANDARD_NAME,
                                        G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, cancellable, NULL);
  while (children != NULL && (info = g_file_enumerator_next_file (children, cancellable, NULL)) != NULL)
    {
      g_autoptr(GFile) child = g_file_get_child (dir, g_file_info_get_name (info));

      g_file_delete (child, cancellable, NULL);
      g_object_unref (info);
    }

  return g_file_delete (dir, cancellable, NULL);
}

/* Copies the regular files directly in the source folder into
 * "<dest>.part", then renames it to dest: a folder under its final name is
 * always complete. */
static void
copy_folder (GTask        *task,
             CopyData     *data,
             const char   *dir,
             GCancellable *cancellable)
{
  g_autofree char *dest_path = g_build_filename (dir, data->dest_name, NULL);
  g_autofree char *part_path = g_strconcat (dest_path, ".part", NULL);
  g_autofree char *source_path = g_file_get_path (data->source);
  g_autoptr(GFile) dest_dir = g_file_new_for_path (dir);
  g_autoptr(GFile) dest = g_file_new_for_path (dest_path);
  g_autoptr(GFile) part = g_file_new_for_path (part_path);
  g_autoptr(GFileInfo) fs_info = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GDir) source_dir = NULL;
  FolderProgress fp = { task, 0, 0 };
  GError *error = NULL;
  const char *name;

  source_dir = g_dir_open (source_path, 0, &error);
  if (source_dir == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  while ((name = g_dir_read_name (source_dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (source_path, name, NULL);
      GStatBuf st;

      if (name[0] != '.' && g_stat (path, &st) == 0 && S_ISREG (st.st_mode))
        {
          g_ptr_array_add (names, g_strdup (name));
          fp.total += st.st_size;
        }
    }

  /* Already there (the same folder, or an earlier complete copy). */
  if (g_file_equal (data->source, dest) ||
      (g_file_test (dest_path, G_FILE_TEST_IS_DIR) && gemlet_import_mobile_missing (dest_path) == NULL &&
       dir_size (dest_path) == (guint64) fp.total))
    {
      g_task_return_pointer (task, g_steal_pointer (&dest_path), g_free);
      return;
    }
  if (g_file_test (dest_path, G_FILE_TEST_EXISTS))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_EXISTS,
                               _("Another folder named “%s” is already in the models folder (%s). "
                                 "Move it away, then import again."),
                               data->dest_name, dir);
      return;
    }

  fs_info = g_file_query_filesystem_info (dest_dir, G_FILE_ATTRIBUTE_FILESYSTEM_FREE, cancellable, &error);
  if (fs_info == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (!gemlet_import_check_space (fp.total,
                                  g_file_info_get_attribute_uint64 (fs_info, G_FILE_ATTRIBUTE_FILESYSTEM_FREE),
                                  &error))
    {
      g_task_return_error (task, error);
      return;
    }

  /* A .part left by an interrupted copy is started again. */
  if (g_file_test (part_path, G_FILE_TEST_IS_DIR))
    delete_tree (part, NULL);
  if (!g_file_make_directory (part, cancellable, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  for (guint i = 0; i < names->len; i++)
    {
      const char *file_name = g_ptr_array_index (names, i);
      g_autoptr(GFile) from = g_file_get_child (data->source, file_name);
      g_autoptr(GFile) to = g_file_get_child (part, file_name);
      g_autoptr(GFileInfo) info = NULL;

      if (!g_file_copy (from, to, G_FILE_COPY_OVERWRITE, cancellable, folder_progress_cb, &fp, &error))
        {
          delete_tree (part, NULL);
          g_task_return_error (task, error);
          return;
        }
      info = g_file_query_info (to, G_FILE_ATTRIBUTE_STANDARD_SIZE, G_FILE_QUERY_INFO_NONE, NULL, NULL);
      fp.done += info ? g_file_info_get_size (info) : 0;
    }

  if (!g_file_move (part, dest, G_FILE_COPY_NONE, cancellable, NULL, NULL, &error))
    {
      delete_tree (part, NULL);
      g_task_return_error (task, error);
      return;
    }

  g_task_return_pointer (task, g_steal_pointer (&dest_path), g_free);
}

static void
copy_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  CopyData *data = task_data;
  g_autofree char *dir = gemlet_get_models_dir ();
  g_autofree char *dest_path = g_build_filename (dir, data->dest_name, NULL);
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

  if (g_file_query_file_type (data->source, G_FILE_QUERY_INFO_NONE, cancellable) == G_FILE_TYPE_DIRECTORY)
    {
      copy_folder (task, data, dir, cancellable);
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

/* Copies a model file or checkpoint folder into the models folder as
 * dest_name (NULL: its own name). */
void
gemlet_import_copy_async (GFile                 *file,
                          const char            *dest_name,
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
  data->dest_name = dest_name ? g_strdup (dest_name) : g_file_get_basename (file);
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
