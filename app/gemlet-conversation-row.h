/* gemlet-conversation-row.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "gemlet-conversation.h"

G_BEGIN_DECLS

#define GEMLET_TYPE_CONVERSATION_ROW (gemlet_conversation_row_get_type ())

G_DECLARE_FINAL_TYPE (GemletConversationRow, gemlet_conversation_row, GEMLET, CONVERSATION_ROW, GtkWidget)

GtkWidget *gemlet_conversation_row_new              (void);
void       gemlet_conversation_row_set_conversation (GemletConversationRow *self,
                                                     GemletConversation    *conversation);

G_END_DECLS
