/* gemlet-memory-chart.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define GEMLET_TYPE_MEMORY_CHART (gemlet_memory_chart_get_type ())

G_DECLARE_FINAL_TYPE (GemletMemoryChart, gemlet_memory_chart, GEMLET, MEMORY_CHART, GtkWidget)

GtkWidget *gemlet_memory_chart_new        (void);
void       gemlet_memory_chart_add_sample (GemletMemoryChart *self,
                                           guint64            bytes);

G_END_DECLS
