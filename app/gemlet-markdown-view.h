/* gemlet-markdown-view.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define GEMLET_TYPE_MARKDOWN_VIEW (gemlet_markdown_view_get_type ())

G_DECLARE_FINAL_TYPE (GemletMarkdownView, gemlet_markdown_view, GEMLET, MARKDOWN_VIEW, GtkWidget)

GtkWidget *gemlet_markdown_view_new          (void);
void       gemlet_markdown_view_set_markdown (GemletMarkdownView *self,
                                              const char         *markdown);

G_END_DECLS
