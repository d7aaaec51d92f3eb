/* gemlet-conversation.c
 *
 * A conversation: its title, dates and (once loaded) its messages as a
 * GListModel of GemletMessage. Changes go through GemletStore, which keeps
 * the database in step; the underscore setters are for the store only.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "gemlet-conversation"

#include "gemlet-config.h"

#include "gemlet-conversation.h"

struct _GemletConversation
{
  GObject     parent_instance;

  gint64      id;
  char       *title;
  gint64      created;
  gint64      updated;
  GListStore *messages;
  GemletConversationSettings settings;
  guint       messages_loaded : 1;
};

G_DEFINE_FINAL_TYPE (GemletConversation, gemlet_conversation, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_TITLE,
  PROP_UPDATED,
  PROP_MESSAGES_LOADED,
  PROP_SETTINGS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
gemlet_conversation_finalize (GObject *object)
{
  GemletConversation *self = (GemletConversation *)object;

  g_clear_pointer (&self->title, g_free);
  g_clear_object (&self->messages);
  gemlet_conversation_settings_clear (&self->settings);

  G_OBJECT_CLASS (gemlet_conversation_parent_class)->finalize (object);
}

static void
gemlet_conversation_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  GemletConversation *self = GEMLET_CONVERSATION (object);

  switch (prop_id)
    {
    case PROP_TITLE:
      g_value_set_string (value, self->title);
      break;

    case PROP_UPDATED:
      g_value_set_int64 (value, self->updated);
      break;

    case PROP_MESSAGES_LOADED:
      g_value_set_boolean (value, self->messages_loaded);
      break;

    case PROP_SETTINGS:
      g_value_set_pointer (value, &self->settings);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gemlet_conversation_class_init (GemletConversationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = gemlet_conversation_finalize;
  object_class->get_property = gemlet_conversation_get_property;

  properties[PROP_TITLE] =
    g_param_spec_string ("title", NULL, NULL, "",
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_UPDATED] =
    g_param_spec_int64 ("updated", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MESSAGES_LOADED] =
    g_param_spec_boolean ("messages-loaded", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /* notified when the system prompt or an override changes */
  properties[PROP_SETTINGS] =
    g_param_spec_pointer ("settings", NULL, NULL,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
gemlet_conversation_init (GemletConversation *self)
{
  self->messages = g_list_store_new (GEMLET_TYPE_MESSAGE);
  self->title = g_strdup ("");
  gemlet_conversation_settings_init (&self->settings);
}

GemletConversation *
gemlet_conversation_new (gint64      id,
                         const char *title,
                         gint64      created,
                         gint64      updated)
{
  GemletConversation *self = g_object_new (GEMLET_TYPE_CONVERSATION, NULL);

  self->id = id;
  g_free (self->title);
  self->title = g_strdup (title ? title : "");
  self->created = created;
  self->updated = updated;

  return self;
}

gint64
gemlet_conversation_get_id (GemletConversation *self)
{
  g_return_val_if_fail (GEMLET_IS_CONVERSATION (self), 0);

  return self->id;
}

void
_gemlet_conversation_set_id (GemletConversation *self,
                             gint64              id)
{
  g_return_if_fail (GEMLET_IS_CONVERSATION (self));

  self->id = id;
}

const char *
gemlet_conversation_get_title (GemletConversation *self)
{
  g_return_val_if_fail (GEMLET_IS_CONVERSATION (self), NULL);

  return self->title;
}

void
_gemlet_conversation_set_title (GemletConversation *self,
                                const char         *title)
{
  g_return_if_fail (GEMLET_IS_CONVERSATION (self));

  if (g_strcmp0 (self->title, title) == 0)
    return;

  g_free (self->title);
  self->title = g_strdup (title ? title : "");
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
}

gint64
gemlet_conversation_get_created (GemletConversation *self)
{
  g_return_val_if_fail (GEMLET_IS_CONVERSATION (self), 0);

  return self->created;
}

gint64
gemlet_conversation_get_updated (GemletConversation *self)
{
  g_return_val_if_fail (GEMLET_IS_CONVERSATION (self), 0);

  return self->updated;
}

void
_gemlet_conversation_set_updated (GemletConversation *self,
                                  gint64              updated)
{
  g_return_if_fail (GEMLET_IS_CONVERSATION (self));

  if (self->updated == updated)
    return;

  self->updated = updated;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UPDATED]);
}

GListModel *
gemlet_conversation_get_messages (GemletConversation *self)
{
  g_return_val_if_fail (GEMLET_IS_CONVERSATION (self), NULL);

  return G_LIST_MODEL (self->messages);
}

gboolean
gemlet_conversation_get_messages_loaded (GemletConversation *self)
{
  g_return_val_if_fail (GEMLET_IS_CONVERSATION (self), FALSE);

  return self->messages_loaded;
}

void
_gemlet_conversation_set_messages (GemletConversation *self,
                                   GPtrArray          *messages)
{
  g_return_if_fail (GEMLET_IS_CONVERSATION (self));

  g_list_store_splice (self->messages, 0,
                       g_list_model_get_n_items (G_LIST_MODEL (self->messages)),
                       messages ? messages->pdata : NULL,
                       messages ? messages->len : 0);

  if (!self->messages_loaded)
    {
      self->messages_loaded = TRUE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MESSAGES_LOADED]);
    }
}

guint
gemlet_conversation_get_n_messages (GemletConversation *self)
{
  g_return_val_if_fail (GEMLET_IS_CONVERSATION (self), 0);

  return g_list_model_get_n_items (G_LIST_MODEL (self->messages));
}

/* Returns: (transfer none) */
GemletMessage *
gemlet_conversation_get_message (GemletConversation *self,
                                 guint               position)
{
  g_autoptr(GemletMessage) message = NULL;

  g_return_val_if_fail (GEMLET_IS_CONVERSATION (self), NULL);

  message = g_list_model_get_item (G_LIST_MODEL (self->messages), position);

  /* The list store keeps its own reference. */
  return message;
}

void
_gemlet_conversation_append_message (GemletConversation *self,
                                     GemletMessage      *message)
{
  g_return_if_fail (GEMLET_IS_CONVERSATION (self));

  g_list_store_append (self->messages, message);
}

void
_gemlet_conversation_truncate (GemletConversation *self,
                               guint               n_kept)
{
  guint n;

  g_return_if_fail (GEMLET_IS_CONVERSATION (self));

  n = g_list_model_get_n_items (G_LIST_MODEL (self->messages));
  if (n_kept < n)
    g_list_store_splice (self->messages, n_kept, n - n_kept, NULL, 0);
}

/**
 * gemlet_conversation_get_settings:
 *
 * Returns: (transfer none): the system prompt and sampling overrides
 */
const GemletConversationSettings *
gemlet_conversation_get_settings (GemletConversation *self)
{
  g_return_val_if_fail (GEMLET_IS_CONVERSATION (self), NULL);

  return &self->settings;
}

void
_gemlet_conversation_set_settings (GemletConversation               *self,
                                   const GemletConversationSettings *settings)
{
  g_return_if_fail (GEMLET_IS_CONVERSATION (self));

  if (gemlet_conversation_settings_equal (&self->settings, settings))
    return;

  gemlet_conversation_settings_copy (&self->settings, settings);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SETTINGS]);
}
