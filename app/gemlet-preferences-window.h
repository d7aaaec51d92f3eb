/* gemlet-preferences-window.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "gemlet-engine-worker.h"

G_BEGIN_DECLS

#define GEMLET_TYPE_PREFERENCES_WINDOW (gemlet_preferences_window_get_type ())

G_DECLARE_FINAL_TYPE (GemletPreferencesWindow, gemlet_preferences_window, GEMLET, PREFERENCES_WINDOW, AdwPreferencesWindow)

GtkWidget *gemlet_preferences_window_new (GtkWindow          *parent,
                                          GSettings          *settings,
                                          GemletEngineWorker *worker);

G_END_DECLS
