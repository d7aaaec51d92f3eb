/* gemlet-memory-panel.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "gemlet-engine-worker.h"

G_BEGIN_DECLS

#define GEMLET_TYPE_MEMORY_PANEL (gemlet_memory_panel_get_type ())

G_DECLARE_FINAL_TYPE (GemletMemoryPanel, gemlet_memory_panel, GEMLET, MEMORY_PANEL, GtkPopover)

GtkWidget *gemlet_memory_panel_new (GemletEngineWorker *worker);

G_END_DECLS
