/* gemlet-window.c
 *
 * The main window: conversations on the left, the chat on the right. It
 * connects the views to the conversation store and the engine worker, runs
 * a generation from request to last token, and accepts model files dropped
 * on it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "gemlet-window"

#include "gemlet-config.h"

#include <glib/gi18n.h>

#include "gemlet-chat-view.h"
#include "gemlet-conversation-io.h"
#include "gemlet-conversation-settings-dialog.h"
#include "gemlet-import.h"
#include "gemlet-import-dialog.h"
#include "gemlet-memory-panel.h"
#include "gemlet-model-picker.h"
#include "gemlet-sidebar.h"
#include "gemlet-utils.h"
#include "gemlet-window.h"

struct _GemletWindow
{
  AdwApplicationWindow  parent_instance;

  GemletApplication    *application;
  GemletStore          *store;
  GemletEngineWorker   *worker;
  GSettings            *settings;
  GemletConversation   *conversation;

  /* the generation under way */
  GemletConversation   *gen_conversation;
  GemletMessage        *gen_message;
  guint                 tick_id;
  gint64                last_stats_update;

  GCancellable         *load_cancellable;
  GCancellable         *cancellable;  /* cancelled when the window closes */

  AdwToastOverlay      *toast_overlay;
#if ADW_CHECK_VERSION (1, 4, 0)
  AdwNavigationSplitView *split_view;
#else
  AdwLeaflet           *leaflet;
#endif
  GemletSidebar        *sidebar;
  GemletChatView       *chat_view;
  GtkWidget            *memory_panel;
};

G_DEFINE_FINAL_TYPE (GemletWindow, gemlet_window, ADW_TYPE_APPLICATION_WINDOW)

static void start_generation (GemletWindow       *self,
                              GemletConversation *conversation);
static void update_context_limit (GemletWindow *self);

void
gemlet_window_show_toast (GemletWindow *self,
                          const char   *message)
{
  AdwToast *toast;

  g_return_if_fail (GEMLET_IS_WINDOW (self));

  toast = adw_toast_new (message);
  adw_toast_set_timeout (toast, 3);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

static void
show_error_dialog (GemletWindow *self,
                   const char   *heading,
                   const char   *body)
{
#if ADW_CHECK_VERSION (1, 5, 0)
  AdwDialog *dialog = adw_alert_dialog_new (heading, body);

  adw_alert_dialog_add_response (ADW_ALERT_DIALOG (dialog), "close", _("_Close"));
  adw_dialog_present (dialog, GTK_WIDGET (self));
#else
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (self), heading, body);

  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));
#endif
}

/* ------------------------------------------------------------- navigation */

static void
show_content (GemletWindow *self)
{
#if ADW_CHECK_VERSION (1, 4, 0)
  adw_navigation_split_view_set_show_content (self->split_view, TRUE);
#else
  adw_leaflet_set_visible_child (self->leaflet, GTK_WIDGET (self->chat_view));
#endif
}

static void
show_sidebar (GemletWindow *self)
{
#if ADW_CHECK_VERSION (1, 4, 0)
  adw_navigation_split_view_set_show_content (self->split_view, FALSE);
#else
  adw_leaflet_set_visible_child (self->leaflet, GTK_WIDGET (self->sidebar));
#endif
}

#if !ADW_CHECK_VERSION (1, 4, 0)
static void
folded_changed_cb (GemletWindow *self)
{
  gboolean folded = adw_leaflet_get_folded (self->leaflet);

  adw_header_bar_set_show_end_title_buttons (gemlet_sidebar_get_header_bar (self->sidebar), folded);
  adw_header_bar_set_show_start_title_buttons (gemlet_chat_view_get_header_bar (self->chat_view), folded);
  gemlet_chat_view_set_show_back_button (self->chat_view, folded);
}
#endif

static void
load_messages_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GemletWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!gemlet_store_load_messages_finish (GEMLET_STORE (object), result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        gemlet_window_show_toast (self, error->message);
      return;
    }

  gemlet_chat_view_scroll_to_bottom (self->chat_view);
}

void
gemlet_window_show_conversation (GemletWindow       *self,
                                 GemletConversation *conversation)
{
  g_return_if_fail (GEMLET_IS_WINDOW (self));

  if (self->conversation != NULL)
    g_signal_handlers_disconnect_by_func (self->conversation, update_context_limit, self);
  g_set_object (&self->conversation, conversation);
  if (conversation != NULL)
    g_signal_connect_object (conversation, "notify::settings", G_CALLBACK (update_context_limit),
                             self, G_CONNECT_SWAPPED);
  gemlet_sidebar_select (self->sidebar, conversation);
  gemlet_chat_view_set_conversation (self->chat_view, conversation);
  update_context_limit (self);

  if (conversation != NULL && !gemlet_conversation_get_messages_loaded (conversation))
    gemlet_store_load_messages_async (self->store, conversation, self->cancellable,
                                      load_messages_cb, g_object_ref (self));
}

GemletConversation *
gemlet_window_get_conversation (GemletWindow *self)
{
  g_return_val_if_fail (GEMLET_IS_WINDOW (self), NULL);

  return self->conversation;
}

static void
conversation_selected_cb (GemletWindow       *self,
                          GemletConversation *conversation)
{
  gemlet_window_show_conversation (self, conversation);
}

static void
conversation_activated_cb (GemletWindow       *self,
                           GemletConversation *conversation)
{
  show_content (self);
  gemlet_chat_view_focus_composer (self->chat_view);
}

/* ------------------------------------------------------------- generation */

static char *
format_stats (const GemletGenerateStats *stats)
{
  if (stats->n_generated == 0)
    return NULL;

  /* Translators: decode speed, the delay before the first word, and how
   * many prompt tokens were computed (the rest came from the cache) */
  return g_strdup_printf (_("%.1f tokens/s · first token after %.2f s · "
                            "%u of %u prompt tokens read"),
                          stats->tokens_per_second, stats->time_to_first_token,
                          (guint) stats->n_prompt_evaluated, (guint) stats->n_prompt_tokens);
}

static void
stop_ticking (GemletWindow *self)
{
  if (self->tick_id != 0)
    {
      gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->tick_id);
      self->tick_id = 0;
    }
}

static gboolean
tick_cb (GtkWidget     *widget,
         GdkFrameClock *frame_clock,
         gpointer       user_data)
{
  GemletWindow *self = GEMLET_WINDOW (widget);
  gint64 now = gdk_frame_clock_get_frame_time (frame_clock);

  /* One drain per frame: all tokens since the last frame arrive as one
   * batch (::output), so the view is updated at most once per frame. */
  gemlet_engine_worker_drain (self->worker);

  if (self->gen_message != NULL && now - self->last_stats_update > G_USEC_PER_SEC / 4)
    {
      double tps = 0, ttft = 0;
      g_autofree char *text = NULL;

      self->last_stats_update = now;
      if (gemlet_engine_worker_get_live_stats (self->worker, &tps, &ttft))
        text = g_strdup_printf (_("%.1f tokens/s · first token after %.2f s"), tps, ttft);
      else
        text = g_strdup_printf (_("Reading the conversation… %.1f s"), ttft);
      gemlet_message_set_stats (self->gen_message, text);
    }

  return G_SOURCE_CONTINUE;
}

static void
worker_output_cb (GemletWindow       *self,
                  const char         *text,
                  GemletEngineWorker *worker)
{
  if (self->gen_message == NULL)
    return;

  gemlet_store_append_to_message (self->store, self->gen_conversation, self->gen_message, text, -1);
}

static void
worker_finished_cb (GemletWindow              *self,
                    const GemletGenerateStats *stats,
                    const GError              *error,
                    GemletEngineWorker        *worker)
{
  g_autofree char *stats_text = format_stats (stats);

  stop_ticking (self);

  if (self->gen_message != NULL)
    {
      gemlet_message_set_streaming (self->gen_message, FALSE);
      gemlet_message_set_stats (self->gen_message, stats_text);

      if (stats->n_turns_left_out > 0)
        {
          g_autofree char *notice = NULL;

          notice = g_strdup_printf (ngettext ("The earliest message no longer fits in the context "
                                              "and was left out. It is still saved here.",
                                              "The %u earliest messages no longer fit in the context "
                                              "and were left out. They are still saved here.",
                                              stats->n_turns_left_out),
                                    stats->n_turns_left_out);
          gemlet_message_set_notice (self->gen_message, notice);
        }
      if (stats->context_full)
        gemlet_window_show_toast (self, _("The reply filled the context and was cut short"));

      /* Nothing written: do not keep an empty reply. */
      if (gemlet_message_get_length (self->gen_message) == 0)
        gemlet_store_truncate_conversation (self->store, self->gen_conversation,
                                            gemlet_conversation_get_n_messages (self->gen_conversation) - 1);
    }

  g_clear_object (&self->gen_message);
  g_clear_object (&self->gen_conversation);
  gemlet_chat_view_set_generating (self->chat_view, FALSE);

  if (error != NULL)
    gemlet_window_show_toast (self, error->message);
}

static void
start_generation (GemletWindow       *self,
                  GemletConversation *conversation)
{
  g_autoptr(GError) error = NULL;
  g_autofree GemletChatTurn *turns = NULL;
  const GemletConversationSettings *settings = gemlet_conversation_get_settings (conversation);
  const char *system_prompt = gemlet_conversation_settings_get_system_prompt (settings);
  GemletMessage *message;
  gm_sampling sampling;
  guint n, n_turns = 0;

  /* The conversation's system prompt comes first, as a system turn that
   * the chat template renders (and the worker never leaves out). */
  n = gemlet_conversation_get_n_messages (conversation);
  turns = g_new0 (GemletChatTurn, n + 1);
  if (system_prompt != NULL)
    {
      turns[n_turns].role = GM_ROLE_SYSTEM;
      turns[n_turns++].content = system_prompt;
    }
  for (guint i = 0; i < n; i++)
    {
      GemletMessage *m = gemlet_conversation_get_message (conversation, i);

      switch (gemlet_message_get_role (m))
        {
        case GEMLET_ROLE_SYSTEM: turns[n_turns].role = GM_ROLE_SYSTEM; break;
        case GEMLET_ROLE_MODEL:  turns[n_turns].role = GM_ROLE_MODEL; break;
        case GEMLET_ROLE_USER:
        default:                 turns[n_turns].role = GM_ROLE_USER; break;
        }
      turns[n_turns++].content = gemlet_message_get_content (m);
    }

  gemlet_conversation_settings_fill_sampling (settings, self->settings, &sampling);

  if (!gemlet_engine_worker_generate (self->worker, gemlet_conversation_get_id (conversation),
                                      turns, n_turns, &sampling,
                                      gemlet_conversation_settings_get_context_length (settings, self->settings),
                                      g_settings_get_uint (self->settings, "max-reply-tokens"),
                                      &error))
    {
      gemlet_window_show_toast (self, error->message);
      return;
    }

  message = gemlet_store_add_message (self->store, conversation, GEMLET_ROLE_MODEL, "");
  gemlet_message_set_streaming (message, TRUE);

  g_set_object (&self->gen_conversation, conversation);
  g_set_object (&self->gen_message, message);
  self->last_stats_update = 0;
  gemlet_chat_view_set_generating (self->chat_view, TRUE);

  if (self->tick_id == 0)
    self->tick_id = gtk_widget_add_tick_callback (GTK_WIDGET (self), tick_cb, NULL, NULL);
}

void
gemlet_window_send (GemletWindow *self,
                    const char   *text)
{
  GemletConversation *conversation = self->conversation;

  g_return_if_fail (GEMLET_IS_WINDOW (self));

  if (!gemlet_store_is_open (self->store))
    {
      gemlet_window_show_toast (self, _("Conversations cannot be saved, so none can be started"));
      return;
    }

  if (conversation == NULL || !gemlet_conversation_get_messages_loaded (conversation))
    {
      conversation = gemlet_store_create_conversation (self->store, "");
      gemlet_window_show_conversation (self, conversation);
    }

  if (gemlet_conversation_get_n_messages (conversation) == 0)
    {
      g_autofree char *title = gemlet_title_from_text (text);

      gemlet_store_rename_conversation (self->store, conversation, title);
    }

  gemlet_store_add_message (self->store, conversation, GEMLET_ROLE_USER, text);
  start_generation (self, conversation);
}

static void
chat_send_cb (GemletWindow *self,
              const char   *text)
{
  gemlet_window_send (self, text);
}

static void
chat_stop_cb (GemletWindow *self)
{
  gemlet_engine_worker_stop (self->worker);
}

static gboolean
find_message (GemletConversation *conversation,
              GemletMessage      *message,
              guint              *position)
{
  return g_list_store_find (G_LIST_STORE (gemlet_conversation_get_messages (conversation)),
                            message, position);
}

static void
chat_regenerate_cb (GemletWindow  *self,
                    GemletMessage *message)
{
  GemletConversation *conversation = self->conversation;
  guint position;

  if (conversation == NULL || gemlet_engine_worker_get_state (self->worker) != GEMLET_ENGINE_STATE_READY)
    return;
  if (!find_message (conversation, message, &position))
    return;

  gemlet_store_truncate_conversation (self->store, conversation, position);
  start_generation (self, conversation);
}

static void
chat_edit_resend_cb (GemletWindow  *self,
                     GemletMessage *message,
                     const char    *text)
{
  GemletConversation *conversation = self->conversation;
  guint position;

  if (conversation == NULL || gemlet_engine_worker_get_state (self->worker) != GEMLET_ENGINE_STATE_READY)
    return;
  if (!find_message (conversation, message, &position))
    return;

  /* A title made from the first question follows its edit. */
  if (position == 0)
    {
      g_autofree char *old_title = gemlet_title_from_text (gemlet_message_get_content (message));

      if (g_strcmp0 (old_title, gemlet_conversation_get_title (conversation)) == 0)
        {
          g_autofree char *new_title = gemlet_title_from_text (text);

          gemlet_store_rename_conversation (self->store, conversation, new_title);
        }
    }

  gemlet_store_truncate_conversation (self->store, conversation, position);
  gemlet_store_add_message (self->store, conversation, GEMLET_ROLE_USER, text);
  start_generation (self, conversation);
}

/* ----------------------------------------------------------------- engine */

/* One message may take the context the user chose, less room for the
 * chat template and the start of a reply (the worker enforces the same). */
#define GEMLET_MESSAGE_RESERVE 80

static void
update_context_limit (GemletWindow *self)
{
  const GemletConversationSettings *settings =
    self->conversation ? gemlet_conversation_get_settings (self->conversation) : NULL;
  guint n_ctx = gemlet_engine_worker_resolve_n_ctx (self->worker,
                                                    gemlet_conversation_settings_get_context_length (settings,
                                                                                                     self->settings));

  /* no model yet: the automatic context is not known */
  if (n_ctx == 0)
    n_ctx = 8192;

  gemlet_chat_view_set_context_limit (self->chat_view, self->worker,
                                      n_ctx > GEMLET_MESSAGE_RESERVE ? n_ctx - GEMLET_MESSAGE_RESERVE : 1,
                                      n_ctx);
}

static void
update_engine_state (GemletWindow *self)
{
  GemletEngineState state = gemlet_engine_worker_get_state (self->worker);
  g_autofree char *title = gemlet_engine_worker_dup_model_title (self->worker);

  if (title == NULL && state == GEMLET_ENGINE_STATE_LOADING)
    {
      const char *path = gemlet_engine_worker_get_model_path (self->worker);

      title = path ? g_path_get_basename (path) : NULL;
    }

  gemlet_chat_view_set_engine_state (self->chat_view, state, title);
  update_context_limit (self);
}

static void
load_progress_cb (GemletWindow *self)
{
  gemlet_chat_view_set_load_progress (self->chat_view,
                                      gemlet_engine_worker_get_load_progress (self->worker));
}

static void
load_model_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GemletWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  g_clear_object (&self->load_cancellable);

  if (!gemlet_engine_worker_load_finish (GEMLET_ENGINE_WORKER (object), result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_error_dialog (self, _("Could Not Load the Model"), error->message);
      return;
    }

  gemlet_chat_view_focus_composer (self->chat_view);
}

static void
start_load (GemletWindow *self,
            const char   *path)
{
  GemletLoadSettings settings = { 0 };
  GemletEngineState state;

  state = gemlet_engine_worker_get_state (self->worker);
  if (state == GEMLET_ENGINE_STATE_LOADING || state == GEMLET_ENGINE_STATE_GENERATING)
    {
      gemlet_window_show_toast (self, _("Wait for the model to finish first"));
      return;
    }

  settings.text_only = g_settings_get_boolean (self->settings, "text-only");
  settings.n_threads = g_settings_get_uint (self->settings, "threads");
  settings.n_ctx = g_settings_get_uint (self->settings, "context-length");

  g_settings_set_string (self->settings, "selected-model", path);

  g_clear_object (&self->load_cancellable);
  self->load_cancellable = g_cancellable_new ();
  gemlet_engine_worker_load_async (self->worker, path, &settings, self->load_cancellable,
                                   load_model_cb, g_object_ref (self));
}

typedef struct
{
  GemletWindow *self;
  char         *path;
} LoadRequest;

static void
load_request_free (LoadRequest *request)
{
  g_object_unref (request->self);
  g_free (request->path);
  g_free (request);
}

/* The dialog is an AdwAlertDialog or an AdwMessageDialog. */
static void
memory_response_cb (GObject     *dialog,
                    const char  *response,
                    LoadRequest *request)
{
  if (g_strcmp0 (response, "load") == 0)
    start_load (request->self, request->path);
}

static void
warn_memory (GemletWindow            *self,
             const char              *path,
             const GemletMemoryCheck *check)
{
  g_autofree char *needed = g_format_size (check->needed);
  g_autofree char *available = g_format_size (check->available);
  g_autofree char *body = NULL;
  LoadRequest *request = g_new0 (LoadRequest, 1);

  request->self = g_object_ref (self);
  request->path = g_strdup (path);
  body = g_strdup_printf (ngettext ("This model needs about %s of memory with %u token of context, "
                                    "and only %s is available now. Loading it anyway can make this "
                                    "computer very slow until the model is closed. Closing other "
                                    "programs or choosing a shorter context in Preferences helps.",
                                    "This model needs about %s of memory with %u tokens of context, "
                                    "and only %s is available now. Loading it anyway can make this "
                                    "computer very slow until the model is closed. Closing other "
                                    "programs or choosing a shorter context in Preferences helps.",
                                    check->n_ctx),
                          needed, check->n_ctx, available);

#if ADW_CHECK_VERSION (1, 5, 0)
  {
    AdwDialog *dialog = adw_alert_dialog_new (_("Not Enough Memory"), body);

    adw_alert_dialog_add_responses (ADW_ALERT_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "load", _("_Load Anyway"),
                                    NULL);
    adw_alert_dialog_set_response_appearance (ADW_ALERT_DIALOG (dialog), "load", ADW_RESPONSE_DESTRUCTIVE);
    adw_alert_dialog_set_default_response (ADW_ALERT_DIALOG (dialog), "cancel");
    adw_alert_dialog_set_close_response (ADW_ALERT_DIALOG (dialog), "cancel");
    g_signal_connect_data (dialog, "response", G_CALLBACK (memory_response_cb),
                           request, (GClosureNotify) (void (*) (void)) load_request_free, 0);
    adw_dialog_present (dialog, GTK_WIDGET (self));
  }
#else
  {
    GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Not Enough Memory"), body);

    adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                      "cancel", _("_Cancel"),
                                      "load", _("_Load Anyway"),
                                      NULL);
    adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "load", ADW_RESPONSE_DESTRUCTIVE);
    adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
    adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
    g_signal_connect_data (dialog, "response", G_CALLBACK (memory_response_cb),
                           request, (GClosureNotify) (void (*) (void)) load_request_free, 0);
    gtk_window_present (GTK_WINDOW (dialog));
  }
#endif
}

static void
check_memory_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  LoadRequest *request = user_data;
  g_autoptr(GError) error = NULL;
  GemletMemoryCheck check = { 0 };

  /* A file that cannot be estimated goes on to the load, which says why. */
  if (!gemlet_engine_worker_check_memory_finish (GEMLET_ENGINE_WORKER (object), result, &check, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        start_load (request->self, request->path);
    }
  else if (!check.fits)
    warn_memory (request->self, request->path, &check);
  else
    start_load (request->self, request->path);

  load_request_free (request);
}

/* Loads a model after comparing what it needs (for the context it will
 * get) with the memory available; if it does not fit, the user decides. */
void
gemlet_window_load_model (GemletWindow *self,
                          const char   *path)
{
  GemletEngineState state;
  LoadRequest *request;

  g_return_if_fail (GEMLET_IS_WINDOW (self));
  g_return_if_fail (path != NULL);

  state = gemlet_engine_worker_get_state (self->worker);
  if (state == GEMLET_ENGINE_STATE_LOADING || state == GEMLET_ENGINE_STATE_GENERATING)
    {
      gemlet_window_show_toast (self, _("Wait for the model to finish first"));
      return;
    }

  request = g_new0 (LoadRequest, 1);
  request->self = g_object_ref (self);
  request->path = g_strdup (path);
  gemlet_engine_worker_check_memory_async (self->worker, path,
                                           g_settings_get_uint (self->settings, "context-length"),
                                           self->cancellable, check_memory_cb, request);
}

/* ----------------------------------------------------------------- import */

static void
import_dialog_imported_cb (GemletWindow *self,
                           const char   *path)
{
  g_autofree char *name = g_path_get_basename (path);

  if (gemlet_import_is_projector_name (name))
    {
      gemlet_window_show_toast (self, _("Projector added: it is loaded with the model when Text Only is off"));
      return;
    }
  gemlet_window_load_model (self, path);
}

static void
inspect_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GemletWindow) self = user_data;
  g_autoptr(GemletImportInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  GtkWidget *dialog;

  info = gemlet_import_inspect_finish (result, &error);
  if (info == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_error_dialog (self, _("Could Not Read the File"), error->message);
      return;
    }

  dialog = gemlet_import_dialog_new (GTK_WINDOW (self), info);
  g_signal_connect_object (dialog, "imported", G_CALLBACK (import_dialog_imported_cb),
                           self, G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

void
gemlet_window_import_file (GemletWindow *self,
                           GFile        *file)
{
  g_return_if_fail (GEMLET_IS_WINDOW (self));
  g_return_if_fail (G_IS_FILE (file));

  gemlet_import_inspect_async (file, g_settings_get_uint (self->settings, "context-length"),
                               self->cancellable, inspect_cb, g_object_ref (self));
}

static gboolean
drop_cb (GemletWindow  *self,
         const GValue  *value,
         double         x,
         double         y,
         GtkDropTarget *target)
{
  GSList *files;

  if (!G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST))
    return FALSE;

  files = gdk_file_list_get_files (g_value_get_boxed (value));
  if (files == NULL)
    return FALSE;

  if (files->next != NULL)
    gemlet_window_show_toast (self, _("Drop one model at a time: a file, or a checkpoint folder"));

  gemlet_window_import_file (self, files->data);
  g_slist_free (files);

  return TRUE;
}

static GdkDragAction
drop_enter_cb (GemletWindow  *self,
               double         x,
               double         y,
               GtkDropTarget *target)
{
  gtk_widget_add_css_class (GTK_WIDGET (self), "drop-highlight");

  return GDK_ACTION_COPY;
}

static void
drop_leave_cb (GemletWindow  *self,
               GtkDropTarget *target)
{
  gtk_widget_remove_css_class (GTK_WIDGET (self), "drop-highlight");
}

/* ---------------------------------------------------------------- actions */

static void
new_conversation_action (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *parameter)
{
  GemletWindow *self = GEMLET_WINDOW (widget);
  GemletConversation *conversation;

  if (!gemlet_store_is_open (self->store))
    return;

  /* Reuse an untouched conversation rather than piling up empty ones. */
  if (self->conversation != NULL &&
      gemlet_conversation_get_messages_loaded (self->conversation) &&
      gemlet_conversation_get_n_messages (self->conversation) == 0)
    conversation = self->conversation;
  else
    conversation = gemlet_store_create_conversation (self->store, "");

  gemlet_window_show_conversation (self, conversation);
  show_content (self);
  gemlet_chat_view_focus_composer (self->chat_view);
}

static GemletConversation *
conversation_for_parameter (GemletWindow *self,
                            GVariant     *parameter)
{
  gint64 id = parameter ? g_variant_get_int64 (parameter) : 0;

  if (id == 0)
    return self->conversation;

  return gemlet_store_find_conversation (self->store, id);
}

typedef struct
{
  GemletWindow       *self;
  GemletConversation *conversation;
  GtkEditable        *entry;
} RenameData;

static void
rename_data_free (gpointer  user_data,
                  GClosure *closure)
{
  RenameData *data = user_data;

  g_object_unref (data->self);
  g_object_unref (data->conversation);
  g_free (data);
}

/* The dialog is an AdwAlertDialog or an AdwMessageDialog. */
static void
rename_response_cb (GObject    *dialog,
                    const char *response,
                    RenameData *data)
{
  g_autofree char *title = NULL;

  if (g_strcmp0 (response, "rename") != 0)
    return;

  title = g_strstrip (g_strdup (gtk_editable_get_text (data->entry)));
  if (*title != '\0')
    gemlet_store_rename_conversation (data->self->store, data->conversation, title);
}

static void
rename_conversation_action (GtkWidget  *widget,
                            const char *action_name,
                            GVariant   *parameter)
{
  GemletWindow *self = GEMLET_WINDOW (widget);
  GemletConversation *conversation = conversation_for_parameter (self, parameter);
  RenameData *data;
  GtkWidget *entry;

  if (conversation == NULL)
    return;

  entry = gtk_entry_new ();
  gtk_editable_set_text (GTK_EDITABLE (entry), gemlet_conversation_get_title (conversation));
  gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Title"),
                                  -1);

  data = g_new0 (RenameData, 1);
  data->self = g_object_ref (self);
  data->conversation = g_object_ref (conversation);
  data->entry = GTK_EDITABLE (entry);

#if ADW_CHECK_VERSION (1, 5, 0)
  {
    AdwDialog *dialog = adw_alert_dialog_new (_("Rename Conversation"), NULL);

    adw_alert_dialog_add_responses (ADW_ALERT_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "rename", _("_Rename"),
                                    NULL);
    adw_alert_dialog_set_response_appearance (ADW_ALERT_DIALOG (dialog), "rename",
                                              ADW_RESPONSE_SUGGESTED);
    adw_alert_dialog_set_default_response (ADW_ALERT_DIALOG (dialog), "rename");
    adw_alert_dialog_set_close_response (ADW_ALERT_DIALOG (dialog), "cancel");
    adw_alert_dialog_set_extra_child (ADW_ALERT_DIALOG (dialog), entry);
    g_signal_connect_data (dialog, "response", G_CALLBACK (rename_response_cb),
                           data, rename_data_free, 0);
    adw_dialog_present (dialog, GTK_WIDGET (self));
  }
#else
  {
    GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Rename Conversation"), NULL);

    adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                      "cancel", _("_Cancel"),
                                      "rename", _("_Rename"),
                                      NULL);
    adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "rename",
                                                ADW_RESPONSE_SUGGESTED);
    adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "rename");
    adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
    adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), entry);
    g_signal_connect_data (dialog, "response", G_CALLBACK (rename_response_cb),
                           data, rename_data_free, 0);
    gtk_window_present (GTK_WINDOW (dialog));
  }
#endif

  gtk_widget_grab_focus (entry);
}

static void
undo_delete_cb (AdwToast           *toast,
                GemletConversation *conversation)
{
  GemletWindow *self = g_object_get_data (G_OBJECT (toast), "window");

  gemlet_store_undelete_conversation (self->store, conversation);
  gemlet_window_show_conversation (self, conversation);
}

static void
toast_dismissed_cb (AdwToast *toast,
                    gpointer  user_data)
{
  GemletWindow *self = g_object_get_data (G_OBJECT (toast), "window");

  if (self != NULL)
    gemlet_store_purge_deleted (self->store);
}

static void
delete_conversation_action (GtkWidget  *widget,
                            const char *action_name,
                            GVariant   *parameter)
{
  GemletWindow *self = GEMLET_WINDOW (widget);
  GemletConversation *conversation = conversation_for_parameter (self, parameter);
  g_autoptr(GemletConversation) hold = NULL;
  g_autofree char *title = NULL;
  AdwToast *toast;

  if (conversation == NULL)
    return;

  if (conversation == self->gen_conversation)
    {
      gemlet_window_show_toast (self, _("Stop the reply before deleting this conversation"));
      return;
    }

  hold = g_object_ref (conversation);
  gemlet_store_delete_conversation (self->store, conversation);

  if (conversation == self->conversation)
    {
      GListModel *list = gemlet_store_get_conversations (self->store);
      g_autoptr(GemletConversation) first = g_list_model_get_item (list, 0);

      gemlet_window_show_conversation (self, first);
    }

  title = g_strdup_printf (_("“%s” deleted"),
                           *gemlet_conversation_get_title (conversation)
                             ? gemlet_conversation_get_title (conversation)
                             : _("New Conversation"));
  toast = adw_toast_new (title);
  adw_toast_set_button_label (toast, _("_Undo"));
  adw_toast_set_priority (toast, ADW_TOAST_PRIORITY_HIGH);
  g_object_set_data (G_OBJECT (toast), "window", self);
  g_signal_connect_data (toast, "button-clicked", G_CALLBACK (undo_delete_cb),
                         g_object_ref (conversation), (GClosureNotify)(void (*) (void))g_object_unref, 0);
  g_signal_connect (toast, "dismissed", G_CALLBACK (toast_dismissed_cb), NULL);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

static void
search_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  GemletWindow *self = GEMLET_WINDOW (widget);

  show_sidebar (self);
  gemlet_sidebar_start_search (self->sidebar);
}

static void
show_sidebar_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  show_sidebar (GEMLET_WINDOW (widget));
}

static void
picker_model_chosen_cb (GemletWindow *self,
                        const char   *path)
{
  gemlet_window_load_model (self, path);
}

static void
choose_model_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  GemletWindow *self = GEMLET_WINDOW (widget);
  GtkWidget *picker;

  picker = gemlet_model_picker_new (GTK_WINDOW (self), self->settings,
                                    gemlet_engine_worker_get_model_path (self->worker));
  g_signal_connect_object (picker, "model-chosen", G_CALLBACK (picker_model_chosen_cb),
                           self, G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (picker));
}

#if GTK_CHECK_VERSION (4, 10, 0)
static void
import_open_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GemletWindow) self = user_data;
  g_autoptr(GFile) file = NULL;
  g_autoptr(GError) error = NULL;

  file = gtk_file_dialog_open_finish (GTK_FILE_DIALOG (object), result, &error);
  if (file != NULL)
    gemlet_window_import_file (self, file);
}

static void
import_folder_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GemletWindow) self = user_data;
  g_autoptr(GFile) file = NULL;

  file = gtk_file_dialog_select_folder_finish (GTK_FILE_DIALOG (object), result, NULL);
  if (file != NULL)
    gemlet_window_import_file (self, file);
}
#else
static void
import_chooser_response_cb (GtkNativeDialog *chooser,
                            int              response,
                            GemletWindow    *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));

      if (file != NULL)
        gemlet_window_import_file (self, file);
    }

  gtk_native_dialog_destroy (chooser);
  g_object_unref (chooser);
}
#endif

/* A GGUF file, or a file of a mobile checkpoint folder (which stands for
 * the folder); win.import-model-folder picks the folder itself. */
static void
import_model_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  GemletWindow *self = GEMLET_WINDOW (widget);
  gboolean folder = g_str_equal (action_name, "win.import-model-folder");
  const char *title = folder ? _("Import Model Folder") : _("Import Model File");
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();

  gtk_file_filter_set_name (filter, _("Gemma Models (GGUF, mobile checkpoint)"));
  gtk_file_filter_add_pattern (filter, "*.gguf");
  gtk_file_filter_add_pattern (filter, "*.safetensors");
  gtk_file_filter_add_pattern (filter, "config.json");

#if GTK_CHECK_VERSION (4, 10, 0)
  {
    g_autoptr(GtkFileDialog) dialog = gtk_file_dialog_new ();
    g_autoptr(GListStore) filters = g_list_store_new (GTK_TYPE_FILE_FILTER);

    gtk_file_dialog_set_title (dialog, title);
    gtk_file_dialog_set_accept_label (dialog, _("_Import"));
    if (folder)
      gtk_file_dialog_select_folder (dialog, GTK_WINDOW (self), self->cancellable,
                                     import_folder_cb, g_object_ref (self));
    else
      {
        g_list_store_append (filters, filter);
        gtk_file_dialog_set_filters (dialog, G_LIST_MODEL (filters));
        gtk_file_dialog_open (dialog, GTK_WINDOW (self), self->cancellable,
                              import_open_cb, g_object_ref (self));
      }
  }
#else
  {
    GtkFileChooserNative *chooser;

    chooser = gtk_file_chooser_native_new (title, GTK_WINDOW (self),
                                           folder ? GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER
                                                  : GTK_FILE_CHOOSER_ACTION_OPEN,
                                           _("_Import"), _("_Cancel"));
    if (!folder)
      gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), filter);
    gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
    g_signal_connect (chooser, "response", G_CALLBACK (import_chooser_response_cb), self);
    gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
  }
#endif
}

/* ------------------------------------------------- export, import, settings */

typedef struct
{
  GemletWindow               *self;
  GemletConversation         *conversation;
  GemletConversationFileType  type;
  GFile                      *file;
} ExportData;

static void
export_data_free (ExportData *data)
{
  g_object_unref (data->self);
  g_object_unref (data->conversation);
  g_clear_object (&data->file);
  g_free (data);
}

static void
export_written_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  ExportData *data = user_data;
  g_autoptr(GError) error = NULL;

  if (!gemlet_conversation_doc_write_finish (result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_error_dialog (data->self, _("Could Not Export the Conversation"), error->message);
    }
  else
    {
      g_autofree char *name = g_file_get_basename (data->file);
      g_autofree char *text = g_strdup_printf (_("Exported to “%s”"), name);

      gemlet_window_show_toast (data->self, text);
    }

  export_data_free (data);
}

/* The snapshot is taken now, on the main thread; serialising and writing
 * happen on a worker thread. */
static void
export_write (ExportData *data)
{
  GemletConversationDoc *doc = gemlet_conversation_doc_new_from_conversation (data->conversation);

  gemlet_conversation_doc_write_async (doc, data->type, data->file, data->self->cancellable,
                                       export_written_cb, data);
}

#if GTK_CHECK_VERSION (4, 10, 0)
static void
export_save_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  ExportData *data = user_data;

  data->file = gtk_file_dialog_save_finish (GTK_FILE_DIALOG (object), result, NULL);
  if (data->file == NULL)
    {
      export_data_free (data);
      return;
    }
  export_write (data);
}
#else
static void
export_chooser_response_cb (GtkNativeDialog *chooser,
                            int              response,
                            ExportData      *data)
{
  if (response == GTK_RESPONSE_ACCEPT)
    data->file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));

  gtk_native_dialog_destroy (chooser);
  g_object_unref (chooser);

  if (data->file == NULL)
    {
      export_data_free (data);
      return;
    }
  export_write (data);
}
#endif

static void
export_choose_file (ExportData *data)
{
  GemletWindow *self = data->self;
  g_autoptr(GemletConversationDoc) doc = gemlet_conversation_doc_new ();
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();
  g_autofree char *name = NULL;
  const char *title;

  if (data->file != NULL)
    {
      export_write (data);
      return;
    }

  g_free (doc->title);
  doc->title = g_strdup (gemlet_conversation_get_title (data->conversation));
  name = gemlet_conversation_doc_suggest_file_name (doc, data->type);
  if (data->type == GEMLET_CONVERSATION_FILE_JSON)
    {
      title = _("Export Conversation as JSON");
      gtk_file_filter_set_name (filter, _("JSON Files"));
      gtk_file_filter_add_pattern (filter, "*.json");
    }
  else
    {
      title = _("Export Conversation as Markdown");
      gtk_file_filter_set_name (filter, _("Markdown Files"));
      gtk_file_filter_add_pattern (filter, "*.md");
    }

#if GTK_CHECK_VERSION (4, 10, 0)
  {
    g_autoptr(GtkFileDialog) dialog = gtk_file_dialog_new ();
    g_autoptr(GListStore) filters = g_list_store_new (GTK_TYPE_FILE_FILTER);

    g_list_store_append (filters, filter);
    gtk_file_dialog_set_title (dialog, title);
    gtk_file_dialog_set_accept_label (dialog, _("_Export"));
    gtk_file_dialog_set_initial_name (dialog, name);
    gtk_file_dialog_set_filters (dialog, G_LIST_MODEL (filters));
    gtk_file_dialog_save (dialog, GTK_WINDOW (self), self->cancellable, export_save_cb, data);
  }
#else
  {
    GtkFileChooserNative *chooser;

    chooser = gtk_file_chooser_native_new (title, GTK_WINDOW (self), GTK_FILE_CHOOSER_ACTION_SAVE,
                                           _("_Export"), _("_Cancel"));
    gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), filter);
    gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), name);
    gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
    g_signal_connect (chooser, "response", G_CALLBACK (export_chooser_response_cb), data);
    gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
  }
#endif
}

static void
export_loaded_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  ExportData *data = user_data;
  g_autoptr(GError) error = NULL;

  if (!gemlet_store_load_messages_finish (GEMLET_STORE (object), result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_error_dialog (data->self, _("Could Not Export the Conversation"), error->message);
      export_data_free (data);
      return;
    }

  export_choose_file (data);
}

/**
 * gemlet_window_export_conversation:
 * @file: (nullable): where to write; NULL asks with a file chooser
 *
 * Writes a conversation as Markdown or JSON, without blocking the window;
 * the outcome is a toast, or a dialog saying why it failed.
 */
void
gemlet_window_export_conversation (GemletWindow               *self,
                                   GemletConversation         *conversation,
                                   GemletConversationFileType  type,
                                   GFile                      *file)
{
  ExportData *data;

  g_return_if_fail (GEMLET_IS_WINDOW (self));
  g_return_if_fail (GEMLET_IS_CONVERSATION (conversation));

  data = g_new0 (ExportData, 1);
  data->self = g_object_ref (self);
  data->conversation = g_object_ref (conversation);
  data->type = type;
  data->file = file ? g_object_ref (file) : NULL;

  if (!gemlet_conversation_get_messages_loaded (conversation))
    gemlet_store_load_messages_async (self->store, conversation, self->cancellable, export_loaded_cb, data);
  else
    export_choose_file (data);
}

static void
export_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  GemletWindow *self = GEMLET_WINDOW (widget);
  GemletConversation *conversation = conversation_for_parameter (self, parameter);

  if (conversation == NULL)
    {
      gemlet_window_show_toast (self, _("There is no conversation to export"));
      return;
    }

  gemlet_window_export_conversation (self, conversation,
                                     g_str_equal (action_name, "win.export-json")
                                       ? GEMLET_CONVERSATION_FILE_JSON : GEMLET_CONVERSATION_FILE_MARKDOWN,
                                     NULL);
}

static void
import_read_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GemletWindow) self = user_data;
  g_autoptr(GemletConversationDoc) doc = NULL;
  g_autoptr(GError) error = NULL;
  GemletConversation *conversation;
  g_autofree char *text = NULL;

  doc = gemlet_conversation_doc_read_finish (result, &error);
  if (doc == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_error_dialog (self, _("Could Not Import the Conversation"), error->message);
      return;
    }

  if (!gemlet_store_is_open (self->store))
    {
      show_error_dialog (self, _("Could Not Import the Conversation"),
                         _("Conversations cannot be saved, so none can be imported."));
      return;
    }

  conversation = gemlet_store_import_conversation (self->store, doc->title, doc->created,
                                                   &doc->settings, doc->messages);
  gemlet_window_show_conversation (self, conversation);
  show_content (self);
  text = g_strdup_printf (_("Imported “%s”"), *doc->title ? doc->title : _("New Conversation"));
  gemlet_window_show_toast (self, text);
}

#if GTK_CHECK_VERSION (4, 10, 0)
static void
import_conversation_open_cb (GObject      *object,
                             GAsyncResult *result,
                             gpointer      user_data)
{
  g_autoptr(GemletWindow) self = user_data;
  g_autoptr(GFile) file = gtk_file_dialog_open_finish (GTK_FILE_DIALOG (object), result, NULL);

  if (file != NULL)
    gemlet_window_import_conversation (self, file);
}
#else
static void
import_conversation_response_cb (GtkNativeDialog *chooser,
                                 int              response,
                                 GemletWindow    *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));

      if (file != NULL)
        gemlet_window_import_conversation (self, file);
    }

  gtk_native_dialog_destroy (chooser);
  g_object_unref (chooser);
}
#endif

/**
 * gemlet_window_import_conversation:
 * @file: (nullable): a conversation exported as JSON; NULL asks with a file
 *   chooser
 *
 * Reads the file on a worker thread and adds the conversation to the list;
 * a file that is not one gets a dialog saying what is wrong with it.
 */
void
gemlet_window_import_conversation (GemletWindow *self,
                                   GFile        *file)
{
  g_return_if_fail (GEMLET_IS_WINDOW (self));

  if (file != NULL)
    {
      gemlet_conversation_doc_read_async (file, self->cancellable, import_read_cb, g_object_ref (self));
      return;
    }

  {
    g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();

    gtk_file_filter_set_name (filter, _("Conversations Exported as JSON"));
    gtk_file_filter_add_pattern (filter, "*.json");
#if GTK_CHECK_VERSION (4, 10, 0)
    {
      g_autoptr(GtkFileDialog) dialog = gtk_file_dialog_new ();
      g_autoptr(GListStore) filters = g_list_store_new (GTK_TYPE_FILE_FILTER);

      g_list_store_append (filters, filter);
      gtk_file_dialog_set_title (dialog, _("Import Conversation"));
      gtk_file_dialog_set_accept_label (dialog, _("_Import"));
      gtk_file_dialog_set_filters (dialog, G_LIST_MODEL (filters));
      gtk_file_dialog_open (dialog, GTK_WINDOW (self), self->cancellable,
                            import_conversation_open_cb, g_object_ref (self));
    }
#else
    {
      GtkFileChooserNative *chooser;

      chooser = gtk_file_chooser_native_new (_("Import Conversation"), GTK_WINDOW (self),
                                             GTK_FILE_CHOOSER_ACTION_OPEN, _("_Import"), _("_Cancel"));
      gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), filter);
      gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
      g_signal_connect (chooser, "response", G_CALLBACK (import_conversation_response_cb), self);
      gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
    }
#endif
  }
}

static void
import_conversation_action (GtkWidget  *widget,
                            const char *action_name,
                            GVariant   *parameter)
{
  gemlet_window_import_conversation (GEMLET_WINDOW (widget), NULL);
}

static void
conversation_settings_action (GtkWidget  *widget,
                              const char *action_name,
                              GVariant   *parameter)
{
  GemletWindow *self = GEMLET_WINDOW (widget);
  GemletConversation *conversation = conversation_for_parameter (self, parameter);
  GtkWidget *dialog;

  if (conversation == NULL && gemlet_store_is_open (self->store))
    {
      /* Settings before the first message: for a new conversation. */
      conversation = gemlet_store_create_conversation (self->store, "");
      gemlet_window_show_conversation (self, conversation);
    }
  if (conversation == NULL)
    return;

  dialog = gemlet_conversation_settings_dialog_new (GTK_WINDOW (self), self->store, conversation,
                                                    self->settings);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
cancel_load_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  GemletWindow *self = GEMLET_WINDOW (widget);

  g_cancellable_cancel (self->load_cancellable);
}

static void
show_toast_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  gemlet_window_show_toast (GEMLET_WINDOW (widget), g_variant_get_string (parameter, NULL));
}

static void
show_memory_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  GemletWindow *self = GEMLET_WINDOW (widget);

  show_content (self);
  gtk_popover_popup (GTK_POPOVER (self->memory_panel));
}

/* ----------------------------------------------------------------- object */

static void
store_opened_cb (GemletWindow *self)
{
  const GError *error = gemlet_application_get_store_error (self->application);
  GListModel *list;
  g_autoptr(GemletConversation) first = NULL;

  if (error != NULL)
    {
      show_error_dialog (self, _("Conversations Unavailable"), error->message);
      return;
    }

  list = gemlet_store_get_conversations (self->store);
  first = g_list_model_get_item (list, 0);
  if (self->conversation == NULL && first != NULL)
    gemlet_window_show_conversation (self, first);

  /* On a narrow window, start on the chat when there is nothing to pick
   * from yet, or no model: that page says what to do next. */
  if (first == NULL || gemlet_engine_worker_get_state (self->worker) == GEMLET_ENGINE_STATE_EMPTY)
    show_content (self);
}

static void
save_window_state (GemletWindow *self)
{
  int width, height;

  gtk_window_get_default_size (GTK_WINDOW (self), &width, &height);
  g_settings_set_boolean (self->settings, "window-maximized", gtk_window_is_maximized (GTK_WINDOW (self)));
  if (!gtk_window_is_maximized (GTK_WINDOW (self)))
    {
      g_settings_set_int (self->settings, "window-width", MAX (width, 360));
      g_settings_set_int (self->settings, "window-height", MAX (height, 294));
    }
}

static gboolean
gemlet_window_close_request (GtkWindow *window)
{
  GemletWindow *self = GEMLET_WINDOW (window);

  save_window_state (self);
  g_cancellable_cancel (self->cancellable);
  gemlet_engine_worker_stop (self->worker);

  return GTK_WINDOW_CLASS (gemlet_window_parent_class)->close_request (window);
}

/* After construction: "application" is not a construct property. */
static void
gemlet_window_setup (GemletWindow      *self,
                     GemletApplication *application)
{
  self->application = application;
  self->store = g_object_ref (gemlet_application_get_store (self->application));
  self->worker = g_object_ref (gemlet_application_get_worker (self->application));
  self->settings = g_object_ref (gemlet_application_get_settings (self->application));

  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));

  gemlet_sidebar_set_store (self->sidebar, self->store);

  g_signal_connect_object (self->worker, "notify::state", G_CALLBACK (update_engine_state),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->worker, "notify::model-path", G_CALLBACK (update_engine_state),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->worker, "notify::load-progress", G_CALLBACK (load_progress_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->worker, "output", G_CALLBACK (worker_output_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->worker, "finished", G_CALLBACK (worker_finished_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->settings, "changed::context-length",
                           G_CALLBACK (update_context_limit), self, G_CONNECT_SWAPPED);
  update_engine_state (self);

  self->memory_panel = gemlet_memory_panel_new (self->worker);
  gemlet_chat_view_set_memory_popover (self->chat_view, self->memory_panel);

  g_signal_connect_object (self->application, "store-opened", G_CALLBACK (store_opened_cb),
                           self, G_CONNECT_SWAPPED);
  if (gemlet_application_get_store_ready (self->application))
    store_opened_cb (self);

#if !ADW_CHECK_VERSION (1, 4, 0)
  g_signal_connect_swapped (self->leaflet, "notify::folded", G_CALLBACK (folded_changed_cb), self);
  folded_changed_cb (self);
#endif
}

static void
gemlet_window_dispose (GObject *object)
{
  GemletWindow *self = (GemletWindow *)object;

  stop_ticking (self);
  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), GEMLET_TYPE_WINDOW);

  G_OBJECT_CLASS (gemlet_window_parent_class)->dispose (object);
}

static void
gemlet_window_finalize (GObject *object)
{
  GemletWindow *self = (GemletWindow *)object;

  g_clear_object (&self->conversation);
  g_clear_object (&self->gen_conversation);
  g_clear_object (&self->gen_message);
  g_clear_object (&self->load_cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->store);
  g_clear_object (&self->worker);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (gemlet_window_parent_class)->finalize (object);
}

static void
gemlet_window_class_init (GemletWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = gemlet_window_dispose;
  object_class->finalize = gemlet_window_finalize;
  window_class->close_request = gemlet_window_close_request;

  g_type_ensure (GEMLET_TYPE_SIDEBAR);
  g_type_ensure (GEMLET_TYPE_CHAT_VIEW);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/gemlet/Gemlet/gemlet-window.ui");
  gtk_widget_class_bind_template_child (widget_class, GemletWindow, toast_overlay);
#if ADW_CHECK_VERSION (1, 4, 0)
  gtk_widget_class_bind_template_child (widget_class, GemletWindow, split_view);
#else
  gtk_widget_class_bind_template_child (widget_class, GemletWindow, leaflet);
#endif
  gtk_widget_class_bind_template_child (widget_class, GemletWindow, sidebar);
  gtk_widget_class_bind_template_child (widget_class, GemletWindow, chat_view);

  gtk_widget_class_install_action (widget_class, "win.new-conversation", NULL, new_conversation_action);
  gtk_widget_class_install_action (widget_class, "win.rename-conversation", "x", rename_conversation_action);
  gtk_widget_class_install_action (widget_class, "win.delete-conversation", "x", delete_conversation_action);
  gtk_widget_class_install_action (widget_class, "win.search", NULL, search_action);
  gtk_widget_class_install_action (widget_class, "win.show-sidebar", NULL, show_sidebar_action);
  gtk_widget_class_install_action (widget_class, "win.choose-model", NULL, choose_model_action);
  gtk_widget_class_install_action (widget_class, "win.import-model", NULL, import_model_action);
  gtk_widget_class_install_action (widget_class, "win.import-model-folder", NULL, import_model_action);
  gtk_widget_class_install_action (widget_class, "win.cancel-load", NULL, cancel_load_action);
  gtk_widget_class_install_action (widget_class, "win.show-toast", "s", show_toast_action);
  gtk_widget_class_install_action (widget_class, "win.show-memory", NULL, show_memory_action);
  gtk_widget_class_install_action (widget_class, "win.export-markdown", "x", export_action);
  gtk_widget_class_install_action (widget_class, "win.export-json", "x", export_action);
  gtk_widget_class_install_action (widget_class, "win.import-conversation", NULL, import_conversation_action);
  gtk_widget_class_install_action (widget_class, "win.conversation-settings", "x", conversation_settings_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_n, GDK_CONTROL_MASK, "win.new-conversation", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, GDK_CONTROL_MASK, "win.search", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_m, GDK_CONTROL_MASK, "win.show-memory", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_o, GDK_CONTROL_MASK, "win.import-model", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_O, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "win.import-conversation", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_e, GDK_CONTROL_MASK, "win.export-markdown", "x", (gint64)0);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_E, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "win.export-json", "x", (gint64)0);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_comma, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "win.conversation-settings", "x", (gint64)0);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F2, 0, "win.rename-conversation", "x", (gint64)0);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Delete, GDK_CONTROL_MASK, "win.delete-conversation", "x", (gint64)0);
}

static void
gemlet_window_init (GemletWindow *self)
{
  GtkDropTarget *target;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();

  g_signal_connect_swapped (self->sidebar, "conversation-selected",
                            G_CALLBACK (conversation_selected_cb), self);
  g_signal_connect_swapped (self->sidebar, "conversation-activated",
                            G_CALLBACK (conversation_activated_cb), self);
  g_signal_connect_swapped (self->chat_view, "send", G_CALLBACK (chat_send_cb), self);
  g_signal_connect_swapped (self->chat_view, "stop", G_CALLBACK (chat_stop_cb), self);
  g_signal_connect_swapped (self->chat_view, "regenerate", G_CALLBACK (chat_regenerate_cb), self);
  g_signal_connect_swapped (self->chat_view, "edit-resend", G_CALLBACK (chat_edit_resend_cb), self);

  target = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);
  g_signal_connect_swapped (target, "drop", G_CALLBACK (drop_cb), self);
  g_signal_connect_swapped (target, "enter", G_CALLBACK (drop_enter_cb), self);
  g_signal_connect_swapped (target, "leave", G_CALLBACK (drop_leave_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (target));

}

GemletWindow *
gemlet_window_new (GemletApplication *application)
{
  GemletWindow *self;

  g_return_val_if_fail (GEMLET_IS_APPLICATION (application), NULL);

  self = g_object_new (GEMLET_TYPE_WINDOW, "application", application, NULL);
  gemlet_window_setup (self, application);

  return self;
}
