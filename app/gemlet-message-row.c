/* gemlet-message-row.c
 *
 * One message in the chat: the user's text in a bubble (with Edit and Resend
 * and Copy), or the model's reply rendered from Markdown (with Copy,
 * Regenerate and the speed it was written at).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "gemlet-message-row"

#include "gemlet-config.h"

#include <glib/gi18n.h>

#include "gemlet-markdown-view.h"
#include "gemlet-message-row.h"

struct _GemletMessageRow
{
  GtkWidget           parent_instance;

  GemletMessage      *message;

  GtkWidget          *user_box;
  GtkStack           *user_stack;
  GtkLabel           *user_label;
  GtkTextView        *edit_view;
  GtkWidget          *edit_button;
  GtkWidget          *model_box;
  GtkSpinner         *spinner;
  GemletMarkdownView *markdown_view;
  GtkWidget          *model_actions;
  GtkWidget          *regenerate_button;
  GtkLabel           *stats_label;
  GtkWidget          *notice_box;
  GtkLabel           *notice_label;

  gboolean            busy;
};

G_DEFINE_FINAL_TYPE (GemletMessageRow, gemlet_message_row, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_MESSAGE,
  N_PROPS
};

enum {
  REGENERATE,
  EDIT_RESEND,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
update_actions (GemletMessageRow *self)
{
  gboolean streaming = gemlet_message_get_streaming (self->message);
  gboolean empty = gemlet_message_get_length (self->message) == 0;

  gtk_widget_set_visible (GTK_WIDGET (self->spinner), streaming && empty);
  gtk_spinner_set_spinning (self->spinner, streaming && empty);
  gtk_widget_set_visible (GTK_WIDGET (self->markdown_view), !empty);
  gtk_widget_set_visible (self->model_actions, !streaming);
  gtk_widget_set_sensitive (self->regenerate_button, !self->busy);
  gtk_widget_set_sensitive (self->edit_button, !self->busy);
}

static void
content_changed_cb (GemletMessageRow *self)
{
  const char *content = gemlet_message_get_content (self->message);

  if (gemlet_message_get_role (self->message) == GEMLET_ROLE_USER)
    gtk_label_set_text (self->user_label, content);
  else
    gemlet_markdown_view_set_markdown (self->markdown_view, content);

  update_actions (self);
}

static void
stats_changed_cb (GemletMessageRow *self)
{
  const char *stats = gemlet_message_get_stats (self->message);

  gtk_label_set_text (self->stats_label, stats ? stats : "");
}

static void
notice_changed_cb (GemletMessageRow *self)
{
  const char *notice = gemlet_message_get_notice (self->message);

  gtk_label_set_text (self->notice_label, notice ? notice : "");
  gtk_widget_set_visible (self->notice_box, notice != NULL && *notice != '\0');
}

static void
copy_cb (GemletMessageRow *self)
{
  GtkWidget *root = GTK_WIDGET (gtk_widget_get_root (GTK_WIDGET (self)));

  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)),
                          gemlet_message_get_content (self->message));
  if (root != NULL)
    gtk_widget_activate_action (root, "win.show-toast", "s", _("Copied to clipboard"));
}

static void
regenerate_cb (GemletMessageRow *self)
{
  g_signal_emit (self, signals[REGENERATE], 0);
}

static void
edit_cb (GemletMessageRow *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->edit_view);

  gtk_text_buffer_set_text (buffer, gemlet_message_get_content (self->message), -1);
  gtk_stack_set_visible_child_name (self->user_stack, "edit");
  gtk_widget_set_halign (GTK_WIDGET (self->user_stack), GTK_ALIGN_FILL);
  gtk_widget_set_visible (gtk_widget_get_parent (self->edit_button), FALSE);
  gtk_widget_grab_focus (GTK_WIDGET (self->edit_view));
}

static void
edit_cancel_cb (GemletMessageRow *self)
{
  gtk_stack_set_visible_child_name (self->user_stack, "view");
  gtk_widget_set_halign (GTK_WIDGET (self->user_stack), GTK_ALIGN_END);
  gtk_widget_set_visible (gtk_widget_get_parent (self->edit_button), TRUE);
}

static void
edit_send_cb (GemletMessageRow *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->edit_view);
  g_autofree char *text = NULL;
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  text = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
  g_strstrip (text);
  if (*text == '\0')
    return;

  edit_cancel_cb (self);
  g_signal_emit (self, signals[EDIT_RESEND], 0, text);
}

static void
gemlet_message_row_set_message (GemletMessageRow *self,
                                GemletMessage    *message)
{
  gboolean is_user;

  g_assert (self->message == NULL);

  self->message = g_object_ref (message);
  is_user = gemlet_message_get_role (message) == GEMLET_ROLE_USER;

  gtk_widget_set_visible (self->user_box, is_user);
  gtk_widget_set_visible (self->model_box, !is_user);
  gtk_widget_add_css_class (GTK_WIDGET (self), is_user ? "user" : "model");

  g_signal_connect_object (message, "notify::content",
                           G_CALLBACK (content_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (message, "notify::streaming",
                           G_CALLBACK (update_actions), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (message, "notify::stats",
                           G_CALLBACK (stats_changed_cb), self, G_CONNECT_SWAPPED);

  g_signal_connect_object (message, "notify::notice",
                           G_CALLBACK (notice_changed_cb), self, G_CONNECT_SWAPPED);

  content_changed_cb (self);
  stats_changed_cb (self);
  notice_changed_cb (self);
}

static void
gemlet_message_row_dispose (GObject *object)
{
  GemletMessageRow *self = (GemletMessageRow *)object;

  gtk_widget_dispose_template (GTK_WIDGET (self), GEMLET_TYPE_MESSAGE_ROW);
  g_clear_object (&self->message);

  G_OBJECT_CLASS (gemlet_message_row_parent_class)->dispose (object);
}

static void
gemlet_message_row_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  GemletMessageRow *self = GEMLET_MESSAGE_ROW (object);

  switch (prop_id)
    {
    case PROP_MESSAGE:
      g_value_set_object (value, self->message);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gemlet_message_row_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  GemletMessageRow *self = GEMLET_MESSAGE_ROW (object);

  switch (prop_id)
    {
    case PROP_MESSAGE:
      gemlet_message_row_set_message (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gemlet_message_row_class_init (GemletMessageRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = gemlet_message_row_dispose;
  object_class->get_property = gemlet_message_row_get_property;
  object_class->set_property = gemlet_message_row_set_property;

  properties[PROP_MESSAGE] =
    g_param_spec_object ("message", NULL, NULL, GEMLET_TYPE_MESSAGE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[REGENERATE] =
    g_signal_new ("regenerate",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
  signals[EDIT_RESEND] =
    g_signal_new ("edit-resend",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);

  g_type_ensure (GEMLET_TYPE_MARKDOWN_VIEW);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/gemlet/Gemlet/gemlet-message-row.ui");
  gtk_widget_class_bind_template_child (widget_class, GemletMessageRow, user_box);
  gtk_widget_class_bind_template_child (widget_class, GemletMessageRow, user_stack);
  gtk_widget_class_bind_template_child (widget_class, GemletMessageRow, user_label);
  gtk_widget_class_bind_template_child (widget_class, GemletMessageRow, edit_view);
  gtk_widget_class_bind_template_child (widget_class, GemletMessageRow, edit_button);
  gtk_widget_class_bind_template_child (widget_class, GemletMessageRow, model_box);
  gtk_widget_class_bind_template_child (widget_class, GemletMessageRow, spinner);
  gtk_widget_class_bind_template_child (widget_class, GemletMessageRow, markdown_view);
  gtk_widget_class_bind_template_child (widget_class, GemletMessageRow, model_actions);
  gtk_widget_class_bind_template_child (widget_class, GemletMessageRow, regenerate_button);
  gtk_widget_class_bind_template_child (widget_class, GemletMessageRow, stats_label);
  gtk_widget_class_bind_template_child (widget_class, GemletMessageRow, notice_box);
  gtk_widget_class_bind_template_child (widget_class, GemletMessageRow, notice_label);
  gtk_widget_class_bind_template_callback (widget_class, copy_cb);
  gtk_widget_class_bind_template_callback (widget_class, regenerate_cb);
  gtk_widget_class_bind_template_callback (widget_class, edit_cb);
  gtk_widget_class_bind_template_callback (widget_class, edit_cancel_cb);
  gtk_widget_class_bind_template_callback (widget_class, edit_send_cb);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "messagerow");
}

static void
gemlet_message_row_init (GemletMessageRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_orientable_set_orientation (GTK_ORIENTABLE (gtk_widget_get_layout_manager (GTK_WIDGET (self))),
                                  GTK_ORIENTATION_VERTICAL);
}

GtkWidget *
gemlet_message_row_new (GemletMessage *message)
{
  return g_object_new (GEMLET_TYPE_MESSAGE_ROW, "message", message, NULL);
}

GemletMessage *
gemlet_message_row_get_message (GemletMessageRow *self)
{
  g_return_val_if_fail (GEMLET_IS_MESSAGE_ROW (self), NULL);

  return self->message;
}

/* While the model writes, Regenerate and Edit and Resend are off. */
void
gemlet_message_row_set_busy (GemletMessageRow *self,
                             gboolean          busy)
{
  g_return_if_fail (GEMLET_IS_MESSAGE_ROW (self));

  self->busy = busy;
  update_actions (self);
}
