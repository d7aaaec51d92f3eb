/* gemlet-conversation.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "gemlet-conversation-settings.h"
#include "gemlet-message.h"

G_BEGIN_DECLS

#define GEMLET_TYPE_CONVERSATION (gemlet_conversation_get_type ())

G_DECLARE_FINAL_TYPE (GemletConversation, gemlet_conversation, GEMLET, CONVERSATION, GObject)

GemletConversation *gemlet_conversation_new                 (gint64              id,
                                                             const char         *title,
                                                             gint64              created,
                                                             gint64              updated);
gint64              gemlet_conversation_get_id              (GemletConversation *self);
void                _gemlet_conversation_set_id             (GemletConversation *self,
                                                             gint64              id);
const char         *gemlet_conversation_get_title           (GemletConversation *self);
void                _gemlet_conversation_set_title          (GemletConversation *self,
                                                             const char         *title);
gint64              gemlet_conversation_get_created         (GemletConversation *self);
gint64              gemlet_conversation_get_updated         (GemletConversation *self);
void                _gemlet_conversation_set_updated        (GemletConversation *self,
                                                             gint64              updated);
GListModel         *gemlet_conversation_get_messages        (GemletConversation *self);
gboolean            gemlet_conversation_get_messages_loaded (GemletConversation *self);
void                _gemlet_conversation_set_messages       (GemletConversation *self,
                                                             GPtrArray          *messages);
guint               gemlet_conversation_get_n_messages      (GemletConversation *self);
GemletMessage      *gemlet_conversation_get_message         (GemletConversation *self,
                                                             guint               position);
void                _gemlet_conversation_append_message     (GemletConversation *self,
                                                             GemletMessage      *message);
void                _gemlet_conversation_truncate           (GemletConversation *self,
                                                             guint               n_kept);
const GemletConversationSettings *
                    gemlet_conversation_get_settings        (GemletConversation *self);
void                _gemlet_conversation_set_settings       (GemletConversation *self,
                                                             const GemletConversationSettings *settings);

G_END_DECLS
