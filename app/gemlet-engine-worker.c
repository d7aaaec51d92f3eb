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

struct _GemletEngineWorker
{
  GObject             parent_instance;

  GemletEngineState   state;
  char               *model_path;
  gm_model           *model;
  gm_session         *session;            /* swapped under session_lock */
  GMutex              session_lock;
  guint               session_n_ctx;
  gm_checkpoint_info  info;
  gm_memory           estimate;
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
} LoadData;

typedef struct
{
  gm_chat_message *messages;
  guint            n_messages;
  gm_sampling      sampling;
  int              max_tokens;
  guint            n_ctx;
} GenerateData;

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

  if (gm_estimate_memory (data->path, data->settings.n_ctx, &data->estimate, &err) != GM_OK)
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

  gm_session_opts_init (&session_opts);
  session_opts.n_ctx = data->settings.n_ctx;
  session_opts.n_threads = data->settings.n_threads;
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

  self->model = g_steal_pointer (&data->model);
  self->session = g_steal_pointer (&data->session);
  self->session_n_ctx = gm_session_n_ctx (self->session);
  self->info = data->info;
  self->estimate = data->estimate;
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

  g_clear_pointer (&self->session, gm_session_free);
  g_clear_pointer (&self->model, gm_model_free);
  memset (&self->info, 0, sizeof self->info);
  memset (&self->estimate, 0, sizeof self->estimate);
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

static bool
token_cb (int32_t     token,
          const char *text,
          size_t      len,
          void       *user)
{
  GemletEngineWorker *self = user;
  gint64 now = g_get_monotonic_time ();

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

static void
generate_thread (GTask        *task,
                 gpointer      source_object,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  GemletEngineWorker *self = source_object;
  GenerateData *data = task_data;
  g_autofree int32_t *tokens = NULL;
  g_autofree char *prompt = NULL;
  gm_generate_stats stats = { 0 };
  gm_error err = { 0 };
  GError *error = NULL;
  int64_t n_tokens;

  /* A new context length from Preferences: a new session (and KV cache).
   * The memory panel reads the session from the main thread, so the swap
   * happens under the lock. */
  if (self->session == NULL || (data->n_ctx != 0 && data->n_ctx != self->session_n_ctx))
    {
      gm_session_opts opts;
      gm_session *session;

      g_mutex_lock (&self->session_lock);
      g_clear_pointer (&self->session, gm_session_free);
      g_mutex_unlock (&self->session_lock);

      gm_session_opts_init (&opts);
      opts.n_ctx = data->n_ctx;
      opts.n_threads = self->load_settings.n_threads;
      session = gm_session_new (self->model, &opts, &err);
      if (session == NULL)
        {
          error = error_from_gm (&err, _("Could not prepare the model"));
          goto out;
        }

      g_mutex_lock (&self->session_lock);
      self->session = session;
      self->session_n_ctx = gm_session_n_ctx (session);
      g_mutex_unlock (&self->session_lock);
    }

  prompt = gm_chat_render (self->model, data->messages, data->n_messages, true, false, &err);
  if (prompt == NULL)
    {
      error = error_from_gm (&err, _("Could not format the conversation"));
      goto out;
    }

  n_tokens = gm_tokenize (self->model, prompt, strlen (prompt), false, true, NULL, 0, &err);
  if (n_tokens >= 0)
    {
      tokens = g_new (int32_t, MAX (n_tokens, 1));
      n_tokens = gm_tokenize (self->model, prompt, strlen (prompt), false, true,
                              tokens, n_tokens, &err);
    }
  if (n_tokens < 0)
    {
      error = error_from_gm (&err, _("Could not read the conversation"));
      goto out;
    }

  if ((guint64)n_tokens >= self->session_n_ctx)
    {
      error = g_error_new (engine_error_quark (), GM_ERR_CONTEXT_FULL,
                           ngettext ("The conversation is too long for the model’s context "
                                     "(%u token). Start a new conversation, or allow a longer "
                                     "context in Preferences.",
                                     "The conversation is too long for the model’s context "
                                     "(%u tokens). Start a new conversation, or allow a longer "
                                     "context in Preferences.",
                                     self->session_n_ctx),
                           self->session_n_ctx);
      goto out;
    }

  gm_session_set_abort (self->session, abort_cb, self);
  if (gm_session_generate (self->session, tokens, n_tokens, &data->sampling, data->max_tokens,
                           token_cb, self, &stats, &err) != GM_OK &&
      err.code != GM_ERR_CANCELLED)
    error = error_from_gm (&err, _("The model stopped with an error"));
  gm_session_set_abort (self->session, NULL, NULL);

out:
  g_mutex_lock (&self->mutex);
  self->done = TRUE;
  self->gen_error = error;
  self->gen_stats = stats;
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
          gm_memory_report (self->model, self->session, measured);
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
    *estimate = self->estimate;
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
  g_clear_pointer (&self->session, gm_session_free);
  g_clear_pointer (&self->model, gm_model_free);
  g_clear_pointer (&self->model_path, g_free);
  g_string_free (self->pending, TRUE);
  g_clear_error (&self->gen_error);
  g_mutex_clear (&self->mutex);
  g_mutex_clear (&self->session_lock);

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
  self->pending = g_string_new (NULL);
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
