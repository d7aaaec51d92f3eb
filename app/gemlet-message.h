/* gemlet-message.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

typedef enum
{
  GEMLET_ROLE_SYSTEM = 0,
  GEMLET_ROLE_USER = 1,
  GEMLET_ROLE_MODEL = 2,
} GemletRole;

#define GEMLET_TYPE_MESSAGE (gemlet_message_get_type ())

G_DECLARE_FINAL_TYPE (GemletMessage, gemlet_message, GEMLET, MESSAGE, GObject)

GemletMessage *gemlet_message_new              (gint64         id,
                                                GemletRole     role,
                                                const char    *content,
                                                gint64         created);
gint64         gemlet_message_get_id           (GemletMessage *self);
void           _gemlet_message_set_id          (GemletMessage *self,
                                                gint64         id);
GemletRole     gemlet_message_get_role         (GemletMessage *self);
const char    *gemlet_message_get_content      (GemletMessage *self);
gsize          gemlet_message_get_length       (GemletMessage *self);
void           gemlet_message_set_content      (GemletMessage *self,
                                                const char    *content);
void           gemlet_message_append           (GemletMessage *self,
                                                const char    *text,
                                                gssize         len);
gint64         gemlet_message_get_created      (GemletMessage *self);
gboolean       gemlet_message_get_streaming    (GemletMessage *self);
void           gemlet_message_set_streaming    (GemletMessage *self,
                                                gboolean       streaming);
const char    *gemlet_message_get_stats        (GemletMessage *self);
void           gemlet_message_set_stats        (GemletMessage *self,
                                                const char    *stats);
const char    *gemlet_message_get_notice       (GemletMessage *self);
void           gemlet_message_set_notice       (GemletMessage *self,
                                                const char    *notice);

G_END_DECLS
