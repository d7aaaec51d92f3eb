/* gemlet-store.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "gemlet-conversation.h"

G_BEGIN_DECLS

#define GEMLET_STORE_ERROR (gemlet_store_error_quark ())

typedef enum
{
  GEMLET_STORE_ERROR_IO,        /* cannot create, open, read or write the file */
  GEMLET_STORE_ERROR_CORRUPT,   /* not a readable SQLite database */
  GEMLET_STORE_ERROR_NOT_OURS,  /* a database, but not Gemlet's */
  GEMLET_STORE_ERROR_NEWER,     /* written by a newer Gemlet */
} GemletStoreError;

/* The schema version this build writes and understands. */
#define GEMLET_STORE_SCHEMA_VERSION 2
/* PRAGMA application_id of Gemlet databases ("Geml"). */
#define GEMLET_STORE_APPLICATION_ID 0x47656d6c

#define GEMLET_TYPE_STORE (gemlet_store_get_type ())

G_DECLARE_FINAL_TYPE (GemletStore, gemlet_store, GEMLET, STORE, GObject)

GQuark              gemlet_store_error_quark           (void);
char               *gemlet_store_get_default_path      (void);
GemletStore        *gemlet_store_new                   (const char           *path);
const char         *gemlet_store_get_path              (GemletStore          *self);
void                gemlet_store_open_async            (GemletStore          *self,
                                                        GCancellable         *cancellable,
                                                        GAsyncReadyCallback   callback,
                                                        gpointer              user_data);
gboolean            gemlet_store_open_finish           (GemletStore          *self,
                                                        GAsyncResult         *result,
                                                        GError              **error);
gboolean            gemlet_store_is_open               (GemletStore          *self);
GListModel         *gemlet_store_get_conversations     (GemletStore          *self);
GemletConversation *gemlet_store_find_conversation     (GemletStore          *self,
                                                        gint64                id);
GemletConversation *gemlet_store_create_conversation   (GemletStore          *self,
                                                        const char           *title);
void                gemlet_store_rename_conversation   (GemletStore          *self,
                                                        GemletConversation   *conversation,
                                                        const char           *title);
void                gemlet_store_delete_conversation   (GemletStore          *self,
                                                        GemletConversation   *conversation);
void                gemlet_store_undelete_conversation (GemletStore          *self,
                                                        GemletConversation   *conversation);
void                gemlet_store_purge_deleted         (GemletStore          *self);
void                gemlet_store_load_messages_async   (GemletStore          *self,
                                                        GemletConversation   *conversation,
                                                        GCancellable         *cancellable,
                                                        GAsyncReadyCallback   callback,
                                                        gpointer              user_data);
gboolean            gemlet_store_load_messages_finish  (GemletStore          *self,
                                                        GAsyncResult         *result,
                                                        GError              **error);
GemletMessage      *gemlet_store_add_message           (GemletStore          *self,
                                                        GemletConversation   *conversation,
                                                        GemletRole            role,
                                                        const char           *content);
void                gemlet_store_append_to_message     (GemletStore          *self,
                                                        GemletConversation   *conversation,
                                                        GemletMessage        *message,
                                                        const char           *text,
                                                        gssize                len);
void                gemlet_store_set_message_content   (GemletStore          *self,
                                                        GemletConversation   *conversation,
                                                        GemletMessage        *message,
                                                        const char           *content);
void                gemlet_store_truncate_conversation (GemletStore          *self,
                                                        GemletConversation   *conversation,
                                                        guint                 n_kept);
void                gemlet_store_set_conversation_settings (GemletStore                      *self,
                                                            GemletConversation               *conversation,
                                                            const GemletConversationSettings *settings);
GemletConversation *gemlet_store_import_conversation   (GemletStore                      *self,
                                                        const char                       *title,
                                                        gint64                            created,
                                                        const GemletConversationSettings *settings,
                                                        GPtrArray                        *messages);
void                gemlet_store_search_async          (GemletStore          *self,
                                                        const char           *query,
                                                        GCancellable         *cancellable,
                                                        GAsyncReadyCallback   callback,
                                                        gpointer              user_data);
GHashTable         *gemlet_store_search_finish         (GemletStore          *self,
                                                        GAsyncResult         *result,
                                                        GError              **error);
void                gemlet_store_sync                  (GemletStore          *self);

G_END_DECLS
