/* gemlet-conversation-settings.c
 *
 * A conversation's own system prompt and sampling values. Each value is
 * either set for the conversation or follows Preferences (GSettings), so a
 * change in Preferences still reaches every conversation that did not pick
 * its own value. No widgets: used by the store, the JSON import/export and
 * the window.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "gemlet-conversation-settings"

#include "gemlet-config.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n.h>

#include "gemlet-conversation-settings.h"

void
gemlet_conversation_settings_init (GemletConversationSettings *self)
{
  memset (self, 0, sizeof *self);
  self->temperature = 1.0;
  self->top_k = 64;
  self->top_p = 0.95;
  self->repeat_penalty = 1.0;
  self->context_length = 8192;
}

void
gemlet_conversation_settings_clear (GemletConversationSettings *self)
{
  g_clear_pointer (&self->system_prompt, g_free);
  gemlet_conversation_settings_init (self);
}

void
gemlet_conversation_settings_copy (GemletConversationSettings       *dest,
                                   const GemletConversationSettings *src)
{
  if (dest == src)
    return;
  g_free (dest->system_prompt);
  *dest = *src;
  dest->system_prompt = g_strdup (src->system_prompt);
}

/* Only what takes effect counts: a value that is not set is ignored. */
gboolean
gemlet_conversation_settings_equal (const GemletConversationSettings *a,
                                    const GemletConversationSettings *b)
{
  GemletOverride s = a->set;

  if (g_strcmp0 (gemlet_conversation_settings_get_system_prompt (a),
                 gemlet_conversation_settings_get_system_prompt (b)) != 0)
    return FALSE;
  if (a->set != b->set)
    return FALSE;

  return (!(s & GEMLET_OVERRIDE_TEMPERATURE) || a->temperature == b->temperature) &&
         (!(s & GEMLET_OVERRIDE_TOP_K) || a->top_k == b->top_k) &&
         (!(s & GEMLET_OVERRIDE_TOP_P) || a->top_p == b->top_p) &&
         (!(s & GEMLET_OVERRIDE_MIN_P) || a->min_p == b->min_p) &&
         (!(s & GEMLET_OVERRIDE_REPEAT_PENALTY) || a->repeat_penalty == b->repeat_penalty) &&
         (!(s & GEMLET_OVERRIDE_SEED) || a->seed == b->seed) &&
         (!(s & GEMLET_OVERRIDE_CONTEXT_LENGTH) || a->context_length == b->context_length);
}

gboolean
gemlet_conversation_settings_is_empty (const GemletConversationSettings *self)
{
  return self->set == 0 && gemlet_conversation_settings_get_system_prompt (self) == NULL;
}

/* NULL when there is none (an empty prompt is none). */
const char *
gemlet_conversation_settings_get_system_prompt (const GemletConversationSettings *self)
{
  return self->system_prompt != NULL && self->system_prompt[0] != '\0' ? self->system_prompt : NULL;
}

static gboolean
in_range (double value,
          double lower,
          double upper)
{
  return isfinite (value) && value >= lower && value <= upper;
}

/* Values from outside (an imported file, an old database) are checked
 * against the ranges Preferences allows. */
gboolean
gemlet_conversation_settings_validate (const GemletConversationSettings  *self,
                                       GError                           **error)
{
  GemletOverride s = self->set;
  const char *bad = NULL;

  if ((s & ~GEMLET_OVERRIDE_ALL) != 0)
    bad = "?";
  else if ((s & GEMLET_OVERRIDE_TEMPERATURE) && !in_range (self->temperature, 0, GEMLET_TEMPERATURE_MAX))
    bad = "temperature";
  else if ((s & GEMLET_OVERRIDE_TOP_K) && self->top_k > GEMLET_TOP_K_MAX)
    bad = "top_k";
  else if ((s & GEMLET_OVERRIDE_TOP_P) && !in_range (self->top_p, 0, 1))
    bad = "top_p";
  else if ((s & GEMLET_OVERRIDE_MIN_P) && !in_range (self->min_p, 0, 1))
    bad = "min_p";
  else if ((s & GEMLET_OVERRIDE_REPEAT_PENALTY) &&
           !in_range (self->repeat_penalty, GEMLET_REPEAT_PENALTY_MIN, GEMLET_REPEAT_PENALTY_MAX))
    bad = "repeat_penalty";
  else if ((s & GEMLET_OVERRIDE_CONTEXT_LENGTH) &&
           (self->context_length < GEMLET_CONTEXT_LENGTH_MIN || self->context_length > GEMLET_CONTEXT_LENGTH_MAX))
    bad = "context_length";
  else if (self->system_prompt != NULL && !g_utf8_validate (self->system_prompt, -1, NULL))
    bad = "system_prompt";

  if (bad != NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   /* Translators: %s is the name of a setting, e.g. "top_p" */
                   _("The conversation setting “%s” is out of range."), bad);
      return FALSE;
    }

  return TRUE;
}

/* Sampling for a reply: the conversation's own values, Preferences for the
 * rest. A seed of 0 means a new random seed for every reply. */
void
gemlet_conversation_settings_fill_sampling (const GemletConversationSettings *self,
                                            GSettings                        *defaults,
                                            gm_sampling                      *sampling)
{
  GemletOverride s = self != NULL ? self->set : 0;
  guint seed;

  gm_sampling_init (sampling);
  sampling->temperature = (s & GEMLET_OVERRIDE_TEMPERATURE) ? self->temperature
                                                            : g_settings_get_double (defaults, "temperature");
  sampling->greedy = sampling->temperature <= 0.0;
  sampling->top_k = (s & GEMLET_OVERRIDE_TOP_K) ? self->top_k : g_settings_get_uint (defaults, "top-k");
  sampling->top_p = (s & GEMLET_OVERRIDE_TOP_P) ? self->top_p : g_settings_get_double (defaults, "top-p");
  sampling->min_p = (s & GEMLET_OVERRIDE_MIN_P) ? self->min_p : g_settings_get_double (defaults, "min-p");
  sampling->repeat_penalty = (s & GEMLET_OVERRIDE_REPEAT_PENALTY)
                           ? self->repeat_penalty : g_settings_get_double (defaults, "repeat-penalty");
  seed = (s & GEMLET_OVERRIDE_SEED) ? self->seed : g_settings_get_uint (defaults, "seed");
  sampling->seed = seed != 0 ? seed : ((guint64) g_random_int () << 32 | g_random_int ());
}

/* The context length a reply in this conversation uses; 0 = automatic
 * (resolved by the engine worker from the available memory). */
guint
gemlet_conversation_settings_get_context_length (const GemletConversationSettings *self,
                                                 GSettings                        *defaults)
{
  if (self != NULL && (self->set & GEMLET_OVERRIDE_CONTEXT_LENGTH))
    return self->context_length;

  return g_settings_get_uint (defaults, "context-length");
}
