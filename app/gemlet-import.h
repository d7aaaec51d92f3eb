/* gemlet-import.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "gemlet.h"

G_BEGIN_DECLS

typedef struct
{
  GFile              *file;
  char               *display_name;
  guint64             size;
  gboolean            readable;     /* gm_inspect succeeded */
  gm_checkpoint_info  info;
  gboolean            usable;       /* Gemlet can run it */
  char               *reason;       /* why not, or a short description */
  guint64             expected_memory;
  guint               n_ctx;           /* the context expected_memory is for */
  gboolean            already_installed;
  gboolean            is_folder;       /* a mobile checkpoint folder */
  gboolean            part_of_folder;  /* one of its files was given */
  gboolean            is_projector;    /* a vision/audio projector (mmproj) GGUF */
  char               *dest_name;       /* name of the copy in the models folder */
} GemletImportInfo;

void              gemlet_import_info_free     (GemletImportInfo        *info);
gboolean          gemlet_import_judge         (const gm_checkpoint_info *info,
                                               char                   **reason);
guint64           gemlet_import_expected_memory (const gm_checkpoint_info *info);
char             *gemlet_import_describe      (const gm_checkpoint_info *info);
gboolean          gemlet_import_check_space   (guint64                  needed,
                                               guint64                  available,
                                               GError                 **error);
GemletImportInfo *gemlet_import_inspect_path  (const char              *path,
                                               GError                 **error);
void              gemlet_import_inspect_async (GFile                   *file,
                                               guint                    n_ctx,
                                               GCancellable            *cancellable,
                                               GAsyncReadyCallback      callback,
                                               gpointer                 user_data);
GemletImportInfo *gemlet_import_inspect_finish (GAsyncResult           *result,
                                               GError                 **error);
gboolean          gemlet_import_is_mobile     (const gm_checkpoint_info *info);
gboolean          gemlet_import_is_mobile_part (const char             *name);
gboolean          gemlet_import_is_projector_name (const char          *name);
char             *gemlet_import_mobile_missing (const char             *dir);
void              gemlet_import_copy_async    (GFile                   *file,
                                               const char              *dest_name,
                                               GFileProgressCallback    progress,
                                               gpointer                 progress_data,
                                               GCancellable            *cancellable,
                                               GAsyncReadyCallback      callback,
                                               gpointer                 user_data);
char             *gemlet_import_copy_finish   (GAsyncResult            *result,
                                               GError                 **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GemletImportInfo, gemlet_import_info_free)

G_END_DECLS
