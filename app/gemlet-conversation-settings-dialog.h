/* gemlet-conversation-settings-dialog.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "gemlet-store.h"

G_BEGIN_DECLS

#define GEMLET_TYPE_CONVERSATION_SETTINGS_DIALOG (gemlet_conversation_settings_dialog_get_type ())

G_DECLARE_FINAL_TYPE (GemletConversationSettingsDialog, gemlet_conversation_settings_dialog,
                      GEMLET, CONVERSATION_SETTINGS_DIALOG, AdwPreferencesWindow)

GtkWidget *gemlet_conversation_settings_dialog_new (GtkWindow          *parent,
                                                    GemletStore        *store,
                                                    GemletConversation *conversation,
                                                    GSettings          *defaults);
void       gemlet_conversation_settings_dialog_set_system_prompt (GemletConversationSettingsDialog *self,
                                                                  const char                       *text);
void       gemlet_conversation_settings_dialog_set_value (GemletConversationSettingsDialog *self,
                                                          GemletOverride                    which,
                                                          gboolean                          own,
                                                          double                            value);

G_END_DECLS
