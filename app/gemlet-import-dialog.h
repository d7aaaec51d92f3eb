/* gemlet-import-dialog.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "gemlet-import.h"

G_BEGIN_DECLS

#define GEMLET_TYPE_IMPORT_DIALOG (gemlet_import_dialog_get_type ())

G_DECLARE_FINAL_TYPE (GemletImportDialog, gemlet_import_dialog, GEMLET, IMPORT_DIALOG, AdwWindow)

GtkWidget *gemlet_import_dialog_new (GtkWindow              *parent,
                                     const GemletImportInfo *info);

G_END_DECLS
