/* test-conversation-io.c — a conversation as JSON and Markdown: round trips
 * (settings, Unicode, huge texts), and readable refusals of malformed,
 * hostile and foreign files; writing and reading files through GIO.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "gemlet-config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "gemlet-conversation-io.h"

static GemletConversationDoc *
sample_doc (void)
{
  GemletConversationDoc *doc = gemlet_conversation_doc_new ();

  g_free (doc->title);
  doc->title = g_strdup ("Ünïcödé 🐸 \"quoted\" / \\ title");
  doc->created = G_GINT64_CONSTANT (1764410400123456);
  doc->updated = G_GINT64_CONSTANT (1764410500000001);
  doc->settings.system_prompt = g_strdup ("You are terse.\nAnswer in 日本語.");
  doc->settings.set = GEMLET_OVERRIDE_TEMPERATURE | GEMLET_OVERRIDE_TOP_K | GEMLET_OVERRIDE_TOP_P |
                      GEMLET_OVERRIDE_MIN_P | GEMLET_OVERRIDE_REPEAT_PENALTY | GEMLET_OVERRIDE_SEED |
                      GEMLET_OVERRIDE_CONTEXT_LENGTH;
  doc->settings.temperature = 0.7;
  doc->settings.top_k = 40;
  doc->settings.top_p = 0.123456789012345678;
  doc->settings.min_p = 0.05;
  doc->settings.repeat_penalty = 1.1;
  doc->settings.seed = 4294967295u;
  doc->settings.context_length = 16384;

  g_ptr_array_add (doc->messages, gemlet_message_new (0, GEMLET_ROLE_SYSTEM, "Be kind.", 1764410400000000));
  g_ptr_array_add (doc->messages, gemlet_message_new (0, GEMLET_ROLE_USER,
                                                      "Control chars: \t \x01 \x1f, emoji 👩‍👩‍👧, RTL שלום, "
                                                      "quotes \" ' and </script>", 0));
  g_ptr_array_add (doc->messages, gemlet_message_new (0, GEMLET_ROLE_MODEL,
                                                      "**Markdown** reply\n\n```c\nint x;\n```\n", 1764410401000000));

  return doc;
}

static void
assert_docs_equal (const GemletConversationDoc *a,
                   const GemletConversationDoc *b)
{
  g_assert_cmpstr (a->title, ==, b->title);
  g_assert_cmpint (a->created, ==, b->created);
  g_assert_cmpint (a->updated, ==, b->updated);
  g_assert_true (gemlet_conversation_settings_equal (&a->settings, &b->settings));
  g_assert_cmpuint (a->messages->len, ==, b->messages->len);
  for (guint i = 0; i < a->messages->len; i++)
    {
      GemletMessage *x = g_ptr_array_index (a->messages, i);
      GemletMessage *y = g_ptr_array_index (b->messages, i);

      g_assert_cmpint (gemlet_message_get_role (x), ==, gemlet_message_get_role (y));
      g_assert_cmpstr (gemlet_message_get_content (x), ==, gemlet_message_get_content (y));
      g_assert_cmpint (gemlet_message_get_created (x), ==, gemlet_message_get_created (y));
    }
}

static void
test_round_trip (void)
{
  g_autoptr(GemletConversationDoc) doc = sample_doc ();
  g_autoptr(GemletConversationDoc) back = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;
  gsize len = 0;

  json = gemlet_conversation_doc_to_json (doc, &len);
  g_assert_cmpuint (len, ==, strlen (json));
  g_assert_true (g_utf8_validate (json, len, NULL));
  /* readable: the format key, non-ASCII kept as it is, short numbers */
  g_assert_nonnull (strstr (json, "\"format\": \"gemlet-conversation\""));
  g_assert_nonnull (strstr (json, "日本語"));
  g_assert_nonnull (strstr (json, "\"temperature\": 0.7,"));
  g_assert_nonnull (strstr (json, "\"created\": \"2025-11-29T10:00:00.123456Z\""));

  back = gemlet_conversation_doc_from_json (json, len, &error);
  g_assert_no_error (error);
  g_assert_nonnull (back);
  assert_docs_equal (doc, back);
}

static void
test_round_trip_empty (void)
{
  g_autoptr(GemletConversationDoc) doc = gemlet_conversation_doc_new ();
  g_autoptr(GemletConversationDoc) back = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *json = gemlet_conversation_doc_to_json (doc, NULL);

  g_assert_null (strstr (json, "system_prompt"));
  g_assert_null (strstr (json, "temperature"));
  back = gemlet_conversation_doc_from_json (json, strlen (json), &error);
  g_assert_no_error (error);
  assert_docs_equal (doc, back);
  g_assert_true (gemlet_conversation_settings_is_empty (&back->settings));
}

static void
test_huge (void)
{
  g_autoptr(GemletConversationDoc) doc = gemlet_conversation_doc_new ();
  g_autoptr(GemletConversationDoc) back = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;
  GString *big = g_string_new (NULL);
  gsize len;

  /* 24 MB of mixed text, and 5000 messages */
  while (big->len < 24 * 1024 * 1024)
    g_string_append (big, "line with \"quotes\", a \\ backslash, tabs\t and ünïcödé 🐸\n");
  g_ptr_array_add (doc->messages, gemlet_message_new (0, GEMLET_ROLE_USER, big->str, 0));
  for (guint i = 0; i < 5000; i++)
    {
      g_autofree char *text = g_strdup_printf ("message %u", i);

      g_ptr_array_add (doc->messages, gemlet_message_new (0, i % 2 ? GEMLET_ROLE_USER : GEMLET_ROLE_MODEL,
                                                          text, 0));
    }

  json = gemlet_conversation_doc_to_json (doc, &len);
  back = gemlet_conversation_doc_from_json (json, len, &error);
  g_assert_no_error (error);
  assert_docs_equal (doc, back);
  g_string_free (big, TRUE);
}

static void
expect_error (const char *json,
              gssize      len,
              int         code,
              const char *fragment)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GemletConversationDoc) doc = NULL;

  doc = gemlet_conversation_doc_from_json (json, len < 0 ? strlen (json) : (gsize) len, &error);
  if (doc != NULL || error == NULL)
    g_error ("accepted: %s", json);
  g_assert_error (error, GEMLET_CONVERSATION_IO_ERROR, code);
  if (strstr (error->message, fragment) == NULL)
    g_error ("message for %s: “%s” does not mention “%s”", json, error->message, fragment);
  {
    g_autofree char *shown = g_utf8_make_valid (json, MIN (strlen (json), 120));

    g_test_message ("%s → %s", shown, error->message);
  }
}

#define HEAD "{\"format\": \"gemlet-conversation\", \"version\": 1, "

static void
test_malformed (void)
{
  enum { INVALID = GEMLET_CONVERSATION_IO_ERROR_INVALID, NOT_OURS = GEMLET_CONVERSATION_IO_ERROR_NOT_OURS };

  expect_error ("", -1, INVALID, "empty");
  expect_error ("{", -1, INVALID, "not valid JSON");
  expect_error ("{\"format\": \"gemlet-conversation\",}", -1, INVALID, "not valid JSON");
  expect_error ("[1, 2, 3]", -1, NOT_OURS, "not a conversation");
  expect_error ("null", -1, INVALID, "not valid JSON");
  expect_error ("\"just a string\"", -1, NOT_OURS, "format");
  expect_error ("{\"format\": \"something-else\", \"version\": 1}", -1, NOT_OURS, "format");
  expect_error ("{\"format\": 7}", -1, NOT_OURS, "format");
  expect_error (HEAD "\"messages\": []} trailing", -1, INVALID, "JSON");
  expect_error (HEAD "\"messages\": []}{}", -1, INVALID, "JSON");
  expect_error ("{\"format\": \"gemlet-conversation\", \"messages\": []}", -1, INVALID, "version");
  expect_error ("{\"format\": \"gemlet-conversation\", \"version\": \"1\", \"messages\": []}", -1, INVALID, "version");
  expect_error ("{\"format\": \"gemlet-conversation\", \"version\": 2, \"messages\": []}", -1,
                GEMLET_CONVERSATION_IO_ERROR_NEWER, "newer version");
  expect_error (HEAD "\"title\": \"x\"}", -1, INVALID, "messages");
  expect_error (HEAD "\"messages\": {}}", -1, INVALID, "messages");
  expect_error (HEAD "\"messages\": [1]}", -1, INVALID, "messages[0]");
  expect_error (HEAD "\"messages\": [{\"content\": \"x\"}]}", -1, INVALID, "messages[0].role");
  expect_error (HEAD "\"messages\": [{\"role\": \"wizard\", \"content\": \"x\"}]}", -1, INVALID, "messages[0].role");
  expect_error (HEAD "\"messages\": [{\"role\": \"user\"}]}", -1, INVALID, "messages[0].content");
  expect_error (HEAD "\"messages\": [{\"role\": \"user\", \"content\": 5}]}", -1, INVALID, "messages[0].content");
  expect_error (HEAD "\"messages\": [{\"role\": \"user\", \"content\": \"a\\u0000b\"}]}", -1, INVALID, "NUL");
  expect_error (HEAD "\"messages\": [{\"role\": \"user\", \"content\": \"x\", \"created\": \"yesterday\"}]}", -1,
                INVALID, "messages[0].created");
  expect_error (HEAD "\"title\": [], \"messages\": []}", -1, INVALID, "title");
  expect_error (HEAD "\"settings\": 3, \"messages\": []}", -1, INVALID, "settings");
  expect_error (HEAD "\"settings\": {\"temperature\": \"hot\"}, \"messages\": []}", -1, INVALID,
                "settings.temperature");
  expect_error (HEAD "\"settings\": {\"temperature\": 9.5}, \"messages\": []}", -1, INVALID, "temperature");
  expect_error (HEAD "\"settings\": {\"top_k\": -1}, \"messages\": []}", -1, INVALID, "settings.top_k");
  expect_error (HEAD "\"settings\": {\"top_k\": 1.5}, \"messages\": []}", -1, INVALID, "settings.top_k");
  expect_error (HEAD "\"settings\": {\"seed\": 99999999999999999999}, \"messages\": []}", -1, INVALID,
                "settings.seed");
  expect_error (HEAD "\"settings\": {\"context_length\": 5}, \"messages\": []}", -1, INVALID, "context_length");
  expect_error (HEAD "\"settings\": {\"system_prompt\": false}, \"messages\": []}", -1, INVALID,
                "settings.system_prompt");
  /* invalid UTF-8 in a string, a lone surrogate escape */
  expect_error (HEAD "\"title\": \"\xff\xfe\", \"messages\": []}", -1, INVALID, "JSON");
  /* NUL bytes in the file itself */
  expect_error (HEAD "\"messages\": []}\0\0", sizeof (HEAD "\"messages\": []}") + 1, INVALID, "JSON");
  /* deep nesting is refused by depth, not by the stack */
  {
    GString *deep = g_string_new (HEAD "\"x\": ");

    for (int i = 0; i < 100000; i++)
      g_string_append_c (deep, '[');
    expect_error (deep->str, deep->len, INVALID, "nesting");
    g_string_free (deep, TRUE);
  }
  /* too big before parsing */
  {
    g_autoptr(GError) error = NULL;

    g_assert_null (gemlet_conversation_doc_from_json ("", GEMLET_CONVERSATION_FILE_MAX_BYTES + 1, &error));
    g_assert_error (error, GEMLET_CONVERSATION_IO_ERROR, GEMLET_CONVERSATION_IO_ERROR_TOO_BIG);
  }
}

static void
test_lenient (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GemletConversationDoc) doc = NULL;
  const char *json = "\xEF\xBB\xBF" HEAD "\"future_key\": {\"a\": [1, 2]}, \"title\": null, "
                     "\"settings\": {\"temperature\": 1, \"seed\": null, \"new_setting\": true},"
                     "\"messages\": [{\"role\": \"model\", \"content\": \"\\ud83d\\udc38\", \"extra\": 1}]}\n\n";

  doc = gemlet_conversation_doc_from_json (json, strlen (json), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (doc->title, ==, "");
  g_assert_cmpuint (doc->settings.set, ==, GEMLET_OVERRIDE_TEMPERATURE);
  g_assert_cmpfloat (doc->settings.temperature, ==, 1.0);
  g_assert_cmpuint (doc->messages->len, ==, 1);
  g_assert_cmpstr (gemlet_message_get_content (g_ptr_array_index (doc->messages, 0)), ==, "🐸");
}

static void
test_markdown (void)
{
  g_autoptr(GemletConversationDoc) doc = sample_doc ();
  g_autofree char *md = NULL;
  gsize len;

  md = gemlet_conversation_doc_to_markdown (doc, &len);
  g_assert_cmpuint (len, ==, strlen (md));
  g_assert_true (g_str_has_prefix (md, "# Ünïcödé 🐸"));
  g_assert_nonnull (strstr (md, "> You are terse.\n> Answer in 日本語.\n"));
  g_assert_nonnull (strstr (md, "## You\n\nControl chars"));
  g_assert_nonnull (strstr (md, "## Gemma\n\n**Markdown** reply\n\n```c\nint x;\n```\n"));
}

static void
test_file_name (void)
{
  g_autoptr(GemletConversationDoc) doc = gemlet_conversation_doc_new ();
  g_autofree char *a = NULL, *b = NULL, *c = NULL;

  g_free (doc->title);
  doc->title = g_strdup ("../a/b: c?");
  a = gemlet_conversation_doc_suggest_file_name (doc, GEMLET_CONVERSATION_FILE_JSON);
  g_assert_cmpstr (a, ==, "-a-b- c-.json");
  g_free (doc->title);
  doc->title = g_strdup ("...");
  b = gemlet_conversation_doc_suggest_file_name (doc, GEMLET_CONVERSATION_FILE_MARKDOWN);
  g_assert_cmpstr (b, ==, "conversation.md");
  g_free (doc->title);
  doc->title = g_strdup ("Haiku über Frösche");
  c = gemlet_conversation_doc_suggest_file_name (doc, GEMLET_CONVERSATION_FILE_MARKDOWN);
  g_assert_cmpstr (c, ==, "Haiku über Frösche.md");
}

static void
result_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static GAsyncResult *
wait_result (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);

  return *slot;
}

static void
test_files (void)
{
  g_autofree char *dir = g_dir_make_tmp ("gemlet-io-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "c.json", NULL);
  g_autofree char *bad_path = g_build_filename (dir, "bad.json", NULL);
  g_autofree char *md_path = g_build_filename (dir, "c.md", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFile) bad = g_file_new_for_path (bad_path);
  g_autoptr(GFile) md = g_file_new_for_path (md_path);
  g_autoptr(GFile) missing = g_file_new_for_path ("/nonexistent/dir/c.json");
  g_autoptr(GemletConversationDoc) doc = sample_doc ();
  g_autoptr(GemletConversationDoc) back = NULL;
  g_autoptr(GError) error = NULL;

  {
    g_autoptr(GAsyncResult) result = NULL;

    gemlet_conversation_doc_write_async (sample_doc (), GEMLET_CONVERSATION_FILE_JSON, file, NULL,
                                         result_cb, &result);
    g_assert_true (gemlet_conversation_doc_write_finish (wait_result (&result), &error));
    g_assert_no_error (error);
  }
  {
    g_autoptr(GAsyncResult) result = NULL;

    gemlet_conversation_doc_read_async (file, NULL, result_cb, &result);
    back = gemlet_conversation_doc_read_finish (wait_result (&result), &error);
    g_assert_no_error (error);
    assert_docs_equal (doc, back);
  }
  {
    g_autoptr(GAsyncResult) result = NULL;
    g_autofree char *text = NULL;

    gemlet_conversation_doc_write_async (sample_doc (), GEMLET_CONVERSATION_FILE_MARKDOWN, md, NULL,
                                         result_cb, &result);
    g_assert_true (gemlet_conversation_doc_write_finish (wait_result (&result), &error));
    g_assert_true (g_file_get_contents (md_path, &text, NULL, NULL));
    g_assert_true (g_str_has_prefix (text, "# Ünïcödé"));
  }
  /* a write that cannot happen names the file */
  {
    g_autoptr(GAsyncResult) result = NULL;

    gemlet_conversation_doc_write_async (sample_doc (), GEMLET_CONVERSATION_FILE_JSON, missing, NULL,
                                         result_cb, &result);
    g_assert_false (gemlet_conversation_doc_write_finish (wait_result (&result), &error));
    g_assert_nonnull (error);
    g_assert_nonnull (strstr (error->message, "/nonexistent/dir/c.json"));
    g_test_message ("%s", error->message);
    g_clear_error (&error);
  }
  /* a full disk: /dev/full accepts the open and fails the write */
  if (g_file_test ("/dev/full", G_FILE_TEST_EXISTS))
    {
      g_autoptr(GFile) full = g_file_new_for_path ("/dev/full");
      g_autoptr(GFileOutputStream) out = g_file_append_to (full, G_FILE_CREATE_NONE, NULL, NULL);
      g_autoptr(GError) write_error = NULL;
      gsize written = 0;

      /* (the export itself replaces files by renaming, which /dev cannot
       * do; this checks that GIO reports ENOSPC as a readable error) */
      if (out != NULL)
        {
          g_output_stream_write_all (G_OUTPUT_STREAM (out), "x", 1, &written, NULL, &write_error);
          g_assert_error (write_error, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
        }
    }
  /* reading a missing file, a broken one */
  {
    g_autoptr(GAsyncResult) result = NULL;

    gemlet_conversation_doc_read_async (missing, NULL, result_cb, &result);
    g_assert_null (gemlet_conversation_doc_read_finish (wait_result (&result), &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
    g_clear_error (&error);
  }
  {
    g_autoptr(GAsyncResult) result = NULL;

    g_assert_true (g_file_set_contents (bad_path, "{\"format\": \"gemlet-conversation\", \"version\": 1, "
                                        "\"messages\": [{\"role\": 1}]}", -1, NULL));
    gemlet_conversation_doc_read_async (bad, NULL, result_cb, &result);
    g_assert_null (gemlet_conversation_doc_read_finish (wait_result (&result), &error));
    g_assert_error (error, GEMLET_CONVERSATION_IO_ERROR, GEMLET_CONVERSATION_IO_ERROR_INVALID);
    g_assert_nonnull (strstr (error->message, "bad.json"));
    g_assert_nonnull (strstr (error->message, "messages[0].role"));
    g_clear_error (&error);
  }

  g_remove (path);
  g_remove (bad_path);
  g_remove (md_path);
  g_rmdir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/conversation-io/round-trip", test_round_trip);
  g_test_add_func ("/conversation-io/round-trip-empty", test_round_trip_empty);
  g_test_add_func ("/conversation-io/huge", test_huge);
  g_test_add_func ("/conversation-io/malformed", test_malformed);
  g_test_add_func ("/conversation-io/lenient", test_lenient);
  g_test_add_func ("/conversation-io/markdown", test_markdown);
  g_test_add_func ("/conversation-io/file-name", test_file_name);
  g_test_add_func ("/conversation-io/files", test_files);

  return g_test_run ();
}
