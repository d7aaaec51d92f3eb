/* gemlet-conversation-settings.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "gemlet.h"

G_BEGIN_DECLS

/* Which fields of GemletConversationSettings hold a value of their own;
 * the others follow Preferences. */
typedef enum
{
  GEMLET_OVERRIDE_TEMPERATURE    = 1 << 0,
  GEMLET_OVERRIDE_TOP_K          = 1 << 1,
  GEMLET_OVERRIDE_TOP_P          = 1 << 2,
  GEMLET_OVERRIDE_MIN_P          = 1 << 3,
  GEMLET_OVERRIDE_REPEAT_PENALTY = 1 << 4,
  GEMLET_OVERRIDE_SEED           = 1 << 5,
  GEMLET_OVERRIDE_CONTEXT_LENGTH = 1 << 6,
} GemletOverride;

#define GEMLET_OVERRIDE_ALL ((GemletOverride) 0x7f)

/* Per-conversation system prompt and sampling overrides. */
typedef struct
{
  char           *system_prompt;  /* NULL: none */
  GemletOverride  set;
  double          temperature;    /* 0..2; 0 = greedy */
  guint           top_k;          /* 0..1000; 0 = off */
  double          top_p;          /* 0..1 */
  double          min_p;          /* 0..1 */
  double          repeat_penalty; /* 1..2 */
  guint           seed;           /* 0 = a new seed for every reply */
  guint           context_length; /* 512..131072 tokens */
} GemletConversationSettings;

/* Allowed ranges: the same as the GSettings keys. */
#define GEMLET_TEMPERATURE_MAX     2.0
#define GEMLET_TOP_K_MAX           1000
#define GEMLET_REPEAT_PENALTY_MIN  1.0
#define GEMLET_REPEAT_PENALTY_MAX  2.0
#define GEMLET_CONTEXT_LENGTH_MIN  512
#define GEMLET_CONTEXT_LENGTH_MAX  131072

void     gemlet_conversation_settings_init      (GemletConversationSettings       *self);
void     gemlet_conversation_settings_clear     (GemletConversationSettings       *self);
void     gemlet_conversation_settings_copy      (GemletConversationSettings       *dest,
                                                 const GemletConversationSettings *src);
gboolean gemlet_conversation_settings_equal     (const GemletConversationSettings *a,
                                                 const GemletConversationSettings *b);
gboolean gemlet_conversation_settings_is_empty  (const GemletConversationSettings *self);
gboolean gemlet_conversation_settings_validate  (const GemletConversationSettings *self,
                                                 GError                          **error);
const char *gemlet_conversation_settings_get_system_prompt (const GemletConversationSettings *self);
void     gemlet_conversation_settings_fill_sampling (const GemletConversationSettings *self,
                                                     GSettings                        *defaults,
                                                     gm_sampling                      *sampling);
guint    gemlet_conversation_settings_get_context_length (const GemletConversationSettings *self,
                                                          GSettings                        *defaults);

G_END_DECLS
