/* gemlet-store.c
 *
 * Conversations and messages in an SQLite database (WAL) under
 * $XDG_DATA_HOME/gemlet. The main thread works on in-memory objects and
 * never touches SQLite: every database operation is queued, in order, to one
 * worker thread that owns the connection. Streamed text is appended to the
 * database as it arrives, so killing the app loses nothing already shown.
 *
 * A database written by a newer Gemlet, a corrupt file, or another
 * program's database is refused with a clear error and never written to.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "gemlet-store"

#include "gemlet-config.h"

#include <errno.h>
#include <string.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "gemlet-store.h"

typedef enum
{
  OP_OPEN,
  OP_EXEC,          /* run sql with bound parameters, no result */
  OP_LOAD_MESSAGES,
  OP_SEARCH,
  OP_BARRIER,
  OP_QUIT,
} OpKind;

typedef enum
{
  ARG_INT64,
  ARG_TEXT,   /* NULL binds SQL NULL */
  ARG_DOUBLE,
  ARG_NULL,
} ArgKind;

typedef struct
{
  ArgKind kind;
  gint64  i;
  double  d;
  char   *s;
} Arg;

typedef struct
{
  OpKind   kind;
  GTask   *task;
  char    *sql;     /* OP_EXEC; NULL-separated statements are not allowed */
  Arg      args[12];
  guint    n_args;
  gint64   id;      /* OP_LOAD_MESSAGES: conversation id */
  char    *query;   /* OP_SEARCH */
  /* OP_BARRIER */
  GMutex  *mutex;
  GCond   *cond;
  gboolean *done;
} Op;

typedef struct
{
  GPtrArray *conversations; /* GemletConversation, newest first */
  gint64     max_conversation_id;
  gint64     max_message_id;
} OpenResult;

struct _GemletStore
{
  GObject      parent_instance;

  char        *path;
  GListStore  *conversations;
  GHashTable  *by_id;          /* id → GemletConversation (not deleted) */
  GHashTable  *deleted;        /* id → GemletConversation, soft-deleted */

  GThread     *thread;
  GAsyncQueue *queue;

  /* worker thread only */
  sqlite3     *db;

  gint64       last_time;      /* timestamps only grow, even within a µs */
  gint64       next_conversation_id;
  gint64       next_message_id;
  guint        is_open : 1;
  guint        write_failed : 1;
};

G_DEFINE_FINAL_TYPE (GemletStore, gemlet_store, G_TYPE_OBJECT)

G_DEFINE_QUARK (gemlet-store-error-quark, gemlet_store_error)

enum {
  WRITE_FAILED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static const char schema_v1[] =
  "CREATE TABLE conversations ("
  "  id INTEGER PRIMARY KEY,"
  "  title TEXT NOT NULL,"
  "  created INTEGER NOT NULL,"
  "  updated INTEGER NOT NULL,"
  "  deleted INTEGER NOT NULL DEFAULT 0);"
  "CREATE TABLE messages ("
  "  id INTEGER PRIMARY KEY,"
  "  conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,"
  "  position INTEGER NOT NULL,"
  "  role INTEGER NOT NULL,"
  "  content TEXT NOT NULL,"
  "  created INTEGER NOT NULL);"
  "CREATE INDEX messages_by_conversation ON messages(conversation_id, position);"
  "CREATE INDEX conversations_by_updated ON conversations(updated);";

/* Version 2: a conversation's own system prompt and sampling values; NULL
 * follows Preferences. */
static const char migrate_v1_to_v2[] =
  "ALTER TABLE conversations ADD COLUMN system_prompt TEXT;"
  "ALTER TABLE conversations ADD COLUMN temperature REAL;"
  "ALTER TABLE conversations ADD COLUMN top_k INTEGER;"
  "ALTER TABLE conversations ADD COLUMN top_p REAL;"
  "ALTER TABLE conversations ADD COLUMN min_p REAL;"
  "ALTER TABLE conversations ADD COLUMN repeat_penalty REAL;"
  "ALTER TABLE conversations ADD COLUMN seed INTEGER;"
  "ALTER TABLE conversations ADD COLUMN context_length INTEGER;";

/* The settings columns, in the order read_settings() expects them. */
#define SETTINGS_COLUMNS \
  "system_prompt, temperature, top_k, top_p, min_p, repeat_penalty, seed, context_length"

static gboolean
unref_in_main (gpointer data)
{
  g_object_unref (data);

  return G_SOURCE_REMOVE;
}

static void
op_free (Op *op)
{
  /* The task holds the store: its last reference must not go away on the
   * worker thread, or the store would be disposed (and join) there. */
  if (op->task != NULL)
    {
      GMainContext *context = g_task_get_context (op->task);
      GSource *source = g_idle_source_new ();

      g_source_set_callback (source, unref_in_main, g_steal_pointer (&op->task), NULL);
      g_source_attach (source, context);
      g_source_unref (source);
    }
  g_free (op->sql);
  for (guint i = 0; i < op->n_args; i++)
    g_free (op->args[i].s);
  g_free (op->query);
  g_free (op);
}

static void
open_result_free (OpenResult *result)
{
  g_clear_pointer (&result->conversations, g_ptr_array_unref);
  g_free (result);
}

/* ------------------------------------------------------------ worker side */

static gboolean
db_exec (sqlite3     *db,
         const char  *sql,
         GError     **error)
{
  char *errmsg = NULL;

  if (sqlite3_exec (db, sql, NULL, NULL, &errmsg) != SQLITE_OK)
    {
      g_set_error (error, GEMLET_STORE_ERROR, GEMLET_STORE_ERROR_IO,
                   "%s", errmsg ? errmsg : sqlite3_errmsg (db));
      sqlite3_free (errmsg);
      return FALSE;
    }

  return TRUE;
}

static gboolean
db_get_int (sqlite3     *db,
            const char  *sql,
            gint64      *out,
            GError     **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc;

  rc = sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_step (stmt);

  if (rc == SQLITE_ROW)
    {
      *out = sqlite3_column_int64 (stmt, 0);
      sqlite3_finalize (stmt);
      return TRUE;
    }

  g_set_error (error, GEMLET_STORE_ERROR,
               rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT
                 ? GEMLET_STORE_ERROR_CORRUPT : GEMLET_STORE_ERROR_IO,
               "%s", sqlite3_errmsg (db));
  sqlite3_finalize (stmt);
  return FALSE;
}

static gboolean
check_header (const char  *path,
              gboolean    *exists,
              GError     **error)
{
  static const char magic[16] = "SQLite format 3";
  g_autoptr(GError) local_error = NULL;
  g_autofree char *contents = NULL;
  char header[16];
  FILE *fp;
  size_t n;

  fp = g_fopen (path, "rb");
  if (fp == NULL)
    {
      int errsv = errno;

      if (errsv == ENOENT)
        {
          *exists = FALSE;
          return TRUE;
        }

      g_set_error (error, GEMLET_STORE_ERROR, GEMLET_STORE_ERROR_IO,
                   _("Could not open the conversation database “%s”: %s"),
                   path, g_strerror (errsv));
      return FALSE;
    }

  n = fread (header, 1, sizeof header, fp);
  fclose (fp);

  *exists = TRUE;

  /* An empty file (e.g. left by a crash before the first write) is new. */
  if (n == 0)
    {
      *exists = FALSE;
      return TRUE;
    }

  if (n != sizeof header || memcmp (header, magic, sizeof magic) != 0)
    {
      g_set_error (error, GEMLET_STORE_ERROR, GEMLET_STORE_ERROR_CORRUPT,
                   _("The conversation database “%s” is damaged or is not a database. "
                     "Gemlet has left it untouched; move it away to start with an empty history."),
                   path);
      return FALSE;
    }

  return TRUE;
}

/* A value out of range (written by hand, or by a future version that
 * widened a range) follows Preferences instead. */
static void
read_settings (sqlite3_stmt               *stmt,
               int                         col,
               GemletConversationSettings *settings)
{
  static const GemletOverride flags[] = {
    GEMLET_OVERRIDE_TEMPERATURE, GEMLET_OVERRIDE_TOP_K, GEMLET_OVERRIDE_TOP_P, GEMLET_OVERRIDE_MIN_P,
    GEMLET_OVERRIDE_REPEAT_PENALTY, GEMLET_OVERRIDE_SEED, GEMLET_OVERRIDE_CONTEXT_LENGTH,
  };

  gemlet_conversation_settings_init (settings);
  if (sqlite3_column_type (stmt, col) != SQLITE_NULL)
    settings->system_prompt = g_strdup ((const char *) sqlite3_column_text (stmt, col));

  for (guint k = 0; k < G_N_ELEMENTS (flags); k++)
    {
      int c = col + 1 + k;
      GemletConversationSettings one;

      if (sqlite3_column_type (stmt, c) == SQLITE_NULL)
        continue;

      gemlet_conversation_settings_init (&one);
      one.set = flags[k];
      switch (flags[k])
        {
        case GEMLET_OVERRIDE_TEMPERATURE:    one.temperature = sqlite3_column_double (stmt, c); break;
        case GEMLET_OVERRIDE_TOP_K:          one.top_k = (guint) CLAMP (sqlite3_column_int64 (stmt, c), 0, G_MAXUINT); break;
        case GEMLET_OVERRIDE_TOP_P:          one.top_p = sqlite3_column_double (stmt, c); break;
        case GEMLET_OVERRIDE_MIN_P:          one.min_p = sqlite3_column_double (stmt, c); break;
        case GEMLET_OVERRIDE_REPEAT_PENALTY: one.repeat_penalty = sqlite3_column_double (stmt, c); break;
        case GEMLET_OVERRIDE_SEED:           one.seed = (guint) CLAMP (sqlite3_column_int64 (stmt, c), 0, G_MAXUINT); break;
        case GEMLET_OVERRIDE_CONTEXT_LENGTH: one.context_length = (guint) CLAMP (sqlite3_column_int64 (stmt, c), 0, G_MAXUINT); break;
        default: break;
        }
      if (!gemlet_conversation_settings_validate (&one, NULL))
        continue;

      settings->set |= flags[k];
      switch (flags[k])
        {
        case GEMLET_OVERRIDE_TEMPERATURE:    settings->temperature = one.temperature; break;
        case GEMLET_OVERRIDE_TOP_K:          settings->top_k = one.top_k; break;
        case GEMLET_OVERRIDE_TOP_P:          settings->top_p = one.top_p; break;
        case GEMLET_OVERRIDE_MIN_P:          settings->min_p = one.min_p; break;
        case GEMLET_OVERRIDE_REPEAT_PENALTY: settings->repeat_penalty = one.repeat_penalty; break;
        case GEMLET_OVERRIDE_SEED:           settings->seed = one.seed; break;
        case GEMLET_OVERRIDE_CONTEXT_LENGTH: settings->context_length = one.context_length; break;
        default: break;
        }
    }
}

static gboolean
worker_open (GemletStore  *self,
             OpenResult   *result,
             GError      **error)
{
  g_autofree char *dir = NULL;
  gboolean exists = FALSE;
  sqlite3_stmt *stmt = NULL;
  gint64 app_id = 0;
  gint64 version = 0;
  gint64 n_tables = 0;
  int rc;

  dir = g_path_get_dirname (self->path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int errsv = errno;
      g_set_error (error, GEMLET_STORE_ERROR, GEMLET_STORE_ERROR_IO,
                   _("Could not create the folder “%s”: %s"), dir, g_strerror (errsv));
      return FALSE;
    }

  if (!check_header (self->path, &exists, error))
    return FALSE;

  rc = sqlite3_open_v2 (self->path, &self->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX
                        | (exists ? 0 : SQLITE_OPEN_CREATE),
                        NULL);
  if (rc != SQLITE_OK)
    {
      g_set_error (error, GEMLET_STORE_ERROR, GEMLET_STORE_ERROR_IO,
                   _("Could not open the conversation database “%s”: %s"),
                   self->path, self->db ? sqlite3_errmsg (self->db) : sqlite3_errstr (rc));
      goto fail;
    }

  sqlite3_busy_timeout (self->db, 5000);
  sqlite3_extended_result_codes (self->db, 1);

  if (!db_get_int (self->db, "PRAGMA application_id", &app_id, error) ||
      !db_get_int (self->db, "PRAGMA user_version", &version, error) ||
      !db_get_int (self->db, "SELECT count(*) FROM sqlite_master", &n_tables, error))
    {
      g_autoptr(GError) inner = g_steal_pointer (error);
      g_set_error (error, GEMLET_STORE_ERROR, inner->code,
                   _("The conversation database “%s” could not be read (%s). "
                     "Gemlet has left it untouched; move it away to start with an empty history."),
                   self->path, inner->message);
      goto fail;
    }

  if (app_id != GEMLET_STORE_APPLICATION_ID && !(app_id == 0 && n_tables == 0))
    {
      g_set_error (error, GEMLET_STORE_ERROR, GEMLET_STORE_ERROR_NOT_OURS,
                   _("“%s” is not a Gemlet conversation database. "
                     "Gemlet has left it untouched; move it away to start with an empty history."),
                   self->path);
      goto fail;
    }

  if (version > GEMLET_STORE_SCHEMA_VERSION)
    {
      g_set_error (error, GEMLET_STORE_ERROR, GEMLET_STORE_ERROR_NEWER,
                   _("Your conversations were saved by a newer version of Gemlet "
                     "(database version %d; this version understands up to %d). "
                     "Update Gemlet to see them. The file has not been changed."),
                   (int)version, GEMLET_STORE_SCHEMA_VERSION);
      goto fail;
    }

  if (exists)
    {
      g_autofree char *check = NULL;

      rc = sqlite3_prepare_v2 (self->db, "PRAGMA quick_check", -1, &stmt, NULL);
      if (rc == SQLITE_OK && sqlite3_step (stmt) == SQLITE_ROW)
        check = g_strdup ((const char *)sqlite3_column_text (stmt, 0));
      g_clear_pointer (&stmt, sqlite3_finalize);

      if (g_strcmp0 (check, "ok") != 0)
        {
          g_set_error (error, GEMLET_STORE_ERROR, GEMLET_STORE_ERROR_CORRUPT,
                       _("The conversation database “%s” is damaged (%s). "
                         "Gemlet has left it untouched; move it away to start with an empty history."),
                       self->path, check ? check : sqlite3_errmsg (self->db));
          goto fail;
        }
    }

  if (!db_exec (self->db,
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=NORMAL;"
                "PRAGMA foreign_keys=ON;",
                error))
    goto fail;

  /* Migrations run forward from the file's version, all in one
   * transaction: an interrupted upgrade leaves the old version intact. */
  if (version < GEMLET_STORE_SCHEMA_VERSION)
    {
      g_autofree char *sql = g_strdup_printf ("BEGIN;%s%s"
                                              "PRAGMA application_id=%d;"
                                              "PRAGMA user_version=%d;"
                                              "COMMIT;",
                                              version < 1 ? schema_v1 : "",
                                              version < 2 ? migrate_v1_to_v2 : "",
                                              GEMLET_STORE_APPLICATION_ID,
                                              GEMLET_STORE_SCHEMA_VERSION);
      if (!db_exec (self->db, sql, error))
        {
          db_exec (self->db, "ROLLBACK", NULL);
          goto fail;
        }
    }

  /* Conversations deleted in an earlier run whose undo never happened. */
  db_exec (self->db, "DELETE FROM conversations WHERE deleted != 0", NULL);

  result->conversations = g_ptr_array_new_with_free_func (g_object_unref);
  rc = sqlite3_prepare_v2 (self->db,
                           "SELECT id, title, created, updated, " SETTINGS_COLUMNS
                           " FROM conversations ORDER BY updated DESC, id DESC",
                           -1, &stmt, NULL);
  while (rc == SQLITE_OK && (rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      GemletConversation *conversation;
      GemletConversationSettings settings;

      conversation = gemlet_conversation_new (sqlite3_column_int64 (stmt, 0),
                                              (const char *)sqlite3_column_text (stmt, 1),
                                              sqlite3_column_int64 (stmt, 2),
                                              sqlite3_column_int64 (stmt, 3));
      read_settings (stmt, 4, &settings);
      _gemlet_conversation_set_settings (conversation, &settings);
      gemlet_conversation_settings_clear (&settings);
      g_ptr_array_add (result->conversations, conversation);
      rc = SQLITE_OK;
    }
  g_clear_pointer (&stmt, sqlite3_finalize);
  if (rc != SQLITE_DONE)
    {
      g_set_error (error, GEMLET_STORE_ERROR, GEMLET_STORE_ERROR_IO,
                   _("Could not read the conversation list: %s"), sqlite3_errmsg (self->db));
      goto fail;
    }

  if (!db_get_int (self->db, "SELECT coalesce(max(id), 0) FROM conversations",
                   &result->max_conversation_id, error) ||
      !db_get_int (self->db, "SELECT coalesce(max(id), 0) FROM messages",
                   &result->max_message_id, error))
    goto fail;

  return TRUE;

fail:
  g_clear_pointer (&stmt, sqlite3_finalize);
  g_clear_pointer (&self->db, sqlite3_close);
  return FALSE;
}

static gboolean
worker_exec (GemletStore  *self,
             Op           *op,
             GError      **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc;

  if (self->db == NULL)
    return TRUE;

  rc = sqlite3_prepare_v2 (self->db, op->sql, -1, &stmt, NULL);
  for (guint i = 0; rc == SQLITE_OK && i < op->n_args; i++)
    {
      switch (op->args[i].kind)
        {
        case ARG_INT64:  rc = sqlite3_bind_int64 (stmt, i + 1, op->args[i].i); break;
        case ARG_DOUBLE: rc = sqlite3_bind_double (stmt, i + 1, op->args[i].d); break;
        case ARG_NULL:   rc = sqlite3_bind_null (stmt, i + 1); break;
        case ARG_TEXT:
        default:         rc = sqlite3_bind_text (stmt, i + 1, op->args[i].s, -1, SQLITE_STATIC); break;
        }
    }
  if (rc == SQLITE_OK)
    rc = sqlite3_step (stmt);
  sqlite3_finalize (stmt);

  if (rc != SQLITE_DONE)
    {
      g_set_error (error, GEMLET_STORE_ERROR, GEMLET_STORE_ERROR_IO,
                   _("Could not save to the conversation database: %s"),
                   sqlite3_errmsg (self->db));
      return FALSE;
    }

  return TRUE;
}

static GPtrArray *
worker_load_messages (GemletStore  *self,
                      gint64        conversation_id,
                      GError      **error)
{
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func (g_object_unref);
  sqlite3_stmt *stmt = NULL;
  int rc;

  rc = sqlite3_prepare_v2 (self->db,
                           "SELECT id, role, content, created FROM messages "
                           "WHERE conversation_id = ?1 ORDER BY position",
                           -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_bind_int64 (stmt, 1, conversation_id);
  while (rc == SQLITE_OK && (rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      int role = sqlite3_column_int (stmt, 1);

      if (role < GEMLET_ROLE_SYSTEM || role > GEMLET_ROLE_MODEL)
        role = GEMLET_ROLE_USER;
      g_ptr_array_add (messages,
                       gemlet_message_new (sqlite3_column_int64 (stmt, 0),
                                           role,
                                           (const char *)sqlite3_column_text (stmt, 2),
                                           sqlite3_column_int64 (stmt, 3)));
      rc = SQLITE_OK;
    }
  sqlite3_finalize (stmt);

  if (rc != SQLITE_DONE)
    {
      g_set_error (error, GEMLET_STORE_ERROR, GEMLET_STORE_ERROR_IO,
                   _("Could not read the conversation: %s"), sqlite3_errmsg (self->db));
      return NULL;
    }

  return g_steal_pointer (&messages);
}

static char *
escape_like (const char *query)
{
  GString *str = g_string_new (NULL);

  g_string_append_c (str, '%');
  for (const char *p = query; *p; p++)
    {
      if (*p == '%' || *p == '_' || *p == '\\')
        g_string_append_c (str, '\\');
      g_string_append_c (str, *p);
    }
  g_string_append_c (str, '%');

  return g_string_free (str, FALSE);
}

static GHashTable *
worker_search (GemletStore  *self,
               const char   *query,
               GError      **error)
{
  g_autoptr(GHashTable) ids = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  g_autofree char *pattern = escape_like (query);
  sqlite3_stmt *stmt = NULL;
  int rc;

  rc = sqlite3_prepare_v2 (self->db,
                           "SELECT id FROM conversations WHERE deleted = 0 AND title LIKE ?1 ESCAPE '\\' "
                           "UNION "
                           "SELECT DISTINCT conversation_id FROM messages WHERE content LIKE ?1 ESCAPE '\\'",
                           -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_bind_text (stmt, 1, pattern, -1, SQLITE_STATIC);
  while (rc == SQLITE_OK && (rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      g_hash_table_add (ids, g_memdup2 (&(gint64) { sqlite3_column_int64 (stmt, 0) }, sizeof (gint64)));
      rc = SQLITE_OK;
    }
  sqlite3_finalize (stmt);

  if (rc != SQLITE_DONE)
    {
      g_set_error (error, GEMLET_STORE_ERROR, GEMLET_STORE_ERROR_IO,
                   _("Could not search the conversations: %s"), sqlite3_errmsg (self->db));
      return NULL;
    }

  return g_steal_pointer (&ids);
}

static gboolean
emit_write_failed (gpointer data)
{
  gpointer *pair = data;
  GemletStore *self = pair[0];
  GError *error = pair[1];

  if (!self->write_failed)
    {
      self->write_failed = TRUE;
      g_signal_emit (self, signals[WRITE_FAILED], 0, error);
    }

  g_object_unref (self);
  g_error_free (error);
  g_free (pair);

  return G_SOURCE_REMOVE;
}

static gpointer
worker_thread (gpointer data)
{
  GemletStore *self = data;

  Op *next = NULL;

  for (;;)
    {
      Op *op = next ? next : g_async_queue_pop (self->queue);
      g_autoptr(GError) error = NULL;

      next = NULL;

      /* Writes that queued up together (a burst of streamed text, a new
       * conversation with its first messages) share one transaction. */
      if (op->kind == OP_EXEC && self->db != NULL &&
          (next = g_async_queue_try_pop (self->queue)) != NULL && next->kind == OP_EXEC)
        {
          gboolean in_transaction = db_exec (self->db, "BEGIN", NULL);

          while (op != NULL)
            {
              g_autoptr(GError) exec_error = NULL;

              if (!worker_exec (self, op, &exec_error))
                {
                  gpointer *pair = g_new (gpointer, 2);

                  g_warning ("%s", exec_error->message);
                  pair[0] = g_object_ref (self);
                  pair[1] = g_steal_pointer (&exec_error);
                  g_idle_add (emit_write_failed, pair);
                }
              op_free (op);

              op = next;
              next = NULL;
              if (op != NULL && op->kind != OP_EXEC)
                {
                  next = op;
                  op = NULL;
                }
              else if (op != NULL)
                next = NULL;

              if (op != NULL)
                continue;
              if (next == NULL)
                {
                  /* Anything else already waiting joins the batch. */
                  next = g_async_queue_try_pop (self->queue);
                  if (next != NULL && next->kind == OP_EXEC)
                    {
                      op = next;
                      next = NULL;
                    }
                }
            }

          if (in_transaction && !db_exec (self->db, "COMMIT", NULL))
            db_exec (self->db, "ROLLBACK", NULL);
          continue;
        }

      switch (op->kind)
        {
        case OP_OPEN:
          {
            OpenResult *result = g_new0 (OpenResult, 1);

            if (worker_open (self, result, &error))
              g_task_return_pointer (op->task, result, (GDestroyNotify)open_result_free);
            else
              {
                open_result_free (result);
                g_task_return_error (op->task, g_steal_pointer (&error));
              }
          }
          break;

        case OP_EXEC:
          if (!worker_exec (self, op, &error))
            {
              gpointer *pair = g_new (gpointer, 2);

              g_warning ("%s", error->message);
              pair[0] = g_object_ref (self);
              pair[1] = g_steal_pointer (&error);
              g_idle_add (emit_write_failed, pair);
            }
          break;

        case OP_LOAD_MESSAGES:
          {
            GPtrArray *messages = NULL;

            if (self->db == NULL)
              g_task_return_new_error (op->task, GEMLET_STORE_ERROR, GEMLET_STORE_ERROR_IO,
                                       "The database is not open");
            else if ((messages = worker_load_messages (self, op->id, &error)))
              g_task_return_pointer (op->task, messages, (GDestroyNotify)g_ptr_array_unref);
            else
              g_task_return_error (op->task, g_steal_pointer (&error));
          }
          break;

        case OP_SEARCH:
          {
            GHashTable *ids = NULL;

            if (g_task_return_error_if_cancelled (op->task))
              break;
            if (self->db == NULL)
              g_task_return_new_error (op->task, GEMLET_STORE_ERROR, GEMLET_STORE_ERROR_IO,
                                       "The database is not open");
            else if ((ids = worker_search (self, op->query, &error)))
              g_task_return_pointer (op->task, ids, (GDestroyNotify)g_hash_table_unref);
            else
              g_task_return_error (op->task, g_steal_pointer (&error));
          }
          break;

        case OP_BARRIER:
          g_mutex_lock (op->mutex);
          *op->done = TRUE;
          g_cond_signal (op->cond);
          g_mutex_unlock (op->mutex);
          break;

        case OP_QUIT:
          op_free (op);
          g_clear_pointer (&self->db, sqlite3_close);
          return NULL;

        default:
          g_assert_not_reached ();
        }

      op_free (op);
    }
}

/* -------------------------------------------------------------- main side */

static void
push_op (GemletStore *self,
         Op          *op)
{
  g_async_queue_push (self->queue, op);
}

static void
push_exec (GemletStore *self,
           const char  *sql,
           const char  *format,
           ...)
{
  Op *op = g_new0 (Op, 1);
  va_list ap;

  op->kind = OP_EXEC;
  op->sql = g_strdup (sql);

  va_start (ap, format);
  for (const char *f = format; *f; f++)
    {
      g_assert (op->n_args < G_N_ELEMENTS (op->args));
      if (*f == 'i')
        {
          op->args[op->n_args].kind = ARG_INT64;
          op->args[op->n_args].i = va_arg (ap, gint64);
        }
      else
        {
          op->args[op->n_args].kind = ARG_TEXT;
          op->args[op->n_args].s = g_strdup (va_arg (ap, const char *));
        }
      op->n_args++;
    }
  va_end (ap);

  push_op (self, op);
}

static void
op_add (Op      *op,
        ArgKind  kind,
        gint64   i,
        double   d,
        const char *text)
{
  Arg *arg;

  g_assert (op->n_args < G_N_ELEMENTS (op->args));
  arg = &op->args[op->n_args++];
  arg->kind = kind;
  arg->i = i;
  arg->d = d;
  arg->s = g_strdup (text);
}

/* The eight values of SETTINGS_COLUMNS; NULL where Preferences apply. */
static void
op_add_settings (Op                               *op,
                 const GemletConversationSettings *settings)
{
  GemletOverride set = settings->set;

  op_add (op, ARG_TEXT, 0, 0, gemlet_conversation_settings_get_system_prompt (settings));
  op_add (op, (set & GEMLET_OVERRIDE_TEMPERATURE) ? ARG_DOUBLE : ARG_NULL, 0, settings->temperature, NULL);
  op_add (op, (set & GEMLET_OVERRIDE_TOP_K) ? ARG_INT64 : ARG_NULL, settings->top_k, 0, NULL);
  op_add (op, (set & GEMLET_OVERRIDE_TOP_P) ? ARG_DOUBLE : ARG_NULL, 0, settings->top_p, NULL);
  op_add (op, (set & GEMLET_OVERRIDE_MIN_P) ? ARG_DOUBLE : ARG_NULL, 0, settings->min_p, NULL);
  op_add (op, (set & GEMLET_OVERRIDE_REPEAT_PENALTY) ? ARG_DOUBLE : ARG_NULL, 0, settings->repeat_penalty, NULL);
  op_add (op, (set & GEMLET_OVERRIDE_SEED) ? ARG_INT64 : ARG_NULL, settings->seed, 0, NULL);
  op_add (op, (set & GEMLET_OVERRIDE_CONTEXT_LENGTH) ? ARG_INT64 : ARG_NULL, settings->context_length, 0, NULL);
}

static void
gemlet_store_dispose (GObject *object)
{
  GemletStore *self = (GemletStore *)object;

  if (self->thread != NULL)
    {
      Op *op = g_new0 (Op, 1);

      op->kind = OP_QUIT;
      push_op (self, op);
      g_thread_join (self->thread);
      self->thread = NULL;
    }

  G_OBJECT_CLASS (gemlet_store_parent_class)->dispose (object);
}

static void
gemlet_store_finalize (GObject *object)
{
  GemletStore *self = (GemletStore *)object;

  g_clear_pointer (&self->path, g_free);
  g_clear_object (&self->conversations);
  g_clear_pointer (&self->by_id, g_hash_table_unref);
  g_clear_pointer (&self->deleted, g_hash_table_unref);
  g_clear_pointer (&self->queue, g_async_queue_unref);

  G_OBJECT_CLASS (gemlet_store_parent_class)->finalize (object);
}

static void
gemlet_store_class_init (GemletStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = gemlet_store_dispose;
  object_class->finalize = gemlet_store_finalize;

  /**
   * GemletStore::write-failed:
   *
   * Emitted (once) when a change could not be saved.
   */
  signals[WRITE_FAILED] =
    g_signal_new ("write-failed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
gemlet_store_init (GemletStore *self)
{
  self->conversations = g_list_store_new (GEMLET_TYPE_CONVERSATION);
  self->by_id = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_object_unref);
  self->deleted = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_object_unref);
  self->queue = g_async_queue_new ();
  self->next_conversation_id = 1;
  self->next_message_id = 1;
}

/**
 * gemlet_store_get_default_path:
 *
 * Returns: $XDG_DATA_HOME/gemlet/conversations.db
 */
char *
gemlet_store_get_default_path (void)
{
  return g_build_filename (g_get_user_data_dir (), "gemlet", "conversations.db", NULL);
}

GemletStore *
gemlet_store_new (const char *path)
{
  GemletStore *self = g_object_new (GEMLET_TYPE_STORE, NULL);

  self->path = path ? g_strdup (path) : gemlet_store_get_default_path ();
  self->thread = g_thread_new ("gemlet-store", worker_thread, self);

  return self;
}

const char *
gemlet_store_get_path (GemletStore *self)
{
  g_return_val_if_fail (GEMLET_IS_STORE (self), NULL);

  return self->path;
}

void
gemlet_store_open_async (GemletStore         *self,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  Op *op;

  g_return_if_fail (GEMLET_IS_STORE (self));

  op = g_new0 (Op, 1);
  op->kind = OP_OPEN;
  op->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (op->task, gemlet_store_open_async);
  push_op (self, op);
}

gboolean
gemlet_store_open_finish (GemletStore   *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  OpenResult *open_result;

  g_return_val_if_fail (GEMLET_IS_STORE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  open_result = g_task_propagate_pointer (G_TASK (result), error);
  if (open_result == NULL)
    return FALSE;

  for (guint i = 0; i < open_result->conversations->len; i++)
    {
      GemletConversation *conversation = g_ptr_array_index (open_result->conversations, i);
      gint64 id = gemlet_conversation_get_id (conversation);

      g_hash_table_insert (self->by_id, g_memdup2 (&id, sizeof id), g_object_ref (conversation));
      self->last_time = MAX (self->last_time, gemlet_conversation_get_updated (conversation));
    }
  g_list_store_splice (self->conversations, 0,
                       g_list_model_get_n_items (G_LIST_MODEL (self->conversations)),
                       open_result->conversations->pdata,
                       open_result->conversations->len);

  self->next_conversation_id = open_result->max_conversation_id + 1;
  self->next_message_id = open_result->max_message_id + 1;
  self->is_open = TRUE;

  open_result_free (open_result);

  return TRUE;
}

gboolean
gemlet_store_is_open (GemletStore *self)
{
  g_return_val_if_fail (GEMLET_IS_STORE (self), FALSE);

  return self->is_open;
}

/**
 * gemlet_store_get_conversations:
 *
 * Returns: (transfer none): the conversations, newest first
 */
GListModel *
gemlet_store_get_conversations (GemletStore *self)
{
  g_return_val_if_fail (GEMLET_IS_STORE (self), NULL);

  return G_LIST_MODEL (self->conversations);
}

GemletConversation *
gemlet_store_find_conversation (GemletStore *self,
                                gint64       id)
{
  g_return_val_if_fail (GEMLET_IS_STORE (self), NULL);

  return g_hash_table_lookup (self->by_id, &id);
}

static gint64
next_time (GemletStore *self)
{
  self->last_time = MAX (g_get_real_time (), self->last_time + 1);

  return self->last_time;
}

static void
move_to_top (GemletStore        *self,
             GemletConversation *conversation)
{
  guint position;

  if (g_list_store_find (self->conversations, conversation, &position) && position > 0)
    {
      g_object_ref (conversation);
      g_list_store_remove (self->conversations, position);
      g_list_store_insert (self->conversations, 0, conversation);
      g_object_unref (conversation);
    }
}

static void
touch (GemletStore        *self,
       GemletConversation *conversation)
{
  gint64 now = next_time (self);

  _gemlet_conversation_set_updated (conversation, now);
  push_exec (self, "UPDATE conversations SET updated = ?1 WHERE id = ?2", "ii",
             now, gemlet_conversation_get_id (conversation));
  move_to_top (self, conversation);
}

/**
 * gemlet_store_create_conversation:
 *
 * Returns: (transfer none): a new, empty conversation, first in the list
 */
GemletConversation *
gemlet_store_create_conversation (GemletStore *self,
                                  const char  *title)
{
  g_autoptr(GemletConversation) conversation = NULL;
  gint64 id, now;

  g_return_val_if_fail (GEMLET_IS_STORE (self), NULL);
  g_return_val_if_fail (self->is_open, NULL);

  id = self->next_conversation_id++;
  now = next_time (self);
  conversation = gemlet_conversation_new (id, title, now, now);
  _gemlet_conversation_set_messages (conversation, NULL);

  push_exec (self,
             "INSERT INTO conversations (id, title, created, updated) VALUES (?1, ?2, ?3, ?4)",
             "isii", id, title ? title : "", now, now);

  g_hash_table_insert (self->by_id, g_memdup2 (&id, sizeof id), g_object_ref (conversation));
  g_list_store_insert (self->conversations, 0, conversation);

  return conversation;
}

void
gemlet_store_rename_conversation (GemletStore        *self,
                                  GemletConversation *conversation,
                                  const char         *title)
{
  g_return_if_fail (GEMLET_IS_STORE (self));
  g_return_if_fail (GEMLET_IS_CONVERSATION (conversation));

  _gemlet_conversation_set_title (conversation, title);
  push_exec (self, "UPDATE conversations SET title = ?1 WHERE id = ?2", "si",
             title ? title : "", gemlet_conversation_get_id (conversation));
}

/* Soft delete: the rows stay until gemlet_store_purge_deleted() (or the next
 * start), so an undo can bring the conversation back. */
void
gemlet_store_delete_conversation (GemletStore        *self,
                                  GemletConversation *conversation)
{
  gint64 id;
  guint position;

  g_return_if_fail (GEMLET_IS_STORE (self));
  g_return_if_fail (GEMLET_IS_CONVERSATION (conversation));

  id = gemlet_conversation_get_id (conversation);
  push_exec (self, "UPDATE conversations SET deleted = 1 WHERE id = ?1", "i", id);

  g_hash_table_insert (self->deleted, g_memdup2 (&id, sizeof id), g_object_ref (conversation));
  if (g_list_store_find (self->conversations, conversation, &position))
    g_list_store_remove (self->conversations, position);
  g_hash_table_remove (self->by_id, &id);
}

void
gemlet_store_undelete_conversation (GemletStore        *self,
                                    GemletConversation *conversation)
{
  gint64 id, updated;
  guint n, position;

  g_return_if_fail (GEMLET_IS_STORE (self));
  g_return_if_fail (GEMLET_IS_CONVERSATION (conversation));

  id = gemlet_conversation_get_id (conversation);
  if (!g_hash_table_contains (self->deleted, &id))
    return;

  push_exec (self, "UPDATE conversations SET deleted = 0 WHERE id = ?1", "i", id);

  g_hash_table_insert (self->by_id, g_memdup2 (&id, sizeof id), g_object_ref (conversation));

  /* Back into its place, newest first. */
  updated = gemlet_conversation_get_updated (conversation);
  n = g_list_model_get_n_items (G_LIST_MODEL (self->conversations));
  for (position = 0; position < n; position++)
    {
      g_autoptr(GemletConversation) other = g_list_model_get_item (G_LIST_MODEL (self->conversations), position);

      if (gemlet_conversation_get_updated (other) < updated)
        break;
    }
  g_list_store_insert (self->conversations, position, conversation);
  g_hash_table_remove (self->deleted, &id);
}

void
gemlet_store_purge_deleted (GemletStore *self)
{
  GHashTableIter iter;
  gpointer key;

  g_return_if_fail (GEMLET_IS_STORE (self));

  g_hash_table_iter_init (&iter, self->deleted);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      push_exec (self, "DELETE FROM conversations WHERE id = ?1 AND deleted != 0", "i",
                 *(gint64 *)key);
      g_hash_table_iter_remove (&iter);
    }
}

static void
load_messages_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  GemletConversation *conversation = g_task_get_task_data (task);

  messages = g_task_propagate_pointer (G_TASK (result), &error);
  if (messages == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* Messages added while loading (there should be none) win. */
  if (!gemlet_conversation_get_messages_loaded (conversation))
    _gemlet_conversation_set_messages (conversation, messages);

  g_task_return_boolean (task, TRUE);
}

void
gemlet_store_load_messages_async (GemletStore         *self,
                                  GemletConversation  *conversation,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Op *op;

  g_return_if_fail (GEMLET_IS_STORE (self));
  g_return_if_fail (GEMLET_IS_CONVERSATION (conversation));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, gemlet_store_load_messages_async);
  g_task_set_task_data (task, g_object_ref (conversation), g_object_unref);

  if (gemlet_conversation_get_messages_loaded (conversation))
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  op = g_new0 (Op, 1);
  op->kind = OP_LOAD_MESSAGES;
  op->id = gemlet_conversation_get_id (conversation);
  op->task = g_task_new (self, NULL, load_messages_cb, g_steal_pointer (&task));
  push_op (self, op);
}

gboolean
gemlet_store_load_messages_finish (GemletStore   *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (GEMLET_IS_STORE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * gemlet_store_add_message:
 *
 * Appends a message to a conversation whose messages are loaded.
 *
 * Returns: (transfer none): the new message
 */
GemletMessage *
gemlet_store_add_message (GemletStore        *self,
                          GemletConversation *conversation,
                          GemletRole          role,
                          const char         *content)
{
  g_autoptr(GemletMessage) message = NULL;
  gint64 id, now;
  guint position;

  g_return_val_if_fail (GEMLET_IS_STORE (self), NULL);
  g_return_val_if_fail (GEMLET_IS_CONVERSATION (conversation), NULL);
  g_return_val_if_fail (gemlet_conversation_get_messages_loaded (conversation), NULL);

  id = self->next_message_id++;
  now = next_time (self);
  position = gemlet_conversation_get_n_messages (conversation);
  message = gemlet_message_new (id, role, content, now);

  push_exec (self,
             "INSERT INTO messages (id, conversation_id, position, role, content, created) "
             "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
             "iiiisi", id, gemlet_conversation_get_id (conversation), (gint64)position,
             (gint64)role, content ? content : "", now);

  _gemlet_conversation_append_message (conversation, message);
  touch (self, conversation);

  return message;
}

void
gemlet_store_append_to_message (GemletStore        *self,
                                GemletConversation *conversation,
                                GemletMessage      *message,
                                const char         *text,
                                gssize              len)
{
  g_autofree char *copy = NULL;

  g_return_if_fail (GEMLET_IS_STORE (self));
  g_return_if_fail (GEMLET_IS_MESSAGE (message));

  if (len < 0)
    len = strlen (text);
  if (len == 0)
    return;

  copy = g_strndup (text, len);
  gemlet_message_append (message, copy, len);
  push_exec (self, "UPDATE messages SET content = content || ?1 WHERE id = ?2", "si",
             copy, gemlet_message_get_id (message));
}

void
gemlet_store_set_message_content (GemletStore        *self,
                                  GemletConversation *conversation,
                                  GemletMessage      *message,
                                  const char         *content)
{
  g_return_if_fail (GEMLET_IS_STORE (self));
  g_return_if_fail (GEMLET_IS_MESSAGE (message));

  gemlet_message_set_content (message, content);
  push_exec (self, "UPDATE messages SET content = ?1 WHERE id = ?2", "si",
             content ? content : "", gemlet_message_get_id (message));
  if (conversation != NULL)
    touch (self, conversation);
}

void
gemlet_store_set_conversation_settings (GemletStore                      *self,
                                        GemletConversation               *conversation,
                                        const GemletConversationSettings *settings)
{
  Op *op;

  g_return_if_fail (GEMLET_IS_STORE (self));
  g_return_if_fail (GEMLET_IS_CONVERSATION (conversation));
  g_return_if_fail (settings != NULL);

  if (gemlet_conversation_settings_equal (gemlet_conversation_get_settings (conversation), settings))
    return;

  _gemlet_conversation_set_settings (conversation, settings);

  op = g_new0 (Op, 1);
  op->kind = OP_EXEC;
  op->sql = g_strdup ("UPDATE conversations SET system_prompt = ?1, temperature = ?2, top_k = ?3, "
                      "top_p = ?4, min_p = ?5, repeat_penalty = ?6, seed = ?7, context_length = ?8 "
                      "WHERE id = ?9");
  op_add_settings (op, settings);
  op_add (op, ARG_INT64, gemlet_conversation_get_id (conversation), 0, NULL);
  push_op (self, op);
}

/**
 * gemlet_store_import_conversation:
 * @messages: (element-type GemletMessage): role, content and creation time
 *   of each message (their ids are ignored)
 *
 * Adds a whole conversation at once (an imported file), first in the list.
 * Its creation time and those of its messages are kept.
 *
 * Returns: (transfer none): the new conversation, its messages loaded
 */
GemletConversation *
gemlet_store_import_conversation (GemletStore                      *self,
                                  const char                       *title,
                                  gint64                            created,
                                  const GemletConversationSettings *settings,
                                  GPtrArray                        *messages)
{
  g_autoptr(GemletConversation) conversation = NULL;
  g_autoptr(GPtrArray) copies = g_ptr_array_new_with_free_func (g_object_unref);
  gint64 id, now;
  Op *op;

  g_return_val_if_fail (GEMLET_IS_STORE (self), NULL);
  g_return_val_if_fail (self->is_open, NULL);
  g_return_val_if_fail (messages != NULL, NULL);

  id = self->next_conversation_id++;
  now = next_time (self);
  if (created <= 0 || created > now)
    created = now;
  conversation = gemlet_conversation_new (id, title, created, now);
  if (settings != NULL)
    _gemlet_conversation_set_settings (conversation, settings);

  op = g_new0 (Op, 1);
  op->kind = OP_EXEC;
  op->sql = g_strdup ("INSERT INTO conversations (id, title, created, updated, " SETTINGS_COLUMNS ") "
                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
  op_add (op, ARG_INT64, id, 0, NULL);
  op_add (op, ARG_TEXT, 0, 0, title ? title : "");
  op_add (op, ARG_INT64, created, 0, NULL);
  op_add (op, ARG_INT64, now, 0, NULL);
  op_add_settings (op, gemlet_conversation_get_settings (conversation));
  push_op (self, op);

  for (guint i = 0; i < messages->len; i++)
    {
      GemletMessage *m = g_ptr_array_index (messages, i);
      gint64 message_id = self->next_message_id++;
      gint64 message_created = gemlet_message_get_created (m);

      if (message_created <= 0 || message_created > now)
        message_created = now;
      push_exec (self,
                 "INSERT INTO messages (id, conversation_id, position, role, content, created) "
                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                 "iiiisi", message_id, id, (gint64) i, (gint64) gemlet_message_get_role (m),
                 gemlet_message_get_content (m), message_created);
      g_ptr_array_add (copies, gemlet_message_new (message_id, gemlet_message_get_role (m),
                                                   gemlet_message_get_content (m), message_created));
    }
  _gemlet_conversation_set_messages (conversation, copies);

  g_hash_table_insert (self->by_id, g_memdup2 (&id, sizeof id), g_object_ref (conversation));
  g_list_store_insert (self->conversations, 0, conversation);

  return conversation;
}

/* Drops the messages from position n_kept on (regenerate, edit and resend). */
void
gemlet_store_truncate_conversation (GemletStore        *self,
                                    GemletConversation *conversation,
                                    guint               n_kept)
{
  g_return_if_fail (GEMLET_IS_STORE (self));
  g_return_if_fail (GEMLET_IS_CONVERSATION (conversation));

  _gemlet_conversation_truncate (conversation, n_kept);
  push_exec (self, "DELETE FROM messages WHERE conversation_id = ?1 AND position >= ?2", "ii",
             gemlet_conversation_get_id (conversation), (gint64)n_kept);
}

void
gemlet_store_search_async (GemletStore         *self,
                           const char          *query,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  Op *op;

  g_return_if_fail (GEMLET_IS_STORE (self));
  g_return_if_fail (query != NULL);

  op = g_new0 (Op, 1);
  op->kind = OP_SEARCH;
  op->query = g_strdup (query);
  op->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (op->task, gemlet_store_search_async);
  g_task_set_return_on_cancel (op->task, FALSE);
  push_op (self, op);
}

/**
 * gemlet_store_search_finish:
 *
 * Returns: (transfer full): a set of matching conversation ids (gint64 *)
 */
GHashTable *
gemlet_store_search_finish (GemletStore   *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (GEMLET_IS_STORE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Blocks until every change queued so far is in the database. */
void
gemlet_store_sync (GemletStore *self)
{
  GMutex mutex;
  GCond cond;
  gboolean done = FALSE;
  Op *op;

  g_return_if_fail (GEMLET_IS_STORE (self));

  g_mutex_init (&mutex);
  g_cond_init (&cond);

  op = g_new0 (Op, 1);
  op->kind = OP_BARRIER;
  op->mutex = &mutex;
  op->cond = &cond;
  op->done = &done;
  push_op (self, op);

  g_mutex_lock (&mutex);
  while (!done)
    g_cond_wait (&cond, &mutex);
  g_mutex_unlock (&mutex);

  g_mutex_clear (&mutex);
  g_cond_clear (&cond);
}
