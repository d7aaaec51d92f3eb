/* gemlet-sidebar.c
 *
 * The list of conversations, newest first, in a GtkListView over the
 * store's GListModel (rows are recycled, so 10 000 conversations cost no
 * more than a screenful). Search matches titles and message text; the
 * database query runs on the store's thread and only the filter's match set
 * changes here.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "gemlet-sidebar"

#include "gemlet-config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "gemlet-conversation-row.h"
#include "gemlet-sidebar.h"

struct _GemletSidebar
{
  GtkWidget           parent_instance;

  GemletStore        *store;
  GtkFilterListModel *filter_model;
  GtkCustomFilter    *filter;
  GtkSingleSelection *selection;
  GemletConversation *selected;     /* what the window shows */
  GHashTable         *matches;      /* ids matching the query, or NULL */
  char               *query;        /* case-folded */
  GCancellable       *search_cancellable;
  guint               selecting;
  guint               reselect_idle;

  AdwHeaderBar       *header_bar;
  GtkToggleButton    *search_button;
  GtkSearchBar       *search_bar;
  GtkSearchEntry     *search_entry;
  GtkStack           *stack;
  GtkListView        *list_view;
};

G_DEFINE_FINAL_TYPE (GemletSidebar, gemlet_sidebar, GTK_TYPE_WIDGET)

enum {
  CONVERSATION_SELECTED,
  CONVERSATION_ACTIVATED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static gboolean
filter_func (gpointer item,
             gpointer user_data)
{
  GemletSidebar *self = user_data;
  GemletConversation *conversation = item;
  g_autofree char *title = NULL;
  gint64 id;

  if (self->query == NULL)
    return TRUE;

  id = gemlet_conversation_get_id (conversation);
  if (self->matches != NULL && g_hash_table_contains (self->matches, &id))
    return TRUE;

  /* Titles are in memory: match them at once, before the database answers. */
  title = g_utf8_casefold (gemlet_conversation_get_title (conversation), -1);

  return strstr (title, self->query) != NULL;
}

static void
update_stack (GemletSidebar *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->filter_model));

  if (n > 0)
    gtk_stack_set_visible_child_name (self->stack, "list");
  else if (self->query != NULL)
    gtk_stack_set_visible_child_name (self->stack, "no-results");
  else
    gtk_stack_set_visible_child_name (self->stack, "empty");
}

static void
reselect (GemletSidebar *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->selection));
  guint position = GTK_INVALID_LIST_POSITION;

  if (self->selected != NULL)
    for (guint i = 0; i < n; i++)
      {
        g_autoptr(GemletConversation) item = g_list_model_get_item (G_LIST_MODEL (self->selection), i);

        if (item == self->selected)
          {
            position = i;
            break;
          }
      }

  if (gtk_single_selection_get_selected (self->selection) != position)
    {
      self->selecting++;
      gtk_single_selection_set_selected (self->selection, position);
      self->selecting--;
    }
}

static gboolean
reselect_idle_cb (gpointer user_data)
{
  GemletSidebar *self = user_data;

  self->reselect_idle = 0;
  reselect (self);

  return G_SOURCE_REMOVE;
}

/* Items moved (a conversation went to the top) or were filtered: select the
 * shown conversation again, once the list view has seen the change. */
static void
items_changed_cb (GemletSidebar *self)
{
  update_stack (self);
  if (self->reselect_idle == 0)
    self->reselect_idle = g_idle_add_full (G_PRIORITY_HIGH_IDLE, reselect_idle_cb, self, NULL);
}

static void
selected_changed_cb (GemletSidebar *self)
{
  GemletConversation *item;

  if (self->selecting)
    return;

  item = gtk_single_selection_get_selected_item (self->selection);
  if (item == NULL || item == self->selected)
    return;

  g_set_object (&self->selected, item);
  g_signal_emit (self, signals[CONVERSATION_SELECTED], 0, item);
}

static void
activate_cb (GemletSidebar *self,
             guint          position)
{
  g_autoptr(GemletConversation) item = g_list_model_get_item (G_LIST_MODEL (self->selection), position);

  if (item == NULL)
    return;

  if (item != self->selected)
    {
      g_set_object (&self->selected, item);
      g_signal_emit (self, signals[CONVERSATION_SELECTED], 0, item);
    }
  g_signal_emit (self, signals[CONVERSATION_ACTIVATED], 0, item);
}

static void
search_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GemletSidebar) self = user_data;
  g_autoptr(GHashTable) matches = NULL;
  g_autoptr(GError) error = NULL;

  matches = gemlet_store_search_finish (GEMLET_STORE (object), result, &error);
  if (matches == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("Search failed: %s", error->message);
      return;
    }

  g_clear_pointer (&self->matches, g_hash_table_unref);
  self->matches = g_steal_pointer (&matches);
  gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
}

static void
search_changed_cb (GemletSidebar *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));
  g_autofree char *stripped = g_strstrip (g_strdup (text));

  g_cancellable_cancel (self->search_cancellable);
  g_clear_object (&self->search_cancellable);
  g_clear_pointer (&self->matches, g_hash_table_unref);
  g_clear_pointer (&self->query, g_free);

  if (*stripped != '\0')
    {
      self->query = g_utf8_casefold (stripped, -1);
      if (self->store != NULL && gemlet_store_is_open (self->store))
        {
          self->search_cancellable = g_cancellable_new ();
          gemlet_store_search_async (self->store, stripped, self->search_cancellable,
                                     search_cb, g_object_ref (self));
        }
    }

  gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
}

static void
search_activate_cb (GemletSidebar *self)
{
  if (g_list_model_get_n_items (G_LIST_MODEL (self->selection)) > 0)
    activate_cb (self, 0);
}

static void
stop_search_cb (GemletSidebar *self)
{
  gtk_search_bar_set_search_mode (self->search_bar, FALSE);
}

static void
search_mode_changed_cb (GemletSidebar *self)
{
  if (!gtk_search_bar_get_search_mode (self->search_bar))
    gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
}

static void
setup_row_cb (GtkSignalListItemFactory *factory,
              GtkListItem              *list_item,
              gpointer                  user_data)
{
  gtk_list_item_set_child (list_item, gemlet_conversation_row_new ());
}

static void
bind_row_cb (GtkSignalListItemFactory *factory,
             GtkListItem              *list_item,
             gpointer                  user_data)
{
  gemlet_conversation_row_set_conversation (GEMLET_CONVERSATION_ROW (gtk_list_item_get_child (list_item)),
                                            gtk_list_item_get_item (list_item));
}

static void
unbind_row_cb (GtkSignalListItemFactory *factory,
               GtkListItem              *list_item,
               gpointer                  user_data)
{
  gemlet_conversation_row_set_conversation (GEMLET_CONVERSATION_ROW (gtk_list_item_get_child (list_item)),
                                            NULL);
}

static void
gemlet_sidebar_dispose (GObject *object)
{
  GemletSidebar *self = (GemletSidebar *)object;

  g_cancellable_cancel (self->search_cancellable);
  g_clear_object (&self->search_cancellable);
  g_clear_handle_id (&self->reselect_idle, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (self), GEMLET_TYPE_SIDEBAR);
  g_clear_object (&self->selection);
  g_clear_object (&self->filter_model);
  g_clear_object (&self->filter);
  g_clear_object (&self->selected);
  g_clear_object (&self->store);
  g_clear_pointer (&self->matches, g_hash_table_unref);
  g_clear_pointer (&self->query, g_free);

  G_OBJECT_CLASS (gemlet_sidebar_parent_class)->dispose (object);
}

static void
gemlet_sidebar_class_init (GemletSidebarClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = gemlet_sidebar_dispose;

  signals[CONVERSATION_SELECTED] =
    g_signal_new ("conversation-selected",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, GEMLET_TYPE_CONVERSATION);
  signals[CONVERSATION_ACTIVATED] =
    g_signal_new ("conversation-activated",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, GEMLET_TYPE_CONVERSATION);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/gemlet/Gemlet/gemlet-sidebar.ui");
  gtk_widget_class_bind_template_child (widget_class, GemletSidebar, header_bar);
  gtk_widget_class_bind_template_child (widget_class, GemletSidebar, search_button);
  gtk_widget_class_bind_template_child (widget_class, GemletSidebar, search_bar);
  gtk_widget_class_bind_template_child (widget_class, GemletSidebar, search_entry);
  gtk_widget_class_bind_template_child (widget_class, GemletSidebar, stack);
  gtk_widget_class_bind_template_child (widget_class, GemletSidebar, list_view);
  gtk_widget_class_bind_template_callback (widget_class, search_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, search_activate_cb);
  gtk_widget_class_bind_template_callback (widget_class, stop_search_cb);
  gtk_widget_class_bind_template_callback (widget_class, activate_cb);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "sidebar");
}

static void
gemlet_sidebar_init (GemletSidebar *self)
{
  GtkListItemFactory *factory;

  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_orientable_set_orientation (GTK_ORIENTABLE (gtk_widget_get_layout_manager (GTK_WIDGET (self))),
                                  GTK_ORIENTATION_VERTICAL);

  self->filter = gtk_custom_filter_new (filter_func, self, NULL);
  self->filter_model = gtk_filter_list_model_new (NULL, g_object_ref (GTK_FILTER (self->filter)));
  self->selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (self->filter_model)));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  g_signal_connect_swapped (self->selection, "items-changed", G_CALLBACK (items_changed_cb), self);
  g_signal_connect_swapped (self->selection, "notify::selected", G_CALLBACK (selected_changed_cb), self);

  factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (factory, "setup", G_CALLBACK (setup_row_cb), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row_cb), NULL);
  g_signal_connect (factory, "unbind", G_CALLBACK (unbind_row_cb), NULL);
  gtk_list_view_set_factory (self->list_view, factory);
  g_object_unref (factory);
  gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (self->selection));

  gtk_search_bar_connect_entry (self->search_bar, GTK_EDITABLE (self->search_entry));
  g_signal_connect_swapped (self->search_bar, "notify::search-mode-enabled",
                            G_CALLBACK (search_mode_changed_cb), self);

  update_stack (self);
}

void
gemlet_sidebar_set_store (GemletSidebar *self,
                          GemletStore   *store)
{
  g_return_if_fail (GEMLET_IS_SIDEBAR (self));

  g_set_object (&self->store, store);
  gtk_filter_list_model_set_model (self->filter_model,
                                   store ? gemlet_store_get_conversations (store) : NULL);
  update_stack (self);
}

void
gemlet_sidebar_select (GemletSidebar      *self,
                       GemletConversation *conversation)
{
  g_return_if_fail (GEMLET_IS_SIDEBAR (self));

  g_set_object (&self->selected, conversation);
  reselect (self);

  if (conversation != NULL)
    {
      guint position = gtk_single_selection_get_selected (self->selection);

      if (position != GTK_INVALID_LIST_POSITION)
        gtk_widget_activate_action (GTK_WIDGET (self->list_view), "list.scroll-to-item", "u", position);
    }
}

AdwHeaderBar *
gemlet_sidebar_get_header_bar (GemletSidebar *self)
{
  g_return_val_if_fail (GEMLET_IS_SIDEBAR (self), NULL);

  return self->header_bar;
}

void
gemlet_sidebar_start_search (GemletSidebar *self)
{
  g_return_if_fail (GEMLET_IS_SIDEBAR (self));

  gtk_search_bar_set_search_mode (self->search_bar, TRUE);
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}
