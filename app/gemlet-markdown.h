/* gemlet-markdown.h
 *
 * Markdown → a small tree of blocks with Pango markup for their inline text.
 * No widgets here, so it can be tested without a display; the widgets are
 * made by GemletMarkdownView.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  GEMLET_MD_PARAGRAPH,
  GEMLET_MD_HEADING,
  GEMLET_MD_CODE_BLOCK,
  GEMLET_MD_BLOCK_QUOTE,
  GEMLET_MD_LIST,
  GEMLET_MD_LIST_ITEM,
  GEMLET_MD_TABLE,
  GEMLET_MD_TABLE_ROW,
  GEMLET_MD_TABLE_CELL,
  GEMLET_MD_RULE,
} GemletMdKind;

typedef enum
{
  GEMLET_MD_ALIGN_NONE,
  GEMLET_MD_ALIGN_LEFT,
  GEMLET_MD_ALIGN_CENTER,
  GEMLET_MD_ALIGN_RIGHT,
} GemletMdAlign;

typedef struct _GemletMdBlock GemletMdBlock;

struct _GemletMdBlock
{
  GemletMdKind   kind;
  int            level;    /* HEADING: 1–6 */
  gboolean       ordered;  /* LIST */
  int            start;    /* LIST: number of the first item when ordered */
  gboolean       tight;    /* LIST */
  gboolean       header;   /* TABLE_ROW: the header row */
  GemletMdAlign  align;    /* TABLE_CELL */
  char          *markup;   /* PARAGRAPH, HEADING, TABLE_CELL: Pango markup */
  char          *text;     /* CODE_BLOCK: the code, without its last newline */
  char          *info;     /* CODE_BLOCK: language from the fence, or NULL */
  GPtrArray     *children; /* GemletMdBlock; NULL when none */
};

GPtrArray *gemlet_markdown_parse        (const char          *markdown);
void       gemlet_md_block_free         (GemletMdBlock       *block);
char      *gemlet_md_block_to_string    (const GemletMdBlock *block);
char      *gemlet_markdown_dump         (GPtrArray           *blocks);
gboolean   gemlet_md_block_equal        (const GemletMdBlock *a,
                                         const GemletMdBlock *b);
char      *gemlet_markdown_to_plain     (const char          *markdown);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GemletMdBlock, gemlet_md_block_free)

G_END_DECLS
