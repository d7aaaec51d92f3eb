/* gemlet-model-picker.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define GEMLET_TYPE_MODEL_PICKER (gemlet_model_picker_get_type ())

G_DECLARE_FINAL_TYPE (GemletModelPicker, gemlet_model_picker, GEMLET, MODEL_PICKER, AdwWindow)

GtkWidget *gemlet_model_picker_new (GtkWindow  *parent,
                                    GSettings  *settings,
                                    const char *current_path);

G_END_DECLS
