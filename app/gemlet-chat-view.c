/* gemlet-chat-view.c
 *
 * The right-hand pane: the messages of one conversation, the composer, and
 * the status pages shown before a model is ready. It only shows things and
 * reports what the user asked for (::send, ::stop, ::regenerate,
 * ::edit-resend); GemletWindow does the work.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "gemlet-chat-view"

#include "gemlet-config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "gemlet-chat-view.h"
#include "gemlet-message-row.h"

struct _GemletChatView
{
  GtkWidget           parent_instance;

  GemletConversation *conversation;
  GemletEngineState   engine_state;
  gboolean            generating;
  gboolean            stick_to_bottom;
  double              last_upper;

  AdwHeaderBar       *header_bar;
  GtkWidget          *back_button;
  AdwWindowTitle     *window_title;
  GtkMenuButton      *memory_button;
  GtkStack           *stack;
  AdwStatusPage      *loading_page;
  GtkProgressBar     *load_progress;
  AdwStatusPage      *empty_page;
  GtkScrolledWindow  *scroller;
  GtkListBox         *message_list;
  GtkWidget          *system_prompt_button;
  GtkLabel           *system_prompt_label;
  GtkWidget          *composer_clamp;
  GtkTextView        *composer;
  GtkWidget          *placeholder;
  GtkButton          *send_button;
  GtkRevealer        *composer_notice_revealer;
  GtkLabel           *composer_notice;

  /* a long message is counted on the worker before it may be sent */
  GemletEngineWorker *worker;
  guint               context_limit;   /* tokens one message may have */
  guint               n_ctx;           /* the context, as the user chose it */
  gboolean            too_long;        /* known or not yet known to fit */
  guint               check_id;
  GCancellable       *check_cancellable;
};

G_DEFINE_FINAL_TYPE (GemletChatView, gemlet_chat_view, GTK_TYPE_WIDGET)

enum {
  SEND,
  STOP,
  REGENERATE,
  EDIT_RESEND,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
update_page (GemletChatView *self)
{
  const char *page;
  gboolean have_messages;

  have_messages = self->conversation != NULL &&
                  gemlet_conversation_get_n_messages (self->conversation) > 0;

  if (have_messages)
    page = "messages";
  else if (self->engine_state == GEMLET_ENGINE_STATE_EMPTY)
    page = "no-model";
  else if (self->engine_state == GEMLET_ENGINE_STATE_LOADING)
    page = "loading";
  else
    page = "empty";

  gtk_stack_set_visible_child_name (self->stack, page);
  gtk_widget_set_visible (self->composer_clamp, g_strcmp0 (page, "no-model") != 0);
}

/* A conversation with a system prompt says so above its messages (a click
 * opens its settings). */
static void
update_system_prompt (GemletChatView *self)
{
  const char *prompt = NULL;

  if (self->conversation != NULL)
    prompt = gemlet_conversation_settings_get_system_prompt (gemlet_conversation_get_settings (self->conversation));

  gtk_widget_set_visible (self->system_prompt_button, prompt != NULL);
  if (prompt != NULL)
    {
      g_autofree char *first_line = g_strndup (prompt, strcspn (prompt, "\n"));
      /* Translators: shown above the messages; %s is the first line of the prompt */
      g_autofree char *text = g_strdup_printf (_("System prompt: %s"), first_line);

      gtk_label_set_text (self->system_prompt_label, text);
    }
}

static void
update_title (GemletChatView *self)
{
  const char *title = NULL;

  if (self->conversation != NULL)
    title = gemlet_conversation_get_title (self->conversation);

  adw_window_title_set_title (self->window_title,
                              title && *title ? title : _("Gemlet"));
}

static void
update_send_button (GemletChatView *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->composer);
  gboolean empty = gtk_text_buffer_get_char_count (buffer) == 0;

  gtk_widget_set_visible (self->placeholder, empty);

  if (self->generating)
    {
      gtk_button_set_icon_name (self->send_button, "media-playback-stop-symbolic");
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->send_button), _("Stop"));
      gtk_widget_remove_css_class (GTK_WIDGET (self->send_button), "suggested-action");
      gtk_widget_add_css_class (GTK_WIDGET (self->send_button), "destructive-action");
      gtk_widget_set_sensitive (GTK_WIDGET (self->send_button), TRUE);
    }
  else
    {
      gtk_button_set_icon_name (self->send_button, "go-up-symbolic");
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->send_button), _("Send"));
      gtk_widget_remove_css_class (GTK_WIDGET (self->send_button), "destructive-action");
      gtk_widget_add_css_class (GTK_WIDGET (self->send_button), "suggested-action");
      gtk_widget_set_sensitive (GTK_WIDGET (self->send_button),
                                !empty && !self->too_long &&
                                self->engine_state == GEMLET_ENGINE_STATE_READY);
    }
}

static void
set_composer_notice (GemletChatView *self,
                     const char     *notice)
{
  if (notice != NULL)
    gtk_label_set_text (self->composer_notice, notice);
  gtk_revealer_set_reveal_child (self->composer_notice_revealer, notice != NULL);
}

static void
count_done_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  GemletChatView *self = user_data;
  g_autoptr(GError) error = NULL;
  gssize n;

  n = gemlet_engine_worker_count_tokens_finish (GEMLET_ENGINE_WORKER (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  g_clear_object (&self->check_cancellable);

  if (n >= 0 && (gsize) n > self->context_limit)
    {
      g_autofree char *notice = NULL;

      notice = g_strdup_printf (ngettext ("This message is too long to send: it has about %u tokens, "
                                          "and the context holds %u token. Shorten it, or allow a "
                                          "longer context in Preferences.",
                                          "This message is too long to send: it has about %u tokens, "
                                          "and the context holds %u tokens. Shorten it, or allow a "
                                          "longer context in Preferences.",
                                          self->n_ctx),
                                (guint) n, self->n_ctx);
      self->too_long = TRUE;
      set_composer_notice (self, notice);
    }
  else
    {
      self->too_long = FALSE;
      set_composer_notice (self, NULL);
    }

  update_send_button (self);
}

static gboolean
check_length_cb (gpointer user_data)
{
  GemletChatView *self = user_data;
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->composer);
  g_autofree char *text = NULL;
  GtkTextIter start, end;

  self->check_id = 0;

  g_cancellable_cancel (self->check_cancellable);
  g_clear_object (&self->check_cancellable);
  self->check_cancellable = g_cancellable_new ();

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  text = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
  gemlet_engine_worker_count_tokens_async (self->worker, text, self->check_cancellable,
                                           count_done_cb, self);

  return G_SOURCE_REMOVE;
}

/* A message has at most four bytes per character and at most one token per
 * byte, so a short one certainly fits; a longer one is counted on a worker
 * thread (debounced while typing) and cannot be sent until it is known to
 * fit. */
static void
check_length (GemletChatView *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->composer);
  guint64 n_chars = gtk_text_buffer_get_char_count (buffer);

  g_clear_handle_id (&self->check_id, g_source_remove);

  if (self->worker == NULL || self->context_limit == 0 || n_chars * 4 <= self->context_limit)
    {
      g_cancellable_cancel (self->check_cancellable);
      g_clear_object (&self->check_cancellable);
      if (self->too_long)
        {
          self->too_long = FALSE;
          set_composer_notice (self, NULL);
        }
      return;
    }

  self->too_long = TRUE;
  self->check_id = g_timeout_add (150, check_length_cb, self);
}

static void
composer_changed_cb (GemletChatView *self)
{
  check_length (self);
  update_send_button (self);
}

/* Sets the worker that counts tokens, how many tokens one message may have
 * (0: no check) and the context length that is shown in the message. */
void
gemlet_chat_view_set_context_limit (GemletChatView     *self,
                                    GemletEngineWorker *worker,
                                    guint               limit,
                                    guint               n_ctx)
{
  g_return_if_fail (GEMLET_IS_CHAT_VIEW (self));

  g_set_object (&self->worker, worker);
  self->n_ctx = n_ctx;
  if (self->context_limit == limit)
    return;

  self->context_limit = limit;
  check_length (self);
  update_send_button (self);
}

/* TRUE while the composer's text is too long to send, or not yet counted. */
gboolean
gemlet_chat_view_get_composer_too_long (GemletChatView *self)
{
  g_return_val_if_fail (GEMLET_IS_CHAT_VIEW (self), FALSE);

  return self->too_long;
}

const char *
gemlet_chat_view_get_composer_notice (GemletChatView *self)
{
  g_return_val_if_fail (GEMLET_IS_CHAT_VIEW (self), NULL);

  return gtk_revealer_get_reveal_child (self->composer_notice_revealer)
         ? gtk_label_get_text (self->composer_notice) : NULL;
}

static char *
take_composer_text (GemletChatView *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->composer);
  GtkTextIter start, end;
  char *text;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  text = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
  g_strstrip (text);

  return text;
}

static void
send_clicked_cb (GemletChatView *self)
{
  g_autofree char *text = NULL;

  if (self->generating)
    {
      g_signal_emit (self, signals[STOP], 0);
      return;
    }

  if (self->engine_state != GEMLET_ENGINE_STATE_READY || self->too_long)
    return;

  text = take_composer_text (self);
  if (*text == '\0')
    return;

  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->composer), "", 0);
  self->stick_to_bottom = TRUE;
  g_signal_emit (self, signals[SEND], 0, text);
}

static gboolean
composer_key_pressed_cb (GemletChatView        *self,
                         guint                  keyval,
                         guint                  keycode,
                         GdkModifierType        state,
                         GtkEventControllerKey *controller)
{
  if ((keyval == GDK_KEY_Return || keyval == GDK_KEY_KP_Enter || keyval == GDK_KEY_ISO_Enter) &&
      !(state & (GDK_SHIFT_MASK | GDK_CONTROL_MASK | GDK_ALT_MASK)))
    {
      if (!self->generating)
        send_clicked_cb (self);
      return GDK_EVENT_STOP;
    }

  return GDK_EVENT_PROPAGATE;
}

static void
row_regenerate_cb (GemletChatView   *self,
                   GemletMessageRow *row)
{
  g_signal_emit (self, signals[REGENERATE], 0, gemlet_message_row_get_message (row));
}

static void
row_edit_resend_cb (GemletChatView   *self,
                    const char       *text,
                    GemletMessageRow *row)
{
  self->stick_to_bottom = TRUE;
  g_signal_emit (self, signals[EDIT_RESEND], 0, gemlet_message_row_get_message (row), text);
}

static GtkWidget *
create_row (gpointer item,
            gpointer user_data)
{
  GemletChatView *self = user_data;
  GtkWidget *row = gemlet_message_row_new (GEMLET_MESSAGE (item));
  GtkWidget *list_row = gtk_list_box_row_new ();

  gemlet_message_row_set_busy (GEMLET_MESSAGE_ROW (row), self->generating);
  g_signal_connect_object (row, "regenerate", G_CALLBACK (row_regenerate_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (row, "edit-resend", G_CALLBACK (row_edit_resend_cb), self, G_CONNECT_SWAPPED);

  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (list_row), row);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (list_row), FALSE);
  gtk_widget_set_focusable (list_row, FALSE);

  return list_row;
}

static void
messages_changed_cb (GemletChatView *self)
{
  update_page (self);
}

/* Follow the end of the conversation while it grows, unless the user has
 * scrolled up to read. Only value changes that happen while the content
 * keeps its size are the user's. */
static void
adjustment_changed_cb (GemletChatView *self,
                       GtkAdjustment  *adjustment)
{
  self->last_upper = gtk_adjustment_get_upper (adjustment);

  if (self->stick_to_bottom)
    gtk_adjustment_set_value (adjustment,
                              gtk_adjustment_get_upper (adjustment) -
                              gtk_adjustment_get_page_size (adjustment));
}

static void
adjustment_value_changed_cb (GemletChatView *self,
                             GtkAdjustment  *adjustment)
{
  double upper = gtk_adjustment_get_upper (adjustment);
  double bottom = upper - gtk_adjustment_get_page_size (adjustment);

  if (upper != self->last_upper)
    return;

  self->stick_to_bottom = gtk_adjustment_get_value (adjustment) >= bottom - 48;
}

static void
disconnect_conversation (GemletChatView *self)
{
  if (self->conversation == NULL)
    return;

  g_signal_handlers_disconnect_by_data (self->conversation, self);
  g_signal_handlers_disconnect_by_data (gemlet_conversation_get_messages (self->conversation), self);
}

static void
gemlet_chat_view_dispose (GObject *object)
{
  GemletChatView *self = (GemletChatView *)object;

  disconnect_conversation (self);
  g_clear_object (&self->conversation);
  g_clear_handle_id (&self->check_id, g_source_remove);
  g_cancellable_cancel (self->check_cancellable);
  g_clear_object (&self->check_cancellable);
  g_clear_object (&self->worker);
  gtk_widget_dispose_template (GTK_WIDGET (self), GEMLET_TYPE_CHAT_VIEW);

  G_OBJECT_CLASS (gemlet_chat_view_parent_class)->dispose (object);
}

static gboolean
gemlet_chat_view_grab_focus (GtkWidget *widget)
{
  GemletChatView *self = GEMLET_CHAT_VIEW (widget);

  if (gtk_widget_get_visible (self->composer_clamp))
    return gtk_widget_grab_focus (GTK_WIDGET (self->composer));

  return GTK_WIDGET_CLASS (gemlet_chat_view_parent_class)->grab_focus (widget);
}

static void
gemlet_chat_view_class_init (GemletChatViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = gemlet_chat_view_dispose;
  widget_class->grab_focus = gemlet_chat_view_grab_focus;

  signals[SEND] =
    g_signal_new ("send",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[STOP] =
    g_signal_new ("stop",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
  signals[REGENERATE] =
    g_signal_new ("regenerate",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, GEMLET_TYPE_MESSAGE);
  signals[EDIT_RESEND] =
    g_signal_new ("edit-resend",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, GEMLET_TYPE_MESSAGE, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/gemlet/Gemlet/gemlet-chat-view.ui");
  gtk_widget_class_bind_template_child (widget_class, GemletChatView, header_bar);
  gtk_widget_class_bind_template_child (widget_class, GemletChatView, back_button);
  gtk_widget_class_bind_template_child (widget_class, GemletChatView, window_title);
  gtk_widget_class_bind_template_child (widget_class, GemletChatView, memory_button);
  gtk_widget_class_bind_template_child (widget_class, GemletChatView, stack);
  gtk_widget_class_bind_template_child (widget_class, GemletChatView, loading_page);
  gtk_widget_class_bind_template_child (widget_class, GemletChatView, load_progress);
  gtk_widget_class_bind_template_child (widget_class, GemletChatView, empty_page);
  gtk_widget_class_bind_template_child (widget_class, GemletChatView, scroller);
  gtk_widget_class_bind_template_child (widget_class, GemletChatView, message_list);
  gtk_widget_class_bind_template_child (widget_class, GemletChatView, system_prompt_button);
  gtk_widget_class_bind_template_child (widget_class, GemletChatView, system_prompt_label);
  gtk_widget_class_bind_template_child (widget_class, GemletChatView, composer_clamp);
  gtk_widget_class_bind_template_child (widget_class, GemletChatView, composer);
  gtk_widget_class_bind_template_child (widget_class, GemletChatView, placeholder);
  gtk_widget_class_bind_template_child (widget_class, GemletChatView, send_button);
  gtk_widget_class_bind_template_child (widget_class, GemletChatView, composer_notice_revealer);
  gtk_widget_class_bind_template_child (widget_class, GemletChatView, composer_notice);
  gtk_widget_class_bind_template_callback (widget_class, send_clicked_cb);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "chatview");
}

static void
gemlet_chat_view_init (GemletChatView *self)
{
  GtkEventController *controller;
  GtkAdjustment *adjustment;

  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_orientable_set_orientation (GTK_ORIENTABLE (gtk_widget_get_layout_manager (GTK_WIDGET (self))),
                                  GTK_ORIENTATION_VERTICAL);

  self->stick_to_bottom = TRUE;

  controller = gtk_event_controller_key_new ();
  gtk_event_controller_set_propagation_phase (controller, GTK_PHASE_CAPTURE);
  g_signal_connect_swapped (controller, "key-pressed", G_CALLBACK (composer_key_pressed_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self->composer), controller);

  g_signal_connect_swapped (gtk_text_view_get_buffer (self->composer), "changed",
                            G_CALLBACK (composer_changed_cb), self);

  adjustment = gtk_scrolled_window_get_vadjustment (self->scroller);
  g_signal_connect_swapped (adjustment, "changed", G_CALLBACK (adjustment_changed_cb), self);
  g_signal_connect_swapped (adjustment, "value-changed", G_CALLBACK (adjustment_value_changed_cb), self);

  update_page (self);
  update_send_button (self);
}

void
gemlet_chat_view_set_conversation (GemletChatView     *self,
                                   GemletConversation *conversation)
{
  g_return_if_fail (GEMLET_IS_CHAT_VIEW (self));
  g_return_if_fail (!conversation || GEMLET_IS_CONVERSATION (conversation));

  if (self->conversation == conversation)
    return;

  disconnect_conversation (self);
  g_set_object (&self->conversation, conversation);

  if (conversation != NULL)
    {
      GListModel *messages = gemlet_conversation_get_messages (conversation);

      gtk_list_box_bind_model (self->message_list, messages, create_row, self, NULL);
      g_signal_connect_object (messages, "items-changed",
                               G_CALLBACK (messages_changed_cb), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (conversation, "notify::title",
                               G_CALLBACK (update_title), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (conversation, "notify::messages-loaded",
                               G_CALLBACK (update_page), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (conversation, "notify::settings",
                               G_CALLBACK (update_system_prompt), self, G_CONNECT_SWAPPED);
    }
  else
    gtk_list_box_bind_model (self->message_list, NULL, NULL, NULL, NULL);

  self->stick_to_bottom = TRUE;
  update_title (self);
  update_system_prompt (self);
  update_page (self);
  gemlet_chat_view_scroll_to_bottom (self);
}

GemletConversation *
gemlet_chat_view_get_conversation (GemletChatView *self)
{
  g_return_val_if_fail (GEMLET_IS_CHAT_VIEW (self), NULL);

  return self->conversation;
}

void
gemlet_chat_view_set_engine_state (GemletChatView    *self,
                                   GemletEngineState  state,
                                   const char        *model_title)
{
  g_return_if_fail (GEMLET_IS_CHAT_VIEW (self));

  self->engine_state = state;
  adw_window_title_set_subtitle (self->window_title, model_title ? model_title : "");
  adw_status_page_set_description (self->loading_page, model_title);
  update_page (self);
  update_send_button (self);
}

void
gemlet_chat_view_set_load_progress (GemletChatView *self,
                                    double          fraction)
{
  g_return_if_fail (GEMLET_IS_CHAT_VIEW (self));

  gtk_progress_bar_set_fraction (self->load_progress, fraction);
}

void
gemlet_chat_view_set_generating (GemletChatView *self,
                                 gboolean        generating)
{
  g_return_if_fail (GEMLET_IS_CHAT_VIEW (self));

  self->generating = generating;
  update_send_button (self);

  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->message_list));
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *row = gtk_list_box_row_get_child (GTK_LIST_BOX_ROW (child));

      if (GEMLET_IS_MESSAGE_ROW (row))
        gemlet_message_row_set_busy (GEMLET_MESSAGE_ROW (row), generating);
    }
}

AdwHeaderBar *
gemlet_chat_view_get_header_bar (GemletChatView *self)
{
  g_return_val_if_fail (GEMLET_IS_CHAT_VIEW (self), NULL);

  return self->header_bar;
}

void
gemlet_chat_view_set_show_back_button (GemletChatView *self,
                                       gboolean        show)
{
  g_return_if_fail (GEMLET_IS_CHAT_VIEW (self));

  gtk_widget_set_visible (self->back_button, show);
}

void
gemlet_chat_view_set_memory_popover (GemletChatView *self,
                                     GtkWidget      *popover)
{
  g_return_if_fail (GEMLET_IS_CHAT_VIEW (self));

  gtk_menu_button_set_popover (self->memory_button, popover);
}

void
gemlet_chat_view_set_composer_text (GemletChatView *self,
                                    const char     *text)
{
  g_return_if_fail (GEMLET_IS_CHAT_VIEW (self));

  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->composer), text ? text : "", -1);
}

void
gemlet_chat_view_focus_composer (GemletChatView *self)
{
  g_return_if_fail (GEMLET_IS_CHAT_VIEW (self));

  gtk_widget_grab_focus (GTK_WIDGET (self->composer));
}

void
gemlet_chat_view_scroll_to_bottom (GemletChatView *self)
{
  GtkAdjustment *adjustment;

  g_return_if_fail (GEMLET_IS_CHAT_VIEW (self));

  self->stick_to_bottom = TRUE;
  adjustment = gtk_scrolled_window_get_vadjustment (self->scroller);
  gtk_adjustment_set_value (adjustment,
                            gtk_adjustment_get_upper (adjustment) -
                            gtk_adjustment_get_page_size (adjustment));
}
