/* gemlet-application.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "gemlet-engine-worker.h"
#include "gemlet-store.h"

G_BEGIN_DECLS

#define GEMLET_TYPE_APPLICATION (gemlet_application_get_type ())

G_DECLARE_FINAL_TYPE (GemletApplication, gemlet_application, GEMLET, APPLICATION, AdwApplication)

GemletApplication  *gemlet_application_new             (void);
GemletStore        *gemlet_application_get_store       (GemletApplication *self);
const GError       *gemlet_application_get_store_error (GemletApplication *self);
gboolean            gemlet_application_get_store_ready (GemletApplication *self);
GemletEngineWorker *gemlet_application_get_worker      (GemletApplication *self);
GSettings          *gemlet_application_get_settings    (GemletApplication *self);
char               *gemlet_application_dup_debug_info  (GemletApplication *self);

G_END_DECLS
