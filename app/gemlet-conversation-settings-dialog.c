/* gemlet-conversation-settings-dialog.c
 *
 * One conversation's system prompt, and sampling values of its own. Each
 * value has a switch: off, it follows Preferences (the spin button then
 * shows the value from Preferences, greyed out); on, the conversation keeps
 * the value shown. Every change is saved at once; the next reply uses it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "gemlet-conversation-settings-dialog"

#include "gemlet-config.h"

#include <glib/gi18n.h>

#include "gemlet-conversation-settings-dialog.h"

typedef struct
{
  GemletOverride  flag;
  const char     *title;     /* translatable */
  const char     *key;       /* GSettings key of the default */
  double          lower, upper, step;
  guint           digits;
} Field;

static const Field fields[] = {
  { GEMLET_OVERRIDE_TEMPERATURE, N_("Temperature"), "temperature", 0, GEMLET_TEMPERATURE_MAX, 0.05, 2 },
  { GEMLET_OVERRIDE_TOP_K, N_("Top-k"), "top-k", 0, GEMLET_TOP_K_MAX, 1, 0 },
  { GEMLET_OVERRIDE_TOP_P, N_("Top-p"), "top-p", 0, 1, 0.01, 2 },
  { GEMLET_OVERRIDE_MIN_P, N_("Min-p"), "min-p", 0, 1, 0.01, 2 },
  { GEMLET_OVERRIDE_REPEAT_PENALTY, N_("Repeat Penalty"), "repeat-penalty",
    GEMLET_REPEAT_PENALTY_MIN, GEMLET_REPEAT_PENALTY_MAX, 0.01, 2 },
  { GEMLET_OVERRIDE_SEED, N_("Seed"), "seed", 0, G_MAXUINT32, 1, 0 },
  { GEMLET_OVERRIDE_CONTEXT_LENGTH, N_("Context Length"), "context-length",
    GEMLET_CONTEXT_LENGTH_MIN, GEMLET_CONTEXT_LENGTH_MAX, 512, 0 },
};

#define N_FIELDS G_N_ELEMENTS (fields)

struct _GemletConversationSettingsDialog
{
  AdwPreferencesWindow  parent_instance;

  GemletStore          *store;
  GemletConversation   *conversation;
  GSettings            *defaults;

  GtkTextBuffer        *prompt_buffer;
  AdwActionRow         *rows[N_FIELDS];
  GtkSpinButton        *spins[N_FIELDS];
  GtkSwitch            *switches[N_FIELDS];
  gboolean              loading;  /* filling the widgets: do not save */
};

G_DEFINE_FINAL_TYPE (GemletConversationSettingsDialog, gemlet_conversation_settings_dialog,
                     ADW_TYPE_PREFERENCES_WINDOW)

static double
default_value (GemletConversationSettingsDialog *self,
               guint                             i)
{
  GVariant *value = g_settings_get_value (self->defaults, fields[i].key);
  double d = g_variant_is_of_type (value, G_VARIANT_TYPE_DOUBLE) ? g_variant_get_double (value)
                                                                  : g_variant_get_uint32 (value);

  g_variant_unref (value);

  return d;
}

/* The value a switched-off row shows: Preferences', with the usual
 * explicit default standing in for an automatic context. */
static double
shown_default (GemletConversationSettingsDialog *self,
               guint                             i)
{
  double value = default_value (self, i);

  if (fields[i].flag == GEMLET_OVERRIDE_CONTEXT_LENGTH && value == 0)
    value = 8192;

  return value;
}

static double
own_value (const GemletConversationSettings *settings,
           GemletOverride                    flag)
{
  switch (flag)
    {
    case GEMLET_OVERRIDE_TEMPERATURE:    return settings->temperature;
    case GEMLET_OVERRIDE_TOP_K:          return settings->top_k;
    case GEMLET_OVERRIDE_TOP_P:          return settings->top_p;
    case GEMLET_OVERRIDE_MIN_P:          return settings->min_p;
    case GEMLET_OVERRIDE_REPEAT_PENALTY: return settings->repeat_penalty;
    case GEMLET_OVERRIDE_SEED:           return settings->seed;
    case GEMLET_OVERRIDE_CONTEXT_LENGTH: return settings->context_length;
    default:                             return 0;
    }
}

static void
set_own_value (GemletConversationSettings *settings,
               GemletOverride              flag,
               double                      value)
{
  switch (flag)
    {
    case GEMLET_OVERRIDE_TEMPERATURE:    settings->temperature = value; break;
    case GEMLET_OVERRIDE_TOP_K:          settings->top_k = (guint) value; break;
    case GEMLET_OVERRIDE_TOP_P:          settings->top_p = value; break;
    case GEMLET_OVERRIDE_MIN_P:          settings->min_p = value; break;
    case GEMLET_OVERRIDE_REPEAT_PENALTY: settings->repeat_penalty = value; break;
    case GEMLET_OVERRIDE_SEED:           settings->seed = (guint) value; break;
    case GEMLET_OVERRIDE_CONTEXT_LENGTH: settings->context_length = (guint) value; break;
    default: break;
    }
}

/* The row's subtitle says where its value comes from. */
static void
update_row (GemletConversationSettingsDialog *self,
            guint                             i)
{
  gboolean own = gtk_switch_get_active (self->switches[i]);

  gtk_widget_set_sensitive (GTK_WIDGET (self->spins[i]), own);
  if (own)
    adw_action_row_set_subtitle (self->rows[i], _("This conversation only"));
  else if (fields[i].flag == GEMLET_OVERRIDE_CONTEXT_LENGTH && default_value (self, i) == 0)
    adw_action_row_set_subtitle (self->rows[i], _("As in Preferences: automatic"));
  else
    adw_action_row_set_subtitle (self->rows[i], _("As in Preferences"));
}

static void
save (GemletConversationSettingsDialog *self)
{
  GemletConversationSettings settings;
  GtkTextIter start, end;

  if (self->loading)
    return;

  gemlet_conversation_settings_init (&settings);
  gtk_text_buffer_get_bounds (self->prompt_buffer, &start, &end);
  settings.system_prompt = gtk_text_buffer_get_text (self->prompt_buffer, &start, &end, FALSE);
  g_strstrip (settings.system_prompt);

  for (guint i = 0; i < N_FIELDS; i++)
    if (gtk_switch_get_active (self->switches[i]))
      {
        settings.set |= fields[i].flag;
        set_own_value (&settings, fields[i].flag, gtk_spin_button_get_value (self->spins[i]));
      }

  gemlet_store_set_conversation_settings (self->store, self->conversation, &settings);
  gemlet_conversation_settings_clear (&settings);
}

static void
switch_changed_cb (GemletConversationSettingsDialog *self,
                   GParamSpec                       *pspec,
                   GtkSwitch                        *sw)
{
  for (guint i = 0; i < N_FIELDS; i++)
    if (self->switches[i] == sw)
      {
        /* Switched off: show the value that now applies. */
        if (!gtk_switch_get_active (sw))
          {
            gboolean loading = self->loading;

            self->loading = TRUE;
            gtk_spin_button_set_value (self->spins[i], shown_default (self, i));
            self->loading = loading;
          }
        update_row (self, i);
      }
  save (self);
}

/* Fills the widgets from the conversation, without saving. */
static void
load (GemletConversationSettingsDialog *self)
{
  const GemletConversationSettings *settings = gemlet_conversation_get_settings (self->conversation);
  const char *prompt = gemlet_conversation_settings_get_system_prompt (settings);

  self->loading = TRUE;
  gtk_text_buffer_set_text (self->prompt_buffer, prompt ? prompt : "", -1);
  for (guint i = 0; i < N_FIELDS; i++)
    {
      gboolean own = (settings->set & fields[i].flag) != 0;
      double value = own ? own_value (settings, fields[i].flag) : shown_default (self, i);

      gtk_spin_button_set_value (self->spins[i], value);
      gtk_switch_set_active (self->switches[i], own);
      update_row (self, i);
    }
  self->loading = FALSE;
}

static void
follow_preferences_cb (GemletConversationSettingsDialog *self)
{
  for (guint i = 0; i < N_FIELDS; i++)
    gtk_switch_set_active (self->switches[i], FALSE);
}

static GtkWidget *
build_prompt_group (GemletConversationSettingsDialog *self)
{
  GtkWidget *group = adw_preferences_group_new ();
  GtkWidget *scrolled = gtk_scrolled_window_new ();
  GtkWidget *view = gtk_text_view_new ();

  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (group), _("System Prompt"));
  adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (group),
                                         _("Instructions the model reads before this conversation, "
                                           "such as a role or a style. Leave empty for none."));

  gtk_text_view_set_wrap_mode (GTK_TEXT_VIEW (view), GTK_WRAP_WORD_CHAR);
  gtk_text_view_set_top_margin (GTK_TEXT_VIEW (view), 12);
  gtk_text_view_set_bottom_margin (GTK_TEXT_VIEW (view), 12);
  gtk_text_view_set_left_margin (GTK_TEXT_VIEW (view), 12);
  gtk_text_view_set_right_margin (GTK_TEXT_VIEW (view), 12);
  gtk_widget_add_css_class (view, "conversation-prompt");
  gtk_accessible_update_property (GTK_ACCESSIBLE (view),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("System prompt"),
                                  -1);
  self->prompt_buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (view));
  g_signal_connect_swapped (self->prompt_buffer, "changed", G_CALLBACK (save), self);

  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), view);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_min_content_height (GTK_SCROLLED_WINDOW (scrolled), 120);
  gtk_scrolled_window_set_max_content_height (GTK_SCROLLED_WINDOW (scrolled), 240);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scrolled), TRUE);
  gtk_widget_add_css_class (scrolled, "card");
  gtk_widget_set_overflow (scrolled, GTK_OVERFLOW_HIDDEN);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), scrolled);

  return group;
}

static GtkWidget *
build_sampling_group (GemletConversationSettingsDialog *self)
{
  GtkWidget *group = adw_preferences_group_new ();
  GtkWidget *reset = gtk_button_new_with_mnemonic (_("_Follow Preferences"));

  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (group), _("Replies"));
  adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (group),
                                         _("Switch a value on to use it for this conversation only; "
                                           "values switched off follow Preferences"));
  gtk_widget_set_valign (reset, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (reset, "flat");
  g_signal_connect_swapped (reset, "clicked", G_CALLBACK (follow_preferences_cb), self);
  adw_preferences_group_set_header_suffix (ADW_PREFERENCES_GROUP (group), reset);

  for (guint i = 0; i < N_FIELDS; i++)
    {
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *spin = gtk_spin_button_new_with_range (fields[i].lower, fields[i].upper, fields[i].step);
      GtkWidget *sw = gtk_switch_new ();
      g_autofree char *switch_label = NULL;

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _(fields[i].title));
      gtk_spin_button_set_digits (GTK_SPIN_BUTTON (spin), fields[i].digits);
      gtk_spin_button_set_numeric (GTK_SPIN_BUTTON (spin), TRUE);
      gtk_widget_set_valign (spin, GTK_ALIGN_CENTER);
      gtk_accessible_update_property (GTK_ACCESSIBLE (spin),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, _(fields[i].title),
                                      -1);
      g_signal_connect_swapped (spin, "value-changed", G_CALLBACK (save), self);

      gtk_widget_set_valign (sw, GTK_ALIGN_CENTER);
      /* Translators: accessible name of a switch; %s is a setting, e.g. "Temperature" */
      switch_label = g_strdup_printf (_("Own value for %s"), _(fields[i].title));
      gtk_accessible_update_property (GTK_ACCESSIBLE (sw),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, switch_label,
                                      -1);
      gtk_widget_set_tooltip_text (sw, _("Use a value of its own in this conversation"));
      g_signal_connect_swapped (sw, "notify::active", G_CALLBACK (switch_changed_cb), self);

      adw_action_row_add_suffix (ADW_ACTION_ROW (row), spin);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), sw);
      adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), sw);
      adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), row);

      self->rows[i] = ADW_ACTION_ROW (row);
      self->spins[i] = GTK_SPIN_BUTTON (spin);
      self->switches[i] = GTK_SWITCH (sw);
    }

  return group;
}

/* Closing the dialog is a good moment to write the text typed last. */
static gboolean
gemlet_conversation_settings_dialog_close_request (GtkWindow *window)
{
  save (GEMLET_CONVERSATION_SETTINGS_DIALOG (window));

  return GTK_WINDOW_CLASS (gemlet_conversation_settings_dialog_parent_class)->close_request (window);
}

static void
gemlet_conversation_settings_dialog_dispose (GObject *object)
{
  GemletConversationSettingsDialog *self = (GemletConversationSettingsDialog *)object;

  g_clear_object (&self->store);
  g_clear_object (&self->conversation);
  g_clear_object (&self->defaults);

  G_OBJECT_CLASS (gemlet_conversation_settings_dialog_parent_class)->dispose (object);
}

static void
gemlet_conversation_settings_dialog_class_init (GemletConversationSettingsDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = gemlet_conversation_settings_dialog_dispose;
  window_class->close_request = gemlet_conversation_settings_dialog_close_request;
}

static void
gemlet_conversation_settings_dialog_init (GemletConversationSettingsDialog *self)
{
  GtkWidget *page = adw_preferences_page_new ();

  gtk_window_set_modal (GTK_WINDOW (self), TRUE);
  gtk_window_set_default_size (GTK_WINDOW (self), 560, 720);
  adw_preferences_window_set_search_enabled (ADW_PREFERENCES_WINDOW (self), FALSE);

  adw_preferences_page_add (ADW_PREFERENCES_PAGE (page), ADW_PREFERENCES_GROUP (build_prompt_group (self)));
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (page), ADW_PREFERENCES_GROUP (build_sampling_group (self)));
  adw_preferences_window_add (ADW_PREFERENCES_WINDOW (self), ADW_PREFERENCES_PAGE (page));
}

GtkWidget *
gemlet_conversation_settings_dialog_new (GtkWindow          *parent,
                                         GemletStore        *store,
                                         GemletConversation *conversation,
                                         GSettings          *defaults)
{
  GemletConversationSettingsDialog *self;
  const char *title;
  g_autofree char *window_title = NULL;

  g_return_val_if_fail (GEMLET_IS_STORE (store), NULL);
  g_return_val_if_fail (GEMLET_IS_CONVERSATION (conversation), NULL);
  g_return_val_if_fail (G_IS_SETTINGS (defaults), NULL);

  self = g_object_new (GEMLET_TYPE_CONVERSATION_SETTINGS_DIALOG, "transient-for", parent, NULL);
  self->store = g_object_ref (store);
  self->conversation = g_object_ref (conversation);
  self->defaults = g_object_ref (defaults);

  title = gemlet_conversation_get_title (conversation);
  /* Translators: window title; %s is the conversation's title */
  window_title = g_strdup_printf (_("Settings of “%s”"), *title ? title : _("New Conversation"));
  gtk_window_set_title (GTK_WINDOW (self), window_title);

  load (self);

  return GTK_WIDGET (self);
}

/* For tests: what typing into the dialog does. */
void
gemlet_conversation_settings_dialog_set_system_prompt (GemletConversationSettingsDialog *self,
                                                       const char                       *text)
{
  g_return_if_fail (GEMLET_IS_CONVERSATION_SETTINGS_DIALOG (self));

  gtk_text_buffer_set_text (self->prompt_buffer, text, -1);
}

void
gemlet_conversation_settings_dialog_set_value (GemletConversationSettingsDialog *self,
                                               GemletOverride                    which,
                                               gboolean                          own,
                                               double                            value)
{
  g_return_if_fail (GEMLET_IS_CONVERSATION_SETTINGS_DIALOG (self));

  for (guint i = 0; i < N_FIELDS; i++)
    if (fields[i].flag == which)
      {
        gtk_switch_set_active (self->switches[i], own);
        if (own)
          gtk_spin_button_set_value (self->spins[i], value);
      }
}
