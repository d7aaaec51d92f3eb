/* gemlet-engine-worker.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "gemlet.h"

G_BEGIN_DECLS

typedef enum
{
  GEMLET_ENGINE_STATE_EMPTY,
  GEMLET_ENGINE_STATE_LOADING,
  GEMLET_ENGINE_STATE_READY,
  GEMLET_ENGINE_STATE_GENERATING,
} GemletEngineState;

typedef struct
{
  gboolean text_only;
  guint    n_threads;  /* 0 = engine default */
  guint    n_ctx;      /* 0 = model default */
} GemletLoadSettings;

typedef struct
{
  gm_role     role;
  const char *content;
} GemletChatTurn;

typedef struct
{
  guint64  n_prompt_tokens;     /* in the prompt */
  guint64  n_prompt_evaluated;  /* of those, computed now */
  guint64  n_prompt_reused;     /* of those, taken from the session's cache */
  guint    n_turns_left_out;    /* oldest turns that did not fit the context */
  gboolean context_full;        /* the reply filled the context */
  guint64  n_generated;
  double   time_to_first_token;  /* seconds, from the request */
  double   tokens_per_second;    /* decode speed */
  gboolean stopped;              /* by the user */
} GemletGenerateStats;

/* What a model needs before it is loaded, against the memory available. */
typedef struct
{
  guint    n_ctx;      /* the context the estimate is for */
  guint64  needed;     /* weights kept in memory + KV cache + buffers */
  guint64  available;  /* the system's available memory (0: unknown) */
  gboolean fits;
} GemletMemoryCheck;

/* "Automatic" context: the largest that fits this share of the memory
 * available when the model is loaded (the rest stays for the system and
 * other programs). */
#define GEMLET_AUTO_CONTEXT_PERCENT 70

#define GEMLET_TYPE_ENGINE_WORKER (gemlet_engine_worker_get_type ())

G_DECLARE_FINAL_TYPE (GemletEngineWorker, gemlet_engine_worker, GEMLET, ENGINE_WORKER, GObject)

GemletEngineWorker *gemlet_engine_worker_new              (void);
GemletEngineState   gemlet_engine_worker_get_state        (GemletEngineWorker        *self);
double              gemlet_engine_worker_get_load_progress (GemletEngineWorker       *self);
const char         *gemlet_engine_worker_get_model_path   (GemletEngineWorker        *self);
char               *gemlet_engine_worker_dup_model_title  (GemletEngineWorker        *self);
void                gemlet_engine_worker_load_async       (GemletEngineWorker        *self,
                                                           const char                *path,
                                                           const GemletLoadSettings  *settings,
                                                           GCancellable              *cancellable,
                                                           GAsyncReadyCallback        callback,
                                                           gpointer                   user_data);
gboolean            gemlet_engine_worker_load_finish      (GemletEngineWorker        *self,
                                                           GAsyncResult              *result,
                                                           GError                   **error);
void                gemlet_engine_worker_unload           (GemletEngineWorker        *self);
gboolean            gemlet_engine_worker_generate         (GemletEngineWorker        *self,
                                                           gint64                     key,
                                                           const GemletChatTurn      *turns,
                                                           guint                      n_turns,
                                                           const gm_sampling         *sampling,
                                                           guint                      n_ctx,
                                                           int                        max_tokens,
                                                           GError                   **error);
void                gemlet_engine_worker_stop             (GemletEngineWorker        *self);
void                gemlet_engine_worker_drain            (GemletEngineWorker        *self);
gboolean            gemlet_engine_worker_get_live_stats   (GemletEngineWorker        *self,
                                                           double                    *tokens_per_second,
                                                           double                    *time_to_first_token);
void                gemlet_engine_worker_get_memory       (GemletEngineWorker        *self,
                                                           gm_memory                 *measured,
                                                           gm_memory                 *estimate);
void                gemlet_engine_worker_get_kept         (GemletEngineWorker        *self,
                                                           guint                     *n_kept,
                                                           guint                     *max_kept,
                                                           guint64                   *bytes,
                                                           guint64                   *budget);
void                gemlet_engine_worker_get_last_stats   (GemletEngineWorker        *self,
                                                           GemletGenerateStats       *stats);
guint               gemlet_engine_worker_get_n_ctx        (GemletEngineWorker        *self);
guint               gemlet_engine_worker_resolve_n_ctx    (GemletEngineWorker        *self,
                                                           guint                      n_ctx);
guint               gemlet_engine_worker_get_auto_n_ctx   (GemletEngineWorker        *self);
guint               gemlet_engine_worker_get_estimate_n_ctx (GemletEngineWorker      *self);
guint               gemlet_engine_worker_suggest_n_ctx    (const char                *path);
void                gemlet_engine_worker_session_opts     (guint                      n_ctx,
                                                           guint                      n_threads,
                                                           gm_session_opts           *opts);
gm_status           gemlet_engine_worker_estimate         (const char                *path,
                                                           guint                      n_ctx,
                                                           gm_memory                 *out,
                                                           gm_error                  *err);
void                gemlet_engine_worker_check_memory_async (GemletEngineWorker      *self,
                                                           const char                *path,
                                                           guint                      n_ctx,
                                                           GCancellable              *cancellable,
                                                           GAsyncReadyCallback        callback,
                                                           gpointer                   user_data);
gboolean            gemlet_engine_worker_check_memory_finish (GemletEngineWorker     *self,
                                                           GAsyncResult              *result,
                                                           GemletMemoryCheck         *check,
                                                           GError                   **error);
void                gemlet_engine_worker_count_tokens_async (GemletEngineWorker      *self,
                                                           const char                *text,
                                                           GCancellable              *cancellable,
                                                           GAsyncReadyCallback        callback,
                                                           gpointer                   user_data);
gssize              gemlet_engine_worker_count_tokens_finish (GemletEngineWorker     *self,
                                                           GAsyncResult              *result,
                                                           GError                   **error);
const gm_checkpoint_info *gemlet_engine_worker_get_info   (GemletEngineWorker        *self);

G_END_DECLS
