/* gemlet-conversation-io.c
 *
 * A conversation as a file: JSON (exported and imported again; versioned
 * by its "format" and "version" keys) and Markdown (export only, for
 * reading and sharing). The (de)serialisation has no widgets and no I/O so
 * it can be tested alone; reading and writing files run on worker threads.
 *
 * The JSON file:
 *   { "format": "gemlet-conversation", "version": 1,
 *     "title": "…", "created": "2026-11-29T10:00:00.000000Z", "updated": "…",
 *     "settings": { "system_prompt": "…", "temperature": 0.7, "top_k": 40,
 *                   "top_p": 0.9, "min_p": 0.05, "repeat_penalty": 1.1,
 *                   "seed": 42, "context_length": 8192 },
 *     "messages": [ { "role": "user" | "model" | "system",
 *                     "content": "…", "created": "…" }, … ] }
 * Only "format", "version" and "messages" are required; settings that are
 * absent follow Preferences; unknown keys are ignored (so a later version
 * can add some without raising "version").
 *
 * Anything read from a file is checked: types, ranges, valid UTF-8, no NUL
 * characters, nesting depth and size; a bad file gives a sentence saying
 * what is wrong and where, never a crash.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "gemlet-conversation-io"

#include "gemlet-config.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include <glib/gi18n.h>
#include <json-c/json.h>

#include "gemlet-conversation-io.h"

/* Our files nest three levels deep; anything much deeper is not one. */
#define MAX_DEPTH 16

G_DEFINE_QUARK (gemlet-conversation-io-error-quark, gemlet_conversation_io_error)

GemletConversationDoc *
gemlet_conversation_doc_new (void)
{
  GemletConversationDoc *doc = g_new0 (GemletConversationDoc, 1);

  doc->title = g_strdup ("");
  gemlet_conversation_settings_init (&doc->settings);
  doc->messages = g_ptr_array_new_with_free_func (g_object_unref);

  return doc;
}

/* A copy that later changes to the conversation (a reply still streaming)
 * do not touch, so it can be written out on another thread. The messages
 * must be loaded. */
GemletConversationDoc *
gemlet_conversation_doc_new_from_conversation (GemletConversation *conversation)
{
  GemletConversationDoc *doc;
  guint n;

  g_return_val_if_fail (GEMLET_IS_CONVERSATION (conversation), NULL);
  g_return_val_if_fail (gemlet_conversation_get_messages_loaded (conversation), NULL);

  doc = gemlet_conversation_doc_new ();
  g_free (doc->title);
  doc->title = g_strdup (gemlet_conversation_get_title (conversation));
  doc->created = gemlet_conversation_get_created (conversation);
  doc->updated = gemlet_conversation_get_updated (conversation);
  gemlet_conversation_settings_copy (&doc->settings, gemlet_conversation_get_settings (conversation));

  n = gemlet_conversation_get_n_messages (conversation);
  for (guint i = 0; i < n; i++)
    {
      GemletMessage *m = gemlet_conversation_get_message (conversation, i);

      g_ptr_array_add (doc->messages,
                       gemlet_message_new (0, gemlet_message_get_role (m),
                                           gemlet_message_get_content (m),
                                           gemlet_message_get_created (m)));
    }

  return doc;
}

void
gemlet_conversation_doc_free (GemletConversationDoc *doc)
{
  if (doc == NULL)
    return;

  g_free (doc->title);
  gemlet_conversation_settings_clear (&doc->settings);
  g_ptr_array_unref (doc->messages);
  g_free (doc);
}

/* ------------------------------------------------------------------ write */

static const char *
role_to_string (GemletRole role)
{
  switch (role)
    {
    case GEMLET_ROLE_SYSTEM: return "system";
    case GEMLET_ROLE_MODEL:  return "model";
    case GEMLET_ROLE_USER:
    default:                 return "user";
    }
}

static struct json_object *
new_time (gint64 usec)
{
  g_autoptr(GDateTime) utc = NULL;
  g_autofree char *text = NULL;

  if (usec <= 0)
    return NULL;

  utc = g_date_time_new_from_unix_utc (usec / G_USEC_PER_SEC);
  if (utc == NULL)
    return NULL;
  {
    g_autoptr(GDateTime) exact = g_date_time_add (utc, usec % G_USEC_PER_SEC);

    text = g_date_time_format (exact, "%Y-%m-%dT%H:%M:%S.%fZ");
  }

  return json_object_new_string (text);
}

/* Written as the shortest text that reads back as the same double, with
 * a dot whatever the locale ("0.7", not "0.69999999999999996"). */
static struct json_object *
new_double (double value)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  g_ascii_formatd (buf, sizeof buf, "%.15g", value);
  if (g_ascii_strtod (buf, NULL) != value)
    g_ascii_formatd (buf, sizeof buf, "%.17g", value);

  return json_object_new_double_s (value, buf);
}

static struct json_object *
settings_to_json (const GemletConversationSettings *settings)
{
  struct json_object *obj = json_object_new_object ();
  GemletOverride set = settings->set;
  const char *prompt = gemlet_conversation_settings_get_system_prompt (settings);

  if (prompt != NULL)
    json_object_object_add (obj, "system_prompt", json_object_new_string (prompt));
  if (set & GEMLET_OVERRIDE_TEMPERATURE)
    json_object_object_add (obj, "temperature", new_double (settings->temperature));
  if (set & GEMLET_OVERRIDE_TOP_K)
    json_object_object_add (obj, "top_k", json_object_new_int64 (settings->top_k));
  if (set & GEMLET_OVERRIDE_TOP_P)
    json_object_object_add (obj, "top_p", new_double (settings->top_p));
  if (set & GEMLET_OVERRIDE_MIN_P)
    json_object_object_add (obj, "min_p", new_double (settings->min_p));
  if (set & GEMLET_OVERRIDE_REPEAT_PENALTY)
    json_object_object_add (obj, "repeat_penalty", new_double (settings->repeat_penalty));
  if (set & GEMLET_OVERRIDE_SEED)
    json_object_object_add (obj, "seed", json_object_new_int64 (settings->seed));
  if (set & GEMLET_OVERRIDE_CONTEXT_LENGTH)
    json_object_object_add (obj, "context_length", json_object_new_int64 (settings->context_length));

  return obj;
}

static void
add_time (struct json_object *obj,
          const char         *key,
          gint64              usec)
{
  struct json_object *value = new_time (usec);

  if (value != NULL)
    json_object_object_add (obj, key, value);
}

/**
 * gemlet_conversation_doc_to_json:
 * @length: (out) (optional): bytes written, without the final NUL
 *
 * Returns: (transfer full): the conversation as pretty-printed UTF-8 JSON
 */
char *
gemlet_conversation_doc_to_json (const GemletConversationDoc *doc,
                                 gsize                       *length)
{
  struct json_object *root = json_object_new_object ();
  struct json_object *messages = json_object_new_array_ext ((int) MIN (doc->messages->len, G_MAXINT));
  const char *text;
  size_t len = 0;
  char *out;

  json_object_object_add (root, "format", json_object_new_string (GEMLET_CONVERSATION_FILE_FORMAT));
  json_object_object_add (root, "version", json_object_new_int (GEMLET_CONVERSATION_FILE_VERSION));
  json_object_object_add (root, "title", json_object_new_string (doc->title ? doc->title : ""));
  add_time (root, "created", doc->created);
  add_time (root, "updated", doc->updated);
  json_object_object_add (root, "settings", settings_to_json (&doc->settings));

  for (guint i = 0; i < doc->messages->len; i++)
    {
      GemletMessage *m = g_ptr_array_index (doc->messages, i);
      struct json_object *obj = json_object_new_object ();

      json_object_object_add (obj, "role", json_object_new_string (role_to_string (gemlet_message_get_role (m))));
      json_object_object_add (obj, "content",
                              json_object_new_string_len (gemlet_message_get_content (m),
                                                          (int) MIN (gemlet_message_get_length (m), G_MAXINT)));
      add_time (obj, "created", gemlet_message_get_created (m));
      json_object_array_add (messages, obj);
    }
  json_object_object_add (root, "messages", messages);

  text = json_object_to_json_string_length (root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                  JSON_C_TO_STRING_NOSLASHESCAPE, &len);
  out = g_malloc (len + 2);
  memcpy (out, text, len);
  out[len++] = '\n';
  out[len] = '\0';
  json_object_put (root);

  if (length != NULL)
    *length = len;

  return out;
}

static void
append_quoted (GString    *out,
               const char *text)
{
  const char *line = text;

  while (line != NULL && *line != '\0')
    {
      const char *end = strchr (line, '\n');
      gsize n = end ? (gsize) (end - line) : strlen (line);

      g_string_append (out, n > 0 ? "> " : ">");
      g_string_append_len (out, line, n);
      g_string_append_c (out, '\n');
      line = end ? end + 1 : NULL;
    }
}

/**
 * gemlet_conversation_doc_to_markdown:
 *
 * The conversation for people: the title, the system prompt as a quote,
 * then each message under a heading naming who wrote it. Message text is
 * already Markdown and is written as it is.
 *
 * Returns: (transfer full): UTF-8 Markdown
 */
char *
gemlet_conversation_doc_to_markdown (const GemletConversationDoc *doc,
                                     gsize                       *length)
{
  GString *out = g_string_new (NULL);
  const char *prompt = gemlet_conversation_settings_get_system_prompt (&doc->settings);

  g_string_append_printf (out, "# %s\n\n", doc->title && *doc->title ? doc->title : _("New Conversation"));

  if (doc->created > 0)
    {
      g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (doc->created / G_USEC_PER_SEC);
      g_autoptr(GDateTime) local = utc ? g_date_time_to_local (utc) : NULL;
      g_autofree char *date = local ? g_date_time_format (local, "%Y-%m-%d %H:%M") : NULL;

      if (date != NULL)
        {
          /* Translators: %s is a date and time, "2026-11-29 10:00" */
          g_string_append_printf (out, _("*Started %s, exported from Gemlet.*"), date);
          g_string_append (out, "\n\n");
        }
    }

  if (prompt != NULL)
    {
      g_string_append_printf (out, "**%s**\n\n", _("System prompt"));
      append_quoted (out, prompt);
      g_string_append_c (out, '\n');
    }

  for (guint i = 0; i < doc->messages->len; i++)
    {
      GemletMessage *m = g_ptr_array_index (doc->messages, i);
      const char *who;

      switch (gemlet_message_get_role (m))
        {
        case GEMLET_ROLE_SYSTEM: who = _("System"); break;
        case GEMLET_ROLE_MODEL:  who = _("Gemma"); break;
        case GEMLET_ROLE_USER:
        default:                 who = _("You"); break;
        }
      g_string_append_printf (out, "## %s\n\n", who);
      g_string_append (out, gemlet_message_get_content (m));
      while (out->len > 0 && out->str[out->len - 1] == '\n')
        g_string_truncate (out, out->len - 1);
      g_string_append (out, "\n\n");
    }

  if (length != NULL)
    *length = out->len;

  return g_string_free (out, FALSE);
}

/* "A title: with/slashes" → "A title- with-slashes.json", for the file
 * chooser; never empty, never a path. */
char *
gemlet_conversation_doc_suggest_file_name (const GemletConversationDoc *doc,
                                           GemletConversationFileType   type)
{
  const char *title = doc->title && *doc->title ? doc->title : _("Conversation");
  GString *name = g_string_new (NULL);

  for (const char *p = title; *p && g_utf8_strlen (name->str, -1) < 80; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c == '/' || c == '\\' || c == ':' || c == '*' || c == '?' || c == '"' ||
          c == '<' || c == '>' || c == '|' || g_unichar_iscntrl (c))
        g_string_append_c (name, '-');
      else
        g_string_append_unichar (name, c);
    }
  g_strstrip (name->str);
  g_string_set_size (name, strlen (name->str));
  while (name->len > 0 && name->str[0] == '.')
    g_string_erase (name, 0, 1);
  if (name->len == 0)
    g_string_assign (name, "conversation");

  g_string_append (name, type == GEMLET_CONVERSATION_FILE_JSON ? ".json" : ".md");

  return g_string_free (name, FALSE);
}

/* ------------------------------------------------------------------- read */

static gboolean
fail (GError    **error,
      int         code,
      const char *format,
      ...) G_GNUC_PRINTF (3, 4);

static gboolean
fail (GError    **error,
      int         code,
      const char *format,
      ...)
{
  va_list ap;

  if (error == NULL)
    return FALSE;

  g_return_val_if_fail (*error == NULL, FALSE);
  va_start (ap, format);
  *error = g_error_new_valist (GEMLET_CONVERSATION_IO_ERROR, code, format, ap);
  va_end (ap);

  return FALSE;
}

/* A text from the file: a JSON string, valid UTF-8, no NUL inside. */
static gboolean
get_text (struct json_object  *value,
          const char          *where,
          const char         **out,
          GError             **error)
{
  const char *text;
  int len;

  if (!json_object_is_type (value, json_type_string))
    return fail (error, GEMLET_CONVERSATION_IO_ERROR_INVALID,
                 /* Translators: %s names a place in the file, e.g. “messages[3].content” */
                 _("“%s” should be a text."), where);

  text = json_object_get_string (value);
  len = json_object_get_string_len (value);
  if (memchr (text, '\0', len) != NULL)
    return fail (error, GEMLET_CONVERSATION_IO_ERROR_INVALID,
                 _("“%s” contains a NUL character."), where);
  if (!g_utf8_validate_len (text, len, NULL))
    return fail (error, GEMLET_CONVERSATION_IO_ERROR_INVALID,
                 _("“%s” is not valid UTF-8 text."), where);

  *out = text;
  return TRUE;
}

static gboolean
get_number (struct json_object  *value,
            const char          *where,
            double              *out,
            GError             **error)
{
  if (!json_object_is_type (value, json_type_double) && !json_object_is_type (value, json_type_int))
    return fail (error, GEMLET_CONVERSATION_IO_ERROR_INVALID, _("“%s” should be a number."), where);

  *out = json_object_get_double (value);
  if (!isfinite (*out))
    return fail (error, GEMLET_CONVERSATION_IO_ERROR_INVALID, _("“%s” should be a number."), where);

  return TRUE;
}

static gboolean
get_uint (struct json_object  *value,
          const char          *where,
          guint               *out,
          GError             **error)
{
  gint64 v;

  if (!json_object_is_type (value, json_type_int))
    return fail (error, GEMLET_CONVERSATION_IO_ERROR_INVALID, _("“%s” should be a whole number."), where);

  errno = 0;
  v = json_object_get_int64 (value);
  if (errno != 0 || v < 0 || v > G_MAXUINT)
    return fail (error, GEMLET_CONVERSATION_IO_ERROR_INVALID, _("“%s” is out of range."), where);

  *out = (guint) v;
  return TRUE;
}

/* An optional time: absent or null is unknown (0). */
static gboolean
get_time (struct json_object  *obj,
          const char          *key,
          const char          *where,
          gint64              *out,
          GError             **error)
{
  struct json_object *value = NULL;
  g_autoptr(GDateTime) time = NULL;
  const char *text;

  *out = 0;
  if (!json_object_object_get_ex (obj, key, &value) || value == NULL)
    return TRUE;
  if (!get_text (value, where, &text, error))
    return FALSE;

  time = g_date_time_new_from_iso8601 (text, NULL);
  if (time == NULL)
    return fail (error, GEMLET_CONVERSATION_IO_ERROR_INVALID,
                 _("“%s” is not a date and time (expected e.g. 2026-11-29T10:00:00Z)."), where);

  *out = g_date_time_to_unix (time) * G_USEC_PER_SEC + g_date_time_get_microsecond (time);
  if (*out < 0)
    *out = 0;

  return TRUE;
}

static gboolean
read_settings (struct json_object          *obj,
               GemletConversationSettings  *settings,
               GError                     **error)
{
  struct json_object *value;
  double d;

  gemlet_conversation_settings_init (settings);

  if (obj == NULL)
    return TRUE;
  if (!json_object_is_type (obj, json_type_object))
    return fail (error, GEMLET_CONVERSATION_IO_ERROR_INVALID, _("“%s” should be an object."), "settings");

  if (json_object_object_get_ex (obj, "system_prompt", &value) && value != NULL)
    {
      const char *prompt;

      if (!get_text (value, "settings.system_prompt", &prompt, error))
        return FALSE;
      settings->system_prompt = g_strdup (prompt);
    }

#define REAL_SETTING(key, field, flag) \
  if (json_object_object_get_ex (obj, key, &value) && value != NULL) \
    { \
      if (!get_number (value, "settings." key, &d, error)) \
        return FALSE; \
      settings->field = d; \
      settings->set |= flag; \
    }
#define UINT_SETTING(key, field, flag) \
  if (json_object_object_get_ex (obj, key, &value) && value != NULL) \
    { \
      if (!get_uint (value, "settings." key, &settings->field, error)) \
        return FALSE; \
      settings->set |= flag; \
    }

  REAL_SETTING ("temperature", temperature, GEMLET_OVERRIDE_TEMPERATURE);
  UINT_SETTING ("top_k", top_k, GEMLET_OVERRIDE_TOP_K);
  REAL_SETTING ("top_p", top_p, GEMLET_OVERRIDE_TOP_P);
  REAL_SETTING ("min_p", min_p, GEMLET_OVERRIDE_MIN_P);
  REAL_SETTING ("repeat_penalty", repeat_penalty, GEMLET_OVERRIDE_REPEAT_PENALTY);
  UINT_SETTING ("seed", seed, GEMLET_OVERRIDE_SEED);
  UINT_SETTING ("context_length", context_length, GEMLET_OVERRIDE_CONTEXT_LENGTH);

#undef REAL_SETTING
#undef UINT_SETTING

  {
    g_autoptr(GError) local_error = NULL;

    if (!gemlet_conversation_settings_validate (settings, &local_error))
      return fail (error, GEMLET_CONVERSATION_IO_ERROR_INVALID, "%s", local_error->message);
  }

  return TRUE;
}

static gboolean
read_message (struct json_object     *obj,
              guint                   index,
              GemletConversationDoc  *doc,
              GError                **error)
{
  g_autofree char *where = g_strdup_printf ("messages[%u]", index);
  g_autofree char *where_role = g_strdup_printf ("messages[%u].role", index);
  g_autofree char *where_content = g_strdup_printf ("messages[%u].content", index);
  g_autofree char *where_created = g_strdup_printf ("messages[%u].created", index);
  struct json_object *value;
  const char *role_text, *content;
  GemletRole role;
  gint64 created;

  if (!json_object_is_type (obj, json_type_object))
    return fail (error, GEMLET_CONVERSATION_IO_ERROR_INVALID, _("“%s” should be an object."), where);

  if (!json_object_object_get_ex (obj, "role", &value))
    return fail (error, GEMLET_CONVERSATION_IO_ERROR_INVALID, _("“%s” is missing."), where_role);
  if (!get_text (value, where_role, &role_text, error))
    return FALSE;
  if (g_str_equal (role_text, "user"))
    role = GEMLET_ROLE_USER;
  else if (g_str_equal (role_text, "model"))
    role = GEMLET_ROLE_MODEL;
  else if (g_str_equal (role_text, "system"))
    role = GEMLET_ROLE_SYSTEM;
  else
    return fail (error, GEMLET_CONVERSATION_IO_ERROR_INVALID,
                 /* Translators: the quoted words are the allowed values, do not translate them */
                 _("“%s” should be “user”, “model” or “system”."), where_role);

  if (!json_object_object_get_ex (obj, "content", &value))
    return fail (error, GEMLET_CONVERSATION_IO_ERROR_INVALID, _("“%s” is missing."), where_content);
  if (!get_text (value, where_content, &content, error))
    return FALSE;

  if (!get_time (obj, "created", where_created, &created, error))
    return FALSE;

  g_ptr_array_add (doc->messages, gemlet_message_new (0, role, content, created));

  return TRUE;
}

static void
too_big (GError **error)
{
  g_autofree char *limit = g_format_size (GEMLET_CONVERSATION_FILE_MAX_BYTES);

  fail (error, GEMLET_CONVERSATION_IO_ERROR_TOO_BIG,
        _("The file is too large to be a conversation (more than %s)."), limit);
}

/**
 * gemlet_conversation_doc_from_json:
 * @data: the file's bytes (need not be NUL-terminated)
 *
 * Returns: (transfer full): the conversation, or NULL with @error saying
 *   what is wrong with the file
 */
GemletConversationDoc *
gemlet_conversation_doc_from_json (const char  *data,
                                   gsize        length,
                                   GError     **error)
{
  g_autoptr(GemletConversationDoc) doc = NULL;
  struct json_tokener *tok;
  struct json_object *root, *value, *messages;
  enum json_tokener_error jerr;
  size_t end;
  const char *text;

  g_return_val_if_fail (data != NULL || length == 0, NULL);

  if (length > GEMLET_CONVERSATION_FILE_MAX_BYTES)
    {
      too_big (error);
      return NULL;
    }

  /* A UTF-8 byte order mark (some editors add one) is not JSON. */
  if (length >= 3 && memcmp (data, "\xEF\xBB\xBF", 3) == 0)
    {
      data += 3;
      length -= 3;
    }

  tok = json_tokener_new_ex (MAX_DEPTH);
  if (tok == NULL)
    {
      fail (error, GEMLET_CONVERSATION_IO_ERROR_INVALID, _("Out of memory reading the file."));
      return NULL;
    }
  json_tokener_set_flags (tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
  root = json_tokener_parse_ex (tok, data, (int) length);
  jerr = json_tokener_get_error (tok);
  end = json_tokener_get_parse_end (tok);
  if (root == NULL && jerr == json_tokener_continue)
    jerr = json_tokener_error_parse_eof;
  json_tokener_free (tok);

  if (jerr != json_tokener_success || root == NULL)
    {
      g_autofree char *where = g_strdup_printf ("%" G_GSIZE_FORMAT, (gsize) end);

      json_object_put (root);
      if (length == 0)
        fail (error, GEMLET_CONVERSATION_IO_ERROR_INVALID, _("The file is empty."));
      else
        fail (error, GEMLET_CONVERSATION_IO_ERROR_INVALID,
              /* Translators: the first %s is the JSON parser's reason (in English), the
               * second a byte offset */
              _("The file is not valid JSON: %s (at byte %s)."),
              jerr == json_tokener_success ? "null" : json_tokener_error_desc (jerr), where);
      return NULL;
    }

  /* Only white space may follow the object. */
  for (size_t i = end; i < length; i++)
    if (!g_ascii_isspace (data[i]))
      {
        g_autofree char *where = g_strdup_printf ("%" G_GSIZE_FORMAT, (gsize) i);

        json_object_put (root);
        fail (error, GEMLET_CONVERSATION_IO_ERROR_INVALID,
              /* Translators: %s is a byte offset */
              _("The file is not valid JSON: unexpected text after the end (at byte %s)."), where);
        return NULL;
      }

  doc = gemlet_conversation_doc_new ();

  if (!json_object_is_type (root, json_type_object) ||
      !json_object_object_get_ex (root, "format", &value) ||
      !json_object_is_type (value, json_type_string) ||
      g_strcmp0 (json_object_get_string (value), GEMLET_CONVERSATION_FILE_FORMAT) != 0)
    {
      fail (error, GEMLET_CONVERSATION_IO_ERROR_NOT_OURS,
            _("This is not a conversation exported from Gemlet (its “format” is not “%s”)."),
            GEMLET_CONVERSATION_FILE_FORMAT);
      goto out;
    }

  if (!json_object_object_get_ex (root, "version", &value))
    {
      fail (error, GEMLET_CONVERSATION_IO_ERROR_INVALID, _("“%s” is missing."), "version");
      goto out;
    }
  if (!json_object_is_type (value, json_type_int))
    {
      fail (error, GEMLET_CONVERSATION_IO_ERROR_INVALID, _("“%s” should be a whole number."), "version");
      goto out;
    }
  if (json_object_get_int64 (value) < 1)
    {
      fail (error, GEMLET_CONVERSATION_IO_ERROR_INVALID, _("“%s” is out of range."), "version");
      goto out;
    }
  if (json_object_get_int64 (value) > GEMLET_CONVERSATION_FILE_VERSION)
    {
      g_autofree char *version = g_strdup_printf ("%" G_GINT64_FORMAT, json_object_get_int64 (value));

      fail (error, GEMLET_CONVERSATION_IO_ERROR_NEWER,
            /* Translators: the file's format version, then this version's */
            _("This conversation was exported by a newer version of Gemlet (file version %s; "
              "this version reads version %d). Update Gemlet to import it."),
            version, GEMLET_CONVERSATION_FILE_VERSION);
      goto out;
    }

  if (json_object_object_get_ex (root, "title", &value) && value != NULL)
    {
      if (!get_text (value, "title", &text, error))
        goto out;
      g_free (doc->title);
      doc->title = g_strdup (text);
    }

  if (!get_time (root, "created", "created", &doc->created, error) ||
      !get_time (root, "updated", "updated", &doc->updated, error))
    goto out;

  if (!read_settings (json_object_object_get_ex (root, "settings", &value) ? value : NULL,
                      &doc->settings, error))
    goto out;

  if (!json_object_object_get_ex (root, "messages", &messages))
    {
      fail (error, GEMLET_CONVERSATION_IO_ERROR_INVALID, _("“%s” is missing."), "messages");
      goto out;
    }
  if (!json_object_is_type (messages, json_type_array))
    {
      fail (error, GEMLET_CONVERSATION_IO_ERROR_INVALID, _("“%s” should be a list."), "messages");
      goto out;
    }
  for (size_t i = 0; i < json_object_array_length (messages); i++)
    if (!read_message (json_object_array_get_idx (messages, i), (guint) i, doc, error))
      goto out;

  json_object_put (root);
  return g_steal_pointer (&doc);

out:
  json_object_put (root);
  return NULL;
}

/* ---------------------------------------------------------------- files */

typedef struct
{
  GemletConversationDoc      *doc;
  GemletConversationFileType  type;
  GFile                      *file;
} WriteData;

static void
write_data_free (WriteData *data)
{
  gemlet_conversation_doc_free (data->doc);
  g_clear_object (&data->file);
  g_free (data);
}

/* Serialises, then replaces the file (a temporary file renamed over it, so
 * a failure such as a full disk leaves any old file as it was). */
static void
write_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  WriteData *data = task_data;
  g_autofree char *text = NULL;
  GError *error = NULL;
  gsize len = 0;

  if (data->type == GEMLET_CONVERSATION_FILE_JSON)
    text = gemlet_conversation_doc_to_json (data->doc, &len);
  else
    text = gemlet_conversation_doc_to_markdown (data->doc, &len);

  if (!g_file_replace_contents (data->file, text, len, NULL, FALSE, G_FILE_CREATE_NONE,
                                NULL, cancellable, &error))
    {
      g_autofree char *name = g_file_get_parse_name (data->file);

      g_task_return_new_error (task, error->domain, error->code,
                               _("Could not save “%s”: %s"), name, error->message);
      g_error_free (error);
      return;
    }

  g_task_return_boolean (task, TRUE);
}

/**
 * gemlet_conversation_doc_write_async:
 * @doc: (transfer full): what to write
 *
 * Writes @doc as JSON or Markdown into @file on a worker thread.
 */
void
gemlet_conversation_doc_write_async (GemletConversationDoc      *doc,
                                     GemletConversationFileType  type,
                                     GFile                      *file,
                                     GCancellable               *cancellable,
                                     GAsyncReadyCallback         callback,
                                     gpointer                    user_data)
{
  g_autoptr(GTask) task = NULL;
  WriteData *data;

  g_return_if_fail (doc != NULL);
  g_return_if_fail (G_IS_FILE (file));

  data = g_new0 (WriteData, 1);
  data->doc = doc;
  data->type = type;
  data->file = g_object_ref (file);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, gemlet_conversation_doc_write_async);
  g_task_set_task_data (task, data, (GDestroyNotify) write_data_free);
  g_task_run_in_thread (task, write_thread);
}

gboolean
gemlet_conversation_doc_write_finish (GAsyncResult  *result,
                                      GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
read_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  GFile *file = task_data;
  g_autoptr(GFileInputStream) stream = NULL;
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(GByteArray) bytes = g_byte_array_new ();
  g_autofree char *name = g_file_get_parse_name (file);
  GemletConversationDoc *doc;
  GError *error = NULL;
  guint8 buf[64 * 1024];
  gssize n;

  stream = g_file_read (file, cancellable, &error);
  if (stream != NULL)
    info = g_file_input_stream_query_info (stream, G_FILE_ATTRIBUTE_STANDARD_SIZE, cancellable, &error);
  if (info == NULL)
    goto io_error;

  /* Refused before reading, and again while reading (the size may lie). */
  if ((guint64) g_file_info_get_size (info) > GEMLET_CONVERSATION_FILE_MAX_BYTES)
    {
      too_big (&error);
      goto format_error;
    }

  while ((n = g_input_stream_read (G_INPUT_STREAM (stream), buf, sizeof buf, cancellable, &error)) > 0)
    {
      if (bytes->len + (gsize) n > GEMLET_CONVERSATION_FILE_MAX_BYTES)
        {
          too_big (&error);
          goto format_error;
        }
      g_byte_array_append (bytes, buf, n);
    }
  if (n < 0)
    goto io_error;

  doc = gemlet_conversation_doc_from_json ((const char *) bytes->data, bytes->len, &error);
  if (doc == NULL)
    goto format_error;

  g_task_return_pointer (task, doc, (GDestroyNotify) gemlet_conversation_doc_free);
  return;

io_error:
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_task_return_error (task, error);
      return;
    }
format_error:
  g_task_return_new_error (task, error->domain, error->code,
                           /* Translators: the file name, then what is wrong with it */
                           _("Could not import “%s”: %s"), name, error->message);
  g_error_free (error);
}

void
gemlet_conversation_doc_read_async (GFile               *file,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (G_IS_FILE (file));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, gemlet_conversation_doc_read_async);
  g_task_set_task_data (task, g_object_ref (file), g_object_unref);
  g_task_run_in_thread (task, read_thread);
}

/**
 * gemlet_conversation_doc_read_finish:
 *
 * Returns: (transfer full): the conversation read from the file
 */
GemletConversationDoc *
gemlet_conversation_doc_read_finish (GAsyncResult  *result,
                                     GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
