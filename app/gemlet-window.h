/* gemlet-window.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "gemlet-application.h"
#include "gemlet-conversation.h"
#include "gemlet-conversation-io.h"

G_BEGIN_DECLS

#define GEMLET_TYPE_WINDOW (gemlet_window_get_type ())

G_DECLARE_FINAL_TYPE (GemletWindow, gemlet_window, GEMLET, WINDOW, AdwApplicationWindow)

GemletWindow       *gemlet_window_new              (GemletApplication  *application);
void                gemlet_window_show_toast       (GemletWindow       *self,
                                                    const char         *message);
void                gemlet_window_load_model       (GemletWindow       *self,
                                                    const char         *path);
void                gemlet_window_import_file      (GemletWindow       *self,
                                                    GFile              *file);
void                gemlet_window_show_conversation (GemletWindow      *self,
                                                    GemletConversation *conversation);
GemletConversation *gemlet_window_get_conversation (GemletWindow       *self);
void                gemlet_window_send             (GemletWindow       *self,
                                                    const char         *text);
void                gemlet_window_export_conversation (GemletWindow               *self,
                                                       GemletConversation         *conversation,
                                                       GemletConversationFileType  type,
                                                       GFile                      *file);
void                gemlet_window_import_conversation (GemletWindow *self,
                                                       GFile        *file);

G_END_DECLS
