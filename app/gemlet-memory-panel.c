/* gemlet-memory-panel.c
 *
 * The memory popover: how much the process uses, split into weights kept in
 * memory, weights read on demand (the per-layer embedding table), the
 * context cache and working buffers; what the system has left; the estimate
 * made before loading; and the speed of the current reply. Sampled twice a
 * second from gm_memory_report(), which is cheap.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "gemlet-memory-panel"

#include "gemlet-config.h"

#include <glib/gi18n.h>

#include "gemlet-memory-chart.h"
#include "gemlet-memory-panel.h"

struct _GemletMemoryPanel
{
  GtkPopover          parent_instance;

  GemletEngineWorker *worker;
  guint               timeout_id;

  GemletMemoryChart  *chart;
  GtkLabel           *rss_label;
  GtkLabel           *resident_label;
  GtkLabel           *on_demand_label;
  GtkLabel           *kv_label;
  GtkLabel           *scratch_label;
  GtkLabel           *available_label;
  GtkLabel           *estimate_label;
  GtkLabel           *speed_label;
  GtkLabel           *kept_label;
  GtkLabel           *kept_rule_label;
};

G_DEFINE_FINAL_TYPE (GemletMemoryPanel, gemlet_memory_panel, GTK_TYPE_POPOVER)

static void
set_size (GtkLabel *label,
          guint64   bytes)
{
  g_autofree char *text = bytes ? g_format_size (bytes) : g_strdup ("—");

  gtk_label_set_text (label, text);
}

static void
set_pair (GtkLabel *label,
          guint64   part,
          guint64   whole)
{
  g_autofree char *a = g_format_size (part);
  g_autofree char *b = g_format_size (whole);
  g_autofree char *text = NULL;

  if (whole == 0)
    {
      gtk_label_set_text (label, "—");
      return;
    }

  /* Translators: "120 MB of 1.9 GB" */
  text = g_strdup_printf (_("%s of %s"), a, b);
  gtk_label_set_text (label, text);
}

static gboolean
sample_cb (gpointer user_data)
{
  GemletMemoryPanel *self = user_data;
  gm_memory measured, estimate;
  double tps = 0;

  gemlet_engine_worker_get_memory (self->worker, &measured, &estimate);
  gemlet_memory_chart_add_sample (self->chart, measured.process_rss);

  if (!gtk_widget_get_mapped (GTK_WIDGET (self)))
    return G_SOURCE_CONTINUE;

  set_size (self->rss_label, measured.process_rss);
  if (measured.projector > 0)
    {
      g_autofree char *w = g_format_size (measured.weights_resident + measured.projector);
      g_autofree char *p = g_format_size (measured.projector);
      /* Translators: weights in memory, "3.1 GB (1.0 GB of it for images and audio)" */
      g_autofree char *text = g_strdup_printf (_("%s (%s of it for images and audio)"), w, p);

      gtk_label_set_text (self->resident_label, text);
    }
  else
    set_size (self->resident_label, measured.weights_resident);
  set_pair (self->on_demand_label, measured.weights_on_demand_touched, measured.weights_on_demand);
  set_pair (self->kv_label, measured.kv_cache_used, measured.kv_cache);
  set_size (self->scratch_label, measured.scratch);
  set_size (self->available_label, measured.system_available);

  if (estimate.weights_resident + estimate.kv_cache > 0)
    {
      guint64 est = estimate.weights_resident + estimate.kv_cache + estimate.scratch;
      guint64 meas = measured.weights_resident + measured.kv_cache + measured.scratch;
      g_autofree char *a = g_format_size (est);
      g_autofree char *b = g_format_size (meas);
      guint n_ctx = gemlet_engine_worker_get_estimate_n_ctx (self->worker);
      g_autofree char *text = NULL;

      if (n_ctx > 0)
        /* Translators: memory estimated for the context in use vs. measured now,
         * "3.3 GB for 8192 tokens (measured 3.3 GB)" */
        text = g_strdup_printf (ngettext ("%s for %u token (measured %s)",
                                          "%s for %u tokens (measured %s)", n_ctx),
                                a, n_ctx, b);
      else
        /* Translators: memory estimated before loading vs. measured now */
        text = g_strdup_printf (_("%s (measured %s)"), a, b);

      gtk_label_set_text (self->estimate_label, text);
    }
  else
    gtk_label_set_text (self->estimate_label, "—");

  {
    guint n_kept = 0, max_kept = 0;
    guint64 kept_bytes = 0, budget = 0;
    g_autofree char *size = NULL;
    g_autofree char *limit = NULL;
    g_autofree char *text = NULL;
    g_autofree char *rule = NULL;

    gemlet_engine_worker_get_kept (self->worker, &n_kept, &max_kept, &kept_bytes, &budget);
    size = g_format_size (kept_bytes);
    limit = g_format_size (budget);
    text = n_kept > 0 ? g_strdup_printf ("%u · %s", n_kept, size) : g_strdup ("—");
    gtk_label_set_text (self->kept_label, text);
    rule = g_strdup_printf (ngettext ("Switching back to a recent conversation does not read it "
                                      "again. Up to %u conversation is kept, in at most %s; the "
                                      "least recently used is released first.",
                                      "Switching back to a recent conversation does not read it "
                                      "again. Up to %u conversations are kept, in at most %s; the "
                                      "least recently used is released first.",
                                      max_kept),
                            max_kept, limit);
    gtk_label_set_text (self->kept_rule_label, rule);
  }

  if (gemlet_engine_worker_get_state (self->worker) == GEMLET_ENGINE_STATE_GENERATING &&
      gemlet_engine_worker_get_live_stats (self->worker, &tps, NULL) && tps > 0)
    {
      g_autofree char *text = g_strdup_printf (_("%.1f tokens/s"), tps);

      gtk_label_set_text (self->speed_label, text);
    }
  else
    gtk_label_set_text (self->speed_label, _("Idle"));

  return G_SOURCE_CONTINUE;
}

static void
gemlet_memory_panel_show (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (gemlet_memory_panel_parent_class)->show (widget);
  sample_cb (widget);
}

static void
gemlet_memory_panel_dispose (GObject *object)
{
  GemletMemoryPanel *self = (GemletMemoryPanel *)object;

  g_clear_handle_id (&self->timeout_id, g_source_remove);
  g_clear_object (&self->worker);
  gtk_widget_dispose_template (GTK_WIDGET (self), GEMLET_TYPE_MEMORY_PANEL);

  G_OBJECT_CLASS (gemlet_memory_panel_parent_class)->dispose (object);
}

static void
gemlet_memory_panel_class_init (GemletMemoryPanelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = gemlet_memory_panel_dispose;
  widget_class->show = gemlet_memory_panel_show;

  g_type_ensure (GEMLET_TYPE_MEMORY_CHART);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/gemlet/Gemlet/gemlet-memory-panel.ui");
  gtk_widget_class_bind_template_child (widget_class, GemletMemoryPanel, chart);
  gtk_widget_class_bind_template_child (widget_class, GemletMemoryPanel, rss_label);
  gtk_widget_class_bind_template_child (widget_class, GemletMemoryPanel, resident_label);
  gtk_widget_class_bind_template_child (widget_class, GemletMemoryPanel, on_demand_label);
  gtk_widget_class_bind_template_child (widget_class, GemletMemoryPanel, kv_label);
  gtk_widget_class_bind_template_child (widget_class, GemletMemoryPanel, scratch_label);
  gtk_widget_class_bind_template_child (widget_class, GemletMemoryPanel, available_label);
  gtk_widget_class_bind_template_child (widget_class, GemletMemoryPanel, estimate_label);
  gtk_widget_class_bind_template_child (widget_class, GemletMemoryPanel, speed_label);
  gtk_widget_class_bind_template_child (widget_class, GemletMemoryPanel, kept_label);
  gtk_widget_class_bind_template_child (widget_class, GemletMemoryPanel, kept_rule_label);
}

static void
gemlet_memory_panel_init (GemletMemoryPanel *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
gemlet_memory_panel_new (GemletEngineWorker *worker)
{
  GemletMemoryPanel *self;

  g_return_val_if_fail (GEMLET_IS_ENGINE_WORKER (worker), NULL);

  self = g_object_new (GEMLET_TYPE_MEMORY_PANEL, NULL);
  self->worker = g_object_ref (worker);
  self->timeout_id = g_timeout_add (500, sample_cb, self);
  sample_cb (self);

  return GTK_WIDGET (self);
}
