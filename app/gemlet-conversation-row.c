/* gemlet-conversation-row.c
 *
 * A conversation in the sidebar: its title and when it was last used. A
 * right click or long press offers Rename and Delete.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "gemlet-conversation-row"

#include "gemlet-config.h"

#include <glib/gi18n.h>

#include "gemlet-conversation-row.h"
#include "gemlet-utils.h"

struct _GemletConversationRow
{
  GtkWidget           parent_instance;

  GemletConversation *conversation;
  GtkWidget          *popover;
  guint               refresh_id;

  GtkLabel           *title_label;
  GtkLabel           *time_label;
};

G_DEFINE_FINAL_TYPE (GemletConversationRow, gemlet_conversation_row, GTK_TYPE_WIDGET)

static void
update (GemletConversationRow *self)
{
  const char *title;
  g_autofree char *when = NULL;

  if (self->conversation == NULL)
    return;

  title = gemlet_conversation_get_title (self->conversation);
  gtk_label_set_text (self->title_label, title && *title ? title : _("New Conversation"));

  when = gemlet_format_relative_time (gemlet_conversation_get_updated (self->conversation),
                                      g_get_real_time ());
  gtk_label_set_text (self->time_label, when);
}

static gboolean
refresh_cb (gpointer user_data)
{
  update (user_data);

  return G_SOURCE_CONTINUE;
}

/* "5 minutes ago" must move on: refresh while on screen. */
static void
gemlet_conversation_row_map (GtkWidget *widget)
{
  GemletConversationRow *self = GEMLET_CONVERSATION_ROW (widget);

  GTK_WIDGET_CLASS (gemlet_conversation_row_parent_class)->map (widget);

  update (self);
  if (self->refresh_id == 0)
    self->refresh_id = g_timeout_add_seconds (30, refresh_cb, self);
}

static void
gemlet_conversation_row_unmap (GtkWidget *widget)
{
  GemletConversationRow *self = GEMLET_CONVERSATION_ROW (widget);

  g_clear_handle_id (&self->refresh_id, g_source_remove);

  GTK_WIDGET_CLASS (gemlet_conversation_row_parent_class)->unmap (widget);
}

static void
show_menu (GemletConversationRow *self,
           double                 x,
           double                 y)
{
  g_autoptr(GMenu) menu = NULL;
  g_autoptr(GMenu) section = NULL;
  g_autoptr(GMenuItem) rename = NULL;
  g_autoptr(GMenuItem) settings = NULL;
  g_autoptr(GMenuItem) markdown = NULL;
  g_autoptr(GMenuItem) json = NULL;
  g_autoptr(GMenuItem) delete = NULL;
  gint64 id;

  if (self->conversation == NULL)
    return;

  id = gemlet_conversation_get_id (self->conversation);
  menu = g_menu_new ();
  rename = g_menu_item_new (_("_Rename…"), NULL);
  g_menu_item_set_action_and_target_value (rename, "win.rename-conversation", g_variant_new_int64 (id));
  g_menu_append_item (menu, rename);
  settings = g_menu_item_new (_("_Settings…"), NULL);
  g_menu_item_set_action_and_target_value (settings, "win.conversation-settings", g_variant_new_int64 (id));
  g_menu_append_item (menu, settings);
  section = g_menu_new ();
  markdown = g_menu_item_new (_("_Export as Markdown…"), NULL);
  g_menu_item_set_action_and_target_value (markdown, "win.export-markdown", g_variant_new_int64 (id));
  g_menu_append_item (section, markdown);
  json = g_menu_item_new (_("Export as _JSON…"), NULL);
  g_menu_item_set_action_and_target_value (json, "win.export-json", g_variant_new_int64 (id));
  g_menu_append_item (section, json);
  g_menu_append_section (menu, NULL, G_MENU_MODEL (section));
  g_clear_object (&section);
  section = g_menu_new ();
  delete = g_menu_item_new (_("_Delete"), NULL);
  g_menu_item_set_action_and_target_value (delete, "win.delete-conversation", g_variant_new_int64 (id));
  g_menu_append_item (section, delete);
  g_menu_append_section (menu, NULL, G_MENU_MODEL (section));

  g_clear_pointer (&self->popover, gtk_widget_unparent);
  self->popover = gtk_popover_menu_new_from_model (G_MENU_MODEL (menu));
  gtk_widget_set_parent (self->popover, GTK_WIDGET (self));
  gtk_popover_set_has_arrow (GTK_POPOVER (self->popover), FALSE);
  gtk_widget_set_halign (self->popover, GTK_ALIGN_START);
  gtk_popover_set_pointing_to (GTK_POPOVER (self->popover),
                               &(GdkRectangle) { (int)x, (int)y, 1, 1 });
  gtk_popover_popup (GTK_POPOVER (self->popover));
}

static void
secondary_click_cb (GemletConversationRow *self,
                    int                    n_press,
                    double                 x,
                    double                 y,
                    GtkGestureClick       *gesture)
{
  gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_CLAIMED);
  show_menu (self, x, y);
}

static void
long_press_cb (GemletConversationRow *self,
               double                 x,
               double                 y,
               GtkGestureLongPress   *gesture)
{
  gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_CLAIMED);
  show_menu (self, x, y);
}

static void
gemlet_conversation_row_dispose (GObject *object)
{
  GemletConversationRow *self = (GemletConversationRow *)object;

  GtkWidget *child;

  gemlet_conversation_row_set_conversation (self, NULL);
  g_clear_handle_id (&self->refresh_id, g_source_remove);
  g_clear_pointer (&self->popover, gtk_widget_unparent);
  gtk_widget_dispose_template (GTK_WIDGET (self), GEMLET_TYPE_CONVERSATION_ROW);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))))
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (gemlet_conversation_row_parent_class)->dispose (object);
}

static void
gemlet_conversation_row_size_allocate (GtkWidget *widget,
                                       int        width,
                                       int        height,
                                       int        baseline)
{
  GemletConversationRow *self = GEMLET_CONVERSATION_ROW (widget);

  GTK_WIDGET_CLASS (gemlet_conversation_row_parent_class)->size_allocate (widget, width, height, baseline);

  if (self->popover != NULL)
    gtk_popover_present (GTK_POPOVER (self->popover));
}

static void
gemlet_conversation_row_class_init (GemletConversationRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = gemlet_conversation_row_dispose;
  widget_class->size_allocate = gemlet_conversation_row_size_allocate;
  widget_class->map = gemlet_conversation_row_map;
  widget_class->unmap = gemlet_conversation_row_unmap;

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/gemlet/Gemlet/gemlet-conversation-row.ui");
  gtk_widget_class_bind_template_child (widget_class, GemletConversationRow, title_label);
  gtk_widget_class_bind_template_child (widget_class, GemletConversationRow, time_label);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
gemlet_conversation_row_init (GemletConversationRow *self)
{
  GtkGesture *gesture;

  gtk_widget_init_template (GTK_WIDGET (self));

  gesture = gtk_gesture_click_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (gesture), GDK_BUTTON_SECONDARY);
  g_signal_connect_swapped (gesture, "pressed", G_CALLBACK (secondary_click_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (gesture));

  gesture = gtk_gesture_long_press_new ();
  gtk_gesture_single_set_touch_only (GTK_GESTURE_SINGLE (gesture), TRUE);
  g_signal_connect_swapped (gesture, "pressed", G_CALLBACK (long_press_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (gesture));
}

GtkWidget *
gemlet_conversation_row_new (void)
{
  return g_object_new (GEMLET_TYPE_CONVERSATION_ROW, NULL);
}

void
gemlet_conversation_row_set_conversation (GemletConversationRow *self,
                                          GemletConversation    *conversation)
{
  g_return_if_fail (GEMLET_IS_CONVERSATION_ROW (self));

  if (self->conversation == conversation)
    return;

  if (self->conversation != NULL)
    g_signal_handlers_disconnect_by_func (self->conversation, update, self);

  g_set_object (&self->conversation, conversation);

  if (conversation != NULL)
    {
      g_signal_connect_swapped (conversation, "notify::title", G_CALLBACK (update), self);
      g_signal_connect_swapped (conversation, "notify::updated", G_CALLBACK (update), self);
      update (self);
    }
}
