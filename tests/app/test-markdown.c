/* test-markdown.c — Markdown → block model (no widgets involved).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "gemlet-config.h"

#include "gemlet-markdown.h"

static void
assert_dump (const char *markdown,
             const char *expected)
{
  g_autoptr(GPtrArray) blocks = gemlet_markdown_parse (markdown);
  g_autofree char *dump = gemlet_markdown_dump (blocks);

  if (g_strcmp0 (dump, expected) != 0)
    g_test_message ("markdown:\n%s\ngot:\n%s\nexpected:\n%s", markdown, dump, expected);
  g_assert_cmpstr (dump, ==, expected);
}

static void
test_inline (void)
{
  assert_dump ("Plain *em* **strong** `a<b>&c` and <html>",
               "paragraph [Plain <i>em</i> <b>strong</b> "
               "<span font_family=\"monospace\" background=\"#808080\" bgalpha=\"20%\">a&lt;b&gt;&amp;c</span>"
               " and &lt;html&gt;]\n");
  assert_dump ("line one\nline two  \nline three",
               "paragraph [line one\nline two\nline three]\n");
}

static void
test_links (void)
{
  assert_dump ("[GNOME](https://gnome.org \"t\") and [bad](javascript:alert(1)) <https://x.org/?a=1&b=2>",
               "paragraph [<a href=\"https://gnome.org\">GNOME</a> and bad "
               "<a href=\"https://x.org/?a=1&amp;b=2\">https://x.org/?a=1&amp;b=2</a>]\n");
  assert_dump ("![alt text](https://example.org/a.png)",
               "paragraph [<a href=\"https://example.org/a.png\">alt text</a>]\n");
}

static void
test_headings (void)
{
  assert_dump ("# One\n## Two *x*\n###### Six\nSetext\n---\n",
               "heading level=1 [One]\n"
               "heading level=2 [Two <i>x</i>]\n"
               "heading level=6 [Six]\n"
               "heading level=2 [Setext]\n");
}

static void
test_lists (void)
{
  assert_dump ("- a\n- b\n  - nested\n",
               "list bullet tight\n"
               "  item\n"
               "    paragraph [a]\n"
               "  item\n"
               "    paragraph [b]\n"
               "    list bullet tight\n"
               "      item\n"
               "        paragraph [nested]\n");
  assert_dump ("3. three\n4. four\n",
               "list ordered tight start=3\n"
               "  item\n"
               "    paragraph [three]\n"
               "  item\n"
               "    paragraph [four]\n");
  assert_dump ("1. loose\n\n2. list\n",
               "list ordered start=1\n"
               "  item\n"
               "    paragraph [loose]\n"
               "  item\n"
               "    paragraph [list]\n");
}

static void
test_code (void)
{
  assert_dump ("```python title=x\nprint(\"<hi>\")\n\n```\n",
               "code lang=python [print(\"<hi>\")\n]\n");
  assert_dump ("    indented\n    code\n",
               "code [indented\ncode]\n");
  /* While streaming, an unclosed fence runs to the end. */
  assert_dump ("Look:\n```c\nint x",
               "paragraph [Look:]\n"
               "code lang=c [int x]\n");
}

static void
test_quote_rule (void)
{
  assert_dump ("> quoted\n> **text**\n\n---\n\nafter",
               "quote\n"
               "  paragraph [quoted\n<b>text</b>]\n"
               "rule\n"
               "paragraph [after]\n");
}

static void
test_table (void)
{
  assert_dump ("| Name | Size |\n|:-----|-----:|\n| **E2B** | 3.3 GB |\n| `E4B` | 5.2 GB |\n",
               "table\n"
               "  row header\n"
               "    cell align=left [Name]\n"
               "    cell align=right [Size]\n"
               "  row\n"
               "    cell align=left [<b>E2B</b>]\n"
               "    cell align=right [3.3 GB]\n"
               "  row\n"
               "    cell align=left "
               "[<span font_family=\"monospace\" background=\"#808080\" bgalpha=\"20%\">E4B</span>]\n"
               "    cell align=right [5.2 GB]\n");
  /* Missing cells are filled, extra cells dropped; no outer pipes. */
  assert_dump ("a | b\n--- | :-:\n1\n2 | 3 | 4\n",
               "table\n"
               "  row header\n"
               "    cell [a]\n"
               "    cell align=center [b]\n"
               "  row\n"
               "    cell [1]\n"
               "    cell align=center []\n"
               "  row\n"
               "    cell [2]\n"
               "    cell align=center [3]\n");
  /* Not a table: the delimiter row does not match the header. */
  assert_dump ("| a | b |\n|---|\n",
               "paragraph [| a | b |\n|---|]\n");
  /* A pipe inside code is not a cell boundary. */
  assert_dump ("| x |\n|---|\n| `a|b` |\n",
               "table\n"
               "  row header\n"
               "    cell [x]\n"
               "  row\n"
               "    cell [<span font_family=\"monospace\" background=\"#808080\" bgalpha=\"20%\">a|b</span>]\n");
}

static void
test_equal (void)
{
  g_autoptr(GPtrArray) a = gemlet_markdown_parse ("# T\n\nsame\n\n- x\n");
  g_autoptr(GPtrArray) b = gemlet_markdown_parse ("# T\n\nsame\n\n- y\n");

  g_assert_cmpuint (a->len, ==, 3);
  g_assert_cmpuint (b->len, ==, 3);
  g_assert_true (gemlet_md_block_equal (a->pdata[0], b->pdata[0]));
  g_assert_true (gemlet_md_block_equal (a->pdata[1], b->pdata[1]));
  g_assert_false (gemlet_md_block_equal (a->pdata[2], b->pdata[2]));
}

static void
test_empty_and_invalid (void)
{
  g_autoptr(GPtrArray) empty = gemlet_markdown_parse ("");
  g_autoptr(GPtrArray) null = gemlet_markdown_parse (NULL);
  g_autoptr(GPtrArray) invalid = gemlet_markdown_parse ("bad \xff\xfe utf8");

  g_assert_cmpuint (empty->len, ==, 0);
  g_assert_cmpuint (null->len, ==, 0);
  g_assert_cmpuint (invalid->len, ==, 1);
  g_assert_true (g_utf8_validate (((GemletMdBlock *)invalid->pdata[0])->markup, -1, NULL));
}

static void
test_plain (void)
{
  g_autofree char *plain = gemlet_markdown_to_plain ("# Title\n\nSome *em* text\nwith `code`.\n");

  g_assert_cmpstr (plain, ==, "Title Some em text with code.");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/markdown/inline", test_inline);
  g_test_add_func ("/markdown/links", test_links);
  g_test_add_func ("/markdown/headings", test_headings);
  g_test_add_func ("/markdown/lists", test_lists);
  g_test_add_func ("/markdown/code", test_code);
  g_test_add_func ("/markdown/quote-rule", test_quote_rule);
  g_test_add_func ("/markdown/table", test_table);
  g_test_add_func ("/markdown/equal", test_equal);
  g_test_add_func ("/markdown/empty-and-invalid", test_empty_and_invalid);
  g_test_add_func ("/markdown/plain", test_plain);

  return g_test_run ();
}
