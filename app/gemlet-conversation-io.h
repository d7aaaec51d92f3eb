/* gemlet-conversation-io.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "gemlet-conversation.h"

G_BEGIN_DECLS

/* The "format" key of an exported conversation, and the version of that
 * format this build writes and reads. */
#define GEMLET_CONVERSATION_FILE_FORMAT  "gemlet-conversation"
#define GEMLET_CONVERSATION_FILE_VERSION 1
/* Larger files are refused before they are read. */
#define GEMLET_CONVERSATION_FILE_MAX_BYTES ((gsize) 512 * 1024 * 1024)

#define GEMLET_CONVERSATION_IO_ERROR (gemlet_conversation_io_error_quark ())

typedef enum
{
  GEMLET_CONVERSATION_IO_ERROR_INVALID,   /* not JSON, or not the expected shape */
  GEMLET_CONVERSATION_IO_ERROR_NOT_OURS,  /* JSON, but not a Gemlet conversation */
  GEMLET_CONVERSATION_IO_ERROR_NEWER,     /* written by a newer Gemlet */
  GEMLET_CONVERSATION_IO_ERROR_TOO_BIG,
} GemletConversationIoError;

typedef enum
{
  GEMLET_CONVERSATION_FILE_JSON,
  GEMLET_CONVERSATION_FILE_MARKDOWN,
} GemletConversationFileType;

/* A conversation detached from the store: what is written to and read from
 * a file. */
typedef struct
{
  char                       *title;
  gint64                      created;   /* µs since the epoch; 0 = unknown */
  gint64                      updated;
  GemletConversationSettings  settings;
  GPtrArray                  *messages;  /* GemletMessage (id 0) */
} GemletConversationDoc;

GQuark                 gemlet_conversation_io_error_quark   (void);

GemletConversationDoc *gemlet_conversation_doc_new          (void);
GemletConversationDoc *gemlet_conversation_doc_new_from_conversation (GemletConversation *conversation);
void                   gemlet_conversation_doc_free         (GemletConversationDoc       *doc);
char                  *gemlet_conversation_doc_to_json      (const GemletConversationDoc *doc,
                                                             gsize                       *length);
char                  *gemlet_conversation_doc_to_markdown  (const GemletConversationDoc *doc,
                                                             gsize                       *length);
GemletConversationDoc *gemlet_conversation_doc_from_json    (const char                  *data,
                                                             gsize                        length,
                                                             GError                     **error);
char                  *gemlet_conversation_doc_suggest_file_name (const GemletConversationDoc *doc,
                                                             GemletConversationFileType   type);

void                   gemlet_conversation_doc_write_async  (GemletConversationDoc       *doc,
                                                             GemletConversationFileType   type,
                                                             GFile                       *file,
                                                             GCancellable                *cancellable,
                                                             GAsyncReadyCallback          callback,
                                                             gpointer                     user_data);
gboolean               gemlet_conversation_doc_write_finish (GAsyncResult                *result,
                                                             GError                     **error);
void                   gemlet_conversation_doc_read_async   (GFile                       *file,
                                                             GCancellable                *cancellable,
                                                             GAsyncReadyCallback          callback,
                                                             gpointer                     user_data);
GemletConversationDoc *gemlet_conversation_doc_read_finish  (GAsyncResult                *result,
                                                             GError                     **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GemletConversationDoc, gemlet_conversation_doc_free)

G_END_DECLS
