/* gemlet-chat-view.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "gemlet-conversation.h"
#include "gemlet-engine-worker.h"

G_BEGIN_DECLS

#define GEMLET_TYPE_CHAT_VIEW (gemlet_chat_view_get_type ())

G_DECLARE_FINAL_TYPE (GemletChatView, gemlet_chat_view, GEMLET, CHAT_VIEW, GtkWidget)

void                gemlet_chat_view_set_conversation     (GemletChatView     *self,
                                                           GemletConversation *conversation);
GemletConversation *gemlet_chat_view_get_conversation     (GemletChatView     *self);
void                gemlet_chat_view_set_engine_state     (GemletChatView     *self,
                                                           GemletEngineState   state,
                                                           const char         *model_title);
void                gemlet_chat_view_set_load_progress    (GemletChatView     *self,
                                                           double              fraction);
void                gemlet_chat_view_set_generating       (GemletChatView     *self,
                                                           gboolean            generating);
AdwHeaderBar       *gemlet_chat_view_get_header_bar       (GemletChatView     *self);
void                gemlet_chat_view_set_show_back_button (GemletChatView     *self,
                                                           gboolean            show);
void                gemlet_chat_view_set_memory_popover   (GemletChatView     *self,
                                                           GtkWidget          *popover);
void                gemlet_chat_view_set_composer_text    (GemletChatView     *self,
                                                           const char         *text);
void                gemlet_chat_view_focus_composer       (GemletChatView     *self);
void                gemlet_chat_view_scroll_to_bottom     (GemletChatView     *self);
void                gemlet_chat_view_set_context_limit    (GemletChatView     *self,
                                                           GemletEngineWorker *worker,
                                                           guint               limit,
                                                           guint               n_ctx);
gboolean            gemlet_chat_view_get_composer_too_long (GemletChatView    *self);
const char         *gemlet_chat_view_get_composer_notice  (GemletChatView     *self);

G_END_DECLS
