/* gemlet-message.c
 *
 * One message of a conversation. The content grows while a reply streams in;
 * "notify::content" fires once per appended batch.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "gemlet-message"

#include "gemlet-config.h"

#include <string.h>

#include "gemlet-message.h"

struct _GemletMessage
{
  GObject     parent_instance;

  gint64      id;
  GemletRole  role;
  GString    *content;
  gint64      created;
  char       *stats;
  char       *notice;
  guint       streaming : 1;
};

G_DEFINE_FINAL_TYPE (GemletMessage, gemlet_message, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_CONTENT,
  PROP_STREAMING,
  PROP_STATS,
  PROP_NOTICE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
gemlet_message_finalize (GObject *object)
{
  GemletMessage *self = (GemletMessage *)object;

  g_string_free (self->content, TRUE);
  g_clear_pointer (&self->stats, g_free);
  g_clear_pointer (&self->notice, g_free);

  G_OBJECT_CLASS (gemlet_message_parent_class)->finalize (object);
}

static void
gemlet_message_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  GemletMessage *self = GEMLET_MESSAGE (object);

  switch (prop_id)
    {
    case PROP_CONTENT:
      g_value_set_string (value, self->content->str);
      break;

    case PROP_STREAMING:
      g_value_set_boolean (value, self->streaming);
      break;

    case PROP_STATS:
      g_value_set_string (value, self->stats);
      break;

    case PROP_NOTICE:
      g_value_set_string (value, self->notice);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gemlet_message_class_init (GemletMessageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = gemlet_message_finalize;
  object_class->get_property = gemlet_message_get_property;

  properties[PROP_CONTENT] =
    g_param_spec_string ("content", NULL, NULL, "",
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STREAMING] =
    g_param_spec_boolean ("streaming", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATS] =
    g_param_spec_string ("stats", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  properties[PROP_NOTICE] =
    g_param_spec_string ("notice", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
gemlet_message_init (GemletMessage *self)
{
  self->content = g_string_new (NULL);
}

GemletMessage *
gemlet_message_new (gint64      id,
                    GemletRole  role,
                    const char *content,
                    gint64      created)
{
  GemletMessage *self = g_object_new (GEMLET_TYPE_MESSAGE, NULL);

  self->id = id;
  self->role = role;
  self->created = created;
  if (content != NULL)
    g_string_assign (self->content, content);

  return self;
}

gint64
gemlet_message_get_id (GemletMessage *self)
{
  g_return_val_if_fail (GEMLET_IS_MESSAGE (self), 0);

  return self->id;
}

void
_gemlet_message_set_id (GemletMessage *self,
                        gint64         id)
{
  g_return_if_fail (GEMLET_IS_MESSAGE (self));

  self->id = id;
}

GemletRole
gemlet_message_get_role (GemletMessage *self)
{
  g_return_val_if_fail (GEMLET_IS_MESSAGE (self), GEMLET_ROLE_USER);

  return self->role;
}

const char *
gemlet_message_get_content (GemletMessage *self)
{
  g_return_val_if_fail (GEMLET_IS_MESSAGE (self), NULL);

  return self->content->str;
}

gsize
gemlet_message_get_length (GemletMessage *self)
{
  g_return_val_if_fail (GEMLET_IS_MESSAGE (self), 0);

  return self->content->len;
}

void
gemlet_message_set_content (GemletMessage *self,
                            const char    *content)
{
  g_return_if_fail (GEMLET_IS_MESSAGE (self));

  if (g_strcmp0 (self->content->str, content) == 0)
    return;

  g_string_assign (self->content, content ? content : "");
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONTENT]);
}

void
gemlet_message_append (GemletMessage *self,
                       const char    *text,
                       gssize         len)
{
  g_return_if_fail (GEMLET_IS_MESSAGE (self));

  if (len < 0)
    len = strlen (text);
  if (len == 0)
    return;

  g_string_append_len (self->content, text, len);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONTENT]);
}

gint64
gemlet_message_get_created (GemletMessage *self)
{
  g_return_val_if_fail (GEMLET_IS_MESSAGE (self), 0);

  return self->created;
}

gboolean
gemlet_message_get_streaming (GemletMessage *self)
{
  g_return_val_if_fail (GEMLET_IS_MESSAGE (self), FALSE);

  return self->streaming;
}

void
gemlet_message_set_streaming (GemletMessage *self,
                              gboolean       streaming)
{
  g_return_if_fail (GEMLET_IS_MESSAGE (self));

  streaming = !!streaming;
  if (self->streaming == streaming)
    return;

  self->streaming = streaming;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STREAMING]);
}

const char *
gemlet_message_get_stats (GemletMessage *self)
{
  g_return_val_if_fail (GEMLET_IS_MESSAGE (self), NULL);

  return self->stats;
}

void
gemlet_message_set_stats (GemletMessage *self,
                          const char    *stats)
{
  g_return_if_fail (GEMLET_IS_MESSAGE (self));

  if (g_strcmp0 (self->stats, stats) == 0)
    return;

  g_free (self->stats);
  self->stats = g_strdup (stats);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATS]);
}

/* A quiet line shown above the message, not saved (such as "earlier
 * messages were left out of the context"). */
const char *
gemlet_message_get_notice (GemletMessage *self)
{
  g_return_val_if_fail (GEMLET_IS_MESSAGE (self), NULL);

  return self->notice;
}

void
gemlet_message_set_notice (GemletMessage *self,
                           const char    *notice)
{
  g_return_if_fail (GEMLET_IS_MESSAGE (self));

  if (g_strcmp0 (self->notice, notice) == 0)
    return;

  g_free (self->notice);
  self->notice = g_strdup (notice);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NOTICE]);
}
