/* gemlet-memory-chart.c
 *
 * A small bar chart of the process's resident memory over the last three
 * minutes (one bar per half-second sample), drawn with GtkSnapshot.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "gemlet-memory-chart"

#include "gemlet-config.h"

#include "gemlet-memory-chart.h"

#define N_SAMPLES 360

struct _GemletMemoryChart
{
  GtkWidget parent_instance;

  guint64   samples[N_SAMPLES];
  guint     n_samples;
  guint     next;
};

G_DEFINE_FINAL_TYPE (GemletMemoryChart, gemlet_memory_chart, GTK_TYPE_WIDGET)

static void
get_color (GtkWidget *widget,
           GdkRGBA   *color)
{
#if GTK_CHECK_VERSION (4, 10, 0)
  gtk_widget_get_color (widget, color);
#else
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), color);
#endif
}

static void
gemlet_memory_chart_snapshot (GtkWidget   *widget,
                              GtkSnapshot *snapshot)
{
  GemletMemoryChart *self = GEMLET_MEMORY_CHART (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  guint64 max = 1;
  GdkRGBA color, grid;
  float bar_width;

  if (width <= 0 || height <= 0)
    return;

  get_color (widget, &color);
  grid = color;
  grid.alpha *= 0.15f;

  /* Baseline and a half-way line */
  gtk_snapshot_append_color (snapshot, &grid, &GRAPHENE_RECT_INIT (0, height - 1, width, 1));
  gtk_snapshot_append_color (snapshot, &grid, &GRAPHENE_RECT_INIT (0, height / 2, width, 1));

  if (self->n_samples == 0)
    return;

  for (guint i = 0; i < self->n_samples; i++)
    max = MAX (max, self->samples[i]);
  max = max + max / 10;

  bar_width = (float)width / N_SAMPLES;

  /* Oldest on the left, newest at the right edge. */
  for (guint i = 0; i < self->n_samples; i++)
    {
      guint index = (self->next + N_SAMPLES - self->n_samples + i) % N_SAMPLES;
      float h = (float)((double)self->samples[index] / (double)max * (height - 1));
      float x = width - (self->n_samples - i) * bar_width;

      gtk_snapshot_append_color (snapshot, &color,
                                 &GRAPHENE_RECT_INIT (x, height - 1 - h, MAX (bar_width, 1.0f), h));
    }
}

static void
gemlet_memory_chart_measure (GtkWidget      *widget,
                             GtkOrientation  orientation,
                             int             for_size,
                             int            *minimum,
                             int            *natural,
                             int            *minimum_baseline,
                             int            *natural_baseline)
{
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = 120;
      *natural = 280;
    }
  else
    {
      *minimum = 48;
      *natural = 64;
    }
}

static void
gemlet_memory_chart_class_init (GemletMemoryChartClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  widget_class->snapshot = gemlet_memory_chart_snapshot;
  widget_class->measure = gemlet_memory_chart_measure;

  gtk_widget_class_set_css_name (widget_class, "memorychart");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
gemlet_memory_chart_init (GemletMemoryChart *self)
{
}

GtkWidget *
gemlet_memory_chart_new (void)
{
  return g_object_new (GEMLET_TYPE_MEMORY_CHART, NULL);
}

void
gemlet_memory_chart_add_sample (GemletMemoryChart *self,
                                guint64            bytes)
{
  g_return_if_fail (GEMLET_IS_MEMORY_CHART (self));

  self->samples[self->next] = bytes;
  self->next = (self->next + 1) % N_SAMPLES;
  self->n_samples = MIN (self->n_samples + 1, N_SAMPLES);

  if (gtk_widget_get_mapped (GTK_WIDGET (self)))
    gtk_widget_queue_draw (GTK_WIDGET (self));
}
