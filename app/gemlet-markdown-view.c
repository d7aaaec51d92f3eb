/* gemlet-markdown-view.c
 *
 * Shows Markdown as GTK widgets, built from the blocks of gemlet-markdown.c.
 * While a reply streams in, only the blocks that changed (in practice the
 * last one) are rebuilt, so long replies stay cheap to update every frame.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "gemlet-markdown-view"

#include "gemlet-config.h"

#include <glib/gi18n.h>

#include "gemlet-markdown.h"
#include "gemlet-markdown-view.h"

struct _GemletMarkdownView
{
  GtkWidget  parent_instance;

  GPtrArray *blocks;   /* GemletMdBlock, as shown */
  GPtrArray *widgets;  /* GtkWidget, one per top-level block */
};

G_DEFINE_FINAL_TYPE (GemletMarkdownView, gemlet_markdown_view, GTK_TYPE_WIDGET)

static GtkWidget *build_block (const GemletMdBlock *block);

static GtkWidget *
make_label (const char *markup,
            gboolean    use_markup)
{
  GtkWidget *label = gtk_label_new (NULL);

  if (use_markup)
    gtk_label_set_markup (GTK_LABEL (label), markup);
  else
    gtk_label_set_text (GTK_LABEL (label), markup);

  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_widget_set_halign (label, GTK_ALIGN_FILL);
  gtk_widget_set_hexpand (label, TRUE);

  return label;
}

static gboolean
reset_copy_button_cb (gpointer user_data)
{
  GtkButton *button = user_data;

  gtk_button_set_icon_name (button, "edit-copy-symbolic");
  gtk_widget_set_tooltip_text (GTK_WIDGET (button), _("Copy Code"));
  g_object_set_data (G_OBJECT (button), "reset-id", NULL);

  return G_SOURCE_REMOVE;
}

static void
copy_code_cb (GtkButton *button,
              gpointer   user_data)
{
  const char *text = g_object_get_data (G_OBJECT (button), "code");
  guint id;

  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (button)), text);
  gtk_button_set_icon_name (button, "object-select-symbolic");
  gtk_widget_set_tooltip_text (GTK_WIDGET (button), _("Copied"));

  /* Back to the copy icon after a moment (the timeout holds the button). */
  if (g_object_get_data (G_OBJECT (button), "reset-id") == NULL)
    {
      id = g_timeout_add_seconds_full (G_PRIORITY_DEFAULT, 2, reset_copy_button_cb,
                                       g_object_ref (button), g_object_unref);
      g_object_set_data (G_OBJECT (button), "reset-id", GUINT_TO_POINTER (id));
    }
}

static GtkWidget *
build_code_block (const GemletMdBlock *block)
{
  GtkWidget *box, *header, *lang, *copy, *scroller, *code;

  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  gtk_widget_add_css_class (box, "code-block");

  header = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  gtk_widget_add_css_class (header, "code-header");
  lang = gtk_label_new (block->info ? block->info : _("Code"));
  gtk_widget_add_css_class (lang, "caption");
  gtk_widget_add_css_class (lang, "dim-label");
  gtk_label_set_xalign (GTK_LABEL (lang), 0);
  gtk_widget_set_hexpand (lang, TRUE);
  gtk_box_append (GTK_BOX (header), lang);

  copy = gtk_button_new_from_icon_name ("edit-copy-symbolic");
  gtk_widget_add_css_class (copy, "flat");
  gtk_widget_set_tooltip_text (copy, _("Copy Code"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (copy),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Copy Code"),
                                  -1);
  g_object_set_data_full (G_OBJECT (copy), "code", g_strdup (block->text), g_free);
  g_signal_connect (copy, "clicked", G_CALLBACK (copy_code_cb), NULL);
  gtk_box_append (GTK_BOX (header), copy);
  gtk_box_append (GTK_BOX (box), header);

  code = gtk_label_new (block->text);
  gtk_label_set_xalign (GTK_LABEL (code), 0);
  gtk_label_set_selectable (GTK_LABEL (code), TRUE);
  gtk_widget_add_css_class (code, "monospace");
  gtk_widget_add_css_class (code, "code");

  scroller = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller),
                                  GTK_POLICY_AUTOMATIC, GTK_POLICY_NEVER);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scroller), TRUE);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), code);
  gtk_box_append (GTK_BOX (box), scroller);

  return box;
}

static GtkWidget *
build_children (const GemletMdBlock *block,
                int                  spacing)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, spacing);

  if (block->children != NULL)
    for (guint i = 0; i < block->children->len; i++)
      gtk_box_append (GTK_BOX (box), build_block (g_ptr_array_index (block->children, i)));

  return box;
}

static GtkWidget *
build_list (const GemletMdBlock *block)
{
  GtkWidget *grid = gtk_grid_new ();
  guint n = block->children ? block->children->len : 0;

  gtk_grid_set_column_spacing (GTK_GRID (grid), 8);
  gtk_grid_set_row_spacing (GTK_GRID (grid), block->tight ? 4 : 10);
  gtk_widget_add_css_class (grid, "md-list");

  for (guint i = 0; i < n; i++)
    {
      const GemletMdBlock *item = g_ptr_array_index (block->children, i);
      g_autofree char *marker_text = NULL;
      GtkWidget *marker, *content;

      if (block->ordered)
        marker_text = g_strdup_printf ("%d.", block->start + (int)i);
      else
        marker_text = g_strdup ("•");

      marker = gtk_label_new (marker_text);
      gtk_label_set_xalign (GTK_LABEL (marker), 1);
      gtk_widget_set_valign (marker, GTK_ALIGN_START);
      gtk_widget_add_css_class (marker, "md-list-marker");
      if (block->ordered)
        gtk_widget_add_css_class (marker, "numeric");

      content = build_children (item, block->tight ? 4 : 10);
      gtk_widget_set_hexpand (content, TRUE);

      gtk_grid_attach (GTK_GRID (grid), marker, 0, i, 1, 1);
      gtk_grid_attach (GTK_GRID (grid), content, 1, i, 1, 1);
    }

  return grid;
}

static GtkWidget *
build_table (const GemletMdBlock *block)
{
  GtkWidget *scroller, *grid, *frame;
  guint n_rows = block->children ? block->children->len : 0;

  grid = gtk_grid_new ();
  gtk_widget_add_css_class (grid, "md-table");
  gtk_widget_set_halign (grid, GTK_ALIGN_START);

  for (guint r = 0; r < n_rows; r++)
    {
      const GemletMdBlock *row = g_ptr_array_index (block->children, r);
      guint n_cells = row->children ? row->children->len : 0;

      for (guint c = 0; c < n_cells; c++)
        {
          const GemletMdBlock *cell = g_ptr_array_index (row->children, c);
          GtkWidget *label = make_label (cell->markup, TRUE);

          gtk_widget_add_css_class (label, "md-cell");
          if (row->header)
            gtk_widget_add_css_class (label, "md-header");
          else if (r % 2 == 0)
            gtk_widget_add_css_class (label, "md-even");
          if (c + 1 == n_cells)
            gtk_widget_add_css_class (label, "md-last-column");

          /* Cells do not wrap: the table scrolls sideways instead, which
           * keeps rows aligned and heights right on narrow windows. */
          gtk_label_set_wrap (GTK_LABEL (label), FALSE);
          gtk_widget_set_hexpand (label, FALSE);
          gtk_label_set_xalign (GTK_LABEL (label),
                                cell->align == GEMLET_MD_ALIGN_RIGHT ? 1.0
                                : cell->align == GEMLET_MD_ALIGN_CENTER ? 0.5 : 0.0);
          gtk_widget_set_valign (label, GTK_ALIGN_FILL);
          gtk_label_set_yalign (GTK_LABEL (label), 0);
          gtk_grid_attach (GTK_GRID (grid), label, c, r, 1, 1);
        }
    }

  frame = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  gtk_widget_add_css_class (frame, "md-table-frame");
  gtk_widget_set_halign (frame, GTK_ALIGN_START);
  gtk_box_append (GTK_BOX (frame), grid);

  scroller = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller),
                                  GTK_POLICY_AUTOMATIC, GTK_POLICY_NEVER);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scroller), TRUE);
  gtk_scrolled_window_set_propagate_natural_width (GTK_SCROLLED_WINDOW (scroller), TRUE);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), frame);

  return scroller;
}

static GtkWidget *
build_block (const GemletMdBlock *block)
{
  GtkWidget *widget = NULL;

  switch (block->kind)
    {
    case GEMLET_MD_PARAGRAPH:
    case GEMLET_MD_TABLE_CELL:
      widget = make_label (block->markup, TRUE);
      break;

    case GEMLET_MD_HEADING:
      {
        static const char * const classes[] = { "title-2", "title-3", "title-4", "heading", "heading", "heading" };

        widget = make_label (block->markup, TRUE);
        gtk_widget_add_css_class (widget, classes[CLAMP (block->level, 1, 6) - 1]);
        gtk_widget_add_css_class (widget, "md-heading");
      }
      break;

    case GEMLET_MD_CODE_BLOCK:
      widget = build_code_block (block);
      break;

    case GEMLET_MD_BLOCK_QUOTE:
      widget = build_children (block, 8);
      gtk_widget_add_css_class (widget, "md-quote");
      break;

    case GEMLET_MD_LIST:
      widget = build_list (block);
      break;

    case GEMLET_MD_LIST_ITEM:
    case GEMLET_MD_TABLE_ROW:
      widget = build_children (block, 4);
      break;

    case GEMLET_MD_TABLE:
      widget = build_table (block);
      break;

    case GEMLET_MD_RULE:
      widget = gtk_separator_new (GTK_ORIENTATION_HORIZONTAL);
      gtk_widget_add_css_class (widget, "md-rule");
      break;

    default:
      widget = gtk_label_new (NULL);
      break;
    }

  return widget;
}

void
gemlet_markdown_view_set_markdown (GemletMarkdownView *self,
                                   const char         *markdown)
{
  g_autoptr(GPtrArray) blocks = NULL;
  guint same = 0;

  g_return_if_fail (GEMLET_IS_MARKDOWN_VIEW (self));

  blocks = gemlet_markdown_parse (markdown);

  while (same < blocks->len && same < self->blocks->len &&
         gemlet_md_block_equal (g_ptr_array_index (blocks, same),
                                g_ptr_array_index (self->blocks, same)))
    same++;

  /* While a reply streams in, usually only its last paragraph grew: give
   * that label its new text rather than a new label, so the frame costs
   * one relayout of one paragraph. */
  if (same + 1 == blocks->len && same + 1 == self->blocks->len && same < self->widgets->len)
    {
      const GemletMdBlock *now = g_ptr_array_index (blocks, same);
      const GemletMdBlock *before = g_ptr_array_index (self->blocks, same);
      GtkWidget *widget = g_ptr_array_index (self->widgets, same);

      if (now->kind == GEMLET_MD_PARAGRAPH && before->kind == GEMLET_MD_PARAGRAPH &&
          GTK_IS_LABEL (widget) && now->markup != NULL)
        {
          gtk_label_set_markup (GTK_LABEL (widget), now->markup);
          g_ptr_array_unref (self->blocks);
          self->blocks = g_steal_pointer (&blocks);
          return;
        }
    }

  /* Drop what changed ... */
  while (self->widgets->len > same)
    {
      GtkWidget *widget = g_ptr_array_steal_index (self->widgets, self->widgets->len - 1);

      gtk_widget_unparent (widget);
    }

  /* ... and build it again. */
  for (guint i = same; i < blocks->len; i++)
    {
      GtkWidget *widget = build_block (g_ptr_array_index (blocks, i));

      gtk_widget_set_parent (widget, GTK_WIDGET (self));
      g_ptr_array_add (self->widgets, widget);
    }

  g_ptr_array_unref (self->blocks);
  self->blocks = g_steal_pointer (&blocks);
}

static void
gemlet_markdown_view_dispose (GObject *object)
{
  GemletMarkdownView *self = (GemletMarkdownView *)object;

  while (self->widgets->len > 0)
    gtk_widget_unparent (g_ptr_array_steal_index (self->widgets, self->widgets->len - 1));

  G_OBJECT_CLASS (gemlet_markdown_view_parent_class)->dispose (object);
}

static void
gemlet_markdown_view_finalize (GObject *object)
{
  GemletMarkdownView *self = (GemletMarkdownView *)object;

  g_clear_pointer (&self->blocks, g_ptr_array_unref);
  g_clear_pointer (&self->widgets, g_ptr_array_unref);

  G_OBJECT_CLASS (gemlet_markdown_view_parent_class)->finalize (object);
}

static void
gemlet_markdown_view_class_init (GemletMarkdownViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = gemlet_markdown_view_dispose;
  object_class->finalize = gemlet_markdown_view_finalize;

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "markdown");
}

static void
gemlet_markdown_view_init (GemletMarkdownView *self)
{
  GtkLayoutManager *layout = gtk_widget_get_layout_manager (GTK_WIDGET (self));

  gtk_orientable_set_orientation (GTK_ORIENTABLE (layout), GTK_ORIENTATION_VERTICAL);
  gtk_box_layout_set_spacing (GTK_BOX_LAYOUT (layout), 12);

  self->blocks = g_ptr_array_new_with_free_func ((GDestroyNotify)gemlet_md_block_free);
  self->widgets = g_ptr_array_new ();
}

GtkWidget *
gemlet_markdown_view_new (void)
{
  return g_object_new (GEMLET_TYPE_MARKDOWN_VIEW, NULL);
}
