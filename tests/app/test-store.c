/* test-store.c — the conversation store: round trips, streaming appends that
 * survive a kill, search, delete/undo, and refusal (never overwriting) of
 * newer, corrupt and foreign databases; per-conversation settings, the
 * migration from schema version 1, and imported conversations.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "gemlet-config.h"

#include <signal.h>

#include <glib/gstdio.h>
#include <sqlite3.h>

#include "gemlet-store.h"

typedef struct
{
  char *dir;
  char *path;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->dir = g_dir_make_tmp ("gemlet-store-XXXXXX", NULL);
  g_assert_nonnull (f->dir);
  f->path = g_build_filename (f->dir, "sub", "conversations.db", NULL);
}

static void
rm_rf (const char *path)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileEnumerator) children = NULL;

  children = g_file_enumerate_children (file, G_FILE_ATTRIBUTE_STANDARD_NAME,
                                        G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, NULL);
  if (children != NULL)
    {
      GFileInfo *info;

      while ((info = g_file_enumerator_next_file (children, NULL, NULL)))
        {
          g_autofree char *child = g_build_filename (path, g_file_info_get_name (info), NULL);

          rm_rf (child);
          g_object_unref (info);
        }
    }
  g_remove (path);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->path);
}

static void
async_result_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  *(GAsyncResult **)user_data = g_object_ref (result);
}

static GAsyncResult *
wait_result (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);

  return *slot;
}

static GemletStore *
open_store (const char  *path,
            GError     **error)
{
  g_autoptr(GemletStore) store = gemlet_store_new (path);
  g_autoptr(GAsyncResult) result = NULL;

  gemlet_store_open_async (store, NULL, async_result_cb, &result);
  if (!gemlet_store_open_finish (store, wait_result (&result), error))
    return NULL;

  return g_steal_pointer (&store);
}

static void
load_messages (GemletStore        *store,
               GemletConversation *conversation)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  gemlet_store_load_messages_async (store, conversation, NULL, async_result_cb, &result);
  g_assert_true (gemlet_store_load_messages_finish (store, wait_result (&result), &error));
  g_assert_no_error (error);
}

static GemletConversation *
nth (GemletStore *store,
     guint        i)
{
  GemletConversation *conversation = g_list_model_get_item (gemlet_store_get_conversations (store), i);

  g_assert_nonnull (conversation);
  g_object_unref (conversation);  /* the store keeps it alive */

  return conversation;
}

static char *
checksum_file (const char *path)
{
  g_autofree char *contents = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &contents, &len, NULL))
    return g_strdup ("(missing)");

  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *)contents, len);
}

static void
test_round_trip (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  GemletConversation *first, *second;
  GemletMessage *reply;

  {
    g_autoptr(GemletStore) store = open_store (f->path, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (g_list_model_get_n_items (gemlet_store_get_conversations (store)), ==, 0);

    first = gemlet_store_create_conversation (store, "First");
    gemlet_store_add_message (store, first, GEMLET_ROLE_USER, "Hello");
    reply = gemlet_store_add_message (store, first, GEMLET_ROLE_MODEL, "");
    gemlet_store_append_to_message (store, first, reply, "Hi ", -1);
    gemlet_store_append_to_message (store, first, reply, "there – ünïcode ✓", -1);

    second = gemlet_store_create_conversation (store, "Second");
    gemlet_store_add_message (store, second, GEMLET_ROLE_USER, "Newer");

    /* Newest first. */
    g_assert_true (nth (store, 0) == second);
    g_assert_true (nth (store, 1) == first);

    /* Touching the older one moves it to the top. */
    gemlet_store_add_message (store, first, GEMLET_ROLE_USER, "Again");
    g_assert_true (nth (store, 0) == first);

    gemlet_store_rename_conversation (store, second, "Second (renamed)");
    gemlet_store_sync (store);
  }

  {
    g_autoptr(GemletStore) store = open_store (f->path, &error);
    GemletConversation *c;
    GemletMessage *m;

    g_assert_no_error (error);
    g_assert_cmpuint (g_list_model_get_n_items (gemlet_store_get_conversations (store)), ==, 2);

    c = nth (store, 0);
    g_assert_cmpstr (gemlet_conversation_get_title (c), ==, "First");
    load_messages (store, c);
    g_assert_cmpuint (gemlet_conversation_get_n_messages (c), ==, 3);
    m = gemlet_conversation_get_message (c, 1);
    g_assert_cmpint (gemlet_message_get_role (m), ==, GEMLET_ROLE_MODEL);
    g_assert_cmpstr (gemlet_message_get_content (m), ==, "Hi there – ünïcode ✓");

    g_assert_cmpstr (gemlet_conversation_get_title (nth (store, 1)), ==, "Second (renamed)");

    /* Ids keep growing after a reopen. */
    c = gemlet_store_create_conversation (store, "Third");
    g_assert_cmpint (gemlet_conversation_get_id (c), >, gemlet_conversation_get_id (nth (store, 1)));
  }
}

/* Streamed text is in the database as soon as it is appended: a process
 * killed without closing anything still has it. */
static void
test_survives_kill_child (void)
{
  GemletStore *store;
  GemletConversation *c;
  GemletMessage *m;

  if (!g_test_subprocess ())
    return;

  store = open_store (g_getenv ("GEMLET_TEST_DB"), NULL);
  g_assert_nonnull (store);

  c = gemlet_store_create_conversation (store, "Killed");
  gemlet_store_add_message (store, c, GEMLET_ROLE_USER, "Question");
  m = gemlet_store_add_message (store, c, GEMLET_ROLE_MODEL, "");
  for (int i = 0; i < 50; i++)
    gemlet_store_append_to_message (store, c, m, "tok ", -1);
  gemlet_store_sync (store);

  /* No close, no checkpoint: as if the app were killed mid-reply. */
  raise (SIGKILL);
}

/* Streamed text is in the database as soon as it is appended: a process
 * killed without closing anything still has it. */
static void
test_survives_kill (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  g_setenv ("GEMLET_TEST_DB", f->path, TRUE);
  g_test_trap_subprocess ("/store/survives-kill/subprocess", 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();

  {
    g_autoptr(GemletStore) store = open_store (f->path, &error);
    g_autoptr(GString) expected = g_string_new (NULL);
    GemletConversation *c;

    g_assert_no_error (error);
    c = nth (store, 0);
    load_messages (store, c);
    g_assert_cmpuint (gemlet_conversation_get_n_messages (c), ==, 2);
    for (int i = 0; i < 50; i++)
      g_string_append (expected, "tok ");
    g_assert_cmpstr (gemlet_message_get_content (gemlet_conversation_get_message (c, 1)), ==, expected->str);
  }
}

static GHashTable *
search (GemletStore *store,
        const char  *query)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GHashTable *ids;

  gemlet_store_search_async (store, query, NULL, async_result_cb, &result);
  ids = gemlet_store_search_finish (store, wait_result (&result), &error);
  g_assert_no_error (error);

  return ids;
}

static gboolean
has_id (GHashTable         *ids,
        GemletConversation *c)
{
  gint64 id = gemlet_conversation_get_id (c);

  return g_hash_table_contains (ids, &id);
}

static void
test_search (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GemletStore) store = open_store (f->path, &error);
  GemletConversation *a, *b, *c;

  g_assert_no_error (error);

  a = gemlet_store_create_conversation (store, "Trip to Lisbon");
  gemlet_store_add_message (store, a, GEMLET_ROLE_USER, "What should I pack?");
  b = gemlet_store_create_conversation (store, "Recipes");
  gemlet_store_add_message (store, b, GEMLET_ROLE_USER, "A soup with LISBON lemons and 100% butter");
  c = gemlet_store_create_conversation (store, "Other");
  gemlet_store_add_message (store, c, GEMLET_ROLE_USER, "nothing here_at all");

  {
    g_autoptr(GHashTable) ids = search (store, "lisbon");
    g_assert_cmpuint (g_hash_table_size (ids), ==, 2);
    g_assert_true (has_id (ids, a));  /* title */
    g_assert_true (has_id (ids, b));  /* content, other case */
  }
  {
    /* LIKE wildcards in the query are literal characters. */
    g_autoptr(GHashTable) ids = search (store, "100%");
    g_assert_cmpuint (g_hash_table_size (ids), ==, 1);
    g_assert_true (has_id (ids, b));
  }
  {
    g_autoptr(GHashTable) ids = search (store, "e_a");
    g_assert_cmpuint (g_hash_table_size (ids), ==, 1);
    g_assert_true (has_id (ids, c));
  }
  {
    g_autoptr(GHashTable) ids = search (store, "zebra");
    g_assert_cmpuint (g_hash_table_size (ids), ==, 0);
  }
}

static void
test_delete_undo_truncate (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  GemletConversation *a, *b;
  gint64 a_id, b_id;

  {
    g_autoptr(GemletStore) store = open_store (f->path, &error);

    g_assert_no_error (error);
    a = gemlet_store_create_conversation (store, "A");
    gemlet_store_add_message (store, a, GEMLET_ROLE_USER, "1");
    gemlet_store_add_message (store, a, GEMLET_ROLE_MODEL, "2");
    gemlet_store_add_message (store, a, GEMLET_ROLE_USER, "3");
    b = gemlet_store_create_conversation (store, "B");
    a_id = gemlet_conversation_get_id (a);
    b_id = gemlet_conversation_get_id (b);

    gemlet_store_truncate_conversation (store, a, 1);
    g_assert_cmpuint (gemlet_conversation_get_n_messages (a), ==, 1);

    gemlet_store_delete_conversation (store, b);
    g_assert_cmpuint (g_list_model_get_n_items (gemlet_store_get_conversations (store)), ==, 1);
    g_assert_null (gemlet_store_find_conversation (store, b_id));
    gemlet_store_undelete_conversation (store, b);
    g_assert_cmpuint (g_list_model_get_n_items (gemlet_store_get_conversations (store)), ==, 2);
    g_assert_true (nth (store, 0) == b);

    /* Deleted without undo: gone once purged, and gone after a restart even
     * if never purged. */
    gemlet_store_delete_conversation (store, a);
    gemlet_store_sync (store);
  }

  {
    g_autoptr(GemletStore) store = open_store (f->path, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (g_list_model_get_n_items (gemlet_store_get_conversations (store)), ==, 1);
    g_assert_nonnull (gemlet_store_find_conversation (store, b_id));
    g_assert_null (gemlet_store_find_conversation (store, a_id));
  }
}

static void
make_database (const char *path,
               const char *sql)
{
  g_autofree char *dir = g_path_get_dirname (path);
  sqlite3 *db = NULL;
  char *errmsg = NULL;

  g_mkdir_with_parents (dir, 0700);
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  if (sqlite3_exec (db, sql, NULL, NULL, &errmsg) != SQLITE_OK)
    g_error ("%s", errmsg);
  sqlite3_close (db);
}

static void
assert_refused (const char *path,
                int         code)
{
  g_autofree char *before = checksum_file (path);
  g_autofree char *after = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GemletStore) store = open_store (path, &error);

  g_assert_null (store);
  g_assert_error (error, GEMLET_STORE_ERROR, code);
  g_test_message ("refused with: %s", error->message);

  after = checksum_file (path);
  g_assert_cmpstr (before, ==, after);
}

static void
test_newer_refused (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *sql = g_strdup_printf ("PRAGMA application_id=%d;"
                                          "PRAGMA user_version=%d;"
                                          "CREATE TABLE conversations (id INTEGER PRIMARY KEY, future TEXT);"
                                          "INSERT INTO conversations VALUES (1, 'from the future');",
                                          GEMLET_STORE_APPLICATION_ID,
                                          GEMLET_STORE_SCHEMA_VERSION + 1);

  make_database (f->path, sql);
  assert_refused (f->path, GEMLET_STORE_ERROR_NEWER);
}

static void
test_corrupt_refused (Fixture       *f,
                      gconstpointer  data)
{
  g_autofree char *dir = g_path_get_dirname (f->path);

  g_mkdir_with_parents (dir, 0700);
  g_assert_true (g_file_set_contents (f->path, "this is not a database, just some text that is long enough", -1, NULL));
  assert_refused (f->path, GEMLET_STORE_ERROR_CORRUPT);
}

static void
test_damaged_refused (Fixture       *f,
                      gconstpointer  data)
{
  g_autofree char *contents = NULL;
  gsize len;

  /* A real Gemlet database with its pages overwritten. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(GemletStore) store = open_store (f->path, &error);

    g_assert_no_error (error);
    for (int i = 0; i < 200; i++)
      {
        GemletConversation *c = gemlet_store_create_conversation (store, "Some title to fill pages");

        gemlet_store_add_message (store, c, GEMLET_ROLE_USER, "Some text to fill the pages of the database");
      }
    gemlet_store_sync (store);
  }
  {
    /* checkpoint the WAL into the main file */
    sqlite3 *db = NULL;

    g_assert_cmpint (sqlite3_open (f->path, &db), ==, SQLITE_OK);
    sqlite3_exec (db, "PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode=DELETE;", NULL, NULL, NULL);
    sqlite3_close (db);
  }

  g_assert_true (g_file_get_contents (f->path, &contents, &len, NULL));
  g_assert_cmpuint (len, >, 8192);
  for (gsize i = 4096; i < len; i++)
    contents[i] = (char)(i * 7);
  g_assert_true (g_file_set_contents (f->path, contents, len, NULL));

  {
    g_autofree char *before = checksum_file (f->path);
    g_autofree char *after = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(GemletStore) store = open_store (f->path, &error);

    g_assert_null (store);
    g_assert_true (g_error_matches (error, GEMLET_STORE_ERROR, GEMLET_STORE_ERROR_CORRUPT) ||
                   g_error_matches (error, GEMLET_STORE_ERROR, GEMLET_STORE_ERROR_IO));
    after = checksum_file (f->path);
    g_assert_cmpstr (before, ==, after);
  }
}

static void
test_foreign_refused (Fixture       *f,
                      gconstpointer  data)
{
  make_database (f->path, "CREATE TABLE bookmarks (url TEXT); INSERT INTO bookmarks VALUES ('x');");
  assert_refused (f->path, GEMLET_STORE_ERROR_NOT_OURS);
}

static void
test_empty_file_is_new (Fixture       *f,
                        gconstpointer  data)
{
  g_autofree char *dir = g_path_get_dirname (f->path);
  g_autoptr(GError) error = NULL;
  g_autoptr(GemletStore) store = NULL;

  g_mkdir_with_parents (dir, 0700);
  g_assert_true (g_file_set_contents (f->path, "", 0, NULL));
  store = open_store (f->path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (store);
}

/* 10 000 conversations: written in batches, listed and searched quickly. */
static void
test_many (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  const guint n = 10000;
  gint64 start;

  {
    g_autoptr(GemletStore) store = open_store (f->path, &error);

    g_assert_no_error (error);
    start = g_get_monotonic_time ();
    for (guint i = 0; i < n; i++)
      {
        g_autofree char *title = g_strdup_printf ("Conversation %u", i);
        GemletConversation *c = gemlet_store_create_conversation (store, title);

        gemlet_store_add_message (store, c, GEMLET_ROLE_USER, i == 4321 ? "the needle" : "hay");
      }
    gemlet_store_sync (store);
    g_test_message ("wrote %u conversations in %.2f s", n, (g_get_monotonic_time () - start) / 1e6);
  }

  {
    g_autoptr(GemletStore) store = NULL;
    g_autoptr(GHashTable) ids = NULL;

    start = g_get_monotonic_time ();
    store = open_store (f->path, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (g_list_model_get_n_items (gemlet_store_get_conversations (store)), ==, n);
    g_assert_cmpstr (gemlet_conversation_get_title (nth (store, 0)), ==, "Conversation 9999");
    g_test_message ("opened in %.2f s", (g_get_monotonic_time () - start) / 1e6);

    start = g_get_monotonic_time ();
    ids = search (store, "needle");
    g_assert_cmpuint (g_hash_table_size (ids), ==, 1);
    g_test_message ("searched in %.3f s", (g_get_monotonic_time () - start) / 1e6);
  }
}

/* A conversation's own system prompt and sampling values survive a reopen;
 * unset values stay unset (they follow Preferences). */
static void
test_settings (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  GemletConversationSettings settings;

  gemlet_conversation_settings_init (&settings);
  {
    g_autoptr(GemletStore) store = open_store (f->path, &error);
    GemletConversation *plain, *tuned;

    g_assert_no_error (error);
    plain = gemlet_store_create_conversation (store, "Plain");
    tuned = gemlet_store_create_conversation (store, "Tuned");
    g_assert_true (gemlet_conversation_settings_is_empty (gemlet_conversation_get_settings (plain)));

    settings.system_prompt = g_strdup ("Answer like a pirate. ☠");
    settings.set = GEMLET_OVERRIDE_TEMPERATURE | GEMLET_OVERRIDE_TOP_K | GEMLET_OVERRIDE_SEED |
                   GEMLET_OVERRIDE_CONTEXT_LENGTH;
    settings.temperature = 0.25;
    settings.top_k = 0;
    settings.seed = 4294967295u;
    settings.context_length = 2048;
    settings.top_p = 0.5;  /* not set: must not be stored */
    gemlet_store_set_conversation_settings (store, tuned, &settings);
    g_assert_true (gemlet_conversation_settings_equal (gemlet_conversation_get_settings (tuned), &settings));
    (void) plain;
    gemlet_store_sync (store);
  }
  {
    g_autoptr(GemletStore) store = open_store (f->path, &error);
    const GemletConversationSettings *got;

    g_assert_no_error (error);
    got = gemlet_conversation_get_settings (nth (store, 0));
    g_assert_cmpstr (gemlet_conversation_get_title (nth (store, 0)), ==, "Tuned");
    g_assert_cmpstr (got->system_prompt, ==, "Answer like a pirate. ☠");
    g_assert_cmpuint (got->set, ==, settings.set);
    g_assert_cmpfloat (got->temperature, ==, 0.25);
    g_assert_cmpuint (got->top_k, ==, 0);
    g_assert_cmpuint (got->seed, ==, 4294967295u);
    g_assert_cmpuint (got->context_length, ==, 2048);
    g_assert_true (gemlet_conversation_settings_is_empty (gemlet_conversation_get_settings (nth (store, 1))));

    /* back to Preferences for everything */
    gemlet_conversation_settings_clear (&settings);
    gemlet_store_set_conversation_settings (store, nth (store, 0), &settings);
    gemlet_store_sync (store);
  }
  {
    g_autoptr(GemletStore) store = open_store (f->path, &error);

    g_assert_no_error (error);
    g_assert_true (gemlet_conversation_settings_is_empty (gemlet_conversation_get_settings (nth (store, 0))));
  }
}

/* A database of schema version 1 (before per-conversation settings) is
 * migrated in place: conversations and messages kept, the new columns
 * empty, the version raised. */
static void
test_migrate_v1 (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *sql = g_strdup_printf (
    "PRAGMA application_id=%d;"
    "PRAGMA user_version=1;"
    "CREATE TABLE conversations (id INTEGER PRIMARY KEY, title TEXT NOT NULL, created INTEGER NOT NULL,"
    "  updated INTEGER NOT NULL, deleted INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE messages (id INTEGER PRIMARY KEY,"
    "  conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,"
    "  position INTEGER NOT NULL, role INTEGER NOT NULL, content TEXT NOT NULL, created INTEGER NOT NULL);"
    "CREATE INDEX messages_by_conversation ON messages(conversation_id, position);"
    "CREATE INDEX conversations_by_updated ON conversations(updated);"
    "INSERT INTO conversations VALUES (7, 'Old one', 100, 200, 0);"
    "INSERT INTO messages VALUES (70, 7, 0, 1, 'Old question', 150);"
    "INSERT INTO messages VALUES (71, 7, 1, 2, 'Old answer', 160);",
    GEMLET_STORE_APPLICATION_ID);
  g_autoptr(GError) error = NULL;
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;

  make_database (f->path, sql);
  {
    g_autoptr(GemletStore) store = open_store (f->path, &error);
    GemletConversation *c;
    GemletConversationSettings settings;

    g_assert_no_error (error);
    c = nth (store, 0);
    g_assert_cmpint (gemlet_conversation_get_id (c), ==, 7);
    g_assert_cmpstr (gemlet_conversation_get_title (c), ==, "Old one");
    g_assert_true (gemlet_conversation_settings_is_empty (gemlet_conversation_get_settings (c)));
    load_messages (store, c);
    g_assert_cmpuint (gemlet_conversation_get_n_messages (c), ==, 2);
    g_assert_cmpstr (gemlet_message_get_content (gemlet_conversation_get_message (c, 1)), ==, "Old answer");

    gemlet_conversation_settings_init (&settings);
    settings.system_prompt = g_strdup ("Now with a prompt");
    gemlet_store_set_conversation_settings (store, c, &settings);
    gemlet_conversation_settings_clear (&settings);
    gemlet_store_sync (store);
  }

  g_assert_cmpint (sqlite3_open (f->path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA user_version", -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpint (sqlite3_column_int (stmt, 0), ==, GEMLET_STORE_SCHEMA_VERSION);
  sqlite3_finalize (stmt);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT system_prompt FROM conversations WHERE id = 7", -1, &stmt, NULL),
                   ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 0), ==, "Now with a prompt");
  sqlite3_finalize (stmt);
  sqlite3_close (db);

  /* and it opens again as the current version */
  {
    g_autoptr(GemletStore) store = open_store (f->path, &error);

    g_assert_no_error (error);
    g_assert_cmpstr (gemlet_conversation_get_settings (nth (store, 0))->system_prompt, ==, "Now with a prompt");
  }
}

/* Out-of-range values written by hand follow Preferences instead. */
static void
test_settings_out_of_range (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  {
    g_autoptr(GemletStore) store = open_store (f->path, &error);

    g_assert_no_error (error);
    gemlet_store_create_conversation (store, "Hand-edited");
    gemlet_store_sync (store);
  }
  make_database (f->path, "UPDATE conversations SET temperature = 55, top_p = 0.5, context_length = -3");
  {
    g_autoptr(GemletStore) store = open_store (f->path, &error);
    const GemletConversationSettings *got;

    g_assert_no_error (error);
    got = gemlet_conversation_get_settings (nth (store, 0));
    g_assert_cmpuint (got->set, ==, GEMLET_OVERRIDE_TOP_P);
    g_assert_cmpfloat (got->top_p, ==, 0.5);
  }
}

/* An imported conversation: first in the list, messages loaded and saved,
 * its dates kept. */
static void
test_import (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func (g_object_unref);
  GemletConversationSettings settings;

  gemlet_conversation_settings_init (&settings);
  settings.system_prompt = g_strdup ("Imported prompt");
  settings.set = GEMLET_OVERRIDE_MIN_P;
  settings.min_p = 0.1;
  g_ptr_array_add (messages, gemlet_message_new (0, GEMLET_ROLE_USER, "Q ✓", 1000));
  g_ptr_array_add (messages, gemlet_message_new (0, GEMLET_ROLE_MODEL, "A", 2000));

  {
    g_autoptr(GemletStore) store = open_store (f->path, &error);
    GemletConversation *older, *imported;

    g_assert_no_error (error);
    older = gemlet_store_create_conversation (store, "Already here");
    gemlet_store_add_message (store, older, GEMLET_ROLE_USER, "x");
    imported = gemlet_store_import_conversation (store, "Imported", 500, &settings, messages);
    g_assert_true (nth (store, 0) == imported);
    g_assert_true (gemlet_conversation_get_messages_loaded (imported));
    g_assert_cmpuint (gemlet_conversation_get_n_messages (imported), ==, 2);
    g_assert_cmpint (gemlet_conversation_get_created (imported), ==, 500);
    /* more messages can follow */
    gemlet_store_add_message (store, imported, GEMLET_ROLE_USER, "Follow-up");
    gemlet_store_sync (store);
  }
  {
    g_autoptr(GemletStore) store = open_store (f->path, &error);
    GemletConversation *c;

    g_assert_no_error (error);
    c = nth (store, 0);
    g_assert_cmpstr (gemlet_conversation_get_title (c), ==, "Imported");
    g_assert_true (gemlet_conversation_settings_equal (gemlet_conversation_get_settings (c), &settings));
    load_messages (store, c);
    g_assert_cmpuint (gemlet_conversation_get_n_messages (c), ==, 3);
    g_assert_cmpstr (gemlet_message_get_content (gemlet_conversation_get_message (c, 0)), ==, "Q ✓");
    g_assert_cmpint (gemlet_message_get_created (gemlet_conversation_get_message (c, 1)), ==, 2000);
    g_assert_cmpint (gemlet_message_get_role (gemlet_conversation_get_message (c, 1)), ==, GEMLET_ROLE_MODEL);
    g_assert_cmpstr (gemlet_message_get_content (gemlet_conversation_get_message (c, 2)), ==, "Follow-up");
  }
  gemlet_conversation_settings_clear (&settings);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(name, func) \
  g_test_add ("/store/" name, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("round-trip", test_round_trip);
  ADD ("survives-kill", test_survives_kill);
  g_test_add_func ("/store/survives-kill/subprocess", test_survives_kill_child);
  ADD ("search", test_search);
  ADD ("delete-undo-truncate", test_delete_undo_truncate);
  ADD ("refuses-newer", test_newer_refused);
  ADD ("refuses-corrupt", test_corrupt_refused);
  ADD ("refuses-damaged", test_damaged_refused);
  ADD ("refuses-foreign", test_foreign_refused);
  ADD ("empty-file-is-new", test_empty_file_is_new);
  ADD ("many", test_many);
  ADD ("settings", test_settings);
  ADD ("settings-out-of-range", test_settings_out_of_range);
  ADD ("migrate-v1", test_migrate_v1);
  ADD ("import", test_import);

  return g_test_run ();
}
