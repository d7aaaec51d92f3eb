/* gemlet-engine-worker.c
 *
 * The only file of the app that calls the engine (gemlet.h). Loading and
 * generation run on worker threads (GTask); the model and its session are
 * used by one thread at a time, which the state machine guarantees.
 *
 * While generating, the token callback appends text to a mutex-guarded
 * buffer. The UI calls gemlet_engine_worker_drain() once per frame (from a
 * tick callback), which emits ::output with everything that arrived since the
 * last frame, and ::finished once the generation is over. Stop sets a flag
 * that the token and abort callbacks return to the engine.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "gemlet-engine-worker"

#include "gemlet-config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "gemlet-engine-worker.h"
#include "gemlet-utils.h"

/* The KV state of one conversation, kept while memory allows so that a
 * conversation switched back to does not re-read its history. */
typedef struct
{
  gint64      key;           /* conversation, -1 for none */
  gm_session *session;
  guint       asked_n_ctx;   /* the context it was made for (the engine may cap it) */
  guint64     bytes;         /* KV cache + buffers */
  gint64      last_used;
  /* what the session holds: the rendered prompt of the last request, its
   * ids followed by the ids the model generated, and the reply text */
  char       *text;
  guint       n_messages;    /* messages rendered into text */
  guint       n_dropped;     /* non-system turns left out at the start */
  GArray     *ids;           /* int32_t */
  guint       n_prompt;      /* of ids, those of the prompt */
  GString    *reply;
} CachedSession;

struct _GemletEngineWorker
{
  GObject             parent_instance;

  GemletEngineState   state;
  char               *model_path;
  gm_model           *model;
  GPtrArray          *sessions;           /* CachedSession, most recent last;
                                           * changed under session_lock */
  CachedSession      *current;            /* the one generating or last used */
  GMutex              session_lock;
  guint               session_n_ctx;
  int32_t             turn_end;           /* id of "<turn|>", -1 if none */
  gm_checkpoint_info  info;
  gm_memory           estimate;
  guint               estimate_n_ctx;     /* the context `estimate` is for */
  guint               auto_n_ctx;         /* "automatic" resolved at load; 0 = none */
  guint               default_n_ctx;      /* what a request for 0 gets: the load's context */
  GemletLoadSettings  load_settings;

  /* load progress, written by the loader thread */
  gint                progress_permille;  /* atomic */
  guint               progress_idle;      /* atomic flag: an idle is pending */

  /* generation: fields below `mutex` are shared with the worker thread */
  GMutex              mutex;
  GString            *pending;
  gboolean            done;
  GError             *gen_error;
  gm_generate_stats   gen_stats;
  gint64              t_request;
  gint64              t_first_token;
  gint64              t_last_token;
  guint64             n_tokens;
  gint                stop;               /* atomic */
  guint               finish_idle;
  GemletGenerateStats last_stats;
  GRWLock             model_lock;         /* token counts read the model */
};

G_DEFINE_FINAL_TYPE (GemletEngineWorker, gemlet_engine_worker, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_STATE,
  PROP_LOAD_PROGRESS,
  PROP_MODEL_PATH,
  N_PROPS
};

enum {
  OUTPUT,
  FINISHED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

typedef struct
{
  GemletEngineWorker *self;  /* strong ref held by the task */
  char               *path;
  GemletLoadSettings  settings;
  GCancellable       *cancellable;
  gm_model           *model;
  gm_session         *session;
  gm_checkpoint_info  info;
  gm_memory           estimate;
  guint               n_ctx;      /* the context the load resolved */
  guint               auto_n_ctx; /* when it was "automatic" */
} LoadData;

typedef struct
{
  char   *path;
  guint   n_ctx;
  GemletMemoryCheck result;
} CheckData;

typedef struct
{
  gint64           key;
  gm_chat_message *messages;
  guint            n_messages;
  gm_sampling      sampling;
  int              max_tokens;
  guint            n_ctx;
} GenerateData;

typedef struct
{
  char  *text;
  guint  n_ctx;
} CountData;

static void
cached_session_free (CachedSession *cs)
{
  g_clear_pointer (&cs->session, gm_session_free);
  g_free (cs->text);
  g_array_unref (cs->ids);
  g_string_free (cs->reply, TRUE);
  g_free (cs);
}

static void
cached_session_forget (CachedSession *cs)
{
  g_clear_pointer (&cs->text, g_free);
  g_array_set_size (cs->ids, 0);
  g_string_truncate (cs->reply, 0);
  cs->n_messages = 0;
  cs->n_prompt = 0;
}

static CachedSession *add_session (GemletEngineWorker *self,
                                   gint64              key,
                                   gm_session         *session);

static void
set_state (GemletEngineWorker *self,
           GemletEngineState   state)
{
  if (self->state == state)
    return;

  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

static GQuark
engine_error_quark (void)
{
  return g_quark_from_static_string ("gemlet-engine-error");
}

static GError *
error_from_gm (const gm_error *err,
               const char     *what)
{
  int code = err->code;

  if (code == GM_ERR_CANCELLED)
    return g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Cancelled"));

  if (err->message[0] != '\0')
    return g_error_new (engine_error_quark (), code, "%s: %s", what, err->message);

  return g_error_new_literal (engine_error_quark (), code, what);
}

/* ---------------------------------------------------------------- loading */

static void
load_data_free (LoadData *data)
{
  g_free (data->path);
  g_clear_object (&data->cancellable);
  g_clear_pointer (&data->session, gm_session_free);
  g_clear_pointer (&data->model, gm_model_free);
  g_free (data);
}

static gboolean
notify_progress_idle (gpointer user_data)
{
  GemletEngineWorker *self = user_data;

  g_atomic_int_set (&self->progress_idle, 0);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOAD_PROGRESS]);

  return G_SOURCE_REMOVE;
}

static bool
load_progress_cb (float  fraction,
                  void  *user)
{
  LoadData *data = user;
  GemletEngineWorker *self = data->self;
  int permille = CLAMP ((int)(fraction * 1000.f), 0, 1000);

  if (g_atomic_int_get (&self->progress_permille) != permille)
    {
      g_atomic_int_set (&self->progress_permille, permille);
      if (g_atomic_int_compare_and_exchange (&self->progress_idle, 0, 1))
        g_idle_add_full (G_PRIORITY_DEFAULT, notify_progress_idle,
                         g_object_ref (self), g_object_unref);
    }

  return !g_cancellable_is_cancelled (data->cancellable);
}

static void
load_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  LoadData *data = task_data;
  gm_load_opts opts;
  gm_session_opts session_opts;
  gm_error err = { 0 };

  if (gm_inspect (data->path, &data->info, &err) != GM_OK)
    {
      g_task_return_error (task, error_from_gm (&err, _("Could not read the model file")));
      return;
    }

  if (data->info.variant == GM_VARIANT_NOT_GEMMA4)
    {
      g_task_return_new_error (task, engine_error_quark (), GM_ERR_UNSUPPORTED,
                               _("This file is not a Gemma 4 model: %s"), data->info.variant_reason);
      return;
    }

  /* "Automatic": the largest context that fits the stated share of the
   * memory available now. */
  data->n_ctx = data->settings.n_ctx;
  if (data->n_ctx == 0)
    {
      data->n_ctx = gemlet_engine_worker_suggest_n_ctx (data->path);
      data->auto_n_ctx = data->n_ctx;
    }

  if (gemlet_engine_worker_estimate (data->path, data->n_ctx, &data->estimate, &err) != GM_OK)
    memset (&data->estimate, 0, sizeof data->estimate);

  gm_load_opts_init (&opts);
  opts.n_threads = data->settings.n_threads;
  opts.text_only = data->settings.text_only;

  data->model = gm_model_load (data->path, &opts, load_progress_cb, data, &err);
  if (data->model == NULL)
    {
      g_task_return_error (task, error_from_gm (&err, _("Could not load the model")));
      return;
    }

  gemlet_engine_worker_session_opts (data->n_ctx, data->settings.n_threads, &session_opts);
  data->session = gm_session_new (data->model, &session_opts, &err);
  if (data->session == NULL)
    {
      g_task_return_error (task, error_from_gm (&err, _("Could not prepare the model")));
      return;
    }

  g_task_return_boolean (task, TRUE);
}

void
gemlet_engine_worker_load_async (GemletEngineWorker       *self,
                                 const char               *path,
                                 const GemletLoadSettings *settings,
                                 GCancellable             *cancellable,
                                 GAsyncReadyCallback       callback,
                                 gpointer                  user_data)
{
  g_autoptr(GTask) task = NULL;
  LoadData *data;

  g_return_if_fail (GEMLET_IS_ENGINE_WORKER (self));
  g_return_if_fail (path != NULL);
  g_return_if_fail (self->state == GEMLET_ENGINE_STATE_EMPTY ||
                    self->state == GEMLET_ENGINE_STATE_READY);

  gemlet_engine_worker_unload (self);

  data = g_new0 (LoadData, 1);
  data->self = self;
  data->path = g_strdup (path);
  data->settings = *settings;
  data->cancellable = cancellable ? g_object_ref (cancellable) : g_cancellable_new ();

  task = g_task_new (self, data->cancellable, callback, user_data);
  g_task_set_source_tag (task, gemlet_engine_worker_load_async);
  g_task_set_task_data (task, data, (GDestroyNotify)load_data_free);

  g_free (self->model_path);
  self->model_path = g_strdup (path);
  self->load_settings = *settings;
  g_atomic_int_set (&self->progress_permille, 0);
  set_state (self, GEMLET_ENGINE_STATE_LOADING);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODEL_PATH]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOAD_PROGRESS]);

  g_task_run_in_thread (task, load_thread);
}

gboolean
gemlet_engine_worker_load_finish (GemletEngineWorker  *self,
                                  GAsyncResult        *result,
                                  GError             **error)
{
  LoadData *data;

  g_return_val_if_fail (GEMLET_IS_ENGINE_WORKER (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  data = g_task_get_task_data (G_TASK (result));

  if (!g_task_propagate_boolean (G_TASK (result), error))
    {
      g_clear_pointer (&self->model_path, g_free);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODEL_PATH]);
      set_state (self, GEMLET_ENGINE_STATE_EMPTY);
      return FALSE;
    }

  g_rw_lock_writer_lock (&self->model_lock);
  self->model = g_steal_pointer (&data->model);
  g_rw_lock_writer_unlock (&self->model_lock);
  self->session_n_ctx = gm_session_n_ctx (data->session);
  self->current = add_session (self, -1, g_steal_pointer (&data->session));
  self->default_n_ctx = data->n_ctx != 0 ? data->n_ctx : self->session_n_ctx;
  self->current->asked_n_ctx = self->default_n_ctx;
  self->turn_end = -1;
  {
    int32_t id[2];
    gm_error err = { 0 };

    if (gm_tokenize (self->model, "<turn|>", strlen ("<turn|>"), false, true, id, 2, &err) == 1)
      self->turn_end = id[0];
  }
  self->info = data->info;
  self->estimate = data->estimate;
  self->estimate_n_ctx = self->default_n_ctx;
  self->auto_n_ctx = data->auto_n_ctx;
  g_atomic_int_set (&self->progress_permille, 1000);
  set_state (self, GEMLET_ENGINE_STATE_READY);

  return TRUE;
}

void
gemlet_engine_worker_unload (GemletEngineWorker *self)
{
  g_return_if_fail (GEMLET_IS_ENGINE_WORKER (self));
  g_return_if_fail (self->state != GEMLET_ENGINE_STATE_GENERATING &&
                    self->state != GEMLET_ENGINE_STATE_LOADING);

  g_mutex_lock (&self->session_lock);
  g_ptr_array_set_size (self->sessions, 0);
  self->current = NULL;
  g_mutex_unlock (&self->session_lock);
  g_rw_lock_writer_lock (&self->model_lock);
  g_clear_pointer (&self->model, gm_model_free);
  g_rw_lock_writer_unlock (&self->model_lock);
  memset (&self->info, 0, sizeof self->info);
  memset (&self->estimate, 0, sizeof self->estimate);
  self->estimate_n_ctx = 0;
  self->auto_n_ctx = 0;
  self->default_n_ctx = 0;
  if (self->model_path != NULL)
    {
      g_clear_pointer (&self->model_path, g_free);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODEL_PATH]);
    }
  set_state (self, GEMLET_ENGINE_STATE_EMPTY);
}

/* ------------------------------------------------------------- generation */

static void
generate_data_free (GenerateData *data)
{
  for (guint i = 0; i < data->n_messages; i++)
    g_free ((char *)data->messages[i].content);
  g_free (data->messages);
  g_free (data);
}

/* Memory allowed for kept sessions: a quarter of what the system has
 * available when the session is made, at most 2 GiB, and at most
 * GEMLET_MAX_KEPT_SESSIONS of them. Least recently used goes first. */
#define GEMLET_MAX_KEPT_SESSIONS 4

static guint64
kept_budget (void)
{
  guint64 rss = 0, available = 0;
  const char *env = g_getenv ("GEMLET_KV_BUDGET");

  if (env != NULL)
    return g_ascii_strtoull (env, NULL, 10);

  gemlet_read_process_memory (&rss, &available);
  if (available == 0)
    available = 2 * (guint64) G_GINT64_CONSTANT (1073741824);

  return MIN (available / 4, 2 * (guint64) G_GINT64_CONSTANT (1073741824));
}

/* Worker thread. Frees least recently used sessions (never `keep`) until
 * at most max_count remain and their bytes plus `extra` fit the budget. */
static void
evict_sessions (GemletEngineWorker *self,
                CachedSession      *keep,
                guint               max_count,
                guint64             extra)
{
  guint64 budget = kept_budget ();

  g_mutex_lock (&self->session_lock);
  for (;;)
    {
      guint64 total = extra;
      guint victim = G_MAXUINT;

      for (guint i = 0; i < self->sessions->len; i++)
        {
          CachedSession *cs = g_ptr_array_index (self->sessions, i);

          total += cs->bytes;
          if (cs != keep && (victim == G_MAXUINT ||
                             cs->last_used < ((CachedSession *) g_ptr_array_index (self->sessions, victim))->last_used))
            victim = i;
        }
      if (victim == G_MAXUINT || (self->sessions->len <= max_count && total <= budget))
        break;
      if (g_ptr_array_index (self->sessions, victim) == self->current)
        self->current = NULL;
      g_debug ("releasing the context of a conversation (LRU; %u kept, %" G_GUINT64_FORMAT " of %"
               G_GUINT64_FORMAT " bytes)", self->sessions->len, total, budget);
      g_ptr_array_remove_index (self->sessions, victim);
    }
  g_mutex_unlock (&self->session_lock);
}

static CachedSession *
find_session (GemletEngineWorker *self,
              gint64              key)
{
  CachedSession *blank = NULL;

  for (guint i = 0; i < self->sessions->len; i++)
    {
      CachedSession *cs = g_ptr_array_index (self->sessions, i);

      if (cs->key == key)
        return cs;
      if (cs->key == -1 && blank == NULL)
        blank = cs;
    }

  /* The session made at load time serves the first conversation. */
  if (blank != NULL)
    {
      blank->key = key;
      cached_session_forget (blank);
      gm_session_truncate (blank->session, 0);
    }

  return blank;
}

static guint64
session_bytes (GemletEngineWorker *self,
               gm_session         *session)
{
  gm_memory m;

  gm_memory_report (self->model, session, &m);

  return m.kv_cache + m.scratch;
}

static CachedSession *
add_session (GemletEngineWorker *self,
             gint64              key,
             gm_session         *session)
{
  CachedSession *cs = g_new0 (CachedSession, 1);

  cs->key = key;
  cs->session = session;
  cs->bytes = session_bytes (self, session);
  cs->ids = g_array_new (FALSE, FALSE, sizeof (int32_t));
  cs->reply = g_string_new (NULL);
  cs->last_used = g_get_monotonic_time ();

  g_mutex_lock (&self->session_lock);
  g_ptr_array_add (self->sessions, cs);
  g_mutex_unlock (&self->session_lock);

  return cs;
}

static gboolean
tokenize (gm_model    *model,
          const char  *text,
          GArray      *out,
          gm_error    *err)
{
  size_t len = strlen (text);
  int64_t n;

  n = gm_tokenize (model, text, len, false, true, NULL, 0, err);
  if (n < 0)
    return FALSE;
  g_array_set_size (out, n);
  if (n > 0)
    n = gm_tokenize (model, text, len, false, true, (int32_t *) out->data, n, err);

  return n >= 0;
}

static gboolean
same_reply (const char *a,
            const char *b)
{
  g_autofree char *x = g_strstrip (g_strdup (a));
  g_autofree char *y = g_strstrip (g_strdup (b));

  return g_str_equal (x, y);
}

/* The ids of the prompt for `msgs`. When the session holds the previous
 * request of this conversation and its reply, those ids are reused as they
 * are (re-tokenizing the rendered text would not give back the ids the model
 * generated) and only the text after the reply is tokenized: the end of the
 * model turn, the new user turn and the start of the next model turn.
 * Anything else (another conversation, an edit, a regenerate after a change)
 * is rendered and tokenized in full. */
static gboolean
build_prompt (GemletEngineWorker    *self,
              CachedSession         *cs,
              const gm_chat_message *msgs,
              guint                  n_msgs,
              guint                  n_dropped,
              GArray                *ids,
              const char           **what,
              gm_error              *err)
{
  g_autofree char *text = gm_chat_render (self->model, msgs, n_msgs, true, false, err);
  size_t plen;

  if (text == NULL)
    {
      *what = _("Could not format the conversation");
      return FALSE;
    }

  g_array_set_size (ids, 0);
  plen = cs->text != NULL ? strlen (cs->text) : 0;

  if (cs->text != NULL && cs->n_dropped == n_dropped && strncmp (text, cs->text, plen) == 0)
    {
      if (text[plen] == '\0' && cs->n_messages == n_msgs)
        /* the same prompt again (regenerate) */
        g_array_append_vals (ids, cs->ids->data, MIN (cs->n_prompt, cs->ids->len));
      else if (self->turn_end >= 0 && n_msgs > cs->n_messages &&
               msgs[cs->n_messages].role == GM_ROLE_MODEL &&
               same_reply (msgs[cs->n_messages].content, cs->reply->str))
        {
          g_autoptr(GArray) rest = g_array_new (FALSE, FALSE, sizeof (int32_t));
          guint e = 0;

          if (!tokenize (self->model, text + plen, rest, err))
            return FALSE;
          while (e < rest->len && g_array_index (rest, int32_t, e) != self->turn_end)
            e++;
          if (e < rest->len)
            {
              g_array_append_vals (ids, cs->ids->data, cs->ids->len);
              g_array_append_vals (ids, &g_array_index (rest, int32_t, e), rest->len - e);
            }
        }
    }

  if (ids->len == 0 && !tokenize (self->model, text, ids, err))
    return FALSE;

  g_free (cs->text);
  cs->text = g_steal_pointer (&text);
  cs->n_messages = n_msgs;
  cs->n_dropped = n_dropped;

  return TRUE;
}

static bool
token_cb (int32_t     token,
          const char *text,
          size_t      len,
          void       *user)
{
  GemletEngineWorker *self = user;
  CachedSession *cs = self->current;
  gint64 now = g_get_monotonic_time ();
  g_autofree char *clean = NULL;

  /* A <0x00> byte token would cut the reply short wherever it is handled
   * as a C string (the store, the view, the comparison that lets the next
   * turn reuse this reply's ids), so it never enters the text. */
  if (memchr (text, '\0', len) != NULL)
    {
      size_t n = 0;

      clean = g_malloc (len + 1);
      for (size_t i = 0; i < len; i++)
        if (text[i] != '\0')
          clean[n++] = text[i];
      text = clean;
      len = n;
    }

  /* only this thread touches the current session's record */
  if (token != GM_TOKEN_NONE)
    g_array_append_val (cs->ids, token);
  g_string_append_len (cs->reply, text, len);

  g_mutex_lock (&self->mutex);
  if (self->n_tokens == 0)
    self->t_first_token = now;
  self->t_last_token = now;
  self->n_tokens++;
  g_string_append_len (self->pending, text, len);
  g_mutex_unlock (&self->mutex);

  return !g_atomic_int_get (&self->stop);
}

static bool
abort_cb (void *user)
{
  GemletEngineWorker *self = user;

  return g_atomic_int_get (&self->stop) != 0;
}

static gboolean
finish_idle_cb (gpointer user_data)
{
  GemletEngineWorker *self = user_data;

  self->finish_idle = 0;
  gemlet_engine_worker_drain (self);

  return G_SOURCE_REMOVE;
}

static guint
reply_reserve (guint n_ctx,
               int   max_tokens)
{
  guint reserve = n_ctx / 4;

  if (max_tokens > 0)
    reserve = MIN (reserve, (guint) max_tokens);

  return MAX (reserve, 1);
}

static GError *
too_long_error (guint n_tokens,
                guint n_ctx)
{
  return g_error_new (engine_error_quark (), GM_ERR_CONTEXT_FULL,
                      /* Translators: the first number is the message, the second the context */
                      ngettext ("This message is too long for the context: about %u tokens, and the "
                                "context holds %u token. Shorten it, or allow a longer context in "
                                "Preferences.",
                                "This message is too long for the context: about %u tokens, and the "
                                "context holds %u tokens. Shorten it, or allow a longer context in "
                                "Preferences.",
                                n_ctx),
                      n_tokens, n_ctx);
}

static void
generate_thread (GTask        *task,
                 gpointer      source_object,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  GemletEngineWorker *self = source_object;
  GenerateData *data = task_data;
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (int32_t));
  g_autofree gm_chat_message *kept = NULL;
  g_autofree guint *n_turn_tokens = NULL;
  GemletGenerateStats result = { 0 };
  gm_generate_stats stats = { 0 };
  gm_error err = { 0 };
  GError *error = NULL;
  CachedSession *cs;
  guint n_ctx, n_system = 0, n_rest = 0, n_dropped = 0, reserve;

  /* The session of this conversation, if it is still kept and has the
   * context asked for (from Preferences or the conversation's own
   * setting); another context length means a new session and KV cache. */
  n_ctx = gemlet_engine_worker_resolve_n_ctx (self, data->n_ctx);
  if (n_ctx != self->estimate_n_ctx)
    {
      /* the estimate shown in the memory panel follows the context */
      gm_memory estimate;

      if (gemlet_engine_worker_estimate (self->model_path, n_ctx, &estimate, &err) != GM_OK)
        memset (&estimate, 0, sizeof estimate);
      g_mutex_lock (&self->session_lock);
      self->estimate = estimate;
      self->estimate_n_ctx = n_ctx;
      g_mutex_unlock (&self->session_lock);
    }

  cs = find_session (self, data->key);
  if (cs != NULL && cs->asked_n_ctx != n_ctx)
    {
      g_mutex_lock (&self->session_lock);
      if (self->current == cs)
        self->current = NULL;
      g_ptr_array_remove (self->sessions, cs);
      g_mutex_unlock (&self->session_lock);
      cs = NULL;
    }
  if (cs == NULL)
    {
      gm_session_opts opts;
      gm_session *session;
      guint64 guess = 0;

      if (self->sessions->len > 0)
        guess = ((CachedSession *) g_ptr_array_index (self->sessions, 0))->bytes;
      evict_sessions (self, NULL, GEMLET_MAX_KEPT_SESSIONS - 1, guess);

      gemlet_engine_worker_session_opts (n_ctx, self->load_settings.n_threads, &opts);
      session = gm_session_new (self->model, &opts, &err);
      if (session == NULL)
        {
          error = error_from_gm (&err, _("Could not prepare the model"));
          goto out;
        }
      cs = add_session (self, data->key, session);
      cs->asked_n_ctx = n_ctx;
    }
  cs->last_used = g_get_monotonic_time ();
  g_mutex_lock (&self->session_lock);
  self->current = cs;
  self->session_n_ctx = gm_session_n_ctx (cs->session);
  g_mutex_unlock (&self->session_lock);
  evict_sessions (self, cs, GEMLET_MAX_KEPT_SESSIONS, 0);
  n_ctx = self->session_n_ctx;
  reserve = reply_reserve (n_ctx, data->max_tokens);

  /* System turns always stay; the others may be left out from the start
   * when the conversation outgrows the context. A conversation that had to
   * leave turns out keeps at least as many out, so its prompt keeps
   * starting the same way and the session's cache stays usable. */
  kept = g_new0 (gm_chat_message, data->n_messages + 1);
  for (guint i = 0; i < data->n_messages; i++)
    if (data->messages[i].role == GM_ROLE_SYSTEM)
      kept[n_system++] = data->messages[i];
  n_rest = data->n_messages - n_system;
  if (cs->text != NULL)
    n_dropped = cs->n_dropped;

  for (int attempt = 0; ; attempt++)
    {
      guint n_kept = n_system;

      if (n_dropped >= n_rest)
        n_dropped = n_rest > 0 ? n_rest - 1 : 0;
      for (guint i = 0, j = 0; i < data->n_messages; i++)
        if (data->messages[i].role != GM_ROLE_SYSTEM && j++ >= n_dropped)
          kept[n_kept++] = data->messages[i];

      const char *what = _("Could not read the conversation");

      if (!build_prompt (self, cs, kept, n_kept, n_dropped, ids, &what, &err))
        {
          cached_session_forget (cs);
          error = error_from_gm (&err, what);
          goto out;
        }

      if (ids->len + reserve <= n_ctx)
        break;

      if (n_dropped + 1 >= n_rest || attempt >= 3)
        {
          /* Even the last message alone does not leave room for a reply. */
          if (ids->len + MIN (reserve, 64u) > n_ctx)
            {
              cached_session_forget (cs);
              error = too_long_error (ids->len, n_ctx);
              goto out;
            }
          break;
        }

      /* Leave out the oldest turns until the prompt takes at most half the
       * context, so that the next turns again reuse the cache instead of
       * dropping (and re-reading) a little at every turn. Turns are counted
       * on their own; the kept part is then tokenized again. */
      {
        guint total = ids->len, j = 0, target = n_ctx / 2;

        n_turn_tokens = g_new0 (guint, n_rest);
        for (guint i = 0; i < data->n_messages; i++)
          if (data->messages[i].role != GM_ROLE_SYSTEM)
            {
              const char *c = data->messages[i].content;
              int64_t n = gm_tokenize (self->model, c, strlen (c), false, false, NULL, 0, &err);

              n_turn_tokens[j++] = (guint) MAX (n, 0) + 6;
            }
        while (n_dropped + 1 < n_rest && total > target)
          {
            total -= MIN (total, n_turn_tokens[n_dropped]);
            n_dropped++;
          }
        /* start the kept part at a user turn */
        j = 0;
        for (guint i = 0; i < data->n_messages; i++)
          if (data->messages[i].role != GM_ROLE_SYSTEM)
            {
              if (j >= n_dropped && data->messages[i].role == GM_ROLE_MODEL && n_dropped + 1 < n_rest)
                n_dropped++;
              else if (j >= n_dropped)
                break;
              j++;
            }
        g_clear_pointer (&n_turn_tokens, g_free);
      }
      cached_session_forget (cs);
    }

  /* The session's record becomes this request; the reply is added as it
   * is generated. */
  g_array_set_size (cs->ids, 0);
  g_array_append_vals (cs->ids, ids->data, ids->len);
  cs->n_prompt = ids->len;
  g_string_truncate (cs->reply, 0);

  gm_session_set_abort (cs->session, abort_cb, self);
  if (gm_session_generate (cs->session, (const int32_t *) ids->data, ids->len, &data->sampling,
                           data->max_tokens, token_cb, self, &stats, &err) != GM_OK)
    {
      if (err.code != GM_ERR_CANCELLED)
        error = error_from_gm (&err, _("The model stopped with an error"));
      if (stats.n_generated == 0)
        cached_session_forget (cs);
    }
  gm_session_set_abort (cs->session, NULL, NULL);
  cs->last_used = g_get_monotonic_time ();

  result.n_prompt_tokens = ids->len;
  result.n_prompt_evaluated = stats.n_prompt_tokens;
  result.n_prompt_reused = ids->len - MIN (ids->len, stats.n_prompt_tokens);
  result.n_turns_left_out = n_dropped;
  result.n_generated = stats.n_generated;
  result.context_full = stats.stopped_by_context_full;
  g_debug ("prompt: %u tokens, %" G_GUINT64_FORMAT " evaluated, %" G_GUINT64_FORMAT
           " reused from the cache, %u turns left out",
           ids->len, result.n_prompt_evaluated, result.n_prompt_reused, n_dropped);

out:
  g_mutex_lock (&self->mutex);
  self->done = TRUE;
  self->gen_error = error;
  self->gen_stats = stats;
  self->last_stats = result;
  g_mutex_unlock (&self->mutex);

  g_task_return_boolean (task, TRUE);
}

static void
generate_done_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  GemletEngineWorker *self = GEMLET_ENGINE_WORKER (object);

  /* Make sure ::finished is emitted even if nobody drains per frame. */
  if (self->finish_idle == 0 && self->state == GEMLET_ENGINE_STATE_GENERATING)
    self->finish_idle = g_idle_add (finish_idle_cb, self);
}

gboolean
gemlet_engine_worker_generate (GemletEngineWorker   *self,
                               gint64                key,
                               const GemletChatTurn *turns,
                               guint                 n_turns,
                               const gm_sampling    *sampling,
                               guint                 n_ctx,
                               int                   max_tokens,
                               GError              **error)
{
  g_autoptr(GTask) task = NULL;
  GenerateData *data;

  g_return_val_if_fail (GEMLET_IS_ENGINE_WORKER (self), FALSE);

  if (self->state != GEMLET_ENGINE_STATE_READY)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_BUSY,
                           self->state == GEMLET_ENGINE_STATE_GENERATING
                             ? _("The model is still writing a reply")
                             : _("No model is loaded"));
      return FALSE;
    }

  data = g_new0 (GenerateData, 1);
  data->key = key;
  data->messages = g_new0 (gm_chat_message, MAX (n_turns, 1));
  data->n_messages = n_turns;
  for (guint i = 0; i < n_turns; i++)
    {
      data->messages[i].role = turns[i].role;
      data->messages[i].content = g_strdup (turns[i].content ? turns[i].content : "");
    }
  data->sampling = *sampling;
  data->max_tokens = max_tokens;
  data->n_ctx = n_ctx;

  g_mutex_lock (&self->mutex);
  g_string_truncate (self->pending, 0);
  self->done = FALSE;
  g_clear_error (&self->gen_error);
  memset (&self->gen_stats, 0, sizeof self->gen_stats);
  self->t_request = g_get_monotonic_time ();
  self->t_first_token = 0;
  self->t_last_token = 0;
  self->n_tokens = 0;
  g_mutex_unlock (&self->mutex);
  g_atomic_int_set (&self->stop, 0);

  set_state (self, GEMLET_ENGINE_STATE_GENERATING);

  task = g_task_new (self, NULL, generate_done_cb, NULL);
  g_task_set_source_tag (task, gemlet_engine_worker_generate);
  g_task_set_task_data (task, data, (GDestroyNotify)generate_data_free);
  g_task_run_in_thread (task, generate_thread);

  return TRUE;
}

void
gemlet_engine_worker_stop (GemletEngineWorker *self)
{
  g_return_if_fail (GEMLET_IS_ENGINE_WORKER (self));

  g_atomic_int_set (&self->stop, 1);
}

/* Main thread, once per frame: hands over the text that arrived since the
 * last call (::output) and reports the end of the generation (::finished). */
void
gemlet_engine_worker_drain (GemletEngineWorker *self)
{
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  GemletGenerateStats stats = { 0 };
  gboolean done;

  g_return_if_fail (GEMLET_IS_ENGINE_WORKER (self));

  if (self->state != GEMLET_ENGINE_STATE_GENERATING)
    return;

  g_mutex_lock (&self->mutex);
  if (self->pending->len > 0)
    {
      text = g_strndup (self->pending->str, self->pending->len);
      g_string_truncate (self->pending, 0);
    }
  done = self->done;
  if (done)
    {
      error = g_steal_pointer (&self->gen_error);
      stats.n_prompt_tokens = self->gen_stats.n_prompt_tokens;
      stats.n_generated = self->gen_stats.n_generated ? self->gen_stats.n_generated : self->n_tokens;
      if (self->t_first_token != 0)
        stats.time_to_first_token = (self->t_first_token - self->t_request) / (double)G_USEC_PER_SEC;
      if (self->gen_stats.generate_seconds > 0)
        stats.tokens_per_second = stats.n_generated / self->gen_stats.generate_seconds;
      else if (self->n_tokens > 1 && self->t_last_token > self->t_first_token)
        stats.tokens_per_second = (self->n_tokens - 1) /
                                  ((self->t_last_token - self->t_first_token) / (double)G_USEC_PER_SEC);
      stats.stopped = g_atomic_int_get (&self->stop) != 0;
      stats.n_prompt_tokens = self->last_stats.n_prompt_tokens;
      stats.n_prompt_evaluated = self->last_stats.n_prompt_evaluated;
      stats.n_prompt_reused = self->last_stats.n_prompt_reused;
      stats.n_turns_left_out = self->last_stats.n_turns_left_out;
      stats.context_full = self->last_stats.context_full;
    }
  g_mutex_unlock (&self->mutex);

  if (text != NULL)
    g_signal_emit (self, signals[OUTPUT], 0, text);

  if (done)
    {
      g_clear_handle_id (&self->finish_idle, g_source_remove);
      set_state (self, GEMLET_ENGINE_STATE_READY);
      g_signal_emit (self, signals[FINISHED], 0, &stats, error);
    }
}

gboolean
gemlet_engine_worker_get_live_stats (GemletEngineWorker *self,
                                     double             *tokens_per_second,
                                     double             *time_to_first_token)
{
  gboolean have_tokens;

  g_return_val_if_fail (GEMLET_IS_ENGINE_WORKER (self), FALSE);

  g_mutex_lock (&self->mutex);
  have_tokens = self->n_tokens > 0;
  if (time_to_first_token)
    *time_to_first_token = have_tokens
                         ? (self->t_first_token - self->t_request) / (double)G_USEC_PER_SEC
                         : (g_get_monotonic_time () - self->t_request) / (double)G_USEC_PER_SEC;
  if (tokens_per_second)
    *tokens_per_second = self->n_tokens > 1 && self->t_last_token > self->t_first_token
                       ? (self->n_tokens - 1) / ((self->t_last_token - self->t_first_token) / (double)G_USEC_PER_SEC)
                       : 0.0;
  g_mutex_unlock (&self->mutex);

  return have_tokens;
}

/* Cheap: twice a second from the memory panel. */
void
gemlet_engine_worker_get_memory (GemletEngineWorker *self,
                                 gm_memory          *measured,
                                 gm_memory          *estimate)
{
  g_return_if_fail (GEMLET_IS_ENGINE_WORKER (self));

  if (measured != NULL)
    {
      memset (measured, 0, sizeof *measured);
      if (self->model != NULL && self->state != GEMLET_ENGINE_STATE_LOADING)
        {
          g_mutex_lock (&self->session_lock);
          gm_memory_report (self->model, self->current ? self->current->session : NULL, measured);
          g_mutex_unlock (&self->session_lock);
        }
      else
        {
          guint64 rss = 0, available = 0;

          gemlet_read_process_memory (&rss, &available);
          measured->process_rss = rss;
          measured->system_available = available;
        }
    }

  if (estimate != NULL)
    {
      g_mutex_lock (&self->session_lock);
      *estimate = self->estimate;
      g_mutex_unlock (&self->session_lock);
    }
}

/* Conversations whose context is kept, and the memory they take. */
void
gemlet_engine_worker_get_kept (GemletEngineWorker *self,
                               guint              *n_kept,
                               guint              *max_kept,
                               guint64            *bytes,
                               guint64            *budget)
{
  guint64 total = 0;
  guint n = 0;

  g_return_if_fail (GEMLET_IS_ENGINE_WORKER (self));

  g_mutex_lock (&self->session_lock);
  for (guint i = 0; i < self->sessions->len; i++)
    {
      CachedSession *cs = g_ptr_array_index (self->sessions, i);

      total += cs->bytes;
      if (cs->key != -1)
        n++;
    }
  g_mutex_unlock (&self->session_lock);

  if (n_kept)
    *n_kept = n;
  if (max_kept)
    *max_kept = GEMLET_MAX_KEPT_SESSIONS;
  if (bytes)
    *bytes = total;
  if (budget)
    *budget = kept_budget ();
}

/* The figures of the last finished generation (prompt tokens evaluated and
 * reused, turns left out). */
void
gemlet_engine_worker_get_last_stats (GemletEngineWorker  *self,
                                     GemletGenerateStats *stats)
{
  g_return_if_fail (GEMLET_IS_ENGINE_WORKER (self));

  g_mutex_lock (&self->mutex);
  *stats = self->last_stats;
  g_mutex_unlock (&self->mutex);
}

/* The context a request for n_ctx tokens gets: n_ctx itself, or for 0
 * ("automatic") the context the model was loaded with. */
guint
gemlet_engine_worker_resolve_n_ctx (GemletEngineWorker *self,
                                    guint               n_ctx)
{
  g_return_val_if_fail (GEMLET_IS_ENGINE_WORKER (self), 0);

  if (n_ctx != 0)
    return n_ctx;
  if (self->default_n_ctx != 0)
    return self->default_n_ctx;

  return self->session_n_ctx;
}

/* The automatic context of the loaded model, 0 when none is loaded or the
 * context was set by hand when it was loaded. */
guint
gemlet_engine_worker_get_auto_n_ctx (GemletEngineWorker *self)
{
  g_return_val_if_fail (GEMLET_IS_ENGINE_WORKER (self), 0);

  return self->model != NULL ? self->auto_n_ctx : 0;
}

/* The options of every session the app creates. The K/V cache is F16, as in
 * llama.cpp's default: half the memory and half the bytes each generated
 * token reads at depth, for a rounding far below the model's own. */
void
gemlet_engine_worker_session_opts (guint            n_ctx,
                                   guint            n_threads,
                                   gm_session_opts *opts)
{
  gm_session_opts_init (opts);
  opts->n_ctx = n_ctx;
  opts->n_threads = (int) n_threads;
  opts->kv_f16 = true;
}

/* Blocking (reads the model's headers): the memory a model needs with the
 * app's sessions of n_ctx tokens. */
gm_status
gemlet_engine_worker_estimate (const char *path,
                               guint       n_ctx,
                               gm_memory  *out,
                               gm_error   *err)
{
  gm_session_opts opts;

  gemlet_engine_worker_session_opts (n_ctx, 0, &opts);
  return gm_estimate_memory_opts (path, &opts, out, NULL, err);
}

/* Blocking (reads the model's headers): the automatic context for a model,
 * the largest that fits GEMLET_AUTO_CONTEXT_SHARE of the available memory;
 * 0 when the file cannot be read (the model's default then applies). */
guint
gemlet_engine_worker_suggest_n_ctx (const char *path)
{
  guint64 budget = gemlet_get_available_memory () / 100 * GEMLET_AUTO_CONTEXT_PERCENT;
  gm_error err = { 0 };
  uint32_t n_ctx = 0;

  gm_session_opts opts;

  gemlet_engine_worker_session_opts (0, 0, &opts);
  if (gm_suggest_n_ctx_opts (path, &opts, budget, &n_ctx, &err) != GM_OK)
    {
      g_debug ("no automatic context for %s: %s", path, err.message);
      return 0;
    }

  return n_ctx;
}

static void
check_data_free (CheckData *data)
{
  g_free (data->path);
  g_free (data);
}

static void
check_memory_thread (GTask        *task,
                     gpointer      source_object,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  CheckData *data = task_data;
  gm_error err = { 0 };
  gm_memory estimate;

  data->result.n_ctx = data->n_ctx != 0 ? data->n_ctx : gemlet_engine_worker_suggest_n_ctx (data->path);
  if (gemlet_engine_worker_estimate (data->path, data->result.n_ctx, &estimate, &err) != GM_OK)
    {
      g_task_return_error (task, error_from_gm (&err, _("Could not read the model file")));
      return;
    }

  data->result.needed = estimate.weights_resident + estimate.kv_cache + estimate.scratch + estimate.projector;
  data->result.available = gemlet_get_available_memory ();
  data->result.fits = data->result.available == 0 || data->result.needed <= data->result.available;
  g_task_return_boolean (task, TRUE);
}

/* Compares what the model at path needs with n_ctx tokens of context (0 =
 * automatic) with the memory available now, on a worker thread. */
void
gemlet_engine_worker_check_memory_async (GemletEngineWorker  *self,
                                         const char          *path,
                                         guint                n_ctx,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  CheckData *data;

  g_return_if_fail (GEMLET_IS_ENGINE_WORKER (self));
  g_return_if_fail (path != NULL);

  data = g_new0 (CheckData, 1);
  data->path = g_strdup (path);
  data->n_ctx = n_ctx;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, gemlet_engine_worker_check_memory_async);
  g_task_set_task_data (task, data, (GDestroyNotify) check_data_free);
  g_task_run_in_thread (task, check_memory_thread);
}

gboolean
gemlet_engine_worker_check_memory_finish (GemletEngineWorker  *self,
                                          GAsyncResult        *result,
                                          GemletMemoryCheck   *check,
                                          GError             **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;

  *check = ((CheckData *) g_task_get_task_data (G_TASK (result)))->result;

  return TRUE;
}

/* The context the memory estimate is for: the one the last reply used (or
 * the load made). */
guint
gemlet_engine_worker_get_estimate_n_ctx (GemletEngineWorker *self)
{
  guint n_ctx;

  g_return_val_if_fail (GEMLET_IS_ENGINE_WORKER (self), 0);

  g_mutex_lock (&self->session_lock);
  n_ctx = self->model ? self->estimate_n_ctx : 0;
  g_mutex_unlock (&self->session_lock);

  return n_ctx;
}

guint
gemlet_engine_worker_get_n_ctx (GemletEngineWorker *self)
{
  g_return_val_if_fail (GEMLET_IS_ENGINE_WORKER (self), 0);

  return self->model ? self->session_n_ctx : 0;
}

/* ---------------------------------------------------------- token counting */

static void
count_data_free (CountData *data)
{
  g_free (data->text);
  g_free (data);
}

static void
count_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  GemletEngineWorker *self = source_object;
  CountData *data = task_data;
  gm_error err = { 0 };
  int64_t n;

  /* Tokenizing only reads the model; unloading waits for it. */
  g_rw_lock_reader_lock (&self->model_lock);
  if (self->model != NULL)
    n = gm_tokenize (self->model, data->text, strlen (data->text), false, false, NULL, 0, &err);
  else
    n = strlen (data->text) / 4;
  g_rw_lock_reader_unlock (&self->model_lock);
  if (n < 0)
    g_task_return_error (task, error_from_gm (&err, _("Could not read the message")));
  else
    g_task_return_int (task, n);
}

/* Counts the tokens of `text` on a worker thread. Without a model the count
 * is a cheap estimate (a token per four bytes). */
void
gemlet_engine_worker_count_tokens_async (GemletEngineWorker  *self,
                                         const char          *text,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  CountData *data;

  g_return_if_fail (GEMLET_IS_ENGINE_WORKER (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, gemlet_engine_worker_count_tokens_async);

  if (self->model == NULL || self->state == GEMLET_ENGINE_STATE_LOADING)
    {
      g_task_return_int (task, strlen (text) / 4);
      return;
    }

  data = g_new0 (CountData, 1);
  data->text = g_strdup (text);
  g_task_set_task_data (task, data, (GDestroyNotify) count_data_free);
  g_task_run_in_thread (task, count_thread);
}

gssize
gemlet_engine_worker_count_tokens_finish (GemletEngineWorker  *self,
                                          GAsyncResult        *result,
                                          GError             **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), -1);

  return g_task_propagate_int (G_TASK (result), error);
}

const gm_checkpoint_info *
gemlet_engine_worker_get_info (GemletEngineWorker *self)
{
  g_return_val_if_fail (GEMLET_IS_ENGINE_WORKER (self), NULL);

  return self->model ? &self->info : NULL;
}

/* ----------------------------------------------------------------- object */

static void
gemlet_engine_worker_dispose (GObject *object)
{
  GemletEngineWorker *self = (GemletEngineWorker *)object;

  g_clear_handle_id (&self->finish_idle, g_source_remove);

  G_OBJECT_CLASS (gemlet_engine_worker_parent_class)->dispose (object);
}

static void
gemlet_engine_worker_finalize (GObject *object)
{
  GemletEngineWorker *self = (GemletEngineWorker *)object;

  /* Tasks hold a reference while they run, so nothing runs now. */
  g_ptr_array_unref (self->sessions);
  g_clear_pointer (&self->model, gm_model_free);
  g_clear_pointer (&self->model_path, g_free);
  g_string_free (self->pending, TRUE);
  g_clear_error (&self->gen_error);
  g_mutex_clear (&self->mutex);
  g_mutex_clear (&self->session_lock);
  g_rw_lock_clear (&self->model_lock);

  G_OBJECT_CLASS (gemlet_engine_worker_parent_class)->finalize (object);
}

static void
gemlet_engine_worker_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  GemletEngineWorker *self = GEMLET_ENGINE_WORKER (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_int (value, self->state);
      break;

    case PROP_LOAD_PROGRESS:
      g_value_set_double (value, gemlet_engine_worker_get_load_progress (self));
      break;

    case PROP_MODEL_PATH:
      g_value_set_string (value, self->model_path);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gemlet_engine_worker_class_init (GemletEngineWorkerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = gemlet_engine_worker_dispose;
  object_class->finalize = gemlet_engine_worker_finalize;
  object_class->get_property = gemlet_engine_worker_get_property;

  properties[PROP_STATE] =
    g_param_spec_int ("state", NULL, NULL,
                      GEMLET_ENGINE_STATE_EMPTY, GEMLET_ENGINE_STATE_GENERATING,
                      GEMLET_ENGINE_STATE_EMPTY,
                      G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LOAD_PROGRESS] =
    g_param_spec_double ("load-progress", NULL, NULL, 0, 1, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MODEL_PATH] =
    g_param_spec_string ("model-path", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * GemletEngineWorker::output:
   * @text: UTF-8 text generated since the last emission
   */
  signals[OUTPUT] =
    g_signal_new ("output",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);

  /**
   * GemletEngineWorker::finished:
   * @stats: a GemletGenerateStats
   * @error: (nullable): what went wrong, NULL on success or stop
   */
  signals[FINISHED] =
    g_signal_new ("finished",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_POINTER, G_TYPE_ERROR);
}

static void
gemlet_engine_worker_init (GemletEngineWorker *self)
{
  g_mutex_init (&self->mutex);
  g_mutex_init (&self->session_lock);
  g_rw_lock_init (&self->model_lock);
  self->pending = g_string_new (NULL);
  self->sessions = g_ptr_array_new_with_free_func ((GDestroyNotify) cached_session_free);
  self->turn_end = -1;
}

GemletEngineWorker *
gemlet_engine_worker_new (void)
{
  return g_object_new (GEMLET_TYPE_ENGINE_WORKER, NULL);
}

GemletEngineState
gemlet_engine_worker_get_state (GemletEngineWorker *self)
{
  g_return_val_if_fail (GEMLET_IS_ENGINE_WORKER (self), GEMLET_ENGINE_STATE_EMPTY);

  return self->state;
}

double
gemlet_engine_worker_get_load_progress (GemletEngineWorker *self)
{
  g_return_val_if_fail (GEMLET_IS_ENGINE_WORKER (self), 0);

  return g_atomic_int_get (&self->progress_permille) / 1000.0;
}

const char *
gemlet_engine_worker_get_model_path (GemletEngineWorker *self)
{
  g_return_val_if_fail (GEMLET_IS_ENGINE_WORKER (self), NULL);

  return self->model_path;
}

/* "Gemma 4 E2B · Q4_0" style title of the loaded model. */
char *
gemlet_engine_worker_dup_model_title (GemletEngineWorker *self)
{
  const char *variant;
  const char *quant = NULL;
  guint64 most = 0;

  g_return_val_if_fail (GEMLET_IS_ENGINE_WORKER (self), NULL);

  if (self->model == NULL)
    return NULL;

  switch (self->info.variant)
    {
    case GM_VARIANT_E2B: variant = "Gemma 4 E2B"; break;
    case GM_VARIANT_E4B: variant = "Gemma 4 E4B"; break;
    case GM_VARIANT_GEMMA4_OTHER:
    case GM_VARIANT_NOT_GEMMA4:
    default:
      variant = self->info.name[0] ? self->info.name : "Gemma 4";
      break;
    }

  /* The quantized type of the most tensors names the file ("Q4_0" even
   * though the Q6_K embedding tables hold more bytes). */
  for (guint i = 0; i < self->info.n_type_stats && i < GM_MAX_TYPE_STATS; i++)
    {
      const gm_type_stat *stat = &self->info.type_stats[i];

      if (g_str_equal (stat->name, "F32") || g_str_equal (stat->name, "F16") ||
          g_str_equal (stat->name, "BF16"))
        continue;
      if (stat->n_tensors > most)
        {
          most = stat->n_tensors;
          quant = stat->name;
        }
    }

  if (quant != NULL)
    return g_strdup_printf ("%s · %s", variant, quant);

  return g_strdup (variant);
}
