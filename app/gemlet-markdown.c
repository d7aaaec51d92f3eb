/* gemlet-markdown.c
 *
 * Parses Markdown with cmark (CommonMark) and turns the node tree into
 * GemletMdBlocks. CommonMark has no tables, so paragraphs that look like
 * GitHub pipe tables are recognised here and their cells parsed on their own.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "gemlet-markdown"

#include "gemlet-config.h"

#include <string.h>

#include <cmark.h>

#include "gemlet-markdown.h"

#define CODE_SPAN_OPEN "<span font_family=\"monospace\" background=\"#808080\" bgalpha=\"20%\">"

static void convert_blocks (cmark_node *parent,
                            GPtrArray  *out);

static GemletMdBlock *
block_new (GemletMdKind kind)
{
  GemletMdBlock *block = g_new0 (GemletMdBlock, 1);

  block->kind = kind;

  return block;
}

void
gemlet_md_block_free (GemletMdBlock *block)
{
  if (block == NULL)
    return;

  g_free (block->markup);
  g_free (block->text);
  g_free (block->info);
  g_clear_pointer (&block->children, g_ptr_array_unref);
  g_free (block);
}

static GPtrArray *
block_array_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify)gemlet_md_block_free);
}

static void
block_add_child (GemletMdBlock *block,
                 GemletMdBlock *child)
{
  if (block->children == NULL)
    block->children = block_array_new ();
  g_ptr_array_add (block->children, child);
}

static gboolean
is_safe_link (const char *url)
{
  return url != NULL &&
         (g_str_has_prefix (url, "https://") ||
          g_str_has_prefix (url, "http://") ||
          g_str_has_prefix (url, "mailto:"));
}

static void
append_escaped (GString    *str,
                const char *text)
{
  g_autofree char *escaped = NULL;

  if (text == NULL || *text == '\0')
    return;

  escaped = g_markup_escape_text (text, -1);
  g_string_append (str, escaped);
}

static void
inlines_to_markup (cmark_node *parent,
                   GString    *str)
{
  for (cmark_node *node = cmark_node_first_child (parent);
       node != NULL;
       node = cmark_node_next (node))
    {
      switch ((int)cmark_node_get_type (node))
        {
        case CMARK_NODE_TEXT:
        case CMARK_NODE_HTML_INLINE:
          append_escaped (str, cmark_node_get_literal (node));
          break;

        case CMARK_NODE_SOFTBREAK:
        case CMARK_NODE_LINEBREAK:
          /* Models write poems and addresses line by line and never wrap
           * prose by hand, so a single newline is kept as a line break. */
          g_string_append_c (str, '\n');
          break;

        case CMARK_NODE_CODE:
          g_string_append (str, CODE_SPAN_OPEN);
          append_escaped (str, cmark_node_get_literal (node));
          g_string_append (str, "</span>");
          break;

        case CMARK_NODE_EMPH:
          g_string_append (str, "<i>");
          inlines_to_markup (node, str);
          g_string_append (str, "</i>");
          break;

        case CMARK_NODE_STRONG:
          g_string_append (str, "<b>");
          inlines_to_markup (node, str);
          g_string_append (str, "</b>");
          break;

        case CMARK_NODE_LINK:
        case CMARK_NODE_IMAGE:
          {
            const char *url = cmark_node_get_url (node);

            if (is_safe_link (url))
              {
                g_autofree char *href = g_markup_escape_text (url, -1);

                g_string_append_printf (str, "<a href=\"%s\">", href);
                if (cmark_node_first_child (node) != NULL)
                  inlines_to_markup (node, str);
                else
                  append_escaped (str, url);
                g_string_append (str, "</a>");
              }
            else
              inlines_to_markup (node, str);
          }
          break;

        default:
          inlines_to_markup (node, str);
          break;
        }
    }
}

/* Markdown source of inline content, close enough to re-parse table cells. */
static void
inlines_to_source (cmark_node *parent,
                   GString    *str)
{
  for (cmark_node *node = cmark_node_first_child (parent);
       node != NULL;
       node = cmark_node_next (node))
    {
      switch ((int)cmark_node_get_type (node))
        {
        case CMARK_NODE_TEXT:
        case CMARK_NODE_HTML_INLINE:
          g_string_append (str, cmark_node_get_literal (node));
          break;

        case CMARK_NODE_SOFTBREAK:
        case CMARK_NODE_LINEBREAK:
          g_string_append_c (str, '\n');
          break;

        case CMARK_NODE_CODE:
          {
            const char *literal = cmark_node_get_literal (node);
            const char *fence = strchr (literal, '`') ? "`` " : "`";
            const char *close = strchr (literal, '`') ? " ``" : "`";

            g_string_append (str, fence);
            g_string_append (str, literal);
            g_string_append (str, close);
          }
          break;

        case CMARK_NODE_EMPH:
          g_string_append_c (str, '*');
          inlines_to_source (node, str);
          g_string_append_c (str, '*');
          break;

        case CMARK_NODE_STRONG:
          g_string_append (str, "**");
          inlines_to_source (node, str);
          g_string_append (str, "**");
          break;

        case CMARK_NODE_LINK:
        case CMARK_NODE_IMAGE:
          g_string_append_c (str, '[');
          inlines_to_source (node, str);
          g_string_append_printf (str, "](%s)", cmark_node_get_url (node));
          break;

        default:
          inlines_to_source (node, str);
          break;
        }
    }
}

/* Splits a table line on '|' outside code spans; drops the optional outer
 * pipes. */
static GPtrArray *
split_row (const char *line)
{
  GPtrArray *cells = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *stripped = g_strstrip (g_strdup (line));
  const char *p = stripped;
  GString *cell = g_string_new (NULL);
  gboolean in_code = FALSE;
  gsize len = strlen (stripped);

  if (*p == '|')
    p++;
  if (len > 0 && stripped[len - 1] == '|' && (len < 2 || stripped[len - 2] != '\\') && p <= stripped + len - 1)
    stripped[len - 1] = '\0';

  for (; *p; p++)
    {
      if (*p == '`')
        in_code = !in_code;

      if (*p == '\\' && p[1] == '|')
        {
          g_string_append_c (cell, '|');
          p++;
          continue;
        }

      if (*p == '|' && !in_code)
        {
          g_ptr_array_add (cells, g_strstrip (g_string_free (cell, FALSE)));
          cell = g_string_new (NULL);
          continue;
        }

      g_string_append_c (cell, *p);
    }
  g_ptr_array_add (cells, g_strstrip (g_string_free (cell, FALSE)));

  return cells;
}

static gboolean
parse_delimiter_row (const char  *line,
                     GArray     **aligns_out)
{
  g_autoptr(GPtrArray) cells = NULL;
  g_autoptr(GArray) aligns = NULL;

  if (strchr (line, '-') == NULL)
    return FALSE;

  cells = split_row (line);
  aligns = g_array_new (FALSE, FALSE, sizeof (GemletMdAlign));

  for (guint i = 0; i < cells->len; i++)
    {
      const char *cell = g_ptr_array_index (cells, i);
      gsize len = strlen (cell);
      gboolean left, right;
      GemletMdAlign align;

      if (len == 0)
        return FALSE;

      left = cell[0] == ':';
      right = len > 1 && cell[len - 1] == ':';
      for (gsize j = left ? 1 : 0; j < (right ? len - 1 : len); j++)
        if (cell[j] != '-')
          return FALSE;
      if (len - left - right < 1)
        return FALSE;

      align = left && right ? GEMLET_MD_ALIGN_CENTER
            : right ? GEMLET_MD_ALIGN_RIGHT
            : left ? GEMLET_MD_ALIGN_LEFT
            : GEMLET_MD_ALIGN_NONE;
      g_array_append_val (aligns, align);
    }

  *aligns_out = g_steal_pointer (&aligns);

  return TRUE;
}

static char *
inline_markdown_to_markup (const char *text)
{
  cmark_node *doc = cmark_parse_document (text, strlen (text), CMARK_OPT_DEFAULT);
  cmark_node *first = cmark_node_first_child (doc);
  GString *str = g_string_new (NULL);

  if (first != NULL && cmark_node_get_type (first) == CMARK_NODE_PARAGRAPH)
    inlines_to_markup (first, str);
  else
    append_escaped (str, text);

  cmark_node_free (doc);

  return g_string_free (str, FALSE);
}

static GemletMdBlock *
try_table (cmark_node *paragraph)
{
  g_autoptr(GString) source = g_string_new (NULL);
  g_auto(GStrv) lines = NULL;
  g_autoptr(GArray) aligns = NULL;
  g_autoptr(GPtrArray) header = NULL;
  GemletMdBlock *table;
  guint n_lines, n_columns;

  inlines_to_source (paragraph, source);
  if (strchr (source->str, '|') == NULL)
    return NULL;

  lines = g_strsplit (source->str, "\n", -1);
  n_lines = g_strv_length (lines);
  if (n_lines < 2 || strchr (lines[0], '|') == NULL)
    return NULL;

  if (!parse_delimiter_row (lines[1], &aligns))
    return NULL;

  header = split_row (lines[0]);
  if (header->len != aligns->len)
    return NULL;

  n_columns = aligns->len;
  table = block_new (GEMLET_MD_TABLE);

  for (guint i = 0; i < n_lines; i++)
    {
      g_autoptr(GPtrArray) cells = NULL;
      GemletMdBlock *row;

      if (i == 1)
        continue;
      if (i > 1 && *g_strstrip (lines[i]) == '\0')
        continue;

      cells = i == 0 ? g_ptr_array_ref (header) : split_row (lines[i]);
      row = block_new (GEMLET_MD_TABLE_ROW);
      row->header = i == 0;

      for (guint c = 0; c < n_columns; c++)
        {
          GemletMdBlock *cell = block_new (GEMLET_MD_TABLE_CELL);

          cell->align = g_array_index (aligns, GemletMdAlign, c);
          cell->markup = c < cells->len
                       ? inline_markdown_to_markup (g_ptr_array_index (cells, c))
                       : g_strdup ("");
          block_add_child (row, cell);
        }

      block_add_child (table, row);
    }

  return table;
}

static GemletMdBlock *
convert_block (cmark_node *node)
{
  GemletMdBlock *block = NULL;

  switch ((int)cmark_node_get_type (node))
    {
    case CMARK_NODE_PARAGRAPH:
      {
        GString *str;

        if ((block = try_table (node)))
          break;

        str = g_string_new (NULL);
        inlines_to_markup (node, str);
        block = block_new (GEMLET_MD_PARAGRAPH);
        block->markup = g_string_free (str, FALSE);
      }
      break;

    case CMARK_NODE_HEADING:
      {
        GString *str = g_string_new (NULL);

        inlines_to_markup (node, str);
        block = block_new (GEMLET_MD_HEADING);
        block->level = cmark_node_get_heading_level (node);
        block->markup = g_string_free (str, FALSE);
      }
      break;

    case CMARK_NODE_CODE_BLOCK:
    case CMARK_NODE_HTML_BLOCK:
      {
        const char *literal = cmark_node_get_literal (node);
        const char *info = cmark_node_get_type (node) == CMARK_NODE_CODE_BLOCK
                         ? cmark_node_get_fence_info (node) : NULL;
        gsize len = literal ? strlen (literal) : 0;

        block = block_new (GEMLET_MD_CODE_BLOCK);
        if (len > 0 && literal[len - 1] == '\n')
          len--;
        block->text = g_strndup (literal ? literal : "", len);
        if (info != NULL && *info != '\0')
          {
            /* Only the language word of "python title=x" */
            const char *end = info;

            while (*end && !g_ascii_isspace (*end))
              end++;
            block->info = g_strndup (info, end - info);
          }
      }
      break;

    case CMARK_NODE_BLOCK_QUOTE:
      block = block_new (GEMLET_MD_BLOCK_QUOTE);
      block->children = block_array_new ();
      convert_blocks (node, block->children);
      break;

    case CMARK_NODE_LIST:
      block = block_new (GEMLET_MD_LIST);
      block->ordered = cmark_node_get_list_type (node) == CMARK_ORDERED_LIST;
      block->start = block->ordered ? cmark_node_get_list_start (node) : 0;
      block->tight = cmark_node_get_list_tight (node);
      block->children = block_array_new ();
      convert_blocks (node, block->children);
      break;

    case CMARK_NODE_ITEM:
      block = block_new (GEMLET_MD_LIST_ITEM);
      block->children = block_array_new ();
      convert_blocks (node, block->children);
      break;

    case CMARK_NODE_THEMATIC_BREAK:
      block = block_new (GEMLET_MD_RULE);
      break;

    default:
      break;
    }

  return block;
}

static void
convert_blocks (cmark_node *parent,
                GPtrArray  *out)
{
  for (cmark_node *node = cmark_node_first_child (parent);
       node != NULL;
       node = cmark_node_next (node))
    {
      GemletMdBlock *block = convert_block (node);

      if (block != NULL)
        g_ptr_array_add (out, block);
    }
}

/**
 * gemlet_markdown_parse:
 * @markdown: UTF-8 Markdown (may be cut off anywhere while streaming)
 *
 * Returns: (transfer full): the top-level GemletMdBlocks
 */
GPtrArray *
gemlet_markdown_parse (const char *markdown)
{
  GPtrArray *blocks = block_array_new ();
  cmark_node *doc;

  if (markdown == NULL || *markdown == '\0')
    return blocks;

  doc = cmark_parse_document (markdown, strlen (markdown), CMARK_OPT_DEFAULT | CMARK_OPT_VALIDATE_UTF8);
  convert_blocks (doc, blocks);
  cmark_node_free (doc);

  return blocks;
}

static const char *
kind_name (GemletMdKind kind)
{
  switch (kind)
    {
    case GEMLET_MD_PARAGRAPH:   return "paragraph";
    case GEMLET_MD_HEADING:     return "heading";
    case GEMLET_MD_CODE_BLOCK:  return "code";
    case GEMLET_MD_BLOCK_QUOTE: return "quote";
    case GEMLET_MD_LIST:        return "list";
    case GEMLET_MD_LIST_ITEM:   return "item";
    case GEMLET_MD_TABLE:       return "table";
    case GEMLET_MD_TABLE_ROW:   return "row";
    case GEMLET_MD_TABLE_CELL:  return "cell";
    case GEMLET_MD_RULE:        return "rule";
    default:                    return "?";
    }
}

static void
dump_block (const GemletMdBlock *block,
            GString             *str,
            guint                depth)
{
  for (guint i = 0; i < depth; i++)
    g_string_append (str, "  ");

  g_string_append (str, kind_name (block->kind));
  if (block->kind == GEMLET_MD_HEADING)
    g_string_append_printf (str, " level=%d", block->level);
  if (block->kind == GEMLET_MD_LIST)
    g_string_append_printf (str, " %s%s", block->ordered ? "ordered" : "bullet",
                            block->tight ? " tight" : "");
  if (block->kind == GEMLET_MD_LIST && block->ordered)
    g_string_append_printf (str, " start=%d", block->start);
  if (block->header)
    g_string_append (str, " header");
  if (block->kind == GEMLET_MD_TABLE_CELL && block->align != GEMLET_MD_ALIGN_NONE)
    g_string_append_printf (str, " align=%s",
                            block->align == GEMLET_MD_ALIGN_LEFT ? "left"
                            : block->align == GEMLET_MD_ALIGN_CENTER ? "center" : "right");
  if (block->info != NULL)
    g_string_append_printf (str, " lang=%s", block->info);
  if (block->markup != NULL)
    g_string_append_printf (str, " [%s]", block->markup);
  if (block->text != NULL)
    g_string_append_printf (str, " [%s]", block->text);
  g_string_append_c (str, '\n');

  if (block->children != NULL)
    for (guint i = 0; i < block->children->len; i++)
      dump_block (g_ptr_array_index (block->children, i), str, depth + 1);
}

/* A readable dump; two blocks render the same iff their dumps are equal. */
char *
gemlet_md_block_to_string (const GemletMdBlock *block)
{
  GString *str = g_string_new (NULL);

  dump_block (block, str, 0);

  return g_string_free (str, FALSE);
}

char *
gemlet_markdown_dump (GPtrArray *blocks)
{
  GString *str = g_string_new (NULL);

  for (guint i = 0; i < blocks->len; i++)
    dump_block (g_ptr_array_index (blocks, i), str, 0);

  return g_string_free (str, FALSE);
}

gboolean
gemlet_md_block_equal (const GemletMdBlock *a,
                       const GemletMdBlock *b)
{
  guint n_a, n_b;

  if (a == b)
    return TRUE;
  if (a == NULL || b == NULL)
    return FALSE;

  if (a->kind != b->kind || a->level != b->level || a->ordered != b->ordered ||
      a->start != b->start || a->tight != b->tight || a->header != b->header ||
      a->align != b->align ||
      g_strcmp0 (a->markup, b->markup) != 0 ||
      g_strcmp0 (a->text, b->text) != 0 ||
      g_strcmp0 (a->info, b->info) != 0)
    return FALSE;

  n_a = a->children ? a->children->len : 0;
  n_b = b->children ? b->children->len : 0;
  if (n_a != n_b)
    return FALSE;

  for (guint i = 0; i < n_a; i++)
    if (!gemlet_md_block_equal (g_ptr_array_index (a->children, i),
                                g_ptr_array_index (b->children, i)))
      return FALSE;

  return TRUE;
}

/* Plain text for a one-line preview (titles, search snippets). */
char *
gemlet_markdown_to_plain (const char *markdown)
{
  cmark_node *doc;
  cmark_iter *iter;
  cmark_event_type ev;
  GString *str = g_string_new (NULL);

  if (markdown == NULL)
    return g_string_free (str, FALSE);

  doc = cmark_parse_document (markdown, strlen (markdown), CMARK_OPT_DEFAULT);
  iter = cmark_iter_new (doc);
  while ((ev = cmark_iter_next (iter)) != CMARK_EVENT_DONE)
    {
      cmark_node *node = cmark_iter_get_node (iter);
      cmark_node_type type = cmark_node_get_type (node);

      if (ev != CMARK_EVENT_ENTER)
        {
          if ((type == CMARK_NODE_PARAGRAPH || type == CMARK_NODE_HEADING) && str->len > 0)
            g_string_append_c (str, ' ');
          continue;
        }

      if (type == CMARK_NODE_TEXT || type == CMARK_NODE_CODE || type == CMARK_NODE_CODE_BLOCK)
        g_string_append (str, cmark_node_get_literal (node));
      else if (type == CMARK_NODE_SOFTBREAK || type == CMARK_NODE_LINEBREAK)
        g_string_append_c (str, ' ');
    }
  cmark_iter_free (iter);
  cmark_node_free (doc);

  g_strstrip (str->str);
  str->len = strlen (str->str);

  return g_string_free (str, FALSE);
}
